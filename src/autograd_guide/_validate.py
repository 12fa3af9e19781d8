"""Argument checks shared by the public functions.

Each check raises at once with a message that names the argument, says what was
expected and what was got, so a mistake surfaces before any differentiation
starts, not as an obscure error from deep inside autograd. The checks take
``object`` and return the narrowed value, so the callers' type hints stay honest
about what a well-behaved caller passes.
"""

import math
from collections.abc import Collection
from numbers import Real

import torch

from autograd_guide import tiny


def require_callable(value: object, name: str) -> None:
    """Refuse anything that cannot be called."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__}")


def require_tensor(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a tensor of any dtype."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def require_graph(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a tensor that requires grad, so has a graph for backward."""
    tensor = require_tensor(value, name)
    _require_requires_grad(tensor, name)
    return tensor


def require_any_graph(value: object, name: str) -> torch.Tensor | tiny.Tensor:
    """Return ``value`` if it is a torch or a tiny tensor that requires grad.

    A tiny tensor is refused as a torch one is: without ``requires_grad`` it
    has no graph.
    """
    if not isinstance(value, torch.Tensor | tiny.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor or a tiny.Tensor, got {type(value).__name__}"
        )
    _require_requires_grad(value, name)
    return value


def _require_requires_grad(tensor: torch.Tensor | tiny.Tensor, name: str) -> None:
    if not tensor.requires_grad:
        raise ValueError(f"{name} has no autograd graph: requires_grad is False")


def require_float_tensor(value: object, name: str) -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor, the only kind autograd differentiates."""
    tensor = require_tensor(value, name)
    if not tensor.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {tensor.dtype}")
    return tensor


def require_choice(value: object, name: str, allowed: Collection[str]) -> None:
    """Refuse a value that is not one of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def require_like(
    value: object, name: str, reference: torch.Tensor, reference_name: str
) -> torch.Tensor:
    """Return ``value`` if it is a tensor with the shape and dtype of ``reference``.

    autograd itself accepts a direction of another floating dtype and silently
    computes in it, so the dtype is checked here, not left to torch.
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.shape != reference.shape:
        raise ValueError(
            f"{name} must have shape {tuple(reference.shape)} "
            f"(the shape of {reference_name}), got {tuple(value.shape)}"
        )
    if value.dtype != reference.dtype:
        raise TypeError(
            f"{name} must have dtype {reference.dtype} "
            f"(the dtype of {reference_name}), got {value.dtype}"
        )
    return value


def require_positive_finite(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a real number in (0, inf)."""
    # bool is a subclass of int, yet True as a step size is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a positive finite number, got {number!r}")
    return number


def require_float_output(value: object) -> torch.Tensor:
    """Return what ``f`` returned if it is a floating-point tensor."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"f must return a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"f must return a floating-point tensor, got dtype {value.dtype}")
    return value
