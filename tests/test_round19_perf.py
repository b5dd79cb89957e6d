"""Session 25, slow paths: the faster code paths give PyTorch's values and gradients.

Each test compares with PyTorch (skipped when it is missing) or with NumPy computed here.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

F = tg.nn.functional
torch = pytest.importorskip("torch")


def _close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(np.asarray(ours.detach().numpy() if hasattr(ours, "detach") else
                                          ours), theirs.detach().numpy(), rtol=tol, atol=tol)


# ------------------------------------------------------------ views of conv/pool results
@pytest.mark.parametrize("view", [
    lambda y: y.squeeze(2),                 # conv1d's squeeze (walks one axis each)
    lambda y: y[:, 1:5, 0, ::2],            # slices with steps
    lambda y: y[3],                         # one sample
    lambda y: y[:, :, 0].transpose(1, 2),   # a transposed view
    lambda y: y.reshape(6, -1),             # merged axes (the table's path)
    lambda y: y[1:4].flatten(1),
])
def test_views_of_batch_inside_results_match_torch(view):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4, 1, 9)).astype(np.float32)
    w = rng.standard_normal((8, 4, 1, 3)).astype(np.float32)
    g = None
    results = []
    for lib in (tg, torch):
        xs, ws = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        out = view(lib.nn.functional.conv2d(xs, ws, padding=(0, 1)))
        if g is None:
            g = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        (out * lib.tensor(g)).sum().backward()
        results.append((out, xs.grad, ws.grad))
    (ours, gx, gw), (theirs, tx, tw) = results
    assert tuple(ours.shape) == tuple(theirs.shape)
    _close(ours, theirs)
    _close(gx, tx, 1e-4)
    _close(gw, tw, 1e-4)
    # PyTorch's result is contiguous where its view is: so is ours (view(-1) works)
    assert ours.is_contiguous() == theirs.is_contiguous()
    if theirs.is_contiguous():
        _close(ours.view(-1), theirs.view(-1))


def test_view_of_conv1d_then_in_place_write_reaches_the_result():
    """The relaid-out result and its view still share memory, as in PyTorch."""
    x = np.random.default_rng(1).standard_normal((4, 3, 10)).astype(np.float32)
    w = np.ones((5, 3, 3), np.float32)
    outs = []
    for lib in (tg, torch):
        with lib.no_grad():
            y = lib.nn.functional.conv2d(lib.tensor(x).unsqueeze(2), lib.tensor(w).unsqueeze(2))
            v = y.squeeze(2)
            v[0, 0, 0] = 100.0
            outs.append(y)
    _close(outs[0], outs[1])
