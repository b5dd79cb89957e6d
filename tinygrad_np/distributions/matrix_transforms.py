"""More of `torch.distributions.transforms`: PositiveDefiniteTransform (square matrices onto
positive definite ones), CorrCholeskyTransform (vectors onto Cholesky factors of correlation
matrices) and CumulativeDistributionTransform (a distribution's CDF as a transform), with
their `transform_to` / `biject_to` registrations as PyTorch's.

Each is a composition of Tensor ops, so Jacobian terms and inverses differentiate through
the engine.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import linalg
from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import Distribution
from tinygrad_np.distributions.more_transforms import (
    LowerCholeskyTransform,
    biject_to,
    transform_to,
)
from tinygrad_np.distributions.transforms import Transform
from tinygrad_np.distributions.utils import tril_matrix_to_vec, vec_to_tril_matrix
from tinygrad_np.nn import functional as F
from tinygrad_np.tensor import Tensor
from tinygrad_np.typeinfo import finfo


class PositiveDefiniteTransform(Transform):
    """A square matrix x onto L L^T with L = LowerCholeskyTransform()(x) (its strictly lower
    part, the diagonal exponentiated); the inverse takes the Cholesky factor back. Not
    bijective (x's upper part is dropped) and no Jacobian term, as PyTorch's."""

    bijective = False
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x: Tensor) -> Tensor:
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y: Tensor) -> Tensor:
        return LowerCholeskyTransform().inv(linalg.cholesky(y))


def _square_side(count: int) -> int:
    """D with D (D - 1) / 2 == count (ValueError otherwise)."""
    side = round((0.25 + 2 * count) ** 0.5 + 0.5)
    if side * (side - 1) // 2 != count:
        raise ValueError(f"CorrCholeskyTransform: an input of {count} entries is not the "
                         "strictly lower triangle of a square matrix (D (D - 1) / 2 entries)")
    return side


class CorrCholeskyTransform(Transform):
    """A vector of D (D - 1) / 2 reals onto the Cholesky factor L of a D x D correlation
    matrix: r = tanh(x) laid row by row below the diagonal, then each row stick-broken,
    L_ij = r_ij sqrt(1 - sum_{k<j} L_ik^2) and L_ii = sqrt(1 - sum_{k<i} L_ik^2) (unit rows)."""

    bijective = True
    domain = constraints.real_vector
    codomain = constraints.corr_cholesky

    def _call(self, x: Tensor) -> Tensor:
        eps = float(finfo(x.dtype).eps)
        r = vec_to_tril_matrix(x.tanh().clamp(min=-1 + eps, max=1 - eps), diag=-1)
        # prod_{k<j} sqrt(1 - r_ik^2): the row's length left before entry j
        left = (1 - r**2).sqrt().cumprod(-1)
        left = F.pad(left[..., :-1], (1, 0), value=1.0)
        return (r + Tensor(np.eye(r.shape[-1], dtype=r.dtype))) * left

    def _inverse(self, y: Tensor) -> Tensor:
        # r_ij = L_ij / sqrt(1 - sum_{k<j} L_ik^2), x = atanh(r)
        left = F.pad((1 - (y * y).cumsum(-1))[..., :-1], (1, 0), value=1.0)
        r = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left, diag=-1).sqrt()
        return (r.log1p() - (-r).log1p()) / 2

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor, intermediates: Any = None) -> Tensor:
        """The stick-breaking part, sum over i > j >= 1 of (1/2) log(1 - sum_{k<j} L_ik^2),
        plus the tanh part, sum of log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x))."""
        left = tril_matrix_to_vec(1 - (y * y).cumsum(-1), diag=-2)
        stick_breaking = 0.5 * left.log().sum(-1)
        tanh = -2 * (x + F.softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick_breaking + tanh

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) < 1:
            raise ValueError("CorrCholeskyTransform: too few dimensions on input")
        side = _square_side(shape[-1])
        return (*shape[:-1], side, side)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) < 2 or shape[-2] != shape[-1]:
            raise ValueError(f"CorrCholeskyTransform: input of shape {tuple(shape)} is not "
                             "a square matrix")
        return (*shape[:-2], shape[-1] * (shape[-1] - 1) // 2)


class CumulativeDistributionTransform(Transform):
    """x onto distribution.cdf(x) in [0, 1] (the inverse is its icdf);
    log |dy/dx| = distribution.log_prob(x)."""

    bijective = True
    codomain = constraints.unit_interval
    sign = 1

    def __init__(self, distribution: Distribution, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.distribution = distribution

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self.distribution.support

    def _call(self, x: Tensor) -> Tensor:
        return self.distribution.cdf(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size: int = 1) -> CumulativeDistributionTransform:
        if self._cache_size == cache_size:
            return self
        return type(self)(self.distribution, cache_size=cache_size)


transform_to.register(constraints._PositiveDefinite, lambda c: PositiveDefiniteTransform())
transform_to.register(constraints._PositiveSemidefinite, lambda c: PositiveDefiniteTransform())
for _registry in (biject_to, transform_to):
    _registry.register(constraints._CorrCholesky, lambda c: CorrCholeskyTransform())

__all__ = ["CorrCholeskyTransform", "CumulativeDistributionTransform",
           "PositiveDefiniteTransform"]
