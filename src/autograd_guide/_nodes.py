"""The nodes of an autograd graph in the order ``backward`` reaches them, for drawing and recording.

``draw_graph`` numbers its boxes in this order and ``record_gradients`` hooks
these nodes, so the two share one walk: what a record holds is what a drawing
shows.
"""

from collections import deque

from torch.autograd.graph import Node


def breadth_first(start: Node) -> list[Node]:
    """``start`` and every node reachable through ``next_functions``, breadth first, each once.

    A node comes at the place it is first reached, level by level, each node's
    ``next_functions`` in torch's order; ``None`` entries (inputs that need no
    gradient) are skipped. The list holds the nodes, so they stay alive and
    torch hands out the same Python object for each when it is reached again:
    a node reached along two paths is recognised as one.
    """
    order = [start]
    seen = {start}
    queue = deque(order)
    while queue:
        for next_node, _ in queue.popleft().next_functions:
            if next_node is not None and next_node not in seen:
                seen.add(next_node)
                order.append(next_node)
                queue.append(next_node)
    return order
