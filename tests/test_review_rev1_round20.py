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
