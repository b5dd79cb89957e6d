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
