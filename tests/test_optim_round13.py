"""optim.Adafactor and optim.Muon against torch.optim (2.13): 20-step trajectories in float64
and float32 for parameters of 0 to 4 dimensions, settings, schedules, state dicts both ways,
argument checks; and fixed values where the update has a closed form (no torch needed)."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import tinygrad_np.optim as optim
from tinygrad_np import Tensor
from tinygrad_np.optim import lr_scheduler
from tinygrad_np.optim.muon import newton_schulz, to_bfloat16

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch as the oracle")
STEPS = 20
SHAPES = [(5,), (4, 6), (2, 3, 4), (), (3, 2, 2, 5), (1, 7)]
MATRICES = [(4, 6), (7, 3), (5, 5)]
ADAFACTOR_CASES = [
    dict(),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.3, weight_decay=0.01, maximize=True, d=1.5, eps=(1e-3, 1e-2), beta2_decay=-0.5),
    dict(lr=0.02, eps=(1e-30, 0.0), foreach=True),
]
MUON_CASES = [
    dict(),
    dict(lr=0.02, weight_decay=0.0),
    dict(lr=0.02, nesterov=False, momentum=0.3, adjust_lr_fn="match_rms_adamw"),
    dict(lr=0.05, momentum=0.6, adjust_lr_fn="original", ns_steps=3,
         ns_coefficients=(2.0, -1.5, 0.5), eps=1e-3),
]
TOLERANCE = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=2e-6, atol=2e-6)}


def twins(shapes, dtype, seed=1):
    """Our parameters and PyTorch's, with the same values."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(rng.normal(size=shape), dtype=dtype) for shape in shapes]
    return ([Tensor(a.copy(), requires_grad=True) for a in arrays],
            [torch.tensor(a.copy(), requires_grad=True) for a in arrays])


def set_grads(ours, theirs, rng, dtype):
    for mine, their in zip(ours, theirs):
        grad = np.asarray(rng.normal(size=mine.shape) * rng.uniform(0.1, 3), dtype=dtype)
        mine.grad, their.grad = Tensor(grad.copy()), torch.from_numpy(grad.copy())


def assert_same(ours, theirs, dtype, step):
    for index, (mine, their) in enumerate(zip(ours, theirs)):
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine._data, their.detach().numpy(), **TOLERANCE[dtype],
                                   err_msg=f"parameter {index} {mine.shape} after step {step}")


def assert_state_dicts_match(ours, theirs):
    """The same layout (group settings, indices, state keys) and values."""
    assert len(ours["param_groups"]) == len(theirs["param_groups"])
    for mine, their in zip(ours["param_groups"], theirs["param_groups"]):
        assert mine == their
    assert list(ours["state"]) == list(theirs["state"])
    for index, their in theirs["state"].items():
        mine = ours["state"][index]
        assert list(mine) == list(their)
        for key, value in their.items():
            if key == "step":
                assert float(mine[key]) == value.item()
            else:
                assert tuple(mine[key].shape) == tuple(value.shape), key
                np.testing.assert_allclose(mine[key].numpy(), value.numpy(), rtol=1e-10,
                                           atol=1e-300, err_msg=f"state {index} {key}")


def run_twins(name, shapes, dtype, settings, schedule=False):
    """STEPS steps of ours and PyTorch's with the same gradients, compared after each."""
    ours, theirs = twins(shapes, dtype)
    our_opt = getattr(optim, name)(ours, **settings)
    their_opt = getattr(torch.optim, name)(theirs, **settings)
    schedulers = []
    if schedule:
        schedulers = [lr_scheduler.StepLR(our_opt, step_size=4, gamma=0.5),
                      torch.optim.lr_scheduler.StepLR(their_opt, step_size=4, gamma=0.5)]
    rng = np.random.default_rng(7)
    for step in range(1, STEPS + 1):
        set_grads(ours, theirs, rng, dtype)
        our_opt.step()
        their_opt.step()
        for scheduler in schedulers:
            scheduler.step()
        assert_same(ours, theirs, dtype, step)
    return our_opt, their_opt


# ----------------------------------------------------------------- Adafactor


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("settings", ADAFACTOR_CASES)
def test_adafactor_twenty_steps_match_pytorch(settings, dtype):
    our_opt, their_opt = run_twins("Adafactor", SHAPES, dtype, settings)
    if dtype == np.float64:
        assert_state_dicts_match(our_opt.state_dict(), their_opt.state_dict())


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adafactor_with_an_lr_schedule_matches_pytorch(dtype):
    # lr 2.0 halved every 4 steps: rho = min(lr, 1/sqrt(t)) takes each branch
    run_twins("Adafactor", SHAPES, dtype, dict(lr=2.0, weight_decay=0.01), schedule=True)


@needs_torch
def test_adafactor_state_layout_is_pytorchs():
    our_opt, their_opt = run_twins("Adafactor", SHAPES, np.float64, dict())
    state = our_opt.state_dict()["state"]
    assert list(state[0]) == ["step", "variance"] and list(state[3]) == ["step", "variance"]
    assert list(state[1]) == ["step", "row_var", "col_var"]
    assert state[1]["row_var"].shape == (4, 1) and state[1]["col_var"].shape == (1, 6)
    assert state[4]["row_var"].shape == (3, 2, 2, 1)
    assert state[4]["col_var"].shape == (3, 2, 1, 5)
    assert state[0]["step"].item() == STEPS


@needs_torch
@pytest.mark.parametrize("name", ["Adafactor", "Muon"])
def test_a_pytorch_state_dict_loads_and_training_continues_alike(name):
    """10 steps in PyTorch, its state dict (torch tensors) loaded here, 10 more steps each;
    and ours loaded back into PyTorch (tensors converted) gives its state dict."""
    shapes = SHAPES if name == "Adafactor" else MATRICES
    ours, theirs = twins(shapes, np.float64)
    their_opt = getattr(torch.optim, name)(theirs, lr=0.05, weight_decay=0.02)
    rng = np.random.default_rng(3)
    for _ in range(10):
        set_grads(ours, theirs, rng, np.float64)
        their_opt.step()
    ours = [Tensor(their.detach().numpy().copy(), requires_grad=True) for their in theirs]
    our_opt = getattr(optim, name)(ours, lr=123.0)
    our_opt.load_state_dict(their_opt.state_dict())
    assert our_opt.param_groups[0]["lr"] == 0.05
    for step in range(11, 21):
        set_grads(ours, theirs, rng, np.float64)
        our_opt.step()
        their_opt.step()
        assert_same(ours, theirs, np.float64, step)
    saved = our_opt.state_dict()
    converted = {"param_groups": saved["param_groups"],
                 "state": {index: {key: torch.tensor(np.asarray(value, dtype=np.float64))
                                   if key != "step" else torch.tensor(float(value))
                                   for key, value in values.items()}
                           for index, values in saved["state"].items()}}
    fresh = getattr(torch.optim, name)(theirs)
    fresh.load_state_dict(converted)
    assert_state_dicts_match(saved, fresh.state_dict())


@pytest.mark.parametrize("name", ["Adafactor", "Muon"])
def test_resuming_from_a_state_dict_is_bit_exact(name):
    """A round trip through a fresh optimizer (and deepcopy + pickle) mid-training gives
    exactly the parameters of uninterrupted training."""
    shapes = SHAPES if name == "Adafactor" else MATRICES
    results = []
    for resume in (False, True):
        rng = np.random.default_rng(2)
        params = [Tensor(rng.normal(size=shape), requires_grad=True) for shape in shapes]
        opt = getattr(optim, name)(params, lr=0.05)
        for step in range(1, 13):
            for param in params:
                param.grad = Tensor(rng.normal(size=param.shape))
            opt.step()
            if resume and step == 6:
                saved = pickle.loads(pickle.dumps(copy.deepcopy(opt.state_dict())))
                opt = getattr(optim, name)(params)
                opt.load_state_dict(saved)
        results.append([param._data.copy() for param in params])
    for expected, actual in zip(*results):
        np.testing.assert_array_equal(actual, expected)


@needs_torch
@pytest.mark.parametrize("name", ["Adafactor", "Muon"])
def test_defaults_match_pytorch(name):
    ours = getattr(optim, name)([Tensor(np.ones((2, 3)), requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.ones(2, 3, requires_grad=True)])
    assert ours.defaults == theirs.defaults
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]


BAD_SETTINGS = [
    ("Adafactor", dict(lr=-0.1)), ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1.0, 1e-3))), ("Adafactor", dict(eps=(None, -1.0))),
    ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1.0)),
    ("Muon", dict(lr=-0.1)), ("Muon", dict(momentum=-0.5)), ("Muon", dict(weight_decay=-1.0)),
    ("Muon", dict(adjust_lr_fn="spectral")),
]


@needs_torch
@pytest.mark.parametrize(("name", "bad"), BAD_SETTINGS)
def test_invalid_settings_raise_pytorchs_error(name, bad):
    with pytest.raises(ValueError) as their_error:
        getattr(torch.optim, name)([torch.ones(2, 3, requires_grad=True)], **bad)
    with pytest.raises(ValueError, match=str(their_error.value)) as our_error:
        getattr(optim, name)([Tensor(np.ones((2, 3)), requires_grad=True)], **bad)
    assert str(our_error.value).startswith(f"{name}: ")


def test_adafactor_first_step_on_a_vector_is_a_sign_step():
    """Step 1: beta2_hat = 0, so V = g^2 and U = sign(g); alpha = max(eps2, RMS(p)) min(lr, 1)."""
    p = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    opt = optim.Adafactor([p], lr=0.01)
    p.grad = Tensor(np.array([1.0, -2.0]))
    opt.step()
    alpha = 0.01 * math.sqrt(12.5)
    np.testing.assert_allclose(p._data, [3 - alpha, 4 + alpha], rtol=1e-15)
    np.testing.assert_array_equal(opt.state[p]["variance"]._data, [1.0, 4.0])


def test_adafactor_factored_first_step_is_exact_for_a_rank_one_gradient():
    """For g = u v^T the factored estimate R C / mean(R) is g^2 exactly: again a sign step,
    here after the decoupled decay p (1 - lr wd); row and column means are the state."""
    p = Tensor(np.full((2, 2), 2.0), requires_grad=True)
    opt = optim.Adafactor([p], lr=0.1, weight_decay=0.5, maximize=True)
    p.grad = Tensor(np.array([[1.0, -2.0], [2.0, -4.0]]))
    opt.step()
    decayed = 2.0 * (1 - 0.1 * 0.5)
    # maximize: the step is along +sign(g), of size RMS(p) min(lr, 1) = 0.2
    np.testing.assert_allclose(p._data, [[decayed + 0.2, decayed - 0.2],
                                         [decayed + 0.2, decayed - 0.2]], rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["row_var"]._data, [[2.5], [10.0]], rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["col_var"]._data, [[2.5, 10.0]], rtol=1e-15)


@pytest.mark.parametrize("d", [1.0, 2.0])
def test_adafactor_update_rms_is_clipped_to_d(d):
    """Step 1 is a sign step (U = 1); on step 2, V = lerp(1, 100, 2^-0.8) and U = 10 / sqrt(V)
    (about 1.3) everywhere: its RMS is above d = 1 and clipped to 1, but not above d = 2."""
    p = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    opt = optim.Adafactor([p], lr=1.0, eps=(1e-30, 0.0), d=d)
    p.grad = Tensor(np.array([1.0, 1.0]))
    opt.step()
    step1 = math.sqrt(12.5)  # alpha = RMS(p) min(lr, 1)
    np.testing.assert_allclose(p._data, [3 - step1, 4 - step1], rtol=1e-14)
    p.grad = Tensor(np.array([10.0, 10.0]))
    opt.step()
    v = 1 + 2 ** -0.8 * 99
    np.testing.assert_allclose(opt.state[p]["variance"]._data, [v, v], rtol=1e-14)
    u = 10 / math.sqrt(v)
    alpha = math.sqrt(((3 - step1) ** 2 + (4 - step1) ** 2) / 2) / math.sqrt(2)
    expected = np.array([3 - step1, 4 - step1]) - alpha * u / max(1.0, u / d)
    np.testing.assert_allclose(p._data, expected, rtol=1e-14, atol=1e-14)


def test_adafactor_eps1_defaults_to_the_dtypes_epsilon():
    """A zero gradient: V clamps at eps1^2, so U = 0; with eps1 = None the float32 epsilon."""
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adafactor([p])
    p.grad = Tensor(np.zeros(3, dtype=np.float32))
    opt.step()
    np.testing.assert_array_equal(p._data, np.ones(3, dtype=np.float32))
    assert p.dtype == np.float32 and opt.state[p]["variance"].dtype == np.float32
    assert opt.param_groups[0]["eps"] == (None, 1e-3)


# ----------------------------------------------------------------- Muon


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("settings", MUON_CASES)
def test_muon_twenty_steps_match_pytorch(settings, dtype):
    our_opt, their_opt = run_twins("Muon", MATRICES, dtype, settings)
    if dtype == np.float64:
        assert_state_dicts_match(our_opt.state_dict(), their_opt.state_dict())


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_muon_with_an_lr_schedule_matches_pytorch(dtype):
    run_twins("Muon", MATRICES, dtype, dict(lr=0.1), schedule=True)


@needs_torch
@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (16, 16), (1, 5), (3, 1)])
def test_newton_schulz_matches_pytorchs_bfloat16_iteration(shape):
    from torch.optim._muon import _zeropower_via_newtonschulz

    grad = np.random.default_rng(4).normal(size=shape)
    theirs = _zeropower_via_newtonschulz(torch.from_numpy(grad), (3.4445, -4.775, 2.0315), 5,
                                         1e-7).float().numpy()
    np.testing.assert_array_equal(newton_schulz(grad, (3.4445, -4.775, 2.0315), 5, 1e-7),
                                  theirs)


@needs_torch
def test_bfloat16_rounding_matches_pytorch():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-30, 30, 2000),
                             [0.0, -0.0, np.inf, -np.inf, 1 + 2 ** -8, 1 + 3 * 2 ** -8]])
    for array in (values, values.astype(np.float32)):
        expected = torch.from_numpy(array).bfloat16().float().numpy()
        np.testing.assert_array_equal(to_bfloat16(array), expected)


def test_bfloat16_rounding_fixed_values():
    """7 stored mantissa bits: ties go to the even neighbour."""
    values = np.array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -7, 3.14159, -65536.5, np.inf])
    expected = [1.0, 1 + 2 ** -6, 1 + 2 ** -7, 3.140625, -65536.0, np.inf]
    np.testing.assert_array_equal(to_bfloat16(values), expected)
    assert np.isnan(to_bfloat16(np.array([np.nan]))).all()


def test_newton_schulz_orthogonalizes():
    """The singular values of the result lie near 1 (the quintic's range, about 0.7 to 1.2),
    whatever the input's, and the singular vectors are kept; a tall matrix works transposed."""
    rng = np.random.default_rng(5)
    left, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    right, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    singular = np.array([4.0, 2.0, 1.0, 0.5])
    grad = left[:, :4] * singular @ right.T
    result = newton_schulz(grad, (3.4445, -4.775, 2.0315), 5, 1e-7).astype(np.float64)
    assert result.shape == (6, 4)
    values = np.linalg.svd(result, compute_uv=False)
    assert ((values > 0.6) & (values < 1.3)).all(), values
    projected = left[:, :4].T @ result @ right  # nearly diagonal: the same singular vectors
    off = projected - np.diag(np.diag(projected))
    assert np.abs(off).max() < 0.05


def test_muon_step_fixed_values():
    """A diagonal gradient with equal entries orthogonalizes to a multiple of the identity,
    whose nonzero pattern and lr scale (sqrt(max(1, A/B)) for a tall matrix) are checked."""
    p = Tensor(np.zeros((4, 2)), requires_grad=True)
    opt = optim.Muon([p], lr=0.1, weight_decay=0.0)
    p.grad = Tensor(np.array([[3.0, 0.0], [0.0, 3.0], [0.0, 0.0], [0.0, 0.0]]))
    opt.step()
    value = -p._data[0, 0]
    np.testing.assert_array_equal(p._data, -value * np.eye(4, 2))
    assert 0.1 * math.sqrt(2) * 0.6 < value < 0.1 * math.sqrt(2) * 1.3
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"]._data,
                               0.05 * p.grad._data, rtol=1e-15)
    q = Tensor(np.ones((2, 2)), requires_grad=True)
    opt = optim.Muon([q], lr=0.1, weight_decay=0.5, adjust_lr_fn="match_rms_adamw")
    q.grad = Tensor(np.zeros((2, 2)))  # NS of zero is zero: only the decay acts
    opt.step()
    np.testing.assert_array_equal(q._data, np.full((2, 2), 0.95))


def test_muon_refuses_parameters_that_are_not_matrices():
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters .*Size\(\[3\]\)"):
        optim.Muon([Tensor(np.ones((2, 2)), requires_grad=True),
                    Tensor(np.ones(3), requires_grad=True)])
    with pytest.raises(ValueError, match="ns_steps must be less than 100"):
        newton_schulz(np.ones((2, 2)), (1.0, 0.0, 0.0), 100, 1e-7)
    with pytest.raises(ValueError, match="exactly 3 values"):
        newton_schulz(np.ones((2, 2)), (1.0, 0.0), 5, 1e-7)
    p = Tensor(np.ones((2, 2)), requires_grad=True)
    opt = optim.Muon([p])
    opt.add_param_group({"params": [Tensor(np.ones(3), requires_grad=True)]})
    opt.param_groups[1]["params"][0].grad = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"must be a 2D matrix, got shape \(3,\)"):
        opt.step()


def test_muon_and_adafactor_are_exported():
    assert "Adafactor" in optim.__all__ and "Muon" in optim.__all__
