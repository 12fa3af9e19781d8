"""The site audit, run for real on a small site with one clean and one faulty page.

These tests need Chromium, Java and Playwright, which only ``nox -s audit``
installs; that session runs them before it audits the guide, so a check of
the audit that cannot fail never passes for one that did not run. The unit
tests of the audit's parts (report, links, headings) are in
tests/test_site_audit.py and run everywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"

CLEAN = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Clean</title><link rel="icon" href="icon.svg"></head>
<body><main><h1>Clean</h1><p>See <a href="faulty.html#top">the faulty page</a>.</p>
<img src="icon.svg" alt="A square"></main></body>
</html>
"""
FAULTY = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Faulty</title><link rel="icon" href="icon.svg">
<script src="https://cdn.example.org/lib.js"></script></head>
<body><main id="top"><h1>Faulty</h1><h3>Too deep</h3>
<img src="icon.svg">
<p>A <a href="gone.html">missing page</a>.</p>
<p>Open <div>and shut</div></p>
<script>console.error("a cell's widget failed")</script>
</main></body>
</html>
"""
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect width="2" height="2"/></svg>'
)


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """Audit a site of a clean page (index.html) and a faulty one; return the run."""
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text(CLEAN, encoding="utf-8")
    (site / "faulty.html").write_text(FAULTY, encoding="utf-8")
    (site / "icon.svg").write_text(ICON, encoding="utf-8")
    jar_cache = os.environ.get("AUTOGRAD_GUIDE_AUDIT_TOOLS")
    return subprocess.run(
        [sys.executable, "-m", "site_audit", str(site), "--base-path", "/site/"]
        + (["--cache", jar_cache] if jar_cache else []),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(TOOLS)},
    )


def failures(run: subprocess.CompletedProcess[str], page: str) -> list[str]:
    """The FAIL lines that name ``page``."""
    return [line for line in run.stdout.splitlines() if line.startswith(f"FAIL {page}")]


def test_the_audit_fails_and_the_clean_page_has_no_finding(
    audit: subprocess.CompletedProcess[str],
) -> None:
    assert audit.returncode == 1, audit.stdout + audit.stderr
    assert failures(audit, "index.html") == []
    assert "2 pages" in audit.stdout


@pytest.mark.parametrize(
    "finding",
    [
        "[desktop]: requested https://cdn.example.org/lib.js from another host",
        "[mobile]: requested https://cdn.example.org/lib.js from another host",
        "[desktop]: console error: a cell's widget failed",
        "[desktop]: axe: image-alt (critical)",
        "[mobile]: axe: image-alt (critical)",
        "[desktop]: heading skips a level: h3 'Too deep'",
        "[desktop]: image without alt text: icon.svg",
        ": HTML error, line ",
        "gone.html",
    ],
)
def test_each_fault_fails_naming_the_page(
    audit: subprocess.CompletedProcess[str], finding: str
) -> None:
    found = failures(audit, "faulty.html")
    assert any(finding in line for line in found), "\n".join(found) or audit.stdout + audit.stderr
