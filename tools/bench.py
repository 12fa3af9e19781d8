"""Measure how long the docs take to build, against the floor set by the pages' own code.

Run by ``nox -s bench``. Everything happens in a copy of ``docs/``, ``src/`` and
``pyproject.toml`` in a temporary folder, so the repository and its build
folder are left alone. Printed, each with its ratio to the floor:

* floor: all pages' code run in one Python process that imports torch once,
  plus the same build with execution switched off;
* cold: the strict build with an empty execution cache;
* no change: the same build again;
* one page edited: a comment added to a code cell of one page (which pages
  re-executed, and that page's own execution time, are printed too);
* package edited: a comment added to a module of ``src/autograd_guide``.

Then, unless ``--no-repro``, a second cold build in another folder is
compared byte for byte with the first (HTML and downloadable notebooks): two
clean builds must be identical, wherever they were made.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRICT = ["-b", "html", "-W", "--keep-going", "-n", "-T", "-q"]
EDITED_PAGE = "docs/pitfalls/leaves.md"
# What is published: the site and the notebooks behind the launch buttons.
# Left out: build/jupyter_execute (MyST-NB's working copies) and the cache.
PUBLISHED = ("html", "notebooks")
EDITED_MODULE = "src/autograd_guide/numerical.py"
# Runs every page's code cells in one process, as page_doctests.py runs them
# under pytest; a cell that raises is expected to on some pages, so errors
# are counted, not fatal (the strict build is what checks them).
FLOOR_SCRIPT = """
import os, sys, time
start = time.perf_counter()
import torch
sys.path.insert(0, "docs/_ext")
from myst_nb.core.read import read_myst_markdown_notebook
from page_doctests import run_cell
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
root = os.getcwd()
for page in sys.argv[1:]:
    os.chdir(os.path.dirname(os.path.join(root, page)))
    cells = read_myst_markdown_notebook(open(os.path.join(root, page), encoding="utf-8").read()).cells
    namespace = {"__name__": "__main__"}
    for cell in cells:
        if cell.cell_type == "code":
            try:
                run_cell(cell.source, namespace, page)
            except Exception:
                pass
    plt.close("all")
print(time.perf_counter() - start)
"""


def copy_project(target: Path, source: Path = ROOT) -> None:
    """Copy what a build reads into ``target``."""
    ignore = shutil.ignore_patterns("__pycache__", "_build", ".ipynb_checkpoints")
    for folder in ("docs", "src"):
        shutil.copytree(source / folder, target / folder, ignore=ignore)
    shutil.copy2(source / "pyproject.toml", target / "pyproject.toml")


def environment(work: Path, execute: str = "") -> dict[str, str]:
    """The build's environment: the copy's package first on the path, the mode chosen."""
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(work / "src"), env.get("PYTHONPATH")]))
    env["AUTOGRAD_GUIDE_EXECUTE"] = execute
    return env


def sphinx(work: Path, out: Path, *, execute: str = "", strict: bool = True) -> float:
    """Build the copy's site into ``out``; return the seconds it took."""
    options = STRICT if strict else ["-b", "html", "-q"]
    command = [sys.executable, "-m", "sphinx", *options, "docs", str(out)]
    start = time.perf_counter()
    # Without execution every pinned cell shows nothing: those warnings are expected.
    quiet = {} if strict else {"stderr": subprocess.DEVNULL}
    result = subprocess.run(command, cwd=work, env=environment(work, execute), check=False, **quiet)
    seconds = time.perf_counter() - start
    if result.returncode != 0 and strict:
        sys.exit(f"build failed: {' '.join(command)}")
    return seconds


def cache_records(out: Path) -> dict[tuple[str, str], tuple[str, float]]:
    """Cached executions beside ``out``: (hash, time stored) -> (page, execution seconds).

    The hash is of the page's code only, so a page that ran again after a
    package edit keeps its hash; the time it was stored tells the runs apart.
    """
    from jupyter_cache import get_cache

    records = {}
    for folder in (out.parent / ".jupyter_cache").glob("*"):
        for record in get_cache(str(folder)).list_cache_records():
            seconds = (record.data or {}).get("execution_seconds", 0.0)
            key = (record.hashkey, record.created.isoformat())
            records[key] = (Path(record.uri).name, seconds)
    return records


def executed_during(
    work: Path, out: Path, edit: contextlib.AbstractContextManager[None]
) -> tuple[float, dict[str, float]]:
    """Rebuild after ``edit``; return the seconds and the pages executed, with their times."""
    before = cache_records(out)
    with edit:
        seconds = sphinx(work, out)
    after = cache_records(out)
    executed = {page: run for key, (page, run) in after.items() if key not in before}
    return seconds, executed


@contextlib.contextmanager
def appended(path: Path, text: str) -> Iterator[None]:
    """Append ``text`` to a file; it stays until the benchmark's folder is removed."""
    with path.open("a", encoding="utf-8") as file:
        file.write(text)
    yield


def differing_files(first: Path, second: Path) -> list[str]:
    """Files that are not byte-identical (or exist in one tree only) between two builds.

    Sphinx's ``.doctrees`` (its cache of parsed pages, pickles that hold the
    build's own paths) are left out: they are not something a reader gets.
    """
    different = []

    def files(root: Path) -> set[Path]:
        paths = (path.relative_to(root) for path in root.rglob("*") if path.is_file())
        return {path for path in paths if path.parts[0] != ".doctrees"}

    names = files(first) | files(second)
    for name in sorted(names):
        a, b = first / name, second / name
        if not (a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)):
            different.append(name.as_posix())
    return different


def main() -> int:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-repro", action="store_true", help="skip the second cold build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="autograd-guide-bench-") as temporary:
        # One copy taken at the start, so edits made while this runs change nothing.
        pristine = Path(temporary) / "pristine"
        copy_project(pristine)
        work = Path(temporary) / "a"
        copy_project(work, pristine)
        pages = sorted(
            str(page.relative_to(work))
            for page in (work / "docs").rglob("*.md")
            if not any(part.startswith("_") for part in page.relative_to(work).parts)
        )
        run = subprocess.run(
            [sys.executable, "-c", FLOOR_SCRIPT, *pages],
            cwd=work,
            env=environment(work),
            check=False,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            sys.exit(f"bench: running the pages' code in one process failed:\n{run.stderr}")
        floor_run = float(run.stdout.split()[-1])
        floor_off = sphinx(work, work / "off" / "html", execute="off", strict=False)
        floor = floor_run + floor_off
        out = work / "build" / "html"
        cold = sphinx(work, out)
        # What a clean build produced, before the edits below change it.
        snapshot = Path(temporary) / "snapshot"
        for published in PUBLISHED:
            shutil.copytree(work / "build" / published, snapshot / published)
        warm = sphinx(work, out)
        new_cell = "\n```{code-cell} ipython3\n# edited by the benchmark\n```\n"
        page_seconds, page_executed = executed_during(
            work, out, appended(work / EDITED_PAGE, new_cell)
        )
        package_seconds, package_executed = executed_during(
            work, out, appended(work / EDITED_MODULE, "\n# edited by the benchmark\n")
        )
        edited = Path(EDITED_PAGE).name
        own = page_executed.get(edited, float("nan"))
        rows = [
            ("floor: all code in one process", floor_run, ""),
            ("floor: build, execution off", floor_off, ""),
            ("floor (sum)", floor, "target"),
            ("cold build, empty cache", cold, "<= 1.5"),
            ("no-change rebuild", warm, "<= 3 s"),
            (f"one page edited ({edited})", page_seconds, f"<= {own:.1f} + 3 s"),
            (f"package edited ({Path(EDITED_MODULE).name})", package_seconds, ""),
        ]
        print(f"\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
        print(f"{'measure':40} {'seconds':>8} {'x floor':>8}  target")
        for name, seconds, target in rows:
            print(f"{name:40} {seconds:8.1f} {seconds / floor:8.2f}  {target}")
        print(f"\nre-executed after the page edit: {', '.join(sorted(page_executed)) or 'none'}")
        print(f"  ({edited} itself ran {own:.1f} s)")
        print(
            f"re-executed after the package edit: {', '.join(sorted(package_executed)) or 'none'}"
        )
        if args.no_repro:
            return 0
        again = Path(temporary) / "b"
        copy_project(again, pristine)
        sphinx(again, again / "build" / "html")
        different = []
        for published in PUBLISHED:
            different += [
                f"{published}/{name}"
                for name in differing_files(snapshot / published, again / "build" / published)
            ]
        if different:
            print(f"\nNOT reproducible: {len(different)} files differ between two clean builds:")
            print("".join(f"  {name}\n" for name in different))
            return 1
        print("\nreproducible: two clean builds are byte-identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
