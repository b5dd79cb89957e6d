"""Ops that move elements without changing them: reshape, transpose, expand, indexing, cast."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError
from tinygrad_np.function import Function


class Reshape(Function):
    """y = x.reshape(shape);  dx = g.reshape(x.shape)."""

    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        if min(shape, default=0) < -1:  # NumPy infers any negative size, PyTorch only -1
            index, size = next((i, n) for i, n in enumerate(shape) if n < -1)
            raise TensorError(f"invalid shape dimension {size} at index {index} of shape "
                              f"{list(shape)}")
        try:
            return x.reshape(shape)
        except ValueError:  # PyTorch's words, not NumPy's "(4,newaxis)"
            asked = [int(n) for n in np.atleast_1d(shape)]
            if asked.count(-1) > 1:
                raise TensorError(f"only one dimension can be inferred (shape {asked})") from None
            raise TensorError(f"shape {asked} is invalid for input of size {x.size}") from None

    def backward(ctx, grad_output):
        return grad_output.reshape(ctx.input_shape)


class Transpose(Function):
    """y = x.transpose(axes);  dx = g.transpose(inverse of axes)."""

    def forward(ctx, x, axes):
        if axes:
            axes = tuple(axis % x.ndim for axis in axes)  # argsort needs non-negative axes
        ctx.inverse = tuple(np.argsort(axes)) if axes else None
        return x.transpose(axes)

    def backward(ctx, grad_output):
        return grad_output.transpose(ctx.inverse)


class Expand(Function):
    """y = x broadcast to `shape` (no copy);  dx = g summed over the broadcast axes.

    The summing is the engine's `unbroadcast`, the library's one place for it, so the rule
    only passes the gradient on.
    """

    def forward(ctx, x, shape):
        lead = len(shape) - x.ndim
        if x.shape == shape[lead:] and shape[:lead].count(1) == lead:  # no axis grows (also
            return x[(None,) * lead]  # an empty one): a writable view, as PyTorch's
        return np.broadcast_to(x, shape)

    def backward(ctx, grad_output):
        return grad_output


def keeps_index(ctx: Function, index: Any) -> Function:
    """Mark ctx as keeping an index array (xp.KEPT) when `index` (a key) holds one, as
    PyTorch's indexing saves its index tensors (slices and ints: nothing)."""
    if any(type(part) in (np.ndarray, list) for part in (
            index if type(index) is tuple else (index,))):
        ctx.saved_versions = xp.KEPT
    return ctx


class GetItem(Function):
    """y = x[index];  dx = zeros like x with g added at index (repeated indices accumulate)."""

    def forward(ctx, x, index):
        ctx.input_shape = x.shape
        ctx.index = index
        axis = _taken_axis(index, x.ndim)
        y = x[index] if axis is None else np.take(x, index[-1], axis)
        if type(y) is not np.ndarray:  # one element: a 0-d view (NumPy copies), as PyTorch
            y = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        elif not y.flags.c_contiguous and not np.may_share_memory(x, y):
            y = np.ascontiguousarray(y)  # NumPy's gather keeps its own order; PyTorch's is C
        return y

    def backward(ctx, grad_output):
        return xp.index_add(grad_output, ctx.index, ctx.input_shape)

    def _pytorch_node(ctx):
        return indexing_node(ctx.index, ctx.input_shape)


_EVERY = slice(None)


def _taken_axis(index: Any, ndim: int) -> int | None:
    """The axis of an index_select-like key (`:`, ..., `:`, one 1-D integer array), else None.
    np.take gathers it C-ordered directly: NumPy's x[:, idx] result is laid out index-major,
    and copying that to C order cost 6x the gather ((64, 256, 64)[..., idx]: 20 vs 2 ms)."""
    if type(index) is not tuple or not 0 < len(index) <= ndim:
        return None
    array = index[-1]
    if type(array) is not np.ndarray or array.ndim != 1 or array.dtype.kind not in "iu" or \
            any(type(part) is not slice or part != _EVERY for part in index[:-1]):
        return None
    return len(index) - 1


def indexing_node(key: Any, shape: tuple) -> str:
    """PyTorch's node for x[key], x of `shape`: its indexing selects (an int), slices and
    unsqueezes (None) axis by axis from the left, then gathers with the index arrays; the
    node is the last step taken (`x[0, 1:]` SliceBackward0, `x[:, 0]` SelectBackward0,
    `x[idx]` IndexBackward0). A slice `0:` (or `:n`, n >= the axis's size) is no step, except
    alone (`x[:]`); no step at all is an alias (`x[...]`, `x[:, :]`)."""
    if isinstance(key, slice):
        return "SliceBackward0"
    parts = key if isinstance(key, tuple) else (key,)
    if any(isinstance(part, (bool, list, np.ndarray)) for part in parts):
        return "IndexBackward0"
    step, axis = "AliasBackward0", 0
    for part in parts:
        if part is None:
            step = "UnsqueezeBackward0"
        elif part is Ellipsis:
            axis = len(shape) - sum(p is not None for p in parts[parts.index(Ellipsis) + 1:])
        elif isinstance(part, slice):
            if part.start not in (None, 0) or part.step not in (None, 1) or (
                    part.stop is not None and part.stop < shape[axis]):  # (-n: is a step)
                step = "SliceBackward0"
            axis += 1
        else:  # an int
            step, axis = "SelectBackward0", axis + 1
    return step


class IndexAdd(Function):
    """y = zeros(shape) with x added at index;  dx = g[index].  (The backward of GetItem.)"""

    def forward(ctx, x, index, shape):
        ctx.index = index
        return xp.index_add(x, index, shape)

    def backward(ctx, grad_output):
        return _take(grad_output, ctx.index)


def _take(grad: Any, index: Any) -> Any:
    """grad[index] for an index a forward made (it may hold flip's negative steps, which a
    Tensor's own indexing refuses, as PyTorch's): on Tensors (create_graph), through GetItem."""
    return GetItem.apply(grad, index) if xp.is_tensor(grad) else grad[index]


class SetItem(Function):
    """y = x with y[index] = v;  dx = g where index did not write, else 0,  dv = g[index]."""

    def forward(ctx, x, index, value):
        y = x.copy()
        y[index] = value
        ctx.index = index
        keeps_index(ctx, index)
        ctx.kept = np.ones(x.shape, dtype=bool)
        ctx.kept[index] = False
        return y

    def backward(ctx, grad_output):
        grad_x = grad_output * ctx.kept if ctx.needs_input_grad[0] else None
        return grad_x, None, _take(grad_output, ctx.index) if ctx.needs_input_grad[2] else None


@xp.quiet  # float64 -> float32 past 3.4e38 is inf, NaN -> int: silent, as PyTorch's casts
class Cast(Function):
    """y = x as `dtype`;  dx = g as x's dtype."""

    def forward(ctx, x, dtype):
        ctx.input_dtype = x.dtype
        if x.dtype == np.float64 and dtype == np.float16:  # PyTorch's double -> half goes
            x = x.astype(np.float32)  # through float (rounded twice), as its constructors
        return x.astype(dtype)

    def backward(ctx, grad_output):
        return grad_output.astype(ctx.input_dtype)


class Windows(Function):
    """y = x's windows of `size` every `step` along `dim`, a new last axis (Tensor.unfold: a
    view);  dx = g added back at each window's place (overlaps accumulate)."""

    def forward(ctx, x, dim, size, step):
        ctx.input_shape, ctx.dim, ctx.step = x.shape, dim, step
        count = (x.shape[dim] - size) // step + 1
        strides = x.strides[:dim] + (x.strides[dim] * step,) + x.strides[dim + 1:]
        return np.lib.stride_tricks.as_strided(
            x, x.shape[:dim] + (count,) + x.shape[dim + 1:] + (size,), strides + (x.strides[dim],),
            writeable=step >= size and x.flags.writeable)  # overlapping windows: read-only

    def backward(ctx, grad_output):
        if xp.is_tensor(grad_output):  # create_graph: through the index, differentiable
            return xp.index_add(grad_output, _window_index(ctx, grad_output.shape),
                                ctx.input_shape)
        return _add_windows(grad_output, ctx.input_shape, ctx.dim, ctx.step)


def _window_index(ctx: Any, windows_shape: tuple) -> tuple:
    """The index x[index] would copy Windows' result with: a range per axis, and along `dim`
    each window's start plus each offset."""
    dim, shape = ctx.dim, ctx.input_shape
    count, size = windows_shape[dim], windows_shape[-1]
    starts = np.arange(count).reshape((count,) + (1,) * (len(shape) - dim))
    offsets = np.arange(size).reshape((1,) * (len(shape) - dim) + (size,))
    return tuple(starts * ctx.step + offsets if axis == dim else np.arange(n).reshape(
        (1,) * axis + (n,) + (1,) * (len(shape) - axis)) for axis, n in enumerate(shape))


def _add_windows(grad: np.ndarray, shape: tuple, dim: int, step: int) -> np.ndarray:
    """Windows' backward: each window's gradient added back at its place, one strided add per
    offset in the window (or per window, whichever are fewer). Each place sums its terms
    window by window, in np.add.at's order over the window index, so the sums are the same."""
    out = np.zeros(shape, grad.dtype)
    count, size = grad.shape[dim], grad.shape[-1]
    lead = (slice(None),) * dim
    moved = np.moveaxis(grad, dim, -2)  # (..., count, size): the window axes last
    if size <= count:  # offsets from the last: then each place sees the windows in order
        for offset in reversed(range(size)):
            place = lead + (slice(offset, offset + step * (count - 1) + 1, step),)
            out[place] += np.moveaxis(moved[..., offset], -1, dim)
    else:
        for window in range(count):
            place = lead + (slice(window * step, window * step + size),)
            out[place] += np.moveaxis(moved[..., window, :], -1, dim)
    return out
