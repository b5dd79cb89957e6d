"""Every optimizer against torch.optim, step by step in float64, on a small network with the
same initial weights, two parameter groups (one with its own settings), and a state_dict()
round trip through a fresh optimizer in the middle. Also the Optimizer base: param_groups,
add_param_group, zero_grad, closures and the state_dict layout.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.optim as optim
from tinygrad_np import Tensor

torch = pytest.importorskip("torch")

STEPS = 20
RESUME_AT = 10

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.3, 0.9), maximize=True)),  # lerp's other branch
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.3, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.05, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.01, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.9), eps=1e-6, weight_decay=0.05, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.05, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),  # rho_t > 5 from step 6 on: both branches
    ("RAdam", dict(lr=0.01, betas=(0.3, 0.8), weight_decay=0.05)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1), maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.01)),
    ("ASGD", dict(lr=0.02, t0=0, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in settings.items()) or 'defaults'}"
       for name, settings in CASES]


def twin_models():
    """Linear(4, 6) - Tanh - Linear(6, 2) in float64, ours and PyTorch's with the same weights."""
    tg.manual_seed(5)
    ours = nn.Sequential(nn.Linear(4, 6, dtype=np.float64), nn.Tanh(),
                         nn.Linear(6, 2, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(),
                                 torch.nn.Linear(6, 2)).double()
    theirs.load_state_dict({name: torch.from_numpy(np.array(value))
                            for name, value in ours.state_dict().items()})
    return ours, theirs


def grouped(params, settings):
    """Two groups: the first layer with its own lr (and weight decay), the rest with defaults."""
    params = list(params)
    first = {"params": params[:2], "lr": settings.get("lr", 1.0) * 0.5}
    if "weight_decay" in settings:
        first["weight_decay"] = 2 * settings["weight_decay"]
    return [first, {"params": params[2:]}]


def batches():
    rng = np.random.default_rng(11)
    return [(rng.normal(size=(8, 4)), rng.normal(size=(8, 2))) for _ in range(STEPS)]


def our_loss(model, x, y):
    return ((model(Tensor(x)) - Tensor(y)) ** 2).mean()


def torch_loss(model, x, y):
    return ((model(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()


def assert_params_match(ours, theirs, step, rtol=1e-10, atol=1e-12):
    torch_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param._data, torch_params[name].detach().numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"{name} after step {step}")


@pytest.mark.parametrize(("name", "settings"), CASES, ids=IDS)
def test_twenty_steps_match_pytorch_with_a_state_dict_round_trip(name, settings):
    ours, theirs = twin_models()
    our_opt = getattr(optim, name)(grouped(ours.parameters(), settings), **settings)
    torch_opt = getattr(torch.optim, name)(grouped(theirs.parameters(), settings), **settings)
    for step, (x, y) in enumerate(batches(), 1):
        our_opt.zero_grad()
        our_loss(ours, x, y).backward()
        our_opt.step()
        torch_opt.zero_grad()
        torch_loss(theirs, x, y).backward()
        torch_opt.step()
        assert_params_match(ours, theirs, step)
        if step == RESUME_AT:
            compare_state_dicts(our_opt.state_dict(), torch_opt.state_dict())
            saved = our_opt.state_dict()
            our_opt = getattr(optim, name)(grouped(ours.parameters(), {}), lr=123.0)
            our_opt.load_state_dict(saved)
            # PyTorch resumed too: loading casts NAdam's float32 mu_product to the
            # parameters' dtype, in both
            their_saved = torch_opt.state_dict()
            torch_opt = getattr(torch.optim, name)(grouped(theirs.parameters(), {}), lr=123.0)
            torch_opt.load_state_dict(their_saved)
    compare_state_dicts(our_opt.state_dict(), torch_opt.state_dict())


def compare_state_dicts(ours, theirs):
    """Same layout and values: group settings, parameter indices, per-parameter state."""
    assert len(ours["param_groups"]) == len(theirs["param_groups"])
    for our_group, their_group in zip(ours["param_groups"], theirs["param_groups"]):
        assert set(our_group) == set(their_group)
        for key, value in their_group.items():
            assert our_group[key] == (list(value) if key == "params" else value), key
    assert set(ours["state"]) == set(theirs["state"])
    for index, their_state in theirs["state"].items():
        our_state = ours["state"][index]
        assert set(our_state) == set(their_state)
        for key, value in their_state.items():
            if key == "step":
                assert our_state[key] == float(value)
            else:
                np.testing.assert_allclose(np.asarray(our_state[key]), value.numpy(), rtol=1e-9,
                                           atol=1e-14, err_msg=f"state {index} {key}")


@pytest.mark.parametrize(("name", "settings"), CASES[1::3], ids=IDS[1::3])
def test_resuming_from_a_state_dict_is_bit_exact(name, settings):
    """Training with a round trip (through a fresh optimizer, and through deepcopy and pickle
    of the state dict) gives exactly the parameters of uninterrupted training."""
    results = []
    for resume in (None, "fresh", "pickle"):
        ours, _ = twin_models()
        opt = getattr(optim, name)(grouped(ours.parameters(), settings), **settings)
        for step, (x, y) in enumerate(batches(), 1):
            opt.zero_grad()
            our_loss(ours, x, y).backward()
            opt.step()
            if step == RESUME_AT and resume is not None:
                saved = opt.state_dict()
                if resume == "pickle":
                    saved = pickle.loads(pickle.dumps(copy.deepcopy(saved)))
                opt = getattr(optim, name)(grouped(ours.parameters(), {}))
                opt.load_state_dict(saved)
        results.append([p._data.copy() for p in ours.parameters()])
    for other in results[1:]:
        for expected, actual in zip(results[0], other):
            if name == "NAdam":  # loading casts the float32 mu_product to float64 (PyTorch's
                # too): the resumed steps round it less
                np.testing.assert_allclose(actual, expected, rtol=1e-6)
            else:
                np.testing.assert_array_equal(actual, expected)


def test_our_state_dict_loads_into_pytorch_and_back():
    """The layouts are the same: converting tensors is all it takes in either direction."""
    ours, theirs = twin_models()
    our_opt = optim.Adam(grouped(ours.parameters(), {"lr": 0.01}), lr=0.01, amsgrad=True)
    torch_opt = torch.optim.Adam(grouped(theirs.parameters(), {"lr": 0.01}), lr=0.01,
                                 amsgrad=True)
    x, y = batches()[0]
    for _ in range(3):
        our_opt.zero_grad()
        our_loss(ours, x, y).backward()
        our_opt.step()
    saved = our_opt.state_dict()
    torch_opt.load_state_dict({
        "param_groups": saved["param_groups"],
        "state": {index: {key: torch.tensor(value) if key == "step"
                          else torch.from_numpy(value._data.copy())
                          for key, value in values.items()}
                  for index, values in saved["state"].items()}})
    with torch.no_grad():
        for mine, theirs_p in zip(ours.parameters(), theirs.parameters()):
            theirs_p.copy_(torch.from_numpy(mine._data.copy()))
    for x, y in batches()[1:6]:
        our_opt.zero_grad()
        our_loss(ours, x, y).backward()
        our_opt.step()
        torch_opt.zero_grad()
        torch_loss(theirs, x, y).backward()
        torch_opt.step()
    assert_params_match(ours, theirs, "resumed")
    back = optim.Adam(grouped(ours.parameters(), {}))
    back.load_state_dict(torch_opt.state_dict())
    compare_state_dicts(back.state_dict(), torch_opt.state_dict())


def test_add_param_group_and_per_group_settings_match_pytorch():
    ours, theirs = twin_models()
    our_params, torch_params = list(ours.parameters()), list(theirs.parameters())
    our_opt = optim.SGD(our_params[:2], lr=0.1, momentum=0.9)
    torch_opt = torch.optim.SGD(torch_params[:2], lr=0.1, momentum=0.9)
    for step, (x, y) in enumerate(batches()[:8], 1):
        if step == 4:  # "unfreeze" the last layer with its own settings
            our_opt.add_param_group({"params": our_params[2:], "lr": 0.3, "nesterov": True})
            torch_opt.add_param_group({"params": torch_params[2:], "lr": 0.3, "nesterov": True})
        for opt, loss in ((our_opt, our_loss(ours, x, y)), (torch_opt, torch_loss(theirs, x, y))):
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert_params_match(ours, theirs, step)
    compare_state_dicts(our_opt.state_dict(), torch_opt.state_dict())


def test_closure_is_called_with_grad_enabled_and_its_loss_returned():
    ours, theirs = twin_models()
    x, y = batches()[0]
    our_opt = optim.SGD(ours.parameters(), lr=0.1)
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.1)

    def closure():
        our_opt.zero_grad()
        loss = our_loss(ours, x, y)
        loss.backward()
        return loss

    def torch_closure():
        torch_opt.zero_grad()
        loss = torch_loss(theirs, x, y)
        loss.backward()
        return loss

    with tg.no_grad():
        loss = our_opt.step(closure)
    np.testing.assert_allclose(loss.item(), torch_opt.step(torch_closure).item(), rtol=1e-12)
    assert_params_match(ours, theirs, 1)


def test_zero_grad_set_to_none_false_keeps_zeroed_gradients():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad._data, np.zeros(3))
    opt.step()  # a zero gradient is a step (of size zero), not a skip
    np.testing.assert_array_equal(p._data, np.ones(3))
    opt.zero_grad()
    assert p.grad is None


def test_state_dict_layout_indices_and_names():
    ours, theirs = twin_models()
    our_opt = optim.Adagrad(list(ours.named_parameters()), lr=0.1)
    torch_opt = torch.optim.Adagrad(list(theirs.named_parameters()), lr=0.1)
    our_state, torch_state = our_opt.state_dict(), torch_opt.state_dict()
    assert our_state["param_groups"][0]["param_names"] == ["0.weight", "0.bias", "2.weight",
                                                           "2.bias"]
    compare_state_dicts(our_state, torch_state)  # Adagrad's state exists before any step
    assert list(our_opt.state) == list(ours.parameters())


def test_load_state_dict_casts_to_the_parameters_dtype_and_copies():
    p64 = Tensor(np.ones(2), requires_grad=True)
    opt64 = optim.Adam([p64])
    p64.grad = Tensor(np.full(2, 0.5))
    opt64.step()
    p32 = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    opt32 = optim.Adam([p32])
    saved = opt64.state_dict()
    opt32.load_state_dict(saved)
    state = opt32.state[p32]
    assert state["exp_avg"].dtype == np.float32 and state["step"] == 1.0
    p32.grad = Tensor(np.full(2, 0.5, dtype=np.float32))
    opt32.step()
    assert saved["state"][0]["step"] == 1.0  # the loaded copy moved on, the saved one did not
    np.testing.assert_allclose(saved["state"][0]["exp_avg"]._data, 0.05)


def test_load_state_dict_errors():
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="1 parameter groups, the optimizer 2"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict, 1 in"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)


def test_scheduler_lr_reaches_the_step():
    """The update reads group["lr"] at every step, so a scheduler (or a hand edit) applies."""
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    p.grad = Tensor(np.ones(1))
    opt.step()
    opt.param_groups[0]["lr"] = 0.25
    opt.step()
    np.testing.assert_array_equal(p._data, [-1.25])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_defaults_and_validation_match_pytorch(name):
    ours_p = Tensor(np.ones(2), requires_grad=True)
    torch_p = torch.ones(2, dtype=torch.float64, requires_grad=True)
    ours, theirs = getattr(optim, name)([ours_p]), getattr(torch.optim, name)([torch_p])
    assert ours.defaults == theirs.defaults
    for bad in (dict(lr=-0.1), dict(weight_decay=-1.0)):
        with pytest.raises(ValueError) as torch_error:
            getattr(torch.optim, name)([torch_p], **bad)
        with pytest.raises(ValueError, match=str(torch_error.value)):
            getattr(optim, name)([ours_p], **bad)


def test_float32_parameters_stay_float32_and_track_pytorch():
    ours, theirs = twin_models()
    ours_params = [Tensor(p._data.astype(np.float32), requires_grad=True)
                   for p in ours.parameters()]
    torch_params = [torch.tensor(p._data.astype(np.float32), requires_grad=True)
                    for p in ours.parameters()]
    opt = optim.Adam(ours_params, lr=0.01, weight_decay=0.01)
    torch_opt = torch.optim.Adam(torch_params, lr=0.01, weight_decay=0.01)
    rng = np.random.default_rng(0)
    for _ in range(5):
        for mine, theirs_p in zip(ours_params, torch_params):
            grad = rng.normal(size=mine.shape).astype(np.float32)
            mine.grad, theirs_p.grad = Tensor(grad), torch.from_numpy(grad.copy())
        opt.step()
        torch_opt.step()
    for mine, theirs_p in zip(ours_params, torch_params):
        assert mine.dtype == np.float32 and opt.state[mine]["exp_avg"].dtype == np.float32
        np.testing.assert_allclose(mine._data, theirs_p.detach().numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- gradient clipping


def twin_gradients(scale=1.0):
    """The twin models after one backward pass, gradients multiplied by `scale`."""
    ours, theirs = twin_models()
    x, y = batches()[0]
    (our_loss(ours, x, y) * scale).backward()
    (torch_loss(theirs, x, y) * scale).backward()
    return ours, theirs


def assert_grads_match(ours, theirs):
    torch_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad._data, torch_params[name].grad.numpy(),
                                   rtol=1e-12, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0.5])
@pytest.mark.parametrize("max_norm", [0.01, 1e6])  # clipped, and left alone (factor 1)
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    ours, theirs = twin_gradients(scale=10.0)
    total = nn.utils.clip_grad_norm_(ours.parameters(), max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm,
                                              norm_type=norm_type)
    assert isinstance(total, Tensor) and total.shape == () and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    assert_grads_match(ours, theirs)
    # The definition, written out: the norm of all the gradients as one vector.
    grads = np.abs(np.concatenate([p.grad._data.ravel() for p in ours.parameters()]))
    norm = grads.max() if norm_type == float("inf") else np.sum(grads**norm_type) ** (
        1 / norm_type)
    if max_norm == 0.01:
        assert norm == pytest.approx(0.01, rel=1e-4)  # clipped to max_norm (less 1e-6)
    else:
        assert norm == pytest.approx(total.item(), rel=1e-12)  # untouched


def test_clip_grad_norm_single_tensor_missing_grads_and_float32():
    a = Tensor(np.array([3.0, 4.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    a.grad = Tensor(np.array([3.0, 4.0], dtype=np.float32))
    total = nn.utils.clip_grad_norm_(a, max_norm=1.0)  # a Tensor, not a list
    assert total.item() == 5.0 and total.dtype == np.float32 and a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad._data, [0.6, 0.8], rtol=1e-6)
    assert nn.utils.clip_grad_norm_([b], 1.0).item() == 0.0  # no gradients at all
    assert b.grad is None


def test_clip_grad_norm_nonfinite():
    ours, theirs = twin_gradients()
    first = next(iter(ours.parameters()))
    first.grad._data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(ours.parameters(), 1.0, error_if_nonfinite=True)
    total = nn.utils.clip_grad_norm_(ours.parameters(), 1.0)  # scaled by 1 / inf: zeros
    assert total.item() == np.inf and not np.isnan(first.grad._data[0, 1])


@pytest.mark.parametrize("clip_value", [1e-3, 0.05, 100])
def test_clip_grad_value_matches_pytorch(clip_value):
    ours, theirs = twin_gradients(scale=10.0)
    assert nn.utils.clip_grad_value_(ours.parameters(), clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs.parameters(), clip_value)
    assert_grads_match(ours, theirs)
    for param in ours.parameters():
        assert np.abs(param.grad._data).max() <= clip_value


def test_clipping_inside_a_training_loop_matches_pytorch():
    ours, theirs = twin_models()
    our_opt = optim.SGD(ours.parameters(), lr=0.5, momentum=0.9)
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.5, momentum=0.9)
    for step, (x, y) in enumerate(batches()[:10], 1):
        our_opt.zero_grad()
        our_loss(ours, x, y).backward()
        nn.utils.clip_grad_norm_(ours.parameters(), 0.1)
        our_opt.step()
        torch_opt.zero_grad()
        torch_loss(theirs, x, y).backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.1)
        torch_opt.step()
        assert_params_match(ours, theirs, step)


def test_a_custom_optimizer_written_for_pytorch_runs_unchanged():
    """The usual subclass: defaults dict, param_groups, state[p], in-place updates under
    no_grad. The same class body works on both libraries."""

    def make_class(lib, base):
        class SignMomentum(base):
            def __init__(self, params, lr=0.01, beta=0.9):
                super().__init__(params, dict(lr=lr, beta=beta))

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if "buf" not in state:
                            state["buf"] = p.grad * 1.0  # a copy
                        else:
                            state["buf"].mul_(group["beta"]).add_(p.grad, alpha=1 - group["beta"])
                        p.sub_(state["buf"] * group["lr"])
                return None

        return SignMomentum

    ours, theirs = twin_models()
    our_opt = make_class(tg, optim.Optimizer)(ours.parameters(), lr=0.05)
    torch_opt = make_class(torch, torch.optim.Optimizer)(theirs.parameters(), lr=0.05)
    for step, (x, y) in enumerate(batches()[:6], 1):
        for opt, loss in ((our_opt, our_loss(ours, x, y)), (torch_opt, torch_loss(theirs, x, y))):
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert_params_match(ours, theirs, step)
    saved = our_opt.state_dict()
    assert set(saved["state"]) == {0, 1, 2, 3} and saved["param_groups"][0]["beta"] == 0.9
