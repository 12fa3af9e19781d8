"""Tests for record_gradients: what its hooks record, checked against torch, and its lifetime.

What draw_graph shows of a record is tested in test_graph.py.
"""

import gc
import re

import pytest
import torch

from autograd_guide import GradientRecord, draw_graph, record_gradients
from autograd_guide import gradients as gradients_module


def diamond():
    x = torch.tensor(0.5, requires_grad=True)
    y = 2 * x
    e = y.exp()
    s = y.sin()
    return x, y, e, s, e + s


def test_each_node_receives_what_torch_autograd_grad_gives_for_its_output():
    x, y, e, s, out = diamond()
    with record_gradients(out) as record:
        out.backward(retain_graph=True)
    for tensor in (out, e, s, y):
        (expected,) = torch.autograd.grad(out, tensor, retain_graph=True)
        (received,) = record.grad_outputs(tensor.grad_fn)
        assert torch.allclose(received, expected), tensor.grad_fn
    accumulate = y.grad_fn.next_functions[0][0]
    assert torch.equal(record.grad_outputs(accumulate)[0], x.grad)
    assert record.grad_inputs(accumulate) == ()  # a leaf passes nothing on


def test_each_node_passes_on_the_vjp_of_its_operation():
    x, y, e, s, out = diamond()
    with record_gradients(out) as record:
        out.backward(retain_graph=True)
    cases = [
        (e.grad_fn, torch.exp, (y,)),
        (s.grad_fn, torch.sin, (y,)),
        (out.grad_fn, torch.add, (e, s)),
    ]
    for node, f, inputs in cases:
        _, vjp_fn = torch.func.vjp(f, *(t.detach() for t in inputs))
        expected = vjp_fn(*record.grad_outputs(node))
        passed = record.grad_inputs(node)
        assert len(passed) == len(expected) == len(node.next_functions)
        for got, want in zip(passed, expected, strict=True):
            assert torch.allclose(got, want), node
    # 2 * x: the constant 2 needs no gradient, so torch passes None towards it.
    assert y.grad_fn.next_functions[1][0] is None
    grad_x, no_grad = record.grad_inputs(y.grad_fn)
    assert no_grad is None
    assert torch.allclose(grad_x, x.grad)


def test_recording_changes_no_gradient():
    def run(record):
        x, *_, out = diamond()
        if record:
            with record_gradients(out):
                out.backward()
        else:
            out.backward()
        return x.grad

    assert torch.equal(run(record=True), run(record=False))


def test_several_passes_are_summed_and_counted():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seeds = [torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0]), torch.tensor([1.0, 1.0])]
    with record_gradients(y) as record:
        for seed in seeds:
            y.backward(seed, retain_graph=True)
    assert record.passes == 3
    assert record.calls(y.grad_fn) == 3
    assert torch.equal(record.grad_outputs(y.grad_fn)[0], sum(seeds))
    # What torch adds into .grad is the same sum.
    assert torch.equal(record.grad_inputs(y.grad_fn)[0], x.grad)
    assert repr(record) == "<GradientRecord: 2 nodes, 3 backward passes>"


def test_leaving_the_block_removes_the_hooks_and_keeps_the_record():
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 2
    with record_gradients(y) as record:
        assert record.active
        y.backward(retain_graph=True)
    assert not record.active
    y.backward(retain_graph=True)  # not recorded any more
    assert record.passes == 1
    assert torch.equal(record.grad_outputs(y.grad_fn)[0], torch.tensor(1.0))
    record.remove()  # a second removal does nothing


def test_without_with_the_hooks_stay_until_removed():
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 2
    record = record_gradients(y)
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    assert record.passes == 2
    record.remove()
    y.backward()
    assert record.passes == 2


def test_gradients_are_detached_copies_even_with_create_graph():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**3
    with record_gradients(y) as record:
        (grad,) = torch.autograd.grad(y, x, create_graph=True)
    (passed,) = record.grad_inputs(y.grad_fn)
    assert grad.requires_grad
    assert not passed.requires_grad
    assert torch.equal(passed, grad.detach())


def test_a_record_is_found_by_draw_graph_without_keeping_the_handle():
    x = torch.tensor(1.0, requires_grad=True)
    y = x.exp()
    with record_gradients(y):
        y.backward()
    gc.collect()
    assert draw_graph(y, grads=True).arrows[0][2] == "1"


def test_records_go_with_their_tensors_so_many_graphs_leak_nothing():
    gc.collect()
    before = len(gradients_module._LIVE)
    x = torch.ones(3, requires_grad=True)
    for _ in range(200):
        y = (x.exp() * 2).sum()
        with record_gradients(y):
            y.backward()
    del y
    gc.collect()
    assert len(gradients_module._LIVE) == before


def test_a_dropped_record_does_not_break_backward():
    # The hooks hold the record weakly: without it they do nothing.
    x = torch.tensor(1.0, requires_grad=True)
    y = x * 2
    record_gradients(y)  # handle dropped at once, hooks still registered
    gradients_module._LIVE.clear()
    gc.collect()
    y.backward()
    assert x.grad == 2


def test_record_of_a_leaf_hooks_its_accumulate_grad_node():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with record_gradients(x) as record:
        (x * 4).sum().backward()
    assert record.node_names == ("AccumulateGrad",)
    node = torch.autograd.graph.get_gradient_edge(x).node
    assert torch.equal(record.grad_outputs(node)[0], x.grad)


def test_nodes_are_walked_breadth_first_each_once():
    x = torch.tensor(1.0, requires_grad=True)
    y = x + 1
    z = y * y
    record = record_gradients(z)
    assert record.node_names == ("MulBackward0", "AddBackward0", "AccumulateGrad")
    assert repr(record) == "<GradientRecord: 3 nodes, 0 backward passes>"
    assert record.grad_outputs(z.grad_fn) is None  # never ran
    record.remove()


def test_a_node_of_another_graph_is_refused_by_name():
    x = torch.tensor(1.0, requires_grad=True)
    with record_gradients(x * 2) as record:
        pass
    other = (x + 1).grad_fn
    with pytest.raises(
        ValueError, match=re.escape("node AddBackward0 is not in the recorded graph")
    ):
        record.grad_outputs(other)
    with pytest.raises(
        TypeError, match=re.escape("node must be a torch.autograd.graph.Node, got str")
    ):
        record.calls("AddBackward0")
    assert other not in record
    assert "x" not in record


def test_non_tensor_is_refused():
    with pytest.raises(TypeError, match=re.escape("tensor must be a torch.Tensor, got list")):
        record_gradients([1.0])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: torch.ones(2), id="plain"),
        pytest.param(lambda: torch.ones(2, requires_grad=True).detach(), id="detached"),
    ],
)
def test_tensor_without_requires_grad_is_refused(make):
    with pytest.raises(
        ValueError, match=re.escape("tensor has no autograd graph: requires_grad is False")
    ):
        record_gradients(make())


def test_record_is_exported():
    x = torch.tensor(1.0, requires_grad=True)
    with record_gradients(x * 2) as record:
        assert isinstance(record, GradientRecord)
