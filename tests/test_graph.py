"""Tests for draw_graph: the DOT it writes, checked against torch's own graph, and the SVG.

The saved tensors and gradients it shows are compared with torch's own: the
nodes' ``_saved_*`` attributes and the tensors they came from, ``.grad``,
``torch.autograd.grad`` and ``torch.func.vjp``. record_gradients on its own is
tested in test_gradients.py.
"""

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import torch

import autograd_guide
import sample_functions as samples
from autograd_guide import GraphDrawing, draw_graph, record_gradients

SVG = "{http://www.w3.org/2000/svg}"
NODE_LINE = re.compile(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$', re.MULTILINE)
EDGE_LINE = re.compile(r"^  (n\d+) -> (n\d+);$", re.MULTILINE)
# The multiplication sign of the captions (ruff takes the character for a letter x).
TIMES = "\N{MULTIPLICATION SIGN}"


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
    assert repr(drawing) == "<GraphDrawing: 6 boxes, 5 arrows>"


def test_blog_graph_alt_text_counts_what_is_drawn_and_speaks_the_shapes():
    x, out = blog_graph()
    drawing = draw_graph(out, names={"x": x, "out": out})
    assert drawing.alt == (
        "Autograd graph of out, a scalar, drawn as 6 boxes and 5 arrows: backward runs from out "
        "through MeanBackward0, MulBackward0, PowBackward0 and AddBackward0 to leaf x, "
        "a 2 by 2 matrix."
    )
    # Boxes and arrows as drawn: torch's 5 nodes and 4 edges, plus out's own box and arrow.
    classes, torch_edges = torch_walk(out)
    assert (sum(classes.values()) + 1, torch_edges + 1) == (6, 5)
    assert (tuple(out.shape), tuple(x.shape)) == ((), (2, 2))


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
        "(2, 2)",
        "MulBackward0",
        "AddBackward0",
        "x\n(2, 2)",
    ]
    assert drawing.edge_count == 4


def test_leaf_used_twice_is_one_box_with_two_edges():
    x = torch.ones(3, requires_grad=True)
    drawing = draw_graph(x * x, names={"x": x})
    assert labelled_edges(drawing) == [
        ("(3,)", "MulBackward0"),
        ("MulBackward0", "x\n(3,)"),
        ("MulBackward0", "x\n(3,)"),
    ]


def test_constant_input_is_skipped():
    x = torch.ones(2, requires_grad=True)
    y = x * torch.tensor([2.0, 3.0])
    assert [fn is None for fn, _ in y.grad_fn.next_functions] == [False, True]
    drawing = draw_graph(y, names={"x": x})
    assert labelled_edges(drawing) == [
        ("(2,)", "MulBackward0"),
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
    # The leaves hold commas of their own, so the listing gets one more before "and".
    assert drawing.alt == (
        "Autograd graph of loss, a scalar, drawn as 6 boxes and 5 arrows: backward runs from "
        "loss through SigmoidBackward0, AddBackward0 and DotBackward0 to leaf b, a scalar, "
        "and leaf w, a vector of 2 entries."
    )


def test_nodes_are_numbered_level_by_level_in_next_functions_order():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    drawing = draw_graph(a.exp() + b.sin(), names={"a": a, "b": b})
    # Breadth first: both inputs of the sum before either leaf, a's side first.
    assert list(nodes(drawing).values()) == [
        "(2,)",
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
    # Leaves are drawn as the tensors their AccumulateGrad nodes accumulate into,
    # unnamed here, so by their shape alone.
    drawn_classes = Counter(
        "AccumulateGrad" if label.startswith("(") else label for label in labels
    )
    assert set(drawn_classes) == set(expected_classes)
    assert drawn_classes == expected_classes
    # The arrow from the tensor's box to its grad_fn comes on top of torch's edges.
    assert drawing.edge_count == len(edges(drawing)) == expected_edges + 1
    assert drawing.node_count == len(labels) + 1


# --- names, the tensor's own box, leaves ----------------------------------------------


def test_unnamed_tensors_show_their_shape_and_the_alt_text_calls_them_output_and_leaf():
    _, out = blog_graph()
    drawing = draw_graph(out)
    labels = nodes(drawing)
    # No word in the drawing: the fill tells the tensor drawn from a leaf.
    assert labels["n0"] == "()"
    assert labels["n5"] == "(2, 2)"
    assert drawing.alt == (
        "Autograd graph of the output, a scalar, drawn as 6 boxes and 5 arrows: backward runs "
        "from the output through MeanBackward0, MulBackward0, PowBackward0 and AddBackward0 to "
        "the leaf, a 2 by 2 matrix."
    )
    assert drawing.title == "Autograd graph of the output"
    leaf = torch.ones(2, requires_grad=True)
    alone = draw_graph(leaf)
    assert alone.labels == {"n0": "(2,)"}
    assert alone.alt == (
        "Autograd graph of the leaf, a vector of 2 entries, drawn as a single box: "
        "nothing for backward to walk."
    )
    assert alone.title == "Autograd graph of the leaf"


def test_several_unnamed_leaves_are_counted_in_the_alt_text():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones((), requires_grad=True)
    c = torch.ones(3, requires_grad=True)
    loss = a.sum() * b + c.sum()
    with record_gradients(loss):
        loss.backward()
    drawing = draw_graph(loss, names={"b": b}, grads=True)
    # Leaves in the order of the walk (c's sum is nearer the top than a's); functions of
    # one class by their order in the listing.
    assert drawing.alt.startswith(
        "Autograd graph of the output, a scalar, drawn as 8 boxes and 7 arrows: backward runs "
        "from the output through AddBackward0, MulBackward0, SumBackward0 and SumBackward0 to "
        "leaf b, a scalar; unnamed leaf 1, a vector of 3 entries; and unnamed leaf 2, "
        "a vector of 2 entries. "
    )
    assert drawing.alt.endswith(
        "from AddBackward0 to the first SumBackward0, 1; "
        "from MulBackward0 to the second SumBackward0, 1; "
        f"from MulBackward0 to b, {spoken(b.grad)}; "
        f"from the first SumBackward0 to unnamed leaf 1, {spoken(c.grad)}; "
        f"from the second SumBackward0 to unnamed leaf 2, {spoken(a.grad)}. "
        f"b.grad = {spoken(b.grad)}; the .grad of unnamed leaf 1 = {spoken(c.grad)}; "
        f"the .grad of unnamed leaf 2 = {spoken(a.grad)}."
    )
    assert (a.grad.tolist(), b.grad.item(), c.grad.tolist()) == ([1, 1], 2, [1, 1, 1])


def test_names_are_matched_by_identity_not_by_value():
    x, out = blog_graph()
    twin = torch.ones(2, 2, requires_grad=True)  # equal to x, but another tensor
    labels = nodes(draw_graph(out, names={"twin": twin, "x copy": x.detach()}))
    assert labels["n5"] == "(2, 2)"


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
    assert repr(drawing) == "<GraphDrawing: 1 box, 0 arrows>"
    assert drawing.alt == (
        "Autograd graph of leaf x, a 2 by 2 matrix, drawn as a single box: "
        "nothing for backward to walk."
    )
    assert drawing.title == "Autograd graph of leaf x"


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


def bezier_points(d, steps=20):
    """Points along an SVG path made of one move and cubic Bezier segments, as Graphviz writes."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    points = list(zip(numbers[::2], numbers[1::2], strict=True))
    start, rest = points[0], points[1:]
    found = [start]
    for i in range(0, len(rest) - 2, 3):
        p0, (p1, p2, p3) = start, rest[i : i + 3]
        for k in range(1, steps + 1):
            t = k / steps
            found.append(
                tuple(
                    (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t**2 * c + t**3 * e
                    for a, b, c, e in zip(p0, p1, p2, p3, strict=True)
                )
            )
        start = p3
    return found


def edge_geometry(drawing):
    """For each arrow of the SVG: its path's points and its label's box (left, right, top, bottom).

    The label's width is measured with DejaVu Sans' advance widths (Graphviz lays out with
    that font), its height taken as one em above the baseline.
    """
    found = []
    for group in ET.fromstring(drawing.svg).iter(f"{SVG}g"):
        if group.get("class") != "edge":
            continue
        points = bezier_points(group.find(f"{SVG}path").get("d"))
        boxes = []
        for text in group.iter(f"{SVG}text"):
            x, y, size = (float(text.get(a)) for a in ("x", "y", "font-size"))
            # The ink: without the spaces that pad a label on either side.
            ink = text.text.strip()
            width = sum(EM.get(c, 0.7) for c in ink) * size
            pad = (len(text.text) - len(text.text.lstrip())) * EM[" "] * size
            # Centred on x, or starting there (the rows of a matrix, aligned left).
            left = {"middle": x - width / 2, "start": x + pad}[text.get("text-anchor")]
            boxes.append((left, left + width, y - size, y + 0.2 * size))
        found.append((points, boxes))
    return found


# Advance widths of DejaVu Sans in em (its units per em are 2048): digits 1303, space, comma
# and full stop 651, brackets 799, hyphen 739; 0.7 em for anything else.
EM = {**dict.fromkeys("0123456789", 1303 / 2048), **dict.fromkeys(" ,.", 651 / 2048)}
EM.update({"[": 799 / 2048, "]": 799 / 2048, "-": 739 / 2048})


def beside(points, box):
    """The points of a path level with a label's box."""
    return [x for x, y in points if box[2] <= y <= box[3]]


def square_of_sum(y):
    """The graph of "compute gradients": y * y * 3, averaged, with y computed once."""
    return (y * y * 3).mean()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda x: (x * x).sum(), id="x*x to a leaf"),
        pytest.param(lambda x: square_of_sum(x + 2), id="y*y*3, matrix labels"),
        pytest.param(lambda x: torch.addcmul(*[x * 1] * 3).sum(), id="three arrows"),
    ],
)
def test_labels_of_parallel_arrows_keep_clear_of_every_arrow(make):
    x = torch.tensor([[1.2, -0.4], [1.6, 0.5]], requires_grad=True)
    out = make(x)
    with record_gradients(out):
        out.backward()
    drawing = draw_graph(out, names={"x": x, "out": out}, grads=True)
    geometry = edge_geometry(drawing)
    labelled = [(points, box) for points, boxes in geometry for box in boxes]
    assert len(labelled) >= len(drawing.arrows)
    for points, box in labelled:
        # Each label sits to the right of its own arrow...
        assert all(x < box[0] for x in beside(points, box)), box
        # ...and every other arrow keeps half an em away from it, either side (Graphviz's
        # bundle of parallel arrows, which ignored the labels, left the left label 4 pt from
        # the right arrow: touching it, to the eye).
        clearance = 0.5 * 11
        for other, _ in geometry:
            if other is not points:
                assert all(
                    x < box[0] - clearance or x > box[1] + clearance for x in beside(other, box)
                ), box


def test_parallel_arrows_with_labels_leave_from_the_corners_and_without_from_the_middle():
    x = torch.ones(2, requires_grad=True)
    y = x + 2
    out = (y * y).sum()
    plain = draw_graph(out, names={"x": x, "out": out}).dot
    assert plain.count("  n2 -> n3;") == 2  # bare arrows: Graphviz's own bundle, unchanged
    with record_gradients(out):
        out.backward()
    dot = draw_graph(out, names={"x": x, "out": out}, grads=True).dot
    assert '  n2:sw -> n3 [label=" [3, 3] "];' in dot
    assert '  n2:se -> n3 [label=" [3, 3] "];' in dot
    assert '  n1 -> n2 [label=" [1, 1] "];' in dot  # a single arrow keeps no port


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
    with pytest.raises(
        TypeError, match=re.escape("tensor must be a torch.Tensor or a tiny.Tensor, got list")
    ):
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
            "names must be a mapping of str to tensors (torch or tiny), got list",
            id="list",
        ),
        pytest.param({1: torch.ones(1)}, "names must have str keys, got 1 (int)", id="key"),
        pytest.param(
            {"x": [1.0]},
            "names must map to torch.Tensor or tiny.Tensor values, got list for 'x'",
            id="value",
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


# --- saved=True: what each backward function saved ------------------------------------

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?|nan|-?inf")


def numbers(text):
    """The numbers written in a label, in order, as a float tensor."""
    return torch.tensor([float(n) for n in NUMBER.findall(text)])


def spoken(tensor):
    """A tensor's value as the alt text must say it, written here apart from graph.py.

    Its number (4 significant digits) for a scalar; "c in every entry" when all
    entries read the same; a vector in brackets; a matrix row by row; the shape
    in words when the drawing shows only the shape (more than 6 entries).
    """
    t = tensor.detach()
    if t.numel() > 6:
        if t.dim() == 1:
            return f"a vector of {t.numel()} entries"
        sizes = " by ".join(str(n) for n in t.shape)
        return f"a {sizes} matrix" if t.dim() == 2 else f"a {sizes} tensor"
    if t.dim() == 0:
        return f"{t.item():.4g}"
    entries = [f"{v:.4g}" for v in t.flatten().tolist()]
    if len(entries) > 1 and len(set(entries)) == 1:
        return f"{entries[0]} in every entry"
    if t.dim() > 2:  # nested brackets, on one line

        def nested(value):
            if isinstance(value, list):
                return "[" + ", ".join(nested(item) for item in value) + "]"
            return f"{value:.4g}"

        return nested(t.tolist())
    if t.dim() == 1:
        return "[" + ", ".join(entries) + "]"
    rows = ["[" + ", ".join(f"{v:.4g}" for v in row) + "]" for row in t.tolist()]
    if len(rows) == 1:
        return "row " + rows[0]
    return "rows " + ", ".join(rows[:-1]) + " and " + rows[-1]


def shown_close(text, tensor):
    """Whether the numbers in ``text`` are ``tensor``'s entries to 4 significant digits.

    A shape in front, such as ``(2,)``, is not counted.
    """
    shown = numbers(re.sub(r"^\([^)]*\)\s*", "", text))
    expected = tensor.detach().flatten().double()
    return shown.shape == expected.shape and torch.allclose(
        shown.double(), expected, rtol=5e-4, atol=1e-12
    )


def saved_lines(drawing, ident):
    """name -> text after "name: " for each saved value in box ident, with continuation rows."""
    lines = drawing.labels[ident].split("\n")[1:]
    found = {}
    name = None
    for line in lines:
        if line.startswith("  "):  # a further row of a matrix
            found[name] += " " + line.strip()
        else:
            name, _, text = line.partition(": ")
            found[name] = text
    return found


def function_nodes(drawing, tensor):
    """Box id -> torch node for every backward function box, found by an independent walk."""
    # Breadth first in next_functions order, as documented: n1 is tensor.grad_fn.
    order, queue, seen = [], [tensor.grad_fn], set()
    while queue:
        node = queue.pop(0)
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        queue.extend(n for n, _ in node.next_functions if n is not None and n not in seen)
    ids = {f"n{i + 1}": node for i, node in enumerate(order)}
    assert [drawing.labels[i].split("\n")[0] for i in ids if not hasattr(ids[i], "variable")] == [
        type(n).__name__ for n in order if not hasattr(n, "variable")
    ]
    return {ident: node for ident, node in ids.items() if not hasattr(node, "variable")}


def saved_attributes(node):
    """Independent read of what torch says a node saved: name -> value, None left out."""
    return {
        name.removeprefix("_saved_"): getattr(node, name)
        for name in dir(node)
        if name.startswith("_saved_") and getattr(node, name) is not None
    }


def check_saved_against_torch(drawing, tensor):
    for ident, node in function_nodes(drawing, tensor).items():
        shown = saved_lines(drawing, ident)
        expected = saved_attributes(node)
        assert set(shown) == set(expected), ident
        for name, value in expected.items():
            if isinstance(value, torch.Tensor):
                shape, _, values = shown[name].partition(")")
                assert shape + ")" == str(tuple(value.shape))
                if value.numel() <= 6:
                    assert shown_close(values, value), (ident, name, shown[name], value)
                else:
                    assert values == ""
            else:
                assert shown[name] == str(value), (ident, name)


@pytest.mark.parametrize(
    "f", [*samples.SMOOTH_FUNCTIONS, two_layer, diamond], ids=lambda f: f.__name__
)
def test_saved_values_match_the_saved_attributes_of_every_node(f):
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    y = f(x)
    check_saved_against_torch(draw_graph(y, saved=True), y)


def test_saved_values_are_the_inputs_and_outputs_they_came_from():
    x = torch.tensor([0.25, 2.0], requires_grad=True)
    s = x.sin()
    e = x.exp()
    out = (s * e).sum()
    drawing = draw_graph(out, names={"x": x}, saved=True)
    labels = drawing.labels
    assert labels["n2"].startswith("MulBackward0\n")
    # MulBackward0 saved both factors: sin(x) as self, exp(x) as other.
    assert shown_close(saved_lines(drawing, "n2")["self"], torch.sin(x))
    assert shown_close(saved_lines(drawing, "n2")["other"], torch.exp(x))
    # SinBackward0 saved its input, x; ExpBackward0 its output, exp(x) ("result").
    assert saved_lines(drawing, "n3") == {"self": "(2,) [0.25, 2]"}
    assert shown_close(saved_lines(drawing, "n4")["result"], e)
    assert out.grad_fn.next_functions[0][0].next_functions[0][0]._saved_self is x


def test_saved_lines_of_the_blog_graph():
    x, out = blog_graph()
    drawing = draw_graph(out, names={"x": x, "out": out}, saved=True)
    assert drawing.labels == {
        "n0": "out\n()",
        "n1": "MeanBackward0\nself_sym_numel: 4\nself_sym_sizes: (2, 2)",
        # 3 * (...): the wrapped constant 3 is what the gradient of the other factor needs.
        "n2": "MulBackward0\nother: () 3",
        "n3": "PowBackward0\nexponent: 2\nself: (2, 2)\n  [[3, 3],\n   [3, 3]]",
        "n4": "AddBackward0\nalpha: 1",
        "n5": "x\n(2, 2)",
    }
    check_saved_against_torch(drawing, out)


def test_saved_values_are_spoken_and_nodes_of_one_class_told_apart_by_order():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    out = (y * y * 3).mean()
    drawing = draw_graph(out, names={"x": x, "out": out}, saved=True)
    times_three = out.grad_fn.next_functions[0][0]
    square = times_three.next_functions[0][0]
    assert square._saved_self is square._saved_other  # both factors are y itself
    assert drawing.alt.endswith(
        f"Saved for backward: MeanBackward0 self_sym_numel = {y.numel()}, self_sym_sizes = (2, 2); "
        f"the first MulBackward0 other = {spoken(times_three._saved_other)}; "
        f"the second MulBackward0 other = {spoken(y)}, self = {spoken(y)}; AddBackward0 alpha = 1."
    )
    assert spoken(y) == "3 in every entry"


def test_saved_false_and_grads_false_draw_exactly_what_draw_graph_drew_before():
    x, out = blog_graph()
    plain = draw_graph(out, names={"x": x, "out": out})
    explicit = draw_graph(out, names={"x": x, "out": out}, saved=False, grads=False)
    assert explicit.dot == plain.dot
    assert explicit.alt == plain.alt
    assert "_saved" not in plain.dot
    assert ".grad" not in plain.dot
    assert all("\n" not in label or label.count("\n") == 1 for label in plain.labels.values())


def test_a_tensor_of_six_entries_shows_values_and_one_of_seven_only_its_shape():
    six = torch.arange(6.0).requires_grad_()
    seven = torch.arange(7.0).requires_grad_()
    assert saved_lines(draw_graph(six.sin(), saved=True), "n1") == {
        "self": "(6,) [0, 1, 2, 3, 4, 5]"
    }
    assert saved_lines(draw_graph(seven.sin(), saved=True), "n1") == {"self": "(7,)"}


def test_large_saved_tensors_are_shown_by_shape_only():
    w = torch.ones(3, 4, requires_grad=True)
    z = (w @ torch.ones(4, 2)).sum()
    drawing = draw_graph(z, saved=True)
    mm = saved_lines(drawing, "n2")
    assert mm["mat2"] == "(4, 2)"
    assert "self" not in mm  # torch saved no self: the constant needs no gradient
    assert z.grad_fn.next_functions[0][0]._saved_self is None
    check_saved_against_torch(drawing, z)


def test_values_are_written_with_four_significant_digits():
    x = torch.tensor([1 / 3, 12345.678, -0.000123456], requires_grad=True)
    assert saved_lines(draw_graph(x.sin(), saved=True), "n1") == {
        "self": "(3,) [0.3333, 1.235e+04, -0.0001235]"
    }


def test_saved_matrix_puts_one_row_on_each_line():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    drawing = draw_graph(x.sin(), names={"x": x}, saved=True)
    assert drawing.labels["n1"] == "SinBackward0\nself: (2, 2)\n  [[1, 2],\n   [3, 4]]"
    # Read aloud, nested brackets say nothing: the alt text names the rows.
    first, second = (", ".join(f"{v:.4g}" for v in row) for row in x.tolist())
    assert drawing.alt.endswith(
        f"Saved for backward: SinBackward0 self = rows [{first}] and [{second}]."
    )


def test_saved_tensors_read_freed_after_backward_and_their_boxes_are_dashed():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    out = (x.exp() * x).sum()
    before = draw_graph(out, names={"x": x}, saved=True)
    out.backward()
    after = draw_graph(out, names={"x": x}, saved=True)
    mul = out.grad_fn.next_functions[0][0]
    for attribute in ("_saved_self", "_saved_other"):
        with pytest.raises(RuntimeError, match="already been freed"):
            getattr(mul, attribute)
    # No word in the drawing: the empty-set sign; the alt text says "freed".
    assert saved_lines(after, "n2") == {"other": "∅", "self": "∅"}
    assert saved_lines(after, "n3") == {"result": "∅"}
    # Sizes are no tensors: backward frees nothing of them.
    assert saved_lines(after, "n1") == saved_lines(before, "n1") == {"self_sym_sizes": "(2,)"}
    assert 'n2 [label="MulBackward0\\nother: ∅\\lself: ∅\\l", style="rounded,dashed"];' in after.dot
    assert "dashed" not in before.dot
    assert after.alt.endswith(
        "Saved for backward: SumBackward0 self_sym_sizes = (2,); "
        "MulBackward0 other freed, self freed; ExpBackward0 result freed."
    )
    assert before.alt.endswith(
        f"Saved for backward: SumBackward0 self_sym_sizes = {tuple(x.shape)}; "
        f"MulBackward0 other = {spoken(x)}, self = {spoken(x.exp())}; "
        f"ExpBackward0 result = {spoken(x.exp())}."
    )


def test_retain_graph_keeps_the_saved_tensors_and_the_drawing():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    out = (x.exp() * x).sum()
    before = draw_graph(out, saved=True)
    out.backward(retain_graph=True)
    assert draw_graph(out, saved=True).dot == before.dot


def test_in_place_change_after_saving_is_shown_with_torchs_versions():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    h = a.exp()
    loss = (h * a).sum()
    saved_at = h._version
    h.add_(1)
    now = h._version
    assert (saved_at, now) == (0, 1)
    drawing = draw_graph(loss, names={"a": a, "h": h}, saved=True)
    mul = loss.grad_fn.next_functions[0][0]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        mul._saved_self  # noqa: B018 (the access is what raises)
    assert mul._saved_other is a  # a itself was not touched
    # No word in the drawing: torch's version counter, as saved and now.
    expected = f"_version {saved_at} → {now}"
    assert saved_lines(drawing, "n2") == {"other": "(2,) [1, 2]", "self": expected}
    assert saved_lines(drawing, "n3") == {"result": expected}
    assert 'color="#a4262c", penwidth=2' in drawing.dot
    assert drawing.dot.count("penwidth=2") == 2  # Mul and Exp, not Sum
    said = f"modified in place from version {saved_at} to {now}"
    assert drawing.alt.endswith(
        f"MulBackward0 other = {spoken(a)}, self {said}; ExpBackward0 result {said}."
    )
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_two_in_place_changes_give_the_later_version():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y.sin()
    y.add_(1)
    y.mul_(2)
    assert y._version == 2
    drawing = draw_graph(z, saved=True)
    assert saved_lines(drawing, "n1") == {"self": "_version 0 → 2"}
    assert "SinBackward0 self modified in place from version 0 to 2;" in drawing.alt


class Cube(torch.autograd.Function):
    """x³ with a hand-written backward that saves its input: a custom Function's node."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t**3

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return 3 * t**2 * grad


def test_custom_function_lists_its_saved_tensors():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    drawing = draw_graph(y, saved=True)
    assert drawing.labels["n1"] == "CubeBackward\nsaved_tensors[0]: (2,) [1, 2]"
    y.sum().backward()
    after = draw_graph(y, saved=True)
    assert after.labels["n1"] == "CubeBackward\nsaved_tensors: ∅"
    assert after.alt.endswith("Saved for backward: CubeBackward saved_tensors freed.")
    assert drawing.alt.endswith(f"Saved for backward: CubeBackward saved_tensors[0] = {spoken(x)}.")


def test_a_graph_that_saved_nothing_says_so():
    x = torch.ones(2, requires_grad=True)
    drawing = draw_graph(x + 1, saved=True)
    assert drawing.labels["n1"] == "AddBackward0\nalpha: 1"
    neg = draw_graph(-x, saved=True)
    assert neg.labels["n1"] == "NegBackward0"
    assert neg.alt.endswith(" No backward function saved anything.")


def test_saved_leaves_tensors_and_graph_untouched():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    out = (x.exp() * x).sum()
    versions = [x._version]
    draw_graph(out, saved=True).svg  # noqa: B018 (rendering is the point)
    out.backward()
    assert [x._version] == versions
    assert torch.allclose(x.grad, torch.exp(x.detach()) * (x.detach() + 1))


def test_saved_values_are_read_as_backward_reads_them_through_unpack_hooks():
    # draw_graph's docstring says so: reading a saved tensor runs the unpack hook of
    # torch.autograd.graph.saved_tensors_hooks, and the drawing shows what it returns.
    unpacked = []

    def pack(t):
        return t

    def unpack(t):
        unpacked.append(t)
        return t * 10

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = (x.exp() * x).sum()
    drawing = draw_graph(out, names={"x": x}, saved=True)
    # Mul's other and self, Exp's result: one unpack each.
    assert len(unpacked) == 3
    assert saved_lines(drawing, "n2") == {"other": "(2,) [10, 20]", "self": "(2,) [27.18, 73.89]"}
    mul = out.grad_fn.next_functions[0][0]
    assert shown_close(saved_lines(drawing, "n2")["self"], mul._saved_self)  # unpacks, too
    assert "unpack hook" in draw_graph.__doc__


def test_sparse_saved_tensors_and_gradients_are_shown_by_shape():
    a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    s = torch.eye(2).to_sparse().requires_grad_()
    out = torch.sparse.mm(s, a)
    drawing = draw_graph(out, names={"s": s, "a": a}, saved=True)
    saved = saved_lines(drawing, "n1")
    assert out.grad_fn._saved_mat1.layout == torch.sparse_coo  # four entries, yet no values
    assert saved["mat1"] == "(2, 2)"
    assert saved["mat2"] == "(2, 3) [[1, 2, 3], [4, 5, 6]]"  # strided: its values
    assert "mat1 = a 2 by 2 matrix, mat2 = rows [1, 2, 3] and [4, 5, 6]," in drawing.alt
    with record_gradients(out):
        out.sum().backward()
    assert s.grad.layout == torch.sparse_coo
    after = draw_graph(out, names={"s": s, "a": a}, grads=True)
    assert after.labels["n2"] == "s\n(2, 2)\n.grad: (2, 2)"
    assert "s.grad = a 2 by 2 matrix" in after.alt


def test_custom_function_nodes_are_told_by_the_public_function_ctx():
    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return 2 * t

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Twice.apply(x)
    function_ctx = torch.autograd.function.FunctionCtx
    assert isinstance(y.grad_fn, function_ctx)
    assert not isinstance((x * 2).grad_fn, function_ctx)
    assert not isinstance(torch.autograd.graph.get_gradient_edge(x).node, function_ctx)
    assert draw_graph(y, saved=True).labels["n1"] == "TwiceBackward\nsaved_tensors[0]: (2,) [1, 2]"
    assert draw_graph(x * 2, saved=True).labels["n1"] == "MulBackward0\nother: () 2"


# --- grads=True: the gradients that flowed ---------------------------------------------


def arrow_labels(drawing):
    """(tail label, head label) -> list of arrow texts, in DOT order."""
    labels = drawing.labels
    found = {}
    for tail, head, text in drawing.arrows:
        key = (labels[tail].split("\n")[0], labels[head].split("\n")[0])
        found.setdefault(key, []).append(text)
    return found


def test_diamond_arrows_carry_each_vjp_and_the_joint_node_receives_their_sum():
    x = torch.tensor(0.5, requires_grad=True)
    y = 2 * x
    e = y.exp()
    s = y.sin()
    out = e + s
    with record_gradients(out) as record:
        out.backward(retain_graph=True)
    drawing = draw_graph(out, names={"x": x, "out": out}, grads=True)
    arrows = arrow_labels(drawing)
    # What each node receives, from torch: d out / d (its output).
    d_e, d_s, d_y = torch.autograd.grad(out, (e, s, y), retain_graph=True)
    # What each arrow carries: the VJP of the node's own operation, from torch.func.
    _, exp_vjp = torch.func.vjp(torch.exp, y.detach())
    _, sin_vjp = torch.func.vjp(torch.sin, y.detach())
    _, double_vjp = torch.func.vjp(lambda t: 2 * t, x.detach())
    (via_exp,) = exp_vjp(d_e)
    (via_sin,) = sin_vjp(d_s)
    (to_x,) = double_vjp(d_y)
    assert shown_close(arrows["out", "AddBackward0"][0], torch.tensor(1.0))
    assert shown_close(arrows["AddBackward0", "ExpBackward0"][0], d_e)
    assert shown_close(arrows["AddBackward0", "SinBackward0"][0], d_s)
    assert shown_close(arrows["ExpBackward0", "MulBackward0"][0], via_exp)
    assert shown_close(arrows["SinBackward0", "MulBackward0"][0], via_sin)
    assert shown_close(arrows["MulBackward0", "x"][0], to_x)
    # The joint node receives the sum of its two incoming arrows.
    assert torch.allclose(via_exp + via_sin, d_y)
    assert torch.allclose(record.grad_outputs(y.grad_fn)[0], d_y)
    assert torch.allclose(record.grad_inputs(e.grad_fn)[0], via_exp)
    # The leaf box shows .grad, which is the gradient that reached x.
    assert drawing.labels["n5"] == f"x\n()\n.grad: {format(x.grad.item(), '.4g')}"
    # One pass: no caption under the drawing.
    assert not re.search(r"^  label=", drawing.dot, re.MULTILINE)
    assert not any("backward()" in text for text in texts_of(drawing))
    assert torch.allclose(x.grad, to_x)
    # The alt text says what each arrow carries, with torch's numbers, and what x.grad holds.
    assert drawing.alt.endswith(
        "Gradients along the arrows: from out to AddBackward0, 1; "
        f"from AddBackward0 to ExpBackward0, {spoken(d_e)}; "
        f"from AddBackward0 to SinBackward0, {spoken(d_s)}; "
        f"from ExpBackward0 to MulBackward0, {spoken(via_exp)}; "
        f"from SinBackward0 to MulBackward0, {spoken(via_sin)}; "
        f"from MulBackward0 to x, {spoken(to_x)}. x.grad = {spoken(x.grad)}."
    )
    assert "recorded backward pass" not in drawing.alt


def test_svg_shows_the_text_of_each_arrow():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    z = ((x + 2) * (x + 2)).sum()
    with record_gradients(z):
        z.backward()
    drawing = draw_graph(z, grads=True)
    root = ET.fromstring(drawing.svg)
    shown = [
        " ".join(text.text.strip() for text in group.iter(f"{SVG}text"))
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "edge"
    ]
    assert shown == [text for _, _, text in drawing.arrows]
    assert shown[2] == shown[3] == "[3, 4]"


def test_y_times_y_sends_half_of_the_product_rule_along_each_arrow():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x + 2
    z = (y * y).sum()
    with record_gradients(z):
        z.backward()
    drawing = draw_graph(z, names={"x": x}, grads=True)
    both = arrow_labels(drawing)["MulBackward0", "AddBackward0"]
    # Each factor receives the other factor, y; together 2y, the product rule.
    assert both == ["[3, 4]", "[3, 4]"]
    assert shown_close(both[0], y.detach())
    assert torch.equal(x.grad, 2 * y.detach())
    assert drawing.labels["n4"] == "x\n(2,)\n.grad: [6, 8]"


def test_alt_text_says_what_each_arrow_of_y_times_y_times_3_carries():
    # The graph of "compute gradients": out = mean(3 * y * y) with y = x + 2.
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    square = y * y
    z = square * 3
    out = z.mean()
    with record_gradients(out):
        out.backward(retain_graph=True)
    drawing = draw_graph(out, names={"x": x, "out": out}, grads=True)
    g_z, g_square, g_y = torch.autograd.grad(out, (z, square, y))
    per_factor = g_square * y.detach()  # each factor of y * y receives the other factor
    assert torch.equal(per_factor + per_factor, g_y)
    assert torch.equal(g_y, x.grad)
    assert drawing.alt == (
        "Autograd graph of out, a scalar, drawn as 6 boxes and 6 arrows: backward runs from out "
        "through MeanBackward0, MulBackward0, MulBackward0 and AddBackward0 to leaf x, "
        "a 2 by 2 matrix. Gradients along the arrows: from out to MeanBackward0, 1; "
        f"from MeanBackward0 to the first MulBackward0, {spoken(g_z)}; "
        f"from the first MulBackward0 to the second MulBackward0, {spoken(g_square)}; "
        f"two arrows from the second MulBackward0 to AddBackward0, each {spoken(per_factor)}; "
        f"from AddBackward0 to x, {spoken(g_y)}. x.grad = {spoken(x.grad)}."
    )
    # The numbers, as a reader hears them.
    assert [spoken(t) for t in (g_z, g_square, per_factor, x.grad)] == [
        "0.25 in every entry",
        "0.75 in every entry",
        "2.25 in every entry",
        "4.5 in every entry",
    ]


def test_alt_text_tells_two_arrows_to_a_leaf_from_one_when_a_factor_is_detached():
    x = torch.tensor([1.2, -0.4, 1.6], requires_grad=True)
    tracked = (x * x).sum()
    with record_gradients(tracked):
        tracked.backward()
    both = draw_graph(tracked, names={"x": x, "loss": tracked}, grads=True)
    assert both.alt.endswith(
        f"two arrows from MulBackward0 to x, each {spoken(x)}. x.grad = {spoken(2 * x)}."
    )
    x.grad = None
    cut = (x * x.detach()).sum()
    with record_gradients(cut):
        cut.backward()
    one = draw_graph(cut, names={"x": x, "loss": cut}, grads=True)
    assert one.alt.startswith(
        "Autograd graph of loss, a scalar, drawn as 4 boxes and 3 arrows: backward runs from loss "
        "through SumBackward0 and MulBackward0 to leaf x, a vector of 3 entries."
    )
    assert one.alt.endswith(f"; from MulBackward0 to x, {spoken(x)}. x.grad = {spoken(x)}.")
    assert torch.equal(x.grad, x.detach())


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ((), "a scalar"),
        ((1,), "a vector of 1 entry"),
        ((3,), "a vector of 3 entries"),
        ((2, 2), "a 2 by 2 matrix"),
        ((1, 3), "a 1 by 3 matrix"),
        ((2, 3, 4), "a 2 by 3 by 4 tensor"),
    ],
)
def test_shapes_are_spoken_in_words(shape, words):
    leaf = torch.zeros(shape, requires_grad=True)
    out = leaf.sum()
    drawing = draw_graph(out, names={"w": leaf, "out": out})
    assert drawing.alt.startswith("Autograd graph of out, a scalar, drawn as 3 boxes and 2 arrows")
    assert drawing.alt.endswith(f" to leaf w, {words}.")
    assert f"{tuple(leaf.shape)}" not in drawing.alt


@pytest.mark.parametrize(
    ("values", "words"),
    [
        pytest.param([[1.0, 2.0, 3.0]], "row [1, 2, 3]", id="one-row"),
        pytest.param([[1.0], [2.0], [3.0]], "rows [1], [2] and [3]", id="column"),
        pytest.param([[[1.0, 2.0]], [[3.0, 4.0]]], "[[[1, 2]], [[3, 4]]]", id="3-d"),
        pytest.param([[0.5, 0.5], [0.5, 0.5]], "0.5 in every entry", id="constant"),
        pytest.param([7.0], "[7]", id="one-entry"),
        pytest.param([1.0] * 7, "a vector of 7 entries", id="large"),
    ],
)
def test_values_are_spoken_the_same_way_saved_and_as_gradients(values, words):
    t = torch.tensor(values, requires_grad=True)
    out = (t * 1.0).sin().sum()
    saved = draw_graph(out, names={"t": t, "out": out}, saved=True)
    assert f"SinBackward0 self = {words};" in saved.alt
    with record_gradients(out):
        out.backward()
    grads = draw_graph(out, names={"t": t, "out": out}, grads=True)
    assert grads.alt.endswith(f"t.grad = {spoken(t.grad)}.")
    assert f"from MulBackward0 to t, {spoken(t.grad)}." in grads.alt


def test_a_drawing_of_more_than_eight_arrows_lists_no_arrow_but_every_leaf():
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    y = two_layer(x)
    with record_gradients(y):
        y.backward()
    drawing = draw_graph(y, names={"x": x}, grads=True)
    assert len(drawing.arrows) > 8
    assert f"The {len(drawing.arrows)} arrows carry the gradients that flowed along them." in (
        drawing.alt
    )
    assert "from " not in drawing.alt.split(" arrows carry the gradients", 1)[1]
    assert drawing.alt.endswith(f"x.grad = {spoken(x.grad)}.")
    assert drawing.alt.count(".grad") == 3  # x and the two unnamed weights
    assert ". The .grad of unnamed leaf 1 = " in drawing.alt


@pytest.mark.parametrize("f", [two_layer, diamond, samples.SMOOTH_FUNCTIONS[0]])
def test_every_arrow_matches_the_node_applied_to_what_it_received(f):
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    y = f(x)
    seed = torch.ones_like(y)
    with record_gradients(y) as record:
        y.backward(seed, retain_graph=True)
    drawing = draw_graph(y, grads=True)
    for (_, _, text), (tail_node, slot) in zip(drawing.arrows[1:], arrow_sources(y), strict=True):
        received = record.grad_outputs(tail_node)
        # Calling a node runs its backward formula: torch's own VJP, given what
        # the node received, must be what the arrow shows.
        passed = tail_node(*received)
        passed = passed if isinstance(passed, tuple) else (passed,)
        expected = passed[slot]
        assert (
            shown_close(text, expected)
            if expected.numel() <= 6
            else text == str(tuple(expected.shape))
        )
    assert shown_close(drawing.arrows[0][2], seed)


def arrow_sources(tensor):
    """(node, slot) of every arrow below the tensor's own, in draw_graph's documented order."""
    order, queue, seen = [], [tensor.grad_fn], {tensor.grad_fn}
    while queue:
        node = queue.pop(0)
        for slot, (next_node, _) in enumerate(node.next_functions):
            if next_node is None:
                continue
            order.append((node, slot))
            if next_node not in seen:
                seen.add(next_node)
                queue.append(next_node)
    return order


def test_non_scalar_output_with_backward_gradient_v():
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = torch.tensor([1.0, 0.0, -1.0])
    y = w * w
    with record_gradients(y):
        y.backward(v)
    drawing = draw_graph(y, names={"w": w, "y": y}, grads=True)
    _, vjp_fn = torch.func.vjp(lambda t: t * t, w.detach())
    (expected,) = vjp_fn(v)
    assert drawing.arrows[0] == ("n0", "n1", "[1, 0, -1]")  # backward started with v
    # Each factor of w * w passes on v * w; the two arrows add up to v * 2w.
    assert [text for _, _, text in drawing.arrows[1:]] == ["[1, 0, -3]", "[1, 0, -3]"]
    assert torch.equal(w.grad, expected)
    assert drawing.labels["n2"] == "w\n(3,)\n.grad: [2, 0, -6]"


def test_several_passes_are_summed_like_grad_and_the_drawing_says_how_many():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with record_gradients(y) as record:
        for _ in range(3):
            y.backward(retain_graph=True)
    drawing = draw_graph(y, names={"x": x}, grads=True)
    assert record.passes == 3
    assert torch.equal(x.grad, 3 * 2 * x.detach())
    assert drawing.arrows[0][2] == "3"  # 1 + 1 + 1
    assert drawing.labels["n3"] == "x\n(2,)\n.grad: [6, 12]"
    # The caption, in code and numbers: the arrows are the sum of 3 backward() calls.
    assert f'label="Σ backward() {TIMES} 3";' in drawing.dot
    assert f"Σ backward() {TIMES} 3" in texts_of(drawing)
    (per_factor,) = record.grad_inputs(y.grad_fn.next_functions[0][0])[:1]
    assert drawing.alt.endswith(
        "Gradients along the arrows, summed over 3 backward passes: "
        f"from the output to SumBackward0, {record.passes}; "
        f"from SumBackward0 to MulBackward0, {record.passes} in every entry; "
        f"two arrows from MulBackward0 to x, each {spoken(per_factor)}. "
        f"x.grad = {spoken(x.grad)}."
    )
    assert torch.equal(per_factor, 3 * x.detach())


def texts_of(drawing):
    return [text.text for text in ET.fromstring(drawing.svg).iter(f"{SVG}text")]


def test_without_a_record_the_caption_counts_zero_backward_passes():
    x = torch.ones(2, requires_grad=True)
    y = (x * 3).sum()
    drawing = draw_graph(y, names={"x": x}, grads=True)
    assert [text for _, _, text in drawing.arrows] == ["", "", ""]
    assert drawing.labels["n3"] == "x\n(2,)\n.grad: None"
    assert f"backward() {TIMES} 0" in texts_of(drawing)
    assert drawing.alt.endswith(
        "No backward pass was recorded, so the arrows carry no gradients. x.grad = None."
    )
    # After an unrecorded backward the leaves show .grad, still without guessing the rest.
    y.backward()
    after = draw_graph(y, names={"x": x}, grads=True)
    assert after.labels["n3"] == "x\n(2,)\n.grad: [3, 3]"
    assert [text for _, _, text in after.arrows] == ["", "", ""]
    assert f"backward() {TIMES} 0" in texts_of(after)
    assert after.alt.endswith(
        f"No backward pass was recorded, so the arrows carry no gradients. x.grad = {spoken(x.grad)}."
    )
    assert spoken(x.grad) == "3 in every entry"


def test_a_record_made_but_not_run_through_counts_zero_backward_passes():
    x = torch.ones(2, requires_grad=True)
    y = (x * 3).sum()
    with record_gradients(y):
        pass
    drawing = draw_graph(y, grads=True)
    assert f"backward() {TIMES} 0" in texts_of(drawing)
    assert [text for _, _, text in drawing.arrows] == ["", "", ""]


def test_large_gradients_are_shown_by_shape():
    w = torch.ones(3, 4, requires_grad=True)
    z = (w * 2).sum()
    with record_gradients(z):
        z.backward()
    drawing = draw_graph(z, names={"w": w}, grads=True)
    assert drawing.arrows == (("n0", "n1", "1"), ("n1", "n2", "(3, 4)"), ("n2", "n3", "(3, 4)"))
    assert drawing.labels["n3"] == "w\n(3, 4)\n.grad: (3, 4)"
    # More than 6 entries: the drawing shows the shape, and the alt text says it.
    assert drawing.alt.endswith(
        "from MulBackward0 to w, a 3 by 4 matrix. w.grad = a 3 by 4 matrix."
    )


def test_matrix_gradients_put_one_row_on_each_line():
    w = torch.ones(2, 2, requires_grad=True)
    z = (w * 3).sum()
    with record_gradients(z):
        z.backward()
    drawing = draw_graph(z, names={"w": w}, grads=True)
    assert drawing.labels["n3"] == "w\n(2, 2)\n.grad:\n  [[3, 3],\n   [3, 3]]"
    assert drawing.arrows[-1] == ("n2", "n3", "[[3, 3],\n [3, 3]]")
    assert 'n2 -> n3 [label=" [[3, 3], \\l  [3, 3]] \\l"];' in drawing.dot


def test_a_leaf_drawn_on_its_own_never_borrows_the_record_of_a_graph_that_uses_it():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = (x * 5).sum()
    with record_gradients(out):
        out.backward()
    # A leaf has no graph of its own to record; out's record is out's.
    drawing = draw_graph(x, names={"x": x}, grads=True)
    assert drawing.labels == {"n0": "x\n(2,)\n.grad: [5, 5]"}
    assert f"backward() {TIMES} 0" in texts_of(drawing)
    assert drawing.alt == (
        "Autograd graph of leaf x, a vector of 2 entries, drawn as a single box: "
        f"nothing for backward to walk. No backward pass was recorded. x.grad = {spoken(x.grad)}."
    )
    fresh = torch.ones(2, requires_grad=True)
    assert draw_graph(fresh, names={"x": fresh}, grads=True).alt.endswith(
        "No backward pass was recorded. x.grad = None."
    )


def test_the_newest_record_of_a_graph_is_drawn():
    x = torch.tensor(2.0, requires_grad=True)
    y = x * x
    with record_gradients(y):
        y.backward(retain_graph=True)
    with record_gradients(y):
        y.backward(torch.tensor(10.0), retain_graph=True)
    drawing = draw_graph(y, grads=True)
    assert drawing.arrows[0][2] == "10"
    assert drawing.labels["n2"] == "()\n.grad: 44"  # .grad keeps both: 4 + 40


def test_a_graph_drawn_from_a_later_tensor_does_not_borrow_the_record_of_its_part():
    x = torch.tensor(2.0, requires_grad=True)
    y = x.exp()
    with record_gradients(y) as record:
        loss = y * 3  # made after the record: its node is not hooked
        loss.backward()
    # The record was made for y's graph, not loss's: loss is drawn without it.
    drawing = draw_graph(loss, grads=True)
    assert [text for _, _, text in drawing.arrows] == ["", "", ""]
    assert f"backward() {TIMES} 0" in texts_of(drawing)
    assert drawing.alt.endswith(
        "No backward pass was recorded, so the arrows carry no gradients. "
        f"The .grad of the leaf = {spoken(x.grad)}."
    )
    # y itself is drawn with it: the pass from loss ran through y's own node.
    own = draw_graph(y, grads=True)
    assert own.arrows == (
        ("n0", "n1", "3"),
        ("n1", "n2", f"{record.grad_inputs(y.grad_fn)[0].item():.4g}"),
    )
    assert torch.equal(record.grad_inputs(y.grad_fn)[0], x.grad)


def test_an_arrow_the_recorded_pass_did_not_reach_says_nothing_recorded():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    out = (y * 3).sum()
    with record_gradients(out):
        (to_y,) = torch.autograd.grad(out, y)  # stops at y: ExpBackward0 does not run
    drawing = draw_graph(out, names={"x": x, "out": out}, grads=True)
    assert drawing.arrows[-1] == ("n3", "n4", "")
    assert drawing.arrows[-2] == ("n2", "n3", "[3, 3]")
    assert shown_close(drawing.arrows[-2][2], to_y)
    assert drawing.alt.endswith(
        f"from MulBackward0 to ExpBackward0, {spoken(to_y)}; "
        "from ExpBackward0 to x, nothing recorded. x.grad = None."
    )


def test_a_graph_that_shares_only_a_leaf_with_a_recorded_one_has_no_record():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    first = (w * 2).sum()
    with record_gradients(first):
        first.backward()
    second = (w * 3).sum()  # never run backward
    drawing = draw_graph(second, names={"w": w, "second": second}, grads=True)
    assert [text for _, _, text in drawing.arrows] == ["", "", ""]
    assert f"backward() {TIMES} 0" in texts_of(drawing)
    assert drawing.alt.endswith(
        "No backward pass was recorded, so the arrows carry no gradients. "
        f"w.grad = {spoken(w.grad)}."
    )


def test_a_graph_that_shares_an_inner_node_with_a_recorded_one_has_no_record():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    first = y.sin().sum()
    with record_gradients(first) as record:
        first.backward()
    second = y.cos().sum()  # shares y's MulBackward0 node; never run backward
    drawing = draw_graph(second, names={"w": w, "second": second}, grads=True)
    assert [text for _, _, text in drawing.arrows] == ["", "", "", ""]
    assert f"backward() {TIMES} 0" in texts_of(drawing)
    assert "No backward pass was recorded, so the arrows carry no gradients." in drawing.alt
    # y, a node of first's graph, is drawn with first's record: what y received from first.
    part = draw_graph(y, names={"w": w, "y": y}, grads=True)
    (received,) = record.grad_outputs(y.grad_fn)
    assert shown_close(part.arrows[0][2], received)
    assert shown_close(part.arrows[1][2], w.grad)


def test_later_passes_of_other_graphs_of_the_leaf_are_not_counted():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = (x * 2).sum()
    record_gradients(out)  # no with block: the hooks stay
    out.backward()
    for _ in range(3):
        (x * 5).sum().backward()  # through x's AccumulateGrad node, not out's graph
    drawing = draw_graph(out, names={"x": x, "out": out}, grads=True)
    assert drawing.arrows == (("n0", "n1", "1"), ("n1", "n2", "[1, 1]"), ("n2", "n3", "[2, 2]"))
    assert not any("backward()" in text for text in texts_of(drawing))  # one pass: no caption
    assert drawing.labels["n3"] == "x\n(2,)\n.grad: [17, 17]"  # .grad keeps them all
    assert drawing.alt.endswith(
        "Gradients along the arrows: from out to SumBackward0, 1; "
        "from SumBackward0 to MulBackward0, 1 in every entry; "
        "from MulBackward0 to x, 2 in every entry. x.grad = 17 in every entry."
    )


def test_the_caption_counts_the_passes_through_the_drawn_tensors_own_node():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    out = (y * 3).sum()
    record = record_gradients(out)  # its hooks stay on y's node, and the leaf's, too
    out.backward(retain_graph=True)
    with record_gradients(y):  # newer, and y's own: drawn for y
        y.sum().backward(retain_graph=True)
        y.sum().backward()
    record.remove()
    assert record.passes == 1
    assert f"Σ backward() {TIMES} 2" in texts_of(draw_graph(y, grads=True))
    assert not any("backward()" in text for text in texts_of(draw_graph(out, grads=True)))


def test_an_intermediate_result_drawn_with_a_later_record_counts_the_passes_that_reached_it():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = (y * 3).sum()
    with record_gradients(z) as record:
        torch.autograd.grad(z, y, retain_graph=True)  # stops at y: y's node does not run
        z.backward()
    assert (record.passes, record.calls(y.grad_fn)) == (2, 1)
    # y's node is in z's record: y is drawn with it, and one pass reached y.
    drawing = draw_graph(y, names={"x": x, "y": y}, grads=True)
    assert not any("backward()" in text for text in texts_of(drawing))
    assert drawing.arrows[0] == ("n0", "n1", "[3, 3]")
    assert shown_close(drawing.arrows[1][2], x.grad)
    assert drawing.alt.endswith(
        "Gradients along the arrows: from y to ExpBackward0, 3 in every entry; "
        f"from ExpBackward0 to x, {spoken(x.grad)}. x.grad = {spoken(x.grad)}."
    )


def test_saved_and_grads_together():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    out = (x.exp() * x).sum()
    with record_gradients(out):
        out.backward()
    drawing = draw_graph(out, names={"x": x, "out": out}, saved=True, grads=True)
    assert drawing.labels["n3"] == "ExpBackward0\nresult: ∅"
    assert drawing.labels["n4"].startswith("x\n(2,)\n.grad: [")
    assert shown_close(drawing.labels["n4"].split(".grad: ")[1], x.grad)
    assert "Saved for backward: SumBackward0 self_sym_sizes = (2,); MulBackward0 other freed, " in (
        drawing.alt
    )
    assert (
        "ExpBackward0 result freed. Gradients along the arrows: from out to SumBackward0, 1;"
        in (drawing.alt)
    )


# --- no words in the drawing -----------------------------------------------------------

# Both editions of the guide show the same picture, so a drawing writes code names,
# symbols and numbers, never an English word (the alt text has the words). Besides the
# names given and torch's own names (the nodes' classes and saved attributes), only
# these code names may appear: the version counter, .grad, backward() in the caption,
# Python's constants, a custom Function's saved_tensors, and numbers written as words.
CODE_NAMES = {
    "_version",
    "grad",
    "backward",
    "None",
    "True",
    "False",
    "saved_tensors",
    "nan",
    "inf",
}
# A name, not the exponent in 1.235e+04.
NAME = re.compile(r"(?<!\w)[A-Za-z_]\w*")


def drawn_texts(drawing):
    """Everything a reader can see: the SVG's texts and the tooltips of its boxes and arrows."""
    root = ET.fromstring(drawing.svg)
    tooltips = [
        group.find(f"{SVG}title").text
        for group in root.iter(f"{SVG}g")
        if group.get("class") in {"node", "edge"}
    ]
    return [text.text for text in root.iter(f"{SVG}text")] + tooltips


def torch_names(tensor):
    """The class and saved-attribute names of every node of tensor's graph, found by torch."""
    found, queue, seen = set(), [tensor.grad_fn], set()
    while queue:
        node = queue.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        found.add(type(node).__name__)
        found.update(a.removeprefix("_saved_") for a in dir(node) if a.startswith("_saved_"))
        queue.extend(n for n, _ in node.next_functions)
    return found


def every_mark():
    """(drawing, allowed names) for each mark a drawing can make, after what made it."""
    drawings = []
    # Freed saved tensors, gradients of one pass, a leaf's .grad.
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (a.exp() * a).sum()
    with record_gradients(loss):
        loss.backward()
    drawings.append((draw_graph(loss, names={"a": a, "loss": loss}, saved=True, grads=True), loss))
    # Modified in place after saving.
    b = torch.tensor([1.0, 2.0], requires_grad=True)
    h = b.exp()
    changed = (h * b).sum()
    h.add_(1)
    drawings.append((draw_graph(changed, names={"b": b, "changed": changed}, saved=True), changed))
    # No pass recorded, a matrix .grad, unnamed tensors.
    q = torch.ones(2, 2, requires_grad=True)
    r = (q * 3).sum()
    r.backward()
    drawings.append((draw_graph(r, saved=True, grads=True), r))
    # Two passes summed.
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = w * w
    with record_gradients(v):
        v.backward(torch.ones(3), retain_graph=True)
        v.backward(torch.ones(3))
    drawings.append((draw_graph(v, names={"w": w, "v": v}, saved=True, grads=True), v))

    # A custom Function's saved tensors, freed.
    c = torch.tensor([1.0, 2.0], requires_grad=True)
    cube = Cube.apply(c)
    cube.sum().backward()
    drawings.append((draw_graph(cube, names={"c": c}, saved=True, grads=True), cube))
    return [(d, torch_names(t) | {"a", "loss", "b", "changed", "w", "v", "c"}) for d, t in drawings]


def test_drawings_have_no_words_only_code_names_symbols_and_numbers():
    marks = set()
    for drawing, allowed in every_mark():
        texts = drawn_texts(drawing)
        words = {name for text in texts for name in NAME.findall(text)}
        assert words <= allowed | CODE_NAMES, words - allowed - CODE_NAMES
        marks.update(
            mark
            for mark in ("∅", "_version 0 → 1", f"backward() {TIMES} 0", "Σ")
            if any(mark in text for text in texts)
        )
    # Every mark was drawn, so each was checked.
    assert marks == {"∅", "_version 0 → 1", f"backward() {TIMES} 0", "Σ"}


def test_the_marks_are_explained_in_words_by_the_alt_text():
    freed, modified, unrecorded, twice, custom = (drawing for drawing, _ in every_mark())
    assert "MulBackward0 other freed, self freed" in freed.alt
    assert "self modified in place from version 0 to 1" in modified.alt
    assert "No backward pass was recorded, so the arrows carry no gradients." in unrecorded.alt
    assert "Gradients along the arrows, summed over 2 backward passes:" in twice.alt
    assert "CubeBackward saved_tensors freed" in custom.alt
    # Nor any symbol of the drawing: the alt text says it in words.
    for drawing in (freed, modified, unrecorded, twice, custom):
        assert not any(mark in drawing.alt for mark in ("∅", "→", "_version", "Σ", TIMES))
        # One paragraph, spoken shapes: no "loss ()" or "x (2,)".
        assert "\n" not in drawing.alt
        assert not re.search(r"\w \((\d+(, \d+)*,?)?\)", drawing.alt), drawing.alt


def test_a_refusal_in_words_torch_does_not_use_still_shows_the_version_counter(monkeypatch):
    from autograd_guide import graph

    # torch's messages name both versions; were one not to, the box still says what changed.
    message = "a variable needed for gradient computation has been modified by an inplace operation"
    unknown = (["_version ? → ?"], "modified in place", "modified")
    assert graph._unreadable(RuntimeError(message)) == unknown
    # No public API tells why a saved value cannot be read: a message worded otherwise
    # (another torch) falls back to the same, rather than failing the drawing.
    assert graph._unreadable(RuntimeError("something else")) == unknown
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    h = a.exp()
    loss = (h * a).sum()
    h.add_(1)
    monkeypatch.setattr(graph, "_VERSIONS", re.compile("a wording torch does not use"))
    drawing = draw_graph(loss, names={"a": a, "loss": loss}, saved=True)
    assert saved_lines(drawing, "n3") == {"result": "_version ? → ?"}
    assert 'color="#a4262c", penwidth=2' in drawing.dot
    assert drawing.alt.endswith(
        f"MulBackward0 other = {spoken(a)}, self modified in place; "
        "ExpBackward0 result modified in place."
    )


# --- light and dark mode, screen readers, determinism --------------------------------


def luminance(colour):
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def dark_mode(colour):
    """The colour after the theme's dark-mode filter, brightness(.8) contrast(1.2), in sRGB."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    filtered = [min(1.0, max(0.0, (0.8 * c - 0.5) * 1.2 + 0.5)) for c in channels]
    return "#" + "".join(f"{round(c * 255):02x}" for c in filtered)


def contrast(a, b):
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


NAMED = {"black": "#000000", "white": "#ffffff"}


def colour(value):
    return NAMED.get(value, value)


def colour_pairs(svg):
    """(foreground, background) for every text and outline in the SVG."""
    root = ET.fromstring(svg)
    graph = next(root.iter(f"{SVG}g"))
    background = colour(graph.find(f"{SVG}polygon").get("fill"))
    pairs = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") not in {"node", "edge"}:
            continue
        shape = group.find(f"{SVG}polygon")
        if shape is None:
            shape = group.find(f"{SVG}path")
        fill = shape.get("fill")
        behind = background if group.get("class") == "edge" or fill == "none" else colour(fill)
        pairs.append((colour(shape.get("stroke")), background))  # outline against the page
        pairs.extend(
            (colour(text.get("fill", "black")), behind) for text in group.iter(f"{SVG}text")
        )
    pairs.extend(
        (colour(text.get("fill", "black")), background) for text in graph.findall(f"{SVG}text")
    )
    return background, pairs


def test_text_and_outlines_keep_contrast_in_light_and_dark_mode():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    h = a.exp()
    loss = (h * a).sum()
    with record_gradients(loss):
        loss.backward(retain_graph=True)
    h.add_(1)  # one box with the red outline of an in-place change
    b = torch.tensor(1.0, requires_grad=True)
    freed = b.exp()
    freed.backward()
    drawings = [
        draw_graph(loss, names={"a": a, "loss": loss}, saved=True, grads=True),
        draw_graph(freed, saved=True, grads=True),
        draw_graph(blog_graph()[1]),
    ]
    seen = set()
    for drawing in drawings:
        background, pairs = colour_pairs(drawing.svg)
        # An explicit white background behind the whole drawing, in both modes.
        assert background == "#ffffff"
        for fg, bg in pairs:
            seen.add((fg, bg))
            assert contrast(fg, bg) >= 4.5, (fg, bg)
            assert contrast(dark_mode(fg), dark_mode(bg)) >= 4.5, (fg, bg)
    # Every colour the drawings use was checked: black, the gradient blue, the
    # warning red, on white and on both fills.
    assert {fg for fg, _ in seen} == {"#000000", "#0b5394", "#a4262c"}
    assert {bg for _, bg in seen} == {"#ffffff", "#fbe3c0", "#d6e6f4"}
    # The numbers in graph.py's comment.
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast(dark_mode("#000000"), dark_mode("#ffffff")), 1) == 15.2
    assert round(contrast(dark_mode("#000000"), dark_mode("#d6e6f4")), 1) == 11.7
    assert round(contrast("#0b5394", "#ffffff"), 1) == 7.8
    assert round(contrast(dark_mode("#0b5394"), dark_mode("#ffffff")), 1) == 8.5
    assert round(contrast(dark_mode("#a4262c"), dark_mode("#ffffff")), 1) == 7.4


def test_svg_root_has_a_title_and_the_alt_text_as_desc_for_screen_readers():
    x, out = blog_graph()
    drawing = draw_graph(out, names={"x": x, "out": out}, saved=True)
    root = ET.fromstring(drawing.svg)
    assert root.get("role") == "img"
    first, second = list(root)[:2]
    assert first.tag == f"{SVG}title"
    assert first.text == drawing.title == "Autograd graph of out"
    assert second.tag == f"{SVG}desc"
    assert second.text == drawing.alt


def shape_titles(drawing):
    """The <title> of each box and of each arrow of the SVG, in document order."""
    root = ET.fromstring(drawing.svg)
    titles = {"node": [], "edge": []}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") in titles:
            titles[group.get("class")].append(group.find(f"{SVG}title").text)
    return titles


def test_boxes_are_titled_with_their_first_line_and_arrows_with_the_boxes_they_join():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    out = (y * y).mean()
    with record_gradients(out):
        out.backward()
    drawing = draw_graph(out, names={"x": x, "out": out}, saved=True, grads=True)
    titles = shape_titles(drawing)
    # A name, a class name: no shape, no saved values, no .grad rows.
    assert titles["node"] == ["out", "MeanBackward0", "MulBackward0", "AddBackward0", "x"]
    # The two arrows of y * y leave from ports of their box, but are titled like the others.
    assert titles["edge"] == [
        "out → MeanBackward0",
        "MeanBackward0 → MulBackward0",
        "MulBackward0 → AddBackward0",
        "MulBackward0 → AddBackward0",
        "AddBackward0 → x",
    ]
    # An unnamed tensor's box shows its shape alone, and is titled with it.
    assert shape_titles(draw_graph(y * 2))["node"] == [
        "(2, 2)",
        "MulBackward0",
        "AddBackward0",
        "(2, 2)",
    ]


def test_same_computation_gives_identical_svg_with_saved_and_grads():
    def make():
        x = torch.tensor([0.5, 1.5], requires_grad=True)
        y = 2 * x
        out = (y.exp() + y.sin()).sum()
        before = draw_graph(out, names={"x": x, "out": out}, saved=True, grads=True)
        with record_gradients(out):
            out.backward()
        after = draw_graph(out, names={"x": x, "out": out}, saved=True, grads=True)
        return before, after

    first, second = make(), make()
    for one, two in zip(first, second, strict=True):
        assert one.dot == two.dot
        assert one.svg.encode() == two.svg.encode()
        assert one.alt == two.alt
        assert "0x" not in one.svg
    assert first[0].svg != first[1].svg


# --- bad saved / grads ---------------------------------------------------------------


@pytest.mark.parametrize("argument", ["saved", "grads"])
@pytest.mark.parametrize(
    ("value", "type_name"),
    [(1, "int"), ("yes", "str"), (None, "NoneType"), (torch.tensor(True), "Tensor")],
)
def test_saved_and_grads_must_be_bool(argument, value, type_name):
    _, out = blog_graph()
    with pytest.raises(
        TypeError, match=re.escape(f"{argument} must be True or False, got {type_name}")
    ):
        draw_graph(out, **{argument: value})


def test_bad_saved_is_refused_before_any_work_even_for_a_leaf():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="saved must be True or False"):
        draw_graph(x, saved="no")
    # The tensor is checked first, as before.
    with pytest.raises(
        TypeError, match=re.escape("tensor must be a torch.Tensor or a tiny.Tensor, got list")
    ):
        draw_graph([1.0], grads=1)
