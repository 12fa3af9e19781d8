"""autograd-guide as a package: one version number, a changelog, and the sdist and wheel `nox -s package` checks."""

from __future__ import annotations

import io
import re
import runpy
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

import autograd_guide
from noxfile_module import load_noxfile, run_under_install_only

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
NOXFILE = load_noxfile()


# --- One version number -------------------------------------------------------------


def test_the_package_reports_the_version_of_pyproject() -> None:
    assert autograd_guide.__version__ == VERSION, (
        "the installed package's metadata is older than pyproject.toml: run the session"
        " once without -R, which installs the project again"
    )


def test_the_citation_names_the_version_of_pyproject() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert str(citation["version"]) == VERSION


def test_the_changelog_has_a_section_for_the_version_of_pyproject() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    # Keep a Changelog's heading; `unreleased` until the tag (release.yml wants a date).
    heading = rf"^## \[{re.escape(VERSION)}\] - (\d{{4}}-\d{{2}}-\d{{2}}|unreleased)$"
    assert re.search(heading, changelog, flags=re.MULTILINE), (
        f"CHANGELOG.md has no section `## [{VERSION}] - unreleased` (or with the date of its tag)"
    )
    repository = PYPROJECT["project"]["urls"]["Repository"]
    assert f"[{VERSION}]: {repository}/releases/tag/v{VERSION}" in changelog.splitlines()


def site_configuration(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """docs/conf.py's settings, its changes to sys.path and the environment undone afterwards."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("IPYTHONDIR", "")  # conf.py sets it; monkeypatch restores it
    return runpy.run_path(str(ROOT / "docs" / "conf.py"))


def test_the_notebooks_install_the_released_version(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = site_configuration(monkeypatch)
    release = f"autograd-guide=={VERSION}"
    requirements = conf["notebooks_requirements"]
    assert isinstance(requirements, dict)
    assert requirements["autograd_guide"] == release
    binder = conf["notebooks_binder_requirements"]
    assert isinstance(binder, list)
    assert release in binder
    assert not [r for r in [*requirements.values(), *binder] if "git+" in r]


# --- The sdist and the wheel -----------------------------------------------------------


def test_the_package_files_are_every_module_and_py_typed() -> None:
    files = NOXFILE.package_files()
    source = ROOT / "src" / "autograd_guide"
    modules = {f"autograd_guide/{path.name}" for path in source.glob("*.py")}
    assert modules <= set(files)
    assert {"autograd_guide/__init__.py", "autograd_guide/tiny.py"} <= modules
    assert "autograd_guide/py.typed" in files


def write_dist(
    folder: Path,
    version: str = VERSION,
    wheel_extra: tuple[str, ...] = (),
    wheel_missing: tuple[str, ...] = (),
    sdist_extra: tuple[str, ...] = (),
    sdist_missing: tuple[str, ...] = (),
) -> Path:
    """An sdist and a wheel of the package as hatchling lays them out, with files added or left out."""
    folder.mkdir(parents=True, exist_ok=True)
    package = NOXFILE.package_files()
    stem = f"autograd_guide-{version}"
    wheel = [
        *package,
        f"{stem}.dist-info/METADATA",
        f"{stem}.dist-info/licenses/LICENSE",
        f"{stem}.dist-info/RECORD",
        *wheel_extra,
    ]
    with zipfile.ZipFile(folder / f"{stem}-py3-none-any.whl", "w") as archive:
        for name in wheel:
            if name not in wheel_missing:
                archive.writestr(name, "")
    sdist = [
        *NOXFILE.SDIST_FILES,
        *NOXFILE.SDIST_MAY_HOLD,
        *(f"src/{name}" for name in package),
        *sdist_extra,
    ]
    with tarfile.open(folder / f"{stem}.tar.gz", "w:gz") as archive:
        for name in sdist:
            if name not in sdist_missing:
                archive.addfile(tarfile.TarInfo(f"{stem}/{name}"), io.BytesIO(b""))
    return folder


def problems(folder: Path) -> list[str]:
    return NOXFILE.dist_problems(folder, VERSION, NOXFILE.package_files())


def test_a_complete_sdist_and_wheel_have_no_problems(tmp_path: Path) -> None:
    assert problems(write_dist(tmp_path / "dist")) == []


def test_a_wheel_without_py_typed_or_a_module_is_refused(tmp_path: Path) -> None:
    missing = ("autograd_guide/py.typed", "autograd_guide/graph.py")
    found = problems(write_dist(tmp_path / "dist", wheel_missing=missing))
    assert found == ["the wheel lacks autograd_guide/graph.py, autograd_guide/py.typed"]


def test_a_wheel_with_tests_or_docs_is_refused(tmp_path: Path) -> None:
    extra = ("tests/test_jacobian.py", "docs/conf.py")
    found = problems(write_dist(tmp_path / "dist", wheel_extra=extra))
    assert found == [
        "the wheel holds files outside the package: docs/conf.py, tests/test_jacobian.py"
    ]


def test_an_sdist_without_the_changelog_or_a_module_is_refused(tmp_path: Path) -> None:
    missing = ("CHANGELOG.md", "LICENSE", "src/autograd_guide/tiny.py")
    found = problems(write_dist(tmp_path / "dist", sdist_missing=missing))
    assert found == ["the sdist lacks CHANGELOG.md, LICENSE, src/autograd_guide/tiny.py"]


def test_an_sdist_with_the_site_or_the_tests_is_refused(tmp_path: Path) -> None:
    extra = ("docs/index.md", "tests/conftest.py", "noxfile.py")
    found = problems(write_dist(tmp_path / "dist", sdist_extra=extra))
    stray = "docs/index.md, noxfile.py, tests/conftest.py"
    assert found == [f"the sdist holds files the package does not need: {stray}"]


def test_a_folder_without_exactly_this_versions_sdist_and_wheel_is_refused(
    tmp_path: Path,
) -> None:
    wanted = f"autograd_guide-{VERSION}.tar.gz and autograd_guide-{VERSION}-py3-none-any.whl"
    assert problems(tmp_path / "nothing") == [
        f"{tmp_path / 'nothing'} holds nothing instead of {wanted}"
    ]
    other = write_dist(tmp_path / "other", version="9.9.9")
    assert (
        "holds autograd_guide-9.9.9-py3-none-any.whl, autograd_guide-9.9.9.tar.gz instead"
        in (problems(other)[0])
    )
    stale = write_dist(tmp_path / "stale")
    write_dist(stale, version="0.0.1")  # an earlier build left behind
    assert len(problems(stale)) == 1


def test_the_package_session_builds_from_the_sdist_without_isolation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = run_under_install_only(NOXFILE, "package", monkeypatch, tmp_path)
    (install,) = [command for command in commands if command.method == "install"]
    group = NOXFILE.nox.project.dependency_groups(NOXFILE.PYPROJECT, "package")
    assert {"build", "twine", "hatchling"} == {r.partition("==")[0] for r in group}
    assert set(group) <= set(install.args)
    assert "--constraint" in install.args
    assert "-e" not in install.args  # the project itself is not installed: only built
    (build,) = [command for command in commands if command.args[:3] == ("python", "-m", "build")]
    assert "--no-isolation" in build.args
    # Neither --sdist nor --wheel: build makes the sdist, then the wheel from it.
    assert not {"--sdist", "--wheel", "-s", "-w"} & set(build.args)
