"""A whole LSTM layer (one direction) over a sequence as one op.

Composed step by step, every time step left about ten graph nodes (the h W_hh^T product, the
gate update, slices, stacks) and its own small weight-gradient product; over 100 steps the
graph walk and those products cost more than the arithmetic. Here the forward loop runs on
arrays, backward runs the steps in reverse on arrays too, and W_hh's and b_hh's gradients are
one product and one sum over the whole sequence. Each step's values are the composition's
(the same products and LSTMCellUpdate's formulas), so the forward is bit-identical to it.
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
    then LSTMCellUpdate;  backward through time, dW_hh = sum_t dz_t^T h_{t-1}."""

    def forward(ctx, gx, h0, c0, w_hh, b_hh):
        ctx.steps, output = _run_steps(gx, h0, c0, w_hh, b_hh, xp.sigmoid, np.tanh)
        ctx.save_for_backward(gx, h0, c0, w_hh, b_hh, output)
        return output

    def backward(ctx, grad_output):
        gx, h0, c0, w_hh, b_hh, output = ctx.saved_tensors
        steps, stack = ctx.steps, np.stack
        if xp.is_tensor(gx):  # create_graph: the steps recomputed as Tensor ops, so recorded
            from tinygrad_np.ops.join import Stack

            def stack(items):
                return Stack.apply(*items, 0)
            steps, output = _run_steps(gx, h0, c0, w_hh, b_hh, lambda x: x.sigmoid(),
                                       lambda x: x.tanh(), stack)
        return _through_time(steps, output, h0, c0, w_hh, grad_output, stack, b_hh is not None)


def _run_steps(gx, h0, c0, w_hh, b_hh, sigmoid, tanh, stack=None):
    """Each step's LSTMCellUpdate values and the stacked (h, c) sequences (arrays, or
    Tensors when `stack` is given)."""
    steps, hs, cs, h, c = [], [], [], h0, c0
    weight = w_hh.T
    for t in range(gx.shape[0]):
        hidden = h @ weight
        if b_hh is not None:
            hidden = hidden + b_hh
        values = lstm_values(gx[t] + hidden, c, sigmoid, tanh)
        steps.append(values)
        h, c = values[3] * values[5], values[4]
        hs.append(h)
        cs.append(c)
    if stack is not None:
        return steps, stack([stack(hs), stack(cs)])
    output = np.empty((2, *gx.shape[:-1], h0.shape[-1]), dtype=gx.dtype)
    output[0], output[1] = hs, cs
    return steps, output


def _through_time(steps, output, h0, c0, w_hh, grad, stack, with_bias):
    """(dgx, dh_0, dc_0, dW_hh, db_hh): the steps' gradients in reverse order, W_hh's as one
    product of every step's dz with the h before it."""
    length = len(steps)
    grad_h = grad_c = None
    dz = [None] * length
    for t in reversed(range(length)):
        from_h, from_c = grad[0, t], grad[1, t]
        grad_h = from_h if grad_h is None else from_h + grad_h
        grad_c = from_c if grad_c is None else from_c + grad_c
        previous_c = output[1, t - 1] if t else c0
        dz[t], grad_c = lstm_grads(steps[t], previous_c, grad_h, grad_c, stack_last)
        grad_h = dz[t] @ w_hh
    gates = stack(dz)
    before = [h0] + [output[0, t] for t in range(length - 1)]
    rows = gates.reshape((-1, gates.shape[-1]))
    grad_weight = rows.T @ stack(before).reshape((-1, h0.shape[-1]))
    grad_bias = rows.sum(0) if with_bias else None
    return gates, grad_h, grad_c, grad_weight, grad_bias


def stack_last(parts):
    """The gate gradients side by side on the last axis (arrays or Tensors)."""
    if xp.is_tensor(parts[0]):
        from tinygrad_np.ops.join import Cat

        return Cat.apply(*parts, parts[0].ndim - 1)
    return np.concatenate(parts, axis=-1)
