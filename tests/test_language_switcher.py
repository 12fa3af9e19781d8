"""Each page links to the same page in the other edition, wherever the page sits."""

from __future__ import annotations

import language_switcher
import pytest


@pytest.mark.parametrize(
    ("from_language", "pagename", "to_language", "url"),
    [
        ("en", "index", "zh_CN", "zh_CN/index.html"),
        ("en", "tutorial/errata", "zh_CN", "../zh_CN/tutorial/errata.html"),
        ("zh_CN", "index", "en", "../index.html"),
        ("zh_CN", "tutorial/errata", "en", "../../tutorial/errata.html"),
        ("zh_CN", "math/notation", "zh_CN", "../../zh_CN/math/notation.html"),
    ],
)
def test_the_link_leads_to_the_same_page_in_the_other_edition(
    from_language: str, pagename: str, to_language: str, url: str
) -> None:
    assert language_switcher.page_url(from_language, pagename, to_language) == url
