"""The less common losses of `torch.nn.functional`, composed from recorded ops (so every
gradient comes from the engine and they work under `create_graph=True`): margin ranking,
hinge embedding, soft margin, multi-label soft margin, cosine embedding, triplet margin,
Gaussian and Poisson negative log-likelihood, multi-class margin. Formulas, defaults and
edge rules are PyTorch's (aten/src/ATen/native/Loss.cpp and torch/nn/functional.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import IndexOutOfBounds, RankError, TensorError
from tinygrad_np.functions import where
from tinygrad_np.nn.functional_distance import pairwise_distance
from tinygrad_np.nn.functional_losses import (
    _reduce,
    _target,
    _tensor,
    data_target,
    divide_count,
    fits_output,
    legacy_reduction,
    not_differentiable,
    same_dtype_weight,
    same_shape,
)
from tinygrad_np.tensor import Tensor, refuse_integers


def _sign_target(target: Any, input: Tensor, function: str, position: int = 2) -> Any:  # noqa: A002
    data_target(function, target, position=position)
    return target if isinstance(target, Tensor) else Tensor(_target(target, input))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin), y = 1 or -1: x1 should rank above x2 where y = 1."""
    reduction = legacy_reduction(size_average, reduce, reduction, "margin_ranking_loss")
    input1, input2 = _tensor(input1), _tensor(input2)
    target = _sign_target(target, input1, "margin_ranking_loss", 3)
    if not input1.ndim == input2.ndim == target.ndim:
        raise TensorError(f"margin_ranking_loss: All input tensors should have same dimension "
                          f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                          f"target: {target.shape}")
    try:
        np.broadcast_shapes(input1.shape, input2.shape, target.shape)
    except ValueError:
        raise TensorError(f"margin_ranking_loss: the shapes of input1 {input1.shape}, input2 "
                          f"{input2.shape} and target {target.shape} do not broadcast") from None
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


@xp.quiet
def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0,  # noqa: A002
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x: a distance)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "hinge_embedding_loss")
    input = refuse_integers("hinge_embedding_loss", _tensor(input))
    same_shape(input, target, "hinge_embedding_loss", "allow")
    target = _target(target, input, "hinge_embedding_loss")
    target = target._data if isinstance(target, Tensor) else target
    zeros = input._graph_zero(0.0)  # not input * 0: inf * 0 would make x = +-inf NaN
    losses = (where(target != 1, (margin - input).clamp(min=0), zeros)
              + where(target != -1, input, zeros))
    return _reduce(losses, reduction)


@xp.quiet
def soft_margin_loss(input: Tensor, target: Any, size_average: Any = None,  # noqa: A002
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)), y = 1 or -1 (a logistic loss), stable for any x."""
    from tinygrad_np.nn.functional import logsigmoid

    reduction = legacy_reduction(size_average, reduce, reduction, "soft_margin_loss")
    not_differentiable("soft_margin_loss", "target", target)
    input = refuse_integers("soft_margin_loss", _tensor(input))
    fits_output("soft_margin_loss", input.shape, "target", target)
    target = _sign_target(target, input, "soft_margin_loss")
    if target.dtype.kind == "f" and target.dtype != input.dtype:  # the input's dtype, as PyTorch
        target = target.to(input.dtype)
    return _reduce(-logsigmoid(target * input), reduction, "SoftMarginLossBackward0")


@xp.quiet
def multilabel_soft_margin_loss(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of each of C logits against a 0/1 target, averaged over the C
    classes of each sample (N, C) -> (N,), then reduced."""
    from tinygrad_np.nn.functional import logsigmoid

    reduction = legacy_reduction(size_average, reduce, reduction, "multilabel_soft_margin_loss",
                                 old_mean=False)
    input = _tensor(input)
    if input.ndim == 0:  # (PyTorch's IndexError: no class axis to average over)
        raise RankError("multilabel_soft_margin_loss: Dimension out of range: the input must "
                        "have a class axis (C,) or (N, C), got a 0-d tensor")
    same_shape(input, target, "multilabel_soft_margin_loss", "allow")
    target = _target(target, input, "multilabel_soft_margin_loss")
    losses = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        losses = losses * weight
    losses = divide_count(losses.sum(dim=input.ndim - 1), input.shape[-1])
    return _reduce(losses, reduction)


def multilabel_margin_loss(input: Tensor, target: Any, size_average: Any = None,  # noqa: A002
                           reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Hinge loss between each target class j and each other class i of a sample:
    sum max(0, 1 - (x[j] - x[i])) / C. `target` (N, C) lists class ids up to the first -1."""
    reduction = legacy_reduction(size_average, reduce, reduction, "multilabel_margin_loss")
    data_target("multilabel_margin_loss", target)
    input = refuse_integers("multilabel_margin_loss", _tensor(input))
    ids = np.asarray(target._data if isinstance(target, Tensor) else target)
    long_target("multilabel_margin_loss", target)
    if ids.shape != input.shape or input.ndim not in (1, 2) or ids.dtype.kind not in "iu":
        raise TensorError(f"multilabel_margin_loss: target must be integer class ids of the "
                          f"input's shape (C,) or (N, C), got {ids.dtype.name} {ids.shape} for "
                          f"input {input.shape}")
    rows, classes = ids.reshape(-1, input.shape[-1]), input.shape[-1]
    listed = np.cumprod(rows >= 0, axis=1).astype(bool)  # the ids before the first -1
    if ((rows >= classes) & listed).any():
        raise IndexOutOfBounds(f"multilabel_margin_loss: target class ids must be in [0, "
                               f"{classes - 1}] (or -1 to end the list), got "
                               f"{rows[listed].max()}")
    listings = np.zeros(rows.shape, dtype=np.int64)  # how often each class is listed
    hit = np.nonzero(listed)
    np.add.at(listings, (hit[0], rows[hit]), 1)
    x = input.reshape(-1, classes)
    # only the listed targets j (a prefix of each row: as wide as the longest list), not
    # every class: N x longest x C margins, not N x C x C
    width = int(listed.sum(axis=1).max(initial=0))
    chosen = x.gather(1, Tensor(np.where(listed[:, :width], rows[:, :width], 0)))
    margins = (1 - chosen.unsqueeze(2) + x.unsqueeze(1)).relu()  # [n, k, i]; gradient 0 at 0
    pairs = (listed[:, :width, None] & (listings[:, None, :] == 0)).astype(x.dtype)
    losses = (margins * pairs).sum((1, 2)) / classes
    return _reduce(losses if input.ndim == 2 else losses[0], reduction,
                   "MultilabelMarginLossBackward0")


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1; cos along the
    last dim, with PyTorch's 1e-12 added to each squared norm."""
    reduction = legacy_reduction(size_average, reduce, reduction, "cosine_embedding_loss")
    input1, input2 = _tensor(input1), _tensor(input2)
    if input1.shape != input2.shape or input1.ndim not in (1, 2):
        raise TensorError(f"cosine_embedding_loss: inputs must be 1-D or 2-D of one shape, got "
                          f"{input1.shape} and {input2.shape}")
    dim = input1.ndim - 1
    epsilon = 1e-12
    dot = (input1 * input2).sum(dim=dim)
    squares = ((input1 * input1).sum(dim=dim) + epsilon) * ((input2 * input2).sum(dim=dim)
                                                            + epsilon)
    cos = dot / squares.sqrt()
    target = np.asarray(target._data if isinstance(target, Tensor) else target)
    if target.ndim != dim:
        raise TensorError(f"cosine_embedding_loss: a {target.ndim}-D target needs "
                          f"{target.ndim + 1}-D inputs (0-D with (D,), 1-D with (N, D)), got "
                          f"target {target.shape} and inputs {input1.shape}")
    zeros = cos * 0
    losses = (where(target == 1, 1 - cos, zeros)
              + where(target == -1, (cos - margin).clamp(min=0), zeros))
    return _reduce(losses, reduction)


def _same_ndim(function: str, anchor: Any, positive: Any, negative: Any) -> None:
    """PyTorch's RuntimeError for triplets of different numbers of dimensions (which would
    broadcast into a wrong loss)."""
    dims = [np.ndim(x._data if isinstance(x, Tensor) else x) for x in (anchor, positive, negative)]
    if len(set(dims)) != 1:
        raise TensorError(f"{function}: The anchor, positive, and negative tensors are expected "
                          f"to have the same number of dimensions, but got: anchor {dims[0]}D, "
                          f"positive {dims[1]}D, and negative {dims[2]}D inputs")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with d the p-norm distance (F.pairwise_distance);
    `swap` uses min(d(a, n), d(p, n)). The margin must be positive (PyTorch's ValueError)."""
    if margin <= 0:
        raise TensorError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    return triplet_margin_unchecked(anchor, positive, negative, margin, p, eps, swap,
                                    size_average, reduce, reduction)


def triplet_margin_unchecked(anchor: Tensor, positive: Tensor, negative: Tensor,
                             margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                             swap: bool = False, size_average: Any = None, reduce: Any = None,
                             reduction: str = "mean") -> Tensor:
    """F.triplet_margin_loss taking any margin, as ATen's torch.triplet_margin_loss does."""
    reduction = legacy_reduction(size_average, reduce, reduction, "triplet_margin_loss")
    _same_ndim("triplet_margin_loss", anchor, positive, negative)
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        negative_distance = negative_distance.minimum(pairwise_distance(positive, negative,
                                                                        p, eps))
    return _reduce((margin + positive_distance - negative_distance).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Any = None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) for any distance d (default: pairwise_distance);
    `swap` uses min(d(a, n), d(p, n))."""
    reduction = legacy_reduction(None, None, reduction, "triplet_margin_with_distance_loss",
                                 old_mean=False)
    if margin <= 0:
        raise TensorError(f"triplet_margin_with_distance_loss: margin must be positive, got "
                          f"{margin}")
    _same_ndim("triplet_margin_with_distance_loss", anchor, positive, negative)
    distance = pairwise_distance if distance_function is None else distance_function
    positive_distance = distance(anchor, positive)
    negative_distance = distance(anchor, negative)
    if swap:
        negative_distance = negative_distance.minimum(distance(positive, negative))
    return _reduce((margin + positive_distance - negative_distance).clamp(min=0), reduction)


def gaussian_nll_loss(input: Tensor, target: Any, var: Any, full: bool = False,  # noqa: A002
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log(var) + (input - target)^2 / var) (+ 0.5 log(2 pi) when `full`), var clamped
    to at least eps with the gradient passing the clamp, as PyTorch's. `var` is input's shape,
    a Python float (for all), one dimension short of input (one variance per row), or input's
    shape but for size 1 in one dimension (shared along it: (N, 1, H, W) for (N, C, H, W))."""
    if reduction not in ("mean", "sum", "none"):
        raise TensorError(f"gaussian_nll_loss: {reduction!r} is not a valid reduction")
    input = _tensor(input)
    data_target("gaussian_nll_loss", target)
    data_target("gaussian_nll_loss", var, "var", 3)
    if isinstance(var, (float, int)) and not isinstance(var, bool):  # (an int too: a float)
        var = Tensor(np.full(input.shape, var, dtype=input.dtype))
    var = _tensor(var)
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif var.ndim != input.ndim or sum(
                v for i, v in zip(input.shape, var.shape) if i != v) != 1:  # PyTorch's rule
            raise TensorError(f"gaussian_nll_loss: var is of incorrect size: {var.shape} for "
                              f"input {input.shape} (same shape, one dimension less, or size "
                              f"1 in one dimension)")
    if np.any(var._data < 0):
        raise TensorError("gaussian_nll_loss: var has negative entry/entries")
    var = var + (var.clamp(min=eps) - var).detach()  # clamped values, identity gradient
    same_shape(input, target, "gaussian_nll_loss", "allow")
    losses = 0.5 * (var.log() + (input - _target(target, input)) ** 2 / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return _reduce(losses, reduction)


@xp.quiet
def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True,  # noqa: A002
                     full: bool = False, size_average: Any = None, eps: float = 1e-8,
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """exp(input) - target input when `log_input` (input is the log rate), else
    input - target log(input + eps); `full` adds Stirling's term where target > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction, "poisson_nll_loss",
                                 old_mean=False)
    input = _tensor(input)
    same_shape(input, target, "poisson_nll_loss", "allow")
    target = _target(target, input)
    if log_input:
        losses = input.exp() - target * input
    else:
        losses = input - target * (input + eps).log()
    if full:  # recorded: a target that requires grad gets Stirling's term's gradient too
        counts = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
        above = counts._data > 1
        # (no log of targets in (0, 1], where the term is 0; at <= 0 the log stays, so the
        safe = counts.where(above | ~(counts._data > 0), 2.0)  # target's gradient is
        with np.errstate(invalid="ignore", divide="ignore"):  # PyTorch's NaN; an infinite
            # target: NaN, silently, as PyTorch)
            stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        losses = losses + stirling.where(above, 0.0).to(input.dtype)
    return _reduce(losses, reduction)


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0,  # noqa: A002
                      weight: Any = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Tensor:
    """sum over classes i != y of max(0, margin - x[y] + x[i])^p / C (times weight[y]):
    the multi-class hinge loss of logits (N, C) or (C,) against class ids."""
    reduction = legacy_reduction(size_average, reduce, reduction, "multi_margin_loss")
    data_target("multi_margin_loss", target)
    if p not in (1, 2):
        raise TensorError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    input = refuse_integers("multi_margin_loss", _tensor(input))
    if input.ndim > 2:
        raise TensorError(f"multi_margin_loss: expected a vector (C,) or a matrix (N, C) input, "
                          f"got shape {input.shape}")
    logits = input.reshape(-1, input.shape[-1] if input.ndim else 1)
    target_shape = np.shape(target._data if isinstance(target, Tensor) else target)
    if target_shape not in ([(logits.shape[0],)] if input.ndim == 2 else [(), (1,)]):
        raise TensorError(f"multi_margin_loss: target should be 1-D with one class id per "
                          f"sample ({logits.shape[0]}), got shape {target_shape} for input of "
                          f"shape {input.shape}")
    ids = np.asarray(target._data if isinstance(target, Tensor) else target).reshape(-1)
    long_target("multi_margin_loss", target)
    if ids.dtype.kind not in "iu":  # (0.7 would be truncated to class 0)
        raise TensorError(f"multi_margin_loss: expected scalar type Long but found "
                          f"{ids.dtype.name} "
                          f"(the target must be integer class ids)")
    classes = logits.shape[1]
    if np.any((ids < 0) | (ids >= classes)):
        raise TensorError(f"multi_margin_loss: targets {ids.tolist()} do not fit input of shape "
                          f"{input.shape}")
    picked = logits._gather(1, ids[:, None].astype(np.int64))
    others = np.arange(classes)[None, :] != ids[:, None]  # the target's own term left out
    gaps = margin + (logits.where(others, 0.0) - picked)  # (an infinite logit: no inf - inf)
    losses = gaps.where(others, 0.0).relu()  # gradient 0 at a zero margin, as PyTorch's
    if p == 2:
        losses = losses * losses
    if weight is not None:
        not_differentiable("multi_margin_loss", "weight", weight)
        same_dtype_weight(weight, input, "multi_margin_loss")
        losses = losses * _class_weights(weight, classes)[ids].astype(input.dtype)[:, None]
    losses = losses.sum(dim=1) / classes
    return _reduce(losses if input.ndim == 2 else losses.reshape(target_shape), reduction,
                   "MultiMarginLossBackward0")


def long_target(function: str, target: Any) -> None:
    """The class ids of multi_margin_loss and multilabel_margin_loss: an integer Tensor must be
    int64, as PyTorch (its RuntimeError for int32 or uint8; a list or array is taken)."""
    if isinstance(target, Tensor) and target.dtype.kind in "iub" and target.dtype != np.int64:
        raise TensorError(f"{function}: expected scalar type Long but found {target.dtype.name} "
                          f"(the target's class ids must be int64)")


def _class_weights(weight: Any, classes: int) -> np.ndarray:
    """multi_margin_loss's weight: one per class (PyTorch's ValueError / RuntimeError)."""
    weights = np.asarray(weight._data if isinstance(weight, Tensor) else weight)
    if weights.ndim != 1:
        raise TensorError(f"multi_margin_loss: weight must be one-dimensional, got shape "
                          f"{weights.shape}")
    if weights.shape[0] != classes:
        raise TensorError(f"multi_margin_loss: inconsistent weight size, expected {classes} "
                          f"but got [{weights.shape[0]}]")
    return weights
