"""Einstein summation: `einsum("ij,jk->ik", a, b)` and every other subscript pattern.

The gradient with respect to one operand is itself an einsum: of the output gradient and the
other operands, written to that operand's subscripts. Two cases need an extra constant
operand: a letter repeated in the operand (a diagonal, `ii->i`) gets an identity matrix
tying the two positions, and a letter summed away only in that operand (`ij->i`) gets a
vector of ones, which broadcasts the gradient back along it.
"""

from __future__ import annotations

import functools
import math
import string
import sys

import numpy as np

from tinygrad_np import xp
from tinygrad_np.errors import TensorError
from tinygrad_np.function import Function
from tinygrad_np.ops.matmul import EXACT_IN_DOUBLE, magnitude


def parse(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit subscripts per operand and for the output ('...' expanded to letters)."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise TensorError(f"einsum: the equation {equation!r} has {len(terms)} operand terms, "
                          f"but {len(shapes)} operands were given")
    spare = [c for c in string.ascii_letters if c not in equation]
    widest = max((len(shape) - len(term.replace("...", "")) for term, shape in
                  zip(terms, shapes) if "..." in term), default=0)
    broadcast = "".join(spare[:widest])  # the letters '...' stands for, right-aligned
    expanded = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            count = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", broadcast[widest - count:])
        if len(term) != len(shape) or not all(c in string.ascii_letters for c in term):
            raise TensorError(f"einsum: subscripts {term!r} do not fit an operand of shape "
                              f"{shape}")
        expanded.append(term)
    if not arrow:
        letters = "".join(expanded)
        output = broadcast + "".join(sorted(c for c in set(letters) - set(broadcast)
                                            if letters.count(c) == 1))
    else:
        output = output.replace("...", broadcast)
    return expanded, output


_BLAS_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def contract(equation: str, *operands):
    """np.einsum; three or more operands are contracted pairwise along NumPy's greedy path
    with no cap on the intermediates' size (as PyTorch: NumPy's default cap, the largest
    operand, falls back to one nested loop over every letter at once, hundreds of times
    slower when an intermediate is larger than the operands, as in 'bi,oij,bj->bo').
    Integer operands: see integer_contract."""
    if all(np.asarray(op).dtype.kind in "iu" for op in operands):
        return integer_contract(equation, *operands)
    if len(operands) < 2 or (len(operands) == 2 and (
            sum(np.size(op) for op in operands) < 4096
            or not all(np.asarray(op).dtype in _BLAS_TYPES for op in operands))):
        return np.einsum(equation, *operands)
    # (two large operands too: with a path NumPy hands a contraction that maps onto a matrix
    # product to BLAS; its plain loop is ~6x slower for 'ij,kj->ik')
    path = _path(equation, tuple(np.shape(operand) for operand in operands))
    return np.einsum(equation, *operands, optimize=path)


def integer_contract(equation: str, *operands):
    """einsum on integers: NumPy's integer loops have no BLAS, so when no sum can reach 2**53
    (the product of the operands' max |x| times the number of terms, the product of the
    summed letters' sizes: a bound on every partial sum, in any contraction order) the
    contraction runs exactly in float64, BLAS-backed pairwise, and is cast back. Past the
    bound the integer loop runs, wrapping around on overflow as PyTorch does."""
    arrays = [np.asarray(op) for op in operands]
    terms, output = parse(equation, [a.shape for a in arrays])
    sizes: dict[str, int] = {}
    for term, array in zip(terms, arrays):
        for letter, size in zip(term, array.shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    bound = math.prod(sizes[letter] for letter in set("".join(terms)) - set(output))
    for array in arrays:
        bound *= magnitude(array) if array.size else 0
    if any(a.size == 0 for a in arrays) or bound >= EXACT_IN_DOUBLE:
        return np.einsum(equation, *arrays)
    doubles = [a.astype(np.float64) for a in arrays]
    path = _path(equation, tuple(a.shape for a in arrays))
    exact = np.einsum(equation, *doubles, optimize=path)
    return np.asarray(exact).astype(np.int64).astype(np.result_type(*arrays), copy=False)


@functools.lru_cache(maxsize=256)
def _path(equation: str, shapes: tuple[tuple[int, ...], ...]) -> list:
    """The greedy contraction order for these shapes (found once: it costs a fraction of a
    millisecond, as much as a small contraction)."""
    stand_ins = [np.broadcast_to(np.float64(0), shape) for shape in shapes]
    return np.einsum_path(equation, *stand_ins, optimize=("greedy", sys.maxsize))[0]


def einsum_any(equation: str, *operands):
    """np.einsum on arrays; the Einsum op when any operand is a Tensor (create_graph)."""
    if any(xp.is_tensor(operand) for operand in operands):
        return Einsum.apply(equation, *operands)
    return contract(equation, *operands)


class Einsum(Function):
    """y = einsum(equation, x_1, ..., x_n);  dx_k = einsum(g and the other operands -> x_k)."""

    def forward(ctx, equation, *operands):
        terms, output = parse(equation, [np.shape(op) for op in operands])
        ctx.terms, ctx.output = terms, output
        ctx.sizes = {}
        for term, operand in zip(terms, operands):
            for letter, size in zip(term, np.shape(operand)):
                ctx.sizes[letter] = size if ctx.sizes.get(letter, 1) == 1 else ctx.sizes[letter]
        needs = ctx.needs_input_grad[1:]  # an operand is kept only if another's gradient needs it
        ctx.save_for_backward(*(op if any(needs[:k] + needs[k + 1:]) else None
                                for k, op in enumerate(operands)))
        equation = ",".join(terms) + "->" + output
        return contract(equation, *operands)

    def backward(ctx, grad_output):
        operands = ctx.saved_tensors
        return (None, *(_operand_grad(ctx, k, grad_output, operands) if ctx.needs_input_grad[k + 1]
                        else None for k in range(len(ctx.terms))))


def _operand_grad(ctx: Einsum, k: int, grad_output, operands):
    """d y / d x_k: an einsum of the gradient with every other operand, indexed as x_k."""
    term = ctx.terms[k]
    parts = [(ctx.output, grad_output)] + [
        (t, op) for i, (t, op) in enumerate(zip(ctx.terms, operands)) if i != k]
    dtype = np.result_type(*[op.dtype for _, op in parts])
    used = set("".join(ctx.terms) + ctx.output)
    spare = iter(c for c in string.ascii_letters if c not in used)
    target = ""
    for letter in term:
        if letter in target:  # a diagonal: tie a fresh letter to it with an identity
            fresh = next(spare)
            parts.append((letter + fresh, np.eye(ctx.sizes[letter], dtype=dtype)))
            letter = fresh
        target += letter
    present = set("".join(t for t, _ in parts))
    for letter in set(term) - present:  # summed away only here: broadcast back
        parts.append((letter, np.ones(ctx.sizes[letter], dtype=dtype)))
    equation = ",".join(t for t, _ in parts) + "->" + target
    grad = einsum_any(equation, *[op for _, op in parts])  # a letter of size 1 in the others
    shape = tuple(ctx.sizes[letter] for letter in term)  # broadcast: back to its full size
    return grad if grad.shape == shape else xp.broadcast_to(grad, shape)
