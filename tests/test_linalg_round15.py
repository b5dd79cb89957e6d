"""Round 15: linalg, special and activation differences from PyTorch 2.13 found by a probe.

Each test compares with PyTorch where it is installed (float64 values and gradients) and
with values worked out by hand otherwise.
"""

from __future__ import annotations

import math

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


# --- 2, 4, 6, 7. pinv / matrix_rank: hermitian, tensor tolerances, rcond and tol ---

_RNG = np.random.RandomState(15)
_SQUARE = _RNG.randn(3, 3)
_RANK_ONE_COLUMNS = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 0.0], [3.0, 3.0, 0.0]])
_BATCH = _RNG.randn(2, 5, 3)


def _value_and_grad(lib, f, matrix):
    x = lib.tensor(matrix, dtype=lib.float64, requires_grad=True)
    y = f(lib, x)
    weights = lib.tensor(np.linspace(1.0, 2.0, y.numel()).reshape(tuple(y.shape)))
    (y * weights).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


def test_pinv_hermitian_reads_the_lower_triangle():
    # lower triangle of [[1,1,0],[2,2,0],[3,3,0]] is the symmetric [[1,2,3],[2,2,3],[3,3,0]]
    lower = np.tril(_RANK_ONE_COLUMNS) + np.tril(_RANK_ONE_COLUMNS, -1).T
    ours = tg.linalg.pinv(tg.tensor(_RANK_ONE_COLUMNS), hermitian=True).numpy()
    np.testing.assert_allclose(ours, np.linalg.inv(lower), atol=1e-12)


@needs_torch
@pytest.mark.parametrize("matrix", [_RANK_ONE_COLUMNS, _SQUARE, _SQUARE + _SQUARE.T])
def test_pinv_hermitian_values_and_gradient_match_torch(matrix):
    def f(lib, x):
        return lib.linalg.pinv(x, hermitian=True)

    for ours, theirs in zip(_value_and_grad(tg, f, matrix), _value_and_grad(torch, f, matrix)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


def test_matrix_rank_hermitian_counts_eigenvalue_magnitudes():
    diagonal = tg.tensor(np.diag([1.0, -2.0, 0.0]))
    assert tg.linalg.matrix_rank(diagonal, hermitian=True).item() == 2
    assert tg.linalg.matrix_rank(diagonal, hermitian=True, rtol=0.6).item() == 1  # 1 < 0.6*2


def test_batched_tolerances_cut_each_matrix():
    s = np.linalg.svd(_BATCH, compute_uv=False)
    atol = np.array([(s[0, 0] + s[0, 1]) / 2, (s[1, 1] + s[1, 2]) / 2])  # rank 1, then 2
    rank = tg.linalg.matrix_rank(tg.tensor(_BATCH), atol=tg.tensor(atol))
    assert rank.numpy().tolist() == [1, 2]
    p = tg.linalg.pinv(tg.tensor(_BATCH), atol=tg.tensor(atol)).numpy()
    for index, keep in ((0, 1), (1, 2)):
        u, sv, vh = np.linalg.svd(_BATCH[index], full_matrices=False)
        expected = vh[:keep].T @ np.diag(1 / sv[:keep]) @ u[:, :keep].T
        np.testing.assert_allclose(p[index], expected, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("kwargs", [
    {"atol": "tensor", "values": [2.5, 1.8]}, {"rtol": "tensor", "values": [0.5, 0.9]},
    {"atol": "tensor", "values": [0.0, 1.8]}, {"atol": "tensor", "values": 1.8}])
def test_tensor_tolerances_match_torch(kwargs):
    name = "atol" if "atol" in kwargs else "rtol"

    def run(lib, f):
        return f(lib.tensor(_BATCH), **{name: lib.tensor(kwargs["values"])}).numpy()

    for function in ("pinv", "matrix_rank"):
        np.testing.assert_allclose(run(tg, getattr(tg.linalg, function)),
                                   run(torch, getattr(torch.linalg, function)), atol=1e-12)


def test_tolerance_that_does_not_broadcast_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"linalg.pinv: atol \(shape \(3,\)\)"):
        tg.linalg.pinv(tg.tensor(_BATCH), atol=tg.tensor([1.0, 2.0, 3.0]))


def test_pinv_rcond_is_a_relative_cutoff():
    s = np.linalg.svd(_SQUARE, compute_uv=False)
    rcond = (s[1] / s[0] + s[2] / s[0]) / 2  # drops the smallest singular value only
    u, sv, vh = np.linalg.svd(_SQUARE)
    expected = vh[:2].T @ np.diag(1 / sv[:2]) @ u[:, :2].T
    for result in (tg.linalg.pinv(tg.tensor(_SQUARE), rcond),
                   tg.linalg.pinv(tg.tensor(_SQUARE), rcond=rcond)):
        np.testing.assert_allclose(result.numpy(), expected, atol=1e-12)
    with pytest.raises(TypeError, match="rcond"):
        tg.linalg.pinv(tg.tensor(_SQUARE), 0.3, atol=0.1)


def test_matrix_rank_tol_is_an_absolute_cutoff_with_rtol_zero():
    singular = tg.tensor([[1.0, 2.0], [2.0, 4.0]])  # singular values 5 and ~1e-16
    assert tg.linalg.matrix_rank(singular, tol=0.0).item() == 2  # rtol 0: the noise counts
    assert tg.linalg.matrix_rank(singular, atol=0.0).item() == 1  # default rtol drops it
    assert tg.linalg.matrix_rank(singular, 4.9).item() == 1
    assert tg.linalg.matrix_rank(singular, 5.1).item() == 0
    with pytest.raises(TypeError, match="tol"):
        tg.linalg.matrix_rank(singular, 0.5, rtol=0.1)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda L, a: L.linalg.pinv(a, 0.3), lambda L, a: L.linalg.pinv(a, rcond=0.3),
    lambda L, a: L.linalg.pinv(a, 0.3, True), lambda L, a: L.linalg.matrix_rank(a, 1.5),
    lambda L, a: L.linalg.matrix_rank(a, tol=1.5), lambda L, a: L.linalg.matrix_rank(a, 1.0, True)])
def test_deprecated_positional_tolerances_match_torch(call):
    np.testing.assert_allclose(call(tg, tg.tensor(_SQUARE)).numpy(),
                               call(torch, torch.tensor(_SQUARE)).numpy(), atol=1e-12)


# --- 8. svd / svdvals driver= ---

def test_svd_driver_none_is_accepted_and_others_refused_as_on_the_cpu():
    a = tg.tensor(_SQUARE)
    np.testing.assert_allclose(tg.linalg.svd(a, driver=None).S.numpy(),
                               np.linalg.svd(_SQUARE, compute_uv=False))
    np.testing.assert_allclose(tg.linalg.svdvals(a, driver=None).numpy(),
                               np.linalg.svd(_SQUARE, compute_uv=False))
    for f in (tg.linalg.svd, tg.linalg.svdvals):
        with pytest.raises(RuntimeError, match="driver=` is only supported on CUDA"):
            f(a, driver="gesvd")


# --- 10. keyword names as PyTorch's ---

@pytest.mark.parametrize("call", [
    lambda L, a: L.det(input=a), lambda L, a: L.linalg.det(A=a), lambda L, a: L.inverse(input=a),
    lambda L, a: L.linalg.inv(A=a), lambda L, a: L.slogdet(input=a)[1],
    lambda L, a: L.logdet(input=a @ a.mT), lambda L, a: L.linalg.norm(input=a),
    lambda L, a: L.linalg.vector_norm(input=a), lambda L, a: L.linalg.matrix_norm(input=a),
    lambda L, a: L.linalg.cond(input=a), lambda L, a: L.linalg.matrix_power(input=a, n=2),
    lambda L, a: L.matrix_exp(input=a), lambda L, a: L.linalg.eigvalsh(input=a),
    lambda L, a: L.linalg.cholesky(input=a @ a.mT), lambda L, a: L.linalg.pinv(input=a),
    lambda L, a: L.linalg.matrix_rank(input=a), lambda L, a: L.linalg.tensorinv(input=a, ind=1),
    lambda L, a: L.linalg.lstsq(input=a, b=a).solution,
    lambda L, a: L.linalg.tensorsolve(input=a, other=a[0]),
    lambda L, a: L.linalg.solve_triangular(input=a.triu(), B=a, upper=True),
    lambda L, a: L.cholesky_solve(input=a, input2=a.tril() + 4 * L.eye(3, dtype=a.dtype)),
    lambda L, a: L.cholesky_inverse(input=a.tril() + 4 * L.eye(3, dtype=a.dtype)),
    lambda L, a: L.triangular_solve(input=a, A=a.triu()).solution,
    lambda L, a: L.linalg.householder_product(input=a, tau=a[0])])
@pytest.mark.filterwarnings("ignore:torch.triangular_solve is deprecated")
def test_keyword_names_as_torch(call):
    result = call(tg, tg.tensor(_SQUARE))
    if torch is not None:
        np.testing.assert_allclose(result.numpy(), call(torch, torch.tensor(_SQUARE)).numpy(),
                                   rtol=1e-9, atol=1e-12)
    else:
        assert np.isfinite(result.numpy()).all()


# --- 11, 12. LinAlgError for non-finite input; eigh's UPLO ---

@pytest.mark.parametrize("name", ["svd", "svdvals", "pinv", "matrix_rank", "cond", "eigh",
                                  "eigvalsh", "cholesky"])
def test_nan_input_raises_linalg_error(name):
    nan = tg.tensor(np.full((3, 3), np.nan))
    with pytest.raises(tg.linalg.LinAlgError, match="linalg"):
        getattr(tg.linalg, name)(nan)
    if torch is not None:
        with pytest.raises(torch.linalg.LinAlgError):
            getattr(torch.linalg, name)(torch.tensor(np.full((3, 3), np.nan)))


def test_eigh_inf_raises_linalg_error():
    with pytest.raises(tg.linalg.LinAlgError, match="failed to converge"):
        tg.linalg.eigh(tg.tensor(np.full((3, 3), np.inf)))


@pytest.mark.parametrize("name", ["eigh", "eigvalsh"])
def test_eigh_uplo_must_be_l_or_u(name):
    with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U', but got X"):
        getattr(tg.linalg, name)(tg.tensor(_SQUARE), UPLO="X")
    symmetric_from_upper = np.triu(_SQUARE) + np.triu(_SQUARE, 1).T
    ours = tg.linalg.eigvalsh(tg.tensor(_SQUARE), UPLO="u").numpy()  # lower case, as PyTorch
    np.testing.assert_allclose(ours, np.linalg.eigvalsh(symmetric_from_upper), atol=1e-12)


# --- 13-16. argument errors as PyTorch's ---

def test_norm_dim_out_of_range_is_an_index_error():
    x = tg.tensor(_RNG.randn(3, 4))
    for call in (lambda: tg.linalg.norm(x, dim=(0, 2)), lambda: tg.linalg.norm(x, dim=2),
                 lambda: tg.linalg.matrix_norm(x, dim=(0, -3)),
                 lambda: tg.linalg.vector_norm(x, dim=2)):
        with pytest.raises(IndexError, match="Dimension out of range"):
            call()


def test_norm_dim_lengths():
    x = tg.tensor(_RNG.randn(3, 4))
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple. Got 0 1 1"):
        tg.linalg.matrix_norm(x, dim=(0, 1, 1))
    with pytest.raises(RuntimeError, match="it must be of length 1 or 2"):
        tg.linalg.norm(x, dim=(0, 1, 1))


def test_householder_product_of_a_vector():
    with pytest.raises(RuntimeError, match="input must have at least 2 dimensions"):
        tg.linalg.householder_product(tg.tensor([1.0, 2.0, 3.0]), tg.tensor([1.0, 2.0, 3.0]))


def test_mvlgamma_p_must_be_an_int():
    x = tg.tensor([3.0, 4.0])
    for call in (lambda: tg.mvlgamma(x, 2.0), lambda: x.mvlgamma(2.0),
                 lambda: tg.special.multigammaln(x, 2.0)):
        with pytest.raises(TypeError, match="argument 'p' must be int"):
            call()
    np.testing.assert_allclose(tg.mvlgamma(x, 2).numpy(),
                               [0.5 * math.log(math.pi) + math.lgamma(v) + math.lgamma(v - 0.5)
                                for v in (3.0, 4.0)], rtol=1e-6)


# --- 17-19. lstsq per driver, torch.svd(compute_uv=False), triangular_solve's copy ---

@pytest.mark.parametrize("driver, residuals, rank, values", [
    (None, (0,), (2,), (0,)), ("gelsy", (0,), (2,), (0,)), ("gels", (2, 2), (0,), (0,)),
    ("gelsd", (2, 2), (2,), (2, 3)), ("gelss", (2, 2), (2,), (2, 3))])
def test_lstsq_outputs_per_driver(driver, residuals, rank, values):
    b = _RNG.randn(2, 5, 2)
    result = tg.linalg.lstsq(tg.tensor(_BATCH), tg.tensor(b), driver=driver)
    assert (tuple(result.residuals.shape), tuple(result.rank.shape),
            tuple(result.singular_values.shape)) == (residuals, rank, values)
    if residuals != (0,):
        x = np.linalg.lstsq(_BATCH[1], b[1], rcond=None)[0]
        np.testing.assert_allclose(result.residuals.numpy()[1],
                                   ((_BATCH[1] @ x - b[1]) ** 2).sum(0), rtol=1e-9)
    if rank != (0,):
        assert result.rank.numpy().tolist() == [3, 3]


@needs_torch
@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("tall", [True, False])
def test_lstsq_per_driver_matches_torch(driver, tall):
    a = _BATCH if tall else _BATCH.swapaxes(-1, -2)
    b = _RNG.randn(*a.shape[:-1], 2)
    ours = tg.linalg.lstsq(tg.tensor(a), tg.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    for x, y in zip(ours, theirs):
        assert tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape, some", [((2, 5, 3), True), ((2, 3, 5), True), ((2, 5, 3), False)])
def test_old_svd_without_uv_gives_square_zero_factors(shape, some):
    a = _RNG.randn(*shape)
    u, s, v = tg.svd(tg.tensor(a), some=some, compute_uv=False)
    m, n = shape[-2:]
    assert tuple(u.shape) == (2, m, m) and tuple(v.shape) == (2, n, n)
    assert not u.numpy().any() and not v.numpy().any()
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False))


@pytest.mark.parametrize("b_shape, a_shape, copy_shape", [
    ((2, 4, 2), (3, 1, 4, 4), (3, 2, 4, 4)), ((4, 2), (3, 1, 4, 4), (3, 1, 4, 4)),
    ((5, 4, 2), (4, 4), (5, 4, 4))])
def test_triangular_solve_copy_is_broadcast(b_shape, a_shape, copy_shape):
    a = np.triu(_RNG.randn(*a_shape)) + 3 * np.eye(4)
    solution, copy = tg.triangular_solve(tg.tensor(_RNG.randn(*b_shape)), tg.tensor(a))
    assert tuple(copy.shape) == copy_shape
    np.testing.assert_array_equal(copy.numpy(), np.broadcast_to(a, copy_shape))


# --- 20. cholesky_ex: LAPACK's partial factor ---

@pytest.mark.parametrize("matrix, factor, info", [
    ([[1.0, 0, 0], [0, -1, 0], [0, 0, 1]], [[1.0, 0, 0], [0, -1, 0], [0, 0, 1]], 2),
    ([[4.0, 2, 1], [2, 1, 3], [1, 3, 5]], [[2.0, 0, 0], [1, 0, 0], [0.5, 3, 5]], 2),
    ([[4.0, 2, 1, 0], [2, 5, 3, 1], [1, 3, -5, 2], [0, 1, 2, 7]],
     [[2.0, 0, 0, 0], [1, 2, 0, 0], [0.5, 1.25, -6.8125, 0], [0, 0.5, 2, 7]], 3),
    ([[-1.0, 2], [2, 3]], [[-1.0, 0], [2, 3]], 1)])
def test_cholesky_ex_partial_factor(matrix, factor, info):
    result = tg.linalg.cholesky_ex(tg.tensor(matrix))
    np.testing.assert_allclose(result.L.numpy(), factor, atol=1e-15)
    assert result.info.item() == info
    upper = tg.linalg.cholesky_ex(tg.tensor(matrix), upper=True).L.numpy()
    np.testing.assert_allclose(upper, np.array(factor).T, atol=1e-15)
    if torch is not None:
        theirs = torch.linalg.cholesky_ex(torch.tensor(matrix, dtype=torch.float64))
        np.testing.assert_allclose(result.L.numpy(), theirs.L.numpy(), atol=1e-15)
        assert result.info.item() == theirs.info.item()


# --- 5. out= on torch.linalg and torch.special ---

_SPD = _SQUARE @ _SQUARE.T + np.eye(3)
_OUT_SINGLE = [
    ("inv", lambda L, a, out: L.linalg.inv(a, out=out), lambda: np.linalg.inv(_SPD)),
    ("det", lambda L, a, out: L.linalg.det(a, out=out), lambda: np.linalg.det(_SPD)),
    ("solve", lambda L, a, out: L.linalg.solve(a, a[0], out=out),
     lambda: np.linalg.solve(_SPD, _SPD[0])),
    ("norm", lambda L, a, out: L.linalg.norm(a, out=out), lambda: np.linalg.norm(_SPD)),
    ("vector_norm", lambda L, a, out: L.linalg.vector_norm(a, 1, out=out),
     lambda: np.abs(_SPD).sum()),
    ("cholesky", lambda L, a, out: L.linalg.cholesky(a, out=out),
     lambda: np.linalg.cholesky(_SPD)),
    ("cross", lambda L, a, out: L.linalg.cross(a, a.flip(0), out=out),
     lambda: np.cross(_SPD, _SPD[::-1])),
    ("multi_dot", lambda L, a, out: L.linalg.multi_dot([a, a, a], out=out),
     lambda: _SPD @ _SPD @ _SPD),
    ("matrix_power", lambda L, a, out: L.linalg.matrix_power(a, 3, out=out),
     lambda: _SPD @ _SPD @ _SPD),
    ("matmul", lambda L, a, out: L.linalg.matmul(a, a, out=out), lambda: _SPD @ _SPD),
    ("pinv", lambda L, a, out: L.linalg.pinv(a, out=out), lambda: np.linalg.pinv(_SPD)),
    ("cond", lambda L, a, out: L.linalg.cond(a, out=out), lambda: np.linalg.cond(_SPD)),
    ("special.erf", lambda L, a, out: L.special.erf(a, out=out),
     lambda: np.vectorize(math.erf)(_SPD)),
    ("special.xlogy", lambda L, a, out: L.special.xlogy(a, a.abs(), out=out),
     lambda: _SPD * np.log(np.abs(_SPD))),
    ("special.round", lambda L, a, out: L.special.round(a, out=out), lambda: np.round(_SPD)),
    ("special.polygamma", lambda L, a, out: L.special.polygamma(0, a.abs() + 1, out=out),
     None),
    ("special.bessel_j0", lambda L, a, out: L.special.bessel_j0(a, out=out), None),
    ("special.chebyshev_polynomial_t",
     lambda L, a, out: L.special.chebyshev_polynomial_t(a, 2, out=out), lambda: 2 * _SPD ** 2 - 1),
    ("special.zeta", lambda L, a, out: L.special.zeta(a.abs() + 2, 1.0, out=out), None),
]


@pytest.mark.parametrize("name, call, expected", _OUT_SINGLE, ids=[c[0] for c in _OUT_SINGLE])
def test_out_writes_and_returns_out(name, call, expected):
    out = tg.empty(0, dtype=tg.float64)
    result = call(tg, tg.tensor(_SPD), out)
    assert result is out
    want = call(tg, tg.tensor(_SPD), None).numpy()
    np.testing.assert_allclose(out.numpy(), want)
    if expected is not None:
        np.testing.assert_allclose(out.numpy(), expected(), rtol=1e-9)
    if torch is not None:
        theirs = torch.empty(0, dtype=torch.float64)
        call(torch, torch.tensor(_SPD), theirs)  # (torch's Bessel J0: about 1e-8)
        np.testing.assert_allclose(out.numpy(), theirs.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("name, count", [("qr", 2), ("eigh", 2), ("slogdet", 2), ("svd", 3),
                                         ("inv_ex", 2), ("cholesky_ex", 2), ("lu_factor", 2)])
def test_out_tuples_for_multiple_outputs(name, count):
    result = getattr(tg.linalg, name)(tg.tensor(_SPD))
    outs = tuple(tg.empty(0, dtype=r.dtype) for r in result)
    returned = getattr(tg.linalg, name)(tg.tensor(_SPD), out=outs)
    assert len(outs) == count and type(returned) is type(result)
    assert all(r is o for r, o in zip(returned, outs))
    for o, r in zip(outs, result):
        np.testing.assert_array_equal(o.numpy(), r.numpy())


def test_linalg_out_needs_the_exact_dtype_special_casts():
    with pytest.raises(RuntimeError, match="linalg.inv.*dtype"):
        tg.linalg.inv(tg.tensor(_SPD), out=tg.empty(3, 3, dtype=tg.float32))
    out = tg.empty(3, dtype=tg.float32)
    tg.special.erf(tg.tensor([0.5, 1.0, 2.0], dtype=tg.float64), out=out)
    np.testing.assert_allclose(out.numpy(), [math.erf(0.5), math.erf(1.0), math.erf(2.0)],
                               rtol=1e-6)


def test_out_refuses_a_graph():
    x = tg.tensor(_SPD, requires_grad=True)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic"):
        tg.linalg.det(x, out=tg.empty(0, dtype=tg.float64))


def test_functions_without_out_in_torch_refuse_it():
    for f in (tg.linalg.matrix_exp, tg.linalg.diagonal, tg.linalg.vander, tg.special.softmax):
        with pytest.raises(TypeError):
            f(tg.tensor(_SPD), out=tg.empty(0))


# --- 9. torch.geqrf, ormqr, orgqr ---

@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 3), (0, 3)])
def test_geqrf_rebuilds_the_matrix(shape):
    matrix = _RNG.randn(*shape)
    a, tau = tg.geqrf(tg.tensor(matrix))
    m, n = shape[-2:]
    assert tuple(a.shape) == shape and tuple(tau.shape) == shape[:-2] + (min(m, n),)
    full = np.concatenate([a.numpy(), np.zeros(shape[:-1] + (max(m - n, 0),))], -1)
    q = tg.linalg.householder_product(tg.tensor(full[..., :m]), tau).numpy()  # (m, m)
    np.testing.assert_allclose(q @ np.triu(a.numpy()[..., :m, :]), matrix, atol=1e-12)
    if torch is not None:
        theirs = torch.geqrf(torch.tensor(matrix))
        np.testing.assert_allclose(a.numpy(), theirs.a.numpy(), atol=1e-12)
        np.testing.assert_allclose(tau.numpy(), theirs.tau.numpy(), atol=1e-12)


def test_geqrf_has_no_derivative_as_pytorch():
    x = tg.tensor(_RNG.randn(4, 3), requires_grad=True)
    result = x.geqrf()
    assert result.a.requires_grad
    with pytest.raises(NotImplementedError, match="derivative for 'geqrf' is not implemented"):
        result.a.sum().backward()


def test_ormqr_is_q_times_other():
    matrix, other = _RNG.randn(4, 3), _RNG.randn(4, 2)
    a, tau = tg.geqrf(tg.tensor(matrix))
    q = tg.ormqr(a, tau, tg.tensor(np.eye(4))).numpy()  # op(Q) @ I: Q itself (4 x 4)
    np.testing.assert_allclose(q[:, :3] @ np.triu(a.numpy())[:3], matrix, atol=1e-12)
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(tg.ormqr(a, tau, tg.tensor(other), transpose=True).numpy(),
                               q.T @ other, atol=1e-12)
    np.testing.assert_allclose(a.ormqr(tau, tg.tensor(other.T), left=False).numpy(),
                               other.T @ q, atol=1e-12)
    np.testing.assert_allclose(tg.orgqr(input=a, input2=tau).numpy(), q[:, :3], atol=1e-12)


@needs_torch
@pytest.mark.parametrize("shape_in, shape_other, left", [
    ((4, 3), (4, 2), True), ((4, 3), (2, 4), False), ((3, 5), (3, 2), True),
    ((2, 4, 3), (2, 4, 2), True), ((4, 2), (3, 4), False)])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr_values_and_gradients_match_torch(shape_in, shape_other, left, transpose):
    a, tau = torch.geqrf(torch.tensor(_RNG.randn(*shape_in)))
    other = _RNG.randn(*shape_other)

    def run(lib):
        inputs = [lib.tensor(v, requires_grad=True) for v in (a.numpy(), tau.numpy(), other)]
        y = lib.ormqr(*inputs, left, transpose)
        (y * lib.tensor(np.linspace(1.0, 2.0, y.numel()).reshape(tuple(y.shape)))).sum().backward()
        return [y.detach().numpy()] + [t.grad.numpy() for t in inputs]

    for ours, theirs in zip(run(tg), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_ormqr_shape_errors_name_the_shapes():
    a, tau = tg.geqrf(tg.tensor(_RNG.randn(4, 3)))
    with pytest.raises(RuntimeError, match=r"torch.ormqr: input of shape \(4, 3\)"):
        tg.ormqr(a, tau, tg.tensor(_RNG.randn(3, 2)))
