"""PyTorch's `torch.nn.utils.parametrize`: a module attribute computed from other parameters.

`register_parametrization(module, "weight", P())` replaces the Parameter `module.weight` by
`module.parametrizations.weight.original` (or original0, original1, ... when P has a
`right_inverse` returning a tuple); reading `module.weight` then computes `P()(originals)`
each time, a composition of Tensor ops, so gradients reach the originals. As PyTorch, the
module's class is swapped for a subclass holding the attribute as a property.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from tinygrad_np.errors import TensorError
from tinygrad_np.function import no_grad
from tinygrad_np.nn.container import ModuleDict, folded_repr
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor


class ParametrizationList(Module):
    """The parametrizations of one attribute and the original tensor(s) they start from."""

    def __init__(self, modules: list[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__()
        self.unsafe = unsafe  # (PyTorch's attribute: register_parametrization checks shapes)
        for module in modules:  # children "0", "1", ...: PyTorch's state-dict keys
            self.append(module)
        right_inverse = getattr(modules[0], "right_inverse", None)
        start = original
        with no_grad(), contextlib.suppress(NotImplementedError):  # (not implemented: the
            start = right_inverse(original) if right_inverse is not None else original  # id)
        if isinstance(start, (tuple, list)):
            self.is_tensor = False
            for index, value in enumerate(start):
                setattr(self, f"original{index}", Parameter(value.detach().clone()))
            self.ntensors = len(start)
        else:  # the same tensor object, holding right_inverse(original), as PyTorch's set_:
            self.is_tensor = True  # an optimizer made earlier keeps training it
            if start is not original:
                if start.dtype != original.dtype:
                    raise ValueError(f"When `right_inverse` outputs one tensor, it may not "
                                     f"change the dtype.\noriginal.dtype: {original.dtype.name}\n"
                                     f"right_inverse(original).dtype: {start.dtype.name}")
                original.data = start.detach().clone()
            if isinstance(original, Parameter):
                self.original = original
            else:
                self.register_buffer("original", original)

    @property
    def chain(self) -> list[Module]:
        """The parametrizations, in the order they apply."""
        return [vars(self)[str(i)] for i in range(len(self))]

    def append(self, module: Module) -> None:
        """Apply `module` after the others."""
        setattr(self, str(len(self)), module)

    def __len__(self) -> int:
        count = 0
        while str(count) in vars(self):
            count += 1
        return count

    def __getitem__(self, index: int) -> Module:
        return self.chain[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.chain)

    def __repr__(self) -> str:  # PyTorch's (a ModuleList there): the chain, runs folded
        return folded_repr(self._get_name(), self.chain)

    def right_inverse(self, value: Tensor) -> None:
        """Set the originals so that the chain gives `value` (what `module.weight = value`
        does): each parametrization's right_inverse, last to first."""
        with no_grad():
            for module in reversed(self.chain):
                if not hasattr(module, "right_inverse"):
                    raise TensorError(f"parametrization {type(module).__name__} does not "
                                      "implement right_inverse.")
                value = module.right_inverse(value)
            values = [value] if self.is_tensor else list(value)
            names = ["original"] if self.is_tensor else [f"original{i}"
                                                         for i in range(self.ntensors)]
            for name, new in zip(names, values):
                original = getattr(self, name)
                if new.dtype != original.dtype:
                    raise ValueError(f"When `right_inverse` outputs one tensor, it may not "
                                     f"change the dtype. original.dtype: {original.dtype.name} "
                                     f"right_inverse(original).dtype: {new.dtype.name}")
                if new.shape == original.shape:
                    original.copy_(new)
                else:  # (unsafe parametrizations may change the shape)
                    original.data = new.detach().clone()

    def forward(self) -> Tensor:
        if self.is_tensor:
            value = self.chain[0](self.original)
        else:
            value = self.chain[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in self.chain[1:]:
            value = module(value)
        return value


class _Parametrizations(ModuleDict):
    """module.parametrizations: a ModuleDict whose entries read as attributes too
    (`module.parametrizations.weight.original0`), as in PyTorch."""

    def _get_name(self) -> str:
        return "ModuleDict"

    def __getattr__(self, name: str) -> ParametrizationList:
        items = vars(self).get("_items", {})
        if name in items:
            return items[name]
        raise AttributeError(f"'ModuleDict' object has no attribute {name!r}")


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether `module` (or its attribute `tensor_name`) is parametrized."""
    parametrizations = vars(module).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return tensor_name is None or tensor_name in parametrizations


# Inside `with cached():` each parametrized tensor is computed once, keyed by
# (id(module), name), as PyTorch's cache; the outermost block's end empties it.
_cache_depth = 0
_cache: dict[tuple[int, str], Tensor] = {}


def _property(name: str) -> property:
    def get(module: Module) -> Tensor:
        if not _cache_depth:
            return module.parametrizations[name]()
        key = (id(module), name)
        value = _cache.get(key)
        if value is None:
            value = _cache[key] = module.parametrizations[name]()
        return value

    def set(module: Module, value: Tensor) -> None:
        module.parametrizations[name].right_inverse(value)

    return property(get, set)


def _check_shape(before: Any, after: Any) -> None:
    """PyTorch's rule without unsafe=True: a parametrization keeps the shape and dtype."""
    if not isinstance(after, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(after).__name__}.")
    for what, old, new in (("dtype", before.dtype, after.dtype),
                           ("shape", before.shape, after.shape)):
        if old != new:
            raise ValueError(f"Registering a parametrization may not change the {what} of the "
                             "tensor, unless `unsafe` flag is enabled.\n"
                             f"unparametrized {what}: {old}\nparametrized {what}: {new}")


def register_parametrization(module: Module, tensor_name: str, parametrization: Module,
                             *, unsafe: bool = False) -> Module:
    """Make `module.<tensor_name>` be `parametrization(original)` (see the module docstring);
    a second parametrization of the same attribute applies after the first. Unless `unsafe`,
    the parametrized tensor must keep the shape and dtype of the original (ValueError)."""
    if is_parametrized(module, tensor_name):
        before = getattr(module, tensor_name)
        entries = module.parametrizations[tensor_name]
        entries.append(parametrization)
        if not unsafe:
            try:
                _check_shape(before, getattr(module, tensor_name))
            except ValueError:
                delattr(entries, str(len(entries) - 1))
                raise
        return module
    original = vars(module).get(tensor_name)
    # a plain tensor attribute (a pruned `weight`, recomputed by prune's hook) is neither
    if not (isinstance(original, Parameter) or tensor_name in module._buffers):
        raise TensorError(f"Module '{module}' does not have a parameter, a buffer, "
                          f"or a parametrized element with name '{tensor_name}'")
    unparametrized = SimpleNamespace(dtype=original.dtype, shape=original.shape)
    entries = ParametrizationList([parametrization], original, unsafe)  # (may reshape `original`)
    if not unsafe:
        _check_shape(unparametrized, entries())
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.parametrizations = _Parametrizations()
        base = type(module)
        module.__class__ = type(f"Parametrized{base.__name__}", (base,), {})
    module.parametrizations[tensor_name] = entries
    setattr(type(module), tensor_name, _property(tensor_name))
    return module


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo register_parametrization: `module.<tensor_name>` becomes a Parameter again,
    holding the parametrized value (leave_parametrized=True) or the original."""
    if not is_parametrized(module, tensor_name):
        raise TensorError(f"Module {type(module).__name__} does not have a parametrization on "
                          f"{tensor_name}")
    entry = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            parametrized = getattr(module, tensor_name).detach().clone()
        if entry.is_tensor:  # the same Parameter object, as PyTorch's set_: an optimizer
            value = entry.original  # made earlier keeps training it
            if value.dtype != parametrized.dtype:
                raise TensorError(f"remove_parametrizations: the parametrized {tensor_name} "
                                  f"has dtype {parametrized.dtype.name}, the original "
                                  f"{value.dtype.name}; they must agree")
            value.data = parametrized  # (its shape may differ: right_inverse may reshape)
        else:
            value = Parameter(parametrized)
    elif entry.is_tensor:
        value = entry.original
    else:
        raise TensorError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                          "that is parametrized in terms of a sequence of tensors.")
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if len(module.parametrizations) == 0:
        del module.parametrizations
        module.__class__ = type(module).__bases__[0]
    setattr(module, tensor_name, value)
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class as it was before register_parametrization swapped it."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Give `to_module` the parametrizations of `from_module` (all, or those of `tensor_name`),
    sharing the parametrization modules and the original Parameters."""
    if not is_parametrized(from_module):
        raise ValueError(f"{type(from_module).__name__} has no parametrizations")
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        source = from_module.parametrizations[name]
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach().clone()))
        if not is_parametrized(to_module, name):
            for parametrization in source:
                register_parametrization(to_module, name, parametrization, unsafe=True)
        target = to_module.parametrizations[name]
        originals = ["original"] if source.is_tensor else [f"original{i}"
                                                            for i in range(source.ntensors)]
        for original in originals:
            setattr(target, original, getattr(source, original))
    return to_module


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """A block in which each parametrized tensor is computed once, at its first read, and
    that same tensor returned after (as PyTorch's: an orthogonal weight used at every step of
    an RNN is computed once); nested blocks share the cache, emptied when the outermost
    ends."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "transfer_parametrizations_and_params",
           "type_before_parametrizations"]
