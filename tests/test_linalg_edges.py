"""`tg.linalg` on singular and degenerate inputs, as PyTorch 2.13 behaves there.

Repeated eigen/singular values (with the vectors unused: no gap term, a finite gradient),
singular matrices (inf and NaN from the zero pivot rather than an error), zero matrices
(pinv's and lstsq's gradients 0), and empty matrices and batches. Each test checks a value
worked out by hand, and PyTorch's where it is installed (float64 throughout). Results holding
both inf and -inf are never summed: their gradients are seeded with `backward(weights)`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg

SINGULAR = [[1.0, 2.0], [2.0, 4.0]]  # rank 1: LU pivots on 2, leaving U = [[2, 4], [0, 0]]


def _weights(shape):
    """A non-uniform upstream gradient (1 ... 2), so that transposed rules cannot pass."""
    count = math.prod(shape)
    return np.linspace(1.0, 2.0, max(count, 1))[:count].reshape(shape)


def _run(lib, f, values):
    """(outputs, input gradients) of f(lib, *inputs), with `_weights` as the upstream gradient
    of every float output (a gradient None where no output depends on the input)."""
    inputs = [lib.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    out = f(lib, *inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    used = [o for o in outs if o.requires_grad]
    if used:
        lib.autograd.backward(used, [lib.tensor(_weights(tuple(o.shape))) for o in used])
    grads = [None if t.grad is None else t.grad.detach().numpy().copy() for t in inputs]
    return [o.detach().numpy().copy() for o in outs], grads


def _same_as_pytorch(f, *values, atol=1e-10):
    """Run f on tg and torch; outputs and gradients equal, inf and NaN in the same places.
    (Through a zero pivot the places can differ from PyTorch's for some matrices: MKL's LU
    rounds differently, or orders a transposed solve differently; the matrices here avoid
    that.)"""
    torch = pytest.importorskip("torch")
    ours = _run(tg, f, values)
    with warnings.catch_warnings():  # (torch.triangular_solve is deprecated)
        warnings.simplefilter("ignore", UserWarning)
        theirs = _run(torch, f, values)
    for mine, reference in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        assert (mine is None) == (reference is None)
        if mine is not None:
            np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=atol)
    return ours


# ------------------------------------------------------------- repeated eigen/singular values
@pytest.mark.parametrize("name", ["eigh", "eigvalsh"])
def test_eigenvalue_gradient_of_the_identity_is_the_identity(name):
    a = tg.eye(2, dtype=tg.float64).requires_grad_()
    values = tg.linalg.eigh(a)[0] if name == "eigh" else tg.linalg.eigvalsh(a)
    values.sum().backward()  # sum of the eigenvalues = trace(A): gradient I (was all NaN)
    np.testing.assert_array_equal(a.grad.numpy(), np.eye(2))


@pytest.mark.parametrize("matrix", [np.eye(2), np.diag([1.0, 2.0, 2.0]), np.zeros((3, 3)),
                                    [[2.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 2.0]]])
def test_eigenvalue_gradients_with_repeated_eigenvalues(matrix):
    def values(la, a):
        return la.linalg.eigh(a)[0]

    diagonal = np.count_nonzero(matrix - np.diag(np.diag(matrix))) == 0
    # V diag(g) V^T: with unequal g on a repeated eigenvalue it depends on the eigenvectors
    # chosen for it, which LAPACKs agree on for a diagonal matrix only
    (_, (grad,)) = _same_as_pytorch(values, matrix) if diagonal else _run(tg, values, [matrix])
    w, v = np.linalg.eigh(np.asarray(matrix))
    np.testing.assert_allclose(grad, v @ np.diag(_weights(w.shape)) @ v.T, atol=1e-12)
    assert np.isfinite(grad).all()


def test_eigenvectors_with_repeated_eigenvalues_stay_undefined_as_pytorch():
    (_, (grad,)) = _same_as_pytorch(lambda la, a: la.linalg.eigh(a), np.eye(2))
    assert np.isnan(grad).all()  # the gap term 1 / (w_j - w_i) is formed: NaN, no warning


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (3, 2), (2, 3), (4, 2), (2, 4)])
@pytest.mark.parametrize("kind", ["eye", "zeros", "rank1"])
@pytest.mark.parametrize("full", [True, False])
def test_singular_value_gradients_with_repeated_or_zero_values(shape, kind, full):
    m, n = shape
    a = {"eye": np.eye(m, n), "zeros": np.zeros(shape),
         "rank1": np.outer(np.arange(1.0, m + 1), np.ones(n))}[kind]
    def values(la, x):
        return la.linalg.svd(x, full_matrices=full)[1]

    # U diag(g) Vh: for a singular value 0 of a rank 1 matrix other than 2 x 2, its singular
    # vectors come from a space of more dimensions, where LAPACKs may choose apart
    k = min(m, n)
    (_, (grad,)) = _run(tg, values, [a]) if kind == "rank1" and shape != (2, 2) else \
        _same_as_pytorch(values, a)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(grad, u @ np.diag(_weights((k,))) @ vh, atol=1e-12)
    assert np.isfinite(grad).all()


def test_singular_value_gradient_of_the_identity_is_the_identity():
    for values in (lambda a: tg.linalg.svd(a)[1], tg.linalg.svdvals,
                   lambda a: tg.linalg.matrix_norm(a, "nuc")):
        a = tg.eye(2, dtype=tg.float64).requires_grad_()
        values(a).sum().backward()  # sum of the singular values of I: gradient U Vh = I
        np.testing.assert_array_equal(a.grad.numpy(), np.eye(2))


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("matrix", [np.eye(3), np.zeros((2, 3)), np.diag([3.0, 3.0, 1.0])])
def test_spectral_and_nuclear_norms_with_repeated_singular_values(ord, matrix):
    (value,), (grad,) = _same_as_pytorch(lambda la, a: la.linalg.matrix_norm(a, ord), matrix)
    assert np.isfinite(grad).all()
    if ord == 2 and np.array_equal(matrix, np.eye(3)):  # the max of three tied 1s: 1/3 each
        np.testing.assert_allclose(grad, np.eye(3) / 3 * _weights(()), atol=1e-12)


def test_singular_vectors_with_repeated_values_stay_undefined_as_pytorch():
    (_, (grad,)) = _same_as_pytorch(lambda la, a: la.linalg.svd(a), np.eye(2))
    assert np.isnan(grad).all()


def test_second_derivatives_through_the_eigenvalues_use_the_vectors():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (tg, torch):
        a = lib.tensor(np.diag([1.0, 2.0, 4.0]) + 0.1, requires_grad=True)
        (g,) = lib.autograd.grad((lib.linalg.eigh(a)[0] ** 3).sum(), [a], create_graph=True)
        (g * lib.tensor(_weights((3, 3)))).sum().backward()  # g = 3 A^2: through V, 2nd pass
        grads.append(a.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-8, atol=1e-10)
    a = tg.tensor(np.diag([1.0, 2.0, 4.0]), requires_grad=True)
    (g,) = tg.grad((tg.linalg.eigvalsh(a) ** 3).sum(), [a], create_graph=True)
    g.sum().backward()  # d/dA_ii sum(3 A^2) = 6 A_ii along the diagonal
    np.testing.assert_allclose(np.diag(a.grad.numpy()), [6.0, 12.0, 24.0], atol=1e-12)


# ------------------------------------------------------------- pinv and lstsq
@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (3, 2)])
@pytest.mark.parametrize("hermitian", [False, True])
def test_pinv_gradient_of_a_zero_matrix_is_zero(shape, hermitian):
    if hermitian and shape[0] != shape[1]:
        return
    a = tg.zeros(*shape, dtype=tg.float64, requires_grad=True)
    p = tg.linalg.pinv(a, hermitian=hermitian)
    p.backward(tg.tensor(_weights(p.shape)))
    np.testing.assert_array_equal(p.numpy(), np.zeros(shape[::-1]))
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros(shape))  # was NaN
    _same_as_pytorch(lambda la, x: la.linalg.pinv(x, hermitian=hermitian), np.zeros(shape))


@pytest.mark.parametrize("matrix", [SINGULAR, [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
                                    [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 2.0, 3.0]],
                                    [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]])
def test_pinv_gradient_of_rank_deficient_matrices_matches_pytorch(matrix):
    (value,), (grad,) = _same_as_pytorch(lambda la, x: la.linalg.pinv(x), matrix)
    np.testing.assert_allclose(value, np.linalg.pinv(np.array(matrix)), atol=1e-12)
    assert np.isfinite(grad).all()


def test_pinv_gradient_of_a_rank_one_matrix_by_hand():
    # A = s u v^T, P = v u^T / s: along A, P scales as 1/s, so <dP/dA, A> = -P (Euler)
    u, v = np.array([0.6, 0.8]), np.array([1.0, 0.0, 0.0])
    a = tg.tensor(5.0 * np.outer(u, v), requires_grad=True)
    p = tg.linalg.pinv(a)
    weights = _weights(p.shape)
    p.backward(tg.tensor(weights))
    np.testing.assert_allclose((a.grad.numpy() * a.numpy()).sum(),
                               -(weights * p.numpy()).sum(), atol=1e-12)


def test_pinv_of_rank_deficient_batches_second_order_matches_pytorch():
    torch = pytest.importorskip("torch")
    a = np.stack([np.outer([1.0, 2.0, 3.0], [1.0, -1.0]), np.eye(3, 2)])
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad((lib.linalg.pinv(x) ** 2).sum(), [x], create_graph=True)
        (g ** 2).sum().backward()
        grads.append(x.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("driver", [None, "gelsd"])
def test_lstsq_with_a_zero_matrix_has_zero_gradients(driver):
    outputs, (grad_a, grad_b) = _same_as_pytorch(
        lambda la, a, b: la.linalg.lstsq(a, b, driver=driver).solution,
        np.zeros((2, 2)), np.ones((2, 1)))
    np.testing.assert_array_equal(outputs[0], np.zeros((2, 1)))
    np.testing.assert_array_equal(grad_a, np.zeros((2, 2)))  # was NaN
    np.testing.assert_array_equal(grad_b, np.zeros((2, 1)))


# ------------------------------------------------------------- determinants
def test_logdet_of_a_singular_matrix_is_minus_infinity_with_infinite_gradients():
    for function in (tg.logdet, lambda a: tg.linalg.slogdet(a)[1]):
        a = tg.tensor(SINGULAR, dtype=tg.float64, requires_grad=True)
        value = function(a)
        value.backward()  # (raised LinAlgError: Singular matrix)
        assert value.item() == -np.inf
        # A^T X = I through LU's zero pivot: x_2 = (1, -1/2) / 0, x_1 = (e - 4 x_2) / 2
        np.testing.assert_array_equal(a.grad.numpy(), [[-np.inf, np.inf], [np.inf, -np.inf]])


@pytest.mark.parametrize("matrix", [SINGULAR, np.zeros((2, 2)), [[1.0, 2.0], [3.0, 6.0]],
                                    [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 6.0]],
                                    [[0.0, 1.0, 2.0], [0.0, 3.0, 4.0], [0.0, 5.0, 7.0]],
                                    np.ones((3, 3))])
def test_slogdet_of_singular_matrices_matches_pytorch(matrix):
    (value,), (grad,) = _same_as_pytorch(lambda la, a: la.linalg.slogdet(a)[1], matrix)
    assert value == -np.inf and not np.isfinite(grad).all()


def test_logdet_of_a_batch_with_singular_and_negative_determinants_matches_pytorch():
    batch = np.stack([SINGULAR, np.eye(2), np.zeros((2, 2)), [[0.0, 1.0], [1.0, 0.0]],
                      [[2.0, 1.0], [1.0, 3.0]]])
    (value,), (grad,) = _same_as_pytorch(lambda la, a: la.logdet(a), batch)
    assert np.isnan(value[3]) and np.isclose(value[4], np.log(5.0))
    np.testing.assert_array_equal(grad[3], np.zeros((2, 2)))  # NaN branch: 0 (was A^-T g)
    np.testing.assert_allclose(grad[4], _weights((5,))[4] * np.linalg.inv([[2.0, 1.0],
                                                                            [1.0, 3.0]]).T)


def test_det_gradient_of_a_singular_matrix_stays_its_cofactor_matrix():
    a = tg.tensor(SINGULAR, dtype=tg.float64, requires_grad=True)
    tg.linalg.det(a).backward()  # d det / dA = cof(A) (PyTorch gives 0 without create_graph)
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


# ------------------------------------------------------------- QR
@pytest.mark.parametrize("shape", [(2, 2), (3, 2), (2, 3), (3, 3)])
@pytest.mark.parametrize("part", ["Q", "R", "both"])
def test_qr_gradient_of_a_zero_matrix_is_nan_as_pytorch(shape, part):
    def f(la, a):
        q, r = la.linalg.qr(a)
        return {"Q": q, "R": r, "both": (q, r)}[part]

    (_, (grad,)) = _same_as_pytorch(f, np.zeros(shape))  # (raised LinAlgError)
    m = shape[0]
    assert np.isnan(grad[:, :m]).any()
    if shape[1] > m:  # wide: the columns past m get Q gR (only): finite
        weights = _weights((m, shape[1]))
        expected = np.eye(m) @ weights[:, m:] if part == "R" else np.zeros((m, shape[1] - m))
        if part != "both":
            np.testing.assert_allclose(grad[:, m:], expected, atol=1e-12)
        assert np.isfinite(grad[:, m:]).all()


def test_qr_brief_example():
    a = tg.zeros(2, 2, requires_grad=True)
    tg.linalg.qr(a)[0].sum().backward()
    assert np.isnan(a.grad.numpy()).all()


@pytest.mark.parametrize("shape", [(2, 3), (2, 4)])
def test_qr_gradient_of_a_wide_rank_deficient_matrix_matches_pytorch(shape):
    # R's corner is ~1e-17: PyTorch's rule for wide A divides only zeros by it (the old one
    # here, through the square rule for [Q, R1], gave 57 for 3.4)
    a = np.outer(np.arange(1.0, shape[0] + 1), np.ones(shape[1]))
    _same_as_pytorch(lambda la, x: la.linalg.qr(x), a, atol=1e-8)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 3, 4)])
def test_qr_gradients_and_second_derivatives_match_pytorch(shape):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).normal(size=shape)
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        q, r = lib.linalg.qr(x)
        loss = (q * lib.tensor(_weights(q.shape))).sum() + (r ** 2 * 0.5).sum()
        (g,) = lib.autograd.grad(loss, [x], create_graph=True)
        (g ** 2).sum().backward()
        grads.append((g.detach().numpy(), x.grad.detach().numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------- triangular and LU solves
def test_solve_triangular_through_a_zero_on_the_diagonal():
    a = tg.tensor([[0.0, 1.0], [0.0, 1.0]], dtype=tg.float64, requires_grad=True)
    b = tg.ones(2, 1, dtype=tg.float64, requires_grad=True)
    x = tg.linalg.solve_triangular(a, b, upper=True)  # (raised LinAlgError)
    # back substitution: x_2 = 1 / 1 = 1, x_1 = (1 - 1 * 1) / 0 = NaN
    np.testing.assert_array_equal(x.numpy(), [[np.nan], [1.0]])
    x.backward(tg.ones(2, 1, dtype=tg.float64))
    # dB = A^-T g by forward substitution: (1 / 0, (1 - inf) / 1); dA = -triu(dB X^T)
    np.testing.assert_array_equal(b.grad.numpy(), [[np.inf], [-np.inf]])
    np.testing.assert_array_equal(a.grad.numpy(), [[np.nan, -np.inf], [0.0, np.inf]])


CASES = {
    "upper": lambda la, a, b: la.linalg.solve_triangular(a, b, upper=True),
    "lower": lambda la, a, b: la.linalg.solve_triangular(a, b, upper=False),
    "right": lambda la, a, b: la.linalg.solve_triangular(a, b.mT, upper=True, left=False),
    "right_lower": lambda la, a, b: la.linalg.solve_triangular(a, b.mT, upper=False,
                                                               left=False),
    "unit": lambda la, a, b: la.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("matrix", [[[0.0, 1.0], [0.0, 1.0]], [[0.0, 0.0], [1.0, 1.0]],
                                    np.zeros((2, 2)), [[1.0, 0.0], [1.0, 0.0]],
                                    [[[0.0, 1.0], [0.0, 1.0]], [[1.0, 1.0], [0.0, 2.0]]]])
def test_solve_triangular_with_singular_matrices_matches_pytorch(name, matrix):
    _same_as_pytorch(CASES[name], matrix, [[1.0, 2.0], [0.0, 1.0]])


def test_the_older_triangular_solve_and_lu_solve_through_singular_matrices():
    (x, _), _ = _same_as_pytorch(lambda la, b, a: la.triangular_solve(b, a),
                                 np.ones((2, 1)), [[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(x, [[np.nan], [1.0]])
    (x,), _ = _same_as_pytorch(
        lambda la, a, b: la.linalg.lu_solve(*la.linalg.lu_factor_ex(a)[:2], b),
        SINGULAR, np.ones((2, 1)))
    np.testing.assert_array_equal(x, [[-np.inf], [np.inf]])  # (raised LinAlgError)


@pytest.mark.parametrize("name", sorted(CASES))
def test_solve_triangular_second_derivatives_match_pytorch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3), rng.normal(size=(3, 2))
    grads = []
    for lib in (tg, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        (ga, gb) = lib.autograd.grad((CASES[name](lib, x, y) ** 3).sum(), [x, y],
                                     create_graph=True)
        ((ga ** 2).sum() + (gb ** 2).sum()).backward()
        grads.append([t.detach().numpy() for t in (ga, gb, x.grad, y.grad)])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("matrix", [SINGULAR, np.zeros((2, 2)), np.ones((3, 3))])
@pytest.mark.parametrize("part", ["lu", "lu_factor_ex"])
def test_lu_gradient_of_singular_matrices_is_nan_as_pytorch(matrix, part):
    def f(la, a):
        return la.linalg.lu(a)[1:] if part == "lu" else la.linalg.lu_factor_ex(a)[0]

    (_, (grad,)) = _same_as_pytorch(f, matrix)  # (raised LinAlgError)
    assert np.isnan(grad).any()


def test_lu_gradients_and_second_derivatives_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(3).normal(size=(2, 4, 4))
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(a, requires_grad=True)
        _, low, up = lib.linalg.lu(x)
        (g,) = lib.autograd.grad((low ** 3).sum() + (up ** 2).sum(), [x], create_graph=True)
        (g ** 2).sum().backward()
        grads.append((g.detach().numpy(), x.grad.detach().numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


# ------------------------------------------------------------- inv_ex, solve_ex, cond
def test_inv_ex_of_a_singular_matrix_is_lapacks_inf_and_nan():
    inverse, info = tg.linalg.inv_ex(tg.tensor(SINGULAR, dtype=tg.float64))
    assert info.item() == 2  # U[2, 2] = 0: x_2 = (1, -1/2) / 0, x_1 = (e_swapped - 4 x_2) / 2
    np.testing.assert_array_equal(inverse.numpy(), [[-np.inf, np.inf], [np.inf, -np.inf]])
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.inv(tg.tensor(SINGULAR))  # inv itself still refuses, as PyTorch


@pytest.mark.parametrize("matrix", [SINGULAR, np.zeros((2, 2)), np.ones((3, 3)),
                                    [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 2.0, 3.0]],
                                    [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 6.0]],
                                    np.stack([SINGULAR, [[2.0, 1.0], [1.0, 3.0]]])])
def test_inv_ex_and_solve_ex_of_singular_matrices_match_pytorch(matrix):
    n = np.shape(matrix)[-1]
    (inverse,), (grad,) = _same_as_pytorch(lambda la, a: la.linalg.inv_ex(a)[0], matrix)
    assert np.isnan(grad.reshape(-1, n, n)[0]).all()  # (was 0)
    (x,), (grad_a, grad_b) = _same_as_pytorch(lambda la, a, b: la.linalg.solve_ex(a, b)[0],
                                              matrix, np.ones((n, 2)))
    assert not np.isfinite(grad_b).all()  # (was no gradient at all)


def test_cond_of_a_singular_matrix_is_infinite_with_a_zero_gradient():
    for p in ("fro", "nuc", 1, -1, math.inf, -math.inf):
        a = tg.tensor(np.stack([SINGULAR, np.eye(2)]), dtype=tg.float64, requires_grad=True)
        value = tg.linalg.cond(a, p)
        value.sum().backward()
        assert value[0].item() == np.inf and value[1].item() == np.linalg.cond(np.eye(2), p)
        np.testing.assert_array_equal(a.grad.numpy()[0], np.zeros((2, 2)))  # never NaN


# ------------------------------------------------------------- empty and 0 x 0 matrices
@pytest.mark.parametrize("shape", [(0, 2, 2), (0, 0), (0, 3), (3, 0), (2, 0, 3)])
@pytest.mark.parametrize("name", ["svd", "svd_reduced", "svdvals", "qr", "pinv", "eigh"])
def test_decompositions_of_empty_matrices_and_batches(shape, name):
    if name == "eigh" and shape[-1] != shape[-2]:
        return
    f = {"svd": lambda la, a: la.linalg.svd(a),
         "svd_reduced": lambda la, a: la.linalg.svd(a, full_matrices=False),
         "svdvals": lambda la, a: la.linalg.svdvals(a), "qr": lambda la, a: la.linalg.qr(a),
         "pinv": lambda la, a: la.linalg.pinv(a), "eigh": lambda la, a: la.linalg.eigh(a)}[name]
    torch = pytest.importorskip("torch")
    ours = f(tg, tg.zeros(*shape, dtype=tg.float64))  # (an empty batch raised in svd and qr)
    theirs = f(torch, torch.zeros(*shape, dtype=torch.float64))
    for mine, reference in zip(*(o if isinstance(o, tuple) else (o,) for o in (ours, theirs))):
        assert tuple(mine.shape) == tuple(reference.shape)
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


@pytest.mark.parametrize("ord", [2, 1, math.inf, "nuc", "fro", -2])
@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (0, 2, 2), (2, 0, 3)])
def test_matrix_norms_of_empty_matrices_are_zero(ord, shape):
    ordinal = ord if isinstance(ord, str) else float(ord)
    if ord == -2 and shape != (0, 2, 2):  # the smallest of no values: an error, as PyTorch
        with pytest.raises(RuntimeError):
            tg.linalg.matrix_norm(tg.zeros(*shape), ordinal)
        return
    value = tg.linalg.matrix_norm(tg.zeros(*shape, dtype=tg.float64), ordinal)
    np.testing.assert_array_equal(value.numpy(), np.zeros(shape[:-2]))  # (raised)


@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, math.inf, "fro", "nuc"])
@pytest.mark.parametrize("shape", [(0, 0), (0, 2, 2)])
def test_cond_of_empty_matrices_is_zero(p, shape):
    value = tg.linalg.cond(tg.zeros(*shape, dtype=tg.float64), p)  # (raised for some p)
    np.testing.assert_array_equal(value.numpy(), np.zeros(shape[:-2]))
    assert value.shape == shape[:-2]


# ------------------------------------------------------------- matrix_power(A, 0)
def test_matrix_power_zero_has_a_zero_gradient():
    a = tg.tensor([[1.0, 2.0], [np.inf, 4.0]], dtype=tg.float64, requires_grad=True)
    result = tg.linalg.matrix_power(a, 0)
    np.testing.assert_array_equal(result.numpy(), np.eye(2))  # I, even with an inf in A
    result.sum().backward()  # (raised: the identity did not depend on A)
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros((2, 2)))
    _same_as_pytorch(lambda la, x: la.linalg.matrix_power(x, 0), SINGULAR)
