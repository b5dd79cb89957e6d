"""Stochastic gradient descent, with momentum (optionally Nesterov), dampening, L2 weight decay."""

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
    check_fused,
    check_non_negative,
    check_not_differentiable,
)
from tinygrad_np.tensor import Tensor


class SGD(Optimizer):
    """Gradient descent with `torch.optim.SGD`'s update rule, in the same order:

        g = -grad if maximize else grad
        g = g + weight_decay * p
        b = g on the first step, else momentum * b + (1 - dampening) * g   (if momentum != 0)
        g = g + momentum * b if nesterov else b                             (if momentum != 0)
        p = p - lr * g

    State per parameter: "momentum_buffer" (only with momentum). The arithmetic runs on one
    reused scratch array per parameter, so a step allocates nothing after the first.
    `foreach` and `fused` are accepted and ignored (there is one implementation; not both
    True, as in PyTorch).
    """

    quiet_step = False  # its arithmetic never warns: the hot path keeps NumPy's state as is

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False,
                 *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_non_negative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        check_fused("SGD", fused, foreach, differentiable)
        check_not_differentiable("SGD", differentiable)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = None if closure is None else self._closure_loss(closure)
        # Outputs are passed positionally and in-place operators used: on small arrays the
        # `out=` keyword's parsing costs as much as the arithmetic.
        started: set[Tensor] = set()  # buffers started in this step (see _momentum)
        for group in self.param_groups:
            lr, momentum, dampening = _to_scalar(group["lr"]), group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            maximize = group["maximize"]
            for param in group["params"]:
                grad = param._grad
                if grad is None:
                    continue
                grad = grad._data
                if grad.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.sgd(self.state[param], param, group)
                    continue
                _, target, scratch = self._work_for(param)
                if weight_decay:
                    np.multiply(param._data, weight_decay, scratch)
                    grad = (np.subtract if maximize else np.add)(scratch, grad, scratch)
                elif maximize:
                    grad = np.negative(grad, scratch)
                if momentum:
                    grad = self._momentum(param, grad, scratch, momentum, dampening, nesterov,
                                          started)
                self._update_(param, np.multiply(grad, lr, scratch), None, target)
        return loss

    def _momentum(self, param: Tensor, grad: np.ndarray, scratch: np.ndarray, momentum: float,
                  dampening: float, nesterov: bool, started: set[Tensor]) -> np.ndarray:
        """Update the momentum buffer with `grad`; return the direction to step along. A
        parameter listed twice starts its buffer afresh at both places on its first step (as
        PyTorch, which reads all buffers before updating any)."""
        state = self.state[param]
        buffer = state.get("momentum_buffer")
        if buffer is None or (started and param in started):
            buffer = state["momentum_buffer"] = Tensor(np.array(grad, dtype=param.dtype))
            started.add(param)
            b = buffer._data
        else:
            b = buffer._data
            b *= momentum
            if dampening:  # never with nesterov: grad is not needed after this
                b += np.multiply(grad, 1 - dampening, scratch)
            else:
                b += grad
        if nesterov:
            return grad + momentum * b
        return b
