"""Products and running (cumulative) sums, products and log-sum-exps along an axis.

Division by the input would give the product's gradient only where no input is zero, so the
rules below treat zeros explicitly, as PyTorch does: a gradient of prod or cumprod is the
product of the *other* factors, which is finite (and usually nonzero) at a zero.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.dtypes import WIDER_ACCUMULATOR
from tinygrad_np.function import Function
from tinygrad_np.ops.join import Cat
from tinygrad_np.ops.reduce import c_ordered
from tinygrad_np.ops.select import select

_STEPS = {np.cumsum: np.add, np.cumprod: np.multiply}


def _accumulated(accumulate, x, axis: int):
    """A running sum or product in a wider float, as PyTorch's CPU kernels (float32 in
    float64, float16 in float32): a million float32 steps of 0.1 end at 100000, not 100958.

    NumPy accumulates one lane (a line along `axis`) at a time, about a microsecond each: with
    many short lanes ((64, 100, 128) along 1: 8,192 lanes of 100) a loop along the axis, one
    vectorised step over every lane at once, is ten times faster (the same additions)."""
    wider = WIDER_ACCUMULATOR.get(x.dtype)  # an integer dtype is kept (NumPy would give int64)
    length = x.shape[axis] if x.ndim else 0
    step = _STEPS.get(accumulate) if x.dtype.kind == "f" else None
    if step is not None and x.size >= 2 * length * length > 0:
        running = x.astype(wider or x.dtype, order="C")
        lanes = np.moveaxis(running, axis, 0)
        for i in range(1, length):
            step(lanes[i - 1], lanes[i], out=lanes[i])
        return running.astype(x.dtype, copy=False)
    return c_ordered(accumulate(x, axis=axis, dtype=x.dtype if x.dtype.kind in "iu" else None)
                     if wider is None else accumulate(x, axis=axis, dtype=wider).astype(x.dtype))


def reverse_cumsum(x, axis: int):
    """sum of x[j] for j >= i along `axis` (the transpose of cumsum), for arrays or Tensors."""
    if xp.is_tensor(x):
        return x.flip(axis).cumsum(axis).flip(axis)
    return np.flip(_accumulated(np.cumsum, np.flip(x, axis), axis), axis)


def reverse_logcumsumexp(x, axis: int):
    """log sum of exp(x[j]) for j >= i along `axis`, for arrays or Tensors."""
    if xp.is_tensor(x):
        return x.flip(axis).logcumsumexp(axis).flip(axis)
    return np.flip(np.logaddexp.accumulate(np.flip(x, axis), axis=axis), axis)


def _cumprod(x, axis: int):
    return x.cumprod(axis) if xp.is_tensor(x) else np.cumprod(x, axis=axis)


def reduced_shape(shape: tuple[int, ...], axes) -> tuple[int, ...]:
    """`shape` without the axes in `axes` (a tuple of non-negative ints, or None for all)."""
    return () if axes is None else tuple(s for i, s in enumerate(shape) if i not in axes)


def _others_along_last(x):
    """Tensor x: out[..., i] = prod of x[..., k] for k != i, as exclusive running products
    from both ends (no division, so exact and differentiable at zeros)."""
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    last = x.ndim - 1
    left = Cat.apply(ones, x[..., :-1], last).cumprod(last)
    right = Cat.apply(x[..., 1:], ones, last).flip(last).cumprod(last).flip(last)
    return left * right


def _array_others_along_last(x: np.ndarray) -> np.ndarray:
    """`_others_along_last` for an array (exact where an element is 0 or inf, as PyTorch)."""
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return left * right


def _product_of_others(x, axes: tuple[int, ...]):
    """Each element's product of the other elements over `axes` (a Tensor: create_graph)."""
    rest = [axis for axis in range(x.ndim) if axis not in axes]
    moved = x.transpose(tuple(rest) + axes) if isinstance(x, np.ndarray) else \
        x.permute(tuple(rest) + axes)
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    others = (_array_others_along_last(flat) if isinstance(x, np.ndarray) else
              _others_along_last(flat)).reshape(moved.shape)
    back = tuple(np.argsort(rest + list(axes)))
    return others.transpose(back) if isinstance(x, np.ndarray) else others.permute(back)


def _cumprod_grad_with_zeros(x, grad_output, axis: int):
    """Tensor x: dx_i = prod_{k<i} x_k * sum_{j>=i} g_j prod_{i<k<=j} x_k, from an n x n
    table of running products (no division), so it stays differentiable at zeros."""
    x, grad_output = x.movedim(axis, -1), grad_output.movedim(axis, -1)
    size = x.shape[-1]
    later = np.arange(size) > np.arange(size)[:, None]  # [i, j]: j > i
    table = select(later, x.unsqueeze(-2), 1).cumprod(x.ndim)  # prod_{i<k<=j} x_k for j > i
    tail = (grad_output.unsqueeze(-2) * select(later | np.eye(size, dtype=bool), table, 0))
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    head = Cat.apply(ones, x[..., :-1], x.ndim - 1).cumprod(x.ndim - 1)  # prod_{k<i} x_k
    return (head * tail.sum(-1)).movedim(-1, axis)


@xp.quiet  # inf + -inf is NaN, silently, as in PyTorch
class Cumsum(Function):
    """y_i = sum_{j<=i} x_j along axis;  dx_i = sum_{j>=i} g_j."""

    def forward(ctx, x, axis):
        ctx.axis = axis
        y = _accumulated(np.cumsum, x, axis)
        if y.dtype.kind == "f":  # PyTorch's running sum starts at +0: -0.0 sums to 0.0
            y += 0.0
        return y

    def backward(ctx, grad_output):
        return reverse_cumsum(grad_output, ctx.axis)


@xp.quiet
class Cumprod(Function):
    """y_i = prod_{j<=i} x_j along axis;  dx_i = sum_{j>=i} g_j prod_{k<=j, k!=i} x_k.

    Before the first zero z that is sum_{i<=j<z} g_j y_j / x_i (y_j from z on is 0, also
    where an inf after z makes it NaN, as PyTorch); at z it is the same sum with x_z taken as
    1; after z it is 0.
    """

    def forward(ctx, x, axis):
        ctx.axis = axis
        y = _accumulated(np.cumprod, x, axis)
        zeros_so_far = np.cumsum(x == 0, axis=axis)
        ctx.before = zeros_so_far == 0  # positions before the first zero
        ctx.first = (x == 0) & (zeros_so_far == 1)  # the first zero itself
        ctx.has_zero = bool(ctx.first.any())
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        axis = ctx.axis
        if x.shape[axis] == 1:  # a copy: g itself, also at inf and NaN (as PyTorch)
            return grad_output
        if not ctx.has_zero:
            return reverse_cumsum(grad_output * y, axis) / x
        if xp.is_tensor(x):  # create_graph: the form that stays differentiable at zeros
            return _cumprod_grad_with_zeros(x, grad_output, axis)
        at_zero = reverse_cumsum(grad_output * _cumprod(select(ctx.first, 1, x), axis), axis)
        before_zero = reverse_cumsum(select(ctx.before, grad_output * y, 0), axis)
        return select(ctx.before, before_zero / select(ctx.before, x, 1),
                      select(ctx.first, at_zero, 0))


def _half_product(x, axes):
    """A float16 product (keepdims) in PyTorch's CPU order, each product rounded to float16:
    over an outer axis element after element; over the last (contiguous) axis its vector
    loop's: 64 lanes (4 vectors of 16) multiplied down the row in steps of 64, the four
    vectors then multiplied pairwise, their 16 lanes one after another, then the elements
    past the last step one by one (measured). Other axis sets: NumPy's product."""
    last = len(axes) == 1 and axes[0] in (-1, x.ndim - 1) or len(axes) == x.ndim
    if len(axes) != 1 and not last or not x.size:
        return np.prod(x, axis=axes, keepdims=True)
    if not last:  # an outer axis: the lanes are the other elements, multiplied in order
        moved = np.moveaxis(x, axes[0], 0)
        product = np.ones(moved.shape[1:], np.float16)
        for row in moved:
            product = product * row
        return np.expand_dims(product, axes[0])
    rows = x.reshape(-1, x.shape[-1]) if len(axes) == 1 else x.reshape(1, -1)
    steps = rows.shape[1] // 64
    product = np.ones(len(rows), np.float16)
    if steps:
        lanes = rows[:, :64].copy()
        for step in range(1, steps):
            lanes *= rows[:, 64 * step:64 * step + 64]
        lanes = (lanes[:, :16] * lanes[:, 16:32]) * (lanes[:, 32:48] * lanes[:, 48:])
        for lane in range(16):
            product = product * lanes[:, lane]
    for column in range(64 * steps, rows.shape[1]):
        product = product * rows[:, column]
    return product.reshape(np.sum(x, axis=axes, keepdims=True).shape)


@xp.quiet
class Prod(Function):
    """y = prod(x over axes);  dx = g * (product of the other elements).

    That is g y / x where no element is zero; with a zero, the exact product of the others
    (0 * inf is NaN there, as PyTorch); PyTorch's prod over all elements with two or more zeros
    gives 0 everywhere.
    """

    def forward(ctx, x, axes, keepdims):
        ctx.every = axes is None
        ctx.axes = tuple(range(x.ndim)) if axes is None else axes
        y = _half_product(x, ctx.axes) if x.dtype == np.float16 else np.prod(
            x, axis=ctx.axes, keepdims=True, dtype=x.dtype if x.dtype.kind in "iu" else None)
        ctx.zero = x == 0
        ctx.zero_count = ctx.zero.sum(axis=ctx.axes, keepdims=True)
        ctx.keep_shape = y.shape
        y = c_ordered(y if keepdims else y.reshape(reduced_shape(x.shape, ctx.axes)))
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        grad_output, y = grad_output.reshape(ctx.keep_shape), y.reshape(ctx.keep_shape)
        if not ctx.zero_count.any():
            return grad_output * (y / x)  # (PyTorch's order)
        if ctx.every and ctx.zero_count.item() > 1 and not xp.is_tensor(x):
            return np.zeros_like(x)
        return grad_output * _product_of_others(x, ctx.axes)


@xp.quiet
class Norm2(Function):
    """y = sqrt(sum x^2 over axes);  dx = g (x / y)  (0 where y = 0, as PyTorch).

    At y = 0 the second derivative does not exist: NaN under create_graph, as PyTorch's norm;
    with `flat` (std's use, as PyTorch's std) 0 there.
    """

    def forward(ctx, x, axes, keepdims, flat=False):  # float16: x^2 summed in float32 (PyTorch)
        ctx.flat = flat
        wide = x.astype(np.float32) if x.dtype == np.float16 else x
        y = np.sqrt(np.sum(wide * wide, axis=axes, keepdims=True)).astype(x.dtype, copy=False)
        ctx.keep_shape = y.shape
        ctx.zero = y == 0
        y = c_ordered(y if keepdims else y.reshape(reduced_shape(x.shape, axes)))
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        y = y.reshape(ctx.keep_shape)
        grad_output = grad_output.reshape(ctx.keep_shape)
        if not xp.is_tensor(x):  # g (x / y): PyTorch's order (float32 and float16 bits)
            return grad_output * (x / (y + ctx.zero))
        # create_graph: the unselected branch's derivative is 0/0 = NaN at y = 0 (flat: 0)
        # (0 * g * x there: NaN for an inf g, as without create_graph and PyTorch's)
        return select(ctx.zero, grad_output * x * 0, grad_output * (x / (
            y + ctx.zero if ctx.flat else y)))


@xp.quiet
class LogCumSumExp(Function):
    """y_i = log sum_{j<=i} exp(x_j) along axis;  dx_j = sum_{i>=j} g_i exp(x_j - y_i).

    The forward is NumPy's exact running logaddexp. The backward sums the positive and the
    negative g_i apart, as exp(x_j + log sum_{i>=j} exp(log|g_i| - y_i)) (PyTorch's way):
    each term is at most sum |g_i|, so nothing overflows at +-1000.
    """

    def forward(ctx, x, axis):
        ctx.axis = axis
        y = _accumulated(np.logaddexp.accumulate, x, axis) + 0  # (-0.0 first: 0.0, PyTorch's)
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        if not y.size:  # (np.max of nothing fails)
            return grad_output, None
        if not xp.is_tensor(grad_output):
            return _logcumsumexp_grad(x, y, grad_output, ctx.axis), None
        # Recorded (create_graph): the rule is linear in g, but log|g| is not smooth at 0, and
        # a part absent at some places (the lowest float there) loses the higher derivatives,
        # so g is shifted by a constant c that keeps g + c > 0: F(g + c) - F(c)
        values = grad_output._data
        shift = np.where(values == 0, 1, 2 * np.abs(values)).astype(values.dtype)
        return (_logcumsumexp_grad(x, y, grad_output + shift, ctx.axis)
                - _logcumsumexp_grad(x, y, shift, ctx.axis)), None


def _logcumsumexp_grad(x, y, grad_output, axis: int):
    """sum_{i>=j} g_i exp(x_j - y_i), the positive and the negative g_i apart, as
    exp(x_j + log sum_{i>=j} exp(log|g_i| - y_i)): each term is at most sum |g_i|."""
    grad, lowest = 0, np.finfo(y.dtype).min
    # Measured from the largest y (a constant: the sum does not depend on it), so that
    # x and y of 1e10 do not swallow log|g| (exp(log 0.5 - 1e10 + 1e10) would be 1)
    top = np.max(np.asarray(getattr(y, "_data", y)), axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0).astype(y.dtype)
    for sign in (1, -1):
        part = np.asarray(grad_output * sign > 0)
        if sign == -1 and xp.is_tensor(grad_output) and not part.any():
            break  # (create_graph's shifted g: no negative part, nothing to differentiate)
        # Where the part is absent: log(1), so its derivative stays finite, replaced by the
        # lowest float, not -inf (-inf - y would be NaN where y is -inf, in create_graph's
        # backward of this rule, and a NaN there would hide the other part's gradient)
        log_part = select(part, xp.log(select(part, grad_output * sign, 1)), lowest)
        grad = grad + sign * xp.exp(
            reverse_logcumsumexp(log_part - (y - top), axis) + (x - top))
    return grad
