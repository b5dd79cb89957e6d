"""PyTorch's private `torch.utils._foreach_utils`, for code copied from its source (its
`swa_utils`, clipping and optimizers import these): every tensor here is on the CPU, and the
foreach paths run the same arithmetic as the single-tensor ones."""

from __future__ import annotations

from typing import Any

from tinygrad_np.optim.optimizer import Optimizer
from tinygrad_np.tensor import Tensor

TensorListList = list[list[Any]]
Indices = list[int]
_foreach_supported_types = [Tensor]


def _get_foreach_kernels_supported_devices() -> list[str]:
    """The device types PyTorch has foreach kernels for (the CPU is not among them)."""
    return ["cuda", "xpu", "mtia", "privateuseone"]


def _get_fused_kernels_supported_devices() -> list[str]:
    """The device types PyTorch has fused optimizer kernels for (the CPU among them)."""
    return ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]


_group_tensors_by_device_and_dtype = Optimizer._group_tensors_by_device_and_dtype


def _device_has_foreach_support(device: Any) -> bool:
    """True for the CPU, as PyTorch's answer (its foreach ops run there, one by one)."""
    kind = getattr(device, "type", device)
    return kind in (*_get_foreach_kernels_supported_devices(), "cpu")


def _has_foreach_support(tensors: list[Any], device: Any) -> bool:
    """Whether a list of tensors (None allowed) can take the foreach path on `device`."""
    return _device_has_foreach_support(device) and all(
        t is None or type(t) in _foreach_supported_types for t in tensors)
