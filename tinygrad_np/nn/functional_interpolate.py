"""`F.interpolate` for (N, C, L), (N, C, H, W) and (N, C, D, H, W) inputs: modes 'nearest',
'nearest-exact', 'area', 'linear' (3-D), 'bilinear' and 'bicubic' (4-D), 'trilinear' (5-D).
Re-exported by F; `nn.Upsample` is the layer form.

`antialias=True` ('bilinear', 'bicubic' and 'lanczos', 4-D, as PyTorch's and Pillow's):
each output pixel is a normalised weighted sum of the inputs under a filter (triangle, cubic
with a = -0.5, or Lanczos-3) widened by the downsampling ratio, so every input pixel counts;
it is a (out, in) matrix per axis, applied by matmul.

Each spatial axis is resized on its own. The source positions and weights depend only on the
sizes, so they are computed once in NumPy; the tensor work is `index_select` (nearest) or a
weighted sum of two (linear) or four (cubic: PyTorch's cubic convolution, A = -0.75, the
border pixels repeated) `index_select`s, and the engine supplies the gradients (repeated
indices accumulate, as in PyTorch's backward).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import DtypeError, ModeError, TensorError
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.tensor import Tensor, int_value, to_tensor

_LINEAR_MODES = {3: "linear", 4: "bilinear", 5: "trilinear"}
_WEIGHTED = ("linear", "bilinear", "trilinear", "bicubic", "lanczos")
_ANTIALIASED = ("bilinear", "bicubic", "lanczos")
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution coefficient
_MATRIX_MOST = 1 << 16  # an axis resized from n_in to n_out by an (n_out, n_in) matrix product
# when n_in * n_out is at most this (and the input finite); else by gathers (index_select)


def _per_axis(name: str, value: Any, spatial: int, shape: tuple[int, ...]) -> list[Any]:
    if isinstance(value, Sequence):
        if len(value) != spatial:
            raise TensorError(f"interpolate: {name} {tuple(value)} must have {spatial} "
                              f"entries for input of shape {shape}")
        return list(value)
    return [value] * spatial


def _check(x: Tensor, size: Any, scale_factor: Any, mode: str, align_corners: bool | None,
           antialias: bool) -> None:
    if mode not in ("nearest", "nearest-exact", "area", *_WEIGHTED):
        raise ModeError(f"interpolate: unknown mode {mode!r} (supported: 'nearest', "
                          f"'nearest-exact', 'area', 'linear', 'bilinear', 'bicubic', "
                          f"'trilinear', 'lanczos')")
    if antialias and (mode not in _ANTIALIASED or x.ndim != 4):
        raise ValueError(f"interpolate: antialias=True is restricted to modes 'bilinear', "
                         f"'bicubic' and 'lanczos' and a 4-D input, got mode {mode!r} and "
                         f"shape {x.shape}")
    if mode == "lanczos" and (align_corners or not antialias):
        raise ValueError("interpolate: mode 'lanczos' needs antialias=True and does not "
                         "support align_corners=True")
    for name, value in (("output size", size), ("scale_factor", scale_factor)):
        if isinstance(value, Sequence) and len(value) != max(x.ndim - 2, 0):  # PyTorch's first
            raise ValueError(f"interpolate: Input and {name.split()[-1]} must have the same number "
                             f"of spatial dimensions, but got input of shape {tuple(x.shape)} "
                             f"({max(x.ndim - 2, 0)} spatial) and {name} of {tuple(value)}")
    if x.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: input must be 3-D (N, C, L), 4-D (N, C, H, W) "
                                  f"or 5-D (N, C, D, H, W), got shape {x.shape}")
    linear_ndim = {v: k for k, v in _LINEAR_MODES.items()}.get(mode)
    needs = 4 if mode in ("bicubic", "lanczos") else linear_ndim
    if needs is not None and needs != x.ndim:
        raise NotImplementedError(f"interpolate: mode {mode!r} needs {needs}-D input, got "
                                  f"shape {x.shape}")
    if mode != "nearest" and x.dtype.kind != "f":
        raise DtypeError(f"interpolate: mode {mode!r} needs floating-point input, got "
                         f"{x.dtype.name}")
    if mode not in _WEIGHTED and align_corners is not None:
        raise TensorError("interpolate: align_corners can only be set with mode 'linear', "
                          f"'bilinear', 'bicubic' or 'trilinear', not {mode!r}")
    if (size is None) == (scale_factor is None):
        which = "neither" if size is None else "both"
        words = "either size or scale_factor should be defined" if which == "neither" else (
            "only one of size or scale_factor should be defined")
        raise TensorError(f"{words} (interpolate: got {which}, input shape {x.shape})")


def _nearest_index(n_in: int, n_out: int, scale: float | None, exact: bool, x: Tensor,
                   plane: int) -> np.ndarray:
    """Source indices of 'nearest' (floor(dst * ratio)) and 'nearest-exact'
    (floor((dst + 0.5) * ratio)), ratio = in / out or 1 / scale_factor, at the precision of
    PyTorch's CPU kernels (found by scans against PyTorch 2.13): ratio and product in float32,
    except for float64 input in 1-D and 3-D, and in 2-D when the output plane (`plane`, H * W)
    holds 128 or more pixels: there both are float64 and the product is rounded to float32
    before the floor. Its 2-D 'nearest' copies when out == in and halves when out == 2 in,
    whatever the scale. Known residue: 'nearest-exact' still differs by one source pixel in
    rare cases (tiny even inputs upsampled in float32, some 2-D float64 sizes)."""
    if not exact and x.ndim == 4 and n_out in (n_in, 2 * n_in):
        return np.arange(n_out) * n_in // n_out
    double = x.dtype == np.float64 and (x.ndim != 4 or plane >= 128)
    kind = np.float64 if double else np.float32
    given = scale is not None and scale > 0
    ratio = kind(1.0 / scale) if given else kind(n_in) / kind(n_out)
    source = (np.arange(n_out) + (0.5 if exact else 0.0)).astype(kind) * ratio
    source = np.floor(source.astype(np.float32)).astype(np.int64)
    return np.minimum(source, n_in - 1)


def _linear_sources(n_in: int, n_out: int, scale: float | None,
                    align_corners: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output position: the left and right source indices and the right weight."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        source = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        ratio = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
        source = np.maximum(ratio * (dst + 0.5) - 0.5, 0.0)  # half-pixel centres
    left = np.minimum(source.astype(np.int64), n_in - 1)
    right = np.minimum(left + 1, n_in - 1)
    return left, right, source - left


def _linear_taps(n_in: int, n_out: int, scale: float | None,
                 align_corners: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """_linear_sources as two taps: the sources and their weights."""
    left, right, weight = _linear_sources(n_in, n_out, scale, align_corners)
    return [left, right], [1 - weight, weight]


def _taps_matrix(n_in: int, n_out: int, indices: list[np.ndarray],
                 weights: list[np.ndarray]) -> np.ndarray:
    """The (n_out, n_in) matrix of a resize whose output i is the sum over taps k of
    weights[k][i] * input[indices[k][i]] (taps on one input, at a border, add up)."""
    matrix = np.zeros((n_out, n_in))
    for index, weight in zip(indices, weights):
        np.add.at(matrix, (np.arange(n_out), index), weight)
    return matrix


def _cubic_sources(n_in: int, n_out: int, scale: float | None,
                   align_corners: bool) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """For each output position: the four source indices (clamped to the border) and their
    cubic-convolution weights, at PyTorch's source positions (not clamped at 0 for cubic)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        source = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        ratio = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
        source = ratio * (dst + 0.5) - 0.5
    base = np.floor(source)
    t, a = source - base, _CUBIC_A
    near = lambda d: ((a + 2) * d - (a + 3)) * d * d + 1  # noqa: E731 (|d| <= 1)
    far = lambda d: ((a * d - 5 * a) * d + 8 * a) * d - 4 * a  # noqa: E731 (1 < |d| < 2)
    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    indices = [np.clip(base.astype(np.int64) + k, 0, n_in - 1) for k in (-1, 0, 1, 2)]
    return indices, weights


def _triangle(d: np.ndarray) -> np.ndarray:
    return np.maximum(1 - np.abs(d), 0.0)


def _keys_half(d: np.ndarray) -> np.ndarray:
    """Keys' cubic with a = -0.5 (Pillow's and PyTorch's antialiased bicubic)."""
    d, a = np.abs(d), -0.5
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = (((d - 5) * d + 8) * d - 4) * a
    return np.where(d < 1, near, np.where(d < 2, far, 0.0))


def _lanczos3(d: np.ndarray) -> np.ndarray:
    return np.where(np.abs(d) < 3, np.sinc(d) * np.sinc(d / 3), 0.0)


_FILTERS = {"bilinear": (_triangle, 1.0), "bicubic": (_keys_half, 2.0),
            "lanczos": (_lanczos3, 3.0)}  # (filter, half its support at ratio 1)


def _antialias_matrix(n_in: int, n_out: int, scale: float | None, mode: str,
                      align_corners: bool) -> np.ndarray:
    """(n_out, n_in) weights of PyTorch's antialiased resize: output i is centred at
    ratio * (i + 0.5); its inputs are those within the filter's support (widened by the ratio
    when downsampling), weighted by the filter at (j + 0.5 - centre) / max(ratio, 1) and
    normalised to sum 1."""
    if align_corners:
        ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        ratio = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
    kernel, half = _FILTERS[mode]
    support = half * ratio if ratio >= 1 else half
    centre = ratio * (np.arange(n_out) + 0.5)
    low = np.maximum(np.trunc(centre - support + 0.5), 0)[:, None]
    high = np.minimum(np.trunc(centre + support + 0.5), n_in)[:, None]
    j = np.arange(n_in)[None, :]
    weights = kernel((j - centre[:, None] + 0.5) / max(ratio, 1.0)) * ((j >= low) & (j < high))
    total = weights.sum(1, keepdims=True)
    return np.divide(weights, total, out=weights, where=total != 0)


def _resize_axis(x: Tensor, axis: int, n_out: int, scale: float | None, mode: str,
                 align_corners: bool, antialias: bool = False, plane: int = 0) -> Tensor:
    if antialias:
        matrix = _antialias_matrix(x.shape[axis], n_out, scale, mode, align_corners)
        return (x.movedim(axis, -1) @ matrix.T.astype(x.dtype)).movedim(-1, axis)
    n_in = x.shape[axis]
    if mode in ("nearest", "nearest-exact"):  # nearest-exact: the nearest source centre
        index = _nearest_index(n_in, n_out, scale, mode == "nearest-exact", x, plane)
        return x._index_select(axis, index)
    if n_out == n_in and (mode != "bicubic" or align_corners or scale in (None, 1.0)):
        return x  # PyTorch copies, whatever the scale (bicubic only at a ratio of 1)
    shape = (n_out,) + (1,) * (x.ndim - axis - 1)
    if n_in * n_out <= _MATRIX_MOST and xp.finite(x._data):  # (0 * inf would spread NaN)
        taps = _cubic_sources(n_in, n_out, scale, align_corners) if mode == "bicubic" else \
            _linear_taps(n_in, n_out, scale, align_corners)
        matrix = _taps_matrix(n_in, n_out, *taps).T.astype(x.dtype)
        return (x.movedim(axis, -1) @ matrix).movedim(-1, axis)  # (an array: a
        # constant the node keeps, not a tensor's version, as PyTorch's saves nothing)
    if mode == "bicubic":
        indices, weights = _cubic_sources(n_in, n_out, scale, align_corners)
        terms = [x._index_select(axis, i) * w.astype(x.dtype).reshape(shape)
                 for i, w in zip(indices, weights)]
        return terms[0] + terms[1] + terms[2] + terms[3]
    left, right, weight = _linear_sources(n_in, n_out, scale, align_corners)
    weight = weight.astype(x.dtype).reshape(shape)
    return x._index_select(axis, left) * (1 - weight) + x._index_select(axis, right) * weight


@xp.quiet  # inf beside -inf in a blend is nan, silently (as PyTorch)
def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the last 1 (3-D input) or 2 (4-D input) axes to `size`, or by `scale_factor`
    (output size floor(in * scale)). 'nearest' takes source index floor(dst * in / out)
    (floor(dst / scale) when scale_factor is given), 'nearest-exact' floor((dst + 0.5) *
    in / out); 'area' averages each output cell's share of the input (adaptive average
    pooling); 'linear' / 'bilinear' blend the two
    nearest sources, with half-pixel centres (align_corners=False, the default) or with the
    corner pixels aligned (align_corners=True). recompute_scale_factor=True makes a given
    scale_factor only set the size, positions then use in / out. antialias=True (modes
    'bilinear', 'bicubic', 'lanczos' (which needs it), 4-D) filters as PyTorch's and Pillow's."""
    x = to_tensor(input)
    if recompute_scale_factor and size is not None and scale_factor is None:
        raise TensorError("recompute_scale_factor is not meaningful with an explicit size "
                          f"(interpolate: size={size} given for input shape {x.shape})")
    if x.dtype == np.uint8 and (mode == "nearest-exact" or x.ndim == 4 and mode in (
            "bilinear", "bicubic")):  # images: PyTorch's uint8 kernels, within 1-2 levels
        return _uint8_image(x, size, scale_factor, mode, align_corners, recompute_scale_factor,
                            antialias)
    _check(x, size, scale_factor, mode, align_corners, antialias)
    spatial = x.ndim - 2
    if size is not None:
        sizes = [int_value("interpolate", "size", n)  # (2.5 is PyTorch's TypeError, not 2)
                 for n in _per_axis("size", size, spatial, x.shape)]
        scales: list[float | None] = [None] * spatial
    else:
        factors = [float(s) for s in _per_axis("scale_factor", scale_factor, spatial, x.shape)]
        sizes = [math.floor(n * s) for n, s in zip(x.shape[2:], factors)]
        scales = [None] * spatial if recompute_scale_factor else list(factors)
    if any(n < 0 or n == 0 and mode != "area" for n in sizes):  # ('area': empty, as PyTorch)
        raise TensorError(f"interpolate: output size {tuple(sizes)} must be positive "
                          f"(input shape {x.shape})")
    if mode == "area":  # the mean of each output cell's share of the input, as PyTorch's
        from tinygrad_np.nn import functional as F  # (which imports this module)

        pool = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d,
                3: F.adaptive_avg_pool3d}[spatial]
        return pool(x, sizes[0] if spatial == 1 else tuple(sizes))
    source = x
    for offset, (n_out, scale) in enumerate(zip(sizes, scales)):
        x = _resize_axis(x, 2 + offset, n_out, scale, mode, bool(align_corners), antialias,
                         math.prod(sizes))
    x = x if spatial < 3 else x.contiguous()  # (3-d: C-ordered, so that views work)
    if x is source:  # an unchanged size: a new tensor, as PyTorch's (not the input renamed)
        x = x.clone()
    return pytorch_named(x, _node_name(mode, spatial, antialias)) if mode in _NODES else x


_NODES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
          "bilinear": "Bilinear", "trilinear": "Trilinear", "bicubic": "Bicubic"}


def _node_name(mode: str, spatial: int, antialias: bool) -> str:
    """PyTorch's node for a resize (`UpsampleBilinear2DBackward0`): display only."""
    return f"Upsample{_NODES[mode]}{spatial}D{'Aa' if antialias else ''}Backward0"


def _uint8_image(x: Tensor, size: Any, scale_factor: Any, mode: str, align_corners: Any,
                 recompute: Any, antialias: bool) -> Tensor:
    """A uint8 image resized in float32 and rounded, bicubic as PyTorch's fixed-point kernel:
    along the width first, rounded and clamped to 0..255, then along the height."""
    resized = interpolate(x.float(), size, scale_factor, mode, align_corners, recompute,
                          antialias)
    if mode == "bicubic":
        height, width = resized.shape[2:]
        across = interpolate(x.float(), (x.shape[2], width), None, mode, align_corners,
                             None, antialias).round().clamp(0, 255)
        resized = interpolate(across, (height, width), None, mode, align_corners, None,
                              antialias)
    return resized.round().clamp(0, 255).to(np.uint8)


def _deprecated(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", UserWarning, stacklevel=3)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None,  # noqa: A002
             mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """PyTorch's deprecated name of `interpolate` (same arguments and results, and its
    UserWarning)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None  # noqa: A002
                     ) -> Tensor:
    """`interpolate(..., mode="nearest")` (PyTorch's deprecated spelling, and its warning)."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None  # noqa: A002
                      ) -> Tensor:
    """`interpolate(..., mode="bilinear", align_corners=True)`, as PyTorch's deprecated
    function (which aligns the corners), with its warning."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)
