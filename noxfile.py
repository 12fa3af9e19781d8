#!/usr/bin/env -S uv run --script
# /// script
# dependencies = ["nox>=2026.10.20"]
# ///
"""Tasks for the Autograd Guide: build the site, run the checks, lint, preview.

`nox` alone runs `check`, which is what CI runs: lint, tests, the strict docs
build with every notebook cell executed afresh, the package, the published
notebooks run as a reader would, and the audit of the built site in a browser,
side by side where they can.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import nox
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

nox.needs_version = ">=2026.10.20"  # --parallel, allow_parallel= (`check`)
# The default virtualenv + pip backend: pip on this machine finds the local
# CPU wheel of torch, uv does not (it would download a CUDA build).
nox.options.default_venv_backend = "virtualenv"
nox.options.sessions = ["check"]
# A session whose Python cannot be found fails; by default nox skips it and
# exits 0 (unless CI is set), so a check that ran nothing would pass.
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
BUILD = ROOT / "build"  # outside docs/ and tests/, so pytest never collects it
HTML = BUILD / "html"
LOCALES = ROOT / "docs" / "locales"
LOCALES_DIR = "docs/locales/"  # as git lists it

# --- Python ------------------------------------------------------------------
# torch 2.13.0 publishes CPython wheels for 3.10 to 3.14; Sphinx 9, IPython 9
# and ipykernel 7 need 3.11 or newer; every package that constraints.txt pins
# has a wheel for each of these (the classifiers of pyproject.toml agree).
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13", "3.14")
RUNNING_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def _session_python() -> str | None:
    """The Python running nox if supported, else the first supported one on PATH, else None."""
    if RUNNING_PYTHON in SUPPORTED_PYTHONS:
        return RUNNING_PYTHON
    return next((v for v in SUPPORTED_PYTHONS if shutil.which(f"python{v}")), None)


# None: no supported Python here, and install() fails every session, saying so.
PYTHON = _session_python()

# --- The lock ----------------------------------------------------------------
# constraints.txt pins every package that any session installs, for every
# supported Python and platform; `nox -s lock` writes it. A different file
# (the weekly run against the newest releases) can be named in this variable.
LOCK = ROOT / "constraints.txt"
LOCK_VARIABLE = "AUTOGRAD_GUIDE_CONSTRAINTS"
# Installed besides the groups, and so pinned too: what virtualenv seeds
# every environment with (pip; setuptools too on Python 3.11), whose versions
# depend on the virtualenv installed, and the build backend where this project
# is installed, built without isolation (isolated, it would be unpinned).
SEEDED = ["pip", "setuptools"]
BUILD_REQUIRES: list[str] = PYPROJECT["build-system"]["requires"]

# --- torch's CPU build -------------------------------------------------------
# PyPI's torch for Linux is a CUDA build that pulls in gigabytes of NVIDIA
# libraries; the site needs none of them. PyTorch's CPU index serves the same
# release built for the CPU only (version 2.13.0+cpu).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# An index URL, or empty for none, instead of the automatic choice below.
TORCH_INDEX_VARIABLE = "AUTOGRAD_GUIDE_TORCH_INDEX"
(_TORCH,) = (
    Requirement(req)
    for req in nox.project.dependency_groups(PYPROJECT, "docs")
    if Requirement(req).name == "torch"
)
TORCH_VERSION = str(next(iter(_TORCH.specifier)).version)


def group_digest(name: str) -> str:
    """A digest of a dependency group as written, which the lock records in its header."""
    entries = PYPROJECT["dependency-groups"][name]
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()[:16]


def recorded_digests(lock: Path) -> dict[str, str]:
    """The ``#   group: digest`` lines of a lock's header (LOCK_HEADER), by group."""
    digests = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break  # the pins begin
        name, colon, digest = line.removeprefix("#   ").partition(": ")
        if line.startswith("#   ") and colon:
            digests[name] = digest
    return digests


def with_included(groups: Iterable[str]) -> list[str]:
    """The groups and every group they include (``include-group``), each once."""
    found: list[str] = []
    pending = list(groups)
    while pending:
        name = pending.pop(0)
        if name not in found:
            found.append(name)
            entries = PYPROJECT["dependency-groups"][name]
            pending += [entry["include-group"] for entry in entries if isinstance(entry, dict)]
    return found


def stale_groups(lock: Path, groups: Iterable[str]) -> list[str]:
    """The groups (with those they include) that changed in pyproject.toml since ``lock`` was made."""
    recorded = recorded_digests(lock)
    return [name for name in with_included(groups) if recorded.get(name) != group_digest(name)]


def lock_path() -> Path:
    """The constraints every session installs with: constraints.txt unless the variable says."""
    named = os.environ.get(LOCK_VARIABLE)
    return ROOT / named if named else LOCK  # an absolute name stays as it is


def read_lock(path: Path) -> dict[str, list[Requirement]]:
    """The pins of a constraints file, by normalised name (several when markers differ)."""
    pins: dict[str, list[Requirement]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            pins.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return pins


def torch_index_options(platform: str, override: str | None, finds_cpu_build: bool) -> list[str]:
    """The options that give pip torch's CPU index on Linux, unless pip finds that build already.

    ``override`` is the value of AUTOGRAD_GUIDE_TORCH_INDEX (None when unset);
    ``finds_cpu_build`` whether pip, as configured, finds torch's +cpu build
    without help (a local wheel, or an index set in pip's own configuration).
    The CPU index is added only when needed: where it cannot be reached, pip
    retries every package name there (measured: 8 s a package).
    """
    if override is not None:
        return ["--extra-index-url", override] if override else []
    if platform != "linux" or finds_cpu_build:
        return []  # PyPI's builds for macOS and Windows have no CUDA
    return ["--extra-index-url", TORCH_CPU_INDEX]


def _finds_cpu_torch(session: nox.Session, *options: str, always: bool = False) -> bool | None:
    """Whether pip, with ``options``, finds torch's CPU build (None: nox installs nothing, -R).

    ``always`` asks even when nox installs nothing, for an environment the
    session makes itself (the notebooks' reader's, made anew on every run).
    """
    # Resolves torch alone, without downloading it: a local wheel is read
    # from disk, and where the build is missing pip fails in a second.
    runner = session.run if always else session.run_install
    probe = runner(
        "python",
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--no-deps",
        "--ignore-installed",
        *options,
        f"torch=={TORCH_VERSION}+cpu",
        silent=True,
        success_codes=[0, 1],
    )
    return None if probe is None else f"Would install torch-{TORCH_VERSION}+cpu" in str(probe)


def _torch_index(session: nox.Session, *, always: bool = False) -> list[str]:
    override = os.environ.get(TORCH_INDEX_VARIABLE)
    if override is not None or sys.platform != "linux":
        return torch_index_options(sys.platform, override, finds_cpu_build=False)
    finds = _finds_cpu_torch(session, always=always)
    if finds is None:
        return []  # nothing will be installed
    options = torch_index_options(sys.platform, None, finds)
    # Asked once, without retries: where the index cannot be reached, pip would
    # retry it for every package (8 s each, minutes for the lock) and then take
    # PyPI's CUDA build, gigabytes that the site does not need.
    reached = ["--index-url", TORCH_CPU_INDEX, "--retries", "0", "--timeout", "30"]
    if options and not _finds_cpu_torch(session, *reached, always=always):
        session.error(
            f"pip finds torch's CPU build ({TORCH_VERSION}+cpu) neither as it is configured"
            f" nor at {TORCH_CPU_INDEX} (unreachable from here, or without it): set"
            f" {TORCH_INDEX_VARIABLE} to an index that serves it, or to nothing for PyPI's"
            " build (on Linux a CUDA build of several GB); see README.md"
        )
    return options


def unpinned(installed: dict[str, str], environment: dict[str, str], lock: Path) -> list[str]:
    """Each installed package that ``lock`` does not pin at its version, as name==version."""
    pins = read_lock(lock)
    own = canonicalize_name(PYPROJECT["project"]["name"])
    found = []
    for name, version in sorted(installed.items()):
        key = canonicalize_name(name)
        if key == own:
            continue
        applicable = [
            pin
            for pin in pins.get(key, [])
            if pin.marker is None or pin.marker.evaluate(environment)
        ]
        # "==2.13.0" admits the local build 2.13.0+cpu, as pip's constraint does.
        if not any(SpecifierSet(str(pin.specifier)).contains(version) for pin in applicable):
            pinned = ", ".join(str(pin.specifier) for pin in applicable) or "not pinned"
            found.append(f"{name}=={version} ({pinned})")
    return found


# `pip inspect` prints its JSON report through rich, which colours it where
# these say the output is a terminal (CI sets FORCE_COLOR), and then it is no
# JSON; None removes a variable from the command's environment.
PIP_INSPECT = ("python", "-m", "pip", "inspect")
PLAIN_OUTPUT: dict[str, str | None] = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def inspected(report: str) -> tuple[dict[str, str], dict[str, str]]:
    """The distributions (name: version) and the PEP 508 environment of `pip inspect`'s report."""
    # The report's format is pip's documented one ("version": "1"); its
    # environment is packaging.markers.default_environment() of that Python.
    facts = json.loads(report)
    installed = {
        dist["metadata"]["name"]: dist["metadata"]["version"] for dist in facts["installed"]
    }
    return installed, facts["environment"]


def install(
    session: nox.Session,
    *groups: str,
    also: Iterable[str] = (),
    project: bool = True,
    locked: bool = True,
    torch_index: bool = False,
) -> list[str]:
    """Install dependency groups (and ``also``) with the lock, then this project without deps.

    Returns the options that give pip torch's CPU build (on Linux where pip does
    not find it as configured), worked out when the groups install torch, or
    when ``torch_index`` asks for them for an environment the session makes
    itself (the notebooks' reader's); otherwise, or when nothing is installed, [].

    Every session that has an environment starts here (tests/test_lock.py
    checks it): a Python the guide does not support stops it first, then a
    lock made before one of the groups changed (pip would only say
    ResolutionImpossible), and afterwards it fails if any installed package
    is not the lock's version.
    ``locked=False`` is for `nox -s lock` alone, which makes the lock.
    """
    if session.python not in SUPPORTED_PYTHONS:
        found = (
            f"Python {session.python} was asked for"
            if session.python
            else f"nox runs on Python {RUNNING_PYTHON} and PATH has no supported one"
        )
        session.error(
            f"{found}, but the guide runs on Python {', '.join(SUPPORTED_PYTHONS)} only"
            " (torch 2.13 and the pinned toolchain have wheels for these): install one"
            " and run nox with it, for example `python3.12 -m nox`"
        )
    # None: nox skips installing (-R, --no-install), and the lock does not matter.
    checked = locked and session.run_install("python", "-c", "", silent=True, log=False) is not None
    if checked and not lock_path().is_file():
        named = f" ({LOCK_VARIABLE} names it)" if os.environ.get(LOCK_VARIABLE) else ""
        session.error(f"no lock at {lock_path()}{named}: make it with `python3 -m nox -s lock`")
    if checked and (stale := stale_groups(lock_path(), groups)):
        # Checked before pip runs: pip would only say ResolutionImpossible.
        plural = "s" if len(stale) > 1 else ""
        session.error(
            f"{lock_path().name} was made before the dependency group{plural}"
            f" {', '.join(stale)} of pyproject.toml changed: run `python3 -m nox -s lock`"
            f" and commit {LOCK.name} with pyproject.toml (CONTRIBUTING.md)"
        )
    requirements = [
        req for group in groups for req in nox.project.dependency_groups(PYPROJECT, group)
    ]
    requirements += also
    lock = ["--constraint", str(lock_path())] if locked else []
    torch = any(Requirement(req).name == "torch" for req in requirements)
    index = _torch_index(session, always=torch_index and not torch) if torch or torch_index else []
    base = (SEEDED if locked else []) + (BUILD_REQUIRES if project else [])
    session.install(*lock, *(index if torch else []), *base, *requirements)
    if project:
        session.install(*lock, "--no-build-isolation", "--no-deps", "-e", ".")
    if locked:
        # pip's own report of what is installed, on stdout alone (warnings go to the console).
        report = session.run_install(*PIP_INSPECT, silent=True, stderr=None, env=PLAIN_OUTPUT)
        if report is not None:  # None: installing was skipped (-R, --no-install)
            wrong = unpinned(*inspected(str(report)), lock_path())
            if wrong:
                session.error(
                    f"installed, yet not as {lock_path().name} pins it: {'; '.join(wrong)}."
                    " Refresh the lock with `python3 -m nox -s lock` (CONTRIBUTING.md)."
                )
    return index


# --- The check ------------------------------------------------------------------
# What `check` runs, in the order nox starts them when a core is free and what
# they wait for is done: first the longest chain (the docs build, notebooks,
# then the audit), so that each link starts as soon as it can; the tests, lint
# and the package fill the other cores meanwhile.
CHECKED = ("docs", "package", "tests", "notebooks", "lint", "repo_review", "audit")
# `check` runs them in another nox, with this variable set. Only there do
# notebooks and the audit wait for the docs build, and notebooks for the package
# (run by themselves, they take the site and the wheel that are there, and their
# options after `--` are theirs alone), and only there does the docs build run
# every cell afresh, as it does under CI=true.
CHECK_VARIABLE = "AUTOGRAD_GUIDE_CHECK"
IN_CHECK = os.environ.get(CHECK_VARIABLE) == "1"


def in_check_after(*sessions: str) -> list[str]:
    """The sessions that must end before this one starts, when `check` runs it (else none)."""
    return list(sessions) if IN_CHECK else []


@nox.session(python=False)
def check(session: nox.Session) -> None:
    """Run everything CI runs, side by side where it can: lint, repo-review, tests, docs, package, notebooks, audit."""
    # Another nox runs the seven with --parallel: each session in a process of
    # its own, as many at once as the machine has cores, in the order that
    # in_check_after() sets, and the audit alone (allow_parallel=False:
    # Lighthouse times the pages). Asked for here rather than in nox.options,
    # because under --parallel nox holds back a session's output until it
    # ends: a session run by itself (`nox -s docs`, `nox -s serve`) prints as
    # it goes. Options after `--` are that nox's own (`nox -- -R` reuses the
    # environments; `nox -- -s lint` would run lint alone); those before it
    # are this nox's, which runs `check` alone, and do not reach the sessions.
    ran = session.run(
        sys.executable,
        "-m",
        "nox",
        "--noxfile",
        str(Path(__file__).resolve()),
        "--sessions",
        *CHECKED,
        "--parallel",
        "auto",
        *session.posargs,
        external=True,
        env={CHECK_VARIABLE: "1"},
        # On Ctrl-C, that nox stops its sessions (within 2 s each) before it exits.
        interrupt_timeout=None,
    )
    if ran is None:  # --install-only: nox ran nothing, and would pass
        session.error("`check` installs nothing itself: run `python3 -m nox -- --install-only`")


@nox.session(python=PYTHON, allow_parallel=True)
def tests(session: nox.Session) -> None:
    """Run unit tests, docstring doctests and the pages' doctests with pytest."""
    install(session, "test")
    # Without arguments, all of them on every core: each worker takes whole
    # files, so that a page's cells run in order in one process (a page is one
    # file). With arguments (a file, -k), pytest as asked, in one process.
    session.run("pytest", *(session.posargs or ["-n", "auto", "--dist", "loadfile"]))


@nox.session(python=PYTHON, allow_parallel=True)
def docs(session: nox.Session) -> None:
    """Build the site strictly into build/html, every edition (`-- --execute=force` re-runs every cell)."""
    install(session, "docs")
    args = list(session.posargs)
    env = {"AUTOGRAD_GUIDE_EXECUTE": "force"} if IN_CHECK else {}
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
    if session.run("sphinx-build", *strict, *english, *args, env=env) is None:
        return  # --install-only: nothing was built, so there is no edition to copy
    # Every translated edition, from the same pages, into a folder of the site
    # (docs/_ext/editions/language_switcher.py). It is built beside the site and then
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
        # Its notebooks (written to its own tree, under the folder of the language)
        # join the English ones, which the notebooks branch publishes with them.
        shutil.rmtree(BUILD / "notebooks" / language, ignore_errors=True)
        shutil.copytree(edition / "notebooks" / language, BUILD / "notebooks" / language)
    session.log(f"Site built: open {HTML / 'index.html'}")


# --- The package on PyPI ---------------------------------------------------------
# `nox -s package` builds what release.yml publishes on a tag, into build/dist.
PACKAGE_DIR = ROOT / "src" / "autograd_guide"
# Besides the package under src/, what the sdist must hold (PKG-INFO is its
# metadata), and what it may: the rest of the repository stays out
# (only-include in pyproject.toml; hatchling adds .gitignore itself).
SDIST_FILES = ("CHANGELOG.md", "LICENSE", "PKG-INFO", "README.md", "pyproject.toml")
SDIST_MAY_HOLD = (".gitignore", "CITATION.cff")


def package_files() -> list[str]:
    """The package's files as a wheel names them: every module of src/autograd_guide and py.typed."""
    found = [*PACKAGE_DIR.rglob("*.py"), PACKAGE_DIR / "py.typed"]
    return sorted(path.relative_to(PACKAGE_DIR.parent).as_posix() for path in found)


def dist_problems(dist: Path, version: str, package: Iterable[str]) -> list[str]:
    """What is wrong with the sdist and the wheel in ``dist``, one sentence each (none: nothing).

    ``package`` names the package's files as the wheel does (package_files()).
    The folder must hold this version's sdist and wheel and nothing else; the
    wheel every file of the package and nothing outside it and its metadata
    (no tests, no docs); the sdist the package under src/ and SDIST_FILES, and
    besides them SDIST_MAY_HOLD at most.
    """
    stem = f"autograd_guide-{version}"
    wheel, sdist = f"{stem}-py3-none-any.whl", f"{stem}.tar.gz"
    found = sorted(path.name for path in dist.iterdir()) if dist.is_dir() else []
    if found != sorted([sdist, wheel]):
        return [f"{dist} holds {', '.join(found) or 'nothing'} instead of {sdist} and {wheel}"]
    package = list(package)
    problems = []
    with zipfile.ZipFile(dist / wheel) as archive:
        in_wheel = set(archive.namelist())
    if missing := [name for name in package if name not in in_wheel]:
        problems.append(f"the wheel lacks {', '.join(missing)}")
    own = ("autograd_guide/", f"{stem}.dist-info/")
    if stray := sorted(name for name in in_wheel if not name.startswith(own)):
        problems.append(f"the wheel holds files outside the package: {', '.join(stray)}")
    with tarfile.open(dist / sdist) as archive:
        in_sdist = {
            member.name.removeprefix(f"{stem}/")
            for member in archive.getmembers()
            if member.isfile()
        }
    wanted = [*SDIST_FILES, *(f"src/{name}" for name in package)]
    if missing := [name for name in wanted if name not in in_sdist]:
        problems.append(f"the sdist lacks {', '.join(missing)}")
    kept = {*SDIST_FILES, *SDIST_MAY_HOLD}
    stray = [name for name in in_sdist if name not in kept and not name.startswith("src/")]
    if stray := sorted(stray):
        problems.append(f"the sdist holds files the package does not need: {', '.join(stray)}")
    return problems


@nox.session(python=PYTHON, allow_parallel=True)
def package(session: nox.Session) -> None:
    """Build the sdist and the wheel into build/dist, check them with twine and by what they hold."""
    # Without build isolation, as install() installs this project: isolated,
    # `build` would install the newest hatchling instead of the lock's. The
    # wheel is built from the sdist (build's default), so a file the sdist
    # leaves out is missing from the wheel too. A fresh environment with the
    # wheel installed is the notebooks session's: no torch is installed here.
    install(session, "package", project=False)
    built = Path(session.create_tmp()) / "dist"
    shutil.rmtree(built, ignore_errors=True)
    command = ["python", "-m", "build", "--no-isolation", "--outdir", str(built), str(ROOT)]
    if session.run(*command) is None:
        return  # --install-only: nothing was built, and build/dist stays as it was
    dist = BUILD / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    shutil.copytree(built, dist)
    files = sorted(dist.iterdir())
    session.run("twine", "check", "--strict", *(str(path) for path in files))
    problems = dist_problems(dist, PYPROJECT["project"]["version"], package_files())
    if problems:
        session.error("; ".join(problems))
    for path in files:
        session.log(f"{dist.name}/{path.name}: {path.stat().st_size / 1024:.0f} KiB")


def reader_torch_pins(platform: str, override: str | None) -> list[str]:
    """The build of torch a reader's environment must get to print what the site prints.

    On Linux the site is built with torch's CPU build (``2.13.0+cpu``) unless
    AUTOGRAD_GUIDE_TORCH_INDEX is set to nothing (PyPI's build); a plain
    ``torch==2.13.0`` pin lets pip take either.

    Examples:
        >>> reader_torch_pins("linux", None)
        ['torch==2.13.0+cpu']
        >>> reader_torch_pins("linux", ""), reader_torch_pins("darwin", None)
        ([], [])
    """
    if platform != "linux" or override == "":
        return []
    return [f"torch=={TORCH_VERSION}+cpu"]


@nox.session(python=PYTHON, requires=in_check_after("docs", "package"), allow_parallel=True)
def notebooks(session: nox.Session) -> None:
    """Run every published notebook in a new environment, as a reader would, and compare with the site."""
    # tools/reader_notebooks does the work (its __init__ says how): a new
    # virtual environment with a Jupyter kernel alone, into which the notebooks'
    # own install cells install the wheel of build/dist (`nox -s package`) and
    # the lock's versions of everything else; then every notebook of
    # build/notebooks (`nox -s docs`), each in a new kernel. This session's own
    # environment only drives the kernels.
    index = install(session, "notebooks", project=False, torch_index=True)
    pip_env = {"PIP_EXTRA_INDEX_URL": index[1]} if index else {}
    pins = reader_torch_pins(sys.platform, os.environ.get(TORCH_INDEX_VARIABLE))
    session.run(
        "python",
        "-m",
        "reader_notebooks",
        str(BUILD / "notebooks"),
        "--wheels",
        str(BUILD / "dist"),
        "--constraints",
        str(lock_path()),
        "--prefix",
        str(BUILD / "reader" / "env"),
        *(f"--pin={pin}" for pin in pins),
        # Each translated edition's notebooks, in a folder named after its language,
        # run too, and must hold the English notebooks' code and outputs cell for
        # cell (`-- --translations compare` only checks that: half the time).
        *(f"--translation={path.name}" for path in sorted(LOCALES.iterdir()) if path.is_dir()),
        *session.posargs,
        # docs/_ext too: the comparison reads pinned outputs by the build's rule (checks/pins.py).
        env={
            "PYTHONPATH": os.pathsep.join([str(ROOT / "tools"), str(ROOT / "docs" / "_ext")]),
            **pip_env,
        },
    )


@nox.session(python=PYTHON, requires=in_check_after("docs"), allow_parallel=False)
def audit(session: nox.Session) -> None:
    """Audit build/html in headless Chromium, the Nu Html Checker and a link check."""
    # tools/site_audit does the work (its __init__ says what it checks).
    # A screenshot of each page, at each width, where the browser found
    # something goes to build/audit/screenshots (`-- --screenshot-every-page`:
    # of every page).
    install(session, "audit", project=False)
    audit_env = {"PYTHONPATH": str(ROOT / "tools")}
    # Chromium, Java, npm and a Chinese font are system packages, which a
    # session never installs: `.ci/run` does when run as root. This stops the
    # session, naming the packages, when one is missing, or when there is no
    # built site (`nox -s docs` first). A command, not a test in this file, so
    # that --install-only, which runs none, prepares the environment without a site.
    session.run(
        "python", "-m", "site_audit.prerequisites", "--check", "--site", str(HTML), env=audit_env
    )
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
        env=audit_env,
    )


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Time builds against the floor, then compare clean builds under stress (`-- --no-repro` skips them)."""
    # A benchmark, not a test: slow (several full builds) and its numbers
    # depend on the machine, so `check` does not run it. tools/bench.py
    # works in a copy of the project and also compares four clean builds,
    # three of them under stress (`-- --builds N` for another number).
    # The test group: the docs build plus Sybil, whose parser the floor's
    # one-process run of every page uses.
    install(session, "test")
    session.run("python", str(ROOT / "tools" / "bench.py"), *session.posargs)


@nox.session(python=PYTHON, default=False)
def serve(session: nox.Session) -> None:
    """Preview the site at http://127.0.0.1:8000, rebuilding on every save."""
    install(session, "serve")
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


@nox.session(python=PYTHON, allow_parallel=True)
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
        "mypy": (["mypy"], None),  # strict, on src/ tools/ docs/_ext: [tool.mypy] of pyproject
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


@nox.session(python=PYTHON, default=False, allow_parallel=True)
def repo_review(session: nox.Session) -> None:
    """Score the repository against the Scientific Python development guide (sp-repo-review)."""
    # Offline and a few seconds, so `check` runs it: a check that starts
    # failing fails CI. The deliberate exceptions are skipped in
    # [tool.repo-review] of pyproject.toml, with reasons in CONTRIBUTING.md.
    # With validate-pyproject, at the lint group's version, it also checks
    # pyproject.toml against its schema (VPP001).
    lint_tools = nox.project.dependency_groups(PYPROJECT, "lint")
    validate = [tool for tool in lint_tools if tool.startswith("validate-pyproject")]
    install(session, "repo-review", also=validate, project=False)
    session.run("repo-review", str(ROOT), *session.posargs)


LOCK_HEADER = """\
# Every package that a nox session installs, pinned: each session installs with
# `--constraint constraints.txt` and fails if its environment holds a package
# at another version (noxfile.py, install). Written by `python3 -m nox -s lock`
# from every dependency group of pyproject.toml, pip, setuptools and the build
# backend; edit the groups, never this file.
# Refresh it on purpose: `python3 -m nox -s lock` after changing a group moves
# only what the change needs; `python3 -m nox -s lock -- --upgrade` takes the
# newest releases the groups allow. The weekly workflow newest.yml tries those.
# One file for every supported Python and platform, with one version of each
# package wherever one fits them all; a marker after a pin says where it applies.
#
# The groups this was made from (install() in noxfile.py compares them):
"""


def lock_diff(old: dict[str, list[Requirement]], new: dict[str, list[Requirement]]) -> list[str]:
    """Markdown table rows, one for each package whose pins differ between two locks."""

    def pins(requirements: list[Requirement]) -> str:
        return "<br>".join(
            f"{req.specifier}" + (f" ({req.marker})" if req.marker else "") for req in requirements
        )

    rows = []
    for name in sorted(set(old) | set(new)):
        before, after = pins(old.get(name, [])), pins(new.get(name, []))
        if before != after:
            rows.append(f"| {name} | {before or 'none'} | {after or 'none'} |")
    return rows


@nox.session(python=PYTHON, default=False)
def lock(session: nox.Session) -> None:
    """Pin every session's packages in constraints.txt (`-- --upgrade` takes the newest)."""
    # uv resolves once for every supported Python and platform; pip's resolver
    # answers for the interpreter it runs on only. "fewest" picks one version
    # of each package for every Python where one fits them all, so the pages
    # are built from the same packages whatever the Python (measured: pip and
    # uv agreed on 139 of the 140 versions for Python 3.11; soupsieve 4 needs
    # 3.11.5, so the lock keeps 2.10). uv reads PyPI, not pip's configuration,
    # and pins only versions: torch==2.13.0 admits the CPU build (2.13.0+cpu)
    # that pip then installs.
    parser = argparse.ArgumentParser(prog="nox -s lock --")
    parser.add_argument("--upgrade", action="store_true", help="take the newest releases")
    parser.add_argument("--output", type=Path, default=LOCK, help="instead of constraints.txt")
    parser.add_argument(
        "--summary", type=Path, help="append the changes to constraints.txt here, in Markdown"
    )
    args = parser.parse_args(session.posargs)
    # uv is the only package not installed with the lock: it makes the lock.
    install(session, "lock", project=False, locked=False)
    output = ROOT / args.output
    compiled = Path(session.create_tmp()) / "constraints.txt"
    compiled.unlink(missing_ok=True)
    if output.is_file() and not args.upgrade:
        shutil.copy(output, compiled)  # uv keeps the pins it finds in its output file
    # What install() adds to the groups.
    base = compiled.with_name("base.in")
    base.write_text("\n".join([*SEEDED, *BUILD_REQUIRES]) + "\n", encoding="utf-8")
    groups = sorted(PYPROJECT["dependency-groups"])
    resolved = session.run(
        "uv",
        "pip",
        "compile",
        "--universal",
        "--fork-strategy=fewest",
        "--python-version",
        SUPPORTED_PYTHONS[0],
        "--no-header",
        "--quiet",
        *(["--upgrade"] if args.upgrade else []),
        *(f"--group={group}" for group in groups),
        str(base),
        "--output-file",
        str(compiled),
        # uv reads PyPI only, whatever a uv.toml of this machine says.
        env={"UV_NO_CONFIG": "1"},
    )
    if resolved is None:
        return  # --install-only: uv did not run, and the copy above is no lock
    pins = compiled.read_text(encoding="utf-8").replace(
        f"-r {base}", "noxfile.py (SEEDED, BUILD_REQUIRES)"
    )
    digests = "".join(f"#   {group}: {group_digest(group)}\n" for group in groups)
    old = read_lock(LOCK) if LOCK.is_file() else {}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(LOCK_HEADER + digests + "\n" + pins, encoding="utf-8")
    rows = lock_diff(old, read_lock(output))
    relative = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    session.log(f"wrote {relative}; packages whose pins differ from {LOCK.name}: {len(rows)}")
    table = ["| package | constraints.txt | now |", "| --- | --- | --- |", *rows]
    for row in table if rows else []:
        session.log(row)
    if args.summary:
        args.summary.parent.mkdir(parents=True, exist_ok=True)
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(f"### Packages whose pins differ from constraints.txt: {len(rows)}\n\n")
            summary.write("\n".join(table) + "\n\n" if rows else "")


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
