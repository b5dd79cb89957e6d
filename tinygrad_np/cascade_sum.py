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

from tinygrad_np.settings import get_num_threads

_LANES = {np.dtype(np.float32): 8, np.dtype(np.float64): 4}  # (AVX2's and the default
_ROWS = 4  # vectors summed side by side                       # build's 256-bit vectors)
_LEVELS = 4
_GRAIN = 32768  # PyTorch's grain size: past it the threads split the work


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
    """PyTorch's multi_row_sum: one running sum per column of `rows`, through the levels.
    Level j holds the in-order sum of the groups of step**j rows not yet flushed up; the top
    level every group that reached it."""
    count, width = rows.shape
    step = 1 << max(4, (int(count - 1).bit_length() if count > 1 else 0) // _LEVELS)
    levels, groups = [], rows
    for _ in range(_LEVELS - 1):
        whole = len(groups) // step
        levels.append(_in_order(groups[whole * step:]))
        groups = _in_order(groups[:whole * step].reshape(whole, step, width).swapaxes(0, 1))
    total = levels[0]
    for level in (*levels[1:], _in_order(groups)):
        total = total + level
    return total


def cascade_sum(x: np.ndarray) -> np.ndarray:
    """The sum of every element of `x` (see `replayable`), added in PyTorch's order, as a
    0-d array of x's dtype: in memory order, split between the threads past 32768 values."""
    flat = x.ravel(order="K")
    tasks = min(get_num_threads(), math.ceil(flat.size / _GRAIN))
    if tasks <= 1:
        return _chunk_sum(flat)
    chunk = math.ceil(flat.size / tasks)
    total = x.dtype.type(0)
    for start in range(0, flat.size, chunk):
        total = x.dtype.type(total + _chunk_sum(flat[start:start + chunk]))
    return np.asarray(total, dtype=x.dtype)


def _chunk_sum(flat: np.ndarray) -> np.ndarray:
    """One thread's part: PyTorch's vectorized (or, under a vector's worth, scalar) sum."""
    kind = flat.dtype.type
    lanes = _LANES[flat.dtype]
    vectors = flat.size // lanes
    if not vectors:  # PyTorch's scalar loop: 4 running sums
        rows = flat.size // _ROWS
        partial = _cascade(flat[:rows * _ROWS].reshape(rows, _ROWS)) if rows else \
            np.zeros(_ROWS, flat.dtype)
        first = partial[0]
        for value in flat[rows * _ROWS:]:
            first = kind(first + value)
        total = first
        for value in partial[1:]:
            total = kind(total + value)
        return np.asarray(total, dtype=flat.dtype)
    blocks = vectors // _ROWS
    body = flat[:vectors * lanes].reshape(vectors, lanes)
    partial = (_cascade(body[:blocks * _ROWS].reshape(blocks, _ROWS * lanes)) if blocks else
               np.zeros(_ROWS * lanes, flat.dtype)).reshape(_ROWS, lanes)
    first = partial[0].copy()
    for row in body[blocks * _ROWS:]:  # the vectors left over, into the first running sums
        first += row
    for vector in partial[1:]:
        first = first + vector
    total = kind(0)
    for value in flat[vectors * lanes:]:
        total = kind(total + value)
    for value in first:
        total = kind(total + value)
    return np.asarray(total, dtype=flat.dtype)
