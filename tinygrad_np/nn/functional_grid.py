"""`F.affine_grid` and `F.grid_sample` for 4-D (N, C, H, W) and 5-D (N, C, D, H, W) inputs, as
PyTorch's (the spatial transformer tutorial's pair). Re-exported by F.

The engine gives the gradients: with respect to theta (a matmul), the input (the corners'
pixels are read and their weighted sum taken by one op, ops.sample.CornerSum, whose
backward adds each corner's share back, repeated pixels accumulating) and the grid (through
the bilinear or bicubic weights, Tensor ops; the corners' integer positions are constants,
as in PyTorch). As PyTorch's, the 'border' and 'reflection' clip
passes no gradient to a coordinate on or past the clip point, and 'nearest' gives the grid
a zero gradient.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import RankError, TensorError
from tinygrad_np.factories import linspace  # PyTorch's to the bit, as its affine_grid uses
from tinygrad_np.join import stack
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.sample import CornerSum
from tinygrad_np.tensor import Tensor, _node_named

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


@_node_named("AffineGridGeneratorBackward0")
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
    grid = base.reshape(1, -1, spatial + 1) @ theta.transpose(1, 2)  # (an array: no
    # tensor's version to keep, so a second backward() works, as PyTorch's)
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
    if input.ndim == 0 or grid.ndim == 0:  # (PyTorch indexes their dim 0 first: IndexError)
        raise RankError(f"grid_sample: Dimension out of range: input {tuple(input.shape)} and "
                        f"grid {tuple(grid.shape)} must not be 0-d")
    if input.ndim not in (4, 5):  # (PyTorch's RuntimeError)
        raise TensorError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                          f"of dimensions (grid_sample: inputs (N, C, H, W) or (N, C, D, H, W)), "
                          f"but got input with sizes {list(input.shape)} and grid with sizes "
                          f"{list(grid.shape)}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError(f"grid_sample: mode 'bicubic' only supports 4-D input, got shape "
                           f"{tuple(input.shape)}")
    if input.dtype != grid.dtype and input.dtype.kind == "f":  # (as PyTorch: no promotion)
        raise TensorError(f"expected scalar type {input.dtype.name} but found {grid.dtype.name} "
                          f"(grid_sample: the grid must have the input's dtype, got input "
                          f"{tuple(input.shape)} {input.dtype.name} and grid "
                          f"{tuple(grid.shape)} {grid.dtype.name})")
    spatial = input.ndim - 2
    if grid.ndim != input.ndim or grid.shape[0] != input.shape[0] or grid.shape[-1] != spatial:
        outs = ("D_out, " if spatial == 3 else "") + "H_out, W_out"
        raise RuntimeError(f"grid_sample: expected a grid of shape ({input.shape[0]}, {outs}, "
                           f"{spatial}) for an input of shape {tuple(input.shape)}, got "
                           f"{tuple(grid.shape)}")


def _named(output: Tensor) -> Tensor:
    """The (N, C, *out) samples, their node named as PyTorch's."""
    return pytorch_named(output, f"GridSampler{output.ndim - 2}DBackward0")


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
    position = [_unnormalize(grid[..., k], n, corners) for k, n in enumerate(steps)]
    if mode == "bicubic":  # the 4 x 4 neighbours, each moved inside by the padding mode
        base = [np.floor(p._data) for p in position]
        cubic = [_cubic_weights(p - Tensor(b)) for p, b in zip(position, base)]
        return _named(_corner_sum(input, grid, [
            [_pad(Tensor(b + k - 1), n, padding_mode, corners)._data.astype(np.int64)
             for k in range(4)] for b, n in zip(base, steps)],
            [cubic[0][i] * cubic[1][j] for i, j in itertools.product(range(4), range(4))]))
    position = [_pad(p, n, padding_mode, corners) for p, n in zip(position, steps)]
    if mode == "nearest":  # round half to even, as PyTorch's nearbyint
        output = _corner_sum(input, grid, [[np.rint(p._data).astype(np.int64)] for p in position],
                             [Tensor(np.ones(grid.shape[:-1], input.dtype))])
        if grid.requires_grad:  # PyTorch's grid gradient: zeros, not None, and (squared
            # zeros of the grid) a function of the grid, so a double backward reaches it
            output = output + grid[..., 0].where(np.zeros(1, bool), 0.0).unsqueeze(1) ** 2
        return _named(output)
    low = [np.floor(p._data) for p in position]
    upper = [p - Tensor(b) for p, b in zip(position, low)]
    weights = []
    for corner in itertools.product((0, 1), repeat=len(steps)):
        weight = None
        for k, up in enumerate(corner):
            w = upper[k] if up else 1 - upper[k]
            weight = w if weight is None else weight * w
        weights.append(weight)
    return _named(_corner_sum(input, grid, [[b.astype(np.int64) + up for up in (0, 1)]
                                            for b in low], weights))


def _corner_sum(input: Tensor, grid: Tensor, candidates: list[list[np.ndarray]],  # noqa: A002
                weights: list[Tensor]) -> Tensor:
    """sum_k weights[k] * input at corner k, 0 outside the input: (N, C, *grid.shape[1:-1]),
    one CornerSum op. `candidates` holds per axis (x, y (, z)) the integer positions (arrays
    of the grid's shape) a corner takes; the corners are their product, in
    itertools.product's order (as `weights`)."""
    sizes = input.shape[:1:-1]  # W, H (, D)
    strides = [math.prod(sizes[:k]) for k in range(len(sizes))]  # x: 1, y: W, z: W H
    terms = [[np.clip(p, 0, n - 1) * stride for p in axis]
             for axis, n, stride in zip(candidates, sizes, strides)]
    fits = [[(p >= 0) & (p < n) for p in axis] for axis, n in zip(candidates, sizes)]
    choices = list(itertools.product(*[range(len(axis)) for axis in candidates]))
    at = np.stack([sum(terms[k][c] for k, c in enumerate(choice)) for choice in choices])
    inside = np.stack([np.logical_and.reduce([fits[k][c] for k, c in enumerate(choice)])
                       for choice in choices])
    points = math.prod(grid.shape[1:-1])
    at = at.reshape(len(choices), input.shape[0], points)  # (corner, batch, point)
    output = CornerSum.apply(input, stack(weights).reshape(at.shape), at,
                             None if inside.all() else inside.reshape(at.shape))
    return output.reshape(*input.shape[:2], *grid.shape[1:-1])
