"""The rest of `torch.autograd`'s names, above the engine: `gradcheck` and `gradgradcheck` in
PyTorch's signatures, `Variable`, `backward` for several tensors at once, and the grad and
anomaly modes. `tinygrad_np/__init__.py` attaches them to the engine module
`tinygrad_np.autograd`, so `torch.autograd.gradcheck(...)` works after
`import tinygrad_np as torch`; the engine itself imports nothing from here.

    torch.autograd.gradcheck(lambda x: (x.sin(), x * x), (x,))   # True, or GradcheckError
    torch.autograd.backward([loss_a, loss_b])                    # one pass, both into .grad
"""

from __future__ import annotations

import threading
import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_np import anomaly, function, functional_forms, hooks
from tinygrad_np._decorate import ContextDecorator
from tinygrad_np.autograd import _GRAD_LOCK, _add_to_grad, grad as engine_grad
from tinygrad_np.autograd_graph import edges_as_tensors
from tinygrad_np.errors import IndexOutOfBounds, TensorError
from tinygrad_np.gradcheck import GradcheckError, _reraise, gradcheck as _gradcheck
from tinygrad_np.join import stack
from tinygrad_np.tensor import (
    EMPTY_INPUTS,
    Tensor,
    given_gradients,
    given_inputs,
    warn_create_graph_cycle,
)


def _as_tensors(value: Any, name: str, caller: str) -> tuple[Any, ...]:
    """A Tensor as a 1-tuple, a tuple or list as a tuple; anything else is refused."""
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (tuple, list)):
        return tuple(value)
    raise TypeError(f"{caller}: {name} must be a Tensor or a tuple of Tensors, got "
                    f"{type(value).__name__}")


def _outputs(value: Any, caller: str) -> tuple[Tensor, ...]:
    """func's result as a tuple of Tensors (PyTorch: a Tensor or a tuple of them)."""
    outputs = _as_tensors(value, "the value returned by func", caller)
    for position, output in enumerate(outputs):
        if not isinstance(output, Tensor):
            raise TypeError(f"{caller}: func returned {type(output).__name__} at output "
                            f"{position}: return a Tensor or a tuple of Tensors")
    return outputs


def _some_require_grad(inputs: tuple[Any, ...], caller: str) -> None:
    """PyTorch's check, before func runs (so `inputs=()` is this error, not func's)."""
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError(f"{caller} expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


def gradcheck(
    func: Callable[..., Any], inputs: Tensor | Sequence[Any], *, eps: float = 1e-6,
    atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
    nondet_tol: float = 0.0, check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False, check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
    check_backward_ad: bool = True, fast_mode: bool = False, masked: bool | None = None,
) -> bool:
    """PyTorch's `torch.autograd.gradcheck`: True if backward agrees with central differences.

    `inputs` is a Tensor or a tuple; `func` may return a Tensor or a tuple of Tensors (each
    float output is checked; the report names it). Runs `tg.gradcheck` (with its report of
    the worst element and the op to blame) and raises its GradcheckError, or returns False
    with `raise_exception=False`. As PyTorch's, it runs in the inputs' dtypes, warning about
    each input that requires grad and is not float64 (float32 differences are mostly
    rounding noise, so such a check usually fails). `fast_mode=True` compares one random
    projection per input. As PyTorch's, backward runs twice on the same graph and the two
    gradients must agree to `nondet_tol` (else "Backward is not reentrant"), and backward
    with zero grad_outputs must give zeros. `check_forward_ad=True` compares forward_ad's
    tangents with central differences too (checking custom Functions' `jvp`).
    `check_grad_dtypes=True`: each gradient has its input's dtype. `check_batched_grad=True`:
    `grad(..., is_grads_batched=True)` with a batch of random grad_outputs equals one backward
    per seed (a loop here: PyTorch's vmap). `check_undefined_grad` (on by default, as
    PyTorch's): every custom Function node that called `set_materialize_grads(False)` gets
    None in backward and must give None or zero gradients. `masked` and
    the batched forward check are accepted and change nothing; `check_backward_ad=False`
    skips the backward check, as in PyTorch.
    """
    inputs = _as_tensors(inputs, "inputs", "gradcheck")
    if not (check_backward_ad or check_forward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad "
                             "to be True")
    if not check_backward_ad:
        _some_require_grad(inputs, "gradcheck")
        return _forward_ad_agrees(func, inputs, eps, atol, rtol, raise_exception)
    _some_require_grad(inputs, "gradcheck")
    options = dict(eps=abs(eps) if eps < 0 else eps, atol=atol, rtol=rtol,  # (PyTorch takes
                   raise_exception=raise_exception, fast=fast_mode,  # a negative eps)
                   in_float64=False, nondet_tol=nondet_tol)
    before = [np.array(t._data, copy=True) if isinstance(t, Tensor) and t.requires_grad
              else None for t in inputs]  # (the inputs checked: a counter may move)
    _outputs(func(*inputs), "gradcheck")  # Tensors only (tg.gradcheck checks each)
    for position, (tensor, old) in enumerate(zip(inputs, before)):
        if old is not None and not np.array_equal(old, tensor._data, equal_nan=True):
            return _refuse(f"gradcheck: func changed input {position} (shape {tensor.shape}) "
                           "in place: its values differ after one call, so every evaluation "
                           "of the check would see other inputs (PyTorch's check fails on "
                           "them). Check a function of the inputs' values: work on "
                           "`x.clone()` inside func.", raise_exception)
    for position, tensor in enumerate(inputs):
        if isinstance(tensor, Tensor) and tensor.requires_grad and tensor.dtype != np.float64:
            warnings.warn(f"Input #{position} requires gradient and is not a double precision "
                          "floating point or complex. This check will likely fail if all the "
                          "inputs are not of double precision floating point or complex. ",
                          UserWarning, stacklevel=2)
    if not _gradcheck(func, inputs, **options):
        return False
    if check_grad_dtypes and not _grad_dtypes_agree(func, inputs, raise_exception):
        return False
    if check_batched_grad and not _batched_grads_agree(func, inputs, atol, rtol,
                                                       raise_exception):
        return False
    if check_forward_ad and not _forward_ad_agrees(func, inputs, eps, atol, rtol,
                                                   raise_exception):
        return False
    if not _scaled_by_grad_output(func, inputs, raise_exception):
        return False
    return not check_undefined_grad or _undefined_grads_handled(func, inputs, raise_exception)


def _differentiated(func: Callable[..., Any], inputs: tuple) -> tuple[list, list[int]]:
    """func's outputs that require grad, and the positions of the inputs that do."""
    outputs = [o for o in _outputs(func(*inputs), "gradcheck") if o.requires_grad]
    return outputs, [p for p, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _grad_dtypes_agree(func: Callable[..., Any], inputs: tuple, raise_exception: bool) -> bool:
    """check_grad_dtypes: each input's gradient has the input's dtype."""
    outputs, checked = _differentiated(func, inputs)
    if not outputs:
        return True
    found = engine_grad(outputs, [inputs[p] for p in checked],
                        [Tensor(np.ones(o.shape, o.dtype)) for o in outputs], allow_unused=True)
    for position, value in zip(checked, found):
        if value is not None and value.dtype != inputs[position].dtype:
            return _refuse(f"Gradient has dtype mismatch: the gradient of input {position} is "
                           f"{value.dtype}, the input {inputs[position].dtype}", raise_exception)
    return True


def _batched_grads_agree(func: Callable[..., Any], inputs: tuple, atol: float, rtol: float,
                         raise_exception: bool) -> bool:
    """check_batched_grad: grad with is_grads_batched=True (two random seeds per output)
    against one grad call per seed."""
    outputs, checked = _differentiated(func, inputs)
    if not outputs:
        return True
    rng = np.random.default_rng(0)
    seeds = [Tensor(rng.standard_normal((2, *o.shape)).astype(o.dtype)) for o in outputs]
    wanted = [inputs[p] for p in checked]
    batched = grad(outputs, wanted, seeds, retain_graph=True, allow_unused=True,
                   is_grads_batched=True)
    for row in range(2):
        single = engine_grad(outputs, wanted, [s[row] for s in seeds], retain_graph=True,
                             allow_unused=True)
        for position, many, one in zip(checked, batched, single):
            if (many is None) != (one is None) or one is not None and not np.allclose(
                    many._data[row], one._data, rtol, atol, equal_nan=True):
                return _refuse(
                    "gradcheck or gradgradcheck failed while testing batched gradient "
                    f"computation: for input {position}, seed {row} of the batch gives another "
                    "gradient batched (is_grads_batched=True) than alone", raise_exception)
    return True


def _undefined_grads_handled(func: Callable[..., Any], inputs: tuple,
                             raise_exception: bool) -> bool:
    """check_undefined_grad, as PyTorch's: every custom Function node of func's graph gets
    undefined output gradients (None after `ctx.set_materialize_grads(False)`, else zeros)
    and must give None or zero gradients; a RuntimeError in its backward fails the check
    (another error, as `None * 2`'s TypeError, propagates, as in PyTorch). Nodes that get
    zeros are covered by _scaled_by_grad_output's check."""
    from tinygrad_np.autograd_function import Function as CustomFunction

    outputs, _ = _differentiated(func, inputs)
    stack, seen = [o.grad_fn for o in outputs], set()
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, Tensor) or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.parents)
        if not isinstance(node, CustomFunction) or node.materialize_grads:
            continue  # (zeros for it: _scaled_by_grad_output's check covers those)
        several = getattr(node, "_outputs", None) is not None
        if several:
            node._reached = set()  # (so that each output's gradient is None)
        undefined = np.zeros(node.output_shape, node.output_dtype) if several else None
        problem = None
        try:
            with function.no_grad():
                found = type(node).backward(node, undefined)
        except RuntimeError:
            problem = "Expected backward function to handle undefined output grads."
        else:
            found = found if isinstance(found, tuple) else (found,)
            if any(g is not None and np.any(np.asarray(g) != 0) for g in found):
                problem = ("Expected all input grads to be undefined or zero when all output "
                           "grads are undefined or zero.")
        if problem is not None:
            warnings.warn("Backwards compatibility: New undefined gradient support checking "
                          "feature is enabled by default, but it may break existing callers "
                          "of this function. If this is true for you, you can call this "
                          'function with "check_undefined_grad=False" to disable the feature',
                          UserWarning, stacklevel=3)
            return _refuse(f'{problem} Please look at "Notes about undefined output gradients" '
                           f'in "tools/autograd/derivatives.yaml" (the backward of '
                           f"{node._op_name})", raise_exception)
    return True


def _forward_ad_agrees(func: Callable[..., Any], inputs: tuple, eps: float, atol: float,
                       rtol: float, raise_exception: bool) -> bool:
    """check_forward_ad: the tangents forward_ad gives along each input element (one dual
    pass per element) against central differences, as PyTorch's. Built-in ops' tangents come
    from their backward here, so this checks the `jvp` of custom Functions."""
    from tinygrad_np import forward_ad
    from tinygrad_np.gradcheck import _numerical_jacobian

    first = _outputs(func(*inputs), "gradcheck")  # those in the graph, as the backward
    floats = [k for k, o in enumerate(first) if o.dtype.kind == "f"]  # check's (a detached
    kept = [k for k in floats if first[k].requires_grad] or floats  # output is not checked)

    def outputs_of(*args: Any) -> list[Tensor]:
        found = _outputs(func(*args), "gradcheck")
        return [found[k] for k in kept]

    count = len(kept)
    for position, tensor in enumerate(inputs):
        if not (isinstance(tensor, Tensor) and tensor.requires_grad):
            continue
        forward = [np.zeros(o.shape + tensor.shape) for o in outputs_of(*inputs)]
        for index in np.ndindex(*tensor.shape):
            direction = np.zeros(tensor.shape, tensor.dtype)
            direction[index] = 1.0
            with forward_ad.dual_level():
                args = list(inputs)
                args[position] = forward_ad.make_dual(tensor, Tensor(direction))
                for k, output in enumerate(outputs_of(*args)):
                    tangent = forward_ad.unpack_dual(output).tangent
                    if tangent is not None:
                        forward[k][(Ellipsis, *index)] = tangent._data
        for k in range(count):
            numerical = _numerical_jacobian(lambda *a, k=k: outputs_of(*a)[k], list(inputs),
                                            position, eps)
            error = np.abs(forward[k] - numerical)
            excess = error - (atol + rtol * np.abs(numerical))
            if np.all(excess <= 0):
                continue
            worst = np.unravel_index(np.argmax(excess), excess.shape)
            return _refuse(
                f"Jacobian computed with forward mode mismatch for output {k} with respect to "
                f"input {position} (of shape {tuple(tensor.shape)}): worst at Jacobian element "
                f"{tuple(int(i) for i in worst)}: forward mode {forward[k][worst]:.8g}, "
                f"numerical {numerical[worst]:.8g}, absolute error {error[worst]:.3g} "
                f"(atol={atol}, rtol={rtol}){_jvp_suspects(func, inputs)}", raise_exception)
    return True


def _jvp_suspects(func: Callable[..., Any], inputs: tuple) -> str:
    """The custom Functions with their own `jvp` that func uses: the rules forward mode
    runs that backward does not."""
    from tinygrad_np.opcheck import record_ops

    names = sorted({getattr(r.op, "_op_name", r.op.__name__) for r in record_ops(func, inputs)
                    if any("jvp" in vars(k) for k in getattr(r.op, "__mro__", ())
                           if not k.__module__.startswith("tinygrad_np"))})
    return f"; the jvp to check: {', '.join(names)}" if names else ""


def _refuse(message: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def _scaled_by_grad_output(func: Callable[..., Any], inputs: tuple, raise_exception: bool
                           ) -> bool:
    """PyTorch's last check: backward with all-zero grad_outputs gives zero gradients (a rule
    that adds a term not multiplied by grad_output passes the Jacobian check, whose seeds are
    one-hot, only when that term is zero there)."""
    outputs = [o for o in _outputs(func(*inputs), "gradcheck") if o.requires_grad]
    checked = [p for p, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not outputs:
        return True
    zeros = [Tensor(np.zeros(o.shape, o.dtype)) for o in outputs]
    found = engine_grad(outputs, [inputs[p] for p in checked], zeros, allow_unused=True)
    for position, value in zip(checked, found):
        data = None if value is None else value._data
        if data is not None and np.any(np.isfinite(data) & (data != 0)):
            from tinygrad_np.opcheck import unscaled_rule

            culprit = unscaled_rule(func, inputs)
            return _refuse(
                "backward not multiplied by grad_output (with every grad_output zero, the "
                f"gradient of input {position} is nonzero, max |g| "
                f"{float(np.max(np.abs(data))):.3g})"
                + (f": the rule to fix is {culprit}." if culprit else "."), raise_exception)
    return True


def gradgradcheck(
    func: Callable[..., Any], inputs: Tensor | Sequence[Any],
    grad_outputs: Tensor | Sequence[Tensor] | None = None, *, eps: float = 1e-6,
    atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False, check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
    fast_mode: bool = False, masked: bool = False,
) -> bool:
    """PyTorch's `torch.autograd.gradgradcheck`: check the second derivatives of `func`.

    The gradients of func's outputs (those that require grad) with respect to its inputs,
    taken with `create_graph=True` against `grad_outputs` (seeded random normal values
    needing grad when not given), are gradchecked as a function of the inputs and the
    grad_outputs: a backward that is right but does not differentiate correctly fails here.
    The check_* keywords go to that gradcheck; `check_fwd_over_rev` checks the same second
    derivatives (forward mode here is reverse mode twice).
    """
    inputs = _as_tensors(inputs, "inputs", "gradgradcheck")
    if not (check_rev_over_rev or check_fwd_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or "
                             "check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev "
                             "to be True")
    _some_require_grad(inputs, "gradcheck")  # (PyTorch names its inner gradcheck)
    outputs = _outputs(func(*inputs), "gradgradcheck")
    differentiable = [k for k, output in enumerate(outputs) if output.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor(rng.standard_normal(outputs[k].shape).astype(
            outputs[k].dtype), requires_grad=True) for k in differentiable)  # (PyTorch's dtype)
    else:
        grad_outputs = _as_tensors(grad_outputs, "grad_outputs", "gradgradcheck")
        if len(grad_outputs) != len(differentiable):
            raise TensorError(f"gradgradcheck: {len(grad_outputs)} grad_outputs for "
                              f"{len(differentiable)} output(s) of func that require grad")
        for k, seed in zip(differentiable, grad_outputs):
            if not isinstance(seed, Tensor) or seed.shape != outputs[k].shape:
                raise TensorError(f"gradgradcheck: the grad_output for output {k} (shape "
                                  f"{outputs[k].shape}) has shape {np.shape(seed)}")
    count = len(inputs)

    def first_derivatives(*args: Any) -> tuple[Tensor, ...]:
        values, seeds = args[:count], args[count:]
        outs = _outputs(func(*values), "gradgradcheck")
        outs = [outs[k] for k in differentiable]
        wrt = [x for x in values if isinstance(x, Tensor) and x.requires_grad]
        if not outs or not wrt:
            return ()
        seeds = [s.to(o.dtype) for s, o in zip(seeds, outs)]  # so seeds stay in the graph
        found = grad(outs, wrt, seeds, create_graph=True, allow_unused=True)
        return tuple(g for g in found if g is not None)

    try:
        return gradcheck(first_derivatives, (*inputs, *grad_outputs), eps=eps, atol=atol,
                         rtol=rtol, raise_exception=raise_exception, fast_mode=fast_mode,
                         nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                         check_grad_dtypes=check_grad_dtypes,
                         check_batched_grad=check_batched_grad)
    except GradcheckError as error:
        theirs = "input 0 is" if count == 1 else f"inputs 0-{count - 1} are"
        error = _reraise(error, f"gradgradcheck: the first derivatives of func (create_graph="
                                f"True) disagree with central differences; {theirs} func's, "
                                f"the rest its grad_outputs. ")
        raise _with_custom_suspects(error, func, inputs) from None
    except RuntimeError as error:  # (the DelayedError of a custom backward)
        if "once_differentiable" not in str(error):
            raise
        return _refuse(f"gradgradcheck: {error}: its gradients cannot be differentiated, so "
                       "their derivatives cannot be checked (PyTorch's check reports a "
                       "Jacobian mismatch with zeros)", raise_exception)


def _with_custom_suspects(error: GradcheckError, func: Callable[..., Any],
                          inputs: tuple) -> GradcheckError:
    """When no op's rule was found wrong: name the custom Functions func uses, whose backward
    runs on Tensors under create_graph and is the likely culprit (a .detach() in it)."""
    from tinygrad_np.opcheck import record_ops

    custom = sorted({getattr(record.op, "_op_name", record.op.__name__)  # (Cube, not the
                     for record in record_ops(func, inputs)  # node class CubeBackward)
                     if not record.op.__module__.startswith("tinygrad_np")})
    if error.op is not None or not custom:
        return error
    suspects = _reraise(error, "")
    suspects.args = (f"{error}\nfunc uses custom Function(s) {', '.join(custom)}: under "
                     f"create_graph their backward is recorded like any code, so it must be "
                     f"differentiable itself (a .detach(), .data, .numpy() or .item() in it "
                     f"makes a constant of what it reads).",)
    return suspects


class _VariableMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:  # every Tensor is a Variable
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """PyTorch's deprecated `Variable(data, requires_grad=False)`: as in PyTorch 2, a Tensor
    holding `data`'s values (same memory and version counter, cut from its graph), a leaf
    needing grad if asked. `Variable()` is an empty float32 Tensor."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = False,
                volatile: bool = False) -> Tensor:  # type: ignore[misc]
        if data is None:
            data = Tensor(np.zeros(0, dtype=np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable: data has to be a Tensor, got {type(data).__name__}")
        return data.detach().requires_grad_(bool(requires_grad))




def _graph_targets(tensors: list[Tensor]) -> list[Tensor]:
    """Every leaf needing grad behind `tensors` (the tensors that asked retain_grad() get
    their gradients from the engine's grad, as from PyTorch's)."""
    seen, stack, found = set(), [t.grad_fn or t for t in tensors], {}
    while stack:
        key = stack.pop()
        if id(key) in seen:
            continue
        seen.add(id(key))
        if isinstance(key, Tensor):
            if key.requires_grad:
                found[id(key)] = key
            continue
        stack.extend(parent for parent in key.parents if parent is not None)
    return list(found.values())


class _GradCalls(threading.local):
    depth = 0  # grad() calls (and backward(inputs=...)) running in this thread


_grad_calls = _GradCalls()
def in_grad_call() -> bool:
    """Whether a `grad()` (or a `backward(inputs=...)`) is running in this thread: a
    reentrant checkpoint refuses to run its backward inside one, as PyTorch's."""
    return _grad_calls.depth > 0


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False
         ) -> tuple[Tensor | None, ...]:
    """`tg.grad` / `torch.autograd.grad`, in its argument order: the engine's grad
    (autograd.py, which documents the arguments) after PyTorch's argument checks
    (`tinygrad_np/__init__.py` puts this one in its place under both names).
    `is_grads_batched=True`: the first dim of each grad_output is a batch of seeds, and each
    gradient gets that dim too (one backward pass per seed here; PyTorch vmaps them)."""
    _grad_calls.depth += 1
    try:
        return _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
                     allow_unused, is_grads_batched, materialize_grads)
    finally:
        _grad_calls.depth -= 1


def _grad(outputs: Any, inputs: Any, grad_outputs: Any, retain_graph: bool | None,
          create_graph: bool, only_inputs: bool, allow_unused: bool | None,
          is_grads_batched: bool, materialize_grads: bool) -> tuple[Tensor | None, ...]:
    """grad() after its count in this thread is raised (for `in_grad_call`)."""
    inputs, outputs = edges_as_tensors(inputs), edges_as_tensors(outputs)  # (PyTorch takes
    if not isinstance(inputs, Tensor) and not len(inputs := list(inputs)):  # edges for both)
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    given_inputs([inputs] if isinstance(inputs, Tensor) else inputs)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    given_gradients(grad_outputs)
    if materialize_grads and (create_graph or is_grads_batched):  # PyTorch's zeros: they
        # require grad under create_graph, and have no batch dim (is_grads_batched)
        found = _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
                      True, is_grads_batched, False)
        listed = [inputs] if isinstance(inputs, Tensor) else inputs
        return tuple(Tensor(np.zeros(x.shape, x.dtype), requires_grad=create_graph)
                     if g is None else g for x, g in zip(listed, found))
    if not is_grads_batched:
        return engine_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                           only_inputs, allow_unused, materialize_grads)
    seeds = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs or ())
    if not seeds or any(not isinstance(s, Tensor) or s.ndim == 0 for s in seeds):
        raise RuntimeError("grad: is_grads_batched=True needs grad_outputs, each a Tensor with "
                           "a leading batch dim")
    listed_outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    for position, (output, seed) in enumerate(zip(listed_outputs, seeds)):
        if isinstance(output, Tensor) and tuple(seed.shape[1:]) != tuple(output.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{position}] has a shape of {tuple(seed.shape[1:])} and "
                f"output[{position}] has a shape of {tuple(output.shape)}.")
    count = seeds[0].shape[0]
    if not count:  # (PyTorch's error: it takes the first seed for the shapes)
        raise IndexOutOfBounds("grad: is_grads_batched=True: index 0 is out of bounds for "
                               "dimension 0 with size 0")
    rows = [engine_grad(outputs, inputs, [s[b] for s in seeds],
                        True if b + 1 < count else retain_graph, create_graph, only_inputs,
                        allow_unused, materialize_grads) for b in range(count)]
    return tuple(None if row[0] is None else stack(list(row)) for row in zip(*rows))


def backward(
    tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
    retain_graph: bool | None = None, create_graph: bool = False, grad_variables: Any = None,
    inputs: Tensor | Sequence[Tensor] | None = None,
) -> None:
    """PyTorch's `torch.autograd.backward`: the gradients of all `tensors` (each weighted by
    its `grad_tensors` entry; None for a one-element tensor) summed in one backward pass into
    the `.grad` of every leaf behind them (or only of `inputs`)."""
    tensors = edges_as_tensors(tensors)  # (a GradientEdge: the output of its node)
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grad_tensors = grad_variables if grad_tensors is None else grad_tensors  # the old name
    given_gradients(grad_tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grad_tensors = list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise TensorError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients "
                          "(backward: give one grad_tensors entry per tensor, None for a "
                          "one-element tensor)")
    if not tensors:
        return
    if inputs is None:
        targets = _graph_targets(tensors)
    else:
        inputs = edges_as_tensors(inputs)
        targets = [inputs] if isinstance(inputs, Tensor) else list(
            {id(t): t for t in inputs}.values())  # each once, as PyTorch
        if not targets:
            raise RuntimeError(EMPTY_INPUTS)
        given_inputs(targets)
    if create_graph:
        warn_create_graph_cycle()
    _grad_calls.depth += inputs is not None
    try:
        found = engine_grad(tensors, targets, grad_tensors, retain_graph, create_graph,
                            allow_unused=True)
    finally:
        _grad_calls.depth -= inputs is not None
    with _GRAD_LOCK:  # as Tensor.backward: a leaf's .grad grows in place
        for tensor, gradient in zip(targets, found):  # (a retained one: grad() filled it)
            if gradient is not None and not tensor.retains_grad:  # (a copy: never the caller's
                _add_to_grad(tensor, gradient, False, create_graph)  # grad_tensors object)
    hooks.run_post_accumulate_hooks(  # (the leaves that received a gradient)
        {t: None for t, g in zip(targets, found) if g is not None and t.grad_fn is None}, None,
        create_graph)


_multithreading = [True]  # recorded only: this engine's backward runs in the calling thread


def is_multithreading_enabled() -> bool:
    """What `set_multithreading_enabled` last set (True by default), as PyTorch's."""
    return _multithreading[0]


class set_multithreading_enabled:  # noqa: N801  (PyTorch's name)
    """PyTorch's switch for its multithreaded backward: set at once, put back when a `with`
    block around it ends. Recorded only: backward here always runs in the calling thread."""

    def __init__(self, mode: bool) -> None:
        self.previous, _multithreading[0] = _multithreading[0], bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> None:
        _multithreading[0] = self.previous


class enforce_grad_layout_policy(ContextDecorator):  # noqa: N801  (PyTorch's name)
    """PyTorch's switch (a context manager or decorator) for its rule that `.grad` gets its
    parameter's strides. Accepted and ignored: a gradient here is a NumPy array of the leaf's
    shape, whose layout nothing depends on."""

    def __init__(self, enable: bool = True) -> None:
        self.mode = bool(enable)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> None:
        return None

    def clone(self) -> enforce_grad_layout_policy:
        """A copy, as PyTorch's."""
        return type(self)(self.mode)


# torch.autograd.grad_mode: the grad-mode switches under their module's name.
grad_mode = types.ModuleType("tinygrad_np.autograd.grad_mode", "Grad mode switches.")
grad_mode.no_grad = function.no_grad
grad_mode.enable_grad = function.enable_grad
grad_mode.set_grad_enabled = function.set_grad_enabled
grad_mode.inference_mode = functional_forms.inference_mode
grad_mode.set_multithreading_enabled = set_multithreading_enabled
grad_mode.enforce_grad_layout_policy = enforce_grad_layout_policy
grad_mode._DecoratorContextManager = ContextDecorator  # (private in PyTorch: their base class)
anomaly_mode = anomaly  # torch.autograd.anomaly_mode: detect_anomaly, set_detect_anomaly

no_grad, enable_grad = function.no_grad, function.enable_grad
set_grad_enabled, inference_mode = function.set_grad_enabled, functional_forms.inference_mode
detect_anomaly, set_detect_anomaly = anomaly.detect_anomaly, anomaly.set_detect_anomaly
is_anomaly_check_nan_enabled = anomaly.is_anomaly_check_nan_enabled

__all__ = [
    "GradcheckError",
    "Variable",
    "anomaly_mode",
    "backward",
    "grad",
    "detect_anomaly",
    "is_anomaly_check_nan_enabled",
    "enable_grad",
    "grad_mode",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
    "set_multithreading_enabled",
    "is_multithreading_enabled",
    "enforce_grad_layout_policy",
]
