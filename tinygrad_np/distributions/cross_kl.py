"""The cross-family kl_divergence pairs PyTorch registers (Normal -> Gumbel, Gamma ->
Exponential, Uniform -> Beta, ...), and KL between TransformedDistributions with equal
transforms (the KL of the bases).

Each finite pair is KL(p || q) = -H(p) - E_p[log q(x)], where log q is linear in a few
statistics of x (x, (x - m)^2, log x, log(1 - x), exp(-x / s)) whose expectations under p are
closed forms (`_mean_var`, `_mean_log`, `_log_mgf`). Where p puts mass outside q's support
the KL is inf: always, for pairs whose supports never nest (PyTorch's `_infinite_like`, of
p's batch shape), or per element where it depends on the parameters (a Uniform's bounds).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np.distributions.distribution import Distribution
from tinygrad_np.distributions.families import Bernoulli, Normal, Uniform
from tinygrad_np.distributions.gamma_family import Beta, Exponential, Gamma, Poisson
from tinygrad_np.distributions.kl import kl_divergence, register_kl
from tinygrad_np.distributions.mixture import Laplace
from tinygrad_np.distributions.more_families import (
    EULER,
    Binomial,
    ContinuousBernoulli,
    Gumbel,
    Pareto,
)
from tinygrad_np.distributions.transforms import TransformedDistribution
from tinygrad_np.tensor import Tensor

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_REAL_LINE = (Normal, Laplace, Gumbel)          # support: all reals
_HALF_LINE = (Exponential, Gamma)               # [0, inf)
_UNIT = (Beta, ContinuousBernoulli)             # [0, 1]


def _infinite(p: Distribution, q: Distribution) -> Tensor:
    """inf for each of p's batch elements: p has mass where q has none, whatever the
    parameters (PyTorch's `_infinite_like(p's parameter)`)."""
    return Tensor(np.full(tuple(p.batch_shape), math.inf, dtype=p.mean.dtype))


def _mean_var(p: Distribution) -> tuple[Tensor, Tensor]:
    """E_p[x] and Var_p[x]; a Pareto's by the closed forms for every alpha, as PyTorch's KL
    formulas (the KL is set to inf where a moment diverges by `_diverges`; the gradient there
    is 0, NaN exactly at alpha = 1 and, for the variance, 2, where the forms divide by 0)."""
    if isinstance(p, Pareto):
        a, s = p.alpha, p.scale
        return a * s / (a - 1), a * s**2 / ((a - 1) ** 2 * (a - 2))
    return p.mean, p.variance


def _xlogx(x: Tensor) -> Tensor:
    return x.xlogy(x)


def _mean_log(p: Distribution) -> Tensor:
    """E_p[log x] for a p on [0, inf)."""
    if isinstance(p, Exponential):
        return -EULER - p.rate.log()
    if isinstance(p, Gamma):
        return p.concentration.digamma() - p.rate.log()
    if isinstance(p, Beta):
        return p.concentration1.digamma() - (p.concentration1 + p.concentration0).digamma()
    if isinstance(p, Pareto):
        return p.scale.log() + 1 / p.alpha
    if isinstance(p, Uniform):  # (h log h - l log l) / (h - l) - 1
        return (_xlogx(p.high) - _xlogx(p.low)) / (p.high - p.low) - 1
    raise NotImplementedError(f"E[log x] of {type(p).__name__}")


def _mean_log1m(p: Beta | Uniform) -> Tensor:
    """E_p[log(1 - x)] for a p on [0, 1]."""
    if isinstance(p, Beta):
        return p.concentration0.digamma() - (p.concentration1 + p.concentration0).digamma()
    return (_xlogx(1 - p.low) - _xlogx(1 - p.high)) / (p.high - p.low) - 1


def _log_mgf(p: Distribution, t: Tensor) -> Tensor:
    """log E_p[exp(t x)] for t < 0."""
    if isinstance(p, Exponential):
        return p.rate.log() - (p.rate - t).log()
    if isinstance(p, Gamma):
        return p.concentration * (p.rate.log() - (p.rate - t).log())
    if isinstance(p, Normal):
        return p.loc * t + (p.scale * t) ** 2 / 2
    if isinstance(p, Uniform):
        width = p.high - p.low
        return t * p.low + ((t * width).expm1() / (t * width)).log()
    raise NotImplementedError(f"E[exp(t x)] of {type(p).__name__}")


def _diverges(p: Distribution, q: Distribution) -> Any:
    """Where E_p[log q] is -inf because a moment of p diverges (a Pareto's mean for alpha <= 1,
    its variance for alpha <= 2), or False."""
    if not isinstance(p, Pareto) or not isinstance(q, (Normal, Exponential, Gamma)):
        return False
    return p.alpha <= (2 if isinstance(q, Normal) else 1)


def _bounds(d: Distribution) -> tuple[Any, Any]:
    """The support's (lower, upper) bounds."""
    if isinstance(d, Uniform):
        return d.low, d.high
    if isinstance(d, Pareto):
        return d.scale, math.inf
    if isinstance(d, _HALF_LINE):
        return 0.0, math.inf
    if isinstance(d, _UNIT):
        return 0.0, 1.0
    return -math.inf, math.inf


def _never_nested(p: Distribution, q: Distribution) -> bool:
    """Whether p's support sticks out of q's for every parameter value."""
    unbounded_above = isinstance(p, _REAL_LINE + _HALF_LINE + (Pareto,))
    bounded_above = isinstance(q, _UNIT + (Uniform,))
    zero_below = isinstance(p, _HALF_LINE + _UNIT)
    return (bounded_above and unbounded_above) or (isinstance(p, _REAL_LINE) and not
                                                   isinstance(q, _REAL_LINE)) or (
        zero_below and isinstance(q, Pareto))


def _expected_log_q(p: Distribution, q: Distribution) -> Tensor:
    """E_p[log q(x)] for p inside q's support."""
    if isinstance(q, Normal):
        mean, var = _mean_var(p)
        return -q.scale.log() - _LOG_SQRT_2PI - (var + (mean - q.loc) ** 2) / (2 * q.scale**2)
    if isinstance(q, Exponential):
        return q.rate.log() - q.rate * _mean_var(p)[0]
    if isinstance(q, Gamma):
        a, b = q.concentration, q.rate
        return a * b.log() - a.lgamma() + (a - 1) * _mean_log(p) - b * _mean_var(p)[0]
    if isinstance(q, Gumbel):  # z = (x - loc) / scale: log q = -log scale - z - exp(-z)
        z = (_mean_var(p)[0] - q.loc) / q.scale
        return -q.scale.log() - z - (q.loc / q.scale + _log_mgf(p, -1 / q.scale)).exp()
    if isinstance(q, Beta):
        a, b = q.concentration1, q.concentration0
        return (a - 1) * _mean_log(p) + (b - 1) * _mean_log1m(p) - q._log_normalizer(a, b)
    if isinstance(q, ContinuousBernoulli):
        return _mean_var(p)[0] * q.logits + (-q.probs).log1p() + q._log_norm()
    if isinstance(q, Pareto):
        return q.alpha.log() + q.alpha * q.scale.log() - (q.alpha + 1) * _mean_log(p)
    if isinstance(q, Uniform):
        return -(q.high - q.low).log()
    raise NotImplementedError(f"E[log q] for q of type {type(q).__name__}")


def _kl_cross(p: Distribution, q: Distribution) -> Tensor:
    if _never_nested(p, q):
        return _infinite(p, q)
    result = -p.entropy() - _expected_log_q(p, q)
    (p_low, p_high), (q_low, q_high) = _bounds(p), _bounds(q)
    outside = (_compare(p_low, q_low, "<") | _compare(p_high, q_high, ">")
               | _diverges(p, q))
    return result if outside is False else result.where(~outside, math.inf)


def _compare(a: Any, b: Any, op: str) -> Any:
    """a < b (or >) as a bool Tensor, or False when both are numbers that pass."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return (a < b) if op == "<" else (a > b)
    a, b = (x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in (a, b))
    return a < b if op == "<" else a > b


_CONTINUOUS_PAIRS = {
    Beta: (ContinuousBernoulli, Exponential, Gamma, Normal, Pareto, Uniform),
    ContinuousBernoulli: (Exponential, Normal, Pareto, Uniform),
    Exponential: (Beta, ContinuousBernoulli, Gamma, Gumbel, Normal, Pareto, Uniform),
    Gamma: (Beta, ContinuousBernoulli, Exponential, Gumbel, Normal, Pareto, Uniform),
    Gumbel: (Beta, ContinuousBernoulli, Exponential, Gamma, Normal, Pareto, Uniform),
    Laplace: (Beta, ContinuousBernoulli, Exponential, Gamma, Normal, Pareto, Uniform),
    Normal: (Beta, ContinuousBernoulli, Exponential, Gamma, Gumbel, Pareto, Uniform),
    Pareto: (Beta, ContinuousBernoulli, Exponential, Gamma, Normal, Uniform),
    Uniform: (Beta, ContinuousBernoulli, Exponential, Gamma, Gumbel, Normal, Pareto),
}
for _p, _qs in _CONTINUOUS_PAIRS.items():
    for _q in _qs:
        register_kl(_p, _q)(_kl_cross)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p: Normal, q: Laplace) -> Tensor:
    # E|x - m| of N(mu, s^2): s sqrt(2/pi) exp(-d^2 / 2s^2) + d erf(d / (s sqrt 2)), d = mu - m
    d = p.loc - q.loc
    folded = (p.scale * math.sqrt(2 / math.pi) * (-(d**2) / (2 * p.scale**2)).exp()
              + d * (d / (p.scale * math.sqrt(2))).erf())
    return -p.entropy() + (2 * q.scale).log() + folded / q.scale


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson) -> Tensor:
    # log q(k) = k log rate - rate - log k!, and log k! = 0 for k in {0, 1}
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def _kl_poisson_infinity(p: Poisson, q: Distribution) -> Tensor:
    return _infinite(p, q)  # a Poisson has mass on every count: above 1 or total_count


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p: TransformedDistribution, q: TransformedDistribution
                                ) -> Tensor:
    """The bases' KL when both push them through equal transforms (a bijection keeps KL)."""
    if p.transforms != q.transforms:
        raise NotImplementedError("KL between TransformedDistributions is implemented only "
                                  f"for equal transforms, got {p.transforms} and "
                                  f"{q.transforms}")
    if p.event_shape != q.event_shape:
        raise NotImplementedError(f"KL between TransformedDistributions of event shapes "
                                  f"{tuple(p.event_shape)} and {tuple(q.event_shape)}")
    return kl_divergence(p.base_dist, q.base_dist)
