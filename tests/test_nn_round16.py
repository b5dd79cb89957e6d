"""Round 16: nn differences from PyTorch 2.13 found by probes (class hierarchy, conv
internals, missing names, error types, hooks on modules returning nested tuples)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


# -- A. the module class hierarchy: PyTorch's, with its private bases -----------------------

_PRIVATE_BASES = {
    "batchnorm": ["_NormBase", "_BatchNorm", "_LazyNormBase"],
    "instancenorm": ["_InstanceNorm"],
    "dropout": ["_DropoutNd"],
    "pooling": ["_MaxPoolNd", "_AvgPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd",
                "_LPPoolNd", "_MaxUnpoolNd"],
    "conv": ["_ConvNd", "_ConvTransposeNd", "_ConvTransposeMixin", "_LazyConvXdMixin"],
    "padding": ["_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd", "_CircularPadNd"],
    "loss": ["_Loss", "_WeightedLoss"],
    "lazy": ["LazyModuleMixin"],
}


def _class_pairs() -> list[tuple[str, type, type | None]]:
    """(name, torch's class, ours or None) for every Module class in torch.nn and the bases."""
    pairs = [(name, value, getattr(nn, name, None)) for name, value in vars(torch.nn).items()
             if isinstance(value, type) and issubclass(value, torch.nn.Module)]
    for group, names in _PRIVATE_BASES.items():
        theirs = importlib.import_module(f"torch.nn.modules.{group}")
        ours = getattr(nn.modules, group)
        pairs += [(f"{group}.{name}", getattr(theirs, name), getattr(ours, name, None))
                  for name in names]
    return pairs


@needs_torch
def test_issubclass_matrix_matches_torch():
    pairs = [(name, theirs, ours) for name, theirs, ours in _class_pairs() if ours is not None]
    assert len(pairs) > 150
    mismatches = [(a, b, issubclass(ta, tb)) for a, ta, oa in pairs for b, tb, ob in pairs
                  if issubclass(ta, tb) != issubclass(oa, ob)]
    assert mismatches == []


@needs_torch
def test_private_bases_exist():
    assert [name for name, _, ours in _class_pairs() if ours is None and "." in name] == []


@pytest.mark.parametrize("sub, base, expected", [
    (nn.MaxPool1d, nn.MaxPool2d, False), (nn.MaxPool3d, nn.modules.pooling._MaxPoolNd, True),
    (nn.AvgPool3d, nn.AvgPool2d, False), (nn.LPPool1d, nn.LPPool2d, False),
    (nn.MaxUnpool3d, nn.MaxUnpool2d, False), (nn.AdaptiveMaxPool2d, nn.AdaptiveAvgPool2d, False),
    (nn.AdaptiveAvgPool1d, nn.modules.pooling._AdaptiveAvgPoolNd, True),
    (nn.ConvTranspose1d, nn.ConvTranspose2d, False),
    (nn.ConvTranspose3d, nn.modules.conv._ConvTransposeNd, True),
    (nn.Dropout2d, nn.Dropout, False), (nn.AlphaDropout, nn.modules.dropout._DropoutNd, True),
    (nn.ZeroPad2d, nn.ConstantPad2d, True), (nn.ReLU6, nn.Hardtanh, True),
    (nn.LazyConv2d, nn.Conv2d, True), (nn.LazyConvTranspose1d, nn.ConvTranspose1d, True),
    (nn.LazyBatchNorm2d, nn.BatchNorm2d, False),
    (nn.LazyBatchNorm2d, nn.modules.batchnorm._BatchNorm, True),
    (nn.LazyInstanceNorm1d, nn.modules.instancenorm._InstanceNorm, True),
    (nn.InstanceNorm2d, nn.modules.batchnorm._NormBase, True),
    (nn.LazyLinear, nn.modules.lazy.LazyModuleMixin, True),
    (nn.modules.lazy.LazyModuleMixin, nn.Module, False),
    (nn.NLLLoss, nn.modules.loss._WeightedLoss, True),
    (nn.BCEWithLogitsLoss, nn.modules.loss._WeightedLoss, False),
])
def test_issubclass_fixed_cases(sub, base, expected):
    assert issubclass(sub, base) is expected


def test_lazy_conv_is_a_conv_before_its_first_call():
    layer = nn.LazyConv2d(4, 3)
    assert isinstance(layer, nn.Conv2d) and layer.has_uninitialized_params()
    assert layer.cls_to_become is nn.Conv2d and repr(layer) == "LazyConv2d()"
    assert layer(tg.ones(1, 2, 5, 5)).shape == (1, 4, 3, 3)
    assert type(layer) is nn.Conv2d and layer.weight.shape == (4, 2, 3, 3)


def test_relu6_is_hardtanh_0_6():
    layer = nn.ReLU6(inplace=True)
    assert (layer.min_val, layer.max_val, repr(layer)) == (0.0, 6.0, "ReLU6(inplace=True)")
    np.testing.assert_array_equal(nn.ReLU6()(tg.tensor([-1.0, 3.0, 7.0])).numpy(), [0, 3, 6])


def test_weighted_losses_keep_weight_buffer():
    loss = nn.NLLLoss(weight=tg.tensor([1.0, 2.0]), ignore_index=3)
    assert list(loss.state_dict()) == ["weight"] and loss.ignore_index == 3
    assert nn.MultiMarginLoss(p=2, weight=tg.ones(3)).weight.shape == (3,)
