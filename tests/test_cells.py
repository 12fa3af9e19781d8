"""One reading of code cells and their imports, for the cache key, the notebooks and the checks."""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes

from execution.cells import (
    cell_alt,
    code_cell_nodes,
    code_cells,
    drawing_cell,
    fence_line,
    imported_modules,
)


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


def test_cells_in_the_doctree_are_myst_nbs_cell_nodes_and_hold_their_images() -> None:
    image = nodes.image(uri="figure.svg")
    cell = nodes.container(
        "",
        nodes.container("", image, nb_element="cell_code_output"),
        nb_element="cell_code",
        cell_metadata={"mystnb": {"image": {"alt": "A graph."}}},
    )
    markdown_image = nodes.image(uri="photo.png")
    page = nodes.section("", nodes.paragraph("", "", markdown_image), cell)
    assert code_cell_nodes(page) == [cell]
    assert drawing_cell(image) is cell
    assert drawing_cell(markdown_image) is None
    assert cell_alt(cell) == "A graph."
    assert cell_alt(cell, "other_key") is None
    assert cell_alt(nodes.container("", nb_element="cell_code", cell_metadata={})) is None


def test_a_cell_is_reported_at_its_fence_as_the_page_reads_now(tmp_path: Path) -> None:
    # myst-nb locates a cell below its fence (past its options); the page is
    # read once for all its cells, and again once it changes.
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n```{code-cell}\n:tags: [x]\nx = 1\n```\n", encoding="utf-8")
    cell = nodes.container("", nb_element="cell_code")
    cell.source, cell.line = str(page), 5
    assert fence_line(cell) == 3
    page.write_text("# Page\n\nProse.\n```{code-cell}\nx = 1\n```\n", encoding="utf-8")
    os.utime(page, ns=(0, 10**9))  # another time, however fast the file changed
    assert fence_line(cell) == 4
    cell.source = str(tmp_path / "gone.md")
    assert fence_line(cell) == 5, "without the page, myst-nb's own line"
