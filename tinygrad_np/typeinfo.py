"""PyTorch's `torch.finfo` and `torch.iinfo`: the limits of a floating-point or integer dtype.

Our dtypes stand for NumPy dtypes, so the numbers come from np.finfo / np.iinfo; the attribute
names and types are PyTorch's (Python floats and ints, `dtype` the dtype's name as a str).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.missing_dtypes import MissingDtype


def _as_dtype(dtype: Any, who: str) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{who}: expected a dtype such as tg.float32, got {dtype!r}") from None


class finfo:  # noqa: N801  (PyTorch's name)
    """The limits of a floating-point dtype (the default float dtype when none is given)."""

    bits: int
    eps: float
    max: float
    min: float
    tiny: float
    smallest_normal: float
    resolution: float
    dtype: str

    def __init__(self, dtype: Any = None) -> None:
        if isinstance(dtype, MissingDtype) and dtype.limits:  # bfloat16, float8: no NumPy type
            self.bits, self.dtype = 8 * dtype.itemsize, dtype.name
            self.eps, self.max, self.smallest_normal, self.resolution = dtype.limits
            self.min, self.tiny = -self.max, self.smallest_normal
            return
        if isinstance(dtype, MissingDtype) and dtype.is_complex:  # its parts' (PyTorch's)
            dtype = dtype.to_real()
        kind = _as_dtype(get_default_dtype() if dtype is None else dtype, "finfo")
        if kind.kind != "f":
            raise TypeError(f"finfo requires a floating point dtype, got {kind}; "
                            f"use tg.iinfo for integer dtypes")
        info = np.finfo(kind)
        self.bits, self.dtype = info.bits, kind.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision  # as PyTorch: 10 ** -precision

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801  (PyTorch's name)
    """The limits of an integer dtype (bool has none, as in PyTorch)."""

    bits: int
    max: int
    min: int
    dtype: str

    def __init__(self, dtype: Any) -> None:
        kind = _as_dtype(dtype, "iinfo")
        if kind.kind == "b":
            raise TypeError("bool is not supported by iinfo")
        if kind.kind not in "iu":
            raise TypeError(f"iinfo requires an integer dtype, got {kind}; "
                            f"use tg.finfo for floating point dtypes")
        info = np.iinfo(kind)
        self.bits, self.dtype = info.bits, kind.name
        self.max, self.min = int(info.max), int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"  # PyTorch's %g
