"""`torch.distributions.utils`: conversions between probabilities and logits, and
broadcasting of distribution parameters."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.tensor import Tensor


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
        raise ValueError("broadcast_all: input arguments must all be Tensors or numbers")
    dtype = tensors[0].dtype if tensors else get_default_dtype()
    made = [v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=dtype)) for v in values]
    shape = np.broadcast_shapes(*(t.shape for t in made))
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


__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs",
           "probs_to_logits"]
