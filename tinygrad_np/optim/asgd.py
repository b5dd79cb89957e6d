"""ASGD: SGD with a decaying step size that also keeps a running average of the parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
from tinygrad_np.optim._common import lr_value, scalar_dtype, scalar_state, scalar_value
from tinygrad_np.optim._half import HALF as _HALF
from tinygrad_np.optim.optimizer import (
    Optimizer,
    ParamsT,
    _to_scalar,
    check_non_negative,
    check_not_differentiable,
    regularized_grad,
)
from tinygrad_np.tensor import Tensor


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky) in `torch.optim.ASGD`'s order:

        g = -grad if maximize else grad;  g = g + weight_decay * p
        p = p (1 - lambd eta) - eta g
        ax = ax + (p - ax) mu             (ax = p while mu is 1)
        eta = lr / (1 + lambd lr t)^alpha;  mu = 1 / max(1, t - t0)

    State per parameter: "step", "eta" and "mu" (0-d float32 tensors, as PyTorch's, and
    rounded like them), "ax" (the average, which `step` does not copy into the parameters).
    """

    _capturable_names = "params, mus, etas, and state_steps"  # (_check_capturable)

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_non_negative("ASGD", lr=lr, weight_decay=weight_decay)
        check_not_differentiable("ASGD", differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd = _to_scalar(group["lr"]), group["lambd"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self._stepped_state(param, "ax", eta=scalar_state(lr), mu=scalar_state(1.0))
                if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.asgd(state, param, group)
                else:
                    self._average(param, state, group)
                step = state["step"]
                # computed in the scalar dtype (PyTorch: from the float32 step tensor), then
                # stored in the entry's own dtype (float64 after a float64 load)
                kind = scalar_dtype()
                state["eta"] = scalar_state(kind(_eta(lr, lambd, step, group["alpha"])),
                                            state["eta"])
                state["mu"] = scalar_state(kind(1 / max(1, step - group["t0"])), state["mu"])
        return loss

    def _average(self, param: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """The parameter's update and its running average (eta and mu as they stand)."""
        grad = regularized_grad(param, group)
        eta, mu = scalar_value(state["eta"]), scalar_value(state["mu"])
        scratch = self._scratch_for(param)
        self._update_(param, np.multiply(grad, eta, scratch), 1 - group["lambd"] * eta)
        ax = state["ax"]._data
        if mu != 1:
            np.subtract(param._data, ax, scratch)
            scratch *= mu
            ax += scratch
        else:
            ax[...] = param._data


def _eta(lr: Any, lambd: float, step: float, alpha: float) -> Any:
    """lr / (1 + lambd lr t)^alpha as PyTorch computes it: in Python floats for a number lr;
    for a Tensor lr in its dtype (float32), op by op as its 0-d tensor arithmetic, the power
    taken in double and rounded (PyTorch's scalar pow; NumPy's float32 pow can be 1 ulp off)."""
    if not isinstance(lr, Tensor):
        return lr / ((1 + lambd * lr * step) ** alpha)
    rate = lr_value(lr)
    base = 1 + lambd * rate * float(step)  # (float(): a Step would promote to float64)
    return rate / base.dtype.type(float(base) ** alpha)
