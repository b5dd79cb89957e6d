"""Second derivatives through a mask: zero, as in PyTorch, not a disconnected gradient.

The rule of ReLU, abs, leaky_relu, hardtanh/clip or max pooling multiplies the incoming
gradient by a mask of the input (x > 0, sign x, the window's maximum), a piecewise-constant
value kept as a `ctx` attribute. Under `create_graph=True` the gradient it computes then
depends on the input only through that mask, so the recorded gradient would not be connected
to the input at all, and differentiating it again with respect to the input would raise
("does not require grad") where PyTorch gives zeros. An op that sets `mask_only = True`
has each gradient its rule records linked to the op's inputs by `MaskedBy`, whose
derivative with respect to them is zero.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np.function import Function
from tinygrad_np.tensor import Tensor


class MaskedBy(Function):
    """y = g, a gradient computed with a mask of `inputs`;  dg = grad, d(input) = 0."""

    mask_only = True  # its own gradients (grad, zeros) are linked too: third order is 0

    def forward(ctx, g, *inputs):
        ctx.inputs = [(np.shape(a), getattr(a, "dtype", None)) for a in inputs]
        return np.array(g, copy=True)

    def backward(ctx, grad_output):
        return grad_output, *(np.zeros(shape, dtype) for shape, dtype in ctx.inputs)


def link(node: Function, grads: tuple) -> tuple:
    """The recorded gradients of `node` (a `mask_only` op), each linked to its graph inputs."""
    inputs = [_graph_input(parent) for parent in node.parents if parent is not None]
    return tuple(g if g is None else MaskedBy.apply(g, *inputs) for g in grads)


def _graph_input(parent: Tensor | Function) -> Tensor:
    """An input as a graph Tensor: the leaf itself, or a stand-in on the node that computed
    it (only its shape and dtype are read)."""
    if isinstance(parent, Tensor):
        return parent
    stand_in = np.broadcast_to(np.zeros((), parent.output_dtype), parent.output_shape)
    return Tensor._make(stand_in, parent)


class ScaledCopy(Function):
    """y = values computed outside from x (nextafter, frexp's mantissa);  dx = g * scale (a
    constant, per element or one number), d(others) = 0, as PyTorch's."""

    def forward(ctx, values, x, scale, *others):
        ctx.scale, ctx.others = scale, [(np.shape(a), getattr(a, "dtype", None)) for a in others]
        return np.array(values, copy=True)

    def backward(ctx, grad_output):
        zeros = (np.zeros(shape, dtype) for shape, dtype in ctx.others)
        return None, grad_output * ctx.scale, None, *zeros


class NoDerivative(Function):
    """y = values computed outside from x (unique's, unique_consecutive's), recorded so that a
    gradient reaching it raises PyTorch's NotImplementedError naming `op`."""

    def forward(ctx, values, x, op):
        ctx.op = op
        return np.array(values, copy=True)

    def backward(ctx, grad_output):
        raise NotImplementedError(f"the derivative for '{ctx.op}' is not implemented.")


def no_derivative(node: Function, grad: Tensor, op: str) -> Tensor:
    """A recorded gradient of `node` computed with a value whose own derivative is unknown
    (an implicit reparameterization slope), linked to the node's first input so that
    differentiating it again raises PyTorch's NotImplementedError naming `op`, not a
    second derivative that silently misses the value's terms."""
    return NoDerivative.apply(grad, _graph_input(node.parents[0]), op)


def linked(result: Tensor) -> Tensor:
    """`result`, its node's recorded gradients linked to the node's inputs (derivative 0),
    for a composition whose PyTorch kernel's backward reads its input only for its shape or
    positions (average pooling, padding by copies, nll_loss): a second-order gradient then
    reaches that input and the parameters before it as zeros, as PyTorch's, not None."""
    if result.grad_fn is not None:
        result.grad_fn.mask_only = True
    return result
