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
from tinygrad_np.errors import TensorError

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
    x = np.asarray(x)
    if x.dtype.kind not in "fc":
        x = x.astype(get_default_dtype())
    elif x.dtype.kind == "c":
        return np.exp(-np.logaddexp(0, -x))
    elif x.dtype == np.float16:  # in float32, rounded once (PyTorch's opmath)
        return sigmoid(x.astype(np.float32)).astype(np.float16)
    # exp(min(x, 0)) / (1 + exp(-|x|)): neither exp overflows, and NumPy's vectorised exp is
    # ~10x faster than its logaddexp (a scalar loop)
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def logaddexp(a, b):
    """`np.logaddexp(a, b)` on float arrays, ~10x faster: NumPy's own formula, max(a, b) +
    log1p(exp(-|a - b|)), in vectorised passes (NumPy's loop is scalar). Equal infinities,
    whose difference is NaN, give themselves, as np.logaddexp."""
    with np.errstate(invalid="ignore"):  # (inf - inf)
        difference = np.subtract(a, b)
    if difference.dtype.kind != "f":
        return np.logaddexp(a, b)
    if difference.dtype == np.float16:  # (in float32, rounded once, as NumPy's)
        wide = np.float32
        return logaddexp(np.asarray(a, wide), np.asarray(b, wide)).astype(np.float16)
    out = np.log1p(np.exp(-np.abs(difference)))
    out += np.maximum(a, b)
    if not finite(difference):
        out = where(np.isnan(difference) & (np.asarray(a) == b), a, out)
    return out


def where(condition, a, b):
    """`np.where(condition, a, b)` on arrays. NumPy's loop branches on each element (~15 ns
    each when the mask is irregular), so large float results are chosen bit by bit instead:
    b ^ ((a ^ b) & mask), exact for every value (-0.0, inf and NaN payloads included)."""
    if np.size(condition) < 4096:  # (small: NumPy's loop, without the test's overhead)
        return np.where(condition, a, b)
    dtype = np.result_type(a, b)
    bits = _SAME_SIZE_INT.get(dtype)
    if bits is None:
        return np.where(condition, a, b)
    keep = np.asarray(condition, dtype=bool).astype(bits)
    np.negative(keep, out=keep)  # all bits set where the condition holds
    a_bits, b_bits = np.asarray(a, dtype).view(bits), np.asarray(b, dtype).view(bits)
    chosen = np.empty(np.broadcast_shapes(keep.shape, a_bits.shape, b_bits.shape), bits)
    np.bitwise_xor(a_bits, b_bits, out=chosen)
    np.bitwise_and(chosen, keep, out=chosen)
    return np.bitwise_xor(chosen, b_bits, out=chosen).view(dtype)


def masked(mask, grad):
    """`grad` where `mask` is True, else 0: a rule's gradient through a mask. A 0 stays 0 where
    `grad` is inf or NaN (multiplying by the mask would give NaN there), as in PyTorch."""
    if not isinstance(grad, _NUMPY_TYPES):
        return grad.where(mask, 0)
    bits = _SAME_SIZE_INT.get(getattr(grad, "dtype", None))
    if bits is None:
        return grad * mask if finite(grad) else where(mask, grad, 0)
    keep = np.asarray(mask).astype(bits)  # all bits of grad where the mask is set (-1), none
    np.negative(keep, out=keep)  # elsewhere: exactly +0, as fast as `grad * mask`
    return np.bitwise_and(grad.view(bits), keep).view(grad.dtype)


def shared(share, grad):
    """`grad * share` for a per-element share of it (max's ties: 1/2, 1/3, ...), 0 where the
    share is 0 even when `grad` is inf or NaN there."""
    if not isinstance(grad, _NUMPY_TYPES):
        return grad.where(share != 0, 0) * share
    return grad * share if finite(grad) else where(share != 0, grad, 0) * share


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
            _add_at(out, index, np.asarray(values))
        return out
    from tinygrad_np.ops.shape import IndexAdd  # only for create_graph; avoids an import cycle

    return IndexAdd.apply(values, index, shape)


def _is_basic_index(index: Any) -> bool:
    """Slices, integers, None and Ellipsis only: each selected element appears once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer))
        or (isinstance(part, np.ndarray) and part.dtype == np.bool_)
        for part in parts
    )


_EVERY = slice(None)
_MOST_ROUNDS = 64  # more repeats of one place than this: sort and np.add.reduceat
_NARROW_ROW = 16  # rows of at most this many elements: np.add.at on flat places (no sort)


def _add_at(out: np.ndarray, index: Any, values: np.ndarray) -> None:
    """np.add.at(out, index, values), which NumPy runs element by element when slices join
    the index arrays (x[:, idx], x[idx] of a matrix). Here the places the index arrays name
    are numbered: without repeats one assignment writes them all. Else the index arrays'
    axes go first (a contiguous buffer when they were not), so that each place is a row,
    and each round adds the next occurrence of every repeated place with one vectorised
    `+=` (rounds go in index order: each sum adds in np.add.at's order); past _MOST_ROUNDS
    repeats, a stable sort and np.add.reduceat sum each place's rows, assigned once. Rows
    of at most _NARROW_ROW elements (x[:, idx] of a few rows) skip the sort: without a
    repeat one assignment, else one flat index per element and np.add.at on the 1-D
    buffer, in its order (past 16 elements a row, the rounds are faster)."""
    if _add_sorted_runs(out, index, values):
        return
    plan = _fancy_plan(index, out.shape, values.shape)
    if plan is None:  # index arrays alone (NumPy's own fast path), or a form not planned
        parts = index if isinstance(index, tuple) else (index,)
        if len(parts) == out.ndim > 1 and out.flags.c_contiguous and all(
                isinstance(part, np.ndarray) and part.dtype.kind in "iu" for part in parts):
            # one index per axis: NumPy's add.at is 2x faster on one flat index (same order)
            try:
                places = np.ravel_multi_index(np.broadcast_arrays(*parts), out.shape,
                                              mode="wrap")
            except (TypeError, ValueError):  # (uint64 arrays, sizes past int64)
                places = None
            if places is not None:
                np.add.at(out.reshape(-1), places.ravel(),
                          np.broadcast_to(values, places.shape).ravel())
                return
        np.add.at(out, index, values)
        return
    axes, rest, places, start = plan
    if not places.size:
        return
    narrow = values.size <= _NARROW_ROW * places.size
    if narrow and np.bincount(places.reshape(-1)).max() == 1:  # no repeats: one assignment
        out[index] = values
        return
    if not narrow:
        order = _stable_order(places, places.size * int(places.max(initial=0) + 1))
        ordered = places[order]
        starts = np.empty(places.size, dtype=bool)
        starts[0], starts[1:] = True, ordered[1:] != ordered[:-1]
        positions = np.arange(places.size)
        rank = positions - np.maximum.accumulate(np.where(starts, positions, 0))  # k-th repeat
        if not rank.any():
            out[index] = values
            return
    block = values.ndim - len(rest)
    moved = np.moveaxis(values, range(start, start + block), range(block))
    rows = moved.reshape((places.size,) + tuple(  # one row per place; None's axes dropped
        n for n, (axis, _) in zip(moved.shape[block:], rest) if axis is not None))
    others = [axis for axis, _ in rest if axis is not None]
    order_out = axes + others
    target = out if order_out == sorted(order_out) else np.zeros(
        [out.shape[axis] for axis in order_out], out.dtype)
    sizes, slices = target.shape[:len(axes)], tuple(part for axis, part in rest if axis is not None)
    if narrow:  # each element's place in the flat target: a place's row start + its offsets
        row_shape = target.shape[len(axes):]
        offsets = np.arange(int(np.prod(row_shape))).reshape(row_shape)[slices].ravel()
        flat = (places.reshape(-1, 1) * int(np.prod(row_shape)) + offsets).ravel()
        # float16 sums in float32 (10,000 ones add up to 10,000, not 2,048), as the rounds
        # below (PyTorch's x[:, idx] backward adds in float16: 2,048)
        wide = target if target.dtype != np.float16 else np.zeros(target.shape, np.float32)
        np.add.at(wide.reshape(-1), flat, rows.ravel())
        if wide is not target:
            target[...] = wide
    elif rank.max() >= _MOST_ROUNDS:
        first = np.flatnonzero(starts)
        target[np.unravel_index(ordered[first], sizes) + slices] = np.add.reduceat(
            rows[order], first, axis=0)
    else:
        by_round = order[_stable_order(rank, places.size * _MOST_ROUNDS)]
        bounds = np.cumsum(np.bincount(rank))
        for low, high in zip(np.concatenate(([0], bounds[:-1])), bounds):
            chosen = by_round[low:high]
            at = np.unravel_index(places[chosen], sizes) + slices
            if low:
                target[at] += rows[chosen]
            else:  # the first occurrences, onto zeros
                target[at] = rows[chosen]
    if target is not out:
        out[...] = target.transpose(np.argsort(order_out))


def _add_sorted_runs(out: np.ndarray, index: Any, values: np.ndarray) -> bool:
    """The rounds of _add_at for index_select's backward with a non-decreasing index (nearest
    upsampling's 0, 0, 1, 1, ...; repeat_interleave): (:, ..., :, index) with rows of more
    than _NARROW_ROW elements and some but fewer than _MOST_ROUNDS repeats. Each place's run
    is consecutive, so the k-th members are the runs' starts + k: no sort, no transposed
    buffer, the same additions in the same order (the first member assigned, the next added).
    False (nothing done) for any other index."""
    if type(index) is not tuple or not index or len(index) > out.ndim:
        return False
    *lead, array = index
    if type(array) is not np.ndarray or array.ndim != 1 or array.dtype.kind not in "iu" or \
            not array.size or any(type(part) is not slice or part != _EVERY for part in lead) or \
            values.size <= _NARROW_ROW * array.size or array[0] < 0:
        return False
    array = array.astype(np.int64, copy=False)  # (an unsigned difference would wrap)
    steps = array[1:] - array[:-1]  # (np.diff: 3 us more of Python around it)
    if steps.all() or (steps < 0).any():  # (no repeat: _add_at's one assignment, 1.2-5x
        return False  # faster than the runs here)
    starts = np.concatenate(([0], np.flatnonzero(steps) + 1))
    lengths = np.diff(np.append(starts, array.size))
    longest = int(lengths.max())
    if longest >= _MOST_ROUNDS:
        return False
    axis = len(lead)
    moved = np.moveaxis(values, axis, 0)
    if (lengths == longest).all():  # runs of one length: the k-th members a strided view
        members = moved.reshape(len(starts), longest, *moved.shape[1:])
        total = members[:, 0] + members[:, 1] if longest > 1 else members[:, 0].copy()
        for k in range(2, longest):
            total += members[:, k]
    else:
        total = moved[starts]
        for k in range(1, longest):
            live = np.flatnonzero(lengths > k)
            total[live] += moved[starts[live] + k]
    places = array[starts]
    whole = places[-1] - places[0] + 1 == places.size  # (consecutive places: one slice)
    np.moveaxis(out, axis, 0)[slice(places[0], places[-1] + 1) if whole else places] = total
    return True


def _stable_order(keys: np.ndarray, span: int) -> np.ndarray:
    """np.argsort(keys, kind="stable") for keys in [0, span / len(keys)): NumPy's stable
    sort of integers is a merge sort ten times slower than its default one, which sorts
    the keys made unique by their positions just as well while they fit in int64; keys
    below 2**16 go to its radix sort of 8- or 16-bit integers, 3-6x faster again."""
    bound = span // max(keys.size, 1)  # the keys lie in [0, bound)
    if bound <= 1 << 16:  # NumPy's stable sort of 8- and 16-bit integers is a radix sort
        return np.argsort(keys.astype(np.uint8 if bound <= 256 else np.uint16), kind="stable")
    if span >= 2 ** 62:
        return np.argsort(keys, kind="stable")
    return np.argsort(keys * keys.size + np.arange(keys.size))


def _fancy_plan(index: Any, shape: tuple[int, ...], value_shape: tuple[int, ...]) -> Any:
    """How `values = x[index]` lays out for x of `shape` when index arrays mix with slices:
    (the index arrays' axes, (axis, slice) or (None, None) for a new axis per other result
    axis in order, the places the arrays name (broadcast together, numbered over their
    axes), the result axis where the arrays' block starts). None when no slice joins the
    arrays (NumPy's np.add.at is fast then) or the index is of a form not planned here
    (bool scalars, lists).

    Integers count as index arrays, a bool array as its nonzero() arrays; NumPy places the
    block where the first array stands if the arrays are adjacent, else first (a None or
    Ellipsis between them separates them)."""
    parts: list[Any] = []
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, np.ndarray) and part.dtype == np.bool_ and part.ndim:
            parts.extend(part.nonzero())
        elif isinstance(part, np.ndarray) and part.dtype.kind in "iu" or isinstance(
                part, (int, np.integer)) and not isinstance(part, (bool, np.bool_)):
            parts.append(np.asarray(part))
        elif part is None or part is Ellipsis or isinstance(part, slice):
            parts.append(part)
        else:
            return None
    spread = len(shape) - sum(part is not None and part is not Ellipsis for part in parts)
    if sum(part is Ellipsis for part in parts) > 1 or spread < 0:
        return None
    arrays, axes, rest, axis, start, run = [], [], [], 0, 0, "before"
    for part in parts:
        if isinstance(part, np.ndarray):
            start = len(rest) if run == "before" else start
            run = "separated" if run in ("after", "separated") else "in"
            arrays.append(part)
            axes.append(axis)
            axis += 1
            continue
        run = "after" if run == "in" else run
        if part is None:
            rest.append((None, None))
        elif part is Ellipsis:
            rest += [(axis + k, slice(None)) for k in range(spread)]
            axis += spread
        else:
            rest.append((axis, part))
            axis += 1
    rest += [(k, slice(None)) for k in range(axis, len(shape))]  # trailing axes
    if all(axis is None for axis, _ in rest):
        return None
    try:
        places = np.ravel_multi_index(arrays, [shape[a] for a in axes], mode="wrap")
    except (TypeError, ValueError):  # (uint64 arrays, a product of sizes past int64)
        return None
    start = 0 if run == "separated" else start
    if len(value_shape) != len(rest) + places.ndim or \
            value_shape[start:start + places.ndim] != places.shape:
        return None
    return axes, rest, places.reshape(-1), start


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


_HALF = np.dtype(np.float16)
# `ctx.saved_versions = xp.KEPT` marks an op's node as keeping an index or a mask for its rule
# (what PyTorch's node saves as a tensor): backward() frees it like a node that saved tensors,
# so a second backward() through it needs retain_graph=True, as PyTorch's. (One version entry
# that no in-place change moves: the engine frees a node that has version entries.)
KEPT = ((0, [0], 0),)


def unbroadcast(grad: Any, shape: tuple[int, ...], op_name: str) -> Any:
    """Sum `grad` down to `shape`: the adjoint of broadcasting `shape` up to grad.shape. A
    float16 array accumulates in float32 and rounds once, as PyTorch's sum_to_size (rounding
    after every row gave bias gradients many ulps off)."""
    extra = grad.ndim - len(shape)
    if extra < 0 or any(size not in (1, grad.shape[extra + i]) for i, size in enumerate(shape)):
        got, wanted = tuple(grad.shape), tuple(shape)  # (PyTorch's words first)
        raise TensorError(f"Function {op_name} returned an invalid gradient - got {got} but "
                          f"expected shape compatible with {wanted} ({op_name}.backward "
                          f"returned a gradient of shape {got} for an input of shape {wanted})")
    axes = tuple(range(extra)) + tuple(extra + i for i, size in enumerate(shape)
                                       if size == 1 and grad.shape[extra + i] != 1)
    if not axes:
        return grad.reshape(shape)
    if grad.dtype is _HALF and type(grad) is np.ndarray:
        return grad.sum(axis=axes, keepdims=True, dtype=np.float32).astype(_HALF).reshape(shape)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)
