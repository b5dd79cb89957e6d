"""Distances and similarities between vectors: F.cosine_similarity and F.pairwise_distance
(re-exported by F), composed from Tensor ops (so every gradient is the ops' own), and
tg.cdist (the ops in ops/distance.py).
"""

from __future__ import annotations

import numpy as np

from tinygrad_np.errors import TensorError
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.distance import CDist, EuclidDist
from tinygrad_np.tensor import Tensor, to_tensor as _tensor


def _broadcast(function: str, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise TensorError(f"{function}: x1 of shape {x1.shape} and x2 of shape {x2.shape} do "
                          "not broadcast") from None
    return (x1 if x1.shape == shape else x1.expand(shape),
            x2 if x2.shape == shape else x2.expand(shape))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (max(|x1|, eps) max(|x2|, eps)) along `dim`, broadcasting, as PyTorch.

    As PyTorch, each norm is clamped outside the graph: the value is max(|x|, eps) but the
    gradient flows through the true norm |x| (x / |x|), also below eps."""
    x1, x2 = _broadcast("cosine_similarity", _tensor(x1), _tensor(x2))
    if not -max(x1.ndim, 1) <= dim < max(x1.ndim, 1):
        raise IndexError(f"cosine_similarity: dim {dim} is out of range for shape {x1.shape}")
    n1, n2 = (_clamped_outside_graph(x.norm(2, dim, keepdim=True), eps) for x in (x1, x2))
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _clamped_outside_graph(norm: Tensor, eps: float) -> Tensor:
    """max(norm, eps) in value, with the gradient of `norm` itself (PyTorch clamps the norm
    in place under no_grad)."""
    raised = (eps - norm.detach()).clamp(min=0)  # eps - |x| where below eps (an inf norm stays)
    return norm + raised if (raised._data != 0).any() else norm


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The p-norm of x1 - x2 + eps along the last dim, broadcasting, as PyTorch."""
    x1, x2 = _broadcast("pairwise_distance", _tensor(x1), _tensor(x2))
    if x1.ndim == 0:
        raise TensorError("pairwise_distance: inputs must have at least 1 dimension, got 0-d")
    return pytorch_named((x1 - x2 + eps).norm(p, -1, keepdim=keepdim), "NormBackward1")


_MODES = {"use_mm_for_euclid_dist_if_necessary": 25, "use_mm_for_euclid_dist": 0,
          "donot_use_mm_for_euclid_dist": None}  # rows past which p=2 takes the product


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M):
    (..., P, R), batch dims broadcasting. As PyTorch, p=2 with P or R over 25 rows (or
    compute_mode='use_mm_for_euclid_dist') takes the matrix-product form
    sqrt(max(|a|^2 + |b|^2 - 2 a.b, 0)) (less exact for near points); otherwise each
    distance is exact, computed in blocks of rows (memory bounded, never P x R x M)."""
    x1, x2 = _tensor(x1), _tensor(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise TensorError(f"cdist: x1 (..., P, M) and x2 (..., R, M) need at least 2 dims and "
                          f"the same M, got shapes {x1.shape} and {x2.shape}")
    if p < 0:
        raise TensorError(f"cdist: p must be >= 0, got {p}")
    if compute_mode not in _MODES:
        raise ValueError(f"cdist: {compute_mode!r} is not a valid value for compute_mode "
                         f"(one of {', '.join(_MODES)})")
    try:
        batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    except ValueError:
        raise TensorError(f"cdist: the batch dims of x1 {x1.shape} and x2 {x2.shape} do not "
                          "broadcast") from None
    x1, x2 = (x if x.shape[:-2] == batch else x.expand(*batch, *x.shape[-2:]) for x in (x1, x2))
    if x1.dtype.kind != "f" or x1.dtype != x2.dtype:
        raise TensorError(f"cdist: expected both inputs of one floating-point dtype, got "
                          f"{x1.dtype.name} and {x2.dtype.name}")
    rows = _MODES[compute_mode]
    if p == 2 and rows is not None and max(x1.shape[-2], x2.shape[-2]) > rows:
        return EuclidDist.apply(x1, x2)
    return CDist.apply(x1, x2, float(p))
