"""Which files of the built site are pages, and the address each is served at."""

from __future__ import annotations

from pathlib import Path

# Sphinx copies the theme's template fragments (webpack macros) into _static;
# they are no pages, and _sources holds the pages' text, not HTML.
_NOT_PAGES = {"_static", "_sources", "_images"}


def site_pages(html: Path) -> list[Path]:
    """Return every HTML page under ``html``, relative to it, sorted."""
    return sorted(
        path.relative_to(html)
        for path in html.rglob("*.html")
        if not _NOT_PAGES & set(path.relative_to(html).parts[:-1])
    )
