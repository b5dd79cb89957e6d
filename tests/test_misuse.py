"""Misuse of the engine, from the outside: what PyTorch users do to a gradient library that a
test written for the happy path never does. Threads, in-place changes between forward and
backward, arrays shared with NumPy, custom ops that break their contract, and the small
semantics (dtypes, empty layers, NaN, out-of-range dims) users rely on without knowing.

Every check here stands on its own (hand-written NumPy references, the mathematics, or "this
must raise"); where PyTorch is installed, the torch tests compare with it as well.
"""

from __future__ import annotations

import math
import sys
import threading
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np import Tensor

STALE = "modified by an in-place operation"


@pytest.fixture
def fast_switching():
    """Threads switch every microsecond, so two threads really interleave op by op."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def run_threads(*targets) -> None:
    """Run the functions in threads started together; re-raise the first error."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn):
        def body():
            try:
                barrier.wait()
                fn()
            except BaseException as error:  # noqa: BLE001 (re-raised in the main thread)
                errors.append(error)
        return body

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# ====================================================================== 1. grad mode per thread
def make_run(kind: str, seed: int):
    """A fresh model, optimizer and data; the same (bit for bit) for the same arguments."""
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
        opt = optim.Adam(model.parameters(), lr=0.01)
    else:
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Sigmoid(),
                              nn.Linear(8, 3))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = Tensor(rng.normal(size=(32, 6)).astype(np.float32))
    y = Tensor(rng.normal(size=(32, 3)).astype(np.float32))
    return model, opt, x, y


def train(model, opt, x, y, steps: int, log: list) -> None:
    """Training with an evaluation under no_grad after every step (both modes in play)."""
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        with tg.no_grad():
            log.append(F.mse_loss(model(x), y).item())
            assert not model(x).requires_grad


@pytest.mark.parametrize("kinds", [("mlp", "deep"), ("mlp", "mlp"), ("deep", "deep")])
def test_two_models_trained_in_two_threads_match_training_them_one_after_the_other(
        kinds, fast_switching):
    steps = 15
    alone = []
    for seed, kind in enumerate(kinds):
        model, opt, x, y = make_run(kind, seed)
        log: list = []
        train(model, opt, x, y, steps, log)
        alone.append((log, [p._data.copy() for p in model.parameters()]))

    runs = [make_run(kind, seed) for seed, kind in enumerate(kinds)]
    logs: list[list] = [[], []]
    run_threads(*[lambda run=run, log=log: train(*run, steps, log)
                  for run, log in zip(runs, logs)])
    for (log, params), run, threaded_log in zip(alone, runs, logs):
        assert threaded_log == log  # bit-identical losses
        for expected, param in zip(params, run[0].parameters()):
            np.testing.assert_array_equal(param._data, expected)


def test_a_thread_inside_no_grad_does_not_stop_another_from_recording():
    entered, release = threading.Event(), threading.Event()
    seen = []

    def idle_in_no_grad():
        with tg.no_grad():
            entered.set()
            release.wait(10)
            seen.append(tg.is_grad_enabled())
            seen.append((tg.ones(2, requires_grad=True) * 2).requires_grad)

    thread = threading.Thread(target=idle_in_no_grad)
    thread.start()
    try:
        assert entered.wait(10)
        x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * x).sum()  # recorded here while the other thread sits in no_grad
        assert tg.is_grad_enabled() and y.requires_grad and y.grad_fn is not None
        y.backward()
        np.testing.assert_array_equal(x.grad._data, [2.0, 4.0, 6.0])
    finally:
        release.set()
        thread.join()
    assert seen == [False, False]


def test_backward_in_one_thread_never_turns_recording_off_in_another(fast_switching):
    w = tg.randn(50, 50, requires_grad=True)
    problems = []

    def backwards():
        for _ in range(100):
            (w @ w).tanh().sum().backward()  # switches grad mode off inside, in its thread

    def forwards():
        for _ in range(400):
            if not (w * 2).requires_grad or not tg.is_grad_enabled():
                problems.append("recording was off")

    run_threads(backwards, forwards)
    assert problems == []


def test_grad_and_anomaly_modes_are_per_thread():
    results = {}

    def other():
        results["grad"] = tg.is_grad_enabled()
        results["anomaly"] = tg.is_anomaly_enabled()

    with tg.no_grad(), tg.detect_anomaly():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert not tg.is_grad_enabled() and tg.is_anomaly_enabled()
    assert results == {"grad": True, "anomaly": False}


def test_set_grad_enabled_as_a_call_and_as_a_context_manager():
    set_grad_enabled = tg.set_grad_enabled

    x = tg.ones(2, requires_grad=True)
    with set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
        seen = []
        thread = threading.Thread(target=lambda: seen.append(tg.is_grad_enabled()))
        thread.start()
        thread.join()
        assert seen == [True]  # another thread is not affected
    finally:
        set_grad_enabled(True)
    # As PyTorch's, it also decorates: the function runs in the mode (which the call to
    # set_grad_enabled(False) also set at once), and the mode is restored after.
    decorated = set_grad_enabled(False)(lambda: tg.is_grad_enabled())
    set_grad_enabled(True)
    assert decorated() is False and tg.is_grad_enabled()


def test_inference_mode_takes_pytorchs_mode_argument_and_decorates_bare():
    x = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(mode=True):
        assert not (x * 2).requires_grad
    with tg.no_grad():  # PyTorch: inference_mode(False) turns recording on
        with tg.inference_mode(False):
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @tg.inference_mode
    def bare():
        return (x * 2).requires_grad

    @tg.inference_mode()
    def called():
        return (x * 2).requires_grad

    assert bare() is False and called() is False and bare.__name__ == "bare"
    assert tg.is_grad_enabled()


def test_inference_mode_vs_pytorch():
    torch = pytest.importorskip("torch")

    def modes(lib):
        seen = []
        with lib.no_grad():
            with lib.inference_mode(False):
                seen.append(lib.is_grad_enabled())
        with lib.inference_mode(mode=True):
            seen.append(lib.is_grad_enabled())
        seen.append(lib.inference_mode(lambda: lib.is_grad_enabled())())
        seen.append(lib.is_grad_enabled())
        return seen

    assert modes(tg) == modes(torch) == [True, False, False, True]


def test_no_grad_on_a_generator_holds_only_while_the_generator_runs():
    x = tg.ones(3, requires_grad=True)

    @tg.no_grad()
    def batches(n):
        for i in range(n):
            received = yield (x * i, tg.is_grad_enabled())
            assert received is None or received == "ping"

    outputs = []
    for y, mode_inside in batches(3):
        outputs.append((y.requires_grad, mode_inside, tg.is_grad_enabled(),
                        (x * 2).requires_grad))
    assert outputs == [(False, False, True, True)] * 3

    gen = batches(2)
    next(gen)
    assert tg.is_grad_enabled()
    y, inside = gen.send("ping")
    assert not y.requires_grad and not inside and tg.is_grad_enabled()

    @tg.enable_grad()
    def recording():
        yield (x * 2).requires_grad
        yield (x * 3).requires_grad

    with tg.no_grad():
        assert list(recording()) == [True, True]
        assert not (x * 2).requires_grad


def test_no_grad_generator_passes_thrown_errors_and_return_values():
    @tg.no_grad()
    def guarded():
        try:
            yield tg.is_grad_enabled()
        except KeyError:
            yield ("caught", tg.is_grad_enabled())
        return "done"

    gen = guarded()
    assert next(gen) is False
    assert gen.throw(KeyError("k")) == ("caught", False)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"
    assert tg.is_grad_enabled()


def test_threads_sharing_one_retained_graph_get_the_gradient_each(fast_switching):
    x = tg.tensor(np.linspace(-1, 1, 200), requires_grad=True)
    y = (x.sin() * x).sum()
    expected = np.sin(x._data) + x._data * np.cos(x._data)  # float32 math, written out
    found = []

    def worker():
        for _ in range(10):
            (g,) = tg.grad(y, x, retain_graph=True)
            found.append(g._data)

    run_threads(*[worker] * 4)
    assert len(found) == 40
    for g in found:
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


def test_threads_calling_backward_into_the_same_leaf_lose_no_gradient(fast_switching):
    x = tg.tensor(np.arange(1.0, 301.0), requires_grad=True)
    y = (x * x).sum()

    def worker():
        for _ in range(25):
            y.backward(retain_graph=True)

    run_threads(*[worker] * 4)
    np.testing.assert_allclose(x.grad._data, 100 * 2 * np.arange(1.0, 301.0), rtol=1e-5)


# ====================================================================== 2. saved values stay fresh
def test_an_optimizer_step_between_forward_and_backward_raises_naming_the_op():
    for make in (lambda p: optim.SGD(p, lr=0.1), lambda p: optim.Adam(p, lr=0.1),
                 lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1)):
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        opt = make(model.parameters())
        x = tg.randn(5, 3)
        loss = model(x).pow(2).mean()
        model(x).sum().backward()  # some other gradient, then a step: weights change
        opt.step()
        with pytest.raises(RuntimeError, match=f"LinearFunction.*input 1 '[02].weight'.*{STALE}"):
            loss.backward()


def test_zero_grad_between_forward_and_backward_is_fine():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x = tg.randn(4, 3)
    loss = model(x).sum()
    opt.zero_grad()  # gradients are not saved values
    loss.backward()
    np.testing.assert_allclose(model.bias.grad._data, [4.0, 4.0])
    np.testing.assert_allclose(model.weight.grad._data, np.tile(x._data.sum(0), (2, 1)), rtol=1e-6)


def test_load_state_dict_between_forward_and_backward_raises():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    state = {key: np.asarray(value._data if isinstance(value, Tensor) else value) * 2
             for key, value in model.state_dict().items()}
    loss = model(tg.randn(6, 3)).pow(2).sum()
    model.load_state_dict(state)
    with pytest.raises(RuntimeError, match=f"LinearFunction.*{STALE}"):
        loss.backward()


PARAM_CHANGES = {
    "nn.init.zeros_": lambda model: nn.init.zeros_(model[0].weight),
    "nn.init.normal_": lambda model: nn.init.normal_(model[2].weight),
    "nn.init.kaiming_uniform_": lambda model: nn.init.kaiming_uniform_(model[0].weight),
    "copy_ under no_grad": lambda model: no_grad_call(lambda: model[2].weight.copy_(
        tg.ones(2, 4))),
    "data.fill_ through detach": lambda model: model[0].weight.detach().fill_(0.5),
}


def no_grad_call(fn):
    with tg.no_grad():
        return fn()


@pytest.mark.parametrize("change", PARAM_CHANGES, ids=str)
def test_changing_a_parameter_between_forward_and_backward_raises(change):
    tg.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = tg.randn(5, 3, requires_grad=True)
    loss = model(x).pow(2).sum()
    PARAM_CHANGES[change](model)
    with pytest.raises(RuntimeError, match=f"LinearFunction.*{STALE}"):
        loss.backward()


def test_retain_graph_then_an_in_place_change_then_backward_raises():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    scale = tg.tensor([3.0, 4.0])
    y = (x * scale).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad._data, [3.0, 4.0])
    scale.mul_(2.0)
    with pytest.raises(RuntimeError, match=f"Mul.*{STALE}"):
        y.backward()
    np.testing.assert_array_equal(x.grad._data, [3.0, 4.0])  # nothing half-added


def test_backward_works_inside_no_grad_as_in_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with tg.no_grad():
        y.backward()
        assert not tg.is_grad_enabled()
    np.testing.assert_array_equal(x.grad._data, [2.0, 4.0])


IN_PLACE = {
    "+=": lambda t: t.__iadd__(1.0),
    "-=": lambda t: t.__isub__(tg.ones(3)),
    "*=": lambda t: t.__imul__(2.0),
    "/=": lambda t: t.__itruediv__(2.0),
    "t[i] = v": lambda t: t.__setitem__(0, 5.0),
    "t[1:] = v": lambda t: t.__setitem__(slice(1, None), tg.zeros(2)),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(7.0),
    "copy_": lambda t: t.copy_(tg.ones(3)),
    "clamp_": lambda t: t.clamp_(-0.1, 0.1),
    "add_ alpha": lambda t: t.add_(tg.ones(3), alpha=2),
}


@pytest.mark.parametrize("change", IN_PLACE, ids=str)
@pytest.mark.parametrize("op", ["mul", "div", "pow", "matmul"])
def test_in_place_change_of_a_saved_constant_raises_naming_the_op(change, op):
    x = tg.tensor([0.5, 1.5, 2.5], requires_grad=True)
    t = tg.tensor([1.0, 2.0, 3.0])  # a plain tensor: no grad, but the graph saves its values
    y = {"mul": lambda: x * t, "div": lambda: x / t, "pow": lambda: x ** t,
         "matmul": lambda: x @ t}[op]()
    name = {"mul": "Mul", "div": "Div", "pow": "Pow", "matmul": "MatMul"}[op]
    IN_PLACE[change](t)
    assert t._version >= 1
    with pytest.raises(RuntimeError, match=f"{name}.*{STALE}"):
        y.sum().backward()


@pytest.mark.parametrize("change", IN_PLACE, ids=str)
def test_in_place_change_of_a_saved_output_raises(change):
    x = tg.tensor([0.5, 1.5, -2.5], requires_grad=True)
    for op, name in [(Tensor.exp, "Exp"), (Tensor.sigmoid, "Sigmoid"), (Tensor.tanh, "Tanh")]:
        y = op(x)
        with tg.no_grad():
            IN_PLACE[change](y)  # changes the very output the op saved
        with pytest.raises(RuntimeError, match=f"{name}.*its output.*{STALE}"):
            y.sum().backward()


VIEWS = {
    "detach": lambda t: t.detach(),
    "reshape": lambda t: t.reshape(2, 3),
    "view": lambda t: t.view(6),
    "slice": lambda t: t[1:],
    "row": lambda t: t[0],
    "element": lambda t: t[1, 0],
    "transpose": lambda t: t.T,
    "unsqueeze": lambda t: t.unsqueeze(0),
}


@pytest.mark.parametrize("view", VIEWS, ids=str)
def test_in_place_change_through_a_view_of_a_saved_tensor_raises(view):
    # Without a shared version counter this backward used the new values: a silent wrong grad.
    x = tg.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    for base in (x * 1, tg.tensor(np.arange(6.0).reshape(3, 2))):
        y = (base * x).sum()  # saves base
        alias = VIEWS[view](base)
        with tg.no_grad():
            alias.add_(1.0)
        assert base._data.sum() > 15.0  # the memory changed (it summed to 15)
        with pytest.raises(RuntimeError, match=f"Mul.*{STALE}"):
            y.backward()


def test_an_element_is_a_view_as_in_pytorch():
    # NumPy returns a copy for t[i] of a 1-D array: t[1].add_(5) changed nothing, silently.
    t = tg.tensor([1.0, 2.0, 3.0])
    t[1].add_(5.0)
    t[-1].zero_()
    np.testing.assert_array_equal(t._data, [1.0, 7.0, 0.0])
    m = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    m[1, 0].mul_(10.0)
    m[tg.tensor(0)][1].fill_(-1.0)
    np.testing.assert_array_equal(m._data, [[1.0, -1.0], [30.0, 4.0]])
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x[1].sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0.0, 1.0])


def test_element_views_vs_pytorch():
    torch = pytest.importorskip("torch")
    values = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    ours, theirs = tg.tensor(values), torch.tensor(values)
    for t in (ours, theirs):
        t[1, 2].add_(10.0)
        t[0][1].mul_(-3.0)
        t[1].clamp_(0.0, 4.5)
    np.testing.assert_array_equal(ours._data, theirs.numpy())


def test_a_copy_made_by_indexing_is_not_a_view():
    t = tg.tensor([1.0, 2.0, 3.0])
    x = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    y = (x * t).sum()
    picked = t[[0, 2]]  # integer-array indexing copies: changing it changes nothing saved
    picked.zero_()
    y.backward()
    np.testing.assert_array_equal(x.grad._data, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("change", IN_PLACE, ids=str)
def test_changes_the_graph_does_not_depend_on_stay_allowed(change):
    x = tg.tensor([0.5, 1.5, 2.5], requires_grad=True)
    t = tg.tensor([1.0, 2.0, 3.0])
    unrelated = tg.tensor([4.0, 5.0, 6.0])
    # Add, Sub, Neg, Sum and Reshape save nothing; a tensor outside the graph is free too.
    y = ((x + t) - (-t) + t.reshape(1, 3)).sum()
    IN_PLACE[change](t)
    IN_PLACE[change](unrelated)
    y.backward()
    np.testing.assert_array_equal(x.grad._data, [1.0, 1.0, 1.0])


# Products whose backward needs each operand only for the OTHER one's gradient: with one
# operand constant, the parameter itself is not needed, and changing it stays allowed (as in
# PyTorch, which saves only what the gradient formula reads).
PRODUCTS = {
    "linear": lambda x, w: F.linear(x, w),
    "linear 1-D": lambda x, w: F.linear(x[0], w),
    "x @ w.T": lambda x, w: x @ w.T,
    "w @ x.T": lambda x, w: w @ x.T,
    "matmul 1-D": lambda x, w: x[0] @ w.T,
    "dot": lambda x, w: tg.dot(x[0], w[0]),
    "bmm": lambda x, w: tg.bmm(x[None], w.T[None]),
    "mm": lambda x, w: tg.mm(x, w.t()),
    "einsum": lambda x, w: tg.einsum("ij,kj->ik", x, w),
}


def _product_case(lib, name, changed):
    """x (3, 4) and w (5, 4); `changed` ("w" or "x") requires grad and is changed in place
    after forward; the other is a constant. Returns the gradient of the changed one."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    x = lib.tensor(x, requires_grad=changed == "x")
    w = lib.tensor(w, requires_grad=changed == "w")
    forward = PRODUCTS[name] if lib is tg else TORCH_PRODUCTS[name]
    out = forward(x, w).sum()
    target = w if changed == "w" else x
    with lib.no_grad():
        target.mul_(3.0)
    out.backward()
    return np.asarray(target.grad.numpy() if lib is tg else target.grad.detach().numpy())


TORCH_PRODUCTS = {
    "linear": lambda x, w: __import__("torch").nn.functional.linear(x, w),
    "linear 1-D": lambda x, w: __import__("torch").nn.functional.linear(x[0], w),
    "x @ w.T": lambda x, w: x @ w.T,
    "w @ x.T": lambda x, w: w @ x.T,
    "matmul 1-D": lambda x, w: x[0] @ w.T,
    "dot": lambda x, w: __import__("torch").dot(x[0], w[0]),
    "bmm": lambda x, w: __import__("torch").bmm(x[None], w.T[None]),
    "mm": lambda x, w: __import__("torch").mm(x, w.t()),
    "einsum": lambda x, w: __import__("torch").einsum("ij,kj->ik", x, w),
}


@pytest.mark.parametrize("changed", ["w", "x"])
@pytest.mark.parametrize("name", list(PRODUCTS))
def test_a_product_keeps_only_the_operand_the_gradient_needs(name, changed):
    # the gradient of sum(f(x, w)) with respect to the changed operand reads only the other
    # one, which did not change: the forward-time constant
    grad = _product_case(tg, name, changed)
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    expected = {  # d/dw sum(x W^T) = column sums of x per row of w; d/dx = column sums of w
        ("w", "linear"): np.tile(x.sum(0), (5, 1)), ("x", "linear"): np.tile(w.sum(0), (3, 1)),
    }.get((changed, name))
    if expected is not None:
        np.testing.assert_allclose(grad, expected, rtol=1e-12)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("changed", ["w", "x"])
@pytest.mark.parametrize("name", list(PRODUCTS))
def test_a_product_keeps_only_the_operand_the_gradient_needs_vs_pytorch(name, changed):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(_product_case(tg, name, changed),
                               _product_case(torch, name, changed), rtol=1e-12)


def test_an_optimizer_step_between_forward_and_backward_of_a_first_layer_is_fine():
    # nn.Linear on a batch that needs no gradient reads its weight only for x's gradient:
    # stepping the optimizer before backward is allowed, as in PyTorch, and the weight's
    # gradient is g^T x of the forward pass
    layer = nn.Linear(4, 2)
    x = tg.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    loss = layer(x).sum()
    layer.weight.grad = tg.zeros(2, 4)
    optim.SGD(layer.parameters(), lr=0.5).step()
    loss.backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.tile(x.numpy().sum(0), (2, 1)))
    # the second layer's input needs a gradient, so its weight is saved and checked
    hidden = nn.Linear(4, 3)
    second = nn.Linear(3, 1)
    loss = second(hidden(x)).sum()
    second.weight.grad = tg.zeros(1, 3)
    optim.SGD(second.parameters(), lr=0.5).step()
    with pytest.raises(RuntimeError, match="LinearFunction.*modified by an in-place"):
        loss.backward()


def test_a_product_with_one_constant_operand_differentiates_twice():
    # the saved constant is the other operand: d/dw of (d/dw sum((x w^T)^2)) . v
    rng = np.random.default_rng(4)
    x_np, w_np, v_np = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), \
        rng.standard_normal((2, 4))
    for forward in (lambda x, w: x @ w.T, lambda x, w: F.linear(x, w),
                    lambda x, w: tg.einsum("ij,kj->ik", x, w)):
        x, w = tg.tensor(x_np), tg.tensor(w_np, requires_grad=True)
        (g,) = tg.grad((forward(x, w) ** 2).sum(), w, create_graph=True)
        (hv,) = tg.grad((g * tg.tensor(v_np)).sum(), w)
        np.testing.assert_allclose(hv.numpy(), 2 * v_np @ x_np.T @ x_np, rtol=1e-10)


def test_in_place_after_backward_is_the_normal_training_step():
    w = tg.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tg.no_grad():
            w -= 0.25 * w.grad
        w.grad = None
    np.testing.assert_allclose(w._data, np.array([1.0, -2.0]) * 0.5 ** 3)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = tg.ones(3, requires_grad=True)
    for change in ("+=", "t[i] = v", "zero_", "copy_", "clamp_"):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            IN_PLACE[change](w)
    np.testing.assert_array_equal(w._data, [1.0, 1.0, 1.0])
    assert w._version == 0


SAVES_NOTHING = {"add": (lambda x: (x + 1).sum(), 1.0), "neg": (lambda x: (-x).sum(), -1.0),
                 "reshape": (lambda x: x.reshape(2, 2).sum(), 1.0),
                 "sub": (lambda x: (3 - x).sum(), -1.0), "sum": (lambda x: x.sum(0).sum(), 1.0),
                 "transpose": (lambda x: x.reshape(2, 2).T.sum(), 1.0)}


@pytest.mark.parametrize("name", SAVES_NOTHING, ids=str)
def test_backward_twice_through_a_graph_that_saved_nothing(name):
    make, slope = SAVES_NOTHING[name]
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = make(x)
    y.backward()
    y.backward()  # allowed, as in PyTorch: nothing was freed
    np.testing.assert_array_equal(x.grad._data, [2 * slope] * 4)


def test_backward_twice_through_saved_values_needs_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"a second time \(or directly access saved"
                                           r".*retain_graph=True.*freed node: Mul"):
        y.backward()
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward(retain_graph=True)
    z.backward()
    e = np.exp(np.float32([1.0, 2.0]))
    np.testing.assert_allclose(x.grad._data, 2 * np.float32([1.0, 2.0]) + 3 * e * (1 + np.float32(
        [1.0, 2.0])), rtol=1e-6)


# ====================================================================== 3. aliasing
def test_numpy_of_a_tensor_that_requires_grad_is_read_only():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for array in (x.numpy(), (x * 2).numpy(), x._data, x[0:1].numpy(), np.asarray(x * 2),
                  np.asarray(x.exp())):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 100.0
    np.testing.assert_array_equal(x._data, [1.0, 2.0])
    y = x.exp()
    (y.sum()).backward()
    np.testing.assert_allclose(x.grad._data, np.exp(np.float32([1.0, 2.0])))


def test_numpy_of_a_plain_tensor_is_writable_and_shared():
    t = tg.tensor([1.0, 2.0])
    t.numpy()[0] = 9.0
    assert t._data[0] == 9.0
    y = tg.tensor([1.0, 2.0], requires_grad=True) * 3
    d = y.detach().numpy()
    d[1] = 0.0  # detach() of a non-leaf: writable, as in PyTorch (and as unguarded)
    assert y._data[1] == 0.0


SHARING = {"Tensor(x.data)": lambda x: Tensor(x._data), "Tensor(x)": lambda x: Tensor(x),
           "Tensor(x.numpy())": lambda x: Tensor(x.numpy()),
           "tensor(x.data)": lambda x: tg.tensor(x._data)}


@pytest.mark.parametrize("make", SHARING, ids=str)
@pytest.mark.parametrize("change", ["+=", "t[i] = v", "zero_", "copy_", "clamp_"])
def test_a_tensor_made_from_a_leafs_array_cannot_change_the_leaf(make, change):
    # It shares the leaf's read-only array but not its version counter: unlocking the array
    # would change values a graph saved without any error (a silent wrong gradient).
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    c = SHARING[make](x)
    IN_PLACE[change](c)
    assert not np.array_equal(c._data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x._data, [1.0, 2.0, 3.0])
    assert not x._data.flags.writeable
    y.backward()
    np.testing.assert_array_equal(x.grad._data, [2.0, 4.0, 6.0])


def test_a_users_read_only_array_stays_read_only_and_unchanged():
    array = np.arange(3.0)
    array.flags.writeable = False
    t = Tensor(array)
    t += 1.0
    t[0] = 7.0
    np.testing.assert_array_equal(array, [0.0, 1.0, 2.0])
    assert not array.flags.writeable
    np.testing.assert_array_equal(t._data, [7.0, 2.0, 3.0])


def test_in_place_through_detach_of_a_leaf_is_tracked_like_pytorch():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.detach().zero_()  # shares memory and version counter with w (as in PyTorch)
    np.testing.assert_array_equal(w._data, [0.0, 0.0])
    assert not w._data.flags.writeable and w._version == 1
    with pytest.raises(RuntimeError, match=f"Mul.*{STALE}"):
        y.backward()


def test_plain_tensor_mixed_in_place_with_one_that_requires_grad_records_the_graph():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    buf = tg.zeros(3)
    buf += w
    buf *= w
    assert buf.requires_grad and buf.grad_fn is not None
    buf.sum().backward()
    np.testing.assert_allclose(w.grad._data, 2 * w._data)  # d(w*w)/dw

    w.grad = None
    buf = tg.zeros(4)
    buf[0] = w[1]
    buf[1:4] = w * 2
    (buf * tg.tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_allclose(w.grad._data, [20.0, 201.0, 2000.0])

    w.grad = None
    buf = tg.ones(3)
    buf.copy_(w)
    (buf * buf).sum().backward()
    np.testing.assert_allclose(w.grad._data, 2 * w._data)


def test_recorded_in_place_on_a_view_writes_through_to_the_base():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    base = tg.zeros(2, 2)
    row = base[0]
    row += w  # as PyTorch: base's graph records the write (a setitem at row's place)
    np.testing.assert_array_equal(base._data, [[1.0, 2.0], [0.0, 0.0]])
    assert base.requires_grad and row.requires_grad
    (base * tg.tensor([[3.0, 4.0], [5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(w.grad._data, [3.0, 4.0])
    with tg.no_grad():
        base[1] += 7  # without recording it writes through, like PyTorch
    np.testing.assert_array_equal(row._data, [1.0, 2.0])
    np.testing.assert_array_equal(base._data, [[1.0, 2.0], [7.0, 7.0]])


def test_in_place_mixing_vs_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.5, 2.0], np.float32)
    scale = np.array([3.0, 1.0, -2.0], np.float32)

    def run(lib):
        if lib is torch:
            w = torch.tensor(values, requires_grad=True)
            buf, other = torch.zeros(5), torch.tensor(scale)
        else:
            w = tg.tensor(values, requires_grad=True)
            buf, other = tg.zeros(5), tg.tensor(scale)
        buf[1:4] = w * other
        buf[0] = w[2]
        buf += 1.0
        buf *= 3.0
        acc = other * 1
        acc += w
        acc.mul_(w)
        copied = other * 0
        copied.copy_(w * w)
        ((buf * buf).sum() + acc.sum() + copied.sum()).backward()
        return w.grad.numpy() if lib is torch else w.grad._data

    np.testing.assert_allclose(run(tg), run(torch), rtol=1e-6)


# ====================================================================== 4. custom op contracts
class TooFew(tg.Function):
    def forward(ctx, a, b):
        return a * b

    def backward(ctx, grad_output):
        return grad_output


class TooMany(tg.Function):
    def forward(ctx, a):
        return a * 2

    def backward(ctx, grad_output):
        return grad_output, grad_output


class WrongShape(tg.Function):
    def forward(ctx, a):
        return a.sum(axis=0)

    def backward(ctx, grad_output):
        return np.ones((7,), np.float32)


class SavesDerived(tg.Function):
    """y = sin(x) with cos(x) saved: right for backward(), unknown for create_graph."""

    def forward(ctx, x):
        ctx.save_for_backward(np.cos(x))
        return np.sin(x)

    def backward(ctx, grad_output):
        (cos,) = ctx.saved_tensors
        return grad_output * cos


class SavesMask(tg.Function):
    """y = relu(x) with the mask as a ctx attribute: fine under create_graph too."""

    def forward(ctx, x):
        ctx.mask = x > 0
        ctx.save_for_backward(x)
        return x * ctx.mask

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ctx.mask


@pytest.mark.parametrize("shape", [(3,), (2, 3), (1,)])
def test_a_backward_with_the_wrong_number_of_gradients_raises_naming_the_op(shape):
    a = tg.ones(shape, requires_grad=True)
    b = tg.ones(shape, requires_grad=True)
    wrong = r"function {} returned an incorrect number of gradients \(expected {}, got {}\)"
    with pytest.raises(RuntimeError, match=wrong.format("TooFew", 2, 1)):
        TooFew.apply(a, b).sum().backward()
    with pytest.raises(RuntimeError, match=wrong.format("TooMany", 1, 2)):
        TooMany.apply(a).sum().backward()
    with pytest.raises(RuntimeError, match=wrong.format("TooMany", 1, 2)):
        tg.grad(TooMany.apply(a).sum(), a, create_graph=True)


@pytest.mark.parametrize("shape", [(2, 3), (4, 1), (3, 3)])
def test_a_backward_with_the_wrong_shape_raises_naming_the_op(shape):
    a = tg.ones(shape, requires_grad=True)
    with pytest.raises(ValueError, match=r"WrongShape\.backward.*\(7,\).*" + re_shape(shape)):
        WrongShape.apply(a).sum().backward()
    assert a.grad is None


def re_shape(shape: tuple) -> str:
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def test_a_saved_derived_value_is_refused_under_create_graph_only():
    x = tg.tensor([0.1, 1.0, 2.0], requires_grad=True)
    SavesDerived.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad._data, np.cos(x._data), rtol=1e-6)
    for inputs in ([0.1, 1.0, 2.0], [[0.5]]):
        x = tg.tensor(inputs, requires_grad=True)
        with pytest.raises(RuntimeError, match="create_graph through SavesDerived.*neither"):
            tg.grad(SavesDerived.apply(x).sum(), x, create_graph=True)


def test_a_mask_kept_on_ctx_differentiates_twice():
    x = tg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    (g,) = tg.grad((SavesMask.apply(x) ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g._data, [0.0, 1.0, 4.0])  # 2 relu(x)
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h._data, [0.0, 2.0, 2.0])


CONSTANTS = {
    "x.data": lambda x: x._data,
    "x.numpy()": lambda x: x.numpy(),
    "x.detach().numpy()": lambda x: x.detach().numpy(),
    "Tensor(x.data)": lambda x: Tensor(x._data),
    "x.detach()": lambda x: x.detach(),
}


@pytest.mark.parametrize("constant", CONSTANTS, ids=str)
@pytest.mark.parametrize("values", [[1.0, 2.0], [-0.5, 3.0, 0.25], [[2.0]]])
def test_a_constant_sharing_memory_with_an_input_is_a_constant_when_differentiating_twice(
        constant, values):
    x = tg.tensor(values, requires_grad=True)
    c = CONSTANTS[constant](x)
    (g,) = tg.grad((x * c * x).sum(), x, create_graph=True)  # 2 c x, with c constant
    (h,) = tg.grad(g.sum(), x)  # 2 c
    v = np.asarray(values, np.float32)
    np.testing.assert_allclose(g._data, 2 * v * v, rtol=1e-6)
    np.testing.assert_allclose(h._data, 2 * v, rtol=1e-6)
    (g1,) = tg.grad((x * c).sum(), x, create_graph=True)  # c: no path back to x
    assert not g1.requires_grad
    np.testing.assert_allclose(g1._data, v)


@pytest.mark.parametrize("constant", CONSTANTS, ids=str)
def test_second_derivatives_with_shared_memory_constants_vs_pytorch(constant):
    torch = pytest.importorskip("torch")
    values = np.array([0.3, -1.2, 2.0], np.float32)
    x = tg.tensor(values, requires_grad=True)
    c = CONSTANTS[constant](x)
    (g,) = tg.grad(((x * c).sin() * x).sum(), x, create_graph=True)
    (h,) = tg.grad((g * g).sum(), x)
    xt = torch.tensor(values, requires_grad=True)
    ct = xt.detach()
    (gt,) = torch.autograd.grad(((xt * ct).sin() * xt).sum(), xt, create_graph=True)
    (ht,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(g._data, gt.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(h._data, ht.numpy(), rtol=1e-5)


# ====================================================================== 5. small semantics
@pytest.mark.parametrize("times", [1, 2, 3])
def test_retain_grad_more_than_once_does_not_multiply_the_gradient(times):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    for _ in range(times):
        h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad._data, 2 * h._data)
    np.testing.assert_allclose(x.grad._data, 18 * x._data)
    x.retain_grad()  # a leaf: no-op
    assert x.grad is not None


def test_assigning_a_bad_grad_is_refused():
    x = tg.ones((2, 3), requires_grad=True)
    for bad, error in [(tg.zeros(3), RuntimeError), (tg.zeros((3, 2)), RuntimeError),
                       (tg.zeros((2, 3, 1)), RuntimeError), (np.zeros((2, 3)), TypeError),
                       (tg.tensor(np.zeros((2, 3), np.int64)), RuntimeError)]:
        with pytest.raises(error, match="grad"):
            x.grad = bad
        assert x.grad is None
    x.grad = tg.ones((2, 3))
    x.grad = None


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_zero_clears_nan_and_inf(dtype):
    t = tg.tensor(np.array([np.nan, np.inf, -np.inf, 1.0], dtype))
    t.zero_()
    np.testing.assert_array_equal(t._data, np.zeros(4, dtype))
    assert t.dtype == dtype
    x = tg.tensor(np.array([1.0, 0.0], dtype), requires_grad=True)
    with np.errstate(divide="ignore"):
        x.log().sum().backward()  # 1 / x: inf at 0
    assert np.isinf(x.grad._data).any()
    x.grad.zero_()
    np.testing.assert_array_equal(x.grad._data, [0.0, 0.0])


COMPARISONS = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
    "lt": lambda a, b: a.lt(b), "eq": lambda a, b: a.eq(b), "isclose": lambda a, b: a.isclose(b),
    "logical_and": lambda a, b: a.logical_and(b), "isnan": lambda a, b: a.isnan(),
    "&": lambda a, b: (a > 0) & (b > 0),
}


@pytest.mark.parametrize("op", COMPARISONS, ids=str)
@pytest.mark.parametrize("pair", [(1.0, 2.0), (2.0, 2.0), (np.nan, 1.0)])
def test_comparisons_of_0d_tensors_are_0d_array_tensors(op, pair):
    a, b = tg.tensor(pair[0]), tg.tensor(pair[1])
    for right in (b,) if op == "logical_and" else (b, pair[1]):  # (a number: PyTorch's TypeError)
        result = COMPARISONS[op](a, right)
        assert isinstance(result, Tensor)
        assert type(result._data) is np.ndarray and result.shape == () and result.dtype == np.bool_
        assert not result.requires_grad


@pytest.mark.parametrize("sizes", [(0, 3), (3, 0), (0, 0)])
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")  # (PyTorch's)
def test_linear_with_zero_features_trains(sizes):
    fan_in, fan_out = sizes
    layer = nn.Linear(fan_in, fan_out)
    opt = optim.Adam(layer.parameters(), lr=0.1)
    x = tg.randn(4, fan_in)
    for _ in range(2):
        opt.zero_grad()
        y = layer(x)
        assert y.shape == (4, fan_out)
        loss = (y * y).sum()
        loss.backward()
        opt.step()
    assert layer.weight.grad.shape == (fan_out, fan_in)
    assert layer.bias.grad.shape == (fan_out,)
    if fan_in == 0 and fan_out:
        # y = b: the loss pulls the bias towards 0; nothing else moves.
        np.testing.assert_allclose(layer(x)._data, np.tile(layer.bias._data, (4, 1)))


@pytest.mark.parametrize("sizes", [(0, 3), (3, 0), (0, 0), (2, 3)])
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")  # (PyTorch's)
def test_linear_with_zero_features_vs_pytorch(sizes):
    torch = pytest.importorskip("torch")
    fan_in, fan_out = sizes
    ours = nn.Linear(fan_in, fan_out)
    with warnings.catch_warnings():  # "Initializing zero-element tensors is a no-op"
        warnings.simplefilter("ignore", UserWarning)
        theirs = torch.nn.Linear(fan_in, fan_out)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight._data))
        theirs.bias.copy_(torch.tensor(ours.bias._data))
    x = np.random.default_rng(0).normal(size=(5, fan_in)).astype(np.float32)
    opt, opt_t = optim.SGD(ours.parameters(), lr=0.5), torch.optim.SGD(theirs.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        opt_t.zero_grad()
        loss = ((ours(Tensor(x)) - 1) ** 2).sum()
        loss_t = ((theirs(torch.tensor(x)) - 1) ** 2).sum()
        loss.backward()
        loss_t.backward()
        np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-5)
        opt.step()
        opt_t.step()
    np.testing.assert_allclose(ours.weight._data, theirs.weight.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.bias._data, theirs.bias.detach().numpy(), rtol=1e-5)


BIG = 70_000  # more than float16's largest value (65,504) of elements


def half_inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [np.ones(BIG, np.float16), rng.uniform(0, 2, BIG).astype(np.float16),
            rng.normal(3, 1, (7, BIG // 7)).astype(np.float16)]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_float16_reductions_accumulate_in_float32(index):
    values = half_inputs()[index]
    wide = values.astype(np.float64)
    x = tg.tensor(values, requires_grad=True)
    mean = x.mean()
    assert mean.dtype == np.float16 and np.isfinite(mean.item())
    np.testing.assert_allclose(mean.item(), wide.mean(), rtol=2e-3)
    mse = F.mse_loss(x, tg.zeros_like(x))
    np.testing.assert_allclose(mse.item(), (wide ** 2).mean(), rtol=2e-3)
    half_sum = tg.tensor(values / np.float16(4)).sum()  # the total fits in float16
    np.testing.assert_allclose(half_sum.item(), wide.sum() / 4, rtol=2e-3)
    soft = x.reshape(-1).softmax(0)
    flat = wide.ravel()
    expected = np.exp(flat - flat.max()) / np.exp(flat - flat.max()).sum()
    assert soft.dtype == np.float16
    np.testing.assert_allclose(soft._data, expected, rtol=2e-2, atol=1e-7)
    np.testing.assert_allclose(x.reshape(-1).log_softmax(0)._data, np.log(expected), rtol=2e-3)
    mean.backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad._data, np.float16(1 / values.size), rtol=1e-3)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_float16_cross_entropy_over_many_samples_accumulates_in_float32(reduction):
    # (PyTorch 2.13's CPU float16 cross_entropy gives nan here, and inf with probabilities.)
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(BIG, 3)).astype(np.float16)
    classes = rng.integers(0, 3, BIG)
    wide = logits.astype(np.float64)
    log_probs = wide - np.log(np.exp(wide).sum(1, keepdims=True))
    losses = -log_probs[np.arange(BIG), classes]
    x = tg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, classes, reduction=reduction)
    assert loss.dtype == np.float16
    expected = losses.mean() if reduction == "mean" else losses.sum()
    if reduction == "sum":
        assert loss.item() == np.inf  # about 90,000: past float16's range, as the result is
        return
    np.testing.assert_allclose(loss.item(), expected, rtol=2e-3)
    loss.backward()
    grad = (np.exp(log_probs) - np.eye(3)[classes]) / BIG
    np.testing.assert_allclose(x.grad._data.astype(np.float64), grad, atol=2e-7)


def half_images() -> tuple[np.ndarray, np.ndarray]:
    """64 images of 2 channels, 32x32: 65,536 values per channel, past float16's range."""
    rng = np.random.default_rng(4)
    x = (rng.normal(size=(64, 2, 32, 32)) * 2 + 3).astype(np.float16)
    return x, rng.normal(size=x.shape).astype(np.float16)


def test_float16_batch_and_layer_norm_statistics_accumulate_in_float32():
    x, g = half_images()
    wide = x.astype(np.float64)
    weight = tg.tensor(np.float16([1.5, 0.5]), requires_grad=True)
    xt = tg.tensor(x, requires_grad=True)
    y = F.batch_norm(xt, None, None, weight=weight, training=True)
    mean, var = wide.mean((0, 2, 3), keepdims=True), wide.var((0, 2, 3), keepdims=True)
    x_hat = (wide - mean) / np.sqrt(var + 1e-5)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y._data, x_hat * np.float64([1.5, 0.5])[:, None, None],
                               atol=2e-2)
    (y * tg.tensor(g)).sum().backward()
    assert np.isfinite(xt.grad._data).all()
    np.testing.assert_allclose(weight.grad._data, (g * x_hat).sum((0, 2, 3)), rtol=2e-3)
    flat = tg.tensor(x.reshape(2, -1))
    z = F.layer_norm(flat, (flat.shape[1],))
    rows = wide.reshape(2, -1)
    expected = (rows - rows.mean(1, keepdims=True)) / np.sqrt(rows.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(z._data, expected, atol=2e-2)


def test_float16_batch_norm_gradients_vs_pytorch():
    torch = pytest.importorskip("torch")
    x, g = half_images()
    xt = tg.tensor(x, requires_grad=True)
    (F.batch_norm(xt, None, None, training=True) * tg.tensor(g)).sum().backward()
    reference = torch.tensor(x.astype(np.float64), requires_grad=True)
    out = torch.nn.functional.batch_norm(reference, None, None, training=True)
    (out * torch.tensor(g.astype(np.float64))).sum().backward()
    np.testing.assert_allclose(xt.grad._data, reference.grad.numpy(), atol=1e-2)


def test_float16_sum_past_its_range_is_inf_without_a_warning():
    total = tg.tensor(np.full(BIG, 2.0, np.float16)).sum()
    assert total.item() == np.inf  # 140,000 does not fit float16 (as in PyTorch)
    balanced = np.tile(np.float16([60000.0, 60000.0, -60000.0, -60000.0]), BIG // 4)
    assert tg.tensor(balanced).sum().item() == 0.0  # float16 partial sums would overflow


@pytest.mark.parametrize("index", [0, 1, 2])
def test_float16_reductions_vs_pytorch(index):
    torch = pytest.importorskip("torch")
    values = half_inputs()[index]
    x, t = tg.tensor(values), torch.tensor(values)
    pairs = [(x.mean(), t.mean()), (x.sum(), t.sum()), (x.sum(-1), t.sum(-1)),
             (F.mse_loss(x, tg.zeros_like(x)), torch.nn.functional.mse_loss(t, t * 0)),
             (x.softmax(-1), t.softmax(-1))]
    # (PyTorch's float16 log_softmax over 70,000 ones is -inf on the CPU; ours is log(1/70000),
    # checked against the formula in the test above.)
    for ours, theirs in pairs:
        assert ours.dtype == np.float16
        np.testing.assert_allclose(ours._data.astype(np.float64), theirs.double().numpy(),
                                   rtol=2e-3, atol=1e-7)


@pytest.mark.parametrize("values", [[1.0, np.nan, 3.0], [np.nan, np.nan, 0.0],
                                    [[1.0, np.nan], [3.0, 2.0]], [[np.nan, 5.0, 5.0]]])
def test_max_and_min_with_nan_send_the_gradient_to_the_nan(values):
    v = np.asarray(values, np.float32)
    for name in ("max", "min"):
        x = tg.tensor(v, requires_grad=True)
        y = getattr(x, name)()
        assert np.isnan(y.item())
        y.backward()
        expected = np.isnan(v) / np.isnan(v).sum()  # split between the NaNs
        np.testing.assert_array_equal(x.grad._data, expected.astype(np.float32))
        x.grad = None
        getattr(x, name)(axis=(-1,)).sum().backward()  # a tuple of dims: max's rule, split
        rows = v.reshape(-1, v.shape[-1])
        expected = [np.isnan(r) / np.isnan(r).sum() if np.isnan(r).any()
                    else (r == getattr(r, name)()) / (r == getattr(r, name)()).sum()
                    for r in rows]
        np.testing.assert_array_equal(x.grad._data.reshape(rows.shape), np.array(expected))


@pytest.mark.parametrize("values", [[1.0, np.nan, 3.0], [[1.0, np.nan], [3.0, 2.0]],
                                    [[0.0, 1.0, np.nan], [np.nan, 4.0, 2.0]]])
def test_max_with_nan_vs_pytorch(values):
    torch = pytest.importorskip("torch")
    v = np.asarray(values, np.float32)
    x, t = tg.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    x.max().backward()
    t.max().backward()
    np.testing.assert_array_equal(x.grad._data, t.grad.numpy())
    x.grad, t.grad = None, None
    x.max(axis=-1).values.sum().backward()  # axis: PyTorch's alias of dim
    t.max(dim=-1).values.sum().backward()  # one NaN per row: the same element gets it
    np.testing.assert_array_equal(x.grad._data, t.grad.numpy())


POWERS = [3.0, 2.0, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0, -3.0]


def pow_expected(b: float) -> tuple[float, float, float]:
    """0 ** b, d/da and d/db at a = 0, from the limits (and PyTorch's conventions)."""
    value = 1.0 if b == 0 else (0.0 if b > 0 else math.inf)
    if b == 0:
        da = 0.0  # b a**(b-1) with b = 0: PyTorch takes 0
    elif b == 1:
        da = 1.0
    elif b > 1:
        da = 0.0
    elif b > 0:
        da = math.inf
    else:
        da = -math.inf  # b 0**(b-1) = b * inf
    db = 0.0 if b >= 0 else -math.inf  # y log(a): 0 where b >= 0 (PyTorch), inf * -inf
    return value, da, db


@pytest.mark.parametrize("b", POWERS)
def test_pow_at_zero_base(b):
    value, da, db = pow_expected(b)
    a = tg.tensor([0.0, 0.0], requires_grad=True)
    exponent = tg.tensor([b, b], requires_grad=True)
    y = a ** exponent
    np.testing.assert_array_equal(y._data, [value, value])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad._data, [da, da])
    np.testing.assert_array_equal(exponent.grad._data, [db, db])
    a2 = tg.tensor([0.0], requires_grad=True)
    (a2 ** b).sum().backward()  # a Python exponent
    np.testing.assert_array_equal(a2.grad._data, [da])


@pytest.mark.parametrize("b", POWERS)
@pytest.mark.parametrize("a", [0.0, -0.0, 2.0, -2.0])
def test_pow_values_and_gradients_vs_pytorch(a, b):
    torch = pytest.importorskip("torch")
    if a == 0 and math.copysign(1, a) < 0 and b != int(b):
        pytest.skip("(-0.0) ** fractional: PyTorch's gradient has the sign of -0.0, NumPy's not")
    x, e = tg.tensor([a], requires_grad=True), tg.tensor([b], requires_grad=True)
    xt, et = torch.tensor([a], requires_grad=True), torch.tensor([b], requires_grad=True)
    y, yt = x ** e, xt ** et
    np.testing.assert_array_equal(y._data, yt.detach().numpy())
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(x.grad._data, xt.grad.numpy())
    np.testing.assert_array_equal(e.grad._data, et.grad.numpy())
    (g,) = tg.grad((x ** b).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((xt ** b).sum(), xt, create_graph=True)
    np.testing.assert_array_equal(g._data, gt.detach().numpy())


BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, b: a ** b,
    "atan2": lambda a, b: a.atan2(b), "hypot": lambda a, b: a.hypot(b),
    "logaddexp": lambda a, b: a.logaddexp(b), "fmod": lambda a, b: a.fmod(b),
    "%": lambda a, b: a % b,
}
# (shape, dtype) of each operand and PyTorch's result dtype (torch.result_type's rules: a 0-d
# tensor only decides the dtype when it is of a higher kind than every n-d operand).
PROMOTIONS = [
    (((3,), np.float32), ((), np.float64), np.float32),
    (((), np.float64), ((3,), np.float32), np.float32),
    (((2, 3), np.float32), ((), np.float64), np.float32),
    (((3,), np.float16), ((), np.float64), np.float16),
    (((), np.float32), ((), np.float64), np.float64),
    (((3,), np.float32), ((3,), np.float64), np.float64),
    (((3,), np.float64), ((), np.float32), np.float64),
    (((3,), np.int64), ((), np.float64), np.float64),
    (((3,), np.int64), ((), np.float32), np.float32),
    (((), np.int64), ((3,), np.float32), np.float32),
    (((3,), np.float32), ((), np.int64), np.float32),
    (((3,), np.float32), ((1,), np.float64), np.float64),
]


def operands(case, lib=None):
    made = []
    for shape, dtype in case[:2]:
        array = np.full(shape, 2, dtype)
        made.append(Tensor(array) if lib is None else lib.tensor(array))
    return made


@pytest.mark.parametrize("op", BINARY, ids=str)
@pytest.mark.parametrize("case", PROMOTIONS, ids=lambda c: f"{c[0]}-{c[1]}")
def test_dtype_promotion_with_0d_operands(op, case):
    a, b = operands(case)
    assert BINARY[op](a, b).dtype == case[2]
    for t in (a, b):
        if t.dtype.kind == "f":
            t.requires_grad_()
    if op in {"+", "-", "*", "/", "**"}:
        BINARY[op](a, b).sum().backward()  # each gradient in its own tensor's dtype and shape
        for t in (a, b):
            if t.requires_grad:
                assert t.grad.dtype == t.dtype and t.grad.shape == t.shape


@pytest.mark.parametrize("op", BINARY, ids=str)
@pytest.mark.parametrize("case", PROMOTIONS, ids=lambda c: f"{c[0]}-{c[1]}")
def test_dtype_promotion_vs_pytorch(op, case):
    torch = pytest.importorskip("torch")
    theirs = {"atan2": lambda a, b: torch.atan2(a, b), "hypot": lambda a, b: torch.hypot(
        a.double() if a.dtype == torch.int64 else a, b.double() if b.dtype == torch.int64 else b),
        "logaddexp": lambda a, b: torch.logaddexp(a, b), "fmod": lambda a, b: torch.fmod(a, b)}
    ours_a, ours_b = operands(case)
    t_a, t_b = operands(case, torch)
    try:
        t_dtype = theirs.get(op, BINARY[op])(t_a, t_b).dtype
    except RuntimeError:
        pytest.skip("PyTorch refuses these dtypes")
    if op == "hypot" and torch.int64 in (t_a.dtype, t_b.dtype):
        pytest.skip("PyTorch has no integer hypot")
    assert torch.result_type(t_a, t_b) == t_dtype or op in {"/", "atan2", "logaddexp"}
    assert str(BINARY[op](ours_a, ours_b).dtype) == str(t_dtype)


@pytest.mark.parametrize("int_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((3,), ()), ((), (3,))])
@pytest.mark.parametrize("op", ["add", "mul", "truediv", "pow", "maximum"])
def test_float16_with_int64_or_int32_stays_float16(int_dtype, shapes, op):
    # NumPy gives float64 for float16 + int64 (and int32); PyTorch float16. It was float32
    # here. (int8/int16/uint8 + float16 are float32 in NumPy, a result not checked: see
    # README, the 0-d rule.)
    half = np.full(shapes[0], 1.5, dtype=np.float16)
    ints = np.full(shapes[1], 3, dtype=int_dtype)
    for a, b in ((half, ints), (ints, half)):
        x, y = Tensor(a), Tensor(b)
        result = {"add": x + y, "mul": x * y, "truediv": x / y, "pow": x ** y,
                  "maximum": x.maximum(y)}[op]
        assert result.dtype == np.float16, (op, a.dtype, b.dtype)
        name = {"truediv": "true_divide", "pow": "power", "mul": "multiply"}.get(op, op)
        expected = getattr(np, name)(a.astype(np.float64), b.astype(np.float64))
        np.testing.assert_allclose(result._data, expected, rtol=1e-3)


def test_float16_leaf_times_int_gets_a_float16_gradient():
    w = Tensor(np.array([0.5, 2.0], dtype=np.float16), requires_grad=True)
    y = w * Tensor(np.array([3, 4]))
    assert y.dtype == np.float16
    y.sum().backward()
    assert w.grad.dtype == np.float16 and w.grad.tolist() == [3.0, 4.0]


def test_int_tensor_plus_0d_float64_follows_pytorch():
    assert (tg.tensor([1, 2]) + Tensor(np.float64(0.5))).dtype == np.float64
    assert (tg.tensor([1, 2]) + 0.5).dtype == np.float32  # a Python float: default dtype
    assert (Tensor(np.float32([1, 2])) * np.float64(3)).dtype == np.float32


DIM_OPS = {
    "sum": lambda t, d: t.sum(d), "sum tuple": lambda t, d: t.sum((d,)),
    "mean": lambda t, d: t.mean(d), "max": lambda t, d: t.max(d), "min": lambda t, d: t.min(d),
    "argmax": lambda t, d: t.argmax(d), "argmin": lambda t, d: t.argmin(d),
    "softmax": lambda t, d: t.softmax(d), "log_softmax": lambda t, d: t.log_softmax(d),
    "softmin": lambda t, d: t.softmin(d), "F.softmax": lambda t, d: F.softmax(t, dim=d),
    "F.log_softmax": lambda t, d: F.log_softmax(t, dim=d),
    "nn.Softmax": lambda t, d: nn.Softmax(d)(t), "transpose": lambda t, d: t.transpose(0, d),
    "swapaxes": lambda t, d: t.swapaxes(d, 0),
    "permute": lambda t, d: t.permute(*range(t.ndim - 1), d),
    "flatten": lambda t, d: t.flatten(0, d), "nn.Flatten": lambda t, d: nn.Flatten(d)(t),
    "squeeze": lambda t, d: t.squeeze(d),
}


@pytest.mark.parametrize("op", DIM_OPS, ids=str)
@pytest.mark.parametrize("shape", [(2, 3), (4,), (2, 1, 3)])
def test_an_out_of_range_dim_raises_index_error_naming_it_and_the_range(op, shape):
    t = tg.ones(shape, requires_grad=True)
    n = len(shape)
    for dim in (n, -n - 1, n + 5):
        with pytest.raises(IndexError, match=rf"out of range.*\[{-n}, {n - 1}\], but got {dim}"):
            DIM_OPS[op](t, dim)
    DIM_OPS[op](t, n - 1)  # the last valid dim is fine
    if op not in ("flatten", "nn.Flatten", "permute"):
        DIM_OPS[op](t, -n)  # and the first


@pytest.mark.parametrize("shape", [(2, 3), (4,), ()])
def test_unsqueeze_takes_one_more_dim(shape):
    t = tg.ones(shape)
    n = len(shape)
    assert t.unsqueeze(n).shape == shape + (1,)
    assert t.unsqueeze(-n - 1).shape == (1,) + shape
    with pytest.raises(IndexError, match=rf"unsqueeze: .*\[{-n - 1}, {n}\], but got {n + 1}"):
        t.unsqueeze(n + 1)


def test_0d_tensors_take_dims_minus_one_and_zero():
    t = tg.tensor(3.0, requires_grad=True)
    for dim in (0, -1):
        assert t.sum(dim).shape == () and t.max(dim).values.item() == 3.0
        assert t.softmax(dim).item() == 1.0
    with pytest.raises(IndexError, match=r"out of range.*\[-1, 0\], but got 1"):
        t.sum(1)


@pytest.mark.parametrize("op", ["sum", "mean", "softmax", "log_softmax", "transpose",
                                "flatten", "squeeze", "argmax", "max"])
def test_out_of_range_dims_raise_like_pytorch(op):
    torch = pytest.importorskip("torch")
    calls = {"sum": lambda t: t.sum(2), "mean": lambda t: t.mean(-3),
             "softmax": lambda t: t.softmax(2), "log_softmax": lambda t: t.log_softmax(-3),
             "transpose": lambda t: t.transpose(0, 2), "flatten": lambda t: t.flatten(0, 2),
             "squeeze": lambda t: t.squeeze(2), "argmax": lambda t: t.argmax(2),
             "max": lambda t: t.max(2)}
    with pytest.raises(IndexError):
        calls[op](torch.ones(2, 3))
    with pytest.raises(IndexError, match=r"\[-2, 1\]"):
        calls[op](tg.ones((2, 3)))


# ====================================================================== integers and gradients
def test_integer_tensors_cannot_require_grad():
    for data in ([1, 2, 3], np.array([1, 2], np.int32), [True, False], np.uint8([1])):
        with pytest.raises(TypeError, match="floating-point"):
            tg.tensor(data, requires_grad=True)
        with pytest.raises(TypeError, match="floating-point"):
            tg.tensor(data).requires_grad_()


def test_setting_the_requires_grad_attribute_gets_the_same_checks():
    # PyTorch users write `w.requires_grad = True`; it once skipped every check (an int
    # tensor then got a truncated integer "gradient", a leaf kept a writable array).
    t = tg.tensor([1, 2])
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad = True
    assert not t.requires_grad
    w = tg.tensor([1.0, 2.0])
    w.requires_grad = True
    assert w.requires_grad and w.is_leaf and not w._data.flags.writeable
    y = (w * w).sum()
    c = Tensor(w._data)
    c += 1.0
    y.backward()
    np.testing.assert_array_equal(w.grad._data, [2.0, 4.0])
    h = w * 2
    with pytest.raises(RuntimeError, match="leaf variables"):  # PyTorch's words
        h.requires_grad = False
    w.requires_grad = False
    assert not (w * 2).requires_grad


@pytest.mark.parametrize("target", [np.int64, np.int32, np.bool_])
def test_in_place_float_into_an_integer_tensor_is_refused_recorded_or_not(target):
    w = tg.tensor([1.5, 2.5], requires_grad=True)
    for value in (w, w.detach()):  # recorded (w requires grad) and not
        t = tg.tensor(np.array([1, 0], target))
        with pytest.raises(TypeError, match=f"{np.dtype(target)} tensor"):
            t += value
        assert t.dtype == target and not t.requires_grad
        np.testing.assert_array_equal(t._data, np.array([1, 0], target))


def test_integers_mixed_with_floats_carry_no_gradient():
    w = tg.tensor([0.5, 2.0], requires_grad=True)
    ids = tg.tensor([1, 3])
    y = (w * ids + ids).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad._data, [1.0, 3.0])
    assert not ids.requires_grad and ids.grad is None
    assert not w.long().requires_grad  # casting to int cuts the graph
    assert not (w > 1).requires_grad
    assert w.argmax().grad_fn is None
    cut = (w.long() * w).sum()
    cut.backward()
    np.testing.assert_array_equal(w.grad._data, [1.0, 5.0])  # 0 and 2 added


def test_requires_grad_vs_pytorch_on_integers():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError):  # TypeError here: a wrong kind of input, said the same way
        tg.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("op", ["mul", "rmul", "div"])
def test_an_operand_no_gradient_needs_is_not_saved_as_pytorch(op):
    """`w * c` (c constant) keeps c, not w: changing w before backward is allowed, as in
    PyTorch, and the gradient is the one of the recorded graph. Changing c still raises."""
    torch = pytest.importorskip("torch")
    forms = {"mul": lambda w, c: w * c, "rmul": lambda w, c: c * w, "div": lambda w, c: w / c}
    results = []
    for lib in (tg, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([3.0, 4.0])
        y = forms[op](w, c).sum()
        with lib.no_grad():
            w.add_(5.0)
        y.backward()
        results.append(np.array(w.grad.detach().numpy() if lib is torch else w.grad._data))
        w.grad = None
        y = forms[op](w, c).sum()
        c.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation" if lib is torch
                           else f"{'Div' if op == 'div' else 'Mul'}.*{STALE}"):
            y.backward()
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    # and the memory: a chain of `x * c` holds the constant, not every intermediate
    x = tg.tensor(np.ones(4), requires_grad=True)
    assert (x * 2.0).grad_fn.saved_tensors[0] is None


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.float16])
@pytest.mark.parametrize("op", ["exp", "sqrt", "sin", "log1p", "sigmoid", "square"])
def test_float_ops_on_small_int_and_bool_tensors_give_pytorchs_dtype(dtype, op):
    """NumPy's exp(bool/int8/uint8) is float16; PyTorch's is the default float (float32)."""
    torch = pytest.importorskip("torch")
    values = np.array([0, 1, 1, 0], dtype=dtype)
    ours = getattr(tg.tensor(values), op)()
    theirs = getattr(torch.tensor(values), op)()
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-3)


@pytest.mark.parametrize("how", ["grad", "backward"])
def test_recorded_gradients_have_the_leafs_dtype_in_a_mixed_graph(how):
    """create_graph: a float32 leaf times a float64 one gets a float32 gradient (as the
    array path and PyTorch), still differentiable."""
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (tg, torch):
        a = lib.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
        b = lib.tensor(np.array([3.0, 4.0]), requires_grad=True)
        y = (a * b * b).sum()
        if how == "grad":
            (ga,) = lib.autograd.grad(y, [a], create_graph=True)
        else:
            with warnings.catch_warnings():  # PyTorch warns about the .grad reference cycle
                warnings.simplefilter("ignore")
                y.backward(create_graph=True)
            ga = a.grad
        assert str(ga.dtype).replace("torch.", "") == "float32"
        (gb,) = lib.autograd.grad(ga.sum(), [b])  # d/db sum(b^2) = 2b
        grads.append(np.asarray(gb.detach().numpy() if lib is torch else gb._data))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


# A custom op that saves a view it made of its input or of its output (x[0], x.T, y.ravel()):
# a derived value, but the memory is the tensor's, so an in-place change of the tensor after
# forward must be refused as for the tensor itself (PyTorch: views share the version counter).
SAVED_VIEWS = {
    "row": (lambda a: a[0], lambda a, g: _scatter(a.shape, lambda m: m.__setitem__(0, g))),
    "transpose": (lambda a: a.T, lambda a, g: g.T),
    "reshape": (lambda a: a.reshape(-1), lambda a, g: g.reshape(a.shape)),
    "strided": (lambda a: a[:, ::2], lambda a, g: _scatter(
        a.shape, lambda m: m.__setitem__((slice(None), slice(None, None, 2)), g))),
}


def _scatter(shape, put):
    out = np.zeros(shape, np.float64)
    put(out)
    return out


def _saving_view_op(view, of_output):
    make, back = SAVED_VIEWS[view]

    class SquareOfView(tg.Function):
        """out = sum(v ** 2) with v a view of the input (or, of_output, of exp(x) itself)."""

        def forward(ctx, x):
            y = np.exp(x) if of_output else x
            v = make(y)
            ctx.save_for_backward(v, x) if of_output else ctx.save_for_backward(v)
            ctx.shape = x.shape
            return y if of_output else np.asarray((v * v).sum())

        def backward(ctx, g):
            v = ctx.saved_tensors[0]
            if of_output:  # d exp(x) = exp(x): rebuild exp(x) from the saved view
                return g * back(np.zeros(ctx.shape), v)
            return back(np.zeros(ctx.shape), 2 * v * g)

    return SquareOfView


@pytest.mark.parametrize("view", SAVED_VIEWS, ids=str)
@pytest.mark.parametrize("change", ["whole", "other part", "through a view"])
def test_a_saved_view_of_an_input_is_version_checked(view, change):
    x = tg.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    y = x * 1.0
    out = _saving_view_op(view, of_output=False).apply(y)
    with tg.no_grad():
        {"whole": lambda: y.add_(5.0), "other part": lambda: y[1].mul_(3.0),
         "through a view": lambda: y.reshape(6).sub_(1.0)}[change]()
    with pytest.raises(RuntimeError, match=f"SquareOfView.*a view of an input or output.*{STALE}"):
        out.backward()


@pytest.mark.parametrize("view", SAVED_VIEWS, ids=str)
def test_a_saved_view_of_the_output_is_version_checked(view):
    x = tg.tensor(np.arange(6.0).reshape(2, 3) / 10, requires_grad=True)
    y = _saving_view_op(view, of_output=True).apply(x)
    with tg.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match=f"SquareOfView.*{STALE}"):
        y.sum().backward()


@pytest.mark.parametrize("view", ["row", "transpose", "reshape"])
def test_a_saved_view_left_alone_gives_the_right_gradient(view):
    # The check refuses only changes: untouched, the gradient is 2 v (against the formula).
    data = np.arange(1.0, 7.0).reshape(2, 3)
    x = tg.tensor(data, requires_grad=True)
    _saving_view_op(view, of_output=False).apply(x * 1.0).backward()
    expected = {"row": np.array([[2.0, 4.0, 6.0], [0.0, 0.0, 0.0]]),
                "transpose": 2 * data, "reshape": 2 * data}[view]
    np.testing.assert_allclose(x.grad._data, expected)
    # a plain array input has no version: nothing to check, and nothing refused
    plain = _saving_view_op(view, of_output=False).apply(tg.tensor(data))
    assert not plain.requires_grad


def test_a_saved_fresh_derived_value_is_not_tied_to_the_input():
    # np.exp(x) shares no memory with x: changing x after forward is not this op's concern
    class ExpSaved(tg.Function):
        def forward(ctx, x):
            e = np.exp(x)
            ctx.save_for_backward(e * 1.0)  # derived, fresh memory
            return e

        def backward(ctx, g):
            return g * ctx.saved_tensors[0]

    x = tg.tensor([0.0, 1.0], requires_grad=True)
    base = x * 1.0
    y = ExpSaved.apply(base)
    with tg.no_grad():
        base.add_(100.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, np.exp([0.0, 1.0]), rtol=1e-6)


def test_pytorch_also_refuses_a_changed_saved_view():
    torch = pytest.importorskip("torch")

    class T(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            row = x[0]
            ctx.save_for_backward(row)
            return (row * row).sum()

        @staticmethod
        def backward(ctx, g):
            (row,) = ctx.saved_tensors
            out = torch.zeros(2, 3, dtype=row.dtype)
            out[0] = 2 * row * g
            return out

    x = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    y = x * 1.0
    out = T.apply(y)
    with torch.no_grad():
        y.add_(5.0)
    with pytest.raises(RuntimeError):
        out.backward()


# Index tensors, masks and returned indices: an op keeps a private copy for its backward, so
# changing the caller's tensor in place after forward cannot move the gradient (PyTorch
# refuses these through the version counter; either way, never a gradient from the new values).
A_VALUES = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
INDEX_CHANGES = {
    "max indices": (lambda x: x.max(1), lambda out: out[1].zero_(), lambda out: out[0]),
    "min indices": (lambda x: x.min(1), lambda out: out[1].fill_(2), lambda out: out[0]),
    "sort indices": (lambda x: x.sort(1), lambda out: out[1].__setitem__((slice(None), 0), 2),
                     lambda out: out[0] * tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])),
    "topk indices": (lambda x: x.topk(2, 1), lambda out: out[1].zero_(),
                     lambda out: out[0] * tg.tensor([[1.0, 2.0], [3.0, 4.0]])),
}


@pytest.mark.parametrize("case", INDEX_CHANGES, ids=str)
def test_returned_indices_changed_in_place_do_not_move_the_gradient(case):
    run, change, loss = INDEX_CHANGES[case]
    grads = []
    for mutate in (False, True):
        x = tg.tensor(A_VALUES, requires_grad=True)
        out = run(x)
        if mutate:
            change(out)
        loss(out).sum().backward()
        grads.append(x.grad._data.copy())
    np.testing.assert_array_equal(grads[1], grads[0])


def _index(values):
    return tg.tensor(np.array(values))


INDEX_ARGS = {
    "x[idx]": (lambda x, i: x[i], lambda: _index([0])),
    "x[i, i]": (lambda x, i: x[i, i], lambda: _index([0, 1])),
    "x[array]": (lambda x, i: x[i._data], lambda: _index([0])),
    "x[:, array]": (lambda x, i: x[:, i._data], lambda: _index([0, 2])),
    "x[bool array]": (lambda x, m: x[m._data], lambda: tg.tensor(A_VALUES > 1)),
    "index_select": (lambda x, i: x.index_select(0, i), lambda: _index([0])),
    "take": (lambda x, i: x.take(i), lambda: _index([0, 4])),
    "gather": (lambda x, i: x.gather(1, i), lambda: _index([[0], [1]])),
    "take_along_dim": (lambda x, i: x.take_along_dim(i, 1), lambda: _index([[0], [1]])),
    "embedding": (lambda x, i: F.embedding(i, x), lambda: _index([0])),
    "index_add": (lambda x, i: tg.zeros(2, 3, dtype=x.dtype).index_add(0, i, x[:1]) *
                  tg.tensor([[1.0], [5.0]]),
                  lambda: _index([0])),
    "where": (lambda x, m: tg.where(m, x, 0 * x), lambda: tg.tensor(A_VALUES > 1)),
    "masked_fill": (lambda x, m: x.masked_fill(m, 0.0), lambda: tg.tensor(A_VALUES > 1)),
}


@pytest.mark.parametrize("case", INDEX_ARGS, ids=str)
def test_an_index_or_mask_changed_after_forward_does_not_move_the_gradient(case):
    op, make_index = INDEX_ARGS[case]
    grads = []
    for mutate in (False, True):
        x = tg.tensor(A_VALUES, requires_grad=True)
        index = make_index()
        y = op(x, index)
        if mutate:
            with tg.no_grad():
                index._data[...] = ~index._data if index.dtype == tg.bool else 1 - index._data
        y.sum().backward()
        grads.append(x.grad._data.copy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_a_kl_div_target_changed_in_place_is_refused():
    x = tg.tensor(np.log(A_VALUES / 10 + 0.1), requires_grad=True)
    target = tg.tensor(A_VALUES / 10)
    loss = F.kl_div(x, target, reduction="sum")
    target.mul_(2.0)
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


@pytest.mark.parametrize("make", [lambda a: a.T, lambda a: a[:, 1:], lambda a: a[::2, ::2]],
                         ids=["transposed", "sliced", "strided"])
@pytest.mark.parametrize("offset", [0, 1, -1])
def test_diagonal_of_any_layout_is_a_view_as_in_pytorch(make, offset):
    base = np.arange(20.0).reshape(4, 5)
    a = tg.tensor(base.copy())
    with tg.no_grad():
        make(a).diagonal(offset).add_(100.0)
    expected = base.copy()
    target = make(expected)
    rows, cols = target.shape
    for i in range(rows):
        j = i + offset
        if 0 <= j < cols:
            target[i, j] += 100.0
    np.testing.assert_array_equal(a._data, expected)


def test_view_that_needs_a_copy_raises_as_in_pytorch():
    a = tg.tensor(np.arange(9.0).reshape(3, 3))
    with pytest.raises(RuntimeError, match=r"view.*shape \(3, 3\).*strides \(1, 3\).*reshape"):
        a.T.view(9)
    with pytest.raises(RuntimeError, match="view"):
        a[::2].view(-1)
    v = a.view(9)  # contiguous: a view, sharing memory
    v.add_(1.0)
    assert a._data[0, 0] == 1.0
    np.testing.assert_array_equal(a.T.reshape(9)._data,
                                  np.arange(1.0, 10.0).reshape(3, 3).T.ravel())


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_a_copied_model_keeps_its_parameters_arrays_read_only(copier):
    # copy.deepcopy(model) (a best-model snapshot, a target network) must keep the
    # guarantee that a parameter's array cannot be written behind autograd's back
    import copy
    import pickle
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    twin = copy.deepcopy(model) if copier == "deepcopy" else pickle.loads(pickle.dumps(model))
    before = model[0].weight.numpy().copy()
    for param in twin.parameters():
        assert not np.shares_memory(param._data, model[0].weight._data)
        with pytest.raises(ValueError, match="read-only"):
            param._data[...] = 0.0
    optimizer = optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    x = tg.randn(4, 2)
    for _ in range(2):
        optimizer.zero_grad()
        twin(x).pow(2).sum().backward()
        optimizer.step()
    assert not np.allclose(twin[0].weight.numpy(), before)
    np.testing.assert_array_equal(model[0].weight.numpy(), before)
    loss = twin(x).pow(2).sum()
    optimizer.step()  # the copy's parameters still carry version counters
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


@pytest.mark.parametrize("expr", ["b - f", "f - b", "b - b", "b - 1", "1 - b", "b.sub(f)",
                                  "f.sub(b)"])
def test_subtracting_a_bool_tensor_is_refused_as_in_pytorch(expr):
    # NumPy silently computes True - 1.0 = 0.0; PyTorch refuses any bool operand of `-`
    names = {"b": tg.tensor([True, False]), "f": tg.tensor([1.0, 2.0])}
    with pytest.raises(TypeError, match="Sub: subtraction .* bool tensor"):
        eval(expr, {}, names)
    f = names["f"]
    np.testing.assert_array_equal((f - 1).numpy(), [0.0, 1.0])


@pytest.mark.parametrize("write", [
    lambda c: c.unfold(1, 2, 1)[:, 0].mul_(10),
    lambda c: c.unfold(1, 2, 1).select(2, 0).zero_(),
    lambda c: c.unfold(1, 2, 1).transpose(1, 2).add_(1),
])
def test_a_write_through_a_view_of_an_overlapping_unfold_is_refused_not_lost(write):
    # the windows overlap, so the memory cannot be written in place here; a private copy
    # used to take the write silently while the base kept its values
    c = tg.tensor(np.arange(12.0).reshape(2, 6))
    with pytest.raises(RuntimeError, match="shares memory it cannot write.*clone"):
        write(c)
    np.testing.assert_array_equal(c.numpy(), np.arange(12.0).reshape(2, 6))


def test_a_write_through_a_view_of_a_non_overlapping_unfold_reaches_the_base():
    c = tg.tensor(np.arange(12.0).reshape(2, 6))
    c.unfold(1, 2, 2)[0].mul_(10)
    expected = np.arange(12.0).reshape(2, 6)
    expected[0] *= 10
    np.testing.assert_array_equal(c.numpy(), expected)
    torch = pytest.importorskip("torch")
    t = torch.arange(12.0, dtype=torch.float64).reshape(2, 6)
    t.unfold(1, 2, 2)[0].mul_(10)
    np.testing.assert_array_equal(c.numpy(), t.numpy())


@pytest.mark.parametrize("make", [lambda w: tg.Tensor(w), lambda w: tg.Tensor(w._data)],
                         ids=["Tensor(w)", "Tensor(w.data)"])
def test_a_view_of_a_tensor_holding_a_leafs_array_cannot_change_the_leaf(make):
    # Tensor(w) holds w's read-only array without w's version counter: a view of it used
    # to unlock w's memory, changing w behind its counter (a silently wrong gradient)
    w = tg.ones(4, requires_grad=True)
    loss = (w * w).sum()
    holder = make(w)
    view = holder.reshape(2, 2)
    with pytest.raises(RuntimeError, match="shares memory it cannot write"):
        view.add_(1)
    detached = holder.detach()
    with pytest.raises(RuntimeError, match="shares memory it cannot write"):
        detached.add_(1)
    loss.backward()
    np.testing.assert_array_equal(w.numpy(), [1.0] * 4)
    np.testing.assert_array_equal(w.grad.numpy(), [2.0] * 4)
    assert w._version == 0


def test_pickle_and_deepcopy_of_tensors_that_had_views():
    import copy
    import pickle
    # a parameter that once had a view (its version counter holds weak references)
    p = nn.Parameter(tg.randn(3))
    view = p.view(3)
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, nn.Parameter) and q.requires_grad and not q._data.flags.writeable
    layer = nn.Linear(3, 2)
    (tg.randn(4, 3) @ layer.weight.T).sum()
    pickle.loads(pickle.dumps(layer))
    # a deep copy starts a version counter of its own: the original's views are not its own
    x = tg.tensor(np.arange(4.0))
    view = x[:2]
    twin = copy.deepcopy(x)
    twin.add_(tg.ones(4, requires_grad=True))  # recorded: refused only if views were alive
    twin2 = copy.deepcopy(x)
    twin2.detach_()
    np.testing.assert_array_equal(view.numpy(), [0.0, 1.0])
    # a result of an op keeps a copy of its graph (PyTorch refuses or drops it)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.view(2)  # a view: its weak reference is not pickled
    for z in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        assert z.grad_fn is not None
        (z * 3).sum().backward()  # into the copy's own leaf, not x
    assert x.grad is None


@pytest.mark.parametrize("write", [lambda x: x.sub_(tg.tensor([True, False])),
                                   lambda x: x.__isub__(tg.tensor([True, False])),
                                   lambda x: x.sub_(True), lambda x: x - True,
                                   lambda x: True - x])
def test_subtracting_a_bool_in_place_or_a_python_bool_is_refused_too(write):
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="Sub: subtraction"):
        write(x)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


# ----------------------------------------------- gradients a custom op keeps elsewhere
_REUSED: dict = {}


class _ScaleIntoBuffer(tg.autograd.Function):
    """A custom op whose backward writes into one buffer per shape, kept in a module dict."""

    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, grad_output):
        buffer = _REUSED.get(grad_output.shape)
        if buffer is None:
            buffer = _REUSED[grad_output.shape] = np.empty_like(grad_output)
        return np.multiply(grad_output, 3, out=buffer)


class _KeepInList(tg.autograd.Function):
    """A custom op that keeps the gradient it returns inside a container on ctx."""

    @staticmethod
    def forward(ctx, x):
        ctx.kept = []
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        ctx.kept.append(grad_output * 2)
        return ctx.kept[-1]


def test_a_gradient_kept_in_a_module_cache_is_not_the_leafs_grad():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    _ScaleIntoBuffer.apply(x).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), _REUSED[(3,)])
    x.grad.mul_(0.5)  # what clip_grad_norm_ does: must not reach the op's buffer
    np.testing.assert_array_equal(_REUSED[(3,)], [3, 3, 3])
    # the op writes its buffer again for another graph: x.grad keeps its values
    other = Tensor(np.ones(3, np.float32), requires_grad=True)
    (_ScaleIntoBuffer.apply(other) * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.5, 1.5, 1.5])
    np.testing.assert_array_equal(other.grad.numpy(), [15, 15, 15])


def test_a_gradient_kept_in_a_list_on_ctx_is_not_the_leafs_grad():
    x = Tensor(np.ones(4, np.float32), requires_grad=True)
    y = _KeepInList.apply(x)
    y.sum().backward(retain_graph=True)
    kept = y.grad_fn.kept[0]
    x.grad.zero_()
    np.testing.assert_array_equal(kept, [2, 2, 2, 2])
    y.sum().backward()  # accumulates: 0 + 2
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2, 2])


def test_grad_returns_a_private_copy_of_a_custom_ops_gradient():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    (gradient,) = tg.grad(_ScaleIntoBuffer.apply(x).sum(), x)
    assert not np.shares_memory(gradient.numpy(), _REUSED[(2,)])
    _ScaleIntoBuffer.apply(Tensor(np.ones(2, np.float32), requires_grad=True)).mul(7).sum(
    ).backward()  # rewrites the buffer
    np.testing.assert_array_equal(gradient.numpy(), [3, 3])


def test_a_subclass_of_a_built_in_op_in_user_code_is_a_custom_op():
    from tinygrad_np.ops.elementwise import Exp

    class CachedExp(Exp):
        cache = {}

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            out = CachedExp.cache.setdefault(grad_output.shape, np.empty_like(grad_output))
            return np.multiply(grad_output, y, out=out)

    x = Tensor(np.zeros(2, np.float32), requires_grad=True)
    CachedExp.apply(x).sum().backward()
    x.grad.add_(1.0)
    np.testing.assert_array_equal(CachedExp.cache[(2,)], [1, 1])
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])


# ------------------------------------- masks keep a 0 gradient 0 when the incoming one is inf
_AT = np.array([-1.0, 4.0, 0.25, -2.0])  # sqrt/log/1/x at 0 send inf back into the mask
_SQRT_PAST_RELU = np.where(_AT > 0, 0.5 / np.sqrt(np.maximum(_AT, 1e-300)), 0.0)
_MASKED_INF = {  # name: (the function of x, the gradient by hand: 0 wherever the mask is 0)
    "relu then sqrt": (lambda x: x.relu().sqrt(), _SQRT_PAST_RELU),
    "clamp(min=0) then sqrt": (lambda x: x.clamp(min=0).sqrt(), _SQRT_PAST_RELU),
    "clamp_min then sqrt": (lambda x: x.clamp_min(0).sqrt(), _SQRT_PAST_RELU),
    "relu then log": (lambda x: x.relu().log(), np.where(_AT > 0, 1 / _AT, 0.0)),
    "relu6 then 1/x": (lambda x: 1 / F.relu6(x), np.where(_AT > 0, -1 / _AT ** 2, 0.0)),
    "hardtanh then 1/x": (lambda x: 1 / F.hardtanh(x - 1),
                          np.array([0.0, 0.0, -1 / 0.75 ** 2, 0.0])),
    "maximum with 0 then sqrt": (lambda x: tg.maximum(x, Tensor(np.zeros(4))).sqrt(),
                                 _SQRT_PAST_RELU),
    "max() then 1/(m - 4)": (lambda x: 1 / (x.max() - 4), np.array([0, -np.inf, 0, 0])),
    "max(dim) then 1/(m - 4)": (lambda x: 1 / (x.max(0)[0] - 4), np.array([0, -np.inf, 0, 0])),
    "median() then 1/(m - m)": (lambda x: 1 / (x.median() - x.median().detach()),
                                np.array([-np.inf, 0, 0, 0])),
    "max_pool1d then 1/(m - 4)": (lambda x: 1 / (F.max_pool1d(x.reshape(1, 1, 4), 2) - 4),
                                  np.array([0, -np.inf, -1 / 3.75 ** 2, 0])),
}


@pytest.mark.parametrize("name", _MASKED_INF)
def test_a_masked_out_gradient_stays_zero_when_the_incoming_one_is_inf(name):
    function, expected = _MASKED_INF[name]
    x = Tensor(_AT.copy(), requires_grad=True)
    with np.errstate(divide="ignore"):
        function(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected)


@pytest.mark.parametrize("name", ["relu then sqrt", "max() then 1/(m - 4)",
                                  "max_pool1d then 1/(m - 4)"])
def test_a_masked_out_gradient_stays_zero_under_create_graph(name):
    function, expected = _MASKED_INF[name]
    x = Tensor(_AT.copy(), requires_grad=True)
    with np.errstate(divide="ignore"):
        (g,) = tg.grad(function(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), expected)


def test_masked_out_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    pairs = {"relu": (lambda x: x.relu().sqrt(), lambda t: t.relu().sqrt()),
             "clamp": (lambda x: 1 / x.clamp(0, 3), lambda t: 1 / t.clamp(0, 3)),
             "max": (lambda x: 1 / (x.max() - 4), lambda t: 1 / (t.max() - 4)),
             "pool": (lambda x: 1 / (F.max_pool1d(x.reshape(1, 1, 4), 2) - 4),
                      lambda t: 1 / (torch.nn.functional.max_pool1d(t.reshape(1, 1, 4), 2) - 4))}
    for ours, theirs in pairs.values():
        x = Tensor(_AT.copy(), requires_grad=True)
        t = torch.tensor(_AT.copy(), requires_grad=True)
        with np.errstate(divide="ignore"):
            ours(x).sum().backward()
        theirs(t).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


# ------------------------------------------------------------------ accumulation into .grad
def test_a_leafs_grad_grows_in_place_so_its_views_see_the_sum():
    flat = tg.zeros(4)
    p = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    p.grad = flat[0:2]  # .grad as a view of a bigger buffer (flat-gradient tricks)
    (p * p).sum().backward()
    np.testing.assert_array_equal(flat.numpy(), [2, 4, 0, 0])
    q = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (q * q).sum().backward()
    grad, first, version = q.grad, q.grad[0:1], q.grad._version
    (q * q).sum().backward()
    assert q.grad is grad and q.grad._version > version
    np.testing.assert_array_equal(first.numpy(), [4])
    np.testing.assert_array_equal(q.grad.numpy(), [4, 8])


def test_a_retained_grad_is_replaced_so_one_taken_earlier_keeps_its_values():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    first = h.grad
    y.backward()
    np.testing.assert_array_equal(first.numpy(), [4, 8])
    np.testing.assert_array_equal(h.grad.numpy(), [8, 16])


@pytest.mark.parametrize("how", ["Tensor.backward", "autograd.backward"])
def test_a_leaf_that_stopped_requiring_grad_gets_no_grad(how):
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    v = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    y = (w * v).sum()
    w.requires_grad_(False)  # frozen after the forward pass (GAN-style)
    y.backward() if how == "Tensor.backward" else tg.autograd.backward(y)
    assert w.grad is None
    np.testing.assert_array_equal(v.grad.numpy(), [1, 2])


def test_backward_with_empty_inputs_raises():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    for call in (lambda: (x * x).sum().backward(inputs=[]),
                 lambda: tg.autograd.backward((x * x).sum(), inputs=[])):
        with pytest.raises(RuntimeError, match="inputs.*cannot be empty"):
            call()
    assert x.grad is None


def test_create_graph_backward_called_under_no_grad_records_the_gradient():
    z = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (z ** 3).sum()
    with tg.no_grad():
        y.backward(create_graph=True)
    assert z.grad.requires_grad
    (second,) = tg.grad(z.grad.sum(), z)
    np.testing.assert_allclose(second.numpy(), 6 * np.array([1.0, 2.0]))


def test_autograd_backward_accumulates_in_place_too():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    tg.autograd.backward((p * p).sum())
    view = p.grad[1:]
    tg.autograd.backward((p * 3).sum())
    np.testing.assert_array_equal(view.numpy(), [7])
    np.testing.assert_array_equal(p.grad.numpy(), [5, 7])


def test_backward_shape_and_input_errors_are_runtime_errors_as_in_pytorch():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient shape"):
        (x * 2).backward(Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="every input must be a Tensor that requires grad"):
        tg.grad((x * 2).sum(), Tensor(np.ones(2)))

    class WrongShape(tg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, grad_output):
            return np.ones(3)

    with pytest.raises(RuntimeError, match="WrongShapeBackward.backward returned a gradient"):
        WrongShape.apply(x).sum().backward()


def test_backward_inputs_may_be_a_generator_and_are_counted_once():
    layer = nn.Linear(2, 1)
    layer(tg.ones(1, 2)).sum().backward(inputs=layer.parameters())
    assert layer.weight.grad is not None and layer.bias.grad is not None
    with pytest.raises(RuntimeError, match="cannot be empty"):
        layer(tg.ones(1, 2)).sum().backward(inputs=iter([]))
    x = Tensor(np.ones(2), requires_grad=True)
    tg.autograd.backward((x * 3).sum(), inputs=[x, x])
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_a_grad_that_requires_grad_keeps_growing_as_the_same_tensor():
    p = Tensor(np.ones(2), requires_grad=True)
    held = Tensor(np.zeros(2), requires_grad=True)
    p.grad = held
    (p * 2).sum().backward()
    assert p.grad is held and held.requires_grad
    np.testing.assert_array_equal(held.numpy(), [2, 2])


def test_a_grad_of_another_dtype_is_refused_as_in_pytorch():
    p = Tensor(np.ones(2, np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match="dtype float16 to a tensor with dtype float32"):
        p.grad = Tensor(np.zeros(2, np.float16))


def test_masked_gradients_of_huge_finite_values_raise_no_overflow_warning():
    x = Tensor(np.array([1.0, -2.0, 3.0], np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning here would fail the test
        x.relu().backward(Tensor(np.array([3e19, 3e19, -3e19], np.float32)))
    np.testing.assert_array_equal(x.grad.numpy(), np.array([3e19, 0, -3e19], np.float32))
    half = Tensor(np.full(1000, 10.0, np.float16), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        half.relu().sum().backward()
    np.testing.assert_array_equal(half.grad.numpy(), np.ones(1000, np.float16))
