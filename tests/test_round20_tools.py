"""Round 20, the testing and seeing tools: saved_tensors_hooks (pack/unpack of what ops save),
disable_saved_tensors_hooks, the profiler's PyTorch API (start/stop, function_events,
total_average, sort keys), and torchviz's make_dot. Compared with PyTorch where installed."""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import warnings

import numpy as np
import pytest
from tinygrad_np.autograd.gradcheck import GradcheckError

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

A = np.random.default_rng(0).standard_normal((3, 4))
B = np.random.default_rng(1).standard_normal((4, 3))
P = np.random.default_rng(2).uniform(0.5, 2.0, (3, 4))
SEED = np.random.default_rng(3).standard_normal((3, 3))

OPS = {
    "exp": lambda L, a, b, p: a.exp() @ b,
    "sin_mul": lambda L, a, b, p: (a.sin() * p) @ b,
    "div_pow": lambda L, a, b, p: (a / p + p ** a) @ b,
    "log_sqrt": lambda L, a, b, p: (p.log() * p.sqrt()) @ b,
    "tanh_sigmoid": lambda L, a, b, p: (a.tanh() * a.sigmoid()) @ b,
    "softmax": lambda L, a, b, p: a.softmax(-1) @ b,
    "log_softmax_relu": lambda L, a, b, p: (a.log_softmax(-1) + a.relu()) @ b,
    "layer_norm": lambda L, a, b, p: L.nn.functional.layer_norm(a, (4,)) @ b,
    "gelu_linear": lambda L, a, b, p: L.nn.functional.linear(L.nn.functional.gelu(a), b.t()),
    "prod_norm": lambda L, a, b, p: p.prod(dim=1, keepdim=True) * (a @ b) / a.norm(),
}


def _grads(lib, fn, hooks):
    a, b, p = (lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in (A, B, P))
    with hooks(lib):
        y = fn(lib, a, b, p)
    y.backward(lib.tensor(SEED, dtype=lib.float64))
    return [None if t.grad is None else t.grad.detach().numpy() for t in (a, b, p)]


def _identity(lib):
    return lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)


def _through_numpy(lib):
    return lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().numpy().copy(),
                                                  lambda a: lib.tensor(a))


@needs_torch
@pytest.mark.parametrize("hooks", [_identity, _through_numpy], ids=["identity", "numpy"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_saved_tensors_hooks_round_trip_keeps_torch_gradients(name, hooks):
    expected = _grads(torch, OPS[name], lambda lib: contextlib.nullcontext())
    for got, want in zip(_grads(tg, OPS[name], hooks), expected):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("op", ["exp", "sin", "mul", "matmul", "sqrt", "sigmoid"])
def test_pack_hook_result_is_what_backward_uses_as_torch(op):
    """A pack hook that scales what is saved changes the gradient as PyTorch's does."""
    def run(lib):
        x = lib.tensor(P[0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor(P[1], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t * 2, lambda t: t):
            y = {"exp": lambda: x.exp(), "sin": lambda: x.sin(), "mul": lambda: x * w,
                 "matmul": lambda: (x @ w).reshape(1), "sqrt": lambda: x.sqrt(),
                 "sigmoid": lambda: x.sigmoid()}[op]()
        y.sum().backward()
        return x.grad.detach().numpy()
    np.testing.assert_allclose(run(tg), run(torch), rtol=1e-12)


def test_pack_and_unpack_calls_follow_pytorch():
    x = tg.tensor([0.3, -1.2, 2.0], dtype=tg.float64, requires_grad=True)
    packed, unpacked = [], []

    def pack(t):
        packed.append(t)
        return t

    def unpack(t):
        unpacked.append(1)
        return t
    with tg.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x * x).sum()
    assert len(packed) == 2 and all(t is x for t in packed)  # a leaf input as itself
    assert unpacked == []  # unpacked only when backward reads it
    y.backward(retain_graph=True)
    y.backward()
    assert len(unpacked) == 4  # each read, each pass
    np.testing.assert_allclose(x.grad.numpy(), [1.2, -4.8, 8.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


@needs_torch
def test_saved_tensors_hooks_double_backward_matches_torch():
    def run(lib):
        x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = (x.sin() * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        return h.detach().numpy()
    np.testing.assert_allclose(run(tg), run(torch), rtol=1e-12)


def test_saved_tensors_hooks_custom_function_and_module():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad
    x = tg.tensor([0.3, -1.2, 2.0], dtype=tg.float64, requires_grad=True)
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t * 3, lambda t: t):
        Square.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.8, -7.2, 12.0])  # 2 * (3x)
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.ReLU(), tg.nn.Linear(8, 2))
    shapes = []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: shapes.append(t.shape) or t,
                                               lambda t: t):
        loss = model(tg.ones(5, 4)).sum()
    loss.backward()
    assert shapes and model[0].weight.grad.shape == (8, 4)


def test_saved_tensors_hooks_errors_and_nesting():
    x = tg.tensor([0.3, -1.2, 2.0], dtype=tg.float64, requires_grad=True)
    with tg.autograd.graph.saved_tensors_hooks(lambda t: 1, lambda t: 5):
        y = x.exp().sum()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of "
                                        "type int"):
        y.backward()
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t[:1]):
        y = x.exp().sum()
    with pytest.raises(RuntimeError, match=r"unpack_hook returned a tensor of shape \(1,\).*Exp"):
        y.backward()  # (PyTorch goes on with a wrong gradient)
    with pytest.raises(TypeError, match="pack_hook and unpack_hook must be functions"):
        tg.autograd.graph.saved_tensors_hooks(3, 4)
    with pytest.raises(ZeroDivisionError):
        with tg.autograd.graph.saved_tensors_hooks(lambda t: 1 / 0, lambda t: t):
            x.exp()
    outer, inner = [], []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: outer.append(1) or t, lambda t: t):
        with tg.autograd.graph.saved_tensors_hooks(lambda t: inner.append(1) or t, lambda t: t):
            y = x.exp()
        y.sin()
    assert (len(outer), len(inner)) == (1, 1)  # the innermost block's hooks only
    calls = []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: calls.append(1) or t, lambda t: t):
        pass
    x.exp().sum().backward()  # after the block: no hook
    plain = tg.tensor([1.0, 2.0])
    with tg.autograd.graph.saved_tensors_hooks(lambda t: 1 / 0, lambda t: t):
        (plain.exp() * 2).sum()  # nothing recorded: nothing packed
    assert calls == []


def test_disable_saved_tensors_hooks_refuses_as_torch():
    with tg.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="no hooks here"):
            with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        with pytest.raises(RuntimeError, match="not inside"):
            with tg.autograd.graph.disable_saved_tensors_hooks("not inside"):
                pass
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        pass  # usable again after the block
    if torch is not None:
        with torch.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass


def test_save_on_cpu_still_changes_nothing():
    x = tg.tensor([1.0, 3.0], dtype=tg.float64, requires_grad=True)
    with tg.autograd.graph.save_on_cpu(pin_memory=True):
        (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 6.0]


# ---- the profiler as PyTorch code calls it ------------------------------------------------------
def test_profiler_start_stop_function_events_total_average():
    """PyTorch 2.13 passes the same checks (run apart: its profiler once crashed the test
    process, so it is not run here)."""
    L = tg
    prof = L.profiler.profile()
    prof.start()
    with L.profiler.record_function("block"):
        (L.ones(3, requires_grad=True) * 2).sum()
    prof.stop()
    assert "block" in prof.key_averages().table(sort_by="self_cpu_time_total")
    total = prof.key_averages().total_average()
    assert total.count >= 1 and total.cpu_time_total >= 0
    with L.autograd.profiler.profile() as old:
        with L.autograd.profiler.record_function("blk"):
            pass
    assert "blk" in old.function_events.table()
    assert isinstance(old.self_cpu_time_total, float)
    row = next(r for r in old.key_averages() if r.key == "blk")
    assert row.count == 1 and not row.input_shapes and row.cpu_memory_usage == 0
    for key in ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count",
                "cuda_time_total", "self_cpu_memory_usage", "device_time_total"):
        old.key_averages().table(sort_by=key)
    with pytest.raises(AttributeError, match="'FunctionEventAvg' object has no attribute 'bogus'"):
        old.key_averages().table(sort_by="bogus")


def test_profiler_enabled_false_records_nothing():
    with tg.autograd.profiler.profile(enabled=False) as prof:
        with tg.autograd.profiler.record_function("blk"):
            (tg.ones(2, requires_grad=True) * 2).sum()
    assert list(prof.key_averages()) == []


# ---- torchviz's make_dot -------------------------------------------------------------------------
def test_make_dot_labels_params_for_the_drawing_only():
    pytest.importorskip("graphviz")
    w = tg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    b = tg.tensor([0.1, 0.2], requires_grad=True, name="bias")
    y = (tg.ones(3, 2) @ w + b).relu().sum()
    source = tg.viz.make_dot(y, params={"my \"w\" <1>": w, "b": b}).source
    assert "my &quot;w&quot; &lt;1&gt;" in source and ">b<" in source
    assert w.name is None and b.name == "bias"  # names restored
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True,
                              timeout=60)
    except FileNotFoundError:
        return
    assert done.returncode == 0, done.stderr
    with pytest.raises(TypeError, match="make_dot: expected a Tensor"):
        tg.viz.make_dot((y, y))
    with pytest.raises(TypeError, match="params must be a dict"):
        tg.viz.make_dot(y, params=[w])
    with pytest.raises(TypeError, match="params must map str names to Tensors"):
        tg.viz.make_dot(y, params={"w": 1})


# ---- torch.autograd.gradcheck's remaining checks ----------------------------------------------
def _custom(lib, backward):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return backward(lib, grad, x)
    return Twice


UNSCALED = {  # rules whose Jacobian is right (one-hot seeds) but that ignore a zero grad_output
    "plus_constant": lambda lib, g, x: g * 2 + 1e-3,
    "plus_input": lambda lib, g, x: g * 2 + 1e-3 * x,
}


@pytest.mark.parametrize("name", sorted(UNSCALED))
def test_backward_not_multiplied_by_grad_output_is_caught_and_named(name):
    x = tg.tensor([0.3, -1.2, 2.0], dtype=tg.float64, requires_grad=True)
    op = _custom(tg, UNSCALED[name])
    with pytest.raises(RuntimeError, match="backward not multiplied by grad_output") as info:
        tg.autograd.gradcheck(op.apply, (x,), atol=1e-2)
    assert isinstance(info.value, GradcheckError)
    assert "the rule to fix is Twice's backward" in str(info.value)
    assert tg.autograd.gradcheck(op.apply, (x,), atol=1e-2, raise_exception=False) is False
    if torch is not None:
        tx = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
            torch.autograd.gradcheck(_custom(torch, UNSCALED[name]).apply, (tx,), atol=1e-2)
    right = _custom(tg, lambda lib, g, x: g * 2)
    assert tg.autograd.gradcheck(right.apply, (x,))
    assert tg.autograd.gradgradcheck(lambda t: right.apply(t) * t, (x,))


@pytest.mark.parametrize("how", ["no_grad", "data"])
def test_func_changing_its_input_in_place_is_refused(how):
    def func(x):
        if how == "no_grad":
            with tg.no_grad():
                x.add_(1)
        else:
            x.data.mul_(2)
        return x * 2
    x = tg.tensor([0.3, -1.2, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(func, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match=r"func changed input 0 \(shape \(2,\)\) in place"):
        tg.autograd.gradcheck(func, (tg.tensor([0.3, -1.2], dtype=tg.float64,
                                                requires_grad=True),))
    if torch is not None:  # PyTorch's check fails too (as a mismatch)
        def torch_func(t):
            with torch.no_grad():
                t.add_(1)
            return t * 2
        tx = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(torch_func, (tx,), raise_exception=False) is False


def test_gradgradcheck_of_once_differentiable_fails_as_torch():
    from tinygrad_np.autograd.function import once_differentiable

    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad
    x = tg.tensor([0.3, -1.2, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(Square.apply, (x,))
    assert tg.autograd.gradgradcheck(Square.apply, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="once_differentiable"):
        tg.autograd.gradgradcheck(Square.apply, (x,))


# ---- autograd.graph.GradientEdge ---------------------------------------------------------------
def _edges(lib):
    from importlib import import_module

    graph = import_module(lib.__name__ + ".autograd.graph")
    x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 2
    edge = graph.get_gradient_edge(y)
    y.mul_(3)  # y's grad_fn moves on; the edge stays at x * 2
    z = (y * y).sum()
    got = [lib.autograd.grad(z, edge, retain_graph=True)[0],
           *lib.autograd.grad(z, [edge, graph.get_gradient_edge(x)], retain_graph=True)]
    x.grad = None
    lib.autograd.backward(z, inputs=[graph.get_gradient_edge(x)], retain_graph=True)
    got.append(x.grad)
    unused = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
    assert lib.autograd.grad(z, [graph.get_gradient_edge(unused)], allow_unused=True,
                             retain_graph=True) == (None,)
    (again,) = lib.autograd.grad(z, edge, create_graph=True)
    assert again.requires_grad and edge.output_nr == 0 and edge.ownership_token is None
    with pytest.raises(RuntimeError, match="not possible to get the gradient edge"):
        graph.get_gradient_edge(lib.ones(2))
    return [g.detach().numpy() for g in got]


def test_gradient_edges_as_grad_and_backward_inputs():
    got = _edges(tg)
    np.testing.assert_allclose(got[0], [10.8, -43.2, 72.0])  # d(sum (3u)^2)/du = 18 u, u = 2x
    np.testing.assert_allclose(got[1], got[0])
    np.testing.assert_allclose(got[2], [21.6, -86.4, 144.0])
    np.testing.assert_allclose(got[3], got[2])
    if torch is not None:
        for mine, theirs in zip(got, _edges(torch)):
            np.testing.assert_allclose(mine, theirs, rtol=1e-12)


# ---- drawing and tracing big or wide graphs ---------------------------------------------------
@pytest.mark.parametrize(("array", "text"), [
    (np.array([1.5, -2.25, np.nan, np.inf]), "[1.5, -2.25, nan, inf]"),
    (np.arange(6.0).reshape(2, 3), "[[0, 1, 2], [3, 4, 5]]"),
    (np.array([True, False]), "[1, 0]"),
    (np.zeros((0, 3)), "[]"),
    (np.array([1e-9, 123456789.0]), "[1e-09, 1.235e+08]"),
    (np.float32([0.1, 0.2]), "[0.1, 0.2]"),
    (np.array(2.5), "2.5"),
])
def test_trace_summaries_of_tiny_gradients(array, text):
    from tinygrad_np.viz.backward import summarize

    assert summarize(array) == text


def test_wide_fan_out_draws_and_traces():
    pytest.importorskip("graphviz")
    x = tg.tensor([1.0, 2.0], requires_grad=True, name="x")
    total = tg.stack([x * float(i) for i in range(1500)]).sum()
    source = tg.draw_graph(total).source
    assert source.count(" -> ") < 400  # folded to max_nodes (200) nodes
    assert "1,500 ops" in source and "Mul ×1,500" in source
    trace = tg.trace_backward(total)
    np.testing.assert_allclose(trace.grads["x"], [sum(range(1500))] * 2)
    assert tg.viz.backward.rule_in_words(type(total.grad_fn)) == \
        tg.viz.backward.rule_in_words(type(total.grad_fn))  # (read once per op class)


# ---- forward_ad under no_grad ------------------------------------------------------------------
def test_unpack_dual_under_no_grad_raises_instead_of_none():
    fw = tg.autograd.forward_ad
    x = tg.tensor([0.5, -1.0], dtype=tg.float64)
    with fw.dual_level(), tg.no_grad():
        dual = fw.make_dual(x, tg.ones(2, dtype=tg.float64))
        with pytest.raises(RuntimeError, match="grad mode is off"):
            fw.unpack_dual(dual.exp())
    with fw.dual_level():
        dual = fw.make_dual(x, tg.ones(2, dtype=tg.float64))
        np.testing.assert_allclose(fw.unpack_dual(dual.exp()).tangent.numpy(), np.exp([0.5, -1.0]))
    with tg.no_grad():  # torch.func.jvp turns grad mode on itself
        _, tangent = tg.func.jvp(lambda t: t.exp(), (x,), (tg.ones(2, dtype=tg.float64),))
    np.testing.assert_allclose(tangent.numpy(), np.exp([0.5, -1.0]))
    if torch is not None:
        tx = torch.tensor([0.5, -1.0], dtype=torch.float64)
        with warnings.catch_warnings():  # (its first make_dual scripts decompositions)
            warnings.simplefilter("ignore", DeprecationWarning)
            fw = importlib.import_module("torch.autograd.forward_ad")
            with fw.dual_level(), torch.no_grad():
                d = fw.make_dual(tx, torch.ones(2, dtype=torch.float64))
                np.testing.assert_allclose(fw.unpack_dual(d.exp()).tangent.numpy(),
                                           np.exp([0.5, -1.0]))


# ---- node hooks' return values, refused in PyTorch's words -------------------------------------
PRE_RETURNS = {
    "tensor": (lambda go: go[0] * 2, TypeError, "expected tuple, but hook returned 'Tensor'"),
    "list": (lambda go: [go[0] * 2], TypeError, "expected tuple, but hook returned 'list'"),
    "two": (lambda go: (go[0], go[0]), RuntimeError,
            r"has returned an incorrect number of values \(got 2, but expected 1\)"),
}
POST_RETURNS = {
    "tensor": (lambda gi, go: gi[0] * 2, TypeError, "expected tuple, but hook returned 'Tensor'"),
    "list": (lambda gi, go: [gi[0] * 2], TypeError, "expected tuple, but hook returned 'list'"),
    "one": (lambda gi, go: (gi[0],), RuntimeError,
            r"has returned an incorrect number of values \(got 1, but expected 2\)"),
}


@pytest.mark.parametrize("kind", ["pre", "post"])
@pytest.mark.parametrize("case", ["tensor", "list", "two_or_one"])
def test_node_hook_returns_are_checked_as_torch(kind, case):
    table = PRE_RETURNS if kind == "pre" else POST_RETURNS
    key = case if case in table else ("two" if kind == "pre" else "one")
    hook, error, message = table[key]
    for lib in (tg, torch) if torch is not None else (tg,):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        (y.grad_fn.register_prehook if kind == "pre" else y.grad_fn.register_hook)(hook)
        with pytest.raises(error, match=message):
            y.sum().backward()


# ---- profiler schedules ----------------------------------------------------------------------
SCHEDULES = [  # options, and the record_function blocks each on_trace_ready sees in 14 steps
    (dict(wait=1, warmup=1, active=2, repeat=1), [[2, 3]]),  # (PyTorch 2.13's, run apart:
    (dict(wait=0, warmup=1, active=1), [[1], [3], [5], [7], [9], [11], [13]]),  # its profiler
    (dict(wait=2, warmup=1, active=3, repeat=2, skip_first=3), [[6, 7, 8], [12, 13]]),  # with
    (dict(wait=5, warmup=1, active=2, repeat=1, skip_first=2, skip_first_wait=1), [[3, 4]]),
]  # a schedule crashed the test process once)


@pytest.mark.parametrize(("options", "expected"), SCHEDULES)
def test_profiler_schedule_actions_and_windows_match_torch(options, expected):
    actions = [tg.profiler.schedule(**options)(step).name for step in range(20)]
    if torch is not None:  # (the schedule function alone: no profiler runs)
        assert actions == [torch.profiler.schedule(**options)(step).name for step in range(20)]
    seen = []

    def ready(prof):
        seen.append(sorted(int(row.key[4:]) for row in prof.key_averages()
                           if row.key.startswith("step") and row.count == 1))
    with tg.profiler.profile(schedule=tg.profiler.schedule(**options),
                             on_trace_ready=ready) as prof:
        for step in range(14):
            with tg.profiler.record_function(f"step{step}"):
                pass
            prof.step()
    assert seen == expected and prof.step_num == 14


def test_profiler_schedule_checks_arguments_and_exports_stacks(tmp_path):
    with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
        tg.profiler.schedule(wait=0, warmup=1, active=0)
    with pytest.warns(UserWarning, match="won't be using warmup"):
        tg.profiler.schedule(wait=0, warmup=0, active=1)
    with tg.profiler.profile() as prof:
        with tg.profiler.record_function("outer"):
            with tg.profiler.record_function("inner"):
                pass
    path = tmp_path / "stacks.txt"
    prof.export_stacks(str(path))
    lines = path.read_text().splitlines()
    assert {line.rsplit(" ", 1)[0] for line in lines} == {"outer", "outer;inner"}
    assert [e.name for e in prof.events() if e.name == "inner"] == ["inner"]


def test_tensorboard_trace_handler_writes_each_window(tmp_path):
    import json

    handler = tg.profiler.tensorboard_trace_handler(str(tmp_path), worker_name="w0")
    with tg.profiler.profile(schedule=tg.profiler.schedule(wait=0, warmup=1, active=1, repeat=3),
                             on_trace_ready=handler) as prof:
        for step in range(8):
            with tg.profiler.record_function(f"step{step}"):
                pass
            prof.step()
    files = sorted(tmp_path.glob("w0.*.pt.trace.json"))
    assert len(files) == 3
    names = [[e["name"] for e in json.loads(f.read_text())["traceEvents"]] for f in files]
    assert sorted(map(tuple, names)) == [("step1",), ("step3",), ("step5",)]


def test_graph_under_saved_tensors_hooks_deep_copies():
    import copy

    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    reads = []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: reads.append(1) or t):
        y = x.exp()
    twin = copy.deepcopy(y)  # (as a plain graph: the copy has its own leaf)
    twin.sum().backward()
    assert reads == [1] and x.grad is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))


def test_func_changing_an_input_that_needs_no_grad_is_allowed():
    calls = tg.zeros(1, dtype=tg.int64)

    def func(x, counter):
        counter.add_(1)  # a call counter: not checked, as PyTorch does not
        return x.sin()
    x = tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(func, (x, calls))
    assert int(calls.item()) > 4


def test_saved_value_read_after_backward_is_torchs_runtime_error():
    def read(lib):
        y = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True).exp()
        y.sum().backward()
        return y.grad_fn._saved_result
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        read(tg)
    if torch is not None:
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
            read(torch)
    with pytest.raises(AttributeError):  # an op that saved no such value: still AttributeError
        _ = (tg.tensor([1.0], requires_grad=True) + 1).grad_fn._saved_result


# ---- gradcheck(check_forward_ad=True) checks forward mode ------------------------------------
def _cube(lib, jvp_scale):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)  # (what jvp sees as ctx.saved_tensors, as PyTorch's)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

        @staticmethod
        def jvp(ctx, tangent):
            (x,) = ctx.saved_tensors
            return jvp_scale * x * x * tangent
    return Cube


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("backward_too", [True, False])
def test_check_forward_ad_catches_a_wrong_jvp_as_torch(backward_too):
    for lib in (tg, torch) if torch is not None else (tg,):
        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        options = dict(check_forward_ad=True, check_backward_ad=backward_too)
        assert lib.autograd.gradcheck(_cube(lib, 3).apply, (x,), **options)
        with pytest.raises(RuntimeError, match="Jacobian computed with forward mode mismatch "
                                               "for output 0 with respect to input 0"):
            lib.autograd.gradcheck(_cube(lib, 2).apply, (x,), **options)
        assert lib.autograd.gradcheck(_cube(lib, 2).apply, (x,), raise_exception=False,
                                      **options) is False
    x = tg.tensor([0.5, -1.5, 2.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="the jvp to check: Cube"):
        tg.autograd.gradcheck(_cube(tg, 2).apply, (x,), check_forward_ad=True)
    assert tg.autograd.gradcheck(lambda t: (t.sin() * t, t.argmax(), t.exp().mean()), (x,),
                                 check_forward_ad=True)


# ---- autograd.graph.allow_mutation_on_saved_tensors -----------------------------------------
def _mutations(lib):
    amst = lib.autograd.graph.allow_mutation_on_saved_tensors
    found = []
    with amst():
        a = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        b.sin_()
        out.backward()
        found.append(a.grad.numpy().copy())
        a = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = a.clone().exp()
        y.mul_(2)
        y.sum().backward()
        found.append(a.grad.numpy().copy())
        a = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        b = a * 1
        c = b * b
        b[0] = 5.0
        (c * b).sum().backward()
        found.append(a.grad.numpy().copy())
    with pytest.raises(RuntimeError, match="contexts cannot be nested"):
        with amst(), amst():
            pass
    return found


def test_allow_mutation_on_saved_tensors_keeps_forward_values():
    found = _mutations(tg)
    np.testing.assert_allclose(found[0], [1.0, 4.0])
    np.testing.assert_allclose(found[1], 2 * np.exp([0.5, 2.0]))
    np.testing.assert_allclose(found[2], [5.0, 12.0])  # d/da (a^2 * b'), b' = (5, a1)
    if torch is not None:
        for mine, theirs in zip(found, _mutations(torch)):
            np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    def unrecorded_write(inside):
        x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
        with tg.autograd.graph.allow_mutation_on_saved_tensors() if inside else \
                contextlib.nullcontext():
            h = x * 1
            y = (h * h).sum()
        with tg.no_grad():
            h.mul_(3)  # the saved memory itself changes
        y.backward()
        return x.grad.numpy()
    np.testing.assert_allclose(unrecorded_write(True), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        unrecorded_write(False)  # outside the block: refused as before


def test_profiler_util_and_graph_names_import_as_in_torch():
    from tinygrad_np.autograd.graph import (  # noqa: F401
        GradientEdge,
        allow_mutation_on_saved_tensors,
        get_gradient_edge,
        saved_tensors_hooks,
    )
    from tinygrad_np.autograd.profiler_util import EventList, FunctionEventAvg

    from tinygrad_np.profiler import ProfilerAction

    assert EventList([FunctionEventAvg("a")]).total_average().key == "Total"
    assert ProfilerAction.RECORD_AND_SAVE.name == "RECORD_AND_SAVE"
