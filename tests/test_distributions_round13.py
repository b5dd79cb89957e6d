"""Round 13 of torch.distributions parity: KL infinities where the supports do not match,
implicit reparameterisation of the gamma-based families, the Distribution base for
user-written subclasses, expand and MultivariateNormal batch broadcasting, the transforms
module, mode/cdf/icdf, and generators. Compared with torch (float64) where it is installed,
with fixed closed-form values otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

D = tg.distributions
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _f64(values, grad: bool = False) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


# ----------------------------------------------------------------- 1. KL support mismatch
@pytest.mark.parametrize(("p", "q", "expected"), [
    (0.5, 1.0, math.inf), (0.5, 0.0, math.inf), (0.0, 1.0, math.inf), (1.0, 0.0, math.inf),
    (0.0, 0.0, 0.0), (1.0, 1.0, 0.0),
    (0.3, 0.6, 0.3 * math.log(0.3 / 0.6) + 0.7 * math.log(0.7 / 0.4)),
])
def test_kl_bernoulli_support_mismatch_is_inf(p: float, q: float, expected: float) -> None:
    kl = D.kl_divergence(D.Bernoulli(_f64(p)), D.Bernoulli(_f64(q)))
    assert kl.item() == pytest.approx(expected, abs=1e-12)


def test_kl_bernoulli_gradient_finite_where_q_inside() -> None:
    p, q = _f64([0.3, 0.5], grad=True), _f64([0.6, 1.0])
    D.kl_divergence(D.Bernoulli(p), D.Bernoulli(q))[0].backward()
    # d/dp [p log(p/q) + (1-p) log((1-p)/(1-q))] = log(p/q) - log((1-p)/(1-q))
    assert p.grad.numpy()[0] == pytest.approx(math.log(0.3 / 0.6) - math.log(0.7 / 0.4))
    assert p.grad.numpy()[1] == 0.0


def test_kl_binomial_larger_p_count_is_inf() -> None:
    kl = D.kl_divergence(D.Binomial(5, _f64(0.3)), D.Binomial(4, _f64(0.3)))
    assert kl.item() == math.inf
    counts = _f64([5.0, 4.0])
    kl = D.kl_divergence(D.Binomial(counts, _f64(0.3)), D.Binomial(4, _f64(0.6)))
    expected = 4 * (0.3 * math.log(0.3 / 0.6) + 0.7 * math.log(0.7 / 0.4))
    np.testing.assert_allclose(kl.numpy(), [math.inf, expected], rtol=1e-12)


def test_kl_binomial_smaller_p_count_refused_naming_that_case() -> None:
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        D.kl_divergence(D.Binomial(4, _f64(0.3)), D.Binomial(5, _f64(0.3)))


@needs_torch
@pytest.mark.parametrize(("name", "p", "q"), [
    ("Bernoulli", [[0.5, 0.0, 1.0, 0.3]], [[1.0, 0.0, 0.0, 0.6]]),
    ("Binomial", [[5.0, 4.0, 4.0, 4.0], [0.3, 0.0, 0.5, 0.5]],
     [[4.0, 4.0, 4.0, 4.0], [0.3, 0.5, 1.0, 0.0]]),
    ("Geometric", [[0.5, 1.0]], [[1.0, 0.5]]),
    ("Poisson", [[1.0, 2.0]], [[0.0, 3.0]]),
    ("Categorical", [[[0.5, 0.5], [1.0, 0.0]]], [[[1.0, 0.0], [0.5, 0.5]]]),
    ("OneHotCategorical", [[[0.5, 0.5], [1.0, 0.0]]], [[[1.0, 0.0], [0.5, 0.5]]]),
    ("Pareto", [[1.0, 2.0], [1.0, 3.0]], [[2.0, 1.0], [1.0, 1.0]]),
    ("Uniform", [[0.0, 0.0], [1.0, 2.0]], [[0.5, 0.0], [2.0, 2.0]]),
])
def test_kl_support_mismatch_matches_torch(name: str, p: list, q: list) -> None:
    def make(module, tensor, args):
        return getattr(module, name)(*(tensor(np.asarray(a, dtype=np.float64)) for a in args))
    ours = D.kl_divergence(make(D, tg.tensor, p), make(D, tg.tensor, q)).numpy()
    theirs = torch.distributions.kl_divergence(make(torch.distributions, torch.tensor, p),
                                               make(torch.distributions, torch.tensor, q))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10)
