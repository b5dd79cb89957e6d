"""Views that share memory (and version counters) with their base, recorded in-place writes
once no other view is alive, grad-mode decorators, and custom-op contract edges; against
PyTorch where it is installed, else against values written out here."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor

try:
    import torch
except ImportError:  # the comparisons below then use the values written out
    torch = None

SLICERS = {
    "chunk": lambda t: t.chunk(2)[1],
    "split": lambda t: t.split(2)[1],
    "select": lambda t: t.select(0, 3),
    "narrow": lambda t: t.narrow(0, 2, 2),
    "unbind": lambda t: t.unbind(0)[2],
}


@pytest.mark.parametrize("name", SLICERS)
def test_writing_through_a_slice_of_a_parameter_changes_the_parameter(name):
    p = tg.zeros(4, requires_grad=True)
    with tg.no_grad():
        SLICERS[name](p).fill_(1.0)
    expected = {"chunk": [0, 0, 1, 1], "split": [0, 0, 1, 1], "select": [0, 0, 0, 1],
                "narrow": [0, 0, 1, 1], "unbind": [0, 0, 1, 0]}[name]
    np.testing.assert_array_equal(p._data, expected)
    if torch is not None:
        q = torch.zeros(4, requires_grad=True)
        with torch.no_grad():
            SLICERS[name](q).fill_(1.0)
        np.testing.assert_array_equal(p._data, q.detach().numpy())


@pytest.mark.parametrize("name", [*SLICERS, "expand"])
def test_a_saved_slice_of_a_changed_tensor_is_refused_at_backward(name):
    take = SLICERS.get(name, lambda t: t[:1].expand(3))
    c = tg.tensor([1.0, 2.0, 3.0, 4.0])
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    piece = take(c)
    y = (w[: piece.shape[0]] * piece).sum() if piece.ndim else (w * piece).sum()
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def _write_rows(lib):
    w = lib.tensor(np.arange(20.0).reshape(4, 5), requires_grad=True)
    h = (w * 2).clone()
    h[1] = h[1] + 3
    h[:, 0] = h[:, 1] * 2 + w[:, 2]
    h = h.reshape(20)
    h[3] = h[4] * 2
    (h * h).sum().backward()
    return h.detach().numpy(), np.asarray(w.grad.numpy())


def test_row_updates_of_a_tensor_that_requires_grad_are_recorded_as_pytorch():
    values, grad = _write_rows(tg)
    assert values[:6].tolist() == [6.0, 2.0, 4.0, 16.0, 8.0, 37.0]
    assert grad[1].tolist() == [0.0, 356.0, 142.0, 76.0, 84.0]
    if torch is not None:
        expected_values, expected_grad = _write_rows(torch)
        np.testing.assert_allclose(values, expected_values)
        np.testing.assert_allclose(grad, expected_grad)


def test_a_recorded_write_into_a_base_is_seen_by_its_live_view():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    h = (w * 2).clone()
    view = h[1:2]
    h[1] = w[0] * 5  # as PyTorch: the view sees the write, and its gradient goes to w[0]
    assert view.tolist() == [5.0]
    (view * 3).sum().backward(retain_graph=True)
    np.testing.assert_allclose(w.grad._data, [15.0, 0.0])
    w.grad = None
    h.sum().backward()
    np.testing.assert_allclose(w.grad._data, [7.0, 0.0])


def test_second_derivative_refuses_a_saved_intermediate_changed_in_place():
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    a = x * 1
    (g,) = tg.grad(a.sin().sum(), x, create_graph=True)
    a.detach().add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        tg.grad(g.sum(), x)


def test_set_grad_enabled_as_a_decorator_sets_the_mode_per_call_only():
    @tg.set_grad_enabled(False)
    def inside():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled()  # decorating changed nothing
    assert inside() is False
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert inside() is False
        assert not tg.is_grad_enabled()  # the enclosing no_grad still holds


@pytest.mark.parametrize("mode, expected", [(tg.no_grad, False), (tg.enable_grad, True)])
def test_bare_grad_mode_decorators(mode, expected):
    @mode
    def inside(x):
        return tg.is_grad_enabled(), x

    with tg.set_grad_enabled(not expected):
        assert inside(3) == (expected, 3)


class _ExtraNone(tg.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2, None, None


class _ExtraGradient(_ExtraNone):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2, grad_output


def test_trailing_none_gradients_are_dropped_and_extra_gradients_refused():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    _ExtraNone.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [2.0, 2.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients .expected 1, got 2."):
        _ExtraGradient.apply(x).sum().backward()


def test_forward_returning_a_tuple_is_refused():
    class Two(tg.Function):
        @staticmethod
        def forward(ctx, a):
            return a, a * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    with pytest.raises(TypeError, match="returned a tuple of 2"):
        Two.apply(tg.tensor([1.0], requires_grad=True))


def test_create_graph_gradient_is_not_the_callers_seed():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seed = tg.tensor([3.0, 4.0])
    (x + 0).backward(seed, create_graph=True)
    x.grad.zero_()
    np.testing.assert_array_equal(seed._data, [3.0, 4.0])


def test_a_float64_seed_gives_a_float32_gradient_as_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(tg.tensor(np.ones(2)))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad._data, [3.0, 3.0])


def test_big_endian_data_becomes_native_and_float16_sums_stay_finite():
    t = tg.tensor(np.ones(70000, dtype=">f2"))
    assert t.dtype == tg.float16
    assert float(t.mean()) == 1.0


@pytest.mark.parametrize("dim", [5, 1, -2])
def test_softmax_of_a_0d_tensor_checks_the_dim(dim):
    x = tg.tensor(2.0)
    assert float(x.softmax(0)) == 1.0 and float(x.log_softmax(-1)) == 0.0
    with pytest.raises(IndexError, match="range"):
        x.softmax(dim)
    with pytest.raises(IndexError, match="range"):
        x.log_softmax(dim)


def test_retain_grad_follows_a_recorded_in_place_change():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    a.retain_grad()
    a.mul_(3)
    a.sum().backward()
    np.testing.assert_array_equal(a.grad._data, [1.0, 1.0])  # PyTorch: d sum / d (new a)
    np.testing.assert_array_equal(x.grad._data, [6.0, 6.0])


def _write_through_views_of_a_leaf(lib):
    w = lib.zeros(2, 3, requires_grad=True)
    with lib.no_grad():
        w.view(-1)[0] = 5
        w[1][2] = 7
        w.T[2, 0] = 9
    w.detach()[0, 1] = 3  # outside no_grad too, as PyTorch
    return w.detach().numpy().copy()


def test_item_assignment_through_a_view_of_a_leaf_writes_into_the_leaf():
    values = _write_through_views_of_a_leaf(tg)
    np.testing.assert_array_equal(values, [[5, 3, 9], [0, 0, 7]])
    if torch is not None:
        np.testing.assert_array_equal(values, _write_through_views_of_a_leaf(torch))


@pytest.mark.parametrize("write", [lambda e: e.add_(1.0),  # (e[0] = 3 repeats nothing: allowed)
                                   lambda e: e.__setitem__((slice(None), 0), 3.0),
                                   lambda e: e.mul_(tg.tensor([[1.0], [2.0]]))])
def test_an_in_place_write_into_an_expanded_tensor_is_refused_as_pytorch(write):
    x = tg.zeros(1, 3)
    expanded = x.expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        write(expanded)
    np.testing.assert_array_equal(x._data, [[0, 0, 0]])
    if torch is not None:
        with pytest.raises(RuntimeError, match="more than one element"):
            torch.zeros(1, 3).expand(2, 3).add_(1.0)


COPIES = {"flip": lambda t: t.flip(0), "fliplr": lambda t: t.fliplr(),
          "flipud": lambda t: t.flipud(), "repeat": lambda t: t.repeat(1, 1),
          "tile": lambda t: t.tile(1, 1), "diag": lambda t: t.diag()}


def _saved_copy(lib, name):
    c = lib.tensor(np.arange(9.0).reshape(3, 3))
    w = lib.ones(3, 3, dtype=lib.float64, requires_grad=True)
    piece = COPIES[name](c)
    y = (piece * w[: piece.shape[0]] if piece.ndim == 2 else piece * w[0]).sum()
    c.add_(100.0)  # a copy does not change with c: backward uses the old values
    y.backward()
    with lib.no_grad():
        COPIES[name](c).mul_(0.0)  # and writing into a copy leaves c alone
    return w.grad.numpy().copy(), c.numpy().copy()


@pytest.mark.parametrize("name", COPIES)
def test_flip_repeat_and_diag_copy_as_pytorch(name):
    grad, base = _saved_copy(tg, name)
    np.testing.assert_array_equal(base, np.arange(9.0).reshape(3, 3) + 100)
    old = np.arange(9.0).reshape(3, 3)
    expected = {"flip": old[::-1], "flipud": old[::-1], "fliplr": old[:, ::-1], "repeat": old,
                "tile": old, "diag": np.diag(old)}[name]
    np.testing.assert_array_equal(grad if name != "diag" else grad[0], expected)
    if torch is not None:
        expected_grad, expected_base = _saved_copy(torch, name)
        np.testing.assert_array_equal(grad, expected_grad)
        np.testing.assert_array_equal(base, expected_base)


VIEWS = {"diagonal": lambda t: t.diagonal(), "diagonal offset": lambda t: t.diagonal(1),
         "diagonal below": lambda t: t.diagonal(-1, 1, 0),
         "einsum ii->i": lambda t: (torch if isinstance(t, getattr(torch, "Tensor", ()))
                                    else tg).einsum("ii->i", t),
         "einsum ij->ji": lambda t: (torch if isinstance(t, getattr(torch, "Tensor", ()))
                                     else tg).einsum("ij->ji", t)}


def _write_and_save_through(lib, name):
    x = lib.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    with lib.no_grad():
        VIEWS[name](x).add_(100.0)  # writes into x, as PyTorch
    c = lib.tensor(np.arange(9.0).reshape(3, 3))
    piece = VIEWS[name](c)
    y = (piece * x[0, : piece.shape[-1]]).sum()
    c.add_(1.0)
    with pytest.raises(RuntimeError):
        y.backward()  # the saved view changed with c: refused
    return x.detach().numpy().copy()


@pytest.mark.parametrize("name", VIEWS)
def test_diagonal_and_einsum_are_views_as_pytorch(name):
    values = _write_and_save_through(tg, name)
    assert (values >= 100).sum() in (2, 3, 9)
    if torch is not None:
        np.testing.assert_array_equal(values, _write_and_save_through(torch, name))


def test_diagonal_values_and_gradients_match_pytorch():
    rng = np.random.default_rng(0)
    for shape, offset, dims in [((3, 5), 1, (0, 1)), ((5, 3), -2, (0, 1)), ((2, 3, 4), 1, (2, 0)),
                                ((0, 3), 0, (0, 1)), ((3, 3), 4, (1, 0))]:
        values, seed = rng.standard_normal(shape), None
        x = tg.tensor(values, requires_grad=True)
        d = x.diagonal(offset, *dims)
        seed = rng.standard_normal(d.shape)
        (d * tg.tensor(seed)).sum().backward()
        if torch is not None:
            t = torch.tensor(values, requires_grad=True)
            e = t.diagonal(offset, *dims)
            (e * torch.tensor(seed)).sum().backward()
            np.testing.assert_array_equal(d._data, e.detach().numpy())
            np.testing.assert_array_equal(x.grad._data, t.grad.numpy())


def _copy_then_step(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    buf = lib.zeros(2, 2)
    buf.copy_(w)  # recorded: buf holds w's values, not w's memory
    y = (buf * buf).sum()
    with lib.no_grad():
        w.add_(10.0)  # an optimizer step: buf and what y saved stay as they were
    y.backward()
    return buf.detach().numpy().copy(), w.grad.numpy().copy()


def test_a_recorded_copy_does_not_alias_its_source():
    values, grad = _copy_then_step(tg)
    np.testing.assert_array_equal(values, [[1, 2], [1, 2]])
    np.testing.assert_array_equal(grad, [4.0, 8.0])
    if torch is not None:
        for ours, theirs in zip((values, grad), _copy_then_step(torch)):
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("method", ["exp_", "sigmoid_", "tanh_", "sqrt_"])
def test_an_output_saved_by_a_recorded_in_place_op_is_guarded(method):
    # exp_ saves its output, which is the tensor's new array: an unrecorded change of the
    # tensor afterwards must be refused at backward, as PyTorch, not silently used
    for lib in (tg,) if torch is None else (tg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        getattr(h, method)()
        version = h._version
        with lib.no_grad():
            h.mul_(3.0)
        assert h._version == version + 1
        with pytest.raises(RuntimeError, match="modified by an in"):
            h.sum().backward()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    getattr(h, method)()
    h.sum().backward()  # unchanged: fine
    assert h._version == 1


def _wrap_then_step(lib, wrap):
    h = lib.tensor([1.0, 2.0])
    w = lib.ones(2, requires_grad=True)
    y = (h * w).sum()  # saves h
    with lib.no_grad():
        wrap(lib, h).add_(-3.0)  # writes into h's memory, as PyTorch
    with pytest.raises(RuntimeError, match="modified by an in"):
        y.backward()
    return h.numpy().copy()


@pytest.mark.parametrize("wrap", [lambda lib, h: lib.Tensor(h),
                                  lambda lib, h: lib.nn.Parameter(h)], ids=["Tensor", "Parameter"])
def test_tensor_and_parameter_of_a_tensor_share_its_version_counter(wrap):
    values = _wrap_then_step(tg, wrap)
    np.testing.assert_array_equal(values, [-2.0, -1.0])
    if torch is not None:
        np.testing.assert_array_equal(values, _wrap_then_step(torch, wrap))


def test_set_grad_enabled_takes_mode_by_keyword():
    with tg.set_grad_enabled(mode=False):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_overlapping_passes_leave_the_cycle_collector_as_they_found_it():
    import gc

    import numpy as np

    from tinygrad_np._decorate import QuietPass

    pause = QuietPass()
    assert gc.isenabled()
    first = pause.pause()  # pass A
    assert np.geterr()["invalid"] == "ignore"  # NumPy quiet while a pass runs
    second = pause.pause()  # pass B starts while A has the collector paused
    pause.resume(second)  # B ends first in this thread (nested); in another thread, A could
    assert not gc.isenabled()  # A still runs
    pause.resume(first)
    assert gc.isenabled() and np.geterr()["invalid"] == "warn"


def test_backward_in_four_threads_never_leaves_the_collector_off():
    import gc
    import sys
    import threading

    def work():
        for _ in range(100):
            y = tg.tensor([1.0, 2.0], requires_grad=True)
            (y * 2).sum().backward()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(20):
            threads = [threading.Thread(target=work) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert gc.isenabled()
    finally:
        sys.setswitchinterval(interval)
        gc.enable()


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_optimizer_updates_the_copied_parameter(how):
    import copy
    import pickle

    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.5)
    w.grad = tg.tensor([1.0, 1.0])
    opt.step()
    pair = copy.deepcopy((w, opt)) if how == "deepcopy" else pickle.loads(pickle.dumps((w, opt)))
    w2, opt2 = pair
    w2.grad = tg.tensor([1.0, 1.0])
    opt2.step()
    np.testing.assert_allclose(w2._data, [0.0, 1.0])
    np.testing.assert_allclose(w._data, [0.5, 1.5])


def test_views_taken_in_a_loop_do_not_pile_up_in_the_version_counter():
    x = tg.zeros(20000, 3)
    for i in range(20000):
        assert x[i].shape == (3,)  # each view dies at once
    assert len(x._counter) < 200  # dead references are forgotten as the list doubles
    rows = x.unbind(0)  # live ones are all kept
    assert len(rows) == 20000 and len(x._counter) >= 20000


def test_a_create_graph_seed_of_another_dtype_is_cast_to_the_output_dtype():
    x = tg.tensor([1.0, 2.0], dtype=tg.float16, requires_grad=True)
    h = x * 3
    (h * h).backward(gradient=tg.tensor([1e-8, 1.0], dtype=tg.float32), create_graph=True)
    np.testing.assert_array_equal(x.grad._data, [0.0, 36.0])  # 1e-8 is 0 in float16
    assert x.grad.dtype == tg.float16


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_a_fully_masked_row_is_nan_without_warnings(name):
    import warnings

    x = tg.tensor([[-np.inf, -np.inf], [0.0, 1.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(x, name)(-1)
        y.sum().backward()
    assert np.isnan(y._data[0]).all() and np.isfinite(y._data[1]).all()
    assert np.isfinite(x.grad._data[1]).all()
    if torch is not None:
        xt = torch.tensor([[-np.inf, -np.inf], [0.0, 1.0]], requires_grad=True)
        yt = getattr(xt, name)(-1)
        yt.sum().backward()
        np.testing.assert_allclose(y._data, yt.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(x.grad._data[1], xt.grad.numpy()[1], rtol=1e-5, atol=1e-7)


# ----------------------------------------- view() of conv and pooling results (PyTorch: contiguous)
def _gram(features):
    a, b, c, d = features.shape
    flat = features.view(a * b, c * d)  # the style-transfer tutorial's gram_matrix
    return flat @ flat.t() / (a * b * c * d)


def test_view_works_on_conv_and_pooling_results_as_in_pytorch():
    import tinygrad_np.nn as tnn
    import tinygrad_np.nn.functional as F

    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    conv = tnn.Conv2d(3, 4, 3)
    for result in (conv(x), F.max_pool2d(conv(x), 2), F.avg_pool2d(x, 2), F.relu(conv(x)),
                   F.interpolate(x, scale_factor=2)):
        expected = result.detach().clone().numpy().reshape(-1)  # (numpy() of result: held)
        flat = result.view(-1)
        np.testing.assert_array_equal(flat.detach().numpy(), expected)
        assert result.is_contiguous() and np.shares_memory(flat.numpy(), result.numpy())
    loss = _gram(conv(x)).sum()
    loss.backward()
    # by hand: d sum(G)/d f = 2 * (sum of the rows of f) broadcast, / (a b c d)
    features = conv(x).detach().numpy().reshape(8, 16)
    expected = 2 * np.tile(features.sum(axis=0), (8, 1)) / features.size
    (grad,) = tg.grad(_gram(conv(x)).sum(), [x])
    assert grad.shape == x.shape and x.grad is not None
    y = conv(x)
    (by_hand,) = tg.grad((y.reshape(8, 16) * Tensor(expected)).sum(), [x])
    np.testing.assert_allclose(grad.numpy(), by_hand.numpy(), rtol=1e-4, atol=1e-9)  # float32


def test_a_view_of_a_relaid_result_writes_through_to_it_and_its_detached_twin():
    import tinygrad_np.nn as tnn

    y = tnn.Conv2d(1, 1, 1)(Tensor(np.ones((2, 1, 2, 2), np.float32))).detach()
    twin = y.detach()
    flat = y.view(-1)
    flat[0] = 100.0
    assert y[0, 0, 0, 0].item() == 100.0 and twin[0, 0, 0, 0].item() == 100.0


def test_view_still_refuses_a_transpose_and_a_result_with_a_live_slice():
    base = Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="cannot be viewed"):
        base.t().view(-1)  # the transpose shares base's memory in another layout
    import tinygrad_np.nn as tnn

    y = tnn.Conv2d(1, 1, 1)(Tensor(np.ones((2, 1, 2, 2), np.float32)))
    first = y[0]  # taking a view relays y out first (round 15): then y.view works, as PyTorch
    assert y.view(-1).shape == (8,) and first.shape == (1, 2, 2)
    assert np.shares_memory(first.numpy(), y.numpy())


def test_views_of_views_and_gradients_of_conv_results_work_as_in_pytorch():
    import tinygrad_np.nn as tnn

    net = tnn.Sequential(tnn.Conv2d(3, 2, 3), tnn.ReLU(), tnn.MaxPool2d(2))
    y = net(Tensor(np.random.default_rng(0).normal(size=(2, 3, 6, 6)).astype(np.float32)))
    flat = y.view(y.size(0), -1)  # y stays alive: its view, then a view of that
    assert flat.view(-1).shape == (16,) and np.shares_memory(flat.numpy(), y.numpy())
    feature = tnn.Conv2d(3, 2, 3)(Tensor(np.ones((2, 3, 6, 6), np.float32))).detach()
    feature.requires_grad_()  # a leaf made from a conv result (adversarial examples)
    assert feature.view(-1).shape == (64,)
    # WGAN-GP: a gradient taken through a conv under create_graph, flattened per sample
    x = Tensor(np.random.default_rng(1).normal(size=(4, 3, 8, 8)), requires_grad=True)
    conv = tnn.Conv2d(3, 2, 3, padding=1).double()
    (g,) = tg.grad(conv(x).sum(), x, create_graph=True)
    penalty = ((g.view(g.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    assert conv.weight.grad is not None and conv.weight.grad.shape == (2, 3, 3, 3)


def test_memory_a_caller_holds_is_never_relaid_out():
    fortran = np.asfortranarray(np.ones((2, 3), np.float32))
    shared = tg.from_numpy(fortran)
    with pytest.raises(RuntimeError, match="[Uu]se .reshape"):
        shared.view(-1)  # relaying it out would silently stop sharing `fortran`
    import tinygrad_np.nn as tnn

    y = tnn.Conv2d(1, 1, 1)(Tensor(np.ones((2, 1, 2, 2), np.float32)))
    handed_out = y.numpy()
    with pytest.raises(RuntimeError, match="[Uu]se .reshape"):
        y.view(-1)
    assert np.shares_memory(handed_out, y.numpy())


def test_a_relaid_out_leaf_unlocks_again_and_handed_out_memory_is_kept():
    import tinygrad_np.nn.functional as F

    rng = np.random.default_rng(2)
    weight = Tensor(rng.normal(size=(2, 3, 3, 3)))
    x = Tensor(rng.normal(size=(2, 3, 6, 6)))
    leaf = F.conv2d(x, weight).detach().requires_grad_()
    leaf.view(-1)  # relaid out while locked
    leaf.requires_grad_(False)
    leaf.numpy()[0, 0, 0, 0] = 5.0  # writable again, as without the view()
    leaf.data.mul_(2.0)
    assert leaf[0, 0, 0, 0].item() == 10.0
    for hand_out in (lambda y: y.detach().numpy(), lambda y: y.data.numpy()):
        y = F.conv2d(x, weight)
        held = hand_out(y)  # the handing-out tensor is gone; the memory is still held
        with pytest.raises(RuntimeError, match="[Uu]se .reshape"):
            y.view(4, -1)
        held[0, 0, 0, 0] = 99.0
        assert y[0, 0, 0, 0].item() == 99.0
