"""`Embedding`: a lookup table of learnable vectors, indexed by integer ids."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import AssertionTensorError
from tinygrad_np.function import no_grad
from tinygrad_np.nn import functional as F, init
from tinygrad_np.nn.module import Module, check_sizes
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.rng import generator
from tinygrad_np.tensor import Tensor


class Embedding(Module):
    """Row i of `weight` (num_embeddings, embedding_dim) for each id i: ids of shape (N, L)
    give (N, L, embedding_dim).

    The weight starts as N(0, 1) samples (from the library generator), as in PyTorch, with the
    row `padding_idx` zeroed; that row never receives a gradient. `_weight` supplies the
    initial table instead. `max_norm` renormalises the looked-up rows in place (as PyTorch);
    `scale_grad_by_freq` divides each row's gradient by its index's count in the batch;
    `sparse=True` gives a dense gradient (no sparse tensors here: the same values).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        device: Any = None, dtype: Any = None,
    ) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        check_sizes("Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        table, padding_idx = embedding_table("Embedding", num_embeddings, embedding_dim,
                                             padding_idx, _weight, dtype)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight = Parameter(table, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding holding `embeddings` (2-D, shared, not copied); frozen (no gradient)
        unless `freeze=False`. The padding row is not zeroed."""
        table = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if table.ndim != 2:
            raise AssertionTensorError(f"Embedding.from_pretrained: embeddings must be 2-D, got "
                                       f"shape {table.shape}")
        return cls(table.shape[0], table.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=table, _freeze=freeze)

    def reset_parameters(self) -> None:
        """weight drawn anew from N(0, 1), in place, the padding_idx row zeroed."""
        reset_table(self.weight, self.padding_idx)

    def _fill_padding_idx_with_zero(self) -> None:
        """The padding_idx row of weight zeroed in place (PyTorch's helper, which subclasses'
        reset_parameters call)."""
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        text += "" if self.max_norm is None else f", max_norm={self.max_norm}"
        text += "" if self.norm_type == 2 else f", norm_type={self.norm_type}"
        text += ", scale_grad_by_freq=True" if self.scale_grad_by_freq else ""
        return text + (", sparse=True" if self.sparse else "")


def reset_table(weight: Tensor, padding_idx: int | None) -> None:
    """An embedding table drawn anew in place from N(0, 1) (the library generator), its
    padding_idx row zeroed (Embedding's and EmbeddingBag's reset_parameters)."""
    table = generator().randn(weight.shape, weight.dtype)
    if padding_idx is not None:
        table[padding_idx] = 0
    init.layer_fill_(weight, table)


def embedding_table(layer: str, num_embeddings: int, embedding_dim: int,
                    padding_idx: int | None, weight: Any, dtype: Any) -> tuple[np.ndarray, Any]:
    """An embedding layer's table and its padding_idx (checked, made non-negative): `weight`
    if given (of shape (num_embeddings, embedding_dim)), else N(0, 1) with that row zeroed."""
    if padding_idx is not None:
        if not -num_embeddings <= padding_idx < num_embeddings:
            raise AssertionTensorError(f"{layer}: padding_idx={padding_idx} must be within "
                              f"num_embeddings={num_embeddings}")
        padding_idx %= num_embeddings
    if weight is None:
        dtype = get_default_dtype() if dtype is None else dtype
        table = generator().randn((num_embeddings, embedding_dim), dtype)
        if padding_idx is not None:
            table[padding_idx] = 0
        return table, padding_idx
    table = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
    if table.shape != (num_embeddings, embedding_dim):
        raise AssertionTensorError(f"{layer}: _weight has shape {table.shape}, expected "
                          f"({num_embeddings}, {embedding_dim})")
    return table, padding_idx
