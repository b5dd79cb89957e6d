"""The backward pass: walk the graph from the output back to the leaves, applying the chain rule.

Two steps, both iterative (no recursion, so a 100,000-op chain is fine):

1. `topological_order` lists every node reachable from the outputs, each before the nodes
   that produced its inputs (Kahn's algorithm: count each node's consumers, then list a
   node once all of its consumers are listed).
2. `backpropagate` visits the nodes in that order. A node's output gradient is complete when
   it is visited, because everything that consumed the output came earlier. It calls the
   node's `backward`, reduces each input gradient to that input's shape (undoing NumPy
   broadcasting: the one place in the library that does), and adds it to the input's
   pending gradient, or to `.grad` for a leaf. Each pending gradient is dropped as soon as
   it has been used, and each node's saved arrays are freed unless `retain_graph`.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np.function import Function, enable_grad, is_anomaly_enabled, no_grad
from tinygrad_np.tensor import Tensor


def topological_order(roots: Sequence[Function]) -> list[Function]:
    """Every node reachable from `roots`, consumers before producers, deterministically.

    Both passes keep only nodes on their stacks. (A depth-first walk keeps a parent
    iterator per node of the current path: on a 100,000-op chain that is 200,000 live
    objects, enough to set off several full runs of Python's cycle collector.)
    """
    # Nodes are keyed by identity: Function keeps object's identity hash and equality.
    roots = list(dict.fromkeys(roots))  # each once, in order
    consumers: dict[Function, int] = dict.fromkeys(roots, 0)
    stack = roots.copy()
    while stack:  # pass 1: how many times each node's output is used inside the graph
        for parent in stack.pop().parents:
            if isinstance(parent, Function):
                if parent in consumers:
                    consumers[parent] += 1
                else:
                    consumers[parent] = 1
                    stack.append(parent)
    # pass 2: a node is ready once every consumer is listed (roots no other root uses first)
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
    """Sum `grad` down to `shape`: the adjoint of NumPy broadcasting `shape` up to grad.shape.

    Broadcasting copies an input along new leading axes and along its size-1 axes; each copy
    received part of the gradient, so the input's gradient is the sum over those axes.
    """
    extra = grad.ndim - len(shape)
    if extra < 0 or any(
        size != 1 and size != grad.shape[extra + axis] for axis, size in enumerate(shape)
    ):
        raise ValueError(
            f"{op_name}.backward returned a gradient of shape {tuple(grad.shape)} "
            f"for an input of shape {tuple(shape)}"
        )
    axes = tuple(range(extra)) + tuple(
        extra + axis
        for axis, size in enumerate(shape)
        if size == 1 and grad.shape[extra + axis] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def backpropagate(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
) -> list[Any] | None:
    """Run the chain rule from `outputs` (seeded with `grad_outputs`).

    With `inputs=None` gradients accumulate into `.grad` of every leaf that requires grad.
    Otherwise nothing's `.grad` is touched and the gradients of `inputs` are returned
    (None for an input the outputs do not depend on).
    """
    # Gradients are ndarrays, or Tensors that record their own graph under create_graph.
    context = enable_grad() if create_graph else no_grad()
    # The pass frees the graph and makes no reference cycles, but it allocates enough small
    # objects to set off Python's cycle collector, whose full runs walk every node of the
    # graph (and every other object in the process): on a 100,000-op chain that was up
    # to a third of the pass. So the collector waits until the pass is over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with context:
            return _backpropagate(outputs, grad_outputs, retain_graph, create_graph, inputs)
    finally:
        if collecting:
            gc.enable()


def _backpropagate(outputs, grad_outputs, retain_graph, create_graph, inputs):
    pending: dict[Function, Any] = {}  # node -> gradient of its output, summed over consumers
    leaf_grads: dict[int, Any] | None = None if inputs is None else {}
    # tg.grad: the gradient of each input is captured by key (its node, or the leaf itself).
    wanted = [] if inputs is None else [id(t.grad_fn or t) for t in inputs]
    wanted_set = set(wanted)  # for the per-node lookup; the list keeps the inputs' order
    captured: dict[int, Any] = {}

    roots = []
    for output, seed in zip(outputs, grad_outputs):
        if output.grad_fn is None:
            _accumulate_leaf(output, seed, leaf_grads, create_graph)
            continue
        node = output.grad_fn
        pending[node] = seed if node not in pending else pending[node] + seed
        roots.append(node)

    check_finite = is_anomaly_enabled()  # read once: no per-node cost when it is off
    for node in topological_order(roots):
        grad_output = pending.pop(node, None)
        if grad_output is None:  # every consumer's backward returned None for it
            if not retain_graph:
                node.release()
            continue
        if node.retained:
            _retain(node, grad_output)
        if wanted_set and id(node) in wanted_set:
            captured[id(node)] = grad_output
        if node.released:
            raise RuntimeError(
                f"backward through {type(node).__name__} a second time: the first backward() "
                "freed the arrays this graph saved. Call backward(retain_graph=True) the first "
                "time to backpropagate through the same graph again, or run the forward again."
            )
        backward = type(node).backward
        if create_graph:
            input_grads = _backward_recorded(node, backward, grad_output)
        else:
            input_grads = backward(node, grad_output)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if check_finite:
            _check_finite(node, input_grads)

        for parent, grad, data in zip(node.parents, input_grads, node.inputs_data):
            if parent is None or grad is None:
                continue
            if grad.shape != data.shape:
                grad = unbroadcast(grad, data.shape, type(node).__name__)
                private = True  # unbroadcast summed: a new array that nothing else holds
            else:
                private = False
            if isinstance(parent, Function):
                previous = pending.get(parent)
                pending[parent] = grad if previous is None else previous + grad
            elif leaf_grads is None and not create_graph and parent.grad is None:
                # The leaf keeps the array: without a copy when no one else can see it.
                # Otherwise (and for a NumPy scalar, which ops on 0-d arrays return) it
                # gets a copy in its own dtype and memory order.
                if private or (type(grad) is np.ndarray
                               and not _shared(grad, node, grad_output, input_grads)):
                    grad = grad.astype(parent.data.dtype, copy=False)
                else:
                    copy = np.empty_like(parent.data)
                    np.copyto(copy, grad)
                    grad = copy
                parent.grad = Tensor._make(grad, None)
            else:
                _accumulate_leaf(parent, grad, leaf_grads, create_graph)
        if not retain_graph:
            node.release()

    if inputs is None:
        return None
    captured.update(leaf_grads)
    return [captured.get(key) for key in wanted]


def _retain(node: Function, grad_output: Any) -> None:
    """Give the tensors that asked with `retain_grad()` their gradient (a copy of it)."""
    for reference in node.retained:
        tensor = reference()
        if tensor is None:
            continue
        grad = grad_output if isinstance(grad_output, Tensor) else Tensor(np.array(grad_output))
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def _check_finite(node: Function, input_grads: tuple) -> None:
    """Under detect_anomaly(): stop at the first op whose backward makes a NaN or Inf."""
    for position, grad in enumerate(input_grads):
        values = grad.data if isinstance(grad, Tensor) else grad
        if values is not None and not np.all(np.isfinite(values)):
            where = "".join(node.creation_stack or ["  (created outside detect_anomaly())\n"])
            raise RuntimeError(
                f"detect_anomaly: {type(node).__name__}.backward returned NaN or Inf in the "
                f"gradient of input {position} (shape {np.shape(values)}). The op was "
                f"created here:\n{where}"
            )


def _shared(grad: np.ndarray, node: Function, grad_output: Any, input_grads: tuple) -> bool:
    """Might an array a rule returned be seen by someone else, if a leaf kept it as `.grad`?

    Rules return new arrays, or pass on `grad_output` (add does, to both inputs), a view
    of it (reshape, sum's broadcast), or an array the node holds. Those are shared with
    another input, the caller's seed or the graph, so an in-place change of one `.grad`
    (`zero_()`, an optimizer) would change the others: such a leaf gets a copy. A new
    array is handed over as is, which saves a copy of every parameter's gradient per step.
    """
    if grad.base is not None or not grad.flags.writeable:
        return True
    if grad is grad_output or grad is getattr(grad_output, "base", None):
        return True
    if grad is node.output_data:
        return True
    returned = 0
    for other in input_grads:
        returned += other is grad
    if returned > 1:  # the same array for two inputs
        return True
    for array in node.inputs_data:
        if array is grad:
            return True
    for array in node.saved_tensors or ():
        if array is grad:
            return True
    return False


def _accumulate_leaf(leaf: Tensor, grad: Any, leaf_grads: dict | None, create_graph: bool) -> None:
    """Add `grad` to a leaf's `.grad` (or, for tg.grad, to the collected result)."""
    if create_graph and not isinstance(grad, Tensor):
        grad = Tensor(grad)
    if leaf_grads is not None:
        previous = leaf_grads.get(id(leaf))
        leaf_grads[id(leaf)] = grad if previous is None else previous + grad
    elif create_graph:
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
    elif leaf.grad is None:
        # The array may be shared with another path (add hands the same array to both
        # inputs) or be a read-only broadcast view: the leaf gets its own copy.
        leaf.grad = Tensor(np.array(grad, dtype=leaf.data.dtype))
    else:
        # np.asarray: NumPy turns 0-d sums into scalars, and .grad must hold an array.
        leaf.grad.data = np.asarray(leaf.grad.data + grad, dtype=leaf.data.dtype)


def _backward_recorded(node: Function, backward, grad_output: Any) -> tuple:
    """Call `backward` on Tensors so the gradient computation joins the graph (create_graph)."""
    if not isinstance(grad_output, Tensor):
        grad_output = Tensor(grad_output)
    saved = node.saved_tensors
    node.saved_tensors = tuple(_as_graph_tensor(node, array) for array in saved)
    try:
        input_grads = backward(node, grad_output)
    finally:
        node.saved_tensors = saved
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    return tuple(
        grad if grad is None or isinstance(grad, Tensor) else Tensor(grad) for grad in input_grads
    )


def _as_graph_tensor(node: Function, array: Any) -> Any:
    """The graph Tensor behind a saved array: an input of `node`, its output, or a constant."""
    if array is node.output_data:
        return Tensor._make(array, node)
    for parent, data in zip(node.parents, node.inputs_data):
        if array is data and parent is not None:
            return parent if isinstance(parent, Tensor) else Tensor._make(array, parent)
    return array  # a mask or other piecewise-constant value: its derivative is zero


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, without touching any `.grad`.

    As `torch.autograd.grad`: returns a tuple with one gradient per input. With
    `create_graph=True` the returned gradients are themselves part of a graph, so they can be
    differentiated again (second derivatives, Hessian-vector products, gradient penalties).
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
                "tensor with requires_grad=True (or was computed under no_grad())"
            )
    seeds = _seeds(outputs, grad_outputs, create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    grads = backpropagate(outputs, seeds, retain_graph, create_graph, inputs)
    results = []
    for position, (tensor, gradient) in enumerate(zip(inputs, grads)):
        if gradient is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {position} (shape {tensor.shape}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
        if gradient is not None and not isinstance(gradient, Tensor):
            gradient = Tensor(np.array(gradient, dtype=tensor.data.dtype))
        results.append(gradient)
    return tuple(results)


def run_backward(
    tensor: Tensor, gradient: Any, retain_graph: bool | None, create_graph: bool
) -> None:
    """`Tensor.backward`: accumulate d(tensor)/d(leaf) into every leaf's `.grad`."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn. Create the "
            "leaves with requires_grad=True (and do not compute it under no_grad())."
        )
    seeds = _seeds([tensor], None if gradient is None else [gradient], create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    backpropagate([tensor], seeds, retain_graph, create_graph)


def _seeds(outputs: list[Tensor], grad_outputs: Any, create_graph: bool) -> list[Any]:
    """The starting gradient of each output: 1 for a scalar, else the one given."""
    if not isinstance(grad_outputs, (list, tuple)):  # one gradient (or None) for every output
        grad_outputs = [grad_outputs] * len(outputs)
    seeds = []
    for output, seed in zip(outputs, grad_outputs):
        if seed is None:
            if output.data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {output.shape}, so the gradient is "
                    "ambiguous; call .sum() (or .mean()) first, or pass gradient= with the "
                    "output's shape"
                )
            seed = np.ones(output.data.shape, output.data.dtype)
        elif isinstance(seed, Tensor):
            seed = seed if create_graph else seed.data
        else:
            seed = np.asarray(seed, dtype=output.data.dtype)
        if seed.shape != output.shape:
            raise ValueError(
                f"backward: gradient has shape {tuple(seed.shape)} but the output has shape "
                f"{output.shape}"
            )
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor(seed)
        seeds.append(seed)
    return seeds

