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


# ---- 2, 6, 9. float16 activations computed in float32 (as PyTorch) --------------------------

_HALF_CASES = [(-20.0, 5000.0), (-12.0, 8000.0), (-100.0, 1000.0), (-65504.0, 2.0), (3.0, 7.0)]


def _half_expected(name):
    """float64 derivatives times the upstream gradients (the float32 result rounds to these)."""
    x, up = (np.array(v) for v in zip(*_HALF_CASES))
    s = np.exp(-np.logaddexp(0, -x))
    softplus = np.logaddexp(0, x)
    slope = {"silu": s * (1 + x * (1 - s)), "softplus": s,
             "mish": np.tanh(softplus) + x * s / np.cosh(softplus) ** 2}[name]
    return np.float16(slope * up)


@pytest.mark.parametrize("name", ["silu", "mish", "softplus"])
def test_float16_activation_gradients_are_computed_in_float32(name):
    xs, ups = zip(*_HALF_CASES)

    def run(lib):
        return _grad_of(lib, lambda lib, x: getattr(lib.nn.functional, name)(x), [list(xs)],
                        "float16", list(ups))

    value, (grad,) = run(tg)
    assert grad.dtype == np.float16 and value.dtype == np.float16
    _same(grad, _half_expected(name), rtol=2e-3)
    if torch is not None:
        expected, (expected_grad,) = run(torch)
        _same(value, expected, rtol=1e-3)
        _same(grad, expected_grad, rtol=1e-3)


def test_float16_silu_forward_keeps_tiny_values():
    y = F.silu(tg.tensor([-20.0], dtype=tg.float16))
    assert y.dtype == tg.float16
    _same(y.numpy(), [-5.960464477539063e-08])  # -20 sigmoid(-20) = -4.1e-8, rounded in float16


def test_hardswish_float16_does_not_overflow_and_passes_nan_gradient():
    x = tg.tensor([30000.0, 60000.0, 65504.0, -65504.0], dtype=tg.float16, requires_grad=True)
    y = F.hardswish(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [30000.0, 60000.0, 65504.0, -0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0, 0.0])
    x = tg.tensor([np.nan, -3.0, 3.0, -INF, INF, 1.5], dtype=tg.float64, requires_grad=True)
    F.hardswish(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    if torch is not None:
        t = torch.tensor([np.nan, -3.0, 3.0, -INF, INF, 1.5], dtype=torch.float64,
                         requires_grad=True)
        torch.nn.functional.hardswish(t).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_hardswish_float32_keeps_pytorch_overflow():
    y = F.hardswish(tg.tensor([3e38], dtype=tg.float32))
    assert y.numpy()[0] == INF  # PyTorch computes x * 6 in float32 too


@pytest.mark.parametrize("weight", [0.5, 0.7, "tensor"])
def test_lerp_float16_is_computed_in_float32(weight):
    def run(lib):
        start = lib.tensor([60000.0, 1.0], dtype=lib.float16)
        w = lib.tensor([0.5, 0.25], dtype=lib.float16) if weight == "tensor" else weight
        return lib.lerp(start, -start, w)

    y = run(tg)
    assert y.dtype == tg.float16
    expected = {0.5: [0.0, 0.0], 0.7: [-24000.0, -0.39990234375], "tensor": [0.0, 0.5]}[weight]
    np.testing.assert_array_equal(y.numpy(), expected)
    if torch is not None:
        np.testing.assert_array_equal(y.numpy(), run(torch).numpy())


def test_lerp_float16_gradients_flow_in_float16():
    def run(lib):
        return _grad_of(lib, lambda lib, a, b, w: lib.lerp(a, b, w),
                        [[1.0, 100.0], [3.0, 0.5], [0.25, 0.75]], "float16")

    value, grads = run(tg)
    assert all(g.dtype == np.float16 for g in grads)
    np.testing.assert_array_equal(grads[2], np.float16([2.0, -99.5]))
    if torch is not None:
        expected, expected_grads = run(torch)
        np.testing.assert_array_equal(value, expected)
        for got, want in zip(grads, expected_grads):
            np.testing.assert_array_equal(got, want)


# ---- 5. addcmul rounded once (fused), and RMSprop(centered) on huge gradients -------------

@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_addcmul_is_rounded_once(dtype):
    values = [[INF, 1.0, 3.0], [1e28, 1e4, 0.1], [1e28, 1e4, 0.3]]

    def run(lib):
        return _grad_of(lib, lambda lib, a, b, c: lib.addcmul(a, b, c, value=-1), values, dtype)

    value, grads = run(tg)
    assert value.dtype == np.dtype(dtype)
    if dtype == "float32":
        assert value[0] == INF  # not inf - inf
    if torch is not None:
        expected, expected_grads = run(torch)
        _same(value, expected)
        for got, want in zip(grads, expected_grads):
            _same(got, want)


def test_addcmul_in_place_and_mixed_dtypes_keep_their_dtype():
    x = tg.ones(3)
    x.addcmul_(tg.ones(3), tg.full((3,), 2.0))
    assert x.dtype == tg.float32 and x.tolist() == [3.0, 3.0, 3.0]
    mixed = tg.addcmul(tg.ones(2), tg.ones(2, dtype=tg.float64), tg.ones(2, dtype=tg.float16))
    assert mixed.dtype == tg.float64
    ints = tg.addcmul(tg.ones(2, dtype=tg.int32), tg.ones(2, dtype=tg.int32),
                      tg.ones(2, dtype=tg.int32), value=2)
    assert ints.dtype == tg.int32 and ints.tolist() == [3, 3]


@pytest.mark.parametrize("grad", [2e19, 2e21, 3e38])
def test_rmsprop_centered_float32_survives_huge_gradients(grad):
    def run(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        opt = lib.optim.RMSprop([p], lr=0.01, centered=True)
        for _ in range(2):
            p.grad = lib.tensor([grad, 1.0])
            opt.step()
        return p.detach().numpy()

    result = run(tg)
    assert np.isfinite(result).all()
    if torch is not None:
        np.testing.assert_allclose(result, run(torch), rtol=1e-6)


# ---- 3. StickBreakingTransform's clipped sigmoid; SigmoidTransform at +-100 ---------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("values", [[-100.0, 100.0, 0.0], [0.0, 50.0, 0.0], [3.0, -2.0, 1.0]])
def test_stick_breaking_clips_its_sigmoid(dtype, values):
    def run(lib):
        transform = lib.distributions.transforms.StickBreakingTransform()
        x = lib.tensor([values], dtype=getattr(lib, dtype), requires_grad=True)
        y = transform(x)
        ladj = transform.log_abs_det_jacobian(x, y)
        ladj.sum().backward()
        return [y.detach().numpy(), ladj.detach().numpy(), x.grad.numpy(),
                transform.inv(y).detach().numpy()]

    got = run(tg)
    assert all(np.isfinite(part).all() for part in got)
    if dtype == "float64" and values[0] == -100.0:
        eps = np.finfo(np.float64).eps
        _same(got[0][0, 2:], [eps / 2, eps / 2], rtol=1e-6)  # 0.5 (1 - (1 - eps)) each
        np.testing.assert_allclose(got[2], [[1.0, -1.0, 0.0]], atol=1e-12)
    if torch is not None:
        rtol = 1e-12 if dtype == "float64" else 1e-5
        for part, want in zip(got, run(torch)):
            np.testing.assert_allclose(part, want, rtol=rtol, atol=1e-6)


def test_sigmoid_transform_at_large_inputs():
    def run(lib):
        transform = lib.distributions.transforms.SigmoidTransform()
        x = lib.tensor([-100.0, 100.0, 0.0, -1000.0, 1000.0], dtype=lib.float64,
                       requires_grad=True)
        y = transform(x)
        ladj = transform.log_abs_det_jacobian(x, y)
        ladj.sum().backward()
        return [y.detach().numpy(), ladj.detach().numpy(), x.grad.numpy(),
                transform.inv(y).detach().numpy()]

    got = run(tg)
    np.testing.assert_allclose(got[1], [-100.0, -100.0, -np.log(4), -1000.0, -1000.0])
    np.testing.assert_allclose(got[2], [1.0, -1.0, 0.0, 1.0, -1.0], atol=1e-15)
    if torch is not None:
        for part, want in zip(got, run(torch)):
            np.testing.assert_allclose(part, want, rtol=1e-12)


# ---- 4. cosine_similarity: norms clamped outside the graph (gradient of the true norm) ----

@pytest.mark.parametrize("a, b, eps", [
    ([1e-9, 0.0], [1e-9, 1e-9], 1e-8), ([0.1, 0.2], [0.3, 0.1], 1.0),
    ([0.0, 0.0], [1.0, 2.0], 1e-8), ([1.0, 2.0], [3.0, -1.0], 1e-8),
    ([0.1, 0.2], [3.0, 1.0], 1.0), ([1e-300, 0.0], [1.0, 0.0], 1e-8)])
def test_cosine_similarity_gradient_below_eps(a, b, eps):
    def run(lib):
        return _grad_of(lib, lambda lib, x, y: lib.nn.functional.cosine_similarity(
            x, y, dim=0, eps=eps), [a, b])

    value, grads = run(tg)
    if eps == 1.0 and b == [0.3, 0.1]:  # d/da of a.b / (1 * 1), the norm's slope a / |a|
        norm = np.hypot(0.1, 0.2)
        _same(grads[0], np.array([0.3, 0.1]) - 0.05 * np.array([0.1, 0.2]) / norm, rtol=1e-12)
    if torch is not None:
        expected, expected_grads = run(torch)
        _same(value, expected, rtol=1e-12)
        for got, want in zip(grads, expected_grads):
            _same(got, want, rtol=1e-12)


# ---- 8. no NumPy RuntimeWarning from library code (pytest turns warnings into errors) ----

def _both(check):
    check(tg)
    if torch is not None:
        check(torch)


def test_clip_grad_norm_of_huge_float32_gradients_is_inf_silently():
    def check(lib):
        p = lib.nn.Parameter(lib.ones(3))
        p.grad = lib.full((3,), 2e19)
        assert lib.nn.utils.clip_grad_norm_([p], 1.0).item() == INF
        assert p.grad.tolist() == [0.0, 0.0, 0.0]
        assert lib.nn.utils.get_total_norm([lib.full((3,), 2e19)]).item() == INF
    _both(check)


def test_rounding_divisions_overflow_silently():
    def check(lib):
        a = lib.tensor([1e30, -1e30, 5.0])
        b = lib.tensor([1e-45, 1e-45, 2.0])
        for result in (lib.floor_divide(a, b), a // b, lib.div(a, b, rounding_mode="floor"),
                       lib.div(a, b, rounding_mode="trunc")):
            assert result.tolist() == [INF, -INF, 2.0]
    _both(check)


def test_narrowing_casts_overflow_silently():
    def check(lib):
        assert lib.tensor(np.array([1e200, -1e200, 1.0]), dtype=lib.float32).tolist() == [
            INF, -INF, 1.0]
        assert lib.as_tensor(np.array([1e200]), dtype=lib.float16).tolist() == [INF]
        half = lib.tensor([INF, -INF, np.nan], dtype=lib.float16)
        assert lib.nan_to_num(half, posinf=1e30, neginf=-1e30).tolist() == [INF, -INF, 0.0]
    _both(check)


def test_weibull_log_prob_at_the_float32_edges_is_silent():
    def run(lib):
        weibull = lib.distributions.Weibull(lib.tensor(1.0), lib.tensor(2.0))
        v = lib.tensor([1e-45, 1e30, 1.0], requires_grad=True)
        lp = weibull.log_prob(v)
        lp.sum().backward()
        return lp.detach().numpy(), v.grad.numpy()

    value, grad = run(tg)
    _same(value[2], np.log(2.0) - 1.0, rtol=1e-6)  # log(k x^(k-1) e^(-x^k)), k = 2, x = 1
    if torch is not None:
        expected, expected_grad = run(torch)
        _same(value, expected, rtol=1e-6)
        _same(grad, expected_grad, rtol=1e-6)


def test_attention_with_huge_scores_and_a_minus_inf_mask_is_silent():
    mask = np.array([[0.0, -INF, -INF], [0.0, 0.0, -INF], [0.0, 0.0, 0.0]])

    def check(lib):
        lib.manual_seed(0)
        attention = lib.nn.MultiheadAttention(4, 2)
        x = lib.full((3, 1, 4), 1e20)
        out, _ = attention(x, x, x, attn_mask=lib.tensor(mask, dtype=lib.float32))
        assert np.isnan(out.detach().numpy()).all()  # inf - inf in the scores: NaN, silently
        q = lib.full((1, 3, 4), 1e20)
        out = lib.nn.functional.scaled_dot_product_attention(
            q, q, q, attn_mask=lib.tensor(mask, dtype=lib.float32))
        assert out.shape == (1, 3, 4)
    _both(check)


# ---- 7. mvlgamma outside its domain: inf, no error (PyTorch 2.13) -----------------------

def test_mvlgamma_outside_its_domain_is_inf():
    def run(lib):
        return _grad_of(lib, lambda lib, x: lib.mvlgamma(x, 2), [[0.5, 0.0, -1.0, 0.3, 2.0]])

    value, (grad,) = run(tg)
    np.testing.assert_array_equal(value[:3], [INF, INF, INF])
    assert tg.special.multigammaln(tg.tensor([0.5, 0.0]), 2).tolist() == [INF, INF]
    if torch is not None:
        expected, (expected_grad,) = run(torch)
        _same(value, expected, rtol=1e-12)
        _same(grad, expected_grad, rtol=1e-12)


# ---- 14. torch._weight_norm and torch.norm_except_dim ------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_weight_norm_private_functions(dim):
    v = [[1.0, 2.0], [3.0, 4.0]]
    g = {0: [[2.0], [3.0]], 1: [[2.0, 3.0]], -1: 2.0}[dim]

    def run(lib):
        return _grad_of(lib, lambda lib, v, g: lib._weight_norm(v, g, dim), [v, g])

    norms = tg.norm_except_dim(tg.tensor(v), 2, dim).numpy()
    expected_norms = {0: [[np.sqrt(5)], [5.0]], 1: [[np.sqrt(10), np.sqrt(20)]],
                      -1: np.sqrt(30)}[dim]
    _same(norms, expected_norms, rtol=1e-6)
    value, grads = run(tg)
    _same(value, np.array(v) * np.array(g) / np.array(expected_norms), rtol=1e-6)
    if torch is not None:
        _same(norms, torch.norm_except_dim(torch.tensor(v), 2, dim).numpy(), rtol=1e-6)
        expected, expected_grads = run(torch)
        _same(value, expected, rtol=1e-12)
        for got, want in zip(grads, expected_grads):  # (a 0 may come out as 5e-17: rounding)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
