"""Bessel functions of order 0 and 1 (J, Y, I, K, the scaled I and K), spherical j0 and Airy Ai.

Float64 kernels written from the textbook representations, each used where it converges fast:

* small |x|: the power series (DLMF 10.2.2, 10.8.1, 10.25.2, 10.31.1, 9.4.1), whose terms
  need no cancelling for I and K, and lose under two digits for J and Y below |x| = 5;
* middle x (5 to 25 for J and Y, 2 to 25 for K): the Hankel form sqrt(2/(pi x)) (P cos chi
  -+ ...) of J and Y and sqrt(pi/(2x)) exp(-x) S of K, with the smooth moduli P, Q and S
  as polynomials in 1/x fitted in 50-digit arithmetic (ops/bessel_fits.py: float64
  accuracy in absolute terms, as the standard rational approximations PyTorch uses); Ai
  through K_1/3 or J_(+-1/3) by 96-node Gauss-Legendre quadrature of their integrals;
* large |x|: the Hankel asymptotic expansions, cut where their terms stop shrinking (the
  smallest term there is below exp(-2 |x|)).

As PyTorch 2.13: I0 and I1 are NaN at +-inf (their exponentially scaled forms are 0), J and
Y are NaN at +-inf, Y and K are NaN below 0 and -inf at (K: +inf at) 0, Ai is NaN at +-inf.
Only i0, i0e, i1 and i1e have gradients (torch.special has no formula for the others:
`NoGradient` raises naming the op).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.function import Function, no_grad
from tinygrad_np.ops import bessel_fits

_EULER = 0.5772156649015329
_SERIES_TOLERANCE = 1e-17
_BLOCK = 4096  # elements per quadrature block: (block x nodes) temporaries stay small
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)
_TWO_OVER_PI = 2.0 / math.pi


# ----------------------------------------------------------------------------- helpers
def wide(values) -> np.ndarray:
    """`values` as a float64 array (the kernels' working precision)."""
    return np.asarray(values, dtype=np.float64)


def result_dtype(*operands) -> np.dtype:
    """PyTorch's result dtype for a float-only op: the n-d float operands' type, else the
    0-d ones', else the default float (integer inputs give float32, as PyTorch)."""
    arrays = [a for a in operands if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    for group in ([a for a in arrays if a.ndim], arrays):
        if group:
            return np.result_type(*group)
    return np.dtype(get_default_dtype())


def cast(result: np.ndarray, *operands) -> np.ndarray:
    """The float64 `result` in the operands' result dtype, quietly (past float32's range
    is inf, as PyTorch computing in float32)."""
    with np.errstate(all="ignore"):
        return np.asarray(result).astype(result_dtype(*operands), copy=False)


def _series(first: np.ndarray, ratio, limit: int = 300) -> np.ndarray:
    """sum_k t_k with t_0 = first and t_k+1 = t_k * ratio(k), until every term is below
    1e-17 of its sum (`ratio(k)` an array like `first`)."""
    term, total = first.copy(), first.copy()
    for k in range(limit):
        term = term * ratio(k)
        total += term
        if not np.any(np.abs(term) > _SERIES_TOLERANCE * np.abs(total)):
            break
    return total


def _quadrature(integrand, low: np.ndarray, high: np.ndarray, *params: np.ndarray) -> np.ndarray:
    """int_low^high integrand(t, *params) dt per element, by 96-point Gauss-Legendre."""
    out = np.empty(low.shape)
    for start in range(0, low.size, _BLOCK):
        part = slice(start, start + _BLOCK)
        lo, hi = low[part, None], high[part, None]
        t = lo + (hi - lo) * (_NODES + 1) / 2
        values = integrand(t, *(p[part, None] for p in params))
        out[part] = (values @ _WEIGHTS) * (high[part] - low[part]) / 2
    return out


def _pieces(x: np.ndarray, fill: float, parts) -> np.ndarray:
    """A float64 array like x, `fill` everywhere, then each (mask, kernel) of `parts` writes
    kernel(x[mask]) where mask is set (kernels only ever see their own range)."""
    out = np.full(x.shape, fill)
    with np.errstate(all="ignore"):
        for mask, kernel in parts:
            if mask.any():
                out[mask] = kernel(x[mask])
    return out


def _hankel(nu: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Hankel series P(nu, x), Q(nu, x) for x >= 25 (DLMF 10.17.3): terms
    a_k(nu) / x**k, a_k = prod_j (4 nu^2 - (2j - 1)^2) / (k! 8^k), alternating in pairs."""
    mu = 4.0 * nu * nu
    p, q = np.ones_like(x), np.zeros_like(x)
    term = np.ones_like(x)
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        sign = -1.0 if (k // 2) % 2 else 1.0  # a_1 +, a_2 -, a_3 -, a_4 +, ...
        if k % 2:
            q += sign * term
        else:
            p += sign * term
        if not np.any(np.abs(term) > 1e-17):
            break
    return p, q


# ----------------------------------------------------------------------------- I0, I1
_I_ASYMPTOTIC_FROM = 25.0


def _i_series(nu: int, x: np.ndarray) -> np.ndarray:
    """I_nu(x) = sum_k (x/2)^(2k+nu) / (k! (k+nu)!), all terms of one sign."""
    quarter = x * x / 4
    return _series((x / 2) ** nu, lambda k: quarter / ((k + 1) * (k + 1 + nu)))


def _i_asymptotic(nu: int, x: np.ndarray) -> np.ndarray:
    """exp(-x) I_nu(x) = 1/sqrt(2 pi x) sum_k (-1)^k a_k(nu) / x^k for x >= 25."""
    mu = 4.0 * nu * nu
    total = _series(np.ones_like(x), lambda k: -(mu - (2 * k + 1) ** 2) / ((k + 1) * 8.0 * x),
                    limit=60)
    return total / (math.sqrt(2 * math.pi) * np.sqrt(x))  # (2 pi x overflows past 2.8e307)


def _scaled_i(nu: int, magnitude: np.ndarray) -> np.ndarray:
    """exp(-x) I_nu(x) for x >= 0 (finite)."""
    near = magnitude < _I_ASYMPTOTIC_FROM
    return _pieces(magnitude, np.nan, [
        (near, lambda x: np.exp(-x) * _i_series(nu, x)),
        (~near & np.isfinite(magnitude), lambda x: _i_asymptotic(nu, x)),
        (magnitude == np.inf, lambda x: np.zeros_like(x)),
    ])


def bessel_i(nu: int, values, scaled: bool = False) -> np.ndarray:
    """I_0 or I_1 of an array (exp(-|x|) I_nu(x) when `scaled`), float64."""
    x = wide(values)
    magnitude = np.abs(x)
    with np.errstate(all="ignore"):
        result = _scaled_i(nu, magnitude)
        if not scaled:  # exp(|x|) folded into the asymptotic form's prefactor: no overflow
            result = result * np.exp(magnitude)  # before the true value does
            result = np.where(np.isinf(x), np.nan, result)
        if nu == 1:
            result = np.where(x < 0, -result, result)
    return result


# ----------------------------------------------------------------------------- J0, J1, Y0, Y1
_J_SERIES_BELOW = 5.0
_J_ASYMPTOTIC_FROM = 25.0


def _j_series(nu: int, x: np.ndarray) -> np.ndarray:
    """J_nu(x) = sum_k (-1)^k (x/2)^(2k+nu) / (k! (k+nu)!)."""
    quarter = x * x / 4
    return _series((x / 2) ** nu, lambda k: -quarter / ((k + 1) * (k + 1 + nu)))


def _harmonic_series(nu: int, x: np.ndarray, sign: float) -> np.ndarray:
    """sum_k sign^k (psi(k+1) + psi(k+nu+1)) (x^2/4)^k / (k! (k+nu)!) (the log-free part of
    Y_nu and K_nu's series), psi(k+1) = -gamma + H_k."""
    quarter = x * x / 4
    term = np.ones_like(x) / math.factorial(nu)
    total = term * (-2 * _EULER + (1.0 if nu else 0.0))
    digamma_sum = -2 * _EULER + (1.0 if nu else 0.0)
    for k in range(60):
        term = term * sign * quarter / ((k + 1) * (k + 1 + nu))
        digamma_sum += 1.0 / (k + 1) + 1.0 / (k + 1 + nu)
        total += term * digamma_sum
        if not np.any(np.abs(term * digamma_sum) > _SERIES_TOLERANCE * np.abs(total)):
            break
    return total


def _y_series(nu: int, x: np.ndarray) -> np.ndarray:
    """Y_nu(x) for small x > 0 (DLMF 10.8.1, n = 0 and 1)."""
    logarithm = _TWO_OVER_PI * np.log(x / 2) * _j_series(nu, x)
    if nu == 0:
        return logarithm - _harmonic_series(0, x, -1.0) / math.pi
    return -_TWO_OVER_PI / x + logarithm - (x / 2) * _harmonic_series(1, x, -1.0) / math.pi


def _bessel_asymptotic(nu: int, x: np.ndarray, second_kind: bool) -> np.ndarray:
    """J_nu or Y_nu for x >= 5: sqrt(2/(pi x)) (P cos chi - Q sin chi) or (P sin chi +
    Q cos chi), chi = x - (nu/2 + 1/4) pi expanded in cos x and sin x (exact reduction);
    P and Q fitted below x = 25 (ops/bessel_fits.py), the Hankel series from there."""
    if float(x.max()) <= _J_ASYMPTOTIC_FROM:
        p, q = bessel_fits.fitted(bessel_fits.P[nu], x), bessel_fits.fitted(bessel_fits.Q[nu], x)
    else:
        p, q = _hankel(nu, x)
    cosine, sine = np.cos(x), np.sin(x)
    if nu == 0:
        cos_chi, sin_chi = cosine + sine, sine - cosine
    else:
        cos_chi, sin_chi = sine - cosine, -sine - cosine
    combined = p * sin_chi + q * cos_chi if second_kind else p * cos_chi - q * sin_chi
    return combined / (math.sqrt(math.pi) * np.sqrt(x))  # (the 1/sqrt 2 of cos_chi folded
    # in; pi x would overflow past 5.7e307)


def bessel_j(nu: int, values) -> np.ndarray:
    """J_0 or J_1 of an array, float64 (J_1 odd, J_0 even; NaN at +-inf)."""
    x = wide(values)
    magnitude = np.abs(x)
    finite = np.isfinite(x)
    result = _pieces(magnitude, np.nan, [
        (magnitude < _J_SERIES_BELOW, lambda z: _j_series(nu, z)),
        ((magnitude >= _J_SERIES_BELOW) & (magnitude < _J_ASYMPTOTIC_FROM),
         lambda z: _bessel_asymptotic(nu, z, False)),
        ((magnitude >= _J_ASYMPTOTIC_FROM) & finite, lambda z: _bessel_asymptotic(nu, z, False)),
    ])
    return np.where(np.signbit(x), -result, result) if nu == 1 else result  # (J_1(-0.0) is
    # -0.0)


def bessel_y(nu: int, values) -> np.ndarray:
    """Y_0 or Y_1 of an array, float64 (-inf at 0, NaN below 0 and at inf)."""
    x = wide(values)
    return _pieces(x, np.nan, [
        (x == 0, lambda z: np.full_like(z, -np.inf)),
        ((x > 0) & (x < _J_SERIES_BELOW), lambda z: _y_series(nu, z)),
        ((x >= _J_SERIES_BELOW) & (x < _J_ASYMPTOTIC_FROM),
         lambda z: _bessel_asymptotic(nu, z, True)),
        ((x >= _J_ASYMPTOTIC_FROM) & (x < np.inf), lambda z: _bessel_asymptotic(nu, z, True)),
    ])


# ----------------------------------------------------------------------------- K0, K1
_K_SERIES_BELOW = 2.0
_K_ASYMPTOTIC_FROM = 25.0


def _k_series(nu: int, x: np.ndarray) -> np.ndarray:
    """K_nu(x) for small x > 0 (DLMF 10.31.1, n = 0 and 1)."""
    if nu == 0:
        return -np.log(x / 2) * _i_series(0, x) + _harmonic_series(0, x, 1.0) / 2
    return 1.0 / x + np.log(x / 2) * _i_series(1, x) - (x / 4) * _harmonic_series(1, x, 1.0)


def _scaled_k_integral(nu: float, x: np.ndarray) -> np.ndarray:
    """exp(x) K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt (x >= about 1), with
    cosh t - 1 as 2 sinh(t/2)^2 (no cancellation near t = 0)."""
    excess = 60.0 / x  # top = arccosh(1 + excess), exact for tiny excess (huge x)
    top = np.log1p(excess + np.sqrt(excess * (2.0 + excess)))
    return _quadrature(lambda t, z: np.exp(-2 * z * np.sinh(t / 2) ** 2) * np.cosh(nu * t),
                       np.zeros_like(x), top, x)


def _k_asymptotic(nu: int, x: np.ndarray) -> np.ndarray:
    """exp(x) K_nu(x) = sqrt(pi/(2x)) sum_k a_k(nu) / x^k for x >= 25 (DLMF 10.40.2)."""
    mu = 4.0 * nu * nu
    total = _series(np.ones_like(x), lambda k: (mu - (2 * k + 1) ** 2) / ((k + 1) * 8.0 * x),
                    limit=60)
    return total * np.sqrt(math.pi / (2 * x))


def bessel_k(nu: int, values, scaled: bool = False) -> np.ndarray:
    """K_0 or K_1 of an array (exp(x) K_nu(x) when `scaled`), float64: +inf at 0, NaN below
    0, 0 at +inf."""
    x = wide(values)
    factor = (lambda z: np.exp(z)) if scaled else (lambda z: 1.0)
    return _pieces(x, np.nan, [
        (x == 0, lambda z: np.full_like(z, np.inf)),
        ((x > 0) & (x <= _K_SERIES_BELOW), lambda z: _k_series(nu, z) * factor(z)),
        ((x > _K_SERIES_BELOW) & (x < _K_ASYMPTOTIC_FROM),
         lambda z: bessel_fits.fitted(bessel_fits.S[nu], z) / np.sqrt(z)
         / (1.0 if scaled else np.exp(z))),
        ((x >= _K_ASYMPTOTIC_FROM) & (x < np.inf),
         lambda z: _k_asymptotic(nu, z) / (1.0 if scaled else np.exp(z))),
        (x == np.inf, lambda z: np.zeros_like(z)),
    ])


# ----------------------------------------------------------------------------- j0, Ai
def spherical_j0(values) -> np.ndarray:
    """sin(x) / x, 1 at 0 and 0 at +-inf."""
    x = wide(values)
    with np.errstate(all="ignore"):
        result = np.sin(x) / x
    return np.where(x == 0, 1.0, np.where(np.isinf(x), 0.0, result))


_AI_ZERO = 1.0 / (3.0 ** (2 / 3) * math.gamma(2 / 3))  # Ai(0)
_AI_SLOPE = 1.0 / (3.0 ** (1 / 3) * math.gamma(1 / 3))  # -Ai'(0)
_AIRY_SERIES_BELOW = 2.0
_AIRY_ZERO_FROM = 120.0  # Ai(x) < exp(-2/3 x^1.5) underflows float64 from about 104
_AIRY_ASYMPTOTIC_BELOW = -9.7  # zeta = 2/3 |x|^1.5 > 30 from here on


def _airy_series(x: np.ndarray) -> np.ndarray:
    """Ai(x) = Ai(0) f(x) + Ai'(0) g(x), f = sum 3^k (1/3)_k x^3k / (3k)!,
    g = sum 3^k (2/3)_k x^(3k+1) / (3k+1)! (DLMF 9.4.1)."""
    cube = x**3
    f = _series(np.ones_like(x), lambda k: cube / ((3 * k + 2) * (3 * k + 3)))
    g = _series(x.copy(), lambda k: cube / ((3 * k + 3) * (3 * k + 4)))
    return _AI_ZERO * f - _AI_SLOPE * g


def _airy_right(x: np.ndarray) -> np.ndarray:
    """Ai(x) = sqrt(x/3)/pi K_1/3(zeta), zeta = 2/3 x^1.5 (x >= 2)."""
    zeta = 2.0 / 3.0 * x**1.5
    return np.sqrt(x / 3) / math.pi * np.exp(-zeta) * _scaled_k_integral(1 / 3, zeta)


def _airy_left(x: np.ndarray) -> np.ndarray:
    """Ai(-z) = sqrt(z)/3 (J_1/3(zeta) + J_-1/3(zeta)) by Schlaefli's integrals:
    2/pi int_0^pi cos(t/3) cos(zeta sin t) dt + sqrt(3)/pi int_0^inf exp(-zeta sinh t)
    sinh(t/3) dt (2 <= z <= 9.7)."""
    z = -x
    zeta = 2.0 / 3.0 * z**1.5
    zero = np.zeros_like(z)
    oscillating = _quadrature(lambda t, s: np.cos(t / 3) * np.cos(s * np.sin(t)), zero,
                              np.full_like(z, math.pi), zeta)
    decaying = _quadrature(lambda t, s: np.exp(-s * np.sinh(t)) * np.sinh(t / 3), zero,
                           np.arcsinh(60.0 / zeta) + 1.0, zeta)
    return np.sqrt(z) / 3 * (_TWO_OVER_PI * oscillating + math.sqrt(3) / math.pi * decaying)


def _airy_asymptotic(x: np.ndarray) -> np.ndarray:
    """Ai(-z) ~ pi^-1/2 z^-1/4 (cos(zeta - pi/4) sum (-1)^k u_2k / zeta^2k
    + sin(zeta - pi/4) sum (-1)^k u_2k+1 / zeta^(2k+1)), u_k = (2k+1)(2k+3)...(6k-1) /
    (216^k k!) (DLMF 9.7.9), for z > 9.7."""
    z = -x
    zeta = 2.0 / 3.0 * z**1.5
    even, odd, term = np.ones_like(z), np.zeros_like(z), np.ones_like(z)
    for k in range(1, 40):
        # u_k / u_(k-1) = (6k-5)(6k-3)(6k-1) / (216 k (2k-1))
        term = term * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216.0 * k * (2 * k - 1) * zeta)
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            odd += sign * term
        else:
            even += sign * term
        if not np.any(np.abs(term) > 1e-17):
            break
    cosine, sine = np.cos(zeta), np.sin(zeta)
    combined = (cosine + sine) * even + (sine - cosine) * odd
    return combined / (math.sqrt(2 * math.pi) * z**0.25)


def airy_ai(values) -> np.ndarray:
    """Ai(x) of an array, float64 (NaN at +-inf, as PyTorch)."""
    x = wide(values)
    finite = np.isfinite(x)
    return _pieces(x, np.nan, [
        (np.abs(x) < _AIRY_SERIES_BELOW, _airy_series),
        ((x >= _AIRY_SERIES_BELOW) & (x < _AIRY_ZERO_FROM), _airy_right),
        ((x >= _AIRY_ZERO_FROM) & finite, np.zeros_like),
        ((x <= -_AIRY_SERIES_BELOW) & (x >= _AIRY_ASYMPTOTIC_BELOW), _airy_left),
        ((x < _AIRY_ASYMPTOTIC_BELOW) & finite, _airy_asymptotic),
    ])


# ----------------------------------------------------------------------------- the ops
def _derivative_error(op: str, why: str = "as in PyTorch") -> NotImplementedError:
    """PyTorch's error for an input its autograd has no formula for."""
    return NotImplementedError(f"the derivative for '{op}' is not implemented ({why}); "
                               f"detach() the input to use {op.split(':')[0]} as a constant")


class NoGradient(Function):
    """Base of the functions torch.special gives no derivative (Bessel J, Y, K, Airy, the
    orthogonal polynomials): y = kernel(*inputs), a constant as PyTorch's (its result never
    requires grad, so `(bessel_j0(x) * x).sum().backward()` gives x.grad = bessel_j0(x))."""

    op = ""

    @staticmethod
    def kernel(*inputs):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        with no_grad():  # nothing recorded: the result does not require grad
            return super().apply(*args)

    def forward(ctx, *inputs):
        return cast(type(ctx).kernel(*inputs), *inputs)


class BesselJ0(NoGradient):
    """y = J0(x);  no derivative (as PyTorch)."""

    op, kernel = "bessel_j0", staticmethod(lambda x: bessel_j(0, x))


class BesselJ1(NoGradient):
    """y = J1(x);  no derivative (as PyTorch)."""

    op, kernel = "bessel_j1", staticmethod(lambda x: bessel_j(1, x))


class BesselY0(NoGradient):
    """y = Y0(x);  no derivative (as PyTorch)."""

    op, kernel = "bessel_y0", staticmethod(lambda x: bessel_y(0, x))


class BesselY1(NoGradient):
    """y = Y1(x);  no derivative (as PyTorch)."""

    op, kernel = "bessel_y1", staticmethod(lambda x: bessel_y(1, x))


class ModifiedBesselI0(NoGradient):
    """y = I0(x); no derivative (torch.special.modified_bessel_i0, unlike i0)."""

    op, kernel = "modified_bessel_i0", staticmethod(lambda x: bessel_i(0, x))


class ModifiedBesselI1(NoGradient):
    """y = I1(x); no derivative (torch.special.modified_bessel_i1, unlike i1)."""

    op, kernel = "modified_bessel_i1", staticmethod(lambda x: bessel_i(1, x))


class ModifiedBesselK0(NoGradient):
    """y = K0(x);  no derivative (as PyTorch)."""

    op, kernel = "modified_bessel_k0", staticmethod(lambda x: bessel_k(0, x))


class ModifiedBesselK1(NoGradient):
    """y = K1(x);  no derivative (as PyTorch)."""

    op, kernel = "modified_bessel_k1", staticmethod(lambda x: bessel_k(1, x))


class ScaledModifiedBesselK0(NoGradient):
    """y = exp(x) K0(x);  no derivative (as PyTorch)."""

    op, kernel = "scaled_modified_bessel_k0", staticmethod(lambda x: bessel_k(0, x, True))


class ScaledModifiedBesselK1(NoGradient):
    """y = exp(x) K1(x);  no derivative (as PyTorch)."""

    op, kernel = "scaled_modified_bessel_k1", staticmethod(lambda x: bessel_k(1, x, True))


class SphericalBesselJ0(NoGradient):
    """y = sin(x) / x;  no derivative (as PyTorch)."""

    op, kernel = "spherical_bessel_j0", staticmethod(spherical_j0)


class AiryAi(NoGradient):
    """y = Ai(x);  no derivative (as PyTorch)."""

    op, kernel = "airy_ai", staticmethod(airy_ai)


def _recorded(op: type, kernel, x, *args):
    """The op on a Tensor (create_graph: the rule is recorded), else its kernel on an array in
    the array's dtype."""
    return op.apply(x, *args) if xp.is_tensor(x) else cast(kernel(x, *args), x)


def _zero_mask(ctx, x) -> None:
    """ctx.at_zero: 1.0 where the derivative is taken as at x = 0 (the removable singularity
    of i1(x)/x), else 0.0: as PyTorch, wherever |x| is not above the dtype's epsilon, NaN
    too (the derivative is 1/2 there); ctx.sign, sign(x) (0 there). Both piecewise constant:
    kept as attributes, not saved values."""
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    near = ~(np.abs(x) > np.finfo(dtype).eps)
    ctx.at_zero = near.astype(dtype)
    ctx.sign = np.where(near, 0, np.sign(x))


def _off_zero(x, at_zero):
    """x with 0 where at_zero is set (NaN included), for the rules evaluated there."""
    return xp.masked(at_zero == 0, x) if at_zero.any() else x


def _over_x(i1, x, at_zero):
    """i1(x)/x, 1/2 at x = 0, as (i1 + z/2) / (x + z) with z = 1 at 0: the right value
    there and, as i1'(0) = 1/2, the right (zero) derivative for a second backward."""
    return (i1 + 0.5 * at_zero) / (x + at_zero)


@xp.quiet
class I0(Function):
    """y = I0(x);  dx = g * I1(x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return cast(bessel_i(0, x), x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * _recorded(I1, lambda v: bessel_i(1, v), x)


@xp.quiet
class I0e(Function):
    """y = exp(-|x|) I0(x);  dx = g * (i1e(x) - sign(x) i0e(x))."""

    def forward(ctx, x):
        ctx.sign = np.sign(x)  # (piecewise constant: an attribute, not a saved value)
        ctx.save_for_backward(x)
        return cast(bessel_i(0, x, scaled=True), x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        i1e = _recorded(I1e, lambda v: bessel_i(1, v, True), x)
        return grad_output * (i1e - ctx.sign * _recorded(I0e, lambda v: bessel_i(0, v, True), x))


@xp.quiet
class I1(Function):
    """y = I1(x);  dx = g * (I0(x) - I1(x)/x)  (1/2 at x = 0, and at NaN, as PyTorch)."""

    def forward(ctx, x):
        _zero_mask(ctx, x)
        ctx.save_for_backward(x)
        return cast(bessel_i(1, x), x)

    def backward(ctx, grad_output):
        x = _off_zero(ctx.saved_tensors[0], ctx.at_zero)
        i0 = _recorded(I0, lambda v: bessel_i(0, v), x)
        i1 = _recorded(I1, lambda v: bessel_i(1, v), x)
        return grad_output * (i0 - _over_x(i1, x, ctx.at_zero))


@xp.quiet
class I1e(Function):
    """y = exp(-|x|) I1(x);  dx = g * (i0e(x) - i1e(x) (sign(x) + 1/x))  (1/2 at x = 0
    and at NaN)."""

    def forward(ctx, x):
        _zero_mask(ctx, x)
        ctx.save_for_backward(x)
        return cast(bessel_i(1, x, scaled=True), x)

    def backward(ctx, grad_output):
        x = _off_zero(ctx.saved_tensors[0], ctx.at_zero)
        i0e = _recorded(I0e, lambda v: bessel_i(0, v, True), x)
        i1e = _recorded(I1e, lambda v: bessel_i(1, v, True), x)
        return grad_output * (i0e - i1e * ctx.sign - _over_x(i1e, x, ctx.at_zero))
