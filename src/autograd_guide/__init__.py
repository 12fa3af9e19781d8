"""Helpers for the Autograd Guide: the Jacobian and the graph as PyTorch's autograd sees them.

``jacobian`` builds the full Jacobian of a function at a point either row by row
from reverse-mode vector-Jacobian products or column by column from
forward-mode Jacobian-vector products; ``vjp`` and ``jvp`` give one such product
on its own; ``numerical_jacobian`` estimates the Jacobian by central differences
in float64, to check the other three against. All of them refuse bad arguments
with a message naming the argument, leave their input untouched and return
detached tensors.

``describe`` records a tensor's autograd state (shape, dtype, ``requires_grad``,
``is_leaf``, ``grad_fn``, ``grad``) as a ``TensorState`` that prints as a small
table; ``draw_graph`` follows ``grad_fn`` and ``next_functions`` from a tensor
down to its leaves and returns a ``GraphDrawing``: Graphviz source, an SVG
picture and alt text; with ``saved=True`` it lists what each backward function
saved, and with ``grads=True`` the gradients that ``record_gradients`` caught
flowing along each arrow during ``backward``. Both leave the tensor and its
graph untouched.

``tiny`` is a different kind of helper: a small autograd engine on NumPy, built
from scratch, that records a graph, runs it backward and pushes tangents
forward, and is tested against PyTorch. It is a module of its own, imported as
``from autograd_guide import tiny``; its ``Tensor`` and ``jvp`` are not
PyTorch's.

``__version__`` is the version of the package as installed, read from its
metadata, which takes it from ``pyproject.toml``, the one place it is written;
it is the version pip reports, a string of three numbers:

>>> import re
>>> import autograd_guide
>>> bool(re.fullmatch("[0-9]+[.][0-9]+[.][0-9]+", autograd_guide.__version__))
True
"""

from importlib.metadata import version as _version

# tiny as a module, not its names: tiny.Tensor and tiny.jvp are not torch's.
# It imports NumPy only, which torch has already imported.
from autograd_guide import tiny
from autograd_guide.describe import TensorState, describe
from autograd_guide.gradients import GradientRecord, record_gradients
from autograd_guide.graph import GraphDrawing, draw_graph
from autograd_guide.jacobian import jacobian, jvp, vjp
from autograd_guide.numerical import numerical_jacobian

__all__ = [
    "GradientRecord",
    "GraphDrawing",
    "TensorState",
    "describe",
    "draw_graph",
    "jacobian",
    "jvp",
    "numerical_jacobian",
    "record_gradients",
    "tiny",
    "vjp",
]

# From the metadata of the installed distribution, so that the number is
# written once: a second copy here would have to be kept equal by hand.
__version__: str = _version("autograd-guide")
