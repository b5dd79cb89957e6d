"""Activation layers: the module forms of the activation functions in F.

Each layer calls `F.<name>` when it is called. `inplace=True` is accepted where PyTorch
has it and changes nothing: results are always new tensors (the values are the same).
"""

from __future__ import annotations

from tinygrad_np.nn import functional as F
from tinygrad_np.nn.module import Module
from tinygrad_np.tensor import Tensor


class _Activation(Module):
    """An activation without settings of its own, apart from PyTorch's `inplace` flag."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_Activation):
    """y = max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """y = exp(x) / sum(exp(x)) along `dim` (stable for any finite x)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _WithDim(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def _dim(dim: int | None, x: Tensor) -> int:
    # PyTorch's old implicit choice for dim=None: 0 for 0-, 1- and 3-D input, else 1
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1


class LogSoftmax(_WithDim):
    """y = x - log(sum(exp(x))) along `dim`."""

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, _dim(self.dim, x))


class Softmin(_WithDim):
    """y = softmax(-x) along `dim`."""

    def forward(self, x: Tensor) -> Tensor:
        return F.softmin(x, _dim(self.dim, x))


class GELU(Module):
    """y = x * Phi(x) (Phi: the normal CDF); approximate='tanh' uses the tanh formula."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Activation):
    """y = x * sigmoid(x) (swish)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class Mish(_Activation):
    """y = x * tanh(softplus(x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.mish(x)


class SELU(_Activation):
    """y = scale * (max(0, x) + min(0, alpha * (exp(x) - 1))), PyTorch's fixed constants."""

    def forward(self, x: Tensor) -> Tensor:
        return F.selu(x)


class ReLU6(_Activation):
    """y = min(max(x, 0), 6)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu6(x)


class Hardsigmoid(_Activation):
    """y = clamp(x / 6 + 1 / 2, 0, 1)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.hardsigmoid(x)

    def extra_repr(self) -> str:
        return ""  # PyTorch does not show inplace here


class Hardswish(_Activation):
    """y = x * hardsigmoid(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.hardswish(x)

    def extra_repr(self) -> str:
        return ""  # PyTorch does not show inplace here


class LogSigmoid(Module):
    """y = log(sigmoid(x)) = -softplus(-x), stable for any x."""

    def forward(self, x: Tensor) -> Tensor:
        return F.logsigmoid(x)


class Softsign(Module):
    """y = x / (1 + |x|)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.softsign(x)


class LeakyReLU(Module):
    """y = x for x >= 0, negative_slope * x below."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class _Alpha(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class ELU(_Alpha):
    """y = x for x > 0, alpha * (exp(x) - 1) below."""

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)


class CELU(_Alpha):
    """y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.celu(x, self.alpha)


class Softplus(Module):
    """y = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """y = clamp(x, min_val, max_val)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
                 ) -> None:
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))
