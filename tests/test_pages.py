"""The shape every page of the site promises its readers: exercises, hidden checked solutions."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import pytest
import yaml

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(
    path
    for path in DOCS.rglob("*.md")
    if path.name != "index.md"
    and not {"_build", "_ext", "_inventories", "_ipython"} & set(path.parts)
)
EXERCISES = re.compile(r"^\(([\w-]+)-exercises\)=\n## Exercises\n", re.MULTILINE)
EXERCISE = re.compile(
    r"^(?P<number>\d+)\. (?P<text>.*?)(?=^\d+\. |^```|\Z)", re.MULTILINE | re.DOTALL
)
SOLUTION = re.compile(
    r"^```\{code-cell\} ipython3\n:tags: \[hide-cell[^\]]*\]\n(?P<code>.*?)^```",
    re.MULTILINE | re.DOTALL,
)
# An exercise that asks for a reason gets a reason, not a one-line comment.
ASKS_WHY = re.compile(r"\b(explain|why)\b", re.IGNORECASE)
EXPLANATION_CHARS = 120


def exercises_section(text: str) -> str:
    heading = EXERCISES.search(text)
    assert heading, "no labelled '## Exercises' section"
    end = text.find("\n## ", heading.end())
    return text[heading.end() : end if end != -1 else len(text)]


def comment_text(code: str) -> str:
    lines = [line.strip() for line in code.splitlines()[1:]]
    return " ".join(line.lstrip("# ") for line in lines if line.startswith("#"))


def test_the_site_has_pages() -> None:
    assert len(PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(DOCS)))
def test_every_exercise_has_its_own_hidden_checked_solution(page: Path) -> None:
    section = exercises_section(page.read_text(encoding="utf-8"))
    exercises = list(EXERCISE.finditer(section))
    assert 2 <= len(exercises) <= 4, f"{len(exercises)} exercises"
    numbers = [int(exercise["number"]) for exercise in exercises]
    assert numbers == list(range(1, len(numbers) + 1)), f"exercises numbered {numbers}"
    solutions = list(SOLUTION.finditer(section))
    assert len(solutions) == len(exercises), (
        f"{len(exercises)} exercises but {len(solutions)} cells tagged hide-cell: "
        "one hidden solution cell per exercise, so that opening one spoils no other"
    )
    starts = [exercise.start() for exercise in exercises[1:]] + [len(section)]
    for exercise, solution, next_start in zip(exercises, solutions, starts, strict=True):
        number = exercise["number"]
        assert exercise.end() <= solution.start(), f"solution {number} comes before its exercise"
        assert solution.end() <= next_start, f"solution {number} is not right after its exercise"
        code = solution["code"]
        assert code.startswith(f"# Solution {number}"), (
            f"the hidden cell after exercise {number} must start with '# Solution {number}'"
        )
        assert "assert" in code, f"solution {number} must check its answer with assert"
        # Words inside roles and code (a label such as `accumulate-why`) ask nothing.
        if ASKS_WHY.search(re.sub(r"`[^`]*`", "", exercise["text"])):
            assert len(comment_text(code)) >= EXPLANATION_CHARS, (
                f"exercise {number} asks why: its solution explains in comments "
                f"of at least {EXPLANATION_CHARS} characters"
            )


CODE_CELL = re.compile(r"^```\{code-cell\} ipython3\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
RANDOM_DRAW = re.compile(
    r"torch\.(rand|randn|randint|randperm|normal|bernoulli|multinomial|rand_like|randn_like)\("
    r"|\.(normal_|uniform_|random_|bernoulli_)\(|np\.random\.|random\.random\("
)


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(DOCS)))
def test_a_page_that_draws_random_numbers_seeds_once_visibly_at_the_top(page: Path) -> None:
    cells = [match["body"] for match in CODE_CELL.finditer(page.read_text(encoding="utf-8"))]
    if not any(RANDOM_DRAW.search(cell) for cell in cells):
        return
    seeded = [i for i, cell in enumerate(cells) if "torch.manual_seed(" in cell]
    assert seeded == [0], (
        f"torch.manual_seed is called in code cells {seeded}, not once in the first"
    )
    assert not {"remove-cell", "remove-input"} & set(re.findall(r"[\w-]+", options(cells[0]))), (
        "the seed must be visible to the reader"
    )


def options(cell: str) -> str:
    """The option lines of a code cell: a ``---`` YAML block or ``:key:`` lines."""
    if cell.startswith("---\n"):
        return cell[: cell.index("\n---\n", 3)]
    return "\n".join(line for line in cell.splitlines() if line.startswith(":"))


# The parts whose pages are lessons; each draws at least one figure (issue 14).
LESSONS = [
    page
    for page in PAGES
    if page.parent.name in {"tutorial", "math", "pitfalls", "func", "work", "tiny"}
    and page.parent.parent == DOCS
]
# A figure's fact is asserted in one of the cells that follow it, before the next figure.
FIGURE_ASSERTED_WITHIN = 3


def figure_alt(cell: str) -> str | None:
    """The alt text a code cell gives the figure it draws (``mystnb: image: alt:``), if any."""
    if not cell.startswith("---\n"):
        return None
    metadata = yaml.safe_load(options(cell).removeprefix("---\n")) or {}
    alt = ((metadata.get("mystnb") or {}).get("image") or {}).get("alt")
    return alt if isinstance(alt, str) and alt.strip() else None


def code(cell: str) -> str:
    """A code cell's code, without its options."""
    if cell.startswith("---\n"):
        return cell[cell.index("\n---\n", 3) + len("\n---\n") :]
    return "\n".join(line for line in cell.splitlines() if not line.startswith(":"))


def test_there_are_lesson_pages() -> None:
    assert len(LESSONS) >= 20


@pytest.mark.parametrize("page", LESSONS, ids=lambda path: str(path.relative_to(DOCS)))
def test_every_lesson_draws_a_figure_and_asserts_what_it_shows(page: Path) -> None:
    cells = [match["body"] for match in CODE_CELL.finditer(page.read_text(encoding="utf-8"))]
    figures = [i for i, cell in enumerate(cells) if figure_alt(cell)]
    assert figures, (
        "no figure: draw one in a code cell with a `mystnb: image: alt:` option saying what "
        "it shows, and assert that fact in a cell after it"
    )
    for number, (i, end) in enumerate(zip(figures, [*figures[1:], len(cells)], strict=True), 1):
        following = cells[i + 1 : min(end, i + 1 + FIGURE_ASSERTED_WITHIN)]
        drawn = figure_names(code(cells[i]))
        assert any(drawn & asserted_names(code(cell)) for cell in following), (
            f"figure {number} ({figure_alt(cells[i])[:50]!r}...): none of the "
            f"{FIGURE_ASSERTED_WITHIN} code cells after it, before the next figure, asserts "
            "what it shows: an assert there must use a name the figure's cell drew from or "
            f"made (one of {sorted(drawn)[:8]})"
        )


# Names a figure's cell uses that say nothing about what it draws.
NOT_FIGURE_NAMES = {"plt", "torch", "np", "math", "matplotlib", "F", "nn", *dir(builtins)}


def figure_names(source: str) -> set[str]:
    """The names a figure's cell draws from or makes: its data, its figure and axes."""
    tree = ast.parse(source)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} - NOT_FIGURE_NAMES


def asserted_names(source: str) -> set[str]:
    """The names the ``assert`` statements of a cell check."""
    return {
        node.id
        for statement in ast.walk(ast.parse(source))
        if isinstance(statement, ast.Assert)
        for node in ast.walk(statement)
        if isinstance(node, ast.Name)
    }


def test_only_an_assert_on_what_the_figure_drew_counts() -> None:
    figure = (
        "xs = torch.linspace(0, 1, 5)\nfig, ax = plt.subplots()\nax.plot(xs, xs**2)\nplt.show()\n"
    )
    drawn = figure_names(figure)
    assert drawn == {"xs", "fig", "ax"}
    assert drawn & asserted_names("assert ax.get_yscale() == 'linear'")
    assert drawn & asserted_names("assert bool((xs >= 0).all())")
    # An assert that checks nothing the figure drew, or a name only in a comment, does not count.
    assert not drawn & asserted_names("assert True\n# xs is fine")
    assert not drawn & asserted_names("ys = xs\nassert len(ys) == 5")
