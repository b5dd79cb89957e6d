"""Normal, Uniform, Bernoulli, Categorical, MultivariateNormal and Independent, as in
`torch.distributions`: log_prob, entropy and rsample are Tensor-op compositions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import linalg, rng
from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import (
    Distribution,
    LocScale,
    ShapeLike,
    as_size,
    broadcast_all,
    standard_normal,
    standard_uniform,
)
from tinygrad_np.distributions.exp_family import ExponentialFamily
from tinygrad_np.functions import broadcast_tensors
from tinygrad_np.nn import functional as F
from tinygrad_np.sampling import multinomial
from tinygrad_np.tensor import Size, Tensor
from tinygrad_np.typeinfo import finfo

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class _Lazy:
    """An attribute computed on first read and then kept (probs from logits, or back)."""

    def __init__(self, compute: Any) -> None:
        self.compute, self.name = compute, compute.__name__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


def _exactly_one(name: str, probs: Any, logits: Any) -> None:
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both.")


def _clamped_probs(probs: Tensor) -> Tensor:
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def promoted(logits: Tensor, value: Tensor, name: str) -> tuple[Tensor, Tensor]:
    """The logits and a value in their promoted float dtype (a float64 value gives a float64
    log_prob, as PyTorch's binary_cross_entropy_with_logits); a bool value is PyTorch's
    RuntimeError."""
    if value.dtype.kind == "b":
        raise RuntimeError(f"{name}.log_prob: a bool value is not supported (PyTorch: "
                           "subtraction with two bool tensors); pass value.float()")
    dtype = np.result_type(logits.dtype, value.dtype) if value.dtype.kind == "f" else \
        logits.dtype
    return logits.to(dtype), value.to(dtype)


def _as_float_tensor(value: Any, name: str) -> Tensor:
    tensor = broadcast_all(value)[0]
    if tensor.ndim == 0 and name == "Categorical":
        raise ValueError("Categorical: `probs`/`logits` parameter must be at least "
                         "one-dimensional.")
    return tensor


# ----------------------------------------------------------------- Normal
class Normal(LocScale, ExponentialFamily):
    """N(loc, scale^2), elementwise over the broadcast shape of loc and scale."""

    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return self.loc / self.scale**2, -0.5 / self.scale**2

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return -0.25 * x**2 / y + 0.5 * (-math.pi / y).log()

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale**2

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """loc + scale * eps with eps ~ N(0, 1): d/dloc = 1, d/dscale = eps."""
        noise = standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + noise * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        return -((value - self.loc) ** 2) / (2 * self.scale**2) - self.scale.log() - _LOG_SQRT_2PI

    def entropy(self) -> Tensor:
        return 0.5 + _LOG_SQRT_2PI + self.scale.log()

    def cdf(self, value: Tensor) -> Tensor:
        value = self._value(value, "cdf")
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value: Tensor) -> Tensor:
        """loc + scale sqrt(2) erfinv(2p - 1)."""
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value,
                                                                          self.loc.dtype))
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)


# ----------------------------------------------------------------- Uniform
class Uniform(Distribution):
    """U[low, high), elementwise."""

    has_rsample = True

    def __init__(self, low: Tensor | float, high: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:  # type: ignore[override]
        """low < high and high > low, as PyTorch's (its validation error names the bound)."""
        return {"low": constraints.less_than(self.high),
                "high": constraints.greater_than(self.low)}

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        """NaN: every point of the interval is a mode (PyTorch's convention)."""
        return self.high * math.nan

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """low + u * (high - low) with u ~ U[0, 1)."""
        u = standard_uniform(self._extended_shape(sample_shape), self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        inside = ((self.low <= value) & (self.high > value)).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value: Tensor) -> Tensor:
        value = self._value(value, "cdf")
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value: Tensor) -> Tensor:
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()


# ----------------------------------------------------------------- Bernoulli
class _ProbsOrLogits(Distribution):
    """A family given `probs` in [0, 1] or `logits` (log-odds), each computed from the other
    on first read (Bernoulli, Geometric, Binomial, NegativeBinomial, ContinuousBernoulli...)."""

    def _set_param(self, name: str, probs: Any, logits: Any, *others: Any) -> tuple:
        _exactly_one(name, probs, logits)
        given = "probs" if probs is not None else "logits"
        values = broadcast_all(probs if probs is not None else logits, *others)
        setattr(self, given, values[0])
        self._param = values[0]
        return values[1:]

    @_Lazy
    def probs(self) -> Tensor:
        return self.logits.sigmoid()

    @_Lazy
    def logits(self) -> Tensor:
        p = _clamped_probs(self.probs)
        return p.log() - (-p).log1p()

    @property
    def param_shape(self) -> Size:
        return Size(self._param.shape)


class Bernoulli(_ProbsOrLogits, ExponentialFamily):
    """1 with probability `probs` (or sigmoid(`logits`)), else 0; samples are floats."""

    _mean_carrier_measure = 0

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.probs.logit(),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.exp().log1p()

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        self._set_param("Bernoulli", probs, logits)
        super().__init__(self._param.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where probs > 1/2, 0 below, NaN at exactly 1/2 (PyTorch's convention)."""
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, math.nan)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self.probs._data, shape)  # (PyTorch: bernoulli(probs.expand))
        if not np.all((p >= 0) & (p <= 1)):  # (PyTorch's check, also with validate_args=False)
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false "
                               "(Bernoulli.sample: every probability must lie in [0, 1], "
                               "not NaN)")
        return Tensor(rng.generator().bernoulli(p).astype(self._param.dtype))

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        logits, value = broadcast_tensors(*promoted(self.logits, value, type(self).__name__))
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = np.arange(2, dtype=self._param.dtype).reshape((2,) + (1,) * self.probs.ndim)
        values = Tensor(values)
        return values.expand((2, *self.batch_shape)) if expand else values


# ----------------------------------------------------------------- Categorical
class Categorical(Distribution):
    """An index 0..K-1 drawn with probability probs[..., k] (probs are normalised to sum to 1
    over the last dim; logits are normalised log-probabilities). Samples are int64."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        _exactly_one("Categorical", probs, logits)
        if probs is not None:
            probs = _as_float_tensor(probs, "Categorical")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            logits = _as_float_tensor(logits, "Categorical")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
        param = self.__dict__.get("probs", self.__dict__.get("logits"))
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self) -> Size:
        return Size((*self.batch_shape, self._num_events))

    @_Lazy
    def probs(self) -> Tensor:
        return self.logits.softmax(-1)

    @_Lazy
    def logits(self) -> Tensor:
        return _clamped_probs(self.probs).log()

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self.batch_shape, np.nan, dtype=self.probs.dtype))

    @property
    def variance(self) -> Tensor:
        return self.mean

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """PyTorch's draws: multinomial(probs as rows, n, replacement=True).T, reshaped."""
        count = math.prod(as_size(sample_shape))
        probs = self.probs._data.reshape(-1, self.probs.shape[-1])
        if count == 0:
            return Tensor(np.zeros(self._extended_shape(sample_shape), dtype=np.int64))
        picks = multinomial(Tensor(probs), count, True)._data.T
        return Tensor(np.ascontiguousarray(picks).reshape(self._extended_shape(sample_shape)))

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value)
        index = value.long().unsqueeze(-1)
        index, log_pmf = broadcast_tensors(index, self.logits)
        return log_pmf.gather(-1, index[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = Tensor(np.arange(self._num_events, dtype=np.int64)
                        .reshape((-1,) + (1,) * len(self.batch_shape)))
        return values.expand((self._num_events, *self.batch_shape)) if expand else values


# ----------------------------------------------------------------- MultivariateNormal
class MatrixForms:
    """A positive-definite matrix parameter's three forms (covariance, precision, lower
    Cholesky factor), each computed on first read from the one given (MultivariateNormal,
    Wishart). The methods read the factor as `_unbroadcasted_scale_tril` (PyTorch's private
    name, which custom KL rules read), so that only reading a form puts it in the repr, as
    PyTorch's."""

    @_Lazy
    def _unbroadcasted_scale_tril(self) -> Tensor:
        if "scale_tril" in self.__dict__:
            return self.__dict__["scale_tril"]
        if "covariance_matrix" in self.__dict__:
            return linalg.cholesky(self.__dict__["covariance_matrix"])
        return linalg.cholesky(linalg.inv(self.__dict__["precision_matrix"]))

    @_Lazy
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril

    @_Lazy
    def covariance_matrix(self) -> Tensor:
        return self._unbroadcasted_scale_tril @ self._unbroadcasted_scale_tril.mT

    @_Lazy
    def precision_matrix(self) -> Tensor:
        factor = self._unbroadcasted_scale_tril
        return linalg.inv(factor @ factor.mT)


class MultivariateNormal(MatrixForms, Distribution):
    """N(loc, Sigma) over the last dim, Sigma given by covariance_matrix, precision_matrix or
    scale_tril (its lower Cholesky factor L, Sigma = L L^T)."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        loc = broadcast_all(loc)[0]
        matrix = broadcast_all(given[0])[0]
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if matrix.ndim < 2:
            raise ValueError("scale_tril, covariance_matrix or precision_matrix must be at "
                             "least two-dimensional, with optional leading batch dimensions")
        if matrix.shape[-1] != loc.shape[-1] or matrix.shape[-2] != loc.shape[-1]:
            raise ValueError(f"MultivariateNormal: loc of shape {tuple(loc.shape)} and a matrix "
                             f"of shape {tuple(matrix.shape)} do not agree on the event size")
        batch = np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        d = loc.shape[-1]
        self.loc = loc.expand((*batch, d))
        matrix = matrix.expand((*batch, d, d))
        name = ("covariance_matrix" if covariance_matrix is not None else
                "precision_matrix" if precision_matrix is not None else "scale_tril")
        setattr(self, name, matrix)
        super().__init__(batch, (d,), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self._unbroadcasted_scale_tril**2).sum(-1)

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """loc + L eps with eps ~ N(0, I)."""
        noise = standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ noise.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        value = self._value(value).to(self.loc.dtype)  # the parameters' dtype, as PyTorch
        mahalanobis = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        d = self._event_shape[0]
        return -0.5 * (d * math.log(2 * math.pi) + mahalanobis) - self._half_log_det()


    def entropy(self) -> Tensor:
        d = self._event_shape[0]
        return 0.5 * d * (1.0 + math.log(2 * math.pi)) + self._half_log_det()


def _batch_mv(matrices: Tensor, vectors: Tensor) -> Tensor:
    """Matrix-vector products over broadcast batch dims (PyTorch's helper)."""
    return (matrices @ vectors.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(scale_tril: Tensor, x: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x = |L^-1 x|^2 over the last dim, batch dims broadcast (PyTorch's
    helper); only L's lower triangle is read."""
    d = x.shape[-1]
    shape = np.broadcast_shapes(tuple(x.shape[:-1]), tuple(scale_tril.shape[:-2]))
    tril = scale_tril.tril().expand((*shape, d, d))
    return (linalg.solve(tril, x.expand((*shape, d)).unsqueeze(-1)).squeeze(-1) ** 2).sum(-1)


# ----------------------------------------------------------------- Independent
class Independent(Distribution):
    """Reinterpret the last `reinterpreted_batch_ndims` batch dims of `base_distribution` as
    event dims: log_prob and entropy sum over them."""

    arg_constraints: dict[str, constraints.Constraint] = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        batch = base_distribution.batch_shape
        if not 0 <= reinterpreted_batch_ndims <= len(batch):
            raise ValueError(f"Expected reinterpreted_batch_ndims <= len(base_distribution."
                             f"batch_shape), actual {reinterpreted_batch_ndims} vs {len(batch)}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        cut = len(batch) - reinterpreted_batch_ndims
        super().__init__(batch[:cut], batch[cut:] + base_distribution.event_shape, validate_args)

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:  # type: ignore[override]
        """The base's, when no batch dim is reinterpreted (PyTorch's rule)."""
        return not self.reinterpreted_batch_ndims and self.base_dist.has_enumerate_support

    def enumerate_support(self, expand: bool = True) -> Tensor:
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    @property
    def support(self) -> constraints.Constraint | None:  # type: ignore[override]
        """The base's support with the reinterpreted dims as event dims."""
        support = self.base_dist.support
        n = self.reinterpreted_batch_ndims
        return constraints.independent(support, n) if n and support is not None else support

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def _sum_rightmost(self, value: Tensor) -> Tensor:
        n = self.reinterpreted_batch_ndims
        return value.sum(tuple(range(-n, 0))) if n else value

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return self.base_dist.sample(as_size(sample_shape))

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        return self.base_dist.rsample(as_size(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        return self._sum_rightmost(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum_rightmost(self.base_dist.entropy())

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
