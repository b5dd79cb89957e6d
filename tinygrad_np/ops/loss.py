"""The fused losses: softmax cross-entropy and the two binary cross-entropies.

Composed from log_softmax and indexing, cross-entropy would be correct, but the fused rule
is the one the lessons derive by hand, dZ = softmax(Z) - onehot(Y), and costs one pass over
the logits. Composed from Tensor ops, BCE would take log(0) = -inf (a NumPy warning, then
0 * inf = nan in the backward) at probabilities of exactly 0 or 1, and the stable
with-logits form max(x, 0) + log(1 + exp(-|x|)) would get the gradient wrong at x = 0,
where relu and abs each have a kink (the sum is smooth, but each kink's subgradient is 0
there). The binary losses return the per-element loss; the caller reduces it.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import DtypeError, IndexOutOfBounds, TensorError
from tinygrad_np.function import Function
from tinygrad_np.ops.reduce import accumulator
from tinygrad_np.ops.softmax import float16_log_sum

REDUCTIONS = ("mean", "sum", "none")
_HALF = np.dtype(np.float16)


def check_targets(logits: np.ndarray, target: np.ndarray) -> None:
    """Raise a clear error unless `target` fits (N, C) logits: class ids (N,) or probs (N, C)."""
    if logits.ndim != 2:
        raise TensorError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    count, classes = logits.shape
    if target.dtype.kind in "iu":
        if target.shape != (count,):
            one_hot = target.shape == logits.shape
            batch = target.shape[0] if target.ndim else 0  # (PyTorch's words when they differ)
            raise TensorError(
                (f"cross_entropy: Expected input batch_size ({count}) to match target "
                 f"batch_size ({batch}); " if batch != count else "cross_entropy: ")
                + f"class-index target must have shape ({count},) for logits of "
                f"shape {logits.shape}, got {target.shape}"
                + ("; a one-hot target is class probabilities: pass it as float "
                   "(target.float()), or its class ids (target.argmax(1))" if one_hot else "")
            )
        # one pass for both ends: as unsigned integers, negative ids are the largest
        ids = target if target.dtype.itemsize == 8 and target.dtype.isnative else target.astype(
            np.int64)
        if count and np.maximum.reduce(ids.view(np.uint64)) >= classes:
            raise IndexOutOfBounds(
                f"Target {target.max() if target.max() >= classes else target.min()} is out of "
                f"bounds. (cross_entropy: target class ids must be in [0, {classes - 1}] for "
                f"{classes} classes, got values from {target.min()} to {target.max()})"
            )
    elif target.dtype.kind == "f":
        if target.shape != logits.shape:
            ids = target.shape == (count,)
            raise TensorError(
                f"cross_entropy: probability target must have the logits' shape {logits.shape}, "
                f"got {target.shape}" + ("; class ids must be integers: target.long() (PyTorch: "
                                         "expected target dtype to be Long or Byte, but got "
                                         "Float)" if ids else "")
            )
    else:
        raise DtypeError(f"cross_entropy: target must be int class ids or float probabilities, "
                         f"got dtype {target.dtype.name}")


@xp.quiet
class CrossEntropy(Function):
    """loss_i = -sum_c q_ic log softmax(z_i)_c (q = one-hot of the class id, or given probs);
    dz_i = (softmax(z_i) * sum_c q_ic - q_i) * g_i, dq_i = -log softmax(z_i) * g_i,
    with g_i = g / N for reduction='mean', g for 'sum', g_i for 'none'.
    """

    def forward(ctx, logits, target, reduction):
        check_targets(logits, target)
        ctx.reduction = reduction
        # ufunc.reduce rather than np.max / np.sum, whose Python wrappers cost more than the
        # arithmetic on a minibatch of logits.
        shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)
        if target.dtype.kind == "f":  # (PyTorch composes this case: its last node's name)
            ctx._pytorch_name = "DivBackward1" if reduction == "mean" else "NegBackward0"
            probs = np.exp(shifted)
            total = np.add.reduce(probs, axis=1, keepdims=True)
            log_probs = shifted - np.log(total)
            losses = -np.add.reduce(target * log_probs, axis=1)
        elif logits.dtype is _HALF:  # PyTorch's steps: log_softmax in float32, rounded
            ctx.rows = np.arange(len(target))
            wide = logits.astype(np.float32)
            wide -= np.maximum.reduce(wide, axis=1, keepdims=True)
            wide -= float16_log_sum(np.add.reduce(np.exp(wide), axis=1, keepdims=True))
            log_probs = wide.astype(_HALF)
            losses = -log_probs[ctx.rows, target]
            probs, total = log_probs, None  # (backward: PyTorch's nll and log_softmax rules)
        else:
            # -log softmax(z)_y = log(total) - shifted_y: only N values of log_probs are
            # needed, so the (N, C) array is never built, and exp overwrites `shifted`.
            ctx.rows = np.arange(len(target))
            picked = shifted[ctx.rows, target]
            probs = np.exp(shifted, out=shifted)
            total = np.add.reduce(probs, axis=1, keepdims=True)
            losses = np.log(total[:, 0]) - picked
            log_probs = None  # not needed: class ids get no gradient
        if total is not None:
            probs /= total
        # probs and log_probs are derived values: under create_graph they are recomputed
        # from the logits (below), so second derivatives stay right.
        ctx.save_for_backward(logits, target)
        ctx.probs, ctx.log_probs = probs, log_probs
        if reduction != "none" and len(losses) and accumulator(losses.dtype) is not None:
            with np.errstate(over="ignore"):  # float16: summed in float32, as PyTorch
                total = np.add.reduce(losses, dtype=np.float32)
                total = total / len(losses) if reduction == "mean" else total
                return np.asarray(total, dtype=losses.dtype)
        if reduction == "mean" and len(losses):  # losses.mean() without its wrapper, as a
            return np.asarray(np.add.reduce(losses) / len(losses))  # 0-d array (not a scalar)
        if reduction == "mean":  # the mean of nothing: NaN, silently, as PyTorch's
            return np.full((), np.nan, dtype=losses.dtype)
        return np.add.reduce(losses) if reduction == "sum" else losses

    def backward(ctx, grad_output):
        logits, target = ctx.saved_tensors
        probs, log_probs = ctx.probs, ctx.log_probs
        count = logits.shape[0]
        if ctx.reduction == "none":
            scale = grad_output.reshape((count, 1))
        else:
            scale = grad_output
        if ctx.reduction == "mean":  # a count past 65,504 is inf in float16: multiply by 1/N
            scale = grad_output / count if count <= 65504 else grad_output * (1.0 / count)
        if recorded := xp.is_tensor(logits):  # create_graph: recompute through recorded ops
            log_probs = logits.log_softmax(axis=1)
            probs = xp.exp(log_probs)
        grad_target = -log_probs * scale if ctx.needs_input_grad[1] else None
        if target.dtype.kind == "f":
            grad_logits = (probs * target.sum(axis=1, keepdims=True) - target) * scale
        elif recorded:
            onehot = np.zeros(probs.shape, dtype=probs.dtype)
            onehot[np.arange(count), _array(target)] = 1
            grad_logits = (probs - onehot) * scale
        elif logits.dtype is _HALF:
            return _half_class_gradient(ctx, target, grad_output, log_probs), None, None
        else:  # the hot path: one pass over the logits, then N subtractions
            grad_logits = probs * scale
            grad_logits[ctx.rows, target] -= scale.reshape(-1) if scale.ndim else scale
        return grad_logits, grad_target, None  # one per argument (reduction: none)


def _half_class_gradient(ctx, target, grad_output, log_probs):
    """float16 logits' gradient as PyTorch's nll_loss and log_softmax backward compute it:
    the picked entries -g (over N in float16 for 'mean', N rounded to float16), then
    dz = g_y - exp(log p) g_y summed per row, in float32 and rounded once."""
    count = len(target)
    if ctx.reduction == "none":
        picked = grad_output.astype(np.float32)
    elif ctx.reduction == "mean" and count <= 65504:
        picked = np.float32(grad_output / np.float16(count))  # (float16 / float16)
    elif ctx.reduction == "mean":  # (PyTorch's float16 count is inf there: its loss is NaN)
        picked = np.float32(grad_output) * np.float32(1.0 / count)
    else:
        picked = np.float32(grad_output)
    picked = -np.broadcast_to(picked, (count,)).reshape((count, 1))
    grad = np.exp(log_probs.astype(np.float32))
    grad *= -picked
    grad[ctx.rows, target] += picked[:, 0]
    return grad.astype(_HALF)


def _array(x):
    return x._data if xp.is_tensor(x) else x


# PyTorch clamps each log at -100 so that p = 0 or 1 gives a large finite loss, not inf.
LOG_FLOOR = -100.0
# ...and keeps the gradient's denominator p (1 - p) at least this (PyTorch's EPSILON).
DENOMINATOR_FLOOR = 1e-12


def _clamped_logs(p, floor: float = LOG_FLOOR):
    """log p and log(1 - p), each at least `floor`, without a divide-by-zero warning."""
    with np.errstate(divide="ignore"):  # log(0) = -inf is expected; the clamp handles it
        if xp.is_tensor(p):  # create_graph: recorded, so second derivatives see them
            return xp.log(p).clip(floor, None), xp.log(1 - p).clip(floor, None)
        return np.maximum(np.log(p), floor), np.maximum(np.log1p(-p), floor)


class BinaryCrossEntropy(Function):
    """loss = -(y log p + (1 - y) log(1 - p)), each log clamped at -100 (as PyTorch);
    dp = g (p - y) / max(p (1 - p), 1e-12),   dy = g (log(1 - p) - log p) (not clamped, as
    PyTorch's: +-inf at p = 0 or 1).
    """

    def forward(ctx, p, y):
        if p.size and not (p.min() >= 0 and p.max() <= 1):
            raise TensorError(
                "binary_cross_entropy: all elements of input should be between 0 and 1 (they "
                f"are probabilities), got values from {p.min()} to {p.max()}; for raw scores "
                "use binary_cross_entropy_with_logits"
            )
        ctx.save_for_backward(p, y)
        log_p, log_q = _clamped_logs(p)
        return -(y * log_p + (1 - y) * log_q)

    def backward(ctx, grad_output):
        p, y = ctx.saved_tensors
        grad_p = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_p = grad_output * (p - y) / (p * (1 - p)).clip(DENOMINATOR_FLOOR, None)
        if ctx.needs_input_grad[1]:
            log_p, log_q = _clamped_logs(p, -np.inf)
            grad_y = grad_output * (log_q - log_p)
        return grad_p, grad_y


@xp.quiet  # x = +-inf: inf or nan, as PyTorch, silently
class BinaryCrossEntropyWithLogits(Function):
    """loss = (1 - y) x + max(-x, 0) + log(1 + exp(-|x|))   (= -(y log s + (1 - y) log(1 - s)),
    s = sigmoid(x), rearranged so no exp can overflow: PyTorch's form, inf at x = inf, y < 1);
    dx = g (sigmoid(x) - y),   dy = -g x.
    """

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return (1 - y) * x + np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_output * (xp.sigmoid(x) - y)
        if ctx.needs_input_grad[1]:
            grad_y = -grad_output * x
        return grad_x, grad_y


@xp.quiet  # d^2 past the float range in the branch where() drops: no warning
class Huber(Function):
    """loss = d^2 / 2 for |d| < delta, else delta (|d| - delta / 2), per element (one pass
    each way: huber_loss and smooth_l1_loss);  dd = g clip(d, -delta, delta), so the second
    derivative is 1 inside (d = 0 included), 0 from |d| = delta on, NaN at a NaN d."""

    def forward(ctx, d, delta):
        ctx.save_for_backward(d)
        ctx.delta = delta
        distance = np.abs(d)
        return np.where(distance < delta, d * d * 0.5, (distance - delta * 0.5) * delta)

    def backward(ctx, grad_output):
        (d,) = ctx.saved_tensors
        if xp.is_tensor(d):  # create_graph: the slope as a function of d (1 inside, 0 out)
            edge = ctx.delta * np.sign(d._data)
            return grad_output * d.where(np.abs(d._data) < ctx.delta, edge), None
        return grad_output * np.clip(d, -ctx.delta, ctx.delta), None
