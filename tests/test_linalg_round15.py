"""Round 15: linalg, special and activation differences from PyTorch 2.13 found by a probe.

Each test compares with PyTorch where it is installed (float64 values and gradients) and
with values worked out by hand otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
F = tg.nn.functional


# --- 1. the elu family's gradient for x << 0: alpha exp(x), not y + alpha (cancellation) ---

def _elu_family_grad(lib, name, values, dtype, **kwargs):
    x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
    getattr(lib.nn.functional, name)(x, **kwargs).sum().backward()
    return x.grad.numpy().astype(np.float64)


@pytest.mark.parametrize("name, kwargs, slope", [
    ("elu", {}, lambda x: np.exp(x)),
    ("elu", {"alpha": 0.5}, lambda x: 0.5 * np.exp(x)),
    ("selu", {}, lambda x: 1.0507009873554805 * 1.6732632423543772 * np.exp(x)),
    ("celu", {"alpha": 2.0}, lambda x: np.exp(x / 2.0)),
])
def test_elu_family_gradient_far_left_keeps_precision(name, kwargs, slope):
    values = [-50.0, -30.0, -17.0, -8.0, -1.0]
    grad = _elu_family_grad(tg, name, values, "float64", **kwargs)
    np.testing.assert_allclose(grad, slope(np.array(values)), rtol=1e-12)
    assert grad[0] > 0  # it was exactly 0 (y + alpha rounds to 0)


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, kwargs", [("elu", {}), ("selu", {}), ("celu", {"alpha": 2.0}),
                                          ("elu", {"alpha": 0.5})])
def test_elu_family_gradient_matches_torch(name, kwargs, dtype):
    values = [-50.0, -20.0, -17.0, -12.0, -8.0, -1.0, 0.0, 0.5, 3.0]
    ours = _elu_family_grad(tg, name, values, dtype, **kwargs)
    theirs = _elu_family_grad(torch, name, values, dtype, **kwargs)
    rtol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)


@needs_torch
@pytest.mark.parametrize("name, kwargs", [("elu", {}), ("selu", {}), ("celu", {"alpha": 2.0})])
def test_elu_family_second_derivative_matches_torch(name, kwargs):
    values = [-30.0, -2.0, 0.0, 1.5]

    def second(lib):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(lib.nn.functional, name)(x, **kwargs).sum(), x,
                                 create_graph=True)
        g.sum().backward()
        return x.grad.numpy()

    np.testing.assert_allclose(second(tg), second(torch), rtol=1e-12, atol=0)


# --- 3. Bessel, Airy and the orthogonal polynomials: constants, as PyTorch ---

_CONSTANT_UNARY = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
                   "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
                   "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
                   "spherical_bessel_j0", "airy_ai"]


@pytest.mark.parametrize("name", _CONSTANT_UNARY)
def test_special_without_derivative_is_a_constant(name):
    x = tg.tensor([0.5, 1.5], dtype=tg.float64, requires_grad=True)
    y = getattr(tg.special, name)(x)
    assert not y.requires_grad
    (y * x).sum().backward()  # raised NotImplementedError
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_bessel_j0_constant_gradient_value():
    x = tg.tensor([1.0], dtype=tg.float64, requires_grad=True)
    (tg.special.bessel_j0(x) * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.7651976865579666], rtol=1e-13)  # J0(1)


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "hermite_polynomial_h",
                                  "laguerre_polynomial_l", "legendre_polynomial_p",
                                  "shifted_chebyshev_polynomial_w"])
def test_polynomials_are_constants_in_x_and_n(name):
    x = tg.tensor([0.5, 0.7], dtype=tg.float64, requires_grad=True)
    n = tg.tensor([2.0, 3.0], dtype=tg.float64, requires_grad=True)
    y = getattr(tg.special, name)(x, n)
    assert not y.requires_grad
    (y * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())
    assert n.grad is None


@needs_torch
@pytest.mark.parametrize("name", _CONSTANT_UNARY)
def test_special_constants_match_torch(name):
    def run(lib):
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        y = getattr(lib.special, name)(x)
        (y * x * x).sum().backward()
        return y.requires_grad, x.grad.numpy()

    (ours_rg, ours), (theirs_rg, theirs) = run(tg), run(torch)
    assert ours_rg == theirs_rg
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)
