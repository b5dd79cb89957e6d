"""Round 16 (performance, i2): the faster forms must give the old results.

* the backward of advanced indexing (`xp.index_add`): index arrays mixed with slices no
  longer go through np.add.at (element by element in NumPy); repeated places still
  accumulate, in np.add.at's order;
* F.pad's 'replicate' / 'reflect' / 'circular', F.interpolate's linear modes and 'area',
  and the adaptive pools with sizes that do not divide.

Values and gradients are compared with np.add.at and with PyTorch (where installed) in
float64 (and float32 / float16 with their tolerances); no timing is tested here (see
benchmarks/NOTES.md, session 22)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

xp = importlib.import_module("tinygrad_np.xp")  # (the package exports another `xp`)
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
RNG = np.random.default_rng(16)
S = slice(None)
SHAPE = (5, 6, 7, 4)


def _ints(high: int, count: int, negative: bool = True) -> np.ndarray:
    return RNG.integers(-high if negative else 0, high, count)


# ------------------------------------------------------------------ xp.index_add
INDEXES = {
    "rows": (_ints(5, 9),),
    "columns": (S, _ints(6, 9)),
    "third axis": (S, S, _ints(7, 12)),
    "rows and a partial slice": (_ints(5, 9), S, slice(2, 5)),
    "adjacent arrays": (S, _ints(6, 9), _ints(7, 9)),
    "separated arrays": (_ints(5, 9), S, _ints(7, 9)),
    "None between arrays": (_ints(5, 9), None, _ints(6, 9)),
    "None between arrays after a slice": (S, _ints(6, 9), None, _ints(7, 9)),
    "empty Ellipsis between arrays": (S, _ints(6, 9), ..., _ints(4, 9)),
    "Ellipsis first": (..., _ints(4, 9)),
    "Ellipsis last": (_ints(5, 9), ...),
    "integer and array separated": (0, S, _ints(7, 9)),
    "integer and array adjacent": (S, 2, _ints(7, 9)),
    "broadcast arrays": (_ints(5, 4)[:, None], S, _ints(7, 3)[None, :]),
    "broadcast adjacent arrays": (S, _ints(6, 4)[:, None], _ints(7, 3)[None, :]),
    "leading None": (None, _ints(5, 9), S, S, _ints(4, 9)),
    "bool mask and an array": (S, RNG.random((6, 7)) > 0.5, _ints(4, 1)),
    "bool mask and a 2-D array": (S, RNG.random((6, 7)) > 0.5, _ints(4, 3)[:, None]),
    "negative step": (S, S, slice(None, None, -2), _ints(4, 40)),
    "two repeats": (S, np.array([1, 1])),
    "no repeats": (S, S, RNG.permutation(7)),
    "100 repeats (sorted sums)": (S, np.array([3] * 100)),
    "70 repeats of one, others once": (S, S, np.r_[np.full(70, -2), np.arange(7)]),
    "int32 index": (S, _ints(6, 9).astype(np.int32)),
    "uint8 index": (S, RNG.integers(0, 6, 9).astype(np.uint8)),
    "numpy integer": (np.int64(2), _ints(6, 9), S),
    "empty index": (np.array([], dtype=np.int64), S),
    "arrays only": (_ints(5, 9), _ints(6, 9), _ints(7, 9), _ints(4, 9)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128])
@pytest.mark.parametrize("name", list(INDEXES))
def test_index_add_is_np_add_at(name: str, dtype: type) -> None:
    index = INDEXES[name]
    values = RNG.standard_normal(np.zeros(SHAPE)[index].shape).astype(dtype)
    expected = np.zeros(SHAPE, dtype)
    np.add.at(expected, index, values)
    got = xp.index_add(values, index, SHAPE)
    assert got.dtype == expected.dtype and got.shape == SHAPE and got.flags.c_contiguous
    if dtype == np.float16:  # (np.add.at rounds after each add, a sorted sum pairwise)
        np.testing.assert_allclose(got, expected, rtol=1e-2, atol=2e-2)
    elif "sorted sums" in name or "70 repeats" in name:  # np.add.reduceat's summation order
        tolerance = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    else:  # the same additions in the same order: bit for bit
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", [name for name in INDEXES if name != "arrays only"])
def test_index_add_with_slices_never_calls_np_add_at(name: str, monkeypatch) -> None:
    """Structure: index arrays mixed with slices (or None) take the vectorised path: no
    np.add.at over the slices (NumPy's element-by-element loop); narrow rows may use its
    fast form, one flat integer index into a 1-D buffer (session 26)."""
    index = INDEXES[name]
    values = RNG.standard_normal(np.zeros(SHAPE)[index].shape)
    expected = np.zeros(SHAPE)
    np.add.at(expected, index, values)

    add = np.add

    def flat_at(target, places, values):
        if target.ndim != 1 or not (isinstance(places, np.ndarray) and places.ndim == 1):
            raise AssertionError("np.add.at called over slices")
        add.at(target, places, values)

    class NoAt:
        def __getattr__(self, attribute: str):
            return flat_at if attribute == "at" else getattr(add, attribute)

    monkeypatch.setattr(xp.np, "add", NoAt())
    np.testing.assert_allclose(xp.index_add(values, index, SHAPE), expected, rtol=1e-12,
                               atol=1e-12)


def test_index_add_big_repeats_accumulate_exactly() -> None:
    """Integers in float64 sum exactly in any order: every repeat counted, on each path."""
    for repeats in (2, 63, 64, 65, 500):
        index = (S, np.r_[np.zeros(repeats, dtype=np.int64), 3, 3, 5])
        values = np.ones((4, repeats + 3, 2))
        got = xp.index_add(values, index, (4, 6, 2))
        expected = np.zeros((4, 6, 2))
        expected[:, 0], expected[:, 3], expected[:, 5] = repeats, 2, 1
        np.testing.assert_array_equal(got, expected)


def _torch_case(shape: tuple[int, ...], index: tuple, dtype: str = "float64",
                create_graph: bool = False) -> None:
    """y = x[index]: value and gradient (and with create_graph the gradient of a function
    of the gradient) as PyTorch's; the index's arrays become each library's tensors."""
    data = RNG.standard_normal(shape)
    weights = RNG.standard_normal(np.zeros(shape)[index].shape)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
        y = x[tuple(lib.tensor(part) if isinstance(part, np.ndarray) else part
                    for part in index)]
        w = lib.tensor(weights, dtype=getattr(lib, dtype))
        loss = (y * y * w).sum() if create_graph else (y * w).sum()
        (grad,) = lib.autograd.grad(loss, x, create_graph=create_graph)
        second = None
        if create_graph:
            (second,) = lib.autograd.grad((grad * grad).sum(), x)
            second = second.detach().numpy()
        results.append((y.detach().numpy(), grad.detach().numpy(), second))
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    for ours, theirs in zip(results[0], results[1]):
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


TORCH_INDEXES = {
    "x[:, idx]": ((64, 300), (S, _ints(300, 500, False))),
    "x[idx]": ((300, 16), (_ints(300, 900),)),
    "x[idx, :, 2:5]": ((20, 6, 8), (_ints(20, 50), S, slice(2, 5))),
    "x[:, i, j]": ((3, 7, 8), (S, _ints(7, 40), _ints(8, 40))),
    "x[i, :, j]": ((7, 3, 8), (_ints(7, 40), S, _ints(8, 40))),
    "x[..., idx]": ((3, 4, 9), (..., _ints(9, 30))),
    "x[None, :, idx]": ((4, 9), (None, S, _ints(9, 30))),
    "x[mask, idx]": ((6, 5, 7), (RNG.random((6, 5)) > 0.4, _ints(7, 1))),
    "x[:, 2-D idx]": ((5, 9), (S, _ints(9, 24).reshape(4, 6))),
    "x[:, 70 repeats]": ((5, 9), (S, np.r_[np.full(70, 4), 0, 8])),
    "x[:, empty]": ((5, 9), (S, np.zeros(0, dtype=np.int64))),
}


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(TORCH_INDEXES))
def test_advanced_indexing_gradient_as_torch(name: str, dtype: str) -> None:
    _torch_case(*TORCH_INDEXES[name], dtype)


@needs_torch
@pytest.mark.parametrize("name", ["x[:, idx]", "x[idx, :, 2:5]", "x[i, :, j]",
                                  "x[:, 70 repeats]"])
def test_advanced_indexing_double_backward_as_torch(name: str) -> None:
    _torch_case(*TORCH_INDEXES[name], create_graph=True)


def test_index_add_fixed_values() -> None:
    """Without torch: the gradient of x[:, [2, 0, 2, 2]] by hand."""
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x[:, tg.tensor([2, 0, 2, 2])]
    y.backward(tg.tensor([[1.0, 2, 3, 4], [5, 6, 7, 8]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0, 8], [6, 0, 20]])


# ------------------------------------------------------------------ the users of index_add
def _compare(forward_tg, forward_torch, data: np.ndarray, dtype: str = "float64",
             create_graph: bool = False, tolerance: float | None = None) -> None:
    """Value and gradient (for a random upstream gradient) as PyTorch's; with create_graph
    also the gradient of the squared gradient."""
    results = []
    for lib, forward in ((tg, forward_tg), (torch, forward_torch)):
        x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
        y = forward(x)
        upstream = lib.tensor(np.random.default_rng(3).standard_normal(tuple(y.shape)),
                              dtype=getattr(lib, dtype))
        (grad,) = lib.autograd.grad((y * y * upstream).sum() if create_graph else
                                    (y * upstream).sum(), x, create_graph=create_graph)
        second = lib.autograd.grad((grad * grad).sum(), x)[0].numpy() if create_graph else None
        results.append((y.detach().numpy(), grad.detach().numpy(), second))
    tolerance = tolerance or {"float64": 1e-12, "float32": 1e-5}[dtype]
    for ours, theirs in zip(*results):
        if ours is not None:
            assert ours.shape == theirs.shape
            np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


PADS = [((2, 3, 9), (2, 3)), ((2, 3, 9), (0, 4)), ((3, 9), (5, 0)), ((2, 3, 5, 7), (1, 2, 3, 4)),
        ((3, 5, 7), (4, 0, 0, 2)), ((1, 2, 4, 5, 6), (1, 2, 0, 3, 2, 1)), ((2, 3, 6), (0, 0)),
        ((2, 3, 6), (-2, 3)), ((2, 3, 1), (2, 2))]


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["replicate", "reflect", "circular"])
@pytest.mark.parametrize("shape, amounts", PADS)
def test_pad_modes_as_torch(shape: tuple, amounts: tuple, mode: str, dtype: str) -> None:
    pairs = list(zip(amounts[::2], amounts[1::2]))
    sizes = shape[::-1][:len(pairs)]
    if mode == "reflect" and any(max(pair) >= n for pair, n in zip(pairs, sizes)) or \
            mode == "circular" and any(max(pair) > n for pair, n in zip(pairs, sizes)) or \
            mode != "circular" and min(amounts) < 0:
        pytest.skip("PyTorch refuses these pads")
    _compare(lambda x: tg.nn.functional.pad(x, amounts, mode),
             lambda x: torch.nn.functional.pad(x, amounts, mode=mode),
             RNG.standard_normal(shape), dtype)


@needs_torch
@pytest.mark.parametrize("mode", ["replicate", "reflect", "circular"])
def test_pad_modes_double_backward_as_torch(mode: str) -> None:
    _compare(lambda x: tg.nn.functional.pad(x, (2, 1, 1, 3), mode),
             lambda x: torch.nn.functional.pad(x, (2, 1, 1, 3), mode=mode),
             RNG.standard_normal((2, 3, 5, 6)), create_graph=True)


@pytest.mark.parametrize("mode, expected, gradient", [
    ("replicate", [1, 1, 1, 2, 3, 3], [3, 1, 2]),
    ("reflect", [3, 2, 1, 2, 3, 2], [1, 3, 2]),
    ("circular", [2, 3, 1, 2, 3, 1], [2, 2, 2]),
])
def test_pad_modes_fixed_values(mode: str, expected: list, gradient: list) -> None:
    """Without torch: (2, 1) padding of [1, 2, 3] and the gradient of the sum, by hand."""
    x = tg.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    y = tg.nn.functional.pad(x, (2, 1), mode)
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy()[0, 0], expected)
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], gradient)


def test_pad_modes_int_and_float16_dtypes() -> None:
    x = tg.tensor(np.arange(12, dtype=np.int64).reshape(1, 3, 4))
    y = tg.nn.functional.pad(x, (1, 2), "replicate")
    assert y.dtype == tg.int64
    np.testing.assert_array_equal(y.numpy()[0, 0], [0, 0, 1, 2, 3, 3, 3])
    half = tg.tensor(np.arange(4.0).reshape(1, 1, 4), dtype=tg.float16, requires_grad=True)
    padded = tg.nn.functional.pad(half, (2, 2), "reflect")
    padded.sum().backward()
    assert padded.dtype == tg.float16 and half.grad.dtype == tg.float16
    np.testing.assert_array_equal(padded.detach().numpy()[0, 0], [2, 1, 0, 1, 2, 3, 2, 1])
    np.testing.assert_array_equal(half.grad.numpy()[0, 0], [1, 3, 3, 1])


INTERPOLATIONS = [  # (shape, size, scale_factor)
    ((2, 3, 7), (12,), None), ((2, 3, 12), (5,), None), ((2, 3, 9), None, 1.7),
    ((2, 3, 6), None, 0.6), ((2, 3, 300), (450,), None),  # (a long axis: gathers)
    ((2, 2, 5, 7), (9, 4), None), ((2, 2, 8, 6), None, (1.5, 0.7)),
    ((1, 2, 3, 5, 4), (5, 3, 7), None), ((1, 1, 4, 3, 5), None, 1.4),
]


def _modes(shape: tuple) -> list[str]:
    return {3: ["linear"], 4: ["bilinear", "bicubic"], 5: ["trilinear"]}[len(shape)]


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shape, size, scale", INTERPOLATIONS)
def test_interpolate_linear_modes_as_torch(shape: tuple, size: tuple, scale: object,
                                           align_corners: bool, dtype: str) -> None:
    # (Known, unchanged here: PyTorch computes float32 inputs' source positions in float32,
    # this library in float64, so on long axes float32 results differ by up to ~1e-4.)
    loose = 2e-4 if dtype == "float32" and max(shape) > 100 else None
    for mode in _modes(shape):
        _compare(lambda x, mode=mode: tg.nn.functional.interpolate(x, size, scale, mode,
                                                                   align_corners),
                 lambda x, mode=mode: torch.nn.functional.interpolate(x, size, scale, mode,
                                                                      align_corners),
                 RNG.standard_normal(shape), dtype, tolerance=loose)


@needs_torch
@pytest.mark.parametrize("shape, size, scale", INTERPOLATIONS[:2] + INTERPOLATIONS[5:7])
def test_interpolate_double_backward_as_torch(shape: tuple, size: tuple, scale: object) -> None:
    for mode in _modes(shape):
        _compare(lambda x, mode=mode: tg.nn.functional.interpolate(x, size, scale, mode, False),
                 lambda x, mode=mode: torch.nn.functional.interpolate(x, size, scale, mode,
                                                                      False),
                 RNG.standard_normal(shape), create_graph=True)


@needs_torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_with_inf_keeps_it_local(mode: str) -> None:
    """Non-finite input takes the gathers: an inf reaches only its neighbours' outputs
    (a matrix product's 0 * inf would make every output of its row NaN), as PyTorch."""
    data = RNG.standard_normal((1, 1, 6, 6))
    data[0, 0, 2, 3], data[0, 0, 4, 1] = np.inf, np.nan
    ours = tg.nn.functional.interpolate(tg.tensor(data), (9, 11), mode=mode).numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(data), (9, 11), mode=mode).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert np.isfinite(ours).any()


def test_interpolate_linear_fixed_values() -> None:
    """Without torch: [0, 1, 3] to 5 with half-pixel centres (sources 0.6 (i + 0.5) - 0.5:
    -0.2 (clamped to 0), 0.4, 1.0, 1.6, 2.2 (its right neighbour clamped to 2)), and the
    gradient of the sum (each output's two weights go to its two sources)."""
    x = tg.tensor([[[0.0, 1.0, 3.0]]], requires_grad=True)
    y = tg.nn.functional.interpolate(x, 5, mode="linear")
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy()[0, 0], [0.0, 0.4, 1.0, 2.2, 3.0],
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy()[0, 0], [1.6, 1.8, 1.6], rtol=1e-6)


ADAPTIVE = [((2, 3, 10, 11), (3, 4)), ((2, 3, 7, 5), (4, 3)), ((1, 2, 9, 9), (9, 2)),
            ((2, 2, 6, 6), (4, 5)), ((2, 2, 13, 5), (5, 2))]


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, size", ADAPTIVE)
def test_adaptive_avg_pools_as_torch(shape: tuple, size: tuple, dtype: str) -> None:
    data = RNG.standard_normal(shape)
    _compare(lambda x: tg.nn.functional.adaptive_avg_pool2d(x, size),
             lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size), data, dtype)
    _compare(lambda x: tg.nn.functional.adaptive_avg_pool1d(x[:, 0], size[1]),
             lambda x: torch.nn.functional.adaptive_avg_pool1d(x[:, 0], size[1]), data, dtype)
    _compare(lambda x: tg.nn.functional.adaptive_avg_pool3d(x, (2, *size)),
             lambda x: torch.nn.functional.adaptive_avg_pool3d(x, (2, *size)), data, dtype)
    _compare(lambda x: tg.nn.functional.interpolate(x, size, mode="area"),
             lambda x: torch.nn.functional.interpolate(x, size, mode="area"), data, dtype)


@needs_torch
def test_adaptive_avg_pool_double_backward_and_inf_as_torch() -> None:
    _compare(lambda x: tg.nn.functional.adaptive_avg_pool2d(x, (3, 4)),
             lambda x: torch.nn.functional.adaptive_avg_pool2d(x, (3, 4)),
             RNG.standard_normal((2, 3, 10, 11)), create_graph=True)
    data = RNG.standard_normal((1, 2, 10, 11))
    data[0, 0, 1, 2], data[0, 1, 5, 5] = np.inf, -np.inf
    ours = tg.nn.functional.adaptive_avg_pool2d(tg.tensor(data), (3, 4)).numpy()
    theirs = torch.nn.functional.adaptive_avg_pool2d(torch.tensor(data), (3, 4)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert np.isfinite(ours).sum() == ours.size - 4  # (each inf in 1 row and 2 column windows)


def test_adaptive_avg_pool_fixed_values() -> None:
    """Without torch: windows [0, 2), [1, 3), [2, 4)... of 0..4 to 3: [0, 2), [1, 4), [3, 5)."""
    x = tg.tensor(np.arange(5.0).reshape(1, 1, 5), requires_grad=True)
    y = tg.nn.functional.adaptive_avg_pool1d(x, 3)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy()[0, 0], [0.5, 2.0, 3.5], rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy()[0, 0], [0.5, 0.5 + 1 / 3, 1 / 3, 1 / 3 + 0.5,
                                                      0.5], rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("values", ["random", "ties", "nan"])
@pytest.mark.parametrize("shape, size", ADAPTIVE)
def test_adaptive_max_pool_as_torch(shape: tuple, size: tuple, values: str) -> None:
    """Values, indices and gradients; ties go to the first maximum, several NaNs in a
    window to the last (PyTorch's kernel takes every NaN it meets)."""
    data = RNG.standard_normal(shape)
    if values == "ties":
        data = np.round(data)
    elif values == "nan":
        data[0, 0, 1, 1] = data[0, 0, 1, 2] = data[0, 0, 2, 1] = np.nan
        data[-1, -1, 3, :] = np.nan
        data[-1, 0, 0, 0] = np.inf
    results = []
    for lib in (tg, torch):
        x = lib.tensor(data, requires_grad=True)
        y, indices = lib.nn.functional.adaptive_max_pool2d(x, size, return_indices=True)
        y.backward(lib.tensor(np.random.default_rng(5).standard_normal(tuple(y.shape))))
        results.append((y.detach().numpy(), indices.numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_adaptive_max_pool_fixed_values() -> None:
    """Without torch: windows [0, 2), [1, 4), [3, 5) of [1, 3, 3, 0, 2]; a tie (3, 3) sends
    the gradient to the first."""
    x = tg.tensor([[[1.0, 3.0, 3.0, 0.0, 2.0]]], requires_grad=True)
    y, indices = tg.nn.functional.adaptive_max_pool1d(x, 3, return_indices=True)
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy()[0, 0], [3, 3, 2])
    np.testing.assert_array_equal(indices.numpy()[0, 0], [1, 1, 4])
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [0, 2, 0, 0, 1])
