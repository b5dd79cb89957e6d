"""Review of session 26's merged changes (a17ec9e..5d1bd44): each test fails on the merged
code (5d1bd44) and passes with its fix."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


def test_toplevel_conv_tbc_is_c_ordered():
    """F.conv_tbc was made C-ordered (views work), its duplicate torch.conv_tbc was not:
    `.view(-1)` of its output raised, as PyTorch's does not."""
    x, w, b = tg.randn(7, 2, 3), tg.randn(3, 3, 4), tg.randn(4)
    y = tg.conv_tbc(x, w, b, 1)
    assert y.is_contiguous()
    np.testing.assert_array_equal(y.view(-1).numpy(),
                                  tg.nn.functional.conv_tbc(x, w, b, 1).numpy().reshape(-1))


@needs_torch
def test_channel_shuffle_keeps_channels_last():
    """channel_shuffle's comment said channels_last was kept (as PyTorch keeps it); the
    reshape gave a C-ordered result."""
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 3))
    for shuffle in (tg.nn.functional.channel_shuffle, tg.nn.ChannelShuffle(2)):
        a = tg.tensor(x).contiguous(memory_format=tg.channels_last)
        y = shuffle(a, 2) if not isinstance(shuffle, tg.nn.Module) else shuffle(a)
        expected = torch.nn.functional.channel_shuffle(
            torch.tensor(x).contiguous(memory_format=torch.channels_last), 2)
        assert y.is_contiguous(memory_format=tg.channels_last)
        assert not y.is_contiguous()
        np.testing.assert_array_equal(y.numpy(), expected.numpy())
    assert tg.nn.functional.channel_shuffle(tg.tensor(x), 2).is_contiguous()


def test_stable_kth_sorts_no_tied_slice(monkeypatch):
    """stable_kth sorted every slice with a tie (integer data: most of them), 2-3x slower
    than the stable sort it replaced; the tied element is now found by counting (no sort),
    still the stable sort's pick (NaN last, -0.0 equal to 0.0)."""
    from tinygrad_np import cpu_order

    rng = np.random.default_rng(0)
    cases = []
    for dtype in ("int64", "float32", "float16", "uint8"):
        x = rng.integers(0, 4, (6, 9, 5)).astype(dtype)
        if dtype.startswith("float"):
            x[rng.random(x.shape) < 0.2] = np.nan
            x[x == 0] = -0.0
            x[0, ::2] = 0.0
        for axis in range(3):
            for k in (0, x.shape[axis] // 2, x.shape[axis] - 1):
                cases.append((x, axis, k, np.take(np.argsort(x, axis, kind="stable"), [k],
                                                  axis)))

    def no_sort(*args, **kwargs):
        raise AssertionError("stable_kth sorted")

    monkeypatch.setattr(cpu_order, "SMALL_KTH", 0)  # (small inputs are sorted: faster there)
    monkeypatch.setattr(cpu_order, "SHORT_SLICE", 0)

    monkeypatch.setattr(np, "argsort", no_sort)
    for x, axis, k, expected in cases:
        np.testing.assert_array_equal(cpu_order.stable_kth(x, axis, k), expected)
    monkeypatch.undo()
    a = tg.tensor(np.array([[3, 1, 1, 2, 1], [2, 2, 0, 2, 5]]))
    np.testing.assert_array_equal(a.median(1).indices.numpy(), [4, 1])  # (PyTorch's)
    np.testing.assert_array_equal(a.kthvalue(3, 1).indices.numpy(), [1, 0])


def test_grid_sample_keeps_no_index_per_corner_and_channel():
    """CornerSum kept one int64 index per corner, channel and point for the backward (16
    corners in bicubic: 8 bytes x 16 per output element, 3x the peak memory of the composed
    version it replaced); it now makes one corner's at a time."""
    import tracemalloc

    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, 16, 32, 32)).astype(np.float32), requires_grad=True)
    grid = tg.tensor(rng.uniform(-1.1, 1.1, (2, 32, 32, 2)).astype(np.float32),
                     requires_grad=True)
    tracemalloc.start()
    try:
        y = tg.nn.functional.grid_sample(x, grid, mode="bicubic", align_corners=False)
        y.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    output_bytes = y.numel() * 4
    assert peak < 32 * output_bytes, (peak, output_bytes)
    assert x.grad.shape == x.shape and grid.grad.shape == grid.shape


@needs_torch
def test_interpolate_to_the_same_size_is_a_new_tensor():
    """interpolate to the input's own size returned the input itself and, naming its node,
    renamed the input's node (`(b * 2).grad_fn` became UpsampleBilinear2DBackward0); a write
    into the result reached the input. PyTorch returns a new tensor."""
    for mode, shape in (("bilinear", (1, 2, 4, 4)), ("bicubic", (1, 2, 4, 4)),
                        ("trilinear", (1, 2, 3, 3, 3)), ("linear", (1, 2, 5))):
        b = tg.ones(*shape, requires_grad=True)
        a = b * 2
        y = tg.nn.functional.interpolate(a, size=shape[2:], mode=mode, align_corners=False)
        tb = torch.ones(*shape, requires_grad=True)
        ty = torch.nn.functional.interpolate(tb * 2, size=shape[2:], mode=mode,
                                             align_corners=False)
        assert y is not a
        assert a.grad_fn.name() == "MulBackward0"
        assert y.grad_fn.name() == ty.grad_fn.name()
        with tg.no_grad():
            y.zero_()
        assert float(a.detach().sum()) == 2 * a.numel()
        y.sum().backward()
        np.testing.assert_array_equal(b.grad.numpy(), np.full(shape, 2.0))


def test_narrow_index_backward_without_repeats_is_one_assignment(monkeypatch):
    """_add_at's narrow path (rows of a few elements) ran np.add.at on every element even
    without a repeated place, where one assignment does: x[:, perm]'s backward of a
    (32, 20000) tensor took 10x its time before the merge."""
    import types

    from tinygrad_np import xp

    def no_add_at(*args, **kwargs):
        raise AssertionError("np.add.at ran")

    class Add:
        at = staticmethod(no_add_at)

        def __getattr__(self, name):
            return getattr(np.add, name)

    fake = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np)
                                    if not name.startswith("__")})
    fake.add = Add()
    rng = np.random.default_rng(0)
    data = rng.standard_normal((8, 300)).astype(np.float32)
    perm = rng.permutation(300)
    x = tg.tensor(data, requires_grad=True)
    y = x[:, tg.tensor(perm)]
    monkeypatch.setattr(xp, "np", fake)
    y.backward(tg.tensor(data))
    monkeypatch.undo()
    expected = np.empty_like(data)
    expected[:, perm] = data
    np.testing.assert_array_equal(x.grad.numpy(), expected)
