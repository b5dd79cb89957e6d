"""Sampling an image at many points from a weighted sum of its pixels: grid_sample's corners.

Composed from a gather per corner, grid_sample's input gradient took one scatter per corner
with its own temporaries (channel-last copies, sorted places); as one op each corner is
read with a flat index and its gradients added back with np.add.at, in the same order
(benchmarks/NOTES.md, session 26); one corner's index at a time, not all corners' at once
(8 bytes per corner and output element: 9x the peak memory of a bicubic sample).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.join import Cat


def _read(x, flat: np.ndarray):
    """x's pixels at flat places of its padded planes (each (n, c) plane of x flattened, with
    one 0 after it that the corners outside the input read: a gather, no mask)."""
    planes = x.reshape(*x.shape[:2], math.prod(x.shape[2:]))
    if xp.is_tensor(x):
        return Cat.apply(planes, np.zeros(x.shape[:2] + (1,), x.dtype), 2).reshape(-1)[flat]
    return np.concatenate([planes, np.zeros(x.shape[:2] + (1,), x.dtype)], 2).reshape(-1)[flat]


class CornerSum(Function):
    """y[n, c, p] = sum_k w[k, n, p] x[n, c, at[k, n, p]] over x's flattened spatial axes (a
    corner where `inside` is False reads 0), the sum in corner order;
    dx[n, c, s] = the g[n, c, p] w[k, n, p] of the corners at s, added in (k, n, c, p) order;
    dw[k, n, p] = sum_c g[n, c, p] x[n, c, at[k, n, p]]. The flat places (n, c, p) of one
    corner at a time are made (all K corners' would be 8 bytes per output element each)."""

    def forward(ctx, x, weights, at, inside):
        ctx.save_for_backward(x, weights)
        spatial = math.prod(x.shape[2:])
        if inside is not None:  # outside: the 0 after the plane (its gradient dropped)
            at = np.where(inside, at, spatial)
        ctx.at = at[:, :, None]  # (corner, n, 1, p)
        ctx.starts = (np.arange(math.prod(x.shape[:2])) * (spatial + 1)).reshape(
            *x.shape[:2], 1)  # (n, c, 1): where each padded plane starts
        pixels = _read(x, slice(None))
        out = pixels[ctx.at[0] + ctx.starts] * weights[0, :, None]
        for k in range(1, len(at)):
            out = out + pixels[ctx.at[k] + ctx.starts] * weights[k, :, None]
        return out

    def backward(ctx, grad_output):
        x, weights = ctx.saved_tensors
        grad_x = grad_weights = None
        padded = (*x.shape[:2], math.prod(x.shape[2:]) + 1)
        if ctx.needs_input_grad[0]:
            grad_x = _spread(grad_output, weights, ctx.at, ctx.starts, math.prod(padded))
            grad_x = grad_x.reshape(padded)[..., :-1].reshape(x.shape)
        if ctx.needs_input_grad[1]:
            grad_weights = _products(grad_output, x, ctx.at, ctx.starts)
        return grad_x, grad_weights, None, None


def _spread(grad_output, weights, at: np.ndarray, starts: np.ndarray, size: int):
    """CornerSum's dx on the padded planes, flat: g w[k] added at each corner's places, in
    (k, n, c, p) order (np.add.at one corner at a time; recorded under create_graph)."""
    if xp.is_tensor(grad_output):
        return xp.index_add((grad_output * weights[:, :, None]).reshape(-1),
                            (at + starts).reshape(-1), (size,))
    grad = np.zeros(size, np.result_type(grad_output, weights))
    for k in range(len(at)):
        np.add.at(grad, (at[k] + starts).reshape(-1),
                  (grad_output * weights[k, :, None]).reshape(-1))
    return grad


def _products(grad_output, x, at: np.ndarray, starts: np.ndarray):
    """CornerSum's dw[k, n, p] = sum_c g[n, c, p] x[n, c, at[k, n, p]]."""
    if xp.is_tensor(grad_output):
        return (grad_output * _read(x, at + starts)).sum(2)
    pixels = _read(x, slice(None))
    return np.stack([(grad_output * pixels[at[k] + starts]).sum(1) for k in range(len(at))])
