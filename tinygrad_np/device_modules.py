"""`torch.cpu`, `torch.mps`, `torch.xpu`, `torch.cuda.nvtx`, `torch.cuda.Event` and
`torch._inductor.config`, as a CPU-only PyTorch build has them: the CPU is there (one device,
synchronize does nothing), the others are not (is_available() False; what needs the device
raises PyTorch's error), and inductor's settings can be set and change nothing.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

from tinygrad_np import amp
from tinygrad_np.device import _module, cuda


def _true() -> bool:
    return True


def _false() -> bool:
    return False


def _no_op(*args: Any, **kwargs: Any) -> None:
    return None


def _cpu_autocast(enabled: bool = True, dtype: Any = None,
                  cache_enabled: bool = True) -> amp.autocast:
    """`torch.cpu.amp.autocast(...)`: PyTorch's deprecated spelling of autocast('cpu')."""
    warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                  "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning, stacklevel=2)
    return amp.autocast("cpu", dtype, enabled, cache_enabled)


def _cpu_grad_scaler(init_scale: float = 2.0**16, growth_factor: float = 2.0,
                     backoff_factor: float = 0.5, growth_interval: int = 2000,
                     enabled: bool = True) -> amp.GradScaler:
    """`torch.cpu.amp.GradScaler(...)`: PyTorch's deprecated spelling of GradScaler('cpu')."""
    warnings.warn("`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
                  "`torch.amp.GradScaler('cpu', args...)` instead.", FutureWarning, stacklevel=2)
    return amp.GradScaler("cpu", init_scale, growth_factor, backoff_factor, growth_interval,
                          enabled)


cpu = _module("cpu", is_available=_true, device_count=lambda: 1, synchronize=_no_op,
              current_device=lambda: "cpu", is_initialized=_true,
              amp=_module("cpu.amp", autocast=_cpu_autocast, GradScaler=_cpu_grad_scaler))


def _no_mps(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"Cannot execute {what}() without MPS backend.")
    return refuse


mps = _module("mps", is_available=_false, device_count=lambda: 0, manual_seed=_no_op,
              seed=_no_op, synchronize=_no_mps("deviceSynchronize"),
              empty_cache=_no_mps("emptyCache"),
              current_allocated_memory=_no_mps("getCurrentAllocatedMemory"),
              driver_allocated_memory=_no_mps("getDriverAllocatedMemory"))


def _no_xpu(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("Torch not compiled with XPU enabled")


xpu = _module("xpu", is_available=_false, device_count=lambda: 0, empty_cache=_no_op,
              manual_seed=_no_op, manual_seed_all=_no_op, synchronize=_no_xpu,
              current_device=_no_xpu, get_device_name=_no_xpu)


def _no_nvtx(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("NVTX functions not installed. Are you sure you have a CUDA build?")


class _NvtxRange:
    """`torch.cuda.nvtx.range(msg)`: entering it pushes a range, which needs CUDA (raises)."""

    def __init__(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.msg = msg

    def __enter__(self) -> None:
        _no_nvtx()

    def __exit__(self, *exc: Any) -> None:
        _no_nvtx()


class Event:
    """`torch.cuda.Event`: without CUDA, making one raises, as PyTorch's CPU build."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Tried to instantiate dummy base class Event")


class OutOfMemoryError(RuntimeError):
    """`torch.OutOfMemoryError` (also `torch.cuda.OutOfMemoryError`): a RuntimeError, so
    `except torch.cuda.OutOfMemoryError:` in a script works; nothing here raises it."""


class AcceleratorError(RuntimeError):
    """`torch.AcceleratorError`: an accelerator's runtime error (none here raises it)."""


cuda.OutOfMemoryError = OutOfMemoryError
cuda.nvtx = _module("cuda.nvtx", range_push=_no_nvtx, range_pop=_no_nvtx, mark=_no_nvtx,
                    range_start=_no_nvtx, range_end=_no_nvtx, range=_NvtxRange)
cuda.Event = Event

# torch._inductor.config: settings scripts set before torch.compile (which runs code as
# written here); any of them can be set, none changes anything.
_inductor = _module("_inductor")
_inductor.config = _module(
    "_inductor.config", max_autotune=False, max_autotune_gemm=False, max_autotune_pointwise=False,
    coordinate_descent_tuning=False, fx_graph_cache=True, freezing=False,
    epilogue_fusion=True, force_fuse_int_mm_with_mul=False, use_mixed_mm=True,
    debug=False, benchmark_kernel=False, compile_threads=1, conv_1x1_as_mm=False,
    triton=SimpleNamespace(unique_kernel_names=True, cudagraphs=False, cudagraph_trees=True),
    cpp=SimpleNamespace(simdlen=None, threads=-1))

__all__ = ["Event", "cpu", "mps", "xpu"]
