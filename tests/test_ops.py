"""Every differentiable op from one table.

Each row names an op, how to call it on Tensors, a NumPy reference for the forward pass, how
to call it on torch tensors (when that differs), and a hypothesis strategy for its inputs with
a domain that keeps away from kinks (log of positives, no ReLU or max ties). For every row:

* forward matches NumPy in float64;
* backward with a random upstream gradient (not `.sum()`, so a transposed gradient cannot
  hide) matches central differences in float64;
* forward and gradients match PyTorch, where PyTorch is installed;
* float32 inputs give float32 outputs and gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

from tinygrad_np import Tensor
from tinygrad_np.testing import (
    anywhere,
    arrays,
    assert_gradients_close,
    away_from,
    away_from_zero,
    broadcastable_shapes,
    compare_with_torch,
    distinct,
    integers,
    positive,
    shapes as kit_shapes,
)

# ----------------------------------------------------------------------------- input domains
# The domains and strategies come from tinygrad_np.testing, the kit users test their own ops
# with: this table proves it on every built-in op.

away_from_clip_edges = away_from(-1.0, 1.0)  # values in [-2, 2] at least 0.1 from -1 and 1
integer_values = integers
shapes = kit_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonscalar_shapes = kit_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def unary(draw, domain=anywhere, shape_strategy=shapes):
    return [draw(arrays(shape_strategy, domain=domain))]


@st.composite
def broadcast_pair(draw, domain_a=anywhere, domain_b=anywhere):
    """Two arrays whose shapes broadcast, including rank-extending and size-1 pairs."""
    shape_a, shape_b = draw(broadcastable_shapes(2, min_dims=0, max_dims=3, max_side=3))
    return [draw(arrays(shape_a, domain=domain_a)), draw(arrays(shape_b, domain=domain_b))]


@st.composite
def matmul_pair(draw):
    """Operands for every NumPy matmul case: 1-D, 2-D, batched with broadcast batch axes."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                   max_side=3)).input_shapes
    a_kind, b_kind = draw(st.sampled_from(["vector", "matrix"])), draw(
        st.sampled_from(["vector", "matrix"])
    )
    shape_a = (k,) if a_kind == "vector" else batch[0] + (n, k)
    shape_b = (k,) if b_kind == "vector" else batch[1] + (k, m)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [anywhere(rng, shape_a), anywhere(rng, shape_b)]


@st.composite
def with_axis(draw, domain=anywhere, allow_tuple=True):
    """One array plus an `axis` (None, an int or a tuple, possibly negative) and `keepdims`."""
    shape = draw(nonscalar_shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ndim = len(shape)
    choices = [st.none(), st.integers(-ndim, ndim - 1)]
    if allow_tuple:
        choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                unique=True).map(tuple))
    axis = draw(st.one_of(*choices))
    return [domain(rng, shape)], {"axis": axis, "keepdims": draw(st.booleans())}


def plain(strategy):
    """Wrap an inputs-only strategy into the (inputs, options) form."""
    return strategy.map(lambda inputs: (inputs, {}))


@st.composite
def softmax_input(draw):
    shape = draw(nonscalar_shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [anywhere(rng, shape) * 3], {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


@st.composite
def reshape_input(draw):
    shape = draw(nonscalar_shapes)
    size = int(np.prod(shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    target = draw(st.sampled_from([(size,), (1, size), (size, 1), (-1,), shape[::-1]]))
    if int(np.prod([s for s in target if s != -1])) != size and -1 not in target:
        target = (size,)
    return [anywhere(rng, shape)], {"shape": target}


@st.composite
def transpose_input(draw):
    shape = draw(nonscalar_shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    axes = tuple(rng.permutation(len(shape)).tolist())
    return [anywhere(rng, shape)], {"axes": axes}


@st.composite
def index_input(draw):
    """Basic slicing, integer arrays with repeated indices, negative steps, None, Ellipsis."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["int", "slice", "step", "array", "array2d", "mixed", "none",
                                 "ellipsis", "bool"]))
    first = shape[0]
    index = {
        "int": -1,
        "slice": slice(1, None),
        "step": slice(None, None, 2),
        "array": rng.integers(0, first, 6),  # six picks from <= 5 rows: repeats are certain
        "array2d": rng.integers(0, first, (2, 3)),
        "mixed": (slice(None), rng.integers(0, shape[1], 4)) if len(shape) > 1 else
                 rng.integers(-first, first, 4),
        "none": (None, slice(0, 1)),
        "ellipsis": (Ellipsis, 0),
        "bool": rng.random(first) > 0.5,
    }[kind]
    return [anywhere(rng, shape)], {"index": index}


@st.composite
def expand_input(draw):
    result = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=3,
                                                    max_side=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return [anywhere(rng, result.input_shapes[0])], {"shape": result.result_shape}


# ----------------------------------------------------------------------------- the table


@dataclass
class Op:
    name: str
    fn: Callable  # (*Tensors, **options) -> Tensor
    reference: Callable  # (*ndarrays, **options) -> ndarray
    inputs: st.SearchStrategy  # -> (list of float64 arrays, options dict)
    torch_fn: Callable | None = None  # (*torch tensors, **options); None: same as fn

    def __repr__(self) -> str:
        return self.name


def _softmax(x, axis):
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _torch_axis(axis):
    return tuple(range(0)) if axis is None else axis


def _values(result):
    """max/min along one dim (axis= is PyTorch's alias of dim) give a (values, indices) pair."""
    return getattr(result, "values", result)


def _torch_reduce(name):
    def call(x, axis, keepdims):
        if axis is None:
            result = getattr(x, name)()
            return result.reshape((1,) * x.ndim) if keepdims else result
        if name in ("max", "min"):
            return getattr(x, "amax" if name == "max" else "amin")(dim=axis, keepdim=keepdims)
        return getattr(x, name)(dim=axis, keepdim=keepdims)

    return call


OPS = [
    # arithmetic, with broadcasting and Python scalars on either side
    Op("add", lambda a, b: a + b, np.add, plain(broadcast_pair())),
    Op("sub", lambda a, b: a - b, np.subtract, plain(broadcast_pair())),
    Op("mul", lambda a, b: a * b, np.multiply, plain(broadcast_pair())),
    Op("div", lambda a, b: a / b, np.divide, plain(broadcast_pair(anywhere, away_from_zero))),
    Op("pow", lambda a, b: a**b, np.power, plain(broadcast_pair(positive, anywhere))),
    Op("neg", lambda a: -a, np.negative, plain(unary())),
    Op("scalar_add_left", lambda a: 2.5 + a, lambda a: 2.5 + a, plain(unary())),
    Op("scalar_sub_left", lambda a: 2.5 - a, lambda a: 2.5 - a, plain(unary())),
    Op("scalar_mul_right", lambda a: a * -1.5, lambda a: a * -1.5, plain(unary())),
    Op("scalar_div_left", lambda a: 3.0 / a, lambda a: 3.0 / a, plain(unary(away_from_zero))),
    Op("scalar_div_right", lambda a: a / 4.0, lambda a: a / 4.0, plain(unary())),
    Op("pow_scalar", lambda a: a**3, lambda a: a**3, plain(unary())),
    Op("pow_fraction", lambda a: a**0.5, np.sqrt, plain(unary(positive))),
    Op("rpow", lambda a: 2.0**a, lambda a: 2.0**a, plain(unary())),
    Op("matmul", lambda a, b: a @ b, np.matmul, plain(matmul_pair())),
    Op("matmul_method", lambda a, b: a.matmul(b), np.matmul, plain(matmul_pair()),
       torch_fn=lambda a, b: a.matmul(b)),
    # reductions
    Op("sum", lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), with_axis(),
       _torch_reduce("sum")),
    Op("mean", lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
       lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims), with_axis(),
       _torch_reduce("mean")),
    Op("max", lambda x, axis, keepdims: _values(x.max(axis=axis, keepdims=keepdims)),
       lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims), with_axis(distinct),
       _torch_reduce("max")),
    Op("min", lambda x, axis, keepdims: _values(x.min(axis=axis, keepdims=keepdims)),
       lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims), with_axis(distinct),
       _torch_reduce("min")),
    # elementwise
    Op("exp", lambda x: x.exp(), np.exp, plain(unary())),
    Op("log", lambda x: x.log(), np.log, plain(unary(positive))),
    Op("sqrt", lambda x: x.sqrt(), np.sqrt, plain(unary(positive))),
    Op("abs", lambda x: x.abs(), np.abs, plain(unary(away_from_zero))),
    Op("sin", lambda x: x.sin(), np.sin, plain(unary())),
    Op("cos", lambda x: x.cos(), np.cos, plain(unary())),
    Op("tanh", lambda x: x.tanh(), np.tanh, plain(unary())),
    Op("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), plain(unary())),
    Op("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), plain(unary(away_from_zero))),
    Op("clip", lambda x: x.clip(-1.0, 1.0), lambda x: np.clip(x, -1, 1),
       plain(unary(away_from_clip_edges)), lambda x: x.clamp(-1.0, 1.0)),
    Op("clip_low_only", lambda x: x.clip(-1.0, None), lambda x: np.maximum(x, -1),
       plain(unary(away_from_clip_edges)), lambda x: x.clamp(min=-1.0)),
    Op("softmax", lambda x, axis: x.softmax(axis), _softmax, softmax_input(),
       lambda x, axis: x.softmax(axis)),
    Op("log_softmax", lambda x, axis: x.log_softmax(axis),
       lambda x, axis: np.log(_softmax(x, axis)), softmax_input(),
       lambda x, axis: x.log_softmax(axis)),
    # shape
    Op("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: x.reshape(shape),
       reshape_input()),
    Op("reshape_ints", lambda x, shape: x.reshape(*shape), lambda x, shape: x.reshape(shape),
       reshape_input()),
    Op("transpose", lambda x, axes: x.transpose(axes), lambda x, axes: x.transpose(axes),
       transpose_input(), lambda x, axes: x.permute(axes)),
    Op("transpose_reverse", lambda x: x.transpose(), lambda x: x.transpose(),
       plain(unary(shape_strategy=nonscalar_shapes)),
       lambda x: x.permute(tuple(range(x.ndim))[::-1])),
    Op("T", lambda x: x.T, lambda x: x.T, plain(unary(shape_strategy=nonscalar_shapes)),
       lambda x: x.permute(tuple(range(x.ndim))[::-1])),
    Op("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1), plain(unary())),
    Op("getitem", lambda x, index: x[index], lambda x, index: x[index], index_input(),
       lambda x, index: x[_torch_index(index, x.shape[0])]),
    Op("expand", lambda x, shape: x.expand(shape), lambda x, shape: np.broadcast_to(x, shape),
       expand_input()),
    # composites users write every day
    Op("linear_relu", lambda x, w, b: (x @ w.T + b).relu(),
       lambda x, w, b: np.maximum(x @ w.T + b, 0),
       st.integers(0, 2**32 - 1).map(lambda seed: ([
           np.random.default_rng(seed).uniform(-2, 2, (5, 4)),
           np.random.default_rng(seed + 1).uniform(-2, 2, (3, 4)),
           np.random.default_rng(seed + 2).uniform(-2, 2, (3,)),
       ], {})).filter(lambda case: np.all(np.abs(case[0][0] @ case[0][1].T + case[0][2]) > 0.05))),
]


def _torch_index(index, first_size):
    """The same selection for torch, which takes tensors and has no negative-step slices."""
    import torch

    if isinstance(index, slice) and index.step is not None and index.step < 0:
        index = np.arange(first_size)[index].copy()  # the same rows, in the same order
    if isinstance(index, np.ndarray):
        return torch.as_tensor(index)
    if isinstance(index, tuple):
        return tuple(torch.as_tensor(part) if isinstance(part, np.ndarray) else part
                     for part in index)
    return index


def _call(op, tensors, options):
    return op.fn(*tensors, **options)


# ----------------------------------------------------------------------------- the tests


def check_forward(op, data):
    """Forward against the NumPy reference in float64."""
    arrays, options = data.draw(op.inputs)
    result = _call(op, [Tensor(a) for a in arrays], options)
    expected = op.reference(*arrays, **options)
    assert result.shape == np.shape(expected)
    np.testing.assert_allclose(result._data, expected, rtol=1e-12, atol=1e-12)


def check_backward(op, data):
    """Backward with a random upstream gradient against float64 central differences
    (`tinygrad_np.testing.assert_gradients_close`)."""
    inputs, options = data.draw(op.inputs)
    assert_gradients_close(lambda *ts: _call(op, ts, options), *inputs, rtol=1e-5, atol=1e-6)


def check_pytorch(op, data):
    """Values and gradients against PyTorch, skipped without it
    (`tinygrad_np.testing.compare_with_torch`)."""
    inputs, options = data.draw(op.inputs)
    compare_with_torch(lambda *ts: _call(op, ts, options),
                       lambda *ts: (op.torch_fn or op.fn)(*ts, **options), *inputs,
                       rtol=1e-10, atol=1e-12)


def check_float32(op, data):
    """float32 in, float32 out and float32 gradients."""
    arrays, options = data.draw(op.inputs)
    tensors = [Tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    output = _call(op, tensors, options)
    assert output.dtype == np.float32
    output.backward(np.ones(output.shape, dtype=np.float32))
    for tensor in tensors:
        assert tensor.grad.dtype == np.float32


def table_tests(ops: list) -> tuple:
    """The four checks as tests parametrized over `ops`: an op table binds them to test_*
    names, `(test_forward_matches_numpy, ...) = table_tests(OPS)`, as this file does."""

    def as_test(check: Callable) -> Callable:
        @pytest.mark.parametrize("op", ops, ids=repr)
        @given(data=st.data())
        def test(op, data):
            check(op, data)

        return test

    return tuple(as_test(check) for check in (check_forward, check_backward, check_pytorch,
                                              check_float32))


(test_forward_matches_numpy, test_backward_matches_central_differences, test_matches_pytorch,
 test_float32_stays_float32) = table_tests(OPS)


def test_table_covers_every_op_in_the_api():
    """API.md's op list: each name must appear in the table."""
    api_ops = {"add", "sub", "mul", "div", "pow", "neg", "matmul", "sum", "mean", "max", "min",
               "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "clip",
               "softmax", "log_softmax", "reshape", "transpose", "T", "flatten", "getitem"}
    assert api_ops <= {op.name for op in OPS}
