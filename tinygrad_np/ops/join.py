"""Ops that build one array from whole inputs: concatenation and copying."""

from __future__ import annotations

import numpy as np

from tinygrad_np.device import contiguous_format, laid_out
from tinygrad_np.function import Function
from tinygrad_np.ops.reduce import c_ordered


class Cat(Function):
    """y = concatenate(x_1, ..., x_n) along `dim` (the last argument);  dx_i = g's slice i."""

    def forward(ctx, *args):
        *arrays, dim = args
        ctx.dim = dim
        ctx.bounds = np.cumsum([0] + [array.shape[dim] for array in arrays]).tolist()
        return c_ordered(np.concatenate(arrays, axis=dim))

    def backward(ctx, grad_output):
        lead = (slice(None),) * ctx.dim
        return tuple(
            grad_output[lead + (slice(start, stop),)] if needed else None
            for start, stop, needed in zip(ctx.bounds, ctx.bounds[1:], ctx.needs_input_grad)
        ) + (None,)


class Stack(Function):
    """y = stack(x_1, ..., x_n) on a new axis `dim` (the last argument);  dx_i = g[..., i, ...]
    (one node for any number of inputs, where an unsqueeze each and a Cat made n + 1)."""

    def forward(ctx, *args):
        *arrays, dim = args
        ctx.dim = dim
        return c_ordered(np.stack(arrays, axis=dim))

    def backward(ctx, grad_output):
        lead = (slice(None),) * ctx.dim
        return tuple(grad_output[lead + (position,)] if needed else None
                     for position, needed in enumerate(ctx.needs_input_grad[:-1])) + (None,)


class Clone(Function):
    """y = a copy of x (row-major, or in memory format `form`: see device.laid_out);  dx = g."""

    def forward(ctx, x, form=contiguous_format, where="clone"):
        return laid_out(x, form, where)

    def backward(ctx, grad_output):
        return grad_output
