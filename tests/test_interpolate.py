"""F.interpolate and nn.Upsample: values and gradients against PyTorch (float64) over up- and
down-sampling, non-integer scales and both align_corners, a torch-free gradcheck, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

SIZES = [dict(size=s) for s in (1, 2, 3, 5, 8, 11)]
SCALES = [dict(scale_factor=s) for s in (0.5, 0.7, 1.5, 2, 2.5, 1 / 3)]
RECOMPUTED = [dict(scale_factor=s, recompute_scale_factor=True) for s in (0.7, 1.1, 2.05)]
CASES = SIZES + SCALES + RECOMPUTED
MODES = [(3, "nearest", None), (4, "nearest", None), (3, "linear", False),
         (3, "linear", True), (4, "bilinear", False), (4, "bilinear", True)]


def _shape(ndim: int, length: int) -> tuple[int, ...]:
    return (2, 3, length) if ndim == 3 else (2, 3, length, length + 2)


@pytest.mark.parametrize(("ndim", "mode", "align_corners"), MODES)
@pytest.mark.parametrize("length", [1, 3, 4, 7])
def test_matches_pytorch_values_and_gradients(ndim, mode, align_corners, length):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(length * 10 + ndim)
    x = rng.standard_normal(_shape(ndim, length))
    for kwargs in CASES:
        options = dict(mode=mode, align_corners=align_corners, **kwargs)
        if int(x.shape[2] * kwargs.get("scale_factor", 1)) == 0:  # empty: both refuse
            with pytest.raises(ValueError, match="output size"):
                F.interpolate(Tensor(x), **options)
            continue
        theirs_x = torch.tensor(x, requires_grad=True)
        theirs = torch.nn.functional.interpolate(theirs_x, **options)
        upstream = rng.standard_normal(tuple(theirs.shape))
        theirs.backward(torch.tensor(upstream))
        ours_x = Tensor(x, requires_grad=True)
        ours = F.interpolate(ours_x, **options)
        assert ours.shape == tuple(theirs.shape), options
        (ours * Tensor(upstream)).sum().backward()
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), atol=1e-10,
                                   err_msg=str(options))
        np.testing.assert_allclose(ours_x.grad._data, theirs_x.grad.numpy(), atol=1e-10,
                                   err_msg=str(options))


def test_nearest_1d_follows_pytorch_forward_where_its_backward_disagrees():
    # PyTorch's 1-D nearest forward uses floor(dst / scale) even when the size comes out
    # equal to the input's; its backward then copies. We follow the forward; our gradient
    # is the derivative of our forward.
    torch = pytest.importorskip("torch")
    x = np.arange(6.0).reshape(1, 2, 3)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.1)
    ours = F.interpolate(Tensor(x), scale_factor=1.1)
    np.testing.assert_array_equal(ours._data, theirs.numpy())
    np.testing.assert_array_equal(ours._data[0, 0], [0, 0, 1])


@pytest.mark.parametrize(("shape", "options"), [
    ((1, 2, 4), dict(size=7, mode="linear")),
    ((1, 2, 5), dict(scale_factor=0.6, mode="linear", align_corners=True)),
    ((1, 1, 3, 4), dict(size=(5, 3), mode="bilinear")),
    ((1, 1, 3, 2), dict(scale_factor=(1.5, 2), mode="bilinear", align_corners=True)),
    ((1, 1, 3, 2), dict(scale_factor=2.5)),
])
def test_gradcheck_without_pytorch(shape, options):
    x = Tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    assert tg.gradcheck(lambda t: F.interpolate(t, **options), [x])


def test_known_values():
    x = Tensor([[[0.0, 1.0, 2.0]]])
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=2)._data[0, 0],
                                  [0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(F.interpolate(x, size=5, mode="linear", align_corners=True)
                               ._data[0, 0], [0, 0.5, 1, 1.5, 2])
    np.testing.assert_allclose(F.interpolate(x, size=6, mode="linear")._data[0, 0],
                               [0, 0.25, 0.75, 1.25, 1.75, 2])
    assert F.interpolate(Tensor(np.ones((1, 1, 2, 2), np.float32)), scale_factor=2,
                         mode="bilinear").dtype == np.float32


def test_upsample_layer_and_repr():
    layer = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    x = Tensor(np.random.default_rng(1).standard_normal((1, 2, 3, 3)))
    np.testing.assert_array_equal(layer(x)._data, F.interpolate(
        x, scale_factor=2.0, mode="bilinear", align_corners=True)._data)
    assert repr(layer) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert repr(nn.Upsample(size=(3, 4))) == "Upsample(size=(3, 4), mode='nearest')"
    assert repr(nn.Upsample(scale_factor=(2, 1.5))) == \
        "Upsample(scale_factor=(2.0, 1.5), mode='nearest')"


def test_upsample_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    for kwargs in (dict(scale_factor=2), dict(size=5, mode="linear"),
                   dict(size=(3, 4), mode="bilinear", align_corners=False),
                   dict(scale_factor=(2, 1.5))):
        assert repr(nn.Upsample(**kwargs)) == repr(torch.nn.Upsample(**kwargs))


@pytest.mark.parametrize(("shape", "options", "error", "words"), [
    ((1, 2), dict(size=3), NotImplementedError, ["interpolate", "(1, 2)"]),
    ((1, 1, 2, 2, 2, 2), dict(size=3), NotImplementedError,
     ["interpolate", "(1, 1, 2, 2, 2, 2)"]),
    ((1, 1, 4), dict(), ValueError, ["interpolate", "size", "scale_factor", "neither"]),
    ((1, 1, 4), dict(size=2, scale_factor=2), ValueError, ["interpolate", "both"]),
    ((1, 1, 4), dict(size=2, mode="bicubic"), NotImplementedError,
     ["interpolate", "bicubic", "4-D"]),
    ((1, 1, 4, 4), dict(size=2, mode="trilinear"), NotImplementedError,
     ["interpolate", "trilinear", "5-D"]),
    ((1, 1, 4), dict(size=2, mode="cubic"), ValueError, ["interpolate", "cubic"]),
    ((1, 1, 4, 4), dict(size=2, mode="linear"), NotImplementedError,
     ["interpolate", "linear", "3-D", "(1, 1, 4, 4)"]),
    ((1, 1, 4), dict(size=2, mode="bilinear"), NotImplementedError,
     ["interpolate", "bilinear", "4-D", "(1, 1, 4)"]),
    ((1, 1, 4), dict(size=2, align_corners=True), ValueError, ["align_corners", "nearest"]),
    ((1, 1, 4, 4), dict(size=(2, 3, 4)), ValueError, ["interpolate", "size", "(1, 1, 4, 4)"]),
    ((1, 1, 4), dict(size=2, mode="linear", dtype=np.int64), TypeError,
     ["interpolate", "linear", "int64"]),
    ((1, 1, 4), dict(scale_factor=0.1), ValueError, ["interpolate", "output size", "(1, 1, 4)"]),
])
def test_errors_name_interpolate_the_argument_and_shape(shape, options, error, words):
    dtype = options.pop("dtype", np.float64)
    with pytest.raises(error) as caught:
        F.interpolate(Tensor(np.zeros(shape, dtype)), **options)
    for word in words:
        assert word in str(caught.value)


def test_older_upsampling_layers_match_pytorch():
    """UpsamplingNearest2d and UpsamplingBilinear2d (align_corners=True): values, gradients,
    repr."""
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(5).normal(size=(2, 3, 4, 5))
    for name, kwargs in (("UpsamplingNearest2d", {"scale_factor": 2}),
                         ("UpsamplingBilinear2d", {"size": (7, 9)}),
                         ("UpsamplingBilinear2d", {"scale_factor": 2})):
        ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        assert repr(ours) == repr(theirs)
        x, tx = tg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        y, ty = ours(x), theirs(tx)
        np.testing.assert_allclose(y._data, ty.detach().numpy(), atol=1e-10)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(x.grad._data, tx.grad.numpy(), atol=1e-10)
    assert str(tg.ByteTensor([1, 2]).dtype) == "torch.uint8"
    assert isinstance(tg.tensor(np.array([1], np.uint8)), tg.ByteTensor)


def test_area_mode_averages_each_output_cells_share_of_the_input():
    x = np.arange(2 * 6 * 4, dtype=np.float64).reshape(1, 2, 6, 4)
    out = F.interpolate(Tensor(x), size=(3, 2), mode="area")
    expected = x.reshape(1, 2, 3, 2, 2, 2).mean(axis=(3, 5))  # 2x2 blocks, by hand
    np.testing.assert_allclose(out.numpy(), expected)
    line = F.interpolate(Tensor(np.arange(6.0).reshape(1, 1, 6)), scale_factor=0.5, mode="area")
    np.testing.assert_allclose(line.numpy(), [[[0.5, 2.5, 4.5]]])


def test_nearest_exact_takes_the_source_whose_centre_is_nearest():
    x = np.arange(5.0).reshape(1, 1, 5)
    out = F.interpolate(Tensor(x), size=3, mode="nearest-exact")
    # centres of 3 outputs over 5 inputs: (d + 0.5) * 5 / 3 = 0.83, 2.5, 4.17 -> 0, 2, 4
    np.testing.assert_array_equal(out.numpy(), [[[0.0, 2.0, 4.0]]])


@pytest.mark.parametrize("mode", ["area", "nearest-exact"])
def test_area_and_nearest_exact_match_pytorch_with_gradients(mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for shape, sizes in (((2, 3, 7, 9), [dict(size=(3, 4)), dict(scale_factor=1.7)]),
                         ((2, 3, 10), [dict(size=4), dict(scale_factor=0.5)])):
        x = rng.normal(size=shape)
        for kwargs in sizes:
            ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            a = F.interpolate(ours, mode=mode, **kwargs)
            b = torch.nn.functional.interpolate(theirs, mode=mode, **kwargs)
            (a * a).sum().backward()
            (b * b).sum().backward()
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-12)
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


def _cubic_reference(row: np.ndarray, n_out: int) -> np.ndarray:
    """Keys' cubic convolution (a = -0.75) of one row at half-pixel centres, border repeated:
    written out per output pixel, independently of the library's vectorised weights."""
    a, n_in, out = -0.75, len(row), []
    for dst in range(n_out):
        source = (dst + 0.5) * n_in / n_out - 0.5
        base = int(np.floor(source))
        total = 0.0
        for k in range(-1, 3):
            d = abs(source - (base + k))
            w = ((a + 2) * d - (a + 3)) * d * d + 1 if d <= 1 else (
                ((a * d - 5 * a) * d + 8 * a) * d - 4 * a)
            total += w * row[min(max(base + k, 0), n_in - 1)]
        out.append(total)
    return np.array(out)


def test_bicubic_follows_the_cubic_convolution_and_keeps_constants():
    rng = np.random.default_rng(0)
    row = rng.standard_normal(6)
    image = tg.tensor(row.reshape(1, 1, 1, 6))
    out = F.interpolate(image, size=(1, 11), mode="bicubic")
    np.testing.assert_allclose(out.numpy().ravel(), _cubic_reference(row, 11), rtol=1e-10)
    flat = F.interpolate(tg.full((1, 2, 3, 4), 2.5, dtype=tg.float64), scale_factor=2.5,
                         mode="bicubic")
    np.testing.assert_allclose(flat.numpy(), 2.5)  # the four weights sum to 1
    x = tg.tensor(rng.standard_normal((1, 1, 3, 4)), requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: F.interpolate(t, size=(5, 3), mode="bicubic"), (x,))


@pytest.mark.parametrize(("shape", "options"), [
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bicubic")),
    ((1, 2, 6, 6), dict(size=(9, 4), mode="bicubic", align_corners=True)),
    ((1, 2, 6, 6), dict(scale_factor=1.7, mode="bicubic")),
    ((1, 1, 1, 5), dict(size=(3, 2), mode="bicubic")),
    ((1, 2, 3, 4, 5), dict(scale_factor=2, mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7), mode="trilinear", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(scale_factor=2)),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7))),
    ((1, 2, 3, 4, 5), dict(size=(2, 3, 2), mode="area")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7), mode="nearest-exact")),
])
def test_bicubic_trilinear_and_5d_match_pytorch(shape, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    values = rng.standard_normal(shape).astype(np.float32)
    x = tg.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    ours = F.interpolate(x, **options)
    theirs = torch.nn.functional.interpolate(t, **options)
    weight = rng.standard_normal(tuple(theirs.shape)).astype(np.float32)
    (ours * tg.tensor(weight)).sum().backward()
    (theirs * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-4)
