"""Adam: gradient descent with per-element step sizes from running moments of the gradient."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from tinygrad_np.function import no_grad
from tinygrad_np.optim.optimizer import Optimizer, check_non_negative
from tinygrad_np.tensor import Tensor


class Adam(Optimizer):
    """Adam (Kingma & Ba), computed in the same order as `torch.optim.Adam`:

        g = grad + weight_decay * p                        (L2 penalty, not AdamW)
        m = m + (1 - beta1) (g - m)                        (= beta1 m + (1 - beta1) g)
        v = beta2 v + (1 - beta2) g^2
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    which is p - lr * m_hat / (sqrt(v_hat) + eps) with the bias-corrected moments m_hat,
    v_hat. t counts this parameter's own steps. m, v and one scratch array per parameter
    are kept in the parameter's dtype and reused, so a step allocates nothing after the first.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params)
        check_non_negative("Adam", lr=lr, eps=eps, weight_decay=weight_decay)
        beta1, beta2 = betas
        for name, beta in (("betas[0]", beta1), ("betas[1]", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Adam: {name} must be in [0, 1), got {beta}")
        self.lr = lr
        self.betas = (beta1, beta2)
        self.eps = eps
        self.weight_decay = weight_decay

    def _settings(self) -> dict[str, object]:
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps,
                "weight_decay": self.weight_decay}

    @no_grad()
    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        lr, eps, weight_decay = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        # Outputs are passed positionally and in-place operators used: on small arrays the
        # `out=` keyword's parsing costs as much as the arithmetic.
        for param, state in zip(self.params, self.state):
            grad = param.grad
            if grad is None:
                continue
            p, grad = param.data, grad.data
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p)
                state["exp_avg_sq"] = np.zeros_like(p)
                state["scratch"] = np.empty_like(p)
            state["step"] += 1
            step = state["step"]
            m, v, scratch = state["exp_avg"], state["exp_avg_sq"], state["scratch"]
            if weight_decay:
                grad = grad + weight_decay * p
            # m += (1 - beta1) (g - m)
            np.subtract(grad, m, scratch)
            scratch *= 1 - beta1
            m += scratch
            # v = beta2 v + (1 - beta2) g^2
            v *= beta2
            np.multiply(grad, grad, scratch)
            scratch *= 1 - beta2
            v += scratch
            # scratch = sqrt(v) / sqrt(1 - beta2^t) + eps, then the step lr / (1 - beta1^t) m / it
            np.sqrt(v, scratch)
            scratch /= math.sqrt(1 - beta2**step)
            scratch += eps
            np.divide(m, scratch, scratch)
            scratch *= lr / (1 - beta1**step)
            param.sub_(scratch)  # in place, bumping the version: saved graphs see it
