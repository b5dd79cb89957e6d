"""PyTorch's `torch.distributions.constraints`: what a parameter or a sample may be.

Each constraint's `check(value)` is a bool Tensor (one entry per batch element, the event
dims reduced), as PyTorch's; the built-in ones compute it in NumPy (`_check`). Their reprs
are PyTorch's, so validation errors read the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.tensor import Tensor


def _values(value: Any) -> np.ndarray:
    return value._data if isinstance(value, Tensor) else np.asarray(value)


def holds(constraint: Constraint, value: Any) -> bool:
    """Whether every element of `value` satisfies `constraint` (any Constraint, a user's
    whose check returns a Tensor too)."""
    return bool(np.all(_values(constraint.check(value))))


class Constraint:
    """A region of values; `event_dim` is how many trailing dims one element spans."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Any) -> Tensor | bool:
        """A bool tensor: whether each element of `value` (its event dims reduced) lies in
        the region; a Python bool for a Python number against number bounds (PyTorch's
        `positive.check(1.)` is True)."""
        result = np.asarray(self._check(value), dtype=bool)
        if (isinstance(value, (int, float)) and result.ndim == 0
                and not any(isinstance(v, Tensor) for v in vars(self).values())):
            return bool(result)
        return Tensor(result)

    def _check(self, value: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define check(value)")

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}()"


class _Real(Constraint):
    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return data == data  # everything but NaN


class _GreaterThan(Constraint):
    def __init__(self, lower_bound: float) -> None:
        self.lower_bound = lower_bound

    def _check(self, value: Any) -> np.ndarray:
        return _values(value) > _values(self.lower_bound)

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def _check(self, value: Any) -> np.ndarray:
        return _values(value) >= _values(self.lower_bound)

    def __repr__(self) -> str:
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound: float) -> None:
        self.upper_bound = upper_bound

    def _check(self, value: Any) -> np.ndarray:
        return _values(value) < _values(self.upper_bound)

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={self.upper_bound})"


class _Independent(Constraint):
    """`base` on each element, the last `reinterpreted_batch_ndims` dims reduced (all of
    them must hold)."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base, self.reinterpreted_batch_ndims = base, reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return self.base.is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self.base.event_dim + self.reinterpreted_batch_ndims

    def _check(self, value: Any) -> np.ndarray:
        result = _values(self.base.check(value))
        n = self.reinterpreted_batch_ndims
        return result.all(axis=tuple(range(-n, 0))) if n else result

    @property
    def base_constraint(self) -> Constraint:
        """The constraint on each element (PyTorch's attribute name)."""
        return self.base

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(Constraint):
    """A MixtureSameFamily's support: the component's constraint, checked on the value with
    the component dim put back (all of them must hold)."""

    def __init__(self, base_constraint: Constraint) -> None:
        if not isinstance(base_constraint, Constraint):
            raise TypeError(f"MixtureSameFamilyConstraint: base_constraint must be a "
                            f"Constraint, got {type(base_constraint).__name__}")
        self.base_constraint = base_constraint

    is_discrete = property(lambda self: self.base_constraint.is_discrete)  # type: ignore
    event_dim = property(lambda self: self.base_constraint.event_dim)  # type: ignore

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        if data.ndim < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {data.ndim}")
        value = Tensor(np.expand_dims(data, -1 - self.event_dim))
        result = _values(self.base_constraint.check(value))
        kept = data.ndim - self.event_dim
        return result.reshape(result.shape[:kept] + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


class _RealVector(_Independent):
    """Real on each entry of the last dim: PyTorch's `independent(real, 1)`."""

    def __init__(self) -> None:
        super().__init__(real, 1)


class _Dependent(Constraint):
    """A placeholder for a support that depends on other values (PyTorch's `dependent`):
    check() refuses; is_discrete and event_dim are known only when given."""

    def __init__(self, *, is_discrete: Any = NotImplemented, event_dim: Any = NotImplemented
                 ) -> None:
        self._is_discrete, self._event_dim = is_discrete, event_dim

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete: Any = NotImplemented,
                 event_dim: Any = NotImplemented) -> _Dependent:
        """`dependent(is_discrete=True, event_dim=1)`: a copy with those attributes."""
        return _Dependent(
            is_discrete=self._is_discrete if is_discrete is NotImplemented else is_discrete,
            event_dim=self._event_dim if event_dim is NotImplemented else event_dim)

    def check(self, value: Any) -> Tensor:
        raise ValueError("Cannot determine validity of dependent constraint")


class _DependentProperty(property, _Dependent):
    """@dependent_property: a property on an instance, a `dependent` constraint on the class
    (PyTorch's decorator for a support computed from the parameters)."""

    def __init__(self, fn: Any = None, *, is_discrete: Any = NotImplemented,
                 event_dim: Any = NotImplemented) -> None:
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn: Any) -> _DependentProperty:  # type: ignore[override]
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


def dependent_property(fn: Any = None, *, is_discrete: Any = NotImplemented,
                       event_dim: Any = NotImplemented) -> _DependentProperty:
    """`@dependent_property` or `@dependent_property(is_discrete=..., event_dim=...)`."""
    return _DependentProperty(fn, is_discrete=is_discrete, event_dim=event_dim)


def is_dependent(constraint: Any) -> bool:
    """Whether `constraint` is a `dependent` placeholder."""
    return isinstance(constraint, _Dependent)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return np.all((data == 0) | (data == 1), axis=-1) & (data.sum(-1) == 1)


class _PositiveInteger(Constraint):
    is_discrete = True

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return (data >= 1) & (np.mod(data, 1) == 0)

    def __repr__(self) -> str:
        return "IntegerGreaterThan(lower_bound=1)"


class _NonnegativeInteger(Constraint):
    is_discrete = True

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return (data >= 0) & (np.mod(data, 1) == 0)

    def __repr__(self) -> str:
        return "IntegerGreaterThan(lower_bound=0)"


class _Interval(Constraint):
    """lower <= x <= upper (half_open: x < upper); the bounds may be tensors."""

    def __init__(self, lower_bound: Any, upper_bound: Any, half_open: bool = False) -> None:
        self.lower_bound, self.upper_bound, self.half_open = lower_bound, upper_bound, half_open

    def _check(self, value: Any) -> np.ndarray:
        data, upper = _values(value), _values(self.upper_bound)
        below = data < upper if self.half_open else data <= upper
        return (_values(self.lower_bound) <= data) & below

    def __repr__(self) -> str:
        name = "HalfOpenInterval" if self.half_open else "Interval"
        return f"{name}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def _check(self, value: Any) -> np.ndarray:
        return super()._check(value) & (np.mod(_values(value), 1) == 0)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Boolean(_IntegerInterval):
    def __init__(self) -> None:
        super().__init__(0, 1)

    def __repr__(self) -> str:
        return "Boolean()"


class _Simplex(Constraint):
    event_dim = 1

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return np.all(data >= 0, axis=-1) & (np.abs(data.sum(-1) - 1) < 1e-6)


class _LowerCholesky(Constraint):
    event_dim = 2

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        lower = np.all(np.tril(data) == data, axis=(-2, -1))
        return lower & np.all(np.diagonal(data, axis1=-2, axis2=-1) > 0, axis=-1)


class _LowerTriangular(Constraint):
    event_dim = 2

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return np.all(np.tril(data) == data, axis=(-2, -1))


class _CorrCholesky(Constraint):
    """Lower Cholesky factors of correlation matrices: rows of unit norm."""

    event_dim = 2

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        tol = np.finfo(data.dtype).eps * data.shape[-1] * 10 if data.dtype.kind == "f" else 0
        unit_rows = np.all(np.abs(np.linalg.norm(data, axis=-1) - 1) <= tol, axis=-1)
        return _values(lower_cholesky.check(value)) & unit_rows


class _Square(Constraint):
    event_dim = 2

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return np.full(data.shape[:-2], data.shape[-2] == data.shape[-1], dtype=bool)


class _Symmetric(_Square):
    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        if data.shape[-2] != data.shape[-1]:
            return super()._check(value)
        return np.all(np.isclose(data, np.swapaxes(data, -1, -2), atol=1e-6), axis=(-2, -1))


class _PositiveSemidefinite(_Symmetric):
    def _check(self, value: Any) -> np.ndarray:
        """As PyTorch: when any matrix is not symmetric, only the symmetry check (so a
        symmetric matrix in that batch passes whatever its eigenvalues)."""
        symmetric = super()._check(value)
        if not symmetric.all():
            return symmetric
        return np.all(np.linalg.eigvalsh(_values(value).astype(np.float64)) >= 0, axis=-1)


class _Multinomial(Constraint):
    """Non-negative counts summing to at most `upper_bound` over the last dim."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return np.all(data >= 0, axis=-1) & (data.sum(-1) <= _values(self.upper_bound))

    def __repr__(self) -> str:
        return "Multinomial()"  # PyTorch's text (no bound shown)


class _Cat(Constraint):
    """`cseq[i]` on the i-th piece of `dim` (pieces of `lengths`, 1 each by default)."""

    def __init__(self, cseq: list[Constraint], dim: int = 0,
                 lengths: list[int] | None = None) -> None:
        self.cseq, self.dim = list(cseq), dim
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"cat: {len(self.cseq)} constraints but {len(self.lengths)} "
                             "lengths")

    is_discrete = property(lambda self: any(c.is_discrete for c in self.cseq))  # type: ignore
    event_dim = property(lambda self: max(c.event_dim for c in self.cseq))  # type: ignore

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        if not -data.ndim <= self.dim < data.ndim:
            raise ValueError(f"cat: dim {self.dim} is out of range for a value of shape "
                             f"{data.shape}")
        pieces = np.split(data, np.cumsum(self.lengths)[:-1], axis=self.dim)
        return np.concatenate([_values(c.check(Tensor(piece)))
                               for c, piece in zip(self.cseq, pieces)], axis=self.dim)


class _Stack(_Cat):
    """`cseq[i]` on the i-th slice of `dim`."""

    def __init__(self, cseq: list[Constraint], dim: int = 0) -> None:
        super().__init__(cseq, dim)

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        if data.shape[self.dim] != len(self.cseq):
            raise ValueError(f"stack: a value of {data.shape[self.dim]} slices along dim "
                             f"{self.dim} for {len(self.cseq)} constraints")
        slices = np.moveaxis(data, self.dim, 0)
        return np.stack([_values(c.check(Tensor(np.array(piece))))  # (0-d stays 0-d)
                         for c, piece in zip(self.cseq, slices)], axis=self.dim)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value).astype(np.float64)
        symmetric = np.all(np.isclose(data, np.swapaxes(data, -1, -2), atol=1e-6), axis=(-2, -1))
        return symmetric & np.all(np.linalg.eigvalsh(data) > 0, axis=-1)


real = _Real()
real_vector = _RealVector()
dependent = _Dependent()
lower_triangular = _LowerTriangular()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
multinomial = _Multinomial
cat = _Cat
stack = _Stack
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
nonnegative_integer = _NonnegativeInteger()
positive_integer = _PositiveInteger()
one_hot = _OneHot()
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()


def interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """lower_bound <= x <= upper_bound."""
    return _Interval(lower_bound, upper_bound)


def half_open_interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """lower_bound <= x < upper_bound."""
    return _Interval(lower_bound, upper_bound, half_open=True)


def integer_interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """The integers lower_bound..upper_bound (both included)."""
    return _IntegerInterval(lower_bound, upper_bound)


def greater_than(lower_bound: float) -> Constraint:
    """x > lower_bound."""
    return _GreaterThan(lower_bound)


def greater_than_eq(lower_bound: Any) -> Constraint:
    """x >= lower_bound."""
    return _GreaterThanEq(lower_bound)


def less_than(upper_bound: Any) -> Constraint:
    """x < upper_bound."""
    return _LessThan(upper_bound)


def independent(base: Constraint, reinterpreted_batch_ndims: int) -> Constraint:
    """`base` holding over the last `reinterpreted_batch_ndims` dims as one event."""
    return _Independent(base, reinterpreted_batch_ndims)


__all__ = ["Constraint", "MixtureSameFamilyConstraint", "boolean", "cat", "corr_cholesky",
           "dependent", "dependent_property",
           "is_dependent", "lower_triangular", "multinomial", "positive_semidefinite",
           "square", "stack", "symmetric", "greater_than", "greater_than_eq", "half_open_interval",
           "independent", "integer_interval", "interval", "less_than", "lower_cholesky",
           "nonnegative", "nonnegative_integer", "one_hot", "positive", "positive_definite",
           "positive_integer", "real", "real_vector", "simplex", "unit_interval"]
