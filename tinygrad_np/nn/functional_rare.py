"""The activations of `torch.nn` that the tensor vocabulary leaves out, composed from Tensor
ops: hardshrink, softshrink, tanhshrink, threshold, glu, prelu. Re-exported by F.

Where an activation is piecewise, the piece is chosen by a constant mask computed from the
input (no gradient flows through a comparison), so each gradient is PyTorch's, kinks
included.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import DtypeError, TensorError
from tinygrad_np.function import is_grad_enabled
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.masked import MaskedBy
from tinygrad_np.tensor import (
    Tensor,
    _node_named,
    _scalar_for,
    _wrap_dim,
    refuse_integers,
    to_tensor as _tensor,
)


def _mask(condition: np.ndarray, like: Tensor) -> Any:
    """The piece chosen at each element, as `like`'s dtype. When `like` is in a graph the
    mask is tied to it with derivative zero (ops/masked.py), so a gradient computed with it
    under create_graph still depends on `like`: differentiated again, it gives zeros, as
    PyTorch's rules do, not a gradient of None."""
    mask = condition.astype(like.dtype)
    return MaskedBy.apply(mask, like) if like.requires_grad and is_grad_enabled() else mask


@xp.quiet
@_node_named("HardshrinkBackward0")
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """y = x where |x| > lambd, else 0."""
    input = refuse_integers("hardshrink", _tensor(input))
    kept = input * _mask(~(np.abs(input._data) <= lambd), input)  # NaN passes, as PyTorch
    return kept + 0.0  # (+0.0: a zeroed -0.1 is 0.0, not -0.0, as PyTorch's)


@_node_named("SoftshrinkBackward0")
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """y = x - lambd above lambd, x + lambd below -lambd, else 0: x - clamp(x, -lambd, lambd)."""
    if lambd < 0:
        raise TensorError(f"softshrink: lambd must be non-negative, got {lambd}")
    input = refuse_integers("softshrink", _tensor(input))
    return input - input.clip(-lambd, lambd)  # (0.0 inside: PyTorch's sign there depends
    # on the tensor's size, -0.0 for x < 0 in its scalar loop)


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """y = x - tanh(x)."""
    input = _tensor(input)
    return input - input.tanh()


@_node_named("ThresholdBackward0", in_place="ThresholdBackward1")
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """y = x where x > threshold, else value: a where(), so x = -inf gives value (not
    -inf * 0), and NaN keeps x and its gradient, as PyTorch's `x <= threshold ? value : x`."""
    def keep_above(t: Tensor) -> Tensor:
        with np.errstate(over="ignore"):  # (a float16 input beside 1e5: inf, quietly)
            below = t._data <= threshold
        result = t.where(~below, value)
        if result.grad_fn is not None:  # the condition is a mask of t: its recorded gradient
            result.grad_fn.mask_only = True  # stays linked to t (ops/masked.py), as PyTorch's
        return result

    input = _tensor(input)  # (in place unless a recorded write would be refused there)
    if input.dtype == np.bool_:
        refuse_integers("threshold", input)
    dtype = input._data.dtype  # PyTorch's overflow errors: the value in the dtype, the
    _scalar_for("threshold", value, dtype)  # threshold too (float16's in float32)
    _scalar_for("threshold", threshold, np.dtype(np.float32) if dtype == np.float16 else dtype)
    if dtype.kind in "iu":  # both numbers in the integer dtype first, as PyTorch's kernel
        with np.errstate(all="ignore"):  # (0.5 is 0; -1 is 255 for uint8)
            threshold, value = (np.asarray(n).astype(dtype) for n in (threshold, value))
    if inplace and not input._in_place_refused():
        return input._in_place(keep_above)
    return keep_above(input)


@xp.quiet
def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: split `dim` into halves a, b; y = a * sigmoid(b)."""
    input = refuse_integers("glu", _tensor(input))
    if not input.ndim:
        raise TensorError("glu does not support scalars because halving size must be even")
    size = input.shape[_wrap_dim("glu", dim, input.ndim)]
    if size % 2:
        raise TensorError(f"glu: dimension {dim} must have an even size, got shape {input.shape}")
    axis = dim % input.ndim
    before = (slice(None),) * axis
    first = input[(*before, slice(0, size // 2))]
    second = input[(*before, slice(size // 2, size))]
    return pytorch_named(first * second.sigmoid(), "GluBackward0")


@xp.quiet  # (-inf with a zero slope is NaN silently, as PyTorch)
def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """y = x for x > 0, weight * x else; `weight` has 1 entry or one per channel (dim 1)."""
    input = _tensor(input)
    weight = _tensor(weight)
    if input.dtype.kind not in "fc" or weight.dtype != input.dtype:
        raise TensorError(f"prelu: Type promoting not supported. Got {input.dtype.name} and "
                          f"{weight.dtype.name}")
    if weight.ndim == 0:  # one slope for every channel (PyTorch takes a 0-d weight too)
        weight = weight.reshape(1)
    if weight.ndim != 1 or weight.shape[0] not in (1, input.shape[1] if input.ndim > 1 else 1):
        raise TensorError(f"prelu: weight of shape {weight.shape} does not fit input of shape "
                          f"{input.shape} (1 or {input.shape[1] if input.ndim > 1 else 1} values)")
    if input.ndim > 1:
        weight = weight.reshape((weight.shape[0],) + (1,) * (input.ndim - 2))
    elif input.ndim == 0:  # a 0-d input gives a 0-d result, as PyTorch
        weight = weight.reshape(())
    positive = _mask(input._data > 0, input)
    return pytorch_named(input * (positive + weight * (1 - positive)), "PreluKernelBackward0")


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn from the library's generator.
    `hard=True` returns the one-hot argmax in the forward pass and the soft sample's gradient
    (the straight-through estimator: one_hot - y.detach() + y)."""
    logits = _tensor(logits)
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", UserWarning,
                      stacklevel=2)
    if logits.dtype.kind != "f":
        raise DtypeError("Exponential distribution is a continuous probability distribution. "
                         f"dtype must be a floating point (gumbel_softmax: logits of shape "
                         f"{logits.shape} have dtype {logits.dtype.name})")
    noise = Tensor(np.empty(logits.shape, logits.dtype)).exponential_()  # (PyTorch's draws:
    with np.errstate(divide="ignore"):
        gumbels = -np.log(noise._data)  # -log of exponential_(); 0 there gives inf)
    with np.errstate(divide="ignore", invalid="ignore"):  # tau = 0: NaN, as PyTorch
        soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return soft
    index = soft.argmax(dim, keepdim=True)
    one_hot = np.zeros(soft.shape, dtype=soft.dtype)
    np.put_along_axis(one_hot, index._data, 1.0, axis=dim)
    return one_hot - soft.detach() + soft
