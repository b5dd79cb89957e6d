"""`torch.amp` (and `torch.cuda.amp`): mixed-precision training scripts run unchanged.

There is no GPU and no reduced-precision compute here, so `autocast` changes nothing: inside
it every op runs in its inputs' dtype (PyTorch would run matmuls and convolutions in float16
or bfloat16). As PyTorch, asking for a CUDA autocast or GradScaler without CUDA warns and
disables it. An enabled CPU `GradScaler` does what PyTorch's does: scales the loss, unscales
the gradients, skips the step when one of them is inf or NaN and adjusts its scale.
"""

from __future__ import annotations

import functools
import math
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.device import _module
from tinygrad_np.dtypes import float16, torch_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.function import no_grad
from tinygrad_np.missing_dtypes import MissingDtype, bfloat16
from tinygrad_np.tensor import Tensor

_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "hpu", "xla", "meta", "mtia")


def _usable(what: str, device_type: str, enabled: bool) -> bool:
    """Whether `what` stays enabled: only on the CPU (PyTorch disables it with a warning
    when the device it was asked for is not there)."""
    if device_type not in _DEVICE_TYPES:
        raise TensorError(f"{what}: unknown device_type {device_type!r}; expected one of "
                          f"{', '.join(_DEVICE_TYPES)}")
    if enabled and device_type != "cpu":
        warnings.warn(f"{what}: device_type {device_type!r} is not available (tinygrad_np "
                      "runs on the CPU). Disabling", UserWarning, stacklevel=3)
        return False
    return bool(enabled)


class _State(threading.local):
    """What is_autocast_enabled / get_autocast_dtype report per device type, per thread as
    PyTorch's (recorded only: ops keep their dtypes). `saved`: each open autocast region's
    previous state."""

    def __init__(self) -> None:
        self.enabled: dict[str, bool] = {}
        self.dtypes: dict[str, np.dtype] = {}
        self.cache = True
        self.saved: list[tuple[str, bool, np.dtype]] = []


_state = _State()


def _device_type(op: str, device_type: Any) -> str:
    if device_type is None:
        return "cuda"  # PyTorch's no-argument forms ask about CUDA
    if device_type not in _DEVICE_TYPES:
        raise TensorError(f"{op}: unknown device_type {device_type!r}; expected one of "
                          f"{', '.join(_DEVICE_TYPES)}")
    return device_type


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an autocast region (or set_autocast_enabled) is on for `device_type` (CUDA
    when not given, as PyTorch's)."""
    return _state.enabled.get(_device_type("is_autocast_enabled", device_type), False)


def set_autocast_enabled(device_type: Any, enabled: bool | None = None) -> None:
    """`set_autocast_enabled(device_type, enabled)`, or the older `set_autocast_enabled(
    enabled)` for CUDA: recorded for is_autocast_enabled (ops keep their dtypes)."""
    if enabled is None:
        device_type, enabled = None, device_type
    _state.enabled[_device_type("set_autocast_enabled", device_type)] = bool(enabled)


def get_autocast_dtype(device_type: str) -> Any:
    """The dtype autocast regions on `device_type` name: PyTorch's defaults, bfloat16 on the
    CPU (and HPU, XLA), float16 elsewhere (recorded only: no tensor takes it here)."""
    device_type = _device_type("get_autocast_dtype", device_type)
    default = bfloat16 if device_type in ("cpu", "hpu", "xla") else float16
    return _state.dtypes.get(device_type, default)


def set_autocast_dtype(device_type: str, dtype: Any) -> None:
    """Record the dtype get_autocast_dtype reports for `device_type`."""
    _state.dtypes[_device_type("set_autocast_dtype", device_type)] = _recorded(dtype)


def _recorded(dtype: Any) -> Any:
    """The dtype autocast records: PyTorch's dtype object (`torch.bfloat16` and the other
    dtypes NumPy lacks too, since only get_autocast_dtype reads it)."""
    return dtype if isinstance(dtype, MissingDtype) else torch_dtype(dtype)


def is_autocast_cpu_enabled() -> bool:
    """is_autocast_enabled('cpu') (PyTorch's older spelling)."""
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    """set_autocast_enabled('cpu', enabled) (PyTorch's older spelling)."""
    set_autocast_enabled("cpu", enabled)


def is_autocast_cache_enabled() -> bool:
    """True, as PyTorch's default (there is no cast cache to turn off here)."""
    return _state.cache


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Recorded for is_autocast_cache_enabled; there is no cast cache here."""
    _state.cache = bool(enabled)


def clear_autocast_cache() -> None:
    """Nothing to clear: autocast caches no casts here."""


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast knows `device_type`, as PyTorch's (True for "cuda" without a GPU too;
    a CUDA autocast then warns and disables itself)."""
    return device_type in _DEVICE_TYPES and device_type != "meta"


AUTOCAST_NAMES = ["is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
                  "set_autocast_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
                  "is_autocast_cache_enabled", "set_autocast_cache_enabled",
                  "clear_autocast_cache"]


class autocast:  # noqa: N801  (PyTorch's name)
    """`with torch.autocast(device_type, dtype=None, enabled=True):` and `@autocast(...)`.
    Accepted and recorded, but ops keep their inputs' dtype (see the module doc)."""

    def __init__(self, device_type: str = "cuda", dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise TypeError(f"autocast: device_type must be a str such as 'cpu' or 'cuda', "
                            f"got {type(device_type).__name__}")
        self.device = device_type
        self._enabled = _usable("autocast", device_type, enabled)
        # PyTorch's: the device's autocast dtype when none is given (bfloat16 on the CPU)
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype

    def __enter__(self) -> autocast:
        _state.saved.append((self.device, _state.enabled.get(self.device, False),
                             get_autocast_dtype(self.device)))  # (a stack per thread)
        _state.enabled[self.device] = self._enabled
        if self.fast_dtype is not None:
            _state.dtypes[self.device] = _recorded(self.fast_dtype)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        device, _state.enabled[device], _state.dtypes[device] = _state.saved.pop()
        return None

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)
        return wrapper


class GradScaler:
    """PyTorch's loss scaler: `scaler.scale(loss).backward(); scaler.step(opt);
    scaler.update()`. Disabled (every method a pass-through, get_scale() 1.0) when
    `enabled=False` or the device is not the CPU."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._enabled = _usable("GradScaler", device, enabled)
        if self._enabled and not (growth_factor > 1.0 and 0 < backoff_factor < 1.0):
            raise TensorError(f"GradScaler: need growth_factor > 1 and 0 < backoff_factor < 1, "
                              f"got {growth_factor} and {backoff_factor}")
        self._device = device
        self._scale, self._growth_factor = float(init_scale), float(growth_factor)
        self._backoff_factor, self._growth_interval = float(backoff_factor), growth_interval
        self._growth_tracker = 0
        self._per_optimizer: dict[int, dict[str, Any]] = {}  # id -> stage and found_inf
        self._scaled = False  # scale() called once (PyTorch's _scale is made lazily there)

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def scale(self, outputs: Any) -> Any:
        """The outputs (a tensor, or a list/tuple of them) times the scale."""
        if not self._enabled:
            return outputs
        self._scaled = True
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(output) for output in outputs)
        raise TypeError(f"GradScaler.scale: expected a Tensor or a list/tuple of Tensors, got "
                        f"{type(outputs).__name__}")

    def _check_scaled(self, method: str) -> None:
        if not self._scaled:  # PyTorch's assert
            raise AssertionError(f"Attempted {method} but _scale is None.  This may indicate "
                                 "your script did not use scaler.scale(loss or outputs) "
                                 "earlier in the iteration.")

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": "ready",
                                                              "found_inf": False})

    def unscale_(self, optimizer: Any) -> None:
        """Divide the gradients of `optimizer`'s parameters by the scale (before clipping)."""
        if not self._enabled:
            return
        self._check_scaled("unscale_")
        state = self._state(optimizer)
        if state["stage"] == "unscaled":
            raise RuntimeError("GradScaler.unscale_() has already been called on this "
                               "optimizer since the last update()")
        if state["stage"] == "stepped":
            raise RuntimeError("GradScaler.unscale_() is being called after step()")
        grads = [parameter.grad for group in optimizer.param_groups
                 for parameter in group["params"] if parameter.grad is not None]
        if any(grad.dtype == np.float16 for grad in grads):  # (PyTorch's check and message)
            raise ValueError("Attempting to unscale FP16 gradients.")
        found_inf = False
        with no_grad():
            for grad in grads:
                grad.mul_(1.0 / self._scale)
                found_inf |= not bool(np.isfinite(grad._data).all())
        state.update(stage="unscaled", found_inf=found_inf)

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """optimizer.step(...) on unscaled gradients, skipped if any is inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        self._check_scaled("step")
        state = self._state(optimizer)
        if state["stage"] == "stepped":
            raise RuntimeError("GradScaler.step() has already been called since the last "
                               "update()")
        if state["stage"] == "ready":
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = "stepped"
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Back off the scale after an inf/NaN step, grow it after growth_interval clean
        steps (or set it to `new_scale`)."""
        if not self._enabled:
            return
        self._check_scaled("update")
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        elif self._per_optimizer:
            if any(state["found_inf"] for state in self._per_optimizer.values()):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = self._scale * self._growth_factor
                    self._scale = grown if math.isfinite(grown) else self._scale
                    self._growth_tracker = 0
        self._per_optimizer.clear()

    def state_dict(self) -> dict[str, Any]:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("GradScaler.load_state_dict: the state dict is empty (it came "
                               "from a disabled GradScaler)")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])


def _cuda_grad_scaler(init_scale: float = 2.0**16, growth_factor: float = 2.0,
                      backoff_factor: float = 0.5, growth_interval: int = 2000,
                      enabled: bool = True) -> GradScaler:
    """`torch.cuda.amp.GradScaler(...)`: PyTorch's older spelling, for CUDA (deprecated
    there: its FutureWarning)."""
    warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                  "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
    return GradScaler("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                      enabled)


def _cuda_autocast(enabled: bool = True, dtype: Any = None,
                   cache_enabled: bool | None = None) -> autocast:
    """`torch.cuda.amp.autocast(...)`: PyTorch's older spelling, for CUDA (deprecated there:
    its FutureWarning)."""
    warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                  "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
    return autocast("cuda", dtype, enabled, cache_enabled)


def custom_fwd(fwd: Callable[..., Any] | None = None, *, device_type: str,
               cast_inputs: Any = None) -> Any:
    """`torch.amp.custom_fwd`: decorates a custom autograd Function's forward. With
    `cast_inputs`, inside an enabled autocast region of `device_type` its floating-point
    tensor arguments are cast to that dtype (and autocast is off inside), as PyTorch."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    _device_type("custom_fwd", device_type)

    @functools.wraps(fwd)
    def forward(*args: Any, **kwargs: Any) -> Any:
        if cast_inputs is None or not is_autocast_enabled(device_type):
            return fwd(*args, **kwargs)
        cast = [arg.to(cast_inputs) if isinstance(arg, Tensor) and arg.is_floating_point()
                else arg for arg in args]
        with autocast(device_type, enabled=False):
            return fwd(*cast, **kwargs)

    return forward


def custom_bwd(bwd: Callable[..., Any] | None = None, *, device_type: str) -> Any:
    """`torch.amp.custom_bwd`: decorates a custom Function's backward (which runs with the
    forward's autocast state: ops keep their dtypes here, so it runs as written)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    _device_type("custom_bwd", device_type)
    return bwd


def _deprecated_cuda(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """torch.cuda.amp.custom_fwd / custom_bwd: PyTorch's FutureWarning, then the function for
    device_type='cuda'."""
    def deprecated(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`torch.cuda.amp.{name}(args...)` is deprecated. Please use "
                      f"`torch.amp.{name}(args..., device_type='cuda')` instead.",
                      FutureWarning, stacklevel=2)
        return function(*args, device_type="cuda", **kwargs)

    deprecated.__name__ = deprecated.__qualname__ = name
    return deprecated


_cuda_namespace = _module("cuda.amp", GradScaler=_cuda_grad_scaler, autocast=_cuda_autocast,
                          custom_fwd=_deprecated_cuda("custom_fwd", custom_fwd),
                          custom_bwd=_deprecated_cuda("custom_bwd", custom_bwd))
