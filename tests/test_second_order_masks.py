"""Second derivatives through ops whose gradient uses the input only through a mask (ReLU,
abs, leaky_relu, hardtanh, relu6, clamp, max pooling): the recorded gradient stays connected
to the input with derivative zero, so differentiating it again gives zeros (PyTorch's
answer) instead of "does not require grad". Expected values come from the mathematics
(a piecewise-linear function has zero curvature) and, where installed, from PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

VALUES = np.array([-1.5, 0.5, 2.0, -0.2, 0.7, -3.0], np.float64)

MASKED = {  # name: (tinygrad_np, PyTorch) on a (6,) tensor
    "relu": (lambda x: x.relu(), lambda x, t: x.relu()),
    "abs": (lambda x: x.abs(), lambda x, t: x.abs()),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1),
                   lambda x, t: t.nn.functional.leaky_relu(x, 0.1)),
    "hardtanh": (lambda x: F.hardtanh(x), lambda x, t: t.nn.functional.hardtanh(x)),
    "relu6": (lambda x: F.relu6(x * 4), lambda x, t: t.nn.functional.relu6(x * 4)),
    "clamp": (lambda x: x.clamp(-1, 1), lambda x, t: x.clamp(-1, 1)),
    "max_pool1d": (lambda x: F.max_pool1d(x.reshape(1, 1, 6), 2),
                   lambda x, t: t.nn.functional.max_pool1d(x.reshape(1, 1, 6), 2)),
    "max_pool2d": (lambda x: F.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1),
                   lambda x, t: t.nn.functional.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1)),
}


def weights() -> np.ndarray:
    return np.linspace(0.5, 3.0, 6)


@pytest.mark.parametrize("name", MASKED)
def test_the_second_derivative_through_a_mask_is_zero(name):
    op = MASKED[name][0]
    x = Tensor(VALUES.copy(), requires_grad=True)
    out = op(x)
    (g,) = tg.grad((out * Tensor(weights()[:out.numel()].reshape(out.shape))).sum(), x,
                   create_graph=True)
    assert g.requires_grad
    (second,) = tg.grad((g * g).sum(), x)  # d/dx of sum(g^2): g is piecewise constant in x
    np.testing.assert_array_equal(second.numpy(), np.zeros(6))
    assert second.dtype == x.dtype


@pytest.mark.parametrize("name", MASKED)
def test_a_masked_gradient_matches_pytorch_to_second_order(name):
    torch = pytest.importorskip("torch")
    ours, theirs = MASKED[name]
    v = Tensor(np.linspace(-1, 1, 6), requires_grad=True)  # a second leaf, used past the mask
    x = Tensor(VALUES.copy(), requires_grad=True)
    (g,) = tg.grad((ours(x * v) * 1.5).sum(), x, create_graph=True)
    gx, gv = tg.grad((g * g).sum(), [x, v])
    tv = torch.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    tx = torch.tensor(VALUES.copy(), requires_grad=True)
    (tg_,) = torch.autograd.grad((theirs(tx * tv, torch) * 1.5).sum(), tx, create_graph=True)
    tgx, tgv = torch.autograd.grad((tg_ * tg_).sum(), [tx, tv], allow_unused=True,
                                   materialize_grads=True)
    np.testing.assert_allclose(g.detach().numpy(), tg_.detach().numpy())
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(force=True), atol=1e-12)
    np.testing.assert_allclose(gv.numpy(), tgv.numpy(force=True), atol=1e-12)


def relu_net(x, w1, w2):
    return ((x @ w1).relu() @ w2).sum()


def test_the_hessian_of_a_relu_net_in_its_input_is_zero_and_the_mixed_one_is_not():
    rng = np.random.default_rng(0)
    x0, w10, w20 = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 1))
    x, w1, w2 = (Tensor(a.copy(), requires_grad=True) for a in (x0, w10, w20))
    (gx,) = tg.grad(relu_net(x, w1, w2), x, create_graph=True)
    hxx, hxw2 = tg.grad((gx * Tensor(np.ones((2, 3)))).sum(), [x, w2])
    np.testing.assert_array_equal(hxx.numpy(), np.zeros((2, 3)))
    # sum(d f/dx) = sum_n sum_i sum_j w1[i, j] mask[n, j] w2[j]: its w2-gradient, by hand
    mask = (x0 @ w10) > 0
    np.testing.assert_allclose(hxw2.numpy()[:, 0], (mask * w10.sum(axis=0)).sum(axis=0))


def test_a_third_derivative_through_the_mask_is_zero_too():
    x = Tensor(VALUES.copy(), requires_grad=True)
    (g,) = tg.grad((x.relu() * x).sum(), x, create_graph=True)  # g = 2x where x > 0
    (h,) = tg.grad(g.sum(), x, create_graph=True)  # h = 2 where x > 0
    (third,) = tg.grad(h.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), 2 * VALUES * (VALUES > 0))
    np.testing.assert_allclose(h.detach().numpy(), 2.0 * (VALUES > 0))
    np.testing.assert_array_equal(third.numpy(), np.zeros(6))


def test_backward_and_first_order_grad_are_unchanged():
    x = Tensor(VALUES.copy(), requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (VALUES > 0).astype(float))
    (g,) = tg.grad(x.abs().sum(), x)
    assert not g.requires_grad
    np.testing.assert_array_equal(g.numpy(), np.sign(VALUES))


def test_a_gradient_penalty_through_leaky_relu_trains_the_weights():
    """WGAN-GP's term: (|d D(x) / dx| - 1)^2, differentiated with respect to D's weights."""
    rng = np.random.default_rng(1)
    x0, w0 = rng.normal(size=(5, 3)), rng.normal(size=(3, 1))
    x, w = Tensor(x0.copy(), requires_grad=True), Tensor(w0.copy(), requires_grad=True)
    (gx,) = tg.grad(F.leaky_relu(x @ w, 0.2).sum(), x, create_graph=True)
    penalty = ((gx.pow(2).sum(dim=1).sqrt() - 1) ** 2).mean()
    penalty.backward()
    # by hand: gx[n] = s[n] w^T with s = 1 or 0.2, |gx[n]| = s[n] |w|
    s = np.where(x0 @ w0 > 0, 1.0, 0.2)[:, 0]
    norm = np.linalg.norm(w0)
    expected = (2 * (s * norm - 1) * s).mean() * w0 / norm
    np.testing.assert_allclose(w.grad.numpy(), expected)
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((5, 3)))


@pytest.mark.parametrize("order", [3, 4])
def test_higher_derivatives_of_a_masked_leaf_are_zero_and_stay_differentiable(order):
    x = Tensor(VALUES.copy(), requires_grad=True)
    (g,) = tg.grad(x.relu().sum(), x, create_graph=True)
    for _ in range(order - 2):
        (g,) = tg.grad((g * g).sum(), x, create_graph=True)
        assert g.requires_grad
    (last,) = tg.grad((g * g).sum(), x)
    np.testing.assert_array_equal(last.numpy(), np.zeros(6))


def test_anomaly_detection_names_the_masked_op_under_create_graph():
    x = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ReLU\.backward returned NaN"):
        with tg.autograd.detect_anomaly():
            tg.grad(x.relu(), x, grad_outputs=Tensor(np.array([np.nan, 1.0, 1.0])),
                    create_graph=True)
