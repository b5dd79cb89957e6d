"""Elementwise functions of one tensor: exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu, clip.

Where the derivative is easiest in terms of the output (exp, sqrt, tanh, sigmoid, relu), the
output is saved rather than the input.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function

_FLOAT16 = np.dtype(np.float16)


def sign(x: np.ndarray) -> np.ndarray:
    """PyTorch's sign: NumPy's, with 0 (not NaN) at NaN."""
    return np.nan_to_num(np.sign(x), nan=0.0) if x.dtype.kind in "fc" else np.sign(x)


@xp.quiet
class Exp(Function):
    """y = exp(x);  dx = g * y."""

    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


@xp.quiet
class Log(Function):
    """y = log(x);  dx = g / x."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / x


@xp.quiet
class Sqrt(Function):
    """y = sqrt(x);  dx = g / (2 y)."""

    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output / (2 * y)


@xp.quiet
class Reciprocal(Function):
    """y = 1 / x (float for integer x);  dx = -g * y**2."""

    def forward(ctx, x):
        y = 1.0 / x
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return -grad_output * (y * y)  # (PyTorch's order: its float16 and float32 roundings)


@xp.quiet
class ReciprocalTimes(Function):
    """y = (1 / x) * c, PyTorch's `c / x` (two roundings, not a division);  dx = -(g c) / x**2."""

    def forward(ctx, x, c):
        ctx.save_for_backward(x, c)  # (x, not 1/x: a saved value must be an input or the output)
        return (1.0 / x) * c  # (NumPy reuses the temporary in place for large arrays)

    def backward(ctx, grad_output):
        x, c = ctx.saved_tensors
        reciprocal = 1.0 / x
        return -(grad_output * c) * (reciprocal * reciprocal), None


@xp.quiet
class Rsqrt(Function):
    """y = 1 / sqrt(x);  dx = -g * y**3 / 2 (as PyTorch: (g * -0.5) * y**3, float16's y
    and y**3 computed in float32 and rounded once)."""

    def forward(ctx, x):
        y = 1.0 / np.sqrt(x) if x.dtype is not _FLOAT16 else (
            1.0 / np.sqrt(x.astype(np.float32))).astype(_FLOAT16)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        wide = y.astype(np.float32) if y.dtype is _FLOAT16 else y
        return grad_output * -0.5 * (wide * wide * wide).astype(y.dtype)


class Abs(Function):
    """y = |x|;  dx = g * sign(x)  (0 at x = 0 and at NaN, as PyTorch)."""

    mask_only = True  # (ops/masked.py)

    def forward(ctx, x):
        ctx.sign, ctx.saved_versions = sign(x), xp.KEPT  # (a constant under create_graph)
        return np.abs(x)

    def backward(ctx, grad_output):
        return grad_output * ctx.sign


def rounded_once(function, x):
    """function(x), a float32 array's in float64 and rounded once: PyTorch's float32 sin, cos,
    tan, sinh, cosh, atan, atan2, log10, log1p, exp2, expm1 are within about 1 ulp of the
    exact value, NumPy's float32 loops 2-3 ulps off it (10-30 % of values apart from
    PyTorch's, 0.1-6 % so). Not used for exp, log, tanh, sigmoid: the hot path."""
    if type(x) is np.ndarray and x.dtype == np.float32:
        return function(x.astype(np.float64)).astype(np.float32)
    return function(x)


@xp.quiet
class Sin(Function):
    """y = sin(x);  dx = g * cos(x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return rounded_once(np.sin, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x.cos() if xp.is_tensor(x) else rounded_once(np.cos, x))


@xp.quiet
class Cos(Function):
    """y = cos(x);  dx = -g * sin(x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return rounded_once(np.cos, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -grad_output * (x.sin() if xp.is_tensor(x) else rounded_once(np.sin, x))


class Tanh(Function):
    """y = tanh(x);  dx = g * (1 - y**2)."""

    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        if y.dtype is _FLOAT16:  # in float32, rounded once, as PyTorch
            wide = y.astype(np.float32)
            return (grad_output.astype(np.float32) * (1 - wide * wide)).astype(_FLOAT16)
        return grad_output * (1 - y * y)


@xp.quiet
class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  dx = g * y * (1 - y).

    float16 is computed in float32 and rounded once; the gradient is computed in PyTorch's
    order, g * (1 - y) * y (float16 in float16 steps, as PyTorch's CPU kernel).

    Computed as exp(-log(1 + exp(-x))) with logaddexp, which never overflows: x = -1000 gives
    0 and x = +1000 gives 1, with no warning, and small values keep full relative precision.
    """

    def forward(ctx, x):
        y = xp.sigmoid(x) if x.dtype is not _FLOAT16 else xp.sigmoid(
            x.astype(np.float32)).astype(_FLOAT16)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (1 - y) * y


class ReLU(Function):
    """y = max(x, 0);  dx = g where x > 0, else 0 (a NaN passes g, as in PyTorch)."""

    mask_only = True  # (ops/masked.py)

    def forward(ctx, x):
        y = np.zeros_like(x)  # -0.0 stays -0.0, as PyTorch: NumPy's float16 loop keeps the
        # first of a tie, its others the second; two arrays: 2x its scalar loop (4x at 1M)
        np.maximum(*((x, y) if x.dtype is _FLOAT16 else (y, x)), out=y)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return xp.masked(y != 0, grad_output)  # y >= 0 or NaN


class Clip(Function):
    """y = min(max(x, lo), hi);  dx = g where lo <= x <= hi, else 0.

    Tensor bounds get gradients as in PyTorch: dlo = g where x < lo < hi, dhi = g where
    x > hi or hi < lo (when lo > hi, y is hi everywhere).
    """

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    mask_only = True  # (ops/masked.py)

    def forward(ctx, x, lo, hi):
        inside = np.ones(np.broadcast_shapes(*(np.shape(a) for a in (x, lo, hi)
                                               if a is not None)), dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.inside, ctx.saved_versions = inside, xp.KEPT
        if ctx.needs_input_grad[1]:
            ctx.below = (x < lo) & (True if hi is None else lo < hi)
        if ctx.needs_input_grad[2]:
            ctx.above = (x > hi) | (False if lo is None else hi < lo)
        y = np.clip(x, lo, hi)
        return xp.where(inside, x, y) if y.dtype is x.dtype else y  # (-0.0 stays -0.0)

    def backward(ctx, grad_output):
        inside = ctx.inside
        grad_lo = xp.masked(ctx.below, grad_output) if ctx.needs_input_grad[1] else None
        grad_hi = xp.masked(ctx.above, grad_output) if ctx.needs_input_grad[2] else None
        return xp.masked(inside, grad_output), grad_lo, grad_hi

    def _pytorch_node(ctx):  # (clamp of numbers; Tensor.clamp names its tensor bounds' form)
        return "ClampBackward1"
