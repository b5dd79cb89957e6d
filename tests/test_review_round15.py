"""Round 15's review of the day's own changes: views of op results relaid out only where
PyTorch's results are contiguous (conv/pool/interpolate/pad layouts, not elementwise results
or channels_last), memory formats honoured by the conversion methods and randint_like,
contiguous(preserve_format) refused, masked_fill's 0-d value rule, categorical draws never
picking a class of weight 0, float16 ELU-family gradients computed in float32. Each test
compares with PyTorch when it is installed and with fixed values otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np.sampling import categorical_draws

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]


def _functional(lib):
    return F if lib is tg else torch.nn.functional


@pytest.mark.parametrize("lib", LIBS)
def test_an_elementwise_result_keeps_its_layout_for_views(lib):
    x = lib.tensor(np.arange(12.0).reshape(4, 3))
    y = (x.t() * 2).t()  # (the elementwise result follows x.t()'s layout: y is row-major)
    assert y.is_contiguous()
    np.testing.assert_array_equal(y.view(-1).numpy(), np.arange(12.0) * 2)


@pytest.mark.parametrize("lib", LIBS)
def test_a_view_of_a_channels_last_tensor_keeps_its_layout(lib):
    x = lib.tensor(np.arange(120.0).reshape(2, 3, 4, 5)).to(memory_format=lib.channels_last)
    first = x[0]
    assert x.is_contiguous(memory_format=lib.channels_last)
    assert x.stride() == (60, 1, 15, 3)
    np.testing.assert_array_equal(first.numpy(), np.arange(60.0).reshape(3, 4, 5))


@pytest.mark.parametrize("lib", LIBS)
def test_a_view_of_a_conv_result_views_like_pytorchs(lib):
    f = _functional(lib)
    y = f.conv2d(lib.tensor(np.arange(6 * 48.0).reshape(6, 3, 4, 4)),
                 lib.tensor(np.ones((5, 3, 3, 3))))
    first = y[1]
    assert tuple(first.view(-1).shape) == (20,)
    first.view(-1)[0] = -1.0  # (still a view: the write reaches y)
    assert float(y[1, 0, 0, 0]) == -1.0


@pytest.mark.parametrize("lib", LIBS)
def test_conversions_honour_memory_format(lib):
    x = lib.zeros(2, 3, 4, 5).to(memory_format=lib.channels_last)
    for convert in ("float", "double", "half", "long", "int", "short", "char", "byte", "bool"):
        assert getattr(x, convert)(memory_format=lib.contiguous_format).stride() == (60, 20, 5, 1)
    assert x.cpu(memory_format=lib.contiguous_format).stride() == (60, 20, 5, 1)
    assert x.double().stride() == (60, 1, 15, 3)  # (preserved by default)


@pytest.mark.parametrize("lib", LIBS)
def test_randint_like_preserves_the_layout(lib):
    x = lib.zeros(2, 3, 4, 5).to(memory_format=lib.channels_last)
    assert lib.randint_like(x, 5).stride() == (60, 1, 15, 3)
    assert lib.randint_like(x, 5, memory_format=lib.contiguous_format).stride() == (60, 20, 5, 1)
    assert lib.randint_like(x.contiguous(), 5).stride() == (60, 20, 5, 1)


@pytest.mark.parametrize("lib", LIBS)
def test_contiguous_refuses_preserve_format(lib):
    with pytest.raises(RuntimeError, match="preserve"):
        lib.zeros(2, 3).t().contiguous(memory_format=lib.preserve_format)


def test_contiguous_names_itself_for_a_bad_memory_format():
    with pytest.raises(TypeError, match="^contiguous"):
        tg.zeros(2, 3).contiguous(memory_format="channels_last")


@pytest.mark.parametrize("lib", LIBS)
def test_masked_fill_needs_a_0d_value_tensor(lib):
    m = lib.zeros(3, 4)
    with pytest.raises(RuntimeError, match="0-dim"):
        m.masked_fill(m >= 0, lib.tensor([1.0]))
    assert float(m.masked_fill(m >= 0, lib.tensor(2.0)).sum()) == 24.0


def test_categorical_draws_never_pick_a_class_of_weight_0():
    rows = 2**20  # (u + row rounds up to row + 1 here)
    picks = categorical_draws(np.tile([1.0, 0.0], (rows, 1)), np.full(rows, 1 - 2**-40))
    assert not picks.any()
    picks = categorical_draws(np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]),
                              np.array([[0.999999, 0.99999]]))
    np.testing.assert_array_equal(picks, [[1, 1]])


EXPECTED_FLOAT16 = {  # PyTorch 2.13's float16 gradients at [-20, -12, nan, 1, 0]
    "elu": [1.0311603546142578e-05, 0.049163818359375, 1.0, 1.0, 1.0],
    "selu": [1.811981201171875e-05, 0.08642578125, 1.05078125, 1.05078125, 1.7578125],
    "celu": [1.0311603546142578e-05, 0.049163818359375, 1.0, 1.0, 1.0],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FLOAT16))
def test_float16_elu_family_gradients_as_pytorch(name):
    x = tg.tensor([-20.0, -12.0, float("nan"), 1.0, 0.0], dtype=tg.float16, requires_grad=True)
    getattr(F, name)(x).backward(tg.tensor([5000.0, 8000.0, 1.0, 1.0, 1.0], dtype=tg.float16))
    assert x.grad.dtype == tg.float16
    np.testing.assert_array_equal(x.grad.numpy().astype(np.float64), EXPECTED_FLOAT16[name])
