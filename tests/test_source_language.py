"""The English edition is the pages as written; any other language is a translated edition."""

from __future__ import annotations

import pytest

from editions.source_language import is_translated_edition


@pytest.mark.parametrize(
    ("language", "translated"), [("zh_CN", True), ("en", False), ("", False), (None, False)]
)
def test_only_a_language_other_than_english_makes_a_translated_edition(
    language: str | None, translated: bool
) -> None:
    assert is_translated_edition(language) is translated
