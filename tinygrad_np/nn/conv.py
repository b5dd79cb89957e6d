"""Convolution and pooling layers, as torch.nn's: weights in PyTorch's layout and init, so a
PyTorch state dict loads unchanged. The work is done by tinygrad_np.nn.functional."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.nn import functional as F, init
from tinygrad_np.nn.module import Module, check_sizes
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor


def _tuple(value: Any, count: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * count


def _check_arguments(name: str, transposed: bool, in_channels: int, out_channels: int,
                     stride: tuple, padding: Any, groups: int, padding_mode: str) -> None:
    """PyTorch's checks at construction, with its ValueErrors and words. (A transposed
    conv takes a padding string here and fails in forward with a TypeError, as PyTorch's.)"""
    if transposed and padding_mode != "zeros":
        raise ValueError(f'Only "zeros" padding mode is supported for {name}')
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str) and not transposed:
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             "{'valid', 'same'}")
        if padding == "same" and any(step != 1 for step in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ValueError("padding_mode must be one of {'zeros', 'reflect', 'replicate', "
                         f"'circular'}}, but got padding_mode={padding_mode!r}")


class _ConvNd(Module):
    """Shared by the convolutions: the parameters and PyTorch's default initialisation.

    weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (that is kaiming_uniform_ with a = sqrt(5))
    and bias from the same bound, fan_in = weight.shape[1] * kernel pixels; drawn from the
    library generator, weight first, so `tg.manual_seed` makes them reproducible.
    """

    dims = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        kernel = _tuple(kernel_size, self.dims)
        check_sizes(type(self).__name__, in_channels=in_channels, out_channels=out_channels,
                    **{f"kernel_size[{i}]": k for i, k in enumerate(kernel)})
        _check_arguments(type(self).__name__, self.transposed, in_channels, out_channels,
                         _tuple(stride, self.dims), padding, groups, padding_mode)
        self.padding_mode = padding_mode
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, self.dims)
        self.stride = _tuple(stride, self.dims)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, self.dims)
        self.dilation = _tuple(dilation, self.dims)
        self._reversed_padding_repeated_twice = self._padding_for_pad()
        self.groups = groups
        dtype = get_default_dtype() if dtype is None else dtype
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.output_padding = (0,) * self.dims  # (a transposed conv's own, as PyTorch's)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias anew, in place, from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.layer_uniform_(self.weight, bound, weight=True)
        init.layer_uniform_(self.bias, bound)

    def _padding_for_pad(self) -> Any:
        """F.pad's amounts (last dim first, each dim's two sides) for this padding: what
        PyTorch keeps as `_reversed_padding_repeated_twice` and pads with when padding_mode is
        not zeros; for "same" the extra pixel of an odd total goes on the right."""
        if not isinstance(self.padding, str):
            return tuple(p for p in reversed(self.padding) for _ in range(2))
        totals = [0 if self.padding == "valid" else d * (k - 1)
                  for d, k in zip(self.dilation, self.kernel_size)]
        return [side for total in reversed(totals) for side in (total // 2, total - total // 2)]

    def _convolve(self, conv: Any, input: Tensor, weight: Tensor,  # noqa: A002
                  bias: Tensor | None) -> Tensor:
        """`conv` (F.conv1d/2d/3d) of input with weight and bias and this layer's settings;
        a padding_mode other than zeros pads input itself with F.pad (PyTorch's way)."""
        if self.padding_mode == "zeros":
            return conv(input, weight, bias, self.stride, self.padding, self.dilation,
                        self.groups)
        input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
        return conv(input, weight, bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text + (f", padding_mode={self.padding_mode}" if self.padding_mode != "zeros"
                       else "")


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W): weight (out, in/groups, kh, kw), bias (out,)."""

    def _conv_forward(self, input: Tensor, weight: Tensor,  # noqa: A002
                      bias: Tensor | None) -> Tensor:
        return self._convolve(F.conv2d, input, weight, bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._conv_forward(input, self.weight, self.bias)  # (a subclass may override)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L): weight (out, in/groups, k), bias (out,)."""

    dims = 1

    def _conv_forward(self, input: Tensor, weight: Tensor,  # noqa: A002
                      bias: Tensor | None) -> Tensor:
        return self._convolve(F.conv1d, input, weight, bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._conv_forward(input, self.weight, self.bias)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W): weight (out, in/groups, kd, kh, kw), bias (out,)."""

    dims = 3

    def _conv_forward(self, input: Tensor, weight: Tensor,  # noqa: A002
                      bias: Tensor | None) -> Tensor:
        return self._convolve(F.conv3d, input, weight, bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._conv_forward(input, self.weight, self.bias)


class _ConvTransposeNd(_ConvNd):
    """PyTorch's base of the transposed convolutions: weight (in, out/groups, *kernel) and
    `output_padding` (or, per call, the one that gives `output_size`)."""

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device=device, dtype=dtype)
        self.output_padding = _tuple(output_padding, self.dims)

    def _output_padding(self, input: Tensor, output_size: Any, stride: Any,  # noqa: A002
                        padding: Any, kernel_size: Any, num_spatial_dims: int,
                        dilation: Any = None) -> tuple[int, ...]:
        """`output_padding`, or the one that gives `output_size` (the spatial sizes, or all
        of input's sizes), with PyTorch's arguments and its ValueErrors."""
        if output_size is None:
            return tuple(self.output_padding)
        sizes = [int(size) for size in output_size]
        leading = 2 if input.ndim == num_spatial_dims + 2 else 1  # (N, C) or an unbatched C
        if len(sizes) == leading + num_spatial_dims:
            sizes = sizes[leading:]
        if len(sizes) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.ndim}D input, "
                             f"output_size must have {num_spatial_dims} or "
                             f"{leading + num_spatial_dims} elements (got {len(sizes)})")
        dilation = (1,) * num_spatial_dims if dilation is None else dilation
        spatial = list(input.shape[leading:])
        smallest = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            spatial, stride, padding, dilation, kernel_size)]
        largest = [low + s - 1 for low, s in zip(smallest, stride)]
        if not all(low <= size <= high for size, low, high in zip(sizes, smallest, largest)):
            raise TensorError(f"{type(self).__name__}: requested an output size of {sizes}, "
                              f"but valid sizes range from {smallest} to {largest} (for an "
                              f"input of {spatial})")
        return tuple(size - low for size, low in zip(sizes, smallest))

    def _transposed(self, conv: Any, input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
        padding = self._output_padding(input, output_size, self.stride, self.padding,
                                       self.kernel_size, self.dims, self.dilation)
        return conv(input, self.weight, self.bias, self.stride, self.padding, padding,
                    self.groups, self.dilation)


class _ConvTransposeMixin(_ConvTransposeNd):
    """PyTorch's deprecated internal base, kept for old code (with its warning)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn("_ConvTransposeMixin is a deprecated internal class. Please consider "
                      "using public APIs.", stacklevel=2)
        super().__init__(*args, **kwargs)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution: weight (in, out/groups, kh, kw), as PyTorch."""

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return self._transposed(F.conv_transpose2d, input, output_size)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over (N, C, L): weight (in, out/groups, k), as PyTorch."""

    dims = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return self._transposed(F.conv_transpose1d, input, output_size)


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution over (N, C, D, H, W): weight (in, out/groups, kd, kh, kw)."""

    dims = 3

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return self._transposed(F.conv_transpose3d, input, output_size)


class _MaxPoolNd(Module):
    """PyTorch's base of MaxPool1d/2d/3d: the window settings (stride defaults to
    kernel_size)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size!r}, stride={self.stride!r}, "
                f"padding={self.padding!r}, dilation={self.dilation!r}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over kernel_size windows (stride defaults to kernel_size); see F.max_pool2d."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class MaxPool1d(_MaxPoolNd):
    """Max over windows along the last axis of (N, C, L); see F.max_pool1d."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """Max over (kd, kh, kw) windows of (N, C, D, H, W); see F.max_pool3d."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class _MaxUnpoolNd(Module):
    """PyTorch's base of MaxUnpool1d/2d/3d: the window settings, as `dims`-tuples."""

    dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _tuple(kernel_size, self.dims)
        self.stride = self.kernel_size if stride is None else _tuple(stride, self.dims)
        self.padding = _tuple(padding, self.dims)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size!r}, stride={self.stride!r}, padding={self.padding!r}"


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of MaxPool2d with return_indices=True; see F.max_unpool2d."""

    def forward(self, input: Tensor, indices: Any, output_size: Any = None) -> Tensor:  # noqa: A002
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """The inverse of MaxPool3d with return_indices=True; see F.max_unpool3d."""

    dims = 3

    def forward(self, input: Tensor, indices: Any, output_size: Any = None) -> Tensor:  # noqa: A002
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of MaxPool1d with return_indices=True; see F.max_unpool1d."""

    dims = 1

    def forward(self, input: Tensor, indices: Any, output_size: Any = None) -> Tensor:  # noqa: A002
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)


class _AvgPoolNd(Module):
    """PyTorch's base of AvgPool1d/2d/3d."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size!r}, stride={self.stride!r}, padding={self.padding!r}"


class AvgPool2d(_AvgPoolNd):
    """Mean over kernel_size windows (stride defaults to kernel_size); see F.avg_pool2d."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class AvgPool1d(_AvgPoolNd):
    """Mean over windows along the last axis of (N, C, L); see F.avg_pool1d."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(_tuple(kernel_size, 1), None if stride is None else _tuple(stride, 1),
                         _tuple(padding, 1), ceil_mode, count_include_pad)  # 1-tuples: PyTorch

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool3d(_AvgPoolNd):
    """Mean over (kd, kh, kw) windows of (N, C, D, H, W); see F.avg_pool3d."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptiveAvgPoolNd(Module):
    """PyTorch's base of AdaptiveAvgPool1d/2d/3d: the output size."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size!r}"  # (a Size shows as one, as PyTorch)


class _AdaptiveMaxPoolNd(Module):
    """PyTorch's base of AdaptiveMaxPool1d/2d/3d: the output size and return_indices."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    extra_repr = _AdaptiveAvgPoolNd.extra_repr


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean pooling to a fixed output size (h, w) whatever the input size."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size (h, w) whatever the input size."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Mean pooling to a fixed output size (d, h, w) whatever the input size."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size (d, h, w) whatever the input size."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class Unfold(Module):
    """im2col as a layer: (N, C, H, W) -> (N, C*kh*kw, L); see F.unfold."""

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size!r}, dilation={self.dilation!r}, "
                f"padding={self.padding!r}, stride={self.stride!r}")


class Fold(Module):
    """col2im as a layer: (N, C*kh*kw, L) -> (N, C, *output_size); see F.fold."""

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size!r}, " + Unfold.extra_repr(self)
