"""PyTorch's `torch.nn.utils.spectral_norm` / `remove_spectral_norm` (SN-GAN): the Parameter
`<name>_orig` replaces `<name>`, buffers `<name>_u` and `<name>_v` hold the power
iteration's singular vectors, and a forward pre-hook sets `<name> = <name>_orig / sigma`
before every call, sigma = u . (W v) the largest singular value of the weight as a matrix.

In training each call first runs `n_power_iterations` steps of the power iteration (no
gradient; u and v are updated in place); in eval mode u and v stay as they are."""

from __future__ import annotations

from typing import Any

from tinygrad_np.errors import TensorError
from tinygrad_np.factories import randn
from tinygrad_np.function import no_grad
from tinygrad_np.nn import functional as F
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor


class SpectralNorm:
    """The forward pre-hook that spectral_norm registers."""

    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        if n_power_iterations <= 0:
            raise TensorError(f"Expected n_power_iterations to be positive, but got "
                              f"n_power_iterations={n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = (
            name, n_power_iterations, dim, eps)
        self.handle: Any = None

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """The weight as a matrix: `dim` first, every other dim flattened into columns."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                fixed = matrix.detach()
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(fixed.t() @ u, dim=0, eps=self.eps))
                    u.copy_(F.normalize(fixed @ v, dim=0, eps=self.eps))
                # the graph keeps these values even when the next call updates the buffers
                u, v = u.clone(), v.clone()
        sigma = u.dot(matrix @ v)
        return weight / sigma

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide `module.<name>` by its spectral norm before every forward (see the module
    doc); `dim` defaults to 1 for ConvTranspose layers (their output channels) and 0
    otherwise. Returns module."""
    hooks = vars(module).setdefault("_spectral_norms", {})
    if name in hooks:
        raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter "
                           f"{name}")
    weight = vars(module).get(name)
    if not isinstance(weight, Parameter):
        raise TensorError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    hook = SpectralNorm(name, n_power_iterations, dim, eps)
    with no_grad():
        rows, columns = hook.reshape_weight_to_matrix(weight).shape
        u = F.normalize(randn(rows, dtype=weight.dtype), dim=0, eps=eps)
        v = F.normalize(randn(columns, dtype=weight.dtype), dim=0, eps=eps)
    delattr(module, name)
    setattr(module, name + "_orig", weight)
    setattr(module, name, weight.data)  # a plain tensor until the first call, as PyTorch
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    hook.handle = module.register_forward_pre_hook(hook)
    hooks[name] = hook
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo spectral_norm: `module.<name>` is a Parameter again (the normalised weight)."""
    hook = vars(module).get("_spectral_norms", {}).pop(name, None)
    if hook is None:
        raise TensorError(f"spectral_norm of '{name}' not found in {module}")
    with no_grad():
        weight = hook.compute_weight(module, do_power_iteration=False).detach().clone()
    hook.handle.remove()
    delattr(module, name)
    delattr(module, name + "_orig")
    delattr(module, name + "_u")
    delattr(module, name + "_v")
    setattr(module, name, Parameter(weight))
    return module


__all__ = ["remove_spectral_norm", "spectral_norm"]
