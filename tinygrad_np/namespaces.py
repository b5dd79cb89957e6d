"""Small PyTorch modules that ordinary scripts import, as honest shims: `torch.distributed`
(not available: one process, no backend), `torch.multiprocessing` (Python's own),
`torch.cuda`'s memory counters (0, as PyTorch without CUDA), `torch.nn.common_types` and
`torch.types` (type aliases), `torch.utils.hooks` (the module hooks' RemovableHandle),
`torch.utils._pytree` (the pytrees torch.func uses),
`torch._utils` (flattening tensors into one) and
`torch.overrides` (no `__torch_function__` dispatch here).

Each is a module registered in sys.modules, so `import torch.distributed as dist` and
`from torch.utils._pytree import tree_map` work as attribute access does.
"""

from __future__ import annotations

import enum
import multiprocessing as _stdlib_multiprocessing
import os
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

import tinygrad_np
from tinygrad_np import func
from tinygrad_np.device import DeviceUnavailable, _cpu_only, _no_cuda, cuda, device, layout
from tinygrad_np.nn.module import RemovableHandle
from tinygrad_np.tensor import Size, Tensor


def _module(name: str, parent: Any, doc: str, **members: Any) -> types.ModuleType:
    """Module `tinygrad_np.<name>`, importable and an attribute of `parent`."""
    module = types.ModuleType(f"tinygrad_np.{name}", doc)
    module.__dict__.update(members)
    sys.modules[module.__name__] = module
    setattr(parent, name.rpartition(".")[2], module)
    return module


# ---------------------------------------------------------------- torch.distributed
_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


def _uninitialized(*args: Any, **kwargs: Any) -> Any:
    """PyTorch's ValueError when no process group has been initialized (none can be here)."""
    raise ValueError(_NOT_INITIALIZED)


def _init_process_group(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("init_process_group: tinygrad_np has no distributed backend "
                       "(torch.distributed.is_available() is False): it runs in one process")


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


class ReduceOp(enum.Enum):
    """The reduction names collective ops take (none can run here)."""

    SUM, PRODUCT, MIN, MAX, BAND, BOR, BXOR, AVG, PREMUL_SUM = range(9)


_COLLECTIVES = ("get_rank get_world_size get_backend barrier all_reduce all_gather "
                "all_gather_object all_gather_into_tensor reduce reduce_scatter broadcast "
                "broadcast_object_list gather scatter send recv isend irecv new_group "
                "destroy_process_group get_process_group_ranks monitored_barrier").split()
distributed = _module(
    "distributed", tinygrad_np, "torch.distributed: not available (one process, no backend); "
    "is_available() and is_initialized() are False, and the collective ops raise PyTorch's "
    "error for an uninitialized process group.",
    is_available=_false, is_initialized=_false, is_nccl_available=_false,
    is_gloo_available=_false, is_mpi_available=_false, is_ucc_available=_false,
    is_torchelastic_launched=lambda: os.getenv("TORCHELASTIC_RUN_ID") is not None,
    init_process_group=_init_process_group, ReduceOp=ReduceOp,
    **dict.fromkeys(_COLLECTIVES, _uninitialized))

# ---------------------------------------------------------------- torch.multiprocessing
_SHARING = ["file_descriptor"]


def _set_sharing_strategy(strategy: str) -> None:
    if strategy not in ("file_descriptor", "file_system"):
        raise ValueError(f"set_sharing_strategy: unknown strategy {strategy!r}")
    _SHARING[0] = strategy


multiprocessing = _module(
    "multiprocessing", tinygrad_np, "torch.multiprocessing: Python's multiprocessing (tensors "
    "are pickled between processes: no shared memory).",
    **{name: getattr(_stdlib_multiprocessing, name) for name in _stdlib_multiprocessing.__all__},
    get_sharing_strategy=lambda: _SHARING[0], set_sharing_strategy=_set_sharing_strategy,
    get_all_sharing_strategies=lambda: {"file_descriptor", "file_system"})

# ---------------------------------------------------------------- torch.cuda's memory counters


def _no_cuda_function(*args: Any, **kwargs: Any) -> Any:
    """PyTorch without CUDA raises AttributeError here (its CUDA functions are missing)."""
    raise _NoCudaFunction(str(_cpu_only("cuda", "cuda")))


class _NoCudaFunction(DeviceUnavailable, AttributeError):
    """No CUDA: PyTorch's AttributeError for a missing CUDA function (a RuntimeError too)."""


def _zero_bytes(device: Any = None) -> int:
    """0: no CUDA memory is ever allocated (PyTorch's answer without CUDA)."""
    return 0


cuda.__dict__.update(
    memory_allocated=_zero_bytes, max_memory_allocated=_zero_bytes, memory_reserved=_zero_bytes,
    max_memory_reserved=_zero_bytes, memory_cached=_zero_bytes, max_memory_cached=_zero_bytes,
    memory_stats=lambda device=None: {}, is_initialized=_false, get_arch_list=lambda: [],
    reset_peak_memory_stats=_no_cuda_function, reset_max_memory_allocated=_no_cuda_function,
    set_device=_no_cuda_function, get_device_properties=_no_cuda,
    get_device_capability=_no_cuda, mem_get_info=_no_cuda, ipc_collect=_no_cuda,
    current_stream=_no_cuda)

# ---------------------------------------------------------------- type aliases
T = TypeVar("T")
_sizes = {f"_scalar_or_tuple_{n}_t": T | tuple[(T,) * n] for n in range(1, 7)}  # type: ignore
_common = {
    "_scalar_or_tuple_any_t": T | tuple[T, ...], **_sizes,
    "_size_any_t": int | tuple[int, ...],
    **{f"_size_{n}_t": int | tuple[(int,) * n] for n in range(1, 7)},  # type: ignore
    "_size_any_opt_t": int | None | tuple[int | None, ...],
    "_size_2_opt_t": int | None | tuple[int | None, int | None],
    "_size_3_opt_t": int | None | tuple[int | None, int | None, int | None],
    "_ratio_2_t": float | tuple[float, float], "_ratio_3_t": float | tuple[float, float, float],
    "_ratio_any_t": float | tuple[float, ...], "_tensor_list_t": Tensor | tuple[Tensor, ...],
    "_maybe_indices_t": Tensor | tuple[Tensor, Tensor],
}
common_types = _module("nn.common_types", tinygrad_np.nn,
                       "torch.nn.common_types: the layers' argument types.", T=T, **_common)
types_module = _module(
    "types", tinygrad_np, "torch.types: the type aliases of PyTorch's signatures.",
    Number=int | float | bool, _Number=int | float | bool, _int=int, _float=float, _bool=bool,
    _complex=complex, _str=str, _bytes=bytes, _dtype=np.dtype, _device=device,
    _layout=layout, _size=Size | list[int] | tuple[int, ...],
    Device=str | device | int | None, _TensorOrTensors=Tensor | Sequence[Tensor],
    _TensorOrOptionalTensors=Tensor | Sequence[Tensor | None], IntLikeType=int,
    FloatLikeType=float, BoolLikeType=bool, FileLike=str | os.PathLike | Any, Tensor=Tensor,
    Size=Size)

# ---------------------------------------------------------------- torch.utils's small modules
_module("utils.hooks", tinygrad_np.utils, "torch.utils.hooks: RemovableHandle (what the module "
        "hooks return).", RemovableHandle=RemovableHandle)


class TreeSpec:
    """A pytree's structure (tuples, lists, named tuples and dicts; anything else, None too,
    is a leaf, as PyTorch 2.13's): what tree_flatten gives and tree_unflatten takes."""

    def __init__(self, tree: Any) -> None:
        self._spec = func._spec(tree)
        self._tree = func._map(lambda leaf: None, tree)  # the structure, holding no leaves
        self.num_leaves = len(func._leaves(tree))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TreeSpec) and self._spec == other._spec

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TreeSpec({self._spec})"


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """The leaves of `tree` in order, and its structure."""
    return func._leaves(tree), TreeSpec(tree)


def tree_unflatten(leaves: Sequence[Any], treespec: TreeSpec) -> Any:
    """The tree of structure `treespec` holding `leaves`."""
    if len(leaves) != treespec.num_leaves:
        raise ValueError(f"tree_unflatten: treespec {treespec} expects {treespec.num_leaves} "
                         f"leaves, got {len(leaves)}")
    return func._rebuilt(treespec._tree, leaves)


def tree_leaves(tree: Any) -> list:
    """The leaves of `tree`, in order."""
    return tree_flatten(tree)[0]


def tree_structure(tree: Any) -> TreeSpec:
    """The structure of `tree`."""
    return tree_flatten(tree)[1]


def tree_map(function: Callable[..., Any], tree: Any, *rests: Any) -> Any:
    """`tree` with each leaf replaced by function(leaf, *the leaves at that place in rests)."""
    leaves, spec = tree_flatten(tree)
    others = [tree_leaves(rest) for rest in rests]
    if any(len(other) != len(leaves) for other in others):
        raise ValueError("tree_map: the trees have different numbers of leaves")
    return tree_unflatten([function(*values) for values in zip(leaves, *others)], spec)


def tree_map_only(kind: type | tuple[type, ...], function: Callable[[Any], Any],
                  tree: Any) -> Any:
    """`tree` with the leaves that are instances of `kind` mapped by function."""
    return tree_map(lambda leaf: function(leaf) if isinstance(leaf, kind) else leaf, tree)


_module("utils._pytree", tinygrad_np.utils, "torch.utils._pytree: nested tuples, lists and "
        "dicts of leaves.", TreeSpec=TreeSpec, tree_flatten=tree_flatten,
        tree_unflatten=tree_unflatten, tree_leaves=tree_leaves, tree_structure=tree_structure,
        tree_map=tree_map, tree_map_only=tree_map_only)


# ---------------------------------------------------------------- torch._utils, torch.overrides
def _flatten_dense_tensors(tensors: Sequence[Tensor]) -> Tensor:
    """The tensors flattened and concatenated into one 1-D tensor."""
    return tinygrad_np.cat([tensor.reshape(-1) for tensor in tensors])


def _unflatten_dense_tensors(flat: Tensor, tensors: Sequence[Tensor]) -> tuple[Tensor, ...]:
    """`flat` cut into pieces shaped as `tensors` (undoing _flatten_dense_tensors)."""
    pieces, start = [], 0
    for tensor in tensors:
        pieces.append(flat[start:start + tensor.numel()].view(tensor.shape))
        start += tensor.numel()
    return tuple(pieces)


_module("_utils", tinygrad_np, "torch._utils: flattening tensors into one.",
        _flatten_dense_tensors=_flatten_dense_tensors,
        _unflatten_dense_tensors=_unflatten_dense_tensors)


def _is_tensor_like(value: Any) -> bool:
    return isinstance(value, Tensor) or hasattr(type(value), "__torch_function__")


_module("overrides", tinygrad_np, "torch.overrides: there is no __torch_function__ dispatch "
        "here, so nothing has a torch function.",
        has_torch_function=_false, has_torch_function_unary=_false,
        has_torch_function_variadic=_false, is_tensor_like=_is_tensor_like,
        get_ignored_functions=lambda: set(), get_overridable_functions=lambda: {})


# ------------------------------------------- the submodules scripts import names from
# (`from torch.optim.adamw import AdamW`, `from torch.autograd.variable import Variable`, ...)
def _submodule(name: str, doc: str, **members: Any) -> types.ModuleType:
    """Module `tinygrad_np.<name>` in sys.modules only: its parent's attribute of that name
    stays what it is (`torch.nn.utils.weight_norm` is the function, as in PyTorch)."""
    module = types.ModuleType(f"tinygrad_np.{name}", doc)
    module.__dict__.update(members)
    sys.modules[module.__name__] = module
    return module


_nn, _optim, _autograd, _amp = tinygrad_np.nn, tinygrad_np.optim, tinygrad_np.autograd, \
    tinygrad_np.amp
_submodule("nn.utils.weight_norm", "torch.nn.utils.weight_norm.",
           weight_norm=_nn.utils.weight_norm, remove_weight_norm=_nn.utils.remove_weight_norm)
_submodule("nn.utils.spectral_norm", "torch.nn.utils.spectral_norm.",
           spectral_norm=_nn.utils.spectral_norm,
           remove_spectral_norm=_nn.utils.remove_spectral_norm)
_module("optim.adamw", _optim, "torch.optim.adamw.", AdamW=_optim.AdamW)
_module("optim.radam", _optim, "torch.optim.radam.", RAdam=_optim.RAdam)
for _name in ("grad_mode", "anomaly_mode"):  # (autograd_extra's, until now attributes only)
    sys.modules[f"tinygrad_np.autograd.{_name}"] = getattr(_autograd, _name)
_module("autograd.variable", _autograd, "torch.autograd.variable.", Variable=_autograd.Variable)
_module("amp.autocast_mode", _amp, "torch.amp.autocast_mode.", autocast=_amp.autocast,
        custom_fwd=_amp.custom_fwd, custom_bwd=_amp.custom_bwd,
        is_autocast_available=_amp.is_autocast_available)
_module("amp.grad_scaler", _amp, "torch.amp.grad_scaler.", GradScaler=_amp.GradScaler)
_module("nn.modules.adaptive", _nn.modules, "torch.nn.modules.adaptive.",
        AdaptiveLogSoftmaxWithLoss=_nn.AdaptiveLogSoftmaxWithLoss)
_module("nn.modules.channelshuffle", _nn.modules, "torch.nn.modules.channelshuffle.",
        ChannelShuffle=_nn.ChannelShuffle)
