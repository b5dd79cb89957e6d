"""Scientific-computing scripts run with only the import changed (session 20): torch.gradient
with coordinates, frexp's named tuple, the solvers' shape errors, small missing names
(uint dtypes, newaxis, as_subclass, torch.signal.windows), distributions on correlation and
covariance matrices, and unique_consecutive's backward."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch")


# ---------------------------------------------------------------- gradient with coordinates

def test_gradient_with_coordinates_matches_the_documented_example():
    # PyTorch 2.13's values for x = [0, 1, 1.5, 3, 4, 6], f = x^2 (the exact derivative 2x
    # inside, where the parabola through three points is exact)
    x = tg.tensor([0.0, 1.0, 1.5, 3.0, 4.0, 6.0])
    (first,) = tg.gradient(x**2, spacing=(x,))
    np.testing.assert_allclose(first.numpy(), [1, 2, 3, 6, 8, 10], rtol=1e-6)
    (second,) = tg.gradient(x**2, spacing=[x], edge_order=2)
    np.testing.assert_allclose(second.numpy(), [0, 2, 3, 6, 8, 12], rtol=1e-6, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("dims", [None, 1, (1, 0), (-1,)])
def test_gradient_with_coordinates_values_and_gradients_against_pytorch(edge_order, dims):
    rng = np.random.default_rng(edge_order)
    values = rng.normal(size=(4, 6))
    coords = {0: np.cumsum(rng.uniform(0.2, 1.5, 4)), 1: np.cumsum(rng.uniform(0.2, 1.5, 6))}
    axes = (0, 1) if dims is None else (dims,) if isinstance(dims, int) else dims
    results = []
    for lib in (tg, torch):
        f = lib.tensor(values, requires_grad=True)
        spacing = [lib.tensor(coords[a % 2], requires_grad=True) for a in axes]
        kwargs = {} if dims is None else {"dim": dims}
        outs = lib.gradient(f, spacing=spacing, edge_order=edge_order, **kwargs)
        weights = [np.arange(o.numel()).reshape(tuple(o.shape)) + 1.0 for o in outs]
        sum(lib.sum(o * lib.tensor(w)) for o, w in zip(outs, weights)).backward()
        results.append(([o.detach().numpy() for o in outs], f.grad.numpy(),
                        [s.grad.numpy() for s in spacing]))
    (ours, our_grad, our_coord_grads), (theirs, their_grad, their_coord_grads) = results
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-12)
    for a, b in zip(our_coord_grads, their_coord_grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_gradient_with_a_zero_dim_tensor_spacing_is_a_number():
    x = tg.tensor([1.0, 4.0, 9.0, 16.0])
    (out,) = tg.gradient(x, spacing=tg.tensor(2.0))
    np.testing.assert_allclose(out.numpy(), [1.5, 2.0, 3.0, 3.5])


@pytest.mark.parametrize("spacing, words", [
    ((tg.ones(2, 3),), "1-d"),
    ((tg.ones(5),), "length 6"),
    ((tg.arange(6.0), 2.0), "mixes"),
])
def test_gradient_coordinate_errors_name_the_op_and_shapes(spacing, words):
    with pytest.raises(tg.TensorError, match=f"gradient.*{words}"):
        tg.gradient(tg.ones(3, 6), spacing=spacing, dim=(1, 0)[:len(spacing)])


def test_gradient_rejects_a_bare_1d_tensor_as_spacing():
    # PyTorch: TypeError (a tensor of several values is neither a number nor a list of them)
    with pytest.raises(RuntimeError, match="gradient"):
        tg.gradient(tg.arange(4.0), spacing=tg.arange(4.0))


# ---------------------------------------------------------------- named result tuples

def test_frexp_returns_a_named_tuple_with_mantissa_and_exponent():
    x = tg.tensor([3.0, 0.5, -10.0], requires_grad=True)
    result = tg.frexp(x)
    assert type(result).__name__ == "frexp" and result._fields == ("mantissa", "exponent")
    np.testing.assert_array_equal(result.mantissa.detach().numpy(), [0.75, 0.5, -0.625])
    np.testing.assert_array_equal(result.exponent.numpy(), [2, 0, 4])
    assert result.exponent.dtype == tg.int32
    result.mantissa.sum().backward()  # d mantissa / dx = 2**-exponent
    np.testing.assert_array_equal(x.grad.numpy(), [0.25, 1.0, 0.0625])
    mantissa, exponent = x.detach().frexp()  # still a pair
    assert mantissa.shape == exponent.shape == (3,)


@needs_torch
def test_histogram_results_are_named_as_pytorch():
    values = np.array([0.1, 0.4, 0.45, 0.9, 0.95, 0.99])
    ours, theirs = tg.histogram(tg.tensor(values), 3), torch.histogram(torch.tensor(values), 3)
    assert type(ours).__name__ == type(theirs).__name__ == "histogram"
    np.testing.assert_array_equal(ours.hist.numpy(), theirs.hist.numpy())
    np.testing.assert_allclose(ours.bin_edges.numpy(), theirs.bin_edges.numpy())
    points = np.array([[0.1, 0.2], [0.5, 0.9]])
    dd = tg.histogramdd(tg.tensor(points), 2)
    assert type(dd).__name__ == type(torch.histogramdd(torch.tensor(points), 2)).__name__
    assert dd.hist.shape == (2, 2) and len(dd.bin_edges) == 2


# ---------------------------------------------------------------- the solvers' shape errors

def _lu_solve(A, B, **kwargs):
    return tg.linalg.lu_solve(*tg.linalg.lu_factor(A), B, **kwargs)


SHAPE_ERRORS = [  # (call, PyTorch 2.13's message or the words ours shows)
    (lambda: tg.linalg.solve(tg.eye(5), tg.ones(3, 5)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.linalg.solve(tg.eye(5), tg.ones(4)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 4x1)"),
    (lambda: tg.linalg.solve(tg.eye(3), tg.ones(4, 2), left=False),
     "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 4x2)"),
    (lambda: tg.linalg.solve(tg.eye(3), tg.ones(3), left=False),
     "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)"),
    (lambda: tg.linalg.solve_ex(tg.eye(5), tg.ones(3, 5)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.linalg.solve_triangular(tg.eye(5), tg.ones(3, 5), upper=True),
     "linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
     "(5x5 and 3x5)"),
    (lambda: tg.linalg.solve_triangular(tg.eye(5), tg.ones(5, 3), upper=True, left=False),
     "linalg.solve_triangular: Incompatible shapes of A and B for the equation XA = B "
     "(5x5 and 5x3)"),
    (lambda: tg.linalg.solve_triangular(tg.eye(5), tg.ones(5), upper=True),
     "linalg.solve_triangular: The input tensor B must have at least 2 dimensions"),
    (lambda: _lu_solve(tg.eye(5), tg.ones(3, 5)),
     "linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: _lu_solve(tg.eye(5), tg.ones(5, 3), left=False),
     "linalg.lu_solve: Incompatible shapes of A and B for the equation XA = B (5x5 and 5x3)"),
    (lambda: tg.lu_solve(tg.ones(3, 5), *tg.linalg.lu_factor(tg.eye(5))),
     "linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.cholesky_solve(tg.ones(3, 5), tg.eye(5)),
     "cholesky_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.cholesky_solve(tg.ones(3, 5), tg.ones(3, 5)),
     "cholesky_solve: L must be batches of square matrices, got shape (3, 5)"),
    (lambda: tg.triangular_solve(tg.ones(3, 5), tg.eye(5)),
     "triangular_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.linalg.solve(tg.eye(3).expand(2, 3, 3), tg.ones(4, 3, 1)),
     "linalg.solve: the batch dims of A (2,) and B (4,) do not broadcast"),
    (lambda: tg.cholesky_solve(tg.ones(4, 3, 5), tg.eye(3).expand(2, 3, 3)),
     "cholesky_solve: the batch dims of A (2,) and B (4,) do not broadcast"),
]


@pytest.mark.parametrize("call, message", SHAPE_ERRORS)
def test_solver_shape_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises(RuntimeError) as error:
        call()
    assert str(error.value).startswith(message)
    assert "singular" not in str(error.value)


@needs_torch
def test_solvers_still_accept_pytorchs_shapes():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    spd = a @ a.swapaxes(-1, -2)
    for b in (rng.normal(size=(2, 3)), rng.normal(size=(3,)), rng.normal(size=(4, 1, 3, 2))):
        ours = tg.linalg.solve(tg.tensor(a), tg.tensor(b))
        np.testing.assert_allclose(ours.numpy(),
                                   torch.linalg.solve(torch.tensor(a), torch.tensor(b)).numpy())
    b = rng.normal(size=(2, 2, 3))
    np.testing.assert_allclose(
        tg.linalg.solve(tg.tensor(a), tg.tensor(b), left=False).numpy(),
        torch.linalg.solve(torch.tensor(a), torch.tensor(b), left=False).numpy())
    factor = np.linalg.cholesky(spd)
    b = rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        tg.cholesky_solve(tg.tensor(b), tg.tensor(factor)).numpy(),
        torch.cholesky_solve(torch.tensor(b), torch.tensor(factor)).numpy())
