"""Make the Chinese edition's search work on Sphinx 9.0.

Sphinx's Chinese search splits words with jieba and stems Latin words with
the English Snowball stemmer, yet the ``language_data.js`` it writes ends
with ``window.Stemmer = ChineseStemmer``, a class that does not exist. Every
page of the edition then throws "ChineseStemmer is not defined" as it loads,
and the search page finds nothing (sphinx-doc/sphinx#14229, fixed upstream by
pull request 14416). Registered here: the same search language, naming the
stemmer it really ships. Drop this file once the Sphinx pin has the fix.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese


class SearchChineseWithEnglishStemmer(SearchChinese):
    """Chinese search whose script names the English stemmer it includes."""

    # language_data.js sets ``window.Stemmer = <language_name>Stemmer``.
    language_name = "English"


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the corrected Chinese search language."""
    app.add_search_language(SearchChineseWithEnglishStemmer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
