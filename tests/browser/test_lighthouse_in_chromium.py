"""Lighthouse, run for real by the audit on a site of one page that shifts on a phone's width.

Like the rest of tests/browser, these run only in ``nox -s audit`` (they need
Chromium, Node and Lighthouse, which the audit installs into its cache). The
parsing, the thresholds, the median of three and the choice of pages are
unit-tested in tests/test_site_audit.py; here Lighthouse itself must see the
fault and the audit fail on it. One page, the fewest runs that show it (each
costs seconds of the check): three on the phone, one on the desktop.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"

HEAD = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><meta name="description" content="A page of a small site for the audit.">
<link rel="icon" href="icon.svg"></head>
"""
# On a phone's width only, a block arrives above the article after the page
# has loaded, and pushes everything down, as a late banner or font would.
SHIFTING = HEAD.format(title="Shifting") + (
    "<body><main><h1>Shifting</h1>"
    + "<p>A paragraph that moves down when the block arrives.</p>" * 12
    + """<script>
addEventListener("load", () => setTimeout(() => {
  if (!matchMedia("(max-width: 600px)").matches) return;
  const late = document.createElement("p");
  late.style.height = "300px";
  late.textContent = "Arrived late";
  document.querySelector("main").prepend(late);
}, 300));
</script></main></body>
</html>
"""
)
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect width="2" height="2"/></svg>'
)


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """Audit, Lighthouse included, a site of one page that shifts on a phone."""
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text(SHIFTING, encoding="utf-8")
    (site / "icon.svg").write_text(ICON, encoding="utf-8")
    cache = os.environ.get("AUTOGRAD_GUIDE_AUDIT_TOOLS")
    screenshots = tmp_path_factory.mktemp("screenshots")
    return subprocess.run(
        [sys.executable, "-m", "site_audit", str(site), "--base-path", "/site/"]
        + ["--screenshots", str(screenshots)]
        + (["--cache", cache] if cache else []),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(TOOLS)},
    )


def lighthouse_failures(run: subprocess.CompletedProcess[str], page: str) -> list[str]:
    """The FAIL lines of Lighthouse that name ``page``."""
    return [
        line
        for line in run.stdout.splitlines()
        if line.startswith(f"FAIL {page} [") and "]: Lighthouse " in line
    ]


def test_a_layout_shift_on_a_phone_fails_by_the_median_of_three_runs(
    audit: subprocess.CompletedProcess[str],
) -> None:
    output = audit.stdout + audit.stderr
    assert audit.returncode == 1, output
    # The shift costs performance points too; every miss is the phone's.
    misses = lighthouse_failures(audit, "index.html")
    assert all(line.startswith("FAIL index.html [mobile]: ") for line in misses), misses
    (shift,) = [line for line in misses if "cumulative-layout-shift" in line]
    found = re.fullmatch(
        r"FAIL index\.html \[mobile\]: Lighthouse cumulative-layout-shift (\d\.\d{3}),"
        r" needs at most 0\.020 \(median of 3 runs\)",
        shift,
    )
    assert found is not None, shift
    assert float(found[1]) > 0.1, shift
    # Nothing else fails: the page is clean but for its shift.
    others = [line for line in audit.stdout.splitlines() if line.startswith("FAIL ")]
    assert sorted(others) == sorted(misses), output


def test_the_desktop_passes_after_one_run_and_the_phone_takes_three(
    audit: subprocess.CompletedProcess[str],
) -> None:
    output = audit.stdout + audit.stderr
    # One row per page and profile; the runs are the last column.
    rows = {
        tuple(line.split()[:2]): line.split()[-1]
        for line in audit.stdout.splitlines()
        if re.match(r"index\.html +(mobile|desktop) ", line)
    }
    assert rows == {("index.html", "mobile"): "3", ("index.html", "desktop"): "1"}, output
    assert "  index.html (English landing page)\n" in audit.stdout, audit.stdout
    assert re.search(r"Lighthouse: 4 runs in \d+ s", audit.stdout), audit.stdout
