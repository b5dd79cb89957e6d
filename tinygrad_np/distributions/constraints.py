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

    def check(self, value: Any) -> Tensor:
        """A bool tensor: whether each element of `value` (its event dims reduced) lies in
        the region."""
        return Tensor(np.asarray(self._check(value), dtype=bool))

    def _check(self, value: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define check(value)")

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_')}()"


class _Real(Constraint):
    def _check(self, value: Any) -> np.ndarray:
        data = _values(value)
        return data == data  # everything but NaN


class _RealVector(_Real):
    event_dim = 1

    def _check(self, value: Any) -> np.ndarray:
        return np.all(super()._check(value), axis=-1)


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

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base!r}, {self.reinterpreted_batch_ndims})"


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


class _PositiveDefinite(Constraint):
    event_dim = 2

    def _check(self, value: Any) -> np.ndarray:
        data = _values(value).astype(np.float64)
        symmetric = np.all(np.isclose(data, np.swapaxes(data, -1, -2), atol=1e-6), axis=(-2, -1))
        return symmetric & np.all(np.linalg.eigvalsh(data) > 0, axis=-1)


real = _Real()
real_vector = _RealVector()
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


__all__ = ["Constraint", "boolean", "greater_than", "greater_than_eq", "half_open_interval",
           "independent", "integer_interval", "interval", "less_than", "lower_cholesky",
           "nonnegative", "nonnegative_integer", "one_hot", "positive", "positive_definite",
           "positive_integer", "real", "real_vector", "simplex", "unit_interval"]
