"""The library's exception classes. PyTorch raises RuntimeError where NumPy and Python code
raise ValueError, TypeError or IndexError; each class here is both, so a ported script's
`except RuntimeError` and a NumPy user's `except ValueError` catch the same error."""

import re


class TensorError(RuntimeError, ValueError):
    """A value or a shape the op cannot take where PyTorch raises RuntimeError and NumPy
    ValueError (`bool()` of several values, `item()` of several, comparing shapes that do not
    broadcast, a matrix product of mismatched shapes)."""


class RankError(TensorError, IndexError):
    """An input with too few dimensions for the op where PyTorch's own indexing of a missing
    dim fails first ("IndexError: Dimension out of range": avg_pool2d or unfold of a 2-D
    input, cross_entropy of a 0-d one): an IndexError there, a TensorError here as well."""


class ModeError(TensorError, NotImplementedError):
    """A mode the function does not have where PyTorch raises NotImplementedError
    (interpolate's `mode='cubic'`) and Python code ValueError: both here."""


class DataError(TensorError, TypeError):
    """Data a tensor cannot be made of: ragged nested lists or strings. PyTorch raises
    ValueError or TypeError depending on the shape of the mistake; this class is both (and a
    RuntimeError)."""


class DtypeError(NotImplementedError, TypeError):
    """A dtype the op refuses (an index that is not integer, an integer tensor asked to
    require grad): PyTorch raises RuntimeError or its subclass NotImplementedError ("not
    implemented for 'Long'"), Python code TypeError."""


class IndexOutOfBounds(IndexError, RuntimeError):
    """An index outside its dim: PyTorch raises RuntimeError (scatter, gather) or IndexError
    (indexing, a class id past the classes in a loss)."""


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """An integer division or remainder by zero: PyTorch raises RuntimeError ("ZeroDivisionError")
    where Python raises ZeroDivisionError; this class is both."""


class IntegerOverflowError(OverflowError, ValueError, RuntimeError):
    """A Python int past int64 in a tensor's data (PyTorch's ValueError "Overflow when
    unpacking long long"; an OverflowError too, as NumPy's) or as an operand (PyTorch's
    OverflowError or RuntimeError), or a number that the integer dtype asked for cannot hold
    (PyTorch's RuntimeError)."""


class AssertionTensorError(TensorError, AssertionError):
    """A check PyTorch makes with `assert` (MultiheadAttention's embed_dim and shapes): an
    AssertionError there, a TensorError (RuntimeError, ValueError) here as well."""


class AutogradBypass(RuntimeError, TypeError):
    """A NumPy function or ufunc on a tensor that requires grad, whose gradient would be lost:
    PyTorch raises RuntimeError ("Can't call numpy() on Tensor that requires grad"), a NumPy
    user expects TypeError."""


# The engine's messages (autograd.py), each starting with PyTorch's words so that code
# matching PyTorch's text matches here too; what follows says what to do.
FREED_GRAPH = ("Trying to backward through the graph a second time (or directly access saved "
               "tensors after they have already been freed). Saved intermediate values of the "
               "graph are freed when you call .backward() or autograd.grad(). Specify "
               "retain_graph=True if you need to backward through the graph a second time or if "
               "you need to access saved tensors after calling backward. (The freed node: {op}.)")
INPUT_NOT_REQUIRING_GRAD = ("One of the differentiated Tensors does not require grad (grad: every "
                            "input must be a Tensor that requires grad)")
UNUSED_INPUT = ("The differentiated Tensor at index {first} appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior. (One of the "
                "differentiated Tensors appears to not have been used in the graph: inputs "
                "{unused} were not used to compute the outputs; allow_unused=True gives None "
                "for them.)")
OUTPUT_NOT_REQUIRING_GRAD = ("element {position} of tensors does not require grad and does not "
                             "have a grad_fn (backward: output {position} does not require grad: "
                             "no leaf with requires_grad=True, or made under no_grad())")
NOT_SCALAR = ("grad can be implicitly created only for scalar outputs (this output has shape "
              "{shape}): call .sum() first, or pass gradient= (the output's gradient)")
SEED_SHAPE = ("Mismatch in shape: grad_output[{position}] has a shape of {seed} and "
              "output[{position}] has a shape of {shape} (backward: the gradient shape must be "
              "the output's)")
GRADIENT_COUNT = ("function {op} returned an incorrect number of gradients (expected {expected}, "
                  "got {got}): {op}.backward returns one per forward argument")
NO_BACKWARD = ("You must implement either the backward or vjp method for your custom "
               "autograd.Function to use it with backward mode AD ({op} must define "
               "backward(ctx, grad_output))")


def broadcast_mismatch(shapes: list[tuple[int, ...]]) -> str | None:
    """PyTorch's words for operands whose shapes do not broadcast, found as PyTorch finds
    them (the shapes joined left to right, each dim compared from the last): "The size of
    tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"; None when
    they broadcast."""
    joined: tuple[int, ...] = ()
    for shape in shapes:
        ndim = max(len(joined), len(shape))
        a, b = (1,) * (ndim - len(joined)) + tuple(joined), (1,) * (ndim - len(shape)) + shape
        for dim in range(ndim - 1, -1, -1):
            if a[dim] != b[dim] and 1 not in (a[dim], b[dim]):
                return (f"The size of tensor a ({a[dim]}) must match the size of tensor b "
                        f"({b[dim]}) at non-singleton dimension {dim}")
        joined = tuple(max(x, y) if 1 in (x, y) else x for x, y in zip(a, b))
    return None


def op_error(op: str, arrays: list, error: Exception) -> TensorError:
    """The error of an op whose NumPy forward raised ValueError: the op and its operands'
    shapes named, NumPy's elementwise broadcasting complaint in PyTorch's words, found from
    the shapes NumPy names (those that failed: an op's operands need not broadcast, matmul's
    or einsum's, nor be the failing ones, a bias added inside linear)."""
    shapes = [tuple(a.shape) for a in arrays if hasattr(a, "shape")]
    text = ", ".join(map(str, shapes))
    said = str(error)  # (ufuncs' words, then np.broadcast_arrays' / np.clip's)
    named = said.partition("could not be broadcast together with shapes ")[2] or (
        said.partition("cannot be broadcast to a single shape.  Mismatch is between ")[2])
    if named:
        words = broadcast_mismatch([tuple(int(n) for n in shape.split(",") if n.strip())
                                    for shape in re.findall(r"\(([\d, ]*)\)", named)])
        if words is not None:
            return TensorError(f"{words} ({op} on shapes {text})")
    return TensorError(f"{op} on shapes {text}: {error}")
