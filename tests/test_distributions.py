"""torch.distributions on tinygrad_np: log_prob, entropy, cdf, kl_divergence and their
gradients against PyTorch (hard-coded numbers, and torch itself when importable), float64
central differences, sampling statistics with a fixed seed, PyTorch's shapes and its
validate_args errors, and the REINFORCE and VAE snippets."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.distributions import (
    Bernoulli,
    Categorical,
    Independent,
    MultivariateNormal,
    Normal,
    Uniform,
    kl_divergence,
)

# ----------------------------------------------------------------- scenarios
# Each scenario runs with `mod` = tinygrad_np or torch and returns the values and gradients
# as NumPy arrays, so the same code checks both (against hard-coded PyTorch numbers and,
# when torch is importable, against torch itself).
PROBS = [[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]]


def _out(*tensors):
    return [np.asarray(t.detach().numpy(), dtype=np.float64) for t in tensors]


def _categorical_probs(mod):
    p = mod.tensor(PROBS, requires_grad=True)
    m = mod.distributions.Categorical(p)
    log_prob, entropy = m.log_prob(mod.tensor([2, 0])), m.entropy()
    (log_prob.sum() + entropy.sum()).backward()
    return _out(log_prob, entropy, m.probs, m.logits, p.grad)


def _categorical_logits_kl(mod):
    logits = mod.tensor([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]], requires_grad=True)
    D = mod.distributions
    p, q = D.Categorical(logits=logits), D.Categorical(mod.tensor([0.3, 0.3, 0.4]))
    kl = D.kl_divergence(p, q)
    lp = p.log_prob(mod.tensor([[1, 2], [0, 1]]))  # a sample_shape of (2,)
    (kl.sum() + lp.sum() + p.entropy().sum()).backward()
    return _out(kl, lp, p.entropy(), p.probs, logits.grad)


def _normal(mod):
    mu = mod.tensor([0.5, -1.0], requires_grad=True)
    sd = mod.tensor([1.5, 0.3], requires_grad=True)
    D = mod.distributions
    n = D.Normal(mu, sd)
    v = mod.tensor([[0.1, 0.2], [-2.0, 1.5], [0.0, -1.0]])
    lp, ent, cdf = n.log_prob(v), n.entropy(), n.cdf(v)
    kl = D.kl_divergence(n, D.Normal(0.25, mod.tensor([1.0, 2.0])))
    (lp.sum() + ent.sum() + cdf.sum() + kl.sum() + n.variance.sum() + n.stddev.sum()).backward()
    return _out(lp, ent, cdf, kl, n.mean, n.variance, mu.grad, sd.grad)


def _bernoulli(mod):
    b = mod.tensor([0.2, 0.9, 0.5], requires_grad=True)
    D = mod.distributions
    p = D.Bernoulli(b)
    lp, ent = p.log_prob(mod.tensor([1.0, 0.0, 1.0])), p.entropy()
    kl = D.kl_divergence(p, D.Bernoulli(logits=mod.tensor(0.3)))
    (lp.sum() + ent.sum() + kl.sum()).backward()
    logits = mod.tensor([-3.0, 0.5, 4.0], requires_grad=True)
    q = D.Bernoulli(logits=logits)
    lq = q.log_prob(mod.tensor([0.0, 1.0, 1.0]))
    (lq.sum() + q.entropy().sum()).backward()
    return _out(lp, ent, kl, p.logits, b.grad, lq, q.probs, q.entropy(), logits.grad)


def _uniform(mod):
    low = mod.tensor([0.0, 1.0], requires_grad=True)
    high = mod.tensor([2.0, 4.0], requires_grad=True)
    D = mod.distributions
    u = D.Uniform(low, high)
    lp, ent = u.log_prob(mod.tensor([1.0, 2.0])), u.entropy()
    kl = D.kl_divergence(u, D.Uniform(-1.0, 5.0))
    (lp.sum() + ent.sum() + kl.sum() + u.cdf(mod.tensor([0.5, 1.5])).sum()
     + u.stddev.sum()).backward()
    return _out(lp, ent, kl, u.mean, u.variance, low.grad, high.grad)


def _mvn(mod):
    tril = mod.tensor([[1.0, 0.0], [0.5, 2.0]], requires_grad=True)
    loc = mod.tensor([0.1, 0.2], requires_grad=True)
    cov = mod.tensor([[2.0, 0.3], [0.3, 1.0]], requires_grad=True)
    D = mod.distributions
    p = D.MultivariateNormal(loc, scale_tril=tril)
    q = D.MultivariateNormal(mod.zeros(2), covariance_matrix=cov)
    lp = p.log_prob(mod.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 3.0]]))
    lq = q.log_prob(mod.tensor([0.5, -0.5]))
    kl = D.kl_divergence(p, q)
    (lp.sum() + p.entropy() + kl + lq + q.entropy()).backward()
    return _out(lp, p.entropy(), lq, q.entropy(), kl, p.covariance_matrix, q.scale_tril,
                p.variance, tril.grad, loc.grad, cov.grad)


def _independent(mod):
    loc = mod.tensor([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]], requires_grad=True)
    D = mod.distributions
    base = D.Normal(loc, mod.tensor([1.0, 2.0]))
    ind = D.Independent(base, 1)
    lp, ent = ind.log_prob(mod.ones(3, 2)), ind.entropy()
    kl = D.kl_divergence(ind, D.Independent(D.Normal(mod.zeros(3, 2), 1.0), 1))
    (lp.sum() + kl.sum()).backward()
    return _out(lp, ent, kl, loc.grad)


def _vae_kl(mod):
    # the VAE's loss terms: the KL of the encoder's Normal to N(0, 1), and a log-likelihood
    x = mod.tensor([[0.2, -0.4, 1.0], [1.5, 0.3, -0.7]])
    w = mod.tensor([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], requires_grad=True)
    h = x @ w
    mu, logvar = h[:, 0], h[:, 1]
    std = (0.5 * logvar).exp()
    D = mod.distributions
    q = D.Normal(mu, std)
    kl = D.kl.kl_divergence(q, D.Normal(mod.zeros_like(mu), mod.ones_like(std))).sum()
    ll = q.log_prob(mod.tensor([0.3, -0.1])).sum()
    (kl - ll).backward()
    return _out(kl, ll, w.grad)


SCENARIOS = {"categorical_probs": _categorical_probs,
             "categorical_logits_kl": _categorical_logits_kl, "normal": _normal,
             "bernoulli": _bernoulli, "uniform": _uniform, "mvn": _mvn,
             "independent": _independent, "vae_kl": _vae_kl}

# PyTorch 2.13's numbers for the scenarios above (rounded to 6 decimals).
EXPECTED = {
    'categorical_probs': [
        [-0.693147, -2.302585],
        [1.029653, 0.897946],
        [[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]],
        [[-1.609438, -1.203973, -0.693147], [-2.302585, -0.510826, -1.203973]],
        [[-0.420215, -0.82568, 0.663494], [10.40464, -1.38712, -0.693973]],
    ],
    'categorical_logits_kl': [
        [0.189496, 0.667621],
        [[-2.027976, -3.169846], [-0.527976, -0.169846]],
        [0.934329, 0.524267],
        [[0.589798, 0.131602, 0.278601], [0.114195, 0.843795, 0.04201]],
        [[-0.132324, 0.747344, -0.61502], [-0.22701, -0.677392, 0.904402]],
    ],
    'normal': [
        [[-1.359959, -7.714966], [-2.713293, -34.437187], [-1.379959, 0.285034]],
        [1.824404, 0.214966],
        [[0.394863, 0.999968], [0.04779, 1.0], [0.369441, 0.5]],
        [0.250785, 1.603683],
        [0.5, -1.0],
        [2.25, 0.09],
        [-1.835689, 39.468357],
        [5.736172, 276.488007],
    ],
    'bernoulli': [
        [-1.609438, -2.302585, -0.693147],
        [0.500402, 0.325083, 0.693147],
        [0.293953, 0.259272, 0.011208],
        [-1.386294, 2.197224, 0.0],
        [4.7, -10.299998, 1.7],
        [-0.048587, -0.474077, -0.01815],
        [0.047426, 0.622459, 0.982014],
        [0.190865, 0.662847, 0.090095],
        [0.088104, 0.260039, -0.052665],
    ],
    'uniform': [
        [-0.693147, -1.098612],
        [0.693147, 1.098612],
        [1.098612, 0.693147],
        [1.0, 2.5],
        [0.333333, 0.75],
        [-0.163675, -0.23312],
        [-0.336325, -0.100214],
    ],
    'mvn': [
        [-3.163837, -2.701337, -6.963837],
        3.531024,
        -2.397031,
        3.161429,
        1.0592,
        [[1.0, 0.5], [0.5, 4.25]],
        [[1.414214, 0.0], [0.212132, 0.977241]],
        [1.0, 4.25],
        [[6.019402, -0.314136], [1.677742, 1.215179]],
        [3.527192, 0.581217],
        [[0.171103, 0.064376], [0.064376, -1.574026]],
    ],
    'independent': [
        [-3.031024, -3.531024, -2.687274],
        [3.531024, 3.531024, 3.531024],
        [1.306853, 3.306853, 1.056853],
        [[1.0, 1.0], [1.0, -0.5], [1.0, 0.625]],
    ],
    'vae_kl': [
        0.474368,
        -2.443112,
        [[2.530236, -0.144138], [1.035494, -0.237578], [-2.496372, 0.585977]],
    ],
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_values_and_gradients_match_pytorch_numbers(name):
    ours = SCENARIOS[name](tg)
    assert len(ours) == len(EXPECTED[name])
    for index, (got, want) in enumerate(zip(ours, EXPECTED[name])):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-4, atol=2e-5,
                                   err_msg=f"{name}: output {index}")


@pytest.mark.parametrize("name", SCENARIOS)
def test_values_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    for index, (got, want) in enumerate(zip(SCENARIOS[name](tg), SCENARIOS[name](torch))):
        assert got.shape == want.shape, f"{name}: output {index}"
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name}: output {index}")


# ----------------------------------------------------------------- central differences
def _f64(values):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_gradients_match_central_differences():
    v = tg.tensor(np.array([0.3, -1.2, 2.0]))
    assert tg.gradcheck(lambda m, s: Normal(m, s).log_prob(v).sum() + Normal(m, s).entropy().sum()
                        + kl_divergence(Normal(m, s), Normal(0.5, 2.0)).sum(),
                        [_f64([0.1, 0.2, -0.3]), _f64([0.7, 1.3, 2.1])])
    index = tg.tensor([2, 0])
    assert tg.gradcheck(lambda p: Categorical(p).log_prob(index).sum()
                        + Categorical(p).entropy().sum(), [_f64(PROBS)])
    other = Categorical(logits=tg.tensor(np.array([0.1, -0.3, 0.5])))
    assert tg.gradcheck(lambda z: kl_divergence(Categorical(logits=z), other).sum(),
                        [_f64([[1.0, -0.5, 0.25], [0.0, 2.0, -1.0]])])
    assert tg.gradcheck(lambda z: Bernoulli(logits=z).log_prob(tg.tensor([0.0, 1.0])).sum()
                        + Bernoulli(logits=z).entropy().sum(), [_f64([-1.5, 0.7])])
    value = tg.tensor(np.array([[1.0, 2.0], [0.0, -1.0]]))
    assert tg.gradcheck(lambda m, c: MultivariateNormal(m, covariance_matrix=c @ c.mT
                                                        + tg.eye(2, dtype=tg.float64))
                        .log_prob(value).sum(),
                        [_f64([0.1, 0.2]), _f64([[1.0, 0.2], [0.1, 0.8]])])


# ----------------------------------------------------------------- the snippets
def test_reinforce_snippet_runs_and_gives_pytorch_gradient():
    tg.manual_seed(0)
    probs = tg.tensor([0.1, 0.2, 0.7], requires_grad=True)
    reward = 2.0
    m = Categorical(probs)
    action = m.sample()
    assert action.dtype == tg.int64 and action.shape == () and 0 <= int(action) < 3
    loss = -m.log_prob(action) * reward
    loss.backward()
    # d/dp of -r log(p_a / sum p): -r (onehot_a / p_a - 1)
    want = -reward * (np.eye(3)[int(action)] / probs.detach().numpy()[int(action)] - 1)
    np.testing.assert_allclose(probs.grad.numpy(), want, rtol=1e-5)


def test_policy_network_reinforce_loop():
    tg.manual_seed(1)
    policy = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.ReLU(), tg.nn.Linear(8, 2),
                              tg.nn.Softmax(dim=-1))
    optimizer = tg.optim.Adam(policy.parameters(), lr=1e-2)
    state = tg.randn(5, 4)
    m = Categorical(policy(state))
    actions = m.sample()
    assert actions.shape == (5,)
    loss = (-m.log_prob(actions) * tg.ones(5)).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    assert all(p.grad is not None for p in policy.parameters())


def test_vae_rsample_gradients_are_reparameterised():
    tg.manual_seed(3)
    mu = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    std = tg.tensor([1.0, 0.5, 2.0], requires_grad=True)
    z = Normal(mu, std).rsample()
    z.sum().backward()
    eps = (z.detach().numpy() - mu.detach().numpy()) / std.detach().numpy()
    np.testing.assert_allclose(mu.grad.numpy(), np.ones(3))
    np.testing.assert_allclose(std.grad.numpy(), eps, rtol=1e-5)
    assert Normal(mu, std).sample().requires_grad is False


# ----------------------------------------------------------------- sampling
def test_samples_are_reproducible_with_manual_seed():
    for make in (lambda: Normal(tg.zeros(3), 1.0), lambda: Categorical(tg.tensor(PROBS)),
                 lambda: Bernoulli(tg.tensor([0.3, 0.6])), lambda: Uniform(0.0, 2.0),
                 lambda: MultivariateNormal(tg.zeros(2), tg.eye(2))):
        tg.manual_seed(7)
        first = make().sample((4,)).numpy()
        tg.manual_seed(7)
        np.testing.assert_array_equal(make().sample((4,)).numpy(), first)


def test_sample_shapes_follow_pytorch():
    assert Normal(tg.zeros(3), 1.0).sample((5, 2)).shape == (5, 2, 3)
    assert Normal(0.0, 1.0).sample().shape == ()
    assert Categorical(tg.tensor(PROBS)).sample((4,)).shape == (4, 2)
    assert Bernoulli(0.3).sample((6,)).shape == (6,)
    assert Uniform(tg.zeros(2, 1), tg.ones(3)).sample().shape == (2, 3)
    mvn = MultivariateNormal(tg.zeros(4, 2), tg.eye(2))
    assert mvn.sample((3,)).shape == (3, 4, 2) and mvn.batch_shape == (4,)
    assert mvn.event_shape == (2,)
    ind = Independent(Normal(tg.zeros(3, 2), 1.0), 1)
    assert (ind.batch_shape, ind.event_shape, ind.sample((5,)).shape) == ((3,), (2,), (5, 3, 2))
    assert isinstance(Normal(tg.zeros(3), 1.0).batch_shape, tg.Size)


def test_sampling_statistics():
    tg.manual_seed(0)
    x = Normal(tg.tensor([1.0, -2.0]), tg.tensor([0.5, 3.0])).sample((20000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -2.0], atol=0.1)
    np.testing.assert_allclose(x.std(0), [0.5, 3.0], rtol=0.05)
    counts = np.bincount(Categorical(tg.tensor([0.2, 0.3, 0.5])).sample((20000,)).numpy(),
                         minlength=3)
    np.testing.assert_allclose(counts / 20000, [0.2, 0.3, 0.5], atol=0.02)
    counts = np.bincount(Categorical(logits=tg.tensor([0.0, -np.inf, 1.0])).sample((5000,))
                         .numpy(), minlength=3)
    assert counts[1] == 0 and abs(counts[2] / 5000 - np.e / (1 + np.e)) < 0.03
    b = Bernoulli(tg.tensor([0.1, 0.8])).sample((20000,)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0}
    np.testing.assert_allclose(b.mean(0), [0.1, 0.8], atol=0.02)
    u = Uniform(-1.0, 3.0).sample((20000,)).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    m = MultivariateNormal(tg.tensor([1.0, 0.0]), covariance_matrix=tg.tensor(cov))
    draws = m.sample((20000,)).numpy()
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.1)


def test_uniform_rsample_gradients():
    low, high = tg.tensor([0.0, 1.0], requires_grad=True), tg.tensor([2.0, 5.0], requires_grad=True)
    tg.manual_seed(2)
    x = Uniform(low, high).rsample()
    x.sum().backward()
    frac = (x.detach().numpy() - [0.0, 1.0]) / [2.0, 4.0]
    np.testing.assert_allclose(high.grad.numpy(), frac, rtol=1e-5)
    np.testing.assert_allclose(low.grad.numpy(), 1 - frac, rtol=1e-5)


# ----------------------------------------------------------------- errors, as PyTorch
def test_validate_args_errors():
    with pytest.raises(ValueError, match=r"parameter scale .*GreaterThan\(lower_bound=0.0\)"):
        Normal(0.0, -1.0)
    assert Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    with pytest.raises(ValueError, match="Simplex"):
        Categorical(tg.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        Categorical(probs=tg.tensor([0.5, 0.5]), logits=tg.tensor([0.0, 0.0]))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        Bernoulli()
    with pytest.raises(ValueError, match="probs"):
        Bernoulli(tg.tensor([1.5]))
    with pytest.raises(ValueError):
        Uniform(2.0, 1.0)
    with pytest.raises(ValueError, match="support"):
        Categorical(tg.tensor([0.5, 0.5])).log_prob(tg.tensor(2))
    with pytest.raises(ValueError, match="support"):
        Bernoulli(0.5).log_prob(tg.tensor(0.5))
    with pytest.raises(ValueError, match="support"):
        Uniform(0.0, 1.0).log_prob(tg.tensor(2.0))
    assert Uniform(0.0, 1.0, validate_args=False).log_prob(tg.tensor(2.0)).item() == -np.inf
    with pytest.raises(ValueError, match=r"\(3,\)"):
        Normal(tg.zeros(2), 1.0).log_prob(tg.zeros(3))
    with pytest.raises(ValueError, match="Exactly one"):
        MultivariateNormal(tg.zeros(2))
    with pytest.raises(NotImplementedError, match="Normal.*Categorical"):
        kl_divergence(Normal(0.0, 1.0), Categorical(tg.tensor([0.5, 0.5])))
    with pytest.raises(NotImplementedError, match="rsample"):
        Categorical(tg.tensor([0.5, 0.5])).rsample()


def test_validate_args_errors_match_torch_types():
    torch = pytest.importorskip("torch")
    for mod, expected in ((torch, ValueError), (tg, ValueError)):
        with pytest.raises(expected):
            mod.distributions.Normal(mod.tensor([0.0]), mod.tensor([-1.0]))
        with pytest.raises(expected):
            mod.distributions.Categorical(mod.tensor([0.5, 0.5])).log_prob(mod.tensor(3))


# ----------------------------------------------------------------- the front door
def test_import_forms():
    import tinygrad_np.distributions.kl as kl_module
    from tinygrad_np.distributions import constraints

    assert tg.distributions.Normal is Normal and tg.distributions.kl.kl_divergence is kl_divergence
    assert kl_module.kl_divergence is kl_divergence
    assert repr(constraints.positive) == "GreaterThan(lower_bound=0.0)"
    assert Normal.has_rsample and not Categorical.has_rsample


def test_register_kl_and_categorical_kl_with_zero_probabilities():
    class Shifted(Normal):
        pass

    @tg.distributions.register_kl(Shifted, Normal)
    def _kl(p, q):
        return tg.tensor(42.0)

    assert kl_divergence(Shifted(0.0, 1.0), Normal(0.0, 1.0)).item() == 42.0
    assert kl_divergence(Normal(0.0, 1.0), Shifted(0.0, 1.0)).item() == 0.0  # the general one
    p, q = Categorical(tg.tensor([0.5, 0.5, 0.0])), Categorical(tg.tensor([0.5, 0.25, 0.25]))
    np.testing.assert_allclose(kl_divergence(p, q).item(), 0.5 * np.log(2), rtol=1e-5)
    assert kl_divergence(q, p).item() == np.inf


def test_enumerate_support_and_properties():
    c = Categorical(tg.tensor(PROBS))
    assert c.enumerate_support().shape == (3, 2) and c.param_shape == (2, 3)
    np.testing.assert_array_equal(c.mode.numpy(), [2, 1])
    assert Bernoulli(tg.tensor([0.2, 0.7])).enumerate_support().shape == (2, 2)
    n = Normal(tg.tensor([1.0, 2.0]), 2.0)
    np.testing.assert_allclose(n.stddev.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(n.perplexity().numpy(), np.exp(n.entropy().numpy()))


# ------------------------------------------------------ transforms and TransformedDistribution
def _normal_log_prob(x, mu, sigma):
    return -((x - mu) ** 2) / (2 * sigma ** 2) - np.log(sigma) - 0.5 * np.log(2 * np.pi)


def test_tanh_squashed_gaussian_log_prob_by_hand():
    from tinygrad_np.distributions import Normal, TransformedDistribution
    from tinygrad_np.distributions.transforms import TanhTransform

    mu, sigma = np.array([0.3, -1.2, 2.0]), np.array([0.5, 1.5, 0.8])
    dist = TransformedDistribution(Normal(tg.tensor(mu), tg.tensor(sigma)), [TanhTransform()])
    y = np.array([0.2, -0.5, 0.7])
    x = np.arctanh(y)
    expected = _normal_log_prob(x, mu, sigma) - np.log(1 - y ** 2)  # change of variables
    np.testing.assert_allclose(dist.log_prob(tg.tensor(y)).numpy(), expected, rtol=1e-10)


def test_a_cached_tanh_sample_gets_a_finite_log_prob_and_gradients():
    from tinygrad_np.distributions import Normal, TransformedDistribution
    from tinygrad_np.distributions.transforms import TanhTransform

    tg.manual_seed(0)
    mu = tg.tensor(np.array([0.0, 30.0]), requires_grad=True)  # tanh(30) rounds to 1.0
    sigma = tg.tensor(np.array([1.0, 1.0]), requires_grad=True)
    dist = TransformedDistribution(Normal(mu, sigma), [TanhTransform(cache_size=1)])
    action = dist.rsample((5,))
    log_prob = dist.log_prob(action)  # the cached x: no atanh(1) = inf
    assert np.isfinite(log_prob.numpy()).all()
    (log_prob.sum() + action.sum()).backward()
    assert np.isfinite(mu.grad.numpy()).all() and np.isfinite(sigma.grad.numpy()).all()


def test_transformed_distributions_match_pytorch():
    torch = pytest.importorskip("torch")
    mu0, sigma0 = np.array([0.3, -1.2, 2.0]), np.array([0.5, 1.5, 0.8])
    cases = [("TanhTransform", (), np.array([0.2, -0.5, 0.7])),
             ("ExpTransform", (), np.array([0.2, 0.5, 0.7])),
             ("SigmoidTransform", (), np.array([0.2, 0.5, 0.7])),
             ("AffineTransform", (1.0, -2.0), np.array([0.1, 2.0, -1.0]))]
    for name, args, value in cases:
        results = []
        for lib in (tg, torch):
            mu = lib.tensor(mu0.copy(), requires_grad=True)
            sigma = lib.tensor(sigma0.copy(), requires_grad=True)
            transform = getattr(lib.distributions.transforms, name)(*args)
            dist = lib.distributions.TransformedDistribution(
                lib.distributions.Normal(mu, sigma), [transform, lib.distributions.transforms.
                                                      AffineTransform(0.5, 3.0)])
            log_prob = dist.log_prob(lib.tensor(value * 3.0 + 0.5))
            log_prob.sum().backward()
            results.append([log_prob.detach().numpy(), mu.grad.numpy(), sigma.grad.numpy()])
        for ours, theirs in zip(*results):
            np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_transforms_cache_sign_clamp_and_checks():
    from tinygrad_np.distributions import Normal, TransformedDistribution, transforms as T

    dist = TransformedDistribution(Normal(tg.tensor([0.0]), tg.tensor([100.0])),
                                   [T.TanhTransform(cache_size=1)])
    draws = dist.sample((5,))  # mostly +-1.0 in float32: atanh would be inf
    assert np.isfinite(dist.log_prob(draws).numpy()).all() and not draws.requires_grad
    assert T.ComposeTransform([T.AffineTransform(0.0, -2.0), T.ExpTransform()]).sign == -1
    edges = T.SigmoidTransform().inv(tg.tensor([0.0, 1.0]))
    assert np.isfinite(edges.numpy()).all() and edges[0].item() < -80 and edges[1].item() > 15
    tanh = T.TanhTransform(cache_size=1)
    y = tg.tensor([0.5])
    assert tanh(tanh.inv(y)) is y
    with pytest.raises(ValueError, match="must be a Transform"):
        TransformedDistribution(Normal(0.0, 1.0), [lambda v: v])


def test_an_affine_transform_over_the_last_axis_makes_it_the_event():
    from tinygrad_np.distributions import Normal, TransformedDistribution
    from tinygrad_np.distributions.transforms import AffineTransform

    scale = np.array([2.0, -1.0, 0.5])
    base = Normal(tg.tensor(np.zeros((2, 3))), tg.tensor(np.ones((2, 3))))
    dist = TransformedDistribution(base, [AffineTransform(tg.tensor(np.ones(3)),
                                                          tg.tensor(scale), event_dim=1)])
    assert tuple(dist.batch_shape) == (2,) and tuple(dist.event_shape) == (3,)
    value = np.arange(6.0).reshape(2, 3)
    x = (value - 1) / scale
    expected = (-x ** 2 / 2 - 0.5 * np.log(2 * np.pi)).sum(1) - np.log(np.abs(scale)).sum()
    np.testing.assert_allclose(dist.log_prob(tg.tensor(value)).numpy(), expected)
