"""`Linear`: the fully connected layer y = x W^T + b."""

from __future__ import annotations

import math
from typing import Any

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.nn import functional as F
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.rng import generator
from tinygrad_np.tensor import Tensor


class Linear(Module):
    """y = x @ W^T + b, with W of shape (out_features, in_features) as in PyTorch.

    Initialised as PyTorch does by default: W and b both ~ U(-1/sqrt(in), 1/sqrt(in)). For W
    that is `kaiming_uniform_(a=sqrt(5))`: gain sqrt(2 / (1 + a^2)) = sqrt(1/3), and the
    bound sqrt(3) * gain / sqrt(in) = 1/sqrt(in). Drawn from the library generator (W first,
    then b), so `tg.manual_seed` makes it reproducible.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        dtype = get_default_dtype() if dtype is None else dtype
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        weight = generator().uniform(-bound, bound, (out_features, in_features))
        self.weight = Parameter(weight.astype(dtype))
        self.bias = None
        if bias:
            self.bias = Parameter(generator().uniform(-bound, bound, out_features).astype(dtype))

    def forward(self, x: Tensor) -> Tensor:
        # x @ W.T + b as one op (F.linear), so W's gradient comes out in W's memory layout
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
