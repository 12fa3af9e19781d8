"""constraints.txt pins every package of every nox session, and matches pyproject.toml's groups."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from noxfile_module import load_noxfile

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = ROOT / "constraints.txt"


NOXFILE = load_noxfile()


def marker_environment(python: str, system: str) -> dict[str, str]:
    """The PEP 508 environment of CPython ``python`` on x86_64 ``system`` (Linux, Darwin, Windows)."""
    sys_platform = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}[system]
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "os_name": "nt" if system == "Windows" else "posix",
        "platform_machine": "AMD64" if system == "Windows" else "x86_64",
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": f"{python}.0",
        "platform_python_implementation": "CPython",
        "python_version": python,
        "sys_platform": sys_platform,
    }


def recorded_digests() -> dict[str, str]:
    """The `#   group: digest` lines of the lock's header."""
    digests = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#   "):
            continue
        name, _, digest = line.removeprefix("#   ").partition(": ")
        digests[name] = digest
    return digests


def test_the_lock_was_made_from_the_dependency_groups_as_they_are() -> None:
    groups = PYPROJECT["dependency-groups"]
    recorded = recorded_digests()
    current = {name: NOXFILE.group_digest(name) for name in groups}
    changed = sorted(name for name in current if recorded.get(name) != current[name])
    gone = sorted(set(recorded) - set(current))
    refresh = "run `python3 -m nox -s lock` and commit constraints.txt with pyproject.toml"
    assert not changed, (
        f"constraints.txt was made before these groups changed: {changed}; {refresh}"
    )
    assert not gone, f"constraints.txt was made from groups that are gone: {gone}; {refresh}"


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
    environment = marker_environment(python, system)
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
    assert NOXFILE.unpinned(installed, marker_environment("3.11", "Linux"), lock) == []


def test_a_package_the_lock_does_not_pin_or_pins_otherwise_is_named(tmp_path: Path) -> None:
    lock = write_lock(
        tmp_path / "lock.txt",
        "numpy==2.4.6 ; python_full_version < '3.12'",
        "numpy==2.5.5 ; python_full_version >= '3.12'",
        "sphinx==9.0.4",
    )
    installed = {"numpy": "2.4.6", "Sphinx": "9.1.0", "docutils": "0.22.4"}
    assert NOXFILE.unpinned(installed, marker_environment("3.12", "Linux"), lock) == [
        "Sphinx==9.1.0 (==9.0.4)",
        "docutils==0.22.4 (not pinned)",
        "numpy==2.4.6 (==2.5.5)",
    ]


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


def calls(function: ast.FunctionDef, name: str) -> list[ast.Call]:
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


def test_only_install_calls_pip_and_always_with_the_lock() -> None:
    functions = [node for node in noxfile_tree().body if isinstance(node, ast.FunctionDef)]
    outside = sorted(
        function.name
        for function in functions
        if function.name != "install"
        and (calls(function, "session.install") or calls(function, "session.conda_install"))
    )
    assert not outside, f"these install packages without install() and the lock: {outside}"
    (install,) = (function for function in functions if function.name == "install")
    for call in calls(install, "session.install"):
        assert ast.unparse(call.args[0]) == "*lock", (
            f"install() runs pip without the lock's --constraint: {ast.unparse(call)}"
        )


def test_only_the_lock_session_installs_without_the_lock() -> None:
    unlocked = sorted(
        name
        for name, function in sessions().items()
        for call in calls(function, "install")
        if any(kw.arg == "locked" for kw in call.keywords)
    )
    assert unlocked == ["lock"]
