"""The offline parts of the site audit: links, hosts, headings, the validator's report, the verdict."""

from __future__ import annotations

import dataclasses
import doctest
import gzip
import hashlib
import json
import random
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from output.sidebar_toggles import label_toggles
from site_audit import (
    html_validator,
    lighthouse,
    links,
    prerequisites,
    report,
    sample,
    server,
)
from site_audit import pages as pages_module
from site_audit import visit as visit_module
from site_audit.headings import skipped_levels
from site_audit.hosts import is_local
from site_audit.lighthouse import Measurement
from site_audit.pages import site_pages
from site_audit.visit import Visit


def write_site(root: Path, pages: dict[str, str]) -> Path:
    for name, body in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>", encoding="utf-8")
    return root


def test_links_to_existing_files_and_anchors_pass(tmp_path: Path) -> None:
    html = write_site(
        tmp_path,
        {
            "index.html": '<a href="math/notation.html#vjp">x</a><a href="#top" id="top">t</a>'
            '<a href="math/">m</a><a href="https://example.org/#nowhere">e</a>'
            '<a href="/site/math/notation.html#vjp">abs</a><img src="_static/a.png" alt="a">',
            "math/notation.html": '<h2 id="vjp">VJP</h2><a href="../index.html">up</a>',
            "math/index.html": "",
            "_static/a.png": "",
        },
    )
    assert links.check_site(html, site_pages(html), "/site/") == []


def test_a_broken_internal_link_fails_the_link_check_naming_the_page(tmp_path: Path) -> None:
    html = write_site(
        tmp_path,
        {
            "index.html": "",
            "math/notation.html": '<a href="../pitfalls/gone.html">gone</a>',
        },
    )
    broken = links.check_site(html, site_pages(html))
    assert [str(link) for link in broken] == [
        "math/notation.html: broken link '../pitfalls/gone.html' (no such file)"
    ]


def test_a_broken_anchor_fails_the_link_check_naming_page_and_target(tmp_path: Path) -> None:
    html = write_site(
        tmp_path,
        {
            "index.html": '<a href="page.html#old-name">x</a><a href="#target.md">myst</a>',
            "page.html": '<h2 id="new-name">New</h2>',
        },
    )
    assert [str(link) for link in links.check_site(html, site_pages(html))] == [
        "index.html: broken link 'page.html#old-name' (no id 'old-name' in page.html)",
        "index.html: broken link '#target.md' (no id 'target.md' in index.html)",
    ]


def test_links_that_leave_the_site_folder_are_broken(tmp_path: Path) -> None:
    html = write_site(
        tmp_path, {"index.html": '<a href="../../etc/passwd">x</a><a href="/x">y</a>'}
    )
    reasons = [link.reason for link in links.check_page(html, PurePosixPath("index.html"), "/s/")]
    assert reasons == ["outside the site", "outside the site"]


def test_template_fragments_in_static_are_no_pages(tmp_path: Path) -> None:
    html = write_site(
        tmp_path, {"index.html": "", "_static/webpack-macros.html": "", "a/b.html": ""}
    )
    assert site_pages(html) == [Path("a/b.html"), Path("index.html")]


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000/autograd-guide/index.html", True),
        ("data:image/svg+xml;base64,AAAA", True),
        ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js", False),
        ("http://localhost:8000/index.html", False),
        ("http://127.0.0.1.example.org/x.js", False),
        ("wss://127.0.0.2/socket", False),
    ],
)
def test_only_the_local_server_counts_as_local(url: str, local: bool) -> None:
    assert is_local(url) is local


def test_headings_that_skip_a_level_are_named() -> None:
    assert skipped_levels([(1, "Title"), (2, "A"), (3, "B"), (2, "C")]) == []
    assert skipped_levels([(1, "Title"), (3, "Deep"), (4, "Deeper"), (2, "Back")]) == [
        "h3 'Deep' follows h1"
    ]
    assert skipped_levels([(2, "No title")]) == ["h2 'No title' follows the start of the article"]


def test_a_remote_request_fails_the_audit_naming_the_page() -> None:
    visit = Visit("math/notation.html", "mobile", blocked=["https://cdn.example.org/font.woff2"])
    (page,) = report.collect([Path("math/notation.html")], [visit], {}, [])
    assert page.failures() == [
        (
            "math/notation.html [mobile]: requested https://cdn.example.org/font.woff2"
            " from another host"
        )
    ]


def test_a_clean_page_has_no_failures_and_one_row() -> None:
    visits = [Visit("index.html", "desktop", requests=["a", "b"]), Visit("index.html", "mobile")]
    (page,) = report.collect([Path("index.html")], visits, {}, [])
    assert page.failures() == []
    header, rule, row = report.table([page]).splitlines()
    assert header.split() == [
        "page", "requests", "remote", "console", "axe", "htmlcs", "headings", "html", "links",
        "KiB", "gz",
    ]  # fmt: skip
    assert set(rule) == {"-"}
    assert row.split() == ["index.html", "2/0", "0/0", "0/0", "0/0", "0/0", "0/0", "0", "0", "0"]


def test_every_kind_of_finding_names_its_page() -> None:
    visit = Visit(
        "a.html",
        "desktop",
        console_errors=["boom"],
        failed=["404 http://127.0.0.1:1/x.css"],
        axe=["image-alt (critical): Images must have alternate text at img"],
        headings=["h3 'x' follows h1"],
        images_without_alt=["plot.png"],
    )
    broken = links.BrokenLink("a.html", "#gone", "no id 'gone' in a.html")
    (page,) = report.collect([Path("a.html")], [visit], {"a.html": ["line 3: bad"]}, [broken])
    failures = page.failures()
    assert len(failures) == 7
    assert all(line.startswith("a.html") for line in failures)
    assert "a.html [desktop]: image without alt text: plot.png" in failures


def test_the_validators_errors_are_grouped_by_page(tmp_path: Path) -> None:
    messages = [
        {"type": "error", "url": f"file:{tmp_path}/math/a.html", "lastLine": 7, "message": "Bad."},
        {"type": "info", "subType": "warning", "url": f"file:{tmp_path}/b.html", "message": "Hm."},
    ]
    assert html_validator.parse(json.dumps({"messages": messages}), tmp_path) == {
        "math/a.html": ["line 7: Bad."]
    }


def test_sidebar_toggles_are_named_after_their_section() -> None:
    navigation = (
        '<li><a class="reference internal" href="a.html">Part <code>A</code></a>'
        '<details><summary><span class="toctree-toggle"></span></summary><ul>'
        '<li><a href="b.html">B</a></li></ul></details></li>'
        '<li><a href="c.html">C &amp; D</a><details open="open"><summary><i></i></summary>'
    )
    labelled = label_toggles(navigation)
    assert '<summary aria-label="Pages under Part A">' in labelled
    assert '<details open="open"><summary aria-label="Pages under C &amp; D">' in labelled


def test_sidebar_toggles_are_named_with_the_label_of_the_edition() -> None:
    # The label comes translated from the interface catalog (test_interface_language.py).
    navigation = '<a href="a.html">数学原理</a><details><summary></summary>'
    assert '<summary aria-label="数学原理下的页面">' in label_toggles(navigation, "{title}下的页面")


# What a visit records besides its findings: the requests and files it loaded, and how it ran.
RECORDS = {"page", "viewport", "requests", "files", "contrast_outside_article", "screenshot"}


@pytest.mark.parametrize(
    "name", [item.name for item in dataclasses.fields(Visit) if item.name not in RECORDS]
)
def test_whatever_else_a_visit_records_fails_the_page(name: str) -> None:
    # A field added to Visit is a finding unless RECORDS says otherwise: the
    # report, and the browser's choice of visits to screenshot, must not miss it.
    visit = Visit("index.html", "mobile", **{name: ["something"]})
    failures = report.collect([PurePosixPath("index.html")], [visit], {}, [])[0].failures()
    assert len(failures) == 1, (name, failures)
    assert failures == visit.findings(), name
    assert failures[0].startswith("index.html [mobile]: "), failures


@pytest.mark.parametrize("module", [visit_module, server, lighthouse, sample, report, pages_module])
def test_the_examples_in_the_docstrings_hold(module: ModuleType) -> None:
    # tools/ is outside pytest's doctest paths: the examples run here.
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0


# --- The server compresses text, as GitHub Pages does -------------------------------------

TEXT = "<!DOCTYPE html><title>t</title>" + "<p>the same words again</p>" * 2000


def fetch(url: str, **headers: str) -> tuple[dict[str, str], bytes]:
    """The headers and the body, as sent, of a GET of ``url`` with ``headers``."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        return dict(response.headers), response.read()


def test_the_server_sends_text_gzipped_to_a_browser_that_accepts_it(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(TEXT, encoding="utf-8")
    (tmp_path / "math").mkdir()
    (tmp_path / "math" / "index.html").write_text(TEXT, encoding="utf-8")
    with server.serve(tmp_path, "/site/") as site:
        for url in (site + "page.html", site + "math/"):
            headers, body = fetch(url, **{"Accept-Encoding": "gzip, deflate, br"})
            assert headers["Content-Encoding"] == "gzip", url
            assert headers["Vary"] == "Accept-Encoding"
            assert headers["Content-Length"] == str(len(body))
            assert len(body) < len(TEXT) / 10
            assert gzip.decompress(body).decode() == TEXT
        # A client that asks for no gzip (or refuses it) gets the file as it is.
        for accept in ({}, {"Accept-Encoding": "br, gzip;q=0"}):
            headers, body = fetch(site + "page.html", **accept)
            assert "Content-Encoding" not in headers
            assert headers["Content-Length"] == str(len(TEXT))
            assert body.decode() == TEXT


def test_the_server_sends_fonts_and_images_as_they_are(tmp_path: Path) -> None:
    font = bytes(range(256)) * 40
    (tmp_path / "font.woff2").write_bytes(font)
    with server.serve(tmp_path, "/site/") as site:
        headers, body = fetch(site + "font.woff2", **{"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in headers
        assert body == font
        # Outside the site's path, and missing files: 404, as before.
        for url in (site.removesuffix("site/") + "font.woff2", site + "gone.html"):
            with pytest.raises(urllib.error.HTTPError, match="404"):
                fetch(url, **{"Accept-Encoding": "gzip"})


# --- Lighthouse: parsing, judging, the median of three -----------------------------------

SITE = "http://127.0.0.1:8000/site/"
# A run that meets every threshold with both profiles.
GOOD = {
    "performance": 100,
    "accessibility": 100,
    "best-practices": 100,
    "seo": 100,
    "first-contentful-paint": 900.0,
    "largest-contentful-paint": 1200.0,
    "cumulative-layout-shift": 0.0,
    "total-blocking-time": 0.0,
    "speed-index": 900.0,
    "total-byte-weight": 150_000,
}


def answer(page: str, profile: str, **values: Any) -> str:
    """A line as lighthouse/run.mjs prints it, of a run that meets every threshold but ``values``."""
    return json.dumps({"url": SITE + page, "profile": profile, **GOOD, "failing": [], **values})


def test_a_line_of_lighthouse_is_read_into_a_run() -> None:
    failing = ["seo: meta-description", "accessibility: color-contrast"]
    run = lighthouse.parse(answer("zh_CN/index.html", "desktop", seo=92, failing=failing), SITE)
    assert (run.page, run.profile, run.error) == ("zh_CN/index.html", "desktop", "")
    assert run.values == {name: float(value) for name, value in {**GOOD, "seo": 92}.items()}
    assert run.failing == tuple(failing)
    assert lighthouse.misses(run) == [lighthouse.Threshold("seo", 100)]


@pytest.mark.parametrize(
    "line",
    ["Lighthouse says hello", "[1, 2]", json.dumps({"url": SITE, "profile": "mobile", "seo": 1})],
)
def test_a_line_that_is_no_run_raises(line: str) -> None:
    with pytest.raises(ValueError, match=r"not a line of lighthouse/run\.mjs"):
        lighthouse.parse(line, SITE)


# Each threshold of the issue: the profile, the measure, the worst value that
# meets it, and the best that misses it.
EDGES = [
    ("mobile", "performance", 90, 89),
    ("desktop", "performance", 98, 97),
    ("mobile", "cumulative-layout-shift", 0.02, 0.021),
    ("desktop", "cumulative-layout-shift", 0.02, 0.021),
    ("mobile", "first-contentful-paint", 1800.0, 1801.0),
    ("mobile", "accessibility", 100, 99),
    ("desktop", "accessibility", 100, 99),
    ("mobile", "best-practices", 100, 99),
    ("desktop", "seo", 100, 99),
]


@pytest.mark.parametrize(("profile", "measure", "meets", "misses"), EDGES)
def test_each_threshold_fails_just_past_its_limit_naming_page_profile_value_and_limit(
    profile: str, measure: str, meets: float, misses: float
) -> None:
    passing = lighthouse.parse(answer("a.html", profile, **{measure: meets}), SITE)
    assert Measurement("a.html", profile, [passing]).failures() == []
    failing = lighthouse.parse(answer("a.html", profile, **{measure: misses}), SITE)
    (line,) = Measurement("a.html", profile, [failing] * 3).failures()
    value, limit = lighthouse.show(measure, misses), lighthouse.show(measure, meets)
    assert line.startswith(f"a.html [{profile}]: Lighthouse {measure} {value}, needs at "), line
    assert f" {limit} (median of 3 runs" in line, line


def test_the_phones_first_paint_threshold_is_not_the_desktops() -> None:
    slow = lighthouse.parse(answer("a.html", "desktop", **{"first-contentful-paint": 2500}), SITE)
    assert lighthouse.misses(slow) == []
    assert lighthouse.misses(dataclasses.replace(slow, profile="mobile")) != []
    assert {t.profiles for t in lighthouse.THRESHOLDS if t.measure == "performance"} == {
        ("mobile",),
        ("desktop",),
    }


def test_a_failing_category_names_the_audits_that_cost_it_points() -> None:
    failing = ["accessibility: color-contrast", "seo: meta-description"]
    run = lighthouse.parse(answer("a.html", "mobile", seo=92, failing=failing), SITE)
    (line,) = Measurement("a.html", "mobile", [run]).failures()
    assert line == (
        "a.html [mobile]: Lighthouse seo 92, needs at least 100"
        " (1 run; costing points: seo: meta-description)"
    )


def test_a_page_lighthouse_could_not_measure_fails() -> None:
    line = json.dumps({"url": SITE + "a.html", "profile": "mobile", "error": "NO_FCP: no paint"})
    (failure,) = Measurement("a.html", "mobile", [lighthouse.parse(line, SITE)] * 3).failures()
    assert failure == "a.html [mobile]: Lighthouse could not measure the page: NO_FCP: no paint"
    # A score that Lighthouse could not compute (an audit of it errored) comes as null.
    unscored = lighthouse.parse(answer("a.html", "desktop", seo=None), SITE)
    (failure,) = Measurement("a.html", "desktop", [unscored] * 3).failures()
    assert failure == "a.html [desktop]: Lighthouse could not measure the page: seo not computed"


def fake_node(tmp_path: Path, answers: dict[str, list[float]]) -> Path:
    """A program that stands in for Node running lighthouse/run.mjs, whose runs score ``answers``.

    Each page's mobile runs score the next of its ``answers``, in turn; its
    desktop runs score 100. What it was asked goes to ``asked.txt``.
    """
    program = tmp_path / "node"
    program.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"answers = {answers!r}\n"
        f"good = {GOOD!r}\n"
        f"asked = open({str(tmp_path / 'asked.txt')!r}, 'w')\n"
        "for line in sys.stdin:\n"
        "    job = json.loads(line)\n"
        "    asked.write(line); asked.flush()\n"
        "    page = job['url'].rpartition('/')[2]\n"
        "    score = answers[page].pop(0) if job['profile'] == 'mobile' else 100\n"
        "    print(json.dumps({**job, **good, 'performance': score}), flush=True)\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    return program


def test_one_run_decides_unless_it_misses_then_the_median_of_three_does(tmp_path: Path) -> None:
    answers = {
        "fast.html": [95],  # one run, which meets the threshold
        "flaky.html": [84, 93, 91],  # a miss, then two runs that meet it: median 91
        "slow.html": [84, 95, 88],  # a miss, a run that meets it, a miss: median 88
    }
    node = fake_node(tmp_path, {page: list(scores) for page, scores in answers.items()})
    measurements = lighthouse.measure(
        SITE, list(answers), package=tmp_path, chromium="chromium", node=str(node)
    )
    asked = [json.loads(line) for line in (tmp_path / "asked.txt").read_text().splitlines()]
    # Run one after another, the misses again right away.
    assert [(job["url"].removeprefix(SITE), job["profile"]) for job in asked] == [
        ("fast.html", "mobile"),
        ("fast.html", "desktop"),
        ("flaky.html", "mobile"),
        ("flaky.html", "mobile"),
        ("flaky.html", "mobile"),
        ("flaky.html", "desktop"),
        ("slow.html", "mobile"),
        ("slow.html", "mobile"),
        ("slow.html", "mobile"),
        ("slow.html", "desktop"),
    ]
    runs = {(m.page, m.profile): len(m.runs) for m in measurements}
    assert runs == {
        ("fast.html", "mobile"): 1,
        ("fast.html", "desktop"): 1,
        ("flaky.html", "mobile"): 3,
        ("flaky.html", "desktop"): 1,
        ("slow.html", "mobile"): 3,
        ("slow.html", "desktop"): 1,
    }
    judged = {(m.page, m.profile): m.judged.values["performance"] for m in measurements}
    assert judged["flaky.html", "mobile"] == 91
    assert judged["slow.html", "mobile"] == 88
    assert [line for m in measurements for line in m.failures()] == [
        "slow.html [mobile]: Lighthouse performance 88, needs at least 90 (median of 3 runs)"
    ]


def test_the_lighthouse_table_has_a_row_per_page_and_profile_with_its_runs() -> None:
    once = lighthouse.parse(answer("index.html", "desktop"), SITE)
    slow = lighthouse.parse(answer("index.html", "mobile", performance=80), SITE)
    header, rule, *rows = lighthouse.table(
        [
            Measurement("index.html", "mobile", [slow] * 3),
            Measurement("index.html", "desktop", [once]),
        ]
    ).splitlines()
    assert header.split() == [
        "page", "profile", "performance", "accessibility", "best", "practices", "SEO",
        "FCP", "LCP", "CLS", "TBT", "weight", "runs",
    ]  # fmt: skip
    assert set(rule) == {"-"}
    assert rows[0].split() == [
        "index.html", "mobile", "80", "100", "100", "100", "0.90", "s", "1.20", "s",
        "0.000", "0", "ms", "146", "KiB", "3",
    ]  # fmt: skip
    assert rows[1].split()[:3] == ["index.html", "desktop", "100"]
    assert rows[1].split()[-1] == "1"


# --- Which pages Lighthouse measures --------------------------------------------------------


def test_each_edition_is_measured_on_its_landing_page_and_heaviest_article() -> None:
    weights = {
        "index.html": 300_000,
        "search.html": 900_000,  # heavier than any article, but no article
        "a/index.html": 600_000,  # a part's index, no article either
        "a/heavy.html": 480_000,
        "a/light.html": 400_000,
        "zh_CN/index.html": 300_000,
        "zh_CN/a/heavy.html": 490_000,
        "zh_CN/a/light.html": 200_000,
    }
    assert [str(choice) for choice in sample.choose(weights)] == [
        "index.html (English landing page)",
        "a/heavy.html (heaviest English article, 469 KiB gz)",
        "zh_CN/index.html (Chinese landing page)",
        "zh_CN/a/heavy.html (heaviest Chinese article, 479 KiB gz)",
    ]


def test_an_edition_without_articles_is_measured_on_its_landing_page() -> None:
    chosen = sample.choose({"index.html": 1, "zh_CN/index.html": 1, "zh_CN/a.html": 2})
    assert [choice.page for choice in chosen] == ["index.html", "zh_CN/index.html", "zh_CN/a.html"]


# --- The verdict: weight and Lighthouse through the report --------------------------------


def visit_of(tmp_path: Path, page: str, kib: int) -> Visit:
    """A visit of ``page`` that loaded one file of about ``kib`` KiB, which gzip cannot shrink."""
    file = tmp_path / f"{page}.{kib}.bin"  # weight.py caches each file's size by its path
    file.write_bytes(random.Random(page).randbytes(kib * 1024))
    return Visit(page, "desktop", files=[file])


def test_a_page_over_500_kib_fails_and_so_does_a_median_over_350(tmp_path: Path) -> None:
    sizes = {"a.html": 300, "b.html": 360, "c.html": 510}
    reports = report.collect(
        [Path(page) for page in sizes],
        [visit_of(tmp_path, page, size) for page, size in sizes.items()],
        {},
        [],
    )
    failures = report.failures(reports)
    assert len(failures) == 2, failures
    assert failures[0].startswith("c.html: weighs 510 KiB gzip, over the 500 KiB a page may")
    assert failures[1].startswith("all pages: the median page weighs 360 KiB gzip, over the 350")
    assert "Weight (gzip): median 360 KiB (target 350: NOT met)" in report.summary(reports)
    lighter = report.collect(
        [Path(page) for page in sizes],
        [visit_of(tmp_path, page, 340) for page in sizes],
        {},
        [],
    )
    assert report.failures(lighter) == []


def test_a_lighthouse_miss_fails_the_audit_naming_its_page(tmp_path: Path) -> None:
    shifted = lighthouse.parse(answer("a.html", "mobile", **{"cumulative-layout-shift": 0.3}), SITE)
    good = lighthouse.parse(answer("a.html", "desktop"), SITE)
    measurements = [
        Measurement("a.html", "mobile", [shifted] * 3),
        Measurement("a.html", "desktop", [good]),
    ]
    reports = report.collect([Path("a.html"), Path("b.html")], [], {}, [], measurements)
    assert report.failures(reports) == [
        (
            "a.html [mobile]: Lighthouse cumulative-layout-shift 0.300, needs at most 0.020"
            " (median of 3 runs)"
        )
    ]
    assert (
        "Lighthouse: 2 measurements (pages x profiles) in 4 runs; 1 missed a threshold."
        in report.summary(reports)
    )
    assert "1 findings" in report.summary(reports)


# --- Lighthouse is installed once, and only a finished install counts -----------------------

LOCK = prerequisites.LIGHTHOUSE_LOCK / "package-lock.json"
DIGEST = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]


def npm_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool) -> list[list[str]]:
    """Make ``npm install`` write a package into its prefix, then fail if ``fails``."""
    ran: list[list[str]] = []

    def run(command: list[str], *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        ran.append(command)
        prefix = Path(command[command.index("--prefix") + 1])
        # Killed now, npm must leave nothing that a later audit takes for an install.
        assert prefix.parent == tmp_path
        assert not prefix.name.endswith(DIGEST), "npm installs where a finished install goes"
        # npm ci installs what the lock pins, and needs it beside package.json.
        assert (prefix / "package-lock.json").read_bytes() == LOCK.read_bytes()
        (prefix / "node_modules" / "lighthouse").mkdir(parents=True)
        if fails:
            return subprocess.CompletedProcess(command, 1, "", "npm ERR! network request failed")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(prerequisites.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(prerequisites, "subprocess", SimpleNamespace(
        run=run, CompletedProcess=subprocess.CompletedProcess, DEVNULL=subprocess.DEVNULL,
        CalledProcessError=subprocess.CalledProcessError,
    ))  # fmt: skip
    return ran


def test_lighthouse_is_installed_once_from_npm_at_its_pinned_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = npm_install(tmp_path, monkeypatch, fails=False)
    package = prerequisites.lighthouse(tmp_path)
    assert package == tmp_path / f"lighthouse-{DIGEST}"
    assert (package / "node_modules" / "lighthouse").is_dir()
    assert ran[0][1] == "ci"
    assert prerequisites.lighthouse(tmp_path) == package
    assert len(ran) == 1, "installed twice"
    assert sorted(path.name for path in tmp_path.iterdir()) == [f"lighthouse-{DIGEST}"]


def test_the_lock_pins_lighthouse_12_2_3_and_everything_it_needs() -> None:
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == {
        "chrome-launcher": "1.2.1",
        "lighthouse": "12.2.3",
    }
    assert lock["packages"]["node_modules/lighthouse"]["version"] == "12.2.3"
    # Each package at one version with its integrity hash, from the registry where named.
    for name, package in lock["packages"].items():
        if name:
            assert package["version"], name
            assert package["integrity"].startswith("sha512-"), name
            assert package.get("resolved", "https://registry.npmjs.org/").startswith(
                "https://registry.npmjs.org/"
            ), name


def test_an_install_of_lighthouse_cut_short_leaves_nothing_that_passes_for_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    npm_install(tmp_path, monkeypatch, fails=True)
    with pytest.raises(
        prerequisites.MissingProgramError, match=r"exit 1\): npm ERR! network request failed"
    ):
        prerequisites.lighthouse(tmp_path)
    assert list(tmp_path.iterdir()) == []
