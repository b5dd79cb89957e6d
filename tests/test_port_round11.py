"""Eleventh round of probes against PyTorch: no NumPy warnings from ops and composites on
inf, NaN and overflow (PyTorch is silent), amax's NaN gradient, and what a differential fuzz
of the tensor methods found."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

F = tg.nn.functional
INF = np.inf

try:
    import torch
except ImportError:
    torch = None

# Each: a function of (library, x) for x a float32 vector with requires_grad. The pytest
# configuration turns warnings into errors, so a NumPy RuntimeWarning fails the test.
SILENT = {
    "sum": lambda L, x: x.sum(),
    "mean": lambda L, x: x.mean(),
    "nansum": lambda L, x: x.nansum(),
    "var": lambda L, x: x.var(),
    "std": lambda L, x: x.std(),
    "cumsum": lambda L, x: x.cumsum(0),
    "cumprod": lambda L, x: x.cumprod(0),
    "logsumexp": lambda L, x: x.logsumexp(0),
    "norm": lambda L, x: x.norm(),
    "sub": lambda L, x: x - x.flip(0),
    "matmul": lambda L, x: x @ x.flip(0),
    "outer": lambda L, x: L.outer(x, x),
    "inner": lambda L, x: L.inner(x, x),
    "square": lambda L, x: L.square(x),
    "addcmul": lambda L, x: L.addcmul(x, x, x),
    "silu": lambda L, x: F.silu(x) if L is tg else L.nn.functional.silu(x),
    "mish": lambda L, x: L.nn.functional.mish(x),
    "glu": lambda L, x: L.nn.functional.glu(L.cat([x, x])),
    "layer_norm": lambda L, x: L.nn.functional.layer_norm(x, (4,)),
    "rms_norm": lambda L, x: L.nn.functional.rms_norm(x, (4,)),
    "normalize": lambda L, x: L.nn.functional.normalize(x, dim=0),
    "mse_loss": lambda L, x: L.nn.functional.mse_loss(x, L.zeros_like(x)),
    "cross_entropy": lambda L, x: L.nn.functional.cross_entropy(x[None], L.tensor([1])),
    "linear": lambda L, x: L.nn.functional.linear(x[None], x[None]),
    "leaky_relu": lambda L, x: L.nn.functional.leaky_relu(x, 2.0),
    "sinc": lambda L, x: L.sinc(x),
    "trapezoid": lambda L, x: L.trapezoid(x),
    "kron": lambda L, x: L.kron(x, x),
    "rad2deg": lambda L, x: L.rad2deg(x),
}
# Where PyTorch's result is an artifact of its algorithm, not the value: its trapezoid is
# sum(y) - (y_0 + y_n) / 2 (inf - inf = NaN for a true inf); its std overflows in x^2 where the
# true std of +-3e38 values (ours, scaled) is finite.
ARTIFACTS = {("trapezoid", "inf,inf"), ("trapezoid", "-inf"), ("std", "huge")}
VALUES = [[INF, -INF, 1.0, 0.0], [INF, INF, 0.0, -2.0], [-INF, -INF, 0.0, 3.0],
          [np.nan, 1.0, 2.0, -1.0], [3e38, 3e38, -3e38, 1.0]]


def _run(lib, name, values):
    x = lib.tensor(values, requires_grad=True)
    out = SILENT[name](lib, x)
    out.backward(lib.ones_like(out))
    return out.detach().numpy(), x.grad.numpy()


IDS = ["inf-inf", "inf,inf", "-inf", "nan", "huge"]


@pytest.mark.parametrize("values", VALUES, ids=IDS)
@pytest.mark.parametrize("name", sorted(SILENT))
def test_ops_on_non_finite_values_are_silent_as_pytorch(name, values):
    out, grad = _run(tg, name, values)  # no warning (they are errors here)
    if torch is not None and (name, IDS[VALUES.index(values)]) not in ARTIFACTS:
        want_out, want_grad = _run(torch, name, values)
        np.testing.assert_allclose(out, want_out, rtol=1e-5, equal_nan=True)
        assert out.dtype == want_out.dtype


def test_plain_add_and_mul_still_warn_as_numpy_documented():
    x = tg.tensor([INF, 1.0])
    with pytest.warns(RuntimeWarning):
        x * 0
    with pytest.warns(RuntimeWarning):
        x + tg.tensor([-INF, 1.0])


@pytest.mark.parametrize("values", [[np.nan, 1.0, 2.0], [[np.nan, 1.0, 2.0], [3.0, 3.0, 1.0]],
                                    [[1.0, np.nan, np.nan]]])
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_and_amin_give_nan_gradients_in_a_nan_slice_as_pytorch(name, values):
    v = np.asarray(values, np.float32)
    x = tg.tensor(v, requires_grad=True)
    getattr(x, name)(-1).sum().backward()
    rows = v.reshape(-1, v.shape[-1])
    grad = x.grad.numpy().reshape(rows.shape)
    for row, got in zip(rows, grad):
        if np.isnan(row).any():
            assert np.isnan(got).all()
        else:
            hit = row == getattr(row, name[1:])()
            np.testing.assert_array_equal(got, hit / hit.sum())
    x.grad = None
    getattr(x, name)().backward()  # over everything: the NaN slice is the whole tensor
    assert np.isnan(x.grad.numpy()).all()
    if torch is not None:
        t = torch.tensor(v, requires_grad=True)
        getattr(t, name)(-1).sum().backward()
        np.testing.assert_array_equal(grad, t.grad.numpy().reshape(rows.shape))


def test_max_with_numpy_axis_keeps_max_semantics_for_nan():
    x = tg.tensor([[1.0, np.nan, np.nan], [2.0, 5.0, 5.0]], requires_grad=True)
    x.max(axis=-1).sum().backward()  # NumPy's spelling: max's rule, split between the NaNs
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0.5, 0.5]])
