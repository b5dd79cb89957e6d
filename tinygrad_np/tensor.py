"""`Tensor`: a NumPy array that remembers how it was computed.

A Tensor holds `._data` (an np.ndarray) and, when it came out of an op that needs a gradient,
`.grad_fn`: the op's node in the graph (see `function.Function`). `.backward()` walks those
nodes back to the leaves (tensors made with `requires_grad=True`) and fills their `.grad`.

Every method below is a thin call to one op in `tinygrad_np/ops/`, where the forward and the
backward of that op sit side by side. Names and semantics follow PyTorch.
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
import operator
import re
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from tinygrad_np import return_types, xp
from tinygrad_np._decorate import flag
from tinygrad_np.dtypes import (
    _BY_NUMPY as _TORCH_DTYPES,
    _SCALAR_TYPES,
    WIDER_ACCUMULATOR,
    _check_int64 as _check_int_operand,
    cast_operand,
    dtype as torch_dtype_class,
    get_default_dtype,
    promoted_operands,
    result_dtype,
    wrapped_int,
)
from tinygrad_np.errors import (  # noqa: F401
    AutogradBypass,
    DataError,
    DtypeError,
    IndexOutOfBounds,
    IntegerOverflowError,
    TensorError,
    broadcast_mismatch,
    op_error,
)
from tinygrad_np.printing import tensor_text

Axis = int | tuple[int, ...] | None


def _sized(op: str, shape: tuple, keyword: dict, name: str = "shape") -> tuple:
    """The positional sizes, or PyTorch's keyword spelling (`view(size=...)`,
    `reshape(shape=...)`, `repeat(repeats=...)`): one of the two; neither is PyTorch's
    TypeError (`x.reshape()`; `x.reshape(())` is a shape)."""
    if not keyword:
        if shape:
            return shape
        raise TypeError(f"{op}() missing 1 required positional argument: '{name}'")
    values = [keyword.pop(key) for key in ("size", name) if key in keyword]  # (not both)
    value = values[0] if len(values) == 1 else None
    if keyword or value is None or shape:
        spelled = "size=" if name == "size" else f"size=/{name}="
        raise TypeError(f"{op}: pass the sizes positionally or as {spelled}, got "
                        f"{sorted(keyword) or 'both'}")
    return (tuple(value),) if isinstance(value, (tuple, list)) else (value,)


def _shape_args(shape: tuple) -> tuple[int, ...]:
    """Accept both `f(2, 3)` and `f((2, 3))`."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _new_size(op: str, size: tuple, kwargs: dict) -> tuple:
    """The shape of `x.new_ones(2, 3)`, `x.new_ones((2, 3))` or `x.new_ones(size=(2, 3))`."""
    if kwargs.keys() - {"size"}:
        raise TypeError(f"{op}: unexpected keyword arguments {sorted(kwargs.keys() - {'size'})}")
    if "size" in kwargs:
        if size:
            raise TypeError(f"{op}: got the size both positionally {size} and as size=")
        size = (kwargs["size"],)
    return _non_negative(op, _shape_args(size))


def _non_negative(op: str, shape: tuple) -> tuple:
    """A shape to make, with PyTorch's RuntimeError for a negative size (NumPy's: ValueError)."""
    if any(isinstance(n, (int, np.integer)) and n < 0 for n in shape):
        raise TensorError(f"{op}: Trying to create tensor with negative dimension: "
                          f"{list(shape)}")
    return shape


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert user data to an ndarray with PyTorch's dtype rules (see Tensor)."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    elif isinstance(data, bool):
        array = np.asarray(data)
    elif isinstance(data, int):
        if not -(2**63) <= data < 2**63:  # PyTorch's ValueError unless a float dtype is asked
            _check_int64(data, dtype)
            return np.asarray(float(data), dtype=dtype)
        array = np.asarray(data, dtype=np.int64)
    elif isinstance(data, float):  # (a dtype given: via float64, so 2**31 - 1 and 0.7 are exact)
        wide = dtype is not None and np.dtype(dtype).kind in "iubf"
        with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, as PyTorch
            array = np.asarray(data, dtype=np.float64 if wide else get_default_dtype())
    else:
        if isinstance(data, (str, bytes, dict, set, frozenset)) or hasattr(data, "__next__"):
            raise DataError(f"tensor: could not infer the dtype of {type(data).__name__} "
                            "(data is numbers, nested lists or tuples of them, or an array)")
        if type(data) is bytearray:  # a sequence of ints (int64), as PyTorch: not a buffer
            data = list(data)
        try:
            array = np.asarray(_unwrap_nested(data, scalars=True))
        except TensorError:
            raise
        except ValueError as error:  # a ragged list: PyTorch's message names the dim
            raise DataError(_ragged(data) or str(error)) from None
        if array.dtype == object or array.dtype.kind in "fu" and array.size and (
                abs(float(array.max())) >= 2.0**63 or float(array.min()) < -(2.0**63)):
            _check_int64(data, dtype)  # NumPy's float64 or uint64 for ints past int64
            if array.dtype == object:  # such ints among floats: a float tensor, as PyTorch
                if any(item is None for item in array.flat):  # (NumPy would make it NaN)
                    raise DtypeError("tensor: could not infer the dtype of None in the data")
                try:
                    array = array.astype(np.float64)
                except (TypeError, ValueError):
                    pass  # not numbers: the TypeError below
        typed = _listed_dtype(data) if dtype is None and array.dtype.kind in "biuf" else None
        if typed is not None:  # NumPy values and tensors in the list carry their dtype, as
            array = array.astype(typed, copy=False)  # PyTorch reads them ([np.float64(1.5)])
        elif array.dtype.kind == "f" and dtype is None:
            with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, as PyTorch
                array = array.astype(get_default_dtype())
        # Integers become int64 as in PyTorch; uint8 stays, so image data stays compact.
        elif array.dtype.kind in "iu" and array.dtype != np.uint8:
            if not (array.dtype == np.uint64 and array.max() > np.iinfo(np.int64).max):
                array = array.astype(np.int64)
    if array.dtype.kind not in "biuf":  # PyTorch's words for an array (complex: none here)
        raise DataError(f"Tensor: data must be numeric (bool, int or float), not "
                        f"{array.dtype}: can't convert np.ndarray of type numpy."
                        f"{array.dtype.type.__name__}. The only supported types are: float64, "
                        f"float32, float16, int64, int32, int16, int8, uint64, uint32, uint16, "
                        f"uint8, and bool.")
    if array.dtype.itemsize > 8:  # float128: PyTorch's TypeError (no such tensor dtype)
        raise DataError(f"Tensor: can't convert an array of type {array.dtype}; the floating "
                        "types are float16, float32 and float64 (use .astype(np.float64))")
    if not array.dtype.isnative:  # big-endian data ('>f4'): native order, as PyTorch's dtypes
        array = array.astype(array.dtype.newbyteorder("="))
    if dtype is not None:
        if array.dtype == np.float64 and np.dtype(dtype) == np.float16 and not isinstance(
                data, Tensor):  # PyTorch's double -> Half goes through float: rounded twice
            with np.errstate(over="ignore"):
                array = array.astype(np.float32)
        if not isinstance(data, (Tensor, np.ndarray, np.generic)) and array.size:
            _check_int_range(array, np.dtype(dtype))
            with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, as PyTorch
                return array.astype(dtype, copy=False)
        if array.dtype.kind == "f" and array.dtype.itemsize > np.dtype(dtype).itemsize:
            with np.errstate(over="ignore", invalid="ignore"):  # (an array's 1e200 too)
                return array.astype(dtype)
        if array.dtype.kind != "f" or np.dtype(dtype).kind == "f":
            return array.astype(dtype, copy=False)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN into an integer: as
            array = array.astype(dtype, copy=False)  # PyTorch's, without NumPy's warning
    return array


def to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """`x` as a Tensor for a function that takes tensors or plain data: data follows
    `tensor()`'s dtype rules (Python ints int64, arrays keep theirs), not the legacy
    `Tensor([1, 2])` (float32) or `Tensor(3)` (three elements)."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x if isinstance(x, np.ndarray) else _to_array(x, dtype), dtype=dtype)


_INT_RANGE: dict[np.dtype, tuple[int, int]] = {}  # the Python numbers each integer dtype takes


def _check_int_range(array: np.ndarray, target: np.dtype) -> None:
    """PyTorch's refusal of Python numbers that an integer dtype cannot hold (int32 2**31,
    uint8 256, 1e10 or NaN as int32) rather than NumPy's silent wrap; like PyTorch, an
    unsigned type takes negative ints down to -max (uint8 -1 is 255), not negative floats."""
    if target.kind not in "iu" or array.dtype.kind not in "iuf" or (
            array.dtype.kind != "f" and np.can_cast(array.dtype, target)):
        return
    if target not in _INT_RANGE:
        info = np.iinfo(target)
        _INT_RANGE[target] = (-int(info.max) if target.kind == "u" else int(info.min),
                              int(info.max))
    low, high = _INT_RANGE[target]
    low = 0 if array.dtype.kind == "f" and target.kind == "u" else low  # (a float: no wrap)
    if array.dtype.kind != "f" and array.min() >= low and array.max() <= high:
        return
    with np.errstate(invalid="ignore"):
        bad = array[~((array >= low) & (array <= high))]  # NaN fails both
    if bad.size:
        raise IntegerOverflowError(f"Tensor: value {bad.flat[0]} cannot be converted to type "
                                   f"{target} without overflow (as PyTorch)")


EMPTY_INPUTS = "`inputs` argument to `backward()` cannot be empty (leave it None for every leaf)"


def _float_only(op: str, tensor: Tensor) -> None:
    """PyTorch's refusal of an integer or bool input to an op defined for floats only
    (`mean`, `var`, `std`, `norm`): it would have to guess the result's dtype."""
    if tensor._data.dtype.kind not in "fc":
        words = "std and var only support floating point and complex dtypes" if op in (
            "std", "var") else (f"{op}(): could not infer output dtype. Input dtype must be "
                                f"either a floating point or complex dtype. Got: "
                                f"{_SCALAR_TYPES.get(tensor.dtype.name, tensor.dtype.name)}")
        raise TensorError(f"{words} ({op}() of a {tensor.dtype.name} tensor: convert it first, "
                          f"e.g. x.float().{op}(...) or pass dtype=)")


def _check_nonempty(op: str, tensor: Tensor, dims: Any) -> None:
    """PyTorch's errors for a max, min or arg-extreme over nothing: with no dim a
    RuntimeError (an IndexError for argmax/argmin), along an empty dim an IndexError."""
    if tensor._data.size:
        return
    if dims is None:
        error = IndexError if op.startswith("arg") else TensorError
        raise error(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                    f"Specify the reduction dim with the 'dim' argument. (shape "
                    f"{tensor.shape})")
    for dim in (dims,) if isinstance(dims, (int, np.integer)) else dims:
        if tensor.ndim and tensor.shape[dim] == 0:
            raise IndexOutOfBounds(f"{op}(): expected reduction dim {dim} to have non-zero "
                                   f"size (shape {tensor.shape})")


def _wide_int(tensor: Tensor) -> Tensor:
    """A sum's or a product's input: bool and every integer dtype widened to int64, as
    PyTorch's sums of any integer dtype are int64 (a dtype= asked for is kept instead)."""
    dtype = tensor._data.dtype
    return tensor.astype(np.int64) if dtype.kind in "biu" and dtype != np.int64 else tensor


def _floats_in(a: Any, b: Any, op: str = "this op") -> tuple[Any, Any]:
    """Two operands of a float-only op, each tensor cast first to PyTorch's result dtype (the
    default float one for integers; a 0-d tensor follows an n-d one, a NumPy scalar is a
    Python number), so that float64's log of a uint8, int16 or float32 operand is not NumPy's
    float16 or float32 one."""
    for value in (a, b):
        if value is None or isinstance(value, (str, bytes)):  # (not NumPy's ufunc message)
            raise TypeError(f"{op}(): expected a Tensor or a number as operand, got "
                            f"{type(value).__name__}")
    a, b = _number(a), _number(b)
    target = result_dtype(_data(a), _data(b))
    if target is None:
        return _float_in(a), _float_in(b)
    if target.kind != "f":
        target = get_default_dtype()
    return tuple(_cast_tensor(x, _float_operand(_data(x), target)) for x in (a, b))


def _float_operand(value: Any, target: np.dtype) -> Any:
    """cast_operand, bool arrays included: NumPy's atan2 or log of two bools is float16."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "b":
        return value.astype(target)
    return cast_operand(value, target)


def _float_in(x: Any) -> Any:
    """A bool or integer tensor as the default float dtype before a float-only op, as
    PyTorch casts it first: NumPy would compute exp, log, sin, ... of one-byte types in
    float16 (exp(True) = 2.71875) and of wider ones in float64 (1 / int64 16777217 is then
    not PyTorch's 1 / 16777216.0, rounded). Anything else as it is."""
    if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
        return x.astype(get_default_dtype())
    return x


def int_arg(value: Any, kinds: str = "iu") -> Any:
    """A 0-d integer tensor where PyTorch takes an int (`x.chunk(torch.tensor(2))`,
    `torch.polygamma(torch.tensor(1), x)`) as that int; anything else as it is. A dim also
    takes a 0-d bool tensor (`kinds="iub"`), as PyTorch's (`x.sum(torch.tensor(True))` is
    `x.sum(1)`)."""
    if isinstance(value, Tensor) and not value._data.ndim and value._data.dtype.kind in kinds:
        return int(value._data)
    return value


def int_value(op: str, name: str, value: Any) -> int:
    """An int argument (a Python or NumPy int, or a 0-d integer tensor); a float is PyTorch's
    TypeError, not truncated (`select(1, 1.5)`, `kthvalue(1.5)`, `linspace(0, 1, 2.5)`)."""
    value = int_arg(value)
    if not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return int(value)


def int_tuple(value: Any, name: str = "an argument") -> tuple:
    """An int, an integer (or bool) tensor of one element (PyTorch's int lists take
    `tensor([1])`) or a sequence of ints and 0-d integer tensors (dims, shifts) as a tuple of
    its items."""
    if isinstance(value, (int, np.integer)):
        return (value,)
    if isinstance(value, Tensor):
        if value._data.size == 1 and value._data.dtype.kind in "iub":
            return (int(value._data.reshape(())),)
        raise TypeError(f"expected an int or a sequence of ints, got a {value.dtype.name} tensor "
                        f"of "
                        f"shape {value.shape}")
    if not isinstance(value, (tuple, list, range, np.ndarray, Size)):  # (1.5, None, 'a')
        raise TypeError(f"{name} must be an int or a tuple of ints, not {type(value).__name__}")
    return tuple(int_arg(item, "iub") for item in value)


def check_dim(op: str, dim: Any, ndim: int) -> int:
    """`dim` as a non-negative axis of an `ndim`-dimensional tensor, or PyTorch's IndexError
    naming the op, the dim and the valid range (a 0-d tensor takes dims -1 and 0)."""
    size = ndim or 1
    if type(dim) is int and -size <= dim < size:  # the common case, first
        return dim % size
    dim = int_arg(dim, "iub")
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, (bool, np.bool_)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -size <= dim < size:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-size}, {size - 1}], but got {dim})")
    return int(dim) % size


def _check_int64(data: Any, dtype: Any) -> None:
    """Raise when nested data of Python ints holds one outside int64 (NumPy would silently
    make the whole array float64 or uint64), unless a float dtype was asked for or a float
    among the data makes it a float tensor anyway (as PyTorch)."""
    if dtype is not None and np.dtype(dtype).kind == "f":
        return
    stack, too_big = [data], None
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (float, np.floating)):
            return
        elif isinstance(item, int) and not isinstance(item, bool) and not (
                -(2**63) <= item < 2**63):
            too_big = item
    if too_big is not None:
        raise IntegerOverflowError(f"Tensor: the integer {too_big} does not fit in int64 (as "
                                   "PyTorch: Overflow when unpacking long long)")


_PLAIN = {float, int, bool, list, tuple}


def _is_dtype(value: Any) -> bool:
    try:
        return not isinstance(value, str) and np.dtype(value).kind in "biuf"
    except TypeError:
        return False


def _is_size(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _listed_dtype(data: Any) -> np.dtype | None:
    """The dtype PyTorch gives a nested list holding NumPy values or tensors (each counts with
    its dtype; Python floats as the default float, ints as int64): floats win over integers,
    the widest float, else NumPy's promotion of the integers. None for plain Python numbers."""
    found, plain, stack = set(), set(), [data]
    while stack:
        items = stack.pop()
        kinds = set(map(type, items))
        plain |= kinds & {float, int, bool}
        if kinds & {list, tuple}:
            stack.extend(item for item in items if type(item) in (list, tuple))
        if kinds - _PLAIN:
            found |= {(item._data if isinstance(item, Tensor) else item).dtype for item in items
                      if isinstance(item, (Tensor, np.generic, np.ndarray))}
    if not found:
        return None
    found |= {np.dtype(get_default_dtype() if kind is float else np.int64 if kind is int
                       else np.bool_) for kind in plain}
    floats = [dtype for dtype in found if dtype.kind == "f"]
    return max(floats, key=lambda dtype: dtype.itemsize) if floats else np.result_type(*found)


def _ragged(data: Any, dim: int = 0) -> str | None:
    """Where nested lists stop being rectangular, in PyTorch's words."""
    items = [item for item in data if isinstance(item, (list, tuple))]
    if not items:
        return None
    lengths = [len(item) if isinstance(item, (list, tuple)) else None for item in data]
    if len(set(lengths)) > 1:
        bad = next(n for n in lengths if n != lengths[0])
        return (f"expected sequence of length {lengths[0]} at dim {dim + 1} (got {bad})"
                if bad is not None and lengths[0] is not None else
                f"a number and a sequence mixed at dim {dim + 1}")
    return next((found for item in items if (found := _ragged(item, dim + 1))), None)


def _unwrap_nested(data: Any, scalars: bool = False) -> Any:
    """Lists may hold Tensors (`[t1, t2]`); take their arrays (with `scalars`, as `tensor()`
    reads them: each one a number, so `[tensor([1.]), tensor([2.])]` has shape (2,), and one
    of several elements is PyTorch's ValueError)."""
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(item, scalars) for item in data]
    if not isinstance(data, Tensor):
        return data
    if scalars and data._data.size != 1:
        raise TensorError(f"tensor: a tensor inside the data must have one element (it is "
                          f"read as a number, as PyTorch), got shape {data.shape}; use "
                          f"torch.stack to join tensors")
    return data._data.reshape(()) if scalars else data._data


def _dim_or_other(op: str, positional: Any, dim: Any, other: Any) -> Any:
    """max/min's first argument: positional (a dim, or a tensor as `other`), `dim=` (a 0-d
    integer tensor there is a dim, as PyTorch's) or `other=`."""
    if dim is not None:
        if positional is not None:
            raise TypeError(f"{op}() got multiple values for argument 'dim'")
        return int(dim) if isinstance(dim, Tensor) else dim
    return positional if other is None else other


def _index_error(error: IndexError, index: Any, shape: tuple[int, ...]) -> IndexError:
    """NumPy's IndexError in PyTorch's words (`_index_message`); too many indices name the
    tensor's dimension, and an int or slice on a 0-d tensor says what PyTorch says."""
    text, ndim = str(error), len(shape)
    if not text.startswith("too many indices for array"):
        return IndexError(_index_message(text, shape, index))
    if ndim == 0 and isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                          "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
                          if index == 0 else
                          f"index {index} is out of bounds for dimension 0 with size 0")
    if ndim == 0 and isinstance(index, slice):
        return IndexError("slice() cannot be applied to a 0-dim tensor.")
    return IndexError(f"too many indices for tensor of dimension {ndim}")


def _index(index: Any, ndim: int) -> Any:  # (ndim: the tensor's, for _spelled_out)
    """Tensors inside an index become their arrays (an integer Tensor works as an index); a
    0-d integer Tensor acts as an int, as in PyTorch (a view, where NumPy would copy)."""
    if isinstance(index, (Tensor, np.ndarray)):
        return _index_part(index)
    if isinstance(index, slice):
        return _positive_step(index)
    if isinstance(index, tuple):
        key = tuple(_index_part(part) if isinstance(part, (Tensor, np.ndarray)) else
                    _positive_step(part) if isinstance(part, slice) else
                    _not_numpy_bool(part) if type(part) is np.bool_ else part for part in index)
        return _spelled_out(key, ndim) if len(key) > 2 else key  # (2 arrays and an `...`)
    if isinstance(index, list):
        if len(index) < 32 and not set(map(type, index)) <= {int, bool} and any(  # (ints:
                part is None or part is Ellipsis or isinstance(  # one index array, at once)
                    part, (list, tuple, slice, Tensor, np.ndarray)) for part in index):
            return _index(tuple(index), ndim)  # PyTorch's legacy rule: the tuple of its parts
        array = np.asarray(_unwrap_nested(index))
        return array.astype(np.int64) if array.size == 0 else _index_part(array)  # x[[]]: empty
    return _not_numpy_bool(index) if type(index) is np.bool_ else index


def _not_numpy_bool(part: Any) -> Any:
    """A NumPy bool scalar is no index in PyTorch (a Python bool or a bool tensor is)."""
    if isinstance(part, np.bool_):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         "tensors are valid indices (got numpy.bool)")
    return part


def _positive_step(part: slice) -> slice:
    """A slice of an index: PyTorch refuses negative steps (use flip)."""
    if part.step is not None and part.step <= 0:  # (operator.index: a 0-d Tensor step too)
        raise ValueError(f"step must be greater than zero, got {part.step} (for a reversed "
                         "order use .flip(dim))")
    return part


_INDEX_DTYPES = tuple(map(np.dtype, (np.int64, np.int32, np.uint8, np.bool_)))


def _index_part(part: Tensor | np.ndarray) -> Any:
    """An index tensor's or array's values: a copy, which the op may keep for its backward (a
    later in-place change of the caller's index must not move the gradient). A uint8 tensor
    is a mask, as in PyTorch (its deprecated spelling of a bool mask)."""
    array = part._data if isinstance(part, Tensor) else part
    if array.dtype.kind == "f" and not isinstance(part, Tensor):  # PyTorch reads a NumPy
        array = array.astype(np.int64)  # array as a sequence: its floats truncated to ints
    if array.dtype.kind not in "biu" or (isinstance(part, Tensor) and array.ndim and
                                         array.dtype not in _INDEX_DTYPES):
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors, "
                         f"got {array.dtype}")
    if array.dtype == np.uint8:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=4)
        return array != 0
    return int(array) if array.ndim == 0 and array.dtype.kind in "iu" else array.copy()


def given_gradients(gradients: Any) -> None:
    """PyTorch's TypeError for a gradient passed as a number (`backward(2.0)`, `grad(y, x,
    [1.0])`): gradients are Tensors (NumPy arrays are taken here too) or None."""
    for gradient in gradients if isinstance(gradients, (list, tuple)) else (gradients,):
        if isinstance(gradient, (int, float, complex, np.generic)):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(gradient).__name__}")


def given_backward_gradient(gradient: Any) -> Any:
    """backward()'s `gradient` as it takes it (a sequence of one is its item, as in PyTorch),
    or PyTorch's TypeError (its shape is checked against the output's by the engine)."""
    if isinstance(gradient, (list, tuple)) and len(gradient) == 1:
        gradient = gradient[0]
    given_gradients(gradient)
    if isinstance(gradient, (list, tuple, str, bytes)):
        raise TypeError(f"backward: gradient must be a Tensor or None, got "
                        f"{type(gradient).__name__}")
    return gradient


def given_inputs(inputs: list) -> None:
    """PyTorch's error for an `inputs=` entry of backward() or grad() that is not a Tensor."""
    for tensor in inputs:
        if not isinstance(tensor, Tensor):
            raise RuntimeError("all inputs have to be Tensors or GradientEdges, but got "
                               f"{type(tensor).__name__}")


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


_NARROW_FLOATS = (np.dtype(np.float16), np.dtype(np.float32))


def _rounded_once(formula: Callable[..., Tensor], *operands: Any) -> Tensor:
    """formula(*operands), with a float32 result computed in float64 and a float16 one in
    float32 (PyTorch's opmath: its numbers in float32 too), rounded once at the end (a fused
    op's one rounding: no overflow or inf - inf in between)."""
    from tinygrad_np.functions import _result_type  # (as _pointwise_operands)

    dtype = _result_type(*operands)
    if dtype not in _NARROW_FLOATS:
        return formula(*operands)
    wider = np.float32 if dtype is _FLOAT16 else np.float64
    wide = [o.to(wider) if isinstance(o, Tensor) else
            np.asarray(o, wider) if isinstance(o, np.ndarray) else o for o in operands]
    return formula(*wide).to(dtype)


def _without_leading_ones(value: Any, shape: tuple, index: Any) -> Any:
    """A value written at `index` without the leading size-1 dims it has beyond the indexed
    part's (`x[i] = tensor([9.])` for a 1-D x), as PyTorch drops them."""
    target = np.broadcast_to(np.zeros((), np.int8), shape)[index]  # (a view, or a small copy)
    extra = value.ndim - np.ndim(target)
    if extra > 0 and all(size == 1 for size in value.shape[:extra]):
        return value.reshape(value.shape[extra:])
    return value


# Tools above the engine that Tensor methods hand over to (`t.draw_graph()`, Jupyter's
# display) register themselves here when imported: the engine imports none of them.
tool_hooks: dict[str, Any] = {}


def scaled(other: Any, alpha: float, like: np.ndarray) -> Any:
    """alpha * other for add/sub (alpha is not 1), `other` cast to the result's dtype first
    as PyTorch does; a float alpha with integer operands is refused."""
    dtype = getattr(other, "dtype", None)
    if isinstance(alpha, float) and like.dtype.kind in "biu" and (dtype is None or
                                                                  dtype.kind in "biu"):
        raise TensorError(f"add/sub: for integral input tensors, argument alpha must not be "
                          f"a floating point number (got {alpha})")
    if like.dtype.kind == "b" and dtype is not None and dtype.kind == "b":
        return other & bool(alpha)  # bool + bool * alpha stays bool, as PyTorch
    other = _number(other)
    if type(other) is bool and like.dtype.kind == "b":  # a bool result: alpha is a bool too
        return other and bool(alpha)
    if isinstance(other, (int, float)):  # a number: scaled as a number (uint8 - 2 * 200 wraps)
        return _operand(other * alpha, like)
    target = result_dtype(like, _data(other))  # the operand cast to the result dtype first
    if target is not None:  # (an int8 `other` beside int32 self must not wrap: 100 * 3 is 300)
        cast = cast_operand(_data(other), target)
        cast = cast if cast.dtype == target else cast.astype(target)  # (bools too: 2 * True)
        other = _cast_tensor(other, cast) if isinstance(other, Tensor) else cast
    return other * alpha if isinstance(other, Tensor) else np.multiply(_data(other), alpha)


def float_scalar_first(value: Any, other: Any) -> Tensor:
    """A Python number before a tensor in a float op (`torch.xlogy(0.5, t)`) as a 0-d tensor
    of the float dtype PyTorch computes in: a weak scalar, so a float16 `other` stays
    float16. Anything else as to_tensor makes it."""
    number = _number(value)
    if not isinstance(other, Tensor) or type(number) not in (bool, int, float):
        return to_tensor(value)
    dtype = result_dtype(number, other._data)
    return Tensor(np.asarray(number, dtype if dtype.kind == "f" else get_default_dtype()))


def float_operands(op: str, tensor: Tensor, other: Any) -> Tensor:
    """`other` (a Tensor, as tensor_operand) for an op with float kernels only (hypot,
    igamma, nextafter): two integer or bool tensors are PyTorch's NotImplementedError."""
    other = tensor_operand(op, other)
    if tensor._data.dtype.kind not in "fc" and other._data.dtype.kind not in "fc":
        raise DtypeError(f"{op}: not implemented for {tensor._data.dtype} and "
                         f"{other._data.dtype} tensors (as PyTorch); convert one with .float()")
    return other


_BOOL = np.dtype(np.bool_)


def refuse_bool(op: str, tensor: Tensor, error: type = DtypeError) -> None:
    """PyTorch's refusal of a bool tensor in an op with no bool kernel (floor, median, topk,
    matmul, ...: NotImplementedError; argmax: RuntimeError). Callers test `dtype is _BOOL`
    first where the check is on a hot path."""
    if tensor._data.dtype is _BOOL:
        raise error(f"{op}: not implemented for bool tensors (as PyTorch); convert with "
                    f".long() or .float() first")


def refuse_bool_median(op: str, tensor: Tensor, dim: Any) -> None:
    """median/nanmedian of bools: PyTorch's NotImplementedError, after its IndexError for a
    dim out of range or empty (no dim: only with elements, the empty median runs no kernel)."""
    if dim is not None:
        axis = _wrap_dim(op, dim, tensor.ndim)
        if tensor.ndim and not tensor.shape[axis]:
            raise IndexError(f"{op}(): expected reduction dim {dim} to have non-zero size "
                             f"(shape {tensor.shape})")
    if dim is not None or tensor._data.size:
        refuse_bool(op, tensor)


def _bool_product_runs(first: Any, second: Any) -> bool:
    """Whether PyTorch refuses a bool matrix product: no kernel runs for an empty operand
    (zeros), except a 1-D by 1-D one, whose dot checks its dtype first."""
    return bool(np.size(first) and np.size(second)) or np.ndim(first) == np.ndim(second) == 1


def tensor_operand(op: str, value: Any, argument: str = "other") -> Any:
    """`value` where PyTorch takes only a Tensor (maximum, atan2, hypot, ldexp, ...: no
    number, list or NumPy array): its TypeError otherwise."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{argument}' must be Tensor, not "
                        f"{type(value).__name__}")
    return value


def number_operand(op: str, value: Any, argument: str = "other") -> Any:
    """`value` where PyTorch takes only a Tensor and a number would be broadcast silently
    here (logical_and, gcd, dot, inner, ...): a Python or NumPy number is PyTorch's
    TypeError (None or a string too); arrays and lists stay data, as in the `tg.<op>(input)`
    forms."""
    if value is None or isinstance(value, (bool, int, float, complex, np.generic, str, bytes)):
        raise TypeError(f"{op}(): argument '{argument}' must be Tensor, not "
                        f"{type(value).__name__}")
    return value


def data_operand(op: str, value: Any, argument: str = "other") -> None:
    """PyTorch's TypeError for an operand that is no data (None, a string), where NumPy would
    make an object array of it (a silent result) or fail with its own message."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{op}(): argument '{argument}' must be Tensor, not "
                        f"{type(value).__name__}")


def check_fill(op: str, value: Any, argument: str = "'fill_value' (position 2)") -> None:
    """A fill value as PyTorch takes it: a number (bool, int, float, complex, a NumPy scalar)
    or a 0-d tensor; anything else (a str, None, a list, a bigger tensor) is its TypeError."""
    if isinstance(value, bool | int | float | complex | np.number | np.bool_) or (
            isinstance(value, Tensor | np.ndarray) and value.ndim == 0):
        return
    if isinstance(value, Tensor) and op.endswith(("fill", "fill_")):  # PyTorch: RuntimeError
        # (fill_, masked_fill, index_fill; full and new_full raise the TypeError below)
        raise DataError(f"{op}: only supports a 0-dimensional value tensor, but got tensor with "
                        f"{value.ndim} dimension(s) (shape {value.shape})")
    raise TypeError(f"{op}(): argument {argument} must be Number, not {type(value).__name__}")


def _scalar_for(op: str, value: Any, dtype: np.dtype) -> Any:
    """A Python number written into (or compared with) a `dtype` tensor: PyTorch's RuntimeError
    when the dtype cannot hold it (NaN or inf in an integer dtype, 300 in int8, 1e10 in
    float16; a complex number with an imaginary part in a real dtype); a negative int in uint8
    wraps (-1 is 255), as PyTorch. A NumPy scalar is checked as its Python number (fill_ of
    np.float32(1e20) into uint8 is refused). Anything else as it is."""
    if isinstance(value, np.generic):
        value = value.item()
    if type(value) is int and not -(2**63) <= value < 2**64:  # (a float dtype too: PyTorch's
        raise IntegerOverflowError(f"{op}: the Python int {value} does not fit in int64")  # error)
    if type(value) is complex and dtype.kind != "c":
        if value.imag:
            raise RuntimeError(f"{op}: value {value} cannot be converted to {dtype} without "
                               "overflow")
        value = value.real
    if type(value) not in (int, float):
        return value
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind == "f":
        fits = not math.isfinite(value) or abs(value) <= float(np.finfo(dtype).max)
    else:
        info = np.iinfo(dtype)
        low = -info.max if dtype.kind == "u" and type(value) is int else info.min
        fits = math.isfinite(value) and low <= value <= info.max
    if not fits:  # (an OverflowError too, as PyTorch's for an int past int64 and uint64)
        raise IntegerOverflowError(f"{op}: value {value} cannot be converted to {dtype} "
                                   f"without overflow")
    if dtype == np.float16 and type(value) is float:  # PyTorch's Half(double) goes through
        return float(np.float32(value))  # float: rounded twice (full, fill_, masked_fill)
    return wrapped_int(value, dtype)


_CYCLE_WARNED: list[bool] = []  # (PyTorch warns once a process)


def warn_create_graph_cycle() -> None:
    """PyTorch's warning (once) that backward(create_graph=True) links each leaf and its
    .grad in a reference cycle, freed only by the cycle collector or `p.grad = None`."""
    if not _CYCLE_WARNED:
        _CYCLE_WARNED.append(True)
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak.", UserWarning, stacklevel=3)


def _copy_from(target: Tensor, src: Any, name: str = "") -> Tensor:
    """`src` broadcast to `target`'s shape and cast to its dtype (the value of copy_/fill_).
    Written into a target in a graph, a constant stays tied to it with derivative 0, so the
    target's inputs get zero gradients (PyTorch's), not none; its node is PyTorch's `name`
    (ZeroBackward0, FillBackward2, CopyBackwards, ...) when given."""
    if not isinstance(src, Tensor):
        src = _scalar_for("fill_", src, target._data.dtype)
        value = Tensor._make(np.broadcast_to(np.asarray(src).astype(target.dtype),
                                             target.shape), None)
    else:  # always an op's result (Expand of the same shape included), never `src` itself:
        # a recorded copy_ must take a graph node from it, not a leaf's array without one
        value = Expand.apply(src if src.dtype == target.dtype else src.astype(target.dtype),
                             target.shape)
    if target.requires_grad and is_grad_enabled():
        return pytorch_named(target._graph_zero() + value, name) if name else (
            target._graph_zero() + value)
    return pytorch_named(value, name) if name and value.grad_fn is not None else value


def _dense(array: np.ndarray) -> bool:
    """Its elements fill one block of memory, in some axis order (PyTorch's non-overlapping
    and dense): positive strides, each the size of the axes below it."""
    expected = array.itemsize
    for stride, size in sorted((s, n) for s, n in zip(array.strides, array.shape) if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def refuse_partial_overlap(target: np.ndarray, source: np.ndarray,
                           expanded: bool = False) -> None:
    """PyTorch's refusal to write `source` into `target` when, views of one base array, they
    overlap without being the very same elements (x[1:] = x[:-1] would read what it already
    wrote there). Only dense views are compared, as PyTorch (any other case it lets pass); a
    copy (`expanded`: copy_, t[slices] = v) broadcasts the source first, so a source that
    repeats is not compared either. The caller has checked that the two share a version
    counter (views of one base, detach()): the cheap test, on the hot path."""
    if not target.size or not source.size or not (_dense(target) and _dense(source)):
        return
    if expanded and target.size != source.size:
        return
    start, other = target.__array_interface__["data"][0], source.__array_interface__["data"][0]
    end, other_end = start + target.nbytes, other + source.nbytes
    if (start, end) == (other, other_end) and _layout(target) == _layout(source):
        return  # the same elements: x[:] = x, x.copy_(x)
    if start < other_end and other < end:
        raise TensorError("unsupported operation: some elements of the input tensor and the "
                          "written-to tensor refer to a single memory location. Please clone() "
                          f"the tensor before performing the operation (shapes {target.shape} "
                          f"and {source.shape})")


def _refuse_source_overlap(tensor: Tensor, source: Any) -> None:
    """refuse_partial_overlap for an indexed in-place op's source (index_copy_, scatter_,
    put_, ...: PyTorch checks these too), when it views self's memory differently."""
    if isinstance(source, Tensor) and source._counter is tensor._counter is not None and (
            source._data is not tensor._data):
        refuse_partial_overlap(tensor._data, source._data)


def _layout(array: np.ndarray) -> list[tuple[int, int]]:
    """(size, stride) of the axes of more than one element: the order of the elements."""
    return [(n, s) for n, s in zip(array.shape, array.strides) if n != 1]


def _refuse_overlapping_setitem(array: np.ndarray, index: Any, value: np.ndarray) -> None:
    """refuse_partial_overlap for `array[index] = value`, `value` a view of array's base:
    basic indexing copies into the view array[index]; index arrays write all of `array`
    (PyTorch's index_put_), but a one-element value under one bool mask is a fill."""
    index = index if isinstance(index, tuple) else (index,)
    part = array[index if any(item is Ellipsis for item in index) else (*index, ...)]
    if _same_base(part, array):  # (a view: 0-d, not a NumPy scalar, for integers)
        refuse_partial_overlap(part, value, expanded=True)
    elif not (len(index) == 1 and np.asarray(index[0]).dtype.kind == "b" and value.size == 1):
        refuse_partial_overlap(array[_basic_part(index)], value)


def _basic_part(index: tuple) -> tuple:
    """The integers and slices of an index with arrays, each array a full slice (a mask one per
    dim it covers): PyTorch applies those first and index_put_s into that view only."""
    parts: list = []
    for item in index:
        if isinstance(item, np.ndarray) or isinstance(item, (list, Tensor)):
            parts += [slice(None)] * max(np.ndim(item) if np.asarray(item).dtype == bool else 1, 1)
        else:
            parts.append(item)
    return tuple(parts)


def _same_base(first: np.ndarray, second: np.ndarray) -> bool:
    """Are the two arrays views of one array (or one of it)? Identity tests only."""
    base = first.base if first.base is not None else first
    return (second.base if second.base is not None else second) is base


def _set_item(target: Tensor, index: Any, value: Any) -> Tensor:
    """SetItem of a value in the target's dtype (the result is the target's dtype even where
    the result policy would not say so: a 0-d float64 target, a float32 value)."""
    if isinstance(value, Tensor) and value._data.dtype != target._data.dtype:
        value = Cast.apply(value, target._data.dtype)
    try:
        return SetItem.apply(target, index, value)
    except TypeError as error:  # NumPy's: a mask-indexed part written with a 2-d value
        raise TensorError(f"setitem: a value of shape {value.shape} cannot be written into "
                          f"the indexed part of a tensor of shape {target.shape} "
                          f"({error})") from None


def _mark_user_memory(tensor: Tensor) -> None:
    """Note that a caller may hold `tensor`'s memory (see Tensor._relaid_out): on it and on
    every live tensor sharing its version counter (its base, a detach(), `.data`), since any
    of them may outlive the one that handed the memory out."""
    tensor._user_memory = True
    for reference in (tensor._counter or ())[2:]:
        other = reference()
        if other is not None:
            other._user_memory = True


def copy_like(like: np.ndarray, values: Any) -> np.ndarray:
    """A new array with `like`'s shape, dtype and memory order holding `values` (cast)."""
    out = np.empty_like(like)
    np.copyto(out, values, casting="unsafe")
    return out


def _share_counter(tensor: Tensor, view: Tensor) -> Tensor:
    """Give `view` (which shares `tensor`'s memory) `tensor`'s version counter, as PyTorch's
    views do: an in-place change through either one is seen by graphs that saved the other.
    A shared counter is [version, length at which to forget dead references, weak references
    to the tensors sharing it...]: while another of them is alive, a recorded in-place op
    refuses the tensor (it writes a new array, which the others would not see)."""
    counter = tensor._counter
    if counter is None or len(counter) == 1:
        counter = tensor._counter = counter or [0]
        counter += [64, weakref.ref(tensor)]
    elif len(counter) > counter[1]:  # forget the dead (views taken in a loop), then wait until
        counter[2:] = [reference for reference in counter[2:] if reference() is not None]
        counter[1] = 2 * len(counter)  # the list doubles: linear time overall
    counter.append(weakref.ref(view))
    view._counter = counter
    if getattr(tensor, "_user_memory", False):
        view._user_memory = True
    return view


def _shares_memory_with_a_live_tensor(tensor: Tensor) -> bool:
    """Is another tensor that shares this one's memory (a view, its base, a detach()) alive?"""
    counter = tensor._counter or ()
    return any(other is not None and other is not tensor
               for other in (reference() for reference in counter[2:]))


def _positions(base: np.ndarray, view: np.ndarray) -> tuple | None:
    """Where each element of `view` sits in `base` (an index into base, of view's shape), when
    view sees base's memory; None when it does not (or base repeats elements: an expand)."""
    item = base.itemsize
    if view.dtype != base.dtype or any(s % item for s in (*base.strides, *view.strides)):
        return None

    def offsets(a: np.ndarray) -> np.ndarray:  # each element's place in memory, in items
        start = a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        found = np.full(a.shape, start // item if start % item == 0 else -(2**62), np.int64)
        for axis, (size, stride) in enumerate(zip(a.shape, a.strides)):
            found += np.arange(size).reshape((-1,) + (1,) * (a.ndim - 1 - axis)) * (stride // item)
        return found

    seen = offsets(view)
    if base.flags.c_contiguous:  # memory order is index order: no table needed
        if seen.size and (seen.min() < 0 or seen.max() >= base.size):
            return None
        return np.unravel_index(seen, base.shape)
    held = offsets(base).ravel()
    low = held.min(initial=0)
    table = np.full(held.max(initial=0) - low + 1, -1)
    table[held - low] = np.arange(base.size)
    seen = seen - low
    if base.size and np.count_nonzero(table >= 0) != base.size or seen.size and (  # (repeats)
            seen.min() < 0 or seen.max() >= table.size or (table[seen] < 0).any()):
        return None
    return np.unravel_index(table[seen], base.shape)


def _write_plan(tensor: Tensor) -> tuple | None:
    """For a recorded in-place write into `tensor` while other live tensors share its memory:
    (base, [live views of the base in the graph, and where each sits in it]), or None when
    the graph cannot follow (PyTorch's `._base`: the tensor a view op was applied to, kept
    alive by its views). Other sharers (a detach(), `.data`, `Tensor(x)`, views of those)
    see the new values but keep their graphs, as in PyTorch; a view made under no_grad of a
    base in the graph is refused when written (PyTorch's error) and otherwise left as is."""
    base = _base_of(tensor)
    if base._data.ndim == 0 or base._requires_grad and tensor.grad_fn is None:
        return None
    if base._requires_grad and base.grad_fn is None:  # PyTorch's error
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           f"in-place operation (view shape {tensor.shape}, leaf shape "
                           f"{base.shape}); do it under `with tg.no_grad():` or on a clone()")
    views = []
    for reference in tensor._counter[2:]:
        other = reference()
        if other is not None and other is not base and getattr(other, "_view_of", None) is base \
                and (other.grad_fn is not None or not base._requires_grad):
            views.append((other, _positions(base._data, other._data)))
    return None if any(where is None for _, where in views) else (base, views)


write_observers: list = []  # functions (tensors, array) called before _write_through writes


def _write_through(tensor: Tensor, plan: tuple, result: Tensor) -> None:
    """Write `result` into `tensor`'s memory, which its base and other views share, as
    PyTorch's in-place write through a view: the base's graph records it as a setitem at the
    tensor's place, and every live view of the base is re-derived from the new base."""
    base, views = plan
    array, locked = _unlock(tensor)
    for observe in write_observers:  # (the drawing keeps the values it shows)
        observe((base, tensor, *(view for view, _ in views)), array)
    try:
        np.copyto(array, result._data)
    finally:
        if locked:
            array.flags.writeable = False
    tensor._bump_version()  # graphs that saved the old values refuse them
    place = next((where for view, where in views if view is tensor), Ellipsis)
    with enable_grad():
        own = base is tensor and result.grad_fn is not None  # (the tensor's own memory: the
        _rebind(base, pytorch_named(SetItem.apply(base, place, result),  # op's node, as PyTorch)
                                    result.grad_fn.name() if own else "torch::autograd::CopySlices"
                                    ).grad_fn)
        for view, where in views:  # (PyTorch regenerates a written view as an as_strided)
            _rebind(view, pytorch_named(GetItem.apply(base, where), "AsStridedBackward0").grad_fn)


def _rebind(tensor: Tensor, node: Any) -> None:
    """`tensor` now comes from `node` (an in-place op); retain_grad() follows it, as PyTorch's."""
    old = tensor.grad_fn
    retained = old is not None and any(reference() is tensor for reference in old.retained)
    if retained:
        old.retained = tuple(reference for reference in old.retained if reference() is not tensor)
    tensor.grad_fn, tensor._requires_grad = node, True
    if retained:
        tensor.retain_grad()


class _SameStorage(weakref.ref):
    """A shared counter's reference to a tensor given another's memory by `p.data = t`: it
    shares that memory as PyTorch's set_data does, it is not a view of it."""

    __slots__ = ()


def _is_view(tensor: Tensor) -> bool:
    """Does `tensor` see another tensor's memory through a view op (PyTorch's is_view)? The
    first tensor of a shared version counter is the base; detach() shares its very array."""
    counter = tensor._counter
    if counter is None or len(counter) < 3 or counter[2]() is tensor or any(
            type(reference) is _SameStorage and reference() is tensor
            for reference in counter[3:]):
        return False
    base = counter[2]()
    return tensor._data.base is not None if base is None else base._data is not tensor._data


def _refuse_custom_view(tensor: Tensor) -> None:
    """PyTorch's error for a recorded in-place write into a custom autograd.Function's output
    that shares an input's memory (forward returned a view of it, or it as-is), or into a
    view of one: the write would bypass the function's backward."""
    name = getattr(tensor, "_custom_view_of", None) or getattr(
        getattr(tensor, "_view_of", None), "_custom_view_of", None)
    if name is not None:
        raise RuntimeError(
            f"Output 0 of {name} is a view and is being modified inplace. This view was created "
            "inside a custom Function (or because an input was returned as-is) and the autograd "
            "logic to handle view+inplace would override the custom backward associated with "
            "the custom Function, leading to incorrect gradients. This behavior is forbidden. "
            "You can fix this by cloning the output of the custom Function.")


# While inference tensors live, inference_tensors.py's rule for a view (or detach()) of a
# tensor: (base, view) -> None, making a view of an inference tensor one, as PyTorch's.
inference_view: Callable[[Tensor, Tensor], None] | None = None


def in_inference_mode() -> bool:
    """Inside `inference_mode()` in this thread: inference_tensors.py replaces this."""
    return False


def _refuse_no_grad_view(tensor: Tensor) -> None:
    """PyTorch's error for an in-place write, with grad mode on, into a view made under
    no_grad of a tensor that requires grad (the write would bypass the base's graph); and
    for a write into an inference tensor outside inference_mode (see inference_tensors.py)."""
    if getattr(tensor, "_inference", False) and not in_inference_mode():
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                           "allowed. You can make a clone to get a normal tensor before doing "
                           "inplace update.")
    base = getattr(tensor, "_view_of", None)
    if base is not None and base._requires_grad and tensor.grad_fn is None and (
            is_grad_enabled()):
        raise RuntimeError("A view was created in no_grad mode and is being modified inplace "
                           f"with grad mode enabled (a view of shape {tensor.shape} of a tensor "
                           f"that requires grad, shape {base.shape}): write it under `with "
                           "tg.no_grad():` too, or take the view outside no_grad")


_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "bool": "Bool",
                 "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long"}


def _scalar_name(dtype: np.dtype) -> str:
    """PyTorch's ScalarType name of a dtype ('Float', 'Long'), as its messages spell it."""
    return _SCALAR_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _kept(result: Tensor) -> Tensor:
    """`result` of a user's where/masked_fill, whose PyTorch node saves the mask: its node
    keeps it (xp.KEPT), so backward() frees it (a composition's Where is left alone)."""
    if result.grad_fn is not None:
        result.grad_fn.saved_versions = xp.KEPT
    return result


def _refuse_integer_grad(tensor: Tensor, words: str) -> None:
    """PyTorch's refusal of requires_grad on a tensor that is not floating point, in its words
    for the caller (`requires_grad_()` and `requires_grad=`/`.requires_grad =` differ)."""
    if tensor._data.dtype.kind != "f":
        raise DtypeError(f"{words} can require gradients (floating-point only here; this one "
                         f"is {tensor._data.dtype}): convert it first, e.g. "
                         "tg.tensor(data, dtype=tg.float32)")


def _refuse_leaf(op: str, tensor: Tensor) -> None:
    raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an in-place "
                       f"operation (shape {tensor.shape}); do it under `with tg.no_grad():` or "
                       "on a copy")


def _isclose(a: np.ndarray, b: np.ndarray, rtol: float, atol: float,
             equal_nan: bool) -> np.ndarray:
    """PyTorch's isclose: equal values (integers exactly, never through float64), else a
    finite |a - b| <= atol + |rtol b| in the inputs' own float dtype (bools and integers in
    the default dtype, float32, as PyTorch's); an infinite tolerance makes no infinite
    difference close."""
    with np.errstate(all="ignore"):
        close = np.asarray(a == b)
        if equal_nan and a.dtype.kind in "fc":
            close = close | (np.isnan(a) & np.isnan(b))
        if rtol == 0 and atol == 0:
            return close
        if a.dtype.kind not in "fc":  # (complex: NumPy arrays given to testing.assert_close)
            a, b = a.astype(get_default_dtype()), b.astype(get_default_dtype())
        real = np.abs(np.zeros((), a.dtype)).dtype
        allowed = np.asarray(atol, real) + np.abs(np.asarray(rtol, real) * b)
        error = np.abs(a - b)
        return close | (np.isfinite(error) & (error <= allowed))


def _broadcast_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {', '.join(map(str, shapes))} do not broadcast "
                           "together") from None


def _viewed(tensor: Tensor, result: Tensor) -> Tensor:
    """`result` of a view op (reshape, transpose, indexing) shares the counter of `tensor`
    when NumPy made it a view of `tensor`'s memory (not when it had to copy)."""
    base = result._data.base
    if base is not None and (base is tensor._data or base is tensor._data.base):
        if not tensor._data.flags.c_contiguous and _batch_inside(tensor._data):
            _view_c_ordered(tensor, result)
        _mark_view(tensor, result)
    return result


def _copied_unsafe(tensor: Tensor, result: Tensor) -> Tensor:
    """`result` of reshape/flatten, PyTorch's UnsafeViewBackward0 when it had to copy (a
    layout PyTorch cannot view either: a non-contiguous one that NumPy could not view)."""
    if not tensor._data.flags.c_contiguous and tensor._data.size and (  # (the usual reshape:
            result.grad_fn is not None) and getattr(result, "_view_of", None) is None:  # 1 test)
        pytorch_named(result, "UnsafeViewBackward0")
    return result


def _batch_inside(data: np.ndarray) -> bool:
    """Conv, pooling, interpolation and padding results keep the batch axis inside in memory
    (NumPy's fastest order for them) where PyTorch's are contiguous; PyTorch's layouts
    (contiguous, channels_last) keep it outermost, and elementwise results follow their
    input's layout, as PyTorch's (so those are left alone)."""
    return data.ndim >= 3 and data.shape[0] > 1 and abs(data.strides[0]) < max(
        abs(step) for step in data.strides)


def _mark_view(tensor: Tensor, view: Tensor) -> None:
    """`view` sees `tensor`'s memory: it shares the version counter and knows its base. Made
    under no_grad of a tensor that requires grad, it requires grad too, as PyTorch's (a leaf
    of its own: no grad_fn; written in place only under no_grad, see _refuse_no_grad_view)."""
    _share_counter(tensor, view)._view_of = _base_of(tensor)
    data = view._data  # (a permute to a conv result's order, batch innermost: not contiguous)
    if data.ndim == 4 and data.strides[0] == data.itemsize and not batch_innermost(tensor._data):
        user_ordered(data)
    if not view._requires_grad and tensor._requires_grad:
        view._requires_grad = True
    if _is_multi_view(tensor):  # a view of one output of split/chunk/unbind (unfold too)
        _mark_multi_view(view, tensor._multi_view)  # (True or the message)
    if inference_view is not None:  # (while inference tensors live: inference_tensors.py)
        inference_view(tensor, view)


def _view_c_ordered(tensor: Tensor, result: Tensor) -> None:
    """Before a view of an op's result in its own memory order (see Tensor._relaid_out) is
    handed out, give the result C order, as PyTorch's contiguous results: `result` (which sees
    the old memory) becomes the same view of the new memory, when it is a strided view there;
    otherwise (or when _relaid_out declines) nothing changes. Then `y[0].view(-1)` works.
    The result's memory must be dense (a permutation of a C-ordered block), so each element's
    place follows from the strides alone: O(size of the view)."""
    old, view = tensor._data, result._data
    item = old.itemsize
    start = view.__array_interface__["data"][0] - old.__array_interface__["data"][0]
    if (not view.size or view.dtype != old.dtype or start % item or min(old.strides) < 0
            or any(step % item for step in view.strides) or tensor._movable_with() is None):
        return
    dense = 1
    for axis in sorted(range(old.ndim), key=lambda axis: old.strides[axis]):
        if old.shape[axis] > 1 and old.strides[axis] != dense * item:
            return
        dense *= old.shape[axis]
    steps_in = [step // item for step in view.strides]  # the view's steps, in items
    reach = [(size - 1) * step for size, step in zip(view.shape, steps_in)]
    if start // item + sum(min(0, r) for r in reach) < 0 or \
            start // item + sum(max(0, r) for r in reach) >= old.size:
        return
    found = _carry_free_steps(old, start // item, view.shape, steps_in)
    if found is None:
        found = _table_steps(old, start // item, view.shape, steps_in)
    if found is None or not tensor._relaid_out():
        return
    first, steps = found
    memory = tensor._data if tensor._data.base is None else tensor._data.base
    result._data = np.lib.stride_tricks.as_strided(
        memory.reshape(-1)[first:], view.shape, [step * view.itemsize for step in steps],
        writeable=view.flags.writeable)


def _carry_free_steps(old: np.ndarray, start: int, shape: tuple, steps_in: list) -> tuple | None:
    """_view_c_ordered's (first C offset, C steps) in O(ndim), when each view axis walks one
    axis of the dense `old` without carrying into the next (squeezes, slices, indexing):
    then the C offsets are affine. None when that does not decide it."""
    item = old.itemsize
    axes = [(old.strides[k] // item, k) for k in range(old.ndim) if old.shape[k] > 1]
    digits = {k: start // stride % old.shape[k] for stride, k in axes}
    low, high = dict(digits), dict(digits)
    rows = [math.prod(old.shape[k + 1:]) for k in range(old.ndim)]
    steps = []
    for size, step in zip(shape, steps_in):
        if size == 1 or step == 0:
            steps.append(0)
            continue
        walked = [(stride, k) for stride, k in axes if stride <= abs(step) and not step % stride]
        if not walked:
            return None
        stride, k = max(walked)
        count = step // stride
        low[k] += min(0, count * (size - 1))
        high[k] += max(0, count * (size - 1))
        steps.append(count * rows[k])
    if any(low[k] < 0 or high[k] >= old.shape[k] for k in digits):
        return None
    return sum(digits[k] * rows[k] for k in digits), steps


def _table_steps(old: np.ndarray, start: int, shape: tuple, steps_in: list) -> tuple | None:
    """_view_c_ordered's (first C offset, C steps) in O(size): each memory place's C-order
    index (a table in memory order, no integer division) read through the view's strides,
    then checked to be affine. None when it is not."""
    item = old.itemsize
    # int32 when no sum below can pass its range
    index = np.int32 if old.size * (1 + sum(shape)) < 2**31 else np.int64
    width = np.dtype(index).itemsize
    table = np.empty(old.size, index)
    as_strided = np.lib.stride_tricks.as_strided
    as_strided(table, old.shape, [step // item * width if size > 1 else 0 for size, step in
                                  zip(old.shape, old.strides)])[...] = np.arange(
        old.size, dtype=index).reshape(old.shape)
    offsets = as_strided(table[start:], shape, [step * width for step in steps_in])
    first = int(offsets.flat[0])
    steps = [int(offsets[(0,) * axis + (1,)].flat[0]) - first if size > 1 else 0
             for axis, size in enumerate(shape)]
    expected = np.full(shape, first, index)
    for axis, step in enumerate(steps):
        expected += np.arange(shape[axis], dtype=index).reshape(
            (-1,) + (1,) * (len(shape) - axis - 1)) * step
    if not np.array_equal(offsets, expected):
        return None
    return first, steps


# Outputs of split/chunk/unbind (and rows of iteration), and views of them, carry the
# `_multi_view` flag: PyTorch refuses a recorded in-place write into these (the op's one node
# cannot record a write into one piece). A message instead of True says why elsewhere (the
# inputs and outputs of a module with backward hooks: nn/backward_hooks.py).
def _mark_multi_view(tensor: Tensor, message: str | bool = True) -> None:
    tensor._multi_view = message


def _is_multi_view(tensor: Tensor) -> bool:
    return getattr(tensor, "_multi_view", False)


_FANOUT = 8  # split/unbind: at most this many pieces cut straight from one recorded tensor


def _cut(tensor: Tensor, axis: int, bounds: Sequence[int], take: bool = False
         ) -> Iterator[Tensor]:
    """The views of `tensor` between consecutive `bounds` along `axis` (`take`: the one
    position bounds[i] each, the axis removed), one at a time.

    Each piece's backward fills a zero array of its source's shape, so n pieces cut from one
    recorded tensor cost n times its size in backward; past _FANOUT pieces they are cut
    through a binary tree of intermediate slices instead: the size times the tree's depth."""
    yield from (_viewed(tensor, piece) for piece in _cut_from(tensor, axis, bounds, take, 0))


def _cut_from(source: Tensor, axis: int, bounds: Sequence[int], take: bool, offset: int
              ) -> Iterator[Tensor]:
    before = (slice(None),) * axis
    if len(bounds) <= _FANOUT + 1 or not (source._requires_grad and is_grad_enabled()):
        for start, stop in zip(bounds, bounds[1:]):
            where = start - offset if take else slice(start - offset, stop - offset)
            yield GetItem.apply(source, before + (where,))
        return
    middle = len(bounds) // 2
    for part in (bounds[:middle + 1], bounds[middle:]):
        inner = GetItem.apply(source, before + (slice(part[0] - offset, part[-1] - offset),))
        yield from _cut_from(inner, axis, part, take, part[0])


def _multi_output(pieces: tuple, name: str | None = None) -> tuple:
    """The pieces marked as one function's views; their nodes shown as PyTorch's one node
    named `name` (output k: `output_nr` k)."""
    op = "Split" if name is None else name.removesuffix("Backward0")
    for index, piece in enumerate(pieces):
        _mark_multi_view(piece, _multi_view_message(index, op))
    return several_outputs(pieces, name)


def _multi_view_message(index: int, op: str) -> str:
    """PyTorch's refusal of a recorded in-place write into output `index` of split/unbind."""
    return (f"Output {index} of {op} is a view and is being modified inplace. This view is the "
            "output of a function that returns multiple views. Such functions do not allow the "
            "output views to be modified inplace. You should replace the inplace operation by "
            "an out-of-place one (or clone() the piece first).")


def _refuse_multi_view(tensor: Tensor) -> None:
    if _is_multi_view(tensor):
        if isinstance(tensor._multi_view, str):
            raise RuntimeError(tensor._multi_view)
        raise RuntimeError(_multi_view_message(0, "Unbind"))


def _base_of(tensor: Tensor) -> Tensor:
    """The tensor whose memory `tensor` views (itself unless a view op made it)."""
    base = getattr(tensor, "_view_of", None)
    return tensor if base is None else base


# The read-only views the engine made of writable arrays to lock a leaf that requires grad
# (id -> view): requires_grad_(False) unlocks these, and only these (not a user's read-only
# array, nor `Tensor(w)` of a leaf w, whose memory stays w's).
_locked_views: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _copy_in_place(array: np.ndarray, memo: dict) -> None:
    """deepcopy's copy of a view of a larger array, put in `memo`: the same place in one
    copy of that array, so tensors that share memory (a base and its views) share their
    copies' memory, as PyTorch's deepcopy copies a storage once. Other arrays: NumPy's copy."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root is array or id(array) in memo or not (
            root.flags.c_contiguous or root.flags.f_contiguous):
        return
    if id(root) not in memo:
        memo[id(root)] = root.copy(order="K")
        memo.setdefault(id(memo), []).append(root)  # (copy's keep-alive list: ids stay unique)
    start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    view = np.ndarray(array.shape, array.dtype, memo[id(root)], start, array.strides)
    view.flags.writeable = all(stride or size == 1  # (an expanded one stays read-only)
                               for stride, size in zip(array.strides, array.shape))
    memo[id(array)] = view
    memo[id(memo)].append(array)


def _lock(array: np.ndarray) -> np.ndarray:
    """A read-only view of a leaf's array (see requires_grad_), remembered when the engine's
    lock is the only thing keeping it from being written."""
    view = array.view()
    view.flags.writeable = False
    if array.flags.writeable:
        _locked_views[id(view)] = view
    return view


def _repeats(array: np.ndarray) -> bool:
    """Are several elements of `array` one memory location (an expand() or a view of one)?"""
    return 0 in array.strides and array.size > 1 and any(
        stride == 0 and size > 1 for stride, size in zip(array.strides, array.shape))


def _writes_once(array: np.ndarray, key: Any) -> bool:
    """May `array[key] = v` write an expanded `array`? As PyTorch: index arrays (its
    index_put_) always, basic indexing when the part selected repeats no memory location."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(part, np.ndarray) for part in parts) or not _repeats(array[key])


def _refuse_expanded(tensor: Tensor) -> None:
    if _repeats(tensor._data):
        raise RuntimeError(  # PyTorch's words
            "unsupported operation: more than one element of the written-to tensor refers "
            "to a single memory location. Please clone() the tensor before performing the "
            f"operation (an in-place write into an expanded tensor of shape {tensor.shape})")


class _Memory:
    """An array interface on memory another array owns, kept alive (`owner`)."""

    def __init__(self, interface: dict, owner: np.ndarray) -> None:
        self.__array_interface__, self.owner = interface, owner


def _numpy_view(array: np.ndarray) -> bool:
    """Is `array` NumPy's own view (an expand's broadcast, a slice of one) of an array, not
    an as_strided or unfold() array (whose memory an interface object holds)?"""
    while array.base is not None:
        if not isinstance(array.base, np.ndarray):
            return False
        array = array.base
    return True


def _expanded_alias(tensor: Tensor) -> np.ndarray | None:
    """A writable array on the memory of `tensor`, an expand()ed view (or a view of one)
    that NumPy keeps read-only, once its base may be written: PyTorch's write through it
    reaches the base. None when it is no such view."""
    base = _base_of(tensor)
    if base is tensor:  # a detach() or `.data` of a view: the base its memory's views know
        base = next((other._view_of for other in (reference() for reference in (
            tensor._counter or ())[2:]) if getattr(other, "_view_of", None) is not None), tensor)
    if base is tensor or not _numpy_view(tensor._data):
        return None
    memory, locked = _unlock(base)  # (refuses as for the base: a leaf outside no_grad, ...)
    if locked:
        memory.flags.writeable = False
    interface = dict(tensor._data.__array_interface__)
    interface["data"] = (interface["data"][0], False)
    return np.asarray(_Memory(interface, memory))


def _store_changed(array: np.ndarray, result: np.ndarray, shape: tuple) -> None:
    """_store into an array whose elements repeat (an expand): only the elements the op
    changed, so a fill selected at one of several elements sharing a memory location writes
    it, as PyTorch's masked_fill_ / index_fill_ / index_put_ on an expanded tensor."""
    fresh = array.copy()
    _store(fresh, result, shape)
    changed = fresh != array
    if fresh.dtype.kind == "f":
        changed &= ~(np.isnan(fresh) & np.isnan(array))
    np.copyto(array, fresh, where=changed)


_BLOCK = 1 << 20  # elements per block of an unrecorded elementwise in-place op


def _does_not_fit(op: str, shape: tuple, *shapes: tuple) -> TensorError:
    """PyTorch's error for an in-place op (or copy_) whose operands broadcast past the
    tensor's `shape` (`a.add_(b)` with b bigger), or do not broadcast at all."""
    try:
        wide = np.broadcast_shapes(shape, *shapes)
    except ValueError:
        other = next(s for s in shapes if not _broadcasts(shape, s))
        dim, mine, theirs = next((d, m, t) for d, (m, t) in enumerate(zip(
            shape[::-1], other[::-1])) if m != t and 1 not in (m, t))
        return TensorError(f"The size of tensor a ({mine}) must match the size of tensor b "
                           f"({theirs}) at non-singleton dimension {len(shape) - 1 - dim} "
                           f"({op}: shapes {shape} and {other})")
    return TensorError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                       f"{list(wide)} ({op}: a result of shape {wide} does not fit the "
                       f"tensor's shape {shape})")


def _broadcasts(shape: tuple, other: tuple) -> bool:
    try:
        np.broadcast_shapes(shape, other)
    except ValueError:
        return False
    return True


def _store(array: np.ndarray, result: np.ndarray, shape: tuple) -> None:
    """Write an in-place op's `result` into the tensor's `array`: integers wrap, as PyTorch
    stores uint8 |= int8's int16 result; a float into ints is refused, and a result that
    does not fit is PyTorch's RuntimeError naming both shapes."""
    integers = result.dtype.kind in "biu" and array.dtype.kind in "iu"
    try:
        if result.ndim > array.ndim:  # (NumPy would drop its leading 1s: PyTorch refuses)
            raise ValueError
        np.copyto(array, result, casting="unsafe" if integers else "same_kind")
    except TypeError:
        raise DtypeError(f"result type {_scalar_name(result.dtype)} can't be cast to the "
                         f"desired output type {_scalar_name(array.dtype)} (in-place operation "
                         f"on a {array.dtype} tensor)") from None
    except ValueError:
        raise _does_not_fit("in-place operation", shape, result.shape) from None


def _in_blocks(tensor: Tensor, op: Any, args: tuple) -> bool:
    """Write `op(tensor, *args)` (elementwise, unrecorded) into tensor's memory a block of
    rows at a time, so the op's temporaries are a block's, not the tensor's size (the values
    are the same: each element is computed from the same inputs). False (nothing done) when
    it cannot: a 0-d or 1-row tensor, or an operand that overlaps its memory differently."""
    array = tensor._data
    rows = array.shape[0] if array.ndim else 0
    if rows < 2:
        return False
    sliced = []
    for arg in args:
        value = arg._data if isinstance(arg, Tensor) else arg
        if not isinstance(value, np.ndarray):
            sliced.append(False)
            continue
        if value is not array and np.may_share_memory(value, array):
            return False  # (x.add_(x.t()): every block must read the old values)
        if value.ndim > array.ndim:
            return False  # (the result would not fit: the whole op gives the error)
        sliced.append(value.ndim == array.ndim and value.shape[0] == rows)
    step = max(1, _BLOCK * rows // array.size)
    writable, locked = _unlock(tensor)
    try:
        with no_grad():
            for start in range(0, rows, step):
                part = slice(start, start + step)
                pieces = [(Tensor._make(arg._data[part], None) if isinstance(arg, Tensor)
                           else arg[part]) if cut else arg for arg, cut in zip(args, sliced)]
                result = op(Tensor._make(array[part], None), *pieces)._data
                if result.shape != array[part].shape:  # (never for an elementwise op)
                    raise _does_not_fit("in-place operation", tensor.shape, result.shape)
                _store(writable[part], result, tensor.shape)
    finally:
        if locked:
            writable.flags.writeable = False
    return True


def _unlock(tensor: Tensor, repeats: bool = False) -> tuple[np.ndarray, bool]:
    """The tensor's array made writable for an in-place op, and whether it was locked
    (`repeats`: the op may write an expanded tensor, as PyTorch's fill_, masked_fill_, ...).

    Only a leaf that requires grad, or a tensor sharing its version counter (a view, a
    detach()), may unlock a read-only array: a change is then seen by graphs that saved it.
    Any other tensor holding one (`Tensor(x.numpy())` of such a leaf, a user's read-only array)
    gets a copy of its own, so it cannot change a leaf's values behind its version counter.
    """
    array = tensor._data
    if array.flags.writeable:
        return array, False
    counter = tensor._counter
    if not repeats:
        _refuse_expanded(tensor)
    # the engine locked this array: it belongs to a leaf that requires grad (or to a view,
    # a detach() or a `.data` of one, which shares the leaf's version counter)
    sharers = [reference() for reference in counter[2:]] if counter is not None else ()
    if any(t is not None and t._requires_grad and t.grad_fn is None
           for t in (tensor, *sharers)):
        try:
            array.flags.writeable = True
            return array, True
        except ValueError:  # memory a read-only array owns, or an unfold() view
            pass
    alias = _expanded_alias(tensor)
    if alias is not None:
        return alias, False
    # Otherwise the memory is not this tensor's to unlock (`Tensor(w)` of a leaf, a user's
    # read-only array, an unfold() view with overlapping windows): a private copy, unless
    # other tensors share the memory (views), which the write would silently not reach.
    if _shares_memory_with_a_live_tensor(tensor) or (
            array.base is not None and not isinstance(array.base, np.ndarray)):
        raise RuntimeError(
            f"in-place operation on a tensor of shape {tensor.shape} that shares memory it "
            "cannot write (an unfold() view, a view of one, a view of `Tensor(w)` of a leaf "
            "that requires grad, or of a read-only NumPy array): the other tensors would not "
            "see the change; clone() it first")
    tensor._data = array = array.copy()
    return array, False


# Tensors outside any graph (leaves, constants) that were given a name: a drawing finds the
# name of a constant operand here (the graph holds only its array).
# Keyed by id() (a WeakSet would compare tensors with ==, which is elementwise here).
named_tensors: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
# ----------------------------------------------------------------- PyTorch keywords and dims
_NEW_TUPLE = tuple.__new__  # `.shape` builds its Size directly: a NumPy shape is ints


class Size(tuple):
    """A tensor's shape (`t.shape`, `t.size()`), as `torch.Size`: a tuple of ints with
    `numel()`; slicing it, adding a tuple to it or repeating it gives a Size again."""

    __slots__ = ()

    def __new__(cls, sizes: Any = ()) -> Size:
        """Ints kept as ints (NumPy ints and one-element integer tensors converted); any
        other item is PyTorch's TypeError. (`.shape` builds its Size without this check.)"""
        items = list(sizes)
        for position, item in enumerate(items):
            try:
                items[position] = item if type(item) is int else operator.index(item)
            except TypeError:
                raise TypeError(f"torch.Size() takes an iterable of 'int' (item {position} "
                                f"is '{type(item).__name__}')") from None
        return tuple.__new__(cls, items)

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, times: Any) -> Size:
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        """`torch.Size([2, 3])`, as PyTorch's repr(), str() and print() show it."""
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """f-strings (the error messages among them) show `(2, 3)`: the one place this
        differs from PyTorch, whose f"{x.shape}" is `torch.Size([2, 3])`."""
        return format(tuple.__repr__(self), spec)


def _node_named(name: str, in_place: str = "") -> Callable:
    """Decorator of a method PyTorch records as one node named `name` (composed here of
    several ops: its result's last node takes the name; display only, see
    node_api.pytorch_named). A method returning self renames nothing, unless it recorded a
    write into self (`inplace=True`) and PyTorch names that node `in_place` (not a view's)."""
    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def named(*args: Any, **kwargs: Any) -> Any:  # (the input by keyword too: input=x)
            self = args[0] if args else kwargs.get("input", kwargs.get("self"))
            before = getattr(self, "grad_fn", None) if in_place else None
            result = method(*args, **kwargs)
            if in_place and result is self and result.grad_fn is not before:  # (a view
                return result if getattr(self, "_view_of", None) is not None else (  # written:
                    pytorch_named(result, in_place))  # PyTorch's AsStridedBackward0, kept)
            if isinstance(result, tuple):  # (values, indices): the values' node
                if result[0] is not self:
                    pytorch_named(result[0], name)
                return result
            return result if result is self else pytorch_named(result, name)
        return named
    return decorate


# PyTorch's nodes for the values of those that pick elements along a dim (Tensor._select_along)
_SELECT_NODES = {"max": "MaxBackward0", "min": "MinBackward0", "sort": "SortBackward0",
                 "topk": "TopkBackward0", "median": "MedianBackward1", "mode": "ModeBackward0"}
# The (values, indices) results of dim reductions, named as PyTorch's torch.return_types.
_RETURN_TYPES = {name: getattr(return_types, name) for name in (
    "max", "min", "median", "mode", "sort", "topk", "cummax", "cummin")}


def _dim_arg(op: str, dim: Any, axis: Any) -> Any:
    """PyTorch's `dim=` or NumPy's `axis=` (aliases); passing both, they must agree."""
    if axis is None:
        return dim
    if dim is not None and dim != axis:
        raise TypeError(f"{op}: got dim={dim} and axis={axis}; pass one of them")
    return axis


def _refuse_no_dims(op: str, dim: Any) -> None:
    """PyTorch's TypeError for `dim=()` where its op takes one int dim (prod, max, min; here
    a tuple of several also reduces them, but () would be ambiguous: all dims or none)."""
    if isinstance(dim, (tuple, list)) and not dim:
        raise TypeError(f"{op}(): argument 'dim' must be int, not an empty {type(dim).__name__} "
                        f"(pass dim=None to reduce every dim)")


def _required_dim(op: str, dim: Any, axis: Any) -> Any:
    """`dim` (or `axis`) for an op that has no all-axes form."""
    dim = _dim_arg(op, dim, axis)
    if dim is None:
        raise TypeError(f"{op}: missing the dim argument")
    return dim


def _keep_arg(keepdim: bool, keepdims: bool | None) -> bool:
    """PyTorch's `keepdim=` or NumPy's `keepdims=`."""
    return keepdim if keepdims is None else bool(keepdims)


def _wrap_dim(op: str, dim: Any, ndim: int, extra: int = 0) -> int:
    """`dim` as an axis in [0, ndim + extra); out of range raises PyTorch's IndexError.

    A 0-d tensor accepts dim 0 and -1, as in PyTorch. `extra=1` is for unsqueeze and stack,
    which may name the position one past the last axis.
    """
    return check_dim(op, dim, ndim + extra)


def _axis_of(op: str, dim: Any, ndim: int) -> int:
    """`_wrap_dim` for an op that needs a real axis (select, unbind, roll, ...): a 0-d tensor,
    which the reductions' rule lets name dim 0 or -1, has none (PyTorch's IndexError)."""
    if not ndim:
        raise IndexOutOfBounds(f"{op}: Dimension specified as {dim} but tensor has no "
                               "dimensions")
    return check_dim(op, dim, ndim)


def _scan_dtype(op: str, tensor: Tensor, dtype: Any) -> Tensor:
    """`tensor` in the `dtype=` of cumsum/cumprod: PyTorch has no bool running sum or product
    (a 0-d or empty tensor passes, as there)."""
    if np.dtype(dtype) == np.bool_ and tensor.ndim and tensor.numel():
        raise NotImplementedError(f'"{op}_out_cpu" not implemented for \'Bool\' ({op} with '
                                  f"dtype=bool, input of shape {tensor.shape})")
    return _reduce_dtype(op, tensor, dtype)


def _reduce_dtype(op: str, tensor: Tensor, dtype: Any) -> Tensor:
    """`tensor` cast to the `dtype=` of sum/prod/cumsum/cumprod; a tensor that requires grad
    cannot be reduced into an integer or bool dtype (the graph would be cut silently):
    PyTorch's RuntimeError, outside no_grad."""
    target = np.dtype(dtype)
    if target.kind not in "fc" and tensor.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{op}: Autograd not support dtype: {target} (the input requires "
                           f"grad; reduce in a float dtype, or detach the input first)")
    return tensor.astype(target)


def _wrap_dims(op: str, dim: Any, ndim: int) -> tuple[int, ...] | None:
    """An int, a sequence or None (all axes) as sorted non-negative axes (None for all)."""
    if dim is None:
        return None
    try:
        dims = (dim,) if type(dim) is int else tuple(dim) if isinstance(dim, (tuple, list)) else (
            int_tuple(dim))  # (a 0-d integer tensor too)
    except TypeError:
        raise TypeError(f"{op}(): argument 'dim' must be an int or a tuple of ints, not "
                        f"{type(dim).__name__}") from None
    wrapped = tuple(sorted(_wrap_dim(op, item, ndim) for item in dims))
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"{op}: dim {dims} names an axis more than once")
    if ndim == 0 or not wrapped:  # PyTorch: dim=() reduces every axis
        return None
    return wrapped


_INDEX_INTS = (np.dtype(np.int64), np.dtype(np.int32))


def _index_array(op: str, index: Any, long_only: bool = False) -> np.ndarray:
    """An integer index (Tensor, array or list) as a new ndarray (the op may keep it for its
    backward: a later in-place change of the caller's index must not move the gradient).
    int64 or int32, as PyTorch's (int64 only for `long_only` ops: take, index_copy, ...)."""
    array = np.array(_data(index) if not isinstance(index, list) else _unwrap_nested(index))
    if array.dtype not in _INDEX_INTS[:1 if long_only else 2]:
        raise DtypeError(f"{op}: index must be an integer tensor "
                         f"({'int64' if long_only else 'int64 or int32'}), got {array.dtype}")
    return array


def _in_range(op: str, index: np.ndarray, tensor: Tensor, axis: int, dim: Any) -> None:
    """PyTorch's error for an index outside the dim (NumPy would wrap -1 silently)."""
    size = tensor.shape[axis] if tensor.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexOutOfBounds(f"{op}: index {bad} is out of bounds for dimension {axis} with "
                               f"size {size}")


def _src_fits(op: str, index: np.ndarray, tensor: Tensor, axis: int, src: Any) -> None:
    """PyTorch's scatter rule: the index no larger than src in any dim, nor than self apart
    from dim `axis` (a smaller src would otherwise be broadcast here)."""
    if isinstance(src, Tensor) and src.ndim and index.ndim == src.ndim and any(
            n > limit for n, limit in zip(index.shape, src.shape)) or any(
            n > limit for k, (n, limit) in enumerate(zip(index.shape, tensor.shape))
            if k != axis):
        raise RuntimeError(f"{op}: expected index {index.shape} to be no larger than self "
                           f"{tensor.shape} apart from dimension {axis} and to be no larger "
                           f"than src {np.shape(_data(src))}")


def _index_message(message: str, shape: tuple[int, ...], index: Any) -> str:
    """NumPy's IndexError for `t[index]` in PyTorch's words (only reached after NumPy failed)."""
    mask = re.match(r"boolean index did not match indexed array along (?:axis|dimension) (\d+); "
                    r"size of axis is (\d+) but size of corresponding boolean axis is (\d+)",
                    message)
    if mask:
        return (f"The shape of the mask at index {mask[1]} (size {mask[3]}) does not match the "
                f"shape of the indexed tensor {list(shape)} (size {mask[2]} there)")
    if message.startswith("only integers, slices"):
        return (f"only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors "
                f"are valid indices (got {index!r})")
    return message.replace(" for axis ", " for dimension ")


def _type_name(value: Any) -> str:
    """PyTorch's name for a value's type in its errors: `list`, `numpy.ndarray`."""
    kind = type(value)
    module = "" if kind.__module__ == "builtins" else kind.__module__ + "."
    return module + kind.__qualname__


def _need_tensor(op: str, name: str, value: Any) -> None:
    """PyTorch's TypeError for an index or source given as a list, tuple, NumPy array or
    number where its op takes only a tensor (`torch.take(x, [0, 1])`)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {_type_name(value)}")


def _need_tensors(op: str, index: Any, source: Any, what: str = "source") -> None:
    """`_need_tensor` for the index and the source of the index ops (index_add, ...)."""
    _need_tensor(op, "index", index)
    _need_tensor(op, what, source)


def _same_dtype(op: str, tensor: Tensor, source: Any, what: str = "source") -> None:
    """PyTorch's rule for the in-place index ops: a tensor source has self's dtype."""
    if isinstance(source, Tensor) and source.dtype != tensor.dtype:
        raise RuntimeError(f"{op}: self ({tensor.dtype.name}) and {what} ({source.dtype.name}) "
                           f"must have "
                           f"the same dtype")


def _one_mask_fill(indices: Any, values: Tensor, accumulate: bool) -> bool:
    """Is `index_put(indices, values)` PyTorch's masked_fill_ (one bool mask of 1 or more
    dims, one value, no accumulate), which takes a value of any dtype?"""
    return (not accumulate and isinstance(indices, (tuple, list)) and len(indices) == 1 and
            isinstance(indices[0], Tensor) and indices[0].dtype == np.bool_ and
            indices[0].ndim > 0 and values.numel() == 1)


def _zero_dim_value(op: str, value: Any) -> None:
    """PyTorch's rule for a fill value given as a tensor: one of 0 dimensions."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"{op} only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s) (shape {value.shape})")


def _one_place(tensor: Tensor, op: Any, dim: int, index: np.ndarray, src: Any,
               **options: Any) -> Tensor:
    """scatter/scatter_add into a 0-d tensor with a 1-D index: every entry writes (or adds
    into) its one element, as PyTorch (the op on it as a 1-D tensor of one element)."""
    _wrap_dim(op.__name__, dim, 0)
    src = src.reshape(-1) if isinstance(src, Tensor) else src
    return op(tensor.reshape(1), 0, Tensor._make(index, None), src, **options).reshape(())


def _same_dims(op: str, index: np.ndarray, tensor: Tensor) -> np.ndarray:
    """A scatter index with as many dims as the tensor written into (a 0-d index of a 1-D
    tensor is one entry, as PyTorch); anything else is PyTorch's error."""
    if tensor.ndim <= 1 and index.ndim <= 1:  # (0-d and 1-D are the same there; a 0-d
        return index.reshape(-1 if tensor.ndim or index.ndim else ())  # self: see _one_place
    if index.ndim != tensor.ndim:
        raise RuntimeError(f"{op}: the index must have the same number of dimensions as self "
                           f"(index {index.shape}, self {tuple(tensor.shape)})")
    return index


def _along(index: np.ndarray, dim: int) -> tuple:
    """The advanced index that reads x[i_0, ..., index[i], ..., i_n] at `dim`, as gather."""
    parts = []
    for axis, size in enumerate(index.shape):
        if axis == dim:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[axis] = size
            parts.append(np.arange(size).reshape(shape))
    return tuple(parts)


def _is_int_index(part: Any) -> bool:
    if isinstance(part, (bool, np.bool_)):
        return False
    return isinstance(part, (int, np.integer)) or (
        isinstance(part, np.ndarray) and part.ndim == 0 and part.dtype.kind in "iu")


def _index_put_dtypes(key: Any, value: Tensor, dtype: np.dtype, ndim: int) -> None:
    """PyTorch's RuntimeError for `t[index] = value` with index arrays (index_put_) and a value
    of another dtype; one bool mask with a one-element value is its masked_fill_ (which takes
    the value as a number, so it must fit the dtype). Slices and integers alone copy, casting."""
    if not isinstance(key, tuple):  # (a lone Python bool is a new axis: a copy)
        key = () if type(key) is bool else (key,)
    arrays = [np.asarray(part) for part in key if isinstance(part, (bool, list, np.ndarray))]
    if not arrays:
        return
    if len(arrays) == 1 and value._data.size == 1 and arrays[0].ndim and (
            arrays[0].dtype == np.bool_):
        _scalar_for("setitem", value._data.item(), dtype)
        return
    spanned = sum(np.ndim(part) if isinstance(part, np.ndarray) and part.dtype == np.bool_ else
                  part is not None and part is not Ellipsis and type(part) is not bool
                  for part in key)
    if spanned > ndim:  # (too many indices: PyTorch's IndexError first)
        return
    try:  # (index arrays that do not broadcast together are PyTorch's IndexError first)
        np.broadcast_shapes(*((np.count_nonzero(array),) if array.dtype == np.bool_ else
                              array.shape for array in arrays))  # (a bool: [0] or [])
    except ValueError:
        return
    raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                       f"{dtype} for the destination and {value._data.dtype} for the source")


def _spelled_out(key: Any, ndim: int) -> Any:
    """A tuple index with `...` and several index arrays, the `...` written as the slices it
    stands for: PyTorch places the arrays' result by the dims they index, so an `...` of no
    dims leaves them adjacent (x[:, [0, 1], ..., [0, 1]] of a 3-D x is (3, 2), NumPy's is
    (2, 3)). Any other index as it is."""
    if type(key) is not tuple or not any(part is Ellipsis for part in key):
        return key
    arrays = [part for part in key if isinstance(part, (np.ndarray, list, bool))]
    if len(arrays) < 2:
        return key
    used = sum(np.ndim(part) if np.asarray(part).dtype == np.bool_ else
               part is not None and part is not Ellipsis for part in key
               if type(part) is not bool)
    at = next(i for i, part in enumerate(key) if part is Ellipsis)
    return key[:at] + (slice(None),) * max(ndim - used, 0) + key[at + 1:]


def _torch_layout(index: Any) -> tuple[tuple, tuple] | None:
    """PyTorch's order for an index that mixes integers with index arrays, as two steps.

    PyTorch applies integers first (each removes its axis, like `select`), then the index
    arrays, with NumPy's rules among the arrays alone. NumPy counts the integers as index
    arrays too, which moves the result's axes when a slice separates them: for x of shape
    (A, B, C), `x[0, :, [1, 2]]` is (B, 2) in PyTorch and (2, B) in NumPy. A Python bool is
    a new axis (first step) indexed by [0] (True) or [] (False) in the second, as PyTorch
    reads it. None when the two agree (no mix).
    """
    if not isinstance(index, tuple):
        return None
    bools = [type(part) is bool for part in index]
    arrays = [isinstance(part, (list, np.ndarray)) and not _is_int_index(part) for part in index]
    if not (any(bools) or any(arrays) and any(map(_is_int_index, index))):
        return None
    first, second = [], []
    for part, is_bool, is_array in zip(index, bools, arrays):
        if is_bool:
            first.append(None)
            second.append(np.zeros(1 if part else 0, np.int64))
        elif _is_int_index(part):
            first.append(part)
        elif is_array:
            array = np.asarray(part)
            first.extend([slice(None)] * (array.ndim if array.dtype == np.bool_ else 1))
            second.append(part)
        elif part is Ellipsis:
            first.append(part)
            second.append(part)
        else:  # a slice, or None (its new axis exists after the first step)
            first.append(part)
            second.append(slice(None))
    return tuple(first), tuple(second)


_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)
_FLOAT16 = np.dtype(np.float16)
_FLOAT32_OPERANDS: dict[float, np.ndarray] = {}  # a few hundred recent ones


def _float_input(op: str, tensor: Tensor) -> Tensor:
    """A float tensor, or PyTorch's NotImplementedError for an op with no integer or bool
    kernel (softmax, gelu, elu, softplus, ... of ints)."""
    if tensor._data.dtype.kind not in "fc":
        raise DtypeError(f"{op}: not implemented for {tensor._data.dtype} tensors; pass "
                         f"dtype=torch.float32 or convert with .float()")
    return tensor


def _empty_result(tensor: Tensor) -> Tensor:
    """An empty tensor's softmax: itself as a new tensor (a float one stays in the graph)."""
    if tensor._data.dtype.kind in "fc":
        return tensor * 1
    return Tensor._make(tensor._data.copy(), None)


refuse_integers = _float_input  # (the activations' name for it: gelu, elu, softplus, ...)


def _integer_hardtanh(tensor: Tensor, op: str, min_val: float, max_val: float) -> Tensor:
    """hardtanh of an integer tensor, as PyTorch's: the limits truncated to integers and the
    dtype kept; bool, and an unsigned dtype with a negative limit, refused."""
    kind = tensor._data.dtype.kind
    if kind == "b":
        raise TensorError(f"Bool inputs not supported for hardtanh ({op})")
    if kind == "u" and min(min_val, max_val) < 0:
        raise TensorError(f"cannot do hardtanh on an unsigned type with negative limits ({op}: "
                          f"min_val={min_val}, max_val={max_val}, dtype {tensor._data.dtype})")
    return Tensor(np.clip(tensor._data, int(min_val), int(max_val)).astype(tensor._data.dtype))


def _binary(tensor: Tensor, other: Any, divide: bool = False) -> tuple:
    """(tensor, other) for a binary elementwise op, each cast to PyTorch's result dtype first
    (a 0-d tensor or a number is a weak operand of its kind): PyTorch casts every operand
    and then computes, where NumPy computes wider and the result would be cast after (int64
    16777217 - 16777216.0 is 0 in float32; uint8 max tensor(300) compares with 44). `divide`:
    true division, computed in a float dtype. Same dtypes, and a Python float with float32,
    pass straight through: the hot path."""
    data = tensor._data
    number = type(other)
    if number is float or number is int:  # a Python number is cast to a float32/64 tensor's
        if data.dtype is _FLOAT32 and number is float:  # dtype (NumPy's weak scalars), as PyTorch
            array = _FLOAT32_OPERANDS.get(other)  # (zeros are never cached: signs differ)
            return tensor, array if array is not None else _operand(other, data)
        if data.dtype is _FLOAT64 and (number is float or -(2**63) <= other < 2**64):
            return tensor, other  # (an int past int64 and uint64: _promoted_pair refuses it)
    elif isinstance(other, Tensor):
        if other._data.dtype is data.dtype and (not divide or data.dtype.kind == "f"):
            return tensor, other
    return _promoted_pair(tensor, other, divide)


def _promoted_pair(tensor: Tensor, other: Any, divide: bool) -> tuple:
    """_binary's slow path: PyTorch's result dtype, and each operand cast to it."""
    value = _number(other)
    first, second, target = promoted_operands(tensor._data, _data(value), divide)
    if target is None:  # not a tensor, array or number: as the op makes of it
        return tensor, _operand(other, tensor._data, divide)
    return _cast_tensor(tensor, first), _cast_tensor(value, second)


def _cast_tensor(value: Any, array: Any) -> Any:
    """`value` (a Tensor, array or number) as the operand `array` promoted_operands made of
    its data: a cast Tensor records the cast (its gradient converts back) and keeps showing
    in-place changes of the original to the ops that save it."""
    if not isinstance(value, Tensor):
        return array
    if array is value._data:
        return value
    cast = value.to(array.dtype)
    cast._counter = value._counter = value._counter or [0]
    return cast


def _opmath_scalar(tensor: Tensor, other: Any) -> Any:
    """PyTorch's CPU scalar beside a float16 `tensor` in mul, div and floor division (a
    Python or NumPy number, a 0-d array, or a 0-d tensor whose dtype does not widen the
    result): its value as a 0-d float32 array (a 0-d tensor cast to float32, recorded), which
    opmath's ops compute with in float32 before rounding once, as PyTorch. None otherwise."""
    value = _number(other)
    if type(value) in (int, float, bool):
        if type(value) is int:
            _check_int_operand(value)  # (2**70: PyTorch's OverflowError)
        with np.errstate(over="ignore"):  # 1e300 is inf in float32, as PyTorch
            return np.array(value, np.float32)
    data = _data(value)
    if type(data) is not np.ndarray or data.ndim or data.dtype.kind not in "biuf" or (
            isinstance(value, Tensor) and result_dtype(tensor._data, data) is not _FLOAT16):
        return None
    with np.errstate(over="ignore"):
        return _cast_tensor(value, data if data.dtype is _FLOAT32 else data.astype(np.float32))


def _addcmul(tensor: Tensor, tensor1: Any, tensor2: Any, value: Any) -> Tensor:
    return tensor.addcmul(tensor1, tensor2, value=value)  # (addcmul_'s op)


def _addcdiv(tensor: Tensor, tensor1: Any, tensor2: Any, value: Any) -> Tensor:
    return tensor.addcdiv(tensor1, tensor2, value=value)  # (addcdiv_'s op)


def scale_first(op: str, args: tuple[Any, ...], scale: Any, name: str) -> tuple[Any, ...]:
    """PyTorch's deprecated overloads that take the scale first (old optimizer code):
    `add_(Number alpha, Tensor other)` (add, sub and their in-place forms) and
    `addcmul_(Number value, Tensor tensor1, Tensor tensor2)` (addcdiv too). `args` are the
    positional operands after self, `scale` the keyword `name`'s value; returns the
    operands then the scale, with PyTorch's warning (its TypeError for other extras)."""
    wanted = len(args) - 1
    numbers = (int, float, np.number, np.bool_)  # (add_(2, 3): a Number other too, and
    if not (isinstance(args[0], numbers) and (type(args[0]) is not bool or wanted == 1)
            and all(isinstance(arg, Tensor) or wanted == 1 and isinstance(arg, numbers)
                    for arg in args[1:]) and scale == 1):  # a bool alpha: check_alpha's error)
        raise TypeError(f"{op}() takes {wanted} positional argument{'s' * (wanted > 1)} but "
                        f"{len(args)} were given")
    tensors = "Tensor other" if wanted == 1 else "Tensor tensor1, Tensor tensor2"
    global _scale_first_warned
    if not _scale_first_warned:  # once per process, the first such call's, as PyTorch's
        _scale_first_warned = True
        warnings.warn(f"This overload of {op} is deprecated:\n\t{op}(Number {name}, {tensors})\n"
                      "Consider using one of the following signatures instead:\n\t"
                      f"{op}({tensors}, *, Number {name} = 1)", UserWarning, stacklevel=3)
    return (*args[1:], args[0])


_scale_first_warned = False


def check_alpha(op: str, tensor: Tensor, other: Any, alpha: Any) -> None:
    """PyTorch's checks of add/sub's `alpha`: a number (or a 0-d tensor), a bool only for a
    bool result and a complex number only for a complex one (its RuntimeErrors)."""
    if type(alpha) is float and tensor._data.dtype.kind == "f":  # (the common case: a float
        return  # alpha with a float tensor, nothing to refuse)
    value = _number(alpha)
    if isinstance(value, Tensor) and not value.ndim:
        value = value.item()
    if not isinstance(value, (bool, int, float, complex)):
        raise TypeError(f"{op}(): argument 'alpha' must be Number, not {type(alpha).__name__}")
    dtype = result_dtype(tensor._data, _data(_number(other)))
    if dtype is not None and type(value) is bool and dtype.kind != "b":
        raise TensorError(f"{op}: Boolean alpha only supported for Boolean results (alpha="
                          f"{value}, a {dtype} result)")
    if dtype is not None and type(value) is complex and dtype.kind != "c":
        raise TensorError(f"{op}: for non-complex input tensors, argument alpha must not be a "
                          f"complex number (alpha={value}, a {dtype} result)")
    if dtype is not None and dtype.kind in "iu" and type(value) is int:
        _scalar_for(op, value, dtype)  # (alpha=300 for int8: PyTorch's overflow error)
    if dtype is not None and dtype.kind in "biu" and type(value) is float:  # (even 1.0 and
        raise TensorError(f"{op}: For integral input tensors, argument alpha must not be a "
                          f"floating point number (got {alpha!r})")  # np.bool_, as PyTorch)


def _refuse_bool_clamp(low: Any, high: Any) -> None:
    """clamp of a bool result with both bounds or a bool number, refused as PyTorch (it has
    no bool clamp kernel; one bool tensor bound is maximum/minimum, which it takes)."""
    bounds = [bound for bound in (low, high) if bound is not None]
    if all(type(b) is bool or isinstance(b, Tensor) and b._data.dtype.kind == "b"
           for b in bounds) and (len(bounds) == 2 or not isinstance(bounds[0], Tensor)):
        raise DtypeError("clamp: not implemented for bool tensors, as in PyTorch (a bool "
                         "tensor bound alone is maximum/minimum); convert with .long() first")


def refuse_bool_operand(first: Any, second: Any) -> None:
    """Subtraction with a bool operand (a bool tensor or Python bool) is refused, as PyTorch's
    `-`: `sub(alpha=)` checks before alpha scales the operand into a number."""
    if any(type(value) is bool or getattr(value, "dtype", None) == np.bool_
           for value in (_number(first), _number(second))):
        _refuse_bool_subtraction()


def _half_alpha(op: str, tensor: Tensor, other: Any, alpha: Any) -> tuple:
    """add/sub with `alpha` of a float16 result, computed in float32 (opmath.Add): the two
    operands in float16 (a number rounded), after PyTorch's check that alpha fits in
    float16; () for any other result dtype (or a non-Tensor or complex operand)."""
    number = _number(other)
    if tensor._data.dtype is not _FLOAT16 and not (
            isinstance(number, Tensor) and number._data.dtype is _FLOAT16):
        return ()  # (no float16 result: the common case, quickly)
    if not isinstance(number, (Tensor, int, float)) or type(_number(alpha)) not in (int, float):
        return ()
    if result_dtype(tensor._data, _data(number)) is not _FLOAT16:
        return ()
    _scalar_for(op, _number(alpha), _FLOAT16)  # 70000 is PyTorch's RuntimeError
    first, second, _ = promoted_operands(tensor._data, _data(number))
    return _cast_tensor(tensor, first), _cast_tensor(number, second)


def _integer_power(tensor: Tensor, exponent: Any) -> Tensor:
    """An integer or bool tensor ** exponent, as PyTorch: a negative Python int exponent, or
    one past the dtype's range, is refused; bool ** bool is bool (b ** True is b), and two
    bool tensors are refused (no bool pow kernel)."""
    dtype, exponent = tensor._data.dtype, _number(exponent)
    if dtype.kind == "b" and (type(exponent) is bool or isinstance(exponent, Tensor) and (
            exponent._data.dtype.kind == "b")):
        if not isinstance(exponent, bool):
            raise DtypeError("pow: not implemented for a bool tensor to a bool tensor's power, "
                             "as in PyTorch; convert one with .long() first")
        return Tensor._make(np.asarray(np.logical_or(tensor._data, not exponent)), None)
    if type(exponent) is int and dtype.kind in "biu":
        if exponent < 0:
            raise TensorError(f"pow: integers to negative integer powers are not allowed "
                              f"({dtype} tensor ** {exponent}); use a float tensor")
        _scalar_for("pow", exponent, dtype)  # past the dtype's range: PyTorch's RuntimeError
    return Pow.apply(*_binary(tensor, exponent))


def _number(value: Any) -> Any:
    """A NumPy scalar as the Python number PyTorch takes it for (np.bool_ a float, 1.0 or
    0.0, as PyTorch reads it: `int_tensor * np.bool_(True)` is float32); anything else as
    it is."""
    if isinstance(value, np.generic):
        return float(value) if type(value) is np.bool_ else value.item()
    return value


class NotAnOperand(TypeError):
    """A list, tuple or string in arithmetic with a Tensor (a TypeError, as PyTorch's); `+` and
    `*` answer NotImplemented instead, so Python's sequence rules apply: `[0] * tensor(2)` is
    [0, 0] and `[1] + tensor([2])` a TypeError, as with PyTorch."""


def _operand(other: Any, data: np.ndarray, divide: bool = False) -> Any:
    """`other` for arithmetic with `data`; a nonzero Python float with a float32 array as the
    same number, a read-only 0-d float32 array (cached). NumPy casts the float to float32
    either way, but its arithmetic on a 0-d array costs half as much (a `* 1.0001` chain)."""
    if type(other) is not float or data.dtype is not _FLOAT32 or not other:
        if data.dtype.kind in "iu" and not divide and (  # uint8 - 1 wraps (np.int64 too)
                type(other) is int or isinstance(other, np.integer)):
            return wrapped_int(int(other), data.dtype)
        if isinstance(other, tuple) and any(isinstance(part, Tensor) for part in other):
            raise TypeError(f"arithmetic with a tuple of tensors (a (values, indices) pair of "
                            f"max/min/sort along a dim?): take `.values`, or use "
                            f"amax/amin ({type(other).__name__} of {len(other)})")
        if isinstance(other, (list, tuple, str, bytes, range)):
            raise NotAnOperand(f"unsupported operand: a Tensor and a {type(other).__name__} "
                               f"(PyTorch's arithmetic takes tensors and numbers; wrap it: "
                               f"tg.tensor(...))")
        if not isinstance(other, (int, float, complex, np.ndarray, np.generic)) and (
                other is None or not hasattr(other, "__array__")):  # `t + None`, a Fraction:
            raise NotAnOperand(f"unsupported operand: a Tensor and {type(other).__name__}")
        return other  # (and for floats: 0.0 == -0.0 as keys; their signs differ)
    array = _FLOAT32_OPERANDS.get(other)
    if array is None:
        if len(_FLOAT32_OPERANDS) >= 256:
            _FLOAT32_OPERANDS.clear()
        with np.errstate(over="ignore"):  # 1e300 is inf in float32, as in PyTorch
            array = np.array(other, np.float32)
        array.flags.writeable = False
        _FLOAT32_OPERANDS[other] = array
    return array


# NumPy functions whose result is a computed value a gradient would flow through: refused for
# a tensor that requires grad (Tensor.__array_function__); the others (np.shape, np.allclose,
# np.argmax, np.array_equal, ...) just run on the values.
_NUMPY_COMPUTING = frozenset((
    "dot vdot inner outer tensordot einsum kron cross matmul transpose swapaxes moveaxis "
    "reshape ravel squeeze expand_dims concatenate stack hstack vstack dstack column_stack "
    "tile repeat flip roll pad clip where select sum mean prod max min amax amin average std "
    "var median cumsum cumprod diff trace diagonal sort partition take take_along_axis "
    "broadcast_to append insert delete norm inv det solve pinv cholesky svd eigh qr lstsq "
    "matrix_power multi_dot logsumexp nansum nanmean nanmax nanmin").split())


def _as_arrays(values: tuple) -> tuple:
    """Tensors (also inside a list or tuple argument) as their arrays, for a NumPy function."""
    return tuple(value._data if isinstance(value, Tensor) else type(value)(
        part._data if isinstance(part, Tensor) else part for part in value)
        if isinstance(value, (list, tuple)) else value for value in values)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


# np.<ufunc>(x, y) with a tensor: x's operator, or y's reflected one when x is not a tensor.
_NUMPY_OPERATORS = {
    "add": ("__add__", "__radd__"), "subtract": ("__sub__", "__rsub__"),
    "multiply": ("__mul__", "__rmul__"), "divide": ("__truediv__", "__rtruediv__"),
    "floor_divide": ("__floordiv__", "__rfloordiv__"), "remainder": ("__mod__", "__rmod__"),
    "power": ("__pow__", "__rpow__"), "matmul": ("__matmul__", "__rmatmul__"),
    "bitwise_and": ("__and__", "__rand__"), "bitwise_or": ("__or__", "__ror__"),
    "bitwise_xor": ("__xor__", "__rxor__"), "left_shift": ("__lshift__", "__rlshift__"),
    "right_shift": ("__rshift__", "__rrshift__"), "less": ("__lt__", "__gt__"),
    "less_equal": ("__le__", "__ge__"), "greater": ("__gt__", "__lt__"),
    "greater_equal": ("__ge__", "__le__"), "equal": ("__eq__", "__eq__"),
    "not_equal": ("__ne__", "__ne__"), "negative": ("__neg__", None),
    "positive": ("__pos__", None), "absolute": ("__abs__", None), "invert": ("__invert__", None),
}


class Tensor:
    """An n-dimensional array with automatic differentiation.

    `Tensor(data, requires_grad=False, dtype=None, name=None)`: `data` is an ndarray (kept as
    is, sharing memory, dtype preserved), a Python scalar or a nested list. A list is float32
    and one int is a size (`Tensor([1, 2])`, `Tensor(3)`: PyTorch's legacy constructor;
    `tensor()` infers ints as int64). Only floating-point tensors can require gradients.
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "grad_fn", "_name", "_counter", "_hooks",
                 "_user_memory", "_view_of", "_multi_view", "_shared", "__weakref__", "__dict__")
    # _user_memory: see _relaid_out; _multi_view: see _mark_multi_view; _shared: share_memory_;
    # _view_of: the tensor a view op's result views (PyTorch's ._base; kept alive, as there);
    # __dict__: attributes of the user's (`p.no_decay = True`), as PyTorch's tensors take
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy meeting a tensor. `array * t`, `np.float32(2) * t`, `np.add(a, t)`: the
        tensor's operator (recording the graph). Any other ufunc (`np.exp(t)`, `np.isnan(t)`)
        runs on the values and gives a tensor, as in PyTorch, and refuses a tensor that
        requires grad while grad mode is on (its gradient would be lost silently) or a tensor
        as `out=`."""
        names = _NUMPY_OPERATORS.get(ufunc.__name__) if method == "__call__" else None
        if names is not None and not kwargs:
            if isinstance(inputs[0], Tensor):
                return getattr(inputs[0], names[0])(*inputs[1:])
            return getattr(inputs[1], names[1])(inputs[0])
        if any(isinstance(value, Tensor) for value in kwargs.get("out", ())) or any(
                isinstance(value, Tensor) and value._requires_grad for value in inputs) and (
                ufunc.__name__ not in ("isnan", "isinf", "isfinite", "signbit")) and (
                is_grad_enabled()) or (
                method == "at" and isinstance(inputs[0], Tensor)):  # (writes into inputs[0])
            raise AutogradBypass(
                f"numpy.{ufunc.__name__} on a tensor that requires grad (or into a tensor "
                "given as out=, or ufunc.at into a tensor) would bypass autograd: use the "
                f"tensor's own operation (t.{ufunc.__name__}() or tg.{ufunc.__name__}(t), "
                "tg.maximum, tg.where, ...); t.detach() only for values you do not "
                "differentiate through")
        result = getattr(ufunc, method)(
            *(value._data if isinstance(value, Tensor) else value for value in inputs), **kwargs)
        if kwargs.get("out") is not None:  # NumPy's protocol: `out` itself (`array += t`
            return result  # keeps `array` an ndarray)
        if isinstance(result, tuple):
            return tuple(Tensor(part) for part in result)
        return result if result is None else Tensor(result)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy's functions on tensors (`np.sum(pred == y)`, `np.dot(a, b)`) run on the values
        and give NumPy's result. One that computes values a gradient would have to flow
        through (`np.dot`, `np.transpose`, `np.clip`, `np.where`, `np.sum`, ...) is refused for
        a tensor that requires grad while grad mode is on: its gradient would be lost silently."""
        if func.__name__ in _NUMPY_COMPUTING and is_grad_enabled() and any(
                isinstance(part, Tensor) and part._requires_grad
                for value in (*args, *kwargs.values())
                for part in (value if isinstance(value, (list, tuple)) else (value,))):
            raise AutogradBypass(
                f"numpy.{func.__name__} on a tensor that requires grad would bypass autograd "
                f"(the result would have no gradient): use the tensor's own operation "
                f"(`a @ b`, t.T, t.sum(), t.clamp(...), tg.where(...), tg.cat([...])"
                + ("" if func.__name__ in ("where", "cat") else
                   f", tg.{func.__name__}(...) where it exists")
                + "), or t.detach() for values you do not differentiate through")
        return func(*_as_arrays(args), **dict(zip(kwargs, _as_arrays(tuple(kwargs.values())))))

    def __init__(
        self, data: Any = (), requires_grad: bool = False, *sizes: int, dtype: Any = None,
        name: str | None = None, device: Any = None,
    ) -> None:
        if type(data) is Size and type(requires_grad) is bool and not sizes:  # Tensor(x.size())
            data = np.zeros(tuple(data), dtype if dtype is not None else get_default_dtype())
        elif _is_size(data) and (_is_size(requires_grad) or type(requires_grad) is bool and (
                not sizes and type(data) is int)):  # PyTorch's legacy Tensor(3), Tensor(2, 3):
            sizes = (data, *(() if type(requires_grad) is bool else (requires_grad,)), *sizes)
            requires_grad = requires_grad if type(requires_grad) is bool else False  # (zeros
            if min(sizes) < 0:
                raise TensorError(f"Tensor: Trying to create tensor with negative dimension "
                                  f"{min(sizes)}: {list(sizes)}")
            data = np.zeros(sizes, dtype if dtype is not None else get_default_dtype())  # here,
            # PyTorch's are uninitialised)
        elif sizes and len(sizes) <= 3 and _is_dtype(sizes[0]) and dtype is None:
            dtype, name, device = (*sizes, None, None)[:3]  # the older positional dtype, ...
        elif sizes or not isinstance(requires_grad, (bool, np.bool_, int)) or (
                requires_grad not in (0, 1)):
            raise TypeError(f"Tensor: sizes are all ints (Tensor(2, 3)); data is one argument "
                            f"(Tensor([[1, 2]])), then requires_grad (got {requires_grad!r})")
        elif type(data) is tuple and not data:
            data = np.zeros(0, get_default_dtype())  # Tensor(): an empty float tensor
        if device is not None:
            as_device(device, "Tensor")  # only the CPU exists; anything else raises
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a str or None, got {type(name).__name__}")
        if dtype is None and type(data) in (list, tuple, range):
            dtype = get_default_dtype()  # PyTorch's legacy Tensor([1]), Tensor([2**64])
        self._data: np.ndarray = _to_array(data, dtype)
        if isinstance(data, np.ndarray) and np.may_share_memory(self._data, data):
            self._user_memory = True  # the caller's array: never relaid out (see view())
        self._grad: Tensor | None = None
        self.grad_fn = None
        self._name = name
        if name is not None:
            named_tensors[id(self)] = self
        self._counter: list[int] | None = None  # the version counter, made on first use
        self._requires_grad = False
        if requires_grad:
            _refuse_integer_grad(self, "Only Tensors of floating point and complex dtype")
            self.requires_grad_(True)
        if isinstance(data, Tensor) and (requires_grad or self._data.flags.writeable) and (
                np.may_share_memory(self._data, data._data)):
            # `Tensor(x)`, `Parameter(x)` write into x's memory, as PyTorch: x's version counter
            # (`Tensor(w)` of a leaf w holds w's read-only array: it copies at its first write)
            _share_counter(data, self)

    @classmethod
    def _make(cls, data: np.ndarray, grad_fn: Any) -> Tensor:
        """Fast constructor for op results (no conversion): the per-op hot path."""
        tensor = object.__new__(cls)
        tensor._data = data
        tensor._grad = None
        tensor._requires_grad = grad_fn is not None
        tensor.grad_fn = grad_fn
        tensor._name = None
        tensor._counter = None
        return tensor

    @property
    def name(self) -> str | None:
        """A label for drawings, backward traces and error messages (None: no name)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        # The graph keeps no Tensor for an op's result, only its node: a name given to a
        # result is noted on the node (and a named leaf or constant in `named_tensors`),
        # so drawings and traces of the graph can show it. Nothing is paid until a name is set.
        self._name = value
        if self.grad_fn is not None:
            self.grad_fn.output_name = value
        elif value is not None:
            named_tensors[id(self)] = self

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self) -> Size:
        """The size of each axis, a `Size` (a tuple with `numel()`), as PyTorch's."""
        return _NEW_TUPLE(Size, self._data.shape)

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self._data.ndim

    @property
    def dtype(self) -> torch_dtype_class:
        """PyTorch's dtype object of the data (`torch.float32`; `.dtype` of it is NumPy's)."""
        return _TORCH_DTYPES[self._data.dtype]

    def size(self, dim: int | None = None) -> Size | int:
        """The shape as a `Size` (a tuple), or the length of axis `dim` (PyTorch's size)."""
        if dim is None:
            return _NEW_TUPLE(Size, self._data.shape)
        if not self.ndim:  # PyTorch: a 0-d tensor has no dim to name
            raise IndexError(f"size: dimension specified as {dim} but the tensor has no "
                             f"dimensions (shape ())")
        return self._data.shape[_wrap_dim("size", dim, self.ndim)]

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    def dim(self) -> int:
        """The number of axes (as `ndim`)."""
        return self._data.ndim

    def data_ptr(self) -> int:
        """The address of the first element (equal for tensors that share memory there)."""
        return self._data.__array_interface__["data"][0]

    def pin_memory(self) -> Tensor:
        """Self: there is no GPU to pin host memory for (PyTorch's call, for portability)."""
        return self

    def share_memory_(self) -> Tensor:
        """Self, marked shared (`is_shared()` is then True, as PyTorch's): one process here,
        so the memory stays where it is."""
        self._shared = True
        return self

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor came out of a recorded op."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward() (None until then, or after zero_grad()).
        Read on a result that did not call retain_grad(), it is None with PyTorch's warning."""
        grad = self._grad
        if grad is None and self.grad_fn is not None and all(
                reference() is not self for reference in self.grad_fn.retained):
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being "
                          "accessed. Its .grad attribute won't be populated during "
                          "backward(); call .retain_grad() on it first if you want it, or read "
                          "the leaf tensor's .grad instead.", UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value is self:  # backward would accumulate into the parameter itself
                raise RuntimeError("can't assign Variable as its own grad (w.grad = w)")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size {value.shape} to a "
                                   f"tensor of size {self.shape}. Please ensure that the "
                                   "gradient and the tensor are the same size")
            if value.dtype.kind != "f":
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"{value._data.dtype} to a tensor with dtype "
                                   f"{self._data.dtype}: not a float dtype")
            if value.dtype != self.dtype:  # as PyTorch: backward() accumulates in self's dtype
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"{value._data.dtype} to a tensor with dtype "
                                   f"{self._data.dtype}: convert it first (g.to({self.dtype}))")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:  # `del p.grad`: None again, as PyTorch
        self._grad = None

    @property
    def requires_grad(self) -> bool:
        """Whether a gradient is computed for this tensor (a leaf's `.grad`, or a graph node)."""
        return self._requires_grad

    @property
    def _base(self) -> Tensor | None:
        """The tensor whose memory this view's is (the root of a view of a view), None for a
        tensor that is not a view (PyTorch's `._base`)."""
        return getattr(self, "_view_of", None)

    def _is_view(self) -> bool:
        """Whether a view op made this tensor (it has a `_base`)."""
        return getattr(self, "_view_of", None) is not None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        # `w.requires_grad = True` (PyTorch's spelling) gets requires_grad_()'s checks: float
        # dtypes only, leaves only, and the leaf's array becomes read-only.
        if self.grad_fn is not None:  # (requires_grad_(True) of a result is a no-op there)
            raise RuntimeError("you can only change requires_grad flags of leaf variables; use "
                               "detach() for a value outside the graph")
        if type(value) is not bool:  # (PyTorch's error: 1 or np.True_ is not a flag)
            raise RuntimeError("requires_grad must be a bool")
        if value:
            _refuse_integer_grad(self, "only Tensors of floating point and complex dtype")
        self.requires_grad_(value)

    @requires_grad.deleter
    def requires_grad(self) -> None:
        raise RuntimeError("requires_grad must be a bool (it cannot be deleted)")

    @property
    def T(self) -> Tensor:
        """All axes reversed (the matrix transpose for 2-D)."""
        return pytorch_named(self.transpose(), "PermuteBackward0")

    @property
    def H(self) -> Tensor:  # noqa: N802
        """The conjugate transpose of a matrix (for real tensors, the transpose), as PyTorch:
        2-D tensors (and 0-d ones, returned as they are) only."""
        if self.ndim not in (0, 2):
            raise RuntimeError(f"H: only supported on matrices (2-D tensors), got shape "
                               f"{self.shape}; use mH for batches")
        return self.transpose(0, 1) if self.ndim else _viewed(self, Reshape.apply(self, ()))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        """The last two axes swapped (a batch of matrices transposed); a 0-d tensor itself,
        with PyTorch's deprecation warning."""
        if self.ndim == 0:
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the "
                          "identity in these cases.", UserWarning, stacklevel=2)
            return self
        if self.ndim < 2:
            raise RuntimeError(f"mT: expected a tensor of 2 or more dimensions, got shape "
                               f"{self.shape}")
        return self.transpose(-2, -1)

    mH = mT  # real tensors only: the conjugate transpose is the transpose

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    # PyTorch's layout queries, read from the NumPy array: strides and offsets in elements.
    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The step in elements between neighbours along each axis (`stride(dim)`: one axis),
        as PyTorch's: (4, 1) for a contiguous (3, 4) tensor, (1, 4) for its transpose."""
        strides = tuple(step // self._data.itemsize for step in self._data.strides)
        # NumPy 2 gives empty arrays zero strides, and conv results are stored batch innermost
        # (see device.batch_innermost): PyTorch's are row-major
        if self._data.size == 0 or self._kernel_ordered():
            steps, step = [], 1
            for size in reversed(self._data.shape):
                steps.append(step)
                step *= max(size, 1)
            strides = tuple(reversed(steps))
        elif 1 in self.shape and 0 in strides:  # NumPy's 0 for a size-1 axis (None, expand):
            strides = self._unit_axis_strides(strides)  # PyTorch's row-major step there
        if dim is None:
            return strides
        if self.ndim == 0:
            raise IndexError(f"stride: dimension specified as {dim} but the tensor has no "
                             "dimensions")
        return strides[_wrap_dim("stride", dim, self.ndim)]

    def _unit_axis_strides(self, strides: tuple[int, ...]) -> tuple[int, ...]:
        """`strides` with a size-1 axis's 0 replaced by the next axis's size times its stride
        (1 for the last axis), as PyTorch's unsqueeze and expand report it (never used to
        address memory: a size-1 axis does not move)."""
        result = list(strides)
        for axis in reversed(range(self.ndim)):
            if self.shape[axis] == 1 and result[axis] == 0:
                last = axis == self.ndim - 1
                result[axis] = 1 if last else self.shape[axis + 1] * result[axis + 1]
        return tuple(result)

    def is_inference(self) -> bool:
        """True for the result of an op run inside `inference_mode()` (inference_tensors.py)."""
        return getattr(self, "_inference", False)

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """True when the elements lie in memory in row-major order without gaps (with
        `memory_format=torch.channels_last`: in NHWC order, PyTorch's rule for size-1 dims)."""
        if memory_format in (None, contiguous_format, preserve_format):
            return bool(self._data.flags.c_contiguous) or self._kernel_ordered()
        return is_laid_out(self.shape, self.stride(), memory_format)

    def _kernel_ordered(self) -> bool:
        """A conv or pooling result (or an elementwise one of it) kept batch innermost, which
        PyTorch's is contiguous (your own `permute` to that order is not: _mark_view)."""
        return batch_innermost(self._data)

    def storage_offset(self) -> int:
        """Where the first element sits in the memory block it shares with the tensors it is a
        view of, in elements (0 for a tensor that owns its memory)."""
        owner, found = self._data, self._data
        while getattr(found, "base", None) is not None:  # views of views, as_strided's helper
            found = found.base
            owner = found if isinstance(found, np.ndarray) else owner
        start = owner.__array_interface__["data"][0]
        return (self._data.__array_interface__["data"][0] - start) // self._data.itemsize

    @property
    def nbytes(self) -> int:
        """The number of bytes of the elements (numel() * itemsize)."""
        return self._data.size * self._data.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    def nelement(self) -> int:
        """The number of elements (as numel())."""
        return self._data.size

    def ndimension(self) -> int:
        """The number of axes (as dim())."""
        return self._data.ndim

    def is_complex(self) -> bool:
        """False: tinygrad_np has no complex dtypes."""
        return False

    def is_signed(self) -> bool:
        """True for signed integer and float dtypes (not bool or uint8), as PyTorch."""
        return self._data.dtype.kind in "if"

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing a gradient (in place); returns self."""
        flag(requires_grad, "requires_grad_", "requires_grad")
        if requires_grad:
            _refuse_integer_grad(self, "only Tensors of floating point dtype")
        if requires_grad and getattr(self, "_inference", False) and (
                not in_inference_mode()):
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables "
                               "(requires_grad_(False) of a result); use .detach()")
        if requires_grad and not self.requires_grad and self.grad_fn is None:
            # A leaf's values may be saved by any graph: writes go through the in-place
            # methods (which bump the version), not into the array.
            self._data = _lock(self._data)
        elif not requires_grad and self._requires_grad and (
                _locked_views.get(id(self._data)) is self._data):
            # a frozen parameter is an ordinary tensor again: `p.data.mul_(d)` (an EMA copy),
            # `p.numpy()[...] = v` write into it, as in PyTorch
            self._data.flags.writeable = True
            del _locked_views[id(self._data)]
        self._requires_grad = requires_grad
        return self

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as an ndarray, sharing memory.

        For a tensor that requires grad the array is a read-only view: writing into it would
        change values a graph may have saved, behind autograd's back (PyTorch refuses
        numpy() there). `t.detach().numpy()` is writable for a tensor computed by ops (a
        leaf's detach() shares its read-only array: use `t.detach().clone().numpy()`).
        `force=True` (PyTorch's) gives a writable copy for a tensor that requires grad.
        """
        if force and self.requires_grad:
            return self._data.copy()
        _mark_user_memory(self)  # handed out: never relaid out behind the caller's back
        if not self.requires_grad:
            return self._data
        view = self._data.view()
        view.flags.writeable = False
        return view

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise TensorError(f"item(): a Tensor with {self._data.size} elements cannot be "
                              f"converted to Scalar (only one-element tensors; this one "
                              f"has shape {self.shape})")
        return self._data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self._data.tolist()

    @property
    def data(self) -> Tensor:
        """The values outside the graph, as PyTorch's `.data`: a tensor that shares this one's
        memory, with requires_grad=False (`m.weight.data.normal_(0, 0.02)` initialises the
        weight). Unlike PyTorch it also shares the version counter, like `detach()`: a write
        through it after a graph saved these values makes that graph's backward() raise
        instead of giving a silently wrong gradient."""
        result = _share_counter(self, Tensor._make(self._data, None))
        if inference_view is not None:  # (while inference tensors live: inference_tensors.py)
            inference_view(self, result)
        return result

    @data.setter
    def data(self, value: Any) -> None:
        """`p.data = t` gives p the values, shape and dtype of t (sharing t's memory), as in
        PyTorch. A graph that saved p's old values refuses backward() afterwards, as after an
        in-place change (PyTorch would use the new values)."""
        if not isinstance(value, Tensor):  # as PyTorch: an ndarray written later would change
            raise TypeError(  # the values behind the version counter
                f"Tensor.data: data has to be a tensor, but got {type(value).__name__} "
                "(wrap it: tg.tensor(x))")
        if value is self:
            return
        array = value._data
        if self._requires_grad and array.dtype.kind != "f":
            raise DtypeError(f"Tensor.data: a tensor that requires grad needs floating-point "
                             f"data, got {array.dtype}")
        counter = self._counter
        if counter is not None:  # graphs that saved the old values refuse them
            counter[0] += 1
        if self._requires_grad and self.grad_fn is None:  # a leaf's array is read-only (see
            array = _lock(array)  # requires_grad_)
        self._data = array
        if counter is not None and value._counter is counter:
            return  # the same memory (`p.data -= x`, `p.data = p.data`): the same counter
        if counter is not None:  # the tensors sharing the old memory no longer share it
            counter[2:] = [ref for ref in counter[2:] if ref() is not self]
        self._counter = None  # t's counter, not as a view of t (p is no view in PyTorch):
        _share_counter(value, self)._counter[-1] = _SameStorage(self)

    @data.deleter
    def data(self) -> None:
        raise RuntimeError("Deleting tensor data is not allowed. Delete tensor instead!")

    @property
    def _grad_fn(self) -> Any:
        """PyTorch's other name of `grad_fn` (it may not be deleted)."""
        return self.grad_fn

    @_grad_fn.setter
    def _grad_fn(self, value: Any) -> None:
        """Only None, which detaches self in place, as PyTorch's."""
        if value is not None:
            raise RuntimeError("_grad_fn can be only set to None")
        self.detach_()

    @_grad_fn.deleter
    def _grad_fn(self) -> None:
        raise RuntimeError("Deletion of _grad_fn not allowed. Detach tensor instead!")

    @property
    def _backward_hooks(self) -> dict | None:
        """The functions register_hook gave this tensor, by number (PyTorch's), or None."""
        owner = self if self.grad_fn is None else self.grad_fn
        hooks = [hook.func for hook in getattr(owner, "_hooks" if owner is self else "hooks", ())
                 if type(hook) is functools.partial]  # (register_hook's entries: hooks.py)
        return dict(enumerate(hooks)) or None

    @_backward_hooks.setter
    def _backward_hooks(self, hooks: dict | None) -> None:
        """register_hook's functions replaced by `hooks`' values (None or {}: removed), as
        PyTorch's (`t._backward_hooks = OrderedDict()` clears them)."""
        owner, field = (self, "_hooks") if self.grad_fn is None else (self.grad_fn, "hooks")
        setattr(owner, field, [hook for hook in getattr(owner, field, ())
                               if type(hook) is not functools.partial])
        for hook in (hooks or {}).values():
            self.register_hook(hook)

    @_backward_hooks.deleter
    def _backward_hooks(self) -> None:
        raise RuntimeError("Deletion of _backwards_hooks not allowed!")

    def detach(self) -> Tensor:
        """The same data, cut from the graph: no gradient flows through the result.

        As in PyTorch it shares memory and the version counter with self, so an in-place
        change through either one is seen by graphs that saved the other.
        """
        result = _share_counter(self, Tensor._make(self._data, None))
        if inference_view is not None:  # (while inference tensors live: inference_tensors.py)
            inference_view(self, result)
        return result

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf with requires_grad=True.

        `gradient` is the upstream gradient (required unless self has one element). The
        graph's saved arrays are freed afterwards unless `retain_graph=True`.
        """
        if inputs is not None and not isinstance(inputs, Tensor):  # (GradientEdges: tensors)
            from tinygrad_np.autograd_graph import edges_as_tensors

            inputs = edges_as_tensors(inputs if isinstance(inputs, tuple) else list(inputs))
        inputs = [inputs] if isinstance(inputs, Tensor) else (
            None if inputs is None else list(inputs))  # (model.parameters(): a generator)
        if inputs is not None and not inputs:
            raise RuntimeError(EMPTY_INPUTS)
        given_inputs(inputs or [])
        gradient = given_backward_gradient(gradient)
        if inputs is not None and not all(t.requires_grad for t in inputs):
            raise RuntimeError("backward: an input in `inputs` does not require grad "
                               "(PyTorch: can't retain_grad on Tensor that has "
                               "requires_grad=False)")
        if create_graph:
            warn_create_graph_cycle()
        run_backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep this intermediate tensor's gradient in `.grad` at the next backward().

        Only leaves get `.grad` by default; this is for looking inside (and for drawing).
        """
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return  # a leaf keeps its gradient anyway
        node = self.grad_fn  # backward() captures the gradients of nodes in _RETAINED
        if all(reference() is not self for reference in node.retained):  # once per tensor
            node.retained = node.retained + (weakref.ref(self),)
            _RETAINED.add(node)

    def _graph_zero(self, zero: float = -0.0) -> Tensor:
        """Zeros of self's shape that stay in self's graph with gradient 0 (self's NaN and inf
        do not spread): a term PyTorch keeps in the graph although its derivative is 0.
        -0.0 by default, so `y + x._graph_zero()` is y exactly (-0.0 stays -0.0)."""
        return self.where(np.zeros(self.shape, dtype=bool), zero)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call `hook(grad)` each time backward computes the gradient with respect to this
        tensor; a Tensor it returns (same shape and dtype) replaces that gradient. Returns a
        handle: `handle.remove()` (see `tinygrad_np.hooks`)."""
        return _register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """Call `hook(self)` each time backward() has added to this leaf's `.grad` (PyTorch's:
        an optimizer can step each parameter as soon as its gradient is complete)."""
        return _register_post_accumulate_grad_hook(self, hook)

    def __getstate__(self) -> tuple[dict | None, dict]:
        """What pickle and deepcopy keep: every slot (the graph too: a copied result keeps a
        copy of its graph, which PyTorch refuses or drops) but the hooks (left out with
        PyTorch's warning) and the version counter shared with views (the copy gets its own,
        at the same version)."""
        if getattr(self, "_hooks", ()):
            warnings.warn(f"the {len(self._hooks)} backward hook(s) of this tensor are not "
                          "kept by pickle or deepcopy", UserWarning, stacklevel=3)
        slots = {name: getattr(self, name) for cls in type(self).__mro__
                 for name in getattr(cls, "__slots__", ()) if hasattr(self, name) and
                 name not in ("_hooks", "__weakref__", "__dict__", "_view_of")}
        slots["_counter"] = None if self._counter is None else [self._counter[0]]
        slots["_grad"] = None  # pickle drops `.grad`, as PyTorch (deepcopy: see below)
        return getattr(self, "__dict__", None) or None, slots

    _deepcopy_keeps_grad = True  # nn.Parameter: False (PyTorch's Parameter.__deepcopy__)

    def __deepcopy__(self, memo: dict) -> Tensor:
        """copy.deepcopy(t): new memory and copies of `.grad` and of the attributes set on t
        (an nn.Parameter's are dropped, as PyTorch's); hooks and the version counter as
        pickle (see __getstate__)."""
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        _copy_in_place(self._data, memo)
        attributes, slots = self.__getstate__()
        attributes = attributes if self._deepcopy_keeps_grad else None
        copied.__setstate__(copy.deepcopy((attributes, slots), memo))
        if self._deepcopy_keeps_grad and self._grad is not None:
            copied._grad = copy.deepcopy(self._grad, memo)
        return copied

    def __copy__(self) -> Tensor:
        """copy.copy(t): the same memory, as in PyTorch, and the same version counter, so a
        write through either one is seen by the graphs that saved the other."""
        copied = object.__new__(type(self))
        copied.__setstate__(self.__getstate__())
        return _share_counter(self, copied)

    def __setstate__(self, state: tuple[dict | None, dict]) -> None:
        """The copy's slots; a leaf that requires grad gets a read-only array again."""
        attributes, slots = state
        if "data" in slots:  # pickled before the array's slot was renamed `_data`
            slots["_data"] = slots.pop("data")
        if attributes:
            self.__dict__.update(attributes)
        for name, value in slots.items():
            object.__setattr__(self, name, value)
        if self._requires_grad and self.grad_fn is None and self._data.flags.writeable:
            self._data = _lock(self._data)

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor after retain_grad() (a leaf keeps its gradient anyway:
        False there, as PyTorch)."""
        node = self.grad_fn
        return node is not None and any(reference() is self for reference in node.retained)

    def detach_(self) -> Tensor:
        """Cut self from the graph in place: it becomes a leaf that does not require grad.
        A view (of reshape, indexing, transpose, ...) is refused, as PyTorch does."""
        if _is_view(self):
            raise RuntimeError(f"Can't detach views in-place. Use detach() instead (detach_ of "
                               f"a view of shape {self.shape}).")
        if self.retains_grad:
            self.grad_fn.retained = tuple(reference for reference in self.grad_fn.retained
                                          if reference() is not self)
        self.grad_fn, self._requires_grad = None, False
        return self

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        """PyTorch's layout (printing.py): `tensor([1.0000, 2.5000], grad_fn=<MulBackward0>)`,
        the dtype shown when it is not a default one; a name given for drawing comes last."""
        extras = []
        if self.grad_fn is not None:
            node = self.grad_fn  # (the class's name(): an op may keep its own `ctx.name`)
            extras.append(f"grad_fn=<{type(node).name(node).rpartition('::')[2]}>")  # (short:
            # PyTorch's `torch::autograd::CopySlices` prints as `<CopySlices>`)
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name and self.name != getattr(self, "_auto_name", None):  # (not a parameter's
            extras.append(f"name={self.name!r}")  # name from its module: PyTorch shows none)
        return tensor_text(self._data, extras, get_default_dtype())

    def draw_graph(self, **options: Any) -> Any:
        """The graph that produced this tensor as a graphviz.Digraph (the viz package)."""
        if "draw_graph" not in tool_hooks:
            raise RuntimeError("draw_graph needs the drawing tools: import tinygrad_np first")
        return tool_hooks["draw_graph"](self, **options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Jupyter shows a tensor that has a graph as its drawn graph, else as text."""
        bundle = {"text/plain": repr(self)}
        if self.grad_fn is not None:
            try:
                bundle.update(self.draw_graph()._repr_mimebundle_(include, exclude))
            except Exception:  # no graphviz package or binary: plain text is still right
                pass
        return bundle

    # ----------------------------------------------------------------- Python protocol
    __hash__ = object.__hash__  # identity, so tensors can be dict keys despite __eq__

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return self._rows()

    def _rows(self) -> Iterator[Tensor]:
        """The rows, one at a time: as PyTorch's unbind(0), rows a recorded write may not
        change (see _mark_multi_view)."""
        for index, row in enumerate(_cut(self, 0, range(self._data.shape[0] + 1), take=True)):
            _mark_multi_view(row, _multi_view_message(index, "Unbind"))
            yield row

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """NumPy 2's protocol: `np.asarray(t)` shares the memory (read-only, as numpy(), for
        a tensor that requires grad), `copy=True` copies, and `copy=False` with a dtype
        that needs a conversion is NumPy's ValueError."""
        if copy:
            return np.array(self._data, dtype=dtype, copy=True)
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self.numpy()
        if copy is False:
            raise ValueError(f"Unable to avoid copy while creating an array as requested: a "
                             f"{self._data.dtype} tensor as {np.dtype(dtype)} is a copy")
        return self._data.astype(dtype)

    def __reversed__(self) -> Tensor:
        """reversed(t) is t.flip(0) (in the graph), and a 0-d tensor itself, as PyTorch."""
        return self if self._data.ndim == 0 else self.flip(0)

    def __bool__(self) -> bool:
        if self._data.size != 1:  # PyTorch's RuntimeError (NumPy's is a ValueError)
            count = "more than one value" if self._data.size else "no values"
            raise TensorError(f"Boolean value of Tensor with {count} is ambiguous (shape "
                              f"{self.shape}); use .any() or .all()")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        if self._requires_grad and is_grad_enabled():  # PyTorch's warning
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior. Consider using tensor.detach() first.",
                          UserWarning, stacklevel=2)
        return float(self._scalar("float"))

    def __round__(self, ndigits: int | None = None) -> Any:
        """round(t) of a one-element tensor is a Python int, as round(float); round(t, n)
        is the tensor rounded to n decimals (half to even), as NumPy's."""
        return round(self._scalar("round")) if ndigits is None else self.round(ndigits)

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __abs__(self) -> Tensor:
        return self.abs()

    def _scalar(self, what: str) -> Any:
        """The value of a one-element tensor of any shape (`int(t)`, `float(t)`), else
        PyTorch's ValueError."""
        if self._data.size != 1:
            raise TensorError(f"{what}(): only one element tensors can be converted to Python "
                              f"scalars, this one has shape {self.shape}")
        return self._data.reshape(()).item()

    def __contains__(self, element: Any) -> bool:
        """`x in t`: whether any element equals x (a number or a tensor), as PyTorch."""
        if not isinstance(element, (Tensor, int, float, np.generic, np.ndarray)):
            raise TensorError(f"Tensor.__contains__ only supports a Tensor or a number, got "
                              f"{type(element).__name__}")
        return bool((self == element)._data.any())

    def __index__(self) -> int:
        """A one-element integer tensor as an index (`names[t]`, `range(t)`), as PyTorch."""
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an "
                            f"index (this one: {self._data.dtype}, shape {self.shape})")
        return int(self._data.reshape(()))

    def __format__(self, spec: str) -> str:
        """`f"{loss:.4f}"` and `f"{loss}"` format a 0-d tensor's value, as PyTorch; a format
        spec for a tensor of one or more dims is PyTorch's TypeError."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to Tensor.__format__ ({spec!r}, "
                            f"a tensor of shape {self.shape}); format t.item() or t.tolist()")
        return repr(self)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        try:
            return Add.apply(*_binary(self, other))
        except NotAnOperand:  # (a try costs nothing until it catches)
            return NotImplemented

    def __radd__(self, other: Any) -> Tensor:  # the tensor first (commutative), so that
        try:  # next_functions[0] is its path
            return Add.apply(*_binary(self, other))
        except NotAnOperand:
            return NotImplemented

    def __sub__(self, other: Any) -> Tensor:
        return Sub.apply(*_binary(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        tensor, other = _binary(self, other)
        return pytorch_named(Sub.apply(other, tensor), "RsubBackward1")  # (`1 - x`: PyTorch's)

    def __mul__(self, other: Any) -> Tensor:
        try:
            if self._data.dtype is _FLOAT16 and (scalar := _opmath_scalar(self, other)) is not None:
                return opmath.Mul.apply(self, scalar)  # in float32 (PyTorch's opmath)
            return Mul.apply(*_binary(self, other))
        except NotAnOperand:  # `tensor(2) * [0]` is [0, 0], as in PyTorch
            return NotImplemented

    def __rmul__(self, other: Any) -> Tensor:  # (as __radd__)
        try:
            if self._data.dtype is _FLOAT16 and (scalar := _opmath_scalar(self, other)) is not None:
                return opmath.Mul.apply(self, scalar)
            return Mul.apply(*_binary(self, other))
        except NotAnOperand:
            return NotImplemented

    def __truediv__(self, other: Any) -> Tensor:
        if self._data.dtype is _FLOAT16 and (scalar := _opmath_scalar(self, other)) is not None:
            return opmath.Div.apply(self, scalar)  # in float32 (PyTorch's opmath)
        return Div.apply(*_binary(self, other, True))

    @xp.quiet  # (1 / 0 is inf and 0 / 0 NaN, silently, as a division)
    def __rtruediv__(self, other: Any) -> Tensor:
        """`number / tensor` is tensor.reciprocal() * number, as PyTorch's operator (1 ulp from
        a true division: 41.0 / tensor([41.0]) is 0.99999994); torch.div(number, tensor) and a
        tensor numerator divide (_rdiv). One node for a float tensor and a real number."""
        if self._data.dtype.kind == "f" and type(other) in (float, int) and (
                self._data.dtype is not _FLOAT16):  # (float16: two nodes, as PyTorch)
            return ReciprocalTimes.apply(*_binary(self, other))
        return self.reciprocal() * other

    def _rdiv(self, other: Any) -> Tensor:
        """other / self, a true division (torch.div(number, tensor))."""
        tensor, other = _binary(self, other, True)
        return Div.apply(other, tensor)

    def __pow__(self, exponent: Any) -> Tensor:
        if self._data.dtype.kind in "biu":
            return _integer_power(self, exponent)
        number = _number(exponent)
        if type(number) is float or type(number) is int:  # PyTorch's kernel (ops/power.py)
            if type(number) is int:
                _check_int_operand(number)  # (2**70: PyTorch's OverflowError)
            if self._data.dtype is _FLOAT16:
                _scalar_for("pow", number, _FLOAT16)  # past 65504: PyTorch's error
            return power.Pow.apply(self, number)
        result = Pow.apply(*_binary(self, exponent))  # (a tensor exponent: PyTorch's overload 1)
        return pytorch_named(result, "PowBackward1") if isinstance(exponent, Tensor) else result

    def __rpow__(self, base: Any) -> Tensor:
        number = base
        if type(base) is bool:  # True ** bools: a bool result (no kernel, as PyTorch)
            refuse_bool("pow", self)
        tensor, base = _binary(self, base)
        if tensor._data.dtype is _FLOAT16 and type(number) in (int, float) and number > 0:
            power = opmath.PowScalarBase.apply(base, tensor, number)  # (log s in float32)
        else:
            power = Pow.apply(base, tensor)
        return pytorch_named(power, "PowBackward2")  # (`2 ** x`: PyTorch's node)

    def __neg__(self) -> Tensor:
        if self._data.dtype == np.bool_:
            raise DtypeError("negation (-) of a bool tensor is not supported, as in PyTorch; "
                             "to invert a mask use ~ or logical_not()")
        return Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __matmul__(self, other: Any) -> Tensor:
        if not isinstance(other, (Tensor, np.ndarray)):  # `t @ 2`, `t @ [1, 2]`, `t @ None`:
            return NotImplemented  # Python's TypeError, as PyTorch's
        if self._data.dtype is _BOOL and _bool_product_runs(self._data, _data(other)):
            refuse_bool("matmul", self)
        return MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        if not isinstance(other, (Tensor, np.ndarray)):
            return NotImplemented
        if self._data.dtype is _BOOL and _bool_product_runs(_data(other), self._data):
            refuse_bool("matmul", self)
        return MatMul.apply(other, self)

    def add(self, other: Any, *scale_first_: Any, alpha: float = 1) -> Tensor:
        """self + alpha * other (broadcasting); PyTorch's deprecated add(alpha, other) too."""
        if scale_first_:
            other, alpha = scale_first("add", (other, *scale_first_), alpha, "alpha")
        if type(alpha) is not int or alpha != 1:  # (1.0 or np.bool_ with ints: refused)
            check_alpha("add", self, other, alpha)
        if alpha != 1 and (pair := _half_alpha("add", self, other, alpha)):
            return opmath.Add.apply(*pair, _number(alpha))
        return self + (other if alpha == 1 else scaled(other, alpha, self._data))

    def sub(self, other: Any, *scale_first_: Any, alpha: float = 1) -> Tensor:
        """self - alpha * other (broadcasting); PyTorch's deprecated sub(alpha, other) too."""
        if scale_first_:
            other, alpha = scale_first("sub", (other, *scale_first_), alpha, "alpha")
        if type(alpha) is not int or alpha != 1:  # (1.0 or np.bool_ with ints: refused)
            check_alpha("sub", self, other, alpha)
            refuse_bool_operand(self, other)  # before alpha * other makes it a number
        if alpha != 1 and (pair := _half_alpha("sub", self, other, alpha)):
            return opmath.Sub.apply(*pair, _number(alpha))
        return self - (other if alpha == 1 else scaled(other, alpha, self._data))

    def mul(self, other: Any) -> Tensor:
        """self * other, elementwise (broadcasting)."""
        return self * other

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other, elementwise (broadcasting). PyTorch's `rounding_mode`: 'trunc' rounds
        the quotient towards zero, 'floor' down (as `//`); both keep integer dtypes. A rounded
        quotient is recorded with gradient 0."""
        if rounding_mode is None:  # true division: an int scalar is not cast to int8 first
            if self._data.dtype is _FLOAT16 and (scalar := _opmath_scalar(self, other)) is not None:
                return opmath.Div.apply(self, scalar)  # in float32 (PyTorch's opmath)
            return Div.apply(*_binary(self, other, True))
        if rounding_mode not in ("trunc", "floor"):
            raise TensorError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                              f"{rounding_mode!r}")
        scalar = _opmath_scalar(self, other) if self._data.dtype is _FLOAT16 else None
        if scalar is not None:  # computed in float32, rounded once (PyTorch's opmath)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                rounded = (np.floor_divide(self._data, _data(scalar)) if rounding_mode == "floor"
                           else np.trunc(self._data / _data(scalar)))
                other, rounded = scalar, Tensor._make(np.asarray(rounded).astype(_FLOAT16), None)
        else:
            self, other = _binary(self, other)  # (a 0-d float tensor in the n-d one's dtype)
            rounded = FloorDivide.apply(self.detach(), _data(other))
            if rounding_mode == "trunc" and rounded.dtype.kind == "f":
                rounded = Div.apply(self.detach(), _data(other)).trunc()
            elif rounding_mode == "trunc":  # negative, inexact: round up
                inexact = rounded * _data(other) != self.detach()
                rounded = rounded + (inexact & (rounded < 0)).astype(rounded.dtype)
        for operand in (self, other):  # in the graph with gradient 0, as PyTorch
            if isinstance(operand, Tensor) and operand.requires_grad:
                rounded = rounded + operand._graph_zero()
        return pytorch_named(rounded, "DivBackward2")  # (PyTorch's node for a rounded div)

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent, elementwise (broadcasting)."""
        return self ** exponent

    def neg(self) -> Tensor:
        """-self."""
        return -self

    def matmul(self, other: Any) -> Tensor:
        """NumPy matmul semantics: 1-D, 2-D and batched N-D with broadcast batch axes."""
        return self @ other

    # PyTorch's shape-checked products as methods (`x.mm(w)`); tg.mm etc. do the checks.
    def mm(self, mat2: Any) -> Tensor:
        """(n, m) @ (m, p) of 2-D tensors."""
        from tinygrad_np import functional_forms
        return functional_forms.mm(self, mat2)

    def bmm(self, mat2: Any) -> Tensor:
        """(b, n, m) @ (b, m, p) of 3-D tensors."""
        from tinygrad_np import functional_forms
        return functional_forms.bmm(self, mat2)

    def mv(self, vec: Any) -> Tensor:
        """(n, m) @ (m,)."""
        from tinygrad_np import functional_forms
        return functional_forms.mv(self, vec)

    def dot(self, other: Any) -> Tensor:
        """Inner product of two 1-D tensors."""
        from tinygrad_np import functional_forms
        return functional_forms.dot(self, other)

    # ----------------------------------------------------------------- in place
    # PyTorch's in-place ops. Without a graph to record they write into self's array and
    # bump its version counter, so a graph that saved the old values raises at backward
    # instead of using changed data. When the result needs a gradient (`buf += w` for a
    # w that requires grad) they are recorded like the out-of-place op and self takes on
    # the result's array and graph node. A leaf that requires grad is refused, as in PyTorch.
    def _recorded_in_place(self, args: tuple) -> bool:
        """Would an in-place op with these operands be recorded (self or an operand in the
        graph, grad mode on)?"""
        return is_grad_enabled() and (self.requires_grad or self._data.dtype.kind == "f" and any(
            isinstance(arg, Tensor) and arg.requires_grad for arg in args))

    def _in_place_refused(self, *args: Any) -> bool:
        """Would `_in_place` refuse (a recorded write into a tensor, not a leaf that requires
        grad, whose memory other live tensors share, not all as views of one base)? The
        callers that have an out-of-place answer use it then."""
        return (self._recorded_in_place(args) and not (self.requires_grad and self.grad_fn is None)
                and _shares_memory_with_a_live_tensor(self) and _write_plan(self) is None)

    def _in_place(self, op: Any, *args: Any, ufunc: np.ufunc | None = None,
                  elementwise: bool = False, repeats: bool = False) -> Tensor:
        """Make self hold `op(self, *args)` (op: a Tensor-level function; `ufunc`, when given,
        computes the same in place on arrays, without a temporary; `elementwise`: each
        element of the result depends only on the same element of self and of the operands,
        so an unrecorded write of a big tensor is done in blocks of rows, its temporaries
        bounded, as PyTorch's in-place kernels need none; `repeats`: a fill that PyTorch
        lets write an expanded tensor, unrecorded)."""
        _refuse_no_grad_view(self)
        if args and isinstance(args[0], Tensor) and args[0]._counter is self._counter is not None \
                and args[0]._data is not self._data:  # (x.add_(x): the same elements)
            # views of one base (they share a version counter): x[1:] += x[:-1] is refused
            refuse_partial_overlap(self._data, args[0]._data, op is _copy_from)
        if self._recorded_in_place(args):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place "
                    f"operation (shape {self.shape}); do it under `with tg.no_grad():` (a "
                    "parameter update) or write `t = t + x`")
            _refuse_custom_view(self)
            _refuse_multi_view(self)
            _refuse_expanded(self)  # (one memory location for several elements)
            plan = None
            if _shares_memory_with_a_live_tensor(self):
                plan = _write_plan(self)
                if plan is None:
                    raise RuntimeError(
                        f"an in-place operation that must be recorded (an operand requires "
                        f"grad) on a tensor of shape {self.shape} that shares memory with "
                        "other tensors still in use that are not all views of one base (a "
                        "detach(), a `.data`, or a view whose base is gone): write `t = t + "
                        "x` or `t = t.masked_fill(mask, v)` (out of place) instead, or drop "
                        "the other tensor first")
            elif getattr(self, "_user_memory", False) and self._data.flags.writeable and (
                    _base_of(self) is self):
                # the caller's array (from_numpy, numpy()) sees the write, as in PyTorch
                plan = (self, [])
            # A write into the memory: the op reads a copy, so what it saves does not change
            # with the memory.
            if plan is not None:
                result = op(Tensor._make(self._data.copy(), self.grad_fn), *args)
            else:
                result = op(self, *args)
            if result.dtype != self.dtype:
                if not (np.can_cast(result.dtype, self.dtype, "same_kind") or (  # integers
                        result.dtype.kind in "biu" and self.dtype.kind in "iu")):  # wrap
                    raise DtypeError(f"in-place operation on a {self.dtype.name} tensor: its "
                                     f"{result.dtype.name} result cannot be stored in it (and a "
                                     f"{self.dtype.name} tensor carries no gradient)")
                result = result.astype(self.dtype)
            if result.shape != self.shape:
                raise _does_not_fit("in-place operation", self.shape, result.shape)
            if plan is not None:
                _write_through(self, plan, result)
                return self
            # A new array: the old one (which the op itself may have saved: `buf *= w` saves
            # buf) is unchanged, so the version moves on in a counter of the new array's own.
            shared = self._counter or []  # self no longer shares the others' memory
            shared[2:] = [ref for ref in shared[2:] if ref() is not self and ref() is not None]
            data, counter = result._data, result._counter
            if data.base is not None or counter is not None and len(counter) > 1 or any(
                    isinstance(arg, Tensor) and arg._data is data for arg in (self, *args)):
                data, counter = data.copy(), None  # memory of self's own, not a view of an
                # operand's (copy_(w) gives a view of w, which a step of w would change)
            if counter is None:
                counter = [self._changes() + 1]
            else:  # the op saved its output (exp_): later changes of self must show there
                counter[0] = self._changes() + 1
                node = result.grad_fn
                node.saved_versions = tuple((i, c, counter[0] if c is counter else v)
                                            for i, c, v in node.saved_versions)
            self._data, self._counter = data, counter
            _rebind(self, result.grad_fn)
            return self
        elif ufunc is not None:
            array, locked = _unlock(self)
            other = _data(args[0])
            if type(other) is int and not -(2**63) <= other < 2**64:
                _check_int_operand(other)  # (x.add_(2**70): PyTorch's OverflowError)
            elif array.dtype.kind in "biu" and type(other) is np.bool_:
                other = float(other)  # PyTorch reads np.bool_ as a float: refused below
            wrap = array.dtype.kind in "iu" and np.asarray(other).dtype.kind in "iub" and (
                ufunc is not np.true_divide)  # (x /= 2 of ints: refused below, as PyTorch)
            if wrap:  # uint8 += 300 or += -1 wraps, as PyTorch
                other = wrapped_int(other, array.dtype)
            try:  # (an integer operand of another dtype wraps too; a float into ints: refused)
                ufunc(array, other, out=array, casting="unsafe" if wrap else "same_kind")
            except TypeError:  # (PyTorch's words, not NumPy's casting message)
                found = np.dtype(other.dtype if isinstance(other, np.ndarray) else np.float32 if
                                 isinstance(other, float) else np.int64)  # (PyTorch's defaults)
                if (found.kind == "f") == (array.dtype.kind == "f"):  # (a float wins over ints)
                    found = np.promote_types(array.dtype, found)
                raise DtypeError(f"result type {_scalar_name(found)} can't be cast to the desired "
                                 f"output type {_scalar_name(array.dtype)} (in-place "
                                 f"{ufunc.__name__} on a {array.dtype} tensor)") from None
            except ValueError:  # PyTorch: a RuntimeError naming both shapes
                raise _does_not_fit(f"in-place {ufunc.__name__}", self.shape,
                                    np.shape(_data(args[0]))) from None
            finally:
                if locked:  # (as_strided's arrays refuse even a no-op writeable = True)
                    array.flags.writeable = False
        elif elementwise and self._data.size > _BLOCK and _in_blocks(self, op, args):
            pass
        else:
            with no_grad():
                result = op(self, *args)
            array, locked = _unlock(self, repeats)
            try:
                if repeats and _repeats(array):
                    _store_changed(array, result._data, self.shape)
                else:
                    _store(array, result._data, self.shape)
            finally:
                if locked:
                    array.flags.writeable = False
        self._bump_version()
        return self

    def _bump_version(self) -> None:
        counter = self._counter
        if counter is None:
            self._counter = [1]
        else:
            counter[0] += 1

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's values have had (shared with detach());
        an inference tensor has no count, as PyTorch's (RuntimeError)."""
        if getattr(self, "_inference", False):
            raise RuntimeError("Inference tensors do not track version counter.")
        return 0 if self._counter is None else self._counter[0]

    def _changes(self) -> int:
        """`_version` for the library's own checks (an inference tensor's count too)."""
        return 0 if self._counter is None else self._counter[0]

    def add_(self, other: Any, *scale_first_: Any, alpha: float = 1) -> Tensor:
        """self += alpha * other, in place; PyTorch's deprecated add_(alpha, other) too."""
        if scale_first_:
            other, alpha = scale_first("add_", (other, *scale_first_), alpha, "alpha")
        if type(alpha) is not int or alpha != 1:  # (1.0 or np.bool_ with ints: refused)
            check_alpha("add_", self, other, alpha)
        if alpha != 1 and _half_alpha("add_", self, other, alpha):  # in float32, as add
            return self._in_place(lambda x, y: x.add(y, alpha=alpha), other)
        other = other if alpha == 1 else scaled(other, alpha, self._data)
        return self._in_place(Tensor.add, other, ufunc=np.add)

    @xp.quiet  # inf - inf is NaN silently, as `-` (also `-=`)
    def sub_(self, other: Any, *scale_first_: Any, alpha: float = 1) -> Tensor:
        """self -= alpha * other, in place; PyTorch's deprecated sub_(alpha, other) too."""
        if scale_first_:
            other, alpha = scale_first("sub_", (other, *scale_first_), alpha, "alpha")
        if type(alpha) is not int or alpha != 1:  # (1.0 or np.bool_ with ints: refused)
            check_alpha("sub_", self, other, alpha)
        if alpha != 1 and _half_alpha("sub_", self, other, alpha):  # in float32, as sub
            return self._in_place(lambda x, y: x.sub(y, alpha=alpha), other)
        other = other if alpha == 1 else scaled(other, alpha, self._data)
        kinds = self.dtype.kind, getattr(other, "dtype", self.dtype).kind
        if type(other) is bool or "b" in kinds:
            _refuse_bool_subtraction()  # the unrecorded path never reaches Sub
        return self._in_place(Tensor.sub, other, ufunc=np.subtract)

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        if self._data.dtype is _FLOAT16:  # (as `*`: a scalar in float32, also unrecorded)
            return self._in_place(Tensor.mul, other)
        return self._in_place(Tensor.mul, other, ufunc=np.multiply)

    @xp.quiet  # x / 0 is inf silently, as `/` (also `/=`)
    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self /= other, in place (`rounding_mode` 'trunc' or 'floor' as div)."""
        if rounding_mode is not None:
            return self._in_place(lambda x, y: x.div(y, rounding_mode=rounding_mode), other)
        if self._data.dtype is _FLOAT16:  # (as `/`: a scalar in float32, also unrecorded)
            return self._in_place(Tensor.div, other)
        return self._in_place(Tensor.div, other, ufunc=np.true_divide)

    def addcmul_(self, tensor1: Any, tensor2: Any, *scale_first_: Any, value: float = 1
                 ) -> Tensor:
        """self += value * tensor1 * tensor2, in place (or PyTorch's deprecated
        addcmul_(value, tensor1, tensor2))."""
        if scale_first_:
            tensor1, tensor2, value = scale_first("addcmul_", (tensor1, tensor2, *scale_first_),
                                                  value, "value")
        return self._in_place(_addcmul, tensor1, tensor2, value, elementwise=True)

    def addcdiv_(self, tensor1: Any, tensor2: Any, *scale_first_: Any, value: float = 1
                 ) -> Tensor:
        """self += value * tensor1 / tensor2, in place (or PyTorch's deprecated
        addcdiv_(value, tensor1, tensor2))."""
        if scale_first_:
            tensor1, tensor2, value = scale_first("addcdiv_", (tensor1, tensor2, *scale_first_),
                                                  value, "value")
        return self._in_place(_addcdiv, tensor1, tensor2, value, elementwise=True)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Limit values to [min, max], in place."""
        return self._in_place(Tensor.clip, min, max, elementwise=True)

    clip_ = clamp_

    def clamp_min_(self, min: Any) -> Tensor:  # noqa: A002
        """Limit values to at least `min`, in place."""
        return self._in_place(Tensor.clamp_min, min, elementwise=True)

    def clamp_max_(self, max: Any) -> Tensor:  # noqa: A002
        """Limit values to at most `max`, in place."""
        return self._in_place(Tensor.clamp_max, max, elementwise=True)

    def copy_(self, src: Any, non_blocking: bool = False) -> Tensor:
        """Copy `src` (a tensor or a number, broadcast to self's shape, cast to self's dtype)
        into self, in place (`non_blocking` changes nothing: every copy is synchronous). A
        list or NumPy array is refused, as PyTorch's (wrap it: tg.tensor(values))."""
        if not isinstance(src, (Tensor, numbers.Number, np.bool_)):
            raise TypeError(f"copy_(): argument 'other' must be Tensor, not {_type_name(src)}")
        if isinstance(src, (int, float, np.bool_, np.integer, np.floating)):  # a real number
            src = _number(src)  # is copied as a tensor of it, cast as any source (uint8.copy_(
            if type(src) is int and not -(2**63) <= src < 2**64:  # 300) wraps to 44, as
                raise IntegerOverflowError(f"copy_: the Python int {src} does not fit in int64")
            src = Tensor(np.asarray(src))  # PyTorch; fill_ refuses it)
        if isinstance(src, Tensor) and src.shape != self.shape:
            try:
                fits = np.broadcast_shapes(src.shape, self.shape) == self.shape
            except ValueError:
                fits = False
            if not fits:
                raise _does_not_fit(f"copy_: the source of shape {src.shape} does not "
                                    f"broadcast to the destination's shape {self.shape}",
                                    self.shape, src.shape)
        return self._in_place(_copy_from, src, "torch::autograd::CopyBackwards",  # (x.copy_(x):
                              repeats=src is self)  # no-op)

    def _copy_array_(self, values: Any) -> Tensor:
        """`copy_` of anything that broadcasts to self's shape (a NumPy array too): the
        library's own writes (nn.init, running statistics, load_state_dict)."""
        return self._in_place(_copy_from, values)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to `value` (a number or a 0-d tensor), in place."""
        check_fill("fill_", value, "'value' (position 1)")
        tensor = isinstance(value, Tensor)  # (PyTorch's overloads: FillBackward2 / 3)
        return self._in_place(_copy_from, value, f"FillBackward{2 + tensor}", repeats=not tensor)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (NaN and Inf too: for gradients, `t.grad.zero_()`)."""
        return self._in_place(_copy_from, 0, "ZeroBackward0", repeats=True)

    def pow_(self, exponent: Any) -> Tensor:
        """self **= exponent, in place."""
        return self._in_place(Tensor.pow, exponent, elementwise=True)

    def relu_(self) -> Tensor:
        """max(self, 0), in place."""
        return self._in_place(Tensor.relu, elementwise=True)

    def exp_(self) -> Tensor:
        """exp(self), in place."""
        return self._in_place(Tensor.exp, elementwise=True)

    def log_(self) -> Tensor:
        """log(self), in place."""
        return self._in_place(Tensor.log, elementwise=True)

    def sqrt_(self) -> Tensor:
        """sqrt(self), in place."""
        return self._in_place(Tensor.sqrt, elementwise=True)

    def abs_(self) -> Tensor:
        """|self|, in place."""
        return self._in_place(Tensor.abs, elementwise=True)

    def neg_(self) -> Tensor:
        """-self, in place."""
        return self._in_place(Tensor.neg, elementwise=True)

    def sigmoid_(self) -> Tensor:
        """sigmoid(self), in place."""
        return self._in_place(Tensor.sigmoid, elementwise=True)

    def lgamma_(self) -> Tensor:
        """lgamma(self), in place."""
        return self._in_place(Tensor.lgamma, elementwise=True)

    def digamma_(self) -> Tensor:
        """digamma(self), in place."""
        return self._in_place(Tensor.digamma, elementwise=True)

    def polygamma_(self, n: int) -> Tensor:
        """polygamma(n, self), in place."""
        return self._in_place(Tensor.polygamma, n, elementwise=True)

    def mvlgamma_(self, p: int) -> Tensor:
        """mvlgamma(self, p), in place."""
        return self._in_place(Tensor.mvlgamma, p, elementwise=True)

    def erfinv_(self) -> Tensor:
        """erfinv(self), in place."""
        return self._in_place(Tensor.erfinv, elementwise=True)

    def i0_(self) -> Tensor:
        """i0(self), in place."""
        return self._in_place(Tensor.i0, elementwise=True)

    def igamma_(self, other: Any) -> Tensor:
        """igamma(self, other), in place."""
        return self._in_place(Tensor.igamma, other, elementwise=True)

    def igammac_(self, other: Any) -> Tensor:
        """igammac(self, other), in place."""
        return self._in_place(Tensor.igammac, other, elementwise=True)

    def tanh_(self) -> Tensor:
        """tanh(self), in place."""
        return self._in_place(Tensor.tanh, elementwise=True)

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Any = None) -> Tensor:
        """tg.multinomial(self, ...): indices drawn from each row's weights (int64)."""
        from tinygrad_np.sampling import multinomial  # sampling imports this module

        return multinomial(self, num_samples, replacement, generator=generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with samples of N(mean, std**2) from the library's seeded generator, in place."""
        if self.dtype.kind != "f":
            raise DtypeError(f"normal_: not implemented for {self.dtype.name} tensors, as in "
                             f"PyTorch")
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {rng.number_text(std)}")
        source = numpy_generator(generator)  # (PyTorch's normal_, in C order)
        memory = self._data
        if self.numel() >= 16 and memory.flags.c_contiguous and memory.flags.writeable and (
                not self._recorded_in_place(())):  # written in place, a chunk at a time
            _refuse_no_grad_view(self)
            source.normal_into(memory.reshape(-1), mean, std)
            self._bump_version()
            return self
        if not memory.flags.c_contiguous and not self._kernel_ordered():  # PyTorch's
            # one-at-a-time draws, in memory order (a conv result is PyTorch's contiguous one)
            values = (source.normals(self.numel()) * std + mean).astype(self.dtype)
            return self._in_place(_copy_from, rng.in_memory_order(values, memory),
                                  "NormalBackward0")
        return self._in_place(lambda t: _copy_from(t, source.randn(t.shape, t.dtype, mean, std),
                                                   "NormalBackward0"))

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Any = None,
                 **kwargs: Any) -> Tensor:
        """Fill with samples of U[from, to) from the library's seeded generator, in place
        (PyTorch's keyword `from` is accepted as `**{"from": a}`)."""
        from_ = kwargs.pop("from", from_)
        if kwargs:
            raise TypeError(f"uniform_: unexpected keyword arguments {sorted(kwargs)}")
        if self.dtype.kind != "f":
            raise DtypeError(f"uniform_: not implemented for {self.dtype.name} tensors, as in "
                             f"PyTorch")
        source = numpy_generator(generator)
        if not self._data.flags.c_contiguous:  # (PyTorch fills it in memory order)
            values = rng.uniform(source, from_, to, (self.numel(),), self.dtype)
            return self._in_place(_copy_from, rng.in_memory_order(values, self._data),
                                  "UniformBackward0")
        return self._in_place(lambda t: _copy_from(t, rng.uniform(source, from_, to, t.shape,
                                                                  self.dtype), "UniformBackward0"),
                              elementwise=True)

    @_node_named("", in_place="torch::autograd::CopySlices")  # (PyTorch's: a diagonal view
    def fill_diagonal_(self, fill_value: Any, wrap: bool = False) -> Tensor:  # filled)
        """Write `fill_value` on the main diagonal (every index equal), in place; a tall
        matrix's diagonal restarts after N + 1 rows when `wrap`, as PyTorch."""
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) > 1):
            raise RuntimeError(f"fill_diagonal_: needs a 2-D tensor or one with all dimensions "
                               f"equal, got shape {self.shape}")
        mask = np.zeros(self.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return self._in_place(Tensor.masked_fill, mask, fill_value, repeats=True)

    @_node_named("IndexFillBackward0")
    def index_fill(self, dim: int, index: Tensor, value: Any) -> Tensor:
        """self with `value` at positions `index` (1-D int64) along `dim`."""
        _need_tensor("index_fill", "index", index)
        dim = _wrap_dims("index_fill", dim, max(self.ndim, 1))[0]
        positions = np.array(_data(index))  # a copy: kept for backward
        if positions.ndim > 1 or positions.dtype != np.int64:  # (IndexError, as PyTorch's)
            raise IndexError(f"index_fill: index must be a 0-D or 1-D int64 tensor, got "
                             f"{positions.dtype.name} of shape {positions.shape}")
        size = self.shape[dim] if self.ndim else 1
        if positions.size and not (-size <= positions.min() and positions.max() < size):
            raise IndexError(f"index_fill: index out of range for dim {dim} of size {size} "
                             f"(shape {self.shape})")
        hit = np.zeros(size, dtype=bool)
        hit[positions] = True
        mask = hit.reshape([-1 if axis == dim else 1 for axis in range(self.ndim)])
        return self.masked_fill(mask, value)

    def index_fill_(self, dim: int, index: Tensor, value: Any) -> Tensor:
        """`index_fill` in place."""
        _need_tensor("index_fill_", "index", index)
        _zero_dim_value("index_fill_", value)
        return self._in_place(Tensor.index_fill, dim, index, value, repeats=True)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """Write `value` where `mask` (broadcast to self's shape) is True, in place."""
        _zero_dim_value("masked_fill_", value)
        return self._in_place(Tensor.masked_fill, mask, value, elementwise=True,
                              repeats=True)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        """`scatter` in place: self[index[i][j]][j] = src[i][j] for dim 0 (and so on)."""
        _need_tensor("scatter_", "index", index)
        _same_dtype("scatter_", self, src, "src")
        _refuse_source_overlap(self, src)
        return self._in_place(lambda tensor, *args: tensor.scatter(*args, reduce=reduce), dim,
                              index, value if src is None else src)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """`scatter_add` in place: src[i][j] added at self[index[i][j]][j] for dim 0."""
        _need_tensors("scatter_add_", index, src, "src")
        _same_dtype("scatter_add_", self, src, "src")
        _refuse_source_overlap(self, src)
        return self._in_place(Tensor.scatter_add, dim, index, src)

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        """self + weight (end - self), in place."""
        return self._in_place(Tensor.lerp, end, weight, elementwise=True)

    def sign_(self) -> Tensor:
        """sign(self), in place."""
        return self._in_place(Tensor.sign, elementwise=True)

    def reciprocal_(self) -> Tensor:
        """1 / self, in place (an integer tensor cannot hold it, as in PyTorch)."""
        return self._in_place(Tensor.reciprocal, elementwise=True)

    def floor_(self) -> Tensor:
        """floor(self), in place."""
        return self._in_place(Tensor.floor, elementwise=True)

    def ceil_(self) -> Tensor:
        """ceil(self), in place."""
        return self._in_place(Tensor.ceil, elementwise=True)

    def round_(self, decimals: int | None = None) -> Tensor:
        """round(self, decimals), in place."""
        return self._in_place(Tensor.round, decimals, elementwise=True)

    def trunc_(self) -> Tensor:
        """trunc(self), in place."""
        return self._in_place(Tensor.trunc, elementwise=True)

    fix_ = trunc_

    def frac_(self) -> Tensor:
        """self - trunc(self), in place."""
        return self._in_place(Tensor.frac, elementwise=True)

    def fmod_(self, other: Any) -> Tensor:
        """fmod(self, other) (the sign of self), in place."""
        return self._in_place(Tensor.fmod, other, elementwise=True)

    def remainder_(self, other: Any) -> Tensor:
        """remainder(self, other) (the sign of other, like %), in place."""
        return self._in_place(Tensor.remainder, other)

    __imod__ = remainder_

    def logical_not_(self) -> Tensor:
        """1 where self is zero, else 0, in self's dtype, in place. Not differentiable: as in
        PyTorch the values change and the graph does not (backward through self is the old
        op's; it raises if that op saved self)."""
        return self._ungraded_in_place("logical_not_", Tensor.logical_not)

    def logical_and_(self, other: Any) -> Tensor:
        """self and other (nonzero is true) as 1 or 0 in self's dtype, in place; not
        differentiable, as logical_not_."""
        return self._ungraded_in_place("logical_and_", Tensor.logical_and, other)

    def logical_or_(self, other: Any) -> Tensor:
        """self or other as 1 or 0 in self's dtype, in place; as logical_not_."""
        return self._ungraded_in_place("logical_or_", Tensor.logical_or, other)

    def logical_xor_(self, other: Any) -> Tensor:
        """self xor other as 1 or 0 in self's dtype, in place; as logical_not_."""
        return self._ungraded_in_place("logical_xor_", Tensor.logical_xor, other)

    def _ungraded_in_place(self, name: str, op: Any, *args: Any) -> Tensor:
        """op(self, *args) written into self outside the graph (values change, the graph
        keeps self's old op, as PyTorch's); a leaf that requires grad is overwritten and
        stays a leaf, as PyTorch's (its version moves on: graphs that saved it refuse)."""
        with no_grad():
            return self._in_place(op, *args, elementwise=bool(args))

    def renorm_(self, p: float, dim: int, maxnorm: float) -> Tensor:
        """`renorm` in place."""
        return self._in_place(Tensor.renorm, p, dim, maxnorm)

    def put_(self, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
        """`put` in place."""
        _need_tensors("put_", index, source)
        _refuse_source_overlap(self, source)
        return self._in_place(Tensor.put, index, source, accumulate)

    def masked_scatter_(self, mask: Any, source: Any) -> Tensor:
        """`masked_scatter` in place (mask broadcast to self's shape)."""
        mask_shape = np.shape(_data(mask))
        if _broadcast_shape("masked_scatter_", self.shape, mask_shape) != self.shape:
            raise RuntimeError(f"masked_scatter_: mask of shape {mask_shape} does not broadcast "
                               f"to self's shape {self.shape}")
        return self._in_place(Tensor.masked_scatter, mask, source)

    def _in_place_view(self, op: Any, *args: Any, name: str = "") -> Tensor:
        """Make self the view `op(self, *args)` of its memory (squeeze_, t_, ...): recorded
        like the op when self requires grad, its node PyTorch's `name` (UnsqueezeBackward1 ...);
        the version moves on, as PyTorch's, so a graph that saved self refuses to
        backpropagate."""
        record = is_grad_enabled() and self.requires_grad
        if record and self.grad_fn is None:
            _refuse_leaf(op.__name__ + "_", self)
        if record:
            _refuse_multi_view(self)
        result = op(self, *args)
        retained = record and self.retains_grad
        if retained:  # retain_grad() follows the tensor to its new node, as in _in_place
            self.grad_fn.retained = tuple(reference for reference in self.grad_fn.retained
                                          if reference() is not self)
        self._data = result._data
        if record:
            self.grad_fn = result.grad_fn
        if record and result is not self and name:
            pytorch_named(result, name)
        if retained:
            self.retain_grad()
        self._bump_version()
        return self

    def squeeze_(self, dim: Axis = None) -> Tensor:
        """`squeeze` in place (self's shape changes)."""
        number = 3 if dim is None else 5 if isinstance(dim, (tuple, list)) else 4
        return self._in_place_view(Tensor.squeeze, dim, name=f"SqueezeBackward{number}")

    def unsqueeze_(self, dim: int) -> Tensor:
        """`unsqueeze` in place (self's shape changes)."""
        return self._in_place_view(Tensor.unsqueeze, dim, name="UnsqueezeBackward1")

    def t_(self) -> Tensor:
        """`t` in place: a matrix is transposed, 0-d and 1-D tensors are unchanged."""
        if self.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D (shape {self.shape})")
        return self._in_place_view(Tensor.t, name="TBackward1")

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        """`transpose(dim0, dim1)` in place (self's shape changes)."""
        return self._in_place_view(Tensor.swapaxes, dim0, dim1, name="TransposeBackward1")

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def __setitem__(self, index: Any, value: Any) -> None:
        """`t[index] = value`: in place; recorded when value requires grad (dvalue = g[index]).

        An index mixing integers and index arrays selects PyTorch's layout (see
        `_torch_layout`), written as the equivalent pure index-array form. The value is a
        tensor or a Python number (NumPy's integers and float64 too, as PyTorch: not its
        float32 or bool_); a list, tuple or NumPy array is refused, as PyTorch's.
        """
        if not isinstance(value, (Tensor, int, float, complex, np.integer)):
            raise TypeError(f"can't assign a {_type_name(value)} to a {self.type()} (wrap it: "
                            f"t[...] = tg.tensor(values))")
        if type(index) is str or type(index) is tuple and str in map(type, index):
            raise TypeError(f"indexing a tensor with a str ({index!r}): use ints, slices, None, "
                            "Ellipsis or index tensors")
        if self._data.dtype is not _FLOAT16 or type(value) is not float and (
                type(value) is not int or abs(value) >= 2 ** 63):
            value = _scalar_for("setitem", value, self._data.dtype)  # (before the index's
        else:  # errors, as PyTorch) a number past float16's range is stored as inf there
            with np.errstate(over="ignore"):
                value = float(np.float16(value))
        key = _index(index, self._data.ndim)
        if index is False:  # PyTorch writes nothing (no shape check, no version, no graph)
            return
        try:  # (NumPy's IndexError in PyTorch's words: _index_error)
            if isinstance(value, Tensor) and value._counter is self._counter is not None:
                _refuse_overlapping_setitem(self._data, key, value._data)  # (views of one base)
            if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
                _index_put_dtypes(key, value, self._data.dtype, self.ndim)
            steps = _torch_layout(key)
            if steps is not None and self.ndim:  # (a 0-d tensor: NumPy's layout is PyTorch's)
                positions = np.arange(self._data.size).reshape(self.shape)[steps[0]][steps[1]]
                key = np.unravel_index(positions, self.shape)
            if isinstance(value, (Tensor, np.ndarray)) and value.ndim and value.shape[0] == 1:
                value = _without_leading_ones(value, self.shape, key)  # as PyTorch drops them
            if self.requires_grad or isinstance(value, Tensor) and value.requires_grad and (
                    self._data.dtype.kind == "f"):  # (an integer tensor takes no graph: PyTorch)
                if self.grad_fn is None and self._requires_grad and is_grad_enabled() and (
                        getattr(self, "_view_of", None) is None):  # (PyTorch writes a view)
                    raise RuntimeError(
                        "a view of a leaf Variable that requires grad is being used in an "
                        f"in-place operation (setitem on a leaf of shape {self.shape}); do it "
                        "under `with tg.no_grad():` (a parameter update) or write out of place")
                self._in_place(_set_item, key, value, repeats=not self._data.flags.writeable
                               and _writes_once(self._data, key))
                return
            _refuse_no_grad_view(self)
            repeats = not self._data.flags.writeable and _writes_once(self._data, key)
            array, locked = _unlock(self, repeats)  # a view of a leaf writes into the leaf
            try:
                array[key] = _data(value)
            except (ValueError, TypeError) as error:  # NumPy's broadcasting error: PyTorch's
                raise TensorError(f"setitem: a value of shape {np.shape(_data(value))} cannot be "
                                  f"written into the indexed part of a tensor of shape "
                                  f"{self.shape} ({error})") from None
            finally:
                if locked:
                    array.flags.writeable = False
            self._bump_version()
        except IndexError as error:
            raise _index_error(error, index, self.shape) from None

    # ----------------------------------------------------------------- comparisons (no grad)
    def __lt__(self, other: Any) -> Tensor:
        return self._compare("lt", np.less, other)

    def __le__(self, other: Any) -> Tensor:
        return self._compare("le", np.less_equal, other)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare("gt", np.greater, other)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare("ge", np.greater_equal, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare("eq", np.equal, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare("ne", np.not_equal, other)

    def _compare(self, op: str, ufunc: np.ufunc, other: Any) -> Any:
        """A comparison as a bool tensor. Like PyTorch, only tensors, arrays and numbers
        compare elementwise: `t == None`, `t == "a"` or `t == [1, 2]` is False (`!=` True,
        `<` a TypeError) through Python's fallback; shapes that do not broadcast raise
        naming the op and both shapes."""
        if not isinstance(other, (Tensor, int, float, np.ndarray, np.generic)):
            return NotImplemented
        other = _data(other.item() if isinstance(other, np.generic) else other)
        mine, number = self._data, type(other)
        if number is int and not -(2**63) <= other < 2**64:
            _check_int_operand(other)  # (x == 2**70: PyTorch's OverflowError)
        if (number is float or number is int) and (mine.dtype is _FLOAT32 or
                                                   mine.dtype is _FLOAT64):
            pass  # the number in the tensor's float dtype (NumPy's weak scalar), as PyTorch
        elif type(other) is not np.ndarray or other.dtype is not mine.dtype:  # (PyTorch casts
            mine, other, _ = promoted_operands(mine, other)  # both to the result dtype first)
        try:
            return Tensor._make(np.asarray(ufunc(mine, other)), None)
        except ValueError as error:  # (PyTorch's words, as other ops')
            raise op_error(op, [mine, np.asarray(other)], error) from None

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Index of the largest value (int64, no gradient; the first one among ties)."""
        return self._arg_extreme(np.argmax, "argmax", dim, keepdim, axis, keepdims)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Index of the smallest value (int64, no gradient; the first one among ties)."""
        return self._arg_extreme(np.argmin, "argmin", dim, keepdim, axis, keepdims)

    def _arg_extreme(self, find: Any, op: str, dim: Any, keepdim: bool, axis: Any,
                     keepdims: bool | None) -> Tensor:
        dim, keepdim = _dim_arg(op, dim, axis), _keep_arg(keepdim, keepdims)
        refuse_bool(f"{op}()", self, TensorError)
        if dim is None:  # the index into the flattened tensor
            _check_nonempty(op, self, None)
            index = np.asarray(find(self._data))
            return Tensor._make(index.reshape((1,) * self.ndim) if keepdim else index, None)
        if self.ndim == 0:
            _wrap_dim(op, dim, 0)
            return Tensor._make(np.asarray(0), None)
        axis = _wrap_dim(op, dim, self.ndim)
        _check_nonempty(op, self, axis)
        return Tensor._make(np.asarray(find(self._data, axis=axis, keepdims=keepdim)), None)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: Axis = None, keepdim: bool = False, *, dtype: Any = None,
            axis: Axis = None, keepdims: bool | None = None) -> Tensor:
        """Sum over `dim` (alias `axis`: an int, a tuple, or None for all).

        float16 is summed in float32 and the result rounded back to float16, as PyTorch does,
        so sums past float16's largest value (65504) of many small terms stay right.
        """
        dims = _wrap_dims("sum", _dim_arg("sum", dim, axis), self.ndim)
        keep = _keep_arg(keepdim, keepdims)
        if dtype is None:
            source = _wide_int(self)
        elif (source := _reduce_dtype("sum", self, dtype)).dtype == np.bool_:  # any(), as
            return Sum.apply(source, dims, keep).astype(np.bool_)  # PyTorch
        if source.dtype == np.float16:
            total = Sum.apply(source.astype(np.float32), dims, keep)
            with np.errstate(over="ignore"):  # past 65504 the float16 result is inf, silently
                return total.astype(np.float16)
        total = Sum.apply(source, dims, keep)
        return total if dims is None else pytorch_named(total, "SumBackward1")

    def mean(self, dim: Axis = None, keepdim: bool = False, *, dtype: Any = None,
             axis: Axis = None, keepdims: bool | None = None) -> Tensor:
        """Average over `dim` (alias `axis`): sum / number of elements summed."""
        source = self if dtype is None else self.astype(dtype)
        _float_only("mean", source)  # (before the dims: PyTorch's order of checks)
        dims = _wrap_dims("mean", _dim_arg("mean", dim, axis), self.ndim)
        half = source.dtype == np.float16  # summed and divided in float32, as PyTorch (each
        total = Sum.apply(self.astype(np.float32) if half else source, dims,  # element too)
                          _keep_arg(keepdim, keepdims))
        count = self._data.size // max(total._data.size, 1)
        mean = total / count if count else total * np.nan  # the mean of nothing is NaN
        mean = mean.astype(np.float16) if half else mean
        return pytorch_named(mean, "MeanBackward0" if dims is None else "MeanBackward1")

    def max(self, dim_or_other: Any = None, /, keepdim: bool = False, *, dim: Any = None,
            axis: Axis = None, keepdims: bool | None = None, other: Any = None) -> Any:
        """PyTorch's max: of everything (ties share the gradient), or along `dim` (or its
        alias `axis`, with `keepdims`) a `(values, indices)` pair whose gradient goes to the
        selected index; `max(other)` (or `other=`) is `maximum`. A tuple of dims gives
        `amax`'s values. As PyTorch, a tensor given positionally is `other`, one given as
        `dim=` a dim (a 0-d integer tensor)."""
        return self._max_or_min("max", _dim_or_other("max", dim_or_other, dim, other),
                                keepdim, axis, keepdims)

    def min(self, dim_or_other: Any = None, /, keepdim: bool = False, *, dim: Any = None,
            axis: Axis = None, keepdims: bool | None = None, other: Any = None) -> Any:
        """PyTorch's min: of everything, or `(values, indices)` along `dim`; see `max`."""
        return self._max_or_min("min", _dim_or_other("min", dim_or_other, dim, other),
                                keepdim, axis, keepdims)

    def _max_or_min(self, op: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> Any:
        if isinstance(dim, Tensor):
            return self.maximum(dim) if op == "max" else self.minimum(dim)
        if dim is None and isinstance(axis, (int, np.integer)):  # PyTorch's alias of dim
            dim, axis = axis, None
        if isinstance(dim, (int, np.integer)) and keepdims is not None:  # (and of keepdim)
            keepdim, keepdims = keepdims, None
        if axis is not None or keepdims is not None or isinstance(dim, (tuple, list)):
            _refuse_no_dims(op, _dim_arg(op, dim, axis))
            return self._extreme(Max if op == "max" else Min, op, dim, axis, keepdim, keepdims)
        if dim is None:
            _check_nonempty(op, self, None)
            return pytorch_named((Max if op == "max" else Min).apply(self, None, False),
                                 "MaxBackward1" if op == "max" else "MinBackward1")
        find = np.argmax if op == "max" else np.argmin
        return self._select_along(op, dim, keepdim,
                                  lambda data, axis: find(data, axis=axis, keepdims=True))

    def amax(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """Largest value over `dim` (an int, a tuple, or None); ties share the gradient."""
        return self._extreme(AMax, "amax", dim, axis, keepdim, keepdims)

    def amin(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """Smallest value over `dim` (an int, a tuple, or None); ties share the gradient."""
        return self._extreme(AMin, "amin", dim, axis, keepdim, keepdims)

    def _extreme(self, op: type, name: str, dim: Axis, axis: Axis, keepdim: bool,
                 keepdims: bool | None) -> Tensor:
        dims = _wrap_dims(name, _dim_arg(name, dim, axis), self.ndim)
        _check_nonempty(name, self, dims)
        return op.apply(self, dims, _keep_arg(keepdim, keepdims))

    # ----------------------------------------------------------------- elementwise
    def exp(self) -> Tensor:
        """e ** x, elementwise;  d/dx = exp(x)."""
        return Exp.apply(_float_in(self))

    def log(self) -> Tensor:
        """Natural logarithm, elementwise;  d/dx = 1 / x."""
        return Log.apply(_float_in(self))

    def sqrt(self) -> Tensor:
        """Square root, elementwise;  d/dx = 1 / (2 sqrt(x))."""
        return Sqrt.apply(_float_in(self))

    def abs(self) -> Tensor:
        """|x|, elementwise;  d/dx = sign(x). Not for bool tensors, as PyTorch."""
        if self.dtype.kind == "b":
            raise DtypeError("abs: not implemented for bool tensors, as in PyTorch")
        return Abs.apply(self)

    def sin(self) -> Tensor:
        """Sine, elementwise;  d/dx = cos(x)."""
        return Sin.apply(_float_in(self))

    def cos(self) -> Tensor:
        """Cosine, elementwise;  d/dx = -sin(x)."""
        return Cos.apply(_float_in(self))

    def tanh(self) -> Tensor:
        """Hyperbolic tangent, elementwise;  d/dx = 1 - tanh(x)**2."""
        return Tanh.apply(_float_in(self))

    def sigmoid(self) -> Tensor:
        """1 / (1 + exp(-x)), stable for any x;  d/dx = s (1 - s). float16 is computed in
        float32 and rounded once, as PyTorch (so are gelu, elu, celu, selu, leaky_relu,
        softplus, hardsigmoid, logsigmoid and sinc, their gradients too)."""
        return Sigmoid.apply(self)

    def relu(self) -> Tensor:
        """max(x, 0);  d/dx = 1 where x > 0, else 0."""
        if self._data.dtype.kind == "b":
            raise TensorError("relu: Boolean inputs not supported for relu, as in PyTorch")
        return ReLU.apply(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Limit values to [min, max]; the gradient passes where min <= x <= max."""
        return self.clamp(min, max)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """PyTorch's spelling of clip: limit values to [min, max] (`x.clamp(min=0)`); one
        bound at least, as PyTorch."""
        if min is None and max is None:
            raise TensorError("torch.clamp: At least one of 'min' or 'max' must not be None "
                              "(clamp: at least one bound is needed)")
        if min is not None and max is not None and isinstance(min, Tensor) is not isinstance(
                max, Tensor) and any(isinstance(b, Tensor) and b.ndim for b in (min, max)):
            raise TypeError(f"clamp() received an invalid combination of arguments - got "
                            f"(min={type(min).__name__}, max={type(max).__name__}): both bounds "
                            "numbers (or 0-d tensors), or both tensors, as PyTorch")
        for name, bound in (("min", min), ("max", max)):
            if isinstance(bound, (str, bytes)):
                data_operand("clamp", bound, name)
        # PyTorch refuses a number past the dtype's range; for integer tensors only a Python
        # int is checked (-1 wraps into uint8, as there) and a float bound promotes
        if any(isinstance(b, Tensor) and b._data.dtype is not self._data.dtype
               for b in (min, max)):  # tensors cast to PyTorch's result dtype first
            target = result_dtype(self._data, *(_data(b) for b in (min, max) if b is not None))
            self, min, max = (b if b is None else _cast_tensor(b, cast_operand(_data(b), target))
                              for b in (self, min, max))
        kind = self._data.dtype.kind
        min, max = _number(min), _number(max)  # (NumPy scalars checked as their numbers)
        if kind in "biu":  # a float bound makes a float result that must hold it (1e308)
            for bound in (min, max):
                if type(bound) is float:
                    _scalar_for("clamp", bound, get_default_dtype())
        if kind in "fiu":
            min, max = (_scalar_for("clamp", bound, self._data.dtype)
                        if kind == "f" or type(bound) is int else bound for bound in (min, max))
        elif kind == "b":
            _refuse_bool_clamp(min, max)
        clipped = Clip.apply(self, min, max)  # (PyTorch's node for tensor bounds: ClampBackward0)
        return pytorch_named(clipped, "ClampBackward0") if isinstance(min, Tensor) or isinstance(
            max, Tensor) else clipped

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002
        """clamp(min=min) (PyTorch's node: ClampMinBackward0, of a tensor bound 1)."""
        return pytorch_named(self.clamp(min=min), f"ClampMinBackward{int(isinstance(min, Tensor))}")

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002
        """clamp(max=max) (PyTorch's node: ClampMaxBackward0, of a tensor bound 1)."""
        return pytorch_named(self.clamp(max=max), f"ClampMaxBackward{int(isinstance(max, Tensor))}")

    def softmax(self, dim: int = -1, dtype: Any = None, *, axis: int | None = None) -> Tensor:
        """exp(x) / sum(exp(x)) along `dim` (alias `axis`), stable for any finite values."""
        source = self if dtype is None else self.astype(dtype)
        dim = _dim_arg("softmax", dim if axis is None else None, axis)
        axis = _wrap_dim("softmax", dim, self.ndim)  # a 0-d tensor takes dim -1 or 0
        if not source._data.size:  # empty in, empty out, integers too (as PyTorch)
            return _empty_result(source)
        return Softmax.apply(_float_input("softmax", source), axis if self.ndim else -1)

    def log_softmax(self, dim: int = -1, dtype: Any = None, *, axis: int | None = None
                    ) -> Tensor:
        """x - log(sum(exp(x))) along `dim` (alias `axis`), stable for any finite values."""
        source = self if dtype is None else self.astype(dtype)
        dim = _dim_arg("log_softmax", dim if axis is None else None, axis)
        axis = _wrap_dim("log_softmax", dim, self.ndim)  # a 0-d tensor takes dim -1 or 0
        if not source._data.size:  # empty in, empty out, integers too (as PyTorch)
            return _empty_result(source)
        return LogSoftmax.apply(_float_input("log_softmax", source), axis if self.ndim else -1)

    # ----- PyTorch's other names for the same ops
    subtract, multiply, divide, true_divide = sub, mul, div, div

    @_node_named("SgnBackward0")
    def sgn(self) -> Tensor:
        """sign(x) (for real tensors PyTorch's sgn is sign);  d/dx = 0."""
        return self.sign()

    def erfc(self) -> Tensor:
        """1 - erf(x), accurate in the tail (erfc(7) = 4.18e-23, not 0);
        d/dx = -2/sqrt(pi) exp(-x**2)."""
        return Erfc.apply(_float_in(self))

    def t(self) -> Tensor:
        """The transpose of a matrix (0-d and 1-D tensors are returned as they are)."""
        if self.ndim > 2:
            raise TensorError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}")
        return pytorch_named(self.transpose(), "TBackward0") if self.ndim == 2 else self

    def ravel(self) -> Tensor:
        """All elements in one axis (flatten; PyTorch's contiguous().view(-1))."""
        flat = self.flatten()
        return flat if flat is self else pytorch_named(flat, "ViewBackward0")

    def fliplr(self) -> Tensor:
        """Reverse the order along axis 1 (of a tensor of 2 or more dims)."""
        if self.ndim < 2:
            raise TensorError(f"fliplr: input must be >= 2-d, got shape {self.shape}")
        return self.flip(1)

    def flipud(self) -> Tensor:
        """Reverse the order along axis 0 (of a tensor of 1 or more dims)."""
        if self.ndim < 1:
            raise TensorError(f"flipud: input must be >= 1-d, got shape {self.shape}")
        return self.flip(0)

    def tile(self, *dims: int | tuple[int, ...], **named: Any) -> Tensor:
        """Repeat the tensor `dims` times along each axis (leading 1s added as needed; also as
        `dims=`)."""
        dims = _shape_args(_sized("tile", dims, named, "dims"))  # (`tile(())` is a copy)
        dims = (1,) * (self.ndim - len(dims)) + tuple(dims)
        return self.reshape((1,) * (len(dims) - self.ndim) + self.shape).repeat(dims)

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a matrix."""
        if self.ndim != 2:
            raise TensorError(f"trace: expected a matrix, got shape {self.shape}")
        refuse_bool("trace", self)
        return pytorch_named(self.diagonal().sum(), "TraceBackward0")

    @xp.quiet
    def inner(self, other: Any) -> Tensor:
        """Sum over the last axis of both (for 1-D tensors the dot product); the result has
        shape self.shape[:-1] + other.shape[:-1]."""
        typed = isinstance(other, (Tensor, np.ndarray))  # (a list is data, weak)
        other = to_tensor(number_operand("inner", other))
        if self.ndim and other.ndim and typed:  # (0-d: a product, as PyTorch's)
            refuse_integer_mix("inner", self._data.dtype, other._data.dtype)  # (as dot's)
        if self.ndim and other.ndim and _bool_product_runs(self._data, other._data):
            refuse_bool("inner", self)
        if not self.ndim or not other.ndim:
            return self * other
        spread = self.reshape(self.shape[:-1] + (1,) * (other.ndim - 1) + self.shape[-1:])
        products = spread * other
        return products.sum(-1, dtype=products.dtype)  # int32 stays int32 (sum: int64)

    def equal(self, other: Any) -> bool:
        """True when both have the same shape and the same values (`other` a tensor, as in
        PyTorch)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"equal(): argument 'other' must be a Tensor, not "
                            f"{type(other).__name__}")
        other = _data(other)
        return self.shape == np.shape(other) and bool(np.array_equal(self._data, other))

    def count_nonzero(self, dim: Any = None, *more_dims: int) -> Tensor:
        """How many elements are not zero (over `dim`, or the dims `count_nonzero(0, 1)`), as
        int64."""
        if more_dims:
            dim = (dim, *more_dims)
        dims = _wrap_dims("count_nonzero", dim, self.ndim)  # () or None: all, as PyTorch
        return Tensor._make(c_ordered(np.asarray(np.count_nonzero(self._data, axis=dims),
                                                 np.int64)), None)

    @_node_named("NanToNumBackward0")
    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        """NaN, +inf and -inf replaced (by 0 and the dtype's largest finite values)."""
        values = []
        for argument, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
            if isinstance(value, Tensor) and value.ndim == 0:
                value = value.item()  # (a 0-d Tensor is a number, as PyTorch reads it)
            if not isinstance(value, (int, float, np.number, type(None))):  # PyTorch's TypeError
                raise TypeError(f"nan_to_num(): argument '{argument}' must be float, not "
                                f"{type(value).__name__}")
            values.append(value)
        nan, posinf, neginf = values
        nan = 0.0 if nan is None else nan  # None: the default, as PyTorch
        info = np.finfo(self.dtype) if self.dtype.kind == "f" else None
        high = posinf if posinf is not None else (info.max if info else 0)
        low = neginf if neginf is not None else (info.min if info else 0)
        finite = Tensor._make(np.isfinite(self._data), None)
        with np.errstate(over="ignore"):  # posinf=1e30 is inf in float16, as PyTorch
            filled = np.where(np.isnan(self._data), nan, np.where(self._data > 0, high, low))
            filled = filled.astype(self.dtype)
        return self.where(finite, Tensor._make(filled, None))

    @xp.quiet
    def addcmul(self, tensor1: Any, tensor2: Any, *scale_first_: Any, value: float = 1
                ) -> Tensor:
        """self + value * tensor1 * tensor2, computed in the result dtype of the three (uint8
        operands beside a float input do not wrap, as PyTorch). float32 is computed in
        float64 and float16 in float32, and rounded once, as PyTorch's fused op: inf - 1e28 *
        1e28 is inf (float32's addcdiv is not fused: its value * tensor1 / tensor2 may
        overflow)."""
        if scale_first_:  # (PyTorch's deprecated addcmul(value, tensor1, tensor2))
            tensor1, tensor2, value = scale_first("addcmul", (tensor1, tensor2, *scale_first_),
                                                  value, "value")
        tensor1, tensor2, value = self._pointwise_operands("addcmul", tensor1, tensor2, value)
        if type(value) is int:
            _check_int_operand(value)  # (2**70: PyTorch's OverflowError)
        if _data(tensor1).dtype is _FLOAT16 and isinstance(value, (int, float)):
            return opmath.Addcmul.apply(self, tensor1, tensor2, value)  # (PyTorch's order)
        return pytorch_named(_rounded_once(lambda s, a, b: s + value * a * b, self, tensor1,
                                           tensor2), "AddcmulBackward0")

    @_node_named("AddcdivBackward0")
    @xp.quiet
    def addcdiv(self, tensor1: Any, tensor2: Any, *scale_first_: Any, value: float = 1
                ) -> Tensor:
        """self + value * tensor1 / tensor2, in the result dtype of the three; two integer
        operands raise, as PyTorch (no integer division). float16 is computed in float32 and
        rounded once, as PyTorch (a float16 value * tensor1 would overflow)."""
        if scale_first_:  # (PyTorch's deprecated addcdiv(value, tensor1, tensor2))
            tensor1, tensor2, value = scale_first("addcdiv", (tensor1, tensor2, *scale_first_),
                                                  value, "value")
        tensor1, tensor2, value = self._pointwise_operands("addcdiv", tensor1, tensor2, value)
        if type(value) is int:
            _check_int_operand(value)  # (2**70: PyTorch's OverflowError)
        if _data(tensor1).dtype is _FLOAT16 and isinstance(value, (int, float)):  # (the
            return opmath.Addcdiv.apply(self, tensor1, tensor2, value)  # result's dtype)
        return self + value * tensor1 / tensor2

    def _pointwise_operands(self, op: str, tensor1: Any, tensor2: Any, value: Any) -> tuple:
        """addcmul's and addcdiv's integer and bool operands in PyTorch's result dtype of
        (self, tensor1, tensor2) (float ones promote as in arithmetic), `value` a number of
        that kind (0.5 is 0 for integers, as PyTorch)."""
        dtype = self._data.dtype
        if type(tensor1) is Tensor and type(tensor2) is Tensor and (  # (the optimizers' case)
                tensor1._data.dtype is dtype and tensor2._data.dtype is dtype) and (
                dtype.kind in "fc"):
            return tensor1, tensor2, value
        from tinygrad_np.functions import _result_type
        for position, (name, operand) in enumerate((("tensor1", tensor1), ("tensor2", tensor2))):
            if not isinstance(operand, (Tensor, np.ndarray)):  # as PyTorch (a number's
                raise TypeError(f"{op}(): argument '{name}' (position {position + 2}) must "
                                f"be Tensor, not {_type_name(operand)}")  # dtype is unknown)
        kinds = [np.result_type(_data(t)) for t in (tensor1, tensor2)]
        if op == "addcdiv" and all(kind.kind in "biu" for kind in kinds):
            raise TensorError(f"addcdiv: integer division is not supported (tensor1 and tensor2 "
                              f"are {kinds[0]} and {kinds[1]}); pass a float tensor")
        dtype = _result_type(self, tensor1, tensor2)
        if dtype is _BOOL:
            raise DtypeError(f"{op}: not implemented for bool (self, tensor1 and tensor2 all "
                             "bool), as PyTorch")
        tensor1, tensor2 = (t.to(dtype) if isinstance(t, Tensor) and t.dtype != dtype else t
                            for t in (tensor1, tensor2))  # (float16 ones too: in float64)
        if dtype.kind in "iu" and isinstance(value, (float, np.floating)):
            if not math.isfinite(value):  # (PyTorch: the overflow RuntimeError below)
                raise TensorError(f"{op}: value {value} cannot be converted to type {dtype} "
                                  f"without overflow")
            value = int(value)
        if dtype.kind in "iu" and type(value) is int:  # 300 for int8: PyTorch's error
            _scalar_for(op, value, dtype)
        return tensor1, tensor2, value

    # ----- elementwise math and activations (vocabulary)
    # Activations: PyTorch has these only as F.* (nn.functional); the Tensor methods are this
    # library's extension, and F.* call them.
    def gelu(self, approximate: str = "none") -> Tensor:
        """x Phi(x) with Phi the normal CDF (erf); approximate='tanh' uses the tanh formula."""
        if approximate not in ("none", "tanh"):
            raise TensorError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return GELU.apply(self.float(), approximate, True).half()
        return GELU.apply(refuse_integers("gelu", self), approximate)

    @xp.quiet
    def silu(self) -> Tensor:
        """x sigmoid(x) (swish);  d/dx = s (1 + x (1 - s)). float16 is computed in float32
        (as PyTorch: sigmoid(-20) underflows and a scaled loss's x g overflows in float16)."""
        if self._data.dtype == np.float16:
            return self.float().silu().half()
        return pytorch_named(refuse_integers("silu", self) * self.sigmoid(), "SiluBackward0")

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, else negative_slope x;  d/dx at 0 is negative_slope (PyTorch)."""
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return self.float().leaky_relu(negative_slope).half()
        return LeakyReLU.apply(refuse_integers("leaky_relu", self), negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, else alpha (exp(x) - 1);  d/dx at 0 is alpha (PyTorch)."""
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return self.float().elu(alpha).half()
        return ELU.apply(refuse_integers("elu", self), alpha, 1.0, 1.0)

    def selu(self) -> Tensor:
        """scale elu(x, alpha), PyTorch's scale = 1.0507009873554805, alpha = 1.6732632423543772."""
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return self.float().selu().half()
        return ELU.apply(refuse_integers("selu", self), SELU_ALPHA, SELU_SCALE, 1.0)

    def celu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, else alpha (exp(x / alpha) - 1);  d/dx at 0 is 1."""
        if alpha == 0:
            raise TensorError("celu: alpha must not be 0 (it divides x)")
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return self.float().celu(alpha).half()
        return pytorch_named(ELU.apply(refuse_integers("celu", self), alpha, 1.0, 1.0 / alpha),
                             "CeluBackward0")

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return self.float().softplus(beta, threshold).half()
        return Softplus.apply(refuse_integers("softplus", self), beta, threshold)

    def relu6(self) -> Tensor:
        """min(max(x, 0), 6);  d/dx is 0 at 0 and 6 (hardtanh's rule, as PyTorch). An
        integer tensor keeps its dtype."""
        if self._data.dtype.kind in "biu":
            return _integer_hardtanh(self, "relu6", 0, 6)
        return HardTanh.apply(self, 0.0, 6.0)

    def hardtanh(self, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
        """min(max(x, min_val), max_val);  d/dx is 1 strictly inside, 0 at the edges."""
        if min_val > max_val:
            raise TensorError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        if self._data.dtype.kind in "biu":  # the dtype kept, as PyTorch
            for bound in (min_val, max_val) if self._data.dtype.kind == "i" else ():
                _scalar_for("hardtanh", bound, self._data.dtype)  # (-300 for int8: refused)
            return _integer_hardtanh(self, "hardtanh", min_val, max_val)
        return HardTanh.apply(self, min_val, max_val)

    def hardsigmoid(self) -> Tensor:
        """min(max(x + 3, 0), 6) / 6;  d/dx is 1/6 strictly inside (-3, 3), else 0."""
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return self.float().hardsigmoid().half()
        return Hardsigmoid.apply(refuse_integers("hardsigmoid", self))

    def hardswish(self) -> Tensor:
        """x hardsigmoid(x);  d/dx is 0 at x <= -3, 1 at x >= 3, x/3 + 1/2 between."""
        return Hardswish.apply(refuse_integers("hardswish", self))

    @xp.quiet
    def mish(self) -> Tensor:
        """x tanh(softplus(x)); float16 is computed in float32, as silu."""
        if self._data.dtype == np.float16:
            return self.float().mish().half()
        return pytorch_named(refuse_integers("mish", self) * self.softplus().tanh(),
                             "MishBackward0")

    def logsigmoid(self) -> Tensor:
        """log(sigmoid(x)) = -softplus(-x), stable for any x;  d/dx = sigmoid(-x)."""
        if self._data.dtype is _FLOAT16:  # in float32, rounded once (PyTorch's kernels)
            return self.float().logsigmoid().half()
        return LogSigmoid.apply(refuse_integers("log_sigmoid", self))

    def softsign(self) -> Tensor:
        """x / (1 + |x|);  d/dx = 1 / (1 + |x|)**2."""
        return self / (self.abs() + 1)

    def softmin(self, dim: int = -1) -> Tensor:
        """softmax(-x) along `dim`: small values get large weights."""
        return (-self).softmax(dim)

    # Elementwise math (PyTorch's Tensor methods).
    def erf(self) -> Tensor:
        """The error function 2/sqrt(pi) int_0^x exp(-t^2) dt (float64-accurate);
        d/dx = 2/sqrt(pi) exp(-x^2)."""
        return Erf.apply(self)

    def lgamma(self) -> Tensor:
        """log |Gamma(x)| (+inf at 0, -1, -2, ...);  d/dx = digamma(x)."""
        return Lgamma.apply(self)

    def digamma(self) -> Tensor:
        """psi(x), the derivative of lgamma;  d/dx = polygamma(1, x)."""
        return Polygamma.apply(self, 0)

    def polygamma(self, n: int) -> Tensor:
        """The n-th derivative of digamma (`torch.polygamma(n, x)`);  d/dx = polygamma(n+1, x)."""
        n = int_arg(n)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"polygamma: n must be an int, got {n!r}")
        if n < 0:
            raise TensorError(f"polygamma: n must be a non-negative int, got {n}")
        return Polygamma.apply(self, int(n))

    @_node_named("MvlgammaBackward0")
    def mvlgamma(self, p: int) -> Tensor:
        """The log of the multivariate gamma function of dimension p:
        p (p - 1)/4 log(pi) + sum_j lgamma(x - j/2), j = 0 .. p-1. Outside its domain
        (x <= (p - 1)/2) lgamma's inf, as PyTorch 2.13 (which no longer raises)."""
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):  # as PyTorch's parser
            raise TypeError(f"mvlgamma(): argument 'p' must be int, not {type(p).__name__}")
        if p < 1:
            raise TensorError(f"mvlgamma: p must be a positive int, got {p!r}")
        offsets = -np.arange(p, dtype=np.float64) / 2
        terms = (_float_in(self).unsqueeze(-1) + offsets.astype(self.dtype if self.dtype.kind
                                                                  == "f" else np.float32))
        return terms.lgamma().sum(-1) + p * (p - 1) / 4 * math.log(math.pi)

    def erfinv(self) -> Tensor:
        """The inverse of erf on [-1, 1] (+-inf at +-1);  d/dx = sqrt(pi)/2 exp(erfinv(x)**2)."""
        return Erfinv.apply(self)

    def i0(self) -> Tensor:
        """The modified Bessel function I0(x) (NaN at +-inf, as PyTorch);  d/dx = I1(x)."""
        return I0.apply(_float_in(self))

    def igamma(self, other: Any) -> Tensor:
        """The regularized lower incomplete gamma function P(self, other);  a gradient for
        `other` only (x^(a-1) e^-x / Gamma(a)), as PyTorch."""
        return Igamma.apply(*_floats_in(self, float_operands("igamma", self, other)))

    def igammac(self, other: Any) -> Tensor:
        """The regularized upper incomplete gamma function Q(self, other) = 1 - P;  a
        gradient for `other` only, as PyTorch."""
        return Igammac.apply(*_floats_in(self, float_operands("igammac", self, other)))

    @xp.quiet
    def sinc(self) -> Tensor:
        """sin(pi x) / (pi x), 1 at x = 0: `tg.sinc` (a series near 0, every derivative exact)."""
        from tinygrad_np.functions import sinc

        return sinc(self)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x);  d/dx = -x**-1.5 / 2."""
        return Rsqrt.apply(_float_in(self))

    def log2(self) -> Tensor:
        """Base-2 logarithm;  d/dx = 1 / (x ln 2)."""
        return Log2.apply(_float_in(self))

    def log10(self) -> Tensor:
        """Base-10 logarithm;  d/dx = 1 / (x ln 10)."""
        return Log10.apply(_float_in(self))

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x;  d/dx = 1 / (1 + x)."""
        return Log1p.apply(_float_in(self))

    def exp2(self) -> Tensor:
        """2 ** x;  d/dx = 2**x ln 2."""
        return Exp2.apply(_float_in(self))

    def expm1(self) -> Tensor:
        """exp(x) - 1, accurate for small x;  d/dx = exp(x)."""
        return Expm1.apply(_float_in(self))

    def tan(self) -> Tensor:
        """Tangent;  d/dx = 1 + tan(x)**2."""
        return Tan.apply(_float_in(self))

    def sinh(self) -> Tensor:
        """Hyperbolic sine;  d/dx = cosh(x)."""
        return Sinh.apply(_float_in(self))

    def cosh(self) -> Tensor:
        """Hyperbolic cosine;  d/dx = sinh(x)."""
        return Cosh.apply(_float_in(self))

    def asin(self) -> Tensor:
        """Inverse sine;  d/dx = 1 / sqrt(1 - x**2)."""
        return Asin.apply(_float_in(self))

    def acos(self) -> Tensor:
        """Inverse cosine;  d/dx = -1 / sqrt(1 - x**2)."""
        return Acos.apply(_float_in(self))

    def atan(self) -> Tensor:
        """Inverse tangent;  d/dx = 1 / (1 + x**2)."""
        return Atan.apply(_float_in(self))

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), in (-pi, pi] (broadcasting)."""
        return Atan2.apply(*_floats_in(self, tensor_operand("atan2", other)))

    def asinh(self) -> Tensor:
        """Inverse hyperbolic sine;  d/dx = 1 / sqrt(x**2 + 1)."""
        return Asinh.apply(_float_in(self))

    def acosh(self) -> Tensor:
        """Inverse hyperbolic cosine (x >= 1);  d/dx = 1 / sqrt(x**2 - 1)."""
        return Acosh.apply(_float_in(self))

    def atanh(self) -> Tensor:
        """Inverse hyperbolic tangent (|x| < 1);  d/dx = 1 / (1 - x**2)."""
        return Atanh.apply(_float_in(self))

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of x;  gradient 0."""
        return Sign.apply(self)

    def floor(self) -> Tensor:
        """Largest integer <= x (integer tensors unchanged);  gradient 0."""
        if self._data.dtype is _BOOL:
            refuse_bool("floor", self)
        return Floor.apply(self)

    def ceil(self) -> Tensor:
        """Smallest integer >= x (integer tensors unchanged);  gradient 0."""
        if self._data.dtype is _BOOL:
            refuse_bool("ceil", self)
        return Ceil.apply(self)

    def round(self, decimals: int | None = None) -> Tensor:
        """Round half to even (2.5 -> 2) at `decimals` digits (negative: tens, ...);  gradient 0.
        float16 is scaled in float32 (65504 * 10 would be inf), as PyTorch; an integer tensor
        takes no `decimals` (PyTorch's NotImplementedError, even for 0)."""
        if self._data.dtype.kind not in "fc":
            refuse_bool("round", self)
            if decimals is not None:
                raise DtypeError(f"round: decimals= is not implemented for {self._data.dtype} "
                                 "tensors (as PyTorch)")
        given, decimals = decimals, decimals or 0  # (None: not given)
        if not isinstance(decimals, (int, np.integer)):  # (1.5 is not truncated to 1)
            raise TypeError(f"round(): argument 'decimals' must be int, not "
                            f"{type(decimals).__name__}")
        if decimals and self._data.dtype == np.float16:
            return pytorch_named(Round.apply(self.float(), int(decimals)).half(), "RoundBackward1")
        rounded = Round.apply(self, int(decimals))  # (decimals= given: PyTorch's overload 1)
        return rounded if given is None else pytorch_named(rounded, "RoundBackward1")

    def trunc(self) -> Tensor:
        """x rounded towards zero;  gradient 0."""
        if self._data.dtype is _BOOL:
            refuse_bool("trunc", self)
        return Trunc.apply(self)

    fix = trunc

    @_node_named("FracBackward0")
    def frac(self) -> Tensor:
        """x - trunc(x) (keeps the sign of x);  d/dx = 1; floats only, as PyTorch."""
        if self._data.dtype.kind not in "fc":
            raise DtypeError(f"frac: not implemented for {self._data.dtype} tensors (as PyTorch)")
        return self - self.trunc()

    def reciprocal(self) -> Tensor:
        """1 / x (float for integer tensors, as PyTorch);  d/dx = -1 / x**2."""
        return Reciprocal.apply(_float_in(self))

    @xp.quiet
    def square(self) -> Tensor:
        """x ** 2 (integer tensors stay integer, bool becomes int64 as in PyTorch);  d/dx = 2 x.
        A power, as PyTorch's: its second derivative (2) stays on the graph, x * x's is a
        constant (2 g)."""
        source = self.astype(np.int64) if self.dtype == np.bool_ else self
        return source ** 2

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight (end - self): see _lerp; PyTorch's node LerpBackward0 for a number
        weight, LerpBackward1 for a tensor one."""
        try:
            result = self._lerp(end, weight)
        except TensorError as error:  # (PyTorch's words of self, end, weight: not of a step)
            shapes = [tuple(self.shape), np.shape(_data(end)), np.shape(_data(weight))]
            words = broadcast_mismatch(shapes)
            if words is None or "must match" not in str(error):
                raise
            raise TensorError(f"{words} (lerp on shapes {', '.join(map(str, shapes))})") from None
        return pytorch_named(result, f"LerpBackward{int(isinstance(weight, Tensor))}")

    def _lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight (end - self) where weight < 0.5, else end - (end - self) (1 - weight)
        (PyTorch's two forms: exact at both ends), broadcasting; weight a number or tensor.
        float16 is computed in float32 (60000 - -60000 is inf in float16), as PyTorch."""
        dtype = self._data.dtype
        if dtype.kind not in "fc":
            raise DtypeError(f"lerp: not implemented for {dtype} tensors, as in PyTorch; "
                             f"convert with .float() first")
        if type(weight) is int:
            _check_int_operand(weight)  # (2**70: PyTorch's OverflowError)
        for name, part in (("end", end), ("weight", weight)):  # (a number end: this library's)
            if isinstance(part, Tensor) and part._data.dtype != dtype and (
                    name == "end" or part.ndim):  # (a 0-d weight of any float: as PyTorch)
                raise TensorError(f"lerp: expected dtype {dtype} for `{name}` but got "
                                  f"{part._data.dtype}")
        if self._data.dtype == np.float16 and type(weight) in (float, int) and isinstance(
                end, Tensor) and end._data.dtype == np.float16:  # one fused multiply-add
            return opmath.Lerp.apply(self, end, weight)
        if self._data.dtype == np.float16 and all(
                not isinstance(part, Tensor) or part.dtype == self.dtype for part in (end, weight)):
            wide = [part.float() if isinstance(part, Tensor) else part for part in (end, weight)]
            return self.float().lerp(*wide).half()
        with np.errstate(invalid="ignore", over="ignore"):  # (an infinite end: silently)
            if isinstance(weight, (Tensor, np.ndarray)) and np.ndim(weight):
                return Where.apply(_data(weight) < 0.5, self + weight * (end - self),
                                   end - (end - self) * (1 - weight))
            if _data(weight) < 0.5:
                return self + weight * (end - self)
            return end - (end - self) * (1 - weight)

    def logaddexp(self, other: Any) -> Tensor:
        """log(exp(self) + exp(other)) without overflow (broadcasting); floats only (an
        integer or bool result dtype raises, as PyTorch)."""
        dtype = result_dtype(self._data, tensor_operand("logaddexp", other)._data)
        if dtype is None or dtype.kind != "f":  # (a bool operand of a float result: cast)
            raise DtypeError(f"logaddexp: not implemented for {dtype} (as PyTorch)")
        return LogAddExp.apply(*_floats_in(self, other))

    def hypot(self, other: Any) -> Tensor:
        """sqrt(self**2 + other**2) without overflow (broadcasting)."""
        return Hypot.apply(*_binary(self, float_operands("hypot", self, other)))

    def fmod(self, other: Any) -> Tensor:
        """C's remainder self - other trunc(self / other): the sign of self (broadcasting)."""
        return Fmod.apply(*_binary(self, other))

    def remainder(self, other: Any) -> Tensor:
        """Python's remainder self - other floor(self / other): the sign of other, like `%`."""
        return Remainder.apply(*_binary(self, other))

    def floor_divide(self, other: Any) -> Tensor:
        """floor(self / other), like `//`; not differentiable (as in PyTorch)."""
        return self // other

    def __mod__(self, other: Any) -> Tensor:  # (a Python int wraps to an integer dtype, as
        return Remainder.apply(*_binary(self, other))  # PyTorch: uint8 % -3)

    def __rmod__(self, other: Any) -> Tensor:
        tensor, other = _binary(self, other)
        return Remainder.apply(other, tensor)

    def __floordiv__(self, other: Any) -> Tensor:
        if self._data.dtype is _FLOAT16 and (scalar := _opmath_scalar(self, other)) is not None:
            return opmath.FloorDivide.apply(self, scalar)  # in float32 (PyTorch's opmath)
        return FloorDivide.apply(*_binary(self, other))

    def __rfloordiv__(self, other: Any) -> Tensor:
        tensor, other = _binary(self, other)
        return FloorDivide.apply(other, tensor)

    def isnan(self) -> Tensor:
        """True where the value is NaN (bool, no gradient)."""
        return Tensor._make(np.asarray(np.isnan(self._data)), None)

    def isinf(self) -> Tensor:
        """True where the value is +inf or -inf."""
        return Tensor._make(np.asarray(np.isinf(self._data)), None)

    def isfinite(self) -> Tensor:
        """True where the value is neither NaN nor infinite."""
        return Tensor._make(np.asarray(np.isfinite(self._data)), None)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        """|self - other| <= atol + rtol |other|, elementwise (bool); shapes that do not
        broadcast are a RuntimeError as in PyTorch, negative tolerances refused."""
        if rtol < 0 or atol < 0:
            raise TensorError(f"isclose: rtol and atol must be non-negative, got rtol={rtol}, "
                              f"atol={atol}")
        data_operand("isclose", other)
        if isinstance(other, Tensor) and other._data.dtype != self._data.dtype:
            raise TensorError(f"isclose: {self._data.dtype} did not match {other._data.dtype}; "
                              "convert one first, as PyTorch")
        _broadcast_shape("isclose", self.shape, np.shape(_data(other)))
        theirs = np.asarray(_data(other))
        if not isinstance(other, Tensor) and self._data.dtype.kind == "f":
            theirs = theirs.astype(self._data.dtype)  # a number: in the tensor's precision
        return Tensor._make(np.asarray(_isclose(self._data, theirs, rtol, atol, equal_nan)), None)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """True when isclose holds everywhere (a Python bool)."""
        data_operand("allclose", other)
        return bool(np.all(self.isclose(other, rtol, atol, equal_nan)._data))

    # Comparisons and logic: bool or integer tensors without gradient.
    def eq(self, other: Any) -> Tensor:
        """self == other (bool, broadcasting)."""
        return self._compared("eq", other)

    def ne(self, other: Any) -> Tensor:
        """self != other."""
        return self._compared("ne", other)

    def lt(self, other: Any) -> Tensor:
        """self < other."""
        return self._compared("lt", other)

    def le(self, other: Any) -> Tensor:
        """self <= other."""
        return self._compared("le", other)

    def gt(self, other: Any) -> Tensor:
        """self > other."""
        return self._compared("gt", other)

    def ge(self, other: Any) -> Tensor:
        """self >= other."""
        return self._compared("ge", other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def _compared(self, op: str, other: Any) -> Tensor:
        result = getattr(self, f"__{op}__")(other)
        if result is NotImplemented:
            raise TypeError(f"{op}(): other must be a Tensor or a number, got "
                            f"{type(other).__name__}")
        return result

    def bitwise_left_shift(self, other: Any) -> Tensor:
        """self << other for integer tensors: self * 2**other (TypeError for floats)."""
        return Tensor._make(bitwise("bitwise_left_shift", np.left_shift, self._data,
                                    _data(other)), None)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        """self >> other for integer tensors: floor(self / 2**other), the sign kept."""
        return Tensor._make(bitwise("bitwise_right_shift", np.right_shift, self._data,
                                    _data(other)), None)

    def __lshift__(self, other: Any) -> Tensor:
        return self.bitwise_left_shift(other)

    def __rlshift__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_left_shift", np.left_shift, _data(other),
                                    self._data), None)

    def __rshift__(self, other: Any) -> Tensor:
        return self.bitwise_right_shift(other)

    def __rrshift__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_right_shift", np.right_shift, _data(other),
                                    self._data), None)

    def bitwise_and(self, other: Any) -> Tensor:
        """self & other for integer or bool tensors (TypeError for floats)."""
        return Tensor._make(bitwise("bitwise_and", np.bitwise_and, self._data, _data(other)), None)

    def bitwise_or(self, other: Any) -> Tensor:
        """self | other for integer or bool tensors."""
        return Tensor._make(bitwise("bitwise_or", np.bitwise_or, self._data, _data(other)), None)

    def bitwise_xor(self, other: Any) -> Tensor:
        """self ^ other for integer or bool tensors."""
        return Tensor._make(bitwise("bitwise_xor", np.bitwise_xor, self._data, _data(other)), None)

    def bitwise_not(self) -> Tensor:
        """~self: flips every bit of an integer, negates a bool."""
        return Tensor._make(bitwise("bitwise_not", np.invert, self._data), None)

    def __and__(self, other: Any) -> Tensor:
        return self.bitwise_and(other)

    def __rand__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_and", np.bitwise_and, _data(other), self._data), None)

    def __or__(self, other: Any) -> Tensor:
        return self.bitwise_or(other)

    def __ror__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_or", np.bitwise_or, _data(other), self._data), None)

    def __xor__(self, other: Any) -> Tensor:
        return self.bitwise_xor(other)

    def __rxor__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_xor", np.bitwise_xor, _data(other), self._data), None)

    def __invert__(self) -> Tensor:
        return self.bitwise_not()

    def logical_and(self, other: Any) -> Tensor:
        """Both nonzero (bool, any dtype)."""
        return self._logical("logical_and", np.logical_and, other)

    def logical_or(self, other: Any) -> Tensor:
        """Either nonzero."""
        return self._logical("logical_or", np.logical_or, other)

    def logical_xor(self, other: Any) -> Tensor:
        """Exactly one nonzero."""
        return self._logical("logical_xor", np.logical_xor, other)

    def _logical(self, op: str, ufunc: np.ufunc, other: Any) -> Tensor:
        data_operand(op, number_operand(op, other))
        _broadcast_shape(op, self.shape, np.shape(_data(other)))
        return Tensor._make(np.asarray(ufunc(self._data, _data(other))), None)

    def logical_not(self) -> Tensor:
        """True where the value is zero."""
        return Tensor._make(np.asarray(np.logical_not(self._data)), None)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: int | tuple[int, ...], **size: Any) -> Tensor:
        """Same elements, new shape (one axis may be -1; also as `shape=`)."""
        shape = _shape_args(_sized("reshape", shape, size))  # (a size < -1: Reshape refuses)
        return _copied_unsafe(self, _viewed(self, Reshape.apply(self, shape)))

    def view(self, *shape: Any, **size: Any) -> Tensor:
        """reshape that never copies, as PyTorch's: a layout whose elements cannot be viewed
        in the new shape (a transpose flattened, say) raises instead of silently copying.
        `view(dtype)` reinterprets the bytes as another dtype (see _view_dtype)."""
        if not shape and list(size) == ["dtype"]:  # (size= or dtype=, as PyTorch)
            return self._view_dtype(np.dtype(size["dtype"]))
        shape = _sized("view", shape, size, "size")
        if len(shape) == 1 and isinstance(shape[0], (np.dtype, type, torch_dtype_class)):
            return self._view_dtype(np.dtype(shape[0]))
        if self._data.size and not self._data.flags.c_contiguous and self._relaid_out():
            return self.view(*shape)  # (an op's result in its own memory order: now C order)
        result = self.reshape(*shape)
        if self._data.size and not np.may_share_memory(result._data, self._data):
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                f"dimension spans across two contiguous subspaces): a tensor of shape "
                f"{self.shape} and strides "
                f"{tuple(step // self._data.itemsize for step in self._data.strides)} cannot be "
                f"viewed as shape {result.shape} without a copy. Use .reshape(...) instead.")
        return result

    def _view_dtype(self, dtype: np.dtype) -> Tensor:
        """The bytes read as `dtype`, as PyTorch: with another item size the last dim scales
        (float32 (2, 4) as float16 is (2, 8)), which needs stride 1 there and, to a wider
        dtype, a last dim of a multiple of the ratio. Not differentiable: the result of a
        tensor that requires grad does not (as PyTorch's), except viewed as its own dtype."""
        if dtype == self.dtype:
            return _viewed(self, Reshape.apply(self, self.shape))
        if self._data.size and not self._data.flags.c_contiguous:
            self._relaid_out()  # (an op's result in its own memory order: now C order)
        data, what = self._data, f"view: {self.dtype.name} as {dtype} (different element sizes)"
        if dtype.itemsize != data.itemsize and self._data.size:
            if not data.ndim:
                raise TensorError(f"{what}: a 0-d tensor cannot be viewed so")
            if data.shape[-1] != 1 and data.strides[-1] != data.itemsize:
                raise TensorError(f"{what}: the last dim must have stride 1, got "
                                  f"{data.strides[-1] // data.itemsize}")
            if data.shape[-1] * data.itemsize % dtype.itemsize:
                raise TensorError(f"{what}: the last dim must be divisible by "
                                  f"{dtype.itemsize // data.itemsize}, got shape {self.shape}")
        try:
            viewed = data.view(dtype)
        except ValueError as error:  # (other strides not a multiple of the new item size)
            raise TensorError(f"{what}: not possible for shape {self.shape} and strides "
                              f"{data.strides} (bytes): {error}") from None
        return _share_counter(self, Tensor._make(viewed, None))

    def _relaid_out(self) -> bool:
        """Give self a C-ordered copy of its values when its memory is in another order: conv
        and pooling results (and their gradients) come out batch-innermost or cropped
        (NumPy's fastest order for them) where PyTorch's are contiguous, and `.view(-1)` must
        work. Tensors sharing that memory with the same layout (`detach()`) move with it; the
        values stay; graphs that saved the old array keep it. Not done (False) for memory a
        caller may hold (a NumPy array given to Tensor() or from_numpy(), or handed out by
        numpy(), and their views) or when another tensor views the memory differently
        (`x.t()`, a slice)."""
        sharing = self._movable_with()
        if sharing is None:
            return False
        contiguous = np.ascontiguousarray(self._data)
        for tensor in sharing:
            old = tensor._data
            if _locked_views.get(id(old)) is old:  # the engine's lock of a leaf: locked anew
                tensor._data = _lock(contiguous)
            else:
                tensor._data = contiguous.view()
                tensor._data.flags.writeable = old.flags.writeable
        return True

    def _movable_with(self) -> list | None:
        """The tensors _relaid_out would move (self and those sharing its memory with the
        same layout), or None when it may not: self in C order already, or memory a caller
        may hold or another tensor views differently."""
        data, counter = self._data, self._counter or ()
        if data.flags.c_contiguous:
            return None
        layout = (data.ctypes.data, data.shape, data.strides)
        sharing = {id(t): t for t in (r() for r in counter[2:]) if t is not None}
        sharing[id(self)] = self
        if any((t._data.ctypes.data, t._data.shape, t._data.strides) != layout or getattr(
                t, "_user_memory", False) for t in sharing.values()):
            return None
        return list(sharing.values())

    def transpose(self, *axes: int | tuple[int, ...], dim0: int | None = None,
                  dim1: int | None = None) -> Tensor:
        """Permute axes: no arguments reverses them, one tuple is a permutation (NumPy), and
        two ints swap those two axes (PyTorch's transpose(dim0, dim1))."""
        if dim0 is not None or dim1 is not None:
            axes = axes + tuple(dim for dim in (dim0, dim1) if dim is not None)
        if len(axes) == 2:  # (0-d integer tensors as ints)
            axes = (int_arg(axes[0]), int_arg(axes[1]))
        if len(axes) == 2 and all(isinstance(axis, (int, np.integer)) for axis in axes):
            return self.swapaxes(*axes)
        axes = _shape_args(axes)
        if not axes:  # all axes reversed: a valid permutation, no checks needed
            return _viewed(self, Transpose.apply(self, tuple(range(self.ndim))[::-1]))
        return self.permute(axes)

    def permute(self, *axes: int | tuple[int, ...], dims: tuple[int, ...] | None = None
                ) -> Tensor:
        """Reorder the axes: result axis i is input axis axes[i] (or `dims=`)."""
        axes = _shape_args(_sized("permute", axes, {}, "dims")) if dims is None else tuple(dims)
        if sorted(_wrap_dim("permute", axis, self.ndim) for axis in axes) != list(
                range(self.ndim)):
            raise RuntimeError(f"permute: dims {axes} are not a permutation of the "
                               f"{self.ndim} dims of shape {self.shape}")
        return pytorch_named(_viewed(self, Transpose.apply(self, axes)), "PermuteBackward0")

    def swapaxes(self, axis0: int | None = None, axis1: int | None = None, *,
                 axis2: int | None = None) -> Tensor:
        """Exchange two axes: PyTorch's `axis0`, `axis1` (NumPy's `axis1=`, `axis2=` too;
        a third positional axis is PyTorch's TypeError, not a swap of the last two)."""
        if axis2 is not None:  # NumPy's names: the first axis is `axis1`
            axis0, axis1 = axis1, axis2
        if axis0 is None or axis1 is None:
            raise TypeError("swapaxes() missing required argument 'axis0' or 'axis1'")
        axis1, axis2 = _wrap_dim("transpose", axis0, self.ndim), _wrap_dim("transpose", axis1,
                                                                           self.ndim)
        if self.ndim == 0:
            return _viewed(self, Transpose.apply(self, ()))
        order = list(range(self.ndim))
        order[axis1], order[axis2] = order[axis2], order[axis1]
        return pytorch_named(_viewed(self, Transpose.apply(self, tuple(order))),
                             "TransposeBackward0")

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes start_dim..end_dim into one (all of them by default)."""
        start = _wrap_dim("flatten", start_dim, self.ndim)
        end = _wrap_dim("flatten", end_dim, self.ndim)
        if self.ndim == 0:
            return self.reshape(1)
        if start == end:  # nothing to merge: self itself, as PyTorch
            return self
        if start > end:
            raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = math.prod(self.shape[start : end + 1])  # not -1: works for empty tensors too
        shape = self.shape[:start] + (merged,) + self.shape[end + 1 :]
        return _copied_unsafe(self, _viewed(self, Reshape.apply(self, shape)))

    def expand(self, *shape: int | tuple[int, ...], **size: Any) -> Tensor:
        """Broadcast to `shape` without copying (-1 keeps an axis; also as `size=`)."""
        shape = _shape_args(_sized("expand", shape, size, "size"))
        shape = tuple(map(int_arg, shape))  # (a 0-d integer tensor is an int)
        for position, length in enumerate(shape):  # (2.0: PyTorch's TypeError, as reshape's)
            if not isinstance(length, (int, np.integer)):
                raise TypeError(f"expand(): argument 'size' must be tuple of ints, but found "
                                f"element of type {type(length).__name__} at pos {position}")
        offset = len(shape) - self.ndim
        if -1 in shape[:max(offset, 0)]:
            raise RuntimeError(f"expand: the expanded size of the tensor (-1) isn't allowed in a "
                               f"leading, non-existing dimension {shape.index(-1)} (shape "
                               f"{self.shape} to {shape})")
        given, shape = shape, tuple(
            self.shape[axis - offset] if size == -1 else size for axis, size in enumerate(shape)
        )
        try:
            return _viewed(self, Expand.apply(self, shape))  # shares memory and version counter
        except TensorError as error:  # PyTorch's words, once it failed
            if offset < 0:
                raise TensorError(f"expand({self.type()}{{{list(self.shape)}}}, size="
                                  f"{list(given)}): the number of sizes provided ({len(given)}) "
                                  f"must be greater or equal to the number of dimensions in the "
                                  f"tensor ({self.ndim})") from None
            dim = next((d for d in range(len(shape) - 1, offset - 1, -1)
                        if self.shape[d - offset] not in (1, shape[d])), None)
            if dim is None:  # (a size below -1)
                raise error from None
            raise TensorError(
                f"The expanded size of the tensor ({shape[dim]}) must match the existing size "
                f"({self.shape[dim - offset]}) at non-singleton dimension {dim}.  Target sizes: "
                f"{list(given)}.  Tensor sizes: {list(self.shape)}") from None

    def unsqueeze(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """Insert a size-1 axis at `dim` (alias `axis`; -1 appends one at the end)."""
        dim = _wrap_dim("unsqueeze", _dim_arg("unsqueeze", dim, axis), self.ndim, extra=1)
        return pytorch_named(_viewed(self, Reshape.apply(
            self, self.shape[:dim] + (1,) + self.shape[dim:])), "UnsqueezeBackward0")

    def squeeze(self, dim: Axis = None, *, axis: Axis = None) -> Tensor:
        """Remove size-1 axes: all of them, or those among `dim` (an int or a tuple, alias
        `axis`) that have size 1; others named in `dim` stay, as in PyTorch."""
        dims = _wrap_dims("squeeze", _dim_arg("squeeze", dim, axis), self.ndim)
        if dims is None and _dim_arg("squeeze", dim, axis) is not None:
            dims = ()  # dim=() or a 0-d tensor: nothing to remove
        shape = tuple(size for position, size in enumerate(self.shape)
                      if size != 1 or (dims is not None and position not in dims))
        asked = _dim_arg("squeeze", dim, axis)  # PyTorch's overloads: all, one dim, dims
        return pytorch_named(_viewed(self, Reshape.apply(self, shape)), "SqueezeBackward" + (
            "0" if asked is None else "2" if isinstance(asked, (tuple, list)) else "1"))

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Every window of `size` elements along `dimension`, `step` apart, as a new last axis:
        (..., n, ...) -> (..., (n - size) // step + 1, ..., size). A view of self, as
        PyTorch's (in-place writes through it only where windows do not overlap)."""
        dim = _wrap_dim("unfold", dimension, self.ndim)
        length = self.shape[dim] if self.ndim else 1
        if not isinstance(size, (int, np.integer)) or not isinstance(step, (int, np.integer)):
            raise TypeError(f"unfold: size and step must be ints, got {size!r} and {step!r}")
        if step <= 0:
            raise RuntimeError(f"unfold: step is {step} but must be > 0")
        if not 0 <= size <= length:
            raise RuntimeError(f"unfold: maximum size for tensor at dimension {dimension} is "
                               f"{length} but size is {size} (shape {self.shape})")
        if self.ndim == 0:
            return self.reshape(1).unfold(0, size, step).reshape(size)
        result = Windows.apply(self, dim, int(size), int(step))
        if np.may_share_memory(result._data, self._data):
            _mark_view(self, result)
        return result

    def sum_to_size(self, *size: int | tuple[int, ...], **named: Any) -> Tensor:
        """Sum to `size` (also as `size=`), a shape self broadcasts from (the gradient of
        `expand`): leading axes and axes of size 1 in `size` are summed. Returns self when the
        shape is `size`."""
        size = tuple(_shape_args(_sized("sum_to_size", size, named, "size")))
        if size == self.shape:
            return self
        if len(size) > self.ndim or any(want not in (1, have) for want, have in
                                        zip(size[::-1], self.shape[::-1])):
            raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size "
                               f"{list(self.shape)}")
        lead = self.ndim - len(size)
        dims = tuple(range(lead)) + tuple(lead + axis for axis, want in enumerate(size)
                                          if want == 1 and self.shape[lead + axis] != 1)
        summed = self.sum(dims, keepdim=True) if dims else self
        return pytorch_named(summed.reshape(size), "SumBackward1") if dims else summed.reshape(size)

    def __getitem__(self, index: Any) -> Tensor:
        """Slicing, integers, index arrays (int64/int32), bool masks, None and Ellipsis, with
        PyTorch's result layout where it differs from NumPy's (integers apply first, see
        `_torch_layout`). Repeated indices accumulate gradient."""
        key = _index(index, self._data.ndim)
        steps = _torch_layout(key)
        try:
            result = GetItem.apply(self, key) if steps is None else GetItem.apply(
                GetItem.apply(self, steps[0]), steps[1])
            if result.grad_fn is not None:  # PyTorch's node for x[idx] saves idx: backward()
                keeps_index(result.grad_fn, key)  # frees it
            return _viewed(self, result)
        except IndexError as error:  # NumPy's words, PyTorch's "dimension"
            parts = key if isinstance(key, tuple) else (key,)
            if any(isinstance(part, str) for part in parts):  # PyTorch: a TypeError
                raise TypeError(f"indexing a tensor with a str ({key!r}): use ints, slices, "
                                "None, Ellipsis or index tensors") from None
            raise _index_error(error, index, self.shape) from None

    def astype(self, dtype: Any) -> Tensor:
        """Convert to `dtype`; the gradient converts back."""
        return Cast.apply(self, np.dtype(dtype))

    @property
    def device(self) -> device:
        """Always `device("cpu")`: tinygrad_np computes with NumPy on the CPU."""
        return CPU

    is_cuda = False
    is_cpu = True
    is_sparse = is_quantized = is_meta = False  # dense NumPy arrays on the CPU, always
    is_mps = is_xla = is_xpu = is_ipu = is_mtia = is_maia = is_vulkan = is_mkldnn = False
    is_nested = is_sparse_csr = False

    @property
    def output_nr(self) -> int:
        """Which output of its op this tensor is (split's pieces 0, 1, ...; see
        node_api.several_outputs), as PyTorch's."""
        return getattr(self.grad_fn, "__dict__", {}).get("_output_nr", 0)

    def is_shared(self) -> bool:
        """True after `share_memory_()` (nothing is moved: there is one process)."""
        return getattr(self, "_shared", False)

    def is_set_to(self, tensor: Tensor) -> bool:
        """Whether self and `tensor` are the same view of the same memory: the same first
        element, shape and strides (as PyTorch's)."""
        mine, theirs = self._data, tensor._data
        return (mine.__array_interface__["data"][0] == theirs.__array_interface__["data"][0]
                and mine.shape == theirs.shape and mine.strides == theirs.strides
                and mine.dtype == theirs.dtype and np.may_share_memory(mine, theirs))

    def const_data_ptr(self) -> int:
        """`data_ptr()` (PyTorch's read-only spelling)."""
        return self.data_ptr()

    @property
    def layout(self) -> Any:
        """`torch.strided`: every tensor is a dense array."""
        return strided

    def get_device(self) -> int:
        """-1: the CPU (PyTorch's answer for CPU tensors)."""
        return -1

    def is_pinned(self) -> bool:
        """False: no pinned memory without a GPU."""
        return False

    def to(self, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
           non_blocking: bool = False, memory_format: Any = None) -> Tensor:
        """PyTorch's `to`: `t.to(dtype)`, `t.to("cpu")`, `t.to("cpu", dtype)`, `t.to(other)`
        (other's dtype), also as keywords; PyTorch's positional `non_blocking` and `copy`
        flags follow the dtype (`t.to("cpu", tg.float64, True)`). Only the CPU exists: any
        other device raises.

        Returns self when nothing changes (unless `copy=True`), as PyTorch does.
        """
        flags = [arg for arg in args if isinstance(arg, bool)]
        if len(flags) > 2:
            raise TypeError(f"to: expected at most two flags (non_blocking, copy), got {flags}")
        copy = flags[1] if len(flags) == 2 else copy
        for arg in check_to_arguments(args, Tensor):
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif is_device(arg):
                device = arg
            else:
                dtype = arg
        as_device(device, "Tensor.to")
        result = self
        if isinstance(dtype, str) or type(dtype) is int:  # to('bogus'), to(5): PyTorch's error
            try:
                with warnings.catch_warnings():  # ('a': NumPy 2's DeprecationWarning)
                    warnings.simplefilter("ignore", DeprecationWarning)
                    if np.dtype(dtype).kind not in "biufc":  # ('a', 'U', 'O': bytes, str)
                        raise TypeError(dtype)
            except TypeError:
                raise TensorError(f"Tensor.to: {dtype!r} is neither a dtype nor a device "
                                  "(expected one of cpu, cuda, mps, ... or a dtype)") from None
        if dtype is not None and np.dtype(dtype) != self.dtype:
            result = self.astype(dtype)
        elif copy:
            result = self.astype(self.dtype)  # astype copies (keeping the layout)
        if memory_format is None or memory_format is preserve_format:
            return result
        return result.contiguous(memory_format=memory_format)

    def cpu(self, *, memory_format: Any = None) -> Tensor:
        """Self: the data is on the CPU already (laid out anew with a `memory_format`)."""
        return self if memory_format is None else self.to(memory_format=memory_format)

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Always raises: tinygrad_np has no GPU backend."""
        raise as_device_error("cuda", "Tensor.cuda")

    def _as(self, dtype: Any, memory_format: Any = None) -> Tensor:
        """self itself when it already has `dtype` (as PyTorch's `.float()`, ...), else
        `astype(dtype)` (a converted copy); with a `memory_format`, to(dtype, memory_format)."""
        if memory_format is not None:
            return self.to(dtype, memory_format=memory_format)
        return self if self._data.dtype == dtype else self.astype(dtype)

    def float(self, *, memory_format: Any = None) -> Tensor:
        """Convert to float32."""
        return self._as(np.float32, memory_format)

    def double(self, *, memory_format: Any = None) -> Tensor:
        """Convert to float64."""
        return self._as(np.float64, memory_format)

    def long(self, *, memory_format: Any = None) -> Tensor:
        """Convert to int64 (cuts the graph: integers carry no gradient)."""
        return self._as(np.int64, memory_format)

    def half(self, *, memory_format: Any = None) -> Tensor:
        """Convert to float16."""
        return self._as(np.float16, memory_format)

    def int(self, *, memory_format: Any = None) -> Tensor:
        """Convert to int32 (cuts the graph)."""
        return self._as(np.int32, memory_format)

    def bool(self, *, memory_format: Any = None) -> Tensor:
        """Convert to bool (nonzero is True; cuts the graph)."""
        return self._as(np.bool_, memory_format)

    def short(self, *, memory_format: Any = None) -> Tensor:
        """Convert to int16 (cuts the graph)."""
        return self._as(np.int16, memory_format)

    def byte(self, *, memory_format: Any = None) -> Tensor:
        """Convert to uint8 (cuts the graph)."""
        return self._as(np.uint8, memory_format)

    def char(self, *, memory_format: Any = None) -> Tensor:
        """Convert to int8 (cuts the graph)."""
        return self._as(np.int8, memory_format)

    # ----------------------------------------------------------------- PyTorch vocabulary
    # Conversions and views.
    def clone(self, *, memory_format: Any = None) -> Tensor:
        """A copy with its own memory, laid out as self's when that is dense (PyTorch's
        preserve_format) or as `memory_format` says; the gradient passes straight through."""
        return Clone.apply(self, memory_format, "clone")

    def contiguous(self, *, memory_format: Any = None) -> Tensor:
        """Self when its memory is row-major (or in `memory_format`, e.g. channels_last)
        already, else such a copy (the gradient passes)."""
        if memory_format is None or memory_format is contiguous_format:
            return self if self._data.flags.c_contiguous else Clone.apply(self)
        if memory_format is preserve_format:
            raise RuntimeError("contiguous: preserve_format is unsupported by the contiguous "
                               "operator (as PyTorch)")
        _channels_last(memory_format, "contiguous")  # (a TypeError naming contiguous)
        if self.is_contiguous(memory_format):
            return self
        return Clone.apply(self, memory_format, "contiguous")

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """With no argument, PyTorch's type name (`'torch.FloatTensor'`, so that scripts
        comparing it keep working); else `to(dtype)`, where dtype may also be a type name
        (`'torch.FloatTensor'`) or class (`tg.FloatTensor`). `non_blocking` changes nothing
        here (every copy is synchronous)."""
        if dtype is None:
            return f"torch.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _TYPE_NAMES.values():
            dtype = next(name for name, kind in _TYPE_NAMES.items()
                         if kind == dtype.rsplit(".", 1)[-1])
        elif isinstance(getattr(dtype, "dtype", None), (np.dtype, torch_dtype_class)):
            dtype = dtype.dtype  # tg.FloatTensor, a Tensor
        elif isinstance(dtype, str):
            try:
                dtype = np.dtype(dtype)
            except TypeError:  # PyTorch's ValueError
                raise ValueError(f"type: invalid type: {dtype!r} (a name such as "
                                 "'torch.FloatTensor' or a dtype)") from None
        return self.to(dtype)  # (self itself when it has that dtype, as PyTorch)

    def type_as(self, other: Tensor) -> Tensor:
        """Convert to `other`'s dtype (self itself when it has it, as PyTorch)."""
        tensor_operand("type_as", other)
        return self.to(other.dtype)

    def is_floating_point(self) -> bool:
        """True for a float dtype (float16/32/64)."""
        return self.dtype.kind == "f"

    # `x.new_zeros(2, 3)`: a new tensor with self's dtype (unless given), unrelated to self's graph.
    def _new(self, name: str, array: np.ndarray, dtype: Any, device: Any,
             requires_grad: bool, layout: Any = None, pin_memory: bool = False) -> Tensor:
        check_placement(name, device, layout, pin_memory)
        return Tensor(array.astype(self.dtype if dtype is None else dtype, copy=False),
                      requires_grad=requires_grad)

    def new_zeros(self, *size: int | tuple[int, ...], dtype: Any = None, device: Any = None,
                  requires_grad: bool = False, layout: Any = None, pin_memory: bool = False,
                  **kwargs: Any) -> Tensor:
        """Zeros of shape `size` (or `size=`), in self's dtype unless `dtype` is given."""
        shape = _new_size("new_zeros", size, kwargs)
        return self._new("new_zeros", np.zeros(shape), dtype, device, requires_grad, layout,
                         pin_memory)

    def new_ones(self, *size: int | tuple[int, ...], dtype: Any = None, device: Any = None,
                 requires_grad: bool = False, layout: Any = None, pin_memory: bool = False,
                 **kwargs: Any) -> Tensor:
        """Ones of shape `size` (or `size=`), in self's dtype unless `dtype` is given."""
        shape = _new_size("new_ones", size, kwargs)
        return self._new("new_ones", np.ones(shape), dtype, device, requires_grad, layout,
                         pin_memory)

    def new_empty(self, *size: int | tuple[int, ...], dtype: Any = None, device: Any = None,
                  requires_grad: bool = False, layout: Any = None, pin_memory: bool = False,
                  **kwargs: Any) -> Tensor:
        """An uninitialised tensor of shape `size` (or `size=`; zeros here), in self's dtype
        by default."""
        shape = _new_size("new_empty", size, kwargs)
        return self._new("new_empty", np.zeros(shape), dtype, device, requires_grad, layout,
                         pin_memory)

    def new_full(self, size: Sequence[int], fill_value: Any, *, dtype: Any = None,
                 device: Any = None, requires_grad: bool = False,
                 layout: Any = None, pin_memory: bool = False) -> Tensor:
        """`fill_value` everywhere in shape `size`, in self's dtype unless `dtype` is given."""
        check_fill("new_full", fill_value)
        size = _non_negative("new_full", tuple(size))
        target = self._data.dtype if dtype is None else np.dtype(dtype)
        fill_value = _scalar_for("new_full", fill_value, target)  # (300 in int8: PyTorch's error)
        return self._new("new_full", np.full(size, fill_value), dtype, device,
                         requires_grad, layout, pin_memory)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        """A copy of `data` in self's dtype unless `dtype` is given (PyTorch's rule: even
        `float_tensor.new_tensor([1, 2])` is float)."""
        if isinstance(data, Tensor):
            from tinygrad_np.factories import copy_construct_warning  # noqa: PLC0415
            copy_construct_warning("tensor.new_tensor")
            array = np.array(data._data, copy=True)
        else:  # Python values and arrays: tg.tensor's checks (300 in int8: PyTorch's error)
            from tinygrad_np.factories import tensor as make  # noqa: PLC0415
            array = make(data, dtype=self.dtype if dtype is None else dtype)._data  # (a copy)
        return self._new("new_tensor", array, dtype, device, requires_grad)

    def new(self, *args: Any, device: Any = None) -> Tensor:
        """PyTorch's legacy constructor in self's dtype: `new()` is empty, `new(2, 3)` or
        `new(Size)` uninitialised (zeros here), `new(data)` a tensor of a list's values."""
        as_device(device, "new")
        if not args:
            return Tensor(np.zeros((0,), dtype=self.dtype))
        if all(isinstance(arg, (int, np.integer)) and not isinstance(arg, bool)
               for arg in args) or len(args) == 1 and isinstance(args[0], Size):
            return self.new_empty(*args)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != self.dtype:
                raise TypeError(f"new: expected a tensor of dtype {self.dtype.name}, got "
                                f"{args[0].dtype}")
            return args[0].detach()
        if len(args) == 1:
            return self.new_tensor(args[0])
        raise TypeError(f"new: expected sizes (ints) or one sequence of data, got {args!r}")

    def view_as(self, other: Tensor) -> Tensor:
        """View with `other`'s shape."""
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """Reshape to `other`'s shape."""
        return self.reshape(other.shape)

    def expand_as(self, other: Tensor) -> Tensor:
        """Broadcast to `other`'s shape."""
        return self.expand(other.shape)

    def broadcast_to(self, *shape: int | tuple[int, ...], **size: Any) -> Tensor:
        """Broadcast to `shape` (as expand; also as `size=`)."""
        return self.expand(*_sized("broadcast_to", shape, size, "size"))

    # Selection along a dim.
    def _select_along(self, op: str, dim: Any, keepdim: bool, find: Any) -> tuple:
        """(values, indices) of a reduction that picks one element along `dim`.

        `find(array, axis)` gives the picked indices with the axis kept; the values are read
        with gather, so the gradient goes to the picked element only (as PyTorch).
        """
        axis = _wrap_dim(op, dim, self.ndim)
        result_type = _RETURN_TYPES[op]
        if self.ndim == 0:
            return result_type(self.reshape(()), Tensor._make(np.asarray(0), None))
        if self.shape[axis] == 0 and op in ("sort", "topk"):  # nothing to sort: empty results
            empty = np.zeros(self.shape, np.int64)
            return result_type(self._gather(axis, empty), Tensor._make(empty, None))
        if self.shape[axis] == 0:
            raise IndexError(f"{op}(): expected reduction dim {dim} to have non-zero size "
                             f"(shape {self.shape})")
        index = np.asarray(find(self._data, axis), dtype=np.int64)
        values = _kept(self._gather(axis, index))  # (PyTorch's node saves the indices)
        if not keepdim:
            values, index = values.squeeze(axis), np.squeeze(index, axis)
        return result_type(pytorch_named(values, _SELECT_NODES[op]), Tensor._make(index, None))

    def gather(self, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
        """out[i][j][k] = self[index[i][j][k]][j][k] for dim 0 (and so on);  the gradient
        adds g back at the gathered places (repeats accumulate; dense even with
        `sparse_grad=True`, which PyTorch's gather also takes). `index` a tensor, as
        PyTorch's (a list or array: TypeError)."""
        _need_tensor("gather", "index", index)
        return pytorch_named(_kept(self._gather(dim, index)), "GatherBackward0")

    def _gather(self, dim: int, index: Any) -> Tensor:
        """`gather` with any integer index (a NumPy array from the library's own code)."""
        index = _index_array("gather", index)
        axis = _wrap_dim("gather", dim, self.ndim)
        _in_range("gather", index, self, axis, dim)
        if self.ndim <= 1 and index.ndim == 0:  # one entry: a 0-d result, as PyTorch
            return self.reshape(-1)._gather(0, index.reshape(1)).reshape(())
        if self.ndim == 0 and index.ndim <= 1:  # (a 1-D index too, as PyTorch)
            return self.reshape(1)._gather(0, index.reshape(-1)).reshape(index.shape)
        if index.ndim != self.ndim:
            raise RuntimeError(f"gather: index has {index.ndim} dims but the input has "
                               f"{self.ndim} (shapes {index.shape} and {self.shape})")
        if any(i > s for d, (i, s) in enumerate(zip(index.shape, self.shape)) if d != axis):
            raise RuntimeError(f"gather: index shape {index.shape} is larger than the input "
                               f"shape {self.shape} outside dim {dim}")
        return GetItem.apply(self, _along(index, axis))

    @_node_named("GatherBackward0")
    def take_along_dim(self, indices: Tensor, dim: int | None = None) -> Tensor:
        """gather with `indices` and self broadcast against each other outside `dim` (None:
        index the flattened tensor)."""
        _need_tensor("take_along_dim", "indices", indices)
        indices = _index_array("take_along_dim", indices, long_only=True)
        if dim is None:
            return self.flatten()._gather(0, indices.reshape(-1))  # (no negatives: PyTorch)
        axis = _axis_of("take_along_dim", dim, self.ndim)
        size = self.shape[axis] if self.ndim else 1
        indices = np.where(indices < 0, indices + size, indices)  # from the end, as PyTorch
        if indices.ndim != self.ndim:
            raise RuntimeError(f"take_along_dim: indices has {indices.ndim} dims but the input "
                               f"has {self.ndim}")
        outside = [tuple(1 if d == axis else s for d, s in enumerate(t))
                   for t in (self.shape, indices.shape)]
        try:
            shape = np.broadcast_shapes(*outside)
        except ValueError:
            raise TensorError(f"take_along_dim: the input {self.shape} and indices "
                              f"{indices.shape} do not broadcast outside dim {dim}") from None
        source = self.expand(shape[:axis] + (self.shape[axis],) + shape[axis + 1:])
        indices = np.broadcast_to(indices, shape[:axis] + (indices.shape[axis],)
                                  + shape[axis + 1:])
        return source._gather(axis, indices)

    @_node_named("TakeBackward0")
    def take(self, index: Tensor) -> Tensor:
        """The elements at `index` (any shape) of the flattened tensor."""
        _need_tensor("take", "index", index)
        positions = _index_array("take", index, long_only=True)
        try:
            return GetItem.apply(self.reshape(-1), positions)
        except IndexError:  # NumPy's message names an axis of the flattened array
            bad = positions[(positions >= self.numel()) | (positions < -self.numel())]
            raise IndexOutOfBounds(f"take: out of range: tried to access index {bad.flat[0]} "
                                   f"on a tensor of {self.numel()} elements") from None

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        """The entries `index` (1-D) along `dim`."""
        _need_tensor("index_select", "index", index)
        return pytorch_named(_kept(self._index_select(dim, index)), "IndexSelectBackward0")

    def _index_select(self, dim: int, index: Any) -> Tensor:
        """`index_select` with any integer index (a NumPy array from the library's code)."""
        index = _index_array("index_select", index)
        if index.ndim > 1:
            raise IndexError(f"index_select: index must be 1-D, got shape {index.shape}")
        axis = _wrap_dim("index_select", dim, self.ndim)
        _in_range("index_select", index, self, axis, dim)  # (NumPy would wrap -1)
        if self.ndim == 0:
            return self.reshape(1)[index.reshape(-1)].reshape(())
        return GetItem.apply(self, (slice(None),) * axis + (index.reshape(-1),))

    def select(self, dim: int, index: int) -> Tensor:
        """The slice at position `index` of `dim` (that axis removed)."""
        if not self.ndim:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        index = int_value("select", "index", index)
        axis = _wrap_dim("select", dim, self.ndim)
        if not -self.shape[axis] <= index < self.shape[axis]:
            raise IndexError(f"select: index {index} out of range for dim {dim} of size "
                             f"{self.shape[axis]}")
        return _viewed(self, GetItem.apply(self, (slice(None),) * axis + (int(index),)))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The `length` entries from `start` along `dim`."""
        if not self.ndim:
            raise TensorError("narrow() cannot be applied to a 0-dim tensor")
        axis = _wrap_dim("narrow", dim, self.ndim)
        size = self.shape[axis]
        start, length = int_arg(start), int_arg(length)
        for name, value in (("start", start), ("length", length)):
            if not isinstance(value, (int, np.integer)):  # (1.5 is not truncated to 1)
                raise DataError(f"narrow(): argument '{name}' must be an int or a 0-d integer "
                                f"tensor, not {type(value).__name__}")
        start = int(start)
        start = start + size if start < 0 else start
        if not (0 <= start <= size and 0 <= length <= size - start):
            raise IndexOutOfBounds(f"narrow: start {start} and length {length} do not fit "
                                   f"dim {dim} of size {size}")
        return pytorch_named(_viewed(self, GetItem.apply(self, (slice(None),) * axis + (
            slice(start, start + length),))), "SliceBackward0")  # (a whole axis too)

    def scatter(self, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Tensor:
        """A copy of self with self[index[i][j]][j] = src[i][j] for dim 0 (and so on); `src`
        may be a number (or pass `value=`). Gradients: self gets g where nothing was
        written, src gets g at the written places. PyTorch's older `reduce='add'` or
        `'multiply'` combines instead of writing (scatter_reduce's 'sum' / 'prod')."""
        _need_tensor("scatter", "index", index)
        src = value if src is None else src
        if not isinstance(src, numbers.Number):
            _need_tensor("scatter", "src", src)
            _same_dtype("scatter", self, src, "src")
        src = _scalar_for("scatter", src, self._data.dtype)
        index = _same_dims("scatter", _index_array("scatter", index), self)
        if index.ndim > self.ndim:
            return _one_place(self, Tensor.scatter, dim, index, src, reduce=reduce)
        axis = _wrap_dim("scatter", dim, self.ndim)
        _in_range("scatter", index, self, axis, dim)
        _src_fits("scatter", index, self, axis, src)
        if isinstance(src, Tensor) and src.ndim:
            src = src[tuple(slice(0, size) for size in index.shape)]
        if reduce is not None:
            if isinstance(src, Tensor):  # (PyTorch's deprecation warning)
                warnings.warn("The reduce argument of torch.scatter with Tensor src is "
                              "deprecated and will be removed in a future PyTorch release. Use "
                              "torch.scatter_reduce instead for more reduction options.",
                              UserWarning, stacklevel=2)
            how = {"add": "sum", "multiply": "prod"}.get(reduce)
            if how is None:
                raise TensorError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
            if not isinstance(src, Tensor) or not src.ndim:  # a number: one per index entry
                src = Tensor(np.full(index.shape, _data(src), dtype=self.dtype))
            return self.scatter_reduce(dim, Tensor._make(index, None), src, how)
        return pytorch_named(SetItem.apply(self, _along(index, axis), src),  # (the overloads
                             f"ScatterBackward{int(not isinstance(src, Tensor))}")  # src, value)

    @_node_named("ScatterAddBackward0")
    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        """self with src[i][j] added at self[index[i][j]][j] (dim 0; repeats accumulate)."""
        _need_tensor("scatter_add", "index", index)
        _need_tensor("scatter_add", "src", src)
        _same_dtype("scatter_add", self, src, "src")
        index = _same_dims("scatter_add", _index_array("scatter_add", index), self)
        if index.ndim > self.ndim:
            return _one_place(self, Tensor.scatter_add, dim, index, src)
        axis = _wrap_dim("scatter_add", dim, self.ndim)
        _in_range("scatter_add", index, self, axis, dim)
        _src_fits("scatter_add", index, self, axis, src)
        src = src.reshape(index.shape) if src.ndim == 0 else src[
            tuple(slice(0, size) for size in index.shape)]
        return self + IndexAdd.apply(src, _along(index, axis), self.shape)

    def where(self, condition: Any, other: Any) -> Tensor:
        """self where `condition` is True, else `other` (tg.where(condition, self, other))."""
        if other is None:
            raise TypeError("where(): other must be a tensor or a number, got None")
        other = _number(other)  # (a NumPy scalar is checked as its number, as PyTorch)
        if type(other) in (int, float):  # a number self's dtype cannot hold: PyTorch's error
            from tinygrad_np.functions import _int_for_where
            other = _int_for_where(other, self)
        return _kept(Where.apply(_condition(condition, where=True), *_binary(self, other)))

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """self with `value` where `mask` (broadcast) is True; keeps self's dtype."""
        _zero_dim_value("masked_fill", value)
        check_fill("masked_fill", value, "'value' (position 2)")  # ('a': not a str tensor)
        value = _scalar_for("masked_fill", value, self._data.dtype)
        dtype = self._data.dtype
        if isinstance(value, Tensor) and value.ndim == 0 and dtype.kind in "iuf":
            _scalar_for("masked_fill", value.item(), dtype)  # (checked, as PyTorch)
        # the value cast to self's dtype first, as PyTorch: Where of int64 self and a float
        # would compute in float64 and round the untouched elements (2**53 + 1)
        if isinstance(value, Tensor) and value._data.dtype != dtype:
            value = value.to(dtype)
        elif not isinstance(value, Tensor) and dtype.kind != "f":
            value = np.asarray(_data(value)).astype(dtype)
        return pytorch_named(_kept(Where.apply(_condition(mask), value, self)),
                             "MaskedFillBackward0")

    @xp.quiet
    @_node_named("RenormBackward0")
    def renorm(self, p: float, dim: int, maxnorm: float) -> Tensor:
        """Each slice along `dim` whose p-norm (over the other axes) exceeds `maxnorm` scaled
        to norm maxnorm (by maxnorm / (norm + 1e-7), as PyTorch); the others unchanged."""
        if self.ndim < 2:
            raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {self.ndim} "
                               f"dimensions (shape {self.shape})")
        if not p > 0:
            raise RuntimeError(f"renorm: non-positive norm p={p} is not supported")
        if not maxnorm >= 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
        axis = _wrap_dim("renorm", dim, self.ndim)
        others = tuple(a for a in range(self.ndim) if a != axis)
        exceeds = self.detach().norm(p, others, keepdim=True)._data > maxnorm
        # Kept slices get g itself, not 0 times the NaN or inf gradient of a norm they do not
        # use (NaN, inf or 0 values): the scaled branch sees ones there.
        inside = self.where(exceeds, 1.0)
        scaled = inside * (maxnorm / (inside.norm(p, others, keepdim=True) + 1e-7))
        return scaled.where(exceeds, self)

    def put(self, index: Any, source: Any, accumulate: bool = False) -> Tensor:
        """self with source's elements written at flat positions `index` (self seen as 1-D,
        negative positions from the end), or added with `accumulate` (repeats add up)."""
        _need_tensors("put", index, source)
        if index.dtype != np.int64:
            raise RuntimeError(f"put: expected an int64 tensor for index, got {index.dtype.name}")
        if source.dtype != self.dtype:
            raise RuntimeError(f"put: self and source expected to have the same dtype, but got "
                               f"{self.dtype.name} and {source.dtype.name}")
        positions = index._data.reshape(-1).copy()  # kept for backward
        if positions.size != source.numel():
            raise IndexError(f"put: expected source and index to have the same number of "
                             f"elements, but got source {source.shape} ({source.numel()}) and "
                             f"index {index.shape} ({positions.size})")
        count = self.numel()
        wrong = positions[(positions < -count) | (positions >= count)]
        if wrong.size:
            raise IndexError(f"put: out of range: tried to access index {wrong[0]} on a tensor "
                             f"of {count} elements (shape {self.shape})")
        positions %= max(count, 1)
        flat, values = self.reshape(-1), source.reshape(-1)
        if accumulate:
            return (flat + IndexAdd.apply(values, (positions,), flat.shape)).reshape(self.shape)
        return SetItem.apply(flat, (positions,), values).reshape(self.shape)

    @_node_named("MaskedScatterBackward0")
    def masked_scatter(self, mask: Any, source: Any) -> Tensor:
        """self (broadcast with the bool `mask`) with the positions where mask is True filled,
        in row-major order, by source's first elements;  dself = g where mask is False,
        dsource = g at the filled positions (0 for unused source elements)."""
        mask = np.asarray(_data(mask))
        if mask.dtype != np.bool_:
            raise RuntimeError(f"masked_scatter: only supports boolean masks, but got mask "
                               f"with dtype {mask.dtype.name}")
        if not isinstance(source, Tensor):
            raise TypeError(f"masked_scatter: source must be a Tensor, got "
                            f"{type(source).__name__}")
        if source.dtype != self.dtype:
            raise RuntimeError(f"masked_scatter: expected self and source to have the same "
                               f"dtype, but got {self.dtype.name} and {source.dtype.name}")
        shape = _broadcast_shape("masked_scatter", self.shape, mask.shape)
        positions = np.flatnonzero(np.broadcast_to(mask, shape))
        if positions.size > source.numel():
            raise RuntimeError(f"masked_scatter: number of elements of source ({source.numel()},"
                               f" shape {source.shape}) < number of ones in mask "
                               f"({positions.size})")
        target = (self if self.shape == shape else self.expand(shape)).reshape(-1)
        values = source.reshape(-1)[: positions.size]
        return SetItem.apply(target, (positions,), values).reshape(shape)

    def masked_select(self, mask: Any) -> Tensor:
        """The elements where `mask` (broadcast with self) is True, as a 1-D tensor."""
        mask = _condition(mask)
        shape = _broadcast_shape("masked_select", self.shape, mask.shape)
        source = self if self.shape == shape else self.expand(shape)
        return pytorch_named(GetItem.apply(source, np.broadcast_to(mask, shape)),
                             "MaskedSelectBackward0")

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """Indices of the nonzero elements: (count, ndim) int64, or a tuple of 1-D tensors."""
        if not isinstance(as_tuple, (bool, np.bool_)):  # PyTorch's TypeError (None is no bool)
            raise TypeError(f"nonzero(): argument 'as_tuple' must be bool, not "
                            f"{type(as_tuple).__name__}")
        found = np.argwhere(self._data)
        if as_tuple and self.ndim == 0:  # PyTorch: one index tensor, as for shape (1,)
            return (Tensor._make(np.zeros(len(found), np.int64), None),)
        if as_tuple:
            return tuple(Tensor._make(np.ascontiguousarray(found[:, axis]), None)
                         for axis in range(max(self.ndim, 1)))
        return Tensor._make(found.astype(np.int64), None)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max(self, other); ties give each side half the gradient (PyTorch)."""
        return Maximum.apply(*_binary(self, tensor_operand("maximum", other)))

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min(self, other); ties give each side half the gradient (PyTorch)."""
        return Minimum.apply(*_binary(self, tensor_operand("minimum", other)))

    def fmax(self, other: Any) -> Tensor:
        """Elementwise max(self, other) ignoring NaN: NaN only where both are (broadcasting)."""
        return Fmax.apply(*_binary(self, tensor_operand("fmax", other)))

    def fmin(self, other: Any) -> Tensor:
        """Elementwise min(self, other) ignoring NaN: NaN only where both are (broadcasting)."""
        return Fmin.apply(*_binary(self, tensor_operand("fmin", other)))

    def logit(self, eps: float | None = None) -> Tensor:
        """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given (the gradient
        is 0 outside);  d/dx = 1 / (x (1 - x))."""
        return Logit.apply(self if self.dtype.kind == "f" else self.astype(get_default_dtype()),
                           eps)

    def xlogy(self, other: Any) -> Tensor:
        """self * log(other), 0 where self is 0 (unless other is NaN), as PyTorch;
        d/dself = log(other), d/dother = self / other."""
        result = Xlogy.apply(*_floats_in(self, other, "xlogy"))  # (a number other: PyTorch's
        return result if isinstance(other, Tensor) else pytorch_named(result, "XlogyBackward2")

    @_node_named("TriuBackward0")
    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes (from `diagonal` up); zeros below."""
        return self._triangle("triu", np.triu, diagonal)

    @_node_named("TrilBackward0")
    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes (to `diagonal`); zeros above."""
        return self._triangle("tril", np.tril, diagonal)

    def _triangle(self, op: str, keep: Any, diagonal: int) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(f"{op}: input must have at least 2 dims, got shape {self.shape}")
        diagonal = int_arg(diagonal)
        if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
            raise TypeError(f"{op}: diagonal must be an int, got {diagonal!r}")
        mask = keep(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return pytorch_named(Where.apply(mask, self, self.dtype.type(0)),  # the dtype kept
                             f"{op.title()}Backward0")  # (bool too)

    # Sorting.
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> tuple:
        """(values, indices) sorted along `dim`; ties keep their order (always stable)."""
        return self._select_along("sort", dim, True,
                                  lambda data, axis: _argsort(data, axis, descending))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort self along `dim` (int64, stable)."""
        if self.ndim == 0:
            _wrap_dim("argsort", dim, 0)
            return Tensor._make(np.asarray(0), None)
        axis = _wrap_dim("argsort", dim, self.ndim)
        return Tensor._make(_argsort(self._data, axis, descending), None)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> tuple:
        """(values, indices) of the k largest (or smallest) entries along `dim`, in order
        (also with sorted=False); among equal values the ones PyTorch's CPU names, in its
        order, so the gradient goes where PyTorch's goes."""
        refuse_bool("topk", self, TensorError)
        axis = _wrap_dim("topk", dim, self.ndim)
        size = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError(f"selected index k out of range (topk: selected index k={k} out "
                               f"of range for dim {dim} of size {size})")

        def find(data: np.ndarray, axis: int) -> np.ndarray:
            if data.dtype.kind in "iuf" and 0 < k <= data.shape[axis] // 2:
                return cpu_order.topk_ties(data, axis, _topk_indices(data, axis, k, largest),
                                           largest)
            return cpu_order.topk_ties(data, axis, np.take(_argsort(data, axis, largest),
                                                           np.arange(k), axis=axis), largest)

        return self._select_along("topk", dim, True, find)

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The lower median (PyTorch's: the smaller of the two middle values for an even
        count). No dim: the value (ties share the gradient); with dim, (values, indices).

        A NaN makes the median NaN, as in PyTorch: without dim the NaNs share the gradient;
        along a dim, a slice with a NaN picks its first NaN."""
        refuse_bool_median("median", self, dim)
        nans = np.isnan(self._data) if self.dtype.kind == "f" else None
        if dim is None:
            flat = self._data.reshape(-1)
            if flat.size == 0:
                return self._empty_median()
            if nans is not None and nans.any():
                return pytorch_named(PickShared.apply(self, np.asarray(nans)), "MedianBackward0")
            middle = (flat.size - 1) // 2  # (an array: its dtype)
            value = np.partition(flat, middle)[middle:middle + 1]  # (O(n): 10x a stable sort)
            if value[0] == 0:  # -0.0 and 0.0 in their order, as PyTorch's stable sort
                value = flat[flat == 0][middle - np.count_nonzero(flat < 0):][:1]
            return pytorch_named(PickShared.apply(self, np.asarray(self._data == value[0]),
                                                  value), "MedianBackward0")

        def find(data: np.ndarray, axis: int) -> np.ndarray:
            picks = cpu_order.stable_kth(data, axis, (data.shape[axis] - 1) // 2)
            if nans is None:
                return picks
            first_nan = np.argmax(nans, axis=axis, keepdims=True)
            return np.where(nans.any(axis=axis, keepdims=True), first_nan, picks)

        return self._select_along("median", dim, keepdim, find)

    def _empty_median(self) -> Tensor:
        """PyTorch's median of no elements: NaN, in the graph (its gradient is empty); for the
        other dtypes NaN as its CPU converts it (int32's smallest value, int64's smallest
        wrapped into the narrower integer dtypes: 0 for int16, True for bool)."""
        if self.dtype.kind in "fc":
            return self.sum() * float("nan")
        wide = np.asarray(np.iinfo(np.int32 if self.dtype == np.int32 else np.int64).min)
        return Tensor._make(wide.astype(self.dtype), None)

    def mode(self, dim: int = -1, keepdim: bool = False) -> tuple:
        """(values, indices): the most frequent value along `dim` (the smallest among equally
        frequent ones) and the index PyTorch's CPU names: its last occurrence in up to 16
        values, else where libstdc++'s sort leaves it; in a row with NaN, which does not
        compare, the value and index that sort's order gives (a NaN value too)."""

        def find(data: np.ndarray, axis: int) -> np.ndarray:
            rows = np.moveaxis(data, axis, -1).reshape(-1, data.shape[axis])
            picks = np.empty(len(rows), dtype=np.int64)
            for row_number, row in enumerate(rows):
                # each NaN counts once (NaN != NaN), and sorts after every number
                values, keys, counts = np.unique(row, return_inverse=True, return_counts=True,
                                                 equal_nan=False)
                value = values[np.argmax(counts)]
                picks[row_number] = np.flatnonzero((row == value) | (row != row) & (
                    value != value))[-1]
                if (row != row).any() and cpu_order.affordable(len(rows), len(row)):
                    # NaN compared as PyTorch's sort compares it: the order decides the mode
                    nan_pick = cpu_order.nan_mode_index(row.tolist())
                    picks[row_number] = picks[row_number] if nan_pick is None else nan_pick
                elif len(row) > 16 and value == value and counts.max() > 1 and not (
                        row != row).any() and cpu_order.affordable(len(rows), len(row)):
                    # (up to 16: insertion sort, input order)
                    picks[row_number] = cpu_order.mode_index(keys.reshape(-1).tolist(),
                                                             int(np.argmax(counts)))
            shape = np.moveaxis(data, axis, -1).shape[:-1] + (1,)
            return np.moveaxis(picks.reshape(shape), -1, axis)

        return self._select_along("mode", dim, keepdim, find)

    # Reductions and statistics.
    def prod(self, dim: Axis = None, keepdim: bool = False, *, dtype: Any = None,
             axis: Axis = None, keepdims: bool | None = None) -> Tensor:
        """Product over `dim`; the gradient is the product of the other elements, also
        where some are zero."""
        _refuse_no_dims("prod", _dim_arg("prod", dim, axis))
        dims = _wrap_dims("prod", _dim_arg("prod", dim, axis), self.ndim)
        if dtype is not None and np.dtype(dtype) == np.bool_:  # bool: a logical and, as PyTorch
            return _reduce_dtype("prod", self, dtype).all(dims, _keep_arg(keepdim, keepdims))
        source = _wide_int(self) if dtype is None else _reduce_dtype("prod", self, dtype)
        return pytorch_named(Prod.apply(source, dims, _keep_arg(keepdim, keepdims)),
                             "ProdBackward0" if dims is None else "ProdBackward1")

    def var(self, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis: Axis = None, keepdims: bool | None = None,
            ddof: float | None = None) -> Tensor:
        """sum((x - mean)^2) / (N - correction) over `dim`; correction=1 by default (Bessel's,
        as PyTorch; NumPy's default is 0). `unbiased=False` and `ddof=` also set it."""
        return pytorch_named(self._spread("var", dim, unbiased, keepdim, correction, axis,
                                          keepdims, ddof), "VarBackward0")

    def std(self, dim: Axis = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis: Axis = None, keepdims: bool | None = None,
            ddof: float | None = None) -> Tensor:
        """sqrt(var(...)): the standard deviation, correction=1 by default as PyTorch. Its
        gradient is 0 where it is 0 (a constant slice), as PyTorch's, not 0 * inf = NaN."""
        return pytorch_named(self._spread("std", dim, unbiased, keepdim, correction, axis,
                                          keepdims, ddof), "StdBackward0")

    def _spread(self, op: str, dim: Axis, unbiased: bool | None, keepdim: bool,
                correction: float | None, axis: Axis, keepdims: bool | None,
                ddof: float | None) -> Tensor:
        """var, or std as the 2-norm of the deviations over sqrt(N - correction); float32 is
        computed in float64 and float16 in float32, as PyTorch accumulates (1e20 and 1e-25
        spreads neither overflow nor vanish), the result in the input's dtype."""
        _float_only(op, self)
        if isinstance(dim, bool):  # var(True): PyTorch's older (input, unbiased) form
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:  # PyTorch's TypeError
            raise TypeError(f"{op}() received an invalid combination of arguments: unbiased "
                            f"and correction together (pass one; unbiased=False is "
                            f"correction=0)")
        dims = _wrap_dims(op, _dim_arg(op, dim, axis), self.ndim)
        if correction is None:
            correction = ddof if ddof is not None else (0 if unbiased is False else 1)
        keep = _keep_arg(keepdim, keepdims)
        if (wide := WIDER_ACCUMULATOR.get(self.dtype)) is not None:
            result = self.to(wide)._spread(op, dims, None, keep, correction, None, None,
                                           None).to(self.dtype)
            if self._data.dtype is not _FLOAT16 or result.grad_fn is None or not self.ndim:
                return result  # float16: PyTorch's gradient steps, in float16
            return opmath.Spread.apply(self, result.detach(), op, dims, correction)
        deviation = self - self.mean(dims, keepdim=True)
        spread = ((deviation * deviation).sum(dims, keepdim=keep) if op == "var"
                  else Norm2.apply(deviation, dims, keep, True))
        count = self._data.size // max(spread._data.size, 1)
        divisor = max(count - correction, 0)
        if divisor == 0:  # as PyTorch: 0/0 is NaN, anything else over 0 is Inf, with its warning
            warnings.warn(f"{op}(): degrees of freedom is <= 0 ({count} values per result, "
                          f"correction {correction}): the result is nan or inf", UserWarning,
                          stacklevel=3)
            return self._no_dof(op, dims, keep, count - correction)
        result = spread / (divisor if op == "var" else math.sqrt(divisor))
        if result.grad_fn is not None and not np.isfinite(self._data).all():
            return opmath.Spread.apply(self, result.detach(), op, dims, correction)
        return result  # (an inf: PyTorch's rule, not the composed one's NaN mean term)

    @xp.quiet
    def _no_dof(self, op: str, dims: tuple[int, ...] | None, keep: bool, dof: float) -> Tensor:
        """var/std with correction >= N: PyTorch's values (squares / 0: inf, or NaN where all
        are equal) and gradients: over dims, var's 2 (x - mean) / (N - correction) g with the
        signed, unclamped N - correction (+-inf at 0); over everything (dim=None, or 0-d)
        g * inf (NaN where x = mean); std's through sqrt (0 at inf, NaN at NaN)."""
        deviation = self - self.mean(dims, keepdim=True).detach()  # (sum of deviations: 0)
        squares = (deviation * deviation).sum(dims, keepdim=keep)
        value = squares._data * np.inf
        if dims is None or not self.ndim:
            scaled = NoDofSpread.apply(self, value.reshape(squares.shape))
        else:
            scaled = squares * (1.0 / dof if dof else math.inf)
            if dof:  # the value PyTorch's clamped divisor gives, the gradient of the above
                scaled = scaled + Tensor._make(value - scaled._data, None)
        return scaled if op == "var" else scaled.sqrt()

    @xp.quiet
    def logsumexp(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
                  keepdims: bool | None = None) -> Tensor:
        """log(sum(exp(x))) over `dim`, computed as m + log(sum(exp(x - m))) with m the max,
        so +-1000 is fine;  the gradient is softmax(x)."""
        dims = _wrap_dims("logsumexp", _dim_arg("logsumexp", dim, axis), self.ndim)
        keep = _keep_arg(keepdim, keepdims)
        if isinstance(dim if axis is None else axis, (tuple, list)) and not (
                dim if axis is None else axis) and self.ndim and not keep:
            raise TensorError(f"logsumexp: dim=() reduces every dim, and PyTorch then refuses "
                              f"keepdim=False (output with shape [] doesn't match the broadcast "
                              f"shape {[1] * self.ndim}); pass dim=None, or keepdim=True")
        if self.dtype.kind != "f":  # integers and bools as the default float (x - max wraps)
            return self.to(get_default_dtype()).logsumexp(dims, keep)
        if self._data.size == 0:
            return (self.exp().sum(dims, keepdim=keep)).log()
        if self._data.dtype is _FLOAT16:  # PyTorch's gradient steps in float16
            return opmath.Logsumexp.apply(self, dims, keep)
        shift = np.max(self._data, axis=dims, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0).astype(self.dtype)
        with np.errstate(divide="ignore"):  # every term -inf: log(0) = -inf, as PyTorch
            total = (self - shift).exp().sum(dims, keepdim=True).log() + shift
        total = total if keep else total.reshape(np.sum(self._data, axis=dims).shape)
        return pytorch_named(total, "LogsumexpBackward0")

    def cumsum(self, dim: int | None = None, *, dtype: Any = None, axis: int | None = None
               ) -> Tensor:
        """Running sum along `dim`;  the gradient is the reversed running sum of g."""
        source = _wide_int(self) if dtype is None else _scan_dtype("cumsum", self, dtype)
        axis = _wrap_dim("cumsum", _required_dim("cumsum", dim, axis), self.ndim)
        return Cumsum.apply(source, axis) if self.ndim else source.clone()

    def cumprod(self, dim: int | None = None, *, dtype: Any = None, axis: int | None = None
                ) -> Tensor:
        """Running product along `dim`; the gradient is right also where x has zeros."""
        source = _wide_int(self) if dtype is None else _scan_dtype("cumprod", self, dtype)
        axis = _wrap_dim("cumprod", _required_dim("cumprod", dim, axis), self.ndim)
        return Cumprod.apply(source, axis) if self.ndim else source.clone()

    @_node_named("CummaxBackward0")
    def cummax(self, dim: int) -> tuple:
        """(values, indices) of the running max along `dim` (ties: the latest index)."""
        return self._running("cummax", dim, np.maximum)

    @_node_named("CumminBackward0")
    def cummin(self, dim: int) -> tuple:
        """(values, indices) of the running min along `dim` (ties: the latest index)."""
        return self._running("cummin", dim, np.minimum)

    def _running(self, op: str, dim: int, pick: Any) -> tuple:
        axis = _wrap_dim(op, dim, self.ndim)
        if self.ndim == 0:
            return _RETURN_TYPES[op](self.clone(), Tensor._make(np.asarray(0), None))
        running = pick.accumulate(self._data, axis=axis)  # a NaN stays once met, as PyTorch
        positions = np.arange(self.shape[axis]).reshape(
            (-1,) + (1,) * (self.ndim - axis - 1))
        hits = self._data == running
        if self.dtype.kind == "f":  # after a NaN, the index is the latest NaN's (PyTorch's)
            hits |= np.isnan(self._data)
        index = np.maximum.accumulate(np.where(hits, positions, 0), axis=axis)
        return _RETURN_TYPES[op](self._gather(axis, index), Tensor._make(index, None))

    def any(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: bool | None = None) -> Tensor:
        """True where any element over `dim` is nonzero (bool, no gradient)."""
        return self._truth("any", np.any, _dim_arg("any", dim, axis), keepdim, keepdims)

    def all(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: bool | None = None) -> Tensor:
        """True where every element over `dim` is nonzero (bool, no gradient)."""
        return self._truth("all", np.all, _dim_arg("all", dim, axis), keepdim, keepdims)

    def _truth(self, op: str, reduce: Any, dim: Axis, keepdim: bool, keepdims: Any) -> Tensor:
        """any/all: bool, or uint8 for a uint8 tensor (PyTorch's legacy byte masks)."""
        if isinstance(dim, (tuple, list)) and not dim:  # dim=(): each element, as PyTorch
            result = self._data.astype(np.bool_)
        else:
            result = reduce(self._data, axis=_wrap_dims(op, dim, self.ndim),
                            keepdims=_keep_arg(keepdim, keepdims))
        return Tensor._make(c_ordered(np.asarray(result, np.uint8 if self._data.dtype ==
                                                 np.uint8 else np.bool_)), None)

    @_node_named("LinalgVectorNormBackward0")
    def norm(self, p: Any = "fro", dim: Axis = None, keepdim: bool = False,
             dtype: Any = None) -> Tensor:
        """The vector p-norm over `dim` (all elements by default): p = 2 or 'fro'
        (sqrt of the sum of squares; gradient x / norm, 0 at 0 as PyTorch), 1, inf, -inf
        (ties share the gradient), 0 (count of nonzeros) or any other number."""
        if dtype is not None and np.dtype(dtype).kind not in "fc":  # (before the cast)
            raise TensorError(f"norm(): dtype should be floating point or complex, but got "
                              f"{np.dtype(dtype)}")
        source = self if dtype is None else self.astype(dtype)
        _float_only("norm", source)
        dims = _wrap_dims("norm", dim, self.ndim)
        if p is None or p in ("fro", 2, 2.0):  # (None: PyTorch's default, the 2-norm)
            return Norm2.apply(source, dims, keepdim)
        if p == "nuc" or isinstance(p, str):
            raise TensorError(f"norm: p={p!r} is not supported (use 2, 'fro', 1, inf, ...)")
        if (p < 0 or p == math.inf) and 0 in (  # no identity: PyTorch's error, also p < 0
                self.shape if dims is None else [self.shape[d] for d in dims]):
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty "
                               f"dimension (shape {self.shape}, dim {dims}) because the "
                               f"operation does not have an identity")
        if p == 1:
            return source.abs().sum(dims, keepdim=keepdim)
        if p in (math.inf, -math.inf):
            return source._extreme_abs(p > 0, dims, keepdim)
        if p == 0:  # a count in the graph, whose input's .grad stays None (as PyTorch's)
            return Nonzero.apply(source).sum(dims, keepdim=keepdim)
        # Any other p: |x|^p in float64 (float32's range ends at |x|^p = 3e38; PyTorch
        # accumulates in double too), the result cast back.
        return source._p_norm(p, dims, keepdim) if source.dtype == np.float64 else \
            source.double()._p_norm(p, dims, keepdim).astype(source.dtype)

    def _extreme_abs(self, largest: bool, dims: tuple[int, ...] | None,
                     keepdim: bool) -> Tensor:
        """max |x| (min |x| unless `largest`) over dims. A slice holding NaN gives NaN with
        gradient 0, as PyTorch's inf-norm (amax would send NaN to the whole slice)."""
        size = self.abs()
        nan = np.isnan(size._data).any(axis=dims, keepdims=True) if size._data.dtype.kind == \
            "f" else False
        if not np.any(nan):
            return size.amax(dims, keepdim=keepdim) if largest else size.amin(dims, keepdim=keepdim)
        kept = size.where(~nan, 0.0)  # (NaN put back below, as a constant)
        result = kept.amax(dims, keepdim=True) if largest else kept.amin(dims, keepdim=True)
        result = result.where(~nan, math.nan)
        return result if keepdim else result.squeeze(dims)

    def _p_norm(self, p: float, dims: tuple[int, ...], keepdim: bool) -> Tensor:
        if p < 0:  # 0 where an element is 0 (or |x|^p overflows), with PyTorch's gradient 0
            with np.errstate(divide="ignore", over="ignore"):
                dead = np.sum(np.abs(self._data) ** p, axis=dims, keepdims=True) == np.inf
            total = (self.abs().where(~dead, 1.0) ** p).sum(dims, keepdim=True)
            result = (total ** (1.0 / p)).where(~dead, 0.0)
            return result if keepdim else result.squeeze(dims)
        # PyTorch's gradient is 0 where the norm is 0 and, for p < 1, where x is 0. Adding 1
        # there and taking it away after keeps the values and makes the rules' 0 * inf (NaN)
        # a 0 (the masks are constants, so create_graph sees the same rule).
        zero = (self._data == 0).astype(self.dtype) if p < 1 else 0
        total = ((self.abs() + zero) ** p - zero).sum(dims, keepdim=keepdim)
        empty = (total._data == 0).astype(total.dtype)
        return (total + empty) ** (1.0 / p) - empty

    # Shape.
    def repeat(self, *sizes: int | tuple[int, ...], **repeats: Any) -> Tensor:
        """Tile self `sizes[i]` times along axis i (PyTorch's repeat, NumPy's tile; also as
        `repeats=`)."""
        sizes = _shape_args(_sized("repeat", sizes, repeats, "repeats"))
        if len(sizes) < self.ndim:
            raise RuntimeError(f"Number of dimensions of repeat dims can not be smaller than "
                               f"number of dimensions of tensor (repeat: {len(sizes)} repeat "
                               f"sizes for a tensor with {self.ndim} dims; give one per dim)")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        if sizes and min(sizes) < 0:  # (NumPy's reshape would infer the negative size)
            result = [count * size for count, size in zip(sizes, shape)]
            raise RuntimeError(f"repeat: Trying to create tensor with negative dimension "
                               f"{min(result)}: {result}")
        interleaved = [value for size in shape for value in (1, size)]
        expanded = [value for count, size in zip(sizes, shape) for value in (count, size)]
        tiled = self.reshape(interleaved).expand(expanded)
        result = tiled.reshape([count * size for count, size in zip(sizes, shape)])
        # A copy, as PyTorch's (NumPy made a view when every count is 1)
        copied = Clone.apply(result) if np.may_share_memory(result._data, self._data) else result
        return pytorch_named(copied, "RepeatBackward0")

    def repeat_interleave(self, repeats: Any = None, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        """Each entry along `dim` repeated `repeats` times (an int, or one count per entry);
        dim None works on the flattened tensor. Without `repeats`, self holds the counts
        (`tg.repeat_interleave(tg.tensor([2, 1]))` is [0, 0, 1], as PyTorch)."""
        if repeats is None:
            if self.ndim > 1 or self.dtype.kind not in "iu":
                raise TensorError(f"repeat_interleave: repeats must be a 0-d or 1-D integer "
                                  f"tensor, got {self.dtype.name} of shape {self.shape}")
            return Tensor(np.arange(self.numel())).repeat_interleave(self.reshape(-1), 0)
        source, axis = (self.flatten(), 0) if dim is None else (
            self, _axis_of("repeat_interleave", dim, self.ndim))
        counts = _index_array("repeat_interleave", repeats)
        length = source.shape[axis] if source.ndim else 1
        if (counts < 0).any() or counts.ndim > 1 or counts.size not in (1, length):
            raise TensorError(f"repeat_interleave: repeats must be non-negative, one int or "
                              f"one per entry ({length}) along dim {dim}, got shape "
                              f"{counts.shape} (min {counts.min(initial=0)})")
        positions = np.repeat(np.arange(length), counts.reshape(-1) if counts.ndim else
                              int(counts))
        if output_size is not None and output_size != positions.size:  # PyTorch's check
            raise RuntimeError(f"repeat_interleave: output_size={output_size}, but the repeats "
                               f"give {positions.size} entries")
        return pytorch_named(source._index_select(axis, positions), "ViewBackward0" if isinstance(
            repeats, (int, np.integer)) else "IndexSelectBackward0")  # (PyTorch's nodes)

    def flip(self, *axes: int | tuple[int, ...], dims: Axis = None) -> Tensor:
        """Reverse the order of entries along each axis in `axes` (or `dims=`, PyTorch's
        keyword: `x.flip(dims=[0])`, `tg.flip(x, dims=(0, 1))`)."""
        if dims is not None:
            if axes:
                raise TypeError(f"flip: got the axes {axes} both positionally and as dims={dims}")
            axes = (dims,)
        elif not axes:  # (PyTorch's TypeError: not NumPy's flip of every axis, nor a no-op)
            raise TypeError("flip() missing 1 required positional argument: 'dims'")
        index = [slice(None)] * self.ndim
        for axis in _wrap_dims("flip", _shape_args(axes), self.ndim) or ():
            index[axis] = slice(None, None, -1)
        # A copy, as PyTorch's: NumPy's reversed view would share memory without sharing
        # the version counter (a saved flip would change with self, unseen)
        return pytorch_named(Clone.apply(GetItem.apply(self, tuple(index))), "FlipBackward0")

    @_node_named("RollBackward0")
    def roll(self, shifts: int | tuple[int, ...], dims: Axis = None) -> Tensor:
        """Shift entries circularly by `shifts` along `dims` (None: the flattened tensor)."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = int_tuple(shifts, "roll(): argument 'shifts'")
        dims = int_tuple(dims, "roll(): argument 'dims'")
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
        result = self
        for shift, dim in zip(shifts, dims):
            axis = _axis_of("roll", dim, self.ndim)
            size = self.shape[axis]
            if size:
                result = result._index_select(axis, (np.arange(size) - shift) % size)
        return result

    def unflatten(self, dim: int, sizes: tuple[int, ...]) -> Tensor:
        """Split axis `dim` into axes of `sizes` (one may be -1)."""
        axis = _axis_of("unflatten", dim, self.ndim)
        sizes = tuple(sizes)
        if -1 in sizes:
            known = math.prod(size for size in sizes if size != -1)
            sizes = tuple(self.shape[axis] // known if size == -1 and known else size
                          for size in sizes)  # (-1 beside a 0 stays -1: refused below)
        if math.prod(sizes) != self.shape[axis]:
            raise RuntimeError(f"unflatten: sizes {sizes} do not multiply to dim {dim}'s "
                               f"size {self.shape[axis]}")
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1:])

    def movedim(self, source: Axis, destination: Axis) -> Tensor:
        """Move the axes `source` to positions `destination`; the others keep their order."""
        sources = int_tuple(source, "movedim(): argument 'source'")
        targets = int_tuple(destination, "movedim(): argument 'destination'")
        if len(sources) != len(targets):
            raise RuntimeError(f"movedim: {len(sources)} source dims for {len(targets)} "
                               "destinations")
        sources = [_wrap_dim("movedim", axis, self.ndim) for axis in sources]
        targets = [_wrap_dim("movedim", axis, self.ndim) for axis in targets]
        if len(set(sources)) != len(sources) or len(set(targets)) != len(targets):
            raise RuntimeError("movedim: repeated dim in source or destination")
        if not self.ndim:  # a 0-d tensor: dim 0 (or -1) to itself
            return self.view(())
        order: list[int | None] = [None] * self.ndim
        for axis, target in zip(sources, targets):
            order[target] = axis
        rest = iter(axis for axis in range(self.ndim) if axis not in sources)
        return self.permute(tuple(next(rest) if axis is None else axis for axis in order))

    moveaxis = movedim

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The diagonal of axes dim1, dim2 (shifted by `offset`), as the last axis."""
        first, second = _wrap_dim("diagonal", dim1, self.ndim), _wrap_dim("diagonal", dim2,
                                                                          self.ndim)
        if first == second:
            raise RuntimeError(f"diagonal: dim1 and dim2 are the same axis ({dim1}, {dim2})")
        if first > second:  # the same diagonal, with the axes in memory order (no copy)
            first, second, offset = second, first, -offset
        rest = [axis for axis in range(self.ndim) if axis not in (first, second)]
        rows, cols = self.shape[first], self.shape[second]
        length = max(min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols), 0)
        # A view, as PyTorch's (`a.diagonal().add_(eps)` under no_grad writes into `a`): the
        # two axes merged, then every (cols + 1)-th element from the first one on the diagonal
        # (where NumPy cannot merge them, its own diagonal view takes the copy's place below)
        flat = self.permute(tuple(rest) + (first, second)).flatten(-2)
        start = offset if offset >= 0 else -offset * cols
        stop = start + (length - 1) * (cols + 1) + 1
        result = flat[..., start : stop : cols + 1] if length else flat[..., :0]
        if length and not np.may_share_memory(result._data, self._data):  # NumPy copied: the
            # graph's values are right, but the memory must be self's: NumPy's diagonal view
            view = self._data.diagonal(offset, first, second)  # (read-only until told)
            view.flags.writeable = self._data.flags.writeable
            result._data = view
            _mark_view(self, result)
        return pytorch_named(result, "DiagonalBackward0")

    def diag(self, diagonal: int = 0) -> Tensor:
        """1-D: a square matrix with self on the `diagonal`; 2-D: that diagonal of self."""
        if self.ndim == 2:
            return pytorch_named(Clone.apply(self.diagonal(diagonal)),  # a copy, as PyTorch's
                                 "DiagonalBackward0_copy")  # (PyTorch 2.13's node name)
        if self.ndim != 1:
            raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {self.shape}")
        size = self.shape[0] + abs(diagonal)
        steps = np.arange(self.shape[0])
        index = (steps, steps + diagonal) if diagonal >= 0 else (steps - diagonal, steps)
        return pytorch_named(IndexAdd.apply(self, index, (size, size)), "DiagEmbedBackward0")

    @xp.quiet
    def outer(self, other: Tensor = None, *, vec2: Tensor = None) -> Tensor:
        """The outer product of two 1-D tensors: out[i, j] = self[i] * other[j] (`other`
        also as PyTorch's `vec2=`)."""
        if vec2 is not None and other is not None:
            raise TypeError("outer: got the second vector twice (positionally and as vec2=)")
        other = other if vec2 is None else vec2
        if not isinstance(other, Tensor):
            raise TypeError(f"outer: expected a Tensor as the second vector, got "
                            f"{type(other).__name__}")
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"outer: expected 1-D tensors, got shapes {self.shape} and "
                               f"{tuple(other.shape)}")
        return self.reshape(-1, 1) * other.reshape(1, -1)

    # Splitting.
    def split(self, split_size_or_sections: int | Sequence[int] | None = None, dim: int = 0,
              *, split_size: int | Sequence[int] | None = None) -> tuple:
        """Pieces along `dim`: of `split_size` each (the last may be smaller), or of the
        given sizes (which must add up to the axis length)."""
        if split_size is not None:  # PyTorch's keyword
            split_size_or_sections = split_size
        if split_size_or_sections is None:
            raise TypeError("split: missing the split_size_or_sections argument")
        split_size_or_sections = int_arg(split_size_or_sections)
        if self.ndim == 0:
            raise TensorError("split: expects at least a 1-dimensional tensor")
        axis = _wrap_dim("split", dim, self.ndim)
        length = self.shape[axis]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            if step < 0 or step == 0 and length:  # (0 splits an empty dim, as PyTorch)
                raise TensorError(f"split_size can only be 0 if dimension size is 0, but got "
                                  f"dimension size of {length} (split: split_size {step})")
            sizes = [min(step, length - start) for start in range(0, length, step or 1)] or [0]
        else:
            sizes = [int(size) for size in int_tuple(  # ('a', 1.5: PyTorch's TypeError)
                split_size_or_sections, "split(): argument 'split_size_or_sections'")]
            if sum(sizes) != length:
                raise RuntimeError(f"split: sizes {sizes} add up to {sum(sizes)}, but dim {dim} "
                                   f"has length {length}")
        node = "SplitBackward0" if isinstance(split_size_or_sections, (int, np.integer)) else \
            "SplitWithSizesBackward0"
        return _multi_output(tuple(_cut(self, axis, np.cumsum([0] + sizes).tolist())), node)

    def split_with_sizes(self, split_sizes: Sequence[int], dim: int = 0) -> tuple:
        """Pieces along `dim` of the given sizes (which must add up to the axis length)."""
        if isinstance(split_sizes, (int, np.integer)):
            raise TypeError("split_with_sizes: split_sizes must be a sequence of ints, got "
                            f"{split_sizes!r}")
        return self.split(list(int_tuple(split_sizes, "split_with_sizes(): argument "
                                                   "'split_sizes'")), dim)

    def tensor_split(self, indices_or_sections: Any = None, dim: int = 0, **kwargs: Any
                     ) -> tuple:
        """Near-equal sections or the pieces between indices along `dim` (tg.tensor_split)."""
        from tinygrad_np.functions import tensor_split
        return tensor_split(self, indices_or_sections, dim, **kwargs)

    def hsplit(self, indices_or_sections: Any = None, **kwargs: Any) -> tuple:
        """tensor_split along dim 1 (dim 0 for 1-D), equal sections (or `sections=`, `indices=`)."""
        from tinygrad_np.functions import hsplit
        return hsplit(self, indices_or_sections, **kwargs)

    def vsplit(self, indices_or_sections: Any = None, **kwargs: Any) -> tuple:
        """tensor_split along dim 0, equal sections (or `sections=`, `indices=`)."""
        from tinygrad_np.functions import vsplit
        return vsplit(self, indices_or_sections, **kwargs)

    def dsplit(self, indices_or_sections: Any = None, **kwargs: Any) -> tuple:
        """tensor_split along dim 2, equal sections (or `sections=`, `indices=`)."""
        from tinygrad_np.functions import dsplit
        return dsplit(self, indices_or_sections, **kwargs)

    @_node_named("Rot90Backward0")
    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
        """Rotated by 90 degrees `k` times in the plane of `dims` (tg.rot90)."""
        from tinygrad_np.functions import rot90
        return rot90(self, k, dims)

    def msort(self) -> Tensor:
        """Sorted along dim 0 (the values of sort(0))."""
        return self.sort(0)[0]

    def float_power(self, exponent: Any) -> Tensor:
        """self ** exponent computed in float64 (a float64 result, as PyTorch)."""
        from tinygrad_np.functions import float_power
        return float_power(self, exponent)

    def float_power_(self, exponent: Any) -> Tensor:
        """float_power in place: self must be float64 (the result's dtype), as PyTorch."""
        if self._data.dtype != np.float64:
            raise TensorError(f"float_power_: the base has dtype {self._data.dtype} but the "
                              f"result requires float64; convert with .double() first")
        return self._in_place(Tensor.float_power, exponent)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        """Dims dim0 and dim1 exchanged (transpose)."""
        return self.swapaxes(dim0, dim1)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """`chunks` pieces along `dim` of ceil(length / chunks) each (possibly fewer pieces,
        as PyTorch)."""
        chunks = int_arg(chunks)
        if chunks <= 0:
            raise TensorError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        if self.ndim == 0:
            raise TensorError("chunk: expects at least a 1-dimensional tensor")
        axis = _wrap_dim("chunk", dim, self.ndim)
        length = self.shape[axis]
        if not length:  # an empty dim gives `chunks` empty pieces, as PyTorch
            return _multi_output(tuple(self.narrow(axis, 0, 0) for _ in range(chunks)))
        return self.split(-(-length // chunks), dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along `dim`, that axis removed."""
        if not self.ndim:
            raise IndexError(f"unbind: Dimension specified as {dim} but tensor has no dimensions")
        axis = _wrap_dim("unbind", dim, self.ndim)
        return _multi_output(tuple(_cut(self, axis, range(self.shape[axis] + 1), take=True)),
                             "UnbindBackward0")

    # Counting, statistics and indexed writes: each method hands over to the module above
    # the engine that holds it (counting.py, statistics.py, indexed.py).
    def unique(self, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
               return_counts: bool = False, dim: int | None = None) -> Any:
        """The sorted distinct values (see tg.unique: inverse indices, counts, dim)."""
        from tinygrad_np.counting import unique
        return unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        """Counts (or summed weights) of each value of a 1-D non-negative integer tensor."""
        from tinygrad_np.counting import bincount
        return bincount(self, weights, minlength)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
        """A histogram of equal-width bins over [min, max] (the data's range if equal)."""
        from tinygrad_np.counting import histc
        return histc(self, bins, min, max)

    def argwhere(self) -> Tensor:
        """The indices of the nonzero elements, (count, ndim) int64 (as nonzero())."""
        return self.nonzero()

    @_node_named("KthvalueBackward0")
    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        """(values, indices) of the k-th smallest element along `dim`."""
        from tinygrad_np.statistics import kthvalue
        return kthvalue(self, k, dim, keepdim)

    def quantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        """The q-th quantiles along `dim` (see tg.quantile)."""
        from tinygrad_np.statistics import quantile
        return quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                    interpolation: str = "linear") -> Tensor:
        """The q-th quantiles along `dim`, NaNs ignored (see tg.nanquantile)."""
        from tinygrad_np.statistics import nanquantile
        return nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    @_node_named("NansumBackward0")
    def nansum(self, dim: Axis = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """Sum over `dim` counting NaN as 0 (NaNs get gradient 0)."""
        from tinygrad_np.statistics import nansum
        return nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim: Axis = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """Mean over `dim` of the non-NaN elements."""
        from tinygrad_np.statistics import nanmean
        return nanmean(self, dim, keepdim, dtype=dtype)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None,
             append: Any = None) -> Tensor:
        """The n-th forward difference along `dim` (see tg.diff)."""
        from tinygrad_np.statistics import diff
        return diff(self, n, dim, prepend, append)

    def cross(self, other: Any, dim: int | None = None) -> Tensor:
        """The cross product of 3-vectors along `dim` (None: the first dim of size 3)."""
        from tinygrad_np.statistics import cross
        return cross(self, other, dim)

    def inverse(self) -> Tensor:
        """The inverse of each square matrix (tg.linalg.inv)."""
        from tinygrad_np.linalg import inv
        return inv(self)

    def det(self) -> Tensor:
        """The determinant of each square matrix (tg.linalg.det)."""
        from tinygrad_np.linalg import det
        return det(self)

    def logdet(self) -> Tensor:
        """log(det), NaN for a negative determinant (tg.logdet)."""
        from tinygrad_np.linalg import logdet
        return logdet(self)

    def slogdet(self) -> Any:
        """(sign, logabsdet) of each square matrix (tg.linalg.slogdet)."""
        from tinygrad_np.linalg import old_slogdet
        return old_slogdet(self)

    def cholesky(self, upper: bool = False) -> Tensor:
        """The Cholesky factor L (U = L^T with upper) (tg.linalg.cholesky)."""
        from tinygrad_np.linalg import cholesky
        return cholesky(self, upper=upper)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        """The pseudo-inverse (tg.pinverse)."""
        from tinygrad_np.linalg import pinverse
        return pinverse(self, rcond)

    def matrix_power(self, n: int) -> Tensor:
        """self^n for square matrices (tg.linalg.matrix_power)."""
        from tinygrad_np.linalg import matrix_power
        return matrix_power(self, n)

    def svd(self, some: bool = True, compute_uv: bool = True) -> Any:
        """(U, S, V) as torch.svd (tg.svd)."""
        from tinygrad_np.linalg import old_svd
        return old_svd(self, some, compute_uv)

    def logcumsumexp(self, dim: int) -> Tensor:
        """log(cumsum(exp(self))) along `dim`, stable for any finite values."""
        from tinygrad_np.statistics import logcumsumexp
        return logcumsumexp(self, dim)

    def index_add(self, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """self with alpha * source added at `index` (1-D) along `dim`; repeats accumulate."""
        from tinygrad_np.indexed import index_add
        _need_tensors("index_add", index, source)
        return index_add(self, dim, index, source, alpha)

    def index_add_(self, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """`index_add` in place."""
        from tinygrad_np.indexed import index_add
        _need_tensors("index_add_", index, source)
        _same_dtype("index_add_", self, source)
        _refuse_source_overlap(self, source)
        return self._in_place(index_add, dim, index, source, alpha)

    def index_copy(self, dim: int, index: Tensor, source: Tensor) -> Tensor:
        """self with the entries `index` (1-D) along `dim` replaced by source's."""
        from tinygrad_np.indexed import index_copy
        _need_tensors("index_copy", index, source)
        return index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Tensor, source: Tensor) -> Tensor:
        """`index_copy` in place."""
        from tinygrad_np.indexed import index_copy
        _need_tensors("index_copy_", index, source)
        _same_dtype("index_copy_", self, source)
        _refuse_source_overlap(self, source)
        return self._in_place(index_copy, dim, index, source)

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """self with self[indices] = values (+= with `accumulate`); indices a tuple."""
        from tinygrad_np.indexed import index_put
        _need_tensor("index_put", "values", values)
        if not _one_mask_fill(indices, values, accumulate):  # (PyTorch's masked_fill_ casts)
            _same_dtype("index_put", self, values, "values")  # (as index_put_, as PyTorch)
        return index_put(self, indices, values, accumulate)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
        """`index_put` in place."""
        from tinygrad_np.indexed import index_put
        _need_tensor("index_put_", "values", values)
        if not _one_mask_fill(indices, values, accumulate):
            _same_dtype("index_put_", self, values, "values")
        _refuse_source_overlap(self, values)
        return self._in_place(index_put, indices, values, accumulate,
                              repeats=not accumulate)  # (accumulating: refused, see README)

    def scatter_reduce(self, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                       include_self: bool = True) -> Tensor:
        """src scattered by `index` along `dim` and reduced into self ('sum', 'prod',
        'mean', 'amax', 'amin'; see tg.scatter_reduce)."""
        from tinygrad_np.indexed import scatter_reduce
        _need_tensors("scatter_reduce", index, src, "src")
        return scatter_reduce(self, dim, index, src, reduce, include_self)

    def scatter_reduce_(self, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                        include_self: bool = True) -> Tensor:
        """`scatter_reduce` in place."""
        from tinygrad_np.indexed import scatter_reduce
        _need_tensors("scatter_reduce_", index, src, "src")
        _same_dtype("scatter_reduce_", self, src, "src")
        _refuse_source_overlap(self, src)
        return self._in_place(scatter_reduce, dim, index, src, reduce, include_self)

    def bernoulli(self, p: Any = None, *, generator: Any = None) -> Tensor:
        """0/1 draws, 1 with probability self[i] (or `p`), from the seeded generator."""
        from tinygrad_np.indexed import bernoulli
        return bernoulli(self, p, generator=generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        """Fill with 0/1 draws, 1 with probability `p`, in place."""
        from tinygrad_np.indexed import bernoulli_
        return bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with exponential draws of rate `lambd`, in place."""
        from tinygrad_np.indexed import exponential_
        return exponential_(self, lambd, generator=generator)

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Any = None
                    ) -> Tensor:
        """Fill with exp(N(mean, std**2)) draws, in place."""
        from tinygrad_np.indexed import draw_
        return draw_(self, "log_normal_", "lognormal", (mean, std), generator)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None
                ) -> Tensor:
        """Fill with Cauchy draws (location `median`, scale `sigma`), in place."""
        from tinygrad_np.indexed import draw_
        return draw_(self, "cauchy_", "standard_cauchy", (), generator, median, sigma)

    def geometric_(self, p: float, *, generator: Any = None) -> Tensor:
        """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        from tinygrad_np.indexed import draw_
        return draw_(self, "geometric_", "geometric", (p,), generator)

    def random_(self, from_: Any = ..., to: Any = ..., *, generator: Any = None,
                **kwargs: Any) -> Tensor:
        """Fill with integers drawn uniformly from [from, to - 1] (`random_(to)`: [0, to - 1];
        `to` None or no bounds: up to 2**mantissa for floats, the dtype's max for integers),
        in place."""
        from tinygrad_np.indexed import random_
        return random_(self, kwargs.pop("from", from_), to, generator, **kwargs)


def _condition(condition: Any, where: bool = False) -> np.ndarray:
    """A condition or mask (Tensor, array, list) as a new bool ndarray (kept for backward);
    `where` also takes a uint8 condition, with PyTorch's deprecation warning."""
    array = np.array(_data(condition))
    if where and array.dtype == np.uint8:
        warnings.warn("where received a uint8 condition tensor; this is deprecated (as in "
                      "PyTorch): use a bool condition", UserWarning, stacklevel=3)
        return array != 0
    if array.dtype != np.bool_:
        raise DtypeError(f"expected a bool condition or mask, got dtype {array.dtype}")
    return array


def _argsort(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; descending keeps equal elements in their original order too."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    flipped = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return data.shape[axis] - 1 - np.flip(flipped, axis)


def _topk_indices(data: np.ndarray, axis: int, k: int, largest: bool) -> np.ndarray:
    """The first k of `_argsort(data, axis, largest)` without sorting everything: the k-th
    value by partition, the entries before it plus the earliest of its ties (as the stable
    sort has them; NaN counts as the largest), then only those k sorted."""
    rows = np.moveaxis(data, axis, -1)
    size = rows.shape[-1]
    kth = size - k if largest else k - 1  # (partition puts NaN last, as the sort does)
    threshold = np.partition(rows, kth, axis=-1)[..., kth:kth + 1]
    before = rows > threshold if largest else rows < threshold
    ties = rows == threshold
    if rows.dtype.kind == "f":
        nan, nan_threshold = np.isnan(rows), np.isnan(threshold)
        before |= (nan & ~nan_threshold) if largest else (~nan & nan_threshold)
        ties |= nan & nan_threshold
    wanted = k - before.sum(axis=-1, keepdims=True)
    chosen = before | (ties & (np.cumsum(ties, axis=-1) <= wanted))
    picked = np.nonzero(chosen.reshape(-1, size))[1].reshape(rows.shape[:-1] + (k,))
    order = _argsort(np.take_along_axis(rows, picked, axis=-1), -1, largest)
    return np.moveaxis(np.take_along_axis(picked, order, axis=-1), -1, axis)


# The ops need the Tensor class to exist, so they are imported after it.
from tinygrad_np import cpu_order, rng  # noqa: E402
from tinygrad_np.autograd import _RETAINED, run_backward  # noqa: E402
from tinygrad_np.device import (  # noqa: E402
    CPU,
    _channels_last,
    _cpu_only as as_device_error,  # noqa: E402
    as_device,
    batch_innermost,
    check_placement,
    check_to_arguments,
    contiguous_format,
    device,
    is_device,
    is_laid_out,
    preserve_format,
    strided,
    user_ordered,
)
from tinygrad_np.function import enable_grad, is_grad_enabled, no_grad  # noqa: E402
from tinygrad_np.hooks import (  # noqa: E402
    register_hook as _register_hook,  # noqa: E402
    register_post_accumulate_grad_hook as _register_post_accumulate_grad_hook,
)
from tinygrad_np.node_api import pytorch_named, several_outputs  # noqa: E402
from tinygrad_np.ops import opmath, power  # noqa: E402
from tinygrad_np.ops.activation import (  # noqa: E402
    ELU,
    GELU,
    SELU_ALPHA,
    SELU_SCALE,
    Hardsigmoid,
    Hardswish,
    HardTanh,
    LeakyReLU,
    LogSigmoid,
    Softplus,
)
from tinygrad_np.ops.arithmetic import (  # noqa: E402
    Add,
    Div,
    Mul,
    Neg,
    Pow,
    Sub,
    _refuse_bool_subtraction,
)
from tinygrad_np.ops.bessel import I0  # noqa: E402
from tinygrad_np.ops.elementwise import (  # noqa: E402
    Abs,
    Clip,
    Cos,
    Exp,
    Log,
    Reciprocal,
    ReciprocalTimes,
    ReLU,
    Rsqrt,
    Sigmoid,
    Sin,
    Sqrt,
    Tanh,
)
from tinygrad_np.ops.join import Clone  # noqa: E402
from tinygrad_np.ops.logic import bitwise  # noqa: E402
from tinygrad_np.ops.math import (  # noqa: E402
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    Ceil,
    Cosh,
    Erf,
    Erfc,
    Exp2,
    Expm1,
    Floor,
    FloorDivide,
    Fmod,
    Hypot,
    Log1p,
    Log2,
    Log10,
    LogAddExp,
    Logit,
    Remainder,
    Round,
    Sign,
    Sinh,
    Tan,
    Trunc,
    Xlogy,
)
from tinygrad_np.ops.matmul import MatMul, refuse_integer_mix  # noqa: E402
from tinygrad_np.ops.reduce import (  # noqa: E402
    AMax,
    AMin,
    Max,
    Min,
    NoDofSpread,
    Nonzero,
    Sum,
    c_ordered,
)
from tinygrad_np.ops.scan import Cumprod, Cumsum, Norm2, Prod  # noqa: E402
from tinygrad_np.ops.select import Fmax, Fmin, Maximum, Minimum, PickShared, Where  # noqa: E402
from tinygrad_np.ops.shape import (  # noqa: E402
    Cast,
    Expand,
    GetItem,
    IndexAdd,
    Reshape,
    SetItem,
    Transpose,
    Windows,
    keeps_index,
)
from tinygrad_np.ops.softmax import LogSoftmax, Softmax  # noqa: E402
from tinygrad_np.ops.special import Erfinv, Lgamma, Polygamma  # noqa: E402
from tinygrad_np.ops.special_more import Igamma, Igammac  # noqa: E402
from tinygrad_np.rng import numpy_generator  # noqa: E402


# PyTorch's other in-place spellings, each `self = op(self, ...)` through `Tensor._in_place`
# (recorded like the op when needed, the version moved on, the dtype kept).
def _in_place_form(name: str, op: Callable[..., Tensor], elementwise: bool = False
                   ) -> Callable[..., Tensor]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return self._in_place(lambda tensor, *rest: op(tensor, *rest, **kwargs), *args,
                              elementwise=elementwise)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{op.__name__}(self, ...), in place."
    return method


for _op in ("sin cos tan square log1p expm1 rsqrt erf erfc atan asin acos sinh cosh asinh "
            "acosh atanh arctan arcsin arccos arcsinh arccosh arctanh sgn exp2 log2 log10 "
            "nan_to_num tril triu xlogy hypot logit sinc atan2 arctan2 bitwise_not "
            "bitwise_left_shift bitwise_right_shift true_divide multiply "
            "subtract divide cumsum cumprod neg:negative abs:absolute").split():
    _base, _, _alias = _op.partition(":")
    _name = (_alias or _base) + "_"
    if hasattr(Tensor, _base) and not hasattr(Tensor, _name):
        setattr(Tensor, _name, _in_place_form(_name, getattr(Tensor, _base), _base not in (
            "tril", "triu", "cumsum", "cumprod")))
