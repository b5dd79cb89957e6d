"""Laplace, Cauchy, HalfNormal, OneHotCategorical and MixtureSameFamily (the mixture density
network's output), as in `torch.distributions`: log_prob, entropy and rsample are Tensor-op
compositions, so their gradients are the engine's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import rng
from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import (
    Distribution,
    LocScale,
    ShapeLike,
    as_size,
    broadcast_all,
    standard_normal,
)
from tinygrad_np.distributions.families import Categorical, Normal
from tinygrad_np.distributions.gamma_family import zeros_like
from tinygrad_np.distributions.more_transforms import AbsTransform
from tinygrad_np.distributions.transforms import TransformedDistribution
from tinygrad_np.nn import functional as F
from tinygrad_np.tensor import Size, Tensor
from tinygrad_np.typeinfo import finfo


def _as_tensor(value: Any, like: Tensor) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=like.dtype))


class Laplace(LocScale):
    """p(x) = exp(-|x - loc| / scale) / (2 scale)."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale**2

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """loc - scale sign(u) log1p(-|u|) with u ~ U(eps - 1, 1), as PyTorch draws it."""
        eps = finfo(self.loc.dtype).eps
        shape = self._extended_shape(sample_shape)
        u = Tensor(rng.uniform(rng.generator(), eps - 1, 1.0, shape, self.loc.dtype))
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()

    def cdf(self, value: Tensor) -> Tensor:
        value = self._value(value, "cdf")
        z = (value - self.loc) / self.scale
        return 0.5 - 0.5 * z.sign() * (-z.abs()).expm1()

    def icdf(self, value: Tensor) -> Tensor:
        """loc - scale sign(p - 1/2) log(1 - 2 |p - 1/2|)."""
        centred = _as_tensor(value, self.loc) - 0.5
        return self.loc - self.scale * centred.sign() * (-2 * centred.abs()).log1p()


class Cauchy(LocScale):
    """p(x) = 1 / (pi scale (1 + ((x - loc) / scale)^2)); no mean or variance."""

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, dtype=self.loc.dtype))

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.inf, dtype=self.loc.dtype))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))  # (PyTorch's cauchy_ draws)
        eps = Tensor(np.empty(shape, self.loc.dtype)).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2
                                                        ).log1p()

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()

    def cdf(self, value: Tensor) -> Tensor:
        value = self._value(value, "cdf")
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        """loc + scale tan(pi (p - 1/2))."""
        return (math.pi * (_as_tensor(value, self.loc) - 0.5)).tan() * self.scale + self.loc


class HalfNormal(TransformedDistribution):
    """|X| with X ~ N(0, scale^2): as PyTorch's, a TransformedDistribution of base_dist
    Normal(0, scale) by AbsTransform (its own closed forms below)."""

    _repr_hidden = ("scale",)  # properties in PyTorch (repr)
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Tensor | float, validate_args: bool | None = None) -> None:
        (self.scale,) = broadcast_all(scale)
        super().__init__(Normal(0.0, self.scale, validate_args=False), AbsTransform(),
                         validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.scale**2 * (1 - 2 / math.pi)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return (standard_normal(self._extended_shape(sample_shape), self.scale.dtype)
                * self.scale).abs()

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return log_prob.where(value >= 0, -math.inf)  # (NaN too, as PyTorch)

    def entropy(self) -> Tensor:
        return 0.5 * math.log(math.pi / 2) + self.scale.log() + 0.5

    def cdf(self, value: Tensor) -> Tensor:
        value = self._value(value, "cdf")
        return (value / (self.scale * math.sqrt(2))).erf()

    def icdf(self, value: Tensor) -> Tensor:
        """The N(0, scale^2) quantile at (1 + p) / 2: scale sqrt(2) erfinv(p)."""
        return self.scale * _as_tensor(value, self.scale).erfinv() * math.sqrt(2)


class _OverCategories(Distribution):
    """What OneHotCategorical and Multinomial share: a Categorical over the last dim (the
    event), its probs and logits."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits


class OneHotCategorical(_OverCategories):
    """Categorical's draws as one-hot vectors (the last dim is the event)."""

    support = constraints.one_hot
    has_enumerate_support = True

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """The one-hot vector of the most probable category."""
        return F.one_hot(self.probs.argmax(-1), self.event_shape[0]).to(self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        indices = self._categorical.sample(sample_shape)
        return F.one_hot(indices, self.event_shape[0]).to(self.probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        k = self.event_shape[0]
        values = Tensor(np.eye(k, dtype=self.probs.dtype).reshape(
            (k,) + (1,) * len(self.batch_shape) + (k,)))
        return values.expand((k, *self.batch_shape, k)) if expand else values


class MixtureSameFamily(Distribution):
    """A mixture whose components are one distribution's rightmost batch dim, weighted by a
    Categorical: log p(x) = logsumexp_k(log w_k + log p_k(x))."""

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: the mixture distribution needs to be an "
                             "instance of torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("MixtureSameFamily: the component distribution needs to be an "
                             "instance of torch.distributions.Distribution")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        components = tuple(component_distribution.batch_shape)
        k = mixture_distribution.logits.shape[-1]  # caches logits, as PyTorch (its repr)
        if not components or components[-1] != k:
            raise ValueError(f"MixtureSameFamily: the mixture distribution's last dim ({k}) "
                             f"must be the component distribution's rightmost batch dim "
                             f"(batch shape {components})")
        batch = components[:-1]
        mixture_batch = tuple(mixture_distribution.batch_shape)
        if mixture_batch and mixture_batch != batch[len(batch) - len(mixture_batch):]:
            raise ValueError(f"MixtureSameFamily: mixture batch shape {mixture_batch} does not "
                             f"match component batch shape {batch}")
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(batch, component_distribution.event_shape, validate_args)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    @property
    def support(self) -> constraints.Constraint | None:  # type: ignore[override]
        support = self._component_distribution.support
        return None if support is None else constraints.MixtureSameFamilyConstraint(support)

    def _pad_weights(self, probs: Tensor) -> Tensor:
        return probs.reshape((*probs.shape, *(1,) * self._event_ndims))

    @property
    def mean(self) -> Tensor:
        weights = self._pad_weights(self.mixture_distribution.probs)
        return (weights * self.component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        weights = self._pad_weights(self.mixture_distribution.probs)
        dim = -1 - self._event_ndims
        mean = self.component_distribution.mean
        mixture_mean = (weights * mean).sum(dim, keepdim=True)
        return (weights * (self.component_distribution.variance + (mean - mixture_mean) ** 2)
                ).sum(dim)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        # the component dim goes in front of the event dims
        value = value.unsqueeze(-1 - self._event_ndims)
        log_components = self.component_distribution.log_prob(value)
        log_weights = self.mixture_distribution.logits
        return (log_components + log_weights).logsumexp(-1)

    def cdf(self, value: Tensor) -> Tensor:
        value = self._value(value, "cdf").unsqueeze(-1 - self._event_ndims)
        return (self.component_distribution.cdf(value) * self.mixture_distribution.probs).sum(-1)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """A component index per draw, then that component's draw (no gradient)."""
        shape = tuple(as_size(sample_shape))
        indices = self.mixture_distribution.sample(shape)  # (*shape, *mixture batch)
        draws = self.component_distribution.sample(shape)  # (*shape, *batch, k, *event)
        axis = len(shape) + len(self.batch_shape)  # the component axis of the draws
        mixture_batch = tuple(indices.shape[len(shape):])
        index = indices.reshape((*shape, *(1,) * (len(self.batch_shape) - len(mixture_batch)),
                                 *mixture_batch, 1, *(1,) * self._event_ndims))
        index = index.expand((*draws.shape[:axis], 1, *draws.shape[axis + 1:]))
        return draws.gather(axis, index).squeeze(axis)

    def __repr__(self) -> str:
        return (f"MixtureSameFamily(\n  {self.mixture_distribution},\n  "
                f"{self.component_distribution})")


__all__ = ["Cauchy", "HalfNormal", "Laplace", "MixtureSameFamily", "OneHotCategorical"]


class Multinomial(_OverCategories):
    """Counts of `total_count` independent Categorical(probs) draws over the last dim (the
    event): log_prob = log n! - sum log x_k! + sum x_k log p_k."""

    def __init__(self, total_count: int = 1, probs: Tensor | None = None,
                 logits: Tensor | None = None, validate_args: bool | None = None) -> None:
        if not isinstance(total_count, (int, np.integer)) or total_count < 0:
            raise ValueError(f"Multinomial: total_count must be a non-negative int (one count "
                             f"for the batch), got {total_count!r}")
        self.total_count = int(total_count)
        super().__init__(probs, logits, validate_args)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        """Non-negative counts summing to at most total_count (PyTorch's multinomial)."""
        return constraints.multinomial(self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs) * self.total_count

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """NumPy's multinomial per batch row (a chain of binomials: time and memory do not
        grow with total_count)."""
        probs = self.probs._data.astype(np.float64)
        probs = probs / probs.sum(-1, keepdims=True)
        shape = tuple(as_size(sample_shape)) + tuple(self.batch_shape)
        counts = rng.generator().multinomial(self.total_count, probs, size=shape)
        return Tensor(counts.astype(self.probs.dtype))

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        # 0 * -inf is 0: such logits are zeroed (PyTorch's), every other logit multiplies its
        # count, so d/dvalue is the logit also where the count is 0
        logits = self.logits.where((value != 0) | (self.logits != -math.inf), 0.0)
        return ((value.sum(-1) + 1).lgamma() - (value + 1).lgamma().sum(-1)
                + (value * logits).sum(-1))

    def entropy(self) -> Tensor:
        """n H(Categorical) - log n! + sum_k E[log x_k!], each count x_k ~ Binomial(n, p_k)
        (its pmf summed over 1..n; the logits clamped as Binomial's)."""
        n = self.total_count
        counts = Tensor(np.arange(1, n + 1, dtype=self.probs.dtype).reshape(
            (n,) + (1,) * (len(self.batch_shape) + 1)))
        p = self.probs.clamp(min=finfo(self.probs.dtype).eps, max=1 - finfo(self.probs.dtype).eps)
        logits = p.log() - (-p).log1p()
        log_choose = math.lgamma(n + 1) - (counts + 1).lgamma() - (n - counts + 1).lgamma()
        log_pmf = log_choose + counts * logits - n * ((logits + logits.abs()) / 2
                                                       + (-logits.abs()).exp().log1p())
        expected = (log_pmf.exp() * (counts + 1).lgamma()).sum(0).sum(-1)
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected
