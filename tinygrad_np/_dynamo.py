"""`torch.compile` and `torch._dynamo`: there is no compiler here, so code runs as written
(eagerly), but what scripts see of them is PyTorch's.

`torch.compile(module)` returns an `OptimizedModule` wrapping the module, as PyTorch's: calling
it calls the module, `compiled._orig_mod` is the module, its state_dict keys start with
`_orig_mod.`, its parameters are the module's, and reading or setting any other attribute
reaches the module. `torch.compile(function)` returns the function itself (PyTorch returns a
wrapper function). `torch._dynamo.config` holds settings that change nothing here;
`torch._dynamo.reset()` has nothing to reset.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator
from typing import Any

from tinygrad_np import compiler
from tinygrad_np.nn.module import Module


class OptimizedModule(Module):
    """`torch.compile(module)`: a module that runs `_orig_mod` (the compiled module itself,
    here run eagerly); attributes other than its own reach `_orig_mod`, as PyTorch's."""

    _own = frozenset({"_orig_mod", "dynamo_ctx", "forward", "_forward"})

    def __init__(self, mod: Module, **options: Any) -> None:
        vars(self)["training"] = True  # Module.__init__'s mark (read through the property)
        vars(self)["_orig_mod"] = mod  # a child: state_dict keys start with '_orig_mod.'
        vars(self)["dynamo_ctx"] = types.SimpleNamespace(**options)  # the compile options

    @property  # type: ignore[override]
    def training(self) -> bool:
        """The wrapped module's training flag (train()/eval() on either change both)."""
        return vars(self)["_orig_mod"].training

    @training.setter
    def training(self, value: bool) -> None:
        vars(self)["_orig_mod"].training = value

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return vars(self)["_orig_mod"](*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in ("_orig_mod", "__setstate__") or "_orig_mod" not in vars(self):
            raise AttributeError(f"'OptimizedModule' object has no attribute {name!r}")
        return getattr(vars(self)["_orig_mod"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name) or name in self._own:
            super().__setattr__(name, value)
        else:
            setattr(vars(self)["_orig_mod"], name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in self._own:
            super().__delattr__(name)
        else:
            delattr(vars(self)["_orig_mod"], name)

    def get_submodule(self, target: str) -> Module:
        """By its path from the wrapper (`_orig_mod.0`) or from the module (`0`), as PyTorch's
        (whose attribute lookups reach the module)."""
        try:
            return super().get_submodule(target)
        except AttributeError:
            return vars(self)["_orig_mod"].get_submodule(target)

    def _get_tensor(self, target: str, buffer: bool) -> Any:  # get_parameter, get_buffer
        try:
            return super()._get_tensor(target, buffer)
        except AttributeError:
            return vars(self)["_orig_mod"]._get_tensor(target, buffer)

    def __len__(self) -> int:
        mod = vars(self)["_orig_mod"]
        if not hasattr(mod, "__len__"):
            raise TypeError(f"{type(mod).__name__} does not support len()")
        return len(mod)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(vars(self)["_orig_mod"])) | set(super().__dir__()))


def compile(model: Any = None, **options: Any) -> Any:  # noqa: A001  (PyTorch's name)
    """`torch.compile(model)` and `@torch.compile(...)`: a module comes back wrapped in an
    OptimizedModule (which runs it as it is), a function as itself; PyTorch's options (mode=,
    fullgraph=, backend=, dynamic=, ...) are accepted and change nothing."""
    if model is None:
        return lambda function: compile(function, **options)
    if isinstance(model, Module):
        return OptimizedModule(model, **options)
    if not callable(model):
        raise TypeError(f"compile: expected a module or a function, got {type(model).__name__}")
    return model


class _Config(types.ModuleType):
    """`torch._dynamo.config`: PyTorch's commonly set switches with their defaults; any
    setting is accepted (none changes anything here), reading an unknown one raises."""

    @contextlib.contextmanager
    def patch(self, changes: dict | None = None, **kwargs: Any) -> Iterator[None]:
        """`with config.patch(suppress_errors=True):` the settings changed inside the block."""
        changes = {**(changes or {}), **kwargs}
        saved = {name: getattr(self, name) for name in changes if hasattr(self, name)}
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            yield
        finally:
            for name in changes:
                delattr(self, name)
            for name, value in saved.items():
                setattr(self, name, value)


config = _Config(f"{__name__}.config", __doc__)
config.__dict__.update(
    suppress_errors=False, verbose=False, cache_size_limit=8, accumulated_cache_size_limit=256,
    recompile_limit=8, accumulated_recompile_limit=256, capture_scalar_outputs=False,
    capture_dynamic_output_shape_ops=False, optimize_ddp=True, automatic_dynamic_shapes=True,
    assume_static_by_default=True, inline_inbuilt_nn_modules=True, guard_nn_modules=True,
    specialize_int=False, force_parameter_static_shapes=True, error_on_recompile=False,
    dynamic_shapes=True, replay_record_enabled=False)
sys.modules[config.__name__] = config
eval_frame = types.ModuleType(f"{__name__}.eval_frame", "Where PyTorch defines OptimizedModule.")
eval_frame.OptimizedModule = OptimizedModule
sys.modules[eval_frame.__name__] = eval_frame


def reset() -> None:
    """Nothing to reset: nothing is compiled or cached."""


def _unchanged(value: Any, *args: Any, **kwargs: Any) -> None:
    """Nothing to mark: shapes are never specialised here."""


mark_dynamic = mark_static = maybe_mark_dynamic = mark_static_address = _unchanged
disable, is_compiling = compiler.disable, compiler.is_compiling
allow_in_graph, assume_constant_result = compiler.allow_in_graph, compiler.assume_constant_result

__all__ = ["OptimizedModule", "allow_in_graph", "assume_constant_result", "compile", "config",
           "disable", "eval_frame", "is_compiling", "mark_dynamic", "mark_static",
           "mark_static_address", "maybe_mark_dynamic", "reset"]
