"""Softmax and log-softmax along an axis, stable for any finite input.

Both subtract the maximum first: softmax(x) = softmax(x - max x), and then every exponent is
<= 0, so exp never overflows (logits of +-1000 are fine).
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.reduce import accumulator, c_ordered

_HALF, _SINGLE = np.dtype(np.float16), np.dtype(np.float32)


def _wide(x):
    """float16 as float32 (PyTorch's CPU softmax kernels compute in float32 and round once);
    any other array or a Tensor (create_graph) as it is."""
    return x.astype(_SINGLE) if type(x) is np.ndarray and x.dtype is _HALF else x


def _strided(x, axis) -> bool:
    """Whether PyTorch's CPU softmax stores float16 exp(x - max) before dividing: its kernel
    for a dim that is not the last, with fewer than 64 elements after it (found in scans)."""
    return axis not in (-1, x.ndim - 1) and int(np.prod(x.shape[axis + 1:])) < 64


def row_max(x, axis):
    """np.max(x, axis, keepdims=True). Along a short last axis (fewer than 200 elements, 64k
    or more in all) NumPy's max steps element by element (22 ms for (64, 8, 64, 64) along
    the last axis): there the two halves are compared elementwise, halving the axis each
    time. Exact, so the same maxima (NaN propagates alike; only a row holding both 0.0 and
    -0.0 may give the other zero, which softmax and log_softmax cannot tell apart)."""
    size = x.shape[axis] if x.ndim else 1
    if axis not in (-1, x.ndim - 1) or not 1 < size < 200 or x.size < 65536:
        return np.max(x, axis=axis, keepdims=True)
    while size > 1:
        half = size // 2
        top = np.maximum(x[..., :half], x[..., half:2 * half])
        if size % 2:  # (the odd element joins the first column)
            top[..., :1] = np.maximum(top[..., :1], x[..., 2 * half:])
        x, size = top, half
    return x


def float16_log_sum(total):
    """log(total) for a float16 log_softmax over the last dim (a float32 array): PyTorch's
    kernel keeps the sum and its log as float16, so both are rounded; past 65504, where
    its results are -inf, the float32 log (by choice)."""
    kept = total.astype(_HALF)
    logs = np.log(kept.astype(_SINGLE)).astype(_HALF).astype(_SINGLE)
    return np.where(np.isinf(kept), np.log(total), logs)


@xp.quiet  # a row of -inf only (a fully masked query) is nan, silently, as in PyTorch
class Softmax(Function):
    """y = exp(x) / sum(exp(x));  dx = y * (g - sum(g * y))."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:  # nothing to normalise (and np.max of nothing is an error)
            ctx.save_for_backward(x)
            return x.copy()
        wide = _wide(x)
        shifted = np.exp(wide - row_max(wide, axis))
        total = np.sum(shifted, axis=axis, keepdims=True, dtype=accumulator(wide.dtype))
        if wide is not x and _strided(x, axis):  # PyTorch's kernel stores exp as float16 first
            shifted = shifted.astype(_HALF).astype(_SINGLE)
        y = c_ordered((shifted / total).astype(x.dtype, copy=False))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        wide, g = _wide(y), _wide(grad_output)
        grad = wide * (g - (g * wide).sum(axis=ctx.axis, keepdims=True))
        return grad if wide is y else grad.astype(_HALF)


@xp.quiet
class LogSoftmax(Function):
    """y = x - log(sum(exp(x)));  dx = g - exp(y) * sum(g)."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:  # nothing to normalise (and np.max of nothing is an error)
            ctx.save_for_backward(x)
            return x.copy()
        wide = _wide(x)
        shifted = wide - row_max(wide, axis)
        total = np.sum(np.exp(shifted), axis=axis, keepdims=True, dtype=accumulator(wide.dtype))
        if wide is not x and axis in (-1, x.ndim - 1):
            y = c_ordered((shifted - float16_log_sum(total)).astype(_HALF))
        else:
            y = c_ordered((shifted - np.log(total)).astype(x.dtype, copy=False))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        wide, g = _wide(y), _wide(grad_output)
        grad = g - xp.exp(wide) * g.sum(axis=ctx.axis, keepdims=True)
        return grad if wide is y else grad.astype(_HALF)
