"""Layers and models: `import tinygrad_np.nn as nn` (functions in `tinygrad_np.nn.functional`).

Built only on the public Tensor ops, including the fused ones in `tinygrad_np/ops`
(linear, the losses).
"""

from tinygrad_np.nn import functional
from tinygrad_np.nn.activation import ReLU, Sigmoid, Softmax, Tanh
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.conv import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    ConvTranspose2d,
    Fold,
    MaxPool1d,
    MaxPool2d,
    Unfold,
)
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.nn.shape import Flatten, Identity

__all__ = [
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "Fold",
    "MaxPool1d",
    "MaxPool2d",
    "Unfold",
    "Flatten",
    "Identity",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
]
