"""Reductions over runs of consecutive rows (segments): scatter_reduce, index_reduce and
EmbeddingBag sort their members by destination and reduce each run (`reduceat`),
in time and memory linear in the members (a table padded to the largest group would take
places x largest group)."""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.shape import _take

_UFUNCS = {"sum": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}
_MOST_MEMBERS = 64  # segments longer than this: NumPy's reduceat


def reduceat(ufunc: np.ufunc, x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """ufunc.reduceat(x, starts, axis=0) in x's dtype (segments non-empty, starts ascending
    from 0), each segment reduced member after member, as PyTorch's kernels sum (NumPy's
    reduceat adds a segment's rows in another order): with at most _MOST_MEMBERS members,
    one vectorised step per member rank over every segment, also 3-10x faster."""
    lengths = np.diff(np.append(starts, len(x)))
    longest = int(lengths.max(initial=0))
    if longest > _MOST_MEMBERS or not len(starts):
        return ufunc.reduceat(x, starts, axis=0, dtype=x.dtype)
    # float16 reduced in float32 and rounded once, as PyTorch's kernels
    out = x[starts].astype(np.float32) if x.dtype == np.float16 else x[starts]
    if (lengths == longest).all():  # segments of one length: each rank one strided view
        members = x.reshape(len(starts), longest, *x.shape[1:])
        for k in range(1, longest):
            ufunc(out, members[:, k], out=out)
    else:
        for k in range(1, longest):
            live = np.flatnonzero(lengths > k)
            out[live] = ufunc(out[live], x[starts[live] + k])
    return out.astype(x.dtype, copy=False)


@xp.quiet  # a product past the dtype's range is inf, silently, as in PyTorch
class SegmentReduce(Function):
    """y[s] = reduce(x[starts[s]:starts[s + 1]]) along axis 0 ('sum', 'prod', 'amax', 'amin';
    every segment non-empty, starts ascending from 0);  dx = g[s] for a sum, g[s] shared
    evenly by the ties of a max or min (as PyTorch), g[s] times the product of the others
    for a product (g y / x, and exact at zeros: recorded again under create_graph)."""

    def forward(ctx, x, starts, reduce):
        y = reduceat(_UFUNCS[reduce], x, starts)
        ctx.segment = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(x))))
        ctx.reduce, ctx.starts = reduce, starts
        ctx.weight = (_tie_shares(x, y[ctx.segment], starts, ctx.segment)
                      if reduce in ("amax", "amin") else None)
        if reduce == "prod":
            ctx.zero = x == 0
            ctx.zeros = np.add.reduceat(ctx.zero, starts, axis=0, dtype=np.int64)[ctx.segment]
            ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad_output):
        if ctx.reduce == "prod":
            return _prod_grad(ctx, grad_output, *ctx.saved_tensors)
        grad = _take(grad_output, ctx.segment)
        return grad if ctx.weight is None else grad * ctx.weight


@xp.quiet
class ScatterExtreme(Function):
    """y = x (flat) with each src[i] reduced into place targets[i] by max or min, in index
    order after x's own value (or, without include_self, in place of it where any src goes);
    dx, dsrc = g shared evenly by the ties of each place (NaN ties NaN), as PyTorch. One op
    for float scatter_reduce amax/amin: ufunc.at replays SegmentReduce's member-by-member
    order, so the same values, without sorting the members into runs."""

    def forward(ctx, x, src, targets, reduce, include_self):
        wide = np.float32 if x.dtype == np.float16 else x.dtype  # (as reduceat: NumPy's
        ufunc, out = _UFUNCS[reduce], x.reshape(-1).astype(wide)  # float16 max keeps the
        if not include_self:  # first of 0.0 and -0.0, its float32 max the second)
            out[targets] = -np.inf if reduce == "amax" else np.inf  # (max(-inf, v) is v)
        ufunc.at(out, targets, src.reshape(-1).astype(wide, copy=False))
        out = out.astype(x.dtype, copy=False)
        own = _ties(x.reshape(-1), out)
        if not include_self:  # (self's equal value is no tie here: PyTorch counts it, gives
            own[targets] = False  # it nothing, so its shares add up to less than g; README)
        from_src = _ties(src.reshape(-1), out[targets])
        counts = own + np.bincount(targets, weights=from_src, minlength=out.size)
        ctx.shares = ((own / counts).reshape(x.shape),
                      (from_src / counts[targets]).reshape(src.shape))
        ctx.targets, ctx.src_shape = targets, src.shape
        return out.reshape(x.shape)

    def backward(ctx, grad_output):
        own, from_src = ctx.shares
        picked = _take(grad_output.reshape(-1), ctx.targets).reshape(ctx.src_shape)
        return grad_output * own, picked * from_src, None, None, None


def _ties(x: np.ndarray, best: np.ndarray) -> np.ndarray:
    """Where x equals the extreme of its place (a NaN equals a NaN extreme)."""
    return (x == best) | (np.isnan(x) & np.isnan(best))


def _tie_shares(x: np.ndarray, best: np.ndarray, starts: np.ndarray, segment: np.ndarray
                ) -> np.ndarray:
    """1 / (ties in the segment) where x is its max (or min; NaN where it is NaN), else 0."""
    ties = (x == best) | (np.isnan(x) & np.isnan(best) if x.dtype.kind in "fc" else False)
    counts = np.add.reduceat(ties, starts, axis=0, dtype=np.int64)
    return ties / counts[segment]  # (each row's segment: computed once, in forward)


def _prod_grad(ctx: SegmentReduce, grad, x, y):
    """g y / x (as PyTorch's division) in segments without zeros; in a segment with one zero
    z, the rest's product r: g r x_z / x at the others and g r at z; 0 with two or more zeros.
    On arrays or, under create_graph, Tensors (so differentiable again, z included)."""
    if not ctx.zero.any():
        return _take(grad * y, ctx.segment) / x
    unzeroed = x + ctx.zero  # zeros made ones
    rest = _reduce(unzeroed, ctx.starts, "prod")
    the_zero = _take(_reduce(x * ctx.zero, ctx.starts, "sum"), ctx.segment)  # (0 in value)
    divided = _take(grad * y, ctx.segment) / unzeroed * (ctx.zeros == 0)
    single = _take(grad * rest, ctx.segment) / unzeroed * (the_zero * ~ctx.zero + ctx.zero)
    return divided + single * (ctx.zeros == 1)


def _reduce(values, starts: np.ndarray, reduce: str):
    """SegmentReduce on Tensors (recorded), reduceat on arrays."""
    if xp.is_tensor(values):
        return SegmentReduce.apply(values, starts, reduce)
    return reduceat(_UFUNCS[reduce], values, starts)
