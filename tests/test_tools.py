"""The debugging and teaching tools: gradcheck's drill-down, the testing kit, forward anomaly
detection, the backward trace, graph_stats and micrograd-sized pictures.

Expected values come from NumPy written here (the neuron's sigmoid derivative, the MLP's
counts by hand), never from the tools themselves.
"""

from __future__ import annotations

import re
import sys
import unittest
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

import tinygrad_np as tg
from tinygrad_np import Tensor, function, testing
from tinygrad_np.anomaly import forward_anomaly
from tinygrad_np.gradcheck import GradcheckError

HERE = Path(__file__).name
X0 = [0.6399, 0.8483, 0.1496, 0.9073, -0.6929, 0.2040, 0.4685, 1.4260]
W = [0.10, 0.40, -0.20, 0.05, -0.10, 0.30, 0.15, 0.25]


def line_of(text: str) -> int:
    """The line number of `text` in this file (where an op under test is created)."""
    for number, line in enumerate(Path(__file__).read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(text)


# ----------------------------------------------------------------------------- broken ops
class TransposedMatMul(tg.Function):
    """y = x @ w;  dx = g @ w^T,  dw = (x^T @ g)^T: transposed, wrong for square w."""

    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        return grad_output @ w.T, (x.T @ grad_output).T


class HalfSquare(tg.Function):
    """y = x**2;  dx = g * x: the factor 2 is missing."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x


class FirstRowBias(tg.Function):
    """y = x + b;  dx = g,  db = g[0]: takes one row instead of summing over the batch."""

    def forward(ctx, x, b):
        return x + b

    def backward(ctx, grad_output):
        return grad_output, grad_output[0]


def mlp_parts(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=(6, 4)))
    w1 = Tensor(rng.normal(size=(4, 4)), requires_grad=True, name="w1")
    b1 = Tensor(rng.normal(size=4), requires_grad=True, name="b1")
    w2 = Tensor(rng.normal(size=(4, 2)), requires_grad=True, name="w2")
    return x, [w1, b1, w2]


def loss_transposed(w1, b1, w2, x):
    h = TransposedMatMul.apply(x, w1)  # created here: transposed
    return ((h + b1).tanh() @ w2).sum()


def loss_half_square(w1, b1, w2, x):
    h = (x @ w1 + b1).tanh()
    return HalfSquare.apply(h @ w2).mean()  # created here: half square


def loss_first_row(w1, b1, w2, x):
    h = FirstRowBias.apply(x @ w1, b1).tanh()  # created here: first row
    return (h @ w2).sum()


@pytest.mark.parametrize("loss, marker, op", [
    (loss_transposed, "# created here: transposed", "TransposedMatMul"),
    (loss_half_square, "# created here: half square", "HalfSquare"),
    (loss_first_row, "# created here: first row", "FirstRowBias"),
])
@pytest.mark.parametrize("fast", [False, True])
def test_gradcheck_names_the_wrong_op_and_its_line(loss, marker, op, fast):
    x, params = mlp_parts()
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(lambda *p: loss(*p, x), params, fast=fast)
    error = info.value
    assert error.kind == "wrong rule" and error.op == op
    assert error.site.endswith(f"{HERE}:{line_of(marker)}")
    message = str(error)
    assert f"the wrong rule is {op}" in message and marker.lstrip("# ") in message


def test_gradcheck_passes_the_correct_mlp_and_reports_no_drill_down():
    x, params = mlp_parts()
    assert tg.gradcheck(lambda w1, b1, w2: ((x @ w1 + b1).tanh() @ w2).sum(), params)


def test_relu_exactly_at_zero_is_a_kink_not_a_wrong_rule():
    z = Tensor([0.0, 1.0, -1.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(lambda z: (z.relu() * 3.0).sum(), [z])  # kink line
    assert info.value.kind == "kink" and info.value.op == "ReLU"
    assert info.value.site.endswith(f"{HERE}:{line_of('# kink line')}")
    assert "kink" in str(info.value) and "element (0,)" in str(info.value)


@pytest.mark.parametrize("fn, value", [
    (lambda t: t.max(), [1.0, 1.0, 1.0]),  # a three-way tie: 1/3 each, differences say 1/2
    (lambda t: t.clip(-1.0, 1.0).sum(), [1.0, 0.3]),  # at the upper clip edge
    (lambda t: t.clip(-1.0, 1.0).sum(), [-1.0, 0.3]),  # at the lower one
])
def test_other_kinks_are_reported_as_kinks(fn, value):
    # (abs at 0 and a two-way max tie pass: their central difference is backward's value.)
    t = Tensor(value, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(fn, [t])
    assert info.value.kind == "kink"


def test_a_wrong_op_is_found_even_after_a_kink():
    z = Tensor([0.0, 1.5, -1.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(lambda z: HalfSquare.apply(z.relu()).sum(), [z])
    assert info.value.kind == "wrong rule" and info.value.op == "HalfSquare"


# ----------------------------------------------------------------------------- testing kit
@given(testing.broadcastable_shapes(2))
def test_broadcastable_shapes_broadcast(pair):
    a, b = pair
    np.broadcast_shapes(a, b)  # raises if they do not
    assert len(a) <= 3 and len(b) <= 3


@given(testing.broadcastable_shapes(3, min_dims=1, max_dims=4, max_side=2))
def test_broadcastable_triples_broadcast(shapes):
    assert len(shapes) == 3
    result = np.broadcast_shapes(*shapes)
    assert len(result) <= 4 and all(side <= 2 for side in result)


def test_broadcastable_shapes_include_rank_extension_and_size_one():
    seen = {"shorter": False, "ones": False}

    @settings(max_examples=300)  # enough draws that both kinds appear whatever the seed
    @given(testing.broadcastable_shapes(2))
    def collect(pair):
        a, b = pair
        seen["shorter"] |= len(a) != len(b)
        seen["ones"] |= any(sa != sb for sa, sb in zip(a[::-1], b[::-1]))

    collect()
    assert all(seen.values())


@given(testing.arrays(testing.shapes(max_dims=2), domain="positive"),
       testing.arrays((3, 2), dtype=np.float32, domain=testing.bounded(-0.5, 0.5)),
       testing.arrays((5,), domain="distinct"),
       testing.arrays((4,), domain=testing.away_from(-1.0, 1.0)))
def test_arrays_respect_shape_dtype_and_domain(positive, bounded, distinct, away):
    assert positive.dtype == np.float64 and np.all(positive >= 0.5)
    assert bounded.shape == (3, 2) and bounded.dtype == np.float32
    assert np.all(np.abs(bounded) <= 0.5)
    assert np.min(np.diff(np.sort(distinct))) >= 0.2
    assert np.all(np.abs(np.abs(away) - 1.0) >= 0.1 - 1e-12)


@given(testing.tensors((2, 3), dtype=np.float32))
def test_tensors_are_leaves_requiring_grad(t):
    assert isinstance(t, Tensor) and t.requires_grad and t.dtype == np.float32


def test_unknown_domain_is_refused():
    with pytest.raises(ValueError, match="unknown domain"):
        testing.arrays((2,), domain="everywhere")


def test_assert_gradients_close_passes_and_fails_with_the_op_named():
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    testing.assert_gradients_close(lambda t: (t * t).sum(axis=0), x)
    with pytest.raises(AssertionError) as info:
        testing.assert_gradients_close(lambda t: HalfSquare.apply(t), x)  # kit line
    assert "HalfSquare" in str(info.value) and f"{HERE}:{line_of('# kit line')}" in str(info.value)


def test_compare_with_torch_agrees_and_skips_without_torch(monkeypatch):
    pytest.importorskip("torch")
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    testing.compare_with_torch(lambda t: (t.exp() * t).sum(axis=1), None, a)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(unittest.SkipTest):
        testing.compare_with_torch(lambda t: t.exp(), None, a)


# ----------------------------------------------------------------------------- anomalies
def test_anomaly_names_the_log_of_an_underflowed_softmax_at_backward():
    x = Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    with tg.detect_anomaly():
        stable = x.log_softmax(-1)  # nothing to report
        assert np.all(np.isfinite(stable._data)) and forward_anomaly(stable) is None
        probabilities = x.softmax(-1)
        with np.errstate(divide="ignore"):
            logs = probabilities.log()  # the line named; the forward pass goes on (PyTorch)
        loss = -logs.sum()
        assert forward_anomaly(loss).startswith("Log produced Inf")
        with np.errstate(invalid="ignore"), pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert "Function 'SoftmaxBackward0' returned nan values in its 0th output" in message
    assert "Log produced Inf" in message and "from finite inputs" in message
    assert f"{HERE}:{line_of('logs = probabilities.log()  # the line named')}" in message
    assert "values in [0, 1]" in message and "log_softmax" in message
    assert all(getattr(o, "__name__", "") != "_check_output" for o in function.observers)
    with np.errstate(divide="ignore"):
        assert forward_anomaly(x.softmax(-1).log()) is None  # outside the block: no check


def test_anomaly_names_a_division_by_zero_variance():
    x = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        centred = x - x.mean()
        standardised = centred / (centred * centred).mean().sqrt()  # no error here
        with pytest.raises(RuntimeError, match="(?s)returned nan.*Div produced NaN"):
            standardised.sum().backward()


def test_anomaly_lets_a_forward_inf_through_when_backward_is_finite():
    # PyTorch checks backward only: an Inf the forward pass clamps away is no error
    x = Tensor([0.0, 2.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        logs = x.log()  # -inf, not used by the loss: raised here before, not in PyTorch
        assert forward_anomaly(logs).startswith("Log produced Inf")
        (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with tg.detect_anomaly():
        z = Tensor([-1.0, 4.0], requires_grad=True)
        with np.errstate(invalid="ignore"):
            root = z.sqrt()
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan"):
            root.sum().backward()


def test_backward_anomaly_still_works():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        loss = (x.sqrt() * 0.0).sum()
        with np.errstate(divide="ignore", invalid="ignore"), pytest.raises(RuntimeError,
                                                                           match="Sqrt.backward"):
            loss.backward()


def test_draw_marks_the_path_from_the_first_nan_to_the_loss():
    x = Tensor([-1.0, 2.0], requires_grad=True, name="x")
    with np.errstate(invalid="ignore"):
        loss = ((x * 2).log() * 3).sum()
    source = tg.draw_graph(loss).source
    red_edges = re.findall(r"(\w+) -> (\w+) \[color=\"#dc2626\"", source)
    assert len(red_edges) == 5  # Log -> t -> Mul -> t -> Sum -> loss
    assert "NaN starts here" in source


# ----------------------------------------------------------------------------- the trace
def neuron():
    x0 = Tensor(X0, dtype=np.float64, requires_grad=True, name="x0")
    w = Tensor(W, dtype=np.float64, requires_grad=True, name="w")
    b = Tensor(-0.5, dtype=np.float64, requires_grad=True, name="b")
    out = (x0 @ w + b).sigmoid()
    out.name = "out"
    return out, x0, w, b


def test_trace_of_the_lesson_2_neuron():
    out, x0, w, b = neuron()
    rows = tg.trace_backward(out).rows
    s = 1 / (1 + np.exp(-(np.dot(X0, W) - 0.5)))
    local = s * (1 - s)
    expected = [
        (0, "seed", "out", "Sigmoid", "d out / d out = 1", "", 1.0),
        (1, "rule", "out", "Sigmoid", "dx = g * y * (1 - y)", "", 1.0),
        (1, "send", "out", "Sigmoid", "dx", "v2", local),
        (2, "rule", "v2", "Add", "da = g, db = g", "", local),
        (2, "send", "v2", "Add", "da", "v1", local),
        (2, "send", "v2", "Add", "db", "b", local),
        (3, "rule", "v1", "MatMul", "da = g @ b^T, db = a^T @ g", "", local),
        (3, "send", "v1", "MatMul", "da", "x0", local * np.array(W)),
        (3, "send", "v1", "MatMul", "db", "w", local * np.array(X0)),
        (None, "leaf", "b", "", "b.grad", "", local),
        (None, "leaf", "x0", "", "x0.grad", "", local * np.array(W)),
        (None, "leaf", "w", "", "w.grad", "", local * np.array(X0)),
    ]
    assert [(r.step, r.kind, r.node, r.op, r.text, r.to) for r in rows] == [
        e[:6] for e in expected]
    for row, e in zip(rows, expected):
        np.testing.assert_allclose(row.value, e[6], rtol=1e-12)
    assert x0.grad is None and w.grad is None  # the trace changes nothing
    out.backward()  # and the graph is still there
    np.testing.assert_allclose(w.grad._data, local * np.array(X0), rtol=1e-12)


def test_trace_of_the_diamond_has_the_accumulation_rows():
    a = Tensor(3.0, requires_grad=True, name="a")
    b = a + a
    b.name = "b"
    c = b + b
    c.name = "c"
    trace = tg.trace_backward(c)
    assert [(r.step, r.kind, r.node, r.op, r.text, r.to, r.grad) for r in trace.rows] == [
        (0, "seed", "c", "Add", "d c / d c = 1", "", "1"),
        (1, "rule", "c", "Add", "da = g, db = g", "", "1"),
        (1, "send", "c", "Add", "da", "b", "1"),
        (1, "send", "c", "Add", "db", "b", "1"),
        (1, "accumulate", "c", "Add", "2nd contribution, running total", "b", "2"),
        (2, "rule", "b", "Add", "da = g, db = g", "", "2"),
        (2, "send", "b", "Add", "da", "a", "2"),
        (2, "send", "b", "Add", "db", "a", "2"),
        (2, "accumulate", "b", "Add", "2nd contribution, running total", "a", "4"),
        (None, "leaf", "a", "", "a.grad", "", "4"),
    ]
    text = str(trace)
    assert text.splitlines()[0].split() == ["#", "node", "op", "step", "rule", "/", "what",
                                            "happens", "to", "gradient"]
    assert "accumulate" in text and "<table>" in trace._repr_html_()


def test_trace_shows_broadcast_sums():
    x = Tensor(np.ones((32, 10)))
    bias = Tensor(np.zeros(10), requires_grad=True, name="bias")
    rows = tg.trace_backward((x + bias).sum()).rows
    (summed,) = [r for r in rows if r.kind == "sum"]
    assert summed.text == "summed axes (0,): (32, 10) -> (10,)" and summed.to == "bias"
    np.testing.assert_array_equal(summed.value, np.full(10, 32.0))


def test_trace_after_a_freed_big_graph_says_so():
    w = Tensor(np.ones((40, 40)), requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        tg.trace_backward(loss)


# ----------------------------------------------------------------------------- graph_stats
def test_graph_stats_of_a_known_mlp():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(5, 3)))
    y = Tensor(rng.normal(size=(5, 2)))
    w1 = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b1 = Tensor(rng.normal(size=4), requires_grad=True)
    w2 = Tensor(rng.normal(size=(4, 2)), requires_grad=True)
    b2 = Tensor(rng.normal(size=2), requires_grad=True)
    h = (x @ w1 + b1).relu()
    out = h @ w2 + b2
    diff = out - y
    loss = (diff * diff).mean()
    stats = tg.graph_stats(loss)
    # By hand: MatMul, Add, ReLU, MatMul, Add, Sub, Mul, Mean (Mean may be Sum then Div).
    ops = dict(stats.ops)
    assert ops.get("MatMul") == 2 and ops.get("Add") == 2 and ops.get("ReLU") == 1
    assert ops.get("Sub") == 1 and ops.get("Mul") == 1
    assert stats.nodes == sum(ops.values())
    assert stats.depth == stats.nodes  # one chain from x @ w1 to the loss
    assert stats.parameters == 4 and stats.parameter_elements == 12 + 4 + 8 + 2
    assert stats.reused == 1  # diff, used twice by diff * diff
    # Saved arrays: x (first MatMul: w1 is not needed, x needs no gradient, as in PyTorch),
    # h and w2 (second MatMul), diff (Mul, once), plus whatever ReLU and the mean keep (a
    # mask: at most 5 * 4 bytes or bools).
    at_least = x._data.nbytes + 5 * 4 * 8 + w2._data.nbytes + 5 * 2 * 8
    assert at_least <= stats.saved_bytes <= at_least + 5 * 4 * 8 + 64
    assert "ops" in str(stats)


def test_graph_stats_of_the_diamond():
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    stats = tg.graph_stats(b + b)
    assert (stats.nodes, stats.depth, stats.reused, stats.parameters) == (2, 2, 2, 1)


# ----------------------------------------------------------------------------- pictures
def dot_text(source: str) -> dict[str, str]:
    """Node title -> its label text without markup (repeated titles get " #2", " #3"...)."""
    nodes: dict[str, str] = {}
    for match in re.finditer(r"\t\w+ \[label=<(.*)> ", source):
        text = re.sub(r"<[^>]*>", "\n", match[1].replace("<BR/>", "\n"))
        lines = [line for line in text.split("\n") if line]
        title, count = lines[0], 1
        while title in nodes:
            count += 1
            title = f"{lines[0]} #{count}"
        nodes[title] = "\n".join(lines)
    return nodes


def test_neuron_dot_has_every_value_and_gradient_after_a_plain_backward():
    out, x0, w, b = neuron()
    out.backward()
    s = 1 / (1 + np.exp(-(np.dot(X0, W) - 0.5)))
    local = s * (1 - s)
    labels = dot_text(tg.draw_graph(out, show_data=True).source)
    assert f"data {s:.4g}" in labels["out"] and "grad 1" in labels["out"]
    assert "data -0.5" in labels["b"] and f"grad {local:.4g}" in labels["b"]
    intermediates = [text for title, text in labels.items() if title.startswith("scalar")]
    assert len(intermediates) == 2
    for value in (np.dot(X0, W), np.dot(X0, W) - 0.5):
        assert any(f"data {value:.4g}" in t and f"grad {local:.4g}" in t for t in intermediates)
    assert f"{local * W[0]:.4g}" in labels["x0"] and f"{local * X0[1]:.4g}" in labels["w"]


def test_micrograd_expression_with_names_and_a_constant():
    a = Tensor(2.0, dtype=np.float64, requires_grad=True, name="a")
    b = Tensor(-3.0, dtype=np.float64, requires_grad=True, name="b")
    c = Tensor(10.0, dtype=np.float64, requires_grad=True, name="c")
    f = Tensor(np.array(-2.0), name="f")  # a constant
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    loss = d * f
    loss.name = "L"
    loss.backward()
    labels = dot_text(tg.draw_graph(loss).source)
    # By hand: L = (a b + c) f = -8; dL/dd = f = -2, dL/de = -2, dL/da = -2 b = 6,
    # dL/db = -2 a = -4, dL/dc = -2; f is a constant: its value, no gradient.
    expected = {"a": ("2", "6"), "b": ("-3", "-4"), "c": ("10", "-2"), "e": ("-6", "-2"),
                "d": ("4", "-2"), "L": ("-8", "1")}
    for title, (value, gradient) in expected.items():
        assert f"data {value}\n" in labels[title] and f"grad {gradient}" in labels[title]
    assert "data -2" in labels["f"] and "grad" not in labels["f"]


def test_number_operands_show_in_the_op_label():
    x = Tensor(1.5, requires_grad=True, name="x")
    source = tg.draw_graph(x * 2.5).source
    assert "b = 2.5" in source


def test_no_intermediate_gradients_before_backward_or_after_a_second_one():
    out, *_ = neuron()
    assert "grad" not in tg.draw_graph(out).source
    out.backward(retain_graph=True)
    out.backward()  # leaves now hold two backward passes: the replay would not match
    labels = dot_text(tg.draw_graph(out).source)
    assert all("grad" not in text for title, text in labels.items() if title.startswith("scalar"))


def test_readme_picture_is_the_example_picture():
    import importlib.util

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S)
                if "neuron_graph" in b]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    spec = importlib.util.spec_from_file_location("draw_neuron_graph",
                                                  root / "examples" / "draw_neuron_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert namespace["graph"].source == module.neuron_graph().source


def test_debugging_example_finds_each_break(capsys):
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "examples" / "debugging.py"
    spec = importlib.util.spec_from_file_location("debugging_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.main()
    assert "the wrong rule is MyLinear" in found["gradcheck"]
    assert "debugging.py:" in found["gradcheck"] and "break 1" in found["gradcheck"]
    assert "Log produced Inf" in found["forward anomaly"] and "break 2" in found["forward anomaly"]
    assert "SoftmaxBackward0" in found["forward anomaly"]
    assert "Div produced NaN" in found["zero variance"] and "break 3" in found["zero variance"]
    assert "NaN starts here" in found["drawing"]
    assert "--- draw_graph" in capsys.readouterr().out
