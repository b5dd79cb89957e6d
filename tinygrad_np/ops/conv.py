"""Convolution, transposed convolution, pooling and im2col (unfold / fold) over NCHW arrays.

The public layout is PyTorch's (batch, channels, height, width). Inside, the convolutions
work on "CHWN" arrays, the batch innermost: then every window of the im2col copy is a long
contiguous run (a whole row of pixels for all images), the convolution is ONE matrix
product weight (O, C*kh*kw) @ columns (C*kh*kw, Ho*Wo*N), and its result (O, Ho, Wo, N) is
handed out as an NCHW *view* (`transpose(3, 0, 1, 2)`). ReLU and pooling keep that memory
order (NumPy's elementwise loops follow it), so the next convolution takes it without a
copy. Measured on the LeNet-style step of benchmarks/conv.py, this beat NCHW im2col by
about 2x (see benchmarks/NOTES.md).

Gradients: dW = g @ columns^T and dcolumns = W^T @ g are BLAS calls; col2im adds the
columns back with one strided `+=` per kernel offset (kh*kw of them), never per pixel.
Pooling loops over kernel offsets the same way: each offset is a strided view of the input.

Every op also differentiates on Tensors (create_graph=True): there the gradients are written
with Tensor ops and `Unfold`/`Fold`, which are each other's backward.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError
from tinygrad_np.function import Function

_HALF = np.dtype(np.float16)

as_strided = np.lib.stride_tricks.as_strided


class Geometry(NamedTuple):
    """Where the windows of a 2-D convolution or pooling lie.

    pads = (top, bottom, left, right): rows/columns added around the input (zeros for
    convolutions, -inf for max pooling); `bottom`/`right` include ceil_mode's extra.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[int, int, int, int]
    dilation: tuple[int, int]

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(Ho, Wo): the number of window positions along each axis."""
        (kh, kw), (sh, sw), (top, bottom, left, right), (dh, dw) = self
        return ((height + top + bottom - dh * (kh - 1) - 1) // sh + 1,
                (width + left + right - dw * (kw - 1) - 1) // sw + 1)

    def tiles(self) -> bool:
        """Windows never overlap (each input element belongs to at most one window)."""
        (kh, kw), (sh, sw), _, (dh, dw) = self
        return sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1


# --------------------------------------------------------------------------- layout helpers
def _is_chwn(x: np.ndarray) -> bool:
    """True when the NCHW array `x` is stored batch innermost (C, H, W, N) in memory."""
    return x.transpose(1, 2, 3, 0).flags.c_contiguous


def _padded_chwn(x: np.ndarray, pads: tuple[int, int, int, int], fill: float = 0.0):
    """The NCHW array x as a C-contiguous (C, H + top + bottom, W + left + right, N) array.

    A view when x is already stored that way and needs no padding; else one copy (which
    also does the transpose), with the border set to `fill`.
    """
    top, bottom, left, right = pads
    chwn = x.transpose(1, 2, 3, 0)
    if not any(pads) and chwn.flags.c_contiguous:
        return chwn
    channels, height, width, batch = chwn.shape
    out = np.empty((channels, height + top + bottom, width + left + right, batch), x.dtype)
    out[:, top:top + height, left:left + width] = chwn
    if any(pads):  # only the border, so the inside is written once
        out[:, :top] = fill
        out[:, top + height:] = fill
        out[:, top:top + height, :left] = fill
        out[:, top:top + height, left + width:] = fill
    return out


def _window_views(padded: np.ndarray, geometry: Geometry, out_size: tuple[int, int]):
    """The (C, kh, kw, Ho, Wo, N) view of a padded CHWN array: [c, i, j, y, x, n] =
    padded[c, y*sh + i*dh, x*sw + j*dw, n]. No copy."""
    (kh, kw), (sh, sw), _, (dh, dw) = geometry
    stride_c, stride_h, stride_w, stride_n = padded.strides
    shape = (padded.shape[0], kh, kw, *out_size, padded.shape[3])
    strides = (stride_c, stride_h * dh, stride_w * dw, stride_h * sh, stride_w * sw, stride_n)
    return as_strided(padded, shape, strides, writeable=False)


def _offset_slices(geometry: Geometry, out_size: tuple[int, int]):
    """Per kernel offset (i, j), in row-major order: the (row, column) slices of a padded
    array that the offset's element of every window reads."""
    (kh, kw), (sh, sw), _, (dh, dw) = geometry
    out_h, out_w = out_size
    for i in range(kh):
        for j in range(kw):
            yield (slice(i * dh, i * dh + sh * (out_h - 1) + 1, sh),
                   slice(j * dw, j * dw + sw * (out_w - 1) + 1, sw))


def _col2im(columns: np.ndarray, padded_shape: tuple, geometry: Geometry) -> np.ndarray:
    """Adjoint of _window_views: add each (C, kh, kw, Ho, Wo, N) window element back to where
    it was read, into a zero (C, Hp, Wp, N) array. One strided add per kernel offset."""
    out = np.zeros(padded_shape, dtype=columns.dtype)
    kw = geometry.kernel[1]
    for offset, (rows, cols) in enumerate(_offset_slices(geometry, columns.shape[3:5])):
        out[:, rows, cols] += columns[:, offset // kw, offset % kw]
    return out


def _padded_nchw(x: np.ndarray, pads: tuple[int, int, int, int]) -> np.ndarray:
    """The NCHW array x with zero rows/columns around it (x itself when none are added)."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    n, channels, height, width = x.shape
    out = np.zeros((n, channels, height + top + bottom, width + left + right), x.dtype)
    out[:, :, top:top + height, left:left + width] = x
    return out


def _nchw_window_views(padded: np.ndarray, geometry: Geometry, out_size: tuple[int, int]):
    """The (N, C, kh, kw, Ho, Wo) view of a padded NCHW array: [n, c, i, j, y, x] =
    padded[n, c, y*sh + i*dh, x*sw + j*dw]. No copy."""
    (kh, kw), (sh, sw), _, (dh, dw) = geometry
    stride_n, stride_c, stride_h, stride_w = padded.strides
    shape = (*padded.shape[:2], kh, kw, *out_size)
    strides = (stride_n, stride_c, stride_h * dh, stride_w * dw, stride_h * sh, stride_w * sw)
    return as_strided(padded, shape, strides, writeable=False)


def _nchw_col2im(windows: np.ndarray, size: tuple[int, int], geometry: Geometry) -> np.ndarray:
    """Adjoint of _nchw_window_views for (N, C, kh, kw, Ho, Wo) windows: each element added
    back where it was read (one strided add per kernel offset, in _col2im's order), the
    padding cropped off: a C-contiguous (N, C, *size) array."""
    top, bottom, left, right = geometry.pads
    n, channels, kh, kw = windows.shape[:4]
    out = np.zeros((n, channels, size[0] + top + bottom, size[1] + left + right), windows.dtype)
    for offset, (rows, cols) in enumerate(_offset_slices(geometry, windows.shape[4:])):
        out[:, :, rows, cols] += windows[:, :, offset // kw, offset % kw]
    if not any(geometry.pads):
        return out
    return np.ascontiguousarray(out[:, :, top:top + size[0], left:left + size[1]])


def _crop(padded: np.ndarray, pads: tuple[int, int, int, int], size: tuple[int, int]):
    """The unpadded part of a CHWN array, as an NCHW view."""
    top, _, left, _ = pads
    return padded[:, top:top + size[0], left:left + size[1]].transpose(3, 0, 1, 2)


def _as_rows(grad_output: np.ndarray) -> np.ndarray:
    """An NCHW gradient as a C-contiguous (C, H*W*N) matrix (no copy if stored CHWN)."""
    chwn = np.ascontiguousarray(grad_output.transpose(1, 2, 3, 0))
    return chwn.reshape(chwn.shape[0], -1)


def _grouped_matmul(a: np.ndarray, b: np.ndarray, wide: bool = False) -> np.ndarray:
    """(g, m, k) @ (g, k, n), with one plain 2-D BLAS call when g == 1. float16 operands are
    multiplied in float32 (PyTorch accumulates half products in float32; NumPy's float16 loop
    rounds as it goes) and rounded once, unless `wide` (then float32, for a bias first)."""
    if a.dtype is _HALF:
        out = _grouped_matmul(a.astype(np.float32), b.astype(np.float32))
        if wide:
            return out
        with np.errstate(over="ignore"):  # (past 65504: inf, silently, as PyTorch)
            return out.astype(_HALF)
    if a.shape[2] == 1:  # outer products (depthwise dx): BLAS is slow at k = 1, and a
        return a * b     # product of one term is the same number
    return (a[0] @ b[0])[None] if a.shape[0] == 1 else a @ b


# --------------------------------------------------------------------------- im2col
@xp.quiet  # products and sums past the float range: inf or nan, silently (as PyTorch)
class Unfold(Function):
    """y = im2col(x): (N, C*kh*kw, Ho*Wo), as torch.nn.functional.unfold;  dx = fold(g)."""

    def forward(ctx, x, geometry):
        ctx.input_size, ctx.geometry = x.shape[2:], geometry
        out_size = geometry.output_size(*x.shape[2:])
        n = x.shape[0]
        if not _is_chwn(x):  # batch outermost (PyTorch's layouts): windows read in place
            windows = _nchw_window_views(_padded_nchw(x, geometry.pads), geometry, out_size)
            return windows.reshape(n, -1, out_size[0] * out_size[1])
        windows = _window_views(_padded_chwn(x, geometry.pads), geometry, out_size)
        return windows.transpose(5, 0, 1, 2, 3, 4).reshape(n, -1, out_size[0] * out_size[1])

    def backward(ctx, grad_output):
        return Fold.apply(grad_output, ctx.input_size, ctx.geometry)


@xp.quiet
class Fold(Function):
    """y = col2im(x) into (N, C, *size), adding overlaps, as F.fold;  dx = unfold(g)."""

    def forward(ctx, columns, size, geometry):
        ctx.geometry = geometry
        (kh, kw), pads = geometry.kernel, geometry.pads
        out_size = geometry.output_size(*size)
        n, rows, _ = columns.shape
        windows = columns.reshape(n, rows // (kh * kw), kh, kw, *out_size)
        channels = rows // (kh * kw)
        if n > 1 and columns.strides[0] > columns.strides[2]:  # batch outermost: add in NCHW
            return _nchw_col2im(windows, size, geometry)
        padded_shape = (channels, size[0] + pads[0] + pads[1], size[1] + pads[2] + pads[3], n)
        return _crop(_col2im(windows.transpose(1, 2, 3, 4, 5, 0), padded_shape, geometry),
                     pads, size)

    def backward(ctx, grad_output):
        return Unfold.apply(grad_output, ctx.geometry), None, None


# --------------------------------------------------------------------------- convolutions
@xp.quiet
class Conv2d(Function):
    """y = W * x + b (cross-correlation, groups);  dx = col2im(W^T g),  dW = g cols^T,
    db = g summed over batch and pixels."""

    def forward(ctx, x, weight, bias, geometry, groups):
        ctx.geometry, ctx.groups = geometry, groups
        ctx.save_for_backward(x, weight)
        out_size = geometry.output_size(*x.shape[2:])
        padded = _padded_chwn(x, geometry.pads)
        windows = _window_views(padded, geometry, out_size)
        ctx.padded_shape = padded.shape
        # The copy that makes the columns contiguous is the im2col; kept for dW.
        columns = np.ascontiguousarray(windows).reshape(groups, -1, windows[0, 0, 0].size)
        ctx.columns = columns
        out = _grouped_matmul(weight.reshape(groups, weight.shape[0] // groups, -1), columns,
                              wide=True)  # (float16: float32 here, the bias added, rounded)
        out = out.reshape(weight.shape[0], -1)
        if bias is not None and (bias.dtype == out.dtype or out.dtype != x.dtype):
            out += bias[:, None]  # in place: `out` is this op's own new array
        elif bias is not None:
            out = out + bias[:, None]
        if out.dtype != x.dtype and x.dtype is _HALF is weight.dtype and (
                bias is None or bias.dtype is _HALF):  # (a wider operand: promoted, unrounded)
            with np.errstate(over="ignore"):
                out = out.astype(_HALF)
        return out.reshape(weight.shape[0], *out_size, x.shape[0]).transpose(3, 0, 1, 2)

    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        if xp.is_tensor(grad_output):
            return _conv_grads_on_tensors(ctx, x, weight, grad_output)
        groups = ctx.groups
        rows = _as_rows(grad_output).reshape(groups, weight.shape[0] // groups, -1)
        grad_x = grad_weight = grad_bias = None
        if need_weight and rows.dtype is _HALF:
            grad_weight = _half_weight_grad(rows, ctx.columns, x.shape[0]).reshape(weight.shape)
        elif need_weight:
            grad_weight = _grouped_matmul(rows, ctx.columns.transpose(0, 2, 1))
            grad_weight = grad_weight.reshape(weight.shape)
        if need_x:
            matrix = weight.reshape(groups, weight.shape[0] // groups, -1).transpose(0, 2, 1)
            columns = _grouped_matmul(matrix, rows)  # (groups, C/g*kh*kw, Ho*Wo*N)
            channels, _, _, batch = ctx.padded_shape
            windows = columns.reshape(channels, *ctx.geometry.kernel, *grad_output.shape[2:],
                                      batch)
            grad_x = _crop(_col2im(windows, ctx.padded_shape, ctx.geometry), ctx.geometry.pads,
                           x.shape[2:])
        if need_bias:
            grad_bias = rows.reshape(weight.shape[0], -1).sum(axis=1)
        return grad_x, grad_weight, grad_bias


def _half_weight_grad(rows: np.ndarray, columns: np.ndarray, batch: int) -> np.ndarray:
    """A float16 conv's dW as PyTorch's CPU kernel makes it: each sample's g cols^T in
    float32, added to the float16 sum one sample at a time (rounded after each)."""
    groups, outs, _ = rows.shape
    rows = rows.astype(np.float32).reshape(groups, outs, -1, batch).transpose(3, 0, 1, 2)
    columns = columns.astype(np.float32).reshape(groups, columns.shape[1], -1, batch)
    per_sample = rows @ columns.transpose(3, 0, 2, 1)  # (N, groups, O/g, C/g*kh*kw)
    total = np.zeros(per_sample.shape[1:], _HALF)
    with np.errstate(over="ignore"):  # (past 65504: inf, silently, as PyTorch)
        for sample in per_sample:
            total = (total + sample).astype(_HALF)
    return total


def _conv_grads_on_tensors(ctx, x, weight, grad_output):
    """Conv2d's gradients as Tensor ops, so that they can be differentiated again."""
    groups, n = ctx.groups, grad_output.shape[0]
    out_channels = weight.shape[0]
    columns = Unfold.apply(x, ctx.geometry)  # (N, C*kh*kw, L)
    length = columns.shape[2]
    g = grad_output.reshape(n, groups, out_channels // groups, length)
    matrix = weight.reshape(groups, out_channels // groups, -1)
    grad_x = grad_weight = grad_bias = None
    if ctx.needs_input_grad[0]:
        grad_columns = (matrix.swapaxes(1, 2) @ g).reshape(n, -1, length)
        grad_x = Fold.apply(grad_columns, x.shape[2:], ctx.geometry)
    if ctx.needs_input_grad[1]:
        per_group = columns.reshape(n, groups, -1, length)
        grad_weight = (g @ per_group.swapaxes(2, 3)).sum(axis=0).reshape(weight.shape)
    if ctx.needs_input_grad[2]:
        grad_bias = grad_output.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias


@xp.quiet
class ConvTranspose2d(Function):
    """y = col2im(W^T x) + b (the adjoint of Conv2d);  dx = W im2col(g),  dW = x im2col(g)^T."""

    def forward(ctx, x, weight, bias, geometry, groups, output_size):
        ctx.geometry, ctx.groups = geometry, groups
        ctx.save_for_backward(x, weight)
        in_channels, out_per_group = weight.shape[:2]
        n, _, height, width = x.shape
        rows = _as_rows(x).reshape(groups, in_channels // groups, -1)  # (g, C/g, H*W*N)
        matrix = weight.reshape(groups, in_channels // groups, -1).transpose(0, 2, 1)
        columns = _grouped_matmul(matrix, rows)  # (g, O/g*kh*kw, H*W*N)
        out_channels = out_per_group * groups
        windows = columns.reshape(out_channels, *geometry.kernel, height, width, n)
        pads = geometry.pads
        padded_shape = (out_channels, output_size[0] + pads[0] + pads[1],
                        output_size[1] + pads[2] + pads[3], n)
        out = _crop(_col2im(windows, padded_shape, geometry), pads, output_size)
        if bias is not None:
            out = out + bias[:, None, None]
        return out

    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        groups = ctx.groups
        in_channels = weight.shape[0]
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        if xp.is_tensor(grad_output):
            n, length = x.shape[0], x.shape[2] * x.shape[3]
            g = Unfold.apply(grad_output, ctx.geometry)
            windows = ctx.geometry.output_size(*grad_output.shape[2:])
            if windows != tuple(x.shape[2:]):  # output_padding >= stride: windows past x's
                g = g.reshape(n, -1, *windows)[:, :, :x.shape[2], :x.shape[3]]
            g = g.reshape(n, groups, -1, length)
            grad_x = grad_weight = grad_bias = None
            if need_x:
                matrix = weight.reshape(groups, in_channels // groups, -1)
                grad_x = (matrix @ g).reshape(x.shape)
            if need_weight:
                rows = x.reshape(n, groups, in_channels // groups, length)
                grad_weight = (rows @ g.swapaxes(2, 3)).sum(axis=0).reshape(weight.shape)
            if need_bias:
                grad_bias = grad_output.sum(axis=(0, 2, 3))
            return grad_x, grad_weight, grad_bias
        padded = _padded_chwn(grad_output, ctx.geometry.pads)
        windows = _window_views(padded, ctx.geometry, x.shape[2:])
        columns = np.ascontiguousarray(windows).reshape(groups, -1, windows[0, 0, 0].size)
        grad_x = grad_weight = grad_bias = None
        if need_x:
            matrix = weight.reshape(groups, in_channels // groups, -1)
            rows = _grouped_matmul(matrix, columns).reshape(in_channels, *x.shape[2:], -1)
            grad_x = rows.transpose(3, 0, 1, 2)
        if need_weight:
            rows = _as_rows(x).reshape(groups, in_channels // groups, -1)
            grad_weight = _grouped_matmul(rows, columns.transpose(0, 2, 1)).reshape(weight.shape)
        if need_bias:
            grad_bias = _as_rows(grad_output).sum(axis=1)
        return grad_x, grad_weight, grad_bias


# --------------------------------------------------------------------------- pooling
class MaxPool2d(Function):
    """y = max over each window;  dx = g sent to the window's first maximum (row-major
    order, as PyTorch), 0 elsewhere."""

    mask_only = True  # (ops/masked.py)

    def forward(ctx, x, geometry):
        ctx.geometry = geometry
        padded = _padded_chwn(x, geometry.pads, _lowest(x.dtype))
        views = [padded[:, rows, cols]
                 for rows, cols in _offset_slices(geometry, geometry.output_size(*x.shape[2:]))]
        best = views[0].copy() if len(views) == 1 else np.maximum(views[0], views[1])
        for view in views[2:]:
            np.maximum(best, view, out=best)  # carries NaN through, as PyTorch
        y = best.transpose(3, 0, 1, 2)
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        if xp.is_tensor(grad_output):
            positions = _winner_positions(ctx.geometry, _winners(ctx.geometry, x._data, y._data))
            return xp.index_add(grad_output, positions, x.shape), None
        geometry = ctx.geometry
        g = grad_output.transpose(1, 2, 3, 0)
        padded = _padded_chwn(x, geometry.pads, _lowest(x.dtype))
        (kh, kw), out_h, out_w = geometry.kernel, *g.shape[1:3]
        exact = (geometry.stride == geometry.kernel and geometry.dilation == (1, 1)
                 and not any(geometry.pads) and x.shape[2:] == (out_h * kh, out_w * kw))
        # Windows that tile the input exactly write every element once: no zeroing needed.
        grad = (np.empty if exact else np.zeros)(padded.shape, dtype=grad_output.dtype)
        tiles, finite = geometry.tiles(), xp.finite(g)  # (inf * 0 would be NaN)
        for (rows, cols), mask in _first_max_masks(geometry, padded, y.transpose(1, 2, 3, 0)):
            if tiles and finite:  # each input element is in one window: write instead of add
                np.multiply(g, mask, out=grad[:, rows, cols])
            elif tiles:
                grad[:, rows, cols] = xp.where(mask, g, 0)
            else:
                grad[:, rows, cols] += g * mask if finite else xp.where(mask, g, 0)
        return _crop(grad, geometry.pads, x.shape[2:]), None


def _lowest(dtype: np.dtype):
    """The padding value of max pooling: -inf, or the smallest integer."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _first_max_masks(geometry: Geometry, padded: np.ndarray, best: np.ndarray):
    """Per kernel offset: its slices and the mask of windows whose FIRST maximum (in
    row-major offset order) is at this offset. Ties go to the first, as in PyTorch.

    As PyTorch's kernel, the padding never wins (a window of -inf picks its first real
    element), and a window whose maximum is NaN picks its LAST NaN."""
    slices = list(_offset_slices(geometry, best.shape[1:3]))
    top, bottom, left, right = geometry.pads
    real = None
    if any(geometry.pads):
        real = np.zeros((1,) + padded.shape[1:3] + (1,), dtype=bool)
        real[:, top:padded.shape[1] - bottom, left:padded.shape[2] - right] = True
    last_nan = None
    if best.dtype.kind == "f" and np.isnan(best).any():
        last_nan = np.full(best.shape, -1)
        for position, (rows, cols) in enumerate(slices):
            last_nan[np.isnan(padded[:, rows, cols])] = position
    taken = None
    for position, (rows, cols) in enumerate(slices):
        mask = padded[:, rows, cols] == best
        if real is not None:
            mask &= real[:, rows, cols]
        if last_nan is not None:
            mask |= last_nan == position
        if taken is None:
            taken = mask.copy() if len(slices) > 1 else mask
        else:
            np.greater(mask, taken, out=mask)  # mask and not taken
            if position < len(slices) - 1:
                np.logical_or(taken, mask, out=taken)
        yield (rows, cols), mask


def _winners(geometry: Geometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N, C, Ho, Wo): the kernel offset (i * kw + j) of each window's first maximum."""
    padded = _padded_chwn(x, geometry.pads, _lowest(x.dtype))
    best = y.transpose(1, 2, 3, 0)
    winner = np.zeros(best.shape, dtype=np.intp)
    for offset, (_, mask) in enumerate(_first_max_masks(geometry, padded, best)):
        winner[mask] = offset
    return winner.transpose(3, 0, 1, 2)


def _winner_positions(geometry: Geometry, winner: np.ndarray) -> tuple[np.ndarray, ...]:
    """(n, c, h, w) index arrays of each window's maximum in the unpadded NCHW input."""
    (kh, kw), (sh, sw), (top, _, left, _), (dh, dw) = geometry
    n, c, out_h, out_w = winner.shape
    rows = np.arange(out_h)[:, None] * sh + (winner // kw) * dh - top
    cols = np.arange(out_w) * sw + (winner % kw) * dw - left
    return (np.arange(n)[:, None, None, None], np.arange(c)[:, None, None], rows, cols)


def max_pool_indices(geometry: Geometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """PyTorch's return_indices: the flat position h*W + w of each maximum in its plane. A
    window of padding alone (dilation) has PyTorch's index too: its first row and column
    stepped by the dilation until not negative (h0 W + w0, which may lie past the plane)."""
    _, _, rows, cols = _winner_positions(geometry, _winners(geometry, x, y))
    height, width = x.shape[2:]
    outside = (rows < 0) | (rows >= height) | (cols < 0) | (cols >= width)
    if outside.any():
        (_, _), (sh, sw), (top, _, left, _), (dh, dw) = geometry
        first_row = np.arange(rows.shape[2])[:, None] * sh - top
        first_col = np.arange(cols.shape[3]) * sw - left
        first_row = np.where(first_row < 0, first_row % dh, first_row)  # (-top + k dh >= 0)
        first_col = np.where(first_col < 0, first_col % dw, first_col)
        rows, cols = np.where(outside, first_row, rows), np.where(outside, first_col, cols)
    return (rows * width + cols).astype(np.int64)


def _blocks(geometry: Geometry, shape: tuple, out_size: tuple[int, int]) -> bool:
    """The windows are adjacent blocks from the top-left corner (stride = kernel, no
    dilation or padding): pooling is then a reshape and a sum, with no loop over the kh * kw
    kernel offsets (a global average pool has H * W of them)."""
    (kh, kw), stride, pads, dilation = geometry
    return (stride == (kh, kw) and dilation == (1, 1) and not any(pads)
            and out_size[0] * kh <= shape[2] and out_size[1] * kw <= shape[3])


def _block_view(x: np.ndarray, geometry: Geometry, out_size: tuple[int, int]) -> np.ndarray:
    """(N, C, Ho, kh, Wo, kw): the blocks of x (the rows and columns past them dropped)."""
    (kh, kw), (out_h, out_w) = geometry.kernel, out_size
    return x[:, :, :out_h * kh, :out_w * kw].reshape(*x.shape[:2], out_h, kh, out_w, kw)


@xp.quiet
class AvgPool2d(Function):
    """y = sum over each window / divisor;  dx = g / divisor spread over each window."""

    mask_only = True  # dx is linked to x, derivative 0, as PyTorch's (ops/masked.py)

    def forward(ctx, x, geometry, divisor):
        ctx.geometry, ctx.input_shape, ctx.divisor = geometry, x.shape, divisor
        out_size = geometry.output_size(*x.shape[2:])
        if _blocks(geometry, x.shape, out_size) and np.ndim(divisor) == 0:
            rows = _block_view(x, geometry, out_size).sum(axis=3)  # (N, C, Ho, Wo, kw)
            total = rows.sum(axis=-1) if rows.shape[-1] > 16 else rows[..., 0].copy()
            for j in range(1, rows.shape[-1] if rows.shape[-1] <= 16 else 0):
                total += rows[..., j]  # (NumPy's sum over a short last axis is slow)
            return np.divide(total, divisor, out=total)
        padded = _padded_chwn(x, geometry.pads)
        slices = _offset_slices(geometry, out_size)
        rows, cols = next(slices)
        total = padded[:, rows, cols].copy()
        for rows, cols in slices:
            total += padded[:, rows, cols]
        total /= divisor[:, :, None] if np.ndim(divisor) else divisor
        return total.transpose(3, 0, 1, 2)

    def backward(ctx, grad_output):
        geometry, divisor = ctx.geometry, ctx.divisor
        n, channels, height, width = ctx.input_shape
        (kh, kw) = geometry.kernel
        if xp.is_tensor(grad_output):
            share = (grad_output / divisor).reshape(n, channels, 1, -1)
            columns = share.expand(n, channels, kh * kw, share.shape[3])
            return Fold.apply(columns.reshape(n, channels * kh * kw, -1), (height, width),
                              geometry), None, None
        if _blocks(geometry, ctx.input_shape, grad_output.shape[2:]) and np.ndim(divisor) == 0:
            out_h, out_w = grad_output.shape[2:]
            spread = (grad_output / divisor).repeat(kw, axis=3).repeat(kh, axis=2)
            if spread.shape != ctx.input_shape:  # rows or columns past the last block: 0
                grad = np.zeros(ctx.input_shape, spread.dtype)
                grad[:, :, :out_h * kh, :out_w * kw] = spread
                spread = grad
            return spread, None, None
        share = grad_output.transpose(1, 2, 3, 0) / (divisor[:, :, None] if np.ndim(divisor)
                                                      else divisor)
        top, bottom, left, right = geometry.pads
        grad = np.zeros((channels, height + top + bottom, width + left + right, n),
                        dtype=grad_output.dtype)
        for rows, cols in _offset_slices(geometry, share.shape[1:3]):
            grad[:, rows, cols] += share
        return _crop(grad, geometry.pads, (height, width)), None, None


class AdaptiveMaxPool2d(Function):
    """y = max over each adaptive window;  dx = g sent to the window's first maximum (its
    last NaN, if any)."""

    def forward(ctx, x, rows, cols):
        # rows (Ho, kh) and cols (Wo, kw): the input positions of each window, the last one
        # repeated to pad short windows (a repeat never wins: ties keep the first).
        # Separably: each input row's first maximum in each column window, then the first
        # row whose maximum is largest: the window's first maximum in row-major order (its
        # last NaN, if any, as PyTorch's).
        ctx.input_shape = x.shape
        across, column = _first_max(x, 3, cols)  # N C H Wo
        y, row = _first_max(across, 2, rows)  # N C Ho Wo
        batch = np.arange(x.shape[0])[:, None, None, None]
        channel = np.arange(x.shape[1])[:, None, None]
        at_row = rows[np.arange(rows.shape[0])[:, None], row]  # N C Ho Wo
        out_w = np.arange(cols.shape[0])
        at_column = cols[out_w, column[batch, channel, at_row, out_w]]
        ctx.positions = (batch, channel, at_row, at_column)
        return y

    def backward(ctx, grad_output):
        return xp.index_add(grad_output, ctx.positions, ctx.input_shape), None, None


def _first_max(x: np.ndarray, axis: int, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of each window along `axis` (windows: (out, k) positions, short ones
    padded by repeats) and the k of its first maximum, or of its last NaN (PyTorch's
    kernel takes every NaN it meets), one window position at a time over all windows."""
    best = np.take(x, windows[:, 0], axis=axis)
    which = np.zeros(best.shape, dtype=np.int64)
    nan = x.dtype.kind == "f" and not xp.finite(x) and bool(np.isnan(x).any())
    for k in range(1, windows.shape[1]):
        candidate = np.take(x, windows[:, k], axis=axis)
        wins = np.greater(candidate, best)
        if nan:
            wins |= np.isnan(candidate)
        np.copyto(best, candidate, where=wins)
        np.copyto(which, k, where=wins)
    return best, which


class EmptyAdaptivePool(Function):
    """An adaptive pool to an output size with a 0: y is empty;  no backward (PyTorch's
    refuses an empty grad_output, so this does too)."""

    def forward(ctx, x, output_shape, name):
        ctx.output_shape, ctx.name = output_shape, name
        return np.zeros(output_shape, dtype=x.dtype)

    def backward(ctx, grad_output):
        empty = next(axis for axis, size in enumerate(ctx.output_shape) if axis and not size)
        raise TensorError(f"{ctx.name}_backward(): Expected grad_output to have non-zero size "
                          f"for non-batch dimensions, but grad_output has sizes "
                          f"{list(ctx.output_shape)} with dimension {empty} being empty")
