"""Review (rev4) of round 21: the memory-layout work and the edge fixes, each against
PyTorch 2.13 or against the cost of the work it replaced."""

from __future__ import annotations

import timeit

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _best(fn: object, number: int = 20) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def test_median_is_a_selection_not_a_stable_sort() -> None:
    # the signed-zero fix sorted the whole input stably: 10x the old np.sort (a selection now)
    x = tg.randn(20000)
    flat = x.numpy().copy()
    assert _best(lambda: x.median()) < 3 * _best(lambda: np.sort(flat)) + 5e-5
    for values in ([-1.0, 0.0, -0.0, 2.0], [0.0, -0.0, 1.0], [-0.0, 0.0, 3.0, -2.0, 0.0],
                   [4.0, -0.0, 0.0, -1.0, 5.0], [2.0, 1.0, 3.0, -5.0]):
        ours = tg.tensor(values).median().item()
        theirs = torch.tensor(values).median().item()
        assert (ours, np.signbit(ours)) == (theirs, np.signbit(theirs)), values
    for dtype in (tg.int64, tg.float16):
        assert tg.tensor([3, 1, 2, 5], dtype=dtype).median().dtype == dtype


def test_conv_result_stride_is_cheap() -> None:
    # stride() of a conv result (pools ask it for every input) went through Size slices: 6 us
    c = F.conv2d(tg.randn(8, 3, 16, 16), tg.randn(8, 3, 3, 3), padding=1)
    assert c.stride() == (2048, 256, 16, 1)
    x = tg.randn(8, 8, 16, 16)
    assert _best(c.stride, 2000) < 3 * _best(x.stride, 2000) + 1e-6
    assert tg.empty(0, 3, 2).stride() == torch.empty(0, 3, 2).stride()
