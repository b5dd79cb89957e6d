"""Activations and losses as functions, like `torch.nn.functional`.

    import tinygrad_np.nn.functional as F
    loss = F.cross_entropy(model(x), labels)

Every loss takes `reduction`: 'mean' (the default) averages the per-element (per-sample for
cross_entropy) losses, 'sum' adds them, 'none' returns them unreduced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np.ops.linear import LinearFunction
from tinygrad_np.ops.loss import (
    REDUCTIONS,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
)
from tinygrad_np.ops.shape import IndexAdd
from tinygrad_np.rng import generator
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


# ----------------------------------------------------------------- tensor vocabulary
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class ids (int64, any shape) as one-hot rows: shape (*tensor.shape, num_classes), int64.

    num_classes=-1 takes the largest id + 1, as PyTorch.
    """
    ids = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class ids, got {ids.dtype}")
    if num_classes == -1:
        num_classes = int(ids.max()) + 1 if ids.size else 0
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise ValueError(f"one_hot: class values must lie in [0, {num_classes}), got values "
                         f"from {ids.min()} to {ids.max()}")
    return Tensor(np.arange(num_classes) == ids[..., None], dtype=np.int64)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p over dim, eps): unit vectors along `dim`."""
    input = _tensor(input)
    norms = input.norm(p, dim, keepdim=True).clip(eps, None)
    return input / norms.expand_as(input)


def _pad_positions(mode: str, size: int, before: int, after: int) -> np.ndarray:
    """Which input index each padded position along one axis reads (non-constant modes)."""
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        if before > size or after > size:
            raise ValueError(f"pad: circular padding ({before}, {after}) is larger than the "
                             f"dim of size {size}")
        return positions % size
    if before >= size or after >= size:
        raise ValueError(f"pad: reflect padding ({before}, {after}) must be less than the dim "
                         f"of size {size}")
    positions = np.abs(positions)  # reflect: mirror at both ends, edges not repeated
    return np.where(positions > size - 1, 2 * (size - 1) - positions, positions)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 axes. `pad` lists (before, after) pairs starting with the
    LAST axis, as PyTorch: (1, 2) pads the last axis, (1, 2, 3, 4) the last two. Modes:
    'constant' (with `value`, 0 by default; negative pads crop), 'reflect', 'replicate',
    'circular'. The gradient of a padded element goes to the element it copies."""
    input = _tensor(input)
    pad = [int(amount) for amount in pad]
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length {len(pad)} is too large for an input with "
                         f"{input.ndim} dims")
    pairs = {input.ndim - 1 - i: (pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)}
    if mode != "constant":
        if mode not in ("reflect", "replicate", "circular"):
            raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                             f"'circular', got {mode!r}")
        if value:
            raise ValueError(f"pad: a padding value only goes with mode='constant', not {mode!r}")
        result = input
        for axis, (before, after) in pairs.items():
            if input.shape[axis] == 0:
                raise ValueError(f"pad: cannot {mode}-pad an empty dim (shape {input.shape})")
            result = result.index_select(axis, _pad_positions(mode, input.shape[axis],
                                                              before, after))
        return result
    crop = [slice(None)] * input.ndim
    inner = [slice(None)] * input.ndim
    shape = list(input.shape)
    for axis, (before, after) in pairs.items():
        start, stop = max(-before, 0), input.shape[axis] - max(-after, 0)
        if stop < start:
            raise ValueError(f"pad: negative padding {before, after} removes more than the "
                             f"dim of size {input.shape[axis]}")
        crop[axis] = slice(start, stop)
        inner[axis] = slice(max(before, 0), max(before, 0) + stop - start)
        shape[axis] = max(before, 0) + stop - start + max(after, 0)
    kept = input[tuple(crop)] if any(part != slice(None) for part in crop) else input
    result = IndexAdd.apply(kept, tuple(inner), tuple(shape))
    if value:
        border = np.full(shape, value, dtype=result.dtype)
        border[tuple(inner)] = 0
        result = result + border
    return result


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Any = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two axes, scale = 1/sqrt(E) by default.

    `attn_mask`: bool (True = the position takes part) or float (added to the scores),
    broadcast to (..., L, S); `is_causal` keeps positions j <= i. A query row with every key
    masked out gives zeros (and zero gradient), as PyTorch 2.5+. `dropout_p` drops attention
    weights at random (scaling the rest by 1/(1-p)) whenever it is nonzero, as the function
    does in PyTorch. `enable_gqa` repeats key/value heads to match the query's.
    """
    query, key, value = _tensor(query), _tensor(key), _tensor(value)
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        repeats = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(repeats, -3)
        value = value.repeat_interleave(repeats, -3)
    length, source = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    allowed = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: pass attn_mask or is_causal, "
                             "not both")
        allowed = np.tril(np.ones((length, source), dtype=bool))
    elif attn_mask is not None:
        mask = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if mask.dtype == bool:
            allowed = mask
        else:
            scores = scores + (attn_mask if isinstance(attn_mask, Tensor)
                               else mask.astype(scores.dtype))
    if allowed is not None:
        allowed = np.broadcast_to(allowed, scores.shape)
        empty_rows = ~allowed.any(axis=-1, keepdims=True)
        # An all-masked row would be softmax(-inf, ..., -inf) = NaN: give it zeros instead.
        scores = scores.masked_fill(~allowed & ~empty_rows, -math.inf)
        weights = scores.softmax(-1).masked_fill(np.broadcast_to(empty_rows, scores.shape), 0)
    else:
        weights = scores.softmax(-1)
    if dropout_p > 0:
        keep = generator().random(weights.shape) >= dropout_p
        weights = weights * (keep / (1 - dropout_p)).astype(weights.dtype)
    return weights @ value
