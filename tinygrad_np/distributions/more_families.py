"""More of `torch.distributions`: StudentT, Chi2, FisherSnedecor, VonMises,
ContinuousBernoulli, Geometric, Binomial, NegativeBinomial, LowRankMultivariateNormal,
OneHotCategoricalStraightThrough, and the families PyTorch builds as a
TransformedDistribution (Gumbel, HalfCauchy, Pareto, Weibull, InverseGamma, Kumaraswamy,
LogisticNormal, RelaxedBernoulli, RelaxedOneHotCategorical), built the same way here.

log_prob, entropy, mean, variance, cdf and icdf are compositions of Tensor ops, so their
gradients reach the parameters. Draws come from the library's generator (`tg.manual_seed`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import linalg, rng, special, xp
from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import (
    Distribution,
    ShapeLike,
    broadcast_all,
    standard_normal,
    standard_uniform,
)
from tinygrad_np.distributions.exp_family import ExponentialFamily
from tinygrad_np.distributions.families import (
    Categorical,
    Normal,
    Uniform,
    _clamped_probs,
    _Lazy,
    _ProbsOrLogits,
    promoted,
)
from tinygrad_np.distributions.gamma_family import (
    Exponential,
    Gamma,
    _draw,
    standard_gamma,
    zeros_like,
)
from tinygrad_np.distributions.mixture import Cauchy, OneHotCategorical
from tinygrad_np.distributions.more_transforms import (
    AbsTransform,
    PowerTransform,
    StickBreakingTransform,
)
from tinygrad_np.distributions.transforms import (
    AffineTransform,
    ExpTransform,
    SigmoidTransform,
    TransformedDistribution,
)
from tinygrad_np.function import no_grad
from tinygrad_np.functions import broadcast_tensors
from tinygrad_np.nn import functional as F
from tinygrad_np.tensor import Tensor
from tinygrad_np.typeinfo import finfo

EULER = 0.57721566490153286060651209


def _full(shape: Any, value: float, like: Tensor) -> Tensor:
    return Tensor(np.full(tuple(shape), value, dtype=like.dtype))


def _softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), with max(x, 0) as (x + |x|) / 2 so
    the gradient at 0 is 1/2."""
    return (x + x.abs()) / 2 + (-x.abs()).exp().log1p()


def _as_tensor(value: Any, like: Tensor) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=like.dtype))



def _log_bessel_i0(k: Tensor) -> Tensor:
    """log I0(k) = k + log(exp(-k) I0(k)) for k >= 0 (the scaled function never overflows)."""
    return k + special.i0e(k).log()


def _bessel_ratio(k: Tensor) -> Tensor:
    """I1(k) / I0(k) for k >= 0, as the ratio of the scaled functions."""
    return special.i1e(k) / special.i0e(k)

# ----------------------------------------------------------------- StudentT, Chi2, F
class Chi2(Gamma):
    """Chi-squared with `df` degrees of freedom: Gamma(df / 2, 1 / 2)."""

    _repr_hidden = ("df",)  # properties in PyTorch (repr)
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Tensor | float, validate_args: bool | None = None) -> None:
        (self.df,) = broadcast_all(df)
        super().__init__(0.5 * self.df, 0.5, validate_args)


class StudentT(Distribution):
    """p(x) = Gamma((v+1)/2) / (Gamma(v/2) sqrt(v pi) s) (1 + y^2/v)^(-(v+1)/2), y = (x-loc)/s.

    rsample, loc + scale Z sqrt(v / C) with Z ~ N(0, 1) and C ~ Chi2(v), carries gradients
    to loc, scale and (through C's implicit reparameterisation) df."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Tensor | float, loc: Tensor | float = 0.0,
                 scale: Tensor | float = 1.0, validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc.masked_fill(self.df <= 1, math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """s^2 v / (v - 2) for v > 2, inf for 1 < v <= 2, NaN for v <= 1."""
        df = self.df.where(self.df > 2, 3.0)
        finite = self.scale**2 * df / (df - 2)
        return finite.where(self.df > 2, math.inf).masked_fill(self.df <= 1, math.nan)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        z = standard_normal(shape, self.df.dtype)  # (PyTorch's order: the normals first)
        chi2 = standard_gamma(0.5 * self.df, shape) / 0.5  # C ~ Chi2(df), as Chi2.rsample
        chi2 = chi2.clamp(min=float(np.finfo(chi2.dtype).tiny))
        return self.loc + self.scale * (z * (chi2 / self.df).rsqrt())

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        v = self.df
        y = (value - self.loc) / self.scale
        log_norm = (self.scale.log() + 0.5 * v.log() + 0.5 * math.log(math.pi)
                    + (0.5 * v).lgamma() - (0.5 * (v + 1)).lgamma())
        return -0.5 * (v + 1) * (y**2 / v).log1p() - log_norm

    def entropy(self) -> Tensor:
        v = self.df
        log_beta = (0.5 * v).lgamma() + math.lgamma(0.5) - (0.5 * (v + 1)).lgamma()
        return (self.scale.log() + 0.5 * (v + 1) * ((0.5 * (v + 1)).digamma()
                                                    - (0.5 * v).digamma())
                + 0.5 * v.log() + log_beta)


class FisherSnedecor(Distribution):
    """F(d1, d2), the ratio (X1 / d1) / (X2 / d2) of chi-squared variables: log p(x) =
    -log B(d1/2, d2/2) + (d1/2) log(d1/d2) + (d1/2 - 1) log x - (d1+d2)/2 log(1 + x d1/d2)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Tensor | float, df2: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        super().__init__(self.df1.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        df2 = self.df2.where(self.df2 > 2, math.nan)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return mode.masked_fill(self.df1 <= 2, math.nan)

    @property
    def variance(self) -> Tensor:
        d1, d2 = self.df1, self.df2.where(self.df2 > 4, math.nan)
        return 2 * d2**2 * (d1 + d2 - 2) / (d1 * (d2 - 2) ** 2 * (d2 - 4))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """(C1 / d1) / (C2 / d2), C_i ~ Chi2(d_i) = 2 Gamma(d_i / 2, 1): differentiable in
        both (implicit reparameterisation)."""
        shape = tuple(self._extended_shape(sample_shape))
        tiny = float(np.finfo(self.df1.dtype).tiny)
        x1 = standard_gamma(0.5 * self.df1, shape) / (0.5 * self.df1)
        x2 = (standard_gamma(0.5 * self.df2, shape) / (0.5 * self.df2)).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        half1, half2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        log_norm = (half1 + half2).lgamma() - half1.lgamma() - half2.lgamma()
        return (log_norm + half1 * ratio.log() + (half1 - 1) * value.log()
                - (half1 + half2) * (ratio * value).log1p())


# ----------------------------------------------------------------- VonMises
class VonMises(Distribution):
    """The circular normal: p(x) = exp(k cos(x - loc)) / (2 pi I0(k)); mean and variance are
    the circular ones (loc, and 1 - I1(k)/I0(k)). Samples (Best and Fisher's rejection
    sampler) lie in [-pi, pi)."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Tensor | float, concentration: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 1 - _bessel_ratio(self.concentration)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - _log_bessel_i0(self.concentration))

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        kappa = np.broadcast_to(self.concentration._data.astype(np.float64), shape)
        loc = np.broadcast_to(self.loc._data.astype(np.float64), shape)
        tau = 1 + np.sqrt(1 + 4 * kappa**2)
        rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho**2) / (2 * rho))
        angle, todo, generator = np.zeros(shape), np.ones(shape, bool), rng.generator()
        while todo.any():
            u1, u2, u3 = generator.random((3, *shape))
            z = np.cos(math.pi * u1)
            f = (1 + r * z) / (r + z)
            c = kappa * (r - f)
            with np.errstate(divide="ignore", invalid="ignore"):
                accept = todo & ((c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0))
            angle = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1, 1)), angle)
            todo &= ~accept
        return _draw(np.mod(angle + loc + math.pi, 2 * math.pi) - math.pi, self.loc)


# ----------------------------------------------------------------- ContinuousBernoulli
class ContinuousBernoulli(_ProbsOrLogits, ExponentialFamily):
    """p(x | l) = C(l) l^x (1 - l)^(1-x) on [0, 1], C(l) = 2 atanh(1 - 2l) / (1 - 2l) (2 at
    l = 1/2). Inside `lims` around 1/2 the unstable closed forms are replaced by their Taylor
    expansions, as PyTorch."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 lims: tuple[float, float] = (0.499, 0.501),
                 validate_args: bool | None = None) -> None:
        self._set_param("ContinuousBernoulli", probs, logits)
        self._lims = lims
        super().__init__(self._param.shape, (), validate_args)
        if probs is not None:  # clamped after validation, as PyTorch
            self.probs = self._param = _clamped_probs(self.probs)

    @_Lazy
    def probs(self) -> Tensor:
        return _clamped_probs(self.logits.sigmoid())

    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        """log((e^x - 1) / x), or its Taylor expansion for x within `lims` - 1/2 of 0."""
        stable = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = x.where(stable, self._lims[0] - 0.5)
        exact = cut.expm1().abs().log() - cut.abs().log()
        return exact.where(stable, 0.5 * x + x**2 / 24 - x**4 / 2880)

    def _stable(self) -> Tensor:
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return self.probs.where(self._stable(), self._lims[0])

    def _log_norm(self) -> Tensor:
        """log C(l) = log |log(1 - l) - log l| - log |1 - 2l|, or log 2 + 4x/3 + 104x^2/45
        with x = (l - 1/2)^2 near 1/2."""
        p = self._cut_probs()
        exact = ((-p).log1p() - p.log()).abs().log() - (1 - 2 * p).abs().log()
        x = (self.probs - 0.5) ** 2
        return exact.where(self._stable(), math.log(2.0) + (4 / 3 + 104 / 45 * x) * x)

    @property
    def mean(self) -> Tensor:
        p = self._cut_probs()
        exact = p / (2 * p - 1) + 1 / ((-p).log1p() - p.log())
        x = self.probs - 0.5
        return exact.where(self._stable(), 0.5 + (1 / 3 + 16 / 45 * x**2) * x)

    @property
    def variance(self) -> Tensor:
        p = self._cut_probs()
        exact = p * (p - 1) / (1 - 2 * p) ** 2 + 1 / ((-p).log1p() - p.log()) ** 2
        x = (self.probs - 0.5) ** 2
        return exact.where(self._stable(), 1 / 12 - (1 / 15 - 128 / 945 * x) * x)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        logits, value = broadcast_tensors(*promoted(self.logits, value, "ContinuousBernoulli"))
        bce = F.binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._log_norm()

    @xp.quiet  # (x = +-inf: 0 * inf inside, replaced by 0 or 1; NaN stays NaN, as PyTorch)
    def cdf(self, value: Tensor) -> Tensor:
        """(l^x (1 - l)^(1-x) + l - 1) / (2l - 1), x itself near l = 1/2; 0 / 1 outside."""
        value = self._value(value, "cdf")
        p = self._cut_probs()
        exact = (p**value * (1 - p) ** (1 - value) + p - 1) / (2 * p - 1)
        inside = exact.where(self._stable(), value)
        return inside.where((value >= 1).logical_not(), 1.0).where(
            (value <= 0).logical_not(), 0.0)

    def icdf(self, value: Tensor) -> Tensor:
        """(log1p(-l + u (2l - 1)) - log1p(-l)) / (log l - log1p(-l))."""
        value = _as_tensor(value, self._param)
        p = self._cut_probs()
        exact = ((-p + value * (2 * p - 1)).log1p() - (-p).log1p()) / (p.log() - (-p).log1p())
        return exact.where(self._stable(), value)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return self.icdf(standard_uniform(self._extended_shape(sample_shape), self.probs.dtype))

    def entropy(self) -> Tensor:
        log_p0, log_p1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_p0 - log_p1) - self._log_norm() - log_p0


# ----------------------------------------------------------------- counts
class Geometric(_ProbsOrLogits):
    """The failures before the first success: p(k) = (1 - p)^k p, k = 0, 1, 2, ..."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        self._set_param("Geometric", probs, logits)
        super().__init__(self._param.shape, (), validate_args)
        if self._validate_args and probs is not None and not np.all(self.probs._data > 0):
            raise ValueError(f"Expected parameter probs (Tensor of shape "
                             f"{tuple(self.probs.shape)}) of distribution {self!r} to be "
                             f"positive but found invalid values:\n{self.probs}")

    @property
    def mean(self) -> Tensor:
        return 1 / self.probs - 1

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1 / self.probs - 1) / self.probs

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        dtype = self.probs.dtype  # (PyTorch's: uniform_(tiny, 1) in the dtype of probs)
        u = rng.uniform(rng.generator(), np.finfo(dtype).tiny, 1.0, shape, dtype)
        with np.errstate(divide="ignore"):
            draws = np.floor(np.log(u) / np.log1p(-self.probs._data))
        return _draw(draws, self._param)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        p = self.probs
        certain = (p == 1) & (value == 0)  # 0 failures at p = 1: 0 log 0 = 0, no NaN gradient
        return value * (-p.where(~certain, 0.0)).log1p() + p.log()

    def entropy(self) -> Tensor:
        bce = F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs


class Binomial(_ProbsOrLogits):
    """Successes in `total_count` trials: log p(k) = log C(n, k) + k logit - n softplus(logit)."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Tensor | int = 1, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        (total,) = self._set_param("Binomial", probs, logits, total_count)
        self.total_count = total.to(self._param.dtype)
        super().__init__(self._param.shape, (), validate_args)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().minimum(self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        dtype = self._param._data.dtype  # (PyTorch's torch.binomial of the expanded parameters)
        n = np.broadcast_to(self.total_count._data.astype(dtype), shape)
        p = np.broadcast_to(self.probs._data.astype(dtype), shape)
        return _draw(rng.generator().binomial(n, p, dtype=dtype), self._param)

    @xp.quiet  # (a value of +-inf: inf - inf is NaN, silently as PyTorch)
    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        n, logits = self.total_count, self.logits
        log_choose = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        return log_choose + value * logits - n * _softplus(logits)

    def _homogeneous_count(self, what: str) -> int:
        counts = self.total_count._data
        if counts.size and counts.min() != counts.max():
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return int(counts.max()) if counts.size else 0

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self._homogeneous_count("enumerate_support")
        values = Tensor(np.arange(n + 1, dtype=self._param.dtype).reshape(
            (-1,) + (1,) * len(self.batch_shape)))
        return values.expand((n + 1, *self.batch_shape)) if expand else values

    def entropy(self) -> Tensor:
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)


class NegativeBinomial(_ProbsOrLogits):
    """Successes before the `total_count`-th failure (success probability `probs`):
    log p(k) = log Gamma(n+k) - log Gamma(n) - log k! + n log(1-p) + k log p."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count: Tensor | float, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        (total,) = self._set_param("NegativeBinomial", probs, logits, total_count)
        self.total_count = total.to(self._param.dtype)
        super().__init__(self._param.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """A Poisson draw whose rate is Gamma(n, odds) (the gamma-Poisson mixture), drawn as
        PyTorch's: the gamma in the parameters' dtype, then the counts."""
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            rate = standard_gamma(self.total_count, shape) / (-self.logits).exp()
            rate = rate.clamp(min=float(np.finfo(rate.dtype).tiny))
        return _draw(rng.generator().poisson(rate._data), self._param)

    @xp.quiet  # (a value of +-inf: inf - inf is NaN, silently as PyTorch)
    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        n = self.total_count
        unnormalised = n * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        empty = n + value == 0  # (n = k = 0: probability 1; lgamma(0) kept out, no inf - inf)
        log_norm = (-(n + value).masked_fill(empty, 1.0).lgamma() + (1 + value).lgamma()
                    + n.masked_fill(empty, 1.0).lgamma())
        return unnormalised - log_norm


# ----------------------------------------------------------------- LowRankMultivariateNormal
class LowRankMultivariateNormal(Distribution):
    """N(loc, W W^T + diag(D)) with W = cov_factor (d x m) and D = cov_diag: log_prob and
    entropy use the m x m capacitance C = I + W^T D^-1 W (Woodbury and the determinant
    lemma: log |Sigma| = log |C| + sum log D)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, cov_factor: Tensor, cov_diag: Tensor,
                 validate_args: bool | None = None) -> None:
        loc, cov_factor, cov_diag = (broadcast_all(t)[0] for t in (loc, cov_factor, cov_diag))
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        d = loc.shape[-1]
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if cov_factor.shape[-2] != d:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {d} x m")
        if tuple(cov_diag.shape[-1:]) != (d,):
            raise ValueError(f"cov_diag must be a batch of vectors with shape ({d},)")
        if np.result_type(cov_factor.dtype, cov_diag.dtype) != cov_factor.dtype:
            # PyTorch's capacitance product (W^T / D) @ W then mixes dtypes in a matmul
            raise RuntimeError(f"LowRankMultivariateNormal: expected m1 and m2 to have the "
                               f"same dtype, but got: cov_diag {cov_diag.dtype.name} is wider than "
                               f"cov_factor {cov_factor.dtype.name}")
        m = cov_factor.shape[-1]
        try:
            batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                        tuple(cov_diag.shape[:-1]))
        except ValueError:
            raise ValueError(f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}"
                             ) from None
        self.loc, self.cov_diag = loc.expand((*batch, d)), cov_diag.expand((*batch, d))
        self.cov_factor = cov_factor.expand((*batch, d, m))
        super().__init__(batch, (d,), validate_args)

    @property
    def _capacitance_tril(self) -> Tensor:
        w, diag = self.cov_factor, self.cov_diag
        m = w.shape[-1]
        eye = Tensor(np.eye(m, dtype=w.dtype))
        return linalg.cholesky(eye + (w.mT / diag.unsqueeze(-2)) @ w)

    def _log_det(self) -> Tensor:
        tril = self._capacitance_tril
        return 2 * tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + self.cov_diag.log().sum(-1)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self.cov_factor**2).sum(-1) + self.cov_diag

    @property
    def covariance_matrix(self) -> Tensor:
        return self.cov_factor @ self.cov_factor.mT + self.cov_diag.diag_embed()

    @property
    def precision_matrix(self) -> Tensor:
        return linalg.inv(self.covariance_matrix)

    @property
    def scale_tril(self) -> Tensor:
        return linalg.cholesky(self.covariance_matrix)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """loc + W eps_m + sqrt(D) eps_d."""
        shape = tuple(self._extended_shape(sample_shape))
        eps_w = standard_normal((*shape[:-1], self.cov_factor.shape[-1]), self.loc.dtype)
        eps_d = standard_normal(shape, self.loc.dtype)
        return (self.loc + (self.cov_factor @ eps_w.unsqueeze(-1)).squeeze(-1)
                + self.cov_diag.sqrt() * eps_d)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        diff = value - self.loc
        shape = tuple(diff.shape[:-1])
        d, m = self.cov_factor.shape[-2:]
        w_over_d = (self.cov_factor.mT / self.cov_diag.unsqueeze(-2)).expand((*shape, m, d))
        projected = (w_over_d @ diff.unsqueeze(-1))  # W^T D^-1 x, (..., m, 1)
        tril = self._capacitance_tril.expand((*shape, m, m))
        whitened = linalg.solve_triangular(tril, projected, upper=False)
        mahalanobis = (diff**2 / self.cov_diag).sum(-1) - (whitened**2).sum((-2, -1))
        return -0.5 * (d * math.log(2 * math.pi) + self._log_det() + mahalanobis)

    def entropy(self) -> Tensor:
        d = self._event_shape[0]
        return 0.5 * (d * (1.0 + math.log(2 * math.pi)) + self._log_det())


# ----------------------------------------------------------------- straight-through
class OneHotCategoricalStraightThrough(OneHotCategorical):
    """OneHotCategorical whose rsample is the one-hot draw in the forward pass and passes the
    gradient to probs (draw + probs - probs.detach())."""

    has_rsample = True

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        draws = self.sample(sample_shape)
        probs = self._categorical.probs
        return draws + (probs - probs.detach())


# ----------------------------------------------------------------- relaxed (Concrete)
class LogitRelaxedBernoulli(_ProbsOrLogits):
    """The logit of a RelaxedBernoulli draw: (logit(u) + logits) / temperature, u ~ U(0, 1)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature: Tensor | float, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        self._set_param("LogitRelaxedBernoulli", probs, logits)
        self.temperature = _as_tensor(temperature, self._param)
        super().__init__(self._param.shape, (), validate_args)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = _clamped_probs(self.probs.expand(shape))
        u = _clamped_probs(standard_uniform(shape, probs.dtype))
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * _softplus(diff)


class _Relaxed(TransformedDistribution):
    """A relaxation: `_transform` of a `_base` draw, with the base's parameters."""

    has_rsample = True
    _base: type
    _transform: type

    def __init__(self, temperature: Tensor | float, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        super().__init__(self._base(temperature, probs, logits, validate_args),
                         self._transform(), validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    probs = property(lambda self: self.base_dist.probs)
    logits = property(lambda self: self.base_dist.logits)


class RelaxedBernoulli(_Relaxed):
    """The Concrete relaxation of Bernoulli on (0, 1): sigmoid of a LogitRelaxedBernoulli."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _base, _transform = LogitRelaxedBernoulli, SigmoidTransform


class ExpRelaxedCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical draw: log_softmax((logits + Gumbel noise) / t)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature: Tensor | float, probs: Tensor | None = None,
                 logits: Tensor | None = None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        self.temperature = _as_tensor(temperature, self._categorical.logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        u = _clamped_probs(standard_uniform(self._extended_shape(sample_shape),
                                            self.logits.dtype))
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        """log (K-1)! + (K-1) log t + sum_k (score_k - logsumexp score), score = logits - t x."""
        value = self._value(value)
        k = self.event_shape[0]
        score = self.logits - value * self.temperature
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + math.lgamma(k) + (k - 1) * self.temperature.log()


class RelaxedOneHotCategorical(_Relaxed):
    """The Concrete / Gumbel-softmax relaxation of OneHotCategorical on the simplex."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    _base, _transform = ExpRelaxedCategorical, ExpTransform


# ----------------------------------------------------------------- transformed families
class Gumbel(TransformedDistribution):
    """p(x) = exp(-(z + exp(-z))) / scale, z = (x - loc) / scale: loc - scale log(-log u)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        info = finfo(self.loc.dtype)
        base = Uniform(_full(self.loc.shape, info.tiny, self.loc),
                       _full(self.loc.shape, 1 - info.eps, self.loc), validate_args)
        transforms = [ExpTransform().inv, AffineTransform(0, -1.0), ExpTransform().inv,
                      AffineTransform(self.loc, -self.scale)]
        super().__init__(base, transforms, validate_args)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return math.pi / math.sqrt(6) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev**2

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER)


class HalfCauchy(TransformedDistribution):
    """|X| with X ~ Cauchy(0, scale): p(x) = 2 / (pi scale (1 + (x/scale)^2)), x >= 0."""

    _repr_hidden = ("scale",)  # properties in PyTorch (repr)
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Tensor | float, validate_args: bool | None = None) -> None:
        (self.scale,) = broadcast_all(scale)
        super().__init__(Cauchy(0.0, self.scale, validate_args=False), AbsTransform(),
                         validate_args)

    @property
    def mean(self) -> Tensor:
        return _full(self._extended_shape(), math.inf, self.scale)

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def log_prob(self, value: Tensor) -> Tensor:
        value = _as_tensor(self._value(value), self.scale).to(self.scale.dtype)  # as PyTorch
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return log_prob.where(value >= 0, -math.inf)

    def cdf(self, value: Tensor) -> Tensor:
        return 2 * self.base_dist.cdf(self._value(value, "cdf")) - 1

    def icdf(self, value: Tensor) -> Tensor:
        """scale tan(pi p / 2)."""
        return self.scale * (math.pi / 2 * _as_tensor(value, self.scale)).tan()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class Pareto(TransformedDistribution):
    """p(x) = alpha scale^alpha / x^(alpha+1), x >= scale: scale exp(E), E ~ Exp(alpha)."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale: Tensor | float, alpha: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        super().__init__(Exponential(self.alpha, validate_args),
                         [ExpTransform(), AffineTransform(0, self.scale)], validate_args)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)
        return self.scale**2 * a / ((a - 1) ** 2 * (a - 2))

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + 1 / self.alpha)


class Weibull(TransformedDistribution):
    """p(x) = (k/s) (x/s)^(k-1) exp(-(x/s)^k): s E^(1/k), E ~ Exp(1)."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale: Tensor | float, concentration: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = 1 / self.concentration
        base = Exponential(_full(self.scale.shape, 1.0, self.scale), validate_args)
        super().__init__(base, [PowerTransform(self.concentration_reciprocal),
                                AffineTransform(0, self.scale)], validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self) -> Tensor:
        k = self.concentration
        return self.scale * ((k - 1) / k) ** (1 / k)

    @property
    def variance(self) -> Tensor:
        inv = self.concentration_reciprocal
        return self.scale**2 * ((1 + 2 * inv).lgamma().exp() - (2 * (1 + inv).lgamma()).exp())

    def entropy(self) -> Tensor:
        inv = self.concentration_reciprocal
        return EULER * (1 - inv) + (self.scale * inv).log() + 1


class InverseGamma(TransformedDistribution):
    """1 / X with X ~ Gamma(concentration, rate): p(x) = b^a x^(-a-1) exp(-b/x) / Gamma(a)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive

    def __init__(self, concentration: Tensor | float, rate: Tensor | float,
                 validate_args: bool | None = None) -> None:
        base = Gamma(concentration, rate, validate_args)
        super().__init__(base, PowerTransform(_full((), -1.0, base.rate)), validate_args)

    concentration = property(lambda self: self.base_dist.concentration)
    rate = property(lambda self: self.base_dist.rate)

    @property
    def mean(self) -> Tensor:
        a = self.concentration
        return (self.rate / (a - 1)).where(a > 1, math.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        a = self.concentration
        return (self.rate**2 / ((a - 1) ** 2 * (a - 2))).where(a > 2, math.inf)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a + self.rate.log() + a.lgamma() - (1 + a) * a.digamma()


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X^n] = b B(1 + n/a, b)."""
    shifted = 1 + n / a
    return b * (shifted.lgamma() + b.lgamma() - (shifted + b).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    """p(x) = a b x^(a-1) (1 - x^a)^(b-1) on (0, 1): (1 - u^(1/b))^(1/a), u ~ U(0, 1)."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Tensor | float, concentration0: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        like = self.concentration0
        base = Uniform(_full(like.shape, 0.0, like), _full(like.shape, 1.0, like),
                       validate_args)
        transforms = [PowerTransform(1 / self.concentration0), AffineTransform(1.0, -1.0),
                      PowerTransform(1 / self.concentration1)]
        super().__init__(base, transforms, validate_args)

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        """((a - 1) / (a b - 1))^(1/a) for a, b >= 1, else NaN."""
        a, b = self.concentration1, self.concentration0
        mode = ((a - 1) / (a * b - 1)) ** (1 / a)
        return mode.masked_fill((a < 1) | (b < 1), math.nan)

    @property
    def variance(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        return _kumaraswamy_moment(a, b, 2) - self.mean**2

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        harmonic = (b + 1).digamma() + EULER
        return (1 - 1 / b) + (1 - 1 / a) * harmonic - a.log() - b.log()


class LogisticNormal(TransformedDistribution):
    """Stick-breaking of a Normal(loc, scale) vector onto the simplex (one more entry than
    loc's last dim)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args)
        if not base.batch_shape:
            base = base.expand((1,))  # type: ignore[assignment]
        super().__init__(base, StickBreakingTransform(), validate_args)

    loc = property(lambda self: self.base_dist.loc)
    scale = property(lambda self: self.base_dist.scale)


__all__ = ["Binomial", "Chi2", "ContinuousBernoulli", "ExpRelaxedCategorical",
           "FisherSnedecor", "Geometric", "Gumbel", "HalfCauchy", "InverseGamma",
           "Kumaraswamy", "LogisticNormal", "LogitRelaxedBernoulli", "LowRankMultivariateNormal",
           "NegativeBinomial", "OneHotCategoricalStraightThrough", "Pareto", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "StudentT", "VonMises", "Weibull"]
