"""nn.init: gains and fans exactly as torch.nn.init, and the distributions checked by their
statistics (mean, standard deviation, bounds) against formulas written out here and against
samples from PyTorch itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import Tensor

torch = pytest.importorskip("torch")

SHAPE = (256, 512)  # 131,072 values: the standard error of a mean is ~0.3% of the std


@pytest.mark.parametrize(("nonlinearity", "param"), [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
    ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", 3), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param)


def test_calculate_gain_errors_match_pytorch():
    for args in (("softplus",), ("leaky_relu", True), ("leaky_relu", "0.1")):
        with pytest.raises(ValueError) as expected:
            torch.nn.init.calculate_gain(*args)
        with pytest.raises(ValueError, match=str(expected.value)):
            nn.init.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5), (16, 3, 3, 3), (4, 2, 1, 2, 3), (5, 0)])
def test_fans_match_pytorch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert nn.init._calculate_fan_in_and_fan_out(tg.zeros(shape)) == expected


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(tg.zeros(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        nn.init.kaiming_uniform_(tg.zeros(3, 4), mode="fan_avg")


def truncated_normal_moments(mean, std, a, b):
    """Mean and standard deviation of N(mean, std^2) restricted to [a, b] (closed form)."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-x * x / 2) / math.sqrt(2 * math.pi) for x in (alpha, beta)]
    mass = (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2))) / 2
    shift = (pdf[0] - pdf[1]) / mass
    variance = 1 + (alpha * pdf[0] - beta * pdf[1]) / mass - shift**2
    return mean + std * shift, std * math.sqrt(variance)


def fan(shape, mode="fan_in"):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive if mode == "fan_in" else shape[0] * receptive


# name, kwargs, shape, expected mean, expected std, (low, high) or a symmetric bound or None
CONV = (64, 32, 3, 3)
DISTRIBUTIONS = [
    ("uniform_", dict(a=-0.5, b=1.5), SHAPE, 0.5, 2 / math.sqrt(12), (-0.5, 1.5)),
    ("normal_", dict(mean=0.3, std=2.0), SHAPE, 0.3, 2.0, None),
    ("xavier_uniform_", dict(gain=2.0), SHAPE, 0.0,
     2.0 * math.sqrt(2 / (512 + 256)), 2.0 * math.sqrt(6 / (512 + 256))),
    ("xavier_normal_", dict(), CONV, 0.0, math.sqrt(2 / (fan(CONV) + fan(CONV, "fan_out"))),
     None),
    ("kaiming_uniform_", dict(), SHAPE, 0.0, math.sqrt(2) / math.sqrt(512),
     math.sqrt(3) * math.sqrt(2) / math.sqrt(512)),  # a=0: leaky_relu's slope 0, gain sqrt 2
    ("kaiming_uniform_", dict(a=math.sqrt(5)), CONV, 0.0, 1 / math.sqrt(3 * fan(CONV)),
     1 / math.sqrt(fan(CONV))),  # nn.Linear / Conv2d's default: U(-1/sqrt(fan_in), ..)
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="relu"), CONV, 0.0,
     math.sqrt(2) / math.sqrt(fan(CONV, "fan_out")), None),
    ("kaiming_normal_", dict(nonlinearity="tanh"), SHAPE, 0.0, 5 / 3 / math.sqrt(512), None),
    ("trunc_normal_", dict(std=0.02), SHAPE, 0.0, 0.02, (-2.0, 2.0)),
    ("trunc_normal_", dict(mean=0.5, std=1.0, a=-0.5, b=1.0), SHAPE,
     *truncated_normal_moments(0.5, 1.0, -0.5, 1.0), (-0.5, 1.0)),
    ("trunc_normal_", dict(mean=0.0, std=1.0, a=1.0, b=3.0), SHAPE,
     *truncated_normal_moments(0.0, 1.0, 1.0, 3.0), (1.0, 3.0)),
]


@pytest.mark.parametrize(("name", "kwargs", "shape", "mean", "std", "bounds"), DISTRIBUTIONS,
                         ids=[f"{d[0]}-{d[1]}" for d in DISTRIBUTIONS])
def test_distribution_statistics(name, kwargs, shape, mean, std, bounds):
    tg.manual_seed(0)
    tensor = tg.zeros(shape, requires_grad=True)
    result = getattr(nn.init, name)(tensor, **kwargs)
    assert result is tensor and tensor.requires_grad and tensor.is_leaf
    assert tensor.dtype == np.float32 and tensor._version > 0
    values = tensor._data.astype(np.float64)
    standard_error = std / math.sqrt(values.size)
    assert abs(values.mean() - mean) < 5 * standard_error
    assert values.std() == pytest.approx(std, rel=0.02)
    if name != "trunc_normal_":  # PyTorch's (erfinv) takes seconds here; formulas suffice
        theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs)
        assert values.std() == pytest.approx(theirs.std().item(), rel=0.03)
    if bounds is not None:
        low, high = (-bounds, bounds) if isinstance(bounds, float) else bounds
        assert values.min() >= low and values.max() <= high
        if name != "trunc_normal_" or high - low < 10 * std:  # the range is reached
            spread = (high - low) * 0.01
            assert values.min() < low + spread and values.max() > high - spread


def test_seeded_and_reproducible():
    tg.manual_seed(7)
    first = nn.init.kaiming_uniform_(tg.zeros(4, 5))._data.copy()
    tg.manual_seed(7)
    second = nn.init.kaiming_uniform_(tg.zeros(4, 5))._data.copy()
    third = nn.init.kaiming_uniform_(tg.zeros(4, 5))._data
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)
    # an np.random.Generator supplies the 32-bit words PyTorch's sampler turns into normals:
    # the same generator state gives the same draws, another state others
    own = nn.init.normal_(tg.zeros(3), generator=np.random.default_rng(1))._data
    again = nn.init.normal_(tg.zeros(3), generator=np.random.default_rng(1))._data
    other = nn.init.normal_(tg.zeros(3), generator=np.random.default_rng(2))._data
    np.testing.assert_array_equal(own, again)
    assert not np.array_equal(own, other) and np.all(np.abs(own) < 6)


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (8, 2, 3, 2), (7, 7)])
def test_orthogonal(shape):
    tg.manual_seed(2)
    tensor = nn.init.orthogonal_(Tensor(np.zeros(shape)), gain=1.5)
    flat = tensor._data.reshape(shape[0], -1)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, 2.25 * np.eye(min(rows, cols)), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        nn.init.orthogonal_(tg.zeros(3))


def test_orthogonal_is_uniformly_distributed():
    """Sign-fixed QR: the diagonal of Q has mean ~0 over draws (without the fix, QR's
    convention makes it biased)."""
    tg.manual_seed(3)
    diagonals = [np.diag(nn.init.orthogonal_(Tensor(np.zeros((4, 4))))._data)
                 for _ in range(400)]
    assert abs(np.mean(diagonals)) < 0.1


def test_constant_fills():
    tensor = tg.zeros(2, 3, requires_grad=True)
    np.testing.assert_array_equal(nn.init.constant_(tensor, 0.25)._data, np.full((2, 3), 0.25))
    np.testing.assert_array_equal(nn.init.ones_(tensor)._data, np.ones((2, 3)))
    np.testing.assert_array_equal(nn.init.zeros_(tensor)._data, np.zeros((2, 3)))
    np.testing.assert_array_equal(nn.init.eye_(tensor)._data, np.eye(2, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        nn.init.eye_(tg.zeros(2, 2, 2))
    assert tensor.grad_fn is None and tensor.dtype == np.float32


def test_warnings_as_pytorch():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(tg.zeros(0, 3))
    with pytest.warns(UserWarning, match="more than 2 std from"):
        nn.init.trunc_normal_(tg.zeros(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


def test_init_a_layer_then_train():
    """The usual pattern: re-initialise a model's layers, then its outputs depend on them."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    for module in (model[0], model[2]):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)
    out = model(tg.ones(1, 3))
    out.sum().backward()
    assert model[0].weight.grad is not None
    np.testing.assert_array_equal(model[2].bias._data, np.zeros(2))


def test_sparse_zeroes_the_same_number_of_entries_in_every_column():
    weight = tg.empty(10, 7)
    nn.init.sparse_(weight, 0.3, std=0.5)
    values = weight.numpy()
    np.testing.assert_array_equal((values == 0).sum(axis=0), [3] * 7)  # ceil(0.3 * 10)
    assert 0.2 < values[values != 0].std() < 1.0
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.sparse_(tg.empty(3), 0.5)
