"""Edge cases found by differential testing against PyTorch: kinks, NaN and inf inputs, and
second derivatives. Expected values are PyTorch's numbers (hard-coded) or float64 central
differences; where torch is importable the same calls are compared with it as well."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

NAN, INF = float("nan"), float("inf")


def grads(lib, fn, values, second=True):
    """(value, first derivative, second derivative) of sum(fn(x)) elementwise, float64."""
    x = lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    y = fn(lib, x)
    ones = lib.ones_like(y)  # a seed, not y.sum(): inf + -inf would warn
    (g,) = lib.autograd.grad(y, x, grad_outputs=ones, create_graph=second)
    h = None
    if second and g.requires_grad:
        (h,) = lib.autograd.grad(g.sum(), x, allow_unused=True)
    return tuple(None if t is None else np.array(t.tolist(), dtype=np.float64) for t in (y, g, h))


def ours(fn, values, second=True):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning at NaN, inf or a kink
        return grads(tg, fn, values, second)


def assert_like_torch(fn, values, second=True):
    torch = pytest.importorskip("torch")
    mine, theirs = ours(fn, values, second), grads(torch, fn, values, second)
    for got, expected in zip(mine, theirs):
        if expected is None or got is None:
            assert (expected is None or not expected.any()) and (got is None or not got.any())
            continue
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def central_second_derivative(f, x, h=1e-4):
    return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h)


# ---------------------------------------------------------------- huber / smooth_l1
def huber(lib, x, delta=1.0):
    return lib.nn.functional.huber_loss(x, lib.zeros_like(x), reduction="none", delta=delta)


def smooth_l1(lib, x, beta=2.0):
    return lib.nn.functional.smooth_l1_loss(x, lib.zeros_like(x), reduction="none", beta=beta)


def test_huber_second_derivative_is_one_inside_and_zero_from_the_kink():
    # was 0 at d = 0 (|d| entered the quadratic) and 1 at |d| = delta
    value, first, second = ours(huber, [0.0, 0.5, -0.5, 1.0, -1.0, 2.0])
    np.testing.assert_allclose(first, [0.0, 0.5, -0.5, 1.0, -1.0, 1.0])
    np.testing.assert_allclose(second, [1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    exact = lambda d: np.where(np.abs(d) < 1, 0.5 * d * d, np.abs(d) - 0.5)  # noqa: E731
    np.testing.assert_allclose(second[:3], central_second_derivative(exact, np.array(
        [0.0, 0.5, -0.5])), rtol=1e-6)


def test_smooth_l1_second_derivative_is_one_over_beta_inside():
    _, first, second = ours(smooth_l1, [0.0, 1.0, 2.0, -3.0])
    np.testing.assert_allclose(first, [0.0, 0.5, 1.0, -1.0])
    np.testing.assert_allclose(second, [0.5, 0.5, 0.0, 0.0])


def test_huber_at_infinity_and_nan_stays_finite_where_pytorch_is():
    value, first, _ = ours(lambda lib, x: huber(lib, x, 0.7), [INF, -INF, NAN], second=False)
    np.testing.assert_array_equal(value, [INF, INF, NAN])
    np.testing.assert_allclose(first, [0.7, -0.7, NAN])


@pytest.mark.parametrize("fn", [huber, smooth_l1])
def test_huber_family_matches_torch(fn):
    assert_like_torch(fn, [0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, INF, -INF])


# ---------------------------------------------------------------- the elu family at 0 / NaN
ELUS = {
    "elu": (lambda lib, x: lib.nn.functional.elu(x, 2.0), 2.0, 2.0),
    "celu": (lambda lib, x: lib.nn.functional.celu(x, 0.5), 1.0, 2.0),
    "selu": (lambda lib, x: lib.nn.functional.selu(x), 1.7580993408473766, 1.7580993408473766),
}


@pytest.mark.parametrize("name", list(ELUS))
def test_elu_family_second_derivative_at_zero_is_zero(name):
    fn, slope_at_0, left_curvature = ELUS[name]
    _, first, second = ours(fn, [0.0, -0.0, -1e-30, INF])
    np.testing.assert_allclose(first[:3], slope_at_0)
    np.testing.assert_allclose(second[:3], [0.0, 0.0, left_curvature])  # was the left value
    scale = 1.0507009873554805 if name == "selu" else 1.0
    assert (first[3], second[3]) == (pytest.approx(scale), 0.0)  # x = inf: was NaN


@pytest.mark.parametrize("name", list(ELUS))
def test_elu_family_matches_torch(name):
    # (no NaN: PyTorch's elu gradient at NaN is NaN or its x > 0 slope, by array length)
    assert_like_torch(ELUS[name][0], [0.0, -0.0, -1e-30, 1.0, -1.0, INF, -INF, -1000.0])


# ---------------------------------------------------------------- NaN and inf, PyTorch's way
def test_sign_of_nan_is_zero_and_abs_has_gradient_zero_there():
    value, first, _ = ours(lambda lib, x: x.sign() + 0 * x, [NAN, -2.0, 0.0, 3.0], second=False)
    np.testing.assert_array_equal(value[1:], [-1.0, 0.0, 1.0])
    assert np.isnan(value[0])  # 0 * NaN: the sign itself is 0
    np.testing.assert_array_equal(tg.tensor([NAN, -INF]).sign().numpy(), [0.0, -1.0])
    _, first, _ = ours(lambda lib, x: x.abs(), [NAN, -2.0, 0.0, 3.0], second=False)
    np.testing.assert_array_equal(first, [0.0, -1.0, 0.0, 1.0])


def test_threshold_below_at_minus_infinity_gives_value_not_nan():
    fn = (lambda lib, x: lib.nn.functional.threshold(x, 0.5, -2.0))  # noqa: E731
    value, first, _ = ours(fn, [-INF, INF, NAN, 0.5, 1.0], second=False)
    np.testing.assert_array_equal(value[[0, 1, 3, 4]], [-2.0, INF, -2.0, 1.0])
    assert np.isnan(value[2])
    np.testing.assert_array_equal(first, [0.0, 1.0, 1.0, 0.0, 1.0])  # NaN keeps x's gradient


def test_hardswish_gradient_at_infinity():
    _, first, _ = ours(lambda lib, x: lib.nn.functional.hardswish(x), [INF, -INF, 3.0, -3.0],
                       second=False)
    np.testing.assert_array_equal(first, [1.0, 0.0, 1.0, 0.0])  # was NaN at +-inf


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_give_both_operands_the_gradient_at_nan(op):
    def run(lib):
        a = lib.tensor([NAN, 1.0, NAN, 2.0, 1.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([1.0, NAN, NAN, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = getattr(lib, op)(a, b)
        return [np.array(g.tolist()) for g in lib.autograd.grad((y * lib.tensor(
            [1.0, 2.0, 3.0, 4.0, 5.0], dtype=lib.float64)).sum(), (a, b))]

    grad_a, grad_b = run(tg)
    loser_a = [0.0, 0.0] if op == "maximum" else [5.0, 0.0]
    np.testing.assert_array_equal(grad_a, [1.0, 2.0, 3.0, 2.0, loser_a[0]])  # NaN: both get g
    np.testing.assert_array_equal(grad_b, [1.0, 2.0, 3.0, 2.0, 5.0 - loser_a[0]])
    torch = pytest.importorskip("torch")
    for got, expected in zip((grad_a, grad_b), run(torch)):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", ["sign", "abs", "threshold", "hardswish_inf"])
def test_nan_and_inf_rules_match_torch(name):
    fn = {"sign": lambda lib, x: x.sign() * 3 + x,
          "abs": lambda lib, x: x.abs(),
          "threshold": lambda lib, x: lib.nn.functional.threshold(x, 0.5, -2.0),
          "hardswish_inf": lambda lib, x: lib.nn.functional.hardswish(x)}[name]
    values = [INF, -INF, 3.0, -3.0, 0.0] if name == "hardswish_inf" else [NAN, INF, -INF, 0.0,
                                                                          -1.0, 2.0]
    assert_like_torch(fn, values, second=False)


# ---------------------------------------------------------------- logit(eps), twice
def test_logit_with_eps_differentiates_twice():
    # was: RuntimeError (it saved the clamped input, a derived value)
    values = [0.5, 0.9, 0.2, 1e-4, 0.0]
    _, first, second = ours(lambda lib, x: x.logit(eps=1e-3), values)
    exact_first = lambda x: 1 / (x * (1 - x))  # noqa: E731
    np.testing.assert_allclose(first[:3], exact_first(np.array(values[:3])))
    assert first[3] == first[4] == 0.0  # clamped: constant
    step = 1e-6
    central = [(exact_first(x + step) - exact_first(x - step)) / (2 * step) for x in values[:3]]
    np.testing.assert_allclose(second[:3], central, rtol=1e-6)
    assert second[3] == second[4] == 0.0
    torch = pytest.importorskip("torch")
    theirs = grads(torch, lambda lib, x: x.logit(eps=1e-3), values[:4])
    for got, expected in zip((first[:4], second[:4]), theirs[1:]):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


# ---------------------------------------------------------------- empty dims
@pytest.mark.parametrize("shape,dim", [((0,), 0), ((3, 0), -1), ((0, 4), 1)])
def test_sort_and_topk_of_an_empty_dim_are_empty(shape, dim):
    # was IndexError: sort: cannot pick from an empty dim (PyTorch returns empty tensors)
    x = tg.zeros(*shape, requires_grad=True)
    values, indices = x.sort(dim, descending=True)
    top, top_indices = x.topk(0, dim)
    assert values.shape == indices.shape == x.argsort(dim).shape == shape
    assert indices.dtype == top_indices.dtype == tg.int64
    expected_top = tuple(0 if i == dim % len(shape) else n for i, n in enumerate(shape))
    assert top.shape == expected_top
    (grad,) = tg.autograd.grad(values.sum() + top.sum(), x)
    assert grad.shape == shape
    if shape[dim] == 0:
        with pytest.raises(IndexError, match=r"max.*(empty|non-zero size)"):
            x.max(dim)  # a reduction of an empty dim still raises, as PyTorch


def test_hinge_embedding_loss_at_infinity():
    # was NaN (a zeros tensor made as input * 0)
    fn = (lambda lib, x: lib.nn.functional.hinge_embedding_loss(  # noqa: E731
        x, lib.tensor([1.0, 1.0, -1.0, -1.0, 1.0], dtype=lib.float64), reduction="none"))
    value, first, _ = ours(fn, [INF, -INF, INF, -INF, 2.0], second=False)
    np.testing.assert_array_equal(value, [INF, -INF, 0.0, INF, 2.0])
    np.testing.assert_array_equal(first, [1.0, 1.0, 0.0, -1.0, 1.0])
    assert_like_torch(fn, [INF, -INF, INF, -INF, 0.5], second=False)
