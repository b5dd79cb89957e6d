"""Sampling an image at many points from a weighted sum of its pixels: grid_sample's corners.

Composed from a gather per corner, grid_sample's input gradient took one scatter per corner
with its own temporaries (channel-last copies, sorted places); as one op the corners are
read with one flat index and their gradients added back with one np.add.at
(benchmarks/NOTES.md, session 26).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.join import Cat


def _read(x, flat: np.ndarray):
    """x's pixels at every corner, (K, N, C, P): x flattened, with one 0 after it that the
    corners outside the input read (a gather, no mask)."""
    if xp.is_tensor(x):
        return Cat.apply(x.reshape(-1), np.zeros(1, x.dtype), 0)[flat]
    return np.concatenate([x.reshape(-1), np.zeros(1, x.dtype)])[flat]


class CornerSum(Function):
    """y[n, c, p] = sum_k w[k, n, p] x[n, c, at[k, n, p]] over x's flattened spatial axes (a
    corner where `inside` is False reads 0), the sum in corner order;
    dx[n, c, s] = the g[n, c, p] w[k, n, p] of the corners at s, added in (k, n, c, p) order;
    dw[k, n, p] = sum_c g[n, c, p] x[n, c, at[k, n, p]]."""

    def forward(ctx, x, weights, at, inside):
        ctx.save_for_backward(x, weights)
        planes = np.arange(math.prod(x.shape[:2])) * math.prod(x.shape[2:])  # (n, c) starts
        ctx.flat = at[:, :, None] + planes.reshape(*x.shape[:2], 1)
        if inside is not None:  # outside: the 0 after x (and its gradient dropped)
            ctx.flat[~np.broadcast_to(inside[:, :, None], ctx.flat.shape)] = x.size
        values = _read(x, ctx.flat)
        out = values[0] * weights[0, :, None]
        for k in range(1, len(at)):
            out = out + values[k] * weights[k, :, None]
        return out

    def backward(ctx, grad_output):
        x, weights = ctx.saved_tensors
        grad_x = grad_weights = None
        if ctx.needs_input_grad[0]:
            size = math.prod(x.shape)
            grad_x = xp.index_add((grad_output * weights[:, :, None]).reshape(-1),
                                  ctx.flat.reshape(-1), (size + 1,))[:size].reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_weights = (grad_output * _read(x, ctx.flat)).sum(2)
        return grad_x, grad_weights, None, None
