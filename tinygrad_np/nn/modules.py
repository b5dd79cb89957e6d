"""`torch.nn.modules`: PyTorch's submodule paths for the layer classes, for code that names
them (`nn.modules.conv._ConvNd`, `nn.modules.batchnorm._BatchNorm`, `nn.modules.loss._Loss`,
`from tinygrad_np.nn.modules.module import Module`). Every layer is also here directly
(`nn.modules.Linear`), as in PyTorch."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_np import nn as _nn
from tinygrad_np.nn import (
    conv as _conv,
    dropout as _dropout,
    layers_more as _layers_more,
    lazy as _lazy,
    loss as _loss,
    module as _module_file,
    normalization as _normalization,
    rnn as _rnn,
    transformer as _transformer,
)

_GROUPS = {
    "module": ["Module", "register_module_forward_pre_hook", "register_module_forward_hook",
               "register_module_full_backward_hook", "register_module_full_backward_pre_hook",
               "register_module_backward_hook", "register_module_buffer_registration_hook",
               "register_module_module_registration_hook",
               "register_module_parameter_registration_hook"],
    "linear": ["Linear", "Identity", "Bilinear", "LazyLinear", "NonDynamicallyQuantizableLinear"],
    "lazy": ["LazyModuleMixin"],
    "conv": ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
             "ConvTranspose3d", "_ConvNd", "_ConvTransposeNd", "_ConvTransposeMixin",
             "_LazyConvXdMixin", "LazyConv1d", "LazyConv2d", "LazyConv3d",
             "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"],
    "pooling": ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
                "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
                "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
                "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d",
                "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d", "_MaxPoolNd",
                "_AvgPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd", "_LPPoolNd",
                "_MaxUnpoolNd"],
    "batchnorm": ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "_BatchNorm", "SyncBatchNorm",
                  "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "_NormBase",
                  "_LazyNormBase"],
    "normalization": ["LayerNorm", "GroupNorm", "LocalResponseNorm", "RMSNorm"],
    "instancenorm": ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "_InstanceNorm",
                     "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
                     "_NormBase", "_LazyNormBase"],
    "dropout": ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                "FeatureAlphaDropout", "_DropoutNd"],
    "activation": ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU",
                   "SiLU", "Mish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin",
                   "Softplus", "Softsign", "Hardtanh", "Hardsigmoid", "Hardswish",
                   "Hardshrink", "Softshrink", "Tanhshrink", "Threshold", "GLU", "LogSigmoid",
                   "MultiheadAttention", "Softmax2d"],
    "container": ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"],
    "loss": [name for name in dir(_nn) if name.endswith("Loss")] + ["_Loss", "_WeightedLoss"],
    "rnn": ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase",
            "apply_permutation"],
    "sparse": ["Embedding", "EmbeddingBag"],
    "transformer": ["Transformer", "TransformerEncoder", "TransformerEncoderLayer",
                    "TransformerDecoder", "TransformerDecoderLayer", "MultiheadAttention",
                    "_get_clones", "_get_activation_fn", "_generate_square_subsequent_mask",
                    "_detect_is_causal_mask"],
    "flatten": ["Flatten", "Unflatten"],
    "padding": [name for name in dir(_nn) if name.endswith(("Pad1d", "Pad2d", "Pad3d"))]
    + ["_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd", "_CircularPadNd"],
    "distance": ["CosineSimilarity", "PairwiseDistance"],
    "fold": ["Fold", "Unfold"],
    "pixelshuffle": ["PixelShuffle", "PixelUnshuffle"],
    "upsampling": ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"],
}
_SOURCES = (_nn, _conv, _loss, _normalization, _module_file, _dropout, _layers_more, _lazy,
            _rnn, _transformer)


def _find(name: str) -> object | None:
    for source in _SOURCES:
        if hasattr(source, name):
            return getattr(source, name)
    return None


for _group, _names in _GROUPS.items():
    _module = types.ModuleType(f"{__name__}.{_group}")
    _module.__dict__.update({name: _find(name) for name in _names if _find(name) is not None})
    sys.modules[_module.__name__] = _module
    globals()[_group] = _module
    globals().update({name: value for name, value in vars(_module).items()
                      if not name.startswith("__")})



def _ntuple(count: int, name: str = "parse") -> Callable[[Any], tuple]:
    """PyTorch's `nn.modules.utils._ntuple`: an int (or any non-iterable) repeated `count`
    times, an iterable as a tuple (what layers do with `kernel_size=3`)."""
    def parse(value: Any) -> tuple:
        if isinstance(value, Iterable) and not isinstance(value, str):
            return tuple(value)
        return (value,) * count

    parse.__name__ = name
    return parse


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """PyTorch's `nn.modules.utils.consume_prefix_in_state_dict_if_present`: strip `prefix`
    (such as "module." from a DataParallel model's state dict) from every key that starts
    with it, in place (renamed keys move to the end, in their order), and from the keys of
    `state_dict._metadata` if it has one (there, as PyTorch's, the key equal to the prefix
    with its dots removed becomes "")."""
    for key in [key for key in state_dict if key.startswith(prefix)]:
        state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is None:
        return
    own_key = prefix.replace(".", "")  # the prefixed module's own entry (PyTorch's rule)
    for key in [key for key in metadata if key and (key == own_key or key.startswith(prefix))]:
        metadata[key[len(prefix):]] = metadata.pop(key)


utils = types.ModuleType(f"{__name__}.utils")
utils.__dict__.update(_ntuple=_ntuple, _single=_ntuple(1, "_single"),
                      _pair=_ntuple(2, "_pair"), _triple=_ntuple(3, "_triple"),
                      _quadruple=_ntuple(4, "_quadruple"),
                      consume_prefix_in_state_dict_if_present=(
                          consume_prefix_in_state_dict_if_present))
sys.modules[utils.__name__] = utils

# Every layer of nn is here directly too, even one no submodule above names yet.
globals().update({name: value for name, value in vars(_nn).items()
                  if isinstance(value, type) and issubclass(value, _nn.Module)
                  and name not in globals()})
