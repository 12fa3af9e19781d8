"""Kernels forked from a process that imported torch: fresh, in the right folder, cleaned up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_cache.executors.utils import single_nb_execution
from nbclient.exceptions import DeadKernelError

from execution import warm_kernels
from execution.warm_kernels import ForkServer, kernel_manager_class

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    """One fork server for the module's tests, as one build has one."""
    started = ForkServer(dict(os.environ))
    yield started
    started.close()


def run(
    server: ForkServer | None, folder: Path, *cells: str, provisioners: list | None = None
) -> tuple[object, list[str]]:
    """Execute ``cells`` as a page in ``folder``; return error and outputs.

    The kernel is a copy of ``server``, or a new process if ``server`` is None.
    """
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    result = single_nb_execution(
        notebook,
        cwd=str(folder),
        timeout=60,
        allow_errors=False,
        meta_override=True,
        kernel_manager_class=kernel_manager_class(
            server, None if provisioners is None else provisioners.append
        ),
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


def test_the_kernel_is_a_copy_of_the_server_through_jupyters_provisioner(
    server: ForkServer, tmp_path: Path
) -> None:
    # What the warm kernels rely on beyond jupyter-client's documented API: a
    # provisioner set on the manager before start_kernel is the one it uses.
    # Were it replaced by the kernel specification's LocalProvisioner, the
    # kernel would be a new process, a child of this one, and this would fail.
    error, texts = run(server, tmp_path, "import os\nos.getppid()")
    assert error is None
    assert texts == [str(server.pid)]


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


# Python's own `random` is left out: CPython reseeds it in every forked child
# itself (os.register_at_fork), so a test of it could not fail.
DRAW = "import numpy, torch\nprint(numpy.random.rand(), torch.rand(1).item())"
SEEDED = "numpy.random.seed(0); torch.manual_seed(0)\n" + DRAW.split("\n")[1]


def test_each_kernel_draws_its_own_random_numbers_as_a_new_process_does(
    server: ForkServer, tmp_path: Path
) -> None:
    # Copies of one process share its generators' state unless they reseed:
    # two pages would draw the same "random" numbers.
    draws = [run(server, tmp_path, DRAW)[1][0].split() for _ in range(2)]
    new_process = run(None, tmp_path, DRAW)[1][0].split()
    for generator, (first, second, third) in zip(
        ("numpy", "torch"), zip(*draws, new_process, strict=True), strict=True
    ):
        assert len({first, second, third}) == 3, f"{generator} drew the same number twice"


def test_a_page_shows_the_same_whichever_kernel_ran_it(server: ForkServer, tmp_path: Path) -> None:
    # A page that seeds its generators, run in two copies (the server having
    # forked others in between) and in a new process: the same output.
    forked = [run(server, tmp_path, DRAW.split("\n")[0], SEEDED)[1] for _ in range(2)]
    new_process = run(None, tmp_path, DRAW.split("\n")[0], SEEDED)[1]
    assert forked[0] == forked[1] == new_process
    assert len(new_process[0].split()) == 2


def test_a_kernel_that_dies_is_reported_with_its_exit_code(
    server: ForkServer, tmp_path: Path
) -> None:
    provisioners: list = []
    with pytest.raises(DeadKernelError, match="Kernel died"):
        run(server, tmp_path, "import os\nos._exit(3)", provisioners=provisioners)
    assert provisioners[0].describe_end() == "its process exited with code 3"
    provisioners = []
    with pytest.raises(DeadKernelError, match="Kernel died"):
        run(
            server,
            tmp_path,
            "import os, signal\nos.kill(os.getpid(), 9)",
            provisioners=provisioners,
        )
    assert provisioners[0].describe_end() == (
        "its process was killed by SIGKILL, as the out-of-memory killer does"
    )


def test_a_kernel_in_a_new_process_is_reported_with_its_exit_code_too(tmp_path: Path) -> None:
    provisioners: list = []
    with pytest.raises(DeadKernelError, match="Kernel died"):
        run(None, tmp_path, "import os\nos._exit(4)", provisioners=provisioners)
    assert provisioners[0].describe_end() == "its process exited with code 4"


def test_an_exited_kernel_is_never_signalled_again(server: ForkServer, tmp_path: Path) -> None:
    # Once the server has reaped a kernel, its pid may belong to any new
    # process: neither the handle nor the server may signal it any more.
    (tmp_path / "exits_at_once.py").write_text("raise SystemExit(7)\n", encoding="utf-8")
    handle = server.fork([sys.executable, "-m", "exits_at_once"], dict(os.environ), str(tmp_path))
    assert handle.wait(timeout=30) == 7
    handle.send_signal(signal.SIGTERM)  # nothing to signal: no error, no request
    assert handle.returncode == 7
    # Asked directly, the server knows the pid was reaped and signals nothing.
    assert server.request(op="signal", pid=handle.pid, signum=signal.SIGTERM) == {"returncode": 7}
    with pytest.raises(warm_kernels.ForkServerError, match="no kernel with pid"):
        server.request(op="signal", pid=os.getpid(), signum=signal.SIGTERM)


def test_a_kernel_writes_to_the_builds_own_output_not_to_a_pipe_nobody_reads(
    server: ForkServer, tmp_path: Path
) -> None:
    # Written below Python's sys.stdout, as a C library would: into a pipe that
    # nobody reads, the kernel would block once its 64 KiB buffer is full.
    script = (
        "import os, sys\nsys.path.insert(0, sys.argv[1])\n"
        "from execution.warm_kernels import ForkServer\n"
        "server = ForkServer(dict(os.environ))\n"
        "with open(os.path.join(sys.argv[2], 'loud.py'), 'w') as f:\n"
        "    f.write('import os\\nfor _ in range(64):\\n    os.write(1, b\"y\" * 4096)\\n')\n"
        "handle = server.fork([sys.executable, '-m', 'loud'], dict(os.environ), sys.argv[2])\n"
        "print('exit', handle.wait(timeout=30))\n"
        "server.close()\n"
    )
    ext = Path(warm_kernels.__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script, str(ext), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("y") == 64 * 4096
    assert done.stdout.endswith("exit 0\n")


def test_the_server_stops_when_the_build_closes_it_or_goes_away(tmp_path: Path) -> None:
    closed = ForkServer(dict(os.environ))
    closed.close()
    assert closed._process.poll() is not None
    # A build that dies without closing it: its end of the server's stdin
    # closes, and the server kills the kernels it still runs.
    (tmp_path / "sleeps.py").write_text("import time\ntime.sleep(600)\n", encoding="utf-8")
    orphan = ForkServer(dict(os.environ))
    handle = orphan.fork([sys.executable, "-m", "sleeps"], dict(os.environ), str(tmp_path))
    assert handle.poll() is None
    assert orphan._process.stdin is not None
    orphan._process.stdin.close()
    assert orphan._process.wait(timeout=30) == 0
    assert not Path(f"/proc/{handle.pid}").exists()
    orphan.close()  # what is left: its socket's folder


def test_forks_are_used_on_linux_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for platform, safe in (("linux", True), ("darwin", False), ("win32", False)):
        monkeypatch.setattr(sys, "platform", platform)
        assert warm_kernels.fork_is_safe() is safe
