"""The tiny array interface that gradient rules are written against.

A rule such as `grad_output * y` already works on NumPy arrays and on Tensors alike. The few
things an ndarray and a Tensor spell differently live here: each function below takes either
and answers in kind. So one rule serves

  * an ordinary `backward()`: plain ndarrays, no graph, no Tensor overhead at all;
  * `create_graph=True`: Tensors, so the backward pass is itself recorded and can be
    differentiated again.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype

_NUMPY_TYPES = (np.ndarray, np.generic, int, float)
_ALL = np.logical_and.reduce  # without ndarray.all's Python wrapper
_SAME_SIZE_INT = {np.dtype(f): np.dtype(i) for f, i in (("f2", "i2"), ("f4", "i4"), ("f8", "i8"))}


def is_tensor(x: Any) -> bool:
    """True when a rule is running on Tensors (create_graph=True), False on plain arrays."""
    return not isinstance(x, _NUMPY_TYPES)


def exp(x):
    """e ** x."""
    return np.exp(x) if isinstance(x, _NUMPY_TYPES) else x.exp()


def log(x):
    """Natural logarithm."""
    return np.log(x) if isinstance(x, _NUMPY_TYPES) else x.log()


def sin(x):
    """Sine."""
    return np.sin(x) if isinstance(x, _NUMPY_TYPES) else x.sin()


def cos(x):
    """Cosine."""
    return np.cos(x) if isinstance(x, _NUMPY_TYPES) else x.cos()


def sigmoid(x):
    """1 / (1 + exp(-x)), as exp(-log(1 + exp(-x))): logaddexp never overflows. Integers and
    bools are computed in the default float dtype (-x of uint8 would wrap around)."""
    if not isinstance(x, _NUMPY_TYPES):
        return x.sigmoid()
    x = x if np.asarray(x).dtype.kind in "fc" else np.asarray(x, dtype=get_default_dtype())
    return np.exp(-np.logaddexp(0, -x))


def masked(mask, grad):
    """`grad` where `mask` is True, else 0: a rule's gradient through a mask. A 0 stays 0 where
    `grad` is inf or NaN (multiplying by the mask would give NaN there), as in PyTorch."""
    if not isinstance(grad, _NUMPY_TYPES):
        return grad.where(mask, 0)
    bits = _SAME_SIZE_INT.get(getattr(grad, "dtype", None))
    if bits is None:
        return grad * mask if finite(grad) else np.where(mask, grad, 0)
    keep = np.asarray(mask).astype(bits)  # all bits of grad where the mask is set (-1), none
    np.negative(keep, out=keep)  # elsewhere: exactly +0, as fast as `grad * mask`
    return np.bitwise_and(grad.view(bits), keep).view(grad.dtype)


def shared(share, grad):
    """`grad * share` for a per-element share of it (max's ties: 1/2, 1/3, ...), 0 where the
    share is 0 even when `grad` is inf or NaN there."""
    if not isinstance(grad, _NUMPY_TYPES):
        return grad.where(share != 0, 0) * share
    return grad * share if finite(grad) else np.where(share != 0, grad, 0) * share


def finite(values: Any) -> bool:
    """No inf or NaN in `values` (never warns; one pass and a reduction)."""
    return bool(_ALL(np.isfinite(values), axis=None))


def broadcast_to(x, shape: tuple[int, ...]):
    """Repeat `x` along broadcast axes to `shape` (a read-only view for arrays)."""
    return np.broadcast_to(x, shape) if isinstance(x, _NUMPY_TYPES) else x.expand(shape)


def index_add(values, index: Any, shape: tuple[int, ...]):
    """A zero array of `shape` with `values` added at `index`; repeated indices accumulate.

    This is the backward of `x[index]`; its own backward is `grad[index]`.
    """
    if isinstance(values, _NUMPY_TYPES):
        out = np.zeros(shape, dtype=np.result_type(values))
        if _is_basic_index(index):
            out[index] = values  # basic indexing never repeats an element
        else:
            np.add.at(out, index, values)
        return out
    from tinygrad_np.ops.shape import IndexAdd  # only for create_graph; avoids an import cycle

    return IndexAdd.apply(values, index, shape)


def _is_basic_index(index: Any) -> bool:
    """Slices, integers, None and Ellipsis only: each selected element appears once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer))
        or (isinstance(part, np.ndarray) and part.dtype == bool)
        for part in parts
    )


class _LegacyErrorState:
    """NumPy 1.x: np.seterr, with the set/reset calls of NumPy 2's context variable."""

    def set(self, state: dict) -> dict:
        return np.seterr(**state)

    def reset(self, token: dict) -> None:
        np.seterr(**token)


try:  # NumPy 2 keeps its error state in a context variable: setting it directly costs a
    # tenth of entering np.errstate (0.3 against 2.5 us here), which small ops would feel
    from numpy._core._ufunc_config import _extobj_contextvar as _ERROR_STATE

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        _QUIET = _ERROR_STATE.get()
except ImportError:
    _ERROR_STATE, _QUIET = _LegacyErrorState(), {"divide": "ignore", "invalid": "ignore",
                                                 "over": "ignore"}


def _quietly(method: Any) -> Any:
    """`method` with NumPy's divide, invalid and overflow warnings off while it runs."""

    @functools.wraps(method)  # signature and docstring: the trace names the inputs
    def quiet_method(*args: Any, **kwargs: Any) -> Any:
        token = _ERROR_STATE.set(_QUIET)
        try:
            return method(*args, **kwargs)
        finally:
            _ERROR_STATE.reset(token)

    return quiet_method


def quiet(op: Any) -> Any:
    """Class decorator: run an op's forward without NumPy's RuntimeWarnings; on
    a function (a composite of ops, such as silu = x sigmoid(x)), the whole call.

    PyTorch returns inf and nan silently (log(0) = -inf, sqrt(-1) = nan, exp(1000) = inf),
    NumPy warns; every op and composite whose domain or range has such edges wears this
    decorator. It costs about 0.3 us per call with NumPy 2, so the two hottest ops, `+` and
    `*`, do without it (and warn on inf - inf or 0 * inf, as NumPy does).
    """
    if not isinstance(op, type):
        return _quietly(op)
    op.forward = _quietly(op.forward)  # (a backward pass is quiet as a whole: QuietPass)
    return op
