"""Round 17 (o): float16 end to end as PyTorch 2.13's CPU kernels compute it.

Covers: softmax / log_softmax of float16 computed in float32 and rounded once (forward and
gradient, and the strided kernel that stores exp as float16 first); float16 gradients summed
over broadcast axes (bias gradients) accumulated in float32 and rounded once.
Each test compares bit for bit with torch when it is installed, and otherwise with a NumPy
float32 reference written out in the test (PyTorch's formula, not the library's code).
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

H, S = np.float16, np.float32


def _h(a):
    return np.asarray(a, S).astype(H)


def _bits(a):
    return np.asarray(a, H).view(np.int16)


def _same(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype == H and actual.shape == expected.shape
    np.testing.assert_array_equal(_bits(actual), _bits(expected))


def _data(shape, seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(H)


# ---- 1. softmax / log_softmax ---------------------------------------------------------------
@pytest.mark.parametrize(("shape", "dim"), [((8, 33), 1), ((8, 33), 0), ((4, 70, 1), 1),
                                            ((2, 1000), 1), ((3, 7, 4), 2)])
def test_softmax_float16_rounded_once(shape, dim):
    x, g = _data(shape), _data(shape, 1, 1.0)
    t = tg.tensor(x, requires_grad=True)
    y = tg.nn.functional.softmax(t, dim)
    y.backward(tg.tensor(g))
    w = x.astype(S)
    e = np.exp(w - w.max(dim, keepdims=True))
    total = e.sum(dim, keepdims=True)
    inner = int(np.prod(shape[dim + 1:]))
    if dim != len(shape) - 1 and inner < 64:  # PyTorch's strided kernel stores exp first
        e = e.astype(H).astype(S)
    expected = _h(e / total)
    _same(y.numpy(), expected)
    ys, gs = expected.astype(S), g.astype(S)
    _same(t.grad.numpy(), _h(ys * (gs - (gs * ys).sum(dim, keepdims=True))))
    if torch is not None:
        tt = torch.tensor(x, requires_grad=True)
        ty = torch.softmax(tt, dim)
        ty.backward(torch.tensor(g))
        _same(y.numpy(), ty.detach().numpy())
        _same(t.grad.numpy(), tt.grad.numpy())


@pytest.mark.parametrize(("shape", "dim"), [((8, 33), 0), ((4, 5, 70), 1), ((10, 64), 0)])
def test_log_softmax_float16_rounded_once(shape, dim):
    x, g = _data(shape), _data(shape, 1, 1.0)
    t = tg.tensor(x, requires_grad=True)
    y = t.log_softmax(dim)
    y.backward(tg.tensor(g))
    w = x.astype(S)
    shifted = w - w.max(dim, keepdims=True)
    expected = _h(shifted - np.log(np.exp(shifted).sum(dim, keepdims=True)))
    _same(y.numpy(), expected)
    gs = g.astype(S)
    _same(t.grad.numpy(), _h(gs - np.exp(expected.astype(S)) * gs.sum(dim, keepdims=True)))
    if torch is not None:
        tt = torch.tensor(x, requires_grad=True)
        ty = torch.log_softmax(tt, dim)
        ty.backward(torch.tensor(g))
        _same(y.numpy(), ty.detach().numpy())
        _same(t.grad.numpy(), tt.grad.numpy())


# ---- 2. broadcast gradients accumulate in float32 -------------------------------------------
@pytest.mark.parametrize("op", ["add", "mul"])
def test_float16_bias_gradient_summed_in_float32(op):
    x, b, g = _data((300, 7)), _data((7,), 2), _data((300, 7), 3, 1.0)
    tb = tg.tensor(b, requires_grad=True)
    y = tg.tensor(x) + tb if op == "add" else tg.tensor(x) * tb
    y.backward(tg.tensor(g))
    per_row = g if op == "add" else _h(g.astype(S) * x.astype(S))
    _same(tb.grad.numpy(), _h(per_row.astype(S).sum(0)))
    if torch is not None:
        tt = torch.tensor(b, requires_grad=True)
        ty = torch.tensor(x) + tt if op == "add" else torch.tensor(x) * tt
        ty.backward(torch.tensor(g))
        _same(tb.grad.numpy(), tt.grad.numpy())


def test_float16_broadcast_gradient_past_65504():
    # 40,000 gradients of 1 into each element sum exactly in float32 (a float16 accumulator
    # stops at 2048); 70,000 is past float16's largest value, so inf, as PyTorch
    for rows, expected in [(40000, 40000.0), (70000, float("inf"))]:
        b = tg.tensor([0.0, 0.0], dtype=tg.float16, requires_grad=True)
        (tg.zeros((rows, 2), dtype=tg.float16) + b).sum().backward()
        assert b.grad.dtype == tg.float16 and b.grad.tolist() == [expected, expected]
