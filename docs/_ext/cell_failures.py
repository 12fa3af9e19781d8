"""Fail the build on a notebook cell that raises, naming the page, the cell and the error.

myst-nb either stops the whole build at the first failing page with a long
Sphinx traceback (``nb_execution_raise_on_error``) or logs a warning that
names only the file. Here every cell runs (``nb_execution_allow_errors``),
and each error output of a cell not tagged ``raises-exception`` becomes one
warning located at the cell's line, with its source and the error, so
``-W --keep-going`` fails the build listing every broken cell at once.

A page that had a failing cell is read again on the next build even if it did
not change, so an incremental build cannot hide the failure.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)

ALLOWED_TAG = "raises-exception"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\{code-cell\}")


def _cell_source(cell: nodes.Element) -> str:
    for child in cell.children:
        if isinstance(child, nodes.Element) and child.get("nb_element") == "cell_code_source":
            return child.astext()
    return "(source hidden by remove-input)"


def _fence_line(cell: nodes.Element) -> int | None:
    """Return the line of the cell's opening fence in the page's source.

    myst-nb locates a cell a couple of lines below its fence; pytest's page
    doctests name the fence line, so both reports point at the same line.
    """
    line = cell.line
    if line is None or not cell.source:
        return line
    try:
        lines = Path(cell.source).read_text(encoding="utf-8").splitlines()
    except OSError:
        return line
    for number in range(min(line, len(lines)), 0, -1):
        if _FENCE.match(lines[number - 1]):
            return number
    return line


def _error_summary(traceback: str) -> str:
    """Return the traceback's last non-blank line: ``RuntimeError: boom``."""
    lines = [line for line in _ANSI.sub("", traceback).splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"


def _failing_pages(env: BuildEnvironment) -> set[str]:
    """Pages whose last read had a failing cell, kept in the pickled environment."""
    if not hasattr(env, "autograd_guide_failing_pages"):
        env.autograd_guide_failing_pages = set()  # type: ignore[attr-defined]
    return env.autograd_guide_failing_pages  # type: ignore[attr-defined,no-any-return]


def _report_failing_cells(app: Sphinx, doctree: nodes.document) -> None:
    failing = _failing_pages(app.env)
    failing.discard(app.env.docname)
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        if ALLOWED_TAG in cell.get("cell_metadata", {}).get("tags", []):
            continue
        for output in cell.findall(nodes.literal_block):
            if "traceback" not in output["classes"]:
                continue
            failing.add(app.env.docname)
            source = _cell_source(cell)
            traceback = _ANSI.sub("", output.astext())
            indent = "\n    "
            logger.warning(
                "code cell raised %s\n  cell source:%s%s\n  traceback:%s%s\n"
                "  (tag the cell `raises-exception` only if the error is the point)",
                _error_summary(traceback),
                indent,
                indent.join(source.splitlines()),
                indent,
                indent.join(traceback.splitlines()),
                location=(app.env.docname, _fence_line(cell)),
                type="autograd_guide",
                subtype="cell_error",
            )


def _reread_failing_pages(
    app: Sphinx,
    env: BuildEnvironment,
    added: set[str],
    changed: set[str],
    removed: set[str],
) -> list[str]:
    return sorted(_failing_pages(env) - added - changed - removed)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: Any) -> None:
    _failing_pages(env).update(_failing_pages(other))


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _failing_pages(env).discard(docname)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the failing-cell report with Sphinx."""
    # Errors become outputs; this extension, not myst-nb, decides what fails.
    app.config.nb_execution_allow_errors = True
    app.config.nb_execution_raise_on_error = False
    app.connect("env-get-outdated", _reread_failing_pages)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-read", _report_failing_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
