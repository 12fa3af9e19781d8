"""`nox -s lint` runs the hooks of .pre-commit-config.yaml, all of them, at the same versions."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
LINT_GROUP = [
    Requirement(line)
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "dependency-groups"
    ]["lint"]
]
# Where each hook repository's tool is published on PyPI.
PACKAGES = {
    "https://github.com/pre-commit/pre-commit-hooks": "pre-commit-hooks",
    "https://github.com/astral-sh/ruff-pre-commit": "ruff",
    "https://github.com/pre-commit/mirrors-mypy": "mypy",
    "https://github.com/codespell-project/codespell": "codespell",
    "https://github.com/abravalheri/validate-pyproject": "validate-pyproject",
    "https://github.com/python-jsonschema/check-jsonschema": "check-jsonschema",
    "https://github.com/zizmorcore/zizmor-pre-commit": "zizmor",
}
REPOS = {repo["repo"]: repo for repo in CONFIG["repos"]}


def hooks_in_pre_commit_config() -> list[str]:
    return [hook["id"] for repo in CONFIG["repos"] for hook in repo["hooks"]]


def hooks_in_lint_session() -> list[str]:
    """Read the keys of the `hooks` table in noxfile.py's lint session (nox need not be installed)."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    lint = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "lint"
    )
    table = next(
        node.value
        for node in ast.walk(lint)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "hooks"
        and isinstance(node.value, ast.Dict)
    )
    return [ast.literal_eval(key) for key in table.keys if key is not None]


def pinned(package: str) -> str:
    (requirement,) = (req for req in LINT_GROUP if req.name == package)
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{package} must be pinned exactly in the lint group"
    return spec.version


def test_every_hook_has_a_command_in_the_lint_session_and_no_other() -> None:
    in_config, in_session = set(hooks_in_pre_commit_config()), set(hooks_in_lint_session())
    not_run, unknown = sorted(in_config - in_session), sorted(in_session - in_config)
    assert not not_run, f"hooks that `nox -s lint` does not run: {not_run}"
    assert not unknown, f"commands in `nox -s lint` for no hook: {unknown}"


@pytest.mark.parametrize("repo", REPOS, ids=lambda url: url.rsplit("/", 1)[-1])
def test_each_hook_repository_is_pinned_at_the_version_nox_installs(repo: str) -> None:
    assert repo in PACKAGES, f"which PyPI package does `nox -s lint` install for {repo}?"
    assert REPOS[repo]["rev"].removeprefix("v") == pinned(PACKAGES[repo])


def test_mypy_hook_reads_the_same_type_hints_as_the_lint_session() -> None:
    (mypy,) = REPOS["https://github.com/pre-commit/mirrors-mypy"]["hooks"]
    hook_packages = {
        str(Requirement(dep))
        for dep in mypy["additional_dependencies"]
        if not dep.startswith("--")  # pip options (the CPU index of torch)
    }
    tools = set(PACKAGES.values())
    assert hook_packages == {str(req) for req in LINT_GROUP if req.name not in tools}
