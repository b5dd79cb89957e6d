"""`detect_anomaly()` that also checks the forward pass.

Inside the block, the first recorded op whose output holds a NaN or Inf raises at once, naming
the op, the line of your code that created it and the range of each input: `log(softmax(x))`
with extreme logits stops at `log` (softmax underflowed to 0), while `log_softmax(x)` raises
nothing. backward() still stops at the first op whose backward makes a NaN or Inf.

The check is an observer of the engine (`function.observers`), registered only while a block
is open: outside it costs nothing.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from tinygrad_np import function
from tinygrad_np.function import Function, observers
from tinygrad_np.opcheck import _user_site

_lock = threading.Lock()
_open = 0  # open blocks, any thread

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
        return f"shape {value.shape} {value.dtype}, values in [{low:.4g}, {high:.4g}]"
    return repr(value)


def _check_output(ctx: Function, arrays: list, output: np.ndarray) -> None:
    """Raise at the first op whose output is not finite (in threads with anomaly mode on)."""
    if not function._modes.anomaly:
        return
    if output.size == 1:
        if math.isfinite(output.item()):
            return
    elif np.isfinite(output).all():
        return
    name = type(ctx).__name__
    bad = ~np.isfinite(output)
    kinds = " and ".join(kind for kind, mask in (("NaN", np.isnan(output)),
                                                 ("Inf", np.isinf(output))) if mask.any())
    first = np.unravel_index(np.argmax(bad), output.shape) if output.ndim else ()
    site, code = _user_site()
    inputs = "; ".join(f"input {i}: {_describe(a)}" for i, a in enumerate(arrays)
                       if isinstance(a, np.ndarray | float | int) and not isinstance(a, bool))
    finite_inputs = all(np.all(np.isfinite(a)) for a in arrays
                        if isinstance(a, np.ndarray) and a.dtype.kind in "fc")
    origin = "from finite inputs" if finite_inputs else "(an input was already not finite)"
    hint = HINTS.get(name)
    raise RuntimeError(
        f"detect_anomaly: {name} produced {kinds} in the forward pass {origin}, at "
        f"{int(bad.sum())} of {output.size} elements (first at {tuple(int(i) for i in first)})."
        f"\n  created at {site}" + (f": {code}" if code else "") + f"\n  {inputs}"
        + (f"\n  hint: {hint}" if hint else ""))


class detect_anomaly(function.detect_anomaly):
    """Context manager (and decorator): find where NaN or Inf first appear, forward and back.

    In forward, the first recorded op whose output holds a NaN or Inf raises RuntimeError
    naming the op, the line that created it and its inputs' ranges. In backward, the first op
    whose backward returns NaN or Inf raises, naming the op and where it was created. Off by
    default; outside the block it costs nothing. `detect_anomaly(check_nan=False)` turns the
    checks off inside a block.
    """

    def __enter__(self) -> None:
        global _open
        super().__enter__()
        with _lock:
            _open += 1
            if _open == 1:
                observers.append(_check_output)

    def __exit__(self, *exc_info: object) -> None:
        global _open
        with _lock:
            _open -= 1
            if _open == 0 and _check_output in observers:
                observers.remove(_check_output)
        super().__exit__(*exc_info)
