"""Tests for jacobian, vjp and jvp, checked against torch.func's references."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import autograd_guide
import sample_functions as samples
from autograd_guide import jacobian, jvp, vjp

# torch 2.13's own forward mode (torch.func.jvp, jacfwd) loads its decompositions
# through the deprecated torch.jit.script on first use, which warns. Only the
# tests calling those references allow it; autograd_guide silences it itself.
TORCH_FORWARD_AD_WARNING = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)


# Not in samples.SMOOTH_FUNCTIONS: test_numerical.py has never sampled it, and
# sharing the list must not change which functions either file draws from.
def product_times_square(x):
    return x.prod() * x**2


FUNCTIONS = st.sampled_from([*samples.SMOOTH_FUNCTIONS, product_times_square])


# Each public entry point as a call of (f, x), with a well-formed v or u.
ENTRY_POINTS = {
    "jacobian-reverse": lambda f, x: jacobian(f, x, mode="reverse"),
    "jacobian-forward": lambda f, x: jacobian(f, x, mode="forward"),
    "vjp": lambda f, x: vjp(f, x, torch.ones(3)),
    "jvp": lambda f, x: jvp(f, x, torch.ones(3)),
}
entry_points = pytest.mark.parametrize("call", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())


def as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


# --- agreement with torch.func -------------------------------------------------


@samples.QUICK
@given(f=FUNCTIONS, x=samples.points())
def test_reverse_jacobian_matches_jacrev(f, x):
    torch.testing.assert_close(jacobian(f, x), torch.func.jacrev(f)(x))


@TORCH_FORWARD_AD_WARNING
@samples.QUICK
@given(f=FUNCTIONS, x=samples.points())
def test_forward_jacobian_matches_jacfwd(f, x):
    torch.testing.assert_close(jacobian(f, x, mode="forward"), torch.func.jacfwd(f)(x))


@samples.QUICK
@given(f=FUNCTIONS, x=samples.points())
def test_reverse_and_forward_jacobians_agree(f, x):
    torch.testing.assert_close(jacobian(f, x, mode="reverse"), jacobian(f, x, mode="forward"))


@samples.QUICK
@given(f=FUNCTIONS, x=samples.points())
def test_jacobian_shape_is_output_shape_then_input_shape(f, x):
    assert jacobian(f, x).shape == f(x).shape + x.shape


@samples.QUICK
@given(f=FUNCTIONS, x=samples.points(), data=st.data())
def test_vjp_matches_torch_func_vjp(f, x, data):
    y = f(x)
    v = data.draw(samples.tensors(y.shape, y.dtype))
    expected_y, pull_back = torch.func.vjp(f, x)
    (expected_vjp,) = pull_back(v)
    actual_y, actual_vjp = vjp(f, x, v)
    torch.testing.assert_close(actual_y, expected_y)
    torch.testing.assert_close(actual_vjp, expected_vjp)
    assert actual_vjp.shape == x.shape


@TORCH_FORWARD_AD_WARNING
@samples.QUICK
@given(f=FUNCTIONS, x=samples.points(), data=st.data())
def test_jvp_matches_torch_func_jvp(f, x, data):
    u = data.draw(samples.tensors(x.shape, x.dtype))
    expected_y, expected_jvp = torch.func.jvp(f, (x,), (u,))
    actual_y, actual_jvp = jvp(f, x, u)
    torch.testing.assert_close(actual_y, expected_y)
    torch.testing.assert_close(actual_jvp, expected_jvp)
    assert actual_jvp.shape == f(x).shape


@samples.QUICK
@given(f=FUNCTIONS, x=samples.points(), data=st.data())
def test_vjp_and_jvp_are_products_with_the_jacobian(f, x, data):
    y = f(x)
    v = data.draw(samples.tensors(y.shape, y.dtype))
    u = data.draw(samples.tensors(x.shape, x.dtype))
    j = jacobian(f, x)
    # v^T J contracts J's output dimensions; J u contracts its input dimensions.
    torch.testing.assert_close(vjp(f, x, v)[1], torch.tensordot(v, j, dims=v.dim()))
    torch.testing.assert_close(jvp(f, x, u)[1], torch.tensordot(j, u, dims=u.dim()))


# --- worked examples ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_map_from_three_inputs_to_two_outputs_has_a_two_by_three_jacobian(mode):
    def f(x):
        return torch.stack([x[0] * x[1], torch.sin(x[2])])

    x = torch.tensor([2.0, 3.0, 0.0])
    expected = torch.tensor([[3.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    torch.testing.assert_close(jacobian(f, x, mode=mode), expected)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_non_contiguous_x_gives_the_same_jacobian(mode):
    x = torch.arange(6.0).reshape(2, 3).T
    assert not x.is_contiguous()
    torch.testing.assert_close(
        jacobian(samples.outer_product, x, mode=mode),
        jacobian(samples.outer_product, x.contiguous(), mode=mode),
    )


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_empty_input_or_output_gives_an_empty_jacobian(mode):
    assert jacobian(torch.sin, torch.ones(0), mode=mode).shape == (0, 0)
    assert jacobian(lambda x: x[:0], torch.ones(3), mode=mode).shape == (0, 3)


# --- outputs that do not depend on x ------------------------------------------


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_output_that_ignores_x_has_a_zero_jacobian(mode):
    x = torch.tensor([1.0, 2.0, 3.0])
    j = jacobian(lambda x: torch.ones(2), x, mode=mode)
    assert torch.equal(j, torch.zeros(2, 3))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_output_elements_that_ignore_x_get_zero_rows(mode):
    x = torch.tensor([1.0, 2.0, 3.0])
    j = jacobian(lambda x: torch.stack([x.sum(), x.new_tensor(7.0)]), x, mode=mode)
    assert torch.equal(j, torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_output_built_from_a_parameter_but_not_x_has_a_zero_jacobian(mode):
    # Here f(x) requires grad, but no path in its graph leads back to x.
    w = torch.tensor(2.0, requires_grad=True)
    x = torch.tensor([1.0, 2.0, 3.0])
    j = jacobian(lambda x: w * torch.ones(2), x, mode=mode)
    assert torch.equal(j, torch.zeros(2, 3))
    assert w.grad is None


def test_vjp_and_jvp_of_an_output_that_ignores_x_are_zero():
    x = torch.tensor([1.0, 2.0, 3.0])
    assert torch.equal(vjp(lambda x: torch.ones(2), x, torch.ones(2))[1], torch.zeros(3))
    assert torch.equal(jvp(lambda x: torch.ones(2), x, torch.ones(3))[1], torch.zeros(2))


# --- x and the caller's tensors are left alone; results are detached -----------


@entry_points
@pytest.mark.parametrize("requires_grad", [False, True])
def test_x_is_left_untouched(call, requires_grad):
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=requires_grad)
    before = x.detach().clone()
    call(lambda x: x.sin() * x, x)
    assert torch.equal(x.detach(), before)
    assert x.requires_grad is requires_grad
    assert x.grad is None


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_f_working_in_place_does_not_change_x(mode):
    x = torch.tensor([1.0, 2.0, 3.0])
    # An in-place op on a leaf that requires grad is an autograd error, so the
    # reverse-mode f clones first; the forward-mode f may scribble on its input.
    f = (lambda x: x.clone().mul_(2)) if mode == "reverse" else (lambda x: x.mul_(2))
    jacobian(f, x, mode=mode)
    assert torch.equal(x, torch.tensor([1.0, 2.0, 3.0]))


@entry_points
def test_results_are_detached(call):
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    w = torch.tensor(3.0, requires_grad=True)
    for result in as_tuple(call(lambda x: w * x.sin(), x)):
        assert result.grad_fn is None
        assert not result.requires_grad


def test_vjp_result_does_not_share_memory_with_v():
    # For f(x) = x autograd hands grad_outputs straight back as the gradient.
    v = torch.tensor([1.0, 2.0, 3.0])
    _, result = vjp(lambda x: x, torch.zeros(3), v)
    result += 1
    assert torch.equal(v, torch.tensor([1.0, 2.0, 3.0]))


def test_jvp_result_does_not_share_memory_with_u():
    # For f(x) = x unpack_dual hands back the very tangent given to make_dual.
    u = torch.tensor([1.0, 2.0, 3.0])
    _, result = jvp(lambda x: x, torch.zeros(3), u)
    result += 1
    assert torch.equal(u, torch.tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_float32_and_float64_both_work(dtype, mode):
    x = torch.tensor([1.0, 2.0, 3.0], dtype=dtype)
    u = torch.ones(3, dtype=dtype)
    results = [
        jacobian(lambda x: x**2, x, mode=mode),
        *vjp(torch.sin, x, u),
        *jvp(torch.sin, x, u),
    ]
    assert all(result.dtype == dtype for result in results)
    torch.testing.assert_close(results[0], torch.diag(2 * x))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_works_inside_no_grad(mode):
    with torch.no_grad():
        j = jacobian(lambda x: x**2, torch.tensor([1.0, 2.0]), mode=mode)
    assert torch.equal(j, torch.tensor([[2.0, 0.0], [0.0, 4.0]]))


def test_forward_mode_raises_no_warning_from_torch_internals():
    # torch warns only on its first forward-mode call in a process, so a fresh
    # interpreter is the only place to see whether autograd_guide hides it.
    script = textwrap.dedent(
        """
        import torch
        from autograd_guide import jvp
        print(jvp(torch.sin, torch.zeros(2), torch.ones(2))[1].tolist())
        """
    )
    # The interpreter must import the very package under test, installed or not.
    env = {**os.environ, "PYTHONPATH": str(Path(autograd_guide.__file__).parents[1])}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[1.0, 1.0]"


# --- bad arguments are refused before any work -------------------------------

X = torch.tensor([1.0, 2.0, 3.0])


@entry_points
def test_f_that_is_not_callable_is_refused(call):
    with pytest.raises(TypeError, match=re.escape("f must be callable, got int")):
        call(3, X)


@entry_points
def test_x_that_is_not_a_tensor_is_refused(call):
    samples.assert_refused_before_f_is_called(
        TypeError,
        "x must be a torch.Tensor, got list",
        lambda f: call(f, [1.0, 2.0, 3.0]),
    )


@entry_points
def test_x_that_is_not_floating_point_is_refused(call):
    samples.assert_refused_before_f_is_called(
        TypeError,
        "x must be a floating-point tensor, got dtype torch.int64",
        lambda f: call(f, torch.tensor([1, 2, 3])),
    )


@pytest.mark.parametrize("mode", ["backward", "Reverse", None])
def test_unknown_mode_is_refused_with_the_allowed_values(mode):
    samples.assert_refused_before_f_is_called(
        ValueError,
        f"mode must be one of 'reverse', 'forward', got {mode!r}",
        lambda f: jacobian(f, X, mode=mode),
    )


@pytest.mark.parametrize(
    ("v", "error", "message"),
    [
        pytest.param([1.0, 1.0, 1.0], TypeError, "v must be a torch.Tensor, got list", id="list"),
        pytest.param(
            torch.ones(3, dtype=torch.int64),
            TypeError,
            "v must be a floating-point tensor, got dtype torch.int64",
            id="integer",
        ),
    ],
)
def test_v_that_cannot_fit_any_output_is_refused_before_f_is_called(v, error, message):
    samples.assert_refused_before_f_is_called(error, message, lambda f: vjp(f, X, v))


@pytest.mark.parametrize(
    ("v", "error", "message"),
    [
        pytest.param(
            torch.ones(2),
            ValueError,
            "v must have shape (3,) (the shape of f(x)), got (2,)",
            id="shape",
        ),
        pytest.param(
            torch.tensor(1.0),
            ValueError,
            "v must have shape (3,) (the shape of f(x)), got ()",
            id="scalar",
        ),
        pytest.param(
            torch.ones(3, dtype=torch.float64),
            TypeError,
            "v must have dtype torch.float32 (the dtype of f(x)), got torch.float64",
            id="dtype",
        ),
    ],
)
def test_v_unlike_f_x_is_refused_before_any_backward_pass(v, error, message):
    f = samples.RecordingFunction()
    with pytest.raises(error, match=re.escape(message)):
        vjp(f, X, v)
    # f(x) had to be computed to know its shape and dtype, but only once.
    assert f.calls == 1
    assert f.backward_passes == 0


@pytest.mark.parametrize(
    ("u", "error", "message"),
    [
        pytest.param([1.0, 1.0, 1.0], TypeError, "u must be a torch.Tensor, got list", id="list"),
        pytest.param(
            torch.ones(2, 3),
            ValueError,
            "u must have shape (3,) (the shape of x), got (2, 3)",
            id="shape",
        ),
        pytest.param(
            torch.ones(3, dtype=torch.float64),
            TypeError,
            "u must have dtype torch.float32 (the dtype of x), got torch.float64",
            id="dtype",
        ),
        pytest.param(
            torch.ones(3, dtype=torch.int64),
            TypeError,
            "u must have dtype torch.float32 (the dtype of x), got torch.int64",
            id="integer",
        ),
    ],
)
def test_u_unlike_x_is_refused_before_f_is_called(u, error, message):
    samples.assert_refused_before_f_is_called(error, message, lambda f: jvp(f, X, u))


@entry_points
@pytest.mark.parametrize(
    ("returns", "message"),
    [
        pytest.param(lambda x: [x], "f must return a torch.Tensor, got list", id="list"),
        pytest.param(
            lambda x: (x > 0).long(),
            "f must return a floating-point tensor, got dtype torch.int64",
            id="integer",
        ),
    ],
)
def test_f_returning_no_floating_point_tensor_is_refused(call, returns, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        call(returns, X)
