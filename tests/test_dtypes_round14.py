"""Round 14: integer, bool and float16 dtype semantics of elementwise ops, as PyTorch's. PyTorch
computes the result dtype first (0-d tensors and Python numbers are weak operands of their
kind), casts every operand to it, then computes; NumPy computes wider and the result used to
be cast after, which differs when values do not fit. Each test runs on tinygrad_np and, when
installed, on PyTorch, against the same fixed expected values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def _check(result, values, dtype: str) -> None:
    assert _dtype_name(result.dtype) == dtype
    got = result.tolist()
    assert [str(v) for v in np.ravel(got)] == [str(v) for v in np.ravel(values)], got


def u8(lib, values):
    return lib.tensor(values, dtype=lib.uint8)


# A1. A 0-d integer tensor that does not fit the result dtype wraps into it first.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    (lambda L: L.maximum(u8(L, [7, 3, 200]), L.tensor(300)), [44, 44, 200], "uint8"),
    (lambda L: L.minimum(u8(L, [7, 3, 200]), L.tensor(-4)), [7, 3, 200], "uint8"),
    (lambda L: u8(L, [7, 3, 200]) <= L.tensor(-4), [True, True, True], "bool"),
    (lambda L: u8(L, [7, 3, 200]) // L.tensor(-1), [0, 0, 0], "uint8"),
    (lambda L: L.tensor([1, 5], dtype=L.int32) < L.tensor(2**32 + 3), [True, False], "bool"),
    (lambda L: L.tensor([100, -100], dtype=L.int8) == L.tensor(356), [True, False], "bool"),
    (lambda L: L.clamp(L.tensor([100, -100], dtype=L.int8), max=L.tensor(300)), [44, -100],
     "int8"),
    (lambda L: u8(L, [1, 2]) < L.tensor(-3), [True, True], "bool"),
    (lambda L: u8(L, [1, 2]) >= L.tensor(-3), [False, False], "bool"),
    (lambda L: u8(L, [0, 200]) // L.tensor(-3), [0, 0], "uint8"),
    (lambda L: u8(L, [0, 200]) % L.tensor(-3), [0, 200], "uint8"),
    (lambda L: L.fmod(u8(L, [0, 200]), L.tensor(-3)), [0, 200], "uint8"),
    (lambda L: L.div(u8(L, [0, 200]), L.tensor(-3), rounding_mode="floor"), [0, 0], "uint8"),
    (lambda L: L.div(u8(L, [0, 200]), L.tensor(-3), rounding_mode="trunc"), [0, 0], "uint8"),
    (lambda L: u8(L, [1, 2]) ** L.tensor(-3), [1, 0], "uint8"),
    (lambda L: L.clamp(u8(L, [1, 2]), L.tensor(-3)), [253, 253], "uint8"),
    (lambda L: L.maximum(u8(L, [1, 2]), L.tensor(-3)), [253, 253], "uint8"),
    (lambda L: L.tensor(-3, dtype=L.int8) >> u8(L, [1, 2]), [126, 63], "uint8"),
    (lambda L: L.bitwise_right_shift(L.tensor(-300, dtype=L.int32), u8(L, [1, 2])),
     [106, 53], "uint8"),
])
def test_zero_dim_integer_tensor_cast_first(lib, case, values, dtype):
    _check(case(lib), values, dtype)


# ... and so does a Python int (PyTorch wraps it to the tensor's integer dtype).
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    (lambda L: u8(L, [1, 2]) < -1, [True, True], "bool"),
    (lambda L: u8(L, [1, 2]) == -255, [True, False], "bool"),
    (lambda L: L.maximum(u8(L, [1, 2]), L.tensor(-1)), [255, 255], "uint8"),
    (lambda L: u8(L, [1, 200]) // -1, [0, 0], "uint8"),
    (lambda L: L.tensor([0, 1], dtype=L.int8) == 2**40, [True, False], "bool"),
    (lambda L: u8(L, [1, 200]).div_(-3, rounding_mode="floor"), [0, 0], "uint8"),
])
def test_python_int_wraps_into_the_integer_dtype(lib, case, values, dtype):
    _check(case(lib), values, dtype)


# B2. An integer tensor meeting a float operand is cast to the float dtype first.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    (lambda L: L.tensor([16777217]) == 16777216.0, [True], "bool"),
    (lambda L: L.tensor([16777217]) == L.tensor(16777216.0), [True], "bool"),
    (lambda L: L.tensor([16777217]) == L.tensor([16777216.0]), [True], "bool"),
    (lambda L: L.eq(L.tensor([16777217]), 16777216.0), [True], "bool"),
    (lambda L: L.tensor([16777217]) - 16777216.0, [0.0], "float32"),
    (lambda L: 16777216.0 - L.tensor([16777217]), [0.0], "float32"),
    (lambda L: L.tensor([2049], dtype=L.int32) == L.tensor([2048.0], dtype=L.float16), [True],
     "bool"),
    (lambda L: L.fmod(L.tensor([-2**31, 100000], dtype=L.int32),
                      L.tensor([2.0, -1.5], dtype=L.float16)), [math.nan, math.nan], "float16"),
    (lambda L: L.tensor([-2**31, 100000], dtype=L.int32) // L.tensor([2.0, -1.5],
                                                                     dtype=L.float16),
     [math.nan, math.nan], "float16"),
    (lambda L: L.tensor([123456789]) * 1.1, [135802480.0], "float32"),
    (lambda L: L.tensor([1, 2], dtype=L.int16) + L.tensor([1.0, 2.0], dtype=L.float16),
     [2.0, 4.0], "float16"),
    (lambda L: L.tensor([3, 1], dtype=L.uint8) * 1.5, [4.5, 1.5], "float32"),
])
def test_integer_cast_to_the_float_dtype_first(lib, case, values, dtype):
    _check(case(lib), values, dtype)


@needs_torch
def test_integer_division_rounds_once_as_pytorch():
    values = np.random.default_rng(0).integers(-2**40, 2**40, 2000)
    divisors = np.random.default_rng(1).integers(1, 2**20, 2000)
    ours = tg.tensor(values) / tg.tensor(divisors)
    theirs = torch.tensor(values) / torch.tensor(divisors)
    assert ours.dtype == tg.float32 and np.array_equal(ours.numpy(), theirs.numpy())
    ours, theirs = tg.tensor(values) * 1.1, torch.tensor(values) * 1.1
    assert np.array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_float16_with_float32_zero_dim_keeps_gradients():
    results = []
    for lib in (tg, torch):
        half = lib.tensor([1.0, 2.0], dtype=lib.float16, requires_grad=True)
        scale = lib.tensor(1.5, dtype=lib.float64, requires_grad=True)
        out = half * scale
        out.sum().backward()
        results.append((_dtype_name(out.dtype), out.tolist(), half.grad.tolist(),
                        _dtype_name(half.grad.dtype), scale.grad.item(),
                        _dtype_name(scale.grad.dtype)))
    assert results[0] == results[1]


# B6. A NumPy integer scalar on the left of a shift is a Python int.
@pytest.mark.parametrize("lib", LIBS)
def test_numpy_scalar_shift_is_a_python_int(lib):
    _check(np.uint8(200) << lib.tensor([1, 2], dtype=lib.int8), [-112, 32], "int8")
    _check(np.int64(3) << u8(lib, [1, 2]), [6, 12], "uint8")


# B4. bool pow, shifts and divisions.
@pytest.mark.parametrize("lib", LIBS)
def test_bool_pow_to_a_bool_is_bool(lib):
    b = lib.tensor([True, False])
    _check(b ** True, [True, False], "bool")
    _check(b ** False, [True, True], "bool")
    _check(b ** 2, [1, 0], "int64")
    c = b.clone()
    c **= True
    _check(c, [True, False], "bool")


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L, b: b ** b, lambda L, b: b << b, lambda L, b: b >> b,
    lambda L, b: b // L.tensor(True), lambda L, b: b % L.tensor(True),
    lambda L, b: L.fmod(b, L.tensor(True)), lambda L, b: b // L.tensor([True, False]),
])
def test_bool_ops_without_a_bool_kernel_raise(lib, case):
    with pytest.raises(NotImplementedError):
        case(lib, lib.tensor([True, False]))


# B17. Integer pow refusals.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L: u8(L, [3, 9]) ** -3, lambda L: u8(L, [3, 9]).pow(-1),
    lambda L: u8(L, [3, 9]).pow_(-3), lambda L: L.tensor([3], dtype=L.int8) ** 2**40,
    lambda L: L.tensor([3], dtype=L.int32) ** 2**40, lambda L: L.tensor([2]) ** -1,
])
def test_integer_pow_refusals(lib, case):
    with pytest.raises(RuntimeError):
        case(lib)


@pytest.mark.parametrize("lib", LIBS)
def test_integer_pow_by_an_int_tensor_and_number(lib):
    _check(u8(lib, [3, 9]) ** 2, [9, 81], "uint8")
    _check(2 ** u8(lib, [3, 9]), [8, 0], "uint8")
    _check(lib.tensor([2, 3], dtype=lib.int8) ** lib.tensor([-1, 2]), [0, 9], "int64")


# B19. float_power_ needs a float64 self.
@pytest.mark.parametrize("lib", LIBS)
def test_float_power_in_place_needs_float64(lib):
    with pytest.raises(RuntimeError):
        lib.tensor([3.0]).float_power_(2)
    x = lib.tensor([3.0], dtype=lib.float64)
    x.float_power_(2)
    _check(x, [9.0], "float64")


# B10, B11. Signs of zero.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values", [
    (lambda L: L.tensor([-4.0, 4.0, -0.0]) % 2, [-0.0, 0.0, -0.0]),
    (lambda L: L.tensor([0.0, -6.0]) % -3.0, [0.0, -0.0]),
    (lambda L: L.remainder(L.tensor([-4.0]), L.tensor([-2.0])), [-0.0]),
    (lambda L: L.maximum(L.tensor([-0.0, 0.0]), L.tensor([0.0, -0.0])), [-0.0, 0.0]),
    (lambda L: L.minimum(L.tensor([0.0, -0.0]), L.tensor([-0.0, 0.0])), [0.0, -0.0]),
    (lambda L: L.fmax(L.tensor([-0.0]), L.tensor([0.0])), [-0.0]),
    (lambda L: L.clamp(L.tensor([-0.0, 0.0]), min=0.0), [-0.0, 0.0]),
    (lambda L: L.clamp(L.tensor([0.0, -0.0]), max=-0.0), [0.0, -0.0]),
])
def test_signs_of_zero(lib, case, values):
    _check(case(lib), values, "float32")


@needs_torch
def test_maximum_and_clamp_gradients_unchanged():
    grads = []
    for lib in (tg, torch):
        x = lib.tensor([-1.0, 0.5, 2.0, 0.5], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([0.0, 0.5, 1.0, -3.0], dtype=lib.float64, requires_grad=True)
        (lib.maximum(x, y) * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)).sum().backward()
        z = lib.tensor([-0.0, 1.0, 3.0], dtype=lib.float64, requires_grad=True)
        lib.clamp(z, 0.0, 2.0).sum().backward()
        grads.append((x.grad.tolist(), y.grad.tolist(), z.grad.tolist()))
    assert grads[0] == grads[1]


# A2. A float fill value is cast to an integer tensor's dtype: the other elements stay exact.
@pytest.mark.parametrize("lib", LIBS)
def test_fill_values_cast_to_the_tensor_dtype(lib):
    big = [0, 16777217, 2**40 + 1]
    first = lib.tensor([True, False, False])
    _check(lib.tensor(big).masked_fill(first, 5.0), [5, 16777217, 2**40 + 1], "int64")
    _check(lib.tensor(big).masked_fill(first, lib.tensor(5.5)), [5, 16777217, 2**40 + 1],
           "int64")
    _check(lib.tensor(big).index_fill(0, lib.tensor([0]), 5.0), [5, 16777217, 2**40 + 1],
           "int64")
    _check(lib.tensor([0, 100000], dtype=lib.int32).index_fill(
        0, lib.tensor([0]), lib.tensor(5.0, dtype=lib.float16)), [5, 100000], "int32")
    square = lib.tensor([[2**40 + 1, 3], [4, 2**53 + 1]])
    square.fill_diagonal_(5.5)
    _check(square, [[5, 3], [4, 5]], "int64")
    in_place = lib.tensor(big)
    in_place.masked_fill_(lib.tensor([False, True, False]), 7.9)
    _check(in_place, [0, 7, 2**40 + 1], "int64")
    _check(lib.tensor([True, False]).masked_fill(lib.tensor([False, True]), 2.5), [True, True],
           "bool")


@needs_torch
def test_masked_fill_gradient_to_a_float_value():
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        value = lib.tensor(3.0, requires_grad=True)
        out = x.masked_fill(lib.tensor([True, False]), value)
        (out * lib.tensor([2.0, 3.0], dtype=lib.float64)).sum().backward()
        results.append((_dtype_name(out.dtype), out.tolist(), x.grad.tolist(), value.grad.item(),
                        _dtype_name(value.grad.dtype)))
    assert results[0] == results[1] == ("float64", [3.0, 2.0], [0.0, 3.0], 2.0, "float32")


# A3. Dtypes of bool sums, bool alpha, arange from a bool, integer addmm scales.
@pytest.mark.parametrize("lib", LIBS)
def test_bool_results_stay_bool(lib):
    b = lib.tensor([True, False])
    assert _dtype_name(lib.arange(True, 5).dtype) == "int64"
    _check(b.sum(dtype=lib.bool), True, "bool")
    _check(lib.tensor([[True, False], [False, False]]).sum(1, dtype=lib.bool), [True, False],
           "bool")
    _check(b.add(b, alpha=3), [True, False], "bool")
    _check(lib.add(b, b, alpha=0), [True, False], "bool")
    c = b.clone()
    c.add_(b, alpha=2)
    _check(c, [True, False], "bool")
    _check(lib.tensor([False, False]).index_add(0, lib.tensor([0]), lib.tensor([True]), alpha=2),
           [True, False], "bool")
    assert _dtype_name(lib.inner(lib.ones(0, 3, dtype=lib.bool), lib.ones(2, 3,
                                                                         dtype=lib.bool)).dtype) \
        == "bool"


@pytest.mark.parametrize("lib", LIBS)
def test_integer_addmm_family_truncates_the_scales(lib):
    a, v = lib.tensor([[1, 2], [3, 4]]), lib.tensor([1, 2])
    b3 = a.reshape(1, 2, 2)
    _check(lib.addmm(a, a, a, beta=0.5, alpha=2), [[14, 20], [30, 44]], "int64")
    _check(lib.addmm(a, a, a, beta=1, alpha=2.5), [[15, 22], [33, 48]], "int64")
    _check(lib.addmv(v, a, v, beta=0.5, alpha=2), [10, 22], "int64")
    _check(lib.addmv(v, a, v, beta=2, alpha=0.5), [2, 4], "int64")
    _check(lib.baddbmm(b3, b3, b3, beta=1.9, alpha=1), [[[8, 12], [18, 26]]], "int64")
    _check(lib.addbmm(a, b3, b3, beta=2, alpha=3.5), [[23, 34], [51, 74]], "int64")
    with pytest.raises(RuntimeError):
        lib.addr(a, v, v, beta=2.9)


# B12, B13, A1 (gcd/lcm), B2 (isin), B18.
@pytest.mark.parametrize("lib", LIBS)
def test_sinc_of_integer_minimum_and_ldexp_of_infinite_exponents(lib):
    _check(lib.sinc(lib.tensor([-128, 0], dtype=lib.int8)), [2.7827534054836178e-08, 1.0],
           "float32")
    _check(lib.sinc(lib.tensor([-2**31], dtype=lib.int32)), [-1.0174584091915406e-10], "float32")
    inf = math.inf
    powers = lib.ldexp(lib.tensor([0.0, 5.0, inf, -2.0, 0.0]),
                       lib.tensor([inf, inf, -inf, -inf, -inf]))
    _check(powers, [math.nan, inf, math.nan, -0.0, 0.0], "float32")


@pytest.mark.parametrize("lib", LIBS)
def test_gcd_lcm_promote_as_pytorch(lib):
    u, b = u8(lib, [1, 2]), lib.tensor([True, False])
    _check(lib.lcm(u, lib.tensor(-3)), [253, 250], "uint8")
    _check(lib.gcd(b, u), [1, 2], "uint8")
    _check(lib.gcd(lib.tensor([4, 6]), b), [1, 6], "int64")
    _check(lib.lcm(lib.tensor([4, 6]), lib.tensor(-3, dtype=lib.int8)), [12, 6], "int64")
    with pytest.raises(NotImplementedError):
        lib.gcd(b, b)


@pytest.mark.parametrize("lib", LIBS)
def test_isin_casts_to_the_result_dtype_first(lib):
    found = lib.isin(lib.tensor([2049, 5], dtype=lib.int32), lib.tensor([2048.0, 5.0],
                                                                        dtype=lib.float16))
    _check(found, [True, True], "bool")


@pytest.mark.parametrize("lib", LIBS)
def test_float_only_ops_cast_both_operands_first(lib):
    r = lib.xlogy(lib.tensor(2.0, dtype=lib.float64), lib.tensor([3, 7], dtype=lib.int16))
    _check(r, [2.1972245773362196, 3.8918202981106265], "float64")
    r = lib.atan2(lib.tensor([1, 2], dtype=lib.int16), lib.tensor([1.0, 3.0], dtype=lib.float16))
    _check(r, [0.78515625, 0.587890625], "float16")
