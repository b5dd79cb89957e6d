"""Bitwise ops: no gradient, so a plain function on arrays.

They take integer and bool operands only (PyTorch refuses floats too) and return an ndarray
(0-d for 0-d operands, never a NumPy scalar); Tensor wraps it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.dtypes import _promoted, promoted_operands
from tinygrad_np.errors import DtypeError, TensorError


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    return np.asarray(value).dtype.kind


def bitwise(op: str, function: Any, *operands: Any) -> np.ndarray:
    """`function(*operands)` after checking that every operand is integer or bool; a NumPy
    scalar counts as the Python number (int8 & np.int64(3) is int8, as PyTorch; np.bool_ a
    float there, so refused)."""
    operands = tuple((float(a) if type(a) is np.bool_ else a.item()) if isinstance(
        a, np.generic) else a for a in operands)
    for operand in operands:
        kind = _kind(operand)
        if kind not in "biu":
            dtype = "float" if isinstance(operand, float) else np.asarray(operand).dtype
            raise DtypeError(f"{op}: expected integer or bool tensors, got {dtype}; "
                             "compare first (x > 0) or convert with .long()")
    if len(operands) == 2:  # each cast to PyTorch's result dtype first (a Python int out of
        *operands, target = promoted_operands(*operands)  # the tensor's range wraps: uint8 | 256)
        if "shift" in op and target.kind == "b":
            raise DtypeError(f"{op}: not implemented for bool tensors, as in PyTorch; "
                             f"convert with .long() (or .to(torch.uint8)) first")
    try:
        result = function(*operands)
    except ValueError as error:  # shapes that do not broadcast: PyTorch's RuntimeError
        raise TensorError(f"{op}: {error}") from None
    return _promoted(np.asarray(result), operands)  # PyTorch's 0-d rule

