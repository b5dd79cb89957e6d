"""PyTorch's `torch._foreach_*` functions (list-at-a-time ops, used by optimizers and EMA
code): here each is the per-tensor op in a loop. The other operand may be a number, a
tensor or a list with one entry per tensor."""

from __future__ import annotations

from typing import Any

from tinygrad_np.tensor import Tensor


def _pairs(tensors: list, other: Any) -> list:
    others = other if isinstance(other, (list, tuple)) else [other] * len(tensors)
    if len(others) != len(tensors):
        raise RuntimeError(f"_foreach: {len(tensors)} tensors but {len(others)} other values")
    return list(zip(tensors, others))


def _foreach_add(tensors: list, other: Any, *, alpha: float = 1) -> list[Tensor]:
    return [t.add(o, alpha=alpha) for t, o in _pairs(tensors, other)]


def _foreach_add_(tensors: list, other: Any, *, alpha: float = 1) -> None:
    for t, o in _pairs(tensors, other):
        t.add_(o, alpha=alpha)


def _foreach_sub(tensors: list, other: Any, *, alpha: float = 1) -> list[Tensor]:
    return [t.sub(o, alpha=alpha) for t, o in _pairs(tensors, other)]


def _foreach_sub_(tensors: list, other: Any, *, alpha: float = 1) -> None:
    for t, o in _pairs(tensors, other):
        t.sub_(o, alpha=alpha)


def _foreach_mul(tensors: list, other: Any) -> list[Tensor]:
    return [t * o for t, o in _pairs(tensors, other)]


def _foreach_mul_(tensors: list, other: Any) -> None:
    for t, o in _pairs(tensors, other):
        t.mul_(o)


def _foreach_div(tensors: list, other: Any) -> list[Tensor]:
    return [t / o for t, o in _pairs(tensors, other)]


def _foreach_div_(tensors: list, other: Any) -> None:
    for t, o in _pairs(tensors, other):
        t.div_(o)


def _foreach_lerp_(tensors: list, ends: list, weight: Any) -> None:
    for (t, end), (_, w) in zip(_pairs(tensors, ends), _pairs(tensors, weight)):
        t.lerp_(end, w)


def _foreach_addcmul_(tensors: list, first: list, second: list, value: float = 1) -> None:
    for t, a, b in zip(tensors, first, second):
        t.addcmul_(a, b, value=value)


def _foreach_addcdiv_(tensors: list, first: list, second: list, value: float = 1) -> None:
    for t, a, b in zip(tensors, first, second):
        t.addcdiv_(a, b, value=value)


def _foreach_copy_(tensors: list, sources: list) -> None:
    for t, source in _pairs(tensors, sources):
        t.copy_(source)


def _foreach_zero_(tensors: list) -> None:
    for t in tensors:
        t.zero_()


def _foreach_sqrt(tensors: list) -> list[Tensor]:
    return [t.sqrt() for t in tensors]


def _foreach_neg(tensors: list) -> list[Tensor]:
    return [-t for t in tensors]


def _foreach_norm(tensors: list, ord: float = 2) -> list[Tensor]:  # noqa: A002
    return [t.norm(ord) for t in tensors]


__all__ = [name for name in dict(globals()) if name.startswith("_foreach_")]
