"""Layers that only pass data along or reshape it: Identity and Flatten."""

from __future__ import annotations

from typing import Any

from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor


class Identity(Module):
    """y = x (a placeholder, e.g. to switch a layer off without changing the model's shape)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # PyTorch ignores its arguments too
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Merge axes start_dim..end_dim into one: (N, 1, 28, 28) -> (N, 784) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
