"""Fail the build on math that did not parse, instead of showing readers a stray ``$``.

MyST turns ``$...$`` and ``$$...$$`` into math nodes. When it cannot (a
display equation indented inside a list item, an unbalanced dollar), the
dollars stay in the text and the page shows raw TeX. No prose here needs a
literal dollar sign outside code, so any ``$`` left in text is a mistake.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Text inside these is shown as written: code, outputs, and math itself.
_VERBATIM = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw)


def _report_stray_dollars(app: Sphinx, doctree: nodes.document) -> None:
    for text in doctree.findall(nodes.Text):
        if "$" not in text:
            continue
        parent = text.parent
        if any(isinstance(node, _VERBATIM) for node in _ancestors(parent)):
            continue
        logger.warning(
            "unparsed math: a '$' is left in the text %r",
            str(text)[:80],
            location=parent,
            type="autograd_guide",
            subtype="stray_math",
        )


def _ancestors(node: nodes.Node | None) -> list[nodes.Node]:
    chain = []
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the stray-dollar check with Sphinx."""
    app.connect("doctree-read", _report_stray_dollars)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
