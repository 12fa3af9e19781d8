"""The shape every page of the site promises its readers: exercises, hidden checked solutions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(
    path
    for path in DOCS.rglob("*.md")
    if path.name != "index.md"
    and not {"_build", "_ext", "_inventories", "_ipython"} & set(path.parts)
)
EXERCISES = re.compile(r"^\(([\w-]+)-exercises\)=\n## Exercises\n", re.MULTILINE)
SOLUTIONS = re.compile(
    r"^```\{code-cell\} ipython3\n:tags: \[hide-cell[^\]]*\]\n(?P<code>.*?)^```",
    re.MULTILINE | re.DOTALL,
)


def test_the_site_has_pages() -> None:
    assert len(PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(DOCS)))
def test_every_page_ends_with_exercises_and_hidden_checked_solutions(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    heading = EXERCISES.search(text)
    assert heading, "no labelled '## Exercises' section"
    section = text[heading.end() : text.find("\n## ", heading.end())]
    exercises = re.findall(r"^\d+\. ", section, re.MULTILINE)
    assert 2 <= len(exercises) <= 4, f"{len(exercises)} exercises"
    solutions = SOLUTIONS.search(section)
    assert solutions, "no solution cell tagged hide-cell (hidden until the reader asks)"
    code = solutions["code"]
    assert code.count("# Solution") >= len(exercises), "a solution per exercise"
    assert "assert" in code, "solutions must check their answers"
