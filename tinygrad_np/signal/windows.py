"""`torch.signal.windows`: window functions of M points with PyTorch's keyword-only options
(`sym`, `dtype`, `layout`, `device`, `requires_grad`). sym=True (the default) gives the
symmetric window, for filter design; sym=False the periodic one, for spectral analysis: the
first M points of the symmetric window of M + 1. One point is [1.] (exponential: its value at
`center`), none is empty.

    import tinygrad_np as torch
    torch.signal.windows.gaussian(64, std=8.0), torch.signal.windows.hann(256, sym=False)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.tensor import Tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _window(name: str, M: int, sym: bool, dtype: Any, requires_grad: bool,  # noqa: N803
            values: Callable[[int], np.ndarray]) -> Tensor:
    """The window of M points from `values(n)`, the symmetric window of n points (n >= 1)."""
    if isinstance(M, bool) or not isinstance(M, (int, np.integer)):
        raise TypeError(f"signal.windows.{name}: M must be an int, got {M!r}")
    if M < 0:
        raise ValueError(f"signal.windows.{name}: requires non-negative window length, "
                         f"got M={M}")
    dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"signal.windows.{name}: expects float32 or float64 dtypes, got "
                         f"{dtype}")
    points = np.zeros(0) if M == 0 else values(M + 1 if not sym and M > 1 else M)[:M]
    return Tensor(np.asarray(points, dtype), requires_grad=requires_grad)


def _positive(name: str, what: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"signal.windows.{name}: {what} must be positive, got {value}")


def exponential(M: int, *, center: float | None = None, tau: float = 1.0,  # noqa: N803
                sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:
    """exp(-|n - center| / tau); `center` defaults to the middle ((M - 1) / 2) and must be
    left out for a symmetric window."""
    if sym and center is not None:
        raise ValueError("signal.windows.exponential: center must be None for symmetric "
                         "windows (sym=True)")
    _positive("exponential", "tau", tau)

    def values(n: int) -> np.ndarray:
        middle = (n - 1) / 2 if center is None else center
        return np.exp(-np.abs(np.arange(n) - middle) / tau)
    return _window("exponential", M, sym, dtype, requires_grad, values)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype: Any = None,  # noqa: N803
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """exp(-(n - (M - 1) / 2)^2 / (2 std^2))."""
    _positive("gaussian", "std", std)
    return _window("gaussian", M, sym, dtype, requires_grad, lambda n: np.exp(
        -0.5 * ((np.arange(n) - (n - 1) / 2) / std) ** 2))


def cosine(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """sin(pi (n + 1/2) / M), the sine window."""
    return _window("cosine", M, sym, dtype, requires_grad,
                   lambda n: np.sin(np.pi * (np.arange(n) + 0.5) / n))


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype: Any = None,  # noqa: N803
           layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)."""
    if not beta >= 0:
        raise ValueError(f"signal.windows.kaiser: beta must be non-negative, got {beta}")
    return _window("kaiser", M, sym, dtype, requires_grad, lambda n: np.kaiser(n, beta))


def bartlett(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """The triangle 1 - |2n / (M - 1) - 1|."""
    return _window("bartlett", M, sym, dtype, requires_grad, np.bartlett)


def general_cosine(M: int, *, a: Sequence[float], sym: bool = True,  # noqa: N803
                   dtype: Any = None, layout: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
    """sum_k (-1)^k a[k] cos(2 pi k n / (M - 1)), a weighted sum of cosines."""
    return _cosines("general_cosine", M, a, sym, dtype, requires_grad)


def _cosines(name: str, M: int, a: Sequence[float], sym: bool, dtype: Any,  # noqa: N803
             requires_grad: bool) -> Tensor:
    """general_cosine, with the name its errors show."""
    if not isinstance(a, (list, tuple)):
        raise TypeError(f"signal.windows.{name}: the coefficients a must be a list or tuple, "
                        f"got {type(a).__name__}")
    if not a:
        raise ValueError(f"signal.windows.{name}: the coefficients a cannot be empty")

    def values(n: int) -> np.ndarray:
        if n == 1:
            return np.ones(1)
        phase = 2 * math.pi * np.arange(n) / (n - 1)
        return sum((-1) ** k * weight * np.cos(k * phase) for k, weight in enumerate(a))
    return _window(name, M, sym, dtype, requires_grad, values)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True,  # noqa: N803
                    dtype: Any = None, layout: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """alpha - (1 - alpha) cos(2 pi n / (M - 1))."""
    return _cosines("general_hamming", M, [alpha, 1.0 - alpha], sym, dtype, requires_grad)


def hann(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / (M - 1))."""
    return _cosines("hann", M, [0.5, 0.5], sym, dtype, requires_grad)


def hamming(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """0.54 - 0.46 cos(2 pi n / (M - 1))."""
    return _cosines("hamming", M, [0.54, 0.46], sym, dtype, requires_grad)


def blackman(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / (M - 1)) + 0.08 cos(4 pi n / (M - 1))."""
    return _cosines("blackman", M, [0.42, 0.5, 0.08], sym, dtype, requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """The minimum 4-term Blackman-Harris window of Nuttall (1981)."""
    return _cosines("nuttall", M, [0.3635819, 0.4891775, 0.1365995, 0.0106411], sym, dtype,
                    requires_grad)
