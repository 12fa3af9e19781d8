"""Fail the build on an image without alt text, with alt text other than its drawing's, or left in English.

A plot or graph drawn by a cell becomes an ``<img>``; without alt text a
screen reader announces only a file name. myst-nb takes a cell's alt text
from its ``mystnb: image: alt:`` option, Markdown images from ``![alt](...)``.

Some drawings describe themselves: ``draw_graph`` puts its alt text into the
``<desc>`` of the SVG's root. In the English edition the cell's alt option
(folded to one line, as YAML's ``>-`` does) must be that description, word for
word, so that a page copies the text the drawing computed from its tensors
instead of asserting it a second time; otherwise the build fails naming the
page, the cell and where the two texts first differ.

In a translated edition, Sphinx replaces each image's alt text with its
translation from the page's catalog, where ``editions.cell_image_alt`` puts
a cell's alt text. A cell's image that still carries the option's text was
not translated, and the build fails naming the page, the cell and the catalog.
A page with either failure is read again on the next build, so an incremental
build cannot hide it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain

from checks.figure_size import figure_file
from editions.source_language import is_translated_edition
from execution.cells import cell_alt, drawing_cell, fence_line
from execution.reread import PagesToReread

logger = logging.getLogger(__name__)

# The pages with an image that failed, with how many: read again on the next build.
_FAILED: PagesToReread[int] = PagesToReread("image_alt")

_SVG_DESC = "{http://www.w3.org/2000/svg}desc"
# How much of each text a report shows around their first difference.
_BEFORE, _AFTER = 20, 30


def _line(image: nodes.Element) -> int | None:
    """The line of the cell that drew the image, or of the nearest located ancestor."""
    cell = drawing_cell(image)
    if cell is not None:
        return fence_line(cell)
    # myst-nb gives output images line 0, which means unknown.
    node: nodes.Element | None = image
    while node is not None:
        if node.line:
            return node.line
        node = node.parent
    return None


def catalog(app: Sphinx, docname: str) -> str:
    """Where the page's catalog of the edition's language lives, as a path to show."""
    folder = Path(app.srcdir) / (app.config.locale_dirs or ["locales"])[0]
    domain = docname_to_domain(docname, app.config.gettext_compact)
    path = folder / app.config.language / "LC_MESSAGES" / f"{domain}.po"
    try:
        return str(path.relative_to(Path(app.srcdir).parent))
    except ValueError:
        return str(path)


def own_description(app: Sphinx, image: nodes.Element) -> str | None:
    """The ``<desc>`` of the SVG the image shows, if the SVG's root has one.

    myst-nb writes each output image to a file and points the image at it
    (found as ``checks.figure_size`` finds it). An image of another format, an
    address, or an SVG without a description of its own at the root gives
    ``None``.
    """
    uri = str(image.get("uri", ""))
    if not uri.lower().endswith(".svg") or "://" in uri or uri.startswith("data:"):
        return None
    path = figure_file(uri, Path(app.srcdir))
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    desc = root.find(_SVG_DESC)
    return None if desc is None else desc.text or ""


def folded(text: str) -> str:
    """The text on one line, every run of white space one space, as YAML's ``>-`` folds it."""
    return " ".join(text.split())


def first_difference(one: str, other: str) -> tuple[int, str, str]:
    """Where two texts first differ (counting from 1), and each text around that place."""
    index = next(
        (i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b),
        min(len(one), len(other)),
    )
    start = max(0, index - _BEFORE)

    def around(text: str) -> str:
        end = index + _AFTER
        return ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")

    return index + 1, around(one), around(other)


def _page(app: Sphinx, docname: str) -> str:
    path = Path(app.env.doc2path(docname))
    try:
        return str(path.relative_to(Path(app.srcdir).parent))
    except ValueError:
        return str(path)


def _report_images(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    translated_edition = is_translated_edition(app.config.language)
    key = getattr(app.config, "nb_cell_metadata_key", "mystnb")
    failed = 0
    for image in doctree.findall(nodes.image):
        alt = str(image.get("alt", "")).strip()
        if not alt:
            failed += 1
            logger.warning(
                "image %s has no alt text; give the cell a `mystnb: image: alt:` option"
                " or the Markdown image a description",
                image.get("uri", "?"),
                location=(docname, _line(image)),
                type="autograd_guide",
                subtype="image_alt",
            )
            continue
        cell = drawing_cell(image)
        option = cell_alt(cell, key) if cell is not None else None
        desc = None if translated_edition or option is None else own_description(app, image)
        if option is not None and desc is not None and folded(option) != folded(desc):
            failed += 1
            position, alt_part, desc_part = first_difference(folded(option), folded(desc))
            logger.warning(
                "the alt option of this cell is not the description its drawing gives itself"
                " (the <desc> of the SVG); they first differ at character %d: alt %r, desc %r;"
                " paste the drawing's own .alt into the cell's alt option",
                position,
                alt_part,
                desc_part,
                location=(docname, _line(image)),
                type="autograd_guide",
                subtype="image_alt",
            )
            continue
        if translated_edition and cell is not None and image["alt"] == option:
            failed += 1
            logger.warning(
                "the alt text of the figure this cell draws is not translated into %s: %r;"
                " run `python3 -m nox -s translations -- %s` and translate it in %s",
                app.config.language,
                alt[:70],
                _page(app, docname),
                catalog(app, docname),
                location=(docname, _line(image)),
                type="autograd_guide",
                subtype="image_alt",
            )
    if failed:
        _FAILED.notes(app.env)[docname] = failed


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the alt-text checks with Sphinx."""
    app.connect("doctree-read", _report_images)
    _FAILED.connect(app)
    # 2: the pages that failed are kept by execution/reread.py.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
