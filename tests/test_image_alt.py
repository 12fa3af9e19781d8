"""Alt text of cell figures: not left in English in a translated edition, a drawing's own in English.

A translated edition fails on a figure whose alt text is still the English one;
the English edition fails on a drawing (an SVG with a ``<desc>``, as
``draw_graph`` makes) whose cell gives other alt text than that description.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from checks.image_alt import first_difference, folded
from sites import FIGURE_ALT as ALT
from sites import FIGURE_LINE, figure_site, sphinx, write_chinese_catalog

TRANSLATED = "y 的计算图有两个节点"


def write_catalog(source: Path, translation: str) -> None:
    catalog = Catalog(locale="zh_CN")
    catalog.add(ALT, translation)
    write_chinese_catalog(source, catalog)


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


# --- the English build: a drawing's alt text is the drawing's own description ----------------


def svg_figure(alt_lines: list[str], desc: str | None) -> str:
    """A cell drawing an SVG whose root holds ``desc`` (none if None), with a folded alt option."""
    option = "".join(f"      {line}\n" for line in alt_lines)
    inner = f"<desc>{desc}</desc>" if desc is not None else ""
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><title>T</title>{inner}</svg>'
    return (
        "```{code-cell} ipython3\n"
        f"---\nmystnb:\n  image:\n    alt: >-\n{option}---\n"
        f"from IPython.display import SVG\nSVG({svg!r})\n```\n\n"
    )


def fences(page: Path) -> list[int]:
    lines = page.read_text(encoding="utf-8").splitlines()
    return [number for number, line in enumerate(lines, 1) if line.startswith("```{code-cell}")]


DESC = "Autograd graph of y, a scalar, drawn as 3 boxes and 2 arrows."


def in_a_part(source: Path) -> Path:
    """Move the site's page into a folder, as every page of the guide is: ``part/page.md``."""
    (source / "part").mkdir()
    page = (source / "page.md").rename(source / "part" / "page.md")
    index = source / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("\npage\n", "\npart/page\n"))
    return page


@pytest.mark.slow
def test_a_drawing_whose_alt_option_is_not_its_own_description_fails_the_build(
    tmp_path: Path,
) -> None:
    cells = (
        # The same text folded over two lines by YAML's >-: it matches.
        svg_figure(["Autograd graph of y, a scalar,", "drawn as 3 boxes and 2 arrows."], DESC)
        # The old wording, typed in by hand: it does not.
        + svg_figure(["Autograd graph of y (), 3 nodes and 2 edges."], DESC)
        # An SVG without a description, and one with any alt text: nothing to compare.
        + svg_figure(["Any alt text."], None)
    )
    source = figure_site(tmp_path, ["checks.image_alt"], cells)
    page = in_a_part(source)
    matching, stale, plain = fences(page)
    result = sphinx(source, "-q")
    assert result.returncode != 0
    report = result.stderr
    assert (
        f"{page}:{stale}: WARNING: the alt option of this cell is not the description its drawing"
        " gives itself (the <desc> of the SVG); they first differ at character 20:"
        " alt 'Autograd graph of y (), 3 nodes and 2 edges.',"
        " desc 'Autograd graph of y, a scalar, drawn as 3 boxes a...';"
        " paste the drawing's own .alt into the cell's alt option" in report
    ), report
    assert "[autograd_guide.image_alt]" in report
    assert f"{page}:{matching}:" not in report
    assert f"{page}:{plain}:" not in report
    assert report.count(": WARNING: ") == 1, report
    # Nothing changed, and the next build still fails: the page is read again.
    assert sphinx(source, "-q").returncode != 0
    # The alt option pasted from the drawing, the build passes.
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "Autograd graph of y (), 3 nodes and 2 edges.", DESC
        ),
        encoding="utf-8",
    )
    result = sphinx(source, "-q")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_chinese_build_does_not_compare_the_translated_alt_with_the_english_description(
    tmp_path: Path,
) -> None:
    source = figure_site(tmp_path, ["checks.image_alt"], svg_figure([DESC], DESC))
    catalog = Catalog(locale="zh_CN")
    catalog.add(DESC, "y 的计算图")
    write_chinese_catalog(source, catalog)
    result = sphinx(source, "-b", "html", "-D", "language=zh_CN", output=tmp_path / "zh")
    assert result.returncode == 0, result.stderr


def test_texts_are_compared_folded_and_their_first_difference_is_shown_in_context() -> None:
    assert folded("  Autograd graph of y,\n  a scalar.\t") == "Autograd graph of y, a scalar."
    before = "x" * 40
    assert first_difference(before + "6 nodes and 5 edges", before + "6 boxes and 5 arrows") == (
        43,
        "..." + "x" * 18 + "6 nodes and 5 edges",
        "..." + "x" * 18 + "6 boxes and 5 arrows",
    )
    # One text ending where the other goes on: they differ just past the shorter.
    assert first_difference("abc", "abcdef") == (4, "abc", "abcdef")
