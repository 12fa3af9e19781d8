"""Page descriptions: the opening paragraph, shortened for search results and link previews."""

from __future__ import annotations

from page_description import MAX_LENGTH, shorten


def test_a_short_paragraph_is_kept_with_its_whitespace_collapsed() -> None:
    assert (
        shorten("Track  operations\nwith requires_grad.") == "Track operations with requires_grad."
    )


def test_a_long_paragraph_is_cut_at_a_word_and_marked() -> None:
    text = "word " * 100
    short = shorten(text)
    assert len(short) <= MAX_LENGTH
    assert short.endswith("word…")
