"""Containers: `Sequential` (modules applied one after another) and PyTorch's holders
`ModuleList`, `ModuleDict`, `ParameterList`, `ParameterDict`.

A plain list or dict attribute of Modules is found by the tree walk too (see nn.Module); these
classes exist so PyTorch code runs unchanged, and they name their members as PyTorch does
(`layers.0.weight`, `heads.left.bias`).
"""

from __future__ import annotations

import operator
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tinygrad_np.nn.module import HOOK_ATTRIBUTES, Module, _members, check_member_name
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output.

    `Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))`, or with names,
    `Sequential(OrderedDict(hidden=..., act=...))`. Each module is an attribute named by its
    position ("0", "1", ...) or key, so parameters are named `0.weight`, `hidden.bias`.
    Indexable (a slice gives a Sequential), iterable, and has a length.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            named = list(modules[0].items())
        else:
            named = [(str(position), module) for position, module in enumerate(modules)]
        for name, module in named:
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: item {name} is a {type(module).__name__}, not an nn.Module"
                )
            setattr(self, name, module)

    def _layer_table(self) -> _Layers:
        """The (name, module) table, rebuilt only after a change it could not follow."""
        table = _LAYERS.get(self)
        if table is None or table.size != len(vars(self)):
            table = _LAYERS[self] = _Layers(vars(self))
        return table

    def _named_layers(self) -> list[tuple[str, Module]]:
        """Every (name, module) in order, repeats included (a module may be used twice)."""
        table = self._layer_table()
        return list(zip(table.names, table.modules))

    def _layers(self) -> list[Module]:
        return list(self._layer_table().modules)

    def __setattr__(self, name: str, value: Any) -> None:
        table, attributes = _LAYERS.get(self), vars(self)
        fresh = name not in attributes
        super().__setattr__(name, value)
        if table is not None:  # follow an append or a replacement; anything else rebuilds
            value = attributes[name]  # (as a registration hook may have changed it)
            if not table.follow(name, value, fresh, len(attributes)):
                _LAYERS.pop(self, None)

    def __delattr__(self, name: str) -> None:
        _LAYERS.pop(self, None)
        super().__delattr__(name)

    def __setstate__(self, state: dict) -> None:
        _LAYERS.pop(self, None)
        super().__setstate__(state)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 (PyTorch's name)
        for value in [*vars(self).values()]:  # the layers, in order (a hook may add attributes)
            if isinstance(value, Module):
                input = value(input)
        return input

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(OrderedDict(self._named_layers()[index]))
        modules = self._layer_table().modules
        return modules[_position(index, len(modules))]

    def __len__(self) -> int:
        return len(self._layer_table().modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers())

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end (named by its position); returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: got a {type(module).__name__}, not an nn.Module")
        position = len(self)
        while hasattr(self, str(position)):  # after a slice the names need not be 0..n-1
            position += 1
        setattr(self, str(position), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Add each of `modules` at the end; returns self."""
        for module in _iterable(modules, "Sequential.extend"):
            self.append(module)
        return self

    def __setitem__(self, index: int, module: Module) -> None:
        """Replace the module at `index`, keeping its name (`model.classifier[6] = ...`)."""
        layers = self._named_layers()
        name = layers[_position(index, len(layers))][0]
        setattr(self, name, _module(module, "Sequential"))

    def __delitem__(self, index: int | slice) -> None:
        """Remove the module(s) at `index`; the rest are renumbered 0, 1, ... as in PyTorch."""
        layers = self._layers()
        del layers[index if isinstance(index, slice) else _position(index, len(layers))]
        self._renumber(layers)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at `index` (the rest renumbered)."""
        module = self[index]
        del self[index]
        return module

    def insert(self, index: int, module: Module) -> Sequential:
        """Put `module` before position `index` (the modules renumbered); returns self."""
        layers = self._layers()
        if not -len(layers) <= index <= len(layers):
            raise IndexError(f"Sequential.insert: index {index} is out of range for "
                             f"{len(layers)} modules")
        layers.insert(index, _module(module, "Sequential.insert"))
        self._renumber(layers)
        return self

    def __add__(self, other: Sequential) -> Sequential:
        """A new Sequential of this one's modules and then other's (the same objects)."""
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        return self.extend(list(other))

    def __mul__(self, times: int) -> Sequential:
        """A new Sequential holding this one's modules `times` over (the same objects)."""
        if not isinstance(times, int) or isinstance(times, bool) or times <= 0:
            raise (TypeError if not isinstance(times, int) else ValueError)(
                f"Non-positive multiplication factor {times} for Sequential")
        return Sequential(*(list(self) * times))

    __rmul__ = __mul__

    def __imul__(self, times: int) -> Sequential:
        layers = list(self * times)
        self._renumber(layers)
        return self

    def _renumber(self, layers: list[Module]) -> None:
        for name, _ in self._named_layers():
            delattr(self, name)
        for position, module in enumerate(layers):
            setattr(self, str(position), module)


class _Layers:
    """A Sequential's modules in attribute order with their names, and the number of its
    attributes when this was right (a different number: rebuild)."""

    def __init__(self, attributes: dict[str, Any]) -> None:
        self.size = len(attributes)
        named = [(name, value) for name, value in attributes.items() if isinstance(value, Module)]
        self.names = [name for name, _ in named]
        self.modules = [module for _, module in named]
        self.positions = {name: position for position, name in enumerate(self.names)}

    def follow(self, name: str, value: Any, fresh: bool, size: int) -> bool:
        """Take in `setattr(name, value)` (`fresh`: a new attribute, now the last one);
        False when this table cannot (a module replaced by a plain value, or the reverse)."""
        is_module, position = isinstance(value, Module), self.positions.get(name)
        if size != self.size + fresh:  # the attributes changed behind setattr's back
            return False
        if fresh and is_module:
            self.positions[name] = len(self.names)
            self.names.append(name)
            self.modules.append(value)
        elif position is not None and is_module:
            self.modules[position] = value
        elif is_module or position is not None:
            return False
        self.size = size
        return True


# Each Sequential's _Layers (kept apart from its attributes, which the tree walk reads)
_LAYERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _module(value: Any, container: str) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{container}: got a {type(value).__name__}, not an nn.Module")
    return value


def _position(index: Any, size: int) -> int:
    """`index` as a position among `size` members, as PyTorch's containers check it: an
    integer (TypeError otherwise) in [-size, size) (IndexError "index 7 is out of range")."""
    index = operator.index(index)
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range")
    return index % size


def _iterable(values: Any, method: str, what: str = "an iterable") -> Any:
    """`values` if it can be iterated, else PyTorch's TypeError naming `method`."""
    if not isinstance(values, Iterable):
        raise TypeError(f"{method} should be called with {what}, but got "
                        f"{type(values).__name__}")
    return values


def _parameter(value: Any) -> Any:
    """As PyTorch's ParameterList: a Tensor that is not yet a Parameter becomes one; any other
    value is kept as it is (a Module is a sub-module, the rest plain values)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value._data)
    return value


class ModuleList(Module):
    """A list of modules whose parameters the model sees (named `0.weight`, `1.bias`, ...).

    Index it, slice it (a slice is a ModuleList), iterate, `len()`, `append`, `extend`,
    `insert`, assign and delete items. It has no forward: call its modules yourself.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._items: list[Module] = []
        if modules is not None:
            self.extend(modules)

    def _direct_members(self) -> Iterator[tuple[str, Module]]:
        for position, module in enumerate(self._items):
            yield str(position), module

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self._items[index])
        return self._items[_position(index, len(self._items))]

    def __setitem__(self, index: int, module: Module) -> None:
        self._items[_position(index, len(self._items))] = _module(module, "ModuleList")

    def __delitem__(self, index: int | slice) -> None:
        del self._items[index if isinstance(index, slice) else _position(index,
                                                                         len(self._items))]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self._items, *other])

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove and return the module at `index`."""
        return self._items.pop(_position(index, len(self._items)))

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end; returns self."""
        self._items.append(_module(module, "ModuleList.append"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of `modules` at the end; returns self."""
        for module in _iterable(modules, "ModuleList.extend"):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert `module` before position `index`."""
        self._items.insert(index, _module(module, "ModuleList.insert"))

    def __repr__(self) -> str:
        return folded_repr(self._get_name(), self._items)


def folded_repr(name: str, modules: list[Any]) -> str:
    """PyTorch's ModuleList repr (its subclasses' too, under their own name): runs of
    equal-looking modules fold into "(0-2): 3 x Linear(...)"."""
    if not modules:
        return f"{name}()"
    lines, start = [], 0
    texts = [repr(module) for module in modules]
    while start < len(texts):
        end = start
        while end + 1 < len(texts) and texts[end + 1] == texts[start]:
            end += 1
        label = f"({start})" if end == start else f"({start}-{end}): {end - start + 1} x"
        sep = ":" if end == start else ""
        lines.append(f"{label}{sep} " + texts[start].replace("\n", "\n  "))
        start = end + 1
    return f"{name}(\n  " + "\n  ".join(lines) + "\n)"


class _KeyedMembers(Module):
    """What ModuleDict and ParameterDict share: an ordered str-keyed dict of members that
    the model sees under their keys; `convert` checks (and converts) each value put in."""

    kind = "ModuleDict"
    member_type: Any = Module  # a new attribute of this type becomes an entry

    def __init__(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
                 ) -> None:
        super().__init__()
        self._items: dict[str, Any] = {}
        if entries is not None:
            self.update(entries)

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def _direct_members(self) -> Iterator[tuple[str, Any]]:
        for key, value in self._items.items():
            if isinstance(value, (Parameter, Module)):  # (plain values are not members)
                yield key, value
        for name, value in vars(self).items():  # a parameter or module set as an attribute
            if name != "_items" and name not in HOOK_ATTRIBUTES:
                yield from _members(value, name)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __getattr__(self, name: str) -> Any:  # (only when the usual lookup fails)
        items = self.__dict__.get("_items")  # `blocks.wte` for blocks["wte"], as PyTorch's
        if items is not None and name in items:
            return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        """`blocks.wte = m` is `blocks["wte"] = m` for an entry or a new member, as PyTorch's
        (one place for the member: its parameters and state dict follow)."""
        items = self.__dict__.get("_items")
        if items is not None and (name in items or isinstance(value, self.member_type)):
            self[name] = value
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        items = self.__dict__.get("_items")
        if items is not None and name in items:
            del items[name]
        else:
            super().__delattr__(name)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"{self.kind}: keys must be strings, got {type(key).__name__}")
        check_member_name("module" if self.member_type is Module else "parameter", key)
        taken = self.member_type is Module if key == "training" else hasattr(type(self), key)
        if taken and key not in self._items:  # a method's name (PyTorch's add_module check)
            raise KeyError(f"attribute '{key}' already exists")
        self._items[key] = self.convert(value)

    def __delitem__(self, key: str) -> None:
        del self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._items)

    def keys(self) -> Any:
        """The keys, in insertion order."""
        return self._items.keys()

    def values(self) -> Any:
        """The members, in insertion order."""
        return self._items.values()

    def items(self) -> Any:
        """(key, member) pairs, in insertion order."""
        return self._items.items()

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add or replace entries from a mapping (another ModuleDict or ParameterDict too) or
        from (key, value) pairs."""
        if isinstance(entries, (Mapping, _KeyedMembers)):
            entries = entries.items()
        for number, pair in enumerate(_iterable(entries, f"{self.kind}.update",
                                                "an iterable of key/value pairs")):
            if not isinstance(pair, Iterable):
                raise TypeError(f"{self.kind} update sequence element #{number} should be "
                                f"Iterable; is {type(pair).__name__}")
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError(f"{self.kind} update sequence element #{number} has length "
                                 f"{len(pair)}; 2 is required")
            self[pair[0]] = pair[1]

    def pop(self, key: str) -> Any:
        """Remove the entry `key` and return its member."""
        return self._items.pop(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The member under `key`, or `default`."""
        return self._items.get(key, default)

    def clear(self) -> None:
        """Remove every entry."""
        self._items.clear()


class ModuleDict(_KeyedMembers):
    """An ordered dict of modules (str keys) whose parameters the model sees (`key.weight`).

    Index by key, `in`, `len()`, iterate over keys, `keys()`, `values()`, `items()`,
    `update()`, `pop()`, `clear()`.
    """

    member_type = Module

    def __init__(self, modules: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
                 ) -> None:
        super().__init__(modules)

    def convert(self, value: Any) -> Module:
        return _module(value, "ModuleDict")


def _parameter_lines(items: Iterable[tuple[Any, Any]], type_name: Any) -> str:
    """PyTorch's extra_repr of ParameterList / ParameterDict: one indented line per entry,
    `type_name(tensor)` naming its type (the two classes name it differently, as there)."""
    lines = []
    for key, value in items:
        if isinstance(value, Tensor):
            kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
            size = "x".join(str(n) for n in value.shape)
            lines.append(f"  ({key}): {kind} containing: [{type_name(value)} of size {size}]")
        else:
            lines.append(f"  ({key}): Object of type: {type(value).__name__}")
    return "\n".join(lines)


class ParameterList(Module):
    """A list of Parameters a model learns (named `0`, `1`, ...); Tensors given to it become
    Parameters. Index, iterate, `len()`, `append`, `extend`, assign items."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._items: list[Parameter] = []
        if values is not None:
            self.extend(values)

    def _direct_members(self) -> Iterator[tuple[str, Parameter]]:
        for position, value in enumerate(self._items):
            if isinstance(value, (Parameter, Module)):  # (plain values are not members)
                yield str(position), value

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ParameterList(self._items[index])
        return self._items[_position(index, len(self._items))]

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def __setitem__(self, index: int, value: Any) -> None:
        self._items[_position(index, len(self._items))] = _parameter(value)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._items)

    def append(self, value: Any) -> ParameterList:
        """Add a Parameter (or a Tensor, made one) at the end; returns self."""
        self._items.append(_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Add each value at the end; returns self."""
        for value in _iterable(values, "ParameterList.extend"):
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return _parameter_lines(enumerate(self._items), lambda p: str(p.dtype))


class _MissingParameter(AttributeError, KeyError):
    """A missing ParameterDict key: PyTorch's AttributeError, still a KeyError for dict code."""


class ParameterDict(_KeyedMembers):
    """An ordered dict of Parameters (str keys) a model learns; Tensors become Parameters."""

    kind = "ParameterDict"
    member_type = ()  # a new attribute is a plain parameter of it, not an entry (PyTorch)

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
                 ) -> None:
        super().__init__(parameters)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._items[key]
        except KeyError:  # PyTorch's getattr: an AttributeError (also a KeyError here)
            raise _MissingParameter(f"'ParameterDict' object has no attribute "
                                    f"'{key}'") from None

    def convert(self, value: Any) -> Parameter:
        return _parameter(value)

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with each key holding `default` (a Tensor becomes one
        Parameter per key, as PyTorch's)."""
        return ParameterDict([(key, default) for key in keys])

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last (key, value) added; KeyError when empty."""
        if not self._items:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._items))
        return key, self._items.pop(key)

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add or replace entries; a plain dict's in sorted key order, as PyTorch's
        ParameterDict (an OrderedDict, a ParameterDict or pairs keep their order), so the
        parameters' order and a converted optimizer state line up."""
        if isinstance(entries, Mapping) and not isinstance(entries, (OrderedDict,
                                                                      ParameterDict)):
            entries = sorted(entries.items())
        super().update(entries)

    def extra_repr(self) -> str:
        return _parameter_lines(self._items.items(), lambda p: p.type())

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The entry `key`, first set to `default` if it is missing."""
        if key not in self:
            self[key] = default
        return self[key]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same Parameters."""
        return ParameterDict(OrderedDict(self.items()))

    def __or__(self, other: Mapping[str, Any]) -> ParameterDict:
        result = self.copy()
        result.update(other)
        return result

    def __ror__(self, other: Mapping[str, Any]) -> dict:
        """`dict | parameter_dict`: a copy of the plain dict, updated (PyTorch's)."""
        result = other.copy()
        result.update(self.items())
        return result

    def __ior__(self, other: Mapping[str, Any]) -> ParameterDict:
        self.update(other)
        return self
