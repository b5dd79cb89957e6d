"""Parameter initialisation, as `torch.nn.init`: each function fills a tensor in place (also
one that requires grad; nothing is recorded) and returns it.

    nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)

Random values come from tinygrad_np's generator (`tg.manual_seed(n)` makes them
reproducible), or from the NumPy Generator passed as `generator`. The numbers differ from
PyTorch's for the same seed (another generator); the distributions, fans and gains are
PyTorch's.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tinygrad_np import rng
from tinygrad_np.device import batch_innermost
from tinygrad_np.function import no_grad
from tinygrad_np.tensor import Tensor, check_fill

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale of the weights for a nonlinearity: 1 for linear layers and
    sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu
    (slope `param`, default 0.01), 3/4 for selu."""
    if nonlinearity in _LINEAR:
        return 1  # an int, as PyTorch's (it prints as 1)
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel) as in Linear and Conv:
    in * prod(kernel) and out * prod(kernel)."""
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (shape {tensor.shape})")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write `values` into the tensor in place (cast to its dtype), unrecorded. A writable
    ndarray is filled in place; a read-only one (`p.numpy()` of a parameter) is refused,
    naming the fix, rather than failing on a missing `copy_`."""
    if isinstance(tensor, np.ndarray):
        if not tensor.flags.writeable:
            raise TypeError("nn.init: got a read-only NumPy array (a parameter's numpy()): "
                            "pass the tensor itself, e.g. nn.init.normal_(m.weight, 0.0, "
                            "0.02), or its .data")
        tensor[...] = values
        return tensor
    with no_grad():
        tensor._copy_array_(np.asarray(values))
    return tensor


def _memory(tensor: Any) -> np.ndarray:
    """The array an init function fills (a Tensor's, or the NumPy array given)."""
    return tensor if isinstance(tensor, np.ndarray) else tensor._data


def _generator(generator: Any) -> rng.Stream:
    """The generator to draw from: the library's, or a tg.Generator's, or the given one."""
    return rng.numpy_generator(generator)


def layer_uniform_(tensor: Tensor | None, bound: float, weight: bool = False) -> Tensor | None:
    """A layer's reset_parameters draw: U(-bound, bound) from the library generator, as
    PyTorch's init.uniform_ in the tensor's dtype (so a seed gives PyTorch's values). None
    (a layer without bias) is left as it is. An empty `weight` warns, as PyTorch's layers'
    kaiming_uniform_ call does (Linear(0, 3), Conv2d(2, 0, 3))."""
    if tensor is None:
        return None
    if weight and 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=4)
    elif weight:  # kaiming_uniform_(a=sqrt(5))'s own arithmetic, as PyTorch's layers call it
        # (1/sqrt(fan) can differ in the last bit: float64 weights, float32 near a rounding)
        bound = math.sqrt(3.0) * (calculate_gain("leaky_relu", math.sqrt(5))
                                  / math.sqrt(_calculate_correct_fan(tensor, "fan_in")))
    dtype = tensor.dtype if tensor.dtype.kind == "f" else np.float64
    return _fill(tensor, rng.uniform(rng.generator(), -bound, bound, tensor.shape, dtype))


def layer_fill_(tensor: Tensor | None, value: Any) -> Tensor | None:
    """Fill with `value` (a number or an array of the tensor's shape) unless None (a norm
    layer's weight or bias left out)."""
    return None if tensor is None else _fill(tensor, value)


def _float_only(tensor: Any, op: str) -> None:
    """PyTorch's refusal of a random fill of an integer or bool tensor."""
    dtype = np.dtype(tensor.dtype)
    if dtype.kind not in "fc":
        raise NotImplementedError(f"nn.init.{op}: random values are not implemented for "
                                  f"{dtype} tensors (PyTorch: not implemented for this dtype); "
                                  "use a floating-point tensor")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Any = None) -> Tensor:
    """Fill with values drawn uniformly from [a, b)."""
    _float_only(tensor, "uniform_")
    dtype = tensor.dtype if tensor.dtype.kind == "f" else np.float64
    source = _generator(generator)
    return _fill(tensor, rng.filled_in_memory_order(  # (a view: in its memory order)
        lambda shape: rng.uniform(source, a, b, shape, dtype), _memory(tensor)))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Any = None) -> Tensor:
    """Fill with values drawn from N(mean, std^2)."""
    _float_only(tensor, "normal_")
    _check_std(std)
    dtype = tensor.dtype if tensor.dtype.kind == "f" else np.float64
    return _fill(tensor, _normals(_generator(generator), _memory(tensor), dtype, mean, std))


def _normals(source: rng.Stream, memory: np.ndarray, dtype: Any, mean: float, std: float
             ) -> np.ndarray:
    """normal_'s values for `memory`; a view's in its memory order, one at a time (PyTorch's
    normal_ of a non-contiguous tensor)."""
    if memory.flags.c_contiguous or batch_innermost(memory):  # (a conv result: contiguous)
        return source.randn(memory.shape, dtype, mean, std)
    return rng.in_memory_order((source.normals(memory.size) * std + mean).astype(dtype), memory)


def _check_std(std: float) -> None:
    """PyTorch's refusal of a negative (or NaN) standard deviation (NumPy's is a ValueError)."""
    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {rng.number_text(std)}")


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Fill with values from N(mean, std^2) truncated to [a, b] (bounds in absolute units), by
    PyTorch 2.13's rejection sampling, draw for draw: when [a, b] holds more than 0.3 of the
    mass, normal_ redrawn (the whole tensor) where a value falls outside; else uniform_(a, b)
    candidates kept with probability pdf / pdf at the mode, redrawn until all are kept."""
    _float_only(tensor, "trunc_normal_")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a:g} > to={b:g} (nn.init.trunc_normal_'s a and b)")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)

    def normal_cdf(z: float) -> float:  # (PyTorch's expression)
        return (1.0 + math.erf(z / math.sqrt(2.0))) / 2.0

    draw, memory = _generator(generator), _memory(tensor)
    kind = tensor.dtype if tensor.dtype.kind == "f" else np.dtype(np.float64)

    def normals() -> np.ndarray:  # (normal_'s)
        return _normals(draw, memory, kind, mean, std)

    def uniforms(low: float, high: float) -> np.ndarray:
        return rng.filled_in_memory_order(lambda size: draw.rand(size, kind, low, high), memory)

    if normal_cdf((b - mean) / std) - normal_cdf((a - mean) / std) > 0.3:
        low, high = float(kind.type(a)), float(kind.type(b))
        result = normals()
        while (outside := (result < low) | (result > high)).any():
            result = np.where(outside, normals(), result)
        return _fill(tensor, result)
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def log_density(values: np.ndarray) -> np.ndarray:  # (in the tensor's dtype, as PyTorch)
        scaled = (values - kind.type(mean)) / kind.type(std)
        return scaled * scaled * kind.type(-0.5) - kind.type(log_peak)

    def accepted(values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(uniforms(0.0, 1.0)) > log_density(values)

    result = uniforms(a, b)
    pending = accepted(result)
    while pending.any():
        candidates = uniforms(a, b)
        result = np.where(pending, candidates, result)
        pending = np.where(pending, accepted(candidates), pending)
    return _fill(tensor, result)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    check_fill("fill_", val, "'value' (position 1)")  # (a str: TypeError, not NumPy's float())
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return _fill(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal)."""
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (shape {tensor.shape})")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """A 3-, 4- or 5-D convolution weight that passes its input through: in each of `groups`
    groups, output channel i takes input channel i at the kernel's centre (zeros elsewhere;
    the extra output channels stay 0)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported (shape "
                         f"{tensor.shape})")
    if tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups "
                         f"({groups})")
    per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(size // 2 for size in tensor.shape[2:])
    for group in range(groups):
        for channel in range(min(per_group, tensor.shape[1])):
            values[(group * per_group + channel, channel, *centre)] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Any = None) -> Tensor:
    """Glorot: U(-r, r) with r = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Any = None) -> Tensor:
    """Glorot: N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Tensor:
    """He: U(-r, r) with r = sqrt(3) gain / sqrt(fan), fan = fan_in or fan_out (`mode`), gain
    from `nonlinearity` (`a`: leaky_relu's negative slope). nn.Linear's default weights are
    kaiming_uniform_(w, a=sqrt(5))."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Tensor:
    """He: N(0, std^2) with std = gain / sqrt(fan) (see kaiming_uniform_)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0,
                generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix times gain, from the QR decomposition of a Gaussian matrix
    with the signs fixed so it is uniformly distributed (Saxe et al.). Dimensions after the
    first are flattened: rows = shape[0], columns = the rest."""
    if tensor.ndim < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported "
                         f"(shape {tensor.shape})")
    if math.prod(tensor.shape) == 0:
        return tensor
    _float_only(tensor, "orthogonal_")
    rows = tensor.shape[0]
    cols = math.prod(tensor.shape) // rows
    flattened = _generator(generator).randn((rows, cols), tensor.dtype)
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Any = None) -> Tensor:
    """A 2-D tensor drawn from N(0, std^2) with ceil(sparsity * rows) entries of each column
    set to zero, at random rows (Martens, 2010), as PyTorch's."""
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (shape {tensor.shape})")
    _float_only(tensor, "sparse_")
    _check_std(std)
    rows, cols = tensor.shape
    draw = _generator(generator)
    values = draw.randn((rows, cols), tensor.dtype, 0.0, std)
    zeros = math.ceil(sparsity * rows)
    for column in range(cols):
        values[draw.randperm(rows)[:zeros], column] = 0
    return _fill(tensor, values)


__all__ = ["calculate_gain", "constant_", "eye_", "kaiming_normal_", "kaiming_uniform_",
           "normal_", "ones_", "orthogonal_", "sparse_", "trunc_normal_", "uniform_",
           "xavier_normal_", "xavier_uniform_", "zeros_"]



def _deprecated(function: Any) -> Any:
    """PyTorch's deprecated spelling without the trailing underscore
    (`nn.init.xavier_uniform(w)`): the function, with PyTorch's FutureWarning."""
    new_name = function.__name__

    def deprecated_init(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`nn.init.{new_name[:-1]}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return function(*args, **kwargs)

    deprecated_init.__name__ = deprecated_init.__qualname__ = new_name[:-1]
    deprecated_init.__doc__ = f"Deprecated: use nn.init.{new_name}."
    return deprecated_init


uniform, normal, constant, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal = map(
    _deprecated, (uniform_, normal_, constant_, xavier_uniform_, xavier_normal_,
                  kaiming_uniform_, kaiming_normal_))
eye, dirac, orthogonal, sparse = map(_deprecated, (eye_, dirac_, orthogonal_, sparse_))
