"""float16 arithmetic with a scalar as PyTorch's CPU kernels compute it ("opmath").

PyTorch multiplies and divides a float16 tensor by a scalar (a Python number, a NumPy
scalar, or a 0-d tensor of another dtype as the second operand) in float32 and rounds once:
`tensor([0.001], dtype=float16) * 70000` is 70.0 where rounding 70000 to float16 first gives
inf, and about 40 % of `x * 0.1` would be 1 ulp off. add/sub with alpha compute
a + alpha * b in float32 too (alpha rounded to float16 there, the number itself in the
gradient; the elements past the last whole vector, which PyTorch's scalar loop computes,
with alpha * b rounded to float16 first). These are the arithmetic ops of that case, with
the same names (`MulBackward0`): the scalar arrives as a 0-d float32 array, and the result
and the gradients of float16 inputs are rounded to float16 (the gradients are the same
opmath products, as PyTorch's).
"""

from __future__ import annotations

import platform

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops import arithmetic, math

_FLOAT16, _FLOAT32 = np.dtype(np.float16), np.dtype(np.float32)


def _half(value):
    """A result or gradient computed in float32, rounded to float16 (None stays None; past
    65504 it is inf, silently, as PyTorch)."""
    if value is None:
        return None
    with np.errstate(over="ignore"):
        return value.astype(_FLOAT16)


def _single(value):
    """The scalar's gradient in its float32 dtype (None stays None)."""
    return value if value is None else value.astype(_FLOAT32)


@xp.quiet  # 0 * inf is NaN, silently (the float16 path can afford it)
class Mul(arithmetic.Mul):
    """y = a * s in float32, rounded;  da = g * s likewise,  ds = g * a (float32)."""

    def forward(ctx, a, b):
        return _half(arithmetic.Mul.forward(ctx, a, b))

    def backward(ctx, grad_output):
        grad_a, grad_b = arithmetic.Mul.backward(ctx, grad_output)
        return _half(grad_a), _single(grad_b)


@xp.quiet  # x / 0 is inf (0 / 0 NaN), silently, as Div
class Div(arithmetic.Div):
    """y = a / s in float32, rounded;  da = g / s likewise,  ds = -g a / s**2 (float32)."""

    def forward(ctx, a, b):
        return _half(arithmetic.Div.forward(ctx, a, b))

    def backward(ctx, grad_output):
        grad_a, grad_b = arithmetic.Div.backward(ctx, grad_output)
        return _half(grad_a), _single(grad_b)


@xp.quiet  # x // 0 is inf, silently, as FloorDivide
class FloorDivide(math.FloorDivide):
    """y = floor(a / s) in float32, rounded (no gradient, as FloorDivide)."""

    def forward(ctx, a, b):
        return _half(math.FloorDivide.forward(ctx, a, b))


@xp.quiet  # (inf - inf is NaN, silently)
class Add(Function):
    """y = a + alpha b in float32 (alpha rounded to float16, as PyTorch's kernel), rounded;
    da = g,  db = g * alpha (the number, in float32, rounded: PyTorch's AddBackward)."""

    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha  # (a number: no saved tensor)
        wide = np.float32(np.float16(alpha)) * np.asarray(b, _FLOAT32)
        return _scalar_loop_tail(_half(np.add(a, wide, dtype=_FLOAT32)), a, b, wide)

    def backward(ctx, grad_output):
        if not ctx.needs_input_grad[1]:
            return grad_output, None
        return grad_output, _half(grad_output * np.float32(ctx.alpha))


def _float16_lanes() -> int:
    """float16 values per iteration of PyTorch's vector loop on x86 CPUs: 32, with AVX-512
    (one vector) and with AVX2 (two; both measured); 0 (no tail to emulate) elsewhere."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # (NumPy 1)
        from numpy.core._multiarray_umath import __cpu_features__ as features
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return 0
    return 32 if features.get("AVX2") or features.get("AVX512F") else 0


_LANES = _float16_lanes()


def scalar_tail(size: int, dtype: np.dtype) -> int:
    """How many elements at the end of a contiguous `size`-element result the scalar loop of
    PyTorch's cpu_kernel_vec computes: its vector loop steps by two vectors (2 x 64 bytes
    with AVX-512, 2 x 32 with AVX2: float32 by 32 or 16, float16 by 64 or 32, measured for
    pow and gelu); 0 off x86 (no tail emulated). (add with alpha steps float16 by 32.)"""
    if not _LANES:
        return 0
    return size % ((128 if _AVX512 else 64) // np.dtype(dtype).itemsize)


def _has_avx512() -> bool:
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # (NumPy 1)
        from numpy.core._multiarray_umath import __cpu_features__ as features
    return bool(features.get("AVX512F"))


_AVX512 = _has_avx512()


def _scalar_loop_tail(result, a, b, wide):
    """add with alpha: PyTorch's vector loop covers the whole vectors of a contiguous result;
    the elements past the last one go through its scalar loop, whose float16 arithmetic
    rounds alpha * b to float16 before adding. Those (a C-contiguous `a`, `b` of its shape or
    one element) are recomputed so; other layouts keep the vector loop's rounding."""
    tail = result.size % _LANES if _LANES else 0
    if not tail or result.shape != np.shape(a) or not result.flags.c_contiguous:
        return result
    if not (np.asarray(a).flags.c_contiguous and (np.size(b) == 1 or np.shape(b) == np.shape(
            a) and np.asarray(b).flags.c_contiguous)):
        return result
    product = _half(np.ravel(wide)[-tail:])  # (one element: broadcast in the sum)
    ends = _half(np.ravel(a)[-tail:].astype(_FLOAT32) + product.astype(_FLOAT32))
    if result.ndim == 0:  # (a NumPy scalar: nothing to write into)
        return ends.reshape(())
    result.reshape(-1)[-tail:] = ends
    return result


class Sub(Add):
    """y = a - alpha b: Add with -alpha."""

    def forward(ctx, a, b, alpha):
        return Add.forward(ctx, a, b, -alpha)


class Addcmul(Function):
    """y = s + value a b in float32, rounded once (value a in float32 first, then one fused
    multiply-add, as PyTorch's vectorized kernel);  ds = g,  da = g (b value),
    db = g (a value), each product rounded to float16 (PyTorch's formula, step by step)."""

    def forward(ctx, s, a, b, value):
        ctx.save_for_backward(a, b)
        ctx.value = value
        scaled = np.float32(value) * np.asarray(a, _FLOAT32)
        fused = scaled.astype(np.float64) * b + np.asarray(s, np.float64)
        return _half(fused.astype(_FLOAT32))

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (grad_output, grad_output * _times(b, ctx.value) if need[1] else None,
                grad_output * _times(a, ctx.value) if need[2] else None)


class Addcdiv(Function):
    """y = s + value a / b in float32, rounded once;  ds = g,  da = g (value / b),
    db = -g (value a / (b b)), step by step in float16 (PyTorch's formula)."""

    def forward(ctx, s, a, b, value):
        ctx.save_for_backward(a, b)
        ctx.value = value
        wide = np.float32(value) * np.asarray(a, _FLOAT32) / np.asarray(b, _FLOAT32)
        return _half(np.asarray(s, _FLOAT32) + wide)

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad_a = grad_output * _times(1.0 / b, ctx.value) if need[1] else None
        grad_b = -grad_output * (_times(a, ctx.value) / (b * b)) if need[2] else None
        return grad_output, grad_a, grad_b


def _times(tensor, number):
    """tensor * number (a float16 array or Tensor), in float32 and rounded once."""
    if type(tensor) is np.ndarray and tensor.dtype is _FLOAT16:
        return _half(tensor * np.float32(number))
    return tensor * number  # (a Tensor: opmath's Mul)


@xp.quiet  # (an infinite end: inf - inf is NaN, silently, as lerp)
class Lerp(Function):
    """y = base + coeff (end - start) as one fused multiply-add in float32, rounded once
    (PyTorch's vectorized kernel: base, coeff = start, w below 0.5, else end, w - 1; w a
    number);  dstart = g (1 - w),  dend = g w (opmath products, rounded)."""

    def forward(ctx, start, end, weight):
        ctx.weight = weight
        small = abs(weight) < 0.5
        difference = np.subtract(end, start, dtype=_FLOAT32).astype(np.float64)
        coeff = np.float32(weight) - np.float32(0.0 if small else 1.0)  # (w - 1 in float32)
        coeff = np.float64(coeff)
        fused = coeff * difference + np.asarray(start if small else end, np.float64)
        return _half(fused.astype(_FLOAT32))

    def backward(ctx, grad_output):
        need = ctx.needs_input_grad
        return (_times(grad_output, 1 - ctx.weight) if need[0] else None,
                _times(grad_output, ctx.weight) if need[1] else None)


@xp.quiet  # (inf - inf is NaN, silently)
class MseLoss(Function):  # (grad_fn MseLossBackward0, as PyTorch)
    """float16 mse_loss as PyTorch's CPU kernels: l = (x - t)^2 per element (each op rounded),
    summed in float32 ('mean' divides there), rounded once;  dx = n (x - t) g with
    n = 2 (2 / numel for 'mean') rounded to float16 and every product rounded,
    dt = n (t - x) g."""

    def forward(ctx, x, t, reduction):
        ctx.save_for_backward(x, t)
        ctx.reduction = reduction
        difference = np.subtract(x, t)
        losses = difference * difference
        if reduction == "none":
            return losses
        total = np.sum(losses, dtype=_FLOAT32)
        return _half(total / _FLOAT32.type(losses.size) if reduction == "mean" else total)

    def backward(ctx, grad_output):
        x, t = ctx.saved_tensors
        count = np.size(x) if ctx.reduction == "mean" else 1
        norm = np.float16(2.0 / count if count else np.nan)
        need, norm = ctx.needs_input_grad, float(norm)  # (Tensors with create_graph: the same)
        return ((norm * (x - t)) * grad_output if need[0] else None,
                (norm * (t - x)) * grad_output if need[1] else None)  # (t - x: +0 where x = t)


class PowScalarBase(arithmetic.Pow):
    """y = s ** x for a positive number s (given as `s`, the float16 0-d array, and `base`);
    dx = g (y log s) with log s a float32 number, as PyTorch's pow_backward_exponent
    (log s rounded to float16 first put about a third of the gradients 1-2 ulps off)."""

    def forward(ctx, s, x, base):
        ctx.log_base = float(np.log(base))
        return arithmetic.Pow.forward(ctx, s, x)

    def backward(ctx, grad_output):
        _, _, y = ctx.saved_tensors
        return None, grad_output * _times(y, ctx.log_base) if ctx.needs_input_grad[1] else None


@xp.quiet  # (all -inf: log(0) = -inf, silently, as logsumexp)
class Logsumexp(Function):  # (grad_fn LogsumexpBackward0, as PyTorch)
    """float16 y = log(sum(exp(x - m))) + m over `axes` (each op rounded to float16, the sum
    in float32);  dx = g exp(x - y), step by step in float16 (PyTorch's logsumexp_backward;
    through the composed ops ~75 % of the gradients were 1-10 ulps off)."""

    def forward(ctx, x, axes, keep):
        shift = np.max(x, axis=axes, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0).astype(x.dtype)
        total = np.sum(np.exp(x - shift), axis=axes, keepdims=True, dtype=_FLOAT32)
        ctx.y = np.log(_half(total)) + shift  # (kept: the reduced axes as size 1)
        ctx.save_for_backward(x)
        ctx.axes, ctx.keep = axes, keep
        return ctx.y if keep else ctx.y.reshape(np.sum(x, axis=axes).shape)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad_output = grad_output.reshape(ctx.y.shape)
        if xp.is_tensor(x):  # create_graph: y recomputed from x, so it is differentiated too
            return grad_output * (x - x.logsumexp(ctx.axes, keepdim=True)).exp(), None, None
        return grad_output * np.exp(x - ctx.y), None, None


class Spread(Function):
    """var or std (`value`, computed outside) with PyTorch's gradient: var: ((2 / dof) g)
    (x - mean(x)), std: var's with g / (2 y) (0 where y = 0); float16 in float16 steps, each
    op rounded (the float32 rule put ~30 % of the gradients 1-5 ulps off). Other dtypes use
    it where x has an inf (the composed rule's mean term is NaN there, PyTorch's -+inf)."""

    def forward(ctx, x, value, op, dims, correction):
        ctx.save_for_backward(x)
        ctx.op, ctx.dims, ctx.correction, ctx.value = op, dims, correction, value
        return value.copy()

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if xp.is_tensor(x):  # create_graph: the composed rule, recorded
            y = getattr(x, ctx.op)(ctx.dims, correction=ctx.correction, keepdim=True)
            return _spread_rule(x, grad_output, y, ctx), None
        y = ctx.value
        return _spread_rule(x, grad_output, y, ctx), None


def _spread_rule(x, grad_output, y, ctx):
    """PyTorch's var_backward / std_backward on arrays (or Tensors), y the result."""
    kept = np.sum(np.empty(x.shape, np.bool_), axis=ctx.dims, keepdims=True).shape
    grad, y = grad_output.reshape(kept), y.reshape(kept)
    count = int(np.prod(x.shape)) // max(int(np.prod(kept)), 1)
    dof = count - ctx.correction
    if ctx.op == "std":
        grad = grad / (y * 2)
        grad = grad.masked_fill(y == 0, 0) if xp.is_tensor(grad) else np.where(
            y == 0, np.float16(0), grad)
    if xp.is_tensor(x):
        mean = x.mean(ctx.dims, keepdim=True)
    elif x.dtype is not _FLOAT16:
        mean = np.mean(x, axis=ctx.dims, keepdims=True)
    else:
        mean = _half(np.sum(x, axis=ctx.dims, keepdims=True, dtype=_FLOAT32) / _FLOAT32.type(
            count))
    if dof <= 0 and (ctx.dims is None or not x.ndim):  # over everything: g * inf, NaN at
        data, centre = (v._data if xp.is_tensor(v) else v for v in (x, mean))  # the mean
        marks = np.where(data == centre, np.nan, np.inf).astype(data.dtype)
        return grad * (type(grad)(marks) if xp.is_tensor(grad) else marks)
    return _times(grad, 2.0 / dof if dof else np.inf) * (x - mean)  # (signed, unclamped)


@xp.quiet  # (inf at x = inf with y < 1, silently, as PyTorch)
class BinaryCrossEntropyWithLogits(Function):
    """float16 loss = (1 - y) x + max(-x, 0) + log(1 + exp(-|x|)) per element (each op
    rounded), reduced in float32 and rounded once;  dx = (sigmoid(x) - y) g, dy = -x g, each
    product rounded, then / numel in float32 for 'mean' (PyTorch's backward, step by step)."""

    def forward(ctx, x, y, reduction):
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        losses = (1 - y) * x + np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        if reduction == "none":
            return losses
        total = np.sum(losses, dtype=_FLOAT32)
        return _half(total / _FLOAT32.type(losses.size) if reduction == "mean" else total)

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        need, count = ctx.needs_input_grad, np.size(x) if ctx.reduction == "mean" else 1
        if need[0]:  # (sigmoid in float32, rounded: PyTorch's float16 sigmoid)
            sigmoid = x.sigmoid() if xp.is_tensor(x) else _half(
                1 / (1 + np.exp(-x.astype(_FLOAT32))))
        grad_x = (sigmoid - y) * grad_output if need[0] else None
        grad_y = -x * grad_output if need[1] else None
        if count == 1:
            return grad_x, grad_y
        return _over(grad_x, count), _over(grad_y, count)


def _over(grad, count):
    """grad / count in float32, rounded once (an array), or opmath's Div (a Tensor)."""
    if grad is None or type(grad) is not np.ndarray:
        return grad if grad is None else grad / count
    return _half(grad.astype(_FLOAT32) / _FLOAT32.type(count))
