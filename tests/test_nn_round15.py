"""Round 15: conv-net and sequence-model differences from PyTorch 2.13 found by probes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


# -- F.interpolate nearest / nearest-exact: PyTorch's source pixel --------------------------

@pytest.mark.parametrize("x, kwargs, index, expected", [
    (np.arange(17.).reshape(1, 1, 17), {"scale_factor": 1.3, "mode": "nearest-exact"}, 19, 15.),
    (np.arange(2, dtype=np.float32).reshape(1, 1, 2), {"size": 49, "mode": "nearest-exact"},
     24, 1.),
    (np.arange(14.).reshape(1, 1, 14), {"size": 46, "mode": "nearest"}, 23, 7.),
])
def test_interpolate_nearest_probe_cases(x, kwargs, index, expected):
    assert F.interpolate(tg.tensor(x), **kwargs).numpy()[0, 0, index] == expected


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_interpolate_nearest_scan_matches_torch(mode, dtype, spatial, request):
    if (mode, dtype, spatial) == ("nearest-exact", np.float64, 2):  # the documented residue
        request.applymarker(pytest.mark.xfail(reason="2-D float64 nearest-exact: rare "
                                                     "one-pixel differences remain"))
    mismatches = []
    for n_in in range(3, 40, 4 if spatial == 1 else 9):
        x = np.arange(n_in ** spatial, dtype=dtype).reshape((1, 1) + (n_in,) * spatial)
        calls = [{"size": tuple(n + i for i in range(spatial))} for n in range(1, 140, 11)]
        calls += [{"scale_factor": s, "recompute_scale_factor": r}
                  for s in (0.3, 0.7, 1.3, 2.3, 3.7, 4.6) for r in (None, True)
                  if math.floor(n_in * s) > 0]
        for kw in calls:
            ours = F.interpolate(tg.tensor(x), mode=mode, **kw).numpy()
            theirs = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kw).numpy()
            if not np.array_equal(ours, theirs):
                mismatches.append((n_in, kw))
    assert mismatches == []


@needs_torch
def test_interpolate_nearest_exact_image_matches_torch():
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    ours = F.interpolate(tg.tensor(x), size=(299, 299), mode="nearest-exact").numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=(299, 299),
                                             mode="nearest-exact").numpy()
    np.testing.assert_array_equal(ours, theirs)


# -- NumPy / 0-d tensor ints and one-element sequences as conv and pool arguments ------------

def _shape_both(call):
    ours = call(tg).shape
    if torch is not None:
        assert tuple(call(torch).shape) == tuple(ours)
    return tuple(ours)


@pytest.mark.parametrize("call, shape", [
    (lambda L: L.nn.MaxPool2d(np.int64(2))(L.ones(1, 3, 5, 5)), (1, 3, 2, 2)),
    (lambda L: L.nn.AvgPool2d(np.int64(2))(L.ones(1, 3, 5, 5)), (1, 3, 2, 2)),
    (lambda L: L.nn.MaxPool3d(np.int64(2))(L.ones(1, 3, 5, 5, 5)), (1, 3, 2, 2, 2)),
    (lambda L: L.nn.functional.max_pool2d(L.ones(1, 3, 5, 5), 2, np.int64(2)), (1, 3, 2, 2)),
    (lambda L: L.nn.functional.avg_pool2d(L.ones(1, 3, 5, 5), 2, np.int64(2)), (1, 3, 2, 2)),
    (lambda L: L.nn.functional.lp_pool2d(L.ones(1, 3, 5, 5), 2, np.int64(2)), (1, 3, 2, 2)),
    (lambda L: L.nn.functional.lp_pool1d(L.ones(1, 3, 5), 2, np.int64(2)), (1, 3, 2)),
    (lambda L: L.nn.LPPool2d(2, np.int64(2))(L.ones(1, 3, 5, 5)), (1, 3, 2, 2)),
    (lambda L: L.nn.functional.max_pool2d(L.ones(1, 3, 5, 5), L.tensor(2)), (1, 3, 2, 2)),
    (lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(2, 3, 3, 3),
                                      padding=L.tensor(1)), (1, 2, 5, 5)),
    (lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(2, 3, 3, 3), padding=(1,)),
     (1, 2, 5, 5)),
    (lambda L: L.nn.functional.conv2d(L.ones(1, 3, 5, 5), L.ones(2, 3, 3, 3), stride=(2,)),
     (1, 2, 2, 2)),
    (lambda L: L.nn.functional.conv3d(L.ones(1, 3, 7, 7, 7), L.ones(2, 3, 3, 3, 3),
                                      dilation=[2]), (1, 2, 3, 3, 3)),
    (lambda L: L.nn.functional.conv_transpose2d(L.ones(1, 3, 5, 5), L.ones(3, 2, 3, 3),
                                                stride=(2,), output_padding=(1,)),
     (1, 2, 12, 12)),
    (lambda L: L.nn.functional.max_pool2d(L.ones(1, 3, 5, 5), (2,)), (1, 3, 2, 2)),
    (lambda L: L.nn.functional.avg_pool2d(L.ones(1, 3, 5, 5), (2,)), (1, 3, 2, 2)),
    (lambda L: L.nn.functional.max_pool3d(L.ones(1, 3, 5, 5, 5), [2]), (1, 3, 2, 2, 2)),
    (lambda L: L.nn.MaxPool2d((2,))(L.ones(1, 3, 5, 5)), (1, 3, 2, 2)),
])
def test_int_like_and_one_element_arguments(call, shape):
    assert _shape_both(call) == shape


@pytest.mark.parametrize("call", [
    lambda L: L.nn.functional.unfold(L.ones(1, 3, 5, 5), (2,)),
    lambda L: L.nn.functional.adaptive_avg_pool2d(L.ones(1, 3, 5, 5), (3,)),
])
def test_one_element_rejected_where_torch_rejects(call):
    with pytest.raises(RuntimeError):
        call(tg)
    if torch is not None:
        with pytest.raises(RuntimeError):
            call(torch)


@pytest.mark.parametrize("mode, ndim, pad", [
    ("reflect", 1, (1, 1)), ("reflect", 4, (1, 1)), ("replicate", 4, (1, 2)),
    ("circular", 5, (1, 1, 1, 1)), ("reflect", 2, (1, 1, 1, 1)),
])
def test_non_constant_pad_size_must_fit_rank(mode, ndim, pad):
    with pytest.raises(NotImplementedError, match=f"padding size {len(pad)}"):
        F.pad(tg.ones(*(4,) * ndim), pad, mode=mode)
    if torch is not None:
        with pytest.raises(NotImplementedError):
            torch.nn.functional.pad(torch.ones(*(4,) * ndim), pad, mode=mode)


def test_replication_pad2d_on_5d_input_rejected():
    with pytest.raises(NotImplementedError):
        nn.ReplicationPad2d(1)(tg.ones(1, 2, 3, 3, 3))


# -- average pooling of int64 tensors: the mean truncated toward zero -------------------------

def test_avg_pool2d_int64_probe_values():
    x = tg.arange(16).reshape(1, 1, 4, 4) * 3 + 1
    y = F.avg_pool2d(x, 2)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), [[[[8, 14], [32, 38]]]])
    np.testing.assert_array_equal(F.avg_pool2d(-x, 2).numpy(), [[[[-8, -14], [-32, -38]]]])


@needs_torch
@pytest.mark.parametrize("call", [
    lambda L, x: L.nn.functional.avg_pool1d(x[0] * -1, 2),
    lambda L, x: L.nn.functional.avg_pool2d(x * -1, 3, 1, 1),
    lambda L, x: L.nn.functional.avg_pool2d(x - 20, 3, 1, 1, count_include_pad=False),
    lambda L, x: L.nn.functional.avg_pool2d(x, 2, divisor_override=3),
    lambda L, x: L.nn.functional.avg_pool3d((x - 20).reshape(1, 1, 2, 2, 4), (1, 2, 2)),
])
def test_avg_pool_int64_matches_torch(call):
    data = np.arange(16).reshape(1, 1, 4, 4) * 3 + 1
    ours, theirs = call(tg, tg.tensor(data)), call(torch, torch.tensor(data))
    assert ours.dtype == np.int64 and theirs.dtype == torch.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- embedding_bag include_last_offset: the last offset is ignored (the last bag runs on) -----

def test_embedding_bag_include_last_offset_probe_values():
    weight = tg.arange(30.).reshape(10, 3)
    y = F.embedding_bag(tg.arange(10), weight, tg.tensor([0, 4, 7]), include_last_offset=True,
                        mode="mean")
    np.testing.assert_allclose(y.numpy(), [[4.5, 5.5, 6.5], [19.5, 20.5, 21.5]])


@needs_torch
@pytest.mark.parametrize("offsets", [[0, 4, 7], [0, 3, 3], [0, 10], [0, 3, 3, 8]])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_include_last_offset_matches_torch(offsets, mode):
    rng = np.random.default_rng(1)
    weight, psw = rng.standard_normal((10, 3)), rng.standard_normal(10)
    ids = rng.integers(0, 10, 10)
    results = []
    for lib in (tg, torch):
        w = lib.tensor(weight, requires_grad=True)
        p = lib.tensor(psw, requires_grad=True) if mode == "sum" else None
        fn = F.embedding_bag if lib is tg else torch.nn.functional.embedding_bag
        y = fn(lib.tensor(ids), w, lib.tensor(offsets), mode=mode, per_sample_weights=p,
               include_last_offset=True)
        (y * lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(y.shape))).sum().backward()
        results.append([y.detach().numpy(), w.grad.numpy()] + ([p.grad.numpy()] if p is not None
                                                               else []))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


# -- top-level pool functions return what PyTorch's return ------------------------------------

@pytest.mark.parametrize("name, args", [
    ("adaptive_max_pool1d", (3,)), ("max_pool1d_with_indices", (2,)),
    ("max_pool1d_with_indices", (3, 2, 1)),
])
def test_top_level_pools_return_values_and_indices(name, args):
    data = np.random.default_rng(2).standard_normal((2, 3, 7))
    ours = getattr(tg, name)(tg.tensor(data), *args)
    assert isinstance(ours, tuple) and len(ours) == 2 and ours[1].dtype == np.int64
    if torch is not None:
        theirs = getattr(torch, name)(torch.tensor(data), *args)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


# -- sequence-model argument checks as PyTorch's -----------------------------------------------

@pytest.mark.parametrize("call, error", [
    (lambda L: L.nn.RNNBase("FOO", 3, 4), ValueError),
    (lambda L: L.nn.LSTM(2, 0), ValueError),
    (lambda L: L.nn.GRU(0, 2), ValueError),
    (lambda L: L.nn.LSTM(2.0, 3), TypeError),
    (lambda L: L.nn.utils.rnn.pad_sequence([]), RuntimeError),
])
def test_rnn_argument_errors(call, error):
    with pytest.raises(error):
        call(tg)
    if torch is not None:
        with pytest.raises(error):
            call(torch)


def test_pack_padded_sequence_takes_float_lengths():
    packed = nn.utils.rnn.pack_padded_sequence(tg.ones(3, 2, 1), tg.tensor([3., 2.]))
    np.testing.assert_array_equal(np.asarray(packed.batch_sizes.numpy()), [2, 2, 1])
    if torch is not None:
        theirs = torch.nn.utils.rnn.pack_padded_sequence(torch.ones(3, 2, 1),
                                                         torch.tensor([3., 2.]))
        np.testing.assert_array_equal(theirs.batch_sizes.numpy(), [2, 2, 1])
