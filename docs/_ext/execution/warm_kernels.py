"""Start each page's kernel from a process that has already imported torch.

A page's kernel is a new Python process: starting it and importing torch in
it cost two to three seconds, more than most pages' own code. Here one
helper process, the fork server, imports torch, numpy and the kernel's own
modules once per build; each kernel is then a copy of it (``os.fork``) that
starts the Jupyter kernel as ``python -m ipykernel_launcher`` would, in the
page's folder, with the environment Jupyter gave it. Every page still runs in
a process of its own, from a state no other page has touched: torch is in
``sys.modules`` but in no page's namespace, so ``import torch`` in a cell
finds it loaded, and the page's code runs as in a fresh kernel. A fresh
process also draws fresh random numbers, so each copy reseeds NumPy's and
torch's generators from the operating system as it starts (CPython reseeds
Python's own after a fork): two copies never share a random stream, and no
page can tell which copy ran it (a page that wants the same numbers on every
build seeds them itself). Only the seed of Python's string hashing, fixed when
a process starts, is the server's in every copy: the order of a set of
strings is the same on every page of one build, and may differ on the next,
as with new processes.

Jupyter starts kernels through a *kernel provisioner*, its supported hook for
starting kernels another way (jupyter-client's "Customizing the kernel's
runtime environment"). :class:`ForkedProvisioner` extends jupyter-client's
``LocalProvisioner`` as that guide describes: ``LocalProvisioner`` still
writes the connection file and picks the ports, and the provisioner replaces
only the launch and the process control. The fork server is the copies'
parent, so it alone reaps them: it keeps each exit status until asked, and
signals a copy only while it has not reaped it, so a signal never reaches
another process that was given the same pid since.

Provisioners are found by name through the ``jupyter_client.kernel_provisioners``
entry point group, which would publish this build machinery in the metadata of
the ``autograd-guide`` package that readers install. :func:`kernel_manager_class`
instead gives each kernel manager it makes its provisioner through the
manager's documented ``provisioner`` attribute, before the kernel starts. That
jupyter-client keeps a provisioner set so (it does so for restarts) is the one
behaviour relied on beyond its documented API; ``tests/test_warm_kernels.py``
fails if a kernel started through this manager is not a copy of the server.

A page whose kernel specification names another interpreter than the one
that runs the build, or starts no ``python -m`` module, cannot be a copy of the
server: it gets a new process, as on the platforms below.

``fork`` is used on Linux only. On macOS, a forked copy of a process that has
loaded torch can crash, because the system libraries it uses start threads
that a fork does not copy (CPython's ``multiprocessing`` stopped forking there
for the same reason), and Windows has no ``fork``. There, and wherever
:func:`fork_is_safe` says no, ``parallel_execution.py`` starts no fork server
and :func:`kernel_manager_class` gives ordinary kernels, each a new process
started by jupyter-client: pages still run side by side, and only the head
start is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

# What the pages' kernels import anyway, loaded once in the fork server:
# torch._dynamo is what the first call of torch.func imports (800 modules,
# about two seconds), and most pages check a result against torch.func;
# ipykernel.kernelapp brings the kernel and IPython with it. Nothing runs, so
# no thread pool starts before the fork. Not matplotlib: it reads its backend
# from the environment, which the kernel sets as it starts.
PRELOADED = ("torch", "torch._dynamo", "numpy", "ipykernel.kernelapp")
# How long the build waits for the server to import PRELOADED, and for an answer to a request.
START_SECONDS = 300
ANSWER_SECONDS = 60

# The fork server. It imports PRELOADED, writes "ready" to the file descriptor
# it is given, then answers one JSON request per connection on its socket:
#   {"op": "fork", "argv", "env", "cwd"} -> {"pid"}: a child that becomes the kernel;
#   {"op": "poll", "pid"} -> {"returncode"}: null while the child runs, else its
#       exit code, negative for a signal (as subprocess.Popen reports it);
#   {"op": "signal", "pid", "signum"} -> {"returncode"}: the signal goes to the
#       child's process group only if the child has not been reaped.
# Children are reaped only when polled (no SIGCHLD handler), so a pid the
# server has not reaped belongs to its child and cannot have been reused.
# When the build closes the server's stdin (or dies), the server kills the
# children it has not reaped and exits.
_SERVER = r"""
import importlib, json, os, runpy, select, signal, socket, sys
address, modules, ready = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
for module in modules:
    importlib.import_module(module)
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(address)
listener.listen(16)
os.write(ready, b"ready\n")
os.close(ready)
children = {}  # pid -> None while running, else its exit code


def returncode(pid):
    if children[pid] is None:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children[pid] = os.waitstatus_to_exitcode(status)
    return children[pid]


def become_kernel(request):
    listener.close()
    # A session of its own, as jupyter-client starts kernels: a signal to the
    # kernel's group reaches what the page started too, and nothing else.
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # A new process draws new random numbers: so does each copy. Python's own
    # `random` needs nothing here: CPython reseeds it in every forked child
    # (os.register_at_fork in the random module).
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()
    # As `python -m module args`: the module as __main__, argv, and the
    # working folder first on the path.
    argv = request["argv"]
    module = argv[argv.index("-m") + 1]
    sys.argv = [module, *argv[argv.index("-m") + 2:]]
    if module.startswith("ipykernel"):
        # The kernel stops if this server goes (ipykernel's parent poller).
        # Said on the command line: ipykernel read JPY_PARENT_PID from the
        # environment when the server imported it, before this fork.
        sys.argv.append(f"--IPKernelApp.parent_handle={os.getppid()}")
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
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


try:
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable:
            break
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(60)
            try:
                request = json.loads(connection.makefile().readline())
            except (OSError, ValueError):
                continue  # a client that went away, or sent nothing whole
            if request["op"] == "fork":
                pid = os.fork()
                if pid == 0:
                    # The child never returns to this loop, whatever happens.
                    try:
                        connection.close()
                        become_kernel(request)
                    except BaseException:
                        import traceback
                        traceback.print_exc()
                    finally:
                        os._exit(1)
                children[pid] = None
                answer = {"pid": pid}
            elif request.get("pid") not in children:
                answer = {"error": f"no kernel with pid {request.get('pid')} was forked here"}
            elif request["op"] == "poll":
                answer = {"returncode": returncode(request["pid"])}
            elif request["op"] == "signal":
                code = returncode(request["pid"])
                if code is None:
                    # Not reaped: the pid is still this child's, alive or a zombie.
                    try:
                        os.killpg(request["pid"], request["signum"])
                    except ProcessLookupError:  # not yet its own group leader
                        os.kill(request["pid"], request["signum"])
                answer = {"returncode": code}
            else:
                answer = {"error": f"unknown request {request['op']!r}"}
            connection.sendall((json.dumps(answer) + "\n").encode())
finally:
    for pid in children:
        if returncode(pid) is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
"""


def fork_is_safe() -> bool:
    """Whether kernels may be forked from a process that has loaded torch: on Linux only."""
    return sys.platform.startswith("linux")


class ForkServerError(RuntimeError):
    """The fork server did not start, or did not answer."""


class ForkServer:
    """The helper process that imports torch once and forks a kernel per page."""

    def __init__(self, env: dict[str, str]) -> None:
        """Start the server with ``env``, the environment a kernel would start with."""
        self._folder = tempfile.TemporaryDirectory(prefix="autograd-guide-kernels-")
        self.address = str(Path(self._folder.name) / "socket")
        ready, ready_write = os.pipe()
        # stdout and stderr are the build's, as an ordinary kernel's are: no
        # pipe that nobody reads, which a kernel could fill and then block on.
        # The build holds stdin: when it ends, however it ends, the server's
        # stdin reads as closed and the server stops too.
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _SERVER,
                    self.address,
                    ",".join(PRELOADED),
                    str(ready_write),
                ],
                env=env,
                stdin=subprocess.PIPE,
                pass_fds=(ready_write,),
            )
        finally:
            os.close(ready_write)
        try:
            answered, _, _ = select.select([ready], [], [], START_SECONDS)
            said = os.read(ready, 64) if answered else b""
        finally:
            os.close(ready)
        if said != b"ready\n":
            self.close()
            msg = f"the kernel fork server did not start (exit code {self._process.poll()})"
            raise ForkServerError(msg)

    @property
    def pid(self) -> int:
        """The server's process id, the parent of every kernel it forks."""
        return self._process.pid

    def request(self, **request: Any) -> dict[str, Any]:
        """Send one request to the server and return its answer."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(ANSWER_SECONDS)
                client.connect(self.address)
                client.sendall((json.dumps(request) + "\n").encode())
                line = client.makefile().readline()
        except OSError as error:  # refused, timed out, reset
            msg = (
                f"the kernel fork server did not answer ({error}; exit code {self._process.poll()})"
            )
            raise ForkServerError(msg) from error
        if not line:
            msg = f"the kernel fork server closed the connection (exit code {self._process.poll()})"
            raise ForkServerError(msg)
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise ForkServerError(answer["error"])
        return answer

    @staticmethod
    def refuses(argv: list[str]) -> str | None:
        """Say why the server cannot start the kernel command ``argv``; None if it can."""
        if "-m" not in argv:
            return f"the fork server starts `python -m module` kernels only, not {argv}"
        # The same interpreter, not only the same binary: a virtual
        # environment's python links to its base's, whose packages differ.
        if os.path.abspath(argv[0]) != os.path.abspath(sys.executable):
            return f"the fork server runs {sys.executable}, not the kernel's {argv[0]}"
        return None

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedProcess:
        """Start a kernel as ``argv`` would, in ``cwd`` with ``env``; return its handle."""
        refused = self.refuses(argv)
        if refused is not None:
            raise ValueError(refused)
        pid = self.request(op="fork", argv=argv, env=env, cwd=cwd)["pid"]
        return ForkedProcess(self, pid)

    def close(self) -> None:
        """Stop the server, which kills the kernels that are still running."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._folder.cleanup()


class ForkedProcess:
    """A kernel the fork server made, with what Jupyter needs of a ``Popen``.

    The server reaps the process; this handle asks it for the exit status and
    signals through it, so that it never signals a pid the system has reused.
    """

    def __init__(self, server: ForkServer, pid: int) -> None:
        """Stand for the child ``pid`` of ``server``."""
        self._server = server
        self.pid = pid
        self.returncode: int | None = None
        # Why the server could not say how the process ended, if it could not.
        self.lost: str | None = None

    def _ask(self, **request: Any) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self._server.request(pid=self.pid, **request)["returncode"]
            except ForkServerError as error:
                # The server kills its children as it stops: this one is gone.
                self.returncode = -signal.SIGKILL
                self.lost = str(error)
        return self.returncode

    def poll(self) -> int | None:
        """None while the kernel runs, else its exit code (negative: the signal that ended it)."""
        return self._ask(op="poll")

    def wait(self, timeout: float | None = None) -> int:
        """Wait until the kernel has exited; return its exit code."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.05)
        return code

    def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group, unless the kernel has exited."""
        self._ask(op="signal", signum=int(signum))

    def kill(self) -> None:
        """Kill the kernel and what it started."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """Ask the kernel to stop."""
        self.send_signal(signal.SIGTERM)


def describe_exit(code: int | None) -> str:
    """Say how a kernel process ended, from its exit code as ``Popen`` reports it."""
    if code is None:
        return "its process is still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:
            return f"its process was killed by {name}, as the out-of-memory killer does"
        return f"its process was killed by {name}"
    return f"its process exited with code {code}"


class ForkedProvisioner(LocalProvisioner):
    """Launch the kernel as a copy of the fork server, instead of as a new process.

    ``LocalProvisioner`` prepares the launch (ports, connection file) and
    cleans up after it; this class launches and controls the process.
    """

    def __init__(self, server: ForkServer, **kwargs: Any) -> None:
        """Provision kernels that ``server`` forks (``kwargs`` as for any provisioner)."""
        super().__init__(**kwargs)
        self.server = server
        self.kernel: ForkedProcess | None = None  # until it has been waited for
        self._launched: ForkedProcess | None = None
        # How the kernel ended, once it has (see describe_exit).
        self.exit_code: int | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Fork the kernel ``cmd`` describes, with the environment and folder Jupyter gives."""
        env = kwargs.get("env") or dict(os.environ)
        self.cwd = str(kwargs.get("cwd") or os.getcwd())
        self.kernel = self._launched = self.server.fork(cmd, env, self.cwd)
        self.pid = self.kernel.pid
        return self.connection_info

    @property
    def has_process(self) -> bool:
        """Whether a kernel was launched and not yet waited for."""
        return self.kernel is not None

    async def poll(self) -> int | None:
        """None while the kernel runs, else its exit code."""
        if self.kernel is None:
            return 0
        code = self.kernel.poll()
        if code is not None:
            self.exit_code = code
        return code

    async def wait(self) -> int | None:
        """Wait for the kernel to exit."""
        while (code := await self.poll()) is None:
            await asyncio.sleep(0.05)
        self.kernel = None
        return code

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel and what it started, unless it has exited."""
        if self.kernel is not None:
            self.kernel.send_signal(signum)

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel."""
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        """Ask the kernel to stop."""
        await self.send_signal(signal.SIGTERM)

    def kill_now(self) -> None:
        """Kill the kernel from any thread (the build is ending)."""
        if self.kernel is not None:
            self.kernel.kill()

    def describe_end(self) -> str:
        """Say how the kernel's process ended."""
        if self._launched is not None and self._launched.lost is not None:
            return self._launched.lost
        return describe_exit(self.exit_code)


class NewProcessProvisioner(LocalProvisioner):
    """jupyter-client's own way, a new process per kernel, keeping how the kernel ended."""

    def __init__(self, instead_of_fork: str | None = None, **kwargs: Any) -> None:
        """Provision kernels as ``LocalProvisioner`` does.

        ``instead_of_fork`` says why the fork server could not start this
        kernel, if there is a server.
        """
        super().__init__(**kwargs)
        self.instead_of_fork = instead_of_fork
        self.exit_code: int | None = None

    async def poll(self) -> int | None:
        """None while the kernel runs, else its exit code."""
        running = self.process is not None
        code: int | None = await super().poll()
        if running and code is not None:
            self.exit_code = code
        return code

    async def wait(self) -> int | None:
        """Wait for the kernel to exit."""
        running = self.process is not None
        code: int | None = await super().wait()
        if running:
            self.exit_code = code
        return code

    def kill_now(self) -> None:
        """Kill the kernel from any thread (the build is ending)."""
        process = self.process
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()

    def describe_end(self) -> str:
        """Say how the kernel's process ended."""
        return describe_exit(self.exit_code)


Provisioner = ForkedProvisioner | NewProcessProvisioner


def kernel_manager_class(
    server: ForkServer | None, started: Callable[[Provisioner], None] | None = None
) -> type[AsyncKernelManager]:
    """A Jupyter kernel manager whose kernels ``server`` forks, or new processes if it is None.

    A kernel that the server cannot start (its specification names another
    interpreter, or no ``-m`` module) is a new process too, as without a server.
    ``started`` is called with each kernel's provisioner, which knows how the kernel ended.
    """

    class Manager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            # Without a provisioner, start_kernel asks the kernel specification
            # for one; a provisioner set beforehand is kept (jupyter-client
            # relies on this for restarts). Its kernel id is the manager's.
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            common = {"kernel_id": self.kernel_id, "kernel_spec": self.kernel_spec, "parent": self}
            # The command jupyter-client will start the kernel with ("python"
            # in the specification is this Python), its ports not yet chosen.
            refused = None if server is None else server.refuses(self.format_kernel_cmd())
            provisioner: Provisioner = (
                ForkedProvisioner(server, **common)
                if server is not None and refused is None
                else NewProcessProvisioner(refused, **common)
            )
            self.provisioner = provisioner
            if started is not None:
                started(provisioner)

    Manager.__name__ = "ForkedKernelManager" if server is not None else "NewKernelManager"
    return Manager
