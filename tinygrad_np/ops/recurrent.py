"""A whole LSTM layer (one direction) over a sequence as one op.

Composed step by step, every time step left about ten graph nodes (the h W_hh^T product, the
gate update, slices, stacks); over 100 steps the graph walk cost more than the arithmetic.
Here the forward loop runs on arrays and backward runs the steps in reverse on arrays too,
with the composition's operations in the composition's order (the products, LSTMCellUpdate's
formulas, W_hh's and b_hh's gradients added step by step as the engine added them), so
values and gradients are the step-by-step composition's, bit for bit.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.function import Function
from tinygrad_np.ops.activation import lstm_grads, lstm_values


@xp.quiet  # overflow is inf, silently, as in PyTorch
class LSTMLayer(Function):
    """(h_t, c_t) for t = 1..L, stacked as (2, L, N, H), from gx (L, N, 4H) = x W_ih^T + b_ih,
    h_0, c_0 (N, H), W_hh (4H, H) and b_hh (4H,) or None:  z_t = gx_t + h_{t-1} W_hh^T + b_hh,
    then LSTMCellUpdate (`reverse`: t runs from L down to 1, h_{L+1} = h_0);  backward through
    time, dW_hh = sum_t dz_t^T h_{t-1}."""

    def forward(ctx, gx, h0, c0, w_hh, b_hh, reverse=False):
        ctx.reverse = reverse
        ctx.steps, output = _run_steps(gx, h0, c0, w_hh, b_hh, reverse, xp.sigmoid, np.tanh)
        ctx.save_for_backward(gx, h0, c0, w_hh, b_hh, output)
        return output

    def backward(ctx, grad_output):
        gx, h0, c0, w_hh, b_hh, output = ctx.saved_tensors
        steps, stack = ctx.steps, np.stack
        if xp.is_tensor(gx):  # create_graph: the steps recomputed as Tensor ops, so recorded
            from tinygrad_np.ops.join import Stack

            def stack(items):
                return Stack.apply(*items, 0)
            steps, output = _run_steps(gx, h0, c0, w_hh, b_hh, ctx.reverse,
                                       lambda x: x.sigmoid(), lambda x: x.tanh(), stack)
        return _through_time(steps, output, (h0, c0), w_hh, grad_output, stack,
                             b_hh is not None, ctx.reverse) + (None,)


def _order(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _run_steps(gx, h0, c0, w_hh, b_hh, reverse, sigmoid, tanh, stack=None):
    """Each step's LSTMCellUpdate values and the stacked (h, c) sequences (arrays, or
    Tensors when `stack` is given), in time order."""
    length = gx.shape[0]
    steps, hs, cs, h, c = [None] * length, [None] * length, [None] * length, h0, c0
    weight = w_hh.T
    for t in _order(length, reverse):
        hidden = h @ weight
        if b_hh is not None:
            hidden = hidden + b_hh
        values = steps[t] = lstm_values(gx[t] + hidden, c, sigmoid, tanh)
        h, c = hs[t], cs[t] = values[3] * values[5], values[4]
    if stack is not None:
        return steps, stack([stack(hs), stack(cs)])
    output = np.empty((2, *gx.shape[:-1], h0.shape[-1]), dtype=gx.dtype)
    output[0], output[1] = hs, cs
    return steps, output


def _through_time(steps, output, start, w_hh, grad, stack, with_bias, reverse):
    """(dgx, dh_0, dc_0, dW_hh, db_hh): the steps' gradients, the last step first; W_hh's
    and b_hh's added up step by step in that order (the composition's per-step products)."""
    length = len(steps)
    grad_h = grad_c = grad_weight = grad_bias = None
    dz = [None] * length
    for t in _order(length, not reverse):
        before = t + 1 if reverse else t - 1  # (the step whose state this one starts from)
        h, c = (output[0, before], output[1, before]) if 0 <= before < length else start
        from_h, from_c = grad[0, t], grad[1, t]
        grad_h = from_h if grad_h is None else from_h + grad_h
        grad_c = from_c if grad_c is None else from_c + grad_c
        dz[t], grad_c = lstm_grads(steps[t], c, grad_h, grad_c, stack_last)
        grad_h = dz[t] @ w_hh
        weight_part = dz[t].T @ h
        grad_weight = weight_part if grad_weight is None else grad_weight + weight_part
        if with_bias:
            bias_part = dz[t].sum(0)
            grad_bias = bias_part if grad_bias is None else grad_bias + bias_part
    return stack(dz), grad_h, grad_c, grad_weight, grad_bias


def stack_last(parts):
    """The gate gradients side by side on the last axis (arrays or Tensors)."""
    if xp.is_tensor(parts[0]):
        from tinygrad_np.ops.join import Cat

        return Cat.apply(*parts, parts[0].ndim - 1)
    return np.concatenate(parts, axis=-1)
