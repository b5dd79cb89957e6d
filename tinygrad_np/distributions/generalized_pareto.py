"""`torch.distributions.GeneralizedPareto(loc, scale, concentration)`: with z = (x - loc) /
scale and c the concentration, the survival function is (1 + c z)^(-1/c) (exp(-z) at c = 0)
on x >= loc (up to loc - scale / c for c < 0). Exponential (loc 0, c 0), Pareto (c > 0,
loc = scale / c) and Uniform (c = -1) are special cases.

A concentration within 1e-8 of 0 takes the c = 0 forms, as PyTorch (torch.isclose to 0).
Draws are icdf(u) with u ~ U(0, 1), so rsample differentiates through the engine.
"""

from __future__ import annotations

import math

from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import (
    Distribution,
    ShapeLike,
    broadcast_all,
    standard_uniform,
)
from tinygrad_np.tensor import Tensor, to_tensor


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution (see the module docstring)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 concentration: Tensor | float, validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def _safe_concentration(self) -> tuple[Tensor, Tensor]:
        """(c == 0 within 1e-8, c with those entries set to 1 so no branch divides by 0)."""
        zero = self.concentration.abs() <= 1e-8
        return zero, self.concentration.where(~zero, 1.0)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        """[loc, inf), or [loc, loc - scale / c] for c < 0."""
        negative = self.concentration < 0
        upper = (self.loc - self.scale / self.concentration.where(negative, -1.0))
        return constraints.interval(self.loc, upper.where(negative, math.inf))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        u = standard_uniform(tuple(self._extended_shape(sample_shape)), self.loc.dtype)
        return self.icdf(u)

    def _z(self, value: Tensor) -> Tensor:
        return (value - self.loc) / self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        """-log scale - (1 / c + 1) log(1 + c z), or -log scale - z at c = 0."""
        z = self._z(self._value(value))
        zero, c = self._safe_concentration()
        power = 1 / c + 1
        # at c = -1 the power is 0: the (uniform) density is flat, even where log1p is -inf
        tail = power.where(power == 0, power * (c * z).log1p())
        return -self.scale.log() - z.where(zero, tail)

    def log_survival_function(self, value: Tensor) -> Tensor:
        """log P(X > x) = -log(1 + c z) / c, or -z at c = 0."""
        z = self._z(self._value(value, "log_survival_function"))
        zero, c = self._safe_concentration()
        return (-z).where(zero, -(c * z).log1p() / c)

    def log_cdf(self, value: Tensor) -> Tensor:
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value: Tensor) -> Tensor:
        return self.log_cdf(value).exp()

    def icdf(self, value: Tensor) -> Tensor:
        """loc + scale (exp(-c log(1 - u)) - 1) / c, or loc - scale log(1 - u) at c = 0."""
        log_u = (-to_tensor(value)).log1p()
        zero, c = self._safe_concentration()
        nonzero = self.loc + self.scale / c * (-c * log_u).expm1()
        return (self.loc - self.scale * log_u).where(zero, nonzero)

    @property
    def mean(self) -> Tensor:
        """loc + scale / (1 - c) for c < 1, else NaN."""
        valid = self.concentration < 1
        c = self.concentration.where(valid, 0.5)
        return (self.loc + self.scale / (1 - c)).where(valid, math.nan)

    @property
    def variance(self) -> Tensor:
        """scale^2 / ((1 - c)^2 (1 - 2c)) for c < 1/2, else NaN."""
        valid = self.concentration < 0.5
        c = self.concentration.where(valid, 0.25)
        return (self.scale**2 / ((1 - c) ** 2 * (1 - 2 * c))).where(valid, math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    def entropy(self) -> Tensor:
        return (self.scale.log() + self.concentration + 1).expand(tuple(self.batch_shape))


__all__ = ["GeneralizedPareto"]
