"""Round 19 of torch.distributions parity (session 25 probes): Uniform's and Dirichlet's
arg_constraints, AffineTransform's vector domain, ComposeTransform.inv as a ComposeTransform
of the inverses, NegativeBinomial log_prob at total_count = value = 0 without NumPy warnings,
broadcast_all's errors. Compared with torch where installed, else fixed values."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

D = tg.distributions
T = D.transforms
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


@pytest.fixture
def validating(monkeypatch):
    """Both libraries' class-level default (another test file may have turned PyTorch's off)."""
    monkeypatch.setattr(tg.distributions.Distribution, "_validate_args", True)
    if torch is not None:
        monkeypatch.setattr(torch.distributions.Distribution, "_validate_args", True)


def test_uniform_arg_constraints_name_the_other_bound() -> None:
    d = D.Uniform(0.0, 1.0)
    assert repr(d.arg_constraints) == ("{'low': LessThan(upper_bound=1.0), "
                                       "'high': GreaterThan(lower_bound=0.0)}")
    with pytest.raises(ValueError, match=r"parameter low .*LessThan\(upper_bound=0.0\)"):
        D.Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match=r"LessThan\(upper_bound=tensor\(\[1., 0.\]\)\)"):
        D.Uniform(tg.tensor([0.0, 2.0]), tg.tensor([1.0, 0.0]))
    assert D.Uniform(1.0, 0.0, validate_args=False).batch_shape == ()


def test_dirichlet_arg_constraint_is_independent_positive() -> None:
    text = "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)"
    assert repr(D.Dirichlet(tg.ones(3)).arg_constraints["concentration"]) == text
    with pytest.raises(ValueError, match=re_escape(text)):
        D.Dirichlet(tg.tensor([1.0, -2.0]))


def re_escape(text: str) -> str:
    import re
    return re.escape(text)


def test_affine_transform_domain_has_its_event_dim() -> None:
    assert repr(T.AffineTransform(1.0, 2.0).domain) == "Real()"
    vector = T.AffineTransform(1.0, 2.0, event_dim=1)
    assert repr(vector.domain) == "IndependentConstraint(Real(), 1)"
    assert repr(vector.codomain) == "IndependentConstraint(Real(), 1)"
    assert vector.codomain.event_dim == 1
    assert repr(T.AffineTransform(0.0, 1.0, event_dim=2).inv.domain) == \
        "IndependentConstraint(Real(), 2)"


def test_compose_transform_inverse_is_a_compose_of_inverses() -> None:
    exp, affine = T.ExpTransform(), T.AffineTransform(1.0, 2.0)
    t = T.ComposeTransform([exp, affine])
    inv = t.inv
    assert isinstance(inv, T.ComposeTransform)
    assert repr(inv) == ("ComposeTransform(\n    _InverseTransform(AffineTransform()),\n"
                         "    _InverseTransform(ExpTransform())\n)")
    assert inv.inv is t and t.inv is inv
    y = tg.tensor([3.0, 5.0], dtype=tg.float64)
    np.testing.assert_allclose(inv(y).numpy(), np.log((y.numpy() - 1) / 2))
    x = inv(y)
    # log|dx/dy| = -(x + log 2)
    np.testing.assert_allclose(inv.log_abs_det_jacobian(y, x).numpy(),
                               -(x.numpy() + math.log(2.0)))
    assert inv == T.ComposeTransform([affine.inv, exp.inv])


def test_compose_transform_cache_reaches_the_parts() -> None:
    t = T.ComposeTransform([T.TanhTransform(), T.AffineTransform(0.0, 2.0)], cache_size=1)
    assert all(part._cache_size == 1 for part in t.parts)
    x = tg.tensor([30.0, -0.5], dtype=tg.float32)
    y = t(x)  # tanh(30) is 1 in float32: atanh would give inf without the cache
    assert t.inv(y) is x
    back = t.with_cache(0)
    assert back._cache_size == 0 and back.parts == t.parts  # (parts keep theirs, as PyTorch)


def test_squashed_gaussian_through_cached_compose_log_prob_finite() -> None:
    base = D.Normal(tg.zeros(2), tg.ones(2))
    t = T.ComposeTransform([T.TanhTransform(), T.AffineTransform(0.0, 2.0)], cache_size=1)
    d = D.TransformedDistribution(base, [t])
    a = d.rsample()
    assert np.all(np.isfinite(d.log_prob(a).numpy()))


def test_negative_binomial_zero_total_count_no_warning() -> None:
    n = tg.tensor([0.0, 0.0, 3.0], dtype=tg.float64, requires_grad=True)
    p = tg.tensor([0.5, 0.5, 0.25], dtype=tg.float64, requires_grad=True)
    value = tg.tensor([0.0, 2.0, 1.0], dtype=tg.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lp = D.NegativeBinomial(n, p).log_prob(value)
        lp[[0, 2]].sum().backward()
    # k=0 with n=0 has probability 1; n=0, k=2 impossible; n=3, k=1: C(3,1) .75^3 .25
    np.testing.assert_allclose(lp.numpy(), [0.0, -np.inf, math.log(3 * 0.75 ** 3 * 0.25)])
    # d/dn log p(0) = log(1 - p) (PyTorch 2.13 gives NaN there); n = 3: log .75 + 1/3
    np.testing.assert_allclose(n.grad.numpy()[[0, 2]], [math.log(0.5), math.log(0.75) + 1 / 3])
    np.testing.assert_allclose(p.grad.numpy()[[0, 2]], [0.0, 0.0], atol=1e-12)


@needs_torch
def test_negative_binomial_zero_total_count_matches_torch() -> None:
    nv, pv, kv = [0.0, 3.0, 2.5], [0.3, 0.5, 0.8], [1.0, 0.0, 4.0]
    ours_n = tg.tensor(nv, dtype=tg.float64, requires_grad=True)
    ours_p = tg.tensor(pv, dtype=tg.float64, requires_grad=True)
    theirs_n = torch.tensor(nv, dtype=torch.float64, requires_grad=True)
    theirs_p = torch.tensor(pv, dtype=torch.float64, requires_grad=True)
    ours = D.NegativeBinomial(ours_n, ours_p).log_prob(tg.tensor(kv, dtype=tg.float64))
    theirs = torch.distributions.NegativeBinomial(theirs_n, theirs_p).log_prob(
        torch.tensor(kv, dtype=torch.float64))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours_n.grad.numpy(), theirs_n.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=1e-10)


def test_broadcast_all_errors() -> None:
    with pytest.raises(RuntimeError, match=r"\(2,\), \(3,\)"):
        D.utils.broadcast_all(tg.zeros(2), tg.zeros(3))
    with pytest.raises(ValueError, match="str"):
        D.utils.broadcast_all(tg.zeros(2), "a")
    with pytest.raises(ValueError):
        D.utils.broadcast_all(tg.zeros(2), np.float32(1.0))  # as PyTorch: int, float, bool
    a, b = D.utils.broadcast_all(tg.zeros(2, dtype=tg.float64), True)
    assert b.dtype == tg.float64 and b.tolist() == [1.0, 1.0]


def _dispatch_case(lib):
    """Register (Normal, Sub2) before (Sub1, Normal); KL(Sub1, Sub2) is ambiguous."""
    dist = lib.distributions

    class Sub1(dist.Normal):
        pass

    class Sub2(dist.Normal):
        pass

    dist.register_kl(dist.Normal, Sub2)(lambda p, q: p.loc * 0 + 2.0)
    dist.register_kl(Sub1, dist.Normal)(lambda p, q: p.loc * 0 + 1.0)
    dist.register_kl(Sub1, Sub1)(lambda p, q: p.loc * 0 + 3.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(dist.kl_divergence(Sub1(0.0, 1.0), Sub2(0.0, 1.0)))
    clear = float(dist.kl_divergence(Sub1(0.0, 1.0), Sub1(0.0, 1.0)))
    return value, clear, [str(w.message) for w in caught if w.category is RuntimeWarning]


def test_kl_dispatch_prefers_the_specific_p_and_warns_when_ambiguous() -> None:
    value, clear, messages = _dispatch_case(tg)
    assert (value, clear) == (1.0, 3.0)
    assert messages == ["Ambiguous kl_divergence(Sub1, Sub2). Please register_kl(Sub1, Sub2)"]
    assert D.kl._KL_REGISTRY is D.kl._REGISTRY


@needs_torch
def test_kl_dispatch_matches_torch() -> None:
    assert _dispatch_case(tg) == _dispatch_case(torch)


def test_transformed_cdf_checks_the_value_in_the_base_space() -> None:
    # Weibull(1, 2): cdf(x) = 1 - exp(-x^2); 0 maps to the base Exponential's support edge
    cdf = D.Weibull(1.0, 2.0).cdf(tg.tensor([0.0, 0.5, 1.0], dtype=tg.float64))
    np.testing.assert_allclose(cdf.numpy(), 1 - np.exp(-np.array([0.0, 0.25, 1.0])))
    np.testing.assert_allclose(D.HalfNormal(1.0).cdf(tg.tensor([0.0])).numpy(), [0.0])
    with pytest.raises(ValueError, match="support"):
        D.LogNormal(0.0, 1.0).cdf(tg.tensor([-1.0]))  # log(-1) is NaN: not real
    flipped = D.TransformedDistribution(D.Exponential(1.0), [T.AffineTransform(0.0, -1.0)])
    np.testing.assert_allclose(flipped.cdf(tg.tensor([-1.5], dtype=tg.float64)).numpy(),
                               [math.exp(-1.5)])
    with pytest.raises(ValueError, match="support"):
        flipped.cdf(tg.tensor([1.5]))


@needs_torch
def test_transformed_cdf_validation_matches_torch(validating) -> None:
    def run(lib, make, value):
        try:
            return make(lib.distributions).cdf(lib.tensor(value)).tolist()
        except ValueError:
            return "ValueError"
    makers = [lambda d: d.Weibull(1.0, 2.0), lambda d: d.LogNormal(0.0, 1.0),
              lambda d: d.HalfCauchy(1.0), lambda d: d.Pareto(1.0, 2.0),
              lambda d: d.Kumaraswamy(2.0, 3.0),
              lambda d: d.TransformedDistribution(d.Normal(0.0, 1.0),
                                                  [d.transforms.TanhTransform()])]
    for make in makers:
        for value in ([0.0], [1.0], [-1.0], [0.5], [1.5]):
            ours, theirs = run(tg, make, value), run(torch, make, value)
            if isinstance(theirs, list):
                np.testing.assert_allclose(ours, theirs, rtol=1e-5)
            else:
                assert ours == theirs, (make(torch.distributions), value)


def test_sample_shape_from_numpy_and_range() -> None:
    assert D.Normal(0.0, 1.0).sample(np.array([2, 3])).shape == (2, 3)
    assert D.Normal(0.0, 1.0).rsample(range(2, 4)).shape == (2, 3)
    assert D.Normal(tg.zeros(2), 1.0).expand(np.array([3, 2])).batch_shape == (3, 2)
    with pytest.raises(TypeError, match="int"):
        D.Normal(0.0, 1.0).sample(np.array([2.0]))
    with pytest.raises(TypeError, match="not iterable"):
        D.Normal(0.0, 1.0).sample(2)


def test_multinomial_log_prob_gradient_in_the_value() -> None:
    # d/dx_i log p(x) = digamma(n + 1) - digamma(x_i + 1) + log p_i, also where x_i = 0
    probs = np.array([0.1, 0.1, 0.8])
    value = tg.tensor([0.0, 0.0, 5.0], dtype=tg.float64, requires_grad=True)
    d = D.Multinomial(5, tg.tensor(probs, dtype=tg.float64))
    (grad,) = tg.autograd.grad(d.log_prob(value), value)
    digamma = {1: -0.5772156649015329, 6: 1.7061176684318003}
    want = [digamma[6] - digamma[1] + math.log(0.1)] * 2 + [math.log(0.8)]
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-10)


@needs_torch
def test_multinomial_log_prob_matches_torch_with_infinite_logits() -> None:
    inf = math.inf
    logits = np.array([[-inf, 0.0, 1.0], [0.0, -inf, -inf], [0.3, 0.1, -0.2]])
    counts = np.array([[[1.0, 2.0, 2.0], [0.0, 0.0, 5.0], [5.0, 0.0, 0.0]],
                       [[0.0, 3.0, 2.0], [5.0, 0.0, 0.0], [1.0, 1.0, 3.0]]])
    results = []
    for lib in (torch, tg):
        value = lib.tensor(counts, requires_grad=True)
        param = lib.tensor(logits, requires_grad=True)
        lp = lib.distributions.Multinomial(5, logits=param, validate_args=False).log_prob(value)
        grads = lib.autograd.grad(lp.sum(), [value, param])
        results.append([lp.detach().numpy()] + [g.numpy() for g in grads])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_mvn_private_helpers_custom_kl_code_reads() -> None:
    from tinygrad_np.distributions.multivariate_normal import _batch_mahalanobis, _batch_mv
    rng = np.random.default_rng(0)
    tril = np.tril(rng.normal(size=(3, 1, 2, 2)), -1) + 2 * np.eye(2)
    x = rng.normal(size=(5, 3, 4, 2))
    want = np.einsum("...i,...ij,...j->...", x, np.linalg.inv(tril @ np.swapaxes(tril, -1, -2)), x)
    got = _batch_mahalanobis(tg.tensor(tril), tg.tensor(x))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(_batch_mv(tg.tensor(tril), tg.tensor(x[:, :, :1])).numpy(),
                               np.einsum("...ij,...j->...i", tril, x[:, :, :1]), rtol=1e-12)
    d = D.MultivariateNormal(tg.zeros(3, 2, dtype=tg.float64), scale_tril=tg.tensor(tril[0, 0]))
    np.testing.assert_allclose(d._unbroadcasted_scale_tril.numpy()[-1], tril[0, 0])
    # a custom KL written as PyTorch's, on the private names
    q = D.MultivariateNormal(tg.ones(2, dtype=tg.float64), scale_tril=tg.tensor(tril[1, 0]))
    diff = q.loc - d.loc
    m = _batch_mahalanobis(q._unbroadcasted_scale_tril, diff)
    np.testing.assert_allclose(m.numpy(), np.full(3, want.dtype.type(
        np.ones(2) @ np.linalg.inv(tril[1, 0] @ tril[1, 0].T) @ np.ones(2))), rtol=1e-10)


@needs_torch
def test_values_outside_the_support_without_validation_match_torch() -> None:
    """validate_args=False: NaN, +-inf and out-of-support values give PyTorch's numbers
    (NaN stays NaN, -inf outside), with no NumPy warning."""
    makers = [
        ("log_prob", lambda d: d.LogNormal(0.0, 1.0, validate_args=False)),
        ("log_prob", lambda d: d.HalfNormal(2.0, validate_args=False)),
        ("cdf", lambda d: d.HalfNormal(2.0, validate_args=False)),
        ("cdf", lambda d: d.ContinuousBernoulli(0.3, validate_args=False)),
        ("cdf", lambda d: d.ContinuousBernoulli(0.5, validate_args=False)),
        ("log_prob", lambda d: d.ContinuousBernoulli(0.3, validate_args=False)),
        ("log_prob", lambda d: d.Binomial(5, 0.3, validate_args=False)),
        ("log_prob", lambda d: d.NegativeBinomial(3.0, 0.3, validate_args=False)),
        ("log_prob", lambda d: d.Poisson(2.0, validate_args=False)),
        ("log_prob", lambda d: d.Gamma(2.0, 1.0, validate_args=False)),
        ("log_prob", lambda d: d.Beta(2.0, 3.0, validate_args=False)),
        ("cdf", lambda d: d.Uniform(0.0, 2.0, validate_args=False)),
    ]
    values = [-1.5, -1e-3, 0.0, 0.5, 1.0, 2.7, math.inf, -math.inf, math.nan]
    for method, make in makers:
        theirs = getattr(make(torch.distributions), method)(
            torch.tensor(values, dtype=torch.float64))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = getattr(make(D), method)(tg.tensor(values, dtype=tg.float64))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7,
                                   err_msg=f"{make(torch.distributions)}.{method}")


def _transform_equalities(lib):
    transforms = lib.distributions.transforms

    class Own(transforms.Transform):
        def _call(self, x):
            return x * 2

    class Exp2(transforms.ExpTransform):
        pass

    own = Own()
    return [Own() == Own(), own == own, Exp2() == Exp2(), own.inv == own.inv,
            transforms.AffineTransform(1.0, 2.0) == transforms.AffineTransform(1.0, 2.0),
            transforms.ExpTransform().inv == transforms.ExpTransform().inv]


def test_own_transform_equal_only_to_itself() -> None:
    assert _transform_equalities(tg) == [False, True, True, True, True, True]


@needs_torch
def test_own_transform_equality_matches_torch() -> None:
    assert _transform_equalities(tg) == _transform_equalities(torch)


def test_second_names_in_module_paths() -> None:
    from tinygrad_np.distributions.one_hot_categorical import OneHotCategoricalStraightThrough
    from tinygrad_np.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    from tinygrad_np.distributions.relaxed_categorical import ExpRelaxedCategorical
    assert OneHotCategoricalStraightThrough is D.OneHotCategoricalStraightThrough
    assert LogitRelaxedBernoulli is D.LogitRelaxedBernoulli
    assert ExpRelaxedCategorical is D.ExpRelaxedCategorical


def test_constraint_check_on_a_python_number_is_a_bool() -> None:
    C = D.constraints
    assert C.positive.check(1.0) is True and C.positive.check(-1) is False
    assert C.interval(0.0, 1.0).check(0.5) is True
    assert C.nonnegative_integer.check(0.5) is False
    checked = C.interval(tg.zeros(2), 1.0).check(0.5)  # tensor bounds: a tensor, as PyTorch
    assert isinstance(checked, tg.Tensor) and checked.tolist() == [True, True]
    assert isinstance(C.positive.check(tg.tensor(1.0)), tg.Tensor)


def _missing_definition_warnings(lib):
    dist = lib.distributions

    class Bare(dist.Distribution):
        def __init__(self, validate_args=None):
            super().__init__(lib.Size([2]), validate_args=validate_args)

        def log_prob(self, value):
            if self._validate_args:
                self._validate_sample(value)
            return value * 0

    class Declared(Bare):
        arg_constraints: dict = {}
        support = dist.constraints.real

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Bare().log_prob(lib.zeros(2))
        Bare(validate_args=False).log_prob(lib.zeros(2))
        Declared().log_prob(lib.zeros(2))
        dist.Normal(0.0, 1.0).log_prob(lib.zeros(2))
        dist.Independent(dist.Normal(lib.zeros(2), 1.0), 1).log_prob(lib.zeros(2))
    return [str(w.message).replace("torch", "LIB").replace("tinygrad_np", "LIB")
            for w in caught]


def test_own_distribution_without_constraints_warns(validating) -> None:
    messages = _missing_definition_warnings(tg)
    assert len(messages) == 2
    assert "does not define `arg_constraints`" in messages[0]
    assert "does not define `support`" in messages[1]


@needs_torch
def test_own_distribution_without_constraints_warns_as_torch(validating) -> None:
    assert _missing_definition_warnings(tg) == _missing_definition_warnings(torch)
