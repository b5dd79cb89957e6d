"""`Parameter`: a Tensor that a Module treats as one of its learnable weights."""

from __future__ import annotations

from typing import Any

from tinygrad_np.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module (requires_grad=True by default).

    Being its own type is what lets `Module.parameters()` tell weights apart from any other
    tensor a module holds (a constant mask, a cached input). As in PyTorch, wrapping a Tensor
    shares its array rather than copying it.
    """

    # The dotted name the module tree gave this parameter, so a later walk from a module
    # higher up may lengthen it, while a name the user chose is never replaced.
    __slots__ = ("_auto_name",)

    def __init__(
        self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None
    ) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)
        self._auto_name: str | None = None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
