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

# PyTorch warns (as tinygrad_np now does) when the layer rules the nested-tensor path out
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


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


# ----------------------------------------------------------------- 2. MultiheadAttention
def _attention_pair(**options):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(6, 2, dtype=torch.float64, **options)
    mine = tg.nn.MultiheadAttention(6, 2, dtype=tg.float64, **options)
    _copy_state(theirs, mine)
    return mine, theirs


@needs_torch
@pytest.mark.parametrize("bias_kv", [False, True])
@pytest.mark.parametrize("zero_attn", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "3d"])
def test_multihead_attention_bias_kv_and_zero_attn_match_pytorch(bias_kv, zero_attn,
                                                                 need_weights, masks):
    mine, theirs = _attention_pair(add_bias_kv=bias_kv, add_zero_attn=zero_attn)
    if bias_kv:
        assert tuple(mine.bias_k.shape) == (1, 1, 6) and tuple(mine.bias_v.shape) == (1, 1, 6)
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(shape) for shape in ((3, 2, 6), (4, 2, 6), (4, 2, 6)))
    attn = {"none": None, "bool": np.triu(np.ones((3, 4), dtype=bool), 2),
            "float": rng.standard_normal((3, 4)), "3d": rng.standard_normal((4, 3, 4))}[masks]
    padding = None if masks == "none" else np.array([[0, 0, 0, 1], [0, 1, 0, 0]], dtype=bool)
    if masks in ("float", "3d"):  # (the same kind as attn_mask: PyTorch warns otherwise)
        padding = np.where(padding, -np.inf, 0.0)
    results = []
    for lib, module in ((tg, mine), (torch, theirs)):
        inputs = [lib.tensor(array, requires_grad=True) for array in (q, k, v)]
        masks_given = [None if m is None else lib.tensor(m) for m in (attn, padding)]
        output, weights = module(*inputs, key_padding_mask=masks_given[1],
                                 need_weights=need_weights, attn_mask=masks_given[0])
        loss = (output * lib.tensor(np.linspace(-1, 1, output.numel()).reshape(
            output.shape))).sum() + (0 if weights is None else (weights ** 2).sum())
        loss.backward()
        grads = [_np(t.grad) for t in inputs]
        grads += [_np(dict(module.named_parameters())[name].grad)
                  for name in ("in_proj_weight", "bias_k", "bias_v") if
                  getattr(module, name) is not None]
        results.append((_np(output), None if weights is None else _np(weights), grads))
    (out, weights, grads), (out_t, weights_t, grads_t) = results
    np.testing.assert_allclose(out, out_t, rtol=1e-10, atol=1e-12)
    if need_weights:
        assert weights.shape == (2, 3, 4 + bias_kv + zero_attn)
        np.testing.assert_allclose(weights, weights_t, rtol=1e-10, atol=1e-12)
    for g, g_t in zip(grads, grads_t):
        np.testing.assert_allclose(g, g_t, rtol=1e-9, atol=1e-12)


@needs_torch
def test_multihead_attention_bias_kv_batch_first_and_unbatched():
    mine, theirs = _attention_pair(add_bias_kv=True, add_zero_attn=True)
    x = np.random.default_rng(2).standard_normal((3, 6))
    out, weights = mine(tg.tensor(x), tg.tensor(x), tg.tensor(x))
    out_t, weights_t = theirs(*(torch.tensor(x),) * 3)
    np.testing.assert_allclose(_np(out), _np(out_t), rtol=1e-10)
    np.testing.assert_allclose(_np(weights), _np(weights_t), rtol=1e-10)
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(6, 3, add_bias_kv=True, batch_first=True,
                                         dtype=torch.float64)
    mine = tg.nn.MultiheadAttention(6, 3, add_bias_kv=True, batch_first=True, dtype=tg.float64)
    _copy_state(theirs, mine)
    x = np.random.default_rng(3).standard_normal((2, 5, 6))
    np.testing.assert_allclose(_np(mine(*(tg.tensor(x),) * 3)[0]),
                               _np(theirs(*(torch.tensor(x),) * 3)[0]), rtol=1e-10)


def test_multihead_attention_zero_attn_fixed_values():
    """With zero query/key projections every score is 0: add_zero_attn's zero value gets a
    share 1 / (S + 1) of the average of the values, and add_bias_kv's bias_v one more."""
    attention = tg.nn.MultiheadAttention(2, 1, bias=False, add_bias_kv=True, add_zero_attn=True)
    with tg.no_grad():
        attention.in_proj_weight.copy_(tg.tensor(np.vstack([np.zeros((4, 2)), np.eye(2)])))
        attention.out_proj.weight.copy_(tg.tensor(np.eye(2)))
        attention.bias_k.fill_(0.0)
        attention.bias_v.copy_(tg.tensor(np.array([[[3.0, 6.0]]])))
    values = np.array([[[1.0, 2.0]], [[3.0, 4.0]]])  # (S=2, N=1, E=2)
    output, weights = attention(tg.tensor(values[:1]), tg.tensor(values), tg.tensor(values))
    np.testing.assert_allclose(weights.numpy(), [[[0.25] * 4]])
    np.testing.assert_allclose(output.numpy(), [[[7 / 4, 3.0]]], rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("case", ["none", "padding", "attn2d", "both", "both_bool", "attn3d"])
def test_multihead_attention_merge_masks(case):
    rng = np.random.default_rng(4)
    query = rng.standard_normal((2, 3, 4)).astype(np.float32)
    attn = {"attn2d": rng.standard_normal((3, 3)), "both": rng.standard_normal((3, 3)),
            "both_bool": rng.random((3, 3)) > 0.5,
            "attn3d": rng.standard_normal((4, 3, 3))}.get(case)
    padding = {"padding": rng.random((2, 3)) > 0.5, "both": rng.standard_normal((2, 3)),
               "both_bool": rng.random((2, 3)) > 0.5}.get(case)
    results = []
    for lib in (tg, torch):
        module = lib.nn.MultiheadAttention(4, 2)
        mask, kind = module.merge_masks(None if attn is None else lib.tensor(attn),
                                        None if padding is None else lib.tensor(padding),
                                        lib.tensor(query))
        results.append((None if mask is None else _np(mask), kind))
    (mask, kind), (mask_t, kind_t) = results
    assert kind == kind_t
    if mask_t is None:
        assert mask is None
    else:
        assert mask.dtype == mask_t.dtype and mask.shape == mask_t.shape
        np.testing.assert_allclose(mask, mask_t, rtol=1e-12)


# ----------------------------------------------------------------- 3. embeddings
def test_embedding_scale_grad_by_freq_fixed_values():
    layer = tg.nn.Embedding(4, 2, scale_grad_by_freq=True, padding_idx=3)
    assert "scale_grad_by_freq=True" in repr(layer)
    ids = np.array([[0, 2, 0], [0, 3, 3]])
    layer(ids).sum().backward()
    # index 0 three times: 3 * 1/3; index 2 once: 1; index 3 is the padding row: 0
    np.testing.assert_allclose(layer.weight.grad.numpy(), [[1, 1], [0, 0], [1, 1], [0, 0]])


@needs_torch
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_scale_grad_by_freq_matches_pytorch(padding_idx):
    table = np.random.default_rng(5).standard_normal((5, 3))
    ids = np.array([[1, 2, 2, 4], [2, 1, 0, 2]])
    upstream = np.random.default_rng(6).standard_normal((2, 4, 3))
    grads = []
    for lib, F in ((tg, tg.nn.functional), (torch, torch.nn.functional)):
        weight = lib.tensor(table, requires_grad=True)
        out = F.embedding(lib.tensor(ids), weight, padding_idx, scale_grad_by_freq=True)
        (out * lib.tensor(upstream)).sum().backward()
        grads.append(_np(weight.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_bag_max_norm_and_scale_grad_match_pytorch(mode, norm_type):
    table = np.random.default_rng(7).standard_normal((6, 3)) * 2
    # every id twice: PyTorch 2.13's CPU embedding_bag divides by a wrong count when the
    # counts differ (pytorch/pytorch#190063); see the fixed values below for that case
    ids = np.array([1, 2, 2, 4, 4, 1])
    offsets = np.array([0, 3, 5])
    results = []
    for lib in (tg, torch):
        bag = lib.nn.EmbeddingBag(6, 3, max_norm=1.5, norm_type=norm_type,
                                  scale_grad_by_freq=mode != "max", mode=mode,
                                  dtype=lib.float64)
        with lib.no_grad():
            bag.weight.copy_(lib.tensor(table))
        out = bag(lib.tensor(ids), lib.tensor(offsets))
        (out * lib.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape))
         ).sum().backward()
        results.append((_np(out), _np(bag.weight), _np(bag.weight.grad), repr(bag)))
    for mine, theirs in zip(*results):
        if isinstance(mine, str):
            assert mine == theirs
        else:
            np.testing.assert_allclose(mine, theirs, rtol=1e-7, atol=1e-12)


def test_embedding_bag_max_norm_renormalises_in_place():
    weight = tg.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    out = tg.nn.functional.embedding_bag(tg.tensor([0, 1]), weight, tg.tensor([0]),
                                         max_norm=1.0, mode="sum")
    np.testing.assert_allclose(weight.numpy()[:2], [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(weight.numpy()[2], [6.0, 8.0])  # not looked up: left
    np.testing.assert_allclose(out.numpy(), [[0.9, 1.2]], rtol=1e-6)
    sparse = tg.nn.EmbeddingBag(3, 2, mode="sum", sparse=True)  # a dense gradient
    sparse(tg.tensor([[0, 2]])).sum().backward()
    np.testing.assert_array_equal(sparse.weight.grad.numpy(), [[1, 1], [0, 0], [1, 1]])


def test_embedding_bag_scale_grad_by_freq_fixed_values():
    """Each row's gradient divided by its id's count in the input (the documented rule, as
    F.embedding and PyTorch's CUDA; its 2.13 CPU kernel gives [0, 1, 0, 0.5] here)."""
    weight = tg.ones(4, 3, requires_grad=True)
    tg.nn.functional.embedding_bag(tg.tensor([1, 1, 3]), weight, tg.tensor([0]), mode="sum",
                                   scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(weight.grad.numpy()[:, 0], [0.0, 1.0, 0.0, 1.0])


# ----------------------------------------------------------------- 4. LP pooling
def test_lp_pool_inf_is_max_of_abs_fixed_values():
    x = tg.tensor([[[1.0, -3.0, 2.0, 0.5, -0.25, 4.0]]])
    np.testing.assert_array_equal(tg.nn.functional.lp_pool1d(x, math.inf, 2).numpy(),
                                  [[[3.0, 2.0, 4.0]]])
    np.testing.assert_array_equal(tg.nn.functional.lp_pool1d(x, -math.inf, 3).numpy(),
                                  [[[1.0, 0.25]]])
    np.testing.assert_array_equal(tg.nn.LPPool2d(float("inf"), 2)(x.reshape(1, 1, 2, 3)
                                                                  ).numpy(), [[[[3.0]]]])


@needs_torch
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("norm_type", [math.inf, -math.inf, 1, 2, 3, 1.5, 0.5])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_lp_pool_norm_types_match_pytorch(dims, norm_type, ceil_mode):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 2) + (5,) * dims)
    if norm_type not in (1, 2, 3, math.inf, -math.inf):
        x = np.abs(x) + 0.1  # (a fractional power of a negative number is NaN in both)
    results = []
    for lib in (tg, torch):
        xt = lib.tensor(x, requires_grad=True)
        layer = getattr(lib.nn, f"LPPool{dims}d")(norm_type, 2, stride=2, ceil_mode=ceil_mode)
        out = layer(xt)
        functional = getattr(lib.nn.functional, f"lp_pool{dims}d")(
            xt, norm_type, 2, 2, ceil_mode)
        (out * lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape))
         ).sum().backward()
        results.append((_np(out), _np(functional), _np(xt.grad)))
    for mine, theirs in zip(*results):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------- 5. activations on integers
def test_hardtanh_and_relu6_keep_integer_dtypes_fixed_values():
    F = tg.nn.functional
    x = tg.tensor([-3, -1, 0, 2, 5, 7])
    for result in (F.hardtanh(x), tg.nn.Hardtanh()(x)):
        assert result.dtype == tg.int64 and result.tolist() == [-1, -1, 0, 1, 1, 1]
    for result in (F.relu6(x.int()), tg.nn.ReLU6()(x.int())):
        assert result.dtype == tg.int32 and result.tolist() == [0, 0, 0, 2, 5, 6]
    assert F.hardtanh(x, -1.5, 2.7).tolist() == [-1, -1, 0, 2, 2, 2]  # limits truncated
    F.hardtanh(x, inplace=True)
    assert x.dtype == tg.int64 and x.tolist() == [-1, -1, 0, 1, 1, 1]
    with pytest.raises(RuntimeError, match="Bool inputs not supported for hardtanh"):
        F.relu6(tg.tensor([True]))
    with pytest.raises(RuntimeError, match="unsigned type with negative limits"):
        F.hardtanh(tg.tensor([3], dtype=tg.uint8))
    assert F.relu6(tg.tensor([3, 250], dtype=tg.uint8)).tolist() == [3, 6]


ACTIVATIONS = {
    "relu": (), "relu6": (), "hardtanh": (), "elu": (), "selu": (), "celu": (),
    "leaky_relu": (), "gelu": (), "silu": (), "mish": (), "sigmoid": (), "tanh": (),
    "hardsigmoid": (), "hardswish": (), "softplus": (), "softsign": (), "logsigmoid": (),
    "softshrink": (), "hardshrink": (), "threshold": (1, 20), "glu": (), "rrelu": (),
    "prelu": "weight",
}


def _activation_outcome(lib, name, args, dtype):
    x = lib.tensor(np.array([[-3, -1, 0, 2, 5, 7]]).astype(dtype))
    if args == "weight":
        args = (lib.tensor([0.25]),)
    try:
        result = getattr(lib.nn.functional, name)(x, *args)
    except NotImplementedError:
        return "NotImplementedError"
    except RuntimeError:
        return "RuntimeError"
    return str(result.dtype).replace("torch.", ""), np.asarray(result.numpy()).tolist()


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_activations_on_integers_as_pytorch(name, dtype):
    mine = _activation_outcome(tg, name, ACTIVATIONS[name], dtype)
    if name in ("elu", "gelu", "softplus", "glu", "hardshrink") and dtype != "bool":
        assert mine == "NotImplementedError"  # (PyTorch: "elu_cpu" not implemented for 'Long')
    if torch is None:
        return
    theirs = _activation_outcome(torch, name, ACTIVATIONS[name], dtype)
    if isinstance(theirs, tuple) and isinstance(mine, tuple):
        assert mine[0] == theirs[0]
        np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-6)
    else:
        assert mine == theirs


def test_hardtanh_deprecated_limit_names():
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        layer = tg.nn.Hardtanh(min_value=-2.0)
    with pytest.warns(FutureWarning, match="`max_value` is deprecated"):
        other = tg.nn.Hardtanh(max_value=3.0)
    assert (layer.min_val, layer.max_val, other.min_val, other.max_val) == (-2, 1, -1, 3)
    assert repr(layer) == "Hardtanh(min_val=-2.0, max_val=1.0)"
    with pytest.raises(AssertionError):
        tg.nn.Hardtanh(2.0, 1.0)


# ----------------------------------------------------------------- 6. Module API and hooks
def _module_api_run(lib):
    model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
    log = []
    handles = [
        lib.nn.modules.module.register_module_forward_pre_hook(
            lambda m, args: log.append(("pre", type(m).__name__))),
        lib.nn.modules.module.register_module_forward_hook(
            lambda m, args, out: log.append(("post", type(m).__name__))),
        lib.nn.modules.module.register_module_full_backward_hook(
            lambda m, gi, go: log.append(("backward", type(m).__name__))),
        lib.nn.modules.module.register_module_full_backward_pre_hook(
            lambda m, go: log.append(("backward_pre", type(m).__name__))),
    ]
    own = model[0].register_forward_hook(lambda m, args, out: log.append(("own", "Linear")))
    try:
        model(lib.ones(1, 2, requires_grad=True)).sum().backward()
    finally:
        for handle in handles:
            handle.remove()
    own.remove()
    model(lib.ones(1, 2))  # removed: no more calls
    return log


def test_global_module_hooks_as_pytorch():
    log = _module_api_run(tg)
    assert log[:6] == [("pre", "Sequential"), ("pre", "Linear"), ("post", "Linear"),
                       ("own", "Linear"), ("pre", "ReLU"), ("post", "ReLU")]
    assert ("backward", "Linear") in log and ("backward_pre", "Sequential") in log
    if torch is not None:
        assert log == _module_api_run(torch)


def _registration_run(lib):
    log = []
    module_file = lib.nn.modules.module
    handles = [
        module_file.register_module_parameter_registration_hook(
            lambda m, name, p: log.append(("parameter", name, tuple(p.shape)))),
        module_file.register_module_buffer_registration_hook(
            lambda m, name, b: log.append(("buffer", name, tuple(b.shape)))),
        module_file.register_module_module_registration_hook(
            lambda m, name, sub: log.append(("module", name, type(sub).__name__))),
    ]
    try:
        layer = lib.nn.BatchNorm1d(2)
        layer.add_module("extra", lib.nn.Identity())
        layer.register_parameter("scale", lib.nn.Parameter(lib.ones(4)))
        layer.register_buffer("count", lib.zeros(1))
    finally:
        for handle in handles:
            handle.remove()
    lib.nn.Linear(2, 2)
    return log


def test_global_registration_hooks_as_pytorch():
    log = _registration_run(tg)
    assert log == [("parameter", "weight", (2,)), ("parameter", "bias", (2,)),
                   ("buffer", "running_mean", (2,)), ("buffer", "running_var", (2,)),
                   ("buffer", "num_batches_tracked", ()), ("module", "extra", "Identity"),
                   ("parameter", "scale", (4,)), ("buffer", "count", (1,))]
    if torch is not None:
        assert log == _registration_run(torch)


def test_registration_hook_replaces_the_value():
    replacement = tg.nn.Parameter(tg.zeros(3))
    handle = tg.nn.modules.module.register_module_parameter_registration_hook(
        lambda m, name, p: replacement if name == "weight" else None)
    try:
        layer = tg.nn.PReLU(3)
    finally:
        handle.remove()
    assert layer.weight is replacement


def test_module_compile_apply_named_members_call_impl():
    layer = tg.nn.Linear(2, 3)
    assert layer.compile(mode="max-autotune") is None
    assert tg.nn.Module.call_super_init is False
    x = tg.ones(1, 2)
    np.testing.assert_array_equal(layer._call_impl(x).numpy(), layer(x).numpy())
    weight = layer.weight
    optimizer = tg.optim.SGD(layer.parameters(), lr=1.0)
    assert layer._apply(lambda t: t.double()) is layer
    assert layer.weight is weight and weight.dtype == tg.float64 and weight.requires_grad
    layer(x.double()).sum().backward()
    optimizer.step()
    assert weight.dtype == tg.float64
    model = tg.nn.Sequential(layer, tg.nn.BatchNorm1d(3))
    names = [name for name, _ in model._named_members(lambda m: m._parameters.items())]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias"]
    names = [name for name, _ in model._named_members(lambda m: m._buffers.items(),
                                                       prefix="m")]
    assert names == ["m.1.running_mean", "m.1.running_var", "m.1.num_batches_tracked"]
    if torch is not None:
        theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
        assert [n for n, _ in theirs._named_members(lambda m: m._buffers.items(),
                                                    prefix="m")] == names
        assert callable(theirs.compile) and torch.nn.Module.call_super_init is False


# ----------------------------------------------------------------- 7. backward hooks
def _unused_output_run(lib):
    class Two(lib.nn.Module):
        def forward(self, a, b):
            return a * 2, b * 3

    module, log = Two(), []
    module.register_full_backward_hook(
        lambda m, gi, go: log.append(([g is None for g in go],
                                      [None if g is None else g.tolist() for g in gi])))
    module.register_full_backward_pre_hook(lambda m, go: log.append("pre"))
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
    first, _ = module(a, b)
    first.sum().backward()
    return log, a.grad.tolist(), None if b.grad is None else b.grad.tolist()


def test_full_backward_hook_with_an_unused_output():
    result = _unused_output_run(tg)
    assert result == (["pre", ([False, True], [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])],
                      [2.0, 2.0, 2.0], [0.0, 0.0, 0.0])
    if torch is not None:
        assert result == _unused_output_run(torch)


def _dict_output_run(lib):
    class Named(lib.nn.Module):
        def forward(self, a):
            return {"x": a * 2}

    module, log = Named(), []
    module.register_full_backward_hook(lambda m, gi, go: log.append("full"))
    a = lib.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="For backward hooks to be called"):
        output = module(a)
    output["x"].sum().backward()
    return log, a.grad.tolist()


def test_full_backward_hook_on_a_dict_output_does_not_run():
    assert _dict_output_run(tg) == ([], [2.0, 2.0])
    if torch is not None:
        assert _dict_output_run(torch) == ([], [2.0, 2.0])


# ----------------------------------------------------------------- 9. names with dots
@pytest.mark.parametrize("name", ["a.b", ""])
def test_registering_names_with_dots_or_empty_raises_key_error(name):
    for lib in [tg] + ([torch] if torch is not None else []):
        module = lib.nn.Module()
        with pytest.raises(KeyError):
            module.register_parameter(name, lib.nn.Parameter(lib.ones(1)))
        with pytest.raises(KeyError):
            module.register_buffer(name, lib.ones(1))
        with pytest.raises(KeyError):
            module.add_module(name, lib.nn.Identity())


# ----------------------------------------------------------------- 8. attributes and kwargs
def test_container_keywords_fromkeys_popitem():
    for lib in [tg] + ([torch] if torch is not None else []):
        modules = lib.nn.ModuleDict(modules={"act": lib.nn.ReLU()})
        assert list(modules.keys()) == ["act"]
        parameters = lib.nn.ParameterDict(parameters={"a": lib.ones(1), "b": lib.zeros(2)})
        key, value = parameters.popitem()
        assert key == "b" and isinstance(value, lib.nn.Parameter) and list(parameters) == ["a"]
        made = parameters.fromkeys(["x", "y"], lib.ones(2))
        assert isinstance(made, lib.nn.ParameterDict) and list(made) == ["x", "y"]
        assert isinstance(made["x"], lib.nn.Parameter) and made["x"] is not made["y"]
        with pytest.raises(KeyError):
            lib.nn.ParameterDict().popitem()


def test_layer_attributes_as_pytorch():
    for lib in [tg] + ([torch] if torch is not None else []):
        assert lib.nn.Conv1d(1, 1, 1).output_padding == (0,)
        assert lib.nn.Conv3d(1, 1, 1).output_padding == (0, 0, 0)
        assert lib.nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=1).output_padding \
            == (1, 1)
        assert lib.nn.PReLU(init=0.1).init == 0.1
        assert lib.nn.Upsample(scale_factor=2).name == "Upsample"
        layer = lib.nn.TransformerEncoderLayer(4, 2, batch_first=True)
        assert layer.activation is lib.nn.functional.relu and layer.activation_relu_or_gelu == 1
        assert lib.nn.TransformerEncoderLayer(4, 2, activation="gelu").activation_relu_or_gelu \
            == 2
        assert lib.nn.TransformerEncoderLayer(
            4, 2, activation=lib.nn.functional.tanh).activation_relu_or_gelu == 0
        assert lib.nn.TransformerDecoderLayer(4, 2).activation is lib.nn.functional.relu


def _rnn_checks(lib):
    lstm = lib.nn.LSTM(3, 4, num_layers=2, proj_size=2)
    x = lib.zeros(5, 6, 3)
    outcomes = [lstm.get_expected_hidden_size(x, None)]
    lstm.check_forward_args(x, (lib.zeros(2, 6, 2), lib.zeros(2, 6, 4)), None)
    for bad in ((lib.zeros(2, 6, 4), lib.zeros(2, 6, 4)), (lib.zeros(2, 6, 2),
                                                          lib.zeros(2, 6, 2))):
        with pytest.raises(RuntimeError) as error:
            lstm.check_forward_args(x, bad, None)
        outcomes.append(str(error.value))
    gru = lib.nn.GRU(3, 4, batch_first=True, bidirectional=True)
    outcomes.append(gru.get_expected_hidden_size(x, None))
    with pytest.raises(RuntimeError):
        gru.check_input(lib.zeros(5, 6, 2), None)
    with pytest.raises(RuntimeError):
        gru.check_input(lib.zeros(5, 3), None)
    gru.check_input(lib.zeros(5, 3), lib.tensor([3, 2]))
    hidden = lib.arange(6.0).reshape(1, 3, 2)
    permuted = gru.permute_hidden(hidden, lib.tensor([2, 0, 1]))
    outcomes.append(permuted.tolist())
    assert gru.permute_hidden(hidden, None) is hidden
    return outcomes


def test_rnn_check_methods():
    outcomes = _rnn_checks(tg)
    assert outcomes[0] == (2, 6, 2) and outcomes[3] == (2, 5, 4)
    assert outcomes[1] == "Expected hidden[0] size (2, 6, 2), got [2, 6, 4]"
    assert outcomes[4] == [[[4.0, 5.0], [0.0, 1.0], [2.0, 3.0]]]
    if torch is not None:
        assert outcomes == _rnn_checks(torch)


# ----------------------------------------------------------------- 10. PackedSequence
@pytest.mark.parametrize("method, dtype", [("double", "float64"), ("float", "float32"),
                                           ("half", "float16"), ("long", "int64"),
                                           ("int", "int32"), ("short", "int16"),
                                           ("char", "int8"), ("byte", "uint8")])
def test_packed_sequence_conversions(method, dtype):
    for lib in [tg] + ([torch] if torch is not None else []):
        packed = lib.nn.utils.rnn.pack_sequence([lib.ones(3, 2), lib.ones(2, 2)])
        converted = getattr(packed, method)()
        assert type(converted).__name__ == "PackedSequence"
        assert str(converted.data.dtype).replace("torch.", "") == dtype
        assert converted.batch_sizes.tolist() == [2, 2, 1]
        assert packed.is_pinned() is False


def test_packed_sequence_pin_memory_is_itself():
    packed = tg.nn.utils.rnn.pack_sequence([tg.ones(3, 2), tg.ones(2, 2)])
    assert packed.pin_memory() is packed


# ----------------------------------------------------------------- 11. optimizers
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_refuses_a_tensor_lr_with_foreach(name):
    for lib in [tg] + ([torch] if torch is not None else []):
        parameters = [lib.nn.Parameter(lib.ones(2))]
        optimizer_class = getattr(lib.optim, name)
        with pytest.raises(ValueError, match="lr as a Tensor is not supported"):
            optimizer_class(parameters, lr=lib.tensor(0.1), foreach=True)
        optimizer_class(parameters, lr=lib.tensor(0.1), foreach=False)
        optimizer_class(parameters, lr=lib.tensor(0.1), foreach=True, capturable=True)
