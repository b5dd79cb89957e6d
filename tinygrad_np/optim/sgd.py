"""Stochastic gradient descent, with optional momentum and L2 weight decay."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tinygrad_np.function import no_grad
from tinygrad_np.optim.optimizer import Optimizer, check_non_negative
from tinygrad_np.tensor import Tensor


class SGD(Optimizer):
    """Gradient descent with PyTorch's update rule (dampening 0, no Nesterov):

        g = grad + weight_decay * p
        b = g on the first step, else momentum * b + g      (only when momentum != 0)
        p = p - lr * b                                      (b = g without momentum)

    Updates `p.data` in place through one reused scratch array per parameter, so a step
    allocates nothing after the first.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params)
        check_non_negative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay

    def _settings(self) -> dict[str, float]:
        return {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay}

    @no_grad()
    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        # Outputs are passed positionally and in-place operators used: on small arrays the
        # `out=` keyword's parsing costs as much as the arithmetic.
        for param, state in zip(self.params, self.state):
            grad = param.grad
            if grad is None:
                continue
            p, grad = param.data, grad.data
            scratch = state.get("scratch")
            if scratch is None:
                scratch = state["scratch"] = np.empty_like(p)
            if weight_decay:
                np.multiply(p, weight_decay, scratch)
                grad = np.add(scratch, grad, scratch)
            if momentum:
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = np.array(grad, dtype=p.dtype)
                else:
                    buffer *= momentum
                    buffer += grad
                grad = buffer
            np.multiply(grad, lr, scratch)
            param.sub_(scratch)  # in place, bumping the version: saved graphs see it
