"""`Tensor`: a NumPy array that remembers how it was computed.

A Tensor holds `.data` (an np.ndarray) and, when it came out of an op that needs a gradient,
`.grad_fn`: the op's node in the graph (see `function.Function`). `.backward()` walks those
nodes back to the leaves (tensors made with `requires_grad=True`) and fills their `.grad`.

Every method below is a thin call to one op in `tinygrad_np/ops/`, where the forward and the
backward of that op sit side by side. Names and semantics follow PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype

Axis = int | tuple[int, ...] | None


def _shape_args(shape: tuple) -> tuple[int, ...]:
    """Accept both `f(2, 3)` and `f((2, 3))`."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert user data to an ndarray with PyTorch's dtype rules (see Tensor)."""
    if isinstance(data, Tensor):
        array = data.data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    elif isinstance(data, bool):
        array = np.asarray(data)
    elif isinstance(data, int):
        array = np.asarray(data, dtype=np.int64)
    elif isinstance(data, float):
        array = np.asarray(data, dtype=get_default_dtype())
    else:
        array = np.asarray(_unwrap_nested(data))
        if array.dtype.kind == "f" and dtype is None:
            array = array.astype(get_default_dtype())
        # Integers become int64 as in PyTorch; uint8 stays, so image data stays compact.
        elif array.dtype.kind in "iu" and array.dtype != np.uint8:
            array = array.astype(np.int64)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: data must be numeric (bool, int or float), not {array.dtype}")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return array


def check_dim(op: str, dim: Any, ndim: int) -> int:
    """`dim` as a non-negative axis of an `ndim`-dimensional tensor, or IndexError naming the
    op, the dim and the valid range (a 0-d tensor takes dims -1 and 0, as in PyTorch)."""
    size = ndim or 1
    if type(dim) is int and -size <= dim < size:  # the common case, first
        return dim % size
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -size <= dim < size:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor with {ndim} "
                         f"dimension(s) (expected in [{-size}, {size - 1}])")
    return int(dim) % size


def _unwrap_nested(data: Any) -> Any:
    """Lists may hold Tensors (`[t1, t2]`); take their arrays."""
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(item) for item in data]
    return data.data if isinstance(data, Tensor) else data


def _index(index: Any) -> Any:
    """Tensors inside an index become their arrays (an integer Tensor works as an index); a
    0-d integer Tensor acts as an int, as in PyTorch (a view, where NumPy would copy)."""
    if isinstance(index, Tensor):
        return _index_part(index)
    if isinstance(index, tuple):
        return tuple(_index_part(part) if isinstance(part, Tensor) else part for part in index)
    if isinstance(index, list):
        return np.asarray(_unwrap_nested(index))
    return index


def _index_part(part: Tensor) -> Any:
    array = part.data
    return int(array) if array.ndim == 0 and array.dtype.kind in "iu" else array


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _scaled(other: Any, alpha: float) -> Any:
    return other * alpha if isinstance(other, Tensor) else np.multiply(_data(other), alpha)


def _copy_from(target: Tensor, src: Any) -> Tensor:
    """`src` broadcast to `target`'s shape and cast to its dtype (the value of copy_/fill_)."""
    if not isinstance(src, Tensor):
        return Tensor._make(np.broadcast_to(np.asarray(src, dtype=target.dtype), target.shape),
                            None)
    if src.dtype != target.dtype:
        src = src.astype(target.dtype)
    # Always an op's result (Expand of the same shape included), never `src` itself: a
    # recorded copy_ must take a graph node from it, not a leaf's array without one.
    return Expand.apply(src, target.shape)


def _set_item(target: Tensor, index: Any, value: Any) -> Tensor:
    return SetItem.apply(target, index, value)


def _share_counter(tensor: Tensor, view: Tensor) -> Tensor:
    """Give `view` (which shares `tensor`'s memory) `tensor`'s version counter, as PyTorch's
    views do: an in-place change through either one is seen by graphs that saved the other.
    The counter's second item marks it shared (recorded in-place ops refuse such tensors)."""
    counter = tensor._counter
    if counter is None:
        counter = tensor._counter = [0, True]
    elif len(counter) == 1:
        counter.append(True)
    view._counter = counter
    return view


def _viewed(tensor: Tensor, result: Tensor) -> Tensor:
    """`result` of a view op (reshape, transpose, indexing) shares the counter of `tensor`
    when NumPy made it a view of `tensor`'s memory (not when it had to copy)."""
    base = result.data.base
    if base is not None and (base is tensor.data or base is tensor.data.base):
        _share_counter(tensor, result)
    return result


def _unlock(tensor: Tensor) -> tuple[np.ndarray, bool]:
    """The tensor's array made writable for an in-place op, and whether it was locked.

    Only a leaf that requires grad, or a tensor sharing its version counter (a view, a
    detach()), may unlock a read-only array: a change is then seen by graphs that saved it.
    Any other tensor holding one (`Tensor(x.data)` of such a leaf, a user's read-only array)
    gets a copy of its own, so it cannot change a leaf's values behind its version counter.
    """
    array = tensor.data
    if array.flags.writeable:
        return array, False
    counter = tensor._counter
    if tensor.requires_grad and tensor.grad_fn is None or counter is not None and len(counter) > 1:
        try:
            array.flags.writeable = True
            return array, True
        except ValueError:  # a broadcast view, or memory owned by a read-only array
            pass
    tensor.data = array = array.copy()
    return array, False


class Tensor:
    """An n-dimensional array with automatic differentiation.

    `Tensor(data, requires_grad=False, dtype=None, name=None)`: `data` is an ndarray (kept as
    is, sharing memory, dtype preserved), a Python scalar or a nested list. Python floats
    become the default float dtype (float32), Python ints int64. Only floating-point tensors
    can require gradients.
    """

    __slots__ = ("data", "_grad", "_requires_grad", "grad_fn", "name", "_counter",
                 "__weakref__")
    # ndarray (op) Tensor must call Tensor's reflected operator, not loop over the Tensor.
    __array_ufunc__ = None

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a str or None, got {type(name).__name__}")
        self.data: np.ndarray = _to_array(data, dtype)
        self._grad: Tensor | None = None
        self.grad_fn = None
        self.name = name
        self._counter: list[int] | None = None  # the version counter, made on first use
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data: np.ndarray, grad_fn: Any) -> Tensor:
        """Fast constructor for op results (no conversion): the per-op hot path."""
        tensor = object.__new__(cls)
        tensor.data = data
        tensor._grad = None
        tensor._requires_grad = grad_fn is not None
        tensor.grad_fn = grad_fn
        tensor.name = None
        tensor._counter = None
        return tensor

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each axis."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the data."""
        return self.data.dtype

    @property
    def size(self) -> int:
        """Number of elements (an int, as NumPy's `size`)."""
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor came out of a recorded op."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward() (None until then, or after zero_grad())."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad must be a Tensor or None, not {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {value.shape}, but the tensor has "
                                   f"shape {self.shape}")
            if value.dtype.kind != "f":
                raise RuntimeError(f"assigned grad has dtype {value.dtype}, not a float dtype")
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        """Whether a gradient is computed for this tensor (a leaf's `.grad`, or a graph node)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        # `w.requires_grad = True` (PyTorch's spelling) gets requires_grad_()'s checks: float
        # dtypes only, leaves only, and the leaf's array becomes read-only.
        self.requires_grad_(bool(value))

    @property
    def T(self) -> Tensor:
        """All axes reversed (the matrix transpose for 2-D)."""
        return self.transpose()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing a gradient (in place); returns self."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, this one is "
                f"{self.data.dtype}; convert it first, e.g. Tensor(data, dtype=np.float32)"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) is only for leaves; use .detach()")
        if requires_grad and not self.requires_grad and self.grad_fn is None:
            # A leaf's values may be saved by any graph: writes go through the in-place
            # methods (which bump the version), not into the array.
            self.data = self.data.view()
            self.data.flags.writeable = False
        self._requires_grad = requires_grad
        return self

    def numpy(self) -> np.ndarray:
        """The values as an ndarray, sharing memory.

        For a tensor that requires grad the array is a read-only view: writing into it would
        change values a graph may have saved, behind autograd's back (PyTorch refuses
        numpy() there). `t.detach().numpy()` is writable, as in PyTorch.
        """
        if not self.requires_grad:
            return self.data
        view = self.data.view()
        view.flags.writeable = False
        return view

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph: no gradient flows through the result.

        As in PyTorch it shares memory and the version counter with self, so an in-place
        change through either one is seen by graphs that saved the other.
        """
        return _share_counter(self, Tensor._make(self.data, None))

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf with requires_grad=True.

        `gradient` is the upstream gradient (required unless self has one element). The
        graph's saved arrays are freed afterwards unless `retain_graph=True`.
        """
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        run_backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep this intermediate tensor's gradient in `.grad` at the next backward().

        Only leaves get `.grad` by default; this is for looking inside (and for drawing).
        """
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad() on a tensor that does not require grad")
            return  # a leaf keeps its gradient anyway
        retain_grad(self)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        values = np.array2string(self.data, separator=", ", precision=4, threshold=20,
                                 prefix="tensor(")
        extras = [f"shape={self.shape}", f"dtype={self.dtype}"]
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"tensor({values}, {', '.join(extras)})"

    def draw_graph(self, **options: Any) -> Any:
        """The graph that produced this tensor as a graphviz.Digraph (see tinygrad_np.viz)."""
        from tinygrad_np.viz import draw_graph

        return draw_graph(self, **options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Jupyter shows a tensor that has a graph as its drawn graph, else as text."""
        bundle = {"text/plain": repr(self)}
        if self.grad_fn is not None:
            try:
                bundle.update(self.draw_graph()._repr_mimebundle_(include, exclude))
            except Exception:  # no graphviz package or binary: plain text is still right
                pass
        return bundle

    # ----------------------------------------------------------------- Python protocol
    __hash__ = object.__hash__  # identity, so tensors can be dict keys despite __eq__

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for position in range(len(self)):
            yield self[position]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.numpy() if dtype is None else self.data.astype(dtype)  # read-only: numpy()

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        return Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div.apply(other, self)

    def __pow__(self, exponent: Any) -> Tensor:
        return Pow.apply(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return Pow.apply(base, self)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __matmul__(self, other: Any) -> Tensor:
        return MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return MatMul.apply(other, self)

    def add(self, other: Any) -> Tensor:
        """self + other (broadcasting)."""
        return Add.apply(self, other)

    def sub(self, other: Any) -> Tensor:
        """self - other (broadcasting)."""
        return Sub.apply(self, other)

    def mul(self, other: Any) -> Tensor:
        """self * other, elementwise (broadcasting)."""
        return Mul.apply(self, other)

    def div(self, other: Any) -> Tensor:
        """self / other, elementwise (broadcasting)."""
        return Div.apply(self, other)

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent, elementwise (broadcasting)."""
        return Pow.apply(self, exponent)

    def neg(self) -> Tensor:
        """-self."""
        return Neg.apply(self)

    def matmul(self, other: Any) -> Tensor:
        """NumPy matmul semantics: 1-D, 2-D and batched N-D with broadcast batch axes."""
        return MatMul.apply(self, other)

    # ----------------------------------------------------------------- in place
    # PyTorch's in-place ops. Without a graph to record they write into self's array and
    # bump its version counter, so a graph that saved the old values raises at backward
    # instead of using changed data. When the result needs a gradient (`buf += w` for a
    # w that requires grad) they are recorded like the out-of-place op and self takes on
    # the result's array and graph node. A leaf that requires grad is refused, as in PyTorch.
    def _in_place(self, op: Any, *args: Any, ufunc: np.ufunc | None = None) -> Tensor:
        """Make self hold `op(self, *args)` (op: a Tensor-level function; `ufunc`, when given,
        computes the same in place on arrays, without a temporary)."""
        if is_grad_enabled() and (self.requires_grad or any(
                isinstance(arg, Tensor) and arg.requires_grad for arg in args)):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    f"a leaf tensor that requires grad (shape {self.shape}) is used in an "
                    "in-place operation; do it under `with tg.no_grad():` (a parameter "
                    "update) or write `t = t + x`")
            if self._counter is not None and len(self._counter) > 1:
                raise RuntimeError(
                    f"an in-place operation that must be recorded (an operand requires grad) "
                    f"on a tensor of shape {self.shape} that shares memory with another "
                    "(a view made by reshape, indexing, transpose or detach, or the tensor "
                    "such a view came from): PyTorch would rewrite the other's graph, "
                    "tinygrad_np does not; write `t = t + x` (out of place) instead")
            result = op(self, *args)
            if result.dtype != self.dtype:
                if not np.can_cast(result.dtype, self.dtype, "same_kind"):  # as unrecorded
                    raise TypeError(f"in-place operation on a {self.dtype} tensor: its "
                                    f"{result.dtype} result cannot be stored in it (and a "
                                    f"{self.dtype} tensor carries no gradient)")
                result = result.astype(self.dtype)
            if result.shape != self.shape:
                raise RuntimeError(f"in-place operation: the result has shape {result.shape}, "
                                   f"which does not fit the tensor's shape {self.shape}")
            self.data, self.grad_fn, self._requires_grad = result.data, result.grad_fn, True
            # A new array: the old one (which the op itself may have saved: `buf *= w` saves
            # buf) is unchanged, so the version moves on in a counter of the new array's own.
            self._counter = [self._version + 1]
            return self
        elif ufunc is not None:
            array, locked = _unlock(self)
            try:
                ufunc(array, _data(args[0]), out=array, casting="same_kind")
            except TypeError as error:
                raise TypeError(f"in-place {ufunc.__name__} on a {array.dtype} tensor: "
                                f"{error}") from None
            finally:
                array.flags.writeable = not locked
        else:
            with no_grad():
                result = op(self, *args)
            array, locked = _unlock(self)
            try:
                np.copyto(array, result.data, casting="same_kind")
            except TypeError as error:
                raise TypeError(f"in-place operation on a {array.dtype} tensor: {error}") from None
            finally:
                array.flags.writeable = not locked
        self._bump_version()
        return self

    def _bump_version(self) -> None:
        counter = self._counter
        if counter is None:
            self._counter = [1]
        else:
            counter[0] += 1

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's values have had (shared with detach())."""
        return 0 if self._counter is None else self._counter[0]

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        """self += alpha * other, in place."""
        other = other if alpha == 1 else _scaled(other, alpha)
        return self._in_place(Tensor.add, other, ufunc=np.add)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        """self -= alpha * other, in place."""
        other = other if alpha == 1 else _scaled(other, alpha)
        return self._in_place(Tensor.sub, other, ufunc=np.subtract)

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        return self._in_place(Tensor.mul, other, ufunc=np.multiply)

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place."""
        return self._in_place(Tensor.div, other, ufunc=np.true_divide)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Limit values to [min, max], in place."""
        return self._in_place(Tensor.clip, min, max)

    clip_ = clamp_

    def copy_(self, src: Any) -> Tensor:
        """Copy `src` (broadcast to self's shape, cast to self's dtype) into self, in place."""
        return self._in_place(_copy_from, src)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to `value`, in place."""
        return self._in_place(_copy_from, value)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (NaN and Inf too: for gradients, `t.grad.zero_()`)."""
        return self._in_place(_copy_from, 0)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def __setitem__(self, index: Any, value: Any) -> None:
        """`t[index] = value`: in place; recorded when value requires grad (dvalue = g[index])."""
        index = _index(index)
        if isinstance(value, Tensor) and value.requires_grad or self.requires_grad:
            self._in_place(_set_item, index, value)
            return
        array = self.data
        if not array.flags.writeable:
            self.data = array = array.copy()
        array[index] = _data(value)
        self._bump_version()

    # ----------------------------------------------------------------- comparisons (no grad)
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data < _data(other)), None)

    def __le__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data <= _data(other)), None)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data > _data(other)), None)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._make(np.asarray(self.data >= _data(other)), None)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(np.asarray(self.data == _data(other)), None)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor._make(np.asarray(self.data != _data(other)), None)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the largest value (int64, no gradient)."""
        if axis is not None:
            axis = check_dim("argmax", axis, self.ndim) if self.ndim else None
        return Tensor._make(np.asarray(np.argmax(self.data, axis=axis, keepdims=keepdims)), None)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the smallest value (int64, no gradient)."""
        if axis is not None:
            axis = check_dim("argmin", axis, self.ndim) if self.ndim else None
        return Tensor._make(np.asarray(np.argmin(self.data, axis=axis, keepdims=keepdims)), None)

    # ----------------------------------------------------------------- reductions
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (an int, a tuple, or None for all)."""
        return Sum.apply(self, axis, keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Average over `axis`: sum / number of elements summed (float16 in float32, as the
        sums are: see ops.reduce.accumulator)."""
        _normalize_axis(axis, self.ndim, "mean")
        wide = accumulator(self.dtype)
        total = Sum.apply(self if wide is None else self.astype(wide), axis, keepdims)
        count = self.data.size // max(total.data.size, 1)
        mean = total / count if count else total * np.nan  # the mean of nothing is NaN
        return mean if wide is None else mean.astype(self.dtype)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Largest value over `axis`; the gradient is split evenly between ties."""
        return Max.apply(self, axis, keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Smallest value over `axis`; the gradient is split evenly between ties."""
        return Min.apply(self, axis, keepdims)

    # ----------------------------------------------------------------- elementwise
    def exp(self) -> Tensor:
        """e ** x, elementwise;  d/dx = exp(x)."""
        return Exp.apply(self)

    def log(self) -> Tensor:
        """Natural logarithm, elementwise;  d/dx = 1 / x."""
        return Log.apply(self)

    def sqrt(self) -> Tensor:
        """Square root, elementwise;  d/dx = 1 / (2 sqrt(x))."""
        return Sqrt.apply(self)

    def abs(self) -> Tensor:
        """|x|, elementwise;  d/dx = sign(x)."""
        return Abs.apply(self)

    def sin(self) -> Tensor:
        """Sine, elementwise;  d/dx = cos(x)."""
        return Sin.apply(self)

    def cos(self) -> Tensor:
        """Cosine, elementwise;  d/dx = -sin(x)."""
        return Cos.apply(self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent, elementwise;  d/dx = 1 - tanh(x)**2."""
        return Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        """1 / (1 + exp(-x)), stable for any x;  d/dx = s (1 - s)."""
        return Sigmoid.apply(self)

    def relu(self) -> Tensor:
        """max(x, 0);  d/dx = 1 where x > 0, else 0."""
        return ReLU.apply(self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Limit values to [lo, hi]; the gradient passes where lo <= x <= hi."""
        return Clip.apply(self, lo, hi)

    clamp = clip

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `axis`, stable for any finite values."""
        check_dim("softmax", axis, self.ndim)
        return Softmax.apply(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - log(sum(exp(x))) along `axis`, stable for any finite values."""
        check_dim("log_softmax", axis, self.ndim)
        return LogSoftmax.apply(self, axis)

    # ----- elementwise math and activations (vocabulary)
    # Activations: PyTorch has these only as F.* (nn.functional); the Tensor methods are this
    # library's extension, and F.* call them.
    def gelu(self, approximate: str = "none") -> Tensor:
        """x Phi(x) with Phi the normal CDF (erf); approximate='tanh' uses the tanh formula."""
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return GELU.apply(self, approximate)

    def silu(self) -> Tensor:
        """x sigmoid(x) (swish);  d/dx = s (1 + x (1 - s))."""
        return self * self.sigmoid()

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, else negative_slope x;  d/dx at 0 is negative_slope (PyTorch)."""
        return LeakyReLU.apply(self, negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, else alpha (exp(x) - 1);  d/dx at 0 is alpha (PyTorch)."""
        return ELU.apply(self, alpha, 1.0, 1.0)

    def selu(self) -> Tensor:
        """scale elu(x, alpha), PyTorch's scale = 1.0507009873554805, alpha = 1.6732632423543772."""
        return ELU.apply(self, SELU_ALPHA, SELU_SCALE, 1.0)

    def celu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, else alpha (exp(x / alpha) - 1);  d/dx at 0 is 1."""
        if alpha == 0:
            raise ValueError("celu: alpha must not be 0 (it divides x)")
        return ELU.apply(self, alpha, 1.0, 1.0 / alpha)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
        return Softplus.apply(self, beta, threshold)

    def relu6(self) -> Tensor:
        """min(max(x, 0), 6);  d/dx is 0 at 0 and 6 (hardtanh's rule, as PyTorch)."""
        return HardTanh.apply(self, 0.0, 6.0)

    def hardtanh(self, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
        """min(max(x, min_val), max_val);  d/dx is 1 strictly inside, 0 at the edges."""
        if min_val > max_val:
            raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        return HardTanh.apply(self, min_val, max_val)

    def hardsigmoid(self) -> Tensor:
        """min(max(x + 3, 0), 6) / 6;  d/dx is 1/6 strictly inside (-3, 3), else 0."""
        return Hardsigmoid.apply(self)

    def hardswish(self) -> Tensor:
        """x hardsigmoid(x);  d/dx is 0 at x <= -3, 1 at x >= 3, x/3 + 1/2 between."""
        return Hardswish.apply(self)

    def mish(self) -> Tensor:
        """x tanh(softplus(x))."""
        return self * self.softplus().tanh()

    def logsigmoid(self) -> Tensor:
        """log(sigmoid(x)) = -softplus(-x), stable for any x;  d/dx = sigmoid(-x)."""
        return LogSigmoid.apply(self)

    def softsign(self) -> Tensor:
        """x / (1 + |x|);  d/dx = 1 / (1 + |x|)**2."""
        return self / (self.abs() + 1)

    def softmin(self, dim: int = -1) -> Tensor:
        """softmax(-x) along `dim`: small values get large weights."""
        return (-self).softmax(dim)

    # Elementwise math (PyTorch's Tensor methods).
    def erf(self) -> Tensor:
        """The error function 2/sqrt(pi) int_0^x exp(-t^2) dt (float64-accurate);
        d/dx = 2/sqrt(pi) exp(-x^2)."""
        return Erf.apply(self)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x);  d/dx = -x**-1.5 / 2."""
        return Pow.apply(self, -0.5)

    def log2(self) -> Tensor:
        """Base-2 logarithm;  d/dx = 1 / (x ln 2)."""
        return Log2.apply(self)

    def log10(self) -> Tensor:
        """Base-10 logarithm;  d/dx = 1 / (x ln 10)."""
        return Log10.apply(self)

    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x;  d/dx = 1 / (1 + x)."""
        return Log1p.apply(self)

    def exp2(self) -> Tensor:
        """2 ** x;  d/dx = 2**x ln 2."""
        return Exp2.apply(self)

    def expm1(self) -> Tensor:
        """exp(x) - 1, accurate for small x;  d/dx = exp(x)."""
        return Expm1.apply(self)

    def tan(self) -> Tensor:
        """Tangent;  d/dx = 1 + tan(x)**2."""
        return Tan.apply(self)

    def sinh(self) -> Tensor:
        """Hyperbolic sine;  d/dx = cosh(x)."""
        return Sinh.apply(self)

    def cosh(self) -> Tensor:
        """Hyperbolic cosine;  d/dx = sinh(x)."""
        return Cosh.apply(self)

    def asin(self) -> Tensor:
        """Inverse sine;  d/dx = 1 / sqrt(1 - x**2)."""
        return Asin.apply(self)

    def acos(self) -> Tensor:
        """Inverse cosine;  d/dx = -1 / sqrt(1 - x**2)."""
        return Acos.apply(self)

    def atan(self) -> Tensor:
        """Inverse tangent;  d/dx = 1 / (1 + x**2)."""
        return Atan.apply(self)

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self), in (-pi, pi] (broadcasting)."""
        return Atan2.apply(self, other)

    def asinh(self) -> Tensor:
        """Inverse hyperbolic sine;  d/dx = 1 / sqrt(x**2 + 1)."""
        return Asinh.apply(self)

    def acosh(self) -> Tensor:
        """Inverse hyperbolic cosine (x >= 1);  d/dx = 1 / sqrt(x**2 - 1)."""
        return Acosh.apply(self)

    def atanh(self) -> Tensor:
        """Inverse hyperbolic tangent (|x| < 1);  d/dx = 1 / (1 - x**2)."""
        return Atanh.apply(self)

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of x;  gradient 0."""
        return Sign.apply(self)

    def floor(self) -> Tensor:
        """Largest integer <= x (integer tensors unchanged);  gradient 0."""
        return Floor.apply(self)

    def ceil(self) -> Tensor:
        """Smallest integer >= x (integer tensors unchanged);  gradient 0."""
        return Ceil.apply(self)

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even (2.5 -> 2) at `decimals` digits (negative: tens, ...);  gradient 0."""
        return Round.apply(self, int(decimals))

    def trunc(self) -> Tensor:
        """x rounded towards zero;  gradient 0."""
        return Trunc.apply(self)

    fix = trunc

    def frac(self) -> Tensor:
        """x - trunc(x) (keeps the sign of x);  d/dx = 1."""
        return self - self.trunc()

    def reciprocal(self) -> Tensor:
        """1 / x (float for integer tensors, as PyTorch);  d/dx = -1 / x**2."""
        return Div.apply(1.0, self)

    def square(self) -> Tensor:
        """x * x (integer tensors stay integer);  d/dx = 2 x."""
        return self * self

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight (end - self), broadcasting; weight is a number or a tensor."""
        return self + weight * (end - self)

    def logaddexp(self, other: Any) -> Tensor:
        """log(exp(self) + exp(other)) without overflow (broadcasting)."""
        return LogAddExp.apply(self, other)

    def hypot(self, other: Any) -> Tensor:
        """sqrt(self**2 + other**2) without overflow (broadcasting)."""
        return Hypot.apply(self, other)

    def fmod(self, other: Any) -> Tensor:
        """C's remainder self - other trunc(self / other): the sign of self (broadcasting)."""
        return Fmod.apply(self, other)

    def remainder(self, other: Any) -> Tensor:
        """Python's remainder self - other floor(self / other): the sign of other, like `%`."""
        return Remainder.apply(self, other)

    def floor_divide(self, other: Any) -> Tensor:
        """floor(self / other), like `//`; not differentiable (as in PyTorch)."""
        return FloorDivide.apply(self, other)

    def __mod__(self, other: Any) -> Tensor:
        return Remainder.apply(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return Remainder.apply(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return FloorDivide.apply(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return FloorDivide.apply(other, self)

    def isnan(self) -> Tensor:
        """True where the value is NaN (bool, no gradient)."""
        return Tensor._make(np.asarray(np.isnan(self.data)), None)

    def isinf(self) -> Tensor:
        """True where the value is +inf or -inf."""
        return Tensor._make(np.asarray(np.isinf(self.data)), None)

    def isfinite(self) -> Tensor:
        """True where the value is neither NaN nor infinite."""
        return Tensor._make(np.asarray(np.isfinite(self.data)), None)

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        """|self - other| <= atol + rtol |other|, elementwise (bool)."""
        return Tensor._make(np.asarray(np.isclose(self.data, _data(other), rtol=rtol, atol=atol,
                                                  equal_nan=equal_nan)), None)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        """True when isclose holds everywhere (a Python bool)."""
        return bool(np.all(self.isclose(other, rtol, atol, equal_nan).data))

    # Comparisons and logic: bool or integer tensors without gradient.
    def eq(self, other: Any) -> Tensor:
        """self == other (bool, broadcasting)."""
        return self.__eq__(other)

    def ne(self, other: Any) -> Tensor:
        """self != other."""
        return self.__ne__(other)

    def lt(self, other: Any) -> Tensor:
        """self < other."""
        return self.__lt__(other)

    def le(self, other: Any) -> Tensor:
        """self <= other."""
        return self.__le__(other)

    def gt(self, other: Any) -> Tensor:
        """self > other."""
        return self.__gt__(other)

    def ge(self, other: Any) -> Tensor:
        """self >= other."""
        return self.__ge__(other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def bitwise_and(self, other: Any) -> Tensor:
        """self & other for integer or bool tensors (TypeError for floats)."""
        return Tensor._make(bitwise("bitwise_and", np.bitwise_and, self.data, _data(other)), None)

    def bitwise_or(self, other: Any) -> Tensor:
        """self | other for integer or bool tensors."""
        return Tensor._make(bitwise("bitwise_or", np.bitwise_or, self.data, _data(other)), None)

    def bitwise_xor(self, other: Any) -> Tensor:
        """self ^ other for integer or bool tensors."""
        return Tensor._make(bitwise("bitwise_xor", np.bitwise_xor, self.data, _data(other)), None)

    def bitwise_not(self) -> Tensor:
        """~self: flips every bit of an integer, negates a bool."""
        return Tensor._make(bitwise("bitwise_not", np.invert, self.data), None)

    def __and__(self, other: Any) -> Tensor:
        return self.bitwise_and(other)

    def __rand__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_and", np.bitwise_and, _data(other), self.data), None)

    def __or__(self, other: Any) -> Tensor:
        return self.bitwise_or(other)

    def __ror__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_or", np.bitwise_or, _data(other), self.data), None)

    def __xor__(self, other: Any) -> Tensor:
        return self.bitwise_xor(other)

    def __rxor__(self, other: Any) -> Tensor:
        return Tensor._make(bitwise("bitwise_xor", np.bitwise_xor, _data(other), self.data), None)

    def __invert__(self) -> Tensor:
        return self.bitwise_not()

    def logical_and(self, other: Any) -> Tensor:
        """Both nonzero (bool, any dtype)."""
        return Tensor._make(np.asarray(np.logical_and(self.data, _data(other))), None)

    def logical_or(self, other: Any) -> Tensor:
        """Either nonzero."""
        return Tensor._make(np.asarray(np.logical_or(self.data, _data(other))), None)

    def logical_xor(self, other: Any) -> Tensor:
        """Exactly one nonzero."""
        return Tensor._make(np.asarray(np.logical_xor(self.data, _data(other))), None)

    def logical_not(self) -> Tensor:
        """True where the value is zero."""
        return Tensor._make(np.asarray(np.logical_not(self.data)), None)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """Same elements, new shape (one axis may be -1)."""
        return _viewed(self, Reshape.apply(self, _shape_args(shape)))

    view = reshape

    def transpose(self, *axes: int | tuple[int, ...]) -> Tensor:
        """Permute axes: no arguments reverses them, one tuple is a permutation (NumPy), and
        two ints swap those two axes (PyTorch's transpose(dim0, dim1))."""
        if len(axes) == 2 and all(isinstance(axis, (int, np.integer)) for axis in axes):
            return self.swapaxes(*axes)
        axes = _shape_args(axes)
        if not axes:  # all axes reversed: a valid permutation, no checks needed
            return _viewed(self, Transpose.apply(self, tuple(range(self.ndim))[::-1]))
        return self.permute(axes)

    def permute(self, *axes: int | tuple[int, ...]) -> Tensor:
        """Reorder the axes: result axis i is input axis axes[i]."""
        axes = tuple(check_dim("permute", axis, self.ndim) for axis in _shape_args(axes))
        if len(axes) != self.ndim or len(set(axes)) != len(axes):
            raise ValueError(f"permute: {axes} is not a permutation of the {self.ndim} axes of "
                             f"a tensor of shape {self.shape}")
        return _viewed(self, Transpose.apply(self, axes))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes."""
        order = list(range(self.ndim))
        axis1, axis2 = check_dim("transpose", axis1, self.ndim), check_dim("transpose", axis2,
                                                                             self.ndim)
        if self.ndim == 0:
            return _viewed(self, Transpose.apply(self, ()))
        order[axis1], order[axis2] = order[axis2], order[axis1]
        return _viewed(self, Transpose.apply(self, tuple(order)))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes start_dim..end_dim into one (all of them by default)."""
        start, end = check_dim("flatten", start_dim, self.ndim), check_dim("flatten", end_dim,
                                                                           self.ndim)
        if self.ndim == 0:
            return self.reshape(1)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = math.prod(self.shape[start : end + 1])  # not -1: works for empty tensors too
        shape = self.shape[:start] + (merged,) + self.shape[end + 1 :]
        return _viewed(self, Reshape.apply(self, shape))

    def expand(self, *shape: int | tuple[int, ...]) -> Tensor:
        """Broadcast to `shape` without copying (-1 keeps an axis)."""
        shape = _shape_args(shape)
        offset = len(shape) - self.ndim
        shape = tuple(
            self.shape[axis - offset] if size == -1 else size for axis, size in enumerate(shape)
        )
        return Expand.apply(self, shape)

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert a size-1 axis at `axis`."""
        axis = check_dim("unsqueeze", axis, self.ndim + 1)
        return _viewed(self, Reshape.apply(self, self.shape[:axis] + (1,) + self.shape[axis:]))

    def squeeze(self, axis: int | None = None) -> Tensor:
        """Remove size-1 axes (or only `axis`, if it has size 1)."""
        if axis is None:
            shape = tuple(size for size in self.shape if size != 1)
        else:
            axis = check_dim("squeeze", axis, self.ndim)
            keep = self.ndim == 0 or self.shape[axis] != 1
            shape = self.shape if keep else self.shape[:axis] + self.shape[axis + 1 :]
        return _viewed(self, Reshape.apply(self, shape))

    def __getitem__(self, index: Any) -> Tensor:
        """Basic slicing and integer-array indexing; repeated indices accumulate gradient."""
        return _viewed(self, GetItem.apply(self, _index(index)))

    def astype(self, dtype: Any) -> Tensor:
        """Convert to `dtype`; the gradient converts back."""
        return Cast.apply(self, np.dtype(dtype))

    def to(self, dtype: Any) -> Tensor:
        """Convert to `dtype` (only dtypes here: there are no devices)."""
        return self.astype(dtype)

    def float(self) -> Tensor:
        """Convert to float32."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """Convert to float64."""
        return self.astype(np.float64)

    def long(self) -> Tensor:
        """Convert to int64 (cuts the graph: integers carry no gradient)."""
        return self.astype(np.int64)


# The ops need the Tensor class to exist, so they are imported after it.
from tinygrad_np.autograd import retain_grad, run_backward  # noqa: E402
from tinygrad_np.function import is_grad_enabled, no_grad  # noqa: E402
from tinygrad_np.ops.activation import (  # noqa: E402
    ELU,
    GELU,
    SELU_ALPHA,
    SELU_SCALE,
    Hardsigmoid,
    Hardswish,
    HardTanh,
    LeakyReLU,
    LogSigmoid,
    Softplus,
)
from tinygrad_np.ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub  # noqa: E402
from tinygrad_np.ops.elementwise import (  # noqa: E402
    Abs,
    Clip,
    Cos,
    Exp,
    Log,
    ReLU,
    Sigmoid,
    Sin,
    Sqrt,
    Tanh,
)
from tinygrad_np.ops.logic import bitwise  # noqa: E402
from tinygrad_np.ops.math import (  # noqa: E402
    Acos,
    Acosh,
    Asin,
    Asinh,
    Atan,
    Atan2,
    Atanh,
    Ceil,
    Cosh,
    Erf,
    Exp2,
    Expm1,
    Floor,
    FloorDivide,
    Fmod,
    Hypot,
    Log1p,
    Log2,
    Log10,
    LogAddExp,
    Remainder,
    Round,
    Sign,
    Sinh,
    Tan,
    Trunc,
)
from tinygrad_np.ops.matmul import MatMul  # noqa: E402
from tinygrad_np.ops.reduce import Max, Min, Sum, _normalize_axis, accumulator  # noqa: E402
from tinygrad_np.ops.shape import Cast, Expand, GetItem, Reshape, SetItem, Transpose  # noqa: E402
from tinygrad_np.ops.softmax import LogSoftmax, Softmax  # noqa: E402
