"""Implicit reparameterisation gradients of Beta and Dirichlet draws, as PyTorch's.

A draw x of Beta(a, b) is held at its quantile u = I_x(a, b) (the regularised incomplete
beta function) while a moves, so dx/da = -(dI/da) / p(x) with b fixed. A Dirichlet draw uses
each coordinate's Beta(a_i, total - a_i) marginal, as PyTorch: `dirichlet_grad(x, a, total)`
is that marginal's dx/da divided by (1 - x) (torch._dirichlet_grad's quantity), and
`dirichlet_backward` spreads it over the simplex as PyTorch's Dirichlet backward does.

I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * F(a, b, x), with F the incomplete beta continued
fraction (evaluated by Lentz's method on the side of the mean where it converges fast; the
other side by I_x(a, b) = 1 - I_(1-x)(b, a)). Differentiating log I: the prefactor's slope is
exact (log x - 1/a - digamma(a) + digamma(a + b)), only log F's is a central difference. The
values are exact to ~1e-9 relative (float64); PyTorch's kernel uses closed-form
approximations of the same quantity, ~1e-3 relative off in places.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np.ops.special import polygamma

_TINY = 1e-300
_STEP = 1e-5  # the relative step in a of log F's central difference


def _continued_fraction(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """F(a, b, x) = 1 / (1 + d1 / (1 + d2 / ...)) of the incomplete beta function, float64
    (Lentz's method; converges fast for x < (a + 1) / (a + b + 2))."""
    c = np.ones_like(x)
    d = 1 / np.where(np.abs(1 - (a + b) * x / (a + 1)) < _TINY, _TINY,
                     1 - (a + b) * x / (a + 1))
    value = d.copy()
    active = np.ones(x.shape, dtype=bool)
    for m in range(1, 20000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
            c = 1 + numerator / c
            c = np.where(np.abs(c) < _TINY, _TINY, c)
            delta = np.where(active, c * d, 1.0)
            value = value * delta
        active &= np.abs(delta - 1) > 1e-16
        if not active.any():
            break
    return value


def _log_fraction_slope(a: np.ndarray, b: np.ndarray, x: np.ndarray, wrt_first: bool
                        ) -> tuple[np.ndarray, np.ndarray]:
    """F(a, b, x) and d log F / d(a if wrt_first else b), the other held fixed."""
    step = _STEP * (a if wrt_first else b)
    shift = (step, 0.0) if wrt_first else (0.0, step)
    high = _continued_fraction(a + shift[0], b + shift[1], x)
    low = _continued_fraction(a - shift[0], b - shift[1], x)
    return _continued_fraction(a, b, x), (np.log(high) - np.log(low)) / (2 * step)


def beta_sample_grad(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dx/da of a Beta(a, b) draw x at a fixed quantile: -(dI_x(a, b)/da) / p(x), float64."""
    x, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, a, b)))
    result = np.zeros(x.shape)
    lower = x < (a + 1) / (a + b + 2)
    with np.errstate(all="ignore"):
        shared = np.log(x) - polygamma(0, a) + polygamma(0, a + b)
        if lower.any():  # I itself: dx/da = -I / p * d log I / da
            xs, s, t = x[lower], a[lower], b[lower]
            fraction, slope = _log_fraction_slope(s, t, xs, True)
            log_slope = shared[lower] - 1 / s + slope
            result[lower] = -xs * (1 - xs) * fraction / s * log_slope
        if (~lower).any():  # Q = 1 - I = I_(1-x)(b, a): dx/da = Q / p * d log Q / da
            xs, s, t = x[~lower], a[~lower], b[~lower]
            fraction, slope = _log_fraction_slope(t, s, 1 - xs, False)
            result[~lower] = xs * (1 - xs) * fraction / t * (shared[~lower] + slope)
    return result


def dirichlet_grad(x: np.ndarray, alpha: np.ndarray, total: np.ndarray) -> np.ndarray:
    """torch._dirichlet_grad's quantity: dx/dalpha of x ~ Beta(alpha, total - alpha) at a
    fixed quantile, divided by (1 - x); float64."""
    x, alpha, total = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (x, alpha, total)))
    with np.errstate(all="ignore"):
        return beta_sample_grad(x, alpha, total - alpha) / (1 - x)


def dirichlet_backward(x: np.ndarray, alpha: np.ndarray, grad_output: np.ndarray
                       ) -> np.ndarray:
    """The gradient in alpha of a Dirichlet(alpha) draw x (last axis the simplex):
    g_i * (grad_i - sum_j x_j grad_j), g = dirichlet_grad(x, alpha, sum(alpha)), as PyTorch."""
    total = np.broadcast_to(alpha.sum(-1, keepdims=True), alpha.shape)
    grad = dirichlet_grad(x, alpha, total)
    return grad * (grad_output - (x * grad_output).sum(-1, keepdims=True))
