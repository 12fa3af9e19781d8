"""``python -m site_audit HTML``: audit a built site, print the report, exit 1 on any finding."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from site_audit import html_validator, lighthouse, links, prerequisites, report, sample, server
from site_audit.pages import site_pages


def main(argv: list[str] | None = None) -> int:
    """Run every check of the audit over the built site; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m site_audit", description=__doc__)
    parser.add_argument("html", type=Path, help="the built site (build/html)")
    parser.add_argument(
        "--base-path", default="/", help="the path the site is published at (/autograd-guide/)"
    )
    parser.add_argument(
        "--cache", type=Path, help="where to keep the Nu Html Checker's jar and Lighthouse"
    )
    parser.add_argument(
        "--screenshots",
        type=Path,
        help="where the screenshots go (default: HTML/../audit/screenshots): a full-length one"
        " of each page at each width where the browser found something; those an earlier run"
        " saved there of the site's pages are removed first",
    )
    parser.add_argument(
        "--screenshot-every-page",
        action="store_true",
        help="a screenshot of every page at both widths, found something or not (slower)",
    )
    parser.add_argument(
        "--tabs",
        type=int,
        default=max(2, os.cpu_count() or 1),
        help="pages open at once (default: the number of cores, at least 2)",
    )
    measured = parser.add_mutually_exclusive_group()
    measured.add_argument(
        "--lighthouse-every-page",
        action="store_true",
        help="run Lighthouse on every page (by default: each edition's landing page and"
        " heaviest article)",
    )
    measured.add_argument("--no-lighthouse", action="store_true", help="run no Lighthouse")
    args = parser.parse_args(argv)
    html = args.html.resolve()
    if not (html / "index.html").is_file():
        print(
            f"site_audit: {html} holds no built site (no index.html):"
            " build it first with `python3 -m nox -s docs`",
            file=sys.stderr,
        )
        return 2
    screenshots = args.screenshots or html.parent / "audit" / "screenshots"
    cache = args.cache or html.parent / "audit" / "tools"
    try:
        programs = prerequisites.require("chromium", "java")
        prerequisites.require_chinese_font()
        jar = prerequisites.vnu_jar(cache)
        htmlcs = prerequisites.htmlcs_script(cache)
        # Node and the folder Lighthouse is installed in, unless it is not to run.
        measuring = None
        if not args.no_lighthouse:
            measuring = (prerequisites.require("node")["node"], prerequisites.lighthouse(cache))
    except prerequisites.MissingProgramError as error:
        print(f"site_audit: {error}", file=sys.stderr)
        return 2

    from site_audit import browser  # imports Playwright: only once the prerequisites are there

    start = time.monotonic()
    pages = site_pages(html)
    try:
        browser.clear_screenshots(screenshots, pages)
    except OSError as error:
        print(f"site_audit: cannot prepare the folder of screenshots: {error}", file=sys.stderr)
        return 2
    checker = html_validator.start(programs["java"], jar, html, pages)
    broken_links = links.check_site(html, pages, args.base_path)
    with server.serve(html, args.base_path) as site:
        visits = browser.visit_all(
            html,
            site,
            pages,
            programs["chromium"],
            screenshots,
            tabs=args.tabs,
            htmlcs=htmlcs,
            every_page=args.screenshot_every_page,
        )
    html_errors = html_validator.errors(checker, html)
    reports = report.collect(pages, visits, html_errors, broken_links)
    audited = time.monotonic() - start

    print(report.table(reports))
    print()
    print(report.heaviest_files(reports, html))
    print()
    if measuring is not None:
        # After the validator, which runs beside the browser: runs must have the CPU to themselves.
        if args.lighthouse_every_page:
            chosen = [sample.Choice(page.as_posix(), ("every page",)) for page in pages]
        else:
            chosen = sample.choose({page.page: page.weight for page in reports})
        print("Lighthouse measures:")
        for choice in chosen:
            print(f"  {choice}")
        node, package = measuring
        began = time.monotonic()
        with server.serve(html, args.base_path) as site:
            measurements = lighthouse.measure(
                site,
                [choice.page for choice in chosen],
                package=package,
                chromium=programs["chromium"],
                chromium_flags=browser.CHROMIUM_FLAGS,
                node=node,
            )
        seconds = time.monotonic() - began
        runs = sum(len(measurement.runs) for measurement in measurements)
        print()
        print(lighthouse.table(measurements))
        print(f"Lighthouse: {runs} runs in {seconds:.0f} s ({seconds / max(runs, 1):.1f} s a run)")
        print()
        reports = report.collect(pages, visits, html_errors, broken_links, measurements)
    failures = report.failures(reports)
    for line in failures:
        print(f"FAIL {line}")
    print(report.summary(reports))
    saved = sum(visit.screenshot is not None for visit in visits)
    which = "of every visit" if args.screenshot_every_page else "where the browser found something"
    print(
        f"Audited {len(pages)} pages at {len(browser.VIEWPORTS)} viewports"
        f" in {audited:.0f} s; {saved} screenshots ({which}) in {screenshots};"
        f" {time.monotonic() - start:.0f} s in all"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
