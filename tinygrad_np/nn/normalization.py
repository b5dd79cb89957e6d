"""Normalisation layers: BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, GroupNorm,
LocalResponseNorm (as PyTorch's)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.function import no_grad
from tinygrad_np.nn import functional as F, init
from tinygrad_np.nn.module import Module, check_sizes
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor


class _NormBase(Module):
    """What batch and instance norms share (as PyTorch's _NormBase): state-dict version 2, in
    which num_batches_tracked appeared. A state dict without version 2 in its metadata (older
    PyTorch, or a plain dict) may lack the key: the counter then keeps its value. With
    version 2 it is a missing key, as any other."""

    _version = 2

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """The running statistics reset, weight ones and bias zeros (in place)."""
        self.reset_running_stats()
        init.layer_fill_(self.weight, 1)
        init.layer_fill_(self.bias, 0)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats \
                and key not in state_dict and self.num_batches_tracked is not None:
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


def register_running_stats(module: Module, num_features: int, dtype: Any, track: bool) -> None:
    """The buffers running_mean (zeros), running_var (ones) and num_batches_tracked (int64),
    or None in each when not `track` (batch and instance norms, as PyTorch's)."""
    stats = ((np.zeros(num_features, dtype=dtype), np.ones(num_features, dtype=dtype),
              np.array(0, dtype=np.int64)) if track else (None, None, None))
    for name, value in zip(("running_mean", "running_var", "num_batches_tracked"), stats):
        module.register_buffer(name, None if value is None else Tensor(value))


class _BatchNorm(_NormBase):
    """Batch normalisation over axis 1 (channels); see `F.batch_norm` for the arithmetic.

    Parameters `weight` (ones) and `bias` (zeros) when `affine`; buffers `running_mean`
    (zeros), `running_var` (ones) and `num_batches_tracked` (int64) when
    `track_running_stats`, so the state dict has PyTorch's keys. In training the batch
    statistics normalise and update the running ones (`momentum=None`: their cumulative
    average over the batches seen); in eval the running ones normalise, unless
    `track_running_stats=False`, in which case the batch statistics are always used.
    """

    _expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None, dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        check_sizes(type(self).__name__, num_features=num_features)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = get_default_dtype() if dtype is None else dtype
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None
        register_running_stats(self, num_features, dtype, track_running_stats)

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        """PyTorch's hook for the input's rank (forward calls it, so a subclass overriding
        it accepts other ranks, as in PyTorch); the base class knows none."""
        if not self._expected_dims:
            raise NotImplementedError(f"{type(self).__name__}: _check_input_dim is for the "
                                      f"subclass to define (BatchNorm1d, 2d, 3d do)")
        if input.ndim not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise TensorError(f"{type(self).__name__}: expected {dims} input, got shape "
                              f"{tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # the cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C."""

    _expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) inputs, per channel C."""

    _expected_dims = (5,)


class SyncBatchNorm(_BatchNorm):
    """PyTorch's batch norm synchronised across processes: with one process (the only kind
    here) it is a batch norm of any (N, C, ...) input."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Any = None, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group  # (kept, as PyTorch's; one process here)

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """`module` with each batch norm in it made a SyncBatchNorm (the same parameters and
        buffers; the module's own class changes, as PyTorch replaces its children)."""
        for member in module.modules():
            if isinstance(member, _BatchNorm) and not isinstance(member, SyncBatchNorm):
                member.__class__ = SyncBatchNorm
                member.process_group = process_group
        return module


class LayerNorm(Module):
    """Normalise each sample over its last axes (`normalized_shape`), then x̂ weight + bias.

    `weight` (ones) and `bias` (zeros) have shape `normalized_shape` when
    `elementwise_affine` (`bias=False` leaves out the bias).
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None, dtype: Any = None,
    ) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):  # (NumPy's ints too, as PyTorch)
            normalized_shape = (normalized_shape,)
        check_sizes("LayerNorm", **{f"normalized_shape[{i}]": n for i, n in enumerate(
            normalized_shape)})
        self.normalized_shape = tuple(operator.index(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = get_default_dtype() if dtype is None else dtype
        affine = elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if affine else None
        self.bias = (Parameter(np.zeros(self.normalized_shape, dtype=dtype))
                     if affine and bias else None)

    def reset_parameters(self) -> None:
        """weight ones, bias zeros (in place)."""
        init.layer_fill_(self.weight, 1)
        init.layer_fill_(self.bias, 0)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise groups of channels of each sample: (N, C, ...) with C split into
    `num_groups` groups; per-channel `weight` (ones) and `bias` (zeros) when `affine`."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None, dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        check_sizes("GroupNorm", num_groups=num_groups, num_channels=num_channels)
        if num_groups == 0:  # (PyTorch's `num_channels % num_groups`)
            raise ZeroDivisionError(f"integer modulo by zero (GroupNorm: num_groups is 0, for "
                                    f"{num_channels} channels)")
        if num_channels % num_groups:
            raise TensorError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                              f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        dtype = get_default_dtype() if dtype is None else dtype
        self.weight = Parameter(np.ones(num_channels, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype=dtype)) if affine and bias else None

    def reset_parameters(self) -> None:
        """weight ones, bias zeros (in place)."""
        init.layer_fill_(self.weight, 1)
        init.layer_fill_(self.bias, 0)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """Normalisation over neighbouring channels of (N, C, ...): see F.local_response_norm."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
