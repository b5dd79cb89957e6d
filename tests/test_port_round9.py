"""Round nine of PyTorch parity: what the previous rounds listed as found and not fixed.
PyTorch is the oracle where installed; the expected values are written out otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the suite runs without PyTorch too
    _torch = None


# ------------------------------------------------------- masked gradients: the sign of zero
_MASKED = {
    "relu": (lambda x: x.relu(), [False, True, True]),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), [False, False, True]),
    "hardtanh": (lambda x: F.hardtanh(x), [False, False, True]),
    "relu6": (lambda x: F.relu6(x), [False, True, True]),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(_MASKED))
def test_a_masked_gradient_is_plus_zero_where_blocked(name, dtype):
    # PyTorch's threshold/clamp backward writes 0 where the mask blocks the gradient (+0.0,
    # even for a negative incoming gradient) and passes -0.0 through where it is open.
    op, signs = _MASKED[name]
    x = tg.tensor([-1.0, 2.0, 0.3], dtype=getattr(tg, dtype), requires_grad=True)
    op(x).backward(tg.tensor([-1.0, -0.0, -0.0], dtype=getattr(tg, dtype)))
    assert np.signbit(x.grad.numpy()).tolist() == signs
    assert x.grad.dtype == getattr(tg, dtype)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_masked_gradient_blocks_nan_and_inf(bad):
    x = tg.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    x.relu().backward(tg.tensor([[bad, bad], [1.0, bad]]))
    got = x.grad.numpy()
    assert got[0, 0] == 0 and got[1, 1] == 0 and not np.signbit(got[0, 0])
    assert np.array_equal(got[0, 1], np.float32(bad), equal_nan=True) and got[1, 0] == 1
    if _torch is not None:
        t = _torch.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
        t.relu().backward(_torch.tensor([[bad, bad], [1.0, bad]]))
        assert np.array_equal(t.grad.numpy(), got, equal_nan=True)
