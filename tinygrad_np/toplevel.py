"""PyTorch's top-level names that are other names under a second spelling or small
compositions: `torch.conv2d` (F.conv2d), `torch.alpha_dropout(x, p, train)`, the window functions,
`torch.gradient`, the `*_scatter` functions, `torch.qr`, and the small checks and set-up
calls older scripts make (`torch.set_default_tensor_type`, `torch.typename`, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import return_types
from tinygrad_np.device import check_placement
from tinygrad_np.dtypes import get_default_dtype, set_default_dtype
from tinygrad_np.errors import TensorError
from tinygrad_np.join import cat
from tinygrad_np.nn import functional as F
from tinygrad_np.nn.functional_losses import kl_div_unwarned
from tinygrad_np.nn.functional_losses_more import triplet_margin_unchecked
from tinygrad_np.nn.layers_extra import bilinear, rms_norm
from tinygrad_np.nn.layers_more import (
    adaptive_avg_pool1d,
    channel_shuffle,
    pixel_shuffle,
    pixel_unshuffle,
)
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.shape import keeps_no_index
from tinygrad_np.rng import numpy_generator
from tinygrad_np.tensor import (
    Tensor,
    _need_tensor,
    _wrap_dim,
    int_arg,
    int_tuple,
    number_operand,
    tensor_operand,
    to_tensor,
)
from tinygrad_np.toplevel_small import Storage

# The same functions as torch.nn.functional's (PyTorch binds them at the top level too).
conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = (
    F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)
max_pool1d, max_pool2d, max_pool3d, avg_pool1d = (F.max_pool1d, F.max_pool2d, F.max_pool3d,
                                                  F.avg_pool1d)
hardshrink, prelu, rrelu = F.hardshrink, F.prelu, F.rrelu
__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d", "bilinear", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "hardshrink", "prelu", "rrelu",
           "rms_norm", "max_pool1d_with_indices"]


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    """`torch.adaptive_max_pool1d`: always (values, indices), unlike F's form (values only
    unless return_indices=True)."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = (),  # noqa: A002
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
                            ) -> tuple[Tensor, Tensor]:
    """`torch.max_pool1d_with_indices`: F.max_pool1d's (values, indices)."""
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode,
                        return_indices=True)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    """`value` where input <= threshold, else input (F.threshold)."""
    return F.threshold(input, threshold, value)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.alpha_dropout(input, p, train): F.alpha_dropout."""
    return F.alpha_dropout(input, p, train)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """Whole channels (dim 1 of an (N, C, ...) input) zeroed with probability p, the rest
    scaled by 1 / (1 - p), as torch.feature_dropout (any number of trailing dims)."""
    return _feature_dropout(input, p, train, False)


def _feature_dropout(input: Tensor, p: float, train: bool, inplace: bool) -> Tensor:  # noqa: A002
    x = to_tensor(input)
    F._check_probability(p, "feature_dropout")
    if x.ndim < 2:
        raise TensorError(f"feature_dropout: expected an (N, C, ...) input of at least 2 "
                          f"dims, got shape {x.shape}")
    if not train or p == 0:
        return x
    return F._dropout(x, p, x.shape[:2] + (1,) * (x.ndim - 2), inplace)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enable: bool = True
               ) -> Tensor:
    """torch.layer_norm: F.layer_norm (cudnn_enable is ignored)."""
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enabled: bool = True
               ) -> Tensor:
    """torch.group_norm: F.group_norm (cudnn_enabled is ignored)."""
    return F.group_norm(input, num_groups, weight, bias, eps)


def embedding(weight: Tensor, indices: Any, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """torch.embedding(weight, indices): the weight first, padding_idx -1 for none."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx)


__all__ += ["threshold", "alpha_dropout", "feature_dropout", "layer_norm",
            "group_norm", "embedding"]


# ------------------------------------------------------------------------ window functions
def _window(name: str, length: int, periodic: bool, dtype: Any, requires_grad: bool,
            values: Any) -> Tensor:
    length = int_arg(length)
    if not isinstance(length, (int, np.integer)) or length < 0:
        raise TensorError(f"{name}: window_length must be a non-negative int, got {length!r}")
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise TensorError(f"{name}: expects a floating-point dtype, got {np.dtype(dtype)}")
    if length <= 1:
        return Tensor(np.ones(length, dtype or get_default_dtype()), requires_grad)
    points = values(length + 1)[:-1] if periodic else values(length)
    return Tensor(np.asarray(points, dtype or get_default_dtype()), requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, pin_memory: bool = False,
                requires_grad: bool = False) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / (N - 1)); `periodic` drops the last point of N + 1."""
    check_placement("hann_window", device, layout, pin_memory)
    return _window("hann_window", window_length, periodic, dtype, requires_grad, np.hanning)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, pin_memory: bool = False,
                   requires_grad: bool = False) -> Tensor:
    """alpha - beta cos(2 pi n / (N - 1))."""
    def values(n: int) -> np.ndarray:
        return alpha - beta * np.cos(2 * np.pi * np.arange(n) / (n - 1))
    check_placement("hamming_window", device, layout, pin_memory)
    return _window("hamming_window", window_length, periodic, dtype, requires_grad, values)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """The triangular window 1 - |2n / (N - 1) - 1|."""
    check_placement("bartlett_window", device, layout, pin_memory)
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   np.bartlett)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None, pin_memory: bool = False,
                    requires_grad: bool = False) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    check_placement("blackman_window", device, layout, pin_memory)
    return _window("blackman_window", window_length, periodic, dtype, requires_grad,
                   np.blackman)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: bool = False,
                  requires_grad: bool = False) -> Tensor:
    """I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)."""
    check_placement("kaiser_window", device, layout, pin_memory)
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad,
                   lambda n: np.kaiser(n, beta))


__all__ += ["hann_window", "hamming_window", "bartlett_window", "blackman_window",
            "kaiser_window"]


# ---------------------------------------------------------------- gradient and scatters
def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None,  # noqa: A002
             edge_order: int = 1) -> tuple[Tensor, ...]:
    """Central differences (f[i+1] - f[i-1]) / 2h inside, one-sided at the edges (first
    order, or second with `edge_order=2`), along each dim in `dim` (all by default); a
    composition of slices, so it is differentiable. `spacing`: one number, one number per
    dim, or one 1-d tensor of coordinates per dim (non-uniform differences, differentiable
    in the coordinates too)."""
    x = to_tensor(input)
    dims = tuple(range(x.ndim)) if dim is None else tuple(
        _wrap_dim("gradient", d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim))
    if isinstance(spacing, Tensor) and spacing.ndim == 0:
        spacing = spacing.item()
    steps = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(steps) != len(dims) or isinstance(spacing, Tensor):
        raise TensorError(f"gradient: spacing must be one number, or one number or one 1-d "
                          f"tensor of coordinates per dim ({len(dims)}), got {spacing!r}")
    if edge_order not in (1, 2):
        raise TensorError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    coordinates = [isinstance(h, Tensor) for h in steps]
    if any(coordinates) and not all(coordinates):
        raise TensorError("gradient: spacing mixes numbers and coordinate tensors; give all "
                          "numbers or all tensors")
    return tuple(_differences(x, axis, h, edge_order) for axis, h in zip(dims, steps))


def _differences(x: Tensor, axis: int, h: Any, edge_order: int) -> Tensor:
    """torch.gradient along one axis, of spacing h (a number or 1-d coordinates)."""
    size = x.shape[axis]
    if size < edge_order + 1:
        raise TensorError(f"gradient: each dim needs at least edge_order + 1 = "
                          f"{edge_order + 1} points, dim {axis} has {size}")

    def part(start: int, stop: int) -> Tensor:
        return x.narrow(axis, start, stop - start)

    if isinstance(h, Tensor):
        return _coordinate_differences(x, axis, h, edge_order, part)
    inner = (part(2, size) - part(0, size - 2)) / (2 * h)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / h
        last = (part(size - 1, size) - part(size - 2, size - 1)) / h
    else:
        first = (-1.5 * part(0, 1) + 2 * part(1, 2) - 0.5 * part(2, 3)) / h
        last = (0.5 * part(size - 3, size - 2) - 2 * part(size - 2, size - 1)
                + 1.5 * part(size - 1, size)) / h
    return cat([first, inner, last], axis)


def _coordinate_differences(x: Tensor, axis: int, coords: Tensor, edge_order: int,
                            part: Any) -> Tensor:
    """Differences at points `coords` along `axis`: each value is the derivative of the
    parabola through it and its two neighbours (one-sided at the edges)."""
    size = x.shape[axis]
    if coords.ndim != 1 or coords.shape[0] != size:
        raise TensorError(f"gradient: coordinates for dim {axis} must be 1-d of length "
                          f"{size} (the size of that dim), got shape {tuple(coords.shape)}")
    shape = [1] * x.ndim
    shape[axis] = -1
    dx = coords[1:] - coords[:-1]
    left, right = dx[:-1].reshape(shape), dx[1:].reshape(shape)
    inner = (part(0, size - 2) * (-right / (left * (left + right)))
             + part(1, size - 1) * ((right - left) / (left * right))
             + part(2, size) * (left / (right * (left + right))))
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / dx[0]
        last = (part(size - 1, size) - part(size - 2, size - 1)) / dx[-1]
        return cat([first, inner, last], axis)
    first = _three_point(part(0, 1), part(1, 2), part(2, 3), dx[0], dx[1])
    last = -_three_point(part(size - 1, size), part(size - 2, size - 1),
                         part(size - 3, size - 2), dx[-1], dx[-2])
    return cat([first, inner, last], axis)


def _three_point(f0: Tensor, f1: Tensor, f2: Tensor, h1: Tensor, h2: Tensor) -> Tensor:
    """The derivative at x0 of the parabola through (x0, f0), (x0 + h1, f1) and
    (x0 + h1 + h2, f2); with the points reversed (and the result negated) it gives the
    derivative at the last point."""
    return (f0 * (-(2 * h1 + h2) / (h1 * (h1 + h2))) + f1 * ((h1 + h2) / (h1 * h2))
            + f2 * (-h1 / (h2 * (h1 + h2))))


def _scattered(op: str, input: Tensor, src: Any, where: tuple) -> Tensor:  # noqa: A002
    """A copy of `input` with `src` (a tensor) written at `where` (recorded: gradients reach
    both)."""
    _need_tensor(op, "src", src)
    out = to_tensor(input).clone()
    out[where] = src if src.dtype == out.dtype else src.to(out.dtype)  # (PyTorch casts here)
    return out


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """`input` with `input.select(dim, index)` replaced by `src`."""
    axis = _wrap_dim("select_scatter", dim, input.ndim)
    return _scattered("select_scatter", input, src, (slice(None),) * axis + (index,))


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,  # noqa: A002
                  end: int | None = None, step: int = 1) -> Tensor:
    """`input` with `input[start:end:step]` along `dim` replaced by `src`."""
    axis = _wrap_dim("slice_scatter", dim, input.ndim)
    return _scattered("slice_scatter", input, src,
                      (slice(None),) * axis + (slice(start, end, step),))


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,  # noqa: A002
                     dim2: int = 1) -> Tensor:
    """`input` with `input.diagonal(offset, dim1, dim2)` replaced by `src` (whose last dim
    runs along the diagonal, as `diagonal` gives it)."""
    x = to_tensor(input)
    first, second = (_wrap_dim("diagonal_scatter", d, x.ndim) for d in (dim1, dim2))
    rows, cols = x.shape[first], x.shape[second]
    length = max(0, min(rows - max(-offset, 0), cols - max(offset, 0)))
    positions = np.arange(length)
    moved = x.movedim((first, second), (-2, -1))
    out = _scattered("diagonal_scatter", moved, src,
                     (Ellipsis, positions + max(-offset, 0), positions + max(offset, 0)))
    return keeps_no_index(out).movedim((-2, -1), (first, second))


__all__ += ["gradient", "select_scatter", "slice_scatter", "diagonal_scatter"]


# ------------------------------------------------------------- checks and set-up calls
def is_nonzero(input: Tensor) -> bool:  # noqa: A002
    """The truth of a one-element tensor (PyTorch's RuntimeError for any other size)."""
    tensor_operand("is_nonzero", input, "input")
    if input.numel() != 1:
        raise TensorError(f"is_nonzero: expected a tensor with one element, got "
                          f"{input.numel()} elements (shape {tuple(input.shape)})")
    return bool(input.reshape(()).item() != 0)


def typename(obj: Any) -> str:
    """'torch.FloatTensor' and its kin for a tensor; for a class or function its own dotted
    name (PyTorch's rule: `typename(nn.Parameter)` names the class), else its type's."""
    if isinstance(obj, Tensor):
        return f"torch.{obj.type().split('.')[-1]}"
    module, name = getattr(obj, "__module__", "") or "", getattr(obj, "__qualname__", None)
    name = getattr(obj, "__name__", None) if name is None else name  # (a module: its name)
    if name is None:
        module, name = type(obj).__module__ or "", type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def is_storage(obj: Any) -> bool:
    """Whether obj is what `x.storage()` or `x.untyped_storage()` gives (a tensor is not)."""
    return isinstance(obj, Storage)


_WARN_ALWAYS = [False]


def set_warn_always(b: bool) -> None:
    """Recorded (`is_warn_always_enabled()`); the library's warnings show once each, as
    Python's default filter decides."""
    _WARN_ALWAYS[0] = bool(b)


def is_warn_always_enabled() -> bool:
    """What set_warn_always last set."""
    return _WARN_ALWAYS[0]


def set_default_tensor_type(t: Any) -> None:
    """PyTorch's older spelling of set_default_dtype: `torch.DoubleTensor` (or the string
    'torch.DoubleTensor') makes float64 the default, `torch.FloatTensor` float32."""
    name = t if isinstance(t, str) else getattr(t, "__name__", repr(t))
    dtypes = {"FloatTensor": np.float32, "DoubleTensor": np.float64}
    key = name.split(".")[-1]
    if key not in dtypes:
        raise TypeError(f"set_default_tensor_type: only torch.FloatTensor and "
                        f"torch.DoubleTensor (CPU floats), got {name}")
    set_default_dtype(dtypes[key])


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor of `buffer`'s bytes read as `dtype`, sharing the buffer's memory as
    PyTorch's (a read-only buffer, such as bytes, is copied)."""
    values = np.frombuffer(buffer, dtype=np.dtype(dtype), count=count, offset=offset)
    return Tensor(values if values.flags.writeable else values.copy(), requires_grad)


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """`narrow` as a new tensor (not a view)."""
    return pytorch_named(input.narrow(dim, start, length).clone(), "NarrowCopyBackward0")


def qr(input: Tensor, some: bool = True) -> Any:  # noqa: A002
    """torch.qr (deprecated there): linalg.qr, 'reduced' when `some` else 'complete'."""
    from tinygrad_np.linalg import qr as linalg_qr  # noqa: PLC0415 (linalg is above)

    return return_types.qr(*linalg_qr(input, "reduced" if some else "complete"))


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """The inverse of A = L L^T (or U^T U with `upper`) from its Cholesky factor, reading only
    L's lower (upper) triangle, with PyTorch's gradient (see linalg._cholesky_product)."""
    from tinygrad_np.linalg import _cholesky_product, inv  # noqa: PLC0415

    return inv(_cholesky_product(input, upper))


__all__ += ["is_nonzero", "typename", "is_storage", "set_warn_always", "is_warn_always_enabled",
            "set_default_tensor_type", "frombuffer", "narrow_copy", "qr", "cholesky_inverse"]


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int = 2, M: Tensor | None = None  # noqa: N803
                ) -> tuple[Tensor, Tensor, Tensor]:
    """(U, S, V) of the q largest singular values of A (or A - M): here from the exact SVD,
    where PyTorch's randomised method approximates it (so the same up to the signs of the
    singular vectors); differentiable through linalg.svd."""
    from tinygrad_np.linalg import svd  # noqa: PLC0415 (linalg is above)

    a = to_tensor(A) if M is None else to_tensor(A) - M
    q = min(a.shape[-2:]) if q is None else q
    u, s, vh = svd(a, full_matrices=False)
    return u[..., :q], s[..., :q], vh[..., :q, :].mT


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True,  # noqa: N803
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """svd_lowrank of the columns-centred A (`center`), q = min(6, rows, columns) by default:
    V's columns are the principal directions, S**2 / (rows - 1) their variances."""
    a = to_tensor(A)
    q = min(6, *a.shape[-2:]) if q is None else q
    return svd_lowrank(a - a.mean(-2, keepdim=True) if center else a, q)


__all__ += ["svd_lowrank", "pca_lowrank"]


# ------------------------------------------- ATen's spellings of nn.functional's functions
# torch.binary_cross_entropy_with_logits(x, y) and friends take the reduction as an int
# (0 'none', 1 'mean', 2 'sum') and, called without one, reduce nothing (PyTorch 2.13).
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum", "none": "none", "mean": "mean", "sum": "sum"}


def _reduction(name: str, reduction: Any) -> str:
    if isinstance(reduction, bool) or reduction not in _REDUCTIONS:
        raise TypeError(f"{name}: reduction must be 0 (none), 1 (mean) or 2 (sum), got "
                        f"{reduction!r}")
    return _REDUCTIONS[reduction]


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                                     pos_weight: Any = None, reduction: Any = 0) -> Tensor:
    """F.binary_cross_entropy_with_logits with ATen's argument order and int reduction."""
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction("binary_cross_entropy_with_logits",
                                                    reduction), pos_weight=pos_weight)


def kl_div(input: Tensor, target: Any, reduction: Any = 0, *,  # noqa: A002
           log_target: bool = False) -> Tensor:
    """F.kl_div with an int reduction ('mean' is the mean over all elements, as F's)."""
    return kl_div_unwarned(input, target, reduction=_reduction("kl_div", reduction),
                           log_target=log_target)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                          reduction: Any = 0) -> Tensor:
    """F.cosine_embedding_loss with an int reduction."""
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction))


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0,  # noqa: A002
                         reduction: Any = 0) -> Tensor:
    """F.hinge_embedding_loss with an int reduction."""
    return F.hinge_embedding_loss(input, target, margin,
                                  reduction=_reduction("hinge_embedding_loss", reduction))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                        reduction: Any = 0) -> Tensor:
    """F.margin_ranking_loss with an int reduction."""
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction("margin_ranking_loss", reduction))


def poisson_nll_loss(input: Tensor, target: Any, log_input: bool, full: bool,  # noqa: A002
                     eps: float, reduction: Any) -> Tensor:
    """F.poisson_nll_loss with every argument given, the reduction as an int."""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction))


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        reduction: Any = 0) -> Tensor:
    """F.triplet_margin_loss with an int reduction."""
    return triplet_margin_unchecked(anchor, positive, negative, margin, p, eps, swap,
                                    reduction=_reduction("triplet_margin_loss", reduction))


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: Any = 1, zero_infinity: bool = False) -> Tensor:
    """F.ctc_loss with an int reduction (mean by default, as PyTorch's torch.ctc_loss)."""
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction("ctc_loss", reduction), zero_infinity)


def batch_norm(input: Tensor, weight: Any, bias: Any, running_mean: Any,  # noqa: A002
               running_var: Any, training: bool, momentum: float, eps: float,
               cudnn_enabled: bool = False) -> Tensor:
    """F.batch_norm with ATen's argument order (weight and bias first)."""
    return F._batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input: Tensor, weight: Any, bias: Any, running_mean: Any,  # noqa: A002
                  running_var: Any, use_input_stats: bool, momentum: float, eps: float,
                  cudnn_enabled: bool = False) -> Tensor:
    """F.instance_norm with ATen's argument order (weight and bias first)."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def constant_pad_nd(input: Tensor, pad: Any, value: float = 0) -> Tensor:  # noqa: A002
    """F.pad(input, pad, value=value)."""
    return F.pad(input, pad, value=value)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.dropout written into input."""
    return F.dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.feature_alpha_dropout(input, p, train): F.feature_alpha_dropout."""
    return F.feature_alpha_dropout(input, p, train)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.alpha_dropout written into input."""
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.feature_alpha_dropout written into input."""
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.feature_dropout written into input."""
    return _feature_dropout(input, p, train, True)


def embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float,
                      norm_type: float) -> Tensor:
    """The rows `indices` of weight whose norm_type-norm passes max_norm scaled to max_norm
    (by max_norm / (norm + 1e-7)), in place and unrecorded, as F.embedding's max_norm."""
    _need_tensor("embedding_renorm_", "indices", indices)
    F._renorm_rows(weight, np.unique(indices._data), max_norm, norm_type)
    return weight


selu_, celu_, rrelu_, threshold_ = F.selu_, F.celu_, F.rrelu_, F.threshold_
__all__ += ["binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
            "hinge_embedding_loss", "margin_ranking_loss", "poisson_nll_loss",
            "triplet_margin_loss", "ctc_loss", "batch_norm", "instance_norm", "constant_pad_nd",
            "dropout_", "feature_alpha_dropout", "alpha_dropout_", "feature_alpha_dropout_",
            "feature_dropout_", "embedding_renorm_", "selu_", "celu_", "rrelu_", "threshold_"]


# ------------------------------------------------------- small functions of one tensor
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """other - alpha * input (the reflected subtraction)."""
    x = to_tensor(input)
    if alpha != 1 and x.dtype == np.float16 and type(other) in (int, float):  # computed in
        return x.new_tensor(other).sub(x, alpha=alpha)  # float32, as sub (PyTorch's opmath)
    return other - (x if alpha == 1 else x * alpha)


def fill(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A new tensor of input's shape and dtype, every element `value` (a 0-d tensor value
    gets the summed gradient, as PyTorch's)."""
    x = to_tensor(input)
    if isinstance(value, Tensor):
        if value.ndim:
            raise TensorError(f"fill only supports 0-dimension value tensor but got tensor "
                              f"with {value.ndim} dimensions")
        return value.to(x.dtype).expand(x.shape).clone()
    return x.new_full(x.shape, value)


def is_same_size(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """True when the two tensors have the same shape."""
    return to_tensor(input).shape == to_tensor(number_operand("is_same_size", other)).shape


def conj(input: Tensor) -> Tensor:  # noqa: A002
    """The complex conjugate: a real tensor itself (tinygrad_np has no complex tensors)."""
    return to_tensor(input)


conj_physical = resolve_conj = resolve_neg = conj


def is_conj(input: Tensor) -> bool:  # noqa: A002
    """False: no tensor here carries a lazy conjugation."""
    to_tensor(input)
    return False


is_neg = is_conj


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:  # noqa: A002
    """nonzero() as exactly `size` rows: cut off past `size`, padded with `fill_value`."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise TensorError(f"nonzero_static: size must be a non-negative integer, got {size!r}")
    found = to_tensor(input).nonzero()._data[:size]
    rows = np.full((size, found.shape[1]), fill_value, dtype=np.int64)
    rows[:len(found)] = found
    return Tensor(rows)


def frobenius_norm(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """sqrt of the sum of squares over `dim`."""
    return to_tensor(input).norm(2, dim=tuple(np.atleast_1d(dim).tolist()), keepdim=keepdim)


def nuclear_norm(input: Tensor, dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:  # noqa: A002
    """The sum of the singular values of the matrices over `dim` (two dims)."""
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = (-2, -1), dim
    return to_tensor(input).norm("nuc", dim=int_tuple(dim, "nuclear_norm(): argument 'dim'"),
                                 keepdim=keepdim)


def binomial(count: Tensor, prob: Tensor, generator: Any = None) -> Tensor:
    """Successes in `count` trials of probability `prob` (elementwise, float), drawn from the
    library's generator; no gradient. As PyTorch, unchecked: prob <= 0 gives 0, >= 1 the
    count, NaN NaN."""
    n, p = to_tensor(count), to_tensor(prob)
    if n.dtype.kind != "f" or p.dtype.kind != "f":
        raise TensorError(f"binomial: count and prob must be floating-point tensors, got "
                          f"{n.dtype.name} and {p.dtype.name}")
    precision = n.dtype if n.dtype.itemsize >= 4 else np.dtype(np.float32)  # (a negative
    draws = numpy_generator(generator).binomial(n._data, p._data, dtype=precision)  # count: 0)
    return Tensor(draws.astype(n.dtype))


__all__ += ["rsub", "fill", "is_same_size", "conj", "conj_physical", "resolve_conj",
            "resolve_neg", "is_conj", "is_neg", "nonzero_static", "frobenius_norm",
            "nuclear_norm", "binomial"]
