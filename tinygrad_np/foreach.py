"""PyTorch's `torch._foreach_*` functions (list-at-a-time ops, used by optimizers and EMA
code): here each is the per-tensor op in a loop. The other operand may be a number, a 0-d
tensor, or a list with one entry (a number or a tensor) per tensor. The out-of-place forms
return a tuple, as PyTorch's; the in-place forms (trailing underscore) return the sequence
they were given, as PyTorch 2's (`grads = torch._foreach_mul_(grads, scale)`).

    torch._foreach_lerp_(ema_params, params, 1 - decay)
    bias_correction = torch._foreach_pow(beta1, state_steps)   # a number to each power
    torch._foreach_addcdiv_(params, exp_avgs, denoms, step_sizes)   # one value per tensor
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from tinygrad_np.tensor import Tensor

TensorList = Sequence[Tensor]

_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1",
          "floor", "frac", "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal",
          "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc")
# name -> the Tensor method applied per tensor (an in-place form adds "_")
_BINARY = {"mul": "mul", "div": "div", "pow": "pow", "clamp_min": "clamp_min",
           "clamp_max": "clamp_max"}


def _checked(op: str, tensors: TensorList, *lists: Sequence) -> list[Tensor]:
    """`tensors` as a list, after PyTorch's checks: not empty, every list as long."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op}: Tensor list must have at least one tensor.")
    for other in lists:
        if len(other) != len(tensors):
            raise RuntimeError(f"{op}: Tensor lists must have the same number of tensors, got "
                               f"{len(tensors)} and {len(other)}")
    return tensors


def _pairs(op: str, tensors: TensorList, other: Any) -> list[tuple[Tensor, Any]]:
    """Each tensor with its other operand: a list gives one per tensor; a number or a 0-d
    tensor is every tensor's."""
    if isinstance(other, (list, tuple)):
        return list(zip(_checked(op, tensors, other), other))
    if isinstance(other, Tensor) and other.ndim:
        raise RuntimeError(f"{op}: a Tensor operand must be a 0-d scalar tensor (one value for "
                           f"every tensor), got shape {tuple(other.shape)}; pass a list for one "
                           "value per tensor")
    tensors = _checked(op, tensors)
    return [(t, other) for t in tensors]


def _scalars(op: str, tensors: TensorList, value: Any) -> list[Any]:
    """addcmul/addcdiv's `value`: a number, a list of numbers, or a 1-D tensor of them."""
    if isinstance(value, Tensor):
        value = value.tolist() if value.ndim else value.item()
    return [v for _, v in _pairs(op, tensors, value)]


def _unary(name: str) -> tuple[Callable[..., tuple[Tensor, ...]], Callable[..., None]]:
    def out_of_place(tensors: TensorList) -> tuple[Tensor, ...]:
        return tuple(getattr(t, name)() for t in _checked(f"_foreach_{name}", tensors))

    def in_place(tensors: TensorList) -> None:
        for t in _checked(f"_foreach_{name}_", tensors):
            getattr(t, name + "_")()

    out_of_place.__name__, in_place.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    out_of_place.__doc__ = f"`t.{name}()` for each tensor, as a tuple."
    in_place.__doc__ = f"`t.{name}_()` for each tensor."
    return out_of_place, in_place


def _binary(name: str, method: str) -> tuple[Callable[..., tuple[Tensor, ...]],
                                             Callable[..., None]]:
    def out_of_place(tensors: TensorList | float, other: Any) -> tuple[Tensor, ...]:
        if name == "pow" and not isinstance(tensors, (list, tuple)):  # number ** each tensor
            return tuple(tensors ** e for e in _checked("_foreach_pow", other))
        return tuple(getattr(t, method)(o) for t, o in _pairs(f"_foreach_{name}", tensors, other))

    def in_place(tensors: TensorList, other: Any) -> None:
        for t, o in _pairs(f"_foreach_{name}_", tensors, other):
            getattr(t, method + "_")(o)

    out_of_place.__name__, in_place.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    out_of_place.__doc__ = f"`t.{method}(other)` for each tensor, as a tuple."
    in_place.__doc__ = f"`t.{method}_(other)` for each tensor."
    return out_of_place, in_place


for _name in _UNARY:
    globals()[f"_foreach_{_name}"], globals()[f"_foreach_{_name}_"] = _unary(_name)
for _name, _method in _BINARY.items():
    globals()[f"_foreach_{_name}"], globals()[f"_foreach_{_name}_"] = _binary(_name, _method)


def _foreach_add(tensors: TensorList, other: Any, *, alpha: float = 1) -> tuple[Tensor, ...]:
    return tuple(t.add(o, alpha=alpha) for t, o in _pairs("_foreach_add", tensors, other))


def _foreach_add_(tensors: TensorList, other: Any, *, alpha: float = 1) -> None:
    for t, o in _pairs("_foreach_add_", tensors, other):
        t.add_(o, alpha=alpha)


def _foreach_sub(tensors: TensorList, other: Any, *, alpha: float = 1) -> tuple[Tensor, ...]:
    return tuple(t.sub(o, alpha=alpha) for t, o in _pairs("_foreach_sub", tensors, other))


def _foreach_sub_(tensors: TensorList, other: Any, *, alpha: float = 1) -> None:
    for t, o in _pairs("_foreach_sub_", tensors, other):
        t.sub_(o, alpha=alpha)


def _extreme(t: Tensor, other: Any, larger: bool) -> Tensor:
    """maximum/minimum with a tensor; with a number, clamp (PyTorch's maximum takes none)."""
    if isinstance(other, Tensor):
        return t.maximum(other) if larger else t.minimum(other)
    return t.clamp_min(other) if larger else t.clamp_max(other)


def _foreach_maximum(tensors: TensorList, other: Any) -> tuple[Tensor, ...]:
    return tuple(_extreme(t, o, True) for t, o in _pairs("_foreach_maximum", tensors, other))


def _foreach_maximum_(tensors: TensorList, other: Any) -> None:
    for t, o in _pairs("_foreach_maximum_", tensors, other):
        t.copy_(_extreme(t, o, True))


def _foreach_minimum(tensors: TensorList, other: Any) -> tuple[Tensor, ...]:
    return tuple(_extreme(t, o, False) for t, o in _pairs("_foreach_minimum", tensors, other))


def _foreach_minimum_(tensors: TensorList, other: Any) -> None:
    for t, o in _pairs("_foreach_minimum_", tensors, other):
        t.copy_(_extreme(t, o, False))


def _foreach_lerp(tensors: TensorList, ends: TensorList, weight: Any) -> tuple[Tensor, ...]:
    _checked("_foreach_lerp", tensors, ends)
    return tuple(t.lerp(end, w) for (t, w), end in zip(_pairs("_foreach_lerp", tensors, weight),
                                                        ends))


def _foreach_lerp_(tensors: TensorList, ends: TensorList, weight: Any) -> None:
    _checked("_foreach_lerp_", tensors, ends)
    for (t, w), end in zip(_pairs("_foreach_lerp_", tensors, weight), ends):
        t.lerp_(end, w)


def _pointwise(name: str) -> tuple[Callable[..., tuple[Tensor, ...]], Callable[..., None]]:
    """addcmul/addcdiv: `t.name(a, b, value=v)` for each tensor, v a number or one per tensor."""
    def triples(op: str, tensors: TensorList, first: TensorList, second: TensorList,
                value: Any) -> Any:
        _checked(op, tensors, first, second)
        return zip(tensors, first, second, _scalars(op, tensors, value))

    def out_of_place(tensors: TensorList, first: TensorList, second: TensorList,
                     value: Any = 1) -> tuple[Tensor, ...]:
        return tuple(getattr(t, name)(a, b, value=v)
                     for t, a, b, v in triples(f"_foreach_{name}", tensors, first, second, value))

    def in_place(tensors: TensorList, first: TensorList, second: TensorList,
                 value: Any = 1) -> None:
        for t, a, b, v in triples(f"_foreach_{name}_", tensors, first, second, value):
            getattr(t, name + "_")(a, b, value=v)

    out_of_place.__name__, in_place.__name__ = f"_foreach_{name}", f"_foreach_{name}_"
    out_of_place.__doc__ = f"`t.{name}(a, b, value=v)` for each tensor, as a tuple."
    in_place.__doc__ = f"`t.{name}_(a, b, value=v)` for each tensor."
    return out_of_place, in_place


_foreach_addcmul, _foreach_addcmul_ = _pointwise("addcmul")
_foreach_addcdiv, _foreach_addcdiv_ = _pointwise("addcdiv")


def _foreach_copy_(tensors: TensorList, sources: TensorList, non_blocking: bool = False) -> None:
    for t, source in zip(_checked("_foreach_copy_", tensors, sources), sources):
        t.copy_(source)


def _foreach_zero_(tensors: TensorList) -> None:
    for t in _checked("_foreach_zero_", tensors):
        t.zero_()


def _foreach_clone(tensors: TensorList) -> tuple[Tensor, ...]:
    return tuple(t.clone() for t in _checked("_foreach_clone", tensors))


def _foreach_max(tensors: TensorList) -> tuple[Tensor, ...]:
    """Each tensor's largest value (a 0-d tensor)."""
    return tuple(t.max() for t in _checked("_foreach_max", tensors))


def _foreach_norm(tensors: TensorList, ord: float = 2,  # noqa: A002
                  dtype: Any = None) -> tuple[Tensor, ...]:
    """Each tensor's vector norm (a 0-d tensor), computed in `dtype` when given."""
    tensors = _checked("_foreach_norm", tensors)
    return tuple((t if dtype is None else t.to(dtype)).norm(ord) for t in tensors)


def _foreach_powsum(tensors: TensorList, ord: float = 2) -> tuple[Tensor, ...]:  # noqa: A002
    """Each tensor's sum of |x| ** ord (a 0-d tensor): a p-norm before its root."""
    return tuple((t.abs() ** ord).sum() for t in _checked("_foreach_powsum", tensors))


def _foreach_mm(tensors: TensorList, others: TensorList) -> tuple[Tensor, ...]:
    return tuple(a.mm(b) for a, b in zip(_checked("_foreach_mm", tensors, others), others))


def _returning_its_list(in_place: Callable[..., None]) -> Callable[..., Any]:
    @functools.wraps(in_place)
    def wrapper(tensors: TensorList, *args: Any, **kwargs: Any) -> TensorList:
        in_place(tensors, *args, **kwargs)
        return tensors

    return wrapper


for _name in [name for name in globals() if name.startswith("_foreach_") and name[-1] == "_"]:
    globals()[_name] = _returning_its_list(globals()[_name])
__all__ = sorted(name for name in dict(globals()) if name.startswith("_foreach_"))
