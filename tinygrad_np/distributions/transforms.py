"""Bijections and the distributions they make: torch.distributions.transforms and
TransformedDistribution (a squashed Gaussian policy is `TransformedDistribution(Normal(mu,
sigma), [TanhTransform(cache_size=1)])`).

A transform maps x to y = t(x), inverts with `t.inv(y)`, and gives log |dy/dx| elementwise
(`log_abs_det_jacobian(x, y)`); all are compositions of Tensor ops, so gradients (and
rsample's reparameterisation) come from the engine.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.distribution import Distribution, ShapeLike
from tinygrad_np.function import no_grad
from tinygrad_np.tensor import Tensor


class Transform:
    """y = self(x), x = self.inv(y), log |dy/dx| = self.log_abs_det_jacobian(x, y).

    `t.inv` is itself a Transform (the inverse), so `t.inv(y)` inverts and `t.inv` can go in
    a list of transforms, as PyTorch's. `cache_size=1` remembers the last (x, y): inverting
    that y returns that x exactly (a tanh-squashed sample's log_prob without atanh(+-1) =
    inf), as PyTorch's cache. `domain` and `codomain` are the constraints x and y satisfy;
    `input_event_dim` / `output_event_dim` how many trailing dims one x / one y spans (both
    `event_dim` unless the transform reshapes)."""

    sign = 1
    bijective = True
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError(f"{type(self).__name__}: cache_size must be 0 or 1, got "
                             f"{cache_size}")
        self._cache_size, self._cached = cache_size, None

    def __call__(self, x: Tensor) -> Tensor:
        if self._cached is not None and self._cached[0] is x:
            return self._cached[1]
        y = self._call(x)
        if self._cache_size:
            self._cached = (x, y)
        return y

    @property
    def event_dim(self) -> int:
        """How many trailing dims one x spans: as set, else the domain's (PyTorch's rule, so
        a subclass with `domain = constraints.real_vector` acts on vectors)."""
        own = self.__dict__.get("_event_dim")
        return self.domain.event_dim if own is None else own

    @event_dim.setter
    def event_dim(self, value: int) -> None:
        self.__dict__["_event_dim"] = value

    @property
    def input_event_dim(self) -> int:
        return self.event_dim

    @property
    def output_event_dim(self) -> int:
        return self.event_dim

    @property
    def inv(self) -> Transform:
        """The inverse transform: `t.inv(y)` is the x with t(x) = y."""
        return _InverseTransform(self)

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of y for an x of `shape` (the same unless the transform reshapes)."""
        return tuple(shape)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of x for a y of `shape`."""
        return tuple(shape)

    def _inv_call(self, y: Tensor) -> Tensor:
        """The x with self(x) = y (through the cache)."""
        if self._cached is not None and self._cached[1] is y:
            return self._cached[0]
        x = self._inverse(y)
        if self._cache_size:
            self._cached = (x, y)
        return x

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define _call")

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define _inverse")

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define log_abs_det_jacobian")

    def with_cache(self, cache_size: int = 1) -> Transform:
        """This transform with `cache_size` (itself when it already has it)."""
        if cache_size == self._cache_size:
            return self
        if cache_size not in (0, 1):
            raise ValueError(f"{type(self).__name__}.with_cache: cache_size must be 0 or 1, "
                             f"got {cache_size}")
        new = copy.copy(self)
        new._cache_size, new._cached = cache_size, None
        return new

    def __eq__(self, other: object) -> bool:
        """The same kind of transform with equal parameters (tensors compared by value), as
        PyTorch's (`ExpTransform() == ExpTransform()`, `AffineTransform(0., 1.)` twice); a
        user's own subclass of Transform itself is only equal to itself, as in PyTorch."""
        mro = type(self).__mro__
        if not any(cls.__module__.startswith("tinygrad_np.")
                   for cls in mro[:mro.index(Transform)]):
            return self is other
        if type(other) is not type(self):
            return False
        mine, theirs = _parameters(self), _parameters(other)  # type: ignore[arg-type]
        return mine.keys() == theirs.keys() and all(_same(mine[k], theirs[k]) for k in mine)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _parameters(transform: Transform) -> dict[str, Any]:
    return {k: v for k, v in vars(transform).items()
            if k not in ("_cache_size", "_cached", "_inverse_compose")}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a_data = a._data if isinstance(a, Tensor) else np.asarray(a)
        b_data = b._data if isinstance(b, Tensor) else np.asarray(b)
        return a_data.shape == b_data.shape and bool(np.all(a_data == b_data))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


class _InverseTransform(Transform):
    """t.inv: x = t^-1(y), log |dx/dy| = -log |dy/dx| at (x, y); its own inverse is t."""

    def __init__(self, transform: Transform) -> None:
        super().__init__(0)
        self._inverse_of = transform

    event_dim = property(lambda self: self._inverse_of.event_dim)  # type: ignore[assignment]
    sign = property(lambda self: self._inverse_of.sign)  # type: ignore[assignment]
    bijective = property(lambda self: self._inverse_of.bijective)  # type: ignore[assignment]
    domain = property(lambda self: self._inverse_of.codomain)  # type: ignore[assignment]
    codomain = property(lambda self: self._inverse_of.domain)  # type: ignore[assignment]

    @property
    def input_event_dim(self) -> int:
        return self._inverse_of.output_event_dim

    @property
    def output_event_dim(self) -> int:
        return self._inverse_of.input_event_dim

    @property
    def inv(self) -> Transform:
        return self._inverse_of

    def __call__(self, y: Tensor) -> Tensor:
        return self._inverse_of._inv_call(y)

    def _inv_call(self, x: Tensor) -> Tensor:
        return self._inverse_of(x)

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._inverse_of.inverse_shape(shape)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._inverse_of.forward_shape(shape)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -self._inverse_of.log_abs_det_jacobian(y, x)

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._inverse_of.with_cache(cache_size).inv

    def __repr__(self) -> str:
        return f"_InverseTransform({self._inverse_of!r})"  # PyTorch's


class ExpTransform(Transform):
    """y = exp(x);  log |dy/dx| = x."""

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class SigmoidTransform(Transform):
    """y = sigmoid(x);  log |dy/dx| = -softplus(-x) - softplus(x)."""

    codomain = constraints.unit_interval

    def _call(self, x: Tensor) -> Tensor:
        return _clip_unit(x.sigmoid())

    def _inverse(self, y: Tensor) -> Tensor:
        y = _clip_unit(y)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -(-x).softplus() - x.softplus()


def _clip_unit(y: Tensor) -> Tensor:
    """y kept inside (0, 1) by the dtype's tiny and eps, as PyTorch's sigmoid transform."""
    info = np.finfo(y.dtype)
    return y.clamp(float(info.tiny), float(1 - info.eps))


class TanhTransform(Transform):
    """y = tanh(x);  log |dy/dx| = 2 (log 2 - x - softplus(-2x)), stable for any x."""

    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.atanh()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return 2.0 * (math.log(2.0) - x - (-2.0 * x).softplus())


def _broadcast_params(shape: tuple[int, ...], *params: Any) -> tuple[int, ...]:
    """`shape` broadcast with the shapes of a transform's tensor parameters."""
    return tuple(np.broadcast_shapes(tuple(shape), *(tuple(getattr(p, "shape", ()))
                                                     for p in params)))


class AffineTransform(Transform):
    """y = loc + scale x;  log |dy/dx| = log |scale| (over `event_dim` trailing axes summed)."""

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.loc, self.scale, self.event_dim = loc, scale, event_dim

    @property
    def sign(self) -> Any:  # type: ignore[override]
        if isinstance(self.scale, Tensor):
            return self.scale.sign()
        return 1 if self.scale > 0 else -1 if self.scale < 0 else 0  # an int, as PyTorch

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        """Real numbers, as vectors (matrices, ...) when event_dim > 0, as PyTorch's."""
        if self.event_dim == 0:
            return constraints.real
        return constraints.independent(constraints.real, self.event_dim)

    codomain = domain  # type: ignore[assignment]

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """x's shape broadcast with loc's and scale's (PyTorch's)."""
        return _broadcast_params(shape, self.loc, self.scale)

    inverse_shape = forward_shape

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        if isinstance(self.scale, Tensor):
            log_scale = self.scale.abs().log().expand(x.shape)
        else:
            log_scale = Tensor(np.full(x.shape, math.log(abs(self.scale)), x.dtype))
        return _sum_rightmost(log_scale, self.event_dim)


class ComposeTransform(Transform):
    """The transforms applied in order (y = t_n(...t_1(x)))."""

    def __init__(self, parts: list[Transform], cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.parts = [part.with_cache(cache_size) for part in parts] if cache_size else list(parts)
        self.event_dim = max((part.event_dim for part in self.parts), default=0)

    @property
    def inv(self) -> Transform:
        """The parts' inverses in reverse order (a ComposeTransform, as PyTorch's); its `inv`
        is this transform again."""
        inverse = self.__dict__.get("_inverse_compose")
        if inverse is not None and inverse.__dict__.get("_inverse_compose") is not self:
            inverse = None  # (a copy's: made again)
        if inverse is None:
            inverse = ComposeTransform([part.inv for part in reversed(self.parts)])
            inverse.__dict__["_inverse_compose"] = self
            self.__dict__["_inverse_compose"] = inverse
        return inverse

    def with_cache(self, cache_size: int = 1) -> Transform:
        """The same parts, each with `cache_size` (PyTorch's)."""
        if cache_size == self._cache_size:
            return self
        return ComposeTransform(self.parts, cache_size=cache_size)

    def __repr__(self) -> str:
        """PyTorch's text: one part a line (`ComposeTransform(\n    \n)` for none)."""
        parts = ",\n    ".join(repr(part) for part in self.parts)
        return f"{type(self).__name__}(\n    {parts}\n)"

    @property
    def sign(self) -> Any:  # type: ignore[override]
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return self.parts[0].domain if self.parts else constraints.real

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return self.parts[-1].codomain if self.parts else constraints.real

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return all(part.bijective for part in self.parts)

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def _call(self, x: Tensor) -> Tensor:
        for part in self.parts:
            x = part(x)
        return x

    def _inverse(self, y: Tensor) -> Tensor:
        for part in reversed(self.parts):
            y = part.inv(y)
        return y

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        total = None
        for part in self.parts:
            after = part(x)
            term = _sum_rightmost(part.log_abs_det_jacobian(x, after),
                                  self.event_dim - part.event_dim)
            total = term if total is None else total + term
            x = after
        return total if total is not None else x * 0


def _sum_rightmost(value: Tensor, dims: int) -> Tensor:
    return value.sum(tuple(range(-dims, 0))) if dims > 0 else value


class TransformedDistribution(Distribution):
    """The distribution of t_n(...t_1(x)) for x ~ base: sample/rsample push draws through the
    transforms; log_prob(y) = base.log_prob(x) - sum of log |dt/dx| along the way back."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, transforms: Any,
                 validate_args: bool | None = None) -> None:
        self.base_dist = base_distribution
        if not isinstance(transforms, (Transform, list, tuple)) or not all(
                isinstance(t, Transform) for t in (
                    [transforms] if isinstance(transforms, Transform) else transforms)):
            raise ValueError(f"TransformedDistribution: transforms must be a Transform or list "
                             f"of Transforms, but was {transforms!r}")
        self.transforms = [transforms] if isinstance(transforms, Transform) else list(transforms)
        # a transform acting on trailing axes (input_event_dim > 0) makes them part of the
        # event; a reshaping one changes the shape and the number of event dims
        event_dim = len(base_distribution.event_shape)
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        for transform in self.transforms:
            event_dim = (max(event_dim, transform.input_event_dim) - transform.input_event_dim
                         + transform.output_event_dim)
            shape = transform.forward_shape(shape)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args)

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def support(self) -> constraints.Constraint | None:  # type: ignore[override]
        """The last transform's codomain, over the event dims (PyTorch's)."""
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self.event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for transform in self.transforms:
            x = transform(x)
        return x

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        with no_grad():  # the transforms' own result: a cache of it still hits in log_prob
            x = self.base_dist.sample(sample_shape)
            for transform in self.transforms:
                x = transform(x)
        return x

    @xp.quiet  # (Weibull at 1e-45: inf - inf is NaN, silently as PyTorch)
    def log_prob(self, value: Tensor) -> Tensor:
        y = self._value(value)
        event_dim = len(self.event_shape)
        log_prob: Any = 0.0
        for transform in reversed(self.transforms):
            x = transform.inv(y)
            event_dim += transform.input_event_dim - transform.output_event_dim
            log_prob = log_prob - _sum_rightmost(transform.log_abs_det_jacobian(x, y),
                                                 event_dim - transform.input_event_dim)
            y = x
        return log_prob + _sum_rightmost(self.base_dist.log_prob(y),
                                         event_dim - len(self.base_dist.event_shape))

    def _monotonize(self, p: Tensor) -> Tensor:
        """p where the transforms increase, 1 - p where they decrease."""
        if any(transform.input_event_dim for transform in self.transforms):
            raise NotImplementedError("TransformedDistribution: cdf/icdf need elementwise "
                                      "(monotonic) transforms")
        sign: Any = 1
        for transform in self.transforms:
            sign = sign * transform.sign
        return p if isinstance(sign, int) and sign == 1 else sign * (p - 0.5) + 0.5

    def cdf(self, value: Tensor) -> Tensor:
        """base.cdf(t^-1(y)), or 1 - that where the transforms decrease. The value is checked
        in the base's space, as PyTorch's (Weibull's cdf(0) is 0, not a support error)."""
        if self._validate_args and not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        self._monotonize(value)  # (refuses non-elementwise transforms first)
        for transform in reversed(self.transforms):
            value = transform.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value, "cdf")
        return self._monotonize(self.base_dist.cdf(value))

    def icdf(self, value: Tensor) -> Tensor:
        """t(base.icdf(p)), with p flipped to 1 - p where the transforms decrease."""
        value = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        value = self.base_dist.icdf(self._monotonize(value))
        for transform in self.transforms:
            value = transform(value)
        return value

