"""Normalisation (batch, layer and group norm share one op) and the embedding lookup.

`Normalize` is the fused op behind F.batch_norm, F.layer_norm and F.group_norm: composed from
primitives the normalisation takes about ten graph nodes, each with its own full-size
temporaries; fused, its closed-form backward needs two reductions and a few elementwise
passes (benchmarks/NOTES.md has the measurements).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.reduce import accumulator


def _sum(a: np.ndarray, b: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """sum(a * b) (or sum(a)) over every axis where `shape` (aligned right) is 1, given that
    `shape`. One einsum: no product array, and faster than NumPy's sum over several axes.
    float16 sums come out in float32 (ops.reduce.accumulator), as PyTorch's statistics do."""
    kept = [axis for axis, size in enumerate((1,) * (a.ndim - len(shape)) + shape) if size != 1]
    everything = list(range(a.ndim))
    operands = (a, everything) if b is None else (a, everything, b, everything)
    return np.einsum(*operands, kept, dtype=accumulator(a.dtype)).reshape(shape)


def _partial_shape(x: np.ndarray, weight: np.ndarray, axes: tuple[int, ...]
                   ) -> tuple[int, ...] | None:
    """x's shape with 1 on the statistics' axes along which `weight` is constant, when that
    is smaller than x and larger than the statistics (else None)."""
    aligned = (1,) * (x.ndim - weight.ndim) + weight.shape
    shape = tuple(1 if axis in axes and aligned[axis] == 1 else size
                  for axis, size in enumerate(x.shape))
    return shape if math.prod(shape) < x.size and all(
        n >= m for n, m in zip(shape, aligned)) else None


@xp.quiet  # inf - inf is NaN, silently, as in PyTorch
class Normalize(Function):
    """y = x̂ w + b, x̂ = (x - mean) / sqrt(var + eps) over `axes`;  with h = g w:
    dx = (h - mean(h) - x̂ mean(h x̂)) / sqrt(var + eps),  dw = g x̂,  db = g.

    `weight` and `bias` (None for none) broadcast against x. The statistics are the biased
    mean and variance of x over `axes` (then x's gradient flows through them), unless `fixed`
    gives (mean, var) arrays to use as constants (batch norm in eval mode: dx = h / sqrt(...)).
    `report`, a list, receives the batch (mean, var) for running statistics.
    """

    def forward(ctx, x, weight, bias, axes, eps, fixed=None, report=None):
        stat_shape = tuple(1 if axis in axes else size for axis, size in enumerate(x.shape))
        ctx.axes, ctx.eps, ctx.batch = axes, eps, fixed is None
        ctx.count = max(x.size // max(math.prod(stat_shape), 1), 1)
        if fixed is None:  # (float16: statistics and arithmetic in float32, as PyTorch's)
            mean = _sum(x, None, stat_shape) / ctx.count
            normalized = x - mean
            var = _sum(normalized, normalized, stat_shape) / ctx.count
            if report is not None:
                report.extend((mean, var))  # (the running update casts)
        else:
            mean, var = fixed
            normalized = x - mean
        ctx.mean, ctx.inv_std = mean, 1 / np.sqrt(var + eps)
        ctx.bias_shape = None if bias is None else bias.shape
        # w constant over the statistics' axes (batch norm): one multiplier per statistic;
        # over some of them (group norm's w per channel, constant over H x W): one multiplier
        # per statistic and channel, smaller than x
        ctx.factor = weight is not None and all(
            ((1,) * x.ndim + weight.shape)[axis - x.ndim] == 1 for axis in axes)
        ctx.partial = None if weight is None or ctx.factor else _partial_shape(x, weight, axes)
        normalized *= ctx.inv_std * weight if ctx.factor or ctx.partial else ctx.inv_std
        if weight is not None and not ctx.factor and not ctx.partial:
            normalized *= weight
        if bias is not None:
            normalized += bias
        ctx.save_for_backward(x, weight)
        return normalized.astype(x.dtype, copy=False)

    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        if not xp.is_tensor(grad_output):
            return _normalize_backward(ctx, x, weight, grad_output)
        # create_graph: the same rule on Tensors; batch statistics are functions of x there
        axes, mean, inv_std = ctx.axes, ctx.mean, ctx.inv_std
        if ctx.batch:
            mean = x.mean(axis=axes, keepdims=True)
            inv_std = (((x - mean) ** 2).mean(axis=axes, keepdims=True) + ctx.eps) ** -0.5
        x_hat = (x - mean) * inv_std
        h = grad_output if weight is None else grad_output * weight
        grad_x = h * inv_std
        if ctx.batch:
            centred = h - h.mean(axis=axes, keepdims=True)
            grad_x = (centred - x_hat * (h * x_hat).mean(axis=axes, keepdims=True)) * inv_std
        grad_weight = grad_output * x_hat if ctx.needs_input_grad[1] else None
        grad_bias = grad_output if ctx.needs_input_grad[2] else None
        return grad_x, grad_weight, grad_bias  # the engine sums dw, db to their shapes


def _normalize_backward(ctx, x, weight, grad_output):
    """Normalize's rule on arrays, in place where it can. Sums of g and g x̂ over the
    statistics' axes are made once and serve dx, and dw, db when w, b are constant there."""
    need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
    stat_shape = ctx.mean.shape
    x_hat = x - ctx.mean
    x_hat *= ctx.inv_std
    stat_sums: dict[tuple, np.ndarray] = {}

    def sum_of_g(shape: tuple[int, ...], times_x_hat: bool) -> np.ndarray:
        """sum(g) or sum(g x̂) down to `shape` (from the sums down to the statistics' shape
        or to ctx.partial when `shape` is 1 wherever that one is)."""
        other = x_hat if times_x_hat else None
        aligned = (1,) * (x.ndim - len(shape)) + tuple(shape)
        for first in (stat_shape, ctx.partial):
            if first is not None and all(n == 1 for n, m in zip(aligned, first) if m == 1):
                if (first, times_x_hat) not in stat_sums:
                    stat_sums[first, times_x_hat] = _sum(grad_output, other, first)
                return _sum(stat_sums[first, times_x_hat], None, shape)
        return _sum(grad_output, other, shape)

    grad_weight = sum_of_g(weight.shape, True) if need_weight else None
    grad_bias = sum_of_g(ctx.bias_shape, False) if need_bias else None
    if not need_x:
        return None, grad_weight, grad_bias
    if weight is None or ctx.factor:  # h = g w with w constant over the statistics' axes
        scale = ctx.inv_std if weight is None else ctx.inv_std * weight
        grad_x = grad_output * scale
        if ctx.batch:
            sum_h, sum_h_x_hat = sum_of_g(stat_shape, False), sum_of_g(stat_shape, True)
    elif ctx.partial:  # h = g w with w constant over some statistics' axes: g's sums over
        scale = ctx.inv_std  # those first, then weighted (h is never made)
        grad_x = grad_output * (scale * weight)
        if ctx.batch:
            wide = np.broadcast_to(weight, ctx.partial)
            sum_h = _sum(sum_of_g(ctx.partial, False), wide, stat_shape)
            sum_h_x_hat = _sum(sum_of_g(ctx.partial, True), wide, stat_shape)
    else:
        scale = ctx.inv_std
        h = grad_output * weight
        grad_x = h * scale
        if ctx.batch:
            sum_h, sum_h_x_hat = _sum(h, None, stat_shape), _sum(h, x_hat, stat_shape)
    if ctx.batch:
        scale = scale * (1.0 / ctx.count)  # not / count: a count past 65,504 is inf in float16
        grad_x -= sum_h * scale
        x_hat *= sum_h_x_hat * scale
        grad_x -= x_hat
    return grad_x.astype(x.dtype, copy=False), grad_weight, grad_bias


class EmbeddingLookup(Function):
    """y = W[i];  dW = g summed into the rows i (repeats accumulate), none for `padding_idx`;
    `by_freq`: each position's g divided by how often its index occurs in i (a constant to a
    second derivative, as PyTorch's double backward)."""

    def forward(ctx, weight, indices, padding_idx, by_freq=False):
        ctx.indices, ctx.shape, ctx.saved_versions = indices, weight.shape, xp.KEPT
        ctx.keep = None if padding_idx is None else (indices != padding_idx)[..., None]
        ctx.unscaled = ctx.keep  # PyTorch's double backward does not divide by the counts
        if by_freq:
            _, where, counts = np.unique(indices, return_inverse=True, return_counts=True)
            share = (1.0 / counts[where]).reshape(indices.shape + (1,)).astype(weight.dtype)
            ctx.keep = share if ctx.keep is None else share * ctx.keep
        return weight[indices]

    def backward(ctx, grad_output):
        values = grad_output if ctx.keep is None else grad_output * ctx.keep
        if ctx.keep is not ctx.unscaled and xp.is_tensor(grad_output):  # create_graph
            plain = grad_output if ctx.unscaled is None else grad_output * ctx.unscaled
            values = plain + (values - plain).detach()  # by_freq's value, the plain gradient
        dim = ctx.shape[1]
        return xp.index_add(values.reshape((-1, dim)), ctx.indices.reshape(-1), ctx.shape), None
