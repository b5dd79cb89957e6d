"""Adadelta: step sizes from running averages of squared gradients and of squared steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
from tinygrad_np.optim._half import HALF as _HALF
from tinygrad_np.optim.optimizer import (
    Optimizer,
    ParamsT,
    _to_scalar,
    check_non_negative,
    check_not_differentiable,
    regularized_grad,
)


class Adadelta(Optimizer):
    """Adadelta (Zeiler) in `torch.optim.Adadelta`'s form and order:

        g = -grad if maximize else grad;  g = g + weight_decay * p
        s = rho s + ((1 - rho) g) g
        d = sqrt(u + eps) / sqrt(s + eps) * g
        u = rho u + ((1 - rho) d) d
        p = p - lr d

    State per parameter: "step", "square_avg" (s), "acc_delta" (u). lr defaults to 1.0.
    `foreach` is accepted and ignored; `capturable=True` fails at step, as on PyTorch's CPU.
    """

    _capturable_names = "params and state_steps"  # (_check_capturable)
    _capturable_xla = (False, False)

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("Adadelta", lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {rho} (rho must be in [0, 1])")
        check_non_negative("Adadelta", eps=eps, weight_decay=weight_decay)
        check_not_differentiable("Adadelta", differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = _to_scalar(group["lr"]), group["rho"], group["eps"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self._stepped_state(param, "square_avg", "acc_delta")
                if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.adadelta(state, param, group)
                    continue
                grad = regularized_grad(param, group)
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                scratch = self._scratch_for(param)
                square_avg *= rho
                square_avg += np.multiply(grad, 1 - rho, scratch) * grad
                delta = np.asarray(np.sqrt(acc_delta + eps))  # (a 0-d parameter: no scalar)
                delta /= np.sqrt(square_avg + eps)
                delta *= grad
                acc_delta *= rho
                acc_delta += np.multiply(delta, 1 - rho, scratch) * delta
                self._update_(param, np.multiply(delta, lr, delta))
        return loss
