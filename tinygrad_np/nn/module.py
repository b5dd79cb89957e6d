"""`Module`: the base class of layers and models, found and named by walking attributes.

A module's parameters and sub-modules are simply its attributes, in the order they were first
assigned, plus whatever sits inside attributes that are lists, tuples or dicts (at any depth)::

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = [nn.Linear(4, 8), nn.Linear(8, 8)]   # hidden.0.weight, ...
            self.out = nn.Linear(8, 1)                          # out.weight, out.bias
        def forward(self, x):
            for layer in self.hidden:
                x = layer(x).relu()
            return self.out(x)

No registration step is needed (`nn.ModuleList` and friends exist for PyTorch code, but a
plain list works too), and no `__setattr__` magic: the walk reads `vars(self)`, whose order
Python keeps. Modules are visited depth first in that order; as in PyTorch, a module's own
parameters come before those of its sub-modules, and a parameter or module reachable twice
is reported once, under its first name.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from tinygrad_np.device import as_device, is_device
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped (as PyTorch returns it)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _members(value: Any, name: str) -> Iterator[tuple[str, Module | Parameter]]:
    """Every Module or Parameter in `value`, looking inside lists, tuples and dicts."""
    if isinstance(value, (Module, Parameter)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            yield from _members(item, f"{name}.{position}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _members(item, f"{name}.{key}")


class Module:
    """Base class for layers and models: subclass it, assign layers and Parameters as
    attributes in `__init__`, and define `forward`. Calling the module calls `forward`.
    """

    # A class attribute, so a subclass that forgets super().__init__() still works.
    training: bool = True
    # Set once the first call has named the parameters (see named_parameters).
    _parameters_named: bool = False

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._parameters_named:
            # Name the parameters before their first use, so a graph drawn from this forward
            # pass shows `0.weight`, not an anonymous box (a walk, once per module).
            self._parameters_named = True
            for _ in self.named_parameters():
                pass
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- the tree walk
    def _direct_members(self) -> Iterator[tuple[str, Module | Parameter]]:
        """This module's own parameters and children, by attribute, in definition order."""
        for name, value in vars(self).items():
            yield from _members(value, name)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules as (name, module); names inside lists read `layers.0`."""
        seen: set[int] = set()
        for name, member in self._direct_members():
            if isinstance(member, Module) and id(member) not in seen:
                seen.add(id(member))
                yield name, member

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`, "" at the top) and every module below it, depth first."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(_join(name, child_name), child)
                        for child_name, child in module.named_children()]
            stack.extend(reversed(children))  # reversed: pop them in definition order

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """Every Parameter below this module as (dotted name, parameter), in PyTorch's order:
        modules depth first in definition order, each module's own parameters (in definition
        order) before those of its sub-modules.

        Names follow the attribute path: `0.weight` in a Sequential, `encoder.fc1.bias`.
        A parameter without a name gets this one as its `.name` (graph drawings show it);
        this also happens on a module's first call. A later walk from a module further up
        may lengthen such a name, never replace a name the user set.
        """
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, member in module._direct_members():
                if isinstance(member, Parameter) and id(member) not in seen:
                    seen.add(id(member))
                    name = _join(module_name, name)
                    _give_name(member, name)
                    yield name, member

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter below this module, in named_parameters' order (for an optimizer)."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a sub-module under `name` (the same as assigning the attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} is a {type(module).__name__}, not a Module")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"add_module: the name must be a non-empty string without '.', "
                           f"got {name!r}")
        setattr(self, name, module)

    register_module = add_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or None, a placeholder) under `name` (as assigning the attribute)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} is a {type(param).__name__}, "
                            "not an nn.Parameter")
        setattr(self, name, param)

    def apply(self, fn: Any) -> Module:
        """Call `fn(module)` on every sub-module (children first) and then on self; returns
        self. The usual way to initialise weights: `model.apply(init_weights)`."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter (False freezes them); returns self."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    # ----------------------------------------------------------------- training helpers
    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets `.grad` to None, as PyTorch does)."""
        for parameter in self.parameters():
            parameter.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set `.training` on this module and all below it (layers such as dropout read it)."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Same as `train(False)`."""
        return self.train(False)

    # ----------------------------------------------------------------- dtype and device
    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False) -> Module:
        """`model.to("cpu")`, `model.to(tg.float64)`, `model.to("cpu", tg.float64)`,
        `model.to(tensor)`: converts the floating-point parameters (and buffers) in place, so
        each Parameter object stays the same one (an optimizer holding it sees the change).
        Only the CPU exists: any other device raises. Returns self."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif is_device(arg):
                device = arg
            else:
                dtype = arg
        as_device(device, "Module.to")
        if dtype is not None:
            if np.dtype(dtype).kind != "f":
                raise TypeError(f"Module.to: only floating-point dtypes, got {np.dtype(dtype)}")
            self._convert_floats(np.dtype(dtype))
        return self

    def _convert_floats(self, dtype: np.dtype) -> None:
        tensors = list(self.parameters())
        buffers = getattr(self, "buffers", None)  # buffers come with register_buffer
        if buffers is not None:
            tensors += [buffer for buffer in buffers() if isinstance(buffer, Tensor)]
        for tensor in tensors:
            if tensor.dtype.kind == "f" and tensor.dtype != dtype:
                tensor.data = tensor.data.astype(dtype)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad.data.astype(dtype))

    def float(self) -> Module:
        """Floating-point parameters and buffers to float32, in place; returns self."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Floating-point parameters and buffers to float64, in place; returns self."""
        return self.to(np.float64)

    def half(self) -> Module:
        """Floating-point parameters and buffers to float16, in place; returns self."""
        return self.to(np.float16)

    def cpu(self) -> Module:
        """Self: everything is on the CPU already."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Module:
        """Always raises: tinygrad_np has no GPU backend."""
        return self.to("cuda")

    # ----------------------------------------------------------------- weights in and out
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Dotted name -> a copy of the parameter's array, in definition order."""
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy arrays (or Tensors) into the parameters with the same names, in place.

        Each parameter keeps its own array and dtype, so an optimizer holding it sees the new
        values. Every problem is reported in one ValueError before anything is copied: keys
        the model lacks ("unexpected") or that the dict lacks ("missing"), both only when
        `strict`, and shape mismatches, always.
        """
        parameters = dict(self.named_parameters())
        values = {name: np.asarray(value.data if isinstance(value, Tensor) else value)
                  for name, value in state_dict.items()}
        missing = [name for name in parameters if name not in values]
        unexpected = [name for name in values if name not in parameters]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        for name, parameter in parameters.items():
            if name in values and values[name].shape != parameter.shape:
                problems.append(
                    f"wrong shape for {name}: the model has {parameter.shape}, the state dict "
                    f"{values[name].shape}"
                )
        if problems:
            raise ValueError(
                f"load_state_dict for {type(self).__name__}: " + "; ".join(problems)
            )
        for name, parameter in parameters.items():
            if name in values:
                np.copyto(parameter.data, values[name], casting="same_kind")
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        # PyTorch's layout: one "(name): child" line per child, nested children indented.
        extra = self.extra_repr()
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [extra] if extra else []
        lines += [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _give_name(parameter: Parameter, name: str) -> None:
    """Name an unnamed parameter, or lengthen a name the tree gave it (`weight` -> `0.weight`)."""
    if not name:
        return
    current = parameter.name
    auto_name = getattr(parameter, "_auto_name", None)
    if current is None or (current == auto_name and name.endswith("." + current)):
        parameter.name = name
        parameter._auto_name = name
