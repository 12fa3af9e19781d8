"""The nodes of an autograd graph in the order ``backward`` reaches them, for drawing and recording.

``draw_graph`` numbers its boxes in this order and ``record_gradients`` hooks
these nodes, so the two share one walk: what a record holds is what a drawing
shows. The graph of a :mod:`~autograd_guide.tiny` tensor is walked the same
way, so that a drawing of it is numbered as torch's drawing of the same
computation.
"""

from collections import deque
from collections.abc import Callable, Iterable
from typing import TypeAlias, TypeVar

from torch.autograd.graph import Node

from autograd_guide import tiny

_Step = TypeVar("_Step")

# A stop of backward through a tiny graph: a Node, or a leaf that requires grad,
# where torch would have the leaf's AccumulateGrad node.
TinyStep: TypeAlias = tiny.Node | tiny.Tensor


def breadth_first(start: Node) -> list[Node]:
    """``start`` and every node reachable through ``next_functions``, breadth first, each once.

    A node comes at the place it is first reached, level by level, each node's
    ``next_functions`` in torch's order; ``None`` entries (inputs that need no
    gradient) are skipped. The list holds the nodes, so they stay alive and
    torch hands out the same Python object for each when it is reached again:
    a node reached along two paths is recognised as one.
    """
    return _breadth_first(start, lambda node: (next_node for next_node, _ in node.next_functions))


def tiny_breadth_first(start: tiny.Node) -> list[TinyStep]:
    """``start`` and every step reachable through :func:`tiny_next`, breadth first, each once.

    The order of :func:`breadth_first`, with a Node's inputs in the place of
    ``next_functions``.
    """
    return _breadth_first(start, tiny_next)


def tiny_next(step: TinyStep) -> tuple[TinyStep | None, ...]:
    """Where backward sends the gradient from ``step``: one entry per input, as ``next_functions``.

    An input's Node if it was computed, the input itself if it is a leaf that
    requires grad, ``None`` if it needs no gradient (a constant), which is
    what tiny's ``backward`` skips and torch lists as ``None``. A leaf sends
    the gradient nowhere: it keeps it in ``.grad``.
    """
    if isinstance(step, tiny.Tensor):
        return ()
    return tuple(
        None if not tensor.requires_grad else tensor if tensor.grad_fn is None else tensor.grad_fn
        for tensor in step.inputs
    )


def _breadth_first(
    start: _Step, following: Callable[[_Step], Iterable[_Step | None]]
) -> list[_Step]:
    # Keyed by the objects themselves: both torch's nodes and tiny's compare by identity.
    order = [start]
    seen = {start}
    queue = deque(order)
    while queue:
        for next_step in following(queue.popleft()):
            if next_step is not None and next_step not in seen:
                seen.add(next_step)
                order.append(next_step)
                queue.append(next_step)
    return order
