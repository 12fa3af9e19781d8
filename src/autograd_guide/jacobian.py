"""The Jacobian from autograd: rows from VJPs (reverse mode), columns from JVPs (forward mode).

For ``y = f(x)`` with ``x`` in R^n and ``y`` in R^m, the Jacobian ``J`` is the
m-by-n matrix with ``J[i, j] = dy_i/dx_j``. Reverse mode computes ``v^T J`` for
an output-shaped ``v``; with ``v`` the i-th one-hot vector that is row i of
``J``. Forward mode computes ``J u`` for an input-shaped ``u``; with ``u`` the
j-th one-hot vector that is column j. Tensors of any shape are read as vectors
in row-major order, so the Jacobian has shape ``f(x).shape + x.shape``.
"""

import warnings
from collections.abc import Callable
from typing import Literal

import torch
import torch.autograd.forward_ad as fwAD

from autograd_guide import _validate

__all__ = ["jacobian", "jvp", "vjp"]

_MODES = ("reverse", "forward")


def jacobian(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    mode: Literal["reverse", "forward"] = "reverse",
) -> torch.Tensor:
    """Compute the Jacobian of ``f`` at ``x``, one VJP per row or one JVP per column.

    Reverse mode calls ``f`` once and runs one backward pass per output
    element; forward mode calls ``f`` once per input element. Outputs that do
    not depend on ``x`` get zero entries. ``x`` itself is left untouched.

    Args:
        f: A function from a tensor shaped like ``x`` to a floating-point tensor.
        x: The floating-point point at which to differentiate.
        mode: ``"reverse"`` builds ``J`` row by row with ``torch.autograd.grad``;
            ``"forward"`` builds it column by column with dual numbers from
            ``torch.autograd.forward_ad``.

    Returns:
        The Jacobian, shaped ``f(x).shape + x.shape`` and detached (no
        ``grad_fn``).

    Raises:
        TypeError: If ``f`` is not callable, ``x`` is not a floating-point
            tensor, or ``f`` does not return a floating-point tensor.
        ValueError: If ``mode`` is neither ``"reverse"`` nor ``"forward"``.

    Example:
        >>> import torch
        >>> from autograd_guide import jacobian
        >>> x = torch.tensor([1.0, 2.0, 3.0])
        >>> jacobian(lambda x: x**2, x)
        tensor([[2., 0., 0.],
                [0., 4., 0.],
                [0., 0., 6.]])
        >>> jacobian(lambda x: x.sum(), x, mode="forward")
        tensor([1., 1., 1.])
    """
    _validate.require_callable(f, "f")
    _validate.require_float_tensor(x, "x")
    _validate.require_choice(mode, "mode", _MODES)
    if mode == "reverse":
        return _jacobian_by_rows(f, x)
    return _jacobian_by_columns(f, x)


def vjp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compute ``f(x)`` and the vector-Jacobian product ``v^T J`` by reverse mode.

    ``f`` is called once; then one backward pass runs. ``x`` is left untouched.

    Args:
        f: A function from a tensor shaped like ``x`` to a floating-point tensor.
        x: The floating-point point at which to differentiate.
        v: The output-side vector: the shape and dtype of ``f(x)``.

    Returns:
        ``(f(x), v^T J)``, the second shaped like ``x``; both detached (no
        ``grad_fn``).

    Raises:
        TypeError: If ``f`` is not callable, ``x`` or ``v`` is not a
            floating-point tensor, ``f`` does not return a floating-point
            tensor, or ``v``'s dtype differs from ``f(x)``'s.
        ValueError: If ``v``'s shape differs from ``f(x)``'s.

    Example:
        >>> import torch
        >>> from autograd_guide import vjp
        >>> x = torch.tensor([1.0, 2.0, 3.0])
        >>> vjp(lambda x: x**2, x, torch.tensor([1.0, 0.0, 1.0]))
        (tensor([1., 4., 9.]), tensor([2., 0., 6.]))
    """
    _validate.require_callable(f, "f")
    _validate.require_float_tensor(x, "x")
    # v's full check needs f(x); its type is known now, so refuse early what can be.
    _validate.require_float_tensor(v, "v")
    x_leaf = _leaf_copy(x)
    y = _record(f, x_leaf)
    _validate.require_like(v, "v", y, "f(x)")
    return y.detach(), _pull_back(y, x_leaf, v)


def jvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, u: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compute ``f(x)`` and the Jacobian-vector product ``J u`` by forward mode.

    ``f`` is called once, on a dual tensor carrying ``u`` as its tangent.
    ``x`` is left untouched.

    Args:
        f: A function from a tensor shaped like ``x`` to a floating-point tensor.
        x: The floating-point point at which to differentiate.
        u: The input-side vector: the shape and dtype of ``x``.

    Returns:
        ``(f(x), J u)``, the second shaped like ``f(x)``; both detached (no
        ``grad_fn``).

    Raises:
        TypeError: If ``f`` is not callable, ``x`` is not a floating-point
            tensor, ``u`` is not a tensor of ``x``'s dtype, or ``f`` does not
            return a floating-point tensor.
        ValueError: If ``u``'s shape differs from ``x``'s.

    Example:
        >>> import torch
        >>> from autograd_guide import jvp
        >>> x = torch.tensor([1.0, 2.0, 3.0])
        >>> jvp(lambda x: x**2, x, torch.tensor([1.0, 0.0, 1.0]))
        (tensor([1., 4., 9.]), tensor([2., 0., 6.]))
    """
    _validate.require_callable(f, "f")
    _validate.require_float_tensor(x, "x")
    _validate.require_like(u, "u", x, "x")
    return _push_forward(f, x, u)


def _jacobian_by_rows(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    x_leaf = _leaf_copy(x)
    y = _record(f, x_leaf)
    rows = [_pull_back(y, x_leaf, e_i) for e_i in _one_hots(y)]
    if not rows:  # f(x) has no elements; torch.stack refuses an empty list.
        return x.new_zeros(y.shape + x.shape)
    return torch.stack(rows).reshape(y.shape + x.shape)


def _jacobian_by_columns(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    if x.numel() == 0:
        # No column to compute, but the result's shape still needs f(x).
        y, _ = _push_forward(f, x, torch.zeros_like(x))
        return y.new_zeros(y.shape + x.shape)
    pushed = [_push_forward(f, x, e_j) for e_j in _one_hots(x)]
    y = pushed[0][0]
    columns = [column for _, column in pushed]
    return torch.stack(columns, dim=-1).reshape(y.shape + x.shape)


def _one_hots(t: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The standard basis of ``t``'s space, each vector shaped like ``t``."""
    eye = torch.eye(t.numel(), dtype=t.dtype, device=t.device)
    return eye.reshape(t.numel(), *t.shape).unbind()


def _leaf_copy(x: torch.Tensor) -> torch.Tensor:
    # A fresh leaf of our own: the caller's x keeps its values, requires_grad,
    # .grad and graph, even if f works in place.
    return x.detach().clone().requires_grad_(True)


def _record(f: Callable[[torch.Tensor], torch.Tensor], x_leaf: torch.Tensor) -> torch.Tensor:
    # Inside a caller's torch.no_grad() nothing would be recorded to go back through.
    with torch.enable_grad():
        return _validate.require_float_output(f(x_leaf))


def _pull_back(y: torch.Tensor, x_leaf: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    if not y.requires_grad:
        # No graph leads from y back to x (f ignored x): the derivative is zero,
        # and torch.autograd.grad would raise instead of saying so.
        return torch.zeros_like(x_leaf)
    # retain_graph keeps the graph for the next row; materialize_grads turns
    # "x was not used" (None) into zeros. The clone: for f(x) = x autograd
    # hands v back as the gradient itself, and the caller's v must not leak out.
    (grad,) = torch.autograd.grad(
        y,
        x_leaf,
        grad_outputs=v.detach().clone(),
        retain_graph=True,
        materialize_grads=True,
    )
    return grad


def _push_forward(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, u: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    with fwAD.dual_level():
        # Copies: f must not see or change the caller's x, and for f(x) = x the
        # tangent handed back would be the caller's u itself.
        dual = _make_dual(x.detach().clone(), u.detach().clone())
        y = _validate.require_float_output(f(dual))
        # forward_ad is untyped; the annotations say what it returns.
        unpacked = fwAD.unpack_dual(y)  # type: ignore[no-untyped-call]
        primal: torch.Tensor = unpacked.primal
        tangent: torch.Tensor | None = unpacked.tangent
    if tangent is None:  # f(x) does not depend on x.
        tangent = torch.zeros_like(primal)
    return primal.detach(), tangent.detach()


def _make_dual(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    # torch 2.13 loads its forward-AD decompositions on the first make_dual and
    # in doing so calls its own deprecated torch.jit.script: a DeprecationWarning
    # no caller can act on, and an error under -W error. Only that warning, and
    # only here, is silenced; warnings raised by f still surface.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"`torch\.jit\.script` is deprecated",
            category=DeprecationWarning,
        )
        dual: torch.Tensor = fwAD.make_dual(x, u)  # type: ignore[no-untyped-call]
    return dual
