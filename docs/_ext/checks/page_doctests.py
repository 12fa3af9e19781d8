"""Run every page under pytest: its code cells and its doctests, top to bottom, in one namespace.

The pytest side of the pages (``docs/conftest.py`` uses it): Sphinx executes the
cells to render them, this module checks what they print. Pages are MyST
notebooks; Sybil reads them and runs, in order:

* each ``{code-cell}``, as Jupyter would (IPython syntax, the last expression
  displayed). A cell whose text output the reader sees must pin it in an
  ``expected`` option, compared like a doctest (``ELLIPSIS``,
  ``NORMALIZE_WHITESPACE``), unless tagged ``output-varies`` (timings) or its
  output is removed; a cell tagged ``raises-exception`` must raise,
  and its ``expected`` is the error's last line (``RuntimeError: ...``);
* each ``>>>`` example in a ``python`` code block, as a doctest.

A mismatch fails with Expected/Got and the page's file and line.
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
import re
import sys
import traceback
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from IPython.core.formatters import DisplayFormatter
from IPython.core.inputtransformer2 import TransformerManager
from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer
from sybil.parsers.myst import PythonCodeBlockParser, SkipParser

from checks.pins import OPTIONFLAGS, cell_tags, output_difference

RAISES = "raises-exception"
# Tags under which a cell's text output needs no pin: not shown to readers, or
# different on every run by nature (timings). A page still asserts its claims.
UNPINNED = {"remove-output", "remove_output", "remove-cell", "remove_cell", "output-varies"}

_to_python = TransformerManager().transform_cell
# What a Jupyter kernel offers for a cell's last value: text from IPython's
# pretty printer ("<AddBackward0 at 0x...>" where repr() says "<AddBackward0
# object at 0x...>"), and richer forms (SVG, HTML, Markdown) when the object
# has them, which the page then shows instead of the text.
_formatter = DisplayFormatter()


def _shown_as_text(value: object) -> str | None:
    """Return the text a page shows for a cell's last value, or None if it shows a picture."""
    data, _ = _formatter.format(value)
    # matplotlib's figures become images through the kernel's inline backend,
    # which this plain formatter lacks.
    if set(data) != {"text/plain"} or type(value).__module__.startswith("matplotlib"):
        return None
    return str(data["text/plain"])


class _CellSource:
    """A loader that hands :mod:`linecache` a cell's text (see :func:`linecache.lazycache`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def get_source(self, name: str) -> str:
        return self.text


def _remember_source(text: str, filename: str) -> None:
    """Let tracebacks and warnings quote the cell's lines, as IPython does for its cells."""
    linecache.cache.pop(filename, None)
    linecache.lazycache(filename, {"__name__": filename, "__loader__": _CellSource(text)})


def run_cell(source: str, namespace: dict[str, Any], filename: str) -> str:
    """Execute cell source like a Jupyter kernel and return the text it shows."""
    python = _to_python(source)
    _remember_source(python, filename)
    module = ast.parse(python, filename)
    last = None
    final = module.body[-1] if module.body else None
    if isinstance(final, ast.Expr) and not source.rstrip().endswith(";"):
        module.body.pop()
        last = ast.Expression(final.value)
    shown = io.StringIO()
    # Warnings are the page's business (the build shows them); pytest's
    # "warnings are errors" must not turn a demonstrated warning into a failure.
    with contextlib.redirect_stdout(shown), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(module, filename, "exec"), namespace)  # noqa: S102 (running cells is the point)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                shown_as_text = _shown_as_text(value)
                if shown_as_text is not None:
                    print(shown_as_text)
    return shown.getvalue()


def _format_error(error: BaseException, filename: str) -> str:
    """Format a traceback from the cell's own frame down, without the harness above it."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb or error.__traceback__))


def evaluate_cell(example: Example) -> str | None:
    """Run one code cell; return a description of how it failed, or None if it passed."""
    options: dict[str, Any] = example.region.lexemes.get("options", {})
    tags = set(cell_tags(options))
    expected = options.get("expected")
    source = str(example.parsed)
    # Names the cell in tracebacks: "docs/part/page.md, cell at line 42".
    filename = f"{example.path}, cell at line {example.line}"
    try:
        got = run_cell(source, example.namespace, filename)
    except Exception as error:  # noqa: BLE001 (a page may demonstrate any error)
        if RAISES not in tags:
            return "the cell raised an error:\n" + _format_error(error, filename)
        if expected is None:
            return None
        got = traceback.format_exception_only(error)[-1]
        return output_difference(
            expected, got, "the cell raised another error than its `expected` pins"
        )
    if RAISES in tags:
        return "the cell is tagged raises-exception but raised nothing"
    if expected is not None:
        return output_difference(
            expected, got, "the cell's output differs from its `expected` option"
        )
    if got.strip() and not tags & UNPINNED:
        pin = "".join(f"  {line}\n" for line in got.splitlines())
        return f"the cell shows text that no `expected` option pins; add to the cell:\nexpected: |\n{pin}"
    return None


class CodeCellParser:
    """Find the ``{code-cell}`` cells of a MyST page, with their code and options as myst-nb reads them.

    Sybil's lexer finds where each cell's fenced block is (for the page's line
    numbers in reports); myst-nb's own reader of the page says which blocks
    are cells, what code each runs and what its options are, so that pytest
    runs exactly what the build executes (a YAML options block may contain a
    blank line, in a pinned 3-d tensor, which Sybil's own directive lexer
    would end the options at).
    """

    def __init__(self) -> None:
        """Match fenced blocks whose info string is ``{code-cell}``, with any language."""
        self.lexer = RawFencedCodeBlockLexer(
            info_pattern=re.compile(r"\{code-cell\}.*$\n", re.MULTILINE)
        )

    def __call__(self, document: Document) -> Iterable[Region]:
        """Yield one region per code cell, evaluated by :func:`evaluate_cell`."""
        from myst_nb.core.read import read_myst_markdown_notebook

        notebook = read_myst_markdown_notebook(document.text, add_source_map=True)
        # myst-nb's line of each code cell: the line of its opening fence.
        cells = {
            line: cell
            for cell, line in zip(notebook.cells, notebook.metadata["source_map"], strict=True)
            if cell.cell_type == "code"
        }
        for region in self.lexer(document):
            line = document.text.count("\n", 0, region.start) + 1
            cell = cells.pop(line, None)
            if cell is None:
                continue  # a block myst-nb does not run (inside another block, say)
            region.lexemes["options"] = dict(cell.metadata)
            region.parsed = cell.source
            region.evaluator = evaluate_cell
            yield region
        if cells:
            lines = ", ".join(str(line) for line in sorted(cells))
            msg = (
                f"{document.path}: Sybil found no fenced block for the code cells at lines {lines}"
            )
            raise ValueError(msg)


def remember_print_options(namespace: dict[str, Any]) -> None:
    """Note NumPy's print options before a page runs (each page runs in a kernel of its own)."""
    namespace["__print_options__"] = np.get_printoptions()


def restore_print_options(namespace: dict[str, Any]) -> None:
    """Undo a page's ``np.set_printoptions``/``torch.set_printoptions`` for the pages after it."""
    np.set_printoptions(**namespace.pop("__print_options__", {}))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_printoptions(profile="default")


def page_sybil(root: Path) -> Sybil:
    """Return the Sybil that collects every MyST page below ``root``."""
    return Sybil(
        path=str(root),
        parsers=[
            CodeCellParser(),
            PythonCodeBlockParser(doctest_optionflags=OPTIONFLAGS),
            SkipParser(),
        ],
        patterns=["*.md"],
        excludes=["_build/*", "_templates/*"],
        setup=remember_print_options,
        teardown=restore_print_options,
    )
