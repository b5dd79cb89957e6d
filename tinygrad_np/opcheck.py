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
from tinygrad_np.function import Function, no_grad
from tinygrad_np.observing import observe, unobserve
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
    low: Any = False  # the float dtype below float64 among its output and inputs (else False)


@dataclass
class OpFinding:
    """What checking one op alone found: `kind` is "wrong rule", "kink" (a jump too),
    "edge" (a step of eps leaves the op's domain: the central difference is not a number) or
    "precision" (the op computes in float32/float16 and misses only by that rounding noise).
    `record` is None for a finding about `fn` as a whole (a kink from a comparison or a
    selection outside the graph, or a function that computes in low precision)."""

    kind: str
    record: RecordedOp | None
    position: int
    element: tuple
    analytic: float
    numerical: float
    left: float
    right: float
    value: float
    note: str = ""  # the low dtype, for "precision"
    which: str = ""  # " (the 2nd of 3 MyOp ops created on that line)" when it is ambiguous
    others: tuple = ()  # the RecordedOps after it whose rules are wrong too

    def describe(self) -> str:
        if self.record is None:
            return self._describe_fn()
        name = _display_name(self.record.op)
        where = (f"{self.record.site}{self.which}: `{self.record.code}`" if self.record.code
                 else f"{self.record.site}{self.which}")
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
        if self.kind == "precision":
            return (
                f"not a wrong rule but {self.note} rounding: {name} (created at {where}) "
                f"computes in {self.note} (its output, even from float64 inputs), so at its "
                f"{point} the central difference ({self.numerical:.6g}) is mostly rounding "
                f"noise, and differs from backward's {self.analytic:.6g} by no more than that "
                f"noise. {LOW_PRECISION}")
        if self.kind == "kink":
            return (
                f"not a wrong rule but a kink: {name} (created at {where}) is not "
                f"differentiable at its {point}: the one-sided derivatives of <v, y> are "
                f"{self.left:.6g} (left) and {self.right:.6g} (right), so the central "
                f"difference ({self.numerical:.6g}) straddles the kink; backward's "
                f"{self.analytic:.6g} is a valid choice there. Move the inputs away from the kink "
                "(ReLU/abs at 0, sign/floor jumps, max/min ties, clip edges) to check the "
                "gradient.")
        return (
            f"the wrong rule is {name}, created at {where}. Checked alone on the inputs it saw "
            f"(shapes {shapes}) with a random upstream gradient v, the gradient of <v, y> for "
            f"its {point} is "
            f"{self.analytic:.8g} but central differences give {self.numerical:.8g} "
            f"(absolute error {abs(self.analytic - self.numerical):.3g}). Every op created "
            f"before it checks out.{self._also_wrong()}")

    def _also_wrong(self) -> str:
        """The other ops whose rules are wrong, to fix in the same round."""
        if not self.others:
            return ""
        shown = [f"{_display_name(r.op)} (created at {r.site})" for r in self.others[:3]]
        more = f" and {len(self.others) - 3} more" if len(self.others) > 3 else ""
        return f" Also wrong when checked alone: {', '.join(shown)}{more}."


    def _describe_fn(self) -> str:
        point = f"input {self.position} at element {self.element} (value {self.value:.6g})" \
            if self.element is not None else f"input {self.position}, along the random direction"
        if self.kind == "precision":
            return (f"not a wrong rule but {self.note} rounding: fn computes in {self.note} (an "
                    f"op's output or inputs), and every op checks out alone in float64. "
                    f"{LOW_PRECISION}")
        return (
            f"not a wrong rule but a kink (or a jump) of fn itself: every op checks out "
            f"alone, but fn is not differentiable at its {point}: there its one-sided "
            f"derivatives are {self.left:.6g} (left) and {self.right:.6g} (right), so the "
            f"central difference ({self.numerical:.6g}) straddles the point and backward's "
            f"{self.analytic:.6g} is a valid choice. Such points come from a tie or a "
            "comparison outside the graph: max/min/sort/topk/kthvalue/cummax ties, argmax or "
            "argsort indices, masks such as x > c, where(), hardshrink or threshold at the "
            "threshold. Move the inputs away from it to check the gradient.")


def _display_name(op: type) -> str:
    """An op's class name; for a torch.autograd.Function, the user's class and its node."""
    if getattr(op, "_node_class", False):
        return f"{op._op_name}'s backward (node {op.__name__})"
    return op.__name__


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


LOW_PRECISION = (
    "Finite differences in float32 (or float16) are meaningless at eps=1e-6: check in "
    "float64 (double inputs, and no .float() or dtype=float32 inside fn; tg.gradcheck "
    "already makes the inputs float64).")


def _user_site() -> tuple[str, str]:
    """The innermost frame outside tinygrad_np: where the user's code created the op."""
    frame = sys._getframe(2)
    inner = None
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(PACKAGE):
            line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
            return _site(frame.f_code.co_filename, frame.f_lineno), line
        if inner is None and not filename.endswith(("function.py", "tensor.py", "opcheck.py")):
            inner = frame
        frame = frame.f_back
    if inner is not None:
        return f"{_short(inner.f_code.co_filename)}:{inner.f_lineno}", ""
    return "<unknown>", ""


def _site(path: str, line: int) -> str:
    """"path:line", or IPython's own "Cell In[5], line 3" for code typed in a notebook or
    the IPython shell (whose file is a temporary /tmp/ipykernel_<pid>/<hash>.py)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    name = getattr(getattr(shell, "compile", None), "format_code_name", None)
    cell = name(path) if callable(name) else None
    if cell:
        return f"{' '.join(cell)}, line {line}"
    return f"{_short(path)}:{line}"


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

    def record(ctx: Function, arrays: list, output: np.ndarray) -> None:
        if threading.get_ident() == thread:
            site, code = _user_site()
            records.append(RecordedOp(type(ctx), list(arrays), ctx.needs_input_grad, site, code,
                                      _low_precision([output, *arrays])))

    observe(record)
    try:
        fn(*inputs)
    finally:
        unobserve(record)
    return records


def _low_precision(values: Sequence[Any]) -> Any:
    """The name of the lowest float dtype below float64 among `values`, else False."""
    low = [np.dtype(v.dtype) for v in values if isinstance(v, np.ndarray | np.generic)
           and np.dtype(v.dtype).kind == "f" and np.dtype(v.dtype).itemsize < 8]
    return str(min(low, key=lambda d: d.itemsize)) if low else False


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
        moved[position] = np.asarray(args[position] + sign * eps * direction)  # (0-d: an array,
        # not the NumPy scalar that apply would take as a Python number)
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
    result = record.op.apply(*args)
    base = _dot(result, v)
    low = _low_precision([out._data for out in _outputs(result)])  # even on float64 inputs
    noise = _noise(low, result, v, eps)
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
                            numerical, left, right, float(x[index]), low or "")
        finding.kind = _kind(finding, tolerance, noise, lambda d=direction: _project(
            record, args, v, position, d, eps / 2), eps)
        if finding.kind != "wrong rule":
            kink = kink or finding
        elif worst is None or abs(value - numerical) > abs(worst.analytic - worst.numerical):
            worst = finding
    return worst or kink


def _noise(low: Any, result: Any, v: list[np.ndarray], eps: float) -> float:
    """How far float32 (float16) rounding alone can move a central difference of <v, y>."""
    if not low:
        return 0.0
    scale = sum(float(np.sum(np.abs(np.asarray(out._data, dtype=np.float64) * weights)))
                for out, weights in zip(_outputs(result), v))
    return 4 * float(np.finfo(low).eps) * scale / eps


def _kind(finding: OpFinding, tolerance: float, noise: float, half_step, eps: float) -> str:
    """"edge", "kink" (a jump too), "precision" or "wrong rule" for a mismatched element;
    `half_step()` gives (plus, minus) at eps / 2, to tell a jump from a steep slope."""
    value, numerical, left, right = finding.analytic, finding.numerical, finding.left, \
        finding.right
    if not np.isfinite(numerical):  # a step of eps leaves the domain: nothing to compare
        return "edge"
    if abs(value - numerical) <= noise:  # (then left and right are noise too)
        return "precision"
    if abs(right - left) > 10 * tolerance:  # not differentiable here
        low, high = min(left, right), max(left, right)
        if low - tolerance <= value <= high + tolerance:
            return "kink"
    if _jump(numerical, half_step, eps):
        return "kink"
    return "wrong rule"


def _jump(numerical: float, half_step, eps: float) -> bool:
    """Whether the function jumps here: a central difference over a jump doubles when the
    step halves (over a slope it stays the same)."""
    plus, minus = half_step()
    halved = (plus - minus) / eps  # the central difference at eps / 2
    return bool(abs(numerical) * 2 * eps > 1e-10 and np.isfinite(halved)
                and halved / numerical > 1.5)


def drill_down(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
               atol: float = 1e-5, rtol: float = 1e-3, point: tuple | None = None
               ) -> OpFinding | None:
    """The first op of `fn` whose rule is wrong, else the first kink found, else what `fn` as
    a whole shows (float32 rounding, or a kink at `point`), else None.

    `point` is where gradcheck saw the mismatch: (input position, direction, output
    weights, backward's value of <weights, J direction>)."""
    kink = None
    records = record_ops(fn, inputs)
    for number, record in enumerate(records):
        finding = check_op(record, eps, atol, rtol)
        if finding is not None and finding.kind == "wrong rule":
            return _placed(finding, records, number, eps, atol, rtol)
        kink = kink or finding
    low = next((record.low for record in records if record.low), False)
    if kink is None and low:
        return OpFinding("precision", None, 0, (), np.nan, np.nan, np.nan, np.nan, np.nan, low)
    if kink is None and point is not None:
        return _fn_kink(fn, inputs, point, eps, atol, rtol)
    return kink


def _placed(finding: OpFinding, records: list[RecordedOp], number: int, eps: float,
            atol: float, rtol: float) -> OpFinding:
    """`finding` (about records[number]) told apart from ops of its kind created on the same
    line (two calls on one line, or one line run in a loop), with the later ops whose rules
    are wrong too (MAX_OTHERS at most are checked: one report can name several culprits)."""
    record = finding.record
    same = [r for r in records if r.op is record.op and r.site == record.site]
    if len(same) > 1:
        rank = next(k for k, r in enumerate(same) if r is record) + 1
        finding.which = (f" (the {_ordinal(rank)} of {len(same)} {_display_name(record.op)} "
                         f"ops created on that line)")
    others, seen = [], {(record.op, record.site)}
    for later in records[number + 1:]:
        if (later.op, later.site) in seen or len(seen) > MAX_OTHERS:
            continue
        seen.add((later.op, later.site))
        found = check_op(later, eps, atol, rtol)
        if found is not None and found.kind == "wrong rule":
            others.append(later)
    finding.others = tuple(others)
    return finding


MAX_OTHERS = 50  # later (op, line) pairs checked for a second wrong rule


def _fn_kink(fn, inputs, point: tuple, eps: float, atol: float, rtol: float) -> OpFinding | None:
    """A kink or a jump of `fn` itself at `point` (from a tie or a comparison outside the
    graph, which no op checked alone can show), else None."""
    position, direction, weights, analytic = point
    tensor = inputs[position]
    original = tensor._data

    def at(step: float) -> float:
        tensor._data = np.asarray(original + step * direction, original.dtype)
        try:
            output = fn(*inputs)
        finally:
            tensor._data = original
        return float(np.sum(np.asarray(getattr(output, "_data", output), np.float64) * weights))

    with np.errstate(all="ignore"):
        base, plus, minus = at(0.0), at(eps), at(-eps)
        numerical = (plus - minus) / (2 * eps)
        one_hot = np.count_nonzero(direction) == 1 and np.max(direction) == 1.0
        index = tuple(int(i) for i in np.argwhere(direction)[0]) if one_hot else None
        finding = OpFinding("wrong rule", None, position, index, float(analytic), numerical,
                            (base - minus) / eps, (plus - base) / eps,
                            float(original[index]) if one_hot else np.nan)
        tolerance = atol + rtol * abs(numerical)
        finding.kind = _kind(finding, tolerance, 0.0, lambda: (at(eps / 2), at(-eps / 2)), eps)
    return finding if finding.kind == "kink" else None


UNEXPLAINED = (
    "Every op's rule agrees with central differences when checked alone, so the mismatch "
    "comes from how fn combines them: values taken out of the graph (.detach(), .data, "
    ".numpy(), .item(), float(t)) are constants to backward, as are in-place changes and "
    "randomness; or eps is too large for a very curved fn.")


def unscaled_rule(fn: Callable[..., Any], inputs: Sequence[Any]) -> str:
    """The first op `fn` records whose backward gives a nonzero gradient for an all-zero
    upstream gradient (a rule not multiplied by grad_output), described; "" if none does."""
    for record in record_ops(fn, inputs):
        positions = [i for i, need in enumerate(record.needs) if need]
        if not positions:
            continue
        try:
            outputs, tensors = _run(record, [_as64(a) for a in record.args], positions)
            seeds = [Tensor(np.zeros(out.shape)) for out in outputs if out.requires_grad]
            found = grad([o for o in outputs if o.requires_grad], tensors, seeds,
                         allow_unused=True)
        except Exception:  # noqa: BLE001 (an op that cannot run alone names nothing)
            continue
        for position, value in zip(positions, found):
            if value is not None and np.any(np.isfinite(value._data) & (value._data != 0)):
                where = f"{record.site}: `{record.code}`" if record.code else record.site
                return (f"{_display_name(record.op)}, created at {where}, gives its input "
                        f"{position} a nonzero gradient (max |g| "
                        f"{float(np.max(np.abs(value._data))):.3g}) for an all-zero grad_output")
    return ""
