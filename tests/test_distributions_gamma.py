"""Exponential, Gamma, Beta, Dirichlet, Poisson, LogNormal: closed forms, sampling moments,
and log_prob / entropy values and gradients against PyTorch when installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

D = tg.distributions


def _f64(values) -> tg.Tensor:
    return tg.tensor(values, dtype=tg.float64)


def test_closed_forms() -> None:
    x = _f64([0.0, 0.5, 2.0])
    rate = _f64(1.5)
    np.testing.assert_allclose(D.Exponential(rate).log_prob(x).numpy(),
                               math.log(1.5) - 1.5 * x.numpy(), rtol=1e-13)
    # Gamma(1, rate) is Exponential(rate); Beta(1, 1) is uniform; Dirichlet(1, 1, 1) has density 2
    np.testing.assert_allclose(D.Gamma(_f64(1.0), rate).log_prob(x[1:]).numpy(),
                               D.Exponential(rate).log_prob(x[1:]).numpy(), rtol=1e-12)
    np.testing.assert_allclose(D.Beta(_f64(1.0), _f64(1.0)).log_prob(_f64([0.2, 0.9])).numpy(),
                               [0.0, 0.0], atol=1e-13)
    np.testing.assert_allclose(D.Dirichlet(_f64([1.0, 1.0, 1.0])).log_prob(
        _f64([0.2, 0.3, 0.5])).numpy(), math.log(2.0), rtol=1e-12)
    np.testing.assert_allclose(D.Poisson(_f64(3.0)).log_prob(_f64([0.0, 2.0])).numpy(),
                               [-3.0, 2 * math.log(3.0) - 3.0 - math.log(2.0)], rtol=1e-12)
    np.testing.assert_allclose(D.Exponential(rate).entropy().numpy(), 1 - math.log(1.5))
    np.testing.assert_allclose(D.LogNormal(_f64(0.0), _f64(1.0)).log_prob(_f64(1.0)).numpy(),
                               -0.5 * math.log(2 * math.pi), rtol=1e-13)


def test_sampling_moments() -> None:
    tg.manual_seed(0)
    assert abs(D.Gamma(_f64(2.0), _f64(4.0)).sample((20000,)).mean().item() - 0.5) < 0.02
    assert abs(D.Beta(_f64(2.0), _f64(6.0)).sample((20000,)).mean().item() - 0.25) < 0.01
    dirichlet = D.Dirichlet(_f64([1.0, 3.0])).sample((10000,))
    assert dirichlet.shape == (10000, 2)
    np.testing.assert_allclose(dirichlet.sum(-1).numpy(), 1.0, rtol=1e-12)
    assert abs(dirichlet.mean(0)[1].item() - 0.75) < 0.02
    poisson = D.Poisson(_f64(3.0)).sample((10000,))
    assert abs(poisson.mean().item() - 3.0) < 0.1 and np.all(np.mod(poisson.numpy(), 1) == 0)
    rate = tg.tensor(2.0, requires_grad=True)
    draws = D.Exponential(rate).rsample((10000,))
    assert abs(draws.mean().item() - 0.5) < 0.03
    draws.mean().backward()  # d/drate of E[x] = -1/rate^2 = -0.25
    assert abs(rate.grad.item() + 0.25) < 0.02
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Poisson(_f64(2.0)).rsample()  # (Gamma's is implicit: tests/..._round13.py)


def test_validation() -> None:
    with pytest.raises(ValueError):
        D.Gamma(_f64(-1.0), _f64(1.0))
    with pytest.raises(ValueError):
        D.Beta(_f64(1.0), _f64(1.0)).log_prob(_f64(1.5))
    with pytest.raises(ValueError):
        D.Poisson(_f64(2.0)).log_prob(_f64(1.5))
    assert D.Exponential(_f64(1.0)).log_prob(_f64(0.0)).item() == 0.0  # 0 is in the support


@pytest.mark.parametrize("name, params, value", [
    ("Exponential", ([0.5, 2.0],), [0.3, 1.7]),
    ("Gamma", ([0.5, 2.0, 3.3], [1.5, 0.7, 2.0]), [0.3, 1.7, 2.2]),
    ("Beta", ([0.5, 2.0], [1.5, 0.7]), [0.3, 0.8]),
    ("Dirichlet", ([[0.5, 2.0, 1.0], [3.0, 1.0, 0.2]],), [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]),
    ("LogNormal", ([0.5, 2.0, 7.5], [0.3, 1.0, 2.0]), [0.3, 1.7, 5.0]),
])
def test_against_pytorch(name: str, params: tuple, value: list) -> None:
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, tg):
        tensors = [lib.tensor(p, dtype=lib.float64, requires_grad=True) for p in params]
        dist = getattr(lib.distributions, name)(*tensors)
        v = lib.tensor(value, dtype=lib.float64)
        total = dist.log_prob(v).sum() + dist.entropy().sum()
        total.backward()
        results.append((float(total.detach()), [t.grad.numpy().copy() for t in tensors]))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-10)
    for ours, theirs in zip(results[1][1], results[0][1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8)


def test_poisson_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, tg):
        rate = lib.tensor([0.5, 2.0, 7.5], dtype=lib.float64, requires_grad=True)
        log_prob = lib.distributions.Poisson(rate).log_prob(
            lib.tensor([0.0, 3.0, 6.0], dtype=lib.float64)).sum()
        log_prob.backward()
        results.append((float(log_prob.detach()), rate.grad.numpy().copy()))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12)
