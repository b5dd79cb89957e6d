"""The dtype policy in one place: the default floating-point dtype (what a Python float or a
list of floats becomes), the result of an op (as_result), PyTorch's type promotion with its
operands cast first (result_dtype, promoted_operands), and PyTorch's dtype objects (`dtype`:
torch.float32 and its names; the arrays keep NumPy's dtypes, which the objects wrap).

float32 by default, as in PyTorch: it halves memory and doubles BLAS speed against float64,
and is precise enough for training. Gradient checks switch to float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.errors import IntegerOverflowError

_default_float: type[np.floating] = np.float32


def set_default_dtype(dtype: Any) -> None:
    """Make `dtype` (float32, float64 or float16, as PyTorch's) the dtype of new float
    tensors."""
    global _default_float
    kind = np.dtype(dtype)
    if kind not in (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)):
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type (float32, float64, float16), got {kind}")
    _default_float = kind.type


def get_default_dtype() -> dtype:
    """The dtype that Python floats become: float32 unless set_default_dtype changed it (the
    dtype object itself: `get_default_dtype() is torch.float32`, as PyTorch)."""
    return _BY_NUMPY[np.dtype(_default_float)]


_FLOAT64, _FLOAT16 = np.dtype(np.float64), np.dtype(np.float16)


def _dtype_of(operand: Any) -> np.dtype | None:
    """An operand's dtype (a dtype passed as an argument is its own), None for numbers."""
    return operand if isinstance(operand, np.dtype) else getattr(operand, "dtype", None)


def as_result(output: Any, operands: Any, op: Any = None) -> np.ndarray:
    """The one home of the result policy: what an op's forward returned, as its result array.

    An ndarray always (NumPy returns scalars from 0-d operations), and PyTorch's dtype where
    NumPy's differs: a float64 result needs a float64 operand (int64 + float32, int / int and
    exp(int) give float32, the default float dtype), and a float16 result needs a float16
    operand (exp(bool) is float32). Only float64 and float16 results pay for the check.
    """
    if type(output) is not np.ndarray:
        if isinstance(output, (tuple, list)):  # np.asarray would stack them into one array
            raise TypeError(f"Function.forward returned a {type(output).__name__} of "
                            f"{len(output)}: an op has one output, an ndarray (or a number)")
        output = np.asarray(output)
    if output.dtype.kind in "iu" and getattr(op, "promotes", False):
        return _promoted(output, operands)
    if output.dtype is _FLOAT16 and not any(_dtype_of(a) is _FLOAT16 for a in operands):
        return output.astype(_default_float)  # exp(bool), sqrt(uint8): NumPy's float16
    if output.dtype is not _FLOAT64:
        return output  # (with a float64 default too: a float16 input computed in float64)
    for operand in operands:
        if _dtype_of(operand) is _FLOAT64:
            # a 0-d float64 operand only counts when no n-d operand is a float, as PyTorch's
            # result_type: float32 (3,) + float64 () is float32
            floats = [a.dtype for a in operands if getattr(a, "ndim", 0) and a.dtype.kind == "f"]
            if isinstance(operand, (np.dtype, dtype)) or operand.ndim or not floats:
                return output
            return output.astype(np.result_type(*floats))
    # No float64 operand: the widest float operand's dtype (float16 + int64 is float16, as
    # PyTorch; NumPy says float64), else the default float (int / int)
    floats = [dtype for dtype in map(_dtype_of, operands)
              if dtype is not None and dtype.kind == "f"]
    target = max(floats, key=lambda dtype: dtype.itemsize) if floats else _default_float
    return output if target is np.float64 else output.astype(target)


_INT_RANGES = {np.dtype(t): (np.iinfo(t).min, np.iinfo(t).max) for t in (
    np.uint8, np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64)}


# The dtype that running sums (cumsum, cumprod) and spreads (var, std) of a float dtype are
# computed in, as PyTorch's CPU kernels accumulate: a float32 sum of 1e6 values of 0.1 drifts.
WIDER_ACCUMULATOR = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64}


def wrapped_int(value: Any, dtype: np.dtype) -> Any:
    """A Python int outside integer `dtype`'s range as that dtype's wrapped value (uint8:
    -1 -> 255, 300 -> 44), as PyTorch computes (NumPy raises OverflowError); anything else
    unchanged."""
    bounds = _INT_RANGES.get(dtype) if type(value) is int else None
    if bounds is None or bounds[0] <= value <= bounds[1]:
        return value
    _check_int64(value)
    return np.array(value).astype(dtype)


def _check_int64(number: int) -> None:
    """A Python int operand must fit int64 or uint64, as PyTorch's (2**64 would wrap to 0
    silently; 2**63 wraps into an integer dtype, as there)."""
    if not -(2**63) <= number < 2**64:
        raise IntegerOverflowError(f"the Python int {number} does not fit in int64 or uint64, "
                                   f"the range PyTorch takes a number operand from")


def _promoted(output: np.ndarray, operands: Any) -> np.ndarray:
    """An integer result of an op that promotes its operands (`promotes = True`: arithmetic,
    where, maximum, ...) in PyTorch's dtype: a 0-d tensor does not widen the n-d operands of
    its kind (int16 + tensor(1) is int16, uint8 * tensor(-5) wraps in uint8)."""
    arrays = [a for a in operands if type(a) is np.ndarray and a.dtype.kind in "biu"]
    if any(type(a) is int for a in operands) and all(a.dtype.kind == "b" for a in arrays):
        return output.astype(np.int64)  # bool ** 2 is int64 (NumPy: int8), as bool + 1
    shaped = [a.dtype for a in arrays if a.ndim]
    if len(shaped) == len(arrays) or not shaped:
        return output
    kind = max(dtype.kind != "b" for dtype in shaped)  # 0: only bools, 1: integers
    wider = [a.dtype for a in arrays if not a.ndim and (a.dtype.kind != "b") > kind]
    target = np.result_type(*shaped, *wider)
    return output if target == output.dtype else output.astype(target)


# ----------------------------------------------------------------- PyTorch's dtype objects
_SCALAR_TYPES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                 "int32": "Int", "int64": "Long", "uint16": "UInt16", "uint32": "UInt32",
                 "uint64": "UInt64", "float8_e4m3fn": "Float8_e4m3fn",
                 "float8_e5m2": "Float8_e5m2"}
_ABBREVIATIONS = {"bfloat16": "bf16", "float8_e4m3fn": "f8e4m3fn", "float8_e5m2": "f8e5m2"}
_COMPLEX_OF = {"float16": "complex32", "bfloat16": "complex64", "float32": "complex64",
               "float64": "complex128"}
_BY_NAME: dict[str, dtype] = {}


class dtype:  # noqa: N801  (PyTorch's name)
    """PyTorch's dtype (`torch.float32`): prints as PyTorch's, carries `is_floating_point`,
    `is_signed`, `is_complex`, `itemsize`, `to_real()`, `to_complex()`, and is one object per
    dtype (`x.dtype is torch.float32`). Its `dtype` attribute is NumPy's dtype, so any NumPy
    function takes it (`np.zeros(3, torch.float16)`), and it equals NumPy's dtype and type
    (`x.dtype == np.float32`, unlike PyTorch's); NumPy's other attributes (`kind`, `name`,
    `type`, `char`) are NumPy's. Internal code works on the arrays' NumPy dtypes. As in
    PyTorch, a Python type or a string is no dtype: `torch.float64 == float` and
    `torch.float32 == "float32"` are False."""

    __slots__ = ("name", "dtype", "kind", "itemsize", "is_floating_point", "is_complex",
                 "is_signed")

    def __new__(cls, *args: Any, **kwargs: Any) -> dtype:
        raise TypeError("cannot create 'torch.dtype' instances")

    @classmethod
    def _named(cls, name: str, numpy: np.dtype | None, kind: str, itemsize: int) -> dtype:
        """The one instance of PyTorch's dtype `name` (NumPy's `numpy`, None if none)."""
        self = object.__new__(cls)
        self.name, self.kind, self.itemsize = name, kind, itemsize
        if numpy is not None:
            self.dtype = numpy
            _BY_NUMPY[numpy] = self
        self.is_floating_point, self.is_complex = kind == "f", kind == "c"
        self.is_signed = kind not in "bu"
        _BY_NAME[name] = self
        return self

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype) or other is None:  # (NumPy: float64 == None is True)
            return self is other
        if type(other) is str or other is float or other is int or other is bool or (
                other is complex):  # (PyTorch's: no dtype equals a Python type or a name)
            return False
        return bool(self.dtype == other)  # NumPy's: np.float32, np.dtype('float32')

    def __hash__(self) -> int:
        return hash(self.dtype)  # NumPy's dtype's: the two are equal

    @property
    def __numpy_dtype__(self) -> np.dtype:
        """NumPy 2.4's dtype protocol, asked first by np.dtype(obj): without it the lookup
        fails through __getattr__ (an exception) before `.dtype` (np.dtype(torch.float64)
        1.7 us, 0.1 us with it; x.to(torch.float64) 6.2 -> 3.7 us)."""
        return self.dtype

    def __reduce__(self) -> tuple:  # pickle and copy.deepcopy give back the same object
        return (dtype_named, (self.name,))

    def __getattr__(self, name: str) -> Any:
        """NumPy's dtype attributes (`kind`, `name`, `type`, `char`, ...), for NumPy habits."""
        if name.startswith("__"):
            raise AttributeError(f"'torch.dtype' object has no attribute {name!r}")
        try:
            return getattr(self.dtype, name)
        except AttributeError:
            raise AttributeError(f"'torch.dtype' object has no attribute {name!r}") from None

    @property
    def abbr(self) -> str:
        """PyTorch's short name: 'f32', 'i64', 'b8', 'bf16'."""
        return _ABBREVIATIONS.get(self.name, f"{self.kind}{8 * self.itemsize}")

    def to_real(self) -> dtype:
        """The dtype of a complex dtype's parts (complex64: float32); any other is itself."""
        if not self.is_complex:
            return self
        return _BY_NAME[{4: "float16", 8: "float32", 16: "float64"}[self.itemsize]]

    def to_complex(self) -> dtype:
        """The complex dtype whose parts have this float dtype (float32: complex64)."""
        if self.is_complex:
            return self
        if self.name not in _COMPLEX_OF:
            raise RuntimeError(f"Unknown Complex ScalarType for "
                               f"{_SCALAR_TYPES.get(self.name, self.name)}")
        return _BY_NAME[_COMPLEX_OF[self.name]]


def dtype_named(name: str) -> dtype:
    """PyTorch's dtype object named `name` ('float32', 'bfloat16')."""
    import tinygrad_np.missing_dtypes  # noqa: F401, PLC0415  (bfloat16, complex64, ... register)

    return _BY_NAME[name]


class _ByNumpy(dict):
    """NumPy's dtype -> PyTorch's; a dtype PyTorch has no name for is NumPy's (object)."""

    def __missing__(self, key: Any) -> Any:
        return key


_BY_NUMPY: dict = _ByNumpy()


def torch_dtype(numpy: Any) -> Any:
    """PyTorch's dtype object of a NumPy dtype (or type), as `Tensor.dtype` gives it."""
    return _BY_NUMPY[np.dtype(numpy)]


# PyTorch's dtype names (`tg.float32`, `tg.long`, ...). The names that would shadow Python
# builtins inside this module (`float`, `int`, `bool`) are bound in tinygrad_np/__init__.py.
float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool_ = (
    dtype._named(str(numpy), numpy, numpy.kind, numpy.itemsize) for numpy in map(np.dtype, (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
        np.uint16, np.uint32, np.uint64, np.bool_)))
half, double, short, long = float16, float64, int16, int64


# ------------------------------------------------- PyTorch's type promotion, operands first
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote_two(first: np.dtype, second: np.dtype) -> np.dtype:
    """PyTorch's promote_types: a float with an integer is the float (int64 with float16 is
    float16, where NumPy says float64), else NumPy's table."""
    if (first.kind in "fc") != (second.kind in "fc"):
        return first if first.kind in "fc" else second
    return np.promote_types(first, second)


def _weak_dtype(number: Any) -> np.dtype | None:
    """The dtype a Python number stands for (bool, int64, the default float), or None."""
    if isinstance(number, bool):
        return np.dtype(np.bool_)
    if isinstance(number, int):
        _check_int64(number)
        return np.dtype(np.int64)
    if isinstance(number, float):
        return np.dtype(_default_float)
    return np.dtype(np.complex64) if isinstance(number, complex) else None


def result_dtype(*operands: Any) -> np.dtype | None:
    """PyTorch's result_type of arrays (n-d ones first, then 0-d ones, as "weak" operands)
    and Python numbers (weakest): a weaker group only counts when its category (bool < int
    < float < complex) is higher than the stronger groups'. None if an operand is neither."""
    groups: list[np.dtype | None] = [None, None, None]  # numbers, 0-d arrays, n-d arrays
    for operand in operands:
        if isinstance(operand, np.ndarray):
            priority, dtype = (2 if operand.ndim else 1), operand.dtype
        else:
            priority, dtype = 0, _weak_dtype(operand)
            if dtype is None:
                return None
        seen = groups[priority]
        groups[priority] = dtype if seen is None else _promote_two(seen, dtype)
    result = None
    for dtype in reversed(groups):
        if result is None or dtype is not None and _CATEGORY[dtype.kind] > _CATEGORY[
                result.kind]:
            result = dtype if result is None else _promote_two(result, dtype)
    return result


def cast_operand(value: Any, target: np.dtype) -> Any:
    """An array or Python number as an operand of a `target` computation, cast first as
    PyTorch does (int64 16777217 is 16777216.0 in float32; 300 is 44 in uint8). Bool arrays
    are left alone (NumPy converts them exactly), as is anything already of `target`."""
    if isinstance(value, np.ndarray):
        if value.dtype == target or value.dtype.kind == "b":
            return value
        with np.errstate(over="ignore", invalid="ignore"):  # out of range: inf, as PyTorch
            return value.astype(target)
    if type(value) is int and target.kind in "iu":
        return wrapped_int(value, target)
    if target is _FLOAT16 and type(value) in (int, float):  # 1e5 is inf (NumPy would warn)
        with np.errstate(over="ignore"):
            return np.float16(value)
    return value


def promoted_operands(first: Any, second: Any, divide: bool = False) -> tuple:
    """(first, second, target): two operands (arrays or Python numbers) cast to PyTorch's
    result dtype `target` (a float one when `divide`: true division of integers), so that
    NumPy computes in it; unchanged with target None when either is neither."""
    target = result_dtype(first, second)
    if target is None:
        return first, second, None
    if divide and target.kind in "biu":
        target = np.dtype(_default_float)
    first, second = cast_operand(first, target), cast_operand(second, target)
    if target.kind == "f" and (_is_bools(first) or _is_bools(second)):  # a bool array and a
        with np.errstate(over="ignore"):  # number: NumPy would compute in float64 (1e300: inf)
            first, second = (np.asarray(value, target) if type(value) in (int, float) else
                             value for value in (first, second))
    return first, second, target


def _is_bools(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "b"
