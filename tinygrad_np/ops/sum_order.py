"""The order in which PyTorch's CPU kernel adds up a whole float32 or float64 tensor.

`x.sum()` and `x.mean()` of a dense tensor are summed by PyTorch's `cascade_sum` (aten
SumKernel.cpp) in memory order: 8 float32 (4 float64) lanes of a 256-bit vector, 4 vectors at
a time (so 32 or 16 running sums), each running sum a cascade of levels (rows added one by one
into level 0, flushed into level 1 every 2**p rows, level 1 into level 2 every 2**2p rows, ...;
p = max(4, ceil(log2(rows)) // 4)); then the 4 vectors added together, the elements left over
after the last whole vector added one by one, and the lanes one by one. Fewer elements than a
vector: 4 scalar running sums. NumPy's pairwise sum rounds differently, so a loss printed with
`.item()` differed in its last digit. Replayed here with NumPy (a few dozen array operations;
a Python loop only over the few dozen leftover values).

Above 32768 elements PyTorch splits the sum between its threads (`get_num_threads()`, as many
equal chunks as threads, at most one per 32768 values), each chunk summed so, and adds the
chunks' sums in order: replayed too, so set both libraries' thread counts alike.
"""

from __future__ import annotations

import math

import numpy as np

_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}  # (AVX2's and the default
_ROWS = 4  # vectors summed side by side                       # build's 256-bit vectors)
_LEVELS = 4
_GRAIN = 32768  # PyTorch's grain size: past it the threads split the work


def _threads() -> int:
    """torch.get_num_threads() (settings.py, imported when a sum first needs it: the engine
    loads nothing above it at import time)."""
    from tinygrad_np.settings import get_num_threads  # noqa: PLC0415

    return get_num_threads()


def replayable(x: np.ndarray) -> bool:
    """Whether the sum of all of `x` is replayed: float32/float64, dense in memory (C or
    Fortran order)."""
    return x.dtype in _LANES and x.size > 1 and (x.flags.c_contiguous or x.flags.f_contiguous)


def _in_order(rows: np.ndarray) -> np.ndarray:
    """The rows of `rows` (axis 0) added one by one, starting from 0."""
    total = np.zeros(rows.shape[1:], rows.dtype)
    for row in rows:
        total += row
    return total


def _cascade(rows: np.ndarray) -> np.ndarray:
    """PyTorch's multi_row_sum: one running sum per column of `rows` (axis 0 is added up, any
    other axes are independent columns), through the levels. Level j holds the in-order sum of
    the groups of step**j rows not yet flushed up; the top level every group that reached it."""
    count, rest = rows.shape[0], rows.shape[1:]
    step = 1 << max(4, (int(count - 1).bit_length() if count > 1 else 0) // _LEVELS)
    levels, groups = [], rows
    for _ in range(_LEVELS - 1):
        whole = len(groups) // step
        levels.append(_in_order(groups[whole * step:]))
        groups = _in_order(groups[:whole * step].reshape(whole, step, *rest).swapaxes(0, 1))
    total = levels[0]
    for level in (*levels[1:], _in_order(groups)):
        total = total + level
    return total


def cascade_sum(x: np.ndarray) -> np.ndarray:
    """The sum of every element of `x` (see `replayable`), added in PyTorch's order, as a
    0-d array of x's dtype: in memory order, split between the threads past 32768 values."""
    flat = x.ravel(order="K")
    tasks = min(_threads(), math.ceil(flat.size / _GRAIN))
    if tasks <= 1:
        return _chunk_sum(flat)
    chunk = math.ceil(flat.size / tasks)
    total = x.dtype.type(0)
    for start in range(0, flat.size, chunk):
        total = x.dtype.type(total + _chunk_sum(flat[start:start + chunk]))
    return np.asarray(total, dtype=x.dtype)


def _chunk_sum(flat: np.ndarray) -> np.ndarray:
    """One thread's part of a whole sum, as a 0-d array."""
    return _rows_sum(flat[None])[0]


def _rows_sum(data: np.ndarray) -> np.ndarray:
    """The sum of each row of a C-ordered (rows, n) array: PyTorch's vectorized loop (or,
    under a vector's worth, its scalar loop of 4 running sums), every row at once."""
    count, length = data.shape
    lanes = _LANES[data.dtype]
    vectors = length // lanes
    if not vectors:  # PyTorch's scalar loop: 4 running sums, the rest into the first
        rows = length // _ROWS
        partial = (_cascade(np.moveaxis(data[:, :rows * _ROWS].reshape(count, rows, _ROWS), 1,
                                        0)) if rows else np.zeros((count, _ROWS), data.dtype))
        total = partial[:, 0].copy()
        for column in range(rows * _ROWS, length):
            total += data[:, column]
        for column in range(1, _ROWS):
            total += partial[:, column]
        return total
    blocks = vectors // _ROWS
    body = data[:, :vectors * lanes].reshape(count, vectors, lanes)
    partial = (_cascade(np.moveaxis(body[:, :blocks * _ROWS].reshape(
        count, blocks, _ROWS * lanes), 1, 0)) if blocks else
        np.zeros((count, _ROWS * lanes), data.dtype)).reshape(count, _ROWS, lanes)
    first = partial[:, 0].copy()
    for vector in range(blocks * _ROWS, vectors):  # the vectors left over, into the first sums
        first += body[:, vector]
    for vector in range(1, _ROWS):
        first = first + partial[:, vector]
    total = np.zeros(count, data.dtype)
    for column in range(vectors * lanes, length):
        total += data[:, column]
    for lane in range(lanes):
        total += first[:, lane]
    return total


def rows_replayable(x: np.ndarray, axes: tuple[int, ...] | None) -> bool:
    """Whether a sum over `axes` is replayed as PyTorch's inner reduction: the trailing axes
    of a C-ordered float32/float64 array (more than one value each), one thread or at most
    32768 values (past that PyTorch's threads may split a row)."""
    return (axes is not None and x.dtype in _LANES and x.ndim > len(axes) and
            axes == tuple(range(x.ndim - len(axes), x.ndim)) and x.flags.c_contiguous
            and math.prod(x.shape[x.ndim - len(axes):]) > 1 and x.size > 0
            and (x.size <= _GRAIN or _threads() == 1))


def rows_sum(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """The sum over the trailing `axes` (see rows_replayable), each row in PyTorch's order."""
    kept = x.shape[:x.ndim - len(axes)]
    total = _rows_sum(x.reshape(math.prod(kept), -1)).reshape(kept)
    return total.reshape(kept + (1,) * len(axes)) if keepdims else total


def _interleaved(data: np.ndarray) -> np.ndarray:
    """PyTorch's row_sum of each column of (n, columns): 4 running sums over rows 4m + k,
    the rows left over into the first, then added together."""
    count = len(data) // _ROWS
    partial = (_cascade(data[:count * _ROWS].reshape(count, _ROWS, -1)) if count else
               np.zeros((_ROWS,) + data.shape[1:], data.dtype))
    first = partial[0].copy()
    for row in data[count * _ROWS:]:
        first += row
    for row in partial[1:]:
        first += row
    return first


def columns_replayable(x: np.ndarray, axes: tuple[int, ...] | None) -> bool:
    """Whether a sum over `axes` is replayed as PyTorch's outer reduction: the leading axes
    of a C-ordered float32/float64 array, one thread or at most 32768 values."""
    return (axes is not None and x.dtype in _LANES and 0 < len(axes) < x.ndim and
            axes == tuple(range(len(axes))) and x.flags.c_contiguous and x.size > 0
            and (x.size <= _GRAIN or _threads() == 1))


def columns_sum(x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """The sum over the leading `axes` (see columns_replayable) in PyTorch's order: for one
    column a whole sum; else whole vectors of 8 (4) lanes in groups of 4 (fewer than a
    vector's worth of columns: groups of 4 columns) each their own cascade over the rows,
    the other columns `_interleaved`."""
    kept = x.shape[len(axes):]
    data = x.reshape(-1, math.prod(kept))
    if data.shape[1] == 1:
        total = _rows_sum(data.reshape(1, -1))
    else:
        width = data.shape[1]
        lanes = _LANES[x.dtype]
        plain = width - width % (_ROWS * lanes) if width >= lanes else width - width % _ROWS
        total = np.concatenate([_cascade(data[:, :plain]), _interleaved(data[:, plain:])])
    total = total.reshape(kept)
    return total.reshape((1,) * len(axes) + kept) if keepdims else total
