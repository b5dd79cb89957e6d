"""PyTorch's function forms of the Tensor methods: `tg.sin(x)`, `tg.sum(x, dim=1)`, ...

Each `tg.<name>(input, *args, **kwargs)` is `Tensor(input).<name>(*args, **kwargs)`: the
function is generated from the one list `METHOD_FORMS` below, so a method and its function
form cannot drift apart. A name in the list whose method the Tensor class does not have
(yet) is left out. The few forms PyTorch gives a different meaning (`tg.max(x, dim)` returns
values and indices; `tg.max(a, b)` is the elementwise maximum) and the matrix products
(`mm`, `bmm`, `dot`, `mv`, `addmm`, compositions of `@`) are written out by hand.
Every form takes PyTorch's `out=` (`write_out`). Also here: `is_tensor`, `numel`,
`from_numpy`, `as_tensor`.
"""

from __future__ import annotations

import builtins
import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np import inference_tensors, return_types
from tinygrad_np.device import as_device, user_ordered
from tinygrad_np.dtypes import result_dtype
from tinygrad_np.errors import DataError
from tinygrad_np.factories import refuse_negative_strides
from tinygrad_np.foreign import is_torch_tensor, torch_values
from tinygrad_np.function import is_grad_enabled, no_grad
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops.linear import LinearFunction
from tinygrad_np.ops.matmul import refuse_integer_mix
from tinygrad_np.tensor import (
    Tensor,
    TensorError,
    _number,
    check_alpha,
    float_scalar_first,
    number_operand,
    refuse_bool_operand,
    refuse_partial_overlap,
    scaled,
    to_tensor,
)

# The Tensor methods that PyTorch also offers as `torch.<name>(input, ...)`. The second
# group comes with the tensor vocabulary; names whose method is missing are skipped.
METHOD_FORMS: tuple[str, ...] = (
    # arithmetic, elementwise and activations
    "add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "sin", "cos",
    "tanh", "sigmoid", "relu", "clamp", "clip",
    # reductions and normalisations
    "sum", "mean", "argmax", "argmin", "softmax", "log_softmax",
    # shapes
    "reshape", "transpose", "permute", "squeeze", "unsqueeze", "flatten", "swapaxes",
    "matmul", "detach",
    # the tensor vocabulary
    "subtract", "multiply", "divide", "true_divide", "floor_divide", "remainder", "fmod",
    "square", "rsqrt", "reciprocal", "exp2", "expm1", "log1p", "log2", "log10", "sign",
    "sgn", "floor", "ceil", "round", "trunc", "frac", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "lerp", "hypot",
    "maximum", "minimum", "fmax", "fmin", "logaddexp", "logit", "xlogy", "addcmul",
    "addcdiv", "nan_to_num", "isnan", "isinf", "isfinite", "eq", "ne", "lt", "le", "gt",
    "ge", "logical_and", "logical_or", "logical_not", "logical_xor", "allclose",
    "isclose", "equal",
    "prod", "std", "var", "logsumexp", "cumsum", "cumprod",
    "amax", "amin", "aminmax", "all", "any", "norm", "dist", "count_nonzero", "median",
    "sort", "argsort", "topk", "kthvalue",
    "repeat_interleave", "tile", "flip", "fliplr", "flipud",
    "roll", "narrow", "chunk", "split", "tensor_split", "unbind", "movedim", "moveaxis",
    "gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select",
    "take", "take_along_dim", "index_fill", "diag", "diagonal", "tril", "triu", "trace",
    "outer", "inner",
    "cross", "kron", "clone", "ravel", "t", "nonzero", "unique", "selu", "celu",
    "is_floating_point",
    # counting, statistics and indexed writes
    "bincount", "histc", "argwhere", "quantile", "nanquantile", "nansum", "nanmean", "diff",
    "logcumsumexp", "index_add", "index_copy", "index_put", "index_put_", "scatter_reduce",
    "bernoulli",
    # comparisons, bitwise ops and indexing under PyTorch's other names
    "arctan2", "greater", "greater_equal", "less", "less_equal", "not_equal", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "select", "fix", "unflatten",
    # found missing by porting scripts (torch.mode(x), torch.clamp_min(x, 0), ...)
    "mode", "clamp_min", "clamp_max", "arcsin", "arccos", "arctan", "arcsinh", "arccosh",
    "arctanh", "is_complex",
    "split_with_sizes", "bitwise_left_shift", "bitwise_right_shift",
    "lgamma", "digamma", "erfinv", "mvlgamma", "i0", "igamma", "igammac",
)

# Methods that take NumPy's `axis=`/`keepdims=` in this version: PyTorch's `dim=`/`keepdim=`
# are passed on under those names (harmless once the methods take both spellings).
_AXIS_METHODS = frozenset({"sum", "mean", "argmax", "argmin", "softmax", "log_softmax"})


def _as_input(value: Any) -> Tensor:
    return to_tensor(value)


def _numpy_axis_names(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "dim" in kwargs:
        kwargs["axis"] = kwargs.pop("dim")
    if "keepdim" in kwargs:
        kwargs["keepdims"] = kwargs.pop("keepdim")
    return kwargs


# Ops whose `out=` must have exactly the result's dtype, as PyTorch's (its dtype-keeping
# kernels, copies, matrix products and these reductions; the others take any dtype the
# result casts to within its kind or wider; max/min: exactly for (values, indices) only).
EXACT_OUT_DTYPE = frozenset((
    "abs absolute neg negative sign sgn ceil floor round trunc fix frac nan_to_num "
    "bitwise_not hardshrink heaviside float_power conj_physical where take_along_dim "
    "amax amin argmax argmin norm frobenius_norm nuclear_norm quantile nanquantile histc "
    "softmax log_softmax logcumsumexp msort tril triu diag cross inner tensordot matmul mm "
    "dot addmm bmm mv vdot baddbmm addmv addbmm isin take gather index_select masked_select "
    "nonzero slice_scatter alias_copy "
    "detach_copy diagonal_copy expand_copy permute_copy select_copy slice_copy squeeze_copy "
    "t_copy transpose_copy unfold_copy unsqueeze_copy view_copy signbit isposinf isneginf "
    "sort topk kthvalue median nanmedian mode cummax cummin aminmax frexp "
    "matrix_power").split())


# out= ops PyTorch computes without its overlap check (matrix products, full reductions):
# here an `out` overlapping an input gets the result as if the input were cloned first.
_OUT_UNCHECKED = frozenset("mm bmm mv matmul addmm addbmm baddbmm addmv addr dot vdot inner "
                           "outer ger sum prod mean nansum nanmean logsumexp".split())


def refuse_out_overlap(op: str, out: Any, operands: tuple) -> None:
    """PyTorch's error for an `out` that partly overlaps an input (views of one base:
    `add(a[:-1], b, out=a[1:])`); `out=a` of an input `a` itself passes. Lists of tensors
    (cat's) and tuples of outs (sort's) are looked into."""
    if op in _OUT_UNCHECKED or op.startswith("linalg."):
        return
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for operand in operands:
        for tensor in (operand if isinstance(operand, (tuple, list)) else (operand,)):
            for target in outs:
                if isinstance(tensor, Tensor) and isinstance(target, Tensor) and (
                        tensor._counter is target._counter is not None):
                    refuse_partial_overlap(target._data, tensor._data)


_JOINS = frozenset({"cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
                    "column_stack", "row_stack"})

def write_out(op: str, out: Any, result: Any, exact_dtype: bool = False) -> Any:
    """PyTorch's `out=`: `result` (a tensor, or a tuple of them for `max(x, dim)`, `sort`,
    ...) written into `out` (the same structure), which is returned. As PyTorch: not while
    recording a graph (out= has no gradient), the result cast to out's dtype only within its
    kind or wider (no float into int; exactly its dtype for the ops of EXACT_OUT_DTYPE or with
    `exact_dtype`), and an `out` of another shape resized (with a warning when it held
    elements)."""
    if out is None:
        return result
    if op in ("any", "all") and isinstance(out, Tensor) and out.dtype.kind not in "bu":
        raise TensorError(f"{op} only supports bool tensor for result, got: {out.dtype.name} "
                          "(uint8 too, as PyTorch)")
    results, outs = (result, out) if isinstance(result, tuple) else ((result,), (out,))
    if not isinstance(outs, (tuple, list)) or len(outs) != len(results) or not builtins.all(
            isinstance(t, Tensor) for t in outs):
        wanted = f"a tuple of {len(results)} tensors" if isinstance(result, tuple) else "a Tensor"
        raise TypeError(f"{op}(): out must be {wanted}, got {type(out).__name__}")
    if is_grad_enabled() and builtins.any(  # (as PyTorch, a comparison's bool result
            value.requires_grad or target.requires_grad and value.dtype != np.bool_  # may
            for value, target in zip(results, outs)):  # fill an out that requires grad)
        raise TensorError(f"{op}(): functions with out=... arguments don't support automatic "
                          "differentiation, but one of the arguments requires grad")
    for value, target in zip(results, outs):
        if (exact_dtype or op in EXACT_OUT_DTYPE or op in ("max", "min") and len(results) > 1
                ) and value.dtype != target.dtype:
            raise TensorError(f"{op}(): Found dtype {target.dtype.name} but expected "
                              f"{value.dtype.name} "
                              f"(out= of {op} must have the result's dtype)")
        if not np.can_cast(value.dtype, target.dtype, "same_kind") and not (
                value.dtype.kind in "iu" and target.dtype.kind in "iu"):  # (int16 into uint8)
            error = DataError if op in _JOINS else TensorError  # (PyTorch's joins: TypeError)
            raise error(f"{op}(): result type {value.dtype.name} can't be cast to the desired "
                        f"output type {target.dtype.name}")
        with no_grad():
            if value.shape == target.shape:
                target.copy_(value)
                continue
            if target.numel():
                warnings.warn(f"{op}(): an output with one or more elements was resized from "
                              f"{target.shape} to {value.shape}", UserWarning, stacklevel=3)
            target._data = np.array(value._data, dtype=target.dtype)
            target._bump_version()
    return type(result)(*outs) if hasattr(result, "_fields") else out  # (sort's (values,
    # indices) named as PyTorch's, holding the out tensors)


def with_out(function: Callable[..., Any], dtype_of_out: bool = False,
             name: str | None = None, exact_dtype: bool = False) -> Callable[..., Any]:
    """`function` taking PyTorch's `out=` keyword (see write_out), as PyTorch's `name` (by
    default its own); a factory (`dtype_of_out`) makes its result in out's dtype unless given
    `dtype=`. A named tuple result (linalg.qr's (Q, R), ...) comes back as that named tuple
    of the `out` tensors."""
    op = name or function.__name__

    @functools.wraps(function)
    def wrapped(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if dtype_of_out and isinstance(out, Tensor) and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        if out is not None:
            refuse_out_overlap(op, out, (*args, *kwargs.values()))
        result = function(*args, **kwargs)
        written = write_out(op, out, result, exact_dtype)
        return type(result)(*written) if out is not None and hasattr(result, "_fields") \
            else written
    return wrapped


def namespace_out(module: Any, names: str, exact_dtype: bool = False) -> None:
    """Give the functions `names` (space-separated) of `module` (torch.linalg, torch.special)
    PyTorch's `out=` (see with_out), each named `<namespace>.<name>` in errors; `exact_dtype`:
    out must have the result's dtype (torch.linalg's rule)."""
    prefix = module.__name__.rpartition(".")[2]
    for name in names.split():
        setattr(module, name, with_out(getattr(module, name), name=f"{prefix}.{name}",
                                       exact_dtype=exact_dtype))


# A number first (`torch.add(2.5, t)`) is a number to PyTorch's promotion, as in `2.5 + t`:
# these forms then call the tensor's reflected operator (a 0-d tensor would widen float16).
_REFLECTED = {"add": "__radd__", "mul": "__rmul__", "multiply": "__rmul__", "sub": "__rsub__",
              "subtract": "__rsub__", "div": "_rdiv", "divide": "_rdiv",  # (true divisions)
              "true_divide": "_rdiv", "floor_divide": "__rfloordiv__",
              "remainder": "__rmod__", "pow": "__rpow__", "bitwise_and": "__rand__",
              "bitwise_or": "__ror__", "bitwise_xor": "__rxor__",
              "bitwise_left_shift": "__rlshift__", "bitwise_right_shift": "__rrshift__"}


def _alpha_times(name: str, number: Any, other: Tensor, alpha: Any) -> Any:
    """alpha * other of `torch.add(number, other, alpha=)` (and sub) in the result's dtype,
    as PyTorch (`add(2.5, uint8, alpha=2)` does not wrap 2 * 250 in uint8), after the checks
    of `other.add(number, alpha=)`; a bool operand of sub is refused."""
    if name != "add":
        refuse_bool_operand(number, other)
    like = np.zeros((), result_dtype(number, other._data))  # (only its dtype counts)
    check_alpha(name, Tensor(like), other, alpha)
    return scaled(other, alpha, like)


_MISSING = object()
# Forms that PyTorch gives no out= (`torch.relu(x, out=y)` is its TypeError).
_NO_OUT = frozenset((
    "relu squeeze flatten detach isnan isinf isfinite count_nonzero repeat_interleave fliplr "
    "flipud narrow split tensor_split unbind movedim moveaxis masked_fill index_fill diagonal "
    "trace clone ravel t unique selu celu is_floating_point bincount argwhere isclose allclose "
    "equal is_complex chunk roll unsqueeze argsort").split())
# Reductions whose whole-tensor form PyTorch gives no out= (`torch.sum(x, out=y)`).
_OUT_NEEDS_DIM = frozenset(("sum", "prod", "median", "logsumexp"))
# Forms whose input PyTorch takes only as a Tensor (`torch.maximum(0.5, t)` is a TypeError).
_TENSOR_INPUT = frozenset(("maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot",
                           "logaddexp", "igamma", "igammac", "fmod"))
_SUMS = frozenset(("sum", "nansum", "prod", "cumsum", "cumprod"))  # out= sets their dtype
_DTYPED = _SUMS | {"mean", "nanmean"}  # whose dtype= out= must match
_FLOAT_STATS = frozenset(("mean", "nanmean", "logsumexp", "std", "var"))  # and a float input's


_CLAMPS = frozenset(("clamp", "clip", "clamp_min", "clamp_max"))


def _exact_out(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether PyTorch wants out= of exactly the result's dtype, where its overloads differ:
    lerp with a weight tensor of 1 or more dims (a 0-d one is a number), clamp with a number
    bound (only tensor bounds, or None: any castable dtype)."""
    if name == "lerp":
        weight = args[1] if len(args) > 1 else kwargs.get("weight")
        return isinstance(weight, Tensor) and weight.ndim > 0
    if name in _CLAMPS:
        bounds = (*args, *kwargs.values())
        return not bounds or builtins.any(
            bound is not None and not isinstance(bound, Tensor) for bound in bounds)
    return False


def _function_form(name: str) -> Callable[..., Any]:
    """`tg.<name>(input, ...)` calling `Tensor.<name>`, with the method's docstring."""
    axis_names = name in _AXIS_METHODS
    reflected = _REFLECTED.get(name)

    def form(input: Any = _MISSING, *args: Any, out: Any = None,  # noqa: A002
             **kwargs: Any) -> Any:
        if input is _MISSING:  # the Scalar-first overloads name it self: pow(self=2, exponent=x)
            if "self" not in kwargs and not (name == "split" and "tensor" in kwargs):
                raise TypeError(f"{name}(): missing the input argument")
            input = kwargs.pop("self" if "self" in kwargs else "tensor")  # noqa: A001
            if name == "pow" and not args and "exponent" in kwargs:
                args = (kwargs.pop("exponent"),)
        if out is not None and name in _NO_OUT:
            raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
        if out is not None:
            refuse_out_overlap(name, out, (input, *args, *kwargs.values()))
        if out is not None and name in _OUT_NEEDS_DIM and not args and not (
                {"dim", "axis"} & kwargs.keys()):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"(Tensor, out=Tensor): its out= form is {name}(input, dim, "
                            "keepdim=False, *, out=None), as PyTorch's")
        if axis_names:
            kwargs = _numpy_axis_names(kwargs)
        if name in _TENSOR_INPUT and not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        if name == "xlogy" and args and isinstance(args[0], Tensor):
            input = float_scalar_first(input, args[0])  # noqa: A001 (0.5 with float16: float16)
        if name in _DTYPED and isinstance(out, Tensor) and kwargs.get("dtype") is not None \
                and np.dtype(kwargs["dtype"]) != out.dtype:
            raise TensorError(f"{name}(): Expected out tensor to have dtype "
                              f"{np.dtype(kwargs['dtype']).name}, but got {out.dtype.name} "
                              f"instead (dtype= and out= must agree, as PyTorch)")
        if name in _SUMS and isinstance(out, Tensor) and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype  # computed in out's dtype, as PyTorch's
        if name in _FLOAT_STATS and isinstance(out, Tensor) and isinstance(input, Tensor) and (
                input.dtype.kind == out.dtype.kind == "f"):  # (as PyTorch: in out's float;
            half = name == "mean" and out.dtype == np.float16  # mean_out sums in float32 then)
            input = input.to(np.float32 if half and input.dtype != np.float16 else out.dtype)  # noqa: A001
        if reflected and len(args) == 1 and set(kwargs) <= {"alpha"} and isinstance(
                args[0], Tensor) and isinstance(input, (int, float, np.number, np.bool_)):
            number = _number(input)  # (np.bool_ as a float, as PyTorch)
            if args[0].dtype == np.float16 and type(number) in (int, float):  # rounded to
                with np.errstate(over="ignore"):  # float16 first, as PyTorch: mul(0.1, x)
                    number = float(np.float16(number))  # rounds 0.1, x * 0.1 does not
            other = args[0] if kwargs.get("alpha", 1) == 1 else _alpha_times(
                name, number, args[0], kwargs["alpha"])
            if "alpha" in kwargs and name not in ("add", "sub", "subtract"):
                return write_out(name, out, getattr(_as_input(input), name)(*args, **kwargs))
            return write_out(name, out, getattr(other, reflected)(number))
        if reflected and isinstance(input, np.generic):  # a NumPy scalar is a number, weak as
            input = _number(input)  # noqa: A001 (one: div(np.float64(2), ints, rounding_mode=))
        return write_out(name, out, getattr(_as_input(input), name)(*args, **kwargs),
                         exact_dtype=_exact_out(name, args, kwargs))

    form.__name__ = form.__qualname__ = name
    form.__doc__ = (f"`tg.{name}(input, ...)` is `input.{name}(...)`: "
                    f"{getattr(Tensor, name).__doc__ or ''}")
    form.__module__ = "tinygrad_np"
    return form


FORMS: dict[str, Callable[..., Any]] = {
    name: _function_form(name) for name in METHOD_FORMS if hasattr(Tensor, name)
}


ValuesIndices = return_types.max  # (the name it had; tg.min's result is return_types.min)


def _extreme(input: Any, args: tuple, kwargs: dict[str, Any], largest: bool,
             name: str) -> Any:
    x = _as_input(input)
    if len(args) > 2:
        raise TypeError(f"{name}() takes at most 3 positional arguments ({len(args) + 1} given)")
    dim, keepdim = args[0] if args else None, args[1] if len(args) > 1 else False
    other = kwargs.pop("other", None)  # tg.max(x, other=y): the elementwise maximum
    if "dim" in kwargs or "axis" in kwargs:  # (dim=: a 0-d integer tensor is a dim, as PyTorch)
        if dim is not None:
            raise TypeError(f"{name}() got multiple values for argument 'dim'")
        dim = kwargs.pop("dim", None)
        dim = kwargs.pop("axis", None) if dim is None else dim
        dim = int(dim) if isinstance(dim, Tensor) else dim
    dim = other if other is not None else dim
    keepdim = kwargs.pop("keepdim", kwargs.pop("keepdims", keepdim))
    if kwargs:
        raise TypeError(f"{name}: unexpected keyword arguments {sorted(kwargs)}")
    if dim is None:
        return x.max() if largest else x.min()
    if isinstance(dim, Tensor):  # tg.max(a, b): the elementwise maximum
        return _elementwise_extreme(x, dim, largest)
    values = x.max(dim, keepdim) if largest else x.min(dim, keepdim)
    if isinstance(values, tuple):  # the method gives (values, indices) itself
        return values
    indices = x.argmax(dim, keepdim) if largest else x.argmin(dim, keepdim)
    return (return_types.max if largest else return_types.min)(values, indices)


def _elementwise_extreme(a: Tensor, b: Tensor, largest: bool) -> Tensor:
    method = getattr(a, "maximum" if largest else "minimum", None)
    if method is not None:
        return method(b)
    # (a + b +- |a - b|) / 2: exact, and at ties the gradient is split evenly
    half_gap = (a - b).abs() * 0.5
    middle = (a + b) * 0.5
    return middle + half_gap if largest else middle - half_gap


@with_out
def max(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """`tg.max(x)`: the largest value; `tg.max(x, dim, keepdim=False)`: (values, indices)
    along `dim` as PyTorch; `tg.max(a, b)` with a Tensor `b`: the elementwise maximum."""
    return _extreme(input, args, kwargs, True, "max")


@with_out
def min(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """`tg.min(x)`: the smallest value; `tg.min(x, dim, keepdim=False)`: (values, indices)
    along `dim` as PyTorch; `tg.min(a, b)` with a Tensor `b`: the elementwise minimum."""
    return _extreme(input, args, kwargs, False, "min")


def _check_ndim(name: str, **tensors: Tensor) -> None:
    expected = {"mm": 2, "bmm": 3, "dot": 1}
    for argument, tensor in tensors.items():
        wanted = expected.get(name, 2 if argument == "mat" else 1)
        if tensor.ndim != wanted:
            hint = "; for matrices (NumPy's a.dot(b)) write a @ b" if name == "dot" else ""
            raise TensorError(f"{name}: {argument} must be {wanted}-D, got shape "
                              f"{tensor.shape}{hint}")


@with_out
def mm(input: Any, mat2: Any) -> Tensor:  # noqa: A002
    """Matrix product of two 2-D tensors (n, m) @ (m, p) -> (n, p)."""
    input, mat2 = _as_input(input), _as_input(number_operand("mm", mat2, "mat2"))
    _check_ndim("mm", input=input, mat2=mat2)
    return input @ mat2


@with_out
def bmm(input: Any, mat2: Any) -> Tensor:  # noqa: A002
    """Batched matrix product of two 3-D tensors (b, n, m) @ (b, m, p) -> (b, n, p)."""
    input, mat2 = _as_input(input), _as_input(number_operand("bmm", mat2, "mat2"))
    _check_ndim("bmm", input=input, mat2=mat2)
    if input.shape[0] != mat2.shape[0]:
        raise TensorError(f"bmm: batch sizes differ: {input.shape} and {mat2.shape}")
    return pytorch_named(input @ mat2, "BmmBackward0")


@with_out
def dot(input: Any, tensor: Any) -> Tensor:  # noqa: A002
    """Inner product of two 1-D tensors of the same length (a 0-d tensor)."""
    input, tensor = _as_input(input), _as_input(number_operand("dot", tensor, "tensor"))
    _check_ndim("dot", input=input, tensor=tensor)
    return input @ tensor


@with_out
def mv(input: Any, vec: Any) -> Tensor:  # noqa: A002
    """Matrix-vector product (n, m) @ (m,) -> (n,)."""
    input, vec = _as_input(input), _as_input(number_operand("mv", vec, "vec"))
    _check_ndim("mv", mat=input, vec=vec)
    return input @ vec


@with_out
def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1,  # noqa: A002
          alpha: float = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), with input broadcast to the product's shape.
    float16 with a bias row (beta = alpha = 1): the bias added in float32 and the sum rounded
    once, as PyTorch's addmm (nn.Linear's op)."""
    if (beta == 1 and alpha == 1 and isinstance(input, Tensor) and input.ndim == 1
            and isinstance(mat1, Tensor) and isinstance(mat2, Tensor) and mat2.ndim == 2
            and input.dtype == mat1.dtype == mat2.dtype == np.float16 and mat1.ndim == 2
            and input.shape[0] == mat2.shape[1] and mat1.shape[1] == mat2.shape[0]):
        return LinearFunction.apply(mat1, mat2.T, input)
    product = mm(mat1, mat2)
    if isinstance(input, (Tensor, np.ndarray)):  # (a number or list is data, weak)
        refuse_integer_mix("addmm", input.dtype, product.dtype)
    if product.dtype.kind in "iu":  # integer products: the scales truncated, as PyTorch
        beta, alpha = int(beta), int(alpha)
    if alpha != 1:
        product = product * alpha
    if beta == 0:  # as PyTorch: input is ignored (NaN in it does not propagate, gradient 0)
        x = _as_input(input)
        return product + x._graph_zero() if x.requires_grad else product
    return pytorch_named(product + (_as_input(input) * beta if beta != 1 else _as_input(input)),
                         "AddmmBackward0")


# ----------------------------------------------------------------- tensors and grad mode
def is_tensor(obj: Any) -> bool:
    """True if `obj` is a tinygrad_np Tensor (Parameters included)."""
    return isinstance(obj, Tensor)


def numel(input: Any) -> int:  # noqa: A002
    """The number of elements."""
    return int(np.size(input._data if isinstance(input, Tensor) else input))


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing memory with `array` (writes to one show in the other), dtype kept."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    refuse_negative_strides("from_numpy", array)
    # (a tensor of another byte order would be a converted copy, not sharing the memory)
    if array.dtype.fields is None and not array.dtype.isnative:
        raise ValueError(f"from_numpy: the array's byte order ({array.dtype.str}) is not "
                         "the machine's, so a tensor cannot share its memory, as PyTorch "
                         "refuses; pass array.astype(array.dtype.newbyteorder('='))")
    user_ordered(array)  # (batch innermost: PyTorch's is not contiguous, no conv result)
    return Tensor(array)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """`data` as a Tensor, sharing memory when it already is one (or an ndarray) of `dtype`."""
    as_device(device, "as_tensor")
    if is_torch_tensor(data):  # a real torch tensor: its values, sharing its memory
        data = torch_values(data)
    if isinstance(data, Tensor):
        return data if dtype is None or np.dtype(dtype) == data.dtype else data.astype(dtype)
    return to_tensor(data, dtype)


class inference_mode(no_grad):
    """PyTorch's `inference_mode(mode=True)`: here `no_grad` (no graph is recorded, in this
    thread); `inference_mode(False)` turns recording on, as PyTorch's does. Also a bare
    decorator (`@tg.inference_mode`), as in PyTorch."""

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # `@inference_mode` without parentheses: mode is the function
            return super().__new__(cls)(mode)
        return super().__new__(cls)

    mode = True  # (a bare `@inference_mode` decorator builds the object without __init__)

    def __init__(self, mode: bool = True) -> None:
        self.value, self.mode = not mode, bool(mode)

    def __enter__(self) -> None:  # the results of ops are inference tensors (see there)
        self._was_inference = inference_tensors.enter(self.mode)
        super().__enter__()

    def __exit__(self, *exc_info: object) -> None:
        inference_tensors.leave(self._was_inference)
        super().__exit__(*exc_info)


def is_inference_mode_enabled() -> bool:
    """True inside `inference_mode()` (in this thread), as PyTorch's."""
    return inference_tensors.active()


__all__ = [
    *FORMS,
    "ValuesIndices",
    "addmm",
    "as_tensor",
    "bmm",
    "dot",
    "from_numpy",
    "inference_mode",
    "is_inference_mode_enabled",
    "is_tensor",
    "max",
    "min",
    "mm",
    "mv",
    "numel",
]
globals().update(FORMS)
