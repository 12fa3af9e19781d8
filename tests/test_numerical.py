"""Tests for numerical_jacobian, checked against jacrev and gradcheck."""

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import sample_functions as samples
from autograd_guide import jacobian, numerical_jacobian


class SinWithWrongBackward(torch.autograd.Function):
    """sin, with a backward that forgets the chain rule's cos(x)."""

    @staticmethod
    def forward(ctx, x):
        return torch.sin(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


X = torch.tensor([1.0, 2.0, 3.0])


# --- agreement with autograd ------------------------------------------------------


@samples.QUICK
@given(f=st.sampled_from(samples.SMOOTH_FUNCTIONS), x=samples.points())
def test_numerical_jacobian_matches_jacrev_in_float64(f, x):
    x64 = x.to(torch.float64)
    torch.testing.assert_close(
        numerical_jacobian(f, x),
        torch.func.jacrev(f)(x64),
        rtol=1e-6,
        atol=1e-7,
    )


@pytest.mark.parametrize("f", samples.SMOOTH_FUNCTIONS)
def test_numerical_and_autograd_jacobians_agree_where_gradcheck_passes(f):
    x = torch.tensor([[0.3, -1.2, 0.7], [1.5, -0.4, 0.1]], dtype=torch.float64)
    assert torch.autograd.gradcheck(f, (x.clone().requires_grad_(),))
    torch.testing.assert_close(numerical_jacobian(f, x), jacobian(f, x))


def test_numerical_jacobian_exposes_a_wrong_backward_as_gradcheck_does():
    x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    f = SinWithWrongBackward.apply
    assert not torch.autograd.gradcheck(f, (x.clone().requires_grad_(),), raise_exception=False)
    assert not torch.allclose(numerical_jacobian(f, x), jacobian(f, x))
    torch.testing.assert_close(numerical_jacobian(f, x), torch.diag(torch.cos(x)))


def test_central_differences_are_exact_for_a_quadratic_even_with_a_large_step():
    # The error of a central difference is eps**2 / 6 times the third
    # derivative, which is zero here; a one-sided difference would be off by eps.
    x = torch.tensor([1.0, 2.0, 3.0])
    j = numerical_jacobian(lambda x: x**2, x, eps=0.5)
    assert torch.equal(j, torch.diag(torch.tensor([2.0, 4.0, 6.0], dtype=torch.float64)))


@pytest.mark.parametrize("eps", [1, 0.25, np.float64(1e-6)], ids=["int", "float", "numpy"])
def test_any_positive_real_step_is_accepted(eps):
    j = numerical_jacobian(lambda x: 3 * x, X, eps=eps)
    torch.testing.assert_close(j, 3 * torch.eye(3, dtype=torch.float64))


def test_shape_is_output_shape_then_input_shape():
    x = torch.ones(2, 3)
    assert numerical_jacobian(samples.total, x).shape == (2, 3)
    assert numerical_jacobian(samples.outer_product, x).shape == (6, 6, 2, 3)
    assert numerical_jacobian(samples.total, torch.tensor(2.0)).shape == ()
    assert numerical_jacobian(torch.sin, torch.ones(0)).shape == (0, 0)


# --- float64 throughout; x left alone; result detached --------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_f_is_evaluated_and_the_result_returned_in_float64(dtype):
    f = samples.RecordingFunction()
    j = numerical_jacobian(f, X.to(dtype))
    assert set(f.input_dtypes) == {torch.float64}
    assert j.dtype == torch.float64


def test_f_is_called_twice_per_input_element():
    f = samples.RecordingFunction()
    numerical_jacobian(f, torch.ones(2, 3))
    assert f.calls == 2 * 6


def test_f_computing_in_float32_still_gives_a_float64_result():
    j = numerical_jacobian(lambda x: x.float() * 2, X, eps=0.5)
    assert j.dtype == torch.float64
    torch.testing.assert_close(j, 2 * torch.eye(3, dtype=torch.float64))


@pytest.mark.parametrize("requires_grad", [False, True])
def test_x_is_left_untouched(requires_grad):
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=requires_grad)
    before = x.detach().clone()
    numerical_jacobian(lambda x: x.sin() * x, x)
    assert torch.equal(x.detach(), before)
    assert x.dtype == torch.float32
    assert x.requires_grad is requires_grad
    assert x.grad is None


def test_result_is_detached():
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    j = numerical_jacobian(lambda x: w * x.sin(), x)
    assert j.grad_fn is None
    assert not j.requires_grad


# --- bad arguments are refused before f is called --------------------------------


@pytest.mark.parametrize(
    ("eps", "error", "message"),
    [
        pytest.param("1e-6", TypeError, "eps must be a real number, got str", id="str"),
        pytest.param(None, TypeError, "eps must be a real number, got NoneType", id="none"),
        pytest.param(True, TypeError, "eps must be a real number, got bool", id="bool"),
        pytest.param(
            torch.tensor(1e-6),
            TypeError,
            "eps must be a real number, got Tensor",
            id="tensor",
        ),
        pytest.param(1j, TypeError, "eps must be a real number, got complex", id="complex"),
        pytest.param(0, ValueError, "eps must be a positive finite number, got 0.0", id="zero"),
        pytest.param(
            -1e-6,
            ValueError,
            "eps must be a positive finite number, got -1e-06",
            id="negative",
        ),
        pytest.param(
            math.inf,
            ValueError,
            "eps must be a positive finite number, got inf",
            id="inf",
        ),
        pytest.param(
            math.nan,
            ValueError,
            "eps must be a positive finite number, got nan",
            id="nan",
        ),
    ],
)
def test_bad_eps_is_refused_before_f_is_called(eps, error, message):
    samples.assert_refused_before_f_is_called(
        error, message, lambda f: numerical_jacobian(f, X, eps=eps)
    )


def test_f_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match=re.escape("f must be callable, got str")):
        numerical_jacobian("sin", X)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        pytest.param([1.0, 2.0], "x must be a torch.Tensor, got list", id="list"),
        pytest.param(
            torch.tensor([1, 2]),
            "x must be a floating-point tensor, got dtype torch.int64",
            id="integer",
        ),
        pytest.param(
            torch.tensor([1 + 1j]),
            "x must be a floating-point tensor, got dtype torch.complex64",
            id="complex",
        ),
    ],
)
def test_x_that_is_not_a_floating_point_tensor_is_refused(x, message):
    samples.assert_refused_before_f_is_called(
        TypeError, message, lambda f: numerical_jacobian(f, x)
    )


@pytest.mark.parametrize(
    ("returns", "message"),
    [
        pytest.param(lambda x: x.tolist(), "f must return a torch.Tensor, got list", id="list"),
        pytest.param(
            lambda x: (x > 0).long(),
            "f must return a floating-point tensor, got dtype torch.int64",
            id="integer",
        ),
    ],
)
def test_f_returning_no_floating_point_tensor_is_refused(returns, message):
    f = samples.RecordingFunction(returns)
    with pytest.raises(TypeError, match=re.escape(message)):
        numerical_jacobian(f, X)
    # Refused on the first evaluation, not after a whole column of them.
    assert f.calls == 1
