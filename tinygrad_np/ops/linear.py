"""y = x W^T + b as one op: the layer of nn.Linear.

Composed (`x @ W.T + b`) it would be correct, but the gradient of W would be the transpose
of (x^T g), a Fortran-ordered array; every optimizer step would then mix memory layouts,
which makes NumPy's elementwise loops several times slower. Here dW = g^T x comes out
C-ordered, like W itself.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError
from tinygrad_np.function import Function
from tinygrad_np.ops.matmul import _HALF, product


@xp.quiet  # overflow is inf, silently, as in PyTorch
class LinearFunction(Function):
    """y = x W^T + b;  dx = g W,  dW = g^T x,  db = g summed over all but the last axis.

    x may have any number of leading (batch) axes, or be a single 1-D sample.
    """

    def forward(ctx, x, weight, bias):
        if x.shape[-1:] != weight.shape[1:]:
            raise TensorError(
                f"mat1 and mat2 shapes cannot be multiplied ({x.size // max(x.shape[-1], 1)}x"
                f"{x.shape[-1] if x.ndim else 0} and {weight.shape[1]}x{weight.shape[0]}) "
                f"(linear: the input's last axis has {x.shape[-1] if x.ndim else 0} features, "
                f"the weight of shape {weight.shape} expects {weight.shape[1]})"
            )
        need_x, need_weight, _ = ctx.needs_input_grad  # each kept only if the other's gradient
        ctx.save_for_backward(x if need_weight else None, weight if need_x else None)  # needs it
        if x.dtype is _HALF and getattr(bias, "dtype", None) is _HALF:  # bias added in float32
            with np.errstate(over="ignore"):  # and rounded once, as PyTorch's addmm
                wide = x.astype(np.float32) @ weight.T.astype(np.float32)
                return (wide + bias.astype(np.float32)).astype(_HALF)
        if x.ndim > 2:  # batch axes flattened: one BLAS call (NumPy's stacked product loops
            rows = math.prod(x.shape[:-1])  # over them, 5-10x slower), as PyTorch's addmm
            y = product(x.reshape(rows, x.shape[-1]), weight.T, "linear").reshape(
                (*x.shape[:-1], weight.shape[0]))
        else:
            y = product(x, weight.T, "linear")
        if bias is None:
            ctx.without_bias = True
            return y
        bias_dtype = getattr(bias, "dtype", y.dtype)
        if bias_dtype is not y.dtype:
            if y.dtype.kind + bias_dtype.kind != "ff":  # (integers: one dtype, as PyTorch's)
                raise TensorError(f"linear: expected the bias and the product to have the same "
                                  f"dtype, but got {bias_dtype} and {y.dtype.name}")
            if np.result_type(y, bias) != y.dtype:
                return y + bias
        y += bias  # in place: y is a fresh array, this saves one output-sized temporary
        return y

    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        # Batch axes flattened into one: dW sums the outer products over every sample (the
        # count written out: -1 cannot be inferred for nn.Linear(0, n) or (n, 0)).
        samples = math.prod(grad_output.shape[:-1])
        rows = grad_output.reshape((samples, grad_output.shape[-1]))
        grad_x = product(grad_output, weight) if need_x else None  # (per batch entry: the
        # stacked product's sums, which one folded product would round otherwise)
        grad_weight = product(rows.T, x.reshape((samples, x.shape[-1]))) if need_weight else None
        grad_bias = None
        if need_bias:  # float16 summed in float32, as PyTorch
            grad_bias = rows.sum(axis=0) if rows.dtype is not _HALF else rows.sum(
                axis=0, dtype=np.float32).astype(np.float16)
        return grad_x, grad_weight, grad_bias

    without_bias = False  # (set by forward for F.linear(x, weight): the node's name)

    def _pytorch_node(ctx):
        """PyTorch's node for F.linear: addmm of a batch of rows (mm without a bias), a view
        of the product for other ranks."""
        rank = len(ctx.output_shape)
        if ctx.without_bias:
            return "MmBackward0" if rank == 2 else "SqueezeBackward4" if rank == 1 else \
                "UnsafeViewBackward0"
        return "AddmmBackward0" if rank == 2 else "ViewBackward0"
