"""Kernels forked from a process that imported torch: fresh, in the right folder, cleaned up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_cache.executors.utils import single_nb_execution
from nbclient.exceptions import DeadKernelError
from warm_kernels import ForkServer, kernel_manager_class

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    """One fork server for the module's tests, as one build has one."""
    started = ForkServer(dict(os.environ))
    yield started
    started.close()


def run(server: ForkServer, folder: Path, *cells: str) -> tuple[object, list[str]]:
    """Execute ``cells`` as a page in ``folder`` with a warm kernel; return error and outputs."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    result = single_nb_execution(
        notebook,
        cwd=str(folder),
        timeout=60,
        allow_errors=False,
        meta_override=True,
        kernel_manager_class=kernel_manager_class(server),
    )
    texts = [
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    ]
    return result.err, texts


def test_a_page_finds_torch_loaded_but_not_in_its_namespace(
    server: ForkServer, tmp_path: Path
) -> None:
    error, texts = run(
        server,
        tmp_path,
        "import sys\nprint('torch' in sys.modules, 'torch' in dir())",
        "import torch\ntorch.tensor([1.0, 2.0]) * 2",
    )
    assert error is None
    assert texts == ["True False\n", "tensor([2., 4.])"]


def test_a_page_runs_in_its_folder_with_the_folder_first_on_the_path(
    server: ForkServer, tmp_path: Path
) -> None:
    (tmp_path / "beside_the_page.py").write_text("VALUE = 42\n", encoding="utf-8")
    error, texts = run(
        server,
        tmp_path,
        "import os\nimport beside_the_page\nprint(os.getcwd(), beside_the_page.VALUE)",
    )
    assert error is None
    assert texts == [f"{tmp_path} 42\n"]


def test_what_one_page_changes_never_reaches_the_next(server: ForkServer, tmp_path: Path) -> None:
    first, _ = run(server, tmp_path, "import torch\ntorch.set_default_dtype(torch.float64)")
    error, texts = run(server, tmp_path, "import torch\nprint(torch.get_default_dtype())")
    assert (first, error) == (None, None)
    assert texts == ["torch.float32\n"]


def test_a_kernel_that_dies_is_reported_not_waited_for(server: ForkServer, tmp_path: Path) -> None:
    with pytest.raises(DeadKernelError, match="Kernel died"):
        run(server, tmp_path, "import os\nos._exit(3)")


def test_the_server_stops_when_the_build_closes_it_or_goes_away() -> None:
    closed = ForkServer(dict(os.environ))
    closed.close()
    assert closed._process.poll() is not None
    # A build that dies without closing it: its end of the server's stdin closes.
    orphan = ForkServer(dict(os.environ))
    assert orphan._process.stdin is not None
    orphan._process.stdin.close()
    assert orphan._process.wait(timeout=30) == 0
    orphan.close()  # what is left: its socket's folder
