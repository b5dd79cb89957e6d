"""More of torch.nn.functional, composed from Tensor ops (re-exported by F): dropout1d,
dropout3d, alpha_dropout, local_response_norm and rrelu. Random masks and slopes come from
the library generator (`tg.manual_seed`), so they are reproducible but not PyTorch's draws.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import DtypeError, TensorError
from tinygrad_np.rng import drawn_like, generator
from tinygrad_np.tensor import Tensor, _node_named, refuse_integers, to_tensor as _tensor

# PyTorch's alpha_dropout constant: -SELU's negative saturation value, SELU_SCALE * SELU_ALPHA
_ALPHA = 1.7580993408473766


def _feature_dropout(name: str, input: Any, p: float, training: bool,  # noqa: A002
                     inplace: bool, spatial: int) -> Tensor:
    """Dropout of whole channels of (N, C, *spatial) or unbatched (C, *spatial) inputs.

    Other ranks, as PyTorch 2.13 (after its warning): dropout2d reads a 3-D input as (N, C, L)
    and any other rank's dim 1 as the channels; dropout3d adds a batch dim to anything not
    5-D, so dim 0 holds the channels."""
    from tinygrad_np.nn import functional as F  # F imports this module

    F._check_probability(p, name)
    x = _tensor(input)
    usual = (spatial + 1, spatial + 2)
    if spatial > 1 and x.ndim < 2:  # PyTorch: a warning; in eval the input, in training an
        warnings.warn(_odd_rank_warning(name, x.ndim, spatial), UserWarning, stacklevel=3)
        if not training or p == 0:  # error (dropout3d adds its batch dim first: 1-D works)
            return x
        if spatial == 2 or x.ndim == 0:
            raise TensorError(f"{name}: Feature dropout requires at least 2 dimensions in the "
                              f"input, got shape {x.shape}")
        return F._dropout(x, p, x.shape[:1], inplace)
    if spatial > 1 and (x.ndim not in usual or (spatial == 2 and x.ndim == 3)):
        warnings.warn(_odd_rank_warning(name, x.ndim, spatial), UserWarning, stacklevel=3)
        channels = 1 if spatial == 3 and x.ndim != 5 else 2  # dims that keep their own mask
    elif x.ndim in usual:
        channels = x.ndim - spatial
    else:
        raise TensorError(f"{name}: expected a {spatial + 1}-D (unbatched) or {spatial + 2}-D "
                          f"input (channels and {spatial} spatial dimension(s), an optional "
                          f"batch dimension), got shape {x.shape}")
    if not training or p == 0:
        return x
    return F._dropout(x, p, x.shape[:channels] + (1,) * (x.ndim - channels), inplace)


def _odd_rank_warning(name: str, ndim: int, spatial: int) -> str:
    """PyTorch's warning for a channel dropout given an input of another rank."""
    if spatial == 2 and ndim == 3:
        return ("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
                "dropout behavior is desired - input is interpreted as shape (N, C, L), where "
                "C is the channel dim. This behavior will change in a future release to "
                "interpret the input as one without a batch dimension, i.e. shape (C, H, W). "
                "To maintain the 1D channel-wise dropout behavior, please switch to using "
                "dropout1d instead.")
    return (f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result "
            f"in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that {name} exists to provide "
            f"channel-wise dropout on inputs with {spatial} spatial dimensions, a channel "
            f"dimension, and an optional batch dimension (i.e. {spatial + 1}D or "
            f"{spatial + 2}D inputs).")


@xp.quiet
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, L) or (C, L) input with probability p, scaling the
    rest by 1/(1-p)."""
    return _feature_dropout("dropout1d", input, p, training, inplace, 1)


@xp.quiet
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability p,
    scaling the rest by 1/(1-p). (PyTorch warns and goes on for other ranks: they raise here.)"""
    return _feature_dropout("dropout3d", input, p, training, inplace, 3)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped elements become -1.7581 (SELU's saturation), then
    a x + b keeps mean 0 and variance 1, as PyTorch (a = ((alpha^2 p + 1)(1 - p))^-1/2).
    The input itself when not training (the default, as in PyTorch), p = 0 or empty."""
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels: one draw per (sample, channel) of an (N, C, ...)
    input, as PyTorch's."""
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace, True)


def _alpha_dropout(op: str, input: Tensor, p: float, training: bool,  # noqa: A002
                   inplace: bool, channels: bool) -> Tensor:
    from tinygrad_np.nn import functional as F

    F._check_probability(p, op)
    x = _tensor(input)
    if not training or p == 0 or x.numel() == 0:
        return x
    dtype = x.dtype if x.dtype.kind == "f" else F.refuse_scaling(x, p)
    if p == 1:
        return x.mul_(np.zeros((), dtype)) if inplace else x * np.zeros((), dtype=dtype)
    if channels and x.ndim < 2:
        raise TensorError(f"Feature dropout requires at least 2 dimensions in the input ({op}: "
                          f"input of shape {x.shape})")
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if channels else x.shape
    keep = drawn_like(lambda size: generator().bernoulli(1 - p, size), x._data, shape
                      ).astype(dtype)
    a = 1 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = ((keep - 1) * (_ALPHA * a) + _ALPHA * a * p).astype(dtype)
    scale = (keep * a).astype(dtype)
    return x.mul_(scale).add_(shift) if inplace else x * scale + shift


@xp.quiet  # squares past the float range give inf silently, as PyTorch
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4,  # noqa: A002
                        beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, the channel
    window zero-padded (size // 2 before, (size - 1) // 2 after), as PyTorch's (N, C, ...)."""
    from tinygrad_np.nn import functional as F

    x = _tensor(input)
    if x.ndim < 3:
        raise TensorError(f"local_response_norm: expected 3D or higher dimensionality input "
                          f"(got {x.ndim} dimensions, shape {x.shape})")
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
        raise TypeError(f"local_response_norm: size must be an int, got {size!r}")
    if size < 1:
        raise TensorError(f"local_response_norm: size must be a positive int, got {size!r}")
    if x.numel() == 0:
        return x  # (the input itself, as PyTorch)
    if x.dtype.kind in "biu" and x.dtype != np.int64:
        raise DtypeError(f'"avg_pool2d" not implemented for {x.dtype.name} (local_response_norm: '
                         f"input of shape {x.shape}; PyTorch takes float or int64)")
    padding = (0, 0) * (x.ndim - 2) + (size // 2, (size - 1) // 2)
    windows = F.pad(x * x, padding).unfold(1, size, 1)
    if x.dtype == np.int64:  # PyTorch's integer average pooling: the sum // size, then float32
        average = (windows.sum(-1) // size).float()
    else:
        average = windows.mean(-1)
    return x / (average * alpha + k) ** beta


@_node_named("RreluWithNoiseBackward0", in_place="RreluWithNoiseBackward1")
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: in training each element <= 0 is multiplied by its own slope
    drawn from U(lower, upper) (its gradient), else the fixed slope (lower + upper) / 2."""
    from tinygrad_np.nn import functional as F

    x = refuse_integers("rrelu", _tensor(input))
    if lower > upper:
        raise RuntimeError(f"rrelu: the lower bound ({lower}) must be <= the upper ({upper})")
    if not training:
        return F.leaky_relu(x, (lower + upper) / 2, inplace)
    dtype = x.dtype if x.dtype.kind == "f" else get_default_dtype()
    negative = x._data <= 0  # (PyTorch draws a slope for these only, in order)
    noise = np.ones(x.shape, dtype)
    bounds = np.array([lower, upper], dtype=dtype if dtype.itemsize >= 4 else np.float32)
    if dtype.itemsize > 4:  # u (upper - lower) + lower rounded twice, as PyTorch's double
        slopes = generator().unit(int(negative.sum()), np.float64)  # kernel (no fma there)
        noise[negative] = slopes * (upper - lower) + lower
    else:
        noise[negative] = generator().rand(int(negative.sum()), np.float64, *bounds.tolist())
    return x.mul_(noise) if inplace else x * noise
