"""Execute the pages that need it in parallel, before Sphinx reads them one by one.

myst-nb executes each page when Sphinx reads it, one page at a time, and most
of a page's time is the kernel starting and importing torch, which leaves the
other core idle. In ``cache`` mode, this extension first finds the pages about
to be read whose code has no cached outputs and starts running them in one
kernel each, as many at once as there are cores. Each page's kernel is
started here, through jupyter-client's public kernel manager and client, and
Jupyter's notebook client runs the cells in it with the options myst-nb would
use (the page's timeout, errors allowed as ``cell_checks.py`` sets). On Linux
each kernel is forked from a process that has imported torch already
(``warm_kernels.py``, which says why not elsewhere and when a page's kernel
is a new process all the same), except for a lone page, which a new kernel
runs as quickly. As
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

import asyncio
import contextlib
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

from execution import execution_cache, warm_kernels
from execution.cells import code_cell_nodes
from execution.reread import PagesToReread

if TYPE_CHECKING:
    from myst_parser.config.main import MdParserConfig

logger = logging.getLogger(__name__)

# Marks the cached outputs of a page whose execution failed, dropped once read.
FAILED = "autograd_guide_failed"
# The pages whose execution failed when last read, with their outputs' cache
# record: read, and so run, again on the next build.
_FAILED: PagesToReread[int] = PagesToReread("failed_executions")
# What nbclient adds to an IPython kernel's command when it starts the kernel
# itself (its ipython_hist_file): no history database written by any page.
# Only to an IPython kernel, as nbclient decides it (the kernel manager's
# ``ipykernel``): another kernel may not know the option.
_IPYTHON_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


@dataclass
class Outcome:
    """How running one page went (the notebook itself is executed in place)."""

    seconds: float = 0.0
    failure: str | None = None  # what happened, if the page did not run to its end
    cell: int | None = None  # the index of the cell that was running when it stopped
    provisioners: list[warm_kernels.Provisioner] = field(default_factory=list)


@dataclass(frozen=True)
class _Page:
    """A page to execute, and the options its execution takes as myst-nb would give them."""

    path: Path
    notebook: Any  # executed in place
    timeout: int | None  # seconds, or None for no timeout (timeout_seconds)
    allow_errors: bool


def myst_configs(env: BuildEnvironment) -> tuple[MdParserConfig, Any]:
    """Return the Markdown and notebook configurations with which myst-nb reads the pages.

    myst-nb builds them from the ``myst_*`` and ``nb_*`` values of ``conf.py``
    and keeps them on the build environment, as ``myst_config`` and
    ``mystnb_config`` (its ``SphinxEnvType`` declares them), where its parser
    reads them; it offers no documented way to get them. This is the one place
    that reads them: if myst-nb renames them, it fails naming what is missing,
    and so does ``tests/test_parallel_execution.py``.
    """
    from myst_nb.core.config import NbParserConfig
    from myst_parser.config.main import MdParserConfig

    markdown = getattr(env, "myst_config", None)
    notebook = getattr(env, "mystnb_config", None)
    if not isinstance(markdown, MdParserConfig) or not isinstance(notebook, NbParserConfig):
        from myst_nb import __version__

        msg = (
            f"myst-nb {__version__} no longer keeps its configurations on the build environment "
            f"as env.myst_config (found {type(markdown).__name__}) and env.mystnb_config (found "
            f"{type(notebook).__name__}): execution/parallel_execution.py's myst_configs must "
            "follow it"
        )
        raise ExtensionError(msg)
    return markdown, notebook


def timeout_seconds(timeout: int | None) -> int | None:
    """The timeout that myst-nb's ``execution_timeout`` means: seconds, or None for none.

    myst-nb hands its timeout to nbclient, which reads ``-1`` (its documented
    "no timeout"), ``None`` or any number not above 0 as no timeout; the
    kernel's start is bounded by the same timeout here, and jupyter-client's
    ``wait_for_ready`` takes only None for none (-1 would give up at once).
    """
    return timeout if timeout is not None and timeout > 0 else None


def _unexecuted(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> dict[str, _Page]:
    """The pages among ``docnames`` with no cached outputs, by docname."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import create_nb_reader

    cache = get_cache(app.config.nb_execution_cache_path)
    md_config, nb_config = myst_configs(env)
    pending = {}
    unreadable = execution_cache.unreadable_page_errors()
    for docname in docnames:
        path = Path(env.doc2path(docname))
        try:
            text = path.read_text(encoding="utf-8")
            # The reader and notebook myst-nb's parser makes, so the cache keys match.
            reader = create_nb_reader(str(path), md_config, nb_config, text)
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
        # The options as myst-nb gives them: conf.py's values (myst-nb's
        # legacy names, which it warns about, are not read), which the page's
        # front matter overrides, which the notebook's own "execution"
        # metadata overrides in turn (jupyter-cache's meta_override).
        overrides = notebook.metadata.get(app.config.nb_metadata_key, {})
        execution = notebook.metadata.get("execution", {})
        timeout = overrides.get("execution_timeout", app.config.nb_execution_timeout)
        allow_errors = overrides.get("execution_allow_errors", app.config.nb_execution_allow_errors)
        pending[docname] = _Page(
            path,
            notebook,
            timeout_seconds(execution.get("timeout", timeout)),
            execution.get("allow_errors", allow_errors),
        )
    return pending


def _why_it_stopped(error: BaseException, timeout: int | None, outcome: Outcome) -> str:
    """Say in a sentence why a page's execution stopped before its end."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    ended = "; ".join(p.describe_end() for p in outcome.provisioners) or "it never started"
    if isinstance(error, DeadKernelError):
        return f"the kernel died while running this cell: {ended}"
    if isinstance(error, CellTimeoutError):
        # With no timeout, only a wait that nbclient bounds itself (iopub_timeout) ends so.
        within = f"within the timeout of {timeout} s" if timeout is not None else "in time"
        return (
            f"this cell did not finish {within}: it runs too long, or the kernel stopped "
            "answering (the timeout is nb_execution_timeout in conf.py, or "
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


def _run(server: warm_kernels.ForkServer | None, kernels: _Kernels, page: _Page) -> Outcome:
    """Execute one page; never raise: a failure is described in the outcome.

    As myst-nb executes a page in ``cache`` mode (jupyter-cache's
    ``single_nb_execution``), with the kernels of ``warm_kernels.py``, each
    cell's printed text joined exactly, and the kernel's start bounded by the
    page's timeout.
    """
    outcome = Outcome()
    start = time.perf_counter()
    try:
        # An event loop of this thread's own, as nbclient's execute() would make.
        asyncio.run(_execute(server, kernels, page, outcome))
    except Exception as error:  # noqa: BLE001 (any failure is reported against the page)
        outcome.failure = _why_it_stopped(error, page.timeout, outcome)
    finally:
        outcome.seconds = time.perf_counter() - start
        kernels.discard(outcome.provisioners)
    return outcome


async def _execute(
    server: warm_kernels.ForkServer | None, kernels: _Kernels, page: _Page, outcome: Outcome
) -> None:
    """Start the page's kernel, run the page's cells in it with nbclient, then kill the kernel.

    The kernel is started here, not by nbclient: given a kernel manager and a
    client, nbclient only runs the cells and leaves the kernel to its owner,
    so that a kernel that fails to start leaves nothing of nbclient's behind.
    """
    from nbclient import NotebookClient

    def started(provisioner: warm_kernels.Provisioner) -> None:
        outcome.provisioners.append(provisioner)
        kernels.add(provisioner)

    def executing(cell: Any, cell_index: int) -> None:
        outcome.cell = cell_index

    # The kernel the page names, as nbclient would choose it.
    name = page.notebook.metadata.get("kernelspec", {}).get("name")
    manager = warm_kernels.kernel_manager_class(server, started)(
        **({"kernel_name": name} if name else {})
    )
    try:
        await manager.start_kernel(
            cwd=str(page.path.parent.resolve()),
            extra_arguments=_IPYTHON_KERNEL_ARGUMENTS if manager.ipykernel else [],
        )
        client = manager.client()
        client.start_channels()
        try:
            # A kernel that has not answered when a cell would have timed out has
            # hung (None: it is waited for as long as it lives, as a cell is).
            await client.wait_for_ready(timeout=page.timeout)
            client.allow_stdin = False
            runner = NotebookClient(
                page.notebook,
                km=manager,
                timeout=page.timeout,
                allow_errors=page.allow_errors,
                on_cell_execute=executing,
                coalesce_streams=True,
                # No timestamps in the cells' metadata: the cache would not match the page.
                record_timing=False,
            )
            runner.kc = client
            await runner.async_execute()
        finally:
            client.stop_channels()
    finally:
        # Killed, not asked to stop: a graceful stop interrupts a cell still
        # running, whose KeyboardInterrupt would be reported as an error of
        # the page's own. shutdown_kernel cleans up after the kernel too.
        if await manager.is_alive():
            await manager.shutdown_kernel(now=True)
        else:
            await manager.cleanup_resources()


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
    pages: dict[str, tuple[_Page, Future[Outcome]]] = field(default_factory=dict)


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
    for docname, page in pending.items():
        future = pool.submit(_run, server, executions.kernels, page)
        executions.pages[docname] = (page, future)
    app.autograd_guide_executions = executions  # type: ignore[attr-defined]


def _store_when_done(app: Sphinx, docname: str, source: list[str]) -> None:
    """Before myst-nb parses a page, wait for its execution and put it in the cache."""
    executions: _Executions | None = getattr(app, "autograd_guide_executions", None)
    if executions is None or docname not in executions.pages:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    page, future = executions.pages.pop(docname)
    outcome = future.result()  # _run turns every failure into a description
    for provisioner in outcome.provisioners:
        if isinstance(provisioner, warm_kernels.NewProcessProvisioner) and (
            provisioner.instead_of_fork is not None
        ):
            logger.info("ran in a new kernel: %s", provisioner.instead_of_fork, location=docname)
    # The database is written from Sphinx's thread only. A failed page's
    # outputs go in too, so that myst-nb shows what ran instead of running
    # the page a second time; they are dropped once the page is read.
    record = None
    try:
        record = get_cache(app.config.nb_execution_cache_path).cache_notebook_bundle(
            CacheBundleIn(
                page.notebook,
                str(page.path),
                data={"execution_seconds": outcome.seconds, FAILED: outcome.failure is not None},
            ),
            check_validity=False,
            overwrite=True,
        )
    except Exception as error:  # noqa: BLE001 (any database or disk error, against the page)
        # Sphinx would report it as its handler's error, naming no page.
        logger.warning(
            "the page ran, but the execution cache could not store its outputs: %s: %s; "
            "myst-nb runs it again",
            type(error).__name__,
            error,
            location=docname,
            type="autograd_guide",
            subtype="execution",
        )
    if outcome.failure is not None:
        if record is not None:
            _FAILED.notes(app.env)[docname] = record.pk
        logger.warning(
            "%s; %s",
            outcome.failure,
            "no cell ran" if outcome.cell is None else "the cells after it did not run",
            location=(docname, _cell_line(page.notebook, outcome.cell)),
            type="autograd_guide",
            subtype="execution",
        )
    if not executions.pages:
        _stop(app)


def _forget_failed_outputs(app: Sphinx, doctree: nodes.document) -> None:
    """Once a failed page is read, drop its outputs and the pins of the cells that never ran."""
    pk = _FAILED.notes(app.env).get(app.env.docname)
    if pk is None:
        return
    from jupyter_cache import get_cache

    with contextlib.suppress(KeyError):
        get_cache(app.config.nb_execution_cache_path).remove_cache(pk)
    # The failure was reported once, at the cell that was running; a pin
    # compared with a cell that never ran would only report it again.
    for cell in code_cell_nodes(doctree):
        if cell.get("exec_count") is None:
            metadata: dict[str, Any] = dict(cell.get("cell_metadata", {}))
            metadata.pop("expected", None)
            cell["cell_metadata"] = metadata


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
    _FAILED.connect(app)
    app.connect("build-finished", _stop)
    app.connect("source-read", _store_when_done)
    # Before cell_checks.py compares the pins (its handler has the default priority, 500).
    app.connect("doctree-read", _forget_failed_outputs, priority=400)
    # 2: the failed pages are kept by execution/reread.py.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
