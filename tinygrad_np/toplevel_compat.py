"""Small `torch.*` names scripts and libraries call around the maths: the `sym_*` helpers
(plain Python numbers here: there is no symbolic tracing), the older autocast accessors
(`get_autocast_cpu_dtype`, `set_autocast_gpu_dtype`, ...), `set_anomaly_enabled`,
`get_device_module`, `torch.fork`/`torch.wait` (run at once: one thread), `is_distributed`,
`imag` (refused: no complex tensors) and a few build queries."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

from tinygrad_np import amp
from tinygrad_np.device import _cpu_only
from tinygrad_np.tensor import Tensor, tensor_operand


# ------------------------------------------------------------------ sym_*: Python numbers
def sym_int(a: Any) -> int:
    """int(a), truncating a float toward zero."""
    return math.trunc(a) if isinstance(a, float) else int(a)


def sym_float(a: Any) -> float:
    """float(a)."""
    return float(a)


def sym_max(a: Any, b: Any) -> Any:
    """max(a, b) (a float when either is)."""
    return float(max(a, b)) if isinstance(a, float) or isinstance(b, float) else max(a, b)


def sym_min(a: Any, b: Any) -> Any:
    """min(a, b) (a float when either is)."""
    return float(min(a, b)) if isinstance(a, float) or isinstance(b, float) else min(a, b)


def sym_not(a: Any) -> bool:
    """not a."""
    return not a


def sym_sqrt(a: Any) -> float:
    """math.sqrt(a)."""
    return math.sqrt(a)


def sym_sum(args: Any) -> Any:
    """sum(args)."""
    return sum(args)


def sym_ite(b: Any, t: Any, f: Any) -> Any:
    """t if b else f."""
    return t if b else f


# ------------------------------------------------------------------ build and device queries
def compiled_with_cxx11_abi() -> bool:
    """True, as PyTorch's Linux wheels (there is no C++ here)."""
    return True


def is_vulkan_available() -> bool:
    """False: the CPU only."""
    return False


def init_num_threads() -> None:
    """Nothing to set up (NumPy's BLAS manages its threads)."""


def get_device_module(device: Any = None) -> Any:
    """The module of a device type: `torch.cpu` for None or the CPU, `torch.cuda`, ..."""
    kind = getattr(device, "type", device)
    kind = "cpu" if kind is None else str(kind).split(":")[0]
    tinygrad_np = sys.modules["tinygrad_np"]
    if kind not in ("cpu", "cuda", "mps", "xpu"):
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered "
                           f"as 'torch.{kind}'.")
    return getattr(tinygrad_np, kind)


def is_distributed(input: Tensor) -> bool:  # noqa: A002
    """False: no tensor is distributed here."""
    tensor_operand("is_distributed", input, "input")
    return False


def _device_move(kind: str) -> Callable[..., Tensor]:
    def move(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        raise _cpu_only(kind, f"Tensor.{kind}")
    move.__name__ = move.__qualname__ = kind
    move.__doc__ = f"Always raises, as Tensor.cuda: tinygrad_np has no {kind} device."
    return move


DEVICE_MOVES = {kind: _device_move(kind) for kind in ("xpu", "ipu", "mtia")}


def dequantize(input: Tensor) -> Tensor:  # noqa: A002
    """`input` itself: a tensor that is not quantized (none is here), as PyTorch's."""
    tensor_operand("dequantize", input, "input")
    return input


def imag(input: Tensor) -> Tensor:  # noqa: A002
    """`input.imag`: PyTorch's RuntimeError for a real tensor (there are no complex ones)."""
    tensor_operand("imag", input, "input")
    return input.imag


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """`torch.autograd.set_detect_anomaly(enabled, check_nan)`, without the context."""
    from tinygrad_np.anomaly import set_detect_anomaly  # noqa: PLC0415 (a tool: loaded on use)

    set_detect_anomaly(enabled, check_nan)


# ------------------------------------------------------------------ the older autocast forms
def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def _autocast_dtype(kind: str, device_type: str) -> tuple[Callable[[], Any],
                                                          Callable[[Any], None]]:
    def get() -> Any:
        _deprecated(f"get_autocast_{kind}_dtype()", f"get_autocast_dtype('{device_type}')")
        return amp.get_autocast_dtype(device_type)

    def set_(dtype: Any) -> None:
        _deprecated(f"set_autocast_{kind}_dtype(dtype)",
                    f"set_autocast_dtype('{device_type}', dtype)")
        amp.set_autocast_dtype(device_type, dtype)
    get.__name__, set_.__name__ = f"get_autocast_{kind}_dtype", f"set_autocast_{kind}_dtype"
    get.__doc__ = f"get_autocast_dtype('{device_type}') (deprecated there: a DeprecationWarning)"
    set_.__doc__ = f"set_autocast_dtype('{device_type}', dtype) (deprecated there too)"
    return get, set_


get_autocast_cpu_dtype, set_autocast_cpu_dtype = _autocast_dtype("cpu", "cpu")
get_autocast_gpu_dtype, set_autocast_gpu_dtype = _autocast_dtype("gpu", "cuda")
get_autocast_xla_dtype, set_autocast_xla_dtype = _autocast_dtype("xla", "xla")
_NESTING = [0]


def is_autocast_xla_enabled() -> bool:
    """is_autocast_enabled('xla'): False (no XLA device)."""
    _deprecated("is_autocast_xla_enabled()", "is_autocast_enabled('xla')")
    return amp.is_autocast_enabled("xla")


def set_autocast_xla_enabled(enabled: bool) -> None:
    """set_autocast_enabled('xla', enabled) (stays off, with its warning, as there)."""
    _deprecated("set_autocast_xla_enabled(enabled)", "set_autocast_enabled('xla', enabled)")
    amp.set_autocast_enabled("xla", enabled)


def autocast_increment_nesting() -> int:
    """PyTorch's autocast nesting counter (autocast's own bookkeeping): the new depth."""
    _NESTING[0] += 1
    return _NESTING[0]


def autocast_decrement_nesting() -> int:
    """The depth after leaving one level (0 at the outermost)."""
    _NESTING[0] = max(0, _NESTING[0] - 1)
    return _NESTING[0]


# ------------------------------------------------------------------ torch.fork / torch.wait
class Future:
    """torch.jit.fork's future, here already done: `wait()` (or `value()`) gives the result."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def wait(self) -> Any:
        return self._result

    value = wait

    def done(self) -> bool:
        return True


def fork(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """`torch.fork`: runs `func(*args, **kwargs)` now (one thread) and returns its Future."""
    return Future(func(*args, **kwargs))


def wait(future: Future) -> Any:
    """`torch.wait`: the future's result."""
    if future is None:
        raise RuntimeError("Future can't be None")
    if not isinstance(future, Future):
        raise TypeError(f"wait(): argument 'arg0' must be a Future, not "
                        f"{type(future).__name__}")
    return future.wait()


def wait_all(futures: list[Future]) -> list:
    """`torch.futures.wait_all`: the futures' results."""
    return [wait(future) for future in futures]


def collect_all(futures: list[Future]) -> Future:
    """`torch.futures.collect_all`: one future holding the (done) futures."""
    return Future(list(futures))


def jit_fork(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """`torch.jit.fork`: `torch.fork`, deprecated in PyTorch 2.13 (its DeprecationWarning)."""
    warnings.warn("`torch.jit.fork` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=2)
    return fork(func, *args, **kwargs)


def jit_wait(future: Future) -> Any:
    """`torch.jit.wait`: `torch.wait`, deprecated in PyTorch 2.13 (its DeprecationWarning)."""
    warnings.warn("`torch.jit.wait` is deprecated. Please use `torch.compile` instead.",
                  DeprecationWarning, stacklevel=2)
    return wait(future)


__all__ = ["sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_sum",
           "sym_ite", "compiled_with_cxx11_abi", "is_vulkan_available", "init_num_threads",
           "get_device_module", "is_distributed", "imag", "dequantize", "set_anomaly_enabled",
           "get_autocast_cpu_dtype", "set_autocast_cpu_dtype", "get_autocast_gpu_dtype",
           "set_autocast_gpu_dtype", "get_autocast_xla_dtype", "set_autocast_xla_dtype",
           "is_autocast_xla_enabled", "set_autocast_xla_enabled", "autocast_increment_nesting",
           "autocast_decrement_nesting", "fork", "wait"]
