"""Adafactor: Adam-like steps whose second moment of a matrix is kept as row and column
means (memory O(m + n) instead of O(m n)), with a step size relative to the parameter's RMS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
from tinygrad_np.optim._common import lr_value
from tinygrad_np.optim._half import HALF as _HALF
from tinygrad_np.optim.adam import lerp_
from tinygrad_np.optim.optimizer import Optimizer, ParamsT, Step
from tinygrad_np.tensor import Tensor


def _rms(array: np.ndarray) -> float:
    """The root mean square as PyTorch's `norm(2).item() / numel ** 0.5` gives it."""
    return float(np.sqrt(np.sum(np.square(array)))) / array.size ** 0.5


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern) as `torch.optim.Adafactor` computes it, with t the step:

        g = -grad if maximize else grad
        rho = min(lr, 1 / sqrt(t));  alpha = max(eps2, RMS(p)) * rho;  beta2_hat = 1 - t^beta2_decay
        p = p * (1 - lr * weight_decay)
        p.dim() > 1: R = lerp(R, mean(g^2, dim=-1), 1 - beta2_hat)        ("row_var", (..., m, 1))
                     C = lerp(C, mean(g^2, dim=-2), 1 - beta2_hat)        ("col_var", (..., 1, n))
                     V = R @ C / max(mean(R, dim=-2), eps1)
        otherwise:   V = lerp(V, g^2, 1 - beta2_hat)                       ("variance")
        U = g / sqrt(max(V, eps1^2));  p = p - alpha * U / max(1, RMS(U) / d)

    eps1 None is the parameter dtype's machine epsilon (as in PyTorch, the first parameter's
    of the group). lr only caps rho and scales the weight decay. State per parameter: "step"
    and "row_var", "col_var" (the last two dimensions factored) or "variance". `foreach` is
    accepted and ignored.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError(f"Adafactor: Tensor lr must be 1-element, got one of shape "
                             f"{tuple(lr.shape)}")
        checks = [("Learning rate", lr, 0.0 <= lr), ("beta2_decay", beta2_decay, beta2_decay <= 0),
                  ("epsilon1", eps[0], eps[0] is None or 0.0 <= eps[0]),
                  ("epsilon2", eps[1], 0.0 <= eps[1]),
                  ("Clipping threshold d", d, 1.0 <= d),
                  ("weight_decay", weight_decay, 0.0 <= weight_decay)]
        for label, value, ok in checks:
            if not ok:
                bound = {"beta2_decay": "<= 0", "Clipping threshold d": ">= 1"}.get(label, ">= 0")
                raise ValueError(f"Adafactor: {label} should be {bound} but is: {value}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            eps1, eps2 = group["eps"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param.dtype.kind == "c":
                    raise RuntimeError("Adafactor does not support complex parameters")
                if eps1 is None:  # PyTorch's: set once, from the group's first parameter
                    eps1 = float(np.finfo(param.dtype).eps)
                self._step_one(param, group, eps1, eps2)
        return loss

    def _step_one(self, param: Tensor, group: dict[str, Any], eps1: float, eps2: float) -> None:
        """One parameter's update (see the class docstring)."""
        lr, weight_decay = lr_value(group["lr"]), group["weight_decay"]
        grad = param.grad._data
        grad = -grad if group["maximize"] else grad
        state = self._state(param, grad)
        state["step"] += 1
        if param._data.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
            _half.adafactor(state, param, group, eps1)
            return
        t = float(state["step"])
        weight = t ** group["beta2_decay"]  # 1 - beta2_hat
        alpha = max(eps2, _rms(param._data)) * min(lr, 1 / t ** 0.5)
        scratch = self._scratch_for(param)
        if grad.ndim > 1:
            row, col = state["row_var"]._data, state["col_var"]._data
            lerp_(row, _mean_square(grad, -1), weight, np.empty_like(row))
            lerp_(col, _mean_square(grad, -2), weight, np.empty_like(col))
            np.matmul(row, col, scratch)
            scratch /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]._data
            lerp_(variance, grad * grad, weight, scratch)
            np.copyto(scratch, variance)
        np.maximum(scratch, eps1 * eps1, out=scratch)
        np.sqrt(scratch, scratch)
        np.divide(grad, scratch, scratch)  # U
        scratch *= alpha / max(1.0, _rms(scratch) / group["d"])
        self._update_(param, scratch, 1 - lr * weight_decay if weight_decay else None)

    def _state(self, param: Tensor, grad: np.ndarray) -> dict[str, Any]:
        """The parameter's state, created on its first step in PyTorch's layout."""
        state = self.state[param]
        if not state:
            state["step"] = Step(0.0)
            if grad.ndim > 1:
                state["row_var"] = Tensor(np.zeros(grad.shape[:-1] + (1,), grad.dtype))
                state["col_var"] = Tensor(np.zeros(grad.shape[:-2] + (1,) + grad.shape[-1:],
                                                   grad.dtype))
            else:
                state["variance"] = Tensor(np.zeros_like(grad))
        return state


def _mean_square(grad: np.ndarray, axis: int) -> np.ndarray:
    """mean(g^2) along `axis`, kept, as PyTorch's `norm(g, dim).square() / size` rounds it."""
    norm = np.sqrt(np.sum(np.square(grad), axis=axis, keepdims=True))
    return np.square(norm) / grad.shape[axis]
