"""Round 16 of torch.distributions parity: Beta and Dirichlet rsample gradients by implicit
reparameterisation (torch._dirichlet_grad's quantity), ExponentialFamily, the constraint
registries (positive definite, correlation Cholesky), GeneralizedPareto,
CumulativeDistributionTransform, distributions.utils names, Generator offsets, the private
sampling functions (torch._standard_gamma, ...), KL gradients where the value is inf.
Compared with torch (float64) where it is installed, with fixed values otherwise (from
closed forms or from mpmath at 40 digits)."""

from __future__ import annotations

import math

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
                                                  * xv, rel=1e-9)  # (1 - x: the other entry
    # rounded; the slope's central difference amplifies it)


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
    "Wishart": lambda m, t: m.Wishart(t([2.5, 7.0]), covariance_matrix=t([[1.0, 0.3],
                                                                          [0.3, 2.0]])),
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


# ----------------------------------------------------------------- transform registries
def test_registries_for_matrix_constraints() -> None:
    C = D.constraints
    assert isinstance(D.transform_to(C.positive_definite), D.PositiveDefiniteTransform)
    assert isinstance(D.transform_to(C.positive_semidefinite), D.PositiveDefiniteTransform)
    assert isinstance(D.transform_to(C.lower_cholesky), D.LowerCholeskyTransform)
    for registry in (D.biject_to, D.transform_to):
        assert isinstance(registry(C.corr_cholesky), D.CorrCholeskyTransform)
    for constraint in (C.positive_definite, C.positive_semidefinite, C.lower_cholesky):
        with pytest.raises(NotImplementedError):
            D.biject_to(constraint)  # not bijective, as PyTorch
    assert not D.LowerCholeskyTransform.bijective and not D.PositiveDefiniteTransform.bijective
    assert D.transforms.CorrCholeskyTransform is D.CorrCholeskyTransform


def test_positive_definite_transform_closed_form() -> None:
    x = _f64([[0.0, 5.0], [1.0, math.log(2.0)]])
    t = D.PositiveDefiniteTransform()
    y = t(x)  # L = [[1, 0], [1, 2]]: L L^T = [[1, 1], [1, 5]]
    np.testing.assert_allclose(y.numpy(), [[1.0, 1.0], [1.0, 5.0]], rtol=1e-12)
    np.testing.assert_allclose(t.inv(y).numpy(), [[0.0, 0.0], [1.0, math.log(2.0)]],
                               atol=1e-12)
    assert D.constraints.positive_definite.check(y).item()
    assert t.event_dim == 2 and t == D.PositiveDefiniteTransform()
    with pytest.raises(NotImplementedError):
        t.log_abs_det_jacobian(x, y)


@needs_torch
def test_positive_definite_transform_as_torch() -> None:
    m = np.random.default_rng(0).normal(size=(2, 3, 3))
    ours, theirs = D.PositiveDefiniteTransform(), torch.distributions.PositiveDefiniteTransform()
    np.testing.assert_allclose(ours(_f64(m)).numpy(), theirs(_t64(m)).numpy(), rtol=1e-12)
    y = theirs(_t64(m))
    np.testing.assert_allclose(ours.inv(_f64(y.numpy())).numpy(), theirs.inv(y).numpy(),
                               rtol=1e-10, atol=1e-12)


def test_corr_cholesky_transform_closed_form() -> None:
    x = _f64([0.3, -0.2, 0.5])
    t = D.CorrCholeskyTransform()
    y = t(x).numpy()
    r = np.tanh([0.3, -0.2, 0.5])
    expected = np.array([[1.0, 0.0, 0.0], [r[0], math.sqrt(1 - r[0] ** 2), 0.0],
                         [r[1], r[2] * math.sqrt(1 - r[1] ** 2),
                          math.sqrt((1 - r[1] ** 2) * (1 - r[2] ** 2))]])
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_allclose((y * y).sum(-1), 1.0, rtol=1e-12)  # unit rows
    np.testing.assert_allclose(t.inv(_f64(y)).numpy(), x.numpy(), rtol=1e-10)
    assert t.forward_shape((4, 6)) == (4, 4, 4) and t.inverse_shape((3, 3)) == (3,)
    with pytest.raises(ValueError, match="D \\(D - 1\\) / 2"):
        t.forward_shape((4,))
    with pytest.raises(ValueError, match="square"):
        t.inverse_shape((2, 3))


@needs_torch
def test_corr_cholesky_transform_values_jacobian_and_gradients_as_torch() -> None:
    x = np.random.default_rng(1).normal(size=(2, 10))
    xt, xg = _t64(x, grad=True), _f64(x, grad=True)
    ct, cg = torch.distributions.CorrCholeskyTransform(), D.CorrCholeskyTransform()
    yt, yg = ct(xt), cg(xg)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-12,
                               atol=1e-15)
    lt, lg = ct.log_abs_det_jacobian(xt, yt), cg.log_abs_det_jacobian(xg, yg)
    np.testing.assert_allclose(lg.detach().numpy(), lt.detach().numpy(), rtol=1e-12)
    (lt.sum() + (yt * yt.detach()).sum()).backward()
    (lg.sum() + (yg * yg.detach()).sum()).backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(cg.inv(yg).detach().numpy(), ct.inv(yt).detach().numpy(),
                               rtol=1e-10)


def test_corr_cholesky_log_det_matches_a_numerical_jacobian() -> None:
    x = np.array([0.4, -0.7, 0.2])
    t = D.CorrCholeskyTransform()
    rows, cols = np.tril_indices(3, -1)

    def f(v: np.ndarray) -> np.ndarray:
        return t(_f64(v)).numpy()[rows, cols]

    jac = np.stack([(f(x + h) - f(x - h)) / 2e-6 for h in np.eye(3) * 1e-6], -1)
    expected = math.log(abs(np.linalg.det(jac)))
    got = float(t.log_abs_det_jacobian(_f64(x), t(_f64(x))).item())
    assert got == pytest.approx(expected, rel=1e-7)


@needs_torch
def test_cumulative_distribution_transform_as_torch() -> None:
    ours = D.CumulativeDistributionTransform(D.Normal(_f64([0.5]), 2.0))
    theirs = torch.distributions.CumulativeDistributionTransform(
        torch.distributions.Normal(_t64([0.5]), 2.0))
    v = [-1.0, 0.3, 2.0]
    np.testing.assert_allclose(ours(_f64(v)).numpy(), theirs(_t64(v)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.log_abs_det_jacobian(_f64(v), None).numpy(),
                               theirs.log_abs_det_jacobian(_t64(v), None).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.inv(_f64([0.2])).numpy(), theirs.inv(_t64([0.2])).numpy(),
                               rtol=1e-10)
    assert ours.codomain is D.constraints.unit_interval and ours.sign == 1
    assert ours.with_cache(1)._cache_size == 1


def test_cumulative_distribution_transform_closed_form() -> None:
    t = D.transforms.CumulativeDistributionTransform(D.Exponential(_f64([2.0])))
    np.testing.assert_allclose(t(_f64([0.5])).numpy(), [1 - math.exp(-1.0)], rtol=1e-12)
    np.testing.assert_allclose(t.log_abs_det_jacobian(_f64([0.5]), None).numpy(),
                               [math.log(2.0) - 1.0], rtol=1e-12)
    assert t.domain is t.distribution.support


# ----------------------------------------------------------------- GeneralizedPareto
_GP = ([0.0, 1.0, 0.0, -2.0, 0.5, 0.0], [1.0, 2.0, 1.0, 0.5, 3.0, 1.0],
       [0.3, -0.5, 0.0, 1.5, -1.0, 1e-9])


def test_generalized_pareto_closed_forms() -> None:
    d = D.GeneralizedPareto(_f64(_GP[0]), _f64(_GP[1]), _f64(_GP[2]))
    v = np.array([0.5, 2.0, 3.0, -1.0, 1.0, 0.2])
    loc, scale, c = (np.array(p) for p in _GP)
    z = (v - loc) / scale
    survival = np.where(c == 0, np.exp(-z), (1 + np.where(c == 0, 1, c) * z) ** (-1 / np.where(
        c == 0, 1, c)))
    density = np.where(c == 0, np.exp(-z), (1 + c * z) ** (-1 / np.where(c == 0, 1, c) - 1)
                       ) / scale
    np.testing.assert_allclose(d.cdf(_f64(v)).numpy(), 1 - survival, rtol=1e-7)
    np.testing.assert_allclose(d.log_prob(_f64(v)).numpy(), np.log(density), rtol=1e-7)
    u = np.array([0.1, 0.5, 0.9, 0.3, 0.7, 0.99])
    np.testing.assert_allclose(d.cdf(d.icdf(_f64(u))).numpy(), u, rtol=1e-9)
    np.testing.assert_allclose(d.mean.numpy(), [1 / 0.7, 1 + 2 / 1.5, 1.0, np.nan, 2.0, 1.0],
                               rtol=1e-7)
    np.testing.assert_allclose(d.variance.numpy(),
                               [1 / (0.49 * 0.4), 4 / 2.25 / 2, 1.0, np.nan, 9 / 12, 1.0],
                               rtol=1e-7)
    np.testing.assert_allclose(d.entropy().numpy(), np.log(scale) + c + 1, rtol=1e-12)
    np.testing.assert_allclose(d.support.upper_bound.numpy(),
                               [np.inf, 5.0, np.inf, np.inf, 3.5, np.inf])
    assert d.mode is d.loc and D.GeneralizedPareto(0.0, 1.0, 0.5).batch_shape == ()


@needs_torch
def test_generalized_pareto_as_torch_float32() -> None:
    # (torch's log_prob compares the concentration with a float32 zero: float32 only)
    ours = D.GeneralizedPareto(tg.tensor(_GP[0]), tg.tensor(_GP[1]), tg.tensor(_GP[2]))
    theirs = torch.distributions.GeneralizedPareto(torch.tensor(_GP[0]), torch.tensor(_GP[1]),
                                                   torch.tensor(_GP[2]))
    v = [0.5, 2.0, 3.0, -1.0, 1.0, 0.2]
    for name in ("log_prob", "cdf", "log_survival_function", "log_cdf"):
        np.testing.assert_allclose(getattr(ours, name)(tg.tensor(v)).numpy(),
                                   getattr(theirs, name)(torch.tensor(v)).numpy(),
                                   rtol=2e-6, atol=1e-6, err_msg=name)
    u = [0.1, 0.5, 0.9, 0.3, 0.7, 0.99]
    np.testing.assert_allclose(ours.icdf(tg.tensor(u)).numpy(),
                               theirs.icdf(torch.tensor(u)).numpy(), rtol=1e-6)
    for name in ("mean", "variance", "mode"):
        np.testing.assert_allclose(getattr(ours, name).numpy(), getattr(theirs, name).numpy(),
                                   rtol=1e-6)
    np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy().numpy(), rtol=1e-6)


def test_generalized_pareto_rsample_and_validation() -> None:
    tg.manual_seed(0)
    scale = _f64([2.0], grad=True)
    d = D.GeneralizedPareto(_f64([1.0]), scale, _f64([0.25]))
    draws = d.rsample((20000,))
    values = draws.detach().numpy()
    assert draws.shape == (20000, 1) and values.min() >= 1.0
    assert abs(values.mean() - (1 + 2 / 0.75)) < 0.1
    draws.mean().backward()  # d/dscale of loc + scale * g(u) is g(u) = (draw - loc) / scale
    assert float(scale.grad.item()) == pytest.approx((values.mean() - 1) / 2, rel=1e-9)
    with pytest.raises(ValueError, match="support"):
        d.log_prob(_f64([0.5]))
    assert isinstance(D.generalized_pareto.GeneralizedPareto(0.0, 1.0, 0.0), D.Distribution)


# ----------------------------------------------------------------- utils
def test_utils_tril_vectors_and_constants() -> None:
    U = D.utils
    m = _f64(np.arange(16.0).reshape(4, 4))
    np.testing.assert_array_equal(U.tril_matrix_to_vec(m).numpy(),
                                  [0, 4, 5, 8, 9, 10, 12, 13, 14, 15])
    np.testing.assert_array_equal(U.tril_matrix_to_vec(m, -2).numpy(), [8, 12, 13])
    np.testing.assert_array_equal(U.vec_to_tril_matrix(_f64([1.0, 2.0, 3.0]), -1).numpy(),
                                  [[0, 0, 0], [1, 0, 0], [2, 3, 0]])
    v = _f64(np.arange(1.0, 7.0), grad=True)
    U.vec_to_tril_matrix(v).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), np.ones(6))
    with pytest.raises(ValueError, match="lower triangular"):
        U.vec_to_tril_matrix(_f64([1.0, 2.0]))
    with pytest.raises(ValueError, match="outside"):
        U.tril_matrix_to_vec(m, 4)
    assert U.euler_constant == pytest.approx(0.5772156649015329, rel=1e-15)
    assert U._sum_rightmost(_f64(np.ones((2, 3, 4))), 2).shape == (2,)
    tg.manual_seed(0)
    assert U._standard_normal((3, 2), dtype=tg.float64, device="cpu").dtype == tg.float64
    assert U.is_tensor_like(m) and not U.is_tensor_like(3.0)


@needs_torch
@pytest.mark.parametrize("diag", [-3, -1, 0, 1, 3])
def test_utils_tril_vectors_as_torch(diag: int) -> None:
    m = np.random.default_rng(0).normal(size=(2, 4, 4))
    vec = D.utils.tril_matrix_to_vec(_f64(m), diag)
    expected = torch.distributions.utils.tril_matrix_to_vec(_t64(m), diag)
    np.testing.assert_array_equal(vec.numpy(), expected.numpy())
    np.testing.assert_array_equal(D.utils.vec_to_tril_matrix(vec, diag).numpy(),
                                  torch.distributions.utils.vec_to_tril_matrix(expected,
                                                                               diag).numpy())


# ----------------------------------------------------------------- generators, private calls
def test_generator_offsets_and_graphsafe_state_raise_on_cpu_as_torch() -> None:
    g = tg.Generator()
    with pytest.raises(RuntimeError, match="does not use offset"):
        g.get_offset()
    with pytest.raises(RuntimeError, match="does not use offset"):
        g.set_offset(3)
    with pytest.raises(NotImplementedError, match="graphsafe_get_state"):
        g.graphsafe_get_state()
    with pytest.raises(NotImplementedError, match="graphsafe_set_state"):
        g.graphsafe_set_state(tg.Generator())
    assert tg.random.thread_safe_generator() is None


def test_private_sampling_functions() -> None:
    tg.manual_seed(0)
    alpha = _f64([0.5, 2.0, 30.0], grad=True)
    x = tg._standard_gamma(alpha)
    assert x.shape == (3,) and (x.detach().numpy() > 0).all()
    x.sum().backward()
    np.testing.assert_allclose(alpha.grad.numpy(),
                               tg._standard_gamma_grad(alpha.detach(), x.detach()).numpy(),
                               rtol=1e-12)
    # torch._dirichlet_grad's quantity at (x, alpha, total) = (0.3, 1, 3), from mpmath
    np.testing.assert_allclose(tg._dirichlet_grad(_f64([0.3]), _f64([1.0]), _f64([3.0])).numpy(),
                               [0.41227156143492587], rtol=1e-8)
    y = tg._sample_dirichlet(_f64([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]]))
    assert y.shape == (2, 3) and y.grad_fn is None
    np.testing.assert_allclose(y.numpy().sum(-1), 1.0, rtol=1e-12)


@needs_torch
def test_standard_gamma_grad_as_torch() -> None:
    alpha = np.array([0.05, 0.5, 1.0, 3.0, 40.0])
    x = np.array([1e-8, 0.3, 1.2, 2.0, 45.0])
    ours = tg._standard_gamma_grad(_f64(alpha), _f64(x)).numpy()
    theirs = torch._standard_gamma_grad(_t64(alpha), _t64(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-3)


# ----------------------------------------------------------------- KL gradients at inf
def _pareto_kls(module, tensor):
    out = []
    for name in ("Exponential", "Normal", "Gamma"):
        s, a = tensor([1.0, 2.0, 1.0, 1.5, 3.0]), tensor([1.0, 0.5, 2.0, 0.9, 2.5])
        r, r2 = tensor([1.5, 1.5, 1.5, 0.7, 2.0]), tensor([1.0, 1.0, 1.0, 2.0, 0.5])
        q = (module.Exponential(r) if name == "Exponential" else getattr(module, name)(r, r2))
        kl = module.kl_divergence(module.Pareto(s, a), q)
        kl.sum().backward()
        grads = [t.grad.numpy() if t.grad is not None else np.zeros(5) for t in (s, a, r, r2)]
        out.append((name, kl.detach().numpy(), grads))
    return out


def test_kl_pareto_gradients_where_the_kl_is_infinite() -> None:
    # alpha <= 1 (<= 2 for Normal): inf; the gradient there is 0, except exactly at alpha = 1
    # (and 2 for Normal) where PyTorch's closed forms divide by zero: NaN
    for name, kl, (ds, da, _, _) in _pareto_kls(D, lambda v: _f64(v, grad=True)):
        assert np.isinf(kl[:2]).all() and np.isfinite(kl[4]), name
        assert np.isnan(ds[0]) and ds[1] == 0 and da[1] == 0 and ds[3] == 0, name
        assert np.isfinite(ds[4]) and ds[4] != 0, name
        assert np.isnan(ds[2]) == (name == "Normal"), name


@needs_torch
def test_kl_pareto_values_and_gradients_as_torch() -> None:
    ours = _pareto_kls(D, lambda v: _f64(v, grad=True))
    theirs = _pareto_kls(torch.distributions, lambda v: _t64(v, grad=True))
    for (name, kl, grads), (_, kl_t, grads_t) in zip(ours, theirs):
        np.testing.assert_allclose(kl, kl_t, rtol=1e-10, err_msg=name)
        for mine, reference in zip(grads, grads_t):
            np.testing.assert_allclose(mine, reference, rtol=1e-10, err_msg=name)


# ----------------------------------------------------------------- LowRankMultivariateNormal
def test_low_rank_mvn_cov_diag_wider_than_cov_factor_raises() -> None:
    loc = tg.zeros(2, dtype=tg.float64)
    with pytest.raises(RuntimeError, match="same dtype"):
        D.LowRankMultivariateNormal(loc, tg.ones(2, 1, dtype=tg.float32),
                                    tg.ones(2, dtype=tg.float64))
    d = D.LowRankMultivariateNormal(loc, tg.ones(2, 1, dtype=tg.float64),
                                    tg.ones(2, dtype=tg.float32))
    assert d.log_prob(tg.zeros(2, dtype=tg.float64)).dtype == tg.float64
