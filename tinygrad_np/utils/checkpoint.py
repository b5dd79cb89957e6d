"""PyTorch's `torch.utils.checkpoint`: `checkpoint(fn, *args, use_reentrant=False)` and
`checkpoint_sequential`.

PyTorch's checkpoint saves memory by dropping fn's intermediate values and running fn again
during backward. Here fn simply runs once, keeping its graph: the values and gradients are the
same as PyTorch's, but no memory is saved. Scripts that use it run unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_np.errors import TensorError
from tinygrad_np.tensor import Tensor


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable[[], Any] | None = None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)`, with its graph kept (no recomputation: see the module
    docstring). As PyTorch, keyword arguments for `function` need use_reentrant=False."""
    if not callable(function):
        raise TypeError(f"checkpoint: expected a callable as the function, "
                        f"got {type(function).__name__}")
    if use_reentrant and kwargs:
        raise TensorError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant and context_fn is not None:
        raise TensorError("Passing `context_fn` or `debug` is only supported when "
                          "use_reentrant=False.")
    return function(*args, **kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,  # noqa: A002
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run `functions` (an nn.Sequential or a list of modules) one after another on `input`,
    as PyTorch's checkpoint_sequential does in `segments` checkpointed chunks."""
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise TensorError(f"checkpoint_sequential: segments must be a positive int, "
                          f"got {segments!r}")
    modules: Iterable[Any] = functions.children() if hasattr(functions, "children") \
        else functions
    for module in modules:
        input = module(input)  # noqa: A001
    return input


__all__ = ["checkpoint", "checkpoint_sequential"]
