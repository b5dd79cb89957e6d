"""The learner's tools, round 14: gradcheck's diagnosis never blames a correct op (float32
rounding, jumps, ties and comparison masks), and its fields survive the testing kit; the
backward trace, the graph pictures and the docs as the code prints them.

Expected kinds are fixed here; where PyTorch is installed, its gradcheck confirms that each
case really fails (so the diagnosis explains a true mismatch) and PyTorch's words are checked.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import testing
from tinygrad_np.gradcheck import GradcheckError

try:
    import torch
except ImportError:
    torch = None


def diagnosis(fn, *values, dtype=tg.float64, **options) -> GradcheckError:
    inputs = [tg.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(fn, inputs, **options)
    return info.value


def torch_fails(fn, *values) -> None:
    """PyTorch's gradcheck fails on the same function (fn(x, library)) and inputs: a true
    mismatch, not one of ours."""
    if torch is None:
        return
    inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    with pytest.raises(RuntimeError):
        torch.autograd.gradcheck(lambda x: fn(x, torch), inputs)


X = np.array([[0.3, -1.2, 0.8, 0.1], [1.5, -0.4, 0.2, -0.7]])


# ------------------------------------------------------------------ 1. float32 inside fn
@pytest.mark.parametrize("fn", [
    lambda x: x.float().exp(),
    lambda x: x.to(tg.float32).sin(),
    lambda x: x.softmax(-1, dtype=tg.float32),
], ids=["float", "to", "softmax-dtype"])
def test_float32_inside_fn_is_precision_not_a_wrong_cast(fn):
    error = diagnosis(fn, X)
    assert error.kind == "precision"
    assert "wrong rule is" not in str(error)
    assert "float32" in str(error) and "float64" in str(error)


class TimesThreeWrong(tg.Function):
    """y = 3 x with the rule 2 g: wrong, whatever the dtype."""

    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_a_wrong_rule_on_float32_values_is_still_named():
    error = diagnosis(lambda x: TimesThreeWrong.apply(x.float()), X)
    assert (error.kind, error.op) == ("wrong rule", "TimesThreeWrong")


def test_autograd_gradcheck_in_float32_says_rounding_first():
    x = tg.tensor(X, dtype=tg.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision"):
        with pytest.raises(GradcheckError) as info:
            tg.autograd.gradcheck(lambda x: x.exp(), (x,))
    assert info.value.kind == "precision"
    assert "float32" in str(info.value).split("\n", 1)[1][:80]


# ------------------------------------------------------------------ 2. jumps
@pytest.mark.parametrize("name", ["sign", "sgn", "mask"])  # (heaviside raises, as PyTorch's)
def test_a_jump_is_a_kink(name):
    fn = {"sign": lambda x: x.sign(), "sgn": lambda x: x.sgn(),
          "mask": lambda x: (x > 0).float() * x.exp()}[name]
    error = diagnosis(fn, [0.0, 0.9])
    assert error.kind == "kink", str(error)
    if name in ("sign", "sgn"):
        assert error.op == "Sign"
        torch_fails(lambda x, lib: x.sign(), [0.0, 0.9])


# ------------------------------------------------------------------ 3. ties and masks
TIE, LOW_TIE = [1.0, 1.0, 0.5], [0.5, 0.5, 1.0]
TIES = {  # fn(x, library): tinygrad_np or torch
    "max-dim": (lambda x, lib: x.max(0)[0], TIE),
    "min-dim": (lambda x, lib: x.min(0)[0], LOW_TIE),
    "sort": (lambda x, lib: x.sort()[0], TIE),
    "sort-2d": (lambda x, lib: x.sort()[0], [TIE, [0.1, 0.2, 0.3]]),
    "msort": (lambda x, lib: x.msort(), TIE),
    "topk": (lambda x, lib: x.topk(2)[0], TIE),
    "kthvalue": (lambda x, lib: x.kthvalue(2)[0], TIE),
    "cummax": (lambda x, lib: x.cummax(0)[0], TIE),
    "cummin": (lambda x, lib: x.cummin(0)[0], LOW_TIE),
    "gather-argmax": (lambda x, lib: x.gather(0, x.argmax(0, keepdim=True)), TIE),
    "hardshrink": (lambda x, lib: lib.nn.functional.hardshrink(x, 0.5), [0.5, -0.5, 1.0]),
    "threshold": (lambda x, lib: lib.nn.functional.threshold(x, 0.5, 0.0), [0.5, -0.5, 1.0]),
    "where": (lambda x, lib: lib.where(x > 0, x, 2 * x), [0.0, -0.5, 1.0]),
}


@pytest.mark.parametrize("name", sorted(TIES))
def test_ties_and_masks_are_kinks(name):
    fn, value = TIES[name]
    error = diagnosis(lambda x: fn(x, tg), value)
    assert error.kind == "kink", str(error)
    assert "kink" in str(error) and "wrong rule is" not in str(error)
    torch_fails(fn, value)


def test_ties_in_fast_mode_are_kinks():
    error = diagnosis(lambda x: x.max(0)[0], TIE, fast=True)
    assert error.kind == "kink"


def test_a_wrong_rule_next_to_a_tie_is_still_named():
    error = diagnosis(lambda x: TimesThreeWrong.apply(x).max(0)[0], [1.0, 0.2, 0.5])
    assert (error.kind, error.op) == ("wrong rule", "TimesThreeWrong")


# ------------------------------------------------------------------ 5. the testing kit
def test_assert_gradients_close_keeps_the_diagnosis():
    with pytest.raises(GradcheckError) as info:
        testing.assert_gradients_close(lambda t: t.relu(), np.array([0.0, 0.2]))
    assert (info.value.kind, info.value.op) == ("kink", "ReLU")
    assert info.value.site.endswith(f"test_tools_round14.py:{_line('t.relu(), np.array')}")
    with pytest.raises(GradcheckError) as info:
        testing.assert_gradients_close(lambda t: TimesThreeWrong.apply(t), np.array([0.3, 0.2]))
    assert (info.value.kind, info.value.op) == ("wrong rule", "TimesThreeWrong")
    with pytest.raises(GradcheckError) as info:
        testing.assert_gradients_close(lambda t: t.max(0)[0], np.array(TIE))
    assert info.value.kind == "kink"


def _line(text: str) -> int:
    with open(__file__) as source:
        return next(n for n, line in enumerate(source, 1) if text in line and "_line" not in line)


# ------------------------------------------------------------------ 6. tuple outputs
class Two(tg.autograd.Function):
    """(2 x, x * x), with the second output's rule missing its factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return 2 * g1 + x * g2


@pytest.mark.parametrize("fast", [False, True])
def test_a_tuple_output_is_named_in_pytorchs_words(fast):
    x = tg.tensor(X[:, :3], dtype=tg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.autograd.gradcheck(lambda x: Two.apply(x), (x,), fast_mode=fast)
    message = str(info.value)
    assert message.startswith("output 1 of 2")
    assert "mismatch for output 1 with respect to input 0" in message
    assert "output 0 with" not in message
    if torch is not None:
        class TorchTwo(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2, x * x

            @staticmethod
            def backward(ctx, g1, g2):
                (x,) = ctx.saved_tensors
                return 2 * g1 + x * g2

        t = torch.tensor(X[:, :3], requires_grad=True)
        with pytest.raises(RuntimeError, match="output 1 with respect to input 0"):
            torch.autograd.gradcheck(lambda x: TorchTwo.apply(x), (t,), fast_mode=fast)


# ------------------------------------------------------------------ 9. a detached output
@pytest.mark.parametrize("fast", [False, True])
def test_a_detached_output_says_the_gradient_is_all_zero(fast):
    x = tg.tensor(X, dtype=tg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.autograd.gradcheck(lambda x: x.detach() * 2, (x,), fast_mode=fast)
    message = str(info.value)
    assert "all-zero gradient" in message and ".detach()" in message
    assert "Numerical gradient for function expected to be zero" in message


# ------------------------------------------------------------------ 4. trace_backward's gradient
@pytest.mark.parametrize("gradient", [np.ones((2, 3)), np.ones(1), 2.0, np.ones(5), None],
                         ids=["(2,3)", "(1,)", "number", "(5,)", "none"])
def test_trace_backward_refuses_what_backward_refuses(gradient):
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    with pytest.raises((TypeError, RuntimeError)) as backward_error:
        y.backward(gradient, retain_graph=True)
    with pytest.raises(type(backward_error.value)) as trace_error:
        tg.trace_backward(y, gradient)
    assert str(trace_error.value) == str(backward_error.value)
    if torch is not None:
        t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with pytest.raises((TypeError, RuntimeError)):
            (t * t).backward(gradient if not isinstance(gradient, np.ndarray)
                             else torch.tensor(gradient, dtype=torch.float32))


def test_trace_backward_gives_backwards_gradient():
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    seed = np.array([1.0, -2.0, 0.5])
    traced = tg.trace_backward(x * x, seed).grads["leaf1"]
    np.testing.assert_allclose(traced, [2.0, -8.0, 3.0])  # 2 x seed, by hand


# ------------------------------------------------------------------ 7. leaves sharing a name
def test_trace_backward_keeps_leaves_that_share_a_name():
    p = tg.tensor([1.0], dtype=tg.float64, requires_grad=True, name="p")
    q = tg.tensor([3.0], dtype=tg.float64, requires_grad=True, name="p")
    trace = tg.trace_backward((p * 2 + q * 5).sum())
    assert sorted(trace.grads) == ["p", "p#2"]
    assert sorted(float(g[0]) for g in trace.grads.values()) == [2.0, 5.0]
    leaf_rows = [line for line in str(trace).splitlines() if " leaf " in line]
    assert len(leaf_rows) == 2 and len({row.split()[0] for row in leaf_rows}) == 2


# ------------------------------------------------------------------ 10. module hooks in the trace
def test_module_hook_nodes_say_what_they_do_in_the_trace():
    lin = tg.nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda module, grad_in, grad_out: None)
    text = str(tg.trace_backward(lin(tg.randn(3, requires_grad=True)).sum()))
    assert "no rule in its docstring" not in text
    assert "hooks' gate" in text and "hooks run" in text


# ------------------------------------------------------------------ 12. DOT text without dot
@pytest.mark.parametrize("suffix", ["dot", "gv"])
def test_render_writes_dot_source_without_graphviz(tmp_path, monkeypatch, suffix):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program to be found
    x = tg.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * 3).sum()
    written = tg.viz.render(y, tmp_path / f"g.{suffix}")
    text = (tmp_path / f"g.{suffix}").read_text()
    assert written.endswith(f"g.{suffix}") and text.startswith("digraph")
    assert text == tg.draw_graph(y).source


# ------------------------------------------------------------------ 15. cosmetics
def test_graph_stats_counts_in_the_singular():
    w = tg.tensor([2.0], requires_grad=True)
    text = str(tg.graph_stats((w * 3).sum()))
    assert "1 parameter (1 element)" in text and "1 parameters" not in text
    v = tg.tensor([2.0, 1.0], requires_grad=True)
    assert "2 parameters (3 elements)" in str(tg.graph_stats((w * v).sum() + v.sum()))


def test_numpy_where_refusal_names_tg_where_once():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(Exception) as info:
        np.where(np.array([True, False]), x, 0.0)
    assert str(info.value).count("tg.where(") == 1


# ------------------------------------------------------------------ 11. detect_anomaly's shape
def test_detect_anomaly_names_the_inputs_own_shape():
    x = tg.tensor([5.0, 5.0, 5.0], dtype=tg.float64, requires_grad=True)
    with tg.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(RuntimeError) as info:
            centred = x - x.mean()
            (centred / (centred * centred).mean().sqrt()).sum().backward()
    message = str(info.value)
    assert "Div.backward returned NaN in the gradient of input 1, shape ();" in message
    assert "the rule gave shape (3,)" in message
