"""Round 18, optimizers: probes against torch.optim 2.13 that found bugs, kept as tests.

- every optimizer on 0-d, one-element and empty parameters (RMSprop centered crashed on a
  0-d float32 parameter);
- `lr` given as a one-element Tensor of any shape (`tensor([0.1])`: PyTorch squeezes it; the
  steps here failed to broadcast), and a Tensor lr of several elements refused as PyTorch;
- betas with more than two values refused (PyTorch fails at its first step; it was cut to two);
- optimizers, schedulers and swa_utils copied from torch.optim's source, with only the imports
  changed, run on tinygrad_np tensors (`_to_scalar`, `_disable_dynamo_if_unsupported`,
  `_device_dtype_check_for_fused` and `utils._foreach_utils` were missing);
- a state dict loaded with its parameters in another order names the entry and the shapes;
- AveragedModel given both averaging functions raises PyTorch's AssertionError.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.optim as optim

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict()),
    ("Adagrad", dict(lr_decay=0.1, initial_accumulator_value=0.2)),
    ("Adadelta", dict(lr=0.3, weight_decay=0.1)),
    ("Adamax", dict(weight_decay=0.1, maximize=True)),
    ("ASGD", dict(t0=2, lambd=0.1)),
    ("NAdam", dict(momentum_decay=0.1, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
    ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(centered=True, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(momentum=0.5)),
    ("Rprop", dict(etas=(0.4, 1.3), step_sizes=(1e-4, 1.0))),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
       for name, kw in CASES]
SHAPES = [(), (1,), (0,), (3, 4), (0, 3)]


def _twins(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in start],
            [tg.tensor(a.copy(), requires_grad=True) for a in start], rng)


def _run(name, settings, shapes, dtype, steps=6, lr_maker=None):
    """The same steps through torch.optim and ours; the largest difference relative to each
    parameter's largest value."""
    theirs, ours, rng = _twins(shapes, dtype)
    torch_settings, our_settings = dict(settings), dict(settings)
    if lr_maker is not None:
        torch_settings["lr"], our_settings["lr"] = lr_maker(torch), lr_maker(tg)
    torch_opt = getattr(torch.optim, name)(theirs, **torch_settings)
    our_opt = getattr(optim, name)(ours, **our_settings)
    worst = 0.0
    for step in range(steps):
        for index, (a, b) in enumerate(zip(theirs, ours)):
            if (step + index) % 4 == 3:  # some gradients None
                a.grad = b.grad = None
                continue
            grad = rng.standard_normal(a.shape).astype(dtype)
            a.grad, b.grad = torch.tensor(grad), tg.tensor(grad.copy())
        torch_opt.step()
        our_opt.step()
        for a, b in zip(theirs, ours):
            expected, got = a.detach().numpy(), b.numpy()
            assert got.dtype == expected.dtype and got.shape == expected.shape
            if expected.size:
                scale = float(np.max(np.abs(expected))) or 1.0
                worst = max(worst, float(np.max(np.abs(expected - got))) / scale)
    return worst


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "settings"), CASES, ids=IDS)
def test_zero_dim_one_element_and_empty_parameters_match_torch(name, settings, dtype):
    worst = _run(name, settings, SHAPES, dtype)
    assert worst < (1e-5 if dtype == np.float32 else 1e-12)


def test_rmsprop_centered_on_a_zero_dim_float32_parameter():
    # this crashed (np.copyto into a NumPy scalar) before round 18
    param = tg.tensor(np.float32(0.5), requires_grad=True)
    opt = optim.RMSprop([param], lr=0.1, centered=True)
    reference = torch.tensor(np.float32(0.5), requires_grad=True)
    torch_opt = torch.optim.RMSprop([reference], lr=0.1, centered=True)
    for grad in (1.0, -2.0, 0.5):
        param.grad, reference.grad = tg.tensor(np.float32(grad)), torch.tensor(np.float32(grad))
        opt.step()
        torch_opt.step()
        assert param.shape == ()
        np.testing.assert_allclose(param.numpy(), reference.detach().numpy(), rtol=1e-6)


LR_CASES = [*CASES, ("Muon", dict(weight_decay=0.1)), ("Adafactor", dict(weight_decay=0.1))]


@pytest.mark.parametrize("lr_shape", [(), (1,), (1, 1)])
@pytest.mark.parametrize(("name", "settings"), LR_CASES,
                         ids=[*IDS, "Muon-weight_decay=0.1", "Adafactor-weight_decay=0.1"])
def test_a_one_element_tensor_lr_of_any_shape(name, settings, lr_shape):
    # float64 parameters, a float32 lr: PyTorch computes lr * ratio, 1 - lr * weight_decay
    # (Muon, Adafactor: they were float64 here), ASGD's eta, lr / bias_correction ... in
    # float32
    settings = {k: v for k, v in settings.items() if k != "lr"}
    shapes = [(2, 3), (3, 2)] if name == "Muon" else [(), (3,), (2, 2)]
    worst = _run(name, settings, shapes, np.float64, lr_maker=lambda lib: lib.full(lr_shape, 0.05))
    assert worst < 1e-12  # (ASGD's eta: its float32 power was 1 ulp off)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax",
                                  "ASGD", "NAdam", "RAdam", "RMSprop", "Rprop", "LBFGS",
                                  "SparseAdam", "Adafactor"])
def test_a_tensor_lr_of_several_elements_is_refused_as_pytorch(name):
    with pytest.raises(ValueError, match="1-element"):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)],
                                   lr=torch.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="Tensor lr must be 1-element.*shape \\(2,\\)"):
        getattr(optim, name)([tg.zeros(2, requires_grad=True)], lr=tg.tensor([0.1, 0.2]))


def test_a_tensor_lr_of_shape_1_with_a_scheduler():
    params = [torch.zeros(3, requires_grad=True), tg.zeros(3, requires_grad=True)]
    results = []
    for lib, module, param in ((torch, torch.optim, params[0]), (tg, optim, params[1])):
        opt = module.Adam([param], lr=lib.tensor([0.1]))
        sched = module.lr_scheduler.ExponentialLR(opt, 0.5)
        for _ in range(3):
            param.grad = lib.ones(3)
            opt.step()
            sched.step()
        results.append((param.detach().numpy().copy(), float(opt.param_groups[0]["lr"])))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6)
    assert results[1][1] == results[0][1] == pytest.approx(0.0125)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam"])
def test_betas_with_three_values_are_refused(name):
    param = torch.zeros(2, requires_grad=True)
    if name != "SparseAdam":  # PyTorch takes them, then fails at its first step
        with pytest.raises(ValueError, match="unpack"):
            opt = getattr(torch.optim, name)([param], betas=(0.9, 0.99, 0.5))
            param.grad = torch.ones(2)
            opt.step()
    with pytest.raises(ValueError, match="betas must be a pair.*3 values"):
        getattr(optim, name)([tg.zeros(2, requires_grad=True)], betas=(0.9, 0.99, 0.5))


def test_betas_as_a_list_of_two_still_work():
    opt = optim.Adam([tg.zeros(2, requires_grad=True)], betas=[0.8, 0.9])
    assert opt.param_groups[0]["betas"] == (0.8, 0.9)


# ----------------------------------------------------- torch.optim's own source, imports changed
def _copied(module_name, source, extra=()):
    """A module made of PyTorch's source with its imports pointed at tinygrad_np."""
    replacements = [
        (r"^from \.optimizer import", "from tinygrad_np.optim.optimizer import"),
        (r"^from torch\.optim\.optimizer import", "from tinygrad_np.optim.optimizer import"),
        (r"^import torch$", "import tinygrad_np as torch"),
        (r"^from torch import inf, Tensor", "from tinygrad_np import inf, Tensor"),
        (r"^from torch import Tensor", "from tinygrad_np import Tensor"),
        (r"^from torch\.nn import Module", "from tinygrad_np.nn import Module"),
        (r"^from torch\.utils\._foreach_utils import",
         "from tinygrad_np.utils._foreach_utils import"),
        *extra,
    ]
    for pattern, replacement in replacements:
        source = re.sub(pattern, replacement, source, flags=re.M)
    spec = importlib.util.spec_from_loader(module_name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    exec(compile(source, module_name, "exec"), module.__dict__)  # noqa: S102
    return module


COPIED = [("sgd", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
          ("adam", "Adam", dict(amsgrad=True)),
          ("adagrad", "Adagrad", dict(lr_decay=0.01)),
          ("adadelta", "Adadelta", dict()),
          ("adamax", "Adamax", dict()),
          ("asgd", "ASGD", dict(t0=1)),
          ("nadam", "NAdam", dict()),
          ("radam", "RAdam", dict()),
          ("rmsprop", "RMSprop", dict(centered=True, momentum=0.5))]


@pytest.mark.parametrize(("module_name", "name", "settings"), COPIED,
                         ids=[c[1] for c in COPIED])
def test_an_optimizer_copied_from_torch_optim_source_runs(module_name, name, settings):
    source = inspect.getsource(importlib.import_module(f"torch.optim.{module_name}"))
    copied = _copied(f"_round18_copied_{module_name}", source)
    theirs, ours, rng = _twins([(3, 2), (4,)], np.float64)
    torch_opt = getattr(torch.optim, name)(theirs, **settings)
    our_opt = getattr(copied, name)(ours, **settings)
    for _ in range(4):
        for a, b in zip(theirs, ours):
            grad = rng.standard_normal(a.shape)
            a.grad, b.grad = torch.tensor(grad), tg.tensor(grad.copy())
        torch_opt.step()
        our_opt.step()
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b.numpy(), a.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_swa_utils_copied_from_torch_source_runs():
    import torch.optim.lr_scheduler as torch_sched
    import torch.optim.swa_utils as torch_swa
    _copied("_round18_copied_lr_scheduler", inspect.getsource(torch_sched))
    copied = _copied("_round18_copied_swa_utils", inspect.getsource(torch_swa), extra=[
        (r"^from torch\.optim\.lr_scheduler import",
         "from _round18_copied_lr_scheduler import")])
    model = tg.nn.Linear(2, 2)
    ema = copied.AveragedModel(model, multi_avg_fn=copied.get_ema_multi_avg_fn(0.5))
    start = model.weight.numpy().copy()
    with tg.no_grad():
        model.weight.add_(1.0)
    ema.update_parameters(model)
    ema.update_parameters(model)  # the first update copies, the second averages
    np.testing.assert_allclose(ema.module.weight.numpy(), start + 1.0, rtol=1e-6)
    opt = optim.SGD(model.parameters(), lr=0.1)
    swa = copied.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
    torch_opt = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    torch_swa = torch.optim.swa_utils.SWALR(torch_opt, swa_lr=0.05, anneal_epochs=3)
    for _ in range(4):
        opt.step()
        swa.step()
        torch_opt.step()
        torch_swa.step()
        assert swa.get_last_lr() == pytest.approx(torch_swa.get_last_lr(), rel=1e-12)


def test_the_private_helpers_behave_as_pytorchs():
    from torch.utils import _foreach_utils as theirs

    from tinygrad_np.optim.optimizer import (
        _device_dtype_check_for_fused,
        _disable_dynamo_if_unsupported,
        _to_scalar,
    )
    from tinygrad_np.utils import _foreach_utils as ours
    assert _to_scalar(0.5) == 0.5
    assert _to_scalar(tg.tensor([[0.5]])).shape == ()
    zero_d = tg.tensor(0.5)
    assert _to_scalar(zero_d) is zero_d

    def f(x):
        return x + 1
    assert _disable_dynamo_if_unsupported(single_tensor_fn=f)(f) is f
    _device_dtype_check_for_fused(tg.zeros(2))
    with pytest.raises(RuntimeError, match="floating point"):
        _device_dtype_check_for_fused(tg.zeros(2, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="floating point"):
        importlib.import_module("torch.optim.optimizer")._device_dtype_check_for_fused(
            torch.zeros(2, dtype=torch.int64))
    assert "cpu" in ours._get_fused_kernels_supported_devices()
    assert "cpu" not in ours._get_foreach_kernels_supported_devices()
    assert ours._device_has_foreach_support(tg.device("cpu")) == \
        theirs._device_has_foreach_support(torch.device("cpu")) is True
    a, b = tg.zeros(2), tg.zeros(3, dtype=tg.float64)
    grouped = ours._group_tensors_by_device_and_dtype([[a, b, a]], with_indices=True)
    assert [indices for _, indices in grouped.values()] == [[0, 2], [1]]


# ------------------------------------------------------------------ state dicts, swa_utils
def test_a_state_dict_loaded_with_the_parameters_reordered_names_the_entry():
    p, q = tg.zeros(2, requires_grad=True), tg.zeros(3, requires_grad=True)
    opt = optim.Adam([p, q])
    p.grad, q.grad = tg.ones(2), tg.ones(3)
    opt.step()
    other = optim.Adam([q, p])
    with pytest.raises(RuntimeError, match=r"state\[0\]\['exp_avg'\] has shape \(2,\), but "
                                           r"parameter 0 has shape \(3,\)") as error:
        other.load_state_dict(opt.state_dict())
    assert isinstance(error.value, ValueError)
    # PyTorch loads it and fails at the step, with a RuntimeError
    tp, tq = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    torch_opt = torch.optim.Adam([tp, tq])
    tp.grad, tq.grad = torch.ones(2), torch.ones(3)
    torch_opt.step()
    torch_other = torch.optim.Adam([tq, tp])
    torch_other.load_state_dict(torch_opt.state_dict())
    with pytest.raises(RuntimeError, match="must match the size"):
        torch_other.step()


def test_a_matching_state_dict_still_loads_for_every_optimizer():
    for name, settings in CASES:
        params = [tg.zeros(2, 3, requires_grad=True), tg.zeros((), requires_grad=True)]
        opt = getattr(optim, name)(params, **settings)
        for p in params:
            p.grad = tg.ones_like(p)
        opt.step()
        getattr(optim, name)(params, **settings).load_state_dict(opt.state_dict())


def test_averaged_model_with_both_functions_raises_assertion_error():
    swa = optim.swa_utils
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        torch.optim.swa_utils.AveragedModel(torch.nn.Linear(1, 1),
                                            avg_fn=torch.optim.swa_utils.get_swa_avg_fn(),
                                            multi_avg_fn=torch.optim.swa_utils.
                                            get_swa_multi_avg_fn())
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa.AveragedModel(tg.nn.Linear(1, 1), avg_fn=swa.get_swa_avg_fn(),
                          multi_avg_fn=swa.get_swa_multi_avg_fn())


@pytest.mark.parametrize(("name", "settings"), CASES, ids=IDS)
def test_a_parameter_resized_after_a_step_names_the_state_entry(name, settings):
    # PyTorch: RuntimeError "The size of tensor a (3) must match the size of tensor b (4)";
    # here NumPy's "operands could not be broadcast" came through
    theirs = torch.ones(3, requires_grad=True)
    torch_opt = getattr(torch.optim, name)([theirs], **settings)
    ours = tg.ones(3, requires_grad=True)
    opt = getattr(optim, name)([ours], **settings)
    theirs.grad, ours.grad = torch.ones(3), tg.ones(3)
    torch_opt.step()
    opt.step()
    theirs.data, ours.data = torch.ones(4), tg.ones(4)
    theirs.grad, ours.grad = torch.ones(4), tg.ones(4)
    with pytest.raises(RuntimeError, match="must match the size"):
        torch_opt.step()
    with pytest.raises(RuntimeError, match=rf"{name}\.step: the size of state\['\w+'\] \(3,\) "
                                           r"must match the size of parameter 0 \(4,\)"):
        opt.step()


def test_a_step_hook_does_not_hide_the_shape_error():
    param = tg.ones(3, requires_grad=True)
    opt = optim.Adam([param])
    calls = []
    opt.register_step_pre_hook(lambda *args: calls.append("pre"))
    param.grad = tg.ones(3)
    opt.step()
    param.data, param.grad = tg.ones(2), tg.ones(2)
    with pytest.raises(RuntimeError, match=r"state\['exp_avg'\] \(3,\) must match"):
        opt.step()
    assert calls == ["pre", "pre"]


# ------------------------------------------------------------ float16: PyTorch's scalar loop
def _lanes():
    from tinygrad_np.ops.opmath import _LANES
    return _LANES


needs_x86_lanes = pytest.mark.skipif(not _lanes(), reason="PyTorch's float16 vector width is "
                                     "only known here for x86 (AVX2, AVX-512)")


@needs_x86_lanes
@pytest.mark.parametrize("shape", [(), (1,), (5,), (31,), (32,), (33,), (63,), (5, 13),
                                   (3, 40), (100,)])
def test_float16_add_with_alpha_rounds_the_tail_as_pytorchs_scalar_loop(shape):
    # PyTorch's vector loop rounds alpha to float16 and adds in float32; the elements past
    # the last whole vector of 32 (a 0-d tensor, a bias of 10) go through its scalar loop, which
    # rounds alpha * b to float16 first: up to 1 in 4 of them were 1 ulp off
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b = (rng.standard_normal(shape).astype(np.float16) for _ in range(2))
        for alpha in (-0.1, 0.7, 1e-3):
            expected = torch.tensor(a).add(torch.tensor(b), alpha=alpha).numpy()
            np.testing.assert_array_equal(tg.tensor(a).add(tg.tensor(b), alpha=alpha).numpy(),
                                          expected)
            in_place = tg.tensor(a.copy())
            in_place.sub_(tg.tensor(b), alpha=-alpha)
            np.testing.assert_array_equal(in_place.numpy(), expected)
        scalar = np.float16(rng.standard_normal())
        np.testing.assert_array_equal(
            tg.tensor(a).add(tg.tensor(scalar), alpha=0.3).numpy(),
            torch.tensor(a).add(torch.tensor(scalar), alpha=0.3).numpy())


def test_float16_add_with_alpha_keeps_its_gradients():
    a = tg.tensor(np.linspace(-1, 1, 7).astype(np.float16), requires_grad=True)
    b = tg.tensor(np.linspace(2, 3, 7).astype(np.float16), requires_grad=True)
    a.add(b, alpha=0.1).sum().backward()
    ta = torch.tensor(np.linspace(-1, 1, 7).astype(np.float16), requires_grad=True)
    tb = torch.tensor(np.linspace(2, 3, 7).astype(np.float16), requires_grad=True)
    ta.add(tb, alpha=0.1).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


HALF_CASES = [("SGD", dict(lr=0.1)),
              ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
              ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
              ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
              ("AdamW", dict(lr=0.01, weight_decay=0.1)),
              ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
              ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
              # round 18: these rounded each NumPy step (NAdam: 3 in 4 elements apart)
              ("Adadelta", dict(lr=1.0, weight_decay=0.1, maximize=True)),
              ("Adamax", dict(lr=0.01, weight_decay=0.1)),
              ("NAdam", dict(lr=0.01, weight_decay=0.1)),
              ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True,
                             maximize=True)),
              ("RAdam", dict(lr=0.01, weight_decay=0.1)),
              ("RAdam", dict(lr=0.01, betas=(0.5, 0.6), decoupled_weight_decay=True,
                             weight_decay=0.1)),
              ("ASGD", dict(lr=0.05, t0=3, lambd=0.01, weight_decay=0.1)),
              ("Rprop", dict(lr=0.01, etas=(0.4, 1.3), maximize=True))]


@needs_x86_lanes
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize(("name", "settings"), HALF_CASES,
                         ids=[f"{n}-{'-'.join(map(str, s.values()))}" for n, s in HALF_CASES])
def test_float16_steps_match_pytorch_bit_for_bit_at_any_size(name, settings, tensor_lr):
    rng = np.random.default_rng(7)
    for shape in [(), (1,), (7,), (33,), (5, 13), (64,)]:
        start = (rng.standard_normal(shape) * 0.5).astype(np.float16)
        theirs = torch.tensor(start, requires_grad=True)
        ours = tg.tensor(start.copy(), requires_grad=True)
        torch_settings, our_settings = dict(settings), dict(settings)
        if tensor_lr:
            torch_settings["lr"] = torch.tensor(settings["lr"])
            our_settings["lr"] = tg.tensor(settings["lr"])
        torch_opt = getattr(torch.optim, name)([theirs], **torch_settings)
        our_opt = getattr(optim, name)([ours], **our_settings)
        for _ in range(8):
            grad = (rng.standard_normal(shape) * 0.5).astype(np.float16)
            theirs.grad, ours.grad = torch.tensor(grad), tg.tensor(grad.copy())
            torch_opt.step()
            our_opt.step()
            np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())


def test_named_parameters_with_int_names_as_pytorch():
    # list(enumerate(model.parameters())): PyTorch keeps the ints as names (they were refused)
    for nn, module in ((torch.nn, torch.optim), (tg.nn, optim)):
        model = nn.Linear(2, 2)
        opt = module.SGD(list(enumerate(model.parameters())), lr=0.1)
        assert opt.state_dict()["param_groups"][0]["param_names"] == [0, 1]
    model = tg.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="a tuple must be a \\(name, parameter\\) pair"):
        optim.SGD([(model.weight, model.bias)], lr=0.1)  # (PyTorch: trains only the bias)


# ----------------------------------------------------------------- LBFGS in float32
def _logistic_lbfgs(lib, settings, steps=5):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = (x @ rng.standard_normal(5) > 0).astype(np.float32)
    w = lib.tensor((rng.standard_normal((1, 5)) * 0.1).astype(np.float32), requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    inputs, targets = lib.tensor(x), lib.tensor(y)
    opt = (torch.optim if lib is torch else optim).LBFGS([w, b], **settings)
    calls = [0]
    functional = torch.nn.functional if lib is torch else tg.nn.functional

    def closure():
        calls[0] += 1
        opt.zero_grad()
        logits = (inputs @ w.t()).squeeze(1) + b
        loss = functional.binary_cross_entropy_with_logits(logits, targets) + 0.01 * (w * w).sum()
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return losses, calls[0], opt.state[w]["n_iter"], w.detach().numpy().copy()


def _rosenbrock_lbfgs(lib, settings, steps=6):
    x = lib.tensor(np.array([-1.2, 1.0, 0.5, -0.3], np.float32), requires_grad=True)
    opt = (torch.optim if lib is torch else optim).LBFGS([x], **settings)
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    return losses, calls[0], opt.state[x]["n_iter"], x.detach().numpy().copy()


@pytest.mark.parametrize("problem", [_logistic_lbfgs, _rosenbrock_lbfgs])
@pytest.mark.parametrize("settings", [{}, {"line_search_fn": "strong_wolfe"}],
                         ids=["fixed-step", "strong_wolfe"])
def test_lbfgs_in_float32_makes_pytorchs_closure_calls(problem, settings):
    # the arithmetic was float64 for float32 parameters: the strong-Wolfe search then took
    # other branches (42 closure calls where PyTorch makes 14 on the logistic fit)
    ours, theirs = problem(tg, settings), problem(torch, settings)
    assert ours[1] == theirs[1]  # closure calls
    # iterations: at convergence float32 dot products summed in another order (NumPy's
    # BLAS, PyTorch's) can stop one iteration apart
    assert abs(ours[2] - theirs[2]) <= (0 if problem is _rosenbrock_lbfgs else 1)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-4, atol=1e-5)


def test_lbfgs_step_without_a_closure_is_pytorchs_type_error():
    opt = optim.LBFGS([tg.zeros(2, requires_grad=True)])
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'closure'"):
        opt.step()
    with pytest.raises(TypeError):
        torch.optim.LBFGS([torch.zeros(2, requires_grad=True)]).step()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("settings", [{}, {"etas": (0.4, 1.3), "step_sizes": (1e-4, 1.0)},
                                      {"lr": 0.05, "maximize": True}])
def test_rprop_matches_pytorch_bit_for_bit(settings, dtype):
    # its etas are taken in the parameter's dtype (PyTorch writes them into the sign tensor);
    # in float64 here they were multiplied in, and float32 steps drifted apart
    assert _run("Rprop", settings, [(3, 4), (7,), ()], dtype, steps=30) == 0.0


@needs_x86_lanes
def test_float16_adafactor_follows_pytorchs_loop():
    # it rounded each NumPy step (23 of 169 elements apart after 10 steps); now PyTorch's
    # single-tensor loop on the float16 ops (3-D parameters' batched products aside)
    rng = np.random.default_rng(7)
    for shape in [(7,), (33,), (5, 13), (4, 8), ()]:
        start = (rng.standard_normal(shape) * 0.5).astype(np.float16)
        theirs = torch.tensor(start, requires_grad=True)
        ours = tg.tensor(start.copy(), requires_grad=True)
        torch_opt, our_opt = torch.optim.Adafactor([theirs], lr=0.01), optim.Adafactor([ours],
                                                                                       lr=0.01)
        for _ in range(10):
            grad = rng.standard_normal(shape).astype(np.float16)
            theirs.grad, ours.grad = torch.tensor(grad), tg.tensor(grad.copy())
            torch_opt.step()
            our_opt.step()
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
