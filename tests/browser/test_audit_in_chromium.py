"""The site audit, run for real on a small site with one clean and one faulty page.

These tests need Chromium, Java and Playwright, which only ``nox -s audit``
installs; that session runs them before it audits the guide, so a check of
the audit that cannot fail never passes for one that did not run. The unit
tests of the audit's parts (report, links, headings) are in
tests/test_site_audit.py and run everywhere. Lighthouse, which takes seconds
a page, has a site of its own (test_lighthouse_in_chromium.py).
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
<form action="search.html"><input type="search" name="q" aria-label="Search"></form>
<script>console.error("a cell's widget failed")</script>
</main></body>
</html>
"""
# Contrast: the article's text checked in full at one viewport, and again at the
# other only where the article looks different there; the page around it at both.
PALE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Pale</title><link rel="icon" href="icon.svg"></head>
<body><header><p style="color:#c8c8c8">Pale around the article</p></header>
<main><article><h1>Pale</h1><p style="color:#c0c0c0">Pale in the article</p></article></main>
</body>
</html>
"""
NARROW = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Narrow</title><link rel="icon" href="icon.svg">
<style>@media (max-width: 600px) { .fades { color: #c0c0c0 } }</style></head>
<body><main><article><h1>Narrow</h1><p class="fades">Pale on a phone only</p></article></main>
</body>
</html>
"""
# A search page whose search lists nothing, as when the index or the scripts are missing.
SEARCH = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Search</title><link rel="icon" href="icon.svg"></head>
<body><main><h1>Search</h1><div id="search-results"></div></main></body>
</html>
"""
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect width="2" height="2"/></svg>'
)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the audit saves its screenshots in, with what an earlier run and a person left."""
    folder = tmp_path_factory.mktemp("screenshots")
    (folder / "index.html.desktop.png").write_bytes(b"an earlier run's, of a page now clean")
    (folder / "pale.html.mobile.png").write_bytes(b"an earlier run's, of a page still pale")
    (folder / "notes.txt").write_text("a person's", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def audit(
    tmp_path_factory: pytest.TempPathFactory, screenshots: Path
) -> subprocess.CompletedProcess[str]:
    """Audit a site of a clean page (index.html) and faulty ones; return the run."""
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text(CLEAN, encoding="utf-8")
    (site / "faulty.html").write_text(FAULTY, encoding="utf-8")
    (site / "pale.html").write_text(PALE, encoding="utf-8")
    (site / "narrow.html").write_text(NARROW, encoding="utf-8")
    (site / "search.html").write_text(SEARCH, encoding="utf-8")
    (site / "icon.svg").write_text(ICON, encoding="utf-8")
    jar_cache = os.environ.get("AUTOGRAD_GUIDE_AUDIT_TOOLS")
    return subprocess.run(
        # One tab: the desktop visit of each page comes first, as the contrast test expects.
        [sys.executable, "-m", "site_audit", str(site), "--base-path", "/site/", "--tabs", "1"]
        + ["--screenshots", str(screenshots), "--no-lighthouse"]
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
    assert "5 pages" in audit.stdout


@pytest.mark.parametrize(
    "finding",
    [
        "[desktop]: requested https://cdn.example.org/lib.js from another host",
        "[mobile]: requested https://cdn.example.org/lib.js from another host",
        "[desktop]: console error: a cell's widget failed",
        "[desktop]: axe: image-alt (critical)",
        # HTML_CodeSniffer: a form without a submit button (WCAG 3.2.2, technique H32).
        "[desktop]: HTML_CodeSniffer: WCAG2AA.Principle3.Guideline3_2.3_2_2.H32.2: ",
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


def axe_contrast(run: subprocess.CompletedProcess[str], page: str, viewport: str) -> list[str]:
    """The color-contrast findings of ``page`` at ``viewport``."""
    return [line for line in failures(run, page) if f"[{viewport}]: axe: color-contrast" in line]


def test_the_articles_contrast_is_checked_at_the_second_viewport_only_where_it_looks_different(
    audit: subprocess.CompletedProcess[str],
) -> None:
    # Pale text in the article and around it: the first viewport finds both.
    (desktop,) = axe_contrast(audit, "pale.html", "desktop")
    assert "header > p" in desktop, desktop
    assert "article > p" in desktop, desktop
    # The article looks the same on the phone: only the text around it is checked again.
    (mobile,) = axe_contrast(audit, "pale.html", "mobile")
    assert "header > p" in mobile, mobile
    assert "article" not in mobile, mobile
    # Text that only a phone's width makes pale is found there, in the article.
    assert axe_contrast(audit, "narrow.html", "desktop") == []
    (narrow,) = axe_contrast(audit, "narrow.html", "mobile")
    assert narrow.endswith(" at p"), narrow


def test_screenshots_are_of_the_pages_where_the_browser_found_something(
    audit: subprocess.CompletedProcess[str], screenshots: Path
) -> None:
    saved = sorted(path.name for path in screenshots.iterdir())
    # faulty.html at both widths; pale.html's article is pale at both, narrow.html's on a phone.
    # The clean page's screenshot of an earlier run is gone; the person's notes are not.
    assert saved == [
        "faulty.html.desktop.png",
        "faulty.html.mobile.png",
        "narrow.html.mobile.png",
        "notes.txt",
        "pale.html.desktop.png",
        "pale.html.mobile.png",
        "search.html.desktop.png",
    ], saved
    assert (screenshots / "pale.html.mobile.png").read_bytes().startswith(b"\x89PNG")
    assert "6 screenshots (where the browser found something)" in audit.stdout, audit.stdout


def test_html_codesniffer_runs_at_the_desktop_width_only(
    audit: subprocess.CompletedProcess[str],
) -> None:
    found = failures(audit, "faulty.html")
    assert any("[desktop]: HTML_CodeSniffer: " in line for line in found), found
    assert not any("[mobile]: HTML_CodeSniffer: " in line for line in found), found


def test_a_search_page_whose_search_lists_nothing_fails(
    audit: subprocess.CompletedProcess[str],
) -> None:
    assert failures(audit, "search.html") == [
        "FAIL search.html [desktop]: search: searching for 'autograd' listed no page within 5 s"
    ], audit.stdout
