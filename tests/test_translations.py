"""Every other edition translates every message of the current English pages, none fuzzy.

The catalogs are compared with templates extracted afresh from the pages, so an
English edit without a translation update fails here, naming the page and
the message, until `nox -s translations` is run and the new text translated.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LOCALES = DOCS / "locales"
LANGUAGES = sorted(path.name for path in LOCALES.iterdir() if path.is_dir())


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def extract_templates(source: Path, target: Path) -> dict[str, Catalog]:
    """Run Sphinx's gettext builder (no code executed) and read every template it writes."""
    command = [sys.executable, "-m", "sphinx", "-b", "gettext", "-q", "-D", "nb_execution_mode=off"]
    # Asked for by name, so that CI=true (which means "run every cell") cannot
    # override it: cell outputs are shared by the editions, not translated.
    environment = {**os.environ, "AUTOGRAD_GUIDE_EXECUTE": "off"}
    result = subprocess.run(
        [*command, str(source), str(target)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return {
        str(pot.relative_to(target).with_suffix("")): read_catalog(pot)
        for pot in sorted(target.rglob("*.pot"))
    }


def problems(templates: dict[str, Catalog], language: str) -> list[str]:
    """What keeps the catalogs of ``language`` from covering the templates exactly."""
    found = []
    folder = LOCALES / language / "LC_MESSAGES"
    for page, template in templates.items():
        po_path = folder / f"{page}.po"
        if not po_path.exists():
            found.append(f"{po_path.relative_to(ROOT)}: missing")
            continue
        catalog = read_catalog(po_path)
        where = po_path.relative_to(ROOT)
        wanted = {message.id for message in template if message.id}
        for message in catalog:
            if not message.id:
                continue
            if message.id not in wanted:
                found.append(f"{where}: no longer on the page: {str(message.id)[:70]!r}")
            elif not message.string:
                found.append(f"{where}: untranslated: {str(message.id)[:70]!r}")
            elif message.fuzzy:
                found.append(f"{where}: fuzzy: {str(message.id)[:70]!r}")
        missing = wanted - {message.id for message in catalog}
        found += [f"{where}: new English text: {str(text)[:70]!r}" for text in sorted(missing)]
        found += [
            f"{where}: obsolete entry kept: {str(m.id)[:50]!r}" for m in catalog.obsolete.values()
        ]
    pages = {str(path.relative_to(folder).with_suffix("")) for path in folder.rglob("*.po")}
    found += [
        f"{folder.relative_to(ROOT)}/{page}.po: no such page" for page in pages - set(templates)
    ]
    return found


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Catalog]:
    return extract_templates(DOCS, tmp_path_factory.mktemp("gettext"))


def test_there_is_a_chinese_edition() -> None:
    assert "zh_CN" in LANGUAGES


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_every_page_is_translated_and_current(
    templates: dict[str, Catalog], language: str
) -> None:
    assert len(templates) >= 25
    found = problems(templates, language)
    assert not found, (
        f"{len(found)} catalog problems; run `python3 -m nox -s translations`, "
        "then translate:\n" + "\n".join(found)
    )


# A code cell's options block; a figure's alt text is in it (`mystnb: image: alt:`).
CELL_OPTIONS = re.compile(
    r"^```\{code-cell\} ipython3\n---\n(?P<options>.*?)^---\n", re.MULTILINE | re.DOTALL
)


def figure_alt_texts(page: Path) -> list[str]:
    """The alt texts that the page's code cells give their figures."""
    found = []
    for match in CELL_OPTIONS.finditer(page.read_text(encoding="utf-8")):
        options = yaml.safe_load(match["options"]) or {}
        alt = ((options.get("mystnb") or {}).get("image") or {}).get("alt")
        if isinstance(alt, str) and alt.strip():
            found.append(alt)
    return found


@pytest.mark.slow
def test_every_figure_alt_text_is_a_message_of_its_page(templates: dict[str, Catalog]) -> None:
    # docs/_ext/editions/cell_image_alt.py puts them there, so that the test
    # above refuses a figure left untranslated like any paragraph.
    checked, missing = 0, []
    for page, template in templates.items():
        messages = {str(message.id) for message in template if message.id}
        for alt in figure_alt_texts(DOCS / f"{page}.md"):
            checked += 1
            if alt not in messages:
                missing.append(f"docs/{page}.md: {alt[:70]!r}")
    assert checked >= 3, "the pages have figures with alt text"
    assert not missing, "figure alt texts missing from the extracted messages:\n" + "\n".join(
        missing
    )


# One word for one idea in the Chinese edition (the glossary page says which):
# a variant on the left is replaced by the term on the right.
CHINESE_VARIANTS = {
    "跟踪": "追踪",
    "倍增": "翻倍",
    "从左边乘": "左乘",
    "从左边去乘": "左乘",
    "手工": "手动",
    "前向计算": "前向传播",
    "拒绝执行": "直接报错",
    "逐元素": "按元素",
}
# 截断 is truncation (截断误差); clamp is 钳制.
CLAMP_AS_TRUNCATION = re.compile(r"截断(?!误差)")
TRUNCATION = re.compile(r"\btruncat(?:e|ed|ion)\b", re.IGNORECASE)
# A {ref} without text of its own shows the target's title: quoted, with nothing after.
BARE_REF = re.compile(r"\{ref\}`[^`<]+`")


def chinese_messages() -> list[tuple[str, str, str]]:
    """(catalog, English, Chinese) for every translated message of the Chinese pages."""
    folder = LOCALES / "zh_CN" / "LC_MESSAGES"
    return [
        (str(path.relative_to(ROOT)), str(message.id), str(message.string))
        for path in sorted(folder.rglob("*.po"))
        for message in read_catalog(path)
        if message.id and message.string
    ]


def test_chinese_pages_use_one_term_for_each_idea() -> None:
    found = [
        f"{where}: {variant} → {term}: {chinese[:60]!r}"
        for where, _, chinese in chinese_messages()
        for variant, term in CHINESE_VARIANTS.items()
        if variant in chinese
    ]
    found += [
        f"{where}: 截断 for clamp → 钳制: {chinese[:60]!r}"
        for where, english, chinese in chinese_messages()
        if CLAMP_AS_TRUNCATION.search(chinese) and not TRUNCATION.search(english)
    ]
    assert not found, "\n".join(found)


def test_chinese_cross_references_have_one_style() -> None:
    found = []
    for where, _, chinese in chinese_messages():
        for match in BARE_REF.finditer(chinese):
            before = chinese[match.start() - 1] if match.start() else ""
            after = chinese[match.end() : match.end() + 3]
            if before != "“" or not after.startswith("”") or after[1:3] in {"一页", "一节"}:
                found.append(f"{where}: {chinese[max(0, match.start() - 8) : match.end() + 6]!r}")
    assert not found, (
        "write a {ref} without its own text as “{ref}`label`”, with nothing after it:\n"
        + "\n".join(found)
    )
