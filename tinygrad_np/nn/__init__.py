"""Layers and models: `import tinygrad_np.nn as nn` (functions in `tinygrad_np.nn.functional`).

Built only on the public Tensor ops, including the fused ones in `tinygrad_np/ops`
(linear, the losses).
"""

from tinygrad_np.nn import functional, init, utils
from tinygrad_np.nn.activation import ReLU, Sigmoid, Softmax, Tanh
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.dropout import Dropout, Dropout2d
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.nn.shape import Flatten, Identity
from tinygrad_np.nn.sparse import Embedding

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "Dropout2d",
    "Embedding",
    "Flatten",
    "GroupNorm",
    "Identity",
    "LayerNorm",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
    "utils",
]
