"""More layers PyTorch models reach for, each a composition of existing Tensor ops:
`nn.RMSNorm` (F.rms_norm), `nn.Bilinear` (F.bilinear: one matmul and a product summed over
the second input's features) and `nn.EmbeddingBag` (F.embedding_bag: embedding rows gathered in
input order and summed, averaged or maxed per bag as segments, in memory linear in the ids).
PyTorch's arguments, parameter names, shapes and initial distributions, so a PyTorch state
dict loads unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import AssertionTensorError, DtypeError, RankError, TensorError
from tinygrad_np.join import cat
from tinygrad_np.nn import functional as F, init
from tinygrad_np.nn.module import Module, check_sizes
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.nn.sparse import Embedding, embedding_table, reset_table
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.segment import SegmentReduce, reduceat
from tinygrad_np.tensor import Tensor, _node_named, int_tuple, refuse_integers, to_tensor as _tensor


def _shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(n) for n in int_tuple(normalized_shape, "argument 'normalized_shape'"))


# ----------------------------------------------------------------- RMSNorm
@xp.quiet
def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2 over the last len(normalized_shape) axes) + eps), times `weight`;
    `eps=None` is the machine epsilon of x's dtype, as PyTorch."""
    x = refuse_integers("rms_norm", _tensor(input))  # (PyTorch has no integer kernel)
    shape = _shape(normalized_shape)
    if not shape:
        raise TensorError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                          f"containing at least one element (rms_norm: got {shape} for "
                          f"input shape {x.shape})")
    if len(shape) > x.ndim or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise TensorError(f"rms_norm: normalized_shape={shape} expects an input of shape "
                          f"(*, {', '.join(map(str, shape))}), got {x.shape}")
    if weight is not None and tuple(weight.shape) != shape:
        raise TensorError(f"rms_norm: weight must have shape {shape}, got {tuple(weight.shape)}")
    x = x if x._data.flags.c_contiguous else x.contiguous()  # (PyTorch's result is row-major)
    wide = x.float() if x.dtype == np.float16 else x  # float16 computes in float32, as PyTorch
    eps = float(np.finfo(wide.dtype).eps) if eps is None else eps
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    y = wide * ((wide * wide).mean(axes, keepdim=True) + eps).rsqrt()
    if weight is not None:  # times the weight before rounding float16 (PyTorch's order)
        y = y * weight
    return y if y.dtype == x.dtype else y.to(x.dtype)  # the input's dtype, as PyTorch


class RMSNorm(Module):
    """Root-mean-square normalisation over the last axes (`normalized_shape`), times a
    `weight` of that shape (ones) when `elementwise_affine`; no bias, as PyTorch."""

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = get_default_dtype() if dtype is None else dtype
        self.weight = (Parameter(np.ones(self.normalized_shape, dtype=dtype))
                       if elementwise_affine else None)

    def reset_parameters(self) -> None:
        """weight ones (in place)."""
        init.layer_fill_(self.weight, 1)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


# ----------------------------------------------------------------- Bilinear
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for weight A of shape (out, in1, in2): inputs (*, in1) and
    (*, in2) give (*, out)."""
    x1, x2, weight = _tensor(input1), _tensor(input2), _tensor(weight)
    if weight.ndim != 3:
        raise (RankError if weight.ndim < 3 else TensorError)(
            f"bilinear: weight must have shape (out, in1, in2), got {weight.shape}")
    out, in1, in2 = weight.shape
    if x1.shape[-1:] != (in1,) or x2.shape[-1:] != (in2,) or x1.shape[:-1] != x2.shape[:-1]:
        raise TensorError(f"bilinear: inputs of shapes {x1.shape} and {x2.shape} do not fit a "
                          f"weight of shape {weight.shape} (expected (*, {in1}) and (*, {in2}))")
    if bias is not None and tuple(_tensor(bias).shape) != (out,):
        raise (RankError if _tensor(bias).ndim == 0 else TensorError)(
            f"bilinear(): bias size does not match weight size: bias of shape "
            f"{tuple(_tensor(bias).shape)} for weight {weight.shape} (expected ({out},))")
    products = x1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)   # (*, out * in2)
    y = (products.reshape(*x1.shape[:-1], out, in2) * x2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


class Bilinear(Module):
    """y = x1^T A x2 + b with `weight` (out, in1, in2) and `bias` (out), both
    ~ U(-1/sqrt(in1), 1/sqrt(in1)) as PyTorch."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()
        check_sizes("Bilinear", in1_features=in1_features, in2_features=in2_features,
                    out_features=out_features)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dtype = get_default_dtype() if dtype is None else dtype
        shape = (out_features, in1_features, in2_features)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias anew, in place, from U(-1/sqrt(in1), 1/sqrt(in1))."""
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0.0
        init.layer_uniform_(self.weight, bound)
        init.layer_uniform_(self.bias, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


# ----------------------------------------------------------------- EmbeddingBag
def _bags(ids: np.ndarray, offsets: Any, include_last_offset: bool
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The flat ids and each bag's start and end in them."""
    if ids.ndim == 2:
        if offsets is not None:
            raise TensorError("embedding_bag: if input is 2D, then offsets has to be None, as "
                              "input is treated as a mini-batch of fixed length sequences")
        bags, length = ids.shape
        if length == 0:  # (PyTorch's RuntimeError)
            raise TensorError(f"step must be nonzero (embedding_bag: a 2-D input of shape "
                              f"{ids.shape} has bags of no ids; for empty bags pass a 1-D "
                              f"input and offsets)")
        starts = np.arange(bags) * length
        return ids.reshape(-1), starts, starts + length
    if ids.ndim != 1:
        raise TensorError(f"embedding_bag: input has to be 1D or 2D, got shape {ids.shape}")
    if offsets is None:
        raise TensorError("embedding_bag: offsets has to be a 1D Tensor but got None")
    offs = np.asarray(offsets._data if isinstance(offsets, Tensor) else offsets)
    if offs.ndim != 1 or offs.dtype.kind not in "iu":
        raise TensorError(f"embedding_bag: offsets has to be a 1D integer tensor, got "
                          f"{offs.dtype.name} of shape {offs.shape}")
    offs = offs.astype(np.int64)
    if offs.size and offs[0] != 0:
        raise TensorError(f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence "
                          f"in the mini-batch has to start from position 0. However, got "
                          f"{offs[0]}")
    if offs.size and (offs[-1] > ids.size or np.any(np.diff(offs) < 0)):
        raise TensorError(f"embedding_bag: offsets must be non-decreasing and at most the "
                          f"input's length {ids.size}, got {offs.tolist()}")
    if include_last_offset:  # PyTorch's: the last offset is dropped, the last bag runs on
        return ids, offs[:-1], np.append(offs[1:-1], ids.size)[:max(offs.size - 1, 0)]
    return ids, offs, np.append(offs[1:], ids.size)


@_node_named("EmbeddingBagBackward0")
def embedding_bag(input: Any, weight: Tensor, offsets: Any = None,  # noqa: A002
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Any = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """The sum, mean or max of the embedding rows of each bag: a 2-D input (B, N) is B bags
    of N ids; a 1-D input is cut into bags at `offsets`. Empty bags give zeros; ids equal to
    `padding_idx` are left out (and not counted by the mean). `per_sample_weights` (mode
    'sum' only) scales each id's row. `max_norm` renormalises the looked-up rows of `weight`
    in place and `scale_grad_by_freq` divides each row's gradient by its id's count, as
    F.embedding; `sparse=True` gives a dense gradient (the same values)."""
    if mode not in ("sum", "mean", "max"):
        raise TensorError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' "
                                  f"(got mode={mode!r}). Please open a feature request on "
                                  "GitHub.")
    if scale_grad_by_freq and mode == "max":
        raise TensorError("max mode does not support scaling the gradient by the frequency "
                          "(embedding_bag: mode='max' with scale_grad_by_freq=True)")
    weight = _tensor(weight)
    ids = np.asarray(input._data if isinstance(input, Tensor) else input)
    if ids.dtype.kind not in "iu":
        raise DtypeError(f"embedding_bag: indices must be integers, got {ids.dtype.name}")
    flat, starts, ends = _bags(ids, offsets, include_last_offset)
    outside = np.flatnonzero((flat < 0) | (flat >= weight.shape[0])) if weight.ndim else ()
    if len(outside):  # PyTorch's RuntimeError (F.embedding's is an IndexError)
        raise TensorError(f"embedding_bag: Index {outside[0]} of input takes value "
                          f"{flat[outside[0]]} which is not in the valid range "
                          f"[0, {weight.shape[0]})")
    if per_sample_weights is not None:
        per_sample_weights = _tensor(per_sample_weights)
        if tuple(per_sample_weights.shape) != ids.shape:
            raise TensorError(f"embedding_bag: per_sample_weights must have the input's shape "
                              f"{ids.shape}, got {tuple(per_sample_weights.shape)}")
        per_sample_weights = per_sample_weights.reshape(-1)
    looked_up = F.embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    members, bag_of = _members(flat, starts, ends, padding_idx, weight.shape[0])
    if members.size != flat.size:  # padding ids (or ids outside every bag) left out
        looked_up = looked_up._index_select(0, members)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights._index_select(0, members)
    counts = np.bincount(bag_of, minlength=len(starts))
    present = np.flatnonzero(counts)  # the non-empty bags, each a segment of the members
    segments = np.cumsum(counts[present]) - counts[present]
    if mode == "max":
        reduced = _first_max(looked_up, segments)
    else:  # float16 sums in float32, rounded once, as PyTorch
        rows = looked_up.float() if looked_up.dtype == np.float16 else looked_up
        if per_sample_weights is not None:
            rows = rows * per_sample_weights.to(rows.dtype).unsqueeze(1)
        reduced = SegmentReduce.apply(rows, segments, "sum") if len(present) else rows[:0]
        if mode == "mean":
            reduced = reduced / counts[present].astype(reduced.dtype).reshape(-1, 1)
        reduced = reduced.to(looked_up.dtype)
    if len(present) == len(starts):
        return pytorch_named(reduced, "EmbeddingBagBackward0")
    # empty bags are zeros: row len(present) of the reduced rows and a zero row
    placed = np.full(len(starts), len(present))
    placed[present] = np.arange(len(present))
    zero = Tensor(np.zeros((1, weight.shape[1]), dtype=reduced.dtype))
    return pytorch_named(cat([reduced, zero])._index_select(0, placed), "EmbeddingBagBackward0")


def _members(flat: np.ndarray, starts: np.ndarray, ends: np.ndarray, padding_idx: int | None,
             rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions in `flat` that count (in some bag, not padding), in order, and each
    one's bag (the bags are consecutive runs of flat)."""
    lengths = ends - starts
    positions = np.arange(starts[0], ends[-1]) if len(starts) else np.zeros(0, np.int64)
    bag_of = np.repeat(np.arange(len(starts)), lengths)
    if padding_idx is not None:
        keep = flat[positions] != padding_idx % rows
        positions, bag_of = positions[keep], bag_of[keep]
    return positions, bag_of


def _first_max(rows: Tensor, segments: np.ndarray) -> Tensor:
    """Each segment's max per column, taken (with its gradient) from the first member that
    reaches it, as PyTorch's kernel: a later value wins only when greater (so a NaN counts
    only as the first member)."""
    values = rows._data
    if not len(segments):
        return rows[:0]
    if values.dtype.kind == "f" and np.isnan(values).any():
        first = np.zeros(len(values), dtype=bool)
        first[segments] = True
        values = np.where(np.isnan(values) & ~first[:, None], -np.inf, values)
    best = reduceat(np.maximum, values, segments)
    segment = np.repeat(np.arange(len(segments)), np.diff(np.append(segments, len(values))))
    reached = (values == best[segment]) | np.isnan(values)  # (NaNs left: first members)
    order = np.where(reached, np.arange(len(values))[:, None], len(values))
    winner = reduceat(np.minimum, order, segments)  # (segments, dim) member rows
    flat = winner * values.shape[1] + np.arange(values.shape[1])
    return rows.reshape(-1)._index_select(0, flat.reshape(-1)).reshape(winner.shape)


class EmbeddingBag(Module):
    """Sums, means or maxes of bags of embedding rows (`F.embedding_bag`); `weight`
    (num_embeddings, embedding_dim) ~ N(0, 1) with the `padding_idx` row zeroed, as PyTorch.
    forward(input, offsets=None, per_sample_weights=None)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Any = None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device: Any = None, dtype: Any = None) -> None:
        as_device(device, type(self).__name__)  # only the CPU: anything else raises
        super().__init__()  # (a wrong mode is refused by forward, as PyTorch)
        table, padding_idx = embedding_table("EmbeddingBag", num_embeddings, embedding_dim,
                                             padding_idx, _weight, dtype)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.mode, self.include_last_offset = mode, include_last_offset
        self.padding_idx = padding_idx
        self.weight = Parameter(table)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag holding `embeddings` (2-D); frozen unless `freeze=False`."""
        table = embeddings._data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if table.ndim != 2:
            raise AssertionTensorError(f"EmbeddingBag.from_pretrained: embeddings must be 2-D, "
                                       f"got shape {table.shape}")
        bag = cls(table.shape[0], table.shape[1], max_norm, norm_type, scale_grad_by_freq, mode,
                  sparse, table, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag

    def reset_parameters(self) -> None:
        """weight drawn anew from N(0, 1), in place, the padding_idx row zeroed."""
        reset_table(self.weight, self.padding_idx)

    def _fill_padding_idx_with_zero(self) -> None:
        """The padding_idx row of weight zeroed in place (PyTorch's helper)."""
        Embedding._fill_padding_idx_with_zero(self)  # type: ignore[arg-type]

    def forward(self, input: Any, offsets: Any = None,  # noqa: A002
                per_sample_weights: Any = None) -> Tensor:
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights=per_sample_weights,
                             include_last_offset=self.include_last_offset,
                             padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        text += "" if self.max_norm is None else f", max_norm={self.max_norm}"
        text += "" if self.norm_type == 2 else f", norm_type={self.norm_type}"
        text += ", scale_grad_by_freq=True" if self.scale_grad_by_freq else ""
        text += f", mode={self.mode!r}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
