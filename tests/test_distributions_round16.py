"""Round 16 of torch.distributions parity: Beta and Dirichlet rsample gradients by implicit
reparameterisation (torch._dirichlet_grad's quantity), ExponentialFamily, the constraint
registries (positive definite, correlation Cholesky), GeneralizedPareto,
CumulativeDistributionTransform, distributions.utils names, Generator offsets, the private
sampling functions (torch._standard_gamma, ...), KL gradients where the value is inf.
Compared with torch (float64) where it is installed, with fixed values otherwise (from
closed forms or from mpmath at 40 digits)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.distributions.beta_grad import dirichlet_grad

try:
    import torch
except ImportError:
    torch = None

D = tg.distributions
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _f64(values, grad: bool = False) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def _t64(values, grad: bool = False):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


# ----------------------------------------------------------------- implicit Beta gradients
# -(dI_x(a, t - a)/da) / p(x) / (1 - x), from mpmath (40 digits, numerical differentiation)
_EXACT = [((0.3, 1.0, 3.0), 0.41227156143492587), ((1e-3, 0.05, 2.05), 0.11935855308413508),
          ((0.5, 20.0, 40.0), 0.02542080211917313), ((0.97, 3.0, 3.2), 0.37422890210780801),
          ((0.2, 0.5, 8.0), 0.30328621486158326)]


@pytest.mark.parametrize(("point", "expected"), _EXACT)
def test_dirichlet_grad_exact_values(point: tuple[float, float, float],
                                     expected: float) -> None:
    assert dirichlet_grad(*point) == pytest.approx(expected, rel=1e-8)


def test_dirichlet_grad_beta_one_two_closed_form() -> None:
    # Beta(1, 2): I_x = 1 - (1 - x)^2 for a = 1; at a fixed quantile dx/da has no closed form
    # in general, but for b = 1, I_x(a, 1) = x^a, so dx/da = -x log x / a exactly
    x = np.array([0.05, 0.3, 0.7, 0.95])
    for a in (0.4, 1.0, 3.0):
        expected = -x * np.log(x) / a / (1 - x)
        np.testing.assert_allclose(dirichlet_grad(x, a, a + 1.0), expected, rtol=1e-8)


@needs_torch
def test_dirichlet_grad_tracks_torch_over_a_grid() -> None:
    # torch's kernel approximates the same quantity (closed-form expansions and a fitted
    # rational correction, ~1e-3 relative off in places); over the bulk of each Beta the two
    # agree to 1.5e-2, and exactly where torch's expansions are exact (x near 0 or 1)
    worst = 0.0
    for a in (0.05, 0.5, 1.0, 3.0, 10.0, 80.0):
        for b in (0.05, 0.5, 2.0, 9.0, 60.0):
            x = np.quantile(np.random.default_rng(0).beta(a, b, 4000), [0.05, 0.3, 0.6, 0.95])
            x = np.clip(x, 1e-12, 1 - 1e-12)
            ours = dirichlet_grad(x, a, a + b)
            theirs = torch._dirichlet_grad(_t64(x), _t64(np.full(4, a)),
                                           _t64(np.full(4, a + b))).numpy()
            worst = max(worst, float(np.max(np.abs(ours / theirs - 1))))
    assert worst < 1.5e-2


@needs_torch
def test_dirichlet_rsample_gradient_is_torchs_formula_at_our_draws() -> None:
    tg.manual_seed(0)
    a = np.array([[0.3, 2.0, 7.5], [12.0, 9.0, 0.05]])
    alpha = _f64(a, grad=True)
    x = D.Dirichlet(alpha).rsample((5,))
    w = np.random.default_rng(1).normal(size=x.shape)
    (x * _f64(w)).sum().backward()
    xt, wt = _t64(x.detach().numpy()), _t64(w)
    at = _t64(a).expand_as(xt)
    grad = torch._dirichlet_grad(xt, at, at.sum(-1, True).expand_as(at))
    expected = (grad * (wt - (xt * wt).sum(-1, True))).sum(0).numpy()
    np.testing.assert_allclose(alpha.grad.numpy(), expected, rtol=1e-2, atol=1e-9)
    # and exactly our own formula (the draws are the only randomness)
    exact = dirichlet_grad(x.detach().numpy(), np.broadcast_to(a, x.shape),
                           np.broadcast_to(a.sum(-1, keepdims=True), x.shape))
    xs = x.detach().numpy()
    np.testing.assert_allclose(alpha.grad.numpy(),
                               (exact * (w - (xs * w).sum(-1, keepdims=True))).sum(0),
                               rtol=1e-12)


@needs_torch
def test_beta_rsample_gradients_match_torchs_at_our_draws() -> None:
    tg.manual_seed(1)
    a, b = np.array([0.5, 3.0, 20.0]), np.array([2.0, 0.2, 30.0])
    c1, c0 = _f64(a, grad=True), _f64(b, grad=True)
    x = D.Beta(c1, c0).rsample((4,))
    assert x.shape == (4, 3) and x.dtype == tg.float64
    x.sum().backward()
    xt = _t64(x.detach().numpy())
    at, bt = _t64(a).expand_as(xt), _t64(b).expand_as(xt)
    d1 = (torch._dirichlet_grad(xt, at, at + bt) * (1 - xt)).sum(0).numpy()
    d0 = (-torch._dirichlet_grad(1 - xt, bt, at + bt) * xt).sum(0).numpy()
    np.testing.assert_allclose(c1.grad.numpy(), d1, rtol=1e-2)
    np.testing.assert_allclose(c0.grad.numpy(), d0, rtol=1e-2)
    # torch's own Beta.rsample takes the same path (its gradient is this formula)
    t1, t0 = _t64(a, grad=True), _t64(b, grad=True)
    y = torch.distributions.Beta(t1, t0).rsample()
    y.sum().backward()
    yd = y.detach()
    np.testing.assert_allclose(
        t1.grad.numpy(), (torch._dirichlet_grad(yd, t1.detach(), (t1 + t0).detach())
                          * (1 - yd)).numpy(), rtol=1e-12)


def test_beta_rsample_gradient_is_a_function_of_the_draw_only() -> None:
    # the implicit gradient: the same draw gives the same gradient, whatever hidden gammas
    tg.manual_seed(3)
    c1, c0 = _f64([2.0], grad=True), _f64([5.0], grad=True)
    x = D.Beta(c1, c0).rsample()
    x.backward()
    xv = float(x.item())
    assert float(c1.grad.item()) == pytest.approx(float(dirichlet_grad(xv, 2.0, 7.0))
                                                  * (1 - xv), rel=1e-12)
    assert float(c0.grad.item()) == pytest.approx(-float(dirichlet_grad(1 - xv, 5.0, 7.0))
                                                  * xv, rel=1e-12)


def test_beta_and_dirichlet_rsample_float32_and_no_grad() -> None:
    tg.manual_seed(0)
    alpha = tg.tensor([0.5, 1.5, 4.0], requires_grad=True)
    x = D.Dirichlet(alpha).rsample((3,))
    assert x.dtype == tg.float32 and np.allclose(x.detach().numpy().sum(-1), 1, atol=1e-6)
    x[:, 0].sum().backward()
    assert alpha.grad.dtype == tg.float32 and np.isfinite(alpha.grad.numpy()).all()
    with tg.no_grad():
        assert D.Beta(alpha[:1], alpha[1:2]).rsample().grad_fn is None


# ----------------------------------------------------------------- ExponentialFamily
_FAMILIES = {
    "Normal": lambda m, t: m.Normal(t([0.3, -1.0]), t([0.5, 2.0])),
    "Bernoulli": lambda m, t: m.Bernoulli(probs=t([0.3, 0.9])),
    "Gamma": lambda m, t: m.Gamma(t([0.3, 2.0]), t([0.5, 2.0])),
    "Chi2": lambda m, t: m.Chi2(t([0.3, 2.0])),
    "Beta": lambda m, t: m.Beta(t([0.3, 2.0]), t([0.5, 2.0])),
    "Dirichlet": lambda m, t: m.Dirichlet(t([[0.3, 2.0, 1.0], [4.0, 0.5, 2.0]])),
    "Exponential": lambda m, t: m.Exponential(t([0.3, 2.0])),
    "Poisson": lambda m, t: m.Poisson(t([0.3, 2.0])),
    "ContinuousBernoulli": lambda m, t: m.ContinuousBernoulli(probs=t([0.3, 0.5002])),
}


def test_exponential_family_subclasses() -> None:
    members = set(_FAMILIES)
    for name in D.__all__:
        cls = getattr(D, name)
        if (isinstance(cls, type) and issubclass(cls, D.Distribution)
                and cls is not D.ExponentialFamily):
            assert issubclass(cls, D.ExponentialFamily) == (name in members), name
    assert D.ExponentialFamily.__mro__[1] is D.Distribution


@needs_torch
def test_exponential_family_subclasses_as_torch() -> None:
    for name in D.__all__:
        cls = getattr(D, name)
        if isinstance(cls, type) and issubclass(cls, D.Distribution) and hasattr(
                torch.distributions, name):
            assert issubclass(cls, D.ExponentialFamily) == issubclass(
                getattr(torch.distributions, name), torch.distributions.ExponentialFamily), name


@needs_torch
@pytest.mark.parametrize("name", sorted(_FAMILIES))
def test_natural_params_log_normalizer_and_bregman_entropy(name: str) -> None:
    ours, theirs = _FAMILIES[name](D, _f64), _FAMILIES[name](torch.distributions, _t64)
    for mine, reference in zip(ours._natural_params, theirs._natural_params):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours._log_normalizer(*ours._natural_params).numpy(),
                               theirs._log_normalizer(*theirs._natural_params).numpy(),
                               rtol=1e-12)
    try:
        expected = torch.distributions.ExponentialFamily.entropy(theirs).detach().numpy()
    except NotImplementedError:  # no _mean_carrier_measure (Beta, Dirichlet, Poisson)
        with pytest.raises(NotImplementedError):
            D.ExponentialFamily.entropy(ours)
        return
    entropy = D.ExponentialFamily.entropy(ours)
    np.testing.assert_allclose(entropy.detach().numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(entropy.detach().numpy(), ours.entropy().numpy(), rtol=1e-9,
                               atol=1e-15)


def test_poisson_entropy_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="_mean_carrier_measure"):
        D.Poisson(_f64([2.0])).entropy()


class _Geometric0(D.ExponentialFamily):
    """p(k) = (1 - q) q^k, k >= 0: theta = log q, F(theta) = -log(1 - e^theta), k(x) = 0."""

    def __init__(self, q: tg.Tensor) -> None:
        self.q = q
        super().__init__(q.shape, (), validate_args=False)

    @property
    def _natural_params(self):
        return (self.q.log(),)

    def _log_normalizer(self, theta):
        return -(-theta.exp()).log1p()

    _mean_carrier_measure = 0


def test_custom_exponential_family_entropy_and_kl_closed_forms() -> None:
    q = _f64([0.2, 0.7], grad=True)
    d = _Geometric0(q)
    qv = np.array([0.2, 0.7])
    expected = -(np.log(1 - qv) + qv / (1 - qv) * np.log(qv))  # the geometric entropy
    entropy = d.entropy()
    np.testing.assert_allclose(entropy.detach().numpy(), expected, rtol=1e-12)
    entropy.sum().backward()  # as PyTorch's: theta is taken detached, so q gets nothing
    assert q.grad is None
    r = _f64([0.5, 0.1])
    kl = D.kl_divergence(d, _Geometric0(r)).detach().numpy()
    rv = np.array([0.5, 0.1])
    mean = qv / (1 - qv)
    np.testing.assert_allclose(kl, np.log((1 - qv) / (1 - rv)) + mean * np.log(qv / rv),
                               rtol=1e-12)


def test_kl_between_different_exponential_families_raises() -> None:
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Dirichlet(_f64([[1.0, 2.0]])), D.Normal(_f64([0.0]), _f64([1.0])))
    with pytest.raises(NotImplementedError, match="different exponential families"):
        D.kl_divergence(_Geometric0(_f64([0.5])), D.Poisson(_f64([1.0])))


@needs_torch
def test_beta_beta_kl_and_cross_kl_with_the_renamed_normalizer() -> None:
    args = ([0.3, 2.0], [1.0, 4.0], [2.0, 0.5], [1.5, 3.0])
    ours = D.kl_divergence(D.Beta(_f64(args[0]), _f64(args[1])),
                           D.Beta(_f64(args[2]), _f64(args[3])))
    tb = torch.distributions.Beta
    theirs = torch.distributions.kl_divergence(tb(_t64(args[0]), _t64(args[1])),
                                               tb(_t64(args[2]), _t64(args[3])))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    ours = D.kl_divergence(D.Uniform(_f64([0.1]), _f64([0.6])), D.Beta(_f64([2.0]), _f64([3.0])))
    theirs = torch.distributions.kl_divergence(torch.distributions.Uniform(_t64([0.1]),
                                                                           _t64([0.6])),
                                               tb(_t64([2.0]), _t64([3.0])))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
