"""PyTorch's lazy modules beyond LazyLinear: `LazyConv2d(out_channels, kernel_size, ...)`,
`LazyBatchNorm2d()`, ...: the input channels come from the first input (its dim 1). Until
then the parameters are UninitializedParameters (an optimizer may already hold them); the
first call builds the full module with the same arguments, moves its drawn values into those
same parameter objects, and the module becomes that class."""

from __future__ import annotations

import inspect
from typing import Any

from tinygrad_np.errors import TensorError
from tinygrad_np.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from tinygrad_np.nn.layers_more import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from tinygrad_np.nn.parameter import Parameter, UninitializedParameter
from tinygrad_np.tensor import Tensor


class _Lazy(Module):
    """The shared part: `full` is the module class built at the first call."""

    full: type = Module
    defaults: dict = {}  # noqa: RUF012 (read only)
    spatial = 0  # a conv's spatial dims: an input with one dim more is unbatched (C, ...)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        kwargs = {**self.defaults, **kwargs}
        self._arguments = (args, kwargs)
        given = inspect.signature(self.full.__init__).bind(None, 0, *args, **kwargs)
        given.apply_defaults()  # (0: the input channels, known at the first call)
        options = given.arguments
        weight = options.get("affine", True)  # a conv always has a weight
        bias = weight and options.get("bias", True)
        self.weight = UninitializedParameter(dtype=options.get("dtype")) if weight else None
        self.bias = UninitializedParameter(dtype=options.get("dtype")) if bias else None

    def has_uninitialized_params(self) -> bool:
        return isinstance(self.weight, UninitializedParameter)

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Build the full module for `input`'s channels (dim 1) and become it."""
        if not isinstance(input, Tensor) or input.ndim < 2:
            raise TensorError(f"{type(self).__name__}: the first input must be a tensor of "
                              f"shape (N, C, ...), got {getattr(input, 'shape', input)!r}")
        args, kwargs = self._arguments
        unbatched = self.spatial and input.ndim == self.spatial + 1  # (C, ...): no batch dim
        full = self.full(input.shape[0 if unbatched else 1], *args, **kwargs)
        for name in ("weight", "bias"):
            mine, theirs = getattr(self, name), getattr(full, name, None)
            if isinstance(mine, Parameter) and isinstance(theirs, Parameter):
                mine.materialize(theirs.shape)
                mine._data = theirs._data  # the drawn values, in the parameter already held
                setattr(full, name, mine)
        hooks, training = self.__dict__.get("_module_hooks"), self.training
        vars(self).clear()
        vars(self).update(vars(full))
        if hooks is not None:  # hooks registered before the first call stay
            self._module_hooks = hooks
        self.train(training)
        self.__class__ = self.full

    def forward(self, input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        self.initialize_parameters(input)  # (the rest: a transposed conv's output_size)
        return self.forward(input, *args, **kwargs)  # the full module's (hooks already ran)


def _lazy(full: type, spatial: int = 0, **defaults: Any) -> type:
    return type(f"Lazy{full.__name__}", (_Lazy,), {
        "full": full, "defaults": defaults, "spatial": spatial, "__module__": __name__,
        "__doc__": f"{full.__name__} whose input channels come from its first input."})


LazyConv1d, LazyConv2d, LazyConv3d = (
    _lazy(conv, n) for n, conv in enumerate((Conv1d, Conv2d, Conv3d), 1))
LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d = (
    _lazy(conv, n) for n, conv in enumerate((ConvTranspose1d, ConvTranspose2d,
                                             ConvTranspose3d), 1))
LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d = map(
    _lazy, (BatchNorm1d, BatchNorm2d, BatchNorm3d))
# PyTorch's lazy instance norms are affine by default (its InstanceNorms are not); their
# running statistics stay off here, as InstanceNorm's (see the README).
LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d = (
    _lazy(norm, affine=True) for norm in (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d))
