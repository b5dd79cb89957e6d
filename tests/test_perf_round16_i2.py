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
    """Structure: index arrays mixed with slices (or None) take the vectorised path."""
    index = INDEXES[name]
    values = RNG.standard_normal(np.zeros(SHAPE)[index].shape)
    expected = np.zeros(SHAPE)
    np.add.at(expected, index, values)

    add = np.add

    class NoAt:
        def __getattr__(self, attribute: str):
            if attribute == "at":
                raise AssertionError("np.add.at called")
            return getattr(add, attribute)

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
