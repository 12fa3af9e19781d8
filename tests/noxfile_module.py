"""noxfile.py as a module (loaded once), and a stand-in for nox's Session to call its sessions."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = "noxfile_under_test"
CHECK_VARIABLE = "AUTOGRAD_GUIDE_CHECK"  # noxfile.py's, read before it is loaded


def load_noxfile() -> ModuleType:
    """Return noxfile.py as a module, loading it only once (nox registers its sessions)."""
    if NAME in sys.modules:
        return sys.modules[NAME]
    spec = importlib.util.spec_from_file_location(NAME, ROOT / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    # As a session run by itself sees it, even when `check` runs these tests
    # (it sets the variable for the nox that runs them, and so for pytest).
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(CHECK_VARIABLE, raising=False)
        spec.loader.exec_module(module)
    return module


class SessionError(Exception):
    """What FakeSession.error raises, as nox's session.error stops a session."""


@dataclass
class Command:
    """One call a session made: the Session method, its arguments, and who called it."""

    method: str
    args: tuple[str, ...]
    kwargs: dict[str, Any]
    callers: tuple[str, ...]  # the noxfile's functions on the stack, innermost first


@dataclass
class FakeSession:
    """Stands in for nox.Session under ``--install-only``: records every call, runs nothing.

    As nox does with --install-only, run() runs nothing and returns None.
    run_install() answers as the command would in an empty environment (pip
    inspect: no packages), or, with ``installing=False``, returns None as
    nox's does when it skips installing (-R).
    """

    tmp: Path
    python: str | None = None
    posargs: list[str] = field(default_factory=list)
    installing: bool = True
    # Where pip finds torch's CPU build: "configured" (a local wheel, say),
    # "index" (PyTorch's CPU index alone), or None (nowhere).
    cpu_torch: str | None = "configured"
    commands: list[Command] = field(default_factory=list)

    def _record(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        noxfile = str(ROOT / "noxfile.py")
        frame, callers = sys._getframe(2), []
        while frame is not None:
            if frame.f_code.co_filename == noxfile:
                callers.append(frame.f_code.co_name)
            frame = frame.f_back
        words = tuple(str(arg) for arg in args)
        self.commands.append(Command(method, words, kwargs, tuple(callers)))

    def install(self, *args: Any, **kwargs: Any) -> None:
        self._record("install", args, kwargs)

    def conda_install(self, *args: Any, **kwargs: Any) -> None:
        self._record("conda_install", args, kwargs)

    def install_and_run_script(self, *args: Any, **kwargs: Any) -> None:
        self._record("install_and_run_script", args, kwargs)

    def run_install(self, *args: Any, **kwargs: Any) -> str | None:
        self._record("run_install", args, kwargs)
        if not self.installing:
            return None
        if args[-2:] == ("pip", "inspect"):
            return json.dumps({"version": "1", "installed": [], "environment": {}})
        if "--dry-run" in args:
            where = "index" if "--index-url" in args else "configured"
            wheel = str(args[-1]).replace("==", "-")
            return f"Would install {wheel}" if self.cpu_torch == where else "ERROR: no match"
        return ""

    run_always = run_install

    def run(self, *args: Any, **kwargs: Any) -> None:
        self._record("run", args, kwargs)

    def notify(self, *args: Any, **kwargs: Any) -> None:
        self._record("notify", args, kwargs)

    def log(self, *args: Any, **kwargs: Any) -> None:
        pass

    warn = debug = log

    def error(self, *args: Any) -> NoReturn:
        raise SessionError(*args)

    def skip(self, *args: Any) -> NoReturn:
        raise SessionError("skipped", *args)

    def create_tmp(self) -> str:
        self.tmp.mkdir(parents=True, exist_ok=True)
        return str(self.tmp)


@dataclass
class RunningSession(FakeSession):
    """A FakeSession outside --install-only: run() records the command and answers as one that ran."""

    def run(self, *args: Any, **kwargs: Any) -> str:
        self._record("run", args, kwargs)
        return ""


def run_under_install_only(
    noxfile: ModuleType,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    session_type: type[FakeSession] = FakeSession,
) -> list[Command]:
    """What session ``name`` asks of nox under --install-only.

    Its build/ and its constraints.txt (a copy of the project's) are in ``tmp_path``.
    ``session_type`` may stand in for more of nox (a FakeSession whose run() builds).
    """
    build = tmp_path / "build"
    monkeypatch.setattr(noxfile, "BUILD", build)
    monkeypatch.setattr(noxfile, "HTML", build / "html")
    monkeypatch.delenv(noxfile.LOCK_VARIABLE, raising=False)
    lock = tmp_path / "constraints.txt"
    if not lock.exists():
        shutil.copy(noxfile.LOCK, lock)
    monkeypatch.setattr(noxfile, "LOCK", lock)
    session = session_type(tmp_path / "tmp", python=noxfile.PYTHON)
    getattr(noxfile, name)(session)
    return session.commands
