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

The contract (checked): `backward` returns one gradient per `forward` argument (None where
there is none; trailing non-Tensor arguments may be left off), each of its input's shape or
broadcastable to it. `save_for_backward` takes forward's inputs or its output; anything else
it saves is a derived value, fine for `backward()` but refused under `create_graph=True`,
whose derivative it cannot know: keep piecewise-constant helpers (masks) as ctx attributes.
Written with operators, array methods and `tinygrad_np.xp`, the same rule runs on arrays for
`backward()` and on Tensors, recording a graph, for `create_graph=True`.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
import traceback
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.tensor import Tensor

_make_tensor = Tensor._make  # bound once: builds every op's result Tensor
_FLOAT64 = np.dtype(np.float64)
# needs_input_grad looked up, not built per call: [n][mask], bit i of mask for argument i.
_NEEDS_INPUT_GRAD = tuple(
    tuple(tuple(bool(mask >> i & 1) for i in range(n)) for mask in range(1 << n)) for n in range(8)
)


# ----------------------------------------------------------------------------- modes
class _Modes(threading.local):
    """Grad mode and anomaly mode, per thread (class attributes are each thread's start)."""

    grad = True
    anomaly = False


_modes = _Modes()


class _ModeSwitch:
    """A context manager and decorator that sets one mode for the code it wraps."""

    mode = "grad"
    value = False

    def __enter__(self) -> None:
        self._previous = getattr(_modes, self.mode)
        setattr(_modes, self.mode, self.value)

    def __exit__(self, *exc_info: object) -> None:
        setattr(_modes, self.mode, self._previous)

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):  # the mode holds while the generator runs

            @functools.wraps(fn)
            def generator(*args, **kwargs):
                inner = fn(*args, **kwargs)
                resume, value = inner.send, None
                while True:
                    try:
                        with copy.copy(self):
                            sent = resume(value)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        value, resume = (yield sent), inner.send
                    except BaseException as error:  # thrown in: pass it on, in the mode
                        value, resume = error, inner.throw

            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with copy.copy(self):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_ModeSwitch):
    """Context manager (and decorator) in which ops record no graph, in this thread."""


class enable_grad(_ModeSwitch):
    """Context manager (and decorator) that turns recording back on, in this thread."""

    value = True


class set_grad_enabled(_ModeSwitch):
    """`set_grad_enabled(False)`: sets grad mode now; as a context manager, restores it after."""

    def __init__(self, mode: bool) -> None:
        self._previous, self.value = _modes.grad, bool(mode)
        _modes.grad = self.value

    def __enter__(self) -> None:
        pass

    def __call__(self, fn):
        raise TypeError("set_grad_enabled is not a decorator; use no_grad() or enable_grad()")


# Tools above the engine that want to see each recorded op (the drawing keeps tiny values)
# add a function(ctx, arrays, output) here; the engine itself keeps nothing for them.
observers: list = []

_anomaly_threads = 0  # how many detect_anomaly() blocks are open (any thread): 0 = no check


class detect_anomaly(_ModeSwitch):
    """Context manager: recorded ops remember the line that created them, and backward() stops
    at the first op whose backward returns NaN or Inf, naming it. Off by default (no cost)."""

    mode, value = "anomaly", True

    def __init__(self, check_nan: bool = True) -> None:
        self.value = bool(check_nan)

    def __enter__(self) -> None:
        global _anomaly_threads
        _anomaly_threads += 1
        super().__enter__()

    def __exit__(self, *exc_info: object) -> None:
        global _anomaly_threads
        _anomaly_threads -= 1
        super().__exit__()


def is_grad_enabled() -> bool:
    """True when ops record the graph in this thread (outside `no_grad`)."""
    return _modes.grad


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()` in this thread."""
    return _modes.anomaly


# ----------------------------------------------------------------------------- results
def as_result(output: Any, arrays: list) -> np.ndarray:
    """The one home of the result policy: what a forward returned, as the result's array.

    An ndarray always (NumPy returns scalars from 0-d operations), and PyTorch's dtype where
    NumPy's differs: a float64 result needs a float64 operand (int64 + float32, int / int and
    exp(int) give float32, the default float dtype), and a 0-d one only counts when no n-d
    operand is a float (float32 (3,) + float64 () is float32). The check is paid for float64.
    """
    if type(output) is not np.ndarray:
        output = np.asarray(output)
    if output.dtype is _FLOAT64 and get_default_dtype() is not np.float64:
        for arg in arrays:  # `is`: NumPy's dtype == None is True
            if (arg if isinstance(arg, np.dtype) else getattr(arg, "dtype", None)) is _FLOAT64:
                floats = [a.dtype for a in arrays if getattr(a, "ndim", 0) and a.dtype.kind == "f"]
                if isinstance(arg, np.dtype) or arg.ndim or not floats:
                    return output
                return output.astype(np.result_type(*floats))  # a 0-d float64 next to n-d floats
        return output.astype(np.float32)
    return output


# ----------------------------------------------------------------------------- Function
class Function:
    """Base class of every differentiable op; an instance is both `ctx` and the graph node.

    A recorded node holds: `parents` (per argument up to the last Tensor: the producing
    Function, the leaf Tensor, or None), `needs_input_grad`, `saved_tensors`, what each saved
    value is (`saved_slots`: argument index, -1 for the output, None if derived) with the
    version each saved tensor had (`saved_versions`), and `output_shape`, `output_dtype`.
    """

    saved_tensors: tuple | None = ()  # None once backward has freed them
    saved_slots: tuple = ()
    saved_versions: tuple = ()
    retained: tuple = ()  # weak references to tensors that asked for retain_grad()
    creation_stack: list[str] | None = None  # where the op was created, under detect_anomaly

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep forward's inputs or output for `backward` (see the module docstring)."""
        self.saved_tensors = arrays

    def forward(self, *args: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define forward(ctx, ...)")

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run the op on Tensors (or plain numbers and arrays, taken as constants)."""
        ctx = cls()
        arrays, parents, mask, bit, last = [], [], 0, 1, 0
        for arg in args:
            bit <<= 1
            if isinstance(arg, Tensor):
                arrays.append(arg.data)
                last = bit
                if arg.requires_grad:
                    mask |= bit
                    parents.append(arg.grad_fn or arg)
                    continue
            else:  # a NumPy scalar acts as a Python number, as in PyTorch
                arrays.append(arg.item() if isinstance(arg, np.generic) else arg)
            parents.append(None)
        recording = mask and _modes.grad
        if recording and len(arrays) > 1:
            _distinct(arrays)
        try:
            ctx.needs_input_grad = _NEEDS_INPUT_GRAD[len(args)][mask >> 1 if recording else 0]
        except IndexError:  # eight or more arguments
            ctx.needs_input_grad = tuple(bool(recording and mask >> i + 1 & 1)
                                         for i in range(len(args)))
        try:
            raw = cls.forward(ctx, *arrays)
        except ValueError as error:  # name the op and the operands' shapes
            shapes = ", ".join(str(np.shape(a)) for a in arrays if hasattr(a, "shape"))
            raise ValueError(f"{cls.__name__} on shapes {shapes}: {error}") from None
        output = raw
        if type(raw) is not np.ndarray or raw.dtype is _FLOAT64:
            output = as_result(raw, arrays)
        if not recording or output.dtype.kind != "f":  # only float results carry gradients
            return _make_tensor(output, None)
        # Parents up to the last Tensor argument: backward may leave off the rest.
        ctx.parents = tuple(parents) if last == bit else tuple(parents[: last.bit_length() - 1])
        ctx.output_shape, ctx.output_dtype = output.shape, output.dtype
        result = _make_tensor(output, ctx)
        if ctx.saved_tensors:
            _track_saved(ctx, args, arrays, raw, result)
        if _anomaly_threads and _modes.anomaly:
            ctx.creation_stack = traceback.format_stack()[:-1]
        for observe in observers:
            observe(ctx, arrays, output)
        return result

    def release(self) -> None:
        """Free the saved arrays once backward has used them (a node that saved none stays
        usable, as in PyTorch)."""
        if self.saved_tensors:
            self.saved_tensors = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _distinct(arrays: list) -> None:
    """Give each argument position its own array object (a view where one repeats).

    `x * x.data` passes one ndarray twice, once as a graph input and once as a constant;
    with one object per position, a saved value is traced to its position unambiguously.
    """
    if len(arrays) == 2:  # the common case, without a loop
        if arrays[1] is arrays[0] and type(arrays[1]) is np.ndarray:
            arrays[1] = arrays[1].view()
        return
    for i in range(1, len(arrays)):
        array = arrays[i]
        if type(array) is np.ndarray:
            for other in arrays[:i]:
                if other is array:
                    arrays[i] = array.view()
                    break


def _track_saved(ctx: Function, args: tuple, arrays: list, raw: Any, result: Tensor) -> None:
    """Note what each saved value is and the version of each saved tensor (for backward)."""
    saved, slots, versions = list(ctx.saved_tensors), [], []
    for index, value in enumerate(saved):
        if value is raw:
            saved[index], slot, owner = result.data, -1, result
        else:
            slot = owner = None
            for position, array in enumerate(arrays):
                if value is array:
                    slot, owner = position, args[position]
                    break
        slots.append(slot)
        if isinstance(owner, Tensor):
            counter = owner._counter
            if counter is None:
                counter = owner._counter = [0]
            versions.append((index, counter, counter[0]))
    ctx.saved_tensors, ctx.saved_slots = tuple(saved), tuple(slots)
    ctx.saved_versions = tuple(versions)
