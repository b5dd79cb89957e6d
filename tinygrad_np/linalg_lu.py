"""PyTorch's LU family and the smaller linalg functions built on the rest of `linalg`:
lu_factor(_ex), lu, lu_solve, torch.lu / lu_unpack / lu_solve, cond, vander, solve_ex,
tensorsolve, tensorinv and householder_product.

The factorization (partial pivoting, LAPACK's pivots) is `ops/linalg.lu_packed`; its gradient
is the `LU` op's, and everything else is composed from differentiable ops, so `lu_solve` is
differentiable in both LU and B as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np import return_types
from tinygrad_np.join import cat
from tinygrad_np.linalg import (
    LinAlgError,
    _float,
    _matrix,
    _square,
    check_system,
    first_failure,
    inv,
    is_vector,
    matrix_norm,
    singular_info,
    solve,
    solve_system,
    solve_triangular,
    svdvals,
)
from tinygrad_np.node_api import several_outputs
from tinygrad_np.ops.linalg import LU, Geqrf, lu_packed, permutation, zero_pivot
from tinygrad_np.tensor import Tensor, number_operand, to_tensor

LUFactorResult = return_types.linalg_lu_factor
LUFactorExResult = return_types.linalg_lu_factor_ex
LUResult = return_types.linalg_lu
SolveExResult = return_types.linalg_solve_ex


def lu_factor_ex(A: Tensor, *, pivot: bool = True,  # noqa: N803
                 check_errors: bool = False) -> LUFactorExResult:
    """(LU, pivots, info): P A = L U with L (unit diagonal) below U in one matrix, pivots the
    1-based row swaps (int32), info > 0 where U has a zero on its diagonal."""
    a = _float("lu_factor_ex", _matrix("lu_factor_ex", A))
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    packed, pivots = lu_packed(a._data)
    info = zero_pivot(packed)
    if check_errors and info.any():
        prefix, j = first_failure(info)
        raise LinAlgError(f"linalg.lu_factor_ex: {prefix}U[{j},{j}] is zero and using it on "
                          f"lu_solve would result in a division by zero. To factor it anyway, "
                          f"call linalg.lu(A) or linalg.lu_factor_ex(A)")
    p = permutation(pivots, a.shape[-2], a.dtype)
    return LUFactorExResult(LU.apply(a, packed, p), Tensor(pivots), Tensor(info))


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactorResult:  # noqa: N803
    """(LU, pivots) as lu_factor_ex; a zero on U's diagonal is an error (LinAlgError), as
    solving with it would divide by zero."""
    packed, pivots, info = lu_factor_ex(A, pivot=pivot)
    if info._data.any():
        prefix, j = first_failure(info._data)
        raise LinAlgError(f"linalg.lu_factor: {prefix}U[{j},{j}] is zero and using it on lu_solve "
                          f"would result in a division by zero. To factor it anyway, call "
                          f"linalg.lu(A) or linalg.lu_factor_ex(A)")
    return LUFactorResult(packed, pivots)


def _unpacked(packed: Tensor) -> tuple[Tensor, Tensor]:
    """L (m, k) with ones on its diagonal and U (k, n) from a packed LU (k = min(m, n))."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    low = packed[..., :, :k].tril(-1) + Tensor(np.eye(m, k, dtype=packed.dtype))
    return low, packed[..., :k, :].triu()


def lu(A: Tensor, *, pivot: bool = True) -> LUResult:  # noqa: N803
    """(P, L, U) with A = P L U: P a permutation matrix (A's dtype), L (m, k) unit lower
    triangular, U (k, n) upper triangular."""
    packed, pivots, _ = lu_factor_ex(A, pivot=pivot)
    return LUResult(Tensor(permutation(pivots._data, packed.shape[-2], packed.dtype)),
                    *several_outputs(_unpacked(packed), "LinalgLuBackward0", packed.grad_fn))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,  # noqa: N803
              unpack_pivots: bool = True) -> Any:
    """torch.lu_unpack: (P, L, U) from lu_factor's (LU, pivots); empty tensors for the parts
    not asked for."""
    packed, pivots = to_tensor(LU_data), to_tensor(LU_pivots)
    empty = Tensor(np.empty(0, dtype=packed.dtype))
    p = Tensor(permutation(pivots._data.astype(np.int64), packed.shape[-2], packed.dtype)) \
        if unpack_pivots else empty
    return return_types.lu_unpack(p, *(_unpacked(packed) if unpack_data else (empty, empty)))


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,  # noqa: N803
             adjoint: bool = False) -> Tensor:
    """X with A X = B for A = P L U given as lu_factor's (LU, pivots) (left=False: X A = B;
    adjoint: A^T in place of A); differentiable in LU and B."""
    packed, b = _square("lu_solve", to_tensor(LU)), to_tensor(B)
    check_system("linalg.lu_solve", packed, b, left)
    p = Tensor(permutation(to_tensor(pivots)._data.astype(np.int64), packed.shape[-1],
                           packed.dtype))
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return lu_solve(packed, pivots, b.mT, adjoint=not adjoint).mT
    if adjoint:  # U^T L^T P^T X = B
        y = solve_triangular(packed.mT, b, upper=False)
        return p @ solve_triangular(packed.mT, y, upper=True, unitriangular=True)
    y = solve_triangular(packed, p.mT @ b, upper=False, unitriangular=True)
    return solve_triangular(packed, y, upper=True)


def old_lu(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple:  # noqa: N803
    """torch.lu (deprecated there): (LU, pivots), with the infos when `get_infos`; a singular
    matrix is factored without an error, as PyTorch's."""
    packed, pivots, info = lu_factor_ex(A, pivot=pivot)
    return (packed, pivots, info) if get_infos else (packed, pivots)


def old_lu_solve(input: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: A002, N803
    """torch.lu_solve(b, LU_data, LU_pivots): linalg.lu_solve(LU_data, LU_pivots, b)."""
    return lu_solve(LU_data, LU_pivots, input)


# ------------------------------------------------------------------ the smaller functions
def solve_ex(A: Tensor, B: Tensor, *, left: bool = True,  # noqa: N803
             check_errors: bool = False) -> SolveExResult:
    """(solve(A, B), info): info 0, or LAPACK's 1 + the first zero pivot of a singular A,
    whose result is then not finite (LAPACK's inf and NaN, and so is the gradient), as
    PyTorch's."""
    a, b = _float("solve_ex", _square("solve_ex", to_tensor(A))), to_tensor(B)
    check_system("linalg.solve", a, b, left, is_vector(a, b))  # (PyTorch's name)
    info = singular_info(a._data)
    if check_errors and info.any():
        raise LinAlgError(f"linalg.solve_ex: {first_failure(info)[0]}The solver failed because "
                          f"the input matrix is singular.")
    return SolveExResult(solve_system(a, b, left, True), Tensor(info))


def cond(input: Tensor, p: Any = None) -> Tensor:  # noqa: A002
    """The condition number: largest / smallest singular value (p None or 2; -2 the inverse),
    else ||A||_p ||A^-1||_p for 'fro', 'nuc', inf, -inf, 1, -1."""
    a = _float("cond", _matrix("cond", input))
    if p not in (None, 2, -2, "fro", "nuc", math.inf, -math.inf, 1, -1):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p!r}")
    if p not in (None, 2, -2):
        _square("cond", a)
    if a.numel() == 0:  # an empty matrix or batch: 0 for each, as PyTorch
        return Tensor(np.zeros(a.shape[:-2], a.dtype))
    if p in (None, 2, -2):
        s = svdvals(a)
        ratio = s[..., 0] / s[..., -1]
        return ratio if p != -2 else s[..., -1] / s[..., 0]
    # a singular (or NaN, as PyTorch's) matrix's condition number: inf (and gradient 0; its
    # inverse never formed)
    nan = np.isnan(a._data).any(axis=(-2, -1))
    valid = (singular_info(a._data) == 0) & ~nan
    # 'nuc' of a matrix with an inf (and no NaN): NaN, as PyTorch's (its SVD gives NaN); the
    # inverse's norm is then not taken (an SVD of a NaN inverse would raise)
    inf_nuc = np.isinf(a._data).any(axis=(-2, -1)) & ~nan & (p == "nuc")
    eye = Tensor(np.eye(a.shape[-1], dtype=a.dtype))
    inverse = inv(a.where(Tensor((valid & ~inf_nuc)[..., None, None]), eye))
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 (an overflowed norm): inf,
        result = matrix_norm(a, p) * matrix_norm(inverse, p)  # as PyTorch's nan_to_num(inf)
    result = result.where(Tensor(valid & ~np.isnan(result._data)), math.inf)
    return result.where(Tensor(~inf_nuc), math.nan) if p == "nuc" else result


def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of the last axis: columns x^0, x^1, ..., x^(N-1) (increasing
    powers, as PyTorch's; N = x's length by default)."""
    x = to_tensor(x)
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    if N is not None and N <= 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {N}")
    count = x.shape[-1] if N is None else N
    if count <= 1:  # (a 0- or 1-element x)
        return x[..., None].new_ones(x.shape + (count,))
    ones = x[..., None].new_ones(x.shape + (1,))
    return cat([ones, x[..., None].expand(x.shape + (count - 1,))], -1).cumprod(-1)


def tensorsolve(input: Tensor, other: Tensor, dims: Any = None) -> Tensor:  # noqa: A002
    """X with tensordot(A, X, X.ndim) = B (A `input`, B `other`); `dims` of A move to the end
    first."""
    a, b = to_tensor(input), to_tensor(other)
    if dims is not None:
        moved = [d % a.ndim for d in dims]
        a = a.permute([d for d in range(a.ndim) if d not in moved] + moved)
    rest = a.shape[b.ndim:]
    if a.shape[: b.ndim] != b.shape or math.prod(rest) != b.numel():
        raise RuntimeError(f"linalg.tensorsolve: A of shape {a.shape} does not fit B of shape "
                           f"{b.shape} (A's leading dims must be B's, and the rest hold as "
                           f"many elements)")
    return solve(a.reshape(b.numel(), b.numel()), b.reshape(-1)).reshape(rest)


def tensorinv(input: Tensor, ind: int = 2) -> Tensor:  # noqa: A002
    """The inverse of A for tensordot(.., ind): A's first `ind` dims against the rest."""
    a = to_tensor(input)
    if ind <= 0:
        raise RuntimeError(f"linalg.tensorinv: ind must be a positive integer, got {ind}")
    left, right = a.shape[:ind], a.shape[ind:]
    if math.prod(left) != math.prod(right):
        raise RuntimeError(f"linalg.tensorinv: A of shape {a.shape} with ind={ind}: the "
                           f"product of the first {ind} dims must equal that of the rest")
    return inv(a.reshape(math.prod(left), math.prod(right))).reshape(right + left)


def householder_product(input: Tensor, tau: Tensor) -> Tensor:  # noqa: A002
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i column i of A
    below the diagonal and 1 on it (LAPACK's orgqr); differentiable in A and tau."""
    a, t = to_tensor(input), to_tensor(tau)
    if a.ndim < 2 or t.ndim < 1:
        raise RuntimeError(f"torch.linalg.householder_product: input must have at least 2 "
                           f"dimensions and tau at least 1 (got shapes {tuple(a.shape)} and "
                           f"{tuple(t.shape)}).")
    m, n = a.shape[-2:]
    k = t.shape[-1]
    if a.ndim < 2 or not k <= n <= m or t.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(f"linalg.householder_product: A of shape {a.shape} and tau of shape "
                           f"{t.shape} do not fit (need m >= n >= k and the same batch)")
    q = Tensor(np.broadcast_to(np.eye(m, dtype=a.dtype), a.shape[:-2] + (m, m)).copy())
    for i in range(k):
        below = np.arange(m) > i
        v = a[..., :, i] * Tensor(below.astype(a.dtype)) + Tensor(
            (np.arange(m) == i).astype(a.dtype))
        q = q - (q @ v[..., :, None]) * t[..., i, None, None] @ v[..., None, :]
    return q[..., :, :n]


# ------------------------------------------------------------------ torch.geqrf, ormqr, orgqr
GeqrfResult = return_types.geqrf


def geqrf(input: Tensor) -> GeqrfResult:  # noqa: A002
    """torch.geqrf: LAPACK's QR in Householder form, (a, tau): R on and above a's diagonal,
    the reflectors' vectors below it (Q = householder_product(a, tau)). No derivative, as
    PyTorch (backward raises naming geqrf)."""
    a = _float("geqrf", _matrix("geqrf", to_tensor(input)))
    m, n = a.shape[-2:]
    packed = Geqrf.apply(a)
    return GeqrfResult(packed[..., :m, :], packed[..., m, : min(m, n)])


def orgqr(input: Tensor, input2: Tensor) -> Tensor:  # noqa: A002
    """torch.orgqr(input, tau): linalg.householder_product (PyTorch's keyword names)."""
    return householder_product(input, number_operand("orgqr", input2, "input2"))


def ormqr(input: Tensor, input2: Tensor, input3: Tensor, left: bool = True,  # noqa: A002
          transpose: bool = False) -> Tensor:
    """torch.ormqr(input, tau, other): op(Q) @ other (`left`) or other @ op(Q), op(Q) = Q or
    Q^T (`transpose`), for Q = H_1 ... H_k the product of the reflectors (input, tau) of
    geqrf, square of other's rows (columns when not `left`). Composed from
    householder_product, so differentiable in all three."""
    reflectors, tau, other = to_tensor(input), to_tensor(input2), to_tensor(input3)
    if reflectors.ndim < 2 or other.ndim < 2 or tau.ndim < 1:
        raise RuntimeError(f"torch.ormqr: input and other must have at least 2 dimensions and "
                           f"tau 1 (got shapes {tuple(reflectors.shape)}, {tuple(tau.shape)}, "
                           f"{tuple(other.shape)})")
    size, columns = other.shape[-2 if left else -1], reflectors.shape[-1]
    if reflectors.shape[-2] != size or tau.shape[-1] != min(size, columns):  # (PyTorch 2.13)
        raise RuntimeError(f"torch.ormqr: input of shape {tuple(reflectors.shape)} and tau of "
                           f"shape {tuple(tau.shape)} do not fit other of shape "
                           f"{tuple(other.shape)} (input needs {size} rows, other's "
                           f"{'rows' if left else 'columns'}, and tau.shape[-1] must be equal "
                           f"to min(rows, columns) = {min(size, columns)})")
    if columns >= size:
        square = reflectors[..., :size]
    else:  # (the columns past tau's count are never read)
        padding = np.zeros(reflectors.shape[:-1] + (size - columns,), reflectors.dtype)
        square = cat([reflectors, Tensor(padding)], -1)
    q = householder_product(square, tau)
    q = q.mT if transpose else q
    return q @ other if left else other @ q


__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "solve_ex", "cond", "vander",
           "tensorsolve", "tensorinv", "householder_product"]
