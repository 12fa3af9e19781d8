"""Execute the pages that need it in parallel, before Sphinx reads them one by one.

myst-nb executes each page when Sphinx reads it, one page at a time, and most
of a page's time is the kernel starting and importing torch, which leaves the
other core idle. In ``cache`` mode, this extension first finds the pages about
to be read whose code has no cached outputs and starts running them in one
kernel each, as many at once as there are cores, with the same function and
options myst-nb uses; each kernel is forked from a process that has imported
torch already (``warm_kernels.py``). As Sphinx comes to each page, it waits for that page's
run and stores the result in the cache, where myst-nb then finds it. A page whose execution failed as a whole (a timeout, a dead kernel)
is not stored, so myst-nb runs it again and reports the failure as usual.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import warm_kernels
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _unexecuted(
    app: Sphinx, env: BuildEnvironment, docnames: list[str]
) -> list[tuple[Path, Any, int]]:
    """The pages among ``docnames`` with no cached outputs: path, notebook, timeout."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import create_nb_reader

    cache = get_cache(app.config.nb_execution_cache_path)
    pending = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        text = path.read_text(encoding="utf-8")
        # The reader and notebook myst-nb's parser makes, so the cache keys match.
        reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
        if reader is None:
            continue
        notebook = reader.read(text)
        if not any(cell.cell_type == "code" for cell in notebook.cells):
            continue
        try:
            cache.match_cache_notebook(notebook)
            continue
        except KeyError:
            pass
        # A page may raise its own timeout in its front matter, as myst-nb reads it.
        overrides = notebook.metadata.get(env.mystnb_config.metadata_key, {})
        timeout = overrides.get("execution_timeout", env.mystnb_config.execution_timeout)
        pending.append((path, notebook, timeout))
    return pending


def _execute_ahead(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    # With -j, Sphinx reads in forked processes, which the running threads
    # would not follow: myst-nb then executes the pages itself.
    if app.config.nb_execution_mode != "cache" or not docnames or app.parallel > 1:
        return
    from jupyter_cache.executors.utils import single_nb_execution

    pending = _unexecuted(app, env, docnames)
    if len(pending) < 2:
        return  # nothing to run side by side: myst-nb does it
    workers = min(len(pending), os.cpu_count() or 1)
    logger.info("executing %d pages, %d at a time", len(pending), workers)
    config = env.mystnb_config
    server = warm_kernels.ForkServer(dict(os.environ))
    manager = warm_kernels.kernel_manager_class(server)

    def run(path: Path, notebook: Any, timeout: int) -> Any:
        return single_nb_execution(
            notebook,
            cwd=str(path.parent.resolve()),
            allow_errors=config.execution_allow_errors,
            timeout=timeout,
            meta_override=True,
            kernel_manager_class=manager,
        )

    # Threads are enough: each page runs in its own kernel process. They are
    # started in the order Sphinx reads the pages, and Sphinx reads (parses,
    # resolves) the pages already done while the others run.
    pool = ThreadPoolExecutor(max_workers=workers)
    app.autograd_guide_executions = {  # type: ignore[attr-defined]
        env.path2doc(str(path)): (path, notebook, pool.submit(run, path, notebook, timeout))
        for path, notebook, timeout in pending
    }
    app.autograd_guide_pool = pool  # type: ignore[attr-defined]
    app.autograd_guide_fork_server = server  # type: ignore[attr-defined]


def _store_when_done(app: Sphinx, docname: str, source: list[str]) -> None:
    """Before myst-nb parses a page, wait for its execution and put it in the cache."""
    executions = getattr(app, "autograd_guide_executions", {})
    if docname not in executions:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    path, notebook, future = executions.pop(docname)
    result = future.result()
    # The database is written from Sphinx's thread only.
    if result.err is None:
        get_cache(app.config.nb_execution_cache_path).cache_notebook_bundle(
            CacheBundleIn(notebook, str(path), data={"execution_seconds": result.time}),
            check_validity=False,
            overwrite=True,
        )
    if not executions:
        _stop(app)


def _stop(app: Sphinx, *_: object) -> None:
    """Stop the threads and the fork server once every page has run, or the build ended."""
    pool = getattr(app, "autograd_guide_pool", None)
    if pool is not None:
        pool.shutdown(cancel_futures=True)  # after a failed build, the pages not yet started
        app.autograd_guide_fork_server.close()  # type: ignore[attr-defined]
        del app.autograd_guide_pool  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the parallel execution with Sphinx."""
    app.setup_extension("execution_cache")
    app.connect("env-before-read-docs", _execute_ahead)
    app.connect("build-finished", _stop)
    app.connect("source-read", _store_when_done)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
