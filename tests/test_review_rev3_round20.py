"""Review (session 26, rev3): GradScaler / autocast / DataLoader worker seeding against PyTorch."""

import math

import numpy as np
import pytest

import tinygrad_np as tg


def _step(scaler, loss_factor=1.0):
    model = tg.nn.Linear(3, 2)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    loss = model(tg.ones(4, 3)).sum() * loss_factor
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    return model


def test_grad_scaler_scale_zero_keeps_running():
    # PyTorch: a scale of 0 (update(0.0), or backed off to 0 in float32 after ~165 inf steps)
    # unscales by 1/0 = inf; it does not raise. Finite (zero) gradients become NaN and the
    # step is taken (PyTorch checks the gradients before unscaling); inf ones skip it.
    scaler = tg.amp.GradScaler("cpu")
    _step(scaler)
    scaler.update(0.0)
    model = _step(scaler)
    assert scaler.get_scale() == 0.0
    assert np.isnan(model.weight.detach().numpy()).all()  # PyTorch's: 0 * inf, stepped
    scaler = tg.amp.GradScaler("cpu", init_scale=2.0**-140)
    with np.errstate(invalid="ignore"):  # (the loss inf * the scale 0: the engine's own warning)
        for _ in range(12):
            model = _step(scaler, math.inf)
    assert np.isfinite(model.weight.detach().numpy()).all()  # inf gradients: step skipped
    assert scaler.get_scale() == 0.0  # float32 underflow, as PyTorch's float32 scale


def test_grad_scaler_backoff_to_zero_matches_torch():
    torch = pytest.importorskip("torch")
    scales = {}
    for lib in (tg, torch):
        scaler = lib.amp.GradScaler("cpu", init_scale=2.0**-147, backoff_factor=0.5)
        param = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([param], lr=0.1)
        history = []
        with np.errstate(invalid="ignore"):
            for step in range(6):
                opt.zero_grad()
                loss = (param * 2.0).sum() * (math.inf if step < 4 else 1.0)
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                scaler.step(opt)
                scaler.update()
                history.append((scaler.get_scale(), param.detach().numpy().tolist()))
        scales[lib.__name__] = history
    assert str(scales["tinygrad_np"]) == str(scales["torch"])


def test_grad_scaler_scale_promotes_as_a_float32_0d_tensor():
    # PyTorch multiplies by its 0-d float32 scale: a 0-d float16 loss becomes float32 (no
    # overflow to inf), an n-d float16 output stays float16, float64 stays float64, ints float32
    scaler = tg.amp.GradScaler("cpu")
    cases = [(tg.tensor(6.0, dtype=tg.float16), np.float32, 393216.0),
             (tg.ones(2, dtype=tg.float16), np.float16, math.inf),
             (tg.tensor(2.0, dtype=tg.float64), np.float64, 131072.0),
             (tg.tensor([1, 2]), np.float32, 65536.0)]
    for output, dtype, first in cases:
        scaled = scaler.scale(output)
        assert scaled.dtype == dtype
        assert scaled.detach().numpy().reshape(-1)[0] == first
    param = tg.nn.Parameter(tg.ones(3))
    loss = (param.half() * 2).sum()  # a float16 0-d loss from float32 parameters
    scaled = tg.amp.GradScaler("cpu", init_scale=1024.0).scale(loss)
    scaled.backward()
    assert scaled.dtype == np.float32 and scaled.item() == 6144.0
    assert param.grad.tolist() == [2048.0] * 3


def test_autocast_cache_enabled_recorded_per_region():
    # PyTorch: a region's cache_enabled is what is_autocast_cache_enabled() reports inside it
    # (None: the current setting), restored on exit
    with tg.autocast("cpu", cache_enabled=False):
        inside = tg.is_autocast_cache_enabled()
        with tg.autocast("cpu"):
            nested = tg.is_autocast_cache_enabled()
        with tg.autocast("cpu", cache_enabled=True):
            nested_on = tg.is_autocast_cache_enabled()
    assert (inside, nested, nested_on, tg.is_autocast_cache_enabled()) == (False, False, True, True)
