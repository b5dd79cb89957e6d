"""Elementwise math beyond the primitives: erf, logs and exponentials in other bases,
trigonometric and hyperbolic functions and their inverses, rounding, and the binary
functions atan2, logaddexp, hypot, fmod, remainder and floor_divide.

Rules that need a function `xp` does not have (tanh, cosh, ...) call `_call`, which runs
NumPy on arrays and the Tensor method on Tensors, so every rule also works for
create_graph=True. Rounding ops have a zero gradient, as in PyTorch.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import DtypeError, IntegerDivisionByZero
from tinygrad_np.function import Function
from tinygrad_np.ops.elementwise import rounded_once, sign

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _call(name: str, value):
    """np.<name>(value) for an array, value.<name>() for a Tensor (create_graph)."""
    return getattr(value, name)() if xp.is_tensor(value) else rounded_once(getattr(np, name),
                                                                             value)


# ----------------------------------------------------------------------------- erf
# erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): every term is positive,
# so the sum has no cancellation. Used for |x| < 2, with as many terms as the largest |x|
# of the block needs for the dtype (<= 33 for float64). For 2 <= |x| < 6, erf = 1 - erfc
# with erfc from its continued fraction
#     erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
# cut off deep enough for the result's dtype. From |x| = 6 on, erf(x) = +-1 in float64.
# The arithmetic is float64 (float32 input needs fewer terms, then rounds once): float64
# results are within 2e-15 of the true value, float32 ones within an ulp.
_SERIES = [1.0]
for _n in range(1, 40):
    _SERIES.append(_SERIES[-1] * 2.0 / (2 * _n + 1))
_SERIES_END, _FRACTION_END = 2.0, 6.0
_TOLERANCE = {False: 1e-17, True: 1e-9}  # keyed by "the result is float32"
_FRACTION_DEPTH = {False: 40, True: 14}
_BLOCK = 16384  # elements evaluated together: the temporaries stay in the CPU cache


def _erf_series(x: np.ndarray, single: bool) -> np.ndarray:
    square = x * x
    largest, tolerance = float(square.max()), _TOLERANCE[single]
    terms = 1
    while terms < len(_SERIES) and _SERIES[terms] * largest**terms > tolerance:
        terms += 1
    total = np.full_like(x, _SERIES[terms - 1])
    for coefficient in reversed(_SERIES[: terms - 1]):
        total *= square
        total += coefficient
    return _TWO_OVER_SQRT_PI * x * np.exp(-square) * total


def _erfc_fraction(a: np.ndarray, single: bool) -> np.ndarray:
    """erfc(a) for 2 <= a < 6 (float64: relative error < 1e-13, absolute < 1e-16)."""
    denominator = a.copy()
    for level in range(_FRACTION_DEPTH[single], 0, -1):
        np.divide(level / 2, denominator, out=denominator)
        denominator += a
    return np.exp(-a * a) / (math.sqrt(math.pi) * denominator)


def _erf_block(x: np.ndarray, out: np.ndarray, single: bool) -> None:
    magnitude = np.abs(x)
    series = magnitude < _SERIES_END
    if series.all():
        out[...] = _erf_series(x, single)
        return
    out[...] = np.copysign(1.0, x)  # |x| >= 6, +-inf
    if series.any():
        out[series] = _erf_series(x[series], single)
    fraction = ~series & (magnitude < _FRACTION_END)
    if fraction.any():
        erfc = _erfc_fraction(magnitude[fraction], single)
        out[fraction] = np.copysign(1.0 - erfc, x[fraction])
    out[np.isnan(x)] = np.nan


@functools.cache
def _single_series() -> np.ndarray:
    """For float32: erf(x) / x for |x| < 2 as a degree-11 polynomial in u = x^2 / 2 - 1
    (monomial coefficients, highest first), the Chebyshev fit at 400 nodes of math.erf; its
    relative error is 6e-11, a thousandth of float32's rounding."""
    nodes = np.cos(np.pi * (np.arange(400) + 0.5) / 400)
    roots = np.sqrt(2 * (nodes + 1))
    ratios = [math.erf(r) / r if r else _TWO_OVER_SQRT_PI for r in roots]
    chebyshev = np.polynomial.chebyshev.chebfit(nodes, ratios, 11)
    return np.polynomial.chebyshev.cheb2poly(chebyshev)[::-1].copy()


def _erf_single(x: np.ndarray) -> np.ndarray:
    """erf of a float64 array of float32 values: x P(u) for |x| < 2 (no exp, no masks),
    the continued fraction on the few past it."""
    u = np.minimum(x * x, 4.0)
    u *= 0.5
    u -= 1.0
    coefficients = _single_series()
    out = np.full_like(x, coefficients[0])
    for coefficient in coefficients[1:]:
        out *= u
        out += coefficient
    out *= x  # (NaN stays NaN)
    far = np.flatnonzero(np.abs(x) >= _SERIES_END)
    if far.size:
        values = x[far]
        tail = np.copysign(1.0, values)  # |x| >= 6, +-inf
        middle = np.abs(values) < _FRACTION_END
        magnitude = np.abs(values[middle])
        tail[middle] = np.copysign(1.0 - _erfc_fraction(magnitude, True), values[middle])
        out[far] = tail
    return out


def erf(values: np.ndarray) -> np.ndarray:
    """The error function 2/sqrt(pi) int_0^x exp(-t^2) dt of an array (NumPy has none).

    float32 stays float32; other dtypes give float64.
    """
    values = np.asarray(values)
    single = values.dtype == np.float32
    if single:
        flat = values.reshape(-1)
        out = np.empty(flat.shape, np.float32)
        for start in range(0, flat.size, _BLOCK):  # (the temporaries stay in the cache)
            block = flat[start : start + _BLOCK].astype(np.float64)
            out[start : start + _BLOCK] = _erf_single(block)
        return out.reshape(values.shape)
    flat = values.astype(np.float64).reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _BLOCK):
        _erf_block(flat[start : start + _BLOCK], out[start : start + _BLOCK], single)
    out = out.reshape(values.shape)
    return out.astype(np.float32) if single else out


class Erf(Function):
    """y = erf(x);  dx = g * 2/sqrt(pi) * exp(-x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _TWO_OVER_SQRT_PI * xp.exp(-(x * x))


def erfc(values: np.ndarray) -> np.ndarray:
    """1 - erf(x) without the cancellation of that subtraction: from |x| = 2 on, the
    continued fraction itself (erfc(3) = 2.209e-05 and erfc(7) = 4.18e-23, where
    float32 1 - erf gives 2.211e-05 and 0), and 2 - erfc(|x|) for negative x."""
    values = np.asarray(values)
    wide = values.astype(np.float64)
    out = np.asarray(1.0 - erf(wide))
    tail = np.abs(wide) >= _SERIES_END
    if tail.any():  # (erfc(30) underflows float64: a larger |x| would overflow x^2)
        fraction = _erfc_fraction(np.minimum(np.abs(wide[tail]), 30.0), False)
        out[tail] = np.where(wide[tail] > 0, fraction, 2.0 - fraction)
    return out.astype(np.float32) if values.dtype == np.float32 else out


class Erfc(Function):
    """y = erfc(x) = 1 - erf(x);  dx = -g * 2/sqrt(pi) * exp(-x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erfc(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * -_TWO_OVER_SQRT_PI * xp.exp(-(x * x))


# ----------------------------------------------------------------------------- exp and log
@xp.quiet
class Logit(Function):
    """y = log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps is given;
    dx = g / (x (1 - x)), as PyTorch 0 outside [eps, 1 - eps] (with eps), NaN outside [0, 1].

    The input itself is saved (clamped again in backward), so create_graph works with eps.
    """

    def forward(ctx, x, eps):
        lo, hi, outside = (0, 1, np.nan) if eps is None else (eps, 1 - eps, 0)
        ctx.scale = xp.where((x < lo) | (x > hi), outside, 1).astype(x.dtype)
        ctx.bounds = None if eps is None else (lo, hi)
        ctx.save_for_backward(x)
        x = x if eps is None else np.clip(x, lo, hi)
        return np.log(x / (1 - x))

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        x = x if ctx.bounds is None else x.clip(*ctx.bounds)
        return grad_output * ctx.scale / (x * (1 - x) + 0.0), None  # (+0.0: g * inf at -0.0)


@xp.quiet
class Xlogy(Function):
    """y = a log(b), 0 where a = 0 unless b is NaN;  da = xlogy(g, b), 0 where a = 0 and
    b <= 0;  db = g a / b (PyTorch's gradients)."""

    log, edge = "log", 0  # Xlog1py: log1p, whose argument 1 + b is 0 at b = -1

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.where((a == 0) & ~np.isnan(b), 0, a * getattr(np, ctx.log)(b)).astype(
            np.result_type(a, b, np.float16))

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        grad_a = xp.masked((a != 0) | (b > ctx.edge) | (b != b), ctx.of_gradient(grad_output, b)) \
            if ctx.needs_input_grad[0] else None
        grad_b = grad_output * a / (b - ctx.edge) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b

    @classmethod
    def of_gradient(cls, grad_output, b):
        """xlogy(g, b): the op itself on Tensors (create_graph), whose derivative in g is
        log(b) also where g is 0 (jvp's zero gradient); on arrays masked inline."""
        if xp.is_tensor(grad_output) or xp.is_tensor(b):
            return cls.apply(grad_output, b)
        keep = (grad_output != 0) | (b != b)  # b != b: NaN
        return xp.masked(keep, grad_output * getattr(np, cls.log)(b))


class Xlog1py(Xlogy):  # (quiet: the methods are Xlogy's)
    """y = a log(1 + b), 0 where a = 0 unless b is NaN;  da = g log(1 + b), 0 where a = 0
    and b <= -1;  db = g a / (1 + b) (PyTorch's gradients)."""

    log, edge = "log1p", -1


@xp.quiet
class Log2(Function):
    """y = log2(x);  dx = g / (x ln 2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (x * _LN2)


@xp.quiet
class Log10(Function):
    """y = log10(x);  dx = g / (x ln 10)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return rounded_once(np.log10, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (x * _LN10)


@xp.quiet
class Log1p(Function):
    """y = log(1 + x), accurate for small x;  dx = g / (1 + x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return rounded_once(np.log1p, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (x + 1)


@xp.quiet
class Exp2(Function):
    """y = 2**x;  dx = g * y * ln 2."""

    def forward(ctx, x):
        y = rounded_once(np.exp2, x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y * _LN2


@xp.quiet
class Expm1(Function):
    """y = exp(x) - 1, accurate for small x;  dx = g * (y + 1)."""

    def forward(ctx, x):
        y = rounded_once(np.expm1, x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (y + 1)


# ----------------------------------------------------------------------------- trigonometric
@xp.quiet
class Tan(Function):
    """y = tan(x);  dx = g * (1 + y**2)."""

    def forward(ctx, x):
        y = rounded_once(np.tan, x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (1 + y * y)


@xp.quiet
class Sinh(Function):
    """y = sinh(x);  dx = g * cosh(x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return rounded_once(np.sinh, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _call("cosh", x)


@xp.quiet
class Cosh(Function):
    """y = cosh(x);  dx = g * sinh(x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return rounded_once(np.cosh, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _call("sinh", x)


@xp.quiet
class Asin(Function):
    """y = asin(x);  dx = g / sqrt(1 - x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / _call("sqrt", 1 - x * x)  # (-inf) ** -0.5 is 0, not nan


@xp.quiet
class Acos(Function):
    """y = acos(x);  dx = -g / sqrt(1 - x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -grad_output / _call("sqrt", 1 - x * x)


class Atan(Function):
    """y = atan(x);  dx = g / (1 + x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return rounded_once(np.arctan, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x * x)


@xp.quiet
class Asinh(Function):
    """y = asinh(x);  dx = g / sqrt(x**2 + 1)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x * x + 1) ** -0.5


@xp.quiet
class Acosh(Function):
    """y = acosh(x);  dx = g / sqrt(x**2 - 1)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccosh(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x * x - 1) ** -0.5


@xp.quiet
class Atanh(Function):
    """y = atanh(x);  dx = g / (1 - x**2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctanh(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 - x * x)


@xp.quiet
class Atan2(Function):
    """y = atan2(a, b);  da = (g b) r,  db = (g (-a)) r with r = 1 / (a**2 + b**2) (0 at
    (0, 0)), in PyTorch's order (so a**2 + b**2 past the dtype's range is PyTorch's NaN/inf)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if type(a) is np.ndarray and a.dtype == np.float32:  # PyTorch's is within 1 ulp of
            wide = np.arctan2(a.astype(np.float64), b)  # the exact value; NumPy's float32
            return wide.astype(np.float32)  # arctan2 is 3 ulps off (28 % of values apart)
        return np.arctan2(a, b)

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        square = a * a + b * b  # 0 at (0, 0), where both gradients are 0 as PyTorch
        reciprocal = (square != 0) / (square + (square == 0))
        return (grad_output * b) * reciprocal, (grad_output * -a) * reciprocal


# ----------------------------------------------------------------------------- two operands
def sigmoid_in_rule(x):
    """sigmoid(x) inside a backward rule: on arrays xp.sigmoid; under create_graph
    exp(logsigmoid(x)), whose derivative sigmoid(x) sigmoid(-x) keeps its digits where
    sigmoid's own, y (1 - y), loses them to 1 - y (0 in float32 from x = 17 on, where
    sigmoid(-17) is 4e-8)."""
    return x.logsigmoid().exp() if xp.is_tensor(x) else xp.sigmoid(x)


@xp.quiet
class LogAddExp(Function):
    """y = log(exp(a) + exp(b)), stable;  da = g sigmoid(a - b),  db = g sigmoid(b - a)
    (= g exp(a - y): also 1 and 0 where a = inf and b is finite, as PyTorch's)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.logaddexp(a, b)

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        grad_a = grad_output * sigmoid_in_rule(a - b) if ctx.needs_input_grad[0] else None
        grad_b = grad_output * sigmoid_in_rule(b - a) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


@xp.quiet
@xp.quiet  # (inf / inf in the gradient: NaN, silently)
class Copysign(Function):
    """y = |a| with the sign of b (`b` the sign array, `other` in the graph for its gradient);
    da = g (y / a), 0 where a = 0 (NaN at a = +-inf, as PyTorch's);  d other = 0."""

    def forward(ctx, a, b, other):
        y = np.copysign(a, b).astype(a.dtype, copy=False)
        ctx.save_for_backward(a, y)
        return y

    def backward(ctx, grad_output):
        a, y = ctx.saved_tensors
        ratio = y / a
        ratio = ratio.masked_fill(a == 0, 0) if xp.is_tensor(ratio) else np.where(
            a == 0, ratio.dtype.type(0), ratio)
        zeros = (grad_output * 0 if xp.is_tensor(grad_output) else np.zeros_like(grad_output)
                 ) if ctx.needs_input_grad[2] else None
        return grad_output * ratio, None, zeros


@xp.quiet  # (past the dtype's range: inf, silently, as PyTorch)
class Hypot(Function):
    """y = sqrt(a**2 + b**2) without overflow;  da = (g a) / y,  db = (g b) / y (PyTorch's
    order: g a overflows or rounds into the subnormals as there)."""

    def forward(ctx, a, b):
        y = np.hypot(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, grad_output):
        a, b, y = ctx.saved_tensors
        return (grad_output * a) / y, (grad_output * b) / y


def _check_integer_divisor(a, b, op: str) -> None:
    """PyTorch refuses integer division by zero (NumPy warns and returns 0), and has no bool
    kernel of these ops."""
    kind = np.result_type(a, b).kind
    if kind == "b":
        raise DtypeError(f"{op}: not implemented for bool tensors, as in PyTorch; convert with "
                         f".long() first")
    if (kind in "iu" and np.any(np.asarray(b) == 0)
            and np.broadcast(a, b).size):  # an empty result divides nothing
        raise IntegerDivisionByZero(f"{op}: integer division by zero")


@xp.quiet
class Fmod(Function):
    """y = a - b trunc(a / b) (sign of a, C's fmod);  da = g,  db = -g trunc(a / b)."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)
    mask_only = True  # the quotient is piecewise constant (ops/masked.py)

    def forward(ctx, a, b):
        _check_integer_divisor(a, b, "fmod")
        with np.errstate(divide="ignore", invalid="ignore"):  # x fmod 0 is NaN, as PyTorch
            if ctx.needs_input_grad[1]:
                ctx.quotient = np.trunc(a / b)
            return np.fmod(a, b)

    def backward(ctx, grad_output):
        grad_b = -grad_output * ctx.quotient if ctx.needs_input_grad[1] else None
        return grad_output, grad_b


@xp.quiet
class Remainder(Function):
    """y = a - b floor(a / b) (sign of b, Python's %);  da = g,  db = -g floor(a / b)."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)
    mask_only = True  # the quotient is piecewise constant (ops/masked.py)

    def forward(ctx, a, b):
        _check_integer_divisor(a, b, "remainder")
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0 is NaN, as PyTorch
            if ctx.needs_input_grad[1]:
                ctx.quotient = np.floor_divide(a, b)
            y = np.remainder(a, b)
        if y.dtype.kind == "f":  # a zero has the dividend's sign (NumPy: the divisor's), as
            y = xp.where(y == 0, np.copysign(y, a), y)  # PyTorch: -4.0 % 2 is -0.0
        return y

    def backward(ctx, grad_output):
        grad_b = -grad_output * ctx.quotient if ctx.needs_input_grad[1] else None
        return grad_output, grad_b


class FloorDivide(Function):
    """y = floor(a / b);  not differentiable (PyTorch raises too: its derivative is 0 a.e.)."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    def forward(ctx, a, b):
        _check_integer_divisor(a, b, "floor_divide")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # x // 0 is +-inf
            return np.floor_divide(a, b)  # or NaN, 1e30 // 1e-45 inf in float32 (silently)

    def backward(ctx, grad_output):
        raise RuntimeError("floor_divide (//) is not differentiable, as in PyTorch; "
                           "detach() its operands, or use (a / b).floor() for a zero gradient")


# ----------------------------------------------------------------------------- rounding
class _PiecewiseConstant(Function):
    """Base of the rounding ops: a step function has gradient 0 (PyTorch gives 0 too).

    Integer and bool tensors come back unchanged in their own dtype, as in PyTorch.
    """

    def backward(ctx, grad_output):
        # zeros, not g * 0: an infinite upstream gradient must not turn into NaN
        return grad_output * 0 if xp.is_tensor(grad_output) else np.zeros_like(grad_output)


class Sign(_PiecewiseConstant):
    """y = sign(x) (-1, 0 or 1; 0 at NaN, as PyTorch, where NumPy gives NaN);  dx = 0."""

    def forward(ctx, x):
        return x.copy() if x.dtype == np.bool_ else sign(x)



class Floor(_PiecewiseConstant):
    """y = floor(x);  dx = 0."""

    def forward(ctx, x):
        return np.floor(x) if x.dtype.kind == "f" else x.copy()


class Ceil(_PiecewiseConstant):
    """y = ceil(x);  dx = 0."""

    def forward(ctx, x):
        return np.ceil(x) if x.dtype.kind == "f" else x.copy()


class Trunc(_PiecewiseConstant):
    """y = trunc(x) (towards zero);  dx = 0."""

    def forward(ctx, x):
        return np.trunc(x) if x.dtype.kind == "f" else x.copy()


class Round(_PiecewiseConstant):
    """y = x rounded half to even at `decimals` digits (x * 10**d rounded, / 10**d);  dx = 0."""

    def forward(ctx, x, decimals):
        if x.dtype.kind != "f":
            return x.copy()
        if decimals == 0:
            return np.rint(x)
        with np.errstate(over="ignore", invalid="ignore"):  # PyTorch's inf and NaN, silently
            scale = np.power(10.0, abs(decimals)).astype(x.dtype)  # 10**39 is inf in float32
            if decimals > 0:
                return np.rint(x * scale) / scale
            return np.rint(x / scale) * scale
