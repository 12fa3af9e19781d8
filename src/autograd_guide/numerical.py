"""The Jacobian without autograd: central differences, the check that autograd is right.

Column j of the Jacobian is estimated as ``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)``,
whose error shrinks like ``eps**2`` (a one-sided difference only like ``eps``).
"""

from collections.abc import Callable

import torch

from autograd_guide import _validate

__all__ = ["numerical_jacobian"]


def numerical_jacobian(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, eps: float = 1e-6
) -> torch.Tensor:
    """Estimate the Jacobian of ``f`` at ``x`` by central differences in float64.

    ``f`` is called twice per element of ``x``, always on float64 tensors and
    with gradient recording off. ``x`` itself is left untouched.

    Args:
        f: A function from a tensor shaped like ``x`` to a floating-point tensor;
            it must accept float64 input.
        x: The floating-point point at which to differentiate; a copy is
            converted to float64.
        eps: The step taken either side of ``x``, a positive finite number.

    Returns:
        The estimated Jacobian in float64, shaped ``f(x).shape + x.shape`` and
        detached (no ``grad_fn``).

    Raises:
        TypeError: If ``f`` is not callable, ``x`` is not a floating-point
            tensor, ``eps`` is not a real number (or is a bool), or ``f`` does
            not return a floating-point tensor.
        ValueError: If ``eps`` is not positive and finite.

    Example:
        >>> import torch
        >>> from autograd_guide import numerical_jacobian
        >>> x = torch.tensor([1.0, 2.0, 3.0])
        >>> numerical_jacobian(lambda x: x**2, x).round(decimals=4)
        tensor([[2., 0., 0.],
                [0., 4., 0.],
                [0., 0., 6.]], dtype=torch.float64)
    """
    _validate.require_callable(f, "f")
    _validate.require_float_tensor(x, "x")
    step = _validate.require_positive_finite(eps, "eps")
    # float32 rounds f(x) to about 1e-7 relative; divided by a step of 1e-6
    # that error would be as large as the derivative itself.
    x64 = x.detach().to(torch.float64, copy=True)
    n = x64.numel()
    with torch.no_grad():
        if n == 0:
            # No column to estimate, but the result's shape still needs f(x).
            y = _evaluate(f, x64)
            return y.new_zeros(y.shape + x.shape, dtype=torch.float64)
        columns = []
        for j in range(n):
            h = torch.zeros(n, dtype=torch.float64, device=x64.device)
            h[j] = step
            h = h.reshape(x64.shape)
            # Converted again in case f computes in a lower precision internally.
            plus = _evaluate(f, x64 + h).to(torch.float64)
            minus = _evaluate(f, x64 - h).to(torch.float64)
            columns.append((plus - minus) / (2 * step))
    return torch.stack(columns, dim=-1).reshape(columns[0].shape + x.shape).detach()


def _evaluate(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return _validate.require_float_output(f(x))
