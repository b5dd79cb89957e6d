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

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.function import no_grad
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
from tinygrad_np.ops.norm import EmbeddingLookup, Normalize
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


# ----------------------------------------------------------- normalisation, dropout, embedding
def _param(value: Any, shape: tuple[int, ...], expected: tuple[int, ...], name: str,
           function: str) -> Tensor | None:
    """A weight or bias checked against `expected` and reshaped to broadcast (None stays)."""
    if value is None:
        return None
    value = _tensor(value)
    if tuple(value.shape) != expected:
        raise ValueError(f"{function}: {name} should have shape {expected}, got "
                         f"{tuple(value.shape)}")
    return value if expected == shape else value.reshape(shape)


def batch_norm(
    input: Tensor,  # noqa: A002  (PyTorch's argument name)
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) of an (N, C, ...) input, then y = x̂ weight + bias.

    Training: x̂ uses the batch's mean and biased variance over every axis but 1, and the
    running statistics, when given, move towards the batch's in place:
    running = (1 - momentum) running + momentum batch, with the unbiased variance (as PyTorch).
    Otherwise x̂ uses running_mean and running_var. One fused op with a closed-form backward.
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    shape = (channels,) + (1,) * (x.ndim - 2)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and not isinstance(stat, Tensor):
            raise TypeError(f"batch_norm: {name} must be a Tensor or None, got a "
                            f"{type(stat).__name__}")
        if stat is not None and stat.shape != (channels,):
            raise ValueError(f"batch_norm: {name} should have shape ({channels},) for an input "
                             f"of shape {x.shape}, got {stat.shape}")
    weight = _param(weight, shape, (channels,), "weight", "batch_norm")
    bias = _param(bias, shape, (channels,), "bias", "batch_norm")
    axes = (0,) + tuple(range(2, x.ndim))
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when not "
                             "training")
        fixed = tuple(stat.data.astype(x.dtype, copy=False).reshape(shape)
                      for stat in (running_mean, running_var))
        return Normalize.apply(x, weight, bias, axes, eps, fixed)
    count = x.data.size // channels if channels else 0
    if count == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got an input of shape {x.shape}")
    batch_stats: list[np.ndarray] = []
    out = Normalize.apply(x, weight, bias, axes, eps, None, batch_stats)
    if count > 1:
        mean, var = (stat.reshape(channels) for stat in batch_stats)
        with no_grad():
            if running_mean is not None:
                running_mean.copy_(momentum * mean + (1 - momentum) * running_mean.data)
            if running_var is not None:
                unbiased = var * (count / (count - 1))
                running_var.copy_(momentum * unbiased + (1 - momentum) * running_var.data)
    return out


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last len(normalized_shape) axes of each sample, then x̂ w + b
    (weight and bias of shape normalized_shape). One fused op."""
    x = _tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) > x.ndim or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"layer_norm: normalized_shape={shape} expects an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got {x.shape}")
    weight = _param(weight, shape, shape, "weight", "layer_norm")
    bias = _param(bias, shape, shape, "bias", "layer_norm")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return Normalize.apply(x, weight, bias, axes, eps)


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels of an (N, C, ...) input into num_groups groups, normalise each
    group of each sample, then apply the per-channel weight and bias (shape (C,))."""
    x = _tensor(input)
    if x.ndim < 2 or num_groups <= 0 or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: expected an input of shape (N, C, ...) with C divisible "
                         f"by num_groups={num_groups}, got {x.shape}")
    batch, channels = x.shape[:2]
    per_group = channels // num_groups
    shape = (num_groups, per_group, 1)
    weight = _param(weight, shape, (channels,), "weight", "group_norm")
    bias = _param(bias, shape, (channels,), "bias", "group_norm")
    grouped = x.reshape(batch, num_groups, per_group, math.prod(x.shape[2:]))
    return Normalize.apply(grouped, weight, bias, (2, 3), eps).reshape(x.shape)


def _check_probability(p: float, function: str) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"{function}: dropout probability has to be between 0 and 1, "
                         f"but got {p}")


def _dropout(x: Tensor, p: float, mask_shape: tuple[int, ...], inplace: bool) -> Tensor:
    """x times a mask of 1/(1-p) (kept, probability 1 - p) and 0, drawn from the library
    generator; the mask is a constant of the graph (dx = g * mask)."""
    dtype = x.dtype if x.dtype.kind == "f" else get_default_dtype()
    if p == 1:
        mask = np.zeros(mask_shape, dtype=dtype)
    else:
        mask = (generator().random(mask_shape, dtype=np.float32) >= p).astype(dtype)
        mask *= 1 / (1 - p)
    return x.mul_(mask) if inplace else x * mask


def dropout(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False  # noqa: A002
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p), so the expected
    value is unchanged; the input itself when not training (or p = 0)."""
    _check_probability(p, "dropout")
    x = _tensor(input)
    if not training or p == 0:
        return x
    return _dropout(x, p, x.shape, inplace)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False  # noqa: A002
) -> Tensor:
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input with probability p, scaling
    the rest by 1/(1-p). A 3-D input is one unbatched sample (PyTorch 2.x reads it as
    (N, C, L) with a warning, and announces this reading for a future release)."""
    _check_probability(p, "dropout2d")
    x = _tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected an input of shape (N, C, H, W) or (C, H, W), "
                         f"got {x.shape}")
    if not training or p == 0:
        return x
    return _dropout(x, p, x.shape[:-2] + (1, 1), inplace)


def embedding(
    input: Any,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) at integer `input` of any shape:
    (N, L) -> (N, L, embedding_dim). Repeated indices accumulate their gradients; the row
    `padding_idx` gets none. max_norm, scale_grad_by_freq and sparse are not supported."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported")
    weight = _tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must have shape (num_embeddings, embedding_dim), "
                         f"got {weight.shape}")
    indices = np.asarray(input.data if isinstance(input, Tensor) else input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers (int64 or int32), got "
                        f"{indices.dtype}")
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"embedding: index {bad} is out of range for {rows} embeddings "
                         f"(valid indices 0 to {rows - 1})")
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise ValueError(f"embedding: padding_idx={padding_idx} must be within "
                             f"num_embeddings={rows}")
        padding_idx %= rows
    return EmbeddingLookup.apply(weight, indices, padding_idx)


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
