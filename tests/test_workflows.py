"""The shell steps of the weekly newest-releases workflow, run here on the files its steps leave."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NEWEST = yaml.safe_load((ROOT / ".github" / "workflows" / "newest.yml").read_text("utf-8"))


def step(job: str, name: str) -> dict:
    (found,) = [s for s in NEWEST["jobs"][job]["steps"] if s.get("name") == name]
    return found


def run_step(
    script: str, folder: Path, env: dict[str, str], shell: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a step's script as GitHub's runner does: `bash -e`, or `bash -eo pipefail` for bash."""
    options = ["--noprofile", "--norc", "-eo", "pipefail"] if shell == "bash" else ["-e"]
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, *options, "-c", script],
        cwd=folder,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def summarize(folder: Path) -> str:
    """Run the step that writes the report; return what it added to the job summary."""
    summary = folder / "step-summary.md"
    if shutil.which("jq") is None:
        pytest.skip("jq, which GitHub's runners have, is not installed here")
    report = step("check", "Say what changed and what broke")
    run = run_step(
        report["run"],
        folder,
        {"GITHUB_STEP_SUMMARY": str(summary), "PYTHON_VERSION": "3.14"},
        report.get("shell"),
    )
    assert run.returncode == 0, run.stderr
    written = (folder / "build" / "newest" / "report.md").read_text(encoding="utf-8")
    assert summary.read_text(encoding="utf-8") == written
    return written


def leave_a_failed_run(folder: Path) -> None:
    """What the lock and check steps leave when the tests fail: nox's output is in colour."""
    newest = folder / "build" / "newest"
    newest.mkdir(parents=True)
    (newest / "summary.md").write_text(
        "### Packages whose pins differ from constraints.txt: 1\n\n"
        "| package | constraints.txt | now |\n| --- | --- | --- |\n| rich | ==15.0.0 | ==15.1.0 |\n",
        encoding="utf-8",
    )
    sessions = [
        {"name": "lint", "result": "success", "reason": None},
        {"name": "tests", "result": "failed", "reason": None},
    ]
    (newest / "report.json").write_text(json.dumps({"sessions": sessions}), encoding="utf-8")
    (newest / "check.log").write_text(
        "\x1b[36mnox > \x1b[32mSession lint was successful in 9 seconds.\x1b[0m\n"
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_pages.py::test_every_page_has_exercises - AssertionError\n"
        "\x1b[36mnox > \x1b[31mCommand pytest failed with exit code 1\x1b[0m\n"
        "\x1b[36mnox > \x1b[31mSession tests failed.\x1b[0m\n",
        encoding="utf-8",
    )


def test_the_report_says_what_moved_and_what_broke(tmp_path: Path) -> None:
    leave_a_failed_run(tmp_path)
    report = summarize(tmp_path)
    assert report.startswith("## Python 3.14\n")
    assert "| rich | ==15.0.0 | ==15.1.0 |" in report
    assert "| lint | success |  |\n| tests | failed |  |" in report
    # Why the tests failed, without the colour codes.
    assert "FAILED tests/test_pages.py::test_every_page_has_exercises" in report
    assert "nox > Session tests failed." in report
    assert "\x1b" not in report


def test_a_run_that_passed_reports_no_failure(tmp_path: Path) -> None:
    leave_a_failed_run(tmp_path)
    newest = tmp_path / "build" / "newest"
    (newest / "check.log").write_text("nox > Session tests was successful.\n", encoding="utf-8")
    assert "<details>" not in summarize(tmp_path)


def test_a_lock_that_could_not_be_resolved_is_reported(tmp_path: Path) -> None:
    report = summarize(tmp_path)
    assert "No lock could be resolved" in report
    assert "| (none ran) | | |" in report


@pytest.mark.parametrize("open_issue", ["", "42"])
def test_a_failure_opens_an_issue_or_comments_on_the_open_one(
    tmp_path: Path, open_issue: str
) -> None:
    # The download-artifact step leaves one folder per Python; gh is a stand-in.
    for python in ("3.11", "3.14"):
        folder = tmp_path / "reports" / f"newest-python-{python}"
        folder.mkdir(parents=True)
        (folder / "report.md").write_text(f"## Python {python}\n", encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        '#!/bin/bash\nprintf "%s\\n" "$*" >> "$GH_LOG"\n'
        '[[ "$1 $2" == "issue list" ]] && echo "$OPEN_ISSUE"\nexit 0\n',
        encoding="utf-8",
    )
    gh.chmod(0o755)
    log = tmp_path / "gh.log"
    issue = step("issue", "Open an issue, or comment on the open one")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GH_LOG": str(log),
        "OPEN_ISSUE": open_issue,
        "RUN_URL": "https://github.com/o/r/actions/runs/1",
    }
    run = run_step(issue["run"], tmp_path, env, issue.get("shell"))
    assert run.returncode == 0, run.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0].startswith("issue list --state open")
    expected = (
        f"issue comment {open_issue} --body-file body.md"
        if open_issue
        else "issue create --title The newest releases break the check --body-file body.md"
    )
    assert calls[1:] == [expected]
    body = (tmp_path / "body.md").read_text(encoding="utf-8")
    assert "https://github.com/o/r/actions/runs/1" in body
    assert "## Python 3.11" in body
    assert "## Python 3.14" in body
