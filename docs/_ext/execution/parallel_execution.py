"""Execute the pages that need it in parallel, before Sphinx reads them one by one.

myst-nb executes each page when Sphinx reads it, one page at a time, and most
of a page's time is the kernel starting and importing torch, which leaves the
other core idle. In ``cache`` mode, this extension first finds the pages about
to be read whose code has no cached outputs and starts running them in one
kernel each, as many at once as there are cores, with Jupyter's notebook
client and the options myst-nb would use (the page's timeout, errors allowed
as ``cell_checks.py`` sets); on Linux each kernel is forked from a process
that has imported torch already (``warm_kernels.py``, which says why not
elsewhere), except for a lone page, which a new kernel runs as quickly. As
Sphinx comes to each page, it waits for that page's run and stores the result
in the cache, where myst-nb then finds it. myst-nb itself executes pages only
when Sphinx reads in parallel (``-j``), which the running threads would not follow.

Each cell's printed text is stored as one piece. The kernel sends what a cell
prints every 0.2 seconds, so on a busy machine one ``print`` can arrive in two
pieces, split before its newline; myst-nb, merging the pieces for the page,
strips the end of each one and adds a newline, which put a blank line in the
middle of a printed table on one build in several. Joined exactly here (Jupyter's
own ``coalesce_streams``), the pieces give the same text however they arrived.

A page whose execution fails as a whole (its kernel died, a cell ran past the
timeout or the kernel stopped answering, the kernel never started) fails the
build once, with one warning at the cell that was running, saying what
happened. What ran is shown on the page and myst-nb does not run the page
again; the outputs are not kept, so the next build runs the page afresh.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from execution import execution_cache, warm_kernels

logger = logging.getLogger(__name__)

# Marks the cached outputs of a page whose execution failed, dropped once read.
FAILED = "autograd_guide_failed"


@dataclass
class Outcome:
    """How running one page went (the notebook itself is executed in place)."""

    seconds: float = 0.0
    failure: str | None = None  # what happened, if the page did not run to its end
    cell: int | None = None  # the index of the cell that was running when it stopped
    provisioners: list[warm_kernels.Provisioner] = field(default_factory=list)


def _unexecuted(
    app: Sphinx, env: BuildEnvironment, docnames: list[str]
) -> list[tuple[str, Path, Any, int]]:
    """The pages among ``docnames`` with no cached outputs: docname, path, notebook, timeout."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import create_nb_reader

    cache = get_cache(app.config.nb_execution_cache_path)
    nb_config = env.mystnb_config  # type: ignore[attr-defined]  # set by myst-nb
    pending = []
    unreadable = execution_cache.unreadable_page_errors()
    for docname in docnames:
        path = Path(env.doc2path(docname))
        try:
            text = path.read_text(encoding="utf-8")
            # The reader and notebook myst-nb's parser makes, so the cache keys match.
            reader = create_nb_reader(str(path), env.myst_config, nb_config, text)  # type: ignore[attr-defined]
            if reader is None:
                continue
            notebook = reader.read(text)
        except unreadable as error:
            # Not run ahead: myst-nb reports what is wrong when Sphinx reads the page.
            logger.warning(
                "this page could not be read, so it was not executed ahead: %s",
                error,
                location=docname,
                type="autograd_guide",
                subtype="execution",
            )
            continue
        if not any(cell.cell_type == "code" for cell in notebook.cells):
            continue
        try:
            record = cache.match_cache_notebook(notebook)
        except KeyError:
            pass
        else:
            if not (record.data or {}).get(FAILED):
                continue
            # What ran of a page that failed (a build that stopped before
            # dropping it): never outputs to reuse.
            cache.remove_cache(record.pk)
        # A page may raise its own timeout in its front matter, as myst-nb reads it.
        overrides = notebook.metadata.get(nb_config.metadata_key, {})
        timeout = overrides.get("execution_timeout", nb_config.execution_timeout)
        pending.append((docname, path, notebook, timeout))
    return pending


def _why_it_stopped(error: BaseException, timeout: int, outcome: Outcome) -> str:
    """Say in a sentence why a page's execution stopped before its end."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    ended = "; ".join(p.describe_end() for p in outcome.provisioners) or "it never started"
    if isinstance(error, DeadKernelError):
        return f"the kernel died while running this cell: {ended}"
    if isinstance(error, CellTimeoutError):
        return (
            f"this cell did not finish within the timeout of {timeout} s: it runs too long, or "
            "the kernel stopped answering (the timeout is nb_execution_timeout in conf.py, or "
            "`mystnb: execution_timeout` in the page's front matter)"
        )
    if outcome.cell is None:
        return f"the kernel did not start: {type(error).__name__}: {error}"
    return f"execution stopped at this cell: {type(error).__name__}: {error}"


class _Kernels:
    """The kernels running now, from any thread, so that an ending build can kill them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[warm_kernels.Provisioner] = set()

    def add(self, provisioner: warm_kernels.Provisioner) -> None:
        with self._lock:
            self._running.add(provisioner)

    def discard(self, provisioners: list[warm_kernels.Provisioner]) -> None:
        with self._lock:
            self._running.difference_update(provisioners)

    def kill(self) -> None:
        with self._lock:
            running = list(self._running)
        for provisioner in running:
            provisioner.kill_now()


def _run(
    server: warm_kernels.ForkServer | None,
    kernels: _Kernels,
    path: Path,
    notebook: Any,
    timeout: int,
    config: Any,
) -> Outcome:
    """Execute one page; never raise: a failure is described in the outcome.

    As myst-nb executes a page in ``cache`` mode (jupyter-cache's
    ``single_nb_execution``), with the kernels of ``warm_kernels.py``, each
    cell's printed text joined exactly, and the kernel's start bounded by the
    page's timeout.
    """
    from nbclient import NotebookClient

    outcome = Outcome()
    allow_errors = config.execution_allow_errors
    # jupyter-cache lets the notebook's own metadata override both (meta_override).
    execution = notebook.metadata.get("execution", {})
    timeout = execution.get("timeout", timeout)
    allow_errors = execution.get("allow_errors", allow_errors)

    def started(provisioner: warm_kernels.Provisioner) -> None:
        outcome.provisioners.append(provisioner)
        kernels.add(provisioner)

    def executing(cell: Any, cell_index: int) -> None:
        outcome.cell = cell_index

    client = NotebookClient(
        notebook,
        resources={"metadata": {"path": str(path.parent.resolve())}},
        timeout=timeout,
        allow_errors=allow_errors,
        kernel_manager_class=warm_kernels.kernel_manager_class(server, started),
        # A kernel that has not answered when a cell would have timed out has hung.
        startup_timeout=timeout,
        on_cell_execute=executing,
        coalesce_streams=True,
        # No timestamps in the cells' metadata: the cache would not match the page.
        record_timing=False,
        # Once the page has run, or has failed, its kernel is killed, not asked
        # to stop: a graceful stop interrupts a cell still running, whose
        # KeyboardInterrupt would be reported as an error of the page's own.
        shutdown_kernel="immediate",
    )
    start = time.perf_counter()
    error: BaseException | None = None
    try:
        client.execute()
    except Exception as raised:  # noqa: BLE001 (any failure is reported against the page)
        error = raised
    finally:
        outcome.seconds = time.perf_counter() - start
        kernels.discard(outcome.provisioners)
        # nbclient registers its clean-up to run at exit and, when a kernel
        # fails to start, leaves it registered with nothing left to clean:
        # at exit it would fail with an AssertionError.
        cleanup = getattr(client, "_cleanup_kernel", None)
        if cleanup is not None:
            atexit.unregister(cleanup)
    if error is not None:
        outcome.failure = _why_it_stopped(error, timeout, outcome)
    return outcome


def _cell_line(notebook: Any, index: int | None) -> int | None:
    """The line of cell ``index``'s opening fence in its page (myst-nb's source map)."""
    source_map = notebook.metadata.get("source_map", [])
    return source_map[index] if index is not None and index < len(source_map) else None


@dataclass
class _Executions:
    """The build's executions in progress and what they run on."""

    pool: ThreadPoolExecutor
    server: warm_kernels.ForkServer | None
    kernels: _Kernels
    pages: dict[str, tuple[Path, Any, Future[Outcome]]] = field(default_factory=dict)


def _execute_ahead(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    # With -j, Sphinx reads in forked processes, which the running threads
    # would not follow: myst-nb then executes the pages itself.
    if app.config.nb_execution_mode != "cache" or not docnames or app.parallel > 1:
        return
    pending = _unexecuted(app, env, docnames)
    if not pending:
        return
    workers = min(len(pending), os.cpu_count() or 1)
    server = None
    how = "in new kernels: fork is not safe on this platform"
    if len(pending) == 1:
        # The fork server would import torch before forking: for one page, a
        # new kernel that imports what the page uses is as quick.
        how = "in a new kernel"
    elif warm_kernels.fork_is_safe():
        try:
            server = warm_kernels.ForkServer(dict(os.environ))
            how = "in kernels forked from a process that imported torch"
        except warm_kernels.ForkServerError as error:
            logger.warning(
                "%s; the pages run in new kernels instead",
                error,
                type="autograd_guide",
                subtype="execution",
            )
            how = "in new kernels"
    pages = f"{len(pending)} page" + ("s" if len(pending) > 1 else "")
    logger.info("executing %s, %d at a time, %s", pages, workers, how)
    # Threads are enough: each page runs in its own kernel process. They are
    # started in the order Sphinx reads the pages, and Sphinx reads (parses,
    # resolves) the pages already done while the others run.
    pool = ThreadPoolExecutor(max_workers=workers)
    executions = _Executions(pool, server, _Kernels())
    nb_config = env.mystnb_config  # type: ignore[attr-defined]  # set by myst-nb
    for docname, path, notebook, timeout in pending:
        future = pool.submit(_run, server, executions.kernels, path, notebook, timeout, nb_config)
        executions.pages[docname] = (path, notebook, future)
    app.autograd_guide_executions = executions  # type: ignore[attr-defined]


def _failed_pages(env: BuildEnvironment) -> dict[str, int]:
    """Pages whose execution failed when last read, with their outputs' cache record.

    Kept in the pickled environment, so that the next build reads them again.
    """
    if not hasattr(env, "autograd_guide_failed_executions"):
        env.autograd_guide_failed_executions = {}  # type: ignore[attr-defined]
    return env.autograd_guide_failed_executions  # type: ignore[attr-defined,no-any-return]


def _store_when_done(app: Sphinx, docname: str, source: list[str]) -> None:
    """Before myst-nb parses a page, wait for its execution and put it in the cache."""
    executions: _Executions | None = getattr(app, "autograd_guide_executions", None)
    if executions is None or docname not in executions.pages:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    path, notebook, future = executions.pages.pop(docname)
    outcome = future.result()  # _run turns every failure into a description
    # The database is written from Sphinx's thread only. A failed page's
    # outputs go in too, so that myst-nb shows what ran instead of running
    # the page a second time; they are dropped once the page is read.
    record = get_cache(app.config.nb_execution_cache_path).cache_notebook_bundle(
        CacheBundleIn(
            notebook,
            str(path),
            data={"execution_seconds": outcome.seconds, FAILED: outcome.failure is not None},
        ),
        check_validity=False,
        overwrite=True,
    )
    if outcome.failure is not None:
        _failed_pages(app.env)[docname] = record.pk
        logger.warning(
            "%s; %s",
            outcome.failure,
            "no cell ran" if outcome.cell is None else "the cells after it did not run",
            location=(docname, _cell_line(notebook, outcome.cell)),
            type="autograd_guide",
            subtype="execution",
        )
    if not executions.pages:
        _stop(app)


def _forget_failed_outputs(app: Sphinx, doctree: nodes.document) -> None:
    """Once a failed page is read, drop its outputs and the pins of the cells that never ran."""
    failed = _failed_pages(app.env)
    pk = failed.get(app.env.docname)
    if pk is None:
        return
    from jupyter_cache import get_cache

    with contextlib.suppress(KeyError):
        get_cache(app.config.nb_execution_cache_path).remove_cache(pk)
    # The failure was reported once, at the cell that was running; a pin
    # compared with a cell that never ran would only report it again.
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") == "cell_code" and cell.get("exec_count") is None:
            metadata: dict[str, Any] = dict(cell.get("cell_metadata", {}))
            metadata.pop("expected", None)
            cell["cell_metadata"] = metadata


def _reread_failed_pages(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """A page whose execution failed runs again on the next build, even if it did not change."""
    return sorted(set(_failed_pages(env)) - added - changed - removed)


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _failed_pages(env).pop(docname, None)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: Any) -> None:
    _failed_pages(env).update(_failed_pages(other))


def _stop(app: Sphinx, *_: object) -> None:
    """Stop the threads and the kernels once every page has run, or the build ended."""
    executions: _Executions | None = getattr(app, "autograd_guide_executions", None)
    if executions is None:
        return
    del app.autograd_guide_executions  # type: ignore[attr-defined]
    # After a failed build: the pages not yet started are cancelled, the
    # running ones' kernels killed, so that no thread waits for a timeout.
    executions.pool.shutdown(wait=False, cancel_futures=True)
    executions.kernels.kill()
    if executions.server is not None:
        executions.server.close()
    executions.pool.shutdown(wait=True)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the parallel execution with Sphinx."""
    app.setup_extension("execution.execution_cache")
    app.connect("env-before-read-docs", _execute_ahead)
    app.connect("env-get-outdated", _reread_failed_pages)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("build-finished", _stop)
    app.connect("source-read", _store_when_done)
    # Before cell_checks.py compares the pins (its handler has the default priority, 500).
    app.connect("doctree-read", _forget_failed_outputs, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
