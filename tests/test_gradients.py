"""Tests for record_gradients: what its hooks record, checked against torch, and its lifetime.

What draw_graph shows of a record is tested in test_graph.py.
"""

import gc
import re
import weakref

import pytest
import torch
from torch.autograd.graph import get_gradient_edge

import autograd_guide
from autograd_guide import GradientRecord, draw_graph, record_gradients
from autograd_guide import gradients as gradients_module
from autograd_guide import graph as graph_module


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


def test_a_leafs_gradient_is_copied_each_pass_not_shared_with_its_grad():
    # AccumulateGrad may keep the very tensor it received as .grad and add later
    # passes into it in place; the record must hold copies.
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = (x * 3).sum()
    accumulate = get_gradient_edge(x).node
    seeds = [torch.tensor(1.0), torch.tensor(2.0)]
    with record_gradients(out) as record:
        for seed in seeds:
            out.backward(seed, retain_graph=True)
    per_pass = [torch.autograd.grad(out, x, seed, retain_graph=True)[0] for seed in seeds]
    assert record.calls(accumulate) == 2
    assert torch.equal(record.grad_outputs(accumulate)[0], per_pass[0] + per_pass[1])
    x.grad.zero_()  # as an optimizer's zero_grad(set_to_none=False) does
    assert torch.equal(record.grad_outputs(accumulate)[0], per_pass[0] + per_pass[1])
    # After one pass the record holds what AccumulateGrad received: not .grad itself.
    x.grad = None
    with record_gradients(out) as once:
        out.backward()
    x.grad.zero_()
    assert torch.equal(once.grad_outputs(accumulate)[0], per_pass[0])


def test_passes_count_the_runs_of_the_tensors_own_node_not_of_a_shared_leaf():
    # The hooks stay without a with block; later graphs of the same leaf run
    # through the leaf's AccumulateGrad node, which the record hooked.
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = (x * 2).sum()
    record = record_gradients(out)
    out.backward(retain_graph=True)
    for _ in range(3):
        (x * 5).sum().backward()
    record.remove()
    accumulate = get_gradient_edge(x).node
    assert record.passes == 1
    assert repr(record) == "<GradientRecord: 3 nodes, 1 backward pass>"
    # What reached x from out alone, not the 3 * 5 of the other graphs.
    assert record.calls(accumulate) == 1
    assert torch.equal(record.grad_outputs(accumulate)[0], torch.autograd.grad(out, x)[0])
    assert x.grad.tolist() == [17.0, 17.0]  # .grad keeps them all


def test_a_pass_of_another_graph_through_a_shared_node_is_not_recorded():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    out = y.sin().sum()
    other = y.cos().sum()
    record = record_gradients(out)
    other.backward(retain_graph=True)  # before out's pass: through y's node, not out's
    out.backward(retain_graph=True)
    other.backward(retain_graph=True)  # and after it
    record.remove()
    assert record.passes == 1
    assert record.calls(y.grad_fn) == 1
    (expected,) = torch.autograd.grad(out, y, retain_graph=True)
    assert torch.equal(record.grad_outputs(y.grad_fn)[0], expected)
    assert torch.equal(record.grad_inputs(y.grad_fn)[0], 2 * expected)


def test_a_pass_from_a_later_tensor_through_the_recorded_one_is_recorded():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    with record_gradients(y) as record:
        y.sum().backward(retain_graph=True)
        (y * 3).sum().backward()
    assert record.passes == 2
    assert torch.equal(record.grad_outputs(y.grad_fn)[0], torch.full((2,), 4.0))
    assert torch.equal(record.grad_inputs(y.grad_fn)[0], x.grad)


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


def test_a_leaf_is_refused_it_has_no_graph_of_its_own_to_record():
    # Its only node, AccumulateGrad, is shared by every graph that uses the leaf
    # and holds the leaf itself: a record of it would count every graph's passes
    # and keep the leaf alive for good.
    gc.collect()
    before = len(gradients_module._LIVE)
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        ValueError,
        match=re.escape("tensor is a leaf, so it has no graph of its own to record"),
    ):
        record_gradients(x)
    alive = weakref.ref(x)
    del x
    gc.collect()
    assert alive() is None
    assert len(gradients_module._LIVE) == before


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


@pytest.mark.parametrize("module", [gradients_module, graph_module])
def test_every_public_name_of_the_modules_is_exported(module):
    # The package's face is __all__: a public name outside it is either private or missing.
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }
    assert defined == set(module.__all__)
    assert set(module.__all__) <= set(autograd_guide.__all__)


def test_the_record_and_the_drawing_walk_the_same_nodes_in_the_same_order():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    y = x * b + 2
    out = (y * y.exp()).sum() + (x.sin() * b).mean()
    with record_gradients(out) as record:
        pass
    sites, _ = graph_module._walk(out, {})
    assert [site.node for site in sites[1:]] == list(record._nodes)
    # Breadth first, each node once: as torch's own next_functions give them, level by level.
    assert record.node_names[:3] == ("AddBackward0", "SumBackward0", "MeanBackward0")
