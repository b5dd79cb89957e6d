"""`torch.nn.grad` (also `F.grad`): the gradients of conv1d/2d/3d with respect to the input
and the weight, given the gradient of the output (`conv2d_input(input.shape, weight,
grad_output)`). Each runs the convolution on zeros of the wanted shape and asks the engine for
that gradient, so the result is exactly what backward gives, and differentiable again when
the weight, the input or grad_output requires a gradient."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_np.autograd import grad
from tinygrad_np.factories import zeros as _zeros
from tinygrad_np.function import enable_grad, is_grad_enabled
from tinygrad_np.tensor import Tensor, to_tensor


def _convolution(ndim: int) -> Callable[..., Tensor]:
    from tinygrad_np.nn import functional as F  # (F imports this module)

    return {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[ndim]


def _gradient(ndim: int, wanted: str, size: Sequence[int], other: Tensor, grad_output: Tensor,
              options: tuple[Any, ...]) -> Tensor:
    grad_output, other = to_tensor(grad_output), to_tensor(other)
    differentiable = is_grad_enabled() and (grad_output.requires_grad or other.requires_grad)
    with enable_grad():
        zeros = _zeros(tuple(int(n) for n in size), dtype=grad_output.dtype,
                       requires_grad=True)
        pair = (zeros, other) if wanted == "input" else (other, zeros)
        output = _convolution(ndim)(*pair, None, *options)
        if tuple(output.shape) != tuple(grad_output.shape):
            raise RuntimeError(f"conv{ndim}d_{wanted}: grad_output has shape "
                               f"{tuple(grad_output.shape)}, the convolution gives "
                               f"{tuple(output.shape)}")
        return grad(output, zeros, grad_output, create_graph=differentiable)[0]


def conv1d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1) -> Tensor:
    """The gradient of conv1d with respect to an input of shape `input_size`."""
    return _gradient(1, "input", input_size, weight, grad_output,
                     (stride, padding, dilation, groups))


def conv1d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor,  # noqa: A002
                  stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                  groups: int = 1) -> Tensor:
    """The gradient of conv1d with respect to a weight of shape `weight_size`."""
    return _gradient(1, "weight", weight_size, input, grad_output,
                     (stride, padding, dilation, groups))


def conv2d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1) -> Tensor:
    """The gradient of conv2d with respect to an input of shape `input_size`."""
    return _gradient(2, "input", input_size, weight, grad_output,
                     (stride, padding, dilation, groups))


def conv2d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor,  # noqa: A002
                  stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                  groups: int = 1) -> Tensor:
    """The gradient of conv2d with respect to a weight of shape `weight_size`."""
    return _gradient(2, "weight", weight_size, input, grad_output,
                     (stride, padding, dilation, groups))


def conv3d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor,
                 stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1) -> Tensor:
    """The gradient of conv3d with respect to an input of shape `input_size`."""
    return _gradient(3, "input", input_size, weight, grad_output,
                     (stride, padding, dilation, groups))


def conv3d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor,  # noqa: A002
                  stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                  groups: int = 1) -> Tensor:
    """The gradient of conv3d with respect to a weight of shape `weight_size`."""
    return _gradient(3, "weight", weight_size, input, grad_output,
                     (stride, padding, dilation, groups))


__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]
