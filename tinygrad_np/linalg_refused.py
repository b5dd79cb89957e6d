"""What tinygrad_np's linalg refuses, with the reason: `linalg.eig`/`eigvals` (a general real
matrix has complex eigenvalues, and there are no complex tensors here) and the torch.* names
PyTorch removed in 1.9 (`torch.eig`, `symeig`, `lstsq`, `solve`, `matrix_rank`), which keep
PyTorch's RuntimeError and its guidance to the replacement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_np.tensor import Tensor

_NO_COMPLEX = ("the eigenvalues of a general real matrix are complex, and PyTorch returns "
               "complex tensors (cfloat/cdouble), which tinygrad_np does not have. For a "
               "symmetric matrix use linalg.eigh or linalg.eigvalsh (real, reading one "
               "triangle).")


def _refuse_eig(name: str, A: Any) -> None:  # noqa: N803
    from tinygrad_np.linalg import _float, _square  # noqa: PLC0415 (linalg imports this module)
    _float(name, _square(name, A))  # PyTorch's errors for bad input come first
    raise NotImplementedError(f"linalg.{name}: {_NO_COMPLEX}")


def eig(A: Tensor, *, out: Any = None) -> Any:  # noqa: N803
    """Refused (NotImplementedError): the eigen-decomposition is complex."""
    _refuse_eig("eig", A)


def eigvals(A: Tensor, *, out: Any = None) -> Any:  # noqa: N803
    """Refused (NotImplementedError): the eigenvalues are complex."""
    _refuse_eig("eigvals", A)


_REMOVED = "This function was deprecated since version 1.9 and is now removed."
REMOVED = {  # PyTorch 2.13's text, word for word
    "eig": " `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather "
           "than real tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be "
           "replaced with:\nL_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, "
           "eigenvectors=True) should be replaced with:\nL_complex, V_complex = "
           "torch.linalg.eig(A)",
    "symeig": " The default behavior has changed from using the upper triangular portion of the "
              "matrix by default to using the lower triangular portion.\n\nL, _ = "
              "torch.symeig(A, upper=upper) should be replaced with:\nL = "
              "torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\nL, V = "
              "torch.symeig(A, eigenvectors=True) should be replaced with:\nL, V = "
              "torch.linalg.eigh(A, UPLO='U' if upper else 'L')",
    "lstsq": " `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` "
             "has reversed arguments and does not return the QR decomposition in the returned "
             "tuple (although it returns other information about the problem).\n\nTo get the QR "
             "decomposition consider using `torch.linalg.qr`.\n\nThe returned solution in "
             "`torch.lstsq` stored the residuals of the solution in the last m - n columns of "
             "the returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the "
             "field 'residuals' of the returned named tuple.\n\nThe unpacking of the solution, "
             "as in\nX, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\n"
             "X = torch.linalg.lstsq(A, B).solution",
    "solve": " `torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` "
             "has its arguments reversed and does not return the LU factorization.\n\nTo get "
             "the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` or "
             "`torch.lu_unpack`.\nX = torch.solve(B, A).solution should be replaced with:\n"
             "X = torch.linalg.solve(A, B)",
    "matrix_rank": "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter "
                   "'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
}


def _removed(name: str) -> Callable[..., Any]:
    def removed(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(_REMOVED + REMOVED[name])
    removed.__name__ = removed.__qualname__ = name
    removed.__doc__ = f"torch.{name}, removed in PyTorch 1.9: PyTorch's RuntimeError."
    return removed


removed_names = {name: _removed(name) for name in REMOVED}
