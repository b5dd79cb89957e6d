"""Binary arithmetic with NumPy broadcasting: + - * / ** and unary minus.

Either operand may be a Python number or array (a constant). Rules return gradients at the
broadcast (output) shape; the engine sums them back to each operand's shape.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import DtypeError, TensorError
from tinygrad_np.function import Function


class Add(Function):
    """y = a + b;  da = g,  db = g."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad_output):
        return grad_output, grad_output


@xp.quiet  # inf - inf is NaN, silently, as in PyTorch (Add and Mul, the hot ones, warn)
class Sub(Function):
    """y = a - b;  da = g,  db = -g."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    def forward(ctx, a, b):
        if (type(a) is bool or type(b) is bool or type(a) is np.ndarray and a.dtype.kind == "b"
                or type(b) is np.ndarray and b.dtype.kind == "b"):
            _refuse_bool_subtraction()
        return a - b

    def backward(ctx, grad_output):
        return grad_output, (-grad_output if ctx.needs_input_grad[1] else None)


def _refuse_bool_subtraction() -> None:
    raise DtypeError("Sub: subtraction (`-`) with a bool tensor is not supported, as in "
                     "PyTorch; use `~` or logical_xor() for bools, or convert with .float()")


class Mul(Function):
    """y = a * b;  da = g * b,  db = g * a."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    def forward(ctx, a, b):  # each operand is kept only when the other's gradient needs it
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        grad_a = grad_output * b if ctx.needs_input_grad[0] else None
        grad_b = grad_output * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


@xp.quiet  # x / 0 is inf (0 / 0 NaN) without NumPy's warning, as PyTorch
class Div(Function):
    """y = a / b;  da = g / b,  db = -g * ((a / b) / b) (PyTorch's order: 0 at a = 0 even
    where g / b overflows)."""

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # a: only for db
        return a / b

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        grad_a = grad_output / b
        grad_b = -grad_output * (a / b / b) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Function):
    """y = -x;  dx = -g."""

    def forward(ctx, x):
        return -x

    def backward(ctx, grad_output):
        return -grad_output


def _integer_power(a, b):
    """a ** b for integers, b < 0 too: 1 ** b is 1, (-1) ** b is -1 for odd b, else 0."""
    negative = np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (b & 1), 0))
    return np.asarray(np.where(b >= 0, a ** np.maximum(b, 0), negative)).astype(
        np.result_type(a, b), copy=False)


def _times(number, power):
    """number * power; a Python float times a float16 array in float32, rounded once (PyTorch's
    opmath: exponent * x**(exponent - 1) in pow's gradient)."""
    if type(number) is float and type(power) is np.ndarray and power.dtype == np.float16:
        with np.errstate(over="ignore"):
            return (np.float32(number) * power).astype(np.float16)
    return number * power


class Pow(Function):
    """y = a ** b;  da = g * b * a**(b-1),  db = g * y * log(a).

    At a = 0 as PyTorch: y and da are inf (or 0) without warnings, da = 0 where b = 0, and
    db = 0 where b >= 0 (y is 0 or 1 there) but y log(0) = -inf where b < 0.
    """

    promotes = True  # PyTorch's type promotion (dtypes._promoted)

    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            try:
                y = a**b
            except ValueError as error:  # integers to negative integer powers: a tensor of
                if not isinstance(b, np.ndarray) or "broadcast" in str(error):  # exponents is
                    raise TensorError(f"pow: {error}") from None  # elementwise, as PyTorch
                y = _integer_power(a, b)  # (a Python int exponent is refused by both)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, grad_output):
        a, b, y = ctx.saved_tensors
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if ctx.needs_input_grad[0]:
                # Where b = 0 the gradient is 0; a**(b - 1 + 1) there avoids 0 * 0**-1 = NaN.
                grad_a = grad_output * _times(b, a ** (b - 1 + (b == 0)))  # PyTorch's order
            if ctx.needs_input_grad[1]:
                # Where a = 0 and b >= 0, y log(a) is taken as 0 (log(a + 1) there avoids
                # 0 * log(0) = NaN, and works on Tensors too, for create_graph).
                wide = a.astype(y.dtype) if getattr(a, "dtype", y.dtype) != y.dtype else a
                at_zero = (a == 0) & (b >= 0)  # (a bool Tensor plus a Python a: float32)
                at_zero = at_zero.astype(y.dtype) if xp.is_tensor(at_zero) else at_zero
                grad_b = grad_output * y * xp.log(wide + at_zero)  # y's dtype
        return grad_a, grad_b
