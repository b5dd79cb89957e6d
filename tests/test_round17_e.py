"""Round 17 (e): probability and randomness. OneHotCategorical's support is PyTorch's
one_hot (a point inside the simplex is refused), TransformedDistribution's support is the last
transform's codomain and its batch shape includes a transform parameter's broadcasting
(AffineTransform / PowerTransform forward_shape), PyTorch's error classes and texts for bad
random-fill arguments (nn.init.normal_ with std < 0, cauchy_, log_normal_, geometric_), and
PyTorch's deprecation warnings."""
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


# ---- 1. supports: OneHot, TransformedDistribution ------------------------------------------
def test_one_hot_categorical_refuses_a_point_inside_the_simplex():
    d = D.OneHotCategorical(probs=tg.tensor([0.5, 0.5]))
    assert repr(d.support) == "OneHot()"
    with pytest.raises(ValueError, match=r"within the support \(OneHot\(\)\)"):
        d.log_prob(tg.tensor([0.5, 0.5]))
    assert abs(d.log_prob(tg.tensor([0.0, 1.0])).item() - math.log(0.5)) < 1e-6
    if torch is not None:  # (validate_args given: once torch.compile ran, PyTorch's default
        # is off for the rest of the process)
        theirs = torch.distributions.OneHotCategorical(probs=torch.tensor([0.5, 0.5]),
                                                       validate_args=True)
        with pytest.raises(ValueError, match=r"within the support \(OneHot\(\)\)"):
            theirs.log_prob(torch.tensor([0.5, 0.5]))


def test_transformed_distribution_support_is_the_codomain():
    tanh = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.transforms.TanhTransform()])
    assert repr(tanh.support) == "Interval(lower_bound=-1.0, upper_bound=1.0)"
    with pytest.raises(ValueError, match=r"support \(Interval\(lower_bound=-1.0, upper_bound"):
        tanh.log_prob(tg.tensor([1.5]))
    stick = D.TransformedDistribution(D.Normal(tg.zeros(2), 1.0),
                                      [D.transforms.StickBreakingTransform()])
    assert repr(stick.support) == "Simplex()"
    exp2 = D.TransformedDistribution(D.Independent(D.Normal(tg.zeros(2), 1.0), 1),
                                     [D.transforms.ExpTransform()])
    assert repr(exp2.support) == "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)"
    empty = D.TransformedDistribution(D.Normal(tg.zeros(2), 1.0), [])
    assert repr(empty.support) == "Real()"
    if torch is not None:
        TD = torch.distributions
        assert repr(TD.TransformedDistribution(TD.Normal(0.0, 1.0),
                                               [TD.transforms.TanhTransform()]).support) \
            == repr(tanh.support)
        assert repr(TD.TransformedDistribution(TD.Independent(TD.Normal(torch.zeros(2), 1.0), 1),
                                               [TD.transforms.ExpTransform()]).support) \
            == repr(exp2.support)


def test_transform_parameters_broadcast_the_batch_shape():
    # Normal over (2,) moved by a (3, 2) loc: PyTorch's batch shape is (3, 2), not (2,)
    d = D.TransformedDistribution(D.Normal(tg.zeros(2), 1.0),
                                  [D.transforms.AffineTransform(tg.zeros(3, 2), 1.0)])
    assert tuple(d.batch_shape) == (3, 2) and tuple(d.event_shape) == ()
    assert tuple(d.expand((4, 3, 2)).batch_shape) == (4, 3, 2)
    assert tuple(D.Independent(d, 1).batch_shape) == (3,)
    affine = D.transforms.AffineTransform(tg.zeros(3, 1), tg.ones(2))
    assert affine.forward_shape((4, 1, 1)) == (4, 3, 2)
    assert affine.inverse_shape((1,)) == (3, 2) and affine.inv.forward_shape((1,)) == (3, 2)
    power = D.TransformedDistribution(D.Exponential(tg.ones(2)),
                                      [D.transforms.PowerTransform(tg.tensor([[1.0], [2.0]]))])
    assert tuple(power.batch_shape) == (2, 2)
    lp = power.log_prob(tg.ones(2, 2))
    # y = x^p, x ~ Exp(1): log p(y) = -x - log|p y / x| with x = y^(1/p) = 1 at y = 1
    np.testing.assert_allclose(lp.numpy(), [[-1.0, -1.0], [-1 - math.log(2), -1 - math.log(2)]],
                               rtol=1e-6)
    if torch is not None:
        TD = torch.distributions
        t = TD.TransformedDistribution(TD.Normal(torch.zeros(2), 1.0),
                                       [TD.transforms.AffineTransform(torch.zeros(3, 2), 1.0)])
        assert tuple(t.batch_shape) == tuple(d.batch_shape)
        tp = TD.TransformedDistribution(TD.Exponential(torch.ones(2)),
                                        [TD.transforms.PowerTransform(torch.tensor([[1.], [2.]]))])
        np.testing.assert_allclose(tp.log_prob(torch.ones(2, 2)).numpy(), lp.numpy(), rtol=1e-6)


# ---- 2. Beta / Dirichlet draws stay inside (0, 1) ------------------------------------------
@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_beta_draws_with_small_concentrations_stay_below_one(dtype):
    # Beta(0.01, 0.01) puts ~half its draws within 1e-30 of 0 or 1: rounded to exactly 1 they
    # made log_prob inf and the rsample gradient NaN; PyTorch clamps below 1, as here
    tg.manual_seed(0)
    a = tg.full((20000,), 0.01, dtype=dtype, requires_grad=True)
    d = D.Beta(a, a)
    x = d.rsample()
    top = np.nextafter(np.ones((), x.numpy().dtype), 0)
    assert x.max().item() == top and x.min().item() > 0
    assert bool(tg.isfinite(d.log_prob(x.detach())).all())
    (g,) = tg.autograd.grad(x.sum(), [a])
    assert bool(tg.isfinite(g).all())
    s = D.Dirichlet(tg.full((20000, 3), 0.01, dtype=dtype)).sample()
    assert s.max().item() == top and s.min().item() > 0
    if torch is not None:
        torch.manual_seed(0)
        full = torch.full((20000,), 0.01, dtype=getattr(torch, x.dtype.name))
        tx = torch.distributions.Beta(full, 0.01).sample()
        assert tx.max().item() == top


# ---- 3. PyTorch's error classes and texts for bad random-fill arguments ---------------------
BAD_FILLS = {  # (call, PyTorch 2.13's error class and message)
    "normal_": (lambda m: m.zeros(3).normal_(5.0, -1.0),
                RuntimeError, "normal expects std >= 0.0, but found std -1"),
    "normal_ nan": (lambda m: m.zeros(3).normal_(0.0, float("nan")),
                    RuntimeError, "normal expects std >= 0.0, but found std nan"),
    "init.normal_": (lambda m: m.nn.init.normal_(m.zeros(3), 0.0, -1.0),
                     RuntimeError, "normal expects std >= 0.0, but found std -1"),
    "init.sparse_": (lambda m: m.nn.init.sparse_(m.zeros(3, 3), 0.5, std=-2.0),
                     RuntimeError, "normal expects std >= 0.0, but found std -2"),
    "init.xavier_normal_": (lambda m: m.nn.init.xavier_normal_(m.zeros(3, 3), gain=-1.0),
                            RuntimeError, "normal expects std >= 0.0, but found std -0.57735"),
    "normal": (lambda m: m.normal(0.0, -1.5, (2,)),
               RuntimeError, "normal expects std >= 0.0, but found std -1.5"),
    "uniform_": (lambda m: m.zeros(3).uniform_(2.0, 1.0), RuntimeError,
                 r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"),
    "uniform_ inf": (lambda m: m.zeros(3).uniform_(0.0, float("inf")),
                     RuntimeError, "to is out of bounds for float"),
    "uniform_ -inf": (lambda m: m.zeros(3).uniform_(float("-inf"), 0.0),
                      RuntimeError, "from is out of bounds for float"),
    "exponential_": (lambda m: m.zeros(3).exponential_(-1.0),
                     RuntimeError, "exponential_ expects lambda > 0.0, but found lambda=-1"),
    "cauchy_": (lambda m: m.zeros(3).cauchy_(1.0, -2.0),
                RuntimeError, "cauchy_ expects sigma > 0.0, but found sigma=-2"),
    "log_normal_": (lambda m: m.zeros(3).log_normal_(1.0, 0.0),
                    RuntimeError, "log_normal_ expects std > 0.0, but found std=0"),
    "geometric_": (lambda m: m.zeros(3).geometric_(1.5),
                   RuntimeError, r"geometric_ expects p to be in \(0, 1\), but got p=1.5"),
    "geometric_ 0": (lambda m: m.zeros(3, dtype=m.int64).geometric_(0.0),
                     RuntimeError, r"geometric_ expects p to be in \(0, 1\), but got p=0"),
    "log_normal_ int": (lambda m: m.zeros(3, dtype=m.int64).log_normal_(), NotImplementedError,
                        ""),
    "cauchy_ bool": (lambda m: m.zeros(3, dtype=m.bool).cauchy_(), RuntimeError, ""),
    "bernoulli int": (lambda m: m.bernoulli(m.zeros(3, dtype=m.int64)), NotImplementedError,
                      ""),
}


@pytest.mark.parametrize("case", sorted(BAD_FILLS))
def test_bad_random_fill_arguments_raise_pytorchs_error(case):
    call, error, message = BAD_FILLS[case]
    with pytest.raises(error, match=message or None):
        call(tg)
    if torch is not None:
        with pytest.raises(error, match=message or None):
            call(torch)


def test_good_fills_still_work():
    tg.manual_seed(0)
    assert float(tg.zeros(1000).cauchy_(1.0, 2.0).median()) == pytest.approx(1.0, abs=0.3)
    x = tg.zeros(1000).log_normal_(0.0, 0.5)
    assert float(x.min()) > 0 and float(x.log().std()) == pytest.approx(0.5, rel=0.1)
    g = tg.zeros(1000, dtype=tg.int64).geometric_(0.5)
    assert g.dtype == tg.int64 and int(g.min()) >= 1 and float(g.float().mean()) == \
        pytest.approx(2.0, abs=0.2)
    assert tg.zeros(3).normal_(5.0, 0.0).tolist() == [5.0, 5.0, 5.0]
    assert tg.nn.init.sparse_(tg.zeros(4, 3), 0.5, std=0.0).abs().sum().item() == 0


# ---- 4. PyTorch's deprecation warnings ------------------------------------------------------
@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "xavier_uniform",
                                  "xavier_normal", "kaiming_uniform", "kaiming_normal", "eye",
                                  "orthogonal", "sparse"])
def test_old_init_spellings_warn_as_pytorch(name):
    args = {"constant": (1.0,), "sparse": (0.5,)}.get(name, ())
    weight = tg.zeros(4, 5)
    text = f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."
    with pytest.warns(FutureWarning, match=text):
        assert getattr(tg.nn.init, name)(weight, *args) is weight
    assert getattr(tg.nn.init, name).__name__ == name
    if torch is not None:
        with pytest.warns(FutureWarning, match=text):
            getattr(torch.nn.init, name)(torch.zeros(4, 5), *args)


def test_sample_n_warns_as_pytorch():
    with pytest.warns(FutureWarning, match=r"`sample_n\(n\)` will be deprecated"):
        assert tuple(D.Normal(tg.zeros(2), 1.0).sample_n(3).shape) == (3, 2)


# ---- 5. Distribution._validate_args: PyTorch's class-level default --------------------------
def test_validate_args_default_is_the_class_attribute():
    assert D.Distribution._validate_args is True
    loose = D.Normal(tg.tensor([0.0]), tg.tensor([1.0]), validate_args=False)
    strict = D.Normal(tg.tensor([0.0]), tg.tensor([1.0]), validate_args=True)
    default = D.Normal(tg.tensor([0.0]), tg.tensor([1.0]))
    try:
        D.Distribution.set_default_validate_args(False)
        assert D.Distribution._validate_args is False
        assert D.Bernoulli(probs=tg.tensor([0.3])).log_prob(tg.tensor([0.5])).shape == (1,)
        assert default._validate_args is False  # read from the class, as PyTorch
        with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
            strict.log_prob(0.5)
    finally:
        D.Distribution.set_default_validate_args(True)
    assert loose._validate_args is False and default._validate_args is True
    with pytest.raises(ValueError, match="within the support"):
        D.Bernoulli(probs=tg.tensor([0.3])).log_prob(tg.tensor([0.5]))


# ---- 6. LKJCholesky --------------------------------------------------------------------------
L3 = [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]]
LKJ_LOG_PROB = [-2.307880695655081, -1.6963775041356457, -2.035988635052897]  # PyTorch 2.13's
LKJ_GRAD = [1.721131433623269, 0.05446476695660407, -0.4062798441369484]


def test_lkj_cholesky_log_prob_and_gradient():
    c = tg.tensor([0.5, 1.5, 3.0], dtype=tg.float64, requires_grad=True)
    d = D.LKJCholesky(3, c)
    assert tuple(d.batch_shape) == (3,) and tuple(d.event_shape) == (3, 3)
    lp = d.log_prob(tg.tensor(L3, dtype=tg.float64))
    (g,) = tg.autograd.grad(lp.sum(), [c])
    np.testing.assert_allclose(lp.detach().numpy(), LKJ_LOG_PROB, rtol=1e-10)
    np.testing.assert_allclose(g.numpy(), LKJ_GRAD, rtol=1e-7)
    if torch is not None:
        tc = torch.tensor([0.5, 1.5, 3.0], dtype=torch.float64)
        t = torch.distributions.LKJCholesky(3, tc).log_prob(torch.tensor(L3, dtype=torch.float64))
        np.testing.assert_allclose(t.numpy(), lp.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="Expected dim to be an integer greater than or equal"):
        D.LKJCholesky(1)
    with pytest.raises(ValueError, match=r"support \(CorrCholesky\(\)\)"):
        D.LKJCholesky(2).log_prob(tg.tensor([[1.0, 0.0], [0.6, 0.9]]))
    from tinygrad_np.distributions.lkj_cholesky import LKJCholesky
    assert LKJCholesky is D.LKJCholesky


@pytest.mark.parametrize("eta", [0.5, 1.0, 4.0])
def test_lkj_cholesky_draws(eta):
    # dim 2: the correlation r = L[1, 0] has density ~ (1 - r^2)^(eta - 1), so (r + 1) / 2 is
    # Beta(eta, eta) and var(r) = 1 / (2 eta + 1)
    tg.manual_seed(0)
    d = D.LKJCholesky(2, eta)
    L = d.sample((20000,))
    assert tuple(L.shape) == (20000, 2, 2)
    r = L[:, 1, 0].double().numpy()
    assert abs(r.var() - 1 / (2 * eta + 1)) < 0.02 and abs(r.mean()) < 0.02
    big = D.LKJCholesky(4, tg.tensor([eta, 2 * eta])).expand((3, 2)).sample((5,))
    assert tuple(big.shape) == (5, 3, 2, 4, 4)
    corr = (big @ big.mT).numpy()
    np.testing.assert_allclose(np.diagonal(corr, axis1=-2, axis2=-1), 1.0, atol=1e-5)
    assert bool(D.constraints.corr_cholesky.check(big).all())


# ---- 7. Wishart ------------------------------------------------------------------------------
WC = [[1.0, 0.3], [0.3, 2.0]]
WV = [[2.0, 0.5], [0.5, 1.0]]
W_LOG_PROB = [-4.589391501037671, -5.038600336207393, -9.694512253231974]  # PyTorch 2.13's
W_ENTROPY = [5.8991418594111416, 6.934783660207396, 8.464700179111944]
W_GRAD_DF = [1.387167399441001, 0.007920754131025776, -1.475153218577143]
W_GRAD_C = [[0.9854444779474251, 0.12705243825553025], [0.12705243825553025, -0.6852882322304763]]


@pytest.mark.parametrize("form", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart_log_prob_entropy_and_gradients(form):
    df = tg.tensor([2.5, 3.5, 7.0], dtype=tg.float64, requires_grad=True)
    c = tg.tensor(WC, dtype=tg.float64, requires_grad=True)
    matrix = {"covariance_matrix": c, "precision_matrix": tg.linalg.inv(c),
              "scale_tril": tg.linalg.cholesky(c)}[form]
    d = D.Wishart(df, **{form: matrix})
    assert tuple(d.batch_shape) == (3,) and tuple(d.event_shape) == (2, 2)
    lp, ent = d.log_prob(tg.tensor(WV, dtype=tg.float64)), d.entropy()
    np.testing.assert_allclose(lp.detach().numpy(), W_LOG_PROB, rtol=1e-10)
    np.testing.assert_allclose(ent.detach().numpy(), W_ENTROPY, rtol=1e-10)
    g_df, g_c = tg.autograd.grad((lp + ent).sum(), [df, c])
    np.testing.assert_allclose(g_df.numpy(), W_GRAD_DF, rtol=1e-7)
    np.testing.assert_allclose(g_c.numpy(), W_GRAD_C, rtol=1e-7)
    np.testing.assert_allclose(d.mean.detach().numpy()[1], 3.5 * np.array(WC), rtol=1e-12)
    np.testing.assert_allclose(d.variance.detach().numpy()[0],
                               2.5 * (np.array(WC) ** 2 + np.outer([1, 2], [1, 2])), rtol=1e-12)
    mode = d.mode.detach().numpy()  # (df - dim - 1) C, NaN where that is <= 0
    assert np.isnan(mode[0]).all()
    np.testing.assert_allclose(mode[1:], [0.5 * np.array(WC), 4 * np.array(WC)], rtol=1e-12)
    if torch is not None:
        t = torch.distributions.Wishart(torch.tensor([2.5, 3.5, 7.0], dtype=torch.float64),
                                        covariance_matrix=torch.tensor(WC, dtype=torch.float64))
        np.testing.assert_allclose(t.log_prob(torch.tensor(WV, dtype=torch.float64)).numpy(),
                                   lp.detach().numpy(), rtol=1e-12)


def test_wishart_draws_and_reparameterised_gradients():
    tg.manual_seed(0)
    df = tg.tensor(9.0, dtype=tg.float64, requires_grad=True)
    c = tg.tensor(WC, dtype=tg.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="Singular sample detected"):  # (PyTorch 2.13's check
        s = D.Wishart(df, covariance_matrix=c).rsample((20000,))  # flags valid draws: redrawn)
    assert tuple(s.shape) == (20000, 2, 2)
    # E[S] = df C, var(S_ij) = df (C_ij^2 + C_ii C_jj)
    np.testing.assert_allclose(s.detach().numpy().mean(0), 9 * np.array(WC), rtol=0.03, atol=0.1)
    np.testing.assert_allclose(s.detach().numpy().var(0), 9 * (np.array(WC) ** 2 + np.outer(
        [1, 2], [1, 2])), rtol=0.08)
    # d E[trace S] / dC = df I and / d df = trace C (a fixed-noise derivative, so near exact)
    g_c, g_df = tg.autograd.grad(s.diagonal(dim1=-2, dim2=-1).sum(-1).mean(), [c, df])
    np.testing.assert_allclose(g_c.numpy(), 9 * np.eye(2), atol=0.3)
    assert abs(g_df.item() - 3.0) < 0.1
    d = D.Wishart(tg.tensor([3.0, 4.0]), covariance_matrix=tg.tensor(WC)).expand((5, 2))
    with pytest.warns(UserWarning, match="Singular sample detected"):
        assert tuple(d.sample((3,)).shape) == (3, 5, 2, 2, 2)


def test_wishart_errors_and_warnings():
    c = tg.tensor(WC)
    with pytest.raises(ValueError, match=r"Value of df=0.5 expected to be greater than ndim - 1"):
        D.Wishart(0.5, covariance_matrix=c)
    with pytest.raises(AssertionError, match="Exactly one of covariance_matrix or precision"):
        D.Wishart(3.0, covariance_matrix=c, scale_tril=c)
    with pytest.warns(UserWarning, match="Low df values detected"):
        D.Wishart(1.5, covariance_matrix=c)
    with pytest.raises(ValueError, match=r"support \(PositiveDefinite\(\)\)"):
        D.Wishart(3.0, covariance_matrix=c).log_prob(tg.tensor([[1.0, 2.0], [2.0, 1.0]]))
    from tinygrad_np.distributions.wishart import Wishart
    assert Wishart is D.Wishart


# ---- 8. bernoulli of a tensor that requires grad: in the graph, derivative 0 ----------------
def test_bernoulli_records_a_zero_gradient_as_pytorch():
    x = tg.tensor([0.0, 1.0, 1.0], requires_grad=True)
    y = tg.bernoulli(x)
    assert y.requires_grad and y.tolist() == [0.0, 1.0, 1.0]
    (g,) = tg.autograd.grad(y.sum(), [x])
    assert g.tolist() == [0.0, 0.0, 0.0]
    (x.bernoulli() * 2).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    with tg.no_grad():
        assert not tg.bernoulli(x).requires_grad
    assert not tg.bernoulli(x.detach()).requires_grad
    if torch is not None:
        tx = torch.tensor([0.0, 1.0, 1.0], requires_grad=True)
        assert torch.bernoulli(tx).requires_grad
        assert torch.autograd.grad(torch.bernoulli(tx).sum(), [tx])[0].tolist() == [0.0] * 3


# ---- 9. randint with a negative size: PyTorch's RuntimeError naming the op ------------------
def test_randint_negative_size_is_a_runtime_error():
    with pytest.raises(RuntimeError, match=r"randint: sizes must be non-negative, got \(2, -1\)"):
        tg.randint(0, 3, (2, -1))
    assert tuple(tg.randint(3, [2, 2]).shape) == (2, 2)
    assert tuple(tg.randint(1, 3, size=tg.Size([4])).shape) == (4,)
    if torch is not None:
        with pytest.raises(RuntimeError, match="negative dimension"):
            torch.randint(0, 3, (2, -1))


def test_wishart_is_an_exponential_family_with_a_per_batch_kl():
    assert issubclass(D.Wishart, D.ExponentialFamily)
    c1 = tg.tensor([[1.0, 0.3], [0.3, 2.0]], dtype=tg.float64)
    c2 = tg.tensor([[2.0, -0.5], [-0.5, 1.5]], dtype=tg.float64)
    p = D.Wishart(tg.tensor([2.5, 7.0], dtype=tg.float64), covariance_matrix=c1)
    q = D.Wishart(tg.tensor([4.0, 3.0], dtype=tg.float64), covariance_matrix=c2)
    # the closed form n2/2 (log|C2| - log|C1|) + n1/2 tr(C2^-1 C1) - n1 p/2
    # + log G_p(n2/2) - log G_p(n1/2) + (n1 - n2)/2 psi_p(n1/2), per batch entry (PyTorch 2.13
    # sums the df term over the batch: [9.74, 2.43])
    np.testing.assert_allclose(D.kl_divergence(p, q).numpy(),
                               [1.624553432830845, 2.96554361719325], rtol=1e-10)
    np.testing.assert_allclose(D.kl_divergence(p, p).numpy(), [0.0, 0.0], atol=1e-12)
    if torch is not None:  # unbatched, PyTorch's Bregman KL is the same
        tp = torch.distributions.Wishart(torch.tensor(2.5, dtype=torch.float64),
                                         covariance_matrix=torch.tensor(c1.numpy()))
        tq = torch.distributions.Wishart(torch.tensor(4.0, dtype=torch.float64),
                                         covariance_matrix=torch.tensor(c2.numpy()))
        mine = D.kl_divergence(D.Wishart(tg.tensor(2.5, dtype=tg.float64), covariance_matrix=c1),
                               D.Wishart(tg.tensor(4.0, dtype=tg.float64), covariance_matrix=c2))
        np.testing.assert_allclose(mine.item(), torch.distributions.kl_divergence(tp, tq).item(),
                                   rtol=1e-10)
