"""Round 13 of the tensor probes against PyTorch: keyword and 0-d tensor argument forms,
view(dtype) across item sizes, missing torch names, addcmul's integer operands, empty
medians, and the 0-d float rule in comparisons, clamp, lerp, rsub and div."""

from __future__ import annotations

import warnings

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


# 1. Keyword and 0-d tensor argument forms.
@pytest.mark.parametrize("lib", LIBS)
def test_searchsorted_and_bucketize_out(lib):
    out = lib.zeros(2, dtype=lib.int64)
    result = lib.searchsorted(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([2.5, 0.0]), out=out)
    assert result is out and out.tolist() == [2, 0]
    out32 = lib.zeros(0, dtype=lib.int32)  # resized
    lib.bucketize(lib.tensor([2.5, 3.0]), lib.tensor([1.0, 2.0, 3.0]), out_int32=True,
                  right=True, out=out32)
    assert out32.tolist() == [2, 3] and out32.dtype == lib.int32


@pytest.mark.parametrize("lib", LIBS)
def test_searchsorted_out_of_another_dtype_raises(lib):
    with pytest.raises(RuntimeError):
        lib.searchsorted(lib.tensor([1.0, 2.0]), lib.tensor([1.5]), out=lib.zeros(1))
    with pytest.raises(RuntimeError):
        lib.bucketize(lib.tensor([1.5]), lib.tensor([1.0, 2.0]), out=lib.zeros(1, dtype=lib.int32))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", ["new_ones", "new_zeros", "new_empty"])
def test_new_factories_take_size_keyword(lib, name):
    x = lib.ones(3, dtype=lib.float64)
    made = getattr(x, name)(size=(2, 4), dtype=lib.int32)
    assert tuple(made.shape) == (2, 4) and made.dtype == lib.int32
    assert tuple(getattr(x, name)(size=[3]).shape) == (3,)
    assert getattr(x, name)(size=[3]).dtype == lib.float64


def test_new_factories_size_twice_raises():
    with pytest.raises(TypeError, match="new_ones"):
        tg.ones(3).new_ones(2, size=(2,))


@pytest.mark.parametrize("lib", LIBS)
def test_pow_scalar_first_keyword_self(lib):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float16)
    result = lib.pow(self=2, exponent=x)
    assert result.dtype == lib.float16 and result.tolist() == [2.0, 4.0, 8.0]
    out = lib.zeros(3, dtype=lib.float16)
    lib.pow(self=2, exponent=x, out=out)
    assert out.tolist() == [2.0, 4.0, 8.0]


@pytest.mark.parametrize("lib", LIBS)
def test_zero_d_int_tensor_as_dim(lib):
    x = lib.arange(6.0).reshape(2, 3)
    zero, one = lib.tensor(0), lib.tensor(1)
    assert x.sum(dim=zero).tolist() == [3.0, 5.0, 7.0]
    assert x.sum(dim=[zero, one]).item() == 15.0
    assert x.mean(one).tolist() == [1.0, 4.0]
    assert x.argmax(one).tolist() == [2, 2]
    assert x.cumsum(zero).tolist() == [[0, 1, 2], [3, 5, 7]]
    assert tuple(x.unsqueeze(one).shape) == (2, 1, 3)
    assert tuple(x.transpose(zero, one).shape) == (3, 2)
    assert x.flip(one).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.roll(one, one).tolist() == [[2, 0, 1], [5, 3, 4]]
    assert tuple(x.movedim(zero, 1).shape) == (3, 2)
    assert x.tril(lib.tensor(-1)).tolist() == [[0, 0, 0], [3, 0, 0]]
    assert lib.cat([x, x], one).shape[1] == 6
    assert x.select(zero, 1).tolist() == [3.0, 4.0, 5.0]
    assert x.sum(lib.tensor([[1]])).tolist() == [3.0, 12.0]  # one element: an int list


@pytest.mark.parametrize("lib", LIBS)
def test_zero_d_int_tensor_as_chunk_and_split_size(lib):
    x = lib.arange(5.0)
    assert [p.tolist() for p in x.chunk(lib.tensor(2))] == [[0, 1, 2], [3, 4]]
    assert [p.tolist() for p in x.split(lib.tensor(2))] == [[0, 1], [2, 3], [4]]
    assert [p.tolist() for p in x.chunk(2, lib.tensor(0))] == [[0, 1, 2], [3, 4]]


def test_float_tensor_as_dim_raises():
    with pytest.raises(TypeError, match="int"):
        tg.ones(2, 2).sum(tg.tensor(0.0))
    with pytest.raises(TypeError, match="int"):
        tg.ones(2, 2).sum(tg.tensor([0, 1]))


# 2. view(dtype) with another item size.
@pytest.mark.parametrize("lib", LIBS)
def test_view_dtype_of_another_item_size(lib):
    x = lib.tensor([[1.5, -2.0], [3.0, 4.0]], requires_grad=True)
    half = x.view(lib.float16)
    assert tuple(half.shape) == (2, 4) and half.dtype == lib.float16
    assert not half.requires_grad  # the bytes reinterpreted: no gradient (PyTorch)
    expected = np.array([[1.5, -2.0], [3.0, 4.0]], np.float32).view(np.float16)
    np.testing.assert_array_equal(_np(half), expected)
    back = half.view(lib.float32)
    assert tuple(back.shape) == (2, 2) and back.tolist() == [[1.5, -2.0], [3.0, 4.0]]
    assert tuple(lib.tensor([1.0]).view(lib.uint8).shape) == (4,)
    assert lib.tensor([1.0]).view(lib.uint8).tolist() == [0, 0, 128, 63]
    assert tuple(lib.arange(8, dtype=lib.float16).reshape(2, 4).view(lib.int64).shape) == (2, 1)


@pytest.mark.parametrize("lib", LIBS)
def test_view_dtype_shares_memory(lib):
    x = lib.zeros(2)
    bits = x.view(lib.int8)
    x[1] = 1.0
    assert bits.tolist()[4:] == [0, 0, -128, 63]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("make", [
    lambda lib: lib.ones(2, 4, dtype=lib.float16).t(),  # stride of the last dim not 1
    lambda lib: lib.ones(2, 3, dtype=lib.float16),  # last dim not divisible by 2
    lambda lib: lib.ones((), dtype=lib.float16),  # 0-d
])
def test_view_dtype_of_another_item_size_refusals(lib, make):
    with pytest.raises(RuntimeError):
        make(lib).view(lib.float32)


@pytest.mark.parametrize("lib", LIBS)
def test_view_same_item_size_of_a_grad_tensor_is_a_constant(lib):
    bits = lib.tensor([1.0], requires_grad=True).view(lib.int32)
    assert bits.tolist() == [1065353216] and not bits.requires_grad


# 6. A 0-d float tensor beside an n-d float tensor of another dtype takes the n-d dtype.
COMPARISONS = {  # name: (NumPy's ufunc for the expected values, the form under test)
    "==": (np.equal, lambda a, b: a == b), "!=": (np.not_equal, lambda a, b: a != b),
    "<": (np.less, lambda a, b: a < b), "<=": (np.less_equal, lambda a, b: a <= b),
    ">": (np.greater, lambda a, b: a > b), ">=": (np.greater_equal, lambda a, b: a >= b),
    "eq": (np.equal, lambda a, b: a.eq(b)), "ne": (np.not_equal, lambda a, b: a.ne(b)),
    "lt": (np.less, lambda a, b: a.lt(b)), "le": (np.less_equal, lambda a, b: a.le(b)),
    "gt": (np.greater, lambda a, b: a.gt(b)), "ge": (np.greater_equal, lambda a, b: a.ge(b)),
}


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float16", "float32")])
def test_comparison_with_a_zero_d_float_of_another_dtype(op, dtypes):
    narrow, wide = dtypes
    ufunc, form = COMPARISONS[op]
    values = np.array([0.1, 0.2, 0.3], dtype=narrow)
    scalar = np.array(0.1, dtype=wide)  # equal to values[0] only after the cast to `narrow`
    expected = ufunc(values, scalar.astype(narrow)).tolist()
    if ufunc is np.equal:  # the case matters: compared in the wider dtype it differs
        assert expected != ufunc(values, scalar).tolist()
    for lib in LIBS:
        n_d = lib.tensor(values.tolist(), dtype=getattr(lib, narrow))
        zero_d = lib.tensor(0.1, dtype=getattr(lib, wide))
        assert form(n_d, zero_d).tolist() == expected
        assert form(zero_d, n_d).tolist() == ufunc(scalar.astype(narrow), values).tolist()


@pytest.mark.parametrize("lib", LIBS)
def test_function_comparisons_with_a_zero_d_float(lib):
    x = lib.tensor([0.1, 0.2])
    assert lib.eq(x, lib.tensor(0.1, dtype=lib.float64)).tolist() == [True, False]
    assert lib.ne(lib.tensor(0.1, dtype=lib.float64), x).tolist() == [False, True]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("form", [
    lambda lib, h, s: h.clamp(min=s), lambda lib, h, s: lib.clamp(h, max=s),
    lambda lib, h, s: h.clamp_min(s), lambda lib, h, s: h.clamp_max(s),
    lambda lib, h, s: h.clamp(s, s * 2), lambda lib, h, s: lib.rsub(h, s),
    lambda lib, h, s: lib.lerp(h, h * 2, s),
    lambda lib, h, s: lib.div(h, s, rounding_mode="floor"),
    lambda lib, h, s: lib.div(h, s, rounding_mode="trunc"),
    lambda lib, h, s: lib.div(s, h, rounding_mode="floor"),
])
def test_zero_d_float32_keeps_float16(lib, form):
    h = lib.tensor([0.5, 1.0, 3.0], dtype=lib.float16)
    result = form(lib, h, lib.tensor(0.75))
    assert result.dtype == lib.float16


def test_clamp_with_zero_d_tensor_bounds_values_and_gradients():
    values = [-1.0, 0.25, 0.5, 2.0]
    x = tg.tensor(values, dtype=tg.float64, requires_grad=True)
    low, high = tg.tensor(0.0, requires_grad=True), tg.tensor(1.0, requires_grad=True)
    result = x.clamp(low, high)
    assert result.dtype == tg.float64 and result.tolist() == [0.0, 0.25, 0.5, 1.0]
    result.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]
    if torch is not None:
        tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        tlow, thigh = torch.tensor(0.0, requires_grad=True), torch.tensor(1.0, requires_grad=True)
        tx.clamp(tlow, thigh).sum().backward()
        assert tx.grad.tolist() == x.grad.tolist()
        assert low.grad.item() == tlow.grad.item() and high.grad.item() == thigh.grad.item()


# 5. The median of no elements.
EMPTY_MEDIANS = [("int16", 0), ("int8", 0), ("uint8", 0), ("int32", -2**31), ("int64", -2**63),
                 ("bool", True)]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("dtype, expected", EMPTY_MEDIANS)
def test_empty_median_of_integers_and_bools(lib, name, dtype, expected):
    result = getattr(lib.ones(0, dtype=getattr(lib, dtype)), name)()
    assert result.dtype == getattr(lib, dtype) and result.item() == expected and result.ndim == 0


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_empty_median_of_floats_is_nan_in_the_graph(lib, name, dtype):
    x = lib.ones(2, 0, dtype=getattr(lib, dtype), requires_grad=True)
    result = getattr(x, name)()
    assert result.dtype == getattr(lib, dtype) and np.isnan(result.item())
    assert result.grad_fn is not None
    result.backward()
    assert tuple(x.grad.shape) == (2, 0)


# 4. addcmul / addcdiv compute in the result dtype of the three operands.
@pytest.mark.parametrize("lib", LIBS)
def test_addcmul_narrow_integer_operands_do_not_wrap(lib):
    u8 = lib.tensor([16, 20], dtype=lib.uint8)
    assert lib.addcmul(lib.zeros(2), u8, u8).tolist() == [256.0, 400.0]
    assert lib.zeros(2).addcmul_(u8, u8).tolist() == [256.0, 400.0]
    assert lib.addcmul(lib.zeros(2), u8, u8, value=2).tolist() == [512.0, 800.0]
    i8 = lib.tensor([2, 2], dtype=lib.int8)
    wide = lib.addcmul(lib.zeros(2, dtype=lib.int8), lib.tensor([100, 100]), i8)
    assert wide.dtype == lib.int64 and wide.tolist() == [200, 200]
    narrow = lib.addcmul(lib.zeros(2, dtype=lib.uint8), u8, u8)  # all uint8: wraps, as there
    assert narrow.dtype == lib.uint8 and narrow.tolist() == [0, 144]


@pytest.mark.parametrize("lib", LIBS)
def test_addcmul_result_dtype(lib):
    flags = lib.tensor([True])
    result = lib.addcmul(lib.tensor(1, dtype=lib.int32), flags, flags)
    assert result.dtype == lib.int32 and result.tolist() == [2]
    ints = lib.addcmul(lib.zeros(2, dtype=lib.int32), lib.tensor([1, 2]), lib.tensor([1, 2]),
                       value=0.5)  # a float value with integers: truncated to 0
    assert ints.dtype == lib.int64 and ints.tolist() == [0, 0]
    half = lib.addcmul(lib.zeros(2, dtype=lib.float16), lib.tensor(300.0), lib.tensor(300.0))
    assert half.dtype == lib.float16 and half.tolist() == [float("inf")] * 2


@pytest.mark.parametrize("lib", LIBS)
def test_addcdiv_integer_operands(lib):
    quotient = lib.addcdiv(lib.zeros(2), lib.tensor([16, 20], dtype=lib.uint8),
                           lib.tensor([2.0, 4.0]), value=20)  # 20 * uint8 does not wrap
    assert quotient.tolist() == [160.0, 100.0]
    with pytest.raises(RuntimeError):
        lib.addcdiv(lib.zeros(2), lib.tensor([1, 2]), lib.tensor([3, 7]))


def test_addcmul_addcdiv_gradients_match_torch():
    values = {"x": [0.5, -1.0, 2.0], "a": [1.5, 2.0, -0.5], "b": [0.25, 4.0, 3.0]}
    results = {}
    for lib in LIBS:
        leaves = {k: lib.tensor(v, dtype=lib.float64, requires_grad=True)
                  for k, v in values.items()}
        out = lib.addcmul(leaves["x"], leaves["a"], leaves["b"], value=0.5)
        out = out + lib.addcdiv(leaves["x"], leaves["a"], leaves["b"], value=3)
        out.pow(2).sum().backward()
        results[lib.__name__] = [out.tolist()] + [leaves[k].grad.tolist() for k in values]
    expected_x = np.array(values["x"]) * 2 + 0.5 * np.multiply(values["a"], values["b"]) + 3 * (
        np.divide(values["a"], values["b"]))
    np.testing.assert_allclose(results["tinygrad_np"][0], expected_x)
    if torch is not None:
        np.testing.assert_allclose(results["tinygrad_np"], results["torch"])


# 3. torch.* names ordinary code uses.
@pytest.mark.parametrize("lib", LIBS)
def test_small_function_forms(lib):
    assert lib.get_device(lib.ones(2)) == -1
    assert lib.is_signed(lib.ones(1)) and not lib.is_signed(lib.ones(1, dtype=lib.uint8))
    assert not lib.is_inference(lib.ones(1)) and not lib.ones(1).is_inference()
    target = lib.zeros(5)
    assert lib.put(target, lib.tensor([1, 3]), lib.tensor([9.0, 8.0])).tolist() == [
        0.0, 9.0, 0.0, 8.0, 0.0]
    assert target.tolist() == [0.0] * 5  # put is out of place
    into = lib.zeros(2)
    assert lib.addmv_(into, lib.ones(2, 3), lib.ones(3)) is into and into.tolist() == [3.0, 3.0]
    grown = lib.zeros(2)
    lib.resize_as_(grown, lib.ones(2, 2))
    assert tuple(grown.shape) == (2, 2)


@pytest.mark.parametrize("lib", LIBS)
def test_empty_permuted(lib):
    made = lib.empty_permuted((2, 3, 4), (0, 2, 1), dtype=lib.float64)
    assert tuple(made.shape) == (2, 3, 4) and made.dtype == lib.float64
    with pytest.raises(RuntimeError):
        lib.empty_permuted((2, 3), (0, 0))


@pytest.mark.parametrize("lib", LIBS)
def test_cond_runs_the_branch(lib):
    ones = lib.ones(2)
    assert lib.cond(lib.tensor(True), lambda a: a + 1, lambda a: a - 1, (ones,)).tolist() == [
        2.0, 2.0]
    assert lib.cond(False, lambda a, b: a + b, lambda a, b: a - b, [ones, ones]).tolist() == [
        0.0, 0.0]


def test_while_loop_runs_eagerly():
    count, total = tg.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i),
                                 (tg.tensor(0), tg.tensor(0)))
    assert count.item() == 4 and total.item() == 6


def test_cond_with_a_tensor_of_several_values_raises():
    with pytest.raises(RuntimeError, match="cond"):
        tg.cond(tg.tensor([True, False]), lambda: 1, lambda: 2)


@pytest.mark.parametrize("lib", LIBS)
def test_from_dlpack_shares_numpy_memory(lib):
    array = np.arange(3.0)
    made = lib.from_dlpack(array)
    array[0] = 7.0
    assert made.tolist() == [7.0, 1.0, 2.0] and made.dtype == lib.float64
    assert np.from_dlpack(lib.tensor([1, 2])).tolist() == [1, 2]
    with pytest.raises(BufferError):
        np.from_dlpack(lib.ones(2, requires_grad=True))


@pytest.mark.parametrize("lib", LIBS)
def test_set_flush_denormal_keeping_denormals(lib):
    assert lib.set_flush_denormal(False) is True


def test_set_flush_denormal_reports_no_flushing():
    # NumPy cannot flush denormals: asked to, the answer is False (not supported)
    assert tg.set_flush_denormal(True) is False
    assert tg.tensor([1e-40]).item() != 0.0


POINTS = [[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]]


@pytest.mark.parametrize("lib", LIBS)
def test_histogramdd(lib):
    hist, edges = lib.histogramdd(lib.tensor(POINTS), bins=[2, 2])
    assert hist.tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert [e.tolist() for e in edges] == [[0.0, 1.0, 2.0], [0.0, 0.5, 1.0]]
    dense = lib.histogramdd(lib.tensor(POINTS), bins=2, range=[0.0, 2.0, 0.0, 1.0],
                            density=True)
    np.testing.assert_allclose(_np(dense.hist), [[2 / 3, 0.0], [0.0, 4 / 3]], rtol=1e-6)
    weighted = lib.histogramdd(
        lib.tensor(POINTS), bins=[lib.tensor([0.0, 1.0, 2.0]), lib.tensor([0.0, 0.6, 1.0])],
        weight=lib.tensor([1.0, 2.0, 3.0]))
    assert weighted.hist.tolist() == [[1.0, 0.0], [3.0, 2.0]]


@pytest.mark.parametrize("lib", LIBS)
def test_autocast_state(lib):
    assert not lib.is_autocast_enabled("cpu") and not lib.is_autocast_enabled()
    with lib.autocast("cpu", dtype=lib.float16):
        assert lib.is_autocast_enabled("cpu") and not lib.is_autocast_enabled("cuda")
        assert lib.get_autocast_dtype("cpu") == lib.float16
    assert not lib.is_autocast_enabled("cpu")
    lib.set_autocast_enabled("cpu", True)
    try:
        assert lib.is_autocast_enabled("cpu")
    finally:
        lib.set_autocast_enabled("cpu", False)
    assert lib.get_autocast_dtype("cuda") == lib.float16


@pytest.mark.parametrize("lib", LIBS)
def test_storage(lib):
    x = lib.arange(6.0).reshape(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch: TypedStorage is deprecated
        block = x[1].storage()
        assert block.size() == 6 and len(block) == 6 and block.tolist() == [0, 1, 2, 3, 4, 5]
        assert block.data_ptr() == x.data_ptr() and block.element_size() == 4


@pytest.mark.parametrize("lib", LIBS)
def test_deprecated_resize_and_resize_as(lib):
    x = lib.arange(6.0, dtype=lib.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        y = x.resize(2, 3)
    assert tuple(y.shape) == (2, 3)
    (y * lib.arange(6.0, dtype=lib.float64).reshape(2, 3)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        assert tuple(x.detach().resize_as(lib.ones(3, 2)).shape) == (3, 2)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError):
        x.resize(4, 4)
