"""Tests for draw_graph on a tiny tensor: the same picture as torch's drawing of the same computation.

Each computation is written once, as a function of the engine's tensors, and
run on torch and on tiny with the same data. Where tiny records an operation as
torch does, the two drawings are the same text (DOT, alt text, labels, arrows)
once torch's node names are mapped to tiny's: the trailing digit dropped
(``MulBackward0`` is ``MulBackward``), and torch's three matrix products
(``MmBackward0``, ``MvBackward0``, ``DotBackward0``) all tiny's ``MatmulBackward``.
Where tiny records it differently (``a - b``), the difference is spelled out.
"""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from hypothesis import given

from autograd_guide import draw_graph, tiny
from sample_functions import QUICK
from tiny_programs import RECORDED_AS_TORCH, programs, to_torch
from tiny_programs import run as run_program

SVG = "{http://www.w3.org/2000/svg}"
TORCH_NODE = re.compile(r"\b([A-Z]\w*Backward)\d+\b")
MATRIX_PRODUCTS = {"MmBackward", "MvBackward", "DotBackward"}


def as_tiny(text):
    """Text of a torch drawing with torch's node names written as tiny names them."""

    def renamed(match):
        name = match.group(1)
        return "MatmulBackward" if name in MATRIX_PRODUCTS else name

    return TORCH_NODE.sub(renamed, text)


def tiny_leaf(data):
    return tiny.Tensor(data, requires_grad=True)


# Each computation: (leaves' data, constants' data, f(leaves, constants) -> output).
# The same f runs on torch tensors and on tiny tensors.
COMPUTATIONS = {
    # y is reached along both arrows of y * y: one box, two arrows.
    "diamond": (
        {"x": [0.5, -1.0, 2.0]},
        {},
        lambda v, c: ((y := v["x"].exp()) * y).sum(),
    ),
    # A (2, 3) constant broadcast against x of shape (3,) and a bias of shape (2, 1);
    # Python numbers on both sides of the operators.
    "broadcasting with constants": (
        {"x": [1.0, 2.0, 3.0], "b": [[0.5], [-0.5]]},
        {"c": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]},
        lambda v, c: (((v["x"] * c["c"] + v["b"]) / 2.0).tanh() + 1).mean(),
    ),
    "matrix times matrix": (
        {"A": [[1.0, -2.0, 3.0], [0.5, 1.0, -1.0]], "B": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]},
        {},
        lambda v, c: (v["A"] @ v["B"]).relu().sum(),
    ),
    "matrix times vector and vector times vector": (
        {"W": [[1.0, 2.0], [3.0, 4.0]], "x": [0.5, -0.5]},
        {},
        lambda v, c: (v["W"] @ v["x"]) @ v["x"],
    ),
    "chain": (
        {"x": [0.25, 0.5]},
        {},
        lambda v, c: ((v["x"] ** 2).exp().log().tanh().relu() * 3).mean(),
    ),
    # a is used by two operations, b by one; the constant by one, with no arrow.
    "two leaves, one used twice": (
        {"a": [1.0, 2.0], "b": [3.0, 4.0]},
        {"k": [2.0, 2.0]},
        lambda v, c: (v["a"] * v["b"] + v["a"] / c["k"]).sum(),
    ),
}


def run(name, engine):
    """The output and the names {leaf or output: tensor} of a computation on one engine."""
    leaves_data, constants_data, f = COMPUTATIONS[name]
    if engine == "torch":
        leaves = {key: to_torch(data, requires_grad=True) for key, data in leaves_data.items()}
        constants = {key: to_torch(data) for key, data in constants_data.items()}
    else:
        leaves = {key: tiny_leaf(data) for key, data in leaves_data.items()}
        constants = {key: tiny.Tensor(data) for key, data in constants_data.items()}
    out = f(leaves, constants)
    return out, {**leaves, "out": out}


@pytest.mark.parametrize("name", list(COMPUTATIONS))
def test_tiny_drawing_is_torchs_drawing_with_tinys_node_names(name):
    torch_out, torch_names = run(name, "torch")
    tiny_out, tiny_names = run(name, "tiny")
    torch_drawing = draw_graph(torch_out, names=torch_names)
    tiny_drawing = draw_graph(tiny_out, names=tiny_names)
    # The picture's whole source: boxes, their order and styles, arrows.
    assert tiny_drawing.dot == as_tiny(torch_drawing.dot)
    assert tiny_drawing.alt == as_tiny(torch_drawing.alt)
    assert tiny_drawing.title == torch_drawing.title == "Autograd graph of out"
    assert tiny_drawing.labels == {k: as_tiny(v) for k, v in torch_drawing.labels.items()}
    assert tiny_drawing.arrows == torch_drawing.arrows
    assert (tiny_drawing.node_count, tiny_drawing.edge_count) == (
        torch_drawing.node_count,
        torch_drawing.edge_count,
    )
    # The mapping is needed: torch's names differ from tiny's.
    assert torch_drawing.dot != tiny_drawing.dot


def test_the_diamond_has_two_arrows_into_the_shared_box():
    out, names = run("diamond", "tiny")
    drawing = draw_graph(out, names=names)
    assert drawing.labels == {
        "n0": "out\n()",
        "n1": "SumBackward",
        "n2": "MulBackward",
        "n3": "ExpBackward",
        "n4": "x\n(3,)",
    }
    assert drawing.arrows == (
        ("n0", "n1", ""),
        ("n1", "n2", ""),
        ("n2", "n3", ""),
        ("n2", "n3", ""),
        ("n3", "n4", ""),
    )
    assert repr(drawing) == "<GraphDrawing: 5 boxes, 5 arrows>"
    assert drawing.alt == (
        "Autograd graph of out, a scalar, drawn as 5 boxes and 5 arrows: backward runs from out "
        "through SumBackward, MulBackward and ExpBackward to leaf x, a vector of 3 entries."
    )


def test_leaves_are_filled_boxes_with_name_and_shape_and_constants_get_no_arrow():
    out, names = run("broadcasting with constants", "tiny")
    drawing = draw_graph(out, names=names)
    assert drawing.labels == {
        "n0": "out\n()",
        "n1": "MeanBackward",
        "n2": "AddBackward",
        "n3": "TanhBackward",
        "n4": "DivBackward",
        "n5": "AddBackward",
        "n6": "MulBackward",
        "n7": "b\n(2, 1)",
        "n8": "x\n(3,)",
    }
    # One arrow per input that requires grad: + 1, / 2.0 and * c send none.
    assert [(tail, head) for tail, head, _ in drawing.arrows] == [
        ("n0", "n1"),
        ("n1", "n2"),
        ("n2", "n3"),
        ("n3", "n4"),
        ("n4", "n5"),
        ("n5", "n6"),
        ("n5", "n7"),
        ("n6", "n8"),
    ]
    assert 'n0 [label="out\\n()", style="filled,bold", fillcolor="#fbe3c0"];' in drawing.dot
    assert 'n7 [label="b\\n(2, 1)", style=filled, fillcolor="#d6e6f4"];' in drawing.dot
    assert '  n2 [label="AddBackward"];' in drawing.dot
    assert drawing.alt.endswith(
        "through MeanBackward, AddBackward, TanhBackward, DivBackward, "
        "AddBackward and MulBackward to leaf b, a 2 by 1 matrix, "
        "and leaf x, a vector of 3 entries."
    )


def test_an_input_that_needs_no_gradient_gets_no_arrow_as_none_in_next_functions():
    a = tiny_leaf([1.0, 2.0])
    frozen = tiny.Tensor([3.0, 4.0])  # requires_grad=False: a constant for backward
    drawing = draw_graph(a * frozen, names={"a": a, "frozen": frozen})
    assert drawing.labels == {"n0": "(2,)", "n1": "MulBackward", "n2": "a\n(2,)"}
    assert drawing.arrows == (("n0", "n1", ""), ("n1", "n2", ""))
    assert "frozen" not in drawing.alt


def test_subtraction_differs_on_purpose_tiny_adds_a_negation():
    # torch records a - b as one SubBackward0 with two inputs; tiny as AddBackward of a and
    # NegBackward(b). So tiny's drawing has one box and one arrow more: NegBackward stands
    # on b's arrow. Taking it out (joining its two arrows) gives torch's drawing.
    def f(a, b):
        return (a - b).sum()

    ta, tb = to_torch([1.0, 2.0], requires_grad=True), to_torch([3.0, 4.0], requires_grad=True)
    ya, yb = tiny_leaf([1.0, 2.0]), tiny_leaf([3.0, 4.0])
    torch_drawing = draw_graph(f(ta, tb), names={"a": ta, "b": tb})
    tiny_drawing = draw_graph(f(ya, yb), names={"a": ya, "b": yb})
    assert (torch_drawing.node_count, torch_drawing.edge_count) == (5, 4)
    assert (tiny_drawing.node_count, tiny_drawing.edge_count) == (6, 5)
    assert torch_drawing.labels == {
        "n0": "()",
        "n1": "SumBackward0",
        "n2": "SubBackward0",
        "n3": "a\n(2,)",
        "n4": "b\n(2,)",
    }
    assert tiny_drawing.labels == {
        "n0": "()",
        "n1": "SumBackward",
        "n2": "AddBackward",
        "n3": "a\n(2,)",
        "n4": "NegBackward",
        "n5": "b\n(2,)",
    }

    def joined(drawing, skipped):
        """The drawing's arrows by label, with the boxes labelled ``skipped`` taken out."""
        labels = drawing.labels
        into = {tail: head for tail, head, _ in drawing.arrows if labels[tail] == skipped}
        return [
            (labels[tail], labels[into.get(head, head)])
            for tail, head, _ in drawing.arrows
            if labels[tail] != skipped
        ]

    assert joined(tiny_drawing, "NegBackward") == [
        (as_tiny(tail).replace("Sub", "Add"), as_tiny(head).replace("Sub", "Add"))
        for tail, head in joined(torch_drawing, None)
    ]


def test_a_tiny_leaf_is_drawn_alone_as_torchs():
    x, t = to_torch([1.0, 2.0], requires_grad=True), tiny_leaf([1.0, 2.0])
    torch_drawing = draw_graph(x, names={"x": x})
    tiny_drawing = draw_graph(t, names={"x": t})
    assert tiny_drawing.dot == torch_drawing.dot
    assert (
        tiny_drawing.alt
        == torch_drawing.alt
        == (
            "Autograd graph of leaf x, a vector of 2 entries, drawn as a single box:"
            " nothing for backward to walk."
        )
    )
    assert tiny_drawing.labels == {"n0": "x\n(2,)"}
    assert tiny_drawing.arrows == ()


def test_one_mapping_names_torch_and_tiny_tensors_by_identity():
    x, t = to_torch([1.0], requires_grad=True), tiny_leaf([1.0])
    names = {"x": x, "t": t}
    assert draw_graph((t * 2).sum(), names=names).labels["n3"] == "t\n(1,)"
    assert draw_graph((x * 2).sum(), names=names).labels["n3"] == "x\n(1,)"
    # Equal data is not the same tensor: an unnamed leaf shows its shape.
    assert draw_graph((tiny_leaf([1.0]) * 2).sum(), names=names).labels["n3"] == "(1,)"


def test_the_svg_has_the_title_desc_and_tooltips_of_torchs():
    out, names = run("diamond", "tiny")
    drawing = draw_graph(out, names=names)
    root = ET.fromstring(drawing.svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Autograd graph of out"
    assert root.find(f"{SVG}desc").text == drawing.alt
    titles = [
        group.find(f"{SVG}title").text
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "node"
    ]
    assert titles == ["out", "SumBackward", "MulBackward", "ExpBackward", "x"]


def test_drawing_leaves_the_tiny_graph_untouched_and_is_the_same_after_backward():
    out, names = run("two leaves, one used twice", "tiny")
    before = draw_graph(out, names=names)
    assert names["a"].grad is None
    assert names["b"].grad is None
    out.backward()
    # d/da of sum(a * b + a / k) is b + 1 / k.
    np.testing.assert_allclose(names["a"].grad, [3.5, 4.5])
    assert draw_graph(out, names=names).dot == before.dot


# --- random programs ---------------------------------------------------------------------


# The generator test_tiny.py checks values with (tests/tiny_programs.py), kept to the
# operations torch records as tiny does; a - b is spelled out above.
@QUICK
@given(programs(ops=RECORDED_AS_TORCH, number_over_tensor=False))
def test_random_programs_are_drawn_as_torch_draws_them(program):
    # The values do not matter to the drawing, nor do inf and nan on the way.
    data = [
        np.linspace(-1.0, 2.0, int(np.prod(shape))).reshape(shape) for shape in program.input_shapes
    ]
    torch_inputs = [to_torch(d, requires_grad=True) for d in data]
    tiny_inputs = [tiny_leaf(d) for d in data]
    torch_out = run_program(program, torch_inputs, to_torch)[-1]
    tiny_out = run_program(program, tiny_inputs, tiny.Tensor)[-1]
    torch_drawing = draw_graph(torch_out, names={f"v{i}": t for i, t in enumerate(torch_inputs)})
    tiny_drawing = draw_graph(tiny_out, names={f"v{i}": t for i, t in enumerate(tiny_inputs)})
    assert tiny_drawing.dot == as_tiny(torch_drawing.dot)
    assert tiny_drawing.alt == as_tiny(torch_drawing.alt)


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: tiny.Tensor([1.0, 2.0]), id="leaf"),
        pytest.param(lambda: (tiny.Tensor([1.0, 2.0]) * 2).sum(), id="computed from constants"),
    ],
)
def test_tiny_tensor_without_requires_grad_is_refused_as_a_torch_one(make):
    message = "tensor has no autograd graph: requires_grad is False"
    with pytest.raises(ValueError, match=re.escape(message)):
        draw_graph(make())
    with pytest.raises(ValueError, match=re.escape(message)):
        draw_graph(torch.ones(2))


@pytest.mark.parametrize(
    ("argument", "reason"),
    [("saved", "a tiny Node keeps what it saved inside its vjp"), ("grads", "record_gradients")],
)
def test_saved_and_grads_are_refused_for_a_tiny_tensor(argument, reason):
    out, names = run("diamond", "tiny")
    start = f"{argument}=True needs a torch.Tensor: "
    with pytest.raises(ValueError, match=re.escape(start)) as info:
        draw_graph(out, names=names, **{argument: True})
    assert reason in str(info.value)
    # False is the default and draws as usual.
    assert draw_graph(out, names=names, **{argument: False}).node_count == 5


def test_bad_arguments_are_refused_first_for_a_tiny_tensor_too():
    t = tiny_leaf([1.0])
    with pytest.raises(TypeError, match="saved must be True or False, got str"):
        draw_graph(t, saved="yes")
    with pytest.raises(
        TypeError, match=re.escape("names must map to torch.Tensor or tiny.Tensor values, got list")
    ):
        draw_graph(t, names={"t": [1.0]})
    with pytest.raises(
        TypeError, match=re.escape("tensor must be a torch.Tensor or a tiny.Tensor, got list")
    ):
        draw_graph([1.0])
    # A tiny Node is not a tensor.
    with pytest.raises(
        TypeError, match=re.escape("tensor must be a torch.Tensor or a tiny.Tensor, got Node")
    ):
        draw_graph((t * 2).grad_fn)
