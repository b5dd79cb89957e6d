"""`torch.func.rearrange`: einops' `rearrange(tensor, "b (h w) c -> b h w c", h=4)` as a
reshape, a permute and a reshape, so it is differentiable as they are. A list or tuple of
tensors is stacked first. Patterns: names, `(grouped names)`, one `...` per side, and `1` or
`()` for an axis of size 1 (on the left it must have size 1: PyTorch's indexes it silently).
Mistakes raise ValueError naming the pattern (PyTorch: ValueError, or functorch's
DimensionBindError for sizes that do not fit)."""

from __future__ import annotations

import math
import re
from typing import Any

from tinygrad_np.join import stack
from tinygrad_np.tensor import Tensor

_ELLIPSIS = "…"


def _parse(side: str, pattern: str) -> tuple[list[list[str]], int | None]:
    """One side of the pattern as its groups of names ("…" the ellipsis, [] a size-1 axis),
    and the index of the group that is a bare ellipsis (its dims stay separate), if any."""
    if side.count("(") != side.count(")") or re.search(r"\([^)]*\(", side):
        raise ValueError(f"Imbalanced parentheses in expression: {side!r}")
    if side.replace("...", "").count(".") or side.count("...") > 1:
        raise ValueError(f"Expression may contain dots only inside ellipsis (...); only one "
                         f"ellipsis for tensor: {pattern!r}")
    groups: list[list[str]] = []
    bare = None
    for grouped, single in re.findall(r"\(([^)]*)\)|(\S+)", side.replace("...", _ELLIPSIS)):
        if single == _ELLIPSIS:
            bare = len(groups)
        names = grouped.split() if not single else ([] if single == "1" else [single])
        for name in names:
            if name != _ELLIPSIS and not name.isidentifier():
                raise ValueError(f"Invalid axis name {name!r} in rearrange pattern {pattern!r}")
        groups.append(names)
    return groups, bare


def _bind(groups: list[list[str]], shape: tuple[int, ...], known: dict[str, int],
          pattern: str) -> dict[str, int]:
    """The size of every name on the left, from the tensor's shape and `axes_lengths`."""
    sizes = dict(known)
    for names, size in zip(groups, shape):
        unknown = [name for name in names if name not in sizes]
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of two dimensions at once "
                             f"({' '.join(unknown)}) in {pattern!r}")
        product = math.prod(sizes[name] for name in names if name in sizes)
        if unknown:
            if product == 0 or size % product:
                raise ValueError(f"rearrange: dimension of size {size} does not evenly fit "
                                 f"the group ({' '.join(names)}) of {pattern!r}")
            sizes[unknown[0]] = size // product
        elif product != size:
            raise ValueError(f"rearrange: dimension sizes do not match ({size} != {product}) "
                             f"for ({' '.join(names) or '1'}) in {pattern!r}")
    return sizes


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Tensor:
    """einops.rearrange: reorder, merge and split the dims as `pattern` ("left -> right")
    says; `axes_lengths` give the sizes a split cannot infer."""
    if isinstance(tensor, (list, tuple)):
        tensor = stack(list(tensor))
    if pattern.count("->") != 1:
        raise ValueError("Pattern must contain a single '->' separator")
    left_text, right_text = pattern.split("->")
    (left, left_bare), (right, right_bare) = _parse(left_text, pattern), _parse(right_text,
                                                                               pattern)
    left_names = [name for group in left for name in group]
    right_names = [name for group in right for name in group]
    for names in (left_names, right_names):
        repeated = {name for name in names if names.count(name) > 1}
        if repeated:
            raise ValueError(f"Indexing expression contains duplicate dimension "
                             f"'{sorted(repeated)[0]}'")
    one_side = set(left_names) ^ set(right_names)
    if one_side:
        raise ValueError(f"Identifiers only on one side of rearrange expression (should be "
                         f"on both): {one_side}")
    unused = set(axes_lengths) - set(left_names)
    if unused:
        raise ValueError(f"Identifiers not found in rearrange expression: {unused}")
    has_ellipsis = _ELLIPSIS in left_names
    if (len(left) - has_ellipsis > tensor.ndim) or (not has_ellipsis and len(left) != tensor.ndim):
        raise ValueError(f"Number of dimensions in pattern ({len(left)}) must be equal to the "
                         f"number of dimensions in the tensor ({tensor.ndim})")
    if has_ellipsis:  # the ellipsis: one name per dim it stands for
        if left_bare is None:
            raise ValueError(f"rearrange: the ellipsis must stand alone on the left of "
                             f"{pattern!r}")
        extra = [f"{_ELLIPSIS}{i}" for i in range(tensor.ndim - len(left) + 1)]
        left = left[:left_bare] + [[name] for name in extra] + left[left_bare + 1:]
        right = [[n for name in group for n in (extra if name == _ELLIPSIS else [name])]
                 for group in right]
        if right_bare is not None:  # `... ->  ...`: the dims stay separate
            right = right[:right_bare] + [[name] for name in extra] + right[right_bare + 1:]
    sizes = _bind(left, tuple(tensor.shape), axes_lengths, pattern)
    elementary = [name for group in left for name in group]
    split = tensor.reshape(tuple(sizes[name] for name in elementary))
    order = [elementary.index(name) for group in right for name in group]
    moved = split.permute(order) if order != sorted(order) else split
    return moved.reshape(tuple(math.prod(sizes[name] for name in group) for group in right))
