"""PyTorch's `torch.autograd.Function`: custom ops whose `forward` and `backward` see Tensors.

The engine's `tinygrad_np.Function` (function.py) runs `forward(ctx, *arrays)` and
`backward(ctx, grad)` on NumPy arrays: that is how the library's own ops are written. Code
written for PyTorch calls Tensor methods there (`input.clamp(min=0)`, `grad.clone()`,
`input.mm(weight.t())`), so `torch.autograd.Function` (this class, attached to
`tinygrad_np.autograd` by `tinygrad_np/__init__.py`) wraps a subclass's methods when the
class is defined:

    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):            # input: a Tensor (the engine's array, not copied)
            ctx.save_for_backward(input)
            return input.clamp(min=0)
        @staticmethod
        def backward(ctx, grad_output):     # grad_output and ctx.saved_tensors: Tensors
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

`forward` gets each Tensor argument as the caller's Tensor (`x.requires_grad` as the
caller's, as in PyTorch; a NumPy array argument as a Tensor that shares its memory), and runs
under `no_grad()`; other arguments (numbers, None, strings) come as given. An input it keeps
as a ctx attribute (`ctx.x = x`) is the caller's Tensor, so under create_graph the backward
differentiates through it, as PyTorch's (keep `x.detach()` for a constant). It
returns a Tensor or an array. `save_for_backward` hands the engine the arrays behind the
Tensors it is given, so the engine's checks (in-place changes, which saved value is an input
or the output, create_graph's refusal of derived values) work unchanged. `backward` gets
Tensors and returns Tensors, arrays, numbers or None; under `create_graph=True` they are the
engine's graph Tensors, so the rule is recorded and can be differentiated again.

Also: `setup_context(ctx, inputs, output)` with a `forward` without ctx (PyTorch 2's style),
`ctx.needs_input_grad`, `ctx.mark_non_differentiable`, `ctx.set_materialize_grads` and
`ctx.mark_dirty`, `vjp` as another name of `backward`, `jvp` (with `ctx.save_for_forward`:
PyTorch's forward-mode rule, which func.jvp uses; see `_jvp_transposed`), and `once_differentiable`
(`torch.autograd.function.once_differentiable`). A `forward` returning several outputs (a
tuple) gives a tuple back: the engine records one node whose output packs the float ones
(the others, and those marked non-differentiable, are constants), and `backward` gets one
gradient per output (zeros for a constant or unused one, as PyTorch's materialized grads;
None after `ctx.set_materialize_grads(False)`).

Under torch.func's transforms (`transform()`, entered by func.py around the user's function)
a Function must have `setup_context`, and under vmap a `vmap` staticmethod (run once on the
batched inputs by func.py's `vmap_rule_runner`) or `generate_vmap_rule = True`, as PyTorch's.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_np import errors, function as engine
from tinygrad_np.autograd import grad as engine_grad
from tinygrad_np.node_api import several_outputs
from tinygrad_np.tensor import (
    Tensor,
    _shares_memory_with_a_live_tensor,
    _write_plan,
    _write_through,
)

_calls = threading.local()  # per thread: [args, ctx] of every apply in progress
_forward_ad = threading.local()  # .depth: func.jvp calls in progress in this thread
_transforms = threading.local()  # .depth, .vmaps: torch.func transforms running in this thread

_DOCS = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"


# func.vmap's runner of a custom Function's own vmap rule, (cls, rule, args) -> the result of
# this slice's apply, or None to run forward on the slice (set by func.py)
vmap_rule_runner: Callable[[type, Callable[..., Any], tuple], Any] | None = None


def _vmap_rule(cls: type) -> Callable[..., Any] | None:
    """The `vmap` staticmethod cls defines (None: none, or generate_vmap_rule is set)."""
    if getattr(cls, "generate_vmap_rule", False):
        return None
    rule = _function_of(inspect.getattr_static(cls, "vmap", None))
    return None if rule is _base_vmap else rule


@contextlib.contextmanager
def transform(vmapping: bool = False) -> Iterator[None]:
    """While a torch.func transform calls the user's function (vmapping: vmap's slices): a
    custom Function applied there must be written PyTorch 2's way (see _check_transformable)."""
    depth, vmaps = getattr(_transforms, "depth", 0), getattr(_transforms, "vmaps", 0)
    _transforms.depth, _transforms.vmaps = depth + 1, vmaps + vmapping
    try:
        yield
    finally:
        _transforms.depth, _transforms.vmaps = depth, vmaps


def depth() -> int:
    """How many torch.func transforms are running in this thread."""
    return getattr(_transforms, "depth", 0)


def _check_transformable(cls: type) -> None:
    """PyTorch's rules for a custom Function under torch.func's transforms: a separate
    `setup_context`, and under vmap a `vmap` staticmethod or `generate_vmap_rule = True`."""
    if not cls._setup_style:
        raise RuntimeError("In order to use an autograd.Function with functorch transforms "
                           "(vmap, grad, jvp, jacrev, ...), it must override the setup_context "
                           f"staticmethod. {_DOCS}")
    if getattr(_transforms, "vmaps", 0) and not getattr(cls, "generate_vmap_rule", False) \
            and _vmap_rule(cls) is None:
        raise RuntimeError(f"You tried to vmap over {cls._op_name}, but it does not have vmap "
                           "support. Please override and implement the vmap staticmethod or "
                           f"set generate_vmap_rule=True. {_DOCS}")


@contextlib.contextmanager
def forward_mode() -> Iterator[None]:
    """While func.jvp runs (PyTorch's forward mode): a custom Function recorded here must
    define `jvp`, which its gradients under create_graph then come from (see _jvp_transposed)."""
    _forward_ad.depth = getattr(_forward_ad, "depth", 0) + 1
    try:
        yield
    finally:
        _forward_ad.depth -= 1


def _stack() -> list:
    stack = getattr(_calls, "stack", None)
    if stack is None:
        stack = _calls.stack = []
    return stack


def _wrap(array: Any, caller: Any = None) -> Any:
    """`array` as a Tensor that does not require grad (no copy). When it is `caller`'s own
    array, it shares caller's version counter: an in-place change in forward shows there."""
    if not isinstance(array, np.ndarray):
        return array
    tensor = Tensor._make(array, None)
    if isinstance(caller, Tensor) and caller._data is array:
        tensor._counter = caller._counter = caller._counter or [0]
    return tensor


def _keep_callers(ctx: Function, values: tuple, callers: tuple) -> None:
    """Replace each of forward's input Tensors that ctx keeps as an attribute by the Tensor
    the caller passed (the one in the graph), as PyTorch's forward gets the caller's."""
    originals = {id(value): caller for value, caller in zip(values, callers)
                 if isinstance(value, Tensor) and isinstance(caller, Tensor)
                 and value is not caller}
    if originals:
        for key, value in vars(ctx).items():
            if key.startswith("_"):  # the machinery's own (mark_dirty's inputs, ...)
                continue
            if id(value) in originals:
                setattr(ctx, key, originals[id(value)])
            elif isinstance(value, (list, tuple)) and any(id(v) in originals for v in value):
                setattr(ctx, key, type(value)(originals.get(id(v), v) for v in value))
            elif isinstance(value, dict) and any(id(v) in originals for v in value.values()):
                setattr(ctx, key, {k: originals.get(id(v), v) for k, v in value.items()})


def _function_of(method: Any) -> Callable[..., Any]:
    """The plain function behind a staticmethod (or a method defined without it)."""
    return method.__func__ if isinstance(method, (staticmethod, classmethod)) else method


def _wrapped_forward(user_forward: Callable[..., Any]) -> Callable[..., Any]:
    def forward(ctx: Function, *arrays: Any) -> Any:
        if not isinstance(ctx, Function):  # `MyOp.forward(...)` called directly: the user's
            return user_forward(ctx, *arrays)  # function, as PyTorch's (no node, no checks)
        stack = _stack()
        frame = stack[-1] if stack else None
        if frame is not None and len(frame[0]) == len(arrays):
            frame[1] = ctx
            # Tensor arguments (the engine passes their arrays) become Tensors again, and so
            # do NumPy arrays (constants to the engine; the tools re-run ops on arrays);
            # anything else (numbers, None, strings) comes as given
            values = tuple(c if isinstance(c, Tensor) and c._data is a else _wrap(a, c)
                           for a, c in zip(arrays, frame[0]))  # the caller's own Tensor
        else:  # called by the engine's apply directly: every array is a Tensor's
            values = tuple(_wrap(a) for a in arrays)
        if frame is not None and not any(ctx.needs_input_grad):  # (not recorded: under
            ctx.needs_input_grad = tuple(  # no_grad PyTorch's still says which require grad)
                isinstance(arg, Tensor) and arg.requires_grad for arg in frame[0])
        name = ctx._op_name
        with engine.no_grad():
            if type(ctx)._setup_style:
                output = user_forward(*values)
                type(ctx).setup_context(ctx, values, output)
            else:
                output = user_forward(ctx, *values)
        if frame is not None:  # an input kept on ctx (`ctx.x = x`) is the caller's Tensor,
            _keep_callers(ctx, values, frame[0])  # so create_graph differentiates through it
        # positions whose argument is not an array or Tensor (numbers, None, strings):
        # backward must return None there, as PyTorch checks
        ctx._constant_positions = tuple(i for i, value in enumerate(values)
                                        if not isinstance(value, (Tensor, np.ndarray)))
        if isinstance(output, (tuple, list)):  # several outputs: one packed array (apply
            return _pack(ctx, name, output, values)  # hands back the outputs, views of it)
        if not isinstance(output, (Tensor, np.ndarray)):  # None, a number, a string, a dict:
            ctx._returned = (output,)  # apply hands it back as it is, as PyTorch's (the engine
            return np.zeros(0, np.int8)  # records nothing for a result that is not float)
        raw = output._data if isinstance(output, Tensor) else output
        if ctx._dirty:  # the positions of the inputs forward changed in place (for apply)
            _check_dirty(name, ctx._dirty, values, output)
            ctx._dirty = tuple(i for i, value in enumerate(values)
                               if any(value is tensor for tensor in ctx._dirty))
        marks = getattr(ctx, "_non_differentiable", ())
        ctx._output_non_differentiable = any(raw is array for array in marks)
        return raw

    forward.__wrapped__ = user_forward  # type: ignore[attr-defined]
    return forward


def _pack(ctx: Function, name: str, outputs: tuple | list, values: tuple) -> np.ndarray:
    """Several outputs as the engine's one: the differentiable ones (float, not marked
    non-differentiable) raveled into one array; the others kept on ctx as constants. An
    input marked dirty must be one of them: `_dirty_outputs` maps its output to its position."""
    ctx._dirty_outputs = {}
    for tensor in ctx._dirty:
        at = next((i for i, output in enumerate(outputs) if output is tensor), None)
        _check_dirty(name, (tensor,), values, None if at is None else outputs[at])
        position = next((i for i, value in enumerate(values) if value is tensor), None)
        if at is not None and position is not None:
            ctx._dirty_outputs[at] = position
    ctx._dirty = ()
    marks, layout, parts = getattr(ctx, "_non_differentiable", ()), [], []
    for output in outputs:
        if not isinstance(output, (Tensor, np.ndarray)):  # a number, None, ...: handed back
            layout.append((None, None, output))  # as it is (its gradient: None)
            continue
        array = output._data if isinstance(output, Tensor) else output
        differentiable = array.dtype.kind == "f" and not any(array is m for m in marks)
        layout.append((array.shape, array.dtype, None if differentiable else array))
        if differentiable:
            parts.append(array.ravel())
    ctx._outputs = tuple(layout)
    dtype = np.result_type(*parts) if parts else np.dtype(np.float32)
    packed = np.concatenate([part.astype(dtype, copy=False) for part in parts] or [
        np.zeros(0, dtype)])
    # A saved output is saved as the packed array (the engine's output, so create_graph
    # differentiates through it) and unpacked for backward (`_saved_parts`: index -> output).
    arrays = [output._data if isinstance(output, Tensor) else output for output in outputs]
    ctx._saved_parts = {index: position for index, value in enumerate(ctx.saved_tensors or ())
                        for position, array in enumerate(arrays) if value is array and (
                            layout[position][2] is None and layout[position][1] is not None)}
    if ctx._saved_parts:
        ctx.saved_tensors = tuple(packed if index in ctx._saved_parts else value
                                  for index, value in enumerate(ctx.saved_tensors))
    return packed


def _part(ctx: Function, packed: Any, position: int) -> Any:
    """Output `position` (a differentiable one) from the packed array or Tensor."""
    offset = sum(int(np.prod(shape)) for shape, dtype, constant in ctx._outputs[:position]
                 if dtype is not None and constant is None)
    shape, dtype, _ = ctx._outputs[position]
    part = packed[offset:offset + int(np.prod(shape))].reshape(shape)
    return part if part.dtype == dtype else part.astype(dtype)


def _unpack(ctx: Function, packed: Any, gradients: bool = False) -> tuple:
    """The outputs (or their gradients) from the packed array or Tensor: each a view of its
    slice, in its dtype; a constant output (its gradient: zeros, as PyTorch's) as it was."""
    parts, offset = [], 0
    for shape, dtype, constant in ctx._outputs:
        if dtype is None:  # not a tensor
            parts.append(None if gradients else constant)
            continue
        if constant is not None:
            parts.append(np.zeros(shape, dtype) if gradients else Tensor._make(constant, None))
            continue
        size = int(np.prod(shape))
        part = packed[offset:offset + size].reshape(shape)
        if part.dtype != dtype:
            part = part.astype(dtype)
        elif not gradients:  # each output its own memory: an in-place change of one stays
            part = part.clone()  # its own
        parts.append(part)
        offset += size
    return tuple(parts)


def _note_reached(ctx: Function, outputs: tuple) -> None:
    """set_materialize_grads(False) with several outputs: a hook on each differentiable
    output's node notes, in `ctx._reached`, that a backward pass brought it a gradient (the
    others get None in backward, as PyTorch's, rather than zeros)."""
    ctx._reached = set()
    for position, output in enumerate(outputs):
        if isinstance(output, Tensor) and output.grad_fn is not None:
            def note(grad: Tensor, position: int = position) -> None:
                ctx._reached.add(position)

            output.grad_fn.hooks = (*output.grad_fn.hooks, note)


def _wrapped_backward(user_backward: Callable[..., Any]) -> Callable[..., Any]:
    def backward(ctx: Function, *grad_outputs: Any) -> Any:
        if not isinstance(ctx, Function):  # `MyOp.backward(...)` called directly
            return user_backward(ctx, *grad_outputs)
        grad_output, = grad_outputs
        recording = isinstance(grad_output, Tensor) or engine.is_grad_enabled()  # create_graph
        saved, parts = ctx.saved_tensors, getattr(ctx, "_saved_parts", {})
        ctx.saved_tensors = tuple(_wrap(_part(ctx, value, parts[index]) if index in parts else
                                        value) for index, value in enumerate(saved or ()))
        try:
            if grad_output is not None and not isinstance(grad_output, Tensor):
                grad_output = Tensor(grad_output) if recording else _wrap(np.asarray(grad_output))
            if recording and getattr(ctx, "_missing_jvp", False) and getattr(
                    _forward_ad, "depth", 0):
                raise NotImplementedError("You must implement the jvp function for custom "
                                          "autograd.Function to use it with forward mode AD.")
            if recording and getattr(ctx, "_tangent_specs", None) is not None:
                grads = _jvp_transposed(ctx, grad_output)
            elif getattr(ctx, "_outputs", None) is None:
                grads = user_backward(ctx, grad_output)
            else:  # several outputs: one gradient each (None for those that got none, if
                parts = _unpack(ctx, grad_output, True)  # ctx.set_materialize_grads(False))
                if not ctx.materialize_grads:
                    reached, ctx._reached = ctx._reached, set()
                    parts = tuple(g if i in reached else None for i, g in enumerate(parts))
                grads = user_backward(ctx, *(g if g is None or isinstance(g, Tensor) else (
                    Tensor(g) if recording else _wrap(g)) for g in parts))
        finally:
            ctx.saved_tensors = saved
        if isinstance(grads, list):  # PyTorch takes a list as one gradient, and refuses it
            raise RuntimeError(f"{ctx._op_name}.backward returned a list: expected a "
                               "Tensor or None, or a tuple of them (one per forward argument)")
        several = isinstance(grads, tuple)
        _check_grads(ctx, grads if several else (grads,), recording)
        if recording:  # the engine takes Tensors (its graph) as they are
            return grads
        held = {id(value._data) for value in vars(ctx).values() if isinstance(value, Tensor)}
        arrays = tuple(_unwrap(g, held) for g in (grads if several else (grads,)))
        return arrays if several else arrays[0]

    backward.__wrapped__ = user_backward  # type: ignore[attr-defined]
    return backward


def _check_dirty(name: str, dirty: tuple, values: tuple, output: Any) -> None:
    """PyTorch's mark_dirty rules: a Tensor that is not an input draws its warning; an input
    changed in place must be the output (else its history would not show the change, and
    gradients through it would be silently wrong)."""
    for tensor in dirty:
        if not any(tensor is value for value in values):
            warnings.warn(f"{name}: ctx.mark_dirty() received a tensor that was not an input. "
                          "Only input Tensors that have been mutated should be passed to "
                          "ctx.mark_dirty().", UserWarning, stacklevel=4)
        elif tensor is not output:
            raise RuntimeError(f"{name}: some elements marked as dirty during the forward "
                               "method were not returned as output. The inputs that are "
                               "modified inplace must all be outputs of the Function.")


def _check_grads(ctx: Function, grads: tuple, recording: bool = False) -> None:
    """Each gradient is a Tensor, an array, a number or None, and None where forward's
    argument was not a Tensor or array (as PyTorch: no gradient for a number). Under
    create_graph only a Tensor or None: an array or number has no graph, so the gradient's
    own derivative would be silently lost (PyTorch refuses them always)."""
    name = ctx._op_name
    constants = getattr(ctx, "_constant_positions", ())
    for position, grad in enumerate(grads):
        if grad is None:
            continue
        if not isinstance(grad, (Tensor, np.ndarray, int, float, np.generic)) \
                or isinstance(grad, (bool, np.bool_)):
            raise TypeError(f"{name}.backward returned {type(grad).__name__} at position "
                            f"{position}: expected a Tensor or None")
        if recording and not isinstance(grad, Tensor):
            raise RuntimeError(f"{name}.backward returned a {type(grad).__name__} at position "
                               f"{position} under create_graph=True: expected Variable or None "
                               f"(got {type(grad).__name__}); return a Tensor computed from "
                               f"grad_output, so the gradient has its own graph")
        if position in constants:
            raise RuntimeError(f"function {name}Backward returned a gradient different than "
                               f"None at position {position + 1}, but the corresponding forward "
                               "input was not a Variable (a Tensor)")


def _unwrap(grad: Any, held: set[int]) -> Any:
    """A gradient Tensor's array for the engine; a copy if a ctx attribute holds that array
    (the engine would otherwise let a leaf keep it as its .grad)."""
    if not isinstance(grad, Tensor):
        return grad
    return grad._data.copy() if id(grad._data) in held else grad._data


class _absent:  # noqa: N801 (used as a function)
    """A built-in node's attribute that PyTorch's custom nodes do not have (AttributeError),
    unless the user's forward sets it (`ctx._saved_self = x`): a non-data descriptor, so the
    instance's own attribute wins, as on PyTorch's ctx."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute

    def __get__(self, ctx: Any, owner: Any = None) -> Any:
        if ctx is None:
            return self
        raise AttributeError(f"'{ctx._op_name}Backward' object has no attribute "
                             f"'{self.attribute}'")


class Function(engine.Function):
    """PyTorch's `torch.autograd.Function`: subclass it with static `forward(ctx, *args)` (or
    `forward(*args)` and `setup_context(ctx, inputs, output)`) and `backward(ctx, grad)` on
    Tensors, and call `YourOp.apply(*args)`. See the module docstring."""

    _non_differentiable: tuple = ()
    _dirty: tuple = ()
    materialize_grads: bool = True
    _setup_style = False  # forward without ctx, and setup_context (set per subclass)
    _fills_defaults = 0  # apply binds forward's defaults when given fewer arguments
    generate_vmap_rule = False  # (PyTorch's: True derives a vmap rule from forward)

    _op_name = "Function"  # the subclass's own name, also on its nodes (see _backward_cls)

    _node_class = False  # MyOp._backward_cls (and its subclasses): all of MyOp inherited

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls._node_class:
            return
        cls._op_name = cls.__name__
        # apply's nodes are of this subclass, `type(y.grad_fn).__name__ == "MyOpBackward"` as
        # PyTorch's (a class attribute, so that pickle finds it by its qualified name)
        cls._backward_cls = type(f"{cls.__name__}Backward", (cls,), {
            "__qualname__": f"{cls.__qualname__}._backward_cls",
            "__module__": cls.__module__, "_node_class": True})
        cls._setup_style = _function_of(inspect.getattr_static(
            cls, "setup_context")) is not _base_setup_context
        own = vars(cls)
        if "forward" in own:
            user_forward = _function_of(own["forward"])
            cls.forward = staticmethod(_wrapped_forward(user_forward))
            cls._fills_defaults = _defaults_from(user_forward) if cls._setup_style else 0
        rule = own.get("backward", own.get("vjp"))
        if rule is not None:
            cls.backward = staticmethod(_wrapped_backward(_function_of(rule)))

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError("a torch.autograd.Function subclass must define forward")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        raise NotImplementedError("setup_context is not defined")

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """Forward mode's rule (PyTorch's default: not implemented; override it)."""
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @staticmethod
    def vmap(info: Any, in_dims: Any, *args: Any) -> Any:
        """vmap's rule (PyTorch's default: not implemented; override it, or set
        generate_vmap_rule = True)."""
        raise NotImplementedError("To use autograd.Function with vmap, you must either "
                                  "override the vmap staticmethod or set generate_vmap_rule=True.")

    @property
    def saved_tensors(self) -> tuple | None:
        """What save_for_backward kept. The library reads the engine's arrays; your code reads
        Tensors, as PyTorch's (from outside backward too: `y.grad_fn.saved_tensors`), an input
        as the caller's own Tensor, the output with this node as its grad_fn."""
        saved = self.__dict__.get("_saved_values", ())
        if sys._getframe(1).f_globals.get("__name__", "").partition(".")[0] == "tinygrad_np":
            return saved
        return _saved_as_tensors(self, saved)

    @saved_tensors.setter
    def saved_tensors(self, value: tuple | None) -> None:
        self.__dict__["_saved_values"] = value

    @property
    def saved_variables(self) -> tuple:
        """PyTorch's deprecated name of saved_tensors (with its DeprecationWarning)."""
        warnings.warn("'saved_variables' is deprecated; use 'saved_tensors'",
                      DeprecationWarning, stacklevel=2)
        return _saved_as_tensors(self, self.__dict__.get("_saved_values", ()))

    # PyTorch's custom nodes have none of a built-in node's `_saved_*` attributes
    _saved_self, _saved_other, _saved_result, _saved_exponent = (_absent(name) for name in (
        "_saved_self", "_saved_other", "_saved_result", "_saved_exponent"))
    _raw_saved_self, _raw_saved_other, _raw_saved_result = (_absent(name) for name in (
        "_raw_saved_self", "_raw_saved_other", "_raw_saved_result"))

    def name(self) -> str:
        """`<YourOp>Backward`, as PyTorch names a custom function's node."""
        return f"{self._op_name}Backward"

    def __repr__(self) -> str:
        return f"<{self._op_name}Backward object at {id(self):#x}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`MyOp()(x)`, the old style: PyTorch's error, pointing at `MyOp.apply(x)` (a node
        that apply recorded, `y.grad_fn`, is not callable: PyTorch's TypeError)."""
        if "parents" in self.__dict__:
            raise TypeError(f"'{self._op_name}Backward' object is not callable")
        raise RuntimeError(f"Legacy autograd function with non-static forward method is "
                           f"deprecated. Please use new-style autograd function with static "
                           f"forward method: call {self._op_name}.apply(...)")

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep Tensors (inputs or the output of forward; None allowed) for backward."""
        for position, value in enumerate(tensors):
            if not (value is None or isinstance(value, (Tensor, np.ndarray))):
                raise TypeError(f"save_for_backward can only save variables, but argument "
                                f"{position} is of type {type(value).__name__} ("
                                f"{self._op_name}.save_for_backward takes Tensors or None; "
                                "keep other values as ctx attributes)")
        super().save_for_backward(*(t._data if isinstance(t, Tensor) else t for t in tensors))

    def save_for_forward(self, *tensors: Any) -> None:
        """Keep Tensors for `jvp` (which sees them as ctx.saved_tensors), as PyTorch's."""
        self._saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """The output given here does not require grad (as PyTorch's)."""
        self._non_differentiable = (*self._non_differentiable, *(
            t._data if isinstance(t, Tensor) else t for t in tensors))

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Inputs forward changed in place (and returns): apply gives back that very Tensor,
        now the result of this op, as PyTorch does."""
        self._dirty = (*self._dirty, *tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward gets None (not zeros) for an output that received no
        gradient, or is not differentiable, as PyTorch's."""
        self.materialize_grads = bool(value)

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Run the op on Tensors (other arguments are passed to forward as they are)."""
        if kwargs or len(args) < cls._fills_defaults:  # bound to forward's parameters, as
            signature = vars(cls).get("_signature")  # PyTorch does (made once per class)
            if signature is None:
                forward = getattr(cls.forward, "__wrapped__", cls.forward)
                parameters = list(inspect.signature(forward).parameters.values())
                signature = cls._signature = inspect.Signature(
                    parameters if cls._setup_style else parameters[1:])  # (without ctx)
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{cls.__name__}.apply: {error}") from None
            if bound.kwargs:  # (PyTorch's error too: apply passes forward positions only)
                raise TypeError(f"{cls.__name__}.apply: forward() got an unexpected keyword "
                                f"argument {next(iter(bound.kwargs))!r} (keyword-only: apply "
                                "passes arguments by position)")
            bound.apply_defaults()
            args = bound.args
        if getattr(_transforms, "depth", 0):
            _check_transformable(cls)
            rule = _vmap_rule(cls) if getattr(_transforms, "vmaps", 0) else None
            if rule is not None and vmap_rule_runner is not None:
                found = vmap_rule_runner(cls, rule, args)
                if found is not None:
                    return found
        frame: list = [args, None]
        stack = _stack()
        stack.append(frame)
        try:
            result = super(Function, cls._backward_cls).apply(*args)
        finally:
            stack.pop()
        ctx = frame[1]
        if ctx is None:
            return result
        if ctx.saved_tensors and "parents" in vars(ctx):  # (saved_tensors read outside gives
            ctx._callers = tuple(weakref.ref(arg) if isinstance(arg, Tensor) else None  # the
                                 for arg in args)  # caller's Tensors back, while they live)
        if getattr(_forward_ad, "depth", 0) and "parents" in vars(ctx):
            _note_forward_mode(cls, ctx, args)
        returned = getattr(ctx, "_returned", None)
        if returned is not None:
            return returned[0]
        if getattr(ctx, "_outputs", None) is not None:
            outputs = _unpack(ctx, result)
            for at, position in ctx._dirty_outputs.items():  # an input changed in place and
                ctx._dirty = (position,)  # returned is that output, as PyTorch's
                outputs = (*outputs[:at], _rebase(ctx, args, outputs[at]), *outputs[at + 1:])
            outputs = several_outputs(outputs, f"{cls._op_name}Backward", ctx)
            if not ctx.materialize_grads:
                _note_reached(ctx, outputs)
            return outputs
        dirty = bool(ctx._dirty)  # (the input changed in place and returned: not a view)
        if dirty:
            result = _rebase(ctx, args, result)
        if getattr(ctx, "_output_non_differentiable", False) and result.grad_fn is not None:
            result = Tensor._make(result._data, None)
        if not dirty and result.grad_fn is not None and any(  # a view of an input (or it
                isinstance(arg, Tensor) and np.may_share_memory(arg._data, result._data)
                for arg in args):  # as-is): an in-place write into it is refused, as PyTorch's
            result._custom_view_of = cls._op_name
        return result


def _saved_as_tensors(ctx: Function, saved: tuple | None) -> tuple:
    """`ctx.saved_tensors` as user code sees it: Tensors, as PyTorch's (PyTorch's error once
    backward has freed them)."""
    if saved is None:
        raise RuntimeError(errors.FREED_GRAPH.format(op=ctx.name()))
    if "parents" not in vars(ctx):  # (in forward, or not recorded: nothing saved yet, as
        return ()  # PyTorch's, which saves them when forward returns)
    for index, counter, version in ctx.saved_versions:  # changed in place since: PyTorch's
        if counter[0] != version:  # error, as backward would give
            raise ctx.stale_error(index, counter[0], version)
    slots, parts = ctx.saved_slots, getattr(ctx, "_saved_parts", {})
    callers, parents = vars(ctx).get("_callers", ()), getattr(ctx, "parents", ())
    found = []
    for index, value in enumerate(saved):
        slot = slots[index] if index < len(slots) else None
        if value is None or isinstance(value, Tensor):
            found.append(value)
            continue
        caller = callers[slot]() if slot is not None and 0 <= slot < len(callers) and (
            callers[slot]) else None
        parent = parents[slot] if slot is not None and 0 <= slot < len(parents) else None
        if caller is not None and caller._data is value:
            found.append(caller)
        elif isinstance(parent, Tensor):
            found.append(parent)
        elif not isinstance(value, np.ndarray):
            found.append(value)
        elif (counter := next((c for i, c, _ in ctx.saved_versions if i == index),
                              None)) is None:  # a value forward derived, on no tensor's
            found.append(Tensor._make(value.copy(), None))  # counter: a copy (no write reaches it)
        else:  # the output (of several: its part) or a non-leaf input: on the saved entry's
            # counter, so an in-place change through it makes backward refuse, as PyTorch's
            tensor = Tensor._make(_part(ctx, value, parts[index]) if index in parts else value,
                                  ctx if slot == -1 and index not in parts else parent)
            tensor._counter = counter
            found.append(tensor)
    return tuple(found)


def _defaults_from(forward: Callable[..., Any]) -> int:
    """For a setup_context-style forward with defaults (setup_context sees them in `inputs`,
    as PyTorch's): apply binds them when given fewer positional arguments than this; 0 when
    there are none to fill (a binding per call costs several times the apply)."""
    parameters = list(inspect.signature(forward).parameters.values())
    if not any(parameter.default is not parameter.empty for parameter in parameters):
        return 0
    if any(parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
           for parameter in parameters):
        return sys.maxsize  # (a keyword-only default, or *args: always bound)
    return len(parameters)


_base_setup_context = _function_of(inspect.getattr_static(Function, "setup_context"))
_base_jvp = _function_of(inspect.getattr_static(Function, "jvp"))
_base_vmap = _function_of(inspect.getattr_static(Function, "vmap"))


class InplaceFunction(Function):
    """PyTorch's legacy base of a Function with an `inplace` flag (`self.inplace`)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


def _note_forward_mode(cls: type, ctx: Function, args: tuple) -> None:
    """A node recorded under func.jvp: its jvp is required, and the shapes of its tangents
    (one per Tensor argument that requires grad, None for the others) noted."""
    if _function_of(inspect.getattr_static(cls, "jvp", None)) in (None, _base_jvp):
        from tinygrad_np.forward_ad import _levels  # (imports this module)

        # PyTorch raises only when a dual reaches it: here at once for a dual passed in,
        # else when a tangent is computed through the node (see _wrapped_backward)
        if any(arg is dual for level in _levels for dual, _ in level for arg in args):
            raise NotImplementedError("You must implement the jvp function for custom "
                                      "autograd.Function to use it with forward mode AD.")
        ctx._missing_jvp = True
        return
    ctx._tangent_specs = tuple((arg.shape, arg.dtype) if isinstance(arg, Tensor) and
                               arg.requires_grad else None for arg in args)


def _jvp_transposed(ctx: Function, grad_output: Any) -> tuple:
    """The gradients of ctx's inputs as the transpose of its jvp (linear in the tangents):
    the gradient in t of <jvp(t), g>, recorded. func.jvp differentiates it in g against the
    tangents, which gives jvp(tangents): the user's forward-mode rule, as PyTorch's."""
    tangents = [None if spec is None else Tensor(np.zeros(*spec), requires_grad=True)
                for spec in ctx._tangent_specs]
    saved = ctx.saved_tensors
    if hasattr(ctx, "_saved_for_forward"):
        ctx.saved_tensors = ctx._saved_for_forward
    try:
        with engine.enable_grad():
            found = type(ctx).jvp(ctx, *tangents)
    finally:
        ctx.saved_tensors = saved
    found = found if isinstance(found, tuple) else (found,)
    seeds = _unpack(ctx, grad_output, True) if getattr(ctx, "_outputs", None) else (grad_output,)
    pairs = [(t, g) for t, g in zip(found, seeds) if isinstance(t, Tensor) and t.requires_grad
             and g is not None]
    wanted = [t for t in tangents if t is not None]
    grads = iter(engine_grad([t for t, _ in pairs], wanted, [g for _, g in pairs],
                             create_graph=True, allow_unused=True) if pairs and wanted
                 else [None] * len(wanted))
    return tuple(None if t is None else next(grads) for t in tangents)


def _rebase(ctx: Function, args: tuple, result: Tensor) -> Tensor:
    """mark_dirty: the input Tensor forward changed in place and returned becomes the result
    (its grad_fn this op, its values the output), as PyTorch's in-place custom functions."""
    positions, ctx._dirty = ctx._dirty, ()
    for position in positions:
        arg = args[position]
        if not isinstance(arg, Tensor):
            continue
        if arg.grad_fn is None and arg._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                               f"operation ({ctx._op_name}: mark_dirty of a leaf)")
        arg._bump_version()  # (PyTorch's apply counts a dirty input as changed once more)
        if result.grad_fn is not None and _shares_memory_with_a_live_tensor(arg) and (
                plan := _write_plan(arg)) is not None:  # a view: its base's graph (and its
            _write_through(arg, plan, result)  # other views) records the write, as any
            counter = arg._counter  # recorded in-place write into a view does
            ctx.saved_versions = tuple((i, c, counter[0]) if c is counter else (i, c, v)
                                       for i, c, v in ctx.saved_versions)
            return arg
        arg._data = result._data  # the same array, unless forward's write needed a copy
        if result.grad_fn is not None:
            counter = arg._counter = arg._counter or [0]
            ctx.saved_versions = tuple((i, counter, counter[0]) if c is result._counter else
                                       (i, c, v) for i, c, v in ctx.saved_versions)
            arg.grad_fn, arg._requires_grad = result.grad_fn, True
        return arg
    return result


class _DelayedError(engine.Function):
    """The graph node once_differentiable puts after a gradient computed under create_graph:
    the value unchanged, and an error if anything differentiates through it."""

    def forward(ctx: Any, value: Any, name: str, *anchors: Any) -> Any:
        ctx.fn_name = name
        return np.array(value, copy=True)

    def backward(ctx: Any, grad_output: Any) -> Any:
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           f"@once_differentiable ({ctx.fn_name}.backward)")


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """PyTorch's decorator of a backward that cannot itself be differentiated: it runs under
    no_grad; under create_graph its gradients require grad only when a gradient it received
    does, and then raise if differentiated again."""

    @functools.wraps(backward)
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        with engine.no_grad():
            grads = backward(ctx, *grad_outputs)
        if not engine.is_grad_enabled():
            return grads
        # as PyTorch's: only gradients flowing in that require grad make the results
        # differentiable (and raise when differentiated); the saved inputs do not
        anchors = [t for t in grad_outputs if isinstance(t, Tensor) and t.requires_grad]
        if not anchors:
            return grads
        name = ctx._op_name
        several = isinstance(grads, (tuple, list))
        delayed = tuple(_DelayedError.apply(g._data, name, *anchors) if isinstance(g, Tensor)
                        else g for g in (grads if several else (grads,)))
        return delayed if several else delayed[0]

    return wrapper


FunctionCtx = Function  # the type of ctx, for annotations (torch.autograd.function.FunctionCtx)

__all__ = ["Function", "FunctionCtx", "InplaceFunction", "once_differentiable"]
