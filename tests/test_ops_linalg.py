"""`tg.linalg` from one table (the four checks of test_ops.py), plus what a table can't say.

Each row is written once against a module `la` (tinygrad_np or torch), so the same code runs
on both. Inputs are batches (..., n, n) or (..., m, n) kept well-conditioned; symmetric
inputs (eigh, cholesky) are made so inside the row, as are gauge-free views of eigen- and
singular vectors (each column's sign fixed by its first entry, a constant), since they are
defined only up to sign.
"""

from __future__ import annotations

import math
import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from test_ops import Op, table_tests

import tinygrad_np as tg
from tinygrad_np import Tensor


def both(f):
    """(fn, torch_fn) for a row written as f(la, *tensors) with la the library module."""

    def torch_call(*tensors, **options):
        import torch

        with warnings.catch_warnings():  # torch.cholesky and Tensor.cholesky are deprecated
            warnings.simplefilter("ignore")
            return f(torch, *tensors, **options)

    return (lambda *tensors, **options: f(tg, *tensors, **options)), torch_call


def row(name, f, reference, inputs):
    fn, torch_fn = both(f)
    return Op(name, fn, reference, inputs, torch_fn)


batch_shapes = st.sampled_from([(), (), (2,), (3,), (2, 1), (1, 2)])


@st.composite
def square(draw, count=1, conditioned=True, sizes=(1, 4)):
    """`count` batches of n x n matrices with condition number under 30."""
    n, batch = draw(st.integers(*sizes)), draw(batch_shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    out = []
    for _ in range(count):
        a = rng.uniform(-1, 1, batch + (n, n)) + 2 * np.eye(n)
        while conditioned and np.max(np.linalg.cond(a)) > 30:
            a = rng.uniform(-1, 1, batch + (n, n)) + 2 * np.eye(n)
        out.append(a)
    return out, {}


@st.composite
def rectangular(draw, min_gap=0.2):
    """One batch of m x n matrices whose singular values are distinct and away from 0."""
    m, n, batch = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(batch_shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    while True:
        a = rng.uniform(-2, 2, batch + (m, n))
        s = np.linalg.svd(a, compute_uv=False)
        if s.min() > min_gap and (s.shape[-1] < 2 or np.min(-np.diff(s, axis=-1)) > min_gap):
            return [a], {}


@st.composite
def symmetric_source(draw):
    """X whose symmetric part (X + X^T) / 2 has eigenvalues at least 0.3 apart."""
    n, batch = draw(st.integers(1, 4)), draw(batch_shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    while True:
        x = rng.uniform(-2, 2, batch + (n, n))
        w = np.linalg.eigvalsh((x + np.swapaxes(x, -1, -2)) / 2)
        if n < 2 or np.min(np.diff(w, axis=-1)) > 0.3:
            return [x], {}


@st.composite
def solve_pair(draw):
    (a,), _ = draw(square())
    n, batch = a.shape[-1], a.shape[:-2]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["matrix", "vector", "broadcast"]))
    if kind == "vector":
        return [a, rng.uniform(-2, 2, batch + (n,))], {}
    k = draw(st.integers(1, 3))
    b_batch = (2,) + batch if kind == "broadcast" else batch
    return [a, rng.uniform(-2, 2, b_batch + (n, k))], {}


@st.composite
def matrix_with_ord(draw, ords):
    (a,), _ = draw(rectangular())
    return [a], {"ord": draw(st.sampled_from(ords)), "keepdim": draw(st.booleans())}


@st.composite
def vector_with_ord(draw, dims=(None, -1, 0, (0, -1))):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dim = draw(st.sampled_from(dims))
    shape = draw(st.sampled_from([(2, 3), (2, 3, 2)] + ([(4,)] * (type(dim) is not tuple))))
    x = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2, shape)
    x = x + np.arange(x.size).reshape(shape) * 1e-3  # no ties for inf / -inf
    return [x], {"ord": draw(st.sampled_from([2, 1, 3, 0.5, -1, math.inf, -math.inf])),
                 "dim": dim, "keepdim": draw(st.booleans())}


def _sym(la, x):
    return (x + x.transpose(-1, -2)) / 2


def _spd(la, x):
    n = x.shape[-1]
    return x @ x.transpose(-1, -2) + n * la.eye(n, dtype=x.dtype)


def _fix_sign(la, v, rows=False):
    """v with each column (rows=True: row) scaled by the sign of its first entry."""
    if rows:
        return v * v[..., :, :1].sign()
    return v * v[..., :1, :].sign()


def _np_fix_sign(v, rows=False):
    return v * np.sign(v[..., :, :1] if rows else v[..., :1, :])


def _np_sym(x):
    return (x + np.swapaxes(x, -1, -2)) / 2


def _np_spd(x):
    return x @ np.swapaxes(x, -1, -2) + x.shape[-1] * np.eye(x.shape[-1])


def _eigh(la, x):
    w, v = la.linalg.eigh(_sym(la, x))
    return la.cat([w, _fix_sign(la, v).flatten(-2)], -1)


def _np_eigh(x):
    w, v = np.linalg.eigh(_np_sym(x))
    return np.concatenate([w, _np_fix_sign(v).reshape(x.shape[:-2] + (-1,))], -1)


def _svd(la, x, full_matrices=False):
    u, s, vh = la.linalg.svd(x, full_matrices=full_matrices)
    k = s.shape[-1]
    signs = u[..., :1, :k].sign()
    return la.cat([(u[..., :k] * signs).flatten(-2), s,
                   (vh[..., :k, :] * signs.transpose(-1, -2)).flatten(-2)], -1)


def _np_svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    signs = np.sign(u[..., :1, :])
    batch = x.shape[:-2]
    return np.concatenate([(u * signs).reshape(batch + (-1,)), s,
                           (vh * np.swapaxes(signs, -1, -2)).reshape(batch + (-1,))], -1)


def _np_matrix_norm(a, ord, keepdim):  # noqa: A002
    result = np.linalg.norm(a, ord=ord, axis=(-2, -1), keepdims=keepdim)
    return result


def _np_vector_norm(x, ord, dim, keepdim):  # noqa: A002
    if dim is None:
        flat = np.linalg.norm(x.reshape(-1), ord=ord)
        return flat.reshape((1,) * x.ndim) if keepdim else flat
    axes = dim if isinstance(dim, tuple) else (dim,)
    a = np.abs(x)
    if ord == math.inf:
        return a.max(axis=axes, keepdims=keepdim)
    if ord == -math.inf:
        return a.min(axis=axes, keepdims=keepdim)
    return (a**ord).sum(axis=axes, keepdims=keepdim) ** (1 / ord)


def _matrix_power_ref(a, n):
    return np.linalg.matrix_power(a, n)


LINALG = [
    row("inv", lambda la, a: la.linalg.inv(a), np.linalg.inv, square()),
    row("inverse_method", lambda la, a: a.inverse(), np.linalg.inv, square()),
    row("det", lambda la, a: la.linalg.det(a), np.linalg.det, square()),
    row("det_method", lambda la, a: a.det(), np.linalg.det, square()),
    row("slogdet", lambda la, a: la.linalg.slogdet(a).logabsdet,
        lambda a: np.linalg.slogdet(a)[1], square()),
    row("slogdet_sign_times", lambda la, a: la.linalg.slogdet(a)[0] * la.linalg.slogdet(a)[1],
        lambda a: np.prod(np.linalg.slogdet(a), axis=0), square()),
    row("logdet_spd", lambda la, x: la.logdet(_spd(la, x)),
        lambda x: np.linalg.slogdet(_np_spd(x))[1], square()),
    row("solve", lambda la, a, b: la.linalg.solve(a, b), lambda a, b: (
        np.linalg.solve(a, b[..., None])[..., 0] if b.ndim == a.ndim - 1 else
        np.linalg.solve(a, b)), solve_pair()),
    row("solve_right", lambda la, a, b: la.linalg.solve(a, b.transpose(-1, -2), left=False),
        lambda a, b: np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), b), -1, -2),
        square(2)),
    row("cholesky", lambda la, x: la.linalg.cholesky(_spd(la, x)),
        lambda x: np.linalg.cholesky(_np_spd(x)), square(conditioned=False)),
    row("cholesky_upper", lambda la, x: la.linalg.cholesky(_spd(la, x), upper=True),
        lambda x: np.swapaxes(np.linalg.cholesky(_np_spd(x)), -1, -2),
        square(conditioned=False)),
    row("cholesky_method", lambda la, x: _spd(la, x).cholesky(),
        lambda x: np.linalg.cholesky(_np_spd(x)), square(conditioned=False)),
    row("eigh", _eigh, _np_eigh, symmetric_source()),
    row("eigvalsh", lambda la, x: la.linalg.eigvalsh(_sym(la, x)),
        lambda x: np.linalg.eigvalsh(_np_sym(x)), symmetric_source()),
    row("svd", _svd, _np_svd, rectangular()),
    row("svdvals", lambda la, x: la.linalg.svdvals(x),
        lambda x: np.linalg.svd(x, compute_uv=False), rectangular()),
    row("svd_old_api", lambda la, x: la.svd(x)[0] * la.svd(x)[0][..., :1, :].sign(),
        lambda x: _np_fix_sign(np.linalg.svd(x, full_matrices=False)[0]), rectangular()),
    row("pinv", lambda la, x: la.linalg.pinv(x), np.linalg.pinv, rectangular()),
    row("pinverse", lambda la, x: la.pinverse(x), np.linalg.pinv, rectangular()),
    row("matrix_power_3", lambda la, a: la.linalg.matrix_power(a, 3),
        lambda a: _matrix_power_ref(a, 3), square()),
    row("matrix_power_-2", lambda la, a: la.matrix_power(a, -2),
        lambda a: _matrix_power_ref(a, -2), square()),
    row("matrix_power_0", lambda la, a: a.matrix_power(0) + a,
        lambda a: _matrix_power_ref(a, 0) + a, square()),
    row("matrix_norm", lambda la, a, ord, keepdim: la.linalg.matrix_norm(a, ord, keepdim=keepdim),
        _np_matrix_norm, matrix_with_ord(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])),
    row("norm_matrix", lambda la, a, ord, keepdim: la.linalg.norm(a, ord, (-2, -1), keepdim),
        _np_matrix_norm, matrix_with_ord(["fro", 1, math.inf, 2])),
    row("vector_norm", lambda la, x, ord, dim, keepdim: la.linalg.vector_norm(
        x, ord, dim, keepdim), _np_vector_norm, vector_with_ord()),
    row("norm_vector", lambda la, x, ord, dim, keepdim: la.linalg.norm(
        x, ord if dim is not None or x.ndim == 1 else None, dim, keepdim),
        lambda x, ord, dim, keepdim: _np_vector_norm(
            x, ord if dim is not None or x.ndim == 1 else 2, dim, keepdim),
        vector_with_ord(dims=(None, -1, 0))),
    row("cross", lambda la, a, b: la.linalg.cross(a, b), lambda a, b: np.cross(a, b),
        st.integers(0, 2**32 - 1).map(lambda seed: ([
            np.random.default_rng(seed).uniform(-2, 2, (2, 3)),
            np.random.default_rng(seed + 1).uniform(-2, 2, (1, 3))], {}))),
    row("multi_dot", lambda la, a, b, c: la.linalg.multi_dot([a, b, c]),
        lambda a, b, c: a @ b @ c,
        st.integers(0, 2**32 - 1).map(lambda seed: ([
            np.random.default_rng(seed).uniform(-2, 2, (4,)),
            np.random.default_rng(seed + 1).uniform(-2, 2, (4, 3)),
            np.random.default_rng(seed + 2).uniform(-2, 2, (3, 2))], {}))),
    row("diagonal", lambda la, a: la.linalg.diagonal(a, offset=1),
        lambda a: np.diagonal(a, 1, -2, -1), square()),
    row("vecdot", lambda la, a, b: la.linalg.vecdot(a, b), lambda a, b: (a * b).sum(-1),
        square(2)),
]

(test_forward_matches_numpy, test_backward_matches_central_differences, test_matches_pytorch,
 test_float32_stays_float32) = table_tests(LINALG)


# ----------------------------------------------------------------------------- beyond the table
def test_linalg_is_the_front_door_namespace():
    torch = pytest.importorskip("torch")
    for name in ("norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve",
                 "cholesky", "qr", "eigh", "svd", "svdvals", "pinv", "matrix_power", "cross",
                 "multi_dot", "diagonal", "vecdot", "matrix_rank"):
        assert callable(getattr(tg.linalg, name)) and hasattr(torch.linalg, name), name


def test_slogdet_is_a_named_tuple_with_the_sign():
    a = Tensor(np.array([[0.0, 2.0], [3.0, 1.0]]))  # det = -6
    result = tg.linalg.slogdet(a)
    assert result.sign.item() == -1.0
    assert result.logabsdet.item() == pytest.approx(math.log(6))
    assert math.isnan(tg.logdet(a).item()) and math.isnan(a.logdet().item())


def test_svd_full_matrices_by_default_and_reconstructs():
    rng = np.random.default_rng(0)
    a = Tensor(rng.standard_normal((2, 5, 3)))
    u, s, vh = tg.linalg.svd(a)
    assert u.shape == (2, 5, 5) and s.shape == (2, 3) and vh.shape == (2, 3, 3)
    np.testing.assert_allclose(np.swapaxes(u._data, -1, -2) @ u._data, np.broadcast_to(
        np.eye(5), (2, 5, 5)), atol=1e-12)
    np.testing.assert_allclose((u._data[..., :3] * s._data[..., None, :]) @ vh._data, a._data,
                               atol=1e-12)
    u_old, s_old, v_old = tg.svd(a)
    assert u_old.shape == (2, 5, 3) and v_old.shape == (2, 3, 3)
    np.testing.assert_allclose(v_old._data, np.swapaxes(vh._data, -1, -2))


def test_svd_full_matrices_gradient_matches_pytorch():
    """The extra columns of full U get no gradient, as in PyTorch."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).uniform(-2, 2, (4, 2))
    mine, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for lib, leaf in ((tg, mine), (torch, theirs)):
        u, s, vh = lib.linalg.svd(leaf)
        signs = u[..., :1, :2].sign()
        ((u[..., :2] * signs) ** 2 * lib.arange(8.0).reshape(4, 2)).sum().backward()
    np.testing.assert_allclose(mine.grad._data, theirs.grad.numpy(), atol=1e-10)


def test_qr_values_and_modes():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((2, 4, 3))
    for mode in ("reduced", "complete", "r"):
        q, r = tg.linalg.qr(Tensor(x), mode=mode)
        tq, tr = torch.linalg.qr(torch.tensor(x), mode=mode)
        assert q.shape == tuple(tq.shape) and r.shape == tuple(tr.shape)
        np.testing.assert_allclose(np.abs(r._data), np.abs(tr.numpy()), atol=1e-12)
    q, r = tg.linalg.qr(Tensor(x))
    np.testing.assert_allclose(q._data @ r._data, x, atol=1e-12)


def test_matrix_rank_and_pinv_of_a_rank_deficient_matrix():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    assert tg.linalg.matrix_rank(Tensor(x)).item() == 2
    assert tg.linalg.matrix_rank(Tensor(x)).dtype == np.int64
    np.testing.assert_allclose(tg.linalg.pinv(Tensor(x))._data,
                               torch.linalg.pinv(torch.tensor(x)).numpy(), atol=1e-12)


def test_second_derivatives_match_pytorch():
    """create_graph=True through the rules (which record Inv and Solve on Tensors)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b = rng.uniform(-1, 1, (2, 3, 3)) + 2 * np.eye(3)
    cases = [lambda la, x, y: la.linalg.inv(x).sum() * 2 + (la.linalg.det(x) * y).sum(),
             lambda la, x, y: (la.linalg.solve(x, y) ** 2).sum(),
             lambda la, x, y: (la.linalg.cholesky(_spd(la, x)) ** 3).sum(),
             lambda la, x, y: (la.linalg.slogdet(x).logabsdet * 3).sum(),
             lambda la, x, y: (_eigh(la, x) ** 3).sum(),
             lambda la, x, y: (_svd(la, x) ** 3).sum(),
             lambda la, x, y: (la.linalg.svdvals(x) ** 3).sum()]
    for case in cases:
        grads = []
        for lib, make in ((tg, lambda v: Tensor(v, requires_grad=True)),
                          (torch, lambda v: torch.tensor(v, requires_grad=True))):
            x, y = make(a), make(b)
            (gx,) = lib.autograd.grad(case(lib, x, y), [x], create_graph=True) if lib is torch \
                else tg.grad(case(lib, x, y), [x], create_graph=True)
            (gx * gx).sum().backward()
            grads.append(x.grad.detach().numpy() if lib is torch else x.grad._data)
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-8, atol=1e-10)


def test_errors_are_pytorchs():
    with pytest.raises(RuntimeError, match="singular"):
        tg.linalg.inv(Tensor(np.zeros((2, 2))))
    with pytest.raises(RuntimeError, match="positive-definite"):
        tg.linalg.cholesky(Tensor(-np.eye(2)))
    with pytest.raises(RuntimeError, match="square"):
        tg.linalg.det(Tensor(np.ones((2, 3))))


@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((2, 5, 3), (2, 5, 1)), ((3, 5), (3, 2))])
def test_lstsq_solves_least_squares_with_gradients(shapes):
    rng = np.random.default_rng(3)
    a_values, b_values = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    a, b = Tensor(a_values, requires_grad=True), Tensor(b_values, requires_grad=True)
    result = tg.linalg.lstsq(a, b)
    expected = np.linalg.pinv(a_values) @ b_values  # minimum-norm least squares, by NumPy
    np.testing.assert_allclose(result.solution.detach().numpy(), expected, atol=1e-10)
    assert result.residuals.shape == (0,) and result.singular_values.shape == (0,)
    np.testing.assert_array_equal(result.rank.numpy(), np.linalg.matrix_rank(a_values))
    (result.solution * result.solution).sum().backward()
    numeric = np.zeros_like(b_values)  # d/dB sum(X^2) by central differences
    for index in np.ndindex(b_values.shape):
        step = np.zeros_like(b_values)
        step[index] = 1e-6
        plus = np.linalg.pinv(a_values) @ (b_values + step)
        minus = np.linalg.pinv(a_values) @ (b_values - step)
        numeric[index] = ((plus ** 2).sum() - (minus ** 2).sum()) / 2e-6
    np.testing.assert_allclose(b.grad.numpy(), numeric, rtol=1e-5, atol=1e-8)
    assert a.grad is not None and a.grad.shape == a.shape


def test_lstsq_gelsd_gives_residuals_and_singular_values():
    rng = np.random.default_rng(4)
    a_values, b_values = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    result = tg.linalg.lstsq(Tensor(a_values), Tensor(b_values), driver="gelsd")
    solution, residuals, _, values = np.linalg.lstsq(a_values, b_values, rcond=None)
    np.testing.assert_allclose(result.solution.numpy(), solution, atol=1e-12)
    np.testing.assert_allclose(result.residuals.numpy(), residuals)
    np.testing.assert_allclose(result.singular_values.numpy(), values)
    with pytest.raises(ValueError, match="driver must be"):
        tg.linalg.lstsq(Tensor(a_values), Tensor(b_values), driver="lapack")


def _numeric_gradient(function, a, step=1e-5):
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[index] = step
        grad[index] = (function(a + e) - function(a - e)) / (2 * step)
    return grad


@pytest.mark.parametrize("name", ["eigvalsh", "svdvals", "nuc", "spectral"])
def test_second_derivatives_of_eigen_and_singular_values(name):
    """H @ ones for f(A) = sum(values^3) (or a norm squared), against NumPy central
    differences of NumPy central differences."""
    a0 = np.array([[2.0, 0.5, 0.1], [0.3, 1.0, 0.2], [0.4, 0.7, 3.0]])
    ours = {"eigvalsh": lambda a: (tg.linalg.eigvalsh(a @ a.T) ** 3).sum(),
            "svdvals": lambda a: (tg.linalg.svdvals(a) ** 3).sum(),
            "nuc": lambda a: tg.linalg.matrix_norm(a, "nuc") ** 2,
            "spectral": lambda a: tg.linalg.matrix_norm(a, 2) ** 2}[name]
    exact = {"eigvalsh": lambda a: (np.linalg.eigvalsh(a @ a.T) ** 3).sum(),
             "svdvals": lambda a: (np.linalg.svd(a, compute_uv=False) ** 3).sum(),
             "nuc": lambda a: np.linalg.svd(a, compute_uv=False).sum() ** 2,
             "spectral": lambda a: np.linalg.svd(a, compute_uv=False).max() ** 2}[name]
    a = Tensor(a0.copy(), requires_grad=True)
    (g,) = tg.grad(ours(a), a, create_graph=True)
    (second,) = tg.grad(g.sum(), a)
    np.testing.assert_allclose(g.detach().numpy(), _numeric_gradient(exact, a0), rtol=1e-6)
    ones = np.ones_like(a0)
    numeric = (_numeric_gradient(exact, a0 + 1e-4 * ones, 1e-4)
               - _numeric_gradient(exact, a0 - 1e-4 * ones, 1e-4)) / 2e-4
    np.testing.assert_allclose(second.numpy(), numeric, rtol=1e-4, atol=1e-4)


def _positive_definite(seed: int, n: int = 4) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def test_solve_triangular_reads_one_triangle_only():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(4, 4)) + 4 * np.eye(4), rng.normal(size=(4, 2))
    for upper in (True, False):
        for unit in (False, True):
            part = np.triu(a, 1 if unit else 0) if upper else np.tril(a, -1 if unit else 0)
            part = part + np.eye(4) if unit else part
            x = tg.linalg.solve_triangular(Tensor(a), Tensor(b), upper=upper,
                                           unitriangular=unit)
            np.testing.assert_allclose(x.numpy(), np.linalg.solve(part, b), atol=1e-12)
    right = tg.linalg.solve_triangular(Tensor(a), Tensor(b.T), upper=True, left=False)
    np.testing.assert_allclose(right.numpy(), b.T @ np.linalg.inv(np.triu(a)), atol=1e-12)
    solution, copy = tg.triangular_solve(Tensor(b), Tensor(a), upper=False, transpose=True)
    np.testing.assert_allclose(solution.numpy(), np.linalg.solve(np.tril(a).T, b), atol=1e-12)
    np.testing.assert_array_equal(copy.numpy(), a)


def test_cholesky_solve_and_cholesky_ex():
    a, b = _positive_definite(7), np.random.default_rng(8).normal(size=(4, 3))
    low = np.linalg.cholesky(a)
    x = tg.cholesky_solve(Tensor(b), Tensor(low))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), atol=1e-12)
    np.testing.assert_allclose(tg.cholesky_solve(Tensor(b), Tensor(low.T), upper=True).numpy(),
                               np.linalg.solve(a, b), atol=1e-12)
    factor, info = tg.linalg.cholesky_ex(Tensor(a))
    np.testing.assert_allclose(factor.numpy(), low)
    assert info.item() == 0
    _, bad = tg.linalg.cholesky_ex(Tensor(np.array([[1.0, 2.0], [2.0, 1.0]])))
    assert bad.item() == 2  # the 2x2 leading minor is not positive-definite
    with pytest.raises(RuntimeError, match="positive-definite"):
        tg.linalg.cholesky_ex(Tensor(np.array([[1.0, 2.0], [2.0, 1.0]])), check_errors=True)


def test_triangular_solvers_match_pytorch_gradients():
    torch = pytest.importorskip("torch")
    a, b = _positive_definite(9), np.random.default_rng(10).normal(size=(4, 2))
    low = np.linalg.cholesky(a)
    results = []
    for lib in (tg, torch):
        factor = lib.tensor(low.copy(), requires_grad=True)
        rhs = lib.tensor(b.copy(), requires_grad=True)
        matrix = lib.tensor(a.copy(), requires_grad=True)
        out = (lib.cholesky_solve(rhs, factor) ** 2).sum() + (
            lib.linalg.solve_triangular(matrix, rhs, upper=True) ** 2).sum()
        out.backward()
        results.append([t.grad.numpy() for t in (factor, rhs, matrix)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)


def test_cholesky_ex_factors_the_good_matrices_of_a_mixed_batch():
    good, bad = np.array([[4.0, 1.0], [1.0, 3.0]]), np.array([[1.0, 2.0], [2.0, 1.0]])
    factor, info = tg.linalg.cholesky_ex(Tensor(np.stack([good, bad])))
    np.testing.assert_allclose(factor.numpy()[0], np.linalg.cholesky(good))
    # the bad one: LAPACK's partial factor (column 0 done, the failed pivot 1 - 2^2 = -3)
    np.testing.assert_allclose(factor.numpy()[1], [[1.0, 0.0], [2.0, -3.0]])
    assert info.numpy().tolist() == [0, 2]


def test_lstsq_takes_a_vector_and_solve_triangular_checks_b():
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=5)
    result = tg.linalg.lstsq(Tensor(a), Tensor(b))
    np.testing.assert_allclose(result.solution.numpy(), np.linalg.lstsq(a, b, rcond=None)[0],
                               atol=1e-12)
    for bad in (np.ones(3), np.ones((2, 3)), np.ones((4, 2))):
        with pytest.raises(RuntimeError, match="Incompatible shapes|at least 2 dimensions"):
            tg.linalg.solve_triangular(Tensor(np.eye(3)), Tensor(bad), upper=True)
