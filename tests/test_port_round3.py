"""Gaps found by porting a third round of everyday PyTorch scripts (parameter groups,
collate_fn, schedulers, checkpoints, CNN, packed LSTM classifier, attention, autoencoder,
early stopping, metrics, fine-tuning, samplers, seq2seq, mixed precision, spatial
transformer): each test fails without its fix and compares with PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np.nn.utils import rnn as rnn_utils
from tinygrad_np.utils import data


# ----------------------------------------------------------------- packed sequences
def test_pack_padded_sequence_layout():
    x = tg.arange(12.0).reshape(3, 4, 1)  # (B, T, 1), batch_first
    packed = rnn_utils.pack_padded_sequence(x, [2, 4, 1], batch_first=True,
                                            enforce_sorted=False)
    # PyTorch's layout: steps one after another, each over the sequences still running
    assert packed.data[:, 0].tolist() == [4.0, 0.0, 8.0, 5.0, 1.0, 6.0, 7.0]
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    assert packed.unsorted_indices.tolist() == [1, 0, 2]
    assert packed.batch_sizes.dtype == np.int64
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True,
                                                    padding_value=-1.0, total_length=5)
    assert lengths.tolist() == [2, 4, 1] and lengths.dtype == np.int64
    assert padded[:, :, 0].tolist() == [[0, 1, -1, -1, -1], [4, 5, 6, 7, -1],
                                        [8, -1, -1, -1, -1]]
    seqs = rnn_utils.unpack_sequence(rnn_utils.pack_sequence(
        [tg.ones(1, 2), tg.ones(3, 2)], enforce_sorted=False))
    assert [tuple(s.shape) for s in seqs] == [(1, 2), (3, 2)]
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [2, 4, 1], batch_first=True)
    with pytest.raises(RuntimeError, match="every length must be in 1..4"):
        rnn_utils.pack_padded_sequence(x, [2, 0, 1], batch_first=True, enforce_sorted=False)
    with pytest.raises(ValueError, match="total_length=3 is less than"):
        rnn_utils.pad_packed_sequence(packed, total_length=3)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_rnns_take_packed_sequences_as_pytorch(kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    theirs = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    ours = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    lengths = [3, 5, 1, 5, 2]  # unsorted, with a tie
    x = rng.normal(size=(5, 5, 3)).astype(np.float32)
    h0 = rng.normal(size=(4, 5, 4)).astype(np.float32)
    tx, ox = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    tp = torch.nn.utils.rnn.pack_padded_sequence(tx, lengths, batch_first=True,
                                                 enforce_sorted=False)
    op = rnn_utils.pack_padded_sequence(ox, lengths, batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(op.data.numpy(), tp.data.detach().numpy())
    state_t, state_o = torch.tensor(h0), tg.tensor(h0)
    if kind == "LSTM":
        state_t, state_o = (state_t, state_t * 0.5), (state_o, state_o * 0.5)
    out_t, h_t = theirs(tp, state_t)
    out_o, h_o = ours(op, state_o)
    assert isinstance(out_o, rnn_utils.PackedSequence)
    pad_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first=True)
    pad_o, _ = rnn_utils.pad_packed_sequence(out_o, batch_first=True)
    if kind == "LSTM":
        h_t, h_o = h_t[0], h_o[0]
    np.testing.assert_allclose(pad_o.numpy(), pad_t.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(h_o.numpy(), h_t.detach().numpy(), atol=1e-5)
    weights = rng.normal(size=tuple(pad_t.shape)).astype(np.float32)
    ((pad_t * torch.tensor(weights)).sum() + h_t.sum()).backward()
    ((pad_o * tg.tensor(weights)).sum() + h_o.sum()).backward()
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.weight_hh_l0_reverse.grad.numpy(),
                               theirs.weight_hh_l0_reverse.grad.numpy(), atol=1e-4)


def test_packed_final_state_is_each_sequences_last_step():
    """Without PyTorch: h_n of a packed batch equals running each sequence alone."""
    tg.manual_seed(0)
    gru = nn.GRU(2, 3, bidirectional=True)
    seqs = [tg.randn(n, 2) for n in (2, 4, 3)]
    _, h_n = gru(rnn_utils.pack_sequence(seqs, enforce_sorted=False))
    for b, seq in enumerate(seqs):
        _, alone = gru(seq)  # unbatched (L, H_in)
        np.testing.assert_allclose(h_n[:, b].numpy(), alone.numpy(), atol=1e-6)


# ----------------------------------------------------------------- data, init, state dicts
def test_default_collate_of_ragged_samples_raises_pytorchs_runtime_error():
    loader = data.DataLoader([(tg.ones(2), 0), (tg.ones(3), 1)], batch_size=2)
    with pytest.raises(RuntimeError, match=r"equal size, but got \[2\] at entry 0 and \[3\] at "
                                           r"entry 1.*collate_fn"):
        next(iter(loader))
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([np.zeros(2), np.zeros(3)])


def test_calculate_gain_of_linear_layers_is_the_int_1():
    for name in ("linear", "conv2d", "sigmoid"):
        gain = nn.init.calculate_gain(name)
        assert gain == 1 and type(gain) is int and str(gain) == "1"  # as PyTorch prints it


def test_load_state_dict_errors_are_runtime_errors():
    layer = nn.Linear(4, 8)
    for bad in ({"weight": np.zeros((3, 4), np.float32), "bias": np.zeros(8, np.float32)}, {}):
        with pytest.raises(RuntimeError, match="Error.s. in loading state_dict for Linear"):
            layer.load_state_dict(bad)  # `except RuntimeError` in a PyTorch script
        with pytest.raises(ValueError):
            layer.load_state_dict(bad)


# ----------------------------------------------------------------- mixed precision, compile
def _scaler_run(torch_module, growth_interval=2):
    """A CPU GradScaler over steps whose third has an infinite gradient."""
    layer = torch_module.nn.Linear(2, 1)
    with torch_module.no_grad():
        layer.weight.copy_(torch_module.tensor([[0.5, -0.25]]))
        layer.bias.zero_()
    opt = torch_module.optim.SGD(layer.parameters(), lr=0.1)
    scaler = torch_module.amp.GradScaler("cpu", init_scale=8.0, growth_interval=growth_interval)
    scales, weights = [], []
    for step in range(5):
        opt.zero_grad()
        x = torch_module.tensor([[1.0, float("inf") if step == 2 else 2.0]])
        with torch_module.autocast(device_type="cpu", enabled=False):
            loss = layer(x).sum()
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        weights.append(layer.weight.detach().numpy().copy())
    return scales, weights, scaler.state_dict()


def test_grad_scaler_on_the_cpu_as_pytorch():
    scales, weights, state = _scaler_run(tg)
    assert scales == [8.0, 16.0, 8.0, 8.0, 16.0]  # grows every 2 clean steps, halves on inf
    np.testing.assert_array_equal(weights[2], weights[1])  # the inf step is skipped
    np.testing.assert_allclose(weights[0], [[0.4, -0.45]])  # unscaled: lr * grad
    assert state["scale"] == 16.0 and state["_growth_tracker"] == 0
    torch = pytest.importorskip("torch")
    their_scales, their_weights, their_state = _scaler_run(torch)
    assert scales == their_scales
    np.testing.assert_allclose(np.array(weights), np.array(their_weights), rtol=1e-6)
    assert state == their_state


def test_cuda_amp_spellings_disable_themselves_and_compile_is_the_identity():
    layer = nn.Linear(2, 1)
    opt = tg.optim.SGD(layer.parameters(), lr=0.1)
    with pytest.warns(FutureWarning, match="deprecated"), \
            pytest.warns(UserWarning, match="Disabling"):
        scaler = tg.cuda.amp.GradScaler()  # PyTorch without CUDA: a warning, then off
    with pytest.warns(UserWarning, match="Disabling"):
        context = tg.autocast(device_type="cuda", dtype=tg.float16)
    before = layer.weight.numpy().copy()
    with context:
        loss = layer(tg.ones(1, 2)).sum()
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0
    loss.backward()
    scaler.step(opt)  # a plain optimizer step
    scaler.update()
    assert not np.array_equal(layer.weight.numpy(), before)
    assert scaler.state_dict() == {} and not scaler.is_enabled()
    assert not tg.amp.GradScaler("cuda", enabled=False).is_enabled()
    assert tg.compile(layer)._orig_mod is layer and tg.compile(mode="max-autotune")(len) is len
    with pytest.raises(RuntimeError, match="already been called"):
        cpu = tg.amp.GradScaler("cpu")
        cpu.scale(loss)  # (without it, unscale_ is PyTorch's AssertionError)
        cpu.unscale_(opt)
        cpu.unscale_(opt)


# ----------------------------------------------------------------- spatial transformer
def test_affine_grid_and_grid_sample_without_pytorch():
    image = tg.arange(12.0).reshape(1, 1, 3, 4)
    identity = tg.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    for corners in (False, True):
        grid = nn.functional.affine_grid(identity, (1, 1, 3, 4), align_corners=corners)
        assert tuple(grid.shape) == (1, 3, 4, 2)
        same = nn.functional.grid_sample(image, grid, align_corners=corners)
        np.testing.assert_allclose(same.numpy(), image.numpy(), atol=1e-5)
    # half a pixel to the right (x + 1/4 of the width 4 ... in [-1, 1] units: 2/4 per pixel)
    shift = tg.tensor([[[1.0, 0.0, 0.25], [0.0, 1.0, 0.0]]])
    moved = nn.functional.grid_sample(image, nn.functional.affine_grid(
        shift, (1, 1, 3, 4), align_corners=False), align_corners=False)
    np.testing.assert_allclose(moved[0, 0, 0].numpy(), [0.5, 1.5, 2.5, 1.5])  # zeros outside
    border = nn.functional.grid_sample(image, nn.functional.affine_grid(
        shift, (1, 1, 3, 4), align_corners=False), padding_mode="border", align_corners=False)
    np.testing.assert_allclose(border[0, 0, 0].numpy(), [0.5, 1.5, 2.5, 3.0])
    with pytest.raises(ValueError, match="bicubic"):  # (bicubic is supported since round 13)
        nn.functional.grid_sample(image, tg.zeros(1, 2, 2, 2), mode="cubic")
    with pytest.raises(RuntimeError, match=r"grid of shape \(1, H_out, W_out, 2\)"):
        nn.functional.grid_sample(image, tg.zeros(1, 2, 2, 3))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_pytorch_with_gradients(mode, padding_mode, align_corners):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    theta = (rng.normal(size=(2, 2, 3)) * 0.4 + [[1, 0, 0], [0, 1, 0]]).astype(np.float32)
    image = rng.normal(size=(2, 3, 5, 6)).astype(np.float32)
    ours = [tg.tensor(theta, requires_grad=True), tg.tensor(image, requires_grad=True)]
    theirs = [torch.tensor(theta, requires_grad=True), torch.tensor(image, requires_grad=True)]
    outputs = []
    for (th, im), lib in ((ours, tg), (theirs, torch)):
        grid = lib.nn.functional.affine_grid(th, (2, 3, 4, 7), align_corners=align_corners)
        out = lib.nn.functional.grid_sample(im, grid * 1.5, mode=mode, padding_mode=padding_mode,
                                            align_corners=align_corners)
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)),
                          dtype=lib.float32)).sum().backward()
        outputs.append(out.detach().numpy())
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-5)
    np.testing.assert_allclose(ours[1].grad.numpy(), theirs[1].grad.numpy(), atol=1e-5)
    if mode == "bilinear":  # nearest: no gradient to the grid
        np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), atol=1e-4)


# ----------------------------------------------------------------- print(optimizer)
def test_optimizer_defaults_print_as_pytorchs():
    text = repr(tg.optim.SGD([nn.Parameter(tg.ones(1))], lr=0.1))
    assert "    momentum: 0\n" in text and "    weight_decay: 0\n" in text  # PyTorch's ints
    torch = pytest.importorskip("torch")
    for name in ("SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam",
                 "RAdam", "Rprop", "ASGD"):
        ours = getattr(tg.optim, name)([nn.Parameter(tg.ones(1))], lr=0.1)
        theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], lr=0.1)
        assert repr(ours) == repr(theirs), name


def test_function_forms_found_missing():
    values, indices = tg.mode(tg.tensor([3, 1, 3, 2]))
    assert (values.item(), indices.item()) == (3, 2)  # PyTorch: the last index of the mode
    assert tg.clamp_min(tg.tensor([-1.0, 2.0]), 0).tolist() == [0.0, 2.0]
    assert tg.clamp_max(tg.tensor([-1.0, 2.0]), 0).tolist() == [-1.0, 0.0]
    np.testing.assert_allclose(tg.arcsin(tg.tensor([0.5])).numpy(), [np.pi / 6], rtol=1e-6)
    assert tg.is_complex(tg.ones(1)) is False
