"""PyTorch's indexed writes and in-place random fills: index_add, index_copy, index_put,
scatter_reduce (out of place; the Tensor's `..._` methods run them through `_in_place`, so
the version counter moves and a write that needs a gradient is recorded), the random fills
(bernoulli_, exponential_, log_normal_, cauchy_, geometric_, random_), and apply_, map_ and
resize_.

All are compositions of recorded ops (IndexAdd, SetItem, indexing, sum/prod/amax/amin), so
the gradients are those ops' rules: an added or copied source gets g at its places, self gets
g where nothing overwrote it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np.device import _memory_order, laid_out
from tinygrad_np.errors import IndexOutOfBounds
from tinygrad_np.function import is_grad_enabled
from tinygrad_np.join import cat
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.masked import MaskedBy
from tinygrad_np.ops.segment import ScatterExtreme, SegmentReduce
from tinygrad_np.ops.shape import IndexAdd, SetItem, keeps_no_index
from tinygrad_np.rng import (
    drawn_like,
    filled_in_memory_order,
    fused_multiply_add,
    number_text,
    numpy_generator,
)
from tinygrad_np.tensor import (
    Tensor,
    _along,
    _copy_from,
    _data,
    _in_range,
    _index_array,
    _index_part,
    _is_view,
    _mark_view,
    _need_tensor,
    _need_tensors,
    _node_named,
    _same_dtype,
    _type_name,
    _wrap_dim,
    to_tensor,
)
from tinygrad_np.xp import _stable_order

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _source(value: Any, like: Tensor) -> Tensor:
    """`value` as a Tensor of `like`'s dtype (cast, with its gradient, when it differs)."""
    value = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=like.dtype))
    return value if value.dtype == like.dtype else value.astype(like.dtype)


def _along_dim(op: str, input: Tensor, dim: int, index: Any, source: Any) -> tuple:  # noqa: A002
    """(the index tuple selecting `index` along `dim`, the source as a Tensor) after checking
    the 1-D index's range and the source's shape."""
    index = _index_array(op, index, long_only=op.startswith("index_copy"))
    if index.ndim > 1:
        raise IndexError(f"{op}: index must be 0-D or 1-D, got shape {index.shape}")
    index = index.reshape(-1)
    axis = _wrap_dim(op, dim, input.ndim)
    _in_range(op, index, input, axis, dim)  # no -1, as PyTorch
    _same_dtype(op, input, source)
    source = _source(source, input)
    expected = input.shape[:axis] + (index.size,) + input.shape[axis + 1:]
    if source.shape != expected:
        counted = op.startswith("index_copy") and source.ndim == len(expected) and all(
            n == m for k, (n, m) in enumerate(zip(source.shape, expected)) if k != axis)
        error = IndexError if counted else RuntimeError  # (PyTorch's types)
        raise error(f"{op}: source of shape {source.shape} does not fit: expected {expected} "
                    f"(self {input.shape}, {index.size} indices along dim {dim})")
    return (slice(None),) * axis + (index,), source


def _zero_d_source(op: str, input: Tensor, source: Any) -> Tensor:  # noqa: A002
    """The source for index_add/index_reduce into a 0-d tensor: 0-d too, as PyTorch's (its
    one element is then the tensor's, seen as 1-D)."""
    _same_dtype(op, input, source)
    source = _source(source, input)
    if source.ndim:
        raise RuntimeError(f"{op}: source tensor shape must match self tensor shape, "
                           f"excluding the specified dimension (self (), source {source.shape})")
    return source.reshape(1)


@_node_named("IndexAddBackward0")
def index_add(input: Tensor, dim: int, index: Any, source: Any,  # noqa: A002
              alpha: Any = 1) -> Tensor:
    """self with alpha * source[..., i, ...] added at self[..., index[i], ...] along `dim`
    (repeated indices accumulate);  dself = g, dsource = alpha g[..., index, ...]."""
    if input.ndim == 0:
        _wrap_dim("index_add", dim, 0)  # (0 or -1 only, as PyTorch)
        return index_add(input.reshape(1), 0, index, _zero_d_source("index_add", input, source),
                         alpha).reshape(())
    where, source = _along_dim("index_add", input, dim, index, source)
    if alpha != 1:  # (bools: alpha as a bool, integers: as an integer (2.5 is 2), as PyTorch)
        source = source & bool(alpha) if source.dtype.kind == "b" else source * (
            int(alpha) if source.dtype.kind in "iu" else alpha)
    return input + IndexAdd.apply(source, where, input.shape)


@_node_named("IndexCopyBackward0")
def index_copy(input: Tensor, dim: int, index: Any, source: Any) -> Tensor:  # noqa: A002
    """self with self[..., index[i], ...] = source[..., i, ...] along `dim`;  dself = g
    where nothing was copied, dsource = g[..., index, ...]."""
    if input.ndim == 0:  # (a source of one element, 0-d or 1-D, as PyTorch)
        _wrap_dim("index_copy", dim, 0)
        _same_dtype("index_copy", input, source)
        return index_copy(input.reshape(1), 0, index,
                          _source(source, input).reshape(-1)).reshape(())
    where, source = _along_dim("index_copy", input, dim, index, source)
    return SetItem.apply(input, where, source)


@_node_named("IndexPutBackward0")
def index_put(input: Tensor, indices: Any, values: Any,  # noqa: A002
              accumulate: bool = False) -> Tensor:
    """self with self[indices] = values (a tuple of integer or bool index tensors; values
    broadcast), or += with `accumulate` (repeated indices then add up)."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    parts: list[np.ndarray] = []
    for position, part in enumerate(indices):
        if not isinstance(part, Tensor):  # (a list or array too, as PyTorch)
            raise TypeError(f"index_put: expected Tensor as element {position} of indices, "
                            f"but got {_type_name(part)}")
        array = _index_part(part)  # (indexing's dtype rules: a uint8 tensor is a mask too)
        if isinstance(array, int):
            parts.append(np.asarray(array))
        elif array.dtype != np.bool_:
            parts.append(array)
        elif array.ndim == 0:  # a new axis of 1 (True: every place) or 0 (False: none)
            parts += [] if array else [np.zeros(0, np.int64)]
        else:  # a mask is its nonzero positions (np.add.at needs those), of the dims it spans
            spanned = input.shape[len(parts):len(parts) + array.ndim]
            if array.shape != spanned:
                raise IndexError(f"index_put: the shape of the mask {list(array.shape)} at "
                                 f"index {position} does not match the shape of the indexed "
                                 f"tensor {list(input.shape)} (dims {list(spanned)} there)")
            parts.extend(np.nonzero(array))
    if len(parts) > input.ndim:  # (NumPy's "array is 0-dimensional" words otherwise)
        raise IndexError(f"index_put: too many indices for tensor of dimension {input.ndim} "
                         f"(got {len(parts)})")
    where, values = tuple(parts), _source(values, input)
    if not accumulate:
        return SetItem.apply(input, where, values)
    shape = input._data[where].shape
    return input + IndexAdd.apply(values.expand(shape), where, input.shape)


@_node_named("ScatterReduceBackward0")
def scatter_reduce(input: Tensor, dim: int, index: Any, src: Any, reduce: str,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """self with the src values scattered by `index` along `dim` (as scatter_add) reduced
    into each place with 'sum', 'prod', 'mean', 'amax' or 'amin', together with self's value
    unless `include_self=False`; places nothing is scattered to keep self.

    Each place's contributors are sorted into one run and reduced (SegmentReduce), so prod's
    gradient is exact at zeros, amax/amin share it evenly between ties (as PyTorch), mean
    divides it by the count. Integer means round down.
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (PyTorch's forward too)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce argument must be one of "
                           f"{', '.join(_REDUCTIONS)}, got {reduce!r}")
    index = _index_array("scatter_reduce", index)
    _same_dtype("scatter_reduce", input, src, "src")
    if input.ndim == 0:
        _wrap_dim("scatter_reduce", dim, 0)
        return pytorch_named(scatter_reduce(input.reshape(1), 0, index.reshape(-1), _source(
            src, input).reshape(-1), reduce, include_self).reshape(()), _SCATTER_REDUCE)
    axis = _wrap_dim("scatter_reduce", dim, input.ndim)
    if index.ndim != input.ndim:
        raise RuntimeError(f"scatter_reduce: index has {index.ndim} dims but self has "
                           f"{input.ndim} (shapes {index.shape} and {input.shape})")
    src = _source(src, input)
    if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
        raise RuntimeError(f"scatter_reduce: index shape {index.shape} is larger than src "
                           f"shape {src.shape}")
    src = src[tuple(slice(0, size) for size in index.shape)]
    try:
        targets = np.ravel_multi_index(_along(index, axis), input.shape).reshape(-1)
    except ValueError:
        raise IndexOutOfBounds(f"scatter_reduce: index out of bounds for dim {dim} of size "
                         f"{input.shape[axis]}") from None
    places = input.numel()
    if places == 0:
        return input.clone()
    if reduce in ("amax", "amin") and input.dtype.kind == "f":  # (one op, the same values)
        return pytorch_named(ScatterExtreme.apply(input, src, targets, reduce, include_self),
                             _SCATTER_REDUCE)  # (x's dtype)
    scattered = np.bincount(targets, minlength=places) > 0
    own = np.arange(places) if include_self else np.flatnonzero(~scattered)
    groups = np.concatenate([own, targets])  # self's value first, then src in index order
    order = _stable_order(groups, groups.size * places)  # (NumPy's stable sort: 2x slower)
    sizes = np.bincount(groups, minlength=places)  # every place has a member: self or src
    flat = input.reshape(-1) if include_self else input.reshape(-1)[own]
    members = cat([flat, src.reshape(-1)])[order]
    starts = np.cumsum(sizes) - sizes
    # (an integer sum wraps in self's dtype, as PyTorch, even before a mean's division)
    result = SegmentReduce.apply(members, starts, "sum" if reduce == "mean" else reduce)
    if reduce == "mean":
        divisor = sizes.astype(input.dtype)
        result = result // divisor if input.dtype.kind in "iub" else result / divisor
    if result.dtype != input.dtype:  # (an integer sum widens to int64: self's dtype, as PyTorch)
        result = result.astype(input.dtype)
    return pytorch_named(result.reshape(input.shape), _SCATTER_REDUCE)


_SCATTER_REDUCE = "ScatterReduceBackward0"  # (PyTorch's node, whichever way it is composed)


def _probabilities(op: str, p: Any, shape: tuple[int, ...]) -> np.ndarray:
    given = np.asarray(_data(p), dtype=np.float64)
    try:
        probabilities = np.broadcast_to(given, shape)
    except ValueError:  # (PyTorch's expand error)
        raise RuntimeError(f"{op}: the expanded size of p {given.shape} must match the "
                           f"existing size {shape}") from None
    if not np.all((probabilities >= 0) & (probabilities <= 1)):
        raise RuntimeError(f"{op}: expected all probabilities in [0, 1]")
    return probabilities


def _drawn(stream: Any, p: Any, probabilities: np.ndarray, like: Any = None) -> np.ndarray:
    """PyTorch's bernoulli draws, u < p: u in the dtype of a tensor of probabilities (float64
    for a number p), in the order of the output's elements (of `like`'s memory, if given)."""
    given = _data(p)
    kind = given.dtype if isinstance(given, np.ndarray) and given.dtype.kind == "f" else np.float64
    def draw(shape: tuple) -> np.ndarray:
        return stream.unit(math.prod(shape), kind).reshape(shape)

    shape = probabilities.shape
    return (draw(shape) if like is None else drawn_like(draw, like, shape)) < probabilities


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """0/1 draws of input's shape and dtype: 1 with probability input[i] (or `p`), from the
    library's seeded generator (or `generator`). In the graph with derivative 0 when input
    requires grad, as PyTorch (so backward through it runs and gives input zeros)."""
    if input.dtype.kind != "f":
        raise NotImplementedError(f"bernoulli: expected a floating-point tensor, got "
                                  f"{input.dtype.name} (PyTorch: not implemented for it)")
    if p is not None and np.ndim(p._data if isinstance(p, Tensor) else p):
        raise TypeError(f"bernoulli(): argument 'p' must be a float (or a 0-d tensor), got "
                        f"a {type(p).__name__} of shape {tuple(np.shape(p))} (per-element "
                        f"probabilities: bernoulli(probabilities))")
    probabilities = _probabilities("bernoulli", input._data if p is None else p, input.shape)
    draws = _drawn(numpy_generator(generator), input if p is None else p, probabilities
                   ).astype(input.dtype)
    return MaskedBy.apply(draws, input) if input.requires_grad else Tensor(draws)


def bernoulli_(input: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:  # noqa: A002
    """Fill `input` with 0/1 draws, 1 with probability `p` (a number or a tensor that
    broadcasts to input), in place."""
    probabilities = _probabilities("bernoulli_", p, input.shape)
    draws = _drawn(numpy_generator(generator), p, probabilities, input._data)  # (a view
    return input._in_place(_copy_from, draws,  # is filled in its memory order, as PyTorch)
                           f"BernoulliBackward{1 if isinstance(p, Tensor) else 2}")


def exponential_(input: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:  # noqa: A002
    """Fill `input` with draws of the exponential distribution of rate `lambd`, in place."""
    if input.dtype.kind != "f":
        raise RuntimeError(f"exponential_: expected a floating-point tensor, got "
                           f"{input.dtype.name}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found "
                           f"lambda={number_text(lambd)}")
    stream = numpy_generator(generator)
    samples = filled_in_memory_order(lambda shape: stream.exponential_(lambd, shape), input._data)
    return input._in_place(_copy_from, samples, "ExponentialBackward0")


def draw_(input: Tensor, op: str, method: str, args: tuple, generator: Any,  # noqa: A002
          shift: float = 0.0, scale: float = 1.0) -> Tensor:
    """Fill a float tensor with `shift + scale * generator.<method>(*args)`, in place
    (geometric_ also fills an integer tensor, as PyTorch)."""
    kinds = "iuf" if method == "geometric" else "f"
    if input.dtype.kind not in kinds:
        error = RuntimeError if op == "cauchy_" else NotImplementedError  # (PyTorch's)
        raise error(f"{op}: expected a {'numeric' if len(kinds) > 1 else 'floating-point'} "
                    f"tensor, got {input.dtype.name}")
    value = {"geometric_": args[:1], "log_normal_": args[1:]}.get(op, (scale,))[0]
    if not (0 < value < 1 if op == "geometric_" else value > 0):  # (PyTorch's messages)
        expects = {"geometric_": "p to be in (0, 1), but got p",
                   "log_normal_": "std > 0.0, but found std",
                   "cauchy_": "sigma > 0.0, but found sigma"}[op]
        raise RuntimeError(f"{op} expects {expects}={number_text(value)}")
    try:
        sampler = getattr(numpy_generator(generator), method)
        samples = filled_in_memory_order(lambda size: sampler(*args, size=size), input._data)
    except ValueError as error:  # NumPy's check of a parameter (std < 0): PyTorch's class
        raise RuntimeError(f"{op}: {error}") from None
    if shift != 0 or scale != 1:  # median + sigma * x: one fma, as PyTorch's kernel
        samples = fused_multiply_add(samples, scale, shift)
    name = "".join(part.capitalize() for part in op.rstrip("_").split("_"))  # (log_normal_:
    return input._in_place(_copy_from, samples, f"{name}Backward0")  # LogNormalBackward0)


def random_(input: Tensor, low: Any, high: Any, generator: Any,  # noqa: A002
            **unexpected: Any) -> Tensor:
    """PyTorch's `random_`: integers from [low, high - 1], in place (see Tensor.random_).
    An argument not given is Ellipsis: random_(to) is [0, to - 1], random_() the full range;
    `high=None` is [low, the full range's top]. An integer dtype's bounds are checked."""
    if unexpected:
        raise TypeError(f"random_: unexpected keyword arguments {sorted(unexpected)}")
    dtype = input.dtype
    overload = (2 if low is ... else 1) if high is ... else 0  # PyTorch's: (), (to), (from, to)
    if high is ...:
        low, high = (0, None) if low is ... else (0, low)
    from tinygrad_np.factories import int_bound  # (which imports the tensor module)
    low = 0 if low is ... else int_bound("random_", "from", low)
    high = high if high is None else int_bound("random_", "to", high)
    full = 1 if dtype.kind == "b" else int(np.iinfo(dtype).max) if dtype.kind in "iu" else \
        2 ** (np.finfo(dtype).nmant + 1)
    top = full if high is None else high - 1
    if not low <= top:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if dtype.kind == "f":  # (float16 holds at most 65504)
        for name, bound in (("from", low), ("to - 1", top)):
            if abs(bound) > float(np.finfo(dtype).max):
                raise RuntimeError(f"random_: {name} is out of bounds for {dtype} "
                                   f"(at most {np.finfo(dtype).max}), got {bound}")
    if dtype.kind in "biu":
        least = 0 if dtype.kind == "b" else int(np.iinfo(dtype).min)
        for name, bound in (("from", low), ("to - 1", top)):
            if not least <= bound <= full:
                raise RuntimeError(f"random_: {name} is out of bounds for {dtype} "
                                   f"([{least}, {full}]), got {bound}")
    stream = numpy_generator(generator)
    if high is None and low == 0:  # random_(): PyTorch's full-range draw
        samples = filled_in_memory_order(lambda shape: stream.random_bits(shape, dtype),
                                         input._data)
    else:
        samples = filled_in_memory_order(
            lambda shape: stream.integers_from(low, top - low + 1, shape, dtype), input._data)
    return input._in_place(_copy_from, samples, f"RandomBackward{overload}")


def apply_(self: Tensor, callable: Any) -> Tensor:  # noqa: A002
    """`callable` applied to each element (a Python number), in place (slow: a Python call
    per element, as PyTorch's CPU-only apply_)."""
    values = np.vectorize(callable, otypes=[self.dtype])(self._data) if self.numel() else \
        self._data
    return self.copy_(Tensor(values))


def map_(self: Tensor, other: Tensor, callable: Any) -> Tensor:  # noqa: A002
    """self[i] = callable(self[i], other[i]) for each element (other broadcast), in place."""
    values = np.vectorize(callable, otypes=[self.dtype])(
        self._data, np.broadcast_to(_data(other), self.shape)) if self.numel() else \
        self._data
    return self.copy_(Tensor(values))


def resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """A new shape in place, as PyTorch's: the same memory (views of it see the change),
    read from self's first element in C order; memory past the end is added (zeros here,
    PyTorch's are uninitialised) and every tensor sharing the memory moves to the larger
    block, as PyTorch's storage grows. The same shape changes nothing. Refused for a tensor
    that requires grad, as PyTorch. `memory_format=torch.channels_last` lays the new shape
    out NHWC in the same memory."""
    if self.requires_grad:
        raise RuntimeError("resize_: cannot resize a tensor that requires grad")
    shape = tuple(int(n) for n in (
        sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes))
    if any(n < 0 for n in shape):
        raise RuntimeError(f"resize_: sizes must be non-negative, got {shape}")
    order = _memory_order(memory_format, len(shape), "resize_")
    if shape == self.shape and order is None:
        return self
    data = self._data
    owner = data if data.base is None else data.base
    if not isinstance(owner, np.ndarray) or not owner.flags.c_contiguous:
        values = np.zeros(shape, self.dtype)  # memory NumPy cannot address as one block
        kept = min(values.size, self.numel())
        values.reshape(-1)[:kept] = data.reshape(-1)[:kept]
        self.data = Tensor(laid_out(values, memory_format, "resize_"))
        return self
    start = data.ctypes.data - owner.ctypes.data
    memory = owner.reshape(-1).view(np.uint8)
    end = start + math.prod(shape) * data.itemsize
    if end > memory.size:
        memory = _grown(self, owner, memory, end)
    # (a slice of the block, not np.ndarray(buffer=), so that views keep its owner as base)
    physical = shape if order is None else tuple(shape[d] for d in order)
    self._data = memory[start:end].view(data.dtype).reshape(physical)
    if order is not None:
        self._data = self._data.transpose(np.argsort(order))
    self._bump_version()  # (as PyTorch's: a new shape is an in-place change)
    return self


def set_(self: Tensor, source: Any = None, *storage_view: Any) -> Tensor:
    """self takes `source`'s values and shape, sharing its memory (writes to one show in the
    other), as PyTorch's `set_(source)`; `set_()` makes self empty. The dtype must match,
    and a leaf that requires grad is refused outside `no_grad()`, as PyTorch's; so is a
    tensor in a graph (PyTorch's backward through it fails) and, unlike PyTorch (which
    records it), a source that requires grad. A storage with offset, size
    and stride (`set_(storage, offset, size, stride)`) is not supported."""
    if storage_view:
        raise NotImplementedError("set_(source, storage_offset, size, stride): tensors here "
                                  "have no separate storage; use source.as_strided(size, "
                                  "stride, storage_offset)")
    if source is None:
        source = Tensor(np.empty((0,), self.dtype))
    if not isinstance(source, Tensor):
        raise TypeError(f"set_(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    if source.dtype != self.dtype:
        raise RuntimeError(f"set_: could not set a tensor of type {self.dtype.name} to a tensor of "
                           f"type {source.dtype.name}")
    if self.requires_grad and is_grad_enabled():
        where = "leaf Variable" if self.grad_fn is None else "tensor in a graph"
        raise RuntimeError(f"set_: a {where} that requires grad is being used in an in-place "
                           "operation (wrap it in torch.no_grad(), or set_ a detach()ed one)")
    if source.requires_grad and is_grad_enabled():  # (PyTorch records it; not done here)
        raise RuntimeError(f"set_: the source (shape {source.shape}) requires grad: sharing its "
                           "memory would drop its gradient path; call set_ under no_grad() "
                           "or set_ source.detach()")
    self.data = source
    return self


def _grown(tensor: Tensor, owner: np.ndarray, memory: np.ndarray, size: int) -> np.ndarray:
    """A larger block (`size` bytes) holding `memory`'s bytes; every tensor sharing it is moved
    there, with its place and strides (PyTorch's storage resize). A NumPy array the memory
    came from (from_numpy) keeps the old block."""
    sharing = [t for t in (r() for r in (tensor._counter or ())[2:]) if t is not None]
    grown = np.zeros(size, np.uint8)
    grown[:memory.size] = memory
    for other in sharing:
        array = other._data
        if other is not tensor and np.shares_memory(array, owner):
            moved = np.ndarray(array.shape, array.dtype, buffer=grown, strides=array.strides,
                               offset=array.ctypes.data - owner.ctypes.data)
            moved.flags.writeable = array.flags.writeable
            other._data = moved
    return grown


def index_reduce(input: Tensor, dim: int, index: Any, source: Any, reduce: str,  # noqa: A002
                 *, include_self: bool = True) -> Tensor:
    """self with source[..., i, ...] reduced into self[..., index[i], ...] along `dim` by
    'prod', 'mean', 'amax' or 'amin' (with self's value unless include_self=False): the
    scatter_reduce whose index repeats index[i] across the other axes of source."""
    _need_tensors("index_reduce", index, source)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', "
                           f"got {reduce!r}")
    if input.ndim == 0:
        return index_reduce(input.reshape(1), dim, index, _zero_d_source(
            "index_reduce", input, source), reduce, include_self=include_self).reshape(())
    where, source = _along_dim("index_reduce", input, dim, index, source)
    axis = len(where) - 1
    spread = np.expand_dims(where[-1], tuple(i for i in range(source.ndim) if i != axis))
    return pytorch_named(scatter_reduce(input, axis, np.broadcast_to(spread, source.shape),
                                        source, reduce, include_self), "IndexReduceBackward0")


def as_strided(input: Tensor, size: Any, stride: Any,  # noqa: A002
               storage_offset: int | None = None) -> Tensor:
    """The elements at storage_offset + sum(i_k * stride[k]) of input's elements in order
    (recorded: overlapping windows sum their gradients). A view of input's memory, as
    PyTorch's: input's changes show in it, and writes into it reach input unless two of its
    elements are one place (then refused, as an overlapping unfold()). PyTorch reads the
    storage a view shares with its base; here a non-contiguous input is refused, a
    contiguous one is its own storage."""
    x = to_tensor(input)
    places = _strided_places(x, size, stride, storage_offset)
    if not places.size:
        return x.reshape(-1)[:0].reshape(places.shape)
    result = x.reshape(-1)[places]
    flat = x._data.reshape(-1)  # (contiguous: a view of x's memory)
    steps = tuple(int(step) * flat.itemsize for step in stride)
    if np.unique(places).size == places.size:  # (each element its own place)
        result._data = np.ndarray(places.shape, flat.dtype, buffer=flat, strides=steps,
                                  offset=int(places.flat[0]) * flat.itemsize)
    else:  # (NumPy's as_strided array, read-only: writes are refused)
        result._data = np.lib.stride_tricks.as_strided(flat[int(places.flat[0]):],
                                                       places.shape, steps, writeable=False)
    _mark_view(x, result)
    return result


def as_strided_(input: Tensor, size: Any, stride: Any,  # noqa: A002
                storage_offset: int | None = None) -> Tensor:
    """`as_strided` in place: input takes the new shape and the elements it picks."""
    return input._in_place_view(as_strided, size, stride, storage_offset)


def as_strided_scatter(input: Tensor, src: Tensor, size: Any, stride: Any,  # noqa: A002
                       storage_offset: int | None = None) -> Tensor:
    """A copy of input with the elements that `input.as_strided(size, stride,
    storage_offset)` picks replaced by src's (of that shape); recorded: input gets the
    gradient where nothing was written, src at the written places."""
    x = to_tensor(input)
    _need_tensor("as_strided_scatter", "src", src)
    places = _strided_places(x, size, stride, storage_offset)
    if src.shape != places.shape:
        raise RuntimeError(f"as_strided_scatter: expected src to have the shape {places.shape} "
                           f"of the strided view, got {src.shape}")
    return keeps_no_index(SetItem.apply(x.reshape(-1), (places,), _source(src, x))).reshape(
        x.shape)


def _strided_places(x: Tensor, size: Any, stride: Any, storage_offset: int | None) -> Any:
    """For as_strided: the position in x's flattened elements of each element it picks."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or any(s < 0 for s in size + stride):
        raise RuntimeError(f"as_strided: size {size} and stride {stride} must be as long as "
                           f"each other and not negative")
    if not x.is_contiguous():
        raise RuntimeError(f"as_strided: the input (shape {x.shape}) is not contiguous, and "
                           f"tinygrad_np has no storage shared between views: call "
                           f".contiguous() first")
    if storage_offset is None or int(storage_offset) == x.storage_offset():
        own = start = 0  # from x's first element (also `x.as_strided(s, t, x.storage_offset())`)
    else:  # PyTorch's offsets count from the start of the storage x shares
        own, start = _storage_offset(x), int(storage_offset)
    places = start - own + sum(np.arange(n).reshape((-1,) + (1,) * (len(size) - k - 1)) * step
                               for k, (n, step) in enumerate(zip(size, stride)))
    places = np.broadcast_to(np.asarray(places, dtype=np.int64), size)
    if places.size and (places.max() >= x.numel() or places.min() < 0):
        raise RuntimeError(f"as_strided: size {size}, stride {stride} and storage offset "
                           f"{start} reach outside the input's {x.numel()} elements (which "
                           f"start at offset {own} of its storage); PyTorch would read the "
                           f"memory of the tensor it is a view of, tinygrad_np only its own")
    return places


def _storage_offset(x: Tensor) -> int:
    """Where x's first element lies in the storage it shares: 0 unless x is a view (by
    PyTorch's rule, the library's own view tracking: indexing, reshape, ...) of a contiguous
    base, then its distance from the base's first element (refused once the base is gone)."""
    if not _is_view(x):
        return 0
    base = x._counter[2]()
    if base is None:
        raise RuntimeError("as_strided: the tensor this one is a view of is gone, so where its "
                           "storage starts is not known here: keep that tensor alive, or give "
                           "no storage_offset (or x.storage_offset()) to start at x's first "
                           "element")
    if not base._data.flags.c_contiguous or base.dtype != x.dtype:
        return 0
    distance = x._data.__array_interface__["data"][0] - base._data.__array_interface__["data"][0]
    return distance // x._data.itemsize if 0 <= distance < base._data.nbytes else 0
