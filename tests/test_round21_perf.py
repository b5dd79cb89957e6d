"""Session 27, slow paths round 3: the ops made faster keep PyTorch's values and gradients.

The LSTM layer (one LSTMLayer op per layer and direction over the whole sequence) is checked
against PyTorch (outputs, final states, every gradient), against the step-by-step composition
it replaced (forward bit for bit), against float64 central differences, and under
create_graph against PyTorch's double backward.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.nn import rnn
from tinygrad_np.ops.recurrent import LSTMLayer

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the comparisons with PyTorch are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
RNG = np.random.default_rng(2027)
DTYPES = {np.float32: "float32", np.float64: "float64"}


def _central_differences(fn, arrays, which, eps=1e-6):
    """d fn(arrays) / d arrays[which] (fn returns a float), float64 central differences."""
    base = [a.astype(np.float64) for a in arrays]
    grad = np.zeros_like(base[which])
    for position in np.ndindex(grad.shape):
        values = []
        for step in (eps, -eps):
            moved = [a.copy() for a in base]
            moved[which][position] += step
            values.append(fn(*moved))
        grad[position] = (values[0] - values[1]) / (2 * eps)
    return grad


# ------------------------------------------------------------------------------------ LSTM
def _lstm_run(lib, config, x, state, composed=False):
    """Output, final states and the gradients (input, parameters, start state) of a weighted
    loss over all three, for an LSTM with `config` made by `lib` (tinygrad_np's parameters
    copied into PyTorch's)."""
    hidden, layers, bidirectional, bias, batch_first, dtype = config
    tg.manual_seed(0)
    ours = tg.nn.LSTM(x.shape[-1], hidden, layers, bias, batch_first, 0.0, bidirectional,
                      dtype=getattr(tg, DTYPES[dtype]))
    layer = ours
    if lib is torch:
        layer = torch.nn.LSTM(x.shape[-1], hidden, layers, bias, batch_first, 0.0,
                              bidirectional, dtype=getattr(torch, DTYPES[dtype]))
        layer.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    leaf = lib.tensor(x.copy(), requires_grad=True)
    starts = None if state is None else tuple(lib.tensor(a.copy(), requires_grad=True)
                                              for a in state)
    saved = rnn._FUSED_DTYPES
    if composed:
        rnn._FUSED_DTYPES = ()
    try:
        out, (h, c) = layer(leaf) if starts is None else layer(leaf, starts)
    finally:
        rnn._FUSED_DTYPES = saved
    weights = np.cos(np.arange(out.numel())).reshape(tuple(out.shape)).astype(dtype)
    ((out * lib.tensor(weights)).sum() + (h * h).sum() + 0.5 * c.sum()).backward()
    grads = [leaf.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]
    grads += [] if starts is None else [a.grad.numpy() for a in starts]
    return [out.detach().numpy(), h.detach().numpy(), c.detach().numpy()], grads


LSTM_CONFIGS = list(itertools.product([3, 7], [1, 2], [False, True], [True, False],
                                      [False, True], [np.float32, np.float64]))


def _lstm_inputs(config, index, length=6):
    hidden, layers, bidirectional, _, batch_first, dtype = config
    x = RNG.standard_normal((3, length, 4) if batch_first else (length, 3, 4)).astype(dtype)
    count = layers * (2 if bidirectional else 1)
    state = None if index % 2 else tuple(
        RNG.standard_normal((count, 3, hidden)).astype(dtype) for _ in range(2))
    return x, state


@needs_torch
@pytest.mark.parametrize("index", range(len(LSTM_CONFIGS)))
def test_lstm_matches_pytorch_values_and_gradients(index):
    config = LSTM_CONFIGS[index]
    x, state = _lstm_inputs(config, index)
    ours, theirs = _lstm_run(tg, config, x, state), _lstm_run(torch, config, x, state)
    tolerance = dict(rtol=1e-4, atol=1e-5) if config[-1] == np.float32 else dict(
        rtol=1e-10, atol=1e-12)
    for mine, reference in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        np.testing.assert_allclose(mine, reference, **tolerance)


@pytest.mark.parametrize("index", range(0, len(LSTM_CONFIGS), 3))
def test_lstm_is_the_compositions_bit_for_bit(index):
    config = LSTM_CONFIGS[index]
    x, state = _lstm_inputs(config, index, length=37)  # (past two 16-step blocks)
    fused, composed = _lstm_run(tg, config, x, state), _lstm_run(tg, config, x, state, True)
    for mine, reference in zip(fused[0] + fused[1], composed[0] + composed[1]):
        assert mine.dtype == reference.dtype and np.array_equal(mine, reference)


def test_lstm_with_dropout_between_layers_is_the_compositions_bit_for_bit():
    config = (5, 3, True, True, False, np.float32)
    x, state = _lstm_inputs(config, 0, length=20)
    runs = []
    for composed in (False, True):
        tg.manual_seed(3)
        layer = tg.nn.LSTM(4, 5, 3, dropout=0.4, bidirectional=True)
        leaf = tg.tensor(x, requires_grad=True)
        saved = rnn._FUSED_DTYPES
        if composed:
            rnn._FUSED_DTYPES = ()
        try:
            out, (h, c) = layer(leaf)
        finally:
            rnn._FUSED_DTYPES = saved
        (out.sum() + h.sum() + c.sum()).backward()
        runs.append([out.detach().numpy(), leaf.grad.numpy()]
                    + [p.grad.numpy() for p in layer.parameters()])
    for mine, reference in zip(*runs):
        assert np.array_equal(mine, reference)


def _layer_loss(gx, h0, c0, w_hh, b_hh, weights):
    out = LSTMLayer.apply(*(tg.tensor(a) if a is not None else None
                            for a in (gx, h0, c0, w_hh, b_hh)))
    return float((out * tg.tensor(weights)).sum().item())


@pytest.mark.parametrize("with_bias", [True, False])
def test_lstm_layer_gradients_against_central_differences(with_bias):
    length, batch, hidden = 4, 2, 3
    arrays = [RNG.standard_normal(shape) for shape in
              ((length, batch, 4 * hidden), (batch, hidden), (batch, hidden),
               (4 * hidden, hidden), (4 * hidden,))]
    if not with_bias:
        arrays[-1] = None
    weights = RNG.standard_normal((2, length, batch, hidden))
    leaves = [None if a is None else tg.tensor(a, requires_grad=True) for a in arrays]
    (LSTMLayer.apply(*leaves) * tg.tensor(weights)).sum().backward()
    for which, leaf in enumerate(leaves):
        if leaf is None:
            continue
        def loss(*moved):
            full = list(moved) + ([None] if not with_bias else [])
            return _layer_loss(*full, weights)
        given = [a for a in arrays if a is not None]
        expected = _central_differences(loss, given, which)
        np.testing.assert_allclose(leaf.grad.numpy(), expected, rtol=1e-6, atol=1e-8)


@needs_torch
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_double_backward_matches_pytorch(bidirectional):
    config = (3, 1, bidirectional, True, True, np.float64)
    x, _ = _lstm_inputs(config, 1, length=4)
    results = []
    for lib in (tg, torch):
        tg.manual_seed(0)
        ours = tg.nn.LSTM(4, 3, batch_first=True, bidirectional=bidirectional, dtype=tg.float64)
        layer = ours
        if lib is torch:
            layer = torch.nn.LSTM(4, 3, batch_first=True, bidirectional=bidirectional,
                                  dtype=torch.float64)
            layer.load_state_dict({k: torch.tensor(v.numpy())
                                   for k, v in ours.state_dict().items()})
        leaf = lib.tensor(x.copy(), requires_grad=True)
        out, _ = layer(leaf)
        (grad,) = lib.autograd.grad((out * out).sum(), leaf, create_graph=True)
        (grad * grad).sum().backward()
        results.append([grad.detach().numpy(), leaf.grad.numpy()]
                       + [p.grad.numpy() for p in layer.parameters()])
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-11)


def test_lstm_in_place_write_to_the_output_is_caught():
    layer = tg.nn.LSTM(4, 3)
    out, (h, _) = layer(tg.tensor(RNG.standard_normal((5, 2, 4)).astype(np.float32)))
    out.add_(1.0)  # (out is a view of the op's saved output, as PyTorch saves its own)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (out.sum() + h.sum()).backward()


def test_lstm_mixed_weight_dtype_takes_the_composed_path():
    layer = tg.nn.LSTM(4, 3)
    layer.weight_hh_l0.data = layer.weight_hh_l0.data.double()
    x = tg.tensor(RNG.standard_normal((5, 2, 4)).astype(np.float32))
    fused = layer(x)[0]
    saved, rnn._FUSED_DTYPES = rnn._FUSED_DTYPES, ()
    try:
        composed = layer(x)[0]
    finally:
        rnn._FUSED_DTYPES = saved
    assert fused.dtype == composed.dtype
    assert np.array_equal(fused.detach().numpy(), composed.detach().numpy())


# ------------------------------------------------------------------- softmax's row maximum
def _old_softmax(x, axis, log):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    total = np.sum(np.exp(shifted), axis=axis, keepdims=True)
    return shifted - np.log(total) if log else np.exp(shifted) / total


@pytest.mark.parametrize("size", [2, 3, 7, 16, 63, 64, 65, 130, 199, 256])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_is_nps_max_with_nan_and_inf(size, dtype):
    from tinygrad_np.ops.softmax import row_max

    x = RNG.standard_normal((65536 // size + 3, size)).astype(dtype)
    for value, share in ((np.nan, 0.01), (np.inf, 0.01), (-np.inf, 0.02), (0.0, 0.01)):
        x[RNG.random(x.shape) < share] = value
    expected = np.max(x, axis=-1, keepdims=True)
    got = row_max(x, -1)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("size", [3, 64, 100])
def test_softmax_over_short_last_axis_unchanged_bit_for_bit(log, size):
    x = RNG.standard_normal((70000 // size, size)).astype(np.float32) * 5
    x[::7, 0], x[::7, 1] = 0.0, -0.0  # rows whose maximum could be either zero
    x[::7, 2:] = -1.0
    x[::11, 0] = -np.inf
    op = tg.tensor(x).log_softmax(-1) if log else tg.tensor(x).softmax(-1)
    expected = _old_softmax(x, -1, log)
    assert np.array_equal(op.numpy(), expected, equal_nan=True)
    assert np.array_equal(np.signbit(op.numpy()), np.signbit(expected))


@needs_torch
@pytest.mark.parametrize("log", [False, True])
def test_softmax_short_last_axis_against_pytorch(log):
    x = RNG.standard_normal((64, 8, 16, 64)).astype(np.float32)
    weights = RNG.standard_normal(x.shape).astype(np.float32)
    results = []
    for lib in (tg, torch):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        out = leaf.log_softmax(-1) if log else leaf.softmax(-1)
        (out * lib.tensor(weights)).sum().backward()
        results.append((out.detach().numpy(), leaf.grad.numpy()))
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- DataLoader workers over tensors
def _epoch(lib, workers, data, **options):
    x, y = lib.tensor(data[0]), lib.tensor(data[1])
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=16,
                                       shuffle=True, num_workers=workers,
                                       generator=lib.Generator().manual_seed(5), **options)
    return [(xb.numpy(), yb.numpy()) for xb, yb in loader]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_tensor_dataset_workers_give_the_same_batches_and_leave_the_streams(workers):
    import random

    data = (RNG.standard_normal((70, 3)).astype(np.float32), np.arange(70))
    tg.manual_seed(11)
    random.seed(12)
    np.random.seed(13)
    without = _epoch(tg, 0, data)
    draws_after = (tg.rand(2).numpy(), random.random(), np.random.random())
    tg.manual_seed(11)
    random.seed(12)
    np.random.seed(13)
    with_workers = _epoch(tg, workers, data)
    assert (tg.rand(2).numpy().tolist(), random.random(), np.random.random()) == (
        draws_after[0].tolist(), draws_after[1], draws_after[2])
    assert len(without) == len(with_workers) == 5
    for (xa, ya), (xb, yb) in zip(without, with_workers):
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)


@needs_torch
def test_tensor_dataset_workers_batches_as_pytorch():
    data = (RNG.standard_normal((40, 2)).astype(np.float32), np.arange(40))
    ours = _epoch(tg, 2, data)
    theirs = _epoch(torch, 2, data)
    assert [b[1].tolist() for b in ours] == [b[1].tolist() for b in theirs]


def test_worker_init_fn_and_worker_info_still_run_in_each_worker():
    seen = []

    def init(worker_id):
        info = tg.utils.data.get_worker_info()
        seen.append((worker_id, info.id, info.num_workers, tg.initial_seed() == info.seed))

    data = (RNG.standard_normal((32, 2)).astype(np.float32), np.arange(32))
    batches = _epoch(tg, 2, data, worker_init_fn=init)
    assert sorted(seen) == [(0, 0, 2, True), (1, 1, 2, True)]
    assert sorted(np.concatenate([b[1] for b in batches]).tolist()) == list(range(32))


# ------------------------------------------------------------ scatter_reduce amax / amin
def _scatter_case(trial, dtype, ties=True):
    shape = (4, 5, 3)
    dim = trial % 3
    index_shape = tuple(s if d != dim else 7 for d, s in enumerate(shape))
    x = RNG.standard_normal(shape).round(1).astype(dtype)  # (rounded: ties)
    if not ties:  # self below every src value: no tie between self and src
        x -= 10
    src = RNG.standard_normal(index_shape).round(1).astype(dtype)
    index = RNG.integers(0, shape[dim], index_shape)
    return x, src, index, dim


def _scatter_run(lib, x, src, index, dim, reduce, include_self):
    a = lib.tensor(x.copy(), requires_grad=True)
    b = lib.tensor(src.copy(), requires_grad=True)
    y = a.scatter_reduce(dim, lib.tensor(index), b, reduce, include_self=include_self)
    weights = np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(x.dtype)
    (y * lib.tensor(weights)).sum().backward()
    return y.detach().numpy(), a.grad.numpy(), b.grad.numpy()


@needs_torch
@pytest.mark.parametrize("trial", range(12))
@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_extremes_match_pytorch_with_ties(trial, reduce, include_self):
    dtype = np.float64 if trial % 2 else np.float32
    # (without self, PyTorch still counts self's equal value among a place's ties and gives
    # it nothing; here the src ties share all of g: tests/test_ops_stats.py. Not compared.)
    x, src, index, dim = _scatter_case(trial, dtype, ties=include_self)
    if reduce == "amin" and not include_self:
        x += 20
    ours = _scatter_run(tg, x, src, index, dim, reduce, include_self)
    theirs = _scatter_run(torch, x, src, index, dim, reduce, include_self)
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == reference.dtype
        np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_extremes_central_differences(reduce, include_self):
    x = RNG.standard_normal((3, 4))
    src = RNG.standard_normal((3, 6))  # (distinct values: no ties, differentiable)
    index = RNG.integers(0, 4, (3, 6))
    weights = RNG.standard_normal((3, 4))
    a, b = tg.tensor(x, requires_grad=True), tg.tensor(src, requires_grad=True)
    (a.scatter_reduce(1, tg.tensor(index), b, reduce, include_self=include_self)
     * tg.tensor(weights)).sum().backward()

    def loss(x_moved, src_moved):
        y = tg.tensor(x_moved).scatter_reduce(1, tg.tensor(index), tg.tensor(src_moved), reduce,
                                             include_self=include_self)
        return float((y * tg.tensor(weights)).sum().item())

    np.testing.assert_allclose(a.grad.numpy(), _central_differences(loss, [x, src], 0),
                               atol=1e-8)
    np.testing.assert_allclose(b.grad.numpy(), _central_differences(loss, [x, src], 1),
                               atol=1e-8)


@needs_torch
@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_extremes_double_backward_matches_pytorch(reduce):
    x, src = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 6))
    index = RNG.integers(0, 4, (3, 6))
    results = []
    for lib in (tg, torch):
        a, b = lib.tensor(x.copy(), requires_grad=True), lib.tensor(src.copy(), requires_grad=True)
        y = a.scatter_reduce(1, lib.tensor(index), b, reduce, include_self=False)
        grads = lib.autograd.grad((y * y * y).sum(), (a, b), create_graph=True)
        (grads[0].sum() + (grads[1] * grads[1]).sum()).backward()
        results.append([a.grad.numpy(), b.grad.numpy()])
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_scatter_reduce_extremes_unchanged_bit_for_bit_with_nan_and_signed_zeros():
    """The one-op path (ufunc.at) against SegmentReduce's runs, its previous path."""
    from tinygrad_np.ops.segment import ScatterExtreme, SegmentReduce

    for trial in range(60):
        dtype = (np.float16, np.float32, np.float64)[trial % 3]
        x, src, index, dim = _scatter_case(trial, dtype)
        for array in (x, src):
            array[RNG.random(array.shape) < 0.1] = np.nan
            array[RNG.random(array.shape) < 0.1] = -0.0
            array[RNG.random(array.shape) < 0.1] = 0.0
        reduce, include_self = ("amax", "amin")[trial % 2], trial % 4 < 2
        got = ScatterExtreme.apply(tg.tensor(x), tg.tensor(src), _flat_targets(index, dim, x.shape),
                                   reduce, include_self).numpy()
        targets = _flat_targets(index, dim, x.shape)
        groups = np.concatenate([np.arange(x.size), targets]) if include_self else targets
        members = np.concatenate([x.reshape(-1), src.reshape(-1)]) if include_self else \
            src.reshape(-1)
        order = np.argsort(groups, kind="stable")
        places, starts = np.unique(groups[order], return_index=True)
        expected = x.reshape(-1).copy()
        expected[places] = SegmentReduce.apply(tg.tensor(members[order]), starts, reduce).numpy()
        assert np.array_equal(got.reshape(-1), expected, equal_nan=True)
        assert np.array_equal(np.signbit(got.reshape(-1)), np.signbit(expected))


def _flat_targets(index, dim, shape):
    along = list(np.indices(index.shape))
    along[dim] = index
    return np.ravel_multi_index(tuple(along), shape).reshape(-1)


# ------------------------------------------------------------- GELU keeps forward's erf
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_gradient_unchanged_bit_for_bit(dtype):
    from tinygrad_np.ops.math import erf

    x = (RNG.standard_normal((64, 33)) * 3).astype(dtype)
    g = RNG.standard_normal(x.shape).astype(dtype)
    leaf = tg.tensor(x, requires_grad=True)
    y = leaf.gelu()
    y.backward(tg.tensor(g))
    half_root = math.sqrt(0.5)  # (Python floats: float32 stays float32)
    cdf = 0.5 * (1 + erf(x * half_root))
    expected = g * (cdf + x * np.exp(-0.5 * (x * x)) * (1.0 / math.sqrt(2.0 * math.pi)))
    assert np.array_equal(y.detach().numpy(), x * 0.5 * (1 + erf(x * half_root)))
    assert np.array_equal(leaf.grad.numpy(), expected.astype(dtype))


@needs_torch
def test_gelu_values_gradients_and_double_backward_against_pytorch():
    x = RNG.standard_normal((8, 9)) * 3
    results = []
    for lib in (tg, torch):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        y = lib.nn.functional.gelu(leaf)
        (grad,) = lib.autograd.grad((y * y).sum(), leaf, create_graph=True)
        grad.sum().backward()
        results.append([y.detach().numpy(), grad.detach().numpy(), leaf.grad.numpy()])
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)
    expected = _central_differences(lambda a: float(tg.tensor(a).gelu().sum().item()), [x], 0)
    leaf = tg.tensor(x, requires_grad=True)
    leaf.gelu().sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), expected, rtol=1e-6, atol=1e-8)


# --------------------------------------- index_select's backward with a sorted index
def _runs_reference(values, axis, index, shape):
    """Each place's members added in index order, the first one assigned (the rounds' order)."""
    out = np.zeros(shape, values.dtype)
    moved_out, moved_values = np.moveaxis(out, axis, 0), np.moveaxis(values, axis, 0)
    seen = set()
    for position, place in enumerate(index):
        if place in seen:
            moved_out[place] += moved_values[position]
        else:
            moved_out[place] = moved_values[position]
            seen.add(place)
    return out


@pytest.mark.parametrize("trial", range(40))
def test_sorted_index_gradient_is_the_rounds_sum_bit_for_bit(trial):
    from tinygrad_np import xp

    dtype = (np.float16, np.float32, np.float64)[trial % 3]
    shape = (5, 6, 20) if trial % 2 else (20, 3, 7)
    axis = trial % 3
    size = shape[axis]
    index = np.repeat(np.arange(size), 1 + trial % 4) if trial % 4 else np.sort(
        RNG.integers(0, size, 2 * size))
    values = (RNG.standard_normal(shape[:axis] + (index.size,) + shape[axis + 1:]) * 50
              ).astype(dtype)
    values[RNG.random(values.shape) < 0.2] = -0.0
    got = xp.index_add(values, (slice(None),) * axis + (index,), shape)
    expected = _runs_reference(values, axis, index.tolist(), shape)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected) and np.array_equal(np.signbit(got), np.signbit(expected))


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_upsampling_values_and_gradients_against_pytorch(mode, dtype):
    x = RNG.standard_normal((4, 3, 8, 10)).astype(dtype)
    results = []
    for lib in (tg, torch):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        y = lib.nn.functional.interpolate(leaf, scale_factor=(2, 3), mode=mode)
        weights = np.cos(np.arange(y.numel())).reshape(tuple(y.shape)).astype(dtype)
        (y * lib.tensor(weights)).sum().backward()
        results.append([y.detach().numpy(), leaf.grad.numpy()])
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-6)


@needs_torch
def test_repeat_interleave_and_index_select_gradients_against_pytorch():
    x = RNG.standard_normal((6, 40))
    index = np.sort(RNG.integers(0, 6, 15))
    results = []
    for lib in (tg, torch):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        y = leaf.repeat_interleave(3, dim=0).sum(1) + leaf.index_select(0, lib.tensor(index)).sum()
        (y * y).sum().backward()
        results.append(leaf.grad.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-10)


# ----------------------------------------- the module tree walk skips plain attributes
@needs_torch
def test_named_parameters_and_state_dict_round_trip_as_pytorch():
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.sizes, self.label, self.flag, self.nothing = (3, 4), "net", True, None
                self.blocks = lib.nn.ModuleList([lib.nn.Linear(3, 4), lib.nn.ReLU(),
                                                 lib.nn.Sequential(lib.nn.Linear(4, 4))])
                self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(4, 2), "b": lib.nn.Identity()})
                self.scale = lib.nn.Parameter(lib.ones(1))
                self.norm = lib.nn.BatchNorm1d(4)

        return Net()

    tg.manual_seed(0)
    ours, theirs = build(tg), build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    result = ours.load_state_dict({k: tg.tensor(v.numpy() + 1) for k, v in
                                   theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    for (name, mine), (_, reference) in zip(ours.state_dict().items(),
                                            theirs.state_dict().items()):
        assert np.array_equal(mine.numpy(), reference.numpy() + 1), name
