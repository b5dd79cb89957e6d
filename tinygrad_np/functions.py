"""torch-style functions of tensors (`tg.where`, `tg.einsum`, `tg.maximum`, ...).

Most are the Tensor method under the name torch uses at module level; `where` and `einsum`
build the op directly.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from tinygrad_np import cpu_order, return_types, xp
from tinygrad_np.counting import _bisected, _unique_axis, no_derivative_of
from tinygrad_np.device import as_device, check_placement, contiguous_format, preserve_format
from tinygrad_np.dtypes import _check_int64, get_default_dtype, promoted_operands, torch_dtype
from tinygrad_np.errors import DtypeError, IndexOutOfBounds
from tinygrad_np.factories import _PLAIN_DATA, _item, _laid_out_like, randint
from tinygrad_np.foreign import is_torch_tensor, torch_values
from tinygrad_np.functional_forms import with_out
from tinygrad_np.join import _alike, _at_least, _tensors, cat, meshgrid, stack, vstack
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.distance import CDist
from tinygrad_np.ops.einsum import Einsum
from tinygrad_np.ops.masked import MaskedBy, NoDerivative, ScaledCopy
from tinygrad_np.ops.math import Copysign
from tinygrad_np.ops.matmul import refuse_integer_mix
from tinygrad_np.ops.select import Where
from tinygrad_np.rng import in_memory_order, permuted_dense
from tinygrad_np.tensor import (
    Axis,
    Size,
    Tensor,
    TensorError,
    _binary,
    _condition,
    _cut,
    _kept,
    _node_named,
    _scalar_for,
    _viewed,
    _wrap_dim,
    data_operand,
    float_operands,
    int_tuple,
    int_value,
    number_operand,
    refuse_bool_median,
    tensor_operand,
    to_tensor as _tensor,
)

_UNSET: Any = object()  # where()'s missing input and other (an explicit None is refused)


def where(condition: Any, input: Any = _UNSET, other: Any = _UNSET) -> Any:  # noqa: A002
    """`input` where `condition` is True, else `other` (either may be a number);
    the gradient goes to the chosen side. With one argument, `condition.nonzero(as_tuple=True)`.
    """
    if input is _UNSET and other is _UNSET:
        return _tensor(condition).nonzero(as_tuple=True)
    if input is None or other is None or _UNSET in (input, other):  # PyTorch's TypeError
        named = ["missing" if v is _UNSET else type(v).__name__ for v in (input, other)]
        raise TypeError("where() takes a condition alone, or a condition, input and other; got "
                        f"input={named[0]} and other={named[1]}")
    for name, value in (("input", input), ("other", other)):
        if isinstance(value, (str, bytes)):  # (NumPy would make a string tensor)
            data_operand("where", value, name)
    if isinstance(input, Tensor):  # both cast to PyTorch's result dtype first
        input, other = _binary(input, _int_for_where(other, input))
    elif isinstance(other, Tensor):
        input = _int_for_where(input, other)
    else:  # two numbers: floats become the default dtype, which must hold them
        input, other = (float(v) if type(v) is np.bool_ else v  # noqa: A001 (PyTorch's float)
                        for v in (input, other))
        for value in (input, other):
            if type(value) is float:
                _scalar_for("where", value, np.dtype(get_default_dtype()))
    return _kept(Where.apply(_condition(condition, where=True), input, other))


def where_out(condition: Any, input: Any = _UNSET, other: Any = _UNSET, *,  # noqa: A002
              out: Any = None) -> Any:
    """`input` where `condition` is True, else `other` (torch.where, with `out=`): as
    `where`; with `out=` both must be tensors (a number is PyTorch's TypeError there)."""
    if out is None:
        return where(condition, input, other)
    for position, (argument, value) in enumerate((("input", input), ("other", other)), 2):
        if value is not _UNSET and not isinstance(value, Tensor):
            raise TypeError(f"where(): argument '{argument}' (position {position}) must be "
                            f"Tensor, not {type(value).__name__} (with out=, as PyTorch)")
    return with_out(where)(condition, input, other, out=out)


where_out.__name__ = where_out.__qualname__ = "where"


_FLOAT32 = np.dtype(np.float32)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _int_for_where(value: Any, tensor: Tensor) -> Any:
    """A Python int beside an integer tensor in `where`: PyTorch's overflow RuntimeError when
    the tensor's dtype cannot hold it (uint8 and 300), where arithmetic would wrap it. A
    NumPy scalar counts as its Python number."""
    if isinstance(value, np.generic):
        value = float(value) if type(value) is np.bool_ else value.item()  # (as PyTorch)
    if type(value) is int:
        _check_int64(value)  # (2**70: PyTorch's OverflowError, whatever the dtype)
    if type(value) is float and tensor._data.dtype is _FLOAT32 and not (
            _FLOAT32_MAX < abs(value) < math.inf):  # (the common case, quickly: it fits)
        return value
    if type(value) is int and tensor._data.dtype.kind in "iu":
        return _scalar_for("where", value, tensor._data.dtype)
    dtype, default = tensor._data.dtype, np.dtype(get_default_dtype())
    if type(value) in (int, float) and dtype.kind == "f" and dtype.itemsize < 4:
        with np.errstate(over="ignore"):  # float16: rounded, as PyTorch (65505.0 is 65504,
            return float(np.asarray(value, dtype))  # 70000.0 inf, silently)
    elif type(value) is float:  # PyTorch makes it a tensor of the default dtype (float64
        _scalar_for("where", value, np.promote_types(default, dtype) if dtype.kind == "f"
                    else default)  # beside float64), which must hold it (1e300: overflow)
    return value


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation (`"ij,jk->ik"`, `"bii->bi"`, `"...ij->...ji"`, implicit output,
    or PyTorch's sublist form `einsum(a, [0, 1], b, [1, 2], [0, 2])`); each operand's
    gradient is an einsum of g and the other operands."""
    if not isinstance(equation, str):  # the sublist form: operand, its dims, operand, ...
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [_tensor(op) for op in operands]
    if len(operands) > 1 and any(op.dtype.kind == "b" for op in operands) and _sums_an_index(
            equation):  # a contraction is PyTorch's bmm, which has no bool kernel
        raise DtypeError("einsum: a contraction of bool operands is not implemented (PyTorch's "
                         "bmm has no bool kernel); convert with .long() first")
    if len(operands) == 1 and operands[0].dtype.kind in "biu" and _sums_an_index(equation):
        return Einsum.apply(equation, operands[0].long())  # a sum of one operand's integers
    result = pytorch_named(Einsum.apply(equation, *operands),  # or bools is int64, as PyTorch's
                           _einsum_node(equation, len(operands)))  # ("ii")
    if len(operands) > 1:
        return result
    # NumPy returns a view of a lone operand where it can ("ij->ji", "ii->i"), as PyTorch
    # does: it shares the operand's version counter, so a saved view sees its changes
    return _viewed(operands[0], result)


def _einsum_node(equation: str, count: int) -> str:
    """PyTorch's last node of an einsum: one operand is permuted, then summed; a pair is
    multiplied, or (an index contracted) bmm'ed and viewed back."""
    inputs, arrow, output = equation.replace(" ", "").replace(".", "").partition("->")
    terms = inputs.split(",")
    if not arrow:
        output = "".join(letter for letter in "".join(terms) if "".join(terms).count(letter) == 1)
    if count == 1:
        return "SumBackward1" if _sums_an_index(equation) else "PermuteBackward0"
    shared = {letter for letter in set("".join(terms)) - set(output)
              if sum(letter in term for term in terms) > 1}
    return "ViewBackward0" if shared else "MulBackward0"


def _sums_an_index(equation: str) -> bool:
    """Whether an einsum sums over an index (one missing from the output; without `->`, the
    output is the indices that appear once)."""
    inputs, arrow, output = equation.replace(" ", "").replace(".", "").partition("->")
    inputs = inputs.replace(",", "")
    if not arrow:
        output = "".join(letter for letter in inputs if inputs.count(letter) == 1)
    return bool(set(inputs) - set(output))


def _sublist_equation(arguments: tuple) -> tuple[str, list]:
    """`(a, [0, 1], b, [1, 2], [0, 2])` as `("ab,bc->ac", [a, b])` (Ellipsis as `...`)."""
    def letters(dims: Any) -> str:
        if not isinstance(dims, (list, tuple)) or not all(
                d is Ellipsis or isinstance(d, (int, np.integer)) for d in dims):
            raise TypeError(f"einsum: a sublist holds dims as ints or ..., got {dims!r}")
        if not all(d is Ellipsis or 0 <= d < 52 for d in dims):
            raise TensorError(f"einsum: sublist dims must be in [0, 52), got {dims!r}")
        return "".join("..." if d is Ellipsis else
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[d] for d in dims)

    pairs, output = arguments[:len(arguments) // 2 * 2], arguments[len(arguments) // 2 * 2:]
    operands = list(pairs[0::2])
    equation = ",".join(letters(dims) for dims in pairs[1::2])
    return equation + ("->" + letters(output[0]) if output else ""), operands


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max; ties split the gradient half and half (PyTorch)."""
    return _tensor(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min; ties split the gradient half and half (PyTorch)."""
    return _tensor(input).minimum(other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """out[i, j] = input[i] * vec2[j]."""
    return _tensor(input).outer(_tensor(vec2))


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0 (and so on)."""
    return input.gather(dim, index)


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """gather with broadcasting (see Tensor.take_along_dim)."""
    return input.take_along_dim(indices, dim)


def take(input: Tensor, index: Any) -> Tensor:
    """The elements at `index` of the flattened `input`."""
    return input.take(index)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The entries `index` (1-D) of `input` along `dim`."""
    return input.index_select(dim, index)


def scatter(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of `input` with `src` written at `index` along `dim`."""
    return input.scatter(dim, index, src)


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """`input` with `src` added at `index` along `dim` (repeats accumulate)."""
    return input.scatter_add(dim, index, src)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The elements of `input` where `mask` is True, as a 1-D tensor."""
    return input.masked_select(mask)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements of `input`."""
    return input.nonzero(as_tuple=as_tuple)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two axes."""
    return input.triu(diagonal)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes."""
    return input.tril(diagonal)


def sort(input: Tensor, dim: int = -1, descending: bool = False,
         stable: bool = False) -> tuple:
    """(values, indices) of `input` sorted along `dim`."""
    return input.sort(dim, descending, stable)


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort `input` along `dim`."""
    return input.argsort(dim, descending, stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> tuple:
    """(values, indices) of the k largest (smallest) entries along `dim`."""
    return input.topk(k, dim, largest, sorted)


def flip(input: Tensor, dims: Axis) -> Tensor:
    """`input` reversed along `dims`."""
    return input.flip(dims)


def roll(input: Tensor, shifts: Any, dims: Axis = None) -> Tensor:
    """`input` shifted circularly."""
    return input.roll(shifts, dims)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A diagonal matrix from a vector, or a matrix's diagonal."""
    return input.diag(diagonal)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of axes dim1, dim2 as the last axis."""
    return input.diagonal(offset, dim1, dim2)


def movedim(input: Tensor, source: Axis, destination: Axis) -> Tensor:
    """`input` with axes `source` moved to `destination`."""
    return input.movedim(source, destination)


moveaxis = movedim


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """`length` entries of `input` from `start` along `dim`."""
    return input.narrow(dim, start, length)


def broadcast_to(input: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`input` broadcast to `shape`."""
    return input.expand(shape)


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each entry of `input` repeated `repeats` times along `dim`; with `input` alone, the
    index i repeated input[i] times (see Tensor.repeat_interleave)."""
    return _tensor(input).repeat_interleave(repeats, dim, output_size=output_size)


def var(input: Tensor, dim: Axis = None, *, correction: float = 1,
        keepdim: bool = False) -> Tensor:
    """Variance over `dim` with `correction` (1: Bessel's, as PyTorch)."""
    return input.var(dim, keepdim=keepdim, correction=correction)


def std(input: Tensor, dim: Axis = None, *, correction: float = 1,
        keepdim: bool = False) -> Tensor:
    """Standard deviation over `dim` with `correction`."""
    return input.std(dim, keepdim=keepdim, correction=correction)


def var_mean(input: Tensor, dim: Axis = None, unbiased: bool | None = None,  # noqa: A002
             keepdim: bool = False, *, correction: float | None = None
             ) -> tuple[Tensor, Tensor]:
    """(variance, mean) over `dim`; `unbiased`/`correction` as for `var`."""
    return _with_mean(Tensor.var, input, dim, unbiased, keepdim, correction)


def std_mean(input: Tensor, dim: Axis = None, unbiased: bool | None = None,  # noqa: A002
             keepdim: bool = False, *, correction: float | None = None
             ) -> tuple[Tensor, Tensor]:
    """(standard deviation, mean) over `dim`; `unbiased`/`correction` as for `std`."""
    return _with_mean(Tensor.std, input, dim, unbiased, keepdim, correction)


def _with_mean(spread: Any, input: Tensor, dim: Axis, unbiased: bool | None,  # noqa: A002
               keepdim: bool, correction: float | None) -> tuple[Tensor, Tensor]:
    tensor_operand(f"{spread.__name__}_mean", input, "input")
    if isinstance(dim, bool):  # var_mean(x, True): PyTorch's older (input, unbiased) form
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:  # PyTorch's TypeError
        raise TypeError(f"{spread.__name__}_mean() received an invalid combination of "
                        "arguments: unbiased and correction together (pass one)")
    name = "VarMeanBackward0" if spread.__name__ == "var" else "StdMeanBackward0"  # (one node,
    return (pytorch_named(spread(input, dim, unbiased, keepdim, correction=correction), name),
            pytorch_named(input.mean(dim, keepdim=keepdim), name))  # as PyTorch's)


def prod(input: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """Product over `dim`."""
    return input.prod(dim, keepdim)


def logsumexp(input: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim`, stable."""
    return input.logsumexp(dim, keepdim)


def cumsum(input: Tensor, dim: int) -> Tensor:
    """Running sum along `dim`."""
    return input.cumsum(dim)


def cumprod(input: Tensor, dim: int) -> Tensor:
    """Running product along `dim`."""
    return input.cumprod(dim)


def cummax(input: Tensor, dim: int) -> tuple:
    """(values, indices) of the running max along `dim`."""
    return input.cummax(dim)


def cummin(input: Tensor, dim: int) -> tuple:
    """(values, indices) of the running min along `dim`."""
    return input.cummin(dim)


def norm(input: Tensor, p: Any = "fro", dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The p-norm of `input` over `dim`."""
    return input.norm(p, dim, keepdim)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (of everything, or (values, indices) along `dim`)."""
    return input.median(dim, keepdim)


def numel(input: Tensor) -> int:
    """The number of elements of `input`."""
    return input.numel()


# ----------------------------------------------------------------- dtypes (PyTorch's rules)
def promote_types(type1: Any, type2: Any) -> Any:
    """The smallest dtype both convert to, as PyTorch: a float with an integer is the float
    (int64 with float16 is float16, where NumPy says float64)."""
    return torch_dtype(_promote_types(type1, type2))


def _promote_types(type1: Any, type2: Any) -> np.dtype:
    a, b = np.dtype(type1), np.dtype(type2)
    if (a.kind == "f") != (b.kind == "f"):
        return a if a.kind == "f" else b
    return np.promote_types(a, b)


def _category(dtype: np.dtype | None) -> int:
    return -1 if dtype is None else {"b": 0, "f": 2}.get(dtype.kind, 1)


def _priority_and_dtype(operand: Any) -> tuple[int, np.dtype]:
    """2 for an n-d tensor, 1 for a 0-d one, 0 for a Python number (with its dtype)."""
    if isinstance(operand, (Tensor, np.ndarray)):
        return (2 if operand.ndim else 1), getattr(operand, "_data", operand).dtype
    if isinstance(operand, (bool, np.bool_)):
        return 0, np.dtype(np.bool_)
    if isinstance(operand, (int, np.integer)):
        return 0, np.dtype(np.int64)
    if isinstance(operand, (float, np.floating)):
        return 0, np.dtype(get_default_dtype())
    raise TypeError(f"result_type: expected a Tensor or a number, got {type(operand).__name__}")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A lower-priority operand only counts when its category (bool < int < float) is higher."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if _category(lower) > _category(higher):
        return _promote_types(higher, lower)
    return higher


def _result_type(*operands: Any) -> np.dtype:
    groups: dict[int, np.dtype | None] = {0: None, 1: None, 2: None}
    for operand in operands:
        priority, dtype = _priority_and_dtype(operand)
        seen = groups[priority]
        groups[priority] = dtype if seen is None else _promote_types(seen, dtype)
    return _combine(groups[2], _combine(groups[1], groups[0]))


def result_type(tensor1: Any, tensor2: Any) -> Any:
    """The dtype of an arithmetic op on the two operands (tensors or numbers), by PyTorch's
    rules: n-d tensors first, then 0-d tensors, then numbers, each lower group counting only
    when its kind (bool < int < float) is higher."""
    return torch_dtype(_result_type(tensor1, tensor2))


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's type promotion allows `from_` to `to`: not float to integer, not
    anything but bool to bool."""
    source, target = np.dtype(from_), np.dtype(to)
    if source.kind == "f" and target.kind in "biu":
        return False
    return not (source.kind != "b" and target.kind == "b")


def _float_dtype(dtype: np.dtype) -> np.dtype:
    return dtype if dtype.kind == "f" else np.dtype(get_default_dtype())


# ----------------------------------------------------------------- elementwise
def absolute(input: Any) -> Tensor:
    """|input| (alias of abs)."""
    return _tensor(input).abs()


def negative(input: Any) -> Tensor:
    """-input (alias of neg)."""
    return _tensor(input).neg()


def positive(input: Any) -> Tensor:
    """`input` itself; a bool tensor is refused, as PyTorch."""
    x = _tensor(input)
    if x.dtype.kind == "b":
        raise DtypeError("positive: the `+` operator on a bool tensor is not supported")
    return x


@xp.quiet
@_node_named("Deg2RadBackward0")
def deg2rad(input: Any) -> Tensor:
    """Degrees to radians (integers become the default float)."""
    return _tensor(input) * (math.pi / 180)


@xp.quiet
@_node_named("Rad2DegBackward0")
def rad2deg(input: Any) -> Tensor:
    """Radians to degrees (integers become the default float)."""
    return _tensor(input) * (180 / math.pi)


@_node_named("Logaddexp2Backward0")
def logaddexp2(input: Any, other: Any) -> Tensor:
    """log2(2**input + 2**other) without overflow: logaddexp on the values times ln 2."""
    a, b = tensor_operand("logaddexp2", input, "input"), tensor_operand("logaddexp2", other)
    dtype = _result_type(a, b)
    if dtype.kind != "f":
        raise DtypeError(f"logaddexp2: not implemented for {dtype} (as PyTorch)")
    wide = np.dtype(np.float32) if dtype == np.float16 else dtype  # float16: in float32, as
    a, b = (x if x.dtype == wide else x.to(wide) for x in (a, b))  # PyTorch (rounded once)
    result = a.mul(math.log(2)).logaddexp(b * math.log(2)) / math.log(2)
    return result if wide == dtype else result.to(dtype)


@xp.quiet
@_node_named("SincBackward0")
def sinc(input: Any) -> Tensor:
    """sin(pi x) / (pi x), 1 at x = 0. Where |pi x| < 0.05 its Taylor series (to s^12), so
    every derivative is exact there (sin(s) / s's quotient rule cancels: the second
    derivative was 0 near 0, not -pi^2 / 3); elsewhere sin(s) / s."""
    x = _tensor(input)
    x = x if x.dtype.kind == "f" else x.astype(get_default_dtype())  # (abs(int8 -128) wraps)
    if x.dtype == np.float16:  # in float32, rounded once, as PyTorch's kernel
        return sinc(x.float()).half()
    near = np.asarray(np.abs(x._data) < 0.05 / math.pi)  # (NaN: far, so NaN)
    scaled = where(near, 1.0, x) * math.pi  # no 0 / 0 in the unused branch's gradient
    s2 = (where(near, x, 0.0) * math.pi) ** 2  # (nor inf - inf in the series')
    series = 1.0
    for k in (13, 11, 9, 7, 5, 3):  # 1 - s^2/3! + s^4/5! - ...
        series = 1.0 - s2 * series / (k * (k - 1))
    return where(near, series, scaled.sin() / scaled)


def float_power(input: Any, exponent: Any) -> Tensor:
    """input ** exponent computed in float64 (the result is float64, as PyTorch)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power: input or exponent must be a Tensor")
    base = _tensor(input).astype(np.float64) if isinstance(input, Tensor) else Tensor(
        np.float64(input))
    power = exponent.astype(np.float64) if isinstance(exponent, Tensor) else float(exponent)
    return base ** power


def copysign(input: Any, other: Any) -> Tensor:
    """|input| with the sign of `other` (-0.0 counts as negative); a float result. The
    gradient goes to input only (0 where input is 0), as PyTorch's."""
    x = tensor_operand("copysign", input, "input")
    dtype = _float_dtype(_result_type(x, other))
    sign = np.copysign(np.ones((), dtype), other._data if isinstance(other, Tensor) else other)
    result = Copysign.apply(x if x.dtype == dtype else x.astype(dtype), np.asarray(sign, dtype),
                            other if isinstance(other, Tensor) else None)
    return result if isinstance(other, Tensor) else pytorch_named(result, "CopysignBackward1")


def heaviside(input: Any, values: Any) -> Tensor:
    """0 where input < 0, `values` where input == 0, 1 where input > 0 (NaN gives 0, as
    PyTorch's kernel). Not differentiable: of an input that requires grad, the result is
    recorded so that a gradient reaching it raises, as PyTorch's (never a silent 0)."""
    x, v = tensor_operand("heaviside", input, "input"), tensor_operand("heaviside", values,
                                                                       "values")
    if x.dtype != v.dtype:
        raise RuntimeError(f"heaviside: input ({x.dtype.name}) and values ({v.dtype.name}) must "
                           f"have "
                           "the same dtype")
    _broadcast_shape("heaviside", x.shape, v.shape)
    result = np.where(x._data == 0, v._data, x._data > 0).astype(x.dtype)
    source = x if x.requires_grad else v
    if source.requires_grad:
        return NoDerivative.apply(result, source, "heaviside")
    return Tensor(result)


def signbit(input: Any) -> Tensor:
    """True where the sign bit is set (also for -0.0)."""
    return Tensor(np.signbit(_tensor(input)._data))


def isposinf(input: Any) -> Tensor:
    """True where input is +inf."""
    return Tensor(np.isposinf(_tensor(input)._data))


def isneginf(input: Any) -> Tensor:
    """True where input is -inf."""
    return Tensor(np.isneginf(_tensor(input)._data))


def isreal(input: Any) -> Tensor:
    """True everywhere (complex tensors are not supported, so every value is real)."""
    return Tensor(np.ones(_tensor(input).shape, dtype=np.bool_))


def real(input: Tensor) -> Tensor:
    """The real part: a real tensor itself."""
    return _tensor(input)


# ----------------------------------------------------------------- shapes
def _broadcast_shape(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"{name}: shapes {', '.join(map(str, shapes))} do not broadcast"
                           ) from None


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape."""
    tensors = tuple(_tensor(t) for t in tensors)
    shape = _broadcast_shape("broadcast_tensors", *(t.shape for t in tensors))
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


def _atleast(name: str, ndim: int, tensors: tuple) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast(name, ndim, (t,)) for t in tensors[0])
    if len(tensors) != 1:
        return tuple(_atleast(name, ndim, (t,)) for t in tensors)
    x = _tensor(tensors[0])
    return x.reshape(1) if ndim == 1 and x.ndim == 0 else _at_least(x, ndim)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dim (0-d becomes (1,)); a tuple for several tensors."""
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dims ((n,) becomes (1, n)); a tuple for several."""
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast("atleast_3d", 3, tensors)


@with_out
def column_stack(tensors: Any) -> Tensor:
    """Join along dim 1, 0-d and 1-D tensors taken as columns (n, 1)."""
    tensors = _tensors("column_stack", tensors)
    if _alike(tensors, 1):
        return stack(tensors, 1)
    if _alike(tensors, 0):
        return stack(tensors).reshape(1, -1)
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


row_stack = vstack


def swapdims(input: Any, dim0: int, dim1: int) -> Tensor:
    """`input` with dims dim0 and dim1 exchanged (alias of transpose)."""
    x = _tensor(input)
    return x.swapaxes(_wrap_dim("swapdims", dim0, x.ndim), _wrap_dim("swapdims", dim1, x.ndim))


def adjoint(input: Any) -> Tensor:
    """The conjugate transpose of the last two dims (for real tensors, the transpose)."""
    x = _tensor(input)
    if x.ndim < 2:
        raise RuntimeError(f"adjoint: expected a matrix or a batch of matrices, got shape "
                           f"{x.shape}")
    return x.transpose(-2, -1)


def rot90(input: Any, k: int = 1, dims: Any = (0, 1)) -> Tensor:
    """`input` rotated by 90 degrees `k` times, from the first of `dims` towards the second."""
    k = int_value("rot90", "k", k)
    x = _tensor(input)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected 2 rotation dims, got dims={tuple(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"rot90: expected a tensor of at least 2 dims, got shape {x.shape}")
    first, second = (_wrap_dim("rot90", d, x.ndim) for d in dims)
    if first == second:
        raise RuntimeError(f"rot90: the rotation dims must differ, got dims={tuple(dims)}")
    k %= 4
    if k == 1:
        return x.flip(second).transpose(first, second)
    if k == 2:
        return x.flip((first, second))
    if k == 3:
        return x.flip(first).transpose(first, second)
    return x.clone()


def _slices(x: Tensor, axis: int, bounds: list[int]) -> tuple[Tensor, ...]:
    if all(0 <= a <= b <= x.shape[axis] for a, b in zip(bounds, bounds[1:])):
        return tuple(_cut(x, axis, bounds))  # (many pieces: through a tree of slices)
    before = (slice(None),) * axis  # indices out of order or range: NumPy's slice rules
    return tuple(x[before + (slice(start, stop),)] for start, stop in zip(bounds, bounds[1:]))


def _sections_or_indices(name: str, spec: Any) -> Any:
    """An int (a number of sections) or a list of indices, from an int, a sequence or a
    0-d or 1-D integer tensor."""
    if isinstance(spec, Tensor):
        if spec.dtype.kind not in "iu" or spec.ndim > 1:
            raise RuntimeError(f"{name}: a tensor indices_or_sections must be a 0-d or 1-D "
                               f"integer tensor, got {spec.dtype.name} of shape {spec.shape}")
        spec = spec.tolist()
    if isinstance(spec, (int, np.integer)):
        return int(spec)
    return [int(i) for i in int_tuple(spec, f"{name}(): argument 'indices_or_sections'")]


def tensor_split(input: Any, indices_or_sections: Any = None, dim: int = 0, *,
                 sections: Any = None, indices: Any = None,
                 tensor_indices_or_sections: Any = None) -> tuple[Tensor, ...]:
    """Views of `input` along `dim`: n near-equal sections (the first size % n one longer),
    or the pieces between the given indices (as NumPy's array_split). PyTorch's keyword
    spellings `sections=`, `indices=`, `tensor_indices_or_sections=` are accepted."""
    given = [v for v in (indices_or_sections, sections, indices, tensor_indices_or_sections)
             if v is not None]
    if len(given) != 1:
        raise TypeError("tensor_split: give exactly one of indices_or_sections, sections, "
                        f"indices, tensor_indices_or_sections (got {len(given)})")
    indices_or_sections = given[0]
    x = _tensor(input)
    if x.ndim == 0:
        raise RuntimeError("tensor_split: expected a tensor of at least 1 dim, got a 0-d one")
    axis = _wrap_dim("tensor_split", dim, x.ndim)
    spec, size = _sections_or_indices("tensor_split", indices_or_sections), x.shape[axis]
    if isinstance(spec, list):
        return _slices(x, axis, [0, *spec, size])
    if spec <= 0:
        raise RuntimeError(f"tensor_split: the number of sections must be > 0, got {spec}")
    quotient, remainder = divmod(size, spec)
    bounds = [i * quotient + min(i, remainder) for i in range(spec + 1)]
    return _slices(x, axis, bounds)


def _split_along(name: str, x: Any, spec: Any, dim: int, min_ndim: int) -> tuple:
    x = _tensor(x)
    if x.ndim < min_ndim:
        raise RuntimeError(f"{name}: expected a tensor of at least {min_ndim} dims, got shape "
                           f"{x.shape}")
    spec = _sections_or_indices(name, spec)
    if isinstance(spec, int) and (spec == 0 or x.shape[dim] % spec):
        raise RuntimeError(f"{name}: dim {dim} of size {x.shape[dim]} does not split into "
                           f"{spec} equal sections (shape {x.shape})")
    return tensor_split(x, spec, dim)


def _one_split_spec(op: str, indices_or_sections: Any, sections: Any, indices: Any) -> Any:
    """The one split spec of PyTorch's two overloads, `sections=` (int) and `indices=`."""
    given = [spec for spec in (indices_or_sections, sections, indices) if spec is not None]
    if len(given) != 1:
        raise TypeError(f"{op}() takes one of indices_or_sections, sections or indices, "
                        f"got {len(given)}")
    return given[0]


def hsplit(input: Any, indices_or_sections: Any = None, *, sections: Any = None,  # noqa: A002
           indices: Any = None) -> tuple[Tensor, ...]:
    """tensor_split along dim 1 (dim 0 for 1-D); sections must be equal."""
    spec = _one_split_spec("hsplit", indices_or_sections, sections, indices)
    dim = 1 if _tensor(input).ndim > 1 else 0
    return _split_along("hsplit", input, spec, dim, 1)


def vsplit(input: Any, indices_or_sections: Any = None, *, sections: Any = None,  # noqa: A002
           indices: Any = None) -> tuple[Tensor, ...]:
    """tensor_split along dim 0 of a tensor of at least 2 dims; sections must be equal."""
    spec = _one_split_spec("vsplit", indices_or_sections, sections, indices)
    return _split_along("vsplit", input, spec, 0, 2)


def dsplit(input: Any, indices_or_sections: Any = None, *, sections: Any = None,  # noqa: A002
           indices: Any = None) -> tuple[Tensor, ...]:
    """tensor_split along dim 2 of a tensor of at least 3 dims; sections must be equal."""
    spec = _one_split_spec("dsplit", indices_or_sections, sections, indices)
    return _split_along("dsplit", input, spec, 2, 3)


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose `offset` diagonal (in dims dim1, dim2 of the result) is the last dim of
    `input`; zeros elsewhere."""
    x = _tensor(input)
    first, second = (_wrap_dim("diag_embed", d, x.ndim + 1) for d in (dim1, dim2))
    if first == second:
        raise RuntimeError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
    vector = x.reshape(1) if x.ndim == 0 else x
    *batch, n = vector.shape
    # (.., n, n + 1) rows [v_i, 0, ..] read flat as (.., n, n): v_i lands on the diagonal
    padded = cat([vector.unsqueeze(-1), _zeros((*batch, n, n), x.dtype)], -1)
    square = padded.reshape(*batch, n * (n + 1))[..., :n * n].reshape(*batch, n, n)
    if offset:
        shift = abs(offset)
        columns = [_zeros((*batch, n, shift), x.dtype), square]
        square = cat(columns if offset > 0 else columns[::-1], -1)
        rows = [square, _zeros((*batch, shift, n + shift), x.dtype)]
        square = cat(rows if offset > 0 else rows[::-1], -2)
    return pytorch_named(square.movedim((-2, -1), (first, second)), "DiagEmbedBackward0")


def diagflat(input: Any, offset: int = 0) -> Tensor:
    """A 2-D matrix with the flattened `input` on its `offset` diagonal."""
    return diag_embed(_tensor(input).reshape(-1), offset)


def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype))


@_node_named("BlockDiagBackward0")
def block_diag(*tensors: Any) -> Tensor:
    """The tensors (0-d, 1-D as a row, or 2-D) as blocks on a diagonal, zeros elsewhere."""
    blocks = []
    for position, tensor in enumerate(map(_tensor, tensors)):
        if tensor.ndim > 2:
            raise RuntimeError(f"block_diag: tensors must have 2 or fewer dims, tensor "
                               f"{position} has shape {tensor.shape}")
        blocks.append(tensor.reshape(1, -1) if tensor.ndim < 2 else tensor)
    if not blocks:
        return _zeros((1, 0), np.dtype(get_default_dtype()))
    dtype = _result_type(*map(_tensor, tensors))
    width, left, rows = sum(b.shape[1] for b in blocks), 0, []
    for block in blocks:
        height, cols = block.shape
        block = block if block.dtype == dtype else block.astype(dtype)
        rows.append(cat([_zeros((height, left), dtype), block,
                         _zeros((height, width - left - cols), dtype)], 1))
        left += cols
    return cat(rows, 0)


def cartesian_prod(*tensors: Any) -> Tensor:
    """All tuples of one element from each 1-D tensor, as rows (a lone tensor: itself)."""
    tensors = [_tensor(number_operand("cartesian_prod", t, "tensors")) for t in tensors]
    if not tensors or any(t.ndim != 1 for t in tensors):
        raise RuntimeError(f"cartesian_prod: expected 1-D tensors, got shapes "
                           f"{[t.shape for t in tensors]}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([grid.reshape(-1) for grid in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-r combinations of the elements of 1-D `input`, as rows (itertools order)."""
    x = _tensor(input)
    if x.ndim != 1:
        raise RuntimeError(f"combinations: expected a 1-D input, got shape {x.shape}")
    if r < 0:
        raise RuntimeError(f"combinations: r must be non-negative, got {r}")
    if r == 0:
        return x[np.zeros(0, dtype=np.int64)]
    choose = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    index = np.array(list(choose(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return x[index]


def _triangle_indices(name: str, pick: Any, row: int, col: int, offset: int, dtype: Any,
                      placement: tuple, requires_grad: bool = False) -> Tensor:
    check_placement(name, *placement)
    numbers = []
    for position, (argument, value) in enumerate(
            (("row", row), ("col", col), ("offset", offset)), 1):
        if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.kind in "iu":
            value = int(value)  # a 0-d integer Tensor is an int, as PyTorch reads it
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):  # PyTorch's
            raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be "
                            f"int, not {type(value).__name__}")  # TypeError (NumPy floors)
        numbers.append(int(value))
    row, col, offset = numbers
    for argument, value in (("row", row), ("col", col)):  # PyTorch's words
        if value < 0:
            raise RuntimeError(f"{name}: {argument} must be non-negative, got {value}")
    if dtype is not None and np.dtype(dtype) not in (np.int64, np.int32):  # PyTorch's error
        raise DtypeError(f'"{name}" not implemented for {np.dtype(dtype)}: the indices are '
                         f"integers (int64 or int32)")
    return Tensor(np.stack(pick(row, offset, col)).astype(dtype).reshape(2, -1),
                  requires_grad=requires_grad)  # (True: PyTorch's error for integers)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64,
                 device: Any = None, layout: Any = None, pin_memory: bool = False,
                 requires_grad: bool = False) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a row x col matrix."""
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype,
                             (device, layout, pin_memory), requires_grad)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = np.int64,
                 device: Any = None, layout: Any = None, pin_memory: bool = False,
                 requires_grad: bool = False) -> Tensor:
    """The (2, N) row and column indices of the upper triangle of a row x col matrix."""
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype,
                             (device, layout, pin_memory), requires_grad)


@xp.quiet
def vander(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of 1-D `x`: columns x**(N-1), ..., x, 1 (reversed when
    `increasing`); integers become int64."""
    x = _tensor(x)
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be 1-D, got shape {x.shape}")
    columns = x.shape[0] if N is None else N
    if columns < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {N}")
    if x.dtype.kind in "biu" and x.dtype != np.int64:
        x = x.astype(np.int64)
    powers = [Tensor(np.ones(x.shape, dtype=x.dtype))][:columns]
    while len(powers) < columns:
        powers.append(powers[-1] * x)
    if not powers:
        return x.unsqueeze(1)[:, :0]
    return stack(powers if increasing else powers[::-1], 1)


# ----------------------------------------------------------------- products
def _contraction(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.ndim == 0 else dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot: dims={dims} must be in [0, {min(a.ndim, b.ndim)}] "
                               f"for shapes {a.shape} and {b.shape}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    if len(dims) != 2:
        raise RuntimeError(f"tensordot: dims must be an int or a pair of dim lists, got {dims}")
    for position, (argument, value) in enumerate((("dims_self", dims[0]),
                                                  ("dims_other", dims[1])), 3):
        if isinstance(value, (int, np.integer)):  # PyTorch's TypeError (NumPy's axes=(1, 1))
            raise TypeError(f"tensordot(): argument '{argument}' (position {position}) must be "
                            f"tuple of ints, not {type(value).__name__}: write dims=([{value}]"
                            f", [...])")
    pair = [list(d) for d in dims]
    if len(pair[0]) != len(pair[1]):
        raise RuntimeError(f"tensordot: both dim lists must have the same length, got {dims}")
    return ([_wrap_dim("tensordot", d, a.ndim) for d in pair[0]],
            [_wrap_dim("tensordot", d, b.ndim) for d in pair[1]])


def tensordot(a: Any, b: Any, dims: Any = 2) -> Tensor:
    """The sum of a * b over the paired dims: `dims` an int n (the last n of a with the first
    n of b) or a pair of dim lists; the free dims of a then of b remain. A matrix product of
    reshaped views, so the gradient is the matmul's."""
    a, b = _tensor(a), _tensor(b)
    dims_a, dims_b = _contraction(a, b, dims)
    if any(a.shape[i] != b.shape[j] for i, j in zip(dims_a, dims_b)) or \
            len(set(dims_a)) < len(dims_a) or len(set(dims_b)) < len(dims_b):
        raise RuntimeError(f"tensordot: dims {dims_a} of {a.shape} and {dims_b} of {b.shape} "
                           "must be distinct and of equal sizes")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = math.prod(a.shape[d] for d in dims_a)
    rows = math.prod(a.shape[d] for d in free_a)
    cols = math.prod(b.shape[d] for d in free_b)
    left = a.permute(free_a + dims_a).reshape(rows, size)
    right = b.permute(dims_b + free_b).reshape(size, cols)
    return (left @ right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


@xp.quiet
@_node_named("UnsafeViewBackward0")
def kron(input: Any, other: Any) -> Tensor:
    """The Kronecker product: blocks input[i] * other; the shorter shape padded with 1s."""
    for position, (argument, value) in enumerate((("input", input), ("other", other)), 1):
        if isinstance(value, (bool, int, float, complex)):  # PyTorch's TypeError
            raise TypeError(f"kron(): argument '{argument}' (position {position}) must be "
                            f"Tensor, not {type(value).__name__}")
    a, b = _tensor(input), _tensor(other)
    ndim = max(a.ndim, b.ndim)
    shape_a = (1,) * (ndim - a.ndim) + a.shape
    shape_b = (1,) * (ndim - b.ndim) + b.shape
    # (a0, 1, a1, 1, ..) * (1, b0, 1, b1, ..) is (a0, b0, a1, b1, ..): merge each pair
    product = a.reshape([s for n in shape_a for s in (n, 1)]) * \
        b.reshape([s for n in shape_b for s in (1, n)])
    return product.reshape([m * n for m, n in zip(shape_a, shape_b)])


def vdot(input: Any, other: Any) -> Tensor:
    """The dot product of two 1-D tensors of the same size and dtype (a 0-d tensor)."""
    a, b = _tensor(input), _tensor(number_operand("vdot", other))
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(f"vdot: expected two 1-D tensors of the same size, got shapes "
                           f"{a.shape} and {b.shape}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"vdot: expected both vectors to have the same dtype, got "
                           f"{a.dtype.name} "
                           f"and {b.dtype.name}")
    return a @ b


def _check_dims(name: str, **tensors: tuple[Tensor, int]) -> None:
    for argument, (tensor, ndim) in tensors.items():
        if tensor.ndim != ndim:
            raise RuntimeError(f"{name}: {argument} must be {ndim}-D, got shape {tensor.shape}")


def _add_scaled(name: str, input: Any, product: Tensor, beta: float, alpha: float) -> Tensor:
    """beta * input + alpha * product, input broadcast to the product's shape; beta = 0
    ignores input (its NaN and inf do not spread), as PyTorch."""
    x = _tensor(input)
    if _broadcast_shape(name, x.shape, product.shape) != product.shape:
        raise RuntimeError(f"{name}: input of shape {x.shape} does not broadcast to the "
                           f"product's shape {product.shape}")
    if name != "addr" and isinstance(input, (Tensor, np.ndarray)):  # (addr promotes; a
        refuse_integer_mix(name, x.dtype, product.dtype)  # number or list is data, weak)
    if product.dtype.kind in "iu":  # integer products: the scales truncated, as PyTorch
        beta, alpha = int(beta), int(alpha)
    product = product if alpha == 1 else product * alpha
    if beta == 0:  # input ignored (its NaN and inf do not spread), gradient 0 as PyTorch's
        result = product + x._graph_zero() if x.requires_grad else product
    else:
        result = product + (x if beta == 1 else x * beta)
    return pytorch_named(result, name.capitalize() + "Backward0")  # (a fresh product: its own)


def _batch_product(name: str, batch1: Any, batch2: Any) -> Tensor:
    """batch1 @ batch2 for (b, n, m) and (b, m, p) batches, checked."""
    b1, b2 = _tensor(batch1), _tensor(batch2)
    _check_dims(name, batch1=(b1, 3), batch2=(b2, 3))
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"{name}: batch1 {b1.shape} and batch2 {b2.shape} do not multiply")
    return b1 @ b2


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: float = 1,
            alpha: float = 1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2) for (b, n, m) and (b, m, p) batches."""
    return _add_scaled("baddbmm", input, _batch_product("baddbmm", batch1, batch2), beta, alpha)


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: float = 1,
           alpha: float = 1) -> Tensor:
    """beta * input + alpha * (sum over the batch of batch1[i] @ batch2[i])."""
    batched = _batch_product("addbmm", batch1, batch2)
    product = batched.sum(0, dtype=batched.dtype)  # (integers stay in their dtype, as PyTorch)
    return _add_scaled("addbmm", input, product, beta, alpha)


def addmv(input: Any, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec) for an (n, m) mat and an (m,) vec."""
    m, v = _tensor(mat), _tensor(vec)
    _check_dims("addmv", mat=(m, 2), vec=(v, 1))
    if m.shape[1] != v.shape[0]:
        raise RuntimeError(f"addmv: mat {m.shape} and vec {v.shape} do not multiply")
    return _add_scaled("addmv", input, m @ v, beta, alpha)


def addr(input: Any, vec1: Any, vec2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2)."""
    v1, v2 = _tensor(vec1), _tensor(vec2)
    _check_dims("addr", vec1=(v1, 1), vec2=(v2, 1))
    if v1.dtype.kind in "biu" and (isinstance(beta, float) or isinstance(alpha, float)):
        raise RuntimeError(f"addr: for integral input tensors, beta and alpha must not be "
                          f"floating point numbers (got beta={beta}, alpha={alpha})")
    return _add_scaled("addr", input, v1.outer(v2), beta, alpha)


def chain_matmul(*matrices: Any) -> Tensor:
    """The product of 2-D matrices, left to right (PyTorch deprecates it for
    linalg.multi_dot)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul: expected one or more matrices")
    matrices = [_tensor(m) for m in matrices]
    for position, matrix in enumerate(matrices):
        if matrix.ndim != 2:
            raise RuntimeError(f"chain_matmul: matrix {position} must be 2-D, got shape "
                               f"{matrix.shape}")
    result = matrices[0] if len(matrices) > 1 else matrices[0].clone()
    for matrix in matrices[1:]:
        if result.shape[1] != matrix.shape[0]:
            raise RuntimeError(f"chain_matmul: shapes {result.shape} and {matrix.shape} do "
                               "not multiply")
        result = result @ matrix
    return result


# ----------------------------------------------------------------- reductions and statistics
aminmax_result = MinMax = return_types.aminmax  # (the names it had)


def aminmax(input: Any, *, dim: int | None = None, keepdim: bool = False) -> MinMax:
    """(amin, amax) over `dim` (all elements by default); ties share the gradient."""
    x = _tensor(input)
    axis = None if dim is None else _wrap_dim("aminmax", dim, x.ndim)
    if x.numel() == 0 if axis is None or x.ndim == 0 else x.shape[axis] == 0:
        raise IndexOutOfBounds(f"aminmax: cannot reduce an empty dim (shape {x.shape}, "
                               f"dim={dim})")
    if x.ndim == 0:
        return MinMax(x.reshape(()), x.reshape(()))
    return MinMax(pytorch_named(x.amin(axis, keepdim=keepdim), "AminmaxBackward0"),
                  pytorch_named(x.amax(axis, keepdim=keepdim), "AminmaxBackward0"))


def msort(input: Any) -> Tensor:
    """`input` sorted along dim 0."""
    return _tensor(input).sort(0)[0]


def nanmedian(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median ignoring NaNs (NaN only when all are NaN). Without dim, a 0-d tensor
    (ties share the gradient); with dim, (values, indices)."""
    x = _tensor(input)
    refuse_bool_median("nanmedian", x, dim)
    nans = np.isnan(x._data) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=np.bool_)
    if dim is None:  # (PyTorch's node: NanmedianBackward0)
        if nans.all() or not nans.any():
            return pytorch_named(x.median(), "NanmedianBackward0")
        return pytorch_named(x[np.asarray(~nans)].median(), "NanmedianBackward0")
    axis = _wrap_dim("nanmedian", dim, x.ndim)
    if x.ndim == 0:
        return return_types.nanmedian(x.reshape(()), Tensor(np.asarray(0)))
    if x.shape[axis] == 0:
        raise IndexError(f"nanmedian: cannot pick from an empty dim {dim} of shape {x.shape}")
    order = np.argsort(x._data, axis=axis, kind="stable")  # NaNs last
    middle = np.maximum((np.sum(~nans, axis=axis, keepdims=True) - 1) // 2, 0)
    index = np.take_along_axis(order, middle, axis=axis).astype(np.int64)
    # an all-NaN slice: the NaN PyTorch's nth_element leaves first (its comparator calls
    # every NaN equal), which gets the gradient
    all_nan = nans.all(axis=axis, keepdims=True)
    if all_nan.any():
        index = np.where(all_nan, cpu_order.all_equal_nth(x.shape[axis]), index)
    values = x._gather(axis, index)
    if not keepdim:
        values, index = values.squeeze(axis), np.squeeze(index, axis)
    return return_types.nanmedian(values, Tensor(index))


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """`input` with each run of equal consecutive elements (or slices along `dim`) kept once;
    optionally the run number of every element and each run's length. Not differentiable: a
    gradient reaching the values raises, as PyTorch's."""
    x = _tensor(input)
    data = x._data
    if dim is None:
        runs = data.reshape(-1)
        changes = runs[1:] != runs[:-1]
    else:
        axis = _unique_axis("unique_consecutive", data, dim)
        runs = np.moveaxis(data, axis, 0)
        changes = (runs[1:] != runs[:-1]).reshape(max(len(runs) - 1, 0),
                                                  math.prod(runs.shape[1:])).any(1)
    starts = np.flatnonzero(np.concatenate([[len(runs) > 0], changes]))
    values = runs[starts] if dim is None else np.moveaxis(runs[starts], 0, axis)
    result = [NoDerivative.apply(values, x, "unique_consecutive") if x.requires_grad
              else Tensor(values)]
    if return_inverse:
        inverse = np.cumsum(np.concatenate([[0], changes]))[:len(runs)].astype(np.int64)
        result.append(Tensor(inverse.reshape(data.shape) if dim is None else inverse))
    if return_counts:
        result.append(Tensor(np.diff(np.append(starts, len(runs))).astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def _samples(op: str, y: Any, dim: int) -> tuple[Tensor, int]:
    """y as a tensor of at least 1 dim, and `dim` as its axis."""
    y = _tensor(y)
    if y.ndim == 0:
        raise IndexError(f"{op}: y must have at least 1 dim, got a 0-d tensor")
    if y.dtype.kind == "b":
        raise TensorError(f"{op}: received a bool input for `y`, but bool is not supported")
    return y, _wrap_dim(op, dim, y.ndim)


def _trapezoids(op: str, y: Any, x: Any, dx: float | None, dim: int) -> tuple[Tensor, int]:
    """The area of each interval between neighbouring samples along `dim`, and that axis."""
    y, axis = _samples(op, y, dim)  # integers stay integers: neighbours' sums wrap (uint8
    if x is not None and dx is not None:  # 200 + 100 is 44), as PyTorch computes them
        raise TypeError(f"{op}: pass x or dx, not both")
    size = y.shape[axis]
    pairs = y.narrow(axis, 0, max(size - 1, 0)) + y.narrow(axis, min(size, 1), max(size - 1, 0))
    if x is None:
        return pairs * ((1 if dx is None else dx) / 2), axis
    x = _tensor(x)
    if x.dtype.kind == "b":
        raise TensorError(f"{op}: received a bool input for `x` or `y`, but bool is not supported")
    if x.ndim == 1:
        if x.shape[0] != size:
            raise RuntimeError(f"{op}: x of shape {x.shape} needs {size} points, the size "
                               f"of dim {dim} of y {y.shape}")
        spacing = (x[1:] - x[:-1]).reshape([-1 if d == axis else 1 for d in range(y.ndim)])
    else:
        spacing = x.diff(dim=dim)
    return pairs * spacing / 2, axis


@xp.quiet
def trapezoid(y: Any, x: Any = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along `dim`: samples `y` at points `x` (1-D of y's length along
    dim, or broadcasting with y), or spaced `dx` apart (1 by default). Evenly spaced, as
    PyTorch: (sum(y) - (first + last) / 2) * dx, so float16 pairs do not overflow and
    [0, 5, -inf] gives nan. No samples give 0 in y's dtype (int64 stays int64)."""
    y, axis = _samples("trapezoid", y, dim)
    if y.shape[axis] == 0:
        return y.sum(axis)
    if x is not None:
        return _trapezoids("trapezoid", y, x, dx, dim)[0].sum(axis)
    ends = y.select(axis, 0) + y.select(axis, -1)  # (in y's dtype: uint8 wraps, as PyTorch)
    return (y.sum(axis) - ends * 0.5) * (1 if dx is None else dx)


@xp.quiet
def cumulative_trapezoid(y: Any, x: Any = None, *, dx: float | None = None,
                         dim: int = -1) -> Tensor:
    """The running trapezoidal rule along `dim` (one value fewer than y has there)."""
    areas, axis = _trapezoids("cumulative_trapezoid", y, x, dx, dim)
    return areas.cumsum(axis)


def trapz(y: Any, x: Any = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule (the older name of trapezoid)."""
    return trapezoid(y, x, dx=dx, dim=dim)


@xp.quiet
@_node_named("DistBackward0")
def dist(input: Any, other: Any, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcasting), over all elements."""
    a, b = _tensor(input), _tensor(number_operand("dist", other))
    _broadcast_shape("dist", a.shape, b.shape)
    return pytorch_named((a - b).norm(p), "DistBackward0")


def renorm(input: Any, p: float, dim: int, maxnorm: float) -> Tensor:
    """`input` with each slice along `dim` whose p-norm exceeds `maxnorm` scaled down to it
    (maxnorm / (norm + 1e-7), as PyTorch; the gradient includes the norm's)."""
    return _tensor(input).renorm(p, dim, maxnorm)


def pdist(input: Any, p: float = 2) -> Tensor:
    """The p-norm distance between each pair of rows i < j of an (N, M) input, as a vector
    of N (N - 1) / 2 (pairs in row-major order); exact (no matrix product, as PyTorch),
    in blocks of rows."""
    x = _tensor(input)
    if x.ndim != 2:
        raise RuntimeError(f"pdist: expected a 2-D input, got shape {x.shape}")
    if p < 0:
        raise RuntimeError(f"pdist: p must be non-negative, got {p}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"pdist: only supports floating-point dtypes, got {x.dtype.name}")
    first, second = np.triu_indices(x.shape[0], 1)  # (the pairs of the exact cdist, in blocks)
    pairs = CDist.apply(x, x, float(p), True)  # (the diagonal's x - x gets no gradient)
    return pytorch_named(pairs.reshape(-1)._index_select(0, first * x.shape[0] + second),
                         "PdistBackward0")


def _weights(name: str, weights: Any, observations: int, kind: str) -> Tensor | None:
    if weights is None:
        return None
    w = _tensor(weights)
    if w.ndim > 1 or w.numel() != observations:
        raise RuntimeError(f"cov: {name} must be 1-D with one weight per observation "
                           f"({observations}), got shape {w.shape}")
    if w.dtype.kind not in kind:
        raise RuntimeError(f"cov: {name} must have {'an integer' if kind == 'iu' else 'a float'}"
                           f" dtype, got {w.dtype.name}")
    if (w._data < 0).any():
        raise RuntimeError(f"cov: {name} cannot be negative")
    return w.reshape(-1)


def cov(input: Any, *, correction: int = 1, fweights: Any = None,
        aweights: Any = None) -> Tensor:
    """The covariance matrix of the variables in the rows of `input` (observations in the
    columns; a 1-D input is one variable), with frequency and observation weights."""
    x = _tensor(input)
    if x.ndim > 2:
        raise RuntimeError(f"cov: expected an input of 2 or fewer dims, got shape {x.shape}")
    x = x.reshape(1, -1) if x.ndim < 2 else x
    if x.dtype.kind == "b":
        raise TensorError("cov(): bool dtype is not supported for input (as PyTorch); convert "
                          "with .long() or .float() first")
    if x.dtype.kind != "f":
        x = x.astype(get_default_dtype())
    observations = x.shape[1]
    f = _weights("fweights", fweights, observations, "iu")
    a = _weights("aweights", aweights, observations, "f")
    w = f if a is None else a if f is None else f * a
    if w is None:
        mean, factor = x.mean(1, keepdim=True), observations - correction
    else:
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        factor = total - (correction * (w * a).sum() / total if a is not None and correction
                          else correction)
    if factor <= 0:
        warnings.warn("cov: degrees of freedom is <= 0 (correction too large for the number "
                      "of observations)", UserWarning, stacklevel=2)
        factor = 0.0
    centred = x - mean
    return ((centred if w is None else centred * w) @ centred.mT / factor).squeeze()


def corrcoef(input: Any) -> Tensor:
    """Pearson correlation coefficients of the rows of `input` (cov normalised by the
    standard deviations), clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    stddev = c.diagonal().sqrt()
    return (c / stddev.unsqueeze(1) / stddev.unsqueeze(0)).clamp(-1, 1)


# ----------------------------------------------------------------- random
def dropout(input: Any, p: float, train: bool) -> Tensor:
    """torch.dropout(input, p, train): nn.functional.dropout with training=train."""
    from tinygrad_np.nn.functional import dropout as functional_dropout

    return functional_dropout(_tensor(input), p, training=train)


def randint_like(input: Any, low: int | None = None, high: int | None = None, *,
                 generator: Any = None, dtype: Any = None, requires_grad: bool = False,
                 device: Any = None, memory_format: Any = None, layout: Any = None,
                 pin_memory: bool = False) -> Tensor:
    """Integers uniform in [low, high) in `input`'s shape and dtype: randint_like(x, high)
    or randint_like(x, low, high)."""
    if high is None:
        if low is None:
            raise TypeError("randint_like: missing the high bound")
        low, high = 0, low
    x = _tensor(input)
    result = randint(0 if low is None else low, high, x.shape, generator=generator,
                     dtype=dtype or x.dtype, requires_grad=requires_grad, device=device,
                     layout=layout, pin_memory=pin_memory)
    if memory_format is contiguous_format or x._data.flags.c_contiguous and (
            memory_format is None or memory_format is preserve_format):
        return result
    values = result._data
    if (memory_format is None or memory_format is preserve_format) and permuted_dense(x._data):
        values = in_memory_order(values.reshape(-1), x._data)  # (PyTorch fills memory in order)
    return Tensor(_laid_out_like(values, x._data, memory_format, "randint_like"),
                  requires_grad=requires_grad)


def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002
    """The n-th derivative of digamma, PyTorch's argument order (`torch.polygamma(n, x)`)."""
    return _tensor(input).polygamma(n)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool | None = None) -> Tensor:
    """`torch.asarray`: a tensor sharing obj's memory when it can (a Tensor, an ndarray of
    the dtype asked for), a copy when `copy=True` or when it must convert (PyTorch's
    ValueError with `copy=False`). A tensor's copy stays in its graph, as PyTorch's, unless
    `requires_grad=False`."""
    as_device(device, "asarray")
    if type(obj) not in _PLAIN_DATA and is_torch_tensor(obj):
        obj = torch_values(obj)  # a real torch tensor: its values, sharing its memory
    source = obj._data if isinstance(obj, Tensor) else obj
    converts = (dtype is not None and isinstance(source, np.ndarray)
                and np.dtype(dtype) != source.dtype)
    if copy is False and converts:
        raise ValueError(f"asarray: can't alias a {source.dtype.name} {type(obj).__name__} as "
                         f"{np.dtype(dtype)} (copy=False); leave copy out to convert")
    if isinstance(obj, Tensor):
        if requires_grad is None and obj.requires_grad:  # (PyTorch's warning, every time)
            warnings.warn("torch.asarray: unspecified requires_grad now defaults to "
                          "obj.requires_grad instead of False (a copy is in obj's graph). "
                          "Pass requires_grad=False explicitly to get the old behavior and "
                          "silence this warning.", UserWarning, stacklevel=2)
        if requires_grad is False and not (copy or converts) and obj.requires_grad:
            # the same memory without the graph, as PyTorch: a leaf stops requiring grad
            return obj.requires_grad_(False) if obj.grad_fn is None else obj.detach()
        result = obj.detach() if requires_grad is False and (copy or converts) else obj
        result = result.to(dtype) if converts else result.clone() if copy else result
        return result.requires_grad_(True) if requires_grad and not result.requires_grad \
            else result
    if copy is False and not isinstance(obj, np.ndarray):
        raise TensorError("asarray: copy=False but a copy is needed to make a tensor of a "
                          f"{type(obj).__name__}")
    result = _tensor(obj, dtype)
    if copy and np.may_share_memory(result._data, source):
        result = Tensor(result._data.copy())
    return result.requires_grad_(True) if requires_grad else result


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False, layout: Any = None,
                  pin_memory: bool = False) -> Tensor:
    """A 0-d tensor of the number s (float32 by default, as PyTorch)."""
    check_placement("scalar_tensor", device, layout, pin_memory)
    return Tensor(np.asarray(s, dtype=dtype or get_default_dtype()),
                  requires_grad=requires_grad)


def broadcast_shapes(*shapes: Any) -> Any:
    """The shape the given shapes broadcast to, as a Size (a RuntimeError if they do not)."""
    try:
        return Size(np.broadcast_shapes(*((s,) if isinstance(s, int) else tuple(s)
                                          for s in shapes)))
    except ValueError as error:
        raise TensorError(f"broadcast_shapes: shapes {list(shapes)} do not broadcast "
                          f"({error})") from None


def _integer_pair(name: str, ufunc: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    data_operand(name, input, "input")
    data_operand(name, number_operand(name, other))  # (None or a string: TypeError too)
    a = _tensor(input)
    b = other._data if isinstance(other, Tensor) else np.asarray(other)
    target = promoted_operands(a._data, b)[2]  # PyTorch's promotion (a 0-d tensor is weak)
    if target is None or target.kind not in "iu" or b.dtype.kind not in "biu":
        raise DtypeError(f"{name}: defined for integer tensors, got {a.dtype.name} and "
                         f"{b.dtype.name}")
    _broadcast_shape(name, a.shape, np.shape(b))  # each operand cast to it first (wraps)
    return Tensor(np.asarray(ufunc(a._data.astype(target), b.astype(target))))


def gcd(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The elementwise greatest common divisor of integer tensors (non-negative)."""
    return _integer_pair("gcd", np.gcd, input, other)


def lcm(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The elementwise least common multiple of integer tensors (non-negative)."""
    return _integer_pair("lcm", np.lcm, input, other)


def clamp_(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    """`torch.clamp_(t, min, max)`: t.clamp_(min, max)."""
    tensor_operand("clamp_", input, "input")
    return input.clamp_(min, max)


@_node_named("LdexpBackward0")
def ldexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input * 2**other, a float result in the promoted float dtype (gradient to both, as the
    product). The power is applied in three parts, so a result that fits does not overflow
    on the way (1e-30 * 2**130), and an exponent past any the dtype can use (inf, or 997 in
    float16) is clamped to one that gives the same 0 or inf."""
    x, exponent = tensor_operand("ldexp", input, "input"), tensor_operand("ldexp", other)
    if exponent.dtype.kind == "b" and x.dtype.kind == "f":  # (PyTorch: no such kernel)
        raise DtypeError("ldexp: not implemented for a float input with a bool `other` (the "
                         "exponent), as in PyTorch; convert it with .long() first")
    _broadcast_shape("ldexp", x.shape, exponent.shape)
    dtype = _float_dtype(_result_type(x, exponent))
    info = np.finfo(dtype)
    reach = float(info.maxexp - info.minexp + info.nmant)  # 2**reach takes 0 to inf
    x, given = x.to(dtype), exponent.to(dtype)
    e = np.clip(given._data, -reach, reach)  # (NaN stays NaN)
    with np.errstate(all="ignore"):  # a result past the range is inf or 0, quietly
        first = np.floor(e / 3)
        second = np.floor((e - first) / 2)
        values = (x._data * 2.0**first * 2.0**second * 2.0 ** (e - first - second)).astype(dtype)
        power = np.exp2(given._data)  # x * 2**e itself where e is +-inf, or where a float e
        infinite = np.isinf(given._data)  # makes it 0 * inf or inf * 0 (NaN, as PyTorch)
        if exponent.dtype.kind == "f":
            infinite = infinite | ((np.isinf(power) | (power == 0))
                                   & ((x._data == 0) | np.isinf(x._data)))
        values = np.where(infinite, x._data * power, values).astype(dtype)
        if not (x.requires_grad or given.requires_grad):
            return Tensor(values)
        slope = values * np.log(2.0).astype(dtype)  # d/de x 2**e = x 2**e log 2
        result = ScaledCopy.apply(values, x, np.exp2(given._data))  # dx = g 2**e
    if given.requires_grad:
        result = result + ScaledCopy.apply(np.full_like(values, -0.0), given, slope)  # (-0.0:
        # x stays -0.0)
    return result


@_node_named("AngleBackward0")
def angle(input: Any) -> Tensor:  # noqa: A002
    """The argument of a real number: 0 where input >= 0, pi where it is negative (NaN
    stays NaN), a float result; its gradient is 0, as PyTorch's for real inputs."""
    x = _tensor(input)
    data = x._data.astype(get_default_dtype()) if x.dtype.kind != "f" else x._data
    values = np.where(np.isnan(data), data, np.where(data < 0, np.pi, 0.0)).astype(data.dtype)
    return MaskedBy.apply(values, x) if x.requires_grad and x.dtype.kind == "f" else Tensor(
        values)  # (MaskedBy: the result depends on x with derivative 0)


# As torch.return_types.frexp: a (mantissa, exponent) named tuple.
FrexpResult = return_types.frexp


def frexp(input: Any) -> FrexpResult:  # noqa: A002
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1)
    (int32 exponents, as PyTorch); d mantissa = g * 2**-exponent."""
    x = _tensor(input)
    if x.dtype.kind != "f":
        raise RuntimeError(f"frexp: expected a floating-point input, got {x.dtype.name}")
    mantissa, exponent = np.frexp(x._data)
    exponents = Tensor(exponent.astype(np.int32))
    if x.requires_grad:
        with np.errstate(over="ignore"):  # (the slope past a tiny subnormal: inf)
            scale = np.ldexp(np.ones((), x.dtype), -exponent)
        return FrexpResult(ScaledCopy.apply(mantissa, x, scale), exponents)
    return FrexpResult(Tensor(mantissa), exponents)


def nextafter(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The next representable float after input in the direction of other;  dinput = g
    where input != other (0 where they are equal: the result is other), dother = 0, as
    PyTorch's."""
    x = tensor_operand("nextafter", input, "input")
    y = float_operands("nextafter", x, other)
    _broadcast_shape("nextafter", x.shape, y.shape)
    dtype = _float_dtype(_result_type(x, y))  # PyTorch's promotion (ints: the default float)
    start, towards = x._data.astype(dtype), y._data.astype(dtype)
    values = np.where(start == towards, towards, np.nextafter(start, towards))  # (other's zero:
    # C's rule, which NumPy's float16 nextafter breaks: nextafter(0.0, -0.0) is -0.0)
    if x.requires_grad or y.requires_grad:
        moved = (x._data != y._data).astype(dtype)
        return ScaledCopy.apply(values, x.astype(dtype), moved, y)
    return Tensor(values)


def ger(input: Any, vec2: Any) -> Tensor:  # noqa: A002
    """The outer product of two vectors (PyTorch's older name of outer)."""
    return _tensor(input).outer(vec2)


# As torch.return_types.histogram: a (hist, bin_edges) named tuple.
HistogramResult = return_types.histogram


@xp.quiet
def histogram(input: Any, bins: Any = 100, *, range: Any = None,  # noqa: A002
              weight: Any = None, density: bool = False) -> HistogramResult:
    """(hist, bin_edges) of a float tensor: `bins` equal bins over `range` (the data's range
    by default) or the given edges; `weight` per value; `density` normalises the area to 1.
    As torch.histogram (its errors too); edges that do not increase are searched as PyTorch
    searches them. No gradient."""
    source = _tensor(input)._data
    if source.dtype.kind != "f":
        raise RuntimeError(f"histogram: expected a floating-point input, got {source.dtype.name}")
    if source.dtype == np.float16:  # PyTorch's CPU has no float16 kernel
        raise DtypeError("histogram: \"histogramdd\" not implemented for 'Half' (convert "
                         "the input with .float() first)")
    data = source.reshape(-1)
    weights = None if weight is None else _histogram_weights(_tensor(weight)._data, source)
    if isinstance(bins, (Tensor, np.ndarray, list)):
        if range is not None:  # PyTorch's signature has no range with edges: its TypeError
            raise TypeError("histogram(): range= goes with a number of bins, not with a "
                            "tensor of bin edges (the edges already give the range)")
        edges = _histogram_edges(_tensor(bins)._data, data.dtype)
        counts = _binned(data, edges, weights)
    else:
        if int(bins) <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               "dimension 0")
        low, high = _histogram_range(data, range)
        counts, edges = np.histogram(data, int(bins), range=(low, high), weights=weights)
    if density:  # as PyTorch: hist / (total * bin widths)
        with np.errstate(divide="ignore", invalid="ignore"):
            counts = counts / (counts.sum() * np.diff(edges))
    return HistogramResult(no_derivative_of(Tensor(counts.astype(data.dtype)), "histogram",
                                            input, weight),
                           Tensor(np.asarray(edges, dtype=data.dtype)))


def _histogram_weights(weights: np.ndarray, data: np.ndarray) -> np.ndarray:
    if weights.shape != data.shape or weights.dtype != data.dtype:
        raise RuntimeError(f"torch.histogramdd: weight must have the input's shape {data.shape} "
                           f"and dtype {data.dtype}, got {weights.dtype.name} of shape "
                           f"{weights.shape}")
    return weights.reshape(-1)


def _histogram_edges(edges: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if edges.ndim != 1 or edges.dtype != dtype:
        raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension and the "
                           f"input's dtype {dtype}, got {edges.dtype.name} of shape {edges.shape}")
    if edges.size < 2:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {edges.size - 1} "
                           f"for dimension 0")
    return edges


def _histogram_range(data: np.ndarray, given: Any) -> tuple[float, float]:
    """The (min, max) the bins span: `given`, else the data's (0 to 1 with no data)."""
    if given is not None and len(given) != 2:
        raise RuntimeError(f"torch.histogramdd: for a 1-dimensional histogram range should "
                           f"have 2 elements, but got {len(given)}")
    low, high = (float(v) for v in given) if given is not None else (
        (float(data.min()), float(data.max())) if data.size else (0.0, 1.0))
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{low}, {high}] is not "
                           f"finite")
    if low > high:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {low} "
                           f"max {high} for dimension 0")
    return low, high


def _binned(data: np.ndarray, edges: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """PyTorch's binning by given edges: values outside [edges[0], edges[-1]] (and NaN)
    dropped, the rest binned by a binary search (upper bound) even where the edges do not
    increase; the last edge belongs to the last bin."""
    inside = (data >= edges[0]) & (data <= edges[-1])
    where = _bisected(edges, data[inside], right=True) - 1
    where = np.minimum(where, edges.size - 2)
    return np.bincount(where, None if weights is None else weights[inside],
                       minlength=edges.size - 1)


def unravel_index(indices: Any, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates in `shape` of flat indices (int64 tensors, one per dim), as
    `torch.unravel_index`; negative indices count from the end."""
    flat = _tensor(indices)._data
    if flat.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected integer indices, got {flat.dtype}")
    dims = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))
    size = math.prod(dims)
    if flat.size and (flat.max() >= size or flat.min() < -size):
        raise RuntimeError(f"unravel_index: indices out of range for shape {dims}")
    return tuple(Tensor(part.astype(np.int64)) for part in np.unravel_index(flat % max(size, 1),
                                                                            dims))


def range_(start: float = 0, end: float | None = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False, device: Any = None, layout: Any = None) -> Tensor:
    """PyTorch's deprecated `torch.range`: start to end *inclusive*, in the default float
    dtype (warns, as PyTorch; use `arange`, which excludes the end)."""
    check_placement("range", device, layout)
    warnings.warn("torch.range is deprecated in favor of torch.arange, which excludes the end",
                  UserWarning, stacklevel=2)
    if end is None:  # (PyTorch's range needs both bounds)
        raise TypeError("range() missing 1 required positional argument: 'end'")
    start, end, step = (_item(start, "range", "start"), _item(end, "range", "end"),
                        _item(step, "range", "step"))
    if dtype is not None and np.dtype(dtype) == np.bool_:
        raise DtypeError("range: not implemented for bool, as in PyTorch")
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    count = max(math.floor((end - start) / step) + 1, 0)
    values = start + step * np.arange(count, dtype=np.float64)
    return Tensor(values.astype(dtype if dtype is not None else get_default_dtype()),
                  requires_grad=requires_grad)
