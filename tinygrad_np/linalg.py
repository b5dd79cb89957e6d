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
from typing import Any

import numpy as np

from tinygrad_np import return_types, xp
from tinygrad_np.errors import DtypeError, TensorError
from tinygrad_np.node_api import pytorch_named, several_outputs
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
    nan_safe,
    svd as _svd,
    zero_pivot,
)
from tinygrad_np.tensor import Tensor, number_operand

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "diagonal", "eigh",
           "eigvalsh", "inv", "inv_ex",
           "lstsq", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot",
           "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular", "svd", "svdvals",
           "vecdot", "vector_norm"]

SlogdetResult = return_types.linalg_slogdet
EighResult = return_types.linalg_eigh
SVDResult = return_types.linalg_svd
QRResult = return_types.linalg_qr
CholeskyExResult = return_types.linalg_cholesky_ex
InvExResult = return_types.linalg_inv_ex
TriangularSolveResult = return_types.triangular_solve
LstsqResult = return_types.linalg_lstsq


class LinAlgError(TensorError):
    """torch.linalg.LinAlgError: a matrix the decomposition or solve cannot take (singular,
    not positive-definite); a RuntimeError, as PyTorch's (and a ValueError, as NumPy's)."""


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _square(name: str, a: Tensor) -> Tensor:
    a = _as_tensor(a)
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
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
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {a.dtype.name}")
    if a.dtype == np.float16 and not half:  # a RuntimeError (NotImplementedError) as PyTorch's
        raise DtypeError(f"linalg.{name}: not implemented for 'Half' (float16); "
                         "use float32 or float64")
    return a


def check_norm_input(name: str, a: Tensor, dtype: Any) -> None:
    """PyTorch's checks of a norm's input and `dtype=`: the input a float (dtype= does not stand
    in for one), dtype a float it widens to."""
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {a.dtype.name}")
    target = None if dtype is None else np.dtype(dtype)
    if target is not None and target.kind != "f":
        raise RuntimeError(f"linalg.{name}: dtype should be floating point or complex, but got "
                           f"{target}")
    if target is not None and target.itemsize < a.dtype.itemsize:
        raise RuntimeError(f"linalg.{name}: the dtype of the input ({a.dtype.name}) should be "
                           f"convertible without narrowing to the specified dtype ({target})")


def _svd_input(name: str, a: Tensor) -> Tensor:
    """`a`, or PyTorch's LinAlgError for an SVD of a matrix holding NaN (LAPACK fails)."""
    if np.isnan(a._data).any():
        raise LinAlgError(f"linalg.svd: The algorithm failed to converge because the input "
                          f"matrix contained non-finite values (in {name}).")
    return a


def _tolerance(name: str, largest: np.ndarray, atol: Any, rtol: Any,
               eps_rtol: float) -> np.ndarray:
    """max(atol, rtol * largest) per matrix ((..., 1), against the singular values or |eigen-
    values| (..., k)): atol and rtol numbers or tensors broadcasting against the batch dims;
    rtol by default eps * max(m, n) (`eps_rtol`), or 0 where atol > 0, as PyTorch."""
    low = np.asarray(0.0 if atol is None else _as_tensor(atol)._data, dtype=np.float64)
    if rtol is None:
        relative = np.where(low > 0, 0.0, eps_rtol) if atol is not None else eps_rtol
    else:
        relative = np.asarray(_as_tensor(rtol)._data, dtype=np.float64)
    try:
        cutoff = np.maximum(np.asarray(low)[..., None], np.asarray(relative)[..., None] * largest)
        np.broadcast_to(cutoff, largest.shape)
    except ValueError:
        raise RuntimeError(f"linalg.{name}: atol (shape {np.shape(low)}) and rtol (shape "
                           f"{np.shape(relative)}) must broadcast against the batch dims "
                           f"{largest.shape[:-1]}") from None
    return cutoff


def _old_tolerance(name: str, old: str, value: Any, atol: Any, rtol: Any) -> None:
    """PyTorch's TypeError when the deprecated positional tolerance meets atol= or rtol=."""
    if value is not None and (atol is not None or rtol is not None):
        raise TypeError(f"linalg.{name}() received an invalid combination of arguments: "
                        f"{old} cannot be given with atol= or rtol=")


# ----------------------------------------------------------------------------- inverses
def inv(A: Tensor) -> Tensor:  # noqa: N803
    """The inverse of each square matrix (an error for a singular one, as PyTorch)."""
    a = _float("inv", _square("inv", A))
    try:
        return Inv.apply(a)
    except ValueError:  # LinAlgError
        raise LinAlgError(singular_message("linalg.inv", a._data)) from None


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:  # noqa: N803
    """(inverse, info): info 0 for an invertible matrix; for a singular one (without
    `check_errors`, which raises) info > 0 and the inverse LAPACK's inf and NaN (gradient
    NaN), as PyTorch's."""
    a = _float("inv_ex", _square("inv_ex", A))
    info = singular_info(a._data)
    if check_errors and info.any():
        raise LinAlgError(singular_message("linalg.inv_ex", a._data, info))
    return InvExResult(Inv.apply(a, True), Tensor(info))


def first_failure(info: np.ndarray) -> tuple[str, int]:
    """PyTorch's error prefix "(Batch element k): " for the first matrix whose LAPACK info is
    not 0 (none for a single matrix), and that info."""
    flat = np.asarray(info).reshape(-1)
    k = int(np.flatnonzero(flat)[0]) if flat.any() else 0
    return (f"(Batch element {k}): " if np.ndim(info) else ""), int(flat[k]) if flat.size else 0


def singular_message(op: str, a: np.ndarray, info: np.ndarray | None = None) -> str:
    """PyTorch's text for a singular matrix that `op` (linalg.inv, inv_ex, ...) inverts."""
    prefix, element = first_failure(singular_info(a) if info is None else info)
    return (f"{op}: {prefix}The diagonal element {element or a.shape[-1]} is zero, the "
            f"inversion could not be completed because the input matrix is singular.")


def singular_info(a: np.ndarray) -> np.ndarray:
    """LAPACK's info per matrix (int32): 0 for one LAPACK inverts, else 1 + its first zero
    pivot (our LU's, or n where only LAPACK's rounding found one). Whether a matrix is
    singular is LAPACK's decision, as PyTorch's, not a tolerance."""
    info = np.zeros(a.shape[:-2], np.int32)
    a = np.where(np.isnan(a).any(axis=(-2, -1))[..., None, None], np.eye(a.shape[-1]), a)
    try:  # (a NaN is no zero pivot: LAPACK carries it through, to NaN)
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
    sign = np.nan_to_num(nan_safe(lambda x: np.linalg.slogdet(x)[0], a._data, 0))  # NaN: 0
    return SlogdetResult(Tensor(np.asarray(sign, dtype=a.dtype)), LogAbsDet.apply(a))


def logdet(input: Tensor) -> Tensor:  # noqa: A002
    """log(det(A)): NaN (gradient 0) for a negative determinant, -inf for zero, as PyTorch."""
    sign, logabsdet = slogdet(input)
    return logabsdet.where(Tensor(sign._data != -1), float("nan"))


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803
    """X with A X = B (left=False: X A = B). B is a batch of vectors when it is 1-D or has
    A's shape without the last axis, else of matrices; batch axes broadcast."""
    a, b = _float("solve", _square("solve", A)), _as_tensor(B)
    check_system("linalg.solve", a, b, left, is_vector(a, b))
    try:
        return solve_system(a, b, left, False)
    except ValueError:  # LinAlgError
        prefix = first_failure(singular_info(a._data))[0]
        raise LinAlgError(f"linalg.solve: {prefix}The solver failed because the input matrix "
                          f"is singular.") from None


def solve_system(a: Tensor, b: Tensor, left: bool, through_singular: bool) -> Tensor:
    """solve's X; `through_singular` (solve_ex): a singular A gives LAPACK's inf and NaN."""
    if not left:  # (PyTorch's node names the result whatever the steps here)
        return pytorch_named(solve_system(a.mT, b.mT, True, through_singular).mT,
                             "LinalgSolveExBackward0")
    vector = is_vector(a, b)
    x = Solve.apply(a, b[..., None] if vector else b, through_singular)
    return pytorch_named(x[..., 0], "LinalgSolveExBackward0") if vector else x


def is_vector(a: Tensor, b: Tensor) -> bool:
    """Whether solve reads B as a (batch of) vector(s): 1-D, or A's shape without its last
    dim, as PyTorch."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


def pinv(input: Tensor, rcond: Any = None, hermitian: bool = False, *,  # noqa: A002
         atol: Any = None, rtol: Any = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse, dropping the singular values (|eigenvalues| with
    `hermitian`, which reads only the lower triangle, through eigh; the gradient is still
    PyTorch's of the whole A) at or under
    max(atol, rtol * largest), as PyTorch: rtol defaults to eps * max(m, n) (0 where atol > 0);
    atol and rtol may be tensors over the batch dims; `rcond` (deprecated) is rtol with
    atol = 0. Always the `Pinv` op, through the SVD (never the normal equations, which square
    the condition number); its gradient needs no distinct singular values (a zero matrix's is
    finite, as PyTorch's)."""
    _old_tolerance("pinv", "rcond", rcond, atol, rtol)
    if rcond is not None:
        atol, rtol = 0.0, rcond
    a = _float("pinv", _matrix("pinv", input))
    m, n = a.shape[-2:]
    eps_rtol = np.finfo(a.dtype).eps * max(m, n)
    if hermitian:
        magnitude = np.abs(eigvalsh(a.detach())._data)  # (LinAlgError as eigh's)
        return Pinv.apply(a, _tolerance("pinv", magnitude.max(-1, keepdims=True, initial=0),
                                        atol, rtol, eps_rtol), True)
    parts = _svd(_svd_input("pinv", a)._data, full_matrices=False)  # (the op's: one SVD)
    s = parts[1]
    cutoff = _tolerance("pinv", s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,)),
                        atol, rtol, eps_rtol)
    return Pinv.apply(a, cutoff, False, parts)


def lstsq(input: Tensor, b: Tensor, rcond: float | None = None, *,  # noqa: A002
          driver: str | None = None) -> LstsqResult:
    """The least-squares solution X of A X = B, pinv(A) @ B, differentiable in A and B; A is
    (..., m, n), B (..., m, k). As PyTorch's per driver: the residuals for m > n with 'gels'
    (which assumes full rank), and with 'gelsd' or 'gelss' at full rank, else empty (the CPU
    default, 'gelsy', never has them); the singular values with 'gelsd' and 'gelss'; the rank
    (the singular values over rcond times the largest, default eps * max(m, n)) with all but
    'gels', whose rank is empty."""
    a, b = _float("lstsq", _matrix("lstsq", _as_tensor(input))), _as_tensor(b)
    if driver not in (None, "gelsy", "gelsd", "gelss", "gels"):
        raise TensorError(f"linalg.lstsq: driver must be 'gels', 'gelsy', 'gelsd' or 'gelss', "
                          f"got {driver!r}")
    m, n = a.shape[-2:]
    if not 0 <= a.ndim - b.ndim <= 1:  # PyTorch's rule: one dim fewer is vectors, however long
        raise RuntimeError(f"torch.linalg.lstsq: input.dim() must be greater or equal to "
                           f"other.dim() and (input.dim() - other.dim()) <= 1 (A of shape "
                           f"{tuple(a.shape)}, B of shape {tuple(b.shape)})")
    if b.ndim == a.ndim - 1:  # a batch of vectors, as PyTorch
        if b.shape[-1] != m:
            raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match "
                               f"other.size(-1) (A of shape {tuple(a.shape)}, B of shape "
                               f"{tuple(b.shape)})")
        result = lstsq(a, b[..., None], rcond, driver=driver)  # (residuals: one, as PyTorch)
        return result._replace(solution=result.solution[..., 0])
    if b.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2) "
                           f"(A of shape {tuple(a.shape)}, B of shape {tuple(b.shape)})")
    parts = _svd(a._data, full_matrices=False)  # one SVD for the rank and the solution
    s = parts[1]
    cutoff = (np.finfo(a.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond)
    largest = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    rank = (s > cutoff * largest).sum(axis=-1)
    solution = pytorch_named(Pinv.apply(a, cutoff * largest, False, parts) @ b.astype(a.dtype),
                             "LinalgLstsqBackward0")
    empty = Tensor(np.zeros((0,), a.dtype))
    residuals, values = empty, empty
    if driver in ("gelsd", "gelss"):
        values = Tensor(s)
    if m > n and (driver == "gels" or driver in ("gelsd", "gelss") and bool(np.all(rank == n))):
        residuals = ((a @ solution - b) ** 2).sum(axis=-2)
    rank = np.zeros((0,), np.int64) if driver == "gels" else np.asarray(rank, np.int64)
    return LstsqResult(solution, residuals, Tensor(rank), values)


def matrix_power(input: Tensor, n: int) -> Tensor:  # noqa: A002
    """A^n by repeated squaring (n = 0: the identity, with a zero gradient as PyTorch's;
    n < 0: inv(A)^-n)."""
    a = _square("matrix_power", input)
    if hasattr(n, "item") and getattr(n, "ndim", 1) == 0 and np.dtype(n.dtype).kind in "iu":
        n = int(n.item())  # a 0-d integer tensor, as PyTorch's parser takes it
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
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


def matrix_exp(input: Tensor) -> Tensor:  # noqa: A002
    """exp(A) = sum A^k / k!, by scaling and squaring: exp(A) = exp(A / 2^s)^(2^s), with s
    chosen for each matrix of a batch so that A / 2^s has a 1-norm of at most 1/2, where 16
    terms of the series are exact to float64's precision. Composed from matmuls, so the
    gradient (and its gradient) is the engine's. A matrix holding inf or NaN gives NaN."""
    a = _float("matrix_exp", _square("matrix_exp", input), half=True)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # huge: inf or NaN,
        return pytorch_named(_matrix_exp(a), "LinalgMatrixExpBackward0")  # as PyTorch


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
def cholesky(input: Tensor, *, upper: bool = False) -> Tensor:  # noqa: A002
    """L (lower) with A = L L^T for symmetric positive-definite A, from A's lower triangle
    (U with A = U^T U from its upper one with `upper`, as LAPACK's potrf 'U' for PyTorch)."""
    a = _float("cholesky", _square("cholesky", input))
    a = a.mT if upper else a  # the triangle read is the one returned
    try:
        low = Cholesky.apply(a)
    except ValueError:  # LinAlgError, which apply names the op in
        low = None
    if low is None or np.isnan(np.diagonal(low._data, 0, -2, -1)).any():  # (a NaN pivot)
        raise LinAlgError(not_positive_definite("linalg.cholesky", a._data))
    return low.swapaxes(-1, -2) if upper else low


def not_positive_definite(op: str, a: np.ndarray) -> str:
    """PyTorch's text for `op` given a matrix (batch) that is not positive-definite."""
    info = np.zeros(a.shape[:-2], np.int32)
    for index in np.ndindex(info.shape):
        info[index] = _partial_cholesky(a[index])[1]
    prefix, order = first_failure(info)
    return (f"{op}: {prefix}The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {order or 1} is not "
            f"positive-definite).")


def _partial_cholesky(a: np.ndarray) -> tuple[np.ndarray, int]:
    """(factor, info) as LAPACK's unblocked potf2 leaves them: columns of L up to the first
    pivot that is not positive (info, 1-based; 0 if none), which holds that pivot unrooted,
    the rest of the lower triangle A's own. (MKL's blocked factorization of matrices larger
    than its block, about 100, leaves other values in the unfinished part.)"""
    low = np.tril(a).astype(a.dtype, copy=True)
    for j in range(a.shape[-1]):
        pivot = a[j, j] - low[j, :j] @ low[j, :j]
        if not pivot > 0:  # (NaN too)
            low[j, j] = pivot
            return low, j + 1
        low[j, j] = math.sqrt(pivot)
        low[j + 1:, j] = (a[j + 1:, j] - low[j + 1:, :j] @ low[j, :j]) / low[j, j]
    return low, 0


def cholesky_ex(input: Tensor, *, upper: bool = False,  # noqa: A002
                check_errors: bool = False) -> CholeskyExResult:
    """(L, info): info 0 when A is positive-definite, else the order of the first leading
    minor that is not, and L LAPACK's partial factor (see `_partial_cholesky`; no gradient
    flows to those matrices); `check_errors=True` raises instead."""
    a = _float("cholesky_ex", _square("cholesky_ex", input))
    a = a.mT if upper else a  # (`upper` reads the upper triangle)
    try:
        return CholeskyExResult(cholesky(a).mT if upper else cholesky(a),
                                Tensor(np.zeros(a.shape[:-2], np.int32)))
    except RuntimeError:
        if check_errors:
            raise LinAlgError(not_positive_definite("linalg.cholesky_ex", a._data)) from None
    info = np.zeros(a.shape[:-2], np.int32)
    partial = np.zeros(a.shape, a.dtype)
    for index in np.ndindex(info.shape):
        partial[index], info[index] = _partial_cholesky(a._data[index])
    valid = (info == 0)[..., None, None]  # factor the good matrices; the others: constants
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    factor = cholesky(a.where(valid, Tensor(eye))).where(valid, Tensor(partial))
    return CholeskyExResult(factor.mT if upper else factor, Tensor(info))


def solve_triangular(input: Tensor, B: Tensor, *, upper: bool, left: bool = True,  # noqa: A002, N803
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (left=False: X A = B) reading only A's upper or lower triangle (and
    taking its diagonal as ones with `unitriangular`), as PyTorch's: by substitution, so a zero
    on the diagonal gives inf and NaN (and so does the gradient), not an error."""
    a = _float("solve_triangular", _square("solve_triangular", _as_tensor(input)))
    b = _as_tensor(B)
    check_system("linalg.solve_triangular", a, b, left)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return pytorch_named(SolveTriangular.apply(a.mT, b.mT, not upper, unitriangular).mT,
                             "LinalgSolveTriangularBackward0")
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


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """X with (L L^T) X = B (B `input`, L `input2`, as PyTorch names them) for the Cholesky
    factor L (U^T U with `upper`), as torch.cholesky_solve: the values read only L's triangle;
    the gradient is PyTorch's (see `_cholesky_product`)."""
    factor, b = _as_tensor(input2), _as_tensor(input)
    if factor.ndim < 2 or factor.shape[-1] != factor.shape[-2]:
        raise TensorError(f"cholesky_solve: L must be batches of square matrices, got shape "
                          f"{tuple(factor.shape)}")
    check_system("cholesky_solve", _float("cholesky_solve", factor), b)
    # B is always matrices here (never linalg.solve's vector reading), and a zero on the
    # factor's diagonal gives LAPACK's inf and NaN, not an error, as PyTorch's potrs.
    return Solve.apply(_cholesky_product(factor, upper), b, True)


def triangular_solve(input: Tensor, A: Tensor, upper: bool = True,  # noqa: A002, N803
                     transpose: bool = False, unitriangular: bool = False
                     ) -> TriangularSolveResult:
    """torch.triangular_solve (the older API): (X with op(A) X = b, a copy of A broadcast to
    the batch dims of both), op(A) = A or its transpose."""
    a = _square("triangular_solve", _as_tensor(number_operand("triangular_solve", A, "A")))
    b = _as_tensor(input)
    check_system("triangular_solve", a, b)
    coefficient = a.swapaxes(-1, -2) if transpose else a
    solution = solve_triangular(coefficient, b, upper=upper != transpose,
                                unitriangular=unitriangular)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return TriangularSolveResult(solution, a.expand(batch + a.shape[-2:]).clone())


def _eigh(name: str, a: Tensor, uplo: str) -> Tensor:
    """Eigh's packed (w; V) of symmetric `a` from the triangle UPLO names ('L' or 'U')."""
    if not isinstance(uplo, str) or uplo.upper() not in ("L", "U"):
        raise RuntimeError(f"linalg.{name}: Expected UPLO argument to be 'L' or 'U', but got "
                           f"{uplo}")
    a = _float(name, _square(name, a))
    try:
        return Eigh.apply(a.swapaxes(-1, -2) if uplo.upper() == "U" else a)
    except TensorError as error:  # LAPACK did not converge (NaN or inf in the triangle)
        raise LinAlgError(f"linalg.{name}: The algorithm failed to converge because the input "
                          f"matrix is ill-conditioned or has too many repeated eigenvalues "
                          f"({error})") from None


def eigh(input: Tensor, UPLO: str = "L") -> EighResult:  # noqa: A002, N803
    """(eigenvalues ascending, eigenvectors as columns) of symmetric A, from its lower
    triangle (UPLO='U': the upper one)."""
    packed = _eigh("eigh", input, UPLO)
    return EighResult(*several_outputs((packed[..., 0, :], packed[..., 1:, :]),
                                       "LinalgEighBackward0", packed.grad_fn))


def eigvalsh(input: Tensor, UPLO: str = "L") -> Tensor:  # noqa: A002, N803
    """The eigenvalues of symmetric A (ascending); gradient V diag(g) V^T."""
    packed = _eigh("eigvalsh", input, UPLO)  # (output 0 of PyTorch's eigh node)
    return several_outputs((packed[..., 0, :], packed[..., 1:, :]), "LinalgEighBackward0",
                           packed.grad_fn)[0]


def _svd_unpacked(a: Tensor, full_matrices: bool, packed: Tensor) -> tuple:
    """(U, S, Vh): views of SVD's packed output."""
    m, n = a.shape[-2:]
    k = min(m, n)
    cu, rv = (m, n) if full_matrices else (k, k)
    batch = a.shape[:-2]
    u = packed[..., : m * cu].reshape(batch + (m, cu))
    s = packed[..., m * cu : m * cu + k]
    vh = packed[..., m * cu + k :].reshape(batch + (rv, n))
    return u, s, vh


def _no_driver(driver: str | None) -> None:
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> SVDResult:  # noqa: N803
    """(U, S, Vh) with A = U diag(S) Vh, S descending. The gradient (which needs distinct
    singular values when U or Vh is used) ignores the extra columns of full matrices, as
    PyTorch's. `driver` is CUDA's: None only, as PyTorch on the CPU."""
    _no_driver(driver)
    a = _svd_input("svd", _float("svd", _matrix("svd", A)))
    packed = SVD.apply(a, full_matrices)
    return SVDResult(*several_outputs(_svd_unpacked(a, full_matrices, packed),
                                      "LinalgSvdBackward0", packed.grad_fn))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:  # noqa: N803
    """The singular values, descending; gradient U diag(g) Vh."""
    _no_driver(driver)
    a = _svd_input("svdvals", _float("svdvals", _matrix("svdvals", A)))
    packed = SVD.apply(a, False)  # (output 1 of PyTorch's svd node)
    return several_outputs(_svd_unpacked(a, False, packed), "LinalgSvdBackward0",
                           packed.grad_fn)[1]


def qr(A: Tensor, mode: str = "reduced") -> QRResult:  # noqa: N803
    """(Q, R) with A = Q R ('reduced', 'complete', or 'r': R only and an empty Q), with
    PyTorch's gradient (none for 'r', or 'complete' with more rows than columns: refused)."""
    a = _float("qr", _matrix("qr", A))
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    m, n = a.shape[-2:]
    k = m if mode != "reduced" else min(m, n)
    packed = QR.apply(a, mode)
    q, r = _qr_unpack(packed, m, k, n)
    if mode == "r":
        return QRResult(Tensor(np.empty(0, dtype=a.dtype)), r[..., : min(m, n), :])
    return QRResult(*several_outputs((q, r), "LinalgQrBackward0", packed.grad_fn))


def matrix_rank(input: Tensor, tol: Any = None, hermitian: bool = False, *,  # noqa: A002
                atol: Any = None, rtol: Any = None) -> Tensor:
    """The number of singular values (|eigenvalues| with `hermitian`, from the lower triangle)
    above max(atol, rtol * largest), int64, no gradient; tolerances as pinv's, and `tol`
    (deprecated) is atol with rtol = 0."""
    _old_tolerance("matrix_rank", "tol", tol, atol, rtol)
    if tol is not None:
        atol, rtol = tol, 0.0
    a = _matrix("matrix_rank", input)
    if a.dtype == np.float16:
        _float("matrix_rank", a)
    m, n = a.shape[-2:]
    if hermitian:
        values = np.abs(eigvalsh(_square("matrix_rank", a).detach())._data)
    else:
        values = _svd(_svd_input("matrix_rank", a)._data, compute_uv=False)
    eps = np.finfo(a.dtype if a.dtype.kind == "f" else np.float64).eps
    cutoff = _tolerance("matrix_rank", values.max(-1, keepdims=True, initial=0), atol, rtol,
                        eps * max(m, n))
    return Tensor(np.asarray((values > cutoff).sum(-1), dtype=np.int64))


# ----------------------------------------------------------------------------- norms
def vector_norm(x: Tensor | None = None, ord: float = 2, dim: Any = None,
                keepdim: bool = False, *, dtype: Any = None,
                input: Tensor | None = None) -> Tensor:  # noqa: A002
    """(sum |x|^ord)^(1/ord) over `dim` (all elements by default); inf/-inf: max/min |x|,
    0: the count of nonzeros. The tensor is `x` (PyTorch's name) or `input` (also taken)."""
    if (x is None) == (input is None):
        raise TypeError("linalg_vector_norm(): missing 1 required positional argument: \"x\"")
    x = _as_tensor(input if x is None else x)
    if isinstance(ord, str) or ord is None:  # (PyTorch's argument parser)
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    check_norm_input("vector_norm", x, dtype)
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
    return x.norm(ord, dim, keepdim, dtype=dtype)


def _dim(dim: int, ndim: int) -> int:
    """`dim` wrapped into range(ndim), or PyTorch's IndexError."""
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    return dim % ndim


def matrix_norm(input: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),  # noqa: A002
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """'fro', 'nuc' (sum of singular values), 1/-1 (max/min column sum of |A|), inf/-inf
    (max/min row sum), 2/-2 (largest/smallest singular value) over the two axes `dim`."""
    a = _matrix("matrix_norm", input)
    check_norm_input("matrix_norm", a, dtype)
    a = a if dtype is None else a.astype(dtype)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(map(str, dim))}")
    rows, cols = (_dim(d, a.ndim) for d in dim)
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


def norm(input: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False,  # noqa: A002
         *, dtype: Any = None) -> Tensor:
    """A vector norm (dim an int, or ord None with dim None: all elements) or a matrix norm
    (dim two axes, or a 2-D input with ord given), as torch.linalg.norm."""
    a = _as_tensor(input)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
        for d in dim:
            _dim(d, max(a.ndim, 1))
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
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"multi_dot(): argument 'tensors' (position 1) must be tuple of "
                        f"Tensors, not {type(tensors).__name__}")
    tensors = [_as_tensor(t) for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError("multi_dot(): expected at least 2 tensors but got "
                           f"{len(tensors)}")
    for i, t in enumerate(tensors):  # PyTorch's checks (no batch dims)
        end = {0: "the first tensor", len(tensors) - 1: "the last tensor"}.get(i)
        if t.ndim != 2 and (end is None or t.ndim != 1):
            raise RuntimeError(f"multi_dot(): {end or f'tensor {i}'} must be "
                               f"{'1D or 2D' if end else '2D'} but got {t.ndim}D")
    result = tensors[0]
    for tensor in tensors[1:]:
        result = result @ tensor
    return result


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """The diagonal of each matrix (the last two axes by default), as the last axis."""
    return _as_tensor(A).diagonal(offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """sum(x * y) along `dim`, broadcasting (real float inputs, as PyTorch)."""
    x, y = _as_tensor(x), _as_tensor(y)
    for t in (x, y):
        _float("vecdot", t, half=True)
    return (x * y).sum(dim)


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """input @ other."""
    return _as_tensor(input) @ other


# ----------------------------------------------------------------------------- torch.* names
SVDOldResult = return_types.svd


def old_svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> SVDOldResult:  # noqa: A002
    """torch.svd: (U, S, V) with A = U diag(S) V^T (V, not Vh); some=False: full U and V;
    compute_uv=False: zero U and V, as PyTorch."""
    if not compute_uv:  # U (m, m) and V (n, n), whatever `some`
        s = svdvals(input)
        m, n = s.shape[:-1] + input.shape[-2:-1], s.shape[:-1] + input.shape[-1:]
        return SVDOldResult(Tensor(np.zeros(m + m[-1:], s.dtype)), s,
                            Tensor(np.zeros(n + n[-1:], s.dtype)))
    u, s, vh = svd(input, full_matrices=not some)
    return SVDOldResult(u, s, vh.swapaxes(-1, -2))


def old_det(input: Tensor) -> Tensor:  # noqa: A002
    """torch.det: linalg.det, its argument named `input`."""
    return det(input)


def old_slogdet(input: Tensor) -> Any:  # noqa: A002
    """torch.slogdet: linalg.slogdet, its argument named `input` (a return_types.slogdet)."""
    return return_types.slogdet(*slogdet(input))


def old_inverse(input: Tensor) -> Tensor:  # noqa: A002
    """torch.inverse: linalg.inv, its argument named `input`."""
    return inv(input)


def old_cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """torch.cholesky (deprecated in PyTorch): L, or U = L^T with upper=True."""
    return cholesky(input, upper=upper)


@xp.quiet
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """torch.pinverse: pinv with singular values at or under rcond * largest dropped."""
    return pinv(input, rtol=rcond)


from tinygrad_np.linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve  # noqa: E402
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
from tinygrad_np.linalg_refused import eig, eigvals, removed_names  # noqa: E402, F401

__all__ += ["eig", "eigvals", "ldl_factor", "ldl_factor_ex", "ldl_solve"]
__all__ += ["cond", "householder_product", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
            "solve_ex", "tensorinv", "tensorsolve", "vander"]
