"""kl_divergence pairs for the families of more_families (and a few older ones PyTorch also
registers: Laplace, Cauchy, HalfNormal, OneHotCategorical), each E_p[log p - log q] in
closed form, as Tensor ops."""

from __future__ import annotations

import math

from tinygrad_np.distributions.families import MultivariateNormal
from tinygrad_np.distributions.kl import (
    _kl_categorical_categorical,
    _kl_mvn_mvn,
    register_kl,
)
from tinygrad_np.distributions.mixture import Cauchy, HalfNormal, Laplace, OneHotCategorical
from tinygrad_np.distributions.more_families import (
    EULER,
    Binomial,
    ContinuousBernoulli,
    Geometric,
    Gumbel,
    LowRankMultivariateNormal,
    Pareto,
)
from tinygrad_np.tensor import Tensor


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    # E_p[x] = loc_p + euler scale_p, E_p[exp(-x / s)] = exp(-loc_p / s) Gamma(1 + scale_p / s)
    ratio = p.scale / q.scale
    shift = (q.loc - p.loc) / q.scale
    return (-ratio.log() - shift + EULER * ratio + (shift + (1 + ratio).lgamma()).exp()
            - (1 + EULER))


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    # E_p[k] = 1/p - 1: E_p[log q(k)] = (1/p - 1) log(1 - q) + log q
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> Tensor:
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count "
                                  "is not implemented")
    # p has mass at counts above q.total_count where its count is larger: infinite there
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p()
                          - (-q.probs).log1p())
    return kl.where(p.total_count <= q.total_count, math.inf)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli(p: ContinuousBernoulli, q: ContinuousBernoulli) -> Tensor:
    # log p(x) = x logit + log(1 - lambda) + log C: linear in x, so E_p needs only the mean
    return (p.mean * (p.logits - q.logits) + p._log_norm() + (-p.probs).log1p()
            - q._log_norm() - (-q.probs).log1p())


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Tensor:
    # E_p[log x] = log scale_p + 1/alpha_p; infinite where p puts mass below q's scale
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return result.where(p.scale >= q.scale, math.inf)


def _dense(p: LowRankMultivariateNormal | MultivariateNormal) -> MultivariateNormal:
    if isinstance(p, MultivariateNormal):
        return p
    return MultivariateNormal(p.loc, covariance_matrix=p.covariance_matrix, validate_args=False)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank(p: MultivariateNormal | LowRankMultivariateNormal,
                q: MultivariateNormal | LowRankMultivariateNormal) -> Tensor:
    # through the dense d x d covariances (the same number; d is small where this is used)
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two (Low Rank) Multivariate Normals with "
                         "different event shapes cannot be computed")
    return _kl_mvn_mvn(_dense(p), _dense(q))


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    return 0.5 * (var_ratio - 1 - var_ratio.log())


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    # E_p|x - loc_q| = |d| + scale_p exp(-|d| / scale_p), d = loc_p - loc_q
    ratio = p.scale / q.scale
    distance = (p.loc - q.loc).abs()
    return -ratio.log() + distance / q.scale + ratio * (-distance / p.scale).exp() - 1


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    # Chyzak and Nielsen's closed form
    return (((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2).log()
            - (4 * p.scale * q.scale).log())


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)
