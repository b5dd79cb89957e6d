"""Check analytic gradients against central differences, the way users test their own ops.

    tg.gradcheck(lambda x, w: (x @ w).relu().sum(), [x, w])

Everything runs in float64 whatever the inputs' dtype: with float32 the finite differences
would be mostly rounding noise (`in_float64=False` keeps the inputs' dtypes, as PyTorch's
gradcheck does: `tg.autograd.gradcheck` uses it, with PyTorch's warning, to give its
result). For every input with requires_grad=True, the full Jacobian d output / d input from
backward() is compared with

    (fn(x + eps e_i) - fn(x - eps e_i)) / (2 eps)        for every element i,

so an error in any element, for any output element, is found and reported by position.
`fast=True` instead compares one random projection <v, J u> per input: two extra forward
passes and one backward instead of one per element, for large inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from tinygrad_np.autograd import grad
from tinygrad_np.errors import TensorError
from tinygrad_np.tensor import Tensor


class GradcheckError(AssertionError, RuntimeError):
    """Raised by gradcheck when an analytic gradient disagrees with the numerical one (an
    AssertionError, and a RuntimeError as PyTorch's GradcheckError is).

    After the drill-down, `kind` is "wrong rule" (`op` and `site` name the op and the line
    that created it), "kink" (the difference straddles a point where an op, or fn itself
    through a tie or a comparison outside the graph, is not differentiable or jumps: `op`
    is None for fn itself), "edge" (an op is at the edge of its domain: sqrt or log at 0),
    "precision" (fn computes in float32 or float16, where finite differences are rounding
    noise) or "unexplained" (every op checks out alone).
    """

    kind: str = "unexplained"
    op: str | None = None
    site: str | None = None


@contextlib.contextmanager
def _in_float64(inputs: Sequence[Any]) -> Iterator[list[Any]]:
    """The float tensors among `inputs` hold their values in float64 for the block, in place
    (as PyTorch perturbs its inputs), so a function that reads a tensor from a closure or a
    module's parameter sees every perturbation; their own arrays come back after."""
    swapped = []
    try:
        for item in inputs:
            if isinstance(item, Tensor) and item.dtype.kind == "f" and item.dtype != np.float64:
                swapped.append((item, item._data))
                item._data = item._data.astype(np.float64)
        yield list(inputs)
    finally:
        for item, data in reversed(swapped):
            item._data = data


def _evaluate(fn: Callable[..., Tensor], inputs: list[Any]) -> np.ndarray:
    # Not under no_grad(): fn may itself call tg.grad (checking a second derivative).
    output = fn(*inputs)  # (a copy: an output may be the perturbed input's own memory)
    return np.array(output._data if isinstance(output, Tensor) else output, dtype=np.float64)


def _directional_difference(fn, inputs, position: int, direction: np.ndarray, eps: float):
    """(fn(x + eps d) - fn(x - eps d)) / (2 eps), moving only input `position`: a float64
    input in its own memory (so a view of it taken outside, `w.t()` in a closure, moves too,
    as with PyTorch's in-place perturbation), any other as a new array."""
    tensor = inputs[position]
    original = tensor._data
    values = []
    with _writable(original) as in_place:
        in_place = in_place and original.dtype == np.float64
        kept = original.copy()
        try:
            for sign in (1.0, -1.0):  # (in the input's dtype: float64 unless in_float64=False)
                moved = np.asarray(kept + sign * eps * direction, original.dtype)  # (0-d too)
                if in_place:
                    original[...] = moved
                else:
                    tensor._data = moved
                values.append(_evaluate(fn, inputs))
        finally:
            if in_place:
                original[...] = kept  # the very values back
            tensor._data = original
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf at a domain's edge: NaN
        return (values[0] - values[1]) / (2 * eps)


@contextlib.contextmanager
def _writable(array: np.ndarray) -> Iterator[bool]:
    """Whether `array` can be written for the block (a leaf's read-only array is, for the
    block only); False for one that cannot (a broadcast view)."""
    was = array.flags.writeable
    try:
        array.flags.writeable = True
    except ValueError:
        yield False
        return
    try:
        yield True
    finally:
        array.flags.writeable = was


def numerical_grad(
    fn: Callable[..., Tensor], inputs: Tensor | Sequence[Any], eps: float = 1e-6,
    grad_output: Any = None,
) -> list[np.ndarray | None]:
    """Central-difference gradient of sum(fn(*inputs) * grad_output) for each float input.

    `grad_output` defaults to ones (so for a scalar `fn` this is its plain gradient).
    Returns one float64 array per input, None for inputs that are not float tensors.
    """
    with _in_float64(_as_inputs(inputs)) as inputs:
        return _numerical_grad(fn, inputs, eps, grad_output)


def _as_inputs(inputs: Any) -> tuple:
    """A Tensor as one input (as PyTorch's gradcheck takes it: not its rows), any other
    iterable (a generator too) as a tuple."""
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _numerical_grad(fn, inputs, eps, grad_output):
    weights = None if grad_output is None else np.asarray(
        grad_output._data if isinstance(grad_output, Tensor) else grad_output, dtype=np.float64
    )
    grads: list[np.ndarray | None] = []
    for position, tensor in enumerate(inputs):
        if not (isinstance(tensor, Tensor) and tensor.dtype.kind == "f"):
            grads.append(None)
            continue
        jacobian = _numerical_jacobian(fn, inputs, position, eps)  # output axes first
        if weights is not None:
            jacobian = jacobian * weights.reshape(weights.shape + (1,) * tensor.ndim)
        output_axes = tuple(range(jacobian.ndim - tensor.ndim))
        grads.append(jacobian.sum(axis=output_axes))
    return grads


def _numerical_jacobian(fn, inputs, position: int, eps: float) -> np.ndarray:
    """d output / d input `position` by central differences: shape output + input shape."""
    tensor = inputs[position]
    columns = []
    for index in np.ndindex(*tensor.shape):
        direction = np.zeros(tensor.shape)
        direction[index] = 1.0
        columns.append(_directional_difference(fn, inputs, position, direction, eps))
    if not columns:  # an empty input
        return np.zeros(_evaluate(fn, inputs).shape + tensor.shape)
    stacked = np.stack(columns, axis=-1)  # output shape + (input size,)
    return stacked.reshape(stacked.shape[:-1] + tensor.shape)


def _analytic_jacobian(output: Tensor, inputs, checked: list[int], output_shape
                       ) -> list[np.ndarray]:
    """d output / d input for each checked input, by one backward pass per output element
    (the graph is kept: a second call runs backward again on the same graph)."""
    jacobians = [np.zeros(output_shape + inputs[p].shape) for p in checked]
    if not output.requires_grad:
        return jacobians
    for out_index in np.ndindex(*output_shape):
        seed = np.zeros(output_shape)
        seed[out_index] = 1.0
        grads = grad(output, [inputs[p] for p in checked], grad_outputs=Tensor(seed),
                     retain_graph=True, allow_unused=True)
        for jacobian, gradient in zip(jacobians, grads):
            if gradient is not None:
                jacobian[out_index] = gradient._data
    return jacobians


def _describe(inputs, position: int) -> str:
    name = inputs[position].name
    return f"input {position}" + (f" ({name!r})" if name else "")


def _fail(message: str, raise_exception: bool, fn: Any = None, inputs: Any = None,
          tolerances: tuple = (), point: tuple | None = None) -> bool:
    if not raise_exception:
        return False
    if fn is None:
        raise GradcheckError(message)
    raise diagnosed(message, fn, inputs, *tolerances, point=point)


def diagnosed(message: str, fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, point: tuple | None = None
              ) -> GradcheckError:
    """A GradcheckError for `message` with the drill-down's diagnosis in its text and in its
    kind, op and site (only now is anything recorded for it); `point` is where the
    mismatch was seen (see opcheck.drill_down)."""
    from tinygrad_np.opcheck import UNEXPLAINED, drill_down

    finding = drill_down(fn, inputs, eps, atol, rtol, point=point)
    if finding is None:
        return GradcheckError(f"{message}\n{UNEXPLAINED}")
    error = GradcheckError(f"{message}\n{finding.describe()}")
    error.kind = finding.kind
    if finding.record is not None:
        error.op, error.site = finding.record.op.__name__, finding.record.site
    return error


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast: bool = False,
    drill_down: bool = True,
    in_float64: bool = True,
    nondet_tol: float | None = None,
) -> bool:
    """True if backward() agrees with central differences for every input needing grad (for
    each float output in the graph when `fn` returns a tuple).

    Otherwise raises GradcheckError (or returns False with `raise_exception=False`) with a
    report naming the input, the worst element, the analytic and numerical values and the
    absolute and relative error. Elements pass when |analytic - numerical| <= atol +
    rtol * |numerical|.

    Then (`drill_down=True`) it finds the culprit: `fn` runs once more while every op it
    creates is noted with the line of your code that created it, and each op is checked
    alone on the inputs it saw. The report names the first op whose rule is wrong (its
    input, element, analytic and numerical values), or says "kink" when the difference
    straddles a point where an op is not differentiable (ReLU or abs at 0, a max/min tie, a
    clip edge), where backward's value is a valid choice. `fast=True` drills down too.
    `in_float64=False` evaluates in the inputs' own dtypes (float32 differences are mostly
    rounding noise: PyTorch's check, which does this, fails on them).

    `nondet_tol` (PyTorch's; None skips the check) runs backward twice on the same graph
    and fails ("Backward is not reentrant", `kind` "nondeterministic") when the two
    gradients differ by more than it: a backward that uses randomness or stale state.
    """
    inputs = _as_inputs(inputs)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise TensorError("gradcheck: no input has requires_grad=True, so there is nothing to "
                          "check")
    for position, tensor in enumerate(inputs):  # PyTorch's check: one value, several places
        if isinstance(tensor, Tensor) and tensor.requires_grad and any(
                stride == 0 and size > 1 for stride, size in zip(tensor.stride(), tensor.shape)):
            raise TensorError(
                f"The {position}th input has a dimension with stride 0. gradcheck only supports "
                "inputs that are non-overlapping to be able to compute the numerical gradients "
                "correctly. You should call .contiguous on the input before passing it to "
                f"gradcheck. (input {position} of shape {tensor.shape} is an expand() or a "
                "broadcast view: one element stands for several)")
    if not eps > 0 or not atol >= 0 or not rtol >= 0:
        raise TensorError(f"gradcheck: eps must be positive and atol, rtol not negative, got "
                          f"eps={eps}, atol={atol}, rtol={rtol}")
    with _in_float64(inputs) if in_float64 else contextlib.nullcontext(list(inputs)) as inputs:
        result = fn(*inputs)
        if not isinstance(result, (tuple, list)):
            return _gradcheck(fn, inputs, eps, atol, rtol, raise_exception, fast, drill_down, 0,
                              nondet_tol)
        floats = [k for k, out in enumerate(result)
                  if isinstance(out, Tensor) and out.dtype.kind == "f"]
        graded = [k for k in floats if result[k].requires_grad]
        for k in graded or floats:  # those in the graph; with none, every float one (which
            try:  # must not move: PyTorch's "Numerical gradient for function expected to be 0")
                if not _gradcheck(lambda *args, k=k: fn(*args)[k], inputs, eps, atol, rtol,
                                  raise_exception, fast, drill_down, k, nondet_tol):
                    return False
            except GradcheckError as error:
                raise _reraise(error, f"output {k} of {len(result)}: ") from None
        return True


def _reraise(error: GradcheckError, prefix: str) -> GradcheckError:
    """The same error (kind, op, site kept) with `prefix` before its message."""
    again = type(error)(f"{prefix}{error}")
    again.kind, again.op, again.site = error.kind, error.op, error.site
    return again


def _gradcheck(fn, inputs, eps, atol, rtol, raise_exception, fast, drill_down, output,
               nondet_tol=None) -> bool:
    """Check fn (output number `output` of the caller's fn: for the report)."""
    checked = [p for p, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    drill = (fn, inputs, (eps, atol, rtol)) if drill_down else ()
    if fast:
        return _gradcheck_fast(fn, inputs, checked, eps, atol, rtol, raise_exception, drill,
                               output, nondet_tol)

    output_shape = _evaluate(fn, inputs).shape
    result = fn(*inputs)
    analytic = _analytic_jacobian(result, inputs, checked, output_shape)
    if nondet_tol is not None and not _reentrant(
            analytic, _analytic_jacobian(result, inputs, checked, output_shape), inputs,
            checked, output, nondet_tol, raise_exception):
        return False
    for position, jacobian in zip(checked, analytic):
        tensor = inputs[position]
        numerical = _numerical_jacobian(fn, inputs, position, eps)
        error = np.abs(jacobian - numerical)
        excess = error - (atol + rtol * np.abs(numerical))
        if np.all(excess <= 0) and np.all(np.isfinite(jacobian)):
            continue
        worst = np.unravel_index(np.nanargmax(np.where(np.isfinite(excess), excess, np.inf)),
                                 excess.shape)
        out_index, in_index = worst[: len(output_shape)], worst[len(output_shape) :]
        where = f"element {tuple(int(i) for i in in_index)}"
        if output_shape:
            where += f" (output element {tuple(int(i) for i in out_index)})"
        direction, weights = np.zeros(tensor.shape), np.zeros(output_shape)
        direction[in_index], weights[out_index] = 1.0, 1.0
        return _fail(
            f"gradcheck failed for {_describe(inputs, position)} of shape {tensor.shape} "
            f"(Jacobian mismatch for output {output} with respect to input {position}, in "
            f"PyTorch's words): worst at {where}: analytic {jacobian[worst]:.8g}, numerical "
            f"{numerical[worst]:.8g}, absolute error {error[worst]:.3g}, relative error "
            f"{_relative(error[worst], numerical[worst])} "
            f"(atol={atol}, rtol={rtol}){_no_path(jacobian, numerical)}",
            raise_exception, *drill, point=(position, direction, weights, jacobian[worst]),
        )
    return True


def _reentrant(first: list, second: list, inputs, checked: list[int], output: int,
               nondet_tol: float, raise_exception: bool) -> bool:
    """PyTorch's reentrancy check: two backward passes over one graph agree to nondet_tol."""
    for position, a, b in zip(checked, first, second):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # (inf - inf: equal infinities are the same)
            difference = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, np.abs(a - b))
        difference = np.where(np.isnan(difference), np.inf, difference)  # NaN once: differs
        if a.size == 0 or np.max(difference, initial=0.0) <= nondet_tol:
            continue
        if not raise_exception:
            return False
        worst = np.unravel_index(np.argmax(difference), difference.shape)
        error = GradcheckError(
            f"Backward is not reentrant, i.e., running backward with same input and "
            f"grad_output multiple times gives different values (output {output} with respect "
            f"to {_describe(inputs, position)} of shape {inputs[position].shape}: "
            f"{a[worst]:.17g} then {b[worst]:.17g} at Jacobian element "
            f"{tuple(int(i) for i in worst)}, a difference of {difference[worst]:.3g}). The "
            f"tolerance for nondeterminism was {nondet_tol} (nondet_tol=): a backward that "
            f"draws random numbers or reads state that changes between calls.")
        error.kind = "nondeterministic"
        raise error
    return True


def _no_path(analytic: np.ndarray, numerical: np.ndarray) -> str:
    """A note when backward gives nothing at all for an input fn's output moves with."""
    if np.any(analytic) or not np.any(numerical):
        return ""
    return ("; backward gives an all-zero gradient (the output is not connected to this input "
            "in the graph: a .detach(), .data, .numpy() or .item() on the way?) but the output "
            "moves with it (PyTorch: \"Numerical gradient for function expected to be zero\")")


def _relative(error: float, numerical: float) -> str:
    """The relative error as text; against a numerical value of 0 it is not a number."""
    return f"{error / abs(numerical):.3g}" if numerical else "inf (the numerical value is 0)"


def _gradcheck_fast(fn, inputs, checked, eps, atol, rtol, raise_exception, drill=(),
                    output_number: int = 0, nondet_tol: float | None = None) -> bool:
    """Compare <v, J u> from backward with the same projection by central differences."""
    rng = np.random.default_rng(0)
    output = fn(*inputs)
    v = rng.standard_normal(output.shape)

    def vjp(retain: bool) -> list:
        if not output.requires_grad:  # (not in the graph: a detached output)
            return [None] * len(checked)
        return list(grad(output, [inputs[p] for p in checked], grad_outputs=Tensor(v),
                         retain_graph=retain, allow_unused=True))

    grads = vjp(nondet_tol is not None)
    if nondet_tol is not None:
        def arrays(found: list) -> list:
            return [np.zeros(inputs[p].shape) if g is None else g._data
                    for p, g in zip(checked, found)]
        if not _reentrant(arrays(grads), arrays(vjp(False)), inputs, checked, output_number,
                          nondet_tol, raise_exception):
            return False
    for position, gradient in zip(checked, grads):
        u = rng.standard_normal(inputs[position].shape)
        analytic = 0.0 if gradient is None else float(np.sum(gradient._data * u))
        change = _directional_difference(fn, inputs, position, u, eps)
        numerical = float(np.sum(change * v))
        error = abs(analytic - numerical)
        if not error <= atol + rtol * abs(numerical):
            return _fail(
                f"gradcheck (fast) failed for {_describe(inputs, position)} of shape "
                f"{inputs[position].shape} (Jacobian mismatch for output {output_number} with "
                f"respect to input {position}): random projection <v, J u>: analytic "
                f"{analytic:.8g}, numerical {numerical:.8g}, absolute error {error:.3g}, "
                f"relative error {_relative(error, numerical)} "
                f"(atol={atol}, rtol={rtol}); run without fast=True (fast_mode=True) to find "
                f"the element{_no_path(np.array(analytic), np.array(numerical))}",
                raise_exception, *drill, point=(position, u, v, analytic),
            )
    return True
