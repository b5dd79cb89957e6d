"""float16 parameters stepped as PyTorch 2.13's CPU optimizers step them.

PyTorch's single-tensor loops (its CPU default) run one tensor op at a time, and each
float16 op computes in float32 and rounds once ("opmath": `param.add_(grad, alpha=-lr)` is
one rounding, where `lr * grad` and then `param - that` are two). So for float16 the
optimizers run these transcriptions of PyTorch's loops on the library's own float16 ops
(which round as PyTorch's, op by op), under no_grad; the state keeps the same entries.
float32 and float64 parameters never come here (an identity test on the dtype).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.function import no_grad
from tinygrad_np.optim._common import scalar_state, scalar_value
from tinygrad_np.optim.optimizer import _to_scalar
from tinygrad_np.tensor import Tensor

HALF = np.dtype(np.float16)


def _number(value: Any) -> Any:
    """A Tensor given as alpha= or value= (from a Tensor lr) as the number PyTorch's kernels
    take (its Scalar: the tensor's value, in its own precision)."""
    return value.item() if isinstance(value, Tensor) else value


def _grad(param: Tensor, group: dict[str, Any]) -> Tensor:
    """-grad when maximizing, then + weight_decay * param (PyTorch's `grad.add(param,
    alpha=weight_decay)`, one rounding)."""
    grad = param.grad.detach()
    grad = -grad if group["maximize"] else grad
    if group["weight_decay"]:
        grad = grad.add(param.detach(), alpha=group["weight_decay"])
    return grad


def sgd(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """torch.optim.sgd._single_tensor_sgd."""
    with no_grad():
        grad, momentum = _grad(param, group), group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.detach().clone()
            else:
                buffer.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buffer, alpha=momentum) if group["nesterov"] else buffer
        param.add_(grad, alpha=_number(-_to_scalar(group["lr"])))


def adam(state: dict[str, Any], param: Tensor, group: dict[str, Any], step: float) -> None:
    """torch.optim.adam._single_tensor_adam (not capturable); `step` already counted."""
    lr, (beta1, beta2), decay = _to_scalar(group["lr"]), group["betas"], group["weight_decay"]
    with no_grad():
        grad = param.grad.detach()
        grad = -grad if group["maximize"] else grad
        if decay and group["decoupled_weight_decay"]:
            param.mul_(1 - lr * decay)
        elif decay:
            grad = grad.add(param.detach(), alpha=decay)
        state["exp_avg"].lerp_(grad, 1 - beta1)
        square = state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        if group["amsgrad"]:
            square = state["max_exp_avg_sq"]
            square.copy_(square.maximum(state["exp_avg_sq"]))
        denominator = (square.sqrt() / (1 - beta2**step) ** 0.5).add_(group["eps"])
        param.addcdiv_(state["exp_avg"], denominator, value=_number(-(lr / (1 - beta1**step))))


def rmsprop(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """torch.optim.rmsprop._single_tensor_rmsprop; the state's step already counted."""
    alpha, lr = group["alpha"], _to_scalar(group["lr"])
    with no_grad():
        grad = _grad(param, group)
        square = state["square_avg"].mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            mean = state["grad_avg"].lerp_(grad, 1 - alpha)
            average = square.addcmul(mean, mean, value=-1).sqrt_()
        else:
            average = square.sqrt()
        average = average.add_(group["eps"])
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"].mul_(group["momentum"]).addcdiv_(grad, average)
            param.add_(buffer, alpha=_number(-lr))
        else:
            param.addcdiv_(grad, average, value=_number(-lr))


def adagrad(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """torch.optim.adagrad._single_tensor_adagrad (dense); the state's step already counted."""
    with no_grad():
        grad = _grad(param, group)
        rate = _to_scalar(group["lr"]) / (1 + (state["step"] - 1) * group["lr_decay"])
        total = state["sum"].addcmul_(grad, grad, value=1)
        param.addcdiv_(grad, total.sqrt().add_(group["eps"]), value=_number(-rate))


def adadelta(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """torch.optim.adadelta._single_tensor_adadelta; the state's step already counted."""
    rho, eps = group["rho"], group["eps"]
    with no_grad():
        grad = _grad(param, group)
        state["square_avg"].mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = state["square_avg"].add(eps).sqrt_()
        delta = state["acc_delta"].add(eps).sqrt_().div_(std).mul_(grad)
        state["acc_delta"].mul_(rho).addcmul_(delta, delta, value=1 - rho)
        param.add_(delta, alpha=_number(-_to_scalar(group["lr"])))


def adamax(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """torch.optim.adamax._single_tensor_adamax; the state's step already counted."""
    beta1, beta2 = group["betas"]
    with no_grad():
        grad = _grad(param, group)
        state["exp_avg"].lerp_(grad, 1 - beta1)
        largest = state["exp_inf"].mul_(beta2)
        largest.copy_(largest.maximum(grad.abs().add_(group["eps"])))
        rate = _to_scalar(group["lr"]) / (1 - beta1 ** state["step"])
        param.addcdiv_(state["exp_avg"], state["exp_inf"], value=_number(-rate))


def _decayed_grad(param: Tensor, group: dict[str, Any]) -> Tensor:
    """NAdam's and RAdam's gradient: -grad when maximizing; the decoupled decay applied to
    the parameter (p * (1 - lr weight_decay)), or the L2 term added to the gradient."""
    grad = param.grad.detach()
    grad = -grad if group["maximize"] else grad
    decay = group["weight_decay"]
    if decay and group["decoupled_weight_decay"]:
        param.mul_(1 - _to_scalar(group["lr"]) * decay)
    elif decay:
        grad = grad.add(param.detach(), alpha=decay)
    return grad


def nadam(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """torch.optim.nadam._single_tensor_nadam (mu_product a 0-d float32 state, as NAdam's);
    the state's step already counted."""
    lr, (beta1, beta2) = _to_scalar(group["lr"]), group["betas"]
    step, decay = float(state["step"]), group["momentum_decay"]
    with no_grad():
        grad = _decayed_grad(param, group)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay)))
        kind = state["mu_product"]._data.dtype.type
        product = float(kind(kind(scalar_value(state["mu_product"])) * kind(mu)))
        state["mu_product"] = scalar_state(product, state["mu_product"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denominator = state["exp_avg_sq"].div(1 - beta2**step).sqrt().add_(group["eps"])
        param.addcdiv_(grad, denominator, value=_number(-lr * (1.0 - mu) / (1.0 - product)))
        param.addcdiv_(state["exp_avg"], denominator,
                       value=_number((-lr * mu_next) / (1.0 - product * mu_next)))


def radam(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """torch.optim.radam._single_tensor_radam; the state's step already counted."""
    lr, (beta1, beta2) = _to_scalar(group["lr"]), group["betas"]
    step = float(state["step"])
    with no_grad():
        grad = _decayed_grad(param, group)
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        correction2 = 1 - beta2**step
        corrected = state["exp_avg"] / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / correction2
        if rho_t > 5.0:
            adaptive = (correction2**0.5) / state["exp_avg_sq"].sqrt().add_(group["eps"])
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            param.add_(corrected * lr * adaptive * rect, alpha=-1.0)
        else:
            param.add_(corrected * lr, alpha=-1.0)


def asgd(state: dict[str, Any], param: Tensor, group: dict[str, Any]) -> None:
    """The parameter and average updates of torch.optim.asgd._single_tensor_asgd (its eta
    and mu, 0-d float32 states, are updated by ASGD.step after)."""
    eta = scalar_value(state["eta"])
    with no_grad():
        grad = _grad(param, group)
        param.mul_(1 - group["lambd"] * eta)
        param.add_(grad, alpha=-eta)
        if scalar_value(state["mu"]) != 1:
            state["ax"].add_(param.detach().sub(state["ax"]).mul_(state["mu"]))
        else:
            state["ax"].copy_(param.detach())


def adafactor(state: dict[str, Any], param: Tensor, group: dict[str, Any], eps1: float) -> None:
    """torch.optim._adafactor._single_tensor_adafactor; the state's step already counted."""
    lr, eps2, decay = _to_scalar(group["lr"]), group["eps"][1], group["weight_decay"]
    step = float(state["step"])
    with no_grad():
        grad = param.grad.detach()
        grad = -grad if group["maximize"] else grad
        weight = step ** group["beta2_decay"]
        alpha = max(eps2, param.detach().norm(2).item() / (param.numel() ** 0.5)) * min(
            lr, 1 / (step ** 0.5))
        if decay:
            param.mul_(1 - lr * decay)
        if grad.dim() > 1:
            row, col = state["row_var"], state["col_var"]
            row.lerp_(grad.norm(dim=-1, keepdim=True).square_().div_(grad.size(-1)), weight)
            col.lerp_(grad.norm(dim=-2, keepdim=True).square_().div_(grad.size(-2)), weight)
            estimate = row @ col
            estimate.div_(row.mean(dim=-2, keepdim=True).clamp_(min=eps1))
        else:
            estimate = state["variance"].lerp_(grad * grad, weight).clone()
        update = estimate.clamp_(min=eps1 * eps1).rsqrt_().mul_(grad)
        scale = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * group["d"]))
        param.add_(update, alpha=_number(-alpha / scale))
