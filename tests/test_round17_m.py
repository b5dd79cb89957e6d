"""Round 17 (m): memory and object lifetime in long-running use. Unrecorded elementwise
in-place ops (clamp_, relu_, exp_, addcmul_, inplace activations, normal_/uniform_, ...) on
big tensors work in blocks (bounded temporaries, the same values); PyTorch's once-a-process
warning for backward(create_graph=True); graphs, hooks, models and training loops freed (or
flat) without the cycle collector."""
from __future__ import annotations

import gc
import sys
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

tensor_module = sys.modules["tinygrad_np.tensor"]  # (tg.tensor is the factory function)


def _peak(fn) -> int:
    """Bytes allocated at the peak of fn() above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


# ---- 1. unrecorded elementwise in-place ops on big tensors: no whole-size temporaries ------
ELEMENTS = (1 << 20) + 3  # 4 MB of float32
IN_PLACE = {
    "clamp_": lambda x: x.clamp_(-0.5, 0.5),
    "clamp_min_": lambda x: x.clamp_min_(0.0),
    "relu_": lambda x: x.relu_(),
    "F.relu(inplace)": lambda x: F.relu(x, inplace=True),
    "nn.ReLU(inplace)": lambda x: nn.ReLU(inplace=True)(x),
    "F.hardtanh(inplace)": lambda x: F.hardtanh(x, -0.2, 0.2, inplace=True),
    "exp_": lambda x: x.exp_(),
    "abs_": lambda x: x.abs_(),
    "sigmoid_": lambda x: x.sigmoid_(),
    "sin_": lambda x: x.sin_(),
    "addcmul_": lambda x: x.addcmul_(x, x, value=0.5),
    "lerp_": lambda x: x.lerp_(x, 0.25),
    "normal_": lambda x: x.normal_(),
    "uniform_": lambda x: x.uniform_(),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_big_in_place_op_allocates_a_fraction_of_the_tensor(name, monkeypatch):
    monkeypatch.setattr(tensor_module, "_BLOCK", 1 << 14)  # (blocks of 16K elements)
    x = tg.full((ELEMENTS,), 0.75)
    size = ELEMENTS * 4
    # before: one whole-size result at least (addcmul_: ten float32 sizes, clamp_ 2.25)
    peak = _peak(lambda: IN_PLACE[name](x))
    assert peak < size // 4, (name, peak, size)
    assert x.shape == (ELEMENTS,) and x.dtype == tg.float32


CASES = {  # op, and the same done out of place
    "clamp_": (lambda x: x.clamp_(-1, 1), lambda x: x.clamp(-1, 1)),
    "clamp_ tensor bounds": (lambda x: x.clamp_(tg.tensor([-1.0, -0.5, 0.0, -2.0]),
                                                tg.full((13, 1), 1.0)),
                             lambda x: x.clamp(tg.tensor([-1.0, -0.5, 0.0, -2.0]),
                                               tg.full((13, 1), 1.0))),
    "relu_": (lambda x: x.relu_(), lambda x: x.relu()),
    "exp_": (lambda x: x.exp_(), lambda x: x.exp()),
    "addcmul_ self": (lambda x: x.addcmul_(x, x, value=0.5), lambda x: x.addcmul(x, x, value=0.5)),
    "addcdiv_": (lambda x: x.addcdiv_(x, tg.full((4,), 3.0)),
                 lambda x: x.addcdiv(x, tg.full((4,), 3.0))),
    "lerp_ weights": (lambda x: x.lerp_(tg.zeros(13, 4), tg.full((13, 1), 0.3)),
                      lambda x: x.lerp(tg.zeros(13, 4), tg.full((13, 1), 0.3))),
    "masked_fill_": (lambda x: x.masked_fill_(x > 0, 7.0), lambda x: x.masked_fill(x > 0, 7.0)),
    "round_": (lambda x: x.round_(decimals=1), lambda x: x.round(decimals=1)),
    "hypot_": (lambda x: x.hypot_(tg.ones(13, 4)), lambda x: x.hypot(tg.ones(13, 4))),
    "leaky_relu inplace": (lambda x: F.leaky_relu(x, 0.1, inplace=True),
                           lambda x: F.leaky_relu(x, 0.1)),
    "lerp_ by its own transpose": (lambda x: x[:4].lerp_(tg.zeros(4, 4), x[:4].t()),
                                   lambda x: x[:4].lerp(tg.zeros(4, 4), x[:4].t())),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_blocked_in_place_values_are_the_whole_ops(name, monkeypatch):
    monkeypatch.setattr(tensor_module, "_BLOCK", 5)  # 13 x 4 elements: blocks of one row
    base = (np.random.default_rng(1).standard_normal((13, 4)) * 3).astype(np.float32)
    in_place, whole = CASES[name]
    expected = whole(tg.tensor(base.copy())).numpy()
    x = tg.tensor(base.copy())
    version = x._version
    out = in_place(x)
    assert (out is x or "transpose" in name) and x._version == version + 1
    got = x.numpy()[:4] if "transpose" in name else x.numpy()
    np.testing.assert_array_equal(got, expected)
    if torch is not None and name in TORCH_CASES:
        t = torch.tensor(base.copy())
        TORCH_CASES[name](t)
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6, atol=1e-6)


TORCH_CASES = {  # the same in PyTorch (run only when it is installed)
    "clamp_": lambda t: t.clamp_(-1, 1),
    "relu_": lambda t: t.relu_(),
    "exp_": lambda t: t.exp_(),
    "addcmul_ self": lambda t: t.addcmul_(t, t, value=0.5),
    "addcdiv_": lambda t: t.addcdiv_(t, torch.full((4,), 3.0)),
    "lerp_ weights": lambda t: t.lerp_(torch.zeros(13, 4), torch.full((13, 1), 0.3)),
    "masked_fill_": lambda t: t.masked_fill_(t > 0, 7.0),
    "round_": lambda t: t.round_(decimals=1),
    "hypot_": lambda t: t.hypot_(torch.ones(13, 4)),
    "leaky_relu inplace": lambda t: torch.nn.functional.leaky_relu(t, 0.1, inplace=True),
}


def test_blocked_in_place_literals_and_integers(monkeypatch):
    monkeypatch.setattr(tensor_module, "_BLOCK", 2)
    x = tg.tensor([[-3.0, 0.25], [2.0, -0.0], [9.0, -9.0]])
    x.clamp_(-1, 1)
    assert x.tolist() == [[-1.0, 0.25], [1.0, -0.0], [1.0, -1.0]]
    i = tg.tensor([[-30, 4], [7, -2], [100, 5]], dtype=tg.int32)
    i.clamp_(-5, 5)
    assert i.tolist() == [[-5, 4], [5, -2], [5, 5]] and i.dtype == tg.int32
    u = tg.tensor([[1, 200], [3, 250]], dtype=tg.uint8)
    u.masked_fill_(u > 100, 7)
    assert u.tolist() == [[1, 7], [3, 7]]
    with pytest.raises(TypeError, match="int64"):  # exp of ints is float: refused, whole
        tg.zeros(3, 4, dtype=tg.int64).exp_()
    with pytest.raises(RuntimeError, match=r"\(2, 3, 4\)"):
        tg.zeros(3, 4).clamp_(tg.zeros(2, 3, 4))


@pytest.mark.parametrize("draw", ["normal", "uniform", "normal transposed"])
def test_blocked_sampling_draws_the_same_values(draw, monkeypatch):
    def run(block):
        monkeypatch.setattr(tensor_module, "_BLOCK", block)
        tg.manual_seed(3)
        x = tg.empty(11, 5)
        target = x.t() if "transposed" in draw else x
        target.normal_(1.0, 2.0) if draw.startswith("normal") else target.uniform_(-1.0, 3.0)
        return x.numpy().copy(), tg.rand(3).numpy()  # the stream continues the same too

    (a, after_a), (b, after_b) = run(1 << 20), run(7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(after_a, after_b)
    assert a.std() > 0.3


def test_recorded_in_place_still_records():
    w = tg.tensor([[-2.0, 0.5], [3.0, -0.1]], requires_grad=True)
    h = w * 1.0
    h.clamp_(-1, 1)
    h.sum().backward()
    assert w.grad.tolist() == [[0.0, 1.0], [0.0, 1.0]]


# ---- 2. backward(create_graph=True): PyTorch's reference-cycle warning, once ---------------
def test_create_graph_backward_warns_once(monkeypatch):
    monkeypatch.setattr(tensor_module, "_CYCLE_WARNED", [])
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.autograd.grad((x * x).sum(), x, create_graph=True)  # no .grad: no warning
        assert not caught
        (x * x).sum().backward(create_graph=True)
        (x * x).sum().backward(create_graph=True)
        tg.autograd.backward([(x * x).sum()], create_graph=True)
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert "create a reference cycle between the parameter and its gradient" in str(
        caught[0].message)
    assert caught[0].filename == __file__
    assert x.grad.tolist() == [6.0, 12.0]
    monkeypatch.setattr(tensor_module, "_CYCLE_WARNED", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.autograd.backward([(x * x).sum()], create_graph=True)
    assert len(caught) == 1
    if torch is not None:  # PyTorch's text (its warning is once a process: not re-tested)
        assert "reset the .grad fields of your parameters to None" in str(caught[0].message)


# ---- 3. lifetimes without the cycle collector ----------------------------------------------
@pytest.fixture
def no_gc():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_graph_and_intermediates_freed_after_backward_and_without_it(no_gc):
    x = tg.randn(50, 50, requires_grad=True)
    h = (x * 2).exp()
    y = h.sum()
    refs = [weakref.ref(h), weakref.ref(y.grad_fn)]
    y.backward()
    del h, y
    assert all(r() is None for r in refs)
    h = (x * 2).exp()
    y = h.sum()
    value, cut = y.item(), y.detach()
    refs = [weakref.ref(h), weakref.ref(y.grad_fn), weakref.ref(y)]
    del h, y
    assert all(r() is None for r in refs) and cut.item() == value


def test_hooks_removed_release_their_closures(no_gc):
    class Held:
        pass

    model = nn.Linear(3, 3)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    held = [Held() for _ in range(6)]
    refs = [weakref.ref(h) for h in held]
    handles = [
        model.register_forward_hook(lambda m, i, o, h=held[0]: None),
        model.register_full_backward_hook(lambda m, gi, go, h=held[1]: None),
        opt.register_step_post_hook(lambda o, a, k, h=held[2]: None),
        model.weight.register_hook(lambda g, h=held[3]: g),  # handles kept after remove():
        model.bias.register_post_accumulate_grad_hook(lambda p, h=held[4]: None),  # they
        (model.weight * 1).register_hook(lambda g, h=held[5]: g),  # used to keep the hook
    ]
    del held
    model(tg.randn(2, 3, requires_grad=True)).sum().backward()
    opt.step()
    assert all(r() is not None for r in refs)
    for handle in handles:
        handle.remove()
    assert [r() is None for r in refs] == [True] * 6


def test_del_model_frees_parameters_and_optimizer_state(no_gc):
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = tg.optim.AdamW(model.parameters())
    sched = tg.optim.lr_scheduler.StepLR(opt, 5)
    model(tg.randn(4, 8)).sum().backward()
    opt.step()
    sched.step()
    refs = [weakref.ref(model[0].weight), weakref.ref(model), weakref.ref(opt)]
    del model, opt, sched
    assert all(r() is None for r in refs)


def test_zero_grad_frees_gradients():
    model = nn.Linear(20, 20)
    opt = tg.optim.Adam(model.parameters())
    model(tg.randn(2, 20)).sum().backward()
    grad = weakref.ref(model.weight.grad)
    opt.step()
    opt.zero_grad()
    assert model.weight.grad is None and grad() is None


def test_training_loop_memory_is_flat():
    tg.manual_seed(0)
    data = tg.utils.data.TensorDataset(tg.randn(64, 1, 6, 6), tg.randint(0, 3, (64,)))
    loader = tg.utils.data.DataLoader(data, batch_size=16, shuffle=True)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Dropout(0.1), nn.Linear(64, 3))
    opt = tg.optim.Adam(model.parameters(), 1e-3)
    sched = tg.optim.lr_scheduler.StepLR(opt, 2, 0.9)
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            loss.item()
        sched.step()
        with tg.no_grad():
            assert model(xb).grad_fn is None

    for _ in range(10):  # warm-up: the views' weak-reference lists reach their size
        epoch()
    gc.collect()
    objects = len(gc.get_objects())
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(20):
            epoch()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 100_000, grown  # 80 steps: a graph (or an array per step) kept is more
    assert len(gc.get_objects()) - objects < 300
