"""Module backward hooks, as PyTorch's `register_full_backward_hook(hook)`:
`hook(module, grad_input, grad_output)` runs when backward has computed the gradients with
respect to the module's positional tensor inputs (grad_input: zeros for a tensor that needs
none, None for an argument that is not a tensor or when no input needs a gradient) given
those of its outputs (grad_output); a tuple it returns replaces grad_input.
`register_full_backward_pre_hook(hook)`: `hook(module, grad_output)` runs when the outputs'
gradients are known, and a tuple it returns replaces them. (Grad-CAM keeps grad_output[0].)

Built as PyTorch builds them, on identity functions, a joint node at each end: the inputs
that require grad enter forward as copies (_Enter), each hanging from one joint node of
them all (_EnterGate), which backward reaches after every copy's gradient is known (those
the loss does not use: zeros, as PyTorch's); the full hooks run there, and what they return
replaces any of the inputs' gradients (None drops one: the input gets none from this call).
The outputs leave through one joint node (_Gate), which backward reaches once all of
their gradients are known, None for an output the loss does not use (zeros then go on into
forward's graph, so the inputs that fed only that output get zero gradients, as PyTorch's;
a module returning a dict gets no backward hook calls, as PyTorch's).
The deprecated `register_backward_hook` is PyTorch's old kind: see `attach_legacy_hooks`.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import numpy as np

from tinygrad_np.function import Function, is_grad_enabled
from tinygrad_np.tensor import Tensor, _mark_multi_view, _viewed

# PyTorch's error for an in-place write, with grad mode on, into a tensor that passed through
# a module's backward hooks (its output, or an input inside forward: nn.ReLU(inplace=True)).
IN_PLACE = ("Output {index} of BackwardHookFunction is a view and is being modified inplace. "
            "This view was created inside a custom Function (or because an input was returned "
            "as-is) and the autograd logic to handle view+inplace would override the custom "
            "backward associated with the custom Function, leading to incorrect gradients. "
            "This behavior is forbidden. You can fix this by cloning the output of the custom "
            "Function. (Here: the {what} of {module}, which has backward hooks; clone() it, or "
            "use an out-of-place op.)")


class _Call:
    """The gradients of one forward call, gathered as backward reaches them."""

    def __init__(self, module: Any, hooks: dict, inputs: list[Tensor | None],
                 constants: dict[int, tuple]) -> None:
        self.module, self.hooks = module, hooks
        self.constants = constants  # {position: (shape, dtype)} of the Tensor inputs that
        # need no gradient: grad_input has zeros there (as PyTorch's), if any input needs one
        self.grad_inputs: list[Any] = [None] * len(inputs)
        self.input_count = sum(x is not None for x in inputs)
        self.input_shapes = [(x.shape, x.dtype) if x is not None else None for x in inputs]
        self.grad_outputs: list[Any] = []
        self.incoming: list[Any] = []  # the outputs' gradients, as backward reaches them
        self.output_dtypes: list[Any] = []
        self.output_shapes: list[tuple] = []
        self.output_positions: list[int] = []  # where each watched tensor is in the output
        self.output_count = 0  # the output's top-level items (grad_output has one each)
        self.outputs_seen = False  # this pass has been through the outputs' gate

    def inputs_reached(self, recording: bool) -> tuple:
        """Every input copy's gradient is known (zeros for one the loss does not use): the full
        hooks run; returns the gradients to send on, one per input that requires grad, each
        the hooks' replacement (None: dropped) or the one through this call."""
        grads, hooked = self.grad_inputs, self.outputs_seen
        for position, known in enumerate(self.input_shapes):
            if known is not None and grads[position] is None and hooked:
                grads[position] = Tensor._make(np.zeros(*known), None)
        # A pass that reached the inputs without the outputs (a double backward, through the
        # graph of gradients recorded under create_graph) runs no hooks, as PyTorch's.
        replaced = self._run_full_hooks() if hooked else None
        self.grad_inputs = [None] * len(grads)  # (the next pass, retain_graph=True, gathers again)
        self.outputs_seen = False
        sent = []
        for position, known in enumerate(self.input_shapes):
            if known is None:
                continue
            found = grads[position] if replaced is None else replaced[position]
            if found is not None and tuple(found.shape) != tuple(known[0]):
                raise RuntimeError(f"backward hook of {type(self.module).__name__} returned a "
                                   f"gradient of shape {tuple(found.shape)} for input "
                                   f"{position} of shape {tuple(known[0])}")
            if found is not None and not isinstance(found, Tensor):
                raise TypeError(f"backward hook of {type(self.module).__name__} returned a "
                                f"{type(found).__name__} for input {position}: expected a "
                                "Tensor or None")
            if found is not None and found.dtype != known[1]:
                found = found.to(known[1])
            sent.append(found if found is None or recording else found._data)
        return tuple(sent)

    def outputs_reached(self, recording: bool) -> tuple:
        """Backward has every output's gradient (None for one it did not reach): run the
        pre-hooks once; returns the gradients to send into forward's graph."""
        dtypes = self.output_dtypes
        grads: list[Any] = [None if g is None else g if isinstance(g, Tensor) else
                            Tensor._make(np.asarray(g, dtype=dtype), None)
                            for g, dtype in zip(self.incoming, dtypes)]
        self.incoming = [None] * len(grads)  # (the next pass gathers again)
        self.outputs_seen = True
        for pre_hook in list(self.hooks.get("backward_pre", {}).values()):
            changed = pre_hook(self.module, self._per_item(grads))
            if changed is not None:
                changed = list(changed) if isinstance(changed, (tuple, list)) else [changed]
                if len(changed) != self.output_count:
                    raise RuntimeError(
                        "Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(changed)}, but expected {self.output_count} (the backward "
                        f"pre-hook of {type(self.module).__name__})")
                grads = [changed[i] for i in self.output_positions]
        self.grad_outputs = grads
        if not self.input_count:
            if self.hooks.get("backward"):  # no input needs a gradient: all None
                warnings.warn("Full backward hook is firing when gradients are computed "
                              "with respect to module outputs since no inputs require "
                              "gradients.", UserWarning, stacklevel=2)
            self._run_full_hooks()
        # An output the loss does not use sends zeros into forward's graph (the hooks saw
        # None), so every input gets its gradient and the full hooks run, as PyTorch's.
        grads = [Tensor._make(np.zeros(shape, dtype), None) if g is None else g
                 for g, shape, dtype in zip(grads, self.output_shapes, dtypes)]
        return tuple(g if recording else g._data for g in grads)

    def _per_item(self, grads: list[Any]) -> tuple:
        """grad_output as PyTorch's hooks see it: one entry per top-level item of the output,
        None for an item that is not a tensor needing a gradient (a nested tuple: an LSTM's
        (h, c))."""
        items: list[Any] = [None] * self.output_count
        for position, grad in zip(self.output_positions, grads):
            items[position] = grad
        return tuple(items)

    def _run_full_hooks(self) -> tuple | None:
        replaced, given = None, tuple(
            Tensor._make(np.zeros(*self.constants[i]), None)
            if self.input_count and i in self.constants else g
            for i, g in enumerate(self.grad_inputs))
        for hook in list(self.hooks.get("backward", {}).values()):
            grad_input = given if replaced is None else replaced
            changed = hook(self.module, grad_input, self._per_item(self.grad_outputs))
            if changed is not None:
                replaced = tuple(changed) if isinstance(changed, (tuple, list)) else (changed,)
                if len(replaced) != len(self.grad_inputs):
                    raise RuntimeError(
                        "Backward hook returned an invalid number of grad_input, got "
                        f"{len(replaced)}, but expected {len(self.grad_inputs)} (the backward "
                        f"hook of {type(self.module).__name__})")
        return replaced


class _EnterGate(Function):
    """The full hooks' gate of a module call's inputs; the full hooks run, then each input gets
    its gradient (dinput i = the hooks' grad_input i, or the one through the call).

    The joint node of the inputs that require grad, a zero-size token that each input's copy
    hangs from: backward reaches it after all the copies."""

    def forward(ctx, *inputs: np.ndarray) -> np.ndarray:
        return np.zeros(0, np.result_type(*inputs))

    def backward(ctx, grad_output: Any) -> tuple:
        return ctx.call.inputs_reached(isinstance(grad_output, Tensor))


class _Enter(Function):
    """An input of a module call with backward hooks, copied; g is held for the hooks' gate
    (dinput: none, the gate sends it; dgate: an empty token).

    A clone, as forward may change it in place; g is the gradient through this call."""

    def forward(ctx, x: np.ndarray, gate: np.ndarray) -> np.ndarray:
        return x.copy()

    def backward(ctx, grad_output: Any) -> tuple:
        recording = isinstance(grad_output, Tensor)
        grad = grad_output if recording else Tensor._make(np.asarray(grad_output), None)
        ctx.call.grad_inputs[ctx.position] = grad
        gate = np.zeros(0, ctx.gate_dtype)
        return None, (Tensor(gate) if recording else gate)


def wrap_inputs(module: Any, hooks: dict, args: tuple) -> tuple[tuple, _Call | None]:
    """The arguments forward gets (inputs that need a gradient copied through _Enter)."""
    if not is_grad_enabled():
        return args, None
    needs = [isinstance(arg, Tensor) and arg.requires_grad for arg in args]
    call = _Call(module, hooks, [arg if need else None for arg, need in zip(args, needs)],
                 {i: (arg.shape, arg.dtype) for i, arg in enumerate(args)
                  if isinstance(arg, Tensor) and not needs[i]})
    if not any(needs):
        return args, call
    gate = _EnterGate.apply(*(arg for arg, need in zip(args, needs) if need))
    gate.grad_fn.call = call
    copies = list(args)
    for position, need in enumerate(needs):
        if need:  # one grad_input per positional argument (None: no gradient)
            copies[position] = _Enter.apply(args[position], gate)
            _mark_multi_view(copies[position], IN_PLACE.format(
                index=position, what=f"input {position}", module=type(module).__name__))
            node = copies[position].grad_fn
            node.call, node.position, node.gate_dtype = call, position, gate.dtype
    return tuple(copies), call


def attach_legacy_hooks(module: Any, hooks: dict, output: Any) -> None:
    """PyTorch's deprecated `register_backward_hook`: each hook becomes a hook of the node of
    the output's first tensor (forward's last op), so grad_input holds that op's input
    gradients, in tinygrad_np's argument order (nn.Linear: input, weight, bias; PyTorch's
    addmm: bias, input, weight.T) and grad_output the op's output gradient."""
    while not isinstance(output, Tensor):
        if isinstance(output, dict):
            output = next(iter(output.values()), None)
        elif isinstance(output, (tuple, list)) and output:
            output = output[0]
        else:
            return
    if output.grad_fn is not None:
        for hook in hooks.values():
            output.grad_fn.register_hook(partial(_legacy_hook, hook, module))


def _legacy_hook(hook: Any, module: Any, grad_inputs: tuple, grad_outputs: tuple) -> Any:
    return hook(module, grad_inputs, grad_outputs)


class _Gate(Function):
    """The gate of a module call's backward hooks; the hooks run, then each output's g goes on
    unchanged (dinput i = g of output i).

    A zero-size node after all of a call's outputs: backward reaches it once, after every
    output's gradient is known (each output's _Pass hands its gradient over, not on), so the
    pre-hooks run once, with None for an output the loss does not use (as PyTorch's)."""

    def forward(ctx, *outputs: np.ndarray) -> np.ndarray:
        return np.zeros(0, np.result_type(*outputs))

    def backward(ctx, grad_output: Any) -> tuple:
        return ctx.call.outputs_reached(isinstance(grad_output, Tensor))


class _Pass(Function):
    """An output of a module call with backward hooks; g is held for the hooks' gate (the
    gradient sent, dgate, is an empty token).

    Output `position` of a call, as a view of it: its gradient goes to the call's _Gate."""

    def forward(ctx, output: np.ndarray, gate: np.ndarray) -> np.ndarray:
        return output.view()

    def backward(ctx, grad_output: Any) -> tuple:
        ctx.call.incoming[ctx.position] = grad_output
        gate = ctx.gate_zeros
        return None, (Tensor(gate) if isinstance(grad_output, Tensor) else gate)


def watch_outputs(call: _Call | None, output: Any) -> Any:
    """Route the outputs' gradients through the call's pre-hooks; returns the output, each
    tensor as an identity view of its own (so a container's hooks and its last layer's see
    different gradients)."""
    if call is None:
        return output
    single = isinstance(output, Tensor)
    if not isinstance(output, (Tensor, tuple)):  # (a list too, as PyTorch's)
        warnings.warn("For backward hooks to be called, module output should be a Tensor or a "
                      f"tuple of Tensors but received {type(output)}", UserWarning, stacklevel=3)
    items = [output] if single else list(output) if isinstance(output, tuple) else []
    tensors = [(i, t) for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
    if not tensors:  # (a dict, a list, or nothing that needs a gradient): PyTorch's hooks do
        call.hooks = {}  # not run
        return output
    call.output_positions, call.output_count = [index for index, _ in tensors], len(items)
    call.incoming = [None] * len(tensors)
    call.grad_outputs = [None] * len(tensors)
    call.output_dtypes = [tensor.dtype for _, tensor in tensors]
    call.output_shapes = [tuple(tensor.shape) for _, tensor in tensors]
    gate = _Gate.apply(*(tensor for _, tensor in tensors))
    gate.grad_fn.call = call
    for position, (index, tensor) in enumerate(tensors):
        watched = _viewed(tensor, _Pass.apply(tensor, gate))  # shares tensor's memory
        watched.grad_fn.call, watched.grad_fn.position = call, position
        watched.grad_fn.gate_zeros = np.zeros(0, gate.dtype)
        items[index] = watched.view_as(watched)  # the caller's: its own hooks run first, as
        # PyTorch's tensor hooks on a module's output run before the module's backward hooks
        _mark_multi_view(items[index], IN_PLACE.format(
            index=position, what="output", module=type(call.module).__name__))
    return items[0] if single else tuple(items)
