"""torch.utils.checkpoint (the same values and gradients as the direct call; recomputation is
tested in test_func_round13.py) and weight normalisation: nn.utils.weight_norm /
remove_weight_norm (a forward pre-hook) and nn.utils.parametrizations.weight_norm
(nn.utils.parametrize)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.utils.checkpoint import checkpoint, checkpoint_sequential


# ----------------------------------------------------------------- checkpoint
def _mlp():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2), nn.Tanh())


def test_checkpoint_gives_the_direct_values_and_gradients():
    model = _mlp()
    x = tg.randn(4, 3, requires_grad=True)
    direct = model(x).sum()
    direct.backward()
    want = [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]
    x.grad = None
    model.zero_grad()
    for use_reentrant in (False, True):
        out = tg.utils.checkpoint.checkpoint(model, x, use_reentrant=use_reentrant).sum()
        np.testing.assert_allclose(out.item(), direct.item(), rtol=1e-6)
        out.backward()
        got = [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6)
        x.grad = None
        model.zero_grad()


def test_checkpoint_keyword_arguments_and_sequential():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    out = checkpoint(lambda a, *, scale: (a * scale).sum(), x, scale=3.0, use_reentrant=False)
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda a, *, scale: a * scale, x, scale=3.0, use_reentrant=True)
    with pytest.raises(TypeError, match="callable"):
        checkpoint(3, x, use_reentrant=False)
    model = _mlp()
    y = tg.randn(2, 3)
    np.testing.assert_allclose(checkpoint_sequential(model, 2, y, use_reentrant=False).numpy(),
                               model(y).numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        np.testing.assert_allclose(checkpoint_sequential(list(model), 1, y).numpy(),
                                   model(y).numpy(), rtol=1e-6)


# ----------------------------------------------------------------- weight_norm
W = np.arange(12, dtype=np.float32).reshape(3, 4) / 7 - 0.5
X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
# PyTorch 2.13: the first output row and the gradients of sum(out**2) for both weight_norms
OUT0 = [0.857143, -0.44898, -1.755102]
GRAD_BIAS = [0.816327, 0.816326, 0.816326]
GRAD_G = [[2.860372], [2.860372], [8.900251]]
GRAD_V = [[0.34208, -0.048868, -0.439817, -0.830765],
          [0.830765, 0.439817, 0.048868, -0.34208],
          [0.847163, 0.351262, -0.144638, -0.640539]]


def _linear(mod, which):
    lin = mod.nn.Linear(4, 3)
    with mod.no_grad():
        lin.weight.copy_(mod.tensor(W))
        lin.bias.zero_()
    if which == "hook":
        with pytest.warns(FutureWarning, match="deprecated"):  # as PyTorch
            return mod.nn.utils.weight_norm(lin)
    return mod.nn.utils.parametrizations.weight_norm(lin)


def _run(mod, which):
    lin = _linear(mod, which)
    out = lin(mod.tensor(X))
    (out**2).sum().backward()
    return (list(lin.state_dict()), out.detach().numpy(),
            [p.grad.numpy() for p in lin.parameters()])


@pytest.mark.parametrize("which", ["hook", "parametrization"])
def test_weight_norm_matches_pytorch_numbers(which):
    keys, out, grads = _run(tg, which)
    if which == "hook":
        assert keys == ["bias", "weight_g", "weight_v"]
    else:
        assert keys == ["bias", "parametrizations.weight.original0",
                        "parametrizations.weight.original1"]
    np.testing.assert_allclose(out[0], OUT0, rtol=1e-5)
    for got, want in zip(grads, (GRAD_BIAS, GRAD_G, GRAD_V)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("which", ["hook", "parametrization"])
def test_weight_norm_matches_torch(which):
    torch = pytest.importorskip("torch")
    ours, theirs = _run(tg, which), _run(torch, which)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)
    for got, want in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_weight_norm_gradients_match_central_differences():
    from tinygrad_np.nn.utils.parametrizations import norm_except_dim

    g = tg.tensor(np.array([[1.5], [0.5]]), requires_grad=True)
    v = tg.tensor(np.array([[0.3, -1.0, 2.0], [1.0, 0.5, -0.2]]), requires_grad=True)
    x = tg.tensor(np.array([0.4, -0.6, 1.1]))
    assert tg.gradcheck(lambda g, v: ((v * (g / norm_except_dim(v, 0))) @ x).pow(2).sum(),
                        [g, v])


@pytest.mark.filterwarnings("ignore:.*weight_norm. is deprecated:FutureWarning")
def test_weight_norm_shapes_dims_and_training():
    conv = nn.Conv2d(2, 3, 2)
    w = conv.weight.detach().numpy().copy()
    nn.utils.weight_norm(conv)
    assert conv.weight_g.shape == (3, 1, 1, 1) and conv.weight_v.shape == (3, 2, 2, 2)
    np.testing.assert_allclose(conv.weight.detach().numpy(), w, rtol=1e-6)
    assert nn.utils.weight_norm(nn.Linear(2, 3), dim=None).weight_g.shape == ()
    assert nn.utils.weight_norm(nn.Linear(2, 3), dim=1).weight_g.shape == (1, 2)
    with pytest.raises(RuntimeError, match="two weight_norm"):
        nn.utils.weight_norm(conv)
    # a training step moves g and v, and the next forward sees the new weight
    lin = nn.utils.weight_norm(nn.Linear(3, 1))
    opt = tg.optim.SGD(lin.parameters(), lr=0.1)
    before = lin.weight.detach().numpy().copy()
    lin(tg.ones(2, 3)).sum().backward()
    opt.step()
    lin(tg.ones(2, 3))
    assert not np.allclose(lin.weight.detach().numpy(), before)
    restored = lin.weight.detach().numpy().copy()
    nn.utils.remove_weight_norm(lin)
    assert isinstance(lin.weight, nn.Parameter) and list(lin.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(lin.weight.detach().numpy(), restored, rtol=1e-6)
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_weight_norm(lin)


def test_parametrized_weight_norm_module_behaviour():
    from tinygrad_np.nn.utils import parametrize
    from tinygrad_np.nn.utils.parametrizations import weight_norm

    lin = nn.Linear(3, 2)
    w = lin.weight.detach().numpy().copy()
    weight_norm(lin)
    assert isinstance(lin, nn.Linear) and type(lin).__name__ == "ParametrizedLinear"
    assert parametrize.is_parametrized(lin) and parametrize.is_parametrized(lin, "weight")
    assert lin.parametrizations.weight.original0.shape == (2, 1)
    np.testing.assert_allclose(lin.weight.detach().numpy(), w, rtol=1e-6)
    other = weight_norm(nn.Linear(3, 2))
    other.load_state_dict(lin.state_dict())
    np.testing.assert_allclose(other.weight.detach().numpy(), w, rtol=1e-6)
    conv = weight_norm(nn.Conv2d(2, 3, 2), dim=1)
    assert conv.parametrizations.weight.original0.shape == (1, 2, 1, 1)
    parametrize.remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and isinstance(lin.weight, nn.Parameter)
    assert list(lin.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(lin.weight.detach().numpy(), w, rtol=1e-6)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(lin, "weight")
