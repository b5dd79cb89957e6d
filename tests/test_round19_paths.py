"""tg.grad and backward(inputs=...) run only the nodes on a path to an input asked for, as
PyTorch's engine: the other nodes keep their saved values (a later backward through them
works) and tensors off those paths that called retain_grad() get no gradient."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

E = math.e


def test_grad_leaves_a_side_branch_usable():
    x, w = tg.ones(3, requires_grad=True), tg.ones(3, requires_grad=True)
    mu = w.exp()  # saves its result: freed if grad() ran it
    (g,) = tg.autograd.grad((x * mu).sum(), x)
    mu.sum().backward()  # PyTorch: works, w.grad = e
    np.testing.assert_allclose(g.numpy(), [E] * 3, rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), [E] * 3, rtol=1e-6)


def test_grad_does_not_run_the_inputs_own_node():
    x = tg.ones(3, requires_grad=True)
    h = x.exp()
    (g,) = tg.autograd.grad((h * h).sum(), h)
    h.sum().backward()  # h's node (Exp) still holds its saved result
    np.testing.assert_allclose(g.numpy(), [2 * E] * 3, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [E] * 3, rtol=1e-6)


def test_grad_runs_an_inputs_node_when_another_input_lies_below():
    x = tg.tensor([0.5, 2.0], requires_grad=True)
    h = x.exp()
    gh, gx = tg.autograd.grad((h * h).sum(), (h, x))
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp([0.5, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(gx.numpy(), 2 * np.exp([1.0, 4.0]), rtol=1e-6)


def test_backward_inputs_leaves_a_side_branch_usable():
    x, w = tg.ones(3, requires_grad=True), tg.ones(3, requires_grad=True)
    mu = w.exp()
    (x * mu).sum().backward(inputs=[x])
    assert w.grad is None
    mu.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [E] * 3, rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), [E] * 3, rtol=1e-6)


def test_retain_grad_off_the_path_stays_unset_on_it_is_set():
    x, w = tg.ones(3, requires_grad=True), tg.ones(3, requires_grad=True)
    off, on = w.exp(), x * 3
    off.retain_grad()
    on.retain_grad()
    tg.autograd.grad((on * off).sum(), x)
    assert off.grad is None  # PyTorch: None (its node never runs)
    np.testing.assert_allclose(on.grad.numpy(), [E] * 3, rtol=1e-6)


def test_a_second_pass_through_a_node_grad_ran_is_refused():
    x, w = tg.ones(3, requires_grad=True), tg.ones(3, requires_grad=True)
    y = (x * w.exp()).sum()
    tg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_create_graph_second_order_unchanged():
    x = tg.tensor([0.3, -1.2], requires_grad=True)
    w = tg.tensor([2.0, 0.5], requires_grad=True)
    y = (w * x ** 3).sum()
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    ws, xs = np.array([2.0, 0.5]), np.array([0.3, -1.2])
    np.testing.assert_allclose(g.detach().numpy(), 3 * ws * xs**2, rtol=1e-6)
    np.testing.assert_allclose(h.numpy(), 6 * ws * xs, rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):  # as PyTorch: the second grad()
        g.sum().backward()  # ran (and freed) the nodes on x's path, shared with w's


def test_deep_chain_does_not_recurse():
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    (g,) = tg.autograd.grad(y.sum(), x)
    assert g.item() == 1.0


@pytest.mark.parametrize("case", range(4))
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = lib.tensor([1.5, 0.25, -0.5], requires_grad=True)
        mu = (w * w).tanh()
        h = x.sigmoid()
        y = (h * mu).sum() + (x * x).sum()
        if case == 0:
            out = [t.tolist() for t in lib.autograd.grad(y, x)]
            mu.sum().backward()
            return out, w.grad.tolist()
        if case == 1:
            out = [t.tolist() for t in lib.autograd.grad(y, h, retain_graph=False)]
            h.sum().backward()
            return out, x.grad.tolist()
        if case == 2:
            y.backward(inputs=[w])
            (mu * x).sum().backward(inputs=[x])
            return w.grad.tolist(), x.grad.tolist()
        mu.retain_grad()
        h.retain_grad()
        lib.autograd.grad(y, [x])
        return mu.grad, h.grad is None

    ours, theirs = run(tg), run(torch)
    np.testing.assert_allclose(np.array(ours[0], dtype=float), np.array(theirs[0], dtype=float),
                               rtol=1e-6) if ours[0] is not None else None
    assert (ours[0] is None) == (theirs[0] is None)
    if isinstance(ours[1], list):
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    else:
        assert ours[1] == theirs[1]
