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

from noxfile_module import FakeSession, load_noxfile, run_under_install_only
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
    path = notebooks.notebook_path("en", "math/forward-mode")
    urls = notebooks.launch_urls(REPOSITORY + "/", "notebooks", path)
    assert urls == {
        "Colab": "https://colab.research.google.com/github/owner/name/blob/notebooks/"
        "math/forward-mode.ipynb",
        "Binder": "https://mybinder.org/v2/gh/owner/name/notebooks"
        "?urlpath=lab/tree/math/forward-mode.ipynb",
    }


def test_a_translated_edition_s_notebooks_are_in_the_folder_of_its_language() -> None:
    path = notebooks.notebook_path("zh_CN", "math/forward-mode")
    assert path == "zh_CN/math/forward-mode.ipynb"
    assert notebooks.launch_urls(REPOSITORY, "notebooks", path) == {
        "Colab": "https://colab.research.google.com/github/owner/name/blob/notebooks/"
        "zh_CN/math/forward-mode.ipynb",
        "Binder": "https://mybinder.org/v2/gh/owner/name/notebooks"
        "?urlpath=lab/tree/zh_CN/math/forward-mode.ipynb",
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


def test_the_install_cell_s_comment_comes_from_the_interface_catalog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    english = notebooks.install_cell_source(["surely_not_installed"], {"surely_not_installed": "x"})
    assert english.startswith(
        "# Installs what this page imports, where it is missing (Colab has torch but not\n"
        "# autograd_guide). Run it first; it does nothing where everything is installed.\n"
    )
    chinese = {notebooks.INSTALL_COMMENT: "安装本页导入的包。\n请先运行它。"}
    monkeypatch.setattr(notebooks, "translate", chinese.__getitem__)
    source = notebooks.install_cell_source(["surely_not_installed"], {"surely_not_installed": "x"})
    assert source.startswith("# 安装本页导入的包。\n# 请先运行它。\nimport importlib.util\n")
    assert source.split("import importlib.util")[1] == english.split("import importlib.util")[1]
    assert run_install_cell(source) == [("pip", 'install --quiet "x"')]


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


def test_the_checks_the_page_hides_are_collapsed_too_titled_in_the_editions_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executed = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "# The curve rises\nassert True", metadata={"tags": ["remove-cell"]}
            ),
            nbformat.v4.new_code_cell("assert 1 + 1 == 2", metadata={"tags": ["remove-cell"]}),
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["hide-cell"]}),
            nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["remove-output"]}),
        ]
    )
    cells = notebooks.reader_notebook(executed, "pass").cells[1:]
    assert [cell.source.splitlines()[0] for cell in cells] == [
        "#@title The curve rises",
        f"#@title {notebooks.HIDDEN_CHECK}",
        "#@title Show code",
        "print(1)",  # its code is on the page: not collapsed
    ]
    assert [cell.metadata.get("cellView") for cell in cells] == ["form", "form", "form", None]
    chinese = {notebooks.SHOW_CODE: "显示代码", notebooks.HIDDEN_CHECK: "隐藏的检查"}
    monkeypatch.setattr(notebooks, "translate", chinese.__getitem__)
    cells = notebooks.reader_notebook(executed, "pass").cells[1:]
    assert [cell.source.splitlines()[0] for cell in cells[1:3]] == [
        "#@title 隐藏的检查",
        "#@title 显示代码",
    ]


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


CATALOG = """\
msgid "Page"
msgstr "页面"

msgid "Run the cell."
msgstr "运行这个单元格。"
"""


def make_editions(root: Path, catalog: str = CATALOG) -> Path:
    """A site of one page with a paragraph, and its catalog in Chinese."""
    source = make_site(root, "torch")
    with (source / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('locale_dirs = ["locales"]\ngettext_compact = False\n')
    page = source / "index.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("# Page\n", "# Page\n\nRun the cell.\n"),
        encoding="utf-8",
    )
    messages = source / "locales" / "zh_CN" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "index.po").write_text(catalog, encoding="utf-8")
    return source


def build_chinese(source: Path) -> subprocess.CompletedProcess[str]:
    # As the docs session does: beside the English site, in a folder of the language.
    output = source.parent / "build" / "zh_CN" / "html"
    return sphinx(source, "-q", "-D", "language=zh_CN", output=output)


def cells_of(path: Path, kind: str) -> list[dict[str, Any]]:
    return [cell for cell in read_json(path)["cells"] if cell["cell_type"] == kind]


@pytest.mark.slow
def test_a_translated_edition_writes_translated_notebooks_that_its_buttons_open(
    tmp_path: Path,
) -> None:
    source = make_editions(tmp_path)
    assert build(source).returncode == 0
    result = build_chinese(source)
    assert result.returncode == 0, result.stderr
    build_dir = tmp_path / "build"
    english = build_dir / "notebooks" / "index.ipynb"
    published = build_dir / "zh_CN" / "notebooks" / "zh_CN" / "index.ipynb"
    download = build_dir / "zh_CN" / "html" / "_sources" / "index.ipynb"
    assert download.read_text(encoding="utf-8") == published.read_text(encoding="utf-8")
    markdown = ["".join(cell["source"]) for cell in cells_of(published, "markdown")]
    assert markdown == ["# 页面\n\n运行这个单元格。"]
    # The code and its outputs are the English notebook's.
    code, english_code = cells_of(published, "code"), cells_of(english, "code")
    assert [cell["outputs"] for cell in code] == [cell["outputs"] for cell in english_code]
    assert [cell["source"] for cell in code[1:]] == [cell["source"] for cell in english_code[1:]]
    assert not (build_dir / "zh_CN" / "notebooks" / "requirements.txt").exists()
    page = (build_dir / "zh_CN" / "html" / "index.html").read_text(encoding="utf-8")
    assert 'href="_sources/index.ipynb"' in page
    assert "colab.research.google.com/github/owner/name/blob/notebooks/zh_CN/index.ipynb" in page
    assert "mybinder.org/v2/gh/owner/name/notebooks?urlpath=lab/tree/zh_CN/index.ipynb" in page


@pytest.mark.slow
def test_text_a_translated_edition_lacks_fails_its_build_naming_page_and_text(
    tmp_path: Path,
) -> None:
    source = make_editions(tmp_path, CATALOG.replace("运行这个单元格。", ""))
    result = build_chinese(source)
    assert result.returncode != 0
    assert (
        f"{source / 'index.md'}:1: WARNING: the page's zh_CN notebook would show English: "
        "not translated in "
    ) in result.stderr
    assert "index.po: 'Run the cell.'" in result.stderr
    assert not (tmp_path / "build" / "zh_CN" / "notebooks" / "zh_CN" / "index.ipynb").exists()


@pytest.mark.slow
def test_a_catalog_the_notebook_cannot_read_fails_the_build_naming_the_page(
    tmp_path: Path,
) -> None:
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=nonsense\\n"\n\n'
    source = make_editions(tmp_path, header + CATALOG)
    result = build_chinese(source)
    assert result.returncode != 0
    assert (
        f"{source / 'index.md'}:1: WARNING: the page's zh_CN notebook would show English: "
        "could not read the catalog "
    ) in result.stderr
    assert "index.po: LookupError: unknown encoding: nonsense" in result.stderr
    assert "threw an exception" not in result.stderr


def test_the_docs_session_puts_each_edition_s_notebooks_in_the_published_tree(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    noxfile = load_noxfile()
    build_dir = tmp_path / "build"
    (tmp_path / "locales" / "zh_CN").mkdir(parents=True)
    monkeypatch.setattr(noxfile, "LOCALES", tmp_path / "locales")
    stale = build_dir / "notebooks" / "zh_CN" / "removed.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")

    class BuildingSession(FakeSession):
        """Runs sphinx-build as far as writing one notebook where Sphinx would."""

        def run(self, *args: Any, **kwargs: Any) -> str:
            super().run(*args, **kwargs)
            if args[0] == "sphinx-build":
                html = Path(args[-1])
                define = [arg for arg in args if arg.startswith("--define=language=")]
                language = define[0].rpartition("=")[2] if define else "en"
                path = notebooks.notebook_path(language, "math/notation")
                target = html.parent / "notebooks" / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(language, encoding="utf-8")
                html.mkdir(parents=True, exist_ok=True)
            return ""

    commands = run_under_install_only(noxfile, "docs", monkeypatch, tmp_path, BuildingSession)
    assert sum(command.args[:1] == ("sphinx-build",) for command in commands) == 2
    published = build_dir / "notebooks"
    assert (published / "math" / "notation.ipynb").read_text(encoding="utf-8") == "en"
    assert (published / "zh_CN" / "math" / "notation.ipynb").read_text(encoding="utf-8") == "zh_CN"
    assert not stale.exists()


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
