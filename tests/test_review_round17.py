"""Review of round 17's merged diff: transposed convolutions with a zero-size output (PyTorch
raises except on its float32 batch/groups kernel or an empty batch), negative sizes in every
layer, threshold of integer tensors."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

F = tg.nn.functional

# (input shape, groups, dtype name, empty result expected)
ZERO_OUTPUT = [((1, 2, 1, 1), 1, "float32", False), ((2, 2, 1, 1), 1, "float32", True),
               ((2, 2, 1, 1), 1, "float64", False), ((0, 2, 1, 1), 1, "float64", True),
               ((1, 2, 1, 1), 2, "float32", True)]


@pytest.mark.parametrize(("shape", "groups", "dtype", "empty"), ZERO_OUTPUT)
def test_transposed_conv_with_a_zero_output_size(shape, groups, dtype, empty):
    def run(lib):
        x = lib.ones(shape, dtype=getattr(lib, dtype))
        w = lib.ones((2, 3 if groups == 1 else 1, 2, 2), dtype=getattr(lib, dtype))
        return lib.nn.functional.conv_transpose2d(x, w, padding=1, groups=groups)

    if empty:
        assert tuple(run(tg).shape) == (shape[0], 3 if groups == 1 else 2, 0, 0)
    else:
        with pytest.raises(RuntimeError, match="Output size is too small"):
            run(tg)
    if torch is not None:
        if empty:
            assert tuple(run(torch).shape) == tuple(run(tg).shape)
        else:
            with pytest.raises(RuntimeError):
                run(torch)


@pytest.mark.parametrize("make", [lambda nn: nn.GroupNorm(1, -1),
                                  lambda nn: nn.Bilinear(-1, 2, 3),
                                  lambda nn: nn.InstanceNorm1d(-1, affine=True)])
def test_layers_of_negative_size_are_runtime_errors(make):
    with pytest.raises(RuntimeError, match="negative dimension"):
        make(tg.nn)
    if torch is not None:
        with pytest.raises(RuntimeError):
            make(torch.nn)


def test_threshold_of_integers_casts_both_numbers_to_the_dtype():
    got = F.threshold(tg.tensor([1, 2, 3]), 1, 0.5)
    assert got.dtype == tg.int64 and got.tolist() == [0, 2, 3]
    wrapped = F.threshold(tg.tensor([1, 2, 3], dtype=tg.uint8), -1, 0)  # -1 is 255
    assert wrapped.dtype == tg.uint8 and wrapped.tolist() == [0, 0, 0]
    floats = F.threshold(tg.tensor([1.0, 2.0, 3.0]), 1.5, 0.5)
    np.testing.assert_array_equal(floats.numpy(), [0.5, 2.0, 3.0])
    if torch is not None:
        tf = torch.nn.functional
        assert tf.threshold(torch.tensor([1, 2, 3]), 1, 0.5).tolist() == got.tolist()
        assert tf.threshold(torch.tensor([1, 2, 3], dtype=torch.uint8), -1, 0).tolist() == \
            wrapped.tolist()


def test_max_min_with_a_tensor_given_as_dim_reduce_along_it():
    """As PyTorch: a tensor given positionally is `other` (elementwise), one given as `dim=`
    (a 0-d integer tensor) is a dim (it was taken as `other`: a silent wrong result)."""
    y = tg.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert y.max(dim=tg.tensor(1)).values.tolist() == [5.0, 3.0]
    assert y.min(dim=tg.tensor(1)).indices.tolist() == [0, 1]
    assert tg.max(y, dim=tg.tensor(0)).values.tolist() == [3.0, 5.0]
    assert y.max(tg.tensor(2.0)).tolist() == [[2.0, 5.0], [3.0, 2.0]]
    assert tg.max(y, tg.tensor(2.0)).tolist() == [[2.0, 5.0], [3.0, 2.0]]
    assert tg.max(y, 1, True).values.tolist() == [[5.0], [3.0]]
    assert tg.max(input=y, dim=1, keepdim=False).values.tolist() == [5.0, 3.0]
    with pytest.raises(TypeError):
        y.max(1, dim=0)
    if torch is not None:
        t = torch.tensor([[1.0, 5.0], [3.0, 2.0]])
        assert t.max(dim=torch.tensor(1)).values.tolist() == [5.0, 3.0]
        assert torch.max(t, dim=torch.tensor(0)).values.tolist() == [3.0, 5.0]
        assert t.max(torch.tensor(2.0)).tolist() == [[2.0, 5.0], [3.0, 2.0]]
