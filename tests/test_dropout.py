"""Dropout and Dropout2d: statistics of the masks, inverted scaling, eval identity, seeding,
gradients and errors. Masks are random, so values are checked against what any correct mask
must satisfy (the kept values, the zeroed fraction within binomial bounds), not a fixed draw.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

SIZE = 200_000


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_preserves_the_mean(p):
    tg.manual_seed(0)
    x = tg.ones(SIZE)
    y = F.dropout(x, p)._data
    kept = y != 0
    # the zeroed fraction within 6 binomial standard deviations of p
    assert abs((1 - kept.mean()) - p) < 6 * np.sqrt(p * (1 - p) / SIZE)
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)  # inverted scaling
    assert abs(y.mean() - 1) < 6 * np.sqrt(p / (1 - p) / SIZE)  # E[y] = x
    normal = tg.randn(SIZE)
    assert abs(F.dropout(normal, p)._data.mean() - normal._data.mean()) < 0.05


def test_dropout_gradient_is_the_mask():
    tg.manual_seed(1)
    x = Tensor(np.random.default_rng(0).normal(size=(50, 40)), requires_grad=True)
    y = F.dropout(x, 0.3)
    upstream = np.random.default_rng(1).normal(size=x.shape)
    y.backward(Tensor(upstream))
    mask = (y._data != 0) / 0.7  # what multiplied x
    np.testing.assert_allclose(y._data, x._data * mask, rtol=1e-12)
    np.testing.assert_allclose(x.grad._data, upstream * mask, rtol=1e-12)

    def seeded(x):  # the same mask on every call
        tg.manual_seed(5)
        return F.dropout(x, 0.3)

    assert tg.gradcheck(seeded, [Tensor(x._data[:3, :4].copy(), requires_grad=True)])


def test_dropout_keeps_float32_and_works_under_create_graph():
    x = tg.randn(100, dtype=np.float32, requires_grad=True)
    y = F.dropout(x, 0.4)
    assert y.dtype == np.float32
    (g,) = tg.grad((y * y).sum(), x, create_graph=True)
    (second,) = tg.grad(g.sum(), x)
    mask = y._data / np.where(x._data == 0, 1, x._data)
    assert second.dtype == np.float32
    np.testing.assert_allclose(second._data, 2 * mask * mask, rtol=1e-5)


def test_eval_and_p_zero_are_the_identity():
    x = tg.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    assert (layer(tg.ones(1000))._data == 0).any()
    model = nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.9), nn.Dropout2d(0.9))
    model.eval()
    inputs = tg.randn(2, 5, 1, 1)
    np.testing.assert_array_equal(model[1:](inputs)._data, inputs._data)


def test_p_one_gives_zeros_without_nan():
    x = tg.randn(10, 3, 4, 4, requires_grad=True)
    for y in (F.dropout(x, 1.0), F.dropout2d(x, 1.0), nn.Dropout(1)(x)):
        assert np.array_equal(y._data, np.zeros(x.shape)) and not np.isnan(y._data).any()
        y.sum().backward()
        np.testing.assert_array_equal(x.grad._data, 0)
        x.grad = None


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_probability_outside_zero_one_raises(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(tg.ones(3), p)
    with pytest.raises(ValueError, match="dropout2d: dropout probability"):
        F.dropout2d(tg.ones(1, 1, 3, 3), p)
    with pytest.raises(ValueError, match="Dropout: dropout probability"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="Dropout2d: dropout probability"):
        nn.Dropout2d(p)


def test_masks_are_reproducible_with_manual_seed():
    def draw():
        return nn.Dropout(0.5)(tg.ones(64))._data, F.dropout2d(tg.ones(4, 8, 2, 2), 0.5)._data

    tg.manual_seed(42)
    first = draw()
    tg.manual_seed(42)
    second = draw()
    tg.manual_seed(43)
    third = draw()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], third[0])
    assert not np.array_equal(first[0], draw()[0])  # without reseeding, a new mask


@pytest.mark.parametrize("shape", [(16, 32, 3, 4), (512, 2, 3)], ids=["NCHW", "NCL"])
def test_dropout2d_zeroes_whole_channels(shape):
    tg.manual_seed(3)
    x = Tensor(np.random.default_rng(0).normal(size=shape) + 5, requires_grad=True)
    if len(shape) == 3:  # PyTorch 2.13 reads a 3-D input as (N, C, L), with a warning
        with pytest.warns(UserWarning, match=r"interpreted as shape \(N, C, L\)"):
            y = nn.Dropout2d(0.25)(x)
    else:
        y = nn.Dropout2d(0.25)(x)
    channels = y._data.reshape(-1, int(np.prod(shape[2:])))
    dropped = (channels == 0).all(axis=1)
    kept = (channels != 0).all(axis=1)
    assert (dropped | kept).all()  # every channel is all zeros or all kept
    np.testing.assert_allclose(channels[kept], x._data.reshape(channels.shape)[kept] / 0.75,
                               rtol=1e-12)
    count = channels.shape[0]
    assert abs(dropped.mean() - 0.25) < 6 * np.sqrt(0.25 * 0.75 / count)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data.reshape(channels.shape),
                               np.where(kept, 1 / 0.75, 0.0)[:, None] * np.ones_like(channels))


def test_dropout2d_warns_on_other_ranks_and_drops_dim_1_as_pytorch():
    tg.manual_seed(0)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        out = nn.Dropout2d()(tg.ones(40, 50))
    assert set(np.unique(out.numpy())) <= {0.0, 2.0} and 0 < (out.numpy() == 0).mean() < 1
    with pytest.warns(UserWarning, match="Received a 5-D input to dropout2d"):
        out = F.dropout2d(tg.ones(4, 6, 3, 2, 2))
    per_channel = out.numpy().reshape(4, 6, -1)
    assert (per_channel == per_channel[..., :1]).all()  # whole (N, C) channels
    with pytest.warns(UserWarning, match="1-D input"), pytest.raises(
            ValueError, match="Feature dropout requires at least 2 dimensions"):
        nn.Dropout2d()(tg.ones(4))  # in training, as PyTorch
    with pytest.warns(UserWarning, match="1-D input"):
        assert nn.Dropout2d().eval()(tg.ones(4)).shape == (4,)  # in eval: the input


def test_inplace_dropout_writes_into_its_input():
    tg.manual_seed(0)
    x = tg.ones(100)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and (x._data == 0).any() and set(np.unique(x._data)) <= {0.0, 2.0}


def test_reprs_match_pytorch():
    torch = pytest.importorskip("torch")
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout())
    assert repr(nn.Dropout2d(0.2, inplace=True)) == repr(torch.nn.Dropout2d(0.2, inplace=True))


def test_dropout_statistics_match_pytorch():
    """Different generators, so the same law: compare the zeroed fraction and kept values."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.functional.dropout(torch.ones(SIZE), 0.3).numpy()
    tg.manual_seed(0)
    ours = F.dropout(tg.ones(SIZE), 0.3)._data
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.01
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-6)
