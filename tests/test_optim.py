"""Tests for tinygrad_np.optim: SGD and Adam against their update equations written out in
NumPy here, and a small network trained side by side with PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np import Tensor

# ----------------------------------------------------------------- NumPy references


class ReferenceSGD:
    """g = grad + wd p;  b = g (first step) else mu b + g;  p = p - lr b."""

    def __init__(self, lr, momentum=0.0, weight_decay=0.0):
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.buffers = {}

    def step(self, key, p, grad):
        g = grad + self.weight_decay * p
        if self.momentum:
            if key in self.buffers:
                self.buffers[key] = self.momentum * self.buffers[key] + g
            else:
                self.buffers[key] = g.copy()
            g = self.buffers[key]
        return p - self.lr * g


class ReferenceAdam:
    """m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t);  p = p - lr m_hat / (sqrt(v_hat) + eps)."""

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.moments = {}

    def step(self, key, p, grad):
        beta1, beta2 = self.betas
        g = grad + self.weight_decay * p
        t, m, v = self.moments.get(key, (0, np.zeros_like(p), np.zeros_like(p)))
        t, m, v = t + 1, beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
        self.moments[key] = (t, m, v)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def run_against_reference(optimizer_class, reference, dtype=np.float64, steps=6, **settings):
    """Feed both the same gradients for a few steps; return (ours, reference) parameters."""
    rng = np.random.default_rng(7)
    shapes = [(3, 4), (4,), ()]
    params = [Tensor(rng.normal(size=s).astype(dtype), requires_grad=True) for s in shapes]
    expected = [p._data.astype(np.float64) for p in params]
    opt = optimizer_class(params, **settings)
    ref = reference(**settings)
    for _ in range(steps):
        for key, p in enumerate(params):
            grad = rng.normal(size=p.shape)
            p.grad = Tensor(grad.astype(dtype))
            expected[key] = ref.step(key, expected[key], grad.astype(dtype).astype(np.float64))
        opt.step()
    return params, expected


SGD_SETTINGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, weight_decay=0.01),
    dict(lr=0.1, weight_decay=0.1),
]
ADAM_SETTINGS = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.05),
]


@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_sgd_matches_update_equations(settings):
    params, expected = run_against_reference(optim.SGD, ReferenceSGD, **settings)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._data, e, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("settings", ADAM_SETTINGS)
def test_adam_matches_update_equations(settings):
    params, expected = run_against_reference(optim.Adam, ReferenceAdam, **settings)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p._data, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("optimizer_class", "reference", "settings"), [
    (optim.SGD, ReferenceSGD, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    (optim.Adam, ReferenceAdam, dict(lr=0.01, weight_decay=0.01)),
])
def test_float32_stays_float32(optimizer_class, reference, settings):
    params, expected = run_against_reference(optimizer_class, reference, dtype=np.float32,
                                             **settings)
    for p, e in zip(params, expected):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p._data, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps)])
def test_step_is_in_place_records_nothing_and_skips_missing_grads(make):
    used, unused = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    array = used._data
    opt = make([used, unused])
    (used * used).sum().backward()
    opt.step()
    assert used._data is array and used.is_leaf and used.grad_fn is None
    assert np.all(used._data < 1)
    np.testing.assert_array_equal(unused._data, np.ones(2))
    assert opt.state[unused] == {}
    np.testing.assert_array_equal(used.grad._data, 2 * np.ones(3))  # the gradient is untouched


def test_adam_counts_steps_per_parameter():
    first, second = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([first, second], lr=0.1)
    ref = ReferenceAdam(lr=0.1)
    expected_second = second._data.copy()
    first.grad = Tensor(np.ones(2))
    opt.step()  # second has no gradient yet: its bias correction must still start at t = 1
    first.grad = None
    second.grad = Tensor(np.full(2, 0.5))
    opt.step()
    expected_second = ref.step("second", expected_second, np.full(2, 0.5))
    np.testing.assert_allclose(second._data, expected_second, rtol=1e-12)
    assert opt.state[first]["step"] == 1 and opt.state[second]["step"] == 1


def test_zero_grad_and_parameters_from_a_generator():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups) == 1 and len(opt.param_groups[0]["params"]) == 2
    model(Tensor(np.ones((1, 3), dtype=np.float32))).sum().backward()
    opt.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_duplicate_parameters_are_updated_twice():  # as PyTorch (which warns)
    p = Tensor(np.ones(1), requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = optim.SGD([p, p], lr=0.25)
    p.grad = Tensor(np.ones(1))
    opt.step()
    np.testing.assert_array_equal(p._data, [0.5])


def test_constructor_errors():
    p = Tensor(np.ones(1), requires_grad=True)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="can only optimize Tensors, but parameter 1 is a float"):
        optim.SGD([p, 1.0], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf Tensor: parameter 0 is not a leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match=r"Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([p], differentiable=True)
    text = repr(optim.SGD([p], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text


def test_training_reduces_the_loss():
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(100):
        opt.zero_grad()
        loss = F.cross_entropy(model(Tensor(x)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ----------------------------------------------------------------- against PyTorch


def twin_networks(torch):
    """A Linear-ReLU-Linear net in float64, and the same net in PyTorch with copied weights."""
    tg.manual_seed(3)
    ours = nn.Sequential(nn.Linear(5, 7, dtype=np.float64), nn.ReLU(),
                         nn.Linear(7, 3, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    theirs = theirs.double()
    theirs.load_state_dict({name: torch.tensor(value.numpy())
                            for name, value in ours.state_dict().items()})
    rng = np.random.default_rng(3)
    return ours, theirs, rng.normal(size=(8, 5)), rng.integers(0, 3, 8)


def test_network_loss_and_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs, x, y = twin_networks(torch)
    loss = F.cross_entropy(ours(Tensor(x)), y)
    loss.backward()
    expected = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad._data, torch_params[name].grad.numpy(), rtol=1e-10,
                                   atol=1e-14, err_msg=name)


@pytest.mark.parametrize(("ours_class", "torch_name", "settings"), [
    (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9)),
    (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (optim.Adam, "Adam", dict(lr=0.01)),
    (optim.Adam, "Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.01)),
])
def test_five_steps_match_pytorch(ours_class, torch_name, settings):
    torch = pytest.importorskip("torch")
    ours, theirs, x, y = twin_networks(torch)
    ours_opt = ours_class(ours.parameters(), **settings)
    torch_opt = getattr(torch.optim, torch_name)(theirs.parameters(), **settings)
    for _ in range(5):
        ours_opt.zero_grad()
        F.cross_entropy(ours(Tensor(x)), y).backward()
        ours_opt.step()
        torch_opt.zero_grad()
        torch_loss = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)),
                                                       torch.from_numpy(y))
        torch_loss.backward()
        torch_opt.step()
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p._data, torch_params[name].detach().numpy(), rtol=0,
                                   atol=1e-6, err_msg=name)
        # not just close: the same arithmetic, so agreement is to rounding
        np.testing.assert_allclose(p._data, torch_params[name].detach().numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


def test_parameter_groups_have_their_own_settings():
    """Dict groups: per-group lr and momentum, defaults for what a group leaves out."""
    rng = np.random.default_rng(1)
    first, second = (Tensor(rng.normal(size=3), requires_grad=True) for _ in range(2))
    expected = [first._data.copy(), second._data.copy()]
    opt = optim.SGD([{"params": [first], "lr": 0.5, "momentum": 0.9}, {"params": [second]}],
                    lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert opt.param_groups[1]["momentum"] == 0 and opt.defaults["lr"] == 0.1
    refs = [ReferenceSGD(lr=0.5, momentum=0.9), ReferenceSGD(lr=0.1)]
    for _ in range(4):
        for key, (p, ref) in enumerate(zip((first, second), refs)):
            grad = rng.normal(size=3)
            p.grad = Tensor(grad)
            expected[key] = ref.step(key, expected[key], grad)
        opt.step()
    for p, e in zip((first, second), expected):
        np.testing.assert_allclose(p._data, e, rtol=1e-12)
    third = Tensor(np.ones(2), requires_grad=True)
    opt.add_param_group({"params": third, "lr": 0.25})
    third.grad = Tensor(np.ones(2))
    first.grad = second.grad = None
    opt.step()
    np.testing.assert_array_equal(third._data, [0.75, 0.75])
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1], [2]]
    assert list(saved["state"]) == [0] and "momentum_buffer" in saved["state"][0]


def test_setting_lr_on_the_optimizer_reaches_every_group():
    """`optimizer.lr = x` (old scripts, schedules written by hand) must not be a silent no-op."""
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    with pytest.raises(AttributeError, match="different learning rates"):
        _ = opt.lr
    opt.lr = 0.01
    assert [group["lr"] for group in opt.param_groups] == [0.01, 0.01] and opt.lr == 0.01
    (a.sum() + b.sum()).backward()
    opt.step()
    np.testing.assert_allclose(a._data, [0.99, 0.99])
    np.testing.assert_allclose(b._data, [0.99, 0.99])
