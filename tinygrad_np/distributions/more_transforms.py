"""More of `torch.distributions.transforms`: power, abs, softplus, softmax, stick-breaking,
lower-Cholesky, reshape, independent, cat and stack, `identity_transform`, and the
`biject_to` / `transform_to` registries (an unconstrained tensor mapped onto a constraint's
region, as `torch.distributions.constraint_registry`).

Each is a composition of Tensor ops, so its Jacobian term and its inverse differentiate
through the engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_np.distributions import constraints
from tinygrad_np.distributions.transforms import (
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    SigmoidTransform,
    Transform,
    _broadcast_params,
    _clip_unit,
    _sum_rightmost,
)
from tinygrad_np.functions import cat, stack
from tinygrad_np.nn import functional as F
from tinygrad_np.tensor import Tensor


def _zeros(shape: tuple[int, ...], like: Tensor) -> Tensor:
    return Tensor(np.zeros(shape, dtype=like.dtype))


class PowerTransform(Transform):
    """y = x^p on x > 0;  log |dy/dx| = log |p y / x|."""

    domain = constraints.positive
    codomain = constraints.positive

    def __init__(self, exponent: Tensor | float, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.exponent = exponent

    @property
    def sign(self) -> Any:  # type: ignore[override]
        exponent = self.exponent
        return exponent.sign() if isinstance(exponent, Tensor) else math.copysign(1, exponent)

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """x's shape broadcast with the exponent's (PyTorch's)."""
        return _broadcast_params(shape, self.exponent)

    inverse_shape = forward_shape

    def _call(self, x: Tensor) -> Tensor:
        return x.pow(self.exponent)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return (self.exponent * y / x).abs().log()


class AbsTransform(Transform):
    """y = |x| (not bijective: the inverse picks the non-negative root, x = y)."""

    bijective = False
    codomain = constraints.nonnegative

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y


class SoftplusTransform(Transform):
    """y = log(1 + exp(x));  x = y + log(-expm1(-y));  log |dy/dx| = -softplus(-x)."""

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.softplus()

    def _inverse(self, y: Tensor) -> Tensor:
        return y + (-(-y).expm1()).log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -(-x).softplus()


class SoftmaxTransform(Transform):
    """y = softmax(x) over the last dim (not bijective: x = log y is one preimage; no
    Jacobian term, as PyTorch)."""

    event_dim = 1
    bijective = False
    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x: Tensor) -> Tensor:
        return x.softmax(-1)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()


def _stick_offsets(k: int, like: Tensor) -> Tensor:
    """log(K - i) for i = 0..K-1: the shift that makes x = 0 map to the simplex centre."""
    return Tensor(np.log(np.arange(k, 0, -1, dtype=np.float64)).astype(like.dtype))


class StickBreakingTransform(Transform):
    """R^K onto the (K+1)-simplex: z_i = sigmoid(x_i - log(K - i)), y_i = z_i prod_{j<i}
    (1 - z_j), y_K the rest;  log |det| = sum_i (log z_i + log(1 - z_i) + log(rest_i)),
    written as sum(-x' + logsigmoid(x') + log y_i) with x' = x - log(K - i). z is clipped to
    [tiny, 1 - eps] as PyTorch's, so x = +-100 keeps y > 0, a finite log |det| and inverse."""

    event_dim = 1
    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x: Tensor) -> Tensor:
        z = _clip_unit((x - _stick_offsets(x.shape[-1], x)).sigmoid())  # (PyTorch's clip)
        left = (1 - z).cumprod(-1)  # the stick left after each break
        ones = Tensor(np.ones((*x.shape[:-1], 1), dtype=x.dtype))
        return cat([z, ones], -1) * cat([ones, left], -1)

    def _inverse(self, y: Tensor) -> Tensor:
        head = y[..., :-1]
        rest = (1 - head.cumsum(-1)).clamp(min=float(np.finfo(y.dtype).tiny))
        return head.log() - rest.log() + _stick_offsets(head.shape[-1], y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        shifted = x - _stick_offsets(x.shape[-1], x)
        return (-shifted + F.logsigmoid(shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*shape[:-1], shape[-1] + 1)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*shape[:-1], shape[-1] - 1)


class LowerCholeskyTransform(Transform):
    """A square matrix onto lower-triangular ones with a positive diagonal: the strictly lower
    part kept, the diagonal exponentiated (no Jacobian term, and not bijective: the upper part
    is dropped, as PyTorch; so only `transform_to` maps onto lower_cholesky)."""

    bijective = False
    event_dim = 2
    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x: Tensor) -> Tensor:
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class ReshapeTransform(Transform):
    """The trailing `in_shape` dims reshaped to `out_shape` (same number of elements);
    log |det| = 0."""

    def __init__(self, in_shape: Sequence[int], out_shape: Sequence[int],
                 cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(f"ReshapeTransform: in_shape {self.in_shape} and out_shape "
                             f"{self.out_shape} have different numbers of elements")

    @property
    def input_event_dim(self) -> int:
        return len(self.in_shape)

    @property
    def output_event_dim(self) -> int:
        return len(self.out_shape)

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.out_shape))

    def _replace(self, shape: tuple[int, ...], old: tuple[int, ...],
                 new: tuple[int, ...]) -> tuple[int, ...]:
        cut = len(shape) - len(old)
        if cut < 0 or tuple(shape[cut:]) != old:
            raise ValueError(f"ReshapeTransform: a shape {tuple(shape)} does not end with "
                             f"{old}")
        return (*shape[:cut], *new)

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._replace(tuple(shape), self.in_shape, self.out_shape)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return self._replace(tuple(shape), self.out_shape, self.in_shape)

    def _call(self, x: Tensor) -> Tensor:
        return x.reshape(self.forward_shape(tuple(x.shape)))

    def _inverse(self, y: Tensor) -> Tensor:
        return y.reshape(self.inverse_shape(tuple(y.shape)))

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return _zeros(tuple(x.shape[:x.ndim - len(self.in_shape)]), x)


class IndependentTransform(Transform):
    """`base_transform` with its last `reinterpreted_batch_ndims` batch dims made event dims:
    the Jacobian term is summed over them."""

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int,
                 cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.base_transform = base_transform
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self.base_transform.event_dim + self.reinterpreted_batch_ndims

    @property
    def input_event_dim(self) -> int:
        return self.base_transform.input_event_dim + self.reinterpreted_batch_ndims

    @property
    def output_event_dim(self) -> int:
        return self.base_transform.output_event_dim + self.reinterpreted_batch_ndims

    @property
    def sign(self) -> Any:  # type: ignore[override]
        return self.base_transform.sign

    @property
    def bijective(self) -> bool:  # type: ignore[override]
        return self.base_transform.bijective

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(self.base_transform.domain,
                                       self.reinterpreted_batch_ndims)

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(self.base_transform.codomain,
                                       self.reinterpreted_batch_ndims)

    def forward_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return self.base_transform.inverse_shape(shape)

    def _call(self, x: Tensor) -> Tensor:
        return self.base_transform(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return _sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y),
                              self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


def _elementwise(parts: Sequence[Transform], name: str) -> list[Transform]:
    parts = list(parts)
    if not parts or not all(isinstance(t, Transform) and t.event_dim == 0 for t in parts):
        raise ValueError(f"{name}: expected a non-empty list of elementwise transforms "
                         "(event_dim 0)")
    return parts


class _Piecewise(Transform):
    """A transform per piece of `dim` (CatTransform's slices, StackTransform's entries):
    `_each(apply, *values)` applies each transform to its piece and joins the results."""

    def _each(self, apply: Callable[..., Tensor], *values: Tensor) -> Tensor:
        raise NotImplementedError

    def _call(self, x: Tensor) -> Tensor:
        return self._each(lambda t, piece: t(piece), x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self._each(lambda t, piece: t.inv(piece), y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return self._each(lambda t, a, b: t.log_abs_det_jacobian(a, b), x, y)


class CatTransform(_Piecewise):
    """Each of `tseq` applied to its slice of `dim` (slice i has `lengths[i]` entries, 1 by
    default), the results concatenated; elementwise parts only."""

    def __init__(self, tseq: Sequence[Transform], dim: int = 0,
                 lengths: Sequence[int] | None = None, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.transforms = _elementwise(tseq, "CatTransform")
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise ValueError("CatTransform: one length per transform")
        self.dim = dim

    def _each(self, apply: Callable[..., Tensor], *values: Tensor) -> Tensor:
        if values[0].shape[self.dim] != sum(self.lengths):
            raise ValueError(f"CatTransform: dim {self.dim} has {values[0].shape[self.dim]} "
                             f"entries, the lengths add up to {sum(self.lengths)}")
        start, out = 0, []
        for transform, length in zip(self.transforms, self.lengths):
            out.append(apply(transform, *(v.narrow(self.dim, start, length) for v in values)))
            start += length
        return cat(out, self.dim)



class StackTransform(_Piecewise):
    """Transform i applied to index i of `dim`, the results stacked; elementwise parts only."""

    def __init__(self, tseq: Sequence[Transform], dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.transforms = _elementwise(tseq, "StackTransform")
        self.dim = dim

    def _each(self, apply: Callable[..., Tensor], *values: Tensor) -> Tensor:
        if values[0].shape[self.dim] != len(self.transforms):
            raise ValueError(f"StackTransform: dim {self.dim} has {values[0].shape[self.dim]} "
                             f"entries for {len(self.transforms)} transforms")
        return stack([apply(t, *(v.select(self.dim, i) for v in values))
                      for i, t in enumerate(self.transforms)], self.dim)



identity_transform = ComposeTransform([])


# ----------------------------------------------------------------- biject_to / transform_to
class ConstraintRegistry:
    """Constraint type -> a factory of the transform from unconstrained space onto it:
    `registry(constraint)` looks the type up (its nearest registered base class)."""

    def __init__(self) -> None:
        self._factories: dict[type, Callable[[Any], Transform]] = {}

    def register(self, constraint: Any, factory: Callable[[Any], Transform] | None = None
                 ) -> Any:
        """`register(ConstraintType or instance, factory)`, or as a decorator."""
        if factory is None:
            return lambda function: self.register(constraint, function)
        key = constraint if isinstance(constraint, type) else type(constraint)
        if not (isinstance(key, type) and issubclass(key, constraints.Constraint)):
            raise TypeError(f"register: expected a Constraint subclass or instance, got "
                            f"{constraint!r}")
        self._factories[key] = factory
        return factory

    def __call__(self, constraint: constraints.Constraint) -> Transform:
        for kind in type(constraint).__mro__:
            if kind in self._factories and not constraint.is_discrete:
                return self._factories[kind](constraint)
        raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _to_real(constraint: Any) -> Transform:
    return identity_transform


def _to_greater_than(constraint: Any) -> Transform:
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.lower_bound, 1)])


def _to_less_than(constraint: Any) -> Transform:
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.upper_bound, -1)])


def _to_interval(constraint: Any) -> Transform:
    low, high = constraint.lower_bound, constraint.upper_bound
    if not isinstance(low, Tensor) and not isinstance(high, Tensor) and (low, high) == (0, 1):
        return SigmoidTransform()
    return ComposeTransform([SigmoidTransform(), AffineTransform(low, high - low)])


def _independent(registry: ConstraintRegistry) -> Callable[[Any], Transform]:
    def factory(constraint: Any) -> Transform:
        return IndependentTransform(registry(constraint.base),
                                    constraint.reinterpreted_batch_ndims)
    return factory


for _registry in (biject_to, transform_to):
    _registry.register(constraints._Real, _to_real)  # real_vector too (a subclass)
    _registry.register(constraints._GreaterThan, _to_greater_than)  # positive, nonnegative
    _registry.register(constraints._LessThan, _to_less_than)
    _registry.register(constraints._Interval, _to_interval)
    _registry.register(constraints._Independent, _independent(_registry))
transform_to.register(constraints._LowerCholesky, lambda c: LowerCholeskyTransform())
biject_to.register(constraints._Simplex, lambda c: StickBreakingTransform())
transform_to.register(constraints._Simplex, lambda c: SoftmaxTransform())

__all__ = ["AbsTransform", "CatTransform", "ConstraintRegistry", "IndependentTransform",
           "LowerCholeskyTransform", "PowerTransform", "ReshapeTransform",
           "SoftmaxTransform", "SoftplusTransform", "StackTransform", "StickBreakingTransform",
           "biject_to", "identity_transform", "transform_to"]
