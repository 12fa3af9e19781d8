"""The workflows' conventions, and their shell steps run here: the weekly newest releases, the release."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from noxfile_module import load_noxfile

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
NEWEST = yaml.safe_load((ROOT / ".github" / "workflows" / "newest.yml").read_text("utf-8"))
RELEASE = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text("utf-8"))
DOCS = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text("utf-8"))


def step(job: str, name: str, workflow: dict | None = None) -> dict:
    steps = (workflow or NEWEST)["jobs"][job]["steps"]
    (found,) = [s for s in steps if s.get("name") == name]
    return found


def uses(workflow: dict, job: str, action: str) -> dict:
    """The one step of ``job`` that uses ``action`` (owner/name)."""
    (found,) = [
        s for s in workflow["jobs"][job]["steps"] if s.get("uses", "").startswith(f"{action}@")
    ]
    return found


# --- Every workflow -----------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_by_commit_sha_with_its_release_beside_it(path: Path) -> None:
    # A tag can be moved to other code, a SHA cannot; Dependabot updates both.
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    used = [line for line in lines if re.match(r"(- )?uses:", line)]
    assert used
    pin = r"(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*"
    assert [line for line in used if not re.fullmatch(pin, line)] == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_workflow_grants_nothing_by_default_and_checks_out_without_credentials(
    path: Path,
) -> None:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert "permissions" in job
        for found in job["steps"]:
            if found.get("uses", "").startswith("actions/checkout@"):
                assert found["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", ["docs.yml", "release.yml"])
def test_nox_is_installed_at_the_version_of_the_lock(name: str) -> None:
    # Each session installs with the lock; nox itself, which runs them, too.
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text("utf-8"))
    runs = [
        line.strip()
        for job in workflow["jobs"].values()
        for found in job["steps"]
        for line in found.get("run", "").splitlines()
    ]
    installs = [run for run in runs if "pip install" in run]
    assert installs == ["python -m pip install --constraint constraints.txt nox"]


def test_the_weekly_report_is_that_of_the_nox_that_runs_the_sessions() -> None:
    # `check` runs the sessions in a nox of its own (noxfile.py): the report
    # of the first nox would list `check` alone. Options after `--` go to it.
    command = step("check", "Run every check with them")["run"]
    assert command.startswith("python -m nox -- --report build/newest/report.json ")


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


# --- The release --------------------------------------------------------------------

VERSION = load_noxfile().PYPROJECT["project"]["version"]
TAG_CHECK = "Refuse a tag that is not the version of pyproject.toml, or not in the changelog"


def test_a_release_runs_on_a_pushed_version_tag_only() -> None:
    # YAML reads the key `on` as True.
    assert RELEASE[True] == {"push": {"tags": ["v*"]}}


def test_the_release_builds_with_the_package_session_and_publishes_what_it_built() -> None:
    build = RELEASE["jobs"]["build"]
    assert build["permissions"] == {"contents": "read"}
    setup = uses(RELEASE, "build", "actions/setup-python")
    assert setup["with"]["python-version"] in load_noxfile().SUPPORTED_PYTHONS
    runs = [found.get("run", "") for found in build["steps"]]
    assert any("python -m nox -s package" in run for run in runs)
    # The tag is checked before anything is built.
    assert runs.index(step("build", TAG_CHECK, RELEASE)["run"]) < next(
        index for index, run in enumerate(runs) if "nox -s package" in run
    )
    upload = uses(RELEASE, "build", "actions/upload-artifact")
    assert upload["with"]["path"] == "build/dist/"
    download = uses(RELEASE, "publish", "actions/download-artifact")
    assert download["with"]["name"] == upload["with"]["name"]
    # Where the publish action looks by default (its input packages-dir).
    assert download["with"]["path"] == "dist/"


def test_the_release_publishes_by_trusted_publishing_with_nothing_but_an_id_token() -> None:
    publish = RELEASE["jobs"]["publish"]
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    action = uses(RELEASE, "publish", "pypa/gh-action-pypi-publish")
    assert not {"user", "password"} & set(action.get("with", {}))
    assert "secrets." not in (ROOT / ".github" / "workflows" / "release.yml").read_text("utf-8")


def check_tag(folder: Path, tag: str, heading: str) -> subprocess.CompletedProcess[str]:
    """Run the release's tag check on a copy of pyproject.toml and a changelog with ``heading``."""
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    (folder / "CHANGELOG.md").write_text(f"# Changelog\n\n{heading}\n\n- Added.\n", "utf-8")
    found = step("build", TAG_CHECK, RELEASE)
    return run_step(found["run"], folder, {"TAG": tag}, found.get("shell"))


def test_the_tag_of_the_version_with_a_dated_changelog_section_is_released(
    tmp_path: Path,
) -> None:
    run = check_tag(tmp_path, f"v{VERSION}", f"## [{VERSION}] - 2026-12-01")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Releasing autograd-guide {VERSION}" in run.stdout


@pytest.mark.parametrize("tag", ["v9.9.9", VERSION, f"v{VERSION}rc1", f"release-{VERSION}"])
def test_a_tag_that_is_not_v_and_the_version_is_refused(tmp_path: Path, tag: str) -> None:
    run = check_tag(tmp_path, tag, f"## [{VERSION}] - 2026-12-01")
    assert run.returncode == 1
    assert f"::error::the tag {tag} is not v{VERSION}" in run.stdout


@pytest.mark.parametrize(
    "heading",
    [
        f"## [{VERSION}] - unreleased",
        f"## [{VERSION}]",
        "## [0.0.9] - 2026-12-01",
        # The dots of the version are dots, not any character.
        f"## [{VERSION.replace('.', 'x')}] - 2026-12-01",
    ],
)
def test_a_version_without_a_dated_changelog_section_is_refused(
    tmp_path: Path, heading: str
) -> None:
    run = check_tag(tmp_path, f"v{VERSION}", heading)
    assert run.returncode == 1
    assert f"::error::CHANGELOG.md has no section '## [{VERSION}] - YYYY-MM-DD'" in run.stdout


MAIN_CHECK = "Refuse a tag on a commit that is not on main"


def test_the_release_checks_the_tag_against_all_of_mains_history_before_anything_else() -> None:
    build = RELEASE["jobs"]["build"]
    checkout = uses(RELEASE, "build", "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0  # a shallow clone has no origin/main to compare
    names = [found.get("name") for found in build["steps"]]
    assert names.index(MAIN_CHECK) == build["steps"].index(checkout) + 1
    # Values reach the script through its environment, never pasted into it (zizmor).
    assert "${{" not in step("build", MAIN_CHECK, RELEASE)["run"]


def git(folder: Path, *args: str) -> str:
    environment = {
        "PATH": os.environ["PATH"],
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.org",
    }
    done = subprocess.run(
        ["git", *args], cwd=folder, env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def tag_on(folder: Path, commit: str, origin_main: str | None) -> subprocess.CompletedProcess[str]:
    """Run the main check in ``folder`` as checkout leaves it, for a tag on ``commit``."""
    if origin_main is not None:
        git(folder, "update-ref", "refs/remotes/origin/main", origin_main)
    found = step("build", MAIN_CHECK, RELEASE)
    env = {"TAG": f"v{VERSION}", "GITHUB_SHA": commit, "GIT_CONFIG_GLOBAL": os.devnull}
    return run_step(found["run"], folder, env, found.get("shell"))


@pytest.fixture
def history(tmp_path: Path) -> dict[str, str]:
    """main with two commits, and a branch with one commit that main never merged."""
    if shutil.which("git") is None:
        pytest.skip("git, which GitHub's runners have, is not installed here")
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    commits = {}
    for name in ("merged", "main"):
        git(tmp_path, "commit", "--quiet", "--allow-empty", "--message", name)
        commits[name] = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "switch", "--quiet", "--create", "unreviewed", commits["merged"])
    git(tmp_path, "commit", "--quiet", "--allow-empty", "--message", "unreviewed")
    commits["unreviewed"] = git(tmp_path, "rev-parse", "HEAD")
    return commits


@pytest.mark.parametrize("commit", ["main", "merged"])
def test_a_tag_on_a_commit_of_main_is_released(
    tmp_path: Path, history: dict[str, str], commit: str
) -> None:
    run = tag_on(tmp_path, history[commit], origin_main=history["main"])
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_tag_on_a_commit_that_is_not_on_main_is_refused(
    tmp_path: Path, history: dict[str, str]
) -> None:
    run = tag_on(tmp_path, history["unreviewed"], origin_main=history["main"])
    assert run.returncode == 1
    assert (
        f"::error::the tag v{VERSION} is on commit {history['unreviewed']}, which is not on main"
        in run.stdout
    )


def test_a_checkout_without_main_is_refused(tmp_path: Path, history: dict[str, str]) -> None:
    run = tag_on(tmp_path, history["main"], origin_main=None)
    assert run.returncode == 1
    assert "::error::origin/main was not fetched" in run.stdout


# --- The notebooks branch -----------------------------------------------------------

PYPI_CHECK = "Ask PyPI whether it has the version of autograd-guide that the notebooks install"
PUBLISHED = "steps.pypi.outputs.published == 'true'"


def test_the_notebooks_branch_is_pushed_only_once_pypi_has_their_version() -> None:
    steps = DOCS["jobs"]["notebooks"]["steps"]
    gate = step("notebooks", PYPI_CHECK, DOCS)
    assert steps.index(gate) == 0
    assert gate["id"] == "pypi"
    assert gate["env"] == {"VERSION": "${{ needs.build.outputs.package-version }}"}
    # Every step after the question waits for PyPI's yes.
    assert [found.get("if") for found in steps[1:]] == [PUBLISHED] * (len(steps) - 1)
    assert step("notebooks", "Force-push them as a single orphan commit", DOCS) in steps[1:]
    # The job's output is the version read from pyproject.toml by the build.
    build = DOCS["jobs"]["build"]
    assert build["outputs"]["package-version"] == "${{ steps.package.outputs.version }}"
    # The site is deployed whatever PyPI says.
    deploy = DOCS["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert "if" not in deploy
    assert [found.get("if") for found in deploy["steps"]] == [None]


def test_the_build_reads_the_version_the_notebooks_install_from_pyproject(
    tmp_path: Path,
) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    output = tmp_path / "output"
    (found,) = [s for s in DOCS["jobs"]["build"]["steps"] if s.get("id") == "package"]
    run = run_step(found["run"], tmp_path, {"GITHUB_OUTPUT": str(output)}, found.get("shell"))
    assert run.returncode == 0, run.stderr
    assert output.read_text(encoding="utf-8") == f"version={VERSION}\n"


def ask_pypi(folder: Path, status: str, exit_code: int = 0) -> tuple[str, str, str]:
    """Run the PyPI step with a stand-in for curl; return stdout, GITHUB_OUTPUT and curl's URL."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    curl = bin_dir / "curl"
    curl.write_text(
        '#!/bin/bash\nprintf "%s\\n" "${@: -1}" > "$CURL_LOG"\n'
        'printf "%s" "$STATUS"\nexit "$CURL_EXIT"\n',
        encoding="utf-8",
    )
    curl.chmod(0o755)
    output = folder / "output"
    found = step("notebooks", PYPI_CHECK, DOCS)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "VERSION": VERSION,
        "STATUS": status,
        "CURL_EXIT": str(exit_code),
        "CURL_LOG": str(folder / "curl.log"),
    }
    run = run_step(found["run"], folder, env, found.get("shell"))
    assert run.returncode == 0, run.stdout + run.stderr
    url = (folder / "curl.log").read_text(encoding="utf-8").strip()
    return run.stdout, output.read_text(encoding="utf-8"), url


def test_a_version_on_pypi_publishes_the_notebooks(tmp_path: Path) -> None:
    stdout, output, url = ask_pypi(tmp_path, "200")
    assert url == f"https://pypi.org/pypi/autograd-guide/{VERSION}/json"
    assert output == "published=true\n"
    assert "::warning::" not in stdout


@pytest.mark.parametrize(
    ("status", "exit_code", "why"),
    [
        ("404", 0, f"autograd-guide {VERSION}, which the notebooks install, is not on PyPI"),
        # curl's status when it reached no server, and its exit code then.
        ("000", 7, f"PyPI did not say whether it has autograd-guide {VERSION} (HTTP status 000)"),
        ("503", 0, "(HTTP status 503)"),
    ],
)
def test_a_version_not_on_pypi_keeps_the_last_releases_notebooks_and_says_so(
    tmp_path: Path, status: str, exit_code: int, why: str
) -> None:
    stdout, output, _ = ask_pypi(tmp_path, status, exit_code)
    assert output == "published=false\n"
    assert stdout.startswith("::warning::")
    assert why in stdout
    assert (
        f"the notebooks branch keeps the last release's notebooks until the tag v{VERSION}"
        " is published" in stdout
    )
