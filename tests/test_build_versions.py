"""Every page's footer names the versions that made its outputs (docs/_ext/output/build_versions.py)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import torch
from sphinx.errors import ConfigError

from editions.interface_language import catalog_path, english_interface_text
from output.build_versions import build_versions, footer
from sites import EXT, sphinx

DOCS = EXT.parent
PYPROJECT = DOCS.parent / "pyproject.toml"
# The version the notebooks install (docs/conf.py), read here on its own.
VERSION = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]


def test_the_footer_names_the_version_of_pyproject_and_the_torch_the_kernel_imports() -> None:
    # torch.__version__ comes from torch/version.py, not from the metadata the footer reads.
    assert build_versions() == {"package": VERSION, "torch": torch.__version__}


def test_a_package_installed_at_another_version_than_pyproject_stops_the_build(
    tmp_path: Path,
) -> None:
    # What `nox -R` leaves after a version bump: metadata older than pyproject.toml.
    bumped = tmp_path / "pyproject.toml"
    bumped.write_text(
        PYPROJECT.read_text(encoding="utf-8").replace(
            f'version = "{VERSION}"', 'version = "99.0.0"', 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError,
        match=rf"pyproject\.toml says autograd-guide 99\.0\.0, .* but autograd-guide"
        rf" {re.escape(VERSION)} is installed .* without -R",
    ):
        build_versions(bumped)


def test_the_footer_names_both_versions_and_escapes_them() -> None:
    assert footer({"package": "0.1.0", "torch": "2.13.0+cpu"}) == (
        '<p class="build-versions">Outputs made with autograd-guide 0.1.0 and PyTorch 2.13.0+cpu</p>'
    )
    assert "&lt;b&gt;" in footer({"package": "<b>", "torch": "2"})


def site(tmp_path: Path) -> Path:
    """A page with the site's theme, its interface catalogs and the footer's extension."""
    source = tmp_path / "docs"
    source.mkdir()
    for language in ("zh_CN",):
        catalog = catalog_path(source, language)
        catalog.parent.mkdir(parents=True)
        catalog.write_bytes(catalog_path(DOCS, language).read_bytes())
    (source / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(EXT)!r})\n"
        "extensions = ['editions.interface_language', 'output.build_versions']\n"
        "html_theme = 'sphinx_book_theme'\n"
        "html_title = 'Autograd Guide'\n"
        "locale_dirs = ['locales']\n"
        # Only the footer is this test's business: the rest of this small
        # site's interface is not translated as the guide's is.
        "suppress_warnings = ['autograd_guide.interface_language']\n",
        encoding="utf-8",
    )
    (source / "index.rst").write_text("Page\n====\n\nText.\n", encoding="utf-8")
    return source


def footer_of(html: str) -> str:
    """The versions' paragraph, which must be inside the page's footer."""
    start = html.index('<footer class="bd-footer-content">')
    found = re.search(r'<p class="build-versions">.*?</p>', html[start:], flags=re.DOTALL)
    assert found, "no versions in the footer"
    return found.group()


@pytest.mark.slow
def test_every_edition_names_the_versions_in_its_footer(tmp_path: Path) -> None:
    source = site(tmp_path)
    versions = build_versions()
    english = sphinx(source, "-b", "html", output=tmp_path / "en")
    assert english.returncode == 0, english.stderr
    html = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert footer_of(html) == (
        f'<p class="build-versions">Outputs made with autograd-guide {versions["package"]}'
        f" and PyTorch {versions['torch']}</p>"
    )
    chinese = sphinx(source, "-b", "html", "-D", "language=zh_CN", output=tmp_path / "zh")
    assert chinese.returncode == 0, chinese.stderr
    paragraph = footer_of((tmp_path / "zh" / "index.html").read_text(encoding="utf-8"))
    assert f"autograd-guide {versions['package']}" in paragraph
    assert f"PyTorch {versions['torch']}" in paragraph
    assert "生成" in paragraph
    assert english_interface_text(paragraph) == []
