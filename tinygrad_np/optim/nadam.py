"""NAdam and RAdam: Adam with Nesterov momentum, and Adam with a rectified warm-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
from tinygrad_np.optim._common import check_betas, scalar_state, scalar_value
from tinygrad_np.optim._half import HALF as _HALF
from tinygrad_np.optim.adam import lerp_
from tinygrad_np.optim.optimizer import (
    Optimizer,
    ParamsT,
    _to_scalar,
    check_non_negative,
    check_not_differentiable,
)
from tinygrad_np.tensor import Tensor


def _moments(optimizer: Optimizer, param: Tensor, group: dict[str, Any],
             extra: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray, float | None]:
    """The shared start of NAdam's and RAdam's step: state (created on the first step, with
    `extra`), step count, the gradient (maximize, L2 or decoupled weight decay), and the
    moments m = lerp(m, g, 1 - beta1), v = beta2 v + (1 - beta2) g g. Returns the state, g,
    and the decoupled decay's scale for `_update_` (None without it)."""
    state = optimizer._stepped_state(param, "exp_avg", "exp_avg_sq", **extra)
    p, grad = param._data, param.grad._data
    grad = -grad if group["maximize"] else grad
    lr, weight_decay, scale = _to_scalar(group["lr"]), group["weight_decay"], None
    if weight_decay:
        if group["decoupled_weight_decay"]:
            scale = 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * p
    beta1, beta2 = group["betas"]
    scratch = optimizer._scratch_for(param)
    lerp_(state["exp_avg"]._data, grad, 1 - beta1, scratch)
    v = state["exp_avg_sq"]._data
    v *= beta2
    np.multiply(grad, 1 - beta2, scratch)
    scratch *= grad
    v += scratch
    return state, grad, scale


class NAdam(Optimizer):
    """NAdam (Dozat) in `torch.optim.NAdam`'s order: the moments as Adam's, then with
    mu_t = beta1 (1 - 0.96^(t momentum_decay) / 2) and mu_product = mu_1 ... mu_t,

        d = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr (1 - mu_t) / (1 - mu_product) g / d
              - lr mu_{t+1} / (1 - mu_product mu_{t+1}) m / d

    decoupled_weight_decay: p = p (1 - lr weight_decay) instead of the L2 term (NAdamW).
    State per parameter: "step", "mu_product" (a 0-d float32 tensor, as PyTorch's, and
    rounded like it), "exp_avg", "exp_avg_sq".
    """

    _capturable_names = "params, mu_products and state_steps"  # (_check_capturable)

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("NAdam", lr=lr, eps=eps, weight_decay=weight_decay,
                           momentum_decay=momentum_decay)
        check_not_differentiable("NAdam", differentiable)
        defaults = {"lr": lr, "betas": check_betas("NAdam", betas), "eps": eps,
                    "weight_decay": weight_decay, "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = _to_scalar(group["lr"]), group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.nadam(self._stepped_state(param, "exp_avg", "exp_avg_sq",
                                                    mu_product=scalar_state(1.0)), param, group)
                    continue
                state, grad, scale = _moments(self, param, group,
                                              {"mu_product": scalar_state(1.0)})
                step, decay = state["step"], group["momentum_decay"]
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
                kind = state["mu_product"]._data.dtype.type  # (float64 after a float64 load)
                mu_product = float(kind(kind(scalar_value(state["mu_product"])) * kind(mu)))
                state["mu_product"] = scalar_state(mu_product, state["mu_product"])
                scratch = self._scratch_for(param)
                np.divide(state["exp_avg_sq"]._data, 1 - beta2**step, scratch)
                np.sqrt(scratch, scratch)
                scratch += group["eps"]
                amount = grad * (lr * (1.0 - mu) / (1.0 - mu_product)) / scratch
                np.divide(state["exp_avg"]._data, scratch, scratch)
                scratch *= lr * mu_next / (1.0 - mu_product * mu_next)
                scratch += amount
                self._update_(param, scratch, scale)
        return loss


class RAdam(Optimizer):
    """RAdam (Liu et al.) in `torch.optim.RAdam`'s order: the moments as Adam's, then with
    rho_inf = 2 / (1 - beta2) - 1 and rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t),

        m_hat = m / (1 - beta1^t)
        rho_t > 5:  p = p - m_hat lr sqrt(1 - beta2^t) / (sqrt(v) + eps) r_t,
                    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        otherwise:  p = p - m_hat lr   (SGD with momentum while the variance is unreliable)

    decoupled_weight_decay: p = p (1 - lr weight_decay) instead of the L2 term. State per
    parameter: "step", "exp_avg", "exp_avg_sq".
    """

    _capturable_names = "params and state_steps"  # (see NAdam)

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("RAdam", lr=lr, eps=eps, weight_decay=weight_decay)
        check_not_differentiable("RAdam", differentiable)
        defaults = {"lr": lr, "betas": check_betas("RAdam", betas), "eps": eps,
                    "weight_decay": weight_decay, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2) = _to_scalar(group["lr"]), group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.radam(self._stepped_state(param, "exp_avg", "exp_avg_sq"), param,
                                group)
                    continue
                state, _, scale = _moments(self, param, group, {})
                step = state["step"]
                correction2 = 1 - beta2**step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / correction2
                scratch = self._scratch_for(param)
                np.divide(state["exp_avg"]._data, 1 - beta1**step, scratch)
                scratch *= lr
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    denominator = np.sqrt(state["exp_avg_sq"]._data) + group["eps"]
                    scratch *= correction2**0.5 / denominator
                    scratch *= rect
                self._update_(param, scratch, scale)
        return loss
