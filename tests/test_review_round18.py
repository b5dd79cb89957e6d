"""Review of round 18's merged changes: each test fails on the merged code (1c20865) and
passes with its fix."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


@needs_torch
def test_tie_replays_on_ordinary_tied_inputs_match_pytorch():
    """The libstdc++ replays compare integer ranks and the top-k heap skips, with NumPy,
    the values its top keeps out (mode of a (128, 512) integer tensor took 0.2 s, 9 ms
    before the replays; timings are in benchmarks/NOTES.md, not asserted here)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, (128, 512))
    relu = np.maximum(rng.standard_normal((256, 256)), 0).astype(np.float32)
    np.testing.assert_array_equal(tg.tensor(labels).mode().indices.numpy(),
                                  torch.tensor(labels).mode().indices.numpy())
    np.testing.assert_array_equal(tg.tensor(relu).topk(200).indices.numpy(),
                                  torch.tensor(relu).topk(200).indices.numpy())
    np.testing.assert_array_equal(tg.tensor(labels).topk(3).indices.numpy(),
                                  torch.tensor(labels).topk(3).indices.numpy())


@needs_torch
@pytest.mark.parametrize("kind", ["ints", "nan", "signed_zero", "inf", "ascending",
                                  "descending"])
def test_tie_replays_on_ranks_name_pytorchs_elements(kind):
    """The rank keys keep every comparison PyTorch's makes (NaN equal to NaN and above
    every number, -0.0 equal to 0.0), on the heap, introselect and introsort paths."""
    rng = np.random.default_rng(len(kind))
    for n in (40, 257, 1000):
        x = rng.integers(-3, 3, size=(2, n)).astype(np.float32)
        if kind == "nan":
            x[rng.random(x.shape) < 0.1] = np.nan
        elif kind == "signed_zero":
            x[x == 0] = -0.0
            x[rng.random(x.shape) < 0.1] = 0.0
        elif kind == "inf":
            x[rng.random(x.shape) < 0.1] = np.inf
            x[rng.random(x.shape) < 0.1] = -np.inf
        elif kind == "ascending":
            x = np.sort(x, axis=1)
        elif kind == "descending":
            x = np.sort(x, axis=1)[:, ::-1].copy()
        for k in (1, 3, n // 3, n):
            for largest in (True, False):
                np.testing.assert_array_equal(
                    tg.tensor(x).topk(k, largest=largest).indices.numpy(),
                    torch.tensor(x).topk(k, largest=largest).indices.numpy())
            np.testing.assert_array_equal(tg.tensor(x).kthvalue(k).indices.numpy(),
                                          torch.tensor(x).kthvalue(k).indices.numpy())
        finite = np.nan_to_num(x, nan=1.0)
        np.testing.assert_array_equal(tg.tensor(finite).mode().indices.numpy(),
                                      torch.tensor(finite).mode().indices.numpy())
        np.testing.assert_array_equal(tg.tensor(x).nanmedian(-1).indices.numpy(),
                                      torch.tensor(x).nanmedian(-1).indices.numpy())


def test_float16_add_tail_reads_only_the_tail():
    """add with alpha recomputes the last numel % 32 float16 elements as PyTorch's scalar
    loop; it converted the whole input to float32 to read them (3.5 ms of a 1M-element add)."""
    from tinygrad_np.ops import opmath

    a = np.linspace(-3, 3, 1_000_008).astype(np.float16)
    b = a[::-1].copy()
    wide = np.float32(np.float16(0.3)) * b.astype(np.float32)
    result = opmath._half(np.add(a, wide, dtype=np.float32))
    tracemalloc.start()
    opmath._scalar_loop_tail(result, a, b, wide)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100_000  # (a float32 copy of the input: 4 MB)
    tail = opmath._LANES and a.size % opmath._LANES
    if tail:  # the tail: alpha * b rounded to float16 first, then the sum rounded
        expected = (a[-tail:].astype(np.float32)
                    + wide[-tail:].astype(np.float16).astype(np.float32)).astype(np.float16)
        np.testing.assert_array_equal(
            opmath._scalar_loop_tail(result.copy(), a, b, wide)[-tail:], expected)
