"""Exponential, Gamma, Beta, Dirichlet, Poisson and LogNormal, as in `torch.distributions`.

log_prob and entropy are Tensor-op compositions (lgamma and digamma included), so their
gradients reach the parameters. `rsample` is a plain composition for Exponential and
LogNormal; Gamma's draws are differentiated implicitly, as PyTorch's: a draw x of
Gamma(alpha, 1) is held at its quantile u = P(alpha, x), so dx/dalpha = -(dP/dalpha) / p(x)
(`standard_gamma`). Dirichlet draws (normalised gammas) and Beta draws (a two-entry
Dirichlet's first entry, as PyTorch's) take PyTorch's implicit gradient too: each entry's
Beta marginal held at its quantile (`beta_grad.dirichlet_backward`), a function of the draw
and the concentration only.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import rng, special
from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.beta_grad import dirichlet_backward, dirichlet_grad
from tinygrad_np.distributions.distribution import (
    ShapeLike,
    broadcast_all,
    standard_normal,
)
from tinygrad_np.distributions.exp_family import ExponentialFamily
from tinygrad_np.distributions.families import Normal
from tinygrad_np.distributions.transforms import ExpTransform, TransformedDistribution
from tinygrad_np.function import Function, is_grad_enabled
from tinygrad_np.join import stack
from tinygrad_np.nn import functional as F
from tinygrad_np.ops.masked import no_derivative
from tinygrad_np.ops.special import lgamma
from tinygrad_np.ops.special_more import incomplete_gamma
from tinygrad_np.tensor import Tensor, to_tensor
from tinygrad_np.xp import is_tensor

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def zeros_like(like: Tensor) -> Tensor:
    """A constant 0 of `like`'s shape and dtype (PyTorch's zeros_like: no gradient)."""
    return Tensor(np.zeros(like.shape, dtype=like.dtype))


def _draw(values: np.ndarray, like: Tensor, positive: bool = False) -> Tensor:
    """Float64 draws in the parameters' dtype. `positive`: at least the dtype's smallest
    normal number, as PyTorch clamps its gamma draws (a tiny concentration underflows to 0,
    where log_prob is inf and the Dirichlet's normalisation 0 / 0); a NaN concentration's
    draw is that number too, as PyTorch's `max(tiny, NaN)`."""
    with np.errstate(over="ignore", under="ignore"):
        array = np.asarray(values, dtype=like.dtype)
    if positive:
        array = np.fmax(array, np.finfo(array.dtype).tiny)  # (NaN too, as PyTorch's max)
    return Tensor(array)


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/dalpha of a Gamma(alpha, 1) draw x at a fixed quantile: -(dP(alpha, x)/dalpha) /
    p(x), float64 (what torch._standard_gamma_grad approximates). dP/dalpha is a central
    difference (relative step 1e-5) of the float64 incomplete gamma function, of P below
    the mean and of Q = 1 - P above it (each the small one, so relatively accurate). (Where
    the kernel switches to Temme's expansion, at alpha = 1000, P jumps by ~5e-11: ~1e-7 of
    the slope.)"""
    a, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    low, high = a * (1 - 1e-5), a * (1 + 1e-5)
    upper = x >= a
    with np.errstate(all="ignore"):
        slope = (incomplete_gamma(high, x, False) - incomplete_gamma(low, x, False)) / (
            high - low)
        upper_slope = -(incomplete_gamma(high, x, True) - incomplete_gamma(low, x, True)) / (
            high - low)
        slope = np.where(upper, upper_slope, slope)
        log_density = (a - 1) * np.log(x) - x - lgamma(a)
        return -np.sign(slope) * np.exp(np.log(np.abs(slope)) - log_density)


class _StandardGamma(Function):
    """A Gamma(alpha, 1) draw (made outside, passed in as a constant) whose gradient in
    alpha is the implicit one: d alpha = g * dx/dalpha."""

    def forward(ctx, alpha, draws):
        ctx.slope = standard_gamma_grad(alpha, draws).astype(draws.dtype)
        return draws

    def backward(ctx, grad_output):
        if is_tensor(grad_output):  # create_graph: the slope's derivative is unknown
            return no_derivative(ctx, grad_output * ctx.slope, "_standard_gamma_grad"), None
        return grad_output * ctx.slope, None


def standard_gamma(alpha: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Gamma(alpha, 1) draws of `shape` (alpha broadcast to it) in alpha's dtype, at least
    the dtype's smallest normal number as PyTorch clamps them, differentiable in alpha; the
    draws are PyTorch's (`rng.Stream.standard_gamma`)."""
    alpha = alpha.expand(shape)
    gammas = rng.generator().standard_gamma(alpha._data, alpha._data.dtype)
    draws = _draw(gammas.astype(alpha._data.dtype), alpha, positive=True)
    if not (alpha.requires_grad and is_grad_enabled()):
        return draws  # (no gradient wanted: skip computing the slopes)
    return _StandardGamma.apply(alpha, draws._data)


class _DirichletDraw(Function):
    """A Dirichlet(alpha) draw (made outside, passed in as a constant) whose gradient in
    alpha is PyTorch's implicit one (`dirichlet_backward`)."""

    def forward(ctx, alpha, draws):
        ctx.alpha, ctx.draws = alpha, draws
        return draws

    def backward(ctx, grad_output):
        recorded = is_tensor(grad_output)  # create_graph: the slopes' derivatives are unknown
        g = grad_output._data if recorded else grad_output
        grad = dirichlet_backward(ctx.draws.astype(np.float64), ctx.alpha.astype(np.float64),
                                  g.astype(np.float64)).astype(g.dtype)
        return (no_derivative(ctx, grad, "_dirichlet_grad") if recorded else grad), None


def sample_dirichlet(alpha: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Dirichlet(alpha) draws of `shape` (the last axis the simplex, alpha broadcast to it):
    gammas (at least the dtype's smallest normal number) normalised, then clamped to
    [that number, the largest below 1] as PyTorch's (a draw of exactly 1 would give Beta's
    log_prob and gradient inf/NaN), differentiable in alpha."""
    alpha = alpha.expand(shape)
    gammas = np.fmax(rng.generator().standard_gamma(alpha._data, np.float64),  # (float64,
                        np.finfo(np.float64).tiny)  # then normalised and cast, as PyTorch's)
    with np.errstate(all="ignore"):
        one = np.ones((), alpha._data.dtype)
        draws = np.clip((gammas / gammas.sum(-1, keepdims=True)).astype(one.dtype),
                        np.finfo(one.dtype).tiny, np.nextafter(one, 0 * one))
    if not (alpha.requires_grad and is_grad_enabled()):
        return Tensor(draws)
    return _DirichletDraw.apply(alpha, draws)


def _standard_gamma(alpha: Tensor) -> Tensor:
    """torch._standard_gamma: one Gamma(alpha, 1) draw per entry, differentiable in alpha."""
    return standard_gamma(alpha, tuple(alpha.shape))


def _standard_gamma_grad(alpha: Tensor, x: Tensor) -> Tensor:
    """torch._standard_gamma_grad: dx/dalpha of Gamma(alpha, 1) draws x."""
    return Tensor(standard_gamma_grad(alpha._data, x._data).astype(x.dtype))


def _sample_dirichlet(alpha: Tensor) -> Tensor:
    """torch._sample_dirichlet: one Dirichlet(alpha) draw (the last axis the simplex), not
    differentiable (Dirichlet.rsample is)."""
    return sample_dirichlet(alpha.detach(), tuple(alpha.shape))


def _dirichlet_grad(x: Tensor, alpha: Tensor, total: Tensor) -> Tensor:
    """torch._dirichlet_grad: dx/dalpha of x ~ Beta(alpha, total - alpha) at a fixed
    quantile, over (1 - x) (see beta_grad; exact where PyTorch's kernel approximates)."""
    return Tensor(dirichlet_grad(x._data, alpha._data, total._data).astype(x.dtype))


class Exponential(ExponentialFamily):
    """Rate lambda: p(x) = lambda exp(-lambda x), x >= 0."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (-self.rate,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return -(-x).log()

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return 1 / self.rate

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.rate)

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """Exp(1) draws (PyTorch's exponential_) / lambda."""
        shape = self._extended_shape(sample_shape)
        draws = rng.generator().exponential_(1.0, shape).astype(self.rate.dtype)
        return Tensor(draws) / self.rate

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        return self.rate.log() - self.rate * value

    def entropy(self) -> Tensor:
        return 1 - self.rate.log()

    def cdf(self, value: Tensor) -> Tensor:
        return 1 - (-self.rate * self._value(value, "cdf")).exp()

    def icdf(self, value: Tensor) -> Tensor:
        return -(1 - to_tensor(value)).log() / self.rate


class Gamma(ExponentialFamily):
    """Shape alpha (concentration), rate beta: p(x) = b^a x^(a-1) exp(-b x) / Gamma(a)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return (x + 1).lgamma() + (x + 1) * (-1 / y).log()

    def __init__(self, concentration: Tensor | float, rate: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        """(alpha - 1) / beta, 0 for alpha < 1."""
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate**2

    def cdf(self, value: Tensor) -> Tensor:
        """The regularised lower incomplete gamma P(alpha, beta x) (like PyTorch, no
        derivative in alpha)."""
        return special.gammainc(self.concentration, self.rate * self._value(value, "cdf"))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """standard_gamma(alpha) / rate, at least the dtype's smallest normal number."""
        shape = tuple(self._extended_shape(sample_shape))
        value = standard_gamma(self.concentration, shape) / self.rate
        return value.clamp(min=float(np.finfo(value.dtype).tiny))

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value).to(self.rate.dtype)  # the parameters' dtype, as PyTorch
        a, b = self.concentration, self.rate
        return a * b.log() + (a - 1).xlogy(value) - b * value - a.lgamma()

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1 - a) * a.digamma()


class Beta(ExponentialFamily):
    """p(x) = x^(a-1) (1-x)^(b-1) / B(a, b) on [0, 1]."""

    _repr_hidden = ("concentration1", "concentration0")  # properties in PyTorch (repr)
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Tensor | float, concentration0: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """The Dirichlet(concentration1, concentration0) mode's first entry."""
        pair = stack([self.concentration1, self.concentration0], -1)
        return dirichlet_mode(pair)[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total**2 * (total + 1))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """The first entry of a Dirichlet(concentration1, concentration0) draw, as PyTorch
        (so the gradient is the same implicit one)."""
        shape = tuple(self._extended_shape(sample_shape)) + (2,)
        pair = stack([self.concentration1, self.concentration0], -1)
        return sample_dirichlet(pair, shape)[..., 0]

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        """log B(x, y)."""
        return x.lgamma() + y.lgamma() - (x + y).lgamma()

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        a, b = self.concentration1, self.concentration0
        # xlogy: a concentration of 1 ignores its factor (0 log 0 = 0, no 0 * inf), as PyTorch
        return (a - 1).xlogy(value) + (b - 1).xlogy(1 - value) - self._log_normalizer(a, b)

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return (self._log_normalizer(a, b) - (a - 1) * a.digamma() - (b - 1) * b.digamma()
                + (a + b - 2) * (a + b).digamma())


def dirichlet_mode(concentration: Tensor) -> Tensor:
    """max(a_i - 1, 0) normalised over the last dim; where every a_i < 1, PyTorch's
    convention: the one-hot vector of that ratio's argmax (the first entry, as 0 / 0 is NaN).
    All a_i <= 1 with one equal to 1 is NaN, as PyTorch."""
    excess = (concentration - 1).clamp(min=0.0)
    mode = excess / excess.sum(-1, keepdim=True)
    corner = F.one_hot(mode.detach().argmax(-1), mode.shape[-1]).to(mode.dtype)
    return mode.where(~(concentration < 1).all(-1, keepdim=True), corner)


class Dirichlet(ExponentialFamily):
    """p(x) = prod x_i^(a_i - 1) / B(a) on the simplex (the last axis is the event)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        (self.concentration,) = broadcast_all(concentration)
        if self.concentration.ndim < 1:
            raise ValueError("Dirichlet: `concentration` parameter must be at least "
                             "one-dimensional.")
        shape = self.concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args)

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.concentration,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        return dirichlet_mode(self.concentration)

    @property
    def variance(self) -> Tensor:
        a = self.concentration
        total = a.sum(-1, keepdim=True)
        return a * (total - a) / (total**2 * (total + 1))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """Gamma(concentration_i) draws normalised to sum to 1 (`sample_dirichlet`)."""
        return sample_dirichlet(self.concentration, tuple(self._extended_shape(sample_shape)))

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        a = self.concentration
        return ((a - 1).xlogy(value).sum(-1) + a.sum(-1).lgamma() - a.lgamma().sum(-1))

    def entropy(self) -> Tensor:
        a = self.concentration
        total, k = a.sum(-1), a.shape[-1]
        return (a.lgamma().sum(-1) - total.lgamma() + (total - k) * total.digamma()
                - ((a - 1) * a.digamma()).sum(-1))


class Poisson(ExponentialFamily):
    """p(k) = rate^k exp(-rate) / k!, k = 0, 1, 2, ... (no entropy, as PyTorch: E[log k!]
    has no closed form)."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.rate.log(),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.exp()

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        return _draw(rng.generator().poisson(self.rate._data, shape), self.rate)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()


class LogNormal(TransformedDistribution):
    """exp(X) with X ~ N(loc, scale^2): as PyTorch's, a TransformedDistribution of
    base_dist Normal(loc, scale) by ExpTransform (its own closed forms below)."""

    _repr_hidden = ("loc", "scale")  # properties in PyTorch (repr)
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(Normal(self.loc, self.scale, validate_args=validate_args),
                         ExpTransform(), validate_args)

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale**2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale**2).exp()

    @property
    def variance(self) -> Tensor:
        return ((self.scale**2).exp() - 1) * (2 * self.loc + self.scale**2).exp()

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        noise = standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return (self.loc + noise * self.scale).exp()

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        positive = value > 0  # NaN at x <= 0 (validate_args=False), quietly, as PyTorch
        log_value = value.where(positive | value.isnan(), 1.0).log()  # (NaN stays NaN)
        result = (-((log_value - self.loc) ** 2) / (2 * self.scale**2) - self.scale.log()
                  - _LOG_SQRT_2PI - log_value)
        return result.where(positive | value.isnan(), math.nan)

    def entropy(self) -> Tensor:
        return 0.5 + _LOG_SQRT_2PI + self.scale.log() + self.loc

    def icdf(self, value: Tensor) -> Tensor:
        """exp(loc + scale sqrt(2) erfinv(2p - 1))."""
        p = to_tensor(value)
        return (self.loc + self.scale * (2 * p - 1).erfinv() * math.sqrt(2)).exp()
