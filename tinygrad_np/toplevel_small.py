"""Small `torch.*` names ordinary code calls that round 13's comparison of `dir(torch)` found
missing: function forms of Tensor methods (`torch.is_signed`, `torch.put`, `torch.get_device`,
`torch.is_inference`, `torch.addmv_`, `torch.resize_as_`), `torch.histogramdd`,
`torch.empty_permuted`, DLPack exchange, `torch.cond` / `torch.while_loop` run eagerly,
`torch.set_flush_denormal`, and `Tensor.storage()` / `Tensor.resize` / `Tensor.resize_as`."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_np import return_types
from tinygrad_np.counting import no_derivative_of
from tinygrad_np.device import as_device, channels_last, memory_format
from tinygrad_np.errors import DtypeError
from tinygrad_np.factories import zeros
from tinygrad_np.functional_forms import from_numpy
from tinygrad_np.tensor import Tensor, _viewed, number_operand, tensor_operand, to_tensor


def is_signed(input: Tensor) -> bool:  # noqa: A002
    """Whether input's dtype is signed (floats and signed integers), as `input.is_signed()`."""
    tensor_operand("is_signed", input, "input")
    return input.is_signed()


def put(input: Tensor, index: Any, source: Any, accumulate: bool = False) -> Tensor:  # noqa: A002
    """A copy of input with `source` written at the flat positions `index` (input.put)."""
    return input.put(index, source, accumulate)


def get_device(input: Tensor) -> int:  # noqa: A002
    """-1: the CPU, as PyTorch's answer for a CPU tensor."""
    tensor_operand("get_device", input, "input")
    return input.get_device()


def is_inference(input: Tensor) -> bool:  # noqa: A002
    """Whether input was made under inference_mode (`input.is_inference()`)."""
    tensor_operand("is_inference", input, "input")
    return input.is_inference()


def addmv_(input: Tensor, mat: Any, vec: Any, *, beta: float = 1,  # noqa: A002
           alpha: float = 1) -> Tensor:
    """`input.addmv_(mat, vec)`: beta * input + alpha * (mat @ vec) written into input."""
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def resize_as_(input: Tensor, the_template: Tensor, *,  # noqa: A002
               memory_format: Any = None) -> Tensor:
    """`input.resize_as_(the_template)`: input given the template's shape, in place."""
    tensor_operand("resize_as_", input, "input")
    return input.resize_as_(the_template, memory_format=memory_format)


def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *, dtype: Any = None,
                   device: Any = None, requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """An uninitialised tensor (zeros here) of shape `size` whose memory holds the dims in
    the order `physical_layout` names, outermost first (as PyTorch's)."""
    shape, layout = tuple(int(n) for n in size), [int(d) for d in physical_layout]
    if sorted(layout) != list(range(len(shape))):
        raise RuntimeError(f"empty_permuted: physical_layout {tuple(layout)} is not a "
                           f"permutation of the {len(shape)} dims of size {shape}")
    physical = zeros([shape[d] for d in layout], dtype=dtype, device=device, **kwargs)
    return Tensor(physical._data.transpose(np.argsort(layout)), requires_grad=requires_grad)


def from_dlpack(ext_tensor: Any, *, device: Any = None, copy: bool | None = None) -> Tensor:
    """A tensor sharing memory with a DLPack-capable object (a NumPy array, another library's
    CPU tensor), through NumPy's from_dlpack; `copy=True` copies (False: shares, as None),
    `device` must be the CPU."""
    as_device(device, "from_dlpack")
    if isinstance(ext_tensor, Tensor):
        return ext_tensor.clone() if copy else ext_tensor
    if type(ext_tensor).__name__ == "PyCapsule":  # to_dlpack's (PyTorch's old-style use)
        array = _capsule_array(ext_tensor)
    else:
        array = np.from_dlpack(ext_tensor)
    return from_numpy(array.copy() if copy else array)


class _Capsule:
    """A DLPack capsule dressed as the object NumPy's from_dlpack expects."""

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __dlpack__(self, **_: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def _capsule_array(capsule: Any) -> np.ndarray:
    """The capsule's memory, writable: NumPy reads an old-style capsule read-only, while
    PyTorch's tensor from one writes to the shared memory (the read-only view keeps it alive)."""
    import ctypes  # noqa: PLC0415 (only here)

    try:
        shared = np.from_dlpack(_Capsule(capsule))
    except ValueError:  # (NumPy's "PyCapsule_GetPointer called with incorrect name")
        raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules "
                           "can be consumed only once, so you might have already constructed a "
                           "tensor from it once.") from None
    if shared.size == 0 or min(shared.strides, default=0) < 0:
        return shared
    extent = sum((n - 1) * s for n, s in zip(shared.shape, shared.strides)) + shared.itemsize
    raw = (ctypes.c_char * extent).from_address(shared.__array_interface__["data"][0])
    raw._owner = shared  # type: ignore[attr-defined]
    flat = np.frombuffer(raw, dtype=shared.dtype, count=extent // shared.itemsize)
    return np.lib.stride_tricks.as_strided(flat, shared.shape, shared.strides)


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule of the tensor's memory (NumPy's), for another library's
    from_dlpack."""
    tensor_operand("to_dlpack", tensor, "tensor")
    return dlpack(tensor)


def dlpack(self: Tensor, **kwargs: Any) -> Any:
    """`Tensor.__dlpack__`: the memory as a DLPack capsule (`np.from_dlpack(t)` shares it);
    refused for a tensor that requires grad, as PyTorch."""
    if self.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    return self.numpy().__dlpack__(**kwargs)


def dlpack_device(self: Tensor) -> tuple[int, int]:
    """`Tensor.__dlpack_device__`: (1, 0), DLPack's CPU."""
    return (1, 0)


def set_flush_denormal(mode: bool) -> bool:
    """Whether the denormal mode asked for is in force, as PyTorch's answer: NumPy cannot
    flush denormal floats to zero, so True only for `mode=False` (they are kept)."""
    return not mode


def _operand_list(op: str, operands: Any) -> tuple:
    if isinstance(operands, (tuple, list)):
        return tuple(operands)
    raise TypeError(f"{op}: operands must be a tuple or list of tensors, got "
                    f"{type(operands).__name__}")


def cond(pred: Any, true_fn: Callable[..., Any], false_fn: Callable[..., Any],
         operands: Any = ()) -> Any:
    """`true_fn(*operands)` if `pred` (a bool or a one-element tensor) holds, else
    `false_fn(*operands)`: PyTorch's torch.cond, run eagerly (nothing here is traced)."""
    arguments = _operand_list("cond", operands)
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError(f"cond: pred must be a bool or a tensor of one element, got shape "
                           f"{pred.shape}")
    return (true_fn if bool(pred) else false_fn)(*arguments)


def while_loop(cond_fn: Callable[..., Any], body_fn: Callable[..., Any],
               carried_inputs: Any) -> tuple:
    """`carried = body_fn(*carried)` while `cond_fn(*carried)`; the final carried values (a
    tuple), as PyTorch's torch.while_loop run eagerly."""
    carried = _operand_list("while_loop", carried_inputs)
    while bool(cond_fn(*carried)):
        result = body_fn(*carried)
        carried = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    return carried


HistogramDD = return_types.histogramdd  # the counts and each dim's bin edges

def histogramdd(input: Tensor, bins: Any = 10, *, range: Sequence[float] | None = None,  # noqa: A002
                weight: Any = None, density: bool = False) -> HistogramDD:
    """The D-dimensional histogram of the points in the last dim of a float `input` (shape
    (..., D)): `bins` a count, a count per dim or the edges per dim (tensors); `range` the
    flat [min0, max0, min1, max1, ...]; `weight` per point; `density` normalises the volume
    to 1. No gradient, as PyTorch."""
    data = to_tensor(input).detach().numpy()
    if data.ndim == 0:
        raise IndexError("histogramdd: Dimension specified as -1 but tensor has no dimensions")
    if data.dtype.kind != "f" or data.ndim < 2:  # (PyTorch takes 1-D as one point per row)
        raise RuntimeError(f"torch.histogramdd: input tensor should have at least 2 dimensions "
                           f"(float, shape (..., D)), got {data.dtype} of shape {data.shape}")
    if data.dtype == np.float16:  # PyTorch's CPU has no float16 kernel
        raise DtypeError("histogramdd: \"histogramdd\" not implemented for 'Half' (convert "
                         "the input with .float() first)")
    points, dims = data.reshape(-1, data.shape[-1]), data.shape[-1]
    if isinstance(bins, (list, tuple)) and bins and isinstance(bins[0], Tensor):
        bins = [edges.detach().numpy() for edges in bins]
    elif isinstance(bins, Tensor):
        bins = bins.tolist()
    pairs = None if range is None else [tuple(range[2 * d: 2 * d + 2]) for d in np.arange(dims)]
    if pairs is not None and len(range) != 2 * dims:
        raise RuntimeError(f"histogramdd: range needs {2 * dims} numbers (min and max for each "
                           f"of {dims} dims), got {len(range)}")
    counts, edges = np.histogramdd(points, bins, range=pairs, density=density, weights=(
        None if weight is None else to_tensor(weight).detach().numpy().reshape(-1)))
    return HistogramDD(no_derivative_of(Tensor(counts.astype(data.dtype)),
                                        "_histogramdd_from_bin_cts", input, weight),
                       tuple(Tensor(e.astype(data.dtype)) for e in edges))


class Storage:
    """What `x.storage()` returns here: the flat memory block the tensor views (its base
    array's elements in memory order, so a view's storage is its base's whole block; see
    storage_offset()) with PyTorch's TypedStorage calls that ordinary code makes: size(),
    len(), indexing, iteration, item assignment (written through to every tensor sharing the
    block; the tensor's version moves on, so a graph that saved the old values refuses them),
    data_ptr(), tolist(), nbytes(), element_size(), dtype, device, type(), float(), clone(),
    fill_(), cpu(), is_shared()."""

    def __init__(self, tensor: Tensor) -> None:
        owner, found = tensor._data, tensor._data
        while getattr(found, "base", None) is not None:  # (as Tensor.storage_offset finds it)
            found = found.base
            owner = found if isinstance(found, np.ndarray) else owner
        self._array, self.dtype, self._tensor = owner, tensor.dtype, tensor

    @property
    def device(self) -> Any:
        return self._tensor.device

    def size(self) -> int:
        return int(self._array.size)

    __len__ = size

    def _flat(self) -> np.ndarray:
        """The elements in memory order (a view of the block when it is contiguous)."""
        return np.ravel(self._array, order="K")

    def _index(self, idx: Any) -> int:
        if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
            raise RuntimeError(f"Storage indices must be ints (slices are not supported by "
                               f"PyTorch's TypedStorage), got {type(idx).__name__}")
        size = self.size()
        if not -size <= idx < size:
            raise IndexError(f"index {idx} out of range for storage of size {size}")
        return int(idx) % size

    def __getitem__(self, idx: Any) -> Any:
        return self._flat()[self._index(idx)].item()

    def __setitem__(self, idx: Any, value: Any) -> None:
        flat = self._flat()
        if not np.shares_memory(flat, self._array):
            raise RuntimeError("Storage: the memory block is not contiguous, so it cannot be "
                               "written element by element here")
        locked = not self._array.flags.writeable
        if locked:
            self._array.flags.writeable = True
        try:
            flat[self._index(idx)] = value
        finally:
            if locked:
                self._array.flags.writeable = False
        self._tensor._bump_version()

    def __iter__(self) -> Any:
        return iter(self.tolist())

    def fill_(self, value: Any) -> Storage:
        """Every element set to `value` (written through, as item assignment)."""
        for index in range(self.size()):
            self[index] = value
        return self

    def data_ptr(self) -> int:
        return int(self._array.__array_interface__["data"][0])

    def element_size(self) -> int:
        return int(self._array.itemsize)

    def nbytes(self) -> int:
        return self.size() * self.element_size()

    def tolist(self) -> list:
        return self._flat().tolist()

    def type(self) -> str:
        """PyTorch's storage type name, e.g. 'torch.FloatStorage'."""
        return self._tensor.type().replace("Tensor", "Storage")

    def clone(self) -> Storage:
        """A copy of the block (its own memory)."""
        return Storage(Tensor(self._flat().copy()))

    def float(self) -> Storage:
        """A float32 copy."""
        return Storage(Tensor(self._flat().astype(np.float32)))

    def cpu(self) -> Storage:
        return self

    def is_shared(self) -> bool:
        return False

    def _new_shared(self, size: int, *, device: Any = None) -> Storage:
        """A new zeroed block of `size` elements of this dtype: what PyTorch's default_collate,
        copied into scripts, asks for in a DataLoader worker (no shared memory here)."""
        return Storage(Tensor(np.zeros(int(size), dtype=self._array.dtype)))

    def __repr__(self) -> str:
        return f"Storage({self.tolist()}, dtype={self.dtype.name}, size={self.size()})"


class UntypedStorage(Storage):
    """What `x.untyped_storage()` returns: the same block as Storage, in bytes, as PyTorch's
    UntypedStorage: size(), len() and nbytes() count bytes, indexing reads and writes bytes,
    and data_ptr() is the block's address (`a.untyped_storage().data_ptr() ==
    b.untyped_storage().data_ptr()` tells whether a and b share memory)."""

    def size(self) -> int:
        return int(self._array.nbytes)

    __len__ = size

    def element_size(self) -> int:
        return 1

    def _flat(self) -> np.ndarray:
        return super()._flat().view(np.uint8)

    def type(self) -> str:
        return "torch.UntypedStorage"

    def __repr__(self) -> str:
        return f"UntypedStorage({self.tolist()}, size={self.size()})"


def storage(self: Tensor) -> Storage:
    """The memory block self views (see Storage)."""
    return Storage(self)


def untyped_storage(self: Tensor) -> UntypedStorage:
    """The memory block self views, in bytes (see UntypedStorage)."""
    return UntypedStorage(self)


def resize(self: Tensor, *sizes: Any) -> Tensor:
    """PyTorch's deprecated out-of-place resize: `reshape` to the same number of elements
    (differentiable), with PyTorch's deprecation warning."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if int(np.prod(shape)) != self.numel():
        raise RuntimeError(f"resize: requested resize to {tuple(shape)} ({int(np.prod(shape))} "
                           f"elements), but the tensor has {self.numel()}; the out-of-place "
                           f"resize only changes the shape (use resize_ to change the size)")
    return self.reshape(shape)


def resize_as(self: Tensor, tensor: Tensor) -> Tensor:
    """PyTorch's deprecated out-of-place resize_as: `resize(tensor.shape)` (warns)."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    if tensor.numel() != self.numel():
        raise RuntimeError(f"resize_as: other's shape {tensor.shape} has {tensor.numel()} "
                           f"elements, self {self.numel()} (shape {self.shape})")
    return self.reshape(tensor.shape)


def dim_order(self: Tensor, *, ambiguity_check: bool | list = False) -> tuple[int, ...]:
    """The dims from outermost to innermost in memory, by their strides (PyTorch's order:
    `x.t().dim_order()` is (1, 0), channels-last (0, 2, 3, 1)). `ambiguity_check` (True, or a
    list of memory formats) raises PyTorch's RuntimeError when another order would do as well
    (a size-1 dim, two equal strides) unless exactly one of the formats given fits."""
    if not isinstance(ambiguity_check, bool) and not (isinstance(ambiguity_check, list) and all(
            isinstance(form, memory_format) for form in ambiguity_check)):
        raise TypeError("The ambiguity_check argument must be a bool or a list of memory "
                        "formats.")
    strides = self.stride()
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    if ambiguity_check is not False and (1 in self.shape or len(set(strides)) < len(strides)) \
            and sum(self.is_contiguous(memory_format=form) for form in formats) != 1:
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact "
                           "one of the given memory formats.")
    contiguous = self.is_contiguous()  # (PyTorch's short cuts: size-1 dims ignored)
    last = self.ndim == 4 and self.is_contiguous(memory_format=channels_last)
    if contiguous != last or self.ndim < 2:
        return tuple(range(self.ndim)) if contiguous or self.ndim < 2 else (0, 2, 3, 1)
    return _physical_order(tuple(self.shape), strides)


def _ge(a: int, b: int) -> bool:
    return b == 0 or (a != 0 and (a >= b or a % b == 0))


def _physical_order(shape: tuple[int, ...], strides: tuple[int, ...]) -> tuple[int, ...]:
    """The dims outermost first: torch._prims_common's insertion sort on the strides (a
    zero stride, or equal ones of a dim no longer than the other, leave the order)."""
    def swap(a: int, b: int) -> int:  # 1: dim a is inner to dim b, -1: outer, 0: either
        if strides[a] == 0 or strides[b] == 0:
            return 0
        if strides[a] == strides[b]:
            return 0 if _ge(shape[b], shape[a]) else 1
        return -1 if _ge(strides[b], strides[a]) else 1 if _ge(strides[a], strides[b]) else 0

    order = list(reversed(range(len(shape))))  # sorted innermost first, then reversed
    for i in range(1, len(order)):
        moving = i
        for earlier in reversed(range(i)):
            comparison = swap(order[earlier], order[moving])
            if comparison > 0:
                order[earlier], order[moving] = order[moving], order[earlier]
                moving = earlier
            elif comparison < 0:
                break
    return tuple(reversed(order))


def to_dense(self: Tensor, dtype: Any = None, *, masked_grad: bool = True) -> Tensor:
    """A dense (strided) tensor: `self` itself, or converted to `dtype` when given."""
    return self if dtype is None else self.to(dtype)


def orgqr(self: Tensor, input2: Tensor) -> Tensor:
    """`Tensor.orgqr(input2)`: the Householder product of (self, input2), as torch.orgqr."""
    from tinygrad_np.linalg_lu import householder_product  # noqa: PLC0415 (linalg is above)

    return householder_product(self, number_operand("orgqr", input2, "input2"))


def as_subclass(self: Tensor, cls: type) -> Tensor:
    """self as an instance of the Tensor subclass `cls`, as PyTorch's: the same memory (a
    view sharing the version counter) and, when self requires grad, a recorded alias whose
    gradient reaches self; `cls.__init__` is not called."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass: cls must be a subclass of Tensor, got {cls!r}")
    alias = self.view(self.shape)
    out = object.__new__(cls)
    for name in Tensor.__slots__:
        if name not in ("__weakref__", "__dict__", "_counter", "_view_of") and hasattr(alias, name):
            object.__setattr__(out, name, getattr(alias, name))
    object.__setattr__(out, "_counter", None)
    object.__setattr__(out, "_view_of", None)
    return _viewed(self, out)  # (out, not the alias, is the view self's in-place ops see)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The `pow`-norm of v over every dim but `dim`, kept as size-1 dims (dim -1: the norm of
    the whole tensor, 0-d), as torch.norm_except_dim (weight norm's denominator)."""
    v = to_tensor(v)
    if dim == -1:
        return v.norm(pow)
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(f"norm_except_dim: dim {dim} is out of range for a tensor of shape "
                         f"{tuple(v.shape)}")
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return v.norm(pow, others, keepdim=True) if others else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """v * (g / norm_except_dim(v, 2, dim)): torch._weight_norm, weight norm's weight."""
    return to_tensor(v) * (to_tensor(g) / norm_except_dim(v, 2, dim))


def hash_tensor(input: Tensor, dim: int | Sequence[int] | None = None, *,  # noqa: A002
                keepdim: bool = False, mode: int = 0) -> Tensor:
    """PyTorch's hash of the elements (over `dim`, all by default): each widened to its 64-bit
    float or integer kind, its bits read as uint64, reduced by xor (mode 0, the only one)."""
    tensor_operand("hash_tensor", input, "input")
    if mode != 0:
        raise RuntimeError(f"Unknown hash_tensor mode: {mode}")
    array = input._data
    dim = None if not isinstance(dim, int) and dim is not None and not len(dim) else dim
    if dim is None and array.size == 0:  # (() and [] are all dims too, as PyTorch's)
        raise RuntimeError("hash_tensor: Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")
    dims = tuple(range(array.ndim)) if dim is None else (dim,) if isinstance(dim, int) else \
        tuple(dim)
    dims = tuple(_wrapped_dim(d, max(array.ndim, 1)) for d in dims)
    if len(set(dims)) < len(dims):
        repeated = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    for axis in dims:
        if array.ndim and array.shape[axis] == 0:
            raise IndexError(f"hash_tensor: Expected reduction dim {axis} to have non-zero size.")
    wide = array.astype(np.float64 if array.dtype.kind == "f" else np.int64).view(np.uint64)
    hashed = np.bitwise_xor.reduce(wide, axis=dims if array.ndim else None, keepdims=keepdim)
    return Tensor(np.asarray(hashed, dtype=np.uint64))


def _wrapped_dim(dim: Any, ndim: int) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return dim % ndim


def _get_grad_dtype(self: Tensor) -> Any:
    if self.grad_fn is not None:
        raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
    return self.__dict__.get("_grad_dtype", self.dtype)


def _set_grad_dtype(self: Tensor, value: Any) -> None:
    from tinygrad_np.dtypes import dtype  # noqa: PLC0415 (only here)

    if self.grad_fn is not None:
        raise RuntimeError("grad_dtype can only be set on leaf tensors.")
    if value is not None and not isinstance(value, dtype):
        raise RuntimeError(f"grad_dtype must be a torch.dtype or None, but got "
                           f"{type(value).__name__}")
    if value is not None and value != self.dtype:
        raise NotImplementedError(f"grad_dtype: a gradient of another dtype ({value}) than "
                                  f"the tensor's ({self.dtype}) is not supported by "
                                  "tinygrad_np: .grad always has the tensor's dtype")
    self.__dict__["_grad_dtype"] = value


grad_dtype = property(_get_grad_dtype, _set_grad_dtype, doc="""The dtype `.grad` gets (a leaf's
only): the tensor's own, or None after `t.grad_dtype = None`; another dtype is refused
(NotImplementedError): here a gradient always has its tensor's dtype.""")


__all__ = ["hash_tensor", "is_signed", "put", "get_device", "is_inference", "addmv_", "resize_as_",
           "empty_permuted", "from_dlpack", "to_dlpack", "set_flush_denormal", "cond",
           "while_loop", "histogramdd", "norm_except_dim", "_weight_norm"]
