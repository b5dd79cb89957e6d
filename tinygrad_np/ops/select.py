"""Ops that choose between elements: where, maximum/minimum, and a tie-sharing pick.

Their gradients route the output gradient to the chosen input; the choice itself (a boolean
mask) is piecewise constant, so it is kept as a plain attribute, not saved.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function


def select(condition: np.ndarray, value, other=0):
    """`np.where(condition, value, other)` on arrays, the Where op on Tensors (create_graph)."""
    if xp.is_tensor(value) or xp.is_tensor(other):
        return Where.apply(condition, value, other)
    return xp.where(condition, value, other)


class Where(Function):
    """y = a where c else b;  da = g where c (else 0),  db = g where not c."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    def forward(ctx, condition, a, b):
        ctx.condition = np.asarray(condition, dtype=bool)
        return xp.where(ctx.condition, a, b)

    def backward(ctx, grad_output):
        grad_a = select(ctx.condition, grad_output) if ctx.needs_input_grad[1] else None
        grad_b = select(ctx.condition, 0, grad_output) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


class Maximum(Function):
    """y = max(a, b) elementwise;  da = g unless a < b, db = g unless b < a, ties g/2 each.

    Ties share the gradient half and half, and where a or b is NaN (so is y) both get g, as
    PyTorch's where(a == b, g / 2, g).masked_fill(a < b, 0).
    """

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    compare = staticmethod(np.greater)
    pick = staticmethod(np.maximum)

    def forward(ctx, a, b):
        y = ctx.pick(a, b)
        if y.dtype.kind == "f":
            ties = np.equal(a, b)
            y = np.where(ties, a, y)  # a tie of -0.0 and 0.0 gives a, as PyTorch
            half_ties = 0.5 * ties  # each operand's share: 1, less a loss or half a tie
            ctx.share_a = (1 - ctx.compare(b, a) - half_ties).astype(y.dtype)
            ctx.share_b = (1 - ctx.compare(a, b) - half_ties).astype(y.dtype)
            ctx.saved_versions = xp.KEPT
        return y

    def backward(ctx, grad_output):
        grad_a = xp.shared(ctx.share_a, grad_output) if (
            ctx.needs_input_grad[0]) else None
        grad_b = xp.shared(ctx.share_b, grad_output) if (
            ctx.needs_input_grad[1]) else None
        return grad_a, grad_b


class Minimum(Maximum):
    """y = min(a, b) elementwise;  da = g unless a > b, db = g unless b > a, ties g/2 each."""

    compare = staticmethod(np.less)
    pick = staticmethod(np.minimum)


class PickShared(Function):
    """y = the value x has at `hits` (all equal);  dx = g / count at hits (ties share it).

    For full reductions that choose one value (median() without dim), whose gradient PyTorch
    spreads evenly over the elements equal to the result.
    """

    def forward(ctx, x, hits, value=None):
        count = int(hits.sum())
        ctx.share = (hits / count).astype(x.dtype)
        return np.asarray((x[hits] if value is None else value)[0])  # (value: -0.0 or 0.0)

    def backward(ctx, grad_output):
        return xp.shared(ctx.share, grad_output), None, None


class Fmax(Function):
    """y = max(a, b) ignoring NaN (NaN only where both are);  da = g where a >= b or b is NaN,
    db = g elsewhere (at ties a takes all of it, as PyTorch)."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    compare = staticmethod(np.greater_equal)

    def forward(ctx, a, b):
        ctx.to_a = ctx.compare(a, b) | np.isnan(b)
        return np.where(ctx.to_a, a, b)  # (np.fmax gives b at a tie: 0.0 and -0.0)

    def backward(ctx, grad_output):
        grad_a = xp.masked(ctx.to_a, grad_output) if ctx.needs_input_grad[0] else None
        grad_b = xp.masked(~ctx.to_a, grad_output) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Fmin(Fmax):
    """y = min(a, b) ignoring NaN;  da = g where a <= b or b is NaN, db = g elsewhere."""

    compare = staticmethod(np.less_equal)
