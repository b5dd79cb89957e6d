"""`Tensor.register_hook`: functions that see, and may replace, a tensor's gradient in backward.

The engine calls `run_hooks` at two points: for an op's output when its node comes off the
heap (before `retain_grad` captures it and before the node's rule runs), and for a leaf once
its gradient is complete (before it reaches `.grad` or `tg.grad`'s result). A node keeps its
hooks as `hooks`, a leaf in its `_hooks` slot; both go with the object.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from tinygrad_np.tensor import Tensor

leaves_hooked = False  # True once any leaf has a hook: until then backward checks no leaf


class RemovableHandle:
    """What `register_hook` returns: `handle.remove()` unregisters the hook (also as a
    context manager)."""

    def __init__(self, owner: Any, hook: Callable) -> None:
        self._owner, self._hook = weakref.ref(owner), hook  # a kept handle keeps no graph

    def remove(self) -> None:
        owner = self._owner()
        if owner is not None:
            field = "_hooks" if isinstance(owner, Tensor) else "hooks"
            kept = tuple(h for h in getattr(owner, field, ()) if h is not self._hook)
            setattr(owner, field, kept)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_hook(tensor: Tensor, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
    """Call `hook(grad)` with the gradient with respect to `tensor` each time backward
    computes it; a Tensor it returns (same shape and dtype) is used instead."""
    global leaves_hooked
    if not callable(hook):
        raise TypeError(f"register_hook: expected a function of the gradient, got {hook!r}")
    if not tensor.requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                           "require grad")
    entry = partial(hook)  # its own object: a handle removes this registration only
    if tensor.grad_fn is None:
        tensor._hooks = (*getattr(tensor, "_hooks", ()), entry)
        leaves_hooked = True
        return RemovableHandle(tensor, entry)
    tensor.grad_fn.hooks = (*tensor.grad_fn.hooks, entry)
    return RemovableHandle(tensor.grad_fn, entry)


def run_hooks(owner: Any, grad: Any, create_graph: bool) -> Any:
    """The hooks of `owner` (a leaf, or the node of an op's output) in turn: each gets the
    gradient as a Tensor in the tensor's dtype (as PyTorch); one it returns replaces it."""
    leaf = isinstance(owner, Tensor)
    hooks, dtype = (owner._hooks, owner.dtype) if leaf else (owner.hooks, owner.output_dtype)
    value = grad if isinstance(grad, Tensor) else Tensor._make(np.asarray(grad), None)
    value = value if value.dtype == dtype else value.to(dtype)
    for hook in hooks:
        result = hook(value)
        if result is None:
            continue
        name = getattr(getattr(hook, "func", hook), "__name__", hook)
        if not isinstance(result, Tensor):  # (PyTorch's class and wording)
            kind = type(result)
            kind = kind.__qualname__ if kind.__module__ == "builtins" else (
                f"{kind.__module__}.{kind.__qualname__}")
            raise TypeError(f"expected Variable, but hook returned {kind!r} (hook {name!r}: "
                            "a hook returns None or a Tensor)")
        if result.shape != value.shape or result.dtype != value.dtype:
            raise RuntimeError(f"hook {name!r} changed the gradient: it got {value.dtype} "
                               f"{value.shape} and returned {result.dtype} {result.shape}")
        value = result
    return value if create_graph else value._data


def run_leaf_hooks(pending: dict, create_graph: bool) -> None:
    """At the end of a pass, each hooked leaf's hooks on its complete gradient (nothing to do
    until a leaf has had a hook)."""
    if leaves_hooked:
        for leaf in [key for key in pending if getattr(key, "_hooks", ())]:
            pending[leaf] = (run_hooks(leaf, pending[leaf][0], create_graph), False)


# PyTorch's post-accumulate-grad hooks: hook(leaf) after backward() added to leaf.grad
# (an optimizer step per parameter during backward). Kept here by the leaf's id, with a weak
# reference, since a Tensor has no slot for them; nothing runs until one is registered.
_post_accumulate: dict[int, tuple[weakref.ref, tuple]] = {}


class _PostAccumulateHandle:
    """What `register_post_accumulate_grad_hook` returns: `remove()` unregisters it."""

    def __init__(self, key: int, hook: Callable) -> None:
        self._key, self._hook = key, hook

    def remove(self) -> None:
        ref, hooks = _post_accumulate.get(self._key, (None, ()))
        if ref is not None:
            _post_accumulate[self._key] = (ref, tuple(h for h in hooks if h is not self._hook))

    def __enter__(self) -> _PostAccumulateHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register_post_accumulate_grad_hook(tensor: Tensor, hook: Callable[[Tensor], None]
                                       ) -> _PostAccumulateHandle:
    """Call `hook(tensor)` each time backward() has added to this leaf's `.grad`."""
    if not callable(hook):
        raise TypeError(f"register_post_accumulate_grad_hook: expected a function of the "
                        f"tensor, got {hook!r}")
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key, entry = id(tensor), partial(hook)
    ref, hooks = _post_accumulate.get(key, (None, ()))
    if ref is None or ref() is not tensor:
        ref = weakref.ref(tensor, lambda _, key=key, table=_post_accumulate: table.pop(key, None))
        hooks = ()
    _post_accumulate[key] = (ref, (*hooks, entry))
    return _PostAccumulateHandle(key, entry)


def run_post_accumulate_hooks(found: dict, only: set | None) -> None:
    """After backward() accumulated into the leaves: each hooked leaf's hooks, in order."""
    if _post_accumulate:
        for key in list(found):
            ref, hooks = _post_accumulate.get(id(key), (None, ()))
            if ref is not None and ref() is key and (only is None or id(key) in only):
                for hook in hooks:
                    hook(key)
