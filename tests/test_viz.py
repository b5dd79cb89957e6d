"""Tests for tinygrad_np.viz: the traced graph, its DOT text, pictures, NaN marks, big graphs.

The expected nodes and edges of each graph are counted by hand from the expression (see the
comments), and compared with what the DOT text says, read back by a small parser.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tinygrad_np import Tensor
from tinygrad_np.viz import draw_graph, render, trace
from tinygrad_np.viz.draw import COLOURS, PROBLEM_COLOURS

ROOT = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz `dot`")

X0 = [0.6399, 0.8483, 0.1496, 0.9073, -0.6929, 0.2040, 0.4685, 1.4260]
W = [0.10, 0.40, -0.20, 0.05, -0.10, 0.30, 0.15, 0.25]


# ----------------------------------------------------------------------------- DOT reading


def parse_dot(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Nodes (id -> attributes, with "text": the label without markup) and edges of DOT text."""
    nodes, edges = {}, []
    for line in source.splitlines():
        edge = re.fullmatch(r"\t(\w+) -> (\w+)", line)
        node = re.fullmatch(r"\t(\w+) \[label=(<.*>|\S+) (.*)\]", line)
        if edge:
            edges.append(edge.groups())
        elif node:
            node_id, label, rest = node.groups()
            pairs = re.findall(r'(\w+)=("[^"]*"|\S+)', rest)
            attributes = {key: value.strip('"') for key, value in pairs}
            text = re.sub(r"<BR/>", "\n", label[1:-1] if label.startswith("<") else label)
            attributes["text"] = re.sub(r"<[^>]*>", "", text)
            attributes["title"] = attributes["text"].split("\n")[0]
            nodes[node_id] = attributes
    return nodes, edges


def labelled(source: str) -> tuple[Counter, Counter]:
    """The graph as multisets of node titles and of (source title, target title) edges.

    A title is an op's name, a tensor's name or role, or for an unnamed intermediate its
    "shape dtype" line.
    """
    nodes, edges = parse_dot(source)
    return (
        Counter(node["title"] for node in nodes.values()),
        Counter((nodes[a]["title"], nodes[b]["title"]) for a, b in edges),
    )


def node_with(nodes: dict, title: str) -> dict:
    (match,) = [node for node in nodes.values() if node["title"] == title]
    return match


def node_id(nodes: dict, title: str) -> str:
    (match,) = [i for i, node in nodes.items() if node["title"] == title]
    return match


# ----------------------------------------------------------------------------- graphs


def neuron(x0_requires_grad: bool = True) -> Tensor:
    """Lesson 2: one neuron, sigmoid(x0 @ w + b), with named tensors (x0 a leaf, as there)."""
    x0 = Tensor(X0, requires_grad=x0_requires_grad, name="x0")
    w = Tensor(W, requires_grad=True, name="w")
    b = Tensor(-0.5, requires_grad=True, name="b")
    out = (x0 @ w + b).sigmoid()
    out.name = "out"
    return out


def mlp() -> Tensor:
    """Linear-ReLU-Linear on a batch of 4 with 3 features, 5 hidden units, 2 outputs, summed."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)))
    w1 = Tensor(rng.normal(size=(5, 3)), requires_grad=True, name="W1")
    b1 = Tensor(rng.normal(size=5), requires_grad=True, name="b1")
    w2 = Tensor(rng.normal(size=(2, 5)), requires_grad=True, name="W2")
    b2 = Tensor(rng.normal(size=2), requires_grad=True, name="b2")
    loss = ((x @ w1.T + b1).relu() @ w2.T + b2).sum()
    loss.name = "loss"
    return loss


def chain(pairs: int) -> Tensor:
    """y = (...((x * 1.0001) + 0.1) * 1.0001 + 0.1 ...): 2 * pairs ops in a line."""
    y = x = Tensor(1.0, requires_grad=True, name="x")
    for _ in range(pairs):
        y = y * 1.0001 + 0.1
    assert x.grad is None
    return y


# ----------------------------------------------------------------------------- exact graphs


def test_neuron_graph_has_exactly_the_expected_nodes_and_edges():
    source = draw_graph(neuron()).source
    nodes, edges = labelled(source)
    # 3 ops; 6 tensors: x0, w, b, the two intermediates (both scalars) and out.
    # 8 edges: 2 + 2 + 1 inputs, and 3 outputs.
    assert nodes == Counter({
        "MatMul": 1, "Add": 1, "Sigmoid": 1, "x0": 1, "w": 1, "b": 1, "out": 1,
        "scalar float32": 2,
    })
    assert edges == Counter({
        ("x0", "MatMul"): 1, ("w", "MatMul"): 1, ("MatMul", "scalar float32"): 1,
        ("scalar float32", "Add"): 1, ("b", "Add"): 1, ("Add", "scalar float32"): 1,
        ("scalar float32", "Sigmoid"): 1, ("Sigmoid", "out"): 1,
    })
    raw_nodes, raw_edges = parse_dot(source)
    assert len(raw_nodes) == 9 and len(raw_edges) == 8
    # Follow the chain by id: x0 and w feed MatMul, whose result feeds Add, and so on.
    following = {a: b for a, b in raw_edges}
    by_title = {node["title"]: node_id for node_id, node in raw_nodes.items()}
    matmul_result = following[by_title["MatMul"]]
    assert following[matmul_result] == by_title["Add"]
    add_result = following[by_title["Add"]]
    assert following[add_result] == by_title["Sigmoid"]
    assert following[by_title["Sigmoid"]] == by_title["out"]
    assert following[by_title["b"]] == by_title["Add"]
    matmul_inputs = {a for a, b in raw_edges if b == by_title["MatMul"]}
    assert matmul_inputs == {by_title["x0"], by_title["w"]}


def test_neuron_labels_show_shapes_values_and_roles():
    nodes, _ = parse_dot(draw_graph(neuron()).source)
    assert "(8,) float32" in node_with(nodes, "w")["text"]
    assert "(8,) float32" in node_with(nodes, "x0")["text"]
    assert "data -0.5" in node_with(nodes, "b")["text"]  # scalars show their value
    out = node_with(nodes, "out")
    assert "data 0.6168" in out["text"]  # sigmoid(0.4760) = 0.616809
    # 8 elements is more than a small tensor: no values unless show_data=True.
    assert "data" not in node_with(nodes, "w")["text"]
    # Colours by role.
    assert node_with(nodes, "w")["fillcolor"] == COLOURS["leaf"][0]
    assert node_with(nodes, "x0")["fillcolor"] == COLOURS["leaf"][0]
    assert out["fillcolor"] == COLOURS["output"][0]
    assert node_with(nodes, "MatMul")["shape"] == "ellipse"
    assert node_with(nodes, "MatMul")["fillcolor"] == COLOURS["op"][0]


def test_mlp_graph_has_exactly_the_expected_nodes_and_edges():
    nodes, edges = labelled(draw_graph(mlp()).source)
    # relu(x @ W1.T + b1) @ W2.T + b2, summed: 8 ops (Transpose, MatMul, Add, ReLU,
    # Transpose, MatMul, Add, Sum); 5 sources (x, W1, b1, W2, b2); 7 intermediate results
    # and the loss. Edges: 12 op inputs (1+2+2+1+1+2+2+1) and 8 op outputs.
    assert nodes == Counter({
        "Transpose": 2, "MatMul": 2, "Add": 2, "ReLU": 1, "Sum": 1,
        "input": 1, "W1": 1, "b1": 1, "W2": 1, "b2": 1, "loss": 1,
        "(3, 5) float64": 1, "(4, 5) float64": 3, "(5, 2) float64": 1, "(4, 2) float64": 2,
    })
    assert edges == Counter({
        ("W1", "Transpose"): 1, ("Transpose", "(3, 5) float64"): 1,
        ("input", "MatMul"): 1, ("(3, 5) float64", "MatMul"): 1,
        ("MatMul", "(4, 5) float64"): 1, ("(4, 5) float64", "Add"): 1, ("b1", "Add"): 1,
        ("Add", "(4, 5) float64"): 1, ("(4, 5) float64", "ReLU"): 1,
        ("ReLU", "(4, 5) float64"): 1,
        ("W2", "Transpose"): 1, ("Transpose", "(5, 2) float64"): 1,
        ("(4, 5) float64", "MatMul"): 1, ("(5, 2) float64", "MatMul"): 1,
        ("MatMul", "(4, 2) float64"): 1, ("(4, 2) float64", "Add"): 1, ("b2", "Add"): 1,
        ("Add", "(4, 2) float64"): 1, ("(4, 2) float64", "Sum"): 1, ("Sum", "loss"): 1,
    })


def test_trace_gives_nodes_in_walk_order_with_counter_ids():
    nodes, edges = trace(neuron())
    assert [node.id for node in nodes] == [f"n{i}" for i in range(9)]
    assert [node.op for node in nodes if node.kind == "op"] == ["MatMul", "Add", "Sigmoid"]
    assert nodes[-1].kind == "output" and nodes[-1].name == "out"
    assert len(edges) == 8
    position = {node.id: i for i, node in enumerate(nodes)}
    assert all(position[a] < position[b] for a, b in edges)  # producers first


def test_trace_of_a_leaf_is_the_leaf_alone():
    nodes, edges = trace(Tensor([1.0, 2.0], requires_grad=True, name="0.weight"))
    assert len(nodes) == 1 and edges == []
    assert nodes[0].kind == "leaf" and nodes[0].name == "0.weight"


def test_same_tensor_used_twice_gives_two_edges_and_one_node():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    nodes, edges = parse_dot(draw_graph((x * x).sum()).source)
    assert len(nodes) == 5  # x, Mul, x*x, Sum, output
    assert Counter(edges)[(node_id(nodes, "x"), node_id(nodes, "Mul"))] == 2


def test_an_input_array_used_by_two_ops_is_one_node():
    data = Tensor(np.ones(3), name="data")
    w = Tensor(np.arange(3.0), requires_grad=True, name="w")
    nodes, edges = parse_dot(draw_graph(data @ w + data @ w).source)
    (input_id,) = [i for i, node in nodes.items() if node["title"] == "input"]
    assert sum(a == input_id for a, _ in edges) == 2


def test_dot_is_identical_for_identical_graphs_built_separately():
    assert draw_graph(neuron()).source == draw_graph(neuron()).source
    assert draw_graph(mlp()).source == draw_graph(mlp()).source
    first, second = (draw_graph(chain(300), max_nodes=40).source for _ in range(2))
    assert first == second


def test_rankdir_is_passed_to_graphviz():
    assert "rankdir=TB" in draw_graph(neuron(), rankdir="TB").source


# ----------------------------------------------------------------------------- values, grads


def test_after_backward_leaves_show_their_gradients():
    out = neuron()
    out.backward()
    nodes, edges = parse_dot(draw_graph(out).source)
    # d out/d b = out (1 - out); d out/d w = that times x0, d out/d x0 = that times w
    # (8 values each: shown as a norm).
    sigmoid = 1 / (1 + np.exp(-(np.dot(X0, W) - 0.5)))
    local = sigmoid * (1 - sigmoid)
    assert f"grad {local:.4g}" in node_with(nodes, "b")["text"]
    assert f"‖grad‖ {np.linalg.norm(np.array(X0) * local):.4g}" in node_with(nodes, "w")["text"]
    assert f"‖grad‖ {np.linalg.norm(np.array(W) * local):.4g}" in node_with(nodes, "x0")["text"]
    assert len(nodes) == 9 and len(edges) == 8
    assert "data 0.6168" in node_with(nodes, "out")["text"]
    # Micrograd-sized values stay drawable after a plain backward(): both intermediates
    # (x0 @ w and x0 @ w + b) still show their values.
    z = np.dot(X0, W)
    texts = [node["text"] for node in nodes.values() if node["title"] == "scalar float32"]
    assert len(texts) == 2
    assert any(f"data {z:.4g}" in text for text in texts)
    assert any(f"data {z - 0.5:.4g}" in text for text in texts)


def test_an_input_is_drawn_while_the_graph_holds_it():
    out = neuron(x0_requires_grad=False)
    nodes, _ = parse_dot(draw_graph(out).source)
    # The graph keeps x0's array but not its Tensor, so the box is titled by its role.
    x0 = node_with(nodes, "input")
    assert x0["fillcolor"] == COLOURS["input"][0] and "(8,) float32" in x0["text"]
    out.backward(retain_graph=True)
    assert "input" in {node["title"] for node in parse_dot(draw_graph(out).source)[0].values()}
    out.backward()  # frees what MatMul saved, but a constant this small stays drawable
    nodes, edges = parse_dot(draw_graph(out).source)
    assert "input" in {node["title"] for node in nodes.values()}
    assert len(nodes) == 9 and len(edges) == 8


def test_a_large_input_is_drawn_only_while_the_graph_holds_it():
    data = Tensor(np.ones((40, 3)))  # 120 elements: more than drawing keeps
    w = Tensor(np.arange(3.0), requires_grad=True, name="w")
    out = (data @ w).sum()
    assert "input" in {node["title"] for node in parse_dot(draw_graph(out).source)[0].values()}
    out.backward()
    nodes, edges = parse_dot(draw_graph(out).source)
    assert "input" not in {node["title"] for node in nodes.values()}


def test_show_grad_false_hides_gradients():
    out = neuron()
    out.backward()
    assert "grad" not in draw_graph(out, show_grad=False).source


def test_show_data_shortens_big_tensors():
    w = Tensor(np.arange(100.0), requires_grad=True, name="w")
    m = Tensor(np.arange(600.0).reshape(20, 30), requires_grad=True, name="m")
    loss = (w * 2).sum() + (m * 3).sum()
    plain, _ = parse_dot(draw_graph(loss).source)
    assert "data" not in node_with(plain, "w")["text"]
    nodes, _ = parse_dot(draw_graph(loss, show_data=True).source)
    text = node_with(nodes, "w")["text"]
    assert "data [0, 1, 2, …, 97, 98, 99]" in text
    assert "50" not in text
    assert "data [[0, …, 29], …, [570, …, 599]]" in node_with(nodes, "m")["text"]


def test_small_tensors_show_all_values():
    t = Tensor([[1.5, -2.0, 3.0], [4.0, 5.0, 6.25]], requires_grad=True, name="t")
    nodes, _ = parse_dot(draw_graph((t * 2).sum()).source)
    assert "data [[1.5, -2, 3], [4, 5, 6.25]]" in node_with(nodes, "t")["text"]


# ----------------------------------------------------------------------------- NaN and Inf


def test_nan_origin_and_the_tensors_it_reaches_are_red():
    x = Tensor([-1.0, 2.0, 3.0], requires_grad=True, name="x")
    with np.errstate(invalid="ignore"):
        z = ((x * 2).log() ** 2).sum()
    z.name = "z"
    nodes, edges = parse_dot(draw_graph(z).source)
    red = PROBLEM_COLOURS[0]
    log = node_with(nodes, "Log")
    assert log["fillcolor"] == red and "NaN starts here" in log["text"]
    # Upstream of the log everything is finite, downstream every tensor carries the NaN.
    assert node_with(nodes, "x")["fillcolor"] != red
    assert node_with(nodes, "Mul")["fillcolor"] != red
    assert node_with(nodes, "Pow")["fillcolor"] != red  # it only passes the NaN on
    log_result = dict(edges)[node_id(nodes, "Log")]
    assert nodes[log_result]["fillcolor"] == red and "NaN in data" in nodes[log_result]["text"]
    assert node_with(nodes, "z")["fillcolor"] == red
    # Red: Log and the three tensors after it (its result, the square, z).
    assert sum(node["fillcolor"] == red for node in nodes.values()) == 4

    with np.errstate(invalid="ignore"):
        z.backward()
    after, _ = parse_dot(draw_graph(z).source)
    assert node_with(after, "x")["fillcolor"] == red
    assert "NaN in grad" in node_with(after, "x")["text"]


def test_inf_origin_is_named():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    with np.errstate(divide="ignore"):
        y = (x - 1.0).log()
    nodes, _ = parse_dot(draw_graph(y).source)
    assert "Inf starts here" in node_with(nodes, "Log")["text"]
    assert node_with(nodes, "Sub")["fillcolor"] == COLOURS["op"][0]


# ----------------------------------------------------------------------------- big graphs


def test_small_graphs_are_not_collapsed():
    source = draw_graph(chain(40)).source  # 80 ops, 161 nodes: under 200
    assert " ops …" not in source
    assert len(parse_dot(source)[0]) == 161


def test_long_chain_collapses_past_max_nodes():
    nodes, edges = parse_dot(draw_graph(chain(150), max_nodes=50).source)
    # 300 ops: Mul, Add, ..., Mul, Add. Two ops stay visible at each end, so the middle
    # 296 (148 of each) become one node.
    assert len(nodes) <= 50
    (collapsed,) = [node for node in nodes.values() if "ops …" in node["text"]]
    assert "… 296 ops …" in collapsed["text"] and "(Mul ×148, Add ×148)" in collapsed["text"]
    assert collapsed["fillcolor"] == COLOURS["collapsed"][0]
    # x -> Mul -> t -> Add -> t -> [296 ops] -> t -> Mul -> t -> Add -> output
    order = [node_id(nodes, "x")]
    following = dict(edges)
    while order[-1] in following:
        order.append(following[order[-1]])
    assert [nodes[i]["title"] for i in order[:3]] == ["x", "Mul", "scalar float32"]
    assert [nodes[i]["title"].split(" ")[0] for i in order[3:]] == [
        "Add", "scalar", "…", "scalar", "Mul", "scalar", "Add", "output",
    ]
    assert len(edges) == len(nodes) - 1


def test_collapsed_node_is_red_when_the_nan_starts_inside_it():
    y = Tensor(1.0, requires_grad=True, name="x")
    with np.errstate(invalid="ignore"):
        for step in range(100):
            y = (y - 10.0).log() if step == 50 else y * 1.0
    source = draw_graph(y, max_nodes=30).source
    nodes, _ = parse_dot(source)
    (collapsed,) = [node for node in nodes.values() if " ops …" in node["text"]]
    assert "Log ×1" in collapsed["text"] and "NaN/Inf inside" in collapsed["text"]
    assert collapsed["fillcolor"] == PROBLEM_COLOURS[0]
    assert node_with(nodes, "x")["fillcolor"] == COLOURS["leaf"][0]


def test_wide_graph_keeps_the_part_near_the_output():
    leaves = [Tensor(float(i), requires_grad=True, name=f"p{i}") for i in range(300)]
    total = leaves[0] * 2
    for leaf in leaves[1:]:
        total = total + leaf * 2  # no linear runs: every Add has two producers
    full = trace(total).nodes
    nodes, edges = parse_dot(draw_graph(total, max_nodes=60).source)
    assert len(nodes) <= 60
    assert node_with(nodes, "output")
    assert "p299" in {node["title"] for node in nodes.values()}  # nearest the output
    # Nothing is lost: visible plus hidden ops and leaves add up to the whole graph.
    (far,) = [node for node in nodes.values() if " ops …" in node["text"]]
    hidden = {op: int(n.replace(",", "")) for op, n in re.findall(r"(\w+) ×([\d,]+)", far["text"])}
    hidden_leaves = int(re.search(r"and ([\d,]+) leaf", far["text"])[1])
    for op, count in (("Mul", 300), ("Add", 299)):
        assert sum(node["title"] == op for node in nodes.values()) + hidden[op] == count
    visible_leaves = sum(node["title"].startswith("p") for node in nodes.values())
    assert visible_leaves + hidden_leaves == 300
    assert len(full) == 300 + 300 + 299 + 299 + 300  # leaves, Mul, Add, results


def test_max_nodes_below_two_is_refused():
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(chain(5), max_nodes=1)


def test_100000_op_chain_traces_and_draws_collapsed():
    y = chain(50_000)
    nodes, edges = trace(y)  # iterative: no RecursionError
    assert len(nodes) == 1 + 100_000 + 100_000 and len(edges) == 200_000
    source = draw_graph(y).source
    drawn, drawn_edges = parse_dot(source)
    assert len(drawn) <= 200
    assert "… 99,996 ops …" in source and "(Mul ×49,998, Add ×49,998)" in source
    assert len(drawn_edges) == len(drawn) - 1


# ----------------------------------------------------------------------------- files, Jupyter


@needs_dot
def test_render_svg_and_png(tmp_path):
    out = neuron()
    out.backward(retain_graph=True)
    svg = Path(render(out, tmp_path / "neuron.svg", show_data=True))
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    svg_texts = re.findall(r"<text[^>]*>([^<]*)</text>", text)
    for label in ("MatMul", "Add", "Sigmoid", "x0", "w", "b", "out", "data 0.6168"):
        assert label in svg_texts
    png = Path(render(draw_graph(out), tmp_path / "neuron", format="png"))
    assert png.name == "neuron.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.png", "neuron.svg"]


@needs_dot
def test_render_escapes_awkward_names(tmp_path):
    x = Tensor([1.0], requires_grad=True, name="a<b & \"c\"")
    svg = Path(render((x * 2).sum(), tmp_path / "odd.svg")).read_text()
    assert ">a&lt;b &amp; &quot;c&quot;</text>" in svg  # the name, intact, as SVG text


@needs_dot
def test_100000_op_chain_renders(tmp_path):
    svg = Path(render(chain(50_000), tmp_path / "chain.svg")).read_text()
    assert "99,996 ops" in svg


@needs_dot
def test_tensor_shows_its_graph_in_jupyter():
    bundle = neuron()._repr_mimebundle_()
    assert "Sigmoid" in bundle["image/svg+xml"]
    assert bundle["text/plain"].startswith("tensor(")


def test_example_script_builds_the_documented_neuron():
    spec = importlib.util.spec_from_file_location(
        "draw_neuron_graph", ROOT / "examples" / "draw_neuron_graph.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # sigmoid(x0 . w + b) = sigmoid(0.47602) = 0.6168076 (float64, by NumPy); float32 agrees.
    expected = 1 / (1 + np.exp(-(np.dot(X0, W) - 0.5)))
    assert expected == pytest.approx(0.6168076, abs=1e-7)
    assert module.neuron().item() == pytest.approx(expected, abs=1e-6)


# ----------------------------------------------------------------------------- missing tools


def test_missing_dot_program_gives_install_advice(tmp_path, monkeypatch):
    out = neuron()
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` to run
    assert "Sigmoid" in draw_graph(out).source  # the DOT text needs no program
    with pytest.raises(RuntimeError) as error:
        render(out, tmp_path / "neuron.svg")
    message = str(error.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert "conda" in message
    assert not (tmp_path / "neuron.svg").exists()


def test_missing_graphviz_package_gives_pip_advice(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match="pip install graphviz"):
        draw_graph(neuron())


def test_tinygrad_np_imports_without_graphviz():
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "import tinygrad_np, tinygrad_np.viz\n"
        "t = tinygrad_np.Tensor([1.0], requires_grad=True)\n"
        "print(len(tinygrad_np.viz.trace((t * 2).sum()).nodes))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "5"
