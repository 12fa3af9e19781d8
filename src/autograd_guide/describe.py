"""A tensor's autograd state at a glance: shape, dtype, requires_grad, is_leaf, grad_fn, grad.

Printing a tensor shows its values and, at most, its ``grad_fn``; whether it
is a leaf or what its ``.grad`` holds takes separate questions, and asking a
non-leaf for its ``.grad`` makes torch warn. ``describe`` asks all of them at
once, without the warning, and answers in a small table that prints the same
on every run.
"""

import warnings
from dataclasses import dataclass

import torch

from autograd_guide import _validate

__all__ = ["TensorState", "describe"]

# Values start two spaces after the longest label, "requires_grad".
_LABEL_WIDTH = len("requires_grad") + 2
_GRAD_INDENT = "    "


# eq=False: the generated __eq__ would compare the grad tensors with ==, which
# gives a tensor, not a bool. Two states are equal only if they are the same.
@dataclass(frozen=True, eq=False, repr=False)
class TensorState:
    """A snapshot of a tensor's autograd state, made by :func:`describe`.

    Its ``repr`` (and ``str``) is a plain-text table with one field per line;
    a ``grad`` that prints on several lines is indented under its label.

    Attributes:
        shape: The tensor's shape, as a tuple.
        dtype: The tensor's dtype.
        requires_grad: Whether autograd records operations on the tensor.
        is_leaf: Whether the tensor is a leaf: autograd recorded no operation
            that made it (you created it, or autograd did not record the
            operation that computed it, because no input required grad,
            autograd was off, or autograd never records that operation, as
            for integer and boolean results). Only leaves that require grad,
            and non-leaves on which ``retain_grad()`` was called, get
            ``.grad`` filled in by ``backward``.
        grad_fn: The class name of the tensor's ``grad_fn``, such as
            ``"MulBackward0"``, or ``None`` for a leaf.
        grad: A detached copy of the tensor's ``.grad``, or ``None``.
    """

    shape: tuple[int, ...]
    dtype: torch.dtype
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    grad: torch.Tensor | None

    def __repr__(self) -> str:
        lines = [
            _row("shape", str(self.shape)),
            _row("dtype", str(self.dtype)),
            _row("requires_grad", str(self.requires_grad)),
            _row("is_leaf", str(self.is_leaf)),
            _row("grad_fn", str(self.grad_fn)),
        ]
        grad = str(self.grad).splitlines()
        if len(grad) == 1:
            lines.append(_row("grad", grad[0]))
        else:
            # Under its label, so the tensor's own alignment of rows survives.
            lines.append("grad")
            lines.extend(_GRAD_INDENT + line for line in grad)
        return "\n".join(lines)


def describe(tensor: torch.Tensor) -> TensorState:
    """Record ``tensor``'s autograd state: what ``backward`` will do with it.

    Reading ``.grad`` of a non-leaf makes torch warn, because ``backward``
    fills it in only for leaves and for tensors on which ``retain_grad()``
    was called; ``describe`` reads it without that warning. ``tensor`` is
    left untouched.

    Args:
        tensor: Any tensor.

    Returns:
        A :class:`TensorState` with the shape, dtype, ``requires_grad``, ``is_leaf``, the class
        name of ``grad_fn`` and a detached copy of ``.grad``. Its ``repr`` is a
        table with one field per line.

    Raises:
        TypeError: If ``tensor`` is not a tensor.

    Example:
        >>> import torch
        >>> from autograd_guide import describe
        >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
        >>> y = (x * x).sum()
        >>> describe(y)
        shape          ()
        dtype          torch.float32
        requires_grad  True
        is_leaf        False
        grad_fn        SumBackward0
        grad           None
        >>> y.backward()
        >>> describe(x)
        shape          (2,)
        dtype          torch.float32
        requires_grad  True
        is_leaf        True
        grad_fn        None
        grad           tensor([2., 4.])
    """
    _validate.require_tensor(tensor, "tensor")
    grad = _read_grad(tensor)
    return TensorState(
        shape=tuple(tensor.shape),
        dtype=tensor.dtype,
        requires_grad=tensor.requires_grad,
        is_leaf=tensor.is_leaf,
        grad_fn=None if tensor.grad_fn is None else type(tensor.grad_fn).__name__,
        # A copy: later backward passes add into .grad in place, and the
        # snapshot must keep showing what it was.
        grad=None if grad is None else grad.detach().clone(),
    )


def _row(label: str, value: str) -> str:
    return f"{label:<{_LABEL_WIDTH}}{value}"


def _read_grad(tensor: torch.Tensor) -> torch.Tensor | None:
    if tensor.is_leaf or tensor.retains_grad:
        return tensor.grad
    # Any other non-leaf: torch warns on reading .grad unless one was assigned
    # by hand, since backward never fills it in. Only that warning is silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"The \.grad attribute of a Tensor that is not a leaf Tensor is being accessed",
            category=UserWarning,
        )
        return tensor.grad
