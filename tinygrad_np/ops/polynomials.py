"""The classical orthogonal polynomials of torch.special, p_n(x) for a tensor or number n.

Each is its three-term recurrence p_k+1 = f(k, x, p_k, p_k-1), run in float64 over the whole
array at once (step k updates the elements with k < n; the loop ends at the largest n still
running, or when every running element is NaN for good). As PyTorch 2.13:

* n is truncated to an integer (2.7 is 2); n < 0 gives 0 (NaN and +-inf n too);
* Chebyshev T, U, V, W on |x| < 1 with n above 6 (T) or 8 use the trigonometric forms
  cos(n t), sin((n+1) t)/sin t, cos((n+1/2) t)/cos(t/2), sin((n+1/2) t)/sin(t/2), t = acos x,
  and their values at x = +-1 are exact; the shifted ones are the same at 2x - 1;
* Hermite H, He, Laguerre L and Legendre P use the recurrence for every x (Legendre exact at
  +-1, Laguerre 1 at 0); values past float64 become +-inf and inf - inf NaN, as PyTorch's.

torch.special has no derivative for these: the result never requires grad (a constant).
"""

from __future__ import annotations

import numpy as np

from tinygrad_np.ops.bessel import NoGradient, wide

_INT64_MIN = np.iinfo(np.int64).min


def _degree(n: np.ndarray) -> np.ndarray:
    """n truncated to int64 as PyTorch's static_cast: NaN and out-of-range values (UB in
    C++, INT64_MIN on x86) give a negative degree, hence 0."""
    with np.errstate(all="ignore"):
        inside = np.isfinite(n) & (np.abs(n) < 2.0**63)
        return np.where(inside, np.trunc(np.where(inside, n, 0.0)), _INT64_MIN).astype(np.int64)


def _recurrence(x: np.ndarray, n: np.ndarray, first, step) -> np.ndarray:
    """p_n(x) with p_0 = 1, p_1 = first(x), p_k+1 = step(k, x, p_k, p_k-1), for n >= 0."""
    previous, current = np.ones_like(x), first(x)
    out = np.where(n == 0, previous, current)
    running = n >= 2
    for k in range(1, int(n.max(initial=1))):
        if not running.any():
            break
        following = step(k, x, current, previous)
        previous, current = current, following
        done = running & (n == k + 1)
        out[done] = current[done]
        running &= ~done
        if not np.any(running & ~(np.isnan(current) & np.isnan(previous))):
            out[running] = np.nan  # NaN stays NaN through every later step
            break
    return out


def _chebyshev_step(k, x, current, previous):
    return 2 * x * current - previous


_FIRST = {"t": lambda x: x, "u": lambda x: 2 * x, "v": lambda x: 2 * x - 1,
          "w": lambda x: 2 * x + 1}
_TRIG_ABOVE = {"t": 6, "u": 8, "v": 8, "w": 8}


def _chebyshev_trig(kind: str, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The trigonometric forms on |x| < 1 (see the module docstring)."""
    t = np.arccos(x)
    if kind == "t":
        return np.cos(n * t)
    if kind == "u":
        sine = np.sin(t)
        return np.where(sine != 0, np.sin((n + 1) * t) / np.where(sine != 0, sine, 1.0),
                        (n + 1) * np.cos((n + 1) * t) / x)
    if kind == "v":
        half = np.cos(t / 2)
        return np.cos((n + 0.5) * t) / half
    half = np.sin(t / 2)
    return np.sin((n + 0.5) * t) / half


def _chebyshev_ends(kind: str, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The values at x = +-1: T 1, (-1)^n; U n+1, (-1)^n (n+1); V 1, (-1)^n (2n+1);
    W 2n+1, (-1)^n."""
    odd = (n % 2 == 1)
    sign = np.where(odd, -1.0, 1.0)
    at_minus = {"t": sign, "u": sign * (n + 1), "v": sign * (2 * n + 1), "w": sign}[kind]
    at_plus = {"t": 1.0, "u": n + 1.0, "v": 1.0, "w": 2.0 * n + 1}[kind]
    return np.where(x > 0, at_plus, at_minus)


def chebyshev(kind: str, x_values, n_values, shifted: bool = False) -> np.ndarray:
    """Chebyshev polynomial T, U, V or W (kind "t", "u", "v", "w") of degree n at x, or of
    the shifted family at x (evaluated at 2x - 1), float64."""
    x, n = np.broadcast_arrays(wide(x_values), _degree(wide(n_values)))
    with np.errstate(all="ignore"):
        x = 2 * x - 1 if shifted else x.copy()
        out = _recurrence(x, np.maximum(n, 0), _FIRST[kind], _chebyshev_step)
        inside = (np.abs(x) < 1) & (n > _TRIG_ABOVE[kind])
        if inside.any():
            out[inside] = _chebyshev_trig(kind, x[inside], n[inside].astype(np.float64))
        ends = np.abs(x) == 1
        out[ends] = _chebyshev_ends(kind, x[ends], n[ends].astype(np.float64))
    return np.where(n < 0, 0.0, out)


def hermite(x_values, n_values, probabilists: bool = False) -> np.ndarray:
    """Hermite H_n(x) (physicists', H_k+1 = 2x H_k - 2k H_k-1) or He_n(x) (probabilists',
    He_k+1 = x He_k - k He_k-1), float64."""
    x, n = np.broadcast_arrays(wide(x_values), _degree(wide(n_values)))
    scale = 1.0 if probabilists else 2.0
    with np.errstate(all="ignore"):
        out = _recurrence(x.copy(), np.maximum(n, 0), lambda z: scale * z,
                          lambda k, z, p, q: scale * (z * p - k * q))
    return np.where(n < 0, 0.0, out)


def laguerre(x_values, n_values) -> np.ndarray:
    """Laguerre L_n(x): L_k+1 = ((2k + 1 - x) L_k - k L_k-1) / (k + 1); 1 at x = 0."""
    x, n = np.broadcast_arrays(wide(x_values), _degree(wide(n_values)))
    with np.errstate(all="ignore"):
        out = _recurrence(x.copy(), np.maximum(n, 0), lambda z: 1 - z,
                          lambda k, z, p, q: ((2 * k + 1 - z) * p - k * q) / (k + 1))
        out = np.where(x == 0, 1.0, out)
    return np.where(n < 0, 0.0, out)


def legendre(x_values, n_values) -> np.ndarray:
    """Legendre P_n(x): P_k+1 = ((2k + 1) x P_k - k P_k-1) / (k + 1); exact at +-1."""
    x, n = np.broadcast_arrays(wide(x_values), _degree(wide(n_values)))
    with np.errstate(all="ignore"):
        out = _recurrence(x.copy(), np.maximum(n, 0), lambda z: z,
                          lambda k, z, p, q: ((2 * k + 1) * z * p - k * q) / (k + 1))
        ends = np.abs(x) == 1
        out[ends] = np.where((x[ends] > 0) | (n[ends] % 2 == 0), 1.0, -1.0)
    return np.where(n < 0, 0.0, out)



class ChebyshevT(NoGradient):
    """y = Chebyshev T_n(x);  no derivative (as PyTorch)."""

    op, kernel = "chebyshev_polynomial_t", staticmethod(lambda x, n: chebyshev("t", x, n))


class ChebyshevU(NoGradient):
    """y = Chebyshev U_n(x);  no derivative (as PyTorch)."""

    op, kernel = "chebyshev_polynomial_u", staticmethod(lambda x, n: chebyshev("u", x, n))


class ChebyshevV(NoGradient):
    """y = Chebyshev V_n(x);  no derivative (as PyTorch)."""

    op, kernel = "chebyshev_polynomial_v", staticmethod(lambda x, n: chebyshev("v", x, n))


class ChebyshevW(NoGradient):
    """y = Chebyshev W_n(x);  no derivative (as PyTorch)."""

    op, kernel = "chebyshev_polynomial_w", staticmethod(lambda x, n: chebyshev("w", x, n))


class ShiftedChebyshevT(NoGradient):
    """y = T_n(2x - 1);  no derivative (as PyTorch)."""

    op = "shifted_chebyshev_polynomial_t"
    kernel = staticmethod(lambda x, n: chebyshev("t", x, n, True))


class ShiftedChebyshevU(NoGradient):
    """y = U_n(2x - 1);  no derivative (as PyTorch)."""

    op = "shifted_chebyshev_polynomial_u"
    kernel = staticmethod(lambda x, n: chebyshev("u", x, n, True))


class ShiftedChebyshevV(NoGradient):
    """y = V_n(2x - 1);  no derivative (as PyTorch)."""

    op = "shifted_chebyshev_polynomial_v"
    kernel = staticmethod(lambda x, n: chebyshev("v", x, n, True))


class ShiftedChebyshevW(NoGradient):
    """y = W_n(2x - 1);  no derivative (as PyTorch)."""

    op = "shifted_chebyshev_polynomial_w"
    kernel = staticmethod(lambda x, n: chebyshev("w", x, n, True))


class HermiteH(NoGradient):
    """y = Hermite H_n(x);  no derivative (as PyTorch)."""

    op, kernel = "hermite_polynomial_h", staticmethod(hermite)


class HermiteHe(NoGradient):
    """y = Hermite He_n(x);  no derivative (as PyTorch)."""

    op, kernel = "hermite_polynomial_he", staticmethod(lambda x, n: hermite(x, n, True))


class LaguerreL(NoGradient):
    """y = Laguerre L_n(x);  no derivative (as PyTorch)."""

    op, kernel = "laguerre_polynomial_l", staticmethod(laguerre)


class LegendreP(NoGradient):
    """y = Legendre P_n(x);  no derivative (as PyTorch)."""

    op, kernel = "legendre_polynomial_p", staticmethod(legendre)
