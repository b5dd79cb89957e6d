"""Process-wide switches PyTorch scripts set at the top: threads, determinism, printing.

`torch.set_num_threads(1)`, `torch.use_deterministic_algorithms(True)` and
`torch.set_printoptions(precision=3)` are boilerplate in many scripts. Here every op is
already deterministic (NumPy on the CPU), the thread count is handed to `threadpoolctl` when
it is installed (it limits NumPy's BLAS; without it the call only records the number), and the
print options change how `repr(tensor)` shows values.
"""

from __future__ import annotations

import math
import os
from typing import Any

from tinygrad_np.printing import OPTIONS as PRINT_OPTIONS, PROFILES as _PROFILES

_state: dict[str, Any] = {"threads": None, "deterministic": False, "warn_only": False,
                          "limiter": None}


def set_num_threads(threads: int) -> None:
    """Limit the threads NumPy's BLAS uses (through threadpoolctl when it is installed)."""
    threads = int(threads)
    if threads < 1:
        raise ValueError(f"set_num_threads: expected a positive number, got {threads}")
    _state["threads"] = threads
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # only recorded: set OPENBLAS_NUM_THREADS before starting Python
        return
    _state["limiter"] = threadpool_limits(limits=threads)


def get_num_threads() -> int:
    """The number given to set_num_threads, else the number of CPUs this process may use."""
    if _state["threads"] is not None:
        return _state["threads"]
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_num_interop_threads(threads: int) -> None:
    """Accepted and ignored: there is no inter-op thread pool here."""
    if int(threads) < 1:
        raise ValueError(f"set_num_interop_threads: expected a positive number, got {threads}")


def get_num_interop_threads() -> int:
    return 1


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded only: every op here is deterministic already."""
    if not isinstance(mode, (bool, int)):
        raise TypeError(f"use_deterministic_algorithms: mode must be a bool, got {mode!r}")
    _state["deterministic"], _state["warn_only"] = bool(mode), bool(warn_only)


def set_deterministic_debug_mode(debug_mode: int | str) -> None:
    """PyTorch's 0/"default", 1/"warn", 2/"error": use_deterministic_algorithms by level."""
    levels = {"default": 0, "warn": 1, "error": 2}
    level = levels.get(debug_mode, debug_mode) if isinstance(debug_mode, str) else debug_mode
    if level not in (0, 1, 2):
        raise RuntimeError(f"invalid debug_mode {debug_mode!r}: expected 0, 1, 2, 'default', "
                           "'warn' or 'error'")
    use_deterministic_algorithms(level > 0, warn_only=level == 1)


def get_deterministic_debug_mode() -> int:
    """0, 1 or 2, as set_deterministic_debug_mode takes them."""
    return 0 if not _state["deterministic"] else 1 if _state["warn_only"] else 2


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_printoptions(precision: int | None = None, threshold: int | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How repr(tensor) shows values, with PyTorch's arguments and defaults (precision 4,
    threshold 1000, edgeitems 3, linewidth 80; `sci_mode` True/False forces or forbids
    scientific notation, None chooses it from the values; profiles 'default', 'short',
    'full'; another name is ignored, as PyTorch's)."""
    if isinstance(profile, str) and profile in _PROFILES:  # another changes nothing
        PRINT_OPTIONS.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTIONS[key] = value if value == math.inf else int(value)
    PRINT_OPTIONS["sci_mode"] = sci_mode
