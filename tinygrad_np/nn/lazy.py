"""PyTorch's lazy modules beyond LazyLinear: `LazyConv2d(out_channels, kernel_size, ...)`,
`LazyBatchNorm2d()`, ...: the input channels come from the first input (its dim 1). Until
then the parameters are UninitializedParameters (an optimizer may already hold them) and a
norm's running statistics UninitializedBuffers; `.double()`, `.to(dtype)`, ... convert these
placeholders, and their dtype is the one the module gets. The first call builds the full
module with the same arguments, moves its values into those same tensor objects, and the
module becomes that class."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from tinygrad_np.nn.layers_more import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    _NormBase,
    register_running_stats,
)
from tinygrad_np.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from tinygrad_np.rng import get_rng_state, set_rng_state
from tinygrad_np.tensor import Tensor

_TENSORS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
_SETTINGS = ("_reversed_padding_repeated_twice", "_bias")  # the private settings (conv, norm)


class LazyModuleMixin:
    """PyTorch's mixin of the lazy modules (a plain class, not a Module: `LazyLinear`,
    `LazyConv2d`, ... are it and their full class at once). `cls_to_become` is the class a
    lazy module becomes at its first call."""

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer is still an uninitialized placeholder."""
        return any(is_lazy(tensor) for tensor in self._parameters.values()) or any(
            is_lazy(tensor) for tensor in self._buffers.values())

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list[str],
                              unexpected_keys: list[str], error_msgs: list[str]) -> None:
        """As PyTorch's lazy modules: a placeholder whose key the state dict holds first takes
        that value's shape (materialized), so a checkpoint loads before the first call; the
        first call then keeps the loaded values (a failed load makes it a placeholder again)."""
        for name, tensor, _ in self._own_tensors():  # type: ignore[attr-defined]
            value = state_dict.get(prefix + name)
            if is_lazy(tensor) and not is_lazy(value) and hasattr(value, "shape"):
                tensor.materialize(tuple(value.shape))
        super()._load_from_state_dict(  # type: ignore[misc]
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
            error_msgs)


class _Lazy(LazyModuleMixin):
    """The conv and norm lazy modules' shared part: `full` is the module class built at the
    first call (the full class follows this mixin in the lazy class's bases, as PyTorch's;
    its __init__ is not run here, nor its repr used before the first call)."""

    full: type = Module
    defaults: dict = {}  # noqa: RUF012 (read only)
    spatial = 0  # a conv's spatial dims: an input with one dim more is unbatched (C, ...)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        Module.__init__(self)
        kwargs = {**self.defaults, **kwargs}
        self._arguments = (args, kwargs)
        given = inspect.signature(self.full.__init__).bind(None, 0, *args, **kwargs)
        given.apply_defaults()  # (0: the input channels, known at the first call)
        options = given.arguments
        for name, value in vars(self._stand_in(options)).items():  # the settings (in_channels 0,
            if name in _SETTINGS or not (name.startswith("_") or name in _TENSORS  # kernel_size
                                         or name == "training"):  # eps, ...), as PyTorch's
                setattr(self, name, value)
        if "out_channels" in options:  # (a conv's stand-in has none, so checks none, PyTorch's)
            self.out_channels = options["out_channels"]
        dtype = options.get("dtype")
        weight = options.get("affine", True)  # a conv always has a weight
        bias = weight and options.get("bias", True)
        self.weight = UninitializedParameter(dtype=dtype) if weight else None
        self.bias = UninitializedParameter(dtype=dtype) if bias else None
        if options.get("track_running_stats"):  # empty until the first call, as PyTorch's
            dtype = get_default_dtype() if dtype is None else dtype
            register_running_stats(self, 0, dtype, True)
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)

    def _dtype(self) -> Any:
        """The dtype the parameters and buffers take: the placeholders' (which `.double()`,
        `.to(dtype)` and the like convert), else None (nothing to convert)."""
        for name in _TENSORS:
            tensor = getattr(self, name, None)
            if isinstance(tensor, Tensor) and tensor.dtype.kind == "f":
                return tensor.dtype
        return None

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(getattr(self, name, None)) for name in _TENSORS)

    def _stand_in(self, options: dict) -> Module:
        """The full module with 0 input channels (and a conv with 0 output channels, as
        PyTorch's): its settings are this module's until the first call (PyTorch's lazy
        modules show them: `in_channels` 0, `kernel_size`, ...)."""
        options = {name: value for name, value in options.items() if name != "self"}
        if "out_channels" in options:
            options["out_channels"] = 0
        state = get_rng_state()  # (building the stand-in must not move the generator)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (PyTorch's "zero-element tensors" warning)
                return self.full(**options)
        finally:
            set_rng_state(state)

    def extra_repr(self) -> str:
        """The full module's settings with 0 input channels, as PyTorch's lazy repr."""
        return self.full.extra_repr(self)

    def reset_parameters(self) -> None:
        """Nothing until the first call has built the module (as PyTorch's lazy modules);
        the module is then the full class, with that class's reset_parameters."""

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        """Build the full module for `input`'s channels (dim 1) and become it."""
        if not isinstance(input, Tensor) or input.ndim < 2:
            raise TensorError(f"{type(self).__name__}: the first input must be a tensor of "
                              f"shape (N, C, ...), got {getattr(input, 'shape', input)!r}")
        args, kwargs = self._arguments
        unbatched = self.spatial and input.ndim == self.spatial + 1  # (C, ...): no batch dim
        dtype = self._dtype()
        loaded = not self.has_uninitialized_params()  # (all loaded from a state dict)
        state = get_rng_state() if loaded else None  # (then nothing is drawn, as PyTorch)
        full = self.full(input.shape[0 if unbatched else 1], *args,
                         **{**kwargs, **({} if dtype is None else {"dtype": dtype})})
        if state is not None:
            set_rng_state(state)
        for name in _TENSORS:  # the values drawn, in the tensors already held (an optimizer's)
            mine, theirs = getattr(self, name, None), getattr(full, name, None)
            if isinstance(mine, Tensor) and isinstance(theirs, Tensor):
                if is_lazy(mine):  # (one materialized by load_state_dict keeps its values)
                    mine.materialize(theirs.shape)
                    mine._data = theirs._data
                setattr(full, name, mine)
        hooks, training = self.__dict__.get("_module_hooks"), self.training
        vars(self).clear()
        vars(self).update(vars(full))
        if hooks is not None:  # hooks registered before the first call stay
            self._module_hooks = hooks
        self.train(training)
        self.__class__ = self.full

    def forward(self, input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        self.initialize_parameters(input)  # (the rest: a transposed conv's output_size)
        return self.forward(input, *args, **kwargs)  # the full module's (hooks already ran)


class _LazyConvXdMixin(_Lazy):
    """PyTorch's base of the lazy convolutions (LazyConv1d is this and a Conv1d)."""


class _LazyNormBase(_Lazy, _NormBase):
    """PyTorch's base of the lazy batch and instance norms."""

    def reset_running_stats(self) -> None:
        """Nothing until the first call (the buffers are still empty), as PyTorch's."""


def _lazy(full: type, base: type, spatial: int = 0, **defaults: Any) -> type:
    """The lazy class of `full`: `base` and `full` (a conv) or its base (a norm: PyTorch's
    LazyBatchNorm2d is a _BatchNorm, not a BatchNorm2d)."""
    bases = (base, full if base is _LazyConvXdMixin else full.__base__)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _Lazy.__init__(self, *args, **kwargs)

    # PyTorch's signature: the full class's without its first size (and with `defaults`)
    self_parameter, _, *rest = inspect.signature(full.__init__).parameters.values()
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [self_parameter] + [parameter.replace(default=defaults.get(parameter.name,
                                                                   parameter.default))
                            for parameter in rest])
    return type(f"Lazy{full.__name__}", bases, {
        "full": full, "cls_to_become": full, "defaults": defaults, "spatial": spatial,
        "__module__": __name__, "__init__": __init__,
        "__doc__": f"{full.__name__} whose input channels come from its first input."})


LazyConv1d, LazyConv2d, LazyConv3d = (
    _lazy(conv, _LazyConvXdMixin, n) for n, conv in enumerate((Conv1d, Conv2d, Conv3d), 1))
LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d = (
    _lazy(conv, _LazyConvXdMixin, n) for n, conv in enumerate(
        (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d), 1))
LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d = (
    _lazy(norm, _LazyNormBase) for norm in (BatchNorm1d, BatchNorm2d, BatchNorm3d))
# PyTorch's lazy instance norms are affine and track running statistics by default (its
# InstanceNorms do neither).
LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d = (
    _lazy(norm, _LazyNormBase, affine=True, track_running_stats=True)
    for norm in (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d))
