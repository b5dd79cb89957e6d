"""PyTorch's `torch.nn.utils.parametrizations.orthogonal`: `module.weight` becomes an
orthogonal matrix (or batch of them), Q^T Q = I for a tall one, Q Q^T = I for a wide one.

The learnable `original` X maps to Q by one of three maps: "matrix_exp" (exp of the
skew-symmetric A = tril(X) - tril(X)^T), "cayley" ((I - A/2)^-1 (I + A/2)) or "householder"
(the product of the reflectors stored below X's diagonal). With `use_trivialization` (the
default) the result is multiplied by a buffer `base`, an orthogonal matrix: assigning
`module.weight = Q` stores Q (made orthogonal by QR if it is not) in `base` and resets
`original` to -I, so the weight is Q. A tall (or wide) n x k map is the first k columns of an
n x n one, so a wide weight is handled as its transpose.
"""

from __future__ import annotations

import numpy as np

from tinygrad_np.errors import TensorError
from tinygrad_np.factories import randn
from tinygrad_np.function import no_grad
from tinygrad_np.join import cat
from tinygrad_np.linalg import matrix_exp, solve
from tinygrad_np.linalg_lu import householder_product
from tinygrad_np.nn.module import Module
from tinygrad_np.nn.utils.parametrize import register_parametrization
from tinygrad_np.tensor import Tensor

_MAPS = ("matrix_exp", "cayley", "householder")


def _eye_like(x: Tensor, value: float = 1.0) -> Tensor:
    """`value` on the diagonal of a zero tensor of x's shape (x's last two dims)."""
    n, k = x.shape[-2:]
    eye = np.broadcast_to(np.eye(n, k, dtype=x.dtype) * value, x.shape).copy()
    return Tensor(eye)


def _geqrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's geqrf of a tall matrix (or batch): R on and above the diagonal, the
    Householder vectors below it, and their scales tau."""
    batch = a.shape[:-2]
    flat = a.reshape((-1,) + a.shape[-2:])
    pairs = [np.linalg.qr(m, mode="raw") for m in flat]
    h = np.stack([p[0].T for p in pairs]).reshape(a.shape)
    tau = np.stack([p[1] for p in pairs]).reshape(batch + (a.shape[-1],))
    return h, tau


def _make_orthogonal(a: np.ndarray) -> np.ndarray:
    """The Q of a tall matrix's QR decomposition, with R's diagonal made non-negative."""
    q, r = np.linalg.qr(a)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _is_orthogonal(q: np.ndarray) -> bool:
    n, k = q.shape[-2:]
    tolerance = 10.0 * n * np.finfo(q.dtype).eps
    return bool(np.allclose(np.swapaxes(q, -1, -2) @ q, np.eye(k), rtol=1e-5, atol=tolerance))


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: str, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n  # noqa: N806
        if self.orthogonal_map == "householder":
            reflectors = X.tril(-1)
            tau = 2.0 / (1.0 + (reflectors * reflectors).sum(-2))
            signs = np.trunc(np.diagonal(X.detach().numpy(), axis1=-2, axis2=-1))
            q = householder_product(reflectors, tau) * Tensor(signs[..., None, :].copy())
        else:
            lower = X.tril()
            if n != k:  # the first k columns of an n x n skew-symmetric matrix
                zeros = Tensor(np.zeros(lower.shape[:-1] + (n - k,), dtype=lower.dtype))
                lower = cat([lower, zeros], -1)
            skew = lower - lower.mT
            if self.orthogonal_map == "matrix_exp":
                q = matrix_exp(skew)
            else:
                eye = _eye_like(skew)
                q = solve(eye - 0.5 * skew, eye + 0.5 * skew)
            q = q[..., :k]
        if hasattr(self, "base"):
            q = self.base @ q
        return q.mT if transposed else q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"orthogonal: expected a matrix or batch of matrices of shape "
                             f"{self.shape}, got a tensor of shape {tuple(Q.shape)}")
        with no_grad():
            q = Q.detach().numpy()
            n, k = q.shape[-2:]
            transposed = n < k
            if transposed:
                q, n, k = np.swapaxes(q, -1, -2), k, n
            if not hasattr(self, "base"):
                return self._householder_inverse(q, transposed)
            if n != k:  # complete to an n x n orthogonal matrix
                extra = randn(*q.shape[:-1], n - k, dtype=Q.dtype).numpy()
                base = _make_orthogonal(np.concatenate([q, extra], -1))
            else:
                base = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
            self.base = Tensor(base.astype(q.dtype, copy=False))
            return _eye_like(Q, -1.0)

    def _householder_inverse(self, q: np.ndarray, transposed: bool) -> Tensor:
        if self.orthogonal_map != "householder":
            raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                      "or the Cayley parametrizations when "
                                      "use_trivialization=False.")
        a, tau = _geqrf(q)
        diagonal = np.sign(np.diagonal(a, axis1=-2, axis2=-1))
        diagonal = np.where(tau == 0.0, -diagonal, diagonal)
        rows = np.arange(a.shape[-1])
        a[..., rows, rows] = diagonal
        return Tensor(np.swapaxes(a, -1, -2).copy() if transposed else a)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Make `module.<name>` (a matrix or batch of matrices) orthogonal: the learnable tensor
    becomes `module.parametrizations.<name>.original` (and, with use_trivialization, the
    buffer `...<name>.0.base`). `orthogonal_map` is "matrix_exp", "cayley" or "householder";
    None picks "matrix_exp" for a square matrix, "householder" otherwise, as PyTorch."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"orthogonal: module '{type(module).__name__}' has no parameter or "
                         f"buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"orthogonal: expected a matrix or batch of matrices, got a tensor "
                         f"of {weight.ndim} dimensions (shape {tuple(weight.shape)}).")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    if weight.is_complex():
        raise TensorError(f"orthogonal: complex weights (dtype {weight.dtype.name}) are not "
                          "supported")
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    return register_parametrization(module, name, parametrization, unsafe=True)
