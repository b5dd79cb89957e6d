"""Round eight of PyTorch parity: NumPy's `axis=` on every op with a `dim`, and the numerics
and API gaps the previous round's probes listed. PyTorch is the oracle where installed; the
expected values are written out otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the suite runs without PyTorch too
    _torch = None


# ------------------------------------------------------------------------- axis= for dim=
_X = np.array([[3.0, 1.0, 2.0, 2.0], [0.0, 5.0, 4.0, 1.0], [7.0, 7.0, 6.0, 0.0]])
_WITH_DIM = [("median", ()), ("mode", ()), ("nanmedian", ()), ("nansum", ()), ("nanmean", ()),
             ("count_nonzero", ()), ("aminmax", ()), ("cummax", ()), ("cummin", ()),
             ("logcumsumexp", ()), ("sort", ()), ("argsort", ()), ("topk", (2,)),
             ("kthvalue", (2,)), ("unbind", ()), ("chunk", (2,))]


def _first(result):
    if isinstance(result, (tuple, list)):
        return result[0]
    return result


@pytest.mark.parametrize("form", ["method", "function"])
@pytest.mark.parametrize(("name", "args"), _WITH_DIM)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axis_is_dim_on_every_op_with_a_dim(name, args, form, axis):
    x = tg.tensor(_X)
    call = getattr(x, name) if form == "method" else getattr(tg, name)
    head = () if form == "method" else (x,)
    got = _first(call(*head, *args, axis=axis)).numpy()
    want = _first(call(*head, *args, dim=axis)).numpy()
    np.testing.assert_array_equal(got, want)
    if _torch is not None:
        t = _torch.tensor(_X)
        tcall = getattr(t, name) if form == "method" else getattr(_torch, name)
        np.testing.assert_allclose(got, _first(tcall(*((t,) if head else ()), *args,
                                                     axis=axis)).numpy())


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_axis_on_var_mean_and_std_mean(name):
    x = tg.tensor(_X)
    spread, mean = getattr(tg, name)(x, axis=1)
    np.testing.assert_allclose(mean.numpy(), _X.mean(1))
    np.testing.assert_allclose(spread.numpy() ** (2 if name == "std_mean" else 1),
                               _X.var(1, ddof=1))


def test_axis_and_dim_that_disagree_are_refused():
    x = tg.tensor(_X)
    with pytest.raises(TypeError, match="dim=0 and axis=1"):
        x.sort(dim=0, axis=1)
    with pytest.raises(TypeError):
        x.sort(1, axis=1)  # dim twice, as Python says
    assert x.sort(dim=1, axis=1).values.shape == (3, 4)  # agreeing is fine
    np.testing.assert_array_equal(x.size(axis=1), 4)


# ---------------------------------------------------------------------------- numerics
_XS = [0.0, 0.0, 0.0, 1.0, 2.0, 0.0, -1.0]
_YS = [0.5, -1.0, -2.0, -1.0, 3.0, float("nan"), 0.0]
# PyTorch 2.13's values: d/dx = log1p(y), 0 where x = 0 and y <= -1; d/dy = x / (1 + y)
_XLOG1PY = ([0.0, 0.0, 0.0, -np.inf, 2 * np.log(4), np.nan, -0.0],
            [np.log1p(0.5), 0.0, 0.0, -np.inf, np.log(4), np.nan, 0.0],
            [0.0, np.nan, -0.0, np.inf, 0.5, np.nan, -1.0])


def test_xlog1py_values_and_gradients_at_x_zero_follow_pytorch():
    x = tg.tensor(_XS, dtype=tg.float64, requires_grad=True)
    y = tg.tensor(_YS, dtype=tg.float64, requires_grad=True)
    out = tg.special.xlog1py(x, y)
    out.sum().backward()
    for got, want in zip((out.numpy(), x.grad.numpy(), y.grad.numpy()), _XLOG1PY):
        np.testing.assert_array_equal(got, np.array(want))
    if _torch is not None:
        xt = _torch.tensor(_XS, dtype=_torch.float64, requires_grad=True)
        yt = _torch.tensor(_YS, dtype=_torch.float64, requires_grad=True)
        _torch.special.xlog1py(xt, yt).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), yt.grad.numpy())


def test_xlog1py_second_derivatives_and_dtypes():
    x = tg.tensor([0.0, 1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([0.5, 0.3, -0.2], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(tg.special.xlog1py, (x, y))
    assert tg.autograd.gradgradcheck(tg.special.xlog1py, (x, y))
    assert tg.special.xlog1py(tg.tensor([1, 2]), tg.tensor([3, 4])).dtype == np.float32
    np.testing.assert_allclose(tg.special.xlog1py(2, tg.tensor([0.5, 1.0])).numpy(),
                               2 * np.log1p([0.5, 1.0]), rtol=1e-6)


# PyTorch 2.13's gradients of prod: with a zero, each element's exact product of the others
# (0 * inf is NaN); over all elements with two or more zeros, 0 everywhere.
@pytest.mark.parametrize(("values", "want"), [
    ([2.0, np.inf, 0.0, 3.0], [np.nan, 0.0, np.inf, np.nan]),
    ([np.inf, 0.0, 0.0], [0.0, 0.0, 0.0]),
    ([np.nan, 0.0, 2.0], [0.0, np.nan, np.nan]),
    ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),
    ([np.inf, 2.0], [np.nan, np.inf]),
])
def test_prod_gradient_with_zeros_and_infinities(values, want):
    x = tg.tensor(values, dtype=tg.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_prod_gradient_along_a_dim_against_pytorch():
    rng = np.random.default_rng(0)
    for _ in range(60):
        v = rng.choice([0.0, 1.5, -2.0, np.inf, np.nan, 3.0], size=(3, 4),
                       p=[0.3, 0.2, 0.2, 0.1, 0.05, 0.15])
        g = rng.normal(size=4)
        x = tg.tensor(v, requires_grad=True)
        x.prod(0).backward(tg.tensor(g.astype(np.float32)))
        # two zeros in a column: the others' product is 0 (NaN beside an inf or NaN)
        with np.errstate(invalid="ignore"):
            want = np.stack([np.prod(np.delete(v, i, axis=0), axis=0) for i in range(3)]) * g
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6)
        if _torch is not None:
            xt = _torch.tensor(v, dtype=_torch.float32, requires_grad=True)
            xt.prod(0).backward(_torch.tensor(g, dtype=_torch.float32))
            np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_prod_second_derivative_at_zeros():
    x = tg.tensor([[0.0, 2.0, 3.0], [0.0, 0.0, 1.0]], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda t: t.prod(1), (x,))
    assert tg.autograd.gradgradcheck(lambda t: t.prod(), (x,))


@pytest.mark.parametrize("p", [-1, -2, -0.5])
def test_negative_p_norm_with_a_zero_is_zero_with_gradient_zero(p):
    x = tg.tensor([[0.0, 1.0, 2.0], [1.0, 2.0, 2.0]], dtype=tg.float64, requires_grad=True)
    out = x.norm(p, dim=1)
    out.sum().backward()
    want = (np.array([1.0, 2.0, 2.0]) ** p).sum() ** (1 / p)
    np.testing.assert_allclose(out.numpy(), [0.0, want])
    assert not np.isnan(x.grad.numpy()).any()
    np.testing.assert_array_equal(x.grad.numpy()[0], 0.0)
    if _torch is not None:
        xt = _torch.tensor(x.numpy(), requires_grad=True)
        xt.norm(p, dim=1).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("p", [-1.5, 0.5, 3])
def test_general_p_norm_of_float32_extremes_is_computed_in_float64(p):
    x = tg.tensor([1e30, 2e30] if p > 0 else [1e-30, 2e-30], requires_grad=True)
    out = x.norm(p)
    out.backward()
    big = np.array(x.numpy(), dtype=np.float64)
    want = (np.abs(big) ** p).sum() ** (1 / p)
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), big ** (p - 1) * want ** (1 - p), rtol=1e-5)
    y = tg.tensor([[0.3, 2.0], [1.0, 0.5]], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda t: t.norm(p, 1), (y,))


def test_log_ndtr_far_in_the_tail_follows_the_asymptote():
    x = tg.tensor([-1e16, -1e20, -1e200, -np.inf, -1e6], dtype=tg.float64, requires_grad=True)
    out = tg.special.log_ndtr(x)
    out.sum().backward()
    big = np.array([-1e16, -1e20], dtype=np.float64)
    np.testing.assert_allclose(out.numpy()[:2], -0.5 * big * big - np.log(-big)
                               - 0.5 * np.log(2 * np.pi), rtol=1e-15)
    assert out.numpy()[2] == out.numpy()[3] == -np.inf  # x^2 past float64's range
    # (at -inf the gradient is NaN, as PyTorch's, since round 19)
    np.testing.assert_allclose(x.grad.numpy(), [1e16, 1e20, 1e200, np.nan, 1e6 + 1e-6],
                               rtol=1e-12)
    if _torch is not None:  # PyTorch's values (its gradients there are inf or NaN)
        np.testing.assert_allclose(out.numpy(), _torch.special.log_ndtr(
            _torch.tensor(x.numpy())).numpy(), rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_log_ndtr_in_narrow_dtypes_is_finite_where_it_can_be(dtype):
    v = [-3e4 if dtype == "float32" else -150.0, -300.0, -40.0, -5.0, 0.0, 3.0]
    x = tg.tensor(v, dtype=getattr(tg, dtype), requires_grad=True)
    out = tg.special.log_ndtr(x)
    out.sum().backward()
    assert out.dtype == x.dtype and x.grad.dtype == x.dtype
    want = tg.special.log_ndtr(tg.tensor(v, dtype=tg.float64)).numpy()
    np.testing.assert_allclose(out.numpy().astype(np.float64), want, rtol=1e-3)
    assert np.isfinite(x.grad.numpy()).all() and (x.grad.numpy() > 0).all()


def test_clamp_with_a_bound_past_the_dtype_range_is_refused_as_pytorch():
    h = tg.tensor([1.0, -2.0, 6e4], dtype=tg.float16)
    for bounds in ((-1e15, None), (None, 1e10), (1e6, None)):
        with pytest.raises(RuntimeError, match="cannot be converted to float16"):
            h.clamp(*bounds)
    with pytest.raises(RuntimeError, match="float32"):
        tg.tensor([1.0]).clamp(min=-1e40)
    np.testing.assert_array_equal(h.clamp(-np.inf, np.inf).numpy(), h.numpy())
    np.testing.assert_array_equal(h.clamp(-6e4, 1).numpy(), [1.0, -2.0, 1.0])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_gelu_tanh_gradient_is_finite_at_extremes(dtype):
    v = [-1000.0, -60.0, -10.5, -3.0, 0.0, 0.7, 9.5, 10.0, 11.0, 60.0, 1000.0]
    x = tg.tensor(v, dtype=getattr(tg, dtype), requires_grad=True)
    tg.nn.functional.gelu(x, approximate="tanh").sum().backward()
    grad = x.grad.numpy()
    assert np.isfinite(grad).all()
    np.testing.assert_array_equal(grad[[0, 1, -2, -1]], [0.0, 0.0, 1.0, 1.0])
    if _torch is not None:
        xt = _torch.tensor(v, dtype=getattr(_torch, dtype), requires_grad=True)
        _torch.nn.functional.gelu(xt, approximate="tanh").sum().backward()
        np.testing.assert_allclose(grad, xt.grad.numpy(), atol=1e-3 if dtype == "float16" else 1e-6)
    y = tg.tensor([-12.0, -9.0, 0.3, 9.9, 12.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda t: tg.nn.functional.gelu(t, approximate="tanh"), (y,))


def test_ctc_loss_with_n_by_0_targets_is_the_all_blank_path():
    rng = np.random.default_rng(0)
    lp = rng.normal(size=(6, 3, 4)).astype(np.float32)
    x = tg.tensor(lp, requires_grad=True)
    loss = tg.nn.functional.ctc_loss(x.log_softmax(2), tg.tensor(np.zeros((3, 0), np.int64)),
                                     tg.tensor([6, 4, 6]), tg.tensor([0, 0, 0]), reduction="none")
    loss.sum().backward()
    log_probs = lp - np.log(np.exp(lp).sum(2, keepdims=True))
    blanks = [-log_probs[:n, i, 0].sum() for i, n in enumerate([6, 4, 6])]
    np.testing.assert_allclose(loss.numpy(), blanks, rtol=1e-5)
    assert np.isfinite(x.grad.numpy()).all()


# ------------------------------------------------------------------ scalars and dtypes
@pytest.mark.parametrize("form", ["add", "sub", "mul", "remainder", "fmod", "floor_divide"])
@pytest.mark.parametrize("k", [-1, -3, 300])
def test_function_forms_wrap_a_python_int_into_uint8_like_the_operators(form, k):
    x = tg.tensor([5, 7, 200], dtype=tg.uint8)
    got = getattr(tg, form)(x, k)
    wrapped = np.array(k).astype(np.uint8).astype(np.int64)
    values = np.array([5, 7, 200])
    want = {"add": values + wrapped, "sub": values - wrapped, "mul": values * wrapped,
            "remainder": values % wrapped, "fmod": np.fmod(values, wrapped),
            "floor_divide": values // wrapped}[form] % 256
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got.numpy(), want)
    if _torch is not None:
        t = getattr(_torch, form)(_torch.tensor([5, 7, 200], dtype=_torch.uint8), k)
        np.testing.assert_array_equal(got.numpy(), t.numpy())
    assert (x % k).tolist() == tg.remainder(x, k).tolist()
    assert (x // k).tolist() == tg.floor_divide(x, k).tolist()


@pytest.mark.parametrize(("dim", "want"), [([0, 1], 3), ((0,), [2, 1]), ([], 3), (None, 3),
                                           (-1, [1, 2])])
def test_count_nonzero_takes_a_list_of_dims(dim, want):
    assert tg.tensor([[1, 0], [2, 3]]).count_nonzero(dim=dim).tolist() == want
    with pytest.raises(IndexError):
        tg.tensor([[1, 0], [2, 3]]).count_nonzero(dim=[0, 2])


def test_nuclear_norm_through_tensor_norm():
    a = np.arange(8.0).reshape(2, 2, 2)
    x = tg.tensor(a, requires_grad=True)
    out = x.norm(p="nuc", dim=(1, 2))
    out.sum().backward()
    np.testing.assert_allclose(out.numpy(), [np.linalg.svd(m, compute_uv=False).sum() for m in a])
    u, _, vt = np.linalg.svd(a)
    np.testing.assert_allclose(x.grad.numpy(), u @ vt, atol=1e-12)  # d nuc / dA = U V^T
    assert tg.norm(tg.tensor([[1.0, 0.0], [2.0, 3.0]]), p="nuc").item() == pytest.approx(20 ** 0.5)
    assert x.norm("nuc", [0, 2], keepdim=True).shape == (1, 2, 1)
    for dim in (None, 1, (0, 1, 2)):
        with pytest.raises(RuntimeError, match="nuc"):
            x.norm("nuc", dim)


@pytest.mark.parametrize(("dtype", "value"), [
    ("int8", 300), ("int8", 127.9), ("int64", float("nan")), ("int32", 2 ** 31),
    ("uint8", 255.5), ("uint8", -0.5), ("uint8", -256), ("float16", 1e10), ("float32", 1e40)])
def test_writing_a_number_the_dtype_cannot_hold_is_refused(dtype, value):
    x = tg.tensor([1, 2], dtype=getattr(tg, dtype))
    for write in (lambda: x.masked_fill(tg.tensor([True, False]), value),
                  lambda: x.index_fill(0, tg.tensor([1]), value), lambda: x.fill_(value)):
        with pytest.raises(RuntimeError, match="cannot be converted"):
            write()
    assert x.tolist() == [1, 2]  # nothing written
    if _torch is not None:
        with pytest.raises(RuntimeError):
            _torch.tensor([1, 2], dtype=getattr(_torch, dtype)).fill_(value)


def test_numbers_the_dtype_holds_are_written_as_pytorch():
    m = tg.tensor([True, False])
    assert tg.tensor([1, 2], dtype=tg.uint8).masked_fill(m, -1).tolist() == [255, 2]
    assert tg.tensor([1, 2], dtype=tg.uint8).fill_(-255).tolist() == [1, 1]
    assert tg.tensor([1, 2], dtype=tg.int8).masked_fill(m, 2.5).tolist() == [2, 2]
    assert tg.tensor([1.0, 2.0], dtype=tg.float16).masked_fill(m, np.inf).tolist() == [np.inf, 2]
    assert tg.tensor([True, False]).masked_fill(~m, 1e40).tolist() == [True, True]


@pytest.mark.parametrize(("call", "dtype", "values"), [
    (lambda x: x ** 2, "int64", [1, 0]), (lambda x: x.pow(2), "int64", [1, 0]),
    (lambda x: tg.pow(x, 2), "int64", [1, 0]), (lambda x: x + 1, "int64", [2, 1]),
    (lambda x: x & 1, "int64", [1, 0])])
def test_bool_with_a_python_int_is_int64(call, dtype, values):
    got = call(tg.tensor([True, False]))
    assert got.dtype == np.dtype(dtype) and got.tolist() == values


@pytest.mark.parametrize("dtype", ["uint8", "int64", "bool", "float32"])
def test_all_and_any_of_uint8_are_uint8_as_pytorch(dtype):
    x = tg.tensor([[1, 0], [2, 3]], dtype=getattr(tg, dtype))
    want = np.uint8 if dtype == "uint8" else np.bool_
    for result, values in ((x.all(), False), (x.any(0), [True, True]),
                           (x.all(dim=()), [[1, 0], [1, 1]]), (tg.any(x, dim=1), [True, True])):
        assert result.dtype == want
        np.testing.assert_array_equal(result.numpy(), np.array(values, dtype=want))


@pytest.mark.parametrize("scalar", [np.int64(3), np.uint8(3), np.int16(3)])
def test_bitwise_with_a_numpy_scalar_keeps_the_tensor_dtype(scalar):
    y = tg.tensor([1, 2], dtype=tg.int8)
    for result, values in ((y & scalar, [1, 2]), (y ^ scalar, [2, 1]), (scalar | y, [3, 3]),
                           (tg.bitwise_and(y, scalar), [1, 2]), (y << scalar, [8, 16])):
        assert result.dtype == np.int8 and result.tolist() == values
    assert (tg.tensor([1, 2], dtype=tg.uint8) * np.int64(300)).tolist() == [44, 88]


@pytest.mark.parametrize("op", ["atan2", "xlogy"])
def test_float16_with_uint8_stays_float16(op):
    h, u = tg.tensor([1.0, 2.0], dtype=tg.float16), tg.tensor([1, 2], dtype=tg.uint8)
    assert getattr(tg, op)(h, u).dtype == np.float16
    assert getattr(tg, op)(u, h).dtype == np.float16
    assert getattr(tg, op)(u, u).dtype == np.float32
    assert tg.special.xlog1py(h, u).dtype == np.float16


def test_take_along_dim_counts_negative_indices_from_the_end():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = tg.take_along_dim(x, tg.tensor([[-1], [-2]]), dim=1)
    assert out.tolist() == [[2.0], [3.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(RuntimeError):
        tg.take_along_dim(x, tg.tensor([-1]))  # flattened: PyTorch refuses negatives


def test_copysign_of_bool_and_int_inputs_is_float():
    got = tg.copysign(tg.tensor([True, False]), -1)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), [-1.0, -0.0])
    assert np.signbit(got.numpy()[1])
    assert tg.copysign(tg.tensor([1, -2]), tg.tensor([-1.0, 2.0])).tolist() == [-1.0, 2.0]


def test_keyword_spellings_of_tile_outer_and_gather():
    v = tg.tensor([1, 2])
    assert tg.tile(v, dims=(2,)).tolist() == [1, 2, 1, 2]
    assert v.tile(dims=(2, 1)).tolist() == [[1, 2], [1, 2]]
    assert tg.outer(v, vec2=v).tolist() == [[1, 2], [2, 4]]
    assert v.outer(vec2=v).tolist() == [[1, 2], [2, 4]]
    with pytest.raises(TypeError):
        v.outer(v, vec2=v + 1)
    m = tg.ones(2, 3, requires_grad=True)
    m.gather(1, tg.tensor([[1], [0]]), sparse_grad=True).sum().backward()
    assert m.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


def test_default_dtype_is_the_dtype_object():
    assert tg.get_default_dtype() is tg.float32
    try:
        tg.set_default_dtype(tg.float64)
        assert tg.get_default_dtype() is tg.float64
        assert tg.tensor(1.5).dtype is tg.get_default_dtype()
    finally:
        tg.set_default_dtype(tg.float32)


# ------------------------------------------------------------- PyTorch's exception classes
_REFUSALS = [
    (lambda T: T.ones(2, 3, 4).t(), RuntimeError),
    (lambda T: T.cdist(T.ones(2, 3), T.ones(2, 4)), RuntimeError),
    (lambda T: T.gather(T.ones(2, 3), 1, T.tensor([[0.0]])), RuntimeError),
    (lambda T: T.cat([]), ValueError),
    (lambda T: T.stack([]), RuntimeError),
    (lambda T: T.hstack([]), RuntimeError),
    (lambda T: T.nn.functional.cross_entropy(T.ones(2, 3), T.tensor([0, 3])), IndexError),
    (lambda T: T.nn.functional.nll_loss(T.ones(2, 3), T.tensor([0, -2])), IndexError),
    (lambda T: T.tensor([1, 2]).requires_grad_(), RuntimeError),
    (lambda T: T.nn.Conv2d(3, 4, 3)(T.ones(1, 2, 5, 5)), RuntimeError),
    (lambda T: T.nn.functional.one_hot(T.tensor([0, 5]), 3), RuntimeError),
    (lambda T: T.ones(2, 3) & T.ones(2, 3), RuntimeError),
    (lambda T: T.tensor([True]) - T.tensor([True]), RuntimeError),
    (lambda T: T.where(T.tensor([1, 0]), T.ones(2), T.zeros(2)), RuntimeError),
    (lambda T: T.ones(2, 3).long().mean(), RuntimeError),
    (lambda T: T.nn.functional.embedding(T.tensor([0.0]), T.ones(3, 2)), RuntimeError),
    (lambda T: T.gcd(T.ones(2), T.ones(2)), RuntimeError),
    (lambda T: T.randn(2, dtype=T.int64), RuntimeError),
    (lambda T: T.mm(T.ones(2, 3), T.ones(2, 3)), RuntimeError),
]


@pytest.mark.parametrize(("call", "kind"), _REFUSALS)
def test_refusals_raise_pytorchs_exception_class(call, kind):
    with pytest.raises(kind):
        call(tg)
    if _torch is not None:
        with pytest.raises(kind):
            call(_torch)


def test_the_error_classes_are_also_the_python_ones():
    with pytest.raises(ValueError):  # a NumPy user's except still catches a shape error
        tg.ones(2, 3, 4).t()
    with pytest.raises(TypeError):  # and a dtype refusal
        tg.tensor([1, 2]).requires_grad_()
    with pytest.raises(NotImplementedError):  # PyTorch's "not implemented for 'Float'"
        tg.ones(2) & tg.ones(2)
    with pytest.raises(RuntimeError):
        tg.nn.functional.cross_entropy(tg.ones(2, 3), tg.tensor([0, 3]))


def test_tensors_inside_a_list_are_read_as_numbers():
    assert tg.tensor([tg.tensor([1.0]), tg.tensor([2.0])]).shape == (2,)
    assert tg.tensor([[tg.tensor([1.0])], [tg.tensor([2.0])]]).shape == (2, 1)
    losses = [tg.tensor(0.5, requires_grad=True) * 2, tg.tensor(1.5)]
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):  # as PyTorch
        assert tg.tensor(losses).tolist() == [1.0, 1.5]
    with pytest.raises(ValueError, match="one element"):
        tg.tensor([tg.ones(2), tg.ones(2)])
    if _torch is not None:
        assert tuple(_torch.tensor([_torch.tensor([1.0]), _torch.tensor([2.0])]).shape) == (2,)
        with pytest.raises(ValueError):
            _torch.tensor([_torch.ones(2), _torch.ones(2)])


# ----------------------------------------------------------------- what the ported programs hit
def test_parameter_dict_from_a_plain_dict_is_in_sorted_key_order():
    from collections import OrderedDict

    def z():
        return tg.nn.Parameter(tg.zeros(1))

    pd = tg.nn.ParameterDict({"z": z(), "y": z()})
    pd.update({"c": z(), "a": z()})
    pd.update([("m", z()), ("b", z())])  # pairs and OrderedDicts keep their order
    pd.update(OrderedDict([("q", z()), ("d", z())]))
    want = ["y", "z", "a", "c", "m", "b", "q", "d"]
    assert list(pd.keys()) == want
    assert [name for name, _ in pd.named_parameters()] == want
    if _torch is not None:
        tz = lambda: _torch.nn.Parameter(_torch.zeros(1))  # noqa: E731
        tpd = _torch.nn.ParameterDict({"z": tz(), "y": tz()})
        tpd.update({"c": tz(), "a": tz()})
        tpd.update([("m", tz()), ("b", tz())])
        tpd.update(OrderedDict([("q", tz()), ("d", tz())]))
        assert list(tpd.keys()) == want


def test_binary_cross_entropy_target_gradient_is_not_clamped():
    x = tg.tensor([0.0, 1.0, 0.5, 1e-300, 0.3], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([1.0, 0.0, 1.0, 1.0, 0.2], dtype=tg.float64, requires_grad=True)
    tg.nn.functional.binary_cross_entropy(x, y, reduction="sum").backward()
    want = [np.inf, -np.inf, 0.0, 300 * np.log(10), np.log(0.7) - np.log(0.3)]
    np.testing.assert_allclose(y.grad.numpy(), want, rtol=1e-12)
    assert np.isfinite(x.grad.numpy()).all()  # the input's gradient keeps PyTorch's floor


def test_tensor_layout_device_and_storage_flags():
    t = tg.zeros(3)
    assert t.get_device() == -1 and t.layout is tg.strided and repr(tg.strided) == "torch.strided"
    assert not (t.is_sparse or t.is_quantized or t.is_meta or t.is_pinned())


def test_random_fills_in_place():
    tg.manual_seed(0)
    t = tg.zeros(2000)
    r = t.random_(3, 7)
    assert r is t and set(np.unique(t.numpy())) == {3.0, 4.0, 5.0, 6.0}
    assert set(np.unique(t.random_(5).numpy())) == {0.0, 1.0, 2.0, 3.0, 4.0}
    big = t.random_().numpy()
    assert big.min() >= 0 and big.max() <= 2 ** 24 and (big == np.round(big)).all()
    assert tg.zeros(3000, dtype=tg.uint8).random_().numpy().max() == 255
    assert t.geometric_(0.5).numpy().min() == 1.0 and abs(t.numpy().mean() - 2) < 0.2
    assert abs(np.log(t.log_normal_(0.0, 0.5).numpy()).std() - 0.5) < 0.05
    assert abs(np.median(t.cauchy_(2.0, 1.0).numpy()) - 2.0) < 0.2
    with pytest.raises(RuntimeError):
        t.random_(5, 2)
    with pytest.raises(RuntimeError):
        tg.zeros(2, dtype=tg.int64).log_normal_()


def test_apply_map_and_resize_in_place():
    x = tg.tensor([1.0, 2.0, 3.0])
    assert x.apply_(lambda v: v * 10) is x and x.tolist() == [10.0, 20.0, 30.0]
    assert x.map_(tg.tensor([1.0, 1.0, 2.0]), lambda a, b: a - b).tolist() == [9.0, 19.0, 28.0]
    y = tg.tensor([1.0, 2.0, 3.0, 4.0])
    assert y.resize_(2, 3).shape == (2, 3) and y.reshape(-1)[:4].tolist() == [1, 2, 3, 4]
    assert y.resize_(2).tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError):
        tg.ones(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError):
        tg.ones(2, requires_grad=True).apply_(lambda v: v)


def test_dataloader_without_batching_converts_numpy_numbers():
    from collections import namedtuple

    from tinygrad_np.utils import data

    pair = namedtuple("pair", "x label")

    class Samples(data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"a": np.float32(i), "b": np.int64(i), "c": np.arange(2.0) * i,
                    "d": pair(np.float64(1.0), "text")}

    sample = list(data.DataLoader(Samples(), batch_size=None))[1]
    assert isinstance(sample["a"], tg.Tensor) and sample["a"].dtype == np.float32
    assert sample["b"].dtype == np.int64 and sample["c"].tolist() == [0.0, 1.0]
    assert type(sample["d"]) is pair and isinstance(sample["d"].x, tg.Tensor)
    assert sample["d"].label == "text"
    assert data.default_convert(np.int64(3)).tolist() == 3
    sizes = data.ConcatDataset([list(range(3)), list(range(10))]).cumulative_sizes
    assert sizes == [3, 13] and all(type(n) is int for n in sizes)


# --------------------------------------------------------------- top-level names (toplevel.py)
_X4 = np.random.default_rng(0).normal(size=(2, 3, 6, 6)).astype(np.float32)
_W4 = np.random.default_rng(1).normal(size=(4, 3, 3, 3)).astype(np.float32)
_G = np.random.default_rng(2).normal(size=(4, 5))
_SPD = _G @ _G.T + np.eye(4)
_TOPLEVEL = {
    "conv2d": lambda T: T.conv2d(T.tensor(_X4), T.tensor(_W4), None, 1, 1),
    "max_pool2d": lambda T: T.max_pool2d(T.tensor(_X4), 2),
    "avg_pool1d": lambda T: T.avg_pool1d(T.tensor(_X4[0]), 2),
    "layer_norm": lambda T: T.layer_norm(T.tensor(_X4), (6,)),
    "group_norm": lambda T: T.group_norm(T.tensor(_X4), 3),
    "embedding": lambda T: T.embedding(T.tensor(_W4.reshape(12, 9)), T.tensor([[1, 2], [0, 11]])),
    "threshold": lambda T: T.threshold(T.tensor(_X4), 0.1, 20.0),
    "hardshrink": lambda T: T.hardshrink(T.tensor(_X4), 0.3),
    "prelu": lambda T: T.prelu(T.tensor(_X4), T.tensor([0.25])),
    "hann": lambda T: T.hann_window(8),
    "hann_symmetric": lambda T: T.hann_window(7, False, dtype=T.float64),
    "hamming": lambda T: T.hamming_window(8, True, alpha=0.5, beta=0.5),
    "bartlett": lambda T: T.bartlett_window(7),
    "blackman": lambda T: T.blackman_window(8, False),
    "kaiser": lambda T: T.kaiser_window(8, True, beta=5.0),
    "window_of_1": lambda T: T.hann_window(1),
    "gradient": lambda T: T.gradient(T.tensor(_G)),
    "gradient_spacing": lambda T: T.gradient(T.tensor(_G), dim=[0, 1], spacing=[0.5, 3.0],
                                             edge_order=2),
    "select_scatter": lambda T: T.select_scatter(T.zeros(3, 4), T.ones(3), 1, -1),
    "slice_scatter": lambda T: T.slice_scatter(T.zeros(6, 4), T.ones(2, 4), 0, 1, 5, 2),
    "diagonal_scatter": lambda T: T.diagonal_scatter(T.zeros(4, 5), T.arange(1.0, 4.0), 2),
    "diagonal_scatter_3d": lambda T: T.diagonal_scatter(T.zeros(2, 3, 4),
                                                        T.arange(1.0, 7.0).reshape(3, 2), 1, 0, 2),
    "narrow_copy": lambda T: T.narrow_copy(T.arange(10), 0, 2, 3),
    "frombuffer": lambda T: T.frombuffer(bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00"),
                                         dtype=T.int32),
    "cholesky_inverse": lambda T: T.cholesky_inverse(T.linalg.cholesky(T.tensor(_SPD))),
}


@pytest.mark.parametrize("name", sorted(_TOPLEVEL))
def test_top_level_names_against_pytorch(name):
    got = _TOPLEVEL[name](tg)
    got = got if isinstance(got, tuple) else (got,)
    assert all(isinstance(g, tg.Tensor) for g in got)
    if name == "cholesky_inverse":
        np.testing.assert_allclose(got[0].numpy(), np.linalg.inv(_SPD), rtol=1e-6, atol=1e-9)
    if _torch is None:
        return
    want = _TOPLEVEL[name](_torch)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == tuple(w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)


def test_gradient_and_scatters_are_differentiable():
    x = tg.tensor(_G, requires_grad=True)
    assert tg.gradcheck(lambda t: tg.gradient(t, edge_order=2)[1], (x,))
    base, src = tg.zeros(3, 4, requires_grad=True), tg.ones(4, requires_grad=True)
    (tg.select_scatter(base, src * 2, 0, 1) * tg.arange(12.0).reshape(3, 4)).sum().backward()
    assert base.grad.tolist() == [[0, 1, 2, 3], [0, 0, 0, 0], [8, 9, 10, 11]]
    assert src.grad.tolist() == [8.0, 10.0, 12.0, 14.0]
    with pytest.raises(RuntimeError, match="at least"):
        tg.gradient(tg.ones(1))


def test_small_top_level_checks():
    assert tg.is_nonzero(tg.tensor([1.5])) and not tg.is_nonzero(tg.tensor(0))
    with pytest.raises(RuntimeError):
        tg.is_nonzero(tg.ones(2))
    assert tg.typename(tg.ones(2)) == "torch.FloatTensor" and tg.typename(3) == "int"
    assert tg.typename(tg.ones(2).long()) == "torch.LongTensor"
    assert not tg.is_storage(tg.ones(1))
    tg.set_warn_always(True)
    assert tg.is_warn_always_enabled()
    tg.set_warn_always(False)
    try:
        tg.set_default_tensor_type(tg.DoubleTensor)
        assert tg.tensor(1.5).dtype == np.float64
        tg.set_default_tensor_type("torch.FloatTensor")
        assert tg.tensor(1.5).dtype == np.float32
    finally:
        tg.set_default_dtype(tg.float32)
    with pytest.raises(TypeError):
        tg.set_default_tensor_type(tg.LongTensor)
    q, r = tg.qr(tg.tensor(_G.T), some=False)
    assert q.shape == (5, 5) and r.shape == (5, 4)
    np.testing.assert_allclose((q @ r).numpy(), _G.T, atol=1e-12)
    assert tg.GradScaler is tg.amp.GradScaler


# ----------------------------------------------------------------- nn names the probes missed
@pytest.mark.parametrize("target", [[[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0]],
                                    [[4, 4, -1, 0, 0], [0, -1, 2, 3, 3], [2, 1, 0, -1, 4]]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(target, reduction):
    x = np.random.default_rng(0).normal(size=(3, 5))
    xi = tg.tensor(x, requires_grad=True)
    loss = tg.nn.functional.multilabel_margin_loss(xi, tg.tensor(target), reduction=reduction)
    loss.sum().backward()
    want = []  # the definition, written out: each listed j (repeats count) against each i
    for row, ids in zip(x, target):
        listed = ids[:ids.index(-1)] if -1 in ids else ids
        want.append(sum(max(0.0, 1 - (row[j] - row[i])) for j in listed for i in range(5)
                        if i not in listed) / 5)
    want = np.array(want)
    want = {"mean": want.mean(), "sum": want.sum(), "none": want}[reduction]
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-12)
    if _torch is not None:
        xt = _torch.tensor(x, requires_grad=True)
        lt = _torch.nn.functional.multilabel_margin_loss(xt, _torch.tensor(target),
                                                         reduction=reduction)
        lt.sum().backward()
        np.testing.assert_allclose(xi.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    assert isinstance(tg.nn.MultiLabelMarginLoss()(xi[0], tg.tensor(target[0])), tg.Tensor)
    with pytest.raises(RuntimeError):
        tg.nn.functional.multilabel_margin_loss(tg.ones(1, 2), tg.tensor([[5, -1]]))


def test_feature_alpha_dropout_drops_whole_channels():
    tg.manual_seed(0)
    m = tg.nn.FeatureAlphaDropout(0.5)
    y = m(tg.ones(4, 6, 3, 3)).numpy()
    assert (y == y[:, :, :1, :1]).all() and np.unique(y.round(4)).size == 2
    m.eval()
    assert (m(tg.ones(2, 2, 2)).numpy() == 1).all()


def test_pools_with_indices_and_lazy_modules():
    F = tg.nn.functional
    values, indices = F.max_pool2d_with_indices(tg.arange(16.0).reshape(1, 1, 4, 4), 2)
    assert values.flatten().tolist() == indices.flatten().tolist() == [5, 7, 13, 15]
    values, indices = F.adaptive_max_pool1d_with_indices(tg.arange(8.0).reshape(1, 1, 8), 2)
    assert indices.flatten().tolist() == [3, 7]
    for lazy, full, args, x in ((tg.nn.LazyConv2d, tg.nn.Conv2d, (4, 3), tg.ones(2, 3, 8, 8)),
                                (tg.nn.LazyConvTranspose1d, tg.nn.ConvTranspose1d, (4, 3),
                                 tg.ones(2, 3, 8)),
                                (tg.nn.LazyBatchNorm2d, tg.nn.BatchNorm2d, (), tg.ones(2, 3, 4, 4)),
                                (tg.nn.LazyInstanceNorm1d, tg.nn.InstanceNorm1d, (),
                                 tg.ones(2, 3, 5))):
        m = lazy(*args)
        held = list(m.parameters())
        optimizer = tg.optim.SGD(m.parameters(), lr=0.1)
        out = m(x)
        out.sum().backward()
        optimizer.step()
        assert type(m) is full and all(a is b for a, b in zip(held, m.parameters()))
        assert len(held) == 2 and held[0].shape[:2] in ((4, 3), (3, 4), (3,))
    assert len(list(tg.nn.LazyConv2d(4, 3, bias=False).parameters())) == 1
    assert not list(tg.nn.LazyBatchNorm1d(affine=False).parameters())


def test_data_parallel_and_sync_batch_norm_run_the_module():
    net = tg.nn.DataParallel(tg.nn.Linear(2, 3))
    assert list(net.state_dict()) == ["module.weight", "module.bias"]
    assert net(tg.ones(4, 2)).shape == (4, 3) and isinstance(net.module, tg.nn.Linear)
    assert tg.nn.parallel.DistributedDataParallel(tg.nn.Linear(2, 3)).module.out_features == 3
    model = tg.nn.Sequential(tg.nn.Conv2d(1, 2, 1), tg.nn.BatchNorm2d(2))
    weight = model[1].weight
    converted = tg.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is tg.nn.SyncBatchNorm and converted[1].weight is weight
    assert tg.nn.SyncBatchNorm(3)(tg.ones(2, 3, 4)).shape == (2, 3, 4)


# ------------------------------------------------------------------- indexing and setitem
def _index_parts(T, combo):
    return tuple(T.tensor([0, 1]) if p == "t" else [1, 0] if p == "l" else
                 T.tensor([True, False]) if p == "m" else p for p in combo)


@pytest.mark.parametrize("combo", [
    (1, slice(None), True), (0, True, True), (0, True, "t"), (0, "t", True),
    (False, slice(None), 1), ("t", slice(None), True), (Ellipsis, False), (True, 0, Ellipsis),
    (None, 1, True)])
def test_python_bools_in_an_index_are_new_axes_indexed_as_pytorch(combo):
    x = tg.arange(24.0).reshape(2, 3, 4)
    got = x[_index_parts(tg, combo)]
    base = np.arange(24.0).reshape(2, 3, 4)
    if _torch is not None:
        want = _torch.arange(24.0).reshape(2, 3, 4)[_index_parts(_torch, combo)]
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        written, expected = tg.tensor(base), _torch.tensor(base)
        written[_index_parts(tg, combo)] = -1.0
        expected[_index_parts(_torch, combo)] = -1.0
        np.testing.assert_array_equal(written.numpy(), expected.numpy())
    leaf = tg.tensor(base, requires_grad=True)
    leaf[_index_parts(tg, combo)].sum().backward()
    assert leaf.grad.shape == (2, 3, 4)


def test_bool_index_layouts_written_out():
    x = tg.zeros(2, 3, 1)
    assert x[1, :, True, -1].shape == (3, 1)  # NumPy: (1, 3)
    assert tg.zeros(4, 3)[tg.tensor(0), :, False].shape == (3, 0)  # NumPy: (0, 3)
    assert tg.zeros(2, 3, 4)[0, True, True].shape == (1, 3, 4)


def test_setitem_drops_a_values_leading_ones_and_names_mismatches():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0])
    x[-3] = tg.tensor([9.0])
    assert x.tolist() == [1.0, 9.0, 3.0, 4.0]
    y = tg.zeros(2, 3)
    y[0] = tg.ones(1, 1, 3)
    assert y.tolist() == [[1, 1, 1], [0, 0, 0]]
    a = tg.zeros(3, requires_grad=True) * 1
    b = tg.tensor([[7.0]], requires_grad=True)
    a[1] = b
    a.sum().backward()
    assert b.grad.tolist() == [[1.0]]
    with pytest.raises(RuntimeError, match="cannot be written"):
        x[0:2] = tg.ones(3)


def test_where_takes_a_uint8_condition_with_a_warning():
    with pytest.warns(UserWarning, match="uint8"):
        got = tg.where(tg.tensor([1, 0], dtype=tg.uint8), tg.ones(2), tg.zeros(2))
    assert got.tolist() == [1.0, 0.0]
    with pytest.raises(RuntimeError):
        tg.ones(2).masked_fill(tg.tensor([1, 0], dtype=tg.uint8), 5.0)  # PyTorch refuses too


def test_narrow_and_take_along_dim_errors_are_runtime_errors():
    with pytest.raises(RuntimeError):
        tg.ones(3).narrow(0, 2, 5)
    with pytest.raises(RuntimeError, match="do not broadcast"):
        tg.take_along_dim(tg.ones(2, 3), tg.zeros(3, 1).long(), 1)


# ------------------------------------------------------------------ custom Functions, linalg
def test_an_input_kept_on_ctx_is_differentiated_through_under_create_graph():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.x = x
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (saved,) = ctx.saved_tensors
            return 3 * ctx.x * saved * grad_output

    class Scale(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.w = w
            ctx.save_for_backward(x)
            return x * w

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * ctx.w, grad_output * x

    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    assert g.tolist() == [3.0, 12.0] and h.tolist() == [6.0, 12.0]  # PyTorch's; 6x, not 3x
    w = tg.tensor([3.0, 4.0], dtype=tg.float64, requires_grad=True)
    (gx,) = tg.autograd.grad(Scale.apply(x, w).sum(), x, create_graph=True)
    assert tg.autograd.grad(gx.sum(), w)[0].tolist() == [1.0, 1.0]
    Scale.apply(x, w).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(("matrix", "cofactors"), [
    ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
     [[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]]),
    ([[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]),
    ([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]),
    ([[2.0, 1.0], [1.0, 3.0]], [[3.0, -1.0], [-1.0, 2.0]])])
def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix(matrix, cofactors):
    a = tg.tensor(matrix, dtype=tg.float64, requires_grad=True)
    tg.linalg.det(a).backward()  # (raised LinAlgError for a singular matrix)
    np.testing.assert_allclose(a.grad.numpy(), cofactors, atol=1e-12)
    assert tg.gradcheck(tg.linalg.det, (tg.tensor(matrix, dtype=tg.float64, requires_grad=True),))
    batch = tg.tensor([matrix, np.eye(len(matrix))], dtype=tg.float64, requires_grad=True)
    tg.linalg.det(batch).sum().backward()
    np.testing.assert_allclose(batch.grad.numpy()[0], cofactors, atol=1e-12)


def test_setting_requires_grad_of_a_result_is_refused_as_pytorch():
    y = tg.ones(2, requires_grad=True) * 2
    for value in (True, False):
        with pytest.raises(RuntimeError, match="leaf"):
            y.requires_grad = value
    assert y.requires_grad_(True) is y  # the method form is a no-op there, as PyTorch


def _twice(library):
    class Twice(library.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    return Twice


@pytest.mark.parametrize("library", ["tinygrad_np", "torch"])
def test_a_custom_functions_node_is_named_as_pytorch(library):
    if library == "torch" and _torch is None:
        pytest.skip("PyTorch is not installed")
    module = tg if library == "tinygrad_np" else _torch
    node = _twice(module).apply(module.ones(2, requires_grad=True)).grad_fn
    assert node.name() == "TwiceBackward"
    assert library == "torch" or repr(node).startswith("<TwiceBackward object")


def test_linalg_errors_and_inv_ex():
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.cholesky(-tg.eye(2))
    with pytest.raises(RuntimeError):  # a RuntimeError, as PyTorch's LinAlgError
        tg.linalg.inv(tg.zeros(2, 2))
    result = tg.linalg.inv_ex(tg.tensor([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 2.0]]]))
    assert result.info.tolist()[1] == 0 and result.info.tolist()[0] > 0
    assert result.inverse[1].tolist() == [[0.5, 0.0], [0.0, 0.5]]
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.inv_ex(tg.zeros(2, 2), check_errors=True)


def test_svd_and_pca_lowrank_are_the_leading_singular_triples():
    a = np.random.default_rng(0).normal(size=(20, 5))
    u, s, v = tg.svd_lowrank(tg.tensor(a), q=2)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False)[:2])
    left, values, right = np.linalg.svd(a)
    np.testing.assert_allclose(((u * s) @ v.mT).numpy(),
                               (left[:, :2] * values[:2]) @ right[:2], atol=1e-12)
    u, s, v = tg.pca_lowrank(tg.tensor(a), q=3)
    centred = a - a.mean(0)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(centred, compute_uv=False)[:3])
    assert u.shape == (20, 3) and v.shape == (5, 3)


def test_func_jvp_and_linearize():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    v = tg.tensor([1.0, 0.5], dtype=tg.float64)
    out, product = tg.func.jvp(lambda a: a ** 2 * a.sin(), (x,), (v,))
    want = (2 * x.numpy() * np.sin(x.numpy()) + x.numpy() ** 2 * np.cos(x.numpy())) * v.numpy()
    np.testing.assert_allclose(product.numpy(), want)
    assert not product.requires_grad and not out.requires_grad
    _, product, aux = tg.func.jvp(lambda a, b: (a * b, a.sum()), (x, x), (v, v), has_aux=True)
    assert product.tolist() == [2.0, 2.0] and aux.item() == 3.0
    _, jvp_fn = tg.func.linearize(lambda a: a.exp(), x)
    np.testing.assert_allclose(jvp_fn(v).numpy(), np.exp(x.numpy()) * v.numpy())
    w = tg.tensor([0.5, 1.5], dtype=tg.float64, requires_grad=True)
    _, product = tg.func.jvp(lambda a: a * a * w, (x,), (v,))  # w read by func: kept
    product.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        tg.func.jvp(lambda a: a, x, v)


# ------------------------------------------------------------ promotion, from the dtype fuzz
_PROMOTION_CASES = {
    "add_alpha_int8": (lambda T: T.add(T.tensor([1.0]), T.tensor([100], dtype=T.int8), alpha=3),
                       "float32", [301.0]),
    "sub_alpha_uint8": (lambda T: T.sub(T.tensor([1.0]), T.tensor([200], dtype=T.uint8),
                                        alpha=1000), "float32", [-199999.0]),
    "add_alpha_half": (lambda T: T.add(T.tensor([1.0], dtype=T.float16),
                                       T.tensor([3], dtype=T.int8), alpha=0.5), "float16", [2.5]),
    "number_first_half": (lambda T: T.add(2.5, T.tensor([1.0, 2.0], dtype=T.float16)),
                          "float16", [3.5, 4.5]),
    "numpy_number_first": (lambda T: T.mul(np.float64(2.5), T.tensor([1, 2])), "float32",
                           [2.5, 5.0]),
    "number_first_sub": (lambda T: T.sub(2.5, T.tensor([1.0], dtype=T.float16)), "float16",
                         [1.5]),
    "number_first_0d_int8": (lambda T: T.add(3, T.tensor(2, dtype=T.int8)), "int8", 5),
    "exp2_int8": (lambda T: T.exp2(T.tensor([16], dtype=T.int8)), "float32", [65536.0]),
    "nextafter_bool": (lambda T: T.nextafter(T.tensor([False]), T.tensor([-1.0])), "float32",
                       [-1.401298464324817e-45]),
    "mean_int_as_half": (lambda T: T.mean(T.tensor([2 ** 31 - 1, -2 ** 31 + 1, 60000],
                                                   dtype=T.int32), dtype=T.float16),
                         "float16", 20000.0),
    "round_half_decimals": (lambda T: T.round(T.tensor([65504.0], dtype=T.float16), decimals=1),
                            "float16", [65504.0]),
    "bitwise_0d_uint8": (lambda T: T.tensor(1, dtype=T.uint8) | -3, "uint8", 253),
    "full_like_wraps": (lambda T: T.full_like(T.tensor([5, 200], dtype=T.uint8), -1), "uint8",
                        [255, 255]),
}


@pytest.mark.parametrize("name", sorted(_PROMOTION_CASES))
def test_promotion_and_scaling_as_pytorch(name):
    call, dtype, values = _PROMOTION_CASES[name]
    got = call(tg)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got.tolist(), values, rtol=1e-3)
    if _torch is not None:
        want = call(_torch)
        assert str(want.dtype) == f"torch.{dtype}"
        np.testing.assert_allclose(got.tolist(), want.tolist(), rtol=1e-3)


@pytest.mark.parametrize("write", [
    lambda u, i: u.__ior__(i), lambda u, i: u.__iand__(i), lambda u, i: u.__ifloordiv__(i),
    lambda u, i: u.__imod__(i), lambda u, i: u.bitwise_and_(i), lambda u, i: u.clamp_(min=i)])
def test_in_place_integer_ops_store_another_integer_dtype_as_pytorch(write):
    u, i = tg.tensor([5, 200], dtype=tg.uint8), tg.tensor([3, -1], dtype=tg.int8)
    got = write(u, i)
    assert got is u and u.dtype == np.uint8
    if _torch is not None:
        tu = _torch.tensor([5, 200], dtype=_torch.uint8)
        write(tu, _torch.tensor([3, -1], dtype=_torch.int8))
        assert u.tolist() == tu.tolist()
    with pytest.raises(RuntimeError):
        tg.tensor([1, 2], dtype=tg.uint8).add_(tg.tensor([1.5]))  # a float into ints: refused


@pytest.mark.parametrize(("size", "value", "dtype"), [((2,), 1e6, "float16"), ((2,), 300, "int8"),
                                                    ((2,), float("nan"), "int64")])
def test_full_refuses_a_value_its_dtype_cannot_hold(size, value, dtype):
    with pytest.raises(RuntimeError, match="cannot be converted"):
        tg.full(size, value, dtype=getattr(tg, dtype))
    assert tg.full((2,), -1, dtype=tg.uint8).tolist() == [255, 255]
    assert tg.full((2,), 2.7, dtype=tg.int64).tolist() == [2, 2]


def test_a_lazy_module_keeps_its_hooks_and_mode_and_runs_them_once():
    calls = []
    m = tg.nn.LazyBatchNorm2d()
    m.register_forward_hook(lambda module, args, output: calls.append(type(module).__name__))
    m.eval()
    m(tg.ones(2, 3, 4, 4))
    assert calls == ["BatchNorm2d"] and not m.training and type(m) is tg.nn.BatchNorm2d
    m(tg.ones(2, 3, 4, 4))
    assert calls == ["BatchNorm2d", "BatchNorm2d"]


def test_distribution_expand_broadcasts_the_parameters():
    D = tg.distributions
    x = tg.tensor([0.5, -1.0, 2.0])
    normal = D.Normal(0.0, 1.0).expand([3])
    assert normal.batch_shape == (3,) and normal.sample().shape == (3,)
    np.testing.assert_allclose(normal.log_prob(x).numpy(),
                               -0.5 * x.numpy() ** 2 - 0.5 * np.log(2 * np.pi), rtol=1e-6)
    loc = tg.tensor(0.25, requires_grad=True)
    D.Normal(loc, 2.0).expand([3]).log_prob(x).sum().backward()
    assert loc.grad.item() == pytest.approx(((x.numpy() - 0.25) / 4).sum())  # reaches loc
    categorical = D.Categorical(probs=tg.tensor([0.2, 0.3, 0.5])).expand([2])
    np.testing.assert_allclose(categorical.log_prob(tg.tensor([0, 2])).numpy(),
                               np.log([0.2, 0.5]), rtol=1e-6)
    independent = D.Independent(D.Normal(tg.zeros(3), tg.ones(3)), 1).expand([5])
    assert independent.batch_shape == (5,) and independent.sample().shape == (5, 3)
    mvn = D.MultivariateNormal(tg.zeros(2), tg.eye(2)).expand([4])
    assert mvn.sample().shape == (4, 2) and mvn.log_prob(tg.zeros(4, 2)).shape == (4,)
    with pytest.raises(ValueError):
        D.Normal(tg.zeros(2), 1.0).expand([3])


def test_empty_reductions_and_infinite_ranges_raise_pytorchs_classes():
    with pytest.raises(IndexError):
        tg.zeros(0, 3).aminmax(dim=0)
    with pytest.raises(RuntimeError):  # PyTorch: RuntimeError here, IndexError for amax
        tg.zeros(0, 3).norm(p=float("inf"), dim=0)
    with pytest.raises(IndexError):
        tg.zeros(0, 3).amax(0)
    with pytest.raises(RuntimeError, match="unsupported range"):
        tg.arange(0, float("inf"))


# ---------------------------------------------------- in-place writes through a whole reshape
def _d2l_attention(T, q_values, k_values, v_values):
    def sequence_mask(X, valid_len, value=0.0):
        mask = T.arange(X.size(1), dtype=T.float32)[None, :] < valid_len[:, None]
        X[~mask] = value  # X is a reshape of the caller's scores, which stay alive
        return X

    def masked_softmax(X, valid_lens):
        shape = X.shape
        valid_lens = T.repeat_interleave(valid_lens, shape[1])
        X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return T.nn.functional.softmax(X.reshape(shape), dim=-1)

    q, k, v = (T.tensor(a, requires_grad=True) for a in (q_values, k_values, v_values))
    scores = T.bmm(q, k.transpose(1, 2)) / 2.0
    out = T.bmm(masked_softmax(scores, T.tensor([2, 3])), v)
    (out * T.tensor(np.arange(36.0).reshape(2, 3, 6))).sum().backward()
    return [a.detach().numpy() for a in (out, scores, q.grad, k.grad, v.grad)]


def test_d2l_masked_softmax_writes_through_a_reshape_as_pytorch():
    rng = np.random.default_rng(0)
    arrays = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))
    got = _d2l_attention(tg, *arrays)
    assert (got[1][0, :, 2:] == -1e6).all() and (got[1][1, :, 3:] == -1e6).all()  # the base
    if _torch is not None:
        for mine, theirs in zip(got, _d2l_attention(_torch, *arrays)):
            np.testing.assert_allclose(mine, theirs, atol=1e-10)


def test_writes_through_reshapes_differentiate_correctly():
    def f(w):
        x = w * w.sin()
        v = x.reshape(3, 2)
        x[1, 1] = 0.5  # into the base: the reshape sees it
        v[0, 0] = v[0, 1] * 2  # into the reshape: the base sees it
        return (x ** 2).sum() + v.sum()

    w = tg.tensor(np.random.default_rng(1).normal(size=(2, 3)), requires_grad=True)
    assert tg.gradcheck(f, (w,))
    x = w.exp()
    v = x.reshape(3, 2)
    v[0, 0] = 1.0  # exp saved its output: changed in place, as PyTorch refuses backward
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        x.sum().backward()


def test_multinomial_as_d2l_uses_it():
    from tinygrad_np.distributions import multinomial

    fair = tg.ones(6) / 6
    one = multinomial.Multinomial(1, fair).sample()
    assert one.shape == (6,) and one.sum().item() == 1.0 and one.dtype == np.float32
    counts = multinomial.Multinomial(10, fair).sample((500,))
    assert counts.shape == (500, 6) and (counts.sum(1).numpy() == 10).all()
    assert abs(counts.numpy().mean(0) - 10 / 6).max() < 0.25
    m = tg.distributions.Multinomial(5, probs=tg.tensor([0.2, 0.3, 0.5]))
    want = math.log(30) + math.log(0.2) + 2 * math.log(0.3) + 2 * math.log(0.5)  # 5!/(1!2!2!)
    assert m.log_prob(tg.tensor([1.0, 2.0, 2.0])).item() == pytest.approx(want, rel=1e-6)
    assert m.mean.tolist() == pytest.approx([1.0, 1.5, 2.5])
    zero = tg.distributions.Multinomial(3, probs=tg.tensor([0.2, 0.0, 0.8]))
    assert zero.log_prob(tg.tensor([1.0, 0.0, 2.0])).item() == pytest.approx(
        math.log(3 * 0.2 * 0.64), rel=1e-6)  # a zero probability with a zero count: no NaN


# ------------------------------------------------------------------------------- printing
_RNG = np.random.default_rng(0)
_PRINTED = [np.array([1.0, 2.5, 3.0]), np.array([1.0, 2.0, 3.0]), np.array([1e-5, 1.0]),
            np.array([1e9, 1.0]), np.array([0.0, 0.0]), np.array([np.nan, 1.0, np.inf, -np.inf]),
            np.array(1.5), np.array(3.0), _RNG.normal(size=(3, 4)), _RNG.normal(size=(2, 3, 4)),
            _RNG.normal(size=(1500,)), _RNG.normal(size=(40, 40)), np.arange(30.0),
            np.arange(12).reshape(3, 4), np.array([True, False]), np.array([1, 2], np.int32),
            np.array([1.5, 2.0], np.float16), np.zeros((0,)), np.zeros((0, 3)),
            np.zeros((0,), np.int64), np.array([123456.789, 0.001]), np.array([-0.0, 1.5]),
            np.arange(1200).reshape(30, 40), np.array([[1e-10]]), np.array(5)]


@pytest.mark.parametrize("index", range(len(_PRINTED)))
def test_tensors_print_as_pytorch_prints_them(index):
    values = _PRINTED[index]
    text = repr(tg.tensor(values))
    assert text.startswith("tensor(") and "shape=" not in text
    if _torch is not None:
        assert text == repr(_torch.tensor(values))


@pytest.mark.parametrize("options", [{"precision": 2}, {"sci_mode": False}, {"sci_mode": True},
                                     {"profile": "short"}, {"linewidth": 40},
                                     {"threshold": 10, "edgeitems": 2}])
def test_print_options_as_pytorch(options):
    values = [np.array([1.0, 2.5, 3.0]), np.array([1e-5, 1.0]), _RNG.normal(size=(3, 4)),
              _RNG.normal(size=(50,)), np.array([123456.789, 0.001])]
    try:
        tg.set_printoptions(**options)
        mine = [repr(tg.tensor(v, dtype=tg.float32)) for v in values]
    finally:
        tg.set_printoptions(profile="default")
    if _torch is not None:
        try:
            _torch.set_printoptions(**options)
            assert mine == [repr(_torch.tensor(v, dtype=_torch.float32)) for v in values]
        finally:
            _torch.set_printoptions(profile="default")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"


@pytest.mark.parametrize("shape", [(4, 6, 5), (4, 6, 3, 3)])
def test_feature_dropout_zeroes_whole_channels_of_any_rank(shape):
    tg.manual_seed(0)
    y = tg.feature_dropout(tg.ones(*shape), 0.5, True).numpy()
    flat = y.reshape(shape[0], shape[1], -1)
    assert set(np.unique(y)) == {0.0, 2.0} and (flat == flat[:, :, :1]).all()
    assert (tg.feature_dropout(tg.ones(*shape), 0.5, False).numpy() == 1).all()


@pytest.mark.parametrize("make", [lambda x: x.detach(), lambda x: x.detach().reshape(2, 3),
                                  lambda x: x.data])
def test_a_write_into_a_detached_view_never_rewrites_the_graph(make):
    a = tg.arange(6.0).requires_grad_()
    x = a * 1
    other = make(x)
    w = tg.tensor(5.0, requires_grad=True)
    other[(0,) * other.ndim] = w  # as PyTorch: other joins the graph, x only sees the value
    assert other.requires_grad and x.tolist()[0] == 5.0
    (x * tg.arange(6.0)).sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and w.grad is None
    other.sum().backward()
    assert w.grad.item() == 1.0


def test_a_write_beside_a_dtype_view_is_no_reshape():
    x = tg.zeros(4)
    bits = x.view(tg.int32)
    x[0] = tg.tensor(1.5, requires_grad=True)  # the int view sees the bits, stays a constant
    assert bits.dtype == np.int32 and not bits.requires_grad
    assert bits.tolist()[0] == int(np.float32(1.5).view(np.int32)) and x.requires_grad


def test_review_findings_on_the_new_names():
    assert tg.nn.LazyConv2d(4, 3)(tg.ones(2, 5, 5)).shape == (4, 3, 3)  # unbatched: dim 0
    assert tg.nn.LazyConv1d(4, 3)(tg.ones(2, 5)).shape == (4, 3)
    with pytest.raises(RuntimeError, match="cannot be converted"):
        tg.tensor([1, 2], dtype=tg.uint8).masked_fill(tg.tensor([True, False]), tg.tensor(300))
    with pytest.raises(RuntimeError, match="floating-point"):
        tg.hann_window(4, dtype=tg.int64)
    with pytest.raises(RuntimeError):
        tg.feature_dropout(tg.ones(3), 0.5, True)
    buffer = bytearray(b"\x01\x00\x00\x00")
    shared = tg.frombuffer(buffer, dtype=tg.int32)
    buffer[0] = 7
    assert shared.tolist() == [7]  # the buffer's memory, as PyTorch
    with pytest.raises(ValueError):  # LinAlgError: a RuntimeError and (as NumPy's) ValueError
        tg.linalg.inv(tg.zeros(2, 2))
    u = tg.tensor([5, 200], dtype=tg.uint8)
    assert u.clamp(-1).tolist() == [255, 255] and u.clamp(None, -5).tolist() == [5, 200]
    with pytest.raises(RuntimeError, match="cannot be converted"):
        u.clamp(300)


def test_inputs_kept_on_ctx_in_containers_are_differentiated_through():
    class Product(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.both, ctx.named = [x, w], {"x": x}
            return x * w

        @staticmethod
        def backward(ctx, grad_output):
            x, w = ctx.both
            return grad_output * w, grad_output * ctx.named["x"]

    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    w = tg.tensor([3.0, 4.0], dtype=tg.float64, requires_grad=True)
    (gx,) = tg.autograd.grad(Product.apply(x, w).sum(), x, create_graph=True)
    assert tg.autograd.grad(gx.sum(), w)[0].tolist() == [1.0, 1.0]


# ----------------------------------------------------------- NumPy functions on tensors
@pytest.mark.parametrize("call", [lambda w, x: np.dot(w, x), lambda w, x: np.transpose(w),
                                  lambda w, x: np.clip(w, 0, 1), lambda w, x: np.where(w > 1, w, 0),
                                  lambda w, x: np.sum(w), lambda w, x: np.concatenate([w, w]),
                                  lambda w, x: np.reshape(w, -1), lambda w, x: np.linalg.norm(w)])
def test_numpy_functions_that_would_drop_a_gradient_are_refused(call):
    w = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = tg.tensor([1.0, 1.0])
    with pytest.raises(TypeError, match="would bypass autograd"):
        call(w, x)
    with tg.no_grad():  # nothing to lose there: NumPy's answer on the values
        np.testing.assert_allclose(np.asarray(call(w, x)), np.asarray(call(w.numpy(),
                                                                           x.numpy())))


def test_numpy_functions_run_on_the_values_of_other_tensors():
    pred, labels = tg.tensor([1, 2, 3]), tg.tensor([1, 0, 3])
    assert np.sum(pred == labels) == 2 and np.mean(tg.tensor([1.0, 3.0])) == 2.0
    w = tg.tensor([[1.0, np.nan]], requires_grad=True)
    assert np.shape(w) == (1, 2) and np.argmax(tg.tensor([1.0, 5.0])) == 1
    assert np.isnan(w).tolist() == [[False, True]]  # a check, not a value to differentiate
    assert np.allclose(w.detach(), w.detach(), equal_nan=True)
    with pytest.raises(TypeError, match=r"t\.exp\(\) or tg\.exp\(t\)"):
        np.exp(w)


def test_an_optimizer_refuses_a_tuple_of_tensors_as_a_name_parameter_pair():
    w1, b1 = tg.ones(2, requires_grad=True), tg.ones(1, requires_grad=True)
    with pytest.raises(TypeError, match=r"\(name, parameter\) pair"):
        tg.optim.SGD([(w1, b1)], lr=0.1)  # PyTorch silently trains b1 only
    optimizer = tg.optim.SGD([("w1", w1), ("b1", b1)], lr=0.1)
    assert len(optimizer.param_groups[0]["params"]) == 2


def test_arithmetic_with_a_values_indices_pair_is_refused():
    z = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match=r"\.values"):
        z - z.max(0)  # silently stacked the pair before; PyTorch raises too
    assert (z - z.max(0).values).tolist() == [[-2.0, -2.0], [0.0, 0.0]]
    with pytest.raises(TypeError):  # a list of numbers too, as PyTorch (wrap it in a tensor)
        z - [1.0, 2.0]
    assert (z - tg.tensor([1.0, 2.0])).tolist() == [[0.0, 0.0], [2.0, 2.0]]


def test_messages_and_round_for_numpy_habits():
    assert round(tg.tensor(2.5)) == 2 and round(tg.tensor(3.7)) == 4
    assert round(tg.tensor([1.23456, 2.5]), 3).tolist() == pytest.approx([1.235, 2.5])
    with pytest.raises(RuntimeError, match="write a @ b"):
        tg.tensor([[1.0, 2.0], [3.0, 4.0]]).dot(tg.ones(2))
    one_hot = tg.nn.functional.one_hot(tg.tensor([0, 1, 2]), 4)
    with pytest.raises(RuntimeError, match=r"target\.float\(\)"):
        tg.nn.functional.cross_entropy(tg.ones(3, 4), one_hot)
    loss = tg.nn.functional.cross_entropy(tg.ones(3, 4), one_hot.float())
    assert loss.item() == pytest.approx(np.log(4))
