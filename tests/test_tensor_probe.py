"""The everyday tensor API against PyTorch 2.13, from a differential probe: each test pins a
difference the probe found (hard-coded values taken from PyTorch) and, where PyTorch is
installed, compares with it directly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor


def _torch():
    return pytest.importorskip("torch")


def _same(ours: Tensor, theirs) -> None:
    """Values, dtype and shape of a tinygrad_np tensor equal a torch tensor's."""
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-30)


# ----------------------------------------------------------------- shape is a Size
def test_shape_is_a_size_and_size_arithmetic_stays_a_size():
    x = tg.zeros(2, 3, 4)
    assert isinstance(x.shape, tg.Size) and x.shape.numel() == 24
    assert isinstance(x.shape[1:], tg.Size) and x.shape[1:] == (3, 4)
    assert isinstance(x.shape + (5,), tg.Size) and isinstance((1,) + x.shape, tg.Size)
    assert isinstance(x.transpose(0, 2).shape, tg.Size)
    assert x.shape[0] == 2 and type(x.shape[0]) is int
    assert repr(x.shape) == str(x.shape) == "torch.Size([2, 3, 4])" and f"{x.shape}" == "(2, 3, 4)"


def test_size_of_a_dim_of_a_0d_tensor_raises_as_pytorch():
    with pytest.raises(IndexError, match="no dimensions"):
        tg.tensor(1.0).size(0)
    assert tg.zeros(2, 3).size(-1) == 3


# ----------------------------------------------------------------- Python protocols
def test_format_of_a_0d_tensor_is_its_value():
    assert f"{tg.tensor(3.5)}" == "3.5" and f"{tg.tensor(True)}" == "True"
    assert f"{tg.tensor(3.14159):.3f}" == "3.142" and f"{tg.tensor(3):5}" == "    3"
    with pytest.raises(TypeError, match="format"):
        f"{tg.tensor([1.0, 2.0]):.3f}"  # noqa: B018
    torch = _torch()
    for value in (3.5, 2, True):
        assert f"{tg.tensor(value)}" == f"{torch.tensor(value)}"


def test_int_float_bool_of_tensors_as_pytorch():
    assert int(tg.tensor([3.7])) == 3 and float(tg.tensor([[2]])) == 2.0
    with pytest.raises(ValueError, match="one element"):
        int(tg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="no values"):
        bool(tg.tensor([]))
    with pytest.raises(ValueError):  # still NumPy's class too
        bool(tg.tensor([1, 2]) == tg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="one-element"):
        tg.tensor([1.0, 2.0]).item()
    assert abs(tg.tensor([-1, 2])).tolist() == [1, 2]


def test_comparing_with_none_a_string_or_a_list_is_false_as_pytorch():
    t = tg.tensor([1, 2])
    assert (t == None) is False and (t != None) is True  # noqa: E711
    assert (t == "a") is False and (t == [1, 2]) is False and (t == (1, 2)) is False
    with pytest.raises(TypeError):
        t < [1, 2]  # noqa: B015
    with pytest.raises(TypeError, match="eq"):
        t.eq([1, 2])
    assert (t == np.array([1, 3])).tolist() == [True, False]
    with pytest.raises(RuntimeError, match=r"tensor a \(2\) must match .*\(eq on shapes"):
        t == tg.tensor([1, 2, 3])  # noqa: B015


def test_in_tests_elements_as_pytorch():
    assert 2 in tg.tensor([1, 2]) and 5 not in tg.tensor([1, 2])
    assert tg.tensor([1, 2]) in tg.tensor([[1, 2]])
    with pytest.raises(RuntimeError, match="contains"):
        "a" in tg.tensor([1, 2])  # noqa: B015


def test_shifts():
    assert (tg.tensor([1, 2]) << 1).tolist() == [2, 4]
    assert (tg.tensor([-8, 4]) >> 1).tolist() == [-4, 2]
    assert (1 << tg.tensor([1, 2])).tolist() == [2, 4]
    assert tg.bitwise_left_shift(tg.tensor([3]), tg.tensor([2])).tolist() == [12]
    with pytest.raises(TypeError, match="bitwise_left_shift"):
        tg.tensor([1.0]) << 1  # noqa: B018


# ----------------------------------------------------------------- dtypes
def test_mean_var_std_norm_of_integers_raise_as_pytorch():
    for op in ("mean", "var", "std", "norm"):
        with pytest.raises(RuntimeError, match=op):
            getattr(tg.tensor([1, 2]), op)()
    assert tg.tensor([1, 2]).mean(dtype=tg.float32).item() == 1.5
    assert tg.tensor([1, 2]).float().mean().item() == 1.5


def test_integer_sums_and_products_are_int64():
    u = tg.tensor([200, 100], dtype=tg.uint8)
    assert u.sum().dtype == tg.int64 and u.sum().item() == 300
    assert u.prod().dtype == tg.int64 and u.prod().item() == 20000
    assert u.cumsum(0).tolist() == [200, 300] and u.cumsum(0).dtype == tg.int64
    assert u.cumprod(0).dtype == tg.int64
    assert tg.tensor([True, True]).sum().dtype == tg.int64
    assert tg.tensor([1, 2], dtype=tg.int32).sum().dtype == tg.int64


def test_float_ops_of_one_byte_types_are_computed_in_float32():
    # NumPy computes exp(bool), sqrt(uint8), ... in float16: exp(True) would be 2.71875
    assert tg.tensor([True]).exp().item() == pytest.approx(2.7182817459106445, rel=1e-7)
    x = tg.tensor([0, 1, 2, 3, 7], dtype=tg.uint8)
    assert x.sqrt().dtype == tg.float32
    assert x.sqrt()[2].item() == pytest.approx(1.4142135381698608, rel=1e-7)
    torch = _torch()
    for dtype, torch_dtype in ((tg.uint8, torch.uint8), (tg.int8, torch.int8),
                               (tg.bool, torch.bool)):
        for name in ("exp", "log", "sin", "cos", "tanh", "log1p", "expm1", "atan", "asinh",
                     "sinh", "rsqrt", "log2", "erfc"):
            data = [True, False] if dtype == tg.bool else [0, 1, 2, 3, 7]
            _same(getattr(tg, name)(tg.tensor(data, dtype=dtype)),
                  getattr(torch, name)(torch.tensor(data, dtype=torch_dtype)))


def test_erfc_is_accurate_in_the_tail():
    x = tg.tensor([3.0, 7.0, -3.0, 0.5])
    expected = [2.2090496713644825e-05, 4.1838257316685907e-23, 1.999977946281433,
                0.4795001149177551]
    np.testing.assert_allclose(x.erfc().numpy(), expected, rtol=1e-6)
    x64 = tg.tensor([0.5, 2.5, -1.0, 4.0], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda t: t.erfc(), (x64,))
    torch = _torch()
    values = np.linspace(-8, 8, 97)
    for dtype in (np.float32, np.float64):
        _same(tg.tensor(values, dtype=dtype).erfc(), torch.tensor(values.astype(dtype)).erfc())


def test_tril_triu_keep_bool_and_take_an_int_diagonal():
    mask = tg.ones(3, 3, dtype=tg.bool).tril()
    assert mask.dtype == tg.bool and mask.tolist()[0] == [True, False, False]
    assert tg.ones(2, 2, dtype=tg.int32).triu(1).dtype == tg.int32
    with pytest.raises(TypeError, match="diagonal"):
        tg.zeros(2, 3).tril(0.5)


def test_random_floats_refuse_integer_dtypes():
    for make in (lambda: tg.rand(2, dtype=tg.int64), lambda: tg.randn(2, dtype=tg.int64),
                 lambda: tg.rand_like(tg.tensor([1, 2])),
                 lambda: tg.randn_like(tg.tensor([1, 2]))):
        with pytest.raises(TypeError, match="floating-point"):
            make()
    assert tg.rand_like(tg.tensor([1.0], dtype=tg.float64)).dtype == tg.float64


# ----------------------------------------------------------------- factories
def test_arange_and_sizes_as_pytorch():
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        tg.arange(5, 0)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        tg.arange(0, 5, 0)
    assert tg.arange(end=3).tolist() == [0, 1, 2]
    assert tg.arange(5, 0, -2).tolist() == [5, 3, 1]
    for make in (lambda: tg.zeros(-1), lambda: tg.ones(2, -3), lambda: tg.eye(-1),
                 lambda: tg.randint(5, 3, (2,))):
        with pytest.raises(RuntimeError):
            make()
    assert tg.randint(low=0, high=3, size=(4,)).shape == (4,)


# ----------------------------------------------------------------- shape vocabulary
def test_pytorch_keyword_spellings_of_sizes():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.reshape(shape=(3, 2)).shape == (3, 2)
    assert x.view(size=(3, 2)).shape == (3, 2)
    assert x[:1].expand(size=(2, 2, 3)).shape == (2, 2, 3)
    assert x.repeat(repeats=(1, 2)).shape == (2, 6)
    assert [t.shape for t in x.split(split_size=1, dim=0)] == [(1, 3), (1, 3)]


def test_view_as_a_dtype_reinterprets_the_bytes():
    x = tg.tensor([1.0, -2.0])
    bits = x.view(tg.int32)
    assert bits.dtype == tg.int32 and bits.tolist() == [1065353216, -1073741824]
    assert x.view(tg.float32).tolist() == [1.0, -2.0]
    assert x.view(tg.int64).shape == (1,)  # another item size: the last dim scales (PyTorch)
    with pytest.raises(RuntimeError, match="divisible"):
        tg.tensor([1.0, 2.0, 3.0]).view(tg.int64)


def test_methods_pytorch_tensors_have():
    x = tg.arange(24).reshape(2, 3, 4)
    assert x.swapdims(0, 2).shape == (4, 3, 2)
    assert [t.tolist() for t in tg.arange(6).split_with_sizes([2, 4])] == [[0, 1], [2, 3, 4, 5]]
    assert [t.tolist() for t in tg.arange(7).tensor_split([2, 5])] == [[0, 1], [2, 3, 4],
                                                                          [5, 6]]
    assert [t.shape for t in x.hsplit(3)] == [(2, 1, 4)] * 3
    assert [t.shape for t in x.vsplit(2)] == [(1, 3, 4)] * 2
    assert [t.shape for t in x.dsplit(2)] == [(2, 3, 2)] * 2
    assert tg.tensor([[1, 2], [3, 4]]).rot90().tolist() == [[2, 4], [1, 3]]
    assert tg.mode(tg.tensor([[3, 1, 1], [0, 5, 5]])).values.tolist() == [1, 5]
    assert tg.repeat_interleave(tg.tensor([2, 1])).tolist() == [0, 0, 1]


def test_repeat_interleave_refuses_bad_repeats_as_pytorch():
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.tensor([1, 2]).repeat_interleave(-1)
    with pytest.raises(RuntimeError, match="one per entry"):
        tg.tensor([1, 2]).repeat_interleave(tg.tensor([1, 2, 3]))


def test_nonzero_as_tuple_of_a_0d_tensor():
    (index,) = tg.tensor(3).nonzero(as_tuple=True)
    assert index.tolist() == [0] and index.dtype == tg.int64
    (index,) = tg.tensor(0).nonzero(as_tuple=True)
    assert index.tolist() == []


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="at least one"):
        tg.tensor([1.0]).clamp()
    assert tg.tensor([1.0, 5.0]).clip(2, 4).tolist() == [2.0, 4.0]


def test_aminmax_is_named_as_pytorchs():
    result = tg.aminmax(tg.tensor([[3.0, 1.0], [0.0, 5.0]]), dim=1)
    assert type(result).__name__ == "aminmax" and result._fields == ("min", "max")
    assert result.min.tolist() == [1.0, 0.0] and result.max.tolist() == [3.0, 5.0]


# ----------------------------------------------------------------- out=
def test_out_writes_into_the_given_tensor():
    a = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    out = tg.empty(2, 3)
    assert tg.add(a, 1, out=out) is out and out.tolist() == [[4, 2, 3], [1, 6, 6]]
    values, indices = tg.empty(2), tg.empty(2, dtype=tg.int64)
    tg.max(a, 1, out=(values, indices))
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [0, 1]
    joined = tg.empty(4, 3)
    tg.cat([a, a], out=joined)
    assert joined[2:].tolist() == a.tolist()
    product = tg.empty(2, 2, dtype=tg.float64)  # float32 into float64: refused by mm, as
    with pytest.raises(RuntimeError, match="dtype"):  # PyTorch (round 14)
        tg.mm(a, a.T, out=product)
    tg.mm(a, a.T, out=product.float())
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.exp(a, out=tg.empty(2, 3, dtype=tg.int64))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resized = tg.sum(a, 0, out=tg.empty(5))
    assert resized.shape == (3,) and "resized" in str(caught[0].message)
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        tg.mul(tg.ones(2, requires_grad=True), 2, out=tg.empty(2))
    doubled = tg.empty(2)
    with tg.no_grad():
        tg.mul(tg.ones(2, requires_grad=True), 2, out=doubled)
    assert doubled.tolist() == [2.0, 2.0]


def test_out_matches_pytorch():
    torch = _torch()
    data = [[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]]
    for name, args in (("add", (1,)), ("sqrt", ()), ("clamp", (0, 1)), ("matmul", None)):
        ours, theirs = tg.tensor(data), torch.tensor(data)
        our_args = (ours.T,) if args is None else args
        their_args = (theirs.T,) if args is None else args
        shape = (2, 2) if args is None else (2, 3)
        out_ours, out_theirs = tg.empty(*shape), torch.empty(*shape)
        getattr(tg, name)(ours, *our_args, out=out_ours)
        getattr(torch, name)(theirs, *their_args, out=out_theirs)
        _same(out_ours, out_theirs)


# ----------------------------------------------------------------- empty and 0-d inputs
def test_extremes_of_nothing_raise_pytorchs_classes():
    with pytest.raises(RuntimeError, match="numel"):
        tg.zeros(0).max()
    with pytest.raises(RuntimeError, match="numel"):
        tg.zeros(0).amin()
    with pytest.raises(IndexError, match="numel"):
        tg.zeros(0).argmax()
    with pytest.raises(IndexError, match="non-zero size"):
        tg.zeros(2, 0).argmax(1)
    with pytest.raises(IndexError, match="non-zero size"):
        tg.zeros(2, 0).amax(1)
    with pytest.raises(IndexError, match="non-zero size"):
        tg.zeros(2, 0).max(1)


def test_sort_and_topk_of_an_empty_dim_are_empty():
    values, indices = tg.zeros(2, 0).sort(1)
    assert values.shape == (2, 0) and indices.shape == (2, 0) and indices.dtype == tg.int64
    values, indices = tg.zeros(2, 0).topk(0, 1)
    assert values.shape == (2, 0)
    torch = _torch()
    _same(tg.zeros(2, 0).sort(1).indices, torch.zeros(2, 0).sort(1).indices)


def test_split_and_chunk_of_a_0d_tensor_raise():
    for make in (lambda: tg.tensor(5.0).split(1), lambda: tg.tensor(5.0).chunk(1),
                 lambda: tg.arange(6).split(0), lambda: tg.arange(6).chunk(0)):
        with pytest.raises(RuntimeError):
            make()


# ----------------------------------------------------------------- indices and in-place
def test_gather_refuses_negative_and_too_large_indices():
    x = tg.tensor([[1, 2], [3, 4]])
    with pytest.raises(IndexError, match="index -1 is out of bounds for dimension 1 with size 2"):
        x.gather(1, tg.tensor([[-1]]))
    with pytest.raises(IndexError, match="index 2 is out of bounds"):
        x.gather(1, tg.tensor([[2]]))
    assert x.gather(1, tg.tensor([[1, 0], [0, 0]])).tolist() == [[2, 1], [3, 3]]


def test_in_place_methods_pytorch_has():
    x = tg.tensor([7.0, -7.0])
    x.div_(2, rounding_mode="floor")
    assert x.tolist() == [3.0, -4.0]
    y = tg.zeros(2)
    y.addcmul_(tg.ones(2), tg.ones(2), value=3)
    y.addcdiv_(tg.ones(2), tg.ones(2) * 2)
    assert y.tolist() == [3.5, 3.5]
    with pytest.raises(RuntimeError, match="in-place add"):
        z = tg.zeros(2)
        z += tg.ones(2, 2)


def test_h_mh_msort_float_power():
    a = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    assert a.H.tolist() == a.T.tolist() and a.mH.shape == (3, 2)
    with pytest.raises(RuntimeError, match="matrices"):
        tg.zeros(2, 2, 2).H  # noqa: B018
    assert a.msort().tolist() == [[0.0, 1.0, 2.0], [3.0, 5.0, 5.0]]
    power = tg.tensor([4]).float_power(2)
    assert power.dtype == tg.float64 and power.tolist() == [16.0]
