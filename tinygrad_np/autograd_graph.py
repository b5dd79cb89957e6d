"""`torch.autograd.graph`, the part that fits this engine: `Node` (what every `grad_fn` and
`AccumulateGrad` is an instance of), `register_multi_grad_hook` (modes "all" and "any") and
`increment_version`.

`save_on_cpu` and `disable_saved_tensors_hooks` are accepted and change nothing (every saved
array is in CPU memory, and no saved-tensor hook can be set). Not here: `saved_tensors_hooks`
(a NotImplementedError: the engine keeps saved arrays as they are, with no pack/unpack step
to hook into), `GradientEdge` / `get_gradient_edge` (`grad` and
`backward` take tensors only) and `allow_mutation_on_saved_tensors` (a saved tensor changed
in place is refused, always).
"""

from __future__ import annotations

import abc
import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tinygrad_np import hooks
from tinygrad_np.node_api import AccumulateGrad, NodeInfo
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

    mode "all": `fn(grads)` (one entry per tensor, None for one whose gradient the pass did not
    compute) once the pass has computed all it computes of them; here at the pass's end (after
    the leaves' hooks), where PyTorch calls it as soon as the last one is known. mode "any":
    `fn(grad)` with the first of their gradients the pass computes. fn must not change the
    gradients, and what it returns is ignored, as PyTorch's. The engine computes the gradient
    of every tensor behind the outputs, so one PyTorch's pass skips (behind grad()'s inputs,
    a leaf outside backward's inputs=) is passed too. A backward pass that raises midway may
    leave "all" to be called at the end of the next pass in the thread.
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state = threading.local()  # this thread's pass: .grads ("all") or .fired ("any")

    def flush() -> None:
        grads, state.grads = state.grads, None
        fn(tuple(grads))

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


def increment_version(tensor: Tensor | Sequence[Tensor]) -> None:
    """Count an in-place change made where the engine cannot see it (through `.data` or
    NumPy): graphs that saved the tensor then refuse its new values, as PyTorch's."""
    for item in (tensor,) if isinstance(tensor, Tensor) else tensor:
        item._bump_version()


class saved_tensors_hooks:  # noqa: N801 (PyTorch's name)
    """PyTorch's pack/unpack hooks on the tensors the graph saves: not supported (the engine
    keeps saved arrays as they are, with no step to hook into), a NotImplementedError rather
    than hooks silently ignored. `save_on_cpu` works (nothing to do on the CPU)."""

    def __init__(self, pack_hook: Callable[[Tensor], Any],
                 unpack_hook: Callable[[Any], Tensor]) -> None:
        raise NotImplementedError(
            "autograd.graph.saved_tensors_hooks: the engine keeps the arrays a graph saves as "
            "they are, with no pack/unpack step to hook into (save_on_cpu() is accepted: every "
            "array is in CPU memory already)")


class save_on_cpu:  # noqa: N801 (PyTorch's name)
    """PyTorch's context manager that keeps the tensors a graph saves in CPU memory: they are
    there already, so it changes nothing (`pin_memory` and `device_type` are accepted)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        self.pin_memory, self.device_type = pin_memory, device_type

    def __enter__(self) -> save_on_cpu:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """PyTorch's guard against saved-tensor hooks inside the block: none can be set here
    (see saved_tensors_hooks), so it changes nothing."""
    yield


__all__ = ["Node", "disable_saved_tensors_hooks", "increment_version",
           "register_multi_grad_hook", "save_on_cpu", "saved_tensors_hooks"]
