"""`tensor ** number` for float tensors, as PyTorch's CPU kernel (pow_tensor_scalar) computes it.

PyTorch does not call one pow: exponent 0 fills ones, 1 copies, and for float32/float64
0.5 is sqrt, -0.5 is 1 / sqrt (so (-0.0) ** -0.5 is -inf and (-inf) ** 0.5 NaN), -1 is
1 / x, 2 is x * x, 3 is x * x * x and -2 is 1 / (x * x), each rounded as written (NumPy's
power rounds x ** 3 once: ~30 % of the elements 1 ulp apart). Any other float32 exponent is
rounded to float32 in its vector loop (SLEEF's powf, within 1 ulp: here pow in float64,
rounded once) and kept exact in its scalar loop, which computes the elements past the last
whole vector of a contiguous tensor in double. float16 has none of the special cases: pow
in float32 with the exponent rounded to float16, rounded once ((-inf) ** 0.5 is inf,
(-0.0) ** 0.5 is 0.0). The gradient is PyTorch's `g * (p * x.pow(p - 1))` with that same
kernel, and exactly 0 for p = 0.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.ops import arithmetic
from tinygrad_np.ops.opmath import scalar_tail

_FLOAT16, _FLOAT32 = np.dtype(np.float16), np.dtype(np.float32)


def scalar_power(x: np.ndarray, exponent: float) -> np.ndarray:
    """x ** exponent (a float array, a Python number) with PyTorch's CPU rounding."""
    if exponent == 0:
        return np.ones_like(x)
    if exponent == 1:
        return x.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if x.dtype == _FLOAT16:
            wide = x.astype(np.float64)
            if exponent == 0.5:  # (NumPy's power takes sqrt here: C's pow is +0 at -0, inf at -inf)
                wide = np.where(wide == -np.inf, np.inf, wide) + 0.0
            wide = np.power(wide, float(np.float16(exponent)))
            return wide.astype(_FLOAT32).astype(_FLOAT16)
        one = x.dtype.type(1)
        special = {0.5: np.sqrt, -0.5: lambda v: one / np.sqrt(v), -1: lambda v: one / v,
                   2: lambda v: v * v, 3: lambda v: v * v * v, -2: lambda v: one / (v * v)}
        if exponent in special:
            return np.asarray(special[exponent](x))
        if x.dtype != _FLOAT32:
            return np.power(x, exponent)
        result = np.power(x.astype(np.float64), float(np.float32(exponent))).astype(_FLOAT32)
        tail = scalar_tail(x.size, x.dtype)
        if tail and x.flags.c_contiguous and float(np.float32(exponent)) != exponent:
            ends = np.power(x.reshape(-1)[-tail:].astype(np.float64), exponent)
            result.reshape(-1)[-tail:] = ends.astype(_FLOAT32)
        return np.asarray(result)


class Pow(arithmetic.Pow):
    """y = x ** p for a Python number p (PyTorch's kernel, `scalar_power`);
    dx = g * (p * x.pow(p - 1)) in PyTorch's steps, 0 where p = 0."""

    def forward(ctx, x, exponent):
        ctx.save_for_backward(x)
        ctx.exponent = exponent
        return scalar_power(x, exponent)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:
            return grad_output * 0 if xp.is_tensor(x) else np.zeros_like(grad_output), None
        if xp.is_tensor(x):  # create_graph: recorded through the same op
            return grad_output * (x ** (p - 1) * p), None
        return grad_output * arithmetic._times(p, scalar_power(x, p - 1)), None
