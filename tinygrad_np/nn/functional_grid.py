"""`F.affine_grid` and `F.grid_sample` for 4-D inputs, as PyTorch's (the spatial transformer
tutorial's pair). Re-exported by F.

Both are composed from Tensor ops, so the engine gives the gradients: with respect to theta
(a matmul), the input (the sampled pixels are gathered by indexing, and repeated pixels
accumulate) and the grid (through the bilinear weights; the corners' integer positions are
constants, as in PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError
from tinygrad_np.factories import linspace  # PyTorch's to the bit, as its affine_grid uses
from tinygrad_np.tensor import Tensor

_MODES = ("bilinear", "nearest")
_PADDINGS = ("zeros", "border", "reflection")


def _base_axis(steps: int, align_corners: bool, dtype: Any) -> np.ndarray:
    """Pixel centres in [-1, 1]: the corners' centres with align_corners, else the edges."""
    if steps == 1:
        return np.zeros(1, dtype=dtype)
    axis = linspace(-1.0, 1.0, steps, dtype=dtype)._data
    return axis if align_corners else axis * axis.dtype.type(steps - 1) / axis.dtype.type(steps)


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid (N, H, W, 2) of the affine maps theta (N, 2, 3) for an output of
    size (N, C, H, W): grid[n, i, j] = theta[n] @ (x_j, y_i, 1), x and y in [-1, 1]."""
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid: expected theta as a Tensor, got {type(theta).__name__}")
    size = tuple(int(s) for s in size)
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid: only 4-D sizes (N, C, H, W) are supported, "
                                  f"got {size}")
    if theta.dtype.kind != "f" or tuple(theta.shape) != (size[0], 2, 3):
        raise TensorError(f"affine_grid: expected a floating-point theta of shape "
                          f"({size[0]}, 2, 3) for size {size}, got {theta.dtype} of shape "
                          f"{tuple(theta.shape)}")
    height, width = size[2], size[3]
    base = np.ones((height, width, 3), dtype=theta.dtype)
    base[..., 0] = _base_axis(width, bool(align_corners), theta.dtype)[None, :]
    base[..., 1] = _base_axis(height, bool(align_corners), theta.dtype)[:, None]
    grid = Tensor(base.reshape(1, height * width, 3)) @ theta.transpose(1, 2)
    return grid.reshape(size[0], height, width, 2)


def _unnormalize(coord: Tensor, steps: int, align_corners: bool) -> Tensor:
    """[-1, 1] to pixel positions: corners' centres (align_corners) or edges to 0..steps-1."""
    if align_corners:
        return (coord + 1) * ((steps - 1) / 2)
    return ((coord + 1) * steps - 1) / 2


def _reflect(coord: Tensor, low: float, high: float) -> Tensor:
    """coord reflected into [low, high] (folded back at each edge, as often as needed)."""
    span = high - low
    if span <= 0:
        return coord * 0 + low
    distance = (coord - low).abs()
    flips = np.floor(distance._data / span)
    extra = distance - flips * span
    return extra.where(Tensor(flips % 2 == 0), span - extra) + low


def _source(coord: Tensor, steps: int, padding_mode: str, align_corners: bool) -> Tensor:
    position = _unnormalize(coord, steps, align_corners)
    if padding_mode == "reflection":
        position = (_reflect(position, 0.0, steps - 1.0) if align_corners
                    else _reflect(position, -0.5, steps - 0.5))
    if padding_mode in ("border", "reflection"):
        position = position.clamp(0, steps - 1)
    return position


@xp.quiet  # an inf or NaN coordinate samples NaN, silently, as PyTorch
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",  # noqa: A002
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample input (N, C, H, W) at grid (N, H_out, W_out, 2) positions ((x, y) in [-1, 1])
    into (N, C, H_out, W_out): mode 'bilinear' or 'nearest'; padding_mode 'zeros' (outside
    pixels are 0), 'border' or 'reflection'; align_corners as PyTorch (default False)."""
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError("grid_sample: expected the input and the grid as Tensors")
    if mode not in _MODES:
        raise (NotImplementedError if mode == "bicubic" else ValueError)(
            f"grid_sample: mode {mode!r} is not supported (use 'bilinear' or 'nearest')")
    if padding_mode not in _PADDINGS:
        raise TensorError(f"grid_sample: padding_mode must be one of {_PADDINGS}, got "
                          f"{padding_mode!r}")
    if input.ndim != 4:
        raise NotImplementedError(f"grid_sample: only 4-D inputs (N, C, H, W) are supported, "
                                  f"got shape {tuple(input.shape)}")
    n, _, height, width = input.shape
    if grid.ndim != 4 or grid.shape[0] != n or grid.shape[3] != 2:
        raise RuntimeError(f"grid_sample: expected a grid of shape ({n}, H_out, W_out, 2) "
                           f"for an input of shape {tuple(input.shape)}, got "
                           f"{tuple(grid.shape)}")
    corners = bool(align_corners)
    x = _source(grid[..., 0], width, padding_mode, corners)
    y = _source(grid[..., 1], height, padding_mode, corners)
    pixels = input.permute(0, 2, 3, 1)  # (N, H, W, C): a gather gives (N, H_out, W_out, C)
    batch = np.arange(n).reshape(n, 1, 1)

    def gather(xi: np.ndarray, yi: np.ndarray) -> Tensor:
        inside = (xi >= 0) & (xi < width) & (yi >= 0) & (yi < height)
        values = pixels[batch, np.clip(yi, 0, height - 1), np.clip(xi, 0, width - 1)]
        return values if inside.all() else values * Tensor(inside[..., None].astype(
            input.dtype))

    if mode == "nearest":  # round half to even, as PyTorch's nearbyint
        output = gather(np.rint(x._data).astype(np.int64), np.rint(y._data).astype(np.int64))
    else:
        x0, y0 = np.floor(x._data), np.floor(y._data)
        wx1, wy1 = (x - Tensor(x0)).unsqueeze(-1), (y - Tensor(y0)).unsqueeze(-1)
        wx0, wy0 = 1 - wx1, 1 - wy1
        x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
        output = (gather(x0, y0) * (wx0 * wy0) + gather(x0 + 1, y0) * (wx1 * wy0)
                  + gather(x0, y0 + 1) * (wx0 * wy1) + gather(x0 + 1, y0 + 1) * (wx1 * wy1))
    return output.permute(0, 3, 1, 2)
