"""The ops nn needs that are not compositions of Tensor ops: each a `Function` whose
forward and backward sit side by side, for speed or for gradients that stay exact.

* `LinearFunction`: y = x W^T + b as one op. Composed (`x @ W.T + b`), the gradient of W
  would be the transpose of (x^T g), a Fortran-ordered array; every optimizer step would then
  mix memory layouts, which makes NumPy's elementwise loops several times slower. Here
  dW = g^T x comes out C-ordered, like W itself.
* The binary cross-entropies. Composed from Tensor ops, BCE would take log(0) = -inf (a
  NumPy warning, then 0 * inf = nan in the backward) at probabilities of exactly 0 or 1, and
  the stable with-logits form max(x, 0) + log(1 + exp(-|x|)) would get the gradient wrong at
  x = 0, where relu and abs each have a kink (the sum is smooth, but each kink's subgradient
  is 0 there). Each returns the per-element loss; the caller reduces it with Tensor ops.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function


class LinearFunction(Function):
    """y = x W^T + b;  dx = g W,  dW = g^T x,  db = g summed over all but the last axis.

    x may have any number of leading (batch) axes, or be a single 1-D sample.
    """

    def forward(ctx, x, weight, bias):
        if x.shape[-1:] != weight.shape[1:]:
            raise ValueError(
                f"linear: the input's last axis has {x.shape[-1] if x.ndim else 0} features, "
                f"the weight of shape {weight.shape} expects {weight.shape[1]}"
            )
        ctx.save_for_backward(x, weight)
        y = x @ weight.T
        if bias is None:
            return y
        if np.result_type(y, bias) == y.dtype:
            y += bias  # in place: y is a fresh array, this saves one output-sized temporary
            return y
        return y + bias

    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        out_features, in_features = weight.shape
        # Batch axes flattened into one: dW sums the outer products over every sample.
        rows = grad_output.reshape((-1, out_features))
        grad_x = grad_output @ weight if need_x else None
        grad_weight = rows.T @ x.reshape((-1, in_features)) if need_weight else None
        grad_bias = rows.sum(axis=0) if need_bias else None
        return grad_x, grad_weight, grad_bias


# PyTorch clamps each log at -100 so that p = 0 or 1 gives a large finite loss, not inf.
LOG_FLOOR = -100.0
# ...and keeps the gradient's denominator p (1 - p) at least this (PyTorch's EPSILON).
DENOMINATOR_FLOOR = 1e-12


def _clamped_logs(p):
    """log p and log(1 - p), each at least LOG_FLOOR, without a divide-by-zero warning."""
    with np.errstate(divide="ignore"):  # log(0) = -inf is expected; the clamp handles it
        if xp.is_tensor(p):  # create_graph: recorded, so second derivatives see them
            return xp.log(p).clip(LOG_FLOOR, None), xp.log(1 - p).clip(LOG_FLOOR, None)
        return np.maximum(np.log(p), LOG_FLOOR), np.maximum(np.log1p(-p), LOG_FLOOR)


class BinaryCrossEntropy(Function):
    """loss = -(y log p + (1 - y) log(1 - p)), each log clamped at -100 (as PyTorch);
    dp = g (p - y) / max(p (1 - p), 1e-12),   dy = g (log(1 - p) - log p).
    """

    def forward(ctx, p, y):
        if p.size and not (p.min() >= 0 and p.max() <= 1):
            raise ValueError(
                "binary_cross_entropy: probabilities must lie in [0, 1], got values from "
                f"{p.min()} to {p.max()}; for raw scores use binary_cross_entropy_with_logits"
            )
        ctx.save_for_backward(p, y)
        log_p, log_q = _clamped_logs(p)
        return -(y * log_p + (1 - y) * log_q)

    def backward(ctx, grad_output):
        p, y = ctx.saved_tensors
        grad_p = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_p = grad_output * (p - y) / (p * (1 - p)).clip(DENOMINATOR_FLOOR, None)
        if ctx.needs_input_grad[1]:
            log_p, log_q = _clamped_logs(p)
            grad_y = grad_output * (log_q - log_p)
        return grad_p, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """loss = max(x, 0) - x y + log(1 + exp(-|x|))   (= -(y log s + (1 - y) log(1 - s)),
    s = sigmoid(x), rearranged so no exp can overflow);
    dx = g (sigmoid(x) - y),   dy = -g x.
    """

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            # sigmoid(x) = exp(-log(1 + exp(-x))): logaddexp never overflows.
            sigmoid = x.sigmoid() if xp.is_tensor(x) else np.exp(-np.logaddexp(0, -x))
            grad_x = grad_output * (sigmoid - y)
        if ctx.needs_input_grad[1]:
            grad_y = -grad_output * x
        return grad_x, grad_y
