"""Gradient clipping, as `torch.nn.utils`: call between `loss.backward()` and
`optimizer.step()`.

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Iterable

import numpy as np

from tinygrad_np.errors import TensorError
from tinygrad_np.function import no_grad
from tinygrad_np.nn.module import Module
from tinygrad_np.rng import get_rng_state, set_rng_state
from tinygrad_np.tensor import Tensor

Parameters = Tensor | Iterable[Tensor]


def _as_list(parameters: Parameters) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(array: np.ndarray, norm_type: float) -> np.ndarray:
    """torch.linalg.vector_norm of the flattened array: (sum |x|^p)^(1/p); max |x| for inf,
    min |x| for -inf, the count of non-zeros for 0. float16 accumulates in float32 (the
    caller casts the result back), so a norm above 256 is not inf."""
    values = np.abs(array.reshape(-1))
    if values.dtype == np.float16:
        values = values.astype(np.float32)
    if norm_type == math.inf:
        return values.max(initial=0).astype(array.dtype)
    if norm_type == -math.inf:
        return values.min(initial=math.inf).astype(array.dtype)
    if norm_type == 0:
        return np.asarray(np.count_nonzero(values), dtype=array.dtype)
    if norm_type == 2:
        return np.sqrt(np.dot(values, values))
    if norm_type == 1:
        return values.sum()
    return (values**norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors: Parameters, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of all the tensors together, as if concatenated into one vector: the norm of
    their norms. A 0-d Tensor (0.0 for no tensors), in the tensors' dtype."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(0.0)
    dtype = np.result_type(*(t.dtype for t in tensors))
    with np.errstate(over="ignore"):  # float32 gradients of 2e19 have an inf norm, silently
        norms = np.array([np.asarray(_vector_norm(t._data, norm_type), dtype=t._data.dtype)
                          for t in tensors], dtype=dtype)  # each rounded to its dtype: PyTorch
        total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor(np.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters: Parameters, max_norm: float, total_norm: Tensor | float,
                          foreach: bool | None = None) -> None:
    """Scale every gradient by min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    # A non-finite norm gives 0 or NaN: inf * 0 is NaN, silently as in PyTorch.
    with no_grad(), np.errstate(invalid="ignore", divide="ignore"):
        if isinstance(total_norm, Tensor):  # the scale in the norm's dtype, as PyTorch
            coefficient = (float(max_norm) / (total_norm.detach() + 1e-6)).clamp(max=1.0)
        else:
            coefficient = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
        for grad in grads:
            grad.mul_(coefficient)


def clip_grad_norm_(parameters: Parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients of `parameters` (in place) so that their total norm (all
    gradients as one vector) is at most `max_norm`; returns the total norm before clipping.

    As in PyTorch, the scale is max_norm / (total_norm + 1e-6), capped at 1 (so gradients
    within the limit are multiplied by exactly 1). `norm_type` may be inf. With
    `error_if_nonfinite=True` a NaN or infinite total norm raises RuntimeError; otherwise the
    gradients are scaled by it (and become NaN), as in PyTorch. `foreach` is ignored.
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_value_(parameters: Parameters, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient of `parameters` to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for param in _as_list(parameters):
            if param.grad is not None:
                param.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All the parameters flattened and concatenated into one 1-D tensor (recorded: a
    gradient flows back to each parameter)."""
    from tinygrad_np.join import cat

    return cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters, in place (unrecorded):
    the inverse of `parameters_to_vector`."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise TensorError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    start = 0
    with no_grad():
        for param in parameters:
            count = param.numel()
            param.copy_(vec[start:start + count].reshape(param.shape))
            start += count


def clip_grad_norm(parameters: Parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """PyTorch's deprecated spelling of clip_grad_norm_ (its FutureWarning, then the same)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters"]
from tinygrad_np.nn.utils import (  # noqa: E402, F401
    fusion,
    parametrizations,
    parametrize,
    prune,
    rnn,  # noqa: E402, F401  (nn.utils.rnn.pad_sequence)
)
from tinygrad_np.nn.utils.fusion import (  # noqa: E402
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from tinygrad_np.nn.utils.spectral_norm_hook import (  # noqa: E402
    remove_spectral_norm,
    spectral_norm,
)
from tinygrad_np.nn.utils.weight_norm_hook import remove_weight_norm, weight_norm  # noqa: E402

__all__ += ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
            "fuse_linear_bn_weights", "remove_spectral_norm", "remove_weight_norm", "skip_init",
            "spectral_norm", "weight_norm"]


def skip_init(module_cls: type, *args: object, **kwargs: object) -> Module:
    """`module_cls(*args, **kwargs)` with uninitialized parameters and buffers (as PyTorch's:
    the class must take a `device` argument); the random generator is left as it was."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    device = kwargs.pop("device", "cpu")
    state = get_rng_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        set_rng_state(state)  # (PyTorch builds it on the meta device: no numbers drawn)
    return module.to_empty(device=device)


# PyTorch's submodules of the functions above (`from torch.nn.utils.clip_grad import ...`)
from tinygrad_np.nn.utils import (  # noqa: E402, F401
    clip_grad,
    convert_parameters,
    init,
    memory_format,
    stateless,
)
from tinygrad_np.nn.utils.memory_format import (  # noqa: E402
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
)

__all__ += ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
