"""Each executable page becomes a notebook that installs what it imports, with launch buttons."""

from __future__ import annotations

import ast
import json
import subprocess
import types
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from sphinx.errors import ConfigError

from output import notebooks
from sites import EXT, NOTEBOOK_HEADER, sphinx

REPOSITORY = "https://github.com/owner/name"


@pytest.mark.parametrize(
    "address",
    ["https://gitlab.com/owner/name", "https://github.com/owner", "github.com/owner/name", ""],
)
def test_a_repository_that_is_not_on_github_is_refused_by_name(address: str) -> None:
    with pytest.raises(ValueError, match="notebooks_repository must look like"):
        notebooks.github_parts(address)


def test_launch_urls_open_the_page_notebook_on_the_notebooks_branch() -> None:
    urls = notebooks.launch_urls(REPOSITORY + "/", "notebooks", "math/forward-mode")
    assert urls == {
        "Colab": "https://colab.research.google.com/github/owner/name/blob/notebooks/"
        "math/forward-mode.ipynb",
        "Binder": "https://mybinder.org/v2/gh/owner/name/notebooks"
        "?urlpath=lab/tree/math/forward-mode.ipynb",
    }


def test_imports_are_found_in_ipython_cells_once_each_in_order() -> None:
    cells = [
        "%matplotlib inline\nimport torch\nfrom torch.func import jacrev",
        "import numpy as np, os.path\nfrom . import sibling\n%timeit torch.ones(3)",
        "def f():\n    import autograd_guide.graph\n    return 1",
    ]
    assert notebooks.imported_modules(cells) == ["torch", "numpy", "os", "autograd_guide"]


class RecordingShell:
    """Stands in for IPython: records the line magics the install cell runs."""

    def __init__(self) -> None:
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name: str, line: str) -> None:
        self.magics.append((name, line))


def run_install_cell(source: str) -> list[tuple[str, str]]:
    shell = RecordingShell()
    code = TransformerManager().transform_cell(source)
    exec(compile(code, "<install cell>", "exec"), {"get_ipython": lambda: shell})  # noqa: S102
    return shell.magics


def test_the_install_cell_installs_only_what_is_missing() -> None:
    requirements = {"torch": "torch>=2.4", "surely_not_installed": "surely-not-installed==1.0"}
    source = notebooks.install_cell_source(["os", "torch", "surely_not_installed"], requirements)
    assert "os" not in source.split("import importlib.util")[1], "standard library is not installed"
    assert run_install_cell(source) == [("pip", 'install --quiet "surely-not-installed==1.0"')]


def test_a_module_without_a_requirement_is_named() -> None:
    with pytest.raises(KeyError, match="yaml"):
        notebooks.install_cell_source(["torch", "yaml"], {"torch": "torch"})


def test_the_reader_notebook_has_the_install_cell_first_stable_ids_and_collapsed_solutions() -> (
    None
):
    executed = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Page"),
            nbformat.v4.new_code_cell("1 + 1", metadata={"tags": ["hide-cell"]}),
        ]
    )
    before = nbformat.writes(executed)
    first = notebooks.reader_notebook(executed, "print('install')")
    second = notebooks.reader_notebook(executed, "print('install')")
    assert nbformat.writes(executed) == before, "the executed notebook is left untouched"
    assert nbformat.writes(first) == nbformat.writes(second), "same page, same file"
    nbformat.validate(first)
    sources = [cell.source for cell in first.cells]
    assert sources == ["print('install')", "# Page", "#@title Show code\n1 + 1"]
    assert first.cells[0].metadata["tags"] == [notebooks.INSTALL_TAG]
    assert first.cells[2].metadata["jupyter"] == {"source_hidden": True}
    assert "jupyter" not in first.cells[1].metadata


def test_a_solution_is_collapsed_in_jupyterlab_and_as_a_colab_form_running_the_same_code() -> None:
    solution = "# Solution 2\nx = 3\nassert x * 2 == 6  # why: doubling"
    executed = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(solution, metadata={"tags": ["hide-cell"]})]
    )
    cell = notebooks.reader_notebook(executed, "pass").cells[1]
    assert cell.metadata["jupyter"] == {"source_hidden": True}
    assert cell.metadata["cellView"] == "form"
    assert cell.source.splitlines()[0] == "#@title Solution 2", "Colab titles the form with it"
    assert ast.dump(ast.parse(cell.source)) == ast.dump(ast.parse(solution))
    nbformat.validate(notebooks.reader_notebook(executed, "pass"))


@pytest.mark.parametrize(
    ("source", "titled"),
    [
        ("# Solution 1\nx = 1", "#@title Solution 1\nx = 1"),
        ("x = 1", "#@title Show code\nx = 1"),
        ("# @title Kept\nx = 1", "# @title Kept\nx = 1"),
        ("", "#@title Show code\n"),
    ],
)
def test_a_hidden_cell_gets_a_colab_title_line_that_is_a_comment(source: str, titled: str) -> None:
    assert notebooks.colab_form_source(source) == titled


def test_markdown_cells_are_rewritten_and_code_cells_are_not() -> None:
    executed = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Page"), nbformat.v4.new_code_cell("# Page")]
    )
    notebook = notebooks.reader_notebook(executed, "pass", markdown=str.upper)
    assert [cell.source for cell in notebook.cells[1:]] == ["# PAGE", "# Page"]


PAGE = (
    NOTEBOOK_HEADER
    + """\
# Page

```{{code-cell}} ipython3
import {module}
print("ran")
```
"""
)


def make_site(root: Path, module: str) -> Path:
    source = root / "src"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        'extensions = ["myst_nb", "output.notebooks"]\n'
        'html_theme = "sphinx_book_theme"\n'
        'nb_execution_mode = "force"\n'
        f"notebooks_repository = {REPOSITORY!r}\n"
        'notebooks_requirements = {"torch": "torch>=2.4"}\n'
        'notebooks_binder_requirements = ["torch==2.13.0"]\n',
        encoding="utf-8",
    )
    (source / "index.md").write_text(PAGE.format(module=module), encoding="utf-8")
    return source


def build(source: Path) -> subprocess.CompletedProcess[str]:
    # build/html, so that the notebooks tree lands in build/notebooks.
    return sphinx(source, "-q", output=source.parent / "build" / "html")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_built_page_offers_its_notebook_and_launch_buttons(tmp_path: Path) -> None:
    source = make_site(tmp_path, "torch")
    result = build(source)
    assert result.returncode == 0, result.stderr
    html_dir = tmp_path / "build" / "html"
    download = html_dir / "_sources" / "index.ipynb"
    published = tmp_path / "build" / "notebooks" / "index.ipynb"
    assert download.read_text(encoding="utf-8") == published.read_text(encoding="utf-8")
    cells = read_json(download)["cells"]
    assert 'find_spec("torch")' in "".join(cells[0]["source"])
    assert cells[-1]["outputs"][0]["text"] == ["ran\n"], "the notebook keeps its outputs"
    page = (html_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="_sources/index.ipynb"' in page
    assert 'href="_sources/index.md"' in page
    assert "colab.research.google.com/github/owner/name/blob/notebooks/index.ipynb" in page
    assert "mybinder.org/v2/gh/owner/name/notebooks?urlpath=lab/tree/index.ipynb" in page
    requirements = (tmp_path / "build" / "notebooks" / "requirements.txt").read_text("utf-8")
    assert "--index-url https://download.pytorch.org/whl/cpu" in requirements
    assert requirements.rstrip().endswith("torch==2.13.0")


@pytest.mark.slow
def test_a_page_importing_a_module_without_requirement_fails_the_build(tmp_path: Path) -> None:
    source = make_site(tmp_path, "yaml")
    result = build(source)
    assert result.returncode != 0
    assert f"{source / 'index.md'}:1: WARNING: the page imports yaml" in result.stderr


@pytest.mark.parametrize("requirements", [{"torch": 2}, {3: "torch"}, {"torch": ["torch"]}])
def test_requirements_that_are_not_strings_are_refused_by_name(requirements: object) -> None:
    config = types.SimpleNamespace(
        notebooks_repository=REPOSITORY, notebooks_requirements=requirements
    )
    with pytest.raises(ConfigError, match="notebooks_requirements"):
        notebooks._check_config(None, config)  # type: ignore[arg-type]
