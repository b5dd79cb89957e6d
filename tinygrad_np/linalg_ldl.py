"""`linalg.ldl_factor`, `ldl_factor_ex` and `ldl_solve`: the Bunch-Kaufman factorization
P A P^T = L D L^T of a symmetric matrix (D with 1x1 and 2x2 blocks), from A's lower triangle,
step for step as LAPACK's sytf2 / sytrs, so the compact LD and the pivots (1-based; a negative
pair marks a 2x2 block) are PyTorch's. No derivative, as PyTorch: a result requires grad when
its input does, and backward raises."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import return_types
from tinygrad_np.errors import TensorError
from tinygrad_np.linalg import LinAlgError, _float, _square, check_system, first_failure
from tinygrad_np.ops.linalg import NoDerivative
from tinygrad_np.tensor import Tensor

ALPHA = (1 + math.sqrt(17)) / 8  # LAPACK's Bunch-Kaufman threshold


def _sytf2(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(LD, pivots, info) of one matrix, from its lower triangle, as LAPACK's dsytf2 'L'."""
    a = np.tril(a).astype(a.dtype, copy=True)
    n, info, k = a.shape[-1], 0, 0
    pivots = np.zeros(n, np.int32)
    while k < n:
        step, absakk = 1, abs(a[k, k])
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k]))) if k + 1 < n else k
        colmax = abs(a[imax, k]) if k + 1 < n else 0.0
        if max(absakk, colmax) == 0 or math.isnan(absakk):
            info, kp = info or k + 1, k
        else:
            kp = k
            if absakk < ALPHA * colmax:
                rowmax = np.abs(a[imax, k:imax]).max()
                if imax + 1 < n:
                    rowmax = max(rowmax, np.abs(a[imax + 1:, imax]).max())
                if absakk >= ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= ALPHA * rowmax:
                    kp = imax
                else:
                    kp, step = imax, 2
            kk = k + step - 1
            if kp != kk:  # swap rows and columns kk and kp of the trailing lower triangle
                a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                column, row = a[kk + 1:kp, kk].copy(), a[kp, kk + 1:kp].copy()
                a[kk + 1:kp, kk], a[kp, kk + 1:kp] = row, column
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if step == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if step == 1 and k + 1 < n:
                d11, x = 1 / a[k, k], a[k + 1:, k].copy()
                a[k + 1:, k + 1:] += np.tril(np.outer(x, -d11 * x))  # (dsyr's rounding)
                a[k + 1:, k] *= d11
            elif step == 2 and k + 2 < n:
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                d21 = 1 / (d11 * d22 - 1) / d21
                for j in range(k + 2, n):
                    wk = d21 * (d11 * a[j, k] - a[j, k + 1])
                    wkp1 = d21 * (d22 * a[j, k + 1] - a[j, k])
                    a[j:, j] -= a[j:, k] * wk + a[j:, k + 1] * wkp1
                    a[j, k], a[j, k + 1] = wk, wkp1
        pivots[k:k + step] = kp + 1 if step == 1 else -(kp + 1)
        k += step
    return a, pivots, info


def _sytrs(ld: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X with A X = B for A = LD's factorization, as LAPACK's dsytrs 'L' (B (n, k))."""
    n, x, k = ld.shape[-1], b.copy(), 0
    while k < n:  # L D Y = P B
        if pivots[k] > 0:
            kp = pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            x[k + 1:] -= np.outer(ld[k + 1:, k], x[k])
            x[k] /= ld[k, k]
            k += 1
            continue
        kp = -pivots[k] - 1
        x[[k + 1, kp]] = x[[kp, k + 1]]
        x[k + 2:] -= np.outer(ld[k + 2:, k], x[k]) + np.outer(ld[k + 2:, k + 1], x[k + 1])
        akm1k = ld[k + 1, k]
        akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
        bkm1, bk = x[k] / akm1k, x[k + 1] / akm1k
        denom = akm1 * ak - 1
        x[k], x[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
        k += 2
    k = n - 1
    while k >= 0:  # L^T P X = Y
        x[k] -= ld[k + 1:, k] @ x[k + 1:]
        step = 1 if pivots[k] > 0 else 2
        if step == 2:
            x[k - 1] -= ld[k + 1:, k - 1] @ x[k + 1:]
        kp = abs(int(pivots[k])) - 1
        x[[k, kp]] = x[[kp, k]]
        k -= step
    return x


def ldl_factor_ex(input: Tensor, *, hermitian: bool = False,  # noqa: A002
                  check_errors: bool = False) -> Any:
    """(LD, pivots, info): L (unit diagonal, below) and D (its blocks on and next to the
    diagonal) in one lower-triangular matrix, LAPACK's pivots (int32) and info (the first
    zero of D's diagonal, 1-based; 0 if none)."""
    tensor = _float("ldl_factor_ex", _square("ldl_factor_ex", input))
    a = tensor._data
    ld, pivots = np.zeros_like(a), np.zeros(a.shape[:-1], np.int32)
    info = np.zeros(a.shape[:-2], np.int32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for index in np.ndindex(info.shape):
            ld[index], pivots[index], info[index] = _sytf2(a[index])
    if check_errors and info.any():
        prefix, order = first_failure(info)
        raise LinAlgError(f"torch.linalg.ldl_factor_ex: {prefix}The factorization could not be "
                          f"completed because the input is singular (D[{order},{order}] is "
                          f"zero).")
    return return_types.linalg_ldl_factor_ex(
        NoDerivative.apply(tensor, ld, "linalg_ldl_factor_ex"), Tensor(pivots), Tensor(info))


def ldl_factor(input: Tensor, *, hermitian: bool = False) -> Any:  # noqa: A002
    """(LD, pivots) as ldl_factor_ex; a singular D is an error, as PyTorch."""
    ld, pivots, info = ldl_factor_ex(input, hermitian=hermitian)
    if info._data.any():
        prefix, order = first_failure(info._data)
        raise LinAlgError(f"torch.linalg.ldl_factor: {prefix}The factorization could not be "
                          f"completed because the input is singular (D[{order},{order}] is "
                          f"zero).")
    return return_types.linalg_ldl_factor(ld, pivots)


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *,  # noqa: N803
              hermitian: bool = False) -> Tensor:
    """X with A X = B from ldl_factor's (LD, pivots); batch dims broadcast. No gradient
    (backward raises, as PyTorch's)."""
    ld = _float("ldl_solve", _square("ldl_solve", LD))
    if not isinstance(pivots, Tensor) or pivots.dtype.kind not in "iu":
        raise TensorError("torch.linalg.ldl_solve: Expected pivots to be integers. Got "
                          f"{getattr(pivots, 'dtype', type(pivots).__name__)}")
    if tuple(pivots.shape) != tuple(ld.shape[:-1]):
        raise TensorError(f"torch.linalg.ldl_solve: Expected LD.shape[:-1] and pivots.shape "
                          f"to be the same. Got pivots.shape = {tuple(pivots.shape)} and "
                          f"LD.shape[:-1] = {tuple(ld.shape[:-1])}")
    b = B if isinstance(B, Tensor) else Tensor(B)
    check_system("torch.linalg.ldl_solve", ld, b)
    if b.dtype != ld.dtype:
        raise TensorError(f"torch.linalg.ldl_solve: Expected LD and B to have the same dtype, "
                          f"but found LD of type {ld.dtype.name} and B of type {b.dtype.name} "
                          f"instead")
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    lds = np.broadcast_to(ld._data, batch + ld.shape[-2:])
    pivs = np.broadcast_to(pivots._data, batch + pivots.shape[-1:])
    bs = np.broadcast_to(b._data, batch + b.shape[-2:])
    x = np.empty(batch + b.shape[-2:], ld.dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for index in np.ndindex(batch):
            x[index] = _sytrs(lds[index], pivs[index], bs[index])
    return NoDerivative.apply(ld, b, x, "linalg_ldl_solve")


__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]
