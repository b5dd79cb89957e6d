"""Attention and the layers around it (MultiheadAttention, TransformerEncoderLayer,
TransformerEncoder, RMSNorm, Bilinear, EmbeddingBag, F.scaled_dot_product_attention):
outputs and the gradients of every input and parameter against PyTorch with its state dict
loaded (float64), over masks, batch_first, bias, kdim/vdim, train and eval; then
initialisation, gradcheck and errors without PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

L, S, N, E, H = 5, 4, 3, 8, 2

# PyTorch warns (as tinygrad_np now does) when the layer rules the nested-tensor path out
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def _pair(name, *args, train=True, **kwargs):
    """PyTorch's module (float64, its own initialisation) and ours holding its state dict."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs)
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    for key, value in ours.state_dict().items():
        assert value.shape == state[key].shape, key
    ours.double().load_state_dict(state)
    theirs.train(train)
    ours.train(train)
    return torch, theirs, ours


def _check(torch, theirs, ours, arrays, call, rtol=1e-9, atol=1e-11):
    """call(module, leaves) on both sides: equal outputs (None where PyTorch has None), then
    equal gradients of every float input and every parameter under random upstream grads."""
    leaves = [Tensor(a, requires_grad=True) if a.dtype.kind == "f" else a for a in arrays]
    torch_leaves = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    mine, reference = call(ours, leaves), call(theirs, torch_leaves)
    mine = list(mine) if isinstance(mine, tuple) else [mine]
    reference = list(reference) if isinstance(reference, tuple) else [reference]
    assert [m is None for m in mine] == [r is None for r in reference]
    pairs = [(m, r) for m, r in zip(mine, reference) if r is not None]
    rng = np.random.default_rng(9)
    upstream = [rng.standard_normal(r.shape) for _, r in pairs]
    for m, r in pairs:
        assert m.shape == tuple(r.shape)
        np.testing.assert_allclose(m._data, r.detach().numpy(), rtol=rtol, atol=atol)
    sum((m * u).sum() for (m, _), u in zip(pairs, upstream)).backward()
    sum((r * torch.tensor(u)).sum() for (_, r), u in zip(pairs, upstream)).backward()
    for position, (leaf, torch_leaf) in enumerate(zip(leaves, torch_leaves)):
        if isinstance(leaf, Tensor):
            np.testing.assert_allclose(leaf.grad._data, torch_leaf.grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"gradient of input {position}")
    torch_parameters = dict(theirs.named_parameters())
    assert sorted(torch_parameters) == sorted(dict(ours.named_parameters()))
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad._data, torch_parameters[name].grad.numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)


def _masks(kind, batch_first=False, heads=H, target=L, source=S):
    """(attn_mask, key_padding_mask) as NumPy arrays (or None)."""
    rng = np.random.default_rng(4)
    causal = np.triu(np.ones((target, source), dtype=bool), 1)
    padding = np.zeros((N, source), dtype=bool)
    padding[0, -1] = padding[2, -2:] = True
    return {
        "none": (None, None),
        "causal_bool": (causal, None),
        "causal_float": (np.where(causal, -np.inf, 0.0), None),
        "float": (rng.standard_normal((target, source)), None),
        "padding": (None, padding),
        "padding_float": (None, np.where(padding, -np.inf, 0.0)),
        "causal_and_padding": (causal, padding),
        "per_head": (rng.standard_normal((N * heads, target, source)),
                     np.where(padding, -np.inf, 0.0)),
    }[kind]


def _sequences(batch_first, *shapes):
    rng = np.random.default_rng(1)
    out = []
    for length, features in shapes:
        shape = (N, length, features) if batch_first else (length, N, features)
        out.append(rng.standard_normal(shape))
    return out


# ----------------------------------------------------------------- MultiheadAttention
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal_bool", "causal_float", "float", "padding",
                                   "padding_float", "causal_and_padding", "per_head"])
def test_self_attention_matches_pytorch(batch_first, masks):
    torch, theirs, ours = _pair("MultiheadAttention", E, H, batch_first=batch_first)
    attn_mask, padding = _masks(masks, target=L, source=L)
    (x,) = _sequences(batch_first, (L, E))

    def call(module, leaves):
        lib = tg if module is ours else torch
        wrap = (lambda a: a) if module is ours else (lambda a: None if a is None
                                                     else lib.tensor(a))
        return module(leaves[0], leaves[0], leaves[0], attn_mask=wrap(attn_mask),
                      key_padding_mask=wrap(padding))
    _check(torch, theirs, ours, [x], call)


@pytest.mark.parametrize("options", [
    {"bias": False},
    {"kdim": 6, "vdim": 3},
    {"kdim": 6, "vdim": 3, "bias": False, "batch_first": True},
    {"dropout": 0.0, "batch_first": True},
])
@pytest.mark.parametrize("call_options", [
    {},
    {"need_weights": False},
    {"average_attn_weights": False},
])
@pytest.mark.parametrize("train", [True, False])
def test_cross_attention_options_match_pytorch(options, call_options, train):
    torch, theirs, ours = _pair("MultiheadAttention", E, H, train=train, **options)
    kdim, vdim = options.get("kdim", E), options.get("vdim", E)
    arrays = _sequences(options.get("batch_first", False), (L, E), (S, kdim), (S, vdim))
    _, padding = _masks("padding")
    arrays.append(padding)
    _check(torch, theirs, ours, arrays,
           lambda m, a: m(a[0], a[1], a[2], key_padding_mask=a[3], **call_options))


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_padding", [True, False])
def test_is_causal_hint_matches_pytorch(need_weights, with_padding):
    """With need_weights=False and no key padding PyTorch replaces the mask by the causal
    one: a non-causal mask shows whether that is imitated."""
    torch, theirs, ours = _pair("MultiheadAttention", E, H, batch_first=True)
    (x,) = _sequences(True, (L, E))
    mask = np.random.default_rng(2).standard_normal((L, L))
    padding = _masks("padding_float", target=L, source=L)[1] if with_padding else None

    def call(module, leaves):
        wrap = (lambda a: a) if module is ours else (lambda a: None if a is None
                                                     else torch.tensor(a))
        return module(leaves[0], leaves[0], leaves[0], attn_mask=wrap(mask), is_causal=True,
                      key_padding_mask=wrap(padding), need_weights=need_weights)
    _check(torch, theirs, ours, [x], call)


@pytest.mark.parametrize("average", [True, False])
def test_unbatched_attention_matches_pytorch(average):
    torch, theirs, ours = _pair("MultiheadAttention", E, H, kdim=5, vdim=5)
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((L, E)), rng.standard_normal((S, 5)),
              rng.standard_normal((S, 5)), np.array([0.0, 0.0, -np.inf, 0.0]),
              rng.standard_normal((H, L, S))]
    _check(torch, theirs, ours, arrays,
           lambda m, a: m(a[0], a[1], a[2], key_padding_mask=a[3], attn_mask=a[4],
                          average_attn_weights=average))


# ----------------------------------------------------------------- encoder
ENCODER_CONFIGS = [
    {},
    {"batch_first": True, "norm_first": True},
    {"activation": "gelu", "bias": False},
    {"activation": "gelu", "batch_first": True, "layer_norm_eps": 1e-3},
]


@pytest.mark.parametrize("config", ENCODER_CONFIGS)
@pytest.mark.parametrize("masks", ["none", "causal_float", "causal_and_padding"])
@pytest.mark.parametrize("train", [True, False])
def test_encoder_layer_matches_pytorch(config, masks, train):
    # dropout 0 in training; PyTorch's default 0.1 in eval (dropout off)
    dropout = 0.0 if train else 0.1
    torch, theirs, ours = _pair("TransformerEncoderLayer", E, H, dim_feedforward=16,
                                dropout=dropout, train=train, **config)
    (x,) = _sequences(config.get("batch_first", False), (L, E))
    attn_mask, padding = _masks(masks, target=L, source=L)
    arrays = [x] + [a for a in (attn_mask, padding) if a is not None]

    def call(module, leaves):
        mask = leaves[1] if attn_mask is not None else None
        pad = leaves[-1] if padding is not None else None
        return module(leaves[0], src_mask=mask, src_key_padding_mask=pad)
    _check(torch, theirs, ours, arrays, call)


def test_encoder_layer_with_a_callable_activation_matches_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(E, H, 16, 0.0, torch.nn.functional.silu).double()
    ours = nn.TransformerEncoderLayer(E, H, 16, 0.0, F.silu).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    (x,) = _sequences(False, (L, E))
    _check(torch, theirs, ours, [x], lambda m, a: m(a[0]))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("is_causal", [None, True])
def test_encoder_stack_matches_pytorch(batch_first, is_causal):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(E, H, 16, 0.0, batch_first=batch_first)
    theirs = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(E),
                                         enable_nested_tensor=False).double()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, 16, 0.0,
                                                            batch_first=batch_first),
                                 2, norm=nn.LayerNorm(E)).double()
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)
    (x,) = _sequences(batch_first, (L, E))
    mask = nn.Transformer.generate_square_subsequent_mask(L).numpy().astype(np.float64)
    _, padding = _masks("padding_float", target=L, source=L)
    _check(torch, theirs, ours, [x, mask, padding],
           lambda m, a: m(a[0], mask=a[1], src_key_padding_mask=a[2], is_causal=is_causal))


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(E, H, 16)
    encoder = nn.TransformerEncoder(layer, 3)
    weights = [m.linear1.weight for m in encoder.layers]
    assert len({id(w) for w in weights}) == 3 and layer.linear1.weight is not weights[0]
    np.testing.assert_array_equal(weights[0]._data, weights[2]._data)
    assert not np.shares_memory(weights[0]._data, weights[1]._data)
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))


def test_square_subsequent_mask_is_pytorchs():
    torch = pytest.importorskip("torch")
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ----------------------------------------------------------------- scaled dot-product attention
@pytest.mark.parametrize("kind", ["bool", "float", "causal", "none"])
def test_scaled_dot_product_attention_matches_pytorch(kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, H, n, 4)) for n in (L, S, S))
    mask = {"bool": rng.random((L, S)) > 0.3, "float": rng.standard_normal((2, 1, L, S)),
            "causal": None, "none": None}[kind]
    mask_bool = mask if kind == "bool" else None
    if mask_bool is not None:
        mask_bool[:, 0] = True  # every query sees a key
    ours = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, attn_mask=mask, is_causal=kind == "causal",
                                         scale=0.3)
    ref = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.tensor(mask),
        is_causal=kind == "causal", scale=0.3)
    np.testing.assert_allclose(out._data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(out.shape)
    (out * upstream).sum().backward()
    (ref * torch.tensor(upstream)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------- RMSNorm, Bilinear, EmbeddingBag
@pytest.mark.parametrize(("shape", "options"), [
    ((4,), {}), ((3, 4), {"eps": 1e-3}), ((4,), {"elementwise_affine": False}),
])
def test_rms_norm_matches_pytorch(shape, options):
    torch, theirs, ours = _pair("RMSNorm", shape, **options)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((2, 5) + shape)
    _check(torch, theirs, ours, [x], lambda m, a: m(a[0]))
    eps = options.get("eps")
    np.testing.assert_allclose(
        F.rms_norm(Tensor(x), shape, None, eps)._data,
        torch.nn.functional.rms_norm(torch.tensor(x), shape, None, eps).numpy(), rtol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(), (6,), (2, 3)])
def test_bilinear_matches_pytorch(bias, lead):
    torch, theirs, ours = _pair("Bilinear", 3, 4, 5, bias=bias)
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (4,))]
    _check(torch, theirs, ours, arrays, lambda m, a: m(a[0], a[1]))


BAG_IDS = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 4])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize(("offsets", "include_last", "padding_idx"), [
    (None, False, None),                       # 2-D input: 2 bags of 5
    (np.array([0, 3, 3, 7]), False, None),     # an empty bag
    (np.array([0, 2, 6, 10]), True, None),     # include_last_offset
    (np.array([0, 4, 5]), False, 4),           # padding ids left out; bag [4] empty
    (None, False, 2),
])
def test_embedding_bag_matches_pytorch(mode, offsets, include_last, padding_idx):
    torch, theirs, ours = _pair("EmbeddingBag", 10, 3, mode=mode, padding_idx=padding_idx,
                                include_last_offset=include_last)
    ids = BAG_IDS.reshape(2, 5) if offsets is None else BAG_IDS
    arrays = [ids] if offsets is None else [ids, offsets]
    _check(torch, theirs, ours, arrays, lambda m, a: m(*a))


def test_embedding_bag_per_sample_weights_match_pytorch():
    torch, theirs, ours = _pair("EmbeddingBag", 10, 3, mode="sum", padding_idx=4)
    weights = np.random.default_rng(8).standard_normal(BAG_IDS.shape)
    offsets = np.array([0, 3, 3, 7])
    _check(torch, theirs, ours, [BAG_IDS, offsets, weights], lambda m, a: m(*a))
    np.testing.assert_allclose(
        F.embedding_bag(BAG_IDS.reshape(2, 5), ours.weight, mode="max")._data,
        torch.nn.functional.embedding_bag(torch.tensor(BAG_IDS.reshape(2, 5)), theirs.weight,
                                          mode="max").detach().numpy())


# ----------------------------------------------------------------- without PyTorch
def test_initialisation_distributions():
    tg.manual_seed(0)
    attention = nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on (3E, E)
    w = attention.in_proj_weight._data
    assert w.shape == (192, 64) and np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert not attention.in_proj_bias._data.any() and not attention.out_proj.bias._data.any()
    out = attention.out_proj.weight._data  # Linear's U(-1/sqrt(E), 1/sqrt(E))
    assert np.abs(out).max() <= 1 / 8 and np.abs(out).max() > 0.9 / 8
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert [n for n, _ in separate.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"]
    assert separate.k_proj_weight.shape == (8, 3) and separate.v_proj_weight.shape == (8, 5)
    assert np.abs(separate.k_proj_weight._data).max() <= np.sqrt(6 / 11)
    bilinear = nn.Bilinear(16, 3, 50)
    assert bilinear.weight.shape == (50, 16, 3)
    assert np.abs(bilinear.weight._data).max() <= 0.25 and np.abs(bilinear.bias._data).max() <= 0.25
    assert np.abs(bilinear.weight._data).max() > 0.24
    bag = nn.EmbeddingBag(1000, 8, padding_idx=3)
    assert not bag.weight._data[3].any() and abs(bag.weight._data.std() - 1) < 0.05
    assert nn.RMSNorm([2, 3]).weight._data.tolist() == [[1.0] * 3] * 2


def test_attention_gradcheck_without_pytorch():
    tg.manual_seed(0)
    attention = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    padding = np.array([[False, False, True], [False, False, False]])
    assert tg.gradcheck(lambda x: attention(x, x, x, key_padding_mask=padding)[0].sum(), [x])
    weight = attention.in_proj_weight
    assert tg.gradcheck(lambda w: (attention(x, x, x)[0] ** 2).sum(), [weight])


def test_padded_keys_do_not_change_the_output():
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).double()
    x = np.random.default_rng(0).standard_normal((1, 4, 8))
    changed = x.copy()
    changed[0, 3] += 10
    padding = np.array([[False, False, False, True]])
    a = layer(Tensor(x), src_key_padding_mask=padding)._data
    b = layer(Tensor(changed), src_key_padding_mask=padding)._data
    np.testing.assert_allclose(a[0, :3], b[0, :3], rtol=1e-12)
    assert not np.allclose(layer(Tensor(changed))._data[0, :3], a[0, :3])


def test_dropout_is_applied_in_training_only():
    tg.manual_seed(0)
    attention = nn.MultiheadAttention(4, 1, dropout=0.5)
    x = tg.randn(6, 2, 4)
    _, weights = attention(x, x, x, average_attn_weights=False)
    assert (weights._data == 0).any()
    attention.eval()
    _, weights = attention(x, x, x)
    np.testing.assert_allclose(weights._data.sum(-1), 1, rtol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    attention = nn.MultiheadAttention(4, 2)
    x = tg.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        attention(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="The shape of the 2D attn_mask is"):
        attention(x, x, x, attn_mask=np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        attention(x, x, x, key_padding_mask=np.zeros((3, 2), dtype=bool))
    with pytest.raises(TypeError, match="only bool and floating"):
        attention(x, x, x, attn_mask=np.zeros((3, 3), dtype=np.int64))
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(RuntimeError, match="feature number"):
        nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1)(
            tg.zeros(3, 1, 8), tg.zeros(2, 1, 4))
    assert nn.MultiheadAttention(4, 2, add_bias_kv=True).bias_k.shape == (1, 1, 4)  # (round 13)
    bag = nn.EmbeddingBag(10, 3)
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(np.zeros((2, 2), dtype=np.int64), np.array([0, 1]))
    with pytest.raises(ValueError, match="offsets has to be a 1D"):
        bag(np.zeros(4, dtype=np.int64))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        bag(np.zeros(4, dtype=np.int64), np.array([1, 2]))
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        bag(np.zeros((2, 2), dtype=np.int64), per_sample_weights=np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="not in the valid range"):  # (PyTorch's)
        bag(np.array([[10]]))
    with pytest.raises(ValueError, match="rms_norm"):
        F.rms_norm(tg.randn(2, 3), (4,))
    with pytest.raises(ValueError, match="bilinear"):
        nn.Bilinear(2, 3, 4)(tg.randn(5, 2), tg.randn(4, 3))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")  # PyTorch's own, on building it
@pytest.mark.parametrize("batch_first, norm_first", [(False, False), (True, True)])
def test_encoder_decoder_transformer_matches_pytorch(batch_first, norm_first):
    model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
                           dim_feedforward=32, dropout=0.0, batch_first=batch_first,
                           norm_first=norm_first)
    rng = np.random.default_rng(0)
    src_shape, tgt_shape = ((2, 5, 16), (2, 4, 16)) if batch_first else ((5, 2, 16), (4, 2, 16))
    src = rng.standard_normal(src_shape).astype(np.float32)
    tgt = rng.standard_normal(tgt_shape).astype(np.float32)
    padding = np.array([[False] * 5, [False, False, False, True, True]])
    x = tg.tensor(src, requires_grad=True)
    out = model(x, tg.tensor(tgt), tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
                src_key_padding_mask=tg.tensor(padding),
                memory_key_padding_mask=tg.tensor(padding))
    assert out.shape == tgt_shape
    out.sum().backward()
    assert x.grad.shape == src_shape and np.isfinite(x.grad.numpy()).all()
    weights = [p for p in model.parameters() if p.ndim > 1]
    assert all(np.abs(p.detach().numpy()).max() <= np.sqrt(6 / sum(p.shape[:2])) + 1e-6
               for p in weights)  # xavier-uniform bounds
    torch = pytest.importorskip("torch")
    reference = torch.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2,
                                     num_decoder_layers=2, dim_feedforward=32, dropout=0.0,
                                     batch_first=batch_first, norm_first=norm_first)
    state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    assert sorted(state) == sorted(model.state_dict())
    model.load_state_dict(state)
    x = tg.tensor(src, requires_grad=True)
    out = model(x, tg.tensor(tgt), tgt_mask=nn.Transformer.generate_square_subsequent_mask(4),
                src_key_padding_mask=tg.tensor(padding),
                memory_key_padding_mask=tg.tensor(padding))
    out.sum().backward()
    t = torch.tensor(src, requires_grad=True)
    expected = reference(t, torch.tensor(tgt),
                         tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4),
                         src_key_padding_mask=torch.tensor(padding),
                         memory_key_padding_mask=torch.tensor(padding))
    expected.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-4)
