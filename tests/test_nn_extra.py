"""nn modules added for PyTorch scripts: CosineSimilarity, PairwiseDistance, LazyLinear,
Dropout1d, Dropout3d, AlphaDropout, LocalResponseNorm, RReLU, ConvTranspose1d, Buffer,
TransformerDecoderLayer and TransformerDecoder. Outputs and the gradients of inputs and
parameters against PyTorch (float64, PyTorch's state dict loaded; skipped without PyTorch),
and by hand or by central differences where no PyTorch is needed or randomness differs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

RNG = np.random.default_rng(1)


def _torch():
    return pytest.importorskip("torch")


def _pair(name, *args, train=True, **kwargs):
    """PyTorch's module (float64, its own initialisation) and ours holding its state dict."""
    torch = _torch()
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs)
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    if state:
        ours.double().load_state_dict(state)
    theirs.train(train)
    ours.train(train)
    return torch, theirs, ours


def _check(torch, theirs, ours, arrays, call, rtol=1e-9, atol=1e-11):
    """call(module, leaves) on both sides: equal outputs, then equal gradients of every float
    input and every parameter under a random upstream gradient."""
    leaves = [Tensor(a, requires_grad=True) if a.dtype.kind == "f" else Tensor(a)
              for a in arrays]
    torch_leaves = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    mine, reference = call(ours, leaves), call(theirs, torch_leaves)
    assert mine.shape == tuple(reference.shape)
    np.testing.assert_allclose(mine._data, reference.detach().numpy(), rtol=rtol, atol=atol)
    upstream = RNG.standard_normal(mine.shape)
    (mine * Tensor(upstream)).sum().backward()
    (reference * torch.tensor(upstream)).sum().backward()
    for position, (leaf, torch_leaf) in enumerate(zip(leaves, torch_leaves)):
        if leaf.requires_grad:
            np.testing.assert_allclose(leaf.grad._data, torch_leaf.grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"gradient of input {position}")
    torch_parameters = dict(theirs.named_parameters())
    assert sorted(torch_parameters) == sorted(dict(ours.named_parameters()))
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad._data, torch_parameters[name].grad.numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)


# ----------------------------------------------------------------- distances
@pytest.mark.parametrize("kwargs, shapes", [({}, ((4, 5), (4, 5))), ({"dim": -1}, ((2, 3, 4),
                                            (3, 4))), ({"dim": 0, "eps": 1e-3}, ((3,), (3,)))])
def test_cosine_similarity_module_matches_pytorch(kwargs, shapes):
    torch, theirs, ours = _pair("CosineSimilarity", **kwargs)
    arrays = [RNG.standard_normal(shape) for shape in shapes]
    _check(torch, theirs, ours, arrays, lambda m, a: m(*a))


@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0}, {"p": 3.0, "keepdim": True},
                                    {"eps": 0.1}])
def test_pairwise_distance_module_matches_pytorch(kwargs):
    torch, theirs, ours = _pair("PairwiseDistance", **kwargs)
    arrays = [RNG.standard_normal((4, 6)), RNG.standard_normal((4, 6))]
    _check(torch, theirs, ours, arrays, lambda m, a: m(*a))
    assert ours.norm == theirs.norm and ours.keepdim == theirs.keepdim


def test_distance_modules_by_hand():
    x1, x2 = Tensor([[3.0, 4.0]]), Tensor([[4.0, 3.0]])
    np.testing.assert_allclose(nn.CosineSimilarity()(x1, x2)._data, [24 / 25], rtol=1e-6)
    np.testing.assert_allclose(nn.PairwiseDistance(eps=0.0)(x1, x2)._data, [math.sqrt(2)],
                               rtol=1e-6)


# ----------------------------------------------------------------- LazyLinear
def test_lazy_linear_infers_in_features_and_becomes_linear():
    tg.manual_seed(3)
    lazy = nn.LazyLinear(4)
    assert lazy.in_features == 0 and lazy.has_uninitialized_params()
    assert isinstance(lazy.weight, nn.UninitializedParameter)
    assert repr(lazy) == "LazyLinear(in_features=0, out_features=4, bias=True)"
    x = RNG.standard_normal((2, 3, 5)).astype(np.float32)
    y = lazy(Tensor(x))
    assert type(lazy) is nn.Linear and lazy.in_features == 5
    assert type(lazy.weight) is nn.Parameter and lazy.weight.shape == (4, 5)
    assert type(lazy.bias) is nn.Parameter and lazy.bias.shape == (4,)
    w, b = lazy.weight._data, lazy.bias._data
    np.testing.assert_allclose(y._data, x @ w.T + b, rtol=1e-5, atol=1e-6)
    assert np.all(np.abs(w) <= 1 / math.sqrt(5))
    # the draws are Linear's: the same seed gives the same weights
    tg.manual_seed(3)
    eager = nn.Linear(5, 4)
    np.testing.assert_array_equal(eager.weight._data, w)
    np.testing.assert_array_equal(eager.bias._data, b)
    y.sum().backward()
    np.testing.assert_allclose(lazy.weight.grad._data, np.broadcast_to(
        x.reshape(-1, 5).sum(0), (4, 5)), rtol=1e-5)
    with pytest.raises(RuntimeError, match="leaf"):  # a leaf that requires grad, as Linear's
        lazy.weight.add_(1)


def test_lazy_linear_without_bias_matches_pytorch_shapes_and_errors():
    torch = _torch()
    ours, theirs = nn.LazyLinear(3, bias=False), torch.nn.LazyLinear(3, bias=False)
    assert ours.bias is None and theirs.bias is None
    x = RNG.standard_normal((6, 2))
    out = ours(Tensor(x))
    theirs(torch.tensor(x, dtype=torch.float32))
    assert out.shape == (6, 3) and ours.weight.shape == tuple(theirs.weight.shape)
    assert ours.weight.dtype == np.float32
    with pytest.raises(ValueError, match="LazyLinear: the first input"):
        nn.LazyLinear(3)(Tensor(1.0))


# ----------------------------------------------------------------- channel dropout
@pytest.mark.parametrize("name, shape", [("Dropout1d", (4, 6, 5)), ("Dropout1d", (6, 5)),
                                         ("Dropout3d", (2, 5, 2, 3, 2)),
                                         ("Dropout3d", (5, 2, 3, 2))])
def test_channel_dropout_zeroes_whole_channels(name, shape):
    tg.manual_seed(0)
    module = getattr(nn, name)(p=0.4)
    x = Tensor(RNG.uniform(1, 2, shape), requires_grad=True)
    y = module(x)
    spatial = 1 if name == "Dropout1d" else 3
    channels = y._data.reshape(y.shape[:-spatial] + (-1,))
    ratio = channels / x._data.reshape(channels.shape)
    for row in ratio.reshape(-1, ratio.shape[-1]):  # each channel: all 0 or all 1/(1-p)
        assert np.allclose(row, 0) or np.allclose(row, 1 / 0.6)
    assert 0 < np.mean(ratio == 0) < 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, y._data / x._data)
    module.eval()
    assert module(x) is x
    assert getattr(nn, name)(p=0.0)(x) is x


def test_channel_dropout_matches_pytorch_where_deterministic_and_errors():
    torch = _torch()
    for name, shape in [("dropout1d", (2, 3, 4)), ("dropout3d", (2, 3, 2, 2, 2))]:
        x = RNG.standard_normal(shape)
        ours = getattr(F, name)(Tensor(x), p=1.0)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), p=1.0)
        np.testing.assert_array_equal(ours._data, theirs.numpy())
        np.testing.assert_array_equal(getattr(F, name)(Tensor(x), 0.5, training=False)._data, x)
    with pytest.raises(ValueError, match=r"dropout1d: expected a 2-D .* got shape \(2, 3, 4, 5\)"):
        F.dropout1d(tg.zeros(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):  # PyTorch's
        assert nn.Dropout3d()(tg.zeros(2, 3)).shape == (2, 3)  # warning; then it goes on
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout1d(p=1.5)
    x = tg.ones(2, 3, 4)
    assert F.dropout1d(x, 0.5, True, inplace=True) is x  # in place: the same tensor


# ----------------------------------------------------------------- AlphaDropout
ALPHA = 1.7580993408473766  # PyTorch's -SELU_SCALE * SELU_ALPHA


def _alpha_constants(p):
    a = ((ALPHA ** 2 * p + 1) * (1 - p)) ** -0.5
    return a, ALPHA * a * p, a * ALPHA * (p - 1)  # scale, kept shift, dropped value


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_values_match_pytorchs_formula(p):
    torch = _torch()
    x = RNG.standard_normal((50, 40))
    scale, shift, dropped = _alpha_constants(p)
    torch.manual_seed(0)
    theirs = torch.nn.AlphaDropout(p)(torch.tensor(x)).numpy()
    tg.manual_seed(0)
    leaf = Tensor(x, requires_grad=True)
    mine = nn.AlphaDropout(p)(leaf)
    for out in (theirs, mine._data):  # each element: dropped, or the kept affine map
        kept = np.isclose(out, scale * x + shift)
        assert np.all(kept | np.isclose(out, dropped))
        assert abs(np.mean(~kept) - p) < 0.05
    mine.sum().backward()
    kept = np.isclose(mine._data, scale * x + shift) & ~np.isclose(mine._data, dropped)
    np.testing.assert_allclose(leaf.grad._data[kept], scale)
    np.testing.assert_allclose(leaf.grad._data[~kept], 0.0)


def test_alpha_dropout_keeps_mean_and_variance_and_eval_is_identity():
    tg.manual_seed(1)
    x = Tensor(RNG.standard_normal(200_000))
    y = F.alpha_dropout(x, 0.3, training=True)
    assert abs(float(y.mean().item())) < 0.02 and abs(float(y.std().item()) - 1) < 0.02
    assert F.alpha_dropout(x, 0.3) is x  # PyTorch's default: training=False
    module = nn.AlphaDropout(0.3).eval()
    assert module(x) is x
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, training=True)._data, 0.0)


# ----------------------------------------------------------------- LocalResponseNorm
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 5, 3, 4), (1, 4, 2, 3, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_local_response_norm_matches_pytorch(shape, size):
    torch, theirs, ours = _pair("LocalResponseNorm", size, alpha=0.3, beta=0.6, k=1.5)
    _check(torch, theirs, ours, [RNG.standard_normal(shape)], lambda m, a: m(a[0]),
           rtol=1e-7, atol=1e-9)


def test_local_response_norm_by_hand_gradcheck_and_errors():
    x = Tensor(np.array([[[1.0], [2.0], [3.0]]]))  # (1, 3, 1), size 3: windows of 3 channels
    squares = np.array([0 + 1 + 4, 1 + 4 + 9, 4 + 9 + 0]) / 3
    expected = np.array([1.0, 2.0, 3.0]) / (1.0 + 0.1 * squares) ** 0.75
    np.testing.assert_allclose(F.local_response_norm(x, 3, alpha=0.1)._data.ravel(), expected)
    w = Tensor(RNG.standard_normal((2, 4, 3)), requires_grad=True)
    assert tg.gradcheck(lambda w: F.local_response_norm(w, 2, alpha=0.5), [w])
    assert nn.LocalResponseNorm(2)(tg.zeros(0, 3, 2)).shape == (0, 3, 2)
    with pytest.raises(ValueError, match=r"local_response_norm: expected 3D or higher .*2 "
                                         r"dimensions"):
        nn.LocalResponseNorm(2)(tg.zeros(2, 3))


# ----------------------------------------------------------------- RReLU
def test_rrelu_eval_and_equal_bounds_match_pytorch():
    torch = _torch()
    x = RNG.standard_normal((4, 5))
    x[0, 0] = 0.0
    for kwargs, train in [({}, False), ({"lower": 0.1, "upper": 0.3}, False),
                          ({"lower": 0.2, "upper": 0.2}, True)]:
        torch_module, module = _pair("RReLU", train=train, **kwargs)[1:]
        _check(torch, torch_module, module, [x], lambda m, a: m(a[0]))


def test_rrelu_training_draws_a_slope_per_negative_element():
    tg.manual_seed(0)
    x = Tensor(RNG.standard_normal((100, 50)), requires_grad=True)
    module = nn.RReLU(0.1, 0.4)
    y = module(x)
    negative = x._data <= 0
    slopes = y._data[negative] / x._data[negative]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.4 and slopes.std() > 0.05
    np.testing.assert_array_equal(y._data[~negative], x._data[~negative])
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data[negative], slopes)
    np.testing.assert_array_equal(x.grad._data[~negative], 1.0)
    module.eval()
    np.testing.assert_allclose(module(x)._data[negative], 0.25 * x._data[negative])
    z = Tensor([-1.0, 2.0])
    assert F.rrelu(z, 0.5, 0.5, training=True, inplace=True) is z and z.tolist() == [-0.5, 2.0]


# ----------------------------------------------------------------- ConvTranspose1d
@pytest.mark.parametrize("kwargs, shape", [
    ({}, (2, 4, 7)), ({"stride": 2, "padding": 1, "output_padding": 1}, (2, 4, 5)),
    ({"groups": 2, "dilation": 2, "bias": False}, (1, 4, 6)), ({"stride": 3}, (4, 6)),
])
def test_conv_transpose1d_matches_pytorch(kwargs, shape):
    torch, theirs, ours = _pair("ConvTranspose1d", 4, 6, 3, **kwargs)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    _check(torch, theirs, ours, [RNG.standard_normal(shape)], lambda m, a: m(a[0]))


def test_conv_transpose1d_by_hand_and_errors():
    x = Tensor(np.array([[[1.0, 2.0]]]))
    w = Tensor(np.array([[[1.0, 10.0, 100.0]]]))
    out = F.conv_transpose1d(x, w, stride=2)
    assert out.tolist() == [[[1.0, 10.0, 102.0, 20.0, 200.0]]]  # (2 - 1) 2 + 3 = 5
    with pytest.raises(ValueError, match=r"conv_transpose1d: weight must be 3-D"):
        F.conv_transpose1d(x, tg.zeros(1, 1, 1, 3))
    with pytest.raises(ValueError, match=r"conv_transpose1d.*channels"):
        F.conv_transpose1d(tg.zeros(1, 3, 4), tg.zeros(2, 1, 3))
    with pytest.raises(RuntimeError, match="conv_transpose1d: stride must be an int"):
        F.conv_transpose1d(x, w, stride=(1, 2))


# ----------------------------------------------------------------- Buffer
class _WithBuffers(nn.Module):
    def __init__(self, lib):
        super().__init__()
        self.weight = lib.nn.Parameter(lib.ones(2))
        self.running = lib.nn.Buffer(lib.zeros(3))
        self.scratch = lib.nn.Buffer(lib.ones(1), persistent=False)


def test_buffer_is_registered_by_assignment():
    module = _WithBuffers(tg)
    assert [name for name, _ in module.named_buffers()] == ["running", "scratch"]
    assert list(module.state_dict()) == ["weight", "running"]
    assert [name for name, _ in module.named_parameters()] == ["weight"]
    module.load_state_dict({"weight": np.full(2, 2.0), "running": np.arange(3.0)})
    assert module.running.tolist() == [0.0, 1.0, 2.0]
    source = tg.zeros(2)
    buffer = nn.Buffer(source)
    buffer.add_(1)  # shares the tensor's memory, as PyTorch's detach()
    assert source.tolist() == [1.0, 1.0] and not buffer.requires_grad
    assert nn.Buffer(Tensor([1.0], requires_grad=True)).requires_grad
    assert nn.Buffer().shape == (0,)
    with pytest.raises(TypeError, match="cannot assign a Buffer as 'weight'"):
        module.weight = nn.Buffer(tg.ones(2))


def test_buffer_state_dict_matches_pytorch():
    torch = _torch()

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.ones(2))
            self.running = torch.nn.Buffer(torch.zeros(3))
            self.scratch = torch.nn.Buffer(torch.ones(1), persistent=False)

    theirs, ours = Theirs(), _WithBuffers(tg)
    assert list(theirs.state_dict()) == list(ours.state_dict())
    assert [n for n, _ in theirs.named_buffers()] == [n for n, _ in ours.named_buffers()]


# ----------------------------------------------------------------- Transformer decoder
L, S, N, E, H = 5, 4, 3, 8, 2
DECODER_CONFIGS = [{}, {"batch_first": True, "norm_first": True},
                   {"activation": "gelu", "bias": False}]


def _decoder_inputs(batch_first, batched=True):
    tgt, memory = RNG.standard_normal((L, N, E)), RNG.standard_normal((S, N, E))
    if not batched:
        return tgt[:, 0], memory[:, 0]
    if batch_first:
        return tgt.transpose(1, 0, 2).copy(), memory.transpose(1, 0, 2).copy()
    return tgt, memory


def _decoder_masks(kind):
    if kind == "none":
        return {}
    causal = np.triu(np.full((L, L), -np.inf), 1)
    padding = np.zeros((N, S), dtype=bool)
    padding[1, -1] = True
    return {"tgt_mask": causal, "memory_key_padding_mask": padding}


def _call_decoder(masks):
    def call(module, leaves):
        ours = isinstance(leaves[0], Tensor)
        options = {key: Tensor(value) if ours else _torch().tensor(value)
                   for key, value in masks.items()}
        return module(leaves[0], leaves[1], **options)
    return call


@pytest.mark.parametrize("config", DECODER_CONFIGS)
@pytest.mark.parametrize("masks", ["none", "causal_and_padding"])
@pytest.mark.parametrize("train", [True, False])
def test_decoder_layer_matches_pytorch(config, masks, train):
    dropout = 0.0 if train else 0.1  # dropout 0 in training; PyTorch's default in eval
    torch, theirs, ours = _pair("TransformerDecoderLayer", E, H, dim_feedforward=16,
                                dropout=dropout, train=train, **config)
    arrays = list(_decoder_inputs(config.get("batch_first", False)))
    _check(torch, theirs, ours, arrays, _call_decoder(_decoder_masks(masks)))


def test_unbatched_decoder_layer_matches_pytorch():
    torch, theirs, ours = _pair("TransformerDecoderLayer", E, H, dim_feedforward=16,
                                dropout=0.0)
    _check(torch, theirs, ours, list(_decoder_inputs(False, batched=False)),
           lambda m, a: m(a[0], a[1]))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_norm", [False, True])
def test_decoder_stack_matches_pytorch(batch_first, with_norm):
    torch = _torch()
    torch.manual_seed(0)
    options = {"dim_feedforward": 16, "dropout": 0.0, "batch_first": batch_first}
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(E, H, **options), 2,
        norm=torch.nn.LayerNorm(E) if with_norm else None).double()
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, **options), 2,
                                 norm=nn.LayerNorm(E) if with_norm else None).double()
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)
    arrays = list(_decoder_inputs(batch_first))
    causal = np.triu(np.full((L, L), -np.inf), 1)  # detected as causal (tgt_is_causal=None)

    def call(module, leaves):
        mask = Tensor(causal) if module is ours else torch.tensor(causal)
        return module(leaves[0], leaves[1], tgt_mask=mask)
    _check(torch, theirs, ours, arrays, call)


def test_decoder_errors_and_structure():
    layer = nn.TransformerDecoderLayer(E, H, dim_feedforward=16)
    assert [name for name, _ in layer.named_children()][:3] == ["self_attn", "multihead_attn",
                                                                 "linear1"]
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: tgt and memory .* \(5, 8\)"):
        layer(tg.zeros(L, E), tg.zeros(S, N, E))
    stack = nn.TransformerDecoder(layer, 3)
    assert len(stack.layers) == 3 and stack.layers[0] is not layer


@pytest.mark.parametrize("training", [True, False])
def test_rrelu_with_lower_above_upper_is_refused_as_in_pytorch(training):
    with pytest.raises(RuntimeError, match="rrelu: the lower bound"):
        F.rrelu(tg.randn(3), 0.5, 0.1, training=training)


def test_an_uninitialized_parameter_has_no_shape_yet_as_in_pytorch():
    layer = nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match="shape of an uninitialized parameter"):
        _ = layer.weight.shape
    layer(tg.randn(2, 5))
    assert layer.weight.shape == (3, 5)


def test_a_p0_norm_or_distance_stays_in_the_graph_without_gradient():
    # PyTorch's ord-0 norm is a count: backward runs (no gradient flows: .grad stays None),
    # it does not raise
    x = tg.tensor([1.0, 0.0, float("inf"), float("nan")], requires_grad=True)
    count = x.norm(p=0)
    assert count.requires_grad and count.item() == 3.0
    count.backward()
    assert x.grad is None
    a = tg.tensor([[1.0, 0.0, 2.0]], requires_grad=True)
    distance = nn.PairwiseDistance(p=0)(a, tg.zeros(1, 3))
    distance.sum().backward()
    assert distance.tolist() == [3.0]  # eps is added to the difference first, as PyTorch
    assert a.grad is None
