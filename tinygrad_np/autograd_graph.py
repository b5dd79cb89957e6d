"""`torch.autograd.graph`, the part that fits this engine: `Node` (what every `grad_fn` and
`AccumulateGrad` is an instance of), `register_multi_grad_hook` (modes "all" and "any") and
`increment_version`.

Not here: `saved_tensors_hooks` / `save_on_cpu` (the engine keeps saved arrays as they are,
with no pack/unpack step to hook into), `GradientEdge` / `get_gradient_edge` (`grad` and
`backward` take tensors only) and `allow_mutation_on_saved_tensors` (a saved tensor changed
in place is refused, always).
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Sequence

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


__all__ = ["Node", "increment_version", "register_multi_grad_hook"]
