"""Every learning-rate scheduler against torch.optim.lr_scheduler: the learning rates (and
OneCycleLR's momentum / betas) of two parameter groups after every step, with a state_dict()
round trip through a fresh optimizer and scheduler in the middle."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np.optim as optim
from tinygrad_np import Tensor
from tinygrad_np.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 25
RESUME_AT = 12


def warmup_then_decay(epoch):
    return (epoch + 1) / 5 if epoch < 5 else 0.9 ** (epoch - 5)


class Halving:
    """A callable object: its attributes are saved in LambdaLR's state dict."""

    def __init__(self):
        self.every = 4

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


SCHEDULERS = [
    ("StepLR", dict(step_size=4)),
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 15], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),  # past T_max: the cosine rises again
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=warmup_then_decay)),
    ("LambdaLR", dict(lr_lambda=[warmup_then_decay, lambda epoch: 1 / (1 + epoch)])),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.7, total_iters=9)),
    ("CosineAnnealingWarmRestarts", dict(T_0=7)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.95)),
    ("MultiplicativeLR", dict(lr_lambda=[lambda epoch: 0.9, lambda epoch: 1 - epoch / 100])),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("PolynomialLR", dict(total_iters=10, power=2.0)),  # zero from epoch 10 on
    ("PolynomialLR", dict(total_iters=30, power=0.5)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                      mode="triangular2", base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, mode="exp_range",
                      gamma=0.9, cycle_momentum=False)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=Halving(),
                      scale_mode="iterations")),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS)),
    ("OneCycleLR", dict(max_lr=[0.5, 1.0], total_steps=STEPS, anneal_strategy="linear",
                        pct_start=0.4, div_factor=10.0, final_div_factor=100.0)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=5, steps_per_epoch=5, three_phase=True,
                        base_momentum=0.7, max_momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=STEPS, cycle_momentum=False)),
]


def ids(cases):
    def label(value):
        return getattr(value, "__name__", value)

    return [name + "".join(f"-{key}={label(value)}" for key, value in kw.items())
            for name, kw, *_ in cases]


def optimizers(kind="SGD"):
    """Ours and PyTorch's, two groups with different learning rates."""
    ours_a, ours_b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    torch_a = torch.ones(2, dtype=torch.float64, requires_grad=True)
    torch_b = torch.ones(3, dtype=torch.float64, requires_grad=True)
    settings = dict(lr=0.1, momentum=0.9) if kind == "SGD" else dict(lr=0.1)

    def make(module, a, b):
        return getattr(module, kind)([{"params": [a]}, {"params": [b], "lr": 0.03}], **settings)

    return make(optim, ours_a, ours_b), make(torch.optim, torch_a, torch_b)


def assert_groups_match(ours, theirs, label):
    for key in ("lr", "momentum", "betas"):
        for our_group, their_group in zip(ours.param_groups, theirs.param_groups):
            if key in their_group:
                np.testing.assert_allclose(np.array(our_group[key], dtype=float),
                                           np.array(their_group[key], dtype=float),
                                           rtol=1e-12, atol=1e-15, err_msg=f"{key} at {label}")


# OneCycleLR and CyclicLR cycle Adam's beta1 instead of SGD's momentum.
CASES = [(name, settings, "SGD") for name, settings in SCHEDULERS] + [
    (name, settings, "Adam") for name, settings in SCHEDULERS
    if name in ("OneCycleLR", "CyclicLR")] + [
    # The other optimizers: their lr follows a schedule, and OneCycleLR cycles their beta1.
    (name, settings, kind) for name, settings in SCHEDULERS
    for kind in ("Adamax", "NAdam", "RAdam", "Rprop", "ASGD")
    if name == "StepLR" or (name == "OneCycleLR" and kind in ("Adamax", "NAdam", "RAdam"))]


@pytest.mark.parametrize(("name", "settings", "kind"), CASES,
                         ids=[f"{label}-{case[2]}" for label, case in zip(ids(CASES), CASES)])
def test_schedule_matches_pytorch_with_a_state_dict_round_trip(name, settings, kind):
    our_opt, torch_opt = optimizers(kind)
    ours = getattr(lr_scheduler, name)(our_opt, **settings)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_opt, **settings)
    assert_groups_match(our_opt, torch_opt, "construction")
    for step in range(1, STEPS + 1):
        our_opt.step()
        torch_opt.step()
        ours.step()
        theirs.step()
        assert_groups_match(our_opt, torch_opt, f"step {step}")
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        assert ours.last_epoch == theirs.last_epoch
        if step == RESUME_AT:
            saved_optimizer, saved_scheduler = our_opt.state_dict(), ours.state_dict()
            assert set(saved_scheduler) == set(theirs.state_dict())
            our_opt, _ = optimizers(kind)
            ours = getattr(lr_scheduler, name)(our_opt, **settings)
            our_opt.load_state_dict(saved_optimizer)
            ours.load_state_dict(saved_scheduler)


def test_lambda_state_dict_saves_callable_objects_only():
    our_opt, _ = optimizers()
    halving, plain = Halving(), warmup_then_decay
    scheduler = lr_scheduler.LambdaLR(our_opt, [halving, plain])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"every": 4}, None]
    halving.every = 9
    scheduler.load_state_dict(state)
    assert halving.every == 4


PLATEAU = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=1, cooldown=2, factor=0.5, min_lr=[0.01, 0.02]),
    dict(mode="max", threshold_mode="abs", threshold=0.05, patience=0),
    dict(mode="max", patience=1, factor=0.2, min_lr=0.005, eps=1e-3),
    dict(mode="min", threshold_mode="abs", threshold=0.01, patience=1, min_lr=0.0201),
]


@pytest.mark.parametrize("settings", PLATEAU, ids=[str(s) for s in PLATEAU])
def test_reduce_on_plateau_matches_pytorch(settings):
    rng = np.random.default_rng(3)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 5), 0.5 + 0.03 * rng.normal(size=30)])
    our_opt, torch_opt = optimizers()
    ours = lr_scheduler.ReduceLROnPlateau(our_opt, **settings)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **settings)
    reductions = 0
    for step, metric in enumerate(metrics, 1):
        before = our_opt.param_groups[0]["lr"]
        our_opt.step()
        torch_opt.step()
        ours.step(Tensor(metric) if step % 2 else float(metric))
        theirs.step(float(metric))
        reductions += our_opt.param_groups[0]["lr"] < before
        assert_groups_match(our_opt, torch_opt, f"step {step}")
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert (ours.num_bad_epochs, ours.cooldown_counter, ours.best) == (
            theirs.num_bad_epochs, theirs.cooldown_counter, theirs.best)
        if step == 15:
            saved = ours.state_dict()
            ours = lr_scheduler.ReduceLROnPlateau(our_opt)
            ours.load_state_dict(saved)
    assert reductions > 0 or settings.get("mode") == "max"


def test_epoch_argument_uses_the_closed_form_and_warns():
    our_opt, torch_opt = optimizers()
    ours = lr_scheduler.CosineAnnealingLR(our_opt, T_max=10)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(torch_opt, T_max=10)
    our_opt.step()
    torch_opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        ours.step(7)
    with pytest.warns(UserWarning):
        theirs.step(7)
    assert_groups_match(our_opt, torch_opt, "epoch 7")
    expected = 0.1 * (1 + math.cos(math.pi * 7 / 10)) / 2  # written out: the closed form
    assert our_opt.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("chained", [False, True])
def test_schedulers_compose_like_pytorch(chained):
    """Chainable forms: two schedulers on one optimizer multiply their effects (stepped one
    by one, or through ChainedScheduler)."""

    def make(module, optimizer):
        schedulers = [module.ExponentialLR(optimizer, gamma=0.9),
                      module.StepLR(optimizer, step_size=3, gamma=0.5)]
        return [module.ChainedScheduler(schedulers)] if chained else schedulers

    our_opt, torch_opt = optimizers()
    ours, theirs = make(lr_scheduler, our_opt), make(torch.optim.lr_scheduler, torch_opt)
    for step in range(10):
        our_opt.step()
        torch_opt.step()
        for scheduler in ours + theirs:
            scheduler.step()
        assert_groups_match(our_opt, torch_opt, f"step {step}")
        if chained and step == 4:
            saved = ours[0].state_dict()
            assert set(saved) == set(theirs[0].state_dict())
            ours = make(lr_scheduler, our_opt)
            ours[0].load_state_dict(saved)
            np.testing.assert_allclose(ours[0].get_last_lr(), theirs[0].get_last_lr())


def test_warm_restarts_with_fractional_epochs_match_pytorch():
    our_opt, torch_opt = optimizers()
    ours = lr_scheduler.CosineAnnealingWarmRestarts(our_opt, T_0=2, T_mult=3, eta_min=0.002)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(torch_opt, T_0=2, T_mult=3,
                                                                  eta_min=0.002)
    for epoch in range(12):
        for batch in range(4):
            our_opt.step()
            torch_opt.step()
            ours.step(epoch + batch / 4)
            theirs.step(epoch + batch / 4)
            assert_groups_match(our_opt, torch_opt, f"epoch {epoch} batch {batch}")
    with pytest.raises(ValueError, match="Expected non-negative epoch"):
        ours.step(-1)


def test_errors():
    our_opt, _ = optimizers()
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR("sgd", step_size=2)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(our_opt, step_size=2, last_epoch=3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(our_opt, [warmup_then_decay])
    with pytest.raises(ValueError, match="total_steps OR"):
        lr_scheduler.OneCycleLR(our_opt, max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        lr_scheduler.OneCycleLR(our_opt, max_lr=0.1, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(our_opt, factor=1.5)
    with pytest.raises(ValueError, match="mode sideways is unknown"):
        lr_scheduler.ReduceLROnPlateau(our_opt, mode="sideways")
    adagrad = optim.Adagrad([Tensor(np.ones(1), requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(adagrad, max_lr=0.1, total_steps=5)
    scheduler = lr_scheduler.OneCycleLR(our_opt, max_lr=0.1, total_steps=2)
    with pytest.warns(UserWarning, match="before `optimizer.step"):  # as PyTorch warns
        scheduler.step()
    scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        scheduler.step()


@pytest.mark.parametrize("milestones", [[5], [3, 10]])
def test_sequential_matches_pytorch_with_a_state_dict_round_trip(milestones):
    """A warm-up, then a decay (then a constant): each scheduler restarts at its milestone."""

    def make(module, optimizer):
        schedulers = [module.LinearLR(optimizer, start_factor=0.1, total_iters=5),
                      module.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.01),
                      module.ExponentialLR(optimizer, gamma=0.8)][:len(milestones) + 1]
        return module.SequentialLR(optimizer, schedulers, milestones=milestones)

    our_opt, torch_opt = optimizers()
    ours, theirs = make(lr_scheduler, our_opt), make(torch.optim.lr_scheduler, torch_opt)
    assert_groups_match(our_opt, torch_opt, "construction")
    for step in range(1, 21):
        our_opt.step()
        torch_opt.step()
        ours.step()
        theirs.step()
        assert_groups_match(our_opt, torch_opt, f"step {step}")
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        if step == 8:
            saved_optimizer, saved_scheduler = our_opt.state_dict(), ours.state_dict()
            assert set(saved_scheduler) == set(theirs.state_dict())
            our_opt, _ = optimizers()
            ours = make(lr_scheduler, our_opt)
            our_opt.load_state_dict(saved_optimizer)
            ours.load_state_dict(saved_scheduler)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        lr_scheduler.SequentialLR(our_opt, [lr_scheduler.StepLR(our_opt, 2)], milestones=[3])
