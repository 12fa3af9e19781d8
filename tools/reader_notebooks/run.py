"""Run notebooks as a reader does: each in a new Jupyter kernel, top to bottom."""

from __future__ import annotations

import asyncio
import copy
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from reader_notebooks.compare import INSTALL_TAG, Mismatch, compare_notebook

RAISES_TAG = "raises-exception"


@dataclass
class Outcome:
    """What happened when one notebook ran."""

    notebook: str  # its path relative to the notebooks' folder
    seconds: float = 0.0
    error: str | None = None  # why it stopped before its last cell, if it did
    mismatches: list[Mismatch] = field(default_factory=list)

    def failures(self) -> list[str]:
        """One line per problem, each naming the notebook."""
        lines = [f"{self.notebook}: {self.error}"] if self.error else []
        return lines + [f"{self.notebook}: {mismatch}" for mismatch in self.mismatches]


def install_cells(notebooks: Iterable[nbformat.NotebookNode]) -> list[str]:
    """The distinct sources of the notebooks' install cells, in the order first met."""
    sources: list[str] = []
    for notebook in notebooks:
        for cell in notebook.cells:
            if INSTALL_TAG in cell.metadata.get("tags", []) and cell.source not in sources:
                sources.append(cell.source)
    return sources


def _failed_cell(notebook: nbformat.NotebookNode) -> str:
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code" or RAISES_TAG in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = cell.source.partition("\n")[0]
                return f"cell {number} ({first!r}) raised {output['ename']}: {output['evalue']}"
    return "a cell failed"


async def execute(
    notebook: nbformat.NotebookNode,
    kernel: Path,
    env: Mapping[str, str],
    timeout: int,
) -> tuple[nbformat.NotebookNode, str | None]:
    """Run a copy of ``notebook`` in a new kernel in an empty folder; the result and any error.

    ``kernel`` is the folder of the kernel's spec (its ``kernel.json``).
    """
    ran = copy.deepcopy(notebook)
    for cell in ran.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    with tempfile.TemporaryDirectory(prefix="reader-") as folder:
        specs = KernelSpecManager(kernel_dirs=[str(kernel.parent)])
        manager = AsyncKernelManager(kernel_name=kernel.name, kernel_spec_manager=specs)
        try:
            # Started here, not by nbclient: given a manager and a client, nbclient
            # only runs the cells, and the kernel is stopped below whatever happens.
            await manager.start_kernel(
                cwd=folder,
                env=dict(env),
                # Its warning about TCP without encryption, once per kernel, says nothing here.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
            client = manager.client()
            client.start_channels()
            try:
                await client.wait_for_ready(timeout=timeout)
                client.allow_stdin = False  # input() fails at once instead of waiting
                runner = NotebookClient(
                    ran,
                    km=manager,
                    timeout=timeout,
                    kernel_name=kernel.name,
                    # One stream per name, as the site's build stores them: how
                    # printed text is split into messages depends on timing.
                    coalesce_streams=True,
                )
                runner.kc = client
                await runner.async_execute()
            except CellTimeoutError as error:
                return ran, f"a cell ran past {timeout} s: {str(error).splitlines()[0]}"
            except (DeadKernelError, RuntimeError) as error:
                return ran, f"the kernel died or did not start: {error}"
            except CellExecutionError:
                return ran, _failed_cell(ran)
            finally:
                client.stop_channels()
        finally:
            if await manager.is_alive():
                await manager.shutdown_kernel(now=True)
            else:
                await manager.cleanup_resources()
    return ran, None


async def _run_all(
    notebooks: Mapping[str, nbformat.NotebookNode],
    kernel: Path,
    env: Mapping[str, str],
    workers: int,
    timeout: int,
    report: Callable[[Outcome], None],
) -> list[Outcome]:
    queue = list(notebooks)
    outcomes: list[Outcome] = []

    async def worker() -> None:
        while queue:
            name = queue.pop(0)
            start = time.monotonic()
            try:
                ran, error = await execute(notebooks[name], kernel, env, timeout)
                outcome = Outcome(name, time.monotonic() - start, error)
                if error is None:
                    outcome.mismatches = compare_notebook(notebooks[name], ran)
            except Exception as error:  # noqa: BLE001 (the notebook's outcome, not the run's end)
                failure = f"could not be run: {type(error).__name__}: {error}"
                outcome = Outcome(name, time.monotonic() - start, failure)
            outcomes.append(outcome)
            report(outcome)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return sorted(outcomes, key=lambda outcome: outcome.notebook)


def install(
    sources: Sequence[str], kernel: Path, env: Mapping[str, str], timeout: int
) -> list[str]:
    """Run each install cell in a new kernel, one after another; the errors, if any.

    One at a time: two pips installing into one environment at once can break it.
    ``%pip`` does not raise when pip fails, so what pip printed is read: an
    ``ERROR:`` line there fails the cell.
    """
    errors = []
    for source in sources:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        ran, error = asyncio.run(execute(notebook, kernel, env, timeout))
        printed = "".join(
            "".join(output.get("text", "")) for output in ran.cells[0].get("outputs", [])
        )
        failed = [line for line in printed.splitlines() if line.startswith("ERROR:")]
        if error is not None or failed:
            errors.append(f"the install cell failed: {error or ' '.join(failed)}")
    return errors


def run_all(
    notebooks: Mapping[str, nbformat.NotebookNode],
    kernel: Path,
    env: Mapping[str, str],
    workers: int = 2,
    timeout: int = 600,
    report: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Run every notebook, ``workers`` at a time, each in a new kernel; compare with the site.

    ``report`` is called with each outcome as soon as its notebook is done.
    """
    return asyncio.run(_run_all(notebooks, kernel, env, workers, timeout, report))


def read_notebooks(folder: Path) -> dict[str, nbformat.NotebookNode]:
    """Every ``.ipynb`` under ``folder``, by its path relative to it, sorted."""
    return {
        path.relative_to(folder).as_posix(): nbformat.read(path, as_version=4)
        for path in sorted(folder.rglob("*.ipynb"))
    }
