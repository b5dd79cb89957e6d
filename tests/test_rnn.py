"""Recurrent layers (RNN, LSTM, GRU and their cells): outputs, final states and every gradient
against PyTorch with its state dict loaded (float64 and float32), over layers, directions,
batch_first, bias, initial states and unbatched inputs; then gradcheck without PyTorch,
dropout between layers, initialisation, repr and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import Tensor

SEQUENCE, BATCH, FEATURES, HIDDEN = 5, 3, 4, 6

CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "bias": False}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "bias": False}),
    ("LSTM", {"num_layers": 2, "batch_first": True, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bias": False}),
    ("GRU", {"bidirectional": True, "batch_first": True}),
]


def _torch_pair(name, kwargs, dtype):
    """The PyTorch layer and ours, holding the same (PyTorch-initialised) parameters."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(FEATURES, HIDDEN, **kwargs).to(
        torch.float64 if dtype == np.float64 else torch.float32)
    ours = getattr(nn, name)(FEATURES, HIDDEN, dtype=dtype, **kwargs)
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)
    return torch, theirs, ours


def _inputs(layer, batched, with_state, dtype, length=SEQUENCE):
    """The input array, then the initial state arrays if `with_state`."""
    rng = np.random.default_rng(1)
    if batched:
        shape = (BATCH, length) if layer.batch_first else (length, BATCH)
    else:
        shape = (length,)
    x = rng.standard_normal(shape + (FEATURES,)).astype(dtype)
    states = (0 if not with_state else 2 if type(layer).__name__ == "LSTM" else 1)
    depth = layer.num_layers * (2 if layer.bidirectional else 1)
    state_shape = (depth, BATCH, HIDDEN) if batched else (depth, HIDDEN)
    return [x] + [rng.standard_normal(state_shape).astype(dtype) for _ in range(states)]


def _call(layer, leaves):
    x, *state = leaves
    if not state:
        return layer(x)
    return layer(x, tuple(state) if len(state) == 2 else state[0])


def _flatten(result):
    output, final = result
    return [output, *final] if isinstance(final, tuple) else [output, final]


def _compare(torch, theirs, ours, arrays, rtol, atol):
    """Same outputs, and the same gradients for the inputs and every parameter, with random
    upstream gradients on every output (the final states included)."""
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    torch_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    mine, reference = _flatten(_call(ours, leaves)), _flatten(_call(theirs, torch_leaves))
    assert [m.shape for m in mine] == [tuple(r.shape) for r in reference]
    rng = np.random.default_rng(9)
    upstream = [rng.standard_normal(m.shape).astype(m.dtype) for m in mine]
    for m, r in zip(mine, reference):
        assert m.dtype == arrays[0].dtype
        np.testing.assert_allclose(m._data, r.detach().numpy(), rtol=rtol, atol=atol)
    sum((m * u).sum() for m, u in zip(mine, upstream)).backward()
    sum((r * torch.tensor(u)).sum() for r, u in zip(reference, upstream)).backward()
    for position, (leaf, torch_leaf) in enumerate(zip(leaves, torch_leaves)):
        np.testing.assert_allclose(leaf.grad._data, torch_leaf.grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"gradient of input {position}")
    torch_parameters = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad._data, torch_parameters[name].grad.numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)


# ----------------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_layers_match_pytorch_in_float64(name, kwargs, with_state):
    torch, theirs, ours = _torch_pair(name, kwargs, np.float64)
    _compare(torch, theirs, ours, _inputs(ours, True, with_state, np.float64), 1e-10, 1e-12)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS[::3])
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_inputs_match_pytorch(name, kwargs, with_state):
    torch, theirs, ours = _torch_pair(name, kwargs, np.float64)
    _compare(torch, theirs, ours, _inputs(ours, False, with_state, np.float64), 1e-10, 1e-12)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS[1::2])
def test_layers_match_pytorch_in_float32(name, kwargs):
    torch, theirs, ours = _torch_pair(name, kwargs, np.float32)
    _compare(torch, theirs, ours, _inputs(ours, True, True, np.float32), 1e-5, 1e-5)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_long_sequences_match_pytorch(name):
    """Longer than one block of jointly projected steps (16), and not a multiple of it."""
    kwargs = {"num_layers": 2, "bidirectional": True, "batch_first": True}
    torch, theirs, ours = _torch_pair(name, kwargs, np.float64)
    arrays = _inputs(ours, True, True, np.float64, length=37)
    _compare(torch, theirs, ours, arrays, 1e-9, 1e-11)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
def test_cells_match_pytorch(name, bias, batched, with_state):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kwargs = {"nonlinearity": "relu"} if name == "RNNCell" and bias else {}
    theirs = getattr(torch.nn, name)(FEATURES, HIDDEN, bias=bias, **kwargs).double()
    ours = getattr(nn, name)(FEATURES, HIDDEN, bias=bias, dtype=np.float64, **kwargs)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    rng = np.random.default_rng(3)
    lead = (BATCH,) if batched else ()
    arrays = [rng.standard_normal(lead + (FEATURES,))]
    if with_state:
        arrays += [rng.standard_normal(lead + (HIDDEN,)) for _ in range(1 + (name == "LSTMCell"))]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    torch_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    mine, reference = _call(ours, leaves), _call(theirs, torch_leaves)
    mine, reference = (list(mine), list(reference)) if name == "LSTMCell" else ([mine],
                                                                                [reference])
    for m, r in zip(mine, reference):
        np.testing.assert_allclose(m._data, r.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((m * (k + 1.5)).sum() for k, m in enumerate(mine)).backward()
    sum((r * (k + 1.5)).sum() for k, r in enumerate(reference)).backward()
    for leaf, torch_leaf in zip(leaves, torch_leaves):
        np.testing.assert_allclose(leaf.grad._data, torch_leaf.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
    torch_parameters = dict(theirs.named_parameters())
    for key, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad._data, torch_parameters[key].grad.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=key)


def test_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    for make in (lambda m: m.LSTM(3, 5, num_layers=2, batch_first=True, dropout=0.25,
                                  bidirectional=True, bias=False),
                 lambda m: m.GRU(3, 5), lambda m: m.RNN(2, 4, nonlinearity="relu"),
                 lambda m: m.RNNCell(2, 4, nonlinearity="relu", bias=False),
                 lambda m: m.LSTMCell(2, 4), lambda m: m.GRUCell(2, 4)):
        assert repr(make(nn)) == repr(make(torch.nn))


# ----------------------------------------------------------------------------- without PyTorch
def test_gradcheck_small_lstm_in_float64():
    """Central differences for the input, both initial states and every parameter of a
    two-layer bidirectional LSTM (the parameters swapped in as function inputs)."""
    tg.manual_seed(0)
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True, dtype=np.float64)
    names = [name for name, _ in layer.named_parameters()]
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    h0, c0 = (Tensor(rng.standard_normal((4, 2, 3)), requires_grad=True) for _ in range(2))

    def run(x, h0, c0, *weights):
        vars(layer).update(zip(names, weights))
        output, (h_n, c_n) = layer(x, (h0, c0))
        return tg.cat([output.reshape(-1), h_n.reshape(-1), c_n.reshape(-1)])

    weights = [Tensor(p._data.copy(), requires_grad=True) for p in layer.parameters()]
    assert tg.gradcheck(run, [x, h0, c0, *weights], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_gradcheck_small_rnn_and_gru(name):
    tg.manual_seed(1)
    layer = getattr(nn, name)(2, 3, bidirectional=True, dtype=np.float64)
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((4, 2)), requires_grad=True)  # unbatched
    h0 = Tensor(rng.standard_normal((2, 3)), requires_grad=True)

    def run(x, h0):
        output, h_n = layer(x, h0)
        return tg.cat([output.reshape(-1), h_n.reshape(-1)])

    assert tg.gradcheck(run, [x, h0], atol=1e-7, rtol=1e-6)


def test_lstm_hand_computed_step():
    """One step of a one-unit LSTM with every parameter 0.5: i = f = o = sigmoid(...),
    g = tanh(...), computed here by hand."""
    layer = nn.LSTM(1, 1, dtype=np.float64)
    for parameter in layer.parameters():
        nn.init.constant_(parameter, 0.5)
    output, (h, c) = layer(np.array([[[2.0]]]), (np.array([[[1.0]]]), np.array([[[-1.0]]])))
    pre = 0.5 * 2 + 0.5 * 1 + 0.5 + 0.5
    sig = 1 / (1 + np.exp(-pre))
    expected_c = sig * -1.0 + sig * np.tanh(pre)
    np.testing.assert_allclose(c._data, [[[expected_c]]], rtol=1e-14)
    np.testing.assert_allclose(h._data, [[[sig * np.tanh(expected_c)]]], rtol=1e-14)
    np.testing.assert_array_equal(output._data, h._data)


def test_sequence_layer_equals_its_cell_unrolled():
    tg.manual_seed(2)
    layer, cell = nn.GRU(3, 4, dtype=np.float64), nn.GRUCell(3, 4, dtype=np.float64)
    cell.load_state_dict({key[:-3]: value for key, value in layer.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((5, 2, 3))
    output, h_n = layer(x)
    h = None
    for t in range(5):
        h = cell(x[t], h)
        np.testing.assert_allclose(output._data[t], h._data, rtol=1e-14)
    np.testing.assert_allclose(h_n._data[0], h._data, rtol=1e-14)


def test_dropout_between_layers_only_in_training():
    tg.manual_seed(3)
    layer = nn.LSTM(3, 4, num_layers=2, dropout=1.0, dtype=np.float64)
    x = Tensor(np.random.default_rng(7).standard_normal((5, 2, 3)), requires_grad=True)
    output, _ = layer(x)
    output.sum().backward()
    # p = 1: the second layer sees zeros, so nothing flows back to the input
    np.testing.assert_array_equal(x.grad._data, 0)
    assert np.all(layer.weight_ih_l0.grad._data == 0)
    layer.eval()
    x.grad = None
    layer(x)[0].sum().backward()
    assert np.abs(x.grad._data).max() > 0
    undropped = nn.LSTM(3, 4, num_layers=2, dtype=np.float64)
    undropped.load_state_dict(layer.state_dict())
    np.testing.assert_array_equal(undropped(x)[0]._data, layer(x)[0]._data)


def test_default_init_is_pytorchs_and_reproducible():
    """Every parameter ~ U(-1/sqrt(hidden), 1/sqrt(hidden)), drawn from tg.manual_seed."""
    layer = nn.LSTM(10, 100, num_layers=2, bidirectional=True)
    bound = 1 / np.sqrt(100)
    for name, parameter in layer.named_parameters():
        assert parameter.dtype == np.float32, name
        assert np.abs(parameter._data).max() <= bound
        assert np.abs(parameter._data).max() > 0.9 * bound
    assert layer.weight_ih_l1.shape == (400, 200) and layer.bias_hh_l1_reverse.shape == (400,)
    assert len(layer.all_weights) == 4 and len(layer.all_weights[0]) == 4
    tg.manual_seed(7)
    first = [p._data.copy() for p in nn.GRUCell(3, 5).parameters()]
    tg.manual_seed(7)
    for a, b in zip(first, nn.GRUCell(3, 5).parameters()):
        np.testing.assert_array_equal(a, b._data)
    assert [name for name, _ in nn.RNN(2, 3, bias=False).named_parameters()] == [
        "weight_ih_l0", "weight_hh_l0"]


def test_an_lstm_learns_to_sum_a_sequence():
    tg.manual_seed(4)
    rng = np.random.default_rng(8)
    layer, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1)
    parameters = list(layer.parameters()) + list(head.parameters())
    optimizer = tg.optim.Adam(parameters, lr=0.02)
    losses = []
    for _ in range(60):
        x = rng.uniform(-1, 1, (16, 6, 1)).astype(np.float32)
        output, _ = layer(x)
        loss = ((head(output[:, -1]) - Tensor(x.sum(axis=1))) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:10])


def _f32(shape):  # float32, the layers' dtype (another dtype is its own error)
    return np.zeros(shape, np.float32)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, "proj_size"),  # must be < hidden_size
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "nonlinearity"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), ValueError, "nonlinearity"),
    (lambda: nn.GRU(3, 4, dropout=1.5), ValueError, "dropout"),
    (lambda: nn.GRU(3, 0), ValueError, "hidden_size"),
    (lambda: nn.GRU(3, 4)(_f32((5, 2, 2))), ValueError, r"input.size\(-1\) must be equal"),
    (lambda: nn.GRU(3, 4)(_f32((5, 2, 3)), _f32((1, 3, 4))), ValueError, "Expected hidden size"),
    (lambda: nn.LSTM(3, 4)(_f32((5, 3)), _f32((1, 4))), ValueError, "pair"),
    (lambda: nn.LSTM(3, 4)(_f32((5, 3)), (_f32((1, 4)), _f32((2, 4)))),
     ValueError, r"Expected hidden\[1\] size"),
    (lambda: nn.LSTMCell(3, 4)(_f32((2, 3)), (_f32((2, 4)), _f32(4))),
     ValueError, "c"),
    (lambda: nn.RNNCell(3, 4)(_f32((2, 5))), ValueError, "inconsistent input_size"),
    (lambda: nn.RNN(3, 4)(_f32((0, 2, 3))), ValueError, "larger than 0"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dropout_with_one_layer_warns_as_pytorch():
    with pytest.warns(UserWarning, match="num_layers"):
        nn.LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(3, 4, num_layers=2, dropout=0.5)


def test_pad_sequence_as_pytorch():
    torch = pytest.importorskip("torch")
    from tinygrad_np.nn.utils.rnn import pad_sequence

    arrays = [np.arange(6.0).reshape(3, 2), np.ones((1, 2)), np.full((2, 2), 5.0)]
    for kwargs in ({}, {"batch_first": True, "padding_value": -1.0},
                   {"batch_first": True, "padding_side": "left"}):
        ours = pad_sequence([tg.tensor(a) for a in arrays], **kwargs)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(a) for a in arrays], **kwargs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    leaf = tg.tensor(arrays[1], requires_grad=True)
    tg.nn.utils.rnn.pad_sequence([tg.tensor(arrays[0]), leaf]).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.ones((1, 2)))
    # packed sequences: tests/test_port_round3.py


def test_flatten_parameters_is_accepted_as_in_pytorch_models():
    lstm = nn.LSTM(3, 4, batch_first=True)
    before = [p.numpy().copy() for p in lstm.parameters()]
    assert lstm.flatten_parameters() is None
    assert all(np.array_equal(a, p.numpy()) for a, p in zip(before, lstm.parameters()))
    assert lstm(tg.zeros(2, 5, 3))[0].shape == (2, 5, 4)
