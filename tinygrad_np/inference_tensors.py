"""Inference tensors, as PyTorch's: the results of ops run inside `inference_mode()`, and
the tensors made there (`tg.ones`, `tg.tensor`, a module's parameters), are marked
(`t.is_inference()` is True), and a graph recorded later refuses to save one for backward
("Inference tensors cannot be saved for backward"), as do `requires_grad_()` and in-place
writes outside the mode. Inside the mode nothing is recorded, under `enable_grad()` too
(`is_grad_enabled()` then says True, as PyTorch's). Kept out of the engine: while an
`inference_mode()` block is open (in any thread) the engine's result constructor and
`Tensor.__init__` are swapped for ones that mark what is made in that thread (a result with
no graph node), and while a marked tensor lives an observer of the recorded ops checks what
they save. With neither, nothing runs.

A view (or `detach()`) of an inference tensor is one too (not a view: `_base` is None, and
not in the graph), and a view taken inside the mode of a normal tensor is a normal tensor, as
PyTorch's. What differs from PyTorch: an op outside the mode on an inference tensor that
requires grad records the graph (PyTorch's result does not require grad), so an op that
saves it raises "Inference tensors cannot be saved for backward".
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from tinygrad_np import function, observing, tensor as tensor_module
from tinygrad_np.tensor import Tensor

SAVED = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in "
         "inference mode in computation tracked by autograd. To work around this, you can make "
         "a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` "
         "instead of `torch.inference_mode()`.")

_state = threading.local()  # .on: inside inference_mode(True) in this thread
_lock = threading.RLock()
_open_blocks = 0
_plain_make = function._make_tensor
_plain_init = Tensor.__init__
_marked: dict[int, weakref.ref] = {}  # id(array) -> weak reference to an inference array


def active() -> bool:
    """True inside `inference_mode()` (mode True) in this thread."""
    return getattr(_state, "on", False)


tensor_module.in_inference_mode = active  # (tensor.py's in-place and requires_grad_ checks)


def _marking_make(data: Any, grad_fn: Any) -> Tensor:
    if not getattr(_state, "on", False):
        return _plain_make(data, grad_fn)
    tensor = _plain_make(data, None)  # no graph inside the mode, under enable_grad() too
    mark(tensor)
    return tensor


def _marking_init(tensor: Tensor, data: Any = (), *args: Any, **kwargs: Any) -> None:
    """Tensor.__init__ while a block is open: a tensor made inside the mode is marked
    (not one that holds another tensor's very array: that one stays as it is)."""
    _plain_init(tensor, data, *args, **kwargs)
    if getattr(_state, "on", False) and not (
            isinstance(data, Tensor) and data._data is tensor._data):
        mark(tensor)


def mark(tensor: Tensor) -> None:
    """Make `tensor` an inference tensor (its array checked when a graph saves it)."""
    tensor._inference = True
    key, array = id(tensor._data), tensor._data
    with _lock:
        if not _marked:
            observing.observe(_refuse_saved)
            tensor_module.inference_view = _view_made
        _marked[key] = weakref.ref(array, lambda _, key=key: _forget(key))


def _forget(key: int) -> None:
    with _lock:
        if _marked.pop(key, None) is not None and not _marked:
            observing.unobserve(_refuse_saved)
            tensor_module.inference_view = None


def _view_made(base: Tensor, view: Tensor) -> None:
    """A view op's result (or a detach()) while inference tensors live, as PyTorch's: of an
    inference tensor, an inference tensor (not a view, not in the graph); of a normal tensor,
    a normal one, also when taken inside the mode."""
    if getattr(base, "_inference", False):
        view._view_of, view.grad_fn, view._requires_grad = None, None, False
        mark(view)
    elif getattr(view, "_inference", False):
        view._inference = False
        key = id(view._data)
        with _lock:
            reference = _marked.get(key)
            if reference is not None and reference() is view._data:
                _forget(key)


def _refuse_saved(ctx: Any, arrays: Any, output: Any) -> None:
    """An observer of recorded ops: refuse one that saved an inference tensor's array (not
    inside the mode: there `enable_grad()` records here, where PyTorch records nothing)."""
    if getattr(_state, "on", False):
        return
    for value in ctx.saved_tensors or ():
        reference = _marked.get(id(value))
        if reference is not None and reference() is value:
            raise RuntimeError(SAVED)


def enter(mode: bool) -> bool:
    """An inference_mode block starts in this thread; returns the previous state."""
    global _open_blocks
    previous, _state.on = active(), mode
    with _lock:
        _open_blocks += 1
        function._make_tensor = _marking_make
        Tensor.__init__ = _marking_init  # type: ignore[method-assign]
    return previous


def leave(previous: bool) -> None:
    """The block ends: the state before it is back (the plain constructor with the last)."""
    global _open_blocks
    _state.on = previous
    with _lock:
        _open_blocks -= 1
        if _open_blocks == 0:
            function._make_tensor = _plain_make
            Tensor.__init__ = _plain_init  # type: ignore[method-assign]
