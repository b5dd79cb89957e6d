"""When a gradient check fails, find the op whose rule is wrong.

`drill_down(fn, inputs)` runs `fn` once more under a recording observer of the engine (only
now, so nothing is paid otherwise), which notes every op it records: its class, the arguments
its forward received and the line of the user's code that created it. Each op is then checked
alone, on exactly those arguments, in float64: its backward (through the engine, with a random
upstream gradient v) against central differences of <v, op(x)>. The first op (in the order
they ran) whose rule disagrees is reported with its creating line, input and element.

A disagreement at a point where the op is not differentiable (ReLU or abs at 0, a max/min tie,
a clip edge) is a kink, not a wrong rule: there the one-sided differences disagree with each
other, the central difference is their average, and any value between them is a valid
gradient. Such elements are reported as a kink.
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_np
from tinygrad_np.autograd import grad
from tinygrad_np.function import Function, no_grad, observers
from tinygrad_np.tensor import Tensor

PACKAGE = os.path.dirname(os.path.abspath(tinygrad_np.__file__)) + os.sep
MAX_ELEMENTS = 2000  # elements per input checked one by one once a projection has failed


@dataclass
class RecordedOp:
    """One op as `fn` ran it: class, forward arguments, which need a gradient, where."""

    op: type
    args: list
    needs: tuple
    site: str  # "path:line"
    code: str  # that line of source


@dataclass
class OpFinding:
    """What checking one op alone found: `kind` is "wrong rule", "kink" or "edge" (a step
    of eps leaves the op's domain: the central difference is not a number)."""

    kind: str
    record: RecordedOp
    position: int
    element: tuple
    analytic: float
    numerical: float
    left: float
    right: float
    value: float

    def describe(self) -> str:
        name = self.record.op.__name__
        where = f"{self.record.site}: `{self.record.code}`" if self.record.code else \
            self.record.site
        shapes = ", ".join(str(np.shape(a)) for a in self.record.args
                           if isinstance(a, np.ndarray))
        point = f"input {self.position} at element {self.element} (value {self.value:.6g})"
        if self.kind == "edge" and not self.element:
            return (f"not a wrong rule but the edge of a domain: {name} (created at {where}) "
                    f"gives a value that is not finite (inf or NaN) on the inputs it saw, so "
                    f"its derivative cannot be checked there. Move the inputs inside the "
                    f"domain (log or sqrt at 0, a division by 0, ...) to check the gradient.")
        if self.kind == "edge":
            return (
                f"not a wrong rule but the edge of a domain: at its {point}, {name} (created at "
                f"{where}) is not defined a step of eps away (the central difference is "
                f"{self.numerical:.6g}), so its derivative {self.analytic:.6g} cannot be "
                "checked there. Move the inputs inside the domain (sqrt or log at 0, acos at "
                "+-1, ...) to check the gradient.")
        if self.kind == "kink":
            return (
                f"not a wrong rule but a kink: {name} (created at {where}) is not "
                f"differentiable at its {point}: the one-sided derivatives of <v, y> are "
                f"{self.left:.6g} (left) and {self.right:.6g} (right), so the central "
                f"difference ({self.numerical:.6g}) straddles the kink; backward's "
                f"{self.analytic:.6g} is a valid choice there. Move the inputs away from the kink "
                "(ReLU/abs at 0, max/min ties, clip edges) to check the gradient.")
        return (
            f"the wrong rule is {name}, created at {where}. Checked alone on the inputs it saw "
            f"(shapes {shapes}) with a random upstream gradient v, the gradient of <v, y> for "
            f"its {point} is "
            f"{self.analytic:.8g} but central differences give {self.numerical:.8g} "
            f"(absolute error {abs(self.analytic - self.numerical):.3g}). Every op created "
            "before it checks out.")


def _user_site() -> tuple[str, str]:
    """The innermost frame outside tinygrad_np: where the user's code created the op."""
    frame = sys._getframe(2)
    inner = None
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(PACKAGE):
            line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
            return f"{_short(frame.f_code.co_filename)}:{frame.f_lineno}", line
        if inner is None and not filename.endswith(("function.py", "tensor.py", "opcheck.py")):
            inner = frame
        frame = frame.f_back
    if inner is not None:
        return f"{_short(inner.f_code.co_filename)}:{inner.f_lineno}", ""
    return "<unknown>", ""


def _short(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def record_ops(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[RecordedOp]:
    """Run `fn(*inputs)` and return every op it recorded, in order, with its creating line."""
    thread = threading.get_ident()
    records: list[RecordedOp] = []

    def observe(ctx: Function, arrays: list, output: np.ndarray) -> None:
        if threading.get_ident() == thread:
            site, code = _user_site()
            records.append(RecordedOp(type(ctx), list(arrays), ctx.needs_input_grad, site, code))

    observers.append(observe)
    try:
        fn(*inputs)
    finally:
        observers.remove(observe)
    return records


def _as64(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    return value


def _outputs(result: Any) -> tuple[Tensor, ...]:
    """An op's outputs as a tuple (a custom Function may return several)."""
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _dot(result: Any, v: list[np.ndarray]) -> float:
    """<v, op's outputs>, summed over the outputs."""
    return sum(float(np.sum(np.asarray(out._data, dtype=np.float64) * weights))
               for out, weights in zip(_outputs(result), v))


def _run(record: RecordedOp, args: list, positions: list[int]) -> tuple[tuple, list]:
    tensors = [Tensor(a, requires_grad=True) if i in positions else a for i, a in enumerate(args)]
    return _outputs(record.op.apply(*tensors)), [tensors[i] for i in positions]


def _project(record: RecordedOp, args: list, v: list[np.ndarray], position: int,
             direction: np.ndarray, eps: float) -> float:
    """<v, op(x + t d)> at t = +eps and -eps, as (plus, minus)."""
    values = []
    for sign in (1.0, -1.0):
        moved = list(args)
        moved[position] = args[position] + sign * eps * direction
        with no_grad():
            values.append(_dot(record.op.apply(*moved), v))
    return values[0], values[1]


def check_op(record: RecordedOp, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
             seed: int = 271828) -> OpFinding | None:
    """Check one recorded op alone; None when its rule agrees with central differences."""
    args = [_as64(a) for a in record.args]
    positions = [i for i, need in enumerate(record.needs)
                 if need and isinstance(args[i], np.ndarray) and args[i].dtype.kind == "f"]
    if not positions:
        return None
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        with no_grad():
            first = [out._data for out in _outputs(record.op.apply(*args))]
            second = [out._data for out in _outputs(record.op.apply(*args))]
        if not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(first, second)):
            return None  # random (dropout): cannot be checked by differences
        if any(a.dtype.kind != "f" for a in first):
            return None
        if not all(np.all(np.isfinite(a)) for a in first):  # log(0): outside the domain
            return OpFinding("edge", record, positions[0], (), np.nan, np.nan, np.nan, np.nan,
                             np.nan)
        outputs, tensors = _run(record, args, positions)
        v = [rng.standard_normal(out.shape) for out in outputs]
        graded = [(out, Tensor(w)) for out, w in zip(outputs, v) if out.requires_grad]
        if not graded:
            return None
        grads = grad([out for out, _ in graded], tensors,
                     grad_outputs=[w for _, w in graded], allow_unused=True)
        kink = None
        for position, gradient in zip(positions, grads):
            analytic = np.zeros(args[position].shape) if gradient is None else gradient._data
            u = rng.standard_normal(args[position].shape)
            plus, minus = _project(record, args, v, position, u, eps)
            numerical = (plus - minus) / (2 * eps)
            projected = float(np.sum(analytic * u))
            if abs(projected - numerical) <= atol + rtol * abs(numerical):
                continue
            finding = _find_element(record, args, v, position, analytic, eps, atol, rtol)
            if finding is not None and finding.kind == "wrong rule":
                return finding
            kink = kink or finding
        return kink


def _find_element(record, args, v, position, analytic, eps, atol, rtol) -> OpFinding | None:
    """Element by element: the worst non-kink mismatch, else the first kink."""
    x = args[position]
    base = _dot(record.op.apply(*args), v)
    indices = list(np.ndindex(*x.shape))
    if len(indices) > MAX_ELEMENTS:
        picks = np.random.default_rng(1).choice(len(indices), MAX_ELEMENTS, replace=False)
        indices = [indices[i] for i in sorted(picks)]
    worst, kink = None, None
    for index in indices:
        direction = np.zeros(x.shape)
        direction[index] = 1.0
        with no_grad():
            plus, minus = _project(record, args, v, position, direction, eps)
        numerical = (plus - minus) / (2 * eps)
        value = float(analytic[index])
        tolerance = atol + rtol * abs(numerical)
        if abs(value - numerical) <= tolerance:
            continue
        right, left = (plus - base) / eps, (base - minus) / eps
        finding = OpFinding("wrong rule", record, position, tuple(int(i) for i in index), value,
                            numerical, left, right, float(x[index]))
        if not np.isfinite(numerical):  # a step of eps leaves the domain: nothing to compare
            finding.kind = "edge"
            kink = kink or finding
            continue
        if abs(right - left) > 10 * tolerance:  # not differentiable here
            low, high = min(left, right), max(left, right)
            if low - tolerance <= value <= high + tolerance:
                finding.kind = "kink"
                kink = kink or finding
                continue
        if worst is None or abs(value - numerical) > abs(worst.analytic - worst.numerical):
            worst = finding
    return worst or kink


def drill_down(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
               atol: float = 1e-5, rtol: float = 1e-3) -> OpFinding | None:
    """The first op of `fn` whose rule is wrong, else the first kink found, else None."""
    kink = None
    for record in record_ops(fn, inputs):
        finding = check_op(record, eps, atol, rtol)
        if finding is not None and finding.kind == "wrong rule":
            return finding
        kink = kink or finding
    return kink


UNEXPLAINED = (
    "Every op's rule agrees with central differences when checked alone, so the mismatch "
    "comes from how fn combines them: values read outside the graph (.data, .numpy(), "
    ".item(), float(t)) are constants to backward, as are in-place changes and randomness; "
    "or eps is too large for a very curved fn.")
