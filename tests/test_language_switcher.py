"""Each page links to the same page in the other edition, wherever the page sits."""

from __future__ import annotations

import pytest
from sphinx.search import _MINIFIED_JS_PATH

from editions import language_switcher
from editions.chinese_search import SearchChineseWithEnglishStemmer


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


def test_the_chinese_search_names_a_stemmer_its_script_defines() -> None:
    # language_data.js ends with `window.Stemmer = <language_name>Stemmer`
    # after the script named by js_stemmer_rawcode; Sphinx 9.0's own Chinese
    # search names ChineseStemmer, which that script does not define.
    chinese = SearchChineseWithEnglishStemmer
    script = (_MINIFIED_JS_PATH / chinese.js_stemmer_rawcode).read_text(encoding="utf-8")
    assert f"var {chinese.language_name}Stemmer=" in script
    assert chinese.lang == "zh"


def test_the_chinese_index_keeps_the_glossarys_terms_whole() -> None:
    # The search page cannot cut a query into words: 反向传播 is found only if
    # the index holds it whole, which jieba's own dictionary does not.
    words = SearchChineseWithEnglishStemmer({}).split("雅可比矩阵的反向传播和向量-雅可比积")
    assert {"雅可比矩阵", "反向传播", "雅可比积"} <= set(words)
