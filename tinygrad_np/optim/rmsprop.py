"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
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


class RMSprop(Optimizer):
    """RMSprop (Hinton) in `torch.optim.RMSprop`'s form and order:

        g = -grad if maximize else grad;  g = g + weight_decay * p
        s = alpha s + ((1 - alpha) g) g
        a = lerp(a, g, 1 - alpha);  d = sqrt(s - a^2) + eps     (centered)
        d = sqrt(s) + eps                                        (otherwise)
        b = momentum b + g / d;  p = p - lr b                    (momentum > 0)
        p = p - lr (g / d)                                       (otherwise)

    State per parameter: "step", "square_avg", "momentum_buffer" (momentum > 0), "grad_avg"
    (centered). `foreach` is accepted and ignored; `capturable=True` fails at step, as on
    PyTorch's CPU.
    """

    _capturable_names = "params and state_steps"  # (_check_capturable)
    _capturable_xla = (True, True)

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_non_negative("RMSprop", lr=lr, eps=eps, momentum=momentum,
                           weight_decay=weight_decay, alpha=alpha)
        check_not_differentiable("RMSprop", differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = _to_scalar(group["lr"]), group["alpha"], group["eps"]
            momentum = group["momentum"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self._stepped_state(
                    param, "square_avg", *["momentum_buffer"] * (momentum > 0),
                    *["grad_avg"] * bool(group["centered"]))
                if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.rmsprop(state, param, group)
                    continue
                grad = regularized_grad(param, group)
                scratch = self._scratch_for(param)
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += np.multiply(grad, 1 - alpha, scratch) * grad
                if group["centered"]:
                    grad_avg = state["grad_avg"]._data
                    lerp_(grad_avg, grad, 1 - alpha, scratch)
                    denominator = np.subtract(square_avg, grad_avg * grad_avg,
                                              out=np.empty_like(square_avg))  # (0-d: an array)
                    np.sqrt(denominator, denominator)
                    if square_avg.dtype != np.float64:  # inf square_avg: inf, not NaN
                        np.copyto(denominator, square_avg, where=np.isinf(square_avg))  # (fused)
                else:
                    denominator = np.sqrt(square_avg)
                denominator += eps
                if momentum > 0:
                    buffer = state["momentum_buffer"]._data
                    buffer *= momentum
                    buffer += np.divide(grad, denominator, scratch)
                    self._update_(param, np.multiply(buffer, lr, scratch))
                else:
                    np.divide(grad, denominator, scratch)
                    self._update_(param, np.multiply(scratch, lr, scratch))
        return loss
