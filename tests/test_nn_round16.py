"""Round 16: nn differences from PyTorch 2.13 found by probes (class hierarchy, conv
internals, missing names, error types, hooks on modules returning nested tuples)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

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
    assert layer.cls_to_become is nn.Conv2d  # the repr: PyTorch's (0 input channels)
    assert repr(layer) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1))"
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


# -- C. torch.convolution, native_*_norm, grid_sampler, affine_grid_generator, conv_tbc -------

def _both(call, arrays, grads=True):
    """call(L, *tensors) under tg and torch (float64): values and gradients compared."""
    results = []
    for L in (tg, torch):
        xs = [L.tensor(a, requires_grad=grads) for a in arrays]
        out = call(L, *xs)
        outs = out if isinstance(out, tuple) else (out,)
        total = sum((o * L.tensor(np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape)))).sum()
                    for o in outs if o.numel() and o.requires_grad)
        grads_ = L.autograd.grad(total, xs, allow_unused=True) if grads else []
        results.append(([np.asarray(o.detach().numpy()) for o in outs],
                        [None if g is None else g.numpy() for g in grads_]))
    (ours, our_grads), (theirs, their_grads) = results
    assert [o.shape for o in ours] == [t.shape for t in theirs]
    for o, t in zip(ours + our_grads, theirs + their_grads):
        if o is None or t is None:
            assert o is None and t is None or np.abs(o if t is None else t).max() == 0
        else:
            np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-10)


_rng = np.random.default_rng(16)


def _r(*shape):
    return _rng.standard_normal(shape)


@needs_torch
@pytest.mark.parametrize("x, w, transposed, args", [
    (_r(2, 4, 7), _r(6, 2, 3), False, ([2], [1], [1], [0], 2)),
    (_r(2, 4, 6, 5), _r(6, 4, 3, 2), False, ([1, 2], [1, 0], [2, 1], [0, 0], 1)),
    (_r(1, 2, 4, 4, 3), _r(3, 2, 2, 2, 2), False, ([1, 1, 1], [0, 1, 0], [1, 1, 1], [0], 1)),
    (_r(2, 4, 5, 5), _r(4, 3, 3, 3), True, ([2, 2], [1, 1], [1, 1], [1, 0], 1)),
    (_r(2, 4, 5), _r(4, 1, 3), True, ([2], [0], [2], [1], 2)),
])
def test_convolution_matches_torch(x, w, transposed, args):
    stride, padding, dilation, output_padding, groups = args
    bias = _r(w.shape[1] * groups if transposed else w.shape[0])
    _both(lambda L, a, b, c: L.convolution(a, b, c, stride, padding, dilation, transposed,
                                           output_padding, groups), [x, w, bias])


@needs_torch
@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm_matches_torch(training):
    x, weight, bias = _r(4, 3, 5), _r(3), _r(3)
    stats = []

    def call(L, a, w, b):
        running = [L.tensor(np.linspace(-0.5, 0.5, 3)), L.tensor(np.linspace(1, 2, 3))]
        stats.append(running)
        return L.native_batch_norm(a, w, b, *running, training, 0.2, 1e-3)
    _both(call, [x, weight, bias])
    for ours, theirs in zip(*stats):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@needs_torch
def test_native_batch_norm_without_running_stats_matches_torch():
    _both(lambda L, a: L.native_batch_norm(a, None, None, None, None, True, 0.1, 1e-5),
          [_r(5, 2, 3, 2)])


@needs_torch
@pytest.mark.parametrize("shape", [[5], [3, 5], (4, 3, 5)])
def test_native_layer_norm_matches_torch(shape):
    _both(lambda L, a, w, b: L.native_layer_norm(a, shape, w, b, 1e-5),
          [_r(4, 3, 5), _r(*shape), _r(*shape)])


def test_native_layer_norm_refuses_an_int_shape():
    for L in (tg, torch) if torch is not None else (tg,):
        with pytest.raises(TypeError):
            L.native_layer_norm(L.ones(2, 5), 5, None, None, 1e-5)


@needs_torch
def test_native_group_norm_matches_torch():
    _both(lambda L, a, w, b: L.native_group_norm(a, w, b, 2, 6, 12, 3, 1e-5),
          [_r(2, 6, 3, 4), _r(6), _r(6)])
    _both(lambda L, a: L.native_group_norm(a, None, None, 3, 4, 5, 2, 1e-5), [_r(3, 4, 5)])


@needs_torch
@pytest.mark.parametrize("interpolation, padding", [(0, 0), (0, 1), (1, 2), (2, 0), (2, 2)])
@pytest.mark.parametrize("name", ["grid_sampler", "grid_sampler_2d"])
def test_grid_sampler_matches_torch(name, interpolation, padding):
    _both(lambda L, a, g: getattr(L, name)(a, g, interpolation, padding, False),
          [_r(2, 3, 5, 6), _rng.uniform(-1.2, 1.2, (2, 4, 3, 2))])


@needs_torch
@pytest.mark.parametrize("interpolation, padding", [(0, 0), (0, 2), (1, 1)])
def test_grid_sampler_3d_matches_torch(interpolation, padding):
    _both(lambda L, a, g: L.grid_sampler_3d(a, g, interpolation, padding, True),
          [_r(1, 2, 3, 4, 5), _rng.uniform(-1.1, 1.1, (1, 2, 3, 2, 3))])


def test_grid_sampler_refuses_bad_modes_and_dims():
    x, grid = tg.ones(1, 1, 3, 3), tg.zeros(1, 2, 2, 2)
    with pytest.raises(RuntimeError, match="interpolation_mode"):
        tg.grid_sampler(x, grid, 3, 0, False)
    with pytest.raises(RuntimeError, match="grid_sampler_3d"):
        tg.grid_sampler_3d(x, grid, 0, 0, False)


@needs_torch
@pytest.mark.parametrize("size, corners", [((2, 3, 4, 5), False), ([2, 1, 3, 4, 2], True)])
def test_affine_grid_generator_matches_torch(size, corners):
    theta = _r(2, 2, 3) if len(size) == 4 else _r(2, 3, 4)
    _both(lambda L, t: L.affine_grid_generator(t, size, corners), [theta])


@needs_torch
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_conv_tbc_matches_torch(pad):
    _both(lambda L, a, w, b: L.conv_tbc(a, w, b, pad), [_r(7, 2, 3), _r(3, 3, 4), _r(4)])


def test_conv_tbc_fixed_values():
    x = tg.arange(4.0).reshape(4, 1, 1)  # time 0..3, one batch, one channel
    out = tg.conv_tbc(x, tg.tensor([[[1.0]], [[10.0]]]), tg.tensor([0.5]), 1)
    # padded 0 0 1 2 3 0, correlated with (1, 10), plus 0.5
    np.testing.assert_allclose(out.reshape(-1).numpy(), [0.5, 10.5, 21.5, 32.5, 3.5])


def test_backends_mkldnn_openmp_cudnn_names():
    import tinygrad_np.backends.mkldnn as mkldnn
    import tinygrad_np.backends.openmp as openmp
    assert mkldnn is tg.backends.mkldnn and openmp is tg.backends.openmp
    assert mkldnn.enabled and not mkldnn.is_available() and not openmp.is_available()
    assert tg.backends.cudnn.conv.fp32_precision == "tf32"
    assert mkldnn.conv.fp32_precision == "none"
    assert tg.backends.cuda.is_flash_attention_available() is False
    with tg.backends.cudnn.flags(enabled=False, deterministic=True):
        assert not tg.backends.cudnn.enabled and tg.backends.cudnn.deterministic
    assert tg.backends.cudnn.enabled and not tg.backends.cudnn.deterministic
    with mkldnn.flags():
        assert not mkldnn.enabled
    assert mkldnn.enabled


@needs_torch
def test_backends_flags_defaults_match_torch():
    for L in (tg, torch):
        with L.backends.cudnn.flags():
            assert L.backends.cudnn.enabled is False
        with L.backends.cudnn.flags(enabled=True, benchmark=True):
            assert L.backends.cudnn.enabled is True and L.backends.cudnn.benchmark is True
        assert L.backends.cudnn.enabled and not L.backends.cudnn.benchmark


# -- D. double backward through grid_sample(mode='nearest') -----------------------------------

@pytest.mark.parametrize("spatial", [2, 3])
def test_grid_sample_nearest_double_backward(spatial):
    rng = np.random.default_rng(spatial)
    results = []
    for L in (tg, torch) if torch is not None else (tg,):
        a = L.tensor(rng.standard_normal((2, 3) + (4,) * spatial), requires_grad=True)
        g = L.tensor(rng.uniform(-1, 1, (2,) + (3,) * spatial + (spatial,)), requires_grad=True)
        y = L.nn.functional.grid_sample(a, g, mode="nearest", align_corners=False)
        ga, gg = L.autograd.grad(y.sum(), [a, g], create_graph=True)
        second = L.autograd.grad((gg ** 2).sum() + (ga ** 2).sum(), [a, g], allow_unused=True)
        results.append((second[0], None if second[1] is None else second[1].detach().numpy()))
    for first, grid_grad in results:  # PyTorch's: (None, zeros of the grid's shape)
        assert first is None
        np.testing.assert_array_equal(grid_grad, np.zeros((2,) + (3,) * spatial + (spatial,)))


def test_grid_sample_nearest_grid_gradient_stays_zero_at_inf():
    g = tg.tensor([[[[np.inf, 0.0]]]], requires_grad=True)
    F.grid_sample(tg.ones(1, 1, 2, 2), g, mode="nearest", align_corners=True).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), np.zeros((1, 1, 1, 2)))


# -- E. PyTorch's private helpers and names code imports ----------------------------------------

def test_lstm_flat_weights_follow_assignment():
    lstm = nn.LSTM(2, 3, num_layers=2)
    assert len(lstm._flat_weights) == 8
    assert all(w is getattr(lstm, n) for w, n in zip(lstm._flat_weights,
                                                     lstm._flat_weights_names))
    lstm.weight_hh_l1 = nn.Parameter(tg.zeros(12, 3))
    assert lstm._flat_weights[5] is lstm.weight_hh_l1
    if torch is not None:
        theirs = torch.nn.LSTM(2, 3, num_layers=2)
        assert [tuple(w.shape) for w in theirs._flat_weights] == \
            [tuple(w.shape) for w in nn.LSTM(2, 3, num_layers=2)._flat_weights]


def test_apply_permutation_and_module_paths():
    from tinygrad_np.nn.modules.linear import NonDynamicallyQuantizableLinear
    from tinygrad_np.nn.modules.rnn import apply_permutation
    x = tg.arange(6.0).reshape(1, 3, 2)
    np.testing.assert_array_equal(apply_permutation(x, tg.tensor([2, 0, 1])).numpy()[0],
                                  [[4, 5], [0, 1], [2, 3]])
    assert apply_permutation(x, tg.tensor([1, 0]), dim=2).numpy()[0, 0].tolist() == [1, 0]
    assert type(nn.MultiheadAttention(4, 2).out_proj) is NonDynamicallyQuantizableLinear


def test_transformer_private_helpers():
    from tinygrad_np.nn.modules import transformer as T
    layers = T._get_clones(nn.Linear(2, 2), 3)
    assert isinstance(layers, nn.ModuleList) and len(layers) == 3
    assert layers[0].weight is not layers[1].weight
    np.testing.assert_array_equal(layers[0].weight.numpy(), layers[2].weight.numpy())
    assert T._get_activation_fn("relu") is F.relu and T._get_activation_fn("gelu") is F.gelu
    with pytest.raises(RuntimeError, match="relu/gelu"):
        T._get_activation_fn("tanh")
    mask = T._generate_square_subsequent_mask(3, dtype=tg.float64)
    assert mask.dtype == tg.float64
    np.testing.assert_array_equal(mask.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf],
                                                 [0, 0, 0]])
    assert T._detect_is_causal_mask(mask) and T._detect_is_causal_mask(mask, size=3)
    assert not T._detect_is_causal_mask(mask, size=4)
    assert T._detect_is_causal_mask(None, is_causal=True)
    assert not T._detect_is_causal_mask(mask, is_causal=False)
    assert not T._detect_is_causal_mask(tg.zeros(3, 3))


@needs_torch
@pytest.mark.parametrize("mask", [None, np.triu(np.full((3, 3), -np.inf), 1),
                                  np.zeros((3, 3)), np.zeros((2, 3, 3)), np.zeros((1, 1))])
@pytest.mark.parametrize("size", [None, 3])
def test_detect_is_causal_mask_matches_torch(mask, size):
    from tinygrad_np.nn.modules.transformer import _detect_is_causal_mask as ours
    from torch.nn.modules.transformer import _detect_is_causal_mask as theirs
    wrap = (lambda L: None) if mask is None else (lambda L: L.tensor(mask))
    assert ours(wrap(tg), None, size) == theirs(wrap(torch), None, size)


def test_functional_mask_helpers():
    assert F._none_or_dtype(None) is None and F._none_or_dtype(tg.ones(2)) == tg.float32
    with pytest.raises(RuntimeError):
        F._none_or_dtype(3)
    mask = F._canonical_mask(tg.tensor([[True, False]]), "attn_mask", None, "other",
                             tg.float64)
    assert mask.dtype == tg.float64
    np.testing.assert_array_equal(mask.numpy(), [[-np.inf, 0]])
    floats = tg.tensor([[0.5, 0.0]])
    assert F._canonical_mask(floats, "attn_mask", None, "", tg.float32) is floats
    assert F._canonical_mask(None, "attn_mask", None, "", tg.float32) is None
    with pytest.raises(AssertionError, match="only bool and floating"):
        F._canonical_mask(tg.tensor([[1, 0]]), "attn_mask", None, "", tg.float32)
    with pytest.warns(UserWarning, match="mismatched attn_mask and key_padding_mask"):
        F._canonical_mask(floats, "attn_mask", tg.bool, "key_padding_mask", tg.float32)


@needs_torch
def test_in_projection_packed_matches_torch():
    q, kv, w, b = _r(3, 2, 4), _r(5, 2, 4), _r(12, 4), _r(12)
    for same in (True, False):
        results = []
        for L in (tg, torch):
            tq, tkv = L.tensor(q), L.tensor(kv)
            key = tq if same else tkv
            outs = L.nn.functional._in_projection_packed(tq, key, key, L.tensor(w),
                                                         L.tensor(b))
            results.append([o.detach().numpy() for o in outs])
        for ours, theirs in zip(*results):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("shapes", [
    ((3, 2, 4), (5, 2, 4), (5, 2, 4), (2, 5), (3, 5)),
    ((3, 4), (5, 4), (5, 4), (5,), (2, 3, 5)),
    ((3, 4), (5, 4), (5, 4), None, (3, 3, 5)),
    ((3, 2, 4), (5, 2, 4), (5, 2, 4), (5,), None),
    ((3, 2, 4), (5, 4), (5, 2, 4), None, None),
    ((1, 3, 2, 4), (1, 5, 2, 4), (1, 5, 2, 4), None, None),
    ((3, 2, 4), (5, 2, 4), (5, 2, 4), None, (1, 1, 3, 5)),
])
def test_mha_shape_check_matches_torch(shapes):
    outcomes = []
    for L in (tg, torch):
        args = [None if s is None else L.zeros(*s) for s in shapes]
        try:
            outcomes.append(L.nn.functional._mha_shape_check(*args, 2))
        except AssertionError as error:  # (the words up to the shapes, written differently)
            outcomes.append(str(error).split(" but ")[0])
    assert outcomes[0] == outcomes[1]


# -- F. dtype mismatches in RNNs and sdpa masks: PyTorch's errors ------------------------------

@pytest.mark.parametrize("call, error", [
    (lambda L: L.nn.GRU(2, 3)(L.zeros(4, 1, 2, dtype=L.long)), ValueError),
    (lambda L: L.nn.GRU(2, 3)(L.zeros(4, 1, 2, dtype=L.float64)), ValueError),
    (lambda L: L.nn.LSTM(2, 3, batch_first=True)(L.zeros(1, 4, 2, dtype=L.float64)), ValueError),
    (lambda L: L.nn.RNN(2, 3).double()(L.zeros(4, 1, 2)), ValueError),
    (lambda L: L.nn.RNN(2, 3)(L.zeros(4, 1, 2), L.zeros(1, 1, 3, dtype=L.float64)),
     RuntimeError),
    (lambda L: L.nn.LSTM(2, 3)(L.zeros(4, 2), (L.zeros(1, 3), L.zeros(1, 3, dtype=L.float64))),
     RuntimeError),
    (lambda L: L.nn.GRUCell(2, 3)(L.zeros(4, 2, dtype=L.float64)), RuntimeError),
    (lambda L: L.nn.GRUCell(2, 3)(L.zeros(4, 2, dtype=L.long)), RuntimeError),
    (lambda L: L.nn.LSTMCell(2, 3)(L.zeros(4, 2), (L.zeros(4, 3, dtype=L.float64),
                                                   L.zeros(4, 3))), RuntimeError),
    (lambda L: L.nn.RNNCell(2, 3)(L.zeros(4, 2), L.zeros(4, 3, dtype=L.float64)), RuntimeError),
    (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(1, 2, 3, 4), L.ones(1, 2, 3, 4), L.ones(1, 2, 3, 4),
        attn_mask=L.ones(3, 3, dtype=L.long)), RuntimeError),
    (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(1, 2, 3, 4), L.ones(1, 2, 3, 4), L.ones(1, 2, 3, 4),
        attn_mask=L.ones(3, 3, dtype=L.float64)), RuntimeError),
])
def test_dtype_mismatch_errors_match_torch(call, error):
    for L in (tg, torch) if torch is not None else (tg,):
        with pytest.raises(error):
            call(L)


def test_rnn_packed_input_of_another_dtype():
    from tinygrad_np.nn.utils.rnn import pack_padded_sequence
    packed = pack_padded_sequence(tg.zeros(3, 2, 2, dtype=tg.float64), [3, 2])
    with pytest.raises(ValueError, match="does not match weight dtype"):
        nn.GRU(2, 3)(packed)
    assert nn.GRU(2, 3).double()(packed)[1].dtype == tg.float64


@needs_torch
@pytest.mark.parametrize("name", ["causal_lower_right", "causal_upper_left"])
@pytest.mark.parametrize("sizes", [(4, 2), (2, 4), (3, 3)])
def test_attention_bias_masks_in_sdpa_match_torch(name, sizes):
    import torch.nn.attention.bias as theirs

    import tinygrad_np.nn.attention.bias as ours
    rng = np.random.default_rng(sum(sizes))
    q, k, v = _r(1, 2, sizes[0], 8), rng.standard_normal((1, 2, sizes[1], 8)), \
        rng.standard_normal((1, 2, sizes[1], 8))
    results = []
    for L, module in ((tg, ours), (torch, theirs)):
        xs = [L.tensor(a, requires_grad=True) for a in (q, k, v)]
        if name == "causal_lower_right" and sizes[0] > sizes[1]:
            with pytest.warns(UserWarning, match="seq_len_q > seq_len_kv"):
                mask = getattr(module, name)(*sizes)
        else:
            mask = getattr(module, name)(*sizes)
        out = L.nn.functional.scaled_dot_product_attention(*xs, attn_mask=mask)
        (out * L.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        results.append([out.detach().numpy()] + [x.grad.numpy() for x in xs])
    for ours_, theirs_ in zip(*results):
        np.testing.assert_allclose(ours_, theirs_, rtol=1e-10, atol=1e-12)


def test_attention_bias_fixed_masks():
    import tinygrad_np.nn.attention as attention
    from tinygrad_np.nn.attention.bias import CausalBias, CausalVariant, causal_lower_right
    assert isinstance(attention.bias.causal_upper_left(2, 3), CausalBias)
    np.testing.assert_array_equal(causal_lower_right(2, 3)._materialize().numpy(),
                                  [[True, True, False], [True, True, True]])
    np.testing.assert_array_equal(attention.bias.causal_upper_left(3, 2)._materialize().numpy(),
                                  [[True, False], [True, True], [True, True]])
    assert causal_lower_right(2, 3).variant is CausalVariant.LOWER_RIGHT
    with pytest.raises(AssertionError):
        causal_lower_right(3)
    with pytest.raises(AssertionError):
        CausalBias(2, 3, 3)


def test_backends_cuda_flash_attention_unavailable():
    assert tg.backends.cuda.is_flash_attention_available() is False
    if torch is not None:
        assert torch.backends.cuda.is_flash_attention_available() is False


# -- G. MultiheadAttention shape errors: AssertionError, as PyTorch's -----------------------------

@pytest.mark.parametrize("call", [
    lambda L, m, x: m(x, x, x, key_padding_mask=L.zeros(2, 4, dtype=L.bool)),
    lambda L, m, x: m(x, x, x, key_padding_mask=L.zeros(2, dtype=L.bool)),
    lambda L, m, x: m(x, x, x, key_padding_mask=L.zeros(3, 2, 1, dtype=L.bool)),
    lambda L, m, x: m(x.unsqueeze(0), x.unsqueeze(0), x.unsqueeze(0)),
    lambda L, m, x: m(x, x[0], x),
    lambda L, m, x: m(x[:, 0], x[:, 0], x[:, 0], attn_mask=L.zeros(3, 3, 3, dtype=L.bool)),
])
def test_mha_shape_errors_are_assertion_errors(call):
    for L in (tg, torch) if torch is not None else (tg,):
        module = L.nn.MultiheadAttention(4, 2)
        with pytest.raises(AssertionError):
            call(L, module, L.zeros(3, 2, 4))


# -- G. backward hooks of modules returning nested tuples or lists: PyTorch's grad_output ---------

class _Nested(nn.Module):
    def __init__(self, kind: int) -> None:
        super().__init__()
        self.kind = kind

    def forward(self, x):
        if self.kind == 0:
            return x * 2, (x * 3, x * 4)
        if self.kind == 1:
            return x * 2, tg.ones(2)
        if self.kind == 2:
            return x * 2, 5
        return [x * 2, x * 3]


def _hook_shapes(module, x, use):
    seen = []
    shapes = lambda grads: [None if g is None else tuple(g.shape) for g in grads]  # noqa: E731
    module.register_full_backward_pre_hook(lambda m, go: seen.append(("pre", shapes(go))))
    module.register_full_backward_hook(lambda m, gi, go: seen.append(("full", shapes(gi),
                                                                      shapes(go))))
    use(module(x)).backward()
    return seen


@pytest.mark.parametrize("kind, use", [(0, lambda o: o[0].sum() + o[1][0].sum()),
                                       (1, lambda o: o[0].sum()), (2, lambda o: o[0].sum())])
def test_backward_hook_grad_output_has_none_for_non_tensor_items(kind, use):
    seen = _hook_shapes(_Nested(kind), tg.ones(2, requires_grad=True), use)
    assert seen == [("pre", [(2,), None]), ("full", [(2,)], [(2,), None])]


def test_backward_hooks_skip_a_list_output_with_a_warning():
    with pytest.warns(UserWarning, match="tuple of Tensors but received <class 'list'>"):
        seen = _hook_shapes(_Nested(3), tg.ones(2, requires_grad=True), lambda o: o[0].sum())
    assert seen == []


@pytest.mark.parametrize("use", [lambda o: o[0].sum(), lambda o: o[0].sum() + o[1][1].sum()])
def test_lstm_full_backward_hook_matches_torch(use):
    expected = [("pre", [(5, 2, 4), None]), ("full", [(5, 2, 3)], [(5, 2, 4), None])]
    assert _hook_shapes(nn.LSTM(3, 4), tg.ones(5, 2, 3, requires_grad=True), use) == expected
    if torch is not None:
        seen = []
        module = torch.nn.LSTM(3, 4)
        shapes = lambda grads: [None if g is None else tuple(g.shape) for g in grads]  # noqa: E731
        module.register_full_backward_pre_hook(lambda m, go: seen.append(("pre", shapes(go))))
        module.register_full_backward_hook(lambda m, gi, go: seen.append(("full", shapes(gi),
                                                                          shapes(go))))
        use(module(torch.ones(5, 2, 3, requires_grad=True))).backward()
        assert seen == expected


def test_backward_pre_hook_replacement_per_output_item():
    module = _Nested(0)
    module.register_full_backward_pre_hook(lambda m, go: (go[0] * 10, None))
    x = tg.ones(2, requires_grad=True)
    module(x)[0].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])


# -- H. pixel_shuffle dims, InstanceNorm num_features, SyncBatchNorm bias ------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda L: L.nn.functional.pixel_shuffle(L.ones(8, 3), 2), RuntimeError,
     "expects input to have at least 3 dimensions"),
    (lambda L: L.nn.functional.pixel_unshuffle(L.ones(8, 4), 2), RuntimeError,
     "expects input to have at least 3 dimensions"),
    (lambda L: L.nn.InstanceNorm2d(4, affine=True)(L.ones(2, 6, 3, 3)), ValueError,
     r"expected input's size at dim=1 to match num_features \(4\)"),
    (lambda L: L.nn.InstanceNorm1d(4, affine=True)(L.ones(6, 3)), ValueError,
     r"expected input's size at dim=0 to match num_features \(4\)"),
    (lambda L: L.nn.functional.avg_pool3d(L.ones(1, 1, 2, 2, 2), 3), RuntimeError, "smaller"),
])
def test_shape_errors_match_torch(call, error, message):
    for L in (tg, torch) if torch is not None else (tg,):
        with pytest.raises(error, match=message):
            call(L)


def test_instance_norm_without_affine_warns_on_other_channels():
    for L in (tg, torch) if torch is not None else (tg,):
        with pytest.warns(UserWarning, match="does not match num_features"):
            out = L.nn.InstanceNorm2d(4)(L.ones(2, 6, 3, 3))
        assert tuple(out.shape) == (2, 6, 3, 3)


def test_sync_batch_norm_bias_keyword():
    layer = nn.SyncBatchNorm(4, bias=False)
    assert layer.bias is None and list(layer.state_dict()) == [
        "weight", "running_mean", "running_var", "num_batches_tracked"]
    if torch is not None:
        assert list(torch.nn.SyncBatchNorm(4, bias=False).state_dict()) == list(
            layer.state_dict())
