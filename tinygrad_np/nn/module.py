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
plain list works too). `__setattr__` does two things, both PyTorch's: assigning an
`nn.Buffer` registers a buffer, and assigning anything but a Parameter or None to a
parameter's attribute is refused (the parameter would silently stop being trained). The walk
reads `vars(self)`, whose order Python keeps. Modules are visited depth first in that order;
as in PyTorch, a module's own parameters come before those of its sub-modules, and a
parameter or module reachable twice is reported once by `parameters()` and
`named_modules()`, under its first name (`state_dict()` lists it under every name).
"""

from __future__ import annotations

import warnings
from abc import ABCMeta
from collections import OrderedDict
from collections.abc import Iterator, Mapping, MutableMapping, MutableSet
from typing import Any, NamedTuple

import numpy as np

from tinygrad_np import hooks as tensor_hooks
from tinygrad_np.device import (
    as_device,
    channels_last,
    channels_last_3d,
    check_to_arguments,
    is_device,
    laid_out,
    preserve_format,
)
from tinygrad_np.errors import TensorError
from tinygrad_np.foreign import is_torch_tensor, torch_values
from tinygrad_np.function import no_grad
from tinygrad_np.nn import backward_hooks
from tinygrad_np.nn.parameter import Buffer, Parameter, is_lazy
from tinygrad_np.tensor import Tensor, _lock

# The attributes holding hooks, not members (a hook may be a callable Module).
HOOK_ATTRIBUTES = ("_module_hooks", "_state_dict_hooks")

# The global hooks of `register_module_forward_hook` and friends, which apply to every module
# (before the module's own, as PyTorch's): the tables of Module._module_hooks, and the
# registration hooks {"buffer": {id: hook}, "module": ..., "parameter": ...}.
_GLOBAL_HOOKS: dict = {"pre": {}, "post": {}, "always": set(), "backward": {},
                       "backward_pre": {}}
_REGISTRATION_HOOKS: dict = {"buffer": {}, "module": {}, "parameter": {}}
_CALL_KINDS = ("pre", "post", "backward", "backward_pre")
# The same dicts by name (changed in place, never replaced), for __call__'s one cheap test
_PRE, _POST, _BACKWARD, _BACKWARD_PRE = (_GLOBAL_HOOKS[kind] for kind in _CALL_KINDS)


def _with_global_hooks(own: dict | None) -> dict:
    """The global call hooks, then the module's own, as one table of Module._module_hooks."""
    own = own or {}
    merged: dict = {kind: {**_GLOBAL_HOOKS[kind], **own.get(kind, {})} for kind in _CALL_KINDS}
    merged["always"] = _GLOBAL_HOOKS["always"] | own.get("always", set())
    merged["legacy"] = own.get("legacy", {})
    return merged


def _positional_state_args(args: tuple, destination: dict | None, prefix: str,
                           keep_vars: bool) -> tuple:
    """state_dict's deprecated positional (destination, prefix, keep_vars), as PyTorch's: each
    used where its keyword kept its default, with PyTorch's FutureWarning."""
    if len(args) > 3:
        raise TypeError(f"state_dict: takes at most 3 positional arguments (destination, "
                        f"prefix, keep_vars), got {len(args)}")
    warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                  "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.state_dict for details.", FutureWarning, stacklevel=3)
    args = (*args, *(None, "", False)[len(args):])
    return (args[0] if destination is None else destination, prefix or args[1],
            keep_vars or args[2])


def _registered(kind: str, module: Module, name: str, value: Any) -> Any:
    """`value` after the global registration hooks of `kind` (each may return a new one)."""
    for hook in list(_REGISTRATION_HOOKS[kind].values()):
        changed = hook(module, name, value)
        if changed is not None:
            value = changed
    return value


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped: PyTorch's namedtuple of two key lists
    (load_state_dict returns its subclass _IncompatibleKeys, as PyTorch's)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class _IncompatibleKeys(IncompatibleKeys):
    """What load_state_dict returns, under PyTorch's class name, with its repr."""

    __slots__ = ()

    def __repr__(self) -> str:  # what notebooks print after load_state_dict, as PyTorch's
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


# Attribute values that hold no module or parameter: skipped without a generator each (a
# module's flags, sizes and names were most of the tree walk under parameters() and
# load_state_dict)
_PLAIN = frozenset({type(None), bool, int, float, str})


def _members(value: Any, name: str) -> Iterator[tuple[str, Module | Parameter]]:
    """Every Module or Parameter in `value`, looking inside lists, tuples and dicts."""
    if isinstance(value, (Module, Parameter)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            if type(item) not in _PLAIN:
                yield from _members(item, f"{name}.{position}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if type(item) not in _PLAIN:
                yield from _members(item, f"{name}.{key}")


class _NonPersistent(MutableSet):
    """PyTorch's private `module._non_persistent_buffers_set`, as a live view: the names of
    this module's own buffers that state_dict() leaves out; `add(name)` makes the buffer
    `name` one of them, `discard(name)` makes it persistent again."""

    def __init__(self, module: Module) -> None:
        self._names: dict[str, bool] = vars(module).get("_buffer_names", {})

    def __contains__(self, name: object) -> bool:
        return self._names.get(name) is False  # type: ignore[call-overload]

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, persistent in self._names.items() if not persistent])

    def __len__(self) -> int:
        return sum(not persistent for persistent in self._names.values())

    def add(self, name: str) -> None:
        if name in self._names:  # (a name that is no buffer: nothing to leave out)
            self._names[name] = False

    def discard(self, name: str) -> None:
        if name in self._names:
            self._names[name] = True


class _Members(MutableMapping):
    """PyTorch's private `module._modules`, `_parameters` and `_buffers` dicts, as a live view
    of the module's attributes: reading lists the direct members, writing sets the attribute
    (`model._modules["fc"] = nn.Identity()` replaces the layer, as in PyTorch)."""

    def __init__(self, module: Module, kind: str) -> None:
        self._module, self._kind = module, kind

    def _current(self) -> dict[str, Any]:
        module = self._module
        if self._kind == "buffers":
            return dict(module.named_buffers(recurse=False))
        # (every name a member has, as PyTorch's dicts: a module or parameter set under two
        # names is there twice, where named_children() and named_parameters() list it once)
        kind = Module if self._kind == "modules" else Parameter
        found: dict[str, Any] = {name: member for name, member in module._direct_members()
                                 if isinstance(member, kind)}
        empty = _none_members(module, self._kind)
        if not empty:
            return found
        attributes = vars(module)
        position = {name: index for index, name in enumerate(attributes)}
        items = [*found.items(), *((name, None) for name in empty)]  # in attribute order
        return dict(sorted(items, key=lambda item: position.get(item[0].split(".")[0], 0)))

    def __getitem__(self, name: str) -> Any:
        return self._current()[name]

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self._module, name, value)

    def __delitem__(self, name: str) -> None:
        self._current()[name]  # a KeyError for a name that is not one
        delattr(self._module, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


def _none_members(module: Module, kind: str) -> list[str]:
    """The names registered as `kind` ("modules" or "parameters") that hold None now
    (`model.fc = None`, `register_parameter("bias", None)`): PyTorch lists them as None."""
    attributes = vars(module)
    return [name for name in attributes.get(f"_none_{kind}", ())
            if name in attributes and attributes[name] is None]


def check_member_name(kind: str, name: Any) -> None:
    """A parameter's, buffer's or module's name as PyTorch takes it: a str (else TypeError),
    not empty and without '.' (else KeyError): `a.b` would be ambiguous in a state dict."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\"" + (f", got: {name}" if kind == "module"
                                                              else f" (got {name!r})"))
    if not name:
        raise KeyError(f"{kind} name can't be empty string \"\"")


def check_sizes(layer: str, **sizes: Any) -> None:
    """PyTorch's RuntimeError for a layer of negative size (`nn.Linear(-1, 3)`), not NumPy's
    "negative dimensions are not allowed" from the parameter's allocation."""
    for name, size in sizes.items():
        if isinstance(size, (int, np.integer)) and size < 0:
            raise TensorError(f"{layer}: Trying to create tensor with negative dimension "
                              f"{size} ({name}={size})")


class Module:
    """Base class for layers and models: subclass it, assign layers and Parameters as
    attributes in `__init__`, and define `forward`. Calling the module calls `forward`.
    """

    # A class attribute, so a subclass that forgets super().__init__() and keeps only plain
    # attributes still works (layers and Parameters then raise, as PyTorch).
    training: bool = True
    # Set once the first call has named the parameters (see named_parameters).
    _parameters_named: bool = False
    _module_hooks: dict | None = None  # {"pre": {...}, "post": {...}} once a hook is added
    # {"state_dict_pre": {...}, "load_post": {...}, ...}: apart, so that forward stays fast
    _state_dict_hooks: dict | None = None
    _version: int = 1  # saved in state_dict()._metadata, for _load_from_state_dict overrides
    # PyTorch's flag: True makes Module.__init__ call super().__init__ with the arguments
    call_super_init: bool = False

    def __init__(self) -> None:
        self.training = True

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Module, Parameter, Buffer)) and "training" not in vars(self):
            # Module.__init__ has not run (it sets `training`): PyTorch's AttributeError
            _refuse_before_init("module" if isinstance(value, Module) else
                                "parameters" if isinstance(value, Parameter) else "buffer")
        if isinstance(value, Parameter | Buffer):  # (a module may be set under any name)
            check_member_name("parameter" if isinstance(value, Parameter) else "buffer", name)
        if _REGISTRATION_HOOKS["parameter"] and isinstance(value, Parameter):
            value = _registered("parameter", self, name, value)
        elif _REGISTRATION_HOOKS["module"] and isinstance(value, Module):
            value = _registered("module", self, name, value)
        elif _REGISTRATION_HOOKS["buffer"] and isinstance(value, Buffer):
            value = _registered("buffer", self, name, value)
        # Only an nn.Buffer is special: assigning one registers it as a buffer, as PyTorch.
        if isinstance(value, Buffer):
            current = vars(self).get(name)
            if isinstance(current, (Parameter, Module)):
                kind = "parameter" if isinstance(current, Parameter) else "child module"
                raise TypeError(f"cannot assign a Buffer as {name!r}, which holds a {kind} "
                                "(delete it first)")
            if name in vars(self) and name not in vars(self).get("_buffer_names", ()):
                raise KeyError(f"attribute '{name}' already exists")  # (PyTorch's refusal)
            vars(self).setdefault("_buffer_names", {})[name] = value.persistent
        elif isinstance(vars(self).get(name), Parameter) or name in vars(self).get(
                "_none_parameters", ()):
            if not (value is None or isinstance(value, Parameter)):  # it would silently stop
                raise TypeError(  # being trained
                    f"cannot assign a {type(value).__name__} as parameter {name!r} (a "
                    "Parameter or None expected, as PyTorch); to change its values: "
                    f"with torch.no_grad(): module.{name}.copy_(value)")
            if value is None:  # PyTorch keeps the name, holding None (see _parameters)
                vars(self).setdefault("_none_parameters", set()).add(name)
        elif isinstance(vars(self).get(name), Module) or name in vars(self).get(
                "_none_modules", ()):
            if isinstance(value, Parameter):  # PyTorch: a Parameter replaces the child
                vars(self).get("_none_modules", set()).discard(name)
            elif not (value is None or isinstance(value, Module)):  # it would silently drop
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (torch.nn.Module or None expected)")
            elif value is None:  # PyTorch keeps the name, holding None (see _modules)
                vars(self).setdefault("_none_modules", set()).add(name)
        elif name in vars(self).get("_buffer_names", ()) and not (
                value is None or isinstance(value, Tensor)):
            raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                            "(torch.nn.Buffer, torch.Tensor or None expected)")
        if isinstance(value, (Parameter, Module)) and name in vars(self):
            _register_last(self, name, value)
        object.__setattr__(self, name, value)

    def __setstate__(self, state: dict) -> None:
        """Unpickling and deepcopy: the attributes back (a subclass's override may call it)."""
        vars(self).update(state)

    def __delattr__(self, name: str) -> None:
        # Deleting a buffer or parameter forgets it as one, as PyTorch: the name may then
        # hold anything (`del m.running_mean; m.running_mean = 3`).
        object.__delattr__(self, name)
        attributes = vars(self)
        attributes.get("_buffer_names", {}).pop(name, None)
        attributes.get("_none_parameters", set()).discard(name)
        attributes.get("_none_modules", set()).discard(name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._parameters_named:
            # Name the parameters before their first use, so a graph drawn from this forward
            # pass shows `0.weight`, not an anonymous box (a walk, once per module).
            self._parameters_named = True
            for _ in self.named_parameters():
                pass
        hooks = self._module_hooks
        if _PRE or _POST or _BACKWARD or _BACKWARD_PRE:  # global hooks (rare)
            hooks = _with_global_hooks(hooks)
        if not hooks:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(hooks, args, kwargs)

    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        """PyTorch's name for calling the module with its hooks (what __call__ does)."""
        return Module.__call__(self, *args, **kwargs)

    _wrapped_call_impl = _call_impl

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """PyTorch compiles the module's forward in place here; tinygrad_np runs it as it is
        (as `tg.compile`), so this does nothing and returns None, as PyTorch's."""

    def _call_with_hooks(self, hooks: dict, args: tuple, kwargs: dict) -> Any:
        """Forward with the pre-hooks, forward hooks and backward hooks, as PyTorch's
        `_call_impl`: if anything raises, the always_call forward hooks not yet run still run
        (their own errors become warnings), then the error goes on."""
        output, called = None, set()
        always = hooks.get("always", set())
        try:
            for hook, with_kwargs in list(hooks["pre"].values()):
                changed = hook(self, args, kwargs) if with_kwargs else hook(self, args)
                if changed is not None:
                    if with_kwargs:
                        if not (isinstance(changed, tuple) and len(changed) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple "
                                               "of (new_args, new_kwargs), but got "
                                               f"{changed}.")
                        args, kwargs = changed
                    else:
                        args = changed if isinstance(changed, tuple) else (changed,)
            call = None
            if hooks.get("backward") or hooks.get("backward_pre"):  # see nn/backward_hooks.py
                args, call = backward_hooks.wrap_inputs(self, hooks, args)
            output = self.forward(*args, **kwargs)
            for key, (hook, with_kwargs) in list(hooks["post"].items()):
                if key in always:
                    called.add(key)
                changed = (hook(self, args, kwargs, output) if with_kwargs
                           else hook(self, args, output))
                if changed is not None:
                    output = changed
            if hooks.get("legacy"):
                backward_hooks.attach_legacy_hooks(self, hooks["legacy"], output)
            return backward_hooks.watch_outputs(call, output) if call is not None else output
        except Exception:
            self._run_always_hooks(hooks, args, kwargs, output, called)
            raise

    def _run_always_hooks(self, hooks: dict, args: tuple, kwargs: dict, output: Any,
                          called: set) -> None:
        """The always_call forward hooks not yet run, after an error (PyTorch's order)."""
        always = hooks.get("always", set())
        for key, (hook, with_kwargs) in list(hooks["post"].items()):
            if key not in always or key in called:
                continue
            try:
                changed = (hook(self, args, kwargs, output) if with_kwargs
                           else hook(self, args, output))
                if changed is not None:
                    output = changed
            except Exception as error:  # the first error goes on; this one is a warning
                warnings.warn("module forward hook with ``always_call=True`` raised an "
                              "exception that was silenced as another error was raised in "
                              f"forward: {error}", stacklevel=3)

    # ----------------------------------------------------------------- forward hooks
    def _add_hook(self, kind: str, hook: Any, prepend: bool, with_kwargs: bool) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"register_forward_{'pre_' if kind == 'pre' else ''}hook: expected "
                            f"a callable, got {type(hook).__name__}")
        hooks = self.__dict__.setdefault("_module_hooks", {"pre": {}, "post": {}})
        hooks.setdefault(kind, {})
        handle = RemovableHandle(hooks[kind])
        hooks[kind][handle.id] = (hook, with_kwargs)
        if prepend:  # reordered in place: other handles hold this dict
            rest = [(key, value) for key, value in hooks[kind].items() if key != handle.id]
            hooks[kind].clear()
            hooks[kind].update([(handle.id, (hook, with_kwargs)), *rest])
        return handle

    def _hooks_view(self, kind: str) -> dict:
        return {key: hook for key, (hook, _) in
                self.__dict__.get("_module_hooks", {}).get(kind, {}).items()}

    _forward_pre_hooks = property(lambda self: self._hooks_view("pre"),
                                  doc="PyTorch's {handle id: hook} of the forward pre-hooks (a "
                                      "snapshot: register and remove through the handles)")
    _forward_hooks = property(lambda self: self._hooks_view("post"),
                              doc="PyTorch's {handle id: hook} of the forward hooks (a snapshot)")
    _backward_hooks = property(
        lambda self: {**self.__dict__.get("_module_hooks", {}).get("legacy", {}),
                      **self.__dict__.get("_module_hooks", {}).get("backward", {})},
        doc="PyTorch's {handle id: hook} of the (full) backward hooks (a snapshot)")
    _backward_pre_hooks = property(
        lambda self: dict(self.__dict__.get("_module_hooks", {}).get("backward_pre", {})),
        doc="PyTorch's {handle id: hook} of the backward pre-hooks (a snapshot)")

    def register_forward_pre_hook(self, hook: Any, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call `hook(module, args)` before each forward; a non-None result replaces the
        positional arguments (with `with_kwargs=True`: `hook(module, args, kwargs)` returning
        `(args, kwargs)`). Returns a handle whose `remove()` unregisters it."""
        return self._add_hook("pre", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Any, *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False
                              ) -> RemovableHandle:
        """Call `hook(module, args, output)` after each forward (feature extraction: keep
        `output.detach()`); a non-None result replaces the output. Returns a handle whose
        `remove()` unregisters it. With `always_call`, the hook also runs (with output None)
        when forward raises, before the error goes on."""
        handle = self._add_hook("post", hook, prepend, with_kwargs)
        if always_call:
            always = self._module_hooks.setdefault("always", set())
            always.add(handle.id)
            handle._also.append(always)  # remove() forgets the id there too
        return handle

    def register_full_backward_hook(self, hook: Any, prepend: bool = False
                                    ) -> RemovableHandle:
        """Call `hook(module, grad_input, grad_output)` when backward has the gradients with
        respect to this call's positional tensor inputs (None where an input needs none) and
        outputs; a tuple it returns replaces grad_input (see nn/backward_hooks.py). Returns
        a handle whose `remove()` unregisters it."""
        return self._add_backward_hook("backward", hook, prepend)

    def register_full_backward_pre_hook(self, hook: Any, prepend: bool = False
                                        ) -> RemovableHandle:
        """Call `hook(module, grad_output)` when backward has the gradients with respect to
        this call's outputs; a tuple it returns replaces them."""
        return self._add_backward_hook("backward_pre", hook, prepend)

    def register_backward_hook(self, hook: Any) -> RemovableHandle:
        """PyTorch's deprecated kind: `hook(module, grad_input, grad_output)` on the node of
        forward's last op, so grad_input holds that op's input gradients (Conv2d: input,
        weight, bias; see nn/backward_hooks.attach_legacy_hooks). Not with full hooks."""
        return self._add_backward_hook("legacy", hook, False)

    def _add_backward_hook(self, kind: str, hook: Any, prepend: bool) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"register_full_{kind}_hook: expected a callable, got "
                            f"{type(hook).__name__}")
        hooks = self.__dict__.setdefault("_module_hooks", {"pre": {}, "post": {}})
        if hooks.get("legacy" if kind == "backward" else "backward") and kind != "backward_pre":
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        table = hooks.setdefault(kind, {})
        handle = RemovableHandle(table)
        table[handle.id] = hook
        if prepend:
            rest = [(key, value) for key, value in table.items() if key != handle.id]
            table.clear()
            table.update([(handle.id, hook), *rest])
        return handle

    # ----------------------------------------------------------------- the tree walk
    def _direct_members(self) -> Iterator[tuple[str, Module | Parameter]]:
        """This module's own parameters and children, by attribute, in definition order."""
        for name, value in vars(self).items():
            if type(value) not in _PLAIN and name not in HOOK_ATTRIBUTES:
                yield from _members(value, name)

    def _child_items(self) -> list[tuple[str, Module]]:
        """The direct sub-modules under every name they have (a module registered twice comes
        twice, as in PyTorch's `_modules`), in definition order."""
        return [(name, member) for name, member in self._direct_members()
                if isinstance(member, Module)]

    def get_submodule(self, target: str) -> Module:
        """The module at dotted path `target` (`"encoder.layers.0"`; "" is this module)."""
        if target == "":
            return self
        found = _walk(self, target)  # the path itself: O(depth)
        if isinstance(found, Module):
            return found
        for name, module in _every_path(self, "", ()):  # a name the walk cannot follow
            if name == target:
                return module
        raise AttributeError(_missing(self, target, "nn.Module"))

    def _get_tensor(self, target: str, buffer: bool) -> Tensor:
        """The parameter (or buffer) at dotted path `target`, by any name it has."""
        owner_name, _, name = target.rpartition(".")
        owner = _walk(self, owner_name) if owner_name else self
        if isinstance(owner, Module):  # the owner by its path, then its own tensors
            for own, member, persistent in owner._own_tensors():
                if (persistent is not None) == buffer and own == name:
                    return member
        for module_name, module in _every_path(self, "", ()):  # a name the walk cannot follow
            for name, member, persistent in module._own_tensors():
                if (persistent is not None) == buffer and _join(module_name, name) == target:
                    return member
        raise AttributeError(_missing(self, target, "buffer" if buffer else "nn.Parameter"))

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path `target` (`"0.weight"`)."""
        return self._get_tensor(target, buffer=False)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path `target` (`"1.running_mean"`)."""
        return self._get_tensor(target, buffer=True)

    @property
    def _modules(self) -> _Members:
        return _Members(self, "modules")

    @property
    def _parameters(self) -> _Members:
        return _Members(self, "parameters")

    @property
    def _buffers(self) -> _Members:
        return _Members(self, "buffers")

    @property
    def _non_persistent_buffers_set(self) -> _NonPersistent:
        return _NonPersistent(self)

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

    def named_modules(self, memo: set | str | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`, "" at the top) and every module below it, depth first;
        a module reached twice is listed once (under every path with remove_duplicate=False).
        `memo`: modules not to list, as PyTorch's (a string there is the prefix)."""
        if isinstance(memo, str):  # this library's older signature: named_modules(prefix)
            memo, prefix = None, memo
        seen = set() if memo is None else memo  # the caller's set, added to (as PyTorch)
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if module in seen:
                continue
            if remove_duplicate:
                seen.add(module)
            yield name, module
            children = [(_join(name, child_name), child) for child_name, child in (
                module.named_children() if remove_duplicate else module._direct_members())
                if isinstance(child, Module)]
            stack.extend(reversed(children))  # reversed: pop them in definition order

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every Parameter below this module as (dotted name, parameter), in PyTorch's order:
        modules depth first in definition order, each module's own parameters (in definition
        order) before those of its sub-modules.

        Names follow the attribute path: `0.weight` in a Sequential, `encoder.fc1.bias`.
        A parameter without a name gets this one as its `.name` (graph drawings show it);
        this also happens on a module's first call. A later walk from a module further up
        may lengthen such a name, never replace a name the user set. A shared (tied)
        parameter is listed once, or under every name with remove_duplicate=False.
        """
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if (
            recurse) else iter([(prefix, self)])
        for module_name, module in modules:
            for name, member in module._direct_members():
                if isinstance(member, Parameter) and id(member) not in seen:
                    if remove_duplicate:
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
        check_member_name("module", name)
        if hasattr(self, name) and not isinstance(vars(self).get(name), Module) and (
                name in vars(self) or hasattr(type(self), name)) and (
                name not in _none_members(self, "modules")):  # (PyTorch's KeyError)
            raise KeyError(f"add_module: attribute {name!r} already exists")
        if module is None:  # listed in _modules as None, as PyTorch
            vars(self).setdefault("_none_modules", set()).add(name)
        setattr(self, name, module)

    register_module = add_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or None, a placeholder) under `name` (as assigning the attribute)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} is a {type(param).__name__}, "
                            "not an nn.Parameter")
        check_member_name("parameter", name)
        if "training" not in vars(self):
            _refuse_before_init("parameter")
        if hasattr(self, name) and not isinstance(vars(self).get(name), Parameter) and (
                name not in vars(self).get("_none_parameters", ())):  # (PyTorch's KeyError)
            raise KeyError(f"register_parameter: attribute {name!r} already exists")
        if param is None:  # listed in _parameters as None, as PyTorch
            vars(self).setdefault("_none_parameters", set()).add(name)
        setattr(self, name, param)

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put `module` at dotted path `target` (`"encoder.layers.0"`), replacing what is
        there; with `strict`, only an existing sub-module may be replaced."""
        if not target:
            raise ValueError("Cannot set the submodule without a target name!")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        items = vars(parent).get("_items")
        if isinstance(items, list) and name.lstrip("-").isdigit():  # a ModuleList
            parent[int(name)] = module
            return
        current = getattr(parent, name, None)
        if current is None and strict:
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        if current is not None and not isinstance(current, Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def _get_name(self) -> str:
        """The class name the repr shows (PyTorch's hook for a different one)."""
        return type(self).__name__

    def share_memory(self) -> Module:
        """Self: tensors already live in this process's memory (no other process shares them)."""
        return self

    def to_empty(self, *, device: Any, recurse: bool = True) -> Module:
        """Give every parameter and buffer new, uninitialized memory of the same shape and
        dtype, as PyTorch's (to fill in afterwards, e.g. by load_state_dict); returns self."""
        as_device(device, "Module.to_empty")
        tensors = [*self.parameters(recurse=recurse), *self.buffers(recurse=recurse)]
        for tensor in tensors:
            array = np.empty_like(tensor._data)
            tensor._data = _lock(array) if tensor.requires_grad and tensor.grad_fn is None \
                else array
        return self

    def apply(self, fn: Any) -> Module:
        """Call `fn(module)` on every sub-module (children first) and then on self; returns
        self. The usual way to initialise weights: `model.apply(init_weights)`."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Any, recurse: bool = True) -> Module:
        """PyTorch's conversion walk: each parameter (and its gradient) and buffer replaced by
        `fn(tensor)`, below first; a parameter keeps its object (its data is swapped), so an
        optimizer holding it sees the change. Returns self."""
        if recurse:
            for child in self.children():
                child._apply(fn)
        with no_grad():
            for _, parameter in self._parameters.items():
                if parameter is None:
                    continue
                array = np.asarray(fn(parameter)._data)
                parameter._data = _lock(array.copy()) if parameter.requires_grad else array
                if parameter.grad is not None:
                    parameter.grad = fn(parameter.grad)
            for name, buffer in self._buffers.items():
                if buffer is not None:
                    setattr(self, name, fn(buffer))
        return self

    def _named_members(self, get_members_fn: Any, prefix: str = "", recurse: bool = True,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        """PyTorch's helper behind named_parameters/named_buffers: (dotted name, member) for
        the (name, member) pairs `get_members_fn(module)` gives on each module (self only
        unless `recurse`); None members skipped, each once unless not `remove_duplicate`."""
        seen: set[int] = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, member in get_members_fn(module):
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield _join(module_prefix, name), member

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter (False freezes them); returns self."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    # ----------------------------------------------------------------- buffers
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Make `tensor` a buffer: module state that is not learnable (running statistics).

        It becomes the attribute `name` (assign a new Tensor to it later as usual), is listed
        by `named_buffers()` and, when `persistent`, saved and loaded by `state_dict()` and
        `load_state_dict()` with the parameters. A None buffer is remembered but not saved.
        """
        check_member_name("buffer", name)
        if "training" not in vars(self):
            _refuse_before_init("buffer")
        buffer_names = vars(self).setdefault("_buffer_names", {})
        if hasattr(self, name) and name not in buffer_names:
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        if tensor is not None and (not isinstance(tensor, Tensor) or isinstance(tensor, Parameter)):
            raise TypeError(f"register_buffer: cannot register a {type(tensor).__name__} as "
                            f"buffer {name!r} (a Tensor or None is required)")
        if _REGISTRATION_HOOKS["buffer"] and isinstance(tensor, Tensor) \
                and not isinstance(tensor, Buffer):  # (a Buffer's run in __setattr__)
            tensor = _registered("buffer", self, name, tensor)
        setattr(self, name, tensor)
        buffer_names[name] = persistent

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Every buffer below this module (only its own if not `recurse`) as (dotted name,
        tensor), in definition order, persistent or not; None buffers are skipped. A shared
        one comes once, or under every name with remove_duplicate=False."""
        if not recurse:
            for name, tensor, persistent in self._direct_state():
                if persistent is not None:
                    yield _join(prefix, name), tensor
            return
        for name, tensor, persistent in self._named_state(prefix, not remove_duplicate):
            if persistent is not None:
                yield name, tensor

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer below this module (see `named_buffers`)."""
        for _, tensor in self.named_buffers(recurse=recurse):
            yield tensor

    def _direct_state(self) -> list[tuple[str, Module | Tensor, bool | None]]:
        """This module's parameters, buffers and children in attribute order, as (name, member,
        persistent): persistent is None for parameters and children, a bool for buffers."""
        attributes = vars(self)
        buffer_names = attributes.get("_buffer_names", {})
        members = [(name, member, None) for name, member in self._direct_members()]
        members += [(name, attributes[name], persistent)
                    for name, persistent in buffer_names.items()
                    if isinstance(attributes.get(name), Tensor)]
        position = {name: index for index, name in enumerate(attributes)}
        members.sort(key=lambda item: position.get(item[0].split(".")[0], len(position)))
        return members

    def _own_tensors(self) -> list[tuple[str, Tensor, bool | None]]:
        """This module's own parameters and then its buffers (None ones skipped), as (name,
        tensor, persistent) with None for parameters."""
        attributes = vars(self)
        own: list[tuple[str, Tensor, bool | None]] = [
            (name, member, None) for name, member in self._direct_members()
            if isinstance(member, Parameter)]
        own += [(name, attributes[name], persistent)
                for name, persistent in attributes.get("_buffer_names", {}).items()
                if isinstance(attributes.get(name), Tensor)]
        return own

    def _named_state(self, prefix: str = "", every_name: bool = False
                     ) -> Iterator[tuple[str, Tensor, bool | None]]:
        """Every parameter and buffer below this module in PyTorch's state_dict order:
        modules depth first in definition order, each module's own parameters and then its
        buffers, as (dotted name, tensor, persistent) with None for parameters. A tensor (or
        module) shared by two modules comes once, or under each of its names (`every_name`,
        as PyTorch's state_dict lists tied weights)."""
        seen: set[int] = set()
        for module_name, module in (_every_path(self, prefix, ()) if every_name
                                    else self.named_modules(prefix=prefix)):
            for name, tensor, persistent in module._own_tensors():
                if every_name or id(tensor) not in seen:
                    seen.add(id(tensor))
                    yield _join(module_name, name), tensor, persistent

    # ----------------------------------------------------------------- training helpers
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (sets `.grad` to None, as PyTorch does; with
        `set_to_none=False`, fills existing gradients with zeros instead: the same tensor,
        taken out of any graph first, as PyTorch's detach_())."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                grad = parameter.grad
                if grad.requires_grad:
                    grad.detach_()
                with no_grad():
                    grad.zero_()

    def train(self, mode: bool = True) -> Module:
        """Set `.training` on this module and, through each child's own `train(mode)` (so a
        subclass that overrides it, to keep a BatchNorm frozen, is obeyed), all below it."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Same as `train(False)`."""
        return self.train(False)

    # ----------------------------------------------------------------- dtype and device
    def to(self, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False, memory_format: Any = None) -> Module:
        """`model.to("cpu")`, `model.to(tg.float64)`, `model.to("cpu", tg.float64)`,
        `model.to(tensor)`: converts the floating-point parameters (and buffers) in place, so
        each Parameter object stays the same one (an optimizer holding it sees the change).
        Only the CPU exists: any other device raises. `memory_format=torch.channels_last`
        lays the 4-d ones out NHWC (channels_last_3d: the 5-d ones). Returns self."""
        for arg in check_to_arguments(args, Tensor):  # (non_blocking, copy: nothing to do)
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
            self._applied_overrides(lambda t: t.to(dtype) if t.dtype.kind == "f" else t)
        if memory_format is not None and memory_format is not preserve_format:
            self._lay_out(memory_format)
        return self

    def _lay_out(self, form: Any) -> None:
        """Parameters and buffers of the rank channels-last `form` needs (all, for
        contiguous_format) laid out as it says, in place, as PyTorch's `to(memory_format=)`."""
        rank = {channels_last: 4, channels_last_3d: 5}.get(form)
        for tensor in self._tensors():
            if rank is None or tensor.ndim == rank:
                array = laid_out(tensor._data, form, "Module.to")
                if tensor.requires_grad and tensor.grad_fn is None:  # a leaf's array stays
                    array = _lock(array)  # read-only (see Tensor.requires_grad_)
                tensor._data = array

    def _tensors(self) -> list[Tensor]:
        tensors = list(self.parameters())
        buffers = getattr(self, "buffers", None)  # buffers come with register_buffer
        if buffers is not None:
            tensors += [buffer for buffer in buffers() if isinstance(buffer, Tensor)]
        return tensors

    def _applied_overrides(self, fn: Any) -> None:
        """PyTorch's to()/double()/type() go through `_apply(fn)`: a subclass overriding it
        (to convert a tensor it keeps outside parameters and buffers) gets its call here, after
        the parameters and buffers were converted (converting them again changes nothing)."""
        for module in self.modules():
            if type(module)._apply is not Module._apply:
                module._apply(fn)

    def _convert_floats(self, dtype: np.dtype) -> None:
        for tensor in self._tensors():
            if tensor.dtype.kind == "f" and tensor.dtype != dtype:
                array = tensor._data.astype(dtype)
                if tensor.requires_grad and tensor.grad_fn is None:  # a leaf's array stays
                    array = _lock(array)  # read-only (see Tensor.requires_grad_)
                tensor._data = array
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad._data.astype(dtype))

    def type(self, dst_type: Any) -> Module:
        """Every parameter and buffer to `dst_type` (a dtype or a type name such as
        'torch.DoubleTensor'), integer ones too, as PyTorch's; in place, returns self."""
        dtype = Tensor(np.zeros(0, np.float32)).type(dst_type).dtype
        if dtype.kind != "f" and any(p.requires_grad for p in self.parameters()):
            raise RuntimeError(f"Module.type: parameters that require grad cannot be {dtype}")
        if dtype.kind == "f":
            self._convert_floats(dtype)  # (leaves' arrays stay read-only, gradients cast)
        buffers = getattr(self, "buffers", None)
        for tensor in [*self.parameters(), *(buffers() if buffers is not None else ())]:
            if isinstance(tensor, Tensor) and tensor.dtype != dtype:
                tensor._data = tensor._data.astype(dtype)
        self._applied_overrides(lambda t: t.to(dtype))
        return self

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

    def xpu(self, *args: Any, **kwargs: Any) -> Module:
        """Always raises, as `cuda()`: only the CPU here."""
        return self.to("xpu")

    def ipu(self, *args: Any, **kwargs: Any) -> Module:
        """Always raises, as `cuda()`: only the CPU here."""
        return self.to("ipu")

    def mtia(self, *args: Any, **kwargs: Any) -> Module:
        """Always raises, as `cuda()`: only the CPU here."""
        return self.to("mtia")

    dump_patches = False  # (PyTorch's class attribute, kept for code that reads it)

    # ----------------------------------------------------------------- weights in and out
    def state_dict(self, *args: Any, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Dotted name -> a detached Tensor sharing the memory of every parameter and
        persistent buffer, in definition order (for a BatchNorm: weight, bias, running_mean,
        running_var, num_batches_tracked), as PyTorch: `state_dict()[name].copy_(v)` changes
        the model, and a copy to keep is `copy.deepcopy(model.state_dict())`. A tensor shared
        by two modules (tied weights) is listed under each name. PyTorch's keywords: `prefix`
        goes before every name, `keep_vars=True` gives the parameters and buffers themselves,
        `destination` is filled and returned. They may come positionally, in that order,
        with PyTorch's FutureWarning (deprecated there).

        As PyTorch, each module runs its state-dict pre-hooks, `_save_to_state_dict` (its own
        tensors and `get_extra_state()`), its children's `state_dict`, then its post-hooks;
        `destination._metadata` holds each module's `_version`.

        Raises ValueError if two different tensors get the same name (a dict attribute
        with keys `0` and `"0"`, or a key holding a dot that matches a nested path).
        """
        if args:
            destination, prefix, keep_vars = _positional_state_args(
                args, destination, prefix, keep_vars)
        self._unique_state("state_dict")
        return _save_tree(self, destination, prefix, keep_vars, ())

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Put this module's own parameters, persistent buffers and extra state (not its
        children's) into `destination` (override to change what is saved, as in PyTorch)."""
        for name, tensor, persistent in self._own_tensors():
            if persistent is not False:  # (a lazy placeholder as itself, as PyTorch's)
                destination[prefix + name] = tensor if keep_vars or is_lazy(tensor) else (
                    tensor.detach())
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def get_extra_state(self) -> Any:
        """Override (with set_extra_state) to save any picklable value in the state dict,
        under `<prefix>_extra_state`."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called: override get_extra_state to use it")

    def set_extra_state(self, state: Any) -> None:
        """Override (with get_extra_state) to load what get_extra_state saved."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called: override set_extra_state to use it")

    def _unique_state(self, caller: str) -> dict[str, Tensor]:
        """Parameters and persistent buffers by name, refusing two under one name."""
        named: dict[str, Tensor] = {}
        for name, tensor, persistent in self._named_state(every_name=True):
            if persistent is False:
                continue
            if name in named and named[name] is not tensor:
                raise TensorError(
                    f"{caller} for {type(self).__name__}: two different parameters are both "
                    f"named {name!r} (a dict attribute with keys such as 0 and '0', or a key "
                    "holding a dot?); rename one so that saved weights load back correctly")
            named[name] = tensor
        return named

    # ----------------------------------------------------------------- state-dict hooks
    def _hook_table(self, kind: str) -> dict:
        hooks = self.__dict__.get("_state_dict_hooks")
        return hooks.get(kind, {}) if hooks else {}

    def _add_state_hook(self, kind: str, entry: Any) -> RemovableHandle:
        hook = entry[0] if isinstance(entry, tuple) else entry
        if not callable(hook):
            raise TypeError(f"expected a callable hook, got {type(hook).__name__}")
        table = self.__dict__.setdefault("_state_dict_hooks", {}).setdefault(kind, {})
        handle = RemovableHandle(table)
        table[handle.id] = entry
        return handle

    def register_state_dict_pre_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(module, prefix, keep_vars)` before this module's state_dict."""
        return self._add_state_hook("state_dict_pre", hook)

    def register_state_dict_post_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(module, state_dict, prefix, local_metadata)` after this module's
        state_dict; it may change state_dict in place (and must return None)."""
        return self._add_state_hook("state_dict_post", (hook, True))

    def _register_state_dict_hook(self, hook: Any) -> RemovableHandle:
        """PyTorch's older spelling: as register_state_dict_post_hook, but a dict the hook
        returns replaces the state dict."""
        return self._add_state_hook("state_dict_post", (hook, False))

    def register_load_state_dict_pre_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)` before this module loads its part of a state dict (it
        may rename keys of state_dict in place)."""
        return self._add_state_hook("load_pre", hook)

    def _register_load_state_dict_pre_hook(self, hook: Any, with_module: bool = False
                                           ) -> RemovableHandle:
        """PyTorch's older spelling: without `with_module`, the hook gets no module argument."""
        if with_module:
            return self.register_load_state_dict_pre_hook(hook)
        return self.register_load_state_dict_pre_hook(lambda module, *args: hook(*args))

    def register_load_state_dict_post_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(module, incompatible_keys)` after load_state_dict has loaded this module;
        changing `incompatible_keys.missing_keys` (or unexpected_keys) in place changes
        what strict loading refuses."""
        return self._add_state_hook("load_post", hook)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy arrays (or Tensors) into the parameters and buffers with the same names, in place.

        Each parameter keeps its own array and dtype (values are copied with `copy_` under
        `no_grad`, so version counters move and an optimizer holding the parameter sees the
        new values). Any number casts as PyTorch's copy_ (a float into an int buffer
        truncates; complex into real warns and drops the imaginary part). Every problem is
        reported in one StateDictError (a RuntimeError, as PyTorch's, and a ValueError) in
        PyTorch's words ('Error(s) in loading state_dict for Linear:' then one line each):
        keys the model lacks ("Unexpected") or that the dict lacks ("Missing"), both only
        when `strict`; and, always, values that are not arrays or Tensors, shapes that differ
        ("size mismatch"), strings or objects, and values the parameter's dtype cannot hold
        (nan or 1e30 into an integer, 1e300 into float32: PyTorch stores an undefined integer
        or inf there). A failure (or any exception) leaves the model as it
        was. In a tree without load hooks and without overrides of `_load_from_state_dict`
        or `set_extra_state` (the usual model) every value is checked before the first one
        is copied, so nothing needs restoring and no copy of the model is kept (values of
        another dtype are converted as they are copied, key by key in the model's order, as
        PyTorch's: one aliasing a tensor loaded before it reads its new values; the copies
        themselves, into arrays of the right shape and dtype, fail only by running out of
        memory or an interrupt). Otherwise every tensor of the tree (and the extra state) is
        copied first and restored before raising. As PyTorch, a 1-element tensor of shape
        (1,) loads into a 0-d one (old checkpoints' `num_batches_tracked`).

        `assign=True`, as PyTorch: the given tensors become the parameters and buffers, with
        their dtype and memory (a later in-place change of a given tensor shows in the model);
        a given Parameter becomes the module's parameter itself (`m.weight is p`), a given
        Tensor or array is wrapped in a new Parameter sharing its memory; either way the
        parameter keeps the requires_grad of the one it replaces (a given Parameter's is set
        to it). Shapes are checked as without `assign`; a non-float value for a parameter
        that requires grad is refused. A given Parameter for a buffer stays a buffer (its
        detached tensor; PyTorch would turn the buffer into a parameter).

        As PyTorch, each module loads its part through `_load_from_state_dict` (override it to
        rename old keys; the base runs the load pre-hooks and copies each checked value at
        once, so an override sees the loaded values after its super() call), then its
        children; its load post-hooks run next and may change the missing and unexpected keys.
        """
        if not isinstance(state_dict, Mapping):
            hint = " (call .state_dict() on it)" if isinstance(state_dict, Module) else ""
            raise TypeError(f"load_state_dict for {type(self).__name__}: expected a dict of "
                            f"name -> array, got a {type(state_dict).__name__}{hint}")
        self._unique_state("load_state_dict")  # two tensors under one name: refused
        problems = [f"key {key!r} is not a string" for key in state_dict
                    if not isinstance(key, str)]
        state = {key: value for key, value in state_dict.items() if isinstance(key, str)}
        keys = _IncompatibleKeys([], [])
        plain = not assign and _plain_tree(self)
        run = _LoadRun(getattr(state_dict, "_metadata", None), assign, keys, [], [],
                       [] if plain else None)
        snapshot = None if plain else _snapshot(self)  # (plain: nothing written before the end)
        try:
            _load_tree(self, state, "", run, ())
            found = _strict_problems(keys, strict) + problems + run.errors
            if found:
                raise StateDictError(f"Error(s) in loading state_dict for "
                                     f"{type(self).__name__}:\n\t" + "\n\t".join(found))
        except BaseException:
            if snapshot is not None:
                _restore(snapshot, run.extra_set)
            raise
        with no_grad():
            for tensor, value in run.pending or ():
                tensor._copy_array_(value)
        return keys

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        """Load this module's own tensors (not its children's) from the keys `prefix + name`
        of `state_dict`, copying each checked value at once and adding to the three lists
        what is missing, unexpected or wrong (override to rename keys of old checkpoints
        first, then call this)."""
        for hook in list(self._hook_table("load_pre").values()):
            hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs)
        own = {name: tensor for name, tensor, persistent in self._own_tensors()
               if persistent is not False}
        assign = bool(local_metadata.get("assign_to_params_buffers", False))
        for name, tensor in own.items():
            key = prefix + name
            if key in state_dict and is_lazy(tensor) and is_lazy(state_dict[key]):
                continue  # both uninitialized (a lazy model's state dict): nothing to load
            if key in state_dict:
                value = _loadable_value(key, state_dict[key], tensor, assign)
                if isinstance(value, str):
                    error_msgs.append(value)
                elif isinstance(value, Tensor):  # assign=True: the given tensor itself
                    _assign(self, name, tensor, value)
                elif _PENDING in local_metadata:  # load_state_dict copies after the checks
                    local_metadata[_PENDING].append((tensor, value))
                else:
                    with no_grad():
                        tensor._copy_array_(value)
            elif strict:
                missing_keys.append(key)
        extra_key = prefix + "_extra_state"
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            children = {name for name, _ in self._child_items()}
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    rest = key[len(prefix):]
                    if rest not in own and _owner(rest, children) is None:
                        unexpected_keys.append(key)

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The settings shown between the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        # PyTorch's layout: the extra_repr's lines, then one "(name): child" line per child,
        # nested children indented; a one-line extra_repr alone stays inside the parentheses.
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        children = self._child_items()
        if vars(self).get("_none_modules"):  # `model.fc = None` shows as "(fc): None"
            children = [(name, child) for name, child in self._modules.items()
                        if child is None] + children
            order = list(vars(self))
            children.sort(key=lambda item: order.index(item[0].split(".")[0]))
        child_lines = [f"({name}): " + repr(child).replace("\n", "\n  ")
                       for name, child in children]
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra})"
        lines = extra_lines + child_lines
        body = "\n  " + "\n  ".join(lines) + "\n" if lines else ""
        return f"{self._get_name()}({body})"


def _register_last(module: Module, name: str, value: Parameter | Module) -> None:
    """A Parameter or Module set under a name that holds no member of its kind (a plain
    value, None never registered, a buffer, a child replaced by a Parameter) is registered
    anew, so it comes last among its kind, as in PyTorch's dicts (the order of state_dict()
    and parameters(), which optimizer states follow): the old attribute is dropped first."""
    attributes = vars(module)
    kind, empty = (Parameter, "_none_parameters") if isinstance(value, Parameter) else (
        Module, "_none_modules")
    if not isinstance(attributes[name], kind) and name not in attributes.get(empty, ()):
        del attributes[name]
        attributes.get("_buffer_names", {}).pop(name, None)  # (a buffer no more)


def _refuse_before_init(kind: str) -> None:
    """A sub-module, Parameter or buffer given to a module before Module.__init__() ran:
    PyTorch's AttributeError, in its words (plain attributes are fine, there as here)."""
    raise AttributeError(f"cannot assign {kind} before Module.__init__() call")


def _walk(module: Module, target: str) -> Any:
    """What dotted path `target` names below `module`, followed attribute by attribute (a
    container's items by key or position); None where a step is not found."""
    value: Any = module
    for atom in target.split("."):
        if isinstance(value, Module):
            items = vars(value).get("_items")  # ModuleList's and ModuleDict's entries
            if isinstance(items, (list, dict)) and type(value)._direct_members is not (
                    Module._direct_members):
                container, value = value, _item(items, atom)
                if value is None and isinstance(items, dict):
                    value = vars(container).get(atom)  # (a dict's attribute members)
            else:
                value = None if atom in HOOK_ATTRIBUTES else vars(value).get(atom)
        elif isinstance(value, (list, tuple, dict)):
            value = _item(value, atom)
        else:
            return None
    return value


def _item(items: Any, atom: str) -> Any:
    if isinstance(items, dict):
        return items.get(atom)
    return items[int(atom)] if atom.isdigit() and int(atom) < len(items) else None


def _missing(module: Module, target: str, kind: str) -> str:
    """PyTorch's message for a dotted path that names no `kind`: the first missing step, or
    the last one naming something else."""
    value: Any = module
    *path, last = target.split(".")
    for atom in path if kind != "nn.Module" else (*path, last):
        step = _walk(value, atom) if isinstance(value, Module) else None
        if step is None:
            return f"{type(value).__name__} has no attribute `{atom}`"
        if not isinstance(step, Module):
            return f"`{atom}` is not an nn.Module"
        value = step
    if kind == "nn.Module":
        return f"`{last}` is not an nn.Module"
    if _walk(value, last) is None and not hasattr(value, last):
        return f"{type(value).__name__} has no attribute `{last}`"
    return f"`{last}` is not {'a buffer' if kind == 'buffer' else 'an nn.Parameter'}"


def _every_path(module: Module, name: str, above: tuple) -> Iterator[tuple[str, Module]]:
    """`module` and every module below it under each name it has, depth first (a module that
    contains itself is not entered again)."""
    yield name, module
    for child_name, child in module._direct_members():  # (named_children: each once)
        if isinstance(child, Module) and child is not module and child not in above:
            yield from _every_path(child, _join(name, child_name), (*above, module))


class _LoadRun(NamedTuple):
    """What one load_state_dict call carries down the tree."""

    metadata: Mapping | None
    assign: bool
    keys: IncompatibleKeys
    errors: list[str]
    extra_set: list[Module]  # modules whose set_extra_state may have been called
    pending: list | None = None  # a plain tree's (tensor, value) copies, made after the checks


_PENDING = "_tinygrad_np_pending_copies"  # the local metadata key carrying `pending`


def _plain_tree(module: Module) -> bool:
    """No load hooks and no overrides of the load steps below `module`: its base
    `_load_from_state_dict` calls only check, and the copies can wait for every check."""
    return all(type(each)._load_from_state_dict is Module._load_from_state_dict
               and type(each).set_extra_state is Module.set_extra_state
               and not each._hook_table("load_pre") and not each._hook_table("load_post")
               for each in module.modules())


def _save_tree(module: Module, destination: dict | None, prefix: str, keep_vars: bool,
               above: tuple) -> dict:
    """PyTorch's recursion of state_dict: pre-hooks, the module's own part, its children
    (through their own state_dict if a class overrides it), post-hooks. `above`: the modules
    being saved, so that a module containing itself is saved once."""
    if destination is None:
        destination = OrderedDict()
        destination._metadata = OrderedDict()  # type: ignore[attr-defined]
    local_metadata = {"version": module._version}
    if hasattr(destination, "_metadata"):
        destination._metadata[prefix[:-1]] = local_metadata
    for hook in list(module._hook_table("state_dict_pre").values()):
        hook(module, prefix, keep_vars)
    module._save_to_state_dict(destination, prefix, keep_vars)
    inside = (*above, module)
    for name, child in module._child_items():
        if child in inside:  # (a module that contains itself: once)
            continue
        if type(child).state_dict is Module.state_dict:
            _save_tree(child, destination, f"{prefix}{name}.", keep_vars, inside)
        else:
            child.state_dict(destination=destination, prefix=f"{prefix}{name}.",
                             keep_vars=keep_vars)
    for hook, public in list(module._hook_table("state_dict_post").values()):
        result = hook(module, destination, prefix, local_metadata)
        if public and result is not None:
            raise RuntimeError("state_dict post-hook must return None")
        if result is not None:  # the older _register_state_dict_hook may return a dict
            destination = result
    return destination


def _load_tree(module: Module, state: dict, prefix: str, run: _LoadRun, above: tuple) -> None:
    """PyTorch's recursion of load_state_dict: the module's own part, then each child with
    the keys under its name (grouped in one pass), then the module's load post-hooks."""
    local_metadata = {} if run.metadata is None else dict(run.metadata.get(prefix[:-1], {}))
    if run.assign:
        local_metadata["assign_to_params_buffers"] = True
    if run.pending is not None:
        local_metadata[_PENDING] = run.pending
    extra_key = prefix + "_extra_state"
    if extra_key in state:
        run.extra_set.append(module)
    module._load_from_state_dict(state, prefix, local_metadata, True, run.keys.missing_keys,
                                 run.keys.unexpected_keys, run.errors)
    if extra_key in state and (not run.extra_set or run.extra_set[-1] is not module):
        run.extra_set.append(module)  # (an override may have put the key there)
    children = module._child_items()
    groups = _group_by_child(state, prefix, {name for name, _ in children})
    for name, child in children:
        if child is not module and child not in above:
            _load_tree(child, groups.get(name, {}), f"{prefix}{name}.", run, (*above, module))
    for hook in list(module._hook_table("load_post").values()):
        if hook(module, run.keys) is not None:
            raise AssertionError("load_state_dict post-hooks must return None (change "
                                 "incompatible_keys in place)")


def _owner(rest: str, children: set[str]) -> str | None:
    """The child name that key `rest` (relative to its module) falls under, or None. A child
    name may hold dots (a module inside a list attribute is `layers.0`)."""
    head, dot, _ = rest.partition(".")
    if not dot:
        return None
    if head in children:
        return head
    parts = rest.split(".")
    for end in range(2, len(parts)):
        candidate = ".".join(parts[:end])
        if candidate in children:
            return candidate
    return None


def _group_by_child(state: dict, prefix: str, children: set[str]) -> dict[str, dict]:
    """The keys of `state` under `prefix`, grouped by the child they fall under (one pass)."""
    groups: dict[str, dict] = {}
    if not children:
        return groups
    for key, value in state.items():
        if isinstance(key, str) and key.startswith(prefix):
            owner = _owner(key[len(prefix):], children)
            if owner is not None:
                groups.setdefault(owner, {})[key] = value
    return groups


def _strict_problems(keys: IncompatibleKeys, strict: bool) -> list[str]:
    if not strict:
        return []
    found = [f"{kind} key(s) in state_dict: {', '.join(map(_quoted, names))}. "
             for kind, names in (("Missing", keys.missing_keys),
                                 ("Unexpected", keys.unexpected_keys)) if names]
    return found


def _quoted(key: str) -> str:
    return f'"{key}"'


def _torch_size(shape: tuple) -> str:
    """A shape as PyTorch prints it in load_state_dict's errors (`torch.Size([2, 3])`)."""
    return f"torch.Size({list(shape)})"


def _copy_error(key: str, parameter: Tensor, array: np.ndarray, reason: str) -> str:
    """PyTorch's wording for a value that has the right shape but cannot be copied."""
    return (f'While copying the parameter named "{key}", whose dimensions in the model are '
            f"{_torch_size(parameter.shape)} and whose dimensions in the checkpoint are "
            f"{_torch_size(array.shape)}, an exception occurred : {(reason,)}.")


def _snapshot(module: Module) -> tuple[list, list, list]:
    """Copies of every tensor below `module`, which module holds it under which name, and
    the extra state of the modules that have one, for load_state_dict to put back on
    failure."""
    tensors = [(tensor, tensor._data.copy(), tensor._changes(), type(tensor))
               for _, tensor, _ in module._named_state()]
    extra = [(each, each.get_extra_state()) for each in module.modules()
             if type(each).set_extra_state is not Module.set_extra_state
             and type(each).get_extra_state is not Module.get_extra_state]
    held = [(each, name, tensor) for each in module.modules()
            for name, tensor, _ in each._own_tensors()]
    return tensors, extra, held


def _restore(snapshot: tuple[list, list, list], extra_set: list[Module]) -> None:
    """Put back what `_snapshot` saved (the extra state only where it may have changed)."""
    tensors, extra, held = snapshot
    for each, name, tensor in held:  # tensors that assign=True replaced
        current = {own: value for own, value, _ in each._own_tensors()}.get(name)
        if current is not None and current is not tensor:
            _replace_member(each, name, current, tensor)
    with no_grad():
        for tensor, values, version, kind in tensors:
            if type(tensor) is not kind:  # a lazy placeholder the load materialized: again one
                tensor.__class__, tensor._data = kind, values
            elif is_lazy(tensor):  # (a placeholder untouched: nothing to put back)
                continue
            elif tensor.shape == values.shape and tensor.dtype == values.dtype:
                tensor._copy_array_(values)
            else:  # an override gave it another array: the old one back
                leaf = tensor.requires_grad and tensor.grad_fn is None
                tensor._data = _lock(values) if leaf else values
            if tensor._counter is not None:  # the same values: the same version, untouched
                tensor._counter[0] = version
    changed = {id(each) for each in extra_set}
    for each, state in extra:
        if id(each) in changed:
            each.set_extra_state(state)


class StateDictError(RuntimeError, ValueError):
    """What load_state_dict raises: PyTorch raises a RuntimeError (so `except RuntimeError`
    in a ported script catches it); a ValueError too, as this library raised before."""


def _loadable_value(name: str, value: Any, parameter: Tensor, assign: bool = False
                    ) -> np.ndarray | Tensor | str:
    """`value` converted to the parameter's dtype (with `assign`: as a Tensor sharing its
    memory, `value` itself when it is one), or the text of what is wrong with it, in
    PyTorch's words. As PyTorch's copy_, any number casts: floats into ints truncate
    toward zero, complex into real drops the imaginary part (with PyTorch's UserWarning);
    values the parameter's dtype cannot hold (nan or 1e30 into int64, 1e300 into float32)
    are refused, where PyTorch would store an undefined integer or inf."""
    given = value if isinstance(value, Tensor) else None
    if is_lazy(value):  # (a lazy module's placeholder: no shape to copy)
        return (f"While copying the parameter named \"{name}\": can't access the shape of an "
                "uninitialized parameter or buffer. This error usually happens in "
                "`load_state_dict` when trying to load an uninitialized parameter into an "
                "initialized one. Call `forward` to initialize the parameters before "
                "accessing their attributes.")
    if isinstance(value, Tensor):
        array = value._data
    elif isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
    elif is_torch_tensor(value):
        array = torch_values(value)  # a PyTorch state dict loads unchanged (bfloat16 too)
    else:
        return (f'While copying the parameter named "{name}", expected torch.Tensor or '
                f"Tensor-like object from checkpoint but received {type(value)}")
    if parameter.shape == () and array.shape == (1,):  # PyTorch's rule for old checkpoints
        array, given = array.reshape(()), None
    if array.shape != parameter.shape:
        return (f"size mismatch for {name}: copying a param with shape "
                f"{_torch_size(array.shape)} from checkpoint, the shape in current model is "
                f"{_torch_size(parameter.shape)}.")
    target = parameter.dtype
    if array.dtype.kind not in "biufc":
        return _copy_error(name, parameter, array, f"holds {array.dtype} values, not numbers")
    if assign:
        if isinstance(parameter, Parameter) and parameter.requires_grad and (
                array.dtype.kind not in "fc"):
            return _copy_error(name, parameter, array, "Only Tensors of floating point and "
                               "complex dtype can require gradients")
        return given if given is not None else Tensor(array)
    if array.dtype.kind == "c" and target.kind != "c":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=4)
        array = array.real
    if target.kind in "iu" and array.dtype.kind in "iu" and array.size:
        info = np.iinfo(target)  # NumPy wraps integers silently: 70000 into int16 is 4464
        if array.min() < info.min or array.max() > info.max:
            return _copy_error(name, parameter, array, _out_of_range(target))
    try:
        with np.errstate(over="raise", invalid="raise"):
            array.astype(target, copy=False)  # a check: the copy casts (as PyTorch's copy_,
    except FloatingPointError:  # key by key, so an entry aliasing a tensor loaded before it
        return _copy_error(name, parameter, array, _out_of_range(target))  # reads its new
    return array  # values, as PyTorch's)


def _out_of_range(target: np.dtype) -> str:
    nan = " (or nan or infinity, which no integer holds)" if target.kind in "iu" else ""
    return f"values out of range for {np.dtype(target)}{nan}"


def _assign(module: Module, name: str, old: Tensor, given: Tensor) -> None:
    """load_state_dict(assign=True): `given` becomes `module`'s parameter or buffer `name`."""
    if isinstance(old, Parameter):
        if isinstance(given, Parameter):
            given.requires_grad_(old.requires_grad)
        else:
            given = Parameter(given, requires_grad=old.requires_grad)
    elif isinstance(given, Parameter):
        given = given.detach()
    _replace_member(module, name, old, given)


def _replace_member(module: Module, name: str, old: Tensor, new: Tensor) -> None:
    """Put `new` where `module` holds its own tensor `name` (now `old`): an attribute, an item
    of a container module, or an item inside list, dict or tuple attributes (a tuple is
    rebuilt)."""
    attributes = vars(module)
    items = attributes.get("_items")  # ParameterList, ParameterDict
    keys = range(len(items)) if isinstance(items, list) else items if isinstance(
        items, dict) else ()
    for key in keys:
        if str(key) == name and items[key] is old:
            items[key] = new
            return
    for attribute, value in list(attributes.items()):
        if attribute not in HOOK_ATTRIBUTES:
            replaced = _swapped(value, attribute, name, old, new)
            if replaced is not value:
                attributes[attribute] = replaced  # (not __setattr__: nothing to register)
                return
    old.data = new  # held somewhere else: the old tensor shares the new one's memory


def _swapped(value: Any, path: str, name: str, old: Tensor, new: Tensor) -> Any:
    """`value` (at dotted `path`) with `old` at `name` replaced by `new`; `value` itself when
    `name` is not inside it."""
    if value is old:
        return new if path == name else value
    if not (isinstance(value, (list, tuple, dict)) and name.startswith(path + ".")):
        return value
    pairs = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
    for key, item in pairs:
        replaced = _swapped(item, f"{path}.{key}", name, old, new)
        if replaced is item:
            continue
        if not isinstance(value, tuple):
            value[key] = replaced
            return value
        items = [replaced if position == key else each for position, each in pairs]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    return value


class RemovableHandle(metaclass=ABCMeta):  # noqa: B024 (ABCMeta for register() only)
    """What `register_forward_hook` returns: `handle.remove()` unregisters the hook (also as
    a context manager: `with module.register_forward_hook(f): ...`). A tensor's
    `register_hook` handle is one too (`isinstance(h, torch.utils.hooks.RemovableHandle)`)."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self._also: list[set] = []  # other tables holding the id (the always-call ids)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        for table in self._also:
            table.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


RemovableHandle.register(tensor_hooks.RemovableHandle)
RemovableHandle.register(tensor_hooks._PostAccumulateHandle)


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


# ----------------------------------------------------------------- global hooks
def _add_global(table: dict, hook: Any, what: str) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"{what}: expected a callable, got {type(hook).__name__}")
    return RemovableHandle(table)


def register_module_forward_pre_hook(hook: Any) -> RemovableHandle:
    """`hook(module, args)` before every module's forward (before the module's own pre-hooks);
    a non-None result replaces the arguments. Returns a handle whose remove() unregisters it."""
    handle = _add_global(_GLOBAL_HOOKS["pre"], hook, "register_module_forward_pre_hook")
    _GLOBAL_HOOKS["pre"][handle.id] = (hook, False)
    return handle


def register_module_forward_hook(hook: Any, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """`hook(module, args, output)` after every module's forward (before the module's own
    forward hooks); a non-None result replaces the output. Returns a removable handle."""
    handle = _add_global(_GLOBAL_HOOKS["post"], hook, "register_module_forward_hook")
    _GLOBAL_HOOKS["post"][handle.id] = (hook, with_kwargs)
    if always_call:
        _GLOBAL_HOOKS["always"].add(handle.id)
        handle._also.append(_GLOBAL_HOOKS["always"])
    return handle


def register_module_full_backward_hook(hook: Any) -> RemovableHandle:
    """`hook(module, grad_input, grad_output)` for every module, as
    Module.register_full_backward_hook (before the module's own). Returns a removable handle."""
    handle = _add_global(_GLOBAL_HOOKS["backward"], hook, "register_module_full_backward_hook")
    _GLOBAL_HOOKS["backward"][handle.id] = hook
    return handle


def register_module_full_backward_pre_hook(hook: Any) -> RemovableHandle:
    """`hook(module, grad_output)` for every module, as
    Module.register_full_backward_pre_hook. Returns a removable handle."""
    handle = _add_global(_GLOBAL_HOOKS["backward_pre"], hook,
                         "register_module_full_backward_pre_hook")
    _GLOBAL_HOOKS["backward_pre"][handle.id] = hook
    return handle


def register_module_backward_hook(hook: Any) -> RemovableHandle:
    """PyTorch's deprecated global backward hook: here the same as
    register_module_full_backward_hook (see Module.register_backward_hook)."""
    return register_module_full_backward_hook(hook)


def _registration(kind: str, hook: Any) -> RemovableHandle:
    handle = _add_global(_REGISTRATION_HOOKS[kind], hook,
                         f"register_module_{kind}_registration_hook")
    _REGISTRATION_HOOKS[kind][handle.id] = hook
    return handle


def register_module_buffer_registration_hook(hook: Any) -> RemovableHandle:
    """`hook(module, name, buffer)` whenever any module registers a buffer; a non-None result
    is registered instead. Returns a removable handle."""
    return _registration("buffer", hook)


def register_module_module_registration_hook(hook: Any) -> RemovableHandle:
    """`hook(module, name, submodule)` whenever any module gets a sub-module; a non-None
    result is registered instead. Returns a removable handle."""
    return _registration("module", hook)


def register_module_parameter_registration_hook(hook: Any) -> RemovableHandle:
    """`hook(module, name, param)` whenever any module gets a Parameter; a non-None result
    is registered instead. Returns a removable handle."""
    return _registration("parameter", hook)
