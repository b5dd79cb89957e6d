"""Connectionist temporal classification (CTC) loss, as `torch.nn.functional.ctc_loss`.

The loss of one sequence is -log p(target | log_probs): the sum over every alignment of the
T input frames to the target, with blanks between and around its labels and repeats merged.
It is computed on the extended target l' = (blank, l1, blank, l2, ..., blank) by the forward
recursion (alpha) in log space, vectorised over the batch and the positions of l'; the
gradient comes from alpha and the backward recursion (beta), as PyTorch computes it:

    d loss / d lp[t, c] = exp(lp[t, c]) - exp(log sum_{s: l'(s) = c} alpha_t(s) beta_t(s)
                                              + loss - lp[t, c])      (lp: log_probs)

which is the gradient with respect to the logits of a log_softmax that produced log_probs
(so through `log_softmax` the chain rule gives exactly PyTorch's numbers, and on a leaf of
log-probabilities the same values as PyTorch's).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.autograd_function import _DelayedError
from tinygrad_np.errors import DtypeError, RankError, TensorError
from tinygrad_np.function import Function
from tinygrad_np.tensor import Tensor, to_tensor

_NEG_INF = -np.inf


def _logsumexp3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):  # all three -inf: -inf
        return np.logaddexp(np.logaddexp(a, b), c)


def _shifted(values: np.ndarray, by: int) -> np.ndarray:
    """values moved `by` places along the last axis (right if positive), -inf shifted in (a
    slice assignment: np.pad's Python overhead is most of a step's time)."""
    out = np.full_like(values, _NEG_INF)
    if by > 0:
        out[:, by:] = values[:, :-by]
    else:
        out[:, :by] = values[:, -by:]
    return out


class CTC(Function):
    """loss_n = -log sum over alignments of prod_t p(t, l'(s_t)); dlog_probs = exp(log_probs)
    - the alignments' posteriors, from the alpha-beta recursions (see the module docstring)."""

    def forward(ctx, log_probs, labels, input_lengths, target_lengths, blank, zero_infinity):
        steps, batch, _ = log_probs.shape
        width = labels.shape[1]
        extended = np.full((batch, 2 * width + 1), blank, dtype=np.int64)
        extended[:, 1::2] = labels
        positions = np.arange(2 * width + 1)
        valid = positions[None, :] < 2 * target_lengths[:, None] + 1  # (N, S')
        skip = np.zeros_like(valid)  # s - 2 -> s allowed: a label unlike the one before
        skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
        emit = np.where(valid, np.take_along_axis(
            log_probs.astype(np.float64), extended[None].repeat(steps, 0), axis=2), _NEG_INF)
        alpha = np.full((steps, batch, 2 * width + 1), _NEG_INF)
        alpha[0, :, :2] = emit[0, :, :2]
        for t in range(1, steps):
            previous = alpha[t - 1]
            one, two = _shifted(previous, 1), _shifted(previous, 2)
            two[~skip] = _NEG_INF
            alpha[t] = emit[t] + _logsumexp3(previous, one, two)
        rows, last = np.arange(batch), 2 * target_lengths
        final = alpha[np.maximum(input_lengths - 1, 0), rows]
        with np.errstate(invalid="ignore"):
            loss = -np.logaddexp(final[rows, last], np.where(
                last > 0, final[rows, np.maximum(last - 1, 0)], _NEG_INF))
        loss = np.where(input_lengths > 0, loss, np.where(target_lengths > 0, np.inf, 0.0))
        ctx.keep = (extended, valid, skip, emit, alpha, input_lengths, loss)
        ctx.zero_infinity = zero_infinity
        ctx.save_for_backward(log_probs)
        finite = np.isfinite(loss) | (not zero_infinity)
        return np.where(finite, loss, 0.0).astype(log_probs.dtype)

    def backward(ctx, grad_output):
        (log_probs,) = ctx.saved_tensors
        if xp.is_tensor(grad_output):  # create_graph: the gradient is computed, and raises
            grad = _gradient(ctx.keep, ctx.zero_infinity, log_probs._data, grad_output._data)
            return (_DelayedError.apply(grad, "ctc_loss", grad_output, log_probs),  # if it is
                    None, None, None, None, None)  # differentiated again, as PyTorch's
        return (_gradient(ctx.keep, ctx.zero_infinity, log_probs, grad_output),
                None, None, None, None, None)


def _gradient(keep: tuple, zero_infinity: bool, log_probs: np.ndarray,
              grad_output: np.ndarray) -> np.ndarray:
    """PyTorch's gradient with respect to log_probs (see the module docstring), from the
    forward's alpha and the beta recursion run here."""
    extended, valid, skip, emit, alpha, lengths, loss = keep
    steps, batch, classes = log_probs.shape
    beta = np.full_like(alpha, _NEG_INF)
    rows, last = np.arange(batch), 2 * ((valid.sum(1) - 1) // 2)
    for t in range(steps - 1, -1, -1):
        ending = lengths - 1 == t  # each sequence's beta starts at its own last frame
        start = np.full(alpha.shape[1:], _NEG_INF)
        start[rows, last] = emit[t, rows, last]
        start[rows, np.maximum(last - 1, 0)] = np.where(
            last > 0, emit[t, rows, np.maximum(last - 1, 0)], start[rows, 0])
        following = beta[t + 1] if t + 1 < steps else np.full_like(start, _NEG_INF)
        one, two = _shifted(following, -1), _shifted(following, -2)
        two[:, :-2][~skip[:, 2:]] = _NEG_INF
        inner = emit[t] + _logsumexp3(following, one, two)
        beta[t] = np.where(ending[:, None], start, np.where((t < lengths - 1)[:, None],
                                                            inner, _NEG_INF))
    occupancy = np.full((steps, batch, classes), _NEG_INF)  # log sum of alpha beta per c
    with np.errstate(invalid="ignore", over="ignore"):
        both = alpha + beta
        for s in range(extended.shape[1]):
            index = (slice(None), rows, extended[:, s])
            occupancy[index] = np.logaddexp(occupancy[index], both[:, :, s])
        lp = log_probs.astype(np.float64)
        grad = np.exp(lp) - np.exp(occupancy + loss[None, :, None] - lp)
    active = np.arange(steps)[:, None] < lengths[None, :]
    kept = active & (np.isfinite(loss) | (not zero_infinity))[None, :]
    grad = np.where(kept[:, :, None], grad, 0.0) * np.reshape(grad_output, (1, -1, 1))
    return grad.astype(log_probs.dtype)


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of `log_probs` (T, N, C) (log_softmax outputs; (T, C) unbatched) against
    `targets`, padded (N, S) or concatenated 1-D, with per-sequence `input_lengths` and
    `target_lengths`. 'mean' divides each loss by its target length, then averages over the
    batch; `zero_infinity` zeroes impossible alignments (inf losses) and their gradients."""
    from tinygrad_np.nn.functional_losses import legacy_reduction  # noqa: PLC0415 (cycle)

    reduction = legacy_reduction(None, None, reduction, "ctc_loss")
    x = to_tensor(log_probs)
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(1)
    if x.ndim != 3 or x.dtype.kind != "f":
        raise (RankError if x.ndim == 0 else TensorError)(
            f"ctc_loss: log_probs must be a float tensor (T, N, C) or (T, C), got shape "
            f"{tuple(log_probs.shape)} and dtype {log_probs.dtype.name}")
    steps, batch, classes = x.shape
    if x.numel() == 0:
        raise TensorError(f"ctc_loss: log_probs must not be empty, got shape {x.shape}")
    lengths_in, lengths_out = (_lengths(given, name) for given, name in (
        (input_lengths, "input_lengths"), (target_lengths, "target_lengths")))
    labels = np.asarray(_array(targets), dtype=np.int64)
    if unbatched and labels.ndim == 1 and lengths_out.size == 1 and labels.size >= lengths_out[0]:
        labels = labels[None, :]
    for lengths, name in ((lengths_in, "input_lengths"), (lengths_out, "target_lengths")):
        if lengths.shape != (batch,):  # (PyTorch's words, with the sizes)
            raise TensorError(f"ctc_loss: {name} must be of size batch_size ({batch}), got "
                              f"{lengths.size} values")
    if (lengths_in < 0).any() or (lengths_in > steps).any() or (lengths_out < 0).any():
        raise TensorError(f"ctc_loss: input_lengths must be in [0, {steps}] (T) and "
                          f"target_lengths >= 0, got {lengths_in.tolist()} and "
                          f"{lengths_out.tolist()}")
    if not 0 <= blank < classes:
        raise TensorError(f"ctc_loss: blank must be in label range [0, {classes}), got {blank}")
    if labels.ndim == 1:  # concatenated targets: one row each, padded with the blank
        if labels.size != lengths_out.sum():
            raise TensorError(f"ctc_loss: 1-D targets must hold sum(target_lengths) = "
                              f"{lengths_out.sum()} labels, got {labels.size}")
        padded = np.full((batch, max(int(lengths_out.max(initial=0)), 1)), blank, np.int64)
        for row, (begin, size) in enumerate(zip(np.cumsum(lengths_out) - lengths_out,
                                                lengths_out)):
            padded[row, :size] = labels[begin:begin + size]
        labels = padded
    elif labels.ndim != 2 or labels.shape[0] != batch or (
            lengths_out > labels.shape[1]).any():
        raise TensorError(f"ctc_loss: targets must be (N, S) with S >= every target length, or "
                          f"1-D concatenated; got shape {labels.shape} for {batch} sequences "
                          f"and target_lengths {lengths_out.tolist()}")
    else:  # (N, 0) targets (every target empty): one column of blanks
        labels = np.where(np.arange(labels.shape[1])[None, :] < lengths_out[:, None], labels,
                          blank) if labels.shape[1] else np.full((batch, 1), blank, np.int64)
    if ((labels < 0) | (labels >= classes)).any():
        raise TensorError(f"ctc_loss: target labels must be in [0, {classes}), got values from "
                         f"{labels.min()} to {labels.max()}")
    losses = CTC.apply(x, labels, lengths_in, lengths_out, blank, zero_infinity)
    if reduction == "none":
        return losses[0] if unbatched else losses
    if reduction == "sum":
        return losses.sum()
    return (losses / Tensor(np.maximum(lengths_out, 1).astype(x.dtype))).mean()


def _array(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def _lengths(given: Any, name: str) -> np.ndarray:
    """Integer lengths as a 1-D int64 array; fractional ones are PyTorch's TypeError (not
    rounded down)."""
    array = np.atleast_1d(np.asarray(_array(given)))
    if array.size and array.dtype.kind not in "iu":  # (PyTorch's RuntimeError; a TypeError too)
        raise DtypeError(f"ctc_loss: {name} must be integers, integral (a tuple of ints or an "
                         f"integer tensor), got {array.dtype} values {array.tolist()}")
    return array.astype(np.int64)
