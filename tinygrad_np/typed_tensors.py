"""PyTorch's legacy typed constructors: `tg.FloatTensor([1, 2])`, `tg.LongTensor(2, 3)`, ...

Each makes a plain Tensor of its dtype, from data (a list, ndarray or Tensor) or from sizes
(ints or one Size; PyTorch leaves those uninitialised, here they are zeros).
`isinstance(t, tg.FloatTensor)` holds when `t` is a Tensor of that dtype, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.dtypes import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from tinygrad_np.tensor import Size, Tensor, TensorError, _to_array


class _TypedTensor(type):
    """The metaclass: calling the class builds a Tensor; isinstance checks the dtype."""

    dtype: np.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        if len(args) != 1 or isinstance(args[0], (int, np.integer)):
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
                raise TypeError(f"{cls.__name__}: expected data (a list, ndarray or Tensor) or "
                                f"sizes (ints), got {args!r}")
            if any(a < 0 for a in args):
                raise TensorError(f"{cls.__name__}: Trying to create tensor with negative "
                                  f"dimension: {list(args)}")
            return Tensor(np.zeros(args if args else (0,), dtype=cls.dtype), device=device)
        data = args[0]
        if isinstance(data, (float, bool, np.number)):
            raise TypeError(f"{cls.__name__}: data must be a sequence, got "
                            f"{type(data).__name__}")
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}: expected a {cls.dtype.name} Tensor, got "
                                f"{data.dtype} (use .to(dtype))")
            return Tensor(data._data, device=device)  # shares the memory, as PyTorch's
        if isinstance(data, np.ndarray):
            return Tensor(np.array(data, dtype=cls.dtype), device=device)
        # Python numbers as tensor(data, dtype=...) reads them: NaN or 1e300 into an integer
        # type and None are PyTorch's errors, not NumPy's ValueError/OverflowError or NaN
        return Tensor(_to_array(data, cls.dtype), device=device)

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype


def _typed(name: str, dtype: np.dtype) -> _TypedTensor:
    return _TypedTensor(name, (), {"dtype": dtype, "__doc__": f"A {dtype} Tensor."})


FloatTensor = _typed("FloatTensor", float32)
DoubleTensor = _typed("DoubleTensor", float64)
HalfTensor = _typed("HalfTensor", float16)
LongTensor = _typed("LongTensor", int64)
IntTensor = _typed("IntTensor", int32)
BoolTensor = _typed("BoolTensor", bool_)
ByteTensor = _typed("ByteTensor", uint8)
ShortTensor = _typed("ShortTensor", int16)
CharTensor = _typed("CharTensor", int8)
