"""Give every page a description: its opening paragraph, shortened.

Search engines (``<meta name="description">``) and link previews
(``og:description``) show this text. Each page of the guide opens with a
paragraph that says what the reader will do, so that paragraph is the
description; a page can still set its own with ``myst: html_meta:``.

sphinxext-opengraph writes the other Open Graph tags (title, address, site
name). Its own description joins the text of every node with a space and
reads on past the first paragraph, which puts stray spaces into Chinese
("“ 从示例学自动微分 ”"); so the description comes from here, handed to it as
the page's ``og:description`` field, which it takes over its own.
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
        description = shorten(text)
        content = html.escape(description, quote=True)
        context["metatags"] = f'{metatags}\n<meta name="description" content="{content}" />'
        # sphinxext-opengraph escapes the fields it is given.
        context["meta"] = {**(context.get("meta") or {}), "og:description": description}


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page descriptions with Sphinx."""
    # Before sphinxext-opengraph (default priority 500) reads the page's fields.
    app.connect("html-page-context", _add_description, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
