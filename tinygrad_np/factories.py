"""Functions that make new tensors: tg.tensor, zeros, ones, full, randn, rand, arange, eye,
linspace, logspace, empty, randint, randperm and the `*_like` forms.

Each takes the shape as separate ints or one tuple, and `dtype=` / `requires_grad=` /
`device=` (None or 'cpu': there is only the CPU). Random
ones draw from the library generator, so `tg.manual_seed(n)` makes them reproducible.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import warnings
from typing import Any

import numpy as np

from tinygrad_np import rng
from tinygrad_np.device import (
    batch_innermost,
    check_placement,
    laid_out,
    overlapping,
    preserve_format,
    user_ordered,
)
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import DtypeError
from tinygrad_np.foreign import is_torch_tensor, torch_values
from tinygrad_np.rng import fused_multiply_add, numpy_generator
from tinygrad_np.settings import get_num_threads
from tinygrad_np.tensor import (
    Tensor,
    TensorError,
    _number,
    _scalar_for,
    _shape_args,
    _to_array,
    check_fill,
    int_value,
)


def _shape(op: str, shape: tuple, size: Any) -> tuple[int, ...]:
    """The shape given positionally (ints or one tuple) or as PyTorch's `size=` keyword; a
    negative size is PyTorch's RuntimeError naming the op (NumPy's is a ValueError)."""
    if size is None:
        shape = _shape_args(shape)
    elif shape:
        raise TypeError(f"{op}: give the shape positionally or as size=, not both")
    else:
        shape = _shape_args((size,))
    shape = tuple(_size_entry(op, n, position) for position, n in enumerate(shape))
    negative = next((n for n in shape if n < 0), None)
    if negative is not None:
        raise TensorError(f"{op}: sizes must be non-negative, got {tuple(shape)}: Trying to "
                          f"create tensor with negative dimension {negative}: {list(shape)}")
    return shape


def _size_entry(op: str, n: Any, position: int) -> int:
    """One size as an int (an int, a NumPy integer, a one-element integer tensor), else
    PyTorch's TypeError naming the position."""
    try:
        return operator.index(n)
    except TypeError:
        raise TypeError(f"{op}: the size must be ints, but found {type(n).__name__} {n!r} at "
                        f"position {position} (`n // 2`, not `n / 2`)") from None


def _float_dtype(op: str, dtype: Any) -> Any:
    """`dtype` (None: the default float) for random floats, which PyTorch refuses to draw as
    integers or bools (`rand(2, dtype=tg.int64)`; use randint)."""
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise DtypeError(f"{op}: dtype must be a floating-point dtype, got {np.dtype(dtype)}; "
                         f"use randint for integers")
    return dtype


def _float_tensor(array: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    return Tensor(array.astype(dtype or get_default_dtype(), copy=False), requires_grad)


def refuse_negative_strides(op: str, data: Any) -> None:
    """PyTorch's ValueError for a NumPy array with a negative stride (`a[::-1]`, `np.flip`),
    which from_numpy cannot share (tensor(), as_tensor() and asarray() copy it here, where
    PyTorch raises this too)."""
    if isinstance(data, np.ndarray) and any(stride < 0 for stride in data.strides):
        raise ValueError(f"{op}: At least one stride in the given numpy array is negative, "
                         f"and tensors with negative strides are not currently supported "
                         f"(strides {data.strides}). (You can probably work around this by "
                         f"making a copy of your array with array.copy().)")


_PLAIN_DATA = frozenset({np.ndarray, list, tuple, float, int, bool})  # (no torch tensor)


def tensor(data: Any, *args: Any, dtype: Any = None, requires_grad: bool = False,
           name: str | None = None, device: Any = None, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (as `torch.tensor`; the keywords are keywords
    only, as there)."""
    if args:
        raise TypeError(f"tensor() takes 1 positional argument but {1 + len(args)} were given "
                        f"(pass dtype=..., requires_grad=... as keywords)")
    check_placement("tensor", device, None, pin_memory)
    if isinstance(data, (list, tuple)) and _holds_grad_tensor(data):
        warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                      "unexpected behavior.\nConsider using tensor.detach() first.",
                      UserWarning, stacklevel=2)  # (PyTorch's: the value is read, no graph)
    source = data._data if isinstance(data, Tensor) else (
        data if type(data) in _PLAIN_DATA or not is_torch_tensor(data) else torch_values(data))
    if source is not data:  # a Tensor, or a real torch tensor (its values, detached)
        copy_construct_warning("torch.tensor")
    # (an array first: `Tensor` reads a list or an int in PyTorch's legacy way)
    copied = np.array(source, copy=True) if isinstance(source, np.ndarray) else _to_array(
        source, dtype)
    return Tensor(copied, requires_grad=requires_grad, dtype=dtype, name=name)


def _holds_grad_tensor(data: list | tuple) -> bool:
    """Whether nested lists hold a tensor that requires grad (read as a number)."""
    return any(item.requires_grad if isinstance(item, Tensor) else
               isinstance(item, (list, tuple)) and _holds_grad_tensor(item) for item in data)


def copy_construct_warning(caller: str) -> None:
    """PyTorch's UserWarning for `torch.tensor(t)` / `t.new_tensor(t)` of a Tensor (a detached
    copy, as there)."""
    warnings.warn("To copy construct from a tensor, it is recommended to use "
                  "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                  f".requires_grad_(True), rather than {caller}(sourceTensor).",
                  UserWarning, stacklevel=3)


def zeros(*shape: int | tuple[int, ...], size: Any = None, dtype: Any = None,
          requires_grad: bool = False, device: Any = None,
          layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of zeros (default float dtype)."""
    check_placement("zeros", device, layout, pin_memory)
    _needs_size("zeros", shape, size)
    return _float_tensor(np.zeros(_shape("zeros", shape, size)), dtype, requires_grad)


def ones(*shape: int | tuple[int, ...], size: Any = None, dtype: Any = None,
         requires_grad: bool = False, device: Any = None,
         layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of ones (default float dtype)."""
    check_placement("ones", device, layout, pin_memory)
    _needs_size("ones", shape, size)
    return _float_tensor(np.ones(_shape("ones", shape, size)), dtype, requires_grad)


def _takes_a_tensor(factory: Any) -> Any:
    """A `*_like` factory refuses anything but a Tensor first, with PyTorch's TypeError."""
    @functools.wraps(factory)
    def checked(input: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{factory.__name__}(): argument 'input' must be a Tensor, not "
                            f"{type(input).__name__} (wrap it: tg.as_tensor(x))")
        return factory(input, *args, **kwargs)

    return checked


@_takes_a_tensor
def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False,
               device: Any = None, memory_format: Any = None,
               layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Zeros with `other`'s shape and (unless given) dtype."""
    return _made(np.zeros(other.shape, dtype=dtype or other.dtype), None, requires_grad,
                 device, "zeros_like", layout, pin_memory, (other, memory_format))


@_takes_a_tensor
def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False,
              device: Any = None, memory_format: Any = None,
              layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Ones with `other`'s shape and (unless given) dtype."""
    return _made(np.ones(other.shape, dtype=dtype or other.dtype), None, requires_grad,
                 device, "ones_like", layout, pin_memory, (other, memory_format))


def randn(*shape: int | tuple[int, ...], size: Any = None, generator: Any = None,
          dtype: Any = None, requires_grad: bool = False, device: Any = None,
          layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Samples from the standard normal distribution N(0, 1) (from `generator`, a
    tg.Generator or np.random.Generator, if given)."""
    check_placement("randn", device, layout, pin_memory)
    _needs_size("randn", shape, size)
    dtype = _float_dtype("randn", dtype)
    values = numpy_generator(generator).randn(_shape("randn", shape, size),
                                              dtype or get_default_dtype())
    return _float_tensor(values, dtype, requires_grad)


def _needs_size(op: str, shape: tuple, size: Any) -> None:
    """`rand()` / `randn()` without a size: PyTorch's TypeError (a 0-d draw is `rand(())`)."""
    if not shape and size is None:
        raise TypeError(f"{op}() missing 1 required positional argument: 'size' (a 0-d "
                        f"tensor is {op}(()))")


def rand(*shape: int | tuple[int, ...], size: Any = None, generator: Any = None,
         dtype: Any = None, requires_grad: bool = False, device: Any = None,
         layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Samples from the uniform distribution on [0, 1) (from `generator`, if given)."""
    check_placement("rand", device, layout, pin_memory)
    _needs_size("rand", shape, size)
    dtype = _float_dtype("rand", dtype)
    values = rng.uniform(numpy_generator(generator), 0.0, 1.0, _shape("rand", shape, size),
                         dtype or get_default_dtype())
    return _float_tensor(values, dtype, requires_grad)


def arange(start: float | None = None, end: float | None = None, step: float = 1, *,
           dtype: Any = None,
           requires_grad: bool = False, device: Any = None,
           layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Evenly spaced values in [start, end): int64 when start, end and step are all
    integers, else the default float dtype (PyTorch's rule). `arange(end=5)` works too."""
    check_placement("arange", device, layout, pin_memory)
    _refuse_bool("arange", dtype)
    if start is None and end is None:
        raise TypeError("arange() missing 1 required positional argument: 'end'")
    if end is None:
        start, end = 0, start
    start = 0 if start is None else start
    start, end, step = (_item(start, "arange", "start"), _item(end, "arange", "end"),
                        _item(step, "arange", "step"))
    for name, bound in (("start", start), ("end", end), ("step", step)):
        if isinstance(bound, (str, bytes)) or not isinstance(bound, numbers.Real):
            raise TypeError(f"arange(): argument '{name}' must be Number, not "
                            f"{type(bound).__name__}")
    if step == 0:
        raise TensorError("arange: step must be nonzero")
    if not all(map(math.isfinite, (start, end, step))):
        raise TensorError(f"arange: unsupported range: {start} -> {end} (step {step})")
    if (end - start) * step < 0:  # PyTorch refuses what NumPy makes an empty range
        raise TensorError(f"arange: upper bound and lower bound inconsistent with step sign "
                          f"(start={start}, end={end}, step={step})")
    if dtype is not None and np.dtype(dtype).kind in "iu":  # PyTorch 2.13 computes int64
        if np.dtype(dtype) == np.int64:  # ranges from the truncated bounds and step, other
            start, end, step = int(start), int(end), int(step)  # integer dtypes' length from
            if step == 0:  # the bounds as given (each value from the truncated start, step)
                raise TensorError("arange: step must be nonzero")
        count = max(math.ceil((end - start) / step), 0)
        if count and not -(2**63) <= int(start) + (count - 1) * int(step) < 2**63:
            raise TensorError(f"arange: the range {start} -> {end} (step {step}) does not fit "
                              f"in int64")
        values = int(start) + np.arange(count, dtype=np.int64) * int(step)
        return Tensor(values.astype(dtype), requires_grad=requires_grad)
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer, np.bool_)) for v in (start, end, step))
        dtype = np.int64 if integral else get_default_dtype()
    if np.dtype(dtype) in (np.float16, np.float32, np.float64):
        values = _float_range(float(start), float(end), float(step), np.dtype(dtype))
    else:
        values = np.arange(start, end, step)
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def _float_range(start: float, end: float, step: float, dtype: np.dtype) -> np.ndarray:
    """arange's float values as PyTorch's CPU kernel makes them, to the bit: in blocks of
    two 256-bit vectors (32 float16s, 16 float32s, 8 float64s), each vector's first value
    start + step * i and the others that value (rounded to dtype) + j * step, then the tail
    value by value from start; every a * b + c one fused rounding, in float64. Past 32768
    values PyTorch splits the range between its threads, each chunk laid out so: the chunks
    here follow `get_num_threads()`, so set both libraries' thread counts alike.)"""
    count = math.ceil((end - start) / step)
    lanes = 32 // dtype.itemsize
    # float16 accumulates in float32 (start, step and each a * b + c rounded to it first)
    accumulate = np.float32 if dtype == np.float16 else np.float64
    start, step = float(accumulate(start)), float(accumulate(step))
    index = np.arange(count, dtype=np.float64)
    lane = np.arange(lanes, dtype=np.float64)
    tasks = min(get_num_threads(), -(-count // 32768)) if count > 32768 else 1
    chunk = -(-count // max(tasks, 1))  # PyTorch's parallel_for: equal chunks per thread
    with np.errstate(over="ignore"):
        values = fused_multiply_add(step, index, start, count).astype(accumulate).astype(dtype)
        for begin in range(0, count, chunk):  # each chunk's vector blocks from its start
            blocked = begin + (min(count - begin, chunk) // (2 * lanes)) * 2 * lanes
            firsts = values[begin:blocked:lanes].astype(np.float64)
            values[begin:blocked] = fused_multiply_add(
                step, lane[None, :], firsts[:, None], lanes).astype(accumulate).reshape(-1)
    return values


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """The identity matrix (n x m, m defaults to n)."""
    check_placement("eye", device, layout, pin_memory)
    n = int_value("eye", "n", n)
    m = None if m is None else int_value("eye", "m", m)
    for name, count in (("n", n), ("m", m)):
        if count is not None and count < 0:  # PyTorch's words
            raise TensorError(f"eye: {name} must be greater or equal to 0, got {count}")
    return _float_tensor(np.eye(n, m), dtype, requires_grad)


# ----------------------------------------------------------------- PyTorch's other factories
def _made(array: np.ndarray, dtype: Any, requires_grad: bool, device: Any, op: str,
          layout: Any = None, pin_memory: bool = False, like: tuple = (None, None)) -> Tensor:
    """The new tensor of a factory, after PyTorch's checks of its placement keywords; a
    `*_like` factory passes `like`, (its input, memory_format), for the layout."""
    check_placement(op, device, layout, pin_memory)
    array = array if dtype is None else array.astype(dtype, copy=False)
    if like[0] is not None and not isinstance(like[0], Tensor):  # PyTorch's TypeError
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not "
                        f"{type(like[0]).__name__} (wrap it: tg.as_tensor(x))")
    if like[0] is not None:
        array = _laid_out_like(array, like[0]._data, like[1], op)
    return Tensor(array, requires_grad=requires_grad)


def _laid_out_like(array: np.ndarray, model: np.ndarray, form: Any, op: str) -> np.ndarray:
    """`array` (row-major) laid out as `form` says; preserve_format (None), as PyTorch: as
    `model` (its axes' order, without its gaps) unless elements of `model` overlap."""
    if form is not None and form is not preserve_format:
        return laid_out(array, form, op)
    if model.flags.c_contiguous or overlapping(model) or batch_innermost(model):
        return array
    result = np.empty_like(model, dtype=array.dtype)  # (NumPy's order "K")
    result[...] = array
    user_ordered(result)  # (batch innermost here: like a permute of yours, not contiguous)
    return result


def _layout_model(input: Any, form: Any) -> np.ndarray | None:  # noqa: A002
    """`input`'s array when a `*_like` result keeps its permuted strides (preserve_format on
    a transposed, gap-free input), so random draws fill it in memory order; else None."""
    if not isinstance(input, Tensor) or (form is not None and form is not preserve_format):
        return None
    return input._data if rng.permuted_dense(input._data) else None


def _fill_dtype(value: Any) -> Any:
    """PyTorch's dtype for a fill value: bool -> bool, int -> int64, float -> default."""
    if isinstance(value, (bool, np.bool_)):
        return np.bool_
    if isinstance(value, (int, np.integer)):
        return np.int64
    return get_default_dtype()


def full(size: int | tuple[int, ...], fill_value: Any, *, dtype: Any = None,
         requires_grad: bool = False, device: Any = None,
         layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of `size` with every element `fill_value`; the dtype follows the value as in
    PyTorch (True -> bool, 3 -> int64, 3.0 -> the default float) unless given."""
    check_fill("full", fill_value)
    size = _shape("full", (), size)
    value = fill_value.item() if isinstance(fill_value, Tensor) else _number(fill_value)
    dtype = np.dtype(dtype or _fill_dtype(value))  # (np.bool_ is a float there, as PyTorch)
    value = _scalar_for("full", value, dtype)  # PyTorch's range check; uint8 -1 is 255
    return _made(np.full(size, value, dtype=dtype), None, requires_grad, device, "full",
                 layout, pin_memory)


@_takes_a_tensor
def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None,
              requires_grad: bool = False, device: Any = None, memory_format: Any = None,
              layout: Any = None, pin_memory: bool = False) -> Tensor:
    """`fill_value` everywhere, with `input`'s shape and (unless given) dtype (a number the
    dtype cannot hold refused, a negative int wrapping into uint8, as PyTorch)."""
    check_fill("full_like", fill_value)
    target = np.dtype(dtype or input.dtype)
    value = _scalar_for("full_like", fill_value, target)
    return _made(np.full(input.shape, value, dtype=target), None, requires_grad, device,
                 "full_like", layout, pin_memory, (input, memory_format))


def empty(*shape: int | tuple[int, ...], size: Any = None, dtype: Any = None,
          requires_grad: bool = False, device: Any = None, memory_format: Any = None,
          layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of `size` whose values are unspecified (here: zeros, so never garbage), laid
    out as `memory_format` says (torch.channels_last: NHWC in memory)."""
    if memory_format is preserve_format:
        raise RuntimeError("empty: unsupported memory format torch.preserve_format (there is "
                           "no tensor to preserve the format of)")
    _needs_size("empty", shape, size)
    values = np.zeros(_shape("empty", shape, size), dtype=dtype or get_default_dtype())
    return _made(laid_out(values, memory_format, "empty") if memory_format else values, None,
                 requires_grad, device, "empty", layout, pin_memory)


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, requires_grad: bool = False,
                  device: Any = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A tensor of `size` whose elements lie `stride` elements apart in a new block of memory
    (zeros here), as PyTorch's: `empty_strided((2, 3), (1, 2)).stride()` is (1, 2)."""
    size, stride = _shape("empty_strided", (size,), None), tuple(stride)
    if len(stride) != len(size):  # PyTorch's words
        raise RuntimeError(f"empty_strided: dimensionality of sizes ({len(size)}) must match "
                           f"dimensionality of strides ({len(stride)}): size {size}, stride "
                           f"{stride}")
    if any(_size_entry("empty_strided", step, k) < 0 for k, step in enumerate(stride)):
        raise RuntimeError(f"empty_strided: Storage size calculation overflowed with sizes="
                           f"{list(size)} and strides={list(stride)} (strides must be "
                           f"non-negative)")
    dtype = np.dtype(dtype or get_default_dtype())
    reach = 1 + sum((n - 1) * step for n, step in zip(size, stride)) if all(size) else 0
    array = np.ndarray(size, dtype, buffer=np.zeros(reach, dtype),
                       strides=[step * dtype.itemsize for step in stride])
    user_ordered(array)  # (batch innermost: PyTorch's is not contiguous, no conv result)
    return _made(array, None, requires_grad, device, "empty_strided", layout, pin_memory)


@_takes_a_tensor
def empty_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
               device: Any = None, memory_format: Any = None,
               layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Like `empty`, with `input`'s shape and (unless given) dtype."""
    return _made(np.zeros(input.shape, dtype=dtype or input.dtype), None, requires_grad,
                 device, "empty_like", layout, pin_memory, (input, memory_format))


@_takes_a_tensor
def rand_like(input: Tensor, *, generator: Any = None, dtype: Any = None,
              requires_grad: bool = False, device: Any = None, memory_format: Any = None,
              layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Uniform [0, 1) samples with `input`'s shape and (unless given) dtype: a float one."""
    dtype = _float_dtype("rand_like", dtype or input.dtype)
    source, model = numpy_generator(generator), _layout_model(input, memory_format)
    if model is not None:  # (filled in memory order: PyTorch's empty_like keeps the strides)
        values = rng.in_memory_order(rng.uniform(source, 0.0, 1.0, (model.size,), dtype), model)
    else:
        values = rng.uniform(source, 0.0, 1.0, input.shape, dtype)
    return _made(values, dtype,
                 requires_grad, device, "rand_like", layout, pin_memory, (input, memory_format))


@_takes_a_tensor
def randn_like(input: Tensor, *, generator: Any = None, dtype: Any = None,
               requires_grad: bool = False, device: Any = None, memory_format: Any = None,
               layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Standard normal samples with `input`'s shape and (unless given) dtype: a float one."""
    dtype = _float_dtype("randn_like", dtype or input.dtype)
    source, model = numpy_generator(generator), _layout_model(input, memory_format)
    if model is not None:  # (a non-contiguous result: PyTorch's one-at-a-time normals)
        values = rng.in_memory_order(source.normals(model.size).astype(dtype), model)
    else:
        values = source.randn(input.shape, dtype)
    return _made(values, dtype, requires_grad,
                 device, "randn_like", layout, pin_memory, (input, memory_format))


def randint(*args: Any, size: Any = None, generator: Any = None, dtype: Any = None,
            requires_grad: bool = False, device: Any = None, low: int | None = None,
            high: int | None = None, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Integers uniform in [low, high): `randint(high, size)` or `randint(low, high, size)`
    (also as keywords; int64 unless `dtype` says otherwise)."""
    if high is not None:  # PyTorch's keywords: randint(low=0, high=3, size=(2,))
        args = (*args, *(() if low is None else (low,)), high)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        *args, size = args
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    if size is None:
        raise TypeError("randint: missing the size (a tuple)")
    low, high = int_bound("randint", "low", low), int_bound("randint", "high", high)
    if high <= low:
        raise TensorError(f"randint: high ({high}) must be greater than low ({low})")
    _check_range("randint", low, high - 1, dtype)
    shape = _shape("randint", (), size)  # (a negative size: PyTorch's RuntimeError)
    values = numpy_generator(generator).integers_from(low, high - low, shape,
                                                      np.int64 if dtype is None else dtype)
    return _made(values, dtype, requires_grad, device, "randint", layout, pin_memory)


def int_bound(op: str, argument: str, value: Any) -> int:
    """A bound of randint/random_ as a Python int: an int, a NumPy integer or a 0-d integer
    tensor; a float (5.0 too) or a bool is PyTorch's TypeError."""
    data = value._data if isinstance(value, Tensor) and value.ndim == 0 else value
    if isinstance(data, np.ndarray) and data.dtype.kind in "iu":
        return int(data)
    if isinstance(data, (int, np.integer)) and not isinstance(data, (bool, np.bool_)):
        return int(data)
    raise TypeError(f"{op}(): argument '{argument}' must be int, not {type(value).__name__}")


def _check_range(op: str, low: int, high: int, dtype: Any) -> None:
    """PyTorch refuses values the integer dtype cannot hold (randint(0, 300) as uint8 would
    wrap, randperm(300) as uint8 would repeat values)."""
    target = np.dtype(dtype) if dtype is not None else None
    if target is not None and target.kind == "b" and high >= low and not 0 <= low <= high <= 1:
        raise TensorError(f"{op}: values from {low} to {high} do not fit in bool (PyTorch: "
                          "from/to is out of bounds for bool)")
    if target is not None and target.kind in "iu" and high >= low and not (
            np.iinfo(target).min <= low and high <= np.iinfo(target).max):
        raise TensorError(f"{op}: values from {low} to {high} do not fit in {target}")


def randperm(n: int, *, generator: Any = None, dtype: Any = np.int64,
             requires_grad: bool = False, device: Any = None,
             layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64)."""
    n = int_value("randperm", "n", n)
    if n < 0:
        raise TensorError(f"randperm: n must be non-negative, got {n}")
    if dtype is not None and np.dtype(dtype).kind == "b":
        raise DtypeError("randperm: not implemented for bool (as PyTorch); use int64")
    _check_range("randperm", 0, n - 1, dtype)
    values = numpy_generator(generator).randperm(n)
    return _made(values, dtype, requires_grad, device, "randperm", layout, pin_memory)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False, device: Any = None,
             layout: Any = None, pin_memory: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (the default float dtype).

    float32 and float64 values are PyTorch's to the bit: its CPU kernel's formula (the first
    half counted up from start, the second down from end, one rounding per value) rather than
    NumPy's, which differs in the last bit (`linspace(-1, 1, 7)[3]` is -2.98e-08 there).
    """
    steps = int_value("linspace", "steps", steps)
    target = np.dtype(dtype or get_default_dtype())
    if steps > 1:  # (one value or none is made without a kernel, as PyTorch's)
        _refuse_bool("linspace", target)
    _check_bounds("linspace", start, end, steps, target)
    start, end = float(_item(start, "linspace", "start")), float(_item(end, "linspace", "end"))
    if steps < 0:
        raise TensorError(f"linspace: number of steps must be non-negative, got {steps}")
    if target in (np.float32, np.float64) and steps > 1:
        first, last = target.type(start), target.type(end)  # one rounding per value (a
        step = (last - first) / target.type(steps - 1)  # fused multiply-add, as its kernel)
        index, half = np.arange(steps, dtype=np.float64), steps // 2
        with np.errstate(invalid="ignore", over="ignore"):  # an inf bound: NaN, as PyTorch
            values = np.concatenate([
                fused_multiply_add(step, index[:half], first, steps).astype(target),
                fused_multiply_add(-step, steps - 1 - index[half:], last,
                                   steps).astype(target)])
    elif target == np.float16 and steps > 1:
        values = _half_linspace(start, end, steps)
    elif target.kind in "iu" and steps > 1:  # float64's values from the truncated bounds
        first, last = (_wrapped(bound, target) for bound in (start, end))  # (uint8's -1: 255)
        values = linspace(first, last, steps, dtype=np.float64).numpy()  # truncated
    else:
        values = np.linspace(start, end, steps)
    return _made(values, target, requires_grad, device, "linspace", layout, pin_memory)


def _check_bounds(op: str, start: Any, end: Any, steps: int, target: np.dtype) -> None:
    """PyTorch's RuntimeError for a range bound the dtype cannot hold (300 or -9.0 for uint8,
    1e5 for float16; an int -1 wraps in uint8); one step checks start alone, none neither."""
    for bound in (_item(start, op, "start"), _item(end, op, "end"))[:min(steps, 2)]:
        if type(bound) in (int, float) and target.kind in "iuf":
            _scalar_for(op, bound, target)


def _half_linspace(start: float, end: float, steps: int) -> np.ndarray:
    """linspace's float16 values as PyTorch's kernel makes them: every operation a float16
    one (computed in float32, rounded to float16), the first half counted from start, the
    rest back from end."""
    half, wide = np.float16, np.float32
    with np.errstate(over="ignore", invalid="ignore"):
        first, last = half(wide(start)), half(wide(end))  # (a double becomes float first)
        difference = half(wide(last) - wide(first))
        step = wide(half(wide(difference) / wide(half(steps - 1))))
        counts = np.arange(steps).astype(half).astype(wide)
        back = np.arange(steps - 1, -1, -1).astype(half).astype(wide)
        up = (wide(first) + (step * counts).astype(half).astype(wide)).astype(half)
        down = (wide(last) - (step * back).astype(half).astype(wide)).astype(half)
    return np.concatenate([up[:steps // 2], down[steps // 2:]])


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             requires_grad: bool = False, device: Any = None,
             layout: Any = None, pin_memory: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    if int(steps) > 1:
        _refuse_bool("logspace", dtype)
    if int(steps) < 0:
        raise TensorError(f"logspace: number of steps must be non-negative, got {steps}")
    target = np.dtype(dtype or get_default_dtype())
    start, end, steps = _item(start, "logspace", "start"), _item(end, "logspace", "end"), int(
        steps)
    _check_bounds("logspace", start, end, steps if steps > 1 else 0, target)  # (one: pow)
    integer = target.kind in "iu"  # PyTorch's bounds in the integer dtype (truncated)
    first, last = (target.type(_wrapped(bound, target) if integer else bound)
                   for bound in (start, end))
    if steps > 1:  # PyTorch's kernel: exponents counted up from start for the first half,
        span = int(last) - int(first) if integer else last - first  # (C++ int arithmetic)
        step = float(span) / (steps - 1)  # down from end for the rest, in float64
        index, half = np.arange(steps, dtype=np.float64), steps // 2
        exponents = np.concatenate([float(first) + step * index[:half],
                                    float(last) - step * (steps - 1 - index[half:])])
    else:
        exponents = np.full(steps, float(start))
    values = np.array([_c_pow(float(base), exponent) for exponent in exponents.tolist()])
    with np.errstate(over="ignore", invalid="ignore"):  # past the dtype's range: inf, as
        values = values.astype(np.float32 if target == np.float16 else target)  # PyTorch's
        values = values.astype(target)  # (float16 through float32, as PyTorch's)
    return _made(values, target, requires_grad, device, "logspace", layout, pin_memory)


def _wrapped(bound: float, target: np.dtype) -> int:
    """A range bound truncated into an integer dtype, wrapping as C's cast (uint8's -1 is
    255), as PyTorch's kernels read it."""
    return int(np.array(int(bound), dtype=np.int64).astype(target))


def _c_pow(base: float, exponent: float) -> float:
    """C's pow, which PyTorch calls (NumPy's vectorised power can differ in the last bit):
    an overflow is inf, a negative base to a fractional power NaN."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and exponent % 2 == 1 else math.inf
    except ValueError:
        return math.nan


def _refuse_bool(op: str, dtype: Any) -> None:
    """PyTorch has no bool kernel for the ranges (arange, linspace, logspace)."""
    if dtype is not None and np.dtype(dtype) == np.bool_:
        raise DtypeError(f"{op}: not implemented for bool, as in PyTorch; make the range in "
                         f"an integer dtype and compare it (`arange(n) > 0`)")


def _item(value: Any, op: str, name: str) -> Any:
    """A Number argument: a 0-d tensor or array as its value; one with dims is PyTorch's
    TypeError (linspace/logspace: its RuntimeError for a tensor), not unwrapped silently."""
    if isinstance(value, (Tensor, np.ndarray)) and value.ndim:
        if isinstance(value, Tensor) and op in ("linspace", "logspace"):
            raise TensorError(f"{op} only supports 0-dimensional start and end tensors, but "
                              f"got {name} of shape {value.shape}")
        raise TypeError(f"{op}(): argument '{name}' must be Number, not "
                        f"{type(value).__name__} of shape {tuple(value.shape)}")
    return value.item() if isinstance(value, (Tensor, np.ndarray, np.generic)) else value
