"""Adam and AdamW: gradient descent with per-element step sizes from running moments of the
gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim import _half
from tinygrad_np.optim._common import check_pair
from tinygrad_np.optim._half import HALF as _HALF
from tinygrad_np.optim.optimizer import (
    Optimizer,
    ParamsT,
    Step,
    _to_scalar,
    check_fused,
    check_non_negative,
    check_not_differentiable,
)
from tinygrad_np.tensor import Tensor


def lerp_(start: np.ndarray, end: np.ndarray, weight: float, scratch: np.ndarray) -> None:
    """start += weight * (end - start) in place, in PyTorch's two-branch form (the exact
    `torch.lerp`): start + w (end - start) for w < 0.5, else end - (end - start)(1 - w)."""
    np.subtract(end, start, scratch)
    if weight < 0.5:
        scratch *= weight
        start += scratch
    else:
        scratch *= 1 - weight
        np.subtract(end, scratch, start)


def _check_tensor_betas(owner: str, betas: tuple[Any, Any], foreach: bool | None,
                        capturable: bool) -> None:
    """PyTorch's ValueErrors: betas must be two floats or two Tensors (not with foreach=True
    unless capturable)."""
    if not (all(isinstance(beta, float) for beta in betas)
            or all(isinstance(beta, Tensor) for beta in betas)):
        raise ValueError(f"{owner}: betas must be either both floats or both Tensors, got "
                         f"({', '.join(type(beta).__name__ for beta in betas)})")
    for index, beta in enumerate(betas):
        if isinstance(beta, Tensor) and foreach and not capturable:
            raise ValueError(f"{owner}: betas[{index}] as a Tensor is not supported for "
                             "capturable=False and foreach=True")


class Adam(Optimizer):
    """Adam (Kingma & Ba), computed in the same order as `torch.optim.Adam`:

        g = -grad if maximize else grad
        g = g + weight_decay * p          (Adam: an L2 penalty)
        p = p * (1 - lr * weight_decay)   (AdamW / decoupled_weight_decay, instead)
        m = lerp(m, g, 1 - beta1)         (= beta1 m + (1 - beta1) g)
        v = beta2 v + (1 - beta2) g^2
        v_max = max(v_max, v)             (amsgrad; then v_max is used for v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    which is p - lr * m_hat / (sqrt(v_hat) + eps) with the bias-corrected moments. t counts
    this parameter's own steps. State per parameter: "step" (a `Step`: a float with
    `.item()`; a float32 0-d tensor in PyTorch), "exp_avg", "exp_avg_sq", and "max_exp_avg_sq"
    with amsgrad. The arithmetic runs on one reused scratch array per parameter. `foreach`
    and `fused` are accepted and ignored (not together, as in PyTorch); `capturable=True`
    fails at step (without `fused`), as on PyTorch's CPU.
    """

    _capturable_names = "params and state_steps"  # (_check_capturable)

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        name = type(self).__name__
        check_non_negative(name, lr=lr, eps=eps)
        check_pair(name, "betas", betas)
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name}: Invalid beta parameter at index {index}: {beta} "
                                 f"(betas[{index}] must be in [0, 1))")
        check_non_negative(name, weight_decay=weight_decay)
        if isinstance(lr, Tensor) and foreach and not capturable:  # PyTorch's check
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        _check_tensor_betas(name, betas, foreach, capturable)
        check_fused(name, fused, foreach, differentiable)
        check_not_differentiable(name, differentiable)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
                    "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        # Outputs are passed positionally and in-place operators used: on small arrays the
        # `out=` keyword's parsing costs as much as the arithmetic.
        for group in self.param_groups:
            lr, eps, weight_decay = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            amsgrad, maximize = group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                p, grad = param._data, param.grad._data
                state = self.state[param]
                if not state:
                    state["step"] = Step(0.0)
                    state["exp_avg"] = Tensor(np.zeros_like(p))
                    state["exp_avg_sq"] = Tensor(np.zeros_like(p))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor(np.zeros_like(p))
                state["step"] += 1
                step = state["step"]
                if p.dtype is _HALF:  # PyTorch's op-by-op float16 rounding
                    _half.adam(state, param, group, step)
                    continue
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                scratch = self._scratch_for(param)
                if maximize:
                    grad = -grad
                scale = None
                if weight_decay:
                    if decoupled:
                        scale = 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p
                lerp_(m, grad, 1 - beta1, scratch)
                # v = beta2 v + ((1 - beta2) g) g, PyTorch's order (addcmul)
                v *= beta2
                np.multiply(grad, 1 - beta2, scratch)
                scratch *= grad
                v += scratch
                if amsgrad:
                    v_max = state["max_exp_avg_sq"]._data
                    np.maximum(v_max, v, out=v_max)
                    v = v_max
                # scratch = sqrt(v) / sqrt(1 - beta2^t) + eps; the step: lr / (1 - beta1^t) m / it
                np.sqrt(v, scratch)
                scratch /= (1 - beta2**step) ** 0.5
                scratch += eps
                np.divide(m, scratch, scratch)
                scratch *= lr / (1 - beta1**step)
                self._update_(param, scratch, scale)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), `torch.optim.AdamW`: before the
    Adam step, p = p * (1 - lr * weight_decay); the decay never enters the moments.
    weight_decay defaults to 1e-2."""

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
