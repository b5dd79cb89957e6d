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

Grad mode is per thread. Tools above the engine (drawing, anomaly detection) see each
recorded op through `observers`; the engine keeps nothing for them.
"""

from __future__ import annotations

import threading
from itertools import count
from typing import Any

import numpy as np

from tinygrad_np import errors
from tinygrad_np._decorate import ContextDecorator, flag
from tinygrad_np.dtypes import as_result
from tinygrad_np.node_api import NodeInfo
from tinygrad_np.tensor import Tensor

_make_tensor = Tensor._make  # bound once: builds every op's result Tensor
_F32 = np.dtype(np.float32)
_next_sequence = count(1).__next__  # recording order: every node after its inputs'


# needs_input_grad looked up, not built per call: _NEEDS[count][mask], bit i for argument i.
_NEEDS = [[tuple(bool(mask >> i & 1) for i in range(count)) for mask in range(1 << count)]
          for count in range(8)]
# Functions (ctx, arrays, output) called for every recorded op: a tuple, replaced whole by
# observing.py's observe/unobserve (never changed in place: see there).
observers: tuple = ()


class _Mode(threading.local):
    grad = True  # the class attribute is every new thread's starting value


_mode = _Mode()


class no_grad(ContextDecorator):
    """Context manager and decorator (generators too) in which ops record no graph, in this
    thread."""

    value = False

    def __new__(cls, fn: Any = None, **_: Any) -> Any:  # `@no_grad` without parentheses, as
        return cls()(fn) if callable(fn) else super().__new__(cls)  # PyTorch allows

    def __enter__(self) -> None:
        self._previous, _mode.grad = _mode.grad, self.value

    def __exit__(self, *exc_info: object) -> None:
        _mode.grad = self._previous


class enable_grad(no_grad):
    """Context manager and decorator that turns recording back on, in this thread."""

    value = True


class set_grad_enabled(no_grad):
    """`set_grad_enabled(False)` sets grad mode now; as a context manager, restores it after."""

    def __init__(self, mode: bool) -> None:
        self._previous, self.value = _mode.grad, flag(mode, "set_grad_enabled", "enabled")
        _mode.grad = self.value

    def __enter__(self) -> None:  # __init__ set the mode (and noted the one to restore)
        _mode.grad = self.value

    def __call__(self, fn: Any) -> Any:  # a decorator: the mode is back, each call sets it
        _mode.grad = self._previous
        return (enable_grad() if self.value else no_grad())(fn)


def is_grad_enabled() -> bool:
    """True when ops record the graph in this thread (outside `no_grad`)."""
    return _mode.grad


class Function(NodeInfo):
    """Base class of every differentiable op; an instance is both `ctx` and the graph node.

    A recorded node holds `parents` (per argument: the producing Function, the leaf Tensor,
    or None), `needs_input_grad`, `saved_tensors` (None once backward has freed them), what
    each saved value is (`saved_slots`: argument index, -1 for the output, None if derived),
    the version each saved tensor had (`saved_versions`), `output_shape`, `output_dtype`,
    and, when asked for, `retained` (weak references to tensors that called retain_grad())
    and `hooks` (register_hook functions of the output's gradient).
    """

    saved_tensors: tuple | None = ()
    saved_slots = saved_versions = retained = hooks = ()  # (see above)
    mask_only = False  # True: the rule uses the inputs only through a mask (ops/masked.py)

    def __setstate__(self, state: dict) -> None:  # a copied or unpickled node is numbered anew,
        self.__dict__.update(state, _sequence=_next_sequence())  # after its inputs (copied first)

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep forward's inputs or output for `backward` (see the module docstring)."""
        self.saved_tensors = arrays

    def backward(self, grad_output: Any) -> Any:
        raise NotImplementedError(errors.NO_BACKWARD.format(op=type(self).__name__))

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run the op on Tensors (or plain numbers and arrays, taken as constants)."""
        ctx = cls()
        arrays, parents, mask, bit = [], [], 0, 1
        for arg in args:
            bit <<= 1
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                if arg._requires_grad:  # the slot itself: this is the hot path
                    mask |= bit
                    parents.append(arg.grad_fn or arg)
                    continue
            else:  # a NumPy scalar acts as a Python number, as in PyTorch
                arrays.append(arg.item() if isinstance(arg, np.generic) else arg)
            parents.append(None)
        recording, count = mask and _mode.grad, len(arrays)
        # An array passed twice (`x * x.data`: a graph input and a constant) gets a view, so
        # that each argument position has its own object and a saved value names its position.
        if recording and count > 1 and (arrays[1] is arrays[0] if count == 2 else
                                        len(set(map(id, arrays))) < count):
            arrays = [a.view() if type(a) is np.ndarray and any(a is b for b in arrays[:i]) else a
                      for i, a in enumerate(arrays)]
        mask = mask >> 1 if recording else 0
        ctx.needs_input_grad = _NEEDS[count][mask] if count < 8 else tuple(
            bool(mask >> i & 1) for i in range(count))
        try:
            raw = cls.forward(ctx, *arrays)
        except ValueError as error:  # the op and its operands' shapes named, in PyTorch's
            raise errors.op_error(cls.__name__, arrays, error) from None  # words (errors.py)
        # the dtype and 0-d policy (as_result), not paid by float32 arrays
        fast = type(raw) is np.ndarray and raw.dtype is _F32
        output = raw if fast else as_result(raw, arrays, cls)
        if not recording or output.dtype.kind != "f":  # only float results carry gradients
            return _make_tensor(output, None)
        ctx.parents, ctx._sequence = tuple(parents), _next_sequence()
        ctx.output_shape, ctx.output_dtype = output.shape, output.dtype
        result = _make_tensor(output, ctx)
        if ctx.saved_tensors:
            _track_saved(ctx, args, arrays, raw, result)
        for observe in observers:
            observe(ctx, arrays, output)
        return result


def _track_saved(ctx: Function, args: tuple, arrays: list, raw: Any, result: Tensor) -> None:
    """Note what each saved value is, and the version of each saved tensor; a derived value
    that views a tensor's memory changes with that tensor (as in PyTorch)."""
    slots, versions = [], []
    for index, value in enumerate(saved := ctx.saved_tensors):
        slot = owner = None
        if value is raw:
            slot, owner = -1, result
        elif type(value) is np.ndarray:
            for position, array in enumerate(arrays):  # an argument (each its own object)
                if array is value:
                    slot, owner = position, args[position]
                    break
            else:  # derived: a view of an argument's or the output's memory counts
                owner = next((t for a, t in zip((*arrays, result._data), (*args, result))
                              if isinstance(t, Tensor) and np.may_share_memory(value, a)), None)
        slots.append(slot)
        if isinstance(owner, Tensor):  # a plain array has no version
            counter = owner._counter = owner._counter or [0]
            versions.append((index, counter, counter[0]))
    if raw is not result._data and -1 in slots:  # the output as the result holds it (as_result)
        ctx.saved_tensors = tuple(result._data if s == -1 else v for v, s in zip(saved, slots))
    ctx.saved_slots, ctx.saved_versions = tuple(slots), tuple(versions)
