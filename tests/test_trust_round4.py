"""Round-4 trust fixes: each test failed before its fix (values from PyTorch 2.13)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg


def test_lgamma_tiny_negative_argument_is_minus_log_abs_x():
    # lgamma(x) ~ -log|x| near 0; the reflection lost x - floor(x) = 1 - 1e-300 -> 1.
    out = tg.tensor(np.array([-1e-300, -1e-20, -2.000001])).lgamma().numpy()
    assert out[0] == pytest.approx(690.7755278982137, rel=1e-13)
    assert out[1] == pytest.approx(46.051701859880914, rel=1e-13)
    assert out[2] == pytest.approx(13.122362454481664, rel=1e-10)


def test_digamma_at_signed_zero_as_pytorch():
    out = tg.tensor(np.array([0.0, -0.0])).digamma().numpy()
    assert out[0] == -np.inf and out[1] == np.inf


def test_polygamma_large_negative_and_minus_inf():
    x = tg.tensor(np.array([-100000.5, -2.3, -7.7]))
    np.testing.assert_allclose(x.polygamma(1).numpy(), [9.869594401189357, 14.72591216089887,
                                                          14.957612844862702], rtol=1e-9)
    np.testing.assert_allclose(x.polygamma(3).numpy()[0], 194.81818206800483, rtol=1e-9)
    assert np.isnan(tg.tensor([-math.inf]).polygamma(1).item())


def test_special_kernels_cast_without_overflow_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.tensor(np.array([1e-30], np.float32)).polygamma(1).item() == math.inf
        assert tg.tensor(np.array([-1e-8], np.float32)).polygamma(5).item() == math.inf
        assert tg.tensor(np.array([1e-8], np.float16)).polygamma(2).item() == -math.inf
        assert tg.tensor(np.array([-1.0], np.float32)).polygamma(1).item() == math.inf


def test_polygamma_of_positive_huge_keeps_sign_of_zero():
    assert math.copysign(1.0, tg.tensor([1e300], dtype=tg.float64).polygamma(2).item()) == -1.0


def test_log_ndtr_far_left_tail_and_gradient():
    x = tg.tensor(np.array([-40.0, -200.0, -10.5, -3.0, 0.0]), requires_grad=True)
    y = tg.special.log_ndtr(x)
    np.testing.assert_allclose(y.detach().numpy(), [-804.6084420137538, -20006.217280869,
                                                    -58.40418706126, -6.607726221510349,
                                                    -math.log(2)], rtol=1e-10)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [40.02496884714, 200.00499975, 10.593583926,
                                                3.2830986549, 0.7978845608], rtol=1e-8)
    x32 = tg.tensor(np.array([-40.0, -math.inf, math.inf], np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y32 = tg.special.log_ndtr(x32)
        y32.sum().backward()
    assert y32.numpy()[0] == pytest.approx(-804.6084, rel=1e-6)
    assert y32.numpy()[1] == -math.inf and y32.numpy()[2] == 0.0


def test_xlog1py_zero_times_pole_no_warning():
    x = tg.tensor([0.0, 2.0, 1.0], requires_grad=True)
    y = tg.tensor([-1.0, 3.0, math.nan], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tg.special.xlog1py(x, y)
        out.sum().backward()
    assert out.numpy()[0] == 0.0 and out.numpy()[1] == pytest.approx(2 * math.log(4))
    assert np.isnan(out.numpy()[2])
    # d/dy = x / (1 + y) is 0 / 0 at x = 0, y = -1: NaN, as PyTorch 2.13 gives (quietly)
    assert np.isnan(y.grad.numpy()[0]) and y.grad.numpy()[1] == pytest.approx(0.5)


def test_special_against_torch():
    torch = pytest.importorskip("torch")
    v = np.array([-1e-300, -2.3, -100000.5, 0.3, 40.0])
    for n in (0, 1, 3):
        np.testing.assert_allclose(tg.tensor(v).polygamma(n).numpy(),
                                   torch.polygamma(n, torch.tensor(v)).numpy(), rtol=1e-7)
    np.testing.assert_allclose(tg.tensor(v).lgamma().numpy(), torch.lgamma(torch.tensor(v)).numpy(),
                               rtol=1e-10)
    w = np.array([-40.0, -12.0, -1.0, 2.0])
    np.testing.assert_allclose(tg.special.log_ndtr(tg.tensor(w)).numpy(),
                               torch.special.log_ndtr(torch.tensor(w)).numpy(), rtol=1e-10)


def _lbfgs_closure(opt, p, target=3.0):
    def closure():
        opt.zero_grad()
        loss = ((p - target) ** 2).sum()
        loss.backward()
        return loss
    return closure


def test_lbfgs_zero_gradient_with_negative_tolerance_no_warning():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.LBFGS([p], tolerance_grad=-1.0)

    def closure():
        opt.zero_grad()
        loss = (p * 0).sum()
        loss.backward()
        return loss
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step(closure)
    assert p.tolist() == [1.0, 2.0]


def test_lbfgs_bad_history_size_and_none_loss_are_clear_errors():
    p = tg.tensor([1.0], requires_grad=True)
    opt = tg.optim.LBFGS([p], history_size=0)  # accepted, as PyTorch: refused at step
    with pytest.raises(IndexError, match="history_size must be at least 1"):
        opt.step(_lbfgs_closure(opt, p))
    opt = tg.optim.LBFGS([p])
    with pytest.raises(TypeError, match="closure must return the loss"):
        opt.step(lambda: None)


def test_lbfgs_continues_after_a_closure_raised():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = tg.optim.LBFGS([p], max_iter=3)
    calls = [0]
    inner = _lbfgs_closure(opt, p)

    def closure():
        calls[0] += 1
        if calls[0] == 2:
            raise KeyError("boom")
        return inner()
    with pytest.raises(KeyError):
        opt.step(closure)
    opt.step(closure)  # PyTorch: TypeError (sub() with None); here a fresh start
    np.testing.assert_allclose(p.tolist(), [3.0, 3.0], rtol=1e-6)


def test_beta_dirichlet_gamma_log_prob_use_xlogy():
    d = tg.distributions
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        beta = d.Beta(tg.tensor([0.5, 2.0]), tg.tensor([1.5, 1.0]), validate_args=False)
        np.testing.assert_allclose(beta.log_prob(tg.tensor([0.0, 1.0])).numpy(),
                                   [math.inf, math.log(2.0)], rtol=1e-6)
        out = beta.log_prob(tg.tensor([-0.1, 1.1])).numpy()
        assert np.isnan(out[0]) and out[1] == pytest.approx(0.7884574, rel=1e-6)
        dirichlet = d.Dirichlet(tg.tensor([0.5, 2.0, 1.0]), validate_args=False)
        assert dirichlet.log_prob(tg.tensor([0.5, 0.6, -0.1])).item() == pytest.approx(
            0.46435678, rel=1e-6)
        gamma = d.Gamma(tg.tensor([1.0, 1.0]), tg.tensor([2.0, 2.0]))
        np.testing.assert_allclose(gamma.log_prob(tg.tensor([0.0, 1.0])).numpy(),
                                   [math.log(2.0), math.log(2.0) - 2.0], rtol=1e-6)


def test_lognormal_log_prob_outside_support_is_quiet_nan():
    d = tg.distributions.LogNormal(tg.tensor([0.0, 1.0]), tg.tensor([1.0, 0.5]),
                                   validate_args=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = d.log_prob(tg.tensor([0.0, 2.0])).numpy()
        assert np.isnan(d.log_prob(tg.tensor([-1.0, 0.0])).numpy()).all()
    assert np.isnan(out[0]) and out[1] == pytest.approx(-1.1072558, rel=1e-6)


def test_distributions_out_of_support_against_torch():
    torch = pytest.importorskip("torch")
    value = [0.0, 1.0]
    ours = tg.distributions.Beta(tg.tensor([0.5, 2.0]), tg.tensor([1.0, 1.0]),
                                 validate_args=False).log_prob(tg.tensor(value)).numpy()
    theirs = torch.distributions.Beta(torch.tensor([0.5, 2.0]), torch.tensor([1.0, 1.0]),
                                      validate_args=False).log_prob(torch.tensor(value)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def _custom(forward, backward):
    return type("Custom", (tg.autograd.Function,), {"forward": staticmethod(forward),
                                                    "backward": staticmethod(backward)})


def test_custom_function_gradient_for_a_number_argument_is_an_error():
    op = _custom(lambda ctx, a, k: a * k, lambda ctx, g: (g * 2, g))
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="position 2.*not a Variable"):
        op.apply(a, 2.0).sum().backward()


def test_custom_function_non_tensor_gradient_is_a_type_error():
    op = _custom(lambda ctx, a: a * 2, lambda ctx, g: "oops")
    with pytest.raises(TypeError, match="returned str at position 0"):
        op.apply(tg.tensor([1.0], requires_grad=True)).sum().backward()


def test_custom_function_mark_dirty_input_not_returned_is_an_error():
    def forward(ctx, a, b):
        a.mul_(2)
        ctx.mark_dirty(a)
        return b * 1
    op = _custom(forward, lambda ctx, g: (g * 2, g))
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="marked as dirty.*not returned"):
        op.apply(a + 0, a)


def test_custom_function_mark_dirty_of_a_non_input_warns():
    def forward(ctx, a):
        t = a * 2
        ctx.mark_dirty(t)
        return t
    op = _custom(forward, lambda ctx, g: g * 2)
    with pytest.warns(UserWarning, match="not an input"):
        op.apply(tg.tensor([1.0], requires_grad=True))


def test_assert_close_nan_and_inf_mismatches_are_assertion_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AssertionError, match="Greatest absolute difference: nan"):
            tg.testing.assert_close(tg.tensor([math.nan]), tg.tensor([math.nan]))
        with pytest.raises(AssertionError, match="Greatest absolute difference: inf"):
            tg.testing.assert_close(tg.tensor([math.inf]), tg.tensor([-math.inf]))
        with pytest.raises(AssertionError, match="not close"):  # inf only equals inf
            tg.testing.assert_close(tg.tensor([math.inf]), tg.tensor([1.0]), rtol=math.inf,
                                    atol=0.0)


def test_assert_close_large_integers_compared_exactly():
    with pytest.raises(AssertionError, match="not equal"):
        tg.testing.assert_close(tg.tensor([2**62]), tg.tensor([2**62 + 1]))


def test_assert_close_none_strings_and_negative_tolerances():
    tg.testing.assert_close(None, None)
    with pytest.raises(AssertionError, match="None mismatch"):
        tg.testing.assert_close(None, 1.0)
    with pytest.raises(TypeError, match="(?i)no comparison"):
        tg.testing.assert_close("a", "a")
    with pytest.raises(ValueError, match="rtol and atol"):
        tg.testing.assert_close(tg.tensor([1.0]), tg.tensor([1.0]), rtol=-1.0, atol=0.0)


def test_assert_close_names_the_nested_item():
    with pytest.raises(AssertionError, match=r"occurred for item \['a'\]\[1\]\[0\]"):
        tg.testing.assert_close({"a": [tg.tensor([1.0]), (tg.tensor([2.0]),)]},
                                {"a": [tg.tensor([1.0]), (tg.tensor([2.5]),)]})


def test_tensor_from_list_with_int_past_int64_is_an_overflow_error():
    with pytest.raises(OverflowError, match="does not fit in int64"):
        tg.tensor([2**63])
    with pytest.raises(OverflowError, match="does not fit in int64"):
        tg.asarray([1, 2**63])
    assert tg.tensor([2**63], dtype=tg.float64).item() == 2.0**63
    assert tg.tensor([2**63 - 1]).item() == 2**63 - 1


def test_tensor_of_huge_float_is_inf_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.tensor(1e300).item() == math.inf
        assert tg.tensor([-1e300, 2.0]).numpy()[0] == -math.inf


def test_gcd_of_bool_tensors_names_the_op():
    with pytest.raises(TypeError, match="gcd: defined for integer tensors"):
        tg.gcd(tg.tensor([True]), tg.tensor([False]))


def test_manual_seed_accepts_pytorch_range():
    assert tg.manual_seed(-1) is not None and tg.initial_seed() == 2**64 - 1
    tg.manual_seed(1.5)
    assert tg.initial_seed() == 1
    assert tg.Generator().manual_seed(-5).initial_seed() == 2**64 - 5
    with pytest.raises(ValueError, match="outside"):
        tg.manual_seed(2**64)
    tg.manual_seed(0)


def test_nn_modules_paths_of_every_layer():
    from tinygrad_np.nn.modules.activation import Softmax2d
    from tinygrad_np.nn.modules.fold import Fold, Unfold
    from tinygrad_np.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle
    from tinygrad_np.nn.modules.rnn import RNNCellBase
    from tinygrad_np.nn.modules.upsampling import Upsample, UpsamplingNearest2d

    assert Fold is tg.nn.Fold and Unfold is tg.nn.Unfold and Upsample is tg.nn.Upsample
    assert PixelShuffle is tg.nn.PixelShuffle and PixelUnshuffle is tg.nn.PixelUnshuffle
    assert Softmax2d is tg.nn.Softmax2d and RNNCellBase is tg.nn.RNNCellBase
    assert UpsamplingNearest2d is tg.nn.UpsamplingNearest2d
    import tinygrad_np.nn.modules as modules
    layers = [name for name, value in vars(tg.nn).items()
              if isinstance(value, type) and issubclass(value, tg.nn.Module)]
    assert all(hasattr(modules, name) for name in layers)


def test_rng_and_special_against_torch():
    torch = pytest.importorskip("torch")
    for seed in (-1, 2**64 - 1, 7):
        tg.manual_seed(seed)
        torch.manual_seed(seed)
        assert tg.initial_seed() == torch.initial_seed()
    tg.manual_seed(0)
    assert tg.tensor([-(2**63) - 1, 1.5]).dtype == np.float32  # a float: no overflow
    for data in ([2**63], [1, 2**63], [[-(2**63) - 1], [True]]):
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            torch.tensor(data)
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            tg.tensor(data)


def test_dirichlet_and_gamma_samples_with_tiny_concentration_stay_in_support():
    tg.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dirichlet = tg.distributions.Dirichlet(tg.tensor([1e-3, 1e-3]))
        draws = dirichlet.sample((500,))
        assert not draws.isnan().any().item() and (draws > 0).all().item()
        assert np.isfinite(dirichlet.log_prob(draws).numpy()).all()
        gamma = tg.distributions.Gamma(tg.tensor([1e-3]), tg.tensor([1.0]))
        assert (gamma.sample((500,)) > 0).all().item()


def test_kl_of_gamma_family_pairs():
    d, t = tg.distributions, tg.tensor
    cases = [
        (d.Exponential(t([0.5, 2.0])), d.Exponential(t([1.0, 1.0])), [0.30685282, 0.19314718]),
        (d.Gamma(t([0.5, 2.0]), t([3.0, 1.0])), d.Gamma(t([1.0, 1.0]), t([1.0, 2.0])),
         [1.17466938, 1.72963703]),
        (d.Beta(t([0.5, 2.0]), t([3.0, 1.0])), d.Beta(t([1.0, 1.0]), t([1.0, 2.0])),
         [1.10805035, 1.0]),
        (d.Dirichlet(t([0.5, 2.0, 1.0])), d.Dirichlet(t([1.0, 1.0, 3.0])), 2.35740852),
        (d.Poisson(t([0.5, 2.0])), d.Poisson(t([1.0, 1.0])), [0.15342641, 0.38629436]),
        (d.LogNormal(t([0.0, 1.0]), t([2.0, 0.5])), d.LogNormal(t([1.0, -1.0]), t([1.0, 3.0])),
         [1.30685282, 1.52787066]),
    ]
    for p, q, expected in cases:
        np.testing.assert_allclose(d.kl_divergence(p, q).numpy(), expected, rtol=1e-5)


def test_kl_gamma_gradients_against_torch():
    torch = pytest.importorskip("torch")
    values = ([0.5, 2.0], [3.0, 1.0], [1.0, 1.0], [1.0, 2.0])
    ours = [tg.tensor(v, dtype=tg.float64, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    tg.distributions.kl_divergence(tg.distributions.Gamma(*ours[:2]),
                                   tg.distributions.Gamma(*ours[2:])).sum().backward()
    torch.distributions.kl_divergence(torch.distributions.Gamma(*theirs[:2]),
                                      torch.distributions.Gamma(*theirs[2:])).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-8)


def test_polygamma_high_orders():
    # psi_30(-0.5): the recurrence's exact cancellation (reflection there lost the sign)
    x = tg.tensor([-0.5, 1.0, 20.0], dtype=tg.float64)
    np.testing.assert_allclose(x.polygamma(30).numpy()[0], -9.222127066162129e+26, rtol=1e-8)
    np.testing.assert_allclose(x.polygamma(100).numpy()[2], -3.707975416337962e+26, rtol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was OverflowError: int too large to convert to float
        out = x.polygamma(170).numpy()
    np.testing.assert_allclose(out[1:], [-7.257415615308056e+306, -2.4252478874086967e+84],
                               rtol=1e-8)


def test_special_in_place_variants():
    a = tg.tensor([1.5, 2.5], requires_grad=True)
    b = a * 1
    b.lgamma_()
    b.sum().backward()
    np.testing.assert_allclose(b.detach().numpy(), [-0.12078224, 0.28468287], rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), [0.03648998, 0.70315664], rtol=1e-6)
    c = tg.tensor([1.5, 2.5])
    c.polygamma_(1)
    np.testing.assert_allclose(c.numpy(), [0.93480220, 0.49035776], rtol=1e-6)
    for method, args, expected in (("digamma_", (), 0.03648998), ("erfinv_", (), math.nan),
                                   ("mvlgamma_", (2,), 0.45158270)):
        t = tg.tensor([1.5])
        getattr(t, method)(*args)
        np.testing.assert_allclose(t.numpy(), [expected], rtol=1e-5)
