"""`torch.nn.attention.bias`: causal masks for scaled_dot_product_attention when the query and
key lengths differ. `causal_upper_left(L, S)` keeps key j for query i when j <= i (the
diagonal from the top-left corner, as `is_causal=True`); `causal_lower_right(L, S)` when
j <= i + S - L (the diagonal ending at the bottom-right corner: the last query sees every
key, as when decoding with a cache). Either is an `attn_mask` for
F.scaled_dot_product_attention; `_materialize()` gives the bool mask (True: attended)."""

from __future__ import annotations

import enum
import warnings
from typing import Any

import numpy as np

from tinygrad_np.errors import AssertionTensorError
from tinygrad_np.tensor import Tensor


class CausalVariant(enum.IntEnum):
    """Which corner the causal diagonal starts from."""

    UPPER_LEFT = 1
    LOWER_RIGHT = 2


class CausalBias:
    """A causal attention mask of (seq_len_q, seq_len_kv), made only when needed."""

    def __init__(self, variant: CausalVariant, seq_len_q: int, seq_len_kv: int) -> None:
        if not isinstance(variant, CausalVariant):
            raise AssertionTensorError(f"variant must be a CausalVariant, got "
                                       f"{type(variant).__name__}")
        self.variant, self.seq_len_q, self.seq_len_kv = variant, seq_len_q, seq_len_kv
        if seq_len_q > seq_len_kv and variant == CausalVariant.LOWER_RIGHT:
            # PyTorch's warning (its fused kernels give NaN for the queries that see no key;
            # the masked softmax here, as its math kernel, gives zeros)
            warnings.warn("Lower right causal bias will produce NaNs in the output when "
                          "seq_len_q > seq_len_kv!", stacklevel=2)

    def _materialize(self, device: Any = None) -> Tensor:
        """The (seq_len_q, seq_len_kv) bool mask, True where a query attends to a key."""
        shift = self.seq_len_kv - self.seq_len_q if self.variant == CausalVariant.LOWER_RIGHT \
            else 0
        return Tensor(np.tril(np.ones((self.seq_len_q, self.seq_len_kv), dtype=bool), shift))

    def __repr__(self) -> str:
        return repr(self._materialize())


def _causal(variant: CausalVariant, size: tuple[int, ...]) -> CausalBias:
    if len(size) != 2:
        raise AssertionTensorError(f"causal_{variant.name.lower()} only supports 2D tensors, "
                                   f"got {len(size)} sizes")
    return CausalBias(variant, int(size[0]), int(size[1]))


def causal_upper_left(*size: int) -> CausalBias:
    """The causal mask of (L, S) whose diagonal starts at the top-left corner."""
    return _causal(CausalVariant.UPPER_LEFT, size)


def causal_lower_right(*size: int) -> CausalBias:
    """The causal mask of (L, S) whose diagonal ends at the bottom-right corner."""
    return _causal(CausalVariant.LOWER_RIGHT, size)


__all__ = ["CausalBias", "CausalVariant", "causal_lower_right", "causal_upper_left"]
