"""Devices, honestly: tinygrad_np computes with NumPy on the CPU and nowhere else.

`tg.device("cpu")`, `device=` on factories, `t.to("cpu")` and `t.device` exist so that
PyTorch scripts run unchanged; asking for any other device ("cuda", "cuda:0", "mps") raises a
RuntimeError that says so. "meta" is accepted and means the CPU (tensors made "on meta" have
their values), so meta-device initialisation patterns run. `tg.cuda.is_available()` and
`tg.backends.mps.is_available()` are False, which is what a PyTorch script checks before
choosing its device.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
import weakref
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from tinygrad_np import torch_version
from tinygrad_np.errors import TensorError


class DeviceUnavailable(RuntimeError, AssertionError):
    """A device other than the CPU: PyTorch without CUDA raises AssertionError ("Torch not
    compiled with CUDA enabled"), other libraries RuntimeError; this class is both."""


def _cpu_only(name: Any, where: str) -> RuntimeError:
    return DeviceUnavailable(
        f"{where}: device {str(name)!r} is not available; tinygrad_np runs on the CPU only "
        "(NumPy), so use 'cpu' (scripts that check torch.cuda.is_available() pick it)"
    )


_KINDS = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "mtia", "hpu")


class device:  # noqa: N801  (PyTorch's name)
    """A device: "cpu" (also "cpu:0" or `device("cpu", 0)`), the only one tensors live on.
    A device object of another kind (`device("cuda")`) can be made, as in PyTorch, but
    putting a tensor on it raises DeviceUnavailable.

    As in PyTorch, `str(d)` is "cpu", `repr(d)` is "device(type='cpu')", `d.type` is "cpu"
    and `d.index` is None unless given; a device equals a device, not a string.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str | int) or isinstance(type, bool):
            raise TypeError(f"device(): expected a str such as 'cpu', an int or a device, got "
                            f"{builtins.type(type).__name__}")
        name = str(type)
        kind, _, number = name.partition(":")
        if kind not in _KINDS:
            raise RuntimeError(f"Expected one of {', '.join(_KINDS)} device type at start of "
                               f"device string: {name}")
        if number and not (number.isdigit() and str(int(number)) == number) or ":" in number:
            raise RuntimeError(f"Invalid device string: {name!r}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        if number:
            if index is not None:
                raise RuntimeError(f"device: type {name!r} already names an index; "
                                   f"do not pass index={index} too")
            index = int(number)
        self.type = kind
        self.index = index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (other.type, other.index) == (self.type, self.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self) -> device:
        """`with torch.device("cpu"):` (PyTorch's default-device block): every tensor is on
        the CPU already, so the block changes nothing ("meta" too: see as_device)."""
        if self.type not in ("cpu", "meta"):
            raise _cpu_only(self, "device")
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


CPU = device("cpu")


def as_device(value: Any, where: str) -> device:
    """`value` (None, "cpu", "cpu:0", a device) as a device; any other device raises, except
    "meta" (PyTorch's shapes-without-data device, used to build a model before loading or
    initialising its weights), which is the CPU here: the tensors have their values."""
    if value is None:
        return CPU
    if isinstance(value, device):
        if value.type not in ("cpu", "meta"):
            raise _cpu_only(value, where)
        return CPU if value.type == "meta" else value
    if isinstance(value, int) and not isinstance(value, bool):  # PyTorch: an int is a GPU index
        raise _cpu_only(f"cuda:{value}", where)
    if isinstance(value, str):
        kind, _, number = value.partition(":")
        if kind in ("cpu", "meta") and (not number or number.isdigit()):
            return CPU if kind == "meta" else device(value)
        raise _cpu_only(value, where)
    if _foreign_device(value):
        return as_device(str(value), where)
    raise TypeError(f"{where}: expected a device such as 'cpu', got {type(value).__name__}")


def check_to_arguments(args: tuple, tensor_type: type) -> list:
    """The non-flag positional arguments of `Tensor.to` / `Module.to`, checked as PyTorch's
    forms: `(dtype)`, `(device[, dtype])` or `(tensor)`, then the flags non_blocking and copy
    (bools); `to(dtype, device)` or two devices are PyTorch's TypeError."""
    given = [arg for arg in args if not isinstance(arg, bool)]
    if len(given) > 2 or len(args) - len(given) > 2 or len(given) == 2 and (
            not is_device(given[0]) or is_device(given[1]) or isinstance(given[1], tensor_type)):
        raise TypeError(f"to() received an invalid combination of arguments - got "
                        f"({', '.join(type(arg).__name__ for arg in args)}); expected "
                        "(dtype), (device, dtype) or (tensor), then non_blocking, copy")
    return given


def _foreign_device(value: Any) -> bool:
    """Another library's device object (PyTorch's own `torch.device`, in a script that uses
    both): named `device` with a str `type`; it stands for the device `str(value)` names."""
    return type(value).__name__ == "device" and isinstance(getattr(value, "type", None), str)


def is_device(value: Any) -> bool:
    """True for a device or a string that names one (as `.to(...)` tells devices from dtypes)."""
    if isinstance(value, device):
        return True
    if isinstance(value, str):
        return value.partition(":")[0] in _KINDS
    return _foreign_device(value)


def set_default_device(device: Any) -> None:
    """Accepts "cpu" (or None); any other device raises, as tinygrad_np has no other."""
    as_device(device, "set_default_device")


def get_default_device() -> device:
    """Always `device("cpu")`."""
    return CPU


def _false() -> bool:
    """Always False: there is no GPU backend."""
    return False


def _zero() -> int:
    """Always 0: there are no GPUs."""
    return 0


def _none() -> None:
    """None: there is no cuDNN."""


def _no_accelerator(check_available: bool = False) -> None:
    """None: there is no accelerator (PyTorch's answer on a CPU-only machine)."""


def _no_op(*args: Any, **kwargs: Any) -> None:
    """Nothing to do without a GPU (seeding, synchronising)."""


def _no_cuda(*args: Any, **kwargs: Any) -> Any:
    raise _cpu_only("cuda", "cuda")


# `tg.cuda` and `tg.backends`: what PyTorch scripts ask before they choose a device.
def _module(name: str, **members: Any) -> ModuleType:
    """A module `tinygrad_np.<name>` holding `members`, importable (`import torch.backends.cudnn
    as cudnn`, `from torch.cuda.amp import autocast`) as well as reachable as an attribute."""
    module = ModuleType(f"tinygrad_np.{name}")
    module.__dict__.update(members)
    sys.modules[module.__name__] = module
    return module


cuda = _module(
    "cuda",
    is_available=_false,
    device_count=_zero,
    manual_seed=_no_op,
    manual_seed_all=_no_op,
    synchronize=_no_op,
    empty_cache=_no_op,
    current_device=_no_cuda,
    get_device_name=_no_cuda,
    is_bf16_supported=_false,
)
backends = _module(
    "backends",
    mps=_module("backends.mps", is_available=_false, is_built=_false),
    cuda=_module("backends.cuda", is_built=_false, matmul=SimpleNamespace(
        allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
        allow_bf16_reduced_precision_reduction=True),
        # the attention-kernel switches: one implementation here, so they change nothing
        **{f"enable_{kind}_sdp": _no_op for kind in ("flash", "mem_efficient", "math", "cudnn")},
        **{f"{kind}_sdp_enabled": (lambda: True) for kind in ("flash", "mem_efficient", "math",
                                                               "cudnn")},
        sdp_kernel=lambda *args, **kwargs: contextlib.nullcontext()),
    cudnn=_module("backends.cudnn", is_available=_false, enabled=True, deterministic=False,
                  benchmark=False, allow_tf32=True, version=_none, benchmark_limit=None,
                  fp32_precision="none", conv=SimpleNamespace(fp32_precision="tf32"),
                  rnn=SimpleNamespace(fp32_precision="tf32")),
    # no oneDNN (mkldnn) tensors and no OpenMP build here: their switches change nothing
    mkldnn=_module("backends.mkldnn", is_available=_false, enabled=True, deterministic=False,
                   allow_tf32=None, fp32_precision="none",
                   **{kind: SimpleNamespace(fp32_precision="none")
                      for kind in ("conv", "matmul", "rnn")}),
    openmp=_module("backends.openmp", is_available=_false),
    # nor MKL, NNPACK, opt_einsum (einsum contracts left to right), MIOpen, cuSPARSELt,
    # KleidiAI; the CPU capability is NumPy's business
    cpu=_module("backends.cpu", get_cpu_capability=lambda: "DEFAULT"),
    mkl=_module("backends.mkl", is_available=_false, VERBOSE_OFF=0, VERBOSE_ON=1),
    nnpack=_module("backends.nnpack", is_available=_false, enabled=False,
                   set_flags=lambda _enabled: (False,)),
    opt_einsum=_module("backends.opt_einsum", is_available=_false, get_opt_einsum=_none,
                       enabled=False, strategy=None),
    miopen=_module("backends.miopen", immediate=False),
    cusparselt=_module("backends.cusparselt", is_available=_false, version=_none,
                       get_max_alg_id=_none),
    kleidiai=_module("backends.kleidiai", is_available=_false),
)


def _flags(module: ModuleType, defaults: dict[str, Any]) -> Any:
    """PyTorch's `backends.<module>.flags(...)`: a context manager that sets the switches
    (PyTorch's defaults for those not given; they change nothing here) and restores them."""
    @contextlib.contextmanager
    def flags(*args: Any, **kwargs: Any) -> Any:
        given = {**defaults, **dict(zip(defaults, args)), **kwargs}
        saved = {name: getattr(module, name, None) for name in given}
        vars(module).update(given)
        try:
            yield
        finally:
            vars(module).update(saved)

    return flags


backends.cudnn.flags = _flags(backends.cudnn, {
    "enabled": False, "benchmark": False, "benchmark_limit": 10, "deterministic": False,
    "allow_tf32": True, "fp32_precision": "none"})
backends.mkldnn.flags = _flags(backends.mkldnn, {
    "enabled": False, "deterministic": False, "allow_tf32": True, "fp32_precision": "none"})
backends.cuda.is_flash_attention_available = _false
backends.nnpack.flags = _flags(backends.nnpack, {"enabled": False})
# torch.version: no CUDA/ROCm build; __version__ is the PyTorch API level followed (see
# torch_version.py), `tinygrad_np` the library's own version
_mha_fastpath = [True]


def _get_fastpath_enabled() -> bool:
    """Whether nn.TransformerEncoder may take PyTorch's fast path (zeros at padded positions
    in eval: see nn/transformer.py); True unless set_fastpath_enabled(False)."""
    return _mha_fastpath[0]


def _set_fastpath_enabled(value: bool) -> None:
    _mha_fastpath[0] = bool(value)


backends.mha = _module("backends.mha", get_fastpath_enabled=_get_fastpath_enabled,
                       set_fastpath_enabled=_set_fastpath_enabled)
version = _module("version", cuda=None, hip=None, rocm=None, xpu=None, debug=False,
                  __version__=torch_version.__version__,
                  tinygrad_np=torch_version.LIBRARY_VERSION)
# torch.accelerator (the tutorials' device choice): none is available here
accelerator = _module("accelerator", is_available=_false, current_accelerator=_no_accelerator,
                      device_count=_zero, current_device_index=_no_cuda,
                      current_device_idx=_no_cuda, set_device_index=_no_cuda,
                      set_device_idx=_no_cuda, synchronize=_no_op, empty_cache=_no_op)
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted, as PyTorch's ('highest', 'high', 'medium'); NumPy computes float32 matmuls
    in float32 whatever it is."""
    if precision not in ("highest", "high", "medium"):
        raise TensorError(f"set_float32_matmul_precision: {precision!r} is not one of "
                          "'highest', 'high', 'medium'")
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    """What `set_float32_matmul_precision` last set ('highest' at first)."""
    return _matmul_precision[0]


class memory_format:  # noqa: N801 (PyTorch's name)
    """PyTorch's memory layouts (`torch.channels_last`, ...), taken wherever PyTorch takes
    `memory_format=` (`contiguous`, `clone`, `to`, `empty`, the `*_like` factories): a
    channels-last tensor is an NHWC (NDHWC) array viewed as NCHW (NCDHW), as PyTorch's."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"


contiguous_format, preserve_format = memory_format("contiguous_format"), memory_format(
    "preserve_format")
channels_last, channels_last_3d = memory_format("channels_last"), memory_format(
    "channels_last_3d")


# channels-last formats: (the rank they need, the dims from outermost to innermost in memory)
_CHANNELS_LAST = {"channels_last": (4, (0, 2, 3, 1)), "channels_last_3d": (5, (0, 2, 3, 4, 1))}


def _channels_last(form: Any, where: str) -> tuple[int, tuple[int, ...]] | None:
    """(rank, dims from outermost to innermost in memory) of a channels-last `form`, None for
    contiguous_format and preserve_format; a TypeError for a value that is no memory format."""
    if form is None or form is contiguous_format or form is preserve_format:
        return None
    if type(form) is not memory_format:
        raise TypeError(f"{where}: memory_format must be a torch.memory_format such as "
                        f"torch.channels_last, got {type(form).__name__} {form!r}")
    return _CHANNELS_LAST[form._name]


def _memory_order(form: Any, ndim: int, where: str) -> tuple[int, ...] | None:
    """The dims of a channels-last `form` from outermost to innermost in memory (None for the
    others); PyTorch's RuntimeError for a tensor of another rank."""
    found = _channels_last(form, where)
    if found is not None and ndim != found[0]:
        raise RuntimeError(f"{where}: required rank {found[0]} tensor to use {form._name} "
                           f"format, got a tensor of {ndim} dimensions")
    return None if found is None else found[1]


def laid_out(array: np.ndarray, form: Any, where: str) -> np.ndarray:
    """A copy of `array` laid out in memory as `form` says: contiguous_format row-major,
    channels_last NHWC (viewed NCHW), preserve_format (None) as `array` when its memory is
    dense without overlaps (as PyTorch's; NumPy's order "K"), else row-major."""
    order = _memory_order(form, array.ndim, where)
    if order is not None:
        return array.transpose(order).copy(order="C").transpose(np.argsort(order))
    dense = form is not contiguous_format and not overlapping(array)
    copy = array.copy(order="K" if dense else "C")
    if id(array) in _PERMUTED:  # (a clone of your permute: not contiguous either)
        user_ordered(copy)
    return copy


def batch_innermost(array: np.ndarray) -> bool:
    """True for an NCHW array stored as a dense (C, H, W, N) block: the order the conv and
    pooling kernels return (ops/conv.py) and elementwise ops keep, where PyTorch's results are
    contiguous. Strides, `is_contiguous()` and random fills treat it as row-major."""
    if array.ndim != 4 or array.shape[0] == 1 or array.flags.c_contiguous:
        return False
    batch, _, height, width = array.shape
    step = batch * array.itemsize
    return array.strides == (array.itemsize, height * width * step, width * step,
                             step) and id(array) not in _PERMUTED


# Arrays in that order that are the user's own (a permute view, from_numpy, empty_strided):
# PyTorch's are not contiguous there. id -> weak reference, dropped when the array dies.
_PERMUTED: dict[int, weakref.ref] = {}


def user_ordered(array: np.ndarray) -> None:
    """Note that `array`, if stored batch innermost, is the user's layout, not a kernel's."""
    if batch_innermost(array):
        key = id(array)
        _PERMUTED[key] = weakref.ref(array, lambda _, key=key: _PERMUTED.pop(key, None))


def overlapping(array: np.ndarray) -> bool:
    """Whether elements of `array` share memory through a 0 stride (an expand)."""
    return any(step == 0 and size > 1 for step, size in zip(array.strides, array.shape))


def is_laid_out(shape: tuple[int, ...], strides: tuple[int, ...], form: Any) -> bool:
    """Whether strides (in elements) are channels-last `form`'s (PyTorch's rule: size-1 dims
    may have any stride; another rank is never channels-last)."""
    rank, order = _channels_last(form, "is_contiguous")
    if len(shape) != rank:
        return False
    expected = 1
    for dim in reversed(order):
        if shape[dim] != 1:
            if strides[dim] != expected:
                return False
            expected *= shape[dim]
    return True


def check_placement(where: str, device: Any, layout: Any = None, pin_memory: Any = False) -> Any:
    """PyTorch's factory keywords about where the memory lives: `device` (as_device), `layout`
    (only torch.strided) and `pin_memory` (False: there is no accelerator to pin for)."""
    if layout is not None and layout is not strided:
        raise RuntimeError(f"{where}: only the dense layout torch.strided is supported, got "
                           f"{layout!r}")
    if pin_memory:
        raise RuntimeError(f"{where}: pin_memory=True requires a CUDA or other accelerator "
                           "backend; no pinned memory allocator is available on this system")
    return as_device(device, where)


class layout(memory_format):  # noqa: N801
    """PyTorch's tensor layouts: every tensor here is dense (`t.layout is torch.strided`)."""


strided, sparse_coo = layout("strided"), layout("sparse_coo")
