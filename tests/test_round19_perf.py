"""Session 25, slow paths: the faster code paths give PyTorch's values and gradients.

Each test compares with PyTorch (skipped when it is missing) or with NumPy computed here.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

F = tg.nn.functional
torch = pytest.importorskip("torch")


def _close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(np.asarray(ours.detach().numpy() if hasattr(ours, "detach") else
                                          ours), theirs.detach().numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------ views of conv/pool results
@pytest.mark.parametrize("view", [
    lambda y: y.squeeze(2),                 # conv1d's squeeze (walks one axis each)
    lambda y: y[:, 1:5, 0, ::2],            # slices with steps
    lambda y: y[3],                         # one sample
    lambda y: y[:, :, 0].transpose(1, 2),   # a transposed view
    lambda y: y.reshape(6, -1),             # merged axes (the table's path)
    lambda y: y[1:4].flatten(1),
])
def test_views_of_batch_inside_results_match_torch(view):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4, 1, 9)).astype(np.float32)
    w = rng.standard_normal((8, 4, 1, 3)).astype(np.float32)
    g = None
    results = []
    for lib in (tg, torch):
        xs, ws = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        out = view(lib.nn.functional.conv2d(xs, ws, padding=(0, 1)))
        if g is None:
            g = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        (out * lib.tensor(g)).sum().backward()
        results.append((out, xs.grad, ws.grad))
    (ours, gx, gw), (theirs, tx, tw) = results
    assert tuple(ours.shape) == tuple(theirs.shape)
    _close(ours, theirs)
    _close(gx, tx, 1e-4)
    _close(gw, tw, 1e-4)
    # PyTorch's result is contiguous where its view is: so is ours (view(-1) works)
    assert ours.is_contiguous() == theirs.is_contiguous()
    if theirs.is_contiguous():
        _close(ours.view(-1), theirs.view(-1))


def test_view_of_conv1d_then_in_place_write_reaches_the_result():
    """The relaid-out result and its view still share memory, as in PyTorch."""
    x = np.random.default_rng(1).standard_normal((4, 3, 10)).astype(np.float32)
    w = np.ones((5, 3, 3), np.float32)
    outs = []
    for lib in (tg, torch):
        with lib.no_grad():
            y = lib.nn.functional.conv2d(lib.tensor(x).unsqueeze(2), lib.tensor(w).unsqueeze(2))
            v = y.squeeze(2)
            v[0, 0, 0] = 100.0
            outs.append(y)
    _close(outs[0], outs[1])


# ------------------------------------------------------------ unfold / fold in NCHW order
@pytest.mark.parametrize("kernel,stride,padding,dilation", [
    (3, 1, 1, 1), ((2, 3), (2, 1), (0, 2), (1, 2)), (1, 1, 0, 1), (2, 2, 0, 1), (3, 2, 1, 2)])
def test_unfold_fold_match_torch(kernel, stride, padding, dilation):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 9, 8)).astype(np.float32)
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    grads = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        cols = lib.nn.functional.unfold(xs, **kwargs)
        back = lib.nn.functional.fold(cols * cols, (9, 8), **kwargs)
        weights = lib.tensor(np.linspace(-1, 1, back.numel(), dtype=np.float32).reshape(
            tuple(back.shape)))
        (back * weights).sum().backward()
        grads.append((cols, back, xs.grad))
    for ours, theirs in zip(*grads):
        assert tuple(ours.shape) == tuple(theirs.shape)
        _close(ours, theirs, 1e-4)
    assert grads[0][1].is_contiguous()  # fold's result is contiguous, as PyTorch's
    grads[0][1].view(-1)


def test_unfold_of_a_conv_result_and_fold_of_batch_inside_columns():
    """Both layouts (batch inside from conv2d, batch outside from PyTorch-ordered inputs)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 7, 7)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    results = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.conv2d(xs, lib.tensor(w), padding=1)
        cols = lib.nn.functional.unfold(y, 2, stride=1)
        z = lib.nn.functional.fold(cols.transpose(0, 2).contiguous().transpose(0, 2), (7, 7), 2)
        (z * z).sum().backward()
        results.append((z, xs.grad))
    _close(results[0][0], results[1][0], 1e-4)
    _close(results[0][1], results[1][1], 1e-3)


def test_unfold_double_backward_matches_torch():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 5, 5))
    outs = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        cols = lib.nn.functional.unfold(xs, 2, padding=1)
        (gx,) = lib.autograd.grad((cols ** 3).sum(), xs, create_graph=True)
        (gx * gx).sum().backward()
        outs.append((gx, xs.grad))
    _close(outs[0][0], outs[1][0], 1e-8)
    _close(outs[0][1], outs[1][1], 1e-8)


# ------------------------------------------------------------ convolutions whose inner size is 1
@pytest.mark.parametrize("x_shape,w_shape,kwargs", [
    ((4, 6, 8, 8), (6, 1, 3, 3), dict(padding=1, groups=6)),   # depthwise: dx's k = 1
    ((4, 6, 8, 8), (12, 1, 3, 3), dict(stride=2, groups=6)),   # channel multiplier 2
    ((4, 1, 8, 8), (5, 1, 1, 1), {}),                          # 1x1 over one channel: k = 1
    ((4, 3, 8, 8), (6, 1, 1, 1), dict(groups=3)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolutions_with_inner_size_one_match_torch(x_shape, w_shape, kwargs, dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    results = []
    for lib in (tg, torch):
        xs, ws, bs = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.conv2d(xs, ws, bs, **kwargs)
        (y * y).sum().backward()
        results.append((y, xs.grad, ws.grad, bs.grad))
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for ours, theirs in zip(*results):
        _close(ours, theirs, tol)


def test_depthwise_conv_float64_gradient_against_central_differences():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 5, 5))
    w = rng.standard_normal((3, 1, 3, 3))
    xs = tg.tensor(x, requires_grad=True)
    F.conv2d(xs, tg.tensor(w), padding=1, groups=3).pow(2).sum().backward()
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        for sign in (1, -1):
            shifted = x.copy()
            shifted[index] += sign * 1e-6
            value = F.conv2d(tg.tensor(shifted), tg.tensor(w), padding=1, groups=3).pow(2).sum()
            numeric[index] += sign * value.item() / 2e-6
    np.testing.assert_allclose(xs.grad.numpy(), numeric, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ huber / smooth_l1 as one op
def _edge_inputs(dtype, delta):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((12, 9)) * 2).astype(dtype)
    y = rng.standard_normal((12, 9)).astype(dtype)
    x[0, 0], x[0, 1], x[0, 2] = np.nan, np.inf, -np.inf
    x[1, :3] = y[1, :3]                     # d = 0
    x[2, 0] = y[2, 0] + dtype(delta)        # |d| = delta, both signs
    x[2, 1] = y[2, 1] - dtype(delta)
    return x, y


@pytest.mark.parametrize("name,keyword", [("huber_loss", "delta"), ("smooth_l1_loss", "beta")])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [1.0, 0.25, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huber_and_smooth_l1_match_torch(name, keyword, reduction, delta, dtype):
    x, y = _edge_inputs(dtype, delta)
    weights = np.random.default_rng(8).standard_normal(x.shape).astype(dtype)
    results = []
    for lib in (tg, torch):
        xs, ys = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        loss = getattr(lib.nn.functional, name)(xs, ys, reduction=reduction, **{keyword: delta})
        (loss * lib.tensor(weights)).sum().backward() if reduction == "none" else loss.backward()
        results.append((loss, xs.grad, ys.grad))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6,
                                   atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name,keyword", [("huber_loss", "delta"), ("smooth_l1_loss", "beta")])
def test_huber_second_derivative_matches_torch(name, keyword):
    x, y = _edge_inputs(np.float64, 0.5)
    x[0, :3] = [0.1, 3.0, -3.0]  # (finite: the Hessian-vector product compares everywhere)
    results = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        loss = getattr(lib.nn.functional, name)(xs, lib.tensor(y), reduction="sum",
                                                **{keyword: 0.5})
        (grad,) = lib.autograd.grad(loss, xs, create_graph=True)
        (grad * lib.tensor(np.linspace(-1, 1, x.size).reshape(x.shape))).sum().backward()
        results.append((grad, xs.grad))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)


def test_huber_gradient_against_central_differences():
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal(40) * 2, rng.standard_normal(40)
    xs = tg.tensor(x, requires_grad=True)
    F.huber_loss(xs, tg.tensor(y), delta=0.7).backward()
    numeric = []
    for k in range(x.size):
        shift = np.zeros_like(x)
        shift[k] = 1e-6
        plus = F.huber_loss(tg.tensor(x + shift), tg.tensor(y), delta=0.7).item()
        minus = F.huber_loss(tg.tensor(x - shift), tg.tensor(y), delta=0.7).item()
        numeric.append((plus - minus) / 2e-6)
    np.testing.assert_allclose(xs.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_huber_float16_gradient_is_pytorchs():
    """One rounding (g * clip(d)), as PyTorch's half kernel: the composition rounded each
    half product and differed from PyTorch in ~10 % of the elements."""
    rng = np.random.default_rng(10)
    x = (rng.standard_normal((64, 100)) * 2).astype(np.float16)
    y = rng.standard_normal((64, 100)).astype(np.float16)
    grads = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        lib.nn.functional.huber_loss(xs, lib.tensor(y)).backward()
        grads.append(xs.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_huber_infinite_difference_warns_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = tg.tensor(np.array([1e30, -np.inf, 0.5], np.float32), requires_grad=True)
        F.smooth_l1_loss(x, tg.zeros(3), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, -1.0, 0.5])


# ------------------------------------------------------------ Tensor.unfold's backward
@pytest.mark.parametrize("shape,dim,size,step", [
    ((4, 30, 5), 1, 8, 1),   # many overlaps (offset loop)
    ((4, 30, 5), 1, 20, 3),  # long windows (window loop)
    ((6, 7), 0, 2, 2), ((6, 7), -1, 3, 5), ((9,), 0, 0, 1), ((9,), 0, 9, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tensor_unfold_backward_matches_torch(shape, dim, size, step, dtype):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape).astype(dtype)
    grads = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        y = xs.unfold(dim, size, step)
        weights = lib.tensor(np.linspace(-2, 3, y.numel(), dtype=dtype).reshape(tuple(y.shape)))
        (y * weights).sum().backward()
        grads.append((y, xs.grad))
    assert tuple(grads[0][0].shape) == tuple(grads[1][0].shape)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    _close(grads[0][0], grads[1][0], tol)
    _close(grads[0][1], grads[1][1], tol)


def test_tensor_unfold_double_backward_matches_torch():
    x = np.random.default_rng(12).standard_normal((3, 10))
    outs = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad((xs.unfold(1, 4, 2) ** 3).sum(), xs, create_graph=True)
        (g * g).sum().backward()
        outs.append((g, xs.grad))
    _close(outs[0][0], outs[1][0], 1e-10)
    _close(outs[0][1], outs[1][1], 1e-10)


# ------------------------------------------------------------ adaptive average pooling
@pytest.mark.parametrize("shape,size", [((5, 3, 1, 50), (1, 7)), ((5, 3, 13, 50), (5, 7)),
                                        ((2, 3, 9, 9), (9, 4)), ((2, 3, 10, 6), (3, 6))])
def test_adaptive_avg_pool2d_uneven_windows_match_torch(shape, size):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(shape).astype(np.float32)
    results = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.adaptive_avg_pool2d(xs, size)
        (y * y).sum().backward()
        results.append((y, xs.grad))
    for ours, theirs in zip(*results):
        _close(ours, theirs, 1e-5)


def test_adaptive_avg_pool1d_values_gradient_and_double_backward_match_torch():
    x = np.random.default_rng(14).standard_normal((4, 3, 50))
    results = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.adaptive_avg_pool1d(xs, 7)
        (g,) = lib.autograd.grad((y ** 3).sum(), xs, create_graph=True)
        (g * g).sum().backward()
        results.append((y, g, xs.grad))
    for ours, theirs in zip(*results):
        _close(ours, theirs, 1e-10)


# ------------------------------------------------------------ LSTM's fused cell update
def _copy_lstm_weights(ours, theirs):
    with torch.no_grad():
        for name, parameter in theirs.named_parameters():
            getattr(ours, name).data = tg.tensor(parameter.detach().numpy().copy()).data


@pytest.mark.filterwarnings("ignore:LSTM with projections")  # (PyTorch's, about oneDNN)
@pytest.mark.parametrize("kwargs", [dict(), dict(num_layers=2, bidirectional=True),
                                    dict(proj_size=3), dict(batch_first=True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_forward_and_gradients_match_torch(kwargs, dtype):
    rng = np.random.default_rng(15)
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(5, 6, **kwargs).to(torch.float64 if dtype == np.float64 else
                                              torch.float32)
    ours = tg.nn.LSTM(5, 6, **kwargs).to(tg.float64 if dtype == np.float64 else tg.float32)
    _copy_lstm_weights(ours, theirs)
    x = rng.standard_normal((7, 4, 5)).astype(dtype)
    outs = []
    for lib, layer in ((tg, ours), (torch, theirs)):
        xs = lib.tensor(x, requires_grad=True)
        y, (h, c) = layer(xs)
        (y.sum() + (h * h).sum() + (c ** 3).sum()).backward()
        outs.append((y, h, c, xs.grad, layer.weight_hh_l0.grad, layer.bias_ih_l0.grad))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for ours_value, their_value in zip(*outs):
        _close(ours_value, their_value, tol)


def test_lstm_cell_update_double_backward_matches_torch():
    rng = np.random.default_rng(16)
    torch.manual_seed(1)
    theirs = torch.nn.LSTM(3, 4).double()
    ours = tg.nn.LSTM(3, 4).to(tg.float64)
    _copy_lstm_weights(ours, theirs)
    x = rng.standard_normal((5, 2, 3))
    outs = []
    for lib, layer in ((tg, ours), (torch, theirs)):
        xs = lib.tensor(x, requires_grad=True)
        y, (h, c) = layer(xs)
        (g,) = lib.autograd.grad((y ** 2).sum() + c.sum(), xs, create_graph=True)
        (g * g).sum().backward()
        outs.append((g, xs.grad, layer.weight_hh_l0.grad))
    for ours_value, their_value in zip(*outs):
        _close(ours_value, their_value, 1e-10)


def test_lstm_cell_update_gradient_against_central_differences():
    from tinygrad_np.ops.activation import LSTMCellUpdate

    rng = np.random.default_rng(17)
    z, c = rng.standard_normal((3, 8)), rng.standard_normal((3, 2))
    weights = rng.standard_normal((3, 4))

    def loss(z_value, c_value):
        return float((LSTMCellUpdate.apply(tg.tensor(z_value), tg.tensor(c_value)).numpy()
                      * weights).sum())

    zs, cs = tg.tensor(z, requires_grad=True), tg.tensor(c, requires_grad=True)
    (LSTMCellUpdate.apply(zs, cs) * tg.tensor(weights)).sum().backward()
    for value, grad, other in ((z, zs.grad, c), (c, cs.grad, None)):
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = [value.copy(), value.copy()]
            shifted[0][index] += 1e-6
            shifted[1][index] -= 1e-6
            pair = [(s, c) if other is not None else (z, s) for s in shifted]
            numeric[index] = (loss(*pair[0]) - loss(*pair[1])) / 2e-6
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_lstm_packed_sequence_matches_torch():
    rng = np.random.default_rng(18)
    torch.manual_seed(2)
    theirs = torch.nn.LSTM(3, 4)
    ours = tg.nn.LSTM(3, 4)
    _copy_lstm_weights(ours, theirs)
    x = rng.standard_normal((6, 3, 3)).astype(np.float32)
    outs = []
    for lib, layer in ((tg, ours), (torch, theirs)):
        xs = lib.tensor(x, requires_grad=True)
        packed = lib.nn.utils.rnn.pack_padded_sequence(xs, [6, 4, 2])
        _, (h, c) = layer(packed)
        (h.sum() + c.sum()).backward()
        outs.append((h, c, xs.grad))
    for ours_value, their_value in zip(*outs):
        _close(ours_value, their_value, 1e-5)


def test_lstm_cell_h_and_c_are_separate_tensors():
    """An in-place write to h does not count as a write to c (saved by c ** 2), as PyTorch."""
    grads = []
    for lib in (tg, torch):
        lib.manual_seed(0)
        cell = lib.nn.LSTMCell(3, 4)
        h, c = cell(lib.ones(2, 3))
        loss = (c ** 2).sum()
        h.add_(1.0)
        (loss + h.sum()).backward()
        grads.append(cell.bias_hh.grad.numpy())
    assert grads[0].shape == grads[1].shape


# ------------------------------------------------------------ multilabel_margin_loss
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multilabel_margin_loss_matches_torch(reduction, dtype):
    rng = np.random.default_rng(19)
    x = rng.standard_normal((9, 12)).astype(dtype)
    target = np.full((9, 12), -1, np.int64)
    for row in range(9):
        count = row % 5  # rows with no targets, one, and several (repeats allowed)
        target[row, :count] = rng.integers(0, 12, count)
    target[2, 4:] = rng.integers(0, 12, 8)  # ids after the first -1 are ignored
    target[3, :12] = np.arange(12)           # every class listed: no pairs
    x[4, 0] = x[4, 1] + 1                    # a margin of exactly 0 (relu's kink)
    target[4, :2] = [1, 7]
    outs = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.multilabel_margin_loss(xs, lib.tensor(target),
                                                        reduction=reduction)
        (loss * lib.tensor(np.linspace(0.5, 2, loss.numel(), dtype=dtype).reshape(
            tuple(loss.shape)))).sum().backward()
        outs.append((loss, xs.grad))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for ours, theirs in zip(*outs):
        _close(ours, theirs, tol)


def test_multilabel_margin_loss_unbatched_and_no_targets_match_torch():
    x = np.random.default_rng(20).standard_normal(6)
    for target in ([2, 0, -1, 3, 3, 3], [-1] * 6):
        outs = []
        for lib in (tg, torch):
            xs = lib.tensor(x, requires_grad=True)
            loss = lib.nn.functional.multilabel_margin_loss(xs, lib.tensor(target))
            loss.backward()
            outs.append((loss, xs.grad))
        _close(outs[0][0], outs[1][0], 1e-12)
        _close(outs[0][1], outs[1][1], 1e-12)


# ------------------------------------------------------------ index arrays on every axis
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_add_and_gather_gradients_with_repeats_match_torch(dtype):
    rng = np.random.default_rng(21)
    x = rng.standard_normal((6, 9)).astype(dtype)
    index = rng.integers(0, 9, (6, 30))  # many repeats per place
    src = rng.standard_normal((6, 30)).astype(dtype)
    outs = []
    for lib in (tg, torch):
        xs, ss = lib.tensor(x, requires_grad=True), lib.tensor(src, requires_grad=True)
        y = xs.scatter_add(1, lib.tensor(index), ss)
        z = xs.gather(1, lib.tensor(index))  # its backward adds the repeats back
        ((y * y).sum() + (z ** 3).sum()).backward()
        outs.append((y, xs.grad, ss.grad))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for ours, theirs in zip(*outs):
        _close(ours, theirs, tol)


def test_getitem_with_negative_index_arrays_gradient_matches_torch():
    x = np.random.default_rng(22).standard_normal((4, 5, 3))
    rows, cols = np.array([[-1, 0], [3, -4]]), np.array([[2, -1], [2, 2]])
    outs = []
    for lib in (tg, torch):
        xs = lib.tensor(x, requires_grad=True)
        picked = xs[lib.tensor(rows), lib.tensor(cols), lib.tensor(np.array([0, -1]))]
        (picked * lib.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))).sum().backward()
        outs.append(xs.grad)
    _close(outs[0], outs[1], 1e-12)
