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
from collections.abc import Callable, Iterable
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
        self.saved: list[tuple[str, bool, np.dtype, bool]] = []


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
    """True by default, as PyTorch's; an autocast region's cache_enabled inside it (recorded
    only: there is no cast cache here)."""
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
    Accepted and recorded, but ops keep their inputs' dtype (see the module doc). As
    PyTorch's, a CPU region asking for a dtype other than bfloat16 or float16 warns and is
    disabled."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self._cache_enabled = _state.cache if cache_enabled is None else bool(cache_enabled)
        # PyTorch's: the device's autocast dtype when none is given (bfloat16 on the CPU)
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._enabled = _usable("autocast", device_type, enabled)
        if self._enabled and not _cpu_autocast_dtype(self.fast_dtype):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of torch.bfloat16, "
                          "torch.float16 currently.", UserWarning, stacklevel=2)
            self._enabled = False

    def __enter__(self) -> autocast:
        _state.saved.append((self.device, _state.enabled.get(self.device, False),
                             get_autocast_dtype(self.device), _state.cache))  # (per thread)
        _state.enabled[self.device], _state.cache = self._enabled, self._cache_enabled
        if self.fast_dtype is not None:
            _state.dtypes[self.device] = _recorded(self.fast_dtype)
        return self

    def __exit__(self, *exc_info: Any) -> bool:
        device, _state.enabled[device], _state.dtypes[device], _state.cache = _state.saved.pop()
        return False

    def __call__(self, func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(f"autocast()(func) requires a callable, but got "
                            f"{type(func).__name__}. Did you mean to use autocast as a context "
                            "manager? For example:\n    with torch.autocast(device_type=...):\n"
                            "        output = model(input)")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)
        return wrapper


def _cpu_autocast_dtype(dtype: Any) -> bool:
    """Whether a CPU autocast region may name `dtype` (PyTorch's bfloat16 and float16)."""
    if isinstance(dtype, MissingDtype):
        return dtype is bfloat16
    try:
        return np.dtype(dtype) == np.float16
    except TypeError:
        return False


def _float32(value: float) -> float:
    """`value` rounded to float32, as PyTorch keeps a GradScaler's scale (a float32 tensor);
    past float32's range, inf."""
    with np.errstate(over="ignore"):
        return float(np.float32(value))


class GradScaler:
    """PyTorch's loss scaler: `scaler.scale(loss).backward(); scaler.step(opt);
    scaler.update()`. Disabled (every method a pass-through, get_scale() 1.0) when
    `enabled=False` or the device is not the CPU. The scale is held in float32 from the
    first `scale()` on, and grows and backs off in float32, as PyTorch's."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._enabled = _usable("GradScaler", device, enabled)
        if self._enabled and growth_factor <= 1.0:  # PyTorch's checks: asserts
            raise AssertionError("The growth factor must be > 1.0.")
        if self._enabled and backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._device = device
        self._init_scale, self._growth_factor = init_scale, growth_factor
        self._backoff_factor, self._growth_interval = backoff_factor, growth_interval
        self._scale_value: float | None = None  # float32, made by the first scale()
        self._growth_tracker = 0
        # id(optimizer) -> stage, found_inf, checked (whether any gradient was inspected)
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        """The scale (init_scale as given until the first scale(), then float32)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale_value is None else self._scale_value

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        return self._growth_tracker if self._enabled else 0

    def scale(self, outputs: Any) -> Any:
        """The outputs times the scale: a tensor, a list/tuple of them (of the same type), or
        another iterable (a lazy map, as PyTorch's)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale_value is None:
                self._scale_value = _float32(self._init_scale)
            # times a 0-d float32 tensor, as PyTorch's: a 0-d float16 loss scales to float32
            return outputs * Tensor(np.array(self._scale_value, np.float32))
        if isinstance(outputs, Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _check_scaled(self, method: str) -> None:
        if self._scale_value is None:  # PyTorch's assert
            raise AssertionError(f"Attempted {method} but _scale is None.  This may indicate "
                                 "your script did not use scaler.scale(loss or outputs) "
                                 "earlier in the iteration.")

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer.setdefault(
            id(optimizer), {"stage": "ready", "found_inf": False, "checked": False})

    def unscale_(self, optimizer: Any) -> None:
        """Divide the gradients of `optimizer`'s parameters by the scale (before clipping):
        times float32(1 / scale), as PyTorch's kernel, which looks for inf and NaN in the
        gradients as they were."""
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
        scale = self._scale_value  # (a scale backed off to 0, or set to 0: PyTorch's 1/0 = inf)
        inverse = _float32(1.0 / scale) if scale else math.copysign(math.inf, scale)
        found_inf = False
        with no_grad(), np.errstate(invalid="ignore"):  # (0 * an inf inverse: NaN, silently)
            for grad in grads:
                found_inf |= not bool(np.isfinite(grad._data).all())
                if inverse != 1.0:
                    grad.mul_(inverse)
        state.update(stage="unscaled", found_inf=found_inf, checked=bool(grads))

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
        if not state["checked"]:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = "stepped"
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Back off the scale after an inf/NaN step, grow it after growth_interval clean
        steps (in float32; a growth past float32's range is not taken), or set it to
        `new_scale` (a float, or a one-element Tensor not requiring grad)."""
        if not self._enabled:
            return
        self._check_scaled("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError("new_scale should be a float or a 1-element "
                                         "torch.cuda.FloatTensor or torch.FloatTensor with "
                                         "requires_grad=False.")
                if new_scale.dim():  # PyTorch copies it into its 0-d scale
                    raise RuntimeError(f"GradScaler.update: output with shape [] doesn't match "
                                       f"the broadcast shape {list(new_scale.shape)}")
                new_scale = new_scale.item()
            self._scale_value = _float32(new_scale)
        else:
            checked = [state for state in self._per_optimizer.values() if state["checked"]]
            if not checked:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(state["found_inf"] for state in checked):
                self._scale_value = _float32(self._scale_value * self._backoff_factor)
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = _float32(self._scale_value * self._growth_factor)
                self._scale_value = grown if math.isfinite(grown) else self._scale_value
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._per_optimizer.clear()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (or deep-copied) between iterations only, as PyTorch's; the copy makes its
        float32 scale again at its first scale()."""
        state = self.__dict__.copy()
        if self._enabled:
            if self._per_optimizer:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            state["_init_scale"], state["_scale_value"] = self.get_scale(), None
        return state

    def state_dict(self) -> dict[str, Any]:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale_value is not None:
            self._scale_value = _float32(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
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
