"""Activations and losses as functions, like `torch.nn.functional`.

    import tinygrad_np.nn.functional as F
    loss = F.cross_entropy(model(x), labels)

Every loss takes `reduction`: 'mean' (the default) averages the per-element (per-sample for
cross_entropy) losses, 'sum' adds them, 'none' returns them unreduced (PyTorch's deprecated
`size_average` / `reduce` flags are understood too). The losses beyond the fused ones live in
nn/functional_losses.py and are re-exported here: nll_loss, l1_loss, huber_loss,
smooth_l1_loss, kl_div.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.nn.functional_losses import (  # re-exported: F.nll_loss, F.l1_loss, ...
    cross_entropy_general,
    legacy_reduction,
    weighted_bce_with_logits,
)
from tinygrad_np.nn.functional_losses import huber_loss as huber_loss
from tinygrad_np.nn.functional_losses import kl_div as kl_div
from tinygrad_np.nn.functional_losses import l1_loss as l1_loss
from tinygrad_np.nn.functional_losses import nll_loss as nll_loss
from tinygrad_np.nn.functional_losses import smooth_l1_loss as smooth_l1_loss
from tinygrad_np.nn.functional_rare import glu as glu
from tinygrad_np.nn.functional_rare import hardshrink as hardshrink
from tinygrad_np.nn.functional_rare import prelu as prelu
from tinygrad_np.nn.functional_rare import softshrink as softshrink
from tinygrad_np.nn.functional_rare import tanhshrink as tanhshrink
from tinygrad_np.nn.functional_rare import threshold as threshold
from tinygrad_np.ops.linear import LinearFunction
from tinygrad_np.ops.loss import (
    REDUCTIONS,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
)
from tinygrad_np.tensor import Tensor


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _target(target: Any, like: Tensor) -> Any:
    """A Tensor target stays one (it may need a gradient); other data becomes an array.

    Numbers take the input's dtype, so a float64 (or int) array of labels does not turn a
    float32 loss into float64.
    """
    if isinstance(target, Tensor):
        return target
    array = np.asarray(target)
    if like.dtype.kind == "f" and array.dtype.kind in "biuf":
        return array.astype(like.dtype, copy=False)
    return array


def _check_reduction(reduction: str, function: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{function}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )


def _check_same_shape(prediction: Tensor, target: Any, function: str) -> None:
    # Broadcasting (N, 1) predictions against (N,) targets would silently give an (N, N)
    # loss, so, as PyTorch does for the BCE losses, the shapes must match exactly.
    target_shape = tuple(target.shape)
    if target_shape != tuple(prediction.shape):
        raise ValueError(
            f"{function}: target shape {target_shape} must equal the input shape "
            f"{tuple(prediction.shape)}"
        )


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


# ----------------------------------------------------------------- activations
def relu(x: Tensor) -> Tensor:
    """y = max(x, 0)."""
    return _tensor(x).relu()


def sigmoid(x: Tensor) -> Tensor:
    """y = 1 / (1 + exp(-x)), without overflow for any x."""
    return _tensor(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    """y = tanh(x)."""
    return _tensor(x).tanh()


def _pick_axis(axis: int, dim: int | None, function: str) -> int:
    """PyTorch users write `dim=`, NumPy users `axis=`; both mean the same thing."""
    if dim is None:
        return axis
    if axis not in (-1, dim):
        raise TypeError(f"{function}: got both axis={axis} and dim={dim}; pass one of them")
    return dim


def softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """y = exp(x) / sum(exp(x)) along `axis` (or `dim`), stable for any finite x."""
    return _tensor(x).softmax(_pick_axis(axis, dim, "softmax"))


def log_softmax(x: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """y = x - log(sum(exp(x))) along `axis` (or `dim`), stable for any finite x."""
    return _tensor(x).log_softmax(_pick_axis(axis, dim, "log_softmax"))


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


# ----------------------------------------------------------------- layers
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    One fused op: dx = g W, dW = g^T x (C-ordered, like W), db = g summed over the batch.
    """
    return LinearFunction.apply(_tensor(x), weight, bias)


# ----------------------------------------------------------------- losses
def cross_entropy(logits: Tensor, target: Any, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy: loss_i = -sum_c q_ic log softmax(z_i)_c, fused and stable.

    `logits` (N, C); `target` either int class ids (N,) (q is their one-hot) or class
    probabilities (N, C). Unbatched logits (C,) take a scalar class id or probabilities (C,).
    The gradient is softmax(z) - q (times 1/N for 'mean').

    PyTorch's other options go through a composition (see nn/functional_losses.py):
    `weight` (C,) class weights ('mean' is then the weighted average), `ignore_index`
    (targets with this id add nothing), `label_smoothing` eps (q becomes (1 - eps) q +
    eps / C), and inputs (N, C, d1, ...) with targets (N, d1, ...), the class axis being 1.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    logits = _tensor(logits)
    target = target if isinstance(target, Tensor) else np.asarray(target)
    if (weight is not None or label_smoothing or logits.ndim > 2
            or (target.dtype.kind in "iu" and target.size
                and (_data(target) == ignore_index).any())):
        return cross_entropy_general(logits, target, weight, ignore_index, reduction,
                                     label_smoothing)
    if target.dtype.kind == "f" and not isinstance(target, Tensor):
        target = target.astype(logits.dtype, copy=False)
    if logits.ndim != 1:
        return CrossEntropy.apply(logits, target, reduction)
    # Unbatched: a batch of one, with the result's batch axis removed again for 'none'.
    classes = logits.shape[0]
    expected = () if target.dtype.kind in "iu" else (classes,)
    if target.shape != expected:
        raise ValueError(
            f"cross_entropy: for unbatched logits of shape ({classes},) the target must have "
            f"shape {expected} ({'a class id' if expected == () else 'class probabilities'}), "
            f"got {tuple(target.shape)}"
        )
    loss = CrossEntropy.apply(logits.reshape(1, classes), target.reshape((1,) + expected),
                              reduction)
    return loss.reshape(()) if reduction == "none" else loss


def binary_cross_entropy(probs: Tensor, target: Any, weight: Any = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """loss = -(y log p + (1 - y) log(1 - p)) elementwise, each log clamped at -100.

    The clamp (as in PyTorch) keeps p = 0 or 1 finite. `probs` must lie in [0, 1]; for raw
    scores use `binary_cross_entropy_with_logits`, which is also more accurate. `weight`
    (broadcast to the input's shape) multiplies each element's loss.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    probs = _tensor(probs)
    target = _target(target, probs)
    _check_same_shape(probs, target, "binary_cross_entropy")
    losses = BinaryCrossEntropy.apply(probs, target)
    if weight is not None:
        losses = losses * _target(weight, probs)
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, weight: Any = None, size_average: Any = None,
    reduce: Any = None, reduction: str = "mean", pos_weight: Any = None,
) -> Tensor:
    """BCE of sigmoid(x) against y, computed stably as max(x, 0) - x y + log(1 + exp(-|x|)).

    Finite, with exact gradient sigmoid(x) - y, for any finite x (±1000 included).
    `weight` multiplies each element's loss; `pos_weight` (one per class, broadcast along
    the last axis) weights the positive term: (1 - y) x + (1 + (pos_weight - 1) y)
    log(1 + exp(-x)).
    """
    reduction = legacy_reduction(size_average, reduce, reduction,
                                 "binary_cross_entropy_with_logits")
    logits = _tensor(logits)
    target = _target(target, logits)
    _check_same_shape(logits, target, "binary_cross_entropy_with_logits")
    if weight is None and pos_weight is None:
        return _reduce(BinaryCrossEntropyWithLogits.apply(logits, target), reduction)
    return _reduce(weighted_bce_with_logits(logits, target, weight, pos_weight), reduction)


def mse_loss(pred: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """loss = (pred - target)^2 elementwise;  d pred = 2 (pred - target) (over N for 'mean')."""
    reduction = legacy_reduction(size_average, reduce, reduction, "mse_loss")
    pred = _tensor(pred)
    target = _target(target, pred)
    _check_same_shape(pred, target, "mse_loss")
    difference = pred - target
    return _reduce(difference * difference, reduction)

