"""Find what the audit runs: Chromium, Java, npm, the Nu Html Checker, Lighthouse, a Chinese font.

Chromium, Java, npm and a font with Chinese characters (without one, the
screenshots of the Chinese edition show boxes where the text should be) are
Debian packages. The audit never installs them: `.ci/run` does, with apt,
when run as root, asking this module which are missing
(``python -m site_audit.prerequisites`` prints their names); otherwise the
audit stops with a message that names the packages to install.
Playwright drives the system Chromium: its own browser download comes from a
CDN, which this project never uses. The Nu Html Checker is the npm package
``vnu-jar`` and HTML_CodeSniffer's script the npm package ``html_codesniffer``,
each fetched once with ``npm pack`` (the registry's own client, which checks
the package's integrity) and kept in a cache folder; Lighthouse, which runs
on Node (Debian's npm brings it), is installed there once with ``npm ci``
from the lock in ``lighthouse/``.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# The checker's rules change between releases; pinned so a release cannot
# start failing the audit on its own.
VNU_VERSION = "26.9.27"
# HTML_CodeSniffer, the engine pa11y runs by default, checks WCAG 2 AA beside axe.
HTMLCS_VERSION = "2.5.1"
# Lighthouse's scores change between its releases and its dependencies' (axe-core
# decides the accessibility score): the version and everything it needs are
# pinned by the lock in this folder. Lighthouse 12.2.3: 13 needs Node 22, 12.2.3
# runs on 18.16 or newer, such as the Node 20 of CI's runner.
LIGHTHOUSE_LOCK = Path(__file__).with_name("lighthouse")
# Program on PATH -> the Debian package that provides it. fc-list only tells
# whether a Chinese font is installed.
_DEBIAN = {
    "chromium": "chromium",
    "java": "default-jre-headless",
    "npm": "npm",
    "fc-list": "fontconfig",
}
# WenQuanYi Micro Hei: 1.6 MB, against 57 MB for Noto CJK.
CHINESE_FONT = "fonts-wqy-microhei"
# Programs that stand in for one of Debian's: GitHub's Ubuntu runners have
# Google Chrome, and Ubuntu's own chromium package is a snap that cannot run here.
_STAND_INS = {"chromium": ["google-chrome"]}
# Programs that come with one of the packages above: Debian's npm depends on nodejs.
_COMES_WITH = {"node": "npm"}


class MissingProgramError(RuntimeError):
    """A program the audit needs is not installed."""


def _install_hint(what: str, packages: list[str]) -> str:
    return (
        f"the site audit needs {what}: install the Debian packages with"
        f" `sudo apt-get install {' '.join(packages)}` (`.ci/run` does so when run as root),"
        " then run it again"
    )


def _which(program: str) -> str | None:
    for name in (program, *_STAND_INS.get(program, [])):
        if (path := shutil.which(name)) is not None:
            return path
    return None


def require(*programs: str) -> dict[str, str]:
    """Return the path of each program; raise MissingProgramError naming the packages to install."""
    found = {program: _which(program) for program in programs}
    missing = [program for program, path in found.items() if path is None]
    if missing:
        packages = list(dict.fromkeys(_DEBIAN[_COMES_WITH.get(p, p)] for p in missing))
        what = f"{', '.join(missing)}, not found on PATH"
        raise MissingProgramError(_install_hint(what, packages))
    return {program: str(path) for program, path in found.items()}


def _npm_file(cache: Path, package: str, version: str, member: str, name: str) -> Path:
    """Return ``cache/name``: the file ``member`` of the npm package, fetched once with ``npm pack``."""
    target = cache / name
    if target.is_file():
        return target
    npm = require("npm")["npm"]
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        subprocess.run(
            [npm, "pack", f"{package}@{version}", "--pack-destination", scratch, "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with tarfile.open(Path(scratch) / f"{package}-{version}.tgz") as archive:
            try:
                content = archive.extractfile(f"package/{member}")
            except KeyError:
                content = None
            if content is None:
                msg = f"{package} {version} holds no {member}"
                raise MissingProgramError(msg)
            partial = target.with_suffix(".part")
            partial.write_bytes(content.read())
            partial.replace(target)  # a download cut short never passes for the file
    return target


def vnu_jar(cache: Path) -> Path:
    """Return the Nu Html Checker's jar, downloading it from npm into ``cache`` once."""
    return _npm_file(cache, "vnu-jar", VNU_VERSION, "build/dist/vnu.jar", f"vnu-{VNU_VERSION}.jar")


def htmlcs_script(cache: Path) -> Path:
    """Return HTML_CodeSniffer's script, downloading it from npm into ``cache`` once."""
    return _npm_file(
        cache,
        "html_codesniffer",
        HTMLCS_VERSION,
        "build/HTMLCS.js",
        f"HTMLCS-{HTMLCS_VERSION}.js",
    )


def lighthouse(cache: Path) -> Path:
    """Return the folder Lighthouse is installed in, installing it from npm into ``cache`` once.

    ``npm ci`` installs exactly what ``lighthouse/package-lock.json`` (beside
    this module) pins, Lighthouse and every package it needs (chrome-launcher,
    axe-core, ...), into ``cache/lighthouse-<digest of the lock>``: a new lock
    gets a new folder. The folder is named so only once npm has finished.

    Raises:
        MissingProgramError: npm is not installed, or ``npm ci`` failed (offline,
            say); the message ends with the last lines npm wrote.
    """
    lock = (LIGHTHOUSE_LOCK / "package-lock.json").read_bytes()
    target = cache / f"lighthouse-{hashlib.sha256(lock).hexdigest()[:12]}"
    if target.is_dir():
        return target
    npm = require("npm")["npm"]
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{target.name}.", suffix=".part", dir=cache))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(LIGHTHOUSE_LOCK / name, scratch / name)
        installed = subprocess.run(
            [npm, "ci", "--prefix", str(scratch), "--no-audit", "--no-fund"],
            check=False,
            capture_output=True,
            text=True,
        )
        if installed.returncode != 0:
            said = (installed.stderr or installed.stdout).strip().splitlines()[-5:]
            msg = f"`npm ci` could not install Lighthouse (exit {installed.returncode}): " + (
                " / ".join(said) or "npm said nothing"
            )
            raise MissingProgramError(msg)
        # Renamed whole once npm has finished: an install cut short never passes for one.
        scratch.rename(target)
    except OSError:
        if not target.is_dir():
            raise
        # Another audit installed it meanwhile: theirs is as good.
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _has_chinese_font() -> bool:
    fc_list = _which("fc-list")
    if fc_list is None:
        return False
    listed = subprocess.run(
        [fc_list, ":lang=zh", "family"], check=False, capture_output=True, text=True
    )
    return bool(listed.stdout.strip())


def require_chinese_font() -> None:
    """Raise MissingProgramError, naming the package to install, unless a Chinese font is."""
    if not _has_chinese_font():
        packages = [CHINESE_FONT] if _which("fc-list") else ["fontconfig", CHINESE_FONT]
        what = "a font with Chinese characters, and fontconfig lists none"
        raise MissingProgramError(_install_hint(what, packages))


def missing_packages() -> list[str]:
    """The Debian packages that the audit needs and this machine lacks, in install order."""
    missing = [package for program, package in _DEBIAN.items() if _which(program) is None]
    if not _has_chinese_font():
        missing.append(CHINESE_FONT)
    return missing


def main(argv: list[str] | None = None) -> int:
    """Print the missing packages (for `.ci/run`), or with ``--check`` fail if any is missing."""
    parser = argparse.ArgumentParser(prog="python -m site_audit.prerequisites")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1, naming what to install, if anything is missing",
    )
    parser.add_argument(
        "--site",
        type=Path,
        help="with --check: also exit 1 if this folder holds no built site (no index.html)",
    )
    args = parser.parse_args(argv)
    missing = missing_packages()
    if not args.check:
        print(" ".join(missing))
        return 0
    if args.site is not None and not (args.site / "index.html").is_file():
        print(
            f"site_audit: no built site in {args.site}: run `python3 -m nox -s docs` first",
            file=sys.stderr,
        )
        return 1
    if missing:
        what = f"Debian packages missing here ({', '.join(missing)})"
        print(f"site_audit: {_install_hint(what, missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
