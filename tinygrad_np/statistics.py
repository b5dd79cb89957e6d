"""PyTorch's differentiable statistics and differences built from the recorded ops:
kthvalue, quantile/nanquantile, nansum/nanmean, diff, cross, logcumsumexp.

All but logcumsumexp are compositions (sort, gather, masked_fill, sum, narrow, cat, lerp),
so their gradients, and gradients of gradients, come from those ops' rules: the gradient of
a picked value goes to the element it was picked from, a quantile between two elements
shares it by the interpolation weights, a NaN ignored by nansum gets 0. logcumsumexp is its
own op (ops/scan.py), stable at +-1000. The Tensor methods call these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import cpu_order, return_types
from tinygrad_np.errors import DtypeError, IndexOutOfBounds, TensorError
from tinygrad_np.join import cat
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.scan import LogCumSumExp
from tinygrad_np.tensor import (
    Axis,
    Tensor,
    _axis_of,
    _broadcast_shape,
    _data,
    _node_named,
    _wrap_dim,
    _wrap_dims,
    int_value,
    number_operand,
    refuse_bool,
)

# As torch.return_types.kthvalue: a (values, indices) named tuple.
KthValue = return_types.kthvalue
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _tied_kth(data: np.ndarray, axis: int, k: int, index: np.ndarray) -> np.ndarray:
    """`index` (the k-th of a stable sort, kept along `axis`) with each slice whose k-th value
    is tied (NaN ties NaN) re-picked by PyTorch's quickselect, so the same element is named
    and gets the gradient. Slices without a tie keep the sort's (the only) answer."""
    kth = np.take_along_axis(data, index, axis)
    same = (data == kth) | ((data != data) & (kth != kth))
    tied = np.moveaxis(same.sum(axis, keepdims=True) > 1, axis, -1)[..., 0]
    if not tied.any() or not cpu_order.affordable(int(tied.sum()), data.shape[axis]):
        return index
    rows, picks = np.moveaxis(data, axis, -1), np.moveaxis(index, axis, -1).copy()
    for position in map(tuple, np.argwhere(tied)):  # (a 0-d `tied`: the one slice)
        picks[position + (0,)] = _quickselect(cpu_order.ranks(rows[position]).tolist(), k)
    return np.moveaxis(picks, -1, axis)


def _quickselect(keys: list[int], k: int) -> int:
    """The original position of the k-th (from 0) smallest of a row as PyTorch's CPU kthvalue
    finds it: median-of-three quickselect (on the values' ranks, `cpu_order.ranks`: NaN the
    largest), swapping values and positions together (its choice among equal values is this
    walk's, not input order)."""
    a, low, high = list(zip(keys, range(len(keys)))), 0, len(keys) - 1
    while high > low:
        if high == low + 1:
            if a[low][0] > a[high][0]:
                a[low], a[high] = a[high], a[low]
            break
        middle = low + (high - low) // 2  # the median of three becomes the pivot
        a[middle], a[low + 1] = a[low + 1], a[middle]
        for i, j in ((low + 1, high), (low, high), (low + 1, low)):
            if a[i][0] > a[j][0]:
                a[i], a[j] = a[j], a[i]
        i, j, pivot = low + 1, high, a[low][0]
        while True:
            i += 1
            while pivot > a[i][0]:
                i += 1
            j -= 1
            while a[j][0] > pivot:
                j -= 1
            if j < i:
                break
            a[i], a[j] = a[j], a[i]
        a[low], a[j] = a[j], a[low]
        low, high = (i if j <= k else low), (j - 1 if j >= k else high)
    return a[k][1]


def _tensor(value: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=None if like is None else like.dtype))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:  # noqa: A002
    """(values, indices) of the k-th smallest element (k from 1) along `dim`; NaN counts as
    the largest value. The gradient goes to the picked element. Where several elements equal
    the k-th value, the index is the one PyTorch's CPU quickselect names."""
    k = int_value("kthvalue", "k", k)
    axis = _wrap_dim("kthvalue", dim, input.ndim)
    size = input.shape[axis] if input.ndim else 1
    if not size:  # PyTorch: an IndexError for an empty dim
        raise IndexOutOfBounds(f"kthvalue(): expected reduction dim {dim} to have non-zero size")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension "
                           f"{dim} of size {size}")
    if input.ndim == 0:  # (a bool too: PyTorch runs no kernel)
        return KthValue(input.reshape(()), Tensor(np.asarray(0, dtype=np.int64)))
    refuse_bool("kthvalue", input)
    index = _tied_kth(input._data, axis, k - 1, cpu_order.stable_kth(input._data, axis, k - 1))
    values = input._gather(axis, index)
    if not keepdim:
        values, index = values.squeeze(axis), np.squeeze(index, axis)
    return KthValue(values, Tensor(index.astype(np.int64)))


def _quantile(op: str, input: Tensor, q: Any, dim: int | None, keepdim: bool,  # noqa: A002
              interpolation: str, ignore_nan: bool) -> Tensor:
    """PyTorch's algorithm: sort, rank = q (n - 1) with n the (non-NaN) count, then lerp
    between the values at floor(rank) and ceil(rank); a NaN in the slice (for quantile) or
    an all-NaN slice (nanquantile) gives NaN."""
    if input.dtype not in (np.float32, np.float64):  # (float16 too, as PyTorch)
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got "
                           f"{input.dtype.name}")
    if isinstance(q, Tensor) and q.dtype != input.dtype:
        raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor, got "
                           f"{q.dtype.name} and {input.dtype.name}")
    if interpolation not in _INTERPOLATIONS:
        raise TensorError(f"{op}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. "
                          f"Got '{interpolation}'")
    qs = np.asarray(_data(q), dtype=input.dtype)
    if qs.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape {qs.shape}")
    if np.any((qs < 0) | (qs > 1)) or np.isnan(qs).any():
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if dim is None:
        source, kept = input.reshape(-1), (1,) * input.ndim
    else:
        axis = _wrap_dim(op, dim, input.ndim)
        source = input.reshape(1) if input.ndim == 0 else input.movedim(axis, -1)
        kept = tuple(1 if i == axis else s for i, s in enumerate(input.shape))
    ordered = source.sort(-1).values  # NaN last
    nans = np.isnan(ordered._data)
    last = ordered.shape[-1] - 1
    count = (~nans).sum(-1, keepdims=True) if ignore_nan else ordered.shape[-1]
    scale = (np.asarray(count) - 1).astype(input.dtype)
    ranks = qs.reshape(-1) * scale
    # An all-NaN slice (nanquantile) reads its first sorted NaN, which then takes the
    # gradient (PyTorch's choice); a NaN in a slice (quantile) reads the last, a NaN.
    replaced = ranks < 0 if ignore_nan else nans.any(-1, keepdims=True)
    ranks = np.where(replaced, 0 if ignore_nan else last, ranks)
    ranks = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}.get(
        interpolation, lambda r: r)(ranks).astype(input.dtype)
    ranks = np.broadcast_to(ranks, ordered.shape[:-1] + (qs.size,))
    below = np.floor(ranks).astype(np.int64)
    result = ordered._gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        above = ordered._gather(-1, np.ceil(ranks).astype(np.int64))
        weight = np.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        weight = Tensor(weight.astype(input.dtype))
        if interpolation == "linear" and isinstance(q, Tensor) and q.requires_grad:
            # q in the graph, as PyTorch's: d weight / dq = n - 1 (0 where the rank was
            # replaced); the value stays the array's exactly (q - q is 0)
            weight = weight + ((q - q.detach()).reshape(-1) * scale).masked_fill(
                np.broadcast_to(replaced, ranks.shape), 0)  # (a fill: NaN there gives 0)
        result = result.lerp(above, weight)
    result = result.reshape((kept if keepdim else ordered.shape[:-1]) + (qs.size,))
    return result.squeeze(-1) if qs.ndim == 0 else result.movedim(-1, 0)


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False,  # noqa: A002
             *, interpolation: str = "linear") -> Tensor:
    """The q-th quantiles (q a number or a 1-D tensor in [0, 1], its values as a new first
    axis) of `input` along `dim` (None: of all elements), interpolating between data points
    ('linear', 'lower', 'higher', 'midpoint', 'nearest'); a slice with a NaN gives NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None,  # noqa: A002
                keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """`quantile` ignoring NaNs (NaN only for a slice of NaNs)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def nansum(input: Tensor, dim: Axis = None, keepdim: bool = False, *,  # noqa: A002
           dtype: Any = None) -> Tensor:
    """Sum over `dim` counting NaN as 0; the NaNs get gradient 0."""
    if input.dtype.kind == "f":
        input = input.masked_fill(np.isnan(input._data), 0)  # noqa: A001
    return input.sum(dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Axis = None, keepdim: bool = False, *,  # noqa: A002
            dtype: Any = None) -> Tensor:
    """Mean over `dim` of the non-NaN elements (NaN when there are none); floats only."""
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise RuntimeError(f"nanmean(): could not infer output dtype. Optional dtype must be "
                           f"either a floating point or complex dtype. Got: {dtype}")
    if input.dtype.kind != "f":  # (the input itself, whatever dtype= asks: as PyTorch)
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                           f"{input.dtype.name}")
    source = input if dtype is None else input.astype(dtype)
    dims = _wrap_dims("nanmean", dim, source.ndim)
    count = np.sum(~np.isnan(source._data), axis=dims, keepdims=keepdim)
    total = nansum(source, dim, keepdim)
    # (in float32 for float16, as PyTorch: a count past 65504 would be inf in float16)
    wide = np.float32 if source.dtype == np.float16 else source.dtype
    mean = (total.to(wide) / np.maximum(count, 1).astype(wide)).to(source.dtype)
    return pytorch_named(mean.masked_fill(np.asarray(count == 0), np.nan),  # (PyTorch's
                         "DivBackward0")  # nansum / count)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Any = None,  # noqa: A002
         append: Any = None) -> Tensor:
    """The n-th forward difference out[i] = x[i + 1] - x[i] along `dim`, after joining
    `prepend` and `append` (tensors matching input outside `dim`, or numbers) to input;
    bool tensors give x[i + 1] != x[i], as PyTorch."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff expects n to be non-negative, but got {n}")
    axis = _wrap_dim("diff", dim, input.ndim)
    if n == 0:  # prepend and append are ignored, as in PyTorch and NumPy
        return input
    parts = []
    for part in (prepend, input, append):
        if part is None:
            continue
        if isinstance(part, Tensor) and part is not input:
            _check_joined(part, input, axis)
        part = _tensor(part, input)
        if part.ndim == 0:  # a number: one entry along dim, as NumPy
            part = part.expand(tuple(1 if i == axis else s for i, s in enumerate(input.shape)))
        parts.append(part)
    x = cat(parts, axis) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[axis]
        if length == 0:
            break
        later, earlier = x.narrow(axis, 1, length - 1), x.narrow(axis, 0, length - 1)
        x = later ^ earlier if x.dtype == np.bool_ else later - earlier
    return x


def _check_joined(part: Tensor, input: Tensor, axis: int) -> None:  # noqa: A002
    """PyTorch's checks of a prepend or append tensor of diff."""
    if part.ndim != input.ndim:
        raise RuntimeError(f"diff expects prepend or append to be the same dimension as input "
                           f"(got shape {part.shape} for input {input.shape})")
    if any(a != b for i, (a, b) in enumerate(zip(part.shape, input.shape)) if i != axis):
        raise RuntimeError(f"diff expects the shape of tensor to prepend or append to match "
                           f"that of input except along the differencing dimension (got "
                           f"{part.shape} for input {input.shape}, dim {axis})")


@_node_named("LinalgCrossBackward0")
def cross(input: Tensor, other: Any, dim: int | None = None) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim` (None: the first dim of size 3, PyTorch's
    deprecated default, here without its warning), broadcasting the two inputs (of the same
    number of dims, as PyTorch)."""
    other = _tensor(number_operand("cross", other), input)
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, got "
                           f"shapes {input.shape} and {other.shape}")
    if dim is None:
        sizes = [axis for axis, size in enumerate(input.shape) if size == 3]
        if not sizes:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {input.shape}")
        dim = sizes[0]
    axis = _axis_of("cross", dim, input.ndim)
    if input.shape[axis] != 3 or other.shape[axis] != 3:  # (checked before broadcasting)
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"shapes {input.shape} and {other.shape}")
    shape = _broadcast_shape("cross", input.shape, other.shape)
    a = [input.expand(shape).narrow(axis, i, 1) for i in range(3)]
    b = [other.expand(shape).narrow(axis, i, 1) for i in range(3)]
    return cat([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0]], axis)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """log(cumsum(exp(x))) along `dim`, without overflow (finite at +-1000); float tensors
    only (integers and bools: PyTorch's NotImplementedError)."""
    axis = _wrap_dim("logcumsumexp", dim, input.ndim)
    if input.dtype.kind != "f":
        raise DtypeError(f"logcumsumexp: not implemented for {input.dtype} tensors (as "
                         f"PyTorch); convert with .float() first")
    source = input
    if source.ndim == 0:
        return LogCumSumExp.apply(source.reshape(1), 0).reshape(())
    return LogCumSumExp.apply(source, axis)
