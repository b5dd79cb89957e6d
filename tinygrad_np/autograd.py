"""The backward pass: walk the graph from the outputs back to the leaves, applying the chain rule.

`backward_pass` is the one core. It takes the nodes newest first (every node was recorded
after the nodes it consumes), and for each: take the gradient of its output (complete, since
every consumer came earlier), apply the node's rule, and add each input's share to that
input's pending gradient.
It returns the gradients it was asked for, and its callers decide what to do with them:
`Tensor.backward()` adds them to the leaves' `.grad`, `tg.grad()` hands them back.

Everything else hooks in from outside the loop, each in one place: `_run_rule` checks the
saved values (freed? changed in place since forward?) and the contract (how many
gradients), `_run_recorded` runs the rule on Tensors for `create_graph`, and tools see each
step through `backward_observers`. Each gradient travels with an `owned` flag: True when the
array is new and nobody else holds it, so a leaf may keep it as `.grad` without a copy.
"""

from __future__ import annotations

import sys
import sysconfig
import threading
import weakref
from collections.abc import Sequence
from heapq import heappop, heappush
from sys import getrefcount
from typing import Any

import numpy as np

from tinygrad_np import errors, hooks
from tinygrad_np._decorate import QuietPass
from tinygrad_np.function import Function as Node, _mode, enable_grad  # (= autograd.Function)
from tinygrad_np.ops import masked
from tinygrad_np.paths import leading_to, running
from tinygrad_np.tensor import Tensor, TensorError, copy_like
from tinygrad_np.xp import unbroadcast

_RETAINED: weakref.WeakSet = weakref.WeakSet()  # nodes whose output asked for retain_grad()
backward_observers: list = []  # functions (node, grad_output, grads) called for every step
_GRAD_LOCK = threading.Lock()  # one .grad update at a time (threads may share leaves)
# References to a gradient that only the pass holds, seen in _add_to_input: the rule's tuple,
# zip's pair, the loop's and the function's name, getrefcount's argument (CPython 3.11-3.13;
# elsewhere every leaf's first gradient is copied).
_FRESH = 5 if (sys.implementation.name == "cpython" and (3, 11) <= sys.version_info < (3, 14)
               and not sysconfig.get_config_var("Py_GIL_DISABLED")) else 0
_PASS = QuietPass()


def backward_pass(outputs: Sequence[Tensor], seeds: Sequence[Any], create_graph: bool = False,
                  retain_graph: bool | None = None, capture: Any = (),
                  needed: tuple[set, set] | None = None) -> dict[Any, tuple]:
    """The chain rule from `outputs`, seeded with `seeds`. Returns {key: (gradient, owned)}
    for every leaf reached (key: the leaf Tensor) and every node in `capture` (key: the node,
    with the gradient of its output). Unless `needed` is None (paths.leading_to's: the nodes
    to run, the ids of those and the inputs), only its rules run and only its ids are reached."""
    retain_graph = create_graph if retain_graph is None else retain_graph
    # (grad mode: restored at the end; an output off every path gets no seed, so no hooks)
    pending, captured, previous, (needed, reach) = {}, {}, _mode.grad, needed or (None, None)
    for output, seed in zip(outputs, seeds):
        key = output.grad_fn or output
        if reach is None or id(key) in reach:
            pending[key] = (seed, False) if key not in pending else (pending[key][0] + seed, True)
    run_rule, observers = _run_recorded if create_graph else _run_rule, tuple(backward_observers)
    # Newest first: a node's consumers were all recorded after it, so when it comes off the
    # heap its gradient is complete. Only nodes a gradient reaches are visited.
    heap = sorted((-key._sequence, key) for key in pending if isinstance(key, Node))
    # Grad mode in this thread: on only to record (create_graph). Python's cycle collector
    # waits: the pass makes no cycles, but allocates enough to set off collections that
    # walk the whole graph (a third of the time on a 100,000-op chain). NumPy is quiet.
    _mode.grad, token = create_graph, _PASS.pause()
    try:
        while heap:
            node = heappop(heap)[1]
            grad_output = pending.pop(node)[0]
            if node.hooks:  # register_hook on the node's output: it may replace the gradient
                grad_output = hooks.run_hooks(node, grad_output, create_graph)
            if node in capture:
                captured[node] = (grad_output, False)
            if needed is not None and node not in needed:  # (paths.py: not on the way to an
                continue  # input asked for, so its saved values stay, as PyTorch's)
            grads = run_rule(node, grad_output)
            for observe in observers:  # (its own tuple: one it keeps holds the arrays)
                observe(node, grad_output, (*grads,))
            for parent, grad in zip(node.parents, grads):
                if grad is None or parent is None or reach is not None and id(parent) not in reach:
                    continue
                # A node's first gradient at its own shape goes straight in (not owned:
                # only leaves keep gradients); sums, leaves and unbroadcasting take the call.
                if (parent in pending or type(grad) is not np.ndarray or
                        isinstance(parent, Tensor) or grad.shape != parent.output_shape):
                    _add_to_input(pending, heap, parent, grad, node)
                else:
                    pending[parent] = (grad, False)
                    heappush(heap, (-parent._sequence, parent))
            if not retain_graph and node.saved_versions:  # free saved tensors (a node that
                node.saved_tensors = None  # saved only numbers, as `x / 2`, stays usable)
        hooks.run_leaf_hooks(pending, create_graph)  # a leaf's, once its sum is complete
    finally:
        _mode.grad = previous
        _PASS.resume(token)
    pending.update(captured)
    return pending


def _add_to_input(pending: dict, heap: list, parent: Any, grad: Any, node: Node) -> None:
    """Add a rule's gradient, at its input's shape (unbroadcast), to the input's pending sum,
    with the `owned` flag (a new array nobody else holds, which a leaf may keep)."""
    # NumPy returns scalars from 0-d arithmetic: an array again
    grad = grad if type(grad) is np.ndarray or isinstance(grad, Tensor) else np.asarray(grad)
    shape = parent.output_shape if (node_input := isinstance(parent, Node)) else parent._data.shape
    if grad.shape != shape:
        grad, owned = unbroadcast(grad, shape, type(node).__name__), True
    else:  # only a leaf keeps its gradient, never a view, and only an array nobody else holds
        owned = (not node_input and type(grad) is np.ndarray and grad.base is None and  # (a
                 getrefcount(grad) <= _FRESH and grad.flags.writeable)  # rule may keep it)
    previous = pending.get(parent)  # an input used twice gets the sum of both paths
    pending[parent] = (grad, owned) if previous is None else (previous[0] + grad, True)
    if previous is None and node_input:
        heappush(heap, (-parent._sequence, parent))


def _run_rule(node: Node, grad_output: Any) -> tuple:
    """The node's rule, after checking its saved values; the result checked against the op."""
    if node.saved_tensors is None:
        raise RuntimeError(errors.FREED_GRAPH.format(op=type(node).__name__))
    for index, counter, version in node.saved_versions:
        if counter[0] != version:
            raise node.stale_error(index, counter[0], version)
    grads = type(node).backward(node, grad_output)  # a new tuple: one the rule keeps (its
    grads = (*grads,) if type(grads) in (tuple, list) else (grads,)  # saved values) counts
    needs = node.needs_input_grad  # trailing ones that need no gradient may be left off, and
    if len(grads) != len(needs):  # extra Nones are dropped (as PyTorch)
        if any(needs[len(grads):]) or any(g is not None for g in grads[len(needs):]):
            raise RuntimeError(errors.GRADIENT_COUNT.format(
                op=type(node).__name__, expected=len(needs), got=len(grads)))
        grads = grads[:len(needs)]
    return grads


def _run_recorded(node: Node, grad_output: Any) -> tuple:
    """The rule on Tensors, so the gradient computation is itself recorded (create_graph)."""
    saved = node.saved_tensors
    if saved:
        node.saved_tensors = tuple(_graph_value(node, value, slot, index) for
                                   index, (value, slot) in enumerate(zip(saved, node.saved_slots)))
    try:
        grads = _run_rule(node, grad_output)  # a Tensor: seeds and rules' results are made ones
    finally:
        node.saved_tensors = saved
    grads = tuple(g if g is None or isinstance(g, Tensor) else Tensor(g) for g in grads)
    return masked.link(node, grads) if node.mask_only else grads  # derivative 0, as PyTorch


def _graph_value(node: Node, value: Any, slot: int | None, index: int) -> Any:
    """The graph Tensor behind saved value `index`: the node's output, an input, or a constant
    (a new Tensor on the version counter the value had, so in-place changes still show)."""
    parent = node.parents[slot] if slot is not None and 0 <= slot < len(node.parents) else None
    if slot == -1 or isinstance(parent, Node):
        tensor = Tensor._make(value, node if slot == -1 else parent)
        tensor._counter = next((c for i, c, _ in node.saved_versions if i == index), None)
        return tensor
    if slot is not None or not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
        return value if parent is None else parent  # a constant or leaf; masks: derivative 0
    raise RuntimeError(
        f"create_graph through {type(node).__name__}: it saved a value that is neither an input "
        "nor its output, so its derivative is unknown: save the inputs or output and recompute "
        "the value in backward, or keep a piecewise-constant value (a mask) as a ctx attribute")


def run_backward(tensor: Tensor, gradient: Any, retain_graph: bool | None, create_graph: bool,
                 inputs: Sequence[Tensor] | None = None) -> None:
    """`Tensor.backward`: add d(tensor)/d(leaf) to every leaf's `.grad` (or only to those of
    `inputs`, which may be intermediate results, as in PyTorch)."""
    asked = {t.grad_fn: t for t in inputs or () if t.grad_fn is not None}  # non-leaf inputs
    needed = None if inputs is None else leading_to([tensor], [t.grad_fn or t for t in inputs])
    found = backward_pass([tensor], _seeds([tensor], [gradient], create_graph), create_graph,
                          retain_graph, {*running(_RETAINED, needed), *asked} if _RETAINED.data or
                          asked else (), needed)
    _fill_grads(found, None if inputs is None else {id(t) for t in inputs}, asked, create_graph)


def _fill_grads(found: dict, only: set | None, asked: dict, create_graph: bool) -> None:
    """Add what a pass found to `.grad`: of the leaves (those in `only`, unless None), of the
    non-leaf inputs (`asked`: {node: tensor}) and of the tensors that called retain_grad()."""
    with _GRAD_LOCK:  # threads running backward() into shared leaves lose nothing
        for key, (grad, owned) in found.items():
            for target in ((key,) if only is None or id(key) in only else ()) if isinstance(
                    key, Tensor) else {asked.get(key), *map(weakref.ref.__call__, key.retained)}:
                if grad is not None and target is not None and target._requires_grad:
                    _add_to_grad(target, grad, owned and target is key, create_graph)
    hooks.run_post_accumulate_hooks(found, only, create_graph)  # (once .grad holds the sum)


def _add_to_grad(tensor: Tensor, grad: Any, owned: bool, create_graph: bool) -> None:
    """Accumulate into `.grad`, in the tensor's dtype; an array nobody else holds is kept."""
    old = tensor._grad
    if create_graph:  # recorded, even when backward() was called under no_grad()
        with enable_grad():  # (in the leaf's dtype: a float64 constant gives float64)
            grad = (grad if isinstance(grad, Tensor) else Tensor(grad)).to(tensor.dtype)
            tensor._grad = grad.clone() if old is None else old + grad  # no alias
        return
    grad = grad if type(grad) is np.ndarray else np.asarray(getattr(grad, "_data", grad))
    if old is None:  # kept if nobody else holds it, else a copy in the leaf's dtype and order
        keep = owned and grad.dtype == tensor._data.dtype
        tensor._grad = Tensor._make(grad if keep else copy_like(tensor._data, grad), None)
    elif tensor.grad_fn is None:  # a leaf's grows in place, as PyTorch's: views of it see the
        into = old._data if old._data.flags.writeable else None  # sum (a read-only one: the
        old._data = np.add(old._data, grad, out=into, dtype=old._data.dtype, casting="unsafe")
        old._bump_version()  # same tensor takes it); graphs that saved it refuse it
    else:  # a retained gradient is replaced: one taken before keeps its values
        tensor._grad = Tensor._make(np.asarray(old._data + grad, dtype=tensor._data.dtype), None)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, without touching the leaves' `.grad`
    (a non-leaf that called retain_grad() gets its gradient there, as in PyTorch).

    As `torch.autograd.grad` (same arguments, in its order): one gradient per input. With
    `create_graph=True` the gradients are themselves recorded, so they can be differentiated
    again (second derivatives, Hessian-vector products, gradient penalties). An input the
    outputs do not depend on raises, or gets None (`allow_unused=True`) or zeros
    (`materialize_grads=True`). `only_inputs` is ignored (deprecated in PyTorch); batched
    grad_outputs (`is_grads_batched`) are not supported.
    """
    outputs, inputs = ([x] if isinstance(x, Tensor) else list(x) for x in (outputs, inputs))
    if not all(isinstance(tensor, Tensor) and tensor.requires_grad for tensor in inputs):
        raise TensorError(errors.INPUT_NOT_REQUIRING_GRAD)
    keys = [tensor.grad_fn or tensor for tensor in inputs]  # (and retain_grad()'s, as PyTorch)
    needed = leading_to(outputs, keys)
    found = backward_pass(outputs, _seeds(outputs, grad_outputs, create_graph), create_graph,
                          retain_graph, {*running(_RETAINED, needed), *(k for k in keys if
                                                                    isinstance(k, Node))}, needed)
    _fill_grads(found, set(), {}, create_graph)  # only the retained gradients
    results = [found.get(key, (None, False)) for key in keys]
    unused = [position for position, (gradient, _) in enumerate(results) if gradient is None]
    if unused and not (allow_unused or materialize_grads):
        raise RuntimeError(errors.UNUSED_INPUT.format(first=unused[0], unused=unused))
    return tuple((Tensor._make(np.zeros_like(tensor._data), None) if materialize_grads else None)
                 if g is None else g.to(tensor.dtype) if isinstance(g, Tensor)
                 else Tensor._make(np.array(g, dtype=tensor.dtype, copy=not owned or None), None)
                 for tensor, (g, owned) in zip(inputs, results))  # arrays: a private copy


def _seeds(outputs: list[Tensor], grad_outputs: Any, create_graph: bool) -> list[Any]:
    """The starting gradient of each output: 1 for a one-element output, else the one given."""
    if not isinstance(grad_outputs, (list, tuple)):  # None for every output, or one gradient
        grad_outputs = [grad_outputs] * (len(outputs) if grad_outputs is None else 1)
    if len(grad_outputs) != len(outputs):  # as PyTorch: never a silently dropped output
        raise RuntimeError(f"grad: got {len(outputs)} outputs and {len(grad_outputs)} gradients")
    seeds = []
    for position, (out, seed) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad:
            raise RuntimeError(errors.OUTPUT_NOT_REQUIRING_GRAD.format(position=position))
        if seed is None:
            if out._data.size != 1:
                raise RuntimeError(errors.NOT_SCALAR.format(shape=out.shape))
            seed = np.array(1, out._data.dtype).reshape(out._data.shape)
        elif not (create_graph and isinstance(seed, Tensor) and seed.dtype == out.dtype):
            seed = np.asarray(seed._data if isinstance(seed, Tensor) else seed, out._data.dtype)
        if seed.shape != out._data.shape:
            raise TensorError(errors.SEED_SHAPE.format(position=position, seed=tuple(seed.shape),
                                                       shape=out.shape))
        seeds.append(Tensor(seed) if create_graph and type(seed) is np.ndarray else seed)
    return seeds
