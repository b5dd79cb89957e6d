"""`torch.distributions.LKJCholesky(dim, concentration)`: the LKJ distribution of the lower
Cholesky factor L of a dim x dim correlation matrix M = L L^T, with density proportional to
det(M)^(concentration - 1) (uniform over correlation matrices at concentration 1).

PyTorch's forms: draws by the onion method (Lewandowski, Kurowicka and Joe, 2009, section
3.2, vectorised: row i's squared norm below the diagonal is Beta(i/2, concentration +
(dim - 2)/2 - (i - 1)/2), its direction uniform); log_prob = sum_i (2 (concentration - 1) +
dim - i) log L_ii over i = 2..dim, minus the normaliser, a composition of Tensor ops (so it
is differentiable in concentration and the value).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import (
    Distribution,
    ShapeLike,
    broadcast_all,
    standard_normal,
)
from tinygrad_np.distributions.gamma_family import Beta
from tinygrad_np.function import no_grad
from tinygrad_np.tensor import Size, Tensor


class LKJCholesky(Distribution):
    """The LKJ distribution over Cholesky factors of correlation matrices (see the module
    docstring); `sample()` is L, so `L @ L.mT` is a correlation matrix."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration: Tensor | float = 1.0,
                 validate_args: bool | None = None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        dtype = self.concentration.dtype
        offset = Tensor(np.concatenate([[0.0], np.arange(dim - 1)]).astype(dtype))
        marginal = self.concentration + 0.5 * (dim - 2)
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.shape, (dim, dim), validate_args)

    def expand(self, batch_shape: ShapeLike, _instance: Any = None) -> LKJCholesky:
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            shape = tuple(self._extended_shape(sample_shape))
            u = standard_normal(shape, y.dtype).tril(-1)
            first_row = Tensor(np.arange(self.dim) == 0).unsqueeze(-1)
            norms = u.norm(dim=-1, keepdim=True)
            sphere = (u / norms.where(~first_row, 1.0)).where(~first_row, 0.0)
            w = y.sqrt() * sphere
            tiny = float(np.finfo(np.dtype(w.dtype)).tiny)
            diagonal = (1 - (w**2).sum(-1)).clamp(min=tiny).sqrt()
            return w + diagonal.diag_embed()

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = Tensor(np.arange(2, self.dim + 1))
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = (0.5 * dm1 * math.log(math.pi) + (alpha - 0.5).mvlgamma(dm1)
                      - alpha.lgamma() * dm1)
        return unnormalized - normalizer
