"""The offline parts of the site audit: links, hosts, headings, the validator's report, the verdict."""

from __future__ import annotations

import dataclasses
import doctest
import json
from pathlib import Path, PurePosixPath

import pytest

from output.sidebar_toggles import label_toggles
from site_audit import html_validator, links, report
from site_audit import visit as visit_module
from site_audit.headings import skipped_levels
from site_audit.hosts import is_local
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


def test_the_examples_in_the_visits_docstrings_hold() -> None:
    # tools/ is outside pytest's doctest paths: the examples run here.
    results = doctest.testmod(visit_module, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0
