"""PyTorch's legacy modules kept for old code: `nn.Container` (deprecated: a Module whose
keyword arguments become its children) and `nn.CrossMapLRN2d` (Lua Torch's local response
normalization across channels, with its own window and its own backward rule); and
`nn.factory_kwargs`, the helper older modules use to pass device and dtype on."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_np.autograd_function import Function, once_differentiable
from tinygrad_np.errors import TensorError
from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor

_CONTAINER_WARNING = ("`nn.Container` is deprecated. All of its functionality is now "
                      "implemented in `nn.Module`. Subclass that instead.")


class Container(Module):
    """Deprecated (as PyTorch, with its FutureWarning when made or subclassed): a Module
    whose keyword arguments are added as child modules, `Container(fc=nn.Linear(2, 2))`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        warnings.warn(_CONTAINER_WARNING, FutureWarning, stacklevel=2)
        super().__init_subclass__(**kwargs)

    def __init__(self, **kwargs: Module | None) -> None:
        if type(self) is Container:
            warnings.warn(_CONTAINER_WARNING, FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


def _windows(channels: int, size: int) -> np.ndarray:
    """windows[c, j] = 1 where channel j's square enters channel c's scale. PyTorch's running
    window: the first channels up to the centre, then one channel in and one out per step,
    where the one out starts only two steps after the window is full (channel 0 stays in)."""
    pre_pad = int((size - 1) / 2 + 1)
    windows = np.zeros((channels, channels))
    windows[0, :min(pre_pad, channels)] = 1.0
    for c in range(1, channels):
        windows[c] = windows[c - 1]
        if c < channels - pre_pad + 1:
            windows[c, c + pre_pad - 1] = 1.0
        if c > pre_pad:
            windows[c, c - pre_pad] = 0.0
    return windows


class _CrossMapLRN2dFunction(Function):
    @staticmethod
    def forward(ctx: Any, input: Tensor, size: int, alpha: float, beta: float,  # noqa: A002
                k: float) -> np.ndarray:
        x = input.numpy()
        squares = np.einsum("cj,njhw->nchw", _windows(x.shape[1], size), x * x)
        scale = (squares * (alpha / size) + k).astype(x.dtype, copy=False)
        ctx.scale, ctx.options = scale, (size, alpha, beta)
        output = x * scale ** -beta
        ctx.save_for_backward(input)
        ctx.output = output
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Any, ...]:
        size, alpha, beta = ctx.options
        if size < 2:
            raise RuntimeError("CrossMapLRN2d: PyTorch's backward has no rule for size 1")
        (input,) = ctx.saved_tensors
        x, g, scale = input.numpy(), grad_output.numpy(), ctx.scale
        ratio = g * ctx.output / scale
        # PyTorch's rule sums the ratios of channels [c - shift, c + size - 1 - shift]
        shift, channels = int(size - (size - 1) / 2), x.shape[1]
        starts = np.arange(channels) - shift
        span = (np.arange(channels)[None, :] >= starts[:, None]) & (
            np.arange(channels)[None, :] <= starts[:, None] + size - 1)
        summed = np.einsum("cj,njhw->nchw", span.astype(x.dtype), ratio)
        grad = scale ** -beta * g - (2 * alpha * beta / size) * x * summed
        return grad.astype(x.dtype, copy=False), None, None, None, None


class CrossMapLRN2d(Module):
    """Local response normalization across the channels of a 4-D (N, C, H, W) input:
    x / (k + alpha / size * (sum of x^2 over a window of channels))^beta, PyTorch's window
    and gradient rule (its backward is its own, not the exact gradient of this forward)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim != 4:
            raise TensorError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D "
                              f"instead (shape {tuple(input.shape)}).")
        return _CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def factory_kwargs(kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """PyTorch's `nn.factory_kwargs`: the `device`, `dtype` and `memory_format` of `kwargs`
    (merged with its `factory_kwargs` dict) to pass on to a factory such as `torch.empty`;
    TypeError for any other key, or one given both ways."""
    if kwargs is None:
        return {}
    known = {"device", "dtype", "memory_format"}
    unexpected = set(kwargs) - known - {"factory_kwargs"}
    if unexpected:
        raise TypeError(f"unexpected kwargs {unexpected}")
    result = dict(kwargs.get("factory_kwargs", {}))
    for key in known & set(kwargs):
        if key in result:
            raise TypeError(f"{key} specified twice, in **kwargs and in factory_kwargs")
        result[key] = kwargs[key]
    return result
