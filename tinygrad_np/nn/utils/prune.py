"""PyTorch's `torch.nn.utils.prune`: zero chosen entries of a module's parameter with a mask.

Pruning `module.weight` moves the Parameter to `module.weight_orig` (still the one trained),
adds the buffer `module.weight_mask` (1 keeps an entry, 0 prunes it) and registers the
pruning method as a forward pre-hook that sets the plain attribute `module.weight =
weight_mask * weight_orig` before every call, so the gradient reaches `weight_orig` only
where the mask is 1. Pruning the same parameter again puts the methods in a
PruningContainer: the new method chooses among the entries (or channels) still unpruned.
`remove` makes the pruning permanent.

    prune.l1_unstructured(model.fc, "weight", amount=0.3)   # the 30% smallest |w|
    prune.ln_structured(model.conv, "weight", amount=2, n=2, dim=0)  # 2 whole filters
    prune.remove(model.fc, "weight")                        # weight is a Parameter again

Masks are computed in NumPy. The random methods draw from tinygrad_np's generator
(`tg.manual_seed`), so they prune other entries than PyTorch's; among equal scores the
lowest index is pruned first (PyTorch's `topk` leaves the choice open).
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from tinygrad_np.function import no_grad
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.rng import numpy_generator
from tinygrad_np.tensor import Tensor


# ----------------------------------------------------------------- helpers
def _array(t: Any) -> np.ndarray:
    """A fresh C-ordered copy of the values of a Tensor (or array-like), outside any graph."""
    return np.array(t._data if isinstance(t, Tensor) else t, order="C")


def _pre_hooks(module: Module) -> dict:
    """The module's forward pre-hooks as {handle id: (hook, with_kwargs)}."""
    hooks = vars(module).get("_module_hooks")
    return hooks.get("pre", {}) if hooks else {}


def _pruning_hooks(module: Module, name: str | None = None
                   ) -> list[tuple[int, BasePruningMethod]]:
    """(handle id, method) of the pruning hooks on `module` (only those of `name`, if given)."""
    return [(key, hook) for key, (hook, _) in _pre_hooks(module).items()
            if isinstance(hook, BasePruningMethod) and name in (None, hook._tensor_name)]


def _check_amount(amount: Any) -> None:
    """Refuse an amount that is neither a fraction in [0, 1] nor a non-negative count."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (amount < 0 if isinstance(amount, numbers.Integral)
            else not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _count(amount: numbers.Real, size: int) -> int:
    """How many of `size` units to prune: `amount` itself if an int, else round(amount * size)
    (Python's round, as PyTorch)."""
    count = int(amount) if isinstance(amount, numbers.Integral) else round(amount * size)
    if count > size:
        raise ValueError(f"amount={count} should be smaller than the number of parameters to "
                         f"prune={size}")
    return count


def _channel_axis(values: np.ndarray, dim: int) -> int:
    """`dim` as an axis of `values`, which structured pruning needs to have 2 dims or more."""
    if values.ndim <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {values.shape} with {values.ndim} dims")
    if not -values.ndim <= dim < values.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {values.shape}")
    return dim % values.ndim


def _channel_norms(values: np.ndarray, n: Any, axis: int) -> np.ndarray:
    """The L`n` norm of every slice of `values` along `axis` (n: a number, inf, -inf or
    "fro")."""
    others = tuple(d for d in range(values.ndim) if d != axis)
    size = np.abs(values.astype(np.float64))
    n = 2 if n == "fro" else n
    if not isinstance(n, numbers.Real):
        raise ValueError(f"ln_structured: unsupported norm n={n!r} (a number, inf or 'fro')")
    if n == math.inf:
        return size.max(axis=others)
    if n == -math.inf:
        return size.min(axis=others)
    if n == 0:
        return np.count_nonzero(size, axis=others).astype(np.float64)
    return (size**n).sum(axis=others) ** (1.0 / n)


def _keep_channels(t: np.ndarray, default_mask: Tensor, axis: int, keep: np.ndarray) -> Tensor:
    """A mask of t's dtype that is 1 on the channels `keep` along `axis`, times the
    current mask."""
    mask = np.zeros(t.shape, dtype=t.dtype)
    mask[(slice(None),) * axis + (keep,)] = 1
    return Tensor(mask * _array(default_mask).astype(t.dtype))


def _zero_entries(default_mask: Tensor, flat_indices: np.ndarray) -> Tensor:
    """A copy of the mask with the given entries (of its flattened form) set to 0."""
    mask = _array(default_mask)
    mask.reshape(-1)[flat_indices] = 0
    return Tensor(mask)


def _current_mask(module: Module, name: str) -> Tensor:
    """`module.<name>_mask`, or ones shaped as `module.<name>` if it is not pruned yet."""
    if hasattr(module, name + "_mask"):
        return getattr(module, name + "_mask")
    tensor = getattr(module, name)
    return Tensor(np.ones(tensor.shape, dtype=tensor.dtype))


def _unpruned(method: BasePruningMethod, mask: np.ndarray) -> Any:
    """The index of the part of a tensor that `method` chooses from, given the current mask:
    unpruned entries (unstructured), channels not entirely pruned (structured), or all."""
    kind = getattr(method, "PRUNING_TYPE", None)
    if kind == "unstructured":
        return mask == 1
    if kind == "global":
        return ...
    if kind != "structured":
        raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
    if not hasattr(method, "dim"):
        raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the '
                             "attribute `dim` defined.")
    axis = method.dim + mask.ndim if method.dim < 0 else method.dim
    if not 0 <= axis < mask.ndim:
        raise IndexError(f"Index is out of bounds for tensor with dimensions {mask.ndim}")
    alive = mask.sum(axis=tuple(d for d in range(mask.ndim) if d != axis)) != 0
    return (slice(None),) * axis + (alive,)


# ----------------------------------------------------------------- the methods
class BasePruningMethod(ABC):
    """The base of pruning methods. A subclass sets PRUNING_TYPE ("unstructured",
    "structured" with a `dim` attribute, or "global") and defines `compute_mask`; the
    instance `apply` returns is the forward pre-hook that keeps `module.<name>` pruned."""

    _tensor_name: str | None = None  # the attribute pruned, set by apply

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The new mask for a tensor whose importance scores are `t`: `default_mask` (the
        current mask, same shape) with the entries this method prunes set to 0."""

    def apply_mask(self, module: Module) -> Tensor:
        """`<name>_mask * <name>_orig` of module: the pruned tensor (recorded, so the
        gradient reaches `<name>_orig`)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any,
              importance_scores: Tensor | None = None, **kwargs: Any) -> BasePruningMethod:
        """Prune `module.<name>` with `cls(*args, **kwargs)`, on top of any earlier pruning of
        it, ranking entries by `importance_scores` (default: the tensor itself). Returns the
        hook registered: the method, or the PruningContainer holding it."""
        found = _pruning_hooks(module, name)
        if len(found) > 1:
            raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor "
                                 f"{name} of module {module}. Use a PruningContainer.")
        method = cls(*args, **kwargs)
        method._tensor_name = name
        current = getattr(module, name)
        scores = current if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(current.shape):
            raise AssertionError(f"importance_scores should have the same shape as parameter "
                                 f"{name} of {module}, got {tuple(scores.shape)} vs "
                                 f"{tuple(current.shape)}")
        if found:
            key, previous = found[0]
            method, mask = _on_top(previous, method, scores, getattr(module, name + "_mask"))
            del _pre_hooks(module)[key]
        else:
            if not isinstance(vars(module).get(name), Parameter):
                raise TypeError(f"cannot assign '{type(current).__name__}' object to parameter "
                                f"'{name}_orig' (torch.nn.Parameter or None required)")
            mask = method.compute_mask(scores, default_mask=Tensor(
                np.ones(current.shape, dtype=current.dtype)))
            module.register_parameter(name + "_orig", current)
            delattr(module, name)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """`t` times the mask this method computes for it (from `importance_scores`, default
        `t`, on top of `default_mask`, default all ones); the module is not involved."""
        scores = t if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(t.shape):
            raise AssertionError(f"importance_scores should have the same shape as tensor t, "
                                 f"got {tuple(scores.shape)} vs {tuple(t.shape)}")
        if default_mask is None:
            default_mask = Tensor(np.ones(t.shape, dtype=t.dtype))
        return t * self.compute_mask(scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: `module.<name>` becomes the Parameter `<name>_orig`
        again, now holding the pruned values; `<name>_orig` and `<name>_mask` go. (The hook
        itself is unregistered by the module-level `remove`.)"""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be "
                                 "removed")
        name = self._tensor_name
        with no_grad():
            pruned = self.apply_mask(module)
        orig = getattr(module, name + "_orig")
        if name in vars(module):
            delattr(module, name)
        delattr(module, name + "_orig")
        delattr(module, name + "_mask")
        vars(module).get("_buffer_names", {}).pop(name + "_mask", None)
        orig.data = pruned  # the same Parameter object: an optimizer holding it still does
        setattr(module, name, orig)


def _on_top(previous: BasePruningMethod, method: BasePruningMethod, scores: Tensor,
            mask: Tensor) -> tuple[PruningContainer, Tensor]:
    """The container of `previous` and then `method`, and its mask on top of `mask`. An
    existing container gets `method` added (kept only if the mask could be computed)."""
    container = previous if isinstance(previous, PruningContainer) else PruningContainer(previous)
    container.add_pruning_method(method)
    try:
        return container, container.compute_mask(scores, default_mask=Tensor(_array(mask)))
    except Exception:
        container._pruning_methods = container._pruning_methods[:-1]
        raise


class PruningContainer(BasePruningMethod):
    """Pruning methods applied one after another to the same tensor (what pruning a
    parameter twice registers). Its mask is the last method's, computed only on the part
    the earlier ones left: unpruned entries, or channels not yet entirely pruned."""

    def __init__(self, *methods: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        for method in methods:
            self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod | None) -> None:
        """Apply `method` after the others (it must prune the same tensor)."""
        if method is None:
            return
        if not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if self._tensor_name is None and not self._pruning_methods:
            self._tensor_name = method._tensor_name
        if self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        return iter(self._pruning_methods)

    def __getitem__(self, index: int) -> BasePruningMethod:
        return self._pruning_methods[index]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """`default_mask` (in t's dtype) with the last method's mask written over the part
        of it that method may still prune."""
        method = self._pruning_methods[-1]
        values = _array(t)
        mask = _array(default_mask).astype(values.dtype)
        part = _unpruned(method, mask)
        mask[part] = _array(method.compute_mask(Tensor(np.array(values[part])),
                                                default_mask=Tensor(np.array(mask[part]))))
        return Tensor(mask)


class Identity(BasePruningMethod):
    """Prunes nothing: the mask stays as it is (all ones the first time)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> Identity:  # type: ignore[override]
        """Reparametrize `module.<name>` with an all-ones mask."""
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes `amount` entries (a fraction of them, or a count) chosen at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: float) -> None:
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        size = math.prod(t.shape)
        count = _count(self.amount, size)
        if count == 0:  # (PyTorch draws nothing then)
            return _zero_entries(default_mask, np.arange(0))
        kind = _array(t).dtype if _array(t).dtype.kind == "f" else np.float32
        draws = numpy_generator(None).random(size, dtype=kind)  # (PyTorch: rand_like(t))
        return _zero_entries(default_mask, np.argsort(draws, kind="stable")[size - count:])

    @classmethod
    def apply(cls, module: Module, name: str, amount: float  # type: ignore[override]
              ) -> BasePruningMethod:
        """Prune `amount` random entries of `module.<name>`."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the `amount` entries (a fraction of them, or a count) of smallest |value|."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: float) -> None:
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        values = _array(t).reshape(-1)
        count = _count(self.amount, values.size)
        order = np.argsort(np.abs(values), kind="stable")  # ties: the lowest index first
        return _zero_entries(default_mask, order[:count])

    @classmethod
    def apply(cls, module: Module, name: str, amount: float,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        """Prune the `amount` entries of `module.<name>` of smallest |importance score|."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` whole channels along `dim` (a fraction of them, or a count), chosen at
    random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: float, dim: int = -1) -> None:
        _check_amount(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        values = _array(t)
        axis = _channel_axis(values, self.dim)
        count = _count(self.amount, values.shape[axis])
        if count == 0:
            return default_mask
        draws = numpy_generator(None).random(values.shape[axis], dtype=np.float32)
        return _keep_channels(values, default_mask, axis, np.argsort(draws)[count:])

    @classmethod
    def apply(cls, module: Module, name: str, amount: float,  # type: ignore[override]
              dim: int = -1) -> BasePruningMethod:
        """Prune `amount` random channels of `module.<name>` along `dim`."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` channels along `dim` (a fraction of them, or a count) of smallest
    L`n` norm (n: a number, inf, -inf or "fro")."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: float, n: Any, dim: int = -1) -> None:
        _check_amount(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        values = _array(t)
        axis = _channel_axis(values, self.dim)
        size = values.shape[axis]
        count = _count(self.amount, size)
        if count == 0:
            return default_mask
        order = np.argsort(-_channel_norms(values, self.n, axis), kind="stable")
        return _keep_channels(values, default_mask, axis, order[:size - count])

    @classmethod
    def apply(cls, module: Module, name: str, amount: float, n: Any,  # type: ignore[override]
              dim: int, importance_scores: Tensor | None = None) -> BasePruningMethod:
        """Prune the `amount` channels of `module.<name>` along `dim` of smallest L`n` norm
        (of the importance scores, if given)."""
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given mask is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise AssertionError(f"default_mask shape {tuple(default_mask.shape)} must match "
                                 f"self.mask shape {tuple(self.mask.shape)}")
        current = _array(default_mask)
        return Tensor(current * _array(self.mask).astype(current.dtype))

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor  # type: ignore[override]
              ) -> BasePruningMethod:
        """Prune `module.<name>` where `mask` is 0."""
        return super().apply(module, name, mask=mask)


# ----------------------------------------------------------------- the functions
def identity(module: Module, name: str) -> Module:
    """Reparametrize `module.<name>` as pruned, with a mask of ones; returns module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: float) -> Module:
    """Prune `amount` (a fraction in [0, 1] or a count) random entries of `module.<name>`;
    returns module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: float,
                    importance_scores: Tensor | None = None) -> Module:
    """Prune the `amount` (a fraction in [0, 1] or a count) entries of `module.<name>` of
    smallest absolute value (of `importance_scores`, if given); returns module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: float, dim: int) -> Module:
    """Prune `amount` (a fraction or a count) random channels of `module.<name>` along
    `dim`; returns module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: float, n: Any, dim: int,
                  importance_scores: Tensor | None = None) -> Module:
    """Prune the `amount` (a fraction or a count) channels of `module.<name>` along `dim`
    of smallest L`n` norm; returns module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Iterable[tuple[Module, str]],
                        pruning_method: type[BasePruningMethod],
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune the (module, name) pairs as one tensor: `pruning_method(**kwargs)` (an
    unstructured method, such as L1Unstructured with `amount=`) chooses among all their
    unpruned entries together; `importance_scores` maps a pair to its scores. Each
    parameter then gets its share of the mask through `custom_from_mask`."""
    from tinygrad_np.nn.utils import parameters_to_vector

    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = {} if importance_scores is None else importance_scores
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    with no_grad():
        scores = parameters_to_vector([importance_scores.get((module, name), getattr(
            module, name)) for module, name in parameters])
        masks = parameters_to_vector([_current_mask(module, name) for module, name in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final = _array(container.compute_mask(scores, masks))
    start = 0
    for module, name in parameters:
        shape = tuple(getattr(module, name).shape)
        count = math.prod(shape)
        custom_from_mask(module, name, mask=Tensor(final[start:start + count].reshape(shape)))
        start += count


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prune `module.<name>` where `mask` (same shape) is 0; returns module."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make the pruning of `module.<name>` permanent: it becomes a Parameter again, holding
    the pruned values, and `<name>_orig`, `<name>_mask` and the hook go. Returns module."""
    for key, hook in _pruning_hooks(module, name):
        hook.remove(module)
        del _pre_hooks(module)[key]
        return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module: Module) -> bool:
    """Whether any parameter of `module` or of a module below it is pruned."""
    return any(_pruning_hooks(submodule) for submodule in module.modules())


__all__ = ["BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured", "LnStructured",
           "PruningContainer", "RandomStructured", "RandomUnstructured", "custom_from_mask",
           "global_unstructured", "identity", "is_pruned", "l1_unstructured", "ln_structured",
           "random_structured", "random_unstructured", "remove"]
