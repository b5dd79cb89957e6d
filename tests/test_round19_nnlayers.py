"""Round 19 (nn layers): constructor options and input dtypes of the layers, against PyTorch."""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _both(build):
    """build(torch or tg) for both libraries: (error type or None, result) pairs."""
    outcomes = []
    for module in (torch, tg):
        try:
            outcomes.append((None, build(module)))
        except Exception as error:  # noqa: BLE001 (any error is compared)
            outcomes.append((type(error), error))
    return outcomes


# ------------------------------------------------ integer input to the norms: refused
NORMS = [("BatchNorm1d", lambda m: m.nn.BatchNorm1d(3), (4, 3), True),
         ("BatchNorm1d eval", lambda m: m.nn.BatchNorm1d(3), (4, 3), False),
         ("BatchNorm2d", lambda m: m.nn.BatchNorm2d(3), (2, 3, 2, 2), True),
         ("BatchNorm3d no stats", lambda m: m.nn.BatchNorm3d(3, track_running_stats=False),
          (2, 3, 2, 2, 2), True),
         ("RMSNorm", lambda m: m.nn.RMSNorm(3), (4, 3), True),
         ("RMSNorm no affine", lambda m: m.nn.RMSNorm([2, 3], elementwise_affine=False),
          (4, 2, 3), True)]


@needs_torch
@pytest.mark.parametrize("name, make, shape, train", NORMS, ids=[n[0] for n in NORMS])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_norms_refuse_integer_input_as_pytorch(name, make, shape, train, dtype):
    def build(m):
        layer = make(m).train(train)
        return layer((m.arange(int(np.prod(shape))).reshape(shape) % 3).to(getattr(m, dtype)))
    (torch_error, _), (error, result) = _both(build)
    assert torch_error is NotImplementedError
    assert isinstance(result, NotImplementedError), result
    assert ("batch_norm" if "Batch" in name else "rms_norm") in str(result)


def test_functional_norms_refuse_integers():
    x = tg.tensor([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(NotImplementedError, match="batch_norm"):
        tg.nn.functional.batch_norm(x, None, None, training=True)
    with pytest.raises(NotImplementedError, match="batch_norm"):
        tg.nn.functional.batch_norm(x, tg.zeros(3), tg.ones(3))
    with pytest.raises(NotImplementedError, match="rms_norm"):
        tg.nn.functional.rms_norm(x, (3,))


# ------------------------------------------ LPPool modules: p as a float, as PyTorch's
@needs_torch
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16"])
@pytest.mark.parametrize("norm_type", [1, 2, 3])
def test_lppool_module_of_integers_is_pytorchs(dims, dtype, norm_type):
    shape = (1, 2) + (4,) * dims

    def build(m):
        layer = getattr(m.nn, f"LPPool{dims}d")(norm_type, 2)
        return layer((m.arange(int(np.prod(shape))).reshape(shape) % 5).to(getattr(m, dtype)))
    (torch_error, expected), (error, result) = _both(build)
    assert torch_error is None and error is None, (torch_error, result)
    assert str(result.dtype) == str(expected.dtype)
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)


# ------------------------------------------ conv: a float16 input, a float32 layer
@pytest.mark.parametrize("name, shape", [("Conv1d", (2, 3, 5)), ("Conv2d", (2, 3, 4, 5)),
                                         ("Conv3d", (2, 3, 3, 4, 3)),
                                         ("ConvTranspose1d", (2, 3, 5)),
                                         ("ConvTranspose2d", (2, 3, 4, 5)),
                                         ("ConvTranspose3d", (2, 3, 3, 4, 3))])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_half_input_into_float_layer_is_promoted(name, shape, bias):
    """Mixed floats are promoted (documented): a float16 batch into a float32 layer runs in
    float32 and is not rounded to float16 at the end (it was, for the convolutions alone)."""
    tg.manual_seed(0)
    layer = getattr(nn, name)(3, 4, 2, bias=bias)
    data = np.random.default_rng(0).normal(size=shape).astype(np.float16)
    x = tg.tensor(data, requires_grad=True)
    y = layer(x)
    assert y.dtype == tg.float32
    expected = layer(tg.tensor(data.astype(np.float32)))
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    y.sum().backward()
    assert x.grad.dtype == tg.float16 and layer.weight.grad.dtype == tg.float32
    half = getattr(nn, name)(3, 4, 2, bias=bias).half()
    assert half(x).dtype == tg.float16


def test_conv_functional_mixed_widths_promote():
    x = tg.ones(1, 2, 3, 3, dtype=tg.float16)
    F = tg.nn.functional
    assert F.conv2d(x, tg.ones(2, 2, 1, 1)).dtype == tg.float32
    assert F.conv2d(x, tg.ones(2, 2, 1, 1, dtype=tg.float16), tg.ones(2)).dtype == tg.float32
    assert F.conv2d(x, tg.ones(2, 2, 1, 1, dtype=tg.float16)).dtype == tg.float16
    assert F.conv1d(x[0, :, 0], tg.ones(2, 2, 1, dtype=tg.float64)).dtype == tg.float64


# ------------------------------------------ fractional max pooling of empty inputs
@needs_torch
@pytest.mark.parametrize("dims, shape", [(2, (0, 3, 4, 4)), (2, (0, 4, 4)), (3, (0, 3, 4, 4, 4)),
                                         (3, (0, 4, 4, 4))])
@pytest.mark.parametrize("return_indices", [False, True])
def test_fractional_max_pool_of_no_planes_is_empty(dims, shape, return_indices):
    def build(m):
        layer = getattr(m.nn, f"FractionalMaxPool{dims}d")(2, output_size=2,
                                                           return_indices=return_indices)
        out = layer(m.zeros(*shape, requires_grad=True))
        first = out[0] if return_indices else out
        first.sum().backward()
        return out
    (torch_error, expected), (error, result) = _both(build)
    assert torch_error is None and error is None, result
    pairs = zip(expected, result) if return_indices else [(expected, result)]
    for want, got in pairs:
        assert tuple(got.shape) == tuple(want.shape)
        assert str(got.dtype) == str(want.dtype)


@needs_torch
@pytest.mark.parametrize("dims, shape", [(2, (2, 0, 4, 4)), (2, (3, 0, 4)), (2, (2, 3, 4, 0)),
                                         (3, (2, 3, 4, 0, 4)), (3, (3, 4, 0, 4))])
def test_fractional_max_pool_of_an_empty_plane_is_pytorchs_error(dims, shape):
    def build(m):
        return getattr(m.nn, f"FractionalMaxPool{dims}d")(2, output_size=2)(m.zeros(*shape))
    (torch_error, _), (error, result) = _both(build)
    assert torch_error is RuntimeError and isinstance(result, RuntimeError), result
    assert "Expected input to have non-zero size for non-batch dimensions" in str(result)
    assert f"got{list(shape)}" in str(result)


# ------------------------------------------ PyTorch's `_check_input_dim` hooks
def test_batch_norm_subclass_overriding_check_input_dim_is_honoured():
    """A common pattern: subclass `_BatchNorm` (or BatchNorm2d) and define which ranks it
    takes; forward calls the hook, as PyTorch's."""
    from tinygrad_np.nn.modules.batchnorm import _BatchNorm

    class AnyRank(_BatchNorm):
        def _check_input_dim(self, input):
            if input.dim() < 2:
                raise ValueError("at least 2-D")

    x = np.random.default_rng(0).normal(size=(4, 3, 2, 2, 2, 2)).astype(np.float32)
    y = AnyRank(3)(tg.tensor(x)).numpy()
    mean = x.mean(axis=(0, 2, 3, 4, 5), keepdims=True)
    var = x.var(axis=(0, 2, 3, 4, 5), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="at least 2-D"):
        AnyRank(3)(tg.ones(3))

    class Lenient(nn.BatchNorm2d):
        def _check_input_dim(self, input):
            pass

    assert Lenient(3)(tg.ones(2, 3, 4)).shape == (2, 3, 4)
    with pytest.raises(NotImplementedError):
        _BatchNorm(3)(tg.ones(2, 3))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)._check_input_dim(tg.ones(2, 3))


@needs_torch
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 2, 2, 2, 2)])
def test_sync_batch_norm_takes_any_rank_from_two(shape):
    (torch_error, expected), (error, result) = _both(lambda m: m.nn.SyncBatchNorm(3)(
        m.ones(*shape)))
    if torch_error is not None:
        assert isinstance(result, torch_error) and str(result) == str(expected)
    else:
        assert error is None and tuple(result.shape) == tuple(expected.shape)


def test_instance_norm_hooks():
    norm = nn.InstanceNorm2d(3)
    assert norm._get_no_batch_dim() == 3
    with pytest.raises(ValueError, match="expected 3-D or 4-D"):
        norm._check_input_dim(tg.ones(2, 3))

    class AnyRank(nn.InstanceNorm1d):
        def _check_input_dim(self, input):
            pass

    x = np.random.default_rng(1).normal(size=(2, 3, 4, 5)).astype(np.float32)
    y = AnyRank(3)(tg.tensor(x)).numpy()
    mean, var = x.mean(axis=(2, 3), keepdims=True), x.var(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5, 6])
def test_circular_pad_modules_check_the_rank_as_pytorch(dims, rank):
    def build(m):
        return getattr(m.nn, f"CircularPad{dims}d")(1)(m.ones(*([3] * rank)))
    (torch_error, expected), (error, result) = _both(build)
    if torch_error is None:
        assert error is None and tuple(result.shape) == tuple(expected.shape)
    else:
        assert torch_error is ValueError and isinstance(result, ValueError), result
        assert str(result) == str(expected)


# ------------------------------------------ a custom cell built on RNNCellBase
def _layer_norm_lstm_cell(m):
    """A cell written the way PyTorch users write one: RNNCellBase(input_size, hidden_size,
    bias, num_chunks) for the weights, its own forward."""

    class LayerNormLSTMCell(m.nn.RNNCellBase):
        def __init__(self, input_size, hidden_size):
            super().__init__(input_size, hidden_size, bias=True, num_chunks=4)
            self.norm = m.nn.LayerNorm(4 * hidden_size)

        def forward(self, x, state):
            h, c = state
            gates = self.norm(x @ self.weight_ih.t() + self.bias_ih
                              + h @ self.weight_hh.t() + self.bias_hh)
            i, f, g, o = gates.chunk(4, 1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            return o.sigmoid() * c.tanh(), c

    return LayerNormLSTMCell(3, 5)


@needs_torch
def test_custom_cell_on_rnn_cell_base_matches_pytorch():
    reference, cell = _layer_norm_lstm_cell(torch), _layer_norm_lstm_cell(tg)
    assert list(cell.state_dict()) == list(reference.state_dict())
    assert repr(cell) == repr(reference)
    assert cell.weight_ih.shape == (20, 3) and cell.weight_hh.shape == (20, 5)
    cell.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    rng = np.random.default_rng(0)
    x, h, c = (rng.normal(size=s).astype(np.float32) for s in [(2, 3), (2, 5), (2, 5)])
    outputs = []
    for m, layer in ((torch, reference), (tg, cell)):
        xs = m.tensor(x, requires_grad=True)
        h1, c1 = layer(xs, (m.tensor(h), m.tensor(c)))
        (h1.sum() + 2 * c1.sum()).backward()
        outputs.append([h1.detach().numpy(), c1.detach().numpy(), xs.grad.numpy(),
                        layer.weight_hh.grad.numpy()])
    for want, got in zip(*outputs):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_rnn_cell_base_makes_num_chunks_gates():
    base = nn.RNNCellBase(3, 4, False, 2)
    assert base.weight_ih.shape == (8, 3) and base.bias_ih is None
    assert repr(base) == "RNNCellBase(3, 4, bias=False)"
    assert nn.GRUCell(3, 4).weight_hh.shape == (12, 4)
    assert nn.LSTMCell(3, 4, bias=False).weight_ih.shape == (16, 3)
    assert nn.RNNCell(3, 4, nonlinearity="relu").weight_ih.shape == (4, 3)


# ------------------------------------------ forward's keyword names, as PyTorch's
@needs_torch
def test_adaptive_log_softmax_forward_takes_pytorchs_keywords():
    torch.manual_seed(0)
    reference = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 10, [3, 6])
    layer = nn.AdaptiveLogSoftmaxWithLoss(16, 10, [3, 6])
    layer.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(5, 16)).astype(np.float32)
    y = np.array([0, 4, 9, 2, 7])
    want = reference(input_=torch.tensor(x), target_=torch.tensor(y))
    got = layer(input_=tg.tensor(x), target_=tg.tensor(y))
    np.testing.assert_allclose(got.output.numpy(), want.output.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(got.loss.item(), want.loss.item(), rtol=1e-5)


@needs_torch
def test_decoder_layer_rank_mismatch_is_an_assertion_error_as_pytorch():
    for m in (torch, tg):
        layer = m.nn.Transformer(4, 2, 1, 1, 8, batch_first=True)
        with pytest.raises(AssertionError):
            layer(m.randn(3, 4), m.randn(3, 2, 4))


# ------------------------------------------ max pooling: windows of padding alone
ALL_PADDING = [  # (dims, input shape, kernel, stride, padding, dilation, ceil_mode)
    (1, (2, 3, 1), 3, 3, 1, 2, True),
    (2, (2, 3, 4, 1), (4, 2), (2, 3), (2, 1), (2, 2), False),
    (2, (1, 2, 5, 1), (3, 2), (2, 3), (1, 1), (2, 2), False),
    (3, (2, 3, 3, 4, 1), (1, 2, 2), (3, 2, 1), (0, 0, 1), (2, 1, 2), True),
    (3, (2, 3, 1, 6, 6), (2, 1, 4), (2, 3, 3), (1, 0, 2), (2, 2, 1), True),
    (3, (1, 2, 7, 8, 1), (4, 4, 2), (1, 3, 3), (1, 2, 1), (1, 2, 2), False),
]


@needs_torch
@pytest.mark.parametrize("dims, shape, kernel, stride, padding, dilation, ceil", ALL_PADDING)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_max_pool_index_of_an_all_padding_window_is_pytorchs(dims, shape, kernel, stride,
                                                             padding, dilation, ceil, dtype):
    x = np.random.default_rng(3).normal(size=shape) * 5
    outputs = []
    for m in (torch, tg):
        pool = getattr(m.nn.functional, f"max_pool{dims}d")
        y, index = pool(m.tensor(x.astype(dtype)), kernel, stride, padding, dilation,
                        ceil_mode=ceil, return_indices=True)
        outputs.append((y.numpy(), index.numpy()))
    (want_y, want_index), (got_y, got_index) = outputs
    assert np.isneginf(want_y).any() or dtype == "int64"  # (the case is exercised)
    np.testing.assert_array_equal(got_y, want_y)
    np.testing.assert_array_equal(got_index, want_index)


def test_max_pool_all_padding_window_gets_no_gradient():
    """Its output is the constant -inf: no input moves it (PyTorch's backward sends the
    gradient to the element its index names, here x[0, 0, 1, 0], outside the window)."""
    x = tg.tensor(np.arange(4.0).reshape(1, 1, 4, 1), requires_grad=True)
    y, index = tg.nn.functional.max_pool2d(x, (1, 2), (1, 3), (0, 1), (1, 2),
                                           return_indices=True)
    assert np.isneginf(y.numpy()).all() and index.numpy().ravel().tolist() == [1, 2, 3, 4]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((1, 1, 4, 1)))


# ------------------------------------------ sizes given as NumPy integers
@needs_torch
@pytest.mark.parametrize("shape", [np.int64(3), (np.int64(3),), [np.int32(3)]])
def test_layer_norm_takes_numpy_integer_sizes(shape):
    layer = nn.LayerNorm(shape)
    assert layer.normalized_shape == (3,) and layer.weight.shape == (3,)
    assert repr(layer) == "LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)"
    x = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)
    want = torch.nn.LayerNorm(3)(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(layer(tg.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-6)
    encoder = nn.TransformerEncoderLayer(np.int64(4), np.int64(2), np.int64(8))
    assert encoder(tg.ones(3, 1, 4)).shape == (3, 1, 4)


@pytest.mark.parametrize("shape", [(3.0,), ("a",), 3.0])
def test_layer_norm_refuses_non_integer_sizes(shape):
    with pytest.raises(TypeError):
        nn.LayerNorm(shape)
