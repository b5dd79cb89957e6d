"""`Linear`: the fully connected layer y = x W^T + b; `LazyLinear`, which learns in_features
from its first input."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.nn import functional as F, init
from tinygrad_np.nn.lazy import LazyModuleMixin
from tinygrad_np.nn.module import Module, check_sizes
from tinygrad_np.nn.parameter import Parameter, UninitializedParameter, is_lazy
from tinygrad_np.tensor import Tensor, _lock


class Linear(Module):
    """y = x @ W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    Initialised as PyTorch does by default: W and b both ~ U(-1/sqrt(in), 1/sqrt(in)). For W
    that is `kaiming_uniform_(a=sqrt(5))`: gain sqrt(2 / (1 + a^2)) = sqrt(1/3), and the
    bound sqrt(3) * gain / sqrt(in) = 1/sqrt(in). Drawn from the library generator (W first,
    then b), so `tg.manual_seed` makes it reproducible.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True,
        device: Any = None, dtype: Any = None
    ) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        dtype = get_default_dtype() if dtype is None else dtype
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw W and b anew (in place: the Parameter objects stay) from U(-1/sqrt(in),
        1/sqrt(in)), W first."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        init.layer_uniform_(self.weight, bound, weight=True)
        init.layer_uniform_(self.bias, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # x @ W.T + b as one op (F.linear), so W's gradient comes out in W's memory layout
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is the last size of its first input, as PyTorch's: until
    then `weight` and `bias` are UninitializedParameters (in_features 0); the first call
    draws them as Linear does and the module becomes a `Linear`."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        as_device(device, "LazyLinear")
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self.weight = UninitializedParameter(dtype=dtype)
        self.bias = UninitializedParameter(dtype=dtype) if bias else None

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(parameter, UninitializedParameter)
                   for parameter in (self.weight, self.bias))

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Give the parameters their shapes from `input` (..., in_features) and values."""
        if not self.has_uninitialized_params():  # loaded from a state dict: keep the values
            if type(self) is LazyLinear:
                self.in_features = self.weight.shape[-1]
                self.__class__ = Linear
            return
        if not isinstance(input, Tensor) or input.ndim == 0:
            raise TensorError(f"LazyLinear: the first input must be a tensor of shape (..., "
                              f"in_features), got {getattr(input, 'shape', type(input).__name__)}")
        self.in_features = in_features = input.shape[-1]
        shapes = {"weight": (self.out_features, in_features), "bias": (self.out_features,)}
        loaded = {}  # (a parameter load_state_dict gave values keeps them)
        for name, shape in shapes.items():
            parameter = getattr(self, name)
            if is_lazy(parameter):
                parameter.materialize(shape)
                parameter._data = _read_only(np.zeros(shape, dtype=parameter.dtype))
            elif parameter is not None:
                loaded[name] = parameter._data.copy()
        self.__class__ = Linear
        self.reset_parameters()
        for name, values in loaded.items():
            getattr(self, name)._data = _read_only(values)

    def reset_parameters(self) -> None:
        """Nothing while the parameters are uninitialised (as PyTorch's); then Linear's."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            Linear.reset_parameters(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self.initialize_parameters(input)  # from now on self is a Linear
        return F.linear(input, self.weight, self.bias)


def _read_only(array: np.ndarray) -> np.ndarray:
    return _lock(array)  # a leaf that requires grad holds a read-only array
