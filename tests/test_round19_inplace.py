"""Round 19: in-place, aliasing and operand-type gaps, checked against PyTorch 2.13 (skipped
without it) or against values worked out by hand."""
import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


def _run(lib, code):
    """(values, dtype name) of `r` after running code with `torch` as lib, or the error type."""
    space = {"torch": lib, "np": np}
    try:
        exec(code, space)
    except Exception as error:  # noqa: BLE001 (compared as a type)
        return type(error)
    result = space["r"]
    return np.asarray(result.detach().numpy()).tolist(), str(result.dtype).split(".")[-1]


NUMPY_SCALARS = [f"t = torch.tensor([1, 0, 1]).to(torch.{dtype}); r = {expr}"
                 for dtype in ("float16", "int32", "bool", "uint8", "int64", "float32")
                 for expr in ("t * np.bool_(True)", "np.bool_(True) * t", "t + np.bool_(False)",
                              "t.add(np.bool_(True))", "torch.mul(np.bool_(True), t)",
                              "t ** np.bool_(True)", "np.float64(2) * t", "t + np.int64(3)",
                              "np.float32(2.5) + t", "torch.where(t > 0, t, np.bool_(True))",
                              "torch.full((2,), np.bool_(True))")]


@needs_torch
@pytest.mark.parametrize("code", NUMPY_SCALARS)
def test_numpy_scalars_as_operands_give_pytorchs_values_and_dtypes(code):
    assert _run(tg, code) == _run(torch, code)


@pytest.mark.parametrize("dtype", [tg.int32, tg.uint8, tg.bool])
def test_numpy_bool_is_a_float_so_an_in_place_op_on_integers_refuses_it(dtype):
    t = tg.tensor([1, 0, 1]).to(dtype)
    with pytest.raises(TypeError, match="can't be cast"):
        t.add_(np.bool_(True))
    np.testing.assert_array_equal(t.numpy(), [1, 0, 1])


def test_numpy_float64_times_a_tensor_is_a_tensor():
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    y = np.float64(2) * t
    assert isinstance(y, tg.Tensor) and y.dtype == tg.float32
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [2.0, 2.0])


HUGE = [f"x = torch.ones(2, dtype=torch.{dtype}); r = {expr}"
        for dtype in ("float16", "float32", "float64")
        for expr in ("x * 2**70", "2**70 * x", "x + 2**70", "x / 2**70", "x.pow(2**70)",
                     "x.mul(2**64)", "x.add_(2**70)", "x.mul_(2**70)", "x == 2**70",
                     "x < -2**64", "torch.where(x > 0, x, 2**70)", "x // 2**70",
                     "x * 2**63", "x * (2**64 - 1)", "x * -2**63", "x + 2")]


@needs_torch
@pytest.mark.parametrize("code", HUGE)
def test_a_python_int_past_int64_and_uint64_is_pytorchs_overflow_error(code):
    expected = _run(torch, code)
    got = _run(tg, code)
    if isinstance(expected, type):
        assert isinstance(got, type) and issubclass(got, OverflowError), got
    else:
        assert got == expected
