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
