"""Plain Python plumbing: a context manager that also decorates functions and generators, the
cycle collector paused across threads, and PyTorch's check of a flag argument."""

from __future__ import annotations

import copy
import functools
import gc
import inspect
import threading
from typing import Any

from tinygrad_np.xp import _ERROR_STATE, _QUIET


class ContextDecorator:
    """`with Mode():` and `@Mode()`; on a generator function the mode holds each time the
    generator's own code runs (between its yields the caller's mode is back)."""

    def __enter__(self) -> Any:
        raise NotImplementedError

    def __exit__(self, *exc_info: object) -> None:
        raise NotImplementedError

    def clone(self) -> Any:
        """A new context manager of the same mode (PyTorch's `no_grad().clone()`)."""
        return copy.copy(self)

    def __call__(self, fn):
        if not inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                with copy.copy(self):
                    return fn(*args, **kwargs)
            return wrapper

        @functools.wraps(fn)
        def generator(*args, **kwargs):
            inner, value = fn(*args, **kwargs), None
            resume = inner.send
            while True:
                try:
                    with copy.copy(self):
                        sent = resume(value)
                except StopIteration as stop:
                    return stop.value
                try:
                    value, resume = (yield sent), inner.send
                except BaseException as error:  # thrown in (or closed): pass it on, in the mode
                    value, resume = error, inner.throw
        return generator


class QuietPass:
    """For a backward pass: Python's cycle collector paused while any caller (in any thread)
    is between `pause()` and `resume()`, and back to its state before the first after the
    last (a count under a lock, so two threads never leave it off for good); and NumPy's
    divide, invalid and overflow warnings off in the calling thread (PyTorch's backward
    never warns: 0 * inf in a chain rule is nan, silently)."""

    def __init__(self) -> None:
        self._lock, self._running, self._was_enabled = threading.Lock(), 0, False

    def pause(self) -> Any:
        with self._lock:
            if not self._running:
                self._was_enabled = gc.isenabled()
            self._running += 1
            gc.disable()
        return _ERROR_STATE.set(_QUIET)

    def resume(self, token: Any) -> None:
        _ERROR_STATE.reset(token)
        with self._lock:
            self._running -= 1
            if not self._running and self._was_enabled:
                gc.enable()


def accepts_axis(fn: Any) -> Any:
    """`fn` also taking NumPy's `axis=` for its `dim=` (PyTorch's alias on every op with a
    `dim`); `fn` itself when it has no `dim` or already takes `axis` (or `**kwargs`)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if "dim" not in parameters or "axis" in parameters or any(
            p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return fn

    @functools.wraps(fn)
    def aliased(*args: Any, axis: Any = None, **kwargs: Any) -> Any:
        if axis is not None:
            if kwargs.get("dim", axis) != axis:
                raise TypeError(f"{fn.__name__}: got dim={kwargs['dim']} and axis={axis}; "
                                f"pass one of them")
            kwargs["dim"] = axis
        return fn(*args, **kwargs)
    return aliased


def flag(value: Any, caller: str, argument: str) -> bool:
    """`value` if it is a bool; else PyTorch's TypeError (1, "yes" or np.True_ are refused, as
    `torch.set_grad_enabled` and `requires_grad_` refuse them)."""
    if type(value) is not bool:
        raise TypeError(f"{caller}(): argument '{argument}' (position 1) must be bool, not "
                        f"{type(value).__name__}")
    return value
