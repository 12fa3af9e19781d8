"""Headings must not skip levels: a screen reader's outline is built from them.

axe's ``heading-order`` rule compares each heading with the one before it in
the whole document; this check is the same rule for the article alone, with
a message that says which heading jumps.
"""

from __future__ import annotations


def skipped_levels(headings: list[tuple[int, str]]) -> list[str]:
    """Describe each heading that is more than one level below the heading before it.

    ``headings`` holds (level, text) in document order; the first must be a 1.
    """
    problems = []
    previous = 0
    for level, text in headings:
        if level > previous + 1:
            after = f"h{previous}" if previous else "the start of the article"
            problems.append(f"h{level} {text!r} follows {after}")
        previous = level
    return problems
