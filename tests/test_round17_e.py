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
    if torch is not None:
        with pytest.raises(ValueError, match=r"within the support \(OneHot\(\)\)"):
            torch.distributions.OneHotCategorical(probs=torch.tensor([0.5, 0.5])).log_prob(
                torch.tensor([0.5, 0.5]))


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
        tx = torch.distributions.Beta(torch.full((20000,), 0.01, dtype=getattr(torch, str(
            x.dtype))), 0.01).sample()
        assert tx.max().item() == top
