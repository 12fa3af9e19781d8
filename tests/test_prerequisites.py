"""The audit's system packages: named when missing, never installed by the audit itself."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from site_audit import prerequisites  # tools/, on the path through conftest.py

EVERYTHING = ["chromium", "default-jre-headless", "npm", "fontconfig", "fonts-wqy-microhei"]


def only_run(run: Callable[..., subprocess.CompletedProcess[str]]) -> SimpleNamespace:
    """The subprocess module as the tests let the module under test see it: run() alone.

    A command started any other way (Popen, call, check_call) fails the test
    with an AttributeError instead of running.
    """
    return SimpleNamespace(run=run, CompletedProcess=subprocess.CompletedProcess)


@pytest.fixture
def bare_machine(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A machine without any program on PATH; returns the commands the module ran.

    Root or not makes no difference to the module, which never installs:
    `.ci/run` decides by the user (tests/test_ci_run.py).
    """
    ran: list[list[str]] = []

    def run(command: list[str], *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="", stderr="")

    monkeypatch.setattr(prerequisites.shutil, "which", lambda name: None)
    monkeypatch.setattr(prerequisites, "subprocess", only_run(run))
    return ran


def test_a_missing_program_is_named_with_the_package_to_install(
    bare_machine: list[list[str]],
) -> None:
    with pytest.raises(prerequisites.MissingProgramError) as error:
        prerequisites.require("chromium", "java")
    assert "chromium, java, not found on PATH" in str(error.value)
    assert "`sudo apt-get install chromium default-jre-headless`" in str(error.value)
    with pytest.raises(prerequisites.MissingProgramError, match="fonts-wqy-microhei"):
        prerequisites.require_chinese_font()
    assert bare_machine == [], "the audit ran a command (apt-get?) instead of naming the packages"


def test_the_check_fails_naming_every_missing_package(
    bare_machine: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert prerequisites.missing_packages() == EVERYTHING
    assert prerequisites.main(["--check"]) == 1
    assert f"`sudo apt-get install {' '.join(EVERYTHING)}`" in capsys.readouterr().err
    # Without --check it prints the names, for .ci/run to install as root.
    assert prerequisites.main([]) == 0
    assert capsys.readouterr().out.split() == EVERYTHING
    assert bare_machine == []


def test_a_machine_with_everything_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fc_list(command: list[str], *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert command[1:] == [":lang=zh", "family"]
        return subprocess.CompletedProcess(command, 0, stdout="WenQuanYi Micro Hei\n", stderr="")

    monkeypatch.setattr(prerequisites.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(prerequisites, "subprocess", only_run(fc_list))
    assert prerequisites.missing_packages() == []
    assert prerequisites.main(["--check"]) == 0
    assert prerequisites.require("chromium", "java") == {
        "chromium": "/usr/bin/chromium",
        "java": "/usr/bin/java",
    }


def test_google_chrome_stands_in_for_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        prerequisites.shutil,
        "which",
        lambda name: "/usr/bin/google-chrome" if name == "google-chrome" else None,
    )
    assert prerequisites.require("chromium") == {"chromium": "/usr/bin/google-chrome"}


def test_the_check_fails_without_a_built_site(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(prerequisites, "missing_packages", list)  # everything installed
    assert prerequisites.main(["--check", "--site", str(tmp_path)]) == 1
    assert f"no built site in {tmp_path}: run `python3 -m nox -s docs` first" in (
        capsys.readouterr().err
    )
    (tmp_path / "index.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    assert prerequisites.main(["--check", "--site", str(tmp_path)]) == 0
