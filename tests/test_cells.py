"""One reading of code cells and their imports, for the cache key, the notebooks and the checks."""

from __future__ import annotations

from execution.cells import code_cells, fence_lines, imported_modules


def test_code_cells_are_the_top_level_fences_that_myst_nb_runs() -> None:
    text = (
        "# Page\n\n"  # lines 1-2
        "```{code-cell} ipython3\nx = 1\n```\n\n"  # 3-6
        "````{code-cell}\n```\nnot a fence end\n````\n\n"  # 7-11
        ":::{code-cell}\nnot run: a colon fence\n:::\n\n"  # 12-15
        "~~~{code-cell} ipython3\ny = 2\n~~~\n"  # 16-18
    )
    cells = code_cells(text)
    assert [(cell.line, cell.code) for cell in cells] == [
        (3, "x = 1"),
        (7, "```\nnot a fence end"),
        (16, "y = 2"),
    ]
    assert fence_lines(text, before=10) == [3, 7]


def test_imports_by_statement_by_importlib_and_in_cell_magics_count() -> None:
    cells = [
        "import importlib\nimportlib.import_module('autograd_guide.graph')",
        "%%timeit\nimport numpy",
        "def broken(:\n    import os",  # does not compile, so imports nothing
        "'autograd_guide' in 'a string'",
    ]
    assert imported_modules(cells) == ["importlib", "autograd_guide", "numpy"]


def test_a_cells_options_are_not_its_code() -> None:
    # The guide's import cells are often tagged: an option line read as code
    # would make the cell fail to compile, and its imports would go unseen.
    text = (
        "```{code-cell} ipython3\n:tags: [remove-cell]\nimport autograd_guide\n```\n\n"
        "```{code-cell} ipython3\n---\nexpected: |\n  tensor(1.)\n---\nimport torch\n```\n"
    )
    cells = code_cells(text)
    assert [cell.code for cell in cells] == ["import autograd_guide", "import torch"]
    assert imported_modules([cell.code for cell in cells]) == ["autograd_guide", "torch"]
