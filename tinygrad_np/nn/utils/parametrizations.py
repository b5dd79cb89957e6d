"""PyTorch's `torch.nn.utils.parametrizations.weight_norm` (and, in `weight_norm_hook`, the
older `torch.nn.utils.weight_norm`): weight = g * v / ||v||, the norm over every dim but `dim`.
"""

from __future__ import annotations

from tinygrad_np.nn.module import Module
from tinygrad_np.nn.utils.parametrize import register_parametrization
from tinygrad_np.tensor import Tensor


def norm_except_dim(v: Tensor, dim: int | None) -> Tensor:
    """The 2-norm of `v` over every dim but `dim`, kept as size-1 dims (dim None or -1: the
    norm of the whole tensor, a 0-d tensor)."""
    if dim is None or dim == -1:
        return (v**2).sum().sqrt()
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(f"weight_norm: dim {dim} is out of range for a weight of shape "
                         f"{tuple(v.shape)}")
    dim %= v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return (v**2).sum(others, keepdim=True).sqrt() if others else v.abs()


class _WeightNorm(Module):
    def __init__(self, dim: int | None) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparameterise `module.<name>` as g * v / ||v||: the learnable tensors become
    `module.parametrizations.<name>.original0` (g) and `.original1` (v); returns module."""
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


__all__ = ["weight_norm"]
