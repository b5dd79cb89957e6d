"""`torch.distributions.utils`: conversions between probabilities and logits, broadcasting of
distribution parameters, and lower-triangular matrices to and from their row-major vectors."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tinygrad_np.distributions.distribution import standard_normal
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.join import cat
from tinygrad_np.tensor import Tensor

euler_constant = 0.57721566490153286060  # the Euler-Mascheroni constant


def is_tensor_like(value: Any) -> bool:
    """Whether `value` is a Tensor."""
    return isinstance(value, Tensor)


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """`value` summed over its `dim` rightmost dims (itself for dim 0)."""
    return value.sum(tuple(range(-dim, 0))) if dim > 0 else value


def _standard_normal(shape: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """N(0, 1) draws of `shape` (the library's generator) in `dtype` (the default float)."""
    return standard_normal(tuple(shape), np.dtype(dtype or get_default_dtype()))


def _tril_mask(n: int, diag: int) -> np.ndarray:
    """The n x n mask of the entries on or below diagonal `diag` (j <= i + diag)."""
    return np.arange(n) < np.arange(n).reshape(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The entries of `mat`'s (..., n, n) lower triangle on and below diagonal `diag`, row by
    row, as a (..., m) vector."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = np.nonzero(_tril_mask(n, diag))
    return mat[..., rows, cols]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The inverse of tril_matrix_to_vec: a (..., m) vector laid row by row into the lower
    triangle (on and below diagonal `diag`) of a (..., n, n) matrix of zeros."""
    m = vec.shape[-1]
    n = next((k for k in range(m + abs(diag) + 2) if _tril_mask(k, diag).sum() == m), None)
    if n is None:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the "
                         "lower triangular part of a square D x D matrix.")
    mask = _tril_mask(n, diag)
    slots = np.full(n * n, m)  # every slot off the triangle reads the appended zero
    slots[mask.reshape(-1)] = np.arange(m)
    padded = cat([vec, Tensor(np.zeros((*vec.shape[:-1], 1), dtype=vec.dtype))], -1)
    return padded[..., slots].reshape(*vec.shape[:-1], n, n)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities clamped into [eps, 1 - eps] of their dtype (no log(0) downstream)."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) for a binary variable, else softmax over the last dim."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) - log(1 - p) for a binary variable, else log(p) (clamped away from 0 and 1)."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """The values (tensors or numbers) as tensors broadcast to one shape; numbers take the
    tensors' dtype (the default float dtype when there is none)."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not all(isinstance(v, (Tensor, int, float)) for v in values):
        raise ValueError("broadcast_all: input arguments must all be Tensors or Python "
                         "numbers (int, float, bool), got "
                         f"{', '.join(type(v).__name__ for v in values)}")
    dtype = tensors[0].dtype if tensors else get_default_dtype()
    made = [v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=dtype)) for v in values]
    try:
        shape = np.broadcast_shapes(*(t.shape for t in made))
    except ValueError:
        raise RuntimeError("broadcast_all: the shapes "
                           f"{', '.join(str(tuple(t.shape)) for t in made)} do not broadcast "
                           "(PyTorch: the size of tensor a must match the size of tensor b)"
                           ) from None
    return tuple(t.expand(shape) for t in made)


class lazy_property:  # noqa: N801  (PyTorch's name)
    """A property computed on first access and then stored on the instance."""

    def __init__(self, method: Any) -> None:
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = self.method(instance)
        setattr(instance, self.method.__name__, value)
        return value


__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "is_tensor_like", "lazy_property",
           "logits_to_probs", "probs_to_logits", "tril_matrix_to_vec", "vec_to_tril_matrix"]
