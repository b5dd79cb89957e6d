"""`detect_anomaly()`: find the op where a NaN starts, in backward as PyTorch, and where
the forward pass first made a NaN or Inf.

A tool above the engine: while a `detect_anomaly()` block is open (in any thread) it watches
through the engine's observer lists. backward() raises at the first op whose backward
returns a NaN, naming the op (PyTorch's words: "Function 'LogBackward0' returned nan
values in its 0th output"), the input and the line of user code that created it. The
forward pass never raises (PyTorch's does not: an Inf that a later op clamps is fine), but
the first recorded op whose output holds a NaN, or an Inf it made from finite inputs, is
remembered with its line, inputs' ranges and a hint, and the backward error names it too:
`log(softmax(x))` with extreme logits points at `log` (softmax underflowed to 0).
`set_detect_anomaly(True)` (PyTorch's switch) turns the same checks on in this thread
until `set_detect_anomaly(False)`, or, as a context manager, for its block. Outside them
nothing is checked and nothing costs.
"""

from __future__ import annotations

import math
import threading
import traceback
import warnings
from collections import deque
from typing import Any

import numpy as np

from tinygrad_np import autograd, function, observing
from tinygrad_np.opcheck import _user_site
from tinygrad_np.ops.masked import MaskedBy
from tinygrad_np.tensor import Tensor


class _Enabled(threading.local):
    on = False  # per thread, like grad mode: the checks run
    mode = False  # PyTorch's is_anomaly_enabled() (on, unless check_nan=False)
    check_nan = True  # PyTorch's flag: False inside detect_anomaly(check_nan=False)
    hold: Any = None  # this thread's set_detect_anomaly(True): keeps the observers installed


_enabled = _Enabled()
_open_blocks = 0
_lock = threading.Lock()


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()` (with check_nan=False too) in this thread."""
    return _enabled.mode


def is_anomaly_check_nan_enabled() -> bool:
    """PyTorch's flag: False only inside `detect_anomaly(check_nan=False)` or after
    `set_detect_anomaly(mode, check_nan=False)` (then the checks are off here)."""
    return _enabled.check_nan


def _remember_creation(ctx: Any, arrays: list, output: np.ndarray) -> None:
    if _enabled.on:
        ctx.creation_stack = traceback.format_stack()[:-2]


HINTS = {
    "Log": "log of 0 or of a negative number: if its input is a softmax that underflowed, "
           "use log_softmax (or F.cross_entropy); otherwise add a small epsilon",
    "Div": "division by 0: a variance, norm or count that is 0? add an epsilon to the "
           "denominator",
    "Sqrt": "square root of a negative number, or of 0 followed by a division",
    "Exp": "exp overflowed (input above ~88 in float32, ~709 in float64): subtract the max "
           "first, or use a stable op (softmax, logsumexp, softplus)",
    "Pow": "a power of 0 or of a negative number, or an overflow",
}


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return f"shape {value.shape} (empty)"
        with np.errstate(all="ignore"):
            low, high = np.min(value), np.max(value)
        return f"shape {value.shape} {value.dtype.name}, values in [{low:.4g}, {high:.4g}]"
    return repr(value)


_F = np.dtype(float)


def forward_anomaly(tensor: Any) -> str | None:
    """Where the forward pass that computed `tensor` (inside a detect_anomaly block) first
    made a NaN or an Inf from finite inputs: the op, the line that created it, its inputs'
    ranges and a hint; None if it made none."""
    return _first_in_forward(getattr(tensor, "grad_fn", None))


def _first_in_forward(node: Any) -> str | None:
    """The anomaly furthest upstream of `node` (breadth first: the last one met)."""
    found, seen, queue = None, set(), deque([node])
    while queue:
        node = queue.popleft()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        found = getattr(node, "forward_anomaly", None) or found
        queue.extend(parent for parent, _ in getattr(node, "next_functions", ()))
    return found


def _check_output(ctx: Any, arrays: list, output: np.ndarray) -> None:
    """Mark an op that made a NaN or Inf (in threads with the check on): backward's error
    names the one furthest upstream."""
    if not _enabled.on or output.dtype.kind not in "fc" or type(ctx) is MaskedBy:
        return  # (MaskedBy copies a mask op's gradient: the backward check names that op)
    if output.size == 1:
        if math.isfinite(output.item()):
            return
    elif np.isfinite(output).all():
        return
    # An Inf that came in (a -inf mask filled in, a log-probability of 0) is data; one that
    # an op makes from finite inputs (overflow, log(0), x / 0) is flagged, and a NaN made
    # from inputs without one (inf - inf: a softmax over a row masked whole).
    floats = [a for a in arrays
              if isinstance(a, np.ndarray | float) and getattr(a, "dtype", _F).kind in "fc"]
    finite = all(np.all(np.isfinite(a)) for a in floats)
    if not finite and (not np.isnan(output).any() or any(np.isnan(a).any() for a in floats)):
        return  # (it came in: an op upstream made it, or it is data)
    name = type(ctx).__name__
    bad = np.isnan(output) if not finite else ~np.isfinite(output)
    kinds = " and ".join(kind for kind, mask in (("NaN", np.isnan(output)),
                                                 ("Inf", np.isinf(output))) if mask.any())
    first = np.unravel_index(np.argmax(bad), output.shape) if output.ndim else ()
    site, code = _user_site()
    inputs = "; ".join(f"input {i}: {_describe(a)}" for i, a in enumerate(arrays)
                       if isinstance(a, np.ndarray | float | int) and not isinstance(a, bool))
    origin = "from finite inputs" if finite else "(an input was already not finite)"
    hint = HINTS.get(name)
    ctx.forward_anomaly = (
        f"{name} produced {kinds} in the forward pass {origin}, at "
        f"{int(bad.sum())} of {output.size} elements (first at {tuple(int(i) for i in first)})."
        f"\n  created at {site}" + (f": {code}" if code else "") + f"\n  {inputs}"
        + (f"\n  hint: {hint}" if hint else ""))


def _grad_shape(node: Any, position: int, values: Any) -> str:
    """The input's shape; with the rule's broadcast shape when backward sums it down."""
    parents = getattr(node, "parents", ())
    parent = parents[position] if position < len(parents) else None
    shape = getattr(parent, "output_shape", None) if isinstance(parent, function.Function) \
        else getattr(parent, "shape", None)
    given = tuple(np.shape(values))
    if shape is None or tuple(shape) == given:
        return f"shape {given}"
    return f"shape {tuple(shape)}; the rule gave shape {given}, summed down to it"


def _check_gradients(node: Any, grad_output: Any, grads: tuple) -> None:
    if not _enabled.on:
        return
    # The message: PyTorch's words ("its 1th output" too), then ours, with the forward
    # anomaly this gradient flowed through (downstream), else one upstream.
    carried = getattr(node, "forward_anomaly", None) or getattr(node, "anomaly_below", None)
    for position, grad in enumerate(grads):  # NaN only, as PyTorch (an Inf slope is data)
        values = grad._data if isinstance(grad, Tensor) else grad
        if values is not None and np.isnan(values).any():
            stack = getattr(node, "creation_stack", None) or [
                "  (created outside detect_anomaly())\n"]
            forward = carried or _first_in_forward(node)
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {position}th output "
                f"(detect_anomaly: {type(node).__name__}.backward returned NaN in the "
                f"gradient of input {position}, {_grad_shape(node, position, values)}). The "
                f"op was created "
                f"here:\n{''.join(stack)}" + (f"\nThe forward pass made the first non-finite "
                                             f"value here: {forward}" if forward else ""))
    if carried:
        for parent, _ in node.next_functions:
            if parent is not None and not getattr(parent, "anomaly_below", None):
                parent.anomaly_below = carried


class detect_anomaly(function.no_grad):
    """Context manager (and decorator): name the op where a NaN or Inf starts.

    backward() raises RuntimeError at the first op whose backward returns a NaN, naming
    it, the line that created it and the first NaN or Inf the forward pass made (which does
    not raise, as in PyTorch; `forward_anomaly(t)` describes it). `check_nan=False` turns the
    checks off inside a block. Outside the blocks it costs nothing.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        _install()
        self._previous, _enabled.on = _enabled.on, self.check_nan
        self._previous_flag, _enabled.check_nan = _enabled.check_nan, self.check_nan
        self._previous_mode, _enabled.mode = _enabled.mode, True

    def __exit__(self, *exc_info: object) -> None:
        _enabled.on, _enabled.check_nan = self._previous, self._previous_flag
        _enabled.mode = self._previous_mode
        if not _enabled.on:  # a set_detect_anomaly(True) inside the block ends with it
            _enabled.hold = None
        _uninstall()


def _install() -> None:
    """One more holder of the observers (installed for the first)."""
    global _open_blocks
    with _lock:
        if _open_blocks == 0:
            observing.observe(_remember_creation)
            observing.observe(_check_output)
            autograd.backward_observers.append(_check_gradients)
        _open_blocks += 1


def _uninstall() -> None:
    """One holder fewer (the observers removed with the last)."""
    global _open_blocks
    with _lock:
        _open_blocks -= 1
        if _open_blocks == 0:
            observing.unobserve(_remember_creation)
            observing.unobserve(_check_output)
            autograd.backward_observers.remove(_check_gradients)


class _Hold:
    """The observers installed for one thread's `set_detect_anomaly(True)`, until it is
    dropped: by `set_detect_anomaly(False)`, or with the thread's locals when it ends."""

    def __init__(self) -> None:
        _install()

    def __del__(self) -> None:
        _uninstall()


def _set_mode(on: bool) -> None:
    _enabled.on = on
    if on and _enabled.hold is None:
        _enabled.hold = _Hold()
    elif not on:
        _enabled.hold = None


class set_detect_anomaly:
    """PyTorch's `set_detect_anomaly(mode, check_nan=True)`: turns `detect_anomaly`'s checks
    on or off now, in this thread; as a context manager it restores the previous state on
    exit. With `check_nan=False` the checks are off, as in `detect_anomaly(check_nan=False)`.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous, self._previous_flag = _enabled.on, _enabled.check_nan
        self._previous_mode, _enabled.mode = _enabled.mode, bool(mode)
        _enabled.check_nan = bool(check_nan)
        _set_mode(bool(mode) and bool(check_nan))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info: object) -> None:
        _enabled.check_nan, _enabled.mode = self._previous_flag, self._previous_mode
        _set_mode(self._previous)
