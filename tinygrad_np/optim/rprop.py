"""Rprop: a per-element step size that grows while the gradient keeps its sign and shrinks
when it flips; only the gradient's sign is used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim.optimizer import (
    Optimizer,
    ParamsT,
    Step,
    _to_scalar,
    check_non_negative,
    check_not_differentiable,
)
from tinygrad_np.tensor import Tensor


class Rprop(Optimizer):
    """Resilient backpropagation in `torch.optim.Rprop`'s form:

        g = -grad if maximize else grad;  s = sign(g * prev)
        step_size = clip(step_size * (etaplus if s > 0, etaminus if s < 0, else 1),
                         *step_sizes)
        g = 0 where s < 0 (the flip is not acted on twice);  p = p - sign(g) step_size
        prev = g

    State per parameter: "step", "prev", "step_size" (starting at lr everywhere).
    """

    _capturable_names = "params and state_steps"  # (_check_capturable)
    _capturable_xla = (True, True)

    def __init__(self, params: ParamsT, lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative("Rprop", lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: Invalid eta values: {etas[0]}, {etas[1]} (need "
                             "0 < etaminus < 1 < etaplus)")
        check_not_differentiable("Rprop", differentiable)
        defaults = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes),
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            smallest, largest = group["step_sizes"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = Step(0.0)
                    state["prev"] = Tensor(np.zeros_like(param._data))
                    state["step_size"] = Tensor(np.full_like(param._data, _to_scalar(group["lr"])))
                state["step"] += 1
                grad = param.grad._data
                grad = np.negative(grad, out=np.empty_like(grad)) if group["maximize"] \
                    else grad.copy()  # (out=: a 0-d array, not a NumPy scalar)
                prev, step_size = state["prev"]._data, state["step_size"]._data
                sign = np.sign(grad * prev)
                flipped = sign < 0
                factor = np.where(sign > 0, etaplus, np.where(flipped, etaminus, 1.0))
                step_size *= factor.astype(step_size.dtype)  # (PyTorch's etas: in the sign
                # tensor, of the parameter's dtype)
                np.clip(step_size, smallest, largest, out=step_size)
                grad[flipped] = 0
                scratch = self._scratch_for(param)
                np.sign(grad, scratch)
                scratch[scratch != scratch] = 0  # PyTorch's sign of NaN is 0: no step there
                scratch *= step_size
                self._update_(param, scratch)
                prev[...] = grad
        return loss
