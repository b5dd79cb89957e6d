"""Which of several equal elements PyTorch's CPU `topk` and `mode` name.

PyTorch leaves (value, index) pairs wherever libstdc++'s `nth_element`, `partial_sort` and
`sort` put them, so among equal values its index is neither the first nor the last in input
order. The index decides which element gets the gradient, so the routines are replayed here
on a list, step for step (introselect / introsort with a median-of-three pivot, a heap past
the depth limit, insertion sort for short runs). They run only for slices with a tie; where
the answer is unique NumPy's vectorised one is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Pair = tuple[Any, int]
Less = Callable[[Pair, Pair], bool]
_RUN = 16  # libstdc++'s _S_threshold: shorter runs are left to insertion sort
# The replays are Python loops (~1 s per million values): past this many values in tied
# slices a call keeps the stable sort's choice (first in input order) instead.
LIMIT = 1 << 16


def affordable(slices: int, length: int) -> bool:
    """Whether replaying `slices` tied slices of `length` values stays within LIMIT."""
    return slices * length <= LIMIT


def _nan_last(x: Pair, y: Pair) -> bool:
    """x before y in ascending order, NaN the largest (PyTorch's topk(largest=False))."""
    return (x[0] == x[0] and y[0] != y[0]) or x[0] < y[0]


def _nan_first(x: Pair, y: Pair) -> bool:
    """x before y in descending order, NaN the largest (PyTorch's topk(largest=True))."""
    return (x[0] != x[0] and y[0] == y[0]) or x[0] > y[0]


def _plain(x: Pair, y: Pair) -> bool:
    """x.value < y.value (PyTorch's mode: NaN-free rows only, NaN breaks the ordering)."""
    return x[0] < y[0]


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
    less = _nan_first if largest else _nan_last
    for position in map(tuple, np.argwhere(tied)):  # (a 0-d `tied`: the one slice)
        chosen[position] = topk_order(rows[position].tolist(), k, less)
    return np.moveaxis(chosen, -1, axis)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a == b elementwise, with NaN equal to NaN."""
    return (a == b) | ((a != a) & (b != b))


def topk_order(row: list, k: int, less: Less) -> list[int]:
    """The k indices PyTorch's CPU topk returns for `row` (sorted=True): `partial_sort` when
    k * 64 <= len(row), else `nth_element` at k - 1 and `sort` of the k - 1 before it."""
    pairs = [(value, index) for index, value in enumerate(row)]
    if k * 64 <= len(pairs):
        _partial_sort(pairs, 0, k, len(pairs), less)
    else:
        _nth_element(pairs, k - 1, less)
        _sort(pairs, 0, k - 1, less)
    return [index for _, index in pairs[:k]]


def mode_index(row: list, value: Any) -> int:
    """The index PyTorch's CPU mode names for `value` (the mode of the NaN-free `row`): the
    last of its run after libstdc++'s `sort` of the (value, index) pairs."""
    pairs = [(entry, index) for index, entry in enumerate(row)]
    _sort(pairs, 0, len(pairs), _plain)
    return [index for entry, index in pairs if entry == value][-1]


def all_equal_nth(length: int) -> int:
    """The index libstdc++'s `nth_element(first, first, last)` leaves at the front of
    0..length-1 when no element is less than another (PyTorch's nanmedian of all NaNs)."""
    if not affordable(1, length):
        return 0
    order = list(range(length))
    _nth_element(order, 0, lambda x, y: False)
    return order[0]


def _depth(length: int) -> int:
    return 2 * (length.bit_length() - 1)  # 2 * floor(log2(length))


def _nth_element(a: list, nth: int, less: Less) -> None:
    first, last, depth = 0, len(a), _depth(len(a))
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, less)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition(a, first, last, less)
        first, last = (cut, last) if cut <= nth else (first, cut)
    _insertion_sort(a, first, last, less)


def _sort(a: list, first: int, last: int, less: Less) -> None:
    if last - first < 2:
        return
    _introsort(a, first, last, _depth(last - first), less)
    if last - first > _RUN:
        _insertion_sort(a, first, first + _RUN, less)
        for i in range(first + _RUN, last):
            _linear_insert(a, i, less)
    else:
        _insertion_sort(a, first, last, less)


def _introsort(a: list, first: int, last: int, depth: int, less: Less) -> None:
    while last - first > _RUN:
        if depth == 0:
            _partial_sort(a, first, last, last, less)
            return
        depth -= 1
        cut = _partition(a, first, last, less)
        _introsort(a, cut, last, depth, less)
        last = cut


def _partition(a: list, first: int, last: int, less: Less) -> int:
    """The median of a[first + 1], the middle and a[last - 1] moved to a[first] as pivot,
    then Hoare's unguarded partition of the rest; returns the cut."""
    x, y, z = first + 1, first + (last - first) // 2, last - 1
    if less(a[x], a[y]):
        median = y if less(a[y], a[z]) else z if less(a[x], a[z]) else x
    else:
        median = x if less(a[x], a[z]) else z if less(a[y], a[z]) else y
    a[first], a[median] = a[median], a[first]
    low, high, pivot = first + 1, last, a[first]
    while True:
        while less(a[low], pivot):
            low += 1
        high -= 1
        while less(pivot, a[high]):
            high -= 1
        if low >= high:
            return low
        a[low], a[high] = a[high], a[low]
        low += 1


def _insertion_sort(a: list, first: int, last: int, less: Less) -> None:
    for i in range(first + 1, last):
        if less(a[i], a[first]):
            a[first:i + 1] = [a[i]] + a[first:i]
        else:
            _linear_insert(a, i, less)


def _linear_insert(a: list, last: int, less: Less) -> None:
    value = a[last]
    while less(value, a[last - 1]):
        a[last] = a[last - 1]
        last -= 1
    a[last] = value


def _partial_sort(a: list, first: int, middle: int, last: int, less: Less) -> None:
    _heap_select(a, first, middle, last, less)
    while middle - first > 1:  # sort_heap
        middle -= 1
        value, a[middle] = a[middle], a[first]
        _adjust_heap(a, first, 0, middle - first, value, less)


def _heap_select(a: list, first: int, middle: int, last: int, less: Less) -> None:
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length >= 2 else ():  # make_heap
        _adjust_heap(a, first, parent, length, a[first + parent], less)
    for i in range(middle, last):
        if less(a[i], a[first]):
            value, a[i] = a[i], a[first]
            _adjust_heap(a, first, 0, length, value, less)


def _adjust_heap(a: list, first: int, hole: int, length: int, value: Pair, less: Less) -> None:
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(a[first + child], a[first + child - 1]):
            child -= 1
        a[first + hole], hole = a[first + child], child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole], hole = a[first + child - 1], child - 1
    parent = (hole - 1) // 2
    while hole > top and less(a[first + parent], value):
        a[first + hole], hole = a[first + parent], parent
        parent = (hole - 1) // 2
    a[first + hole] = value
