"""`tinygrad_np.linalg`, PyTorch's `torch.linalg` for real float matrices, batched over leading
axes (..., m, n). The decompositions are the primitives in `ops/linalg.py`; the rest is
composed from them and the ordinary ops, so it needs no gradient rule of its own.

    import tinygrad_np as torch
    torch.linalg.norm(x, dim=-1); torch.linalg.solve(A, b); L = torch.linalg.cholesky(A)

Gradients follow PyTorch: eigh and svd need distinct eigen/singular values when their vectors
are used (they are defined only up to sign), inv/solve an invertible matrix; matrix_rank has
none. Singular and degenerate inputs give PyTorch's values (inf and NaN where it has them).
The LU family, cond, vander and the tensor solves are in `linalg_lu.py`.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import DtypeError, TensorError
from tinygrad_np.ops.linalg import (
    QR,
    SVD,
    Cholesky,
    Det,
    Eigh,
    Inv,
    LogAbsDet,
    Pinv,
    Solve,
    SolveTriangular,
    _qr_unpack,
    lu_packed,
    svd as _svd,
    zero_pivot,
)
from tinygrad_np.tensor import Tensor

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "diagonal", "eigh",
           "eigvalsh", "inv", "inv_ex",
           "lstsq", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot",
           "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals",
           "vecdot", "vector_norm"]

SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("svd", ["U", "S", "Vh"])
QRResult = namedtuple("qr", ["Q", "R"])
CholeskyExResult = namedtuple("linalg_cholesky_ex", ["L", "info"])
InvExResult = namedtuple("linalg_inv_ex", ["inverse", "info"])
TriangularSolveResult = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


class LinAlgError(TensorError):
    """torch.linalg.LinAlgError: a matrix the decomposition or solve cannot take (singular,
    not positive-definite); a RuntimeError, as PyTorch's (and a ValueError, as NumPy's)."""


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _square(name: str, a: Tensor) -> Tensor:
    a = _as_tensor(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2:] if a.ndim >= 2 else a.shape} matrices")
    return a


def _matrix(name: str, a: Tensor) -> Tensor:
    a = _as_tensor(a)
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    return a


def check_system(op: str, a: Tensor, b: Tensor, left: bool = True,
                 vector: bool = False) -> None:
    """PyTorch's shape errors for A X = B (X A = B when not `left`) with square A (n x n): B
    a batch of n-vectors (`vector`), else of matrices with n rows (n columns when not `left`);
    the batch dims broadcast. `op` is the name the error shows."""
    n = a.shape[-1]
    if b.ndim < (1 if vector else 2):
        raise TensorError(f"{op}: The input tensor B must have at least 2 dimensions "
                          f"(got shape {tuple(b.shape)}).")
    rows, cols = (b.shape[-1], 1) if vector else b.shape[-2:]
    if (rows if left else cols) != n:
        raise TensorError(f"{op}: Incompatible shapes of A and B for the equation "
                          f"{'AX' if left else 'XA'} = B ({n}x{n} and {rows}x{cols})")
    batch = b.shape[:-1] if vector else b.shape[:-2]
    try:
        np.broadcast_shapes(a.shape[:-2], batch)
    except ValueError:
        raise TensorError(f"{op}: the batch dims of A {tuple(a.shape[:-2])} and B "
                          f"{tuple(batch)} do not broadcast (A of shape {tuple(a.shape)}, B of "
                          f"shape {tuple(b.shape)})") from None


def _float(name: str, a: Tensor, half: bool = False) -> Tensor:
    """`a` when it is float32 or float64 (or float16 with `half`, for the few that take it),
    else PyTorch's error."""
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point tensor as input. Got "
                           f"{a.dtype}")
    if a.dtype == np.float16 and not half:  # a RuntimeError (NotImplementedError) as PyTorch's
        raise DtypeError(f"linalg.{name}: not implemented for 'Half' (float16); "
                         "use float32 or float64")
    return a


# ----------------------------------------------------------------------------- inverses
def inv(A: Tensor) -> Tensor:  # noqa: N803
    """The inverse of each square matrix (an error for a singular one, as PyTorch)."""
    a = _float("inv", _square("inv", A))
    try:
        return Inv.apply(a)
    except ValueError as error:  # LinAlgError, which apply names the op in
        raise LinAlgError(f"linalg.inv: The diagonal element is zero, the inversion could "
                          f"not be completed because the input matrix is singular ({error})."
                          ) from None


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:  # noqa: N803
    """(inverse, info): info 0 for an invertible matrix; for a singular one (without
    `check_errors`, which raises) info > 0 and the inverse LAPACK's inf and NaN (gradient
    NaN), as PyTorch's."""
    a = _float("inv_ex", _square("inv_ex", A))
    info = singular_info(a._data)
    if check_errors and info.any():
        raise LinAlgError("linalg.inv_ex: The diagonal element is zero, the inversion could "
                          "not be completed because the input matrix is singular.")
    return InvExResult(Inv.apply(a, True), Tensor(info))


def singular_info(a: np.ndarray) -> np.ndarray:
    """LAPACK's info per matrix (int32): 0 for one LAPACK inverts, else 1 + its first zero
    pivot (our LU's, or n where only LAPACK's rounding found one). Whether a matrix is
    singular is LAPACK's decision, as PyTorch's, not a tolerance."""
    info = np.zeros(a.shape[:-2], np.int32)
    try:
        np.linalg.inv(a)
        return info
    except np.linalg.LinAlgError:
        pass
    pivots = zero_pivot(lu_packed(a)[0])
    for index in np.ndindex(info.shape):
        try:
            np.linalg.inv(a[index])
        except np.linalg.LinAlgError:
            info[index] = pivots[index] or a.shape[-1]
    return info


def det(A: Tensor) -> Tensor:  # noqa: N803
    """The determinant of each square matrix; gradient det * A^-T (needs A invertible)."""
    return Det.apply(_float("det", _square("det", A)))


def slogdet(A: Tensor) -> SlogdetResult:  # noqa: N803
    """(sign, logabsdet): det = sign * exp(logabsdet); the gradient flows through logabsdet."""
    a = _float("slogdet", _square("slogdet", A))
    sign = np.linalg.slogdet(a._data)[0]
    return SlogdetResult(Tensor(np.asarray(sign, dtype=a.dtype)), LogAbsDet.apply(a))


def logdet(A: Tensor) -> Tensor:  # noqa: N803
    """log(det(A)): NaN (gradient 0) for a negative determinant, -inf for zero, as PyTorch."""
    sign, logabsdet = slogdet(A)
    return logabsdet.where(Tensor(sign._data != -1), float("nan"))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803
    """X with A X = B (left=False: X A = B). B is a batch of vectors when it is 1-D or has
    A's shape without the last axis, else of matrices; batch axes broadcast."""
    a, b = _float("solve", _square("solve", A)), _as_tensor(B)
    check_system("linalg.solve", a, b, left, is_vector(a, b))
    try:
        return solve_system(a, b, left, False)
    except ValueError as error:  # LinAlgError, which apply names the op in
        raise LinAlgError(f"linalg.solve: The solver failed because the input matrix is "
                          f"singular ({error}).") from None


def solve_system(a: Tensor, b: Tensor, left: bool, through_singular: bool) -> Tensor:
    """solve's X; `through_singular` (solve_ex): a singular A gives LAPACK's inf and NaN."""
    if not left:
        return solve_system(a.mT, b.mT, True, through_singular).mT
    vector = is_vector(a, b)
    x = Solve.apply(a, b[..., None] if vector else b, through_singular)
    return x[..., 0] if vector else x


def is_vector(a: Tensor, b: Tensor) -> bool:
    """Whether solve reads B as a (batch of) vector(s): 1-D, or A's shape without its last
    dim, as PyTorch."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None,  # noqa: N803
         hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse. Full rank: (A^T A)^-1 A^T or A^T (A A^T)^-1; rank
    deficient: the `Pinv` op, through the SVD with the singular values at or under
    max(atol, rtol * largest) dropped (rtol default: eps * max(m, n)). Neither gradient needs
    distinct singular values (a zero matrix's is finite, as PyTorch's)."""
    a = _float("pinv", _matrix("pinv", A))
    m, n = a.shape[-2:]
    s = _svd(a._data, compute_uv=False)
    if rtol is None:
        rtol = 0.0 if atol else np.finfo(a.dtype).eps * max(m, n)
    cutoff = np.maximum(atol or 0.0, rtol * (s[..., :1] if s.shape[-1] else 0))
    if m * n and bool(np.all(s > cutoff)):
        at = a.swapaxes(-1, -2)
        if m >= n:
            return solve(at @ a, at)
        return solve(a @ at, a).swapaxes(-1, -2)
    return Pinv.apply(a, cutoff)


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *,  # noqa: N803
          driver: str | None = None) -> LstsqResult:
    """The least-squares solution X of A X = B, pinv(A) @ B, differentiable in A and B; A is
    (..., m, n), B (..., m, k). As PyTorch's: with driver 'gelsd' or 'gelss' also the
    residuals (for m > n at full rank) and the singular values, else those are empty (the
    CPU default, 'gelsy'); rank counts the singular values over rcond times the largest
    (default eps * max(m, n))."""
    a, b = _float("lstsq", _matrix("lstsq", _as_tensor(A))), _as_tensor(B)
    if driver not in (None, "gelsy", "gelsd", "gelss", "gels"):
        raise TensorError(f"linalg.lstsq: driver must be 'gels', 'gelsy', 'gelsd' or 'gelss', "
                          f"got {driver!r}")
    m, n = a.shape[-2:]
    if b.ndim == a.ndim - 1 and b.shape[-1:] == (m,):  # a batch of vectors, as PyTorch
        result = lstsq(a, b[..., None], rcond, driver=driver)  # (residuals: one, as PyTorch)
        return result._replace(solution=result.solution[..., 0])
    if b.ndim < 2 or b.shape[-2] != m:
        raise RuntimeError(f"linalg.lstsq: B of shape {tuple(b.shape)} does not fit A of shape "
                           f"{tuple(a.shape)} (B must be (..., {m}, k))")
    s = _svd(a._data, compute_uv=False)
    cutoff = (np.finfo(a.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond)
    rank = (s > cutoff * s[..., :1]).sum(axis=-1) if s.shape[-1] else np.zeros(s.shape[:-1])
    solution = pinv(a, rtol=cutoff) @ b.astype(a.dtype)
    empty = Tensor(np.zeros((0,), a.dtype))
    residuals, values = empty, empty
    if driver in ("gelsd", "gelss"):
        values = Tensor(s)
        if m > n and bool(np.all(rank == n)):
            residuals = ((a @ solution - b) ** 2).sum(axis=-2)
    return LstsqResult(solution, residuals, Tensor(np.asarray(rank, np.int64)), values)


def matrix_power(A: Tensor, n: int) -> Tensor:  # noqa: N803
    """A^n by repeated squaring (n = 0: the identity, with a zero gradient as PyTorch's;
    n < 0: inv(A)^-n)."""
    a = _square("matrix_power", A)
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else result @ a
        n >>= 1
        if n:
            a = a @ a
    if result is None:  # (A's where nothing is taken from it: a zero gradient, never NaN)
        return a.where(Tensor(np.zeros((), dtype=bool)), Tensor(np.eye(a.shape[-1], dtype=a.dtype)))
    return result


def matrix_exp(A: Tensor) -> Tensor:  # noqa: N803
    """exp(A) = sum A^k / k!, by scaling and squaring: exp(A) = exp(A / 2^s)^(2^s), with s
    chosen for each matrix of a batch so that A / 2^s has a 1-norm of at most 1/2, where 16
    terms of the series are exact to float64's precision. Composed from matmuls, so the
    gradient (and its gradient) is the engine's. A matrix holding inf or NaN gives NaN."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # huge: inf or NaN,
        return _matrix_exp(_float("matrix_exp", _square("matrix_exp", A), half=True))  # as PyTorch


def _matrix_exp(a: Tensor) -> Tensor:
    with np.errstate(invalid="ignore", divide="ignore"):
        sizes = np.abs(a._data).sum(axis=-2).max(axis=-1, initial=0.0)  # per matrix
        finite = np.isfinite(sizes)
        squarings = np.where(finite & (sizes > 0.5), np.ceil(np.log2(
            np.where(finite, sizes, 1.0) / 0.5)), 0).astype(np.int64)
    scale = Tensor((0.5 ** squarings)[..., None, None].astype(a.dtype))
    scaled = (a * scale).where(Tensor(finite[..., None, None]), 0.0)  # (no inf in the sums)
    term = result = Tensor(np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy())
    for k in range(1, 17):
        term = term @ scaled / k
        result = result + term
    for k in range(int(squarings.max(initial=0))):
        more = Tensor((squarings > k)[..., None, None])  # this matrix still squares
        result = (result @ result).where(more, result)
    return result.where(Tensor(finite[..., None, None]), float("nan"))


# ----------------------------------------------------------------------------- decompositions
def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:  # noqa: N803
    """L (lower) with A = L L^T for symmetric positive-definite A (U = L^T with upper)."""
    a = _float("cholesky", _square("cholesky", A))
    try:
        low = Cholesky.apply(a)
    except ValueError:  # LinAlgError, which apply names the op in
        raise LinAlgError("linalg.cholesky: The factorization could not be completed because "
                          "the input is not positive-definite.") from None
    return low.swapaxes(-1, -2) if upper else low


def cholesky_ex(A: Tensor, *, upper: bool = False,  # noqa: N803
                check_errors: bool = False) -> CholeskyExResult:
    """(L, info): info 0 when A is positive-definite, else the order of the first leading
    minor that is not (L then holds NaN); `check_errors=True` raises instead."""
    a = _float("cholesky_ex", _square("cholesky_ex", A))
    try:
        return CholeskyExResult(cholesky(a, upper=upper), Tensor(np.zeros(a.shape[:-2], np.int32)))
    except RuntimeError:
        if check_errors:
            raise
    info = np.zeros(a.shape[:-2], np.int32)
    for index in np.ndindex(info.shape):
        for order in range(1, a.shape[-1] + 1):
            try:
                np.linalg.cholesky(a._data[index][:order, :order])
            except np.linalg.LinAlgError:
                info[index] = order
                break
    valid = (info == 0)[..., None, None]  # factor the good matrices; NaN for the others
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    factor = cholesky(a.where(valid, Tensor(eye)), upper=upper)
    return CholeskyExResult(factor.where(valid, float("nan")), Tensor(info))


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (left=False: X A = B) reading only A's upper or lower triangle (and
    taking its diagonal as ones with `unitriangular`), as PyTorch's: by substitution, so a zero
    on the diagonal gives inf and NaN (and so does the gradient), not an error."""
    a, b = _float("solve_triangular", _square("solve_triangular", _as_tensor(A))), _as_tensor(B)
    check_system("linalg.solve_triangular", a, b, left)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return SolveTriangular.apply(a.mT, b.mT, not upper, unitriangular).mT
    return SolveTriangular.apply(a, b, upper, unitriangular)


def _cholesky_product(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """A = L L^T from L's lower triangle (U^T U from its upper one with `upper`), as
    cholesky_solve and cholesky_inverse read their factor; the gradient is PyTorch's, which
    takes the whole of L as the factor: dL = (gA + gA^T) L (L (gA + gA^T) with `upper`)."""
    factor = _as_tensor(L)
    factor = factor.swapaxes(-1, -2) if upper else factor
    low = factor.detach().tril()
    whole = factor @ factor.swapaxes(-1, -2)  # carries the gradient; adds exactly zero
    return low @ low.swapaxes(-1, -2) + (whole - whole.detach())


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """X with (L L^T) X = B for the Cholesky factor L (U^T U with `upper`), as
    torch.cholesky_solve: the values read only L's triangle; the gradient is PyTorch's (see
    `_cholesky_product`)."""
    factor, b = _as_tensor(L), _as_tensor(B)
    if factor.ndim < 2 or factor.shape[-1] != factor.shape[-2]:
        raise TensorError(f"cholesky_solve: L must be batches of square matrices, got shape "
                          f"{tuple(factor.shape)}")
    check_system("cholesky_solve", factor, b)
    return solve(_cholesky_product(factor, upper), b)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> TriangularSolveResult:
    """torch.triangular_solve (the older API): (X with op(A) X = b, a copy of A), op(A) = A or
    its transpose."""
    a = _square("triangular_solve", _as_tensor(A))
    check_system("triangular_solve", a, _as_tensor(b))
    coefficient = a.swapaxes(-1, -2) if transpose else a
    solution = solve_triangular(coefficient, b, upper=upper != transpose,
                                unitriangular=unitriangular)
    return TriangularSolveResult(solution, a.clone())


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:  # noqa: N803
    """(eigenvalues ascending, eigenvectors as columns) of symmetric A, from its lower
    triangle (UPLO='U': the upper one)."""
    a = _float("eigh", _square("eigh", A))
    if UPLO == "U":
        a = a.swapaxes(-1, -2)
    packed = Eigh.apply(a)
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues of symmetric A (ascending); gradient V diag(g) V^T."""
    a = _float("eigvalsh", _square("eigvalsh", A))
    return Eigh.apply(a.swapaxes(-1, -2) if UPLO == "U" else a)[..., 0, :]


def _svd_parts(a: Tensor, full_matrices: bool) -> tuple:
    m, n = a.shape[-2:]
    k = min(m, n)
    cu, rv = (m, n) if full_matrices else (k, k)
    packed = SVD.apply(a, full_matrices)
    batch = a.shape[:-2]
    u = packed[..., : m * cu].reshape(batch + (m, cu))
    s = packed[..., m * cu : m * cu + k]
    vh = packed[..., m * cu + k :].reshape(batch + (rv, n))
    return u, s, vh


def svd(A: Tensor, full_matrices: bool = True) -> SVDResult:  # noqa: N803
    """(U, S, Vh) with A = U diag(S) Vh, S descending. The gradient (which needs distinct
    singular values when U or Vh is used) ignores the extra columns of full matrices, as
    PyTorch's."""
    return SVDResult(*_svd_parts(_float("svd", _matrix("svd", A)), full_matrices))


def svdvals(A: Tensor) -> Tensor:  # noqa: N803
    """The singular values, descending; gradient U diag(g) Vh."""
    return _svd_parts(_float("svdvals", _matrix("svdvals", A)), False)[1]


def qr(A: Tensor, mode: str = "reduced") -> QRResult:  # noqa: N803
    """(Q, R) with A = Q R ('reduced', 'complete', or 'r': R only and an empty Q), with
    PyTorch's gradient (none for 'r', or 'complete' with more rows than columns: refused)."""
    a = _float("qr", _matrix("qr", A))
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    m, n = a.shape[-2:]
    k = m if mode != "reduced" else min(m, n)
    q, r = _qr_unpack(QR.apply(a, mode), m, k, n)
    if mode == "r":
        return QRResult(Tensor(np.empty(0, dtype=a.dtype)), r[..., : min(m, n), :])
    return QRResult(q, r)


def matrix_rank(A: Tensor, *, atol: float | None = None, rtol: float | None = None,  # noqa: N803
                hermitian: bool = False) -> Tensor:
    """The number of singular values above max(atol, rtol * largest) (int64, no gradient)."""
    a = _matrix("matrix_rank", A)
    if a.dtype == np.float16:
        _float("matrix_rank", a)
    s = _svd(a._data, compute_uv=False)
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol else np.finfo(a.dtype if a.dtype.kind == "f" else np.float64).eps \
            * max(m, n)
    cutoff = np.maximum(atol or 0.0, rtol * (s[..., :1] if s.shape[-1] else 0))
    return Tensor(np.asarray((s > cutoff).sum(-1), dtype=np.int64))


# ----------------------------------------------------------------------------- norms
def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False,  # noqa: A002
                *, dtype: Any = None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over `dim` (all elements by default); inf/-inf: max/min |x|,
    0: the count of nonzeros."""
    x = _as_tensor(x)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
    return x.norm(ord, dim, keepdim, dtype=dtype)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),  # noqa: A002, N803
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """'fro', 'nuc' (sum of singular values), 1/-1 (max/min column sum of |A|), inf/-inf
    (max/min row sum), 2/-2 (largest/smallest singular value) over the two axes `dim`."""
    a = _matrix("matrix_norm", A)
    a = a if dtype is None else a.astype(dtype)
    rows, cols = (d % a.ndim for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        return a.norm(2, (rows, cols), keepdim)
    maxed = {2: min(a.shape[rows], a.shape[cols]), 1: a.shape[cols], math.inf: a.shape[rows]}
    if maxed.get(ord) == 0:  # the largest of no values: 0, as PyTorch
        return Tensor(np.zeros(a.shape, a.dtype)).sum((rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        moved = a.movedim((rows, cols), (-2, -1))
        s = svdvals(moved)
        result = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            for axis in sorted((rows, cols)):
                result = result.unsqueeze(axis)
        return result
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = a.abs().sum(summed, keepdim=True)
        result = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return result if keepdim else result.squeeze((rows, cols))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False,  # noqa: A002, N803
         *, dtype: Any = None) -> Tensor:
    """A vector norm (dim an int, or ord None with dim None: all elements) or a matrix norm
    (dim two axes, or a 2-D input with ord given), as torch.linalg.norm."""
    a = _as_tensor(A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(a, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(a, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if a.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {a.ndim}D.")
        dim = tuple(range(a.ndim))
    if len(dim) == 2:
        return matrix_norm(a, ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord={ord!r} needs two dims (a matrix norm)")
    return vector_norm(a, ord, dim, keepdim, dtype=dtype)


# ----------------------------------------------------------------------------- products
def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim` (default the last), broadcasting."""
    from tinygrad_np.statistics import cross as cross_along

    return cross_along(_as_tensor(input), other, dim)


def multi_dot(tensors: Any) -> Tensor:
    """A @ B @ ... ; the first may be 1-D (a row) and the last 1-D (a column)."""
    tensors = [_as_tensor(t) for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got "
                           f"{len(tensors)}")
    result = tensors[0]
    for tensor in tensors[1:]:
        result = result @ tensor
    return result


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """The diagonal of each matrix (the last two axes by default), as the last axis."""
    return _as_tensor(A).diagonal(offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y) along `dim`, broadcasting (real inputs)."""
    return (_as_tensor(x) * y).sum(dim)


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """input @ other."""
    return _as_tensor(input) @ other


# ----------------------------------------------------------------------------- torch.* names
SVDOldResult = namedtuple("svd", ["U", "S", "V"])


def old_svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> SVDOldResult:  # noqa: A002
    """torch.svd: (U, S, V) with A = U diag(S) V^T (V, not Vh); some=False: full U and V;
    compute_uv=False: zero U and V, as PyTorch."""
    u, s, vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return SVDOldResult(Tensor(np.zeros(u.shape, dtype=u.dtype)), s,
                            Tensor(np.zeros(vh.shape[:-2] + vh.shape[:-3:-1], dtype=vh.dtype)))
    return SVDOldResult(u, s, vh.swapaxes(-1, -2))


def old_cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """torch.cholesky (deprecated in PyTorch): L, or U = L^T with upper=True."""
    return cholesky(input, upper=upper)


@xp.quiet
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """torch.pinverse: pinv with singular values at or under rcond * largest dropped."""
    return pinv(input, rtol=rcond)


from tinygrad_np.linalg_lu import (  # noqa: E402  (it composes the functions above)
    cond,
    householder_product,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    solve_ex,
    tensorinv,
    tensorsolve,
    vander,
)

__all__ += ["cond", "householder_product", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
            "solve_ex", "tensorinv", "tensorsolve", "vander"]
