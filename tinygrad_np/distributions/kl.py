"""`torch.distributions.kl`: kl_divergence(p, q) = KL(p || q), looked up by the pair of
types in a registry that `@register_kl(P, Q)` extends (the most specific match wins)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.distributions.distribution import Distribution
from tinygrad_np.distributions.exp_family import ExponentialFamily, kl_expfamily_expfamily
from tinygrad_np.distributions.families import (
    Bernoulli,
    Categorical,
    Independent,
    MultivariateNormal,
    Normal,
    Uniform,
)
from tinygrad_np.distributions.gamma_family import (
    Beta,
    Dirichlet,
    Exponential,
    Gamma,
    LogNormal,
    Poisson,
)
from tinygrad_np.functions import where
from tinygrad_np.linalg import solve
from tinygrad_np.tensor import Tensor

KLFunction = Callable[[Any, Any], Tensor]
_REGISTRY: dict[tuple[type, type], KLFunction] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[KLFunction], KLFunction]:
    """Decorator: `@register_kl(MyP, MyQ) def kl(p, q): ...` makes kl_divergence use it."""
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)
            and isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise TypeError("register_kl: expected two subclasses of Distribution")

    def decorator(function: KLFunction) -> KLFunction:
        _REGISTRY[type_p, type_q] = function
        return function

    return decorator


_KL_REGISTRY = _REGISTRY  # (PyTorch's name)


def _lookup(type_p: type, type_q: type) -> KLFunction | None:
    """PyTorch's dispatch: the rule for p's most specific registered class (then q's); a
    RuntimeWarning when the rule for q's most specific class first is another one."""
    matches = [(type_p.__mro__.index(p), type_q.__mro__.index(q), p, q)
               for (p, q) in _REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None
    left = min(matches, key=lambda match: (match[0], match[1]))
    right = min(matches, key=lambda match: (match[1], match[0]))
    if _REGISTRY[left[2], left[3]] is not _REGISTRY[right[2], right[3]]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
                      f"Please register_kl({left[2].__name__}, {right[3].__name__})",
                      RuntimeWarning, stacklevel=3)
    return _REGISTRY[left[2], left[3]]


@xp.quiet
def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), one value per batch element (batch shapes broadcast)."""
    function = _lookup(type(p), type(q))
    if function is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return function(p, q)


register_kl(ExponentialFamily, ExponentialFamily)(kl_expfamily_expfamily)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = where((q.probs == 0).expand_as(t), math.inf, t)  # mass where q has none: infinite
    t = where((p.probs == 0).expand_as(t), 0.0, t)       # 0 log 0 = 0
    return t.sum(-1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    softplus_q, softplus_p = (-q.logits).softplus(), (-p.logits).softplus()
    # p log(p/q) + (1-p) log((1-p)/(1-q)) in logits: log p = -softplus(-l). The logits are
    # clamped, so a q with no mass where p has some (q = 0 or 1) is set to inf explicitly.
    t1 = where(q.probs == 0, math.inf, p.probs * (softplus_q - softplus_p))
    t1 = where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * ((softplus_q + q.logits) - (softplus_p + p.logits))
    t2 = where(p.probs == 1, 0.0, where(q.probs == 1, math.inf, t2))
    return t1 + t2


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return where(outside, math.inf, result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    d = p.event_shape[0]
    if q.event_shape[0] != d:
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         "shapes cannot be computed")
    try:
        shape = np.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    except ValueError:
        raise ValueError(f"kl_divergence(MultivariateNormal, MultivariateNormal): batch shapes "
                         f"{tuple(p.batch_shape)} and {tuple(q.batch_shape)} do not "
                         "broadcast") from None
    q_tril = q._unbroadcasted_scale_tril.tril().expand((*shape, d, d))
    p_tril = p._unbroadcasted_scale_tril.expand((*shape, d, d))
    trace = (solve(q_tril, p_tril) ** 2).sum((-2, -1))
    diff = (q.loc - p.loc).expand((*shape, d)).unsqueeze(-1)
    mahalanobis = (solve(q_tril, diff) ** 2).sum((-2, -1))
    return q._half_log_det() - p._half_log_det() + 0.5 * (trace + mahalanobis - d)


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p: LogNormal, q: LogNormal) -> Tensor:
    # exp is one-to-one: the KL of the underlying normals
    return _kl_normal_normal(p, q)  # type: ignore[arg-type]


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different "
                                  "reinterpreted_batch_ndims")
    return p._sum_rightmost(kl_divergence(p.base_dist, q.base_dist))


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    # E_p[log p - log q] with E_p[x] = a/b and E_p[log x] = digamma(a) - log b
    a, b, c, d = p.concentration, p.rate, q.concentration, q.rate
    return ((a - c) * a.digamma() - a.lgamma() + c.lgamma() + c * (b.log() - d.log())
            + a * (d - b) / b)


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    # E_p[log x] = digamma(a) - digamma(a + b), E_p[log(1 - x)] = digamma(b) - digamma(a + b)
    a, b, c, d = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    return (q._log_normalizer(c, d) - p._log_normalizer(a, b) + (a - c) * a.digamma()
            + (b - d) * b.digamma() + (c - a + d - b) * (a + b).digamma())


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    # E_p[log x_i] = digamma(a_i) - digamma(sum a)
    a, c = p.concentration, q.concentration
    total = a.sum(-1)
    expected_log = a.digamma() - total.unsqueeze(-1).digamma()
    return (total.lgamma() - a.lgamma().sum(-1) - c.sum(-1).lgamma() + c.lgamma().sum(-1)
            + ((a - c) * expected_log).sum(-1))


__all__ = ["kl_divergence", "register_kl"]
