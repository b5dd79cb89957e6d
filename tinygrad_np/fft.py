"""`torch.fft`, as far as real tensors go: tinygrad_np has no complex tensors, so the
transforms whose result is complex (`fft`, `rfft`, `ifft`, `fftn`, `ihfft`, ...) raise a
NotImplementedError naming themselves. What stays real works, with gradients:

* `fftfreq`, `rfftfreq` (the sample frequencies), `fftshift`, `ifftshift` (rolls);
* `irfft`, `irfft2`, `irfftn`, `hfft`, `hfft2`, `hfftn` of a real input (a half spectrum
  with zero imaginary parts, as PyTorch reads a real tensor given to them). Each is a real
  linear map y = irfftn(x); its gradient is dx = Re(rfftn(g)) scaled as the forward, the
  bins that stand for two (k and n - k) of the last dim counted twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.factories import arange
from tinygrad_np.function import Function
from tinygrad_np.functional_forms import with_out
from tinygrad_np.tensor import Tensor, check_dim, int_tuple, to_tensor

_NORMS = {None: "backward", "backward": "backward", "ortho": "ortho", "forward": "forward"}
_ADJOINT_NORM = {"backward": "forward", "ortho": "ortho", "forward": "backward"}
_COMPLEX_RESULTS = ("fft", "ifft", "rfft", "fft2", "ifft2", "rfft2", "fftn", "ifftn", "rfftn",
                    "ihfft", "ihfft2", "ihfftn")


def _fit(array: np.ndarray, sizes: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """`array` cropped or zero-padded to `sizes` along `axes` (NumPy's rule for `s=`)."""
    index = [slice(None)] * array.ndim
    pads = [(0, 0)] * array.ndim
    for size, axis in zip(sizes, axes):
        index[axis] = slice(0, size)
        pads[axis] = (0, max(0, size - array.shape[axis]))
    return np.pad(array[tuple(index)], pads)


def _irfftn(x: np.ndarray, sizes: tuple, axes: tuple, norm: str) -> np.ndarray:
    return np.fft.irfftn(x, s=sizes, axes=axes, norm=norm).astype(x.dtype, copy=False)


def _irfftn_adjoint(g: np.ndarray, in_sizes: tuple, sizes: tuple, axes: tuple,
                    norm: str) -> np.ndarray:
    """Re(rfftn(g)), the bins k of the last axis with 0 < k < n - k doubled, fitted to x."""
    spectrum = np.fft.rfftn(g, axes=axes, norm=_ADJOINT_NORM[norm]).real
    n, bins = sizes[-1], np.arange(spectrum.shape[axes[-1]])
    weight = np.where((bins > 0) & (2 * bins != n), 2.0, 1.0)
    spectrum = spectrum * weight.reshape((-1,) + (1,) * (g.ndim - 1 - axes[-1]))
    return _fit(spectrum, in_sizes, axes).astype(g.dtype, copy=False)


class Irfftn(Function):
    """y = irfftn(x) of a real half spectrum x;  dx = Re(rfftn(g)) w (adjoint of the map)."""

    def forward(ctx, x, sizes, axes, norm):
        ctx.args = (tuple(x.shape[a] for a in axes), sizes, axes, norm)
        return _irfftn(x, sizes, axes, norm)

    def backward(ctx, grad_output):
        if xp.is_tensor(grad_output):
            return IrfftnAdjoint.apply(grad_output, *ctx.args), None, None, None
        return _irfftn_adjoint(grad_output, *ctx.args), None, None, None


class IrfftnAdjoint(Function):
    """y = Re(rfftn(g)) w fitted to x's sizes (Irfftn's gradient);  dg = irfftn(dy)."""

    def forward(ctx, g, in_sizes, sizes, axes, norm):
        ctx.args = (sizes, axes, norm)
        return _irfftn_adjoint(g, in_sizes, sizes, axes, norm)

    def backward(ctx, grad_output):
        dg = (Irfftn.apply if xp.is_tensor(grad_output) else _irfftn)(grad_output, *ctx.args)
        return dg, None, None, None, None


def _real_input(op: str, input: Any) -> Tensor:  # noqa: A002
    tensor = to_tensor(input)
    kind = tensor.dtype.kind
    if kind in "biu":
        return tensor.to(get_default_dtype())
    if tensor.dtype == np.float16:
        raise RuntimeError(f"fft.{op}: Unsupported dtype Half (float16); use float32 or "
                           "float64, as PyTorch's CPU build")
    return tensor


def _axes(op: str, dims: Any, tensor: Tensor) -> tuple[int, ...]:
    """`dims` as axes of `tensor`; a 0-d tensor has none (PyTorch's IndexError)."""
    dims = int_tuple(dims, f"fft.{op}(): argument 'dim'")
    if not tensor.ndim and dims:
        raise IndexError(f"fft.{op}: Dimension specified as {dims[0]} but tensor has no "
                         "dimensions")
    return tuple(check_dim(f"fft.{op}", d, tensor.ndim) for d in dims)


def _plan(op: str, tensor: Tensor, s: Any, dim: Any, norm: Any) -> tuple:
    """(output sizes, axes, NumPy norm) for `s=` and `dim=` as PyTorch reads them."""
    if norm not in _NORMS:
        raise RuntimeError(f"fft.{op}: Invalid normalization mode: {norm!r}")
    sizes = None if s is None else int_tuple(s, f"fft.{op}(): argument 's'")
    if dim is None:
        count = tensor.ndim if sizes is None else len(sizes)
        if count > tensor.ndim:
            raise RuntimeError(f"fft.{op}: got shape with {count} values but input tensor "
                               f"only has {tensor.ndim} dimensions")
        axes = tuple(range(tensor.ndim - count, tensor.ndim))
    else:
        axes = _axes(op, dim, tensor)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"fft.{op}: dims must be unique, got {dim}")
        if sizes is not None and len(sizes) != len(axes):
            raise RuntimeError(f"fft.{op}: When given, dim and shape arguments must have the "
                               f"same length (got s={s}, dim={dim})")
    if not axes:
        raise RuntimeError(f"fft.{op}: must transform at least one axis")
    defaults = [tensor.shape[a] for a in axes[:-1]] + [2 * (tensor.shape[axes[-1]] - 1)]
    sizes = tuple(default if sizes is None or sizes[i] == -1 else sizes[i]
                  for i, default in enumerate(defaults))
    for size in sizes:
        if size < 1:
            raise RuntimeError(f"fft.{op}: Invalid number of data points ({size}) specified")
    return sizes, axes, _NORMS[norm]


def _c2r(op: str, input: Any, s: Any, dim: Any, norm: Any, hermitian: bool) -> Tensor:  # noqa: A002
    tensor = _real_input(op, input)
    sizes, axes, norm = _plan(op, tensor, s, dim, norm)
    # hfft of a real x is irfft with the normalisations swapped (conj(x) = x)
    return Irfftn.apply(tensor, sizes, axes, _ADJOINT_NORM[norm] if hermitian else norm)


@with_out
def irfft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None  # noqa: A002
          ) -> Tensor:
    """The inverse of rfft: n real samples from a (real) one-sided spectrum along `dim`."""
    return _c2r("irfft", input, None if n is None else (n,), (dim,), norm, False)


@with_out
def irfft2(input: Any, s: Any = None, dim: Any = (-2, -1), norm: str | None = None  # noqa: A002
           ) -> Tensor:
    """irfftn over two dims (the last two by default)."""
    return _c2r("irfft2", input, s, dim, norm, False)


@with_out
def irfftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None  # noqa: A002
           ) -> Tensor:
    """The n-dimensional inverse of rfftn, of a real input (the last dim is the half one)."""
    return _c2r("irfftn", input, s, dim, norm, False)


@with_out
def hfft(input: Any, n: int | None = None, dim: int = -1, norm: str | None = None  # noqa: A002
         ) -> Tensor:
    """The FFT of a Hermitian-symmetric signal given by its (real) half: n real values."""
    return _c2r("hfft", input, None if n is None else (n,), (dim,), norm, True)


@with_out
def hfft2(input: Any, s: Any = None, dim: Any = (-2, -1), norm: str | None = None  # noqa: A002
          ) -> Tensor:
    """hfftn over two dims (the last two by default)."""
    return _c2r("hfft2", input, s, dim, norm, True)


@with_out
def hfftn(input: Any, s: Any = None, dim: Any = None, norm: str | None = None  # noqa: A002
          ) -> Tensor:
    """The n-dimensional hfft of a real input."""
    return _c2r("hfftn", input, s, dim, norm, True)


def _frequencies(op: str, n: int, d: float, bins: int, dtype: Any, requires_grad: bool,
                 device: Any, layout: Any) -> Tensor:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"fft.{op}: n must be a non-negative int, got {n!r}")
    dtype = get_default_dtype() if dtype is None else dtype
    index = arange(bins, dtype=np.float64, device=device, layout=layout)
    if op == "fftfreq":
        index = index - n * (index >= (n + 1) // 2).to(np.float64)
    return (index / (n * d)).to(dtype).requires_grad_(requires_grad)


@with_out
def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The sample frequencies of fft(n samples, spacing d): [0, 1, ..., -2, -1] / (d n)."""
    return _frequencies("fftfreq", n, d, n, dtype, requires_grad, device, layout)


@with_out
def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The sample frequencies of rfft: [0, 1, ..., n // 2] / (d n)."""
    return _frequencies("rfftfreq", n, d, n // 2 + 1, dtype, requires_grad, device, layout)


def _shift(op: str, input: Any, dim: Any, sign: int) -> Tensor:  # noqa: A002
    tensor = to_tensor(input)
    axes = tuple(range(tensor.ndim)) if dim is None else _axes(op, dim, tensor)
    if not axes:  # (no dims to roll: PyTorch's roll error)
        raise RuntimeError("`shifts` required")
    return tensor.roll(tuple(sign * (tensor.shape[a] // 2) for a in axes), axes)


def fftshift(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """The zero frequency moved to the centre: a roll by n // 2 along each of `dim` (all)."""
    return _shift("fftshift", input, dim, 1)


def ifftshift(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """fftshift's inverse: a roll by -(n // 2)."""
    return _shift("ifftshift", input, dim, -1)


def _complex_result(name: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError(
            f"torch.fft.{name} is not supported by tinygrad_np: its result is complex, and "
            "tinygrad_np has no complex tensors. What works: fftfreq, rfftfreq, fftshift, "
            "ifftshift, and irfft/irfft2/irfftn/hfft/hfft2/hfftn of a real input")
    refused.__name__ = refused.__qualname__ = name
    refused.__doc__ = f"Refused (NotImplementedError): torch.fft.{name}'s result is complex."
    return refused


globals().update({name: _complex_result(name) for name in _COMPLEX_RESULTS})
__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift", "irfft", "irfft2", "irfftn", "hfft",
           "hfft2", "hfftn", *_COMPLEX_RESULTS]
