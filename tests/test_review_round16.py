"""Fixes from the review of session 22's merged work: reflect pads of size-1 axes, the overlap
refusal with index arrays, `number / tensor` as one node, small integer products, return
types built from one sequence, and clip_grad_norm_'s per-tensor rounding."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:  # pragma: no cover - the comparisons need PyTorch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


@pytest.mark.parametrize("pad", [(1, 1, 0, 0), (0, 0, 1, 2), (0, 0, 0, 0), (2, 0, 0, 0)])
def test_reflect_pad_leaves_a_size_one_axis_with_a_zero_pair_alone(pad):
    x = tg.arange(6.0).reshape(1, 1, 1, 6)
    if pad[2] or pad[3]:  # a size-1 axis cannot be reflect-padded by more than 0
        x = tg.arange(18.0).reshape(1, 1, 3, 6)
    out = F.pad(x, pad, mode="reflect")
    expected = np.pad(x.numpy(), ((0, 0), (0, 0), pad[2:], pad[:2]), mode="reflect")
    np.testing.assert_array_equal(out.numpy(), expected)


def test_reflect_pad_of_one_element_by_nothing():
    x = tg.ones(1, 1, 1, requires_grad=True)
    out = F.pad(x, (0, 0), mode="reflect")
    assert out.shape == (1, 1, 1)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[1.0]]])


@pytest.mark.parametrize("write, row, expected", [
    ("x[3, [0, 1]] = x[0, 2:]", 3, [2.0, 3.0, 14.0, 15.0]),
    ("x[2:4, [0, 1, 2, 3]] = x[0:2]", 2, [0.0, 1.0, 2.0, 3.0]),
    ("x[1, [0, 1]] = x[2, 1:3]", 1, [9.0, 10.0, 6.0, 7.0]),
])
def test_index_array_writes_check_overlap_against_their_basic_part(write, row, expected):
    x = tg.arange(16.0).reshape(4, 4)
    exec(write)  # the source lies outside the row the write selects first: PyTorch writes
    np.testing.assert_array_equal(x[row].numpy(), expected)


@pytest.mark.parametrize("write", ["x[[0, 1]] = x[1:3]", "x[1, [0, 1]] = x[1, 1:3]"])
def test_index_array_writes_into_their_own_source_are_refused(write):
    x = tg.arange(16.0).reshape(4, 4)
    with pytest.raises(RuntimeError, match="single memory location"):
        exec(write, {"x": x})


def test_in_place_op_with_itself_is_allowed():
    x = tg.tensor([1.0, 2.0])
    x.add_(x)
    x.mul_(x)
    np.testing.assert_array_equal(x.numpy(), [4.0, 16.0])


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("number", [7.0, 41.0, -3, 1e-3, 0.0])
def test_number_over_tensor_is_one_node_bit_for_bit_with_torch(dtype, number):
    rng = np.random.default_rng(3)
    a = rng.uniform(-5, 5, 200).astype(dtype)
    a[:3] = [0.0, -0.0, np.inf]
    g = rng.standard_normal(200).astype(dtype)
    x, tx = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = number / x, number / tx
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    assert y.dtype == getattr(tg, dtype)
    behind = [type(node).__name__ for node, _ in y.grad_fn.next_functions]
    assert behind == ["AccumulateGrad"]  # one node between the leaf and the result
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_number_over_tensor_second_derivative_and_0d():
    x = tg.tensor([1.5, 2.0, -3.0], dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad((3.0 / x).sum(), x, create_graph=True)
    (g2,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6.0 / np.array([1.5, 2.0, -3.0]) ** 3, rtol=1e-15)
    assert (3 / tg.tensor(2.0)).shape == () and float(3 / tg.tensor(2.0)) == 1.5
    assert (2 / tg.tensor([1, 2])).dtype == tg.float32  # an integer tensor: float, as ever


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (64, 64), (2, 50, 40)])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8])
def test_integer_products_small_and_large_are_exact(shape, dtype):
    rng = np.random.default_rng(0)
    a = rng.integers(-100, 100, shape).astype(dtype)
    b = rng.integers(-100, 100, shape[:-2] + shape[-1:] + shape[-2:-1]).astype(dtype)
    expected = np.matmul(a.astype(np.int64), b.astype(np.int64)).astype(dtype)  # wraps as int8
    got = (tg.tensor(a) @ tg.tensor(b)).numpy()
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)


def test_return_types_are_built_from_one_sequence_like_torch():
    out = tg.tensor([[1.0, 5.0], [3.0, 2.0]]).max(0)
    doubled = type(out)(t * 2 for t in out)
    assert isinstance(doubled, tg.return_types.max)
    np.testing.assert_array_equal(doubled.values.numpy(), [6.0, 10.0])
    again = tg.return_types.max((out.values, out.indices))
    np.testing.assert_array_equal(again.indices.numpy(), [1, 0])
    assert out.n_fields == 2 and out.n_sequence_fields == 2 and out.n_unnamed_fields == 0
    back = pickle.loads(pickle.dumps(out))
    assert type(back) is tg.return_types.max
    np.testing.assert_array_equal(back.values.numpy(), [3.0, 5.0])
    if torch is not None:
        theirs = torch.return_types.max((torch.tensor([3.0]), torch.tensor([1])))
        assert theirs.n_fields == tg.return_types.max((tg.tensor([3.0]), tg.tensor([1]))).n_fields


@needs_torch
def test_clip_grad_norm_rounds_each_float16_norm_like_torch():
    rng = np.random.default_rng(1)
    g16 = (rng.standard_normal(100) * 50).astype(np.float16)
    g32 = (rng.standard_normal(50) * 30).astype(np.float32)
    results = []
    for lib in (torch, tg):
        p1 = lib.nn.Parameter(lib.zeros(100, dtype=lib.float16))
        p2 = lib.nn.Parameter(lib.zeros(50))
        p1.grad, p2.grad = lib.tensor(g16), lib.tensor(g32)
        norm = lib.nn.utils.clip_grad_norm_([p1, p2], 1.0)
        results.append((float(norm), p1.grad.float().numpy(), p2.grad.numpy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-3)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-6)


def test_nan_to_num_takes_none_and_0d_tensors_like_torch():
    x = tg.tensor([float("nan"), float("inf"), -float("inf")])
    big = float(np.finfo(np.float32).max)
    assert tg.nan_to_num(x, None, None, None).tolist() == [0.0, big, -big]
    assert x.nan_to_num(nan=None).tolist() == [0.0, big, -big]
    assert x.clone().nan_to_num_(None, posinf=1.0).tolist() == [0.0, 1.0, -big]
    assert tg.nan_to_num(x, nan=tg.tensor(1.0)).tolist() == [1.0, big, -big]
    with pytest.raises(TypeError):
        x.nan_to_num(nan="a")


def test_triangle_indices_take_0d_integer_tensors_and_refuse_bools():
    assert tg.triu_indices(3, 3, tg.tensor(1)).tolist() == [[0, 0, 1], [1, 2, 2]]
    assert tuple(tg.tril_indices(tg.tensor(3), 3).shape) == (2, 6)
    for bad in (True, 1.5):
        with pytest.raises(TypeError):
            tg.triu_indices(3, 3, bad)


def test_asarray_requires_grad_false_without_a_copy_leaves_the_graph():
    leaf = tg.ones(2, requires_grad=True)
    same = tg.asarray(leaf, requires_grad=False)
    assert same is leaf and not leaf.requires_grad  # PyTorch switches the leaf off in place
    source = tg.ones(2, requires_grad=True)
    inner = source * 1
    alias = tg.asarray(inner, requires_grad=False)
    assert alias is not inner and not alias.requires_grad and alias.grad_fn is None
    alias.numpy()[0] = 5.0  # the same memory
    assert inner.tolist()[0] == 5.0


@pytest.mark.parametrize("call", [
    lambda ts: tg._foreach_mul_(ts, 2), lambda ts: tg._foreach_zero_(ts),
    lambda ts: tg._foreach_exp_(ts), lambda ts: tg._foreach_addcmul_(ts, ts, ts, 0.5),
    lambda ts: tg._foreach_copy_(ts, [tg.zeros(2)] * len(ts)),
    lambda ts: tg._foreach_lerp_(ts, ts, 0.5), lambda ts: tg._foreach_add_(ts, 1, alpha=2)])
@pytest.mark.parametrize("container", [list, tuple])
def test_in_place_foreach_returns_the_sequence_given(call, container):
    tensors = container([tg.ones(2), tg.ones(2)])
    assert call(tensors) is tensors


@pytest.mark.parametrize("factory", [tg.zeros_like, tg.ones_like, tg.empty_like, tg.rand_like,
                                     tg.randn_like, lambda x: tg.full_like(x, 2.0)])
@pytest.mark.parametrize("source", [[1.0, 2.0], np.ones(2), 3.0])
def test_like_factories_refuse_non_tensors_with_a_type_error(factory, source):
    with pytest.raises(TypeError, match="must be a Tensor"):
        factory(source)
