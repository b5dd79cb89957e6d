"""Joining and splitting tensors, as torch's functions: cat, stack, split, chunk, unbind,
meshgrid.

    tg.cat([a, b], dim=0)        tg.stack([a, b])        q, k, v = x.chunk(3, dim=-1)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np.dtypes import result_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.functional_forms import with_out
from tinygrad_np.ops.join import Cat, Stack
from tinygrad_np.tensor import Tensor, _node_named, _wrap_dim


def _tensors(op: str, tensors: Any, promote: bool = True) -> list[Tensor]:
    """The tensors of a join, checked, and cast to PyTorch's promoted dtype when `promote` and
    NumPy's would differ (meshgrid asks for one dtype instead)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}: expected a non-empty list or tuple of tensors")
    if not tensors:
        raise TensorError(f"{op}: expected a non-empty list or tuple of tensors, got an empty one")
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):  # PyTorch's TypeError
            raise TypeError(f"{op}: expected Tensor as element {position} in argument 0, but "
                            f"got {type(tensor).__name__}")
    dtypes = {tensor._data.dtype for tensor in tensors}
    if promote and len(dtypes) > 1:  # PyTorch's promotion where NumPy's differs (int16
        target = result_dtype(*(tensor._data for tensor in tensors))  # with float16: float16)
        if target is not None and target != np.result_type(*dtypes):
            return [tensor.to(target) for tensor in tensors]
    return list(tensors)


@with_out
def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing axis `dim` (alias `axis`); the other axes must match.

    Mixed dtypes promote as in PyTorch; each input's gradient is its slice of g.
    """
    tensors = _tensors("cat", tensors)
    dim = dim if axis is None else axis
    if any(t.ndim != 1 for t in tensors) and any(t.shape == (0,) for t in tensors):
        # PyTorch's legacy rule: an empty 1-D tensor (the accumulator torch.tensor([])) is
        # skipped, but takes part in the dtype (with an int tensor the result is float)
        result = cat([t for t in tensors if t.shape != (0,)], dim)
        floats = [t.dtype for t in tensors if t.dtype.kind == "f"]
        dtype = max(floats, key=lambda d: d.itemsize) if floats else np.result_type(
            *(t.dtype for t in tensors))  # PyTorch's promotion over all of them
        return result.to(dtype)
    if any(t.ndim == 0 for t in tensors):
        raise RuntimeError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    ndim = tensors[0].ndim
    if any(t.ndim != ndim for t in tensors):
        raise RuntimeError(f"cat: tensors must have the same number of dimensions, got shapes "
                           f"{[tuple(t.shape) for t in tensors]}")
    axis = _wrap_dim("cat", dim, ndim)
    try:
        return Cat.apply(*tensors, axis)
    except TensorError as error:  # (PyTorch's words, found only once the join failed)
        first = tensors[0].shape
        for number, tensor in enumerate(tensors):
            for d, size in enumerate(tensor.shape):
                if d != axis and size != first[d]:
                    raise TensorError(f"Sizes of tensors must match except in dimension {axis}. "
                                      f"Expected size {first[d]} but got size {size} for tensor "
                                      f"number {number} in the list. ({error})") from None
        raise


concat = cat
concatenate = cat


@with_out
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new axis at `dim` (one op: each input's gradient is
    its slice of g). Mixed dtypes promote as in PyTorch."""
    tensors = _tensors("stack", tensors)
    first = tensors[0]._data.shape
    if any(t._data.shape != first for t in tensors):
        entry = next(i for i, t in enumerate(tensors) if t._data.shape != first)
        raise RuntimeError(f"stack: expects each tensor to be equal size, but got {list(first)} "
                           f"at entry 0 and {list(tensors[entry]._data.shape)} at entry {entry}")
    axis = _wrap_dim("stack", dim, tensors[0].ndim, extra=1)
    return Stack.apply(*tensors, axis)


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple:
    """Pieces of `tensor` along `dim` (see Tensor.split)."""
    return tensor.split(split_size_or_sections, dim)


def chunk(tensor: Tensor, chunks: int, dim: int = 0) -> tuple:
    """`chunks` near-equal pieces of `tensor` along `dim` (see Tensor.chunk)."""
    return tensor.chunk(chunks, dim)


def unbind(tensor: Tensor, dim: int = 0) -> tuple:
    """The slices of `tensor` along `dim`, that axis removed."""
    return tensor.unbind(dim)


def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors. indexing='ij' (the default, as PyTorch's current
    behaviour, which warns when it is not given) gives shape (len0, len1, ...); 'xy' swaps
    the first two axes (NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("meshgrid: in an upcoming release it will be required to pass the "
                      "indexing argument ('ij' is used, as before)", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise TensorError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [t.reshape(-1) if t.ndim == 0 else t for t in _tensors("meshgrid", tensors, False)]
    if any(t.ndim != 1 for t in tensors):
        raise RuntimeError("meshgrid: expects 0-D or 1-D tensors")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype, got "
                           + ", ".join(str(t.dtype) for t in tensors))
    order = list(range(len(tensors)))  # which input's length sits on each output axis
    if indexing == "xy" and len(order) > 1:
        order[0], order[1] = 1, 0
    shape = tuple(tensors[source].shape[0] for source in order)
    grids = []
    for position, tensor in enumerate(tensors):
        axis = order.index(position)
        view = [1] * len(order)
        view[axis] = -1
        grids.append(tensor.reshape(view).expand(shape))
    return tuple(grids)


def _at_least(tensor: Tensor, ndim: int) -> Tensor:
    """PyTorch's atleast_2d/atleast_3d: (n,) -> (1, n) or (1, n, 1); (m, n) -> (m, n, 1)."""
    shape = tensor.shape
    if len(shape) >= ndim:
        return tensor
    if len(shape) == 0:
        return tensor.reshape((1,) * ndim)
    if len(shape) == 1:
        return tensor.reshape((1, shape[0]) + (1,) * (ndim - 2))
    return tensor.reshape(shape + (1,))


def _alike(tensors: list[Tensor], ndim: int) -> bool:
    """Whether every tensor has `ndim` dims and the first's shape: then the h/v/d/column
    stacks are one Stack (one node, not a reshape per tensor and a Cat)."""
    shape = tensors[0]._data.shape
    return len(shape) == ndim and all(t._data.shape == shape for t in tensors)


@with_out
def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors; 0-d ones count as 1-D), as torch.hstack."""
    tensors = _tensors("hstack", tensors)
    if _alike(tensors, 0):
        return stack(tensors)
    tensors = [_at_least(t, 1) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


@with_out
def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 0, 1-D tensors (n,) taken as rows (1, n), as torch.vstack."""
    tensors = _tensors("vstack", tensors)
    if _alike(tensors, 1):
        return stack(tensors)
    return cat([_at_least(t, 2) for t in tensors], 0)


@with_out
@_node_named("CatBackward0")
def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along dim 2, (n,) taken as (1, n, 1) and (m, n) as (m, n, 1), as torch.dstack."""
    tensors = _tensors("dstack", tensors)
    if _alike(tensors, 2):
        return stack(tensors, 2)
    if _alike(tensors, 1):
        return stack(tensors, 1).unsqueeze(0)
    return cat([_at_least(t, 3) for t in tensors], 2)
