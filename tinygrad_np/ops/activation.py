"""Activation functions with their own gradient rule: gelu, the elu family (elu, selu, celu),
leaky_relu, hardtanh (relu6), hardsigmoid, hardswish, softplus and logsigmoid.

At a kink each rule takes the one-sided derivative PyTorch takes (written in each docstring),
and every forward is stable for any finite input: exponentials only ever see x <= 0, and
log(1 + exp(x)) is np.logaddexp(0, x). silu, mish, softsign and softmin are compositions
(see Tensor) and need no rule of their own.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.math import erf, sigmoid_in_rule
from tinygrad_np.ops.opmath import scalar_tail

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_SCALE = math.sqrt(2.0 / math.pi)  # the tanh approximation's sqrt(2/pi) (x + 0.044715 x^3)
_TANH_CUBIC = 0.044715
_TANH_CUBIC_3 = float(np.float32(3) * np.float32(_TANH_CUBIC))  # PyTorch's float32 3 * kKappa
SELU_ALPHA = 1.6732632423543772848170429916717  # PyTorch's (and the SELU paper's) constants
SELU_SCALE = 1.0507009873554804934193349852946


def widened(value):
    """A float16 array as float32 (anything else as it is): PyTorch computes float16
    activations in float32 and rounds once at the end; `narrowed` is that rounding."""
    if not xp.is_tensor(value) and getattr(value, "dtype", None) == np.float16:
        return value.astype(np.float32)
    return value


def narrowed(value, like):
    """`value` (from `widened` operands) back in the dtype of the array `like`."""
    if xp.is_tensor(value) or value.dtype == like.dtype:
        return value
    return value.astype(like.dtype)


def _erf(value):
    return value.erf() if xp.is_tensor(value) else erf(value)


def _tanh(value, half=False):
    """tanh inside PyTorch's float32 GELU kernel: in float64, rounded once, and in its vector
    loop (SLEEF's tanhf) +-1 past |x| = 8.664339742, where SLEEF saturates; the scalar loop's
    tail (`scalar_tail`, of float16's steps for `half`) keeps libm's value. NumPy's float32
    tanh is 1 ulp short of +-1 up to |x| = 10; GELU's 1 + tanh and 1 - tanh^2 magnify that."""
    if xp.is_tensor(value) or value.dtype != np.float32:
        return value.tanh() if xp.is_tensor(value) else np.tanh(value)
    wide = np.tanh(value.astype(np.float64))
    saturated = np.abs(value) > np.float32(8.664339742)
    tail = scalar_tail(value.size, np.dtype(np.float16 if half else np.float32))
    if tail and value.flags.c_contiguous:
        saturated.reshape(-1)[-tail:] = False
    return np.where(saturated, np.sign(wide), wide).astype(value.dtype)


@xp.quiet
class GELU(Function):
    """y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2;  dx = g (Phi(x) + x phi(x)).

    approximate='tanh': y = x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, its gradient
    too in PyTorch's steps (NaN at +-inf and where x^2 overflows, as there).
    """

    def forward(ctx, x, approximate, half=False):  # (half: x is a float16 tensor's, widened)
        ctx.save_for_backward(x)
        ctx.approximate, ctx.half = approximate, half
        if approximate == "tanh":
            return 0.5 * x * (1 + _tanh(_TANH_SCALE * (x + _TANH_CUBIC * (x * x * x)), half))
        ctx.erf = erf(x * _SQRT1_2)  # (kept: backward's Phi(x) needs the same values)
        return x * 0.5 * (1 + ctx.erf)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            square = x * x
            t = _tanh(_TANH_SCALE * (x + _TANH_CUBIC * (square * x)), ctx.half)
            cubic_3 = _TANH_CUBIC_3 if x.dtype == np.float32 else 3 * _TANH_CUBIC
            inner_slope = _TANH_SCALE * (1 + cubic_3 * square)
            return grad_output * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_slope), None, None
        square = x * x
        cdf = 0.5 * (1 + (_erf(x * _SQRT1_2) if xp.is_tensor(x) else ctx.erf))
        return grad_output * (cdf + x * xp.exp(-0.5 * square) * _INV_SQRT_2PI), None, None


@xp.quiet
class ELU(Function):
    """y = scale x for x > 0, else scale alpha (exp(x input_scale) - 1);
    dx = g scale for x > 0, else g scale alpha input_scale exp(x input_scale)  (the second
    at x = 0, and g scale at NaN, as PyTorch): from x, not as input_scale (y + scale alpha),
    which cancels to 0 for x << 0; float16 in float32 (exp(-20) underflows), as PyTorch.

    elu is (alpha, 1, 1), selu (1.6733, 1.0507, 1) and celu (alpha, 1, 1 / alpha), as PyTorch.
    At x = 0 the slope is the constant alpha scale input_scale, so the second derivative
    there is 0 (PyTorch's elu_double_backward masks x < 0), not the left branch's curvature.
    """

    def forward(ctx, x, alpha, scale, input_scale):
        positive = x > 0
        negative_part = np.expm1(np.minimum(0, x) * input_scale) * (alpha * scale)  # (-0.0
        # stays -0.0 in this order, as PyTorch's)
        y = xp.where(positive, x * scale, negative_part)
        typed = (y.dtype if y.dtype.kind == "f" else np.dtype(np.float64)).type  # (constants
        slope_at_0 = xp.where(x == 0, typed(alpha * scale * input_scale), typed(0))  # in y's
        ctx.positive_slope = xp.where(~(x <= 0), typed(scale), slope_at_0)  # dtype: no float64
        ctx.negative_input_scale = xp.where(x < 0, typed(input_scale), typed(0))  # (NaN: g)
        ctx.shift = alpha * scale
        ctx.save_for_backward(x)
        return y

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        scale = ctx.negative_input_scale  # x only where x < 0: no exp(inf) at x = inf
        negative = xp.exp(widened(xp.masked(scale != 0, x)) * scale) * (ctx.shift * scale)
        return narrowed(widened(grad_output) * (ctx.positive_slope + negative), x)


@xp.quiet
class LeakyReLU(Function):
    """y = x for x > 0, else negative_slope x;  dx = g times the same factor (slope at 0)."""

    mask_only = True  # (ops/masked.py)

    def forward(ctx, x, negative_slope):
        if x.dtype.kind == "f":  # (the two factors in x's dtype: one pass, no float64)
            ctx.factor = xp.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))
        else:
            ctx.factor = np.where(x > 0, 1.0, negative_slope)
        return x * ctx.factor

    def backward(ctx, grad_output):
        return grad_output * ctx.factor


class HardTanh(Function):
    """y = min(max(x, lo), hi);  dx = g where lo < x < hi (or x is NaN, as PyTorch), 0 at and
    beyond the edges."""

    mask_only = True  # (ops/masked.py)

    def forward(ctx, x, lo, hi):
        ctx.inside = ~((x <= lo) | (x >= hi))  # a NaN passes g, as PyTorch
        return np.clip(x, lo, hi)

    def backward(ctx, grad_output):
        return xp.masked(ctx.inside, grad_output)


class Hardsigmoid(Function):
    """y = min(max(x + 3, 0), 6) / 6;  dx = g / 6 where -3 < x < 3, else 0."""

    def forward(ctx, x):
        ctx.inside = (x > -3) & (x < 3)
        return np.clip(x + 3, 0, 6) / 6

    def backward(ctx, grad_output):
        return xp.masked(ctx.inside, grad_output / 6)


@xp.quiet
class Hardswish(Function):
    """y = x min(max(x + 3, 0), 6) / 6;  dx = g (x/3 + 1/2) for -3 < x < 3, 0 at x <= -3,
    g at x >= 3 and at NaN (PyTorch's rule). float16 is computed in float32 (30000 * 6 is
    inf in float16), as PyTorch; x/3 + 1/2 is masked, so x = +-inf gives no inf * 0."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.middle = (x > -3) & (x < 3)
        ctx.high = ~(x < 3)  # x >= 3 or NaN
        wide = widened(x)
        return narrowed(wide * np.clip(wide + 3, 0, 6) / 6, x)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        wide = widened(x)
        slope = xp.masked(ctx.middle, wide.clip(-3, 3) / 3 + 0.5) + ctx.high
        return narrowed(widened(grad_output) * slope, x)


@xp.quiet
class Softplus(Function):
    """y = log(1 + exp(beta x)) / beta, or x where beta x > threshold;
    dx = g sigmoid(beta x), or g where beta x > threshold."""

    def forward(ctx, x, beta, threshold):
        scaled = x * beta
        ctx.beta = beta
        ctx.linear = scaled > threshold
        ctx.curved = ~ctx.linear
        ctx.save_for_backward(x)
        curved = np.maximum(scaled, 0) + np.log1p(np.exp(-np.abs(scaled)))  # logaddexp(0, s)
        return xp.where(ctx.linear, x, curved / beta)

    def backward(ctx, grad_output):  # float16 in float32: sigmoid(-20) underflows (PyTorch)
        (x,) = ctx.saved_tensors
        slope = xp.sigmoid(widened(x) * ctx.beta) * ctx.curved + ctx.linear
        return narrowed(widened(grad_output) * slope, x)


@xp.quiet
class LogSigmoid(Function):
    """y = log(sigmoid(x)) = -log(1 + exp(-x));  dx = g sigmoid(-x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0 - xp.logaddexp(0, -x)  # (0 -: 0.0 at large x, not -0.0, as PyTorch)

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * sigmoid_in_rule(-x)



class LSTMCellUpdate(Function):
    """One LSTM step's elementwise part, [h', c'] (..., 2H) from the gate pre-activations
    z = [i, f, g, o] (..., 4H) and the cell c:  c' = s(f) c + s(i) tanh(g),  h' = s(o) tanh(c')
    (s = sigmoid);  dz and dc by the chain rule, as the composition's (one node, not fifteen)."""

    def forward(ctx, z, c):
        ctx.save_for_backward(z, c)
        ctx.values = lstm_values(z, c, xp.sigmoid, np.tanh)
        output_gate, cell, tanh_cell = ctx.values[3:]
        return np.concatenate([output_gate * tanh_cell, cell], axis=-1)

    def backward(ctx, grad_output):
        z, c = ctx.saved_tensors
        if xp.is_tensor(z):  # create_graph: recomputed as Tensor ops, so recorded
            from tinygrad_np.ops.join import Cat

            values = lstm_values(z, c, lambda x: x.sigmoid(), lambda x: x.tanh())
            return lstm_grads(values, c, grad_output[..., :c.shape[-1]],
                              grad_output[..., c.shape[-1]:],
                              lambda parts: Cat.apply(*parts, z.ndim - 1))
        return lstm_grads(ctx.values, c, grad_output[..., :c.shape[-1]],
                          grad_output[..., c.shape[-1]:],
                          lambda parts: np.concatenate(parts, axis=-1))


def lstm_values(z, c, sigmoid, tanh):
    """(s(i), s(f), tanh(g), s(o), c', tanh(c')) of LSTMCellUpdate, on arrays or Tensors."""
    size = z.shape[-1] // 4
    gates = sigmoid(z)  # (one call for the three sigmoid gates: the same values, fewer passes)
    input_gate, forget_gate, output_gate = (gates[..., k * size:(k + 1) * size] for k in (0, 1, 3))
    candidate = tanh(z[..., 2 * size:3 * size])
    cell = forget_gate * c + input_gate * candidate
    return input_gate, forget_gate, candidate, output_gate, cell, tanh(cell)


def lstm_grads(values, c, grad_h, grad_cell, join):
    """(dz, dc) of LSTMCellUpdate from the gradients of h' and c', each factor as its op's
    rule (Sigmoid g (1 - y) y, Tanh g (1 - y y), Mul's products), on arrays or Tensors."""
    input_gate, forget_gate, candidate, output_gate, _, tanh_cell = values
    grad_cell = grad_cell + grad_h * output_gate * (1 - tanh_cell * tanh_cell)
    parts = [grad_cell * candidate * (1 - input_gate) * input_gate,
             grad_cell * c * (1 - forget_gate) * forget_gate,
             grad_cell * input_gate * (1 - candidate * candidate),
             grad_h * tanh_cell * (1 - output_gate) * output_gate]
    return join(parts), grad_cell * forget_gate
