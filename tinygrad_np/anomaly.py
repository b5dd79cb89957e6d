"""`detect_anomaly()`: find the op where a NaN or Inf gradient starts.

A tool above the engine: while a `detect_anomaly()` block is open (in any thread) it watches
through the engine's observer lists. Each op recorded in the block remembers the line of user
code that created it, and backward() raises at the first op whose backward returns a NaN or
Inf, naming the op, the input and that line. Outside such blocks it costs nothing.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any

import numpy as np

from tinygrad_np import autograd, function
from tinygrad_np.tensor import Tensor


class _Enabled(threading.local):
    on = False  # per thread, like grad mode


_enabled = _Enabled()
_open_blocks = 0
_lock = threading.Lock()


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()` in this thread."""
    return _enabled.on


def _remember_creation(ctx: Any, arrays: list, output: np.ndarray) -> None:
    if _enabled.on:
        ctx.creation_stack = traceback.format_stack()[:-2]


def _check_gradients(node: Any, grad_output: Any, grads: tuple) -> None:
    if not _enabled.on:
        return
    for position, grad in enumerate(grads):
        values = grad.data if isinstance(grad, Tensor) else grad
        if values is not None and not np.all(np.isfinite(values)):
            stack = getattr(node, "creation_stack", None) or [
                "  (created outside detect_anomaly())\n"]
            raise RuntimeError(
                f"detect_anomaly: {type(node).__name__}.backward returned NaN or Inf in the "
                f"gradient of input {position} (shape {np.shape(values)}). The op was "
                f"created here:\n{''.join(stack)}")


class detect_anomaly(function.no_grad):
    """Context manager (and decorator): name the op where a NaN or Inf gradient starts."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)

    def __enter__(self) -> None:
        global _open_blocks
        with _lock:
            if _open_blocks == 0:
                function.observers.append(_remember_creation)
                autograd.backward_observers.append(_check_gradients)
            _open_blocks += 1
        self._previous, _enabled.on = _enabled.on, self.check_nan

    def __exit__(self, *exc_info: object) -> None:
        global _open_blocks
        _enabled.on = self._previous
        with _lock:
            _open_blocks -= 1
            if _open_blocks == 0:
                function.observers.remove(_remember_creation)
                autograd.backward_observers.remove(_check_gradients)
