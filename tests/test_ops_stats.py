"""kthvalue, quantile/nanquantile, nansum/nanmean, diff, cross, logcumsumexp, index_add,
index_copy, index_put and scatter_reduce from one table (the four checks of
tests/test_ops.py: NumPy forward, central-difference backward, PyTorch values and gradients,
float32 stays float32), then what a table cannot show: ties, NaNs, ±1000, integer dtypes,
second derivatives, errors, the in-place forms' version counters, and the non-differentiable
unique, bincount, histc, searchsorted, bucketize, isin, argwhere, bernoulli, exponential_,
against PyTorch where it is installed and against written-out values everywhere.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from test_ops import Op, anywhere, distinct, plain, table_tests, unary

import tinygrad_np as tg
from tinygrad_np import Tensor

small = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _torch(value):
    import torch

    return torch.as_tensor(np.asarray(value)) if isinstance(value, np.ndarray) else value


def _dims_of(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    return tuple(d % ndim for d in (dim if isinstance(dim, tuple) else (dim,)))


@st.composite
def with_dim(draw, domain=anywhere, allow_none=False, allow_tuple=False, keep=True,
             nans=False):
    """One array, a `dim` and `keepdim`; with `nans`, NaNs in about a third of the places
    but never a whole slice along `dim` (PyTorch's gradient there is NaN, see below)."""
    shape = draw(small)
    ndim = len(shape)
    choices = [st.integers(-ndim, ndim - 1)]
    if allow_none:
        choices.append(st.none())
    if allow_tuple:
        choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                unique=True).map(tuple))
    options = {"dim": draw(st.one_of(*choices))}
    if keep:
        options["keepdim"] = draw(st.booleans())
    rng = _rng(draw)
    x = domain(rng, shape)
    if nans:
        mask = rng.random(shape) < 0.35
        dims = _dims_of(options["dim"], ndim)
        mask[tuple(slice(0, 1) if axis in dims else slice(None) for axis in range(ndim))] = False
        x[mask] = np.nan
    return [x], options


@st.composite
def quantile_input(draw, nans=False):
    arrays, options = draw(with_dim(distinct, allow_none=True, nans=nans))
    options["q"] = draw(st.one_of(st.sampled_from([0.0, 0.3, 0.5, 1.0]), st.lists(
        st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]), min_size=1, max_size=3).map(
        np.array)))
    options["interpolation"] = draw(st.sampled_from(INTERPOLATIONS))
    return arrays, options


@st.composite
def cross_input(draw):
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)))
    dim = draw(st.integers(0, len(shape) - 1))
    shape[dim] = 3
    other = [size if axis == dim else draw(st.sampled_from([1, size]))
             for axis, size in enumerate(shape)]
    rng = _rng(draw)
    return [anywhere(rng, tuple(shape)), anywhere(rng, tuple(other))], {
        "dim": draw(st.sampled_from([dim, dim - len(shape)]))}


@st.composite
def diff_input(draw):
    arrays, options = draw(with_dim(keep=False))
    options["n"] = draw(st.integers(0, 3))
    options["ends"] = draw(st.sampled_from(["none", "prepend", "append", "both"]))
    return arrays, options


def _diff_ends(x, dim, ends):
    """prepend/append made from x itself (so their gradients are checked too)."""
    length = x.shape[dim]
    prepend = x.narrow(dim, 0, 1) * 2 if ends in ("prepend", "both") else None
    append = x.narrow(dim, length - 1, 1) - 1 if ends in ("append", "both") else None
    return prepend, append


def _numpy_diff(x, dim, n, ends):
    length = x.shape[dim]
    prepend = np.take(x, [0], axis=dim) * 2 if ends in ("prepend", "both") else None
    append = np.take(x, [length - 1], axis=dim) - 1 if ends in ("append", "both") else None
    extra = {key: value for key, value in (("prepend", prepend), ("append", append))
             if value is not None}
    return np.diff(x, n=n, axis=dim, **extra)


@st.composite
def index_add_input(draw, distinct_index=False):
    shape = draw(small)
    rng = _rng(draw)
    dim = draw(st.integers(0, len(shape) - 1))
    if distinct_index:
        index = rng.permutation(shape[dim])[:draw(st.integers(1, shape[dim]))]
    else:
        index = rng.integers(0, shape[dim], draw(st.integers(1, 4)))  # repeats accumulate
    source_shape = shape[:dim] + (index.size,) + shape[dim + 1:]
    options = {"dim": draw(st.sampled_from([dim, dim - len(shape)])), "index": index}
    if not distinct_index:
        options["alpha"] = draw(st.sampled_from([1, -0.5, 2.0]))
    return [anywhere(rng, shape), anywhere(rng, source_shape)], options


@st.composite
def index_put_input(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    rng = _rng(draw)
    count = draw(st.integers(1, len(shape)))
    length = draw(st.integers(1, 4))
    accumulate = draw(st.booleans())
    if accumulate:  # repeats add up
        indices = tuple(rng.integers(-shape[a], shape[a], length) for a in range(count))
    else:  # distinct positions (which write wins at a repeat is unspecified in PyTorch)
        flat = rng.permutation(int(np.prod(shape[:count])))[:length]
        indices = np.unravel_index(flat, shape[:count])
    values_shape = (len(indices[0]),) + shape[count:]
    if draw(st.booleans()):
        values_shape = values_shape[1:]  # broadcast along the indexed positions
    return [anywhere(rng, shape), anywhere(rng, values_shape)], {
        "indices": tuple(np.asarray(i, dtype=np.int64) for i in indices),
        "accumulate": accumulate}


def _numpy_index_put(x, values, indices, accumulate):
    out = x.copy()
    if accumulate:
        np.add.at(out, indices, np.broadcast_to(values, out[indices].shape))
    else:
        out[indices] = values
    return out


@st.composite
def scatter_reduce_input(draw, reduce):
    shape = draw(small)
    rng = _rng(draw)
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, 3)) if axis == dim else draw(st.integers(1, size))
                        for axis, size in enumerate(shape))
    index = rng.integers(0, shape[dim], index_shape)
    src_shape = index_shape  # (a larger src: forward only, PyTorch's backward refuses it)
    # amax/amin: all values distinct (ties are tested apart); prod: zeros now and then
    if reduce in ("amax", "amin"):
        values = distinct(rng, (int(np.prod(shape)) + int(np.prod(src_shape)),))
        x, src = values[:int(np.prod(shape))].reshape(shape), values[
            int(np.prod(shape)):].reshape(src_shape)
    else:
        x, src = anywhere(rng, shape), anywhere(rng, src_shape)
        if reduce == "prod":
            x[rng.random(shape) < 0.2], src[rng.random(src_shape) < 0.2] = 0.0, 0.0
    return [x, src], {"dim": dim, "index": index, "include_self": draw(st.booleans())}


def _numpy_scatter_reduce(x, src, dim, index, include_self, reduce):
    """The definition, one element at a time."""
    groups = {position: ([x[position]] if include_self else []) for position in np.ndindex(
        *x.shape)}
    for position in np.ndindex(*index.shape):
        target = list(position)
        target[dim] = index[position]
        groups[tuple(target)].append(src[position])
    out = x.copy()
    reduce_fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                 "amin": np.min}[reduce]
    for position, members in groups.items():
        if members:
            out[position] = reduce_fn(members)
    return out


def _torch_nan_reduction(name):
    def call(x, dim, keepdim):
        if dim is None:
            result = getattr(x, name)()
            return result.reshape((1,) * x.ndim) if keepdim else result
        return getattr(x, name)(dim=dim, keepdim=keepdim)

    return call


def _quantile_torch(name):
    def call(x, q, dim, keepdim, interpolation):
        q = x.new_tensor(q) if isinstance(q, np.ndarray) else q
        return getattr(x, name)(q, dim, keepdim, interpolation=interpolation)

    return call


def _quantile_ours(name):
    def call(x, q, dim, keepdim, interpolation):
        q = x.new_tensor(q) if isinstance(q, np.ndarray) else q
        return getattr(x, name)(q, dim=dim, keepdim=keepdim, interpolation=interpolation)

    return call


def _numpy_quantile(nan):
    method = {"midpoint": "midpoint", "nearest": "nearest"}

    def call(x, q, dim, keepdim, interpolation):
        fn = np.nanquantile if nan else np.quantile
        return fn(x, q, axis=dim, keepdims=keepdim, method=method.get(interpolation,
                                                                     interpolation))

    return call


def _kth(x, dim, keepdim):
    k = min(2, x.shape[dim])
    values = np.take(np.sort(x, axis=dim), [k - 1], axis=dim)
    return values if keepdim else np.squeeze(values, dim)


OPS = [
    Op("kthvalue", lambda x, dim, keepdim: x.kthvalue(min(2, x.shape[dim]), dim, keepdim).values,
       _kth, with_dim(distinct)),
    Op("kthvalue_function", lambda x, dim, keepdim: tg.kthvalue(x, 1, dim, keepdim)[0],
       lambda x, dim, keepdim: np.min(x, axis=dim, keepdims=keepdim), with_dim(distinct),
       lambda x, dim, keepdim: __import__("torch").kthvalue(x, 1, dim, keepdim)[0]),
    Op("quantile", _quantile_ours("quantile"), _numpy_quantile(False), quantile_input(),
       _quantile_torch("quantile")),
    Op("nanquantile", _quantile_ours("nanquantile"), _numpy_quantile(True),
       quantile_input(nans=True), _quantile_torch("nanquantile")),
    Op("nansum", lambda x, dim, keepdim: x.nansum(dim, keepdim),
       lambda x, dim, keepdim: np.nansum(x, axis=dim, keepdims=keepdim),
       with_dim(allow_none=True, allow_tuple=True, nans=True), _torch_nan_reduction("nansum")),
    Op("nanmean", lambda x, dim, keepdim: tg.nanmean(x, dim=dim, keepdim=keepdim),
       lambda x, dim, keepdim: np.nanmean(x, axis=dim, keepdims=keepdim),
       with_dim(allow_none=True, allow_tuple=True, nans=True), _torch_nan_reduction("nanmean")),
    Op("diff", lambda x, dim, n, ends: x.diff(n, dim, *_diff_ends(x, dim, ends)),
       _numpy_diff, diff_input()),
    Op("cross", lambda a, b, dim: a.cross(b, dim=dim),
       lambda a, b, dim: np.cross(a, b, axis=dim), cross_input(),
       lambda a, b, dim: __import__("torch").linalg.cross(a, b, dim=dim)),
    Op("cross_default_dim", lambda a, b: tg.cross(a, b),
       lambda a, b: np.cross(a, b, axis=0), plain(unary(anywhere, st.just((3, 2)))).map(
           lambda case: ([case[0][0], case[0][0][::-1] * 2], {})),
       lambda a, b: __import__("torch").linalg.cross(a, b, dim=0)),
    Op("logcumsumexp", lambda x, dim: x.logcumsumexp(dim),
       lambda x, dim: np.log(np.cumsum(np.exp(x), axis=dim)), with_dim(keep=False)),
    Op("index_add", lambda x, source, dim, index, alpha: x.index_add(dim, tg.tensor(index),
                                                                     source, alpha=alpha),
       lambda x, source, dim, index, alpha: _numpy_index_add(x, source, dim, index, alpha),
       index_add_input(),
       lambda x, source, dim, index, alpha: x.index_add(dim, _torch(index), source,
                                                        alpha=alpha)),
    Op("index_copy", lambda x, source, dim, index: tg.index_copy(x, dim, tg.tensor(index),
                                                                source),
       lambda x, source, dim, index: _numpy_index_copy(x, source, dim, index),
       index_add_input(distinct_index=True),
       lambda x, source, dim, index: x.index_copy(dim, _torch(index), source)),
    Op("index_put", lambda x, values, indices, accumulate: x.index_put(
        tuple(tg.tensor(i) for i in indices), values, accumulate),
       lambda x, values, indices, accumulate: _numpy_index_put(x, values, indices, accumulate),
       index_put_input(),
       lambda x, values, indices, accumulate: x.index_put(
           tuple(_torch(i) for i in indices), values, accumulate)),
    *[Op(f"scatter_reduce_{reduce}",
         lambda x, src, dim, index, include_self, reduce=reduce: x.scatter_reduce(
             dim, tg.tensor(index), src, reduce, include_self=include_self),
         lambda x, src, dim, index, include_self, reduce=reduce: _numpy_scatter_reduce(
             x, src, dim, index, include_self, reduce),
         scatter_reduce_input(reduce),
         lambda x, src, dim, index, include_self, reduce=reduce: x.scatter_reduce(
             dim, _torch(index), src, reduce, include_self=include_self))
      for reduce in ("sum", "prod", "mean", "amax", "amin")],
]


def _numpy_index_add(x, source, dim, index, alpha):
    out = x.copy()
    np.add.at(out, (slice(None),) * (dim % x.ndim) + (index,), alpha * source)
    return out


def _numpy_index_copy(x, source, dim, index):
    out = x.copy()
    out[(slice(None),) * (dim % x.ndim) + (index,)] = source
    return out


(test_forward_matches_numpy, test_backward_matches_central_differences, test_matches_pytorch,
 test_float32_stays_float32) = table_tests(OPS)


# ----------------------------------------------------------------------------- written out
# These need no PyTorch: the values PyTorch 2.x gives, written down.
def _values(tensor):
    return tensor._data.tolist(), tensor.dtype.name


def test_counting_functions_give_pytorchs_values_and_dtypes():
    nan = float("nan")
    values, inverse, counts = tg.unique(tg.tensor([3.0, nan, 1.0, nan, 3.0]),
                                        return_inverse=True, return_counts=True)
    assert str(values._data.tolist()) == "[1.0, 3.0, nan, nan]"  # each NaN its own value
    assert _values(inverse) == ([1, 2, 0, 3, 1], "int64")
    assert _values(counts) == ([1, 2, 1, 1], "int64")
    assert _values(tg.tensor([3, 1, 2, 1]).unique(sorted=False)) == ([1, 2, 3], "int64")
    rows, inverse = tg.unique(tg.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True)
    assert rows.tolist() == [[0, 5], [1, 2]] and inverse.tolist() == [1, 1, 0]
    assert _values(tg.bincount(tg.tensor([0, 2, 2]))) == ([1, 0, 2], "int64")
    assert _values(tg.tensor([0, 2, 2]).bincount(tg.tensor([1.0, 2.0, 3.0]))) == (
        [1.0, 0.0, 5.0], "float32")
    assert _values(tg.bincount(tg.tensor([0, 2]), tg.tensor([1, 2]), minlength=4)) == (
        [1.0, 0.0, 2.0, 0.0], "float64")
    assert _values(tg.bincount(tg.tensor([], dtype=tg.int64), minlength=2)) == ([0, 0], "int64")
    assert _values(tg.histc(tg.tensor([2.0, 2.0, 2.0]), bins=4)) == ([0, 0, 3, 0], "float32")
    assert tg.tensor([1.0, 2.0, 3.0, 4.0]).histc(bins=3).tolist() == [1, 1, 2]
    assert tg.histc(tg.tensor([1.0, 2.0, 5.0, 4.0]), 4, min=2, max=4).tolist() == [1, 0, 0, 1]
    assert _values(tg.searchsorted(tg.tensor([1, 3, 5]), 3)) == (1, "int64")
    assert tg.searchsorted(tg.tensor([1, 3, 5]), tg.tensor([3]), right=True).tolist() == [2]
    assert tg.searchsorted(tg.tensor([[1, 3, 5], [2, 4, 6]]), tg.tensor([[3], [3]]),
                           side="right").tolist() == [[2], [1]]
    assert _values(tg.searchsorted(tg.tensor([1, 3]), tg.tensor([2]), out_int32=True)) == (
        [1], "int32")
    assert tg.bucketize(tg.tensor([3.0, 6.0]), tg.tensor([1, 3, 5]), right=True).tolist() == [2, 3]
    assert tg.bucketize(3, tg.tensor([1, 3, 5])).tolist() == 1
    assert _values(tg.isin(tg.tensor([1, 2, 3]), 2)) == ([False, True, False], "bool")
    assert tg.isin(tg.tensor([1, 2, 3]), tg.tensor([2, 3]), invert=True).tolist() == [
        True, False, False]
    assert _values(tg.tensor([[0, 1], [2, 0]]).argwhere()) == ([[0, 1], [1, 0]], "int64")


def test_counting_functions_refuse_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.bincount(tg.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="1-d"):
        tg.bincount(tg.tensor([[1]]))
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        tg.histc(tg.tensor([1.0]), min=2, max=1)
    with pytest.raises(RuntimeError, match="floating"):
        tg.histc(tg.tensor([1]))
    with pytest.raises(RuntimeError, match="opposites"):
        tg.searchsorted(tg.tensor([1, 2]), 1, right=True, side="left")


def test_kthvalue_quantile_and_nan_reductions_written_out():
    kth = tg.tensor([1.0, 2.0, 1.0, 2.0, 1.0]).kthvalue(2)
    assert type(kth).__name__ == "kthvalue" and kth._fields == ("values", "indices")
    assert kth.values.item() == 1.0 and kth.indices.item() == 0  # PyTorch's quickselect's 1.0
    with pytest.raises(RuntimeError, match="out of range"):
        tg.tensor([1.0, 2.0]).kthvalue(3)
    x = tg.tensor([[0.0, 1.0, 2.0, 3.0], [4.0, float("nan"), 6.0, 7.0]])
    assert x.quantile(0.5, dim=1)._data[0] == 1.5 and np.isnan(x.quantile(0.5, dim=1)._data[1])
    assert x.nanquantile(0.5, dim=1).tolist() == [1.5, 6.0]
    assert x.quantile(tg.tensor([0.0, 1.0]), dim=1, keepdim=True).shape == (2, 2, 1)
    assert tg.tensor([0.0, 1.0, 2.0, 3.0]).quantile(0.5, interpolation="lower").item() == 1.0
    assert tg.tensor([0.0, 1.0, 2.0, 3.0]).quantile(0.5, interpolation="higher").item() == 2.0
    with pytest.raises(RuntimeError, match="range"):
        x.quantile(1.5)
    with pytest.raises(RuntimeError, match="float"):
        tg.tensor([1, 2]).quantile(0.5)
    assert x.nansum(1).tolist() == [6.0, 17.0] and x.nansum().dtype == np.float32
    assert x.nanmean(1).tolist() == [1.5, 17.0 / 3.0] or np.allclose(
        x.nanmean(1)._data, [1.5, 17 / 3])
    assert _values(tg.nansum(tg.tensor([1, 2]))) == (3, "int64")
    empty = tg.tensor([float("nan"), float("nan")], requires_grad=True)
    mean = empty.nanmean()
    mean.backward()
    assert np.isnan(mean.item()) and empty.grad.tolist() == [0.0, 0.0]  # PyTorch's: NaN
    assert _values(tg.diff(tg.tensor([True, False, False]))) == ([True, False], "bool")
    assert tg.diff(tg.tensor([1, 5, 2]), n=2).tolist() == [-7]
    assert tg.diff(tg.tensor([1.0, 2.0]), n=3).shape == (0,)
    assert tg.tensor([1.0, 4.0]).diff(prepend=0.0, append=tg.tensor([9.0])).tolist() == [
        1.0, 3.0, 5.0]
    with pytest.raises(RuntimeError, match="size 3"):
        tg.cross(tg.ones(2, 2), tg.ones(2, 2))


def test_logcumsumexp_is_stable_at_plus_minus_1000():
    x = tg.tensor([-1000.0, 1000.0, -1000.0, 999.0], dtype=tg.float64, requires_grad=True)
    y = x.logcumsumexp(0)
    y.backward(np.ones(4))
    np.testing.assert_allclose(y._data, [-1000.0, 1000.0, 1000.0, 1000.0 + np.log1p(np.exp(-1))])
    # dx_j = sum_{i>=j} exp(x_j - y_i): 1, then 3 terms near 1, then 0, then e^-1 / (1 + e^-1)
    tail = np.exp(-1) / (1 + np.exp(-1))
    np.testing.assert_allclose(x.grad._data, [1.0, 3.0 - tail, 0.0, tail], rtol=1e-6)
    negative = tg.tensor([[-1000.0, 2.0]], dtype=tg.float64, requires_grad=True)
    negative.logcumsumexp(1).backward(np.array([[-1.0, 2.0]]))
    assert np.all(np.isfinite(negative.grad._data))
    with pytest.raises(NotImplementedError, match="logcumsumexp"):  # integers: as PyTorch
        tg.tensor([1, 2]).logcumsumexp(0)


def test_scatter_reduce_written_out_including_ties():
    def run(reduce, include_self):
        s = tg.tensor([2.0, 5.0, 1.0], requires_grad=True)
        src = tg.tensor([2.0, 2.0, 7.0, 0.5], requires_grad=True)
        y = s.scatter_reduce(0, tg.tensor([0, 0, 1, 2]), src, reduce, include_self=include_self)
        y.backward(np.array([1.0, 10.0, 100.0], dtype=np.float32))
        return y.tolist(), s.grad.tolist(), src.grad.tolist()

    third = 1 / 3
    # PyTorch's values: the three tying 2.0s share the gradient of place 0
    assert np.allclose(sum(run("amax", True), []), sum(
        [[2.0, 7.0, 1.0], [third, 0.0, 100.0], [third, third, 10.0, 0.0]], []))
    assert np.allclose(sum(run("mean", True), []), sum(
        [[2.0, 6.0, 0.75], [third, 5.0, 50.0], [third, third, 5.0, 50.0]], []))
    assert run("prod", True) == ([8.0, 35.0, 0.5], [4.0, 70.0, 50.0], [4.0, 4.0, 50.0, 100.0])
    # Without self the two 2.0s share place 0's gradient half and half (PyTorch counts
    # self's equal 2.0 among the ties and then gives it nothing: 1/3 each, 2/3 in all).
    assert run("amax", False) == ([2.0, 7.0, 0.5], [0.0, 0.0, 0.0], [0.5, 0.5, 10.0, 100.0])
    assert run("sum", False) == ([4.0, 7.0, 0.5], [0.0, 0.0, 0.0], [1.0, 1.0, 10.0, 100.0])
    means = tg.tensor([-1, 2, 3]).scatter_reduce(0, tg.tensor([0, 0]), tg.tensor([-4, 4]),
                                                 "mean")
    assert _values(means) == ([-1, 2, 3], "int64")  # (-1 - 4 + 4) / 3 rounded down
    larger = tg.zeros(2).scatter_reduce(0, tg.tensor([1]), tg.tensor([5.0, 7.0]), "sum")
    assert larger.tolist() == [0.0, 5.0]  # src larger than index: only its first part
    with pytest.raises(RuntimeError, match="reduce argument"):
        tg.zeros(2).scatter_reduce(0, tg.tensor([1]), tg.ones(1), "maximum")


# ----------------------------------------------------------------------------- in place
IN_PLACE = [
    ("index_add_", lambda t, v: t.index_add_(0, tg.tensor([1, 1]), v, alpha=2)),
    ("index_copy_", lambda t, v: t.index_copy_(0, tg.tensor([2, 0]), v)),
    ("index_put_", lambda t, v: t.index_put_((tg.tensor([0, 2]),), v, accumulate=True)),
    ("scatter_reduce_", lambda t, v: t.scatter_reduce_(0, tg.tensor([[0, 2], [0, 0]]), v,
                                                       "amax")),
]


@pytest.mark.parametrize(("name", "write"), IN_PLACE, ids=[name for name, _ in IN_PLACE])
def test_in_place_writes_follow_the_in_place_conventions(name, write):
    values = tg.tensor([[1.0, -1.0], [3.0, 0.5]])
    buffer = tg.zeros(3, 2)
    out_of_place = getattr(buffer, name[:-1])
    assert write(buffer, values) is buffer and buffer._version == 1
    assert not np.array_equal(buffer._data, np.zeros((3, 2)))
    assert out_of_place is not None
    weight = tg.ones(3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        write(weight, values)
    with tg.no_grad():
        write(weight, values)  # a parameter update
    saved = tg.ones(3, 2)
    product = (saved * weight).sum()  # Mul saved `saved` for weight's gradient
    write(saved, values)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        product.backward()
    source = tg.tensor([[1.0, -1.0], [3.0, 0.5]], requires_grad=True)
    recorded = tg.zeros(3, 2)
    write(recorded, source)  # recorded: the gradient reaches source
    assert recorded.grad_fn is not None and recorded._version == 1
    recorded.sum().backward()
    assert source.grad is not None and source.grad.shape == (2, 2)


def test_random_fills_use_the_seeded_generator():
    tg.manual_seed(3)
    first = tg.empty(1000).bernoulli_(0.3)
    tg.manual_seed(3)
    again = tg.empty(1000).bernoulli_(0.3)
    assert np.array_equal(first._data, again._data) and set(np.unique(first._data)) <= {0.0, 1.0}
    assert first._version == 1 and abs(first._data.mean() - 0.3) < 0.06
    probabilities = tg.tensor([0.0, 1.0, 0.0, 1.0], dtype=tg.float64)
    assert _values(tg.bernoulli(probabilities)) == ([0.0, 1.0, 0.0, 1.0], "float64")
    assert tg.zeros(5).bernoulli(1.0).tolist() == [1.0] * 5
    generator = tg.Generator().manual_seed(1)
    draws = tg.full((4000,), 0.5).bernoulli(generator=generator)
    assert abs(draws._data.mean() - 0.5) < 0.05
    with pytest.raises(RuntimeError, match="probabilities"):
        tg.bernoulli(tg.tensor([1.5]))
    tg.manual_seed(5)
    samples = tg.empty(4000, dtype=tg.float64).exponential_(2.0)
    assert samples.dtype == np.float64 and samples._data.min() > 0
    assert abs(samples._data.mean() - 0.5) < 0.05 and samples._version == 1
    with pytest.raises(RuntimeError, match="lambda"):
        tg.empty(2).exponential_(0.0)
    with pytest.raises(RuntimeError, match="leaf"):
        tg.ones(2, requires_grad=True).bernoulli_()


# ----------------------------------------------------------------------------- second order
SECOND_ORDER = {
    "quantile": lambda x: x.quantile(x.new_tensor([0.2, 0.7]), dim=1),
    "nanquantile": lambda x: x.nanquantile(0.4, dim=0),
    "kthvalue": lambda x: x.kthvalue(2, 1).values,
    "nanmean": lambda x: x.nanmean(1),
    "diff": lambda x: x.diff(n=2, dim=1),
    "cross": lambda x: x[:, :3].cross(x[:, 1:], dim=1),
    "logcumsumexp": lambda x: x.logcumsumexp(1),
    "index_add": lambda x: x.index_add(1, x.new_tensor([0, 0, 2]).long(), x[:, 1:] * x[:, :3]),
    "scatter_reduce_prod": lambda x: x.scatter_reduce(
        1, x.new_tensor([[0, 0, 1], [2, 0, 0], [1, 1, 1]]).long(), x[:, :3], "prod"),
    "scatter_reduce_mean": lambda x: x.scatter_reduce(
        1, x.new_tensor([[0, 0, 1], [2, 0, 0], [1, 1, 1]]).long(), x[:, :3] ** 2, "mean",
        include_self=False),
    "scatter_reduce_amax": lambda x: x.scatter_reduce(
        1, x.new_tensor([[0, 0, 1], [2, 0, 0], [1, 1, 1]]).long(), x[:, 1:] * 3, "amax"),
}
X = np.array([[0.3, -1.2, 2.0, 0.7], [1.1, 0.0, -0.4, 2.5], [-0.9, 1.6, 0.2, -2.2]])


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives_match_central_differences(name):
    fn = SECOND_ORDER[name]
    direction = np.random.default_rng(0).standard_normal(X.shape)

    def gradient_along(x):
        (gradient,) = tg.grad((fn(x).sin()).sum(), x, create_graph=True)
        return (gradient * direction).sum()

    assert tg.gradcheck(gradient_along, [Tensor(X.copy(), requires_grad=True)])


# ----------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("name", SECOND_ORDER)
def test_hessian_vector_products_match_pytorch(name):
    torch = pytest.importorskip("torch")
    fn = SECOND_ORDER[name]
    direction = np.random.default_rng(0).standard_normal(X.shape)
    ours, theirs = Tensor(X.copy(), requires_grad=True), torch.tensor(X, requires_grad=True)
    (gradient,) = tg.grad(fn(ours).sin().sum(), ours, create_graph=True)
    (hvp,) = tg.grad((gradient * direction).sum(), ours)
    (torch_gradient,) = torch.autograd.grad(fn(theirs).sin().sum(), theirs, create_graph=True)
    (torch_hvp,) = torch.autograd.grad((torch_gradient * torch.tensor(direction)).sum(), theirs)
    np.testing.assert_allclose(gradient._data, torch_gradient.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(hvp._data, torch_hvp.numpy(), rtol=1e-10, atol=1e-12)


def test_counting_functions_match_pytorch_on_random_data():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(20):
        ints = rng.integers(0, 6, rng.integers(0, 12))
        floats = rng.integers(-3, 4, (3, 4)).astype(np.float32) / 2
        floats[rng.random(floats.shape) < 0.2] = np.nan
        for data in (ints, floats):
            for inverse in (False, True):
                ours = tg.unique(Tensor(data), return_inverse=inverse, return_counts=True)
                theirs = torch.unique(torch.tensor(data), return_inverse=inverse,
                                      return_counts=True)
                for a, b in zip(ours, theirs):
                    np.testing.assert_array_equal(a._data, b.numpy())
                    assert a.dtype == b.numpy().dtype
        weights = rng.standard_normal(ints.size).astype(np.float32)
        for weight in (None, weights, weights.astype(np.float64)):
            ours = tg.bincount(Tensor(ints), None if weight is None else Tensor(weight), 3)
            theirs = torch.bincount(torch.tensor(ints), None if weight is None
                                    else torch.tensor(weight), 3)
            np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-6)
            assert ours.dtype == theirs.numpy().dtype
        values = rng.uniform(-2, 2, 50).astype(np.float32)
        values[:5] = [-2, -1, 0, 1, 2]  # exactly on bin edges
        for bins, low, high in ((4, -2, 2), (7, 0, 0), (3, -1, 1.5), (5, -1, -1)):
            np.testing.assert_array_equal(
                tg.histc(Tensor(values), bins, low, high)._data,
                torch.histc(torch.tensor(values), bins, low, high).numpy())
        boundaries = np.sort(rng.integers(0, 8, 6))
        queries = rng.integers(-1, 9, (2, 3))
        for right in (False, True):
            np.testing.assert_array_equal(
                tg.searchsorted(Tensor(boundaries), Tensor(queries), right=right)._data,
                torch.searchsorted(torch.tensor(boundaries), torch.tensor(queries),
                                   right=right).numpy())
            np.testing.assert_array_equal(
                tg.bucketize(Tensor(queries), Tensor(boundaries), right=right)._data,
                torch.bucketize(torch.tensor(queries), torch.tensor(boundaries),
                                right=right).numpy())
        rows = np.sort(rng.integers(0, 8, (2, 5)), axis=1)
        np.testing.assert_array_equal(
            tg.searchsorted(Tensor(rows), Tensor(queries), side="right")._data,
            torch.searchsorted(torch.tensor(rows), torch.tensor(queries), side="right").numpy())
        np.testing.assert_array_equal(
            tg.isin(Tensor(queries), Tensor(boundaries))._data,
            torch.isin(torch.tensor(queries), torch.tensor(boundaries)).numpy())
        np.testing.assert_array_equal(Tensor(queries > 3).argwhere()._data,
                                      torch.tensor(queries > 3).argwhere().numpy())


def test_kthvalue_indices_quantile_nans_and_float32_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    values = distinct(rng, (3, 5))
    for k in (1, 3, 5):
        ours, theirs = Tensor(values).kthvalue(k, 1, True), torch.tensor(values).kthvalue(k, 1,
                                                                                         True)
        np.testing.assert_array_equal(ours.indices._data, theirs.indices.numpy())
    nans = values.copy()
    nans[0, 1], nans[2, :] = np.nan, np.nan
    for name in ("quantile", "nanquantile"):
        for q in (0.0, 0.5, 1.0):
            np.testing.assert_allclose(getattr(Tensor(nans), name)(q, 1)._data,
                                       getattr(torch.tensor(nans), name)(q, 1).numpy())
    np.testing.assert_allclose(Tensor(nans).nanmean(1)._data, torch.tensor(nans).nanmean(1))
    single = rng.standard_normal((4, 6)).astype(np.float32) * 300
    for fn in (lambda x: x.logcumsumexp(1), lambda x: x.quantile(0.3, dim=0),
               lambda x: x.nansum(1), lambda x: x.diff(dim=0)):
        ours, theirs = Tensor(single, requires_grad=True), torch.tensor(single,
                                                                        requires_grad=True)
        out, torch_out = fn(ours), fn(theirs)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out._data, torch_out.detach().numpy(), rtol=1e-5, atol=1e-4)
        out.sum().backward()
        torch_out.sum().backward()
        np.testing.assert_allclose(ours.grad._data, theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_scatter_reduce_ties_and_in_place_forms_match_pytorch():
    torch = pytest.importorskip("torch")
    index = np.array([[0, 0, 1], [1, 1, 1]])
    base = np.array([[2.0, 5.0], [1.0, 1.0]])
    src = np.array([[2.0, 2.0, 5.0], [1.0, 0.0, 1.0]])
    for reduce in ("amax", "amin", "sum", "mean", "prod"):
        ours = [Tensor(base, requires_grad=True), Tensor(src, requires_grad=True)]
        theirs = [torch.tensor(base, requires_grad=True), torch.tensor(src, requires_grad=True)]
        out = ours[0].scatter_reduce(1, tg.tensor(index), ours[1], reduce)
        torch_out = theirs[0].scatter_reduce(1, torch.tensor(index), theirs[1], reduce)
        np.testing.assert_allclose(out._data, torch_out.detach().numpy())
        upstream = np.array([[1.0, 2.0], [3.0, 4.0]])
        out.backward(upstream)
        torch_out.backward(torch.tensor(upstream))
        for mine, other in zip(ours, theirs):
            np.testing.assert_allclose(mine.grad._data, other.grad.numpy())
    for name, write in IN_PLACE:
        values = np.array([[1.0, -1.0], [3.0, 0.5]])
        ours, theirs = tg.zeros(3, 2, dtype=tg.float64), torch.zeros(3, 2, dtype=torch.float64)
        write(ours, Tensor(values))
        torch_write = {
            "index_add_": lambda t, v: t.index_add_(0, torch.tensor([1, 1]), v, alpha=2),
            "index_copy_": lambda t, v: t.index_copy_(0, torch.tensor([2, 0]), v),
            "index_put_": lambda t, v: t.index_put_((torch.tensor([0, 2]),), v,
                                                    accumulate=True),
            "scatter_reduce_": lambda t, v: t.scatter_reduce_(0, torch.tensor([[0, 2], [0, 0]]),
                                                              v, "amax"),
        }[name]
        torch_write(theirs, torch.tensor(values))
        np.testing.assert_array_equal(ours._data, theirs.numpy(), err_msg=name)
