""".ci/run, run with stand-ins for every program it calls: what it runs, and when it installs."""

from __future__ import annotations

import re
import shlex
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIELD = "\x1f"

# One script stands in for every program .ci/run may call: it logs the call
# (its name, the folder, the variables that matter, the arguments) and does
# what the test asks through STUB_* variables. PATH holds nothing else but
# dirname, so a program the script calls without a stand-in is "not found"
# and fails the run: nothing can reach the real apt-get, pip or nox.
STUB = rf"""#!/bin/bash
name=${{0##*/}}
{{
  printf '%s' "$name{FIELD}$PWD{FIELD}${{PYTHONPATH-}}{FIELD}${{DEBIAN_FRONTEND-}}"
  printf '{FIELD}%s' "$@"
  printf '\n'
}} >>"$STUB_LOG"
case "$name $*" in
  "id -u") echo "$STUB_UID" ;;
  "python3 -m site_audit.prerequisites")
    if [[ $STUB_PREREQUISITES == crash ]]; then
      echo "Traceback (most recent call last): ModuleNotFoundError" >&2
      exit 1
    fi
    echo "$STUB_PREREQUISITES" ;;
  "python3 -m nox"*) exit "${{STUB_NOX_EXIT:-0}}" ;;
esac
"""
STUBS = ["python3", "apt-get", "id"]


@dataclass
class Call:
    program: str
    folder: str
    pythonpath: str
    debian_frontend: str
    args: list[str]

    @property
    def command(self) -> list[str]:
        return [self.program, *self.args]


def readme_check_command() -> list[list[str]]:
    """The README's check command, one list of words for each command joined by `&&`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| Run every check")]
    match = re.search(r"`([^`]+)`", row)
    assert match, row
    return [shlex.split(part) for part in match.group(1).split(" && ")]


def run_ci(
    tmp_path: Path, *, uid: int, missing: str = "", nox_exit: int = 0
) -> tuple[subprocess.CompletedProcess[str], list[Call]]:
    """Run a copy of .ci/run in a copy of the project folder with the stand-ins on PATH."""
    project = tmp_path / "project"
    (project / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", project / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = tmp_path / "stub"
    stub.write_text(STUB, encoding="utf-8")
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    for name in STUBS:
        (bin_dir / name).symlink_to(stub)
    dirname = shutil.which("dirname")
    assert dirname is not None
    (bin_dir / "dirname").symlink_to(dirname)
    log = tmp_path / "calls.log"
    log.touch()
    env = {
        "PATH": str(bin_dir),
        "HOME": str(tmp_path),
        "STUB_LOG": str(log),
        "STUB_UID": str(uid),
        "STUB_PREREQUISITES": missing,
        "STUB_NOX_EXIT": str(nox_exit),
    }
    bash = shutil.which("bash")
    assert bash is not None
    run = subprocess.run(
        [bash, str(project / ".ci" / "run")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    calls = []
    for line in log.read_text(encoding="utf-8").splitlines():
        program, folder, pythonpath, frontend, *args = line.split(FIELD)
        calls.append(Call(program, folder, pythonpath, frontend, args))
    return run, calls


PREREQUISITES = ["python3", "-m", "site_audit.prerequisites"]


def commands(calls: list[Call]) -> list[list[str]]:
    """The commands run, but `id -u` (how the script asks who it runs as)."""
    return [call.command for call in calls if call.command != ["id", "-u"]]


def test_the_readme_check_command_is_the_one_ci_runs() -> None:
    # What the test below compares with: pip's install of nox, then nox.
    assert readme_check_command() == [
        ["python3", "-m", "pip", "install", "nox"],
        ["python3", "-m", "nox"],
    ]


@pytest.mark.parametrize(
    ("uid", "missing"),
    [(0, ""), (1000, ""), (1000, "chromium npm")],
    ids=["root-nothing-missing", "user-nothing-missing", "user-packages-missing"],
)
def test_it_runs_the_readme_check_command_and_nothing_else(
    tmp_path: Path, uid: int, missing: str
) -> None:
    run, calls = run_ci(tmp_path, uid=uid, missing=missing)
    assert run.returncode == 0, run.stderr
    assert commands(calls) == [PREREQUISITES, *readme_check_command()]
    # From the project's root, asking the audit's own module (tools/site_audit).
    project = str(tmp_path / "project")
    assert all(call.folder == project for call in calls)
    assert calls[0].pythonpath == "tools"


def test_as_root_it_installs_the_missing_packages_first(tmp_path: Path) -> None:
    run, calls = run_ci(tmp_path, uid=0, missing="chromium npm fonts-wqy-microhei")
    assert run.returncode == 0, run.stderr
    apt = ["apt-get", "install", "-y", "-q", "--no-install-recommends"]
    assert commands(calls) == [
        PREREQUISITES,
        ["apt-get", "update", "-q"],
        [*apt, "chromium", "npm", "fonts-wqy-microhei"],
        *readme_check_command(),
    ]
    assert all(call.debian_frontend == "noninteractive" for call in calls[2:4])


def test_it_stops_when_the_prerequisites_check_crashes(tmp_path: Path) -> None:
    # A crash must not pass for "nothing missing": the run would then go on
    # to an audit without its browser.
    run, calls = run_ci(tmp_path, uid=0, missing="crash")
    assert run.returncode != 0
    assert "Traceback" in run.stderr
    assert commands(calls) == [PREREQUISITES]


def test_its_exit_status_is_the_checks(tmp_path: Path) -> None:
    run, _ = run_ci(tmp_path, uid=1000, nox_exit=3)
    assert run.returncode == 3
