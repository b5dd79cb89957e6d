"""Round 16 (j4): reductions, scans, sorting and sets as PyTorch 2.13 has them: where's
argument forms, searchsorted's sorter checks, histogramdd's input rank, trapezoid's formula
(float16 and inf), the inf-norm's gradient at NaN, bool dtype= for prod/cumsum/cumprod,
out= for nanmedian and histogram, torch.return_types (picklable, named, repr), histogram's
errors and non-monotonic bins, and the error types of cross, diff, isin and norm.

Each test runs on tinygrad_np and, where it is installed, on torch, with PyTorch's values
written out (so the tests also run, and can fail, without torch)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None


def _lib(name: str):
    return torch if name == "torch" else tg


LIBS = ["tg"] + (["torch"] if torch is not None else [])
inf, nan = math.inf, math.nan


def _np(t) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# ------------------------------------------------------------------ where
@pytest.mark.parametrize("lib", LIBS)
def test_where_with_condition_and_one_value_is_a_type_error(lib):
    T = _lib(lib)
    x = T.tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        T.where(x > 1, x)
    with pytest.raises(TypeError):
        T.where(x > 1, other=x)
    with pytest.raises(TypeError):
        x.where(x > 1, None)
    assert T.where(x > 1)[0].tolist() == [1]
    assert T.where(x > 1, x, 0.0).tolist() == [0.0, 2.0]


# ------------------------------------------------------------------ searchsorted's sorter
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("sorter, message", [
    ([0, 1], "same size"), ([0, 1, 5], "out of range"), ([0, 1, -1], "out of range")])
def test_searchsorted_checks_the_sorter(lib, sorter, message):
    T = _lib(lib)
    with pytest.raises(RuntimeError, match=message):
        T.searchsorted(T.tensor([3.0, 1.0, 2.0]), T.tensor([2.0]), sorter=T.tensor(sorter))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_searchsorted_sorter_must_be_int64(lib, dtype):
    T = _lib(lib)
    with pytest.raises(RuntimeError, match="long"):
        T.searchsorted(T.tensor([3.0, 1.0, 2.0]), T.tensor([2.0]),
                       sorter=T.tensor([1, 2, 0], dtype=getattr(T, dtype)))


@pytest.mark.parametrize("lib", LIBS)
def test_searchsorted_with_a_sorter_row_by_row(lib):
    T = _lib(lib)
    boundaries = T.tensor([[3.0, 1.0, 2.0], [1.0, 2.0, 3.0]])
    result = T.searchsorted(boundaries, T.tensor([[2.5], [1.0]]),
                            sorter=T.tensor([[1, 2, 0], [0, 1, 2]]))
    assert result.tolist() == [[2], [0]]
    with pytest.raises(RuntimeError, match="same size"):  # a 1-D sorter for 2-D boundaries
        T.searchsorted(boundaries, T.tensor([[2.5], [1.0]]), sorter=T.tensor([1, 2, 0]))


# ------------------------------------------------------------------ histogramdd's rank
@pytest.mark.parametrize("lib", LIBS)
def test_histogramdd_needs_two_dims(lib):
    T = _lib(lib)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        T.histogramdd(T.tensor([1.0, 2.0, 3.0]), bins=3)
    with pytest.raises(IndexError):
        T.histogramdd(T.tensor(1.0), bins=3)
    hist, edges = T.histogramdd(T.tensor([[1.0], [2.0], [3.0]]), bins=3)
    assert hist.tolist() == [1.0, 1.0, 1.0] and len(edges) == 1


# ------------------------------------------------------------------ trapezoid
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("values, expected", [([6e4, 6e4, -6e4], 60000.0),
                                              ([6e4, 6e4, -6e4, -5e4, 100], -19936.0)])
def test_trapezoid_float16_does_not_overflow_in_pairs(lib, values, expected):
    T = _lib(lib)
    result = T.trapezoid(T.tensor(values, dtype=T.float16))
    assert result.dtype == T.float16 and result.item() == expected


@pytest.mark.parametrize("lib", LIBS)
def test_trapezoid_with_inf_is_pytorch_formula(lib):
    T = _lib(lib)
    y = T.tensor([0.0, 5.0, -inf])
    assert math.isnan(T.trapezoid(y).item())
    assert math.isnan(T.trapezoid(y, dx=2).item())
    assert T.trapezoid(y, T.tensor([0.0, 1.0, 3.0])).item() == -inf  # x given: pairs
    assert T.cumulative_trapezoid(y).tolist() == [2.5, -inf]


@pytest.mark.parametrize("lib", LIBS)
def test_trapezoid_values_and_gradient(lib):
    T = _lib(lib)
    y = T.tensor([[1.0, 4.0, 9.0, 16.0], [2.0, -3.0, 5.0, 7.0]], dtype=T.float64,
                 requires_grad=True)
    result = T.trapezoid(y, dx=0.5, dim=1)
    np.testing.assert_allclose(_np(result), [10.75, 3.25])
    (result * T.tensor([1.0, -2.0], dtype=T.float64)).sum().backward()
    np.testing.assert_allclose(_np(y.grad), [[0.25, 0.5, 0.5, 0.25], [-0.5, -1, -1, -0.5]])


@pytest.mark.parametrize("lib", LIBS)
def test_trapezoid_of_no_samples_keeps_the_dtype(lib):
    T = _lib(lib)
    result = T.trapezoid(T.zeros(0, dtype=T.int64))
    assert result.dtype == T.int64 and result.item() == 0
    assert T.trapezoid(T.zeros(0, 3, dtype=T.int64), dim=0).dtype == T.int64
    assert T.trapezoid(T.zeros(0, dtype=T.float16)).dtype == T.float16
    assert T.trapezoid(T.zeros(1, dtype=T.int64)).dtype == T.float32
    assert T.trapezoid(T.tensor([1, 2, 4]), dx=3).item() == 13.5


# ------------------------------------------------------------------ inf-norm gradient at NaN
NAN_ROWS = [[1.0, nan], [2.0, 3.0]], [[nan, nan], [-3.0, 3.0]], [[2.0, -2.0], [nan, 1.0]]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("values, largest, smallest", [
    (NAN_ROWS[0], [[0, 0], [0, 1]], [[0, 0], [1, 0]]),
    (NAN_ROWS[1], [[0, 0], [-0.5, 0.5]], [[0, 0], [-0.5, 0.5]]),
    (NAN_ROWS[2], [[0.5, -0.5], [0, 0]], [[0.5, -0.5], [0, 0]])])
def test_inf_norm_gradient_is_zero_on_a_nan_slice(lib, values, largest, smallest):
    T = _lib(lib)
    for order, expected in ((inf, largest), (-inf, smallest)):
        x = T.tensor(values, dtype=T.float64, requires_grad=True)
        result = T.linalg.vector_norm(x, ord=order, dim=1)
        result.sum().backward()
        assert np.isnan(_np(result)).sum() == 1
        np.testing.assert_array_equal(_np(x.grad), expected)
    x = T.tensor(values, dtype=T.float64, requires_grad=True)
    x.norm(p=inf, dim=1, keepdim=True).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), largest)


@pytest.mark.parametrize("lib", LIBS)
def test_inf_norm_over_everything_with_nan_has_zero_gradient(lib):
    T = _lib(lib)
    for make in (lambda x: x.norm(p=inf), lambda x: T.dist(x, T.zeros_like(x), p=inf)):
        x = T.tensor(NAN_ROWS[0], dtype=T.float64, requires_grad=True)
        result = make(x)
        result.backward()
        assert math.isnan(result.item())
        np.testing.assert_array_equal(_np(x.grad), np.zeros((2, 2)))


# ------------------------------------------------------------------ bool dtype= of scans
@pytest.mark.parametrize("lib", LIBS)
def test_prod_with_bool_dtype_is_bool(lib):
    T = _lib(lib)
    x = T.tensor([[1, 0, 3], [2, 2, 1]])
    assert x.prod(dtype=T.bool).dtype == T.bool and x.prod(dtype=T.bool).item() is False
    assert x.prod(0, dtype=T.bool).tolist() == [True, False, True]
    assert T.prod(x, 1, keepdim=True, dtype=T.bool).tolist() == [[False], [True]]
    assert T.tensor([2.0, nan]).prod(dtype=T.bool).item() is True
    assert x.bool().prod().dtype == T.int64


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_cumsum_cumprod_with_bool_dtype_are_not_implemented(lib, op):
    T = _lib(lib)
    x = T.tensor([[1, 0, 3], [2, 2, 1]])
    with pytest.raises(NotImplementedError, match="Bool"):
        getattr(x, op)(0, dtype=T.bool)
    with pytest.raises(NotImplementedError, match="Bool"):
        getattr(T, op)(x.float(), 1, dtype=T.bool)
    assert getattr(T.tensor(3), op)(0, dtype=T.bool).item() is True


# ------------------------------------------------------------------ out= of nanmedian, histogram
@pytest.mark.parametrize("lib", LIBS)
def test_nanmedian_writes_out(lib):
    T = _lib(lib)
    x = T.tensor([[1.0, nan, 0.0], [3.0, 4.0, 5.0]])
    values, indices = T.empty(0), T.empty(0, dtype=T.int64)
    result = T.nanmedian(x, 1, out=(values, indices))
    assert values.tolist() == [0.0, 4.0] and indices.tolist() == [2, 1]
    assert result.values is values and result.indices is indices
    values, indices = T.empty(0), T.empty(0, dtype=T.int64)
    T.nanmedian(x, 1, True, out=(values, indices))
    assert tuple(values.shape) == (2, 1) and tuple(indices.shape) == (2, 1)
    with pytest.raises(RuntimeError):  # out= of another dtype
        T.nanmedian(x, 1, out=(T.empty(0, dtype=T.float64), indices))


@pytest.mark.parametrize("lib", LIBS)
def test_histogram_writes_out(lib):
    T = _lib(lib)
    hist, edges = T.empty(0), T.empty(0)
    result = T.histogram(T.tensor([1.0, 2.0, 2.0, 5.0]), 3, out=(hist, edges))
    assert result.hist is hist and result.bin_edges is edges
    assert hist.tolist() == [3.0, 0.0, 1.0] and edges[-1].item() == 5.0
    with pytest.warns(UserWarning, match="resized"):  # (both warn: out held elements)
        T.histogram(T.tensor([1.0, 2.0, 2.0, 5.0]), T.tensor([0.0, 2.0, 6.0]),
                    out=(hist, edges))
    assert hist.tolist() == [1.0, 3.0] and edges.tolist() == [0.0, 2.0, 6.0]
    with pytest.raises(RuntimeError):
        T.histogram(T.tensor([1.0, 2.0]), 3, out=(T.empty(0, dtype=T.float64), T.empty(0)))


# ------------------------------------------------------------------ torch.return_types
def _results(T):
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = T.tensor([[2.0, 1, 0], [1, 3, 1], [0, 1, 4]], dtype=T.float64)
    return {
        "max": x.max(0), "min": T.min(x, 1), "median": x.median(0), "nanmedian": x.nanmedian(0),
        "mode": x.mode(0), "sort": x.sort(0), "topk": x.topk(1), "kthvalue": x.kthvalue(1),
        "cummax": x.cummax(0), "cummin": x.cummin(0), "aminmax": T.aminmax(x),
        "frexp": x.frexp(), "histogram": T.histogram(x.flatten(), 2),
        "histogramdd": T.histogramdd(x, bins=2), "linalg_eigh": T.linalg.eigh(a),
        "linalg_svd": T.linalg.svd(a), "linalg_qr": T.linalg.qr(a),
        "linalg_slogdet": T.linalg.slogdet(a), "slogdet": T.slogdet(a),
        "linalg_cholesky_ex": T.linalg.cholesky_ex(a), "linalg_inv_ex": T.linalg.inv_ex(a),
        "linalg_lstsq": T.linalg.lstsq(a, a), "linalg_lu_factor": T.linalg.lu_factor(a),
        "linalg_lu_factor_ex": T.linalg.lu_factor_ex(a), "linalg_lu": T.linalg.lu(a),
        "linalg_solve_ex": T.linalg.solve_ex(a, a), "geqrf": T.geqrf(a),
        "lu_unpack": T.lu_unpack(*T.linalg.lu_factor(a)),
    }


@pytest.mark.parametrize("lib", LIBS)
def test_return_types_are_named_module_level_and_picklable(lib):
    T = _lib(lib)
    for name, result in _results(T).items():
        kind = getattr(T.return_types, name)
        assert type(result) is kind and isinstance(result, tuple), name
        again = pickle.loads(pickle.dumps(result))
        assert type(again) is kind, name
        assert [type(part) for part in again] == [type(part) for part in result], name


@pytest.mark.parametrize("lib", LIBS)
def test_return_type_repr_is_pytorchs(lib):
    T = _lib(lib)
    x = T.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert repr(x.max(0)) == ("torch.return_types.max(\nvalues=tensor([3., 4.]),\n"
                              "indices=tensor([1, 1]))")
    assert str(T.aminmax(x)) == "torch.return_types.aminmax(\nmin=tensor(1.),\nmax=tensor(4.))"
    assert type(x.nanmedian(0)).__name__ == "nanmedian"
    values, indices = x.sort(0, descending=True)
    assert values.tolist() == [[3.0, 4.0], [1.0, 2.0]] and x.sort(0).indices.tolist() == [
        [0, 0], [1, 1]]


# ------------------------------------------------------------------ histogram's errors and bins
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("call, message", [
    (lambda T, y: T.histogram(T.tensor([1.0, nan]), 4), "not finite"),
    (lambda T, y: T.histogram(T.tensor([1.0, inf]), 4), "not finite"),
    (lambda T, y: T.histogram(y, 3, range=(0.0, inf)), "not finite"),
    (lambda T, y: T.histogram(y, -1), "bins must be > 0"),
    (lambda T, y: T.histogram(y, 0), "bins must be > 0"),
    (lambda T, y: T.histogram(y, T.tensor([1.0])), "bins must be > 0"),
    (lambda T, y: T.histogram(y, 3, range=(3.0, 1.0)), "min should not exceed max"),
    (lambda T, y: T.histogram(y, 3, range=(1.0, 2.0, 3.0)), "range should have 2"),
    (lambda T, y: T.histogram(y, 3, weight=T.ones(2)), "weight"),
    (lambda T, y: T.histogram(y, 3, weight=T.ones(6, dtype=T.float64)), "weight"),
    (lambda T, y: T.histogram(y, T.tensor([[0.0, 1.0]])), "bins tensor should have one"),
    (lambda T, y: T.histogram(y, T.tensor([0.0, 3.0], dtype=T.float64)), "dtype"),
])
def test_histogram_errors_are_runtime_errors(lib, call, message):
    T = _lib(lib)
    with pytest.raises(RuntimeError, match=message):
        call(T, T.tensor([0.0, 1.0, 1.5, 2.0, 2.0, 3.0]))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("edges, expected", [
    ([0.0, 2.0, 1.0, 3.0], [1.0, 0.0, 5.0]), ([3.0, 2.0, 1.0, 0.0], [0.0, 0.0, 0.0]),
    ([0.0, 2.0, 2.0, 3.0], [3.0, 0.0, 3.0]), ([0.0, nan, 3.0], [0.0, 6.0]),
    ([0.5, 1.0, 2.5], [0.0, 4.0])])
def test_histogram_edges_are_searched_as_pytorch(lib, edges, expected):
    T = _lib(lib)
    hist, bin_edges = T.histogram(T.tensor([0.0, 1.0, 1.5, 2.0, 2.0, 3.0]), T.tensor(edges))
    assert hist.tolist() == expected
    np.testing.assert_array_equal(_np(bin_edges), edges)


@pytest.mark.parametrize("lib", LIBS)
def test_histogram_weights_density_and_empty(lib):
    T = _lib(lib)
    y = T.tensor([[0.0, 1.0, 1.5], [2.0, 2.0, 3.0]], dtype=T.float64)
    hist, _ = T.histogram(y, T.tensor([0.0, 1.0, 3.0], dtype=T.float64), weight=y + 1,
                          density=True)
    np.testing.assert_allclose(_np(hist), [1 / 15.5, 14.5 / 31])
    hist, edges = T.histogram(T.tensor([]), 2)
    assert hist.tolist() == [0.0, 0.0] and edges.tolist() == [0.0, 0.5, 1.0]
    hist, edges = T.histogram(T.tensor([0.0, 1.0, 1.5]), 3, range=(1.0, 1.0))
    assert hist.tolist() == [0.0, 1.0, 1.0] and edges[0].item() == 0.5


# ------------------------------------------------------------------ error types
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("call, error, message", [
    (lambda T: T.cross(T.ones(2, 3), T.ones(1, 2), dim=1), RuntimeError, "length 3"),
    (lambda T: T.linalg.cross(T.ones(2, 3), T.ones(3)), RuntimeError, "number of dimensions"),
    (lambda T: T.cross(T.ones(2, 3), T.ones(3), dim=1), RuntimeError, "number of dimensions"),
    (lambda T: T.diff(T.ones(2, 3), prepend=T.tensor([1.0, 2.0])), RuntimeError,
     "same dimension"),
    (lambda T: T.diff(T.ones(2, 3), append=T.tensor(1.0)), RuntimeError, "same dimension"),
    (lambda T: T.diff(T.ones(2, 3), dim=1, prepend=T.ones(3, 1)), RuntimeError,
     "except along the differencing dimension"),
    (lambda T: T.isin(T.ones(2), "a"), TypeError, "isin"),
    (lambda T: T.isin("a", T.ones(2)), TypeError, "isin"),
    (lambda T: T.ones(2, 3).norm(p="fro", dim=(0, 1, 2)), RuntimeError, "2-tuple"),
    (lambda T: T.zeros(0, 3).norm(p=inf), RuntimeError, "vector_norm"),
    (lambda T: T.linalg.vector_norm(T.zeros(0, 3), -inf), RuntimeError, "vector_norm"),
    (lambda T: T.zeros(0, 3).norm(p=inf, dim=0), RuntimeError, "vector_norm"),
])
def test_error_types_are_pytorchs(lib, call, error, message):
    T = _lib(lib)
    with pytest.raises(error, match=message):
        call(T)


@pytest.mark.parametrize("lib", LIBS)
def test_cross_diff_and_empty_norm_still_work(lib):
    T = _lib(lib)
    a, b = T.tensor([[1.0, 0.0, 0.0]]), T.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert T.linalg.cross(a, b).tolist() == [[0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]
    x = T.tensor([[1.0, 4.0], [2.0, 8.0]])
    assert T.diff(x, dim=1, prepend=T.zeros(2, 1)).tolist() == [[1.0, 3.0], [2.0, 6.0]]
    assert T.zeros(0, 3).norm(p=inf, dim=1).shape == (0,)
