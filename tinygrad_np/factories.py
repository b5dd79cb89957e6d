"""Functions that make new tensors: tg.tensor, zeros, ones, full, randn, rand, arange, eye.

Each takes the shape as separate ints or one tuple, and `dtype=` / `requires_grad=` /
`device=` (only the CPU: see tinygrad_np.device). Random
ones draw from the library generator, so `tg.manual_seed(n)` makes them reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.rng import generator
from tinygrad_np.tensor import Tensor, _shape_args


def _float_tensor(array: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    return Tensor(array.astype(dtype or get_default_dtype(), copy=False), requires_grad)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
           name: str | None = None) -> Tensor:
    """A new tensor holding a copy of `data` (as `torch.tensor`)."""
    as_device(device, "tensor")
    source = data.data if isinstance(data, Tensor) else data
    copied = np.array(source, copy=True) if isinstance(source, np.ndarray) else source
    return Tensor(copied, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape: int | tuple[int, ...], dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    """A tensor of zeros (default float dtype)."""
    as_device(device, "zeros")
    return _float_tensor(np.zeros(_shape_args(shape)), dtype, requires_grad)


def ones(*shape: int | tuple[int, ...], dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """A tensor of ones (default float dtype)."""
    as_device(device, "ones")
    return _float_tensor(np.ones(_shape_args(shape)), dtype, requires_grad)


def full(shape: int | tuple[int, ...], fill_value: float, dtype: Any = None,
         requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor with every element `fill_value`."""
    as_device(device, "full")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _float_tensor(np.full(shape, fill_value, dtype=np.float64), dtype, requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False,
               device: Any = None) -> Tensor:
    """Zeros with `other`'s shape and dtype."""
    as_device(device, "zeros_like")
    return Tensor(np.zeros_like(other.data, dtype=dtype), requires_grad=requires_grad)


def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """Ones with `other`'s shape and dtype."""
    as_device(device, "ones_like")
    return Tensor(np.ones_like(other.data, dtype=dtype), requires_grad=requires_grad)


def randn(*shape: int | tuple[int, ...], dtype: Any = None, requires_grad: bool = False,
          device: Any = None) -> Tensor:
    """Samples from the standard normal distribution N(0, 1)."""
    as_device(device, "randn")
    return _float_tensor(generator().standard_normal(_shape_args(shape)), dtype, requires_grad)


def rand(*shape: int | tuple[int, ...], dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    as_device(device, "rand")
    return _float_tensor(generator().random(_shape_args(shape)), dtype, requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, end): int64 for integer arguments, else float."""
    as_device(device, "arange")
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in "iu" else get_default_dtype()
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: Any = None) -> Tensor:
    """The identity matrix (n x m, m defaults to n)."""
    as_device(device, "eye")
    return _float_tensor(np.eye(n, m), dtype, requires_grad)
