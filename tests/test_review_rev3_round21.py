"""Review (session 27, rev3): the perf merge's LSTM layer op and index_select's gather."""

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.nn.rnn import RNNBase, RNNCellBase


def test_lstm_layer_op_lives_on_the_layers_only():
    # the merge left a second copy of RNNBase._run_lstm on RNNCellBase (the cells have no
    # layers, directions or _run: dead code)
    assert "_run_lstm" in vars(RNNBase)
    assert "_run_lstm" not in vars(RNNCellBase)
    cell = tg.nn.LSTMCell(3, 4)
    h, c = cell(tg.ones(2, 3))
    assert h.shape == c.shape == (2, 4)


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_index_select_gathers_c_ordered_without_a_relayout_copy(dim, monkeypatch):
    # NumPy's x[:, :, idx] is laid out index-major; copying it to C order took 6x the gather
    # (repeat_interleave on the last axis of (64, 256, 64): 1.8 -> 11 ms). np.take gathers C
    # order directly.
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 5, 6)).astype(np.float32)
    index = np.array([0, 0, 1, 3, 3, 3])
    ours = tg.tensor(x, requires_grad=True)

    def no_copy(*args, **kwargs):
        raise AssertionError("relayout copy")
    with monkeypatch.context() as patch:
        patch.setattr(np, "ascontiguousarray", no_copy)
        y = ours.index_select(dim, tg.tensor(index))
    theirs = torch.tensor(x).index_select(dim, torch.tensor(index))
    np.testing.assert_array_equal(y.detach().numpy(), theirs.numpy())
    assert y.stride() == theirs.stride() and y.is_contiguous()
    y.backward(tg.ones_like(y))
    expected = np.zeros(x.shape[dim])
    np.add.at(expected, index, 1)
    shape = [1, 1, 1]
    shape[dim] = -1
    np.testing.assert_array_equal(ours.grad.numpy(),
                                  np.broadcast_to(expected.reshape(shape), x.shape))
    with pytest.raises(IndexError):
        ours.index_select(dim, tg.tensor([x.shape[dim]]))
    z = ours[:, tg.tensor([4, -1])] if dim == 1 else ours[..., tg.tensor([1])]
    assert z.is_contiguous()


def test_sorted_runs_backward_leaves_an_index_without_repeats_to_one_assignment():
    # the sorted-runs branch (nearest upsampling, repeat_interleave) took every sorted index,
    # also one without repeats, where _add_at's single assignment is 1.2-5x faster
    # (index_select(1, arange(64)) backward on (64, 256, 64): 3.8 -> 10.3 ms)
    from tinygrad_np import xp

    values = np.arange(32 * 8, dtype=np.float32).reshape(32, 8)
    out = np.zeros((32, 16), np.float32)
    assert not xp._add_sorted_runs(out, (slice(None), np.arange(8)), values)
    assert not out.any()
    index = np.array([0, 0, 1, 3, 3, 3, 9, 15])
    assert xp._add_sorted_runs(out, (slice(None), index), values)
    expected = np.zeros((32, 16), np.float32)
    np.add.at(expected, (slice(None), index), values)
    np.testing.assert_array_equal(out, expected)
    for each in (np.arange(0, 16, 2), index):
        x = tg.tensor(np.ones((32, 16), np.float32), requires_grad=True)
        x.index_select(1, tg.tensor(each)).backward(tg.tensor(values))
        expected = np.zeros((32, 16), np.float32)
        np.add.at(expected, (slice(None), each), values)
        np.testing.assert_array_equal(x.grad.numpy(), expected)
