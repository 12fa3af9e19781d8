"""Hold every executed cell to what its page promises, and fail the build where it does not.

Two promises, both checked on the outputs the reader will actually see:

* **A cell does not raise**, unless it is tagged ``raises-exception``.
  myst-nb either stops the whole build at the first failing page with a long
  Sphinx traceback (``nb_execution_raise_on_error``) or logs a warning naming
  only the file. Here every cell runs (``nb_execution_allow_errors``) and each
  error becomes one warning at the cell's line, with its source and the error.
* **A cell shows what its ``expected`` option pins** (compared like a doctest,
  with ``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``). pytest checks the same pins
  by running the cells itself (``page_doctests.py``); this check closes the gap
  between that run and the kernel's, so the pin is what the page displays.

With ``-W --keep-going`` the build fails listing every broken cell at once.
A page that had a broken cell is read again on the next build even if it did
not change, so an incremental build cannot hide the failure.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from checks.pins import cell_tags, output_difference
from execution.cells import code_cell_nodes, fence_line
from execution.reread import PagesToReread

logger = logging.getLogger(__name__)

ALLOWED_TAG = "raises-exception"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Output classes myst-nb gives what a cell shows: printed text, the last
# value, an error. stderr (warnings) is shown but not pinned.
_PINNED_OUTPUTS = ("stream", "text_plain", "traceback")
# The pages that had a broken cell, with how many: read again on the next build.
_BROKEN: PagesToReread[int] = PagesToReread("broken_cells")


def _cell_source(cell: nodes.Element) -> str:
    for child in cell.children:
        if isinstance(child, nodes.Element) and child.get("nb_element") == "cell_code_source":
            return child.astext()
    return "(source hidden by remove-input)"


def _outputs(cell: nodes.Element, kind: str) -> list[str]:
    return [
        _ANSI.sub("", block.astext())
        for block in cell.findall(nodes.literal_block)
        if "output" in block["classes"] and kind in block["classes"]
    ]


def _shown_text(cell: nodes.Element) -> str:
    """The text a reader sees under the cell, in order, as pytest's page doctests collect it."""
    shown = []
    for block in cell.findall(nodes.literal_block):
        classes = block["classes"]
        if "output" in classes and any(kind in classes for kind in _PINNED_OUTPUTS):
            text = _ANSI.sub("", block.astext())
            if "traceback" in classes:
                # The kernel's Minimal tracebacks show just "Type: message", the
                # message possibly over several lines: pinned whole, as pytest does.
                text = text.strip()
            shown.append(text if text.endswith("\n") else text + "\n")
    return "".join(shown)


def _indented(text: str) -> str:
    return "".join(f"\n    {line}" for line in text.splitlines())


def _check_cell(app: Sphinx, cell: nodes.Element) -> bool:
    """Warn about a broken cell; return whether it was broken."""
    where = (app.env.docname, fence_line(cell))
    tags = cell_tags(cell.get("cell_metadata", {}))
    errors = _outputs(cell, "traceback")
    if errors and ALLOWED_TAG not in tags:
        last = [line for line in errors[-1].splitlines() if line.strip()]
        logger.warning(
            "code cell raised %s\n  cell source:%s\n  error:%s\n"
            "  (tag the cell `raises-exception` only if the error is the point)",
            last[-1].strip() if last else "an error",
            _indented(_cell_source(cell)),
            _indented(errors[-1]),
            location=where,
            type="autograd_guide",
            subtype="cell_error",
        )
        return True
    metadata: dict[str, Any] = cell.get("cell_metadata", {})
    expected = metadata.get("expected")
    if expected is None:
        return False
    difference = output_difference(expected, _shown_text(cell), "")
    if difference is None:
        return False
    logger.warning(
        "code cell shows other text than its `expected` option pins\n  cell source:%s%s",
        _indented(_cell_source(cell)),
        difference,
        location=where,
        type="autograd_guide",
        subtype="cell_output",
    )
    return True


def _check_cells(app: Sphinx, doctree: nodes.document) -> None:
    if app.config.nb_execution_mode == "off":
        # Nothing ran (the translation catalogs are extracted so): no output to compare.
        return
    # Every cell is checked, so that each broken one is reported.
    broken = sum(_check_cell(app, cell) for cell in code_cell_nodes(doctree))
    if broken:
        _BROKEN.notes(app.env)[app.env.docname] = broken


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the cell checks with Sphinx."""
    # Errors become outputs; this extension, not myst-nb, decides what fails.
    app.config.nb_execution_allow_errors = True
    app.config.nb_execution_raise_on_error = False
    _BROKEN.connect(app)
    app.connect("doctree-read", _check_cells)
    # 3: the broken pages are kept by execution/reread.py.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 3}
