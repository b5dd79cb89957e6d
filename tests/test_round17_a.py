"""Round 17 (a): float16 arithmetic with a scalar as PyTorch's CPU kernels compute it.

PyTorch multiplies and divides (true, floor and trunc division) a float16 tensor by a scalar
(a Python or NumPy number, or a 0-d tensor of another dtype, as the second operand) in
float32 and rounds once ("opmath"); add/sub with alpha compute a + alpha * b in float32
(alpha rounded to float16 there, the number itself in the gradient; an alpha or a pow
exponent past 65504 is a RuntimeError); addcdiv/addcmul compute in float32. The ops that
round the scalar to float16 first (+, -, comparisons, clamp, where, fill, %, pow) keep
doing so, and so does a number first in the function forms (`torch.mul(0.1, t)`).
Gradients are the same opmath products, bitwise. Expected values are NumPy's own float32
computations of the rule (and PyTorch's, when installed), compared bit for bit.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

F32, F16 = np.float32, np.float16
N = 10240  # a multiple of PyTorch's vector width: its scalar tail rounds differently


def _halves(seed: int = 0, n: int = N) -> np.ndarray:
    """n random finite float16 values of every magnitude (random bit patterns)."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 0x7C00, n).astype(np.uint16) | (
        rng.integers(0, 2, n).astype(np.uint16) << 15)
    return bits.view(F16)


def _same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    bits = f"u{actual.dtype.itemsize}"
    differ = (actual.view(bits) != expected.view(bits)) & ~(np.isnan(actual) & np.isnan(expected))
    assert not differ.any(), (f"{differ.sum()} differ, e.g. {actual[differ][:3]} vs "
                              f"{expected[differ][:3]}")


def _opmath(values: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(values).astype(F16)


SCALARS = [0.1, 1 / 3, 70000.0, 1e-8, -2.5, 65504.5, 7, 100000]
X = _halves()


# ---- 1. mul / div / floor / trunc with a scalar: in float32, rounded once ------------------
@pytest.mark.parametrize("s", SCALARS)
def test_mul_div_by_a_number_are_computed_in_float32(s):
    x, s32 = X.astype(F32), F32(s)
    t = tg.tensor(X.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow to inf is silent, as PyTorch
        results = {"mul": t * s, "rmul": s * t, "mul()": t.mul(s), "div": t / s,
                   "div()": tg.div(t, s), "floordiv": t // s,
                   "floor": t.div(s, rounding_mode="floor"),
                   "trunc": t.div(s, rounding_mode="trunc"),
                   "mul_": t.clone().mul_(s), "div_": t.clone().div_(s)}
    with np.errstate(all="ignore"):
        expected = {"mul": x * s32, "div": x / s32, "floordiv": np.floor_divide(x, s32),
                    "trunc": np.trunc(x / s32)}
    for name, result in results.items():
        key = {"rmul": "mul", "mul()": "mul", "mul_": "mul", "div()": "div", "div_": "div",
               "floor": "floordiv"}.get(name, name)
        assert result.dtype == tg.float16, name
        _same_bits(result.numpy(), _opmath(expected[key]))
    if torch is not None:
        tt = torch.from_numpy(X.copy())
        for name, theirs in {"mul": tt * s, "rmul": s * tt, "div": tt / s, "floordiv": tt // s,
                             "trunc": tt.div(s, rounding_mode="trunc")}.items():
            _same_bits(results[name].numpy(), theirs.numpy())


def test_the_known_examples():
    t = tg.tensor([0.001], dtype=tg.float16)
    assert (t * 70000).item() == 70.0  # (70000 in float16 is inf)
    assert (70000 * t).item() == 70.0
    assert (tg.tensor([100.0], dtype=tg.float16) / 70000).item() == pytest.approx(0.0014286, 1e-3)
    assert (tg.tensor([2804.0], dtype=tg.float16) * 0.1).item() == 280.5  # (280.25 if rounded)
    assert (tg.tensor([1e-4], dtype=tg.float16) // 1e-8).item() == 10000.0  # (not inf)


@pytest.mark.parametrize("make", [lambda m: m.tensor(0.1), lambda m: m.tensor(0.1, dtype=m.float64),
                                  lambda m: np.float64(0.1), lambda m: m.tensor(3)])
def test_a_0d_tensor_or_numpy_scalar_second_is_a_float32_scalar(make):
    other = make(tg)
    value = F32(other.item() if hasattr(other, "item") else other)
    result = tg.tensor(X.copy()) * other
    assert result.dtype == tg.float16
    _same_bits(result.numpy(), _opmath(X.astype(F32) * value))
    if torch is not None:
        _same_bits(result.numpy(), (torch.from_numpy(X.copy()) * make(torch)).numpy())


def test_a_scalar_first_is_rounded_to_float16_first():
    t = tg.tensor([2804.0, 0.001], dtype=tg.float16)
    assert tg.mul(0.1, t).tolist() == [280.25, float(F16(F32(F16(0.1)) * F32(F16(0.001))))]
    assert tg.mul(70000, t).tolist() == [float("inf")] * 2
    assert (tg.tensor(0.1) * t).tolist()[0] == 280.25  # (self is the 0-d float32 tensor)
    both_0d = tg.tensor(0.5, dtype=tg.float16) * tg.tensor(0.1)  # 0-d and 0-d: float32
    assert both_0d.dtype == tg.float32 and both_0d.item() == pytest.approx(0.05)
    if torch is not None:
        tt = torch.tensor([2804.0, 0.001], dtype=torch.float16)
        assert torch.mul(0.1, tt).tolist() == tg.mul(0.1, t).tolist()
        assert (torch.tensor(0.5, dtype=torch.float16) * torch.tensor(0.1)).dtype == torch.float32


def test_ops_that_round_the_scalar_first_still_do():
    t = tg.tensor([float(F16(0.1)), 0.0, 65504.0, -60000.0], dtype=tg.float16)
    assert (t == 0.1).tolist() == [True, False, False, False]
    assert (t < 1e-8).tolist() == [False, False, False, True]
    assert (t < 65504.5).tolist() == [True, True, False, True]
    assert (t - 70000.0).tolist()[1] == float("-inf")
    assert (t + 1e-8).tolist()[1] == 0.0
    assert tg.where(t > 1, t, 1e-8).tolist()[1] == 0.0
    assert (t.abs() ** 0.1).dtype == tg.float16
    if torch is not None:
        tt = torch.tensor(t.tolist(), dtype=torch.float16)
        for expr in ["t == 0.1", "t < 1e-8", "t < 65504.5", "t - 70000.0", "t + 1e-8",
                     "t.clamp(0.1, 0.2)", "t % 0.3", "t.abs() ** 0.1", "torch.rsub(t, 0.1)"]:
            mine = eval(expr, {"t": t, "torch": tg})
            theirs = eval(expr, {"t": tt, "torch": torch})
            assert mine.tolist() == theirs.tolist(), expr


# ---- 2. gradients: the same opmath products ------------------------------------------------
def _grad(f, *arrays, g):
    inputs = [tg.tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(*inputs)
    out.backward(tg.tensor(g))
    return out, [x.grad.numpy() for x in inputs]


def test_gradients_are_computed_in_float32_and_rounded():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(4096) * 10).astype(F16)
    g = rng.standard_normal(4096).astype(F16)
    g32 = g.astype(F32)
    out, (dx,) = _grad(lambda t: t * 0.1, x, g=g)
    assert out.grad_fn.name() == "MulBackward0" and out.grad_fn.next_functions[1] == (None, 0)
    _same_bits(dx, _opmath(g32 * F32(0.1)))
    _, (dx,) = _grad(lambda t: t / 0.3, x, g=g)
    _same_bits(dx, _opmath(g32 / F32(0.3)))
    _, (dx,) = _grad(lambda t: (t * 1) * 70000, x, g=g)  # through a float16 node
    _same_bits(dx, _opmath(g32 * F32(70000)))
    _, (dx,) = _grad(lambda t: 0.7 / t, x, g=g)  # reciprocal, then * 0.7 (PyTorch's nodes)
    r = (1 / x).astype(F32)
    _same_bits(dx, _opmath(-_opmath(g32 * F32(0.7)).astype(F32) * _opmath(r * r).astype(F32)))
    if torch is not None:
        for f in (lambda t: t * 0.1, lambda t: (t * t) / 0.3, lambda t: 0.7 / t,
                  lambda t: t.div(0.3, rounding_mode="floor") + t):
            tx = torch.tensor(x.copy(), requires_grad=True)
            f(tx).backward(torch.tensor(g.copy()))
            _, (dx,) = _grad(f, x, g=g)
            _same_bits(dx, tx.grad.numpy())


def test_create_graph_through_float16_opmath():
    x = tg.tensor([0.5, -2.0, 3.0], dtype=tg.float16, requires_grad=True)
    (g,) = tg.autograd.grad(((x * 0.1) ** 2).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad((g * 0.3).sum(), x)
    assert g.dtype == h.dtype == tg.float16
    assert g.tolist() == pytest.approx([0.01, -0.04, 0.06], rel=2e-3)
    assert h.tolist() == pytest.approx([0.006] * 3, rel=2e-3)


def test_a_0d_float32_tensor_that_requires_grad_gets_a_float32_gradient():
    x = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float16)
    w = tg.tensor(0.1, requires_grad=True)
    y = x * w
    y.sum().backward()
    assert y.dtype == tg.float16 and w.grad.dtype == tg.float32 and w.grad.item() == 6.0


# ---- 3. add/sub with alpha, rsub, addcdiv/addcmul ------------------------------------------
@pytest.mark.parametrize("alpha", [0.1, 1 / 3, -2.5, 3])
def test_add_sub_with_alpha_in_float32(alpha):
    rng = np.random.default_rng(2)
    x, y = (rng.standard_normal((2, 4096)) * 100).astype(F16)
    g = rng.standard_normal(4096).astype(F16)
    a16 = F32(F16(alpha))
    out, (dx, dy) = _grad(lambda a, b: tg.add(a, b, alpha=alpha), x, y, g=g)
    _same_bits(out.numpy(), _opmath(x.astype(F32) + a16 * y.astype(F32)))
    _same_bits(dx, g)
    _same_bits(dy, _opmath(g.astype(F32) * F32(alpha)))  # the number itself, unrounded
    out, (_, dy) = _grad(lambda a, b: a.sub(b, alpha=alpha), x, y, g=g)
    _same_bits(out.numpy(), _opmath(x.astype(F32) - a16 * y.astype(F32)))
    _same_bits(dy, _opmath(g.astype(F32) * F32(-alpha)))
    number = tg.tensor(x.copy()).add(1.5, alpha=alpha)
    _same_bits(number.numpy(), _opmath(x.astype(F32) + a16 * F32(1.5)))
    in_place = tg.tensor(x.copy())
    in_place.sub_(tg.tensor(y.copy()), alpha=alpha)
    _same_bits(in_place.numpy(), _opmath(x.astype(F32) - a16 * y.astype(F32)))
    _same_bits(tg.rsub(tg.tensor(x.copy()), 2.0, alpha=alpha).numpy(),
               _opmath(F32(2.0) - a16 * x.astype(F32)))
    if torch is not None:
        tx, ty = (torch.tensor(a.copy(), requires_grad=True) for a in (x, y))
        theirs = torch.add(tx, ty, alpha=alpha)
        theirs.backward(torch.tensor(g.copy()))
        _same_bits(tg.add(tg.tensor(x.copy()), tg.tensor(y.copy()), alpha=alpha).numpy(),
                   theirs.detach().numpy())
        _, (_, dy) = _grad(lambda a, b: tg.add(a, b, alpha=alpha), x, y, g=g)
        _same_bits(dy, ty.grad.numpy())


@pytest.mark.parametrize(("call", "op"), [
    (lambda m, t: t.add(t, alpha=70000.0), "add"),
    (lambda m, t: m.sub(t, 1.0, alpha=-65520), "sub"),
    (lambda m, t: t.clone().add_(t, alpha=1e5), "add_"), (lambda m, t: t ** 65504.5, "pow"),
    (lambda m, t: m.pow(t, 1e5), "pow"), (lambda m, t: t.clone().pow_(70000.0), "pow")])
def test_alpha_or_exponent_past_float16s_range_is_refused(call, op):
    t = tg.tensor([0.5, 2.0], dtype=tg.float16)
    with pytest.raises(RuntimeError, match=f"{op}: value .* cannot be converted to float16"):
        call(tg, t)
    assert (t ** 65504.0).tolist() == [0.0, float("inf")]  # (65504 itself is fine)
    if torch is not None:
        with pytest.raises(RuntimeError, match="cannot be converted to type c10::Half"):
            call(torch, torch.tensor([0.5, 2.0], dtype=torch.float16))


def test_addcdiv_and_addcmul_in_float32_rounded_once():
    rng = np.random.default_rng(4)
    x, y = (rng.standard_normal((2, 4096)) * 10).astype(F16)
    z = np.full(4096, 3.0, F16)
    t = [tg.tensor(a.copy()) for a in (x, y, z)]
    x32, y32, z32 = x.astype(F32), y.astype(F32), z.astype(F32)
    for value in (0.1, 70000.0):
        result = tg.addcdiv(*t, value=value)
        _same_bits(result.numpy(), _opmath(x32 + F32(value) * y32 / z32))
    assert tg.addcdiv(tg.tensor([0.001], dtype=tg.float16), tg.tensor([0.001], dtype=tg.float16),
                      tg.tensor([1.001], dtype=tg.float16), value=70000.0).item() == 69.9375
    result = tg.addcmul(*t, value=0.1)  # value * tensor1 in float32, then a fused mul-add
    fused = (F32(0.1) * y32).astype(np.float64) * z32 + x32.astype(np.float64)
    _same_bits(result.numpy(), _opmath(fused.astype(F32)))
    g = rng.standard_normal(4096).astype(F16)
    g32 = g.astype(F32)
    _, (_, dy, dz) = _grad(lambda a, b, c: tg.addcmul(a, b, c, value=0.1), x, y, z, g=g)
    _same_bits(dy, _opmath(g32 * _opmath(z32 * F32(0.1)).astype(F32)))  # g * (t2 * value)
    _same_bits(dz, _opmath(g32 * _opmath(y32 * F32(0.1)).astype(F32)))
    _, (_, dy, dz) = _grad(lambda a, b, c: tg.addcdiv(a, b, c, value=0.1), x, y, z, g=g)
    recip = (F16(1) / z).astype(F32)
    _same_bits(dy, _opmath(g32 * _opmath(recip * F32(0.1)).astype(F32)))  # g * (value / t2)
    scaled = _opmath(y32 * F32(0.1))
    _same_bits(dz, -g * (scaled / (z * z)))  # -g * (value t1 / (t2 t2)), in float16 steps
    if torch is not None:
        for name in ("addcdiv", "addcmul"):
            mine = [tg.tensor(a.copy(), requires_grad=True) for a in (x, y, z)]
            theirs = [torch.tensor(a.copy(), requires_grad=True) for a in (x, y, z)]
            getattr(tg, name)(*mine, value=0.1).backward(tg.tensor(g.copy()))
            out = getattr(torch, name)(*theirs, value=0.1)
            out.backward(torch.tensor(g.copy()))
            _same_bits(getattr(tg, name)(*t, value=0.1).numpy(), out.detach().numpy())
            for a, b in zip(mine, theirs):
                _same_bits(a.grad.numpy(), b.grad.numpy())


# ---- 4. float32 reciprocal's gradient in PyTorch's order: -g * (y * y) ----------------------
def test_reciprocal_gradient_order():
    rng = np.random.default_rng(6)
    a = rng.standard_normal(2048).astype(F32)
    g = rng.standard_normal(2048).astype(F32)
    x = tg.tensor(a.copy(), requires_grad=True)
    x.reciprocal().backward(tg.tensor(g.copy()))
    y = F32(1) / a
    _same_bits(x.grad.numpy(), -g * (y * y))
    if torch is not None:
        tx = torch.tensor(a.copy(), requires_grad=True)
        tx.reciprocal().backward(torch.tensor(g.copy()))
        _same_bits(x.grad.numpy(), tx.grad.numpy())


# ---- 5. float16 activations: computed in float32 and rounded once, as PyTorch's kernels ----
def _ulps(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Distance in float16 steps (finite values of one sign, as here)."""
    a, e = (np.asarray(v, F16).view(np.int16).astype(np.int32) for v in (actual, expected))
    return np.abs(a - e)


ACTIVATIONS = {  # name: (call, float64 reference of the value)
    "leaky_relu": (lambda m, x: m.nn.functional.leaky_relu(x, 0.01),
                   lambda x: np.where(x > 0, x, x * np.float64(F32(0.01)))),
    "elu": (lambda m, x: m.nn.functional.elu(x, 0.3),
            lambda x: np.where(x > 0, x, 0.3 * np.expm1(x))),
    "softplus": (lambda m, x: m.nn.functional.softplus(x, beta=2.0),
                 lambda x: np.logaddexp(0, 2 * x) / 2),
    "hardsigmoid": (lambda m, x: m.nn.functional.hardsigmoid(x),
                    lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "sigmoid": (lambda m, x: m.sigmoid(x), lambda x: 1 / (1 + np.exp(-x))),
    "gelu_tanh": (lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    "sinc": (lambda m, x: m.sinc(x), lambda x: np.sinc(x)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_float16_activations_round_once(name):
    call, reference = ACTIVATIONS[name]
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(4096) * 3).astype(F16)
    result = call(tg, tg.tensor(x.copy()))
    assert result.dtype == tg.float16
    expected = reference(x.astype(np.float64)).astype(F16)
    close = np.abs(result.numpy().astype(np.float64) - expected) <= 1e-6  # (tiny values)
    assert (close | (_ulps(result.numpy(), expected) <= 1)).all()  # (was up to 3881 ulps)
    if torch is not None and name in ("leaky_relu", "elu", "softplus", "hardsigmoid", "sigmoid"):
        _same_bits(result.numpy(), call(torch, torch.from_numpy(x.copy())).numpy())


def test_float16_activation_gradients():
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(4096) * 3).astype(F16)
    g = rng.standard_normal(4096).astype(F16)
    out, (dx,) = _grad(lambda t: tg.nn.functional.leaky_relu(t, 0.01), x, g=g)
    _same_bits(dx, _opmath(np.where(x > 0, g.astype(F32), g.astype(F32) * F32(0.01))))
    out, (dx,) = _grad(tg.sigmoid, x, g=g)  # PyTorch: (g * (1 - y)) * y, in float16 steps
    y = out.numpy()
    _same_bits(dx, (g * (F16(1) - y)).astype(F16) * y)
    out, (dx,) = _grad(tg.tanh, x, g=g)  # g * (1 - y * y) in float32, rounded once
    y = out.numpy().astype(F32)
    _same_bits(dx, _opmath(g.astype(F32) * (1 - y * y)))
    x32, g32 = x.astype(F32), g.astype(F32)
    out, (dx,) = _grad(tg.sigmoid, x32, g=g32)  # float32: PyTorch's g * (1 - y) * y
    y = out.numpy()
    _same_bits(dx, g32 * (1 - y) * y)
    if torch is not None:
        for f in (lambda m, t: m.sigmoid(t), lambda m, t: m.tanh(t),
                  lambda m, t: m.nn.functional.elu(t, 0.3)):  # (softplus's: 1 ulp at times)
            tx = torch.tensor(x.copy(), requires_grad=True)
            f(torch, tx).backward(torch.tensor(g.copy()))
            _, (dx,) = _grad(lambda t, f=f: f(tg, t), x, g=g)
            _same_bits(dx, tx.grad.numpy())


# ---- 6. rsqrt and x ** n: PyTorch's order of the gradient's products (float32 too) ---------
@pytest.mark.parametrize("dtype", [F16, F32])
def test_rsqrt_and_power_gradients_in_pytorchs_order(dtype):
    rng = np.random.default_rng(9)
    x = (np.abs(rng.standard_normal(4096)) * 3 + 0.01).astype(dtype)
    g = rng.standard_normal(4096).astype(dtype)
    wide = x.astype(F32)
    out, (dx,) = _grad(tg.rsqrt, x, g=g)
    _same_bits(out.numpy(), (1 / np.sqrt(wide)).astype(dtype))
    y = out.numpy().astype(F32)
    _same_bits(dx, (g * dtype(-0.5)) * (y * y * y).astype(dtype))  # (g * -0.5) * y**3
    _, (dx,) = _grad(lambda t: t**3, x, g=g)
    _same_bits(dx, g * (dtype(3) * (wide * wide).astype(dtype)))  # g * (3 * x**2)
    _, (dx,) = _grad(lambda t: t**0.1, x, g=g)
    power = (wide ** F32(-0.9)).astype(dtype).astype(F32)
    expected = g * _opmath(F32(0.1) * power) if dtype is F16 else g * (F32(0.1) * power)
    np.testing.assert_allclose(dx.astype(np.float64), expected.astype(np.float64), rtol=2e-3)
    if torch is not None:
        for f in (torch.rsqrt, lambda t: t**3):  # (t ** 0.1: PyTorch's pow is not libm's)
            tx = torch.tensor(x.copy(), requires_grad=True)
            f(tx).backward(torch.tensor(g.copy()))
            name = {torch.rsqrt: tg.rsqrt}.get(f, f)
            _, (dx,) = _grad(name, x, g=g)
            _same_bits(dx, tx.grad.numpy())


# ---- 7. add/sub's alpha checked as PyTorch ---------------------------------------------------
@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda m: m.ones(2).add(m.ones(2), alpha=True), RuntimeError, "Boolean alpha only"),
    (lambda m: m.ones(2, dtype=m.int64).add(m.ones(2, dtype=m.int64), alpha=True), RuntimeError,
     "Boolean alpha only"),
    (lambda m: m.ones(2).clone().sub_(m.ones(2), alpha=True), RuntimeError, "Boolean alpha only"),
    (lambda m: m.add(m.ones(2), 1, alpha=True), RuntimeError, "Boolean alpha only"),
    (lambda m: m.ones(2).add(m.ones(2), alpha=2 + 1j), RuntimeError, "alpha must not be a complex"),
    (lambda m: m.ones(2).add(m.ones(2), alpha="x"), TypeError, "argument 'alpha' must be Number"),
    (lambda m: m.ones(2).sub(m.ones(2), alpha=None), TypeError, "argument 'alpha' must be Number"),
])
def test_alpha_checks(call, error, match):
    with pytest.raises(error, match=match):
        call(tg)
    if torch is not None:
        with pytest.raises(error):
            call(torch)


def test_valid_alphas_still_work():
    b = tg.tensor([True, False])
    assert b.add(b, alpha=True).tolist() == [True, False]
    assert tg.ones(2).add(tg.ones(2), alpha=tg.tensor(2.0)).tolist() == [3.0, 3.0]
    assert tg.ones(2).add(tg.ones(2), alpha=np.float32(0.5)).tolist() == [1.5, 1.5]
    assert tg.ones(2, dtype=tg.int64).sub(tg.ones(2, dtype=tg.int64), alpha=3).tolist() == [-2, -2]


# ---- 8. integer and bool tensors with float numbers: cast to float32 first, as PyTorch -------
def test_integer_reciprocal_and_number_over_integers_cast_first():
    t = tg.tensor([16777217, 641735758, -1394716357])
    wide = np.array([16777217, 641735758, -1394716357]).astype(F32)  # (rounded first)
    _same_bits(t.reciprocal().numpy(), F32(1) / wide)
    _same_bits((0.1 / t).numpy(), (F32(1) / wide) * F32(0.1))
    assert t.exp().dtype == tg.float32 and tg.tensor([True]).reciprocal().dtype == tg.float32
    if torch is not None:
        tt = torch.tensor([16777217, 641735758, -1394716357])
        _same_bits(t.reciprocal().numpy(), tt.reciprocal().numpy())
        _same_bits((0.1 / t).numpy(), (0.1 / tt).numpy())


def test_bool_tensor_with_a_float_number_computes_in_float32():
    b = tg.tensor([True, False])
    assert (b + 16777217.0).tolist() == [16777216.0, 16777216.0]  # (float64 gave 16777218)
    assert (b // (1 / 3)).tolist() == [2.0, 0.0]  # 1 / 0.33333334f is 2.9999998
    _same_bits((b % 0.1).numpy(), np.fmod(np.array([1, 0], F32), F32(0.1)))
    _same_bits((b / 16777217.0).numpy(), np.array([1, 0], F32) / F32(16777217.0))
    assert (b * 0.5).dtype == tg.float32 and (b * 2).dtype == tg.int64
    with pytest.raises(RuntimeError, match="bool"):
        b - 0.5
    if torch is not None:
        tb = torch.tensor([True, False])
        for expr in ("t + 16777217.0", "t // (1 / 3)", "t % 0.1", "t / 16777217.0", "0.3 * t"):
            assert eval(expr, {"t": b}).tolist() == eval(expr, {"t": tb}).tolist(), expr
