"""Subscribing to every recorded op: `observe(fn)` has `fn(ctx, arrays, output)` called by
`Function.apply` for each op it records, until `unobserve(fn)` (anomaly mode, inference
tensors, the profiler, the wrong-op finder and the drawing's kept values use it).

`function.observers` is a tuple replaced whole, under a lock, so a thread adding or removing
an observer never shifts another thread's loop over them mid-op (a list's `remove` could make
that loop skip the next observer). Kept outside function.py: not part of the machinery.
"""

from __future__ import annotations

import threading
from typing import Any

from tinygrad_np import function

# Re-entrant: a GC pass inside observe/unobserve may drop the last inference tensor, whose
# weakref callback unobserves in the same thread (a plain Lock would deadlock there).
_lock = threading.RLock()


def observe(fn: Any) -> None:
    """Call `fn(ctx, arrays, output)` for every recorded op (until `unobserve(fn)`)."""
    with _lock:
        function.observers = (*function.observers, fn)


def unobserve(fn: Any) -> None:
    """Stop one `observe(fn)` (the last added, when added twice)."""
    with _lock:
        kept = function.observers
        index = len(kept) - 1 - kept[::-1].index(fn)
        function.observers = kept[:index] + kept[index + 1:]
