"""Keep freed memory inside the process: an opt-in glibc malloc setting for training scripts.

NumPy allocates every temporary with malloc. glibc serves blocks above its mmap threshold
(128 KB at first, adapting up to 32 MB) with fresh mmap()s and unmaps them on free, and
returns the top of the heap to the kernel once more than the trim threshold is free. A
training step that makes and drops the same multi-megabyte arrays every time then faults
every page in again on each step: measured on the W5 LeNet step (benchmarks/conv.py), about
4,000 page faults per step, and a step about twice as slow.

`keep_freed_memory()` raises both thresholds with `mallopt`, so freed blocks stay in the
heap and are reused. It is process-wide, affects every library in the process, and is never
done on `import tinygrad_np`: the example scripts and benchmarks call it, print what they
did, and skip it when TINYGRAD_NP_KEEP_MEMORY=0. Only glibc (Linux) has mallopt; elsewhere
this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest mmap threshold on 64-bit systems
TRIM_THRESHOLD = 512 * 2**20


def keep_freed_memory(mmap_threshold: int = MMAP_THRESHOLD,
                      trim_threshold: int = TRIM_THRESHOLD) -> str:
    """Set glibc's mmap and trim thresholds (unless TINYGRAD_NP_KEEP_MEMORY=0); returns a
    one-line description of what was done, for the caller to print."""
    if os.environ.get("TINYGRAD_NP_KEEP_MEMORY", "1") == "0":
        return "malloc: left at its defaults (TINYGRAD_NP_KEEP_MEMORY=0)"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return "malloc: not glibc, left at its defaults"
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    if not (mallopt(M_MMAP_THRESHOLD, mmap_threshold) and mallopt(M_TRIM_THRESHOLD,
                                                                  trim_threshold)):
        return "malloc: mallopt refused the thresholds; left at its defaults"
    return (f"malloc: freed memory stays in the process (mallopt M_MMAP_THRESHOLD="
            f"{mmap_threshold >> 20} MB, M_TRIM_THRESHOLD={trim_threshold >> 20} MB; "
            "TINYGRAD_NP_KEEP_MEMORY=0 turns this off)")
