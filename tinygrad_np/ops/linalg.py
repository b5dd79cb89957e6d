"""Linear algebra primitives (`tinygrad_np.linalg` composes the rest from these).

Rules are written with `@`, `swapaxes`, indexing and masks, so they also run on Tensors
(create_graph). Decompositions with several results (eigh, svd, qr) return one packed array
that `tinygrad_np.linalg` slices into its parts; the rule unpacks the gradient the same way.
Inverses inside a rule go through `_inv`/`_solve`/`_solve_triangular`, which record
`Inv`/`Solve`/`SolveTriangular` on Tensors. Singular and degenerate inputs give PyTorch's values
without NumPy's warnings: inf and NaN through a zero pivot (`lapack_solve`, `substitute`),
and no eigen/singular gap term while no gradient reaches the vectors (a gradient being
differentiated, as jvp's zero one, always gets it: `_any`). Real (float) matrices only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError
from tinygrad_np.function import Function
from tinygrad_np.ops.bessel import _derivative_error
from tinygrad_np.xp import is_tensor


def _mT(x):  # noqa: N802
    return x.swapaxes(-1, -2)


def _eye(n: int, like) -> np.ndarray:
    return np.eye(n, dtype=like.dtype)


def nan_safe(op, a: np.ndarray, core: int, *rest) -> Any:
    """op(a, *rest) with `core` trailing result dims per matrix, where a matrix holding a NaN
    gives NaN, as LAPACK's LU carries it through for PyTorch (NumPy calls it singular, or its
    determinant 0); the others op's own."""
    bad = np.isnan(a).any(axis=(-2, -1))
    if not bad.any():
        return op(a, *rest)
    out = op(np.where(bad[..., None, None], _eye(a.shape[-1], a), a), *rest)
    return np.where(bad.reshape(bad.shape + (1,) * core), np.nan, out)


def _inv(a):
    return Inv.apply(a) if is_tensor(a) else nan_safe(np.linalg.inv, a, 2)


def _solve(a, b, transpose: bool = False):
    """A^-1 B, or A^-T B with `transpose` (on arrays from A's own LU, as LAPACK's getrs 'T')."""
    if is_tensor(a) or is_tensor(b):
        return Solve.apply(_mT(a) if transpose else a, b)
    return nan_safe(lapack_solve, a, 2, b, transpose)


def _solve_triangular(a, b, upper: bool, unit: bool = False):
    if is_tensor(a) or is_tensor(b):
        return SolveTriangular.apply(a, b, upper, unit)
    return substitute(a, b, upper, unit)


def _flat(x: np.ndarray) -> np.ndarray:
    """(..., r, c) -> (..., r * c), empty batches too."""
    return x.reshape(x.shape[:-2] + (x.shape[-2] * x.shape[-1],))


def substitute(a: np.ndarray, b: np.ndarray, upper: bool, unit: bool = False) -> np.ndarray:
    """X with A X = B for triangular A (its upper or lower triangle; `unit`: ones taken on its
    diagonal), batch axes broadcast, row by row as LAPACK's trsm: a zero on the diagonal gives
    its inf and NaN (PyTorch's values), quietly."""
    n = a.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    x = np.array(np.broadcast_to(b, shape), dtype=np.result_type(a, b))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in reversed(range(n)) if upper else range(n):
            done = slice(i + 1, n) if upper else slice(0, i)
            x[..., i, :] -= (a[..., i, None, done] @ x[..., done, :])[..., 0, :]
            if not unit:
                x[..., i, :] /= a[..., i, i, None]
    return x


def lapack_solve(a: np.ndarray, b: np.ndarray, transpose: bool = False) -> np.ndarray:
    """A^-1 B, or A^-T B with `transpose` (B (..., n, k)), by LAPACK; for a singular A, through
    its zero pivot with our LU P L U as LAPACK's getrs does: inf and NaN, PyTorch's values,
    and no error."""
    try:
        return np.linalg.solve(_mT(a) if transpose else a, b)
    except np.linalg.LinAlgError:
        packed, pivots = lu_packed(a)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:]
    b = np.broadcast_to(b, shape)
    rows = np.argmax(permutation(pivots, a.shape[-1], np.int8), axis=-2)  # P^T b = b[rows]
    rows = np.broadcast_to(rows[..., None], shape[:-1] + (1,))
    if transpose:  # A^T = U^T L^T P^T (no products with P: inf and NaN stay where they are)
        z = substitute(_mT(packed), substitute(_mT(packed), b, upper=False), upper=True,
                       unit=True)
        out = np.empty_like(z)
        np.put_along_axis(out, rows, z, axis=-2)  # x = P z
        return out
    lower = substitute(packed, np.take_along_axis(b, rows, axis=-2), upper=False, unit=True)
    return substitute(packed, lower, upper=True)


def _tril(x, k: int = 0):
    return x * np.tril(np.ones(x.shape[-2:], dtype=x.dtype), k)


def _triu(x):
    return x - _tril(x, -1)


@xp.quiet
class Inv(Function):
    """Y = A^-1;  dA = -Y^T g Y^T. `through_singular` (inv_ex): a singular A gives LAPACK's inf
    and NaN (`lapack_solve`), not an error."""

    def forward(ctx, a, through_singular=False):
        y = nan_safe(lambda a: lapack_solve(a, _eye(a.shape[-1], a)) if through_singular
                     else np.linalg.inv(a), a, 2)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return -(_mT(y) @ grad_output @ _mT(y))


@xp.quiet
class Det(Function):
    """d = det(A);  dA = g cof(A) = g d A^-T; for a singular A the cofactors from the SVD
    (U diag(prod of the other singular values) V^T, signed by det U det V)."""

    def forward(ctx, a):
        d = nan_safe(np.linalg.det, a, 0)
        ctx.save_for_backward(a, d)
        return d

    def backward(ctx, grad_output):  # (a nearly singular minor's digits at third order)
        a, d = ctx.saved_tensors  # recorded 2x2s take the cofactors (exact: d A^-T loses
        if np.all(getattr(d, "_data", d) != 0) and not (is_tensor(a) and _exact_minors(a)):
            return (grad_output * d)[..., None, None] * _mT(_inv(a))
        return grad_output[..., None, None] * (_minor_cofactors(a) if is_tensor(a) else
                                               _cofactors(a))


def _exact_minors(a) -> bool:
    """Recorded cofactors from minors for a 2x2, or a matrix so ill-conditioned that d A^-T
    would lose the higher derivatives' digits (a rounding-singular A: d is not exactly 0)."""
    return a.shape[-1] <= 2 or (bool(np.isfinite(a._data).all()) and  # (cond fails on NaN)
                                 bool(np.any(np.linalg.cond(a._data) > 1e8)))


def _minor_cofactors(a):
    """The cofactor matrix of a Tensor of (possibly singular) square matrices, from the
    determinants of its minors: recorded, so create_graph differentiates it again."""
    n = a.shape[-1]
    if n == 1:
        return np.ones(a.shape, a.dtype)
    cofactors = 0
    for i in range(n):
        rows = [k for k in range(n) if k != i]
        for j in range(n):
            place = np.zeros((n, n), a.dtype)
            place[i, j] = (-1) ** (i + j)
            minor = a[..., rows, :][..., [k for k in range(n) if k != j]]
            cofactors = cofactors + Det.apply(minor)[..., None, None] * place
    return cofactors


def svd(a: np.ndarray, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """np.linalg.svd, but NaN factors for each matrix with an Inf (as PyTorch, the other
    matrices of a batch unchanged; LAPACK may never return on one), and PyTorch's error for
    one with a NaN."""
    if np.isfinite(a).all():
        return np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if np.isnan(a).any():
        raise TensorError("linalg.svd: The algorithm failed to converge because the input "
                          "matrix contained non-finite values.")
    bad = ~np.isfinite(a).all(axis=(-2, -1))  # per matrix: the others of a batch as usual
    parts = np.linalg.svd(np.where(bad[..., None, None], 0, a), full_matrices=full_matrices,
                          compute_uv=compute_uv)
    if not compute_uv:
        return np.where(bad[..., None], np.nan, parts)
    u, s, vh = parts
    return (np.where(bad[..., None, None], np.nan, u), np.where(bad[..., None], np.nan, s),
            np.where(bad[..., None, None], np.nan, vh))


def _cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix of each (possibly singular) square matrix, from its SVD."""
    u, s, vt = svd(a)
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return sign[..., None, None] * (u * (before * after)[..., None, :]) @ vt


@xp.quiet
class LogAbsDet(Function):
    """log|det(A)|;  dA = g A^-T, solved from A^T dA = g I as PyTorch (a singular A: its inf and
    NaN)."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return nan_safe(lambda a: np.linalg.slogdet(a)[1], a, 0)

    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return _solve(_mT(a), grad_output[..., None, None] * _eye(a.shape[-1], a))


@xp.quiet
class Solve(Function):
    """X = A^-1 B (B (..., n, k), batch axes broadcast);  dB = A^-T g,  dA = -dB X^T.
    `through_singular` (solve_ex): a singular A gives LAPACK's inf and NaN, not an error."""

    def forward(ctx, a, b, through_singular=False):
        x = nan_safe(lapack_solve if through_singular else np.linalg.solve, a, 2, b)
        ctx.save_for_backward(a, x)
        return x

    def backward(ctx, grad_output):
        a, x = ctx.saved_tensors
        grad_b = _solve(a, grad_output, transpose=True)
        return -(grad_b @ _mT(x)) if ctx.needs_input_grad[0] else None, grad_b


@xp.quiet
class SolveTriangular(Function):
    """X = A^-1 B reading only A's `upper` (else lower) triangle, its diagonal ones with `unit`,
    by substitution as LAPACK's trsm (`substitute`: a zero on the diagonal gives inf and NaN);
    dB = A^-T g,  dA = -dB X^T on that triangle, PyTorch's."""

    def forward(ctx, a, b, upper, unit):
        x = substitute(a, b, upper, unit)
        ctx.save_for_backward(a, x)
        ctx.triangle = upper, unit
        return x

    def backward(ctx, grad_output):
        a, x = ctx.saved_tensors
        upper, unit = ctx.triangle
        grad_b = _solve_triangular(_mT(a), grad_output, not upper, unit)
        if not ctx.needs_input_grad[0]:
            return None, grad_b
        ones = np.ones(a.shape[-2:], dtype=bool)
        read = np.triu(ones, int(unit)) if upper else np.tril(ones, -int(unit))
        return xp.masked(read, -(grad_b @ _mT(x))), grad_b


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


@xp.quiet
class Eigh(Function):
    """w, V = eigh(A) (lower triangle), packed as (..., n + 1, n): row 0 is w, the rest V;
    dA = V (skew(V^T gV) / 2 / (w_j - w_i) + diag(gw)) V^T, as PyTorch: the gap term is left
    out while no gradient reaches V (eigenvalues only: repeated ones are fine), else it needs
    distinct eigenvalues (inf and NaN for repeated ones)."""

    def forward(ctx, a):
        w, v = np.linalg.eigh(a)
        out = np.concatenate([w[..., None, :], v], axis=-2)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        w, v = out[..., 0, :], out[..., 1:, :]
        eye = _eye(w.shape[-1], out)
        inner = grad_output[..., 0, :][..., None, :] * eye
        if _any(grad_output[..., 1:, :]):  # (second derivatives of eigvalsh too: V moves)
            vg = _mT(v) @ grad_output[..., 1:, :]
            gap = _nonzero(w[..., None, :] - w[..., :, None] + eye, _traced(grad_output))
            inner = inner + (vg - _mT(vg)) * 0.5 / gap
        return v @ inner @ _mT(v)


def _traced(grad) -> bool:
    """Is `grad` a Tensor being differentiated (create_graph; jvp's zero gradient u)?"""
    return is_tensor(grad) and grad.requires_grad


def _any(values) -> bool:
    """Any nonzero gradient, or one being differentiated (its derivative is wanted even where
    it is 0: jvp differentiates the rule at a zero gradient)?"""
    return _traced(values) or bool(np.any(values._data if is_tensor(values) else values))


def _nonzero(divisor, traced: bool):
    """`divisor`, its zeros (repeated eigen/singular values) made inf when the gradient is
    traced: the gap terms then vanish there, so a gradient that is 0 only by value (jvp's u,
    which never reaches the vectors of eigvalsh or svdvals) gives no 0/0 in the result."""
    if not traced:
        return divisor
    values = np.asarray(divisor._data if is_tensor(divisor) else divisor)
    return divisor + np.where(values == 0, np.inf, 0).astype(values.dtype)


def _svd_unpack(out, m: int, n: int, full: bool):
    """U, S, Vh from SVD's packed output (last axis: U flat, S, Vh flat)."""
    k, batch = min(m, n), out.shape[:-1]
    cu, rv = (m, n) if full else (k, k)
    u = out[..., : m * cu].reshape(batch + (m, cu))
    s = out[..., m * cu : m * cu + k]
    vh = out[..., m * cu + k :].reshape(batch + (rv, n))
    return u[..., :k], s, vh[..., :k, :]  # extra columns of full matrices get no gradient


def _svd_grad(u, s, vh, gu, gs, gvh):
    """PyTorch's svd_backward for real matrices: U diag(gS) Vh while no gradient reaches U or
    Vh (singular values only: repeated or zero ones are fine), else with the terms of the
    vectors that get one, which need distinct nonzero singular values (else inf and NaN)."""
    with_u, with_v = _any(gu), _any(gvh)
    if not (with_u or with_v):
        return u @ (gs[..., :, None] * vh)
    m, n = u.shape[-2], vh.shape[-1]
    eye = _eye(s.shape[-1], s)
    s2, traced = s * s, _traced(gu) or _traced(gvh)
    gap = _nonzero(s2[..., None, :] - s2[..., :, None] + eye, traced)
    inner = gs[..., None, :] * eye
    if with_u:
        uhgu = _mT(u) @ gu
        inner = inner + (uhgu - _mT(uhgu)) * s[..., None, :] / gap
    if with_v:
        vhgv = vh @ _mT(gvh)
        inner = inner + s[..., :, None] * (vhgv - _mT(vhgv)) / gap
    if m > n and with_u:
        gu_s = gu / _nonzero(s, traced)[..., None, :]
        return (u @ inner + gu_s - u @ (_mT(u) @ gu_s)) @ vh
    if m < n and with_v:
        gv_s = _mT(gvh) / _nonzero(s, traced)[..., None, :]
        return u @ (inner @ vh + _mT(gv_s - _mT(vh) @ (vh @ gv_s)))
    return u @ inner @ vh


@xp.quiet
class SVD(Function):
    """U, S, Vh = svd(A) packed in one last axis (see `_svd_unpack`); gradient: `_svd_grad`."""

    def forward(ctx, a, full_matrices):
        u, s, vh = svd(a, full_matrices=full_matrices)
        out = np.concatenate([_flat(u), s, _flat(vh)], -1)
        ctx.save_for_backward(out)
        ctx.options = (a.shape[-2], a.shape[-1], full_matrices)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        m, n, full = ctx.options
        return _svd_grad(*_svd_unpack(out, m, n, full), *_svd_unpack(grad_output, m, n, full))


def _pinv_grad(a, p, g):
    """PyTorch's pinv_backward: the derivative of P = pinv(A) where A's rank stays the same,
    with no division (a zero or rank-deficient A is fine)."""
    gt, pt = _mT(g), _mT(p)
    if a.shape[-2] <= a.shape[-1]:
        k = gt @ p
        kpt = k @ pt
        return -_mT(p @ k) + kpt - (a @ p) @ kpt + (pt @ p) @ (gt - k @ a)
    k = p @ gt
    ptk = pt @ k
    return -_mT(k @ p) + (gt - a @ k) @ p @ pt + ptk - ptk @ p @ a


@xp.quiet
class Pinv(Function):
    """P = pinv(A) from the SVD, dropping the singular values at or under `cutoff` (per matrix,
    (..., 1)); `hermitian`: from eigh of A's lower triangle, dropping |eigenvalues| at or under
    it. Gradient: `_pinv_grad` (PyTorch's, of the whole A in both cases), which needs no
    distinct singular values. `parts`: A's thin SVD when the caller has it."""

    def forward(ctx, a, cutoff, hermitian=False, parts=None):
        if hermitian:
            s, u = np.linalg.eigh(a)
            vh, keep = _mT(u), np.abs(s) > cutoff
        else:
            u, s, vh = svd(a, full_matrices=False) if parts is None else parts
            keep = s > cutoff
        inverse = np.where(keep, 1 / np.where(keep, s, 1), 0)[..., None, :]
        kept = keep[..., None, :]  # (dropped vectors zeroed: a NaN SVD of an inf A gives 0s,
        out = np.where(kept, _mT(vh) * inverse, 0) @ _mT(np.where(kept, u, 0))  # as PyTorch)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad_output):
        return _pinv_grad(*ctx.saved_tensors, grad_output), None, None, None


class NoDerivative(Function):
    """`value`, computed outside the engine from the Tensors before it (ldl_factor, ldl_solve),
    which PyTorch gives no derivative: it requires grad when they do, and backward raises
    naming `op`, as PyTorch's."""

    def forward(ctx, *args):
        *_, value, ctx.op = args
        return value

    def backward(ctx, grad_output):
        raise _derivative_error(ctx.op)


class Geqrf(Function):
    """LAPACK's geqrf: R on and above the diagonal of (m, n), the Householder vectors below
    it, packed with tau (min(m, n)) as one more row: (..., m + 1, n). No derivative, as
    PyTorch (backward raises naming it)."""

    def forward(ctx, a):
        m, n = a.shape[-2:]
        out = np.zeros(a.shape[:-2] + (m + 1, n), a.dtype)
        if a.size:
            h, tau = np.linalg.qr(a, mode="raw")  # h: the result transposed (Fortran order)
            out[..., :m, :], out[..., m, : min(m, n)] = _mT(h), tau
        return out

    def backward(ctx, grad_output):
        raise _derivative_error("geqrf")


def _qr_unpack(packed, m: int, k: int, n: int):
    """Q (m, k) and R (k, n) from QR's packed output (last axis: Q flat, then R flat)."""
    batch = packed.shape[:-1]
    return (packed[..., : m * k].reshape(batch + (m, k)),
            packed[..., m * k :].reshape(batch + (k, n)))


def _qr_grad(q, r, gq, gr):
    """dA of A = QR for a square or tall A (R square), PyTorch's: with M = R gR^T - gQ^T Q made
    symmetric from its lower triangle, dA = (gQ + Q M) R^-T (a singular R: inf and NaN)."""
    m = r @ _mT(gr) - _mT(gq) @ q
    b = gq + q @ (_tril(m) + _mT(_tril(m, -1)))
    return _mT(_solve_triangular(r, _mT(b), upper=True))


def _qr_wide_grad(q, r, gq, gr):
    """dA of a wide A = QR (m < n; R1 the square first m columns of R), PyTorch's: with
    X = gR R^T - Q^T gQ,  dA = [Q tril(X^T - X) R1^-T | 0] + Q gR."""
    m, n = r.shape[-2:]
    x = gr @ _mT(r) - _mT(q) @ gq
    left = _mT(_solve_triangular(r[..., :m], _mT(q @ _tril(_mT(x) - x)), upper=True))
    return xp.index_add(left, (..., slice(None, m)), tuple(left.shape[:-1]) + (n,)) + q @ gr


@xp.quiet
class QR(Function):
    """Q, R = qr(A) packed in one last axis (see `_qr_unpack`), with PyTorch's gradient:
    `_qr_grad` for a tall or square A, `_qr_wide_grad` for a wide one; none for mode 'r' (no
    Q) or 'complete' with more rows than columns (refused, as PyTorch)."""

    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "r" else mode)
        out = np.concatenate([_flat(q), _flat(r)], -1)
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
        return _qr_grad(q, r, gq, gr) if n == k else _qr_wide_grad(q, r, gq, gr)


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


def _lu_grad(packed, grad):
    """The gradient of P^T A = L U (packed) for L (m, k) and U (k, n), k = min(m, n), as
    PyTorch's. With L1, U1 the square k x k blocks, L2 the rows of L below (tall A) and U2
    the columns of U right of them (wide A):
        phi = tril(L1^T gL1 - gU2 U2^T, -1) + triu(gU1 U1^T - L2^T gL2)
        gA  = P [L1^-T phi U1^-T , L1^-T gU2 ; gL2 U1^-T]   (the blocks that exist)."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    block, g = packed[..., :k, :k], grad[..., :k, :k]
    low, up = _tril(block, -1) + _eye(k, packed), _triu(block)
    phi = _tril(_mT(low) @ _tril(g, -1), -1) + _triu(_triu(g) @ _mT(up))
    if n > k:
        phi = phi - _tril(grad[..., :, k:] @ _mT(packed[..., :, k:]), -1)
    if m > k:
        phi = phi - _triu(_mT(packed[..., k:, :]) @ grad[..., k:, :])
    right = _mT(_solve_triangular(up, _mT(phi), upper=True))  # phi U1^-T
    shape = tuple(grad.shape)
    if n > k:  # [phi U1^-T, gU2], then L1^-T on the left
        right = xp.index_add(right, (..., slice(None, k)), shape) + xp.index_add(
            grad[..., :, k:], (..., slice(k, None)), shape)
    result = _solve_triangular(_mT(low), right, upper=True, unit=True)
    if m > k:  # and gL2 U1^-T below
        below = _mT(_solve_triangular(up, _mT(grad[..., k:, :]), upper=True))
        result = xp.index_add(result, (..., slice(None, k), slice(None)), shape) + \
            xp.index_add(below, (..., slice(k, None), slice(None)), shape)
    return result


@xp.quiet
class LU(Function):
    """PA = LU packed (see `lu_packed`), given the factorization found outside (the pivots
    are not differentiable); the gradient is `_lu_grad`'s, PyTorch's, for square, tall and
    wide A (a zero pivot: inf and NaN)."""

    def forward(ctx, a, packed, p):
        ctx.p = p
        out = np.array(packed, copy=True)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (packed,) = ctx.saved_tensors
        return ctx.p @ _lu_grad(packed, grad_output), None, None
