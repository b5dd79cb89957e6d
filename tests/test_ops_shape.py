"""The tensor vocabulary's differentiable ops from one table, plus their non-table behaviour.

Rows: reductions with dim=/keepdim=, statistics, selection, sorting, joining and splitting,
shape ops, PyTorch-layout indexing, einsum, padding and attention. Each row runs the four
checks of tests/test_ops.py (NumPy forward, central-difference backward, PyTorch values and
gradients, float32 stays float32). Domains keep away from ties for max/sort/median/topk and
from zero where a norm has a kink. The tests after the table cover integer outputs, ties and
kinks as PyTorch resolves them, and error messages.
"""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from test_ops import (
    Op,
    anywhere,
    away_from_zero,
    broadcast_pair,
    distinct,
    plain,
    table_tests,
    unary,
)

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

small = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
at_least_two = hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3)


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


@st.composite
def with_dim(draw, domain=anywhere, shapes=small, allow_none=False, allow_tuple=False,
             keep=True):
    """One array, a `dim` (int, maybe None or a tuple) and `keepdim`."""
    shape = draw(shapes)
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
    return [domain(_rng(draw), shape)], options


@st.composite
def gather_input(draw):
    shape = draw(small)
    rng = _rng(draw)
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, size)) if axis != dim else draw(st.integers(1, 4))
                        for axis, size in enumerate(shape))
    index = rng.integers(0, shape[dim], index_shape)
    return [anywhere(rng, shape)], {"dim": dim, "index": index}


@st.composite
def take_along_input(draw):
    """Indices that broadcast against x outside dim (size 1 or x's size there)."""
    shape = draw(small)
    rng = _rng(draw)
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, 3)) if axis == dim else
                        draw(st.sampled_from([1, size])) for axis, size in enumerate(shape))
    x_shape = tuple(size if axis == dim else draw(st.sampled_from([1, size]))
                    for axis, size in enumerate(shape))
    return [anywhere(rng, x_shape)], {"dim": dim,
                                      "index": rng.integers(0, shape[dim], index_shape)}


@st.composite
def scatter_input(draw):
    """A distinct-position index (scatter overwrites) and a src at least as large."""
    shape = draw(small)
    rng = _rng(draw)
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, size)) for size in shape)
    # Along dim, each column gets a permutation prefix: no position is written twice.
    order = np.argsort(rng.random(index_shape[:dim] + (shape[dim],) + index_shape[dim + 1:]),
                       axis=dim)
    index = np.take(order, np.arange(index_shape[dim]), axis=dim)
    return [anywhere(rng, shape), anywhere(rng, index_shape)], {"dim": dim, "index": index}


@st.composite
def scatter_add_input(draw):
    shape = draw(small)
    rng = _rng(draw)
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, 3)) if axis == dim else draw(st.integers(1, size))
                        for axis, size in enumerate(shape))
    index = rng.integers(0, shape[dim], index_shape)  # repeats accumulate
    return [anywhere(rng, shape), anywhere(rng, index_shape)], {"dim": dim, "index": index}


@st.composite
def mask_input(draw):
    shape = draw(small)
    rng = _rng(draw)
    mask_shape = draw(hnp.broadcastable_shapes(shape, max_dims=len(shape)))
    return [anywhere(rng, shape)], {"mask": rng.random(mask_shape) > 0.5}


@st.composite
def where_input(draw):
    a, b = draw(broadcast_pair())
    rng = _rng(draw)
    shape = np.broadcast_shapes(a.shape, b.shape)
    return [a, b], {"condition": rng.random(shape) > 0.5}


@st.composite
def matrix_input(draw, domain=anywhere):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4))
    return [domain(_rng(draw), shape)], {"diagonal": draw(st.integers(-2, 2))}


@st.composite
def tensors_to_join(draw):
    shape = draw(small)
    dim = draw(st.integers(0, len(shape) - 1))
    rng = _rng(draw)
    arrays = []
    for _ in range(draw(st.integers(1, 3))):
        own = list(shape)
        own[dim] = draw(st.integers(0, 3))
        arrays.append(anywhere(rng, tuple(own)))
    return arrays, {"dim": draw(st.sampled_from([dim, dim - len(shape)]))}


@st.composite
def tensors_to_stack(draw):
    shape = draw(small)
    rng = _rng(draw)
    count = draw(st.integers(1, 3))
    return ([anywhere(rng, shape) for _ in range(count)],
            {"dim": draw(st.integers(-len(shape) - 1, len(shape)))})


@st.composite
def split_input(draw):
    shape = draw(small)
    dim = draw(st.integers(0, len(shape) - 1))
    size = draw(st.integers(1, 4))
    return [anywhere(_rng(draw), shape)], {"dim": dim, "size": size}


@st.composite
def repeat_input(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    extra = draw(st.integers(0 if shape else 1, 1))
    sizes = tuple(draw(st.integers(1, 3)) for _ in range(len(shape) + extra))
    return [anywhere(_rng(draw), shape)], {"sizes": sizes}


@st.composite
def roll_input(draw):
    shape = draw(small)
    dims = draw(st.one_of(st.none(), st.lists(st.integers(0, len(shape) - 1), min_size=1,
                                              max_size=len(shape), unique=True).map(tuple)))
    count = 1 if dims is None else len(dims)
    shifts = tuple(draw(st.integers(-5, 5)) for _ in range(count))
    return [anywhere(_rng(draw), shape)], {"shifts": shifts[0] if dims is None else shifts,
                                           "dims": dims}


@st.composite
def diagonal_input(draw):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4))
    first, second = draw(st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2,
                                  unique=True))
    return [anywhere(_rng(draw), shape)], {"offset": draw(st.integers(-2, 2)), "dim1": first,
                                           "dim2": second}


@st.composite
def movedim_input(draw):
    shape = draw(small)
    ndim = len(shape)
    count = draw(st.integers(1, ndim))
    source = tuple(draw(st.permutations(range(ndim)))[:count])
    destination = tuple(draw(st.permutations(range(ndim)))[:count])
    return [anywhere(_rng(draw), shape)], {"source": source, "destination": destination}


@st.composite
def narrow_input(draw):
    shape = draw(small)
    dim = draw(st.integers(0, len(shape) - 1))
    start = draw(st.integers(0, shape[dim]))
    return [anywhere(_rng(draw), shape)], {"dim": dim, "start": start,
                                           "length": draw(st.integers(0, shape[dim] - start))}


@st.composite
def pad_input(draw, mode):
    constant = mode == "constant"
    shape = draw(hnp.array_shapes(min_dims=1 if constant else 2, max_dims=3, min_side=2,
                                  max_side=4))
    # non-constant modes pad all but the (batch,) channel axes, as PyTorch's
    pairs = draw(st.integers(1, len(shape)) if constant else
                 st.integers(max(len(shape) - 2, 1), len(shape) - 1))
    pad = []
    for i in range(pairs):
        size = shape[len(shape) - 1 - i]
        limit = {"reflect": size - 1, "circular": size}.get(mode, 3)
        low = -1 if mode == "constant" else 0
        pad += [draw(st.integers(low, limit)), draw(st.integers(low, limit))]
    return [anywhere(_rng(draw), shape)], {"pad": tuple(pad)}


def _numpy_pad(x, pad, mode, value=0.0):
    """np.pad with PyTorch's last-axis-first pad tuple (negative constant pads crop)."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    crop = tuple(slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
                 for axis, (lo, hi) in enumerate(widths))
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    numpy_mode = {"replicate": "edge", "circular": "wrap"}.get(mode, mode)
    extra = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x[crop], widths, mode=numpy_mode, **extra)


@st.composite
def einsum_input(draw):
    equation, shapes = draw(st.sampled_from([
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("ij->", [(2, 3)]),
        ("ij->j", [(2, 3)]),
        ("i,j->ij", [(2,), (3,)]),
        ("...ij->...ji", [(2, 2, 3)]),
        ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 2, 2)]),
        ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
        ("iij->ij", [(2, 2, 3)]),
        ("ij,jk", [(2, 3), (3, 2)]),
    ]))
    rng = _rng(draw)
    return [anywhere(rng, shape) for shape in shapes], {"equation": equation}


@st.composite
def attention_input(draw):
    rng = _rng(draw)
    batch = draw(st.sampled_from([(), (2,), (1, 2)]))
    length, source, embed = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(
        st.integers(1, 3))
    arrays = [anywhere(rng, batch + (length, embed)), anywhere(rng, batch + (source, embed)),
              anywhere(rng, batch + (source, embed))]
    kind = draw(st.sampled_from(["none", "bool", "float", "causal", "scale"]))
    options = {}
    if kind == "bool":
        mask = rng.random((length, source)) > 0.4
        mask[:, 0] = True  # every query sees a key (all-masked rows are tested separately)
        options["attn_mask"] = mask
    elif kind == "float":
        options["attn_mask"] = rng.standard_normal((length, source))
    elif kind == "causal":
        options["is_causal"] = True
    elif kind == "scale":
        options["scale"] = 0.7
    return arrays, options


def _attention(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """The attention formula in NumPy: softmax(q k^T scale + bias) v."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        attn_mask = np.tril(np.ones(scores.shape[-2:], dtype=bool))
    if attn_mask is not None:
        scores = np.where(attn_mask, scores, -np.inf) if attn_mask.dtype == bool else (
            scores + attn_mask)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ v


def _torch_attention(q, k, v, attn_mask=None, is_causal=False, scale=None):
    import torch

    mask = None if attn_mask is None else torch.as_tensor(attn_mask)
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                            is_causal=is_causal, scale=scale)


def _torch(value):
    import torch

    return torch.as_tensor(np.asarray(value)) if isinstance(value, (np.ndarray, np.generic)) \
        else value


def _numpy_var(x, dim, keepdim, correction=1):
    count = x.size // np.sum(x, axis=dim).size
    return np.sum((x - x.mean(axis=dim, keepdims=True)) ** 2, axis=dim,
                  keepdims=keepdim) / (count - correction)


def _lower_median(x, dim, keepdim):
    values = np.take(np.sort(x, axis=dim), [(x.shape[dim] - 1) // 2], axis=dim)
    return values if keepdim else np.squeeze(values, dim)


def _with_zeros(rng, shape):
    """Integers in -2..2: zeros appear, often two in a row (prod and cumprod's hard case)."""
    return rng.integers(-2, 3, shape).astype(np.float64)


def _take_along(x, index, dim):
    shape = list(np.broadcast_shapes(
        tuple(1 if a == dim else s for a, s in enumerate(x.shape)),
        tuple(1 if a == dim else s for a, s in enumerate(index.shape))))
    x_shape, index_shape = list(shape), list(shape)
    x_shape[dim], index_shape[dim] = x.shape[dim], index.shape[dim]
    return np.take_along_axis(np.broadcast_to(x, x_shape), np.broadcast_to(index, index_shape),
                              axis=dim)


def _numpy_scatter(x, src, dim, index, add):
    out = x.copy()
    for position in np.ndindex(*index.shape):
        target = list(position)
        target[dim] = index[position]
        if add:
            out[tuple(target)] += src[position]
        else:
            out[tuple(target)] = src[position]
    return out


def _torch_pad(x, pad, mode):
    """torch pads non-constant modes only with batch and channel axes before the padded
    ones: add them, pad, and take them off again."""
    import torch

    added = max(len(pad) // 2 + 2 - x.ndim, 0) if mode != "constant" else 0
    padded = torch.nn.functional.pad(x.reshape((1,) * added + tuple(x.shape)), pad, mode=mode)
    return padded.reshape(padded.shape[added:])


OPS = [
    # reductions with PyTorch's keywords
    Op("sum_dim", lambda x, dim, keepdim: x.sum(dim=dim, keepdim=keepdim),
       lambda x, dim, keepdim: np.sum(x, axis=dim, keepdims=keepdim),
       with_dim(allow_tuple=True)),
    Op("mean_dim", lambda x, dim, keepdim: x.mean(dim=dim, keepdim=keepdim),
       lambda x, dim, keepdim: np.mean(x, axis=dim, keepdims=keepdim),
       with_dim(allow_tuple=True)),
    Op("max_dim", lambda x, dim, keepdim: x.max(dim=dim, keepdim=keepdim).values,
       lambda x, dim, keepdim: np.max(x, axis=dim, keepdims=keepdim), with_dim(distinct)),
    Op("min_dim", lambda x, dim, keepdim: x.min(dim, keepdim)[0],
       lambda x, dim, keepdim: np.min(x, axis=dim, keepdims=keepdim), with_dim(distinct)),
    Op("max_all", lambda x: x.max(), np.max, plain(unary(distinct, small))),
    Op("amax", lambda x, dim, keepdim: x.amax(dim=dim, keepdim=keepdim),
       lambda x, dim, keepdim: np.max(x, axis=dim, keepdims=keepdim),
       with_dim(distinct, allow_tuple=True)),
    Op("amin", lambda x, dim, keepdim: x.amin(dim=dim, keepdim=keepdim),
       lambda x, dim, keepdim: np.min(x, axis=dim, keepdims=keepdim),
       with_dim(distinct, allow_tuple=True)),
    Op("prod", lambda x, dim, keepdim: x.prod(dim, keepdim),
       lambda x, dim, keepdim: np.prod(x, axis=dim, keepdims=keepdim), with_dim()),
    Op("prod_with_zeros", lambda x, dim, keepdim: x.prod(dim, keepdim),
       lambda x, dim, keepdim: np.prod(x, axis=dim, keepdims=keepdim),
       with_dim(_with_zeros, allow_none=True),
       lambda x, dim, keepdim: x.prod(dim, keepdim) if dim is not None else
       x.prod().reshape((1,) * x.ndim if keepdim else ())),
    Op("var", lambda x, dim, keepdim: x.var(dim, keepdim=keepdim),
       lambda x, dim, keepdim: _numpy_var(x, dim, keepdim), with_dim(shapes=at_least_two)),
    Op("var_correction0", lambda x, dim, keepdim: x.var(dim, keepdim=keepdim, correction=0),
       lambda x, dim, keepdim: _numpy_var(x, dim, keepdim, 0), with_dim(allow_tuple=True)),
    Op("std", lambda x, dim, keepdim: x.std(dim, keepdim=keepdim),
       lambda x, dim, keepdim: np.sqrt(_numpy_var(x, dim, keepdim)),
       with_dim(distinct, shapes=at_least_two)),
    Op("std_unbiased_false", lambda x: x.std(unbiased=False), np.std,
       plain(unary(distinct, at_least_two)), lambda x: x.std(unbiased=False)),
    Op("logsumexp", lambda x, dim, keepdim: x.logsumexp(dim, keepdim),
       lambda x, dim, keepdim: np.log(np.sum(np.exp(x), axis=dim, keepdims=keepdim)),
       with_dim(allow_tuple=True)),
    Op("cumsum", lambda x, dim: x.cumsum(dim), lambda x, dim: np.cumsum(x, axis=dim),
       with_dim(keep=False)),
    Op("cumprod", lambda x, dim: x.cumprod(dim), lambda x, dim: np.cumprod(x, axis=dim),
       with_dim(keep=False)),
    Op("cumprod_with_zeros", lambda x, dim: x.cumprod(dim),
       lambda x, dim: np.cumprod(x, axis=dim), with_dim(_with_zeros, keep=False)),
    Op("cummax", lambda x, dim: x.cummax(dim).values,
       lambda x, dim: np.maximum.accumulate(x, axis=dim), with_dim(distinct, keep=False)),
    Op("cummin", lambda x, dim: x.cummin(dim)[0],
       lambda x, dim: np.minimum.accumulate(x, axis=dim), with_dim(distinct, keep=False)),
    Op("norm_2", lambda x, dim, keepdim: x.norm(2, dim, keepdim),
       lambda x, dim, keepdim: np.sqrt(np.sum(x * x, axis=dim, keepdims=keepdim)),
       with_dim(away_from_zero, allow_none=True, allow_tuple=True)),
    Op("norm_1", lambda x, dim, keepdim: x.norm(1, dim, keepdim),
       lambda x, dim, keepdim: np.sum(np.abs(x), axis=dim, keepdims=keepdim),
       with_dim(away_from_zero, allow_none=True)),
    Op("norm_inf", lambda x, dim, keepdim: x.norm(float("inf"), dim, keepdim),
       lambda x, dim, keepdim: np.max(np.abs(x), axis=dim, keepdims=keepdim),
       with_dim(lambda rng, shape: np.abs(distinct(rng, shape)) + 0.1, allow_none=True)),
    Op("norm_3", lambda x, dim, keepdim: x.norm(3, dim, keepdim),
       lambda x, dim, keepdim: np.sum(np.abs(x) ** 3, axis=dim, keepdims=keepdim) ** (1 / 3),
       with_dim(away_from_zero)),
    Op("norm_fro", lambda x: x.norm(), lambda x: np.sqrt(np.sum(x * x)),
       plain(unary(away_from_zero, small))),
    Op("normalize", lambda x, dim: F.normalize(x, dim=dim),
       lambda x, dim: x / np.sqrt(np.sum(x * x, axis=dim, keepdims=True)),
       with_dim(away_from_zero, keep=False),
       lambda x, dim: __import__("torch").nn.functional.normalize(x, dim=dim)),
    # selection
    Op("gather", lambda x, dim, index: x.gather(dim, tg.tensor(index)),
       lambda x, dim, index: np.take_along_axis(
           x[tuple(slice(0, s) if a != dim else slice(None)
                   for a, s in enumerate(index.shape))], index, axis=dim),
       gather_input(), lambda x, dim, index: x.gather(dim, _torch(index))),
    Op("take_along_dim", lambda x, dim, index: x.take_along_dim(tg.tensor(index), dim),
       _take_along,
       take_along_input(), lambda x, dim, index: x.take_along_dim(_torch(index), dim)),
    Op("index_select", lambda x, dim, index: x.index_select(dim, tg.tensor(index.reshape(-1))),
       lambda x, dim, index: np.take(x, index.reshape(-1), axis=dim), gather_input(),
       lambda x, dim, index: x.index_select(dim, _torch(index.reshape(-1)))),
    Op("scatter", lambda x, src, dim, index: x.scatter(dim, tg.tensor(index), src),
       lambda x, src, dim, index: _numpy_scatter(x, src, dim, index, add=False),
       scatter_input(), lambda x, src, dim, index: x.scatter(dim, _torch(index), src)),
    Op("scatter_add", lambda x, src, dim, index: x.scatter_add(dim, tg.tensor(index), src),
       lambda x, src, dim, index: _numpy_scatter(x, src, dim, index, add=True),
       scatter_add_input(), lambda x, src, dim, index: x.scatter_add(dim, _torch(index), src)),
    Op("masked_fill", lambda x, mask: x.masked_fill(mask, -7.0),
       lambda x, mask: np.where(mask, -7.0, x), mask_input(),
       lambda x, mask: x.masked_fill(_torch(mask), -7.0)),
    Op("masked_select", lambda x, mask: x.masked_select(mask),
       lambda x, mask: np.broadcast_to(x, np.broadcast_shapes(x.shape, mask.shape))[
           np.broadcast_to(mask, np.broadcast_shapes(x.shape, mask.shape))], mask_input(),
       lambda x, mask: x.masked_select(_torch(mask))),
    Op("where", lambda a, b, condition: tg.where(condition, a, b),
       lambda a, b, condition: np.where(condition, a, b), where_input(),
       lambda a, b, condition: __import__("torch").where(_torch(condition), a, b)),
    Op("where_method", lambda a, b, condition: a.where(condition, b),
       lambda a, b, condition: np.where(condition, a, b), where_input(),
       lambda a, b, condition: a.where(_torch(condition), b)),
    Op("maximum", lambda a, b: a.maximum(b), np.maximum, plain(broadcast_pair())),
    Op("minimum", lambda a, b: tg.minimum(a, b), np.minimum, plain(broadcast_pair()),
       lambda a, b: a.minimum(b)),
    Op("max_other", lambda a, b: a.max(b), np.maximum, plain(broadcast_pair()),
       lambda a, b: a.max(b)),
    Op("triu", lambda x, diagonal: x.triu(diagonal), lambda x, diagonal: np.triu(x, diagonal),
       matrix_input()),
    Op("tril", lambda x, diagonal: x.tril(diagonal), lambda x, diagonal: np.tril(x, diagonal),
       matrix_input()),
    # sorting
    Op("sort", lambda x, dim, keepdim: x.sort(dim, descending=keepdim).values,
       lambda x, dim, keepdim: np.flip(np.sort(x, axis=dim), dim) if keepdim else np.sort(
           x, axis=dim), with_dim(distinct)),
    Op("topk", lambda x, dim, keepdim: x.topk(min(2, x.shape[dim]), dim, largest=keepdim)[0],
       lambda x, dim, keepdim: np.take(np.flip(np.sort(x, axis=dim), dim) if keepdim else
                                       np.sort(x, axis=dim), range(min(2, x.shape[dim])),
                                       axis=dim), with_dim(distinct)),
    Op("median_dim", lambda x, dim, keepdim: x.median(dim, keepdim).values, _lower_median,
       with_dim(distinct)),
    Op("median_all", lambda x: x.median(), lambda x: _lower_median(x.reshape(-1), 0, False),
       plain(unary(distinct, small))),
    # joining and splitting
    Op("cat", lambda *xs, dim: tg.cat(xs, dim=dim),
       lambda *xs, dim: np.concatenate(xs, axis=dim), tensors_to_join(),
       lambda *xs, dim: __import__("torch").cat(xs, dim=dim)),
    Op("stack", lambda *xs, dim: tg.stack(xs, dim), lambda *xs, dim: np.stack(xs, axis=dim),
       tensors_to_stack(), lambda *xs, dim: __import__("torch").stack(xs, dim)),
    Op("split", lambda x, dim, size: x.split(size, dim)[-1],
       lambda x, dim, size: np.take(x, range((x.shape[dim] - 1) // size * size, x.shape[dim]),
                                    axis=dim), split_input()),
    Op("split_sizes", lambda x, dim, size: tg.split(x, [x.shape[dim] - 1, 1], dim)[0],
       lambda x, dim, size: np.take(x, range(x.shape[dim] - 1), axis=dim), split_input(),
       lambda x, dim, size: x.split([x.shape[dim] - 1, 1], dim)[0]),
    Op("chunk", lambda x, dim, size: tg.stack([c.sum() for c in x.chunk(size, dim)]),
       lambda x, dim, size: np.array([c.sum() for c in np.array_split(
           x, range(-(-x.shape[dim] // size), x.shape[dim], -(-x.shape[dim] // size)),
           axis=dim)]), split_input(),
       lambda x, dim, size: __import__("torch").stack([c.sum() for c in x.chunk(size, dim)])),
    Op("unbind", lambda x, dim, keepdim: tg.stack(x.unbind(dim), -1),
       lambda x, dim, keepdim: np.moveaxis(x, dim, -1), with_dim(),
       lambda x, dim, keepdim: __import__("torch").stack(x.unbind(dim), -1)),
    # shape
    Op("repeat", lambda x, sizes: x.repeat(*sizes), lambda x, sizes: np.tile(x, sizes),
       repeat_input()),
    Op("repeat_interleave", lambda x, dim, keepdim: x.repeat_interleave(2, dim),
       lambda x, dim, keepdim: np.repeat(x, 2, axis=dim), with_dim()),
    Op("repeat_interleave_counts", lambda x: x.repeat_interleave(np.arange(x.numel()) % 3),
       lambda x: np.repeat(x.reshape(-1), np.arange(x.size) % 3), plain(unary(anywhere, small)),
       lambda x: x.repeat_interleave(_torch(np.arange(x.numel()) % 3))),
    Op("flip", lambda x, dim, keepdim: x.flip(dim), lambda x, dim, keepdim: np.flip(x, dim),
       with_dim(allow_tuple=True), lambda x, dim, keepdim: x.flip(dim)),
    Op("roll", lambda x, shifts, dims: x.roll(shifts, dims),
       lambda x, shifts, dims: np.roll(x, shifts, dims), roll_input()),
    Op("unflatten", lambda x: x.flatten().unflatten(0, (x.numel(), 1, -1)),
       lambda x: x.reshape(x.size, 1, 1), plain(unary(anywhere, small))),
    Op("flatten_range", lambda x, dim, keepdim: x.flatten(dim),
       lambda x, dim, keepdim: x.reshape(x.shape[:dim % x.ndim] + (-1,)), with_dim()),
    Op("diagonal", lambda x, offset, dim1, dim2: x.diagonal(offset, dim1, dim2),
       lambda x, offset, dim1, dim2: np.diagonal(x, offset, dim1, dim2), diagonal_input()),
    Op("diag_vector", lambda x, diagonal: x.reshape(-1).diag(diagonal),
       lambda x, diagonal: np.diag(x.reshape(-1), diagonal), matrix_input()),
    Op("diag_matrix", lambda x, diagonal: x[0].diag(diagonal) if x.ndim == 3 else
       x.diag(diagonal), lambda x, diagonal: np.diag(x[0] if x.ndim == 3 else x, diagonal),
       matrix_input()),
    Op("movedim", lambda x, source, destination: x.movedim(source, destination),
       lambda x, source, destination: np.moveaxis(x, source, destination), movedim_input()),
    Op("narrow", lambda x, dim, start, length: x.narrow(dim, start, length),
       lambda x, dim, start, length: np.take(x, range(start, start + length), axis=dim),
       narrow_input()),
    Op("squeeze_dims", lambda x, dim, keepdim: x.unsqueeze(-1).squeeze((dim % x.ndim, -1)),
       lambda x, dim, keepdim: np.squeeze(x, dim) if x.shape[dim] == 1 else x, with_dim(),
       lambda x, dim, keepdim: x.unsqueeze(-1).squeeze((dim % x.ndim, -1))),
    Op("unsqueeze", lambda x, dim, keepdim: x.unsqueeze(dim),
       lambda x, dim, keepdim: np.expand_dims(x, dim if dim >= 0 else dim + x.ndim + 1),
       with_dim()),
    Op("broadcast_to", lambda x: x.broadcast_to((2,) + x.shape),
       lambda x: np.broadcast_to(x, (2,) + x.shape), plain(unary(anywhere, small))),
    Op("expand_as", lambda x: x.expand_as(tg.zeros((2,) + x.shape)),
       lambda x: np.broadcast_to(x, (2,) + x.shape), plain(unary(anywhere, small)),
       lambda x: x.expand_as(__import__("torch").zeros((2,) + x.shape))),
    Op("clone", lambda x: x.clone() * 1.0, lambda x: x.copy(), plain(unary())),
    Op("outer", lambda a, b: tg.outer(a.reshape(-1), b.reshape(-1)),
       lambda a, b: np.outer(a, b), plain(broadcast_pair()),
       lambda a, b: __import__("torch").outer(a.reshape(-1), b.reshape(-1))),
    Op("meshgrid", lambda a, b: sum(g * (i + 1) for i, g in enumerate(
        tg.meshgrid(a.reshape(-1), b.reshape(-1), indexing="ij"))),
       lambda a, b: sum(g * (i + 1) for i, g in enumerate(
           np.meshgrid(a.reshape(-1), b.reshape(-1), indexing="ij"))),
       plain(broadcast_pair()),
       lambda a, b: sum(g * (i + 1) for i, g in enumerate(__import__("torch").meshgrid(
           a.reshape(-1), b.reshape(-1), indexing="ij")))),
    Op("einsum", lambda *xs, equation: tg.einsum(equation, *xs),
       lambda *xs, equation: np.einsum(equation, *xs), einsum_input(),
       lambda *xs, equation: __import__("torch").einsum(equation, *xs)),
    Op("pad_constant", lambda x, pad: F.pad(x, pad, value=0.5),
       lambda x, pad: _numpy_pad(x, pad, "constant", 0.5), pad_input("constant"),
       lambda x, pad: __import__("torch").nn.functional.pad(x, pad, value=0.5)),
    *[Op(f"pad_{mode}", lambda x, pad, mode=mode: F.pad(x, pad, mode=mode),
         lambda x, pad, mode=mode: _numpy_pad(x, pad, mode), pad_input(mode),
         lambda x, pad, mode=mode: _torch_pad(x, pad, mode))
      for mode in ("reflect", "replicate", "circular")],
    # indexing with PyTorch's layout
    Op("index_int_slice_array", lambda x: x[0, :, [1, 0, 1]],
       lambda x: x[0][:, [1, 0, 1]], plain(unary(anywhere, st.just((2, 3, 2))))),
    Op("index_none_int_array", lambda x: x[None, 1, ..., np.array([1, 1], dtype=np.int32)],
       lambda x: x[1][..., [1, 1]][None], plain(unary(anywhere, st.just((2, 3, 2)))),
       lambda x: x[None, 1, ..., _torch(np.array([1, 1], dtype=np.int32))]),
    Op("index_bool_mask", lambda x: x[x._data > 0],
       lambda x: x[x > 0], plain(unary(away_from_zero, small)), lambda x: x[x > 0]),
    Op("index_int32_tensor", lambda x: x[Tensor(np.array([[0, 0], [1, 0]], dtype=np.int32))],
       lambda x: x[np.array([[0, 0], [1, 0]])], plain(unary(anywhere, at_least_two)),
       lambda x: x[_torch(np.array([[0, 0], [1, 0]], dtype=np.int32))]),
    # attention
    Op("scaled_dot_product_attention", lambda q, k, v, **options:
       F.scaled_dot_product_attention(q, k, v, **options), _attention, attention_input(),
       _torch_attention),
]


(test_forward_matches_numpy, test_backward_matches_central_differences, test_matches_pytorch,
 test_float32_stays_float32) = table_tests(OPS)


# ----------------------------------------------------------------------------- beyond the table
torch = pytest.importorskip("torch")


def _pair(array, requires_grad=True):
    """The same float64 data as a tinygrad_np leaf and a torch leaf."""
    array = np.asarray(array, dtype=np.float64)
    return Tensor(array, requires_grad=requires_grad), torch.tensor(array,
                                                                    requires_grad=requires_grad)


def _same(ours, theirs):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours._data, theirs, rtol=1e-12, atol=1e-12)


def _same_gradient(fn, array, torch_fn=None):
    """fn's value and gradient (random upstream) against torch's on the same data."""
    ours, theirs = _pair(array)
    out, torch_out = fn(ours), (torch_fn or fn)(theirs)
    _same(out, torch_out)
    upstream = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(upstream)
    torch_out.backward(torch.tensor(upstream))
    _same(ours.grad, theirs.grad)


TIES = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, -1.0, 0.0], [5.0, 5.0, 5.0, 5.0]])


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_min_dim_pick_the_first_tie_and_send_the_gradient_there(name, dim):
    _same_gradient(lambda x: getattr(x, name)(dim).values, TIES)
    ours, theirs = getattr(Tensor(TIES), name)(dim, keepdim=True), getattr(
        torch.tensor(TIES), name)(dim, keepdim=True)
    _same(ours.indices, theirs.indices)
    assert type(ours).__name__ == name and ours._fields == ("values", "indices")


@pytest.mark.parametrize("fn", [
    lambda x: x.max(), lambda x: x.min(), lambda x: x.median(), lambda x: x.amax(1),
    lambda x: x.amin(0), lambda x: x.norm(float("inf")), lambda x: x.norm(float("inf"), 1),
    lambda x: x.maximum(x.flip(1)), lambda x: x.minimum(x.flip(0)),
    lambda x: x.clamp(0.0, 3.0), lambda x: x.sort(dim=1, stable=True).values,
    lambda x: x.sort(dim=0, descending=True, stable=True).values,
    lambda x: x.cummax(1).values, lambda x: x.cummin(0).values,
    lambda x: x.norm(), lambda x: x.norm(1), lambda x: (x * 0).norm(dim=1),
    lambda x: x.prod(1), lambda x: x.cumprod(1), lambda x: x.cumprod(0),
], ids=lambda fn: "")
def test_ties_zeros_and_kinks_take_pytorchs_gradient(fn):
    _same_gradient(fn, TIES)


NANS = np.array([[1.0, np.nan, 3.0, 0.0], [2.0, 5.0, np.nan, np.nan], [4.0, 1.0, 1.0, 2.0]])


@pytest.mark.parametrize("fn", [
    lambda x: x.median(), lambda x: x.median(0).values, lambda x: x.median(1).values,
    lambda x: x.cummax(1).values, lambda x: x.cummin(1).values, lambda x: x.cummax(0).values,
], ids=lambda fn: "")
def test_nan_propagates_through_median_and_running_extremes_as_in_pytorch(fn):
    _same_gradient(fn, NANS)


def test_nan_picks_the_indices_pytorch_picks():
    ours, theirs = Tensor(NANS), torch.tensor(NANS)
    for dim in (0, 1):
        _same(ours.median(dim).indices, theirs.median(dim).indices)
        _same(ours.cummax(dim).indices, theirs.cummax(dim).indices)
        _same(ours.cummin(dim).indices, theirs.cummin(dim).indices)


def test_median_of_a_0d_tensor():
    _same_gradient(lambda x: x.median(), np.array(2.5))


@pytest.mark.parametrize("fn", [
    lambda x: x.std(0, unbiased=False), lambda x: x.std(0), lambda x: x.std(),
    lambda x: x.std(1, keepdim=True, correction=0), lambda x: x.var(0),
], ids=lambda fn: "")
def test_std_of_a_constant_slice_has_pytorchs_zero_gradient_not_nan(fn):
    _same_gradient(fn, np.array([[1.0, 2.0, -2.0], [3.0, 2.0, 0.5]]))
    _same_gradient(fn, np.full((2, 3), 4.0))


@pytest.mark.parametrize("p", [3, 1.5, 0.5])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_p_norm_of_zeros_has_pytorchs_zero_gradient_not_nan(p, dim):
    """Column 1 is a zero vector (norm 0); for p < 1 every zero entry has gradient 0 too."""
    _same_gradient(lambda x: x.norm(p, dim), np.array([[1.0, 0.0, -2.0], [3.0, 0.0, 0.5]]))


def test_mode_with_nans_counts_each_nan_once_as_pytorch():
    values = np.array([[1.0, np.nan, 3.0, 0.0], [2.0, 5.0, np.nan, np.nan],
                       [np.nan, np.nan, 1.0, 1.0]])
    _same_gradient(lambda x: x.mode(1).values, values)
    _same(Tensor(values).mode(1).indices, torch.tensor(values).mode(1).indices)


@pytest.mark.parametrize("name", ["sort", "argsort"])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_like_pytorchs_stable_sort(name, descending):
    ours = getattr(Tensor(TIES), name)(dim=1, descending=descending)
    theirs = getattr(torch.tensor(TIES), name)(dim=1, descending=descending, stable=True)
    _same(ours.indices if name == "sort" else ours,
          theirs.indices if name == "sort" else theirs)


def test_integer_results_match_pytorch():
    rng = np.random.default_rng(0)
    values = distinct(rng, (3, 5))
    ours, theirs = Tensor(values), torch.tensor(values)
    _same(ours.argmax(1), theirs.argmax(1))
    _same(ours.argmin(dim=0, keepdim=True), theirs.argmin(dim=0, keepdim=True))
    _same(ours.argmax(), theirs.argmax())
    _same(ours.topk(2, 1).indices, theirs.topk(2, 1).indices)
    _same(ours.topk(2, 0, largest=False).indices, theirs.topk(2, 0, largest=False).indices)
    _same(ours.median(1).indices, theirs.median(1).indices)
    _same(ours.cummax(1).indices, theirs.cummax(1).indices)
    _same((ours > 0).nonzero(), (theirs > 0).nonzero())
    for ours_part, theirs_part in zip((ours > 0).nonzero(as_tuple=True),
                                      (theirs > 0).nonzero(as_tuple=True)):
        _same(ours_part, theirs_part)
    _same((ours > 0).any(1), (theirs > 0).any(1))
    _same((ours > -1).all(dim=0, keepdim=True), (theirs > -1).all(dim=0, keepdim=True))
    ints = rng.integers(-3, 4, (3, 4))
    _same(Tensor(ints).cumsum(1), torch.tensor(ints).cumsum(1))
    _same(Tensor(ints).prod(0), torch.tensor(ints).prod(0))
    _same(Tensor(ints).sum(dim=1), torch.tensor(ints).sum(dim=1))
    _same(Tensor(ints).mode(1).values, torch.tensor(ints).mode(1).values)
    _same(Tensor(ints).mode(1).indices, torch.tensor(ints).mode(1).indices)
    _same(Tensor(TIES).cummax(1).indices, torch.tensor(TIES).cummax(1).indices)
    _same(Tensor(TIES).cummin(0).indices, torch.tensor(TIES).cummin(0).indices)
    _same(Tensor(ints).masked_fill(Tensor(ints) > 0, 9), torch.tensor(ints).masked_fill(
        torch.tensor(ints) > 0, 9))
    labels = np.array([[0, 2], [1, 1]])
    _same(F.one_hot(Tensor(labels)), torch.nn.functional.one_hot(torch.tensor(labels)))
    _same(F.one_hot(Tensor(labels), 4), torch.nn.functional.one_hot(torch.tensor(labels), 4))


@pytest.mark.parametrize("index", [
    (0, slice(None), [1, 2]), ([0, 1], slice(None), 0), (slice(None), 0, [1, 2]),
    (0, [0, 1], [1, 2]), (Ellipsis, 0, [1, 2]), (None, 0, slice(None), [1, 2]),
    (1, slice(None), np.array([[1, 2], [0, 0]], dtype=np.int32)), ([1, 0], slice(1, 3), 2),
    (np.array([True, False]), 0, [3, 1]), (0, slice(None, None, 2), [3, 3, 0]),
    (np.array(1), slice(None), [0, 2]),
], ids=repr)
def test_indexing_follows_pytorchs_layout_with_gradients(index):
    def torch_index(part):
        return torch.as_tensor(part) if isinstance(part, np.ndarray) else part

    values = np.arange(24.0).reshape(2, 3, 4)
    _same_gradient(lambda x: x[index], values,
                   lambda x: x[tuple(torch_index(part) for part in index)])


def test_index_with_an_int_tensor_part():
    _same_gradient(lambda x: x[Tensor(np.array(0)), :, Tensor(np.array([1, 2], np.int32))],
                   np.arange(24.0).reshape(2, 3, 4),
                   lambda x: x[torch.tensor(0), :, torch.tensor([1, 2], dtype=torch.int32)])


@pytest.mark.parametrize("fn", [
    lambda x: x.prod(1), lambda x: x.prod(), lambda x: x.cumprod(1), lambda x: x.cumprod(0),
    lambda x: x.cumsum(1) ** 2, lambda x: x.logsumexp(1) ** 2, lambda x: x.var(1) ** 2,
    lambda x: (x.norm(dim=1) + 1) ** 2, lambda x: x.maximum(x.flip(1)) ** 2,
    lambda x: x.sort(1).values ** 2, lambda x: x.gather(1, _index_like(x)) ** 2,
    lambda x: x.masked_fill(_mask_like(x), 2.0) ** 2,
    lambda x: _einsum(x)("ij,kj->ik", x, x) ** 2, lambda x: _einsum(x)("ii->i", x[:, :3]) ** 2,
    lambda x: _einsum(x)("ij->j", x) ** 2,
], ids=lambda fn: "")
def test_second_derivatives_match_pytorch(fn):
    """create_graph=True through the new rules, with zeros in the data."""
    values = np.array([[1.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 1.0], [1.5, 2.0, 3.0, -1.0]])
    ours, theirs = _pair(values)
    out, torch_out = fn(ours), fn(theirs)
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    (grad,) = tg.grad(out, ours, grad_outputs=Tensor(upstream), create_graph=True)
    (torch_grad,) = torch.autograd.grad(torch_out, theirs, torch.tensor(upstream),
                                        create_graph=True)
    _same(grad, torch_grad)
    direction = np.random.default_rng(2).standard_normal(grad.shape)
    grad.backward(direction)
    torch_grad.backward(torch.tensor(direction))
    _same(ours.grad, theirs.grad)


def _einsum(x):
    return torch.einsum if isinstance(x, torch.Tensor) else tg.einsum


def _index_like(x):
    index = np.array([[0, 0], [3, 1], [2, 2]])
    return torch.tensor(index) if isinstance(x, torch.Tensor) else tg.tensor(index)


def _mask_like(x):
    mask = np.array([[True, False, False, True]])
    return torch.tensor(mask) if isinstance(x, torch.Tensor) else mask


def test_logsumexp_is_stable_at_plus_minus_1000():
    values = np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    _same_gradient(lambda x: x.logsumexp(1), values)
    _same_gradient(lambda x: x.logsumexp(dim=(0, 1)), values)
    minus_inf = Tensor(np.full((2, 3), -np.inf))
    _same(minus_inf.logsumexp(1), torch.full((2, 3), -np.inf, dtype=torch.float64).logsumexp(1))


def test_float16_sums_accumulate_in_float32():
    for values in (np.full(100_000, 0.7, dtype=np.float16),
                   np.random.default_rng(0).random((300, 300)).astype(np.float16)):
        ours, theirs = Tensor(values), torch.tensor(values)
        for args in ((), (0,)) if values.ndim > 1 else ((),):
            _same(ours.sum(*args), theirs.sum(*args))
            np.testing.assert_allclose(ours.mean(*args)._data.astype(np.float64),
                                       theirs.mean(*args).numpy().astype(np.float64),
                                       rtol=1e-3)
            assert ours.mean(*args).dtype == np.float16


def test_var_std_and_their_means_match_pytorch():
    values = np.random.default_rng(0).standard_normal((3, 4))
    ours, theirs = Tensor(values), torch.tensor(values)
    for options in ({}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}, {"correction": 0},
                    {"dim": 0, "correction": 2}):
        _same(ours.var(**options), theirs.var(**options))
        _same(ours.std(**options), theirs.std(**options))
        for ours_part, theirs_part in zip(tg.var_mean(ours, **options),
                                          torch.var_mean(theirs, **options)):
            _same(ours_part, theirs_part)
        for ours_part, theirs_part in zip(tg.std_mean(ours, **options),
                                          torch.std_mean(theirs, **options)):
            _same(ours_part, theirs_part)
    _same(ours.var(1, unbiased=False), theirs.var(1, unbiased=False))
    _same(ours.var(axis=1, ddof=0), theirs.var(1, correction=0))
    with warnings.catch_warnings():  # torch warns about the zero divisor
        warnings.simplefilter("ignore")
        _same(Tensor(values[:1]).var(0), torch.tensor(values[:1]).var(0))  # 0/0: NaN
        _same(ours.var(1, correction=5), theirs.var(1, correction=5))  # over 0: Inf


def test_numpy_spellings_stay_aliases():
    values = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = Tensor(values)
    np.testing.assert_array_equal(x.sum(axis=1, keepdims=True)._data,
                                  x.sum(dim=1, keepdim=True)._data)
    assert x.max(axis=(0, 2)).shape == (3,)  # NumPy's meaning: amax, a tensor
    np.testing.assert_array_equal(x.max(axis=1).values._data, values.max(axis=1))  # (a pair)
    assert x.squeeze(axis=0).shape == (2, 3, 4) and x.unsqueeze(axis=-1).shape == (2, 3, 4, 1)
    np.testing.assert_allclose(x.softmax(axis=0)._data, x.softmax(dim=0)._data)
    assert x.argmax(axis=2).shape == (2, 3)
    with pytest.raises(TypeError, match="dim=1 and axis=2"):
        x.sum(dim=1, axis=2)


def test_size_numel_dim_and_conversions():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.size() == (2, 3) and isinstance(x.size(), tuple) and x.size().numel() == 6
    assert x.size(1) == 3 and x.size(-2) == 2 and x.numel() == 6 and x.dim() == 2
    assert tg.numel(x) == 6
    assert x.int().dtype == np.int32 and x.long().dtype == np.int64
    assert x.half().dtype == np.float16 and x.double().dtype == np.float64
    assert x.bool().dtype == np.bool_ and x.double().float().dtype == np.float32
    assert x.type() == "torch.DoubleTensor" and x.type(np.float32).dtype == np.float32
    assert x.type_as(Tensor(np.zeros(1, np.float32))).dtype == np.float32
    assert x.view_as(Tensor(np.zeros(6))).shape == (6,)
    assert x.reshape_as(Tensor(np.zeros((3, 2)))).shape == (3, 2)
    assert x.view(3, 2).shape == (3, 2) and x.contiguous() is x
    assert x.T.contiguous()._data.flags.c_contiguous
    copy = x.clone()
    assert copy._data is not x._data and not np.shares_memory(copy._data, x._data)
    (copy * 2).sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.full((2, 3), 2.0))
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        x.size(2)


@pytest.mark.parametrize("call", [
    lambda x: x.sum(5), lambda x: x.mean(dim=-3), lambda x: x.max(2), lambda x: x.argmax(2),
    lambda x: x.softmax(2), lambda x: x.squeeze(2), lambda x: x.cumsum(7),
    lambda x: x.gather(2, tg.zeros(2, 3, dtype=tg.int64)), lambda x: x.var(dim=(0, 2)),
    lambda x: x.flatten(0, 4), lambda x: x.sort(-3), lambda x: tg.cat([x, x], 2),
    lambda x: x.narrow(3, 0, 1), lambda x: x.logsumexp(9), lambda x: x.norm(dim=2),
], ids=lambda fn: "")
def test_out_of_range_dims_raise_pytorchs_index_error(call):
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got -?\d\)"):
        call(x)


def test_unsqueeze_and_stack_accept_one_past_the_last_dim():
    x = Tensor(np.zeros((2, 3)))
    assert x.unsqueeze(2).shape == (2, 3, 1) and x.unsqueeze(-3).shape == (1, 2, 3)
    assert tg.stack([x, x], 2).shape == (2, 3, 2)
    with pytest.raises(IndexError, match=r"range of \[-3, 2\], but got 3"):
        x.unsqueeze(3)


def test_errors_name_the_op_and_the_shapes():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Cat on shapes \(2, 3\), \(2, 2\)"):
        tg.cat([x, Tensor(np.zeros((2, 2)))])
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        tg.stack([x, Tensor(np.zeros((3, 2)))])
    with pytest.raises(RuntimeError, match="split: sizes"):
        x.split([1, 1], 1)
    with pytest.raises(RuntimeError, match="topk: selected index k=4 out of range"):
        x.topk(4)
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(0, tg.zeros(2, 3))
    with pytest.raises(ValueError, match="pad: padding length must be divisible by 2"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="pad: reflect padding"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match=r"one_hot: class values must lie in \[0, 2\)"):
        F.one_hot(Tensor(np.array([0, 2])), 2)
    with pytest.raises(ValueError, match="einsum: subscripts 'ijk' do not fit"):
        tg.einsum("ijk->i", x)
    with pytest.raises(TypeError, match="expected a bool condition"):
        tg.where(x, x, x)
    with pytest.raises(RuntimeError, match="repeat: 1 repeat sizes"):
        x.repeat(2)


def test_joining_and_splitting_match_pytorch():
    values = np.random.default_rng(0).standard_normal((5, 4))
    ours, theirs = Tensor(values), torch.tensor(values)
    for ours_part, theirs_part in zip(ours.split(2), theirs.split(2)):
        _same(ours_part, theirs_part)
    for chunks, dim in ((3, 0), (4, 0), (3, 1), (6, 0)):
        ours_parts, theirs_parts = ours.chunk(chunks, dim), theirs.chunk(chunks, dim)
        assert len(ours_parts) == len(theirs_parts)
        for ours_part, theirs_part in zip(ours_parts, theirs_parts):
            _same(ours_part, theirs_part)
    for ours_part, theirs_part in zip(tg.unbind(ours, 1), torch.unbind(theirs, 1)):
        _same(ours_part, theirs_part)
    _same(tg.concat([ours, Tensor(np.zeros((1, 4), np.float32))]),
          torch.concat([theirs, torch.zeros((1, 4))]))  # dtype promotion
    _same(tg.cat([ours, Tensor(np.zeros((5, 1), np.int64))], 1),
          torch.cat([theirs, torch.zeros((5, 1), dtype=torch.int64)], 1))
    a, b = Tensor(np.arange(3.0)), Tensor(np.arange(2.0))
    for indexing in ("ij", "xy"):
        for ours_grid, theirs_grid in zip(tg.meshgrid(a, b, indexing=indexing),
                                          torch.meshgrid(torch.arange(3.0, dtype=torch.float64),
                                                         torch.arange(2.0, dtype=torch.float64),
                                                         indexing=indexing)):
            _same(ours_grid, theirs_grid)


def test_attention_gives_zeros_for_a_query_that_sees_no_key():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    mask = np.array([[True, False, True], [False, False, False], [True, True, True]])
    ours = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, attn_mask=mask)
    torch_out = torch.nn.functional.scaled_dot_product_attention(*theirs,
                                                                 attn_mask=torch.tensor(mask))
    _same(out, torch_out)
    out.sum().backward()
    torch_out.sum().backward()
    for tensor, torch_tensor in zip(ours, theirs):
        _same(tensor.grad, torch_tensor.grad)


def test_attention_with_grouped_heads_and_dropout():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((1, 4, 3, 2)), rng.standard_normal((1, 2, 5, 2)), \
        rng.standard_normal((1, 2, 5, 2))
    _same(F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), enable_gqa=True),
          torch.nn.functional.scaled_dot_product_attention(
              torch.tensor(q), torch.tensor(k), torch.tensor(v), enable_gqa=True))
    tg.manual_seed(0)
    ones = Tensor(np.ones((1, 1, 400, 400)))
    dropped = F.scaled_dot_product_attention(ones, ones, ones, dropout_p=0.5)
    assert 0.9 < dropped._data.mean() < 1.1  # kept weights are scaled by 1 / (1 - p)


def test_factories_follow_pytorchs_dtype_rules():
    cases = [
        (tg.full((2,), 3), torch.full((2,), 3)), (tg.full((2,), True), torch.full((2,), True)),
        (tg.full((2,), 3.0), torch.full((2,), 3.0)), (tg.arange(5), torch.arange(5)),
        (tg.arange(1, 4.0), torch.arange(1, 4.0)), (tg.arange(0, 1, 0.25),
                                                    torch.arange(0, 1, 0.25)),
        (tg.arange(5, 0, -2), torch.arange(5, 0, -2)),
        (tg.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)),
        (tg.logspace(0, 2, 3), torch.logspace(0, 2, 3)),
        (tg.logspace(0, 3, 4, base=2), torch.logspace(0, 3, 4, base=2)),
        (tg.full_like(tg.arange(3), 7), torch.full_like(torch.arange(3), 7)),
        (tg.zeros_like(tg.arange(3), dtype=np.float32),
         torch.zeros_like(torch.arange(3), dtype=torch.float32)),
        (tg.ones_like(tg.arange(3.0)), torch.ones_like(torch.arange(3.0))),
        (tg.empty(2, 3), torch.zeros(2, 3)), (tg.empty_like(tg.arange(3)), torch.zeros(
            3, dtype=torch.int64)),
        (tg.full((2,), 1.5, dtype=np.float64), torch.full((2,), 1.5, dtype=torch.float64)),
    ]
    for ours, theirs in cases:
        _same(ours, theirs)


def test_random_factories():
    tg.manual_seed(0)
    draws = tg.randint(3, 7, (1000,))
    assert draws.dtype == np.int64 and draws.shape == (1000,)
    assert set(np.unique(draws._data)) == {3, 4, 5, 6}
    assert tg.randint(5, (2, 3)).shape == (2, 3)
    assert sorted(tg.randperm(10).tolist()) == list(range(10))
    assert tg.randperm(4).dtype == np.int64
    like = Tensor(np.zeros((2, 3), np.float64))
    assert tg.rand_like(like).dtype == np.float64 and tg.randn_like(like).shape == (2, 3)
    assert 0 <= tg.rand_like(like)._data.min() and tg.rand_like(like)._data.max() < 1
    assert tg.randn_like(like, dtype=np.float32).dtype == np.float32
    tg.manual_seed(1)
    first = tg.randint(0, 100, (5,)).tolist()
    tg.manual_seed(1)
    assert tg.randint(0, 100, (5,)).tolist() == first


@pytest.mark.parametrize("make", [
    lambda **kw: tg.full((2,), 1.0, **kw), lambda **kw: tg.full_like(tg.zeros(2), 1.0, **kw),
    lambda **kw: tg.empty(2, **kw), lambda **kw: tg.empty_like(tg.zeros(2), **kw),
    lambda **kw: tg.rand_like(tg.zeros(2), **kw), lambda **kw: tg.randn_like(tg.zeros(2), **kw),
    lambda **kw: tg.linspace(0, 1, 3, **kw), lambda **kw: tg.logspace(0, 1, 3, **kw),
    lambda **kw: tg.arange(3.0, **kw), lambda **kw: tg.zeros(2, **kw),
    lambda **kw: tg.ones(2, **kw), lambda **kw: tg.zeros_like(tg.zeros(2), **kw),
    lambda **kw: tg.ones_like(tg.zeros(2), **kw), lambda **kw: tg.randn(2, **kw),
    lambda **kw: tg.rand(2, **kw), lambda **kw: tg.eye(2, **kw),
    lambda **kw: tg.tensor([1.0], **kw),
], ids=lambda fn: "")
def test_factories_take_requires_grad_dtype_and_a_cpu_device(make):
    made = make(requires_grad=True, dtype=np.float64, device="cpu")
    assert made.requires_grad and made.is_leaf and made.dtype == np.float64
    assert make(device=None).dtype == np.float32
    with pytest.raises(RuntimeError, match="device 'cuda' is not available.*CPU only"):
        make(device="cuda")


def test_integer_factories_refuse_requires_grad():
    for make in (lambda: tg.randint(3, (2,), requires_grad=True),
                 lambda: tg.randperm(3, requires_grad=True),
                 lambda: tg.full((2,), 1, requires_grad=True)):
        with pytest.raises(TypeError, match="(?i)only Tensors of floating point"):
            make()


def test_assignment_uses_pytorchs_layout_too():
    values = np.arange(6.0).reshape(3, 2)
    ours, theirs = tg.zeros(2, 3, 4, dtype=np.float64), torch.zeros(2, 3, 4, dtype=torch.float64)
    ours[0, :, [1, 2]] = tg.tensor(values)
    theirs[0, :, [1, 2]] = torch.tensor(values)
    _same(ours, theirs)
    source = Tensor(values, requires_grad=True)
    target = tg.zeros(2, 3, 4, dtype=np.float64)
    target[1, :, [3, 0]] = source
    (target * Tensor(np.arange(24.0).reshape(2, 3, 4))).sum().backward()
    np.testing.assert_array_equal(source.grad._data,
                                  np.arange(24.0).reshape(2, 3, 4)[1][:, [3, 0]])


def test_transpose_and_permute_take_pytorchs_keywords():
    values = np.random.default_rng(0).standard_normal((2, 3, 4))
    ours, theirs = Tensor(values), torch.tensor(values)
    _same(ours.transpose(dim0=0, dim1=-1), theirs.transpose(dim0=0, dim1=-1))
    _same(ours.permute(dims=(2, 0, 1)), theirs.permute(dims=(2, 0, 1)))
    _same(ours.movedim(-1, 0), theirs.movedim(-1, 0))
    with pytest.raises(RuntimeError, match="permute: dims"):
        ours.permute(0, 0, 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ours.transpose(0, 3)


def test_running_ops_take_axis_or_dim_and_need_one():
    x = Tensor(np.arange(1.0, 7.0).reshape(2, 3))
    np.testing.assert_array_equal(x.cumsum(axis=1)._data, np.cumsum(x._data, axis=1))
    np.testing.assert_array_equal(x.cumprod(dim=0)._data, np.cumprod(x._data, axis=0))
    with pytest.raises(TypeError, match="cumsum: missing the dim"):
        x.cumsum()


def test_take_reads_the_flattened_tensor():
    _same_gradient(lambda x: x.take(tg.tensor([[0, 5], [5, 2]])), np.arange(6.0).reshape(2, 3),
                   lambda x: x.take(torch.tensor([[0, 5], [5, 2]])))
