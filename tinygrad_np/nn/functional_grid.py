"""`F.affine_grid` and `F.grid_sample` for 4-D (N, C, H, W) and 5-D (N, C, D, H, W) inputs, as
PyTorch's (the spatial transformer tutorial's pair). Re-exported by F.

Both are composed from Tensor ops, so the engine gives the gradients: with respect to theta
(a matmul), the input (the sampled pixels are gathered by indexing, and repeated pixels
accumulate) and the grid (through the bilinear or bicubic weights; the corners' integer
positions are constants, as in PyTorch). As PyTorch's, the 'border' and 'reflection' clip
passes no gradient to a coordinate on or past the clip point, and 'nearest' gives the grid
a zero gradient.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError
from tinygrad_np.factories import linspace  # PyTorch's to the bit, as its affine_grid uses
from tinygrad_np.tensor import Tensor

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_CUBIC_A = -0.75  # PyTorch's cubic convolution coefficient (as in F.interpolate)


def _corners(align_corners: bool | None) -> bool:
    """align_corners, False when left out (None) with PyTorch's warning about the default."""
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                      "align_corners=False since 1.3.0. Please specify align_corners=True if "
                      "the old behavior is desired. See the documentation of grid_sample for "
                      "details.", UserWarning, stacklevel=3)
    return bool(align_corners)


def _base_axis(steps: int, align_corners: bool, dtype: Any) -> np.ndarray:
    """Pixel centres in [-1, 1]: the corners' centres with align_corners, else the edges."""
    if steps == 1:
        return np.zeros(1, dtype=dtype)
    axis = linspace(-1.0, 1.0, steps, dtype=dtype)._data
    return axis if align_corners else axis * axis.dtype.type(steps - 1) / axis.dtype.type(steps)


def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of the affine maps theta for an output of `size`: (N, H, W, 2) from
    theta (N, 2, 3) and size (N, C, H, W), grid[n, i, j] = theta[n] @ (x_j, y_i, 1); or
    (N, D, H, W, 3) from theta (N, 3, 4) and size (N, C, D, H, W). x, y, z in [-1, 1]."""
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid: expected theta as a Tensor, got {type(theta).__name__}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid: only 4-D sizes (N, C, H, W) and 5-D sizes "
                                  f"(N, C, D, H, W) are supported, got {size}")
    if min(size) <= 0:
        raise TensorError(f"Expected non-zero, positive output size. Got {list(size)} "
                          f"(affine_grid: theta of shape {tuple(theta.shape)})")
    spatial = len(size) - 2
    if theta.dtype.kind != "f" or tuple(theta.shape) != (size[0], spatial, spatial + 1):
        raise TensorError(f"affine_grid: expected a floating-point theta of shape "
                          f"({size[0]}, {spatial}, {spatial + 1}) for size {size}, got "
                          f"{theta.dtype.name} of shape {tuple(theta.shape)}")
    align_corners = _corners(align_corners)
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      UserWarning, stacklevel=2)
    steps = size[:1:-1]  # (W, H) or (W, H, D): the grid's x, y (, z) order
    base = np.ones((*size[2:], spatial + 1), dtype=theta.dtype)
    for k, n in enumerate(steps):
        shape = [1] * spatial
        shape[spatial - 1 - k] = n
        base[..., k] = _base_axis(n, bool(align_corners), theta.dtype).reshape(shape)
    grid = Tensor(base.reshape(1, -1, spatial + 1)) @ theta.transpose(1, 2)
    return grid.reshape(*size[:1], *size[2:], spatial)


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
    return extra.where(flips % 2 == 0, span - extra) + low


def _clip(position: Tensor, steps: int) -> Tensor:
    """position limited to [0, steps - 1], with no gradient on or past either bound (as
    PyTorch's clip_coordinates_set_grad; Tensor.clamp would pass one there)."""
    data = position._data
    inside = (data > 0) & (data < steps - 1)
    if inside.all():
        return position
    return position.where(inside, Tensor(np.clip(data, 0, steps - 1)))


def _pad(position: Tensor, steps: int, padding_mode: str, align_corners: bool) -> Tensor:
    """A pixel position moved inside by the padding mode (left as it is for 'zeros')."""
    if padding_mode == "reflection":
        position = (_reflect(position, 0.0, steps - 1.0) if align_corners
                    else _reflect(position, -0.5, steps - 0.5))
    return position if padding_mode == "zeros" else _clip(position, steps)


def _cubic_weights(t: Tensor) -> list[Tensor]:
    """The cubic-convolution weights of the four neighbours at offsets -1, 0, 1, 2 from
    floor(x), t = x - floor(x) (a tensor, so the grid gets their gradients)."""
    a = _CUBIC_A
    near = lambda d: ((d * (a + 2) - (a + 3)) * d * d) + 1  # noqa: E731 (|d| <= 1)
    far = lambda d: ((d * a - 5 * a) * d + 8 * a) * d - 4 * a  # noqa: E731 (1 < |d| < 2)
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _check(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:  # noqa: A002
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError("grid_sample: expected the input and the grid as Tensors")
    if mode not in _MODES:
        raise ValueError(f"grid_sample: mode must be one of {_MODES}, got {mode!r}")
    if padding_mode not in _PADDINGS:
        raise TensorError(f"grid_sample: padding_mode must be one of {_PADDINGS}, got "
                          f"{padding_mode!r}")
    if input.ndim not in (4, 5):
        raise NotImplementedError(f"grid_sample: only 4-D inputs (N, C, H, W) and 5-D inputs "
                                  f"(N, C, D, H, W) are supported, got shape "
                                  f"{tuple(input.shape)}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError(f"grid_sample: mode 'bicubic' only supports 4-D input, got shape "
                           f"{tuple(input.shape)}")
    spatial = input.ndim - 2
    if grid.ndim != input.ndim or grid.shape[0] != input.shape[0] or grid.shape[-1] != spatial:
        outs = ("D_out, " if spatial == 3 else "") + "H_out, W_out"
        raise RuntimeError(f"grid_sample: expected a grid of shape ({input.shape[0]}, {outs}, "
                           f"{spatial}) for an input of shape {tuple(input.shape)}, got "
                           f"{tuple(grid.shape)}")


@xp.quiet  # an inf or NaN coordinate samples NaN, silently, as PyTorch
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",  # noqa: A002
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample input (N, C, H, W) at grid (N, H_out, W_out, 2) positions ((x, y) in [-1, 1])
    into (N, C, H_out, W_out), or input (N, C, D, H, W) at grid (N, D_out, H_out, W_out, 3)
    ((x, y, z)) into (N, C, D_out, H_out, W_out): mode 'bilinear' (trilinear for 5-D),
    'nearest' or 'bicubic' (4-D); padding_mode 'zeros' (outside pixels are 0), 'border' or
    'reflection'; align_corners as PyTorch (default False)."""
    _check(input, grid, mode, padding_mode)
    corners = _corners(align_corners)
    steps = input.shape[:1:-1]  # the sizes along x, y (, z): W, H (, D)
    pixels = input.movedim(1, -1)  # (N, [D,] H, W, C): a gather gives (N, *grid[1:-1], C)
    batch = np.arange(input.shape[0]).reshape((-1,) + (1,) * (grid.ndim - 2))

    def gather(index: list[np.ndarray]) -> Tensor:  # index in x, y (, z) order
        inside = np.logical_and.reduce([(i >= 0) & (i < n) for i, n in zip(index, steps)])
        where = tuple(np.clip(i, 0, n - 1) for i, n in zip(index, steps))[::-1]
        values = pixels[(batch, *where)]
        # masked by where (not by a product): a NaN weight must not reach a pixel's gradient
        return values if inside.all() else values.where(inside[..., None], 0.0)

    position = [_unnormalize(grid[..., k], n, corners) for k, n in enumerate(steps)]
    if mode == "bicubic":  # the 4 x 4 neighbours, each moved inside by the padding mode
        base = [np.floor(p._data) for p in position]
        weights = [_cubic_weights(p - Tensor(b)) for p, b in zip(position, base)]
        output: Tensor | None = None
        for i, j in itertools.product(range(4), range(4)):
            index = [_pad(Tensor(b + k - 1), n, padding_mode, corners)._data.astype(np.int64)
                     for b, k, n in zip(base, (i, j), steps)]
            term = gather(index) * (
                weights[0][i] * weights[1][j]).unsqueeze(-1)
            output = term if output is None else output + term
        return output.movedim(-1, 1)
    position = [_pad(p, n, padding_mode, corners) for p, n in zip(position, steps)]
    if mode == "nearest":  # round half to even, as PyTorch's nearbyint
        output = gather([np.rint(p._data).astype(np.int64) for p in position])
        if grid.requires_grad:  # PyTorch's grid gradient: zeros, not None, and (squared
            # zeros of the grid) a function of the grid, so a double backward reaches it
            output = output + grid[..., :1].where(np.zeros(1, bool), 0.0) ** 2
        return output.movedim(-1, 1)
    low = [np.floor(p._data) for p in position]
    upper = [(p - Tensor(b)).unsqueeze(-1) for p, b in zip(position, low)]
    low = [b.astype(np.int64) for b in low]
    output = None
    for corner in itertools.product((0, 1), repeat=len(steps)):
        weight = None
        for k, up in enumerate(corner):
            w = upper[k] if up else 1 - upper[k]
            weight = w if weight is None else weight * w
        term = gather([b + up for b, up in zip(low, corner)]) * weight
        output = term if output is None else output + term
    return output.movedim(-1, 1)
