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
