"""Which of several equal elements PyTorch's CPU `topk` and `mode` name.

PyTorch leaves (value, index) pairs wherever libstdc++'s `nth_element`, `partial_sort` and
`sort` put them, so among equal values its index is neither the first nor the last in input
order. The index decides which element gets the gradient, so the routines are replayed here
on a list, step for step (introselect / introsort with a median-of-three pivot, a heap past
the depth limit, insertion sort for short runs). They run only for slices with a tie; where
the answer is unique NumPy's vectorised one is kept. The replays compare integer keys, each
value's rank in the slice (NaN, equal to NaN, above every number), so that every comparator
PyTorch uses is one `<` of the keys (`key(x) < key(y)`, x.value before y.value).
"""

from __future__ import annotations

import numpy as np

Pair = tuple[int, int]  # (key, index in the slice)
_RUN = 16  # libstdc++'s _S_threshold: shorter runs are left to insertion sort
_BLOCK = 256  # the values _heap_select filters with NumPy at a time
# The replays are Python loops (~0.5 s per million values): past this many values in tied
# slices a call keeps the stable sort's choice (first in input order) instead.
LIMIT = 1 << 16


def affordable(slices: int, length: int) -> bool:
    """Whether replaying `slices` tied slices of `length` values stays within LIMIT."""
    return slices * length <= LIMIT


SMALL_KTH, SHORT_SLICE = 1024, 8  # ((8, 8) along a dim: 3 us sorted, 20 us partitioned)


def stable_kth(data: np.ndarray, axis: int, k: int) -> np.ndarray:
    """np.take(np.argsort(data, axis, kind="stable"), [k], axis) (NaN last) without sorting:
    np.argpartition names the k-th value v; with b elements below it, the answer is the
    (k - b)-th element equal to v (NaN equal to NaN, -0.0 to 0.0) in the slice's order,
    which a running count finds. (A stable sort of (64, 100, 128) along 1 takes 18 ms, this
    4; slices with ties, integers, cost no more.) Below SMALL_KTH elements, or along slices
    of SHORT_SLICE or fewer, the stable sort is faster (this costs ~15 us to set up)."""
    if data.size < SMALL_KTH or data.shape[axis] <= SHORT_SLICE:
        return np.take(np.argsort(data, axis=axis, kind="stable"), [k], axis=axis)
    picked = np.take(np.argpartition(data, k, axis=axis), [k], axis=axis)
    value = np.take_along_axis(data, picked, axis)
    if data.dtype.kind == "c":  # (NumPy's order of complex numbers: sort them)
        return np.take(np.argsort(data, axis=axis, kind="stable"), [k], axis=axis)
    same = data == value
    nan = at_nan = None
    if data.dtype.kind == "f":  # NaNs sort last, as one value
        nan, at_nan = data != data, value != value
        same |= nan & at_nan
    if not (np.count_nonzero(same, axis=axis) > 1).any():  # no ties: v's only place
        return picked
    below = data < value if nan is None else (data < value) | (~nan & at_nan)
    rank = k - np.count_nonzero(below, axis=axis, keepdims=True)
    return np.argmax(np.cumsum(same, axis=axis) > rank, axis=axis, keepdims=True)


def ranks(row: np.ndarray) -> np.ndarray:
    """Each value's rank among the distinct values of `row` (NaNs one value, the largest;
    -0.0 equal to 0.0): PyTorch's comparisons of the values as comparisons of the ranks."""
    return np.unique(row, return_inverse=True)[1].reshape(row.shape)


def topk_ties(data: np.ndarray, axis: int, picked: np.ndarray, largest: bool) -> np.ndarray:
    """`picked` (the k indices a stable sort gives, kept along `axis`) with each slice whose
    choice or order is ambiguous (two equal values among the k, or the k-th equal to one
    left out; NaN equals NaN) replaced by PyTorch's: the same k, in the same order."""
    rows, chosen = np.moveaxis(data, axis, -1), np.moveaxis(picked, axis, -1)
    k = chosen.shape[-1]
    if k == 0 or rows.size == 0:
        return picked
    values = np.take_along_axis(rows, chosen, -1)
    inside = _same(values[..., 1:], values[..., :-1]).any(-1)
    last = values[..., -1:]
    outside = (_same if np.isnan(last).any() else np.equal)(rows, last)  # (NaN: rarely)
    border = outside.sum(-1) > _same(values, last).sum(-1)
    tied = inside | border
    if not tied.any() or not affordable(int(tied.sum()), rows.shape[-1]):
        return picked
    chosen = chosen.copy()
    for position in map(tuple, np.argwhere(tied)):  # (a 0-d `tied`: the one slice)
        keys = ranks(rows[position])  # largest: NaN first, then descending (negated ranks)
        chosen[position] = topk_order((-keys if largest else keys).tolist(), k)
    return np.moveaxis(chosen, -1, axis)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a == b elementwise, with NaN equal to NaN."""
    return (a == b) | ((a != a) & (b != b))


def topk_order(keys: list[int], k: int) -> list[int]:
    """The k indices PyTorch's CPU topk returns for a row of these keys (sorted=True, the
    smallest keys first): `partial_sort` when k * 64 <= len(keys), else `nth_element` at
    k - 1 and `sort` of the k - 1 before it."""
    pairs = list(zip(keys, range(len(keys))))
    if k * 64 <= len(pairs):
        _partial_sort(pairs, 0, k, len(pairs), np.asarray(keys))
    else:
        _nth_element(pairs, k - 1)
        _sort(pairs, 0, k - 1)
    return [index for _, index in pairs[:k]]


def mode_index(keys: list[int], key: int) -> int:
    """The index PyTorch's CPU mode names for the value of rank `key` (the mode of a NaN-free
    row of these keys): the last of its run after libstdc++'s `sort` of the (value, index)
    pairs."""
    pairs = list(zip(keys, range(len(keys))))
    _sort(pairs, 0, len(pairs))
    return [index for entry, index in pairs if entry == key][-1]


def nan_mode_index(row: list[float]) -> int | None:
    """The index PyTorch's CPU mode names for a row holding NaN: libstdc++'s `sort` of the
    (value, index) pairs compares the values themselves (a NaN neither below nor above
    anything, so where the NaNs stand decides the order), then the last index of the first
    longest run of equal values (each NaN a run of its own). None where the unguarded
    insertion would step past the row's start (undefined in C++)."""
    pairs = list(zip(row, range(len(row))))
    try:
        _sort(pairs, 0, len(pairs))
    except IndexError:
        return None
    best, longest, run = 0, 0, 0
    for position, (value, index) in enumerate(pairs):
        run += 1
        if position == len(pairs) - 1 or value != pairs[position + 1][0]:
            if run > longest:
                best, longest = index, run
            run = 0
    return best


def all_equal_nth(length: int) -> int:
    """The index libstdc++'s `nth_element(first, first, last)` leaves at the front of
    0..length-1 when no element is less than another (PyTorch's nanmedian of all NaNs)."""
    if not affordable(1, length):
        return 0
    pairs = [(0, index) for index in range(length)]
    _nth_element(pairs, 0)
    return pairs[0][1]


def _depth(length: int) -> int:
    return 2 * (length.bit_length() - 1)  # 2 * floor(log2(length))


def _nth_element(a: list, nth: int) -> None:
    first, last, depth = 0, len(a), _depth(len(a))
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition(a, first, last)
        first, last = (cut, last) if cut <= nth else (first, cut)
    _insertion_sort(a, first, last)


def _sort(a: list, first: int, last: int) -> None:
    if last - first < 2:
        return
    _introsort(a, first, last, _depth(last - first))
    if last - first > _RUN:
        _insertion_sort(a, first, first + _RUN)
        for i in range(first + _RUN, last):
            _linear_insert(a, i)
    else:
        _insertion_sort(a, first, last)


def _introsort(a: list, first: int, last: int, depth: int) -> None:
    while last - first > _RUN:
        if depth == 0:
            _partial_sort(a, first, last, last)
            return
        depth -= 1
        cut = _partition(a, first, last)
        _introsort(a, cut, last, depth)
        last = cut


def _partition(a: list, first: int, last: int) -> int:
    """The median of a[first + 1], the middle and a[last - 1] moved to a[first] as pivot,
    then Hoare's unguarded partition of the rest; returns the cut."""
    x, y, z = first + 1, first + (last - first) // 2, last - 1
    kx, ky, kz = a[x][0], a[y][0], a[z][0]
    if kx < ky:
        median = y if ky < kz else z if kx < kz else x
    else:
        median = x if kx < kz else z if ky < kz else y
    a[first], a[median] = a[median], a[first]
    low, high, pivot = first + 1, last, a[first][0]
    while True:
        while a[low][0] < pivot:
            low += 1
        high -= 1
        while pivot < a[high][0]:
            high -= 1
        if low >= high:
            return low
        a[low], a[high] = a[high], a[low]
        low += 1


def _insertion_sort(a: list, first: int, last: int) -> None:
    for i in range(first + 1, last):
        if a[i][0] < a[first][0]:
            a[first:i + 1] = [a[i]] + a[first:i]
        else:
            _linear_insert(a, i)


def _linear_insert(a: list, last: int) -> None:
    value = a[last]
    key = value[0]
    while key < a[last - 1][0]:
        a[last] = a[last - 1]
        last -= 1
    a[last] = value


def _partial_sort(a: list, first: int, middle: int, last: int,
                  keys: np.ndarray | None = None) -> None:
    _heap_select(a, first, middle, last, keys)
    while middle - first > 1:  # sort_heap
        middle -= 1
        value, a[middle] = a[middle], a[first]
        _adjust_heap(a, first, 0, middle - first, value)


def _heap_select(a: list, first: int, middle: int, last: int,
                 keys: np.ndarray | None = None) -> None:
    """libstdc++'s __heap_select. `keys`: a[first:last]'s keys still in their places (an
    untouched row), so that the values the heap's top (which only decreases) keeps out are
    skipped in blocks by NumPy, without a Python step each."""
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():  # make_heap
        _adjust_heap(a, first, parent, length, a[first + parent])
    top = a[first][0]
    for start in range(middle, last, _BLOCK):
        stop = min(start + _BLOCK, last)
        for i in range(start, stop) if keys is None else (
                start + np.flatnonzero(keys[start - first:stop - first] < top)).tolist():
            if a[i][0] < top:
                value, a[i] = a[i], a[first]
                _adjust_heap(a, first, 0, length, value)
                top = a[first][0]


def _adjust_heap(a: list, first: int, hole: int, length: int, value: Pair) -> None:
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if a[first + child][0] < a[first + child - 1][0]:
            child -= 1
        a[first + hole], hole = a[first + child], child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole], hole = a[first + child - 1], child - 1
    parent = (hole - 1) // 2
    key = value[0]
    while hole > top and a[first + parent][0] < key:
        a[first + hole], hole = a[first + parent], parent
        parent = (hole - 1) // 2
    a[first + hole] = value
