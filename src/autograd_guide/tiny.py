"""A tiny autograd engine on NumPy, small enough to read in one sitting.

``Tensor`` wraps a float64 NumPy array. Every operation on tensors that
require grad records a ``Node``: the tensors it was computed from and its
vector-Jacobian product (VJP), a function that maps the gradient of the
output to the gradients of the inputs. ``Tensor.backward`` walks those nodes
once, in reverse topological order, and adds each leaf's gradient into its
``.grad``, as PyTorch does. Forward mode rides along: a tensor may carry a
``tangent``, and every operation pushes it forward with the operation's
Jacobian-vector product (JVP), so that ``jvp`` evaluates a function and its
directional derivative in one pass, the way dual numbers do.

Examples:
    >>> from autograd_guide import tiny
    >>> x = tiny.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.grad_fn
    <SumBackward>
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.])
    >>> value, tangent = tiny.jvp(lambda t: (t * t).sum(), [1.0, 2.0, 3.0], [1.0, 0.0, 0.0])
    >>> float(value), float(tangent)
    (14.0, 2.0)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ClassVar, ParamSpec, TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray

#: The arrays of the engine, float64 NumPy arrays (``NDArray[numpy.float64]``),
#: as in ``Tensor.data``, ``Tensor.grad`` and ``Tensor.tangent``.
Array: TypeAlias = NDArray[np.float64]
# What the operators accept besides a Tensor: a Python number, or anything Tensor() accepts.
Operand: TypeAlias = "Tensor | float | int | list[object] | Array"


class Node:
    """What made a tensor: its inputs and the rule that sends gradients back to them.

    Attributes:
        name: The operation's name, after PyTorch's nodes without their
            trailing digit: ``"MulBackward"``, ``"SumBackward"``.
        inputs: The tensors the operation was applied to, in order.
        vjp: Maps the gradient of the output (an array of the output's shape)
            to one gradient per input, each of that input's shape.
    """

    def __init__(
        self, name: str, inputs: tuple[Tensor, ...], vjp: Callable[[Array], tuple[Array, ...]]
    ) -> None:
        """Record that an operation called ``name`` made a tensor from ``inputs``."""
        self.name = name
        self.inputs = inputs
        self.vjp = vjp

    def __repr__(self) -> str:
        return f"<{self.name}>"


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _quiet(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``method`` with NumPy's floating-point warnings off.

    PyTorch lets inf and nan through without a word (``log(0)``, ``1 / 0``); so
    does tiny, in the values, the VJPs and the JVPs of every operation.
    """

    @functools.wraps(method)
    def quiet(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with np.errstate(all="ignore"):
            return method(*args, **kwargs)

    return quiet


def _as_array(data: object, name: str) -> Array:
    """``data`` as a new float64 array; numbers, nested lists and real NumPy arrays only."""
    # Anything else is refused, a torch.Tensor too: NumPy would turn it into a constant
    # and its graph would be lost without a word.
    if not isinstance(data, int | float | np.number | list | tuple | np.ndarray):
        raise TypeError(
            f"{name} must be a number, a nested list or a NumPy array, got {type(data).__name__}"
        )
    if isinstance(data, bool) or (isinstance(data, np.ndarray) and data.dtype == np.bool_):
        raise TypeError(f"{name} must hold numbers, got booleans")
    try:
        array = np.array(data)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be rectangular: {error}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold real numbers, got {type(data).__name__} of {array.dtype}"
        )
    return array.astype(np.float64)


# docs/tiny shows this function by its name (literalinclude :pyobject:): a rename breaks part 6.
def _unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` back to ``shape``: broadcasting copied an input, so its gradients add up."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Tensor:
    """An array of float64 numbers that can record how it was computed.

    The operators ``+``, ``-``, ``*`` and ``/`` take another tensor or a Python
    number on either side and broadcast as NumPy does; ``-t``, ``t ** p`` for a
    real number ``p`` and ``a @ b`` for vectors and matrices work too. Each
    records a ``Node`` when an input requires grad, and pushes tangents forward
    when an input has one. ``a - b`` is recorded as ``a + (-b)``: an
    ``AddBackward`` whose second input came from a ``NegBackward``.

    Args:
        data: A Python number, a nested list of numbers or a NumPy array of
            real numbers; it is copied into ``.data`` as float64.
        requires_grad: Whether ``backward`` should compute a gradient for this
            tensor (a leaf) and record the operations applied to it.

    Raises:
        TypeError: If ``data`` holds anything but real numbers, or
            ``requires_grad`` is not a bool.
        ValueError: If a nested list of ``data`` is not rectangular.

    Attributes:
        data: The numbers, a float64 NumPy array.
        grad: ``None`` until a backward pass reaches this tensor, a leaf that
            requires grad; then the gradient, an array of its shape, to which
            every later pass adds.
        grad_fn: The ``Node`` that made this tensor, ``None`` for a leaf.
    """

    # A NumPy array on the left of an operator (``array * tensor``) would otherwise
    # apply the operator to each entry and return an array of Tensors; None makes
    # NumPy step aside, so that Python calls the Tensor's reflected method.
    __array_ufunc__: ClassVar[None] = None

    def __init__(self, data: object, requires_grad: bool = False) -> None:
        """Copy ``data`` into a new leaf tensor."""
        self.data = _as_array(data, "data")
        self.requires_grad = requires_grad
        self.grad: Array | None = None
        self.grad_fn: Node | None = None
        self.tangent = None

    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded (settable, True or False)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: object) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"requires_grad must be True or False, got {type(value).__name__}")
        self._requires_grad = value

    @property
    def tangent(self) -> Array | None:
        """Forward mode's direction, of this tensor's shape, or ``None`` if the tensor does not move."""
        return self._tangent

    @tangent.setter
    def tangent(self, value: object) -> None:
        if value is None:
            self._tangent: Array | None = None
            return
        direction = _as_array(value, "tangent")
        if direction.shape != self.shape:
            raise ValueError(f"tangent must have shape {self.shape}, got {direction.shape}")
        self._tangent = direction

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``.data``."""
        return self.data.shape

    @property
    def is_leaf(self) -> bool:
        """Whether no recorded operation made this tensor (``grad_fn`` is None)."""
        return self.grad_fn is None

    def __repr__(self) -> str:
        extra = f", grad_fn={self.grad_fn!r}" if self.grad_fn else ""
        extra += ", requires_grad=True" if self.requires_grad and self.is_leaf else ""
        return f"tensor({self.data.tolist()}{extra})"

    # --- recording -----------------------------------------------------------------

    # docs/tiny shows _result by its name, as it shows Node, __mul__, _topological_order,
    # backward, _unbroadcast and jvp (literalinclude :pyobject:): a rename breaks part 6.
    @staticmethod
    def _result(
        data: Array,
        name: str,
        inputs: tuple[Tensor, ...],
        vjp: Callable[[Array], tuple[Array, ...]],
        jvp: Callable[[tuple[Array, ...]], Array],
    ) -> Tensor:
        """The output of one operation: recorded if an input requires grad, pushed if one moves."""
        out = Tensor(data)
        if any(t.requires_grad for t in inputs):
            out.requires_grad = True
            out.grad_fn = Node(name, inputs, vjp)
        if any(t.tangent is not None for t in inputs):
            tangents = tuple(
                np.zeros_like(t.data) if t.tangent is None else t.tangent for t in inputs
            )
            out.tangent = jvp(tangents)
        return out

    # --- operations: each gives its value, its VJP and its JVP ----------------------

    @_quiet
    def __add__(self, other: Operand) -> Tensor:
        b = _tensor(other, "other")
        return Tensor._result(
            self.data + b.data,
            "AddBackward",
            (self, b),
            lambda g: (_unbroadcast(g, self.shape), _unbroadcast(g, b.shape)),
            lambda t: t[0] + t[1],
        )

    @_quiet
    def __mul__(self, other: Operand) -> Tensor:
        b = _tensor(other, "other")
        a_data, b_data = self.data, b.data
        return Tensor._result(
            a_data * b_data,
            "MulBackward",
            (self, b),
            lambda g: (_unbroadcast(g * b_data, self.shape), _unbroadcast(g * a_data, b.shape)),
            lambda t: t[0] * b_data + a_data * t[1],
        )

    @_quiet
    def __truediv__(self, other: Operand) -> Tensor:
        b = _tensor(other, "other")
        a_data, b_data = self.data, b.data
        return Tensor._result(
            a_data / b_data,
            "DivBackward",
            (self, b),
            lambda g: (
                _unbroadcast(g / b_data, self.shape),
                _unbroadcast(-g * a_data / b_data**2, b.shape),
            ),
            lambda t: t[0] / b_data - a_data * t[1] / b_data**2,
        )

    @_quiet
    def __neg__(self) -> Tensor:
        return Tensor._result(-self.data, "NegBackward", (self,), lambda g: (-g,), lambda t: -t[0])

    def __sub__(self, other: Operand) -> Tensor:
        return self + (-_tensor(other, "other"))

    def __radd__(self, other: Operand) -> Tensor:
        return _tensor(other, "other") + self

    def __rsub__(self, other: Operand) -> Tensor:
        return _tensor(other, "other") - self

    def __rmul__(self, other: Operand) -> Tensor:
        return _tensor(other, "other") * self

    def __rtruediv__(self, other: Operand) -> Tensor:
        return _tensor(other, "other") / self

    @_quiet
    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, bool) or not isinstance(
            exponent, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"exponent must be a real number, got {type(exponent).__name__}")
        p, a = float(exponent), self.data
        out = a**p
        slope = p * a ** (p - 1) if p != 0 else np.zeros_like(a)
        return Tensor._result(
            out, "PowBackward", (self,), lambda g: (g * slope,), lambda t: slope * t[0]
        )

    @_quiet
    def __matmul__(self, other: Operand) -> Tensor:
        b = _tensor(other, "other")
        if not (1 <= self.data.ndim <= 2 and 1 <= b.data.ndim <= 2):
            raise ValueError(f"@ takes vectors and matrices, got shapes {self.shape} and {b.shape}")
        # A vector on the left is a row, on the right a column, as in NumPy.
        a2 = self.data.reshape(1, -1) if self.data.ndim == 1 else self.data
        b2 = b.data.reshape(-1, 1) if b.data.ndim == 1 else b.data
        if a2.shape[1] != b2.shape[0]:
            raise ValueError(f"@ needs matching inner sizes, got shapes {self.shape} and {b.shape}")
        out = self.data @ b.data

        def vjp(g: Array) -> tuple[Array, ...]:
            g2 = g.reshape(a2.shape[0], b2.shape[1])
            return (g2 @ b2.T).reshape(self.shape), (a2.T @ g2).reshape(b.shape)

        return Tensor._result(
            np.asarray(out, dtype=np.float64),
            "MatmulBackward",
            (self, b),
            vjp,
            lambda t: np.asarray(t[0] @ b.data + self.data @ t[1]),
        )

    @_quiet
    def sum(self) -> Tensor:
        """The sum of all entries; its VJP copies the gradient to every entry."""
        shape = self.shape
        return Tensor._result(
            np.asarray(self.data.sum()),
            "SumBackward",
            (self,),
            lambda g: (np.broadcast_to(g, shape).copy(),),
            lambda t: np.asarray(t[0].sum()),
        )

    @_quiet
    def mean(self) -> Tensor:
        """The mean of all entries; its VJP shares the gradient out equally."""
        shape, size = self.shape, self.data.size
        return Tensor._result(
            # sum / size rather than NumPy's mean, which warns about an empty tensor.
            np.asarray(self.data.sum() / size),
            "MeanBackward",
            (self,),
            lambda g: (np.broadcast_to(g / size, shape).copy(),),
            lambda t: np.asarray(t[0].sum() / size),
        )

    @_quiet
    def exp(self) -> Tensor:
        """``e`` to the power of each entry; the slope is the result itself."""
        out = np.exp(self.data)
        return Tensor._result(
            out, "ExpBackward", (self,), lambda g: (g * out,), lambda t: out * t[0]
        )

    @_quiet
    def log(self) -> Tensor:
        """The natural logarithm of each entry; the slope is ``1 / x``."""
        a = self.data
        return Tensor._result(
            np.log(a), "LogBackward", (self,), lambda g: (g / a,), lambda t: t[0] / a
        )

    @_quiet
    def tanh(self) -> Tensor:
        """The hyperbolic tangent of each entry; the slope is 1 minus the result squared."""
        out = np.tanh(self.data)
        slope = 1 - out**2
        return Tensor._result(
            out, "TanhBackward", (self,), lambda g: (g * slope,), lambda t: slope * t[0]
        )

    @_quiet
    def relu(self) -> Tensor:
        """Each entry, or 0 where it is negative; the slope is 1 above 0 and 0 elsewhere."""
        # As in PyTorch: the slope is 0 where x <= 0, so also at 0 itself, and 1 elsewhere
        # (NaN included, so that a NaN gradient is passed on rather than hidden).
        slope = np.where(self.data <= 0, 0.0, 1.0)
        return Tensor._result(
            np.where(self.data < 0, 0.0, self.data),
            "ReluBackward",
            (self,),
            lambda g: (g * slope,),
            lambda t: slope * t[0],
        )

    # --- reverse mode ----------------------------------------------------------------

    @_quiet
    def backward(self, gradient: object = None) -> None:
        """Add the gradient of this tensor with respect to every leaf that requires grad.

        Args:
            gradient: The vector ``v`` of the product ``vᵀJ``, of this tensor's
                shape; may be left out only for a single-element tensor
                (``v = 1``).

        Raises:
            RuntimeError: If this tensor does not require grad, or ``gradient``
                is left out for a tensor of more than one element.
            ValueError: If ``gradient`` does not have this tensor's shape.
            TypeError: If ``gradient`` holds anything but real numbers.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            seed = np.ones_like(self.data)
        else:
            seed = _as_array(gradient, "gradient")
            if seed.shape != self.shape:
                raise ValueError(f"gradient must have shape {self.shape}, got {seed.shape}")
        grads: dict[int, Array] = {id(self): seed}
        for tensor in reversed(_topological_order(self)):
            grad = grads.pop(id(tensor))
            if tensor.grad_fn is None:  # a leaf that requires grad: accumulate, as torch does
                # np.array: a new array even where NumPy's arithmetic on 0-d arrays
                # returned a scalar (np.float64), so that .grad is always an array.
                total = grad if tensor.grad is None else tensor.grad + grad
                tensor.grad = np.array(total, dtype=np.float64)
                continue
            for parent, parent_grad in zip(
                tensor.grad_fn.inputs, tensor.grad_fn.vjp(grad), strict=True
            ):
                if parent.requires_grad:
                    grads[id(parent)] = (
                        grads[id(parent)] + parent_grad if id(parent) in grads else parent_grad
                    )


def _topological_order(root: Tensor) -> list[Tensor]:
    """The tensors ``root`` was computed from that require grad, each after all it depends on."""
    order: list[Tensor] = []
    seen: set[int] = set()
    # An explicit stack instead of recursion: deep graphs would exceed Python's recursion limit.
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            stack.extend(
                (t, False) for t in tensor.grad_fn.inputs if t.requires_grad and id(t) not in seen
            )
    return order


def _tensor(value: object, name: str) -> Tensor:
    """``value`` itself if it is a Tensor, else a constant Tensor made from it."""
    return value if isinstance(value, Tensor) else Tensor(_as_array(value, name))


# --- forward mode --------------------------------------------------------------------


def jvp(f: Callable[[Tensor], Tensor], x: object, u: object) -> tuple[Array, Array]:
    """Evaluate ``f`` at ``x`` and its Jacobian-vector product ``J u`` in one forward pass.

    ``x`` becomes a tensor whose ``tangent`` is ``u``; every operation of ``f``
    pushes the tangent forward with its own JVP, as dual numbers do, and the
    output's tangent is ``J u``. No graph is recorded and nothing runs backward.

    Args:
        f: A function of one ``Tensor`` that returns a ``Tensor``.
        x: The point: a number, a nested list or a NumPy array.
        u: The direction, of the shape of ``x``.

    Returns:
        ``(f(x), J u)`` as float64 NumPy arrays.

    Raises:
        TypeError: If ``f`` is not callable or does not return a Tensor, or
            ``x`` or ``u`` hold anything but real numbers.
        ValueError: If ``u`` does not have the shape of ``x``.

    Examples:
        >>> value, tangent = jvp(lambda t: t.exp(), [0.0, 1.0], [1.0, 1.0])
        >>> tangent  # the derivative of exp is exp
        array([1.        , 2.71828183])
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    point = Tensor(_as_array(x, "x"))
    direction = _as_array(u, "u")
    if direction.shape != point.shape:
        raise ValueError(f"u must have the shape of x, {point.shape}, got {direction.shape}")
    point.tangent = direction
    out = f(point)
    if not isinstance(out, Tensor):
        raise TypeError(f"f must return a tiny.Tensor, got {type(out).__name__}")
    tangent = np.zeros_like(out.data) if out.tangent is None else out.tangent
    return out.data.copy(), tangent.copy()
