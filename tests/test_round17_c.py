"""Round 17 (c): convolutional nets as people write them, against PyTorch 2.13.

- Argument forms: a stride/padding/dilation/kernel_size/output_size sequence of ints of the
  wrong length is PyTorch's RuntimeError (a non-int still a TypeError) in the 1-D, 2-D and 3-D
  convolutions, transposed convolutions, pools, unfold/fold and adaptive pools.
- Adaptive pools refuse integer and bool input (PyTorch's NotImplementedError).
- avg_pool3d refuses an input axis shorter than the kernel, padding not counted.
- The deprecated F.upsample spellings warn; the Upsampling modules do not.
- conv_transpose's double backward (a gradient penalty) with output_padding >= stride.
- Two PyTorch interpolate bugs not copied: 'nearest' 3-D gradients at a fractional scale and
  antialiased resizes to width 1 (true values pinned).
- stack's size error; batch_norm's eps > 0 in training and momentum=None checks; the
  zero-element weight warning of Linear and the convolutions; max_unpool takes int64 indices.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None


def _x(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def _same_error(call, expected: type, match: str) -> None:
    """`call(tg)` raises `expected` naming the op and argument; `call(torch)` raises it too."""
    with pytest.raises(expected, match=match):
        call(tg)
    if torch is not None:
        with pytest.raises(expected):
            call(torch)


X4, X5 = _x(1, 2, 6, 6), _x(1, 2, 5, 5, 5)
WRONG_LENGTH = [  # (call, the message's start)
    (lambda m: m.nn.functional.conv2d(m.tensor(X4), m.ones(3, 2, 3, 3), stride=(1, 1, 1)),
     r"conv2d: stride must be an int or a pair of ints, got \(1, 1, 1\)"),
    (lambda m: m.nn.functional.conv2d(m.tensor(X4), m.ones(3, 2, 3, 3), padding=[]),
     r"conv2d: padding must be"),
    (lambda m: m.nn.functional.conv2d(m.tensor(X4), m.ones(3, 2, 3, 3), dilation=[1, 1, 1]),
     r"conv2d: dilation must be"),
    (lambda m: m.nn.functional.conv1d(m.tensor(X4[0]), m.ones(3, 6, 3), stride=(1, 1)),
     r"conv1d: stride must be an int, got \(1, 1\)"),
    (lambda m: m.nn.functional.conv3d(m.tensor(X5), m.ones(2, 2, 3, 3, 3), stride=(1, 1)),
     r"conv3d: stride must be an int or 3 ints"),
    (lambda m: m.nn.functional.conv_transpose2d(m.tensor(X4), m.ones(2, 2, 3, 3),
                                                output_padding=(1, 1, 1)),
     r"conv_transpose2d: output_padding must be"),
    (lambda m: m.nn.functional.conv_transpose1d(m.tensor(X4[0]), m.ones(6, 2, 3),
                                                stride=(1, 2)),
     r"conv_transpose1d: stride must be an int"),
    (lambda m: m.nn.functional.max_pool2d(m.tensor(X4), (2, 2, 2)),
     r"max_pool2d: kernel_size must be"),
    (lambda m: m.nn.functional.avg_pool2d(m.tensor(X4), 2, stride=(2, 2, 2)),
     r"avg_pool2d: stride must be"),
    (lambda m: m.nn.functional.max_pool1d(m.tensor(X4[0]), (2, 2)),
     r"max_pool1d: kernel_size must be an int"),
    (lambda m: m.nn.functional.avg_pool1d(m.tensor(X4[0]), (2, 2)),
     r"avg_pool1d: kernel_size must be an int"),
    (lambda m: m.nn.functional.max_pool3d(m.tensor(X5), (2, 2)), r"max_pool3d: kernel_size"),
    (lambda m: m.nn.functional.avg_pool3d(m.tensor(X5), (2, 2)), r"avg_pool3d: kernel_size"),
    (lambda m: m.nn.functional.unfold(m.tensor(X4), (2, 2, 2)), r"unfold: kernel_size"),
    (lambda m: m.nn.MaxPool2d((2, 3, 1))(m.tensor(X4)), r"max_pool2d: kernel_size"),
    (lambda m: m.nn.Conv2d(2, 3, 3, stride=(2, 2, 2))(m.tensor(X4)), r"conv2d: stride"),
    (lambda m: m.nn.functional.adaptive_avg_pool3d(m.tensor(X5), (2, 2)),
     r"adaptive_avg_pool3d: output_size must be an int or 3 sizes, got \(2, 2\)"),
    (lambda m: m.nn.functional.adaptive_max_pool3d(m.tensor(X5), (2, 2)),
     r"adaptive_max_pool3d: output_size"),
    (lambda m: m.nn.functional.adaptive_avg_pool1d(m.tensor(X4[0]), (2, 2)),
     r"adaptive_avg_pool1d: output_size must be an int"),
    (lambda m: m.nn.functional.adaptive_max_pool2d(m.tensor(X4), (2, 2, 2)),
     r"adaptive_max_pool2d: output_size must be an int or a pair"),
]


@pytest.mark.parametrize(("call", "match"), WRONG_LENGTH)
def test_wrong_length_int_sequence_is_runtime_error(call, match):
    _same_error(call, RuntimeError, match)


NOT_INTS = [
    (lambda m: m.nn.functional.conv2d(m.tensor(X4), m.ones(3, 2, 3, 3), stride=(1.5, 1)),
     r"conv2d: stride must be"),
    (lambda m: m.nn.functional.max_pool1d(m.tensor(X4[0]), 2.0), r"max_pool1d: kernel_size"),
    (lambda m: m.nn.functional.adaptive_avg_pool2d(m.tensor(X4), (2.0, 2)),
     r"adaptive_avg_pool2d: output_size must be ints \(or None\), got \(2.0, 2\)"),
    (lambda m: m.nn.functional.adaptive_avg_pool2d(m.tensor(X4), "2"),
     r"adaptive_avg_pool2d: output_size must be ints"),
    (lambda m: m.nn.functional.adaptive_avg_pool3d(m.tensor(X5), (2, None, 2.0)),
     r"adaptive_avg_pool3d: output_size must be ints"),
    (lambda m: m.nn.functional.adaptive_max_pool1d(m.tensor(X4[0]), 2.0),
     r"adaptive_max_pool1d: output_size must be an int, got 2.0"),
    (lambda m: m.nn.functional.adaptive_avg_pool1d(m.tensor(X4[0]), None),
     r"adaptive_avg_pool1d: output_size must be an int, got None"),
]


@pytest.mark.parametrize(("call", "match"), NOT_INTS)
def test_non_int_arguments_stay_type_errors(call, match):
    _same_error(call, TypeError, match)


def test_the_error_classes_keep_working_forms():
    """One int in a sequence, ints in lists, a 0-d integer tensor and None still work."""
    x = tg.tensor(X4)
    assert F.conv2d(x, tg.ones(3, 2, 3, 3), stride=[2], padding=(1,)).shape == (1, 3, 3, 3)
    assert F.max_pool1d(x[0], [2]).shape == (2, 6, 3)
    assert F.conv1d(x[0], tg.ones(3, 6, 3), stride=[2]).shape == (2, 3, 2)
    assert F.adaptive_avg_pool2d(x, tg.tensor(3)).shape == (1, 2, 3, 3)
    assert F.adaptive_avg_pool2d(x, (None, 4)).shape == (1, 2, 6, 4)
    assert F.adaptive_max_pool1d(x[0], (4,)).shape == (2, 6, 4)
    assert F.adaptive_avg_pool3d(tg.tensor(X5), (2, None, 3)).shape == (1, 2, 2, 5, 3)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
@pytest.mark.parametrize("function", ["adaptive_avg_pool2d", "adaptive_max_pool2d",
                                      "adaptive_avg_pool1d", "adaptive_avg_pool3d",
                                      "adaptive_max_pool3d"])
def test_adaptive_pools_refuse_non_float_input(function, dtype):
    """PyTorch's adaptive pools are not implemented for integer or bool tensors; a float mean
    of an int64 tensor (or an int64 max) is not what PyTorch code gets."""
    ndim = {"1": 3, "2": 4, "3": 5}[function[-2]]
    data = (np.arange(2 * 4 ** (ndim - 2)) % 3).reshape((2,) + (4,) * (ndim - 2))  # unbatched

    def call(m):
        return getattr(m.nn.functional, function)(m.tensor(data.astype(dtype)), 3)

    _same_error(call, NotImplementedError, rf'"adaptive_{function[9:12]}_pool\dd" not '
                                           rf"implemented for {dtype}")
    half = getattr(F, function)(tg.tensor(data.astype(np.float16)), 2)
    assert half.dtype == tg.float16


# ---- avg_pool3d: PyTorch refuses an input axis shorter than the kernel, padding or not ------
@pytest.mark.parametrize(("shape", "kernel", "padding", "ceil_mode"), [
    ((1, 2, 2, 6, 3), (4, 4, 1), (2, 2, 0), False),  # padded depth 6 >= 4, depth 2 < 4
    ((1, 1, 6, 1, 7), (2, 2, 3), (1, 1, 1), False),  # only the height is short
    ((1, 1, 1, 4, 2), (4, 2, 1), (2, 0, 0), True),
])
def test_avg_pool3d_input_shorter_than_kernel_is_refused(shape, kernel, padding, ceil_mode):
    data = _x(*shape)

    def call(m):
        return m.nn.functional.avg_pool3d(m.tensor(data), kernel, 1, padding, ceil_mode)

    _same_error(call, RuntimeError, r"avg_pool3d: input image \(T: \d+ H: \d+ W: \d+\) "
                                    r"smaller than kernel size")
    with pytest.raises(RuntimeError, match="avg_pool3d: .*smaller than"):
        tg.nn.LPPool3d(2, kernel)(tg.tensor(np.abs(data)))


def test_avg_pool3d_kernel_equal_to_the_input_still_works():
    x = tg.tensor(np.arange(24.0).reshape(1, 1, 2, 3, 4), requires_grad=True)
    y = F.avg_pool3d(x, (2, 3, 4), padding=(1, 1, 2), count_include_pad=False)
    assert y.shape == (1, 1, 2, 1, 2)  # (n + 2 p - k) // k + 1 on each axis
    full = F.avg_pool3d(x, (2, 3, 4))
    assert full.item() == pytest.approx(11.5)
    full.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 1, 2, 3, 4), 1 / 24))


# ---- the deprecated F.upsample spellings warn as PyTorch's; the modules do not -------------
@pytest.mark.parametrize("name", ["upsample", "upsample_nearest", "upsample_bilinear"])
def test_deprecated_upsample_functions_warn(name):
    x = tg.arange(4.0).reshape(1, 1, 2, 2)
    with pytest.warns(UserWarning, match=rf"`nn.functional.{name}` is deprecated. Use "
                                         r"`nn.functional.interpolate` instead."):
        y = getattr(F, name)(x, scale_factor=2)
    assert y.shape == (1, 1, 4, 4)
    if torch is not None:
        with pytest.warns(UserWarning, match=rf"`nn.functional.{name}` is deprecated"):
            getattr(torch.nn.functional, name)(torch.arange(4.0).reshape(1, 1, 2, 2),
                                               scale_factor=2)


def test_upsampling_modules_do_not_warn():
    x = tg.arange(4.0).reshape(1, 1, 2, 2)
    up = tg.nn.UpsamplingBilinear2d(scale_factor=2)(x)  # (warnings are errors in the tests)
    assert up[0, 0, 0].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert tg.nn.UpsamplingNearest2d(scale_factor=2)(x)[0, 0, 0].tolist() == [0, 0, 1, 1]
    assert tg.nn.Upsample(scale_factor=2)(x).shape == (1, 1, 4, 4)


# ---- conv_transpose's double backward with output_padding >= stride (dilation > stride) -----
CONV_T = [  # (function, input and weight shapes, stride, padding, output_padding, groups,
    #          dilation)
    ("conv_transpose1d", (2, 1, 2), (1, 2, 1), 1, 0, 1, 1, 2),
    ("conv_transpose2d", (2, 2, 4, 2), (2, 2, 1, 2), 1, 1, 1, 1, 2),
    ("conv_transpose2d", (2, 2, 3, 3), (2, 1, 2, 3), 1, 1, (0, 1), 2, (1, 2)),
    ("conv_transpose3d", (1, 1, 2, 2, 3), (1, 2, 2, 3, 2), 1, (1, 0, 0), (0, 1, 1), 1,
     (1, 2, 2)),
]


@pytest.mark.parametrize(("name", "xs", "ws", "stride", "padding", "extra", "groups",
                          "dilation"), CONV_T)
def test_conv_transpose_double_backward_with_large_output_padding(name, xs, ws, stride, padding,
                                                                   extra, groups, dilation):
    """A WGAN-GP style gradient penalty through a transposed convolution whose output_padding
    reaches past the stride: the recorded backward must give PyTorch's second derivatives
    (it raised a shape error)."""
    rng = np.random.default_rng(3)
    x0, w0 = rng.standard_normal(xs), rng.standard_normal(ws)

    def second(m):
        x = m.tensor(x0, requires_grad=True)
        w = m.tensor(w0, requires_grad=True)
        y = getattr(m.nn.functional, name)(x, w, None, stride, padding, extra, groups, dilation)
        gx, gw = m.autograd.grad(y.sin().sum(), [x, w], create_graph=True)
        return m.autograd.grad((gx ** 2).sum() + (gw ** 2).sum(), [x, w])

    got = second(tg)
    if torch is not None:
        for mine, theirs in zip(got, second(torch)):
            np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-9)

    def fn(x, w):
        return getattr(F, name)(x, w, None, stride, padding, extra, groups, dilation).sin()

    assert tg.autograd.gradgradcheck(fn, (tg.tensor(x0, requires_grad=True),
                                          tg.tensor(w0, requires_grad=True)))


# ---- two PyTorch 2.13 interpolate bugs not copied (README) ------------------------------------
def test_nearest_3d_gradient_with_fractional_scale_is_the_true_one():
    """Source index floor(dst / 2.3) on each axis: the gradient of sum(y * w) adds each w
    into its source (PyTorch's backward uses other indices than its own forward)."""
    x = tg.tensor(_x(1, 1, 2, 2, 1).astype(np.float64), requires_grad=True)
    y = F.interpolate(x, scale_factor=2.3, mode="nearest")
    assert y.shape == (1, 1, 4, 4, 2)
    w = np.arange(32.0).reshape(y.shape)
    (y * tg.tensor(w)).sum().backward()
    source = [np.minimum(np.floor(np.arange(n) / 2.3).astype(int), size - 1)
              for n, size in ((4, 2), (4, 2), (2, 1))]
    expected = np.zeros((2, 2, 1))
    for d in range(4):
        for h in range(4):
            for k in range(2):
                expected[source[0][d], source[1][h], source[2][k]] += w[0, 0, d, h, k]
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)
    np.testing.assert_array_equal(y.detach().numpy()[0, 0],
                                  x.detach().numpy()[0, 0][np.ix_(*source)])


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias_to_width_one_filters_every_row(mode):
    x = _x(1, 2, 6, 3)
    y = F.interpolate(tg.tensor(x), size=(4, 1), mode=mode, antialias=True)
    across = F.interpolate(tg.tensor(x.transpose(0, 1, 3, 2).copy()), size=(1, 4), mode=mode,
                           antialias=True)
    np.testing.assert_allclose(y.numpy(), across.numpy().transpose(0, 1, 3, 2), rtol=1e-6,
                               atol=1e-6)
    assert np.ptp(y.numpy()[0, 0, :, 0]) > 0.1  # (PyTorch's repeats its first row)
    if torch is not None:  # PyTorch is right across: its transposed resize is the reference
        theirs = torch.nn.functional.interpolate(torch.tensor(x).transpose(2, 3), size=(1, 4),
                                                 mode=mode, antialias=True).transpose(2, 3)
        np.testing.assert_allclose(y.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-5)


def test_stack_names_the_first_mismatched_entry_as_pytorch():
    a, b = np.zeros((2, 8, 3)), np.zeros((2, 4, 3))
    message = (r"expects each tensor to be equal size, but got \[2, 8, 3\] at entry 0 and "
               r"\[2, 4, 3\] at entry 2")
    _same_error(lambda m: m.stack([m.tensor(a), m.tensor(a), m.tensor(b)]), RuntimeError,
                "stack: " + message)
    if torch is not None:
        with pytest.raises(RuntimeError, match=message):
            torch.stack([torch.tensor(a), torch.tensor(a), torch.tensor(b)])


# ---- batch_norm's argument checks (PyTorch 2.13's F.batch_norm) ------------------------------
@pytest.mark.parametrize("eps", [0, 0.0, -1e-5])
def test_batch_norm_refuses_a_non_positive_eps_when_training(eps):
    data = _x(4, 3, 2, 2)
    _same_error(lambda m: m.nn.BatchNorm2d(3, eps=eps)(m.tensor(data)), ValueError,
                rf"batch_norm eps must be positive during training, but got {eps}")
    _same_error(lambda m: m.nn.functional.batch_norm(m.tensor(data), None, None, training=True,
                                                     eps=eps), ValueError, "eps must be positive")
    bn = tg.nn.BatchNorm2d(3, eps=eps).eval()  # (eval uses the running statistics: allowed)
    np.testing.assert_allclose(bn(tg.tensor(data)).numpy(), data, rtol=1e-4)
    y, mean, _ = tg.native_batch_norm(tg.tensor(data), None, None, None, None, True, 0.1, 1e-5)
    assert y.shape == data.shape and mean.shape == (3,)
    y = tg.batch_norm(tg.tensor(data) * 0 + 1, None, None, None, None, True, 0.1, eps, False)
    assert y.shape == data.shape  # (torch.batch_norm does not check eps)


def test_functional_batch_norm_momentum_none_is_a_type_error():
    data = _x(4, 3)
    _same_error(lambda m: m.nn.functional.batch_norm(m.tensor(data), m.zeros(3), m.ones(3),
                                                     training=True, momentum=None),
                TypeError, "batch_norm: momentum must be a float")
    bn = tg.nn.BatchNorm1d(3, momentum=None)  # the module's cumulative average still works
    bn(tg.tensor(data))
    bn(tg.tensor(data * 3))
    expected = (data.mean(0) + (data * 3).mean(0)) / 2
    np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda m: m.nn.Linear(0, 3), lambda m: m.nn.Linear(3, 0),
                                  lambda m: m.nn.Conv2d(2, 0, 3),
                                  lambda m: m.nn.Conv2d(2, 2, (0, 3)),
                                  lambda m: m.nn.ConvTranspose2d(0, 2, 3)])
def test_empty_layer_weights_warn_as_pytorch(make):
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = make(tg)
    assert 0 in layer.weight.shape
    if torch is not None:
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            make(torch)


def test_layers_with_weights_do_not_warn():
    tg.nn.Conv2d(2, 3, 3, bias=False)  # (warnings are errors in the tests)
    tg.nn.Linear(2, 3)
    tg.nn.LazyConv2d(3, 3)


@pytest.mark.parametrize("dtype", ["int32", "int16", "float32", "bool"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_takes_int64_indices_only(dims, dtype):
    data = _x(1, 2, *(4,) * dims)

    def call(m):
        pool = getattr(m.nn.functional, f"max_pool{dims}d")
        y, index = pool(m.tensor(data), 2, return_indices=True)
        return getattr(m.nn.functional, f"max_unpool{dims}d")(y, index.to(getattr(m, dtype)), 2)

    _same_error(call, RuntimeError, rf"max_unpool{dims}d: elements in indices should be type "
                                    rf"int64 but got: {dtype}")
    y, index = getattr(F, f"max_pool{dims}d")(tg.tensor(data), 2, return_indices=True)
    back = getattr(F, f"max_unpool{dims}d")(y, index, 2)
    assert back.shape == data.shape and float(back.sum()) == pytest.approx(float(y.sum()))


@pytest.mark.parametrize("size", [np.array([2, 3]), range(2, 4), (np.int64(2), 3), [2, 3]])
def test_adaptive_output_size_any_int_sequence(size):
    x = tg.ones(1, 2, 6, 6)
    assert F.adaptive_avg_pool2d(x, size).shape == (1, 2, 2, 3)
    assert F.adaptive_max_pool2d(x, size).shape == (1, 2, 2, 3)
    if torch is not None:
        assert torch.nn.functional.adaptive_avg_pool2d(torch.ones(1, 2, 6, 6), size).shape == (
            1, 2, 2, 3)
