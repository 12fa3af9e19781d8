"""The noxfile's choices: which Python, which torch build, and where the site is built."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import noxfile_module
from noxfile_module import (
    FakeSession,
    RunningSession,
    SessionError,
    load_noxfile,
    run_under_install_only,
)

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


NOXFILE = load_noxfile()
SUPPORTED = NOXFILE.SUPPORTED_PYTHONS


def workflow(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))


# --- Which Python -----------------------------------------------------------------


def test_the_supported_pythons_are_those_pyproject_declares() -> None:
    classifiers = [
        c.removeprefix("Programming Language :: Python :: ")
        for c in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert tuple(classifiers) == SUPPORTED
    assert PYPROJECT["project"]["requires-python"] == f">={SUPPORTED[0]}"
    assert PYPROJECT["tool"]["mypy"]["python_version"] == SUPPORTED[0]


def test_ci_and_hosting_use_supported_pythons() -> None:
    docs = workflow("docs.yml")
    for job in docs["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["python-version"] in SUPPORTED
    # The weekly run tries the oldest and the newest.
    assert workflow("newest.yml")["jobs"]["check"]["strategy"]["matrix"]["python"] == [
        SUPPORTED[0],
        SUPPORTED[-1],
    ]
    readthedocs = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert readthedocs["build"]["tools"]["python"] in SUPPORTED


def copy_project(tmp_path: Path, supported: str | None = None) -> Path:
    """The noxfile with what it reads at import, in a folder of its own (optionally other Pythons)."""
    for name in ("noxfile.py", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    if supported is not None:
        noxfile = tmp_path / "noxfile.py"
        text = noxfile.read_text(encoding="utf-8")
        line = re.search(r"^SUPPORTED_PYTHONS = .*$", text, flags=re.MULTILINE)
        assert line, "noxfile.py has no SUPPORTED_PYTHONS line"
        noxfile.write_text(text.replace(line.group(), f"SUPPORTED_PYTHONS = {supported}"))
    return tmp_path / "noxfile.py"


def run_nox(
    noxfile: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # Not under CI: nox fails a session without its Python there anyway. Nor
    # as `check` runs these tests (CHECK_VARIABLE), unless ``env`` says so.
    left_out = {"CI", "NOX_DEFAULT_VENV_BACKEND", NOXFILE.CHECK_VARIABLE}
    env = {key: value for key, value in os.environ.items() if key not in left_out} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "nox", "--noxfile", str(noxfile), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=env,
    )


def test_sessions_run_on_the_python_that_runs_nox_when_it_is_supported() -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running not in SUPPORTED:
        pytest.fail(f"the tests run on Python {running}, which the noxfile does not support")
    assert running == NOXFILE.PYTHON


@pytest.mark.slow
def test_a_python_that_cannot_be_found_fails_the_run(tmp_path: Path) -> None:
    # nox skips such a session and exits 0 unless told otherwise: a check
    # command that ran nothing would pass.
    run = run_nox(copy_project(tmp_path), "--session", "repo_review", "--force-python", "3.99")
    assert run.returncode == 1, run.stderr
    assert "Python interpreter 3.99 not found" in run.stderr


@pytest.mark.slow
def test_without_a_supported_python_every_session_fails_naming_the_supported_ones(
    tmp_path: Path,
) -> None:
    # Pythons that no machine has: the one running nox is not among them.
    run = run_nox(copy_project(tmp_path, supported='("3.97", "3.98")'), "--session", "repo_review")
    assert run.returncode == 1, run.stderr
    assert "the guide runs on Python 3.97, 3.98 only" in run.stderr
    assert "Session repo_review aborted" in run.stderr


# --- nox --install-only ----------------------------------------------------------


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize(
    "name",
    [
        "audit",
        "bench",
        "docs",
        "lint",
        "lock",
        "package",
        "repo_review",
        "serve",
        "tests",
        "translations",
    ],
)
def test_every_session_only_installs_under_install_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    # --install-only makes session.run() return None without running: a
    # session must then stop after installing, neither failing on what was
    # not built (a site, a lock) nor writing over what is there.
    site = tmp_path / "build" / "html"
    (site / "zh_CN").mkdir(parents=True)
    (site / "zh_CN" / "index.html").write_text("an earlier build", encoding="utf-8")
    shutil.copy(NOXFILE.LOCK, tmp_path / "constraints.txt")  # the lock the session uses
    before = files(tmp_path)
    commands = run_under_install_only(NOXFILE, name, monkeypatch, tmp_path)
    assert any(command.method == "install" for command in commands)
    after = files(tmp_path)
    assert {path: data for path, data in after.items() if not path.startswith("tmp/")} == before
    assert not [command for command in commands if command.method == "notify"]


# --- Which torch ------------------------------------------------------------------


def test_linux_gets_the_cpu_index_unless_pip_finds_the_cpu_build_already() -> None:
    cpu_index = ["--extra-index-url", "https://download.pytorch.org/whl/cpu"]
    assert NOXFILE.torch_index_options("linux", None, finds_cpu_build=False) == cpu_index
    # A local wheel or pip's own configuration: an extra index that cannot be
    # reached would cost seconds for every package.
    assert NOXFILE.torch_index_options("linux", None, finds_cpu_build=True) == []
    # PyPI's builds for macOS and Windows have no CUDA.
    assert NOXFILE.torch_index_options("darwin", None, finds_cpu_build=False) == []
    assert NOXFILE.torch_index_options("win32", None, finds_cpu_build=False) == []


def test_the_torch_index_variable_overrides_the_choice() -> None:
    assert NOXFILE.torch_index_options("linux", "", finds_cpu_build=False) == []
    assert NOXFILE.torch_index_options("darwin", "https://example.org/whl", False) == [
        "--extra-index-url",
        "https://example.org/whl",
    ]


@pytest.mark.parametrize(
    ("cpu_torch", "options"),
    [
        ("configured", []),
        ("index", ["--extra-index-url", "https://download.pytorch.org/whl/cpu"]),
    ],
)
def test_on_linux_the_sessions_ask_pip_where_the_cpu_build_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cpu_torch: str, options: list[str]
) -> None:
    monkeypatch.delenv(NOXFILE.TORCH_INDEX_VARIABLE, raising=False)
    monkeypatch.setattr(NOXFILE.sys, "platform", "linux")
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON, cpu_torch=cpu_torch)
    assert NOXFILE._torch_index(session) == options


def test_a_cpu_index_that_cannot_be_reached_stops_the_session_naming_the_way_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Instead of minutes of retries, then PyPI's CUDA build (several GB).
    monkeypatch.delenv(NOXFILE.TORCH_INDEX_VARIABLE, raising=False)
    monkeypatch.setattr(NOXFILE.sys, "platform", "linux")
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON, cpu_torch=None)
    with pytest.raises(SessionError) as error:
        NOXFILE.install(session, "docs")
    assert "nor at https://download.pytorch.org/whl/cpu (unreachable" in str(error.value)
    assert "set AUTOGRAD_GUIDE_TORCH_INDEX" in str(error.value)
    assert not [command for command in session.commands if command.method == "install"]
    (reach,) = [c for c in session.commands if "--index-url" in c.args]
    assert {"--retries", "0"} <= set(reach.args)


def test_nothing_is_probed_when_nox_installs_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(NOXFILE.TORCH_INDEX_VARIABLE, raising=False)
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON, installing=False, cpu_torch=None)
    assert NOXFILE._torch_index(session) == []


def test_the_torch_of_the_sessions_is_the_one_the_pages_pin() -> None:
    docs = NOXFILE.nox.project.dependency_groups(NOXFILE.PYPROJECT, "docs")
    assert f"torch=={NOXFILE.TORCH_VERSION}" in docs


# --- The check --------------------------------------------------------------------


def test_the_check_runs_its_sessions_side_by_side_in_another_nox(tmp_path: Path) -> None:
    session = RunningSession(tmp_path, posargs=["-R"])
    NOXFILE.check(session)
    (command,) = [command for command in session.commands if command.method == "run"]
    nox_itself = (sys.executable, "-m", "nox", "--noxfile", str(ROOT / "noxfile.py"))
    assert command.args[:5] == nox_itself
    words = list(command.args[5:])
    assert words == ["--sessions", *NOXFILE.CHECKED, "--parallel", "auto", "-R"]
    assert command.kwargs["env"] == {NOXFILE.CHECK_VARIABLE: "1"}
    assert command.kwargs["interrupt_timeout"] is None  # Ctrl-C: that nox stops its sessions


def test_under_install_only_the_check_fails_saying_where_the_option_goes(tmp_path: Path) -> None:
    # nox --install-only makes session.run() run nothing: the check would pass.
    with pytest.raises(SessionError, match="nox -- --install-only"):
        NOXFILE.check(FakeSession(tmp_path))


@pytest.mark.slow
def test_the_check_command_line_is_one_that_nox_takes(tmp_path: Path) -> None:
    # `-- --list --json`: the check's nox lists the sessions it would run
    # (in the noxfile's order: it starts them in CHECKED's) instead of running them.
    project = copy_project(tmp_path)
    run = run_nox(project, "--session", "check", "--", "--list", "--json")
    assert run.returncode == 0, run.stderr
    listed = json.loads(run.stdout)
    assert sorted(entry["session"] for entry in listed) == sorted(NOXFILE.CHECKED)
    # The audit alone: that nox reads the noxfile with CHECK_VARIABLE set, so
    # the audit waits for the docs build there.
    run = run_nox(project, "--session", "check", "--", "--list", "--json", "--sessions", "audit")
    assert run.returncode == 0, run.stderr
    assert [entry["session"] for entry in json.loads(run.stdout)] == ["docs", "audit"]


@pytest.mark.slow
def test_the_check_fails_when_its_nox_fails(tmp_path: Path) -> None:
    run = run_nox(copy_project(tmp_path), "--session", "check", "--", "--sessions", "nothing")
    assert run.returncode == 1
    assert "Sessions not found: nothing" in run.stdout + run.stderr
    assert "Session check failed" in run.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("session", "in_check", "selected"),
    [
        ("notebooks", True, ["docs", "package", "notebooks"]),
        ("audit", True, ["docs", "audit"]),
        ("notebooks", False, ["notebooks"]),
        ("audit", False, ["audit"]),
    ],
)
def test_in_the_check_notebooks_and_the_audit_wait_for_what_they_read(
    tmp_path: Path, session: str, in_check: bool, selected: list[str]
) -> None:
    # In the check, nox starts them only after the docs build (and notebooks
    # after the package); by themselves they read what an earlier run built.
    env = {NOXFILE.CHECK_VARIABLE: "1"} if in_check else {}
    run = run_nox(copy_project(tmp_path), "--session", session, "--list", "--json", env=env)
    assert run.returncode == 0, run.stderr
    assert [entry["session"] for entry in json.loads(run.stdout)] == selected


def test_the_tests_load_the_noxfile_without_the_variable_it_reads() -> None:
    # tests/noxfile_module.py names it before the noxfile is loaded.
    assert noxfile_module.CHECK_VARIABLE == NOXFILE.CHECK_VARIABLE


def test_only_the_audit_runs_alone() -> None:
    # Lighthouse times the pages: another session beside it would slow them.
    # nox's registry of sessions is not in its documented API: a change there
    # fails this test (AttributeError), not the check.
    registry = NOXFILE.nox.registry.get()
    alone = [name for name in NOXFILE.CHECKED if not registry[name].allow_parallel]
    assert alone == ["audit"]


@pytest.mark.parametrize(("in_check", "english"), [(True, "force"), (False, None)])
def test_in_the_check_the_docs_build_runs_every_cell_afresh(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, in_check: bool, english: str | None
) -> None:
    monkeypatch.setattr(NOXFILE, "IN_CHECK", in_check)
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON)
    NOXFILE.docs(session)
    (build,) = [c for c in session.commands if c.method == "run" and c.args[0] == "sphinx-build"]
    assert build.kwargs["env"].get("AUTOGRAD_GUIDE_EXECUTE") == english
    # `-- --execute=MODE` still chooses.
    session = FakeSession(tmp_path, python=NOXFILE.PYTHON, posargs=["--execute=off"])
    NOXFILE.docs(session)
    (build,) = [c for c in session.commands if c.method == "run" and c.args[0] == "sphinx-build"]
    assert build.kwargs["env"]["AUTOGRAD_GUIDE_EXECUTE"] == "off"


# --- Where the site is built ----------------------------------------------------------


def test_read_the_docs_publishes_both_editions_as_the_docs_session_builds_them() -> None:
    # Every page links to zh_CN/: Read the Docs must publish it too, so it runs
    # the docs session (both editions) instead of its own one-edition build.
    readthedocs = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert "sphinx" not in readthedocs
    commands = readthedocs["build"]["commands"]
    assert any(re.fullmatch(r"python -m nox -s docs( -- .*)?", command) for command in commands)
    assert 'cp -r build/html "$READTHEDOCS_OUTPUT/html"' in commands


def test_a_readers_environment_gets_the_build_of_torch_the_site_used() -> None:
    # A plain torch==2.13.0 lets pip take PyPI's CUDA build (2.13.0+cu130 seen here).
    version = NOXFILE.TORCH_VERSION
    assert NOXFILE.reader_torch_pins("linux", None) == [f"torch=={version}+cpu"]
    assert NOXFILE.reader_torch_pins("linux", "https://example.org/cpu") == [
        f"torch=={version}+cpu"
    ]
    assert NOXFILE.reader_torch_pins("linux", "") == []  # PyPI's build asked for
    assert NOXFILE.reader_torch_pins("darwin", None) == []
    assert NOXFILE.reader_torch_pins("win32", None) == []


class RunsUnderNoInstall(FakeSession):
    """run() runs and answers, as outside --install-only (with installing=False: nox -R)."""

    def run(self, *args, **kwargs):
        self._record("run", args, kwargs)
        return FakeSession.run_install(dataclasses.replace(self, installing=True), *args, **kwargs)


def test_the_readers_torch_index_is_worked_out_even_when_nox_installs_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The notebooks session makes the reader's environment anew on every run,
    # -R or not: its install cells need PyTorch's CPU index wherever pip needs it.
    monkeypatch.delenv(NOXFILE.TORCH_INDEX_VARIABLE, raising=False)
    monkeypatch.setattr(NOXFILE.sys, "platform", "linux")
    cpu_index = ["--extra-index-url", NOXFILE.TORCH_CPU_INDEX]
    session = RunsUnderNoInstall(
        tmp_path, python=NOXFILE.PYTHON, installing=False, cpu_torch="index"
    )
    assert NOXFILE.install(session, "notebooks", project=False, torch_index=True) == cpu_index
    assert NOXFILE.install(session, "notebooks", project=False) == []
    # Installing, it is the same answer, and the group itself installs no torch.
    session = RunsUnderNoInstall(tmp_path, python=NOXFILE.PYTHON, cpu_torch="index")
    assert NOXFILE.install(session, "notebooks", project=False, torch_index=True) == cpu_index
    installed = [c.args for c in session.commands if c.method == "install"]
    assert installed
    assert not any(NOXFILE.TORCH_CPU_INDEX in args for args in installed)
