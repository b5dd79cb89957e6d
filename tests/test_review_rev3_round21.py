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


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_amax_amin_one_op_keeps_dtype_and_pytorch_values(dtype, include_self):
    # the one-op branch (ScatterExtreme) returns the input's dtype itself: the merge's
    # re-cast after it was dead code, removed
    torch = pytest.importorskip("torch")
    x = np.array([[1, 3, 2, -0.0], [0, 5, 1, 7]], dtype=dtype)
    src = np.array([[4, 3, 1], [2, 2, 9]], dtype=dtype)
    index = np.array([[0, 0, 2], [1, 1, 1]])
    for reduce in ("amax", "amin"):
        ours = tg.tensor(x, requires_grad=True)
        y = ours.scatter_reduce(1, tg.tensor(index), tg.tensor(src), reduce,
                                include_self=include_self)
        theirs = torch.tensor(x, requires_grad=True)
        expected = theirs.scatter_reduce(1, torch.tensor(index), torch.tensor(src), reduce,
                                         include_self=include_self)
        assert y.dtype == ours.dtype and str(y.grad_fn.name()) == expected.grad_fn.name()
        np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
        y.backward(tg.ones_like(y))
        expected.backward(torch.ones_like(expected))
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.filterwarnings("ignore:index_reduce")
def test_scatter_reduce_and_index_reduce_nodes_are_pytorchs():
    # ViewBackward0 before the merge, ScatterExtremeBackward0 for float amax/amin after it
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        x = lib.ones(2, 3, requires_grad=True)
        index, src = lib.tensor([[0, 1], [1, 1]]), lib.ones(2, 2)
        names = [x.scatter_reduce(1, index, src, how).grad_fn.name()
                 for how in ("amax", "amin", "sum", "prod", "mean")]
        assert names == ["ScatterReduceBackward0"] * 5
        zero_d = lib.ones((), requires_grad=True).scatter_reduce(0, lib.tensor(0), lib.ones(()),
                                                                 "amax")
        assert zero_d.grad_fn.name() == "ScatterReduceBackward0"
        reduced = x.index_reduce(0, lib.tensor([0, 0]), lib.ones(2, 3), "amax")
        assert reduced.grad_fn.name() == "IndexReduceBackward0"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unidirectional_lstm_output_node_and_no_view_without_graph(dtype):
    # the LSTMLayer op returns h and c stacked (2, L, N, H) and the output is its h half: with
    # a graph that view is kept (an in-place write to it is caught, as PyTorch's oneDNN node
    # saves its output) and named as PyTorch's node; without one (eval, no_grad) it was a
    # view keeping c alive too, where PyTorch's output is no view
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        lib.manual_seed(0)
        model = lib.nn.LSTM(3, 4, num_layers=2).to(getattr(lib, dtype))
        x = lib.ones(5, 2, 3, dtype=getattr(lib, dtype), requires_grad=True)
        out, (h, c) = model(x)
        name = "MkldnnRnnLayerBackward0" if dtype == "float32" else "StackBackward0"
        assert out.grad_fn.name() == name
        np.testing.assert_array_equal(out[-1].detach().numpy(), h[-1].detach().numpy())
        with lib.no_grad():
            out, _ = model(x)
        assert not out._is_view() and out._base is None and out.is_contiguous()
        assert out.untyped_storage().nbytes() == out.numel() * out.element_size()
