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


# 4. NaN in unique(dim=) and searchsorted: PyTorch's comparisons (NaN is neither smaller nor
# larger; rows holding NaN are never equal), not NumPy's NaN-sorts-last.
_NAN = float("nan")
_NAN_ROWS = [[1, _NAN], [0, 2], [1, 1], [1, _NAN], [0, _NAN]]


@pytest.mark.parametrize("lib", LIBS)
def test_unique_dim_rows_with_nan(lib):
    values = lib.unique(lib.tensor([[1, _NAN], [0, 2], [1, 1]]), dim=0)
    np.testing.assert_array_equal(_np(values), [[0, 2], [1, _NAN], [1, 1]])
    values, inverse, counts = lib.unique(lib.tensor(_NAN_ROWS), dim=0, return_inverse=True,
                                         return_counts=True)
    np.testing.assert_array_equal(_np(values), [[0, 2], [0, _NAN], [1, _NAN], [1, 1],
                                                [1, _NAN]])
    assert inverse.tolist() == [2, 0, 3, 4, 1] and counts.tolist() == [1] * 5
    columns, inverse = lib.unique(lib.tensor(_NAN_ROWS).T, dim=1, return_inverse=True)
    np.testing.assert_array_equal(_np(columns), _np(values).T)
    assert inverse.tolist() == [2, 0, 3, 4, 1]


@needs_torch
def test_unique_dim_with_nan_matches_torch_on_random_small_inputs():
    rng = np.random.default_rng(3)
    for _ in range(200):
        rows = rng.integers(0, 3, (int(rng.integers(1, 17)), int(rng.integers(1, 4)))) * 1.0
        rows[rng.random(rows.shape) < 0.2] = _NAN
        ours = tg.unique(tg.tensor(rows), dim=0, return_inverse=True, return_counts=True)
        theirs = torch.unique(torch.tensor(rows), dim=0, return_inverse=True,
                              return_counts=True)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("lib", LIBS)
def test_unique_dim_without_nan_unchanged(lib):
    values, inverse = lib.unique(lib.tensor([[2, 1], [0, 5], [2, 1]]), dim=0,
                                 return_inverse=True)
    assert values.tolist() == [[0, 5], [2, 1]] and inverse.tolist() == [1, 0, 1]


@pytest.mark.parametrize("lib", LIBS)
def test_searchsorted_with_nan_boundaries(lib):
    boundaries = lib.tensor([1.0, 2.0, _NAN])
    assert lib.searchsorted(boundaries, lib.tensor([5.0])).tolist() == [3]
    assert lib.searchsorted(boundaries, lib.tensor([5.0, _NAN, 0.0, 2.0])).tolist() == [3, 3, 0, 1]
    assert lib.searchsorted(boundaries, lib.tensor([5.0, _NAN, 0.0, 2.0]),
                            right=True).tolist() == [3, 3, 0, 3]
    assert lib.searchsorted(lib.tensor([1.0, _NAN, 2.0, 3.0]),
                            lib.tensor([5.0, _NAN, 0.0, 2.0, 2.5])).tolist() == [4, 4, 2, 2, 3]
    assert lib.searchsorted(lib.tensor([_NAN, 2.0, 1.0]), lib.tensor([5.0, 1.5]),
                            sorter=lib.tensor([2, 1, 0])).tolist() == [3, 1]
    assert lib.searchsorted(lib.tensor([[1.0, _NAN], [1.0, 2.0]]),
                            lib.tensor([[5.0, 0.0], [5.0, 1.5]])).tolist() == [[2, 2], [2, 1]]
    assert lib.bucketize(lib.tensor([5.0, _NAN]), boundaries).tolist() == [3, 3]
    scalar = lib.searchsorted(boundaries, 5.0)
    assert scalar.ndim == 0 and scalar.item() == 3
    small = lib.searchsorted(boundaries, lib.tensor([[5.0, 1.0]]), out_int32=True)
    assert small.tolist() == [[3, 0]] and small.dtype == lib.int32


@needs_torch
def test_searchsorted_with_nan_matches_torch_on_random_inputs():
    rng = np.random.default_rng(4)
    for _ in range(300):
        size = int(rng.integers(1, 8))
        boundaries = np.sort(rng.integers(0, 5, size) * 1.0)
        boundaries[rng.random(size) < 0.3] = _NAN
        values = rng.integers(-1, 6, 5) * 1.0
        values[rng.random(5) < 0.2] = _NAN
        for right in (False, True):
            ours = tg.searchsorted(tg.tensor(boundaries), tg.tensor(values), right=right)
            theirs = torch.searchsorted(torch.tensor(boundaries), torch.tensor(values),
                                        right=right)
            assert ours.tolist() == theirs.tolist()


# 5. LU's gradient for tall and wide matrices (it refused them).
def _lu_parts(lib, a):
    _, low, up = lib.linalg.lu(a)
    return lib.cat([low.reshape(-1), up.reshape(-1)])


def _lu_packed(lib, a):
    return lib.linalg.lu_factor_ex(a)[0]


@needs_torch
@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (2, 4, 3), (2, 3, 5), (1, 4), (4, 1), (3, 3)])
@pytest.mark.parametrize("function", [_lu_parts, _lu_packed])
def test_lu_gradient_of_non_square_matches_torch(shape, function):
    a = np.random.default_rng(5).standard_normal(shape)
    _assert_same(_value_and_grad(tg, function, a), _value_and_grad(torch, function, a))


@pytest.mark.parametrize("lib", LIBS)
def test_lu_backward_of_wide_and_tall(lib):
    # expected: PyTorch 2.13's gradients
    wide = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]], dtype=lib.float64, requires_grad=True)
    _, low, up = lib.linalg.lu(wide)
    (low.sum() + up.sum()).backward()
    np.testing.assert_allclose(_np(wide.grad), [[-2.75, 1.0, 1.0], [1.6875, 0.75, 0.75]],
                               atol=1e-12)
    tall = lib.tensor([[1.0, 2.0], [4.0, 5.0], [3.0, 3.0]], dtype=lib.float64,
                      requires_grad=True)
    lib.linalg.lu_factor_ex(tall)[0].sum().backward()
    np.testing.assert_allclose(_np(tall.grad), np.array([[-128, 112], [131, -28], [-68, 64]])
                               / 48, atol=1e-12)


def test_old_lu_backward_of_wide():
    a = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]], dtype=tg.float64, requires_grad=True)
    packed, _ = tg.lu(a)
    packed.sum().backward()
    assert a.grad.shape == (2, 3) and np.isfinite(a.grad.numpy()).all()


@pytest.mark.parametrize("shape", [(2, 3), (3, 2)])
def test_lu_gradient_of_non_square_is_checked_numerically(shape):
    a = tg.tensor(np.random.default_rng(6).standard_normal(shape), requires_grad=True)
    assert tg.autograd.gradcheck(lambda x: tuple(tg.linalg.lu(x)[1:]), (a,))
    assert tg.autograd.gradgradcheck(lambda x: tuple(tg.linalg.lu(x)[1:]), (a,))


# 6. out= on the rest of the elementwise family, and its dtype rule.
_OUT_UNARY = ["sinc", "deg2rad", "rad2deg", "negative", "absolute", "angle", "signbit",
              "isposinf", "isneginf"]
_OUT_BINARY = ["copysign", "heaviside", "logaddexp2", "nextafter", "float_power", "ldexp",
               "kron", "isin"]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", _OUT_UNARY)
def test_elementwise_functions_take_out(lib, name):
    x = lib.tensor([0.5, -1.5, float("inf"), -0.0], dtype=lib.float64)
    expected = getattr(lib, name)(x)
    out = lib.empty(4, dtype=expected.dtype)
    assert getattr(lib, name)(x, out=out) is out
    np.testing.assert_array_equal(_np(out), _np(expected))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", _OUT_BINARY)
def test_binary_functions_take_out(lib, name):
    x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64)
    y = lib.tensor([2, 1, 3]) if name == "ldexp" else lib.tensor([1.5, 0.0, -2.0],
                                                                 dtype=lib.float64)
    expected = getattr(lib, name)(x, y)
    out = lib.empty(0, dtype=expected.dtype)
    assert getattr(lib, name)(x, y, out=out) is out
    np.testing.assert_array_equal(_np(out), _np(expected))


@pytest.mark.parametrize("lib", LIBS)
def test_copies_and_products_take_out(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)
    for call, expected in ((lambda out: lib.t_copy(x, out=out), [[1.0, 3.0], [2.0, 4.0]]),
                           (lambda out: lib.squeeze_copy(x[None], out=out), _np(x)),
                           (lambda out: lib.msort(x, out=out), _np(x)),
                           (lambda out: lib.tensordot(x, x, 1, out=out), _np(x) @ _np(x)),
                           (lambda out: lib.inverse(x, out=out), np.linalg.inv(_np(x)))):
        out = lib.empty(0, dtype=lib.float64)
        assert call(out) is out
        np.testing.assert_allclose(_np(out), expected, rtol=1e-12)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", ["sign", "sgn", "fix", "nan_to_num", "abs", "neg", "floor",
                                  "round", "trunc", "negative", "absolute", "msort", "t_copy"])
def test_out_of_another_dtype_is_refused_by_dtype_keeping_ops(lib, name):
    x = lib.tensor([[0.5, -1.5], [2.0, 3.0]], dtype=lib.float64)
    with pytest.raises(RuntimeError, match="Float|float"):
        getattr(lib, name)(x, out=lib.empty(2, 2, dtype=lib.float32))
    with pytest.raises(RuntimeError):  # wider is refused too
        getattr(lib, name)(x.float(), out=lib.empty(2, 2, dtype=lib.float64))


@pytest.mark.parametrize("lib", LIBS)
def test_out_of_another_dtype_is_refused_by_int_ops(lib):
    x = lib.tensor([[5, -1], [2, 3]])
    for call in (lambda out: lib.bitwise_not(x, out=out), lambda out: lib.clamp(x, 0, out=out),
                 lambda out: lib.amax(x, 1, out=out), lambda out: lib.argmax(x, 1, out=out),
                 lambda out: lib.where(x > 0, x, x, out=out), lambda out: lib.matmul(x, x,
                                                                                     out=out)):
        with pytest.raises(RuntimeError):
            call(lib.empty(0, dtype=lib.int32))
        call(lib.empty(0, dtype=lib.int64))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", ["sin", "exp", "sqrt", "sinc", "deg2rad", "angle", "sigmoid"])
def test_out_of_a_castable_dtype_is_taken_by_float_ops(lib, name):
    x = lib.tensor([0.5, 1.5], dtype=lib.float64)
    out = lib.empty(2, dtype=lib.float32)
    getattr(lib, name)(x, out=out)
    np.testing.assert_allclose(_np(out), _np(getattr(lib, name)(x)), rtol=1e-6)
    wide = lib.empty(2, dtype=lib.float64)
    getattr(lib, name)(x.float(), out=wide)
    np.testing.assert_allclose(_np(wide), _np(getattr(lib, name)(x.float())), rtol=1e-12)


# 10. PyTorch's exception types.
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("call", [
    lambda lib, a: a.logdet(), lambda lib, a: lib.linalg.det(a), lambda lib, a: lib.linalg.inv(a),
    lambda lib, a: lib.linalg.norm(a, "nuc"), lambda lib, a: lib.linalg.matrix_norm(a, ord=2),
    lambda lib, a: lib.linalg.svd(a), lambda lib, a: lib.linalg.solve(a, a),
    lambda lib, a: lib.linalg.cholesky(a), lambda lib, a: lib.linalg.matrix_rank(a)])
def test_float16_linear_algebra_raises_runtime_error(lib, call):
    with pytest.raises(RuntimeError):
        call(lib, lib.eye(2, dtype=lib.float16) * 2)


@pytest.mark.parametrize("lib", LIBS)
def test_float16_norms_and_matrix_exp_still_work(lib):
    a = lib.eye(2, dtype=lib.float16) * 2
    assert float(a.norm()) == pytest.approx(8 ** 0.5, rel=1e-3)
    assert float(lib.linalg.matrix_norm(a)) == pytest.approx(8 ** 0.5, rel=1e-3)
    assert lib.linalg.matrix_exp(a).dtype == lib.float16


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("data", [[float("nan")], [1e300], [float("inf")]])
def test_long_tensor_of_unrepresentable_numbers_raises_runtime_error(lib, data):
    with pytest.raises(RuntimeError, match="without overflow"):
        lib.LongTensor(data)


@pytest.mark.parametrize("lib", LIBS)
def test_typed_tensors_read_python_numbers_as_tensor_does(lib):
    with pytest.raises(RuntimeError, match="without overflow"):
        lib.IntTensor([2 ** 40])
    with pytest.raises(RuntimeError, match="without overflow"):
        lib.ByteTensor([300])
    with pytest.raises(TypeError):
        lib.FloatTensor([1, None])
    assert lib.ByteTensor([-1]).tolist() == [255]  # PyTorch's wrap of a negative int
    assert lib.LongTensor([1.5, -2.5]).tolist() == [1, -2]
    assert lib.FloatTensor([[1, 2], [3, 4]]).dtype == lib.float32
    assert lib.BoolTensor([0, 2]).tolist() == [False, True]
    assert lib.LongTensor(range(3)).tolist() == [0, 1, 2]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("call", [
    lambda lib, x, d: x.amax(d), lambda lib, x, d: x.sum(d), lambda lib, x, d: x.flip(d),
    lambda lib, x, d: x.roll(1, d), lambda lib, x, d: x.squeeze(d)])
def test_a_0d_bool_tensor_is_a_dim(lib, call):
    x = lib.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_array_equal(_np(call(lib, x, lib.tensor(True))), _np(call(lib, x, 1)))
    np.testing.assert_array_equal(_np(call(lib, x, lib.tensor(False))), _np(call(lib, x, 0)))
    with pytest.raises(IndexError):  # True is dim 1: out of range for a 1-D tensor
        call(lib, lib.tensor([1.0, 2.0]), lib.tensor(True))


@pytest.mark.parametrize("lib", LIBS)
def test_a_0d_int_tensor_is_polygammas_n_and_a_window_length(lib):
    x = lib.tensor([1.0, 2.5], dtype=lib.float64)
    np.testing.assert_allclose(_np(lib.polygamma(lib.tensor(1), x)), _np(lib.polygamma(1, x)))
    np.testing.assert_allclose(_np(x.polygamma(lib.tensor(2))), _np(x.polygamma(2)))
    np.testing.assert_allclose(_np(lib.special.polygamma(lib.tensor(1), x)),
                               [np.pi ** 2 / 6, 0.4903577561002349], rtol=1e-8)
    for window in ("hann_window", "hamming_window", "blackman_window", "bartlett_window",
                   "kaiser_window"):
        np.testing.assert_allclose(_np(getattr(lib, window)(lib.tensor(5))),
                                   _np(getattr(lib, window)(5)))
    np.testing.assert_allclose(_np(lib.hann_window(lib.tensor(4))), [0.0, 0.5, 1.0, 0.5],
                               atol=1e-7)
    with pytest.raises(TypeError):
        lib.polygamma(lib.tensor(1.0), x)
    with pytest.raises(RuntimeError):
        lib.polygamma(-1, x)


# 9. Inputs PyTorch refuses.
@pytest.mark.parametrize("lib", LIBS)
def test_flipud_of_a_0d_tensor_raises(lib):
    with pytest.raises(RuntimeError, match="1-d"):
        lib.flipud(lib.tensor(1.0))
    assert lib.flipud(lib.tensor([1.0, 2.0])).tolist() == [2.0, 1.0]


@pytest.mark.parametrize("lib", LIBS)
def test_from_numpy_of_a_negative_stride_raises(lib):
    with pytest.raises(ValueError, match="negative"):
        lib.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(ValueError, match="negative"):
        lib.from_numpy(np.ones((2, 3))[:, ::-1])
    assert lib.from_numpy(np.arange(6.0)[::2]).tolist() == [0.0, 2.0, 4.0]
