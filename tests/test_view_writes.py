"""In-place writes through views of results that are still in use, as PyTorch records them.

`h[1].add_(w)`, `h.T[0].sigmoid_()`, `F.relu(h[:, :2], inplace=True)` or `h[0] = v` while a
view of h is alive change the memory that h and its views share; the base's graph records the
write as a setitem at the view's place and every live view is re-derived from the new base.
Each case runs the same code with tinygrad_np and (when installed) PyTorch and compares the
values and the gradients; the expected numbers are written out by hand for a few.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:  # the hand-written expectations still run
    torch = None

X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
W = [0.5, -1.0, 2.0]


def _mul(lib, h, w):
    h[:, 0].mul_(h[:, 1].detach())
    return (h * h).sum()


CASES = {
    "row add_": lambda lib, h, w: (h[1].add_(w), (h * h).sum())[1],
    "column mul_ by a graph value": lambda lib, h, w: (h[:, 0].mul_(w[:2]), (h * h).sum())[1],
    "column mul_ by a constant": _mul,
    "transpose row sigmoid_": lambda lib, h, w: (h.T[0].sigmoid_(), (h * h).sum())[1],
    "item of an item +=": lambda lib, h, w: _item_of_item(h),
    "relu inplace on a slice": lambda lib, h, w: (
        lib.nn.functional.relu(h[:, :2], inplace=True), (h * h).sum())[1],
    "transpose += a graph value": lambda lib, h, w: _transpose_iadd(h, w),
    "setitem while a reshape lives": lambda lib, h, w: _set_with_reshape(h, w),
    "diagonal zero_": lambda lib, h, w: (h.diagonal().zero_(), (h * h).sum())[1],
    "slice clamp_": lambda lib, h, w: (h[:, 1:].clamp_(min=9), (h * w).sum())[1],
    "narrow copy_": lambda lib, h, w: (h.narrow(1, 0, 2).copy_(w[1:].expand(2, 2)),
                                       (h * h).sum())[1],
    "select fill_": lambda lib, h, w: (h.select(0, 1).fill_(3), (h * h).sum())[1],
    "sibling views": lambda lib, h, w: _siblings(h, w),
    "view of a view": lambda lib, h, w: _view_of_view(h, w),
    "plain buffer row += graph": lambda lib, h, w: _buffer(lib, w) + h.sum(),
    "strided slice div_": lambda lib, h, w: (h[:, ::2].div_(w[:2].reshape(1, 2) * 3 + 4),
                                             (h ** 2).sum())[1],
}


def _item_of_item(h):
    h[0][1] += 1
    return (h * h).sum()


def _transpose_iadd(h, w):
    h.T[0] += w[:2]
    return (h * h).sum()


def _set_with_reshape(h, w):
    v = h.view(3, 2)
    h[0] = w
    return (v * v).sum() + (v[:, 0] * 10).sum()


def _siblings(h, w):
    a, b = h[0], h[:, 1]
    a.mul_(w)  # b overlaps a at h[0, 1]: it sees the new value and its gradient path
    return (b * b).sum() + (h * 3).sum() + (a * 2).sum()


def _view_of_view(h, w):
    a = h[1]
    b = a[1:]
    b.add_(w[:2] * w[1:])
    return (h * h).sum() + (a ** 3).sum()


def _buffer(lib, w):
    buf = lib.zeros(2, 3)
    other = buf[1]
    buf[0].add_(w)
    return (buf * buf).sum() + (other * 3).sum() + (buf[0] * 5).sum()


def _run(lib, case):
    x = lib.tensor(X, requires_grad=True, dtype=lib.float64)
    w = lib.tensor(W, requires_grad=True, dtype=lib.float64)
    h = x * 2
    loss = CASES[case](lib, h, w)
    try:
        loss.backward()
    except RuntimeError as error:  # a saved value changed in place: both must refuse
        assert "modified by an inplace operation" in str(error).replace("in-place", "inplace")
        return "refused"
    return (loss.item(), h.detach().numpy().copy(), x.grad.numpy().copy(),
            None if w.grad is None else w.grad.numpy().copy())


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_write_through_a_view_matches_pytorch(case):
    got = _run(tg, case)
    if torch is None:
        pytest.skip("PyTorch not installed: the hand-written cases below still check")
    want = _run(torch, case)
    assert (got == "refused") == (want == "refused"), case
    if got == "refused":
        return
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    for mine, theirs in zip(got[1:], want[1:]):
        assert (mine is None) == (theirs is None), case
        if mine is not None:
            np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12, err_msg=case)


def test_hand_written_values_and_gradients():
    x = tg.tensor(X, requires_grad=True)
    w = tg.tensor(W, requires_grad=True)
    h = x * 2
    h[1].add_(w)  # h = [[2, 4, 6], [8.5, 9, 14]]
    assert h.tolist() == [[2.0, 4.0, 6.0], [8.5, 9.0, 14.0]]
    (h * h).sum().backward()  # d/dx = 2 * 2h, d/dw = 2h[1]
    np.testing.assert_allclose(x.grad.numpy(), [[8, 16, 24], [34, 36, 56]])
    np.testing.assert_allclose(w.grad.numpy(), [17, 18, 28])


def test_a_live_view_sees_a_write_into_its_base_and_follows_its_graph():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * 1
    tail = h[1:]
    h[2] = w[0] * 10  # tail sees 10 * w0 at its end
    assert tail.tolist() == [2.0, 10.0]
    tail.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [10.0, 1.0, 0.0])


def test_gradcheck_through_writes_into_views():
    def f(x, w):
        h = x * x.sin()
        h[1].mul_(w)
        h.T[0].tanh_()
        row = h[0]
        h[0, 2] = w[1] ** 2
        return (h * h).sum() + row.sum() * 3

    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    w = tg.tensor(rng.normal(size=3), requires_grad=True)
    assert tg.gradcheck(f, (x, w))
    assert tg.autograd.gradgradcheck(f, (x, w))


def test_retain_grad_and_hooks_follow_the_written_tensors():
    x = tg.tensor(X, requires_grad=True)
    h = x * 2
    h.retain_grad()
    v = h[0]
    v.retain_grad()
    v.mul_(3)
    (h * h).sum().backward()  # v is not on the loss's path after the write (as PyTorch)
    assert v.grad is None
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), [[72, 144, 216], [32, 40, 48]])
    u = x * 1
    row = u[1]
    row.retain_grad()
    row.add_(1)
    (row * row).sum().backward()
    np.testing.assert_allclose(row.grad.numpy(), [10, 12, 14])


def test_a_saved_value_changed_through_a_view_refuses_backward_as_pytorch():
    x = tg.tensor(X, requires_grad=True)
    h = x.exp()  # exp saved its output h
    h[0].add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        h.sum().backward()


def test_views_the_graph_cannot_follow_are_refused_untouched():
    w = tg.tensor(W, requires_grad=True)
    leaf = tg.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf[0].add_(w)  # a view of a leaf: PyTorch's error
    h = w * 1
    detached = h.detach().reshape(3, 1)  # a view of a detach(): its own graph, h keeps its
    detached[0] = w[0] * 2
    assert detached.requires_grad and h.tolist()[0] == 1.0  # (the values: shared memory)
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0, 1.0])
    h = w * 1
    with tg.no_grad():
        quiet = h[:2]
    with pytest.raises(RuntimeError, match="no_grad mode"):
        quiet.mul_(w[:2])  # made under no_grad (PyTorch refuses it too)
    assert quiet.tolist() == h.tolist()[:2]
    expanded = (w * 1).expand(2, 3)
    with pytest.raises(RuntimeError, match="expand"):
        expanded.add_(w)


def test_plain_views_of_a_buffer_join_the_graph():
    w = tg.tensor(W, requires_grad=True)
    buf = tg.zeros(2, 3)
    first, second = buf[0], buf[1]
    first.add_(w)
    assert buf.requires_grad and first.requires_grad and second.requires_grad
    (second + buf[0] * 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_detached_views_of_a_buffer_keep_their_own_graphs():
    w = tg.tensor(W, requires_grad=True)
    buf = tg.zeros(2, 3)
    loose = buf.detach()[0]
    buf[0] = w
    (buf.sum() + loose.sum()).backward()  # loose sees the values, not the graph (PyTorch)
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0, 1.0])
    assert not loose.requires_grad and loose.tolist() == W
    w.grad = None
    buf = tg.zeros(2, 3)
    d = buf.detach()
    d[0].add_(w)  # d's graph records it; buf stays a plain tensor
    ((buf * 2).sum() + (d * 3).sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0, 3.0])
    assert not buf.requires_grad and d.requires_grad


def test_a_view_of_a_temporary_writes_through_as_pytorch():
    x = tg.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    h = (x * 1).view(4)  # the temporary x * 1 is kept alive by its view (PyTorch's _base)
    tg.nn.functional.relu(h[1:3], inplace=True)
    (h * h).sum().backward()
    assert h.tolist() == [1.0, 0.0, 3.0, -4.0]
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 0.0], [6.0, -8.0]])


def test_a_zero_dimensional_base_is_refused_cleanly():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x.sum() * 1
    v = h.view(1)
    with pytest.raises(RuntimeError, match="shares memory"):
        v.mul_(x[0])
