"""Convolution, pooling, unfold/fold: an op table over hypothesis-drawn geometries (stride,
padding, dilation, groups, ceil_mode, ...), checked against NumPy references written here
with explicit loops over output pixels, float64 central differences, PyTorch and float32;
then second derivatives, errors, PyTorch state dicts and the layers' initialisation."""

from __future__ import annotations

import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from test_ops import (
    Op,
    table_tests,
)

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


# ----------------------------------------------------------------------------- references
def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct convolution: one dot product per output pixel and channel."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    out_channels, per_group, kh, kw = w.shape
    if padding == "same":
        total = (dh * (kh - 1), dw * (kw - 1))
        pads = tuple((t // 2, t - t // 2) for t in total)
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        ph, pw = _pair(padding)
        pads = ((ph, ph), (pw, pw))
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    out_h = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], out_channels, out_h, out_w))
    per_out = out_channels // groups
    for o in range(out_channels):
        first = (o // per_out) * per_group
        for i in range(out_h):
            for j in range(out_w):
                patch = xp[:, first:first + per_group, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
    return out if b is None else out + b[:, None, None]


def ref_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return ref_conv2d(x[:, :, None], w[:, :, None], b, (1, stride), (0, padding),
                      (1, dilation), groups)[:, :, 0]


def ref_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                         dilation=1):
    """Scatter: every input pixel adds w * x into the output window it maps to."""
    (sh, sw), (ph, pw), (eh, ew), (dh, dw) = (_pair(v) for v in (stride, padding,
                                                                 output_padding, dilation))
    in_channels, per_out, kh, kw = w.shape
    n, _, height, width = x.shape
    full = np.zeros((n, per_out * groups, (height - 1) * sh + dh * (kh - 1) + 1 + eh,
                     (width - 1) * sw + dw * (kw - 1) + 1 + ew))
    per_in = in_channels // groups
    for g in range(groups):
        xs, ws = x[:, g * per_in:(g + 1) * per_in], w[g * per_in:(g + 1) * per_in]
        for i in range(height):
            for j in range(width):
                for a in range(kh):
                    for c in range(kw):
                        full[:, g * per_out:(g + 1) * per_out, i * sh + a * dh,
                             j * sw + c * dw] += xs[:, :, i, j] @ ws[:, :, a, c]
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out if b is None else out + b[:, None, None]


def _pool_windows(size, kernel, stride, padding, dilation, ceil_mode):
    """Start positions (in unpadded coordinates) of the windows along one axis, by PyTorch's
    documented output-size formula."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (int(np.ceil(span / stride)) if ceil_mode else span // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return [o * stride - padding for o in range(count)]


def ref_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    (kh, kw), (ph, pw), (dh, dw) = _pair(kernel_size), _pair(padding), _pair(dilation)
    sh, sw = _pair(kernel_size if stride is None else stride)
    rows = _pool_windows(x.shape[2], kh, sh, ph, dh, ceil_mode)
    cols = _pool_windows(x.shape[3], kw, sw, pw, dw, ceil_mode)
    out = np.empty(x.shape[:2] + (len(rows), len(cols)))
    for a, top in enumerate(rows):
        for c, left in enumerate(cols):
            hs = [top + i * dh for i in range(kh) if 0 <= top + i * dh < x.shape[2]]
            ws = [left + j * dw for j in range(kw) if 0 <= left + j * dw < x.shape[3]]
            out[:, :, a, c] = x[:, :, hs][:, :, :, ws].max(axis=(2, 3))
    return out


def ref_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True):
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(kernel_size if stride is None else stride)
    height, width = x.shape[2:]
    rows = _pool_windows(height, kh, sh, ph, 1, ceil_mode)
    cols = _pool_windows(width, kw, sw, pw, 1, ceil_mode)
    out = np.empty(x.shape[:2] + (len(rows), len(cols)))
    for a, top in enumerate(rows):
        for c, left in enumerate(cols):
            window = x[:, :, max(top, 0):top + kh, max(left, 0):left + kw]
            if count_include_pad:  # padded positions count, ceil_mode's overhang does not
                count = ((min(top + kh, height + ph) - top) * (min(left + kw, width + pw) - left))
            else:
                count = window.shape[2] * window.shape[3]
            out[:, :, a, c] = window.sum(axis=(2, 3)) / count
    return out


def _adaptive(x, output_size, reduce):
    out_h, out_w = _pair(output_size)
    height, width = x.shape[2:]
    out = np.empty(x.shape[:2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            rows = slice(i * height // out_h, -(-(i + 1) * height // out_h))
            cols = slice(j * width // out_w, -(-(j + 1) * width // out_w))
            out[:, :, i, j] = reduce(x[:, :, rows, cols], axis=(2, 3))
    return out


def ref_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(v) for v in (kernel_size, dilation,
                                                                 padding, stride))
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_h = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    columns = []
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                       j * sw:j * sw + dw * (kw - 1) + 1:dw]
            columns.append(patch.reshape(x.shape[0], -1))
    return np.stack(columns, axis=2)


def ref_fold(columns, output_size, kernel_size, dilation=1, padding=0, stride=1):
    (height, width), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (
        _pair(v) for v in (output_size, kernel_size, dilation, padding, stride))
    n, rows, _ = columns.shape
    channels = rows // (kh * kw)
    out = np.zeros((n, channels, height + 2 * ph, width + 2 * pw))
    out_w = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    for position in range(columns.shape[2]):
        i, j = divmod(position, out_w)
        patch = columns[:, :, position].reshape(n, channels, kh, kw)
        out[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw] \
            += patch
    return out[:, :, ph:ph + height, pw:pw + width]


# ----------------------------------------------------------------------------- inputs
def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _distinct(rng, shape):
    """Values at least 0.1 apart: max pooling has no ties, so its gradient is smooth."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.1 - 0.05 * size).reshape(shape)


@st.composite
def conv_case(draw, transposed=False):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    per_in, per_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 1)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = [draw(st.integers(max(1, s - 2 * p), max(1, s - 2 * p) + 4))
            for s, p in zip(spans, padding)]
    rng = _rng(draw)
    n = draw(st.integers(1, 2))
    if transposed:
        extra = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        size = [draw(st.integers(1, 4)) for _ in range(2)]
        # The output must be non-empty: (n - 1) s - 2 p + d (k - 1) + extra + 1 >= 1.
        padding = tuple(min(p, ((n_ - 1) * s + d * (k - 1) + e) // 2) for p, n_, s, d, k, e
                        in zip(padding, size, stride, dilation, kernel, extra))
        x = rng.uniform(-2, 2, (n, groups * per_in, *size))
        w = rng.uniform(-1, 1, (groups * per_in, per_out, *kernel))
        return [x, w, rng.uniform(-1, 1, groups * per_out)], {
            "stride": stride, "padding": padding, "output_padding": extra, "groups": groups,
            "dilation": dilation}
    x = rng.uniform(-2, 2, (n, groups * per_in, *size))
    w = rng.uniform(-1, 1, (groups * per_out, per_in, *kernel))
    options = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    if stride == (1, 1) and draw(st.booleans()):
        options["padding"] = draw(st.sampled_from(["same", "valid"]))
        if options["padding"] == "valid":
            x = rng.uniform(-2, 2, (n, groups * per_in, spans[0] + 1, spans[1] + 2))
    return [x, w, rng.uniform(-1, 1, groups * per_out)], options


@st.composite
def conv1d_case(draw):
    groups = draw(st.sampled_from([1, 2]))
    kernel, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation, padding = draw(st.integers(1, 2)), draw(st.integers(0, 2))
    length = draw(st.integers(max(1, dilation * (kernel - 1) + 1 - 2 * padding), 7))
    rng = _rng(draw)
    x = rng.uniform(-2, 2, (draw(st.integers(1, 2)), 2 * groups, length))
    w = rng.uniform(-1, 1, (groups * draw(st.integers(1, 2)), 2, kernel))
    return [x, w], {"stride": stride, "padding": padding, "dilation": dilation,
                    "groups": groups}


@st.composite
def pool_case(draw, average=False, one_d=False):
    kernel = (1 if one_d else draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (1 if one_d else draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if average else (1 if one_d else draw(st.integers(1, 2)),
                                       draw(st.integers(1, 2)))
    # Padding up to half the kernel, as PyTorch allows; none with dilation, where a window
    # could then hold only padding (PyTorch gives -inf there, and so does this library).
    padding = tuple(0 if (one_d and axis == 0) or d > 1 else draw(st.integers(0, k // 2))
                    for axis, (k, d) in enumerate(zip(kernel, dilation)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = [draw(st.integers(max(1, s - 2 * p), s + 4)) for s, p in zip(spans, padding)]
    rng = _rng(draw)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)
    x = rng.uniform(-2, 2, shape) if average else _distinct(rng, shape)
    options = {"kernel_size": kernel, "stride": stride, "padding": padding,
               "ceil_mode": draw(st.booleans())}
    if average:
        options["count_include_pad"] = draw(st.booleans())
    else:
        options["dilation"] = dilation
    if one_d:
        x = x[:, :, 0]
        options = {key: value[1] if isinstance(value, tuple) else value
                   for key, value in options.items()}
    elif draw(st.booleans()):  # the default stride (= kernel_size)
        del options["stride"]
    return [x], options


@st.composite
def adaptive_case(draw, distinct=False):
    rng = _rng(draw)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 7)),
             draw(st.integers(1, 7)))
    x = _distinct(rng, shape) if distinct else rng.uniform(-2, 2, shape)
    return [x], {"output_size": (draw(st.integers(1, 4)), draw(st.integers(1, 4)))}


@st.composite
def unfold_case(draw, fold=False):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation, padding = (draw(st.integers(1, 2)), 1), (draw(st.integers(0, 1)), 0)
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = tuple(draw(st.integers(max(1, s - 2 * p), s + 3)) for s, p in zip(spans, padding))
    rng = _rng(draw)
    options = {"kernel_size": kernel, "dilation": dilation, "padding": padding,
               "stride": stride}
    channels, n = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    if not fold:
        return [rng.uniform(-2, 2, (n, channels, *size))], options
    blocks = [(s + 2 * p - sp) // st_ + 1 for s, p, sp, st_ in zip(size, padding, spans, stride)]
    columns = rng.uniform(-2, 2, (n, channels * kernel[0] * kernel[1], blocks[0] * blocks[1]))
    return [columns], {"output_size": size, **options}


def _torch_f(name):
    def call(*tensors, **options):
        import torch.nn.functional as TF

        with warnings.catch_warnings():
            # PyTorch warns (once) that 'same' with an even kernel pads a copy of the input.
            warnings.filterwarnings("ignore", message="Using padding='same'")
            return getattr(TF, name)(*tensors, **options)

    return call


OPS = [
    Op("conv2d", F.conv2d, ref_conv2d, conv_case(), _torch_f("conv2d")),
    Op("conv1d", F.conv1d, ref_conv1d, conv1d_case(), _torch_f("conv1d")),
    Op("conv_transpose2d", F.conv_transpose2d, ref_conv_transpose2d, conv_case(True),
       _torch_f("conv_transpose2d")),
    Op("max_pool2d", F.max_pool2d, ref_max_pool2d, pool_case(), _torch_f("max_pool2d")),
    Op("max_pool1d", F.max_pool1d,
       lambda x, **o: ref_max_pool2d(x[:, :, None], **{k: (1, v) if k != "padding" else (0, v)
                                                       for k, v in o.items()
                                                       if k != "ceil_mode"},
                                     ceil_mode=o["ceil_mode"])[:, :, 0],
       pool_case(one_d=True), _torch_f("max_pool1d")),
    Op("avg_pool2d", F.avg_pool2d, ref_avg_pool2d, pool_case(average=True),
       _torch_f("avg_pool2d")),
    Op("avg_pool1d", F.avg_pool1d,
       lambda x, **o: ref_avg_pool2d(x[:, :, None], (1, o["kernel_size"]),
                                     (1, o["stride"]), (0, o["padding"]), o["ceil_mode"],
                                     o["count_include_pad"])[:, :, 0],
       pool_case(average=True, one_d=True), _torch_f("avg_pool1d")),
    Op("adaptive_avg_pool2d", F.adaptive_avg_pool2d,
       lambda x, output_size: _adaptive(x, output_size, np.mean), adaptive_case(),
       _torch_f("adaptive_avg_pool2d")),
    Op("adaptive_max_pool2d", F.adaptive_max_pool2d,
       lambda x, output_size: _adaptive(x, output_size, np.max), adaptive_case(distinct=True),
       _torch_f("adaptive_max_pool2d")),
    Op("unfold", F.unfold, ref_unfold, unfold_case(), _torch_f("unfold")),
    Op("fold", F.fold, ref_fold, unfold_case(fold=True), _torch_f("fold")),
]


(test_forward_matches_numpy, test_backward_matches_central_differences, test_matches_pytorch,
 test_float32_stays_float32) = table_tests(OPS)


# ----------------------------------------------------------------------------- gradients
def test_gradcheck_small_cases():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 4, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2, 3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(4), requires_grad=True)
    assert tg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
                        [x, w, b])
    wt = Tensor(rng.standard_normal((4, 3, 2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1,
                                                        dilation=(1, 2)), [x, wt])
    depthwise = Tensor(rng.standard_normal((4, 1, 3, 3)), requires_grad=True)
    assert tg.gradcheck(lambda x, w: F.conv2d(x, w, padding="same", groups=4), [x, depthwise])
    assert tg.gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), [x])


@pytest.mark.parametrize("case", ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
                                  "adaptive_max_pool2d", "unfold"])
def test_second_derivatives_match_pytorch(case):
    """create_graph=True: the gradient of (sum of squared gradients), against PyTorch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 6, 5))
    arrays, options = {
        "conv2d": ([x, rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)],
                   {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}),
        "conv_transpose2d": ([x, rng.standard_normal((4, 3, 2, 3)), rng.standard_normal(6)],
                             {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
        "max_pool2d": ([x], {"kernel_size": 3, "stride": 2, "padding": 1}),
        "avg_pool2d": ([x], {"kernel_size": 2, "stride": 1, "count_include_pad": False,
                             "padding": 1}),
        "adaptive_max_pool2d": ([x], {"output_size": (4, 3)}),
        "unfold": ([x], {"kernel_size": 2, "stride": (1, 2), "padding": 1}),
    }[case]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = (getattr(F, case)(*ours, **options) ** 3).sum()
    grads = tg.grad(y, ours, create_graph=True)
    second = tg.grad(sum((g * g).sum() for g in grads), ours)
    ty = (getattr(torch.nn.functional, case)(*theirs, **options) ** 3).sum()
    tgrads = torch.autograd.grad(ty, theirs, create_graph=True)
    tsecond = torch.autograd.grad(sum((g * g).sum() for g in tgrads), theirs)
    for mine, reference in zip(second, tsecond):
        np.testing.assert_allclose(mine._data, reference.numpy(), rtol=1e-9, atol=1e-9)


def test_max_pool_ties_go_to_the_first_maximum_as_in_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).integers(0, 2, (2, 3, 6, 7)).astype(np.float64)
    for options in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1},
                    {"kernel_size": 2, "stride": 2, "ceil_mode": True}):
        ours = Tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        y, indices = F.max_pool2d(ours, return_indices=True, **options)
        ty, tindices = torch.nn.functional.max_pool2d(theirs, return_indices=True, **options)
        upstream = np.random.default_rng(3).standard_normal(y.shape)
        y.backward(upstream)
        ty.backward(torch.tensor(upstream))
        np.testing.assert_array_equal(indices._data, tindices.numpy())
        np.testing.assert_allclose(ours.grad._data, theirs.grad.numpy(), rtol=1e-12)
    values, indices = F.adaptive_max_pool2d(Tensor(x), (4, 3), return_indices=True)
    _, tindices = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (4, 3), True)
    np.testing.assert_array_equal(indices._data, tindices.numpy())


@pytest.mark.parametrize("x, options", [
    (np.array([[[[np.nan, 1.0, np.nan], [2.0, np.nan, 0.0], [0.0, 0.0, 3.0]]]]),
     {"kernel_size": 2, "stride": 1}),
    (np.array([[[[np.nan, 1.0, np.nan], [2.0, np.nan, 0.0], [0.0, 0.0, 3.0]]]]),
     {"kernel_size": 3, "stride": 1, "padding": 1}),
    (np.full((1, 1, 3, 3), -np.inf), {"kernel_size": 3, "stride": 2, "padding": 1}),
    (np.full((1, 2, 3, 4), -np.inf), {"kernel_size": 2, "stride": 2, "ceil_mode": True}),
], ids=["nan", "nan-padded", "-inf-padded", "-inf-ceil"])
def test_max_pool_of_nan_and_minus_inf_picks_pytorchs_element(x, options):
    """A NaN window picks its last NaN; padding never wins, even against -inf."""
    torch = pytest.importorskip("torch")
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, indices = F.max_pool2d(ours, return_indices=True, **options)
    ty, tindices = torch.nn.functional.max_pool2d(theirs, return_indices=True, **options)
    upstream = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(upstream)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(indices._data, tindices.numpy())
    np.testing.assert_allclose(ours.grad._data, theirs.grad.numpy(), rtol=1e-12)


def test_extreme_values_stay_finite_and_inputs_unchanged():
    x = np.array([[[[1000.0, -1000.0, 999.0], [-999.0, 1000.0, -1000.0], [0.5, 2, 3]]]])
    w = np.full((2, 1, 2, 2), 1000.0)
    copy_x, copy_w = x.copy(), w.copy()
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    loss = F.max_pool2d(F.conv2d(xt, wt, padding=1), 2, ceil_mode=True).sum() + \
        F.avg_pool2d(xt, 2, 1).sum()
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(xt.grad._data).all()
    np.testing.assert_array_equal(x, copy_x)
    np.testing.assert_array_equal(w, copy_w)


def test_unbatched_inputs_and_modules():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 8, 8)).astype(np.float32)
    conv = nn.Conv2d(3, 4, 3, padding=1)
    batched = conv(Tensor(x[None]))
    np.testing.assert_allclose(conv(Tensor(x))._data, batched._data[0], rtol=1e-6)
    assert nn.MaxPool2d(2)(Tensor(x)).shape == (3, 4, 4)
    assert nn.AvgPool2d(2, 1)(Tensor(x)).shape == (3, 7, 7)
    assert nn.AdaptiveAvgPool2d((None, 3))(Tensor(x[None])).shape == (1, 3, 8, 3)
    assert nn.AdaptiveMaxPool2d(1)(Tensor(x[None])).shape == (1, 3, 1, 1)
    assert nn.Conv1d(3, 2, 3, stride=2)(Tensor(x[:, 0])).shape == (2, 3)
    assert nn.MaxPool1d(2)(Tensor(x[None, :, 0])).shape == (1, 3, 4)
    assert nn.AvgPool1d(3, 1, 1)(Tensor(x[None, :, 0])).shape == (1, 3, 8)
    assert nn.ConvTranspose2d(3, 5, 2, stride=2)(Tensor(x[None])).shape == (1, 5, 16, 16)
    columns = nn.Unfold(2, stride=2)(Tensor(x[None]))
    np.testing.assert_array_equal(nn.Fold(8, 2, stride=2)(columns)._data[0], x)
    assert "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" == repr(conv)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(tg.zeros(1, 4, 5, 5), tg.zeros(3, 2, 3, 3), groups=2),
     r"conv2d: groups=2 must .* divide the weight's out_channels .*\(3, 2, 3, 3\)"),
    (lambda: F.conv2d(tg.zeros(1, 3, 5, 5), tg.zeros(4, 2, 3, 3)),
     r"conv2d: input of shape \(1, 3, 5, 5\) has 3 channels, but weight of shape "
     r"\(4, 2, 3, 3\) with groups=1 expects 2"),
    (lambda: F.conv2d(tg.zeros(1, 1, 2, 2), tg.zeros(1, 1, 3, 3)),
     r"conv2d: the input of shape \(1, 1, 2, 2\), padded to 2x2, is smaller than the kernel"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), stride=2, padding="same"),
     r"conv2d: padding='same' is not supported for strided"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), padding="full"),
     r"conv2d: padding must be"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), bias=tg.zeros(2)),
     r"conv2d: bias must have shape \(1,\)"),
    (lambda: F.conv2d(tg.zeros(1, 4, 4), tg.zeros(1, 1, 3)), r"conv2d: weight must be 4-D"),
    (lambda: F.conv1d(tg.zeros(1, 1, 2), tg.zeros(1, 1, 3)),
     r"conv1d: the input of shape \(1, 1, 2\), padded to 2"),
    (lambda: F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), stride=0),
     r"conv2d: stride must be positive"),
    (lambda: F.conv_transpose2d(tg.zeros(1, 2, 3, 3), tg.zeros(2, 1, 3, 3), stride=2,
                                output_padding=2),
     r"conv_transpose2d: .*output_padding \(2, 2\) smaller"),
    (lambda: F.conv_transpose2d(tg.zeros(1, 3, 3, 3), tg.zeros(2, 1, 3, 3)),
     r"conv_transpose2d: input of shape \(1, 3, 3, 3\) has 3 channels"),
    (lambda: F.max_pool2d(tg.zeros(1, 1, 4, 4), 2, padding=2),
     r"max_pool2d: padding \(2, 2\) must be .* at most half"),
    (lambda: F.max_pool2d(tg.zeros(1, 1, 1, 4), 2), r"max_pool2d: the input of shape"),
    (lambda: F.avg_pool2d(tg.zeros(2, 3), 2), r"avg_pool2d: expected a 3-D .* shape \(2, 3\)"),
    (lambda: F.fold(tg.zeros(1, 5, 4), (3, 3), 2), r"fold: expected input \(N, C\*2\*2, 2\*2\)"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"in_channels must be divisible by groups"),
])
def test_bad_arguments_name_the_op_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bad_argument_types():
    with pytest.raises(RuntimeError, match="conv2d: stride must be an int or a pair"):
        F.conv2d(tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 3, 3), stride=(1, 1, 1))  # (PyTorch's)
    with pytest.raises(TypeError, match=r"avg_pool2d: input must be a float \(or int64\) "
                                        r"tensor, got int32"):
        F.avg_pool2d(Tensor(np.ones((1, 1, 4, 4), dtype=np.int32)), 2)


def test_any_memory_layout_in_and_out():
    """Inputs that are strided views (a transposed, sliced batch) give the same values and
    gradients as contiguous copies; outputs feed NumPy code as ordinary arrays."""
    rng = np.random.default_rng(9)
    base = rng.standard_normal((6, 9, 3, 8))
    view = base.transpose(3, 2, 1, 0)[::2]  # (4, 3, 9, 6), no axis contiguous
    w = rng.standard_normal((5, 3, 2, 3))
    results = []
    for x in (view, np.ascontiguousarray(view)):
        xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        y = F.max_pool2d(F.conv2d(xt, wt, padding=1, stride=(1, 2)).relu(), 2, ceil_mode=True)
        (y * Tensor(np.arange(y._data.size).reshape(y.shape))).sum().backward()
        results.append((y._data.copy(), xt.grad._data, wt.grad._data))
    for first, second in zip(*results):
        np.testing.assert_allclose(first, second, rtol=1e-12, atol=1e-12)
    assert results[0][0].reshape(-1).shape == (results[0][0].size,)


# ----------------------------------------------------------------------------- state dicts
@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
    lambda m: m.Conv2d(3, 5, 3, padding="same", bias=False),
    lambda m: m.Conv1d(4, 2, 3, stride=2, padding=1),
    lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
])
def test_pytorch_state_dict_loads_unchanged(make):
    """Build the layer in PyTorch, load its state dict's arrays into ours: same outputs and
    same gradients for the input and every parameter."""
    torch = pytest.importorskip("torch")
    theirs = make(torch.nn)
    ours = make(nn)
    state = {key: value.detach().numpy() for key, value in theirs.state_dict().items()}
    assert list(state) == list(ours.state_dict())
    assert all(state[key].shape == value.shape for key, value in ours.state_dict().items())
    ours.load_state_dict(state)
    spatial = (7, 6) if "1d" not in type(ours).__name__ else (9,)
    x = np.random.default_rng(5).standard_normal((2, ours.in_channels, *spatial))
    x = x.astype(np.float32)
    xt, tx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xt), theirs(tx)
    np.testing.assert_allclose(y._data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    upstream = np.random.default_rng(6).standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xt.grad._data, tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    for name, parameter in ours.named_parameters():
        reference = dict(theirs.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(parameter.grad._data, reference, rtol=1e-5, atol=1e-4)


def test_default_init_is_pytorchs_and_reproducible():
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * kernel pixels, for
    weight and bias (ConvTranspose: weight.shape[1] is out_channels / groups)."""
    tg.manual_seed(0)  # the spread checks below fail for ~3 % of draws of a 32-value bias
    for layer, fan_in in ((nn.Conv2d(8, 64, 3, groups=2), 4 * 9),
                          (nn.ConvTranspose2d(16, 32, 2, groups=4), 8 * 4),
                          (nn.Conv1d(3, 300, 5), 15)):
        bound = 1 / np.sqrt(fan_in)
        for parameter in (layer.weight, layer.bias):
            values = parameter._data
            assert values.dtype == np.float32
            assert np.abs(values).max() <= bound
            assert np.abs(values).max() > 0.9 * bound  # spread over the whole interval
        assert abs(layer.weight._data.std() - bound / np.sqrt(3)) < 0.1 * bound
    tg.manual_seed(7)
    first = nn.Conv2d(2, 3, 3).weight._data.copy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3).weight._data, first)


def test_lenet_step_matches_pytorch():
    """A whole conv-ReLU-pool-conv-ReLU-pool-linear step: loss and every gradient."""
    torch = pytest.importorskip("torch")
    layers = lambda m: m.Sequential(  # noqa: E731
        m.Conv2d(1, 4, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(4, 8, 3, padding=1), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
        m.Linear(8 * 49, 10))
    theirs, ours = layers(torch.nn), layers(nn)
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    rng = np.random.default_rng(8)
    x = rng.random((16, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    loss = F.cross_entropy(ours(Tensor(x)), labels)
    tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(labels))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    for (name, parameter), (_, reference) in zip(ours.named_parameters(),
                                                 theirs.named_parameters()):
        assert parameter.grad.dtype == np.float32
        np.testing.assert_allclose(parameter.grad._data, reference.grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)


# ------------------------------------------------------------ padding modes other than zeros
@pytest.mark.parametrize("mode, numpy_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                              ("circular", "wrap")])
def test_conv2d_padding_modes_pad_the_input_as_numpy_does(mode, numpy_mode):
    import tinygrad_np.nn as tnn

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 6, 5)).astype(np.float32)
    conv = tnn.Conv2d(3, 4, 3, padding=2, padding_mode=mode)
    plain = tnn.Conv2d(3, 4, 3)  # the same weights on the input padded by NumPy
    plain.load_state_dict(conv.state_dict())
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), mode=numpy_mode)
    np.testing.assert_allclose(conv(Tensor(x)).numpy(), plain(Tensor(padded)).numpy(),
                               rtol=1e-5, atol=1e-5)
    assert f"padding_mode={mode}" in repr(conv)


def test_conv_padding_modes_match_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    import tinygrad_np.nn as tnn

    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 7, 6)).astype(np.float32)
    for mode in ("reflect", "replicate", "circular"):
        for padding, dilation in ((1, 1), ((2, 1), 1), ("same", 2)):
            theirs = torch.nn.Conv2d(3, 4, 3, padding=padding, dilation=dilation,
                                     padding_mode=mode)
            ours = tnn.Conv2d(3, 4, 3, padding=padding, dilation=dilation, padding_mode=mode)
            ours.load_state_dict({k: Tensor(v.detach().numpy())
                                  for k, v in theirs.state_dict().items()})
            tx, ox = torch.tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
            ty, oy = theirs(tx), ours(ox)
            (ty * ty).sum().backward()
            (oy * oy).sum().backward()
            np.testing.assert_allclose(oy.detach().numpy(), ty.detach().numpy(), atol=1e-5)
            np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), atol=1e-4)
            np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                                       rtol=1e-4, atol=1e-3)


def test_an_unknown_padding_mode_or_one_on_a_transposed_conv_is_refused():
    import tinygrad_np.nn as tnn

    with pytest.raises(ValueError, match="padding_mode must be"):
        tnn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for Conv'):
        tnn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


# ------------------------------------------------------------------------------- max unpooling
def test_max_unpool2d_puts_each_maximum_back_in_place():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]]]])
    pooled, indices = F.max_pool2d(Tensor(x, requires_grad=True), 2, return_indices=True)
    out = nn.MaxUnpool2d(2)(pooled, indices)
    np.testing.assert_array_equal(out.detach().numpy(),
                                  [[[[0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 7.0, 0.0]]]])
    source = Tensor(np.array([[[[2.0, 3.0]]]]), requires_grad=True)
    (F.max_unpool2d(source, indices, 2) * Tensor(np.arange(8.0).reshape(1, 1, 2, 4))).sum(
    ).backward()
    np.testing.assert_array_equal(source.grad.numpy(), [[[[1.0, 6.0]]]])  # read back at 1, 6
    with pytest.raises(ValueError, match="outside the output plane"):
        F.max_unpool2d(pooled, indices + 100, 2)


def test_max_unpool_matches_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for shape, kernel, stride, padding, size in (((2, 3, 6, 8), 2, None, 0, None),
                                                  ((2, 3, 7, 9), 3, 2, 1, None),
                                                  ((2, 3, 6, 7), 2, None, 0, (6, 7))):
        x = rng.normal(size=shape)
        ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, i = F.max_pool2d(ours, kernel, stride, padding, return_indices=True)
        ty, ti = torch.nn.functional.max_pool2d(theirs, kernel, stride, padding,
                                                return_indices=True)
        a = nn.MaxUnpool2d(kernel, stride, padding)(y, i, output_size=size)
        b = torch.nn.MaxUnpool2d(kernel, stride, padding)(ty, ti, output_size=size)
        (a * a).sum().backward()
        (b * b).sum().backward()
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
    line = rng.normal(size=(2, 3, 9))
    y, i = F.max_pool1d(Tensor(line), 2, return_indices=True)
    ty, ti = torch.nn.functional.max_pool1d(torch.tensor(line), 2, return_indices=True)
    np.testing.assert_array_equal(nn.MaxUnpool1d(2)(y, i, output_size=[9]).numpy(),
                                  torch.nn.MaxUnpool1d(2)(ty, ti, output_size=[9]).numpy())
    assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))


def test_convolutions_take_an_empty_batch_as_pytorch():
    x = Tensor(np.zeros((0, 3, 5, 5), np.float32), requires_grad=True)
    conv = nn.Conv2d(3, 2, 3)
    y = conv(x)
    assert y.shape == (0, 2, 3, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 5, 5)
    np.testing.assert_array_equal(conv.weight.grad.numpy(), np.zeros((2, 3, 3, 3)))
    assert nn.ConvTranspose2d(3, 2, 3)(Tensor(np.zeros((0, 3, 4, 4)))).shape == (0, 2, 6, 6)
    assert nn.Conv1d(3, 2, 3)(Tensor(np.zeros((0, 3, 5)))).shape == (0, 2, 3)


def test_max_unpool_checks_output_size_as_pytorch():
    x = np.random.default_rng(6).normal(size=(2, 3, 6, 7))
    y, i = F.max_pool2d(Tensor(x), 2, return_indices=True)
    assert F.max_unpool2d(y, i, 2, output_size=(2, 3, 6, 7)).shape == (2, 3, 6, 7)
    for bad in ((9, 9), (6, 7, 1), (3, 6, 7)):
        with pytest.raises(ValueError, match="output_size"):
            F.max_unpool2d(y, i, 2, output_size=bad)
    line, index = F.max_pool1d(Tensor(x[0, :, 0]), 2, return_indices=True)
    assert F.max_unpool1d(line, index, 2, output_size=(1, 3, 7)).shape == (3, 7)
    with pytest.raises(ValueError, match="output_size"):
        F.max_unpool1d(line, index, 2, output_size=(3, 7))
