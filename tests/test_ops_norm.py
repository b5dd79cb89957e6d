"""The normalisation ops and the embedding lookup in the op table (see tests/test_ops.py):
forward against NumPy written here, backward against central differences, both against
PyTorch, float32 kept; hypothesis draws the shapes, normalised axes and groups.

Inputs use the `distinct` domain (values at least 0.3 apart), so no group being normalised
has a variance near zero, where the gradient would be too steep for central differences.
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
from test_ops import (
    Op,
    anywhere,
    away_from_zero,
    distinct,
    table_tests,
)

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

EPS = 1e-3

try:  # tiny tensors: PyTorch's worker threads would only wait on a busy machine
    import torch

    torch.set_num_threads(1)
except ImportError:
    pass


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _normalise(x, axes, weight, bias):
    """NumPy reference: (x - mean) / sqrt(biased var + eps) over `axes`, then * w + b."""
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


@st.composite
def batch_norm_input(draw, training):
    """(N, C, *spatial) with N >= 2 in training (one value per channel is an error)."""
    shape = (draw(st.integers(2 if training else 1, 4)), draw(st.integers(1, 3)),
             *draw(st.lists(st.integers(1, 3), max_size=2)))
    rng = _rng(draw)
    channels = shape[1]
    arrays = [distinct(rng, shape), away_from_zero(rng, (channels,)), anywhere(rng, (channels,))]
    if training:
        return arrays, {}
    return arrays, {"running_mean": anywhere(rng, (channels,)),
                    "running_var": rng.uniform(0.3, 2, channels)}


def _channel(array, ndim):
    return array.reshape((-1,) + (1,) * (ndim - 2))


def batch_norm_reference(x, w, b, running_mean=None, running_var=None):
    axes = (0,) + tuple(range(2, x.ndim))
    if running_mean is None:
        return _normalise(x, axes, _channel(w, x.ndim), _channel(b, x.ndim))
    normalised = (x - _channel(running_mean, x.ndim)) / np.sqrt(_channel(running_var, x.ndim)
                                                               + EPS)
    return normalised * _channel(w, x.ndim) + _channel(b, x.ndim)


def batch_norm_ours(x, w, b, running_mean=None, running_var=None):
    if running_mean is None:
        return F.batch_norm(x, None, None, w, b, training=True, eps=EPS)
    return F.batch_norm(x, tg.tensor(running_mean), tg.tensor(running_var), w, b, eps=EPS)


def batch_norm_torch(x, w, b, running_mean=None, running_var=None):
    import torch

    if running_mean is None:
        return torch.nn.functional.batch_norm(x, None, None, w, b, training=True, eps=EPS)
    return torch.nn.functional.batch_norm(x, torch.tensor(running_mean),
                                          torch.tensor(running_var), w, b, eps=EPS)


@st.composite
def layer_norm_input(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    normalized = shape[len(shape) - draw(st.integers(1, len(shape))):]
    rng = _rng(draw)
    return ([distinct(rng, shape), away_from_zero(rng, normalized), anywhere(rng, normalized)],
            {"normalized_shape": normalized})


def layer_norm_reference(x, w, b, normalized_shape):
    return _normalise(x, tuple(range(x.ndim - len(normalized_shape), x.ndim)), w, b)


@st.composite
def group_norm_input(draw):
    """PyTorch refuses N * C/G * H * W == 1 (a batch-norm check it applies here too)."""
    groups, per_group = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    shape = (draw(st.integers(1, 3)), groups * per_group,
             *draw(st.lists(st.integers(1, 3), max_size=2)))
    if shape[0] * per_group * int(np.prod(shape[2:])) == 1:
        shape = (2,) + shape[1:]
    rng = _rng(draw)
    channels = shape[1]
    return ([distinct(rng, shape), away_from_zero(rng, (channels,)), anywhere(rng, (channels,))],
            {"num_groups": groups})


def group_norm_reference(x, w, b, num_groups):
    grouped = x.reshape(x.shape[0], num_groups, -1)
    normalised = _normalise(grouped, (2,), 1.0, 0.0).reshape(x.shape)
    return normalised * _channel(w, x.ndim) + _channel(b, x.ndim)


@st.composite
def embedding_input(draw):
    rows, dim = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    index_shape = tuple(draw(st.lists(st.integers(1, 4), max_size=2)))
    rng = _rng(draw)
    return [anywhere(rng, (rows, dim))], {"indices": rng.integers(0, rows, index_shape)}


def embedding_torch(weight, indices):
    import torch

    return torch.nn.functional.embedding(torch.tensor(indices), weight)


OPS = [
    Op("batch_norm_train", batch_norm_ours, batch_norm_reference, batch_norm_input(True),
       batch_norm_torch),
    Op("batch_norm_eval", batch_norm_ours, batch_norm_reference, batch_norm_input(False),
       batch_norm_torch),
    Op("layer_norm", lambda x, w, b, normalized_shape: F.layer_norm(x, normalized_shape, w, b,
                                                                     EPS),
       layer_norm_reference, layer_norm_input(),
       lambda x, w, b, normalized_shape: __import__("torch").nn.functional.layer_norm(
           x, normalized_shape, w, b, EPS)),
    Op("group_norm", lambda x, w, b, num_groups: F.group_norm(x, num_groups, w, b, EPS),
       group_norm_reference, group_norm_input(),
       lambda x, w, b, num_groups: __import__("torch").nn.functional.group_norm(
           x, num_groups, w, b, EPS)),
    Op("embedding", lambda weight, indices: F.embedding(indices, weight),
       lambda weight, indices: weight[indices], embedding_input(), embedding_torch),
]


(test_forward_matches_numpy, test_backward_matches_central_differences, test_matches_pytorch,
 test_float32_stays_float32) = table_tests(OPS)
