"""constraints.txt pins every package of every nox session, and matches pyproject.toml's groups."""

from __future__ import annotations

import ast
import copy
import importlib.metadata
import itertools
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from noxfile_module import (
    FakeSession,
    RunningSession,
    SessionError,
    load_noxfile,
    run_under_install_only,
)

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = ROOT / "constraints.txt"


NOXFILE = load_noxfile()


def target(python: str, system: str) -> dict[str, str]:
    """The PEP 508 markers that set CPython ``python`` on x86_64 ``system`` apart.

    Marker.evaluate() takes every other marker from packaging's
    default_environment() of the Python running the tests, as pip does.
    """
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "sys_platform": {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}[system],
        "platform_system": system,
        "os_name": "nt" if system == "Windows" else "posix",
        "platform_machine": "AMD64" if system == "Windows" else "x86_64",
    }


def test_the_lock_was_made_from_the_dependency_groups_as_they_are() -> None:
    groups = PYPROJECT["dependency-groups"]
    refresh = "run `python3 -m nox -s lock` and commit constraints.txt with pyproject.toml"
    changed = NOXFILE.stale_groups(LOCK, groups)
    assert not changed, (
        f"constraints.txt was made before these groups changed: {changed}; {refresh}"
    )
    gone = sorted(set(NOXFILE.recorded_digests(LOCK)) - set(groups))
    assert not gone, f"constraints.txt was made from groups that are gone: {gone}; {refresh}"


def changed_group(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """pyproject.toml as the noxfile read it, with one more requirement in group ``name``."""
    pyproject = copy.deepcopy(NOXFILE.PYPROJECT)
    pyproject["dependency-groups"][name].append("rich>=13")
    monkeypatch.setattr(NOXFILE, "PYPROJECT", pyproject)


@pytest.mark.parametrize(("session_group", "changed"), [("docs", "docs"), ("test", "docs")])
def test_a_lock_older_than_a_group_stops_the_session_before_pip_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, session_group: str, changed: str
) -> None:
    # The tests session installs the test group, which includes docs: a
    # change in docs makes the lock stale for it too.
    changed_group(monkeypatch, changed)
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON)
    with pytest.raises(SessionError) as error:
        NOXFILE.install(session, session_group)
    message = str(error.value)
    assert f"before the dependency group {changed} of pyproject.toml changed" in message
    assert "run `python3 -m nox -s lock`" in message
    assert not [c for c in session.commands if c.method == "install" or "pip" in c.args], (
        "pip ran before the lock was checked"
    )


def test_a_lock_that_is_not_there_stops_the_session_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(NOXFILE.LOCK_VARIABLE, str(tmp_path / "newest.txt"))
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON)
    with pytest.raises(
        SessionError, match=r"no lock at .*newest\.txt \(AUTOGRAD_GUIDE_CONSTRAINTS"
    ):
        NOXFILE.install(session, "docs")
    assert not [c for c in session.commands if c.method == "install" or "pip" in c.args]


def test_a_lock_as_new_as_the_groups_lets_pip_run(tmp_path: Path) -> None:
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON)
    NOXFILE.install(session, "test")
    assert any(command.method == "install" for command in session.commands)


def test_when_nox_installs_nothing_the_lock_is_not_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # -R: the environment is used as it is, so a stale lock does not matter.
    changed_group(monkeypatch, "docs")
    NOXFILE.install(FakeSession(tmp_path, python=NOXFILE.PYTHON, installing=False), "docs")


def test_the_lock_session_itself_is_not_stopped_by_a_stale_lock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    changed_group(monkeypatch, "lock")
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON)
    NOXFILE.install(session, "lock", project=False, locked=False)
    assert any(command.method == "install" for command in session.commands)


def requirements_to_pin() -> list[tuple[str, Requirement]]:
    """(where it comes from, requirement) for everything the sessions install."""
    found = [
        (f"group {name}", Requirement(req))
        for name in PYPROJECT["dependency-groups"]
        for req in NOXFILE.nox.project.dependency_groups(NOXFILE.PYPROJECT, name)
    ]
    found += [("build-system", Requirement(req)) for req in PYPROJECT["build-system"]["requires"]]
    return [*found, *(("every session", Requirement(req)) for req in NOXFILE.SEEDED)]


@pytest.mark.parametrize("system", ["Linux", "Darwin", "Windows"])
@pytest.mark.parametrize("python", NOXFILE.SUPPORTED_PYTHONS)
def test_every_requirement_of_every_group_is_pinned_at_a_version_it_allows(
    python: str, system: str
) -> None:
    environment = target(python, system)
    pins = NOXFILE.read_lock(LOCK)
    problems = []
    for where, requirement in requirements_to_pin():
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        applicable = [
            pin
            for pin in pins.get(canonicalize_name(requirement.name), [])
            if pin.marker is None or pin.marker.evaluate(environment)
        ]
        if len(applicable) != 1:
            problems.append(f"{requirement} ({where}): {len(applicable)} pins apply")
            continue
        (pin,) = applicable
        (exact,) = pin.specifier
        if exact.operator != "==" or not requirement.specifier.contains(exact.version):
            problems.append(f"{requirement} ({where}): pinned {pin.specifier}")
    assert not problems, (
        f"constraints.txt does not pin these for Python {python} on {system}: {problems};"
        " run `python3 -m nox -s lock`"
    )


def write_lock(path: Path, *lines: str) -> Path:
    path.write_text("# a header\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_environment_as_the_lock_pins_it_passes(tmp_path: Path) -> None:
    lock = write_lock(
        tmp_path / "lock.txt",
        "torch==2.13.0",
        "    # via autograd-guide",
        "numpy==2.4.6 ; python_full_version < '3.12'",
        "numpy==2.5.5 ; python_full_version >= '3.12'",
    )
    installed = {"torch": "2.13.0+cpu", "numpy": "2.4.6", "autograd-guide": "0.1.0"}
    assert NOXFILE.unpinned(installed, target("3.11", "Linux"), lock) == []


def test_a_package_the_lock_does_not_pin_or_pins_otherwise_is_named(tmp_path: Path) -> None:
    lock = write_lock(
        tmp_path / "lock.txt",
        "numpy==2.4.6 ; python_full_version < '3.12'",
        "numpy==2.5.5 ; python_full_version >= '3.12'",
        "sphinx==9.0.4",
    )
    installed = {"numpy": "2.4.6", "Sphinx": "9.1.0", "docutils": "0.22.4"}
    assert NOXFILE.unpinned(installed, target("3.12", "Linux"), lock) == [
        "Sphinx==9.1.0 (==9.0.4)",
        "docutils==0.22.4 (not pinned)",
        "numpy==2.4.6 (==2.5.5)",
    ]


def test_what_install_compares_with_the_lock_is_pip_inspects_report() -> None:
    # The command install() runs in each environment, here in the tests' own,
    # with the environment of CI, which asks for colours (docs.yml, newest.yml).
    env = {**os.environ, "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"}
    for name, value in NOXFILE.PLAIN_OUTPUT.items():
        if value is None:
            env.pop(name, None)  # what nox does with None
        else:
            env[name] = value
    program, *args = NOXFILE.PIP_INSPECT
    assert program == "python"
    report = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    ).stdout
    installed, environment = NOXFILE.inspected(report)
    assert installed["pytest"] == importlib.metadata.version("pytest")
    assert installed["packaging"] == importlib.metadata.version("packaging")
    assert environment == default_environment()


# --- Every session installs through install(), with the lock --------------------


def noxfile_tree() -> ast.Module:
    return ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))


def sessions() -> dict[str, ast.FunctionDef]:
    """The functions decorated with @nox.session that get an environment (python is not False)."""
    found = {}
    for node in noxfile_tree().body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if not (
                isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "nox.session"
            ):
                continue
            python = {kw.arg: kw.value for kw in decorator.keywords}.get("python")
            if not (isinstance(python, ast.Constant) and python.value is False):
                found[node.name] = node
    return found


def calls(function: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == name
    ]


def test_every_session_with_an_environment_installs_through_install() -> None:
    found = sessions()
    assert {"tests", "docs", "lint", "audit", "lock"} <= set(found)
    missing = sorted(name for name, function in found.items() if not calls(function, "install"))
    assert not missing, (
        f"sessions that do not call install() (the lock, the Python check): {missing}"
    )


# nox's Session methods that install whatever they are given.
INSTALLERS = {"install", "conda_install", "install_and_run_script"}
# Its methods that run a command, which may be pip.
RUNNERS = {"run", "run_install", "run_always"}


def runs_pip(words: list[str | None]) -> bool:
    """Whether a command runs pip: `pip ...`, `python -m pip ...`, `uv pip install ...`.

    ``words`` are the command's words, None where the code computes one.
    `uv pip compile` only writes a lock, so it does not count.
    """
    program = Path(words[0]).name if words and words[0] else ""
    if re.fullmatch(r"pip[\d.]*(\.exe)?", program):
        return True
    if any(a == "-m" and b in {"pip", "ensurepip"} for a, b in itertools.pairwise(words)):
        return True
    return program == "uv" and words[1:2] == ["pip"] and words[2:3] != ["compile"]


def test_runs_pip_knows_every_way_to_run_pip() -> None:
    assert runs_pip(["pip", "install", "rich"])
    assert runs_pip(["pip3.12", "install", "rich"])
    assert runs_pip(["python", "-m", "pip", "install", "rich"])
    assert runs_pip(["/usr/bin/python3", "-I", "-m", "pip", "download", None])
    assert runs_pip(["uv", "pip", "install", "rich"])
    assert not runs_pip(["uv", "pip", "compile", "--universal"])
    assert not runs_pip(["sphinx-build", "docs", "pip"])
    assert not runs_pip(["python", "-m", "pytest"])


def installing_calls(tree: ast.AST) -> list[ast.Call]:
    """Every call in ``tree`` that installs packages or runs pip, whatever the object's name."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        words = [
            arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
            for arg in node.args
        ]
        if method in INSTALLERS or (method in RUNNERS and runs_pip(words)):
            found.append(node)
    return found


def allowed_to_install() -> set[str]:
    """install() and the noxfile's functions that it calls (the probe for torch's build)."""
    functions = {
        node.name: node for node in noxfile_tree().body if isinstance(node, ast.FunctionDef)
    }
    allowed, pending = set(), ["install"]
    while pending:
        name = pending.pop()
        if name in allowed:
            continue
        allowed.add(name)
        pending += [
            call.func.id
            for call in ast.walk(functions[name])
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id in functions
        ]
    return allowed


def test_only_install_calls_pip_and_always_with_the_lock() -> None:
    tree = noxfile_tree()
    allowed = allowed_to_install()
    assert "_torch_index" in allowed  # its pip probe is part of installing
    outside = [
        ast.unparse(call)
        for node in tree.body
        if not (isinstance(node, ast.FunctionDef) and node.name in allowed)
        for call in installing_calls(node)
    ]
    assert not outside, f"these install packages or run pip outside install(): {outside}"
    (install,) = (
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "install"
    )
    for call in calls(install, "session.install"):
        assert ast.unparse(call.args[0]) == "*lock", (
            f"install() runs pip without the lock's --constraint: {ast.unparse(call)}"
        )


# The sessions a run of nox may call; not inventories, which downloads (and needs no pip).
EVERY_SESSION = sorted({*sessions(), "check", "clean"})


@pytest.mark.parametrize("name", EVERY_SESSION)
def test_no_session_runs_pip_but_through_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    # The calls as the session really makes them, commands it builds at run
    # time included (the lint hooks), which the look at the source above cannot read.
    # `check` refuses --install-only (its nox would run nothing): as outside it.
    runs = RunningSession if name == "check" else FakeSession
    commands = run_under_install_only(NOXFILE, name, monkeypatch, tmp_path, runs)
    outside = [
        f"session.{command.method}{command.args}"
        for command in commands
        if (
            command.method in INSTALLERS
            or (command.method in RUNNERS and runs_pip([*command.args]))
        )
        and "install" not in command.callers
    ]
    assert not outside, f"session {name} installs or runs pip outside install(): {outside}"


def test_only_the_lock_session_installs_without_the_lock() -> None:
    unlocked = sorted(
        name
        for name, function in sessions().items()
        for call in calls(function, "install")
        if any(kw.arg == "locked" for kw in call.keywords)
    )
    assert unlocked == ["lock"]
