"""The backward pass: walk the graph from the outputs back to the leaves, applying the chain rule.

`backward_pass` is the one core. It lists the nodes consumers-first (`topological_order`),
then for each node: take the gradient of its output (complete, since every consumer came
earlier), apply the node's rule, and add each input's share to that input's pending gradient.
It returns the gradients it was asked for, and its callers decide what to do with them:
`Tensor.backward()` adds them to the leaves' `.grad`, `tg.grad()` hands them back.

Everything else hooks in from outside the loop, each in one place: the rule runner checks
saved values (freed? changed in place since forward?) and the contract (how many gradients),
records the rule on Tensors for `create_graph`, and under `detect_anomaly` checks for NaN.
Each gradient travels with an `owned` flag: True when the array is new and nobody else holds
it, so a leaf may keep it as `.grad` without a copy.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np.function import Function, _modes, enable_grad, no_grad
from tinygrad_np.tensor import Tensor

_RETAINED: weakref.WeakSet = weakref.WeakSet()  # nodes whose output asked for retain_grad()
_GRAD_LOCK = threading.Lock()  # one .grad update at a time (threads may share leaves)


def topological_order(roots: Sequence[Function]) -> list[Function]:
    """Every node reachable from `roots`, consumers before producers, deterministically.

    Kahn's algorithm with explicit stacks (no recursion: a 100,000-op chain is fine): count
    how often each node's output is used, then list a node once all its consumers are listed.
    """
    roots = list(dict.fromkeys(roots))  # each once, in order; nodes are keyed by identity
    consumers: dict[Function, int] = dict.fromkeys(roots, 0)
    stack = roots.copy()
    while stack:
        for parent in stack.pop().parents:
            if isinstance(parent, Function):
                if parent in consumers:
                    consumers[parent] += 1
                else:
                    consumers[parent] = 1
                    stack.append(parent)
    ready = [root for root in reversed(roots) if not consumers[root]]
    order: list[Function] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node.parents:
            if isinstance(parent, Function):
                consumers[parent] -= 1
                if not consumers[parent]:
                    ready.append(parent)
    return order


def unbroadcast(grad: Any, shape: tuple[int, ...], op_name: str) -> Any:
    """Sum `grad` down to `shape`: the adjoint of broadcasting `shape` up to grad.shape."""
    extra = grad.ndim - len(shape)
    if extra < 0 or any(
        size != 1 and size != grad.shape[extra + axis] for axis, size in enumerate(shape)
    ):
        raise ValueError(
            f"{op_name}.backward returned a gradient of shape {tuple(grad.shape)} "
            f"for an input of shape {tuple(shape)}"
        )
    axes = tuple(range(extra)) + tuple(
        extra + axis for axis, size in enumerate(shape)
        if size == 1 and grad.shape[extra + axis] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def backward_pass(outputs: Sequence[Tensor], seeds: Sequence[Any], create_graph: bool = False,
                  retain_graph: bool = False, capture: Any = ()) -> dict[Any, tuple]:
    """The chain rule from `outputs`, seeded with `seeds`.

    Returns {key: (gradient, owned)}: key a leaf Tensor for every leaf reached, or a node in
    `capture` for the gradient of that node's output.
    """
    pending: dict[Any, tuple] = {}
    for output, seed in zip(outputs, seeds):
        key = output.grad_fn or output
        pending[key] = (seed, False) if key not in pending else (pending[key][0] + seed, True)
    run_rule = _rule_runner(create_graph)
    captured = {}
    with _BackwardMode(create_graph):
        for node in topological_order([out.grad_fn for out in outputs if out.grad_fn]):
            grad_output, _ = pending.pop(node, (None, False))
            if node in capture:
                captured[node] = (grad_output, False)
            if grad_output is not None:
                grads = run_rule(node, grad_output)
                for parent, grad in zip(node.parents, grads):
                    if parent is not None and grad is not None:
                        grad, owned = _fit(grad, parent, node, grad_output, grads)
                        previous = pending.get(parent)  # sum over the parent's consumers
                        pending[parent] = (grad, owned) if previous is None else (
                            previous[0] + grad, True)
            if not retain_graph:
                node.release()
    pending.update(captured)
    return pending


def _fit(grad: Any, parent: Any, node: Function, grad_output: Any, grads: tuple) -> tuple:
    """A rule's gradient at its input's shape (unbroadcast), with its `owned` flag."""
    if type(grad) is not np.ndarray and not isinstance(grad, Tensor):
        grad = np.asarray(grad)  # NumPy returns scalars from 0-d arithmetic
    if isinstance(parent, Function):
        if grad.shape == parent.output_shape:
            return grad, False  # only a leaf keeps its gradient: ownership does not matter
        return unbroadcast(grad, parent.output_shape, type(node).__name__), True
    if grad.shape != parent.shape:
        return unbroadcast(grad, parent.shape, type(node).__name__), True
    return grad, _fresh(grad, node, grad_output, grads)  # may the leaf keep it?


def _fresh(grad: Any, node: Function, grad_output: Any, grads: tuple) -> bool:
    """Is `grad` a new array that only this gradient holds? Rules may pass on `grad_output`
    (add does, to both inputs), a view of it, or an array the node keeps."""
    if type(grad) is not np.ndarray or grad.base is not None or not grad.flags.writeable:
        return False
    if grad is grad_output or sum(other is grad for other in grads) > 1:
        return False
    kept = list(vars(node).values()) + list(node.saved_tensors or ())
    return not any(value is grad for value in kept)


# ----------------------------------------------------------------------------- running a rule
def _rule_runner(create_graph: bool):
    """The function that applies one node's rule, with this pass's checks around it."""
    run = _run_recorded if create_graph else _run_plain
    if not _modes.anomaly:
        return run

    def run_checked(node: Function, grad_output: Any) -> tuple:
        grads = run(node, grad_output)
        _check_finite(node, grads)
        return grads

    return run_checked


def _run_plain(node: Function, grad_output: Any) -> tuple:
    if node.saved_versions or node.saved_tensors is None:
        _check_saved(node)
    grads = type(node).backward(node, grad_output)
    if type(grads) is tuple and len(grads) == len(node.needs_input_grad):
        return grads
    return _as_gradients(node, grads)


def _run_recorded(node: Function, grad_output: Any) -> tuple:
    """The rule on Tensors, so the gradient computation is itself recorded (create_graph)."""
    _check_saved(node)
    if not isinstance(grad_output, Tensor):
        grad_output = Tensor(grad_output)
    saved = node.saved_tensors
    node.saved_tensors = tuple(
        _graph_value(node, value, slot) for value, slot in zip(saved, node.saved_slots))
    try:
        grads = _as_gradients(node, type(node).backward(node, grad_output))
    finally:
        node.saved_tensors = saved
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor(g) for g in grads)


def _graph_value(node: Function, value: Any, slot: int | None) -> Any:
    """The graph Tensor behind a saved value: the node's output, an input, or a constant."""
    if slot == -1:
        return Tensor._make(value, node)
    if slot is not None:
        parent = node.parents[slot] if slot < len(node.parents) else None
        if parent is None:
            return value  # a constant input
        return parent if isinstance(parent, Tensor) else Tensor._make(value, parent)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        name = type(node).__name__
        raise RuntimeError(
            f"create_graph through {name}: its forward saved a value that is neither one of "
            f"its inputs nor its output, so its derivative is unknown and second derivatives "
            f"through {name} would be wrong. Save the inputs (or the output) and recompute the "
            "value in backward, or keep a piecewise-constant value (a mask) as a ctx attribute."
        )
    return value  # masks, indices: piecewise constant, derivative zero


def _check_saved(node: Function) -> None:
    """Refuse a rule whose saved values are gone or were changed in place since forward."""
    name = type(node).__name__
    if node.saved_tensors is None:
        raise RuntimeError(
            f"backward through {name} a second time: the first backward() freed the arrays "
            "it saved. Call backward(retain_graph=True) the first time to backpropagate "
            "through the same graph again, or run the forward again.")
    for index, counter, version in node.saved_versions:
        if counter[0] != version:
            slot = node.saved_slots[index]
            what = "its output" if slot == -1 else f"its input {slot}"
            leaf = node.parents[slot] if 0 <= slot < len(node.parents) else None
            if isinstance(leaf, Tensor) and leaf.name:  # a named leaf: a parameter, say
                what += f" {leaf.name!r}"
            raise RuntimeError(
                f"one of the values {name} saved for backward ({what}, shape "
                f"{np.shape(node.saved_tensors[index])}) was modified by an in-place operation:"
                f" the tensor is at version {counter[0]}, but {name} saved it at version "
                f"{version}. Do the in-place change after backward() (an optimizer step after "
                "loss.backward()), or use an out-of-place op (t = t + x).")


def _as_gradients(node: Function, grads: Any) -> tuple:
    """The rule's result as a tuple, checked against the op's arguments."""
    if type(grads) is not tuple:
        grads = tuple(grads) if isinstance(grads, list) else (grads,)
    if not len(node.parents) <= len(grads) <= len(node.needs_input_grad):
        raise RuntimeError(
            f"{type(node).__name__}.backward returned {len(grads)} gradient(s), but forward "
            f"took {len(node.needs_input_grad)} argument(s) ({len(node.parents)} up to the last "
            "tensor): return one per argument, None where there is none")
    return grads


def _check_finite(node: Function, grads: tuple) -> None:
    """Under detect_anomaly(): stop at the first op whose backward makes a NaN or Inf."""
    for position, grad in enumerate(grads):
        values = grad.data if isinstance(grad, Tensor) else grad
        if values is not None and not np.all(np.isfinite(values)):
            where = "".join(node.creation_stack or ["  (created outside detect_anomaly())\n"])
            raise RuntimeError(
                f"detect_anomaly: {type(node).__name__}.backward returned NaN or Inf in the "
                f"gradient of input {position} (shape {np.shape(values)}). The op was "
                f"created here:\n{where}")


class _BackwardMode:
    """During a pass: grad mode on (create_graph) or off in this thread, and Python's cycle
    collector paused (the pass makes no cycles, but allocates enough to set off full
    collections that walk the whole graph: a third of the time on a 100,000-op chain)."""

    lock, depth, collector_was_on = threading.Lock(), 0, False

    def __init__(self, create_graph: bool) -> None:
        self.mode = enable_grad() if create_graph else no_grad()

    def __enter__(self) -> None:
        with _BackwardMode.lock:
            if _BackwardMode.depth == 0:
                _BackwardMode.collector_was_on = gc.isenabled()
                gc.disable()
            _BackwardMode.depth += 1
        self.mode.__enter__()

    def __exit__(self, *exc_info: object) -> None:
        self.mode.__exit__()
        with _BackwardMode.lock:
            _BackwardMode.depth -= 1
            if _BackwardMode.depth == 0 and _BackwardMode.collector_was_on:
                gc.enable()


# ----------------------------------------------------------------------------- the callers
def run_backward(tensor: Tensor, gradient: Any, retain_graph: bool | None, create_graph: bool,
                 inputs: Sequence[Tensor] | None = None) -> None:
    """`Tensor.backward`: add d(tensor)/d(leaf) to every leaf's `.grad` (or only `inputs`')."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn. Create the "
            "leaves with requires_grad=True (and do not compute it under no_grad()).")
    seeds = _seeds([tensor], None if gradient is None else [gradient], create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    found = backward_pass([tensor], seeds, create_graph, retain_graph, set(_RETAINED))
    only = None if inputs is None else {id(t) for t in inputs}
    for key, (grad, owned) in found.items():
        if grad is None:
            continue
        if isinstance(key, Tensor):
            if only is None or id(key) in only:
                _add_to_grad(key, grad, owned, create_graph)
        else:
            for reference in key.retained:
                retained = reference()
                if retained is not None and (only is None or id(retained) in only):
                    _add_to_grad(retained, grad, False, create_graph)


def _add_to_grad(tensor: Tensor, grad: Any, owned: bool, create_graph: bool) -> None:
    """Accumulate into `.grad`, in the tensor's dtype; an array nobody else holds is kept.
    Under a lock: threads running backward() into the same leaves lose no gradient."""
    with _GRAD_LOCK:
        _accumulate(tensor, grad, owned, create_graph)


def _accumulate(tensor: Tensor, grad: Any, owned: bool, create_graph: bool) -> None:
    current = tensor._grad
    if create_graph:
        grad = grad if isinstance(grad, Tensor) else Tensor(grad)
        tensor._grad = grad if current is None else current + grad
        return
    if isinstance(grad, Tensor):
        grad = grad.data
    elif type(grad) is not np.ndarray:  # NumPy sums of 0-d arrays are scalars
        grad = np.asarray(grad)
    if current is not None:
        current.data = np.asarray(current.data + grad, dtype=tensor.dtype)
    elif owned and grad.dtype == tensor.dtype:
        tensor._grad = Tensor._make(grad, None)
    else:  # a copy in the tensor's dtype and memory order
        copy = np.empty_like(tensor.data)
        np.copyto(copy, grad, casting="unsafe")
        tensor._grad = Tensor._make(copy, None)


def retain_grad(tensor: Tensor) -> None:
    """`Tensor.retain_grad`: give this non-leaf a `.grad` at the next backward()."""
    node = tensor.grad_fn
    if all(reference() is not tensor for reference in node.retained):
        node.retained = node.retained + (weakref.ref(tensor),)
        _RETAINED.add(node)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, without touching any `.grad`.

    As `torch.autograd.grad`: one gradient per input. With `create_graph=True` the gradients
    are themselves recorded, so they can be differentiated again (second derivatives,
    Hessian-vector products, gradient penalties).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise ValueError(f"grad: input {position} does not require grad")
    for position, tensor in enumerate(outputs):
        if not tensor.requires_grad:
            raise RuntimeError(
                f"grad: output {position} does not require grad: it does not depend on any "
                "tensor with requires_grad=True (or was computed under no_grad())")
    seeds = _seeds(outputs, grad_outputs, create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    keys = [tensor.grad_fn or tensor for tensor in inputs]
    found = backward_pass(outputs, seeds, create_graph, retain_graph,
                          {key for key in keys if isinstance(key, Function)})
    results = []
    for position, (tensor, key) in enumerate(zip(inputs, keys)):
        gradient, owned = found.get(key, (None, False))
        if gradient is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {position} (shape {tensor.shape}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it")
        if gradient is not None and not isinstance(gradient, Tensor):
            gradient = Tensor._make(np.array(gradient, dtype=tensor.dtype, copy=True) if not owned
                                    else np.asarray(gradient, dtype=tensor.dtype), None)
        results.append(gradient)
    return tuple(results)


def _seeds(outputs: list[Tensor], grad_outputs: Any, create_graph: bool) -> list[Any]:
    """The starting gradient of each output: 1 for a one-element output, else the one given."""
    if not isinstance(grad_outputs, (list, tuple)):  # one gradient (or None) for every output
        grad_outputs = [grad_outputs] * len(outputs)
    seeds = []
    for output, seed in zip(outputs, grad_outputs):
        if seed is None:
            if output.data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {output.shape}, so the gradient is "
                    "ambiguous; call .sum() (or .mean()) first, or pass gradient= with the "
                    "output's shape")
            seed = np.ones(output.data.shape, output.data.dtype)
        elif isinstance(seed, Tensor):
            seed = seed if create_graph else seed.data
        else:
            seed = np.asarray(seed, dtype=output.data.dtype)
        if seed.shape != output.shape:
            raise ValueError(
                f"backward: gradient has shape {tuple(seed.shape)} but the output has shape "
                f"{output.shape}")
        seeds.append(Tensor(seed) if create_graph and not isinstance(seed, Tensor) else seed)
    return seeds
