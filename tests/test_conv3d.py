"""The 3-D layers from the outside: conv3d, conv_transpose3d, max/avg/adaptive pooling and
their modules, BatchNorm3d and InstanceNorm3d. Values (and the convolution's gradients) are
checked against NumPy references written here with explicit loops over voxels, gradients
against float64 central differences, and, where PyTorch is installed, everything against it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor
from tinygrad_np.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None


def _triple(value):
    return (value,) * 3 if isinstance(value, int) else tuple(value)


def _torch_grads(function, arrays, upstream, **options):
    """PyTorch's output and gradients of sum(output * upstream) for each array."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():  # PyTorch's note on even kernels with padding='same'
        warnings.simplefilter("ignore", UserWarning)
        out = function(*tensors, **options)
    values = out[0] if isinstance(out, tuple) else out
    values.backward(torch.tensor(upstream))
    return out, [t.grad.numpy() for t in tensors]


def _our_grads(function, arrays, upstream, **options):
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = function(*tensors, **options)
    (out[0] if isinstance(out, tuple) else out).backward(upstream)
    return out, [t.grad._data for t in tensors]


# ----------------------------------------------------------------------------- references
def _conv_pads(padding, kernel, dilation):
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    if padding == "valid":
        return [(0, 0)] * 3
    return [(p, p) for p in _triple(padding)]


def ref_conv3d(x, w, b, upstream, stride=1, padding=0, dilation=1, groups=1):
    """Direct 3-D convolution, one dot product per output voxel and channel, and in the same
    loop the gradients of sum(y * upstream) for x, w and b."""
    stride, dilation = _triple(stride), _triple(dilation)
    out_channels, per_group, *kernel = w.shape
    pads = _conv_pads(padding, kernel, dilation)
    padded = np.pad(x, [(0, 0), (0, 0), *pads])
    out_size = [(n - d * (k - 1) - 1) // s + 1
                for n, k, s, d in zip(padded.shape[2:], kernel, stride, dilation)]
    y = np.zeros((x.shape[0], out_channels, *out_size))
    grad_padded, grad_w = np.zeros_like(padded), np.zeros_like(w)
    for o in range(out_channels):
        first = o // (out_channels // groups) * per_group
        for voxel in np.ndindex(*out_size):
            window = (slice(None), slice(first, first + per_group)) + tuple(
                slice(v * s, v * s + d * (k - 1) + 1, d)
                for v, s, d, k in zip(voxel, stride, dilation, kernel))
            y[(slice(None), o) + voxel] = np.tensordot(padded[window], w[o], 4)
            g = upstream[(slice(None), o) + voxel]
            grad_padded[window] += g[:, None, None, None, None] * w[o]
            grad_w[o] += np.tensordot(g, padded[window], 1)
    inside = (slice(None), slice(None)) + tuple(
        slice(before, before + n) for (before, _), n in zip(pads, x.shape[2:]))
    bias = 0 if b is None else b[:, None, None, None]
    return y + bias, grad_padded[inside], grad_w, upstream.sum(axis=(0, 2, 3, 4))


def ref_conv_transpose3d(x, w, b, stride=1, padding=0, output_padding=0, groups=1,
                         dilation=1):
    """Every input voxel adds x * its kernel at (its position * stride), then the border
    `padding` is cut off: the definition of the transposed convolution."""
    stride, padding = _triple(stride), _triple(padding)
    extra, dilation = _triple(output_padding), _triple(dilation)
    in_channels, per_group, *kernel = w.shape
    full = [(n - 1) * s + d * (k - 1) + 1 + e
            for n, s, d, k, e in zip(x.shape[2:], stride, dilation, kernel, extra)]
    y = np.zeros((x.shape[0], per_group * groups, *full))
    for c in range(in_channels):
        group = c // (in_channels // groups)
        for voxel in np.ndindex(*x.shape[2:]):
            window = (slice(None), slice(group * per_group, (group + 1) * per_group)) + tuple(
                slice(v * s, v * s + d * (k - 1) + 1, d)
                for v, s, d, k in zip(voxel, stride, dilation, kernel))
            y[window] += x[(slice(None), c) + voxel][:, None, None, None, None] * w[c]
    inside = (slice(None), slice(None)) + tuple(slice(p, n - p) for p, n in zip(padding, full))
    return y[inside] + (0 if b is None else b[:, None, None, None])


def _pool_windows(size, kernel, stride, padding, dilation, ceil_mode):
    """Per axis: for each output position, the input positions of its window (some may be
    padding, outside [0, size)), and the end of the zero-padded range it may count."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    starts = np.arange(out) * stride - padding
    return [start + dilation * np.arange(kernel) for start in starts]


def ref_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               reduce="max", count_include_pad=True, divisor_override=None):
    """Max or mean over each window, looping over output voxels."""
    kernel = _triple(kernel_size)
    stride = kernel if stride is None else _triple(stride)
    padding, dilation = _triple(padding), _triple(dilation)
    windows = [_pool_windows(n, k, s, p, d, ceil_mode) for n, k, s, p, d in
               zip(x.shape[2:], kernel, stride, padding, dilation)]
    y = np.zeros(x.shape[:2] + tuple(len(w) for w in windows))
    for voxel in np.ndindex(*y.shape[2:]):
        positions = [axis[v] for axis, v in zip(windows, voxel)]
        real = [p[(p >= 0) & (p < n)] for p, n in zip(positions, x.shape[2:])]
        values = x[:, :, real[0]][:, :, :, real[1]][..., real[2]].reshape(*x.shape[:2], -1)
        if reduce == "max":
            y[(slice(None), slice(None)) + voxel] = values.max(axis=2)
            continue
        if divisor_override:
            divisor = divisor_override
        elif count_include_pad:  # padding counts, the part ceil_mode adds past it does not
            divisor = np.prod([min(p[-1] + 1, n + pad) - p[0]
                               for p, n, pad in zip(positions, x.shape[2:], padding)])
        else:
            divisor = values.shape[2]
        y[(slice(None), slice(None)) + voxel] = values.sum(axis=2) / divisor
    return y


def ref_adaptive_pool3d(x, output_size, reduce):
    sizes = [n if s is None else s for n, s in zip(x.shape[2:], _triple(output_size))]
    y = np.zeros(x.shape[:2] + tuple(sizes))
    for voxel in np.ndindex(*sizes):
        window = (slice(None), slice(None)) + tuple(
            slice(v * n // out, -(-(v + 1) * n // out))
            for v, n, out in zip(voxel, x.shape[2:], sizes))
        y[(slice(None), slice(None)) + voxel] = reduce(x[window], axis=(2, 3, 4))
    return y


# ----------------------------------------------------------------------------- conv3d
CONV_CASES = {
    "plain": ((2, 4, 5, 6, 7), (6, 4, 3, 2, 3), {}),
    "stride-padding": ((2, 3, 6, 5, 7), (4, 3, 3, 3, 3), {"stride": 2, "padding": 1}),
    "triples": ((1, 4, 7, 6, 5), (6, 2, 3, 2, 2),
                {"stride": (1, 2, 3), "padding": (2, 0, 1), "dilation": (2, 1, 2),
                 "groups": 2}),
    "same-odd": ((2, 2, 5, 4, 6), (3, 2, 3, 3, 1), {"padding": "same"}),
    "same-even-dilated": ((1, 2, 6, 5, 5), (2, 2, 2, 4, 2),
                          {"padding": "same", "dilation": (3, 1, 2)}),
    "valid-no-bias": ((2, 3, 4, 5, 3), (2, 3, 2, 2, 2), {"padding": "valid", "bias": False}),
    "depthwise": ((2, 4, 5, 5, 5), (8, 1, 3, 3, 3), {"groups": 4, "padding": 1}),
    "unbatched": ((3, 5, 4, 6), (2, 3, 2, 3, 2), {"stride": (2, 1, 1)}),
    "kernel-1": ((2, 3, 3, 1, 2), (5, 3, 1, 1, 1), {}),
}


@pytest.mark.parametrize("case", list(CONV_CASES))
def test_conv3d_values_and_gradients(case):
    """Forward and the gradients of x, w and b against the loop reference (always) and
    PyTorch (where installed), for a non-uniform upstream gradient."""
    x_shape, w_shape, options = CONV_CASES[case]
    options = dict(options)
    with_bias = options.pop("bias", True)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    arrays = [x, w] + ([rng.standard_normal(w_shape[0])] if with_bias else [])
    unbatched = len(x_shape) == 4
    upstream = rng.standard_normal(F.conv3d(Tensor(x), Tensor(w), **options).shape)
    y, gx, gw, gb = ref_conv3d(x[None] if unbatched else x, w, arrays[2] if with_bias else None,
                               upstream[None] if unbatched else upstream, **options)
    if unbatched:
        y, gx = y[0], gx[0]
    ours, grads = _our_grads(F.conv3d, arrays, upstream, **options)
    np.testing.assert_allclose(ours._data, y, rtol=1e-10, atol=1e-10)
    for mine, reference in zip(grads, [gx, gw, gb][:len(arrays)]):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-10)
    if torch is not None:
        theirs, torch_grads = _torch_grads(torch.nn.functional.conv3d, arrays, upstream,
                                           **options)
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)
        for mine, reference in zip(grads, torch_grads):
            np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- conv_transpose3d
TRANSPOSE_CASES = {
    "plain": ((2, 3, 3, 4, 2), (3, 2, 2, 3, 2), {}),
    "stride-output-padding": ((1, 2, 3, 2, 3), (2, 3, 3, 2, 3),
                              {"stride": 2, "padding": 1, "output_padding": 1}),
    "groups-dilation": ((2, 4, 2, 3, 3), (4, 1, 2, 2, 3),
                        {"stride": (2, 1, 3), "padding": (1, 0, 2), "groups": 2,
                         "dilation": (2, 1, 1), "output_padding": (1, 0, 2)}),
    "unbatched-no-bias": ((2, 3, 2, 2), (2, 3, 2, 2, 2), {"stride": (1, 2, 1), "bias": False}),
}


@pytest.mark.parametrize("case", list(TRANSPOSE_CASES))
def test_conv_transpose3d_values_and_gradients(case):
    """Forward against the scatter definition, conv_transpose3d as the adjoint of conv3d
    (<T(g), x> = <g, conv(x)>), and everything against PyTorch where installed."""
    x_shape, w_shape, options = TRANSPOSE_CASES[case]
    options = dict(options)
    with_bias = options.pop("bias", True)
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    groups = options.get("groups", 1)
    arrays = [x, w] + ([rng.standard_normal(w_shape[1] * groups)] if with_bias else [])
    unbatched = len(x_shape) == 4
    expected = ref_conv_transpose3d(x[None] if unbatched else x, w,
                                    arrays[2] if with_bias else None, **options)
    expected = expected[0] if unbatched else expected
    upstream = rng.standard_normal(expected.shape)
    ours, grads = _our_grads(F.conv_transpose3d, arrays, upstream, **options)
    np.testing.assert_allclose(ours._data, expected, rtol=1e-10, atol=1e-10)
    # The adjoint: the input gradient of conv_transpose3d is conv3d of the upstream gradient.
    forward = {key: value for key, value in options.items() if key != "output_padding"}
    np.testing.assert_allclose(grads[0], F.conv3d(Tensor(upstream), Tensor(w), **forward)._data,
                               rtol=1e-10, atol=1e-10)
    if torch is not None:
        theirs, torch_grads = _torch_grads(torch.nn.functional.conv_transpose3d, arrays,
                                           upstream, **options)
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)
        for mine, reference in zip(grads, torch_grads):
            np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- pooling
POOL_CASES = {
    "kernel-2": ((2, 3, 4, 6, 5), {"kernel_size": 2}),
    "padding-ceil": ((2, 2, 5, 6, 7), {"kernel_size": 3, "stride": 2, "padding": 1,
                                       "ceil_mode": True}),
    "triples": ((1, 2, 7, 5, 6), {"kernel_size": (3, 2, 2), "stride": (2, 1, 3),
                                  "padding": (1, 0, 1)}),
    "ceil-odd": ((2, 1, 5, 3, 7), {"kernel_size": (2, 3, 2), "ceil_mode": True}),
    "unbatched": ((3, 4, 5, 4), {"kernel_size": 2, "stride": 1}),
}
MAX_ONLY = {
    "dilated": ((1, 2, 6, 5, 7), {"kernel_size": (2, 2, 3), "stride": 1, "dilation": (2, 1, 2),
                                  "padding": (1, 0, 1)}),
}
AVG_ONLY = {
    "exclude-pad": ((2, 2, 5, 6, 4), {"kernel_size": 3, "stride": 2, "padding": 1,
                                      "ceil_mode": True, "count_include_pad": False}),
    "divisor": ((1, 2, 4, 5, 6), {"kernel_size": (2, 3, 2), "stride": (1, 2, 2),
                                  "padding": (1, 1, 0), "divisor_override": 5}),
}


def _check_pool(function, torch_function, x, reference, indices_too, **options):
    """Values against the reference; gradients (and indices) against PyTorch if installed.
    Indices are also checked without PyTorch: each one must point at its maximum."""
    upstream = np.random.default_rng(2).standard_normal(reference.shape)
    if indices_too:
        options = {**options, "return_indices": True}
    ours, (grad,) = _our_grads(function, [x], upstream, **options)
    values = ours[0] if indices_too else ours
    np.testing.assert_allclose(values._data, reference, rtol=1e-12, atol=1e-12)
    if indices_too:
        index = ours[1]._data
        assert index.dtype == np.int64 and index.shape == reference.shape
        planes = x.reshape(*x.shape[:-3], -1)
        picked = np.take_along_axis(planes, index.reshape(*index.shape[:-3], -1), axis=-1)
        np.testing.assert_array_equal(picked.reshape(reference.shape), reference)
    if torch is not None:
        theirs, (torch_grad,) = _torch_grads(torch_function, [x], upstream, **options)
        np.testing.assert_allclose(grad, torch_grad, rtol=1e-12, atol=1e-12)
        if indices_too:
            np.testing.assert_array_equal(ours[1]._data, theirs[1].numpy())


@pytest.mark.parametrize("case", list(POOL_CASES) + list(MAX_ONLY))
def test_max_pool3d(case):
    shape, options = {**POOL_CASES, **MAX_ONLY}[case]
    x = np.random.default_rng(3).standard_normal(shape)
    batched = x[None] if x.ndim == 4 else x
    reference = ref_pool3d(batched, reduce="max", **options)
    reference = reference[0] if x.ndim == 4 else reference
    _check_pool(F.max_pool3d, torch and torch.nn.functional.max_pool3d, x, reference, True,
                **options)


@pytest.mark.parametrize("case", list(POOL_CASES) + list(AVG_ONLY))
def test_avg_pool3d(case):
    shape, options = {**POOL_CASES, **AVG_ONLY}[case]
    x = np.random.default_rng(4).standard_normal(shape)
    batched = x[None] if x.ndim == 4 else x
    reference = ref_pool3d(batched, reduce="mean", **options)
    reference = reference[0] if x.ndim == 4 else reference
    _check_pool(F.avg_pool3d, torch and torch.nn.functional.avg_pool3d, x, reference, False,
                **options)


@pytest.mark.parametrize("output_size", [2, (3, None, 4), (5, 6, 7), (2, 4, 1), (4, 3, 5)])
def test_adaptive_pool3d(output_size):
    x = np.random.default_rng(5).standard_normal((2, 3, 5, 6, 7))
    _check_pool(F.adaptive_avg_pool3d, torch and torch.nn.functional.adaptive_avg_pool3d, x,
                ref_adaptive_pool3d(x, output_size, np.mean), False, output_size=output_size)
    _check_pool(F.adaptive_max_pool3d, torch and torch.nn.functional.adaptive_max_pool3d, x,
                ref_adaptive_pool3d(x, output_size, np.max), True, output_size=output_size)


def test_max_pool3d_ties_go_to_the_first_maximum():
    """Zeros and ones: many ties. The gradient goes to the first maximum in (depth, row,
    column) order, as PyTorch."""
    x = np.random.default_rng(6).integers(0, 2, (2, 2, 4, 4, 4)).astype(np.float64)
    y, index = F.max_pool3d(Tensor(x), 2, return_indices=True)
    windows = x.reshape(2, 2, 2, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 6, 3, 5, 7)
    first = windows.reshape(2, 2, 2, 2, 2, 8).argmax(axis=-1)  # argmax: the first maximum
    depth, row, column = np.unravel_index(first, (2, 2, 2))
    grid = np.indices((2, 2, 2))
    expected = (2 * grid[0] + depth) * 16 + (2 * grid[1] + row) * 4 + 2 * grid[2] + column
    np.testing.assert_array_equal(index._data, expected)
    if torch is not None:
        for options in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}):
            _, ours = _our_grads(F.max_pool3d, [x], np.ones_like(
                F.max_pool3d(Tensor(x), **options)._data), **options)
            _, theirs = _torch_grads(torch.nn.functional.max_pool3d, [x], np.ones_like(
                F.max_pool3d(Tensor(x), **options)._data), **options)
            np.testing.assert_array_equal(ours[0], theirs[0])


# ----------------------------------------------------------------------------- gradcheck
def test_gradcheck_float64():
    rng = np.random.default_rng(7)

    def leaf(*shape):
        return Tensor(rng.standard_normal(shape), requires_grad=True)

    x, w, b = leaf(1, 4, 3, 4, 3), leaf(4, 2, 2, 2, 2), leaf(4)
    assert gradcheck(lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, groups=2),
                     [x, w, b])
    assert gradcheck(lambda x, w: F.conv3d(x, w, padding="same", dilation=(1, 2, 1)),
                     [leaf(1, 2, 3, 3, 2), leaf(2, 2, 2, 2, 1)])
    assert gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, output_padding=1,
                                                        padding=(1, 0, 1)),
                     [leaf(1, 2, 2, 2, 2), leaf(2, 1, 2, 2, 2), leaf(1)])
    x = leaf(1, 2, 4, 5, 4)
    assert gradcheck(lambda x: F.max_pool3d(x, 3, 2, 1, ceil_mode=True), [x])
    assert gradcheck(lambda x: F.avg_pool3d(x, 2, (1, 2, 2), 1, ceil_mode=True,
                                            count_include_pad=False), [x])
    assert gradcheck(lambda x: F.adaptive_avg_pool3d(x, (3, 2, 3)), [x])
    assert gradcheck(lambda x: F.adaptive_max_pool3d(x, (3, 2, 3)), [x])


def test_second_derivatives():
    """create_graph: gradgradcheck (float64 central differences of the gradient) and, where
    installed, PyTorch's gradient of the sum of squared first gradients."""
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((1, 2, 3, 3, 3)), rng.standard_normal((2, 2, 2, 2, 2))
    options = {"stride": (1, 2, 1), "padding": 1}
    leaves = [Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)]
    assert gradgradcheck(lambda x, w: F.conv3d(x, w, **options), leaves)
    if torch is None:
        return
    for function, arrays in (("conv3d", [x, w]), ("max_pool3d", [x])):
        settings = options if function == "conv3d" else {"kernel_size": 2, "stride": 1}
        ours = [Tensor(a, requires_grad=True) for a in arrays]
        y = (getattr(F, function)(*ours, **settings) ** 3).sum()
        grads = tg.grad(y, ours, create_graph=True)
        second = tg.grad(sum((g * g).sum() for g in grads), ours)
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        ty = (getattr(torch.nn.functional, function)(*theirs, **settings) ** 3).sum()
        tgrads = torch.autograd.grad(ty, theirs, create_graph=True)
        tsecond = torch.autograd.grad(sum((g * g).sum() for g in tgrads), theirs)
        for mine, reference in zip(second, tsecond):
            np.testing.assert_allclose(mine._data, reference.numpy(), rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------- modules
MODULES = [
    lambda m: m.Conv3d(4, 6, (3, 2, 3), stride=(2, 1, 1), padding=1, dilation=(1, 2, 1),
                       groups=2),
    lambda m: m.Conv3d(3, 5, 2, padding="same", bias=False),
    lambda m: m.Conv3d(2, 3, 3, padding=(1, 2, 1), padding_mode="reflect"),
    lambda m: m.Conv3d(2, 3, (2, 3, 3), padding="same", padding_mode="replicate"),
    lambda m: m.Conv3d(2, 4, 3, stride=2, padding=1, padding_mode="circular"),
    lambda m: m.ConvTranspose3d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
]


@pytest.mark.parametrize("make", MODULES)
def test_conv_modules_take_pytorchs_weights(make):
    """The state dict keys and shapes are PyTorch's, so its weights load and give the same
    values and gradients (input and every parameter); the repr reads as PyTorch's."""
    ours = make(nn)
    assert list(ours.state_dict()) == ["weight", "bias"][:2 if ours.bias is not None else 1]
    if torch is None:
        return
    theirs = make(torch.nn)
    assert repr(ours) == repr(theirs)
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    ours.load_state_dict(state)
    x = np.random.default_rng(9).standard_normal((2, ours.in_channels, 4, 5, 6))
    x = x.astype(np.float32)
    xt, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xt), theirs(tx)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y._data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    upstream = np.random.default_rng(10).standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xt.grad._data, tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    for name, parameter in ours.named_parameters():
        reference = dict(theirs.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(parameter.grad._data, reference, rtol=1e-4, atol=1e-4)


def test_conv3d_default_init_and_output_size():
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, fan_in = weight.shape[1] *
    kernel voxels; ConvTranspose3d's forward(output_size=) picks the output padding."""
    tg.manual_seed(0)
    for layer, fan_in in ((nn.Conv3d(4, 64, 3, groups=2), 2 * 27),
                          (nn.ConvTranspose3d(8, 32, 2, groups=4), 8 * 8)):
        bound = 1 / np.sqrt(fan_in)
        for parameter in (layer.weight, layer.bias):
            assert parameter._data.dtype == np.float32
            assert bound >= np.abs(parameter._data).max() > 0.9 * bound
    assert nn.Conv3d(4, 8, (1, 2, 3)).weight.shape == (8, 4, 1, 2, 3)
    up = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    assert up(tg.zeros(1, 2, 3, 4, 5), output_size=(6, 8, 9)).shape == (1, 3, 6, 8, 9)
    with pytest.raises(ValueError, match="ConvTranspose3d: requested an output size"):
        up(tg.zeros(1, 2, 3, 4, 5), output_size=(7, 8, 9))


def test_pool_modules_and_unbatched_inputs():
    x = np.random.default_rng(11).standard_normal((2, 3, 5, 6, 4))
    xt = Tensor(x)
    y, index = nn.MaxPool3d(2, return_indices=True)(xt)
    np.testing.assert_array_equal(y._data, F.max_pool3d(xt, 2)._data)
    np.testing.assert_array_equal(index._data, F.max_pool3d(xt, 2, return_indices=True)[1]._data)
    np.testing.assert_array_equal(nn.AvgPool3d(3, 2, 1, count_include_pad=False)(xt)._data,
                                  F.avg_pool3d(xt, 3, 2, 1, count_include_pad=False)._data)
    assert nn.AdaptiveAvgPool3d((None, 2, 1))(xt).shape == (2, 3, 5, 2, 1)
    assert nn.AdaptiveMaxPool3d(1)(xt).shape == (2, 3, 1, 1, 1)
    single = Tensor(x[0])
    for layer in (nn.Conv3d(3, 2, 2), nn.ConvTranspose3d(3, 2, 2, stride=2), nn.MaxPool3d(2),
                  nn.AvgPool3d(2), nn.AdaptiveAvgPool3d(2), nn.AdaptiveMaxPool3d(2),
                  nn.InstanceNorm3d(3)):
        np.testing.assert_allclose(layer(single)._data, layer(Tensor(x[:1]))._data[0],
                                   rtol=1e-6, atol=1e-6)
    assert nn.Conv3d(3, 2, 2)(Tensor(np.zeros((0, 3, 3, 3, 3), np.float32))).shape == \
        (0, 2, 2, 2, 2)


# ----------------------------------------------------------------------------- normalisation
def test_batchnorm3d_trains_and_evaluates():
    """Per-channel statistics over (N, D, H, W), the running ones updated with momentum and
    the unbiased variance; eval uses them. Against NumPy, and PyTorch where installed."""
    x = np.random.default_rng(12).standard_normal((3, 2, 3, 4, 5)) * 2 + 1
    ours = nn.BatchNorm3d(2)
    with tg.no_grad():
        ours.weight.copy_(tg.tensor(np.array([1.5, -0.5], np.float32)))
        ours.bias.copy_(tg.tensor(np.array([0.2, 0.1], np.float32)))
    xt = Tensor(x.astype(np.float32), requires_grad=True)
    y = ours(xt)
    mean, var = x.mean(axis=(0, 2, 3, 4)), x.var(axis=(0, 2, 3, 4))
    shape = (1, 2, 1, 1, 1)
    expected = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5)
    expected = expected * np.array([1.5, -0.5]).reshape(shape) + np.array([0.2, 0.1]).reshape(
        shape)
    np.testing.assert_allclose(y._data, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.running_mean._data, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(ours.running_var._data, 0.9 + 0.1 * var * 180 / 179, rtol=1e-5)
    upstream = np.random.default_rng(13).standard_normal(x.shape).astype(np.float32)
    y.backward(upstream)
    ours.eval()
    evaluated = ours(Tensor(x.astype(np.float32)))._data
    with pytest.raises(ValueError, match=r"BatchNorm3d: expected 5D input, got shape"):
        ours(tg.zeros(2, 2, 3, 3))
    if torch is None:
        return
    theirs = torch.nn.BatchNorm3d(2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([1.5, -0.5]))
        theirs.bias.copy_(torch.tensor([0.2, 0.1]))
    tx = torch.tensor(x.astype(np.float32), requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y._data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad._data, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad._data, theirs.weight.grad.numpy(), rtol=1e-4)
    theirs.eval()
    np.testing.assert_allclose(evaluated, theirs(torch.tensor(x.astype(np.float32)))
                               .detach().numpy(), rtol=1e-5, atol=1e-5)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_instancenorm3d():
    x = np.random.default_rng(14).standard_normal((2, 3, 3, 4, 2)) * 3 - 1
    layer = nn.InstanceNorm3d(3, affine=True)
    with tg.no_grad():
        layer.weight.copy_(tg.tensor(np.array([1.0, 2.0, -1.0], np.float32)))
    xt = Tensor(x, requires_grad=True)
    y = layer(xt)
    axes = (2, 3, 4)
    expected = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(
        x.var(axis=axes, keepdims=True) + 1e-5) * np.array([1.0, 2.0, -1.0])[:, None, None, None]
    np.testing.assert_allclose(y._data, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="InstanceNorm3d: expected 4-D or 5-D input"):
        layer(tg.zeros(2, 3, 4))
    if torch is None:
        return
    theirs = torch.nn.InstanceNorm3d(3, affine=True).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([1.0, 2.0, -1.0]))
    tx = torch.tensor(x, requires_grad=True)
    upstream = np.random.default_rng(15).standard_normal(x.shape)
    y.backward(upstream)
    theirs(tx).backward(torch.tensor(upstream))
    np.testing.assert_allclose(xt.grad._data, tx.grad.numpy(), rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- errors, names
@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv3d(tg.zeros(2, 4, 4), tg.zeros(1, 2, 3, 3, 3)), ValueError,
     r"conv3d: expected a 4-D \(unbatched\) or 5-D input, got shape \(2, 4, 4\)"),
    (lambda: F.conv3d(tg.zeros(1, 2, 4, 4, 4), tg.zeros(1, 2, 3, 3)), ValueError,
     r"conv3d: weight must be 5-D .* got shape \(1, 2, 3, 3\)"),
    (lambda: F.conv3d(tg.zeros(1, 3, 4, 4, 4), tg.zeros(2, 2, 3, 3, 3)), ValueError,
     r"conv3d: input of shape \(1, 3, 4, 4, 4\) has 3 channels, but weight of shape "
     r"\(2, 2, 3, 3, 3\) with groups=1 expects 2"),
    (lambda: F.conv3d(tg.zeros(1, 4, 4, 4, 4), tg.zeros(3, 2, 3, 3, 3), groups=2), ValueError,
     r"conv3d: groups=2 must .* divide the weight's out_channels"),
    (lambda: F.conv3d(tg.zeros(1, 1, 2, 5, 5), tg.zeros(1, 1, 3, 3, 3)), ValueError,
     r"conv3d: the input of shape \(1, 1, 2, 5, 5\), padded to 2x5x5, is smaller than the "
     r"kernel 3x3x3"),
    (lambda: F.conv3d(tg.zeros(1, 1, 4, 4, 4), tg.zeros(1, 1, 2, 2, 2), dilation=(4, 1, 1)),
     ValueError, r"conv3d: .*padded to 4x4x4, is smaller than the kernel 2x2x2 \(dilated: "
     r"5x2x2\)"),
    (lambda: F.conv3d(tg.zeros(1, 1, 4, 4, 4), tg.zeros(1, 1, 3, 3, 3), bias=tg.zeros(2)),
     ValueError, r"conv3d: bias must have shape \(1,\), got \(2,\)"),
    (lambda: F.conv3d(tg.zeros(1, 1, 4, 4, 4), tg.zeros(1, 1, 3, 3, 3), stride=2,
                      padding="same"), ValueError, r"conv3d: padding='same' is not supported"),
    (lambda: F.conv3d(tg.zeros(1, 1, 4, 4, 4), tg.zeros(1, 1, 3, 3, 3), padding="full"),
     ValueError, r"conv3d: padding must be 'valid', 'same'"),
    (lambda: F.conv3d(tg.zeros(1, 1, 4, 4, 4), tg.zeros(1, 1, 3, 3, 3), padding=-1),
     ValueError, r"conv3d: padding must be non-negative"),
    (lambda: F.conv3d(tg.zeros(1, 1, 4, 4, 4), tg.zeros(1, 1, 3, 3, 3), stride=(1, 1)),
     RuntimeError, r"conv3d: stride must be an int or 3 ints, got \(1, 1\)"),
    (lambda: F.conv3d(tg.zeros(1, 1, 4, 4, 4), tg.zeros(1, 1, 3, 3, 3), stride=0),
     ValueError, r"conv3d: stride must be positive"),
    (lambda: F.conv_transpose3d(tg.zeros(1, 3, 2, 2, 2), tg.zeros(2, 1, 2, 2, 2)), ValueError,
     r"conv_transpose3d: input of shape \(1, 3, 2, 2, 2\) has 3 channels, but weight of "
     r"shape \(2, 1, 2, 2, 2\) expects 2"),
    (lambda: F.conv_transpose3d(tg.zeros(1, 2, 2, 2, 2), tg.zeros(2, 1, 2, 2, 2), stride=2,
                                output_padding=(0, 2, 0)), ValueError,
     r"conv_transpose3d: .*output_padding \(0, 2, 0\) smaller"),
    (lambda: F.max_pool3d(tg.zeros(1, 1, 4, 4, 4), 2, padding=(0, 2, 0)), ValueError,
     r"max_pool3d: padding \(0, 2, 0\) must be .* at most half the kernel size \(2, 2, 2\)"),
    (lambda: F.max_pool3d(tg.zeros(1, 1, 1, 4, 4), 2), ValueError,
     r"max_pool3d: the input of shape \(1, 1, 1, 4, 4\), padded to 1x4x4, is smaller than "
     r"the kernel 2x2x2"),
    (lambda: F.avg_pool3d(tg.zeros(2, 3, 4), 2), ValueError,
     r"avg_pool3d: expected a 4-D \(unbatched\) or 5-D input, got shape \(2, 3, 4\)"),
    (lambda: F.avg_pool3d(Tensor(np.zeros((1, 1, 2, 2, 2), np.int32)), 2), TypeError,
     r"avg_pool3d: input must be a float \(or int64\) tensor, got int32"),
    (lambda: F.avg_pool3d(tg.zeros(1, 1, 2, 2, 2), 2, divisor_override=0), ValueError,
     r"avg_pool3d: divisor_override must not be zero"),
    (lambda: F.adaptive_avg_pool3d(tg.zeros(1, 1, 2, 2, 2), (2, 2)), RuntimeError,
     r"adaptive_avg_pool3d: output_size must be an int or 3 sizes, got \(2, 2\)"),
    (lambda: F.adaptive_max_pool3d(tg.zeros(1, 1, 2, 2, 2), -1), ValueError,
     r"adaptive_max_pool3d: output_size \(-1, -1, -1\) must be >= 0"),
    (lambda: nn.Conv3d(3, 4, 3, groups=2), ValueError,
     r"in_channels must be divisible by groups"),
    (lambda: nn.ConvTranspose3d(2, 2, 3, padding_mode="reflect"), ValueError,
     r'Only "zeros" padding mode is supported for ConvTranspose3d'),
    (lambda: nn.Conv3d(2, 2, 3)(tg.zeros(2, 5, 5)), ValueError,
     r"conv3d: expected a 4-D \(unbatched\) or 5-D input, got shape \(2, 5, 5\)"),
])
def test_bad_arguments_name_the_function_and_shapes(call, error, message):
    with pytest.raises(error, match=message):
        call()


NAMES = {nn: ["Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
              "AdaptiveMaxPool3d", "BatchNorm3d", "InstanceNorm3d"],
         F: ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
             "adaptive_max_pool3d"]}


def test_names_are_exported_where_pytorch_has_them():
    for namespace, names in NAMES.items():
        assert all(callable(getattr(namespace, name)) for name in names)
    assert all(name in nn.__all__ for name in NAMES[nn])
    assert nn.modules.conv.Conv3d is nn.Conv3d and nn.modules.pooling.MaxPool3d is nn.MaxPool3d
    assert nn.modules.batchnorm.BatchNorm3d is nn.BatchNorm3d
    if torch is not None:
        assert all(hasattr(torch.nn, name) for name in NAMES[nn])
        assert all(hasattr(torch.nn.functional, name) for name in NAMES[F])


@pytest.mark.parametrize("name, mode", [("ReflectionPad3d", "reflect"),
                                        ("CircularPad3d", "circular")])
def test_reflection_and_circular_3d_padding_layers(name, mode):
    values = np.random.default_rng(0).standard_normal((1, 2, 3, 4, 5))
    layer = getattr(nn, name)((1, 2, 1, 0, 2, 1))
    x = tg.tensor(values, requires_grad=True)
    out = layer(x)
    expected = np.pad(values, ((0, 0), (0, 0), (2, 1), (1, 0), (1, 2)),
                      mode="reflect" if mode == "reflect" else "wrap")
    np.testing.assert_allclose(out.detach().numpy(), expected)
    (out * out).sum().backward()
    assert x.grad.shape == values.shape


def test_lp_pool3d_is_the_p_norm_of_each_window():
    values = np.abs(np.random.default_rng(1).standard_normal((1, 2, 4, 4, 4))) + 0.1
    x = tg.tensor(values, requires_grad=True)
    out = nn.LPPool3d(3, 2)(x)
    windows = values.reshape(1, 2, 2, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 6, 3, 5, 7)
    expected = (windows.reshape(1, 2, 2, 2, 2, 8) ** 3).sum(-1) ** (1 / 3)
    np.testing.assert_allclose(out.detach().numpy(), expected)
    assert tg.autograd.gradcheck(lambda t: F.lp_pool3d(t, 3, 2), (x,))


def test_max_unpool3d_puts_each_maximum_back_in_place():
    values = np.random.default_rng(2).standard_normal((2, 3, 4, 6, 6))
    x = tg.tensor(values, requires_grad=True)
    pooled, indices = F.max_pool3d(x, 2, return_indices=True)
    restored = nn.MaxUnpool3d(2)(pooled, indices)
    kept = restored.detach().numpy()
    assert kept.shape == values.shape and np.count_nonzero(kept) == pooled.numel()
    np.testing.assert_array_equal(kept[kept != 0], values[kept != 0])  # maxima in place
    (restored * restored).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept != 0, 2 * values, 0.0))
    assert F.max_unpool3d(pooled, indices, 2, output_size=(5, 7, 7)).shape == (2, 3, 5, 7, 7)
    with pytest.raises(ValueError, match="max_unpool3d: output_size"):
        F.max_unpool3d(pooled, indices, 2, output_size=(9, 9, 9))
