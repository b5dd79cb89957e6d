"""Round 17 (k): higher-order derivatives. xlogy/xlog1py's gradient with a Python-number
second operand (was a denormal, not log(b)), logcumsumexp's third derivative with gradients
of both signs, heaviside of a tensor that requires grad (PyTorch's error in backward, not a
silent zero). Expected values are closed forms or float64 central differences; PyTorch,
where installed, is compared too."""
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


def _nth(module, f, data, weights, order):
    """The order-th derivative of sum(f(x) * weights[0]), each intermediate gradient
    contracted with the next weights (create_graph all the way)."""
    x = module.tensor(data, dtype=module.float64, requires_grad=True)
    value = (f(x) * module.tensor(weights[0], dtype=module.float64)).sum()
    for k in range(order):
        (grad,) = module.autograd.grad(value, x, create_graph=True)
        if k == order - 1:
            return grad.detach().numpy()
        value = (grad * module.tensor(weights[k + 1], dtype=module.float64)).sum()


def _central(f, data, weights, order, step=1e-6):
    """d/dx of the (order - 1)-th derivative, contracted, by float64 central differences."""
    out = np.zeros_like(data)
    for i in np.ndindex(data.shape):
        e = np.zeros_like(data)
        e[i] = step
        plus = _nth(tg, f, data + e, weights, order - 1)
        minus = _nth(tg, f, data - e, weights, order - 1)
        out[i] = np.sum((plus - minus) / (2 * step) * weights[order - 1])
    return out


# ---- 1. xlogy / xlog1py with a Python number as b -------------------------------------------
@pytest.mark.parametrize(("b", "expected"), [(2.0, math.log(2.0)), (0.5, math.log(0.5))])
def test_xlogy_scalar_b_gradient_is_log_b(b, expected):
    x = tg.tensor([1.0, 2.0, 0.0], dtype=tg.float64, requires_grad=True)
    tg.xlogy(x, b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [expected] * 3, rtol=1e-14)
    x = tg.tensor([1.0, 2.0, 0.0], dtype=tg.float64, requires_grad=True)
    tg.special.xlog1py(x, b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [math.log1p(b)] * 3, rtol=1e-14)


@pytest.mark.parametrize("b", [2.0, -2.0, 0.0, -1.0, float("nan")])
def test_xlogy_scalar_b_matches_torch_and_is_differentiable_again(b):
    x = tg.tensor([1.0, 2.0, 0.0], dtype=tg.float64, requires_grad=True)
    (grad,) = tg.autograd.grad(tg.xlogy(x, b).sum(), x, create_graph=True)  # (raised)
    assert grad.requires_grad is False or grad.grad_fn is not None
    for fn, log in ((tg.xlogy, math.log), (tg.special.xlog1py, math.log1p)):
        x = tg.tensor([1.0, 2.0, 0.0], dtype=tg.float64, requires_grad=True)
        fn(x, b).sum().backward()
        # d/da: log(b) where a != 0; where a == 0, 0 unless b is NaN or above the edge
        edge = 0.0 if fn is tg.xlogy else -1.0
        with np.errstate(all="ignore"):
            inside = log(b) if b > edge else (float("-inf") if b == edge else float("nan"))
        at_zero = inside if (b != b or b > edge) else 0.0
        np.testing.assert_allclose(x.grad.numpy(), [inside, inside, at_zero], rtol=1e-14)
        if torch is not None and b == b:  # (a NaN number: PyTorch's scalar overload gives 0
            t = torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64, requires_grad=True)
            # at a = 0, its tensor form NaN, as ours)
            getattr(torch.special, fn.__name__)(t, b).sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-14)


# ---- 2. logcumsumexp: third derivative with gradients of both signs --------------------------
def test_logcumsumexp_third_order_mixed_signs():
    rng = np.random.default_rng(3)
    data = rng.uniform(-1, 1, 3)
    weights = [np.array([-0.6, 0.5, 0.9]), np.array([0.2, 0.4, -0.3]),
               np.array([-0.6, 0.1, 0.3])]
    f = lambda x: x.logcumsumexp(0)  # noqa: E731
    third = _nth(tg, f, data, weights, 3)
    np.testing.assert_allclose(third, _central(f, data, weights, 3), rtol=1e-5, atol=1e-8)
    if torch is not None:  # (PyTorch gives NaN at some places: compare the others)
        expected = _nth(torch, f, data, weights, 3)
        finite = np.isfinite(expected)
        assert finite.any()
        np.testing.assert_allclose(third[finite], expected[finite], rtol=1e-8, atol=1e-12)


def test_logcumsumexp_second_order_stable_at_1000():
    data = np.array([1000.0, -1000.0, 0.0, 999.0])
    weights = [np.array([1.0, -2.0, 0.5, 0.3]), np.array([0.3, 0.2, -1.0, 0.4])]
    second = _nth(tg, lambda x: x.logcumsumexp(0), data, weights, 2)
    assert np.all(np.isfinite(second))
    s = 1 / (1 + math.e)  # softmax weight of 999 against 1000
    # only x0 and x3 interact: d2/dx0dx3 of 0.3 * log(e^x0 + e^x3) = -0.3 s (1 - s)
    np.testing.assert_allclose(second, [-0.3 * s * (1 - s) * (0.4 - 0.3), 0, 0,
                                        0.3 * s * (1 - s) * (0.4 - 0.3)], atol=1e-12)


# ---- 3. heaviside is not differentiable: an error in backward, as PyTorch --------------------
def test_heaviside_of_grad_input_raises_in_backward():
    x = tg.tensor([1.0, -2.0, 0.0], dtype=tg.float64, requires_grad=True)
    y = tg.heaviside(x, tg.tensor(0.5, dtype=tg.float64))
    assert y.requires_grad and y.tolist() == [1.0, 0.0, 0.5]
    with pytest.raises(RuntimeError, match="heaviside"):
        (x * y).sum().backward()
    with tg.no_grad():
        assert not tg.heaviside(x, tg.tensor(0.5, dtype=tg.float64)).requires_grad
    assert not tg.heaviside(x.detach(), tg.tensor(0.5, dtype=tg.float64)).requires_grad


def test_gradcheck_of_heaviside_raises_as_torch():
    x = tg.tensor([0.3, -0.9], dtype=tg.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="heaviside"):
        tg.autograd.gradcheck(lambda t: tg.heaviside(t, tg.tensor(0.5, dtype=tg.float64)), (x,))
    if torch is not None:
        t = torch.tensor([0.3, -0.9], dtype=torch.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="heaviside"):
            torch.autograd.gradcheck(
                lambda u: torch.heaviside(u, torch.tensor(0.5, dtype=torch.float64)), (t,))


# ---- 4. det: higher derivatives at a rounding-singular matrix --------------------------------
def test_det_third_order_of_a_rank_one_product():
    """det(u v^T) is 0 for every x, so each derivative is 0; det's d A^-T form on a matrix
    whose computed det is 1e-17, not 0, gave a third derivative of 0.27."""
    rng = np.random.default_rng(0)
    data = rng.uniform(-2, 2, (3, 3))
    weights = [np.array(0.7), rng.uniform(-1, 1, (3, 3)), rng.uniform(-1, 1, (3, 3))]
    f = lambda x: (x[:, :1] * x[:1]).det()  # noqa: E731
    for order in (2, 3):
        np.testing.assert_allclose(_nth(tg, f, data, weights, order), 0, atol=1e-12)


def test_det_third_order_of_a_singular_matrix_matches_differences():
    rng = np.random.default_rng(1)
    u = rng.uniform(-2, 2, (3, 1))
    data = u * u.T  # rank 1: det's gradient 0, its second derivative not
    weights = [np.array(1.0), rng.uniform(-1, 1, (3, 3)), rng.uniform(-1, 1, (3, 3))]
    f = lambda x: x.det()  # noqa: E731
    expected = _central(f, data, weights, 3, step=1e-5)
    np.testing.assert_allclose(_nth(tg, f, data, weights, 3), expected, rtol=1e-6, atol=1e-8)


def test_det_of_nan_is_quiet():
    x = tg.tensor([[1.0, 2.0], [3.0, float("nan")]], dtype=tg.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(tg.linalg.det(x).item())
        assert math.isnan(tg.linalg.det(tg.full((3, 3), float("nan"), dtype=tg.float64)).item())


# ---- 5. sinc near 0: every derivative exact (sin(s) / s's quotient rule cancels there) -------
# d^n/dx^n sinc(x) at 0: 1, 0, -pi^2/3, 0; at small x the Taylor series' terms
@pytest.mark.parametrize("x", [0.0, 1e-9, 1e-4, 0.01])
def test_sinc_derivatives_near_zero(x):
    s = math.pi * x  # sinc = sum_k (-1)^k s^2k / (2k + 1)!, differentiated n times in x
    expected = [math.pi**n * sum((-1) ** k * math.perm(2 * k, n) * s ** (2 * k - n)
                                 / math.factorial(2 * k + 1) for k in range(12) if 2 * k >= n)
                for n in range(4)]
    for method in (lambda t: t.sinc(), tg.sinc, tg.special.sinc):
        t = tg.tensor([x], dtype=tg.float64, requires_grad=True)
        got = [method(t)]
        for _ in range(3):
            (grad,) = tg.autograd.grad(got[-1].sum(), t, create_graph=True)
            got.append(grad)
        np.testing.assert_allclose([g.item() for g in got], expected, rtol=1e-9, atol=1e-15)


def test_sinc_values_and_gradients_match_torch():
    data = np.array([0.0, 1e-3, 0.0159, 0.016, 0.3, -2.5, 7.0, 1e300, np.nan, np.inf])
    x = tg.tensor(data, dtype=tg.float64, requires_grad=True)
    y = x.sinc()
    y.sum().backward()
    assert y.tolist()[0] == 1.0 and x.grad.tolist()[0] == 0.0
    if torch is not None:
        t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        u = t.sinc()
        u.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=1e-15)
        # (PyTorch's quotient rule loses digits near 0: 4e-12 at 1e-3)
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-300)
    assert tg.tensor([0.0, 0.01], dtype=tg.float32).sinc().dtype == tg.float32


# ---- 6. implicit-reparameterization slopes: a second derivative raises, as PyTorch's --------
# (the slope dx/dalpha was a constant under create_graph, so the second derivative silently
# missed its d(slope)/dalpha term)
@pytest.mark.parametrize(("name", "op"), [
    ("Gamma", "_standard_gamma_grad"), ("Chi2", "_standard_gamma_grad"),
    ("Dirichlet", "_dirichlet_grad"), ("Beta", "_dirichlet_grad")])
def test_rsample_second_derivative_raises(name, op):
    make = {"Gamma": lambda a: tg.distributions.Gamma(a, 1.0),
            "Chi2": lambda a: tg.distributions.Chi2(a),
            "Dirichlet": lambda a: tg.distributions.Dirichlet(a),
            "Beta": lambda a: tg.distributions.Beta(a, a + 1)}[name]
    tg.manual_seed(0)
    alpha = tg.tensor([1.5, 2.0, 0.7], dtype=tg.float64, requires_grad=True)
    draw = make(alpha).rsample()
    (plain,) = tg.autograd.grad((draw**2).sum(), alpha, retain_graph=True)
    (grad,) = tg.autograd.grad((draw**2).sum(), alpha, create_graph=True)
    np.testing.assert_array_equal(grad.detach().numpy(), plain.numpy())  # first order kept
    assert grad.requires_grad
    with pytest.raises(NotImplementedError, match=op):
        tg.autograd.grad(grad.sum(), alpha)
    if torch is not None and name in ("Gamma", "Chi2"):  # (PyTorch's Dirichlet: another error)
        t = torch.tensor([1.5, 2.0, 0.7], dtype=torch.float64, requires_grad=True)
        d = {"Gamma": lambda a: torch.distributions.Gamma(a, 1.0),
             "Chi2": lambda a: torch.distributions.Chi2(a)}[name](t).rsample()
        (tgrad,) = torch.autograd.grad((d**2).sum(), t, create_graph=True)
        with pytest.raises(NotImplementedError, match=op):
            torch.autograd.grad(tgrad.sum(), t)


# ---- 7. backward(create_graph=True): PyTorch's reference-cycle UserWarning, once ------------
@pytest.mark.parametrize("how", ["method", "autograd.backward"])
def test_backward_create_graph_warns_once(how, monkeypatch):
    import sys

    tensor_module = sys.modules["tinygrad_np.tensor"]  # (tg.tensor is the factory)

    monkeypatch.setattr(tensor_module, "_CYCLE_WARNED", [])
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    call = (lambda: (x**3).sum().backward(create_graph=True)) if how == "method" else (
        lambda: tg.autograd.backward((x**3).sum(), create_graph=True))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
        call()  # (once per process, as PyTorch's TORCH_WARN_ONCE)
        tg.autograd.grad((x**3).sum(), x, create_graph=True)  # autograd.grad: never
        (x**3).sum().backward()  # nor without create_graph
    assert [w.category for w in caught] == [UserWarning]
    assert "create_graph=True will create a reference cycle" in str(caught[0].message)
    assert caught[0].filename == __file__  # the caller's line
    # .grad: three backward() calls of 3x^2, two of them recorded (PyTorch: the same)
    np.testing.assert_allclose(x.grad.detach().numpy(), [3 * 3.0, 3 * 12.0])
    (second,) = tg.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(second.numpy(), [2 * 6.0, 2 * 12.0])


# ---- 8. std with no degrees of freedom: NaN gradient with create_graph too -------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_std_without_degrees_of_freedom_has_nan_gradient(create_graph):
    x = tg.tensor([[1.5, 2.0, 3.0]], dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's degrees-of-freedom warning)
        std = x.std(0)
        (grad,) = tg.autograd.grad(std.sum(), x, create_graph=create_graph)
        assert np.isnan(std.detach().numpy()).all()
        assert np.isnan(grad.detach().numpy()).all()  # (create_graph gave 0)
        assert math.isinf(x.std(1, correction=3).item())  # a spread over 0 stays inf
        if torch is not None:
            t = torch.tensor([[1.5, 2.0, 3.0]], dtype=torch.float64, requires_grad=True)
            (tgrad,) = torch.autograd.grad(t.std(0).sum(), t, create_graph=create_graph)
            assert np.isnan(tgrad.detach().numpy()).all()
    # and a constant slice with degrees of freedom keeps gradient 0 (PyTorch's)
    c = tg.tensor([[1.5, 1.5, 1.5]], dtype=tg.float64, requires_grad=True)
    (grad,) = tg.autograd.grad(c.std(1).sum(), c, create_graph=create_graph)
    np.testing.assert_array_equal(grad.detach().numpy(), [[0.0, 0.0, 0.0]])


# ---- 9. number ** tensor: the create_graph gradient in float64 (log(a) was float32) ----------
@pytest.mark.parametrize("base", [2.0, 0.5, math.e, 10])
def test_rpow_create_graph_gradient_is_float64_exact(base):
    data = np.array([-1.37, 0.5, 2.0, 0.3])
    expected = base**data * math.log(base)  # d/dx base^x
    for create_graph in (False, True):
        x = tg.tensor(data, dtype=tg.float64, requires_grad=True)
        (grad,) = tg.autograd.grad((base**x).sum(), x, create_graph=create_graph)
        assert grad.dtype == tg.float64
        np.testing.assert_allclose(grad.detach().numpy(), expected, rtol=1e-14)
    (second,) = tg.autograd.grad(grad.sum(), x)
    np.testing.assert_allclose(second.numpy(), expected * math.log(base), rtol=1e-14)


# ---- 10. norm at 0 with an infinite upstream gradient: NaN with create_graph too -------------
def test_norm_zero_row_inf_upstream_gradient_same_with_create_graph():
    data = [[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [0.0, 0.0, 0.0]]
    scale = [float("inf"), 2.0, 3.0]
    grads = []
    for create_graph in (False, True):
        x = tg.tensor(data, dtype=tg.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (0 * inf: `*` warns as NumPy's, see README)
            y = x.norm(dim=1) * tg.tensor(scale, dtype=tg.float64)
        (grad,) = tg.autograd.grad(y.sum(), x, create_graph=create_graph)
        grads.append(grad.detach().numpy())
    expected = [[np.nan] * 3, [2 / 3, 4 / 3, 4 / 3], [0.0] * 3]  # (0 was given with create_graph)
    for grad in grads:
        np.testing.assert_allclose(grad, expected, rtol=1e-15)
    if torch is not None:
        t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        u = t.norm(dim=1) * torch.tensor(scale, dtype=torch.float64)
        (tgrad,) = torch.autograd.grad(u.sum(), t, create_graph=True)
        np.testing.assert_allclose(grads[1], tgrad.detach().numpy(), rtol=1e-15)
