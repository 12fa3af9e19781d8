"""The code cells of a MyST page, in its text and in its doctree: one reading for every module.

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

Once myst-nb has parsed a page, each cell is a node of the page's doctree:
:func:`is_code_cell` tells one, :func:`drawing_cell` finds the cell an image
came from, :func:`fence_line` the line to report it at, and :func:`cell_alt`
the alt text its option gives the images. The checks (``checks/``) and the
editions (``editions/``) ask these, and not each other.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
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


# --- In the doctree ----------------------------------------------------------


def is_code_cell(node: nodes.Node) -> bool:
    """Whether ``node`` is a code cell of a page's doctree, as myst-nb marks one."""
    return isinstance(node, nodes.Element) and node.get("nb_element") == "cell_code"


def code_cell_nodes(doctree: nodes.Node) -> list[nodes.Element]:
    """The code cells of a page's doctree, in order."""
    return [node for node in doctree.findall(nodes.Element) if is_code_cell(node)]


def drawing_cell(image: nodes.Element) -> nodes.Element | None:
    """The code cell that drew the image, if a cell did."""
    node = image.parent
    while node is not None:
        if is_code_cell(node):
            return node
        node = node.parent
    return None


def fence_line(cell: nodes.Element) -> int | None:
    """Return the line of the cell's opening fence in the page's source.

    myst-nb locates a cell a couple of lines below its fence; pytest's page
    doctests name the fence line, so both reports point at the same line.
    """
    line = cell.line
    if line is None or not cell.source:
        return line
    return max((fence for fence in _fences(cell.source) if fence <= line), default=line)


def _fences(source: str) -> tuple[int, ...]:
    """The lines of the opening fences of the page ``source``, read once while it is unchanged."""
    try:
        stat = os.stat(source)
    except OSError:
        return ()
    return _fences_in(source, stat.st_mtime_ns, stat.st_size)


# Keyed on the page's time and size too, so that a page edited since is read
# again; its cells and images are located one after another, so a few pages suffice.
@functools.lru_cache(maxsize=8)
def _fences_in(source: str, mtime_ns: int, size: int) -> tuple[int, ...]:
    try:
        text = Path(source).read_text(encoding="utf-8")
    except OSError:
        return ()
    return tuple(cell.line for cell in code_cells(text))


def cell_alt(cell: nodes.Element, metadata_key: str = "mystnb") -> str | None:
    """The alt text a code cell gives its images (``mystnb: image: alt:``), if any.

    ``metadata_key`` is myst-nb's ``nb_cell_metadata_key``. The alt text is the
    string myst-nb puts on the images, so it is also the message's id in the
    page's catalog (``editions/cell_image_alt.py``).
    """
    metadata = cell.get("cell_metadata")
    options = metadata.get(metadata_key) if isinstance(metadata, dict) else None
    image = options.get("image") if isinstance(options, dict) else None
    alt = image.get("alt") if isinstance(image, dict) else None
    return alt if isinstance(alt, str) and alt.strip() else None
