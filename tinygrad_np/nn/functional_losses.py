"""The losses of `nn.functional` beyond the fused ones, composed from Tensor ops.

nll_loss, the general cross-entropy (class weights, ignore_index, label smoothing,
(N, C, d1, ...) inputs), l1_loss, huber_loss, smooth_l1_loss, kl_div, and the weighted
binary cross-entropies. Every one is a composition of recorded ops (log_softmax, indexing,
abs, clip, the fused binary cross-entropy), so none needs a backward of its own and all
support gradients of gradients. The plain (N, C) cross-entropy with class ids keeps its
fused op (ops/loss.py): F.cross_entropy only comes here for the extra features.

Reductions follow PyTorch: with class weights, 'mean' divides by the sum of the weights of
the targets that were not ignored (a weighted average), not by the number of targets.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import (
    DtypeError,
    IndexOutOfBounds,
    RankError,
    TensorError,
    broadcast_mismatch,
)
from tinygrad_np.function import is_grad_enabled
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.activation import LogSigmoid
from tinygrad_np.ops.loss import REDUCTIONS, BinaryCrossEntropyWithLogits, Huber
from tinygrad_np.ops.masked import linked
from tinygrad_np.tensor import Tensor, refuse_integers, to_tensor as _tensor


def divide_count(total: Tensor, count: Any) -> Tensor:
    """total / count (a number of elements, an int or an array of them), as PyTorch computes
    it for float16: in float32, then rounded once; the count cast to float16 would be inf
    past 65504 (a silent 0) and rounded past 2048 (2049 is 2048)."""
    if total.dtype != np.float16:
        return total / count
    return (total.float() / np.asarray(count, dtype=np.float32)).to(total.dtype)


def legacy_reduction(size_average: Any, reduce: Any, reduction: str, function: str,
                     old_mean: bool = True) -> str:
    """PyTorch's deprecated `size_average` / `reduce` flags as a `reduction` (with its
    UserWarning naming the reduction to use), then checked; 'elementwise_mean' is the old
    'mean' (with a warning) unless `old_mean` is False (PyTorch's losses written in Python
    refuse it: poisson_nll_loss, multilabel_soft_margin_loss, ...)."""
    if size_average is not None or reduce is not None:
        if reduce is False:
            reduction = "none"
        else:
            reduction = "sum" if size_average is False else "mean"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    if reduction == "elementwise_mean" and old_mean:  # PyTorch's older name, with a warning
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        reduction = "mean"
    if reduction not in REDUCTIONS:
        raise TensorError(f"{function}: {reduction} is not a valid value for reduction: "
                          f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _constant(x: Any, dtype: np.dtype) -> np.ndarray:
    """A weight or similar constant as an array of the input's dtype."""
    return np.asarray(x._data if isinstance(x, Tensor) else x).astype(dtype, copy=False)


def _reduce(losses: Tensor, reduction: str, name: str | None = None) -> Tensor:
    """The losses reduced; `name`: PyTorch's node for the loss (what `print(loss)` shows)."""
    if reduction == "mean":
        losses = losses.mean()
    elif reduction == "sum":
        losses = losses.sum()
    return losses if name is None else pytorch_named(losses, name)


def weighted_reduce(losses: Tensor, weight: Any, input: Tensor, reduction: str,  # noqa: A002
                    function: str, mean_by_weight: bool = True) -> Tensor:
    """PyTorch's per-element `weight=` of mse_loss, l1_loss and huber_loss: weight (the input's
    shape) times each loss, then the reduction; 'mean' is sum(w * loss) / sum(w) for mse and l1
    (a weighted average) and mean(w * loss) for huber (`mean_by_weight=False`), as PyTorch."""
    weight = _tensor(weight)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{function}: weight must have the input's shape "
                         f"{tuple(input.shape)}, got {tuple(weight.shape)}")
    losses = losses * weight
    if reduction == "mean" and mean_by_weight:
        return losses.sum() / weight.sum()
    return _reduce(losses, reduction)


def _classes_last(x: Any) -> Any:
    """(N, C, d1, ..., dk) -> (N d1 ... dk, C): one row per prediction (Tensor or array)."""
    if x.ndim == 2:
        return x
    order = (0, *range(2, x.ndim), 1)
    classes = x.shape[1]
    if isinstance(x, Tensor):
        return x.permute(order).reshape(-1, classes)
    return np.transpose(x, order).reshape(-1, classes)


def _class_ids(target: Any, input_shape: tuple[int, ...], ignore_index: int,
               function: str) -> np.ndarray:
    """Check integer targets against (N, C, d...) input; returns them flat."""
    ids = np.asarray(target._data if isinstance(target, Tensor) else target)
    expected = (input_shape[0], *input_shape[2:])
    if ids.shape[:1] != expected[:1]:  # checked before the dtype, as PyTorch (a ValueError)
        raise TensorError(f"{function}: Expected input batch_size ({input_shape[0]}) to match "
                          f"target batch_size ({ids.shape[0] if ids.ndim else 0}): input shape "
                          f"{input_shape}, target shape {ids.shape}, expected {expected}")
    if ids.dtype.kind not in "iu":
        raise DtypeError(f"{function}: class-index targets must be integers, got {ids.dtype.name}")
    if isinstance(target, Tensor) and ids.dtype not in (np.int64, np.uint8):
        raise DtypeError(f"{function}: expected target dtype to be int64 (long) or uint8 (byte), "
                         f"got {ids.dtype.name} (as PyTorch)")
    if isinstance(target, Tensor) and ids.dtype == np.uint8 and len(input_shape) > 2:
        raise TensorError(f"{function}: expected scalar type Long but found Byte (the "
                          f"(N, C, d1, ...) form takes int64 class ids only, as PyTorch)")
    if ids.shape != expected:
        raise TensorError(f"{function}: target shape {ids.shape} does not fit input shape "
                          f"{input_shape}: expected {expected}")
    ids = ids.reshape(-1).astype(np.int64, copy=False)  # (uint8 ids index, not mask)
    classes = input_shape[1]
    valid = ids != ignore_index
    bad = valid & ((ids < 0) | (ids >= classes))
    if bad.any():
        raise IndexOutOfBounds(f"Target {ids[bad][0]} is out of bounds. ({function}: target "
                               f"class ids must be in [0, {classes - 1}] for {classes} classes, "
                               f"or ignore_index={ignore_index})")
    return ids


def _batched(input: Tensor, target: Any, probabilities: bool, function: str
             ) -> tuple[Tensor, Any, bool]:
    """Unbatched input (C,) as a batch of one (N=1); says whether it was unbatched."""
    if input.ndim != 1:
        if input.ndim == 0:
            raise RankError(f"{function}: Dimension out of range: the input must have a class "
                            f"axis, got a 0-d tensor")
        return input, target, False
    expected = input.shape if probabilities else ()
    shape = tuple(np.shape(target._data if isinstance(target, Tensor) else target))
    if shape != expected and (probabilities or shape != (1,)):  # (a (1,) id too, as PyTorch)
        raise TensorError(f"{function}: for unbatched input of shape {input.shape} the target "
                          f"must have shape {expected}, got {np.shape(target)}")
    target = target.reshape(1, -1) if probabilities else target.reshape(1) if isinstance(
        target, Tensor) else np.reshape(target, (1,))  # (a Tensor stays one: its dtype checked)
    return input.reshape(1, -1), target, True


def _weighted_nll(log_probs: Tensor, ids: np.ndarray, weight: Any, ignore_index: int
                  ) -> tuple[Tensor, np.ndarray]:
    """Per-row losses -w[y] log p[y] (0 where ignored) of flat (M, C) log-probs, and the
    per-row weights (0 where ignored)."""
    valid = ids != ignore_index
    safe = np.where(valid, ids, 0)
    row_weights = valid.astype(log_probs.dtype)
    if weight is not None:
        row_weights = row_weights * _constant(weight, log_probs.dtype)[safe]
    losses = -_valid_rows(log_probs, valid)[np.arange(len(ids)), safe] * row_weights
    return losses, row_weights


def _valid_rows(log_probs: Tensor, valid: np.ndarray) -> Tensor:
    """(M, C) log-probs with ignored rows set to -0 (masked, not multiplied by 0): an ignored
    row adds an exact +0 and no NumPy warning even when its logits are inf or NaN."""
    return log_probs if valid.all() else log_probs.masked_fill(~valid[:, None], -0.0)


def _weighted_mean(losses: Tensor, row_weights: np.ndarray, valid: np.ndarray) -> Tensor:
    """Sum of losses / sum of the counted targets' weights. Every target ignored: NaN with
    gradient 0; targets counted but all of class weight 0: 0 / 0, NaN gradient too (both
    PyTorch's), without NumPy's warnings."""
    with np.errstate(over="ignore"):  # float16 past 65,504: inf, silently, as PyTorch's
        total = row_weights.sum()
    if not total and not valid.any():
        return losses.sum() + np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        return losses.sum() / total if total else losses.sum() * 0 / total  # (0 / 0)


def not_differentiable(function: str, name: str, value: Any) -> None:
    """PyTorch's error for an argument it takes as a constant (class weights of an NLL,
    running statistics) given as a tensor that requires grad: no silently missing gradient."""
    if isinstance(value, Tensor) and value.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{function}' is not differentiable with respect to "
                           f"argument '{name}'. This input cannot have requires_grad True.")


def _check_weight(weight: Any, classes: int, function: str) -> None:
    if weight is not None and np.shape(weight) != (classes,):
        raise TensorError(f"{function}: weight must have shape ({classes},) for {classes} "
                          f"classes, got {np.shape(weight)}")


def same_dtype_weight(weight: Any, input: Tensor, function: str) -> None:  # noqa: A002
    """Class weights of a class-id loss (nll_loss, cross_entropy, multi_margin_loss) must be in
    the input's dtype, as PyTorch (no silent promotion or rounding)."""
    if isinstance(weight, Tensor) and weight.dtype != input.dtype:
        raise TensorError(f"{function}: expected scalar type {input.dtype.name} but found "
                          f"{weight.dtype.name} (weight must have the input's dtype)")


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class ids under log-probabilities: loss = -w[y] input[y].

    `input` (N, C), (N, C, d1, ...) or unbatched (C,); `target` int class ids (N, d1, ...)
    or a scalar. Targets equal to `ignore_index` contribute nothing; with `weight` (C,),
    'mean' is the weighted average (sum of losses / sum of the targets' weights).
    """
    reduction = legacy_reduction(size_average, reduce, reduction, "nll_loss")
    input = refuse_integers("nll_loss", _tensor(input))
    data_target("nll_loss", target)
    input, target, unbatched = _batched(input, target, False, "nll_loss")
    _check_weight(weight, input.shape[1], "nll_loss")
    same_dtype_weight(weight, input, "nll_loss")
    not_differentiable("nll_loss_forward", "weight", weight)
    ids = _class_ids(target, input.shape, ignore_index, "nll_loss")
    losses, row_weights = _weighted_nll(_classes_last(input), ids, weight, ignore_index)
    name = nll_name(input.ndim, reduction)
    if reduction == "mean":  # linked: PyTorch's backward reads the input (ops/masked.py)
        return pytorch_named(linked(_weighted_mean(losses, row_weights, ids != ignore_index)), name)
    if reduction == "sum":
        return pytorch_named(linked(losses.sum()), name)
    shape = () if unbatched else (input.shape[0], *input.shape[2:])
    return pytorch_named(linked(losses.reshape(shape)), name)


def nll_name(ndim: int, reduction: str) -> str:
    """PyTorch's node for an NLL of (N, C) or (N, C, d...) log-probabilities (its reshaped
    (N, d..., ) 'none' result is a view)."""
    if ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" else "NllLoss2DBackward0"


def cross_entropy_general(input: Tensor, target: Any, weight: Any, ignore_index: int,  # noqa: A002
                          reduction: str, label_smoothing: float) -> Tensor:
    """Cross-entropy with every PyTorch option (see F.cross_entropy), as a composition:
    log_softmax over the class axis (1), then the weighted NLL and, with label smoothing
    eps, (1 - eps) NLL + eps / C * (the loss against the uniform distribution)."""
    if label_smoothing > 1:  # (a negative one means none: PyTorch smooths only above 0)
        raise TensorError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. "
                          f"Got: {label_smoothing}")
    input = _tensor(input)
    data_target("cross_entropy", target)
    target_dtype = target.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    probabilities = target_dtype.kind == "f"
    if probabilities and not isinstance(target, Tensor):
        target = np.asarray(target).astype(input.dtype, copy=False)
    input, target, unbatched = _batched(input, target, probabilities, "cross_entropy")
    classes = input.shape[1]
    _check_weight(weight, classes, "cross_entropy")
    log_probs = _classes_last(input.log_softmax(axis=1))
    class_weights = None if weight is None else weight if (  # (promotes, as PyTorch)
        probabilities and isinstance(weight, Tensor)) else _constant(weight, input.dtype)
    batch_shape = () if unbatched else (input.shape[0], *input.shape[2:])

    if probabilities:
        if ignore_index != -100:
            raise TensorError(f"cross_entropy: ignore_index ({ignore_index}) is not supported "
                              "for a floating-point (class-probability) target")
        if tuple(target.shape) != tuple(input.shape):
            ids = tuple(target.shape) == batch_shape
            raise TensorError(f"cross_entropy: probability target shape {tuple(target.shape)} "
                              f"must equal the input shape {tuple(input.shape)}" + (
                                  "; class ids must be integers: target.long() (PyTorch: "
                                  "expected target dtype to be Long or Byte, but got Float)"
                                  if ids else ""))
        q = _classes_last(target)
        if label_smoothing > 0:
            q = q * (1 - label_smoothing) + label_smoothing / classes
        weighted = log_probs * q if class_weights is None else log_probs * q * class_weights
        losses = -weighted.sum(axis=1)  # (PyTorch's last node: the mean's Div by a number)
        return pytorch_named(losses.reshape(batch_shape) if reduction == "none" else _reduce(
            losses, reduction), "DivBackward1" if reduction == "mean" else "NegBackward0")

    not_differentiable("nll_loss_forward", "weight", weight)
    same_dtype_weight(weight, input, "cross_entropy")
    ids = _class_ids(target, input.shape, ignore_index, "cross_entropy")
    losses, row_weights = _weighted_nll(log_probs, ids, weight, ignore_index)
    if label_smoothing > 0:
        valid = ids != ignore_index
        uniform = _valid_rows(log_probs, valid)
        uniform = uniform if class_weights is None else uniform * class_weights
        smooth = -uniform.sum(axis=1)
        losses = losses * (1 - label_smoothing) + smooth * (label_smoothing / classes)
    # PyTorch adds the smoothing term to the reduced nll_loss last
    name = "AddBackward0" if label_smoothing > 0 else nll_name(input.ndim, reduction)
    if reduction == "mean":
        losses = _weighted_mean(losses, row_weights, ids != ignore_index)
    elif reduction == "sum":
        losses = losses.sum()
    else:
        losses = losses.reshape(batch_shape)
    return losses if name is None else pytorch_named(losses, name)


def data_target(function: str, value: Any, name: str = "target", position: int = 2) -> None:
    """PyTorch's TypeError for a loss argument that is no data at all (None, a string): not a
    NaN loss from NumPy's object array, nor its KeyError or float() message."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{function}(): argument '{name}' (position {position}) must be "
                        f"Tensor, not {type(value).__name__}")


def same_shape(input: Tensor, target: Any, function: str, mismatch: str = "raise",  # noqa: A002
               depth: int = 0) -> None:
    """The target must have the input's shape (`mismatch="raise"`: the BCE losses), or may
    broadcast against it with a warning (`"warn"`: mse, l1, smooth_l1, huber) or without one
    (`"allow"`: kl_div), as in PyTorch. (N, 1) against (N,) broadcasts to an (N, N) loss."""
    data_target(function, target)
    shape, target_shape = tuple(input.shape), tuple(np.shape(
        target._data if isinstance(target, Tensor) else target))
    if target_shape == shape:
        return
    try:
        np.broadcast_shapes(shape, target_shape)
    except ValueError:
        raise TensorError(f"{broadcast_mismatch([shape, target_shape])} ({function}: the "
                          f"target's shape {target_shape} does not broadcast with the input's "
                          f"{shape})") from None
    if mismatch == "allow":
        return
    if mismatch == "raise":
        raise TensorError(f"{function}: Using a target size {target_shape} that is different "
                          f"to the input size {shape} is not supported: target shape "
                          f"{target_shape} must equal the input shape {shape}")
    warnings.warn(f"{function}: Using a target size {target_shape} that is different to the "
                  f"input size {shape}. This will likely lead to incorrect results due to "
                  "broadcasting. Please ensure they have the same size (PyTorch's warning: an "
                  "(N, 1) input and an (N,) target give an (N, N) loss)",
                  UserWarning, stacklevel=3 + depth)  # depth: calls between it and the user


def fits_output(function: str, shape: tuple[int, ...], name: str, value: Any) -> None:
    """A `value` (weight, pos_weight, target) that broadcasts against the output's `shape` must
    not enlarge it: PyTorch writes into an output of that shape and raises."""
    if value is None:
        return
    value_shape = tuple(np.shape(value._data if isinstance(value, Tensor) else value))
    try:
        broadcast = np.broadcast_shapes(tuple(shape), value_shape)
    except ValueError:
        raise TensorError(f"{broadcast_mismatch([tuple(shape), value_shape])} ({function}: "
                          f"{name} of shape {value_shape} does not broadcast with the input of "
                          f"shape {tuple(shape)})") from None
    if broadcast != tuple(shape):
        raise TensorError(f"{function}: {name} of shape {value_shape} would enlarge the output "
                          f"of shape {tuple(shape)} to {broadcast} (PyTorch: output with shape "
                          f"{list(shape)} doesn't match the broadcast shape {list(broadcast)})")


def in_dtype_of(value: Any, input: Tensor) -> Any:  # noqa: A002
    """A constant weight in the input's dtype (a Tensor too: PyTorch's BCE losses keep the
    input's dtype whatever the weight's)."""
    if isinstance(value, Tensor):
        return value if value.dtype == input.dtype else value.to(input.dtype)
    return _constant(value, input.dtype)


def _target(target: Any, input: Tensor, function: str = "loss") -> Any:  # noqa: A002
    """A Tensor target stays one (it may need a gradient); other data takes input's dtype."""
    if isinstance(target, Tensor):
        return target
    data_target(function, target)
    return np.asarray(target).astype(input.dtype, copy=False)


def regression_target(target: Any, input: Tensor, function: str,  # noqa: A002
                      keep_input_dtype: bool = False) -> Any:
    """The target of mse_loss, huber_loss and smooth_l1_loss as PyTorch takes it: a bool tensor
    as 0/1 in the input's dtype; a float tensor in the input's dtype with `keep_input_dtype`
    (huber_loss's result has the input's dtype); an integer input with an integer target is
    PyTorch's NotImplementedError (no integer kernel: l1_loss has one)."""
    target = _target(target, input, function)
    kind = target.dtype.kind
    if input.dtype.kind in "iub" and kind in "iub":
        raise DtypeError(f"{function}: not implemented for {input.dtype.name} input and "
                         f"{target.dtype.name} target (as PyTorch); convert with .float()")
    if isinstance(target, Tensor) and target.dtype != input.dtype and (
            kind == "b" or keep_input_dtype and kind == "f" and input.dtype.kind == "f"):
        return target.to(input.dtype)
    return target


def l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """loss = |input - target|;  d input = sign(input - target) (0 where equal). `weight` (the
    input's shape) weighs each element; 'mean' then divides by its sum."""
    reduction = legacy_reduction(size_average, reduce, reduction, "l1_loss")
    input = _tensor(input)
    same_shape(input, target, "l1_loss", "warn")
    if weight is not None:
        return weighted_reduce(_l1(input, target, "none"), weight, input, reduction, "l1_loss")
    return _l1(input, target, reduction)


def _l1(input: Tensor, target: Any, reduction: str) -> Tensor:  # noqa: A002
    return _reduce((input - _target(target, input)).abs(), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight: Tensor | None = None) -> Tensor:
    """loss = d^2 / 2 for |d| < delta, else delta (|d| - delta / 2), d = input - target.

    The two branches meet in a where() on |d| < delta, as PyTorch's: gradient d inside,
    delta sign(d) from |d| = delta on; second derivative 1 inside (d = 0 included) and 0 from
    |d| = delta on. The quadratic sees 0 for |d| >= delta, so an infinite d gives no inf * 0
    in the branch where() drops, and a NaN d a NaN gradient (PyTorch's). `weight` (the
    input's shape) weighs each element ('mean' stays the mean, as PyTorch's).
    """
    reduction = legacy_reduction(None, None, reduction, "huber_loss")
    if delta <= 0:
        raise TensorError(f"huber_loss: delta must be positive, got {delta}")
    input = refuse_integers("huber_loss", _tensor(input))
    if weight is not None:
        losses = _huber(input, target, "none", delta, "huber_loss")
        return weighted_reduce(losses, weight, input, reduction, "huber_loss", False)
    return pytorch_named(_huber(input, target, reduction, delta, "huber_loss"),
                         "HuberLossBackward0")


def _huber(input: Tensor, target: Any, reduction: str, delta: float, function: str) -> Tensor:  # noqa: A002
    same_shape(input, target, function, "warn", depth=1)
    difference = input - regression_target(target, input, function, function == "huber_loss")
    return _reduce(Huber.apply(difference, delta), reduction)


def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None,  # noqa: A002
                   reduce: Any = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """loss = d^2 / (2 beta) for |d| < beta, else |d| - beta / 2: huber_loss(delta=beta) / beta
    (beta = 0 is the L1 loss)."""
    reduction = legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    if beta < 0:
        raise TensorError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input = _tensor(input)
    if beta == 0:
        same_shape(input, target, "smooth_l1_loss", "warn")
        return _l1(input, regression_target(target, input, "smooth_l1_loss"), reduction)
    return pytorch_named(_huber(input, target, reduction, beta, "smooth_l1_loss") / beta,
                         "SmoothL1LossBackward0")


def kl_div(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) per element: loss = target (log target - input), 0 where
    target = 0; with log_target=True the target is given as log-probabilities:
    exp(target) (target - input). `input` holds log-probabilities.

    reduction: 'batchmean' (sum / batch size: the true KL divergence, recommended), 'sum',
    'none', or 'mean' (PyTorch's default: the average over every element).
    """
    data_target("kl_div", target)  # (before the warning: no data is an error first)
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    return kl_div_unwarned(input, target, size_average, reduce, reduction, log_target)


@xp.quiet
def kl_div_unwarned(input: Tensor, target: Any, size_average: Any = None,  # noqa: A002
                    reduce: Any = None, reduction: str = "mean", log_target: bool = False
                    ) -> Tensor:
    """F.kl_div without its warning on reduction='mean' (torch.kl_div, ATen's, gives none)."""
    # 'batchmean' sums, then divides by the batch size; the legacy flags, when given, choose
    # the reduction instead, and the division still follows (PyTorch's rule)
    batch_mean = reduction == "batchmean"
    reduction = legacy_reduction(size_average, reduce, "sum" if batch_mean else reduction,
                                 "kl_div")
    input = _tensor(input)
    same_shape(input, target, "kl_div", "allow")
    if input.dtype.kind != "f" or np.asarray(
            target._data if isinstance(target, Tensor) else target).dtype.kind in "biu":
        raise DtypeError("kl_div: integer and bool inputs and targets are not supported "
                         "(as PyTorch)")
    target = _target(target, input)
    if log_target:
        target_t = _tensor(target)
        losses = target_t.exp() * (target_t - input)
    elif isinstance(target, Tensor) and target.requires_grad:
        # t log t with 0 log 0 = 0, as PyTorch's xlogy, with its gradient: NaN at t = 0 (the
        # true derivative log t + 1 - input is -inf there)
        losses = target.xlogy(target) - target * input
    else:
        values = np.asarray(target._data if isinstance(target, Tensor) else target)
        with np.errstate(divide="ignore", invalid="ignore"):  # (t log t: 0 at 0, NaN below
            entropy = np.where(values != 0, values * np.log(np.where(values != 0, values, 1)),
                               0)  # 0, as PyTorch's xlogy)
        # a Tensor target stays one in the product, so Mul checks its version at backward
        factor = target if isinstance(target, Tensor) else values
        losses = Tensor(entropy.astype(input.dtype, copy=False)) - input * factor
    reduced = _reduce(losses, reduction)
    return divide_count(reduced, input.shape[0]) if batch_mean and input.ndim else reduced


def softplus_of_minus(logits: Tensor) -> Tensor:
    """log(1 + exp(-x)) = -log sigmoid(x), stable, with gradient sigmoid(x) - 1 everywhere
    (-log sigmoid: 0 at x = inf, where the cross-entropy against 1 has PyTorch's 0 * inf)."""
    return -LogSigmoid.apply(logits)


def weighted_bce_with_logits(logits: Tensor, target: Any, weight: Any, pos_weight: Any
                             ) -> Tensor:
    """Per-element BCE with logits, positive examples weighted by `pos_weight`:
    loss = (1 - y) x + (1 + (pos_weight - 1) y) log(1 + exp(-x)), times `weight`."""
    if pos_weight is None:
        losses = BinaryCrossEntropyWithLogits.apply(logits, target)
    else:
        pos = in_dtype_of(pos_weight, logits)
        log_weight = (pos - 1) * target + 1
        losses = logits * (1 - target) + softplus_of_minus(logits) * log_weight
    if weight is not None:
        losses = losses * in_dtype_of(weight, logits)
    return losses
