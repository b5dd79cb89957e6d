"""Reductions over axes: sum, max, min.

Their backward spreads the output gradient back over the reduced axes, so the rules first
put the reduced axes back as size 1 (`_keepdims_shape`) and then broadcast.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.tensor import check_dim


def _normalize_axis(axis, ndim: int, op: str = "sum") -> tuple[int, ...] | None:
    """An int, tuple or None as a tuple of non-negative axes (None: all of them); an axis out
    of range is an IndexError naming the op and the valid range (check_dim)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(sorted(check_dim(op, item, ndim) for item in axes))
    return None if ndim == 0 else axes  # a 0-d tensor has nothing to reduce over


_HALF = np.dtype(np.float16)


def accumulator(dtype: np.dtype) -> type | None:
    """The dtype a sum of `dtype` values accumulates in: float32 for float16 (whose largest
    value is 65,504), as PyTorch does; None (the dtype itself) for every other dtype. The
    library's one place for this: Sum, mean, softmax and log_softmax use it."""
    return np.float32 if dtype is _HALF else None


def c_ordered(array: np.ndarray) -> np.ndarray:
    """A reduction's result in C order, as PyTorch's are contiguous (NumPy keeps the input's
    memory order: a sum over the first axis of a permuted tensor comes out transposed). The
    library's one rule for it: only a flags test when the result is C-ordered already."""
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _keepdims_shape(input_shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple:
    """The output shape with the reduced axes kept as size 1."""
    if axes is None:
        return (1,) * len(input_shape)
    return tuple(1 if axis in axes else size for axis, size in enumerate(input_shape))


@xp.quiet  # inf + -inf is NaN, silently, as in PyTorch
class Sum(Function):
    """y = sum(x, axis);  dx = g broadcast back over the summed axes."""

    def forward(ctx, x, axis, keepdims):
        ctx.input_shape = x.shape
        ctx.axes = _normalize_axis(axis, x.ndim, "sum")
        ctx.keepdims = keepdims
        if x.dtype is _HALF:
            with np.errstate(over="ignore"):  # a total past 65,504 is inf, as in PyTorch
                total = np.sum(x, axis=ctx.axes, keepdims=keepdims, dtype=np.float32)
                return c_ordered(total.astype(_HALF))
        return c_ordered(np.sum(x, axis=ctx.axes, keepdims=keepdims,  # an integer dtype
                                dtype=x.dtype if x.dtype.kind in "iu" else None))  # is kept

    def backward(ctx, grad_output):
        if not ctx.keepdims:
            grad_output = grad_output.reshape(_keepdims_shape(ctx.input_shape, ctx.axes))
        return xp.broadcast_to(grad_output, ctx.input_shape)


class Max(Function):
    """y = max(x, axis);  dx = g at the elements equal to the max, split evenly between ties.

    A NaN is the max of anything (NumPy and PyTorch agree), and gets the gradient, as in
    PyTorch's max(): split between the NaNs of its slice, 0 for the other elements.
    """

    reduce = staticmethod(np.max)
    nan_hits = True  # a NaN equals a NaN max here; amax compares with == (no hit: 0/0 = NaN)

    def forward(ctx, x, axis, keepdims):
        axes = _normalize_axis(axis, x.ndim, type(ctx).__name__.lower())
        extreme = ctx.reduce(x, axis=axes, keepdims=True)
        hits = x == extreme
        if extreme.dtype.kind == "f" and x.ndim and (axis is not None or not ctx.nan_hits) and (
                extreme == 0).any():  # (PyTorch's max() of everything: not the first zero)
            extreme = _first_zero(x, hits, axes, extreme)
        if ctx.nan_hits and extreme.dtype.kind == "f" and np.isnan(extreme).any():
            hits |= np.isnan(x) & np.isnan(extreme)
        # The share of the gradient each element gets: 1/ties where it is the max, else 0.
        with np.errstate(invalid="ignore"):
            ctx.share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype)
        ctx.keepdims_shape, ctx.saved_versions = extreme.shape, xp.KEPT
        return c_ordered(extreme if keepdims else np.squeeze(extreme, axis=axes))

    def backward(ctx, grad_output):
        return xp.shared(ctx.share, grad_output.reshape(ctx.keepdims_shape))


def _first_zero(x, hits, axes, extreme):
    """`extreme` (keepdims) with each 0 signed as its slice's first element equal to it: of
    -0.0 and 0.0 PyTorch's amax/amin and max/min along a dim keep the first."""
    axes = tuple(range(x.ndim)) if axes is None else tuple(np.atleast_1d(axes) % x.ndim)
    order = [a for a in range(x.ndim) if a not in axes] + list(axes)
    slices = math.prod(extreme.shape)
    values = x.transpose(order).reshape(slices, -1)
    first = hits.transpose(order).reshape(slices, -1).argmax(axis=1)
    firsts = values[np.arange(slices), first].reshape(extreme.shape)
    return np.where(extreme == 0, firsts, extreme)


class Min(Max):
    """y = min(x, axis);  dx = g at the elements equal to the min, split evenly between ties."""

    reduce = staticmethod(np.min)


class AMax(Max):
    """y = amax(x, axis);  as max, but a slice whose max is NaN gets NaN gradients (PyTorch)."""

    nan_hits = False


class AMin(Min):
    """y = amin(x, axis);  as min, but a slice whose min is NaN gets NaN gradients (PyTorch)."""

    nan_hits = False


class Nonzero(Function):
    """y = 1 where x != 0 else 0, in x's dtype;  no gradient (None, not zeros): the terms
    of norm(p=0), whose input's .grad PyTorch leaves None (the result stays in the graph)."""

    def forward(ctx, x):
        return (x != 0).astype(x.dtype)

    def backward(ctx, grad_output):
        return None


class NoDofSpread(Function):
    """y = var of all elements with correction >= N (given: inf, or NaN if all are equal);
    dx = g * (NaN where x = mean(x), else inf): PyTorch's rule for dim=None."""

    def forward(ctx, x, value):
        ctx.marks = np.where(x == np.mean(x), np.nan, np.inf).astype(x.dtype)
        return value

    def backward(ctx, grad_output):
        return grad_output * (ctx.marks if type(grad_output) is np.ndarray else
                              type(grad_output)(ctx.marks)), None
