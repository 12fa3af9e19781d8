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

Then, unless ``--no-repro``, more clean builds, each in a folder of its own,
are compared file by file, byte for byte, with the first (the HTML and the
downloadable notebooks): clean builds must be identical, wherever they were
made and however busy the machine was. They take turns at two kinds of
stress, and both at once:

* the processors kept busy by other processes (two per processor), as on a
  shared machine;
* the kernels sending what cells print in pieces of a millisecond instead of
  every 0.2 s (a start-up file in the copy's kernel profile), the extreme of
  what a busy machine does to them. A print split before its newline once put
  a blank line in a printed table, in one build in several
  (``parallel_execution.py`` says how); busy processors alone made that
  happen too rarely for a few builds to catch, pieces make it happen on every
  build.

Each differing file is named, with the start of its difference, and the
benchmark fails. ``--builds N`` sets how many clean builds are compared (4 by
default, the measured one included).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
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
from checks.page_doctests import run_cell
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


@contextlib.contextmanager
def busy_processors(busy: bool) -> Iterator[None]:
    """Keep every processor busy with other work, twice over, while the block runs."""
    spinners = []
    if busy:
        count = 2 * (os.cpu_count() or 1)
        spinners = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)
        ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


# A start-up file of the kernel's profile (docs/_ipython, which conf.py
# points the kernels to): what cells print is sent every millisecond.
# It runs in the page's namespace, so it leaves no name behind.
IN_PIECES = """\
import sys as _sys
for _stream in (_sys.stdout, _sys.stderr):
    _stream.flush_interval = 0.001
del _sys, _stream
"""
# The stresses that the clean builds after the first take turns at.
STRESSES = (
    ("processors busy", True, False),
    ("output in pieces", False, True),
    ("processors busy, output in pieces", True, True),
)


def first_difference(first: Path, second: Path, lines: int = 12) -> str:
    """The start of the difference between two files, as a unified diff (text files only)."""
    try:
        a = first.read_text(encoding="utf-8").splitlines()
        b = second.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return "    (binary, or in one build only)\n"
    diff = list(difflib.unified_diff(a, b, "first build", "this build", lineterm="", n=1))
    return "".join(f"    {line[:160]}\n" for line in diff[:lines])


def reproducibility(pristine: Path, temporary: Path, snapshot: Path, builds: int) -> list[str]:
    """Build ``builds - 1`` more clean copies; describe each file that differs from ``snapshot``."""
    report = []
    for number in range(2, builds + 1):
        how, busy, in_pieces = STRESSES[(number - 2) % len(STRESSES)]
        work = temporary / f"clean-{number}"
        copy_project(work, pristine)
        if in_pieces:
            startup = work / "docs" / "_ipython" / "profile_default" / "startup"
            startup.mkdir(parents=True, exist_ok=True)
            (startup / "00-bench-output-in-pieces.py").write_text(IN_PIECES, encoding="utf-8")
        with busy_processors(busy):
            seconds = sphinx(work, work / "build" / "html")
        print(f"clean build {number} of {builds} ({how}): {seconds:.1f} s", flush=True)
        for published in PUBLISHED:
            first, this = snapshot / published, work / "build" / published
            report.extend(
                f"  {published}/{name} (clean build {number}, {how})\n"
                + first_difference(first / name, this / name)
                for name in differing_files(first, this)
            )
        shutil.rmtree(work)
    return report


def main() -> int:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-repro", action="store_true", help="skip the reproducibility check")
    parser.add_argument(
        "--builds",
        type=int,
        default=4,
        help="clean builds compared, the measured one included (default 4, at least 2)",
    )
    args = parser.parse_args()
    if args.builds < 2:
        parser.error("--builds needs at least 2 builds to compare")
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
        start = time.perf_counter()
        report = reproducibility(pristine, Path(temporary), snapshot, args.builds)
        seconds = time.perf_counter() - start
        if report:
            print(f"\nNOT reproducible: {len(report)} files differ from the first clean build:")
            print("".join(report))
            return 1
        print(
            f"\nreproducible: {args.builds} clean builds, all but the first under stress,"
            f" are byte-identical ({seconds:.0f} s for the {args.builds - 1} more builds)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
