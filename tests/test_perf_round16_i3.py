"""Round 16 (performance, i3): integer products in float64 BLAS when exact, mapped
checkpoints (`load(mmap=True)`) and `load_state_dict` without a full snapshot, vectorised
special functions. Results are checked against torch where installed (values and gradients),
else against values written out by hand or Python integers; never timings."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

INT_DTYPES = ["int64", "int32", "int16", "int8", "uint8"]


def _exact_matmul(a: np.ndarray, b: np.ndarray) -> list:
    """a @ b in Python integers (no overflow), for 2-D nested lists."""
    a, b = a.tolist(), b.tolist()
    return [[sum(x * y for x, y in zip(row, col)) for col in zip(*b)] for row in a]


# ---------------------------------------------------------------------- integer products
@needs_torch
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_matmul_family_matches_torch(dtype):
    rng = np.random.default_rng(0)
    low, high = (0, 20) if dtype == "uint8" else (-20, 20)
    a = rng.integers(low, high, (2, 5, 7)).astype(dtype)
    b = rng.integers(low, high, (2, 7, 3)).astype(dtype)
    v = rng.integers(low, high, 7).astype(dtype)
    ta, tb, tv = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(v)
    pairs = [
        (tg.tensor(a) @ tg.tensor(b), ta @ tb),
        (tg.bmm(tg.tensor(a), tg.tensor(b)), torch.bmm(ta, tb)),
        (tg.mm(tg.tensor(a[0]), tg.tensor(b[0])), torch.mm(ta[0], tb[0])),
        (tg.matmul(tg.tensor(a), tg.tensor(v)), torch.matmul(ta, tv)),
        (tg.matmul(tg.tensor(v), tg.tensor(b)), torch.matmul(tv, tb)),
        (tg.tensor(v) @ tg.tensor(v), tv @ tv),
        (tg.einsum("bij,bjk->bik", tg.tensor(a), tg.tensor(b)),
         torch.einsum("bij,bjk->bik", ta, tb)),
        (tg.einsum("bij,bjk,k->bi", tg.tensor(a), tg.tensor(b), tg.tensor(v[:3])),
         torch.einsum("bij,bjk,k->bi", ta, tb, tv[:3])),
    ]
    for ours, theirs in pairs:
        assert ours.numpy().dtype == theirs.numpy().dtype, (ours.dtype, theirs.dtype)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    # a diagonal summed (torch widens this one-operand sum to int64: values compared only)
    ours = tg.einsum("bii->b", tg.tensor(a[:, :5, :5]))
    theirs = torch.einsum("bii->b", ta[:, :5, :5])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32"])
def test_narrow_integer_matmul_wraps_around_as_torch(dtype):
    # Inside the float64 bound but past the dtype's range: the cast back wraps like torch.
    info = np.iinfo(dtype)
    a = np.array([[info.max, info.max, 3], [info.min, 1, info.max]], dtype=dtype)
    b = np.array([[info.max], [2], [info.max]], dtype=dtype)
    theirs = torch.from_numpy(a) @ torch.from_numpy(b)
    np.testing.assert_array_equal((tg.tensor(a) @ tg.tensor(b)).numpy(), theirs.numpy())
    theirs = torch.einsum("ij,jk->ik", torch.from_numpy(a), torch.from_numpy(b))
    np.testing.assert_array_equal(tg.einsum("ij,jk->ik", tg.tensor(a), tg.tensor(b)).numpy(),
                                  theirs.numpy())


@needs_torch
def test_int64_matmul_overflow_wraps_around_as_torch():
    big = np.array([[2 ** 62, 3], [-(2 ** 63), 2 ** 40 + 7]], dtype=np.int64)
    small = np.array([[4, 2 ** 30], [5, 2 ** 33 + 1]], dtype=np.int64)
    for a, b in ((big, small), (small, big), (big, big)):
        theirs = torch.from_numpy(a) @ torch.from_numpy(b)
        np.testing.assert_array_equal((tg.tensor(a) @ tg.tensor(b)).numpy(), theirs.numpy())
        theirs = torch.einsum("ij,jk->ik", torch.from_numpy(a), torch.from_numpy(b))
        ours = tg.einsum("ij,jk->ik", tg.tensor(a), tg.tensor(b))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_int64_products_stay_exact_at_and_past_the_float64_bound():
    # Values whose sums need more than float64's 53 bits: exact, as Python integers say.
    rng = np.random.default_rng(1)
    for scale in (2 ** 20, 2 ** 24, 2 ** 26, 2 ** 30):  # the bound is crossed along the way
        a = rng.integers(-scale, scale, (4, 6)).astype(np.int64)
        b = rng.integers(-scale, scale, (6, 3)).astype(np.int64)
        expected = _exact_matmul(a, b)
        assert (tg.tensor(a) @ tg.tensor(b)).tolist() == expected
        assert tg.einsum("ij,jk->ik", tg.tensor(a), tg.tensor(b)).tolist() == expected
    # one product just under 2**53 and one just over, where float64 would round
    a = np.array([[2 ** 26 + 1]], dtype=np.int64)
    b = np.array([[2 ** 26 + 3]], dtype=np.int64)
    assert (tg.tensor(a) @ tg.tensor(b)).tolist() == [[(2 ** 26 + 1) * (2 ** 26 + 3)]]
    a = np.array([[2 ** 27 + 1, 1]], dtype=np.int64)
    b = np.array([[2 ** 27 - 1], [3]], dtype=np.int64)
    assert (tg.tensor(a) @ tg.tensor(b)).tolist() == [[(2 ** 27 + 1) * (2 ** 27 - 1) + 3]]
    assert (tg.tensor(np.array([-(2 ** 63)])) @ tg.tensor(np.array([1]))).item() == -(2 ** 63)


def test_integer_products_of_empty_operands():
    a, b = tg.zeros((3, 0), dtype=tg.int64), tg.zeros((0, 2), dtype=tg.int64)
    out = a @ b
    assert out.dtype == tg.int64 and out.tolist() == [[0, 0]] * 3
    assert tg.einsum("ij,jk->ik", a, b).tolist() == [[0, 0]] * 3
    assert (tg.zeros((0, 4), dtype=tg.int32) @ tg.ones((4, 2), dtype=tg.int32)).shape == (0, 2)


def test_integer_product_helper_passes_other_dtypes_through():
    from tinygrad_np.ops.matmul import product
    a = np.array([[1.5, 2.0]], dtype=np.float32)
    assert product(a, a.T).dtype == np.float32 and product(a, a.T).tolist() == [[6.25]]
    flags = np.array([[True, False]])
    assert product(flags, flags.T).tolist() == [[True]]
    half = a.astype(np.float16)
    assert product(half, half.T).dtype == np.float16
    ints = np.array([[3, -4]], dtype=np.int64)
    assert product(ints, ints.T).dtype == np.int64 and product(ints, ints.T).tolist() == [[25]]
