"""Round 18: dtype, type promotion and integer/bool semantics probed against PyTorch 2.13 over
the full matrix (9 dtypes x 9 dtypes x ~50 binary ops x tensor, 0-d, Python and NumPy scalar
operands on either side, in-place and out= forms). Each case runs on tinygrad_np and, when
installed, on PyTorch, against the same fixed expected values (computed by hand)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def _check(result, values, dtype: str) -> None:
    assert _dtype_name(result.dtype) == dtype
    got = result.tolist()
    assert [str(v) for v in np.ravel(got)] == [str(v) for v in np.ravel(values)], got


def u8(lib, values):
    return lib.tensor(values, dtype=lib.uint8)


# A. add/sub with alpha: alpha * other in the result's dtype, a bool result stays bool.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    # a number first: 2.5 + 2 * uint8 in float32 (2 * 250 must not wrap to 244 in uint8)
    (lambda L: L.add(2.5, u8(L, [250, 3]), alpha=2), [502.5, 8.5], "float32"),
    (lambda L: L.sub(2.5, u8(L, [250, 3]), alpha=2), [-497.5, -3.5], "float32"),
    (lambda L: L.add(2.5, L.tensor([100, -7], dtype=L.int8), alpha=2), [202.5, -11.5],
     "float32"),
    (lambda L: L.add(np.float64(2.5), u8(L, [250, 3]), alpha=2), [502.5, 8.5], "float32"),
    (lambda L: L.add(3, u8(L, [250, 3]), alpha=2), [247, 9], "uint8"),  # an int: 503 wraps
    # a bool result: alpha is a bool too (True + 2 * bools is a logical or)
    (lambda L: L.add(L.tensor([True, False]), True, alpha=2), [True, True], "bool"),
    (lambda L: L.add(L.tensor([False, False]), False, alpha=2), [False, False], "bool"),
    (lambda L: L.add(True, L.tensor([True, False]), alpha=2), [True, True], "bool"),
    (lambda L: L.add(L.tensor([True, False]), L.tensor([False, False]), alpha=2),
     [True, False], "bool"),
])
def test_alpha_in_the_result_dtype(lib, case, values, dtype):
    _check(case(lib), values, dtype)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L: L.sub(L.tensor([True, False]), L.tensor([1.0, 2.0]), alpha=2),
    lambda L: L.sub(L.tensor([1, 2], dtype=L.int8), L.tensor([True, False]), alpha=2),
    lambda L: L.tensor([1.5, 2.0]).sub(L.tensor([True, False]), alpha=0.5),
    lambda L: L.sub(L.tensor([1, 2]), True, alpha=2),
    lambda L: L.sub(L.tensor([True, False]), 1, alpha=2),
    lambda L: L.sub(3, L.tensor([True, False]), alpha=2),
    lambda L: L.sub(2.5, L.tensor([True, False]), alpha=2),
])
def test_sub_with_alpha_refuses_bools(lib, case):
    """`-` refuses a bool operand; sub(alpha=) must too, before alpha makes it a number."""
    with pytest.raises(RuntimeError, match="(?i)subtraction"):
        case(lib)


# B. Ops PyTorch has no kernel for: refused (NotImplementedError), not computed.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    # lerp of integer tensors (a scalar weight gave float32, a tensor weight wrapped ints)
    lambda L: L.lerp(L.tensor([1, 2]), L.tensor([3, 4]), 0.5),
    lambda L: L.lerp(u8(L, [1, 2]), u8(L, [3, 4]), u8(L, [1, 0])),
    lambda L: L.tensor([1, 2], dtype=L.int32).lerp(L.tensor([3, 4], dtype=L.int32), 0.25),
    lambda L: L.tensor([1, 2], dtype=L.int16).lerp_(L.tensor([3, 4], dtype=L.int16), 0.5),
    # clamp of a bool result: both bounds, or a bool number
    lambda L: L.clamp(L.tensor([True, False]), L.tensor(True), L.tensor(False)),
    lambda L: L.clamp(L.tensor([True, False]), min=True),
    lambda L: L.clamp(L.tensor([True, False]), max=False),
    lambda L: L.tensor([True, False]).clamp_(min=True),
    lambda L: L.tensor([True, False]).clamp_max(False),
    # True ** bools (a bool result)
    lambda L: True ** L.tensor([True, False]),
    lambda L: L.pow(True, L.tensor([True, False])),
    # ldexp of a float input with a bool exponent
    lambda L: L.ldexp(L.tensor([1.5, 2.0]), L.tensor([True, False])),
])
def test_no_kernel_is_refused(lib, case):
    with pytest.raises(NotImplementedError):
        case(lib)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    # one bool tensor bound is maximum/minimum, which has a bool kernel
    (lambda L: L.clamp(L.tensor([True, False]), min=L.tensor([True, True])), [True, True],
     "bool"),
    (lambda L: L.clamp(L.tensor([True, False]), max=L.tensor(False)), [False, False], "bool"),
    (lambda L: L.clamp(L.tensor([True, False]), min=1), [1, 1], "int64"),
    (lambda L: L.clamp(L.tensor([True, False]), max=0.5), [0.5, 0.0], "float32"),
    # an integer input with a bool exponent computes (input * 2 ** other)
    (lambda L: L.ldexp(L.tensor([3, 5]), L.tensor([True, False])), [6.0, 5.0], "float32"),
    (lambda L: 2 ** L.tensor([True, False]), [2, 1], "int64"),
])
def test_bool_cases_that_compute(lib, case, values, dtype):
    _check(case(lib), values, dtype)


# C. out=: an integer result goes into any integer out (wrapping), as PyTorch's can_cast.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op, values", [
    ("add", [145, 2]), ("mul", [8, 253]), ("maximum", [200, 3]), ("sub", [255, 4]),
])
def test_out_takes_another_integer_dtype(lib, op, values):
    out = u8(lib, [0, 0])
    a, b = u8(lib, [200, 3]), lib.tensor([-55, -1], dtype=lib.int16)  # int16 result
    result = getattr(lib, op)(a, b, out=out)
    assert result is out
    _check(out, values, "uint8")


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("out_dtype, operand", [
    ("uint8", [1.5, 2.0]), ("int64", [1.5, 2.0]), ("bool", [1, 2]),
])
def test_out_still_refuses_float_into_int_and_int_into_bool(lib, out_dtype, operand):
    out = lib.zeros(2, dtype=getattr(lib, out_dtype))
    with pytest.raises(RuntimeError, match="can't be cast"):
        lib.add(lib.tensor([1, 2]), lib.tensor(operand), out=out)


# D. addcmul/addcdiv take tensors: a number is PyTorch's TypeError (it was AttributeError).
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("position", [1, 2])
def test_pointwise_ops_refuse_numbers(lib, op, position):
    x = lib.tensor([1.0, 2.0])
    args = [x, x]
    args[position - 1] = 3
    with pytest.raises(TypeError, match=f"tensor{position}"):
        getattr(lib, op)(x, *args)
    with pytest.raises(TypeError, match=f"tensor{position}"):
        getattr(x.clone(), op + "_")(*args)


# E. A NumPy scalar first in a function form with rounding_mode= is a weak number.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("mode, values", [("floor", [1.0, -1.0]), ("trunc", [1.0, -0.0])])
def test_numpy_scalar_first_is_weak(lib, mode, values):
    result = lib.div(np.float64(2.5), lib.tensor([2, -3]), rounding_mode=mode)
    _check(result, values, "float32")


# F. The whole binary-op matrix against PyTorch: result dtypes and values of every dtype pair.
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
MATRIX_OPS = {
    "add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b, "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b, "floordiv": lambda L, a, b: a // b,
    "mod": lambda L, a, b: a % b, "pow": lambda L, a, b: a ** b,
    "maximum": lambda L, a, b: L.maximum(a, b), "fmod": lambda L, a, b: L.fmod(a, b),
    "and": lambda L, a, b: a & b, "lshift": lambda L, a, b: a << b,
    "lt": lambda L, a, b: a < b, "where": lambda L, a, b: L.where(a > 0, a, b),
    "clamp": lambda L, a, b: L.clamp(a, b, b), "lerp": lambda L, a, b: L.lerp(a, b, 0.3),
    "sub_alpha": lambda L, a, b: L.sub(a, b, alpha=2),
    "add_alpha": lambda L, a, b: L.add(a, b, alpha=2),
    "addcmul": lambda L, a, b: L.addcmul(a, b, b, value=2),
}


def _values(dtype: str, second: bool) -> list:
    if dtype == "bool":
        return [True, True, False, False] if second else [True, False, True, False]
    if dtype == "uint8":
        return [2, 3, 5, 1] if second else [250, 1, 0, 3]
    if dtype.startswith("int"):
        return [2, -3, 5, 1] if second else [-7, -1, 0, 3]
    return [2.0, -3.5, 5.0, 1.5] if second else [-7.5, -1.0, 0.0, 3.25]


def _run(lib, op, first, second, zero_d):
    a = lib.tensor(_values(first, False), dtype=getattr(lib, first))
    b = lib.tensor(_values(second, True), dtype=getattr(lib, second))
    try:
        result = MATRIX_OPS[op](lib, a, b[0] if zero_d else b)
    except (RuntimeError, TypeError, ZeroDivisionError) as error:
        return type(error)
    return _dtype_name(result.dtype), np.asarray(result.tolist(), dtype=np.float64)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed")
@pytest.mark.parametrize("op", sorted(MATRIX_OPS))
@pytest.mark.parametrize("zero_d", [False, True])
def test_binary_matrix_against_pytorch(op, zero_d):
    for first in DTYPES:
        for second in DTYPES:
            ours, theirs = _run(tg, op, first, second, zero_d), _run(torch, op, first, second,
                                                                       zero_d)
            where = f"{op} {first} {second} {'0-d' if zero_d else ''}"
            if isinstance(theirs, type):
                assert isinstance(ours, type) and issubclass(ours, theirs), (where, ours)
                continue
            assert not isinstance(ours, type), (where, ours)
            assert ours[0] == theirs[0], (where, ours, theirs)
            np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-3, equal_nan=True,
                                       err_msg=where)


# G. Joins promote as PyTorch where NumPy differs (int16 with float16 is float16, not float32).
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("join", ["cat", "hstack", "vstack", "stack"])
@pytest.mark.parametrize("other", ["int16", "int64", "uint8", "bool"])
def test_joins_promote_as_pytorch(lib, join, other):
    a = lib.tensor([1, 2], dtype=getattr(lib, other))
    b = lib.tensor([2.5, -1.0], dtype=lib.float16)
    result = getattr(lib, join)([a, b])
    assert _dtype_name(result.dtype) == "float16"
    assert sorted(np.ravel(result.tolist())) == sorted(
        [float(v) for v in a.tolist()] + [2.5, -1.0])


def test_join_gradient_keeps_each_input_dtype():
    a = tg.tensor([1.5, 2.0], requires_grad=True)
    b = tg.tensor([0.5], dtype=tg.float16, requires_grad=True)
    joined = tg.cat([a, b])
    assert joined.dtype == tg.float32
    (joined * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert a.grad.dtype == tg.float32 and a.grad.tolist() == [1.0, 2.0]
    assert b.grad.dtype == tg.float16 and b.grad.tolist() == [3.0]


# H. A one-operand einsum that sums integers or bools is int64 (PyTorch's sum), not wrapped.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("equation, dtype, values, result_dtype", [
    ("ij->i", "int8", [200, 7], "int64"),
    ("ij->", "uint8", [207], "int64"),
    ("ii", "int32", [104], "int64"),
    ("...j->...", "bool", [2, 2], "int64"),
    ("ii->i", "int8", [100, 4], "int8"),  # no sum: the diagonal keeps the dtype
    ("ij->ji", "int16", [100, 3, 100, 4], "int16"),
])
def test_einsum_sums_of_integers(lib, equation, dtype, values, result_dtype):
    data = [[100, 100], [3, 4]] if dtype != "bool" else [[1, 1], [3, 4]]
    result = lib.einsum(equation, lib.tensor(data, dtype=getattr(lib, dtype)))
    _check(result, values, result_dtype)


# I. isin has no bool kernel in PyTorch: a bool operand on either side is its RuntimeError.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L: L.isin(L.tensor([1, 2]), L.tensor([True])),
    lambda L: L.isin(L.tensor([True, False]), L.tensor([1])),
    lambda L: L.isin(L.tensor([True]), True),
    lambda L: L.isin(L.tensor([1, 2]), True),
])
def test_isin_refuses_bools(lib, case):
    with pytest.raises(RuntimeError, match="Bool"):
        case(lib)


# J. The trapezoid rules sum integer neighbours in their own dtype, as PyTorch (uint8 200 + 100
# is 44), and promote with x as arithmetic does (int8 samples with float16 x are float16).
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    # 250 + 3 + 200 + 100 = 553; the ends 250 + 100 wrap to 94: 553 - 47
    (lambda L: L.trapezoid(u8(L, [250, 3, 200, 100])), [506.0], "float32"),
    (lambda L: L.trapezoid(u8(L, [250, 3, 200, 100]), dx=2), [1012.0], "float32"),
    # pairs 253, 203, 44 (300 wrapped), halved, accumulated
    (lambda L: L.cumulative_trapezoid(u8(L, [250, 3, 200, 100])), [126.5, 228.0, 250.0],
     "float32"),
    # with x = [1, 2, 3, 7]: spacings 1, 1, 4
    (lambda L: L.cumulative_trapezoid(u8(L, [250, 3, 200, 100]), u8(L, [1, 2, 3, 7])),
     [126.5, 228.0, 316.0], "float32"),
    (lambda L: L.trapezoid(u8(L, [250, 3, 200, 100]), u8(L, [1, 2, 3, 7])), [316.0],
     "float32"),
    # int8 100 + 100 wraps to -56
    (lambda L: L.cumulative_trapezoid(L.tensor([100, 100, 100], dtype=L.int8)),
     [-28.0, -56.0], "float32"),
    (lambda L: L.trapezoid(L.tensor([100, 100, 100], dtype=L.int8),
                           L.tensor([1, 2, 3], dtype=L.float16)), [-56.0], "float16"),
    (lambda L: L.trapezoid(L.tensor([1, 2, 4], dtype=L.int16),
                           L.tensor([0, 1, 3], dtype=L.float16)), [7.5], "float16"),
])
def test_trapezoid_integer_samples(lib, case, values, dtype):
    _check(case(lib), values, dtype)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L: L.trapezoid(L.tensor([True, False])),
    lambda L: L.cumulative_trapezoid(L.tensor([True, False]), dx=2),
    lambda L: L.trapezoid(L.tensor([1.0, 2.0]), L.tensor([True, False])),
])
def test_trapezoid_refuses_bools(lib, case):
    with pytest.raises(RuntimeError, match="bool input"):
        case(lib)


# K. A NumPy scalar written into a tensor is checked as its Python number (it bypassed the
# check: uint8.fill_(np.float32(1e20)) gave 0), and rounds into float16 as PyTorch's where.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L: u8(L, [1, 0, 3]).fill_(np.float32(1e20)),
    lambda L: L.tensor([1, 0, 3], dtype=L.int8).fill_(np.uint8(200)),
    lambda L: L.tensor([1, 0, 3], dtype=L.int32).masked_fill(L.tensor([True, False, True]),
                                                              np.float32(1e20)),
    lambda L: L.tensor([1.0, 0.5], dtype=L.float16).fill_(np.int64(2**40)),
    lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2], dtype=L.int8), np.int64(300)),
    lambda L: L.clamp(L.tensor([1, 2], dtype=L.int16), min=np.int64(2**40)),
    lambda L: L.clamp(L.tensor([1.0, 2.0], dtype=L.float16), max=np.float32(1e20)),
    # a float bound makes a float32 result that must hold it
    lambda L: L.clamp(L.tensor([1, 2]), min=1e308),
])
def test_numpy_scalars_and_bounds_are_checked(lib, case):
    with pytest.raises(RuntimeError, match="without overflow"):
        case(lib)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    (lambda L: L.clamp(u8(L, [1, 0, 3]), min=np.int8(-1)), [255, 255, 255], "uint8"),
    (lambda L: L.where(L.tensor([True, False]), u8(L, [1, 2]), np.int64(-1)), [1, 255],
     "uint8"),
    (lambda L: u8(L, [1, 0, 3]).fill_(np.int16(-1)), [255, 255, 255], "uint8"),
    (lambda L: L.where(L.tensor([True, False]), L.tensor([1.0, 2.0], dtype=L.float16),
                       65505.0), [1.0, 65504.0], "float16"),
    (lambda L: L.where(L.tensor([True, False]), L.tensor([1.0, 2.0], dtype=L.float16),
                       70000.0), [1.0, float("inf")], "float16"),
])
def test_numpy_scalars_as_numbers(lib, case, values, dtype):
    _check(case(lib), values, dtype)


# L. A Python int past int64 and uint64 is refused as an integer operand (2**64 wrapped to 0);
# 2**63 .. 2**64 - 1 wraps into an integer dtype, as PyTorch's uint64 scalar.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L: L.tensor([1, 2]) + 2**64,
    lambda L: L.tensor([1, 2], dtype=L.int8) * 2**70,
    lambda L: L.tensor([1, 2]) == -(2**63) - 1,
    lambda L: u8(L, [1, 2]).add_(2**64),
    lambda L: L.tensor([1, 2]).fill_(2**64),
    lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]), 2**64),
])
def test_python_ints_past_uint64_are_refused(lib, case):
    with pytest.raises(OverflowError):
        case(lib)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case, values, dtype", [
    (lambda L: u8(L, [1, 0, 3]) + 2**63, [1, 0, 3], "uint8"),
    (lambda L: L.tensor([1, 0, 3], dtype=L.int8) * (2**63 + 1), [1, 0, 3], "int8"),
    (lambda L: L.tensor([5]) - 2**63, [-(2**63) + 5], "int64"),
])
def test_python_ints_in_uint64_range_wrap(lib, case, values, dtype):
    _check(case(lib), values, dtype)


# M. set_default_dtype: float16 is a default too, as PyTorch's; under a float64 (or float16)
# default, a float16 input computed in float64 stays float16 and lgamma/digamma of integers
# take the default dtype (they were float32).
@pytest.fixture
def default_dtype():
    libs = LIBS
    yield
    for lib in libs:
        lib.set_default_dtype(lib.float32)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("default", ["float16", "float64"])
@pytest.mark.parametrize("case, dtype", [
    (lambda L: L.tensor([1.5, 2.0]), None),
    (lambda L: L.zeros(2), None),
    (lambda L: L.tensor([1, 2]) / 2, None),
    (lambda L: L.sqrt(L.tensor([1, 4])), None),
    (lambda L: L.lgamma(L.tensor([3, 1])), None),
    (lambda L: L.digamma(L.tensor([3, 1], dtype=L.uint8)), None),
    (lambda L: L.nn.Linear(2, 3).weight, None),
    (lambda L: L.erf(L.tensor([1.0, 0.5], dtype=L.float16)), "float16"),
    (lambda L: L.special.ndtr(L.tensor([1.0, 0.5], dtype=L.float16)), "float16"),
    (lambda L: L.tensor([1, 2], dtype=L.float32) * 1.5, "float32"),
    (lambda L: L.tensor([1, 2], dtype=L.float32) + L.tensor(1.5), "float32"),
])
def test_default_dtype(lib, default, case, dtype, default_dtype):
    lib.set_default_dtype(getattr(lib, default))
    assert _dtype_name(case(lib).dtype) == (dtype or default)
    assert _dtype_name(lib.get_default_dtype()) == default


@pytest.mark.parametrize("lib", LIBS)
def test_default_dtype_refuses_non_floats(lib, default_dtype):
    for dtype in (lib.int64, lib.bool, lib.uint8):
        with pytest.raises(TypeError):
            lib.set_default_dtype(dtype)
    assert _dtype_name(lib.get_default_dtype()) == "float32"


def test_default_float16_values():
    tg.set_default_dtype(tg.float16)
    try:
        assert tg.lgamma(tg.tensor([3, 1])).tolist() == [float(np.float16(np.log(2.0))), 0.0]
        assert (tg.tensor([1, 3]) / 3).tolist() == [float(np.float16(1 / 3)), 1.0]
    finally:
        tg.set_default_dtype(tg.float32)


# N. Ranges have no bool kernel in PyTorch (one value or none is made without one), and
# nanmean checks its input's dtype whatever dtype= asks.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", [
    lambda L: L.arange(3, dtype=L.bool),
    lambda L: L.arange(0.5, 3, dtype=L.bool),
    lambda L: L.linspace(0, 5, 4, dtype=L.bool),
    lambda L: L.logspace(0, 1, 3, dtype=L.bool),
])
def test_ranges_refuse_bool(lib, case):
    with pytest.raises(NotImplementedError):
        case(lib)


@pytest.mark.parametrize("lib", LIBS)
def test_short_bool_ranges(lib):
    _check(lib.linspace(0, 1, 1, dtype=lib.bool), [False], "bool")
    _check(lib.logspace(0, 1, 1, dtype=lib.bool), [True], "bool")
    _check(lib.linspace(0, 1, 0, dtype=lib.bool), [], "bool")


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64"])
def test_nanmean_of_integers_is_refused_even_with_dtype(lib, dtype):
    x = lib.tensor([1, 0, 1], dtype=getattr(lib, dtype))
    with pytest.raises(RuntimeError, match="floating point"):
        x.nanmean(dtype=lib.float32)


# O. copy_ of a number casts it as a tensor of it, as PyTorch (fill_ refuses what copy_ wraps).
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype, value, values", [
    ("uint8", 300, [44, 44]),
    ("uint8", -1, [255, 255]),
    ("int8", 2.7, [2, 2]),
    ("int8", -2.7, [-2, -2]),
    ("float64", 0.1, [0.1, 0.1]),  # the double itself, not float32's 0.1
    ("bool", 2.5, [True, True]),
    ("int16", np.int64(70000), [4464, 4464]),
])
def test_copy_of_a_number_casts(lib, dtype, value, values):
    x = lib.zeros(2, dtype=getattr(lib, dtype))
    assert x.copy_(value) is x
    _check(x, values, dtype)


@pytest.mark.parametrize("lib", LIBS)
def test_fill_still_refuses_what_copy_wraps(lib):
    with pytest.raises(RuntimeError, match="overflow"):
        u8(lib, [1, 2]).fill_(300)
    with pytest.raises(OverflowError):
        u8(lib, [1, 2]).copy_(2**64)


# P. A contraction of bool operands in einsum is PyTorch's bmm, which has no bool kernel; bool
# products without a sum (an outer product) are bools.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("equation, first, second", [
    ("ij,jk->ik", "bool", "bool"), ("ij,ij->i", "bool", "bool"), ("i,i->", "bool", "bool"),
    ("ij,jk", "bool", "bool"), ("ij,jk->ik", "int8", "bool"), ("ij,ij", "bool", "int8"),
])
def test_einsum_bool_contraction_refused(lib, equation, first, second):
    a = lib.tensor([[1, 0], [1, 1]], dtype=getattr(lib, first))
    b = lib.tensor([[1, 1], [0, 1]], dtype=getattr(lib, second))
    with pytest.raises(RuntimeError):
        lib.einsum(equation, a, b)


@pytest.mark.parametrize("lib", LIBS)
def test_einsum_bool_products_without_a_sum(lib):
    a = lib.tensor([True, False])
    _check(lib.einsum("i,j->ij", a, lib.tensor([True, True])), [True, True, False, False],
           "bool")
    _check(lib.einsum("i,i->i", a, a), [True, False], "bool")


# Q. The legacy typed constructors ShortTensor (int16) and CharTensor (int8) exist, as PyTorch's.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name, dtype", [("ShortTensor", "int16"), ("CharTensor", "int8")])
def test_short_and_char_tensors(lib, name, dtype):
    made = getattr(lib, name)([1.5, -2.7, 3])
    _check(made, [1, -2, 3], dtype)
    assert tuple(getattr(lib, name)(2, 3).shape) == (2, 3)
    assert isinstance(lib.tensor([1], dtype=getattr(lib, dtype)), getattr(lib, name))
    assert not isinstance(lib.tensor([1.0]), getattr(lib, name))
    assert _dtype_name(lib.tensor([1]).type(getattr(lib, name)).dtype) == dtype
    with pytest.raises(RuntimeError):
        getattr(lib, name)([2**40])
