"""Round 17 (f): linear algebra against PyTorch 2.13: cholesky_solve never reads B as vectors,
lstsq's rule for B's dims, PyTorch's error text for singular, non-positive-definite and
non-square matrices (the diagonal element / leading minor and the batch element), eig/eigvals
and the removed torch.* names refused with PyTorch's guidance, pinv/lstsq accurate for
ill-conditioned matrices (the SVD, not the normal equations), NaN matrices giving NaN from
det/inv/solve and their gradients, the norms' input and dtype= checks, matrix_power's integer
n, ldl_factor/ldl_solve (LAPACK's pivots), cholesky(upper=True) reading the upper triangle,
vecdot/multi_dot refusals, tensorinv of empty tensors, keyword names."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

RNG = np.random.default_rng(17)
SINGULAR = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])  # LU's third pivot is zero


def _spd(*batch: int, n: int = 3) -> np.ndarray:
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# ---- 1. cholesky_solve: B is always a batch of matrices --------------------------------------
def test_cholesky_solve_b_with_one_dim_fewer_is_matrices():
    low = np.linalg.cholesky(_spd(3))  # (3, 3, 3): B (3, 3) looks like linalg.solve's vectors
    b = RNG.standard_normal((3, 3))
    out = tg.cholesky_solve(tg.tensor(b), tg.tensor(low))
    assert tuple(out.shape) == (3, 3, 3)
    expected = np.linalg.solve(low @ np.swapaxes(low, -1, -2), b)  # B broadcast as a matrix
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    if torch is not None:
        ref = torch.cholesky_solve(torch.tensor(b), torch.tensor(low))
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-10, atol=1e-10)


def test_cholesky_solve_singular_factor_gives_non_finite_not_an_error():
    out = tg.cholesky_solve(tg.ones(3, 2, dtype=tg.float64),
                            tg.tensor(np.tril(np.ones((3, 3))) * np.array([1, 1, 0.0])))
    assert not np.isfinite(out.numpy()).any()  # PyTorch: all NaN, no error


# ---- 2. lstsq: one dim fewer is vectors, however long; else the same number of dims ----------
@pytest.mark.parametrize(("a_shape", "b_shape", "match"), [
    ((2, 5, 3), (5, 2), r"input.size\(-2\) should match other.size\(-1\)"),  # vectors of 2
    ((2, 2, 5, 3), (5, 2), r"input.dim\(\) must be greater or equal to other.dim\(\)"),
    ((5, 3), (2, 5, 2), r"input.dim\(\) must be greater or equal to other.dim\(\)"),
    ((5, 3), (4, 2), r"input.size\(-2\) should match other.size\(-2\)"),
])
def test_lstsq_refuses_b_shapes_pytorch_refuses(a_shape, b_shape, match):
    a, b = RNG.standard_normal(a_shape), RNG.standard_normal(b_shape)
    with pytest.raises(RuntimeError, match=match):
        tg.linalg.lstsq(tg.tensor(a), tg.tensor(b))
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.linalg.lstsq(torch.tensor(a), torch.tensor(b))


def test_lstsq_vector_and_matrix_right_hand_sides():
    a = RNG.standard_normal((5, 5, 3))
    b = RNG.standard_normal((5, 5))  # one dim fewer: five vectors
    out = tg.linalg.lstsq(tg.tensor(a), tg.tensor(b)).solution
    assert tuple(out.shape) == (5, 3)
    expected = np.stack([np.linalg.lstsq(a[i], b[i], rcond=None)[0] for i in range(5)])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-8, atol=1e-10)
    b2 = RNG.standard_normal((1, 5, 2))  # same dims: matrices, batch broadcast
    out2 = tg.linalg.lstsq(tg.tensor(a), tg.tensor(b2)).solution
    assert tuple(out2.shape) == (5, 3, 2)
    np.testing.assert_allclose(out2.numpy()[1], np.linalg.lstsq(a[1], b2[0], rcond=None)[0],
                               rtol=1e-8, atol=1e-10)


# ---- 3. PyTorch's error text ------------------------------------------------------------------
INV = ("The diagonal element 3 is zero, the inversion could not be completed because the "
       "input matrix is singular.")
PD = ("The factorization could not be completed because the input is not positive-definite "
      "(the leading minor of order {} is not positive-definite).")
EYE = np.eye(3)


@pytest.mark.parametrize(("call", "data", "text"), [
    (lambda a: tg.linalg.inv(a), SINGULAR, "linalg.inv: " + INV),
    (lambda a: tg.inverse(a), SINGULAR, "linalg.inv: " + INV),
    (lambda a: tg.linalg.inv(a), np.stack([EYE, SINGULAR]),
     "linalg.inv: (Batch element 1): " + INV),
    (lambda a: tg.linalg.inv(a), np.zeros((2, 2)), "linalg.inv: The diagonal element 1 is zero"),
    (lambda a: tg.linalg.inv_ex(a, check_errors=True), np.stack([EYE, EYE, SINGULAR]),
     "linalg.inv_ex: (Batch element 2): " + INV),
    (lambda a: tg.linalg.solve(a, tg.ones(2, 3, 1, dtype=tg.float64)), np.stack([EYE, SINGULAR]),
     "linalg.solve: (Batch element 1): The solver failed because the input matrix is singular."),
    (lambda a: tg.linalg.solve_ex(a, tg.ones(2, 3, 1, dtype=tg.float64), check_errors=True),
     np.stack([EYE, SINGULAR]),
     "linalg.solve_ex: (Batch element 1): The solver failed because the input matrix is singular."),
    (lambda a: tg.linalg.cholesky(a), -EYE, "linalg.cholesky: " + PD.format(1)),
    (lambda a: tg.linalg.cholesky(a), np.diag([1.0, 1, -1]), "linalg.cholesky: " + PD.format(3)),
    (lambda a: tg.linalg.cholesky(a), np.stack([EYE, -EYE]),
     "linalg.cholesky: (Batch element 1): " + PD.format(1)),
    (lambda a: tg.linalg.cholesky_ex(a, check_errors=True), np.stack([EYE, np.diag([1.0, -1, 1])]),
     "linalg.cholesky_ex: (Batch element 1): " + PD.format(2)),
    (lambda a: tg.linalg.lu_factor_ex(a, check_errors=True), np.stack([EYE, SINGULAR]),
     "linalg.lu_factor_ex: (Batch element 1): U[3,3] is zero"),
])
def test_singular_and_not_positive_definite_messages(call, data, text):
    with pytest.raises(tg.linalg.LinAlgError) as info:
        call(tg.tensor(data))
    assert text in str(info.value)
    if torch is not None:  # PyTorch's own text ("torch.linalg.solve" for solve's op name)
        fn = {"linalg.inv": torch.linalg.inv, "linalg.cholesky": torch.linalg.cholesky}.get(
            text.split(":")[0])
        if fn is not None and text.endswith("."):
            with pytest.raises(torch.linalg.LinAlgError) as ref:
                fn(torch.tensor(data))
            assert str(ref.value) == text


# ---- 4. eig / eigvals: complex results, refused clearly; the removed torch.* names -----------
@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_eig_refused_with_the_reason(name):
    fn = getattr(tg.linalg, name)
    with pytest.raises(NotImplementedError, match=rf"linalg.{name}: .*complex.*linalg.eigh"):
        fn(tg.eye(3))
    with pytest.raises(RuntimeError, match="square matrices"):  # bad input: PyTorch's error
        fn(tg.ones(2, 3))
    if torch is not None:
        assert torch.linalg.eigvals(torch.eye(3)).dtype == torch.complex64  # why it is refused


@pytest.mark.parametrize(("name", "args", "replacement"), [
    ("eig", 1, "torch.linalg.eigvals(A)"), ("symeig", 1, "torch.linalg.eigvalsh(A, UPLO="),
    ("lstsq", 2, "torch.linalg.lstsq(A, B).solution"), ("solve", 2, "torch.linalg.solve(A, B)"),
    ("matrix_rank", 1, "torch.linalg.matrix_rank"),
])
def test_removed_torch_names_raise_pytorchs_error(name, args, replacement):
    with pytest.raises(RuntimeError) as info:
        getattr(tg, name)(*[tg.eye(2)] * args)
    text = str(info.value)
    assert text.startswith("This function was deprecated since version 1.9 and is now removed.")
    assert replacement in text
    if torch is not None:
        with pytest.raises(RuntimeError) as ref:
            getattr(torch, name)(*[torch.eye(2)] * args)
        assert str(ref.value) == text


# ---- 5. pinv and lstsq through the SVD: accurate for ill-conditioned matrices ------------------
def _conditioned(cond: float, dtype) -> np.ndarray:
    """A (5, 3) matrix with singular values 1, 1/sqrt(cond), 1/cond."""
    u, _ = np.linalg.qr(RNG.standard_normal((5, 5)))
    v, _ = np.linalg.qr(RNG.standard_normal((3, 3)))
    return ((u[:, :3] * [1, cond ** -0.5, 1 / cond]) @ v.T).astype(dtype)


@pytest.mark.parametrize(("cond", "dtype", "tol"), [(1e5, np.float32, 1e-3),
                                                    (1e10, np.float64, 1e-6)])
def test_pinv_and_lstsq_of_an_ill_conditioned_matrix(cond, dtype, tol):
    # the normal equations (A^T A)^-1 A^T square the condition number: ~100% error here
    a = _conditioned(cond, dtype)
    ref = np.linalg.pinv(a.astype(np.float64))  # float64 SVD of the same (rounded) matrix
    scale = np.abs(ref).max()
    p = tg.linalg.pinv(tg.tensor(a))
    assert p.dtype == (tg.float32 if dtype == np.float32 else tg.float64)
    assert np.abs(p.numpy() - ref).max() / scale < tol
    x = tg.linalg.lstsq(tg.tensor(a), tg.tensor(np.eye(5, dtype=dtype))).solution
    assert np.abs(x.numpy() - ref).max() / scale < tol


def test_pinv_of_a_tiny_matrix_and_its_gradients():
    p = tg.linalg.pinv(tg.tensor(np.eye(2) * 1e-200))  # A^T A underflows to 0
    np.testing.assert_allclose(p.numpy(), np.eye(2) * 1e200)
    a = RNG.standard_normal((4, 3))
    at = tg.tensor(a, requires_grad=True)
    weight = RNG.standard_normal((3, 4))
    (grad,) = tg.autograd.grad((tg.linalg.pinv(at) * tg.tensor(weight)).sum(), at)
    eps, numeric = 1e-6, np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        numeric[i] = ((np.linalg.pinv(a + d) - np.linalg.pinv(a - d)) * weight).sum() / (2 * eps)
    np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


# ---- 6. a matrix holding a NaN: NaN results, as LAPACK gives PyTorch (not 0 / singular) -------
NAN = np.array([[np.nan, 1.0], [1.0, 1.0]])  # NumPy: det 0, "singular"


def test_nan_matrix_det_slogdet_inv_solve(recwarn):
    batch = tg.tensor(np.stack([np.eye(2) * 2, NAN]))
    det = tg.linalg.det(batch).numpy()
    assert det[0] == 4.0 and np.isnan(det[1])
    sign, logabsdet = tg.linalg.slogdet(batch)
    assert sign.tolist() == [1.0, 0.0] and np.isnan(logabsdet.numpy()[1])
    assert np.isnan(tg.logdet(batch).numpy()[1])
    inverse = tg.linalg.inv(batch).numpy()
    np.testing.assert_allclose(inverse[0], np.eye(2) / 2)
    assert np.isnan(inverse[1]).all()
    inverse, info = tg.linalg.inv_ex(batch)
    assert info.tolist() == [0, 0] and np.isnan(inverse.numpy()[1]).all()
    x = tg.linalg.solve(batch, tg.ones(2, 2, dtype=tg.float64)).numpy()
    np.testing.assert_allclose(x[0], [0.5, 0.5])
    assert np.isnan(x[1]).all()
    x, info = tg.linalg.solve_ex(batch, tg.ones(2, 2, dtype=tg.float64))
    assert info.tolist() == [0, 0] and np.isnan(x.numpy()[1]).all()
    assert np.isinf(tg.linalg.cond(batch, 1).numpy()[1])
    assert not [w for w in recwarn if "invalid value" in str(w.message)]
    if torch is not None:
        tb = torch.tensor(np.stack([np.eye(2) * 2, NAN]))
        assert np.isnan(torch.linalg.det(tb).numpy()[1])
        assert np.isnan(torch.linalg.inv(tb).numpy()[1]).all()
        assert torch.linalg.slogdet(tb).sign.tolist() == [1.0, 0.0]
        assert np.isinf(torch.linalg.cond(tb, 1).numpy()[1])


# ---- 7. the norms' input and dtype= checks, matrix_power's n ---------------------------------
NORMS = {
    "linalg.vector_norm": lambda x, **k: tg.linalg.vector_norm(x, **k),
    "linalg.matrix_norm": lambda x, **k: tg.linalg.matrix_norm(x, **k),
    "linalg.norm": lambda x, **k: tg.linalg.norm(x, **k),
    "torch.norm": lambda x, **k: tg.norm(x, **k),
    "Tensor.norm": lambda x, **k: x.norm(**k),
}


@pytest.mark.parametrize("name", sorted(NORMS))
def test_norm_input_and_dtype_checks(name):
    fn = NORMS[name]
    op = "matrix_norm" if name == "linalg.matrix_norm" else "vector_norm"
    ints = tg.ones(2, 3, dtype=tg.int64)
    with pytest.raises(RuntimeError, match=f"linalg.{op}: Expected a floating point"):
        fn(ints, dtype=tg.float32)  # dtype= does not stand in for a float input
    with pytest.raises(RuntimeError, match=f"linalg.{op}: the dtype of the input .* without "
                                           f"narrowing"):
        fn(tg.ones(2, 3, dtype=tg.float64), dtype=tg.float32)
    widened = fn(tg.full((2, 3), 2.0), dtype=tg.float64)
    assert widened.dtype == tg.float64
    assert widened.item() == pytest.approx(math.sqrt(24.0))
    if torch is not None:
        tfn = {"linalg.vector_norm": torch.linalg.vector_norm,
               "linalg.matrix_norm": torch.linalg.matrix_norm, "linalg.norm": torch.linalg.norm,
               "torch.norm": torch.norm, "Tensor.norm": torch.Tensor.norm}[name]
        with pytest.raises(RuntimeError, match="narrowing"):
            tfn(torch.ones(2, 3, dtype=torch.float64), dtype=torch.float32)
        with pytest.raises(RuntimeError, match="Expected a floating point"):
            tfn(torch.ones(2, 3, dtype=torch.int64), dtype=torch.float32)


def test_vector_norm_ord_must_be_a_number():
    with pytest.raises(TypeError, match="argument 'ord' must be Number, not str"):
        tg.linalg.vector_norm(tg.ones(3), ord="fro")


@pytest.mark.parametrize("n", [2.0, True, "2"])
def test_matrix_power_n_must_be_an_int(n):
    with pytest.raises(TypeError, match="argument 'n' \\(position 2\\) must be int"):
        tg.linalg.matrix_power(tg.eye(2), n)
    assert tg.linalg.matrix_power(tg.eye(2) * 2, tg.tensor(3))[0, 0].item() == 8.0
    assert tg.linalg.matrix_power(tg.eye(2) * 2, np.int64(-1))[0, 0].item() == 0.5


# ---- 8. linalg.ldl_factor / ldl_factor_ex / ldl_solve (LAPACK's Bunch-Kaufman) --------------
LDL_CASES = [  # (A, LAPACK's LD, pivots): no pivoting; a 2x2 block with a swap; a 2x2 block
    ([[4.0, 1, 2], [1, 5, 3], [2, 3, 6]],
     [[4.0, 0, 0], [0.25, 4.75, 0], [0.5, 2.5 / 4.75, 5 - 2.5 * 2.5 / 4.75]], [1, 2, 3]),
    ([[0.0, 1, 2], [1, 0, 3], [2, 3, 0]], [[0.0, 0, 0], [2, 0, 0], [1.5, 0.5, -3]], [-3, -3, 3]),
    ([[1.0, 5, 0], [5, 1, 0], [0, 0, 2]], [[1.0, 0, 0], [5, 1, 0], [0, 0, 2]], [-2, -2, 3]),
]


@pytest.mark.parametrize(("a", "ld", "pivots"), LDL_CASES)
def test_ldl_factor_is_lapacks(a, ld, pivots):
    result = tg.linalg.ldl_factor(tg.tensor(a, dtype=tg.float64))
    np.testing.assert_allclose(result.LD.numpy(), ld, rtol=1e-14, atol=1e-15)
    assert result.pivots.tolist() == pivots and result.pivots.dtype == tg.int32
    b = np.array([[1.0, 2], [3, 4], [5, 6]])
    x = tg.linalg.ldl_solve(result.LD, result.pivots, tg.tensor(b))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(np.array(a), b), rtol=1e-12,
                               atol=1e-14)


def test_ldl_random_batches_match_pytorch_and_solve():
    sym = RNG.standard_normal((2, 3, 7, 7))
    sym = sym + np.swapaxes(sym, -1, -2)
    sym[0, 0][np.diag_indices(7)] = 0  # forces 2x2 blocks
    ld, pivots, info = tg.linalg.ldl_factor_ex(tg.tensor(sym.astype(np.float32)))
    assert ld.dtype == tg.float32 and tuple(pivots.shape) == (2, 3, 7)
    assert info.tolist() == [[0, 0, 0], [0, 0, 0]]
    b = RNG.standard_normal((3, 7, 2))  # batch dims broadcast
    ld, pivots, _ = tg.linalg.ldl_factor_ex(tg.tensor(sym))
    x = tg.linalg.ldl_solve(ld, pivots, tg.tensor(b))
    assert tuple(x.shape) == (2, 3, 7, 2)
    np.testing.assert_allclose(sym @ x.numpy(), np.broadcast_to(b, (2, 3, 7, 2)), atol=1e-9)
    if torch is not None:
        ref = torch.linalg.ldl_factor(torch.tensor(sym))
        assert np.array_equal(pivots.numpy(), ref.pivots.numpy())
        np.testing.assert_allclose(ld.numpy(), ref.LD.numpy(), rtol=1e-10, atol=1e-12)


def test_ldl_errors_and_no_derivative():
    singular = tg.tensor(np.stack([np.eye(3), np.zeros((3, 3))]))
    assert tg.linalg.ldl_factor_ex(singular).info.tolist() == [0, 1]
    with pytest.raises(tg.linalg.LinAlgError, match=r"\(Batch element 1\): .*singular"):
        tg.linalg.ldl_factor(singular)
    with pytest.raises(RuntimeError, match="square matrices"):
        tg.linalg.ldl_factor(tg.ones(2, 3))
    a = tg.tensor([[4.0, 1], [1, 3]], dtype=tg.float64, requires_grad=True)
    ld, pivots = tg.linalg.ldl_factor(a)
    assert ld.requires_grad and not pivots.requires_grad
    with pytest.raises(NotImplementedError, match="derivative for 'linalg_ldl_factor_ex'"):
        ld.sum().backward()
    x = tg.linalg.ldl_solve(ld.detach(), pivots, tg.ones(2, 1, dtype=tg.float64))
    np.testing.assert_allclose(x.numpy().ravel(), [2 / 11, 3 / 11])


# ---- 9. vecdot and multi_dot refuse what PyTorch refuses (no silent integer / batched forms) --
@pytest.mark.parametrize("dtype", [tg.int64, tg.int32, tg.bool])
def test_vecdot_needs_float_inputs(dtype):
    x = tg.ones(2, 3, dtype=dtype)
    with pytest.raises(RuntimeError, match="linalg.vecdot: Expected a floating point"):
        tg.linalg.vecdot(x, x)
    assert tg.linalg.vecdot(tg.ones(2, 3), tg.full((3,), 2.0)).tolist() == [6.0, 6.0]


@pytest.mark.parametrize(("shapes", "match"), [
    ([(2, 2, 3), (3, 4)], "the first tensor must be 1D or 2D but got 3D"),
    ([(2, 3), (3, 4, 4)], "the last tensor must be 1D or 2D but got 3D"),
    ([(3, 2), (2,), (2, 4)], "tensor 1 must be 2D but got 1D"),
])
def test_multi_dot_dims(shapes, match):
    with pytest.raises(RuntimeError, match=match):
        tg.linalg.multi_dot([tg.ones(*s) for s in shapes])
    if torch is not None:
        with pytest.raises(RuntimeError, match=match):
            torch.linalg.multi_dot([torch.ones(*s) for s in shapes])
    out = tg.linalg.multi_dot([tg.ones(3), tg.ones(3, 4), tg.ones(4)])
    assert out.shape == () and out.item() == 12.0


def test_tensorinv_and_tensorsolve_of_empty_tensors():
    assert tuple(tg.linalg.tensorinv(tg.zeros(0, 0, dtype=tg.float64), ind=1).shape) == (0, 0)
    assert tuple(tg.linalg.tensorinv(tg.zeros(0, 3, 3, 0, dtype=tg.float64)).shape) == (3, 0, 0, 3)
    a = RNG.standard_normal((4, 2, 2))
    inverse = tg.linalg.tensorinv(tg.tensor(a), ind=1).numpy()
    np.testing.assert_allclose(np.tensordot(a, inverse, 2), np.eye(4), atol=1e-10)


# ---- 10. cholesky(upper=True) reads A's upper triangle (LAPACK's potrf 'U'), as PyTorch ------
@pytest.mark.parametrize("fn", [
    lambda a: tg.linalg.cholesky(a, upper=True),
    lambda a: tg.linalg.cholesky_ex(a, upper=True).L,
    lambda a: tg.cholesky(a, upper=True),
])
def test_cholesky_upper_reads_the_upper_triangle(fn):
    spd = _spd()
    upper_only = np.triu(spd)  # below the diagonal: zeros (only the upper triangle filled)
    u = fn(tg.tensor(upper_only)).numpy()
    expected = np.linalg.cholesky(spd).T  # U with U^T U = A
    np.testing.assert_allclose(u, expected, rtol=1e-12, atol=1e-12)
    a = tg.tensor(upper_only, requires_grad=True)
    (grad,) = tg.autograd.grad(fn(a).sum(), a)
    eps, numeric = 1e-6, np.zeros((3, 3))
    for i in zip(*np.triu_indices(3)):  # one-sided: only the upper triangle is read
        d = np.zeros((3, 3))
        d[i] = eps
        f = [np.linalg.cholesky(np.triu(m) + np.triu(m, 1).T).T.sum() for m in
             (upper_only + d, upper_only - d)]
        numeric[i] = (f[0] - f[1]) / (2 * eps)
    np.testing.assert_allclose(np.triu(grad.numpy()) + np.tril(grad.numpy(), -1).T, numeric,
                               rtol=1e-5, atol=1e-7)
    if torch is not None:
        ref = torch.linalg.cholesky(torch.tensor(upper_only), upper=True)
        np.testing.assert_allclose(u, ref.numpy(), rtol=1e-12, atol=1e-12)


def test_cholesky_ex_upper_partial_factor_and_info():
    a = np.array([[1.0, 0.5, 0], [9, -3, 0], [0, 0, 1]])  # upper triangle: minor 2 fails
    u, info = tg.linalg.cholesky_ex(tg.tensor(a), upper=True)
    assert info.item() == 2
    lower, lower_info = tg.linalg.cholesky_ex(tg.tensor(a.T))
    np.testing.assert_allclose(u.numpy(), lower.numpy().T)
    assert lower_info.item() == 2


@pytest.mark.parametrize(("name", "shape", "text"), [
    ("inv", (2, 3), "linalg.inv: A must be batches of square matrices, but they are 2 by 3 "
                    "matrices"),
    ("det", (3,), "linalg.det: The input tensor A must have at least 2 dimensions."),
    ("cholesky", (4, 2, 5), "linalg.cholesky: A must be batches of square matrices, but they "
                            "are 2 by 5 matrices"),
])
def test_square_matrix_errors_are_pytorchs_text(name, shape, text):
    with pytest.raises(RuntimeError) as info:
        getattr(tg.linalg, name)(tg.ones(*shape))
    assert str(info.value) == text
    if torch is not None:
        with pytest.raises(RuntimeError) as ref:
            getattr(torch.linalg, name)(torch.ones(*shape))
        assert str(ref.value) == text
    with pytest.raises(RuntimeError, match=f"linalg.{name}: Expected a floating point or "
                                           f"complex tensor as input"):
        getattr(tg.linalg, name)(tg.ones(3, 3, dtype=tg.int64))


def test_keyword_names_vector_norm_x_and_ldl_input():
    x = tg.full((4,), 2.0)
    assert tg.linalg.vector_norm(x=x).item() == 4.0  # PyTorch's documented name
    assert tg.linalg.vector_norm(input=x, ord=1).item() == 8.0  # also taken by PyTorch
    assert tg.linalg.ldl_factor(input=tg.eye(2)).pivots.tolist() == [1, 2]
    assert tg.linalg.ldl_factor_ex(input=tg.eye(2)).info.item() == 0
    if torch is not None:
        assert torch.linalg.vector_norm(x=torch.full((4,), 2.0)).item() == 4.0
        assert torch.linalg.ldl_factor(input=torch.eye(2)).pivots.tolist() == [1, 2]


@pytest.mark.parametrize("fn", [
    lambda a: tg.linalg.det(a),
    lambda a: tg.linalg.solve(a, tg.ones(a.shape[-1], dtype=tg.float64)).sum(),
    lambda a: tg.linalg.inv(a).sum(),
    lambda a: tg.linalg.slogdet(a).logabsdet,
])
@pytest.mark.parametrize("data", [NAN, np.array([[1.0, 2, 3], [4, np.nan, 6], [7, 8, 10]])])
def test_nan_matrix_gradients_are_nan_not_an_error(fn, data):
    a = tg.tensor(data, requires_grad=True)
    (grad,) = tg.autograd.grad(fn(a), a)  # NumPy's inverse inside the rule: "singular"
    assert np.isnan(grad.numpy()).all()


@pytest.mark.parametrize("p", [1, -1, "fro", math.inf, -math.inf])
def test_cond_nan_is_inf_as_pytorch(p, recwarn):
    # an inf in A (a NaN in its inverse's norm), or for 'fro' ||A|| overflowing to inf and
    # ||A^-1|| underflowing to 0: PyTorch's nan_to_num(inf) of the product
    cases = [np.array([[1.0, 2], [2, np.inf]])] + ([np.eye(2) * 1e200] if p == "fro" else [])
    for data in cases:
        assert tg.linalg.cond(tg.tensor(data), p).item() == math.inf
        if torch is not None:
            assert torch.linalg.cond(torch.tensor(data), p).item() == math.inf
    assert not [w for w in recwarn if "invalid value" in str(w.message)]
    assert tg.linalg.cond(tg.tensor(np.eye(2) * 1e20), p).item() == pytest.approx(
        2.0 if p == "fro" else 1.0)
