#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
"""Tasks for the Autograd Guide: build the site, run the checks, lint, preview.

`nox` alone runs `check`, which is what CI runs: lint, tests, and the strict
docs build with every notebook cell executed afresh.
"""

from __future__ import annotations

import shutil
from pathlib import Path

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


def install(session: nox.Session, group: str) -> None:
    """Install a dependency group from pyproject.toml, then this project without its deps."""
    session.install(*nox.project.dependency_groups(PYPROJECT, group))
    session.install("-e", ".", "--no-deps")


@nox.session(python=False)
def check(session: nox.Session) -> None:
    """Run everything CI runs: lint, tests, docs with every cell re-executed."""
    session.notify("lint")
    session.notify("tests")
    session.notify("docs", posargs=["--execute=force"])


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run unit tests, docstring doctests and the pages' doctests with pytest."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the site strictly into build/html (`-- --execute=force` re-runs every cell)."""
    install(session, "docs")
    args = list(session.posargs)
    env = {}
    for arg in list(args):
        if arg.startswith("--execute="):
            env["AUTOGRAD_GUIDE_EXECUTE"] = arg.removeprefix("--execute=")
            args.remove(arg)
    session.run(
        "sphinx-build",
        "--builder=html",
        "--fail-on-warning",
        "--keep-going",
        "--nitpicky",
        "--show-traceback",
        str(ROOT / "docs"),
        str(HTML),
        *args,
        env=env,
    )
    session.log(f"Site built: open {HTML / 'index.html'}")


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
    """Check style and format with ruff, and types of src/ with mypy (strict)."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


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


@nox.session(python=False, default=False)
def clean(session: nox.Session) -> None:
    """Remove the build folder (site, executed notebooks and execution cache)."""
    if BUILD.exists():
        shutil.rmtree(BUILD)
    session.log(f"removed {BUILD}")
