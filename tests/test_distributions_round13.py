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


# ----------------------------------------------------------------- 2. implicit rsample
ALPHAS = [0.05, 0.3, 1.0, 2.5, 7.9, 8.1, 30.0, 999.0, 1500.0]


@needs_torch
def test_gamma_rsample_gradient_matches_torch_at_the_same_draws() -> None:
    alpha = _f64(ALPHAS, grad=True)
    rate = _f64([0.5, 2.0, 1.0, 3.0, 1.0, 0.7, 1.0, 2.0, 1.0], grad=True)
    tg.manual_seed(1)
    x = D.Gamma(alpha, rate).rsample()
    x.sum().backward()
    standard = torch.tensor(x.detach().numpy() * rate.detach().numpy())
    expected = torch._standard_gamma_grad(torch.tensor(ALPHAS, dtype=torch.float64), standard)
    # torch's slope is itself an approximation (series / Rice saddle point / rational fit)
    np.testing.assert_allclose(alpha.grad.numpy(), expected.numpy() / rate.detach().numpy(),
                               rtol=2e-3)
    np.testing.assert_allclose(rate.grad.numpy(), -x.detach().numpy() / rate.detach().numpy(),
                               rtol=1e-12)


@needs_torch
def test_standard_gamma_grad_matches_torch_in_the_tails() -> None:
    from tinygrad_np.distributions.gamma_family import standard_gamma_grad
    alpha = np.array([0.01, 0.1, 0.5, 1.0, 3.0, 3.0, 20.0, 20.0, 5000.0, 5000.0])
    x = np.array([1e-30, 0.01, 3.0, 8.0, 0.01, 20.0, 5.0, 45.0, 4800.0, 5200.0])
    expected = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    np.testing.assert_allclose(standard_gamma_grad(alpha, x), expected, rtol=2e-3)


def test_standard_gamma_grad_at_alpha_one_closed_form() -> None:
    # P(1, x) = 1 - exp(-x); dP/dalpha at 1 = int_0^x log(t) e^-t dt + euler (1 - e^-x),
    # and int_0^x log(t) e^-t dt = -euler - E1(x) - e^-x log x; E1 by its series
    from tinygrad_np.distributions.gamma_family import standard_gamma_grad
    euler = 0.5772156649015329
    for x in (0.2, 1.5, 4.0):
        e1 = -euler - math.log(x) - sum((-x) ** k / (k * math.factorial(k)) for k in range(1, 60))
        slope = -euler - e1 - math.exp(-x) * math.log(x) + euler * (1 - math.exp(-x))
        expected = -slope / math.exp(-x)
        assert standard_gamma_grad(np.array(1.0), np.array(x)) == pytest.approx(expected,
                                                                                 rel=1e-7)


# (family, parameters, d E[sample] / d parameter, from the closed-form mean)
MEAN_SLOPES = [
    ("Gamma", (2.0, 3.0), (1 / 3, -2 / 9)),
    ("Chi2", (3.0,), (1.0,)),
    ("Beta", (2.0, 3.0), (3 / 25, -2 / 25)),
    ("InverseGamma", (4.0, 2.0), (-2 / 9, 1 / 3)),
    ("FisherSnedecor", (3.0, 6.0), (0.0, -2 / 16)),
]


@pytest.mark.parametrize(("name", "params", "slopes"), MEAN_SLOPES)
def test_rsample_mean_gradient_is_the_mean_formulas(name: str, params: tuple,
                                                    slopes: tuple) -> None:
    tensors = [_f64(p, grad=True) for p in params]
    tg.manual_seed(0)
    dist = getattr(D, name)(*tensors)
    assert dist.has_rsample
    dist.rsample((40000,)).mean().backward()
    for tensor, slope in zip(tensors, slopes):
        assert tensor.grad.item() == pytest.approx(slope, abs=0.015 + 0.03 * abs(slope))


def test_dirichlet_rsample_gradient() -> None:
    alpha = _f64([1.0, 2.0, 3.0], grad=True)
    tg.manual_seed(0)
    x = D.Dirichlet(alpha).rsample((40000,))
    assert x.shape == (40000, 3)
    x[:, 0].mean().backward()  # E[x_0] = a_0 / sum a: slope (5/36, -1/36, -1/36)
    np.testing.assert_allclose(alpha.grad.numpy(), [5 / 36, -1 / 36, -1 / 36], atol=0.01)


def test_studentt_df_requiring_grad_samples_and_reparameterises() -> None:
    df = _f64([3.0, 10.0], grad=True)
    tg.manual_seed(0)
    draws = D.StudentT(df).sample((5,))
    assert draws.shape == (5, 2) and not draws.requires_grad
    # E|T| = 2 sqrt(v) Gamma((v+1)/2) / (sqrt(pi) (v - 1) Gamma(v/2)); its slope in v
    def mean_abs(v: float) -> float:
        return (2 * math.sqrt(v) * math.exp(math.lgamma((v + 1) / 2) - math.lgamma(v / 2))
                / (math.sqrt(math.pi) * (v - 1)))
    expected = [(mean_abs(v + 1e-6) - mean_abs(v - 1e-6)) / 2e-6 for v in (3.0, 10.0)]
    D.StudentT(df).rsample((200000,)).abs().mean(0).sum().backward()
    np.testing.assert_allclose(df.grad.numpy(), expected, atol=0.01)


def test_gamma_rsample_float32_and_no_grad_sample() -> None:
    alpha = tg.tensor([0.5, 2.0], requires_grad=True)
    x = D.Gamma(alpha, 1.0).rsample((3,))
    assert x.dtype == tg.float32 and x.requires_grad
    x.sum().backward()
    assert alpha.grad.dtype == tg.float32 and np.all(np.isfinite(alpha.grad.numpy()))
    assert not D.Gamma(alpha, 1.0).sample((3,)).requires_grad


# ----------------------------------------------------------------- 3. user-written subclasses
class _Shifted(D.Distribution):
    """A user-written family as in PyTorch's docs: N(loc, 1)."""

    arg_constraints = {"loc": D.constraints.real}
    support = D.constraints.positive  # (narrower than the truth: to see it checked)
    has_rsample = True

    def __init__(self, loc: tg.Tensor, validate_args: bool | None = None) -> None:
        self.loc = loc
        super().__init__(loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(_Shifted, _instance)
        new.loc = self.loc.expand(batch_shape)
        super(_Shifted, new).__init__(tg.Size(batch_shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    def log_prob(self, value: tg.Tensor) -> tg.Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / 2 - 0.5 * math.log(2 * math.pi)


class _NoExpand(_Shifted):
    def __init__(self, loc: tg.Tensor) -> None:
        super().__init__(loc)

    expand = D.Distribution.expand


def test_user_subclass_validate_sample_and_expand() -> None:
    dist = _Shifted(_f64([0.0, 1.0]))
    assert dist.log_prob(_f64([1.0, 1.0])).numpy()[1] == pytest.approx(-0.5 * math.log(2 * math.pi))
    with pytest.raises(ValueError, match="support"):
        dist.log_prob(_f64([-1.0, 1.0]))
    with pytest.raises(ValueError, match="must be a Tensor"):
        dist.log_prob(1.0)
    with pytest.raises(ValueError, match="broadcastable"):
        dist.log_prob(_f64([1.0, 1.0, 1.0]))
    wide = dist.expand((3, 2))
    assert type(wide) is _Shifted and wide.batch_shape == (3, 2) and wide._validate_args
    assert wide.loc.shape == (3, 2)


def test_get_checked_instance_refuses_custom_init_without_expand() -> None:
    dist = _NoExpand(_f64([0.0]))
    with pytest.raises(NotImplementedError, match="_NoExpand of _Shifted .* custom .expand"):
        dist._get_checked_instance(_Shifted)
    assert type(_Shifted(_f64([0.0]))._get_checked_instance(_Shifted)) is _Shifted


def test_base_enumerate_support_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="_Shifted.enumerate_support"):
        _Shifted(_f64([0.0])).enumerate_support()
    with pytest.raises(NotImplementedError, match="Normal.enumerate_support"):
        D.Normal(0.0, 1.0).enumerate_support()


@pytest.mark.parametrize(("constraint", "value", "expected"), [
    (D.constraints.positive, [1.0, -1.0, 0.0], [True, False, False]),
    (D.constraints.simplex, [[0.5, 0.5], [0.5, 0.6]], [True, False]),
    (D.constraints.independent(D.constraints.positive, 1), [[1.0, 2.0], [1.0, -2.0]],
     [True, False]),
    (D.constraints.integer_interval(0, 3), [0.0, 3.0, 1.5], [True, True, False]),
])
def test_constraint_check_returns_a_bool_tensor(constraint, value, expected) -> None:
    result = constraint.check(_f64(value))
    assert isinstance(result, tg.Tensor) and result.dtype == tg.bool
    assert result.tolist() == expected


def test_user_constraint_returning_a_tensor_validates() -> None:
    class Even(D.constraints.Constraint):
        def check(self, value):
            return (value % 2) == 0

    class EvenDist(_Shifted):
        support = Even()

    assert EvenDist(_f64([0.0])).log_prob(_f64([2.0])).shape == (1,)
    with pytest.raises(ValueError, match="support"):
        EvenDist(_f64([0.0])).log_prob(_f64([3.0]))
    inner = D.constraints.independent(Even(), 1).check(_f64([[2.0, 4.0], [2.0, 3.0]]))
    assert inner.tolist() == [True, False]


# ----------------------------------------------------------------- 4. shapes
def _mvn_params(batch: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    loc = rng.normal(size=(*batch, 3))
    tril = np.tril(rng.normal(size=(*batch, 3, 3)) * 0.3)
    idx = np.arange(3)
    tril[..., idx, idx] = np.abs(tril[..., idx, idx]) + 0.5
    return loc, tril


@pytest.mark.parametrize(("p_batch", "q_batch"), [((4, 1), (2,)), ((2,), (4, 1)), ((), (3,))])
def test_kl_mvn_broadcasts_batch_shapes(p_batch, q_batch) -> None:
    (p_loc, p_tril), (q_loc, q_tril) = _mvn_params(p_batch, 0), _mvn_params(q_batch, 1)
    p_loc_t = _f64(p_loc, grad=True)
    kl = D.kl_divergence(D.MultivariateNormal(p_loc_t, scale_tril=_f64(p_tril)),
                         D.MultivariateNormal(_f64(q_loc), scale_tril=_f64(q_tril)))
    shape = np.broadcast_shapes(p_batch, q_batch)
    assert kl.shape == shape
    # closed form, element by element
    pl, pt = np.broadcast_to(p_loc, (*shape, 3)), np.broadcast_to(p_tril, (*shape, 3, 3))
    ql, qt = np.broadcast_to(q_loc, (*shape, 3)), np.broadcast_to(q_tril, (*shape, 3, 3))
    for index in np.ndindex(shape):
        p_cov, q_cov = pt[index] @ pt[index].T, qt[index] @ qt[index].T
        q_inv, diff = np.linalg.inv(q_cov), ql[index] - pl[index]
        expected = 0.5 * (np.trace(q_inv @ p_cov) + diff @ q_inv @ diff - 3
                          + np.log(np.linalg.det(q_cov) / np.linalg.det(p_cov)))
        assert kl.numpy()[index] == pytest.approx(expected, rel=1e-10)
    kl.sum().backward()
    if torch is not None:
        tp = torch.tensor(p_loc, requires_grad=True)
        tkl = torch.distributions.kl_divergence(
            torch.distributions.MultivariateNormal(tp, scale_tril=torch.tensor(p_tril)),
            torch.distributions.MultivariateNormal(torch.tensor(q_loc),
                                                   scale_tril=torch.tensor(q_tril)))
        tkl.sum().backward()
        np.testing.assert_allclose(kl.detach().numpy(), tkl.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(p_loc_t.grad.numpy(), tp.grad.numpy(), rtol=1e-10)


def test_kl_mvn_batch_shapes_that_do_not_broadcast() -> None:
    (p_loc, p_tril), (q_loc, q_tril) = _mvn_params((3,), 0), _mvn_params((2,), 1)
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\) do not broadcast"):
        D.kl_divergence(D.MultivariateNormal(_f64(p_loc), scale_tril=_f64(p_tril)),
                        D.MultivariateNormal(_f64(q_loc), scale_tril=_f64(q_tril)))


def test_expand_keeps_a_scalar_temperature_scalar() -> None:
    dist = D.RelaxedOneHotCategorical(_f64(0.5), probs=_f64([0.3, 0.7])).expand((3,))
    assert dist.batch_shape == (3,) and dist.event_shape == (2,)
    assert dist.sample().shape == (3, 2) and dist.rsample((4,)).shape == (4, 3, 2)
    assert dist.temperature.shape == ()
    bernoulli = D.RelaxedBernoulli(_f64(0.5), probs=_f64(0.3)).expand((3,))
    assert bernoulli.sample().shape == (3,)
    normal = D.Normal(_f64(0.0), _f64(1.0)).expand((3,))  # 0-d batch parameters expand
    assert normal.loc.shape == (3,) and normal.sample().shape == (3,)


# ----------------------------------------------------------------- 5. transforms module
TRANSFORM_NAMES = ["AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform",
                   "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
                   "PowerTransform", "ReshapeTransform", "SigmoidTransform", "SoftmaxTransform",
                   "SoftplusTransform", "StackTransform", "StickBreakingTransform",
                   "TanhTransform", "Transform", "identity_transform"]


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_transforms_module_exports_every_transform(name: str) -> None:
    from tinygrad_np.distributions import transforms
    assert getattr(transforms, name) is getattr(D, name)
    assert name in transforms.__all__
    if torch is not None:
        assert name in torch.distributions.transforms.__all__


def test_transform_equality() -> None:
    T = D.transforms
    assert T.AffineTransform(0.0, 1.0) == T.AffineTransform(0.0, 1.0)
    assert T.AffineTransform(0.0, 1.0) != T.AffineTransform(0.0, 2.0)
    assert T.AffineTransform(_f64([0.0, 1.0]), 1.0) == T.AffineTransform(_f64([0.0, 1.0]), 1.0)
    assert T.AffineTransform(_f64([0.0, 1.0]), 1.0) != T.AffineTransform(_f64([0.0, 2.0]), 1.0)
    assert T.ExpTransform().inv.inv == T.ExpTransform()
    assert T.ExpTransform().inv == T.ExpTransform().inv
    assert T.ExpTransform() != T.ExpTransform().inv and T.ExpTransform() != T.SigmoidTransform()
    assert T.ComposeTransform([T.ExpTransform()]) == T.ComposeTransform([T.ExpTransform()])
    assert T.PowerTransform(2.0) != T.PowerTransform(3.0)
    assert len({T.ExpTransform(), T.ExpTransform()}) == 1


def test_transform_with_cache() -> None:
    T = D.transforms
    tanh = T.TanhTransform()
    cached = tanh.with_cache(1)
    assert cached is not tanh and cached._cache_size == 1 and tanh._cache_size == 0
    assert cached.with_cache(1) is cached and cached == tanh
    x = _f64([30.0])  # tanh(30) rounds to 1: only the cache inverts it back to 30
    y = cached(x)
    assert cached.inv(y) is x
    assert T.ExpTransform().inv.with_cache(1).inv._cache_size == 1
    affine = T.AffineTransform(1.0, 2.0).with_cache(1)
    assert affine.loc == 1.0 and affine.scale == 2.0 and affine._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        tanh.with_cache(2)


# ----------------------------------------------------------------- 7. generators
@pytest.mark.parametrize("factory", ["randn_like", "rand_like"])
def test_like_factories_take_a_generator(factory: str) -> None:
    x = tg.zeros(4, dtype=tg.float64)
    first = getattr(tg, factory)(x, generator=tg.Generator().manual_seed(5))
    again = getattr(tg, factory)(x, generator=tg.Generator().manual_seed(5))
    other = getattr(tg, factory)(x, generator=tg.Generator().manual_seed(6))
    assert first.tolist() == again.tolist() != other.tolist()
    assert first.dtype == tg.float64


def test_randint_like_takes_a_generator() -> None:
    x = tg.zeros(50, dtype=tg.int64)
    first = tg.randint_like(x, 3, 9, generator=tg.Generator().manual_seed(5))
    again = tg.randint_like(x, 3, 9, generator=tg.Generator().manual_seed(5))
    assert first.tolist() == again.tolist() and first.dtype == tg.int64
    assert 3 <= min(first.tolist()) and max(first.tolist()) < 9


def test_generator_device_default_and_clone_state() -> None:
    g = tg.Generator().manual_seed(3)
    assert str(g.device) == "cpu" and str(tg.random.default_generator.device) == "cpu"
    assert tg.random.default_generator is tg.default_generator
    clone = g.clone_state()
    assert clone is not g and clone.initial_seed() == 3
    assert tg.randn(5, generator=clone).tolist() == tg.randn(5, generator=g).tolist()
    assert tg.randn(5, generator=clone).tolist() != tg.randn(5, generator=clone).tolist()
    tg.manual_seed(7)
    snapshot = tg.default_generator.clone_state()
    assert tg.randn(3, generator=snapshot).tolist() == tg.randn(3).tolist()
