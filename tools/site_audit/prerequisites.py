"""Find, or install, what the audit runs: Chromium, Java, the Nu Html Checker, a Chinese font.

Chromium and Java are Debian packages; they are installed with apt when the
audit runs as root (as on CI), otherwise the message says what to install.
So is a font with Chinese characters: without one, the screenshots of the
Chinese edition show boxes where the text should be.
Playwright drives the system Chromium: its own browser download comes from a
CDN, which this project never uses. The Nu Html Checker is the npm package
``vnu-jar``, fetched once with ``npm pack`` (the registry's own client, which
checks the package's integrity) and kept in a cache folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

# The checker's rules change between releases; pinned so a release cannot
# start failing the audit on its own.
VNU_VERSION = "26.9.27"
# Program on PATH -> the Debian package that provides it.
_DEBIAN = {"chromium": "chromium", "java": "default-jre-headless", "npm": "npm"}


class MissingProgramError(RuntimeError):
    """A program the audit needs is not installed and cannot be installed here."""


def _apt_install(what: str, packages: list[str]) -> None:
    """Install Debian ``packages`` when root; otherwise say what to install, naming ``what``."""
    if os.geteuid() != 0:
        msg = (
            f"the site audit needs {what}: install the Debian packages"
            f" with `sudo apt-get install {' '.join(packages)}` and run it again"
        )
        raise MissingProgramError(msg)
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=apt)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        check=True,
        env=apt,
    )


# Programs that stand in for one of Debian's: GitHub's Ubuntu runners have
# Google Chrome, and Ubuntu's own chromium package is a snap that cannot run here.
_STAND_INS = {"chromium": ["google-chrome"]}


def _which(program: str) -> str | None:
    for name in (program, *_STAND_INS.get(program, [])):
        if (path := shutil.which(name)) is not None:
            return path
    return None


def require(*programs: str) -> dict[str, str]:
    """Return the path of each program, installing missing ones with apt when root."""
    missing = [program for program in programs if _which(program) is None]
    if missing:
        _apt_install(", ".join(missing), [_DEBIAN[program] for program in missing])
    found = {program: _which(program) for program in programs}
    still_missing = [program for program, path in found.items() if path is None]
    if still_missing:
        msg = f"installed with apt, yet not on PATH: {', '.join(still_missing)}"
        raise MissingProgramError(msg)
    return {program: str(path) for program, path in found.items()}


def vnu_jar(cache: Path) -> Path:
    """Return the Nu Html Checker's jar, downloading it from npm into ``cache`` once."""
    jar = cache / f"vnu-{VNU_VERSION}.jar"
    if jar.is_file():
        return jar
    npm = require("npm")["npm"]
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        subprocess.run(
            [npm, "pack", f"vnu-jar@{VNU_VERSION}", "--pack-destination", scratch, "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with tarfile.open(Path(scratch) / f"vnu-jar-{VNU_VERSION}.tgz") as archive:
            member = archive.extractfile("package/build/dist/vnu.jar")
            if member is None:
                msg = f"vnu-jar {VNU_VERSION} holds no build/dist/vnu.jar"
                raise MissingProgramError(msg)
            partial = jar.with_suffix(".part")
            partial.write_bytes(member.read())
            partial.replace(jar)  # a download cut short never passes for the jar
    return jar


def _has_chinese_font() -> bool:
    fc_list = shutil.which("fc-list")  # fontconfig, which Chromium depends on
    if fc_list is None:
        return False
    listed = subprocess.run(
        [fc_list, ":lang=zh", "family"], check=False, capture_output=True, text=True
    )
    return bool(listed.stdout.strip())


def require_chinese_font() -> None:
    """Make sure a font with Chinese characters is installed, with apt when root."""
    if _has_chinese_font():
        return
    # WenQuanYi Micro Hei: 1.6 MB, against 57 MB for Noto CJK.
    _apt_install("a font with Chinese characters", ["fonts-wqy-microhei"])
    if not _has_chinese_font():
        msg = "installed fonts-wqy-microhei, yet fontconfig lists no Chinese font"
        raise MissingProgramError(msg)
