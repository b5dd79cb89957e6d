"""Linear algebra primitives (`tinygrad_np.linalg` composes the rest from these).

Rules are written with `@`, `swapaxes`, indexing and masks, so they also run on Tensors
(create_graph). Decompositions with several results (eigh, svd, qr) return one packed array
that `tinygrad_np.linalg` slices into its parts; the rule unpacks the gradient the same way.
Inverses inside a rule go through `_inv`/`_solve`, which record `Inv`/`Solve` on Tensors.
Real (float) matrices only.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np.function import Function
from tinygrad_np.xp import is_tensor


def _mT(x):  # noqa: N802
    return x.swapaxes(-1, -2)


def _eye(n: int, like) -> np.ndarray:
    return np.eye(n, dtype=like.dtype)


def _inv(a):
    return Inv.apply(a) if is_tensor(a) else np.linalg.inv(a)


def _solve(a, b):
    return Solve.apply(a, b) if is_tensor(a) or is_tensor(b) else np.linalg.solve(a, b)


def _tril(x, k: int = 0):
    n = x.shape[-1]
    return x * np.tril(np.ones((n, n), dtype=x.dtype), k)


class Inv(Function):
    """Y = A^-1;  dA = -Y^T g Y^T."""

    def forward(ctx, a):
        y = np.linalg.inv(a)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return -(_mT(y) @ grad_output @ _mT(y))


class Det(Function):
    """d = det(A);  dA = g cof(A) = g d A^-T; for a singular A the cofactors from the SVD
    (U diag(prod of the other singular values) V^T, signed by det U det V)."""

    def forward(ctx, a):
        d = np.linalg.det(a)
        ctx.save_for_backward(a, d)
        return d

    def backward(ctx, grad_output):
        a, d = ctx.saved_tensors
        if is_tensor(a) or np.all(d != 0):
            return (grad_output * d)[..., None, None] * _mT(_inv(a))
        return grad_output[..., None, None] * _cofactors(a)


def _cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix of each (possibly singular) square matrix, from its SVD."""
    u, s, vt = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return sign[..., None, None] * (u * (before * after)[..., None, :]) @ vt


class LogAbsDet(Function):
    """log|det(A)|;  dA = g A^-T."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.linalg.slogdet(a)[1]

    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return grad_output[..., None, None] * _mT(_inv(a))


class Solve(Function):
    """X = A^-1 B (B (..., n, k), batch axes broadcast);  dB = A^-T g,  dA = -dB X^T."""

    def forward(ctx, a, b):
        x = np.linalg.solve(a, b)
        ctx.save_for_backward(a, x)
        return x

    def backward(ctx, grad_output):
        a, x = ctx.saved_tensors
        grad_b = _solve(_mT(a), grad_output)
        return -(grad_b @ _mT(x)) if ctx.needs_input_grad[0] else None, grad_b


class Cholesky(Function):
    """L = cholesky(A), lower (reads A's lower triangle);  with X = tril(L^T g) and
    P = (X + tril(X, -1)^T) / 2 (symmetric), dA = L^-T P L^-1, PyTorch's symmetric gradient."""

    def forward(ctx, a):
        out = np.linalg.cholesky(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (low,) = ctx.saved_tensors
        x = _tril(_mT(low) @ grad_output)
        inverse = _inv(low)
        return _mT(inverse) @ ((x + _mT(_tril(x, -1))) * 0.5) @ inverse


class Eigh(Function):
    """w, V = eigh(A) (lower triangle), packed as (..., n + 1, n): row 0 is w, the rest V.
    dA = V (skew(V^T gV) / 2 / (w_j - w_i) + diag(gw)) V^T (distinct eigenvalues);
    `values_only` (eigvalsh) drops the eigenvector term, so repeated eigenvalues are fine,
    while no gradient reaches V (second derivatives need it, with distinct eigenvalues)."""

    def forward(ctx, a, values_only):
        w, v = np.linalg.eigh(a)
        out = np.concatenate([w[..., None, :], v], axis=-2)
        ctx.save_for_backward(out)
        ctx.values_only = values_only
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        w, v = out[..., 0, :], out[..., 1:, :]
        eye = _eye(w.shape[-1], out)
        inner = grad_output[..., 0, :][..., None, :] * eye
        if not ctx.values_only or _any(grad_output[..., 1:, :]):  # (second order: V moves)
            vg = _mT(v) @ grad_output[..., 1:, :]
            gap = w[..., None, :] - w[..., :, None] + eye
            inner = inner + (vg - _mT(vg)) * 0.5 / gap
        return v @ inner @ _mT(v)


def _any(values) -> bool:
    """Any nonzero gradient (arrays, or Tensors under create_graph)?"""
    return bool(np.any(values._data if is_tensor(values) else values))


def _svd_unpack(out, m: int, n: int, full: bool):
    """U, S, Vh from SVD's packed output (last axis: U flat, S, Vh flat)."""
    k, batch = min(m, n), out.shape[:-1]
    cu, rv = (m, n) if full else (k, k)
    u = out[..., : m * cu].reshape(batch + (m, cu))
    s = out[..., m * cu : m * cu + k]
    vh = out[..., m * cu + k :].reshape(batch + (rv, n))
    return u[..., :k], s, vh[..., :k, :]  # extra columns of full matrices get no gradient


def _svd_grad(u, s, vh, gu, gs, gvh):
    """PyTorch's svd_backward for real matrices (distinct nonzero singular values)."""
    m, n = u.shape[-2], vh.shape[-1]
    v, gv = _mT(vh), _mT(gvh)
    eye = _eye(s.shape[-1], s)
    uhgu, vhgv = _mT(u) @ gu, vh @ gv
    uhgu, vhgv = uhgu - _mT(uhgu), vhgv - _mT(vhgv)
    s2 = s * s
    gap = s2[..., None, :] - s2[..., :, None] + eye
    inner = (uhgu * s[..., None, :] + s[..., :, None] * vhgv) / gap + gs[..., None, :] * eye
    if m > n:
        gu_s = gu / s[..., None, :]
        return (u @ inner + gu_s - u @ (_mT(u) @ gu_s)) @ vh
    if m < n:
        gv_s = gv / s[..., None, :]
        return u @ (inner @ vh + _mT(gv_s - v @ (vh @ gv_s)))
    return u @ inner @ vh


class SVD(Function):
    """U, S, Vh = svd(A) packed in one last axis (see `_svd_unpack`); gradient: `_svd_grad`,
    or U diag(gS) Vh with `values_only` (svdvals: repeated singular values are fine) while no
    gradient reaches U or Vh (second derivatives need them)."""

    def forward(ctx, a, full_matrices, values_only):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        batch = a.shape[:-2]
        out = np.concatenate([u.reshape(batch + (-1,)), s, vh.reshape(batch + (-1,))], -1)
        ctx.save_for_backward(out)
        ctx.options = (a.shape[-2], a.shape[-1], full_matrices, values_only)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        m, n, full, values_only = ctx.options
        u, s, vh = _svd_unpack(out, m, n, full)
        gu, gs, gvh = _svd_unpack(grad_output, m, n, full)
        if values_only and not (_any(gu) or _any(gvh)):  # (second order: U and V move)
            return u @ (gs[..., :, None] * vh)
        return _svd_grad(u, s, vh, gu, gs, gvh)


def _qr_unpack(packed, m: int, k: int, n: int):
    """Q (m, k) and R (k, n) from QR's packed output (last axis: Q flat, then R flat)."""
    batch = packed.shape[:-1]
    return (packed[..., : m * k].reshape(batch + (m, k)),
            packed[..., m * k :].reshape(batch + (k, n)))


def _qr_grad(q, r, gq, gr):
    """dA of A = QR for a square or tall A (R square, invertible): with M = R gR^T - gQ^T Q
    made symmetric from its lower triangle, dA = (gQ + Q M) R^-T."""
    m = r @ _mT(gr) - _mT(gq) @ q
    b = gq + q @ (_tril(m) + _mT(_tril(m, -1)))
    return _mT(_solve(r, _mT(b)))


class QR(Function):
    """Q, R = qr(A) packed in one last axis (see `_qr_unpack`). Tall or square A: `_qr_grad`;
    wide A = Q [U | V]: the square rule for [Q, U] with gQ + A[:, m:] gV^T, and dA[:, m:] = Q gV.
    As PyTorch: no gradient for mode 'r' (no Q) or 'complete' with more rows than columns."""

    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "r" else mode)
        out = np.concatenate([q.reshape(a.shape[:-2] + (-1,)), r.reshape(a.shape[:-2] + (-1,))],
                             -1)
        ctx.save_for_backward(out)
        ctx.mode, ctx.sizes = mode, (*q.shape[-2:], r.shape[-1])
        return out

    def backward(ctx, grad_output):
        m, k, n = ctx.sizes
        q, r = _qr_unpack(ctx.saved_tensors[0], m, k, n)
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Use linalg.qr(A, mode='reduced') to "
                               "differentiate through it.")
        if k > r.shape[-1]:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        gq, gr = _qr_unpack(grad_output, m, k, n)
        if r.shape[-1] == k:
            return _qr_grad(q, r, gq, gr)
        gv = gr[..., k:]
        grad_u = _qr_grad(q, r[..., :k], gq + q @ r[..., k:] @ _mT(gv), gr[..., :k])
        place = np.eye(r.shape[-1], dtype=r.dtype)  # [dX | dY] = dX [I 0] + dY [0 I]
        return grad_u @ place[:k] + (q @ gv) @ place[k:]


def lu_packed(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian elimination with partial pivoting (the largest |value| of each column, the
    first on ties, as LAPACK): (L below the diagonal and U on and above it, packed; the
    1-based row swaps, LAPACK's `pivots`). A zero pivot leaves its column unscaled."""
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    work = a.reshape((int(np.prod(batch)), m, n)).copy()
    pivots = np.empty((work.shape[0], min(m, n)), dtype=np.int32)
    every = np.arange(work.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(min(m, n)):
            best = j + np.argmax(np.abs(work[:, j:, j]), axis=1)
            pivots[:, j] = best + 1
            work[every, j], work[every, best] = work[every, best], work[every, j].copy()
            pivot = work[:, j, j : j + 1]
            work[:, j + 1 :, j] = np.where(pivot != 0, work[:, j + 1 :, j] / pivot,
                                           work[:, j + 1 :, j])
            work[:, j + 1 :, j + 1 :] -= work[:, j + 1 :, j : j + 1] * work[:, j : j + 1, j + 1 :]
    return work.reshape(a.shape), pivots.reshape(batch + (min(m, n),))


def zero_pivot(packed: np.ndarray) -> np.ndarray:
    """LAPACK's info per matrix: 1 + the first j with U[j, j] == 0, else 0 (int32)."""
    diagonal = np.diagonal(packed, axis1=-2, axis2=-1) == 0
    if diagonal.shape[-1] == 0:  # (an empty matrix)
        return np.zeros(diagonal.shape[:-1], dtype=np.int32)
    return np.where(diagonal.any(-1), diagonal.argmax(-1) + 1, 0).astype(np.int32)


def permutation(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """P with A = P L U from LAPACK's 1-based row swaps (..., k) of an m-row matrix."""
    order = np.broadcast_to(np.arange(m), pivots.shape[:-1] + (m,)).copy()
    count = int(np.prod(order.shape[:-1]))
    flat, swaps = order.reshape(count, m), pivots.reshape(count, pivots.shape[-1]) - 1
    every = np.arange(flat.shape[0])
    for j in range(swaps.shape[-1]):
        flat[every, j], flat[every, swaps[:, j]] = flat[every, swaps[:, j]], flat[every, j].copy()
    p = np.zeros(order.shape + (m,), dtype=dtype)
    np.put_along_axis(p, order[..., :, None], 1, axis=-1)  # row i of P^T picks A[order[i]]
    return np.swapaxes(p, -1, -2)


class LU(Function):
    """PA = LU packed (see `lu_packed`), given the factorization found outside (the pivots
    are not differentiable). Square A:  with phi = tril(L^T gL, -1) + triu(gU U^T),
    dA = P L^-T phi U^-T."""

    def forward(ctx, a, packed, p):
        ctx.p = p
        out = np.array(packed, copy=True)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (packed,) = ctx.saved_tensors
        m, n = packed.shape[-2:]
        if m != n:
            raise RuntimeError(f"linalg.lu_factor / lu: the gradient is implemented for square "
                               f"matrices only here, got {m} x {n}")
        low = _tril(packed, -1) + _eye(n, packed)
        up = packed - _tril(packed, -1)
        grad_up = (grad_output - _tril(grad_output, -1)) @ _mT(up)
        phi = _tril(_mT(low) @ _tril(grad_output, -1), -1) + grad_up - _tril(grad_up, -1)
        try:
            return ctx.p @ _mT(_solve(up, _mT(_solve(_mT(low), phi)))), None, None
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError("the LU factorization has a zero pivot (U is "
                                        "singular): its gradient is not defined") from None
