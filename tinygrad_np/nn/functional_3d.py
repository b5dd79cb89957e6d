"""3-D convolution and pooling over (N, C, D, H, W), as torch.nn.functional's, composed from
the 2-D functions and Tensor ops: no gradient rule of their own, so backward, create_graph
and gradcheck come with the parts.

- conv3d: for each output depth z, the planes z s + t d (t over the kernel's depth taps)
  are gathered into channels and z goes into the batch; ONE conv2d then does the work.
- conv_transpose3d, its adjoint: ONE conv_transpose2d per input plane whose output channels
  are the (channel, depth tap) pairs; tap t's planes are added at depths z s + t d.
- pooling: a box window is separable. The max (mean) over a (kd, kh, kw) window is the max
  (mean) over kd planes of each plane's (kh, kw) max (mean), so a 2-D pool of every plane
  is followed by a 2-D pool over (kd, 1) windows of (depth, plane position).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.errors import DtypeError, TensorError
from tinygrad_np.join import stack
from tinygrad_np.nn import functional as F
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.shape import IndexAdd
from tinygrad_np.tensor import Tensor, _node_named


def _triple(value: Any, argument: str, function: str) -> tuple[int, int, int]:
    """An int or 3 ints (or one int in a sequence) as (depth, height, width); anything else
    is a TypeError."""
    return F._ints(value, 3, argument, function, "an int or 3 ints")


def _check_fits(function: str, shape: tuple, pads: tuple, kernel: tuple,
                dilation: tuple) -> None:
    """The (dilated) kernel must fit into the padded input: at least one output voxel."""
    padded = [n + before + after for n, (before, after) in zip(shape[2:], pads)]
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(n < s for n, s in zip(padded, span)) or 0 in shape[1:]:
        raise TensorError(
            f"{function}: the input of shape {tuple(shape)}, padded to "
            f"{'x'.join(map(str, padded))}, is smaller than the kernel "
            f"{'x'.join(map(str, kernel))} (dilated: {'x'.join(map(str, span))})")


def _conv_pads(padding: Any, kernel: tuple, dilation: tuple, stride: tuple,
               function: str) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial axis for an int, 3 ints, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise TensorError(f"{function}: padding must be 'valid', 'same', an int or 3 ints, "
                              f"got {padding!r}")
        if padding == "same" and stride != (1, 1, 1):
            raise TensorError(f"{function}: padding='same' is not supported for strided "
                              f"convolutions (stride={stride})")
        # PyTorch's split: the odd voxel of an even-sized (dilated) kernel goes after.
        totals = [d * (k - 1) if padding == "same" else 0 for k, d in zip(kernel, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)
    pads = _triple(padding, "padding", function)
    if min(pads) < 0:
        raise TensorError(f"{function}: padding must be non-negative, got {padding!r}")
    return tuple((p, p) for p in pads)


def _arguments(name: str, input: Any, weight: Any, stride: Any, dilation: Any,  # noqa: A002
               layout: str) -> tuple:
    """The input as a batch (and whether it was one), the 5-D weight, stride and dilation as
    positive triples: the checks conv3d and conv_transpose3d share."""
    x, unbatched = F._batched(input, name, ndim=5)
    weight = F._tensor(weight)
    if weight.ndim != 5:
        raise TensorError(f"{name}: weight must be 5-D ({layout}, kd, kh, kw), got shape "
                          f"{tuple(weight.shape)}")
    stride, dilation = _triple(stride, "stride", name), _triple(dilation, "dilation", name)
    F._check_positive(name, stride=stride, dilation=dilation)
    return x, unbatched, weight, stride, dilation


def _depth_taps_as_channels(x: Tensor, taps: int, stride: int, dilation: int, groups: int,
                            out_depth: int) -> Tensor:
    """(N, C, D, H, W) -> (N Do, C taps, H, W): sample (n, z) holds the planes z s + t d of
    every channel, ordered (group, tap, channel of the group) so conv2d's groups stay apart.
    Laid out batch innermost, the memory order conv2d works in (no copy there)."""
    n, channels, _, height, width = x.shape
    last = (out_depth - 1) * stride + 1
    planes = [x[:, :, t * dilation:t * dilation + last:stride]    # (N, C, Do, H, W)
              .permute(1, 3, 4, 0, 2)                             # (C, H, W, N, Do)
              .reshape(groups, channels // groups, height, width, n, out_depth)
              for t in range(taps)]
    gathered = stack(planes, 1)  # (G, taps, C/G, H, W, N, Do): one copy
    return gathered.reshape(channels * taps, height, width, n * out_depth).permute(3, 0, 1, 2)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation, as torch.nn.functional.conv3d:
    y[n, o, z] = b[o] + sum_{c in o's group, k} W[o, c, k] x[n, c, z s + k d - p].

    input (N, C, D, H, W) or (C, D, H, W); weight (O, C/groups, kd, kh, kw); bias (O,).
    stride, padding and dilation are ints or (d, h, w) triples; padding may also be 'valid'
    or 'same' (stride 1 only). Computed as one conv2d over the depth taps as channels.
    """
    name = "conv3d"
    x, unbatched, weight, stride, dilation = _arguments(name, input, weight, stride, dilation,
                                                        "out, in/groups")
    out_channels, group_channels, *kernel = weight.shape
    F._check_channels(name, x.shape, weight.shape, groups, transposed=False)
    F._check_dtypes(name, x, weight, bias)
    pads = _conv_pads(padding, kernel, dilation, stride, name)
    _check_fits(name, x.shape, pads, kernel, dilation)
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise TensorError(f"{name}: bias must have shape ({out_channels},), got "
                          f"{tuple(bias.shape)}")
    if any(pads[0]):
        x = F.pad(x, (0, 0, 0, 0, *pads[0]))
    out_depth = (x.shape[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    planes = _depth_taps_as_channels(x, kernel[0], stride[0], dilation[0], groups, out_depth)
    # The weight in the same (tap, channel of the group) order: (O, kd C/G, kh, kw).
    flat_weight = weight.permute(0, 2, 1, 3, 4).reshape(out_channels, kernel[0] * group_channels,
                                                        *kernel[1:])
    plane_padding = "same" if padding == "same" else (pads[1][0], pads[2][0])
    y = F.conv2d(planes, flat_weight, bias, stride[1:], plane_padding, dilation[1:], groups)
    y = y.reshape(x.shape[0], out_depth, *y.shape[1:]).permute(0, 2, 1, 3, 4).contiguous()
    return y.squeeze(0) if unbatched else pytorch_named(y, "ConvolutionBackward0")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 3-D convolution (the gradient of conv3d with respect to its input), as
    torch.nn.functional.conv_transpose3d: weight (C, O/groups, kd, kh, kw); output depth
    (D - 1) s - 2 p + d (kd - 1) + output_padding + 1, likewise height and width."""
    name = "conv_transpose3d"
    x, unbatched, weight, stride, dilation = _arguments(name, input, weight, stride, dilation,
                                                        "in, out/groups")
    pads = _triple(padding, "padding", name)
    extra = _triple(output_padding, "output_padding", name)
    in_channels, out_per_group, *kernel = weight.shape
    F._check_channels(name, x.shape, weight.shape, groups, transposed=True)
    F._check_dtypes(name, x, weight, bias)
    if min(*pads, *extra) < 0 or any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise TensorError(f"{name}: padding must be non-negative and output_padding "
                          f"{extra} smaller than either stride {stride} or dilation {dilation}")
    out_channels = out_per_group * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise TensorError(f"{name}: bias must have shape ({out_channels},), got "
                          f"{tuple(bias.shape)}")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in zip(
        x.shape[2:], stride, pads, dilation, kernel, extra))
    if min(size) == 0 and 0 not in x.shape[1:] and F._empty_allowed(x, groups):
        y = F._empty_transposed(x, weight, bias, (x.shape[0], out_channels, *size))
        return y.squeeze(0) if unbatched else y
    if min(size) < 1 or 0 in x.shape[1:]:
        raise TensorError(f"{name}: input of shape {tuple(x.shape)} with weight "
                          f"{tuple(weight.shape)} gives an empty output {size} (Output size "
                          f"is too small)")
    n, _, depth, height, width = x.shape
    planes = x.permute(0, 2, 1, 3, 4).reshape(n * depth, in_channels, height, width)
    # Output channel o * kd + t of the 2-D op is channel o's contribution from depth tap t.
    flat_weight = weight.reshape(in_channels, out_per_group * kernel[0], *kernel[1:])
    spread = F.conv_transpose2d(planes, flat_weight, None, stride[1:], pads[1:], extra[1:],
                                groups, dilation[1:])
    spread = spread.reshape(n, depth, out_channels, kernel[0], *spread.shape[2:])
    full = (n, size[0] + 2 * pads[0], out_channels, *spread.shape[4:])
    y = None
    for t in range(kernel[0]):
        start = t * dilation[0]
        at_depths = (slice(None), slice(start, start + (depth - 1) * stride[0] + 1, stride[0]))
        added = IndexAdd.apply(spread[:, :, :, t], at_depths, full)
        y = added if y is None else y + added
    y = y[:, pads[0]:pads[0] + size[0]].permute(0, 2, 1, 3, 4).contiguous()  # (PyTorch's)
    if bias is not None:
        y = y + bias.reshape(out_channels, 1, 1, 1)
    return y.squeeze(0) if unbatched else pytorch_named(y, "ConvolutionBackward0")


# ----------------------------------------------------------------------------- pooling
def _pool_args(shape: tuple, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               function: str, ceil_mode: bool = False) -> tuple[tuple[int, int, int], ...]:
    """kernel, stride (kernel_size by default), padding and dilation as triples, checked."""
    kernel = _triple(kernel_size, "kernel_size", function)
    stride = kernel if F._no_stride(stride) else _triple(
        stride, "stride", function)
    padding = _triple(padding, "padding", function)
    dilation = _triple(dilation, "dilation", function)
    F._check_positive(function, kernel_size=kernel, stride=stride, dilation=dilation)
    if min(padding) < 0 or any(2 * p > k for p, k in zip(padding, kernel)):
        raise TensorError(f"{function}: padding {padding} must be non-negative and at most half "
                          f"the kernel size {kernel}")
    if not ceil_mode:  # (with ceil_mode a window may run past the end: the 2-D pools check)
        _check_fits(function, shape, tuple((p, p) for p in padding), kernel, dilation)
    return kernel, stride, padding, dilation


def _flat_index(depth_index: Tensor, plane_index: Tensor, shape: tuple,
                plane_starts: Any) -> Tensor:
    """The flat index z H W + h W + w of each maximum in its (D, H, W) volume, from the two
    passes' indices: depth_index = z Ho Wo + position in the pooled plane (N, C, Do, Ho Wo),
    plane_index = h W + w (N, C D, Ho, Wo). A depth window of padding alone (dilation) points
    past the volume, as PyTorch's: its (h, w) is then the plane window's first, from
    `plane_starts()` (h0 W + w0 of each window, (Ho, Wo))."""
    depth, height, width = shape
    n, channels, _, pooled = depth_index.shape
    chosen_depth = depth_index._data // pooled
    outside = (chosen_depth < 0) | (chosen_depth >= depth)
    in_plane = np.take_along_axis(plane_index._data.reshape(n, channels, depth, pooled),
                                  np.clip(chosen_depth, 0, max(depth - 1, 0)), axis=2)
    if outside.any():
        in_plane = np.where(outside, plane_starts().reshape(pooled), in_plane)
    return Tensor((chosen_depth * height * width + in_plane).astype(np.int64))


def _separable(x: Tensor, plane_pool: Any, depth_pool: Any,
               return_indices: bool = False) -> Any:
    """depth_pool(plane_pool(every (h, w) plane) as (N, C, D, Ho Wo)) as (N, C, Do, Ho, Wo),
    and with return_indices the flat index of each maximum in its (D, H, W) volume."""
    n, channels, depth, height, width = x.shape
    planes = plane_pool(x.reshape(n, channels * depth, height, width))
    planes, plane_index = planes if return_indices else (planes, None)
    out_h, out_w = planes.shape[2:]
    y = depth_pool(planes.reshape(n, channels, depth, out_h * out_w))
    y, depth_index = y if return_indices else (y, None)
    out_shape = (n, channels, y.shape[2], out_h, out_w)
    if not return_indices:
        return y.reshape(out_shape)
    flat = Tensor(np.zeros((1, 1, height, width), x.dtype))  # (its first maxima: the starts)
    index = _flat_index(depth_index, plane_index, (depth, height, width),
                        lambda: plane_pool(flat)[1]._data)
    return y.reshape(out_shape), index.reshape(out_shape)


def _unbatch(result: Any, unbatched: bool) -> Any:
    if not unbatched:
        return result
    if isinstance(result, tuple):
        return tuple(part.squeeze(0) for part in result)
    return result.squeeze(0)


@_node_named("MaxPool3DWithIndicesBackward0")
def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False):
    """y[n, c, z, i, j] = max of x over the (kd, kh, kw) window there (padding counts as
    -inf), as torch.nn.functional.max_pool3d; stride defaults to kernel_size. The gradient
    goes to the window's first maximum (depth, then row-major). return_indices=True also
    returns each maximum's flat position z H W + h W + w in its input volume (int64)."""
    name = "max_pool3d"
    x, unbatched = F._batched(input, name, ndim=5)
    kernel, stride, padding, dilation = _pool_args(x.shape, kernel_size, stride, padding,
                                                   dilation, name, ceil_mode)
    result = _separable(
        x,
        lambda planes: F.max_pool2d(planes, kernel[1:], stride[1:], padding[1:], dilation[1:],
                                    ceil_mode, return_indices),
        lambda columns: F.max_pool2d(columns, (kernel[0], 1), (stride[0], 1), (padding[0], 0),
                                     (dilation[0], 1), ceil_mode, return_indices),
        return_indices)
    return _unbatch(result, unbatched)


@_node_named("AvgPool3DBackward0")
def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """y[n, c, z, i, j] = sum of x over the (kd, kh, kw) window / its size, as
    torch.nn.functional.avg_pool3d (zero padding). count_include_pad=True counts padding in
    the size (never the part ceil_mode adds past it), False only real voxels;
    divisor_override fixes the divisor. The size is a product over the axes, so the two
    2-D passes' divisors multiply to it."""
    name = "avg_pool3d"
    x, unbatched = F._batched(input, name, ndim=5)
    if x.dtype == np.int64:  # PyTorch's int64 kernel: the mean truncated toward zero
        return avg_pool3d(input.double(), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override).trunc().long()
    if x.dtype.kind != "f":
        raise DtypeError(f"{name}: input must be a float (or int64) tensor, got {x.dtype.name}")
    if x.dtype == np.float16:  # summed and divided in float32, rounded once, as PyTorch
        return avg_pool3d(input.float(), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override).half()
    if divisor_override is not None and divisor_override == 0:
        raise TensorError(f"{name}: divisor_override must not be zero")
    kernel, stride, padding, _ = _pool_args(x.shape, kernel_size, stride, padding, 1, name)
    if any(size < k for size, k in zip(x.shape[2:], kernel)):  # (padding not counted, and
        # with ceil_mode too: PyTorch's avg_pool3d check, which its 2-D pools do not make)
        raise TensorError(f"{name}: input image (T: {x.shape[2]} H: {x.shape[3]} W: "
                          f"{x.shape[4]}) smaller than kernel size (kT: {kernel[0]} kH: "
                          f"{kernel[1]} kW: {kernel[2]}), input of shape {tuple(input.shape)}")
    plane_divisor = None if divisor_override is None else 1  # a plain sum, then divide once
    y = _separable(
        x,
        lambda planes: F.avg_pool2d(planes, kernel[1:], stride[1:], padding[1:], ceil_mode,
                                    count_include_pad, plane_divisor),
        lambda columns: F.avg_pool2d(columns, (kernel[0], 1), (stride[0], 1), (padding[0], 0),
                                     ceil_mode, count_include_pad, divisor_override))
    return _unbatch(y, unbatched)


def _adaptive_sizes(x: Tensor, output_size: Any, function: str) -> tuple[int, int, int]:
    """output_size as (d, h, w); None keeps that axis's size (F._adaptive_size's checks)."""
    return F._adaptive_size(x, output_size, function, 3)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Mean over output_size (d, h, w) windows that cover the input as evenly as possible
    (window i of an axis: [floor(i n / out), ceil((i + 1) n / out))), as
    torch.nn.functional.adaptive_avg_pool3d; None keeps that axis."""
    name = "adaptive_avg_pool3d"
    x, unbatched = F._batched(input, name, ndim=5)
    if x.dtype == np.float16:  # summed and divided in float32, rounded once, as PyTorch
        return adaptive_avg_pool3d(input.float(), output_size).half()
    sizes = _adaptive_sizes(x, output_size, name)
    if 0 in sizes:
        return F._empty_pool(x, (*x.shape[:2], *sizes), name, unbatched=unbatched)
    y = _separable(x, lambda planes: F.adaptive_avg_pool2d(planes, sizes[1:]),
                   lambda columns: F.adaptive_avg_pool2d(columns, (sizes[0], None)))
    return pytorch_named(_unbatch(y, unbatched), "MeanBackward1" if sizes == (1, 1, 1) and (
        not unbatched) else "AdaptiveAvgPool3DBackward0")  # (PyTorch's, as for 2-D)


@_node_named("AdaptiveMaxPool3DBackward0")  # (PyTorch's, as for 2-D: whatever the sizes)
def adaptive_max_pool3d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False):
    """Max over adaptive (d, h, w) windows (see adaptive_avg_pool3d), as PyTorch; the
    gradient goes to each window's first maximum. return_indices as in max_pool3d."""
    name = "adaptive_max_pool3d"
    x, unbatched = F._batched(input, name, ndim=5)
    sizes = _adaptive_sizes(x, output_size, name)
    if 0 in sizes:
        return F._empty_pool(x, (*x.shape[:2], *sizes), name, return_indices, unbatched)
    result = _separable(
        x, lambda planes: F.adaptive_max_pool2d(planes, sizes[1:], return_indices),
        lambda columns: F.adaptive_max_pool2d(columns, (sizes[0], None), return_indices),
        return_indices)
    return _unbatch(result, unbatched)
