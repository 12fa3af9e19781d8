"""Give every page a ``<meta name="description">``: its opening paragraph, shortened.

Search engines and link previews show this text. Each page of the guide opens
with a paragraph that says what the reader will do, so that paragraph is the
description; a page can still set its own with ``myst: html_meta:``.
"""

from __future__ import annotations

import html
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

MAX_LENGTH = 160


def shorten(text: str, limit: int = MAX_LENGTH) -> str:
    """Collapse whitespace and cut at a word boundary, marking a cut with an ellipsis."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    return words[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _opening_paragraph(doctree: nodes.document) -> str | None:
    for paragraph in doctree.findall(nodes.paragraph):
        text = paragraph.astext().strip()
        if text:
            return text
    return None


def _add_description(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    metatags = context.get("metatags", "")
    if doctree is None or 'name="description"' in metatags:
        return
    text = _opening_paragraph(doctree)
    if text:
        content = html.escape(shorten(text), quote=True)
        context["metatags"] = f'{metatags}\n<meta name="description" content="{content}" />'


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page descriptions with Sphinx."""
    app.connect("html-page-context", _add_description)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
