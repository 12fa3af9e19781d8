"""Gather the findings per page, print them as a table, and list every failure by page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from site_audit.lighthouse import Measurement
from site_audit.links import BrokenLink
from site_audit.visit import Visit
from site_audit.weight import gzip_size, kib, page_weight

# Issue 18's weights, gzipped, of everything a page loads (theme, fonts, math,
# the page): the median page may weigh 350 KiB, and no page more than 500 KiB.
MEDIAN_WEIGHT_TARGET = 350 * 1024
PAGE_WEIGHT_LIMIT = 500 * 1024


@dataclass
class PageReport:
    """Everything the audit found about one page."""

    page: str
    visits: list[Visit] = field(default_factory=list)
    html_errors: list[str] = field(default_factory=list)
    broken_links: list[BrokenLink] = field(default_factory=list)
    lighthouse: list[Measurement] = field(default_factory=list)

    @property
    def weight(self) -> int:
        """Gzip bytes the page loaded, at the viewport where it loaded more."""
        return max((page_weight(visit.files) for visit in self.visits), default=0)

    def failures(self) -> list[str]:
        """One line per finding, each naming the page (and viewport) it was found on."""
        lines = [f"{self.page}: HTML error, {error}" for error in self.html_errors]
        lines += [str(broken) for broken in self.broken_links]
        for visit in self.visits:
            lines += visit.findings()
        if self.weight > PAGE_WEIGHT_LIMIT:
            lines.append(
                f"{self.page}: weighs {kib(self.weight)} KiB gzip,"
                f" over the {kib(PAGE_WEIGHT_LIMIT)} KiB a page may weigh"
            )
        for measurement in self.lighthouse:
            lines += measurement.failures()
        return lines


def collect(
    pages: list[Path],
    visits: list[Visit],
    html_errors: dict[str, list[str]],
    broken_links: list[BrokenLink],
    lighthouse: list[Measurement] | None = None,
) -> list[PageReport]:
    """Sort every finding, and every Lighthouse measurement, under the page it belongs to."""
    reports = {page.as_posix(): PageReport(page.as_posix()) for page in pages}
    for visit in visits:
        reports[visit.page].visits.append(visit)
    for page, errors in html_errors.items():
        reports.setdefault(page, PageReport(page)).html_errors += errors
    for broken in broken_links:
        reports[broken.page].broken_links.append(broken)
    for measurement in lighthouse or []:
        reports[measurement.page].lighthouse.append(measurement)
    return list(reports.values())


def _weights(reports: list[PageReport]) -> list[int]:
    """The weights of the pages the browser visited, lightest first."""
    return sorted(report.weight for report in reports if report.visits)


def failures(reports: list[PageReport]) -> list[str]:
    """Every failure: each page's, by page, then the site's (its median weight).

    Examples:
        >>> failures([PageReport("index.html")])
        []
    """
    lines = [line for report in reports for line in report.failures()]
    weights = _weights(reports)
    if weights and (median := weights[len(weights) // 2]) > MEDIAN_WEIGHT_TARGET:
        lines.append(
            f"all pages: the median page weighs {kib(median)} KiB gzip,"
            f" over the {kib(MEDIAN_WEIGHT_TARGET)} KiB a typical page may weigh"
        )
    return lines


def _count(reports: list[Visit], attribute: str) -> str:
    return "/".join(str(len(getattr(visit, attribute))) for visit in reports) or "-"


def table(reports: list[PageReport]) -> str:
    """One row per page; the browser's counts are desktop/mobile."""
    header = (
        "page",
        "requests",
        "remote",
        "console",
        "axe",
        "htmlcs",
        "headings",
        "html",
        "links",
        "KiB gz",
    )
    rows = [header]
    rows.extend(
        (
            report.page,
            _count(report.visits, "requests"),
            _count(report.visits, "blocked"),
            _count(report.visits, "console_errors"),
            _count(report.visits, "axe"),
            _count(report.visits, "htmlcs"),
            _count(report.visits, "headings"),
            str(len(report.html_errors)),
            str(len(report.broken_links)),
            kib(report.weight),
        )
        for report in reports
    )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def heaviest_files(reports: list[PageReport], html: Path, top: int = 8) -> str:
    """The files that weigh most over the whole site: gzip size times pages that load them."""
    loads: Counter[Path] = Counter()
    for report in reports:
        for visit in report.visits[:1]:
            loads.update(set(visit.files))
    ranked = sorted(loads, key=lambda path: gzip_size(path) * loads[path], reverse=True)[:top]
    lines = ["What the pages' weight is made of (gzip KiB x pages that load it):"]
    lines += [
        f"  {kib(gzip_size(path)):>6} KiB x {loads[path]:>2}  {path.relative_to(html).as_posix()}"
        for path in ranked
    ]
    return "\n".join(lines)


def summary(reports: list[PageReport]) -> str:
    """Totals, the weight range against the targets, and what Lighthouse measured."""
    weights = _weights(reports)
    lines = [f"{len(reports)} pages, {len(failures(reports))} findings."]
    once = sum(visit.contrast_outside_article for report in reports for visit in report.visits)
    if once:
        lines.append(
            f"Colour contrast of the article checked at one width only on {once} pages,"
            " whose article looked the same at both."
        )
    if weights:
        median = weights[len(weights) // 2]
        heavy = sum(weight > PAGE_WEIGHT_LIMIT for weight in weights)
        lines.append(
            f"Weight (gzip): median {kib(median)} KiB"
            f" (target {kib(MEDIAN_WEIGHT_TARGET)}:"
            f" {'met' if median <= MEDIAN_WEIGHT_TARGET else 'NOT met'}),"
            f" min {kib(weights[0])}, max {kib(weights[-1])};"
            f" {heavy} pages over the {kib(PAGE_WEIGHT_LIMIT)} KiB a page may weigh."
        )
    measured = [measurement for report in reports for measurement in report.lighthouse]
    if measured:
        missed = sum(bool(measurement.failures()) for measurement in measured)
        runs = sum(len(measurement.runs) for measurement in measured)
        lines.append(
            f"Lighthouse: {len(measured)} measurements (pages x profiles) in {runs} runs;"
            f" {missed} missed a threshold."
        )
    return "\n".join(lines)
