"""`torch.distributions.constraint_registry`: the `biject_to` / `transform_to` registries
(defined in more_transforms) under PyTorch's module path.

    from tinygrad_np.distributions.constraint_registry import biject_to, transform_to
"""

from tinygrad_np.distributions import constraints, transforms
from tinygrad_np.distributions.more_transforms import ConstraintRegistry, biject_to, transform_to

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]
_modules = (constraints, transforms)  # (PyTorch's module has these two names too)
