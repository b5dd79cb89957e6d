"""Round 17 (d): sequence models as people write them. PyTorch's error text and types for
RNN/LSTM/GRU and their cells (wrong input or state shapes, bad constructor arguments, the
one-layer dropout warning), TransformerEncoder's enable_nested_tensor warning, and
F.scaled_dot_product_attention's refusals (inputs under 2-D, attn_mask with is_causal on
non-4-D inputs, masks that do not broadcast)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn

try:
    import torch
except ImportError:
    torch = None


def _raises_like_torch(ours, theirs, error, message):
    """`ours` raises `error` matching `message`; PyTorch's `theirs` too, when installed."""
    with pytest.raises(error, match=message):
        ours()
    if torch is not None:
        with pytest.raises(error, match=message):
            theirs()


def _z(lib, *shape, dtype=None):
    return lib.zeros(*shape) if dtype is None else lib.zeros(*shape, dtype=dtype)


# ---- 1. RNN/LSTM/GRU: PyTorch's messages for wrong input and state shapes ----------------------
FULL = [  # (layer, args, input shape, state shapes or None, error, PyTorch's message)
    ("GRU", (4, 3, 2), (5, 2, 5), None, RuntimeError,
     r"^input.size\(-1\) must be equal to input_size. Expected 4, got 5$"),
    ("LSTM", (4, 3), (5, 5), None, RuntimeError,
     r"^input.size\(-1\) must be equal to input_size. Expected 4, got 5$"),
    ("RNN", (4, 3), (5, 2, 4, 1), None, ValueError,
     r"^RNN: Expected input to be 2D or 3D, got 4D tensor instead$"),
    ("LSTM", (4, 3), (4,), None, ValueError,
     r"^LSTM: Expected input to be 2D or 3D, got 1D instead$"),
    ("GRU", (4, 3), (5, 2, 4, 1), None, ValueError,
     r"^GRU: Expected input to be 2D or 3D, got 4D instead$"),
    ("RNN", (4, 3, 2), (5, 2, 4), [(1, 2, 3)], RuntimeError,
     r"^Expected hidden size \(2, 2, 3\), got \[1, 2, 3\]$"),
    ("GRU", (4, 3, 2), (5, 4), [(2, 4)], RuntimeError,
     r"^Expected hidden size \(2, 1, 3\), got \[2, 1, 4\]$"),
    ("GRU", (4, 3, 2), (5, 2, 4), [(2, 3)], RuntimeError,
     r"^For batched 3-D input, hx should also be 3-D but got 2-D tensor$"),
    ("RNN", (4, 3, 2), (5, 4), [(2, 1, 3)], RuntimeError,
     r"^For unbatched 2-D input, hx should also be 2-D but got 3-D tensor$"),
    ("LSTM", (4, 3, 2), (5, 2, 4), [(1, 2, 3), (2, 2, 3)], RuntimeError,
     r"^Expected hidden\[0\] size \(2, 2, 3\), got \[1, 2, 3\]$"),
    ("LSTM", (4, 3, 2), (5, 2, 4), [(2, 2, 3), (2, 3, 3)], RuntimeError,
     r"^Expected hidden\[1\] size \(2, 2, 3\), got \[2, 3, 3\]$"),
    ("LSTM", (4, 3, 2), (5, 2, 4), [(2, 2, 3), (2, 3)], RuntimeError,
     r"^For batched 3-D input, hx and cx should also be 3-D but got \(3-D, 2-D\) tensors$"),
    ("LSTM", (4, 3, 2), (5, 4), [(2, 1, 3), (2, 1, 3)], RuntimeError,
     r"^For unbatched 2-D input, hx and cx should also be 2-D but got \(3-D, 3-D\) tensors$"),
    ("RNN", (4, 3), (0, 2, 4), None, RuntimeError,
     r"^Expected sequence length to be larger than 0 in RNN$"),
]


@pytest.mark.parametrize(("layer", "args", "shape", "states", "error", "message"), FULL)
def test_recurrent_layer_shape_errors_are_pytorchs(layer, args, shape, states, error, message):
    def call(lib):
        module = getattr(lib.nn, layer)(*args)
        given = [] if states is None else [_z(lib, *s) for s in states]
        hx = (tuple(given) if layer == "LSTM" else given[0]) if given else None
        return lambda: module(_z(lib, *shape), hx)
    _raises_like_torch(call(tg), call(torch) if torch is not None else None, error, message)


def test_packed_input_with_the_wrong_features_is_pytorchs_error():
    pack = nn.utils.rnn.pack_sequence([tg.zeros(3, 5), tg.zeros(2, 5)])
    with pytest.raises(RuntimeError, match=r"^input.size\(-1\) must be equal to input_size. "
                                           r"Expected 4, got 5$"):
        nn.GRU(4, 3)(pack)


CELLS = [  # (cell, input shape, state shapes or None, error, PyTorch's message)
    ("RNNCell", (2, 5), None, RuntimeError,
     r"^input has inconsistent input_size: got 5 expected 4$"),
    ("GRUCell", (2, 2, 4), None, ValueError,
     r"^GRUCell: Expected input to be 1D or 2D, got 3D instead$"),
    ("RNNCell", (2, 4), [(3, 3)], RuntimeError,
     r"^Input batch size 2 doesn't match hidden0 batch size 3$"),
    ("GRUCell", (2, 4), [(2, 4)], RuntimeError,
     r"^hidden0 has inconsistent hidden_size: got 4, expected 3$"),
    ("GRUCell", (2, 4), [(2, 2, 3)], ValueError,
     r"^GRUCell: Expected hidden to be 1D or 2D, got 3D instead$"),
    ("LSTMCell", (2, 4), [(2, 3), (3, 3)], RuntimeError,
     r"^Input batch size 2 doesn't match hidden1 batch size 3$"),
    ("LSTMCell", (2, 4), [(2, 3), (2, 4)], RuntimeError,
     r"^hidden1 has inconsistent hidden_size: got 4, expected 3$"),
    ("LSTMCell", (2, 4), [(2, 2, 3), (2, 3)], ValueError,
     r"^LSTMCell: Expected hx\[0\] to be 1D or 2D, got 3D instead$"),
]


@pytest.mark.parametrize(("cell", "shape", "states", "error", "message"), CELLS)
def test_cell_shape_errors_are_pytorchs(cell, shape, states, error, message):
    def call(lib):
        module = getattr(lib.nn, cell)(4, 3)
        given = [] if states is None else [_z(lib, *s) for s in states]
        hx = (tuple(given) if cell == "LSTMCell" else given[0]) if given else None
        return lambda: module(_z(lib, *shape), hx)
    _raises_like_torch(call(tg), call(torch) if torch is not None else None, error, message)


CONSTRUCTORS = [  # (layer, args, kwargs, error, PyTorch's message)
    ("GRU", (4, 3, 2), {"dropout": 1.5}, ValueError,
     r"^dropout should be a number in range \[0, 1\] representing the probability"),
    ("LSTM", (4, 3, 2), {"dropout": True}, ValueError, r"^dropout should be a number"),
    ("RNN", (4, 3, 0), {}, ValueError, r"^num_layers must be greater than zero$"),
    ("LSTM", (4, 0), {}, ValueError, r"^hidden_size must be greater than zero$"),
    ("GRU", (4.0, 3), {}, TypeError, r"^input_size should be of type int, got: float$"),
    ("RNN", (4, 3), {"bias": 1}, TypeError, r"^bias should be of type bool, got: int$"),
    ("GRU", (4, 3), {"batch_first": None}, TypeError,
     r"^batch_first should be of type bool, got: NoneType$"),
    ("RNN", (4, 3), {"nonlinearity": "sig"}, ValueError,
     r"^Unknown nonlinearity 'sig'. Select from 'tanh' or 'relu'.$"),
]


@pytest.mark.parametrize(("layer", "args", "kwargs", "error", "message"), CONSTRUCTORS)
def test_constructor_errors_are_pytorchs(layer, args, kwargs, error, message):
    _raises_like_torch(lambda: getattr(nn, layer)(*args, **kwargs),
                       lambda: getattr(torch.nn, layer)(*args, **kwargs), error, message)


def test_rnncell_unknown_nonlinearity_names_it():
    with pytest.raises(RuntimeError, match="^Unknown nonlinearity: gelu$"):
        nn.RNNCell(4, 3, nonlinearity="gelu")


@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_one_layer_dropout_warning_is_pytorchs(layer):
    text = ("dropout option adds dropout after all but last recurrent layer, so non-zero "
            "dropout expects num_layers greater than 1, but got dropout=0.5 and num_layers=1")
    for lib in (tg,) if torch is None else (tg, torch):
        with pytest.warns(UserWarning) as record:
            getattr(lib.nn, layer)(4, 3, dropout=0.5)
        assert [str(w.message) for w in record] == [text]
        assert lib is torch or record[0].filename == __file__  # at the caller


def test_good_states_still_run_after_the_checks():
    lstm = nn.LSTM(4, 3, 2, proj_size=2)
    out, (h, c) = lstm(tg.ones(5, 4), (tg.zeros(2, 2), tg.zeros(2, 3)))  # unbatched
    assert out.shape == (5, 2) and h.shape == (2, 2) and c.shape == (2, 3)
    cell = nn.LSTMCell(4, 3)
    h, c = cell(tg.ones(4), (tg.zeros(3), tg.zeros(3)))
    assert h.shape == (3,) and c.shape == (3,)


# ---- 2. TransformerEncoder: PyTorch's enable_nested_tensor warning ----------------------------
NESTED = [  # (layer kwargs, PyTorch's reason)
    ({"batch_first": False}, "encoder_layer.self_attn.batch_first was not True(use batch_first "
                             "for better inference performance)"),
    ({"batch_first": True, "norm_first": True}, "encoder_layer.norm_first was True"),
    ({"batch_first": True, "bias": False}, "encoder_layer.self_attn was passed bias=False"),
    ({"batch_first": True, "activation": "__lambda__"},
     "encoder_layer.activation_relu_or_gelu was not True"),
]


@pytest.mark.parametrize(("kwargs", "reason"), NESTED)
def test_encoder_warns_when_the_nested_path_is_ruled_out(kwargs, reason):
    for lib in (tg,) if torch is None else (tg, torch):
        given = {k: ((lambda x: x) if v == "__lambda__" else v) for k, v in kwargs.items()}
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, **given)
        with pytest.warns(UserWarning) as record:
            encoder = lib.nn.TransformerEncoder(layer, 2)
        assert [str(w.message) for w in record] == [
            f"enable_nested_tensor is True, but self.use_nested_tensor is False because {reason}"]
        assert encoder.use_nested_tensor is False
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning when the path is turned off
            lib.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


def test_encoder_allowing_the_nested_path_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        assert nn.TransformerEncoder(layer, 2).use_nested_tensor is True


# ---- 3. F.scaled_dot_product_attention: PyTorch's refusals ------------------------------------
def _sdpa(lib, q, k, v, **kw):
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


def test_sdpa_refuses_inputs_under_two_dims():
    for lib in (tg,) if torch is None else (tg, torch):
        x = lib.ones(4)
        with pytest.raises(RuntimeError, match="at least 2 dimensional, but got query.dim: 1"):
            _sdpa(lib, x, x, x)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_sdpa_refuses_a_mask_with_is_causal_below_four_dims(shape):
    for lib in (tg,) if torch is None else (tg, torch):
        x = lib.ones(*shape)
        mask = lib.ones(3, 3, dtype=lib.bool)
        with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when "
                                               "is_causal=True"):
            _sdpa(lib, x, x, x, attn_mask=mask, is_causal=True)


@pytest.mark.parametrize("case", ["dropout", "value head size", "mask requires grad"])
def test_sdpa_mask_with_is_causal_outside_the_fused_kernel_raises(case):
    for lib in (tg,) if torch is None else (tg, torch):
        q = lib.ones(1, 2, 3, 4)
        v = lib.ones(1, 2, 3, 6) if case == "value head size" else q
        mask = lib.zeros(3, 3, requires_grad=case == "mask requires grad")
        with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
            _sdpa(lib, q, q, v, attn_mask=mask, is_causal=True,
                  dropout_p=0.5 if case == "dropout" else 0.0)


def test_sdpa_four_dims_applies_both_mask_and_is_causal():
    q = np.arange(24, dtype=np.float64).reshape(1, 2, 3, 4) / 10
    keep = np.array([[True, True, True], [False, True, True], [True, True, True]])
    out = _sdpa(tg, tg.tensor(q), tg.tensor(q), tg.tensor(q), attn_mask=tg.tensor(keep),
                is_causal=True).numpy()
    # row 0 sees key 0; row 1 only key 1 (key 0 masked, key 2 in the future): their values
    np.testing.assert_allclose(out[..., 0, :], q[..., 0, :], rtol=1e-12)
    np.testing.assert_allclose(out[..., 1, :], q[..., 1, :], rtol=1e-12)
    if torch is not None:
        theirs = _sdpa(torch, torch.tensor(q), torch.tensor(q), torch.tensor(q),
                       attn_mask=torch.tensor(keep), is_causal=True).numpy()
        np.testing.assert_allclose(out, theirs, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["bool", "float64"])
def test_sdpa_mask_that_does_not_broadcast_names_the_shapes(dtype):
    x = tg.ones(2, 3, 4, dtype=tg.float64)
    mask = tg.ones(2, 3, dtype=getattr(tg, dtype))
    with pytest.raises(RuntimeError, match=r"scaled_dot_product_attention: attn_mask of shape "
                                           r"\(2, 3\) does not broadcast .*\(2, 3, 3\)"):
        _sdpa(tg, x, x, x, attn_mask=mask)


# ---- 4. attention masks: PyTorch's deprecation warning for a bool/float pair, dtype errors -----
def _mixed_masks(lib):
    padding = lib.tensor([[False, False, True], [False, True, True]])
    causal = lib.nn.Transformer.generate_square_subsequent_mask(3)  # float
    return padding, causal


def _warnings_of(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in record]


def _mismatch(first, second):
    return (f"Support for mismatched {first} and {second} is deprecated. Use same type for both "
            "instead.")


def _attend_with_mixed_masks(lib, where):
    lib.manual_seed(0)
    padding, causal = _mixed_masks(lib)
    x = lib.ones(2, 3, 8)
    layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    if where == "mha":
        mha = lib.nn.MultiheadAttention(8, 2, batch_first=True)
        return mha(x, x, x, key_padding_mask=padding, attn_mask=causal)
    if where == "encoder_layer":
        return layer(x, src_mask=causal, src_key_padding_mask=padding)
    if where == "encoder":
        return lib.nn.TransformerEncoder(layer, 2)(x, mask=causal, src_key_padding_mask=padding)
    decoder = lib.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return decoder(x, x, tgt_mask=causal, tgt_key_padding_mask=padding)


@pytest.mark.parametrize(("where", "first", "second"), [
    ("mha", "key_padding_mask", "attn_mask"),
    ("encoder_layer", "src_key_padding_mask", "src_mask"),
    ("encoder", "src_key_padding_mask", "mask"),
    ("decoder_layer", "key_padding_mask", "attn_mask"),
])
def test_bool_padding_with_float_mask_warns_once_as_pytorch(where, first, second):
    for lib in (tg,) if torch is None else (tg, torch):
        got = _warnings_of(lambda lib=lib: _attend_with_mixed_masks(lib, where))
        assert got == [_mismatch(first, second)], lib.__name__


def test_same_dtype_masks_do_not_warn_and_keep_values():
    padding, causal = _mixed_masks(tg)
    float_padding = tg.zeros(2, 3).masked_fill(padding, float("-inf"))
    tg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    x = tg.randn(2, 3, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = layer(x, src_mask=causal, src_key_padding_mask=float_padding)
    with pytest.warns(UserWarning, match="Support for mismatched"):
        mixed = layer(x, src_mask=causal, src_key_padding_mask=padding)
    np.testing.assert_array_equal(quiet.numpy(), mixed.numpy())


def test_integer_mask_is_pytorchs_assertion_error():
    mha = nn.MultiheadAttention(8, 2)
    x = tg.ones(3, 2, 8)
    for kw in ({"key_padding_mask": tg.zeros(2, 3, dtype=tg.int64)},
               {"attn_mask": tg.zeros(3, 3, dtype=tg.int64)}):
        with pytest.raises(AssertionError, match="only bool and floating types of"):
            mha(x, x, x, **kw)
        with pytest.raises(TypeError, match="only bool and floating types of"):
            mha(x, x, x, **kw)
        if torch is not None:
            tm = torch.nn.MultiheadAttention(8, 2)
            t_kw = {k: torch.zeros(*v.shape, dtype=torch.int64) for k, v in kw.items()}
            with pytest.raises(AssertionError, match="only bool and floating types of"):
                tm(torch.ones(3, 2, 8), torch.ones(3, 2, 8), torch.ones(3, 2, 8), **t_kw)


# ---- 5. Embedding's argument checks are PyTorch's AssertionError ------------------------------
@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Embedding(6, 3, padding_idx=6),
    lambda lib: lib.nn.Embedding(6, 3, padding_idx=-7),
    lambda lib: lib.nn.EmbeddingBag(6, 3, padding_idx=6),
    lambda lib: lib.nn.Embedding(5, 3, _weight=lib.ones(4, 3)),
    lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)),
    lambda lib: lib.nn.EmbeddingBag.from_pretrained(lib.ones(3)),
    lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(5, 3), padding_idx=7),
])
def test_embedding_argument_errors_are_assertion_errors(make):
    for lib in (tg,) if torch is None else (tg, torch):
        with pytest.raises(AssertionError):
            make(lib)
    with pytest.raises(ValueError):  # and still the library's ValueError
        make(tg)


# ---- 6. PyTorch's helper names on the layers (AWD-LSTM style code calls them) -----------------
ALL_WEIGHTS_LSTM = [  # LSTM(4, 3, 2, bidirectional=True, proj_size=2)._all_weights, PyTorch's
    [f"{k}_l{layer}{suffix}" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]
    for layer in (0, 1) for suffix in ("", "_reverse")]


def test_rnn_all_weights_names_and_helpers():
    lstm = nn.LSTM(4, 3, 2, bidirectional=True, proj_size=2)
    assert lstm._all_weights == ALL_WEIGHTS_LSTM
    assert [[tuple(w.shape) for w in group] for group in lstm.all_weights][2] == [
        (12, 4), (12, 2), (12,), (12,), (2, 3)]
    assert lstm.get_expected_cell_size(tg.ones(5, 2, 4), None) == (4, 2, 3)
    lstm._init_flat_weights()
    lstm._update_flat_weights()
    assert lstm._weights_have_changed() is False
    gru = nn.GRU(4, 3, bias=False)
    assert gru._all_weights == [["weight_ih_l0", "weight_hh_l0"]]
    if torch is not None:
        theirs = torch.nn.LSTM(4, 3, 2, bidirectional=True, proj_size=2)
        assert theirs._all_weights == ALL_WEIGHTS_LSTM
        assert theirs.get_expected_cell_size(torch.ones(5, 2, 4), None) == (4, 2, 3)
        assert torch.nn.GRU(4, 3, bias=False)._all_weights == gru._all_weights


@pytest.mark.parametrize("layer", ["Embedding", "EmbeddingBag"])
def test_fill_padding_idx_with_zero(layer):
    module = getattr(nn, layer)(5, 3, padding_idx=2)
    module.weight.data.fill_(1.0)
    module._fill_padding_idx_with_zero()
    assert module.weight.tolist() == [[1.0] * 3] * 2 + [[0.0] * 3] + [[1.0] * 3] * 2
    assert module.weight.requires_grad and module.weight.grad_fn is None
    getattr(nn, layer)(5, 3)._fill_padding_idx_with_zero()  # no padding_idx: nothing to do


# ---- 7. MultiheadAttention: PyTorch's checks of key, value and attn_mask shapes ----------------
MHA_ERRORS = [  # (MHA kwargs, query, key, value shapes, attn_mask shape, error, message)
    ({}, (4, 2, 8), (4, 2, 5), (4, 2, 8), None, AssertionError,
     r"key shape .*4, 2, 5.* does not match value shape .*4, 2, 8"),
    ({}, (4, 2, 8), (3, 2, 8), (4, 2, 8), None, AssertionError,
     r"key shape .*3, 2, 8.* does not match value shape"),
    ({"kdim": 5, "vdim": 6}, (4, 2, 8), (3, 2, 5), (4, 2, 6), None, AssertionError,
     r"key's sequence and batch dims .*3, 2.* do not match value's .*4, 2"),
    ({}, (4, 2, 8), (4, 2, 8), (4, 2, 8), (3, 4), RuntimeError,
     r"The shape of the 2D attn_mask is .*3, 4.*, but should be \(4, 4\)\."),
    ({}, (4, 2, 8), (4, 2, 8), (4, 2, 8), (3, 4, 4), RuntimeError,
     r"The shape of the 3D attn_mask is .*3, 4, 4.*, but should be \(4, 4, 4\)\."),
]


@pytest.mark.parametrize(("kw", "q", "k", "v", "mask", "error", "message"), MHA_ERRORS)
def test_mha_shape_errors_are_pytorchs(kw, q, k, v, mask, error, message):
    for lib in (tg,) if torch is None else (tg, torch):
        mha = lib.nn.MultiheadAttention(8, 2, **kw)
        attn_mask = None if mask is None else lib.zeros(*mask, dtype=lib.bool)
        with pytest.raises(error, match=message):
            mha(lib.ones(*q), lib.ones(*k), lib.ones(*v), attn_mask=attn_mask)


# ---- 8. CTC: lengths must be integers; PyTorch's older reduction name --------------------------
def _ctc_inputs(lib):
    log_probs = lib.tensor(np.linspace(-2, 1, 48).reshape(6, 2, 4)).log_softmax(-1)
    return log_probs, lib.tensor([[1, 2], [3, 1]])


@pytest.mark.parametrize("lengths", ["float list", "float tensor"])
def test_ctc_fractional_lengths_are_refused_not_rounded(lengths):
    log_probs, targets = _ctc_inputs(tg)
    given = [5.5, 6.0] if lengths == "float list" else tg.tensor([5.0, 6.0])
    with pytest.raises(TypeError, match="ctc_loss: input_lengths must be integers"):
        tg.nn.functional.ctc_loss(log_probs, targets, given, [2, 2])
    with pytest.raises(TypeError, match="ctc_loss: target_lengths must be integers"):
        tg.nn.functional.ctc_loss(log_probs, targets, [6, 6], given)
    if torch is not None:
        t_log_probs, t_targets = _ctc_inputs(torch)
        t_given = [5.5, 6.0] if lengths == "float list" else torch.tensor([5.0, 6.0])
        with pytest.raises(TypeError):
            torch.nn.functional.ctc_loss(t_log_probs, t_targets, t_given, [2, 2])


def test_ctc_integer_lengths_of_every_form_agree():
    log_probs, targets = _ctc_inputs(tg)
    forms = [[6, 5], (6, 5), tg.tensor([6, 5]), tg.tensor([6, 5], dtype=tg.int32),
             np.array([6, 5])]
    values = [tg.nn.functional.ctc_loss(log_probs, targets, form, [2, 1]).item()
              for form in forms]
    assert len(set(values)) == 1
    if torch is not None:
        t_log_probs, t_targets = _ctc_inputs(torch)
        theirs = torch.nn.functional.ctc_loss(t_log_probs, t_targets, [6, 5], [2, 1]).item()
        assert values[0] == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("loss", ["ctc", "mse", "cross_entropy"])
def test_elementwise_mean_is_mean_with_pytorchs_warning(loss):
    def run(lib, reduction):
        F = lib.nn.functional
        if loss == "ctc":
            log_probs, targets = _ctc_inputs(lib)
            return F.ctc_loss(log_probs, targets, [6, 6], [2, 2], reduction=reduction).item()
        x = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4))
        if loss == "mse":
            return F.mse_loss(x, x * 0.5, reduction=reduction).item()
        return F.cross_entropy(x, lib.tensor([0, 3, 1]), reduction=reduction).item()
    for lib in (tg,) if torch is None else (tg, torch):
        with pytest.warns(UserWarning, match="reduction='elementwise_mean' is deprecated. "
                                             "Please use reduction='mean' instead."):
            value = run(lib, "elementwise_mean")
        assert value == run(lib, "mean")


def test_pad_packed_sequence_total_length_must_be_an_int():
    packed = nn.utils.rnn.pack_sequence([tg.ones(3, 2), tg.ones(2, 2)])
    with pytest.raises(TypeError, match="pad_packed_sequence: total_length must be int, not "
                                        "float"):
        nn.utils.rnn.pad_packed_sequence(packed, total_length=5.0)
    assert nn.utils.rnn.pad_packed_sequence(packed, total_length=np.int64(5))[0].shape == (5, 2, 2)
    if torch is not None:
        theirs = torch.nn.utils.rnn.pack_sequence([torch.ones(3, 2), torch.ones(2, 2)])
        with pytest.raises(TypeError, match="total_length.*must be int, not float"):
            torch.nn.utils.rnn.pad_packed_sequence(theirs, total_length=5.0)


@pytest.mark.parametrize(("embed_dim", "num_heads"), [(8, 0), (0, 2), (-4, 2)])
def test_mha_nonpositive_sizes_are_pytorchs_value_error(embed_dim, num_heads):
    message = (f"^embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
               f"num_heads={num_heads} instead$")
    _raises_like_torch(lambda: nn.MultiheadAttention(embed_dim, num_heads),
                       lambda: torch.nn.MultiheadAttention(embed_dim, num_heads),
                       ValueError, message)


@pytest.mark.parametrize(("kw", "message"), [
    ({"blank": 4}, r"blank must be in label range"),
    ({"input_lengths": [6]}, r"input_lengths must be of size batch_size"),
    ({"target_lengths": [2, 2, 2]}, r"target_lengths must be of size batch_size"),
])
def test_ctc_argument_errors_use_pytorchs_words(kw, message):
    for lib in (tg,) if torch is None else (tg, torch):
        log_probs, targets = _ctc_inputs(lib)
        args = {"input_lengths": [6, 6], "target_lengths": [2, 2], **kw}
        with pytest.raises(RuntimeError, match=message):
            lib.nn.functional.ctc_loss(log_probs, targets, **args)
