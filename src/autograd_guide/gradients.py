r"""Record the gradients that flow through an autograd graph while ``backward`` runs.

After ``backward`` torch keeps only the gradients of the leaves, in ``.grad``;
what each backward function received and passed on is gone. ``record_gradients``
registers a hook on every node of a tensor's graph with
:meth:`torch.autograd.graph.Node.register_hook`, which torch calls as
``hook(grad_inputs, grad_outputs)`` each time the node has run: ``grad_outputs``
holds the gradients the node received (one per output of the operation) and
``grad_inputs`` those it passes on (one per input, in the order of
``next_functions``, ``None`` where an input needs no gradient). The hooks copy
them into a :class:`GradientRecord`, which ``draw_graph(..., grads=True)`` finds
again for the same graph.
"""

import itertools
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Self

import torch
from torch.autograd.graph import Node
from torch.utils.hooks import RemovableHandle

from autograd_guide import _nodes, _validate

__all__ = ["GradientRecord", "record_gradients"]

Gradients = tuple[torch.Tensor | None, ...]

# Every record that may still be drawn, oldest first. A record leaves when the
# tensor it was made for is garbage collected (weakref.finalize in
# GradientRecord.__init__), so a session that makes many graphs does not keep
# them all. torch's nodes cannot be weakly referenced ("cannot create weak
# reference to 'SinBackward0' object"), so the records cannot be keyed by node
# weakly; a record holds its nodes and lives as long as its tensor, which holds
# them anyway (through grad_fn) while no node holds the tensor. That is why a
# leaf cannot be recorded: its one node, AccumulateGrad, holds the leaf
# (.variable), so the record would keep the leaf, and itself, alive for good.
_LIVE: dict[int, "GradientRecord"] = {}
_SERIALS = itertools.count()


class GradientRecord:
    """The gradients that reached each node of one graph during ``backward``.

    Made by :func:`record_gradients`, which has already registered the hooks.
    Use it as a context manager: leaving the ``with`` block removes the hooks,
    and the record stays readable (and drawable) as long as the tensor it was
    made for is alive. Over several backward passes the gradients are summed,
    as ``.grad`` sums them.
    """

    def __init__(self, tensor: torch.Tensor) -> None:
        """Hook every node of ``tensor``'s graph: the same as ``record_gradients(tensor)``.

        Args:
            tensor: A tensor computed from one that requires grad, with a ``grad_fn``.

        Raises:
            TypeError: If ``tensor`` is not a tensor.
            ValueError: If ``tensor`` does not require grad, so has no graph,
                or is a leaf, so has no graph of its own.
        """
        _validate.require_graph(tensor, "tensor")
        if tensor.grad_fn is None:
            raise ValueError(
                "tensor is a leaf, so it has no graph of its own to record: "
                "record a tensor computed from it, such as the loss"
            )
        # Holding the nodes keeps their Python objects alive, so that the same
        # node found again by walking next_functions is this very object
        # (torch hands out one Python object per node while one exists). The
        # first is the tensor's own node, grad_fn.
        self._nodes = tuple(_nodes.breadth_first(tensor.grad_fn))
        self._index = {node: position for position, node in enumerate(self._nodes)}
        self._calls = [0] * len(self._nodes)
        # The pass through the tensor's own node in which each node last ran (see _add).
        self._pass_of = [0] * len(self._nodes)
        self._grad_inputs: list[Gradients] = [() for _ in self._nodes]
        self._grad_outputs: list[Gradients] = [() for _ in self._nodes]
        # The hooks live inside the nodes; a hook holding the record (or its
        # node) strongly would make a cycle through C++ that the garbage
        # collector cannot see, so each hook holds a weak reference and a position.
        ref = weakref.ref(self)
        self._handles: list[RemovableHandle] = [
            node.register_hook(_hook(ref, position)) for position, node in enumerate(self._nodes)
        ]
        # Findable by draw_graph until the tensor is garbage collected.
        serial = next(_SERIALS)
        _LIVE[serial] = self
        weakref.finalize(tensor, _LIVE.pop, serial, None)

    def __enter__(self) -> Self:
        """Return the record itself; the hooks are registered already."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Remove the hooks; what they recorded stays."""
        self.remove()

    def remove(self) -> None:
        """Remove the hooks from the graph; calling it again does nothing."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @property
    def active(self) -> bool:
        """Whether the hooks are still registered (inside the ``with`` block)."""
        return bool(self._handles)

    @property
    def passes(self) -> int:
        """How many backward passes were recorded, that is, how many times the tensor's own node ran."""
        return self._calls[0]

    @property
    def node_names(self) -> tuple[str, ...]:
        """The class names of the hooked nodes, breadth first from the tensor's own node."""
        return tuple(type(node).__name__ for node in self._nodes)

    # The nodes are typed object: the API reference cannot link
    # torch.autograd.graph.Node (missing from docs/_inventories/torch.inv), and
    # _position checks the type at run time anyway.
    def calls(self, node: object) -> int:
        """How many recorded passes ran through ``node`` (see :func:`record_gradients`).

        Args:
            node: A node of the recorded graph (a ``torch.autograd.graph.Node``).

        Raises:
            TypeError: If ``node`` is not a node.
            ValueError: If ``node`` is not a node of the recorded graph.
        """
        return self._calls[self._position(node)]

    def grad_outputs(self, node: object) -> Gradients | None:
        """The gradients ``node`` received, one per output, summed over the passes.

        These are the hook's ``grad_outputs``: the gradient of the loss with
        respect to each output of the operation, the sum of everything sent
        to it along its incoming arrows. ``None`` if the node never ran.

        Args:
            node: A node of the recorded graph, such as ``y.grad_fn``.

        Raises:
            TypeError: If ``node`` is not a node.
            ValueError: If ``node`` is not a node of the recorded graph.
        """
        return self._stored(self._grad_outputs, node)

    def grad_inputs(self, node: object) -> Gradients | None:
        """The gradients ``node`` passed on, one per entry of ``next_functions``, summed.

        These are the hook's ``grad_inputs``: entry ``i`` travelled along the
        arrow to ``node.next_functions[i]`` (``None`` where that input needs no
        gradient). ``None`` if the node never ran.

        Args:
            node: A node of the recorded graph, such as ``y.grad_fn``.

        Raises:
            TypeError: If ``node`` is not a node.
            ValueError: If ``node`` is not a node of the recorded graph.
        """
        return self._stored(self._grad_inputs, node)

    def _stored(self, stored: list[Gradients], node: object) -> Gradients | None:
        # What was stored for ``node`` over the passes, or None if it never ran.
        position = self._position(node)
        return stored[position] if self._calls[position] else None

    def __contains__(self, node: object) -> bool:
        """Whether ``node`` is a node of the recorded graph."""
        return isinstance(node, Node) and node in self._index

    def __repr__(self) -> str:
        nodes = "1 node" if len(self._nodes) == 1 else f"{len(self._nodes)} nodes"
        passes = "1 backward pass" if self.passes == 1 else f"{self.passes} backward passes"
        return f"<GradientRecord: {nodes}, {passes}>"

    def _position(self, node: object) -> int:
        if not isinstance(node, Node):
            raise TypeError(f"node must be a torch.autograd.graph.Node, got {type(node).__name__}")
        try:
            return self._index[node]
        except KeyError:
            raise ValueError(f"node {type(node).__name__} is not in the recorded graph") from None

    def _add(self, position: int, grad_inputs: Gradients, grad_outputs: Gradients) -> None:
        # A node runs at most once in a backward pass, and in a pass through the
        # tensor's own node (position 0) after it. So a node that already ran
        # since that node last ran is in a pass of another graph that shares it
        # (a leaf's AccumulateGrad, an intermediate result used twice): skipped.
        if position:
            if self._pass_of[position] == self._calls[0]:
                return
            self._pass_of[position] = self._calls[0]
        first = self._calls[position] == 0
        self._calls[position] += 1
        self._grad_inputs[position] = _summed(self._grad_inputs[position], grad_inputs, first)
        self._grad_outputs[position] = _summed(self._grad_outputs[position], grad_outputs, first)


def record_gradients(tensor: torch.Tensor) -> GradientRecord:
    r"""Record the gradients that each node of ``tensor``'s graph receives and passes on.

    Registers a hook with :meth:`torch.autograd.graph.Node.register_hook` on
    every node that ``backward`` from ``tensor`` would run: its ``grad_fn``
    and everything reachable through ``next_functions``, down to the
    ``AccumulateGrad`` nodes of the leaves. Each time a node runs, its hook
    copies the gradients it received and passed on (detached) into the
    returned record; several backward passes are summed, as ``.grad`` sums
    them, and :attr:`GradientRecord.passes` counts them: the passes that ran
    through ``tensor``'s own node, ``tensor.grad_fn``. The hooks return
    nothing, so the gradients themselves are unchanged.

    Use the record as a context manager: leaving the block removes the hooks.
    Without a ``with`` block they stay until :meth:`GradientRecord.remove`.
    While they are registered, the hooked nodes also run in backward passes
    of other graphs that share them: the ``AccumulateGrad`` node of a leaf is
    shared by every graph computed from the leaf, and an intermediate result
    used by two graphs shares its nodes with both. Such a pass is left out:
    a node is recorded only once per pass through ``tensor.grad_fn``, after
    it. A pass that runs through ``tensor.grad_fn`` is recorded whole, even
    where another graph's gradient joins it, as a node receives the sum
    (``loss = tensor * 3 + other``, or a sibling output of the same
    operation). A pass that stopped early (``torch.autograd.grad`` or
    ``inputs=`` run only the nodes on the way to the inputs) leaves the
    nodes it skipped open to one pass of another graph until the next pass
    through ``tensor.grad_fn``: leave the block before such passes.

    :func:`draw_graph` with ``grads=True`` finds the record on its own, as
    long as the tensor passed here is alive, for a drawing of ``tensor`` or of
    a tensor whose ``grad_fn`` the record hooked (such as an intermediate
    result of ``tensor``'s graph): the newest record made for the drawn
    tensor, or else the newest that hooked its ``grad_fn``. A graph that
    grows after the call (a loss computed from ``tensor``) is not drawn with
    it: record that graph's own output.

    Args:
        tensor: A tensor computed from one that requires grad, with a ``grad_fn``.

    Returns:
        A :class:`GradientRecord`, holding the hooks until it is removed.

    Raises:
        TypeError: If ``tensor`` is not a tensor.
        ValueError: If ``tensor`` does not require grad, so has no graph, or is
            a leaf: its only node, ``AccumulateGrad``, belongs to every graph
            that uses the leaf, and holds the leaf, which a record of it would
            keep alive for good.

    Example:
        >>> import torch
        >>> from autograd_guide import record_gradients
        >>> x = torch.tensor(0.5, requires_grad=True)
        >>> y = 2 * x
        >>> out = y.exp() + y.sin()
        >>> with record_gradients(out) as record:
        ...     out.backward()
        >>> record
        <GradientRecord: 5 nodes, 1 backward pass>
        >>> record.grad_outputs(y.grad_fn)  # both branches, summed
        (tensor(3.2586),)
        >>> record.grad_inputs(y.grad_fn)  # times 2; None for the constant 2
        (tensor(6.5172), None)
        >>> x.grad
        tensor(6.5172)
    """
    return GradientRecord(tensor)


def _find_record(node: Node) -> GradientRecord | None:
    """The newest live record made for the graph of the tensor whose ``grad_fn`` is ``node``.

    That is a record whose tensor's own node is ``node``, or else one that
    hooked ``node`` (the graph of an intermediate result of its tensor);
    ``None`` if there is none. A record is never found through a node it
    merely shares with the drawn graph further down: the drawn tensor's own
    node must be in it. Private: ``draw_graph(..., grads=True)`` looks records
    up, and a reader who wants one keeps the handle (``with record_gradients(out)
    as record``); exported, it would make the registry part of the interface.
    """
    records = list(reversed(_LIVE.values()))
    for record in records:
        if record._nodes[0] is node:
            return record
    return next((record for record in records if node in record), None)


def _hook(
    ref: "weakref.ReferenceType[GradientRecord]", position: int
) -> Callable[[Gradients, Gradients], None]:
    def hook(grad_inputs: Gradients, grad_outputs: Gradients) -> None:
        record = ref()
        if record is not None:
            record._add(position, grad_inputs, grad_outputs)

    return hook


def _summed(total: Gradients, new: Gradients, first: bool) -> Gradients:
    # Copies: the engine may reuse or modify its buffers after the hook returns.
    copies = tuple(None if g is None else g.detach().clone() for g in new)
    if first:
        return copies
    return tuple(
        b if a is None else a if b is None else a + b for a, b in zip(total, copies, strict=True)
    )
