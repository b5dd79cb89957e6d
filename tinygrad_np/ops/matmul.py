"""Matrix product with NumPy `matmul` semantics."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError, broadcast_mismatch
from tinygrad_np.function import Function


def _check_shapes(a, b) -> None:
    """Raise a clear error naming both shapes when `a @ b` is undefined."""
    a_shape, b_shape = getattr(a, "shape", ()), getattr(b, "shape", ())
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise TensorError(f"matmul needs at least 1-D operands, got shapes {a_shape} and {b_shape}")
    inner_a = a_shape[-1]
    inner_b = b_shape[-2] if len(b_shape) > 1 else b_shape[0]
    if inner_a != inner_b:
        raise TensorError(
            f"{_pytorch_words(a_shape, b_shape)} (shapes {a_shape} @ {b_shape}: the last axis "
            f"of the left operand ({inner_a}) must equal the "
            f"{'second-to-last' if len(b_shape) > 1 else 'only'} axis of the right one "
            f"({inner_b}))"
        )


def _pytorch_words(a_shape: tuple, b_shape: tuple) -> str:
    """PyTorch's error for `a @ b` of mismatched inner sizes, by the kernel it would run."""
    if len(a_shape) == len(b_shape) == 1:
        return (f"inconsistent tensor size, expected tensor [{a_shape[0]}] and src "
                f"[{b_shape[0]}] to have the same number of elements, but got {a_shape[0]} and "
                f"{b_shape[0]} elements respectively")
    rows = int(np.prod(a_shape[:-1]))
    if len(b_shape) == 1:
        return (f"size mismatch, got input ({rows}), mat ({rows}x{a_shape[-1]}), vec "
                f"({b_shape[0]})")
    if len(b_shape) == 2:
        return (f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a_shape[-1]} and "
                f"{b_shape[0]}x{b_shape[1]})")
    words = broadcast_mismatch([a_shape[:-2], b_shape[:-2]])  # (batch dims first, as PyTorch)
    if words is not None:
        return words
    batch = int(np.prod(np.broadcast_shapes(a_shape[:-2], b_shape[:-2])))
    return (f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, "
            f"{a_shape[-1]}] but got: [{batch}, {b_shape[-2]}].")


def _fortran(x) -> bool:
    """True for an array laid out column by column (a transposed view, say)."""
    return isinstance(x, np.ndarray) and x.flags.f_contiguous and not x.flags.c_contiguous


_HALF = np.dtype(np.float16)
_SINGLE, _DOUBLE = np.dtype(np.float32), np.dtype(np.float64)
EXACT_IN_DOUBLE = 2 ** 53  # every integer of magnitude below this is a float64


def refuse_integer_mix(name: str, first: np.dtype, second: np.dtype) -> None:
    """PyTorch's RuntimeError for a matrix product (or addmm's input beside it) mixing an
    integer or bool dtype with another; two float widths are promoted (documented)."""
    if first is not second and not (first.kind in "fc" and second.kind in "fc"):
        raise TensorError(f"{name}: expected both operands to have the same dtype, but got: "
                          f"{first.name} != {second.name} (PyTorch mixes no integer operands; "
                          f"cast one with .float() or .long())")


def product(a, b, name: str = "matmul"):
    """a @ b; float16 operands are multiplied in float32 (BLAS, where NumPy's float16 loop is
    a slow scalar one) and the result rounded once to float16, as PyTorch accumulates half
    products in float32 (inf past 65504, silently). Integer operands: see integer_product.
    An integer or bool operand with a floating one is PyTorch's RuntimeError (floats of two
    widths are promoted, a documented difference)."""
    if a.dtype is _SINGLE and b.dtype is _SINGLE:  # (identity tests only: the hot path)
        return a @ b
    dtype = a.dtype
    refuse_integer_mix(name, dtype, b.dtype)
    if dtype is _HALF and b.dtype is _HALF:
        with np.errstate(over="ignore"):
            return (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
    if dtype.kind in "iu" and b.dtype.kind in "iu":
        return integer_product(a, b)
    return a @ b


SMALL_INTEGER_PRODUCT = 1 << 15  # multiply-adds below which the loop beats two casts and BLAS


def magnitude(x) -> int:
    """max |x| of a non-empty integer array, as a Python int (no int64 overflow at -2**63)."""
    return max(int(x.max()), -int(x.min()))


def integer_product(a, b):
    """a @ b on integers. NumPy's integer matmul is a scalar loop (no BLAS); when no sum can
    reach 2**53 (max|a| * max|b| * K below it, which bounds every partial sum too) the
    product is computed exactly in float64 BLAS and cast back. Past the bound the integer
    loop runs, wrapping around on overflow as PyTorch's integer products do; the cast back
    wraps the same way for the narrow types (through int64, modulo 2**bits)."""
    if a.size * (b.shape[-1] if b.ndim > 1 else 1) < SMALL_INTEGER_PRODUCT or b.size == 0 or \
            magnitude(a) * magnitude(b) * a.shape[-1] >= EXACT_IN_DOUBLE:
        return a @ b
    exact = a.astype(np.float64) @ b.astype(np.float64)
    return exact.astype(np.int64).astype(np.result_type(a.dtype, b.dtype), copy=False)


def product_node(ctx: Any) -> str:
    """PyTorch's node for `a @ b` (torch.matmul) of a MatMul node's ranks: MmBackward0 for
    matrices, DotBackward0, MvBackward0, and for the batched forms the view that ends them."""
    a_ndim, b_ndim = ctx.layout[:2]
    if a_ndim == 1:
        return "DotBackward0" if b_ndim == 1 else "SqueezeBackward4" if b_ndim == 2 else \
            "UnsafeViewBackward0"
    if a_ndim == 2:
        return "MvBackward0" if b_ndim == 1 else "MmBackward0" if b_ndim == 2 else \
            "CloneBackward0"
    return "UnsafeViewBackward0"


@xp.quiet  # overflow is inf, silently, as in PyTorch
def _batched(a, b):
    """a @ b, batch dims that do not broadcast in PyTorch's words."""
    try:
        return product(a, b)
    except ValueError:
        words = broadcast_mismatch([a.shape[:-2], b.shape[:-2]])
        if words is None:
            raise
        raise TensorError(words) from None


class MatMul(Function):
    """y = a @ b;  da = g @ b^T,  db = a^T @ g.

    1-D operands are treated as a row (left) or a column (right) whose extra axis is then
    removed again; batch axes broadcast, and the engine sums gradients back over them.
    """

    def forward(ctx, a, b):
        _check_shapes(a, b)
        need_a, need_b = ctx.needs_input_grad  # each kept only if the other's gradient needs it
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.layout = a.ndim, b.ndim, need_a and _fortran(a), need_b and _fortran(b)
        return _batched(a, b)

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_ndim, b_ndim, a_fortran, b_fortran = ctx.layout
        if a_ndim == 2 and b_ndim == 2:  # the common case, without reshapes
            # Each gradient in its input's memory order (BLAS writes either at the same
            # cost): for `x @ W.T` the gradient reaching W is then C-ordered like W, and an
            # optimizer step on the two runs at full speed instead of striding.
            grad_a = grad_b = None
            if need_a:
                grad_a = product(b, grad_output.T).T if a_fortran else product(grad_output, b.T)
            if need_b:
                grad_b = product(grad_output.T, a).T if b_fortran else product(a.T, grad_output)
            return grad_a, grad_b
        # A 1-D operand is a (1, k) row or a (k, 1) column; its extra axis goes again after.
        grad = grad_output if b_ndim > 1 else grad_output[..., None]
        grad = grad if a_ndim > 1 else grad[..., None, :]
        grad_a = product(grad, (b if b_ndim > 1 else b[:, None]).mT) if need_a else None
        grad_b = product((a if a_ndim > 1 else a[None]).mT, grad) if need_b else None
        return (grad_a if a_ndim > 1 or grad_a is None else grad_a[..., 0, :],
                grad_b if b_ndim > 1 or grad_b is None else grad_b[..., 0])

    _pytorch_node = product_node  # (above: MmBackward0, DotBackward0, ...)
