"""The default floating-point dtype, used when a Python float or a list of floats becomes a Tensor.

float32 by default, as in PyTorch: it halves memory and doubles BLAS speed against float64,
and is precise enough for training. Gradient checks switch to float64.
"""

from __future__ import annotations

import numpy as np

_default_float: type[np.floating] = np.float32


def set_default_dtype(dtype: type[np.floating] | np.dtype) -> None:
    """Make `dtype` (np.float32 or np.float64) the dtype of new float tensors."""
    global _default_float
    kind = np.dtype(dtype)
    if kind not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"set_default_dtype: expected np.float32 or np.float64, got {kind}")
    _default_float = kind.type


def get_default_dtype() -> type[np.floating]:
    """The dtype that Python floats become: np.float32 unless set_default_dtype changed it."""
    return _default_float


# PyTorch's dtype names (`tg.float32`, `tg.long`, ...). They are NumPy dtype objects, so
# `t.dtype == tg.float32` holds and any NumPy function takes them. The names that would
# shadow Python builtins inside this module (`float`, `int`, `bool`) are bound in
# tinygrad_np/__init__.py as aliases of these.
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
half, double, short, long = float16, float64, int16, int64
