#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
"""Tasks for the Autograd Guide: build the site, run the checks, lint, preview.

`nox` alone runs `check`, which is what CI runs: lint, tests, the strict docs
build with every notebook cell executed afresh, and the audit of the built
site in a browser.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import nox

nox.needs_version = ">=2025.2.9"
# The default virtualenv + pip backend: pip on this machine finds the local
# CPU wheel of torch, uv does not (it would download a CUDA build).
nox.options.default_venv_backend = "virtualenv"
nox.options.sessions = ["check"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
# torch 2.13.0's CPU wheel is built for CPython 3.11 only.
PYTHON = "3.11"
BUILD = ROOT / "build"  # outside docs/ and tests/, so pytest never collects it
HTML = BUILD / "html"
LOCALES = ROOT / "docs" / "locales"
LOCALES_DIR = "docs/locales/"  # as git lists it


def install(session: nox.Session, group: str) -> None:
    """Install a dependency group from pyproject.toml, then this project without its deps."""
    session.install(*nox.project.dependency_groups(PYPROJECT, group))
    session.install("-e", ".", "--no-deps")


@nox.session(python=False)
def check(session: nox.Session) -> None:
    """Run everything CI runs: lint, repo-review, tests, docs with every cell re-executed, audit."""
    session.notify("lint")
    session.notify("repo_review")
    session.notify("tests")
    session.notify("docs", posargs=["--execute=force"])
    session.notify("audit")  # the site the docs session just built


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run unit tests, docstring doctests and the pages' doctests with pytest."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the site strictly into build/html, every edition (`-- --execute=force` re-runs every cell)."""
    install(session, "docs")
    args = list(session.posargs)
    env = {}
    for arg in list(args):
        if arg.startswith("--execute="):
            env["AUTOGRAD_GUIDE_EXECUTE"] = arg.removeprefix("--execute=")
            args.remove(arg)
    strict = [
        "--builder=html",
        "--fail-on-warning",
        "--keep-going",
        "--nitpicky",
        "--show-traceback",
    ]
    # Doctrees outside build/html: they are Sphinx's working files, not the site.
    english = ["--doctree-dir", str(BUILD / "doctrees" / "en"), str(ROOT / "docs"), str(HTML)]
    session.run("sphinx-build", *strict, *english, *args, env=env)
    # Every translated edition, from the same pages, into a folder of the site
    # (docs/_ext/language_switcher.py). It is built beside the site and then
    # copied in, because myst-nb keeps its notebooks next to the output folder.
    # Its cells run the English code: it reads their outputs from the cache the
    # English build just filled (with --execute=force, afresh) instead of
    # running every page again.
    mode = env.get("AUTOGRAD_GUIDE_EXECUTE", "")
    edition_env = {
        "AUTOGRAD_GUIDE_EXECUTE": "cache" if mode in {"", "force"} else mode,
        "AUTOGRAD_GUIDE_CACHE_DIR": str(BUILD / ".jupyter_cache"),
    }
    for language in sorted(path.name for path in LOCALES.iterdir() if path.is_dir()):
        edition = BUILD / language
        session.run(
            "sphinx-build",
            *strict,
            f"--define=language={language}",
            "--doctree-dir",
            str(BUILD / "doctrees" / language),
            str(ROOT / "docs"),
            str(edition / "html"),
            *args,
            env=edition_env,
        )
        shutil.rmtree(HTML / language, ignore_errors=True)
        shutil.copytree(edition / "html", HTML / language)
    session.log(f"Site built: open {HTML / 'index.html'}")


@nox.session(python=PYTHON)
def audit(session: nox.Session) -> None:
    """Audit build/html in headless Chromium, the Nu Html Checker and a link check."""
    # tools/site_audit does the work (its __init__ says what it checks); it
    # installs Chromium and Java with apt when run as root, else says what to
    # install. Screenshots of every page go to build/audit/screenshots.
    if not (HTML / "index.html").is_file():
        session.error(f"no built site in {HTML}: run `python3 -m nox -s docs` first")
    session.install(*nox.project.dependency_groups(PYPROJECT, "audit"))
    tools = BUILD / "audit" / "tools"  # the Nu Html Checker's jar, fetched once
    # First the audit itself, on a small site with a planted fault of every
    # kind it looks for (tests/browser): each must fail, naming the page.
    session.run(
        "pytest",
        "tests/browser",
        env={"AUTOGRAD_GUIDE_BROWSER_TESTS": "1", "AUTOGRAD_GUIDE_AUDIT_TOOLS": str(tools)},
    )
    base_path = urlsplit(PYPROJECT["project"]["urls"]["Documentation"]).path
    session.run(
        "python",
        "-m",
        "site_audit",
        str(HTML),
        "--base-path",
        base_path,
        "--cache",
        str(tools),
        *session.posargs,
        env={"PYTHONPATH": str(ROOT / "tools")},
    )


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Time cold, no-change and one-page builds against the floor (`-- --no-repro` skips a build)."""
    # A benchmark, not a test: slow (three full builds) and its numbers
    # depend on the machine, so `check` does not run it. tools/bench.py
    # works in a copy of the project and also compares two clean builds.
    # The test group: the docs build plus Sybil, whose parser the floor's
    # one-process run of every page uses.
    install(session, "test")
    session.run("python", str(ROOT / "tools" / "bench.py"), *session.posargs)


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Preview the site at http://127.0.0.1:8000, rebuilding on every save."""
    install(session, "docs")
    session.install("sphinx-autobuild>=2024.10.3")
    session.run(
        "sphinx-autobuild",
        "--watch",
        str(ROOT / "src"),
        "--host",
        "127.0.0.1",
        str(ROOT / "docs"),
        str(HTML),
        *session.posargs,
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Run the hooks of .pre-commit-config.yaml offline (`-- HOOK...` runs only those)."""
    # pre-commit would clone each hook's repository from GitHub. The same tools
    # come from PyPI instead, at the versions the `lint` group pins; what is
    # in this table and what is in .pre-commit-config.yaml are kept equal by
    # tests/test_lint_hooks.py. Each hook gets the files that its own hook
    # definition selects from the files git tracks, and is skipped, as
    # pre-commit skips it, when there are none. The fixers (trailing
    # whitespace, end of file) fix what they report: commit their changes.
    install(session, "lint")
    listed = session.run("git", "ls-files", "-z", external=True, silent=True)
    tracked = [path for path in str(listed).split("\0") if (ROOT / path).is_file()]
    text = [path for path in tracked if b"\0" not in (ROOT / path).read_bytes()]

    def matching(pattern: str) -> list[str]:
        return [path for path in text if re.search(pattern, path)]

    def schema(name: str, pattern: str) -> tuple[list[str], list[str] | None]:
        return ["check-jsonschema", "--builtin-schema", f"vendor.{name}"], matching(pattern)

    # Hook id: (command, the files it checks, or None for a tool that finds its own).
    hooks: dict[str, tuple[list[str], list[str] | None]] = {
        "check-added-large-files": (["check-added-large-files", "--enforce-all"], tracked),
        "check-case-conflict": (["check-case-conflict"], tracked),
        "check-merge-conflict": (["check-merge-conflict"], text),
        "check-toml": (["check-toml"], matching(r"\.toml$")),
        "check-yaml": (["check-yaml"], matching(r"\.(yaml|yml|cff)$")),
        "debug-statements": (["debug-statement-hook"], matching(r"\.py$")),
        # Not the catalogs that sphinx-intl writes (ending in a blank line).
        "end-of-file-fixer": (
            ["end-of-file-fixer"],
            [p for p in text if not p.startswith(LOCALES_DIR)],
        ),
        "mixed-line-ending": (["mixed-line-ending", "--fix=no"], text),
        "trailing-whitespace": (["trailing-whitespace-fixer"], text),
        "ruff-check": (["ruff", "check", "."], None),
        "ruff-format": (["ruff", "format", "--check", "."], None),
        "mypy": (["mypy"], None),  # strict, on src/: [tool.mypy] in pyproject.toml
        "codespell": (["codespell"], text),
        "validate-pyproject": (["validate-pyproject"], matching(r"^pyproject\.toml$")),
        "check-github-workflows": schema("github-workflows", r"^\.github/workflows/[^/]+$"),
        "check-dependabot": schema("dependabot", r"^\.github/dependabot\.(yml|yaml)$"),
        "check-readthedocs": schema("readthedocs", r"^\.readthedocs\.(yml|yaml)$"),
        "check-citation-file-format": schema("citation-file-format", r"^CITATION\.cff$"),
        # Offline: the audits that ask GitHub's API about the actions are left out.
        "zizmor": (
            ["zizmor", "--offline", "--no-progress"],
            matching(r"(\.github/(workflows/.*|dependabot\.ya?ml))|(action\.ya?ml)$"),
        ),
    }
    unknown = set(session.posargs) - set(hooks)
    if unknown:
        session.error(f"no such hook: {', '.join(sorted(unknown))}")
    for hook, (command, files) in hooks.items():
        if session.posargs and hook not in session.posargs:
            continue
        if files == []:
            session.log(f"{hook}: no files to check, skipped")
            continue
        session.log(f"hook {hook}")
        session.run(*command, *(files or []))


@nox.session(python=PYTHON, default=False)
def repo_review(session: nox.Session) -> None:
    """Score the repository against the Scientific Python development guide (sp-repo-review)."""
    # Offline and a few seconds, so `check` runs it: a check that starts
    # failing fails CI. The deliberate exceptions are skipped in
    # [tool.repo-review] of pyproject.toml, with reasons in CONTRIBUTING.md.
    # With validate-pyproject, at the lint group's version, it also checks
    # pyproject.toml against its schema (VPP001).
    lint_tools = nox.project.dependency_groups(PYPROJECT, "lint")
    validate = [tool for tool in lint_tools if tool.startswith("validate-pyproject")]
    session.install("sp-repo-review[cli]==2026.8.14", *validate)
    session.run("repo-review", str(ROOT), *session.posargs)


@nox.session(python=False, default=False)
def inventories(session: nox.Session) -> None:
    """Download the Python and PyTorch objects.inv files the docs link against (needs network)."""
    import runpy
    import urllib.error
    import urllib.request

    # The URLs come from docs/conf.py, so what is downloaded is what the build maps.
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    downloaded = {}
    for base_url, local_file in conf["intersphinx_mapping"].values():
        url = base_url + "objects.inv"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                data = response.read()
        except (urllib.error.URLError, TimeoutError) as error:
            session.error(f"cannot download {url} ({error}); this session needs network access")
        if not data.startswith(b"# Sphinx inventory version 2"):
            session.error(f"{url} is not a Sphinx inventory (version 2)")
        downloaded[Path(local_file)] = data
    # Written only once all downloads succeeded: the files never mix two refreshes.
    for path, data in downloaded.items():
        path.write_bytes(data)
        session.log(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes)")


@nox.session(python=PYTHON, default=False)
def translations(session: nox.Session) -> None:
    """Bring the catalogs in docs/locales up to date with the English pages, then count."""
    # Run after an English edit: new or changed paragraphs arrive untranslated
    # (the tests fail until they are translated); paragraphs gone are removed.
    # Pages given as arguments (docs/math/notation.md) limit the update to their
    # catalogs, so that two people editing two pages do not rewrite each other's.
    install(session, "translations")
    # A folder of its own: two runs at once must not share templates.
    templates = Path(tempfile.mkdtemp(prefix="gettext-", dir=session.create_tmp()))
    session.run(
        "sphinx-build",
        "--builder=gettext",
        "--quiet",
        str(ROOT / "docs"),
        str(templates),
        # The catalogs hold prose, not outputs: no cell runs, even under CI=true.
        env={"AUTOGRAD_GUIDE_EXECUTE": "off"},
    )
    if session.posargs:
        wanted = {
            Path(page).resolve().relative_to(ROOT / "docs").with_suffix(".pot")
            for page in session.posargs
        }
        for pot in templates.rglob("*.pot"):
            if pot.relative_to(templates) not in wanted:
                pot.unlink()
    for language in sorted(path.name for path in LOCALES.iterdir() if path.is_dir()):
        session.run(
            "sphinx-intl",
            "update",
            "--pot-dir",
            str(templates),
            "--locale-dir",
            str(LOCALES),
            "--language",
            language,
            "--line-width",
            "-1",
            # Paragraphs gone from the pages go from the catalogs too: kept as
            # "#~" entries they would return fuzzy with the paragraph.
            "--no-obsolete",
        )
        session.run("sphinx-intl", "stat", "--locale-dir", str(LOCALES), "--language", language)
    shutil.rmtree(templates)


@nox.session(python=False, default=False)
def clean(session: nox.Session) -> None:
    """Remove the build folder (site, executed notebooks and execution cache)."""
    if BUILD.exists():
        shutil.rmtree(BUILD)
    session.log(f"removed {BUILD}")


if __name__ == "__main__":
    nox.main()
