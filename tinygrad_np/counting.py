"""Counting and searching, as PyTorch's (no gradient: the results are integers, bools or
counts): unique, bincount, histc, searchsorted, bucketize, isin, argwhere.

Each is NumPy's function with PyTorch's arguments, result dtypes and edge cases; the Tensor
methods (`x.unique()`, `x.bincount()`, `x.histc()`, `x.argwhere()`) call these.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.dtypes import promoted_operands
from tinygrad_np.errors import DtypeError, TensorError
from tinygrad_np.functional_forms import write_out
from tinygrad_np.ops.masked import NoDerivative
from tinygrad_np.tensor import Tensor, _data, _wrap_dim, number_operand


def _array(value: Any) -> np.ndarray:
    return np.asarray(_data(value))


def _result(array: Any, dtype: Any = None) -> Tensor:
    return Tensor(np.asarray(array, dtype=dtype))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values of `input`, sorted (also when `sorted=False`, as PyTorch on the
    CPU); with `return_inverse` the int64 index of each element's value (input's shape), with
    `return_counts` how often each occurs. Each NaN counts as a value of its own, as in
    PyTorch. With `dim`, the distinct slices along that dim (sorted lexicographically). Not
    differentiable: a gradient reaching the values raises, as PyTorch's."""
    data = _array(input)
    if dim is None:
        values, inverse, counts = np.unique(data.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(data.shape)
    else:
        axis = _unique_axis("unique", data, dim)
        if data.dtype.kind == "f" and np.isnan(data).any():
            values, inverse, counts = _unique_slices_with_nan(data, axis)
        else:
            values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True,
                                                axis=axis)
        inverse = inverse.reshape(-1)
    results = [_result(values)]
    if getattr(input, "requires_grad", False):  # (PyTorch's internal names of the two ops)
        op = "_unique2" if dim is None else "unique_dim"
        results[0] = NoDerivative.apply(results[0]._data, input, op)
    if return_inverse:
        results.append(_result(inverse, np.int64))
    if return_counts:
        results.append(_result(counts, np.int64))
    return results[0] if len(results) == 1 else tuple(results)


def _unique_axis(op: str, data: np.ndarray, dim: int) -> int:
    """`dim` of unique/unique_consecutive as an axis, with PyTorch's refusals: a 0-d input,
    and an empty input unless its one size-0 dim is `dim`."""
    if data.ndim == 0:
        raise IndexError(f"{op}(): Dimension specified as {dim} but tensor has no dimensions")
    axis = _wrap_dim(op, dim, data.ndim)
    empty = [i for i, size in enumerate(data.shape) if size == 0]
    if len(empty) > 1:
        raise RuntimeError(f"{op}(): Number of zero sized dimensions is more than one, so "
                           f"unique cannot be applied (shape {data.shape})")
    if empty and empty[0] != axis:
        raise RuntimeError(f"{op}(): There are 0 sized dimensions, and they aren't selected, so "
                           f"unique cannot be applied (shape {data.shape}, dim {dim})")
    return axis


def _less(a: np.ndarray, b: np.ndarray) -> bool:
    """PyTorch's order of slices: at the first position where one is smaller (a NaN is neither
    smaller nor larger, so it never decides)."""
    decided = (a < b) | (a > b)
    return bool(decided.any() and (a < b)[decided.argmax()])


def _sorted_order(rows: np.ndarray) -> list[int]:
    """The order std::sort gives `rows` under `_less`: by insertion up to 16 rows (where its
    order is defined even with NaN's ties); a stable sort beyond."""
    if len(rows) > 16:
        key = functools.cmp_to_key(lambda i, j: -1 if _less(rows[i], rows[j]) else 0)
        return sorted(range(len(rows)), key=key)
    order: list[int] = []
    for i in range(len(rows)):
        if order and _less(rows[i], rows[order[0]]):
            order.insert(0, i)
            continue
        place = len(order)
        while place > 0 and _less(rows[i], rows[order[place - 1]]):
            place -= 1
        order.insert(place, i)
    return order


def _unique_slices_with_nan(data: np.ndarray, axis: int) -> tuple:
    """unique(dim=axis) of slices holding NaN, as PyTorch's: sorted by `_sorted_order`, a
    slice with a NaN equal to no other (NaN != NaN)."""
    rows = np.moveaxis(data, axis, 0).reshape(data.shape[axis], -1)
    order = np.array(_sorted_order(rows), dtype=np.int64)
    ordered = rows[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(1)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = group
    kept = np.moveaxis(data, axis, 0)[order[new]]
    return np.moveaxis(kept, 0, axis), inverse, np.bincount(group)


def bincount(input: Tensor, weights: Any = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value 0, 1, ..., max occurs in the 1-D non-negative integer `input`
    (at least `minlength` bins); int64, or the sums of `weights` per bin (float32 weights
    stay float32, any other dtype gives float64, as PyTorch)."""
    data = _array(input)
    if weights is not None:
        number_operand("bincount", weights, "weights")
    if data.dtype == np.bool_ or data.dtype.kind not in "iu":  # (PyTorch: NotImplementedError)
        raise DtypeError(f"bincount: not implemented for {data.dtype} tensors (as PyTorch); "
                         f"convert with .long() first")
    if data.ndim != 1 or data.dtype.kind not in "iu":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got "
                           f"{data.dtype} of shape {data.shape}")
    if data.size and data.min() < 0:
        raise RuntimeError("bincount: input must be non-negative")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is None or data.size == 0:  # PyTorch: int64 zeros for no input, weights or not
        return _result(np.bincount(data, minlength=minlength), np.int64)
    weight_tensor, weights = weights, _array(weights)
    if weights.shape != data.shape:
        raise RuntimeError(f"bincount: weights shape {weights.shape} must match the input's "
                           f"{data.shape}")
    dtype = np.float32 if weights.dtype == np.float32 else np.float64
    result = _result(np.bincount(data, weights.astype(np.float64), minlength), dtype)
    return no_derivative_of(result, "bincount", weight_tensor)


def no_derivative_of(result: Tensor, op: str, *inputs: Any) -> Tensor:
    """`result`, in the graph of the first of `inputs` that requires grad (as PyTorch marks
    it) so that a backward through it raises PyTorch's error naming `op`; else as it is."""
    source = next((x for x in inputs if getattr(x, "requires_grad", False)), None)
    return result if source is None else NoDerivative.apply(result._data, source, op)


@xp.quiet
def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """A histogram of `bins` equal-width bins over [min, max] (the data's range when both are
    equal; that range widened by 1 on both sides when all values are equal), in the input's
    float dtype; values outside are ignored, a value equal to max goes to the last bin. The
    bin arithmetic is PyTorch's, in the input's dtype, so float32 edge values land alike."""
    data = _array(input)
    if data.dtype.kind != "f":
        raise DtypeError(f"histc: not implemented for {data.dtype} (a floating-point input "
                         "only, as PyTorch)")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    low, high = data.dtype.type(min), data.dtype.type(max)
    if low > high:
        raise RuntimeError("histc: max must be larger than min")
    if low == high and data.size:
        low, high = data.min(), data.max()
    if low == high:
        low, high = low - 1, high + 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"histc: range of [{low}, {high}] is not finite")
    inside = data[(data >= low) & (data <= high)]
    with np.errstate(over="ignore", invalid="ignore"):  # a range past the dtype's: inf
        span = high - low
        scaled = (inside - low) * data.dtype.type(bins) / span
    if span == 0:  # widening by 1 did not move 1e30: one bin in the middle, as PyTorch
        positions = np.full(inside.shape, bins // 2, dtype=np.int64)
    else:  # where the dtype's arithmetic overflowed (float16 * bins): in float64 instead
        wide = (inside.astype(np.float64) - float(low)) * bins / (float(high) - float(low))
        positions = np.where(np.isfinite(scaled), scaled, wide).astype(np.int64)
    positions = np.minimum(positions, bins - 1)  # the right edge belongs to the last bin
    return _result(np.bincount(positions, minlength=bins), data.dtype)


def _checked_out(op: str, out: Any, out_int32: bool) -> None:
    """searchsorted's and bucketize's `out=` must have the result's dtype, as PyTorch."""
    wanted = np.int32 if out_int32 else np.int64
    if isinstance(out, Tensor) and out.dtype != wanted:
        raise TensorError(f"{op}(): out has dtype {out.dtype.name}, but the result is "
                        f"{np.dtype(wanted)} (int32 with out_int32=True, int64 otherwise)")


def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False,  # noqa: A002
                 right: bool = False, side: str | None = None, sorter: Any = None,
                 out: Tensor | None = None) -> Tensor:
    """For each value of `input` the index where it would be inserted into
    `sorted_sequence` (1-D, or N-D searched row by row with input's matching leading dims) to
    keep it sorted: before equal values (`side='left'`), after them (`right=True` or
    `side='right'`). int64 (int32 with `out_int32`); a number gives a 0-d tensor. `out=`
    (of that dtype) receives the result."""
    _checked_out("searchsorted", out, out_int32)
    return write_out("searchsorted", out, _searched(sorted_sequence, input, out_int32, right,
                                                    side, sorter))


def _searched(sorted_sequence: Any, input: Any, out_int32: bool,  # noqa: A002
              right: bool, side: str | None, sorter: Any) -> Tensor:
    if side not in (None, "left", "right"):
        raise RuntimeError(f"searchsorted: side can only be 'left' or 'right', got {side!r}")
    if side == "left" and right:
        raise RuntimeError("searchsorted: side and right can't be set to opposites, got side "
                           "of left while right was True")
    side = side or ("right" if right else "left")
    boundaries, values = _array(sorted_sequence), _array(input)
    if boundaries.ndim == 0:  # (NumPy would search a 0-d array as one value)
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should have positive "
                           f"dimension, but got 0 dimension (input of shape {values.shape})")
    if boundaries.dtype.kind == "b" and boundaries.size and values.size:
        raise DtypeError("searchsorted: not implemented for a bool sorted_sequence (as "
                         "PyTorch); convert it with .long() first")
    if sorter is not None:
        boundaries = _sorted_by(boundaries, _array(sorter))
    dtype = np.int32 if out_int32 else np.int64
    if boundaries.ndim > 1 and values.shape[:-1] != boundaries.shape[:-1]:
        raise RuntimeError(f"searchsorted: boundaries {boundaries.shape} and input "
                           f"{values.shape} must have the same leading dimensions")
    if boundaries.dtype.kind == "f" and np.isnan(boundaries).any():
        return _result(_bisected(boundaries, values, side == "right"), dtype)
    if boundaries.ndim <= 1:
        return _result(np.searchsorted(boundaries.reshape(-1), values, side=side), dtype)
    rows = [np.searchsorted(row, part, side=side) for row, part in zip(
        boundaries.reshape(-1, boundaries.shape[-1]), values.reshape(-1, values.shape[-1]))]
    return _result(np.reshape(rows, values.shape), dtype)


def _sorted_by(boundaries: np.ndarray, sorter: np.ndarray) -> np.ndarray:
    """`boundaries` in the order `sorter` gives, checked as PyTorch checks it."""
    if sorter.dtype != np.int64:
        raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but got "
                           f"dtype {sorter.dtype.name}")
    if sorter.shape != boundaries.shape:
        raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, "
                           f"but got boundary tensor {list(boundaries.shape)} and got sorter "
                           f"tensor {list(sorter.shape)}")
    if sorter.size and (sorter.min() < 0 or sorter.max() >= boundaries.shape[-1]):
        raise RuntimeError(f"torch.searchsorted(): sorter index out of range (sorter values must "
                           f"be in [0, {boundaries.shape[-1]}))")
    return np.take_along_axis(boundaries, sorter, axis=-1)


def _bisected(boundaries: np.ndarray, values: np.ndarray, right: bool) -> np.ndarray:
    """PyTorch's binary search, for boundaries holding NaN (NumPy's takes NaN as the largest
    value; PyTorch's comparisons with NaN are all false, so 5 goes after [1, 2, nan]): the
    first i with boundaries[i] >= value (> with `right`), searched as PyTorch does."""
    rows = boundaries.reshape(-1, boundaries.shape[-1]) if boundaries.ndim > 1 else \
        boundaries.reshape(1, -1)
    wanted = np.asarray(values).reshape(len(rows), -1)
    start = np.zeros(wanted.shape, dtype=np.int64)
    end = np.full(wanted.shape, rows.shape[-1], dtype=np.int64)
    while (start < end).any():
        middle = start + (end - start) // 2
        found = np.take_along_axis(rows, np.minimum(middle, rows.shape[-1] - 1), axis=-1)
        after = ~(found > wanted) if right else ~(found >= wanted)
        active = start < end
        start = np.where(active & after, middle + 1, start)
        end = np.where(active & ~after, middle, end)
    return start.reshape(np.shape(values))


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,  # noqa: A002
              right: bool = False, out: Tensor | None = None) -> Tensor:
    """The bucket of each value given the sorted 1-D `boundaries`: i with
    boundaries[i-1] < x <= boundaries[i] (`right=True`: boundaries[i-1] <= x < boundaries[i]).
    int64 (int32 with `out_int32`), input's shape; a number gives a 0-d tensor. `out=` (of
    that dtype) receives the result."""
    _checked_out("bucketize", out, out_int32)
    boundaries = _array(number_operand("bucketize", boundaries, "boundaries"))
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return write_out("bucketize", out, _searched(boundaries, input, out_int32, right, None,
                                                 None))


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """A bool tensor of `elements`' shape: True where the element occurs in `test_elements`
    (False where it does not, with `invert`). Either may be a number."""
    if any(value is None or isinstance(value, (str, bytes)) for value in (elements, test_elements)):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__})")
    first, second, _ = promoted_operands(_array(elements), _array(test_elements))
    if first.dtype.kind == "b" or second.dtype.kind == "b":  # (either one: PyTorch's error)
        raise TensorError("Unsupported input type encountered for isin(): Bool (as PyTorch); "
                          "convert with .long() first")
    return _result(np.isin(first, second, assume_unique=assume_unique, invert=invert))  # (both
    # in PyTorch's result dtype first: int32 2049 is in float16 [2048.])


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """The indices of the nonzero elements, (count, ndim) int64: `input.nonzero()`."""
    return input.nonzero()
