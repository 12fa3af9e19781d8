"""Measure pages with Lighthouse (the engine of PageSpeed Insights), judge them by thresholds.

One Node process (``lighthouse/run.mjs``, beside this module) runs every
measurement, one after another in one headless Chromium, with Lighthouse's
two profiles: its default, a mid-range phone on a slow 4G network, and its
desktop configuration, both with the network simulated from what the page
loaded. Runs never overlap: runs in parallel compete for the CPU and skew
each other's scores.

Scores vary from run to run (by as much as 10 points, the issue notes), so
one run decides only when it meets every threshold; a page and profile that
misses one is run twice more and judged by the median of the three runs,
measure by measure.

The simulation starts from what it saw: plain HTTP from the audit's server
(gzipped, as GitHub Pages sends it), where GitHub Pages speaks HTTPS. The
TLS handshake that the real site costs, one round trip more before the
first byte (150 ms on the phone's network, 40 ms on the desktop's), is
missing here: a first paint within that of its threshold here may miss it
in PageSpeed Insights.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from site_audit.weight import kib

SCRIPT = Path(__file__).with_name("lighthouse") / "run.mjs"
PROFILES = ("mobile", "desktop")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "cumulative-layout-shift",
    "total-blocking-time",
    "speed-index",
    "total-byte-weight",
)
# What run.mjs is to measure, told it on its command line: the ids are said here only.
_MEASURES = json.dumps({"categories": CATEGORIES, "metrics": METRICS})
RUNS_ON_A_MISS = 3
# Every request to another host goes to a proxy that does not exist and fails
# at once, as in the browser's visits (browser.py): Lighthouse reaches out to
# nothing. Chromium never proxies 127.0.0.1, where the site is served.
OFFLINE_FLAGS = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1")


@dataclass(frozen=True)
class Run:
    """What one Lighthouse run measured on one page with one profile.

    ``values`` holds the category scores (0 to 100) and the metrics
    (milliseconds; layout shift has no unit; weight is in bytes), by
    Lighthouse's ids; ``failing`` the audits that cost a category other than
    performance points, as ``category: audit``; ``error`` why Lighthouse
    could not measure the page, if it could not.
    """

    page: str
    profile: str
    values: dict[str, float] = field(default_factory=dict)
    failing: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class Threshold:
    """A bound on one category score or metric, for the profiles it applies to."""

    measure: str
    limit: float
    at_most: bool = False  # True: the value may not exceed the limit; False: not go below it
    profiles: tuple[str, ...] = PROFILES

    def missed(self, run: Run) -> bool:
        """Whether ``run`` misses this threshold (never, for another profile).

        Examples:
            >>> shift = Threshold("cumulative-layout-shift", 0.02, at_most=True)
            >>> shift.missed(Run("a.html", "mobile", {"cumulative-layout-shift": 0.1}))
            True
            >>> shift.missed(Run("a.html", "desktop", {"cumulative-layout-shift": 0.02}))
            False
        """
        if run.profile not in self.profiles:
            return False
        value = run.values[self.measure]
        return value > self.limit if self.at_most else value < self.limit

    def __str__(self) -> str:
        return f"{'at most' if self.at_most else 'at least'} {show(self.measure, self.limit)}"


# Issue 18's thresholds.
THRESHOLDS = (
    Threshold("performance", 90, profiles=("mobile",)),
    Threshold("performance", 98, profiles=("desktop",)),
    Threshold("cumulative-layout-shift", 0.02, at_most=True),
    Threshold("first-contentful-paint", 1800, at_most=True, profiles=("mobile",)),
    Threshold("accessibility", 100),
    Threshold("best-practices", 100),
    Threshold("seo", 100),
)


def show(measure: str, value: float) -> str:
    """A value as the report prints it: scores whole, times in seconds, weight in KiB.

    Examples:
        >>> show("performance", 89.0), show("first-contentful-paint", 1815.3)
        ('89', '1.82 s')
        >>> show("cumulative-layout-shift", 0.0213), show("total-blocking-time", 120.4)
        ('0.021', '120 ms')
        >>> show("total-byte-weight", 158_191)
        '154 KiB'
    """
    if measure == "cumulative-layout-shift":
        return f"{value:.3f}"
    if measure == "total-blocking-time":
        return f"{value:.0f} ms"
    if measure == "total-byte-weight":
        return f"{kib(round(value))} KiB"
    if measure in CATEGORIES:
        return f"{value:.0f}"
    return f"{value / 1000:.2f} s"


def parse(line: str, site: str) -> Run:
    """Read one line of ``run.mjs``'s output; pages are named relative to ``site``.

    Raises:
        ValueError: If the line is no JSON object, or lacks a score or metric.

    Examples:
        >>> line = (
        ...     '{"url": "http://127.0.0.1:8000/s/math/a.html", "profile": "mobile",'
        ...     ' "performance": 91, "accessibility": 100, "best-practices": 100, "seo": 92,'
        ...     ' "first-contentful-paint": 1500.5, "largest-contentful-paint": 2100.0,'
        ...     ' "cumulative-layout-shift": 0.001, "total-blocking-time": 0,'
        ...     ' "speed-index": 1500.5, "total-byte-weight": 160000,'
        ...     ' "failing": ["seo: meta-description"]}'
        ... )
        >>> run = parse(line, "http://127.0.0.1:8000/s/")
        >>> run.page, run.profile, run.values["seo"], run.failing
        ('math/a.html', 'mobile', 92.0, ('seo: meta-description',))
        >>> parse('{"url": "http://127.0.0.1:8000/s/", "profile": "desktop",'
        ...       ' "error": "NO_FCP: The page did not paint"}', "http://127.0.0.1:8000/s/").error
        'NO_FCP: The page did not paint'
    """
    try:
        answer = json.loads(line)
        page = str(answer["url"]).removeprefix(site)
        profile = str(answer["profile"])
        if "error" in answer:
            return Run(page, profile, error=str(answer["error"]))
        # A score or metric that Lighthouse could not compute (an audit that errored) is null.
        if missing := [name for name in (*CATEGORIES, *METRICS) if answer[name] is None]:
            return Run(page, profile, error=f"{', '.join(missing)} not computed")
        values = {name: float(answer[name]) for name in (*CATEGORIES, *METRICS)}
        failing = tuple(str(audit) for audit in answer.get("failing", []))
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        msg = f"not a line of lighthouse/run.mjs ({type(error).__name__}: {error}): {line[:200]!r}"
        raise ValueError(msg) from error
    return Run(page, profile, values, failing)


def median(runs: Sequence[Run]) -> Run:
    """The median of the runs that measured, measure by measure (a run with an error if none did).

    ``failing`` holds every audit that failed in any of them.

    Examples:
        >>> runs = [
        ...     Run("a.html", "mobile", {"performance": score, "speed-index": speed})
        ...     for score, speed in [(84, 2100.0), (93, 1700.0), (88, 1900.0)]
        ... ]
        >>> median(runs).values
        {'performance': 88, 'speed-index': 1900.0}
    """
    measured = [run for run in runs if not run.error]
    if not measured:
        return runs[0]
    first = measured[0]
    values = {
        name: statistics.median(run.values[name] for run in measured) for name in first.values
    }
    failing = tuple(dict.fromkeys(audit for run in measured for audit in run.failing))
    return Run(first.page, first.profile, values, failing)


def misses(run: Run) -> list[Threshold]:
    """The thresholds ``run`` misses.

    Examples:
        >>> values = {"performance": 95.0, "cumulative-layout-shift": 0.0,
        ...           "first-contentful-paint": 2400.0, "accessibility": 100.0,
        ...           "best-practices": 100.0, "seo": 100.0}
        >>> [str(threshold) for threshold in misses(Run("a.html", "mobile", values))]
        ['at most 1.80 s']
        >>> [str(threshold) for threshold in misses(Run("a.html", "desktop", values))]
        ['at least 98']
    """
    return [threshold for threshold in THRESHOLDS if threshold.missed(run)]


@dataclass
class Measurement:
    """Every Lighthouse run of one page with one profile, and the verdict on them."""

    page: str
    profile: str
    runs: list[Run] = field(default_factory=list)

    @property
    def judged(self) -> Run:
        """The run the verdict is on: the only one, or the median of those made after a miss."""
        return self.runs[0] if len(self.runs) == 1 else median(self.runs)

    def failures(self) -> list[str]:
        """One line per threshold missed, naming page, profile, measure, value and threshold.

        Examples:
            >>> values = {"performance": 95.0, "cumulative-layout-shift": 0.0,
            ...           "first-contentful-paint": 1600.0, "accessibility": 100.0,
            ...           "best-practices": 100.0, "seo": 92.0}
            >>> once = Run("a.html", "mobile", values, ("seo: meta-description",))
            >>> for line in Measurement("a.html", "mobile", [once] * 3).failures():
            ...     print(line)
            a.html [mobile]: Lighthouse seo 92, needs at least 100 (median of 3 runs; costing ...)
        """
        run = self.judged
        where = f"{self.page} [{self.profile}]: Lighthouse"
        if run.error:
            return [f"{where} could not measure the page: {run.error}"]
        how = "1 run" if len(self.runs) == 1 else f"median of {len(self.runs)} runs"
        lines = []
        for threshold in misses(run):
            cost = [audit for audit in run.failing if audit.startswith(f"{threshold.measure}: ")]
            why = f"; costing points: {', '.join(cost)}" if cost else ""
            value = show(threshold.measure, run.values[threshold.measure])
            lines.append(f"{where} {threshold.measure} {value}, needs {threshold} ({how}{why})")
        return lines


class _Lighthouse:
    """The Node process that runs Lighthouse, one run per request."""

    def __init__(self, process: subprocess.Popen[str], site: str) -> None:
        self.process = process
        self.site = site

    def run(self, page: str, profile: str) -> Run:
        """Measure ``page`` (relative to the site) with ``profile``, and wait for the result."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"url": self.site + page, "profile": profile}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            msg = f"run.mjs stopped (exit {self.process.wait()}); see its messages above"
            raise RuntimeError(msg)
        return parse(line, self.site)


@contextmanager
def _started(
    site: str, package: Path, chromium: str, chromium_flags: Sequence[str], node: str
) -> Iterator[_Lighthouse]:
    flags = [*chromium_flags, *OFFLINE_FLAGS, "--headless=new"]
    with subprocess.Popen(
        [node, str(SCRIPT), str(package), _MEASURES, chromium, *flags],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=sys.stderr,  # Lighthouse's own errors, if any, as they come
        text=True,
        encoding="utf-8",
    ) as process:
        try:
            yield _Lighthouse(process, site)
        finally:
            assert process.stdin is not None
            process.stdin.close()  # the script stops Chromium and exits
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def measure(
    site: str,
    pages: Sequence[str],
    *,
    package: Path,
    chromium: str,
    chromium_flags: Sequence[str] = (),
    node: str = "node",
    runs_on_a_miss: int = RUNS_ON_A_MISS,
) -> list[Measurement]:
    """Run Lighthouse on each page (relative to the ``site`` URL) with each profile.

    A page and profile whose first run misses a threshold is run
    ``runs_on_a_miss - 1`` more times, right away. ``package`` is the folder
    Lighthouse is installed in (:func:`site_audit.prerequisites.lighthouse`).
    """
    measurements = []
    with _started(site, package, chromium, chromium_flags, node) as lighthouse:
        for page in pages:
            for profile in PROFILES:
                measurement = Measurement(page, profile, [lighthouse.run(page, profile)])
                first = measurement.runs[0]
                if first.error or misses(first):
                    measurement.runs += [
                        lighthouse.run(page, profile) for _ in range(runs_on_a_miss - 1)
                    ]
                measurements.append(measurement)
    return measurements


# The table's columns: heading, and the measure shown (None: the count of runs).
_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("performance", "performance"),
    ("accessibility", "accessibility"),
    ("best practices", "best-practices"),
    ("SEO", "seo"),
    ("FCP", "first-contentful-paint"),
    ("LCP", "largest-contentful-paint"),
    ("CLS", "cumulative-layout-shift"),
    ("TBT", "total-blocking-time"),
    ("weight", "total-byte-weight"),
    ("runs", None),
)


def table(measurements: Sequence[Measurement]) -> str:
    """One row per page and profile, of the run judged (a median after a miss).

    Examples:
        >>> values = {"performance": 97.0, "accessibility": 100.0, "best-practices": 100.0,
        ...           "seo": 100.0, "first-contentful-paint": 1215.2,
        ...           "largest-contentful-paint": 1590.0, "cumulative-layout-shift": 0.0,
        ...           "total-blocking-time": 0.0, "speed-index": 1215.2,
        ...           "total-byte-weight": 160_000.0}
        >>> once = Measurement("index.html", "mobile", [Run("index.html", "mobile", values)])
        >>> print(table([once]))  # doctest: +NORMALIZE_WHITESPACE
        page profile performance accessibility best practices SEO FCP LCP CLS TBT weight runs
        ----...
        index.html mobile 97 100 100 100 1.22 s 1.59 s 0.000 0 ms 156 KiB 1
    """
    rows = [("page", "profile", *(heading for heading, _ in _COLUMNS))]
    for measurement in measurements:
        run = measurement.judged
        cells = [
            str(len(measurement.runs))
            if measure is None
            else "error"
            if run.error
            else show(measure, run.values[measure])
            for _, measure in _COLUMNS
        ]
        rows.append((measurement.page, measurement.profile, *cells))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(width) if column < 2 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
