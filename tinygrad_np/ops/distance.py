"""Distances between the rows of two matrices (torch.cdist, torch.pdist), in memory bounded
by blocks of rows: the full (..., P, R, M) block of differences is never made.

`CDist` is the exact p-norm of each difference, in blocks of x1's rows, with PyTorch's
_cdist_backward rules (0 where a distance is 0). `EuclidDist` is PyTorch's matrix-product
form for p=2: |x1|^2 + |x2|^2 - 2 x1 x2^T clamped at 0, then sqrt, whose gradient is
x1 ratio.sum - ratio x2 with ratio = g / d (0 where d is 0). Both rules run on arrays for
backward() and on Tensors for create_graph (CDist's then in one block)."""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function

BLOCK = 1 << 20  # elements of differences per block of rows


def _rows(x1: np.ndarray, x2: np.ndarray) -> int:
    """How many of x1's rows a block takes (at least 1)."""
    per_row = x2.shape[-2] * x2.shape[-1] * math.prod(x1.shape[:-2])
    return max(1, BLOCK // max(per_row, 1))


def _distances(x1: np.ndarray, x2: np.ndarray, p: float, pairs: bool = False) -> np.ndarray:
    """(..., c, R) p-norm distances of a block of x1's rows (..., c, M) to x2 (..., R, M)."""
    difference = x1[..., :, None, :] - x2[..., None, :, :]
    if p == 2:  # (d d = |d| |d| exactly: no pass for the absolute value)
        difference *= difference
        return np.sqrt(difference.sum(-1))
    size = np.abs(difference, out=difference)
    if p == 0:  # (PyTorch's min(ceil(|d|), 1): a NaN difference, inf - inf, gives NaN)
        return np.minimum(np.ceil(size), 1).sum(-1)
    if p == math.inf:  # PyTorch's cdist skips a NaN difference (0 if all are), pdist not
        return size.max(-1, initial=0) if pairs else np.fmax.reduce(size, -1, initial=0)
    if p == 1:
        return size.sum(-1)
    return (size ** p).sum(-1) ** (1 / p)


def _sign(x):
    return x.sign() if xp.is_tensor(x) else np.sign(x)


def _grad_block(x1, x2, y, g, p: float, pairs: bool = False):
    """(dx1, dx2) of a block: PyTorch's rule for each difference d, summed over the other
    side: sign(d) |d|^(p-1) g / y^(p-1) (d g / y for p=2, sign(d) g for p=1, sign(d) g where
    |d| = y for p=inf, NaN where |d| is inf, as PyTorch's), 0 where y = 0 (and where d = 0).
    Zeros are replaced by ones before a division or a negative power, so that no inf or
    NaN reaches a recorded gradient. `pairs` (pdist): only distances with a gradient count,
    so that x - x on the diagonal (inf - inf) adds nothing."""
    sides = _pair_sides if pairs else _sides
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    if p == 1:
        return sides(_sign(diff) * g[..., None], g)
    if p == math.inf:
        return sides((_sign(diff) * (abs(diff) == y[..., None]) + 0 * diff) * g[..., None], g)
    zero = y == 0
    scale = (g / (y + zero) ** (p - 1))[..., None]
    if p == 2:
        return sides(xp.masked(~zero[..., None], diff * scale), g)
    size, keep = abs(diff), ~zero[..., None]
    if p < 2:  # 0 where d is (also for an infinite scale): a 1 there keeps |d|^(p-1) finite
        size, keep = size + (diff == 0), keep & (diff != 0)
    return sides(xp.masked(keep, _sign(diff) * size ** (p - 1) * scale), g)


def _sides(each, g=None):
    """dx1 (summed over x2's rows) and dx2 (minus the sum over x1's rows)."""
    return each.sum(-2), -each.sum(-3)


def _pair_sides(each, g):
    return _sides(xp.masked((g != 0)[..., None], each))


@xp.quiet  # 0 / 0 where a distance is 0: masked to 0, as PyTorch
class CDist(Function):
    """y[..., i, j] = |x1[..., i, :] - x2[..., j, :]|_p (batch dims equal), in blocks of rows;
    dx from PyTorch's _cdist_backward rules (see _grad_block), p=0 none; `pairs` for pdist."""

    def forward(ctx, x1, x2, p, pairs=False):
        ctx.p, ctx.rows, ctx.pairs = p, _rows(x1, x2), pairs
        y = np.concatenate([_distances(x1[..., i:i + ctx.rows, :], x2, p, pairs)
                            for i in range(0, max(x1.shape[-2], 1), ctx.rows)], -2)
        ctx.save_for_backward(x1, x2, y)
        return y

    def backward(ctx, grad_output):
        x1, x2, y = ctx.saved_tensors
        if ctx.p == 0:
            return np.zeros(x1.shape, x1.dtype), np.zeros(x2.shape, x2.dtype), None, None
        if xp.is_tensor(grad_output):  # create_graph: one block, recorded
            return _grad_block(x1, x2, y, grad_output, ctx.p, ctx.pairs) + (None, None)
        dx1, dx2 = np.empty_like(x1), np.zeros_like(x2)
        for i in range(0, x1.shape[-2], ctx.rows):
            part = (Ellipsis, slice(i, i + ctx.rows), slice(None))  # rows: axis -2
            dx1[part], block = _grad_block(x1[part], x2, y[part], grad_output[part], ctx.p,
                                           ctx.pairs)
            dx2 += block
        return dx1, dx2, None, None


@xp.quiet  # g / d where d is 0: masked to 0, as PyTorch
class EuclidDist(Function):
    """y = sqrt(max(|x1_i|^2 + |x2_j|^2 - 2 x1_i . x2_j, 0)) by one matrix product (PyTorch's
    form for p=2);  dx1 = x1 r.sum(-1) - r x2, dx2 = x2 r.sum(-2) - r^T x1, r = g / y (0 at
    y = 0)."""

    def forward(ctx, x1, x2):
        norm1, norm2 = ((x * x).sum(-1, keepdims=True) for x in (x1, x2))
        left = np.concatenate([-2 * x1, norm1, np.ones_like(norm1)], -1)
        right = np.concatenate([x2, np.ones_like(norm2), norm2], -1)
        y = np.sqrt(np.maximum(left @ np.swapaxes(right, -1, -2), 0))
        ctx.zero = y == 0
        ctx.save_for_backward(x1, x2, y)
        return y

    def backward(ctx, grad_output):
        x1, x2, y = ctx.saved_tensors
        ratio = xp.masked(~ctx.zero, grad_output / y)
        ratio_t = ratio.swapaxes(-1, -2)
        return (x1 * ratio.sum(-1)[..., None] - ratio @ x2,
                x2 * ratio_t.sum(-1)[..., None] - ratio_t @ x1)
