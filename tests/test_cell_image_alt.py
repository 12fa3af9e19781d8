"""The alt text of a cell's figure is a message of its page's catalog, and the editions show it translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from docutils import nodes
from sphinx.util.nodes import extract_messages, is_translatable
from sphinx.versioning import UIDTransform

from editions.cell_image_alt import EMPTY_SVG, AddCellImageAlt
from sites import FIGURE_ALT as ALT
from sites import FIGURE_LINE, figure_site, sphinx, write_chinese_catalog

TRANSLATED = "y 的计算图有两个节点"
EXTENSIONS = ["checks.image_alt", "editions.cell_image_alt"]


def extract(source: Path, target: Path) -> str:
    """The page's message template, extracted as `nox -s translations` does: no cell runs."""
    # Nothing runs, so no kernel names the cells' language.
    off = ("-D", "nb_execution_mode=off", "-D", "suppress_warnings=myst-nb.lexer")
    result = sphinx(source, "-b", "gettext", "-q", *off, output=target)
    assert result.returncode == 0, result.stderr
    return (target / "page.pot").read_text(encoding="utf-8")


def test_the_alt_images_exist_before_sphinx_gives_messages_their_ids() -> None:
    # What this extension relies on Sphinx for (see its docstring): its
    # transform runs before UIDTransform, which gives an id to each node the
    # gettext builder extracts a message from (is_translatable), and an
    # image's alt text is such a message.
    assert AddCellImageAlt.default_priority < UIDTransform.default_priority
    image = nodes.image(uri=EMPTY_SVG, alt=ALT)
    image.source, image.line = "page.md", FIGURE_LINE
    cell = nodes.container("", image, nb_element="cell_code")
    assert is_translatable(image)
    assert [text for _, text in extract_messages(cell)] == [ALT]


def test_a_figure_alt_text_is_a_message_of_its_page_at_the_cell(tmp_path: Path) -> None:
    template = extract(figure_site(tmp_path, EXTENSIONS), tmp_path / "gettext")
    assert re.search(
        rf'^#: \S*page\.md:{FIGURE_LINE}\nmsgid "{re.escape(ALT)}"$', template, re.MULTILINE
    ), template
    # After the prose before the cell, once, and nothing for the cell without alt text.
    assert template.index('"Prose."') < template.index(ALT)
    assert template.count("msgid ") == 1 + 3  # the header, the title, the prose, the alt


@pytest.mark.slow
def test_the_chinese_edition_shows_the_alt_text_translated_from_the_extracted_message(
    tmp_path: Path,
) -> None:
    source = figure_site(tmp_path, EXTENSIONS)
    extract(source, tmp_path / "gettext")
    with (tmp_path / "gettext" / "page.pot").open("rb") as file:
        catalog = read_po(file, locale="zh_CN")
    catalog[ALT].string = TRANSLATED
    write_chinese_catalog(source, catalog)
    chinese = sphinx(source, "-b", "html", "-D", "language=zh_CN", output=tmp_path / "zh")
    assert chinese.returncode == 0, chinese.stderr
    html = (tmp_path / "zh" / "page.html").read_text(encoding="utf-8")
    assert f'alt="{TRANSLATED}"' in html
    assert ALT not in html
    assert EMPTY_SVG not in html, "the image for the gettext builder is in the page"
    # The English edition, from the same cache, keeps the option's text.
    english = sphinx(source, "-b", "html", output=tmp_path / "en")
    assert english.returncode == 0, english.stderr
    assert f'alt="{ALT}"' in (tmp_path / "en" / "page.html").read_text(encoding="utf-8")
