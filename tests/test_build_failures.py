"""The docs build: a failing cell fails it with page, line, source and error; caches cannot go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import execution_cache
import pytest

EXT = Path(__file__).resolve().parents[1] / "docs" / "_ext"
PAGE_HEADER = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  name: python3
---
"""


def make_site(root: Path, cell: str, tags: str = "") -> Path:
    source = root / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        'extensions = ["myst_nb", "cell_failures"]\n'
        'nb_execution_mode = "force"\n'
        "nb_execution_show_tb = True\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text(
        PAGE_HEADER + "# Site\n\n```{toctree}\npage\n```\n", encoding="utf-8"
    )
    options = f":tags: [{tags}]\n" if tags else ""
    (source / "page.md").write_text(
        PAGE_HEADER + f"# Page\n\nText.\n\n```{{code-cell}} ipython3\n{options}{cell}\n```\n",
        encoding="utf-8",
    )
    return source


def build(source: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            str(source),
            str(source.parent / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


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
    source = make_site(tmp_path, 'raise RuntimeError("on purpose")', tags="raises-exception")
    result = build(source)
    assert result.returncode == 0, result.stderr


def test_the_execution_cache_key_changes_with_the_helper_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "src" / "autograd_guide"
    package.mkdir(parents=True)
    (package / "jacobian.py").write_text("def jacobian(): ...\n", encoding="utf-8")
    monkeypatch.setattr(execution_cache, "ROOT", tmp_path)
    monkeypatch.setattr(execution_cache, "PACKAGE", package)
    before = execution_cache.execution_key()
    assert execution_cache.execution_key() == before
    (package / "jacobian.py").write_text("def jacobian(): return 1\n", encoding="utf-8")
    assert execution_cache.execution_key() != before


def test_the_execution_cache_key_changes_with_the_torch_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = execution_cache.execution_key()
    real_version = execution_cache.metadata.version

    def version(name: str) -> str:
        return "9.9.9" if name == "torch" else real_version(name)

    monkeypatch.setattr(execution_cache.metadata, "version", version)
    assert execution_cache.execution_key() != before
