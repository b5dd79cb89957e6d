"""`torch.nn.attention`: the attention-kernel choice. There is one implementation here
(scaled_dot_product_attention's math), so choosing a backend changes nothing. Its `bias`
submodule has the causal masks `causal_upper_left` / `causal_lower_right`."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from typing import Any


class SDPBackend(enum.IntEnum):
    """PyTorch's attention backends; every one runs the same NumPy math here."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends: Any, set_priority: bool = False) -> Iterator[None]:
    """`with sdpa_kernel(SDPBackend.MATH):` as PyTorch's; the math is the same for any choice."""
    for backend in backends if isinstance(backends, (list, tuple)) else (backends,):
        if not isinstance(backend, SDPBackend):
            raise TypeError(f"sdpa_kernel: expected SDPBackend values, got {backend!r}")
    yield


from tinygrad_np.nn.attention import bias  # noqa: E402  (torch.nn.attention.bias)

__all__ = ["SDPBackend", "bias", "sdpa_kernel"]
