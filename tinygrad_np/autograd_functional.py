"""`torch.autograd.functional`: Jacobians, Hessians and vector products of a whole function.

    J = torch.autograd.functional.jacobian(f, x)          # shape f(x).shape + x.shape
    H = torch.autograd.functional.hessian(loss, (w, b))   # H[i][j]: w/b.shape + w/b.shape

All in reverse mode on `tg.grad`: a Jacobian takes one backward pass per output element, and
`jvp` / `hvp` use the double-backward trick (the gradient of the vector-Jacobian product
J^T u with respect to u, at u = 0, is J v), as PyTorch does. The structure follows PyTorch:
tuples where `inputs` (or func's result) were tuples, single Tensors otherwise; with
`create_graph=False` the results are detached, with True they can be differentiated again.
`strict=True` raises when an output does not depend on an input (instead of giving zeros).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_np.autograd import grad
from tinygrad_np.errors import AssertionTensorError, DtypeError
from tinygrad_np.function import enable_grad
from tinygrad_np.join import stack
from tinygrad_np.tensor import Tensor

_INDEPENDENT = "The output of the user-provided function is independent of input {}"


def _as_tuple(value: Any, name: str, caller: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(was it a tuple, the Tensors as a tuple): PyTorch takes a Tensor or a tuple here."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for position, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = f"the value at index {position} has" if is_tuple else f"the given {name} has"
            raise TypeError(f"{caller}: {name} must be a Tensor or a tuple of Tensors, but "
                            f"{where} type {type(item).__name__}")
    return is_tuple, values


def _unpack(values: tuple, is_tuple: bool) -> Any:
    return values if is_tuple else values[0]


def _prepare_inputs(inputs: tuple[Tensor, ...], create_graph: bool, caller: str) -> tuple:
    """Inputs func can be differentiated at: with create_graph, an input that needs grad
    stays connected to its graph (through an identity view); the others are detached."""
    prepared = []
    for position, tensor in enumerate(inputs):
        if tensor.dtype.kind != "f":
            raise DtypeError(f"{caller}: input {position} has dtype {tensor.dtype.name}; only "
                             "floating-point inputs can be differentiated")  # (a RuntimeError)
        if create_graph and tensor.requires_grad:
            prepared.append(tensor.view_as(tensor))
        else:
            prepared.append(tensor.detach().requires_grad_(True))
    return tuple(prepared)


def _prepare_v(v: Any, like: tuple[Tensor, ...], like_is_tuple: bool, create_graph: bool,
               caller: str, what: str) -> tuple[Tensor, ...]:
    """`v` as a tuple matching `like` in count and shapes (detached unless create_graph)."""
    _, v = _as_tuple(v, "v", caller)
    if len(v) != len(like):
        raise RuntimeError(f"{caller}: v is a tuple of invalid length: should be {len(like)} "
                           f"(one per {what}) but got {len(v)}" if like_is_tuple else
                           f"{caller}: the given v should contain a single Tensor (one per "
                           f"{what}), got {len(v)}")
    for position, (entry, other) in enumerate(zip(v, like)):
        if entry.shape != other.shape:
            prefix = f"entry {position} in " if like_is_tuple else ""
            raise RuntimeError(f"{caller}: {prefix}v has invalid size: should be {other.shape} "
                               f"(the {what}'s) but got {entry.shape}")
    return tuple(entry if create_graph and entry.requires_grad else entry.detach() for entry in v)


def _check_outputs(outputs: tuple[Tensor, ...], strict: bool) -> None:
    if strict:
        for position, output in enumerate(outputs):
            if not output.requires_grad:
                raise RuntimeError(
                    f"Output {position} of the user-provided function does not require "
                    "gradients. The outputs must be computed in a differentiable manner from "
                    "the input when running in strict mode.")


def _grad(outputs: Sequence[Tensor | None], inputs: Sequence[Tensor], seeds: Sequence[Any],
          create_graph: bool, retain_graph: bool | None = None) -> tuple[Tensor | None, ...]:
    """tg.grad over the outputs that require grad (None for inputs none of them reach);
    each seed in its output's dtype, so a seed needing grad stays in the graph."""
    pairs = [(out, seed if not isinstance(seed, Tensor) else seed.to(out.dtype))
             for out, seed in zip(outputs, seeds) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([out for out, _ in pairs], list(inputs), [seed for _, seed in pairs],
                retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


def _fill(found: Sequence[Tensor | None], like: Sequence[Tensor], strict: bool,
          create_graph: bool, missing: str, constant: str) -> tuple[Tensor, ...]:
    """Zeros where no gradient was found; with strict, raise `missing` there instead (and
    `constant` for a gradient that does not require grad under create_graph)."""
    result = []
    for position, (gradient, other) in enumerate(zip(found, like)):
        if gradient is None:
            if strict:
                raise RuntimeError(missing.format(position))
            gradient = Tensor(np.zeros(other.shape, dtype=other.dtype))
        elif strict and create_graph and not gradient.requires_grad:
            raise RuntimeError(constant.format(position))
        result.append(gradient)
    return tuple(result)


def _finish(values: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    return values if create_graph else tuple(value.detach() for value in values)


_STRICT = ". This is not allowed in strict mode."
_STRICT_GRAPH = ". This is not allowed in strict mode when create_graph=True."


def vjp(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...], v: Any = None,
        create_graph: bool = False, strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass. `v` matches
    func's outputs; None only for a single one-element output."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepare_inputs(inputs, create_graph, "vjp")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                           "function", "vjp")
        _check_outputs(outputs, strict)
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("vjp: v can only be None if the user-provided function returns "
                               f"a single Tensor with a single element; it returned shapes "
                               f"{[tuple(o.shape) for o in outputs]}")
        seeds: tuple = (None,)
    else:
        seeds = _prepare_v(v, outputs, outputs_tuple, create_graph, "vjp", "output")
    found = _grad(outputs, inputs, seeds, create_graph)
    products = _fill(found, inputs, strict, create_graph, _INDEPENDENT + _STRICT,
                     "The jacobian of the user-provided function is independent of input {}"
                     + _STRICT_GRAPH)
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(products, create_graph), inputs_tuple))


def jvp(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...], v: Any = None,
        create_graph: bool = False, strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick. `v`
    matches the inputs; None only for a single one-element input."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    with enable_grad():
        inputs = _prepare_inputs(inputs, create_graph, "jvp")
        if v is None:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError("jvp: v can only be None if the input is a single Tensor "
                                   f"with a single element; got shapes "
                                   f"{[tuple(x.shape) for x in inputs]}")
            v = (Tensor(np.ones(inputs[0].shape, dtype=inputs[0].dtype)),)
        else:
            v = _prepare_v(v, inputs, inputs_tuple, create_graph, "jvp", "input")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                           "function", "jvp")
        _check_outputs(outputs, strict)
        # u: the outputs' gradients, as leaves. J^T u is linear in u, so its gradient with
        # respect to u against v is J v, whatever u's values (zeros: never NaN).
        us = tuple(Tensor(np.zeros(o.shape, dtype=o.dtype if o.dtype.kind == "f" else
                                   np.float32), requires_grad=True) for o in outputs)
        transposed = _grad(outputs, inputs, us, create_graph=True)
        if strict:
            for position, gradient in enumerate(transposed):
                if gradient is None:
                    raise RuntimeError(_INDEPENDENT.format(position) + _STRICT)
                if not gradient.requires_grad:
                    raise RuntimeError(
                        f"The gradient with respect to input {position} is independent of "
                        "the inputs of the user-provided function" + _STRICT)
    with enable_grad() if create_graph else _nothing():
        found = _grad(transposed, us, v, create_graph)
    products = _fill(found, outputs, strict, create_graph,
                     "The gradient with respect to the input is independent of entry {} in "
                     "the grad_outputs when using the double backward trick to compute "
                     "forward mode gradients" + _STRICT,
                     "The jacobian of the user-provided function is independent of input {}"
                     + _STRICT_GRAPH)
    return (_unpack(_finish(outputs, create_graph), outputs_tuple),
            _unpack(_finish(products, create_graph), outputs_tuple))


class _nothing:
    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info: object) -> None:
        pass


_STRATEGIES = ("reverse-mode", "forward-mode")


def jacobian(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...],
             create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of func at `inputs`: entry [i][j] (only [i] or [j], or neither, where
    func's result or `inputs` is a single Tensor) has shape outputs[i].shape +
    inputs[j].shape (lists in place of tuples for several inputs with strategy='forward-mode',
    as PyTorch's). Computed in reverse mode, one backward pass per output element, whatever
    `vectorize` and `strategy` say (the values are the same)."""
    if strategy not in _STRATEGIES:
        raise AssertionTensorError(f"jacobian: strategy must be 'reverse-mode' or "
                                   f"'forward-mode', got {strategy!r}")
    if strategy == "forward-mode" and create_graph:
        raise NotImplementedError("jacobian: create_graph=True and strategy='forward-mode' "
                                  "are not supported together (as in PyTorch)")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("jacobian: strategy='forward-mode' needs vectorize=True "
                                  "(as in PyTorch)")
    if strict and vectorize:
        raise RuntimeError("jacobian: strict=True and vectorize=True are not supported "
                           "together (as in PyTorch)")
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepare_inputs(inputs, create_graph, "jacobian")
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                           "function", "jacobian")
        _check_outputs(outputs, strict)
        rows = tuple(_jacobian_of(i, out, inputs, create_graph, strict)
                     for i, out in enumerate(outputs))
    rows = tuple(_unpack(_finish(row, create_graph), inputs_tuple) for row in rows)
    if strategy == "forward-mode" and inputs_tuple:  # PyTorch's forward mode gives lists
        rows = tuple(list(row) for row in rows)
        return [*rows] if outputs_tuple else rows[0]
    return _unpack(rows, outputs_tuple)


def _jacobian_of(index: int, output: Tensor, inputs: tuple[Tensor, ...], create_graph: bool,
                 strict: bool) -> tuple[Tensor, ...]:
    """d output / d input for each input: one backward pass per output element."""
    columns: list[list] = [[] for _ in inputs]
    for element in range(output.numel()):
        seed = np.zeros(output.numel(), dtype=output.dtype)
        seed[element] = 1
        found = _grad((output,), inputs, (Tensor(seed.reshape(output.shape)),), create_graph,
                      retain_graph=True)
        for j, (gradient, tensor) in enumerate(zip(found, inputs)):
            if gradient is None:
                if strict:
                    raise RuntimeError(f"Output {index} of the user-provided function is "
                                       f"independent of input {j}" + _STRICT)
                gradient = Tensor(np.zeros(tensor.shape, dtype=tensor.dtype))
            elif strict and create_graph and not gradient.requires_grad:
                raise RuntimeError("The jacobian of the user-provided function is independent "
                                   f"of input {j}" + _STRICT_GRAPH)
            columns[j].append(gradient)
    result = []
    for column, tensor in zip(columns, inputs):
        shape = tuple(output.shape) + tuple(tensor.shape)
        if not column:
            result.append(Tensor(np.zeros(shape, dtype=tensor.dtype)))
        elif create_graph:
            result.append(stack(column).reshape(shape))
        else:
            result.append(Tensor(np.stack([g._data for g in column]).reshape(shape)))
    return tuple(result)


def _single_output(func: Callable[..., Any], values: tuple, strict: bool, caller: str) -> Tensor:
    """func's result, which must be one Tensor with one element (the functions of hessian,
    hvp and vhp)."""
    result = func(*values)
    is_tuple, outputs = _as_tuple(result, "outputs of the user-provided function", caller)
    _check_outputs(outputs, strict)
    if is_tuple:
        raise RuntimeError(f"{caller}: the function should return a single Tensor, not a "
                           f"tuple of {len(outputs)}")
    if result.numel() != 1:
        raise RuntimeError(f"{caller}: the Tensor returned by the function should contain a "
                           f"single element; it has shape {result.shape}")
    return result


_HESSIAN_CONSTANT = (
    "While computing the hessian, found that the jacobian of the user-provided function "
    "with respect to input {} is independent of the input. This is not allowed in strict "
    "mode. You should ensure that your function is twice differentiable and that the "
    "jacobian depends on the inputs (this would be violated by a linear function for "
    "example).")


def _first_derivatives(output: Tensor, inputs: tuple[Tensor, ...], strict: bool) -> tuple:
    """The gradient of a one-element `output`, recorded (zeros for unreached inputs)."""
    found = _grad((output,), inputs, (None,), create_graph=True)
    gradients = []
    for position, (gradient, tensor) in enumerate(zip(found, inputs)):
        if strict and (gradient is None or not gradient.requires_grad):
            raise RuntimeError(_INDEPENDENT.format(position) + _STRICT if gradient is None
                               else _HESSIAN_CONSTANT.format(position))
        gradients.append(Tensor(np.zeros(tensor.shape, dtype=tensor.dtype))
                         if gradient is None else gradient)
    return tuple(gradients)


def hessian(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...],
            create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a function returning one element: entry [i][j] has shape
    inputs[i].shape + inputs[j].shape (a single Tensor for a single input). The Jacobian of
    the recorded gradient."""
    inputs_tuple, values = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionTensorError("hessian: outer_jacobian_strategy must be 'reverse-mode' "
                                   f"or 'forward-mode', got {outer_jacobian_strategy!r}")

    def gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        return _first_derivatives(_single_output(func, xs, strict, "hessian"), xs, strict)

    rows = jacobian(gradient, values, create_graph=create_graph, strict=strict,
                    vectorize=vectorize, strategy=outer_jacobian_strategy)
    return rows if inputs_tuple else rows[0][0]


def vhp(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...], v: Any = None,
        create_graph: bool = False, strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a function returning one element: the gradient of
    <gradient, v>. `v` matches the inputs; None only for a single one-element input."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...], v: Any = None,
        create_graph: bool = False, strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), H v) for a function returning one element, by the double-backward
    trick (equal to vhp where the Hessian is symmetric)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
                     strict: bool, caller: str) -> tuple[Any, Any]:
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", caller)
    with enable_grad():
        inputs = _prepare_inputs(inputs, create_graph, caller)
        if v is None:
            if len(inputs) != 1 or inputs[0].numel() != 1:
                raise RuntimeError(f"{caller}: v can only be None if the input is a single "
                                   f"Tensor with a single element; got shapes "
                                   f"{[tuple(x.shape) for x in inputs]}")
            v = (Tensor(np.ones(inputs[0].shape, dtype=inputs[0].dtype)),)
        else:
            v = _prepare_v(v, inputs, inputs_tuple, create_graph, caller, "input")
        output = _single_output(func, inputs, strict, caller)
        gradients = _grad((output,), inputs, (None,), create_graph=True)
        if strict:
            for position, gradient in enumerate(gradients):
                if gradient is None or not gradient.requires_grad:
                    raise RuntimeError(_INDEPENDENT.format(position) + _STRICT
                                       if gradient is None
                                       else _HESSIAN_CONSTANT.format(position))
        wrt: tuple[Tensor, ...] = inputs
        if caller == "hvp":  # H^T w is linear in w: its gradient in w against v is H v
            wrt = tuple(Tensor(np.zeros(x.shape, dtype=x.dtype), requires_grad=True)
                        for x in inputs)
            gradients = _grad(gradients, inputs, wrt, create_graph=True)
    with enable_grad() if create_graph else _nothing():
        found = _grad(gradients, wrt, v, create_graph)
    products = _fill(found, inputs, strict, create_graph,
                     "The jacobian of the user-provided function is independent of input {}"
                     + _STRICT if caller == "vhp" else
                     "The hessian of the user-provided function is independent of entry {} "
                     "in the grad_jacobian. This is not allowed in strict mode as it prevents "
                     "from using the double backward trick to replace forward mode AD.",
                     "The hessian of the user-provided function is independent of input {}"
                     + _STRICT_GRAPH)
    return (_finish((output,), create_graph)[0],
            _unpack(_finish(products, create_graph), inputs_tuple))


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
