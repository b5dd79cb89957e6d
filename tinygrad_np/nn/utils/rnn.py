"""`torch.nn.utils.rnn`: `pad_sequence` batches sequences of different lengths, and packed
sequences (`PackedSequence`, `pack_padded_sequence`, `pad_packed_sequence`, `pack_sequence`,
`unpack_sequence`) as PyTorch's, which RNN, LSTM and GRU take and return.

A PackedSequence holds the time steps of a batch sorted by decreasing length, step after step:
`data` (sum of lengths, *) holds the batch_sizes[0] first steps, then the batch_sizes[1]
second steps, ...; `sorted_indices` puts the batch in that order and `unsorted_indices` back.
Everything is built from differentiable Tensor ops (indexing, cat, stack).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from tinygrad_np.errors import TensorError
from tinygrad_np.tensor import Tensor


class PackedSequence(NamedTuple):
    """A batch of sequences of different lengths, packed as PyTorch's (see the module doc).
    Build one with `pack_padded_sequence` or `pack_sequence`, not by hand."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same packing, `data` moved or cast with Tensor.to (the indices stay)."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def cpu(self) -> PackedSequence:
        return self

    # PyTorch's dtype conversions: `data` cast, the sizes and indices kept
    def double(self) -> PackedSequence:
        return self.to(np.float64)

    def float(self) -> PackedSequence:
        return self.to(np.float32)

    def half(self) -> PackedSequence:
        return self.to(np.float16)

    def long(self) -> PackedSequence:
        return self.to(np.int64)

    def int(self) -> PackedSequence:
        return self.to(np.int32)

    def short(self) -> PackedSequence:
        return self.to(np.int16)

    def char(self) -> PackedSequence:
        return self.to(np.int8)

    def byte(self) -> PackedSequence:
        return self.to(np.uint8)

    def is_pinned(self) -> bool:
        """False: there is no pinned (page-locked) memory here."""
        return False

    def pin_memory(self) -> PackedSequence:
        """Self: pinning is for copies to a GPU, which does not exist here."""
        return self

    @property
    def is_cuda(self) -> bool:
        return False

    def lengths(self) -> np.ndarray:
        """The length of each sequence in sorted (decreasing) order."""
        sizes = np.asarray(self.batch_sizes._data)
        return (sizes[None, :] > np.arange(int(sizes[0]))[:, None]).sum(1)


def _int_array(op: str, name: str, value: Any, floats: bool = False) -> np.ndarray:
    """A 1-D int64 array; `floats` also takes float values (truncated, as PyTorch's cast)."""
    array = np.asarray(value._data if isinstance(value, Tensor) else value)
    if array.ndim != 1 or (array.size and array.dtype.kind not in ("iuf" if floats else "iu")):
        raise TensorError(f"{op}: {name} must be a 1-D list or tensor of ints, got "
                          f"{array.dtype} values of shape {array.shape}")
    return array.astype(np.int64)


def _index(array: np.ndarray) -> Tensor:
    return Tensor(np.asarray(array, dtype=np.int64))


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (max L, N, *), or (N, max L, *) with batch_first,
    filling the missing steps with `padding_value` (after each sequence, or before it with
    padding_side="left"). Differentiable in the sequences."""
    import tinygrad_np as tg  # the package imports this module

    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if not all(isinstance(s, Tensor) for s in sequences):
        raise TypeError("pad_sequence: expected a list of Tensors")
    if padding_side not in ("left", "right"):
        raise TensorError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                          f"{padding_side!r}")
    rest = sequences[0].shape[1:]
    for position, sequence in enumerate(sequences):
        if sequence.ndim == 0 or sequence.shape[1:] != rest:
            raise TensorError(f"pad_sequence: every sequence must have shape (L, *{rest}); "
                              f"sequence {position} has shape {tuple(sequence.shape)}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for sequence in sequences:
        fill = tg.full((longest - sequence.shape[0], *rest), padding_value, dtype=sequence.dtype)
        parts = [sequence, fill] if padding_side == "right" else [fill, sequence]
        padded.append(tg.cat(parts, dim=0))
    return tg.stack(padded, dim=0 if batch_first else 1)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) ((B, T, *) with batch_first) whose sequence b holds
    lengths[b] valid steps. With enforce_sorted=True the lengths must be decreasing;
    otherwise the batch is sorted here and `unsorted_indices` restores its order."""
    import tinygrad_np as tg

    op = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected the padded batch as a Tensor, got "
                        f"{type(input).__name__}")
    lengths = _int_array(op, "lengths", lengths, floats=True)
    batch_axis = 0 if batch_first else 1
    if input.ndim < 2 or input.shape[batch_axis] != len(lengths):
        raise TensorError(f"{op}: got {len(lengths)} lengths for an input of shape "
                          f"{tuple(input.shape)} (batch axis {batch_axis}, batch_first="
                          f"{batch_first})")
    steps = input.shape[1 - batch_axis]
    if len(lengths) == 0 or lengths.min() <= 0 or lengths.max() > steps:
        raise RuntimeError(f"{op}: every length must be in 1..{steps} (the padded length), "
                           f"got {lengths.tolist()}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"{op}: `lengths` array must be sorted in decreasing order when "
                               f"`enforce_sorted` is True (got {lengths.tolist()}); pass "
                               "enforce_sorted=False to pack an unsorted batch")
        order = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
    x = input.transpose(0, 1) if batch_first else input
    if order is not None:
        x = x[:, order]
    batch_sizes = (lengths[None, :] > np.arange(int(lengths[0]))[:, None]).sum(1)
    data = tg.cat([x[t, :int(size)] for t, size in enumerate(batch_sizes)], 0)
    if order is None:
        return PackedSequence(data, _index(batch_sizes))
    return PackedSequence(data, _index(batch_sizes), _index(order),
                          _index(np.argsort(order, kind="stable")))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None
                        ) -> tuple[Tensor, Tensor]:
    """(padded, lengths): the batch as (T, B, *) ((B, T, *) with batch_first) in its
    original order, steps past each length filled with `padding_value`, and the lengths
    (int64). `total_length` pads T further (it must be at least the longest length)."""
    import tinygrad_np as tg

    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    sizes = np.asarray(sequence.batch_sizes._data)
    batch, longest, rest = int(sizes[0]), len(sizes), sequence.data.shape[1:]
    if total_length is not None and (isinstance(total_length, bool) or not isinstance(
            total_length, (int, np.integer))):
        raise TypeError(f"{op}: total_length must be int, not {type(total_length).__name__}")
    if total_length is not None and total_length < longest:
        raise TensorError(f"{op}: total_length={total_length} is less than the longest "
                          f"sequence ({longest})")
    steps = longest if total_length is None else total_length
    dtype = sequence.data.dtype
    rows, start = [], 0
    for size in sizes.tolist():
        part = sequence.data[start:start + size]
        start += size
        if size < batch:
            part = tg.cat([part, tg.full((batch - size, *rest), padding_value, dtype=dtype)])
        rows.append(part)
    rows += [tg.full((batch, *rest), padding_value, dtype=dtype)] * (steps - longest)
    padded = tg.stack(rows, 0)
    lengths = sequence.lengths()
    if sequence.unsorted_indices is not None:
        back = np.asarray(sequence.unsorted_indices._data)
        padded, lengths = padded[:, back], lengths[back]
    return (padded.transpose(0, 1) if batch_first else padded), _index(lengths)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (decreasing lengths unless enforce_sorted=False)."""
    sequences = list(sequences)
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of (L_i, *) tensors that `pack_sequence` packed, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return [padded[b, :int(n)] for b, n in enumerate(lengths._data)]


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False
                   ) -> list[Tensor]:
    """The list of (L_i, *) tensors that `pad_sequence` padded (the inverse of it), given
    each one's length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    counts = _int_array("unpad_sequence", "lengths", lengths)
    if len(counts) != len(padded_sequences):  # (PyTorch's zip(strict=True))
        raise ValueError(f"unpad_sequence: zip() argument 2 is "
                         f"{'shorter' if len(counts) < len(padded_sequences) else 'longer'} "
                         f"than argument 1 ({len(counts)} lengths for a batch of "
                         f"{len(padded_sequences)})")
    # (a length past the padded one keeps it all; a negative one gives an empty sequence)
    return [sequence[:max(int(count), 0)] for sequence, count in zip(padded_sequences, counts)]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    order = _int_array("invert_permutation", "permutation", permutation)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order), dtype=order.dtype)
    return _index(inverse)
