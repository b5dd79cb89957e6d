"""`Tensor.register_hook`: functions that see, and may replace, a tensor's gradient in backward.

The engine calls `run_hooks` at two points: for an op's output when its node comes off the
heap (before `retain_grad` captures it and before the node's rule runs), and for a leaf once
its gradient is complete (before it reaches `.grad` or `tg.grad`'s result). A node keeps its
hooks as `hooks`, a leaf in its `_hooks` slot; both go with the object.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from functools import partial
from itertools import count
from typing import Any

import numpy as np

from tinygrad_np.tensor import Tensor

leaves_hooked = False  # True once any leaf has a hook: until then backward checks no leaf


_handle_ids = count()


class RemovableHandle:
    """What `register_hook` returns: `handle.remove()` unregisters the hook (also as a
    context manager)."""

    def __init__(self, owner: Any, hook: Callable, field: str | None = None) -> None:
        self._owner, self._hook = weakref.ref(owner), hook  # a kept handle keeps no graph
        self._field = field or ("_hooks" if isinstance(owner, Tensor) else "hooks")
        self.id = next(_handle_ids)  # PyTorch's handle number (unique; nothing looks it up)

    def remove(self) -> None:
        owner = self._owner()
        if owner is not None:
            field = self._field
            kept = tuple(h for h in getattr(owner, field, ()) if h is not self._hook)
            setattr(owner, field, kept)
        self._hook = None  # a handle kept after remove() keeps nothing the hook holds

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
        raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                           "require gradient")
    entry = partial(hook)  # its own object: a handle removes this registration only
    if tensor.grad_fn is None:
        _hook_list(tensor, "_hooks").append(entry)
        leaves_hooked = True
        return RemovableHandle(tensor, entry)
    node = tensor.grad_fn  # before the node's own prehooks (all at the end), as PyTorch runs
    hooks = _hook_list(node, "hooks")  # them
    position = len(hooks)
    while position and isinstance(hooks[position - 1], _NodePrehook):
        position -= 1
    hooks.insert(position, entry)
    return RemovableHandle(node, entry)


def _hook_list(owner: Any, field: str) -> list:
    """`owner`'s hooks as a list it holds (a tuple, as removal leaves them, becomes one), so
    that registering n hooks costs n appends, not n copies."""
    hooks = getattr(owner, field, ())
    if type(hooks) is not list:
        hooks = list(hooks)
        setattr(owner, field, hooks)
    return hooks


def run_hooks(owner: Any, grad: Any, create_graph: bool) -> Any:
    """The hooks of `owner` (a leaf, or the node of an op's output) in turn: each gets the
    gradient as a Tensor in the tensor's dtype (as PyTorch); one it returns replaces it."""
    leaf = isinstance(owner, Tensor)
    hooks, dtype = (owner._hooks, owner.dtype) if leaf else (owner.hooks, owner.output_dtype)
    hooks = (*hooks,)  # those registered now: one a hook adds runs from the next pass on
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
        if result.shape != value.shape or result.dtype != value.dtype:  # (PyTorch's words)
            what = "size" if result.shape != value.shape else "type"
            raise RuntimeError(f"hook {name!r} has changed the {what} of value (it changed the "
                               f"gradient: it got {value.dtype.name} {value.shape} and returned "
                               f"{result.dtype.name} {result.shape})")
        value = result
    return value if create_graph else value._data


def run_leaf_hooks(pending: dict, create_graph: bool) -> None:
    """At the end of a pass, each hooked leaf's hooks on its complete gradient (nothing to do
    until a leaf has had a hook), then the callbacks `at_pass_end` queued during the pass."""
    if leaves_hooked:
        for leaf in [key for key in pending if getattr(key, "_hooks", ())]:
            pending[leaf] = (run_hooks(leaf, pending[leaf][0], create_graph), False)
    if pass_end_used and getattr(_pass_end, "queue", None):
        queue, _pass_end.queue = _pass_end.queue, []
        for callback in queue:
            callback()


_pass_end = threading.local()  # .queue: this thread's callbacks for the end of its pass
pass_end_used = False  # True once at_pass_end has been called: until then a pass looks for none


def at_pass_end(callback: Callable[[], None]) -> None:
    """Call `callback()` when the backward pass running in this thread has computed every
    gradient (after the leaves' hooks; a pass that a hook starts inside it ends first and runs
    the callbacks queued so far). For `autograd.graph.register_multi_grad_hook`."""
    global pass_end_used
    pass_end_used = True
    queue = getattr(_pass_end, "queue", None)
    if queue is None:
        queue = _pass_end.queue = []
    queue.append(callback)


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
        self._hook = None  # (as RemovableHandle's)

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


def run_post_accumulate_hooks(found: dict, only: set | None, create_graph: bool = False) -> None:
    """After backward() accumulated into the leaves: each hooked leaf's hooks, in order, in
    grad mode `create_graph` as PyTorch's (so `p.add_(p.grad, alpha=-lr)` works in one)."""
    if _post_accumulate:
        from tinygrad_np.function import set_grad_enabled  # noqa: PLC0415 (tensor.py, which
        # function.py needs, imports this module)
        for key in list(found):
            ref, hooks = _post_accumulate.get(id(key), (None, ()))
            if ref is not None and ref() is key and (only is None or id(key) in only):
                for hook in hooks:
                    with set_grad_enabled(create_graph):
                        returned = hook(key)
                    if returned is not None and not isinstance(returned, Tensor):
                        raise TypeError(f"expected Variable, but hook returned "
                                        f"'{type(returned).__name__}'")
                    if returned is not None and returned is not key:  # (`p.add_(...)` is p)
                        name = getattr(hook.func, "__name__", hook.func)
                        raise RuntimeError("Tensor post accumulate grad hooks should return "
                                           f"None (the hook {name!r})")


# grad_fn.register_prehook and grad_fn.register_hook (node_api.py's NodeInfo calls these).
class _NodePrehook(partial):
    """A `grad_fn.register_prehook(fn)` entry among the node's hooks: fn(grad_outputs) gets
    the 1-tuple of the output's gradient and may return a new 1-tuple; `(None,)` drops the
    gradient (PyTorch's undefined one: the node passes nothing on), here zeros."""

    def __call__(self, grad: Tensor) -> Tensor | None:
        result = self.func((grad,))
        if result is None:
            return None
        value = _returned_tuple(self.func, result, 1)[0]
        return Tensor._make(np.zeros(grad.shape, grad.dtype), None) if value is None else value


def register_node_prehook(node: Any, hook: Callable[[tuple], tuple | None]
                          ) -> RemovableHandle:
    """`grad_fn.register_prehook`: hook(grad_outputs) before the node's rule, after the
    hooks registered on its output tensor; a tuple it returns replaces grad_outputs."""
    if not callable(hook):
        raise TypeError(f"register_prehook: expected a function, got {hook!r}")
    if isinstance(node, _AccumulateGrad):  # a leaf's: the leaf's complete gradient
        return register_hook(node.variable, _NodePrehook(hook))
    entry = _NodePrehook(hook)
    _hook_list(node, "hooks").append(entry)
    return RemovableHandle(node, entry)


def register_node_posthook(node: Any, hook: Callable[[tuple, tuple], tuple | None]
                           ) -> RemovableHandle:
    """`grad_fn.register_hook`: hook(grad_inputs, grad_outputs) after the node's rule (one
    gradient per tensor input, None where there is none (NodeInfo._input_positions: as
    PyTorch's, but in our op's argument order, so a fused op differs: `F.linear` gives
    (input, weight, bias), PyTorch's AddmmBackward0 (bias, input, weight.T))); a tuple of that
    length it returns replaces grad_inputs. The node becomes an instance of a subclass of
    its op (same name) whose backward runs the rule and then these hooks: the engine calls
    `type(node).backward`."""
    if not callable(hook):
        raise TypeError(f"register_hook: expected a function, got {hook!r}")
    if isinstance(node, _AccumulateGrad):  # told the leaf's gradient, before accumulation
        return register_hook(node.variable, partial(_tell_accumulator_hook, hook))
    entry = partial(hook)
    if not getattr(type(node), "_runs_post_hooks", False):
        node.__class__ = _with_post_hooks(type(node))
    node.post_hooks = (*getattr(node, "post_hooks", ()), entry)
    return RemovableHandle(node, entry, "post_hooks")


def _tell_accumulator_hook(hook: Callable, grad: Tensor) -> None:
    hook((), (grad,))


_HOOKED_OPS: dict[type, type] = {}


def _with_post_hooks(op: type) -> type:
    """The subclass of `op` whose backward runs the rule, then the node's post_hooks."""
    hooked = _HOOKED_OPS.get(op)
    if hooked is None:
        hooked = type(op.__name__, (op,), {"__qualname__": op.__qualname__,
                                           "__module__": op.__module__,
                                           "_runs_post_hooks": True})
        rule = op.backward

        def backward(ctx: Any, grad_output: Any) -> Any:
            return _run_post_hooks(ctx, rule(ctx, grad_output), grad_output)

        hooked.backward = backward  # after the class is made (no __init_subclass__ wrapping)
        _HOOKED_OPS[op] = hooked
    return hooked


def _run_post_hooks(node: Any, grads: Any, grad_output: Any) -> tuple:
    """The node's rule gave `grads` (one per forward argument): the hooks see and may
    replace those of PyTorch's inputs (`_input_positions`); the rest stay as they were."""
    from tinygrad_np.function import is_grad_enabled  # noqa: PLC0415 (function imports this)

    recording = is_grad_enabled()  # (the engine's mode in a pass: create_graph)
    grads = (*grads,) if type(grads) in (tuple, list) else (grads,)
    parents = node.parents
    grads = [*grads, *(None,) * (len(parents) - len(grads))]
    positions = node._input_positions()
    inputs = tuple(_input_gradient(node, grads[i], parents[i]) for i in positions)
    outputs = (grad_output if isinstance(grad_output, Tensor) else
               Tensor._make(np.asarray(grad_output), None),)
    for hook in node.post_hooks:
        result = hook(inputs, outputs)
        if result is not None:
            inputs = _checked_result(hook.func, result, inputs)
    for position, grad in zip(positions, inputs):
        grads[position] = grad if grad is None or recording else grad._data
    return tuple(grads)


def _input_gradient(node: Any, grad: Any, parent: Any) -> Tensor | None:
    """The rule's gradient for one input, as a Tensor of the input's shape (None: none)."""
    from tinygrad_np.autograd import unbroadcast  # noqa: PLC0415 (autograd imports this)

    if grad is None or parent is None:
        return None
    shape = parent.shape if isinstance(parent, Tensor) else parent.output_shape
    grad = unbroadcast(grad, tuple(shape), type(node).__name__)
    return grad if isinstance(grad, Tensor) else Tensor._make(np.asarray(grad), None)


def _returned_tuple(hook: Callable, result: Any, expected: int) -> tuple:
    """A node hook's replacement gradients: a tuple of `expected` values, in PyTorch's words
    (a list or a lone Tensor is its TypeError, another count its RuntimeError)."""
    if not isinstance(result, tuple):
        kind = type(result)
        kind = "Tensor" if isinstance(result, Tensor) else kind.__qualname__ if (
            kind.__module__ == "builtins") else f"{kind.__module__}.{kind.__qualname__}"
        raise TypeError(f"expected tuple, but hook returned {kind!r}")
    if len(result) != expected:
        raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} has returned an incorrect "
                           f"number of values (got {len(result)}, but expected {expected})")
    return result


def _checked_result(hook: Callable, result: Any, inputs: tuple) -> tuple:
    """A post-hook's replacement for grad_inputs, refused as PyTorch refuses it."""
    result = _returned_tuple(hook, result, len(inputs))
    if any(old is None and new is not None for old, new in zip(inputs, result)):
        raise RuntimeError("can't replace a None gradient with a non-None value")
    return tuple(result)


from tinygrad_np.node_api import AccumulateGrad as _AccumulateGrad  # noqa: E402
