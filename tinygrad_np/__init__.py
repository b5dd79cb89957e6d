"""tinygrad_np: reverse-mode automatic differentiation on NumPy, with PyTorch's API.

    import tinygrad_np as tg
    w = tg.randn(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()          # w.grad == 2 * w

Layers: the engine (`tensor`, `function`, `autograd`), the primitive ops (`ops/`), what is
built on them (`nn`, `optim`), and tools (`gradcheck`, `viz`, `datasets`).
"""

from tinygrad_np.tensor import Tensor  # noqa: I001  (Tensor first: the ops import it)
from tinygrad_np.autograd import grad
from tinygrad_np.dtypes import get_default_dtype, set_default_dtype
from tinygrad_np.factories import (
    arange,
    eye,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_np.function import (
    Function,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinygrad_np.gradcheck import gradcheck, numerical_grad
from tinygrad_np.rng import manual_seed
from tinygrad_np.serialization import load, save
from tinygrad_np.viz import draw_graph  # graphviz itself is imported only when drawing

__version__ = "0.1.0"

__all__ = [
    "Function",
    "Tensor",
    "arange",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "eye",
    "full",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "load",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "numerical_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "save",
    "set_default_dtype",
    "set_grad_enabled",
    "tensor",
    "zeros",
    "zeros_like",
]
