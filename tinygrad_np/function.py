"""`Function`: how every differentiable op is defined, and the node it leaves in the graph.

An op is a subclass with two methods, in the shape PyTorch users know from
`torch.autograd.Function`::

    class Exp(Function):
        def forward(ctx, x):                # x: a plain np.ndarray
            y = np.exp(x)
            ctx.save_for_backward(y)
            return y
        def backward(ctx, grad_output):     # dL/dy -> dL/dx
            (y,) = ctx.saved_tensors
            return grad_output * y

and is called through `Exp.apply(tensor)`. `apply` unwraps the Tensors, runs `forward` on
NumPy arrays and, when a gradient will be needed, keeps the instance (`ctx`) as the graph
node of the result: `result.grad_fn is ctx`.

`backward` returns one gradient per `forward` argument (None where there is none; trailing
non-tensor arguments may be left off). It is written with operators, array methods and
`tinygrad_np.xp`, so the same rule runs on NumPy arrays for an ordinary `backward()` and on
Tensors, recording a graph, for `create_graph=True` (gradients of gradients).

The contract that makes this work: `forward` saves arrays only through `save_for_backward`,
and saves its inputs or its output. Any other saved array (a mask, a sign) is treated as a
constant when differentiating a second time, which is right for piecewise-constant values.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.tensor import Tensor

_grad_enabled = True
_make_tensor = Tensor._make  # bound once: builds every op's result Tensor

# needs_input_grad, looked up rather than built on every call: _NEEDS_INPUT_GRAD[n][mask] is
# the tuple for n arguments where bit i of mask says argument i needs a gradient.
_NEEDS_INPUT_GRAD = tuple(
    tuple(tuple(bool(mask >> i & 1) for i in range(count)) for mask in range(1 << count))
    for count in range(8)
)


_FLOAT64 = np.dtype(np.float64)


def _float32_result(arrays: list) -> bool:
    """PyTorch's rule where NumPy's differs: a float64 result needs a float64 operand.

    NumPy computes int64 + float32, int / int and exp(int) in float64; PyTorch gives the
    float operand's dtype, or the default float dtype. Only called for float64 results.
    """
    if get_default_dtype() is np.float64:
        return False
    for arg in arrays:  # arrays, numbers, and dtypes asked for explicitly (Cast)
        # `is`, not ==: NumPy's dtype == None is True (None means float64 to np.dtype).
        if (arg if isinstance(arg, np.dtype) else getattr(arg, "dtype", None)) is _FLOAT64:
            return False
    return True


def _replace_output(ctx: Function, old: Any, new: np.ndarray) -> np.ndarray:
    """Use `new` as the op's output, also where forward saved `old` for backward.

    The engine recognises a saved output by identity (for create_graph), so a converted
    output must replace the original in saved_tensors too.
    """
    if any(saved is old for saved in ctx.saved_tensors):
        ctx.saved_tensors = tuple(new if saved is old else saved for saved in ctx.saved_tensors)
    return new


class no_grad:
    """Context manager (and decorator) in which ops record no graph: results never require grad."""

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc_info: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper


class enable_grad(no_grad):
    """Context manager that turns graph recording back on (inside `no_grad`, say)."""

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = True


def is_grad_enabled() -> bool:
    """True when ops record the graph (outside `no_grad`)."""
    return _grad_enabled


_anomaly_enabled = False


class detect_anomaly:
    """Context manager that finds where a NaN or Inf gradient comes from.

    Inside it, every recorded op remembers the line of user code that created it, and
    backward() checks every gradient it computes: the first op whose backward produces a
    NaN or Inf raises an error naming the op, the input and that line. It slows ops down,
    so it is off by default (and costs nothing then).
    """

    def __enter__(self) -> None:
        global _anomaly_enabled
        self._previous = _anomaly_enabled
        _anomaly_enabled = True

    def __exit__(self, *exc_info: object) -> None:
        global _anomaly_enabled
        _anomaly_enabled = self._previous


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _anomaly_enabled


class Function:
    """Base class of every differentiable op; an instance is both `ctx` and the graph node.

    Attributes set by `apply` on a recorded node (the engine reads them):
      parents           per forward argument: the Function that produced it, the leaf Tensor
                        itself, or None when no gradient flows to it;
      needs_input_grad  per forward argument: does it need a gradient (skip work if not);
      saved_tensors     what forward saved with `save_for_backward`;
      inputs_data, output_data   the forward's arrays, kept until backward has run so that
                        gradients can be reduced to each input's shape and, for
                        `create_graph=True`, saved arrays can be traced back to graph tensors.
    """

    saved_tensors: tuple = ()
    released = False  # set once backward() has freed the saved arrays
    retained: tuple = ()  # weak references to tensors whose .grad to keep (retain_grad)
    creation_stack: list[str] | None = None  # where the op was created, under detect_anomaly

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays needed by `backward` (inputs or output; see the module docstring)."""
        self.saved_tensors = arrays

    def forward(self, *args: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define forward(ctx, ...)")

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run the op on Tensors (or plain numbers and arrays, taken as constants)."""
        ctx = cls()
        arrays = []
        parents = []
        mask = 0  # bit i: argument i needs a gradient
        bit = 1
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg.data)
                if arg.requires_grad:
                    mask |= bit
                    parents.append(arg.grad_fn or arg)
                    bit <<= 1
                    continue
            elif isinstance(arg, np.generic):
                # A NumPy scalar (np.sqrt(d), say) acts as a Python number, as in PyTorch:
                # x_float32 * np.float64(2) stays float32.
                arrays.append(arg.item())
            else:
                arrays.append(arg)
            parents.append(None)
            bit <<= 1
        recording = mask and _grad_enabled
        if recording:
            ctx.parents = tuple(parents)
        else:
            mask = 0
        try:
            ctx.needs_input_grad = _NEEDS_INPUT_GRAD[len(args)][mask]
        except IndexError:  # eight or more arguments: build the tuple
            ctx.needs_input_grad = tuple(bool(mask >> i & 1) for i in range(len(args)))

        try:
            output = cls.forward(ctx, *arrays)
        except ValueError as error:
            # Name the op and every operand's shape: NumPy's message alone names neither.
            shapes = ", ".join(str(np.shape(a)) for a in arrays if hasattr(a, "shape"))
            raise ValueError(f"{cls.__name__} on shapes {shapes}: {error}") from None
        # NumPy returns scalars (np.float32) from 0-d operations; a Tensor always holds an array.
        if type(output) is not np.ndarray:
            output = _replace_output(ctx, output, np.asarray(output))
        if output.dtype is _FLOAT64 and _float32_result(arrays):
            output = _replace_output(ctx, output, output.astype(np.float32))

        # Only float results carry gradients (x.long() of a leaf is a constant).
        if not recording or output.dtype.kind != "f":
            return _make_tensor(output, None)
        # A tuple of arrays and numbers is not tracked by Python's cycle collector (a list
        # would be), which makes each collection over a deep graph about 3x cheaper.
        ctx.inputs_data = tuple(arrays)
        ctx.output_data = output
        if _anomaly_enabled:
            ctx.creation_stack = traceback.format_stack()[:-1]
        return _make_tensor(output, ctx)

    def release(self) -> None:
        """Free the saved arrays once backward has used them (keeps shapes for drawing)."""
        output = self.output_data
        self.output_shape, self.output_dtype = output.shape, output.dtype
        self.saved_tensors = None
        self.inputs_data = None
        self.output_data = None
        self.released = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
