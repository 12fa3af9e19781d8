"""Which files of the built site are pages, and the address each is served at."""

from __future__ import annotations

from collections.abc import Iterable
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


def of_edition(edition: str, names: Iterable[str], search_page: str = "search.html") -> int:
    """How many of the pages ``names`` are of the edition in the folder ``edition``.

    An edition is a folder with a search page of its own ("" for the site's
    top one), and holds its pages but those of a deeper edition.

    Examples:
        >>> site = ["index.html", "search.html", "a/b.html", "zh_CN/index.html", "zh_CN/search.html"]
        >>> of_edition("", site), of_edition("zh_CN/", site)
        (3, 2)
    """
    names = set(names)
    editions = {name.removesuffix(search_page) for name in names if name.endswith(search_page)}
    deeper = [other for other in editions if other != edition and other.startswith(edition)]
    return sum(name.startswith(edition) and not name.startswith(tuple(deeper)) for name in names)
