"""`torch.autograd.forward_ad`: dual tensors for forward-mode derivatives (Jacobian-vector
products), with PyTorch's API: `dual_level()`, `make_dual(x, tangent)`, `unpack_dual(y)`.

There is no forward mode in the engine: `make_dual` hands back a tensor in the graph that
stands for x, and `unpack_dual(y)` computes y's tangent as the derivative of a vector-
Jacobian product (reverse mode twice, as `torch.func.jvp` here): with u a zero tensor of y's
shape, tangent = d/du (sum_i <dy/dx_i^T u, t_i>). So the ops between must run with grad mode
on (not inside `no_grad()`: unpack_dual there raises rather than give None), and a dual
made from a tensor that did not require grad makes the results require grad (PyTorch's do
not). The tangents are the same as PyTorch's. A custom
`autograd.Function` recorded inside a level gives its tangent by its `jvp` staticmethod, and
one without `jvp` raises when a dual reaches it (passed to it, or a tangent computed through
it), as PyTorch's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tinygrad_np import autograd_function, inference_tensors
from tinygrad_np.autograd import grad
from tinygrad_np.function import enable_grad, is_grad_enabled
from tinygrad_np.tensor import Tensor

_levels: list[list[tuple[Tensor, Tensor]]] = []  # the open level's (dual, tangent) pairs
_modes: list = []  # the open level's forward_mode(): a custom Function's tangents from its jvp


class UnpackedDualTensor(NamedTuple):
    """What `unpack_dual` returns: the primal and its tangent (None when it has none)."""

    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    """Open a dual level (one at a time, as PyTorch: nesting is not supported)."""
    if _levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _levels.append([])
    _modes.append(autograd_function.forward_mode())
    _modes[-1].__enter__()
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the dual level: the tangents made inside it are forgotten."""
    if not _levels or level not in (None, 0):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one "
                           "that was created. This is not supported.")
    _levels.pop()
    _modes.pop().__exit__(None, None, None)


class dual_level:  # noqa: N801  (PyTorch's name)
    """`with fwAD.dual_level():` the region where dual tensors carry their tangents."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc_info: Any) -> None:
        exit_dual_level()


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A tensor with tensor's values whose forward derivative is `tangent` (same shape)."""
    if not _levels:
        raise RuntimeError("make_dual: to create a dual Tensor, you need to be inside a "
                           "forward AD level (`with torch.autograd.forward_ad.dual_level():`)")
    for name, value in (("tensor", tensor), ("tangent", tangent)):
        if not isinstance(value, Tensor):
            raise TypeError(f"make_dual(): argument '{name}' must be Tensor, not "
                            f"{type(value).__name__}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if tensor.dtype.kind != "f" or tangent.dtype.kind != "f":
        raise ValueError(f"make_dual: expected a floating point tensor and tangent, got "
                         f"{tensor.dtype.name} and {tangent.dtype.name}")
    with enable_grad():
        dual = tensor.view_as(tensor) if tensor.requires_grad else \
            tensor.detach().requires_grad_(True)
    _levels[-1].append((dual, tangent))
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of `tensor`: its forward derivative along the duals' tangents, None
    outside a level, inside `inference_mode()` (as PyTorch's), or when it does not depend on
    any dual."""
    if not _levels or not isinstance(tensor, Tensor) or inference_tensors.active():
        return UnpackedDualTensor(tensor, None)  # (inference mode: no tangents, as PyTorch's)
    pairs = _levels[-1]
    for dual, tangent in pairs:
        if dual is tensor:
            return UnpackedDualTensor(tensor, tangent)
    if not tensor.requires_grad and pairs and tensor.dtype.kind == "f" and \
            not is_grad_enabled():  # (None would be silently wrong for a dual's result)
        raise RuntimeError(
            "unpack_dual: grad mode is off (no_grad() or inference_mode()). Forward AD here is "
            "computed by reverse mode through the recorded graph, and ops under no_grad() "
            "record nothing, so the tangent of a result made from a dual there is unknown "
            "(PyTorch's forward AD ignores grad mode). Run the ops between make_dual and "
            "unpack_dual under `torch.enable_grad()` (torch.func.jvp does so itself).")
    if not tensor.requires_grad or tensor.dtype.kind != "f" or not pairs:
        return UnpackedDualTensor(tensor, None)
    with enable_grad():
        probe = tensor.detach().new_zeros(tensor.shape).requires_grad_(True)
        pulled = grad([tensor], [dual for dual, _ in pairs], [probe], retain_graph=True,
                      create_graph=True, allow_unused=True)
        terms = [(g * t).sum() for g, (_, t) in zip(pulled, pairs) if g is not None]
        if not terms:
            return UnpackedDualTensor(tensor, None)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        if not total.requires_grad:  # the vjp does not depend on the probe: zero tangent
            return UnpackedDualTensor(tensor, tensor.detach().new_zeros(tensor.shape))
        found = grad([total], [probe], allow_unused=True)[0]
    return UnpackedDualTensor(tensor, tensor.detach().new_zeros(tensor.shape)
                              if found is None else found)
