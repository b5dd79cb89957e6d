"""Round 15 (performance, i11): float16 products in float32 BLAS, topk by partition, einsum
paths past NumPy's memory limit, scatter_reduce / index_reduce and EmbeddingBag by sorted
segments instead of padded tables. Results are checked against torch where installed (values
and gradients), else against values written out; never timings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _close(ours, theirs, rtol=1e-7, atol=1e-9):
    ours = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64),
                               rtol=rtol, atol=atol)


# ----------------------------------------------------------------- float16 products
def test_half_matmul_partial_products_past_float16_range():
    # 300 * 300 = 90000 is past float16's 65504: accumulated in float32 the sum is 0, not NaN.
    a = tg.tensor([[300.0, 300.0]], dtype=tg.float16)
    b = tg.tensor([[300.0], [-300.0]], dtype=tg.float16)
    out = a @ b
    assert out.dtype == tg.float16
    assert out.numpy().tolist() == [[0.0]]


def test_half_linear_bias_gradient_summed_in_float32():
    layer = tg.nn.Linear(1, 1).half()
    x = tg.zeros(10000, 1, dtype=tg.float16)
    (layer(x) * tg.tensor(0.1, dtype=tg.float16)).sum().backward()
    expected = np.float16(np.float32(10000) * np.float32(np.float16(0.1)))
    assert layer.bias.grad.dtype == tg.float16
    assert layer.bias.grad.numpy()[0] == expected


@needs_torch
@pytest.mark.parametrize("shapes", [((64, 96), (96, 48)), ((4, 32, 24), (4, 24, 16)),
                                    ((24,), (24, 8)), ((8, 24), (24,)), ((3, 1, 8, 5), (6, 5, 4)),
                                    ((40,), (40,))])
def test_half_matmul_values_and_gradients_match_torch(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float16) for s in shapes)
    g = None
    results = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        y = lib.tensor(b, requires_grad=True)
        out = x @ y
        if g is None:
            g = rng.standard_normal(tuple(out.shape)).astype(np.float16)
        out.backward(lib.tensor(g))
        results.append((out, x.grad, y.grad))
    for ours, theirs in zip(*results):  # (a broadcast batch gradient is summed in float16)
        _close(ours, theirs, rtol=2e-3, atol=1e-2)


@needs_torch
def test_half_transposed_operand_gradients_match_torch():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((48, 32)).astype(np.float16)
    b = rng.standard_normal((16, 32)).astype(np.float16)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        w = lib.tensor(b, requires_grad=True)
        out = x @ w.T  # a Fortran-ordered right operand
        out.float().pow(2).sum().backward()
        results.append((out, x.grad, w.grad))
    for ours, theirs in zip(*results):
        _close(ours, theirs, rtol=2e-3, atol=2e-2)


@needs_torch
def test_half_linear_matches_torch():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((32, 64)).astype(np.float16) * np.float16(0.1)
    bias = rng.standard_normal(32).astype(np.float16)
    xs = rng.standard_normal((5, 7, 64)).astype(np.float16)
    results = []
    for lib in (tg, torch):
        layer = lib.nn.Linear(64, 32).half()
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(w))
            layer.bias.copy_(lib.tensor(bias))
        x = lib.tensor(xs, requires_grad=True)
        out = layer(x)
        out.float().pow(2).sum().backward()
        results.append((out, x.grad, layer.weight.grad, layer.bias.grad))
    for ours, theirs in zip(*results):
        _close(ours, theirs, rtol=5e-3, atol=5e-2)


@needs_torch
def test_half_sdpa_matches_torch():
    rng = np.random.default_rng(3)
    arrays = [(rng.standard_normal((2, 3, 6, 8)) * 0.5).astype(np.float16) for _ in range(3)]
    g = rng.standard_normal((2, 3, 6, 8)).astype(np.float16)
    results = []
    for lib in (tg, torch):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
        out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        out.backward(lib.tensor(g))
        results.append((out, q.grad, k.grad, v.grad))
    for ours, theirs in zip(*results):
        _close(ours, theirs, rtol=1e-2, atol=1e-2)


def test_half_linear_of_moderate_size_runs():
    # 256 x 1024 x 1024 in float16 took seconds in NumPy's scalar half loop.
    layer = tg.nn.Linear(1024, 1024).half()
    x = tg.randn(256, 1024).half().requires_grad_()
    layer(x).float().sum().backward()
    assert x.grad.dtype == tg.float16 and layer.weight.grad.shape == (1024, 1024)
    expected = layer.weight.detach().float().sum(0).numpy()
    np.testing.assert_allclose(x.grad[0].float().numpy(), expected, rtol=1e-2, atol=2e-2)


# ----------------------------------------------------------------- topk by partition
def test_topk_ties_and_nan_in_pytorchs_order():
    # (PyTorch 2.13's CPU indices among ties, written out: libstdc++'s nth_element order)
    x = tg.tensor([1.0, 3.0, float("nan"), 3.0, 0.0, 3.0, 1.0, 0.0, -2.0, 5.0])
    values, indices = x.topk(3)
    assert indices.tolist() == [2, 9, 5]
    values, indices = x.topk(4, largest=False)
    assert indices.tolist() == [8, 7, 4, 6]
    assert values.tolist() == [-2.0, 0.0, 0.0, 1.0]
    values, indices = tg.tensor([7, 7, 7, 7, 7, 1]).topk(2)
    assert indices.tolist() == [1, 4]


@needs_torch
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_topk_matches_torch(largest, dim):
    rng = np.random.default_rng(4)
    data = rng.standard_normal((40, 30, 20))  # distinct values: one right answer
    g = rng.standard_normal(data.shape)
    k = 5
    results = []
    for lib in (tg, torch):
        x = lib.tensor(data, requires_grad=True)
        values, indices = x.topk(k, dim=dim, largest=largest)
        values.backward(lib.tensor(np.take(g, np.arange(k), axis=dim)))
        results.append((values, indices, x.grad))
    for ours, theirs in zip(*results):
        _close(ours, theirs)


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "uint8", "float32"])
def test_topk_values_with_ties_and_nan_match_torch(dtype):
    # (which of equal entries PyTorch returns is unspecified: the values are compared)
    data = np.random.default_rng(5).integers(0, 4, (6, 200)).astype(dtype)
    if dtype == "float32":
        data[:, ::37] = np.nan
    for largest in (True, False):
        ours = tg.tensor(data).topk(7, largest=largest)
        theirs = torch.tensor(data).topk(7, largest=largest)
        _close(ours.values, theirs.values)
        picked = np.take_along_axis(data, ours.indices.numpy(), axis=-1)
        np.testing.assert_array_equal(picked, ours.values.numpy())


def test_topk_of_a_million_returns_the_largest():
    data = np.random.default_rng(6).permutation(1_000_000).astype(np.float64)
    values, indices = tg.tensor(data).topk(1000)
    assert values.tolist() == list(range(999_999, 998_999, -1))
    assert np.array_equal(data[indices.numpy()], values.numpy())


# ----------------------------------------------------------------- einsum paths
@needs_torch
@pytest.mark.parametrize("equation, shapes", [
    ("bi,oij,bj->bo", [(64, 32), (16, 32, 32), (64, 32)]),  # intermediate above the operands
    ("ab,bc,cd,de,ef->af", [(8, 16), (16, 16), (16, 16), (16, 16), (16, 8)]),
    ("...ij,jk,...k->...i", [(3, 4, 5, 6), (6, 7), (4, 7)]),
    ("ii,ij,j->i", [(5, 5), (5, 6), (6,)]),
    ("ij,jk,k", [(4, 5), (5, 6), (6,)]),
    ("bij,bjk,bk->bi", [(1, 4, 5), (3, 5, 6), (3, 6)]),
])
def test_einsum_of_three_or_more_operands_matches_torch(equation, shapes):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    results = []
    for lib in (tg, torch):
        operands = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = lib.einsum(equation, *operands)
        g = np.cos(np.arange(out.numel(), dtype=np.float64)).reshape(tuple(out.shape))
        out.backward(lib.tensor(g))
        results.append((out, *(op.grad for op in operands)))
    for ours, theirs in zip(*results):
        _close(ours, theirs, rtol=1e-10, atol=1e-10)


def test_einsum_bilinear_of_moderate_size_runs():
    # (256, 128) x (64, 128, 128) x (256, 128) took seconds in NumPy's single nested loop.
    a, w, b = tg.randn(256, 128, requires_grad=True), tg.randn(64, 128, 128), tg.randn(256, 128)
    tg.einsum("bi,oij,bj->bo", a, w, b).sum().backward()
    expected = np.einsum("oij,bj->bi", w.numpy(), b.numpy())
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-3, atol=1e-3)


# ----------------------------------------------------------------- scatter_reduce by segments
@needs_torch
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_with_a_hub_ties_and_zeros_matches_torch(reduce, include_self):
    if reduce in ("amax", "amin") and not include_self:  # (see the next test)
        pytest.skip("PyTorch counts self among a place's ties even with include_self=False")
    rng = np.random.default_rng(8)
    dst = rng.integers(0, 12, 60)
    dst[:20] = 0  # a hub
    src = rng.integers(-2, 3, (60, 3)).astype(np.float64) / 2  # ties and zeros
    base = rng.integers(-2, 3, (15, 3)).astype(np.float64) / 2
    g = rng.standard_normal((15, 3))
    results = []
    for lib in (tg, torch):
        s, b = lib.tensor(src, requires_grad=True), lib.tensor(base, requires_grad=True)
        index = lib.tensor(dst)[:, None].expand(60, 3)
        out = b.scatter_reduce(0, index, s, reduce, include_self=include_self)
        out.backward(lib.tensor(g))
        results.append((out, s.grad, b.grad))
    for ours, theirs in zip(*results):
        _close(ours, theirs, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_and_integer_scatter_reduce_match_torch(reduce):
    rng = np.random.default_rng(9)
    index = rng.integers(0, 4, 10)
    source, base = rng.standard_normal((3, 10)), rng.standard_normal((3, 4))
    ours = tg.tensor(base).index_reduce(1, tg.tensor(index), tg.tensor(source), reduce)
    with warnings.catch_warnings():  # (PyTorch's "index_reduce() is in beta")
        warnings.simplefilter("ignore", UserWarning)
        theirs = torch.tensor(base).index_reduce(1, torch.tensor(index), torch.tensor(source),
                                                 reduce)
    _close(ours, theirs, rtol=1e-12)
    ints = rng.integers(-5, 6, 40).astype(np.int32)
    ours = tg.zeros(5, dtype=tg.int32).scatter_reduce(0, tg.tensor(index.repeat(4)),
                                                      tg.tensor(ints), reduce)
    theirs = torch.zeros(5, dtype=torch.int32).scatter_reduce(0, torch.tensor(index.repeat(4)),
                                                              torch.tensor(ints), reduce)
    _close(ours, theirs)


def test_scatter_reduce_into_a_hub_of_moderate_size_runs():
    # 100000 rows, 20000 of them into place 0: a padded table took 24 GiB.
    dst = np.random.default_rng(10).integers(0, 10000, 100000)
    dst[:20000] = 0
    h = tg.ones(100000, 16, requires_grad=True)
    index = tg.tensor(dst)[:, None].expand(100000, 16)
    out = tg.zeros(10000, 16).scatter_reduce(0, index, h, "sum")
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy()[:, 0], np.bincount(dst, minlength=10000))
    assert h.grad.numpy().min() == 1 and h.grad.numpy().max() == 1
