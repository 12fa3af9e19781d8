"""Name the sidebar's expand/collapse toggles for screen readers.

pydata-sphinx-theme gives each section of the navigation a ``<summary>``
that holds only a chevron icon, so a screen reader announces a button with
no name (axe: ``summary-name``). Each toggle is labelled here after the
section it opens, taken from the link just before it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from sphinx.application import Sphinx

from editions.interface_language import translate

# <a ...>Section title</a><details ...><summary>: the theme's markup for a section.
_TOGGLE = re.compile(
    r"(<a\b[^>]*>(?P<title>(?:(?!<a\b).)*?)</a>\s*<details\b[^>]*>\s*)<summary>", re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")
LABEL = "Pages under {title}"  # translated by interface_language's catalog


def label_toggles(navigation: str, template: str = LABEL) -> str:
    """Give every section toggle of the navigation HTML an ``aria-label`` made from ``template``."""

    def labelled(match: re.Match[str]) -> str:
        title = html.unescape(_TAG.sub("", match["title"])).strip()
        label = html.escape(template.format(title=title), quote=True)
        return f'{match[1]}<summary aria-label="{label}">'

    return _TOGGLE.sub(labelled, navigation)


def _wrap(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    generate: Callable[..., Any] | None = context.get("generate_toctree_html")
    if generate is None:
        return

    def generate_labelled(kind: str, *args: Any, **kwargs: Any) -> Any:
        result = generate(kind, *args, **kwargs)
        # "raw" asks for the parsed tree; the sidebar gets a tree (BeautifulSoup)
        # that the template prints as HTML, so the labels go into that text.
        return result if kind == "raw" else label_toggles(str(result), str(translate(LABEL)))

    context["generate_toctree_html"] = generate_labelled


def setup(app: Sphinx) -> dict[str, Any]:
    """Wrap the theme's navigation builder once the theme has put it in the context."""
    app.connect("html-page-context", _wrap, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
