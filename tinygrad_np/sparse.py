"""Sparse COO tensors, as graph-network scripts build them (`torch.sparse`).

`sparse_coo_tensor(indices, values, size)` (and the legacy `torch.sparse.FloatTensor(indices,
values, size)`) gives a tensor whose `is_sparse` is True and `layout` is `sparse_coo`, with
PyTorch's `_indices()`, `_values()`, `_nnz()`, `coalesce()`, `is_coalesced()`, `indices()` /
`values()` (of a coalesced tensor only, as PyTorch), `sparse_dim()`, `dense_dim()`, `t()` and
`to_dense()`. It is held as the dense array it stands for (duplicate entries summed), so
`sparse.mm`, `spmm`, `mm`, `matmul` and `@` compute with it as with any tensor and
differentiate into `values` (PyTorch's gradient: the dense gradient at the entries). What
differs from PyTorch: the memory is the dense size, and ops other than the ones above
(`adj * 2`, `adj + adj`) give dense tensors, as their results are (PyTorch: sparse ones).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np.device import as_device, sparse_coo
from tinygrad_np.function import no_grad
from tinygrad_np.indexed import index_put
from tinygrad_np.tensor import Tensor, to_tensor


class SparseTensor(Tensor):
    """A COO tensor (see the module docstring): a dense tensor that remembers its entries."""

    is_sparse = True

    @property
    def layout(self) -> Any:
        """`torch.sparse_coo`."""
        return sparse_coo

    def _indices(self) -> Tensor:
        """The (sparse_dim, nnz) int64 indices, duplicates and order as given."""
        return self._coo_indices

    def _values(self) -> Tensor:
        """The (nnz, *dense dims) values, as given (in the graph of the values passed)."""
        return self._coo_values

    def indices(self) -> Tensor:
        """The indices of a coalesced tensor (PyTorch refuses an uncoalesced one)."""
        self._need_coalesced("indices")
        return self._coo_indices

    def values(self) -> Tensor:
        """The values of a coalesced tensor (PyTorch refuses an uncoalesced one)."""
        self._need_coalesced("values")
        return self._coo_values

    def _need_coalesced(self, what: str) -> None:
        if not self._coalesced:
            raise RuntimeError(f"Cannot get {what} on an uncoalesced tensor, please call "
                               ".coalesce() first")

    def _nnz(self) -> int:
        """The number of stored entries (duplicates counted until coalesce())."""
        return int(self._coo_indices.shape[1])

    def sparse_dim(self) -> int:
        return int(self._coo_indices.shape[0])

    def dense_dim(self) -> int:
        return self.ndim - self.sparse_dim()

    def is_coalesced(self) -> bool:
        return self._coalesced

    def coalesce(self) -> SparseTensor:
        """The entries sorted by index, duplicates summed (differentiable in the values)."""
        if self._coalesced:
            return self
        sizes = self.shape[:self.sparse_dim()]
        flat = np.ravel_multi_index(tuple(self._coo_indices.numpy()), sizes) if sizes else \
            np.zeros(self._nnz(), dtype=np.int64)
        unique, inverse = np.unique(flat, return_inverse=True)
        indices = np.stack(np.unravel_index(unique, sizes)) if sizes else \
            np.zeros((0, len(unique)), dtype=np.int64)
        values = self._coo_values
        summed = values.new_zeros((len(unique), *values.shape[1:])).index_add(
            0, to_tensor(inverse.astype(np.int64).reshape(-1)), values)
        return _make(to_tensor(indices.astype(np.int64)), summed, tuple(self.shape), True)

    def to_dense(self, dtype: Any = None, *, masked_grad: Any = None) -> Tensor:
        """The dense tensor (a plain Tensor, in the graph of the values)."""
        dense = self.as_subclass(Tensor)
        return dense if dtype is None else dense.to(dtype)

    def detach(self) -> SparseTensor:
        """The same entries out of the graph, still sparse."""
        return _make(self._coo_indices, self._coo_values.detach(), tuple(self.shape),
                     self._coalesced)

    def clone(self, *, memory_format: Any = None) -> SparseTensor:
        """A copy of the entries, still sparse (in the graph of the values)."""
        return _make(self._coo_indices.clone(), self._coo_values.clone(), tuple(self.shape),
                     self._coalesced)

    def to_sparse(self, *args: Any, **kwargs: Any) -> SparseTensor:
        return self

    to_sparse_coo = to_sparse

    def t(self) -> SparseTensor:
        """The transpose of a 2-D sparse tensor, still sparse (the indices' rows swapped)."""
        if self.sparse_dim() != 2 or self.ndim != 2:
            raise RuntimeError(f"t() expects a 2-D sparse tensor with 2 sparse dims, got "
                               f"{self.ndim} dims, {self.sparse_dim()} sparse")
        return _make(self._coo_indices.flip(0), self._coo_values,
                     (self.shape[1], self.shape[0]), False)

    def __repr__(self) -> str:
        pad = " " * len("tensor(indices=")
        indices = repr(self._coo_indices).replace("\n", "\n" + pad)
        dtype = "" if self.dtype in (np.float32, np.int64, np.bool_) else \
            f", dtype=torch.{self.dtype.name}"
        values = repr(self._coo_values.detach()).replace(dtype, "").replace(
            "\n", "\n" + " " * len("       values="))  # (the dtype is said once, below)
        tail = (", requires_grad=True" if self.is_leaf else
                ",\n       grad_fn=<SparseCooTensorWithDimsAndTensorsBackward0>") \
            if self.requires_grad else ""
        return (f"tensor(indices={indices},\n       values={values},\n       size="
                f"{tuple(self.shape)}, nnz={self._nnz()}{dtype}, layout=torch.sparse_coo{tail})")

    __str__ = __repr__


def _make(indices: Tensor, values: Tensor, size: tuple, coalesced: bool,
          requires_grad: bool = False) -> SparseTensor:
    """The dense tensor the entries stand for, as a SparseTensor remembering them."""
    dense = values.new_zeros(size)
    if indices.shape[1]:
        dense = index_put(dense, tuple(indices), values, accumulate=True)
    out = (dense.detach() if requires_grad else dense).as_subclass(SparseTensor)
    if requires_grad:  # a sparse leaf: its gradient is sparse too, at its entries only
        out.requires_grad_(True)
        entries = to_tensor(np.unique(indices.numpy(), axis=1).reshape(len(indices), -1))
        out.register_hook(lambda grad: _make(entries, grad[tuple(entries)], size, True))
    out._coo_indices, out._coo_values = indices, values
    out._coalesced = coalesced
    return out


def sparse_coo_tensor(indices: Any, values: Any, size: Any = None, *, dtype: Any = None,
                      device: Any = None, pin_memory: bool = False,
                      requires_grad: bool = False, check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> SparseTensor:
    """A COO tensor with the entries `values[k]` at `indices[:, k]` (indices: an integer
    (sparse_dim, nnz) tensor; size: inferred from the indices when not given)."""
    as_device(device, "sparse_coo_tensor")
    indices = to_tensor(indices)
    values = to_tensor(values, dtype) if not isinstance(values, Tensor) else values
    if dtype is not None and values.dtype != dtype:
        values = values.to(dtype)
    if indices.dtype.kind not in "iuf":  # (float indices are truncated, as PyTorch)
        raise RuntimeError(f"sparse_coo_tensor: indices must be an int64 tensor, got "
                           f"{indices.dtype.name}")
    if indices.ndim != 2:
        raise RuntimeError(f"sparse_coo_tensor: indices must be sparse_dim x nnz, but got: "
                           f"{list(indices.shape)}")
    indices = indices.long()
    sparse_dim, nnz = indices.shape
    if values.ndim == 0 or values.shape[0] != nnz:
        raise RuntimeError(f"sparse_coo_tensor: indices and values must have same nnz, but "
                           f"got nnz from indices: {nnz}, nnz from values: "
                           f"{values.shape[0] if values.ndim else 0}")
    found = indices.numpy().max(axis=1) + 1 if nnz else np.zeros(sparse_dim, dtype=np.int64)
    if nnz and indices.numpy().min() < 0:
        raise RuntimeError("sparse_coo_tensor: found negative index "
                           f"{int(indices.numpy().min())}")
    if size is None:
        size = (*(int(n) for n in found), *values.shape[1:])
    size = tuple(int(n) for n in size)
    if len(size) != sparse_dim + values.ndim - 1:
        raise RuntimeError(f"sparse_coo_tensor: number of dimensions must be sparse_dim "
                           f"({sparse_dim}) + dense_dim ({values.ndim - 1}), but got {len(size)}")
    if tuple(size[sparse_dim:]) != tuple(values.shape[1:]):
        raise RuntimeError(f"sparse_coo_tensor: values has incorrect size, expected "
                           f"{[nnz, *size[sparse_dim:]]}, got {list(values.shape)}")
    for dim in range(sparse_dim):
        if nnz and found[dim] > size[dim]:
            raise RuntimeError(f"sparse_coo_tensor: size is inconsistent with indices: for dim "
                               f"{dim}, size is {size[dim]} but found index {found[dim] - 1}")
    coalesced = bool(is_coalesced) if is_coalesced is not None else nnz <= 1
    return _make(indices, values, size, coalesced, requires_grad)


def to_sparse(self: Tensor, sparse_dim: int | None = None, *, layout: Any = None,
              blocksize: Any = None, dense_dim: int | None = None) -> SparseTensor:
    """The nonzero entries of a dense tensor as a coalesced COO tensor (`Tensor.to_sparse`)."""
    if layout is not None and layout is not sparse_coo:
        raise RuntimeError(f"to_sparse: only the sparse_coo layout exists here, got {layout}")
    sparse_dim = self.ndim if sparse_dim is None else sparse_dim
    if not 0 <= sparse_dim <= self.ndim:
        raise RuntimeError(f"to_sparse: sparse_dim {sparse_dim} is out of range for a tensor "
                           f"of {self.ndim} dims")
    flat = self.detach().numpy().reshape(*self.shape[:sparse_dim], -1)
    where = np.nonzero(flat.any(axis=-1)) if flat.size else tuple(
        np.zeros(0, dtype=np.int64) for _ in range(sparse_dim))
    indices = to_tensor(np.stack(where).astype(np.int64).reshape(sparse_dim, -1))
    values = self[tuple(to_tensor(w.astype(np.int64)) for w in where)] if sparse_dim else \
        self.unsqueeze(0)
    return _make(indices, values, tuple(self.shape), True)


def mm(mat1: Tensor, mat2: Tensor, reduce: str = "sum") -> Tensor:
    """`torch.sparse.mm` / `torch.spmm`: mat1 @ mat2 with either one sparse (a dense
    result, differentiable in both; PyTorch's `reduce="sum"` only)."""
    if reduce != "sum":
        raise RuntimeError(f"sparse.mm: reduce={reduce!r} is not supported here (only 'sum')")
    for name, mat in (("mat1", mat1), ("mat2", mat2)):
        if not isinstance(mat, Tensor):
            raise TypeError(f"sparse.mm: argument '{name}' must be Tensor, not "
                            f"{type(mat).__name__}")
        if mat.ndim != 2:
            raise RuntimeError(f"sparse.mm: {name} must be a matrix, got {mat.ndim}-D")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    return mat1.to_dense() @ mat2.to_dense()


def sum(input: Tensor, dim: Any = None, dtype: Any = None) -> Tensor:  # noqa: A001, A002
    """`torch.sparse.sum`: over all dims a 0-d dense tensor; over some dims a sparse
    tensor of the rest (dense when no sparse dim is left), as PyTorch."""
    dense = input.to_dense()
    if dim is None:
        return dense.sum(dtype=dtype)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    total = dense.sum(dim=dims, dtype=dtype)
    if not isinstance(input, SparseTensor):
        return total
    sparse_dims = input.sparse_dim()
    kept = [d for d in range(sparse_dims) if d not in {x % input.ndim for x in dims}]
    if not kept:
        return total
    rows = np.unique(input._coo_indices.numpy()[kept].T, axis=0).T.astype(np.int64)
    values = total[tuple(to_tensor(r) for r in rows)]
    return _make(to_tensor(rows.reshape(len(kept), -1)), values, tuple(total.shape), True)


class _LegacyConstructor:
    """`torch.sparse.FloatTensor(indices, values, size)` and its siblings (PyTorch's legacy
    spellings): a COO tensor of the class's dtype; `(*sizes)` gives an empty one."""

    def __init__(self, dtype: np.dtype, name: str) -> None:
        self.dtype, self.__name__ = np.dtype(dtype), name

    def __call__(self, *args: Any) -> SparseTensor:
        if args and isinstance(args[0], Tensor) and len(args) >= 2:
            size = args[2] if len(args) > 2 else None
            return sparse_coo_tensor(args[0], args[1].to(self.dtype), size)
        size = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else args
        empty = np.zeros((len(size), 0), dtype=np.int64)
        return sparse_coo_tensor(empty, np.zeros((0,), dtype=self.dtype), size)


FloatTensor = _LegacyConstructor(np.float32, "FloatTensor")
DoubleTensor = _LegacyConstructor(np.float64, "DoubleTensor")
LongTensor = _LegacyConstructor(np.int64, "LongTensor")


def addmm(mat: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1,
          alpha: float = 1) -> Tensor:
    """`torch.sparse.addmm`: beta * mat + alpha * (mat1 @ mat2), mat1 sparse."""
    return beta * mat.to_dense() + alpha * mm(mat1, mat2)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    """`torch.sparse.softmax`: the softmax over `dim` of the stored entries only (the
    unstored ones count as -inf, as PyTorch), as a sparse tensor of the same entries."""
    if not isinstance(input, SparseTensor):
        return input.softmax(dim, dtype=dtype)
    with no_grad():
        mask = _make(input._coo_indices, input._coo_values.new_ones(input._coo_values.shape),
                     tuple(input.shape), True).to_dense() > 0
    dense = input.to_dense().masked_fill(~mask, -math.inf).softmax(dim, dtype=dtype)
    dense = dense.masked_fill(~mask, 0.0)  # an all-empty slice gives 0, not NaN
    coalesced = input.coalesce()
    values = dense[tuple(coalesced._coo_indices)]
    return _make(coalesced._coo_indices, values, tuple(input.shape), True)
