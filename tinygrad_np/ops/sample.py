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


def _read(x, ctx):
    """x's pixels at every corner, (N, C, P, K); 0 for a corner outside the input."""
    values = x.reshape(-1)[ctx.flat]
    return values if ctx.inside is None else xp.masked(ctx.inside, values)


class CornerSum(Function):
    """y[n, c, p] = sum_k w[n, p, k] x[n, c, at[n, p, k]] over x's flattened spatial axes (a
    corner where `inside` is False reads 0), the sum in corner order;
    dx[n, c, s] = the g[n, c, p] w[n, p, k] of the corners at s, added in (n, c, p, k) order;
    dw[n, p, k] = sum_c g[n, c, p] x[n, c, at[n, p, k]]."""

    def forward(ctx, x, weights, at, inside):
        ctx.save_for_backward(x, weights)
        ctx.inside = None if inside is None else inside[:, None]
        planes = np.arange(math.prod(x.shape[:2])) * math.prod(x.shape[2:])  # (n, c) starts
        ctx.flat = at[:, None] + planes.reshape(*x.shape[:2], 1, 1)
        values = _read(x, ctx)
        out = values[..., 0] * weights[:, None, :, 0]
        for k in range(1, at.shape[-1]):
            out = out + values[..., k] * weights[:, None, :, k]
        return out

    def backward(ctx, grad_output):
        x, weights = ctx.saved_tensors
        grad = grad_output[..., None]
        grad_x = grad_weights = None
        if ctx.needs_input_grad[0]:
            spread = xp.masked(ctx.inside, grad * weights[:, None]) if ctx.inside is not None \
                else grad * weights[:, None]
            grad_x = xp.index_add(spread.reshape(-1), ctx.flat.reshape(-1),
                                  (math.prod(x.shape),)).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_weights = (grad * _read(x, ctx)).sum(1)
        return grad_x, grad_weights, None, None
