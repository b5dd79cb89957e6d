"""erfcx, the Hurwitz zeta function and the regularized incomplete gamma functions.

Float64 kernels written from the math:

* erfcx(x) = exp(x^2) erfc(x): exp(x^2) erfc(x) below x = 2 (erfc > 0.004 there: no
  cancellation to speak of), Laplace's continued fraction
  erfcx(x) = 1/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) from 2 on, and
  2 exp(x^2) - erfcx(-x) for x < 0 (+inf below about -26.6).
* zeta(x, q) = sum_k (q + k)^-x by Euler-Maclaurin summation: N terms directly, so that
  q + N >= max(10, x) (at most 60 terms), then the integral and 12 Bernoulli corrections
  of the tail. As PyTorch: +inf at x = 1 and at q = 0, -1, -2, ...; NaN for x < 1, for
  q < 0 with x not an integer, and at q = +inf; zeta(+inf, q) = 1 at q = 1.
* P(a, x) = gammainc, Q(a, x) = gammaincc: the series
  P = x^a e^-x / Gamma(a+1) sum_k x^k / ((a+1)...(a+k)) for x < a + 1, Legendre's continued
  fraction for Q (modified Lentz) above, both with the prefactor x^a e^-x / Gamma(a) in
  Stirling's form from a = 10 on (about 1e-13 from mpmath for a, x in 1e-3..1e4; PyTorch's
  are up to 2e-9 off); Q for small a and x <= 1.1 (where 1 - P would cancel) by the series
  of Q itself; for a > 10000 near the transition (|x/a - 1| < 0.3, where both need
  O(sqrt a) steps) Temme's uniform expansion
  Q = erfc(eta sqrt(a/2))/2 + exp(-a eta^2/2)/sqrt(2 pi a) (c0(eta) + c1(eta)/a),
  eta^2/2 = x/a - 1 - log(x/a), with c0 and c1's Taylor series in eta computed at import by
  power-series arithmetic. PyTorch's edges: P(0, x > 0) = 1, P(a, 0) = 0, NaN for a < 0 or
  x < 0 and at (0, 0) and (inf, inf).

Gradients where PyTorch has them: erfcx' = 2x erfcx(x) - 2/sqrt(pi); zeta and the incomplete
gamma functions only in their second argument (d/dq zeta(x, q) = -x zeta(x + 1, q),
d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) = -d/dx Q(a, x)); the first raises as PyTorch's.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.bessel import _derivative_error, cast, wide
from tinygrad_np.ops.math import erfc
from tinygrad_np.ops.special import lgamma

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI


# ----------------------------------------------------------------------------- erfcx
_ERFCX_FRACTION_FROM = 2.0
_ERFCX_DEPTH = 60


def _erfcx_fraction(x: np.ndarray) -> np.ndarray:
    """Laplace's continued fraction for erfcx(x), x >= 2 (bottom-up, fixed depth)."""
    denominator = x.copy()
    for level in range(_ERFCX_DEPTH, 0, -1):
        denominator = x + (level / 2) / denominator
    return 1.0 / (_SQRT_PI * denominator)


def _erfcx_positive(x: np.ndarray) -> np.ndarray:
    """erfcx(x) for x >= 0 (inf included)."""
    out = np.empty_like(x)
    small = x < _ERFCX_FRACTION_FROM
    out[small] = np.exp(x[small] ** 2) * erfc(x[small])
    out[~small] = _erfcx_fraction(x[~small])
    return out


def erfcx(values) -> np.ndarray:
    """exp(x^2) erfc(x) of an array, float64 (see the module docstring)."""
    x = wide(values)
    with np.errstate(all="ignore"):
        magnitude = np.abs(np.nan_to_num(x, nan=0.0))
        positive = _erfcx_positive(magnitude)
        result = np.where(x < 0, 2 * np.exp(x * x) - positive, positive)
    return np.where(np.isnan(x), np.nan, result)


@xp.quiet
class Erfcx(Function):
    """y = exp(x^2) erfc(x);  dx = g * (2x y - 2/sqrt(pi))."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cast(erfcx(x), x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if xp.is_tensor(x):  # (create_graph; in float64, as below)
            x64 = x.double()
            return grad_output * _erfcx_slope(x64, Erfcx.apply(x64)).to(x.dtype)
        return grad_output * cast(_erfcx_slope(wide(x), erfcx(x)), x)  # float64 arithmetic:
        # float32's 2x y - 2/sqrt(pi) loses 2e-5 to cancellation at x = 10


_SLOPE_SERIES_FROM = 10.0
# erfcx'(x) = 2x erfcx(x) - 2/sqrt(pi) cancels for large x (all digits lost by x = 1e8); its
# asymptotic series 2/sqrt(pi) sum_k>=1 (-1)^k (2k-1)!! / (2 x^2)^k has no cancellation and,
# with 12 terms, an error under 1e-15 from x = 10 on
_SLOPE_SERIES = [(-1) ** k * math.prod(range(1, 2 * k, 2)) / 2**k for k in range(1, 13)]


def _erfcx_slope(x, y):
    """erfcx'(x) for y = erfcx(x): 2x y - 2/sqrt(pi) below x = 10, the series from there
    (each branch sees only its own x, so neither puts an inf * 0 into the other's gradient)."""
    far = (x.detach().numpy() if xp.is_tensor(x) else x) >= _SLOPE_SERIES_FROM
    if not far.any():
        return 2 * x * y - _TWO_OVER_SQRT_PI
    start = _SLOPE_SERIES_FROM
    if xp.is_tensor(x):
        near, z, y = x.clamp(max=start), x.clamp(min=start), y.where(~far, 0.0)
    else:
        near, z, y = np.minimum(x, start), np.maximum(x, start), np.where(far, 0.0, y)
    inverse = 1.0 / z  # (0 at x = inf, with the slope's limits, 0; not 1 / z^2, whose
    inverse_square = inverse * inverse  # gradient there would be inf * 0)
    total = _SLOPE_SERIES[-1]
    for coefficient in _SLOPE_SERIES[-2::-1]:
        total = total * inverse_square + coefficient
    series = total * inverse_square * _TWO_OVER_SQRT_PI
    near = 2 * near * y - _TWO_OVER_SQRT_PI
    return series.where(far, near) if xp.is_tensor(x) else np.where(far, series, near)


# ----------------------------------------------------------------------------- zeta
def _bernoulli_even(count: int) -> list[Fraction]:
    """B_2, B_4, ..., B_2count from sum_j C(m+1, j) B_j = 0 (exact fractions)."""
    numbers = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        numbers.append(-sum(math.comb(m + 1, j) * numbers[j] for j in range(m)) / (m + 1))
    return numbers[2::2]


_EULER_MACLAURIN_TERMS = 12
# B_2j / (2j)!: the Euler-Maclaurin correction coefficients
_CORRECTIONS = [float(b / math.factorial(2 * j))
                for j, b in enumerate(_bernoulli_even(_EULER_MACLAURIN_TERMS), start=1)]
_ZETA_DIRECT_MAX = 60
_ZETA_SHIFT_TO = 10.0


def _zeta_sum(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Euler-Maclaurin for sum_k (q + k)^-x, x > 1 finite, q finite and not a pole."""
    wanted = np.ceil(np.maximum(_ZETA_SHIFT_TO, np.minimum(x, _ZETA_DIRECT_MAX)) - q)
    terms = np.clip(wanted, 0, None)
    total = np.zeros_like(x)
    for k in range(int(terms.max()) if terms.size else 0):
        total += np.where(k < terms, np.power(q + k, -x), 0.0)
    w = q + terms
    power = np.power(w, -x)  # w^-x
    tail = w * power / (x - 1) + power / 2
    factor = x * power / w  # x w^(-x-1): then times (x+1)(x+2)/w^2 per step
    for j, coefficient in enumerate(_CORRECTIONS):
        tail += coefficient * factor
        factor = factor * (x + 2 * j + 1) * (x + 2 * j + 2) / (w * w)
    return total + tail


def zeta(x_values, q_values) -> np.ndarray:
    """The Hurwitz zeta function sum_k (q + k)^-x of two arrays (broadcast), float64."""
    x, q = np.broadcast_arrays(wide(x_values), wide(q_values))
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        pole = (q <= 0) & (q == np.floor(q))
        valid = (x > 1) & np.isfinite(q) & ~pole & ((q > 0) | (x == np.floor(x)))
        finite = valid & np.isfinite(x)
        if finite.any():
            out[finite] = _zeta_sum(x[finite], q[finite])
        infinite = valid & (x == np.inf)  # q^-x: 1 at q = 1, inf below (NaN above, as
        out[infinite] = np.where(q[infinite] == 1, 1.0,  # PyTorch, rather than 0)
                                 np.where(q[infinite] < 1, np.inf, np.nan))
        out[(x == 1) & ~np.isnan(q)] = np.inf
        out[pole & ((x > 1) | np.isnan(x))] = np.inf  # (a NaN x too, as PyTorch)
    return out


@xp.quiet
class Zeta(Function):
    """y = zeta(x, q);  dq = -g * x * zeta(x + 1, q)  (no derivative in x, as PyTorch)."""

    def forward(ctx, x, q):
        ctx.save_for_backward(x, q)
        return cast(zeta(x, q), x, q)

    def backward(ctx, grad_output):
        if ctx.needs_input_grad[0]:
            raise _derivative_error("zeta")
        x, q = ctx.saved_tensors
        shifted = (Zeta.apply(x + 1, q) if xp.is_tensor(q) or xp.is_tensor(x)
                   else cast(zeta(x + 1, q), x, q))
        return None, -grad_output * x * shifted


# ----------------------------------------------------------------------------- gammainc
def _multiply(a: np.ndarray, b: np.ndarray, order: int) -> np.ndarray:
    return np.convolve(a, b)[:order]


def _reciprocal(a: np.ndarray, order: int) -> np.ndarray:
    """1 / a as a power series (a[0] != 0)."""
    out = np.zeros(order)
    out[0] = 1.0 / a[0]
    for n in range(1, order):
        out[n] = -np.dot(a[1 : n + 1], out[n - 1 :: -1][:n]) / a[0]
    return out


def _temme_coefficients(order: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Taylor coefficients in eta of Temme's c0(eta) = 1/mu - 1/eta and
    c1(eta) = 1/eta^3 - 1/mu^3 - 1/mu^2 - 1/(12 mu), mu = x/a - 1 as a series in eta
    (the inverse of eta^2/2 = mu - log(1 + mu)), by power-series arithmetic."""
    size = order + 4
    # eta = mu s(mu), s^2 = 2 (mu - log(1 + mu)) / mu^2 = sum_k 2 (-1)^k mu^k / (k + 2)
    s_squared = np.array([2.0 * (-1) ** k / (k + 2) for k in range(size)])
    s = np.zeros(size)  # the square root, term by term
    s[0] = 1.0
    for n in range(1, size):
        s[n] = (s_squared[n] - np.dot(s[1:n], s[n - 1 : 0 : -1])) / 2
    # revert eta = mu s(mu): mu = eta t(eta) with t = 1 / s(eta t) (fixed point, one order
    # of accuracy per pass)
    t = np.zeros(size)
    t[0] = 1.0
    for _ in range(size):
        mu = np.concatenate([[0.0], t[:-1]])  # eta t(eta)
        composed, power = np.zeros(size), np.zeros(size)
        power[0] = 1.0
        for coefficient in s:
            composed += coefficient * power
            power = _multiply(power, mu, size)
        t = _reciprocal(composed, size)
    r = _reciprocal(t, size)  # eta / mu
    r2, r3 = _multiply(r, r, size), _multiply(_multiply(r, r, size), r, size)
    c0 = r[1 : order + 1]  # (r - 1)/eta
    # c1 = ((1 - r^3) - eta r^2 - eta^2 r / 12) / eta^3
    numerator = -r3
    numerator[0] += 1.0
    numerator[1:] -= r2[:-1]
    numerator[2:] -= r[:-2] / 12
    c1 = numerator[3 : order + 3]
    return c0, c1


_C0, _C1 = _temme_coefficients()
_TEMME_FROM_A = 1e4  # (below, the series and the fraction: ~1e-13 from mpmath)
_TEMME_WITHIN = 0.3  # |x/a - 1|
_ITERATIONS = 2000
_EPSILON = 1e-16
_TINY = 1e-300


# Stirling's series of lgamma(a) - ((a - 1/2) log a - a + log(2 pi) / 2): B_2k / (2k (2k - 1))
_STIRLING = np.array([1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
                      -3617 / 122400])
_STIRLING_FROM = 10.0  # (its 9th term is below 1e-17 there)


def _log_prefactor(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log(x^a e^-x / Gamma(a)). From a = 10 on, as -a (d - log1p(d)) + log(a / (2 pi)) / 2
    - stirling(a) with d = x/a - 1, whose error is about |x - a| ulp (a log x - x - lgamma(a)
    cancels terms of size a log a: 1e-12 relative error at a = 1000)."""
    large = a >= _STIRLING_FROM
    direct = a * np.log(x) - x - lgamma(np.where(large, 1.0, a))
    big = np.where(large, a, _STIRLING_FROM)
    d = (x - big) / big
    inverse = 1 / big
    stirling = inverse * np.polynomial.polynomial.polyval(inverse * inverse, _STIRLING)
    log_ratio = np.where(np.abs(d) < 0.5, np.log1p(d), np.log(x / big))  # (1 + d: x << a)
    scaled = -big * (d - log_ratio) + 0.5 * np.log(big / (2 * math.pi)) - stirling
    return np.where(large, scaled, direct)


# log Gamma(1 + a) = -euler a + sum_k>=2 (-1)^k zeta(k) a^k / k for |a| < 1
_LGAMMA1P = np.concatenate([[0.0, -0.5772156649015329], [
    (-1) ** k * value / k for k, value in
    zip(range(2, 64), zeta(np.arange(2, 64.0), np.ones(62)))]])


def _upper_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) for small a and x <= 1.1, where 1 - P cancels (Q of order a):
    Q = -expm1(a log x - lgamma(1 + a)) - x^a / Gamma(a) sum_n>=1 (-x)^n / (n! (a + n)),
    lgamma(1 + a) by its Taylor series (a < 0.5 here)."""
    factor, total = np.ones_like(x), np.zeros_like(x)
    for n in range(1, 40):  # (x <= 1.1: 1.1^40 / 40! is far below 1e-17)
        factor = factor * -x / n
        total = total + factor / (a + n)
    log_gamma1p = np.polynomial.polynomial.polyval(a, _LGAMMA1P)
    head = -np.expm1(a * np.log(x) - log_gamma1p)
    return head - np.exp(a * np.log(x) - log_gamma1p + np.log(a)) * total


def _lower_series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(a, x) by its series (x < a + 1)."""
    term = np.ones_like(x)
    total = term.copy()
    active = np.ones(x.shape, dtype=bool)
    for k in range(1, _ITERATIONS):
        term = np.where(active, term * x / (a + k), 0.0)
        total += term
        active &= term > _EPSILON * total
        if not active.any():
            break
    return np.exp(_log_prefactor(a, x) - np.log(a)) * total


def _upper_fraction(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) by Legendre's continued fraction (x >= a + 1), modified Lentz."""
    b = x + 1.0 - a
    c = np.full_like(x, 1.0 / _TINY)
    d = 1.0 / b
    h = d.copy()
    active = np.ones(x.shape, dtype=bool)
    for i in range(1, _ITERATIONS):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = np.where(np.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = np.where(active, d * c, 1.0)
        h *= delta
        active &= np.abs(delta - 1.0) > _EPSILON
        if not active.any():
            break
    return np.exp(_log_prefactor(a, x)) * h


def _temme(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) for x >= a, P(a, x) for x < a (the smaller one, without cancelling) by
    Temme's uniform expansion (a large, x/a near 1): P = erfc(-eta sqrt(a/2))/2 - R."""
    mu = x / a - 1.0
    eta = np.sign(mu) * np.sqrt(2.0 * (mu - np.log1p(mu)))
    c0 = np.polynomial.polynomial.polyval(eta, _C0)
    c1 = np.polynomial.polynomial.polyval(eta, _C1)
    sign = np.where(x < a, -1.0, 1.0)
    leading = erfc(sign * eta * np.sqrt(a / 2)) / 2
    return leading + sign * np.exp(-a * eta * eta / 2) / np.sqrt(2 * math.pi * a) * (c0 + c1 / a)


def incomplete_gamma(a_values, x_values, upper: bool) -> np.ndarray:
    """P(a, x) (Q(a, x) when `upper`) of two arrays (broadcast), float64."""
    a, x = np.broadcast_arrays(wide(a_values), wide(x_values))
    lower = np.full(a.shape, np.nan)  # P, then Q = 1 - P where P was computed
    upper_part = np.full(a.shape, np.nan)  # Q where Q was computed directly
    with np.errstate(all="ignore"):
        regular = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        temme = regular & (a > _TEMME_FROM_A) & (np.abs(x / a - 1.0) < _TEMME_WITHIN)
        series = regular & ~temme & (x < a + 1.0)
        fraction = regular & ~temme & ~series
        small = regular & (x <= 1.1) & (a < 0.5) & (  # Q of order a: P's 1 - Q cancels
            a < np.where(x <= 0.5, -0.4 / np.log(x), 1.1 * x))
        series &= ~small
        fraction &= ~small
        if small.any():
            upper_part[small] = _upper_series(a[small], x[small])
        if series.any():
            lower[series] = _lower_series(a[series], x[series])
        if fraction.any():
            upper_part[fraction] = _upper_fraction(a[fraction], x[fraction])
        below = temme & (x < a)
        if below.any():
            lower[below] = _temme(a[below], x[below])
        above = temme & (x >= a)
        if above.any():
            upper_part[above] = _temme(a[above], x[above])
        edge_lower = np.where((x == 0) & ~(a <= 0), 0.0, np.nan)  # P(a, 0) = 0 (a NaN a too)
        edge_lower = np.where((a == 0) & (x > 0), 1.0, edge_lower)  # P(0, x > 0) = 1
        edge_lower = np.where((x == np.inf) & ~(a < 0) & ~(a == np.inf), 1.0,  # (NaN a too,
                              edge_lower)  # as PyTorch)
        edge_lower = np.where((a == np.inf) & ~(x < 0) & ~(x == np.inf), 0.0,  # (NaN x too,
                              edge_lower)  # as PyTorch)
        lower = np.where(regular, lower, edge_lower)
        direct = ~np.isnan(upper_part)
        if upper:
            return np.where(direct, upper_part, 1.0 - lower)
        return np.where(direct, 1.0 - upper_part, lower)


class _IncompleteGamma(Function):
    """Shared rule: d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) = -d/dx Q(a, x); none in a."""

    upper = False
    op = "igamma"

    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return cast(incomplete_gamma(a, x, ctx.upper), a, x)

    def backward(ctx, grad_output):
        if ctx.needs_input_grad[0]:
            raise _derivative_error(f"{ctx.op}: input")
        a, x = ctx.saved_tensors
        log_gamma = a.lgamma() if xp.is_tensor(a) else lgamma(a)
        density = xp.exp((a - 1) * xp.log(x) - x - log_gamma)
        return None, (-grad_output if ctx.upper else grad_output) * density


@xp.quiet
class Igamma(_IncompleteGamma):
    """y = P(a, x), the regularized lower incomplete gamma function;
    dx = g * x^(a-1) e^-x / Gamma(a)  (none in a: PyTorch raises)."""


@xp.quiet
class Igammac(_IncompleteGamma):
    """y = Q(a, x) = 1 - P(a, x);  dx = -g * x^(a-1) e^-x / Gamma(a)  (none in a)."""

    upper = True
    op = "igammac"
