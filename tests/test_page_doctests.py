"""The page doctests: pinned outputs, unpinned output, errors, and every pin on the site."""

from __future__ import annotations

import linecache
import textwrap
import traceback
import warnings
from pathlib import Path

import pytest

# pytester's in-process runs forget the modules first imported inside them;
# torch cannot be imported twice in one process (it crashes on the second),
# so it is imported here, once, before any inner run imports it.
import torch  # noqa: F401

from checks.page_doctests import (
    cell_tags,
    evaluate_cell,
    output_difference,
    page_sybil,
    remember_print_options,
    restore_print_options,
    run_cell,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
HEADER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  name: python3
---
"""


def write_page(pytester: pytest.Pytester, body: str) -> None:
    pytester.makeconftest(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        "from pathlib import Path\nfrom checks.page_doctests import page_sybil\n"
        "pytest_collect_file = page_sybil(Path(__file__).parent).pytest()\n"
    )
    (pytester.path / "page.md").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")


def test_a_cell_whose_output_matches_its_pin_passes(pytester: pytest.Pytester) -> None:
    write_page(
        pytester,
        """
        ```{code-cell} ipython3
        ---
        expected: |
          tensor([[1., 1.],
                  [1., 1.]], requires_grad=True)
        ---
        import torch
        torch.ones(2, 2, requires_grad=True)
        ```
        """,
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_changed_character_fails_with_expected_got_file_and_line(
    pytester: pytest.Pytester,
) -> None:
    write_page(
        pytester,
        """
        Some prose.

        ```{code-cell} ipython3
        ---
        expected: |
          tensor([1., 3.])
        ---
        import torch
        print(torch.tensor([1.0, 2.0]))
        ```
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "Example at */page.md, line 11, column 1 did not evaluate as expected:",
            "Expected:",
            "    tensor([1., 3.])",
            "Got:",
            "    tensor([1., 2.])",
        ]
    )


def test_text_that_no_pin_covers_fails_and_offers_the_pin(pytester: pytest.Pytester) -> None:
    write_page(
        pytester,
        """
        ```{code-cell} ipython3
        6 * 7
        ```
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no `expected` option pins*", "expected: |", "  42"])


def test_hidden_output_and_silent_cells_need_no_pin(pytester: pytest.Pytester) -> None:
    write_page(
        pytester,
        """
        ```{code-cell} ipython3
        :tags: [remove-output]
        print("only in the build log")
        ```

        ```{code-cell} ipython3
        x = 6 * 7;
        ```
        """,
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_cell_that_raises_fails_naming_the_page_and_line(pytester: pytest.Pytester) -> None:
    write_page(
        pytester,
        """
        ```{code-cell} ipython3
        y = 1
        raise RuntimeError("planted")
        ```
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the cell raised an error:*",
            '*page.md, cell at line 9", line 2*',
            "RuntimeError: planted",
        ]
    )


def test_raises_exception_cells_must_raise_the_pinned_error(pytester: pytest.Pytester) -> None:
    write_page(
        pytester,
        """
        ```{code-cell} ipython3
        ---
        tags: [raises-exception]
        expected: |
          ValueError: wanted
        ---
        raise ValueError("wanted")
        ```

        ```{code-cell} ipython3
        ---
        tags: [raises-exception]
        expected: |
          ValueError: wanted
        ---
        raise ValueError("something else")
        ```

        ```{code-cell} ipython3
        :tags: [raises-exception]
        x = 1
        ```
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*raised another error than its `expected` pins*"])
    result.stdout.fnmatch_lines(["*tagged raises-exception but raised nothing*"])


def test_cells_and_doctest_blocks_share_one_namespace(pytester: pytest.Pytester) -> None:
    write_page(
        pytester,
        """
        ```{code-cell} ipython3
        import torch
        x = torch.tensor([1.0, 2.0])
        ```

        ```python
        >>> x * 2
        tensor([2., 5.])
        ```
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["Expected:", "    tensor([2., 5.])", "Got:", "    tensor([2., 4.])"]
    )


def test_a_pin_with_a_blank_line_is_read_whole(pytester: pytest.Pytester) -> None:
    # A printed 3-d tensor has a blank line between its matrices; myst-nb reads
    # the YAML options block past it, and so must the page doctests.
    page = """
        ```{code-cell} ipython3
        ---
        expected: |
          tensor([[[0.]],

                  [[0.]]])
        tags: [remove-input]
        ---
        import torch
        print(torch.zeros(2, 1, 1))
        ```
        """
    write_page(pytester, page)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    write_page(pytester, page.replace("        [[0.]]])", "        [[1.]]])"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert "Expected:\n    tensor([[[0.]],\n\n            [[1.]]])\nGot:" in result.stdout.str()


def test_a_block_that_myst_nb_does_not_run_is_not_run(pytester: pytest.Pytester) -> None:
    # A code cell shown as an example inside another fenced block is text.
    write_page(
        pytester,
        """
        ````markdown
        ```{code-cell} ipython3
        raise RuntimeError("only an example")
        ```
        ````

        ```{code-cell} ipython3
        x = 1
        ```
        """,
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def _code_cells(path: Path) -> list[tuple[int, str, dict[str, object]]]:
    """Each code cell of a page as myst-nb reads it for the build: fence line, code, options."""
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(path.read_text(encoding="utf-8"), add_source_map=True)
    return [
        (line, cell.source, dict(cell.metadata))
        for cell, line in zip(notebook.cells, notebook.metadata["source_map"], strict=True)
        if cell.cell_type == "code"
    ]


def test_pytest_runs_every_cell_the_build_runs_as_the_build_reads_it() -> None:
    # The cells come from Sybil's fenced-block lexer, matched to myst-nb's
    # reading of the page: should either change how it finds cells, this fails.
    sybil = page_sybil(DOCS)
    pages = [path for path in sorted(DOCS.rglob("*.md")) if "_build" not in path.parts]
    counted = 0
    for path in pages:
        collected = [
            (example.line, str(example.parsed), dict(example.region.lexemes["options"]))
            for example in sybil.parse(path).examples()
            if example.region.evaluator is evaluate_cell
        ]
        assert collected == _code_cells(path), path
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, _, _ in collected:
            assert lines[line - 1].startswith("```{code-cell}"), (path, line)
        counted += len(collected)
    assert counted >= 300, "fewer code cells than the site has"


def test_the_display_rules_follow_jupyter() -> None:
    namespace: dict[str, object] = {}
    assert run_cell("1 + 1", namespace, "cell") == "2\n"
    assert run_cell("1 + 1;", namespace, "cell") == ""
    assert run_cell("x = 3\nNone", namespace, "cell") == ""
    assert run_cell("print('a')\nx", namespace, "cell") == "a\n3\n"
    # An object with a picture of itself is shown as the picture, not as text.
    run_cell(
        "class Picture:\n    def _repr_svg_(self):\n        return '<svg/>'", namespace, "cell"
    )
    assert run_cell("Picture()", namespace, "cell") == ""


def test_tracebacks_and_warnings_quote_the_cells_own_lines() -> None:
    # IPython registers each cell's text with linecache, so a traceback or a
    # recorded warning shows the line; a page that prints one must see it here too.
    namespace: dict[str, object] = {}
    run_cell("import warnings\ndef f():\n    warnings.warn('w')\n", namespace, "page.md, cell at 1")
    run_cell("other = 1\nsecond = 2\n", namespace, "page.md, cell at 9")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        namespace["f"]()  # type: ignore[operator]
    assert linecache.getline(caught[0].filename, caught[0].lineno) == "    warnings.warn('w')\n"
    assert linecache.getline("page.md, cell at 9", 2) == "second = 2\n"
    with pytest.raises(RuntimeError) as raised:
        run_cell("x = 1\nraise RuntimeError('planted')", namespace, "page.md, cell at 12")
    assert "raise RuntimeError('planted')" in "".join(
        traceback.format_tb(raised.value.__traceback__)
    )
    # A cell run again under the same name shows its new text, not the old one.
    run_cell("changed = 3\n", namespace, "page.md, cell at 9")
    assert linecache.getline("page.md, cell at 9", 1) == "changed = 3\n"


def _pinned_cells() -> list[tuple[Path, int, str, str]]:
    """Run every page like pytest does; return each pinned cell with what it printed."""
    pinned = []
    sybil = page_sybil(DOCS)
    for path in sorted(DOCS.rglob("*.md")):
        if "_build" in path.parts:
            continue
        document = sybil.parse(path)
        remember_print_options(document.namespace)
        for example in document.examples():
            options = example.region.lexemes.get("options", {})
            is_cell = example.region.evaluator is evaluate_cell
            if is_cell and "expected" in options and "raises-exception" not in cell_tags(options):
                got = run_cell(
                    str(example.parsed), document.namespace, f"{path}, cell at line {example.line}"
                )
                pinned.append((path, example.line, options["expected"], got))
            else:
                example.evaluate()
        restore_print_options(document.namespace)
    return pinned


def test_changing_any_character_of_any_pin_on_the_site_fails() -> None:
    pinned = _pinned_cells()
    assert len(pinned) >= 20, "the site pins fewer outputs than it shows"
    for path, line, expected, got in pinned:
        where = f"{path.relative_to(DOCS)}:{line}"
        assert output_difference(expected, got, "pin") is None, where
        for index, character in enumerate(expected):
            if character.isspace():
                continue  # whitespace is normalised on purpose
            mutated = expected[:index] + ("X" if character != "X" else "Y") + expected[index + 1 :]
            assert output_difference(mutated, got, "pin") is not None, (where, mutated)


# Each page runs in a kernel of its own on the site; under pytest the pages share a process,
# so print options one page sets must not reach the next.
PRINT_OPTIONS = [
    ("numpy", "np.set_printoptions(precision=2)", "np.array([3.14159265])", "array([3.14159265])"),
    (
        "torch",
        "torch.set_printoptions(precision=2)",
        "torch.tensor([3.14159265], dtype=torch.float64)",
        "tensor([3.1416], dtype=torch.float64)",
    ),
]


@pytest.mark.parametrize(
    ("library", "setting", "value", "shown"), PRINT_OPTIONS, ids=["numpy", "torch"]
)
def test_a_page_that_sets_print_options_leaves_the_next_page_alone(
    pytester: pytest.Pytester, library: str, setting: str, value: str, shown: str
) -> None:
    imports = "import numpy as np\nimport torch\n"
    write_page(pytester, f"```{{code-cell}} ipython3\n{imports}{setting}\n```\n")
    (pytester.path / "second.md").write_text(
        HEADER
        + f"```{{code-cell}} ipython3\n---\nexpected: |\n  {shown}\n---\n{imports}{value}\n```\n",
        encoding="utf-8",
    )
    # In a subprocess: were the reset broken, the setting would leak into later tests too.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "page.md", "second.md")
    result.assert_outcomes(passed=2)
