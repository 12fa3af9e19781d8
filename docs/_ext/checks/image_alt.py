"""Fail the build on an image without alt text.

A plot or graph drawn by a cell becomes an ``<img>``; without alt text a
screen reader announces only a file name. myst-nb takes a cell's alt text
from its ``mystnb: image: alt:`` option, Markdown images from ``![alt](...)``.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from checks.cell_checks import fence_line

logger = logging.getLogger(__name__)


def _line(image: nodes.Element) -> int | None:
    """The line of the cell that drew the image, or of the nearest located ancestor."""
    ancestors = []
    node: nodes.Element | None = image
    while node is not None:
        ancestors.append(node)
        node = node.parent
    for ancestor in ancestors:
        if ancestor.get("nb_element") == "cell_code":
            return fence_line(ancestor)
    # myst-nb gives output images line 0, which means unknown.
    return next((ancestor.line for ancestor in ancestors if ancestor.line), None)


def _report_images_without_alt(app: Sphinx, doctree: nodes.document) -> None:
    for image in doctree.findall(nodes.image):
        if str(image.get("alt", "")).strip():
            continue
        logger.warning(
            "image %s has no alt text; give the cell a `mystnb: image: alt:` option"
            " or the Markdown image a description",
            image.get("uri", "?"),
            location=(app.env.docname, _line(image)),
            type="autograd_guide",
            subtype="image_alt",
        )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the alt-text check with Sphinx."""
    app.connect("doctree-read", _report_images_without_alt)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
