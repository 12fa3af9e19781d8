"""Lighthouse, run for real by the audit on a site of one page that shifts on a phone's width.

Like the rest of tests/browser, these run only in ``nox -s audit`` (they need
Chromium, Node and Lighthouse, which the audit installs into its cache). The
parsing, the thresholds, the median of three and the choice of pages are
unit-tested in tests/test_site_audit.py; here Lighthouse itself must see the
fault, and judge it as the audit does. One page, one run on each profile: each
run costs seconds of the check.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from site_audit import browser, lighthouse, prerequisites, server
from site_audit.lighthouse import Measurement

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
def measured(tmp_path_factory: pytest.TempPathFactory) -> list[Measurement]:
    """Lighthouse's measurements of a site of one page that shifts on a phone, both profiles.

    Through :func:`site_audit.lighthouse.measure`, as the audit calls it, not
    the whole audit: the browser's checks and the report's FAIL lines have
    tests of their own, and each second here is a second of the check.
    """
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text(SHIFTING, encoding="utf-8")
    (site / "icon.svg").write_text(ICON, encoding="utf-8")
    cache = os.environ.get("AUTOGRAD_GUIDE_AUDIT_TOOLS")
    package = prerequisites.lighthouse(Path(cache) if cache else tmp_path_factory.mktemp("tools"))
    programs = prerequisites.require("chromium", "node")
    with server.serve(site, "/site/") as address:
        return lighthouse.measure(
            address,
            ["index.html"],
            package=package,
            chromium=programs["chromium"],
            chromium_flags=browser.CHROMIUM_FLAGS,
            node=programs["node"],
            runs_on_a_miss=1,  # the median of three is unit-tested: here, one run each
        )


def test_a_layout_shift_on_a_phone_fails(
    measured: list[Measurement],
) -> None:
    phone, _ = measured
    assert (phone.profile, len(phone.runs)) == ("mobile", 1), phone
    lines = phone.failures()
    (shift,) = [line for line in lines if "cumulative-layout-shift" in line]
    found = re.fullmatch(
        r"index\.html \[mobile\]: Lighthouse cumulative-layout-shift (\d\.\d{3}),"
        r" needs at most 0\.020 \(1 run\)",
        shift,
    )
    assert found is not None, shift
    assert float(found[1]) > 0.1, shift


def test_the_desktop_passes_after_one_run(measured: list[Measurement]) -> None:
    _, desktop = measured
    assert (desktop.profile, len(desktop.runs)) == ("desktop", 1), desktop
    assert desktop.failures() == [], desktop
    # What the table prints is what was measured: the runs are its last column.
    rows = lighthouse.table(measured).splitlines()[2:]
    assert [row.split()[:2] + row.split()[-1:] for row in rows] == [
        ["index.html", "mobile", "1"],
        ["index.html", "desktop", "1"],
    ]
