"""What the Adam variants share beyond `optimizer.py`: the betas check, and PyTorch's 0-d
scalar state (NAdam's mu_product, ASGD's eta and mu), which starts in float32 (float64 when
that is the default dtype) and is rounded to its dtype after every update, as in PyTorch;
`load_state_dict` casts it to the parameter's dtype, which it then keeps (PyTorch's too)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.tensor import Tensor


def check_betas(owner: str, betas: tuple[float, float]) -> tuple[float, float]:
    """PyTorch's ValueError for a beta outside [0, 1); the betas as floats."""
    check_pair(owner, "betas", betas)
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{owner}: Invalid beta parameter at index {index}: {beta} "
                             f"(betas[{index}] must be in [0, 1))")
    return float(betas[0]), float(betas[1])


def check_pair(owner: str, name: str, values: Any) -> None:
    """A ValueError for a `betas` (or `etas`, `step_sizes`) that is not two numbers (PyTorch
    unpacks it as a pair at its first step; a third value is not ignored silently here)."""
    if hasattr(values, "__len__") and not isinstance(values, Tensor) and len(values) > 2:
        raise ValueError(f"{owner}: {name} must be a pair of two numbers, got {len(values)} "
                         f"values {tuple(values)!r} (too many values to unpack, expected 2)")


def lr_value(lr: Any) -> Any:
    """The lr as PyTorch's step computes with it: a number as a float; a Tensor as a NumPy
    scalar of its dtype (float32), so `lr * ratio` and `1 - lr * weight_decay` round as
    PyTorch's 0-d tensor arithmetic does before it takes the value as a Scalar."""
    return lr._data.reshape(())[()] if isinstance(lr, Tensor) else float(lr)


def scalar_dtype() -> type[np.floating]:
    """PyTorch's `_get_scalar_dtype()`: float64 when that is the default, else float32."""
    return np.float64 if get_default_dtype() == np.float64 else np.float32


def scalar_state(value: float, like: Tensor | None = None) -> Tensor:
    """A 0-d state tensor in the dtype of `like` (the entry it replaces; the scalar dtype for
    a new one), the value rounded to it."""
    dtype = scalar_dtype() if like is None else like._data.dtype
    return Tensor(np.array(value, dtype=dtype))


def scalar_value(state: Tensor) -> float:
    """A scalar state's value as PyTorch's `.item()` gives it (in the state's own dtype)."""
    return float(state._data)
