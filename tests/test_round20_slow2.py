"""Session 26, slow paths round 2: the ops made faster keep PyTorch's values and gradients.

grid_sample (one CornerSum op), index_add of narrow rows (flat np.add.at), cumsum/cumprod
along an axis with many lanes (a loop along the axis), segment reductions (embedding_bag,
scatter_reduce: member by member) and group_norm (weight sums over H x W first). Each is
checked against PyTorch and, in float64, against central differences.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import xp
from tinygrad_np.ops import scan
from tinygrad_np.ops.segment import reduceat

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the comparisons with PyTorch are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
RNG = np.random.default_rng(2026)


def _run(lib, fn, arrays, weights=None):
    """fn's value and the gradients of sum(value * weights) for leaves holding `arrays`
    (integer arrays are passed as tensors without gradients)."""
    leaves = [lib.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(lib, *leaves)
    upstream = weights if weights is not None else np.linspace(
        -1.0, 1.0, out.numel()).reshape(tuple(out.shape)).astype(arrays[0].dtype)
    (out * lib.tensor(upstream)).sum().backward()
    grads = [leaf.grad.numpy() if leaf.requires_grad else None for leaf in leaves]
    return out.detach().numpy(), grads


def _against_torch(fn, arrays, rtol=1e-5, atol=1e-6):
    ours, theirs = _run(tg, fn, arrays), _run(torch, fn, arrays)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=atol)
    for mine, reference in zip(ours[1], theirs[1]):
        if reference is not None:
            np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)


def _central_differences(fn, arrays, which, weights, eps=1e-6):
    """d sum(fn(arrays) * weights) / d arrays[which], float64 central differences."""
    base = [a.astype(np.float64) for a in arrays]
    grad = np.zeros_like(base[which])
    for position in np.ndindex(grad.shape):
        values = []
        for step in (eps, -eps):
            moved = [a.copy() for a in base]
            moved[which][position] += step
            leaves = [tg.tensor(a) for a in moved]
            values.append(float((fn(tg, *leaves).numpy() * weights).sum()))
        grad[position] = (values[0] - values[1]) / (2 * eps)
    return grad


def _check_central(fn, arrays, which_list, atol=1e-6):
    value, grads = _run(tg, fn, arrays)
    weights = np.linspace(-1.0, 1.0, value.size).reshape(value.shape)
    for which in which_list:
        numeric = _central_differences(fn, arrays, which, weights)
        np.testing.assert_allclose(grads[which], numeric, rtol=1e-5, atol=atol)


# ---------------------------------------------------------------- grid_sample (CornerSum)
GRID_CASES = [(spatial, mode, padding, corners)
              for spatial, mode, padding, corners in itertools.product(
                  (2, 3), ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"),
                  (False, True))
              if not (mode == "bicubic" and spatial == 3)]


def _grid_case(spatial, dtype):
    shape = (2, 3) + (5, 6, 4)[:spatial]
    image = RNG.standard_normal(shape).astype(dtype)
    grid = (RNG.standard_normal((2,) + (4, 3, 2)[:spatial] + (spatial,)) * 0.8).astype(dtype)
    return image, grid


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spatial,mode,padding,corners", GRID_CASES)
def test_grid_sample_matches_torch(spatial, mode, padding, corners, dtype):
    image, grid = _grid_case(spatial, dtype)
    tolerance = 1e-5 if dtype == np.float32 else 1e-11
    _against_torch(lambda L, x, g: L.nn.functional.grid_sample(
        x, g, mode=mode, padding_mode=padding, align_corners=corners), (image, grid),
        rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_central_differences(mode):
    image, grid = _grid_case(2, np.float64)
    grid = grid * 0.6  # inside, away from the border's clip
    _check_central(lambda L, x, g: L.nn.functional.grid_sample(
        x, g, mode=mode, padding_mode="zeros", align_corners=False), (image, grid), [0, 1])


@needs_torch
@pytest.mark.parametrize("mode,spatial", [("bilinear", 2), ("bilinear", 3), ("bicubic", 2),
                                          ("nearest", 2)])
def test_grid_sample_double_backward_matches_torch(mode, spatial):
    image, grid = _grid_case(spatial, np.float64)
    results = []
    for lib in (tg, torch):
        x, g = (lib.tensor(a, requires_grad=True) for a in (image, grid))
        y = lib.nn.functional.grid_sample(x, g, mode=mode, align_corners=False)
        grad_x, grad_g = lib.autograd.grad((y * y).sum(), [x, g], create_graph=True)
        ((grad_x ** 2).sum() + (grad_g ** 3).sum()).backward()
        results.append((x.grad.numpy(), g.grad.numpy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-10)


@needs_torch
def test_grid_sample_repeated_pixels_and_outside_nan_weight():
    # an upsampling grid reads every pixel many times; a NaN coordinate gives NaN there only
    image = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
    grid = np.clip(RNG.standard_normal((2, 16, 16, 2)) * 0.7, -1.2, 1.2).astype(np.float32)
    _against_torch(lambda L, x, g: L.nn.functional.grid_sample(x, g, align_corners=False),
                   (image, grid))
    grid[0, 0, 0, 0] = np.nan
    for lib in (tg, torch):
        x = lib.tensor(image, requires_grad=True)
        y = lib.nn.functional.grid_sample(x, lib.tensor(grid), align_corners=False)
        y.sum().backward()
        assert np.isnan(y.detach().numpy()[0, :, 0, 0]).all()
        assert np.isfinite(x.grad.numpy()).all()  # the NaN corner's pixels get no NaN


# ---------------------------------------------------------------- index_add, narrow rows
def _random_index(shape):
    parts = []
    for size in shape:
        pick = RNG.random()
        if pick < 0.45:
            parts.append(RNG.integers(-size, size, tuple(RNG.integers(1, 6, RNG.integers(1, 3)))))
        elif pick < 0.75:
            parts.append(slice(int(RNG.integers(0, 2)), None, int(RNG.integers(1, 3))))
        elif pick < 0.85:
            parts.append(None)
        else:
            parts.append(int(RNG.integers(0, size)))
    return tuple(parts)


def test_index_add_narrow_rows_is_np_add_at_bit_for_bit():
    checked = 0
    while checked < 300:
        shape = tuple(int(n) for n in RNG.integers(1, 6, RNG.integers(2, 4)))
        index = _random_index(shape)
        try:
            result_shape = np.zeros(shape)[index].shape
        except IndexError:
            continue
        for dtype in (np.float32, np.float64):
            values = RNG.standard_normal(result_shape).astype(dtype)
            expected = np.zeros(shape, dtype)
            np.add.at(expected, index, values)
            np.testing.assert_array_equal(xp.index_add(values, index, shape), expected)
        checked += 1


def test_index_add_narrow_rows_float16_sums_in_float32():
    values = np.ones((10000, 2, 3), np.float16)
    index = (RNG.integers(0, 2, 10000), slice(None), slice(None))
    got = xp.index_add(values, index, (2, 2, 3))
    counts = np.bincount(index[0], minlength=2)
    np.testing.assert_array_equal(got[:, 0, 0], counts.astype(np.float16))


@needs_torch
def test_getitem_with_slices_and_repeats_backward_matches_torch():
    x = RNG.standard_normal((16, 40, 3)).astype(np.float32)
    rows = RNG.integers(0, 40, (16, 100))

    def fn(L, t):
        return t[L.arange(16)[:, None], L.tensor(rows)]

    _against_torch(fn, (x,))
    _check_central(lambda L, t: t[np.arange(4)[:, None], rows[:4, :9] % 5],
                   (x[:4, :5].astype(np.float64),), [0])


# ---------------------------------------------------------------- cumsum / cumprod
SCAN_SHAPES = [((6, 10, 40), 1), ((30, 8), 0), ((4, 5, 60), 0), ((3, 7, 50), 2), ((2, 9), 1)]


def test_running_sums_and_products_bit_for_bit_with_numpy():
    for (shape, axis), dtype in itertools.product(SCAN_SHAPES, (np.float16, np.float32,
                                                                np.float64)):
        x = (RNG.standard_normal(shape) * 2).astype(dtype)
        x.flat[::17] = [np.nan, np.inf, 0.0][: len(x.flat[::17])] + [1.0] * max(
            len(x.flat[::17]) - 3, 0)
        wider = {np.float16: np.float32, np.float32: np.float64}.get(dtype)
        for accumulate in (np.cumsum, np.cumprod):
            with np.errstate(all="ignore"):
                expected = accumulate(x, axis=axis, dtype=wider).astype(dtype)
                for view in (x, np.flip(x, axis)):
                    reference = (expected if view is x else accumulate(
                        view, axis=axis, dtype=wider).astype(dtype))
                    np.testing.assert_array_equal(scan._accumulated(accumulate, view, axis),
                                                  reference)


@needs_torch
@pytest.mark.parametrize("shape,axis", SCAN_SHAPES)
def test_cumsum_cumprod_match_torch(shape, axis):
    x = RNG.standard_normal(shape).astype(np.float32)
    _against_torch(lambda L, t: t.cumsum(axis), (x,))
    positive = (np.abs(x) * 0.2 + 0.9).astype(np.float32)
    _against_torch(lambda L, t: t.cumprod(axis), (positive,), rtol=1e-4, atol=1e-5)


def test_cumsum_cumprod_central_differences():
    x = RNG.standard_normal((3, 4, 12)) * 0.5 + 1.0
    _check_central(lambda L, t: t.cumsum(0), (x,), [0])
    _check_central(lambda L, t: t.cumprod(0), (x,), [0], atol=1e-5)


# ---------------------------------------------------------------- segment reductions
def test_reduceat_member_by_member():
    for _ in range(200):
        lengths = RNG.integers(1, 6, int(RNG.integers(1, 7)))
        if RNG.random() < 0.3:
            lengths[:] = lengths[0]
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        x = RNG.standard_normal((int(lengths.sum()), 3)).astype(np.float32)
        for ufunc in (np.add, np.multiply, np.maximum, np.minimum):
            expected = np.stack([
                _sequential(ufunc, x[start:start + length])
                for start, length in zip(starts, lengths)])
            np.testing.assert_array_equal(reduceat(ufunc, x, starts), expected)


def _sequential(ufunc, rows):
    total = rows[0].copy()
    for row in rows[1:]:
        total = ufunc(total, row)
    return total


@needs_torch
def test_embedding_bag_sum_is_torch_bit_for_bit():
    weight = RNG.standard_normal((50, 16)).astype(np.float32)
    ids = RNG.integers(0, 50, (8, 20))
    ours = tg.nn.functional.embedding_bag(tg.tensor(ids), tg.tensor(weight), mode="sum")
    theirs = torch.nn.functional.embedding_bag(torch.tensor(ids), torch.tensor(weight),
                                               mode="sum")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_offsets_match_torch(mode):
    weight = RNG.standard_normal((30, 8)).astype(np.float32)
    ids = RNG.integers(0, 30, (40,))
    offsets = np.array([0, 3, 3, 10, 25, 39])

    def fn(L, w):
        return L.nn.functional.embedding_bag(L.tensor(ids), w, L.tensor(offsets), mode=mode)

    _against_torch(fn, (weight,))
    _against_torch(lambda L, w: L.nn.functional.embedding_bag(
        L.tensor(ids.reshape(8, 5)), w, mode=mode), (weight,))


@needs_torch
@pytest.mark.parametrize("reduce", ["sum", "prod", "amax", "amin", "mean"])
def test_scatter_reduce_matches_torch(reduce):
    x = (RNG.standard_normal((6, 20)) * 0.5 + 1).astype(np.float32)
    source = (RNG.standard_normal((6, 30)) * 0.5 + 1).astype(np.float32)
    index = RNG.integers(0, 20, (6, 30))
    _against_torch(lambda L, a, s: a.scatter_reduce(1, L.tensor(index), s, reduce),
                   (x, source), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- group_norm
@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,groups", [((4, 6, 5, 7), 3), ((3, 8, 9), 2), ((2, 4, 3, 3, 2), 4)])
def test_group_norm_matches_torch(shape, groups, dtype):
    x = (RNG.standard_normal(shape) * 3 + 1).astype(dtype)
    weight, bias = (RNG.standard_normal(shape[1]).astype(dtype) for _ in range(2))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    _against_torch(lambda L, a, w, b: L.nn.functional.group_norm(a, groups, w, b),
                   (x, weight, bias), rtol=tolerance, atol=tolerance)
    _against_torch(lambda L, a, w: L.nn.functional.group_norm(a, groups, w),
                   (x, weight), rtol=tolerance, atol=tolerance)


def test_group_norm_central_differences():
    x = RNG.standard_normal((2, 4, 3, 2))
    weight, bias = RNG.standard_normal(4), RNG.standard_normal(4)
    _check_central(lambda L, a, w, b: L.nn.functional.group_norm(a, 2, w, b),
                   (x, weight, bias), [0, 1, 2], atol=1e-5)


@needs_torch
def test_group_norm_double_backward_matches_torch():
    x = RNG.standard_normal((2, 4, 3, 2))
    weight = RNG.standard_normal(4)
    results = []
    for lib in (tg, torch):
        a, w = lib.tensor(x, requires_grad=True), lib.tensor(weight, requires_grad=True)
        y = lib.nn.functional.group_norm(a, 2, w)
        grad_a, = lib.autograd.grad((y ** 3).sum(), [a], create_graph=True)
        (grad_a ** 2).sum().backward()
        results.append((a.grad.numpy(), w.grad.numpy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------- kthvalue / median
def test_stable_kth_is_the_stable_sorts_pick():
    from tinygrad_np import cpu_order

    for _ in range(400):
        shape = tuple(int(n) for n in RNG.integers(1, 7, RNG.integers(1, 4)))
        data = RNG.integers(0, 3, shape).astype(np.float64)
        data[RNG.random(shape) < 0.2] = np.nan
        data[RNG.random(shape) < 0.2] = -0.0
        if RNG.random() < 0.5:
            data = RNG.standard_normal(shape)
        axis = int(RNG.integers(0, len(shape)))
        k = int(RNG.integers(0, shape[axis]))
        expected = np.take(np.argsort(data, axis=axis, kind="stable"), [k], axis=axis)
        np.testing.assert_array_equal(cpu_order.stable_kth(data, axis, k), expected)


@needs_torch
@pytest.mark.parametrize("shape,axis,k", [((6, 30, 8), 1, 4), ((20, 9), 0, 20), ((5, 31), 1, 16)])
def test_kthvalue_and_median_match_torch(shape, axis, k):
    x = RNG.standard_normal(shape).astype(np.float32)
    for fn in (lambda L, t: t.kthvalue(k, axis)[0], lambda L, t: t.median(axis)[0]):
        _against_torch(fn, (x,))
    ours, theirs = tg.tensor(x).kthvalue(k, axis), torch.tensor(x).kthvalue(k, axis)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    ours, theirs = tg.tensor(x).median(axis), torch.tensor(x).median(axis)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


@needs_torch
def test_kthvalue_and_median_with_ties_and_nan_match_torch():
    x = RNG.integers(0, 4, (7, 9)).astype(np.float64)
    x[2, 3] = np.nan
    for k in (1, 3, 5, 9):
        ours, theirs = tg.tensor(x).kthvalue(k, 1), torch.tensor(x).kthvalue(k, 1)
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
        np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    ours, theirs = tg.tensor(x).median(1), torch.tensor(x).median(1)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())


# ---------------------------------------------------------------- one_hot
@needs_torch
@pytest.mark.parametrize("shape,classes", [((256,), 1000), ((4, 5), -1), ((0,), 3), ((2, 0, 3), 4),
                                           ((), 7)])
def test_one_hot_matches_torch(shape, classes):
    ids = RNG.integers(0, 7, shape)
    ours = tg.nn.functional.one_hot(tg.tensor(ids), classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(ids), classes)
    assert ours.dtype == np.int64 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_scatter_reduce_sums_in_torchs_order(dtype):
    # member after member (float16 in float32): PyTorch's values bit for bit
    for _ in range(30):
        size, count = int(RNG.integers(1, 8)), int(RNG.integers(1, 60))
        x = (RNG.random((2, size)) * 3).astype(dtype)
        source = (RNG.random((2, count)) * 10).astype(dtype)
        index = RNG.integers(0, size, (2, count))
        for reduce in ("sum", "mean", "amax"):
            ours = tg.tensor(x).scatter_reduce(1, tg.tensor(index), tg.tensor(source), reduce)
            theirs = torch.tensor(x).scatter_reduce(1, torch.tensor(index),
                                                    torch.tensor(source), reduce)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize("image,grid", [((0, 3, 4, 4), (0, 2, 2, 2)), ((2, 3, 4, 4), (2, 0, 3, 2)),
                                        ((2, 0, 4, 4), (2, 2, 2, 2)), ((1, 1, 1, 1), (1, 2, 2, 2)),
                                        ((2, 3, 4, 4, 4), (2, 0, 1, 1, 3))])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_empty_and_single_pixel_shapes(image, grid, mode):
    if mode == "bicubic" and len(image) == 5:
        pytest.skip("bicubic is 4-D only")
    shapes = []
    for lib in (tg, torch):
        x, g = lib.ones(image, requires_grad=True), lib.zeros(grid, requires_grad=True)
        y = lib.nn.functional.grid_sample(x, g, mode=mode, align_corners=False)
        y.sum().backward()
        shapes.append((tuple(y.shape), tuple(x.grad.shape), y.detach().numpy().sum()))
    assert shapes[0] == shapes[1]
