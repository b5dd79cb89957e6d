"""PyTorch's `torch.profiler` / `torch.autograd.profiler`, small: `record_function` blocks
are timed (wall clock, nested: self and total time), and every op recorded inside a
`profile()` is counted by name. Op times are not measured (that would cost every op a
timer); the table shows their counts.

    with tg.profiler.profile() as prof:
        with tg.profiler.record_function("forward"):
            loss = model(x).sum()
    print(prof.key_averages().table(sort_by="cpu_time_total"))
"""

from __future__ import annotations

import enum
import functools
import json
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from tinygrad_np.observing import observe, unobserve


class ProfilerActivity(enum.Enum):
    """What to profile: only the CPU exists here."""

    CPU = 0
    CUDA = 1


class ProfilerAction(enum.Enum):
    """What a `schedule` asks of a step: PyTorch's values."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class _Active(threading.local):
    profile: Any = None  # this thread's open profile()
    stack: list | None = None  # its open record_function blocks


_active = _Active()


class FunctionEventAvg:
    """One row of `key_averages()`: a name, its call count and times in microseconds (the
    device and memory columns PyTorch has are 0 here: CPU only, memory not measured)."""

    input_shapes = ""  # (PyTorch's, without record_shapes)
    stack: tuple = ()
    cpu_memory_usage = self_cpu_memory_usage = device_memory_usage = cuda_memory_usage = 0
    self_device_memory_usage = self_cuda_memory_usage = 0
    device_time_total = self_device_time_total = cuda_time_total = self_cuda_time_total = 0.0
    flops, node_id, id = 0, -1, -1

    @property
    def name(self) -> str:
        """The row's key (PyTorch's FunctionEvent name)."""
        return self.key

    def __init__(self, key: str) -> None:
        self.key, self.count = key, 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.is_user_annotation = False

    @property
    def cpu_time(self) -> float:
        """The mean time per call (microseconds)."""
        return self.cpu_time_total / self.count if self.count else 0.0


class EventList(list):
    """`key_averages()`'s rows, with PyTorch's `table()`."""

    def table(self, sort_by: str | None = None, row_limit: int = 100, **_: Any) -> str:
        """The rows as an aligned text table (sorted by an attribute, largest first; a name
        that is no column is PyTorch's AttributeError)."""
        if sort_by and not isinstance(getattr(FunctionEventAvg(""), sort_by, None), (int, float)):
            raise AttributeError(f"'FunctionEventAvg' object has no attribute '{sort_by}' "
                                 "(table(sort_by=...) takes cpu_time_total, self_cpu_time_total, "
                                 "cpu_time, count, ...)")
        rows = sorted(self, key=lambda r: -getattr(r, sort_by.replace("cuda", "cpu")
                                                   .replace("device", "cpu"))) \
            if sort_by else list(self)
        total = sum(r.self_cpu_time_total for r in self) or 1.0
        header = ("Name", "Self CPU %", "Self CPU", "CPU total", "CPU time avg", "# of Calls")
        lines = [header] + [(r.key, *((f"{100 * r.self_cpu_time_total / total:.2f}%",
                             _us(r.self_cpu_time_total), _us(r.cpu_time_total), _us(r.cpu_time))
                             if r.is_user_annotation else ("-",) * 4), str(r.count))
                            for r in rows[:row_limit]]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        rule = "  ".join("-" * w for w in widths)
        text = [rule] + ["  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines]
        text.insert(2, rule)
        return "\n".join([*text, rule, f"Self CPU time total: {_us(total)}",
                          "(ops are counted, not timed; record_function blocks are timed)"])


    def total_average(self) -> FunctionEventAvg:
        """One row summing every row (PyTorch's "Total")."""
        total = FunctionEventAvg("Total")
        for row in self:
            total.count += row.count
            total.cpu_time_total += row.cpu_time_total
            total.self_cpu_time_total += row.self_cpu_time_total
        return total


def _us(microseconds: float) -> str:
    return f"{microseconds / 1000:.3f}ms" if microseconds >= 1000 else f"{microseconds:.3f}us"


class profile:  # noqa: N801  (PyTorch's name)
    """Collects this thread's record_function times and op counts while open."""

    def __init__(self, activities: Any = None, *, schedule: Any = None,
                 on_trace_ready: Callable[[profile], Any] | None = None, enabled: bool = True,
                 **options: Any) -> None:
        self.on_trace_ready, self.enabled = on_trace_ready, enabled
        self.schedule, self.step_num = schedule, 0
        self._action = ProfilerAction.RECORD if schedule is None else schedule(0)
        self._stacks: dict[str, float] = {}  # "outer;inner" -> self time (export_stacks)
        self._rows: dict[str, FunctionEventAvg] = {}
        self._events: list[tuple[str, float, float]] = []  # (name, start, duration) in us
        self._origin = 0.0

    def _row(self, name: str) -> FunctionEventAvg:
        return self._rows.setdefault(name, FunctionEventAvg(name))

    @property
    def _recording(self) -> bool:
        return self._action in _RECORDING

    def _count_op(self, ctx: Any, arrays: list, output: Any) -> None:
        if _active.profile is self and self._action in _RECORDING:
            self._row(type(ctx).__name__).count += 1

    def __enter__(self) -> profile:
        if not self.enabled:  # (torch.autograd.profiler.profile(enabled=False))
            return self
        self._previous, _active.profile, _active.stack = _active.profile, self, []
        self._origin = time.perf_counter()
        observe(self._count_op)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.enabled:
            return
        unobserve(self._count_op)
        _active.profile, _active.stack = self._previous, None
        if self.on_trace_ready is not None and self._recording:  # (a window left open)
            self.on_trace_ready(self)

    def start(self) -> None:
        """Open the profile without a `with` block (torch.profiler's `prof.start()`)."""
        self.__enter__()

    def stop(self) -> None:
        """Close a profile opened by `start()`."""
        self.__exit__(None, None, None)

    @property
    def function_events(self) -> EventList:
        """torch.autograd.profiler.profile's name for the rows (with `table()`)."""
        return self.key_averages()

    @property
    def self_cpu_time_total(self) -> float:
        """The timed blocks' self time, summed (microseconds)."""
        return sum(row.self_cpu_time_total for row in self._rows.values())

    def step(self) -> None:
        """A training step ended: with a `schedule`, the next step's action; a window that
        ends (RECORD_AND_SAVE) goes to on_trace_ready, and a new one starts afresh."""
        previous = self._action
        self.step_num += 1
        if self.schedule is None:
            return
        self._action = self.schedule(self.step_num)
        if previous is ProfilerAction.RECORD_AND_SAVE and self.on_trace_ready is not None:
            self.on_trace_ready(self)
        if self._action in _RECORDING and previous is not ProfilerAction.RECORD:
            self._rows, self._events, self._stacks = {}, [], {}

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """The record_function blocks as collapsed stacks ("outer;inner 12"), one a line, in
        microseconds of self time (flamegraph.pl's input, as PyTorch's)."""
        with open(path, "w") as file:
            file.writelines(f"{stack} {int(time)}\n" for stack, time in self._stacks.items())

    def key_averages(self, **_: Any) -> EventList:
        """One row per record_function name and per op."""
        return EventList(self._rows.values())

    def events(self) -> EventList:
        """The timed blocks, in order."""
        return self.key_averages()

    def export_chrome_trace(self, path: str) -> None:
        """The timed blocks as a Chrome trace (chrome://tracing, Perfetto)."""
        with open(path, "w") as file:
            json.dump({"traceEvents": [{"name": name, "ph": "X", "ts": start, "dur": duration,
                                        "pid": 0, "tid": 0}
                                       for name, start, duration in self._events]}, file)


class record_function:  # noqa: N801  (PyTorch's name)
    """A named block (context manager or decorator) timed by the open profile()."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name

    def __enter__(self) -> record_function:
        self._start, self._children = time.perf_counter(), 0.0
        if _active.stack is not None:
            _active.stack.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        owner = _active.profile
        if owner is None or not _active.stack or _active.stack[-1] is not self:
            return
        _active.stack.pop()
        elapsed = (time.perf_counter() - self._start) * 1e6
        if _active.stack:
            _active.stack[-1]._children += elapsed
        if not owner._recording:
            return
        path = ";".join([*(block.name for block in _active.stack), self.name])
        owner._stacks[path] = owner._stacks.get(path, 0.0) + elapsed - self._children
        row = owner._row(self.name)
        row.is_user_annotation = True
        row.count += 1
        row.cpu_time_total += elapsed
        row.self_cpu_time_total += elapsed - self._children
        owner._events.append((self.name, (self._start - owner._origin) * 1e6, elapsed))

    def __call__(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with record_function(self.name):
                return function(*args, **kwargs)
        return timed


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """PyTorch's step schedule: after `skip_first` steps, cycles of `wait` steps (NONE),
    `warmup` (WARMUP) and `active` (RECORD, the last RECORD_AND_SAVE), `repeat` times (0:
    forever); `skip_first_wait=1` leaves out the first cycle's wait."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(  # (PyTorch's type)
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      UserWarning, stacklevel=2)

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if position < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return action


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """on_trace_ready that writes each window's Chrome trace into `dir_name`, as PyTorch's
    `{worker_name}.{time in ms}.pt.trace.json` (worker_name: host_pid), so the windows of a
    repeating schedule each get a file."""
    import os
    import socket

    def write(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        stamp = time.time_ns() // 1_000_000
        path = os.path.join(dir_name, f"{worker}.{stamp}.pt.trace.json")
        while os.path.exists(path):  # (two windows in one millisecond)
            stamp += 1
            path = os.path.join(dir_name, f"{worker}.{stamp}.pt.trace.json")
        prof.export_chrome_trace(path)
    return write


class emit_nvtx:  # noqa: N801
    """PyTorch's NVTX ranges for GPU profilers: nothing to emit on the CPU."""

    def __init__(self, enabled: bool = True, record_shapes: bool = False) -> None:
        pass

    def __enter__(self) -> emit_nvtx:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def supported_activities() -> set[ProfilerActivity]:
    """What can be profiled here: the CPU only."""
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    """False: there is no Kineto tracer (the profile is this module's own)."""
    return False


__all__ = ["EventList", "FunctionEventAvg", "ProfilerAction", "ProfilerActivity", "emit_nvtx",
           "kineto_available", "profile", "record_function", "schedule", "supported_activities",
           "tensorboard_trace_handler"]
