"""torch.func's transforms (grad, grad_and_value, vjp, jacrev/jacfwd, hessian, vmap,
functional_call, stack_module_state): closed-form derivatives, nesting, and PyTorch's values
where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import func

try:
    import torch
except ImportError:  # the closed forms below need no oracle
    torch = None

X = np.array([0.3, -1.2, 2.0])
W = np.arange(12.0).reshape(4, 3) / 10
B = np.linspace(-1.0, 1.0, 15).reshape(5, 3)


def test_grad_and_its_nesting_give_closed_form_derivatives():
    x = tg.tensor(X)
    g = func.grad(lambda t: (t.sin() * t).sum())(x)
    np.testing.assert_allclose(g.numpy(), np.cos(X) * X + np.sin(X))
    second = func.grad(lambda t: func.grad(lambda u: (u**3).sum())(t).sum())(x)
    np.testing.assert_allclose(second.numpy(), 6 * X)
    gradient, value = func.grad_and_value(lambda t: (t**2).sum())(x)
    np.testing.assert_allclose(gradient.numpy(), 2 * X)
    assert value.item() == pytest.approx((X**2).sum())
    (ga, gb) = func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, x * 2)
    np.testing.assert_allclose(ga.numpy(), 2 * X)
    np.testing.assert_allclose(gb.numpy(), X)
    g, aux = func.grad(lambda t: ((t**2).sum(), t.mean()), has_aux=True)(x)
    assert aux.item() == pytest.approx(X.mean())
    assert not x.requires_grad and x.grad is None  # the input is untouched
    with pytest.raises(RuntimeError, match="Expected f.*args. to return a scalar Tensor"):
        func.grad(lambda t: t * 2)(x)


def test_jacobians_hessian_and_vjp():
    x = tg.tensor(X)
    jac = func.jacrev(lambda t: tg.tensor(W) @ t.tanh())(x)
    np.testing.assert_allclose(jac.numpy(), W * (1 - np.tanh(X) ** 2))
    np.testing.assert_allclose(func.jacfwd(lambda t: tg.tensor(W) @ t.tanh())(x).numpy(),
                               jac.numpy())
    hess = func.hessian(lambda t: (t.sin() * t).sum())(x)
    np.testing.assert_allclose(hess.numpy(), np.diag(2 * np.cos(X) - X * np.sin(X)))
    out, vjp_fn = func.vjp(lambda t: t.exp() * 2, x)
    (cotangent,) = vjp_fn(tg.tensor([1.0, 0.0, 2.0], dtype=tg.float64))
    np.testing.assert_allclose(cotangent.numpy(), 2 * np.exp(X) * [1.0, 0.0, 2.0])


def test_vmap_maps_dims_and_composes_with_grad():
    batch = tg.tensor(B)
    np.testing.assert_allclose(func.vmap(lambda t: (t * t).sum())(batch).numpy(),
                               (B * B).sum(1))
    np.testing.assert_allclose(func.vmap(func.grad(lambda t: t.sin().sum()))(batch).numpy(),
                               np.cos(B))
    np.testing.assert_allclose(
        func.vmap(lambda a, b: a * b, in_dims=(0, None))(batch, tg.tensor(X)).numpy(), B * X)
    columns, sums = func.vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(batch)
    np.testing.assert_allclose(columns.numpy(), B.T)
    assert tg.vmap is func.vmap
    with pytest.raises(ValueError, match="same size"):
        func.vmap(lambda a, b: a + b)(batch, tg.ones(4, 3))


def test_per_sample_gradients_and_an_ensemble_with_functional_call():
    model = tg.nn.Linear(3, 2).double()
    params = {"weight": tg.tensor(W[:2]), "bias": tg.zeros(2, dtype=tg.float64)}
    np.testing.assert_allclose(func.functional_call(model, params, (tg.tensor(X),)).numpy(),
                               W[:2] @ X)
    assert model.weight.shape == (2, 3) and not np.allclose(model.weight.detach().numpy(),
                                                            W[:2])  # restored

    def loss(p, sample):
        return func.functional_call(model, p, (sample,)).pow(2).sum()

    per_sample = func.vmap(func.grad(loss), in_dims=(None, 0))(params, tg.tensor(B))
    out = B @ W[:2].T  # d/dW sum(out^2) = 2 out x^T, per sample
    np.testing.assert_allclose(per_sample["weight"].numpy(),
                               2 * out[:, :, None] * B[:, None, :])
    np.testing.assert_allclose(per_sample["bias"].numpy(), 2 * out)
    models = [tg.nn.Linear(3, 2).double() for _ in range(4)]
    stacked, buffers = func.stack_module_state(models)
    assert stacked["weight"].shape == (4, 2, 3) and stacked["weight"].requires_grad
    outputs = func.vmap(lambda p, x: func.functional_call(models[0], p, (x,)),
                        in_dims=(0, None))(stacked, tg.tensor(X))
    np.testing.assert_allclose(outputs.detach().numpy(), np.stack(
        [m(tg.tensor(X)).detach().numpy() for m in models]))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside torch.func itself
@pytest.mark.skipif(torch is None, reason="the comparison needs PyTorch (closed forms above)")
def test_transforms_match_pytorch():
    def run(library):
        x = library.tensor(X)
        f = library.func
        return [f.grad(lambda t: (t.sin() * t.cos()).sum())(x),
                f.hessian(lambda t: (t.exp() * t).sum())(x),
                f.jacrev(lambda t: t.softmax(0))(x),
                f.vmap(f.grad(lambda t: t.tanh().sum()))(library.tensor(B))]

    for ours, theirs in zip(run(tg), run(torch)):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)


def test_results_are_detached_unless_an_input_is_in_a_graph():
    x = tg.tensor(X)
    assert not func.grad(lambda t: (t**2).sum())(x).requires_grad  # as PyTorch
    assert not func.jacrev(lambda t: t.exp())(x).requires_grad
    w = tg.tensor(X, requires_grad=True)  # an outer graph: the result stays in it
    inner = func.grad(lambda t: (t**3).sum())(w)
    assert inner.requires_grad
    inner.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 6 * X)
