"""Fail the build on an image without alt text, or with a figure's alt text left in English.

A plot or graph drawn by a cell becomes an ``<img>``; without alt text a
screen reader announces only a file name. myst-nb takes a cell's alt text
from its ``mystnb: image: alt:`` option, Markdown images from ``![alt](...)``.

In a translated edition, Sphinx replaces each image's alt text with its
translation from the page's catalog, where ``editions.cell_image_alt`` puts
a cell's alt text. A cell's image that still carries the option's text was
not translated, and the build fails naming the page, the cell and the catalog.
A page with either failure is read again on the next build, so an incremental
build cannot hide it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.i18n import docname_to_domain

from checks.cell_checks import fence_line
from editions.cell_image_alt import cell_alt
from execution.reread import PagesToReread

logger = logging.getLogger(__name__)

# The pages with an image that failed, with how many: read again on the next build.
_FAILED: PagesToReread[int] = PagesToReread("image_alt")


def drawing_cell(image: nodes.Element) -> nodes.Element | None:
    """The code cell that drew the image, if a cell did."""
    node = image.parent
    while node is not None:
        if node.get("nb_element") == "cell_code":
            return node
        node = node.parent
    return None


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


def _page(app: Sphinx, docname: str) -> str:
    path = Path(app.env.doc2path(docname))
    try:
        return str(path.relative_to(Path(app.srcdir).parent))
    except ValueError:
        return str(path)


def _report_images(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    translated_edition = app.config.language not in {None, "", "en"}
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
        if translated_edition and cell is not None and image["alt"] == cell_alt(cell, key):
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
