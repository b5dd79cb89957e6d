"""Softmax and log-softmax along an axis, stable for any finite input.

Both subtract the maximum first: softmax(x) = softmax(x - max x), and then every exponent is
<= 0, so exp never overflows (logits of +-1000 are fine).
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.reduce import accumulator, c_ordered


def _widened(x):
    """A float16 array in float32 (NumPy's float16 arithmetic is slow and rounds each step);
    anything else (a Tensor under create_graph too) as it is."""
    return x.astype(np.float32) if isinstance(x, np.ndarray) and x.dtype == np.float16 else x


@xp.quiet  # a row of -inf only (a fully masked query) is nan, silently, as in PyTorch
class Softmax(Function):
    """y = exp(x) / sum(exp(x));  dx = y * (g - sum(g * y))."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:  # nothing to normalise (and np.max of nothing is an error)
            ctx.save_for_backward(x)
            return x.copy()
        wide = _widened(x)  # float16 in float32 (PyTorch's opmath), rounded once
        shifted = np.exp(wide - np.max(wide, axis=axis, keepdims=True))
        total = np.sum(shifted, axis=axis, keepdims=True, dtype=accumulator(wide.dtype))
        y = c_ordered((shifted / total).astype(x.dtype, copy=False))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        wide, g = _widened(y), _widened(grad_output)
        grad = wide * (g - (g * wide).sum(axis=ctx.axis, keepdims=True))
        return grad if wide is y else grad.astype(y.dtype)


@xp.quiet
class LogSoftmax(Function):
    """y = x - log(sum(exp(x)));  dx = g - exp(y) * sum(g)."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:  # nothing to normalise (and np.max of nothing is an error)
            ctx.save_for_backward(x)
            return x.copy()
        wide = _widened(x)
        shifted = wide - np.max(wide, axis=axis, keepdims=True)
        total = np.sum(np.exp(shifted), axis=axis, keepdims=True, dtype=accumulator(wide.dtype))
        y = c_ordered((shifted - np.log(total)).astype(x.dtype, copy=False))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        wide, g = _widened(y), _widened(grad_output)
        grad = g - xp.exp(wide) * g.sum(axis=ctx.axis, keepdims=True)
        return grad if wide is y else grad.astype(y.dtype)
