"""PyTorch's older `torch.nn.utils.weight_norm` / `remove_weight_norm`: Parameters
`<name>_g` and `<name>_v` replace `<name>`, and a forward pre-hook recomputes
`<name> = g * v / ||v||` (a Tensor-op composition) before every call."""

from __future__ import annotations

import warnings
from typing import Any

from tinygrad_np.errors import TensorError
from tinygrad_np.function import no_grad
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.nn.utils.parametrizations import norm_except_dim
from tinygrad_np.tensor import Tensor


class WeightNorm:
    """The forward pre-hook that weight_norm registers."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, -1 if dim is None else dim
        self.handle: Any = None

    def compute_weight(self, module: Module) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split `module.<name>` into `<name>_g` (its norm over every dim but `dim`) and
    `<name>_v` (its direction); returns module. Deprecated in PyTorch (a FutureWarning, as
    there) in favour of nn.utils.parametrizations.weight_norm."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    hooks = vars(module).setdefault("_weight_norms", {})
    if name in hooks:
        raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    weight = vars(module).get(name)
    if not isinstance(weight, Parameter):
        raise TensorError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
    hook = WeightNorm(name, dim)
    delattr(module, name)
    with no_grad():
        setattr(module, name + "_g", Parameter(norm_except_dim(weight, hook.dim).detach()))
        setattr(module, name + "_v", Parameter(weight.detach().clone()))
    hook(module, ())  # module.<name> is there before the first call, as PyTorch
    hook.handle = module.register_forward_pre_hook(hook)
    hooks[name] = hook
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo weight_norm: `module.<name>` is a Parameter again (holding g * v / ||v||)."""
    hook = vars(module).get("_weight_norms", {}).pop(name, None)
    if hook is None:
        raise TensorError(f"weight_norm of '{name}' not found in {module}")
    with no_grad():
        weight = Parameter(hook.compute_weight(module).detach())
    hook.handle.remove()
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    setattr(module, name, weight)
    return module


__all__ = ["remove_weight_norm", "weight_norm"]
