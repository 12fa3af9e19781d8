"""Start each page's kernel from a process that has already imported torch.

A page's kernel is a new Python process: starting it and importing torch in
it cost two to three seconds, more than most pages' own code. Here one
helper process, the fork server, imports torch, numpy and the kernel's own
modules once per build; each kernel is then a copy of it (``os.fork``) that
starts the Jupyter kernel as ``python -m ipykernel_launcher`` would, in the
page's folder, with the environment Jupyter gave it. Every page still runs in
a process of its own, from a state no other page has touched: torch is in
``sys.modules`` but in no page's namespace, so ``import torch`` in a cell
finds it loaded, and the page's code runs as in a fresh kernel.

`kernel_manager_class` is passed to nbclient by ``parallel_execution.py``.
Jupyter manages the copy as it manages a kernel it started: it polls it,
signals it and kills it through a stand-in for its ``Popen``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

# What the pages' kernels import anyway, loaded once in the fork server:
# torch._dynamo is what the first call of torch.func imports (800 modules,
# about two seconds), and most pages check a result against torch.func;
# ipykernel.kernelapp brings the kernel and IPython with it. Nothing runs, so no thread pool starts before the fork. Not matplotlib: it
# reads its backend from the environment, which the kernel sets as it starts.
PRELOADED = ("torch", "torch._dynamo", "numpy", "ipykernel.kernelapp")

# The fork server: imports PRELOADED, then for each request on its socket
# forks a child that becomes the kernel and answers with the child's pid.
_SERVER = r"""
import importlib, json, os, runpy, select, signal, socket, sys
for module in sys.argv[2].split(","):
    importlib.import_module(module)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped at once
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
listener.listen()
print("ready", flush=True)
while True:
    # The build holds this server's stdin open: when it ends, however it
    # ends, stdin reads as closed and the server stops too.
    readable, _, _ = select.select([listener, sys.stdin], [], [])
    if sys.stdin in readable:
        break
    connection, _ = listener.accept()
    request = json.loads(connection.makefile().readline())
    pid = os.fork()
    if pid == 0:
        listener.close()
        connection.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        # As `python -m module args`: the module as __main__, argv, and the
        # working folder first on the path.
        argv = request["argv"]
        module = argv[argv.index("-m") + 1]
        sys.argv = [module, *argv[argv.index("-m") + 2:]]
        sys.path[0] = os.getcwd()
        code = 0
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    connection.sendall(f"{pid}\n".encode())
    connection.close()
"""


class ForkServer:
    """The helper process that imports torch once and forks a kernel per page."""

    def __init__(self, env: dict[str, str]) -> None:
        """Start the server with ``env``, the environment a kernel would start with."""
        self._folder = tempfile.TemporaryDirectory(prefix="autograd-guide-kernels-")
        self.address = str(Path(self._folder.name) / "socket")
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, self.address, ",".join(PRELOADED)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self._process.stdout.readline() if self._process.stdout else ""
        if ready.strip() != "ready":
            msg = f"the kernel fork server did not start (exit {self._process.poll()})"
            raise RuntimeError(msg)
        self._lock = threading.Lock()

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> int:
        """Start a kernel as ``argv`` would, in ``cwd`` with ``env``; return its pid."""
        if "-m" not in argv:
            msg = f"the fork server starts `python -m module` kernels only, not {argv}"
            raise ValueError(msg)
        with self._lock, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(self.address)
            request = {"argv": argv, "env": env, "cwd": cwd}
            client.sendall((json.dumps(request) + "\n").encode())
            return int(client.makefile().readline())

    def close(self) -> None:
        """Stop the server (the kernels it forked are stopped by Jupyter)."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        self._process.wait(timeout=30)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._folder.cleanup()


class ForkedKernel:
    """What Jupyter needs of a kernel's ``Popen``, for a process the fork server made."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        """Stand for the kernel process ``pid``."""
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """None while the kernel runs; its exit is seen once its pid is gone."""
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # the server reaped it; the code is not kept
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait until the kernel has exited."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.05)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        """Signal the kernel, if it still runs."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        """Kill the kernel."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """Ask the kernel to stop."""
        self.send_signal(signal.SIGTERM)


def kernel_manager_class(server: ForkServer) -> type[AsyncKernelManager]:
    """A Jupyter kernel manager whose kernels ``server`` forks."""

    class WarmKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            provisioner = self.provisioner
            assert provisioner is not None  # made by pre_start_kernel
            env = kw.get("env") or dict(os.environ)
            cwd = str(kw.get("cwd") or os.getcwd())
            pid = server.fork(kernel_cmd, env, cwd)
            # What LocalProvisioner.launch_kernel records for a process it starts.
            provisioner.process = ForkedKernel(pid)  # type: ignore[attr-defined]
            provisioner.pid = pid  # type: ignore[attr-defined]
            provisioner.pgid = None  # type: ignore[attr-defined]  # signal the kernel alone
            provisioner.cwd = cwd  # type: ignore[attr-defined]
            self._reconcile_connection_info(provisioner.connection_info)

    return WarmKernelManager
