"""Make the Chinese edition's search find Chinese words, on Sphinx 9.0.

Sphinx's Chinese search splits words with jieba and stems Latin words with
the English Snowball stemmer, yet the ``language_data.js`` it writes ends
with ``window.Stemmer = ChineseStemmer``, a class that does not exist. Every
page of the edition then throws "ChineseStemmer is not defined" as it loads,
and the search page finds nothing (sphinx-doc/sphinx#14229, fixed upstream by
pull request 14416). Registered here: the same search language, naming the
stemmer it really ships (drop ``language_name`` once the Sphinx pin has the fix).

The edition's text is cut into words by jieba (``jieba`` in the docs group of
pyproject.toml). Without it installed, Sphinx indexes no Chinese word at all,
silently: a search for 梯度 found only the page with it in a title. The search
page cannot cut a query into words (it has no jieba), so a query must be one
word as jieba cut it: this search language adds the guide's own terms, the
Chinese names of the glossary, to jieba's dictionary, so that 雅可比矩阵 or
反向模式 is one word in the index, not two. It does not load jieba's own
dictionary a second time as a user dictionary, which Sphinx does when no
``dict`` option is given (0.8 s on every build, measured); and it keeps jieba's
messages about loading its dictionary out of the build's output.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import jieba
from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese

GLOSSARY = Path(__file__).resolve().parents[2] / "glossary" / "index.md"
# "  Chinese: 行向量, 列向量." under each term of the glossary.
_CHINESE_NAMES = re.compile(r"^\s+Chinese: (.+?)\.?$", flags=re.MULTILINE)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def glossary_words(text: str) -> list[str]:
    r"""The Chinese names that the glossary's ``Chinese:`` lines give; a hyphenated one in parts.

    A name from the code, which stays English, is no word to add. The search
    page cuts a query at a hyphen, so the index must hold the parts, not the
    whole (which jieba would then keep whole).

    Examples:
        >>> glossary_words("x\n  Chinese: 行向量, 列向量.\n  Chinese: 向量-雅可比积.\n")
        ['行向量', '列向量', '向量', '雅可比积']
        >>> glossary_words("  Chinese: grad_fn (a name from the code, not translated).\n")
        []
    """
    words: list[str] = []
    for line in _CHINESE_NAMES.findall(text):
        for name in (part.strip() for part in line.split(",")):
            if not _HAN.search(name):
                continue
            words += [part for part in name.split("-") if part]
    return words


class SearchChineseWithEnglishStemmer(SearchChinese):
    """Chinese search whose script names the English stemmer it includes, and knows the guide's terms."""

    # language_data.js sets ``window.Stemmer = <language_name>Stemmer``.
    language_name = "English"

    def __init__(self, options: dict[str, str]) -> None:
        """Sphinx's Chinese search, and the glossary's words in jieba's dictionary."""
        super().__init__({**options, "dict": ""})  # not jieba's own dictionary again
        for word in glossary_words(GLOSSARY.read_text(encoding="utf-8")):
            jieba.add_word(word)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the corrected Chinese search language."""
    jieba.setLogLevel(logging.WARNING)  # "Building prefix dict ..." on every build
    app.add_search_language(SearchChineseWithEnglishStemmer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
