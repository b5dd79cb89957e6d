"""Fractional max pooling (Graham, 2014), as PyTorch's `F.fractional_max_pool2d/3d` and
`nn.FractionalMaxPool2d/3d`: windows of `kernel_size` whose starts advance by a non-integer
stride, placed by one random sample in [0, 1) per plane and axis (`_random_samples`, drawn
from tinygrad_np's generator when not given).

The window starts are PyTorch's (computed in the input's dtype): for output i < n_out - 1,
int((i + u) * alpha) - int(u * alpha) with alpha = (n_in - k) / (n_out - 1), and n_in - k
for the last. Each output takes its window's first maximum (a NaN wins, the last one), found
in NumPy; the value is gathered from the input, so the gradient goes to that element (and
accumulates where windows share it), as PyTorch's backward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np.errors import RankError, TensorError
from tinygrad_np.factories import rand
from tinygrad_np.nn.functional_losses import not_differentiable
from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor, to_tensor


def _tuple(value: Any, dims: int, name: str, function: str) -> tuple[Any, ...]:
    if isinstance(value, Sequence):
        if len(value) != dims:
            raise ValueError(f"{function}: {name} must be one value or {dims}, got {value!r}")
        return tuple(value)
    return (value,) * dims


def _starts(samples: np.ndarray, n_in: int, n_out: int, kernel: int) -> np.ndarray:
    """(..., n_out) window starts along one axis, one row per plane's sample."""
    starts = np.full((*samples.shape, n_out), n_in - kernel, dtype=np.int64)
    if n_out > 1:
        alpha = samples.dtype.type(n_in - kernel) / samples.dtype.type(n_out - 1)
        steps = np.arange(n_out - 1, dtype=samples.dtype)
        starts[..., :-1] = ((steps + samples[..., None]) * alpha).astype(np.int64) - (
            samples * alpha).astype(np.int64)[..., None]
    return starts


def _first_max(windows: np.ndarray) -> np.ndarray:
    """Position of each window's (last axis) first maximum, or of its last NaN."""
    nan = np.isnan(windows)
    last_nan = windows.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    first_max = np.argmax(np.where(nan, -np.inf, windows), axis=-1)
    return np.where(nan.any(-1), last_nan, first_max)


def _fractional_max_pool(dims: int, input: Tensor, kernel_size: Any,  # noqa: A002
                         output_size: Any, output_ratio: Any, return_indices: bool,
                         random_samples: Any) -> Any:
    function = f"fractional_max_pool{dims}d"
    x = to_tensor(input)
    if x.ndim not in (dims + 1, dims + 2):
        raise (RankError if x.ndim <= dims else TensorError)(
            f"{function}: expected a {dims + 1}-D or {dims + 2}-D input, got shape {x.shape}")
    unbatched = x.ndim == dims + 1
    for axis in range(1, x.ndim):  # (axis 0 may be empty, batched or not: PyTorch's check)
        if x.shape[axis] == 0:
            raise TensorError(f"{function}(): Expected input to have non-zero size for "
                              f"non-batch dimensions, but got{list(x.shape)} with dimension "
                              f"{axis} being empty.")
    x = x.unsqueeze(0) if unbatched else x
    batch, channels, spatial = x.shape[0], x.shape[1], tuple(x.shape[2:])
    kernel = tuple(int(k) for k in _tuple(kernel_size, dims, "kernel_size", function))
    if output_size is None and output_ratio is None:
        raise ValueError(f"{function} requires specifying either an output_size or an "
                         f"output_ratio")
    if output_size is None:
        ratios = _tuple(output_ratio, dims, "output_ratio", function)
        output_size = [int(n * r) for n, r in zip(spatial, ratios)]
    sizes = tuple(int(n) for n in _tuple(output_size, dims, "output_size", function))
    for n_in, n_out, k in zip(spatial, sizes, kernel):  # (PyTorch's 3-D check is strict)
        if n_out + k - 1 > n_in - (dims == 3) or n_out < 1 or k < 1:
            raise RuntimeError(f"{function}: output size {sizes} with kernel {kernel} does "
                               f"not fit the input's spatial size {spatial}")
    not_differentiable(function, "random_samples", random_samples)  # (PyTorch's error)
    if random_samples is None:
        random_samples = rand(batch, channels, dims, dtype=x.dtype)
    samples = np.asarray(to_tensor(random_samples)._data, dtype=x.dtype)
    if samples.shape != (batch, channels, dims):
        raise RuntimeError(f"{function}: expected _random_samples of shape "
                           f"({batch}, {channels}, {dims}), got {samples.shape}")
    order = (1, 0) if dims == 2 else (0, 1, 2)  # PyTorch's samples: (W, H) or (T, H, W)
    flat_index = np.zeros((batch, channels) + (1,) * (2 * dims), dtype=np.int64)
    for axis in range(dims):
        starts = _starts(samples[..., order[axis]], spatial[axis], sizes[axis], kernel[axis])
        positions = starts[..., None] + np.arange(kernel[axis])  # (N, C, out, k)
        shape = [batch, channels] + [1] * (2 * dims)
        shape[2 + axis], shape[2 + dims + axis] = sizes[axis], kernel[axis]
        flat_index = flat_index * spatial[axis] + positions.reshape(shape)
    windows_shape = (batch, channels, int(np.prod(sizes)), int(np.prod(kernel)))
    flat_index = flat_index.reshape(windows_shape)  # (sizes, not -1: there may be no planes)
    planes = x.reshape(batch, channels, int(np.prod(spatial)))
    windows = np.take_along_axis(planes._data, flat_index.reshape(
        batch, channels, windows_shape[2] * windows_shape[3]), 2)
    best = _first_max(windows.reshape(flat_index.shape))
    indices = np.take_along_axis(flat_index, best[..., None], -1)[..., 0]
    output = planes._gather(2, indices).reshape(batch, channels, *sizes)
    indices = indices.reshape(batch, channels, *sizes)
    if unbatched:
        output, indices = output.squeeze(0), indices[0]
    return (output, Tensor(indices)) if return_indices else output


def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """Fractional max pooling of (N, C, H, W) or (C, H, W) to `output_size` (or `output_ratio`
    of the input's size) with windows `kernel_size`; `_random_samples` (N, C, 2) places them
    (PyTorch's order: the W sample, then the H one). With return_indices, also the flat
    H * W index of each maximum."""
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Any = None) -> Any:
    """Fractional max pooling of (N, C, T, H, W) or (C, T, H, W); `_random_samples`
    (N, C, 3) in the order T, H, W. See fractional_max_pool2d."""
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any,  # noqa: A002
                                       output_size: Any = None, output_ratio: Any = None,
                                       return_indices: bool = False,
                                       _random_samples: Any = None) -> tuple[Tensor, Tensor]:
    """`fractional_max_pool2d(..., return_indices=True)`: (values, indices)."""
    return _fractional_max_pool(2, input, kernel_size, output_size, output_ratio, True,
                                _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any,  # noqa: A002
                                       output_size: Any = None, output_ratio: Any = None,
                                       return_indices: bool = False,
                                       _random_samples: Any = None) -> tuple[Tensor, Tensor]:
    """`fractional_max_pool3d(..., return_indices=True)`: (values, indices)."""
    return _fractional_max_pool(3, input, kernel_size, output_size, output_ratio, True,
                                _random_samples)


class _FractionalMaxPoolNd(Module):
    dims = 2

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Any = None) -> None:
        super().__init__()
        name, dims = type(self).__name__, self.dims
        self.kernel_size = _tuple(kernel_size, dims, "kernel_size", name)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", None if _random_samples is None
                             else to_tensor(_random_samples))
        self.output_size = None if output_size is None else _tuple(output_size, dims,
                                                                   "output_size", name)
        self.output_ratio = None if output_ratio is None else _tuple(output_ratio, dims,
                                                                     "output_ratio", name)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             f"ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return _fractional_max_pool(self.dims, input, self.kernel_size, self.output_size,
                                    self.output_ratio, self.return_indices,
                                    self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """The module form of F.fractional_max_pool2d (PyTorch's arguments)."""

    dims = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """The module form of F.fractional_max_pool3d (PyTorch's arguments)."""

    dims = 3
