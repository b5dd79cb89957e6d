"""Round seven of PyTorch parity: the legacy `torch.Tensor(...)` constructor, and what
probes of numerics, the tensor API and ported programs found. PyTorch is the oracle where
installed; the expected values are written out otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the suite runs without PyTorch too
    _torch = None


# --------------------------------------------------------------- the legacy constructor
@pytest.mark.parametrize("data", [[1, 2, 3], [[0, 0], [0, 1]], (1, 2), [True, False], [[1, 2.5]]])
def test_tensor_of_a_list_is_float32_as_pytorchs_legacy_constructor(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float32))
    if _torch is not None:
        assert str(_torch.Tensor(data).dtype) == "torch.float32"


def test_the_xor_tutorial_runs_mean_on_a_legacy_tensor():
    x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_allclose(x.mean(0).numpy(), [0.5, 0.5])
    assert Tensor([[1, 2]]).requires_grad_().requires_grad  # floats can require grad


def test_tensor_of_one_int_is_a_size():
    t = Tensor(3)
    assert t.shape == (3,) and t.dtype == np.float32
    assert Tensor(4, requires_grad=True).requires_grad
    assert Tensor(2, 3).shape == (2, 3)
    if _torch is not None:
        assert tuple(_torch.Tensor(3).shape) == (3,)


def test_tensor_function_and_as_tensor_keep_integer_lists_int64():
    # torch.tensor / as_tensor / asarray infer the dtype; only the Tensor class is legacy
    for make in (tg.tensor, tg.as_tensor, tg.asarray):
        assert make([1, 2]).dtype == np.int64
        assert make(3).shape == () and make(3).dtype == np.int64
    assert tg.stack([[1, 2], [3, 4]]).dtype == np.int64
    assert tg.utils.data.TensorDataset([1, 2, 3])[0][0].dtype == np.int64


def test_functions_taking_plain_lists_keep_their_dtype():
    assert tg.cat([[1, 2], [3]]).dtype == np.int64
    assert tg.special.xlogy([1, 2], 3).dtype == np.float32  # int64 in, float out
    assert tg.ones(3).inner([1, 2, 3]).item() == 6
