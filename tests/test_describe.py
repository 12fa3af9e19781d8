"""Tests for describe: a tensor's autograd state, read without torch's warnings."""

import dataclasses
import re
import warnings

import pytest
import torch

from autograd_guide import TensorState, describe


def no_warnings(call):
    """call() with every warning recorded, whatever the test run's own filters."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    assert [str(warning.message) for warning in caught] == []
    return result


# --- leaves -------------------------------------------------------------------------


def test_leaf_before_backward_has_no_grad():
    x = torch.ones(2, 2, requires_grad=True)
    state = describe(x)
    assert state.shape == (2, 2)
    assert state.dtype == torch.float32
    assert state.requires_grad is True
    assert state.is_leaf is True
    assert state.grad_fn is None
    assert state.grad is None


def test_leaf_after_backward_shows_its_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    state = describe(x)
    assert torch.equal(state.grad, torch.tensor([2.0, 4.0]))
    assert repr(state).splitlines()[-1] == "grad           tensor([2., 4.])"


def test_grad_is_a_copy_that_later_backward_passes_leave_alone():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    state = describe(x)
    assert state.grad is not x.grad
    (x * x).sum().backward()  # accumulates into x.grad in place
    assert torch.equal(x.grad, torch.tensor([4.0, 8.0]))
    assert torch.equal(state.grad, torch.tensor([2.0, 4.0]))


def test_grad_that_has_a_graph_is_shown_detached():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    x.grad = w * 2  # a .grad with a graph, as backward(create_graph=True) leaves it
    state = describe(x)
    assert state.grad.grad_fn is None
    assert not state.grad.requires_grad
    assert x.grad.grad_fn is not None


def test_plain_tensor_is_a_leaf_that_requires_no_grad():
    state = describe(torch.arange(3))
    assert (state.shape, state.dtype) == ((3,), torch.int64)
    assert (state.requires_grad, state.is_leaf, state.grad_fn, state.grad) == (
        False,
        True,
        None,
        None,
    )


# --- non-leaves ---------------------------------------------------------------------


def test_non_leaf_without_retain_grad_has_no_grad_and_raises_no_warning():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward()
    state = no_warnings(lambda: describe(y))
    assert state.is_leaf is False
    assert state.grad_fn == "MulBackward0"
    assert state.grad is None


def test_warning_filters_are_restored_after_describe():
    # describe silences torch's warning only while it reads .grad itself.
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    filters = list(warnings.filters)
    describe(y)
    assert warnings.filters == filters
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None


def test_non_leaf_with_retain_grad_shows_its_grad():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert no_warnings(lambda: describe(y)).grad is None  # before backward
    (y * y).sum().backward()
    state = no_warnings(lambda: describe(y))
    assert state.is_leaf is False
    assert torch.equal(state.grad, torch.tensor([4.0, 4.0]))


def test_non_leaf_with_a_grad_assigned_by_hand_shows_it():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    y.grad = torch.tensor([5.0, 6.0])
    assert torch.equal(no_warnings(lambda: describe(y)).grad, torch.tensor([5.0, 6.0]))


def test_result_computed_under_no_grad_is_a_leaf_without_grad_fn():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    state = describe(y)
    assert (state.requires_grad, state.is_leaf, state.grad_fn, state.grad) == (
        False,
        True,
        None,
        None,
    )


def test_describe_leaves_the_tensor_untouched():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    grad_fn = y.grad_fn
    describe(y)
    describe(x)
    assert y.grad_fn is grad_fn
    assert not y.retains_grad
    assert x.grad is None


# --- the table ----------------------------------------------------------------------


def test_non_leaf_prints_as_an_aligned_table():
    x = torch.ones(2, 2, requires_grad=True)
    assert repr(describe(x + 2)) == (
        "shape          (2, 2)\n"
        "dtype          torch.float32\n"
        "requires_grad  True\n"
        "is_leaf        False\n"
        "grad_fn        AddBackward0\n"
        "grad           None"
    )


def test_multi_line_grad_is_indented_under_its_label():
    x = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    (3 * x).sum().backward()
    assert repr(describe(x)) == (
        "shape          (2, 2)\n"
        "dtype          torch.float64\n"
        "requires_grad  True\n"
        "is_leaf        True\n"
        "grad_fn        None\n"
        "grad\n"
        "    tensor([[3., 3.],\n"
        "            [3., 3.]], dtype=torch.float64)"
    )


def test_str_is_the_table_too():
    state = describe(torch.ones(3, requires_grad=True))
    assert str(state) == repr(state)


def test_table_is_the_same_for_the_same_state():
    first = repr(describe(torch.ones(2, requires_grad=True) * 3))
    second = repr(describe(torch.ones(2, requires_grad=True) * 3))
    assert first == second
    assert "0x" not in first


def test_state_has_no_html_form():
    # The pages pin the text form; an HTML form would be shown instead of it.
    assert not hasattr(describe(torch.ones(1)), "_repr_html_")


# --- the record ---------------------------------------------------------------------


def test_state_is_frozen():
    state = describe(torch.ones(1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.is_leaf = False


def test_state_records_the_moment_it_was_taken():
    x = torch.tensor([1.0], requires_grad=True)
    before = describe(x)
    (2 * x).sum().backward()
    assert before.grad is None
    assert isinstance(before, TensorState)


# --- bad arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_name"),
    [([1.0, 2.0], "list"), (3.0, "float"), (None, "NoneType")],
)
def test_non_tensor_is_refused(value, type_name):
    with pytest.raises(
        TypeError, match=re.escape(f"tensor must be a torch.Tensor, got {type_name}")
    ):
        describe(value)
