"""Leaf gradients are kept without a copy only when nothing but the backward pass holds them
(decided by reference count), for built-in ops and a user's own Functions alike."""

import weakref

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.autograd import _FRESH

KEPT: list = []


def _op(keep):
    class Double(tg.Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad_output):
            grad = grad_output * 2  # a new array
            keep(ctx, grad)
            return grad

    return Double


def _leaf():
    return tg.Tensor(np.arange(1.0, 5.0, dtype=np.float32), requires_grad=True)


@pytest.mark.skipif(not _FRESH, reason="reference counts are only read on CPython 3.11-3.13")
def test_a_new_array_nobody_keeps_becomes_the_grad_without_a_copy():
    seen = []
    x = _leaf()
    _op(lambda ctx, g: seen.append(weakref.ref(g))).apply(x).sum().backward()
    assert seen[0]() is x.grad._data  # a weak reference holds nothing


@pytest.mark.parametrize("keep", [
    lambda ctx, g: KEPT.append(g),                      # a module-level cache
    lambda ctx, g: setattr(ctx, "buffer", g),            # a ctx attribute
    lambda ctx, g: setattr(ctx, "view", g[1:]),          # a view of it
    lambda ctx, g: setattr(ctx, "held", [[g]]),          # deep inside a structure
])
def test_an_array_the_rule_keeps_anywhere_is_copied(keep):
    KEPT.clear()
    x = _leaf()
    node = _op(keep)
    y = node.apply(x)
    y.sum().backward()
    before = x.grad.numpy().copy()
    x.grad.mul_(0)  # an in-place change of .grad (as clip_grad_norm_) reaches nothing else
    kept = [KEPT[0]] if KEPT else []
    fn = y.grad_fn
    kept += [getattr(fn, name) for name in ("buffer",) if hasattr(fn, name)]
    kept += [fn.view.base] if hasattr(fn, "view") else []
    kept += [fn.held[0][0]] if hasattr(fn, "held") else []
    assert kept and all(np.array_equal(k, before) for k in kept)


def test_built_in_ops_hand_over_their_new_gradients():
    x = _leaf()
    w = tg.Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    (x @ w).relu().sum().backward()
    if _FRESH:
        assert x.grad._data.base is None and w.grad._data.flags.owndata
    np.testing.assert_array_equal(w.grad.numpy(), np.repeat(x.numpy()[:, None], 3, 1))


def test_add_passing_one_gradient_to_both_sides_gives_each_its_own():
    a, b = _leaf(), _leaf()
    (a + b).sum().backward()
    a.grad.mul_(3)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(4))
    np.testing.assert_array_equal(a.grad.numpy(), 3 * np.ones(4))


def test_a_tuple_the_rule_keeps_is_not_handed_over():
    class Saved(tg.Function):  # backward returns the tuple it saved (review finding)
        def forward(ctx, x):
            ctx.save_for_backward(np.full(x.shape, 2.0, np.float32))
            return x * 2

        def backward(ctx, grad_output):
            return ctx.saved_tensors

    x = _leaf()
    y = Saved.apply(x)
    for _ in range(3):
        y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.numpy(), np.full(4, 6.0))  # PyTorch: 6, not 8


def test_a_class_level_gradient_constant_is_not_handed_over():
    class Constant(tg.Function):
        GRADS = (np.ones(4, np.float32),)

        def forward(ctx, x):
            return x * 1

        def backward(ctx, grad_output):
            return Constant.GRADS

    x = _leaf()
    Constant.apply(x).sum().backward()
    x.grad.mul_(5)
    np.testing.assert_array_equal(Constant.GRADS[0], np.ones(4))


def test_an_observer_keeping_the_gradients_sees_no_later_change():
    from tinygrad_np import autograd

    kept = []
    autograd.backward_observers.append(lambda node, grad_output, grads: kept.append(grads))
    try:
        x = _leaf()
        (x * 3).sum().backward()
    finally:
        autograd.backward_observers.pop()
    x.grad.mul_(0)
    assert any(g is not None and np.array_equal(g, np.full(4, 3.0)) for t in kept for g in t)
