"""PyTorch's `torch.nn.utils.fusion`: fold an eval-mode batch norm into the conv (or linear)
layer before it, for inference. With s = gamma / sqrt(running_var + eps), per output channel:

    weight' = weight * s        bias' = (bias - running_mean) * s + beta
"""

from __future__ import annotations

import copy
from typing import Any

from tinygrad_np.function import no_grad
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor


def _scale_and_shift(mean: Tensor, var: Tensor, eps: float, gamma: Tensor | None,
                     beta: Tensor | None) -> tuple[Tensor, Tensor]:
    scale = (var + eps).rsqrt()
    if gamma is not None:
        scale = scale * gamma
    return scale, (beta if beta is not None else mean * 0)


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The fused (weight, bias) Parameters of a conv followed by a batch norm (the output
    channels are dim 0 of the weight, dim 1 for a transposed conv)."""
    with no_grad():
        scale, shift = _scale_and_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        shape = [1] * conv_w.ndim
        shape[1 if transpose else 0] = -1
        weight = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        bias = conv_b if conv_b is not None else bn_rm * 0
        bias = ((bias - bn_rm) * scale + shift).to(conv_w.dtype)
    return (Parameter(weight, requires_grad=conv_w.requires_grad),
            Parameter(bias, requires_grad=conv_b.requires_grad if conv_b is not None
                      else conv_w.requires_grad))


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor | None,
                           bn_b: Tensor | None) -> tuple[Parameter, Parameter]:
    """The fused (weight, bias) Parameters of a linear layer followed by a batch norm."""
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def _fuse(layer: Module, bn: Module, fuse: Any, *extra: Any) -> Module:
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("the batch norm must track running statistics")
    fused = copy.deepcopy(layer)
    fused.weight, fused.bias = fuse(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                    bn.eps, bn.weight, bn.bias, *extra)
    return fused


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A copy of `conv` (eval mode) computing conv then `bn` (eval mode) in one layer."""
    return _fuse(conv, bn, fuse_conv_bn_weights, transpose)


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A copy of `linear` (eval mode) computing linear then `bn` (eval mode) in one layer."""
    out, features = linear.weight.shape[0], bn.running_mean.shape[0]
    if out != features and features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or "
                             "bn.num_features == 1, got linear.out_features="
                             f"{out} and bn.num_features={features}")
    return _fuse(linear, bn, fuse_linear_bn_weights)


__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]
