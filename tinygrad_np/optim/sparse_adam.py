"""SparseAdam: Adam that moves the moments and the parameter only at the rows the gradient
touches (lazy Adam, for embeddings)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np.optim._common import check_betas
from tinygrad_np.optim.optimizer import Optimizer, ParamsT
from tinygrad_np.tensor import Tensor


class SparseAdam(Optimizer):
    """`torch.optim.SparseAdam`: on each step only the touched rows (along the first dim) of a
    parameter change, their moments and values by Adam's rule, in PyTorch's order:

        m[rows] += (1 - beta1) * (g - m[rows]);  v[rows] += (1 - beta2) * (g^2 - v[rows])
        p[rows] -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m[rows] / (sqrt(v[rows]) + eps)

    PyTorch's touched rows are those a sparse gradient holds (the rows an
    `nn.Embedding(sparse=True)` looked up). Gradients here are dense, so the touched rows are
    the rows with any nonzero gradient entry: the same ones, except a looked-up row whose
    gradient is exactly zero, which PyTorch's decay would move and this leaves alone. A dense
    gradient is accepted from any layer (PyTorch refuses one). State per parameter: "step"
    (an int, as PyTorch's), "exp_avg", "exp_avg_sq".
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError(f"SparseAdam: Tensor lr must be 1-element, got one of shape "
                             f"{tuple(lr.shape)}")
        if not 0.0 < lr:
            raise ValueError(f"SparseAdam: Invalid learning rate: {lr} (lr must be > 0)")
        if not 0.0 < eps:
            raise ValueError(f"SparseAdam: Invalid epsilon value: {eps} (eps must be > 0)")
        defaults = {"lr": lr, "betas": check_betas("SparseAdam", betas), "eps": eps,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the touched rows of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self._step_one(param, group)
        return loss

    def _step_one(self, param: Tensor, group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        state = self.state[param]
        if not state:
            state["step"] = 0
            state["exp_avg"] = Tensor(np.zeros_like(param._data))
            state["exp_avg_sq"] = Tensor(np.zeros_like(param._data))
        state["step"] += 1
        rows_shape = (len(param._data) if param._data.ndim else 1, -1)
        grad = param.grad._data.reshape(rows_shape)
        rows = np.flatnonzero(np.any(grad != 0, axis=1))
        g = -grad[rows] if group["maximize"] else grad[rows]
        m = state["exp_avg"]._data.reshape(rows_shape)  # views: written in place
        v = state["exp_avg_sq"]._data.reshape(rows_shape)
        m_rows = m[rows] + (g - m[rows]) * (1 - beta1)
        v_rows = v[rows] + (g * g - v[rows]) * (1 - beta2)
        m[rows], v[rows] = m_rows, v_rows
        step = state["step"]
        step_size = float(group["lr"]) * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        amount = np.zeros_like(param._data)
        amount.reshape(rows_shape)[rows] = step_size * (m_rows / (np.sqrt(v_rows) + group["eps"]))
        self._update_(param, amount)
