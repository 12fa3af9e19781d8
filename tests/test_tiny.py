"""Tests for autograd_guide.tiny, the engine built from scratch, checked against torch itself.

Every number tiny computes is compared with what torch computes from the same
float64 inputs: gradients with ``torch.autograd.grad``, Jacobian-vector products
with ``torch.func.jvp``. The first half checks each operation on its own; the
second runs random programs of all of them, from tests/tiny_programs.py.
"""

import re
import sys

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd_guide import tiny
from sample_functions import QUICK
from tiny_programs import arrays, programs, run, to_torch

# torch 2.13's forward mode (torch.func.jvp) loads its decompositions through the
# deprecated torch.jit.script on first use, which warns; tests calling it allow that.
TORCH_FORWARD_AD_WARNING = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)

# float64 on both sides: the engines differ only in the order of a few roundings.
RTOL = 1e-10
ATOL = 1e-12


def assert_close(actual, expected):
    expected = np.asarray(expected.detach() if isinstance(expected, torch.Tensor) else expected)
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.float64
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def sample(shape, low=-2.0, high=2.0, seed=0):
    """Deterministic float64 values of a shape (drawn, not typed, so no two entries agree)."""
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def check_against_torch(fn, *arrays, forward=True):
    """Run fn on tiny and torch tensors made from arrays; compare value, VJP and JVP."""
    # Reverse mode: the output's value, and the gradient of <v, fn(...)> for a seed v.
    leaves = [tiny.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    torch_leaves = [to_torch(a, requires_grad=True) for a in arrays]
    torch_out = fn(*torch_leaves)
    assert_close(out.data, torch_out)
    seed = sample(out.shape, seed=1)
    out.backward(seed)
    expected = torch.autograd.grad(torch_out, torch_leaves, grad_outputs=to_torch(seed))
    for leaf, grad in zip(leaves, expected, strict=True):
        assert_close(leaf.grad, grad)
    if not forward:
        return
    # Forward mode: one tiny.jvp per input (the others held still), then all at once.
    tangents = [sample(np.shape(a), seed=2 + i) for i, a in enumerate(arrays)]
    for i, (a, u) in enumerate(zip(arrays, tangents, strict=True)):

        def only_i(x, i=i, lib=tiny.Tensor):
            return fn(*[x if j == i else lib(b) for j, b in enumerate(arrays)])

        value, tangent = tiny.jvp(only_i, a, u)
        expected_value, expected_tangent = torch.func.jvp(
            lambda x, i=i: only_i(x, i, to_torch), (to_torch(a),), (to_torch(u),)
        )
        assert_close(value, expected_value)
        assert_close(tangent, expected_tangent)
    moving = [tiny.Tensor(a) for a in arrays]
    for x, u in zip(moving, tangents, strict=True):
        x.tangent = u
    _, expected_tangent = torch.func.jvp(
        fn, tuple(map(to_torch, arrays)), tuple(map(to_torch, tangents))
    )
    assert_close(fn(*moving).tangent, expected_tangent)


# --- each operation, with broadcasting ---------------------------------------------

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
# (3, 1) with (1, 4) broadcasts both ways; () with (2, 3) and (3,) with (2, 3) one way.
BROADCAST_SHAPES = [
    ((2, 3), (2, 3)),
    ((3, 1), (1, 4)),
    ((1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((3,), (2, 3)),
    ((2, 1), (3,)),
]


@TORCH_FORWARD_AD_WARNING
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_SHAPES)
@pytest.mark.parametrize("op", BINARY.values(), ids=BINARY.keys())
def test_binary_operations_match_torch_with_broadcasting(op, shape_a, shape_b):
    # b stays away from 0: it may be a divisor.
    check_against_torch(op, sample(shape_a), sample(shape_b, 0.5, 2.0, seed=5))


NUMBER = 2.5
WITH_A_NUMBER = {
    "number+x": lambda x: NUMBER + x,
    "x+number": lambda x: x + NUMBER,
    "number-x": lambda x: NUMBER - x,
    "x-number": lambda x: x - NUMBER,
    "number*x": lambda x: NUMBER * x,
    "x*number": lambda x: x * NUMBER,
    "number/x": lambda x: NUMBER / x,
    "x/number": lambda x: x / NUMBER,
    "int/x": lambda x: 3 / x,
}


@TORCH_FORWARD_AD_WARNING
@pytest.mark.parametrize("shape", [(), (2, 3)])
@pytest.mark.parametrize("op", WITH_A_NUMBER.values(), ids=WITH_A_NUMBER.keys())
def test_python_numbers_work_on_either_side(op, shape):
    check_against_torch(op, sample(shape, 0.5, 2.0))


@pytest.mark.parametrize("op", BINARY.values(), ids=BINARY.keys())
def test_numpy_arrays_work_on_either_side(op):
    # A NumPy array on the left must not turn the result into an array of Tensors.
    constant = sample((2, 1), 0.5, 2.0, seed=7)
    x = tiny.Tensor(sample((3,), 0.5, 2.0), requires_grad=True)
    torch_x = to_torch(x.data, requires_grad=True)
    for out, torch_out in [
        (op(x, constant), op(torch_x, to_torch(constant))),
        (op(constant, x), op(to_torch(constant), torch_x)),
    ]:
        assert isinstance(out, tiny.Tensor)
        assert_close(out.data, torch_out)
        out.sum().backward()
        (expected,) = torch.autograd.grad(torch_out.sum(), torch_x)
        assert_close(x.grad, expected)
        x.grad = None


UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "pow1": lambda x: x**1,
    "pow0": lambda x: x**0,
    "float-pow": lambda x: x**2.0,
    "numpy-int-pow": lambda x: x ** np.int64(2),
}


@TORCH_FORWARD_AD_WARNING
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
@pytest.mark.parametrize("op", UNARY.values(), ids=UNARY.keys())
def test_unary_operations_match_torch(op, shape):
    check_against_torch(op, sample(shape))


POSITIVE_DOMAIN = {
    "log": lambda x: x.log(),
    "reciprocal": lambda x: x**-1,
    "sqrt": lambda x: x**0.5,
    "power-2.5": lambda x: x**2.5,
    "power--1.5": lambda x: x**-1.5,
}


@TORCH_FORWARD_AD_WARNING
@pytest.mark.parametrize("shape", [(), (2, 3)])
@pytest.mark.parametrize("op", POSITIVE_DOMAIN.values(), ids=POSITIVE_DOMAIN.keys())
def test_operations_on_positive_numbers_match_torch(op, shape):
    check_against_torch(op, sample(shape, 0.5, 2.0))


@TORCH_FORWARD_AD_WARNING
@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))],
    ids=["vector@vector", "matrix@vector", "vector@matrix", "matrix@matrix"],
)
def test_matmul_matches_torch_for_vectors_and_matrices(shape_a, shape_b):
    check_against_torch(lambda a, b: a @ b, sample(shape_a), sample(shape_b, seed=3))


# --- the graph: names, leaves, diamonds, accumulation, depth ----------------------

# Named like torch's nodes without the trailing digit.
SAME_NAMES_AS_TORCH = {
    **{name: BINARY[name] for name in ["add", "mul", "div"]},
    "x+number": WITH_A_NUMBER["x+number"],
    **{name: UNARY[name] for name in ["neg", "exp", "tanh", "relu", "sum", "mean", "square"]},
    "log": POSITIVE_DOMAIN["log"],
}


@pytest.mark.parametrize("op", SAME_NAMES_AS_TORCH.values(), ids=SAME_NAMES_AS_TORCH.keys())
def test_grad_fn_names_are_torchs_without_the_digit(op):
    arrays = [sample((2,), 0.5, 2.0)] * (op.__code__.co_argcount)
    out = op(*[tiny.Tensor(a, requires_grad=True) for a in arrays])
    torch_out = op(*[to_torch(a, requires_grad=True) for a in arrays])
    assert out.grad_fn.name == re.sub(r"\d+$", "", torch_out.grad_fn.name())
    assert repr(out.grad_fn) == f"<{out.grad_fn.name}>"


@pytest.mark.parametrize(
    ("op", "name", "input_names"),
    [
        # Subtraction is addition of the negation, so the engine needs no SubBackward.
        (lambda a, b: a - b, "AddBackward", ["leaf", "NegBackward"]),
        (lambda a, b: 2.0 - b, "AddBackward", ["leaf", "NegBackward"]),
        (lambda a, b: 2.0 / b, "DivBackward", ["leaf", "leaf"]),
        # torch names @ by its kernel (DotBackward0, MvBackward0, MmBackward0); tiny has one.
        (lambda a, b: a @ b, "MatmulBackward", ["leaf", "leaf"]),
    ],
)
def test_grad_fn_names_where_tiny_is_simpler_than_torch(op, name, input_names):
    a, b = tiny.Tensor([1.0, 2.0], requires_grad=True), tiny.Tensor([3.0, 4.0], requires_grad=True)
    node = op(a, b).grad_fn
    assert node.name == name
    assert [t.grad_fn.name if t.grad_fn else "leaf" for t in node.inputs] == input_names


def test_is_leaf_and_requires_grad_agree_with_torch():
    def build(make):
        x, c = make([1.0, 2.0], True), make([3.0, 4.0], False)
        return [x, c, x * c, c * c, (c * c).exp(), x.sum(), c + 1.0]

    tensors = build(lambda data, rg: tiny.Tensor(data, requires_grad=rg))
    torch_tensors = build(lambda data, rg: to_torch(data, requires_grad=rg))
    for t, expected in zip(tensors, torch_tensors, strict=True):
        assert (t.is_leaf, t.requires_grad) == (expected.is_leaf, expected.requires_grad)
        assert (t.grad_fn is None) == (expected.grad_fn is None)


def test_grad_is_none_until_backward_and_only_on_leaves_that_require_grad():
    x, c = tiny.Tensor([1.0, 2.0], requires_grad=True), tiny.Tensor([3.0, 4.0])
    y = x * c
    assert x.grad is None
    (y * y).sum().backward()
    assert x.grad is not None
    assert c.grad is None
    assert y.grad is None  # torch keeps no gradient on non-leaves either


def test_data_is_copied_into_float64():
    array = np.array([1, 2, 3])
    x = tiny.Tensor(array)
    array[0] = 100
    assert x.data.dtype == np.float64
    assert x.data.tolist() == [1.0, 2.0, 3.0]
    assert x.shape == (3,)
    assert tiny.Tensor(2).shape == ()


@TORCH_FORWARD_AD_WARNING
def test_diamond_adds_the_gradients_of_both_paths():
    # x feeds two branches that meet again: x's gradient is the sum over both.
    def diamond(x):
        a = x.exp()
        b = x * x
        return (a * b + a / (b + 1.0)).sum()

    check_against_torch(diamond, sample((3,)))
    check_against_torch(lambda x: (x * x).sum(), sample((3,)))


def test_two_backward_calls_accumulate_like_torch():
    x = tiny.Tensor(sample((3,)), requires_grad=True)
    torch_x = to_torch(x.data, requires_grad=True)
    y, torch_y = (x * x).tanh().sum(), (torch_x * torch_x).tanh().sum()
    y.backward()
    torch_y.backward(retain_graph=True)
    first = x.grad.copy()
    y.backward()  # the same graph again: nothing was freed
    torch_y.backward()
    assert_close(x.grad, torch_x.grad)
    assert_close(x.grad, 2 * first)
    # A second graph adds into the same .grad.
    (x.exp().mean()).backward()
    torch_x.exp().mean().backward()
    assert_close(x.grad, torch_x.grad)


def test_backward_with_a_vector_seed_gives_the_vjp():
    x = tiny.Tensor(sample((2, 3)), requires_grad=True)
    torch_x = to_torch(x.data, requires_grad=True)
    v = sample((2,), seed=9)
    w = sample((3,), seed=8)
    (x.tanh() @ w).backward(v)
    (torch_x.tanh() @ to_torch(w)).backward(to_torch(v))
    assert_close(x.grad, torch_x.grad)


@TORCH_FORWARD_AD_WARNING
def test_a_chain_of_5000_operations_does_not_hit_the_recursion_limit():
    steps = 5000
    assert sys.getrecursionlimit() < steps

    def chain(x):
        for i in range(steps):
            x = (x * 0.999).tanh() if i % 2 else x + 0.001
        return x.sum()

    check_against_torch(chain, sample((3,)))


def test_jvp_records_no_graph():
    seen = []

    def f(x):
        y = (x * x).exp()
        seen.extend([x, y])
        return y

    tiny.jvp(f, [1.0, 2.0], [1.0, 0.0])
    assert all(not t.requires_grad and t.grad_fn is None for t in seen)
    assert seen[1].tangent is not None


@TORCH_FORWARD_AD_WARNING
def test_jvp_of_a_function_that_ignores_x_is_zero():
    value, tangent = tiny.jvp(lambda x: tiny.Tensor([1.0, 2.0]), [3.0], [1.0])
    expected_value, expected_tangent = torch.func.jvp(
        lambda x: to_torch([1.0, 2.0]), (to_torch([3.0]),), (to_torch([1.0]),)
    )
    assert_close(value, expected_value)
    assert_close(tangent, expected_tangent)


# --- errors --------------------------------------------------------------------------


def torch_error_message(call):
    with pytest.raises(RuntimeError) as info:
        call()
    return str(info.value)


def test_backward_of_a_non_scalar_without_gradient_says_what_torch_says():
    message = torch_error_message(lambda: (to_torch([1.0, 2.0], requires_grad=True) * 2).backward())
    x = tiny.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        (x * 2).backward()
    assert x.grad is None


def test_backward_of_a_tensor_without_grad_says_what_torch_says():
    message = torch_error_message(lambda: (to_torch(1.0) * 2).backward())
    with pytest.raises(RuntimeError, match=f"^{re.escape(message)}$"):
        (tiny.Tensor(1.0) * 2).backward()


@pytest.mark.parametrize("gradient", [[1.0, 2.0, 3.0], 1.0, [[1.0, 2.0]]])
def test_backward_refuses_a_gradient_of_another_shape(gradient):
    x = tiny.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient must have shape \(2,\)"):
        (x * 2).backward(gradient)
    assert x.grad is None


@pytest.mark.parametrize("gradient", ["ab", [True, False], tiny.Tensor([1.0, 1.0])])
def test_backward_refuses_a_gradient_that_is_not_numbers(gradient):
    with pytest.raises(TypeError, match="gradient"):
        (tiny.Tensor([1.0, 2.0], requires_grad=True) * 2).backward(gradient)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("1.0", TypeError),
        (True, TypeError),
        ([True, False], TypeError),
        (np.array([True]), TypeError),
        ([[1.0, 2.0], [3.0]], ValueError),
        (tiny.Tensor([1.0]), TypeError),
        (None, TypeError),
        (1 + 2j, TypeError),
        ({"a": 1}, TypeError),
    ],
    ids=[
        "string",
        "bool",
        "bool-list",
        "bool-array",
        "ragged",
        "tensor",
        "none",
        "complex",
        "dict",
    ],
)
def test_bad_data_is_refused_naming_data(data, error):
    with pytest.raises(error, match=r"^data must"):
        tiny.Tensor(data)


@pytest.mark.parametrize("flag", [1, "yes", None, np.True_])
def test_requires_grad_must_be_a_bool(flag):
    with pytest.raises(TypeError, match=r"^requires_grad must be True or False"):
        tiny.Tensor(1.0, requires_grad=flag)


@pytest.mark.parametrize("exponent", ["2", [2], tiny.Tensor(2.0), True, None])
def test_power_needs_a_real_number_exponent(exponent):
    with pytest.raises(TypeError, match=r"^exponent must be a real number"):
        tiny.Tensor(2.0, requires_grad=True) ** exponent


@pytest.mark.parametrize("other", ["a", [True], [[1.0], [2.0, 3.0]]])
def test_operators_name_a_bad_operand(other):
    with pytest.raises((TypeError, ValueError), match=r"^other must"):
        tiny.Tensor([1.0]) + other


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "message"),
    [
        ((), (3,), "@ takes vectors and matrices"),
        ((2, 2, 2), (2,), "@ takes vectors and matrices"),
        ((2, 3), (2,), "@ needs matching inner sizes"),
        ((3,), (2, 3), "@ needs matching inner sizes"),
    ],
)
def test_matmul_refuses_shapes_it_cannot_multiply(shape_a, shape_b, message):
    with pytest.raises(ValueError, match=message):
        tiny.Tensor(np.ones(shape_a)) @ tiny.Tensor(np.ones(shape_b))


def test_jvp_refuses_a_function_that_is_not_callable():
    with pytest.raises(TypeError, match=r"^f must be callable"):
        tiny.jvp("exp", [1.0], [1.0])


@pytest.mark.parametrize("u", [[1.0, 2.0, 3.0], 1.0, [[1.0, 2.0]]])
def test_jvp_refuses_u_of_another_shape(u):
    calls = []
    with pytest.raises(ValueError, match=r"^u must have the shape of x, \(2,\)"):
        tiny.jvp(calls.append, [1.0, 2.0], u)
    assert calls == []  # refused before f runs


@pytest.mark.parametrize("result", [1.0, np.array([1.0, 2.0]), None])
def test_jvp_refuses_a_function_that_does_not_return_a_tensor(result):
    with pytest.raises(TypeError, match=r"^f must return a tiny.Tensor"):
        tiny.jvp(lambda x: result, [1.0, 2.0], [1.0, 0.0])


@pytest.mark.parametrize(
    ("x", "u", "name"),
    [
        (tiny.Tensor([1.0]), [1.0], "x"),
        ("1", [1.0], "x"),
        ([1.0], ["a"], "u"),
        ([1.0], [True], "u"),
    ],
)
def test_jvp_names_a_bad_point_or_direction(x, u, name):
    with pytest.raises(TypeError, match=f"^{name} must"):
        tiny.jvp(lambda t: t, x, u)


# --- torch tensors, tangents, requires_grad: refused by name -----------------------

OPERATORS = {**BINARY, "matmul": lambda a, b: a @ b}


@pytest.mark.parametrize("torch_requires_grad", [False, True])
@pytest.mark.parametrize("op", OPERATORS.values(), ids=OPERATORS.keys())
def test_a_torch_tensor_is_refused_naming_other_on_either_side(op, torch_requires_grad):
    # Taken as a constant, it would lose its graph without a word.
    x = tiny.Tensor([1.0, 2.0], requires_grad=True)
    t = to_torch([1.0, 2.0], requires_grad=torch_requires_grad)
    with pytest.raises(TypeError, match=r"^other must be a number, a nested list or a NumPy"):
        op(x, t)
    if op is OPERATORS["matmul"]:
        # tiny has no __rmatmul__: Python's own refusal, which names no argument.
        with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @"):
            op(t, x)
    else:
        with pytest.raises(TypeError, match=r"^other must be a number, a nested list or a NumPy"):
            op(t, x)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_a_torch_tensor_is_refused_as_data(requires_grad):
    with pytest.raises(TypeError, match=r"^data must be a number, a nested list or a NumPy"):
        tiny.Tensor(to_torch([1.0], requires_grad=requires_grad))


@pytest.mark.parametrize(
    ("tangent", "error", "message"),
    [
        ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], ValueError, r"tangent must have shape \(2,\)"),
        ([1.0, 2.0, 3.0], ValueError, r"tangent must have shape \(2,\), got \(3,\)"),
        (1.0, ValueError, r"tangent must have shape \(2,\), got \(\)"),  # not broadcast
        (["a", "b"], TypeError, "tangent must hold real numbers"),
        ([True, False], TypeError, "tangent must hold"),
        ("ab", TypeError, "tangent must be a number"),
        (to_torch([1.0, 2.0]), TypeError, "tangent must be a number"),
    ],
    ids=["3x2", "longer", "scalar", "strings", "bools", "string", "torch"],
)
def test_a_bad_tangent_is_refused_naming_tangent(tangent, error, message):
    x = tiny.Tensor([1.0, 2.0])
    with pytest.raises(error, match=f"^{message}"):
        x.tangent = tangent
    assert x.tangent is None


def test_a_tangent_is_copied_into_float64():
    x, u = tiny.Tensor([1.0, 2.0]), np.array([3, 4])
    x.tangent = u
    u[0] = 100
    assert x.tangent.dtype == np.float64
    assert x.tangent.tolist() == [3.0, 4.0]
    x.tangent = None
    assert x.tangent is None


@pytest.mark.parametrize("flag", [1, "yes", None, np.True_])
def test_requires_grad_set_later_must_be_a_bool(flag):
    x = tiny.Tensor(1.0)
    with pytest.raises(TypeError, match=r"^requires_grad must be True or False"):
        x.requires_grad = flag
    assert x.requires_grad is False
    x.requires_grad = True
    assert x.requires_grad is True


def test_repr_shows_what_torchs_shows():
    x = tiny.Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1.0, 2.0], requires_grad=True)"
    assert repr(x * 2) == "tensor([2.0, 4.0], grad_fn=<MulBackward>)"
    assert repr(tiny.Tensor(3.0)) == "tensor(3.0)"
    torch_x = to_torch([1.0, 2.0], requires_grad=True)
    assert repr(torch_x).endswith(", requires_grad=True)")
    assert repr(torch_x * 2).endswith(", grad_fn=<MulBackward0>)")


# --- inf and nan: no warning, torch's values -----------------------------------------

# pyproject's filterwarnings = error makes any NumPy RuntimeWarning fail these tests.
# (name, function, where): each reaches inf or nan at the point given, as torch does.
OVERFLOWS = {
    "log(0)": (lambda x: x.log(), [0.0, 1.0]),
    "log(-1)": (lambda x: x.log(), [-1.0, 1.0]),
    "1/0": (lambda x: 1.0 / x, [0.0, 2.0]),
    "[1]/0": (lambda x: tiny_or_torch(x, [1.0]) / x, [0.0, 2.0]),
    "x/0": (lambda x: x / (x * 0.0), [0.0, 2.0]),
    "exp(1000)": (lambda x: x.exp(), [1000.0, 1.0]),
    "0**-1": (lambda x: x**-1, [0.0, 2.0]),
    "0**-1.5": (lambda x: x**-1.5, [0.0, 2.0]),
    "0**0.5": (lambda x: x**0.5, [0.0, 4.0]),
    "0*inf in the vjp": (lambda x: x.exp() * 0.0, [1000.0, 1.0]),
    "inf-inf": (lambda x: x.exp() - x.exp(), [1000.0, 1.0]),
}


def tiny_or_torch(like, data):
    """A constant of the engine of ``like``."""
    return tiny.Tensor(data) if isinstance(like, tiny.Tensor) else to_torch(data)


@TORCH_FORWARD_AD_WARNING
@pytest.mark.parametrize(("op", "at"), OVERFLOWS.values(), ids=OVERFLOWS.keys())
def test_inf_and_nan_come_without_a_warning_as_in_torch(op, at):
    x = to_torch(at, requires_grad=True)
    (grad,) = torch.autograd.grad(op(x).sum(), x)
    assert not (torch.isfinite(op(x)).all() and torch.isfinite(grad).all())  # it is reached
    check_against_torch(op, np.array(at), forward=op not in CONSTANT_OVER_ZERO)


# tiny's JVP of c / x at x = 0 is nan, torch's inf: tiny multiplies the constant's zero
# tangent by inf (0 * inf), torch leaves out the term of an input without a tangent.
CONSTANT_OVER_ZERO = [OVERFLOWS["1/0"][0], OVERFLOWS["[1]/0"][0]]


@TORCH_FORWARD_AD_WARNING
# A known difference: tiny's JVP rules multiply the zero tangent of a constant, so 0 * inf = nan
# where torch, which leaves out the terms of inputs without a tangent, gives -inf.
@pytest.mark.xfail(strict=True, reason="tiny multiplies a constant's zero tangent by inf")
@pytest.mark.parametrize("op", CONSTANT_OVER_ZERO, ids=["1/0", "[1]/0"])
def test_the_jvp_of_a_constant_over_zero_is_torchs(op):
    value, tangent = tiny.jvp(op, [0.0], [1.0])
    expected = torch.func.jvp(op, (to_torch([0.0]),), (to_torch([1.0]),))
    assert_close(value, expected[0])
    assert_close(tangent, expected[1])


def test_the_mean_of_no_numbers_is_nan_without_a_warning_as_in_torch():
    x = tiny.Tensor(np.zeros(0), requires_grad=True)
    torch_x = to_torch(np.zeros(0), requires_grad=True)
    out, torch_out = x.mean(), torch_x.mean()
    assert_close(out.data, torch_out)
    out.backward()
    torch_out.backward()
    assert_close(x.grad, torch_x.grad)


@TORCH_FORWARD_AD_WARNING
def test_relu_has_torchs_slope_at_zero_and_passes_nan_on():
    check_against_torch(lambda x: x.relu(), np.array([np.nan, -1.0, 0.0, 1.0]))
    x = tiny.Tensor([np.nan], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [1.0]  # the slope at NaN is 1: a NaN gradient stays NaN


def test_jvp_returns_arrays_of_its_own():
    # f returns a tensor that outlives the call: the caller gets copies of its arrays.
    kept = tiny.Tensor([1.0, 2.0])
    kept.tangent = [3.0, 4.0]
    x, u = np.array([0.5]), np.array([1.0])
    value, tangent = tiny.jvp(lambda t: kept, x, u)
    value[0], tangent[0] = 100.0, 100.0
    again = tiny.jvp(lambda t: kept, x, u)
    assert [a.tolist() for a in again] == [[1.0, 2.0], [3.0, 4.0]]
    assert (kept.data.tolist(), kept.tangent.tolist()) == ([1.0, 2.0], [3.0, 4.0])
    value, tangent = tiny.jvp(lambda t: t, x, u)
    value[0], tangent[0] = 100.0, 100.0
    assert (x.tolist(), u.tolist()) == ([0.5], [1.0])


# --- random programs -----------------------------------------------------------------
#
# tests/tiny_programs.py generates them (see there); test_graph_tiny.py draws them.


def relu_inputs_agree(program, values, torch_values):
    """Whether tiny and torch see the same sign at every relu's input.

    exp, log and tanh may round differently in NumPy and torch; where a value is
    0 in one and 1e-17 in the other, relu's slope (0 or 1) differs for a reason
    that is no engine's fault, so such programs are not compared.
    """
    for step in program.steps:
        if step.op == "relu":
            i = step.args[0].index
            if not np.array_equal(values[i].data > 0, (torch_values[i] > 0).numpy()):
                return False
    return True


def torch_program_is_finite(torch_values, grads=()):
    return all(torch.isfinite(t).all() for t in [*torch_values, *grads] if t is not None)


def program_arrays(program, draw):
    return [draw(arrays(shape)) for shape in program.input_shapes]


def backward_matches_torch(program, data, output):
    """Run program on tiny and torch; backward from values[output], checked against torch.

    From the scalar output (-1) with no seed; from another value with a drawn
    seed v of its shape, so that backward gives the VJP. Returns tiny's inputs
    and torch's gradients.
    """
    arrays_ = program_arrays(program, data.draw)
    torch_inputs = [to_torch(a, requires_grad=True) for a in arrays_]
    torch_values = run(program, torch_inputs, to_torch)
    seed = None if output == -1 else data.draw(arrays(tuple(torch_values[output].shape)))
    expected = torch.autograd.grad(
        torch_values[output],
        torch_inputs,
        grad_outputs=None if seed is None else to_torch(seed),
        allow_unused=True,
    )
    assume(torch_program_is_finite(torch_values, expected))
    inputs = [tiny.Tensor(a, requires_grad=True) for a in arrays_]
    values = run(program, inputs, tiny.Tensor)
    assume(relu_inputs_agree(program, values, torch_values))
    for value, torch_value in zip(values, torch_values, strict=True):
        assert_close(value.data, torch_value)
    values[output].backward(seed)
    for x, grad in zip(inputs, expected, strict=True):
        # An input the output does not depend on gets no gradient in either engine.
        if grad is None:
            assert x.grad is None
        else:
            assert_close(x.grad, grad)
    return inputs, values, expected


# 200 programs a test: the three take about 3 s of CPU together (2.5 s on an idle
# 2-core machine, 17 s of wall time at a load average of 4 on 2 cores).
PROGRAMS = settings(QUICK, max_examples=200)


@PROGRAMS
@given(program=programs(), data=st.data())
def test_random_programs_have_torchs_gradients(program, data):
    inputs, values, expected = backward_matches_torch(program, data, -1)
    # A second pass over the same graph adds the same gradients again.
    values[-1].backward()
    for x, grad in zip(inputs, expected, strict=True):
        if grad is not None:
            assert_close(x.grad, 2 * grad)


@PROGRAMS
@given(program=programs(), data=st.data())
def test_random_programs_have_torchs_vjps(program, data):
    # backward(v) from the value before the final sum: v has that value's shape.
    backward_matches_torch(program, data, -2)


@TORCH_FORWARD_AD_WARNING
@PROGRAMS
@given(program=programs(), data=st.data())
def test_random_programs_have_torchs_jvps(program, data):
    arrays_ = program_arrays(program, data.draw)
    tangents = [data.draw(arrays(a.shape)) for a in arrays_]
    n = len(arrays_)
    # Every value's tangent at once, with every input moving.
    torch_values, torch_tangents = torch.func.jvp(
        lambda *xs: tuple(run(program, xs, to_torch)[n:]),
        tuple(map(to_torch, arrays_)),
        tuple(map(to_torch, tangents)),
    )
    assume(torch_program_is_finite([*torch_values, *torch_tangents]))
    inputs = [tiny.Tensor(a) for a in arrays_]
    for x, u in zip(inputs, tangents, strict=True):
        x.tangent = u
    values = run(program, inputs, tiny.Tensor)
    assume(relu_inputs_agree(program, values, [*map(to_torch, arrays_), *torch_values]))
    for value, torch_value, torch_tangent in zip(
        values[n:], torch_values, torch_tangents, strict=True
    ):
        assert_close(value.data, torch_value)
        assert_close(value.tangent, torch_tangent)
    # tiny.jvp along one input, the others held still.
    i = data.draw(st.integers(0, n - 1))

    def along_input_i(constant):
        def f(x):
            others = [x if j == i else constant(a) for j, a in enumerate(arrays_)]
            return run(program, others, constant)[-1]

        return f

    value, tangent = tiny.jvp(along_input_i(tiny.Tensor), arrays_[i], tangents[i])
    expected_value, expected_tangent = torch.func.jvp(
        along_input_i(to_torch), (to_torch(arrays_[i]),), (to_torch(tangents[i]),)
    )
    assert_close(value, expected_value)
    assert_close(tangent, expected_tangent)
