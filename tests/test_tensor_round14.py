"""Round 14 of the tensor probes against PyTorch: Cholesky factors read as triangles,
NaN ordering in unique(dim=) and searchsorted, LU's gradient for non-square matrices, out=
on the rest of the elementwise family and its exact-dtype rule, and PyTorch's exception
types."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _np(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _value_and_grad(lib, function, *arrays):
    """function(*tensors) and the gradients of sum(result * weights) w.r.t. each tensor
    (float64)."""
    tensors = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    result = function(lib, *tensors)
    weights = lib.tensor(np.linspace(-1.0, 2.0, result.numel()).reshape(tuple(result.shape)))
    (result * weights).sum().backward()
    return _np(result), [_np(t.grad) for t in tensors]


def _assert_same(ours, theirs, rtol=1e-9, atol=1e-9):
    (value, grads), (t_value, t_grads) = ours, theirs
    np.testing.assert_allclose(value, t_value, rtol=rtol, atol=atol)
    for grad, t_grad in zip(grads, t_grads):
        np.testing.assert_allclose(grad, t_grad, rtol=rtol, atol=atol)


# 3. cholesky_inverse and cholesky_solve read only the factor's triangle.
_GENERAL = np.random.default_rng(0).standard_normal((3, 3))
_RHS = np.random.default_rng(1).standard_normal((3, 2))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_reads_the_triangle(upper):
    triangle = np.triu(_GENERAL) if upper else np.tril(_GENERAL)
    a = triangle.T @ triangle if upper else triangle @ triangle.T
    result = tg.cholesky_inverse(tg.tensor(_GENERAL), upper=upper)
    np.testing.assert_allclose(result.numpy(), np.linalg.inv(a), rtol=1e-10)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_gradient_formula(upper):
    # PyTorch's rule: dL = -(Y (G + G^T) Y) L with Y the result (L (...) with upper), L whole
    (value, (grad,)) = _value_and_grad(
        tg, lambda lib, f: lib.cholesky_inverse(f, upper=upper), _GENERAL)
    weights = np.linspace(-1.0, 2.0, 9).reshape(3, 3)
    common = value @ (weights + weights.T) @ value
    expected = -(_GENERAL @ common) if upper else -(common @ _GENERAL)
    np.testing.assert_allclose(grad, expected, rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_cholesky_inverse_and_solve_match_torch(upper, batch):
    rng = np.random.default_rng(2)
    factor, rhs = rng.standard_normal(batch + (3, 3)), rng.standard_normal(batch + (3, 2))
    factor[..., range(3), range(3)] += 3.0  # well conditioned
    for function in (lambda lib, f: lib.cholesky_inverse(f, upper=upper),
                     lambda lib, f: f.cholesky_inverse(upper=upper)):
        _assert_same(_value_and_grad(tg, function, factor),
                     _value_and_grad(torch, function, factor))
    solve = lambda lib, b, f: lib.cholesky_solve(b, f, upper=upper)  # noqa: E731
    _assert_same(_value_and_grad(tg, solve, rhs, factor),
                 _value_and_grad(torch, solve, rhs, factor))


@needs_torch
def test_cholesky_inverse_of_the_probe_matrix_matches_torch():
    ours = tg.cholesky_inverse(tg.tensor(_GENERAL)).numpy()
    np.testing.assert_allclose(ours, torch.cholesky_inverse(torch.tensor(_GENERAL)).numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(ours[0], [349.06113586, -45.200106, -23.92062808], rtol=1e-8)
