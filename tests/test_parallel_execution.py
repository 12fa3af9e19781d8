"""Pages missing from the execution cache run side by side before Sphinx reads them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sites import EXT, NOTEBOOK_HEADER, sphinx


def make_site(root: Path, pages: dict[str, str]) -> Path:
    source = root / "docs"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        'extensions = ["myst_nb", "execution_cache", "parallel_execution"]\n'
        'nb_execution_mode = "cache"\n',
        encoding="utf-8",
    )
    toctree = "\n".join(pages)
    (source / "index.md").write_text(
        f"# Site\n\n```{{toctree}}\n{toctree}\n```\n", encoding="utf-8"
    )
    for name, code in pages.items():
        (source / f"{name}.md").write_text(
            NOTEBOOK_HEADER + f"# {name}\n\n```{{code-cell}} ipython3\n{code}\n```\n",
            encoding="utf-8",
        )
    return source


def build(source: Path) -> subprocess.CompletedProcess[str]:
    # Cache mode as on a maintainer's machine, whatever CI says.
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["AUTOGRAD_GUIDE_EXECUTE"] = ""
    return sphinx(source, env=env)


@pytest.mark.slow
def test_uncached_pages_run_side_by_side_and_then_come_from_the_cache(tmp_path: Path) -> None:
    source = make_site(tmp_path, {"one": "print(40 + 1)", "two": "print(40 + 2)"})
    first = build(source)
    assert first.returncode == 0, first.stderr
    workers = min(2, os.cpu_count() or 1)
    assert f"executing 2 pages, {workers} at a time" in first.stdout
    # MyST-NB executed nothing itself: it found both pages in the cache.
    assert "Executing notebook" not in first.stdout
    assert first.stdout.count("Using cached notebook") == 2
    for name, shown in (("one", "41"), ("two", "42")):
        assert shown in (tmp_path / "html" / f"{name}.html").read_text(encoding="utf-8")
    (source / "two.md").write_text(
        (source / "two.md").read_text(encoding="utf-8").replace("40 + 2", "40 + 3"),
        encoding="utf-8",
    )
    second = build(source)
    assert second.returncode == 0, second.stderr
    # One page to run: MyST-NB runs it as usual, the other stays cached.
    assert "executing 1 pages" not in second.stdout
    assert "two.md: Executing notebook" in second.stdout
    assert "one.md" not in second.stdout.split("reading sources")[1].split("looking for")[0]
    assert "43" in (tmp_path / "html" / "two.html").read_text(encoding="utf-8")
