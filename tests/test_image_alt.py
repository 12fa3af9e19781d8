"""A translated edition fails on a figure whose alt text is still the English one."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from sites import FIGURE_ALT as ALT
from sites import FIGURE_LINE, figure_site, sphinx

TRANSLATED = "y 的计算图有两个节点"


def write_catalog(source: Path, translation: str) -> None:
    catalog = Catalog(locale="zh_CN")
    catalog.add(ALT, translation)
    folder = source / "locales" / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "page.po").open("wb") as file:
        write_po(file, catalog)


@pytest.mark.slow
def test_a_figure_alt_text_left_in_english_fails_the_chinese_build(tmp_path: Path) -> None:
    source = figure_site(tmp_path, ["checks.image_alt"])
    write_catalog(source, "")
    build = ("-b", "html", "-D", "language=zh_CN")
    result = sphinx(source, *build, output=tmp_path / "zh")
    assert result.returncode != 0
    report = result.stderr
    assert (
        f"{source / 'page.md'}:{FIGURE_LINE}: WARNING: the alt text of the figure this cell"
        f" draws is not translated into zh_CN: {ALT!r}" in report
    )
    assert (
        "translations -- src/page.md` and translate it in src/locales/zh_CN/LC_MESSAGES/page.po"
        in report
    )
    assert "[autograd_guide.image_alt]" in report
    # Nothing changed, and the next build still fails: the page is read again.
    assert sphinx(source, *build, output=tmp_path / "zh").returncode != 0
    # Translated, the figure builds.
    write_catalog(source, TRANSLATED)
    result = sphinx(source, *build, output=tmp_path / "zh")
    assert result.returncode == 0, result.stderr
