"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
from tinygrad_np.optim._common import check_betas
from tinygrad_np.optim._half import HALF as _HALF
from tinygrad_np.optim.adam import lerp_
from tinygrad_np.optim.optimizer import (
    Optimizer,
    ParamsT,
    _to_scalar,
    check_non_negative,
    check_not_differentiable,
    regularized_grad,
)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, section 7.1) in `torch.optim.Adamax`'s order:

        g = -grad if maximize else grad;  g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)
        u = max(beta2 u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    State per parameter: "step", "exp_avg", "exp_inf". `foreach` is accepted and ignored;
    `capturable=True` fails at step, as on PyTorch's CPU.
    """

    _capturable_names = "params and state_steps"  # (_check_capturable)

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_non_negative("Adamax", lr=lr, eps=eps, weight_decay=weight_decay)
        check_not_differentiable("Adamax", differentiable)
        defaults = {"lr": lr, "betas": check_betas("Adamax", betas), "eps": eps,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self._stepped_state(param, "exp_avg", "exp_inf")
                if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.adamax(state, param, group)
                    continue
                grad = regularized_grad(param, group)
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                scratch = self._scratch_for(param)
                lerp_(m, grad, 1 - beta1, scratch)
                u *= beta2
                np.abs(grad, scratch)
                scratch += group["eps"]
                np.maximum(u, scratch, out=u)
                np.divide(m, u, scratch)
                scratch *= _to_scalar(group["lr"]) / (1 - beta1 ** state["step"])
                self._update_(param, scratch)
        return loss
