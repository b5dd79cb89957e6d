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
    """x's pixels at every corner, (K, N, C, P): each (n, c) plane of x flattened, with one 0
    after it that the corners outside the input read (a gather, no mask)."""
    planes = x.reshape(*x.shape[:2], math.prod(x.shape[2:]))
    if xp.is_tensor(x):
        return Cat.apply(planes, np.zeros(x.shape[:2] + (1,), x.dtype), 2).reshape(-1)[flat]
    return np.concatenate([planes, np.zeros(x.shape[:2] + (1,), x.dtype)], 2).reshape(-1)[flat]


class CornerSum(Function):
    """y[n, c, p] = sum_k w[k, n, p] x[n, c, at[k, n, p]] over x's flattened spatial axes (a
    corner where `inside` is False reads 0), the sum in corner order;
    dx[n, c, s] = the g[n, c, p] w[k, n, p] of the corners at s, added in (k, n, c, p) order;
    dw[k, n, p] = sum_c g[n, c, p] x[n, c, at[k, n, p]]."""

    def forward(ctx, x, weights, at, inside):
        ctx.save_for_backward(x, weights)
        spatial = math.prod(x.shape[2:])
        if inside is not None:  # outside: the 0 after the plane (its gradient dropped)
            at = np.where(inside, at, spatial)
        planes = np.arange(math.prod(x.shape[:2])) * (spatial + 1)  # (n, c) starts
        ctx.flat = at[:, :, None] + planes.reshape(*x.shape[:2], 1)
        values = _read(x, ctx.flat)
        out = values[0] * weights[0, :, None]
        for k in range(1, len(at)):
            out = out + values[k] * weights[k, :, None]
        return out

    def backward(ctx, grad_output):
        x, weights = ctx.saved_tensors
        grad_x = grad_weights = None
        if ctx.needs_input_grad[0]:
            padded = (*x.shape[:2], math.prod(x.shape[2:]) + 1)
            grad_x = xp.index_add((grad_output * weights[:, :, None]).reshape(-1),
                                  ctx.flat.reshape(-1), (math.prod(padded),))
            grad_x = grad_x.reshape(padded)[..., :-1].reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_weights = (grad_output * _read(x, ctx.flat)).sum(2)
        return grad_x, grad_weights, None, None
