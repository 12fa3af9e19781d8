"""Validate the pages with the Nu Html Checker (the W3C's validator), all in one run.

The checker is a Java program; starting the JVM costs seconds, so every page
goes to one process, started before the browser visits and read after.
Only errors count: its warnings are advice (``role="main"`` on ``<main>`` is
redundant, ...) about markup that the theme writes.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit


def start(java: str, jar: Path, html: Path, pages: list[Path]) -> subprocess.Popen[str]:
    """Start checking ``pages`` (relative to ``html``); read the result with `errors`."""
    return subprocess.Popen(
        [java, "-jar", str(jar), "--format", "json", "--exit-zero-always"]
        + [str(html / page) for page in pages],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,  # the JSON report goes to stderr
        text=True,
    )


def parse(report: str, html: Path) -> dict[str, list[str]]:
    """Group the errors of the checker's JSON report by page (relative to ``html``)."""
    errors: dict[str, list[str]] = defaultdict(list)
    root = html.resolve()
    for message in json.loads(report)["messages"]:
        if message["type"] not in {"error", "non-document-error"}:
            continue
        path = Path(unquote(urlsplit(message.get("url", "")).path)).resolve()
        page = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        line = message.get("lastLine", "?")
        errors[page].append(f"line {line}: {message['message']}")
    return dict(errors)


def errors(process: subprocess.Popen[str], html: Path) -> dict[str, list[str]]:
    """Wait for the checker started by `start` and return its errors by page."""
    _, report = process.communicate()
    if process.returncode != 0:
        msg = f"the Nu Html Checker failed (exit {process.returncode}): {report[-2000:]}"
        raise RuntimeError(msg)
    return parse(report, html)
