"""Helpers for the Autograd Guide: the Jacobian as PyTorch's autograd sees it.

``jacobian`` builds the full Jacobian of a function at a point either row by row
from reverse-mode vector-Jacobian products or column by column from
forward-mode Jacobian-vector products; ``vjp`` and ``jvp`` give one such product
on its own; ``numerical_jacobian`` estimates the Jacobian by central differences
in float64, to check the other three against. All of them refuse bad arguments
with a message naming the argument, leave their input untouched and return
detached tensors.
"""

from autograd_guide.jacobian import jacobian, jvp, vjp
from autograd_guide.numerical import numerical_jacobian

__all__ = ["jacobian", "jvp", "numerical_jacobian", "vjp"]

__version__ = "0.1.0"
