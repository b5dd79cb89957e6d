"""Muon: momentum SGD for 2-D weights whose step is the momentum orthogonalized by a
Newton-Schulz iteration (Jordan et al.), computed in bfloat16 as `torch.optim.Muon` does."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim._common import lr_value
from tinygrad_np.optim.adam import lerp_
from tinygrad_np.optim.optimizer import Optimizer, ParamsT
from tinygrad_np.tensor import Tensor

ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


def to_bfloat16(array: np.ndarray) -> np.ndarray:
    """The values rounded to bfloat16 (to nearest, ties to even), held in float32: NumPy has no
    bfloat16, whose bits are the upper half of a float32's."""
    bits = np.asarray(array, dtype=np.float32).view(np.uint32)
    rounded = (bits + (np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1)))) & np.uint32(0xFFFF0000)
    rounded = np.where(np.isnan(array), bits, rounded)  # (a NaN's payload must not carry)
    return rounded.view(np.float32)


def newton_schulz(matrix: np.ndarray, coefficients: tuple[float, float, float], steps: int,
                  eps: float) -> np.ndarray:
    """The matrix's orthogonalization U S' V^T (S' near 1) by `steps` quintic Newton-Schulz
    iterations X = a X + (b A + c A A) X with A = X X^T, from X = G / max(|G|_F, eps), each
    result rounded to bfloat16 as PyTorch's (a float32 array of bfloat16 values)."""
    if steps >= 100:
        raise ValueError("Muon: ns_steps must be less than 100 for computational efficiency, "
                         f"got {steps}")
    if matrix.ndim != 2:
        raise ValueError(f"Muon: the gradient must be a 2D matrix, got shape {matrix.shape}")
    if len(coefficients) != 3:
        raise ValueError("Muon: ns_coefficients must be a tuple of exactly 3 values, got "
                         f"{coefficients}")
    a, b, c = coefficients
    x = to_bfloat16(matrix)
    wide = x.shape[0] > x.shape[1]
    if wide:
        x = x.T
    norm = max(to_bfloat16(np.linalg.norm(x)), to_bfloat16(eps))
    x = to_bfloat16(x / norm)
    for _ in range(steps):
        gram = to_bfloat16(x @ x.T)
        update = to_bfloat16(b * gram + c * (gram @ gram))
        x = to_bfloat16(a * x + update @ x)
    return x.T if wide else x


def adjusted_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    """lr scaled for the matrix's shape (A, B): sqrt(max(1, A / B)) ("original", the default)
    or 0.2 sqrt(max(A, B)) ("match_rms_adamw")."""
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr * math.sqrt(max(1, rows / cols))


class Muon(Optimizer):
    """Muon as `torch.optim.Muon` computes it, for 2-D parameters only:

        B = lerp(B, g, 1 - momentum)                      (state "momentum_buffer")
        O = NS(lerp(g, B, momentum) if nesterov else B)   (bfloat16; see `newton_schulz`)
        p = p * (1 - lr * weight_decay) - adjusted_lr(lr, shape) * O

    Use another optimizer (AdamW) for biases, embeddings and other parameters that are not
    matrices: as PyTorch, Muon refuses them.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315),
                 eps: float = 1e-7, ns_steps: int = 5, adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError(f"Muon: Tensor lr must be 1-element, got one of shape "
                             f"{tuple(lr.shape)}")
        for label, value in (("Learning rate", lr), ("momentum", momentum),
                             ("weight decay", weight_decay)):
            if not 0.0 <= value:
                raise ValueError(f"Muon: {label} should be >= 0 but is: {value}")
        if adjust_lr_fn not in ADJUST_LR_FNS:
            raise ValueError(f"Muon: Adjust learning rate function {adjust_lr_fn} is not "
                             f"supported (use one of {ADJUST_LR_FNS})")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                    "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
                    "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                if param.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {param.size()!r} (optimize the "
                                     "others with another optimizer, such as AdamW)")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum = lr_value(group["lr"]), group["momentum"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = param.grad._data
                if grad.ndim != 2:
                    raise ValueError(f"Muon: the gradient must be a 2D matrix, got shape "
                                     f"{grad.shape}")
                state = self.state[param]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = Tensor(np.zeros_like(grad))
                buffer = state["momentum_buffer"]._data
                scratch = self._scratch_for(param)
                lerp_(buffer, grad, 1 - momentum, scratch)
                direction = buffer
                if group["nesterov"]:
                    direction = grad.copy()
                    lerp_(direction, buffer, momentum, scratch)
                ortho = newton_schulz(direction, group["ns_coefficients"], group["ns_steps"],
                                      group["eps"])
                step = adjusted_lr(lr, group["adjust_lr_fn"], param.shape)
                np.multiply(ortho, step, scratch, dtype=scratch.dtype)  # (float64: not in float32)
                self._update_(param, scratch, 1 - lr * group["weight_decay"])
        return loss
