"""Round 19: tensor creation and printing against PyTorch 2.13 (ranges to the bit, sizes,
Size's repr, legacy forms)."""

import math

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _same_bits(ours, theirs):
    ours, theirs = ours.numpy(), theirs.numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert ours.tobytes() == theirs.tobytes(), np.flatnonzero(ours != theirs)[:8]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_arange_float_steps_bit_for_bit(dtype):
    rng = np.random.default_rng(19)
    cases = [(0, 1, 0.1), (-1, 1, 0.3), (1.3, 4.1, 0.13), (0, 100, 0.77), (0, 1000, 0.1),
             (-3.7, 9.1, 1.1), (10.0, -5.5, -0.35), (-0.0, -20.0, -1.925)]
    for _ in range(200):
        start = round(float(rng.uniform(-10, 10)), int(rng.integers(0, 4)))
        step = round(float(rng.uniform(0.05, 2)), int(rng.integers(1, 4))) * rng.choice([1, -1])
        cases.append((start, start + step * int(rng.integers(1, 500)) + 0.3 * step, step))
    for start, end, step in cases:
        _same_bits(tg.arange(start, end, step, dtype=getattr(tg, dtype)),
                   torch.arange(start, end, step, dtype=getattr(torch, dtype)))


def test_arange_default_dtype_float_args():
    _same_bits(tg.arange(0, 1, 0.1), torch.arange(0, 1, 0.1))
    # fixed values: PyTorch's fused start + step * i, not NumPy's
    assert tg.arange(-1, 1, 0.3, dtype=tg.float64).tolist()[2:5] == [
        -0.4, -0.10000000000000003, 0.19999999999999996]


def test_linspace_logspace_bit_for_bit():
    rng = np.random.default_rng(7)
    for k in range(600):
        dtype = ["float32", "float64", "int64", "int32"][k % 4]
        start = round(float(rng.uniform(-5, 5)), int(rng.integers(0, 3)))
        end = round(float(rng.uniform(-5, 8)), int(rng.integers(0, 3)))
        steps = int(rng.integers(0, 60))
        base = [10.0, 2.0, 3.0, math.e, 0.5, 1.7][k % 6]
        _same_bits(tg.linspace(start, end, steps, dtype=getattr(tg, dtype)),
                   torch.linspace(start, end, steps, dtype=getattr(torch, dtype)))
        _same_bits(tg.logspace(start, end, steps, base=base, dtype=getattr(tg, dtype)),
                   torch.logspace(start, end, steps, base=base, dtype=getattr(torch, dtype)))


def test_linspace_int_truncates_bounds_first():
    assert tg.linspace(4.7, -2.0, 5, dtype=tg.int64).tolist() == [4, 2, 1, 0, -2]
    assert tg.logspace(1.1, -1.8, 1, base=math.e, dtype=tg.int32).tolist() == [3]


def test_size_prints_as_pytorch():
    for shape in [(2, 3), (), (5,), (0, 1, 2)]:
        ours, theirs = tg.zeros(shape).shape, torch.zeros(shape).shape
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert ours == theirs == tuple(shape) and ours.numel() == theirs.numel()
        assert type(ours[1:]) is tg.Size and repr(ours[1:]) == repr(theirs[1:])
    assert repr(tg.Size([])) == repr(torch.Size([])) == "torch.Size([])"
    assert repr(tg.nn.Unflatten(1, tg.Size([2, 3]))) == repr(
        torch.nn.Unflatten(1, torch.Size([2, 3])))
    assert f"{tg.Size([2, 3])}" == "(2, 3)"  # documented: error messages' f-strings


def test_cast_grad_fn_named_as_pytorch():
    x = tg.ones(2, requires_grad=True)
    assert repr(x.double()) == repr(torch.ones(2, requires_grad=True).double())
