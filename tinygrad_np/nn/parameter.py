"""`Parameter`: a Tensor that a Module treats as one of its learnable weights;
`UninitializedParameter` and `UninitializedBuffer` (a lazy module's, until its first call),
and `Buffer` (a tensor to register as a buffer)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.dtypes import get_default_dtype
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

    _deepcopy_keeps_grad = False  # copy.deepcopy(parameter) has no .grad, as PyTorch

    def __init__(
        self, data: Any = None, requires_grad: bool = True, dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if data is None:  # nn.Parameter(): an empty float tensor, as PyTorch's
            data = np.zeros((0,), dtype=get_default_dtype() if dtype is None else dtype)
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)
        self._auto_name: str | None = None

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _Uninitialized:
    """What UninitializedParameter and UninitializedBuffer share: no shape until
    `materialize(shape)` gives zeros of that shape and the class it `becomes`."""

    __slots__ = ()
    becomes: type
    what: str

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        array = np.zeros(shape, dtype=self.dtype if dtype is None else dtype)
        array.flags.writeable = not self.requires_grad  # a leaf's array is read-only
        self._data = array
        self.__class__ = self.becomes

    def __repr__(self) -> str:
        return f"<Uninitialized{self.what.capitalize()}>"

    @property
    def shape(self) -> Any:
        raise RuntimeError(f"can't access the shape of an uninitialized {self.what} (a lazy "
                           "module's, before its first call), as in PyTorch")


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter without values yet (a lazy module's, such as LazyLinear's, until its first
    call): `materialize(shape)` gives it zeros of that shape and makes it a Parameter."""

    __slots__ = ()
    becomes, what = Parameter, "parameter"

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        as_device(device, "UninitializedParameter")  # only the CPU: anything else raises
        super().__init__(np.zeros((0,), dtype=get_default_dtype() if dtype is None else dtype),
                         requires_grad=requires_grad)


class Buffer(Tensor):
    """torch.nn.Buffer: `module.name = nn.Buffer(tensor, persistent=True)` registers the
    tensor as a buffer (as `register_buffer` does); it shares the tensor's memory, as
    PyTorch's `tensor.detach()`, and keeps its requires_grad."""

    __slots__ = ("persistent",)

    def __init__(self, data: Any = None, *, persistent: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), dtype=get_default_dtype())
        requires_grad = isinstance(data, Tensor) and data.requires_grad
        super().__init__(data.detach() if isinstance(data, Tensor) else data,
                         requires_grad=requires_grad)
        self.persistent = persistent


class UninitializedBuffer(_Uninitialized, Buffer):
    """A buffer without values yet (a lazy norm's running statistics, until its first call);
    assigned to a module it registers as a buffer (`persistent` or not), as a Buffer does.
    `materialize(shape)` gives it zeros of that shape and makes it a Buffer (PyTorch: a
    Tensor; here a Buffer is one)."""

    __slots__ = ()
    becomes, what = Buffer, "buffer"

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                 persistent: bool = True) -> None:
        empty = np.zeros((0,), dtype=get_default_dtype() if dtype is None else dtype)
        super().__init__(Tensor(empty, requires_grad=requires_grad), persistent=persistent)


def is_lazy(param: Any) -> bool:
    """Whether `param` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
