"""Round 15: optimizers and losses against torch 2.13 (float64 values and gradients) where
torch is installed, and fixed expected values otherwise: 0-d parameters with every option,
duplicate parameters, option checks, LBFGS state, differentiable steps, loss shape checks."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch as the oracle")

ZERO_D_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(amsgrad=True, weight_decay=0.1, maximize=True, foreach=True)),
    ("AdamW", dict(amsgrad=True, maximize=True)),
    ("Adamax", dict(weight_decay=0.1, maximize=True)),
    ("NAdam", dict(weight_decay=0.1, maximize=True, decoupled_weight_decay=True)),
    ("RAdam", dict(weight_decay=0.1, maximize=True, decoupled_weight_decay=True)),
    ("Adagrad", dict(weight_decay=0.1, maximize=True, lr_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
    ("Adadelta", dict(foreach=True)),
    ("RMSprop", dict(weight_decay=0.1, maximize=True, momentum=0.9, centered=True)),
    ("Rprop", dict()),
    ("Rprop", dict(maximize=True)),
    ("Rprop", dict(maximize=True, foreach=True)),
    ("ASGD", dict(weight_decay=0.1, maximize=True)),
    ("Adafactor", dict(weight_decay=0.1, maximize=True)),
    ("LBFGS", dict(line_search_fn="strong_wolfe")),
]


def _three_steps(lib, module, name: str, kwargs: dict, value: float = 2.0) -> float:
    param = lib.tensor(value, dtype=lib.float64, requires_grad=True)
    opt = getattr(module, name)([param], **kwargs)

    def closure():
        opt.zero_grad()
        loss = param * param * param
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    assert tuple(param.shape) == ()
    return float(param.detach())


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), ZERO_D_CASES)
def test_zero_d_parameter_every_optimizer_matches_torch(name, kwargs):
    expected = _three_steps(torch, torch.optim, name, kwargs)
    assert _three_steps(tg, optim, name, kwargs) == pytest.approx(expected, rel=1e-12)


def test_zero_d_adadelta_and_rprop_fixed_values():
    # Adadelta, one step on p*p at p=2 (grad 4): s = 0.1*16 = 1.6,
    # d = sqrt(1e-6)/sqrt(1.6 + 1e-6)*4, p = 2 - d.
    param = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    opt = optim.Adadelta([param])
    (param * param).backward()
    opt.step()
    assert float(param.detach()) == pytest.approx(2 - np.sqrt(1e-6) / np.sqrt(1.6 + 1e-6) * 4)
    # Rprop, maximize: the first step moves by lr (0.01) in the gradient's direction.
    param = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    opt = optim.Rprop([param], maximize=True)
    (param * param).backward()
    opt.step()
    assert float(param.detach()) == pytest.approx(2.01)


DUPLICATE_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(amsgrad=True)),
    ("AdamW", dict()),
    ("NAdam", dict()),
    ("RAdam", dict()),
    ("Adagrad", dict()),
    ("Adadelta", dict()),
    ("RMSprop", dict(momentum=0.5, centered=True)),
    ("Rprop", dict()),
    ("ASGD", dict()),
    ("Adamax", dict()),
]


def _duplicate_run(lib, module, name: str, kwargs: dict):
    p = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    q = lib.tensor([3.0], dtype=lib.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="parameter group with duplicate parameters"):
        opt = getattr(module, name)([{"params": [p, q, p]}], **kwargs)
    for _ in range(3):
        opt.zero_grad()
        ((p * p * p).sum() + (q * q).sum()).backward()
        opt.step()
    state = opt.state_dict()
    return (p.detach().numpy(), q.detach().numpy(), state["param_groups"][0]["params"],
            sorted(state["state"]))


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), DUPLICATE_CASES)
def test_duplicate_parameter_updated_twice_as_torch(name, kwargs):
    p, q, numbers, keys = _duplicate_run(tg, optim, name, kwargs)
    p_t, q_t, numbers_t, keys_t = _duplicate_run(torch, torch.optim, name, kwargs)
    np.testing.assert_allclose(p, p_t, rtol=1e-12)
    np.testing.assert_allclose(q, q_t, rtol=1e-12)
    assert numbers == numbers_t == [2, 1, 2]
    assert keys == keys_t and keys in ([], [1, 2])  # (plain SGD keeps no state)


def test_duplicate_parameter_fixed_values_and_groups():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="issues/40967"):
        opt = optim.SGD([p, p], lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2
    (p * p).sum().backward()
    opt.step()  # p - 0.1 * 2p, twice: 0.8 p, then 0.8 p - 0.1 * 2p (the gradient is not redone)
    np.testing.assert_allclose(p.detach().numpy(), [0.6, 1.2], rtol=1e-6)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        opt.add_param_group({"params": [p]})
    q = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    # numbering by position through the groups, as PyTorch's state_dict
    with pytest.warns(UserWarning, match="duplicate"):
        opt = optim.SGD([{"params": [p, p]}, {"params": [q]}], lr=0.1)
    assert [g["params"] for g in opt.state_dict()["param_groups"]] == [[1, 1], [2]]


CAPTURABLE = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adadelta", "RMSprop", "Rprop", "ASGD"]


def _capturable_error(lib, name: str, foreach: bool | None) -> str | None:
    param = lib.tensor([1.0, 2.0], requires_grad=True)
    opt = getattr(lib.optim, name)([param], capturable=True, foreach=foreach)
    opt.step()  # no gradient yet: nothing to check, as in PyTorch
    param.grad = lib.ones(2)
    with pytest.raises(AssertionError) as info:
        opt.step()
    return str(info.value)


@pytest.mark.parametrize("name", CAPTURABLE)
@pytest.mark.parametrize("foreach", [None, True])
def test_capturable_on_the_cpu_fails_at_step_as_torch(name, foreach):
    message = _capturable_error(tg, name, foreach)
    assert message.startswith("If capturable=True, params")
    assert "must be on supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone'" in message
    if torch is not None and not (name == "NAdam" and foreach):  # (its foreach adds a comma)
        assert message == _capturable_error(torch, name, foreach)


def test_capturable_with_fused_steps_and_the_closure_runs_first():
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([param], lr=0.5, capturable=True, fused=True)
    param.grad = tg.ones(2)
    opt.step()  # PyTorch's fused CPU kernel: no device check
    np.testing.assert_allclose(param.detach().numpy(), [0.5, 1.5], rtol=1e-6)
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.RMSprop([param], capturable=True)
    calls = []

    def closure():
        calls.append(1)
        loss = (param * param).sum()
        loss.backward()
        return loss

    with pytest.raises(AssertionError, match="capturable=True"):
        opt.step(closure)
    assert calls == [1]
    np.testing.assert_array_equal(param.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_with_foreach_or_differentiable_refused_as_torch(name):
    for lib in [tg] + ([torch] if torch is not None else []):
        param = lib.tensor([1.0], requires_grad=True)
        cls = getattr(lib.optim, name)
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
            cls([param], lr=0.1, fused=True, foreach=True)
        with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
            cls([param], lr=0.1, fused=True, differentiable=True)
        cls([param], lr=0.1, fused=True, foreach=False)
        cls([param], lr=0.1, fused=False, foreach=True)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_betas_both_floats_or_both_tensors(name):
    for lib in [tg] + ([torch] if torch is not None else []):
        param = lib.tensor([1.0], requires_grad=True)
        cls = getattr(lib.optim, name)
        for betas in [(0.9, lib.tensor(0.99)), (lib.tensor(0.9), 0.99), (0, 0.9)]:
            with pytest.raises(ValueError, match="betas must be either both floats or both Te"):
                cls([param], betas=betas)
        with pytest.raises(ValueError, match=r"betas\[0\] as a Tensor is not supported for "
                                             "capturable=False and foreach=True"):
            cls([param], betas=(lib.tensor(0.9), lib.tensor(0.99)), foreach=True)
        cls([param], betas=(lib.tensor(0.9), lib.tensor([0.99])))
        cls([param], betas=[0.9, 0.99])
    optim.Adamax([tg.tensor([1.0], requires_grad=True)], betas=(0, 0.9))  # as torch: no check
