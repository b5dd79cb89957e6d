"""PyTorch's `torch.nn.utils.parametrizations.weight_norm` (and, in `weight_norm_hook`, the
older `torch.nn.utils.weight_norm`): weight = g * v / ||v||, the norm over every dim but `dim`;
`spectral_norm`: weight / sigma, sigma its largest singular value by power iteration; and
`orthogonal` (in `orthogonal.py`): an orthogonal weight by matrix_exp, cayley or householder.
"""

from __future__ import annotations

from typing import Any

from tinygrad_np.errors import TensorError
from tinygrad_np.factories import randn
from tinygrad_np.function import no_grad
from tinygrad_np.nn import functional as F
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.utils.orthogonal import orthogonal
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
    `module.parametrizations.<name>.original0` (g) and `.original1` (v); returns module.
    A checkpoint of the old nn.utils.weight_norm (`<name>_g`, `<name>_v`) loads into it, as
    PyTorch's (its load_state_dict pre-hook renames them)."""
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def compat(state_dict: dict, prefix: str, *_: Any) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(compat)
    return module


class _SpectralNorm(Module):
    """weight / sigma; the buffers `_u` and `_v` hold the power iteration's singular vectors
    (15 steps at creation, `n_power_iterations` per call in training, none in eval)."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        if n_power_iterations <= 0:
            raise TensorError(f"Expected n_power_iterations to be positive, but got "
                              f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + weight.ndim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if weight.ndim > 1:
            matrix = self._reshape_weight_to_matrix(weight.detach())
            rows, columns = matrix.shape
            with no_grad():
                self.register_buffer("_u", F.normalize(randn(rows, dtype=weight.dtype), dim=0,
                                                       eps=eps))
                self.register_buffer("_v", F.normalize(randn(columns, dtype=weight.dtype),
                                                       dim=0, eps=eps))
            self._power_method(matrix, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, matrix: Tensor, iterations: int) -> None:
        with no_grad():
            fixed = matrix.detach()
            for _ in range(iterations):
                self._u.copy_(F.normalize(fixed @ self._v, dim=0, eps=self.eps))
                self._v.copy_(F.normalize(fixed.t() @ self._u, dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / u.dot(matrix @ v)

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Reparameterise `module.<name>` as weight / sigma (its largest singular value): the
    learnable tensor becomes `module.parametrizations.<name>.original`, the singular vectors
    the buffers `...<name>.0._u` and `._v`; `dim` defaults to 1 for ConvTranspose layers."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise TensorError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    return register_parametrization(module, name,
                                    _SpectralNorm(weight, n_power_iterations, dim, eps))


__all__ = ["orthogonal", "spectral_norm", "weight_norm"]
