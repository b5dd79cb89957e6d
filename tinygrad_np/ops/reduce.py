"""Reductions over axes: sum, max, min.

Their backward spreads the output gradient back over the reduced axes, so the rules first
put the reduced axes back as size 1 (`_keepdims_shape`) and then broadcast.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function


def _normalize_axis(axis, ndim: int) -> tuple[int, ...] | None:
    """An int, tuple or None as a tuple of non-negative axes (None: all of them)."""
    if axis is None or ndim == 0:  # a 0-d tensor has nothing to reduce over (axis 0 or -1)
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for item in axes:
        if not -ndim <= item < ndim:
            raise np.exceptions.AxisError(item, ndim)
    return tuple(sorted(item % ndim for item in axes))


def _keepdims_shape(input_shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple:
    """The output shape with the reduced axes kept as size 1."""
    if axes is None:
        return (1,) * len(input_shape)
    return tuple(1 if axis in axes else size for axis, size in enumerate(input_shape))


class Sum(Function):
    """y = sum(x, axis);  dx = g broadcast back over the summed axes."""

    def forward(ctx, x, axis, keepdims):
        ctx.input_shape = x.shape
        ctx.axes = _normalize_axis(axis, x.ndim)
        ctx.keepdims = keepdims
        return np.sum(x, axis=ctx.axes, keepdims=keepdims)

    def backward(ctx, grad_output):
        if not ctx.keepdims:
            grad_output = grad_output.reshape(_keepdims_shape(ctx.input_shape, ctx.axes))
        return xp.broadcast_to(grad_output, ctx.input_shape)


class Max(Function):
    """y = max(x, axis);  dx = g at the elements equal to the max, split evenly between ties."""

    reduce = staticmethod(np.max)

    def forward(ctx, x, axis, keepdims):
        axes = _normalize_axis(axis, x.ndim)
        extreme = ctx.reduce(x, axis=axes, keepdims=True)
        hits = x == extreme
        # The share of the gradient each element gets: 1/ties where it is the max, else 0.
        ctx.share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype)
        ctx.keepdims_shape = extreme.shape
        return extreme if keepdims else np.squeeze(extreme, axis=axes)

    def backward(ctx, grad_output):
        return grad_output.reshape(ctx.keepdims_shape) * ctx.share


class Min(Max):
    """y = min(x, axis);  dx = g at the elements equal to the min, split evenly between ties."""

    reduce = staticmethod(np.min)
