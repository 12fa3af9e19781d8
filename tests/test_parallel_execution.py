"""Pages missing from the execution cache run side by side before Sphinx reads them.

A page whose execution fails as a whole (a kernel that dies, a cell past the
timeout, a kernel that hangs) fails the build once, naming the page, the cell
and what happened, and runs once.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sites import EXT, sphinx

pytestmark = pytest.mark.slow


def notebook_header(timeout: int | None = None, kernel: str = "python3") -> str:
    """The front matter of a notebook page: its kernel, its own execution timeout if given."""
    own = f"mystnb:\n  execution_timeout: {timeout}\n" if timeout is not None else ""
    return (
        "---\njupytext:\n  text_representation:\n    format_name: myst\n"
        f"kernelspec:\n  display_name: Python 3\n  language: python\n  name: {kernel}\n"
        f"{own}---\n"
    )


def cell(code: str, expected: str | None = None) -> str:
    options = f"---\nexpected: |\n  {expected}\n---\n" if expected is not None else ""
    return f"```{{code-cell}} ipython3\n{options}{code}\n```\n\n"


# The first cell of every page: one line in runs-<page>.txt per run of the page.
COUNT = cell("import os\nwith open(f'runs-{PAGE}.txt', 'a') as f:\n    print(os.getpid(), file=f)")


# A cell that records whether its kernel was forked from the process that had
# imported torch (warm_kernels.py): a new kernel has not imported it.
FORKED = cell(
    "import sys\nwith open(f'forked-{PAGE}.txt', 'w') as f:\n    print('torch' in sys.modules, file=f)"
)


def forked(source: Path, page: str) -> bool:
    """Whether ``page`` ran in a kernel forked from the warm process (it has a FORKED cell)."""
    return (source / f"forked-{page}.txt").read_text(encoding="utf-8") == "True\n"


# A second page that runs quietly: with two pages to run, the kernels are forked.
QUIET = {"quiet": [cell("x = 1")]}


def make_site(
    root: Path,
    pages: dict[str, list[str]],
    *,
    timeout: int | None = None,
    extensions: tuple[str, ...] = ("checks.cell_checks",),
    conf: str = "",
    kernels: dict[str, str] | None = None,
) -> Path:
    """A site of ``pages`` (name: cells) under ``root``; ``kernels`` names a page's kernel."""
    source = root / "docs"
    source.mkdir(parents=True)
    listed = ", ".join(
        repr(name)
        for name in (
            "myst_nb",
            "execution.execution_cache",
            "execution.parallel_execution",
            *extensions,
        )
    )
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        f"extensions = [{listed}]\n"
        'nb_execution_mode = "cache"\n'
        f"{conf}",
        encoding="utf-8",
    )
    toctree = "\n".join(pages)
    (source / "index.md").write_text(
        f"# Site\n\n```{{toctree}}\n{toctree}\n```\n", encoding="utf-8"
    )
    for name, cells in pages.items():
        (source / f"{name}.md").write_text(
            notebook_header(timeout, (kernels or {}).get(name, "python3"))
            + f"# {name}\n\n"
            + "".join(c.replace("{PAGE}", name) for c in cells),
            encoding="utf-8",
        )
    return source


def build(
    source: Path, program: tuple[str, ...] = ("-m", "sphinx")
) -> subprocess.CompletedProcess[str]:
    # Cache mode as on a maintainer's machine, whatever CI says.
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["AUTOGRAD_GUIDE_EXECUTE"] = ""
    return sphinx(source, env=env, program=program)


def runs(source: Path, page: str) -> list[int]:
    """The process ids of the kernels that ran ``page``, one per run."""
    counted = source / f"runs-{page}.txt"
    return [int(line) for line in counted.read_text().split()] if counted.exists() else []


def fence_line(source: Path, page: str, code: str) -> int:
    """The line of the opening fence of the cell whose code starts with ``code``."""
    lines = (source / f"{page}.md").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(code))
    return next(i for i in range(at, 0, -1) if lines[i - 1].startswith("```{code-cell}"))


def cache(root: Path) -> Any:
    """The execution cache of the site built beside ``root / 'docs'``."""
    from jupyter_cache import get_cache

    (folder,) = (root / ".jupyter_cache").iterdir()
    return get_cache(str(folder))


def cached_pages(root: Path) -> set[str]:
    return {Path(record.uri).name for record in cache(root).list_cache_records()}


def warnings(stderr: str) -> list[str]:
    """Sphinx's warnings and errors, and anything Python reports at exit."""
    return [
        line
        for line in stderr.splitlines()
        if ": WARNING: " in line or ": ERROR: " in line or "Traceback" in line
    ]


def test_myst_nbs_configurations_are_read_where_myst_nb_keeps_them(tmp_path: Path) -> None:
    # myst-nb documents no way to get the configurations it reads pages with:
    # they are attributes of the build environment. If myst-nb renames them,
    # this fails with the message that the build would give.
    from myst_nb.core.config import NbParserConfig
    from myst_parser.config.main import MdParserConfig
    from sphinx.application import Sphinx

    from execution.parallel_execution import myst_configs

    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(
        "extensions = ['myst_nb']\nnb_execution_timeout = 7\n", encoding="utf-8"
    )
    (source / "index.md").write_text("# Site\n", encoding="utf-8")
    app = Sphinx(source, source, tmp_path / "html", tmp_path / "doctrees", "html", status=None)
    markdown, notebook = myst_configs(app.env)
    assert isinstance(markdown, MdParserConfig)
    assert isinstance(notebook, NbParserConfig)
    assert notebook.execution_timeout == 7


def test_configurations_that_myst_nb_no_longer_keeps_fail_naming_what_is_missing() -> None:
    from types import SimpleNamespace

    from sphinx.errors import ExtensionError

    from execution.parallel_execution import myst_configs

    with pytest.raises(ExtensionError, match=r"env\.mystnb_config \(found NoneType\)"):
        myst_configs(SimpleNamespace(myst_config=None))


def test_uncached_pages_run_side_by_side_and_then_come_from_the_cache(tmp_path: Path) -> None:
    source = make_site(
        tmp_path,
        {"one": [cell("print(40 + 1)")], "two": [cell("print(40 + 2)")]},
        extensions=(),
    )
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
    # One page to run, in a warm kernel too; the other stays cached.
    assert "executing 1 page, 1 at a time" in second.stdout
    assert "Executing notebook" not in second.stdout
    assert "one.md" not in second.stdout.split("reading sources")[1].split("looking for")[0]
    assert "43" in (tmp_path / "html" / "two.html").read_text(encoding="utf-8")


def test_text_printed_in_pieces_is_stored_as_printed(tmp_path: Path) -> None:
    # The kernel sends what a cell prints every 0.2 s: here the line "a" is
    # sent, then its newline with "b" a moment later. myst-nb strips each
    # piece's end before joining them, which made the page show a blank line.
    code = "import time\nprint('a', end='')\ntime.sleep(0.5)\nprint('\\nb')"
    source = make_site(tmp_path, {"pieces": [cell(code)], **QUIET}, extensions=())
    result = build(source)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "html" / "pieces.html").read_text(encoding="utf-8")
    assert "<pre><span></span>a\nb\n</pre>" in page


def test_a_kernel_that_dies_fails_the_build_once_naming_page_cell_and_cause(
    tmp_path: Path,
) -> None:
    exits = "import os\nos._exit(1)"
    killed = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer does"
    after = cell("print(1)", expected="1")  # never runs: its pin is not reported
    source = make_site(
        tmp_path,
        {
            "exits": [COUNT, cell(exits), after],
            "killed": [COUNT, cell(killed), after],
            "fine": [COUNT, cell("print(40 + 2)", expected="42")],
        },
    )
    for attempt in (1, 2):
        result = build(source)
        assert result.returncode != 0
        assert warnings(result.stderr) == [
            (
                f"{source / 'exits.md'}:{fence_line(source, 'exits', 'os._exit')}: WARNING: "
                "the kernel died while running this cell: its process exited with code 1; "
                "the cells after it did not run [autograd_guide.execution]"
            ),
            (
                f"{source / 'killed.md'}:{fence_line(source, 'killed', 'os.kill')}: WARNING: "
                "the kernel died while running this cell: its process was killed by SIGKILL, "
                "as the out-of-memory killer does; the cells after it did not run "
                "[autograd_guide.execution]"
            ),
        ], result.stderr
        # Each ran once in this build: myst-nb did not run a failed page again.
        assert "Executing notebook" not in result.stdout
        assert (len(runs(source, "exits")), len(runs(source, "killed"))) == (attempt, attempt)
        assert len(runs(source, "fine")) == 1  # cached after the first build
        # What ran of a failed page was shown, then dropped from the cache.
        assert cached_pages(tmp_path) == {"fine.md"}
    assert "42" in (tmp_path / "html" / "fine.html").read_text(encoding="utf-8")


BROKEN_PAGES = {
    # Front matter, cell options that are not YAML; text that is not UTF-8.
    "front matter": notebook_header().removesuffix("---\n").encode()
    + b"a: [\n---\n# one\n\n"
    + cell("print(1)").encode(),
    "cell options": notebook_header().encode()
    + b"# one\n\n```{code-cell} ipython3\n---\na: [\n---\nprint(1)\n```\n",
    "encoding": notebook_header().encode() + b"# one\n\nCaf\xe9.\n\n" + cell("print(1)").encode(),
}


@pytest.mark.parametrize("broken", BROKEN_PAGES)
def test_a_page_that_cannot_be_read_fails_the_build_naming_it(tmp_path: Path, broken: str) -> None:
    # Not an extension error of this project's that names no page: a warning
    # at the page, before Sphinx reads it.
    source = make_site(tmp_path, {"one": [cell("print(1)")], "two": [cell("print(2)", "2")]})
    (source / "one.md").write_bytes(BROKEN_PAGES[broken])
    result = build(source)
    assert result.returncode != 0
    assert "Extension error (execution." not in result.stderr, result.stderr
    assert f"{source / 'one.md'}: WARNING: this page could not be read" in result.stderr
    if broken == "front matter":
        # myst-nb reports the page as it does alone, and the other page runs.
        assert f"{source / 'one.md'}:1: WARNING: Malformed YAML" in result.stderr
        assert "Extension error" not in result.stderr, result.stderr
        assert "Traceback" not in result.stderr + result.stdout, result.stderr
        assert cached_pages(tmp_path) == {"two.md"}
    # Otherwise myst-nb (cell options) or Sphinx (encoding) stops the build
    # as they do without these extensions, a crash of their own.


def test_outputs_of_a_failed_page_left_in_the_cache_are_never_reused(tmp_path: Path) -> None:
    # A build that stopped between storing a failed page's outputs and
    # dropping them leaves them in the cache, marked: the page runs again.
    from jupyter_cache.base import CacheBundleIn

    from execution.parallel_execution import FAILED

    source = make_site(tmp_path, {"page": [COUNT, cell("print(40 + 2)", expected="42")]})
    assert build(source).returncode == 0
    (record,) = cache(tmp_path).list_cache_records()
    notebook = cache(tmp_path).get_cache_bundle(record.pk).nb
    cache(tmp_path).cache_notebook_bundle(
        CacheBundleIn(notebook, record.uri, data={FAILED: True}), overwrite=True
    )
    (source / "page.md").touch()
    result = build(source)
    assert result.returncode == 0, result.stderr
    assert "executing 1 page" in result.stdout
    assert len(runs(source, "page")) == 2


def test_a_cell_past_its_timeout_fails_the_build_once(tmp_path: Path) -> None:
    slow = "import time\ntime.sleep(120)"
    source = make_site(
        tmp_path, {"slow": [COUNT, FORKED, cell(slow), cell("print(1)", "1")], **QUIET}, timeout=3
    )
    start = time.monotonic()
    result = build(source)
    assert time.monotonic() - start < 60
    assert result.returncode != 0
    assert warnings(result.stderr) == [
        (
            f"{source / 'slow.md'}:{fence_line(source, 'slow', 'import time')}: WARNING: "
            "this cell did not finish within the timeout of 3 s: it runs too long, or the kernel "
            "stopped answering (the timeout is nb_execution_timeout in conf.py, or "
            "`mystnb: execution_timeout` in the page's front matter); the cells after it did not "
            "run [autograd_guide.execution]"
        )
    ], result.stderr
    assert len(runs(source, "slow")) == 1
    assert forked(source, "slow")


def test_a_kernel_that_hangs_fails_the_build_once_and_is_stopped(tmp_path: Path) -> None:
    # A kernel that answers nothing any more, not even to be shut down.
    hangs = "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)"
    source = make_site(
        tmp_path, {"hangs": [COUNT, FORKED, cell(hangs), cell("print(1)", "1")], **QUIET}, timeout=3
    )
    start = time.monotonic()
    result = build(source)
    assert time.monotonic() - start < 90
    assert result.returncode != 0
    (warning,) = warnings(result.stderr)
    assert warning.startswith(
        f"{source / 'hangs.md'}:{fence_line(source, 'hangs', 'import os, signal')}: WARNING: "
        "this cell did not finish within the timeout of 3 s: it runs too long, or the kernel "
        "stopped answering"
    )
    assert forked(source, "hangs")
    (kernel,) = runs(source, "hangs")
    assert not Path(f"/proc/{kernel}").exists(), "the hung kernel is still there"


def test_a_kernel_that_never_answers_fails_the_build_once(tmp_path: Path) -> None:
    # The kernel hangs as it starts (here in a startup script of its profile):
    # no cell runs.
    profile = tmp_path / "ipython" / "profile_default" / "startup"
    profile.mkdir(parents=True)
    (profile / "00-hang.py").write_text("import time\ntime.sleep(600)\n", encoding="utf-8")
    source = make_site(
        tmp_path,
        {"silent": [COUNT], **QUIET},
        timeout=3,
        conf=f"import os\nos.environ['IPYTHONDIR'] = {str(tmp_path / 'ipython')!r}\n",
    )
    start = time.monotonic()
    result = build(source)
    assert time.monotonic() - start < 90
    assert result.returncode != 0
    # Both pages' kernels read the profile. Nothing is reported at exit either:
    # once nbclient has started a kernel that fails to answer, it leaves a
    # clean-up behind that fails when Python exits, so the kernels are started
    # here and nbclient only runs the cells.
    assert warnings(result.stderr) == [
        f"{source / page}: WARNING: the kernel did not start: RuntimeError: "
        "Kernel didn't respond in 3 seconds; no cell ran [autograd_guide.execution]"
        for page in ("quiet.md", "silent.md")
    ], result.stderr
    assert runs(source, "silent") == []


def kernel(root: Path, name: str, wait: float = 0) -> Path:
    """A kernel specification ``name`` under ``root / 'jupyter'`` whose interpreter is a script.

    The script runs this Python (so that it has ipykernel), after ``wait``
    seconds, and records the arguments it is given in ``root / 'argv-<name>.txt'``.
    Returns the script.
    """
    interpreter = root / f"{name}-python"
    interpreter.write_text(
        f'#!/bin/sh\necho "$@" > {shlex.quote(str(root / f"argv-{name}.txt"))}\n'
        f"sleep {wait}\n"
        f'exec {shlex.quote(sys.executable)} "$@"\n'
    )
    interpreter.chmod(0o755)
    spec = root / "jupyter" / "kernels" / name
    spec.mkdir(parents=True)
    argv = [str(interpreter), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"}),
        encoding="utf-8",
    )
    return interpreter


def jupyter_path(root: Path) -> str:
    """The lines of conf.py that make the kernels of ``kernel(root, ...)`` found."""
    return f"import os\nos.environ['JUPYTER_PATH'] = {str(root / 'jupyter')!r}\n"


# A cell that records the kernel's history database: nbclient asks an IPython
# kernel ("python3") for none, and leaves other kernels' command alone.
HISTORY = cell(
    "with open(f'history-{PAGE}.txt', 'w') as f:\n"
    "    print(get_ipython().history_manager.hist_file, file=f)"
)


def test_a_page_whose_kernel_is_another_interpreter_runs_in_a_new_kernel(
    tmp_path: Path,
) -> None:
    # The fork server is a copy of the build's own Python: a kernel
    # specification that names another interpreter gets a new process, as on
    # macOS and Windows, instead of a failure. Here "another interpreter" is a
    # script that runs this one.
    interpreter = kernel(tmp_path, "other")
    source = make_site(
        tmp_path,
        {
            "other": [COUNT, FORKED, HISTORY, cell("print(40 + 2)", "42")],
            "usual": [FORKED, HISTORY],
        },
        kernels={"other": "other"},
        # The other kernel keeps its history where IPython would, here.
        conf=jupyter_path(tmp_path) + f"os.environ['IPYTHONDIR'] = {str(tmp_path / 'ipython')!r}\n",
    )
    result = build(source)
    assert result.returncode == 0, result.stderr
    assert "in kernels forked from a process that imported torch" in result.stdout
    assert (
        f"{source / 'other.md'}: ran in a new kernel: the fork server runs {sys.executable}, "
        f"not the kernel's {interpreter}" in result.stdout
    )
    assert (forked(source, "other"), forked(source, "usual")) == (False, True)
    assert len(runs(source, "other")) == 1
    assert "42" in (tmp_path / "html" / "other.html").read_text(encoding="utf-8")
    # As nbclient starts kernels: no history database for an IPython kernel,
    # and no argument of IPython's for a kernel that may not be one.
    assert (source / "history-usual.txt").read_text(encoding="utf-8") == ":memory:\n"
    assert "HistoryManager" not in (tmp_path / "argv-other.txt").read_text(encoding="utf-8")
    assert (source / "history-other.txt").read_text(encoding="utf-8") != ":memory:\n"


@pytest.mark.parametrize(("timeout", "seconds"), [(30, 30), (-1, None), (None, None), (0, None)])
def test_a_timeout_of_minus_one_or_none_is_no_timeout_as_for_nbclient(
    timeout: int | None, seconds: int | None
) -> None:
    from execution.parallel_execution import timeout_seconds

    assert timeout_seconds(timeout) == seconds


def test_a_page_without_a_timeout_waits_for_a_kernel_slow_to_start(tmp_path: Path) -> None:
    # `execution_timeout: -1` is nbclient's "no timeout": nothing is bounded,
    # not the kernel's start either (here two seconds).
    kernel(tmp_path, "slow", wait=2)
    source = make_site(
        tmp_path,
        {"page": [COUNT, cell("print(40 + 2)", "42")]},
        timeout=-1,
        kernels={"page": "slow"},
        conf=jupyter_path(tmp_path),
    )
    result = build(source)
    assert result.returncode == 0, result.stderr
    assert "executing 1 page" in result.stdout
    assert "Executing notebook" not in result.stdout
    assert len(runs(source, "page")) == 1
    assert "42" in (tmp_path / "html" / "page.html").read_text(encoding="utf-8")


# Sphinx, with the execution cache failing to store the first notebook it is given.
STORE_FAILS_ONCE = (
    "import sys\n"
    "from jupyter_cache.cache.main import JupyterCacheBase\n"
    "store = JupyterCacheBase.cache_notebook_bundle\n"
    "calls = []\n"
    "def fails_once(self, *args, **kwargs):\n"
    "    calls.append(1)\n"
    "    if len(calls) == 1:\n"
    "        raise OSError('No space left on device')\n"
    "    return store(self, *args, **kwargs)\n"
    "JupyterCacheBase.cache_notebook_bundle = fails_once\n"
    "from sphinx.cmd.build import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_outputs_the_cache_cannot_store_fail_the_build_naming_the_page(tmp_path: Path) -> None:
    source = make_site(tmp_path, {"page": [COUNT, cell("print(40 + 2)", "42")]})
    result = build(source, program=("-c", STORE_FAILS_ONCE))
    assert result.returncode != 0
    assert warnings(result.stderr) == [
        (
            f"{source / 'page.md'}: WARNING: the page ran, but the execution cache could not "
            "store its outputs: OSError: No space left on device; myst-nb runs it again "
            "[autograd_guide.execution]"
        )
    ], result.stderr
    # myst-nb found nothing in the cache and ran the page itself, once.
    assert "Executing notebook" in result.stdout
    assert len(runs(source, "page")) == 2
    assert "42" in (tmp_path / "html" / "page.html").read_text(encoding="utf-8")


FORCE_NEW_KERNELS = (
    "import sys\n"
    f"sys.path.insert(0, {str(EXT)!r})\n"
    "from execution import warm_kernels\n"
    "warm_kernels.fork_is_safe = lambda: False  # as on macOS or Windows\n"
    "from sphinx.cmd.build import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_without_fork_pages_run_side_by_side_in_new_kernels(tmp_path: Path) -> None:
    fresh = cell("import sys\nprint('torch' in sys.modules)", expected="False")
    source = make_site(
        tmp_path,
        {"one": [COUNT, fresh], "two": [COUNT, fresh], "exits": [cell("import os\nos._exit(3)")]},
    )
    result = build(source, program=("-c", FORCE_NEW_KERNELS))
    workers = min(3, os.cpu_count() or 1)
    assert (
        f"executing 3 pages, {workers} at a time, in new kernels: "
        "fork is not safe on this platform" in result.stdout
    )
    # A new process has not imported torch, a copy of the fork server has.
    assert "Executing notebook" not in result.stdout
    assert warnings(result.stderr) == [
        (
            f"{source / 'exits.md'}:{fence_line(source, 'exits', 'import os')}: WARNING: "
            "the kernel died while running this cell: its process exited with code 3; "
            "the cells after it did not run [autograd_guide.execution]"
        )
    ], result.stderr
    assert len(runs(source, "one")) == len(runs(source, "two")) == 1
    # Each kernel was stopped once its page had run: nbclient, given the
    # kernel, leaves that to its owner.
    for kernel in runs(source, "one") + runs(source, "two"):
        assert not Path(f"/proc/{kernel}").exists(), f"kernel {kernel} is still running"
