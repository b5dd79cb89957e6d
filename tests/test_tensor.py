"""Tensor construction, dtypes, attributes, factories and non-differentiable ops."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor


def test_dtype_rules():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.array(3)).dtype == np.int64  # an array keeps its dtype
    assert Tensor(np.array([1, 2])).dtype == np.int64
    assert Tensor(np.array([[1, 2], [3, 4]])).shape == (2, 2)
    assert Tensor([1, 2]).dtype == np.float32  # a list: PyTorch's legacy constructor
    assert Tensor(3).shape == (3,) and Tensor(3).dtype == np.float32  # an int: a size
    assert Tensor(True).dtype == np.bool_
    assert Tensor(np.zeros(3)).dtype == np.float64  # an ndarray keeps its dtype
    assert Tensor(np.zeros(3, np.float32)).dtype == np.float32
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64


def test_default_dtype_can_be_changed():
    tg.set_default_dtype(np.float64)
    try:
        assert Tensor(1.5).dtype == np.float64
        assert tg.randn(2).dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)
    assert Tensor(1.5).dtype == np.float32
    with pytest.raises(TypeError):
        tg.set_default_dtype(np.int32)


def test_non_numeric_data_is_refused():
    with pytest.raises(TypeError, match="numeric"):
        Tensor(["a", "b"])


def test_attributes():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="w")
    assert t.shape == (2, 3) and t.ndim == 2 and t.numel() == 6 and t.size() == (2, 3)
    assert t.is_leaf and t.requires_grad and t.grad is None and t.name == "w"
    assert t.T.shape == (3, 2)
    assert np.shares_memory(t.numpy(), t._data) and not t.numpy().flags.writeable
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="one-element"):
        t.item()
    y = t * 2
    assert not y.is_leaf and y.requires_grad


def test_repr_is_pytorchs_layout():
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(t * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(t) == "tensor([1., 2.], requires_grad=True)"
    assert repr(tg.tensor([1.0, 2.5, 3.0])) == "tensor([1.0000, 2.5000, 3.0000])"
    assert repr(tg.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(tg.tensor([1, 2], dtype=tg.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(tg.tensor(1.5, dtype=tg.float64)) == "tensor(1.5000, dtype=torch.float64)"
    assert repr(tg.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(tg.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(tg.arange(2000.0)).count("...") == 1  # summarised past 1000 elements


@pytest.mark.parametrize("factory", [tg.zeros, tg.ones, tg.randn, tg.rand])
def test_factories_take_ints_or_a_tuple(factory):
    assert factory(2, 3).shape == (2, 3)
    assert factory((2, 3)).shape == (2, 3)
    assert factory(4).dtype == np.float32
    assert factory(2, dtype=np.float64).dtype == np.float64
    assert factory(2, requires_grad=True).requires_grad


def test_other_factories():
    np.testing.assert_array_equal(tg.arange(4)._data, [0, 1, 2, 3])
    assert tg.arange(4).dtype == np.int64
    assert tg.arange(0.0, 1.0, 0.5).dtype == np.float32
    np.testing.assert_array_equal(tg.eye(2)._data, np.eye(2))
    np.testing.assert_array_equal(tg.zeros(2)._data, [0, 0])
    np.testing.assert_array_equal(tg.ones(2)._data, [1, 1])
    np.testing.assert_array_equal(tg.full((2,), 7.0)._data, [7, 7])
    source = np.ones(2)
    copied = tg.tensor(source)
    source[0] = 5
    assert copied._data[0] == 1  # tg.tensor copies


def test_manual_seed_makes_random_factories_reproducible():
    tg.manual_seed(123)
    first = (tg.randn(3)._data, tg.rand(2)._data)
    tg.manual_seed(123)
    second = (tg.randn(3)._data, tg.rand(2)._data)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert np.all((second[1] >= 0) & (second[1] < 1))


def test_shape_methods_take_ints_or_a_tuple():
    t = Tensor(np.arange(6.0))
    assert t.reshape(2, 3).shape == (2, 3)
    assert t.reshape((2, 3)).shape == (2, 3)
    assert t.reshape(3, -1).shape == (3, 2)
    m = Tensor(np.zeros((2, 3, 4)))
    assert m.transpose().shape == (4, 3, 2)
    assert m.transpose(1, 0, 2).shape == (3, 2, 4)
    assert m.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert m.transpose(0, 2).shape == (4, 3, 2)  # two axes swap, as in PyTorch
    assert Tensor(np.zeros((2, 3))).transpose(0, 1).shape == (3, 2)
    assert Tensor(np.zeros((0, 2, 3))).flatten(1).shape == (0, 6)
    assert m.flatten().shape == (24,)
    assert m.flatten(1).shape == (2, 12)
    assert m.unsqueeze(0).shape == (1, 2, 3, 4)
    assert m.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert m[:, :1].squeeze().shape == (2, 4)
    assert Tensor(np.zeros((3, 1))).expand(3, 4).shape == (3, 4)


def test_integer_tensor_as_index():
    x = Tensor(np.arange(10.0) * 2, requires_grad=True)
    index = Tensor(np.array([1, 1, 3]))
    picked = x[index]
    np.testing.assert_array_equal(picked._data, [2.0, 2.0, 6.0])
    picked.backward(np.array([1.0, 2.0, 5.0], dtype=np.float32))
    expected = np.zeros(10)
    expected[1], expected[3] = 3.0, 5.0  # repeated indices accumulate
    np.testing.assert_array_equal(x.grad._data, expected)
    rows = Tensor(np.arange(6.0).reshape(3, 2))
    picked = rows[Tensor(np.array([2, 0])), Tensor(np.array([1, 0]))]
    np.testing.assert_array_equal(picked._data, [5.0, 0.0])


def test_comparisons_and_argmax_are_not_differentiable():
    x = Tensor([1.0, 3.0, 2.0], requires_grad=True)
    for result in (x > 1.5, x < 2, x >= 2, x <= 1, x == 3, x != 3):
        assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal((x > 1.5)._data, [False, True, True])
    assert x.argmax().item() == 1 and x.argmin().item() == 0
    assert not x.argmax().requires_grad
    m = Tensor([[1.0, 5.0], [7.0, 2.0]])
    np.testing.assert_array_equal(m.argmax(axis=1)._data, [1, 0])
    np.testing.assert_array_equal(m.argmax(1)._data, [1, 0])


def test_tensors_are_hashable_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a: 1, b: 2}) == 2


def test_python_protocols():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2
    rows = list(t)
    assert len(rows) == 2 and rows[1].shape == (2,)
    np.testing.assert_array_equal(np.asarray(t), t._data)
    copied = np.array(t)
    copied[0, 0] = 99.0
    assert t._data[0, 0] == 1.0
    assert float(Tensor(2.5)) == 2.5 and int(Tensor(np.array(3))) == 3


def test_ndarray_on_the_left_of_an_operator():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_array_equal(y._data, [3.0, 8.0])


def test_in_place_operators_and_setitem_without_grad():
    t = Tensor([1.0, 2.0])
    t += 1
    t *= 2
    t[0] = 10.0
    np.testing.assert_array_equal(t._data, [10.0, 6.0])
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        w[0] = 5.0


def test_astype_is_differentiable():
    x = Tensor([1.5, 2.5], dtype=np.float32, requires_grad=True)
    y = x.double() * 2
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad._data, [2.0, 2.0])


def test_result_dtypes_follow_pytorch_where_numpy_differs():
    x32 = Tensor(np.ones(3, np.float32))
    ints = Tensor(np.array([1, 2, 3]))
    assert (x32 + ints).dtype == np.float32  # NumPy: float64
    assert (x32 * np.float64(2.0)).dtype == np.float32  # a NumPy scalar acts as a number
    assert (x32 / np.sqrt(4)).dtype == np.float32
    assert (ints * 2.5).dtype == np.float32
    assert (ints / 2).dtype == np.float32
    assert ints.exp().dtype == np.float32
    assert (x32 + Tensor(np.ones(3))).dtype == np.float64  # a float64 operand wins
    assert x32.double().dtype == np.float64
    tg.set_default_dtype(np.float64)
    try:
        assert (ints / 2).dtype == np.float64
    finally:
        tg.set_default_dtype(np.float32)


def test_reductions_of_0d_and_empty_tensors():
    assert Tensor(2.0).sum(axis=0).item() == 2.0
    assert Tensor(2.0).max(axis=-1).values.item() == 2.0
    assert Tensor(np.zeros((0, 3))).max(axis=1).values.shape == (0,)


def test_softmax_of_an_empty_tensor_is_empty():
    x = Tensor(np.zeros((3, 0)), requires_grad=True)
    for output in (x.softmax(-1), x.log_softmax(-1)):
        assert output.shape == (3, 0)
        output.backward(np.zeros((3, 0)))
