"""Softmax and log-softmax along an axis, stable for any finite input.

Both subtract the maximum first: softmax(x) = softmax(x - max x), and then every exponent is
<= 0, so exp never overflows (logits of +-1000 are fine).
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.reduce import accumulator, c_ordered


@xp.quiet  # a row of -inf only (a fully masked query) is nan, silently, as in PyTorch
class Softmax(Function):
    """y = exp(x) / sum(exp(x));  dx = y * (g - sum(g * y))."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:  # nothing to normalise (and np.max of nothing is an error)
            ctx.save_for_backward(x)
            return x.copy()
        shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
        total = np.sum(shifted, axis=axis, keepdims=True, dtype=accumulator(x.dtype))
        y = c_ordered((shifted / total).astype(x.dtype, copy=False))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return y * (grad_output - (grad_output * y).sum(axis=ctx.axis, keepdims=True))


@xp.quiet
class LogSoftmax(Function):
    """y = x - log(sum(exp(x)));  dx = g - exp(y) * sum(g)."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.size == 0:  # nothing to normalise (and np.max of nothing is an error)
            ctx.save_for_backward(x)
            return x.copy()
        shifted = x - np.max(x, axis=axis, keepdims=True)
        total = np.sum(np.exp(shifted), axis=axis, keepdims=True, dtype=accumulator(x.dtype))
        y = c_ordered((shifted - np.log(total)).astype(x.dtype, copy=False))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output - xp.exp(y) * grad_output.sum(axis=ctx.axis, keepdims=True)
