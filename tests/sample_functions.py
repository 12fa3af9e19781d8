"""Sample functions, hypothesis strategies and helpers shared by the Jacobian tests.

test_jacobian.py checks jacobian, vjp and jvp against torch.func; test_numerical.py
checks numerical_jacobian against autograd. Both want the same functions to
differentiate, the same random points to differentiate them at and the same way
of watching how often f is called, so they import them from here rather than
keep two copies that could drift apart. tests/conftest.py puts this folder on
sys.path so that ``import sample_functions`` works.
"""

import re

import numpy as np
import pytest
import torch
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Quick runs, and no example database written into the work tree.
# derandomize: CI draws the same examples on every run, so a red build is
# reproducible; exploration happens when a test or a strategy changes.
QUICK = settings(max_examples=30, deadline=None, database=None, derandomize=True)


# Smooth functions of a tensor of any shape, with outputs of many shapes: the
# same shape as x, a 0-d scalar, fewer or more elements than x (m != n), so
# every layout of a Jacobian gets exercised.
def elementwise_sin(x):
    return torch.sin(x)


def elementwise_exp(x):
    return torch.exp(x)


def matmul_by_fixed_matrix(x):
    w = torch.linspace(-1.0, 1.0, 3 * x.numel(), dtype=x.dtype).reshape(3, -1)
    return w @ x.reshape(-1)


def total(x):
    return x.sum()


def mean_over_last_dim(x):
    return x.mean(dim=-1)


def outer_product(x):
    flat = x.reshape(-1)
    return torch.outer(flat, flat.cos())


def softmax(x):
    return torch.softmax(x.reshape(-1), dim=0)


def cumulative_sum(x):
    return torch.cumsum(x.reshape(-1), dim=0)


SMOOTH_FUNCTIONS = [
    elementwise_sin,
    elementwise_exp,
    matmul_by_fixed_matrix,
    total,
    mean_over_last_dim,
    outer_product,
    softmax,
    cumulative_sum,
]


def tensors(shape, dtype):
    # hypothesis draws numpy arrays, not tensors: one float64 strategy, cast
    # afterwards, serves every torch dtype a test asks for.
    # Values representable in float32 and no subnormals: at x = 1e-42 (subnormal
    # in float32) torch's own forward-mode formulas for prod (prod / x) disagree
    # between make_dual and jacfwd by 1e-3, a torch matter, not this package's.
    elements = st.floats(-2.0, 2.0, width=32, allow_subnormal=False)
    values = hnp.arrays(np.float64, shape, elements=elements)
    return values.map(lambda a: torch.from_numpy(a).to(dtype))


@st.composite
def points(draw):
    """A tensor x of rank 0 to 2, float32 or float64."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return draw(tensors(shape, dtype))


class RecordingFunction:
    """Wraps fn, recording the dtype of every input and counting backward passes.

    Tests use it to show that bad arguments are refused before f is called (or
    before any backward pass through f(x)), and which dtype f was evaluated in.
    """

    def __init__(self, fn=torch.sin):
        self.fn = fn
        self.input_dtypes = []
        self.backward_passes = 0

    @property
    def calls(self):
        return len(self.input_dtypes)

    def __call__(self, x):
        self.input_dtypes.append(x.dtype)
        y = self.fn(x)
        # A hook on f(x) is the one place that sees every backward pass through
        # it, whichever autograd call the code under test makes.
        if isinstance(y, torch.Tensor) and y.requires_grad:
            y.register_hook(self._count_backward_pass)
        return y

    def _count_backward_pass(self, grad):
        self.backward_passes += 1


def assert_refused_before_f_is_called(error, message, call):
    """Check that call(f) raises error with message without ever calling f."""
    # Arguments that are wrong whatever f returns should be refused up front,
    # not after f (possibly expensive) has been evaluated.
    f = RecordingFunction()
    with pytest.raises(error, match=re.escape(message)):
        call(f)
    assert f.calls == 0
