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
import operator
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np import rng, xp
from tinygrad_np.device import channels_last
from tinygrad_np.errors import (
    AssertionTensorError,
    DtypeError,
    IndexOutOfBounds,
    RankError,
    TensorError,
)
from tinygrad_np.function import no_grad
from tinygrad_np.functional_forms import write_out
from tinygrad_np.functions import pdist as pdist
from tinygrad_np.join import cat
from tinygrad_np.nn.attention.bias import CausalBias
from tinygrad_np.nn.fractional_pool import (  # noqa: F401  (re-exported)
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from tinygrad_np.nn.functional_3d import (  # noqa: F401  (re-exported)
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    avg_pool3d,
    conv3d,
    conv_transpose3d,
    max_pool3d,
)
from tinygrad_np.nn.functional_ctc import ctc_loss as ctc_loss
from tinygrad_np.nn.functional_distance import (
    cosine_similarity as cosine_similarity,
    pairwise_distance as pairwise_distance,
)
from tinygrad_np.nn.functional_extra import (  # noqa: F401  (re-exported)
    alpha_dropout,
    dropout1d,
    dropout3d,
    feature_alpha_dropout,
    local_response_norm,
    rrelu,
)
from tinygrad_np.nn.functional_grid import affine_grid as affine_grid, grid_sample as grid_sample
from tinygrad_np.nn.functional_interpolate import (
    interpolate as interpolate,
    upsample as upsample,
    upsample_bilinear as upsample_bilinear,
    upsample_nearest as upsample_nearest,
)
from tinygrad_np.nn.functional_losses import (  # re-exported: F.nll_loss, F.l1_loss, ...
    cross_entropy_general,
    data_target,
    fits_output,
    huber_loss as huber_loss,
    in_dtype_of,
    kl_div as kl_div,
    l1_loss as l1_loss,
    legacy_reduction,
    nll_loss as nll_loss,
    not_differentiable,
    regression_target,
    same_shape,
    smooth_l1_loss as smooth_l1_loss,
    weighted_bce_with_logits,
    weighted_reduce,
)
from tinygrad_np.nn.functional_losses_more import (  # noqa: F401  (re-exported)
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from tinygrad_np.nn.functional_mha import (  # noqa: F401 (PyTorch's private helpers)
    _canonical_mask,
    _in_projection_packed,
    _mha_shape_check,
    _none_or_dtype,
    multi_head_attention_forward as multi_head_attention_forward,
)
from tinygrad_np.nn.functional_rare import (
    glu as glu,
    gumbel_softmax as gumbel_softmax,
    hardshrink as hardshrink,
    prelu as prelu,
    softshrink as softshrink,
    tanhshrink as tanhshrink,
    threshold as _threshold,
    threshold as threshold,
)
from tinygrad_np.nn.grouped import grouped_mm as grouped_mm
from tinygrad_np.nn.layers_extra import (  # noqa: F401  (re-exported)
    bilinear,
    embedding_bag,
    rms_norm,
)
from tinygrad_np.nn.layers_more import (  # noqa: F401  (re-exported)
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    channel_shuffle,
    instance_norm,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    pixel_shuffle,
    pixel_unshuffle,
)
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.linear import LinearFunction
from tinygrad_np.ops.loss import (
    REDUCTIONS,
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
)
from tinygrad_np.ops.masked import linked
from tinygrad_np.ops.norm import EmbeddingLookup, Normalize
from tinygrad_np.ops.opmath import BinaryCrossEntropyWithLogits as HalfBceWithLogits, MseLoss
from tinygrad_np.ops.shape import GetItem, IndexAdd
from tinygrad_np.rng import generator
from tinygrad_np.tensor import (
    Tensor,
    _node_named,
    _scalar_for,
    int_tuple,
    int_value,
    refuse_integers,
    tensor_operand,
    to_tensor as _tensor,
)

# PyTorch's names for grid_sample's modes (the numbers its kernels use)
GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}


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
        raise TensorError(
            f"{function}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )


def _reduce(losses: Tensor, reduction: str, name: str | None = None) -> Tensor:
    """The losses reduced; `name`: PyTorch's node for the loss (what `print(loss)` shows)."""
    if reduction == "mean":
        losses = losses.mean()
    elif reduction == "sum":
        losses = losses.sum()
    return losses if name is None else pytorch_named(losses, name)


# ----------------------------------------------------------------- activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = max(x, 0); `inplace=True` writes it into x (see `_activation`)."""
    return _activation(input, inplace, Tensor.relu)


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """relu written into input (PyTorch's in-place spellings of the activations follow)."""
    return _activation(input, True, Tensor.relu)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """elu written into input."""
    return elu(input, alpha, True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """leaky_relu written into input."""
    return leaky_relu(input, negative_slope, True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """hardtanh written into input."""
    return hardtanh(input, min_val, max_val, True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """threshold written into input (the argument shadows the function: its alias is used)."""
    return _threshold(input, threshold, value, True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """celu written into input."""
    return celu(input, alpha, True)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    """selu written into input."""
    return selu(input, True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
           training: bool = False) -> Tensor:
    """rrelu written into input."""
    return rrelu(input, lower, upper, training, True)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """y = 1 / (1 + exp(-x)), without overflow for any x."""
    return _tensor(input).sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """y = tanh(x)."""
    return _tensor(input).tanh()


def _pick_axis(axis: int | None, dim: int | None, function: str, x: Tensor,
               stacklevel: int = 3) -> int:
    """PyTorch users write `dim=`, NumPy users `axis=`; both mean the same thing. Neither:
    PyTorch's deprecated implicit choice (0 for 0-, 1- and 3-D input, else 1), with its
    warning."""
    if dim is None and axis is None:
        warnings.warn(f"Implicit dimension choice for {function} has been deprecated. Change "
                      "the call to include dim=X as an argument.", UserWarning,
                      stacklevel=stacklevel)
        return 0 if x.ndim in (0, 1, 3) else 1
    if dim is None:
        return axis
    if axis not in (None, dim):
        raise TypeError(f"{function}: got both axis={axis} and dim={dim}; pass one of them")
    return dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """y = exp(x) / sum(exp(x)) along `dim` (or `axis`), stable for any finite x; `dtype`
    casts x first (PyTorch's `F.softmax(x, dim=-1, dtype=torch.float32)`). The positional
    order is PyTorch's (input, dim, _stacklevel, dtype)."""
    input = _tensor(input)
    return input.softmax(_pick_axis(axis, dim, "softmax", input, _stacklevel), dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
                dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """y = x - log(sum(exp(x))) along `dim` (or `axis`), stable for any finite x; `dtype`
    casts x first. Positional order as PyTorch's (input, dim, _stacklevel, dtype)."""
    input = _tensor(input)
    return input.log_softmax(_pick_axis(axis, dim, "log_softmax", input, _stacklevel), dtype)


def _data(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


# ----------------------------------------------------------------- layers
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """y = x W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    One fused op: dx = g W, dW = g^T x (C-ordered, like W), db = g summed over the batch.
    A 1-D weight is one output feature without its axis (x @ w), as PyTorch's.
    """
    if isinstance(weight, Tensor):
        if weight.ndim < 2:
            return _linear_vector(_tensor(input), weight, bias)
    elif weight is None or isinstance(weight, (str, bytes)):  # (NumPy arrays are taken)
        tensor_operand("linear", weight, "weight")
    return LinearFunction.apply(_tensor(input), weight, bias)


def _linear_vector(x: Tensor, weight: Tensor, bias: Any) -> Tensor:
    """linear with a 1-D weight: one output feature without its axis (x @ w)."""
    if weight.ndim == 0 or x.ndim == 0:
        raise TensorError(f"linear: both arguments to linear need to be at least 1D, but they "
                          f"are {x.ndim}D and {weight.ndim}D (input {tuple(x.shape)}, weight "
                          f"{tuple(weight.shape)})")
    if bias is not None and (np.ndim(bias) != 0 or x.ndim != 1):
        raise TensorError(f"linear: a 1-D weight (shape {weight.shape}) takes a bias only "
                          f"as a 0-d one with a 1-D input, got input {x.shape} and bias "
                          f"{np.shape(bias)} (PyTorch: mat2 must be a matrix)")
    return x @ weight if bias is None else x @ weight + bias


# ----------------------------------------------------------------- losses
_LONG = np.dtype(np.int64)


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
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
    input = _tensor(input)
    logits = input._data  # (the array's attributes: cheaper than the Tensor properties)
    if logits.dtype.kind != "f":  # PyTorch has no integer kernel for it either
        raise DtypeError(f"cross_entropy: the input (logits) must be a float tensor, got "
                         f"{logits.dtype.name}; convert it with .float()")
    data_target("cross_entropy", target)
    target = target if isinstance(target, Tensor) else np.asarray(target)
    ids = _data(target)
    if (weight is not None or label_smoothing or logits.ndim > 2 or ignore_index >= 0
            and _has_id(ids, ignore_index) or ids.dtype is not _LONG and (
                ignore_index != -100 if ids.dtype.kind == "f" else isinstance(target, Tensor))):
        # (and the checks of class probabilities with an ignore_index, of int32 ids...)
        return cross_entropy_general(input, target, weight, ignore_index, reduction,
                                     label_smoothing)
    if target.dtype.kind == "f" and not isinstance(target, Tensor):
        target = target.astype(input.dtype, copy=False)
    try:
        if logits.ndim != 1:
            return CrossEntropy.apply(input, target, reduction)
        # Unbatched: a batch of one, with the result's batch axis removed again for 'none'.
        classes = input.shape[0]
        expected = () if target.dtype.kind in "iu" else (classes,)
        if target.shape != expected and (expected or target.shape != (1,)):  # ((1,): PyTorch's)
            what = "a class id" if expected == () else "class probabilities"
            raise TensorError(
                f"cross_entropy: for unbatched logits of shape ({classes},) the target must "
                f"have shape {expected} ({what}), got {tuple(target.shape)}")
        loss = CrossEntropy.apply(input.reshape(1, classes), target.reshape((1,) + expected),
                                  reduction)
        return loss.reshape(()) if reduction == "none" else loss
    except (ValueError, IndexError):  # the op refuses a negative ignore_index (-100 by
        # default) as a class id: only then is it looked for
        if ignore_index < 0 and _has_id(ids, ignore_index):
            return cross_entropy_general(input, target, weight, ignore_index, reduction,
                                         label_smoothing)
        if logits.ndim == 0:  # (no class axis: PyTorch's IndexError, Dimension out of range)
            raise RankError("cross_entropy: Dimension out of range: the input must have a "
                            "class axis, got a 0-d tensor") from None
        raise


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Any, *,  # noqa: A002
                         linear_bias: Tensor | None = None, weight: Any = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options: Any = None) -> Tensor:
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...) as PyTorch 2.13's:
    input (in,) or (N, in); linear_weight (C, in), or (C, d1, ..., dK, in) for logits
    (N, C, d1, ..., dK); ignore_index None means -100 (and may not be set with class
    probabilities). `options` (PyTorch's chunking, a memory saving) changes nothing here."""
    input, linear_weight = _tensor(input), _tensor(linear_weight)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"linear_cross_entropy: expected input with dimensionality 1 or 2, "
                           f"got shape {input.shape}")
    if linear_weight.ndim < 2 or linear_weight.shape[-1] != input.shape[-1]:
        raise RuntimeError(f"linear_cross_entropy: expected linear_weight (C, ..., "
                           f"{input.shape[-1]}) for input of shape {input.shape}, got shape "
                           f"{linear_weight.shape}")
    classes, features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *features):
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape "
                           f"{(classes, *features)}, got {tuple(linear_bias.shape)}")
    if features and input.ndim == 1:
        raise RuntimeError(f"linear_cross_entropy: K-dimensional loss (linear_weight of shape "
                           f"{linear_weight.shape}) needs batched input (N, {input.shape[-1]}), "
                           f"got shape {input.shape}")
    logits_shape = (*input.shape[:-1], classes, *features)
    if tuple(np.shape(_data(target))) == logits_shape and ignore_index is not None:
        raise RuntimeError("linear_cross_entropy: ignore_index cannot be specified when target "
                           "contains probabilities")
    outputs = int(np.prod(logits_shape[input.ndim - 1:]))
    logits = linear(input, linear_weight.reshape(outputs, input.shape[-1]),
                    None if linear_bias is None else linear_bias.reshape(outputs))
    return cross_entropy(logits.reshape(logits_shape), target, weight=weight,
                         ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)


def _has_id(ids: Any, ignore_index: int) -> bool:
    """True when the class ids `ids` contain `ignore_index`."""
    return bool(ids.dtype.kind in "iu" and ids.size and (ids == ignore_index).any())


def _float_operands(input: Tensor, target: Any, function: str, same: bool) -> None:  # noqa: A002
    """PyTorch's dtype rules of the BCE losses: a floating-point input, and a Tensor target
    of the same dtype (`same`) or of any floating dtype."""
    if input.dtype.kind != "f":
        raise DtypeError(f"{function}: the input must be a floating-point tensor, got "
                         f"{input.dtype.name}")
    if not isinstance(target, Tensor) or target.dtype == input.dtype:
        return
    if same or target.dtype.kind != "f":
        raise DtypeError(f"{function}: the target's dtype {target.dtype.name} must be "
                         f"{'the input' if same else 'a floating-point'} dtype "
                         f"({input.dtype.name}), as PyTorch")


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """loss = -(y log p + (1 - y) log(1 - p)) elementwise, each log clamped at -100.

    The clamp (as in PyTorch) keeps p = 0 or 1 finite. `probs` must lie in [0, 1]; for raw
    scores use `binary_cross_entropy_with_logits`, which is also more accurate. `weight`
    (broadcast to the input's shape) multiplies each element's loss.
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    input = _tensor(input)
    data_target("binary_cross_entropy", target)
    _float_operands(input, target, "binary_cross_entropy", same=True)
    target = _target(target, input)
    same_shape(input, target, "binary_cross_entropy")
    _check_probability_target(target)
    fits_output("binary_cross_entropy", input.shape, "weight", weight)
    not_differentiable("binary_cross_entropy", "weight", weight)
    losses = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        losses = losses * in_dtype_of(weight, input)
    return _reduce(losses, reduction, "BinaryCrossEntropyBackward0")


def _check_probability_target(target: Any) -> None:
    """binary_cross_entropy's targets are probabilities: PyTorch's error outside [0, 1]."""
    values = target._data if isinstance(target, Tensor) else target
    inside = (values >= 0) & (values <= 1)  # (NaN is outside)
    if not inside.all():
        raise TensorError(f"binary_cross_entropy: all elements of target should be between 0 "
                          f"and 1, got {values[~inside].flat[0]}")


@xp.quiet
def binary_cross_entropy_with_logits(  # noqa: A002
    input: Tensor, target: Any, weight: Any = None, size_average: Any = None,
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
    input = _tensor(input)
    data_target("binary_cross_entropy_with_logits", target)
    _float_operands(input, target, "binary_cross_entropy_with_logits", same=False)
    target = _target(target, input)
    same_shape(input, target, "binary_cross_entropy_with_logits")
    not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    fits_output("binary_cross_entropy_with_logits", input.shape, "weight", weight)
    fits_output("binary_cross_entropy_with_logits", input.shape, "pos_weight", pos_weight)
    if weight is None and pos_weight is None and input.dtype == target.dtype == np.float16 \
            and input.shape == target.shape:  # PyTorch's float16 gradient steps
        return HalfBceWithLogits.apply(input, target, reduction)
    if isinstance(target, Tensor) and target.dtype != input.dtype:  # PyTorch's result takes
        losses = weighted_bce_with_logits(input, target, weight, pos_weight)  # the target's
        return _reduce(losses.to(target.dtype), reduction, _BCE_LOGITS)  # dtype (float16 too)
    if weight is None and pos_weight is None:
        return _reduce(BinaryCrossEntropyWithLogits.apply(input, target), reduction, _BCE_LOGITS)
    return _reduce(weighted_bce_with_logits(input, target, weight, pos_weight), reduction,
                   _BCE_LOGITS)


_BCE_LOGITS = "BinaryCrossEntropyWithLogitsBackward0"


@xp.quiet
def mse_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """loss = (pred - target)^2 elementwise;  d pred = 2 (pred - target) (over N for 'mean').
    `weight` (the input's shape) weighs each element; 'mean' then divides by its sum."""
    reduction = legacy_reduction(size_average, reduce, reduction, "mse_loss")
    input = _tensor(input)
    target = regression_target(target, input, "mse_loss")
    same_shape(input, target, "mse_loss", "warn")
    if weight is None and input.dtype == target.dtype == np.float16 and input.shape == target.shape:
        return pytorch_named(MseLoss.apply(input, target, reduction), "MseLossBackward0")
    difference = input - target
    if weight is not None:
        return weighted_reduce(difference * difference, weight, input, reduction, "mse_loss")
    return _reduce(difference * difference, reduction, "MseLossBackward0")


# ----------------------------------------------------------- normalisation, dropout, embedding
def _param(value: Any, shape: tuple[int, ...], expected: tuple[int, ...], name: str,
           function: str) -> Tensor | None:
    """A weight or bias checked against `expected` and reshaped to broadcast (None stays)."""
    if value is None:
        return None
    value = _tensor(value)
    if tuple(value.shape) != expected:
        raise TensorError(f"{function}: {name} should have shape {expected}, got "
                          f"{tuple(value.shape)}")
    if value._data.dtype.kind not in "fc":  # PyTorch: "mixed dtype (CPU): expect parameter
        raise TensorError(f"{function}: {name} must be a floating-point tensor, got "  # to
                          f"{value.dtype.name}")  # have scalar type of Float"
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
    Training needs a positive eps (PyTorch's ValueError; `torch.batch_norm` does not check).
    """
    if momentum is None:
        raise TypeError("batch_norm: momentum must be a float, not None (the modules' "
                        "momentum=None, the cumulative average, is theirs to turn into one)")
    if training and not eps > 0:
        raise TensorError(f"batch_norm eps must be positive during training, but got {eps}")
    stats = [stat for stat in (running_mean, running_var) if stat is not None]
    if training and stats and rng.in_vmap() and not all(
            getattr(stat, "_vmap_slice", None) for stat in stats):
        # vmap calls func per slice: running stats not mapped (not a slice of a mapped input,
        # as stack_module_state's buffers are) would move once per slice (PyTorch's error;
        # its batching rule cannot update unbatched buffers with batched statistics)
        raise RuntimeError(
            "Batch norm got a batched tensor as input while the running_mean or running_var, "
            "which will be updated in place, were not batched.\nIf you are using a module and "
            "do not need eval mode, please set `track_running_stats` to be False. If you are "
            "using a prebuilt module, please see torch.func.replace_all_batch_norm_modules_ "
            "(or call .eval())")
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input: Tensor, running_mean: Tensor | None,  # noqa: A002
                running_var: Tensor | None, weight: Tensor | None, bias: Tensor | None,
                training: bool, momentum: float, eps: float) -> Tensor:
    x = refuse_integers("batch_norm", _tensor(input))  # (PyTorch has no integer kernel)
    if x.ndim < 2:
        raise RankError(f"batch_norm: expected an input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    shape = (channels,) + (1,) * (x.ndim - 2)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and not isinstance(stat, Tensor):
            raise TypeError(f"batch_norm: {name} must be a Tensor or None, got a "
                            f"{type(stat).__name__}")
        if stat is not None and stat.shape != (channels,):
            raise TensorError(f"batch_norm: {name} should have shape ({channels},) for an input "
                              f"of shape {x.shape}, got {stat.shape}")
        not_differentiable("native_batch_norm", name, stat)
    weight = _param(weight, shape, (channels,), "weight", "batch_norm")
    bias = _param(bias, shape, (channels,), "bias", "batch_norm")
    axes = (0,) + tuple(range(2, x.ndim))
    if not training:
        if running_mean is None or running_var is None:
            raise TensorError("batch_norm: running_mean and running_var are required when not "
                              "training")
        fixed = tuple(stat._data.astype(x.dtype, copy=False).reshape(shape)
                      for stat in (running_mean, running_var))
        return pytorch_named(Normalize.apply(x, weight, bias, axes, eps, fixed), _NATIVE_BN)
    count = x._data.size // channels if channels else 0
    if count == 1:
        raise TensorError(f"Expected more than 1 value per channel when training, got input "
                          f"size torch.Size({list(x.shape)}) (batch_norm)")
    batch_stats: list[np.ndarray] = []
    out = pytorch_named(Normalize.apply(x, weight, bias, axes, eps, None, batch_stats),
                        "NativeBatchNormBackward0")
    if count > 1:
        mean, var = (stat.reshape(channels) for stat in batch_stats)
        with no_grad():
            if running_mean is not None:
                running_mean._copy_array_(momentum * mean + (1 - momentum) * running_mean._data)
            if running_var is not None:
                unbiased = var * (count / (count - 1))
                running_var._copy_array_(momentum * unbiased + (1 - momentum) * running_var._data)
    return pytorch_named(out, _NATIVE_BN)


_NATIVE_BN = "NativeBatchNormBackward0"  # (PyTorch's nodes for the fused norms: display only)


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last len(normalized_shape) axes of each sample, then x̂ w + b
    (weight and bias of shape normalized_shape). One fused op."""
    x = refuse_integers("layer_norm", _tensor(input))  # (PyTorch has no integer kernel)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else int_tuple(
        normalized_shape, "layer_norm(): argument 'normalized_shape'")
    if not shape:
        raise TensorError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                          f"containing at least one element (layer_norm: got {shape} for "
                          f"input shape {x.shape})")
    if len(shape) > x.ndim or x.shape[x.ndim - len(shape):] != shape:
        raise TensorError(f"Given normalized_shape={list(shape)}, expected input with shape "
                          f"[*, {', '.join(map(str, shape))}], but got input of size"
                          f"{list(x.shape)} (layer_norm: normalized_shape={shape} expects an "
                          f"input of shape (*, {', '.join(map(str, shape))}), got {x.shape})")
    weight = _param(weight, shape, shape, "weight", "layer_norm")
    bias = _param(bias, shape, shape, "bias", "layer_norm")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    x = x if x._data.flags.c_contiguous else x.contiguous()  # (PyTorch's result is row-major)
    return pytorch_named(Normalize.apply(x, weight, bias, axes, eps), "NativeLayerNormBackward0")


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels of an (N, C, ...) input into num_groups groups, normalise each
    group of each sample, then apply the per-channel weight and bias (shape (C,))."""
    x = refuse_integers("group_norm", _tensor(input))  # (PyTorch has no integer kernel)
    if x.ndim < 2 or num_groups <= 0 or x.shape[1] % num_groups:
        raise TensorError(f"group_norm: expected an input of shape (N, C, ...) with C divisible "
                          f"by num_groups={num_groups}, got {x.shape}")
    batch, channels = x.shape[:2]
    per_group = channels // num_groups
    shape = (num_groups, per_group, 1)
    weight = _param(weight, shape, (channels,), "weight", "group_norm")
    bias = _param(bias, shape, (channels,), "bias", "group_norm")
    grouped = x.reshape(batch, num_groups, per_group, math.prod(x.shape[2:]))
    y = Normalize.apply(grouped, weight, bias, (2, 3), eps).reshape(x.shape)
    # C-ordered as PyTorch's (views work), channels_last kept as PyTorch keeps it
    y = y if x.ndim == 4 and x.is_contiguous(memory_format=channels_last) else y.contiguous()
    return pytorch_named(y, "NativeGroupNormBackward0")


def _check_probability(p: float, function: str) -> None:
    if not 0 <= p <= 1:
        raise TensorError(f"{function}: dropout probability has to be between 0 and 1, "
                          f"but got {p}")


def refuse_scaling(x: Tensor, p: float) -> np.dtype:
    """The dtype a dropout of a non-float `x` may keep (its own, when the result is zeros
    or empty: no value is scaled); scaling one is PyTorch's RuntimeError."""
    if p == 1 or x.numel() == 0:
        return x.dtype
    raise TensorError(f"dropout: result type Float can't be cast to the desired output type "
                      f"{x.dtype.name} (dropout scales by 1/(1-p); convert the input to float)")


def _dropout(x: Tensor, p: float, mask_shape: tuple[int, ...], inplace: bool) -> Tensor:
    """x times a mask of 1/(1-p) (kept, probability 1 - p) and 0, drawn from the library
    generator (in x's memory order, as PyTorch's empty_like(x).bernoulli_); the mask is a
    constant of the graph (dx = g * mask). An integer or bool x
    gives zeros of its dtype for p = 1 (or an empty x), else PyTorch's RuntimeError."""
    dtype = x.dtype if x.dtype.kind == "f" else refuse_scaling(x, p)
    if p == 1 or x.dtype.kind != "f":
        mask = np.zeros(mask_shape, dtype=dtype)
    else:
        kind = np.dtype(np.float32) if dtype.itemsize < 4 else dtype  # (a half: in float)
        mask = rng.drawn_like(lambda shape: generator().bernoulli(1 - p, shape), x._data,
                              mask_shape).astype(kind)  # (PyTorch's bernoulli_(1 - p),
        mask /= kind.type(1 - p)  # then div_(1 - p))
        mask = mask.astype(dtype, copy=False)
    return x.mul_(mask) if inplace else x * mask


@xp.quiet
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


@xp.quiet
def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False  # noqa: A002
) -> Tensor:
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input with probability p, scaling
    the rest by 1/(1-p). A 3-D input is one unbatched sample (PyTorch 2.x reads it as
    (N, C, L) with a warning, and announces this reading for a future release)."""
    from tinygrad_np.nn.functional_extra import _feature_dropout  # (it imports this module)

    return _feature_dropout("dropout2d", input, p, training, inplace, 2)


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
    `padding_idx` gets none. `max_norm` first scales each looked-up row whose `norm_type`
    norm exceeds it down to that norm, in place in `weight` (as PyTorch); `sparse=True` gives
    the same gradient as a dense array; `scale_grad_by_freq` divides the gradient of each
    looked-up row by how often its index occurs in `input`."""
    weight = _tensor(weight)
    if weight.ndim != 2:
        raise TensorError(f"embedding: weight must have shape (num_embeddings, embedding_dim), "
                          f"got {weight.shape}")
    indices = np.array(input._data if isinstance(input, Tensor) else input)  # a copy: kept
    if indices.dtype != np.int64 and indices.dtype != np.int32:  # (PyTorch's; not int16)
        raise DtypeError(f"embedding: indices must be integers (int64 or int32), got "
                         f"{indices.dtype.name}")
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexOutOfBounds(f"embedding: index {bad} is out of range for {rows} embeddings "
                               f"(valid indices 0 to {rows - 1}): index out of range in self")
    if padding_idx is not None:
        padding_idx = int_value("embedding", "padding_idx", padding_idx)  # (1.5: not row 1)
        if not -rows <= padding_idx < rows:
            raise AssertionTensorError(f"embedding: padding_idx={padding_idx} must be within "
                              f"num_embeddings={rows}")
        padding_idx %= rows
    if max_norm is not None:
        _renorm_rows(weight, np.unique(indices), max_norm, norm_type)
    return EmbeddingLookup.apply(weight, indices, padding_idx, scale_grad_by_freq)


@xp.quiet  # a row whose norm overflows to inf is scaled by 0, silently (as PyTorch)
def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rows of `weight` longer than max_norm scaled to max_norm / (norm + 1e-7) of themselves,
    in place and unrecorded (PyTorch's embedding_renorm_)."""
    norms = np.linalg.norm(weight._data[rows].astype(np.float64), ord=norm_type, axis=1)
    long_rows = norms > max_norm
    if long_rows.any():
        scale = (max_norm / (norms[long_rows] + 1e-7))[:, None].astype(weight.dtype)
        with no_grad():
            weight[rows[long_rows]] = weight[rows[long_rows]] * Tensor(scale)


# ----------------------------------------------------------------- more activations
# PyTorch's signatures. `inplace=True` writes the result into x (as x.copy_(result) would,
# recorded when x is part of a graph) and returns x.
def _activation(x: Any, inplace: bool, method: Any, *args: Any) -> Tensor:
    x = _tensor(x)  # (a view of a result still in use cannot take a recorded write here:
    if inplace and not x._in_place_refused(*args):  # the result is then a new tensor, as
        return x._in_place(method, *args, elementwise=True)  # before inplace= was honoured)
    return method(x, *args)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """y = x Phi(x) (Phi the normal CDF, via erf); approximate='tanh' for the tanh formula."""
    return _tensor(input).gelu(approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = x sigmoid(x)."""
    return _activation(input, inplace, Tensor.silu)


@_node_named("LeakyReluBackward0", in_place="LeakyReluBackward1")
def leaky_relu(input: Tensor, negative_slope: float = 0.01,  # noqa: A002
               inplace: bool = False) -> Tensor:
    """y = x for x > 0, else negative_slope x."""
    return _activation(input, inplace, Tensor.leaky_relu, negative_slope)


@_node_named("EluBackward0", in_place="EluBackward1")
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = x for x > 0, else alpha (exp(x) - 1)."""
    return _activation(input, inplace, Tensor.elu, alpha)


@_node_named("EluBackward0", in_place="EluBackward1")
def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = 1.0507 elu(x, 1.6733) (PyTorch's constants)."""
    return _activation(input, inplace, Tensor.selu)


@_node_named("CeluBackward0", in_place="CeluBackward1")
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = x for x > 0, else alpha (exp(x / alpha) - 1)."""
    return _activation(input, inplace, Tensor.celu, alpha)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """y = log(1 + exp(beta x)) / beta, and x where beta x > threshold."""
    return _tensor(input).softplus(beta, threshold)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = min(max(x, 0), 6)."""
    return _activation(input, inplace, Tensor.relu6)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Tensor:
    """y = min(max(x, min_val), max_val)."""
    return _activation(input, inplace, Tensor.hardtanh, min_val, max_val)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = min(max(x + 3, 0), 6) / 6."""
    return _activation(input, inplace, Tensor.hardsigmoid)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = x min(max(x + 3, 0), 6) / 6."""
    return _activation(input, inplace, Tensor.hardswish)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = x tanh(softplus(x))."""
    return _activation(input, inplace, Tensor.mish)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """y = log(sigmoid(x)), stable for any x."""
    return _tensor(input).logsigmoid()


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """y = x / (1 + |x|)."""
    return _tensor(input).softsign()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,  # noqa: A002
            dtype: Any = None, *, axis: int | None = None) -> Tensor:
    """y = softmax(-x) along `dim` (or `axis`); `dtype` converts x first, as in PyTorch
    (positional order (input, dim, _stacklevel, dtype), as PyTorch's)."""
    input = _tensor(input)
    if dtype is not None:
        input = input.astype(dtype)
    return input.softmin(_pick_axis(axis, dim, "softmin", input, _stacklevel))


# ----------------------------------------------------------------- tensor vocabulary
def one_hot(input: Tensor | None = None, num_classes: int = -1, *,  # noqa: A002
            tensor: Tensor | None = None) -> Tensor:
    """Class ids (int64, any shape) as one-hot rows: shape (*input.shape, num_classes), int64.

    num_classes=-1 takes the largest id + 1 (an error for an empty tensor), as PyTorch; other
    integer dtypes are refused as PyTorch does. The ids are `input` (PyTorch's keyword) or
    `tensor=` (its documentation's name, which PyTorch itself refuses).
    """
    if (input is None) == (tensor is None):
        raise TypeError("one_hot() takes the class ids once, as `input` (or `tensor=`)")
    tensor = input if tensor is None else tensor
    ids = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if ids.dtype != np.int64:
        raise DtypeError("one_hot is only applicable to index tensor of type LongTensor "
                         f"(one_hot: tensor of class ids has dtype {ids.dtype.name}, not int64)")
    num_classes = int_value("one_hot", "num_classes", num_classes)
    if num_classes == -1 or num_classes <= 0 and not ids.size:  # (PyTorch: 0 and -2 too)
        if not ids.size:
            raise TensorError("Can not infer total number of classes from empty tensor (one_hot: "
                              f"tensor has shape {ids.shape}; pass num_classes)")
        num_classes = int(ids.max()) + 1
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise TensorError(f"Class values must be smaller than num_classes (one_hot: class "
                          f"values must lie in [0, {num_classes}), got values from {ids.min()} "
                          f"to {ids.max()})")
    # zeros and one write per id: 7x faster than comparing every id with every class
    rows = np.zeros(ids.shape + (num_classes,), dtype=np.int64)
    rows.reshape(ids.size, num_classes)[np.arange(ids.size), ids.reshape(-1)] = 1
    return Tensor(rows)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,  # noqa: A002
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p over dim, eps): unit vectors along `dim` (written into `out`
    when given, as PyTorch's out=)."""
    input = _tensor(input)
    norms = input.norm(p, dim, keepdim=True).clip(eps, None)
    return write_out("normalize", out, input / norms.expand_as(input))


def _pad_positions(mode: str, size: int, before: int, after: int) -> np.ndarray:
    """Which input index each padded position along one axis reads (non-constant modes)."""
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":  # wraps around what a negative pad leaves, as PyTorch
        start, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
        if kept <= 0 or before > kept or after > kept:
            raise TensorError(f"pad: circular padding ({before}, {after}) wraps around more "
                              f"than once a dim of size {size}")
        return start + (positions - start) % kept
    if before >= size or after >= size:
        raise TensorError(f"pad: reflect padding ({before}, {after}) must be less than the dim "
                          f"of size {size}")
    positions = np.abs(positions)  # reflect: mirror at both ends, edges not repeated
    return np.where(positions > size - 1, 2 * (size - 1) - positions, positions)


def _pad_edges(x: Tensor, axis: int, before: int, after: int, mode: str) -> Tensor:
    """x padded along `axis` by slices of its own edges and one concatenation (no gather:
    the gradient of an edge slice is added back at its place, and the middle's is a view)."""
    size = x.shape[axis]

    def part(start: int, stop: int, step: int = 1) -> Tensor:
        return GetItem.apply(x, (slice(None),) * axis + (slice(start, stop if stop >= 0 else
                                                                 None, step),))

    if mode == "replicate":
        shape = lambda count: x.shape[:axis] + (count,) + x.shape[axis + 1:]  # noqa: E731
        left, right = part(0, 1).expand(shape(before)), part(size - 1, size).expand(shape(after))
    elif mode == "reflect":  # mirrored at the edge element, which is not repeated
        left, right = part(before, 0, -1), part(size - 2, size - 2 - after, -1)
    else:  # circular
        left, right = part(size - before, size), part(0, after)
    return cat([piece for piece, count in ((left, before), (x, size), (right, after)) if count],
               axis)  # (a count of 0 can make a slice reaching index -1 select an element)


def _pad_amounts(pad: Any) -> list[int]:
    """F.pad's `pad` as ints: a float (1.5) is PyTorch's TypeError, not truncated to 1."""
    if not isinstance(pad, (list, tuple, np.ndarray)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not "
                        f"{type(pad).__name__}")
    amounts = []
    for position, amount in enumerate(pad):
        try:
            amounts.append(operator.index(amount))
        except TypeError:
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but "
                            f"found element of type {type(amount).__name__} at pos "
                            f"{position}") from None
    return amounts


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 axes. `pad` lists (before, after) pairs starting with the
    LAST axis, as PyTorch: (1, 2) pads the last axis, (1, 2, 3, 4) the last two. Modes:
    'constant' (with `value`, 0 by default; negative pads crop), 'reflect', 'replicate',
    'circular'. The gradient of a padded element goes to the element it copies."""
    input = _tensor(input)
    pad = _pad_amounts(pad)
    if len(pad) % 2:
        raise TensorError(f"pad: padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.ndim:
        raise TensorError(f"pad: padding length {len(pad)} is too large for an input with "
                          f"{input.ndim} dims")
    pairs = {input.ndim - 1 - i: (pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)}
    if mode != "constant":
        if mode not in ("reflect", "replicate", "circular"):  # (PyTorch: NotImplementedError)
            raise NotImplementedError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                                      f"'circular', got {mode!r}")
        if value:
            raise TensorError(f"pad: a padding value only goes with mode='constant', not {mode!r}")
        if input.ndim - len(pad) // 2 not in (1, 2):  # PyTorch's (no-)batch + channel axes
            raise NotImplementedError(f"pad: padding size {len(pad)} is not supported for "
                                      f"{input.ndim}D input tensor in mode {mode!r} (it pads "
                                      f"the last {len(pad) // 2} dims of a (N,) C, ... input)")
        for axis, (before, after) in pairs.items():
            if input.shape[axis] and input.shape[axis] + before + after < 1:
                raise TensorError(f"input (dim {axis}: {input.shape[axis]}) is too small. "
                                  f"Calculated output: {input.shape[axis] + before + after} "
                                  f"(pad: {mode} padding ({before}, {after}) of shape "
                                  f"{input.shape})")
        result = input
        for axis, (before, after) in pairs.items():
            if input.shape[axis] == 0:
                raise TensorError(f"pad: cannot {mode}-pad an empty dim (shape {input.shape})")
            positions = _pad_positions(mode, input.shape[axis], before, after)  # (checks)
            result = _pad_edges(result, axis, before, after, mode) if min(before, after) >= 0 \
                else result._index_select(axis, positions)
        # PyTorch's reflect/replicate backward reads the input: 2nd order 0 (ops/masked.py)
        if mode == "circular":
            return result
        name = "Reflection" if mode == "reflect" else "Replication"
        return pytorch_named(linked(result), f"{name}Pad{len(pairs)}DBackward0")
    crop = [slice(None)] * input.ndim
    inner = [slice(None)] * input.ndim
    shape = list(input.shape)
    for axis, (before, after) in pairs.items():
        start, stop = max(-before, 0), input.shape[axis] - max(-after, 0)
        if stop < start:
            raise TensorError(f"pad: negative padding {before, after} removes more than the "
                              f"dim of size {input.shape[axis]}")
        crop[axis] = slice(start, stop)
        inner[axis] = slice(max(before, 0), max(before, 0) + stop - start)
        shape[axis] = max(before, 0) + stop - start + max(after, 0)
    kept = input[tuple(crop)] if any(part != slice(None) for part in crop) else input
    result = IndexAdd.apply(kept, tuple(inner), tuple(shape))
    if value:
        border = np.full(shape, _scalar_for("pad", value, result.dtype), dtype=result.dtype)
        border[tuple(inner)] = 0
        result = result + border
    return pytorch_named(result, "ConstantPadNdBackward0")


@xp.quiet  # huge scores beside a -inf mask: inf - inf is NaN, silently (as PyTorch)
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Any = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two axes, scale = 1/sqrt(E) by default.

    `attn_mask`: bool (True = the position takes part) or float (added to the scores),
    broadcast to (..., L, S); `is_causal` keeps positions j <= i (with a mask too, both apply
    where PyTorch takes its fused CPU kernel: 4-D inputs, no dropout, value's head size the
    query's, a mask that does not require grad; elsewhere the pair raises, as its math path).
    A query row with every key masked out gives zeros (and zero gradient), as
    PyTorch 2.5+. `dropout_p` drops attention weights at random (scaling the rest by
    1/(1-p)) whenever it is nonzero, as the function does in PyTorch. `enable_gqa` repeats
    key/value heads to match the query's.
    """
    query, key, value = _tensor(query), _tensor(key), _tensor(value)
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise TensorError(f"scaled_dot_product_attention: Expected query, key, and value to all "
                          f"be at least 2 dimensional, but got query.dim: {query.ndim} key.dim: "
                          f"{key.ndim} and value.dim: {value.ndim} instead.")
    if is_causal and attn_mask is not None and not (  # PyTorch's fused CPU kernel's terms
            query.ndim == key.ndim == value.ndim == 4 and not dropout_p
            and value.shape[-1] == query.shape[-1]
            and not (isinstance(attn_mask, Tensor) and attn_mask.requires_grad)):
        raise TensorError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                          "when is_causal=True")
    if not query.dtype == key.dtype == value.dtype:
        raise TensorError(f"scaled_dot_product_attention: expected query, key, and value to "
                          f"have the same dtype, but got query.dtype: {query.dtype.name} "
                          f"key.dtype: "
                          f"{key.dtype.name} and value.dtype: {value.dtype.name}")
    refuse_integers("scaled_dot_product_attention", query)  # (no integer kernel, as PyTorch)
    if enable_gqa:  # key and value apart
        if min(query.ndim, key.ndim, value.ndim) < 3:  # (PyTorch's error: no heads dim -3)
            raise IndexError(f"Dimension out of range (scaled_dot_product_attention: "
                             f"enable_gqa=True takes heads at dim -3, got query {query.shape}, "
                             f"key {key.shape}, value {value.shape})")
        heads = query.shape[-3]
        if heads % max(key.shape[-3], 1) or heads % max(value.shape[-3], 1):
            raise TensorError(f"Number of heads in key and value must divide the number of "
                              f"heads in query (scaled_dot_product_attention: query "
                              f"{query.shape}, key {key.shape}, value {value.shape})")
        if key.shape[-3] != heads:
            key = key.repeat_interleave(heads // key.shape[-3], -3)
        if value.shape[-3] != heads:
            value = value.repeat_interleave(heads // value.shape[-3], -3)
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise TensorError(f"scaled_dot_product_attention: query (..., L, E) and key (..., S, E) "
                          f"need the same E and value (..., S, Ev) the key's S, got query "
                          f"{query.shape}, key {key.shape}, value {value.shape}")
    length, source = query.shape[-2], key.shape[-2]
    if scale is None:  # (no features: the scores are 0 whatever the scale)
        scale = 1 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    scores = (query @ key.transpose(-2, -1)) * scale
    allowed = empty_rows = None
    causal = np.tril(np.ones((length, source), dtype=bool)) if is_causal else None
    if isinstance(attn_mask, CausalBias):  # nn.attention.bias's causal masks
        attn_mask = attn_mask._materialize()
    if attn_mask is not None:  # (with is_causal too: both apply, as PyTorch 2.13)
        mask = attn_mask._data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        try:
            np.broadcast_shapes(mask.shape, scores.shape)
        except ValueError:
            raise TensorError(f"scaled_dot_product_attention: attn_mask of shape "
                              f"{tuple(mask.shape)} does not broadcast to the attention scores' "
                              f"shape {tuple(scores.shape)} (..., L, S)") from None
        if (mask.dtype != np.bool_ and mask.dtype != query.dtype and isinstance(attn_mask, Tensor)
                and mask.dtype != np.float32):
            raise TensorError(f"scaled_dot_product_attention: expected attn_mask dtype to be "
                              f"bool or float or to match query dtype, but got attn_mask.dtype: "
                              f"{mask.dtype.name} and query.dtype: {query.dtype.name}")
        if scores.dtype == np.float16 and mask.dtype == np.float32:  # a float32 mask Tensor
            scores = scores.float()  # is added in float32, as in PyTorch's kernel
        if mask.dtype != np.bool_:  # (a NumPy array: in the query's dtype)
            mask = mask.astype(query.dtype, copy=False)
        if mask.dtype == np.bool_:
            allowed = mask if causal is None else mask & causal
        else:
            scores = scores + (attn_mask if isinstance(attn_mask, Tensor)
                               else mask.astype(scores.dtype))
            if causal is not None:
                scores = scores.masked_fill(~np.broadcast_to(causal, scores.shape), -math.inf)
            empty_rows = np.broadcast_to(np.isneginf(scores._data).all(-1, keepdims=True),
                                         scores.shape)
            scores = scores.masked_fill(empty_rows, 0) if empty_rows.any() else scores
    elif causal is not None:
        allowed = causal
    if allowed is not None:
        allowed = np.broadcast_to(allowed, scores.shape)
        empty_rows = np.broadcast_to(~allowed.any(axis=-1, keepdims=True), scores.shape)
        scores = scores.masked_fill(~allowed & ~empty_rows, -math.inf)
    # An all-masked row would be softmax(-inf, ..., -inf) = NaN: zeros instead (PyTorch 2.5+).
    weights = scores.softmax(-1)
    if empty_rows is not None and empty_rows.any():
        weights = weights.masked_fill(empty_rows, 0)
    if dropout_p > 0:  # (p = 1 drops every weight: zeros, as PyTorch, not 0 / 0)
        keep = generator().bernoulli(1 - dropout_p, weights.shape)
        weights = weights * (keep / (1 - dropout_p) if dropout_p < 1 else keep).astype(
            weights.dtype)
    return (weights if weights.dtype == value.dtype else weights.to(value.dtype)) @ value


# ----------------------------------------------------------------- convolution and pooling
# NCHW tensors and PyTorch's argument names, defaults and output sizes. The ops live in
# tinygrad_np/ops/conv.py; these functions check the arguments and work out the geometry.
import functools  # noqa: E402  (kept with the block that uses it)

from tinygrad_np.ops import conv as _conv  # noqa: E402


def _int_like(value: Any) -> bool:
    """An int, a NumPy integer or a 0-d integer tensor (PyTorch takes each as an int)."""
    if isinstance(value, Tensor):
        return value.ndim == 0 and value.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _ints(value: Any, count: int, argument: str, function: str, expected: str) -> tuple:
    """`count` ints from an int (repeated), a one-element sequence (repeated, as PyTorch
    broadcasts it) or `count` ints; other ints are PyTorch's RuntimeError (a sequence of the
    wrong length), anything else a TypeError, each naming `expected`."""
    values = (value,) if _int_like(value) else tuple(value) if isinstance(
        value, (tuple, list)) else ()
    if len(values) == 1:
        values *= count
    if len(values) != count or not all(_int_like(v) for v in values):
        error = TensorError if isinstance(value, (tuple, list)) and all(
            _int_like(v) for v in values) else TypeError
        raise error(f"{function}: {argument} must be {expected}, got {value!r}")
    return tuple(int(v) for v in values)


def _one_int(value: Any, argument: str, function: str) -> int:
    """An int or a one-int sequence (a 1-D op's argument), with `_ints`'s errors."""
    return _ints(value, 1, argument, function, "an int")[0]


def _pair(value: Any, argument: str, function: str) -> tuple[int, int]:
    """An int or a pair of ints (or one int in a sequence) as (height, width); anything else
    is a TypeError."""
    return _ints(value, 2, argument, function, "an int or a pair of ints")


def _no_stride(stride: Any) -> bool:
    """A pooling stride left to default to the kernel size: None, [] or ()."""
    return stride is None or isinstance(stride, (list, tuple)) and len(stride) == 0


def _check_positive(function: str, **values: tuple[int, int]) -> None:
    for argument, pair in values.items():
        if min(pair) < 1:
            raise TensorError(f"{function}: {argument} must be positive, got {pair}")


def _batched(x: Any, function: str, ndim: int = 4,
             too_few: type[TensorError] = TensorError) -> tuple[Tensor, bool]:
    """x as an ndim-D batch, and whether a batch axis was added (unbatched input, as PyTorch);
    `too_few` is the error for fewer dims than an unbatched input has (PyTorch's type)."""
    x = _tensor(x)
    if x.ndim == ndim - 1:
        return x.unsqueeze(0), True
    if x.ndim != ndim:
        raise (too_few if x.ndim < ndim - 1 else TensorError)(
            f"{function}: expected a {ndim - 1}-D (unbatched) or {ndim}-D input, got shape "
            f"{x.shape}")
    return x, False


def _check_fits(function: str, shape: tuple, pads: tuple, kernel: tuple, dilation: tuple,
                stride: tuple = (1, 1)) -> None:
    """The (dilated) kernel must fit into the padded input: at least one output pixel."""
    height, width = shape[-2] + pads[0] + pads[1], shape[-1] + pads[2] + pads[3]
    span = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    if height < span[0] or width < span[1] or 0 in shape[1:]:
        raise TensorError(
            f"{function}: the input of shape {tuple(shape)}, padded to {height}x{width}, is "
            f"smaller than the kernel {kernel[0]}x{kernel[1]} (dilated: {span[0]}x{span[1]})")


def _conv_pads(padding: Any, kernel: tuple, dilation: tuple, stride: tuple, function: str):
    """(top, bottom, left, right) for an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise TensorError(f"{function}: padding must be 'valid', 'same', an int or a pair, "
                              f"got {padding!r}")
        if stride != (1, 1):
            raise TensorError(f"{function}: padding='same' is not supported for strided "
                              f"convolutions (stride={stride})")
        # PyTorch's split: the odd pixel of an even-sized (dilated) kernel goes after.
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    pad_h, pad_w = _pair(padding, "padding", function)
    if min(pad_h, pad_w) < 0:
        raise TensorError(f"{function}: padding must be non-negative, got {padding!r}")
    return (pad_h, pad_h, pad_w, pad_w)


def _memoized(function):
    """Cache a pure geometry computation on its arguments: a training loop calls each layer
    with the same shapes and settings every step. Unhashable arguments (lists) skip it."""
    cached = functools.lru_cache(maxsize=512)(function)

    def call(*args: Any) -> Any:
        try:
            return cached(*args)
        except TypeError:  # a list argument (or a TypeError of the function: raised again)
            return function(*args)

    return call


def _check_dtypes(function: str, x: Tensor, weight: Any, bias: Any) -> None:
    """PyTorch's refusals of a convolution's dtypes: bool (no kernel), and an integer input,
    weight or bias with a floating one (floats of two widths are promoted, a documented
    difference)."""
    dtypes = [np.dtype(getattr(a, "dtype", x.dtype)) for a in (x, weight, bias) if a is not None]
    if all(dtype is dtypes[0] for dtype in dtypes) and dtypes[0].kind != "b":
        return
    if any(dtype.kind == "b" for dtype in dtypes):
        raise DtypeError(f'{function}: "{function}" not implemented for \'Bool\' (input '
                         f"{x.dtype.name}, weight {weight.dtype.name})")
    if not all(dtype.kind in "fc" for dtype in dtypes):  # (and not all the same)
        raise TensorError(f"{function}: expected input, weight and bias to have the same dtype, "
                          f"but got input {x.dtype.name}, weight {weight.dtype.name}"
                          f"{'' if bias is None else f', bias {bias.dtype.name}'} (PyTorch mixes "
                          f"no "
                          f"integer tensors; cast with .float())")


def _check_channels(function: str, x_shape: tuple, weight_shape: tuple, groups: int,
                    transposed: bool) -> None:
    """groups divides the weight's first dim, and the input has the channels the weight
    expects: (out, in/groups, ...) for a convolution, (in, out/groups, ...) transposed."""
    channels, per_group, weight_shape = weight_shape[0], weight_shape[1], tuple(weight_shape)
    if channels == 0:  # (NumPy's reshape error otherwise)
        raise TensorError(f"{function}: Given groups={groups}, expected weight to be at least 1 "
                          f"at dimension 0, but got weight of shape {weight_shape}")
    if groups < 1 or channels % groups:
        raise TensorError(f"{function}: groups={groups} must be positive and divide the weight's "
                          f"{'in' if transposed else 'out'}_channels (weight {weight_shape})")
    expected = channels if transposed else per_group * groups
    if x_shape[1] != expected:
        raise TensorError(f"{function}: input of shape {tuple(x_shape)} has {x_shape[1]} channels, "
                          f"but weight of shape {weight_shape}"
                          f"{'' if transposed else f' with groups={groups}'} expects {expected}")


@_memoized
def _conv_geometry(x_shape: tuple, weight_shape: tuple, stride: Any, padding: Any,
                   dilation: Any, groups: int, function: str):
    """Check a convolution's arguments against the shapes; the windows' Geometry."""
    if len(weight_shape) != 4:
        raise TensorError(f"{function}: weight must be 4-D (out, in/groups, kh, kw), got shape "
                          f"{weight_shape}")
    stride = _pair(stride, "stride", function)
    dilation = _pair(dilation, "dilation", function)
    _check_positive(function, stride=stride, dilation=dilation)
    kh, kw = weight_shape[2:]
    _check_channels(function, x_shape, weight_shape, groups, transposed=False)
    pads = _conv_pads(padding, (kh, kw), dilation, stride, function)
    _check_fits(function, x_shape, pads, (kh, kw), dilation)
    return _conv.Geometry((kh, kw), stride, pads, dilation)


def _conv2d(x: Any, weight: Tensor, bias: Any, stride: Any, padding: Any, dilation: Any,
            groups: int, function: str) -> Tensor:
    tensor_operand(function, weight, "weight")
    x, unbatched = _batched(x, function)
    _check_dtypes(function, x, weight, bias)
    geometry = _conv_geometry(x.shape, tuple(weight.shape), stride, padding, dilation, groups,
                              function)
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise TensorError(f"{function}: bias must have shape ({weight.shape[0]},), got "
                          f"{tuple(bias.shape)}")
    y = _empty_batch(x, lambda one: _conv.Conv2d.apply(one, weight, bias, geometry, groups))
    return y.squeeze(0) if unbatched else y


def _empty_batch(x: Tensor, op: Any) -> Tensor:
    """op(x), also for a batch of none (which PyTorch allows): op on x plus one zero sample,
    that sample dropped again, so shapes and (zero) gradients come out as for any batch."""
    if x.shape[0]:
        return op(x)
    return op(cat([x, Tensor(np.zeros((1, *x.shape[1:]), x.dtype))]))[:0]


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d.

    input (N, C, H, W) or (C, H, W); weight (O, C/groups, kh, kw); bias (O,). stride,
    padding and dilation are ints or (h, w) pairs; padding may also be 'valid' (0) or
    'same' (output as large as the input; stride 1 only). groups splits the channels into
    independent convolutions (groups = C: depthwise). Output
    (N, O, (H + 2p - d (k - 1) - 1) // s + 1, ...). A channels-last input gives a
    channels-last output, as PyTorch's.
    """
    return _keep_channels_last(input, _conv2d(input, weight, bias, stride, padding, dilation,
                                              groups, "conv2d"))


def _renamed_like(result: Tensor, final: Tensor) -> Tensor:
    """`final` (a reshaped or relaid-out `result`) shown under `result`'s node name."""
    return final if result.grad_fn is None else pytorch_named(final, result.grad_fn.name())


def _keep_channels_last(input: Tensor, output: Tensor) -> Tensor:  # noqa: A002
    """`output` laid out channels-last when `input` is (PyTorch's conv and pooling keep the
    input's memory format), its node still the op's (`ConvolutionBackward0`, not a clone's)."""
    if input.ndim != 4 or input._data.flags.c_contiguous or input._kernel_ordered() or (
            not input.is_contiguous(memory_format=channels_last)):  # (a conv result: row-major)
        return output
    return _renamed_like(output, output.contiguous(memory_format=channels_last))


def _one_d(name: str, compute: Any, *pairs: tuple[Tensor, Tensor]) -> Any:
    """`compute()`, an op done in 2-D over a height of 1, with its errors worded in 1-D: the
    1-D op's name and the caller's shapes (pairs: (the 1-D tensor, its 2-D form))."""
    try:
        return compute()
    except ValueError as error:
        message = str(error).split(": ", 1)[-1]
        for one, two in pairs:
            message = message.replace(str(tuple(two.shape)), str(tuple(one.shape)))
        message = re.sub(r"\b1x(\d+)", r"\1", message)  # (a window 1x5: 5)
        raise TensorError(f"{name}: {message}") from None


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, as torch.nn.functional.conv1d: input (N, C, L) or (C, L),
    weight (O, C/groups, k). Computed as conv2d over a height of 1."""
    x, unbatched = _batched(input, "conv1d", ndim=3)
    if weight.ndim != 3:
        raise TensorError(f"conv1d: weight must be 3-D (out, in/groups, k), got shape "
                          f"{weight.shape}")
    single = {"stride": stride, "dilation": dilation}
    for argument, value in single.items():
        single[argument] = (1, _one_int(value, argument, "conv1d"))
    if not isinstance(padding, str):
        padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,)
        padding = (0, padding[0]) if len(padding) == 1 else padding
    x2, weight2 = x.unsqueeze(2), weight.unsqueeze(2)
    y = _one_d("conv1d", lambda: _conv2d(x2, weight2, bias, single["stride"], padding,
                                         single["dilation"], groups, "conv1d"),
               (x, x2), (weight, weight2), (_tensor(input), x))
    y = y.squeeze(2)
    return y.squeeze(0) if unbatched else pytorch_named(y, "ConvolutionBackward0")


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:  # noqa: A002
    """PyTorch's time-batch-channel 1-D convolution: input (T, N, C_in), weight (k, C_in,
    C_out), bias (C_out,), `pad` steps of zeros at both ends of time -> (T + 2 pad - k + 1,
    N, C_out). conv1d on the transposed tensors, so the gradients are conv1d's."""
    input, weight, bias = _tensor(input), _tensor(weight), _tensor(bias)
    if input.ndim != 3 or weight.ndim != 3 or bias.ndim != 1 or \
            weight.shape[1] != input.shape[2] or bias.shape[0] != weight.shape[2]:
        raise TensorError(f"conv_tbc: expected input (T, N, C_in), weight (k, C_in, C_out) and "
                          f"bias (C_out,), got shapes {input.shape}, {weight.shape} and "
                          f"{bias.shape}")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=int(pad))
    return out.permute(2, 0, 1).contiguous()  # (C-ordered, as PyTorch's: views work)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """PyTorch's native kernel name of `channel_shuffle` (the same result)."""
    return channel_shuffle(input, groups)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input), as
    torch.nn.functional.conv_transpose2d: weight (C, O/groups, kh, kw); output height
    (H - 1) s - 2 p + d (kh - 1) + output_padding + 1."""
    name = "conv_transpose2d"
    x, unbatched = _batched(input, name)
    tensor_operand(name, weight, "weight")
    if weight.ndim != 4:
        raise TensorError(f"{name}: weight must be 4-D (in, out/groups, kh, kw), got shape "
                          f"{weight.shape}")
    stride, dilation = _pair(stride, "stride", name), _pair(dilation, "dilation", name)
    _check_positive(name, stride=stride, dilation=dilation)
    pad_h, pad_w = _pair(padding, "padding", name)
    extra = _pair(output_padding, "output_padding", name)
    in_channels, out_per_group, kh, kw = weight.shape
    _check_channels(name, x.shape, weight.shape, groups, transposed=True)
    _check_dtypes(name, x, weight, bias)
    if min(pad_h, pad_w, *extra) < 0 or any(
            e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise TensorError(f"{name}: padding must be non-negative and output_padding "
                          f"{extra} smaller than either stride {stride} or dilation {dilation}")
    if bias is not None and tuple(bias.shape) != (out_per_group * groups,):
        raise TensorError(f"{name}: bias must have shape ({out_per_group * groups},), got "
                          f"{tuple(bias.shape)}")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in zip(
        x.shape[2:], stride, (pad_h, pad_w), dilation, (kh, kw), extra))
    if min(size) == 0 and 0 not in x.shape[1:] and _empty_allowed(x, groups):
        y = _empty_transposed(x, weight, bias, (x.shape[0], out_per_group * groups, *size))
        return y.squeeze(0) if unbatched else y
    if min(size) < 1 or 0 in x.shape[1:]:
        raise TensorError(f"{name}: input of shape {x.shape} with weight {weight.shape} gives an "
                          f"empty output {size} (Output size is too small)")
    geometry = _conv.Geometry((kh, kw), stride, (pad_h, pad_h, pad_w, pad_w), dilation)
    y = _empty_batch(x, lambda one: _conv.ConvTranspose2d.apply(one, weight, bias, geometry,
                                                                groups, size))
    return y.squeeze(0) if unbatched else y


def _empty_allowed(x: Tensor, groups: int) -> bool:
    """Whether PyTorch returns an empty transposed-convolution output (a 0 in its size) rather
    than raising "Output size is too small": an empty batch, or its float32 mkldnn kernel (a
    batch of more than one, or groups)."""
    return x.shape[0] == 0 or x.dtype == np.float32 and (x.shape[0] > 1 or groups > 1)


def _empty_transposed(x: Tensor, weight: Tensor, bias: Tensor | None, shape: tuple) -> Tensor:
    """The empty output of a transposed convolution whose output size has a 0 (PyTorch's
    mkldnn kernel: float32 with a batch or groups; its other kernels raise "Output size is
    too small"), in the graph of x, weight and bias with zero gradients."""
    nothing = x.reshape(-1)[:0].sum() + weight.reshape(-1)[:0].sum()
    if bias is not None:
        nothing = nothing + bias.reshape(-1)[:0].sum()
    return nothing.expand(*shape)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Transposed 1-D convolution, as torch.nn.functional.conv_transpose1d: input (N, C, L) or
    (C, L), weight (C, O/groups, k); output length (L - 1) s - 2 p + d (k - 1) +
    output_padding + 1. Computed as conv_transpose2d over a height of 1."""
    name = "conv_transpose1d"
    x, unbatched = _batched(input, name, ndim=3)
    weight = _tensor(weight)
    if weight.ndim != 3:
        raise TensorError(f"{name}: weight must be 3-D (in, out/groups, k), got shape "
                          f"{weight.shape}")
    single = {"stride": stride, "padding": padding, "output_padding": output_padding,
              "dilation": dilation}
    for argument, value in single.items():
        single[argument] = (1 if argument in ("stride", "dilation") else 0,
                            _one_int(value, argument, name))
    try:
        y = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, single["stride"],
                             single["padding"], single["output_padding"], groups,
                             single["dilation"])
    except ValueError as error:  # the 2-D message, named and sized for 1-D
        raise TensorError(f"{name} (input {tuple(np.shape(input))}, weight {weight.shape}): "
                          f"{str(error).split(': ', 1)[-1]}") from None
    y = y.squeeze(2)
    return y.squeeze(0) if unbatched else pytorch_named(y, "ConvolutionBackward0")


@_memoized
def _pool_geometry(shape: tuple, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool, function: str) -> tuple:
    """The pooling windows as PyTorch places them, the output size and the padding."""
    kernel = _pair(kernel_size, "kernel_size", function)
    stride = kernel if _no_stride(stride) else _pair(
        stride, "stride", function)
    padding, dilation = _pair(padding, "padding", function), _pair(dilation, "dilation", function)
    _check_positive(function, kernel_size=kernel, stride=stride, dilation=dilation)
    if min(padding) < 0 or any(2 * p > k for p, k in zip(padding, kernel)):
        raise TensorError(f"{function}: padding {padding} must be non-negative and at most half "
                          f"the kernel size {kernel}")
    if not ceil_mode:  # (with ceil_mode a window may run past the input's end)
        _check_fits(function, shape, (padding[0],) * 2 + (padding[1],) * 2, kernel, dilation)
    sizes, pads = [], []
    for n, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside
            out -= 1
        sizes.append(out)
        # Pad after only as far as the last window reaches (ceil_mode may reach past p).
        pads += [p, max((out - 1) * s + d * (k - 1) + 1 - n - p, 0)]
    if min(sizes) < 1 or 0 in shape[1:]:
        raise TensorError(f"{function}: the input of shape {tuple(shape)} gives an output of "
                          f"size {tuple(sizes)} with kernel {kernel}, stride {stride} and "
                          f"padding {padding}")
    return _conv.Geometry(kernel, stride, tuple(pads), dilation), tuple(sizes), padding


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over each window, as torch.nn.functional.max_pool2d (padding counts as -inf).

    stride defaults to kernel_size. The gradient goes to the first maximum of each window
    in row-major order, as in PyTorch. return_indices=True also returns each maximum's flat
    position h * W + w in its input plane (int64).
    """
    x, unbatched = _batched(input, "max_pool2d")
    geometry = _pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode,
                              "max_pool2d")[0]
    y = _conv.MaxPool2d.apply(x, geometry)
    indices = (Tensor(np.ascontiguousarray(  # (C-ordered as PyTorch's: `.view(-1)` works)
        _conv.max_pool_indices(geometry, x._data, y._data))) if return_indices else None)
    if unbatched:  # (the node stays the pooling's, as PyTorch's unbatched kernel)
        y = _renamed_like(y, y.squeeze(0))
        indices = None if indices is None else indices[0]
    else:
        y = _keep_channels_last(x, y)
        indices = None if indices is None else _keep_channels_last(x, indices)
    return (y, indices) if return_indices else y


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over windows along the last axis of (N, C, L) or (C, L); see max_pool2d."""
    x, unbatched = _batched(input, "max_pool1d", ndim=3)
    one = _single_args("max_pool1d", kernel_size=kernel_size, stride=stride, padding=padding,
                       dilation=dilation)
    x2 = x.unsqueeze(2)
    result = _one_d("max_pool1d", lambda: max_pool2d(
        x2, one["kernel_size"], one["stride"], one["padding"], one["dilation"], ceil_mode,
        return_indices), (x, x2))
    y, indices = result if return_indices else (result, None)
    y = y.squeeze(2).squeeze(0) if unbatched else y.squeeze(2)
    if not return_indices:
        return y
    indices = indices.squeeze(2).squeeze(0) if unbatched else indices.squeeze(2)
    return y, indices


def max_unpool2d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None,  # noqa: A002
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The inverse of `max_pool2d(..., return_indices=True)`, as PyTorch's: each value written
    at its flat index h * W + w in a zero plane of size (H_in - 1) stride - 2 padding + kernel
    (or `output_size`); the gradient reads the written places back."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None,  # noqa: A002
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The inverse of `max_pool3d(..., return_indices=True)`: each value written at its flat
    index (d H + h) W + w in a zero volume (see max_unpool2d)."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)


def _sizes(value: Any, dims: int, argument: str, function: str) -> tuple[int, ...]:
    """An int or `dims` ints; anything else is a TypeError."""
    values = (value,) * dims if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != dims or not all(isinstance(v, (int, np.integer)) for v in values):
        raise TypeError(f"{function}: {argument} must be an int or {dims} ints, got {value!r}")
    return tuple(int(v) for v in values)


def _int64_indices(indices: Any, name: str) -> Tensor:
    """max_unpool's indices: int64, as max_pool's return_indices gives them (PyTorch's check)."""
    index = _tensor(indices)
    if index.dtype != np.int64:
        raise TensorError(f"{name}: elements in indices should be type int64 but got: "
                          f"{index.dtype.name}")
    return index


def _max_unpool(name: str, dims: int, input: Any, indices: Any, kernel_size: Any,  # noqa: A002
                stride: Any, padding: Any, output_size: Any) -> Tensor:
    x, unbatched = _batched(input, name, ndim=dims + 2)
    index = _int64_indices(indices, name)
    index = index.unsqueeze(0) if unbatched else index
    kernel = _sizes(kernel_size, dims, "kernel_size", name)
    step = kernel if stride is None else _sizes(stride, dims, "stride", name)
    pad = _sizes(padding, dims, "padding", name)
    size = tuple((x.shape[2 + i] - 1) * step[i] - 2 * pad[i] + kernel[i] for i in range(dims))
    if output_size is not None:  # the sizes, or with the batch and channel sizes first
        given = tuple(int(n) for n in tuple(output_size))
        given = given[-dims:] if len(given) == dims + 2 else given
        if len(given) != dims or any(not d - s < g < d + s for g, d, s in zip(given, size, step)):
            raise TensorError(f"{name}: output_size {tuple(output_size)} must be {dims} sizes "
                              f"(or the input's batch and channels, then {dims}), each within a "
                              f"stride of the default {size}")
        size = given
    if index.shape != x.shape:
        raise TensorError(f"{name}: indices of shape {index.shape} do not match the input's "
                          f"{x.shape}")
    n, c, plane = x.shape[0], x.shape[1], int(np.prod(size))
    flat = index.reshape(n, c, int(np.prod(index.shape[2:])))  # (not -1: an empty batch)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= plane):
        raise TensorError(f"{name}: an index is outside the output plane of size {size} "
                          f"(indices in [{int(flat.min())}, {int(flat.max())}])")
    out = Tensor(np.zeros((n, c, plane), x.dtype)).scatter(2, flat, x.reshape(flat.shape))
    out = out.reshape(n, c, *size)
    return out.squeeze(0) if unbatched else out


def max_unpool1d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None,  # noqa: A002
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """The inverse of `max_pool1d(..., return_indices=True)` on (N, C, L) or (C, L)."""
    x, unbatched = _batched(input, "max_unpool1d", ndim=3)
    index = _int64_indices(indices, "max_unpool1d")
    index = index.unsqueeze(0) if unbatched else index
    one = _single_args("max_unpool1d", kernel_size=kernel_size, stride=stride, padding=padding)
    size = None
    if output_size is not None:  # (L,), or with the batch and channel sizes first
        given = tuple(int(n) for n in np.atleast_1d(output_size))
        if len(given) not in (1, 3):
            raise TensorError(f"max_unpool1d: output_size {tuple(given)} must be 1 size (or the "
                              "input's batch and channels, then 1)")
        size = (1, given[-1])
    y = max_unpool2d(x.unsqueeze(2), index.unsqueeze(2), one["kernel_size"], one["stride"],
                     one["padding"], size).squeeze(2)
    return y.squeeze(0) if unbatched else y


def _single_args(function: str, **values: Any) -> dict:
    """1-D pooling arguments (int or 1-tuple) as (1, value) pairs for the 2-D op."""
    out = {}
    for argument, value in values.items():
        if value is None and argument == "stride":
            out[argument] = None
            continue
        out[argument] = (1 if argument in ("kernel_size", "stride", "dilation") else 0,
                         _one_int(value, argument, function))
    return out


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over each window, as torch.nn.functional.avg_pool2d (zero padding).

    count_include_pad=True divides by the window size including padding (never the part
    ceil_mode adds past it), False by the number of real pixels; divisor_override fixes it.
    """
    x, unbatched = _batched(input, "avg_pool2d", too_few=RankError)
    if x.dtype == np.int64:  # PyTorch's int64 kernel: the mean truncated toward zero
        mean = avg_pool2d(input.double(), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override)
        return mean.trunc().long()  # (exact: integer sums below 2**53 divided once)
    if x.dtype.kind != "f":
        raise DtypeError(f"avg_pool2d: input must be a float (or int64) tensor, got {x.dtype.name}")
    if x.dtype == np.float16:  # summed and divided in float32, rounded once, as PyTorch
        return avg_pool2d(input.float(), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override).half()
    geometry, sizes, padding = _pool_geometry(x.shape, kernel_size, stride, padding, 1,
                                              ceil_mode, "avg_pool2d")
    if divisor_override is not None:
        if divisor_override == 0:
            raise TensorError("avg_pool2d: divisor_override must not be zero")
        divisor = divisor_override
    else:
        counts = []
        for n, k, s, p, out in zip(x.shape[2:], geometry.kernel, geometry.stride, padding,
                                   sizes):
            start = np.arange(out) * s - p
            end = np.minimum(start + k, n + p)
            if not count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, n)
            counts.append(end - start)
        divisor = np.multiply.outer(*counts).astype(x.dtype)
        if np.all(divisor == divisor.flat[0]):
            divisor = int(divisor.flat[0])
    y = _conv.AvgPool2d.apply(x, geometry, divisor)
    return _renamed_like(y, y.squeeze(0)) if unbatched else _keep_channels_last(x, y)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows along the last axis of (N, C, L) or (C, L); see avg_pool2d."""
    x, unbatched = _batched(input, "avg_pool1d", ndim=3)
    one = _single_args("avg_pool1d", kernel_size=kernel_size, stride=stride, padding=padding)
    x2 = x.unsqueeze(2)
    y = _one_d("avg_pool1d", lambda: avg_pool2d(x2, one["kernel_size"], one["stride"],
                                                one["padding"], ceil_mode, count_include_pad),
               (x, x2)).squeeze(2)
    return y.squeeze(0) if unbatched else y


def _adaptive_size(x: Tensor, output_size: Any, function: str, count: int = 2) -> tuple:
    """output_size as `count` sizes (None keeps that axis), as PyTorch's adaptive pools take
    it: other than ints (or None) a TypeError, a wrong count a RuntimeError (also for one
    int in a sequence); a non-float input is PyTorch's NotImplementedError."""
    if x.dtype.kind not in "fc":
        raise DtypeError(f'{function}: "{function}" not implemented for {x.dtype.name} input '
                         "(PyTorch's adaptive pools take floating-point tensors)")
    if output_size is None:  # (PyTorch: TypeError "object of type 'NoneType' has no len()")
        raise TypeError(f"{function}: output_size must be an int or {count} ints (or None "
                        f"per axis), got None for input shape {x.shape}")
    if _int_like(output_size):
        sizes = (output_size,) * count
    else:  # any sequence (a NumPy array, a range, a torch.Size slice), as PyTorch takes
        sizes = (output_size,) if isinstance(output_size, str) or not hasattr(
            output_size, "__iter__") else tuple(output_size)
    if not all(size is None or _int_like(size) for size in sizes):
        raise TypeError(f"{function}: output_size must be ints (or None), got {output_size!r}")
    if len(sizes) != count:
        raise TensorError(f"{function}: output_size must be an int or "
                          f"{'a pair' if count == 2 else f'{count} sizes'}, got {output_size!r}")
    sizes = tuple(x.shape[2 + i] if size is None else int(size) for i, size in enumerate(sizes))
    if min(sizes) < 0 or 0 in x.shape[2:] or not x.shape[1] and function != (
            "adaptive_avg_pool2d"):  # (PyTorch's 1-D/2-D average takes no channels)
        raise TensorError(f"{function}: output_size {sizes} must be >= 0 and the input "
                          f"{x.shape} non-empty")
    return sizes


def _empty_pool(x: Tensor, output_shape: tuple[int, ...], function: str,
                return_indices: bool = False, unbatched: bool = False) -> Any:
    """An adaptive pool's output for an output size with a 0, as PyTorch's: empty, and its
    backward an error (and empty int64 indices)."""
    y = _conv.EmptyAdaptivePool.apply(x, output_shape, function)
    indices = Tensor(np.zeros(output_shape, dtype=np.int64))
    if unbatched:
        y, indices = y.squeeze(0), indices.squeeze(0)
    return (y, indices) if return_indices else y


def _adaptive_bounds(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """Window i covers [floor(i size / out), ceil((i + 1) size / out)), as PyTorch."""
    index = np.arange(out)
    return index * size // out, -(-(index + 1) * size // out)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Mean over output_size (h, w) windows that cover the input as evenly as possible, as
    torch.nn.functional.adaptive_avg_pool2d (None keeps that axis). When the sizes divide,
    this is avg_pool2d; otherwise the mean over each axis's windows in turn (a matrix product
    for finite input, else gathered: 0 * inf would spread an inf into other windows as NaN)."""
    x, unbatched = _batched(input, "adaptive_avg_pool2d")
    if x.dtype == np.float16:  # summed and divided in float32, rounded once, as PyTorch
        return adaptive_avg_pool2d(input.float(), output_size).half()
    out_h, out_w = _adaptive_size(x, output_size, "adaptive_avg_pool2d")
    if not out_h or not out_w or not x.shape[1]:
        return _empty_pool(x, (*x.shape[:2], out_h, out_w), "adaptive_avg_pool2d",
                           unbatched=unbatched)
    height, width = x.shape[2:]
    if height % out_h == 0 and width % out_w == 0:
        y = avg_pool2d(x, (height // out_h, width // out_w))
    else:
        y = _adaptive_mean(_adaptive_mean(x, 2, out_h), 3, out_w).contiguous()  # (views work)
    y = y.squeeze(0) if unbatched else y  # PyTorch's node: a mean for (1, 1), else its own
    return pytorch_named(y, "MeanBackward1" if out_h == out_w == 1
                         else "AdaptiveAvgPool2DBackward0")


_MATRIX_MOST = 1 << 16  # adaptive means along an axis of n by an (n, out) matrix of ones
# when n * out is at most this and the input finite (one matrix product, its gradient too)


def _adaptive_mean(x: Tensor, axis: int, out: int) -> Tensor:
    """The mean of each of `out` adaptive windows along `axis`: the sums by a matrix product
    (see _MATRIX_MOST), else by gathering each window's elements, padded to the longest
    window by repeating its last element and masked (a place then repeats in the gather
    only where windows overlap: its gradient adds in a few vectorised rounds)."""
    if x.shape[axis] == out and x.dtype.kind == "f":  # windows of one element: their means
        return x
    start, end = _adaptive_bounds(x.shape[axis], out)
    counts = Tensor((end - start).astype(x.dtype))
    moved = x.movedim(axis, -1)
    if x.dtype.kind == "f" and out * x.shape[axis] <= _MATRIX_MOST and xp.finite(x._data):
        offset = np.arange(x.shape[axis]) - start[:, None]  # (0 * inf would spread NaN)
        ones = ((offset >= 0) & (offset < (end - start)[:, None])).T.astype(x.dtype)
        # one 2-D product (a stacked one is a BLAS call per row of the leading axes)
        sums = (moved.reshape(-1, moved.shape[-1]) @ Tensor(ones)).reshape(
            *moved.shape[:-1], out)
        return linked((sums / counts).movedim(-1, axis))  # (ops/masked.py)
    positions = start[:, None] + np.arange(int((end - start).max()))
    inside = positions < end[:, None]
    windows = moved._index_select(-1, np.minimum(positions, end[:, None] - 1).ravel())
    windows = windows.contiguous()  # (a view of a gather's batch-inside layout relays it out)
    windows = windows.reshape(moved.shape[:-1] + inside.shape).masked_fill(~Tensor(inside), 0)
    return linked((windows.sum(-1) / counts).movedim(-1, axis))


@_node_named("AdaptiveMaxPool2DBackward0")
def adaptive_max_pool2d(input: Tensor, output_size: Any,  # noqa: A002
                        return_indices: bool = False):
    """Max over adaptive windows (see adaptive_avg_pool2d), as PyTorch; the gradient goes
    to each window's first maximum. return_indices as in max_pool2d."""
    x, unbatched = _batched(input, "adaptive_max_pool2d")
    out_h, out_w = _adaptive_size(x, output_size, "adaptive_max_pool2d")
    if not out_h or not out_w:
        return _empty_pool(x, (*x.shape[:2], out_h, out_w), "adaptive_max_pool2d",
                           return_indices, unbatched)
    height, width = x.shape[2:]
    if height % out_h == 0 and width % out_w == 0:
        pooled = max_pool2d(input, (height // out_h, width // out_w),
                            return_indices=return_indices)
        y = pooled[0] if return_indices else pooled
        pytorch_named(y, "AdaptiveMaxPool2DBackward0")  # (PyTorch's node, whatever the sizes)
        return pooled
    positions = []
    for size, out in ((height, out_h), (width, out_w)):
        start, end = _adaptive_bounds(size, out)
        longest = int((end - start).max())
        positions.append(np.minimum(start[:, None] + np.arange(longest), end[:, None] - 1))
    y = _conv.AdaptiveMaxPool2d.apply(x, *positions)
    if return_indices:
        node = _conv.AdaptiveMaxPool2d()
        node.forward(x._data, *positions)
        indices = Tensor((node.positions[2] * width + node.positions[3]).astype(np.int64))
    y = pytorch_named(y.squeeze(0) if unbatched else y, "AdaptiveMaxPool2DBackward0")
    if unbatched:
        indices = indices[0] if return_indices else None
    return (y, indices) if return_indices else y


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
           stride: Any = 1) -> Tensor:
    """im2col, as torch.nn.functional.unfold: (N, C, H, W) -> (N, C*kh*kw, L), one column per
    window position (row-major), each column the window's pixels (channel-major)."""
    x = _tensor(input)
    if x.ndim == 3:  # unbatched (C, H, W) -> (C*kh*kw, L), as PyTorch
        return unfold(x.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    if x.ndim != 4:
        raise (RankError if x.ndim < 3 else TensorError)(
            f"unfold: expected a 3-D or 4-D input ((N,) C, H, W), got shape {x.shape}")
    _two_entries("unfold", kernel_size=kernel_size, dilation=dilation, padding=padding,
                 stride=stride)
    kernel = _pair(kernel_size, "kernel_size", "unfold")
    dilation, stride = _pair(dilation, "dilation", "unfold"), _pair(stride, "stride", "unfold")
    _check_positive("unfold", kernel_size=kernel, dilation=dilation, stride=stride)
    pads = _conv_pads(padding, kernel, dilation, stride, "unfold")
    _check_fits("unfold", x.shape, pads, kernel, dilation)
    geometry = _conv.Geometry(kernel, stride, pads, dilation)
    return pytorch_named(_empty_batch(x, lambda one: _conv.Unfold.apply(one, geometry)),
                         "Im2ColBackward0")  # (N = 0 too)


def _two_entries(function: str, **values: Any) -> None:
    """unfold and fold take an int or two entries, not one (PyTorch's RuntimeError)."""
    for argument, value in values.items():
        if isinstance(value, (tuple, list)) and len(value) == 1:
            raise RuntimeError(f"{function}: {argument} must be an int or 2 entries, got "
                               f"{value!r}")


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,  # noqa: A002
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """col2im, as torch.nn.functional.fold: (N, C*kh*kw, L) -> (N, C, *output_size), summing
    where windows overlap. The inverse arrangement of unfold (and its adjoint)."""
    x = _tensor(input)
    if x.ndim == 2:  # unbatched (C*kh*kw, L) -> (C, *output_size), as PyTorch
        return fold(x.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    _two_entries("fold", output_size=output_size, kernel_size=kernel_size, dilation=dilation,
                 padding=padding, stride=stride)
    size = _pair(output_size, "output_size", "fold")
    kernel = _pair(kernel_size, "kernel_size", "fold")
    dilation, stride = _pair(dilation, "dilation", "fold"), _pair(stride, "stride", "fold")
    _check_positive("fold", kernel_size=kernel, dilation=dilation, stride=stride)
    pads = _conv_pads(padding, kernel, dilation, stride, "fold")
    geometry = _conv.Geometry(kernel, stride, pads, dilation)
    blocks = geometry.output_size(*size)
    if (x.ndim != 3 or x.shape[1] % (kernel[0] * kernel[1])
            or x.shape[2] != blocks[0] * blocks[1] or min(blocks) < 1):
        raise TensorError(
            f"fold: expected input (N, C*{kernel[0]}*{kernel[1]}, {max(blocks[0], 0)}*"
            f"{max(blocks[1], 0)}) for output_size {size}, kernel {kernel}, got shape {x.shape}")
    if not x.shape[0]:  # an empty batch: an empty result, as PyTorch
        return x.reshape(0, x.shape[1] // (kernel[0] * kernel[1]), *size)
    return pytorch_named(_conv.Fold.apply(x, size, geometry), "Col2ImBackward0")


def _with_indices(pool: Any) -> Any:
    def pooled(*args: Any, **kwargs: Any) -> Any:
        return pool(*args, **{**kwargs, "return_indices": True})

    pooled.__name__ = pooled.__qualname__ = f"{pool.__name__}_with_indices"
    pooled.__doc__ = f"`{pool.__name__}(..., return_indices=True)`: (values, indices)."
    return pooled


# PyTorch's names for the pools that always return their indices
max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices = map(
    _with_indices, (max_pool1d, max_pool2d, max_pool3d))
adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices, \
    adaptive_max_pool3d_with_indices = map(_with_indices, (
        adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d))


from tinygrad_np.nn import grad as grad  # noqa: E402  (torch.nn.grad, as F.grad in PyTorch)
