"""Round 17 (j, performance scan): the faster code paths give the same values, dtypes and
gradients as before and as PyTorch.

Covers: `xp.where` (a bitwise select for large float results, used by `tg.where`,
`masked_fill`, huber/smooth_l1, elu/selu, leaky_relu, clamp, max pooling's gradient, the
attention mask), `xp.sigmoid` (sigmoid, silu, BCE-with-logits, softplus' gradient) without
logaddexp, `xp.logaddexp` (`tg.logaddexp`, logsigmoid, softplus), average pooling of adjacent
blocks (global average pooling, avg_pool2d/3d with stride = kernel, adaptive_avg_pool when
the sizes divide). Compared with torch when it is installed, otherwise with values computed
here by `math` in float64; never timings."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import xp

try:
    import torch
except ImportError:
    torch = None

R = np.random.default_rng(17)
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 1e-45, 1000.0, -1000.0])
FLOATS = [np.float16, np.float32, np.float64]


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint8)


# ---- 1. xp.where: bit for bit np.where --------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("cond", "a", "b"), [
    ((64, 64, 2), (64, 64, 2), (64, 64, 2)), ((64, 64, 2), (), (64, 64, 2)),
    ((64, 64, 2), (64, 64, 2), ()), ((64, 1, 2), (64, 64, 2), (1,)),
    ((1, 64, 2), (64, 1, 2), (64, 64, 1)), ((64, 64, 2), (2,), (64, 1, 1)),
    ((64, 64, 2), (), ())])
def test_where_is_bitwise_np_where(dtype, cond, a, b):
    c = R.random(cond) > 0.5
    x = R.choice(SPECIAL, a).astype(dtype) if a else dtype(-0.0)
    y = R.choice(SPECIAL, b).astype(dtype) if b else 0
    expected, got = np.where(c, x, y), xp.where(c, x, y)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(_bits(got), _bits(expected))  # -0.0 and NaN payloads too
    assert got.flags.writeable and got.flags.c_contiguous


@pytest.mark.parametrize(("a", "b"), [
    (1, 0.5), (np.ones((80, 80), np.float32), 2), (np.ones((80, 80), np.float32), np.ones(80)),
    (True, np.zeros((80, 80), np.float16)), (np.arange(6400).reshape(80, 80), 1.0),
    (np.arange(6400).reshape(80, 80), 7), (np.ones((80, 80), bool), False)])
def test_where_promotes_and_takes_truthy_conditions_as_np_where(a, b):
    condition = R.random((80, 80)) - 0.5  # not bool: nonzero is True
    condition[0, :5] = [0.0, -0.0, np.nan, 0.25, -3]
    expected, got = np.where(condition, a, b), xp.where(condition, a, b)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected, equal_nan=got.dtype.kind == "f")


def test_tensor_where_values_and_gradients():
    x = R.choice(SPECIAL, (70, 80))
    y = R.standard_normal((70, 80))
    for dtype in (tg.float32, tg.float64):
        a = tg.tensor(x, dtype=dtype, requires_grad=True)
        b = tg.tensor(y, dtype=dtype, requires_grad=True)
        mask = a.detach() > 0
        out = tg.where(mask, a, b)
        g = np.arange(5600.0).reshape(70, 80)
        out.backward(tg.tensor(g, dtype=dtype))
        m = x > 0  # (NaN > 0 is False)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.numpy(), np.where(m, x, y).astype(out.numpy().dtype))
        np.testing.assert_array_equal(a.grad.numpy(), np.where(m, g, 0))
        np.testing.assert_array_equal(b.grad.numpy(), np.where(m, 0, g))
        filled = a.detach().masked_fill(mask, -0.0)
        assert np.array_equal(_bits(filled.numpy()), _bits(np.where(
            m, -0.0, x).astype(filled.numpy().dtype)))


# ---- 2. sigmoid and its users ----------------------------------------------------------
def _sigmoid64(v: float) -> float:
    if math.isnan(v):
        return math.nan
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64, tg.float16])
def test_sigmoid_values_and_gradient(dtype):
    x = np.concatenate([SPECIAL, R.standard_normal(5000) * 8, [-88.0, -104.0, 20.0, -20.0]])
    a = tg.tensor(x, dtype=dtype, requires_grad=True)
    y = a.sigmoid()
    y.backward(tg.ones_like(y))
    assert y.dtype == dtype and a.grad.dtype == dtype
    rounded = a.detach().double().numpy()
    expected = np.array([_sigmoid64(v) for v in rounded])
    tol = {tg.float16: 1e-3, tg.float32: 3e-7, tg.float64: 1e-15}[dtype]
    if dtype == tg.float16:  # (computed in float32, rounded once)
        expected = expected.astype(np.float16).astype(np.float64)
    np.testing.assert_allclose(y.double().numpy(), expected, rtol=tol, atol=1e-45)
    # (the gradient y (1 - y) is rounded in the dtype: absolute error ~ its epsilon)
    np.testing.assert_allclose(a.grad.double().numpy(), expected * (1 - expected),
                               rtol=tol * 8, atol=tol)
    if torch is not None:
        t = torch.tensor(a.detach().numpy(), requires_grad=True)
        ty = torch.sigmoid(t)
        ty.backward(torch.ones_like(ty))
        finite = np.abs(rounded) < 80  # (torch flushes sigmoid(-100) to 0, this gives 3.8e-44)
        np.testing.assert_allclose(y.numpy()[finite], ty.detach().numpy()[finite], rtol=tol * 4,
                                   atol=1e-7)
        np.testing.assert_allclose(a.grad.numpy()[finite], t.grad.numpy()[finite],
                                   rtol=tol * 8, atol=1e-7)


def test_sigmoid_of_integers_and_bools_is_float32():
    out = tg.tensor([-3, 0, 5]).sigmoid()
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy(), [_sigmoid64(-3), 0.5, _sigmoid64(5)], rtol=1e-7)
    assert tg.tensor([True, False]).sigmoid().tolist() == [pytest.approx(_sigmoid64(1)), 0.5]


@pytest.mark.parametrize("name", ["silu", "softplus", "logsigmoid", "elu", "selu",
                                  "leaky_relu", "mish", "bce_logits", "huber", "smooth_l1"])
def test_users_match_torch_values_and_gradients(name):
    x = np.concatenate([R.standard_normal(6000) * 4, [0.0, -0.0, 1000.0, -1000.0, 25.0, -25.0,
                                                      1.0, -1.0, 1e-30]])
    target = R.standard_normal(x.shape)
    calls = {
        "silu": lambda m, a, t: m.nn.functional.silu(a),
        "softplus": lambda m, a, t: m.nn.functional.softplus(a, beta=2.0, threshold=10.0),
        "logsigmoid": lambda m, a, t: m.nn.functional.logsigmoid(a),
        "elu": lambda m, a, t: m.nn.functional.elu(a, alpha=0.7),
        "selu": lambda m, a, t: m.nn.functional.selu(a),
        "leaky_relu": lambda m, a, t: m.nn.functional.leaky_relu(a, 0.3),
        "mish": lambda m, a, t: m.nn.functional.mish(a),
        "bce_logits": lambda m, a, t: m.nn.functional.binary_cross_entropy_with_logits(
            a, (t > 0).to(a.dtype), reduction="none"),
        "huber": lambda m, a, t: m.nn.functional.huber_loss(a, t, reduction="none", delta=0.5),
        "smooth_l1": lambda m, a, t: m.nn.functional.smooth_l1_loss(a, t, reduction="none",
                                                                   beta=0.5),
    }
    for dtype in (np.float32, np.float64):
        a = tg.tensor(x.astype(dtype), requires_grad=True)
        out = calls[name](tg, a, tg.tensor(target.astype(dtype)))
        g = R.standard_normal(out.shape).astype(dtype)
        out.backward(tg.tensor(g))
        assert out.dtype == a.dtype and a.grad.dtype == a.dtype
        assert np.isfinite(out.numpy()).all() and np.isfinite(a.grad.numpy()).all()
        if torch is None:
            continue
        t = torch.tensor(x.astype(dtype), requires_grad=True)
        ty = calls[name](torch, t, torch.tensor(target.astype(dtype)))
        ty.backward(torch.tensor(g))
        tol = 2e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(out.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def test_literal_values_of_the_new_forms():
    # softplus(x) = log(1 + e^x), logsigmoid = -softplus(-x), silu = x sigmoid(x), in float64
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 30.0, 1000.0])
    soft = [math.log1p(math.exp(v)) if v < 30 else v + math.log1p(math.exp(-v)) for v in x]
    np.testing.assert_allclose(F.softplus(tg.tensor(x), threshold=1e9).numpy(), soft,
                               rtol=1e-15)
    np.testing.assert_allclose(F.logsigmoid(tg.tensor(x)).numpy(),
                               [-math.log1p(math.exp(-v)) if v > -30 else v - math.log1p(
                                   math.exp(v)) for v in x], rtol=1e-15)
    np.testing.assert_allclose(F.silu(tg.tensor(x)).numpy(), [v * _sigmoid64(v) for v in x],
                               rtol=1e-15)
    leaky = F.leaky_relu(tg.tensor(np.array([-2.0, 0.0, 3.0], np.float32)), 0.1)
    assert leaky.dtype == tg.float32 and leaky.tolist() == [np.float32(-2.0) * np.float32(0.1),
                                                            0.0, 3.0]
    assert F.leaky_relu(tg.tensor([-2.0, 0.0, 3.0], dtype=tg.float64), 0.5).tolist() == [
        -1.0, 0.0, 3.0]


@pytest.mark.parametrize("dtype", FLOATS)
def test_logaddexp_matches_numpy_at_special_values(dtype):
    a = R.choice(SPECIAL, (60, 70)).astype(dtype)
    b = R.choice(SPECIAL, (60, 70)).astype(dtype)
    with np.errstate(all="ignore"):
        expected = np.logaddexp(a, b)
    got = xp.logaddexp(a, b)
    assert got.dtype == expected.dtype
    tol = {np.float16: 0.0, np.float32: 1e-6, np.float64: 1e-15}[dtype]  # (ulps: NumPy's
    np.testing.assert_allclose(got, expected, rtol=tol, atol=1e-44)      # scalar log1p)
    x = R.standard_normal((80, 80)).astype(dtype) * 30
    atol = tol * 30 / 4
    np.testing.assert_allclose(xp.logaddexp(x, x.T), np.logaddexp(x, x.T), rtol=tol, atol=atol)
    np.testing.assert_allclose(xp.logaddexp(0, x), np.logaddexp(0, x), rtol=tol, atol=atol)


def test_tensor_logaddexp_values_and_gradients():
    inf = math.inf
    a = tg.tensor([inf, -inf, inf, -inf, 1.0, 1000.0, -1000.0, 0.5], requires_grad=True)
    b = tg.tensor([inf, -inf, -inf, 3.0, 1.0, 1000.0, -1000.0, -0.25], requires_grad=True)
    out = tg.logaddexp(a, b)
    out.sum().backward()
    expected = [inf, -inf, inf, 3.0, 1 + math.log(2), 1000 + math.log(2), -1000 + math.log(2),
                0.5 + math.log1p(math.exp(-0.75))]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-7)
    np.testing.assert_allclose(a.grad.numpy()[4:], [0.5, 0.5, 0.5, _sigmoid64(0.75)],
                               rtol=1e-6)
    if torch is not None:
        ta = torch.tensor(a.detach().numpy(), requires_grad=True)
        tb = torch.tensor(b.detach().numpy(), requires_grad=True)
        torch.logaddexp(ta, tb).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-6)


# ---- 3. average pooling of adjacent blocks ----------------------------------------------
def _block_mean(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """The reference: each output the float64 mean of its block, by Python loops."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, h // kh, w // kw))
    for i in range(h // kh):
        for j in range(w // kw):
            out[:, :, i, j] = x[:, :, i * kh:(i + 1) * kh, j * kw:(j + 1) * kw].astype(
                np.float64).mean(axis=(2, 3))
    return out


@pytest.mark.parametrize(("shape", "kernel"), [
    ((2, 3, 28, 28), (28, 28)), ((2, 3, 28, 28), (4, 4)), ((2, 3, 29, 27), (2, 2)),
    ((2, 3, 30, 31), (3, 5)), ((1, 2, 5, 40), (1, 20)), ((2, 1, 6, 6), (6, 1))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool2d_blocks_values_and_gradient(shape, kernel, dtype):
    x = R.standard_normal(shape).astype(dtype)
    a = tg.tensor(x, requires_grad=True)
    out = F.avg_pool2d(a, kernel)
    g = R.standard_normal(out.shape).astype(dtype)
    out.backward(tg.tensor(g))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    assert out.dtype == a.dtype and a.grad.dtype == a.dtype
    np.testing.assert_allclose(out.numpy(), _block_mean(x, *kernel), rtol=tol, atol=tol)
    kh, kw = kernel
    expected = np.zeros(shape)  # each block's gradient / its size; rows past the blocks 0
    oh, ow = shape[2] // kh, shape[3] // kw
    expected[:, :, :oh * kh, :ow * kw] = np.repeat(np.repeat(g, kh, 2), kw, 3) / (kh * kw)
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=tol, atol=tol)
    if torch is not None:
        t = torch.tensor(x, requires_grad=True)
        ty = torch.nn.functional.avg_pool2d(t, kernel)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def test_global_and_adaptive_average_pools():
    x = R.standard_normal((3, 4, 14, 21)).astype(np.float32)
    cases = [(lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, 1), _block_mean(x, 14, 21)),
             (lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, (7, 3)), _block_mean(x, 2, 7)),
             (lambda m, a: m.nn.AdaptiveAvgPool2d((1, 1))(a), _block_mean(x, 14, 21))]
    for call, expected in cases:
        a = tg.tensor(x, requires_grad=True)
        out = call(tg, a)
        out.sum().backward()
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)
        size = 14 * 21 // (expected.shape[2] * expected.shape[3])
        np.testing.assert_allclose(a.grad.numpy(), np.full(x.shape, 1 / size), rtol=1e-6)
    x3 = R.standard_normal((2, 3, 4, 6, 8)).astype(np.float32)
    a = tg.tensor(x3, requires_grad=True)
    out = F.avg_pool3d(a, 2)
    out.sum().backward()
    expected = x3.reshape(2, 3, 2, 2, 3, 2, 4, 2).astype(np.float64).mean(axis=(3, 5, 7))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(a.grad.numpy(), np.full(x3.shape, 1 / 8), rtol=1e-7)


def test_avg_pool_blocks_edge_cases():
    # float16 (summed in float32), int64 (truncated), a non-contiguous input, inf, overrides
    x = R.standard_normal((2, 3, 8, 8))
    half = F.avg_pool2d(tg.tensor(x, dtype=tg.float16), 4)
    assert half.dtype == tg.float16
    np.testing.assert_allclose(half.float().numpy(), _block_mean(x.astype(np.float16), 4, 4),
                               rtol=1e-3, atol=1e-3)
    ints = F.avg_pool2d(tg.tensor(np.arange(64).reshape(1, 1, 8, 8) - 30), 4)
    assert ints.dtype == tg.int64
    assert ints.tolist() == [[[[-16, -12], [15, 19]]]]  # -16.5, -12.5, 15.5, 19.5 truncated
    base = R.standard_normal((8, 8, 3, 2)).astype(np.float32)
    view = tg.tensor(base).permute(3, 2, 0, 1)  # (2, 3, 8, 8), not contiguous
    np.testing.assert_allclose(F.avg_pool2d(view, 2).numpy(),
                               _block_mean(base.transpose(3, 2, 0, 1), 2, 2), rtol=1e-6,
                               atol=1e-7)
    x = np.ones((1, 1, 4, 4), np.float32)
    x[0, 0, 0, 0] = np.inf
    assert F.avg_pool2d(tg.tensor(x), 2).tolist() == [[[[np.inf, 1.0], [1.0, 1.0]]]]
    over = F.avg_pool2d(tg.tensor(np.ones((1, 1, 4, 4))), 2, divisor_override=3)
    np.testing.assert_allclose(over.numpy(), np.full((1, 1, 2, 2), 4 / 3))
    ceil = F.avg_pool2d(tg.tensor(np.ones((1, 1, 5, 5))), 2, ceil_mode=True)
    assert ceil.shape == (1, 1, 3, 3) and np.allclose(ceil.numpy(), 1.0)
    unbatched = F.avg_pool2d(tg.tensor(np.arange(16.0).reshape(1, 4, 4)), 2)
    assert unbatched.tolist() == [[[2.5, 4.5], [10.5, 12.5]]]


def test_avg_pool_blocks_double_backward():
    x = R.standard_normal((1, 2, 4, 6))
    a = tg.tensor(x, requires_grad=True)
    (g,) = tg.autograd.grad(F.avg_pool2d(a, 2).pow(2).sum(), a, create_graph=True)
    g.sum().backward()
    # d/dx sum_x(grad) with grad = 2 mean / 4 spread: each block's sum of grads is 2 mean,
    # whose derivative by each of its 4 elements is 2 / 4
    np.testing.assert_allclose(a.grad.numpy(), np.full(x.shape, 0.5))
    means = _block_mean(x, 2, 2)
    np.testing.assert_allclose(g.detach().numpy(), np.repeat(np.repeat(means, 2, 2), 2, 3) / 2)


# ---- 4. softmax and log_softmax of float16 in float32 -----------------------------------
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, -1])
def test_half_softmax_is_float32_rounded_once(name, dim):
    # (70 columns: PyTorch's kernel over a dim with fewer than 64 elements after it stores
    # exp as float16 first, which tests/test_round17_o.py checks)
    x = (R.standard_normal((37, 70)) * 5).astype(np.float16)
    g = R.standard_normal((37, 70)).astype(np.float16)
    a = tg.tensor(x, requires_grad=True)
    out = getattr(a, name)(dim)
    out.backward(tg.tensor(g))
    assert out.dtype == tg.float16 and a.grad.dtype == tg.float16
    # the reference: float64 from the float16 values, rounded to float16 once
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    shifted = x64 - x64.max(axis=dim, keepdims=True)
    log_y = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    y = np.exp(log_y)
    if name == "softmax":
        expected, grad = y, y * (g64 - (g64 * y).sum(axis=dim, keepdims=True))
    else:
        expected, grad = log_y, g64 - y * g64.sum(axis=dim, keepdims=True)
    spacing = np.spacing(np.abs(expected).astype(np.float16)).astype(np.float64)
    if name == "log_softmax" and dim == -1:  # round 19: PyTorch's last-dim kernel rounds the
        spacing = np.maximum(spacing * 8, 1e-3)  # sum and its log to float16 (bit for bit
        # with PyTorch in test_round19_numerics.py; the log of a half-rounded sum near 1)
    assert (np.abs(out.numpy().astype(np.float64) - expected) <= spacing).all()  # <= 1 ulp
    np.testing.assert_allclose(a.grad.numpy().astype(np.float64), grad, rtol=2e-3, atol=2e-3)
    if torch is not None:
        t = torch.tensor(x, requires_grad=True)
        ty = getattr(t, name)(dim)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy().astype(np.float64),
                                   ty.detach().numpy().astype(np.float64), rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(a.grad.numpy().astype(np.float64),
                                   t.grad.numpy().astype(np.float64), rtol=4e-3, atol=4e-3)


def test_half_softmax_double_backward_and_extremes():
    a = tg.tensor(np.array([[1000.0, -1000.0, 0.0], [-np.inf, 0.0, 1.0]], np.float16),
                  requires_grad=True)
    y = a.softmax(-1)
    assert y.dtype == tg.float16 and np.isfinite(y.numpy()).all()
    np.testing.assert_allclose(y.numpy()[0], [1.0, 0.0, 0.0])
    (g,) = tg.autograd.grad((y * y).sum(), a, create_graph=True)
    assert g.dtype == tg.float16
    g.sum().backward()
    assert a.grad.dtype == tg.float16


# ---- 5. float32 erf (and so GELU): a polynomial below |x| = 2 -----------------------------
def test_float32_erf_within_an_ulp_of_math_erf():
    grid = np.concatenate([np.linspace(-7, 7, 40001), np.logspace(-45, 0.9, 3000),
                           -np.logspace(-45, 0.9, 3000),
                           [2.0, -2.0, 1.9999999, 2.0000002, 6.0, -6.0, 3.92, 1e-38, 0.5]])
    x = grid.astype(np.float32).reshape(-1, 5)[:, ::-1]  # (2-D, not contiguous, > a block)
    out = tg.tensor(x).erf()
    assert out.dtype == tg.float32 and out.shape == x.shape
    exact = np.vectorize(lambda v: math.erf(float(v)))(x)
    spacing = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert (np.abs(out.numpy().astype(np.float64) - exact) <= spacing).all()
    special = tg.tensor(np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], np.float32)).erf()
    assert np.isnan(special.numpy()[0]) and special.tolist()[1:] == [1.0, -1.0, 0.0, 0.0]
    assert np.signbit(special.numpy()[3]) and not np.signbit(special.numpy()[4])
    assert tg.tensor(np.float32(0.5)).erf().shape == ()
    assert tg.tensor(np.zeros((0, 3), np.float32)).erf().shape == (0, 3)


def test_gelu_matches_torch():
    x = np.concatenate([R.standard_normal(20000) * 3, [0.0, -0.0, 2.0, -2.0, 6.0, -6.0, 10.0,
                                                        -10.0, 1e-30, 1.9999999]])
    x = x.astype(np.float32).reshape(-1, 10)
    g = R.standard_normal(x.shape).astype(np.float32)
    a = tg.tensor(x, requires_grad=True)
    out = F.gelu(a)
    out.backward(tg.tensor(g))
    erf = np.vectorize(lambda v: math.erf(float(v) / math.sqrt(2)))(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(out.numpy(), x64 * 0.5 * (1 + erf), rtol=1e-6, atol=1e-7)
    slope = 0.5 * (1 + erf) + x64 * np.exp(-0.5 * x64 * x64) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(a.grad.numpy(), g * slope, rtol=1e-5, atol=1e-6)
    if torch is not None:
        t = torch.tensor(x, requires_grad=True)
        ty = torch.nn.functional.gelu(t)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---- 6. CTC's recursions without np.pad ---------------------------------------------------
def _ctc_reference(log_probs: np.ndarray, target: list, blank: int = 0) -> float:
    """-log of the summed probability of all alignments, by brute-force dynamic programming
    over the extended label sequence in Python floats (one sequence)."""
    ext = [blank]
    for label in target:
        ext += [label, blank]
    alpha = [-math.inf] * len(ext)
    alpha[0] = log_probs[0, ext[0]]
    if len(ext) > 1:
        alpha[1] = log_probs[0, ext[1]]

    def lse(*v: float) -> float:
        top = max(v)
        return top if top == -math.inf else top + math.log(sum(math.exp(u - top) for u in v))

    for t in range(1, len(log_probs)):
        new = []
        for s in range(len(ext)):
            terms = [alpha[s]] + ([alpha[s - 1]] if s else [])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                terms.append(alpha[s - 2])
            new.append(lse(*terms) + log_probs[t, ext[s]])
        alpha = new
    return -lse(*alpha[-2:]) if len(ext) > 1 else -alpha[-1]


def test_ctc_loss_matches_brute_force_and_torch():
    steps, batch, classes = 12, 4, 5
    x = R.standard_normal((steps, batch, classes))
    targets = np.array([[1, 2, 2, 3], [4, 4, 1, 0], [2, 0, 0, 0], [3, 1, 4, 2]])
    target_lengths = np.array([4, 3, 1, 4])
    input_lengths = np.array([12, 9, 5, 12])
    a = tg.tensor(x, requires_grad=True)
    log_probs = F.log_softmax(a, -1)
    loss = F.ctc_loss(log_probs, tg.tensor(targets), tg.tensor(input_lengths),
                      tg.tensor(target_lengths), reduction="none")
    lp = log_probs.detach().numpy()
    expected = [_ctc_reference(lp[:input_lengths[n], n], list(targets[n, :target_lengths[n]]))
                for n in range(batch)]
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    loss.sum().backward()
    assert np.isfinite(a.grad.numpy()).all()
    assert np.allclose(a.grad.numpy()[9:, 1], 0) and np.allclose(a.grad.numpy()[5:, 2], 0)
    if torch is not None:
        t = torch.tensor(x, requires_grad=True)
        tl = torch.nn.functional.ctc_loss(torch.log_softmax(t, -1), torch.tensor(targets),
                                          torch.tensor(input_lengths),
                                          torch.tensor(target_lengths), reduction="none")
        tl.sum().backward()
        np.testing.assert_allclose(loss.numpy(), tl.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-10)


# ---- 7. two-operand einsum of large float operands goes through BLAS ----------------------
@pytest.mark.parametrize(("equation", "shapes"), [
    ("ij,kj->ik", [(64, 96), (80, 96)]), ("bij,bjk->bik", [(4, 40, 30), (4, 30, 50)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 20, 16), (2, 3, 24, 16)]), ("ij,jk", [(70, 80), (80, 60)]),
    ("...ij,...jk->...ik", [(3, 1, 30, 40), (5, 40, 30)]), ("ij,ij->i", [(90, 80), (90, 80)]),
    ("i,j->ij", [(300,), (200,)]), ("ii,ij->j", [(70, 70), (70, 90)]),
    ("bij,jk->bki", [(6, 30, 40), (40, 20)])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_two_operand_einsum_values_and_gradients(equation, shapes, dtype):
    arrays = [R.standard_normal(shape).astype(dtype) for shape in shapes]
    arrays[1] = np.asfortranarray(arrays[1]) if arrays[1].ndim == 2 else arrays[1]
    tensors = [tg.tensor(a, requires_grad=True) for a in arrays]
    out = tg.einsum(equation, *tensors)
    g = R.standard_normal(out.shape).astype(dtype)
    out.backward(tg.tensor(g))
    assert out.dtype == tensors[0].dtype
    tol = 2e-5 if dtype == np.float32 else 1e-12
    wide = [a.astype(np.float64) for a in arrays]
    np.testing.assert_allclose(out.numpy(), np.einsum(equation, *wide), rtol=tol, atol=tol)
    for k, t in enumerate(tensors):  # d out / d a_k by an einsum of g and the other, in float64
        bumped = [w.copy() for w in wide]
        direction = R.standard_normal(wide[k].shape)
        bumped[k] = bumped[k] + 1e-6 * direction
        change = (np.einsum(equation, *bumped) - np.einsum(equation, *wide)) / 1e-6
        np.testing.assert_allclose((t.grad.numpy() * direction).sum(), (change * g).sum(),
                                   rtol=1e-4, atol=1e-4)
    if torch is not None:
        tt = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in arrays]
        ty = torch.einsum(equation, *tt)
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(out.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
        for t, u in zip(tensors, tt):
            np.testing.assert_allclose(t.grad.numpy(), u.grad.numpy(), rtol=tol, atol=tol)


def test_einsum_integers_and_half_keep_their_paths():
    a = np.arange(96 * 80).reshape(96, 80) % 7
    out = tg.einsum("ij,kj->ik", tg.tensor(a), tg.tensor(a))
    assert out.dtype == tg.int64
    np.testing.assert_array_equal(out.numpy(), a @ a.T)
    h = (R.standard_normal((64, 80)) * 0.1).astype(np.float16)
    half = tg.einsum("ij,kj->ik", tg.tensor(h), tg.tensor(h))
    assert half.dtype == tg.float16
    np.testing.assert_allclose(half.numpy().astype(np.float64),
                               h.astype(np.float64) @ h.astype(np.float64).T, atol=2e-3)
