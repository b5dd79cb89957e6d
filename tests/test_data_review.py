"""Review of `Tensor.data` as a tensor and of `Tensor.__array_ufunc__`: misuses as PyTorch
scripts write them, each compared with PyTorch (hard-coded, or real torch when installed)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg


# ----------------------------------------------------------------- NumPy ufuncs with out=
def test_in_place_numpy_operator_keeps_the_ndarray():
    # `array += t`: NumPy calls np.add(array, t, out=(array,)); the name must stay an ndarray
    # (PyTorch: numpy converts the tensor and `array` stays an ndarray)
    array = np.ones(2, dtype=np.float32)
    before = array
    array += tg.tensor([1.0, 2.0])
    assert type(array) is np.ndarray and array is before
    np.testing.assert_array_equal(array, [2.0, 3.0])
    array *= tg.tensor([2.0, 2.0])
    assert type(array) is np.ndarray
    np.testing.assert_array_equal(array, [4.0, 6.0])


def test_ufunc_out_returns_out():
    out = np.empty(2, dtype=np.float32)
    result = np.add(tg.tensor([1.0, 2.0]), 1, out=out)
    assert result is out
    np.testing.assert_array_equal(out, [2.0, 3.0])
    quotient, remainder = np.empty(2, np.float32), np.empty(2, np.float32)
    got = np.divmod(tg.tensor([3.0, 5.0]), 2, out=(quotient, remainder))
    assert got[0] is quotient and got[1] is remainder


# ----------------------------------------------------------------- p.data = ...
def test_data_setter_refuses_an_ndarray_as_pytorch():
    # PyTorch: TypeError "Variable data has to be a tensor, but got numpy.ndarray". Taking the
    # array would let a later write into it change the values a graph saved, silently
    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    array = np.array([5.0, 5.0], dtype=np.float32)
    with pytest.raises(TypeError, match="has to be a tensor"):
        weight.data = array
    with pytest.raises(TypeError, match="has to be a tensor"):
        weight.data = [5.0, 5.0]
    assert weight.tolist() == [1.0, 2.0] and weight._version == 0


def test_data_setter_refused_dtype_leaves_the_version():
    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (weight * weight).sum()
    with pytest.raises(TypeError):
        weight.data = tg.tensor([1, 2])
    loss.backward()  # nothing changed: the graph is still good
    assert weight.grad.tolist() == [2.0, 4.0]


def test_detach_in_place_after_data_setter_as_pytorch():
    # PyTorch: w.data = t; w.detach_() works (w is not a view of t)
    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    weight.data = tg.tensor([3.0, 4.0])
    assert weight.detach_() is weight and not weight.requires_grad
    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    source = tg.tensor([3.0, 4.0])
    weight.data = source
    weight.detach_()
    source.detach_()  # nor is t a view of w
    source[0:1].add_(1)
    assert weight.tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match="view"):
        weight[0:1].detach_()  # a real view still is one


def test_data_setter_with_itself_keeps_sharing_with_its_aliases():
    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    alias = weight.data
    weight.data = weight  # PyTorch: nothing changes
    loss = (weight * weight).sum()
    alias.mul_(2)  # writes weight's memory: the graph must refuse
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    assert weight.tolist() == [2.0, 4.0]


def test_data_setter_forgets_the_old_memory():
    other = tg.tensor([1.0, 1.0], requires_grad=True)
    plain = tg.tensor([1.0, 2.0])
    keep = plain.data
    plain.data = tg.tensor([7.0, 7.0])
    keep.add_(other)  # keep's memory is no longer plain's: PyTorch records it
    assert keep.grad_fn is not None and plain.tolist() == [7.0, 7.0]


def test_optimizer_step_after_data_setter_matches_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        layer = lib.nn.Linear(2, 1)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor([[1.0, 2.0]]))
            layer.bias.copy_(lib.tensor([0.5]))
        optimizer = lib.optim.SGD(layer.parameters(), lr=0.1, momentum=0.9)
        x = lib.tensor([[1.0, -1.0]])
        for step in range(3):
            optimizer.zero_grad()
            layer(x).sum().backward()
            optimizer.step()
            if step == 0:
                old = layer.weight.data
                layer.weight.data = lib.tensor([[3.0, 4.0]])
        results.append((layer.weight.detach().numpy().copy(), old.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


def test_views_stay_views_after_in_place_through_data():
    # `w.data -= x` is `w.data = w.data.__isub__(x)`: the setter with w's own memory
    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        view = weight[0:1]
    weight.data -= tg.tensor([1.0, 1.0])
    assert weight.tolist() == [0.0, 1.0] and view.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="view"):  # as PyTorch: still a view of weight
        view.detach_()
    loss = (weight * weight).sum()
    with pytest.raises(RuntimeError, match="no_grad"):  # as PyTorch: made under no_grad
        view.add_(1)
    with tg.no_grad():
        view.add_(1)  # a write through the view is seen by weight's graphs
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_ufunc_at_on_a_tensor_is_refused():
    # np.add.at writes into its first operand: into the tensor's array behind its version
    # counter (a graph that saved it would give a silently wrong gradient). PyTorch: TypeError
    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    factor = tg.tensor([3.0, 4.0])
    loss = (weight * factor).sum()
    with pytest.raises(TypeError):
        np.add.at(factor, [0], 100)
    with pytest.raises(TypeError):
        np.add.at((weight * 1).data, [0], 100)
    loss.backward()
    assert factor.tolist() == [3.0, 4.0] and weight.grad.tolist() == [3.0, 4.0]
    array = np.zeros(3, dtype=np.float32)
    np.add.at(array, tg.tensor([0, 0, 2]), tg.tensor([1.0, 2.0, 3.0]))  # into an ndarray: fine
    np.testing.assert_array_equal(array, [3.0, 0.0, 3.0])


def test_module_double_keeps_parameters_read_only():
    # A leaf that requires grad holds a read-only array (README): after .double() too, so
    # that w.detach().numpy() cannot change the values behind the version counter
    layer = tg.nn.Linear(2, 1).double()
    assert layer.weight.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        layer.weight.detach().numpy()[:] = 0
    layer.float()
    with pytest.raises(ValueError, match="read-only"):
        layer.bias.detach().numpy()[:] = 0
    optimizer = tg.optim.SGD(layer.parameters(), lr=0.5)
    layer.weight.sum().backward()  # gradient 1
    before = layer.weight.tolist()
    optimizer.step()
    np.testing.assert_allclose(layer.weight.tolist(), [[v - 0.5 for v in before[0]]], rtol=1e-6)


def test_shallow_copy_of_a_leaf_shares_its_version_counter():
    # copy.copy(w) shares w's memory (as in PyTorch); a write through the copy must make the
    # graphs that saved w refuse backward instead of silently using the new values
    import copy

    weight = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (weight * weight).sum()
    twin = copy.copy(weight)
    assert twin.requires_grad and np.shares_memory(twin._data, weight._data)
    with tg.no_grad():
        twin.mul_(10)
    assert weight.tolist() == [10.0, 20.0]
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
