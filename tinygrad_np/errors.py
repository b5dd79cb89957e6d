"""The library's exception classes. PyTorch raises RuntimeError where NumPy and Python code
raise ValueError, TypeError or IndexError; each class here is both, so a ported script's
`except RuntimeError` and a NumPy user's `except ValueError` catch the same error."""


class TensorError(RuntimeError, ValueError):
    """A value or a shape the op cannot take where PyTorch raises RuntimeError and NumPy
    ValueError (`bool()` of several values, `item()` of several, comparing shapes that do not
    broadcast, a matrix product of mismatched shapes)."""


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
