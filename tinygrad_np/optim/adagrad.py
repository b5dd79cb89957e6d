"""Adagrad: per-element step sizes from the sum of all past squared gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
from tinygrad_np.optim._half import HALF as _HALF
from tinygrad_np.optim.optimizer import (
    Optimizer,
    ParamsT,
    Step,
    _to_scalar,
    check_fused,
    check_non_negative,
    check_not_differentiable,
    regularized_grad,
)
from tinygrad_np.tensor import Tensor


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.) in `torch.optim.Adagrad`'s form and order:

        g = -grad if maximize else grad;  g = g + weight_decay * p
        lr_t = lr / (1 + (t - 1) lr_decay)
        s = s + g g                          (s starts at initial_accumulator_value)
        p = p - lr_t (g / (sqrt(s) + eps))

    As in PyTorch, the state ("step", "sum") is created for every parameter at construction.
    `foreach` and `fused` are accepted and ignored (not together, as in PyTorch); sparse
    gradients do not exist here.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_non_negative("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        check_fused("Adagrad", fused, foreach, differentiable)
        check_not_differentiable("Adagrad", differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:  # the constructor's value, whatever a group says
            for param in group["params"]:  # (as PyTorch)
                self._init_state(param, initial_accumulator_value)

    def _init_state(self, param: Tensor, initial_value: float) -> None:
        state = self.state[param]
        state["step"] = Step(0.0)
        state["sum"] = Tensor(np.full_like(param._data, initial_value))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:  # a group added later: PyTorch uses the defaults' value here
                    self._init_state(param, self.defaults["initial_accumulator_value"])
                state["step"] += 1
                if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.adagrad(state, param, group)
                    continue
                grad = regularized_grad(param, group)
                lr = _to_scalar(group["lr"]) / (1 + (state["step"] - 1) * group["lr_decay"])
                total = state["sum"]._data
                scratch = self._scratch_for(param)
                total += np.multiply(grad, grad, scratch)
                np.sqrt(total, scratch)
                scratch += group["eps"]
                np.divide(grad, scratch, scratch)
                self._update_(param, np.multiply(scratch, lr, scratch))
        return loss
