"""The code cells of a MyST page, and the modules they import: one reading for every module.

myst-nb runs a fenced block as a cell when its info string starts with
``{code-cell}``, the fence is made of backticks or tildes (not the colons of a
``:::`` directive), and the block is not nested in another (a list, a quote).
:func:`code_cells` finds those blocks with a scan of the text, because it runs
for every page on every build and myst-nb's own reader takes a tenth of a
second a page; it reads what that reader reads for a top-level fence, which
is all the pages use. ``page_doctests.py``, which needs each cell's options
as well, uses myst-nb's reader itself.

:func:`imported_modules` says which modules code cells import: the install
cell of each downloadable notebook (``output/notebooks.py``) and the cache key
of each page (``execution_cache.py``) both ask it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

# An opening fence: up to three spaces, three or more backticks or tildes, then
# the directive. The closing fence is the same character, at least as many.
_OPENING = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\{code-cell\}")
_transformer = TransformerManager()  # cells may use IPython syntax (%timeit)
# Calls that import the module their first argument names.
_IMPORT_CALLS = {"import_module", "__import__"}


@dataclass(frozen=True)
class CodeCell:
    """A code cell: the line of its opening fence (counted from 1) and its code."""

    line: int
    code: str


def code_cells(text: str) -> list[CodeCell]:
    """Return the code cells of a MyST page, in order."""
    lines = text.splitlines()
    cells = []
    number = 0
    while number < len(lines):
        opening = _OPENING.match(lines[number])
        number += 1
        if opening is None:
            continue
        fence = opening["fence"]
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        start = number
        while number < len(lines) and not closing.match(lines[number]):
            number += 1
        cells.append(CodeCell(start, "\n".join(_without_options(lines[start:number]))))
        number += 1  # past the closing fence
    return cells


def _without_options(body: list[str]) -> list[str]:
    """The code of a cell's body: without its ``:key: value`` lines or its ``---`` YAML block."""
    if body and body[0].strip() == "---":
        for end, line in enumerate(body[1:], start=1):
            if line.strip() == "---":
                return body[end + 1 :]
        return []
    start = 0
    while start < len(body) and body[start].startswith(":"):
        start += 1
    return body[start:]


def fence_lines(text: str, *, before: int) -> list[int]:
    """Return the lines of the code cells' opening fences, up to line ``before`` (counted from 1)."""
    return [cell.line for cell in code_cells(text) if cell.line <= before]


def _modules_in(source: str) -> list[str]:
    try:
        tree = ast.parse(_transformer.transform_cell(source))
    except SyntaxError:
        return []  # a cell that does not compile runs nothing, so imports nothing
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            first = node.args[0]
            if name in _IMPORT_CALLS and isinstance(first, ast.Constant):
                found.append(str(first.value))  # importlib.import_module("x")
            elif name == "run_cell_magic" and len(node.args) == 3:
                body = node.args[2]  # %%timeit and %%time run their body as Python
                if isinstance(body, ast.Constant) and isinstance(body.value, str):
                    found += _modules_in(body.value)
    return found


def imported_modules(sources: list[str]) -> list[str]:
    """Top-level names of the modules that code cells import, in order of first import."""
    found: dict[str, None] = {}
    for source in sources:
        found.update(dict.fromkeys(name.split(".")[0] for name in _modules_in(source)))
    return list(found)
