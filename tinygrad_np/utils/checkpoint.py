"""PyTorch's `torch.utils.checkpoint`: `checkpoint(fn, *args, use_reentrant=...)` and
`checkpoint_sequential`, which save memory by keeping only fn's inputs and running fn again
during backward.

`checkpoint` records one node, `_Checkpoint` (an `autograd.Function`), in place of fn's graph;
its backward runs fn again under enable_grad (with the random state fn first saw, so dropout
masks match) and backpropagates through the recomputed graph. fn therefore runs twice, as in
PyTorch (a BatchNorm inside updates its running stats twice).

- `use_reentrant=True` (PyTorch's default when it is not given, with its warning): fn runs
  under no_grad; the output requires grad only if an input tensor does; the backward adds
  into the `.grad` of the parameters fn reads, and `autograd.grad` through it raises.
- `use_reentrant=False`: fn first runs recording, to find the tensors requiring grad it reads
  besides its arguments (a model's parameters), and that graph is dropped: those tensors
  become the node's inputs, so `autograd.grad`, `create_graph` and double backward work.
  Keyword arguments are passed to fn.

`create_selective_checkpoint_contexts` accepts a policy but saves nothing selectively:
everything is recomputed.
"""

from __future__ import annotations

import contextlib
import enum
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_np import rng
from tinygrad_np.autograd import grad as engine_grad
from tinygrad_np.autograd_function import Function
from tinygrad_np.autograd_graph import _saved_hooks
from tinygrad_np.func import _leaves, _rebuilt  # (the pytree helpers torch.func uses)
from tinygrad_np.function import Function as EngineFunction, enable_grad, is_grad_enabled
from tinygrad_np.tensor import Tensor


class CheckpointError(RuntimeError):
    """PyTorch's error for a recomputation that differs from the forward."""


class CheckpointPolicy(enum.Enum):
    """What selective checkpointing does with an op's output (here: always recomputed)."""

    MUST_SAVE = 0
    PREFER_SAVE = 1
    MUST_RECOMPUTE = 2
    PREFER_RECOMPUTE = 3
    MUST_CPU_OFFLOAD = 4
    PREFER_CPU_OFFLOAD = 5


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled: bool | None) -> Iterator[None]:
    """PyTorch's switch for checkpoint's `debug` output within the block: accepted; there is
    no debug output here (checkpoint's `debug=` is accepted and ignored too)."""
    yield


def create_selective_checkpoint_contexts(policy_fn_or_list: Any,
                                         allow_cache_entry_mutation: bool = False) -> tuple:
    """PyTorch's (forward context, recompute context) for `checkpoint(context_fn=...)`: two
    null contexts here, as no op's output is saved selectively (everything recomputes)."""
    if not (callable(policy_fn_or_list) or isinstance(policy_fn_or_list, list)):
        raise TypeError("policy_fn_or_list must be either a function or a list of ops.")
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple) -> tuple:
    """Each tensor of `inputs` detached, requiring grad as it did; the rest as given."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    return tuple(x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x
                 for x in inputs)


class _Bridge(EngineFunction):
    """The identity between an input and its recomputed use: while the checkpoint's own
    gradient pass runs (`stop`), the gradient stops here; later passes (double backward
    through the gradients) go on into the input's graph."""

    stop = True

    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.view()

    def backward(ctx: Any, grad_output: Any) -> Any:
        return None if ctx.stop else grad_output


@contextlib.contextmanager
def _own_saves(active: bool = True) -> Iterator[None]:
    """use_reentrant=False: what fn's ops save is the checkpoint's own business, as in
    PyTorch (whose checkpoint has its own hooks): the user's saved_tensors_hooks' pack (and
    unpack) are not called for fn's ops, neither in forward nor while recomputing."""
    state = _saved_hooks
    if not (active and state.stack):
        yield
        return
    state.stack = (*state.stack, (None, None))  # (an inner pack of None: nothing is packed)
    try:
        yield
    finally:
        state.stack = state.stack[:-1]


def _outside_leaves(outputs: list, private: set[int]) -> list[Tensor]:
    """The leaves requiring grad that `outputs` were computed from, other than `private`."""
    found: dict[int, Tensor] = {}
    stack = [o.grad_fn or o for o in outputs if isinstance(o, Tensor) and o.requires_grad]
    seen: set[int] = set()
    while stack:
        key = stack.pop()
        if id(key) in seen or id(key) in private:
            continue
        seen.add(id(key))
        if isinstance(key, Tensor):
            found[id(key)] = key
        else:
            stack.extend(parent for parent in key.parents if parent is not None)
    return list(found.values())


class _Run:
    """One checkpointed call: fn, its arguments (the only tensors kept until backward), the
    random state it started from, and how to run it again."""

    def __init__(self, function: Callable[..., Any], args: tuple, kwargs: dict,
                 reentrant: bool, preserve_rng_state: bool, recompute_context: Any) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs
        self.reentrant, self.recompute_context = reentrant, recompute_context
        self.rng_state = rng.get_rng_state() if preserve_rng_state else None
        self.tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
        self.versions = [t._changes() for t in self.tensors]  # (an in-place change: refused)
        self.shapes: list = []  # the output leaves' shapes (None for a non-tensor)
        self.outside: list[Tensor] = []  # (use_reentrant=False) what fn reads requiring grad
        self.output: Any = None  # fn's result, until _Checkpoint.forward takes its leaves
        self.structure: Any = None  # its structure (its leaves None), to rebuild the result

    def call(self, swap: Callable[[Tensor], Any]) -> Any:
        """fn on the arguments with each tensor argument replaced by swap(tensor)."""
        args = tuple(swap(a) if isinstance(a, Tensor) else a for a in self.args)
        kwargs = {k: swap(v) if isinstance(v, Tensor) else v for k, v in self.kwargs.items()}
        return self.function(*args, **kwargs)

    def recompute(self, swap: Callable[[Tensor], Any]) -> Any:
        """fn again, recording, with the random state of the first run (then put back)."""
        state = rng.get_rng_state() if self.rng_state is not None else None
        if self.rng_state is not None:
            rng.set_rng_state(self.rng_state)
        try:
            with enable_grad(), self.recompute_context, _own_saves(not self.reentrant):
                return self.call(swap)
        finally:
            if state is not None:
                rng.set_rng_state(state)

    def backward(self, grads: tuple) -> tuple:
        """The gradients of the node's inputs: fn's tensor arguments, then `outside`."""
        from tinygrad_np import autograd_extra  # noqa: PLC0415  (torch.autograd's names: a tool)

        if self.reentrant and autograd_extra.in_grad_call():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        for position, (tensor, version) in enumerate(zip(self.tensors, self.versions)):
            if tensor._changes() != version:  # fn would run again on the new values
                raise _changed(position, tensor, tensor._changes(), version)
        create_graph = is_grad_enabled()
        inputs: dict[int, Tensor] = {}

        def swap(tensor: Tensor) -> Tensor:
            if self.reentrant:
                inputs[id(tensor)] = detach_variable((tensor,))[0]
            elif tensor.requires_grad:
                inputs[id(tensor)] = _Bridge.apply(tensor)
            return inputs.get(id(tensor), tensor)

        outputs = _leaves(self.recompute(swap))
        shapes = [tuple(o.shape) if isinstance(o, Tensor) else None for o in outputs]
        if shapes != self.shapes:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass: the outputs' shapes were "
                f"{self.shapes} in forward and are {shapes} recomputed (fn must compute the "
                "same thing again)")
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        first = {id(t): position for position, t in reversed(list(enumerate(self.tensors)))}
        chosen = [inputs.get(id(t)) if first[id(t)] == position else None  # (once for a
                  for position, t in enumerate(self.tensors)]  # tensor passed twice)
        if self.reentrant:
            if not pairs:
                raise RuntimeError("none of output has requires_grad=True, this checkpoint() "
                                   "is not necessary")
            autograd_extra.backward([o for o, _ in pairs], [g for _, g in pairs])
            return (None, *(x.grad if x is not None else None for x in chosen))
        targets = [x for x in chosen if x is not None] + self.outside
        if not pairs or not targets:
            return (None,) * (1 + len(chosen) + len(self.outside))
        try:
            found = iter(engine_grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                                     retain_graph=True, create_graph=create_graph,
                                     allow_unused=True))
        finally:
            for x in chosen:
                if x is not None:
                    x.grad_fn.stop = False  # later passes go through to the inputs
        return (None, *(None if x is None else next(found) for x in chosen), *found)


class _Checkpoint(Function):
    """The node a checkpoint records: forward hands back fn's result (computed there under
    no_grad with use_reentrant=True, before otherwise); backward runs fn again."""

    @staticmethod
    def forward(ctx: Any, run: _Run, *tensors: Tensor) -> Any:
        ctx.run = run  # fn's arguments saved as PyTorch's checkpoint saves them (through
        ctx.save_for_backward(*tensors[:len(run.tensors)])  # saved_tensors_hooks; freed by
        if run.output is None:  # backward, so a second backward needs retain_graph=True)
            run.output = run.call(lambda t: t)
        outputs = _leaves(run.output)
        run.shapes = [tuple(o.shape) if isinstance(o, Tensor) else None for o in outputs]
        run.structure = _rebuilt(run.output, iter([None] * len(outputs)))
        run.output = None
        single = len(outputs) == 1 and isinstance(outputs[0], Tensor)
        return outputs[0] if single else tuple(outputs)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        return ctx.run.backward(grads)

    def stale_error(self, index: int, now: int, saved: int) -> RuntimeError:
        """The engine's error for a saved argument changed in place, in checkpoint's words."""
        return _changed(index, self.run.tensors[index], now, saved)


def _changed(position: int, tensor: Tensor, now: int, version: int) -> RuntimeError:
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: checkpoint's input {position} (shape {tuple(tensor.shape)}) is at version "
        f"{now}; expected version {version} instead. Change it after backward(), or "
        "checkpoint a clone.")


def _reentrant(use_reentrant: bool | None, caller: str) -> bool:
    """use_reentrant, True when not given (with PyTorch's warning)."""
    if use_reentrant is None:
        when = ("Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise "
                "an exception." if caller == "checkpoint" else
                "In version 2.9 we will raise an exception if use_reentrant is not passed.")
        warnings.warn(f"torch.utils.checkpoint{'' if caller == 'checkpoint' else '.' + caller}: "
                      f"the use_reentrant parameter should be passed explicitly. {when} "
                      "use_reentrant=False is recommended, but if you need to preserve the "
                      "current default behavior, you can pass use_reentrant=True. Refer to "
                      "docs for more details on the differences between the two variants.",
                      stacklevel=3)
        return True
    return bool(use_reentrant)


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable[[], Any] | None = None, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """`function(*args, **kwargs)` with only its inputs kept: backward runs it again (see the
    module docstring). As PyTorch's, keyword arguments for function need use_reentrant=False,
    and leaving use_reentrant out warns and means True."""
    if not callable(function):
        raise TypeError(f"checkpoint: expected a callable as the function, "
                        f"got {type(function).__name__}")
    reentrant = _reentrant(use_reentrant, "checkpoint")
    if reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if reentrant and (context_fn is not None or debug):
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    forward_context, recompute_context = context_fn() if context_fn is not None else (
        contextlib.nullcontext(), contextlib.nullcontext())
    run = _Run(function, args, kwargs, reentrant, preserve_rng_state, recompute_context)
    if reentrant:
        if not any(t.requires_grad for t in run.tensors):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                          stacklevel=2)
        return _rebuild_like(run, _Checkpoint.apply(run, *run.tensors))
    with forward_context:
        if not is_grad_enabled():
            return run.call(lambda t: t)
        copies = {id(t): detach_variable((t,))[0] for t in run.tensors}
        with _own_saves():  # (a graph dropped at once: nothing of it goes to pack hooks)
            run.output = run.call(lambda t: copies[id(t)])
    leaves = _leaves(run.output)
    run.outside = _outside_leaves(leaves, {id(c) for c in copies.values()})
    if not any(isinstance(o, Tensor) and o.requires_grad for o in leaves):
        return run.output  # nothing to differentiate: no node, no recomputation
    return _rebuild_like(run, _Checkpoint.apply(run, *run.tensors, *run.outside))


def _rebuild_like(run: _Run, result: Any) -> Any:
    """_Checkpoint's result (one tensor, or a tuple of fn's output leaves) in the structure
    of fn's output, noted on the run before forward took it."""
    return _rebuilt(run.structure, iter([result] if isinstance(result, Tensor) else result))


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,  # noqa: A002
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run `functions` (an nn.Sequential or a list of modules) one after another on `input`,
    every chunk but the last of `segments` chunks under checkpoint, as PyTorch's."""
    reentrant = _reentrant(use_reentrant, "checkpoint_sequential")
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be a positive int, "
                         f"got {segments!r}")
    modules = list(functions.children() if hasattr(functions, "children") else functions)

    def run(start: int, end: int) -> Callable[[Any], Any]:
        def forward(value: Any) -> Any:
            for module in modules[start:end]:
                value = module(value)
            return value
        return forward

    size, end = len(modules) // segments, 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(start, end), input, use_reentrant=reentrant,  # noqa: A001
                           preserve_rng_state=preserve)
    return run(end, len(modules))(input)


__all__ = ["CheckpointError", "CheckpointPolicy", "checkpoint", "checkpoint_sequential",
           "create_selective_checkpoint_contexts", "detach_variable",
           "set_checkpoint_debug_enabled"]
