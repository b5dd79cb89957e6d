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


def test_constant_pad_requires_value():
    with pytest.raises(TypeError):
        nn.ConstantPad2d(1)
    assert repr(nn.ConstantPad1d(2, 0.5)) == "ConstantPad1d(padding=(2, 2), value=0.5)"
    assert repr(nn.ZeroPad1d(2)) == "ZeroPad1d((2, 2))"


# -- B. conv internals: _conv_forward, _reversed_padding_repeated_twice, _output_padding ----

def _weight_standardised(L, base):
    class WSConv(base):
        def _conv_forward(self, input, weight, bias):  # noqa: A002
            dims = tuple(range(1, weight.ndim))
            centred = weight - weight.mean(dim=dims, keepdim=True)
            return super()._conv_forward(input, centred / (centred.std(dim=dims, keepdim=True)
                                                           + 1e-5), bias)
    return WSConv


@needs_torch
@pytest.mark.parametrize("dims, mode", [(1, "zeros"), (2, "reflect"), (3, "zeros"),
                                        (2, "circular")])
def test_conv_forward_override_matches_torch(dims, mode):
    rng = np.random.default_rng(dims)
    x = rng.standard_normal((2, 3) + (5,) * dims)
    layers = []
    for L in (tg, torch):
        base = getattr(L.nn, f"Conv{dims}d")
        layer = _weight_standardised(L, base)(3, 4, 3, padding=1, padding_mode=mode).double()
        layers.append(layer)
    with torch.no_grad():
        layers[1].weight.copy_(torch.tensor(layers[0].weight.numpy()))
        layers[1].bias.copy_(torch.tensor(layers[0].bias.numpy()))
    xs = [tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)]
    outs = [layer(xi) for layer, xi in zip(layers, xs)]
    np.testing.assert_allclose(outs[0].numpy(), outs[1].detach().numpy(), rtol=1e-10, atol=1e-12)
    for out in outs:
        (out ** 2).sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), xs[1].grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(layers[0].weight.grad.numpy(), layers[1].weight.grad.numpy(),
                               rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("make, expected", [
    (lambda L: L.nn.Conv2d(1, 1, 3, padding=(1, 2)), (2, 2, 1, 1)),
    (lambda L: L.nn.Conv1d(1, 1, 3, padding=4), (4, 4)),
    (lambda L: L.nn.Conv3d(1, 1, 3, padding=(0, 1, 2)), (2, 2, 1, 1, 0, 0)),
    (lambda L: L.nn.Conv2d(1, 1, (3, 4), padding="same"), [1, 2, 1, 1]),
    (lambda L: L.nn.Conv2d(1, 1, (3, 4), padding="same", dilation=(1, 3)), [4, 5, 1, 1]),
    (lambda L: L.nn.Conv2d(1, 1, (3, 4), padding="valid"), [0, 0, 0, 0]),
    (lambda L: L.nn.ConvTranspose2d(1, 1, 3, padding=(1, 2)), (2, 2, 1, 1)),
])
def test_reversed_padding_repeated_twice(make, expected):
    assert make(tg)._reversed_padding_repeated_twice == expected
    if torch is not None:
        assert make(torch)._reversed_padding_repeated_twice == expected


@pytest.mark.parametrize("output_size, expected", [
    (None, (1, 0)), ([10, 9], (1, 0)), ([2, 3, 9, 10], (0, 1)), ((9, 9), (0, 0)),
])
def test_conv_transpose_output_padding_signature(output_size, expected):
    def call(L):
        layer = L.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=(1, 0))
        x = L.ones(2, 3, 5, 5)
        return tuple(layer._output_padding(x, output_size, [2, 2], [1, 1], [3, 3], 2, [1, 1]))
    assert call(tg) == expected
    if torch is not None:
        assert call(torch) == expected


@pytest.mark.parametrize("output_size", [[8, 9], [11, 9], [1, 9, 9], [1, 2, 3, 9, 9]])
def test_conv_transpose_bad_output_size_is_value_error(output_size):
    for L in (tg, torch) if torch is not None else (tg,):
        layer = L.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
        with pytest.raises(ValueError):
            layer(L.ones(2, 3, 5, 5), output_size=output_size)


def test_conv_transpose_output_size_of_unbatched_input():
    layer = nn.ConvTranspose1d(3, 2, 3, stride=2)
    assert layer(tg.ones(3, 4), output_size=[2, 10]).shape == (2, 10)
    if torch is not None:
        theirs = torch.nn.ConvTranspose1d(3, 2, 3, stride=2)(torch.ones(3, 4), output_size=[2, 10])
        assert tuple(theirs.shape) == (2, 10)
