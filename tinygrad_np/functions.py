"""torch-style functions of tensors (`tg.where`, `tg.einsum`, `tg.maximum`, ...).

Most are the Tensor method under the name torch uses at module level; `where` and `einsum`
build the op directly.
"""

from __future__ import annotations

from typing import Any

from tinygrad_np.ops.einsum import Einsum
from tinygrad_np.ops.select import Where
from tinygrad_np.tensor import Axis, Tensor, _condition, _viewed


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """`input` where `condition` is True, else `other` (either may be a number);
    the gradient goes to the chosen side. With one argument, `condition.nonzero(as_tuple=True)`.
    """
    if input is None and other is None:
        return _tensor(condition).nonzero(as_tuple=True)
    return Where.apply(_condition(condition), input, other)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (`"ij,jk->ik"`, `"bii->bi"`, `"...ij->...ji"`, implicit output);
    each operand's gradient is an einsum of g and the other operands."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [_tensor(op) for op in operands]
    result = Einsum.apply(equation, *operands)
    # NumPy returns a view of a lone operand where it can ("ij->ji", "ii->i"), as PyTorch
    # does: it shares the operand's version counter, so a saved view sees its changes
    return _viewed(operands[0], result) if len(operands) == 1 else result


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise max; ties split the gradient half and half (PyTorch)."""
    return _tensor(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise min; ties split the gradient half and half (PyTorch)."""
    return _tensor(input).minimum(other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """out[i, j] = input[i] * vec2[j]."""
    return _tensor(input).outer(_tensor(vec2))


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0 (and so on)."""
    return input.gather(dim, index)


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """gather with broadcasting (see Tensor.take_along_dim)."""
    return input.take_along_dim(indices, dim)


def take(input: Tensor, index: Any) -> Tensor:
    """The elements at `index` of the flattened `input`."""
    return input.take(index)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The entries `index` (1-D) of `input` along `dim`."""
    return input.index_select(dim, index)


def scatter(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of `input` with `src` written at `index` along `dim`."""
    return input.scatter(dim, index, src)


def scatter_add(input: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """`input` with `src` added at `index` along `dim` (repeats accumulate)."""
    return input.scatter_add(dim, index, src)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The elements of `input` where `mask` is True, as a 1-D tensor."""
    return input.masked_select(mask)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements of `input`."""
    return input.nonzero(as_tuple=as_tuple)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two axes."""
    return input.triu(diagonal)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes."""
    return input.tril(diagonal)


def sort(input: Tensor, dim: int = -1, descending: bool = False,
         stable: bool = False) -> tuple:
    """(values, indices) of `input` sorted along `dim`."""
    return input.sort(dim, descending, stable)


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort `input` along `dim`."""
    return input.argsort(dim, descending, stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> tuple:
    """(values, indices) of the k largest (smallest) entries along `dim`."""
    return input.topk(k, dim, largest, sorted)


def flip(input: Tensor, dims: Axis) -> Tensor:
    """`input` reversed along `dims`."""
    return input.flip(dims)


def roll(input: Tensor, shifts: Any, dims: Axis = None) -> Tensor:
    """`input` shifted circularly."""
    return input.roll(shifts, dims)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A diagonal matrix from a vector, or a matrix's diagonal."""
    return input.diag(diagonal)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of axes dim1, dim2 as the last axis."""
    return input.diagonal(offset, dim1, dim2)


def movedim(input: Tensor, source: Axis, destination: Axis) -> Tensor:
    """`input` with axes `source` moved to `destination`."""
    return input.movedim(source, destination)


moveaxis = movedim


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """`length` entries of `input` from `start` along `dim`."""
    return input.narrow(dim, start, length)


def broadcast_to(input: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`input` broadcast to `shape`."""
    return input.expand(shape)


def repeat_interleave(input: Tensor, repeats: Any, dim: int | None = None) -> Tensor:
    """Each entry of `input` repeated `repeats` times along `dim`."""
    return input.repeat_interleave(repeats, dim)


def var(input: Tensor, dim: Axis = None, *, correction: float = 1,
        keepdim: bool = False) -> Tensor:
    """Variance over `dim` with `correction` (1: Bessel's, as PyTorch)."""
    return input.var(dim, keepdim=keepdim, correction=correction)


def std(input: Tensor, dim: Axis = None, *, correction: float = 1,
        keepdim: bool = False) -> Tensor:
    """Standard deviation over `dim` with `correction`."""
    return input.std(dim, keepdim=keepdim, correction=correction)


def var_mean(input: Tensor, dim: Axis = None, *, correction: float = 1,
             keepdim: bool = False) -> tuple[Tensor, Tensor]:
    """(variance, mean) over `dim`."""
    return (input.var(dim, keepdim=keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim))


def std_mean(input: Tensor, dim: Axis = None, *, correction: float = 1,
             keepdim: bool = False) -> tuple[Tensor, Tensor]:
    """(standard deviation, mean) over `dim`."""
    return (input.std(dim, keepdim=keepdim, correction=correction),
            input.mean(dim, keepdim=keepdim))


def prod(input: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """Product over `dim`."""
    return input.prod(dim, keepdim)


def logsumexp(input: Tensor, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim`, stable."""
    return input.logsumexp(dim, keepdim)


def cumsum(input: Tensor, dim: int) -> Tensor:
    """Running sum along `dim`."""
    return input.cumsum(dim)


def cumprod(input: Tensor, dim: int) -> Tensor:
    """Running product along `dim`."""
    return input.cumprod(dim)


def cummax(input: Tensor, dim: int) -> tuple:
    """(values, indices) of the running max along `dim`."""
    return input.cummax(dim)


def cummin(input: Tensor, dim: int) -> tuple:
    """(values, indices) of the running min along `dim`."""
    return input.cummin(dim)


def norm(input: Tensor, p: Any = "fro", dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The p-norm of `input` over `dim`."""
    return input.norm(p, dim, keepdim)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median (of everything, or (values, indices) along `dim`)."""
    return input.median(dim, keepdim)


def numel(input: Tensor) -> int:
    """The number of elements of `input`."""
    return input.numel()
