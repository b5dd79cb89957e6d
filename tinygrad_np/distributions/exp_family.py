"""`torch.distributions.ExponentialFamily`: p(x; theta) = exp(<t(x), theta> - F(theta) + k(x)).

A subclass names its natural parameters theta (`_natural_params`), its log normaliser F
(`_log_normalizer(*theta)`) and E[k(x)] (`_mean_carrier_measure`); the entropy then follows
from the Bregman divergence of F, H = F(theta) - <theta, grad F(theta)> - E[k(x)], and the
KL divergence between two members of one family likewise (`kl_expfamily_expfamily`, as
PyTorch's fallback for a family without a closed form of its own).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.autograd import grad
from tinygrad_np.distributions.distribution import Distribution
from tinygrad_np.tensor import Tensor


class ExponentialFamily(Distribution):
    """The base of the exponential-family distributions (Normal, Gamma, Beta, Bernoulli,
    Poisson, Exponential, Dirichlet, Chi2, ContinuousBernoulli), as PyTorch's."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError(f"{type(self).__name__}._natural_params is not implemented")

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}._log_normalizer is not implemented")

    @property
    def _mean_carrier_measure(self) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__}._mean_carrier_measure is not implemented")

    def _bregman_parts(self) -> tuple[list[Tensor], Tensor, tuple[Tensor | None, ...]]:
        """theta (detached leaves), F(theta) and grad F(theta) (itself differentiable)."""
        params = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*params)
        slopes = grad(log_normalizer.sum(), params, create_graph=True)
        return params, log_normalizer, slopes

    def entropy(self) -> Tensor:
        """F(theta) - <theta, grad F(theta)> - E[k(x)] (the gradient reaches theta only
        through grad F, as PyTorch's: theta is taken detached)."""
        params, result, slopes = self._bregman_parts()
        result = result - self._mean_carrier_measure
        for param, slope in zip(params, slopes):
            result = result - (param * slope).reshape(tuple(self.batch_shape) + (-1,)).sum(-1)
        return result


def kl_expfamily_expfamily(p: ExponentialFamily, q: ExponentialFamily) -> Tensor:
    """KL(p || q) within one family: F(theta_q) - F(theta_p) - <theta_q - theta_p,
    grad F(theta_p)> (the Bregman divergence of the log normaliser)."""
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential "
                                  "families cannot be computed using Bregman divergences "
                                  f"(p is {type(p).__name__}, q is {type(q).__name__})")
    p_params, p_normalizer, slopes = p._bregman_parts()
    q_params = q._natural_params
    result = q._log_normalizer(*q_params) - p_normalizer
    batch = len(np.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape)))
    for p_param, q_param, slope in zip(p_params, q_params, slopes):
        term = (q_param - p_param) * slope
        if term.ndim > batch:  # a parameter's own dims (Wishart's df has none: no sum)
            term = term.sum(tuple(range(batch, term.ndim)))
        result = result - term
    return result


__all__ = ["ExponentialFamily"]
