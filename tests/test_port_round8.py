"""Round eight of PyTorch parity: NumPy's `axis=` on every op with a `dim`, and the numerics
and API gaps the previous round's probes listed. PyTorch is the oracle where installed; the
expected values are written out otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the suite runs without PyTorch too
    _torch = None


# ------------------------------------------------------------------------- axis= for dim=
_X = np.array([[3.0, 1.0, 2.0, 2.0], [0.0, 5.0, 4.0, 1.0], [7.0, 7.0, 6.0, 0.0]])
_WITH_DIM = [("median", ()), ("mode", ()), ("nanmedian", ()), ("nansum", ()), ("nanmean", ()),
             ("count_nonzero", ()), ("aminmax", ()), ("cummax", ()), ("cummin", ()),
             ("logcumsumexp", ()), ("sort", ()), ("argsort", ()), ("topk", (2,)),
             ("kthvalue", (2,)), ("unbind", ()), ("chunk", (2,))]


def _first(result):
    if isinstance(result, (tuple, list)):
        return result[0]
    return result


@pytest.mark.parametrize("form", ["method", "function"])
@pytest.mark.parametrize(("name", "args"), _WITH_DIM)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axis_is_dim_on_every_op_with_a_dim(name, args, form, axis):
    x = tg.tensor(_X)
    call = getattr(x, name) if form == "method" else getattr(tg, name)
    head = () if form == "method" else (x,)
    got = _first(call(*head, *args, axis=axis)).numpy()
    want = _first(call(*head, *args, dim=axis)).numpy()
    np.testing.assert_array_equal(got, want)
    if _torch is not None:
        t = _torch.tensor(_X)
        tcall = getattr(t, name) if form == "method" else getattr(_torch, name)
        np.testing.assert_allclose(got, _first(tcall(*((t,) if head else ()), *args,
                                                     axis=axis)).numpy())


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_axis_on_var_mean_and_std_mean(name):
    x = tg.tensor(_X)
    spread, mean = getattr(tg, name)(x, axis=1)
    np.testing.assert_allclose(mean.numpy(), _X.mean(1))
    np.testing.assert_allclose(spread.numpy() ** (2 if name == "std_mean" else 1),
                               _X.var(1, ddof=1))


def test_axis_and_dim_that_disagree_are_refused():
    x = tg.tensor(_X)
    with pytest.raises(TypeError, match="dim=0 and axis=1"):
        x.sort(dim=0, axis=1)
    with pytest.raises(TypeError):
        x.sort(1, axis=1)  # dim twice, as Python says
    assert x.sort(dim=1, axis=1).values.shape == (3, 4)  # agreeing is fine
    np.testing.assert_array_equal(x.size(axis=1), 4)
