"""`torch.autograd.graph`, the part that fits this engine: `Node` (what every `grad_fn` and
`AccumulateGrad` is an instance of), `register_multi_grad_hook` (modes "all" and "any"),
`increment_version`, `saved_tensors_hooks` (pack/unpack of what ops save, through an engine
observer that costs nothing outside the block) and `disable_saved_tensors_hooks`.

`GradientEdge` / `get_gradient_edge` (grad and backward take an edge for a tensor).
`allow_mutation_on_saved_tensors` (ops recorded in it keep copies of what they save).
`save_on_cpu`: hooks that keep saved arrays as they are (every one is in CPU memory).
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from tinygrad_np import hooks, observing
from tinygrad_np.node_api import AccumulateGrad, NodeInfo, _accumulator, edge_of, output_node
from tinygrad_np.tensor import Tensor


class Node(abc.ABC):  # noqa: B024 (a type to test against, as PyTorch's; nothing to define)
    """The type of a graph node: `isinstance(t.grad_fn, Node)` is True for every recorded op
    (and for the `AccumulateGrad` of a leaf in `next_functions`), as in PyTorch."""


Node.register(NodeInfo)
Node.register(AccumulateGrad)


class _MultiHandle:
    """What `register_multi_grad_hook` returns: `remove()` removes it from every tensor."""

    def __init__(self, handles: tuple) -> None:
        self._handles = handles

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()

    def __enter__(self) -> _MultiHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def register_multi_grad_hook(tensors: Sequence[Tensor], fn: Callable[..., None], *,
                             mode: str = "all") -> _MultiHandle:
    """A hook on several tensors at once, once per backward pass.

    mode "all": `fn(grads)` (a list: one entry per tensor, None for one whose gradient the pass
    did not compute) once the pass has computed all it computes of them; here at the pass's end
    (after the leaves' hooks), where PyTorch calls it as soon as the last one is known. mode
    "any": `fn(grad)` with the first of their gradients the pass computes. fn must not change
    the gradients, and what it returns is ignored, as PyTorch's. The engine computes the
    gradient of every tensor behind the outputs, so one PyTorch's pass skips (behind grad()'s
    inputs, a leaf outside backward's inputs=) is passed too. A backward pass that raises midway
    may leave "all" to be called at the end of the next pass in the thread.
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state = threading.local()  # this thread's pass: .grads ("all") or .fired ("any")

    def flush() -> None:
        grads, state.grads = state.grads, None
        fn(list(grads))  # (a list, as PyTorch passes it)

    def done() -> None:
        state.fired = False

    def inner(position: int) -> Callable[[Tensor], None]:
        def hook(grad: Tensor) -> None:
            if mode == "any":
                if not getattr(state, "fired", False):
                    state.fired = True
                    hooks.at_pass_end(done)
                    fn(grad)
                return
            if getattr(state, "grads", None) is None:
                state.grads = [None] * len(tensors)
                hooks.at_pass_end(flush)
            state.grads[position] = grad
        return hook

    return _MultiHandle(tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors)))


class GradientEdge(NamedTuple):
    """Where a gradient enters the graph: a node and which of its outputs (PyTorch's). `grad`
    and `backward(inputs=...)` take one in place of a tensor: the gradient with respect to
    that node's output, even after the tensor was changed in place (its grad_fn moved on)."""

    node: Any
    output_nr: int
    ownership_token: Any = None


def get_gradient_edge(tensor: Tensor) -> GradientEdge:
    """The edge of `tensor` as it is now: its grad_fn (a leaf's AccumulateGrad) and which of
    its outputs `tensor` is (split's pieces, svd's U, S, Vh: 0, 1, 2, as PyTorch's)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"get_gradient_edge: expected a Tensor, got {type(tensor).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    if tensor.grad_fn is None:
        return GradientEdge(_accumulator(tensor), 0)
    return GradientEdge(*edge_of(tensor.grad_fn))


def edges_as_tensors(inputs: Any) -> Any:
    """`inputs` of grad/backward with each GradientEdge replaced by a tensor standing for its
    node's output (a leaf's edge by the leaf); anything else as it was."""
    if isinstance(inputs, GradientEdge):
        inputs = [inputs]
    elif isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)) or not any(
            isinstance(item, GradientEdge) for item in inputs):
        return inputs
    return [_edge_tensor(item) if isinstance(item, GradientEdge) else item for item in inputs]


def _edge_tensor(edge: GradientEdge) -> Tensor:
    node = edge.node
    if isinstance(node, AccumulateGrad) and edge.output_nr == 0:
        return node.variable
    found = output_node(node, edge.output_nr) if isinstance(node, NodeInfo) else None
    if found is None:
        raise RuntimeError(f"GradientEdge: expected the edge of a graph node and one of its "
                           f"outputs (as get_gradient_edge gives), got {type(node).__name__} "
                           f"and output {edge.output_nr}")
    node = found
    shape, dtype = node.output_shape, node.output_dtype  # (its values are never read)
    return Tensor._make(np.broadcast_to(np.zeros((), dtype), shape), node)


def increment_version(tensor: Tensor | Sequence[Tensor]) -> None:
    """Count an in-place change made where the engine cannot see it (through `.data` or
    NumPy): graphs that saved the tensor then refuse its new values, as PyTorch's."""
    for item in (tensor,) if isinstance(tensor, Tensor) else tensor:
        item._bump_version()


class _SavedHooks(threading.local):
    stack: tuple = ()  # this thread's (pack_hook, unpack_hook) pairs, the innermost last
    refusal: tuple = ()  # disable_saved_tensors_hooks' messages, the innermost last
    packing = False  # inside a pack_hook: the ops it records are not packed again


_saved_hooks = _SavedHooks()


class _Packed(tuple):
    """A node's saved values as pack_hook returned them (the others as they were): reading one
    (`(x,) = ctx.saved_tensors`, `saved[0]`) calls unpack_hook, each time, as PyTorch does."""

    def __new__(cls, items: tuple, packed: tuple, unpack: Callable, op: str) -> _Packed:
        self = super().__new__(cls, items)
        self.packed, self.unpack, self.op = packed, unpack, op
        return self

    def __reduce__(self) -> tuple:  # (copy.deepcopy of a graph: the packed values as they are)
        items = tuple(tuple.__getitem__(self, i) for i in range(len(self)))
        return (_Packed, (items, self.packed, self.unpack, self.op))

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        value = tuple.__getitem__(self, index)
        return self._unpacked(value, index % len(self)) if self.packed[index] else value

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def _unpacked(self, value: Any, index: int) -> Any:
        tensor = self.unpack(value)
        if not isinstance(tensor, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(tensor).__name__}")
        shape, dtype = self.packed[index]
        if tensor.shape != shape or tensor.dtype != dtype:  # (PyTorch goes on with it: a
            raise RuntimeError(  # gradient silently wrong)
                f"saved_tensors_hooks: unpack_hook returned a tensor of shape "
                f"{tuple(tensor.shape)} and dtype {tensor.dtype} for saved value {index} of "
                f"{self.op}, which saved shape {shape} and dtype {dtype}: "
                "it must give back what pack_hook was given")
        return tensor._data


def _pack_saved(ctx: Any, arrays: list, output: Any) -> None:
    """The observer while saved_tensors_hooks is open: pack each array the op saved."""
    state = _saved_hooks
    saved = ctx.saved_tensors
    if not state.stack or state.packing or not saved or type(saved) is _Packed:
        return
    pack, unpack = state.stack[-1]
    if pack is None:  # an inner save_on_cpu's: nothing to do, as its hooks would
        return
    items, packed = [], []
    state.packing = True
    try:
        for index, value in enumerate(saved):
            if type(value) is not np.ndarray:  # numbers, shapes: not tensors, not packed
                items.append(value)
                packed.append(None)
                continue
            slot = ctx.saved_slots[index] if index < len(ctx.saved_slots) else None
            parent = ctx.parents[slot] if slot is not None and 0 <= slot < len(ctx.parents) \
                else None  # a leaf input is given as itself, as PyTorch's pack_hook gets it
            items.append(pack(parent if isinstance(parent, Tensor) else  # the output or a
                              Tensor._make(value, ctx if slot == -1 else parent)))  # non-leaf
            # input: in the graph, with its grad_fn (a copy of PyTorch's very tensor)
            packed.append((value.shape, value.dtype))
    finally:
        state.packing = False
    ctx.saved_tensors = _Packed(tuple(items), tuple(packed), unpack, type(ctx).__name__)
    if ctx.saved_versions:  # a value packed as a copy (clone, half) is safe from later in-place
        ctx.saved_versions = tuple(  # changes, as PyTorch's: its own counter, never moved
            (i, [0], 0) if _copied(items[i], saved[i]) else (i, c, v)
            for i, c, v in ctx.saved_versions)


def _copied(packed: Any, value: np.ndarray) -> bool:
    """pack_hook's result holds the saved value only in memory of its own (a Tensor or NumPy
    array, or a tuple/list with some, none sharing `value`'s memory); anything else (the
    tensor itself, a view, a key into a store) keeps the in-place check."""
    parts = packed if isinstance(packed, (tuple, list)) else (packed,)
    arrays = [p._data if isinstance(p, Tensor) else p for p in parts
              if isinstance(p, (Tensor, np.ndarray))]
    return bool(arrays) and not any(np.may_share_memory(a, value) for a in arrays)


class saved_tensors_hooks:  # noqa: N801 (PyTorch's name)
    """PyTorch's pack/unpack hooks on what the graph saves: inside the block, every array an
    op recorded there saves for backward goes through `pack_hook(tensor)` (a leaf input as
    itself), and backward calls `unpack_hook(packed)` each time it reads it; it must return a
    Tensor of the saved shape and dtype (else TypeError / RuntimeError naming the op). Ops that
    keep helpers (masks, signs) as attributes keep them outside the hooks. As the innermost
    block's hooks apply, per thread; ops a pack_hook records are not packed again."""

    def __init__(self, pack_hook: Callable[[Tensor], Any],
                 unpack_hook: Callable[[Any], Tensor]) -> None:
        if not (callable(pack_hook) and callable(unpack_hook)):
            raise TypeError("saved_tensors_hooks: pack_hook and unpack_hook must be functions, "
                            f"got {type(pack_hook).__name__} and {type(unpack_hook).__name__}")
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        state = _saved_hooks
        if state.refusal:
            raise RuntimeError(state.refusal[-1])
        state.stack = (*state.stack, (self.pack_hook, self.unpack_hook))
        observing.observe(_pack_saved)
        return self

    def __exit__(self, *exc_info: object) -> None:
        observing.unobserve(_pack_saved)
        _saved_hooks.stack = _saved_hooks.stack[:-1]


class _Mutation(threading.local):
    open = False  # an allow_mutation_on_saved_tensors block is open in this thread


_mutation = _Mutation()


def _copy_saved(ctx: Any, arrays: list, output: Any) -> None:
    """The observer while allow_mutation_on_saved_tensors is open: the op keeps copies of the
    tensors it saved, each on a version counter of its own, so later in-place changes of the
    tensors leave its backward the values forward saw."""
    saved = ctx.saved_tensors
    if not _mutation.open or not ctx.saved_versions or type(saved) is _Packed:
        return  # (under saved_tensors_hooks the hooks decide what is kept)
    owned = {index for index, _, _ in ctx.saved_versions}
    ctx.saved_tensors = tuple(np.array(value, copy=True) if index in owned and
                              type(value) is np.ndarray else value
                              for index, value in enumerate(saved))
    ctx.saved_versions = tuple((index, [0], 0) for index, _, _ in ctx.saved_versions)


class allow_mutation_on_saved_tensors:  # noqa: N801 (PyTorch's name)
    """PyTorch's block in which tensors saved for backward may be changed in place: each op
    recorded inside keeps copies of what it saved (here at once, where PyTorch copies on the
    first change: the saved values' memory doubles), so backward uses the values forward saw
    instead of refusing. Not nestable, as PyTorch's; a backward after the block works here
    (PyTorch's refuses it). Under create_graph a leaf's saved value is the leaf itself."""

    def __enter__(self) -> allow_mutation_on_saved_tensors:
        if _mutation.open:
            raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
        _mutation.open = True
        observing.observe(_copy_saved)
        return self

    def __exit__(self, *exc_info: object) -> None:
        observing.unobserve(_copy_saved)
        _mutation.open = False


class save_on_cpu:  # noqa: N801 (PyTorch's name)
    """PyTorch's saved_tensors_hooks that keep what a graph saves in CPU memory: it is there
    already, so its hooks do nothing; as PyTorch's, they replace an outer block's hooks and
    are refused inside disable_saved_tensors_hooks (`pin_memory`, `device_type` accepted)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        self.pin_memory, self.device_type = pin_memory, device_type

    def __enter__(self) -> save_on_cpu:
        state = _saved_hooks
        if state.refusal:
            raise RuntimeError(state.refusal[-1])
        state.stack = (*state.stack, (None, None))  # (no observer: nothing is packed)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _saved_hooks.stack = _saved_hooks.stack[:-1]


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """PyTorch's guard: inside the block, opening saved_tensors_hooks (or entering this block
    while they are open) raises RuntimeError(error_message)."""
    state = _saved_hooks
    if state.stack:
        raise RuntimeError(error_message)
    state.refusal = (*state.refusal, error_message)
    try:
        yield
    finally:
        state.refusal = state.refusal[:-1]


def region_activation_memory_budget(budget: float) -> Any:
    """PyTorch's torch.compile-only recomputation budget: refused outside a compiled region
    there, and here always (there is no torch.compile), with PyTorch's RuntimeError."""
    raise RuntimeError("torch.autograd.graph.region_activation_memory_budget can only be used "
                       "inside a torch.compile region; it has no effect in eager mode.")


__all__ = ["GradientEdge", "Node", "allow_mutation_on_saved_tensors",
           "disable_saved_tensors_hooks", "get_gradient_edge",
           "increment_version",
           "register_multi_grad_hook", "region_activation_memory_budget", "save_on_cpu",
           "saved_tensors_hooks"]
