"""Round 13 of probes against PyTorch 2.13, the layers side: reset_parameters and
reset_running_stats on every layer that has them, MultiheadAttention's add_bias_kv,
add_zero_attn and merge_masks, Embedding's scale_grad_by_freq and EmbeddingBag's max_norm,
LP pooling's norm types, activations on integer tensors, Module's compile/_apply/global
hooks, full backward hooks with unused outputs, container and layer attributes, names with
dots, PackedSequence conversions, optimizers refusing a Tensor lr with foreach, and the
missing names (UninitializedBuffer, Container, CrossMapLRN2d, parametrizations.orthogonal).

Each test checks fixed expected values on tinygrad_np, then (where PyTorch is installed)
compares with PyTorch: values and, in float64, gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _np(value):
    return np.asarray(value.detach().numpy())


def _copy_state(source, target) -> None:
    """target (a tinygrad_np module) gets source's (a PyTorch module's) state, as float64."""
    state = {name: tg.tensor(_np(value)) for name, value in source.state_dict().items()}
    target.load_state_dict(state)


# ----------------------------------------------------------------- 1. reset_parameters
def _layers() -> dict:
    """Constructors of the layers that have reset_parameters in PyTorch, by name."""
    return {
        "Linear": lambda lib: lib.nn.Linear(4, 3),
        "Bilinear": lambda lib: lib.nn.Bilinear(2, 3, 4),
        "Conv1d": lambda lib: lib.nn.Conv1d(2, 4, 3),
        "Conv2d": lambda lib: lib.nn.Conv2d(2, 4, 3, groups=2),
        "Conv3d": lambda lib: lib.nn.Conv3d(2, 4, 2, bias=False),
        "ConvTranspose1d": lambda lib: lib.nn.ConvTranspose1d(2, 4, 3),
        "ConvTranspose2d": lambda lib: lib.nn.ConvTranspose2d(2, 4, 3),
        "ConvTranspose3d": lambda lib: lib.nn.ConvTranspose3d(2, 4, 2),
        "BatchNorm1d": lambda lib: lib.nn.BatchNorm1d(3),
        "BatchNorm2d": lambda lib: lib.nn.BatchNorm2d(3),
        "BatchNorm3d": lambda lib: lib.nn.BatchNorm3d(3),
        "SyncBatchNorm": lambda lib: lib.nn.SyncBatchNorm(3),
        "InstanceNorm1d": lambda lib: lib.nn.InstanceNorm1d(3, affine=True,
                                                            track_running_stats=True),
        "InstanceNorm2d": lambda lib: lib.nn.InstanceNorm2d(3),
        "InstanceNorm3d": lambda lib: lib.nn.InstanceNorm3d(3, affine=True),
        "LayerNorm": lambda lib: lib.nn.LayerNorm((2, 3)),
        "GroupNorm": lambda lib: lib.nn.GroupNorm(2, 4),
        "RMSNorm": lambda lib: lib.nn.RMSNorm(3),
        "Embedding": lambda lib: lib.nn.Embedding(5, 3, padding_idx=1),
        "EmbeddingBag": lambda lib: lib.nn.EmbeddingBag(5, 3, padding_idx=2),
        "PReLU": lambda lib: lib.nn.PReLU(3, init=0.5),
        "RNN": lambda lib: lib.nn.RNN(3, 4),
        "LSTMCell": lambda lib: lib.nn.LSTMCell(3, 4),
        "LazyLinear": lambda lib: lib.nn.LazyLinear(3),
        "LazyConv2d": lambda lib: lib.nn.LazyConv2d(4, 3),
        "LazyBatchNorm1d": lambda lib: lib.nn.LazyBatchNorm1d(),
        "LazyInstanceNorm2d": lambda lib: lib.nn.LazyInstanceNorm2d(),
        "MultiheadAttention": lambda lib: lib.nn.MultiheadAttention(4, 2, add_bias_kv=True),
        "Transformer": lambda lib: lib.nn.Transformer(4, 2, 1, 1, 8, batch_first=True),
    }


METHODS = ("reset_parameters", "_reset_parameters", "reset_running_stats")


@pytest.mark.parametrize("name", sorted(_layers()))
def test_reset_methods_present_as_pytorch(name):
    layer = _layers()[name](tg)
    expected = {
        "MultiheadAttention": {"_reset_parameters"}, "Transformer": {"_reset_parameters"},
    }.get(name, {"reset_parameters"} | ({"reset_running_stats"} if "Norm" in name
                                        and name not in ("LayerNorm", "GroupNorm", "RMSNorm")
                                        else set()))
    assert {method for method in METHODS if hasattr(layer, method)} == expected
    if torch is not None:
        theirs = _layers()[name](torch)
        assert {method for method in METHODS if hasattr(theirs, method)} == expected


RANDOM = ("Linear", "Bilinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
          "ConvTranspose2d", "ConvTranspose3d", "Embedding", "EmbeddingBag", "RNN", "LSTMCell",
          "MultiheadAttention", "Transformer")


@pytest.mark.parametrize("name", RANDOM)
def test_reset_parameters_redraws_in_place_as_the_constructor(name):
    """The constructor draws through reset_parameters: reseeding and resetting gives the
    constructor's values again, in the same Parameter objects; another draw differs."""
    tg.manual_seed(3)
    layer = _layers()[name](tg)
    reset = getattr(layer, "reset_parameters", None) or layer._reset_parameters
    before = {key: (p, p.detach().numpy().copy()) for key, p in layer.named_parameters()}
    reset()
    assert any(not np.array_equal(p.detach().numpy(), values)
               for p, values in before.values() if p.numel() > 1)
    tg.manual_seed(3)
    reset()
    now = dict(layer.named_parameters())
    for key, (parameter, values) in before.items():
        assert now[key] is parameter
        assert parameter.requires_grad
        # (these two draw their sublayers' parameters before their own reset, as PyTorch's)
        if name not in ("Transformer", "MultiheadAttention"):
            np.testing.assert_array_equal(parameter.detach().numpy(), values)


def test_reset_parameters_distributions():
    tg.manual_seed(0)
    linear = tg.nn.Linear(16, 2000)
    linear.reset_parameters()
    weight = linear.weight.detach().numpy()
    assert weight.dtype == np.float32
    assert np.abs(weight).max() <= 0.25 and np.abs(weight).max() > 0.249
    assert abs(weight.std() - 0.25 / math.sqrt(3)) < 0.002
    conv = tg.nn.ConvTranspose2d(2, 6, 3, groups=2)  # fan_in: 3 outputs per group * 9
    conv.reset_parameters()
    bound = 1 / math.sqrt(27)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    embedding = tg.nn.Embedding(2000, 8, padding_idx=4)
    with tg.no_grad():
        embedding.weight.fill_(7.0)
    embedding.reset_parameters()
    table = embedding.weight.detach().numpy()
    assert np.all(table[4] == 0) and abs(table.std() - 1) < 0.02
    prelu = tg.nn.PReLU(3, init=0.5)
    assert prelu.init == 0.5
    with tg.no_grad():
        prelu.weight.fill_(2.0)
    prelu.reset_parameters()
    np.testing.assert_array_equal(prelu.weight.detach().numpy(), [0.5] * 3)
    attention = tg.nn.MultiheadAttention(64, 2, add_bias_kv=True)
    assert abs(attention.bias_k.detach().numpy().std() - math.sqrt(2 / 128)) < 0.06


@pytest.mark.parametrize("name", ["BatchNorm1d", "SyncBatchNorm", "InstanceNorm1d",
                                  "LayerNorm", "GroupNorm", "RMSNorm"])
def test_norm_reset_parameters_and_running_stats(name):
    layer = _layers()[name](tg)
    with tg.no_grad():
        for parameter in layer.parameters():
            parameter.fill_(3.0)
        for buffer in layer.buffers():
            buffer.fill_(5)
    parameters = list(layer.parameters())
    if hasattr(layer, "reset_running_stats"):
        layer.reset_running_stats()
        assert layer.running_mean.tolist() == [0.0] * 3
        assert layer.running_var.tolist() == [1.0] * 3
        assert layer.num_batches_tracked.item() == 0
        assert layer.weight.tolist() == [3.0] * 3  # (the parameters are left)
        layer.running_mean.fill_(5)
    layer.reset_parameters()
    assert list(layer.parameters()) == parameters
    assert np.all(layer.weight.detach().numpy() == 1)
    if getattr(layer, "bias", None) is not None:
        assert np.all(layer.bias.detach().numpy() == 0)
    if hasattr(layer, "reset_running_stats"):
        assert layer.running_mean.tolist() == [0.0] * 3


def test_reset_loop_over_modules_keeps_an_optimizer_working():
    tg.manual_seed(1)
    model = tg.nn.Sequential(tg.nn.Conv1d(2, 3, 2), tg.nn.BatchNorm1d(3), tg.nn.Flatten(),
                             tg.nn.LazyLinear(2))
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    x = tg.randn(4, 2, 5)
    model(x).sum().backward()
    optimizer.step()
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    assert model[1].weight.tolist() == [1.0] * 3
    before = model[0].weight.detach().numpy().copy()
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(model[0].weight.detach().numpy(),
                               before - 0.1 * model[0].weight.grad.numpy(), rtol=1e-6)


def test_lazy_reset_before_the_first_call_does_nothing():
    for layer in (tg.nn.LazyLinear(3), tg.nn.LazyConv1d(2, 3), tg.nn.LazyBatchNorm1d()):
        layer.reset_parameters()
        assert isinstance(layer.weight, tg.nn.UninitializedParameter)
    norm = tg.nn.LazyInstanceNorm1d()
    norm.reset_running_stats()
    norm(tg.randn(2, 3, 4))
    assert type(norm) is tg.nn.InstanceNorm1d
    norm.reset_running_stats()
    assert norm.running_mean.tolist() == [0.0] * 3


@needs_torch
def test_transformer_reset_parameters_matches_pytorch_bounds():
    """xavier-uniform on every matrix: the largest |value| stays under PyTorch's bound."""
    model = tg.nn.Transformer(8, 2, 1, 1, 16)
    model._reset_parameters()
    for name, parameter in model.named_parameters():
        if parameter.ndim > 1:
            fan_out, fan_in = parameter.shape[:2]
            bound = math.sqrt(6 / (fan_in + fan_out))
            assert np.abs(parameter.detach().numpy()).max() <= bound, name
