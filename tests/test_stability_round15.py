"""Round 15 of "stable by construction" against what a prober found: ignored rows of
cross_entropy/nll_loss holding inf logits, float16 activation gradients computed in float32,
StickBreakingTransform's clipped sigmoid, cosine_similarity's clamped norms, fused
addcmul/addcdiv, NumPy warnings inside library code, edge-point gradients, dtype checks and
error messages of the losses. Each test compares with PyTorch when it is installed and with
fixed values otherwise (values and gradients in float64 where it matters)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

INF = float("inf")


def _grad_of(lib, fn, values, dtype="float64", upstream=None):
    """fn(lib, *tensors) and the tensors' gradients, as NumPy arrays."""
    xs = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in values]
    out = fn(lib, *xs)
    if upstream is None:
        out.sum().backward()
    else:
        out.backward(lib.tensor(upstream, dtype=getattr(lib, dtype)))
    return out.detach().numpy(), [x.grad.numpy() for x in xs]


def _same(a, b, rtol=1e-7):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                               rtol=rtol, atol=0, equal_nan=True)


# ---- 1. cross_entropy / nll_loss: ignored rows holding inf or NaN logits -------------------

_ROWS = [[-INF, 0.0, 1.0], [-INF, -INF, -INF], [INF, -INF, 1.0], [np.nan, 0.0, 1.0]]
_CE_OPTIONS = [dict(label_smoothing=0.2), dict(),
               dict(weight=[1.0, 2.0, 3.0], label_smoothing=0.1), dict(weight=[0.0, 2.0, 3.0])]


def _ce(lib, x, options, reduction):
    options = dict(options)
    if "weight" in options:
        options["weight"] = lib.tensor(options["weight"], dtype=lib.float64)
    return lib.nn.functional.cross_entropy(x, lib.tensor([-100, 2]), reduction=reduction,
                                           **options)


@pytest.mark.parametrize("row", _ROWS)
@pytest.mark.parametrize("options", _CE_OPTIONS)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_cross_entropy_ignored_row_with_inf_logits_adds_zero(row, options, reduction):
    rows = [row, [0.0, 1.0, 2.0]]
    value, (grad,) = _grad_of(tg, lambda lib, x: _ce(lib, x, options, reduction), [rows])
    assert np.isfinite(value).all()
    if reduction == "none":
        assert value[0] == 0.0 and not np.signbit(value[0])
    # log_softmax's backward of a zero gradient is NaN where the row's softmax is (PyTorch)
    assert np.isnan(grad[0]).all() == (row is not _ROWS[0])
    np.testing.assert_array_equal(np.isnan(grad[1]), False)
    if torch is not None:
        expected, (expected_grad,) = _grad_of(
            torch, lambda lib, x: _ce(lib, x, options, reduction), [rows])
        _same(value, expected)
        _same(grad, expected_grad)


def test_cross_entropy_ignored_row_fixed_values():
    value, (grad,) = _grad_of(tg, lambda lib, x: _ce(lib, x, dict(label_smoothing=0.2), "none"),
                              [[[-INF, 0.0, 1.0], [0.0, 1.0, 2.0]]])
    # row 2: 0.8 * (-log p2) + 0.2 / 3 * (-sum log p), log p = x - logsumexp(x)
    lse = np.log(np.exp([0.0, 1.0, 2.0]).sum())
    expected = 0.8 * (lse - 2.0) + 0.2 / 3 * (3 * lse - 3.0)
    _same(value, [0.0, expected])
    np.testing.assert_array_equal(grad[0], [0.0, 0.0, 0.0])


def test_cross_entropy_ignored_rows_of_3d_input():
    x = np.zeros((2, 3, 2))
    x[0, :, 1] = [-INF, 0.0, INF]
    ids = [[1, -100], [2, 0]]

    def loss(lib, t):
        return lib.nn.functional.cross_entropy(t, lib.tensor(ids), label_smoothing=0.3)

    value, (grad,) = _grad_of(tg, loss, [x])
    assert np.isfinite(value)
    if torch is not None:
        expected, (expected_grad,) = _grad_of(torch, loss, [x])
        _same(value, expected)
        _same(grad, expected_grad)


@pytest.mark.parametrize("row", _ROWS)
def test_nll_loss_ignored_row_with_inf_adds_zero_without_warning(row):
    rows = [row, [0.0, 1.0, 2.0]]

    def loss(lib, x):
        return lib.nn.functional.nll_loss(x, lib.tensor([-100, 2]), reduction="none")

    value, (grad,) = _grad_of(tg, loss, [rows])
    np.testing.assert_array_equal(value, [0.0, -2.0])
    assert not np.signbit(value[0])
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
