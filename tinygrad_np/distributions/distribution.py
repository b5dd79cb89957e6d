"""The base of `torch.distributions`: shapes, argument validation and sample().

A distribution holds `batch_shape` independent elements, each over `event_shape`; a draw of
`sample_shape` has shape `sample_shape + batch_shape + event_shape`. Everything differentiable
(log_prob, entropy, rsample) is a composition of Tensor ops, so gradients come from the
engine.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_np import rng
from tinygrad_np.distributions import constraints
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.function import no_grad
from tinygrad_np.tensor import Size, Tensor

ShapeLike = Size | tuple[int, ...] | list[int]


def as_size(shape: Any) -> Size:
    """A sample_shape or batch_shape as a Size: a tuple, list or 1-d Tensor of ints; a bare
    int is PyTorch's TypeError (`torch.Size(3)`: 'int' object is not iterable)."""
    if isinstance(shape, Tensor) and shape.ndim == 1 and not shape.is_floating_point():
        shape = shape.tolist()
    if isinstance(shape, (range, np.ndarray)) and np.ndim(shape) == 1:
        shape = list(shape)  # (any iterable of ints makes a torch.Size)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"'{type(shape).__name__}' object is not iterable (sample_shape and "
                        f"batch_shape are a tuple of ints, a torch.Size: pass (n,), not n)")
    shape = [n.item() if isinstance(n, Tensor) and n.ndim == 0 and n.dtype.kind in "iu"
             else n for n in shape]  # (a 0-d integer tensor is an int, as in torch.Size)
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"torch.Size() takes an iterable of 'int' (got {n!r} in "
                            f"{tuple(shape)})")
    return Size(int(n) for n in shape)


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Numbers and tensors as tensors of one broadcast shape (numbers take the tensors' dtype,
    or the default dtype when there are only numbers)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, int, float, np.number)):
            raise ValueError(f"Input arguments must all be instances of Number or Tensor, "
                             f"got {type(v).__name__}")
    dtype = tensors[0].dtype if tensors else get_default_dtype()
    if np.dtype(dtype).kind != "f":
        dtype = get_default_dtype()
    made = [v if isinstance(v, Tensor) and v.dtype.kind == "f"
            else Tensor(np.asarray(v._data if isinstance(v, Tensor) else v, dtype=dtype))
            for v in values]
    try:
        shape = np.broadcast_shapes(*(t.shape for t in made))
    except ValueError:  # (PyTorch's broadcasting RuntimeError)
        shapes = ", ".join(str(tuple(t.shape)) for t in made)
        raise RuntimeError(f"distribution parameters have shapes {shapes} that do not "
                         "broadcast") from None
    return tuple(t if t.shape == shape else t.expand(shape) for t in made)


def standard_normal(shape: tuple[int, ...], dtype: Any) -> Tensor:
    """A constant tensor of N(0, 1) draws from the library's generator (tg.manual_seed)."""
    return Tensor(rng.generator().randn(shape, dtype))  # (PyTorch's normal_ draws)


def standard_uniform(shape: tuple[int, ...], dtype: Any) -> Tensor:
    """A constant tensor of U[0, 1) draws from the library's generator."""
    return Tensor(rng.uniform(rng.generator(), 0.0, 1.0, shape, dtype))


def _users(distribution: Any) -> bool:
    """Whether the distribution's class is a user's (PyTorch warns when such a class leaves
    out `arg_constraints` or `support` and validation is on)."""
    return not type(distribution).__module__.startswith("tinygrad_np.")


class Distribution:
    """The base class: subclasses set `arg_constraints`, `support` and the methods they have.

    `validate_args` (default True, as PyTorch; `Distribution.set_default_validate_args(False)`
    turns it off) checks the parameters at construction and `log_prob`'s value against the
    support, raising ValueError as PyTorch does.
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: constraints.Constraint | None = None
    _validate_args = True  # (the default; an instance's own value when given, as PyTorch)

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions made from now on."""
        if value not in (True, False):
            raise ValueError("set_default_validate_args: expected True or False")
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape: ShapeLike = (), event_shape: ShapeLike = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = bool(validate_args)
        if self._validate_args:
            if type(self).arg_constraints is Distribution.arg_constraints and _users(self):
                warnings.warn(f"{self.__class__} does not define `arg_constraints`. Please set "
                              "`arg_constraints = {}` or initialize the distribution with "
                              "`validate_args=False` to turn off validation.", stacklevel=2)
            for name, constraint in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue  # the other parametrisation (probs vs logits): not given
                value = self.__dict__[name]
                if not constraints.holds(constraint, value):
                    raise ValueError(
                        f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of "
                        f"distribution {self!r} to satisfy the constraint {constraint!r}, but "
                        f"found invalid values:\n{value}")

    @property
    def batch_shape(self) -> Size:
        """The shape of the independent elements (the parameters' broadcast shape)."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of one draw of one element."""
        return self._event_shape

    def expand(self, batch_shape: ShapeLike, _instance: Any = None) -> Distribution:
        """The same distribution with its parameters broadcast to `batch_shape` (PyTorch's
        `prior.expand([n])`): each tensor attribute's batch dims are expanded (a view, so
        gradients reach the original parameters); a distribution inside is expanded too."""
        shape, old = as_size(batch_shape), tuple(self._batch_shape)
        try:
            np.broadcast_shapes(old, shape)
        except ValueError:
            raise TensorError(f"{type(self).__name__}.expand: batch shape {old} cannot be "
                              f"expanded to {shape}") from None
        new = self._expand_instance(_instance)
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and self._is_batch_parameter(name, value):
                value = value.expand(shape + tuple(value.shape[len(old):]))  # batch + rest
            elif isinstance(value, Distribution):
                value = value.expand(shape + tuple(value.batch_shape)[len(old):])
            setattr(new, name, value)
        new._batch_shape = Size(shape)
        return new

    def _expand_instance(self, instance: Any) -> Any:
        """The object expand() fills in. A user's subclass inherits PyTorch's rules: the base
        Distribution (and ExponentialFamily) has no expand (NotImplementedError), and a
        library family's expand refuses a subclass with its own __init__."""
        family = next(c for c in type(self).__mro__ if c.__module__.startswith("tinygrad_np."))
        if family.__name__ in ("Distribution", "ExponentialFamily"):
            raise NotImplementedError(f"{type(self).__name__}.expand: a subclass of "
                                      f"{family.__name__} must define its own expand()")
        return self._get_checked_instance(family, instance)

    def _is_batch_parameter(self, name: str, value: Tensor) -> bool:
        """Whether expand() broadcasts this tensor attribute: its leading dims are the batch
        shape. With no batch dims and an event, a 0-d tensor that is not a parameter (a
        relaxation's temperature) is a plain scalar: it stays 0-d, as PyTorch keeps it."""
        old = tuple(self._batch_shape)
        if tuple(value.shape[:len(old)]) != old:
            return False
        return bool(value.ndim or old or not self._event_shape or name in self.arg_constraints)

    def _extended_shape(self, sample_shape: ShapeLike = ()) -> Size:
        return Size(as_size(sample_shape) + self._batch_shape + self._event_shape)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """A reparameterised draw: gradients flow to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (has_rsample=False): "
                                  "use sample(), which carries no gradient")

    def sample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape, without gradient."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def sample_n(self, n: int) -> Tensor:
        """n draws (the old spelling of sample((n,)), with PyTorch's FutureWarning)."""
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.",
                      FutureWarning, stacklevel=2)
        return self.sample(Size((n,)))

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    def cdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.cdf is not implemented")

    def icdf(self, value: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.icdf is not implemented")

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mode is not implemented")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation: sqrt(variance)."""
        return self.variance.sqrt()

    def _value(self, value: Any, name: str = "log_prob") -> Tensor:
        """`value` as a tensor, checked (with validate_args) by `_validate_sample`: as
        PyTorch, a number is refused then (ValueError), taken as a tensor otherwise."""
        if self._validate_args:
            if not isinstance(value, Tensor):  # (PyTorch's message, also for cdf)
                raise ValueError("The value argument to log_prob must be a Tensor")
            self._validate_sample(value, name)
        if not isinstance(value, Tensor):
            value = Tensor(np.asarray(value, dtype=get_default_dtype()))
        return value

    def _validate_sample(self, value: Tensor, name: str = "log_prob") -> None:
        """PyTorch's check of a value given to log_prob (a user-written subclass calls it
        when `self._validate_args`): a Tensor whose shape ends with the event shape and
        broadcasts with the batch shape, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError(f"The value argument to {name} must be a Tensor")
        event = len(self._event_shape)
        if event and tuple(value.shape[-event:]) != tuple(self._event_shape):
            raise ValueError(f"{type(self).__name__}.{name}: the value's shape "
                             f"{tuple(value.shape)} does not end with the event shape "
                             f"{tuple(self._event_shape)}")
        try:
            np.broadcast_shapes(tuple(value.shape), tuple(self._extended_shape()))
        except ValueError:
            raise ValueError(f"{type(self).__name__}.{name}: the value's shape "
                             f"{tuple(value.shape)} is not broadcastable with the batch shape "
                             f"{tuple(self._batch_shape)} (event shape "
                             f"{tuple(self._event_shape)})") from None
        support = self.support
        if support is None and _users(self):
            warnings.warn(f"{self.__class__} does not define `support` to enable sample "
                          "validation. Please initialize the distribution with "
                          "`validate_args=False` to turn off validation.", stacklevel=3)
        if support is not None and not constraints.holds(support, value):
            raise ValueError(f"Expected value argument (Tensor of shape {tuple(value.shape)}) "
                             f"to be within the support ({support!r}) of the distribution "
                             f"{self!r}, but found invalid values:\n{value}")

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        """The new object an `expand(batch_shape, _instance)` fills in (PyTorch's helper): a
        subclass of `cls` with its own __init__ must define its own expand."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that "
                                      "defines a custom __init__ method must also define a "
                                      "custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """All the values of a discrete distribution (has_enumerate_support)."""
        raise NotImplementedError(f"{type(self).__name__}.enumerate_support is not "
                                  "implemented")

    # Parameters PyTorch's class computes as properties, never in its __dict__, so absent from
    # its repr (Beta, Chi2, LogNormal, HalfNormal, HalfCauchy print as `Beta()`).
    _repr_hidden: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """PyTorch's text: each parameter stored on the object, a one-element one as its value,
        any other as `torch.Size([...])`."""
        names = [name for name in self.arg_constraints
                 if name in self.__dict__ and name not in self._repr_hidden]
        parts = []
        for name in names:
            value = self.__dict__[name]
            shown = (f"torch.Size({list(value.shape)})" if value.numel() != 1
                     else value if value.ndim else value.item())
            parts.append(f"{name}: {shown}")
        return f"{type(self).__name__}({', '.join(parts)})"


class LocScale(Distribution):
    """A family with a location `loc` and a positive `scale`, elementwise over their
    broadcast shape (Normal, LogNormal, Laplace, Cauchy)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)
