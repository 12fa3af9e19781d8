"""docs/_static/scrollbar.css in Chromium: the columns are as wide whether the page scrolls or not.

Chromium is started with scrollbars that take room, as on a desktop (and as
Lighthouse starts it); Playwright hides them by default. A page's left column
is a fifth of its width, as the theme's is. Without the stylesheet, the column
of a page too long for the window is narrower than that of a short page: the
shift that Lighthouse saw when the browser painted a page before the scrollbar
appeared. With it, both are as wide.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from site_audit import prerequisites

ROOT = Path(__file__).resolve().parents[2]
STYLESHEET = ROOT / "docs" / "_static" / "scrollbar.css"
WIDTH = 1350  # Lighthouse's desktop width


def page(style: str, paragraphs: int) -> str:
    """A page with a left column of a fifth of its width, and ``paragraphs`` in the other."""
    text = "<p>A line of the article.</p>" * paragraphs
    return (
        f"<!DOCTYPE html><html><head><style>{style}"
        " body{margin:0} .columns{display:flex} nav{flex:0 0 20%} main{flex:1}</style>"
        f'</head><body><div class="columns"><nav>Pages</nav><main>{text}</main></div></body></html>'
    )


@pytest.fixture(scope="module")
def column_widths() -> dict[tuple[bool, bool], float]:
    """The left column's width for each (stylesheet used, page longer than the window)."""
    chromium = prerequisites.require("chromium")["chromium"]
    widths = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, ignore_default_args=["--hide-scrollbars"]
        )
        try:
            tab = browser.new_page(viewport={"width": WIDTH, "height": 940})
            for styled in (False, True):
                style = STYLESHEET.read_text(encoding="utf-8") if styled else ""
                for long in (False, True):
                    tab.set_content(page(style, 200 if long else 1))
                    width = tab.evaluate(
                        "document.querySelector('nav').getBoundingClientRect().width"
                    )
                    widths[styled, long] = width
        finally:
            browser.close()
    return widths


def test_without_the_stylesheet_the_scrollbar_narrows_the_columns(
    column_widths: dict[tuple[bool, bool], float],
) -> None:
    # Else this browser's scrollbars take no room, and the next test proves nothing.
    assert column_widths[False, True] < column_widths[False, False] == WIDTH / 5


def test_with_it_the_columns_are_as_wide_whether_the_page_scrolls_or_not(
    column_widths: dict[tuple[bool, bool], float],
) -> None:
    assert column_widths[True, False] == column_widths[True, True] < WIDTH / 5
