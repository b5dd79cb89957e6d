"""Special functions: log-gamma, the polygamma family (digamma = polygamma 0) and erfinv.

NumPy has none of them, so each has a float64 kernel here (results cast back to float32 for
float32 inputs), accurate to about 1e-14 relative:

* lgamma: the Lanczos approximation (g = 7, 9 terms) for x >= 1/2, the reflection formula
  lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x) below; +inf at the poles 0, -1, -2, ...
* polygamma(n, x): the recurrence psi_n(x) = psi_n(x + 1) - (-1)**n n! / x**(n+1) moves x
  above max(15, 2n), where the asymptotic series with Bernoulli numbers is used; digamma
  uses the reflection psi(x) = psi(1 - x) - pi / tan(pi x) for negative x, polygamma its
  n-th derivative (through cot's derivatives) below -1000. As PyTorch: digamma(0) is
  -inf and a negative integer gives NaN; polygamma(n >= 1) is (-1)**(n+1) inf at the poles.
* erfinv (and ndtri): polynomials in a^2 near 0 and in sqrt(-log(1 - |a|)) towards
  +-1 (ops/inverse_erf.py), within 5e-16 relative; +-inf at +-1, NaN outside [-1, 1].

Each op's derivative is the next function of the family: lgamma' = digamma,
polygamma(n)' = polygamma(n + 1), erfinv'(x) = sqrt(pi)/2 exp(erfinv(x)**2).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.function import Function
from tinygrad_np.ops.inverse_erf import blockwise, erfcinv_tail, erfinv_central
from tinygrad_np.ops.math import erfc

_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)  # B2, B4, ..., B14
_SHIFT_TO = 15.0
_REFLECT_BELOW = -1000.0  # polygamma (n >= 1) reflects below this, recurs above
_HALF_SQRT_PI = math.sqrt(math.pi) / 2


def _float64(values: np.ndarray) -> tuple[np.ndarray, np.dtype]:
    values = np.asarray(values)
    dtype = values.dtype if values.dtype.kind == "f" else get_default_dtype()  # (of ints)
    return values.astype(np.float64), dtype


def _over_power(top: int, bottom: int, x: np.ndarray, power: int) -> np.ndarray:
    """Gamma(top) / Gamma(bottom) / x**power (bottom 0: no division); through logarithms
    past order 100, where the factorials and powers overflow but not their ratio."""
    if power <= 100:
        ratio = math.factorial(top - 1) // (math.factorial(bottom - 1) if bottom else 1)
        return float(ratio) / x**power
    log_ratio = math.lgamma(top) - (math.lgamma(bottom) if bottom else 0.0)
    return np.sign(x) ** power * np.exp(log_ratio - power * np.log(np.abs(x)))


def _cast(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The float64 result in the input's dtype: values past float16/float32 become +-inf
    quietly (no overflow warning), as PyTorch's."""
    with np.errstate(all="ignore"):
        return result.astype(dtype)


def _cot_derivative(n: int, x: np.ndarray) -> np.ndarray:
    """d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x)), P_0(c) = c, P_k+1(c) = -(1 + c^2) P_k'(c);
    the argument reduced to [-1/2, 1/2] first (cot has period 1), exact for large |x|."""
    t = x - np.round(x)  # cot(pi t) = tan(pi (+-1/2 - t)): exact 0 at the half-integers,
    c = np.where(np.abs(t) < 0.25, 1.0 / np.tan(math.pi * t),  # where pi/2's rounding gave 6e-17
                 np.tan(math.pi * (np.copysign(0.5, t) - t)))
    poly = np.polynomial.Polynomial([0.0, 1.0])
    for _ in range(n):
        poly = -poly.deriv() * np.polynomial.Polynomial([1.0, 0.0, 1.0])
    total = np.full_like(c, poly.coef[-1])  # Horner by hand: NumPy's polyval adds c * 0,
    for coefficient in poly.coef[-2::-1]:  # NaN where cot(pi x) overflows (x = -1e-320)
        total = total * c + coefficient
    return math.pi**n * total


def lgamma(values: np.ndarray) -> np.ndarray:
    """log |Gamma(x)| elementwise (see the module docstring)."""
    x, dtype = _float64(values)
    with np.errstate(all="ignore"):
        reflect = x < 0.5
        z = np.where(reflect, -x, x - 1.0)  # the Lanczos sum at 1 - x below 1/2
        total = np.full_like(z, _LANCZOS[0])
        for i, coefficient in enumerate(_LANCZOS[1:], start=1):
            total += coefficient / (z + i)
        t = z + 7.5
        result = 0.5 * math.log(2 * math.pi) + (z + 0.5) * np.log(t) - t + np.log(total)
        offset = np.abs(x - np.round(x))
        sine = np.abs(np.sin(math.pi * offset))  # exact zeros at the poles
        # log(pi / sine), which overflows at x = 1e-320: -log|x| where sin(pi x) = pi x
        # (pi x as a subnormal has few digits)
        log_ratio = np.where(offset < 1e-150, -np.log(offset), math.log(math.pi) - np.log(sine))
        result = np.where(reflect, log_ratio - result, result)
        result = np.where(np.isinf(x) | np.isnan(x), np.abs(x), result)  # inf, NaN stay
        result = np.where((x == 1) | (x == 2), 0.0, result)  # exact zeros, as PyTorch
    return _cast(result, dtype)


def polygamma(n: int, values: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma elementwise (n = 0: digamma)."""
    x, dtype = _float64(values)
    original = x
    with np.errstate(all="ignore"):
        # psi_n(1 - x) + (-1)**(n+1) psi_n(x) = (-1)**n pi d^n/dx^n cot(pi x): digamma
        # below 0; for n >= 1 only far below (the recurrence's sum is exact at half-integers,
        # where the reflection's cot term would cancel)
        reflect = x < (0.0 if n == 0 else _REFLECT_BELOW)
        x = np.where(reflect, 1.0 - x, x)
        sign = 1.0 if n % 2 else -1.0  # (-1)**(n+1)
        shift_to = max(_SHIFT_TO, 2.0 * n)  # the series needs x well above n
        total = np.zeros_like(x)
        low = (x < shift_to) & np.isfinite(x)
        steps = int(np.ceil(shift_to - x[low].min())) if low.any() else 0
        for _ in range(steps):
            small = x < shift_to
            if n == 0:
                total -= np.where(small, 1.0 / x, 0.0)
            else:
                total += np.where(small, sign * _over_power(n + 1, 0, x, n + 1), 0.0)
            x = np.where(small, x + 1.0, x)
        if n == 0:
            series = np.log(x) - 0.5 / x
            for k, b in enumerate(_BERNOULLI, start=1):
                series -= b / (2 * k * x ** (2 * k))
        else:
            series = _over_power(n, 0, x, n) + _over_power(n + 1, 0, x, n + 1) / 2
            for k, b in enumerate(_BERNOULLI, start=1):
                series += b * _over_power(2 * k + n, 2 * k + 1, x, 2 * k + n)
            series *= sign
        result = np.where(total == 0, series, total + series)  # keeps the sign of a zero
        cot = (-1.0) ** n * math.pi * _cot_derivative(n, original)
        result = np.where(reflect, sign * (cot - result), result)
        pole = (original <= 0) & (original == np.floor(original))
        if n == 0:  # as PyTorch: -inf at +0, +inf at -0, NaN at the negative integers
            at_pole = np.where(original == 0, np.copysign(np.inf, -original), np.nan)
        else:  # (-1)**(n+1) inf at the poles; at -inf NaN for n = 1 (no limit), a pole's
            at_pole = np.where(np.isinf(original) & (n == 1), np.nan, sign * np.inf)  # above
        result = np.where(pole, at_pole, result)
        if n >= 2:  # as PyTorch: NaN at +inf (its series gives 0 * inf there)
            result = np.where(original == np.inf, np.nan, result)
    return _cast(result, dtype)


def erfinv(values: np.ndarray) -> np.ndarray:
    """The inverse of erf elementwise: polynomials (ops/inverse_erf.py), erfcinv(1 - |y|)
    past |y| = 1/2 (1 - |y| is exact there); +-inf at +-1, NaN outside [-1, 1]."""
    y, dtype = _float64(values)
    with np.errstate(all="ignore"):
        return _cast(blockwise(_erfinv_block, y), dtype)


def _erfinv_block(y: np.ndarray) -> np.ndarray:
    a = np.abs(y)
    x = np.where(a > 1.0, np.nan, a)  # (NaN stays NaN)
    middle = a <= 0.5
    x[middle] = erfinv_central(a[middle])
    x[~middle] = erfcinv_tail(np.maximum(1.0 - x[~middle], 0.0))
    return np.copysign(x, y)


def ndtri(values: np.ndarray) -> np.ndarray:
    """The inverse of the standard normal CDF elementwise: sqrt(2) erfinv(2p - 1) within
    [1/4, 3/4] (2p - 1 is exact there); in the tails -+sqrt(2) erfcinv(2q), q the smaller
    of p and 1 - p (exact), so p = 1e-300 gives -37.05 where 2p - 1 would round to -1."""
    p, dtype = _float64(values)
    with np.errstate(all="ignore"):
        return _cast(blockwise(_ndtri_block, p), dtype)


def _ndtri_block(p: np.ndarray) -> np.ndarray:
    q = np.minimum(p, 1.0 - p)
    result = np.where((p < 0) | (p > 1), np.nan, p)  # (NaN stays NaN)
    middle = q >= 0.25
    result[middle] = math.sqrt(2.0) * erfinv_central(2 * p[middle] - 1)
    tails = ~middle & ~np.isnan(result)
    root = math.sqrt(2.0) * erfcinv_tail(2 * q[tails])
    result[tails] = np.where(p[tails] < 0.5, -root, root)
    return result


def _log_erfc(t: np.ndarray) -> np.ndarray:
    """log erfc(t) for t >= 0; past t = 26 (where erfc nears float64's smallest numbers) its
    asymptotic series -t^2 - log(t sqrt(pi)) + log(1 - 1/(2t^2) + 3/(4t^4) - ...)."""
    far = np.maximum(t, 26.0)
    u = 1 / (2 * far * far)
    series = 1 - u * (1 - 3 * u * (1 - 5 * u * (1 - 7 * u)))
    asymptotic = -far * far - np.log(far * math.sqrt(math.pi)) + np.log(series)
    return np.where(t < 26, np.log(erfc(np.minimum(t, 26.0))), asymptotic)


def _polygamma(n: int, x):
    """polygamma on an array, or the recorded op on a Tensor (create_graph)."""
    return Polygamma.apply(x, n) if xp.is_tensor(x) else polygamma(n, x)


class Lgamma(Function):
    """y = log |Gamma(x)|;  dx = g * digamma(x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return lgamma(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _polygamma(0, x)


class Polygamma(Function):
    """y = psi_n(x), the n-th derivative of digamma (n = 0: digamma);  dx = g * psi_n+1(x)."""

    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.order = n
        return polygamma(n, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _polygamma(ctx.order + 1, x), None

    def _pytorch_node(ctx):
        return "DigammaBackward0" if ctx.order == 0 else None


class Erfinv(Function):
    """y = erfinv(x);  dx = g * sqrt(pi)/2 * exp(y**2)."""

    def forward(ctx, x):
        y = erfinv(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * _HALF_SQRT_PI * xp.exp(y * y)


class Ndtri(Function):
    """y = ndtri(p) (the standard normal quantile);  dp = g * sqrt(2 pi) * exp(y**2 / 2)."""

    def forward(ctx, p):
        y = ndtri(p)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * math.sqrt(2 * math.pi) * xp.exp(y * y * 0.5)


class Entr(Function):
    """y = -x log x (0 at 0, -inf below);  dx = -g (log x + 1) (inf at 0, NaN below: PyTorch's)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # -1e38 log 1e38
            return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)),
                            np.where(x == 0, 0, np.where(np.isnan(x), x, -np.inf))).astype(x.dtype)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -grad_output * (xp.log(x) + 1)
