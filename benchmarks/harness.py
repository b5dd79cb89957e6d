"""Timing and machine description shared by the benchmarks.

Timing rule: the implementations of one workload run in the same process, in turns
(round-robin: one step of each, then the next repetition, each round in a new random
order), so that a slow moment of the machine (another process, frequency
scaling) hits all of them alike. The first `warmup` rounds are discarded; the figure
reported is the median of the rest.
"""

from __future__ import annotations

import ctypes
import glob
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses (OpenBLAS asked directly; else the core count)."""
    try:
        import threadpoolctl

        for pool in threadpoolctl.threadpool_info():
            if pool.get("user_api") == "blas":
                return int(pool["num_threads"])
    except ImportError:
        pass
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "*openblas*"))
    for path in libs:
        library = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                       "openblas_get_num_threads"):
            getter = getattr(library, symbol, None)
            if getter is not None:
                return int(getter())
    return os.cpu_count() or 1


def import_torch():
    """PyTorch if it is installed (set to NumPy's BLAS thread count), else None."""
    if os.environ.get("BENCH_NO_TORCH"):
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(blas_threads())
    return torch


def machine_info(torch=None) -> dict:
    """CPU model, cores, Python, NumPy and its BLAS, PyTorch: printed with every table."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except Exception:  # older NumPy without mode="dicts"
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "blas": blas,
        "blas_threads": blas_threads(),
        "torch": getattr(torch, "__version__", None),
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "thread_settings": {key: os.environ.get(key) for key in
                            ("OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY", "OMP_NUM_THREADS",
                             "OPENBLAS_NUM_THREADS")},
    }
    return info


def cpu_snapshot() -> tuple[float, float, float]:
    """(CPU seconds used by the whole machine, by this process and its children, wall time)."""
    busy = 0.0
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...: all but idle and iowait
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system
    return busy, own, time.perf_counter()


def other_load(start: tuple[float, float, float], end: tuple[float, float, float]) -> float:
    """Average number of cores other processes kept busy between two cpu_snapshot()s."""
    machine, own, wall = (b - a for a, b in zip(start, end))
    return max(0.0, machine - own) / wall if wall > 0 else 0.0


def interleaved(
    steps: dict[str, Callable[[], object]], repeats: int, warmup: int, min_time: float = 0.0
) -> dict[str, dict]:
    """Time each step function in turns; per implementation the median and spread in seconds.

    A step that takes less than `min_time` is run in a batch of several calls per turn, so
    that the clock's resolution and the loop's cost do not matter; times are per call.
    """
    batch = {}
    for name, step in steps.items():  # one call each to size the batches (not timed)
        start = time.perf_counter()
        step()
        elapsed = time.perf_counter() - start
        batch[name] = max(1, int(min_time / elapsed)) if min_time and elapsed > 0 else 1
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    order = random.Random(0)
    for round_index in range(warmup + repeats):
        # Each round in a new (seeded) random order, so every implementation follows every
        # other one equally often: a step runs faster after one that read the same data
        # (now in cache) and slower after PyTorch (whose data then fills the cache).
        order.shuffle(names)
        for name in names:
            step = steps[name]
            calls = batch[name]
            start = time.perf_counter()
            for _ in range(calls):
                step()
            elapsed = (time.perf_counter() - start) / calls
            if round_index >= warmup:
                times[name].append(elapsed)
    return {name: summarize(values) for name, values in times.items()}


def summarize(values: list[float]) -> dict:
    """Median, quartiles and count of a list of timings (seconds)."""
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) > 1 else [ordered[0]] * 3
    return {
        "median": statistics.median(ordered),
        "q1": quartiles[0],
        "q3": quartiles[2],
        "min": ordered[0],
        "repeats": len(ordered),
    }


def matmul_gflops(size: int, repeats: int) -> float:
    """The machine's float32 matmul throughput: a square `size` matmul, best of `repeats`."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    a @ b  # warm-up: BLAS threads started, pages touched
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def python_command() -> list[str]:
    """The interpreter running the benchmarks, for the subprocess measurements."""
    return [sys.executable]
