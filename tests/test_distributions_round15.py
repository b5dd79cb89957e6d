"""Round 15 of torch.distributions and random parity: trunc_normal_ by the inverse CDF,
random_ bounds, fast Multinomial/Categorical sampling, the TransformedDistribution families,
new names (ExponentialFamily, GeneralizedPareto, ...), dtype promotion of log_prob, error
types, parametrize removal keeping the Parameter, Storage indexing and next_functions slots.
Compared with torch (float64) where it is installed, with fixed closed-form values otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

D = tg.distributions
nn = tg.nn
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _f64(values, grad: bool = False) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _ks_truncated_normal(values: np.ndarray, mean: float, std: float, a: float,
                         b: float) -> float:
    """The Kolmogorov-Smirnov distance of the draws from the truncated normal's CDF."""
    low, high = _normal_cdf((a - mean) / std), _normal_cdf((b - mean) / std)
    values = np.sort(values)
    cdf = np.array([(_normal_cdf((v - mean) / std) - low) / (high - low) for v in values])
    n = len(values)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


# ----------------------------------------------------------------- trunc_normal_
@pytest.mark.parametrize(("mean", "std", "a", "b"), [
    (0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.0, 3.0), (0.0, 1.0, -3.0, -1.0), (0.0, 2.0, -1.0, 0.5),
])
def test_trunc_normal_distribution_ks(mean: float, std: float, a: float, b: float) -> None:
    tg.manual_seed(0)
    values = nn.init.trunc_normal_(tg.empty(4000, dtype=tg.float64), mean, std, a, b).numpy()
    assert values.min() >= a and values.max() <= b
    assert _ks_truncated_normal(values, mean, std, a, b) < 1.63 / math.sqrt(4000)  # 1% level


def test_trunc_normal_far_tails_do_not_hang_and_spread() -> None:
    tg.manual_seed(0)
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        values = nn.init.trunc_normal_(tg.empty(2000, dtype=tg.float64), 0.0, 1.0, 8.0,
                                       9.0).numpy()
    assert values.min() >= 8.0 and values.max() <= 9.0
    # the density falls ~ exp(-8 z): the mean excess over 8 is about 1/8
    assert 0.1 < values.mean() - 8.0 < 0.15
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        values = nn.init.trunc_normal_(tg.empty(500, dtype=tg.float64), 5.0, 1.0, -2.0,
                                       -1.0).numpy()
    assert values.min() >= -2.0 and values.max() <= -1.0 and values.std() > 0
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        values = nn.init.trunc_normal_(tg.empty(500, dtype=tg.float64), 0.0, 1.0, -40.0,
                                       -38.0).numpy()
    assert values.min() >= -40.0 and values.max() <= -38.0 and values.max() > -38.1


def test_trunc_normal_degenerate_and_reversed_interval() -> None:
    np.testing.assert_array_equal(nn.init.trunc_normal_(tg.empty(4), a=1.0, b=1.0).numpy(),
                                  np.ones(4, np.float32))
    with pytest.raises(RuntimeError, match="from=2 > to=1"):
        nn.init.trunc_normal_(tg.empty(4), a=2.0, b=1.0)


@pytest.mark.parametrize("name", ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                                  "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                  "orthogonal_"])
def test_init_random_fill_of_int_tensor_refused(name: str) -> None:
    with pytest.raises(NotImplementedError):
        getattr(nn.init, name)(tg.empty(4, 4, dtype=tg.int64))
    if torch is not None:
        with pytest.raises(NotImplementedError):
            getattr(torch.nn.init, name)(torch.empty(4, 4, dtype=torch.int64))
    nn.init.constant_(tg.empty(4, 4, dtype=tg.int64), 3)  # a constant fill is fine
