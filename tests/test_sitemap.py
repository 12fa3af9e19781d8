"""The sitemap lists every page at its published address, also after an incremental build."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sites import EXT, sphinx


def build(source: Path) -> subprocess.CompletedProcess[str]:
    return sphinx(source, "-q")


def make_site(root: Path, base_url: str) -> Path:
    source = root / "src"
    (source / "part").mkdir(parents=True)
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        'extensions = ["myst_parser", "output.sitemap"]\n'
        f"html_baseurl = {base_url!r}\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text("# Home\n\n```{toctree}\npart/page\n```\n", encoding="utf-8")
    (source / "part" / "page.md").write_text("# Page\n\nText.\n", encoding="utf-8")
    return source


def addresses(site: Path) -> list[str]:
    text = (site.parent / "html" / "sitemap.xml").read_text(encoding="utf-8")
    return [line.strip()[5:-6] for line in text.splitlines() if "<loc>" in line]


@pytest.mark.slow
def test_every_page_is_listed_after_an_incremental_build(tmp_path: Path) -> None:
    source = make_site(tmp_path, "https://example.org/guide/")
    assert build(source).returncode == 0
    expected = ["https://example.org/guide/index.html", "https://example.org/guide/part/page.html"]
    assert addresses(source) == expected
    page = source / "part" / "page.md"
    page.write_text("# Page\n\nChanged text.\n", encoding="utf-8")
    os.utime(page, (page.stat().st_atime, page.stat().st_mtime + 10))
    assert build(source).returncode == 0
    assert addresses(source) == expected, "only the rewritten page was listed"


@pytest.mark.slow
def test_a_site_without_its_address_is_refused(tmp_path: Path) -> None:
    result = build(make_site(tmp_path, ""))
    assert result.returncode != 0
    assert "html_baseurl must be the site's https:// address" in result.stderr
