"""Round 16 (k3): user-written optimizers, schedulers and training utilities, the PyTorch
way, against PyTorch 2.13: the `torch._foreach_*` family custom optimizers use, step hooks'
arguments, a custom optimizer's `__setstate__` on loading, a tensor `step` kept as saved."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

_RNG = np.random.default_rng(163)
_W1, _B1 = _RNG.standard_normal((8, 4)), _RNG.standard_normal(8)
_W2, _B2 = _RNG.standard_normal((1, 8)), _RNG.standard_normal(1)
_X, _Y = _RNG.standard_normal((16, 4)), _RNG.standard_normal((16, 1))


def _model(lib):
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 1)).double()
    with lib.no_grad():
        for param, value in zip(model.parameters(), (_W1, _B1, _W2, _B2)):
            param.copy_(lib.tensor(value))
    return model


def _train(lib, make_optimizer, steps: int = 20):
    """Losses and final weights of `steps` closure steps on a small regression."""
    model = _model(lib)
    optimizer = make_optimizer(lib, model.parameters())
    x, y = lib.tensor(_X), lib.tensor(_Y)
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(optimizer.step(closure).item())
    return np.array(losses), [p.detach().numpy() for p in model.parameters()], optimizer


def _same_trajectory(make_optimizer, rtol: float, atol: float) -> None:
    """Losses and final weights of `_train` equal in tinygrad_np and PyTorch."""
    mine, mine_w, _ = _train(tg, make_optimizer)
    theirs, theirs_w, _ = _train(torch, make_optimizer)
    np.testing.assert_allclose(mine, theirs, rtol=rtol)
    for a, b in zip(mine_w, theirs_w):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _foreach_adam(lib, params):
    """Adam written with the _foreach functions, as torch.optim's foreach path is."""
    class ForeachAdam(lib.optim.Optimizer):
        def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

        @lib.no_grad()
        def step(self, closure=None):
            with lib.enable_grad():
                loss = closure()
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                grads = [p.grad for p in params]
                for p in params:
                    if not self.state[p]:
                        self.state[p].update(step=lib.tensor(0.0, dtype=lib.float64),
                                             m=lib.zeros_like(p), v=lib.zeros_like(p))
                steps = [self.state[p]["step"] for p in params]
                exp_avg = [self.state[p]["m"] for p in params]
                exp_avg_sq = [self.state[p]["v"] for p in params]
                beta1, beta2 = group["betas"]
                lib._foreach_add_(steps, 1)
                lib._foreach_lerp_(exp_avg, grads, 1 - beta1)
                lib._foreach_mul_(exp_avg_sq, beta2)
                lib._foreach_addcmul_(exp_avg_sq, grads, grads, 1 - beta2)
                correction1 = lib._foreach_pow(beta1, steps)
                lib._foreach_sub_(correction1, 1)
                lib._foreach_neg_(correction1)
                correction2 = lib._foreach_sqrt(
                    lib._foreach_neg(lib._foreach_sub(lib._foreach_pow(beta2, steps), 1)))
                denom = lib._foreach_sqrt(exp_avg_sq)
                lib._foreach_div_(denom, correction2)
                lib._foreach_add_(denom, group["eps"])
                step_size = [-group["lr"] / c.item() for c in correction1]
                lib._foreach_addcdiv_(params, exp_avg, denom, step_size)
            return loss

    return ForeachAdam(params)


@needs_torch
def test_foreach_adam_trajectory_as_torch():
    _same_trajectory(_foreach_adam, rtol=1e-10, atol=1e-12)


def _foreach_zoo(lib):
    a = [lib.tensor([0.5, -1.5], dtype=lib.float64), lib.tensor([2.0, 0.25, -3.0],
                                                                 dtype=lib.float64)]
    b = [lib.tensor([1.5, 2.0], dtype=lib.float64), lib.tensor([0.5, 4.0, 1.0],
                                                                dtype=lib.float64)]
    out = [*lib._foreach_abs(a), *lib._foreach_exp(a), *lib._foreach_sign(a),
           *lib._foreach_maximum(a, 0.0), *lib._foreach_minimum(a, b),
           *lib._foreach_clamp_max(a, [0.0, 1.0]), *lib._foreach_pow(b, 2),
           *lib._foreach_pow(b, [0.5, 3.0]), *lib._foreach_pow(b, a), *lib._foreach_pow(2.0, a),
           *lib._foreach_lerp(a, b, [0.25, 0.75]), *lib._foreach_addcdiv(a, b, b, value=2.0),
           *lib._foreach_addcmul(a, a, b, lib.tensor([0.5, -1.0], dtype=lib.float64)),
           *lib._foreach_max(a), *lib._foreach_norm(a, 1), *lib._foreach_norm(a, float("inf")),
           *lib._foreach_powsum(b, 3), *lib._foreach_clone(b), *lib._foreach_reciprocal(b),
           *lib._foreach_mm([lib.ones(2, 3, dtype=lib.float64)], [lib.ones(3, 1,
                                                                           dtype=lib.float64)])]
    c = lib._foreach_clone(a)
    lib._foreach_maximum_(c, b)
    lib._foreach_clamp_min_(c, 1.0)
    lib._foreach_sqrt_(c)
    lib._foreach_div_(c, lib.tensor(2.0, dtype=lib.float64))
    lib._foreach_addcdiv_(c, b, b, lib.tensor([1.0, 2.0], dtype=lib.float64))
    return [t.numpy() for t in [*out, *c]]


@needs_torch
def test_foreach_functions_as_torch():
    for mine, theirs in zip(_foreach_zoo(tg), _foreach_zoo(torch), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_foreach_values_and_errors():
    a = [tg.tensor([1.0, 4.0]), tg.tensor([9.0])]
    assert isinstance(tg._foreach_sqrt(a), tuple)
    assert [t.tolist() for t in tg._foreach_sqrt(a)] == [[1.0, 2.0], [3.0]]
    assert [t.item() for t in tg._foreach_pow(2.0, [tg.tensor(3.0), tg.tensor(0.5)])] == [
        8.0, pytest.approx(2 ** 0.5)]
    with pytest.raises(RuntimeError, match="same number of tensors, got 2 and 3"):
        tg._foreach_add_(a, [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="at least one tensor"):
        tg._foreach_mul([], 2.0)
    with pytest.raises(RuntimeError, match=r"0-d scalar tensor.*shape \(2,\)"):
        tg._foreach_mul(a, tg.tensor([1.0, 2.0]))


def _custom_adam(lib, params, **kwargs):
    """The custom optimizer people write: defaults dict, state on first step, __setstate__."""
    class MyAdam(lib.optim.Optimizer):
        def __init__(self, params, lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                          weight_decay=weight_decay))

        def __setstate__(self, state):
            super().__setstate__(state)
            for group in self.param_groups:
                group.setdefault("amsgrad", False)

        @lib.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with lib.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.data.add(p, alpha=group["weight_decay"])
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = lib.tensor(0.0)
                        state["exp_avg"] = lib.zeros_like(p, memory_format=lib.preserve_format)
                        state["exp_avg_sq"] = lib.zeros_like(p)
                    state["step"] += 1
                    step = state["step"].item()
                    state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
                    state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    denom = (state["exp_avg_sq"].sqrt() / (1 - beta2 ** step) ** 0.5)
                    p.addcdiv_(state["exp_avg"], denom.add_(group["eps"]),
                               value=-group["lr"] / (1 - beta1 ** step))
            return loss

    return MyAdam(params, **kwargs)


@needs_torch
def test_custom_optimizer_trajectory_as_torch():
    _same_trajectory(_custom_adam, rtol=1e-10, atol=1e-12)


def _hook_log(lib):
    _, _, optimizer = _train(lib, _custom_adam, steps=1)
    log = []

    def pre(opt, args, kwargs):
        log.append(("pre", args[0] is opt, len(args), sorted(kwargs)))

    optimizer.register_step_pre_hook(pre)
    optimizer.register_step_post_hook(lambda opt, args, kwargs: log.append(("post", len(args))))
    optimizer.step()
    optimizer.step(None)
    optimizer.step(closure=None)
    return log


@needs_torch
def test_step_hooks_see_the_optimizer_in_args_as_torch():
    assert _hook_log(tg) == _hook_log(torch)


def test_step_pre_hook_replacing_args():
    param = tg.nn.Parameter(tg.tensor([1.0, 2.0]))
    optimizer = tg.optim.SGD([param], lr=0.5)
    param.grad = tg.tensor([1.0, 1.0])
    calls = []

    def closure():
        calls.append("closure")
        return tg.tensor(3.0)

    optimizer.register_step_pre_hook(lambda opt, args, kwargs: ((args[0], closure), kwargs))
    assert optimizer.step().item() == 3.0
    assert calls == ["closure"] and param.tolist() == [0.5, 1.5]
    other = tg.optim.SGD([tg.nn.Parameter(tg.zeros(1))], lr=0.1)
    other.register_step_pre_hook(lambda opt, args, kwargs: "args")
    with pytest.raises(RuntimeError, match=r"SGD.step: a step pre-hook must return None or a "
                                           r"tuple \(new_args, new_kwargs\), but got 'args'"):
        other.step()


def _loaded_custom(lib):
    _, _, optimizer = _train(lib, _custom_adam, steps=3)
    saved = optimizer.state_dict()
    model = _model(lib)
    fresh = _custom_adam(lib, model.parameters(), lr=0.5)
    fresh.load_state_dict(saved)
    fresh.add_param_group({"params": [lib.nn.Parameter(lib.zeros(1, dtype=lib.float64))]})
    step = fresh.state[next(iter(model.parameters()))]["step"]
    return (fresh.defaults, [sorted(group) for group in fresh.param_groups],
            fresh.param_groups[0]["lr"], str(step.dtype).split(".")[-1], step.item())


@needs_torch
def test_load_state_dict_runs_setstate_and_keeps_tensor_step_as_torch():
    mine, theirs = _loaded_custom(tg), _loaded_custom(torch)
    assert mine == theirs
    assert mine[0]["differentiable"] is False and mine[1][0].count("amsgrad") == 1
    assert mine[3:] == ("float32", 3.0)


_SWA_WEIGHTS = [(_RNG.standard_normal((2, 3)), _RNG.standard_normal(2)) for _ in range(6)]


def _averaged(lib):
    swa = lib.optim.swa_utils
    model = lib.nn.Linear(3, 2).double()
    averages = [swa.AveragedModel(model, multi_avg_fn=swa.get_swa_multi_avg_fn()),
                swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.75)),
                swa.AveragedModel(model, avg_fn=swa.get_ema_avg_fn(0.75)),
                swa.AveragedModel(model)]
    for weight, bias in _SWA_WEIGHTS:
        with lib.no_grad():
            model.weight.copy_(lib.tensor(weight))
            model.bias.copy_(lib.tensor(bias))
        for average in averages:
            average.update_parameters(model)
    return [p.detach().numpy() for average in averages for p in average.module.parameters()]


@needs_torch
def test_averaged_model_multi_avg_fns_as_torch():
    for mine, theirs in zip(_averaged(tg), _averaged(torch), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-14, atol=1e-15)


def test_swa_multi_avg_fn_is_the_running_mean():
    found = _averaged(tg)
    weights = np.array([w for w, _ in _SWA_WEIGHTS])
    np.testing.assert_allclose(found[0], weights.mean(0), rtol=1e-6)  # (float32 1/(n+1))
    np.testing.assert_allclose(found[6], weights.mean(0), rtol=1e-12)
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
        tg.optim.swa_utils.get_ema_multi_avg_fn(1.5)


def _swalr_state(lib, strategy: str):
    optimizer = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.5)
    scheduler = lib.optim.swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=4,
                                          anneal_strategy=strategy)
    optimizer.step()
    scheduler.step()
    return {key: value for key, value in scheduler.state_dict().items()
            if key not in ("_get_lr_called_within_step",)}


def _swalr_loaded(lib, state: dict) -> float:
    optimizer = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.5)
    scheduler = lib.optim.swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=4)
    scheduler.load_state_dict(state)
    for _ in range(2):
        optimizer.step()
        scheduler.step()
    return optimizer.param_groups[0]["lr"]


@needs_torch
def test_swalr_state_dict_keys_as_torch_and_loads_across():
    assert _swalr_state(tg, "linear") == _swalr_state(torch, "linear")
    saved = _swalr_state(torch, "linear")
    assert _swalr_loaded(tg, saved) == pytest.approx(_swalr_loaded(torch, saved), rel=1e-12)
    assert _swalr_loaded(tg, saved) != pytest.approx(_swalr_loaded(tg, _swalr_state(tg, "cos")))


def _copied_adamax(lib, params):
    """An optimizer written as torch.optim's source is, with its private helpers."""
    helpers = __import__(f"{lib.__name__}.optim.optimizer", fromlist=["Optimizer"])

    class CopiedAdamax(helpers.Optimizer):
        def __init__(self, params, lr=0.02, betas=(0.9, 0.999), eps=1e-8, foreach=None,
                     differentiable=False):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps, foreach=foreach,
                                          differentiable=differentiable))

        @helpers._use_grad_for_differentiable
        def step(self, closure=None):
            assert not lib.is_grad_enabled()
            loss = None
            if closure is not None:
                with lib.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                fused, foreach = helpers._default_to_fused_or_foreach(params, False, False)
                assert (fused, foreach) == (False, False)
                helpers._view_as_real(params, [p.grad for p in params])
                for p in params:
                    state = self.state[p]
                    if not state:
                        state["step"] = lib.tensor(0.0, dtype=helpers._get_scalar_dtype())
                        state["exp_avg"] = lib.zeros_like(p)
                        state["exp_inf"] = lib.zeros_like(p)
                    state["step"] += 1
                    beta1, beta2 = group["betas"]
                    state["exp_avg"].lerp_(p.grad, 1 - beta1)
                    norm_buf = lib.cat([state["exp_inf"].mul_(beta2).unsqueeze(0),
                                        p.grad.abs().add_(group["eps"]).unsqueeze_(0)], 0)
                    state["exp_inf"].copy_(lib.amax(norm_buf, 0, keepdim=False))
                    clr = group["lr"] / (1 - beta1 ** helpers._get_value(state["step"]))
                    p.addcdiv_(state["exp_avg"], state["exp_inf"], value=-clr)
            return helpers._stack_if_compiling(loss)

    return CopiedAdamax(params)


@needs_torch
def test_optimizer_copied_from_torch_source_runs_as_torch():
    mine, mine_w, optimizer = _train(tg, _copied_adamax)
    theirs, theirs_w, _ = _train(torch, _copied_adamax)
    np.testing.assert_allclose(mine, theirs, rtol=1e-10)
    for a, b in zip(mine_w, theirs_w):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert tg.is_grad_enabled()  # restored after the step
    assert "params" in tg.optim.optimizer._params_doc


def _copied_scheduler_rates(lib):
    module = __import__(f"{lib.__name__}.optim.lr_scheduler", fromlist=["LRScheduler"])

    class WarmupStep(module.LRScheduler):
        def __init__(self, optimizer, warmup, gamma, last_epoch=-1):
            self.warmup = warmup
            self.gammas = module._format_param("gamma", optimizer, gamma)
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            module._warn_get_lr_called_within_step(self)
            if self.last_epoch < self.warmup:
                return [base * (self.last_epoch + 1) / self.warmup for base in self.base_lrs]
            return [group["lr"] * gamma
                    for group, gamma in zip(self.optimizer.param_groups, self.gammas)]

    params = [lib.nn.Parameter(lib.zeros(1)), lib.nn.Parameter(lib.zeros(1))]
    optimizer = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 1.0}],
                              lr=0.1)
    scheduler = WarmupStep(optimizer, 3, [0.5, 0.9])
    rates = []
    for _ in range(6):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr())
    with module._enable_get_lr_call(scheduler):
        rates.append(scheduler.get_lr())  # no warning inside
    with pytest.raises(UserWarning, match="get_last_lr"):
        scheduler.get_lr()
    with pytest.raises(ValueError, match="gamma must have the same length"):
        WarmupStep(optimizer, 3, [0.5])
    return rates


@needs_torch
def test_scheduler_copied_from_torch_source_as_torch():
    np.testing.assert_allclose(_copied_scheduler_rates(tg), _copied_scheduler_rates(torch),
                               rtol=1e-12)


def _copied_foreach_sgd(lib, params):
    """Momentum SGD as torch.optim's foreach path groups its tensors."""
    class GroupedSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.05, momentum=0.9):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @lib.no_grad()
        def step(self, closure=None):
            self._accelerator_graph_capture_health_check()
            with lib.enable_grad():
                loss = closure()
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                bufs = [self.state[p].get("momentum_buffer") for p in params]
                grouped = self._group_tensors_by_device_and_dtype(
                    [params, [p.grad for p in params], bufs], with_indices=True)
                for (device_params, grads, device_bufs), indices in grouped.values():
                    if any(buf is None for buf in device_bufs):
                        device_bufs = list(lib._foreach_clone(grads))
                        for i, buf in zip(indices, device_bufs):
                            self.state[params[i]]["momentum_buffer"] = buf
                    else:
                        lib._foreach_mul_(device_bufs, group["momentum"])
                        lib._foreach_add_(device_bufs, grads)
                    lib._foreach_add_(device_params, device_bufs, alpha=-group["lr"])
            self._optimizer_step_code()
            return loss

    return GroupedSGD(params)


@needs_torch
def test_optimizer_grouping_tensors_as_torch_foreach_path():
    _same_trajectory(_copied_foreach_sgd, rtol=1e-12, atol=1e-14)


def test_group_tensors_by_device_and_dtype():
    a, b, c = tg.ones(2), tg.ones(1, dtype=tg.float64), tg.zeros(3)
    grouped = tg.optim.Optimizer._group_tensors_by_device_and_dtype([[a, b, c], [c, None, a]],
                                                                     with_indices=True)
    assert list(grouped) == [(a.device, tg.float32), (b.device, tg.float64)]
    (first, second), indices = grouped[(a.device, tg.float32)]
    assert first[0] is a and first[1] is c and second[0] is c and second[1] is a
    assert indices == [0, 2]
    assert grouped[(b.device, tg.float64)] == ([[b], [None]], [1])
    assert tg.optim.Optimizer._group_tensors_by_device_and_dtype([[a]])[(a.device,
                                                                          tg.float32)][1] == []
    optimizer = tg.optim.SGD([tg.nn.Parameter(a)], lr=0.1)
    with pytest.warns(DeprecationWarning, match="_accelerator_graph_capture_health_check"):
        optimizer._cuda_graph_capture_health_check()


def _state_with_other_keys(lib):
    _, _, optimizer = _train(lib, _custom_adam, steps=2)
    optimizer.state["global_step"] = 7
    optimizer.state["info"] = {"warmup": [1, 2]}
    saved = optimizer.state_dict()
    fresh = _custom_adam(lib, _model(lib).parameters())
    fresh.load_state_dict(saved)
    return list(saved["state"]), {k: v for k, v in fresh.state.items() if isinstance(k, str)}


@needs_torch
def test_state_under_other_keys_saved_and_loaded_as_torch():
    assert _state_with_other_keys(tg) == _state_with_other_keys(torch)
    keys, loaded = _state_with_other_keys(tg)
    assert keys == [0, 1, 2, 3, "global_step", "info"]
    assert loaded == {"global_step": 7, "info": {"warmup": [1, 2]}}


def _tensor_lr(lib):
    param = lib.nn.Parameter(lib.ones(2))
    lr = lib.tensor(0.1)
    optimizer = lib.optim.Adam([param], lr=lr)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 1, 0.5)
    rates = []
    for _ in range(3):
        param.grad = lib.ones(2)
        optimizer.step()
        scheduler.step()
        group_lr = optimizer.param_groups[0]["lr"]
        rates.append((group_lr is lr, lr.item(), scheduler.get_last_lr()[0].item(),
                      optimizer.param_groups[0]["initial_lr"].item()))
    return rates + [tuple(param.tolist())]


@needs_torch
def test_scheduler_fills_a_tensor_lr_in_place_as_torch():
    assert _tensor_lr(tg) == _tensor_lr(torch)
    assert _tensor_lr(tg)[2][:2] == (True, pytest.approx(0.0125))


def _touched_state(lib):
    first, second = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(2))
    optimizer = _custom_adam(lib, [first, second])
    assert optimizer.state[second] == {}  # a custom step reading the state makes an entry
    return optimizer.state_dict()["state"]


@needs_torch
def test_empty_state_entries_saved_as_torch():
    assert _touched_state(tg) == _touched_state(torch) == {1: {}}


def _averaged_buffers(lib):
    swa = lib.optim.swa_utils
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2)).double()
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor(_SWA_WEIGHTS[0][0]))
        model[0].bias.copy_(lib.tensor(_SWA_WEIGHTS[0][1]))
    averages = [swa.AveragedModel(model, use_buffers=True),
                swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.5),
                                  use_buffers=True),
                swa.AveragedModel(model, avg_fn=swa.get_ema_avg_fn(0.5), use_buffers=True),
                swa.AveragedModel(model)]
    x = lib.tensor(_X[:8, :3])
    for _ in range(5):
        model(x)
        for average in averages:
            average.update_parameters(model)
    norm = [average.module[1] for average in averages]
    return [(bn.num_batches_tracked.item(), bn.running_mean.tolist(), bn.running_var.tolist())
            for bn in norm]


@needs_torch
def test_averaged_model_averages_integer_buffers_as_torch():
    mine, theirs = _averaged_buffers(tg), _averaged_buffers(torch)
    assert [m[0] for m in mine] == [t[0] for t in theirs] == [1, 4, 4, 5]
    np.testing.assert_allclose([m[1:] for m in mine], [t[1:] for t in theirs], rtol=1e-12)
