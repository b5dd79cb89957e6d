"""Small layers PyTorch scripts reach for, each a composition of existing functions:
padding modules (`nn.ZeroPad2d`, `ConstantPad*d`, `ReflectionPad*d`, `ReplicationPad*d`,
`CircularPad*d`: F.pad), `nn.PixelShuffle` / `nn.PixelUnshuffle` (F.pixel_shuffle: a reshape
and a permute), `nn.InstanceNorm1d/2d/3d` (F.instance_norm: group norm with one channel per
group) and `nn.AdaptiveAvgPool1d` / `nn.AdaptiveMaxPool1d` (the 2-D pools on a height of 1).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_np.device import as_device, channels_last
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.function import no_grad
from tinygrad_np.nn import functional as F
from tinygrad_np.nn.conv import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd
from tinygrad_np.nn.module import Module, check_sizes
from tinygrad_np.nn.normalization import _NormBase, register_running_stats
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.tensor import (
    Tensor,
    _node_named,
    int_value,
    refuse_integers,
    tensor_operand,
    to_tensor,
    to_tensor as _tensor,
)


# ----------------------------------------------------------------- padding
class _Pad(Module):
    """The padding layers' shared part (F.pad of the last `dims` axes in `mode`)."""

    dims = 2
    mode = "constant"

    def __init__(self, padding: Any, value: float = 0.0) -> None:
        super().__init__()
        self.padding = (tuple(int(p) for p in padding) if isinstance(padding, (tuple, list))
                        else (int(padding),) * (2 * self.dims))
        if len(self.padding) != 2 * self.dims:
            raise TensorError(f"{type(self).__name__}: padding must be an int or "
                              f"{2 * self.dims} ints, got {padding!r}")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if self.mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_Pad):
    """PyTorch's base of ConstantPad1d/2d/3d (and through them of ZeroPad1d/2d/3d)."""

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ReflectionPadNd(_Pad):
    mode = "reflect"


class _ReplicationPadNd(_Pad):
    mode = "replicate"


class _CircularPadNd(_Pad):
    mode = "circular"

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        """PyTorch's check of the circular pads (a ValueError): (C, ...) or (N, C, ...)."""
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise ValueError(f"expected {self.dims + 1}D or {self.dims + 2}D input (got "
                             f"{input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        return F.pad(input, self.padding, self.mode)


def _constant_init(self: _Pad, padding: Any, value: float) -> None:
    _Pad.__init__(self, padding, value)  # (the value is required, as PyTorch's)


def _padding_init(self: _Pad, padding: Any) -> None:
    _Pad.__init__(self, padding)


def _pad_class(name: str, base: type, dims: int) -> type:
    zero = name.startswith("ZeroPad")
    doc = (f"Pad the last {dims} axes ({'left, right' + (', top, bottom' if dims > 1 else '')}"
           f"{', front, back' if dims > 2 else ''}) in '{base.mode}' mode (F.pad).")
    members = {"dims": dims, "__doc__": doc, "__module__": __name__,
               "__init__": _constant_init if base is _ConstantPadNd else _padding_init}
    if zero:  # a ConstantPad with value 0, and its padding alone in the repr (PyTorch's)
        members["extra_repr"] = _Pad.extra_repr
    return type(name, (base,), members)


ConstantPad1d = _pad_class("ConstantPad1d", _ConstantPadNd, 1)
ConstantPad2d = _pad_class("ConstantPad2d", _ConstantPadNd, 2)
ConstantPad3d = _pad_class("ConstantPad3d", _ConstantPadNd, 3)
ZeroPad1d = _pad_class("ZeroPad1d", ConstantPad1d, 1)
ZeroPad2d = _pad_class("ZeroPad2d", ConstantPad2d, 2)
ZeroPad3d = _pad_class("ZeroPad3d", ConstantPad3d, 3)
ReflectionPad1d = _pad_class("ReflectionPad1d", _ReflectionPadNd, 1)
ReflectionPad2d = _pad_class("ReflectionPad2d", _ReflectionPadNd, 2)
ReflectionPad3d = _pad_class("ReflectionPad3d", _ReflectionPadNd, 3)
ReplicationPad1d = _pad_class("ReplicationPad1d", _ReplicationPadNd, 1)
ReplicationPad2d = _pad_class("ReplicationPad2d", _ReplicationPadNd, 2)
ReplicationPad3d = _pad_class("ReplicationPad3d", _ReplicationPadNd, 3)
CircularPad1d = _pad_class("CircularPad1d", _CircularPadNd, 1)
CircularPad2d = _pad_class("CircularPad2d", _CircularPadNd, 2)
CircularPad3d = _pad_class("CircularPad3d", _CircularPadNd, 3)


# ----------------------------------------------------------------- pixel shuffle
def _at_least_3_dims(name: str, input: Tensor) -> None:  # noqa: A002
    tensor_operand(name, input, "input")
    if input.ndim < 3:
        raise TensorError(f"{name} expects input to have at least 3 dimensions, but got input "
                          f"with {input.ndim} dimension(s)")


def _positive_factor(op: str, name: str, factor: int, shape: tuple) -> None:
    """PyTorch's error for a zero or negative pixel_(un)shuffle factor."""
    if factor <= 0:
        raise TensorError(f"{op} expects a positive {name}, but got {factor} ({op}: input "
                          f"shape {shape})")


@_node_named("PixelShuffleBackward0")
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C r^2, H, W) -> (*, C, H r, W r), as PyTorch (sub-pixel convolution)."""
    _at_least_3_dims("pixel_shuffle", input)
    r = int_value("pixel_shuffle", "upscale_factor", upscale_factor)
    _positive_factor("pixel_shuffle", "upscale_factor", r, input.shape)
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise TensorError(f"pixel_shuffle: the channels ({channels}) must be divisible by the "
                          f"square of upscale_factor ({r * r})")
    n = len(batch)
    x = input.reshape(*batch, channels // (r * r), r, r, height, width)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return pytorch_named(x.reshape(*batch, channels // (r * r), height * r, width * r),
                         "PixelShuffleBackward0")


@_node_named("PixelUnshuffleBackward0")
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    _at_least_3_dims("pixel_unshuffle", input)
    r = int_value("pixel_unshuffle", "downscale_factor", downscale_factor)
    _positive_factor("pixel_unshuffle", "downscale_factor", r, input.shape)
    *batch, channels, height, width = input.shape
    if height % r or width % r:
        raise TensorError(f"pixel_unshuffle: height ({height}) and width ({width}) must be "
                          f"divisible by downscale_factor ({r})")
    n = len(batch)
    x = input.reshape(*batch, channels, height // r, r, width // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return pytorch_named(x.reshape(*batch, channels * r * r, height // r, width // r),
                         "PixelUnshuffleBackward0")


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r) (F.pixel_shuffle)."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """(N, C, *) with the channels of `groups` groups interleaved (ShuffleNet): channel
    g * (C / groups) + i moves to i * groups + g."""
    tensor_operand("channel_shuffle", input, "input")
    channels = input.shape[1] if input.ndim > 1 else 0
    if groups <= 0 or input.ndim < 3 or channels % groups:
        raise TensorError(f"channel_shuffle: expected an input (N, C, *) of 3 or more dims with "
                          f"C divisible by groups ({groups}), got shape {input.shape}")
    batch, rest = input.shape[0], input.shape[2:]
    x = input.reshape(batch, groups, channels // groups, *rest).transpose(1, 2)
    x = x.reshape(batch, channels, *rest)  # C-ordered as PyTorch's (channels_last kept)
    kept = x.ndim == 4 and input.is_contiguous(memory_format=channels_last)
    x = x.contiguous(memory_format=channels_last) if kept else x.contiguous()
    return pytorch_named(x, "ChannelShuffleBackward0")


class ChannelShuffle(Module):
    """Interleave the channels of `groups` groups (F.channel_shuffle)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class PixelUnshuffle(Module):
    """(N, C, H r, W r) -> (N, C r^2, H, W) (F.pixel_unshuffle)."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


# ----------------------------------------------------------------- instance norm
def instance_norm(input: Tensor, running_mean: Any = None, running_var: Any = None,  # noqa: A002
                  weight: Any = None, bias: Any = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial axes (biased variance), then
    scale and shift per channel: group norm with one channel per group.

    With running statistics, as PyTorch: `use_input_stats` normalises with each instance's
    own and moves running_mean / running_var towards the batch average of the instances'
    means and unbiased variances (running = (1 - momentum) running + momentum average);
    otherwise the running statistics normalise.
    """
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither "
                         "be None")
    refuse_integers("instance_norm", _tensor(input))  # (no integer kernel, as PyTorch)
    if not use_input_stats:
        if running_mean is None:
            raise TensorError("Expected running_mean and running_var to be defined when "
                              "use_input_stats is false")
        return F.batch_norm(input, running_mean, running_var, weight, bias, False, 0.0, eps)
    if input.ndim < 3 or math.prod(input.shape[2:]) == 1:  # its variance would be 0
        raise TensorError(f"instance_norm: expected more than 1 spatial element when "
                          f"training, got an input of shape {input.shape}")
    if input.shape[1] == 0:  # no channels: nothing to normalise (an empty view, as PyTorch)
        return input.reshape(input.shape)
    output = pytorch_named(F.group_norm(input, input.shape[1], weight, bias, eps).contiguous(),
                           "ViewBackward0")  # (C-ordered and named as PyTorch's)
    if running_mean is not None:
        channels = input.shape[1]
        for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
            if stat.shape != (channels,):
                raise TensorError(f"instance_norm: {name} should have shape ({channels},) "
                                  f"for an input of shape {input.shape}, got {stat.shape}")
        spatial = tuple(range(2, input.ndim))
        with no_grad():
            mean = input._data.mean(axis=spatial).mean(axis=0)
            var = input._data.var(axis=spatial, ddof=1).mean(axis=0)
            running_mean._copy_array_((1 - momentum) * running_mean._data + momentum * mean)
            running_var._copy_array_((1 - momentum) * running_var._data + momentum * var)
    return output


class _InstanceNorm(_NormBase):
    dims = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        check_sizes(type(self).__name__, num_features=num_features)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._bias = affine and bias
        as_device(device, type(self).__name__)
        dtype = get_default_dtype() if dtype is None else dtype
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if self._bias else None
        register_running_stats(self, num_features, dtype, track_running_stats)

    def _get_no_batch_dim(self) -> int:
        """The rank of an unbatched input, (C, L) or (C, H, W) ... (PyTorch's hook)."""
        return self.dims + 1

    def _check_input_dim(self, input: Tensor) -> None:  # noqa: A002
        """PyTorch's hook for the input's rank: unbatched or batched (forward calls it)."""
        if input.ndim not in (self.dims + 1, self.dims + 2):
            raise TensorError(f"{type(self).__name__}: expected {self.dims + 1}-D or "
                              f"{self.dims + 2}-D input, got shape {input.shape}")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input_dim(input)
        unbatched = input.ndim == self._get_no_batch_dim()  # (C, L) or (C, H, W), as PyTorch
        channel = 0 if unbatched else 1
        if input.shape[channel] != self.num_features:  # PyTorch's error, or its warning
            if self.affine:
                raise ValueError(f"expected input's size at dim={channel} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[channel]}.")
            warnings.warn(f"input's size at dim={channel} does not match num_features. You can "
                          "silence this warning by not passing in num_features, which is not "
                          "used because affine=False", stacklevel=2)
        # As PyTorch: momentum=None leaves the running statistics as they are, and
        # num_batches_tracked (kept for the state dict) stays 0.
        y = instance_norm(input.unsqueeze(0) if unbatched else input, self.running_mean,
                          self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          0.0 if self.momentum is None else self.momentum, self.eps)
        return y.squeeze(0) if unbatched else y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self._bias}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Per-sample, per-channel normalisation of (N, C, L) (F.instance_norm)."""

    dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Per-sample, per-channel normalisation of (N, C, H, W) (F.instance_norm)."""

    dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Per-sample, per-channel normalisation of (N, C, D, H, W) (F.instance_norm)."""

    dims = 3


# ----------------------------------------------------------------- 1-D adaptive pooling
def _length(output_size: Any, function: str) -> int:
    """An int or a 1-tuple (PyTorch takes both); F._ints's errors otherwise."""
    return F._one_int(output_size, "output_size", function)


def _rows(input: Any, function: str) -> Tensor:  # noqa: A002
    """(N, C, L) or (C, L) as a 2-d pool's (N, C, 1, L) or (C, 1, L); another rank is
    PyTorch's RuntimeError, naming the 1-d pool (not the 2-d one it runs as)."""
    x = to_tensor(input)
    if x.ndim not in (2, 3):
        raise TensorError(f"{function}: Expected 2 to 3 dimensions, but got {x.ndim}-dimensional "
                          f"tensor of shape {tuple(x.shape)} for argument #1 'self'")
    return x.unsqueeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size: int) -> Tensor:  # noqa: A002
    """Mean over `output_size` windows covering (N, C, L) or (C, L) as evenly as possible."""
    length = _length(output_size, "adaptive_avg_pool1d")
    return F.adaptive_avg_pool2d(_rows(input, "adaptive_avg_pool1d"), (1, length)).squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: int,  # noqa: A002
                        return_indices: bool = False) -> Any:
    """Max over `output_size` adaptive windows of (N, C, L) or (C, L)."""
    result = F.adaptive_max_pool2d(_rows(input, "adaptive_max_pool1d"),
                                   (1, _length(output_size, "adaptive_max_pool1d")),
                                   return_indices=return_indices)
    if return_indices:
        values, indices = result
        return values.squeeze(-2), indices.squeeze(-2)
    return result.squeeze(-2)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean pooling of (N, C, L) to a fixed length."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, L) to a fixed length."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


# ----------------------------------------------------------------- power-average pooling
def _window_size(kernel_size: Any, count: int) -> int:
    sizes = (kernel_size,) * count if F._int_like(kernel_size) else tuple(kernel_size)
    sizes = sizes * count if len(sizes) == 1 else sizes
    return int(np.prod(sizes))


def _lp_of_means(means: Tensor, norm_type: float, window: int) -> Tensor:
    """(window * mean of x^p)^(1/p): the p-norm of each window; a window summing to 0 (or
    below, for odd p) gives 0 (PyTorch's sign(s) relu(|s|) form, and its gradient there)."""
    return (means.sign() * means.abs().relu() * window) ** (1.0 / norm_type)


def _lp_pool(input: Tensor, norm_type: float, kernel_size: Any, stride: Any,  # noqa: A002
             ceil_mode: bool, dims: int) -> Tensor:
    """The p-norm of each window, (sum of x^p)^(1/p); p = inf is the window's largest |x|
    and p = -inf its smallest (max pooling of |x|, as PyTorch)."""
    if norm_type in (math.inf, -math.inf):
        max_pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[dims - 1]
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool(sign * input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    avg_pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[dims - 1]
    means = avg_pool(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    return _lp_of_means(means, norm_type, _window_size(kernel_size, dims))


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """The p-norm over windows along the last axis of (N, C, L): (sum of x^p)^(1/p);
    norm_type inf: the largest |x| of each window (-inf: the smallest)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """The p-norm over kernel_size windows of (N, C, H, W): (sum of x^p)^(1/p);
    norm_type inf: the largest |x| of each window (-inf: the smallest)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """The p-norm over kernel_size windows of (N, C, D, H, W): (sum of x^p)^(1/p);
    norm_type inf: the largest |x| of each window (-inf: the smallest)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


class _LPPoolNd(Module):
    """PyTorch's base of LPPool1d/2d/3d: the norm and the window settings."""

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size!r}, "
                f"stride={self.stride!r}, ceil_mode={self.ceil_mode}")


class LPPool2d(_LPPoolNd):
    """p-norm pooling over windows of (N, C, H, W); see F.lp_pool2d."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)  # (a float p, as PyTorch's: int input gives float)


class LPPool1d(_LPPoolNd):
    """p-norm pooling over windows along the last axis of (N, C, L); see F.lp_pool1d."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)  # (a float p, as PyTorch's: int input gives float)


class LPPool3d(_LPPoolNd):
    """p-norm pooling over windows of (N, C, D, H, W); see F.lp_pool3d."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                         self.ceil_mode)  # (a float p, as PyTorch's: int input gives float)
