"""`torch.nn.utils.rnn`: `pad_sequence` batches sequences of different lengths. Packed
sequences (`pack_padded_sequence` and friends) are not supported: their functions raise a
NotImplementedError saying what to do instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinygrad_np.tensor import Tensor

_NO_PACKING = ("packed sequences are not supported by tinygrad_np; pad the batch with "
               "pad_sequence, run the RNN on the padded tensor and pick each sequence's last "
               "valid output by its length (e.g. out[range(N), lengths - 1] with batch_first)")


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (L_i, *) into (max L, N, *), or (N, max L, *) with batch_first,
    filling the missing steps with `padding_value` (after each sequence, or before it with
    padding_side="left"). Differentiable in the sequences."""
    import tinygrad_np as tg  # the package imports this module

    sequences = list(sequences)
    if not sequences or not all(isinstance(s, Tensor) for s in sequences):
        raise TypeError("pad_sequence: expected a non-empty list of Tensors")
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    rest = sequences[0].shape[1:]
    for position, sequence in enumerate(sequences):
        if sequence.ndim == 0 or sequence.shape[1:] != rest:
            raise ValueError(f"pad_sequence: every sequence must have shape (L, *{rest}); "
                             f"sequence {position} has shape {tuple(sequence.shape)}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for sequence in sequences:
        fill = tg.full((longest - sequence.shape[0], *rest), padding_value, dtype=sequence.dtype)
        parts = [sequence, fill] if padding_side == "right" else [fill, sequence]
        padded.append(tg.cat(parts, dim=0))
    return tg.stack(padded, dim=0 if batch_first else 1)


def pack_padded_sequence(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(f"pack_padded_sequence: {_NO_PACKING}")


def pack_sequence(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(f"pack_sequence: {_NO_PACKING}")


def pad_packed_sequence(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(f"pad_packed_sequence: {_NO_PACKING}")


class PackedSequence:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"PackedSequence: {_NO_PACKING}")
