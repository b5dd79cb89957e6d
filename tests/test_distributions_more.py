"""The families of distributions/more_families.py, the transforms of more_transforms.py and
the kl pairs of more_kl.py: closed forms written out, float64 central differences, sampling
shapes and moments with a fixed seed, validation errors, and (when torch is importable)
values and gradients against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.distributions import constraints

D = tg.distributions


def _f64(values, grad: bool = False) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


# ----------------------------------------------------------------- against PyTorch
# (family, parameters (lists become float64 tensors that require grad), a value)
CASES = [
    ("StudentT", ([1.5, 3.0, 7.0], [0.5], [[1.0], [2.0]]), [0.3, -1.0, 2.0]),
    ("StudentT", ([0.5, 2.0, 30.0],), [[0.3, -1.0, 2.0]]),
    ("Chi2", ([1.5, 3.0, 7.0],), [0.3, 1.0, 2.0]),
    ("FisherSnedecor", ([1.5, 3.0, 7.0], [2.5, 5.0, 9.0]), [0.3, 1.0, 2.0]),
    ("FisherSnedecor", ([[1.5], [4.0]], [2.5, 5.0]), [0.3, 1.0]),
    ("Gumbel", ([0.5, -1.0, 2.0], [0.1, 3.0, 4.0]), [0.3, 1.0, 2.0]),
    ("Gumbel", ([[0.5], [-1.0]], [0.1, 3.0, 4.0]), [0.3, 1.0, 2.0]),
    ("HalfCauchy", ([0.1, 3.0, 4.0],), [0.3, 1.0, 2.0]),
    ("Pareto", ([0.1, 0.5, 1.0], [0.5, 3.0, 4.0]), [0.3, 1.0, 2.0]),
    ("Weibull", ([0.1, 0.5, 1.0], [0.5, 3.0, 4.0]), [0.3, 1.0, 2.0]),
    ("Weibull", ([[0.5], [2.0]], [0.7, 3.0]), [0.3, 1.0]),
    ("InverseGamma", ([0.5, 3.0, 4.0], [0.1, 0.5, 1.0]), [0.3, 1.0, 2.0]),
    ("Kumaraswamy", ([0.5, 3.0, 4.0], [0.1, 0.5, 1.5]), [0.3, 0.6, 0.9]),
    ("Kumaraswamy", ([[2.0], [1.0]], [1.5, 3.0]), [0.2, 0.7]),
    ("ContinuousBernoulli", ([0.001, 0.3, 0.4995, 0.5, 0.5005, 0.7, 0.999],),
     [0.3, 0.6, 0.9, 0.0, 1.0, 0.5, 0.2]),
    ("Geometric", ([0.2, 0.5, 0.9, 1.0],), [0.0, 3.0, 1.0, 0.0]),
    ("Binomial", (10, [0.2, 0.5, 0.9]), [0.0, 3.0, 10.0]),
    ("NegativeBinomial", ([2.5, 1.0, 7.0], [0.2, 0.5, 0.9]), [0.0, 3.0, 10.0]),
    ("VonMises", ([0.5, -1.0, 2.0], [0.1, 3.0, 40.0]), [0.3, 1.0, 2.0]),
    ("RelaxedBernoulli", ([0.7], [0.2, 0.5, 0.9]), [0.3, 0.6, 0.9]),
    ("RelaxedOneHotCategorical", ([0.7], [[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]),
     [0.3, 0.6, 0.1]),
    ("LogisticNormal", ([0.2, 0.5], [0.5, 1.5]), [[0.3, 0.6, 0.1], [0.5, 0.25, 0.25]]),
    ("LowRankMultivariateNormal",
     ([0.2, 0.5, 1.0], [[1.0, 0.2], [0.3, -0.5], [0.1, 0.4]], [0.5, 1.5, 2.0]),
     [[0.3, 0.6, 0.1], [1.0, 2.0, 3.0]]),
    ("LowRankMultivariateNormal",
     ([[0.2, 0.5], [1.0, -1.0]], [[[1.0], [0.3]]], [0.5, 1.5]), [0.3, 0.6]),
]
# What PyTorch 2.13 has that differs on purpose: its Kumaraswamy.mode is NaN for any
# valid parameters (here the closed form), its VonMises uses a polynomial Bessel
# approximation good to ~1e-7 (here to ~1e-15).
# Gamma (so Chi2 and InverseGamma) has no mode, cdf or icdf here (PyTorch's cdf is the
# regularised incomplete gamma function).
_KNOWN_DIFFERENCES = {("Kumaraswamy", "mode"), ("Chi2", "mode"), ("Chi2", "cdf"),
                      ("Chi2", "icdf"), ("InverseGamma", "cdf"), ("InverseGamma", "icdf")}
_PROPERTIES = ("entropy", "mean", "variance", "mode", "stddev", "cdf", "icdf")


def _evaluate(lib, name: str, params: tuple, value: list) -> dict:
    tensors = [lib.tensor(p, dtype=lib.float64, requires_grad=True) if isinstance(p, list)
               else p for p in params]
    dist = getattr(lib.distributions, name)(*tensors)
    out: dict = {"shape": (tuple(dist.batch_shape), tuple(dist.event_shape))}
    log_prob = dist.log_prob(lib.tensor(value, dtype=lib.float64))
    log_prob.sum().backward()
    out["log_prob"] = log_prob.detach().numpy()
    out["grads"] = [t.grad.numpy().copy() for t in tensors if isinstance(t, lib.Tensor)]
    for prop in _PROPERTIES:
        try:
            if prop == "entropy":
                result = dist.entropy()
            elif prop == "cdf":
                result = dist.cdf(lib.tensor(value, dtype=lib.float64))
            elif prop == "icdf":
                result = dist.icdf(lib.tensor(value, dtype=lib.float64) * 0.3 + 0.1)
            else:
                result = getattr(dist, prop)
            out[prop] = result.detach().numpy()
        except NotImplementedError:
            out[prop] = "NotImplementedError"
    return out


@pytest.mark.parametrize("name, params, value", CASES)
def test_values_and_gradients_match_torch(name: str, params: tuple, value: list) -> None:
    torch = pytest.importorskip("torch")
    theirs, ours = _evaluate(torch, name, params, value), _evaluate(tg, name, params, value)
    rtol = 1e-4 if name == "VonMises" else 1e-8
    assert ours["shape"] == theirs["shape"]
    for ours_grad, theirs_grad in zip(ours["grads"], theirs["grads"], strict=True):
        np.testing.assert_allclose(ours_grad, theirs_grad, rtol=rtol, atol=1e-12)
    for key in ("log_prob", *_PROPERTIES):
        if (name, key) in _KNOWN_DIFFERENCES:
            continue
        if isinstance(theirs[key], str) or isinstance(ours[key], str):
            assert ours[key] == theirs[key], f"{name}.{key}: {ours[key]!r} vs {theirs[key]!r}"
            continue
        assert np.shape(ours[key]) == np.shape(theirs[key]), f"{name}.{key}"
        np.testing.assert_allclose(ours[key], theirs[key], rtol=rtol, atol=1e-12,
                                   err_msg=f"{name}.{key}")


KL_PAIRS = [
    ("Gumbel", ([0.5, -1.0], [1.0, 2.0]), ([0.0, 1.0], [2.0, 0.5])),
    ("Geometric", ([0.2, 0.7],), ([0.5, 0.1],)),
    ("Binomial", (5, [0.2, 0.7]), (5, [0.5, 0.1])),
    ("ContinuousBernoulli", ([0.2, 0.4999],), ([0.5, 0.9],)),
    ("Pareto", ([1.0, 0.5], [2.0, 3.0]), ([0.8, 1.0], [1.5, 2.0])),
    ("HalfNormal", ([1.0, 0.5],), ([0.8, 2.0],)),
    ("Laplace", ([1.0, 0.5], [2.0, 3.0]), ([0.8, 1.0], [1.5, 2.0])),
    ("Cauchy", ([1.0, 0.5], [2.0, 3.0]), ([0.8, 1.0], [1.5, 2.0])),
    ("OneHotCategorical", ([0.2, 0.3, 0.5],), ([0.5, 0.1, 0.4],)),
    ("LowRankMultivariateNormal", ([0.2, 0.5], [[1.0], [0.3]], [0.5, 1.5]),
     ([0.0, 1.0], [[0.5], [-0.3]], [1.5, 0.5])),
]


@pytest.mark.parametrize("name, p_args, q_args", KL_PAIRS)
def test_kl_matches_torch(name: str, p_args: tuple, q_args: tuple) -> None:
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, tg):
        dists = lib.distributions
        p_tensors = [lib.tensor(v, dtype=lib.float64, requires_grad=True)
                     if isinstance(v, list) else v for v in p_args]
        q_tensors = [lib.tensor(v, dtype=lib.float64) if isinstance(v, list) else v
                     for v in q_args]
        kl = dists.kl_divergence(getattr(dists, name)(*p_tensors),
                                 getattr(dists, name)(*q_tensors))
        kl.sum().backward()
        results.append([kl.detach().numpy()] + [t.grad.numpy() for t in p_tensors
                                                if isinstance(t, lib.Tensor)])
    for theirs, ours in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8)


def test_lowrank_kl_with_a_dense_multivariate_normal_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, tg):
        dists = lib.distributions
        factor = lib.tensor([[1.0], [0.3]], dtype=lib.float64, requires_grad=True)
        low = dists.LowRankMultivariateNormal(lib.tensor([0.2, 0.5], dtype=lib.float64),
                                              factor, lib.tensor([0.5, 1.5], dtype=lib.float64))
        dense = dists.MultivariateNormal(lib.zeros(2, dtype=lib.float64),
                                         lib.tensor([[2.0, 0.3], [0.3, 1.0]],
                                                    dtype=lib.float64))
        total = dists.kl_divergence(low, dense) + dists.kl_divergence(dense, low)
        total.backward()
        results.append((float(total.detach()), factor.grad.numpy()))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-10)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-8)


# ----------------------------------------------------------------- closed forms (no torch)
def test_closed_forms_written_out() -> None:
    x = np.array([0.3, 1.0, 2.5])
    # StudentT(1) is the standard Cauchy
    np.testing.assert_allclose(D.StudentT(_f64(1.0)).log_prob(_f64(x)).numpy(),
                               -np.log(np.pi * (1 + x**2)), rtol=1e-12)
    # Chi2(2) is Exponential(1/2); Weibull(scale 1, k 1) is Exponential(1)
    np.testing.assert_allclose(D.Chi2(_f64(2.0)).log_prob(_f64(x)).numpy(),
                               np.log(0.5) - 0.5 * x, rtol=1e-12)
    np.testing.assert_allclose(D.Weibull(_f64(1.0), _f64(1.0)).log_prob(_f64(x)).numpy(), -x,
                               rtol=1e-12, atol=1e-15)
    z = (x - 0.5) / 2.0
    np.testing.assert_allclose(D.Gumbel(_f64(0.5), _f64(2.0)).log_prob(_f64(x)).numpy(),
                               -z - np.exp(-z) - np.log(2.0), rtol=1e-12)
    np.testing.assert_allclose(D.Gumbel(_f64(0.5), _f64(2.0)).cdf(_f64(x)).numpy(),
                               np.exp(-np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(D.Pareto(_f64(0.5), _f64(3.0)).log_prob(_f64(x[1:])).numpy(),
                               np.log(3.0 * 0.5**3 / x[1:] ** 4), rtol=1e-12)
    np.testing.assert_allclose(D.HalfCauchy(_f64(2.0)).log_prob(_f64(x)).numpy(),
                               np.log(2 / (np.pi * 2.0 * (1 + (x / 2) ** 2))), rtol=1e-12)
    a, b = 3.0, 0.5  # InverseGamma: b^a x^(-a-1) exp(-b/x) / Gamma(a)
    np.testing.assert_allclose(D.InverseGamma(_f64(a), _f64(b)).log_prob(_f64(x)).numpy(),
                               a * np.log(b) - (a + 1) * np.log(x) - b / x - math.lgamma(a),
                               rtol=1e-12)
    u = np.array([0.2, 0.5, 0.9])
    np.testing.assert_allclose(D.Kumaraswamy(_f64(2.0), _f64(3.0)).log_prob(_f64(u)).numpy(),
                               np.log(6 * u * (1 - u**2) ** 2), rtol=1e-12)
    np.testing.assert_allclose(D.Kumaraswamy(_f64(1.0), _f64(1.0)).log_prob(_f64(u)).numpy(),
                               0.0, atol=1e-12)
    k = np.array([0.0, 2.0, 5.0])
    np.testing.assert_allclose(D.Geometric(_f64(0.3)).log_prob(_f64(k)).numpy(),
                               k * np.log(0.7) + np.log(0.3), rtol=1e-12)
    pmf = [math.comb(5, int(i)) * 0.3**i * 0.7 ** (5 - i) for i in k]
    np.testing.assert_allclose(D.Binomial(5, _f64(0.3)).log_prob(_f64(k)).numpy(), np.log(pmf),
                               rtol=1e-12)
    nb = [math.gamma(2.5 + i) / (math.gamma(2.5) * math.factorial(int(i))) * 0.7**2.5 * 0.3**i
          for i in k]
    np.testing.assert_allclose(D.NegativeBinomial(_f64(2.5), _f64(0.3)).log_prob(_f64(k))
                               .numpy(), np.log(nb), rtol=1e-12)
    f1, f2 = 4.0, 6.0  # F density
    fx = x
    density = (math.gamma((f1 + f2) / 2) / (math.gamma(f1 / 2) * math.gamma(f2 / 2))
               * (f1 / f2) ** (f1 / 2) * fx ** (f1 / 2 - 1) * (1 + f1 * fx / f2)
               ** (-(f1 + f2) / 2))
    np.testing.assert_allclose(D.FisherSnedecor(_f64(f1), _f64(f2)).log_prob(_f64(fx)).numpy(),
                               np.log(density), rtol=1e-12)


def test_von_mises_bessel_values_and_limits() -> None:
    # I0(1) = 1.2660658777520082, I1(1) = 0.5651591039924851 (tables)
    vm = D.VonMises(_f64(0.0), _f64([1.0, 1e-9, 700.0]))
    log_prob = vm.log_prob(_f64(0.0)).numpy()
    assert log_prob[0] == pytest.approx(1 - math.log(2 * math.pi * 1.2660658777520082),
                                        rel=1e-14)
    assert log_prob[1] == pytest.approx(1e-9 - math.log(2 * math.pi), rel=1e-14)  # ~uniform
    # k -> inf: I0(k) ~ e^k / sqrt(2 pi k) (1 + 1/(8k) + 9/(128k^2)), so log p(loc) ~
    # 0.5 log(k / 2 pi) - 1/(8k) - 1/(16k^2)
    assert log_prob[2] == pytest.approx(0.5 * math.log(700 / (2 * math.pi)) - 1 / 5600
                                        - 1 / (16 * 700**2), rel=1e-9)
    assert np.isfinite(log_prob).all()
    assert vm.variance.numpy()[0] == pytest.approx(1 - 0.5651591039924851 / 1.2660658777520082,
                                                   rel=1e-14)


def test_continuous_bernoulli_normaliser_integrates_to_one() -> None:
    grid = np.linspace(0, 1, 20001)
    for probs in (0.02, 0.3, 0.4999, 0.5, 0.7, 0.999):
        dist = D.ContinuousBernoulli(_f64(probs))
        density = np.exp(dist.log_prob(_f64(grid)).numpy())
        assert np.trapezoid(density, grid) == pytest.approx(1.0, rel=1e-6)
        assert np.trapezoid(grid * density, grid) == pytest.approx(dist.mean.item(), rel=1e-6)
        # (inside lims around 1/2 the cdf is x itself, as PyTorch: good to ~1e-4 there)
        assert dist.cdf(_f64(0.5)).item() == pytest.approx(
            np.trapezoid(density[:10001], grid[:10001]), rel=2e-4)
        assert dist.icdf(dist.cdf(_f64(0.3))).item() == pytest.approx(0.3, rel=1e-9)


def test_stable_at_extreme_parameters() -> None:
    logits = _f64([-800.0, -30.0, 0.0, 30.0, 800.0], grad=True)
    binomial = D.Binomial(10, logits=logits).log_prob(_f64([0.0, 1.0, 5.0, 9.0, 10.0]))
    geometric = D.Geometric(logits=logits[1:-1]).log_prob(_f64(2.0))
    negative = D.NegativeBinomial(_f64(3.0), logits=logits[:-1]).log_prob(_f64(4.0))
    cb = D.ContinuousBernoulli(logits=logits)
    total = (binomial.sum() + geometric.sum() + negative.sum() + cb.log_prob(_f64(0.3)).sum()
             + cb.entropy().sum() + cb.mean.sum() + cb.variance.sum())
    total.backward()
    assert np.isfinite(total.item()) and np.isfinite(logits.grad.numpy()).all()
    assert binomial[0].item() == pytest.approx(0.0, abs=1e-12)  # certain zero successes
    big = D.StudentT(_f64([1e-3, 1e6]), _f64(0.0), _f64(1.0))
    assert np.isfinite(big.log_prob(_f64(3.0)).numpy()).all()
    assert np.isfinite(big.entropy().numpy()).all()
    assert np.isfinite(D.Gumbel(_f64(0.0), _f64(1.0)).log_prob(_f64([-3.0, 600.0])).numpy()).all()


# ----------------------------------------------------------------- central differences
@pytest.mark.parametrize("make, args, value", [
    (lambda df, loc, s: D.StudentT(df, loc, s), ([2.5, 7.0], [0.1, -0.3], [1.2, 0.7]),
     [0.4, 1.5]),
    (lambda a, b: D.Kumaraswamy(a, b), ([2.0, 0.7], [1.5, 3.0]), [0.4, 0.8]),
    (lambda s, k: D.Weibull(s, k), ([1.5, 0.7], [1.5, 3.0]), [0.4, 0.8]),
    (lambda loc, k: D.VonMises(loc, k), ([0.3, -2.0], [0.5, 45.0]), [0.4, -1.8]),
    (lambda p: D.ContinuousBernoulli(p), ([0.2, 0.8],), [0.4, 0.8]),
    (lambda z: D.NegativeBinomial(_f64(3.5), logits=z), ([0.3, -1.2],), [2.0, 0.0]),
    (lambda loc, w, d: D.LowRankMultivariateNormal(loc, w, d),
     ([0.1, 0.2], [[1.0, 0.5], [0.2, -0.4]], [0.6, 1.3]), [[0.5, -1.0]]),
    (lambda loc, s: D.LogisticNormal(loc, s), ([0.1, -0.4], [0.6, 1.3]), [0.2, 0.3, 0.5]),
    (lambda t, z: D.RelaxedOneHotCategorical(t, logits=z), ([0.6], [0.1, -0.4, 0.5]),
     [0.2, 0.3, 0.5]),
])
def test_gradients_match_central_differences(make, args, value) -> None:
    inputs = [_f64(a, grad=True) for a in args]
    x = _f64(value)

    def objective(*params):
        dist = make(*params)
        total = dist.log_prob(x).sum()
        for extra in ("entropy", "mean"):
            try:
                value = dist.entropy() if extra == "entropy" else dist.mean
            except NotImplementedError:
                continue  # (LogisticNormal and the relaxed families have neither)
            total = total + value.sum()
        return total

    assert tg.gradcheck(objective, inputs)


def test_von_mises_second_derivative_through_the_bessel_ratio() -> None:
    assert tg.autograd.gradgradcheck(lambda k: D.VonMises(_f64(0.0), k).log_prob(_f64(0.5)).sum(),
                            [_f64([0.0001, 0.7, 3.0, 50.0], grad=True)])


# ----------------------------------------------------------------- sampling
@pytest.mark.parametrize("make, mean, var, support", [
    (lambda: D.StudentT(_f64(6.0), _f64(1.0), _f64(2.0)), 1.0, 4 * 6 / 4, None),
    (lambda: D.Chi2(_f64(3.0)), 3.0, 6.0, (0, np.inf)),
    (lambda: D.FisherSnedecor(_f64(8.0), _f64(12.0)), 1.2, 2 * 144 * 18 / (8 * 100 * 8),
     (0, np.inf)),
    (lambda: D.Gumbel(_f64(1.0), _f64(2.0)), 1 + 2 * 0.5772156649, (np.pi * 2) ** 2 / 6, None),
    (lambda: D.Pareto(_f64(1.0), _f64(5.0)), 1.25, 5 / (16 * 3), (1, np.inf)),
    (lambda: D.Weibull(_f64(2.0), _f64(1.5)), None, None, (0, np.inf)),
    (lambda: D.InverseGamma(_f64(5.0), _f64(2.0)), 0.5, 4 / (16 * 3), (0, np.inf)),
    (lambda: D.Kumaraswamy(_f64(2.0), _f64(3.0)), None, None, (0, 1)),
    (lambda: D.ContinuousBernoulli(_f64(0.8)), None, None, (0, 1)),
    (lambda: D.Geometric(_f64(0.3)), 7 / 3, 0.7 / 0.09, (0, np.inf)),
    (lambda: D.Binomial(_f64(12.0), _f64(0.3)), 3.6, 12 * 0.21, (0, 12)),
    (lambda: D.NegativeBinomial(_f64(4.0), _f64(0.4)), 4 * 0.4 / 0.6, 4 * 0.4 / 0.36,
     (0, np.inf)),
    (lambda: D.RelaxedBernoulli(_f64(0.5), _f64(0.3)), None, None, (0, 1)),
    (lambda: D.HalfCauchy(_f64(1.0)), None, None, (0, np.inf)),
])
def test_sample_moments_and_support(make, mean, var, support) -> None:
    tg.manual_seed(0)
    dist = make()
    draws = dist.sample((40000,))
    assert draws.shape == (40000,) and draws.dtype == tg.float64 and not draws.requires_grad
    values = draws.numpy()
    if support is not None:
        assert values.min() >= support[0] and values.max() <= support[1]
    try:
        expected_mean = dist.mean.item() if mean is None else mean
        expected_var = dist.variance.item() if var is None else var
    except NotImplementedError:  # RelaxedBernoulli: no closed-form moments
        expected_mean = expected_var = math.inf
    if np.isfinite(expected_mean):
        assert abs(values.mean() - expected_mean) < 0.05 * math.sqrt(expected_var) + 0.01
    if np.isfinite(expected_var):
        assert values.var() == pytest.approx(expected_var, rel=0.15)
    assert np.all(np.isfinite(dist.log_prob(draws[:100]).numpy()))
    if dist.support is not None:
        assert np.all(dist.support.check(draws))


def test_von_mises_circular_moments() -> None:
    tg.manual_seed(1)
    dist = D.VonMises(_f64([2.8, -1.0]), _f64([3.0, 0.2]))
    angles = dist.sample((40000,)).numpy()
    assert angles.shape == (40000, 2)
    resultant = np.exp(1j * angles).mean(0)
    np.testing.assert_allclose(np.angle(resultant), [2.8, -1.0], atol=0.1)
    np.testing.assert_allclose(1 - np.abs(resultant), dist.variance.numpy(), atol=0.02)


def test_shapes_of_draws_and_rsample_gradients() -> None:
    tg.manual_seed(2)
    loc = _f64([[0.0, 1.0, 2.0]], grad=True)
    assert D.StudentT(_f64(3.0), loc, _f64([[1.0], [2.0]])).rsample((5,)).shape == (5, 2, 3)
    lowrank = D.LowRankMultivariateNormal(_f64(np.zeros((4, 3))), _f64(np.ones((3, 2))),
                                          _f64(np.ones(3)))
    assert (lowrank.batch_shape, lowrank.event_shape) == ((4,), (3,))
    assert lowrank.rsample((2,)).shape == (2, 4, 3)
    logistic = D.LogisticNormal(_f64(np.zeros((4, 2))), _f64(1.0))
    draws = logistic.sample((5,))
    assert draws.shape == (5, 4, 3) and logistic.event_shape == (3,)
    np.testing.assert_allclose(draws.numpy().sum(-1), 1.0, rtol=1e-12)
    relaxed = D.RelaxedOneHotCategorical(_f64(0.5), _f64([[0.2, 0.8], [0.5, 0.5]]))
    assert relaxed.rsample((3,)).shape == (3, 2, 2)
    onehot = D.OneHotCategoricalStraightThrough(_f64([0.2, 0.3, 0.5], grad=True))
    draw = onehot.rsample((4,))
    assert set(np.unique(draw.numpy())) <= {0.0, 1.0} and draw.requires_grad
    assert draw.shape == (4, 3) and np.all(draw.numpy().sum(-1) == 1)
    assert D.Binomial(_f64([[3.0], [5.0]]), _f64([0.2, 0.6, 0.9])).sample((7,)).shape == (7, 2, 3)
    scale = _f64([1.0, 2.0], grad=True)
    D.Weibull(scale, _f64(1.5)).rsample((10,)).sum().backward()
    assert scale.grad is not None and np.all(scale.grad.numpy() > 0)
    assert D.Kumaraswamy.has_rsample and D.Gumbel(_f64(0.0), _f64(1.0)).has_rsample
    assert not D.VonMises.has_rsample and not D.Binomial.has_rsample
    df = _f64(3.0, grad=True)
    D.StudentT(df).rsample((4,)).sum().backward()  # df reparameterised (implicitly)
    assert df.grad is not None and np.isfinite(df.grad.item())
    with pytest.raises(NotImplementedError):
        D.VonMises(_f64(0.0), _f64(1.0)).rsample()


def test_straight_through_gradient_reaches_probs() -> None:
    tg.manual_seed(3)
    probs = _f64([0.2, 0.3, 0.5], grad=True)
    draw = D.OneHotCategoricalStraightThrough(probs).rsample()
    (draw * _f64([1.0, 2.0, 3.0])).sum().backward()
    # through probs / probs.sum(): d/dp (p . c) = c - p . c
    np.testing.assert_allclose(probs.grad.numpy(), np.array([1.0, 2.0, 3.0]) - 2.3, rtol=1e-12)


def test_expand() -> None:
    for dist in (D.StudentT(_f64([2.0, 3.0])), D.Gumbel(_f64([0.0, 1.0]), _f64(1.0)),
                 D.Binomial(4, _f64([0.2, 0.5])), D.VonMises(_f64([0.0, 1.0]), _f64(2.0)),
                 D.Weibull(_f64([1.0, 2.0]), _f64(1.5))):
        wide = dist.expand((3, 2))
        assert wide.batch_shape == (3, 2) and wide.sample().shape == (3, 2)
        value = _f64([1.0, 2.0])
        np.testing.assert_allclose(wide.log_prob(value).numpy(),
                                   np.broadcast_to(dist.log_prob(value).numpy(), (3, 2)))


# ----------------------------------------------------------------- validation
def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="df"):
        D.StudentT(_f64(-1.0))
    with pytest.raises(ValueError, match="scale"):
        D.Gumbel(_f64(0.0), _f64(-1.0))
    with pytest.raises(ValueError, match="scale"):
        D.HalfCauchy(_f64(0.0))
    with pytest.raises(ValueError, match="total_count"):
        D.Binomial(_f64(2.5), _f64(0.5))
    with pytest.raises(ValueError, match="positive"):
        D.Geometric(_f64(0.0))
    with pytest.raises(ValueError, match="probs"):
        D.NegativeBinomial(_f64(2.0), _f64(1.0))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.Binomial(3)
    with pytest.raises(ValueError, match="support"):
        D.Binomial(3, _f64(0.5)).log_prob(_f64(4.0))
    with pytest.raises(ValueError, match="support"):
        D.Pareto(_f64(1.0), _f64(2.0)).log_prob(_f64(0.5))
    with pytest.raises(ValueError, match="support"):
        D.Kumaraswamy(_f64(1.0), _f64(2.0)).log_prob(_f64(1.5))
    with pytest.raises(ValueError, match="support"):
        D.LogisticNormal(_f64([0.0, 0.0]), _f64(1.0)).log_prob(_f64([0.5, 0.6, 0.1]))
    with pytest.raises(ValueError, match="cov_factor"):
        D.LowRankMultivariateNormal(_f64([0.0, 0.0]), _f64([[1.0, 2.0]]), _f64([1.0, 1.0]))
    with pytest.raises(ValueError, match="cov_diag"):
        D.LowRankMultivariateNormal(_f64([0.0, 0.0]), _f64([[1.0], [2.0]]), _f64([1.0, -1.0]))
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        D.Binomial(_f64([2.0, 3.0]), _f64(0.5)).entropy()
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Binomial(3, _f64(0.5)), D.Binomial(4, _f64(0.5)))
    assert D.Pareto(_f64(1.0), _f64(2.0)).log_prob(_f64(1.0)).item() == pytest.approx(
        math.log(2.0))  # the scale itself is in the support
    lax = D.StudentT(_f64(-1.0), validate_args=False)
    assert lax.df.item() == -1.0


def test_validation_error_types_match_torch() -> None:
    torch = pytest.importorskip("torch")
    for lib in (torch, tg):
        dists = lib.distributions
        with pytest.raises(ValueError):
            dists.Weibull(lib.tensor([1.0]), lib.tensor([-1.0]))
        with pytest.raises(ValueError):
            dists.Geometric(lib.tensor([0.5])).log_prob(lib.tensor([1.5]))
        with pytest.raises(ValueError):
            dists.Binomial(lib.tensor([1.5]), lib.tensor([0.5]))


# ----------------------------------------------------------------- transforms
T = D  # the transforms are exported from tinygrad_np.distributions


def _jacobian_log_det(function, x: np.ndarray) -> float:
    """log |det J| of a map R^n -> R^n by float64 central differences."""
    step, n = 1e-6, x.size
    columns = []
    for i in range(n):
        shift = np.zeros(n)
        shift[i] = step
        columns.append((function(x + shift) - function(x - shift)) / (2 * step))
    return float(np.linalg.slogdet(np.stack(columns, 1))[1])


@pytest.mark.parametrize("transform, x", [
    (lambda: T.PowerTransform(2.5), [0.3, 1.2, 2.0]),
    (lambda: T.PowerTransform(_f64(-0.5)), [0.3, 1.2, 2.0]),
    (lambda: T.SoftplusTransform(), [-3.0, 0.0, 4.0]),
    (lambda: T.ExpTransform().inv, [0.3, 1.2, 2.0]),
    (lambda: T.CatTransform([T.ExpTransform(), T.SoftplusTransform()], 0, [1, 2]),
     [0.3, -1.2, 2.0]),
    (lambda: T.StackTransform([T.ExpTransform(), T.SoftplusTransform(),
                               T.AffineTransform(1.0, -3.0)]), [0.3, -1.2, 2.0]),
])
def test_elementwise_transforms_invert_and_log_det(transform, x) -> None:
    t, x = transform(), np.asarray(x)
    y = t(_f64(x))
    np.testing.assert_allclose(t.inv(y).numpy(), x, rtol=1e-12)
    log_det = t.log_abs_det_jacobian(_f64(x), y).numpy().sum()
    assert log_det == pytest.approx(_jacobian_log_det(lambda v: t(_f64(v)).numpy(), x),
                                    rel=1e-6)


def test_stick_breaking_and_friends() -> None:
    x = np.array([0.3, -1.2, 2.0])
    t = T.StickBreakingTransform()
    y = t(_f64(x)).numpy()
    assert y.shape == (4,) and y.min() > 0 and y.sum() == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(t(_f64([0.0, 0.0, 0.0])).numpy(), 0.25, rtol=1e-14)  # centre
    np.testing.assert_allclose(t.inv(_f64(y)).numpy(), x, rtol=1e-12)
    log_det = t.log_abs_det_jacobian(_f64(x), _f64(y)).item()
    assert log_det == pytest.approx(_jacobian_log_det(lambda v: t(_f64(v)).numpy()[:-1], x),
                                    rel=1e-6)
    assert t.forward_shape((5, 3)) == (5, 4) and t.inverse_shape((5, 4)) == (5, 3)
    softmax = T.SoftmaxTransform()(_f64(x)).numpy()
    np.testing.assert_allclose(softmax, np.exp(x) / np.exp(x).sum(), rtol=1e-14)
    m = np.array([[0.5, 9.0], [-1.0, -0.3]])
    chol = T.LowerCholeskyTransform()(_f64(m)).numpy()
    np.testing.assert_allclose(chol, [[np.exp(0.5), 0.0], [-1.0, np.exp(-0.3)]], rtol=1e-14)
    reshape = T.ReshapeTransform((2, 3), (6,))
    assert reshape(_f64(np.zeros((4, 2, 3)))).shape == (4, 6)
    assert reshape.log_abs_det_jacobian(_f64(np.zeros((4, 2, 3))), None).shape == (4,)
    assert T.AbsTransform()(_f64([-2.0, 3.0])).numpy().tolist() == [2.0, 3.0]
    assert T.identity_transform(_f64([1.5])).item() == 1.5
    independent = T.IndependentTransform(T.ExpTransform(), 1)
    assert independent.log_abs_det_jacobian(_f64([[1.0, 2.0]]), None).numpy().tolist() == [3.0]
    with pytest.raises(ValueError, match="elements"):
        T.ReshapeTransform((2, 3), (5,))


def test_a_reshaping_transform_in_a_transformed_distribution() -> None:
    base = D.Normal(_f64(np.zeros((4, 2, 3))), _f64(1.0))
    dist = D.TransformedDistribution(base, T.ReshapeTransform((2, 3), (6,)))
    assert (dist.batch_shape, dist.event_shape) == ((4,), (6,))
    value = np.arange(24.0).reshape(4, 6) / 10
    expected = (-value**2 / 2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    np.testing.assert_allclose(dist.log_prob(_f64(value)).numpy(), expected, rtol=1e-12)
    assert dist.sample((2,)).shape == (2, 4, 6)


@pytest.mark.parametrize("constraint", [
    constraints.real, constraints.positive, constraints.nonnegative, constraints.unit_interval,
    constraints.greater_than(2.0), constraints.greater_than_eq(-1.0),
    constraints.less_than(3.0), constraints.interval(-2.0, 5.0), constraints.simplex,
    constraints.lower_cholesky, constraints.independent(constraints.positive, 1),
    constraints.real_vector,
])
def test_biject_to_and_transform_to_land_in_the_constraint(constraint) -> None:
    tg.manual_seed(4)
    x = tg.randn(5, 3, 3, dtype=tg.float64)
    for registry in (T.biject_to, T.transform_to):
        if registry is T.biject_to and constraint is constraints.lower_cholesky:
            with pytest.raises(NotImplementedError):  # not bijective: PyTorch's biject_to
                registry(constraint)  # has no lower_cholesky (transform_to has)
            continue
        transform = registry(constraint)
        y = transform(x)
        assert np.all(constraint.check(y)), (registry, constraint)
        if registry is T.biject_to:
            np.testing.assert_allclose(transform(transform.inv(y)).numpy(), y.numpy(),
                                       rtol=1e-9, atol=1e-12)
    with pytest.raises(NotImplementedError):
        T.biject_to(constraints.nonnegative_integer)


def test_transforms_match_torch() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([[0.3, -1.2, 2.0], [1.0, 0.1, -0.5]])
    for name, args in (("StickBreakingTransform", ()), ("SoftplusTransform", ()),
                       ("PowerTransform", (1.7,)), ("SoftmaxTransform", ()),
                       ("LowerCholeskyTransform", ())):
        results = []
        for lib in (torch, tg):
            transforms = lib.distributions.transforms if lib is torch else T
            made = [lib.tensor(np.asarray(a, dtype=np.float64)) for a in args]
            t = getattr(transforms, name)(*made)
            data = np.abs(x) if name == "PowerTransform" else x
            if name == "LowerCholeskyTransform":
                data = np.stack([x[:, :2], x[:, 1:]])
            xs = lib.tensor(data, dtype=lib.float64, requires_grad=True)
            y = t(xs)
            out = [y.detach().numpy()]
            if name not in ("SoftmaxTransform", "LowerCholeskyTransform"):
                log_det = t.log_abs_det_jacobian(xs, y)
                log_det.sum().backward()
                out += [log_det.detach().numpy(), xs.grad.numpy()]
            results.append(out)
        for theirs, ours in zip(*results, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, err_msg=name)


def test_import_paths_and_exports() -> None:
    from tinygrad_np.distributions.gumbel import Gumbel
    from tinygrad_np.distributions.studentT import StudentT

    assert Gumbel is D.Gumbel and StudentT is D.StudentT
    for name in ("Binomial", "LowRankMultivariateNormal", "biject_to", "StickBreakingTransform",
                 "RelaxedOneHotCategorical", "ContinuousBernoulli"):
        assert name in D.__all__
    assert isinstance(T.ExpTransform().inv.inv, T.ExpTransform)
