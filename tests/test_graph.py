"""Tests for draw_graph: the DOT it writes, checked against torch's own graph, and the SVG."""

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import torch

import autograd_guide
import sample_functions as samples
from autograd_guide import GraphDrawing, draw_graph

SVG = "{http://www.w3.org/2000/svg}"
NODE_LINE = re.compile(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$', re.MULTILINE)
EDGE_LINE = re.compile(r"^  (n\d+) -> (n\d+);$", re.MULTILINE)


def nodes(drawing):
    """Node id -> label, in the order the DOT declares them."""
    return {ident: label.replace("\\n", "\n") for ident, label, _ in NODE_LINE.findall(drawing.dot)}


def styles(drawing):
    return {ident: style for ident, _, style in NODE_LINE.findall(drawing.dot)}


def edges(drawing):
    return EDGE_LINE.findall(drawing.dot)


def labelled_edges(drawing):
    labels = nodes(drawing)
    return [(labels[tail], labels[head]) for tail, head in edges(drawing)]


def blog_graph():
    x = torch.ones(2, 2, requires_grad=True)
    out = (3 * (x + 2) ** 2).mean()
    return x, out


def torch_walk(tensor):
    """Class names of the nodes reachable from tensor.grad_fn (with repeats), and the edge count.

    Written independently of draw_graph: depth first, recursive, nodes keyed by id().
    """
    seen = {}
    edge_count = 0

    def visit(node):
        nonlocal edge_count
        if id(node) in seen:
            return
        seen[id(node)] = node  # keeps the node alive, so its id() is not reused
        for next_node, _ in node.next_functions:
            if next_node is not None:
                edge_count += 1
                visit(next_node)

    visit(tensor.grad_fn)
    return Counter(type(node).__name__ for node in seen.values()), edge_count


# --- the graph from the PyTorch blog -----------------------------------------------


def test_blog_graph_is_walked_from_the_mean_down_to_the_leaf():
    x, out = blog_graph()
    drawing = draw_graph(out, names={"x": x, "out": out})
    assert nodes(drawing) == {
        "n0": "out\n()",
        "n1": "MeanBackward0",
        "n2": "MulBackward0",
        "n3": "PowBackward0",
        "n4": "AddBackward0",
        "n5": "x\n(2, 2)",
    }
    # Arrows point the way the gradient flows: from the output to the leaf.
    assert edges(drawing) == [("n0", "n1"), ("n1", "n2"), ("n2", "n3"), ("n3", "n4"), ("n4", "n5")]
    assert (drawing.node_count, drawing.edge_count) == (6, 5)
    assert repr(drawing) == "<GraphDrawing: 6 nodes, 5 edges>"


def test_blog_graph_alt_text_reads_from_output_to_leaf():
    x, out = blog_graph()
    assert draw_graph(out, names={"x": x, "out": out}).alt == (
        "Autograd graph of out (), 6 nodes and 5 edges: backward runs from out through "
        "MeanBackward0, MulBackward0, PowBackward0 and AddBackward0 to leaf x (2, 2)."
    )


def test_constants_in_the_blog_graph_get_no_edges():
    # 3 * ... and ... + 2 each have a constant input: None in next_functions.
    _, out = blog_graph()
    mul = out.grad_fn.next_functions[0][0]
    add = mul.next_functions[0][0].next_functions[0][0]
    assert mul.next_functions[1][0] is None
    assert add.next_functions[1][0] is None
    assert draw_graph(out).edge_count == 5


# --- structure: shared inputs, constants, several leaves -----------------------------


def test_value_used_twice_gives_two_edges_between_the_same_nodes():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y
    drawing = draw_graph(z, names={"x": x})
    assert labelled_edges(drawing).count(("MulBackward0", "AddBackward0")) == 2
    assert list(nodes(drawing).values()) == [
        "output\n(2, 2)",
        "MulBackward0",
        "AddBackward0",
        "x\n(2, 2)",
    ]
    assert drawing.edge_count == 4


def test_leaf_used_twice_is_one_box_with_two_edges():
    x = torch.ones(3, requires_grad=True)
    drawing = draw_graph(x * x, names={"x": x})
    assert labelled_edges(drawing) == [
        ("output\n(3,)", "MulBackward0"),
        ("MulBackward0", "x\n(3,)"),
        ("MulBackward0", "x\n(3,)"),
    ]


def test_constant_input_is_skipped():
    x = torch.ones(2, requires_grad=True)
    y = x * torch.tensor([2.0, 3.0])
    assert [fn is None for fn, _ in y.grad_fn.next_functions] == [False, True]
    drawing = draw_graph(y, names={"x": x})
    assert labelled_edges(drawing) == [
        ("output\n(2,)", "MulBackward0"),
        ("MulBackward0", "x\n(2,)"),
    ]


def test_graph_with_two_leaves_names_both():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    loss = torch.sigmoid(torch.tensor([3.0, 4.0]) @ w + b)
    drawing = draw_graph(loss, names={"w": w, "b": b, "loss": loss})
    assert nodes(drawing) == {
        "n0": "loss\n()",
        "n1": "SigmoidBackward0",
        "n2": "AddBackward0",
        "n3": "DotBackward0",
        "n4": "b\n()",
        "n5": "w\n(2,)",
    }
    assert edges(drawing) == [("n0", "n1"), ("n1", "n2"), ("n2", "n3"), ("n2", "n4"), ("n3", "n5")]
    assert drawing.alt == (
        "Autograd graph of loss (), 6 nodes and 5 edges: backward runs from loss through "
        "SigmoidBackward0, AddBackward0 and DotBackward0 to leaf b () and leaf w (2,)."
    )


def test_nodes_are_numbered_level_by_level_in_next_functions_order():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    drawing = draw_graph(a.exp() + b.sin(), names={"a": a, "b": b})
    # Breadth first: both inputs of the sum before either leaf, a's side first.
    assert list(nodes(drawing).values()) == [
        "output\n(2,)",
        "AddBackward0",
        "ExpBackward0",
        "SinBackward0",
        "a\n(2,)",
        "b\n(2,)",
    ]


def two_layer(x):
    w1 = torch.linspace(-1.0, 1.0, 6).reshape(3, 2).requires_grad_()
    w2 = torch.linspace(0.5, 1.5, 3).requires_grad_()
    h = torch.tanh(w1 @ x)
    return (w2 * h).sum() + h.pow(2).mean()


def diamond(x):
    y = x.exp()
    return (y.sin() * y.cos()).sum()


@pytest.mark.parametrize(
    "f", [*samples.SMOOTH_FUNCTIONS, two_layer, diamond], ids=lambda f: f.__name__
)
def test_nodes_and_edges_match_an_independent_walk_of_grad_fn(f):
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    y = f(x)
    expected_classes, expected_edges = torch_walk(y)
    drawing = draw_graph(y)
    labels = list(nodes(drawing).values())[1:]  # the tensor's own box is not a torch node
    # Leaves are drawn as the tensors their AccumulateGrad nodes accumulate into.
    drawn_classes = Counter(
        "AccumulateGrad" if label.startswith("leaf\n") else label for label in labels
    )
    assert set(drawn_classes) == set(expected_classes)
    assert drawn_classes == expected_classes
    # The arrow from the tensor's box to its grad_fn comes on top of torch's edges.
    assert drawing.edge_count == len(edges(drawing)) == expected_edges + 1
    assert drawing.node_count == len(labels) + 1


# --- names, the tensor's own box, leaves ----------------------------------------------


def test_unnamed_tensors_are_labelled_output_and_leaf():
    _, out = blog_graph()
    labels = nodes(draw_graph(out))
    assert labels["n0"] == "output\n()"
    assert labels["n5"] == "leaf\n(2, 2)"


def test_names_are_matched_by_identity_not_by_value():
    x, out = blog_graph()
    twin = torch.ones(2, 2, requires_grad=True)  # equal to x, but another tensor
    labels = nodes(draw_graph(out, names={"twin": twin, "x copy": x.detach()}))
    assert labels["n5"] == "leaf\n(2, 2)"


def test_first_of_several_names_for_one_tensor_wins_and_unused_names_are_ignored():
    x, out = blog_graph()
    unused = torch.zeros(1)
    labels = nodes(draw_graph(out, names={"unused": unused, "x": x, "also x": x}))
    assert labels["n5"] == "x\n(2, 2)"


def test_tensor_box_leaf_boxes_and_function_boxes_look_different():
    _, out = blog_graph()
    style = styles(draw_graph(out))
    assert "bold" in style["n0"]
    assert "filled" in style["n0"]
    assert "filled" in style["n5"]
    assert style["n5"] != style["n0"]
    assert all(style[ident] == "" for ident in ("n1", "n2", "n3", "n4"))


def test_leaf_tensor_is_a_single_leaf_box():
    x = torch.ones(2, 2, requires_grad=True)
    drawing = draw_graph(x, names={"x": x})
    assert nodes(drawing) == {"n0": "x\n(2, 2)"}
    assert edges(drawing) == []
    assert "filled" in styles(drawing)["n0"]
    assert "bold" not in styles(drawing)["n0"]
    assert repr(drawing) == "<GraphDrawing: 1 node, 0 edges>"
    assert drawing.alt == (
        "Autograd graph of leaf x (2, 2): a single leaf, nothing for backward to walk."
    )


def test_names_with_quotes_and_backslashes_survive_into_the_svg():
    x = torch.ones(2, requires_grad=True)
    name = 'a "quoted" \\ name'
    drawing = draw_graph(x * 2, names={name: x})
    texts = [text.text for text in ET.fromstring(drawing.svg).iter(f"{SVG}text")]
    assert name in texts


def test_drawing_after_backward_is_the_same_and_leaves_the_graph_usable():
    _, out = blog_graph()
    before = draw_graph(out).dot
    out.backward(retain_graph=True)
    assert draw_graph(out).dot == before
    out.backward()  # the graph is still there to go back through


def test_drawing_leaves_the_tensors_untouched():
    x, out = blog_graph()
    grad_fn = out.grad_fn
    draw_graph(out, names={"x": x}).svg  # noqa: B018 (rendering is the point)
    assert x.grad is None
    assert out.grad_fn is grad_fn
    assert x.requires_grad
    assert x.is_leaf


# --- the SVG ------------------------------------------------------------------------


def test_svg_is_well_formed_xml_with_an_svg_root_and_one_group_per_node_and_edge():
    x, out = blog_graph()
    drawing = draw_graph(out, names={"x": x, "out": out})
    root = ET.fromstring(drawing.svg)
    assert root.tag == f"{SVG}svg"
    groups = [g.get("class") for g in root.iter(f"{SVG}g")]
    assert groups.count("node") == drawing.node_count
    assert groups.count("edge") == drawing.edge_count
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts == [
        "out",
        "()",
        "MeanBackward0",
        "MulBackward0",
        "PowBackward0",
        "AddBackward0",
        "x",
        "(2, 2)",
    ]


def test_svg_names_a_sans_font_with_fallbacks():
    _, out = blog_graph()
    root = ET.fromstring(draw_graph(out).svg)
    fonts = {text.get("font-family") for text in root.iter(f"{SVG}text")}
    assert fonts == {"DejaVu Sans,Helvetica,Arial,sans-serif"}


def test_multi_edge_is_drawn_as_two_paths():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    root = ET.fromstring(draw_graph(y * y).svg)
    paths = [
        g.find(f"{SVG}path").get("d") for g in root.iter(f"{SVG}g") if g.get("class") == "edge"
    ]
    assert len(paths) == 4
    assert len(set(paths)) == 4  # the two arrows between Mul and Add do not overlap


def test_svg_is_rendered_once_and_shown_by_jupyter():
    _, out = blog_graph()
    drawing = draw_graph(out)
    assert drawing._repr_svg_() is drawing.svg
    assert drawing.svg is drawing.svg


def test_same_computation_gives_identical_dot_and_svg():
    first = draw_graph(blog_graph()[1])
    second = draw_graph(blog_graph()[1])
    assert first.dot == second.dot
    assert first.svg == second.svg
    assert repr(first) == repr(second)
    assert first.alt == second.alt


def test_svg_does_not_depend_on_what_was_rendered_before():
    x, out = blog_graph()
    first = draw_graph(out).svg
    draw_graph(torch.sigmoid(x).sum()).svg  # noqa: B018 (renders another graph in between)
    assert draw_graph(out).svg == first


def test_interpreter_exits_quietly_after_rendering(pytester, monkeypatch):
    # wasmtime frees its objects in __del__, which at interpreter exit can run
    # after wasmtime's bindings are gone and print "Exception ignored ...
    # TypeError" (seen after a pytest run, not after a plain script).
    pytester.makepyfile(
        test_render="""
        import torch
        from autograd_guide import draw_graph

        def test_render():
            x = torch.ones(2, requires_grad=True)
            assert draw_graph(x * 2).svg.startswith("<?xml")
        """
    )
    # The inner pytest must import the very package under test, installed or not.
    monkeypatch.setenv("PYTHONPATH", str(Path(autograd_guide.__file__).parents[1]))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "Exception ignored" not in result.stderr.str()


def test_repr_has_no_memory_address():
    _, out = blog_graph()
    assert "0x" not in repr(draw_graph(out))
    assert "0x" not in draw_graph(out).dot


# --- save ---------------------------------------------------------------------------


def test_save_writes_svg_for_svg_suffix(tmp_path):
    drawing = draw_graph(blog_graph()[1])
    path = drawing.save(tmp_path / "graph.svg")
    assert path == tmp_path / "graph.svg"
    assert path.read_bytes() == drawing.svg.encode("utf-8")


@pytest.mark.parametrize("suffix", [".dot", ".gv"])
def test_save_writes_dot_for_dot_and_gv_suffixes(tmp_path, suffix):
    drawing = draw_graph(blog_graph()[1])
    path = drawing.save(str(tmp_path / f"graph{suffix}"))
    assert path == tmp_path / f"graph{suffix}"
    assert path.read_bytes() == drawing.dot.encode("utf-8")


def test_save_refuses_other_suffixes_without_writing(tmp_path):
    drawing = draw_graph(blog_graph()[1])
    target = tmp_path / "graph.png"
    with pytest.raises(ValueError, match=re.escape("path must end in .svg, .dot or .gv, got '")):
        drawing.save(target)
    assert not target.exists()


def test_save_refuses_a_path_that_is_no_path():
    drawing = draw_graph(blog_graph()[1])
    with pytest.raises(TypeError, match=re.escape("path must be a str or os.PathLike, got int")):
        drawing.save(3)


# --- bad arguments ------------------------------------------------------------------


def test_non_tensor_is_refused():
    with pytest.raises(TypeError, match=re.escape("tensor must be a torch.Tensor, got list")):
        draw_graph([1.0, 2.0])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: torch.ones(2), id="plain"),
        pytest.param(lambda: torch.tensor([1, 2]), id="integer"),
        pytest.param(lambda: torch.ones(2, requires_grad=True).detach(), id="detached"),
    ],
)
def test_tensor_without_requires_grad_is_refused(make):
    with pytest.raises(
        ValueError, match=re.escape("tensor has no autograd graph: requires_grad is False")
    ):
        draw_graph(make())


def test_result_computed_under_no_grad_is_refused():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    with pytest.raises(ValueError, match="requires_grad is False"):
        draw_graph(y)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        pytest.param(
            [("x", torch.ones(1))],
            "names must be a mapping of str to torch.Tensor, got list",
            id="list",
        ),
        pytest.param({1: torch.ones(1)}, "names must have str keys, got 1 (int)", id="key"),
        pytest.param(
            {"x": [1.0]}, "names must map to torch.Tensor values, got list for 'x'", id="value"
        ),
    ],
)
def test_names_that_are_not_a_mapping_of_str_to_tensors_are_refused(names, message):
    _, out = blog_graph()
    with pytest.raises(TypeError, match=re.escape(message)):
        draw_graph(out, names=names)


def test_bad_names_are_refused_even_for_a_leaf():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="names must be a mapping"):
        draw_graph(x, names="x")


def test_graph_drawing_is_exported():
    _, out = blog_graph()
    assert isinstance(draw_graph(out), GraphDrawing)
