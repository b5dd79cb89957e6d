"""`F.grouped_mm`: the grouped matrix product of Mixture-of-Experts layers, composed from
slices, matmuls and cat (so differentiable in both operands). A 2-D operand is cut into
groups along its jagged dim by `offs` (each group's end); a 3-D one lists its groups.
Rows or columns past `offs[-1]` come out as zeros (PyTorch leaves them undefined)."""

from __future__ import annotations

from typing import Any

from tinygrad_np.join import cat, stack
from tinygrad_np.tensor import Tensor, to_tensor


def _groups(offs: Any, count: int | None, length: int) -> list[tuple[int, int]]:
    ends = [int(end) for end in to_tensor(offs).tolist()]
    if count is not None and len(ends) != count:
        raise RuntimeError(f"grouped_mm: offs has {len(ends)} groups, the 3-D operand {count}")
    if any(b < a for a, b in zip([0, *ends], ends)) or (ends and ends[-1] > length):
        raise RuntimeError(f"grouped_mm: offs must increase and stay within the jagged "
                           f"dim's {length} entries, got {ends}")
    return list(zip([0, *ends[:-1]], ends))


def grouped_mm(mat_a: Tensor, mat_b: Tensor, *, offs: Tensor | None = None,
               bias: Tensor | None = None, out_dtype: Any = None) -> Tensor:
    """One matrix product per group: 3-D x 3-D is a batched matmul (no offs); 2-D a with 3-D
    b cuts a's rows, 3-D a with 2-D b cuts b's columns (results side by side), 2-D x 2-D
    cuts the shared dim (one (M, N) result per group)."""
    if bias is not None:
        raise RuntimeError("Bias not supported yet")
    if mat_a.ndim not in (2, 3) or mat_b.ndim not in (2, 3):
        raise RuntimeError(f"grouped_mm: mat_a and mat_b must be 2-D or 3-D, got shapes "
                           f"{tuple(mat_a.shape)} and {tuple(mat_b.shape)}")
    if (mat_a.ndim == 3 and mat_b.ndim == 3) != (offs is None):
        raise RuntimeError("grouped_mm: offs must be given exactly when an operand is 2-D "
                           f"(shapes {tuple(mat_a.shape)} and {tuple(mat_b.shape)})")
    if offs is None:
        result = mat_a @ mat_b
    elif mat_a.ndim == 2 and mat_b.ndim == 3:
        spans = _groups(offs, mat_b.shape[0], mat_a.shape[0])
        rest = mat_a.shape[0] - (spans[-1][1] if spans else 0)
        pieces = [mat_a[start:end] @ mat_b[g] for g, (start, end) in enumerate(spans)]
        result = cat([*pieces, mat_a.new_zeros((rest, mat_b.shape[2]))])
    elif mat_a.ndim == 3:
        spans = _groups(offs, mat_a.shape[0], mat_b.shape[1])
        rest = mat_b.shape[1] - (spans[-1][1] if spans else 0)
        pieces = [mat_a[g] @ mat_b[:, start:end] for g, (start, end) in enumerate(spans)]
        result = cat([*pieces, mat_a.new_zeros((mat_a.shape[1], rest))], 1)
    else:
        spans = _groups(offs, None, mat_a.shape[1])
        result = stack([mat_a[:, start:end] @ mat_b[start:end] for start, end in spans])
    return result if out_dtype is None else result.to(out_dtype)
