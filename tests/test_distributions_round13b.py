"""Round 13b of torch.distributions parity: mode / cdf / icdf / variance / entropy that
PyTorch has, the cross-family KL pairs it registers, the remaining constraint names and the
support objects of Independent, MixtureSameFamily, Multinomial and MultivariateNormal.
Values and gradients are compared with torch in float64 where it is installed, with fixed
closed-form values otherwise."""

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


def _t64(values, grad: bool = False):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def _compare(make, params: list, call, value=None, grad: bool = True,
             rtol: float = 1e-9) -> None:
    """`call(make(*params))` (a Tensor) in both libraries: equal values (NaN where torch's is)
    and, with `grad`, equal gradients of its sum of finite entries in each parameter."""
    ours = [_f64(p, grad) for p in params]
    theirs = [_t64(p, grad) for p in params]
    args_ours = () if value is None else (_f64(value),)
    args_theirs = () if value is None else (_t64(value),)
    got = call(make(D, *ours), *args_ours)
    want = call(make(torch.distributions, *theirs), *args_theirs)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol,
                               atol=1e-12)
    if not grad:
        return
    finite = np.isfinite(want.detach().numpy())
    if not want.requires_grad:
        return
    want.masked_fill(~torch.tensor(finite), 0.0).sum().backward()
    got.masked_fill(tg.tensor(~finite), 0.0).sum().backward()
    for mine, reference in zip(ours, theirs):
        expected = (np.zeros(reference.shape) if reference.grad is None
                    else reference.grad.numpy())
        actual = np.zeros(mine.shape) if mine.grad is None else mine.grad.numpy()
        np.testing.assert_allclose(actual, expected, rtol=1e-7, atol=1e-10)


# ----------------------------------------------------------------- 1. mode
MODES = [
    ("Uniform", lambda m, lo, hi: m.Uniform(lo, hi), [[0.0, -1.0], [1.0, 2.0]]),
    ("Bernoulli", lambda m, p: m.Bernoulli(p), [[0.3, 0.5, 0.8]]),
    ("Bernoulli-logits", lambda m, x: m.Bernoulli(logits=x), [[-0.3, 0.0, 2.0]]),
    ("Gamma", lambda m, a, b: m.Gamma(a, b), [[2.0, 0.5, 1.0], [1.5, 2.0, 3.0]]),
    ("Chi2", lambda m, df: m.Chi2(df), [[3.0, 1.5, 0.7]]),
    ("Beta", lambda m, a, b: m.Beta(a, b),
     [[2.0, 0.5, 3.0, 0.5, 1.0], [1.5, 0.7, 0.5, 2.0, 1.0]]),
    ("Dirichlet", lambda m, a: m.Dirichlet(a),
     [[[2.0, 0.5, 3.0], [0.5, 0.7, 0.2], [0.9, 0.3, 0.2], [1.0, 0.5, 0.5]]]),
    ("Poisson", lambda m, r: m.Poisson(r), [[2.5, 3.0, 0.2]]),
    ("LogNormal", lambda m, mu, s: m.LogNormal(mu, s), [[0.3, -1.0], [1.2, 0.5]]),
    ("HalfNormal", lambda m, s: m.HalfNormal(s), [[1.2, 0.5]]),
    ("OneHotCategorical", lambda m, p: m.OneHotCategorical(p), [[[0.2, 0.5, 0.3],
                                                                 [0.6, 0.1, 0.3]]]),
    ("StraightThrough", lambda m, p: m.OneHotCategoricalStraightThrough(p),
     [[[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]]),
    ("Independent", lambda m, a, b: m.Independent(m.Gamma(a, b), 1),
     [[[2.0, 0.5], [3.0, 4.0]], [[1.5, 2.0], [1.0, 0.5]]]),
    ("Independent-Normal", lambda m, mu, s: m.Independent(m.Normal(mu, s), 1),
     [[0.3, -1.0], [1.2, 0.5]]),
]


@needs_torch
@pytest.mark.parametrize(("name", "make", "params"), MODES, ids=[c[0] for c in MODES])
def test_mode_matches_torch(name, make, params) -> None:
    _compare(make, params, lambda d: d.mode)


def test_mode_fixed_values() -> None:
    assert np.isnan(D.Uniform(_f64(0.0), _f64(1.0)).mode.item())
    np.testing.assert_array_equal(D.Bernoulli(_f64([0.2, 0.5, 0.7])).mode.numpy(),
                                  [0.0, np.nan, 1.0])
    np.testing.assert_allclose(D.Gamma(_f64([3.0, 0.5]), _f64(2.0)).mode.numpy(), [1.0, 0.0])
    np.testing.assert_allclose(D.Beta(_f64([3.0, 0.5, 2.0]), _f64([2.0, 0.5, 0.5])).mode.numpy(),
                               [2 / 3, 1.0, 1.0])
    np.testing.assert_allclose(D.Dirichlet(_f64([[3.0, 2.0, 1.0], [0.5, 0.2, 0.9]])).mode.numpy(),
                               [[2 / 3, 1 / 3, 0.0], [1.0, 0.0, 0.0]])
    assert np.isnan(D.Dirichlet(_f64([1.0, 0.5])).mode.numpy()).all()  # 0 / 0, not a corner
    np.testing.assert_array_equal(D.Poisson(_f64([2.5, 3.0])).mode.numpy(), [2.0, 3.0])
    assert D.LogNormal(_f64(1.0), _f64(0.5)).mode.item() == pytest.approx(math.exp(0.75))
    np.testing.assert_array_equal(D.OneHotCategorical(_f64([0.2, 0.5, 0.3])).mode.numpy(),
                                  [0.0, 1.0, 0.0])
    normal = D.Independent(D.Normal(_f64([1.0, 2.0]), _f64(1.0)), 1)
    np.testing.assert_array_equal(normal.mode.numpy(), [1.0, 2.0])


def test_zero_modes_are_constants_as_torch_zeros_like() -> None:
    scale = _f64([1.0, 2.0], grad=True)
    for d in (D.HalfNormal(scale), D.HalfCauchy(scale), D.Exponential(scale),
              D.Geometric(_f64([0.3, 0.5], grad=True))):
        assert d.mode.numpy().tolist() == [0.0, 0.0]
        assert not d.mode.requires_grad


def test_dirichlet_mode_gradient_closed_form() -> None:
    a = _f64([3.0, 2.0, 1.5], grad=True)
    D.Dirichlet(a).mode[0].backward()
    # mode_0 = (a0 - 1) / s, s = sum(a_i - 1) = 3.5: d/da0 = 1/s - 2/s^2, d/da_j = -2/s^2
    s = 3.5
    np.testing.assert_allclose(a.grad.numpy(), [1 / s - 2 / s**2, -2 / s**2, -2 / s**2])


# ----------------------------------------------------------------- 1. cdf / icdf
CDFS = [
    ("Gamma", lambda m, b: m.Gamma(_same(m, [2.0, 0.5, 4.0]), b), [[1.5, 2.0, 0.5]],
     [0.4, 0.6, 3.0]),
    ("Chi2", lambda m: m.Chi2(_same(m, [3.0, 1.5])), [], [0.4, 2.6]),
    ("InverseGamma", lambda m, b: m.InverseGamma(_same(m, [2.0, 0.5]), b), [[1.5, 2.0]],
     [0.4, 0.6]),
    ("LogNormal", lambda m, mu, s: m.LogNormal(mu, s), [[0.3, -1.0], [1.2, 0.5]],
     [0.4, 0.6]),
]


def _same(module, values):
    """A constant parameter (no gradient: PyTorch has no derivative of igamma in alpha)."""
    if module is torch.distributions:
        return _t64(values)
    return _f64(values)


@needs_torch
@pytest.mark.parametrize(("name", "make", "params", "value"), CDFS, ids=[c[0] for c in CDFS])
def test_cdf_matches_torch(name, make, params, value) -> None:
    _compare(make, params, lambda d, v: d.cdf(v), value)


@needs_torch
def test_gamma_cdf_gradient_in_value_matches_torch() -> None:
    x, xt = _f64([0.4, 1.5], grad=True), _t64([0.4, 1.5], grad=True)
    D.Gamma(_f64([2.0, 3.0]), _f64(1.5)).cdf(x).sum().backward()
    torch.distributions.Gamma(_t64([2.0, 3.0]), _t64(1.5)).cdf(xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9)


def test_cdf_fixed_values() -> None:
    # Gamma(1, rate) is Exponential(rate): 1 - exp(-rate x); Chi2(2) is Exponential(1/2)
    got = D.Gamma(_f64(1.0), _f64(2.0)).cdf(_f64([0.5, 1.0])).numpy()
    np.testing.assert_allclose(got, [1 - math.exp(-1), 1 - math.exp(-2)], rtol=1e-12)
    assert D.Chi2(_f64(2.0)).cdf(_f64(2.0)).item() == pytest.approx(1 - math.exp(-1))
    # InverseGamma(1, b): P(X <= x) = exp(-b / x)
    assert D.InverseGamma(_f64(1.0), _f64(2.0)).cdf(_f64(4.0)).item() == pytest.approx(
        math.exp(-0.5))
    assert D.LogNormal(_f64(0.0), _f64(1.0)).cdf(_f64(1.0)).item() == pytest.approx(0.5)


ICDFS = [
    ("LogNormal", lambda m, mu, s: m.LogNormal(mu, s), [[0.3, -1.0], [1.2, 0.5]]),
    ("Laplace", lambda m, mu, s: m.Laplace(mu, s), [[0.3, -1.0], [1.2, 0.5]]),
    ("Cauchy", lambda m, mu, s: m.Cauchy(mu, s), [[0.3, -1.0], [1.2, 0.5]]),
    ("HalfNormal", lambda m, s: m.HalfNormal(s), [[1.2, 0.5]]),
]


@needs_torch
@pytest.mark.parametrize(("name", "make", "params"), ICDFS, ids=[c[0] for c in ICDFS])
def test_icdf_matches_torch(name, make, params) -> None:
    _compare(make, params, lambda d, v: d.icdf(v), [0.2, 0.7])


@pytest.mark.parametrize("name", ["LogNormal", "Laplace", "Cauchy"])
def test_icdf_inverts_cdf(name: str) -> None:
    d = getattr(D, name)(_f64([0.3, -1.0]), _f64([1.2, 0.5]))
    p = _f64([0.2, 0.7])
    np.testing.assert_allclose(d.cdf(d.icdf(p)).numpy(), p.numpy(), rtol=1e-12)
    half = D.HalfNormal(_f64([1.2, 0.5]))
    np.testing.assert_allclose(half.cdf(half.icdf(p)).numpy(), p.numpy(), rtol=1e-12)


def test_icdf_fixed_values() -> None:
    assert D.Laplace(_f64(1.0), _f64(2.0)).icdf(_f64(0.75)).item() == pytest.approx(
        1 + 2 * math.log(2))
    assert D.Cauchy(_f64(1.0), _f64(2.0)).icdf(_f64(0.75)).item() == pytest.approx(3.0)
    assert D.LogNormal(_f64(1.0), _f64(2.0)).icdf(_f64(0.5)).item() == pytest.approx(math.e)


# ----------------------------------------------------------------- 1. Dirichlet variance
@needs_torch
@pytest.mark.parametrize("attr", ["variance", "stddev"])
def test_dirichlet_variance_matches_torch(attr: str) -> None:
    _compare(lambda m, a: m.Dirichlet(a), [[[2.0, 0.5, 3.0], [0.5, 0.7, 0.2]]],
             lambda d: getattr(d, attr))


def test_dirichlet_variance_fixed_value() -> None:
    # Dirichlet(1, 1) is Uniform on the segment: each coordinate has variance 1/12
    np.testing.assert_allclose(D.Dirichlet(_f64([1.0, 1.0])).variance.numpy(), [1 / 12] * 2)


# ----------------------------------------------------------------- 1. Multinomial entropy
# (torch takes log n! of an int64 tensor in float32: its values are off by ~1e-8)
@needs_torch
@pytest.mark.parametrize("n", [1, 4])
def test_multinomial_entropy_matches_torch(n: int) -> None:
    _compare(lambda m, p: m.Multinomial(n, p), [[[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]],
             lambda d: d.entropy(), rtol=1e-7)
    _compare(lambda m, x: m.Multinomial(n, logits=x), [[0.2, -1.5, 0.3]],
             lambda d: d.entropy(), rtol=1e-7)


@needs_torch
def test_multinomial_entropy_after_expand_matches_torch() -> None:
    # torch's own expanded Multinomial has no entropy (no _binomial): compare with torch's
    # Multinomial of the expanded probs
    probs = [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]
    got = D.Multinomial(3, _f64(probs)).expand((4, 2)).entropy()
    want = torch.distributions.Multinomial(3, _t64(np.broadcast_to(probs, (4, 2, 3)))).entropy()
    assert got.shape == (4, 2)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-7)


def test_multinomial_entropy_fixed_values() -> None:
    probs = _f64([0.3, 0.7])
    # one draw: the categorical's entropy; two counts summing to n: the Binomial's
    one = D.Multinomial(1, probs).entropy().item()
    assert one == pytest.approx(-(0.3 * math.log(0.3) + 0.7 * math.log(0.7)))
    pmf = [0.49, 0.42, 0.09]
    two = D.Multinomial(2, probs).entropy().item()
    assert two == pytest.approx(-sum(p * math.log(p) for p in pmf))
    assert D.Multinomial(2, probs).expand((3,)).entropy().shape == (3,)


# ----------------------------------------------------------------- 2. cross-family KL
# each family with two batch elements; a Uniform on [0.2, 0.9] / [0.1, 0.6] (inside [0, 1]
# and (0, inf)) and one sticking out of it
FAMILIES = {
    "Normal": (lambda m, a, b: m.Normal(a, b), [[0.3, -1.0], [1.2, 0.5]]),
    "Laplace": (lambda m, a, b: m.Laplace(a, b), [[0.3, -1.0], [1.2, 0.5]]),
    "Gumbel": (lambda m, a, b: m.Gumbel(a, b), [[0.3, -1.0], [1.2, 0.5]]),
    "Exponential": (lambda m, r: m.Exponential(r), [[2.0, 0.5]]),
    "Gamma": (lambda m, a, b: m.Gamma(a, b), [[2.0, 0.5], [1.5, 2.0]]),
    "Beta": (lambda m, a, b: m.Beta(a, b), [[2.0, 0.5], [1.5, 0.7]]),
    "ContinuousBernoulli": (lambda m, p: m.ContinuousBernoulli(p), [[0.3, 0.8]]),
    "Pareto": (lambda m, s, a: m.Pareto(s, a), [[0.5, 0.2], [3.0, 2.5]]),
    "Uniform": (lambda m, lo, hi: m.Uniform(lo, hi), [[0.2, 0.1], [0.9, 0.6]]),
    "Uniform-wide": (lambda m, lo, hi: m.Uniform(lo, hi), [[-0.5, 0.3], [0.9, 1.5]]),
    "Pareto-heavy": (lambda m, s, a: m.Pareto(s, a), [[0.5, 0.2], [0.8, 1.5]]),
    "Bernoulli": (lambda m, p: m.Bernoulli(p), [[0.3, 0.8]]),
    "Poisson": (lambda m, r: m.Poisson(r), [[2.0, 0.5]]),
    "Binomial": (lambda m, p: m.Binomial(3, p), [[0.3, 0.8]]),
}


def _pairs() -> list[tuple[str, str]]:
    if torch is None:
        return []
    names = {name.split("-")[0] for name in FAMILIES}
    registered = {(p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY}
    pairs = [(p, q) for p in FAMILIES for q in FAMILIES
             if (p.split("-")[0], q.split("-")[0]) in registered
             and p.split("-")[0] != q.split("-")[0]]
    assert len({(p.split("-")[0], q.split("-")[0]) for p, q in pairs}) == len(
        {(p, q) for p, q in registered if p in names and q in names and p != q})
    return pairs


@needs_torch
@pytest.mark.parametrize(("p_name", "q_name"), _pairs())
def test_cross_kl_matches_torch(p_name: str, q_name: str) -> None:
    (make_p, params_p), (make_q, params_q) = FAMILIES[p_name], FAMILIES[q_name]
    n = len(params_p)

    def make(module, *params):
        return make_p(module, *params[:n]), make_q(module, *params[n:])

    _compare(make, params_p + params_q, lambda pair: _kl(pair))


def _kl(pair):
    p, q = pair
    module = D if isinstance(p, D.Distribution) else torch.distributions
    return module.kl_divergence(p, q)


def test_cross_kl_fixed_values() -> None:
    # Exponential(r) is Gamma(1, r): KL(Exp(2) || Gamma(1, 3)) = log(2/3) + 3/2 - 1
    kl = D.kl_divergence(D.Exponential(_f64(2.0)), D.Gamma(_f64(1.0), _f64(3.0)))
    assert kl.item() == pytest.approx(math.log(2 / 3) + 0.5)
    kl = D.kl_divergence(D.Gamma(_f64(1.0), _f64(3.0)), D.Exponential(_f64(2.0)))
    assert kl.item() == pytest.approx(math.log(3 / 2) + 2 / 3 - 1)
    # Uniform(0, 1) is Beta(1, 1); a Uniform reaching below 0 has no KL to it
    kl = D.kl_divergence(D.Uniform(_f64([0.25, -0.5]), _f64([0.75, 0.5])),
                         D.Beta(_f64(1.0), _f64(1.0)))
    np.testing.assert_allclose(kl.numpy(), [math.log(2), math.inf])
    # a Normal against anything on a half line or an interval: inf, of p's batch shape
    kl = D.kl_divergence(D.Normal(_f64([0.0, 1.0]), _f64(1.0)), D.Gamma(_f64(2.0), _f64(1.0)))
    assert kl.numpy().tolist() == [math.inf, math.inf]
    # KL(U(-1, 1) || N(0, 1)) = log(sqrt(2 pi) / 2) + (1/3) / 2
    kl = D.kl_divergence(D.Uniform(_f64(-1.0), _f64(1.0)), D.Normal(_f64(0.0), _f64(1.0)))
    assert kl.item() == pytest.approx(math.log(math.sqrt(2 * math.pi) / 2) + 1 / 6)
    kl = D.kl_divergence(D.Poisson(_f64([1.0])), D.Bernoulli(_f64([0.5])))
    assert kl.numpy().tolist() == [math.inf]


def test_cross_kl_gradient_closed_form() -> None:
    # KL(N(mu, 1) || Laplace(0, 1)) at mu = 0: d/dmu = E|x|'s slope = erf(0) = 0; at large mu
    # E|x - 0| ~ mu, so the slope is ~1
    mu = _f64([0.0, 6.0], grad=True)
    D.kl_divergence(D.Normal(mu, _f64(1.0)), D.Laplace(_f64(0.0), _f64(1.0))).sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), [0.0, 1.0], atol=1e-8)


class _Shift(D.TransformedDistribution):
    pass


@needs_torch
def test_kl_transformed_equal_transforms_is_kl_of_bases() -> None:
    def make(module, loc, scale):
        transforms = module.transforms
        shift = [transforms.AffineTransform(1.0, 2.0), transforms.ExpTransform()]
        return (module.TransformedDistribution(module.Normal(loc, scale), shift),
                module.TransformedDistribution(module.Normal(scale, loc + 2), shift))

    _compare(make, [[0.3, -1.0], [1.2, 0.5]], _kl)


def test_kl_transformed_fixed_and_refusals() -> None:
    t = D.transforms
    p = D.TransformedDistribution(D.Normal(_f64(0.0), _f64(1.0)), [t.ExpTransform()])
    q = D.TransformedDistribution(D.Normal(_f64(1.0), _f64(1.0)), [t.ExpTransform()])
    assert D.kl_divergence(p, q).item() == pytest.approx(0.5)
    other = D.TransformedDistribution(D.Normal(_f64(1.0), _f64(1.0)),
                                      [t.AffineTransform(0.0, 2.0)])
    with pytest.raises(NotImplementedError, match="equal transforms"):
        D.kl_divergence(p, other)


# ----------------------------------------------------------------- 3. constraint names
C = D.constraints
MATRICES = [[[1.0, 0.0], [0.5, 2.0]], [[1.0, 0.3], [0.3, 1.0]], [[1.0, 0.0], [0.0, -1.0]],
            [[1.0, 0.0], [0.6, 0.8]]]


@needs_torch
@pytest.mark.parametrize("name", ["lower_triangular", "positive_semidefinite", "square",
                                  "symmetric", "corr_cholesky"])
def test_matrix_constraints_match_torch(name: str) -> None:
    got = getattr(C, name).check(_f64(MATRICES))
    want = getattr(torch.distributions.constraints, name).check(_t64(MATRICES))
    assert got.dtype == tg.bool
    assert got.numpy().tolist() == want.numpy().tolist()
    assert getattr(C, name).event_dim == 2


def test_matrix_constraints_fixed_values() -> None:
    assert C.lower_triangular.check(_f64(MATRICES)).numpy().tolist() == [True, False, True,
                                                                         True]
    # (PyTorch's rule: with a non-symmetric matrix in the batch, only symmetry is checked)
    assert C.positive_semidefinite.check(_f64(MATRICES)).numpy().tolist() == [False, True,
                                                                              True, False]
    assert C.positive_semidefinite.check(_f64(MATRICES[1:3])).numpy().tolist() == [True,
                                                                                   False]
    assert C.corr_cholesky.check(_f64(MATRICES)).numpy().tolist() == [False, False, False,
                                                                      True]
    assert C.square.check(_f64(np.zeros((3, 2, 3)))).numpy().tolist() == [False] * 3


@needs_torch
def test_cat_stack_multinomial_match_torch() -> None:
    tc = torch.distributions.constraints
    value = [[0.5, -1.0, 2.0], [1.0, 2.0, -3.0]]
    for ours, theirs in [
        (C.cat([C.positive, C.real], dim=1, lengths=[1, 2]),
         tc.cat([tc.positive, tc.real], dim=1, lengths=[1, 2])),
        (C.cat([C.positive, C.real, C.positive], dim=1),
         tc.cat([tc.positive, tc.real, tc.positive], dim=1)),
        (C.stack([C.positive, C.real], dim=0), tc.stack([tc.positive, tc.real], dim=0)),
        (C.stack([C.real, C.positive, C.positive], dim=1),
         tc.stack([tc.real, tc.positive, tc.positive], dim=1)),
        (C.multinomial(3), tc.multinomial(3)),
    ]:
        got, want = ours.check(_f64(value)), theirs.check(_t64(value))
        assert got.numpy().tolist() == want.numpy().tolist(), ours
        assert ours.event_dim == theirs.event_dim
        assert ours.is_discrete == theirs.is_discrete


def test_cat_stack_multinomial_fixed_values() -> None:
    value = _f64([[0.5, -1.0, 2.0], [1.0, 2.0, -3.0]])
    assert C.stack([C.real, C.positive, C.positive], dim=1).check(value).numpy().tolist() == [
        [True, False, True], [True, True, False]]
    counts = _f64([[1.0, 2.0, 0.0], [2.0, 2.0, 0.0], [-1.0, 1.0, 0.0]])
    assert C.multinomial(3).check(counts).numpy().tolist() == [True, False, False]
    assert C.multinomial(3).is_discrete and C.multinomial(3).event_dim == 1
    with pytest.raises(ValueError, match="2 constraints but 1 lengths"):
        C.cat([C.real, C.real], lengths=[1])


def test_dependent_constraints() -> None:
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent"):
        C.dependent.check(_f64(1.0))
    with pytest.raises(NotImplementedError, match="event_dim cannot be determined"):
        _ = C.dependent.event_dim
    custom = C.dependent(is_discrete=True, event_dim=1)
    assert custom.is_discrete and custom.event_dim == 1 and C.is_dependent(custom)

    class Shifted(D.Distribution):
        def __init__(self, low: tg.Tensor) -> None:
            self.low = low
            super().__init__(low.shape, validate_args=False)

        @C.dependent_property(is_discrete=False, event_dim=0)
        def support(self) -> C.Constraint:
            return C.greater_than(self.low)

    assert C.is_dependent(Shifted.support) and Shifted.support.event_dim == 0
    assert repr(Shifted(_f64(2.0)).support) == "GreaterThan(lower_bound=2.0)"
    plain = C.dependent_property(lambda self: C.real)
    assert C.is_dependent(plain)


# ----------------------------------------------------------------- 4. support objects
def test_supports_as_torch() -> None:
    ind = D.Independent(D.Gamma(_f64([[1.0, 2.0]]), _f64(1.0)), 1)
    assert repr(ind.support) == "IndependentConstraint(GreaterThanEq(lower_bound=0.0), 1)"
    assert ind.support.event_dim == 1
    assert ind.support.check(_f64([[1.0, -1.0], [1.0, 2.0]])).numpy().tolist() == [False, True]
    assert D.Independent(D.Normal(_f64([0.0]), _f64(1.0)), 0).support is C.real
    mvn = D.MultivariateNormal(_f64([0.0, 0.0]), _f64(np.eye(2)))
    assert repr(mvn.support) == "IndependentConstraint(Real(), 1)" == repr(C.real_vector)
    assert mvn.support.event_dim == 1
    multinomial = D.Multinomial(3, _f64([0.2, 0.8]))
    assert repr(multinomial.support) == "Multinomial()"  # PyTorch 2.13's text
    assert multinomial.support.check(_f64([[1.0, 2.0], [2.0, 2.0]])).numpy().tolist() == [
        True, False]
    mix = D.MixtureSameFamily(D.Categorical(_f64([0.3, 0.7])),
                              D.Gamma(_f64([1.0, 2.0]), _f64(1.0)))
    assert repr(mix.support) == "MixtureSameFamilyConstraint(GreaterThanEq(lower_bound=0.0))"
    assert mix.support.check(_f64([1.0, -1.0])).numpy().tolist() == [True, False]


@needs_torch
def test_mixture_support_check_matches_torch() -> None:
    for make, value in [
        (lambda m, t: m.MixtureSameFamily(m.Categorical(t([0.3, 0.7])),
                                          m.Gamma(t([1.0, 2.0]), t(1.0))), [[1.0, -1.0]]),
        (lambda m, t: m.MixtureSameFamily(m.Categorical(t([0.3, 0.7])), m.Independent(
            m.Normal(t([[0.0, 1.0], [1.0, 2.0]]), t(1.0)), 1)), [[1.0, np.nan], [0.0, 1.0]]),
    ]:
        ours, theirs = make(D, _f64), make(torch.distributions, _t64)
        assert repr(ours.support) == repr(theirs.support)
        got = ours.support.check(_f64(value)).numpy().tolist()
        assert got == theirs.support.check(_t64(value)).numpy().tolist()
