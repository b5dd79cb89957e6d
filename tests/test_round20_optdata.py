"""Round 20, optimizers, schedulers, AMP and data loading as a grid against PyTorch 2.13.

Kept as tests: the probes that found differences, and a small grid of the ones that did not
(so a regression shows). Found and fixed here:

- GradScaler: the scale is a float32 number from the first `scale()` on, and grows and backs
  off in float32 (a backoff of 0.3 gave 260.09999999999997 where PyTorch has 260.1000061...,
  and growth went past float32's range); gradients are unscaled by float32(1 / scale) and
  checked for inf/NaN before unscaling; PyTorch's AssertionErrors for growth/backoff factors,
  for a step with no gradient and an update with no inf check, and for a bad `new_scale`
  tensor; the setters and `_get_growth_tracker`; `scale()` of any iterable (a lazy map) and
  its ValueError;
- autocast: `device_type` is required; a non-str is PyTorch's ValueError; a CPU region asking
  for a dtype other than bfloat16/float16 warns and is disabled; `__exit__` returns False.
- DataLoader workers: NumPy's global generator in a worker is seeded as PyTorch seeds it (a
  SeedSequence hash of the base seed and the worker id; it was base seed + id), so
  `np.random` draws in a dataset match PyTorch's with workers.
"""

from __future__ import annotations

import pickle
import random
import warnings

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

LIBS = (tg, torch)


# ---------------------------------------------------------------- AMP: GradScaler


def _scaled_training(lib, dtype="float32", init_scale=2.0**16, backoff=0.5, growth=2.0,
                     interval=3, steps=20, inf_at=(4, 5, 11), state_dict_at=None):
    """SGD with momentum under a CPU GradScaler; some iterations give inf gradients."""
    float_type = getattr(lib, dtype)
    rng = np.random.RandomState(0)
    w = lib.tensor(rng.randn(4, 3), dtype=float_type, requires_grad=True)
    b = lib.tensor(rng.randn(3), dtype=float_type, requires_grad=True)
    x = lib.tensor(rng.randn(6, 4), dtype=float_type)
    optimizer = lib.optim.SGD([w, b], lr=0.1, momentum=0.9)
    scaler = lib.amp.GradScaler("cpu", init_scale=init_scale, growth_factor=growth,
                                backoff_factor=backoff, growth_interval=interval)
    record = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = ((x @ w + b) ** 2).mean()
        if step in inf_at:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        lib.nn.utils.clip_grad_norm_([w, b], 1.0)
        scaler.step(optimizer)
        scaler.update()
        if step == state_dict_at:
            saved = scaler.state_dict()
            scaler = lib.amp.GradScaler("cpu", init_scale=7.0)
            scaler.load_state_dict(saved)
        record.append((scaler.get_scale(), scaler._get_growth_tracker()))
    return record, w.detach().numpy().copy(), b.detach().numpy().copy(), scaler.state_dict()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("settings", [
    {},
    {"init_scale": 1000.0, "backoff": 0.3, "growth": 1.7},
    {"init_scale": 1000.1, "backoff": 0.3, "state_dict_at": 7},
])
def test_grad_scaler_training_matches_torch(dtype, settings):
    ours, theirs = (_scaled_training(lib, dtype, **settings) for lib in LIBS)
    assert ours[0] == theirs[0]  # the scales (float32 values) and growth trackers
    assert ours[3] == theirs[3]
    for mine, reference in zip(ours[1:3], theirs[1:3]):
        np.testing.assert_allclose(mine, reference, rtol=1e-6 if dtype == "float32" else 1e-13,
                                   atol=1e-7 if dtype == "float32" else 1e-15)


def test_grad_scaler_scale_stays_within_float32():
    # growth_interval 1 from 2**120: PyTorch's float32 scale stops at 2**127
    results = []
    for lib in LIBS:
        p = lib.ones(2, requires_grad=True)
        optimizer = lib.optim.SGD([p], lr=0.0)
        scaler = lib.amp.GradScaler("cpu", init_scale=2.0**120, growth_interval=1)
        scales = []
        for _ in range(10):
            p.grad = lib.ones(2)
            scaler.scale(lib.ones(()))
            scaler.step(optimizer)
            scaler.update()
            scales.append(scaler.get_scale())
        results.append(scales)
    assert results[0] == results[1]
    assert results[0][-1] == 2.0**127


def test_grad_scaler_float32_scale_values():
    for lib in LIBS:
        scaler = lib.amp.GradScaler("cpu", init_scale=1000.1)
        assert scaler.get_scale() == 1000.1  # as given until the first scale()
        assert scaler.state_dict()["scale"] == 1000.1
        scaler.scale(lib.ones(1))
        assert scaler.get_scale() == float(np.float32(1000.1))
        scaler.update(3000.3)
        assert scaler.get_scale() == float(np.float32(3000.3))
        scaler.update(lib.tensor(7.7))
        assert scaler.get_scale() == float(np.float32(7.7))
        scaler.load_state_dict({"scale": 0.1, "growth_factor": 2.0, "backoff_factor": 0.5,
                                "growth_interval": 3, "_growth_tracker": 2})
        assert scaler.get_scale() == float(np.float32(0.1))
        assert scaler._get_growth_tracker() == 2


def test_grad_scaler_unscales_by_float32_reciprocal():
    grads = []
    for lib in LIBS:
        p = lib.ones(3, dtype=lib.float64, requires_grad=True)
        scaler = lib.amp.GradScaler("cpu", init_scale=3.0)
        scaler.scale(lib.ones(()))
        p.grad = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        scaler.unscale_(lib.optim.SGD([p], lr=0.1))
        grads.append(p.grad.numpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], np.array([1.0, 2.0, 3.0]) * float(np.float32(1 / 3)))


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_grad_scaler_factor_checks_are_assertions(lib):
    with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
        lib.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match="The backoff factor must be < 1.0."):
        lib.amp.GradScaler("cpu", backoff_factor=1.0)
    assert lib.amp.GradScaler("cpu", backoff_factor=0.0).get_backoff_factor() == 0.0
    lib.amp.GradScaler("cpu", growth_factor=1.0, enabled=False)  # not checked when disabled


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_grad_scaler_setters(lib):
    scaler = lib.amp.GradScaler("cpu")
    scaler.set_growth_factor(3.0)
    scaler.set_backoff_factor(0.25)
    scaler.set_growth_interval(5)
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(),
            scaler.get_growth_interval()) == (3.0, 0.25, 5)
    assert scaler._get_growth_tracker() == 0
    assert lib.amp.GradScaler("cpu", enabled=False)._get_growth_tracker() == 0


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_grad_scaler_needs_an_inf_check(lib):
    p = lib.ones(2, requires_grad=True)  # no gradient
    optimizer = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu")
    scaler.scale(lib.ones(()))
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update."):
        scaler.update()
    with pytest.raises(AssertionError, match="No inf checks were recorded for this optimizer."):
        scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="has already been called"):
        scaler.unscale_(optimizer)  # step() unscaled before it found no gradient
    # an unscale_ without a step counts for update
    scaler = lib.amp.GradScaler("cpu")
    scaler.scale(lib.ones(()))
    p.grad = lib.full((2,), float("inf"))
    scaler.unscale_(optimizer)
    scaler.update()
    assert scaler.get_scale() == 32768.0


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_grad_scaler_new_scale_tensor_checks(lib):
    scaler = lib.amp.GradScaler("cpu")
    scaler.scale(lib.ones(1))
    for bad in (lib.tensor([1.0, 2.0]), lib.tensor(2.0, requires_grad=True)):
        with pytest.raises(AssertionError, match="new_scale should be a float or a 1-element"):
            scaler.update(bad)
    with pytest.raises(RuntimeError, match=r"output with shape \[\] doesn't match"):
        scaler.update(lib.tensor([4.0]))  # copied into a 0-d scale
    scaler.update(lib.tensor(4.0))
    assert scaler.get_scale() == 4.0


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_grad_scaler_scale_of_iterables(lib):
    scaler = lib.amp.GradScaler("cpu", init_scale=4.0)
    nested = scaler.scale([lib.ones(1), (lib.ones(2),)])
    assert type(nested) is list and type(nested[1]) is tuple
    assert nested[1][0].tolist() == [4.0, 4.0]
    lazy = scaler.scale(x for x in [lib.ones(1)])
    assert type(lazy).__name__ == "map" and [t.tolist() for t in lazy] == [[4.0]]
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale(1.0)


def test_grad_scaler_skip_and_nan_match_torch():
    results = []
    for lib in LIBS:
        p, q = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        first, second = lib.optim.SGD([p], lr=0.1), lib.optim.SGD([q], lr=0.1)
        scaler = lib.amp.GradScaler("cpu")
        scaler.scale((p * 2).sum() + (q * float("nan")).sum()).backward()
        returned = scaler.step(first, lambda: 3.0), scaler.step(second)
        scaler.update()
        results.append((returned, scaler.get_scale(), p.tolist(), q.tolist()))
    assert results[0] == results[1]


# ---------------------------------------------------------------- AMP: autocast


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_autocast_cpu_dtype_support(lib):
    for dtype, enabled in ((None, True), (lib.bfloat16, True), (lib.float16, True),
                           (lib.float32, False), (lib.float64, False), (lib.int32, False)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with lib.autocast("cpu", dtype=dtype):
                assert lib.is_autocast_enabled("cpu") is enabled
        messages = [str(w.message) for w in caught]
        assert any("target dtype is not supported" in m for m in messages) is (not enabled)
    assert lib.is_autocast_enabled("cpu") is False


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_autocast_arguments(lib):
    with pytest.raises(TypeError):
        lib.autocast()  # device_type is required
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        lib.autocast(lib.device("cpu"))
    with pytest.raises(TypeError, match="requires a callable"):
        lib.autocast("cpu")(3)
    region = lib.autocast("cpu")
    region.__enter__()
    assert region.__exit__(None, None, None) is False


# ---------------------------------------------------------------- optimizers: the grid

SHAPES = [(3, 4), (4,), (2, 2), (5,)]  # the third never has a gradient; the fourth joins late

OPTIMIZERS = [
    ("SGD", {"lr": 0.05}, {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}, {"momentum": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}, {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, {}),
    ("SGD", {"lr": "tensor", "momentum": 0.9, "maximize": True}, {}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}, {"lr": 0.02}),
    ("Adam", {"lr": "tensor", "maximize": True, "foreach": False}, {}),
    ("Adam", {"lr": 0.01, "foreach": True, "fused": None}, {}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}, {}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}, {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1, "maximize": True}, {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                 "weight_decay": 0.1}, {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "maximize": True}, {}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1}, {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.01, "weight_decay": 0.1}, {}),
    ("NAdam", {"lr": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}, {}),
    ("RAdam", {"lr": 0.01, "decoupled_weight_decay": True, "weight_decay": 0.1}, {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}, {}),
    ("ASGD", {"lr": 0.01, "lambd": 1e-3, "alpha": 0.5, "t0": 5, "weight_decay": 0.1}, {}),
    ("Rprop", {"lr": 0.01, "etas": (0.4, 1.3), "step_sizes": (1e-4, 0.5), "maximize": True}, {}),
    ("Adafactor", {"lr": 0.01, "weight_decay": 0.1, "beta2_decay": -0.7}, {}),
]


def _parameters(lib, dtype):
    rng = np.random.RandomState(0)
    return [lib.tensor(rng.randn(*shape).astype(dtype), requires_grad=True) for shape in SHAPES]


def _gradients(parameters, lib, step):
    for index, parameter in enumerate(parameters):
        if index == 2:
            parameter.grad = None
            continue
        values = parameter.detach().numpy().astype(np.float64)
        gradient = np.sin(values * 1.7 + step) * 1.3 + 0.1 * values * values - 0.05
        parameter.grad = lib.tensor(gradient.astype(parameter.detach().numpy().dtype))


def _optimizer(lib, name, settings, group_settings, parameters):
    settings = {key: lib.tensor(0.01) if value == "tensor" else value
                for key, value in settings.items()}
    groups = [{"params": parameters[:2]}, {"params": [parameters[2]], **group_settings}]
    return getattr(lib.optim, name)(groups, **settings)


def _convert(value, lib):
    """A state dict's tensors as `lib`'s (PyTorch's 'step' tensors included)."""
    if isinstance(value, (tg.Tensor, torch.Tensor)):
        return lib.tensor(value.detach().numpy().copy())
    if isinstance(value, dict):
        return {key: _convert(item, lib) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_convert(item, lib) for item in value)
    if type(value).__name__ == "Step":
        return lib.tensor(float(value))
    return value


def _optimize(lib, name, settings, group_settings, dtype, resume_from=None):
    """30 steps; a group added at step 10; with `resume_from` (a library), the state dict at
    step 13 goes through that library's optimizer into a fresh one of `lib`."""
    parameters = _parameters(lib, dtype)
    optimizer = _optimizer(lib, name, settings, group_settings, parameters)
    for step in range(30):
        if step == 10:
            optimizer.add_param_group({"params": [parameters[3]], "lr": 0.003})
        if step == 13 and resume_from is not None:
            source_parameters = [resume_from.tensor(p.detach().numpy().copy(), requires_grad=True)
                                 for p in parameters]
            source = _optimizer(resume_from, name, settings, group_settings, source_parameters)
            source.add_param_group({"params": [source_parameters[3]], "lr": 0.003})
            source.load_state_dict(_convert(optimizer.state_dict(), resume_from))
            optimizer = _optimizer(lib, name, settings, group_settings, parameters)
            optimizer.add_param_group({"params": [parameters[3]], "lr": 0.003})
            optimizer.load_state_dict(_convert(source.state_dict(), lib))
        _gradients(parameters, lib, step)
        optimizer.step()
    return [p.detach().numpy().astype(np.float64) for p in parameters]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", OPTIMIZERS, ids=lambda case: case[0])
def test_optimizer_grid_matches_torch(case, dtype):
    reference = _optimize(torch, *case, dtype)
    tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 0, "atol": 1e-11}
    for resume_from in (None, tg, torch):
        ours = _optimize(tg, *case, dtype, resume_from=resume_from)
        for mine, theirs in zip(ours, reference):
            np.testing.assert_allclose(mine, theirs, **tolerance)
        untouched = _parameters(tg, dtype)[2].detach().numpy()  # it never had a gradient
        np.testing.assert_array_equal(ours[2], untouched)


# ---------------------------------------------------------------- schedulers: the grid


def _scheduled_optimizer(lib, name):
    parameters = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    groups = [{"params": [parameters[0]]}, {"params": [parameters[1]], "lr": 0.05}]
    if name == "Adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def _schedules(lib, o):
    s = lib.optim.lr_scheduler
    return {
        "StepLR": lambda: s.StepLR(o, step_size=7, gamma=0.5),
        "MultiStepLR": lambda: s.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
        "ExponentialLR": lambda: s.ExponentialLR(o, gamma=0.93),
        "CosineAnnealingLR": lambda: s.CosineAnnealingLR(o, T_max=13, eta_min=0.001),
        "CosineAnnealingWarmRestarts": lambda: s.CosineAnnealingWarmRestarts(o, 5, 2, 0.002),
        "CyclicLR": lambda: s.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.2],
                                       step_size_up=3, step_size_down=5, mode="triangular2"),
        "CyclicLR-exp": lambda: s.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range",
                                           gamma=0.95, base_momentum=0.7, max_momentum=0.95),
        "CyclicLR-fn": lambda: s.CyclicLR(o, 0.01, 0.1, 4, scale_fn=lambda x: 1 / (1 + x),
                                          scale_mode="iterations"),
        "OneCycleLR": lambda: s.OneCycleLR(o, max_lr=[0.2, 0.3], total_steps=60,
                                           anneal_strategy="linear", pct_start=0.4),
        "OneCycleLR-3": lambda: s.OneCycleLR(o, max_lr=0.2, epochs=6, steps_per_epoch=10,
                                             three_phase=True, div_factor=10,
                                             final_div_factor=100),
        "LinearLR": lambda: s.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=9),
        "ConstantLR": lambda: s.ConstantLR(o, factor=0.25, total_iters=6),
        "PolynomialLR": lambda: s.PolynomialLR(o, total_iters=30, power=2.0),
        "LambdaLR": lambda: s.LambdaLR(o, lr_lambda=[lambda e: 0.95**e, lambda e: 1 / (1 + e)]),
        "MultiplicativeLR": lambda: s.MultiplicativeLR(o, lr_lambda=lambda e: 0.97),
        "SequentialLR": lambda: s.SequentialLR(
            o, [s.ConstantLR(o, factor=0.5, total_iters=3), s.StepLR(o, 4, 0.5),
                s.CosineAnnealingLR(o, T_max=10)], milestones=[4, 20]),
        "ChainedScheduler": lambda: s.ChainedScheduler(
            [s.ConstantLR(o, factor=0.1, total_iters=2), s.ExponentialLR(o, gamma=0.9)]),
    }


def _schedule(lib, name, optimizer_name, resume_at=None):
    optimizer = _scheduled_optimizer(lib, optimizer_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning in the right order of calls
        scheduler = _schedules(lib, optimizer)[name]()
        record = []
        for step in range(50):
            optimizer.step()
            scheduler.step()
            if step == resume_at:
                saved = scheduler.state_dict()
                fresh = _scheduled_optimizer(lib, optimizer_name)
                scheduler = _schedules(lib, fresh)[name]()  # made, then both states loaded
                fresh.load_state_dict(optimizer.state_dict())
                scheduler.load_state_dict(saved)
                optimizer = fresh
            momenta = [group.get("momentum", group.get("betas", (None,))[0])
                       for group in optimizer.param_groups]
            record.append([float(lr) for lr in scheduler.get_last_lr()]
                          + [float(group["lr"]) for group in optimizer.param_groups]
                          + [float(m) for m in momenta])
    return np.array(record)


@pytest.mark.parametrize("name", list(_schedules(tg, None)))
def test_scheduler_grid_matches_torch(name):
    for optimizer_name in ("SGD", "Adam") if name.startswith(("Cyclic", "OneCycle")) else ("SGD",):
        reference = _schedule(torch, name, optimizer_name)
        np.testing.assert_allclose(_schedule(tg, name, optimizer_name), reference, rtol=1e-12,
                                   atol=1e-15)
        resumed = _schedule(tg, name, optimizer_name, resume_at=17)
        np.testing.assert_allclose(resumed, _schedule(torch, name, optimizer_name, resume_at=17),
                                   rtol=1e-12, atol=1e-15)


PLATEAU = [{}, {"mode": "max"}, {"threshold_mode": "abs", "threshold": 0.05},
           {"mode": "max", "threshold_mode": "abs", "cooldown": 2, "patience": 1},
           {"factor": 0.5, "patience": 2, "cooldown": 3, "min_lr": [0.01, 0.02]},
           {"min_lr": 0.03, "factor": 0.3, "patience": 0}, {"eps": 0.05, "factor": 0.5,
                                                             "patience": 0}]
METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.891, 0.9, 0.9, 0.88, 0.88, 0.88, 0.88, 0.88,
           0.7, 0.7, 0.71, 0.7, 0.7, 0.7] * 3


@pytest.mark.parametrize("settings", PLATEAU)
def test_reduce_lr_on_plateau_grid_matches_torch(settings):
    records = []
    for lib in LIBS:
        optimizer = _scheduled_optimizer(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **settings)
        record = []
        for step, metric in enumerate(METRICS):
            optimizer.step()
            scheduler.step(lib.tensor(metric) if step % 2 else metric)
            if step == 13:
                saved = scheduler.state_dict()
                fresh = _scheduled_optimizer(lib, "SGD")
                fresh.load_state_dict(optimizer.state_dict())
                scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(fresh, **settings)
                scheduler.load_state_dict(saved)
                optimizer = fresh
            record.append(scheduler.get_last_lr() + [g["lr"] for g in optimizer.param_groups]
                          + [scheduler.num_bad_epochs, scheduler.cooldown_counter,
                             float(scheduler.best)])
        records.append(np.array(record, dtype=np.float64))
    np.testing.assert_allclose(records[0], records[1], rtol=1e-12)


def test_cosine_warm_restarts_fractional_epochs_match_torch():
    records = []
    for lib in LIBS:
        optimizer = _scheduled_optimizer(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=3,
                                                                       T_mult=2, eta_min=0.001)
        record = []
        for epoch in range(8):
            for i in range(5):
                optimizer.step()
                scheduler.step(epoch + i / 5)
                record.append(scheduler.get_last_lr() + [scheduler.T_cur, scheduler.T_i])
        records.append(np.array(record))
    np.testing.assert_allclose(records[0], records[1], rtol=1e-12)


def test_scheduler_warnings_match_torch():
    for lib in LIBS:
        optimizer = _scheduled_optimizer(lib, "SGD")
        scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 2)
        with pytest.warns(UserWarning, match=r"`lr_scheduler.step\(\)` before `optimizer.step"):
            scheduler.step()
        # a GradScaler that skips the first step leaves the optimizer unstepped: the warning
        p = lib.nn.Parameter(lib.ones(2))
        optimizer = lib.optim.SGD([p], lr=0.1)
        scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 1, 0.5)
        scaler = lib.amp.GradScaler("cpu")
        scaler.scale((p * float("inf")).sum()).backward()
        scaler.step(optimizer)
        scaler.update()
        with pytest.warns(UserWarning, match="before `optimizer.step"):
            scheduler.step()


# ---------------------------------------------------------------- data: the grid


def _tensor_dataset(lib, data, n=10):
    return data.TensorDataset(lib.arange(n * 2, dtype=lib.float32).reshape(n, 2), lib.arange(n))


def _plain(value):
    """Batches as plain Python, with the container types kept."""
    if isinstance(value, (tg.Tensor, torch.Tensor)):
        return ("tensor", str(value.dtype).split(".")[-1], value.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {key: _plain(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(item) for item in value])
    return value


class _Stream:
    """An IterableDataset body that shards itself with get_worker_info."""

    def __init__(self, data, n):
        self.data, self.n = data, n

    def __iter__(self):
        info = self.data.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def _stream(data, n):
    return type("Stream", (_Stream, data.IterableDataset), {})(data, n)


DATA_CASES = {
    "batch_size None": lambda L, D: list(D.DataLoader(_tensor_dataset(L, D, 3), batch_size=None)),
    "drop_last": lambda L, D: list(D.DataLoader(_tensor_dataset(L, D), batch_size=3,
                                                drop_last=True)),
    "lengths": lambda L, D: [len(D.DataLoader(_tensor_dataset(L, D), batch_size=3,
                                              drop_last=drop)) for drop in (True, False)],
    "batch_sampler": lambda L, D: list(D.DataLoader(_tensor_dataset(L, D),
                                                    batch_sampler=[[0, 1], [5]])),
    "BatchSampler": lambda L, D: [list(D.BatchSampler(range(7), 3, drop))
                                  for drop in (False, True)],
    "collate dicts": lambda L, D: list(D.DataLoader(
        [{"x": np.full(2, i, dtype=np.float32), "y": i, "s": f"s{i}", "t": (i, float(i))}
         for i in range(5)], batch_size=2)),
    "default_collate": lambda L, D: [D.default_collate(batch) for batch in (
        [np.float32(1), np.float32(2)], [np.int64(1), np.int64(2)], [True, False], [1, 2.5],
        [[1, 2], [3, 4]], [(1, "a"), (2, "b")], [L.tensor(1), L.tensor(2)],
        [np.ones(2, dtype=np.int32), np.zeros(2, dtype=np.int32)])],
    "default_convert": lambda L, D: D.default_convert(
        [np.ones(2), np.int64(3), "s", 1.5, {"a": np.zeros(1)}]),
    "iterable workers": lambda L, D: [list(D.DataLoader(_stream(D, 10), batch_size=3,
                                                        num_workers=workers))
                                      for workers in (0, 2)],
    "iterable lengths": lambda L, D: [len(D.DataLoader(_stream(D, 10), batch_size=3,
                                                       drop_last=drop)) for drop in (False, True)],
    "map workers": lambda L, D: list(D.DataLoader(_tensor_dataset(L, D, 7), batch_size=2,
                                                  num_workers=2)),
    "datasets": lambda L, D: [
        (lambda c: [len(c), c[0], c[10], c[-1], c.cumulative_sizes])(
            D.ConcatDataset([_tensor_dataset(L, D, 10), _tensor_dataset(L, D, 3)])),
        (lambda s: [len(s), s[1], s[-1]])(D.Subset(_tensor_dataset(L, D), [3, 1, 4])),
        list(D.ChainDataset([_stream(D, 3), _stream(D, 2)])),
        (lambda s: [len(s), s[1]])(D.StackDataset(a=_tensor_dataset(L, D, 3), b=[5, 6, 7]))],
    "random_split": lambda L, D: [
        [list(part.indices) for part in D.random_split(
            range(n), lengths, generator=L.Generator().manual_seed(1))]
        for n, lengths in ((10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (11, [0.1, 0.2, 0.7]),
                           (10, [3, 7]))],
    "shuffled order": lambda L, D: [[batch[1].tolist() for batch in D.DataLoader(
        _tensor_dataset(L, D), batch_size=4, shuffle=True,
        generator=L.Generator().manual_seed(seed))] for seed in (0, 7)],
}


@pytest.mark.parametrize("name", list(DATA_CASES))
def test_data_grid_matches_torch(name):
    import torch.utils.data as torch_data  # noqa: PLC0415

    import tinygrad_np.utils.data as tg_data  # noqa: PLC0415
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _plain(DATA_CASES[name](tg, tg_data)) == _plain(DATA_CASES[name](torch, torch_data))


@pytest.mark.parametrize("build", [
    lambda D, ds: D.DataLoader(ds, sampler=range(10), shuffle=True),
    lambda D, ds: D.DataLoader(ds, batch_sampler=[[0, 1]], batch_size=2),
    lambda D, ds: D.DataLoader(ds, batch_sampler=[[0, 1]], shuffle=True),
    lambda D, ds: D.DataLoader(ds, batch_sampler=[[0, 1]], drop_last=True),
    lambda D, ds: D.DataLoader(ds, batch_size=None, drop_last=True),
    lambda D, ds: D.DataLoader(ds, prefetch_factor=2),
    lambda D, ds: D.DataLoader(ds, persistent_workers=True),
    lambda D, ds: D.DataLoader(ds, num_workers=-1),
    lambda D, ds: D.BatchSampler(range(7), 0, False),
])
def test_data_loader_misuse_matches_torch(build):
    import torch.utils.data as torch_data  # noqa: PLC0415

    import tinygrad_np.utils.data as tg_data  # noqa: PLC0415
    with pytest.raises(ValueError) as theirs:
        build(torch_data, _tensor_dataset(torch, torch_data))
    with pytest.raises(ValueError) as ours:
        build(tg_data, _tensor_dataset(tg, tg_data))
    assert str(theirs.value).split(" ")[:3] == str(ours.value).split(" ")[:3]


# ---------------------------------------------------------------- data: workers' NumPy streams


class _Draws:
    """A map-style dataset whose samples are draws from every global generator."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return (index, float(self.lib.rand(1).item()), float(np.random.rand()), random.random())


def _draws_per_epoch(lib, data, workers, seeded_generator, persistent=False):
    lib.manual_seed(11)
    np.random.seed(5)
    random.seed(5)
    generator = lib.Generator().manual_seed(3) if seeded_generator else None
    loader = data.DataLoader(_Draws(lib), batch_size=2, num_workers=workers, shuffle=True,
                             generator=generator, persistent_workers=persistent)
    epochs = [[[column.tolist() for column in batch] for batch in loader] for _ in range(2)]
    return epochs, lib.rand(1).item(), np.random.rand(), random.random()


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("seeded_generator", [True, False])
def test_worker_numpy_streams_match_torch(workers, seeded_generator):
    # PyTorch seeds a worker's NumPy generator with a SeedSequence hash of the base seed and
    # the worker id (not with base seed + id, which was used here): np.random draws differed
    import torch.utils.data as torch_data  # noqa: PLC0415

    import tinygrad_np.utils.data as tg_data  # noqa: PLC0415
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "suggested max number of worker"
        ours = _draws_per_epoch(tg, tg_data, workers, seeded_generator, persistent=workers == 2)
        theirs = _draws_per_epoch(torch, torch_data, workers, seeded_generator,
                                  persistent=workers == 2)
    assert ours == theirs


@pytest.mark.parametrize("lib", LIBS, ids=["tg", "torch"])
def test_grad_scaler_pickles_between_iterations_only(lib):
    p = lib.nn.Parameter(lib.ones(2))
    optimizer = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=1000.1, growth_interval=1)
    scaler.scale((p * 2).sum()).backward()
    scaler.unscale_(optimizer)
    with pytest.raises(AssertionError, match="may only be pickled at the beginning"):
        pickle.dumps(scaler)
    scaler.step(optimizer)
    scaler.update()
    copied = pickle.loads(pickle.dumps(scaler))
    assert copied.get_scale() == scaler.get_scale() == float(np.float32(1000.1)) * 2
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        copied.step(optimizer)  # the copy makes its scale at its first scale()
