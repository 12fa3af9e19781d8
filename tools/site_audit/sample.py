"""Which pages Lighthouse measures: two that stand for the rest of their edition.

A Lighthouse run costs about 5 s, so every page at both profiles would
cost 17 minutes, more than the whole check may take. The pages of an edition
share the theme, its one stylesheet and its scripts; what differs is the
article, whose weight decides how long it takes to arrive. So each edition
is measured on its landing page (where most readers arrive) and its
heaviest article (the slowest to load). The math no longer sets a page
apart: it is MathML, written at build time and laid out with the text, not
typeset by a script after the first paint. The browser's visits still check
every page's weight, and ``--lighthouse-every-page`` measures them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from site_audit.weight import kib

# Each edition's folder in the site, and its name. A page belongs to the
# edition of the longest folder its name starts with: the root's is English.
EDITIONS = {"": "English", "zh_CN/": "Chinese"}
LANDING = "index.html"
# Pages of an edition that are no articles: Sphinx's generated pages and the 404 page.
NOT_ARTICLES = {"404.html", "genindex.html", "py-modindex.html", "search.html"}


@dataclass(frozen=True)
class Choice:
    """A page Lighthouse measures, and why it was chosen."""

    page: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page} ({'; '.join(self.reasons)})"


def edition(page: str) -> str:
    """The folder of the edition ``page`` belongs to.

    Examples:
        >>> edition("zh_CN/math/notation.html"), edition("math/notation.html")
        ('zh_CN/', '')
    """
    return max((folder for folder in EDITIONS if page.startswith(folder)), key=len)


def is_article(page: str) -> bool:
    """Whether ``page`` is an article: not a landing page, part's index, or generated page.

    Examples:
        >>> [is_article(page) for page in ["math/notation.html", "math/index.html", "search.html"]]
        [True, False, False]
    """
    name = page.rpartition("/")[2]
    return name != LANDING and name not in NOT_ARTICLES


def choose(weights: Mapping[str, int]) -> list[Choice]:
    """Each edition's landing page and heaviest article.

    ``weights`` maps every page to the gzip bytes it loaded. Ties go to the
    first page by name.

    Examples:
        >>> weights = {"index.html": 700_000, "a.html": 760_000, "b.html": 750_000,
        ...            "zh_CN/index.html": 710_000, "zh_CN/a.html": 770_000,
        ...            "zh_CN/b.html": 750_000, "zh_CN/search.html": 990_000}
        >>> for choice in choose(weights):
        ...     print(choice)
        index.html (English landing page)
        a.html (heaviest English article, 742 KiB gz)
        zh_CN/index.html (Chinese landing page)
        zh_CN/a.html (heaviest Chinese article, 752 KiB gz)
    """
    chosen: dict[str, list[str]] = {}
    for folder, name in EDITIONS.items():
        pages = sorted(page for page in weights if edition(page) == folder)
        articles = [page for page in pages if is_article(page)]
        if folder + LANDING in pages:
            chosen.setdefault(folder + LANDING, []).append(f"{name} landing page")
        if articles:
            heaviest = max(articles, key=lambda page: weights[page])
            reason = f"heaviest {name} article, {kib(weights[heaviest])} KiB gz"
            chosen.setdefault(heaviest, []).append(reason)
    return [Choice(page, tuple(reasons)) for page, reasons in chosen.items()]
