"""Activations and losses as functions, like `torch.nn.functional`.

    import tinygrad_np.nn.functional as F
    loss = F.cross_entropy(model(x), labels)

Every loss takes `reduction`: 'mean' (the default) averages the per-element (per-sample for
cross_entropy) losses, 'sum' adds them, 'none' returns them unreduced.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


# ----------------------------------------------------------------- layers
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    One fused op: dx = g W, dW = g^T x (C-ordered, like W), db = g summed over the batch.
    """
    return LinearFunction.apply(_tensor(x), weight, bias)


# ----------------------------------------------------------------- losses
def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy: loss_i = -sum_c q_ic log softmax(z_i)_c, fused and stable.

    `logits` (N, C); `target` either int class ids (N,) (q is their one-hot) or class
    probabilities (N, C). Unbatched logits (C,) take a scalar class id or probabilities (C,).
    The gradient is softmax(z) - q (times 1/N for 'mean').
    """
    _check_reduction(reduction, "cross_entropy")
    logits = _tensor(logits)
    target = target if isinstance(target, Tensor) else np.asarray(target)
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


def binary_cross_entropy(probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """loss = -(y log p + (1 - y) log(1 - p)) elementwise, each log clamped at -100.

    The clamp (as in PyTorch) keeps p = 0 or 1 finite. `probs` must lie in [0, 1]; for raw
    scores use `binary_cross_entropy_with_logits`, which is also more accurate.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    probs = _tensor(probs)
    target = _target(target, probs)
    _check_same_shape(probs, target, "binary_cross_entropy")
    return _reduce(BinaryCrossEntropy.apply(probs, target), reduction)


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """BCE of sigmoid(x) against y, computed stably as max(x, 0) - x y + log(1 + exp(-|x|)).

    Finite, with exact gradient sigmoid(x) - y, for any finite x (±1000 included).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    logits = _tensor(logits)
    target = _target(target, logits)
    _check_same_shape(logits, target, "binary_cross_entropy_with_logits")
    return _reduce(BinaryCrossEntropyWithLogits.apply(logits, target), reduction)


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """loss = (pred - target)^2 elementwise;  d pred = 2 (pred - target) (over N for 'mean')."""
    _check_reduction(reduction, "mse_loss")
    pred = _tensor(pred)
    target = _target(target, pred)
    _check_same_shape(pred, target, "mse_loss")
    difference = pred - target
    return _reduce(difference * difference, reduction)


# ----------------------------------------------------------------- more activations
# PyTorch's signatures. `inplace=True` writes the result into x (as x.copy_(result) would,
# recorded when x is part of a graph) and returns x.
def _activation(x: Any, inplace: bool, method: Any, *args: Any) -> Tensor:
    x = _tensor(x)
    return x._in_place(method, *args) if inplace else method(x, *args)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """y = x Phi(x) (Phi the normal CDF, via erf); approximate='tanh' for the tanh formula."""
    return _tensor(x).gelu(approximate)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """y = x sigmoid(x)."""
    return _activation(x, inplace, Tensor.silu)


def leaky_relu(x: Tensor, negative_slope: float = 0.01,
               inplace: bool = False) -> Tensor:
    """y = x for x > 0, else negative_slope x."""
    return _activation(x, inplace, Tensor.leaky_relu, negative_slope)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """y = x for x > 0, else alpha (exp(x) - 1)."""
    return _activation(x, inplace, Tensor.elu, alpha)


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    """y = 1.0507 elu(x, 1.6733) (PyTorch's constants)."""
    return _activation(x, inplace, Tensor.selu)


def celu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """y = x for x > 0, else alpha (exp(x / alpha) - 1)."""
    return _activation(x, inplace, Tensor.celu, alpha)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """y = log(1 + exp(beta x)) / beta, and x where beta x > threshold."""
    return _tensor(x).softplus(beta, threshold)


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    """y = min(max(x, 0), 6)."""
    return _activation(x, inplace, Tensor.relu6)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """y = min(max(x, min_val), max_val)."""
    return _activation(x, inplace, Tensor.hardtanh, min_val, max_val)


def hardsigmoid(x: Tensor, inplace: bool = False) -> Tensor:
    """y = min(max(x + 3, 0), 6) / 6."""
    return _activation(x, inplace, Tensor.hardsigmoid)


def hardswish(x: Tensor, inplace: bool = False) -> Tensor:
    """y = x min(max(x + 3, 0), 6) / 6."""
    return _activation(x, inplace, Tensor.hardswish)


def mish(x: Tensor, inplace: bool = False) -> Tensor:
    """y = x tanh(softplus(x))."""
    return _activation(x, inplace, Tensor.mish)


def logsigmoid(x: Tensor) -> Tensor:
    """y = log(sigmoid(x)), stable for any x."""
    return _tensor(x).logsigmoid()


def softsign(x: Tensor) -> Tensor:
    """y = x / (1 + |x|)."""
    return _tensor(x).softsign()


def softmin(x: Tensor, axis: int = -1, *, dim: int | None = None, dtype: Any = None) -> Tensor:
    """y = softmax(-x) along `axis` (or `dim`); `dtype` converts x first, as in PyTorch."""
    x = _tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    return x.softmin(_pick_axis(axis, dim, "softmin"))
