"""A kit for testing your own ops and models in pytest, the one tinygrad_np's op table uses.

    from hypothesis import given
    from tinygrad_np import testing

    @given(testing.arrays(testing.shapes(), domain="positive"))
    def test_my_log(x):
        testing.assert_gradients_close(lambda t: MyLog.apply(t), x)
        testing.compare_with_torch(lambda t: MyLog.apply(t), torch.log, x)

Strategies (need `hypothesis`): `shapes`, `broadcastable_shapes`, `arrays`, `tensors`.
Array values come from a NumPy generator seeded by hypothesis, in a *domain*: a name
("anywhere", "positive", "away_from_zero", "away_from_kinks", "distinct", "integers") or
`bounded(lo, hi)`, `away_from(*points)`, or any function `(rng, shape) -> array`.
Checks: `assert_gradients_close` (backward against float64 central differences, naming the
wrong op on failure) and `compare_with_torch` (values and gradients; skips when PyTorch is
not installed).
"""

from __future__ import annotations

import cmath
import math
import unittest
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_np.gradcheck import GradcheckError, diagnosed, numerical_grad
from tinygrad_np.tensor import Tensor

try:
    import hypothesis.strategies as st
except ImportError:  # the checks work without hypothesis; the strategies need it
    st = None

Domain = Callable[[np.random.Generator, tuple], np.ndarray]


# ----------------------------------------------------------------------------- domains
def anywhere(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Uniform in [-2, 2]."""
    return rng.uniform(-2, 2, shape)


def positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Uniform in [0.5, 2.5]: for log, sqrt, division, powers."""
    return rng.uniform(0.5, 2.5, shape)


def away_from_zero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Magnitude in [0.3, 2], either sign: away from the kink of ReLU and abs at 0."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2, shape)


def bounded(lo: float, hi: float) -> Domain:
    """Uniform in [lo, hi]."""
    if not lo < hi:
        raise ValueError(f"bounded: need lo < hi, got {lo}, {hi}")
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def away_from(*points: float, margin: float = 0.1, lo: float = -2.0, hi: float = 2.0) -> Domain:
    """Uniform over the parts of [lo, hi] at least `margin` from each of `points` (kinks,
    clip edges)."""
    segments, start = [], lo  # the allowed intervals, left to right
    for point in sorted(points):
        if point - margin > start:
            segments.append((start, min(point - margin, hi)))
        start = max(start, point + margin)
    if start < hi:
        segments.append((start, hi))
    segments = [(a, b) for a, b in segments if b > a]
    if not segments:
        raise ValueError(f"away_from: nothing in [{lo}, {hi}] is {margin} from {points}")
    lengths = np.array([b - a for a, b in segments])
    edges = np.concatenate([[0.0], np.cumsum(lengths)])

    def domain(rng: np.random.Generator, shape: tuple) -> np.ndarray:
        position = rng.uniform(0, edges[-1], shape)  # along the allowed parts laid end to end
        part = np.clip(np.searchsorted(edges, position, side="right") - 1, 0, len(segments) - 1)
        return np.array([a for a, _ in segments])[part] + position - edges[part]

    return domain


def distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """No two values closer than 0.3, so max and min have no ties."""
    size = int(np.prod(shape, dtype=int))
    values = rng.permutation(size) * 0.35 - 0.175 * size + rng.uniform(0, 0.05, size)
    return values.reshape(shape)


def integers(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Whole numbers in [-3, 3] (as floats)."""
    return rng.integers(-3, 4, shape).astype(np.float64)


DOMAINS: dict[str, Domain] = {
    "anywhere": anywhere, "positive": positive, "away_from_zero": away_from_zero,
    "away_from_kinks": away_from_zero, "distinct": distinct, "integers": integers,
}


def _domain(domain: str | Domain) -> Domain:
    if callable(domain):
        return domain
    try:
        return DOMAINS[domain]
    except KeyError:
        raise ValueError(f"unknown domain {domain!r}: one of {', '.join(DOMAINS)}, or "
                         "bounded(lo, hi), away_from(*points), or a function (rng, shape)"
                         ) from None


# ----------------------------------------------------------------------------- strategies
def _hypothesis() -> Any:
    if st is None:
        raise ImportError("tinygrad_np.testing strategies need hypothesis: pip install hypothesis")
    return st


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """Array shapes: tuples of `min_dims..max_dims` sizes in `min_side..max_side`."""
    strategies = _hypothesis()
    return strategies.lists(strategies.integers(min_side, max_side), min_size=min_dims,
                            max_size=max_dims).map(tuple)


def broadcastable_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
                         max_side: int = 3):
    """Tuples of `n` shapes that broadcast together (NumPy's rules): some have fewer axes,
    some have size 1 where the others do not."""
    strategies = _hypothesis()

    @strategies.composite
    def draw_shapes(draw):
        result = draw(shapes(min_dims, max_dims, min_side, max_side))
        out = []
        for _ in range(n):
            ndim = draw(strategies.integers(min(min_dims, len(result)), len(result)))
            tail = result[len(result) - ndim:]
            ones = draw(strategies.lists(strategies.booleans(), min_size=ndim, max_size=ndim))
            out.append(tuple(1 if one else size for size, one in zip(tail, ones)))
        return tuple(out)

    return draw_shapes()


def arrays(shape: Any = None, dtype: Any = np.float64, domain: str | Domain = "anywhere"):
    """NumPy arrays of `shape` (a tuple or a strategy of tuples; default `shapes()`) with
    values from `domain`, as `dtype`."""
    strategies = _hypothesis()
    fill = _domain(domain)
    shape_strategy = shapes() if shape is None else (
        strategies.just(tuple(shape)) if isinstance(shape, (tuple, list)) else shape)

    @strategies.composite
    def draw_array(draw):
        size = draw(shape_strategy)
        rng = np.random.default_rng(draw(strategies.integers(0, 2**32 - 1)))
        return np.asarray(fill(rng, tuple(size)), dtype=dtype)

    return draw_array()


def tensors(shape: Any = None, dtype: Any = np.float64, domain: str | Domain = "anywhere",
            requires_grad: bool = True):
    """Tensors made from `arrays(shape, dtype, domain)`, requiring grad by default."""
    return arrays(shape, dtype, domain).map(
        lambda a: Tensor(a, requires_grad=requires_grad and a.dtype.kind == "f"))


# ----------------------------------------------------------------------------- checks
def _leaves(inputs: Sequence[Any], dtype: Any = np.float64) -> list[Any]:
    """Float arrays (and NumPy float scalars) and tensors as fresh float64 leaves requiring
    grad; other values (Python numbers, int arrays, axes) unchanged."""
    leaves = []
    for item in inputs:
        data = item._data if isinstance(item, Tensor) else item
        if isinstance(data, np.ndarray | np.floating) and data.dtype.kind == "f":
            leaves.append(Tensor(np.array(data, dtype=dtype), requires_grad=True))
        else:
            leaves.append(data)
    return leaves


def assert_gradients_close(fn: Callable[..., Tensor], *inputs: Any, eps: float = 1e-6,
                           atol: float = 1e-6, rtol: float = 1e-5, seed: int = 1) -> None:
    """Assert that backward through `fn(*inputs)` matches float64 central differences.

    Float arrays and tensors among `inputs` become float64 leaves; other values (axes,
    shapes) are passed as they are. The upstream gradient is random (not ones, so a
    transposed gradient cannot hide), and every element of every input is compared. On
    failure the AssertionError names the input, the element, both values, and (as
    `gradcheck` does) the op whose rule is wrong with the line that created it, or a kink.
    """
    __tracebackhide__ = True
    leaves = _leaves(inputs)
    output = fn(*leaves)
    upstream = np.random.default_rng(seed).standard_normal(output.shape)
    output.backward(upstream)
    numerical = numerical_grad(fn, leaves, eps=eps, grad_output=upstream)
    for position, (leaf, expected) in enumerate(zip(leaves, numerical)):
        if expected is None:
            continue
        actual = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad._data
        if actual.shape != leaf.shape:
            raise GradcheckError(f"input {position}: gradient shape {actual.shape}, input "
                                 f"shape {leaf.shape}")
        error = np.abs(actual - expected)
        excess = error - (atol + rtol * np.abs(expected))
        if np.all(excess <= 0) and np.all(np.isfinite(actual)):
            continue
        worst = np.unravel_index(
            np.argmax(np.where(np.isfinite(excess), excess, np.inf)), excess.shape)
        message = (f"gradient of input {position} (shape {leaf.shape}) disagrees with central "
                   f"differences at element {tuple(int(i) for i in worst)}: backward "
                   f"{actual[worst]:.8g}, numerical {expected[worst]:.8g} (atol={atol}, "
                   f"rtol={rtol})")
        direction = np.zeros(leaf.shape)
        direction[worst] = 1.0
        raise diagnosed(message, fn, _leaves(inputs), eps,
                        point=(position, direction, upstream, actual[worst]))


def compare_with_torch(fn: Callable[..., Any], torch_fn: Callable[..., Any] | None, *arrays: Any,
                       rtol: float = 1e-10, atol: float = 1e-12, seed: int = 2) -> None:
    """Assert that `fn` and `torch_fn` (default: `fn` itself, for code written against both
    APIs) give the same values and gradients on float64 copies of `arrays`.

    Non-array arguments are passed to both unchanged. Raises `unittest.SkipTest` (a clean
    skip in pytest and unittest) when PyTorch is not installed.
    """
    __tracebackhide__ = True
    try:
        import torch
    except ImportError:
        raise unittest.SkipTest("PyTorch is not installed") from None
    leaves = _leaves(arrays)
    torch_leaves = [torch.tensor(a._data, requires_grad=True) if isinstance(a, Tensor) else a
                    for a in leaves]
    outputs, torch_outputs = fn(*leaves), (torch_fn or fn)(*torch_leaves)
    several = isinstance(outputs, (tuple, list))  # each output compared, each gets a gradient
    outputs = list(outputs) if several else [outputs]
    torch_outputs = list(torch_outputs) if several else [torch_outputs]
    if len(outputs) != len(torch_outputs):
        raise AssertionError(f"{len(outputs)} outputs, PyTorch's function gave "
                             f"{len(torch_outputs)}")
    rng = np.random.default_rng(seed)
    graded = []
    for k, (output, torch_output) in enumerate(zip(outputs, torch_outputs)):
        np.testing.assert_allclose(output._data, torch_output.detach().numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"values differ from PyTorch"
                                   f"{f' (output {k})' if several else ''}")
        if output.requires_grad and torch_output.requires_grad:
            graded.append((output, torch_output, rng.standard_normal(output.shape)))
    if graded:
        sum((out * Tensor(up)).sum() for out, _, up in graded).backward()
        sum((out * torch.tensor(up)).sum() for _, out, up in graded).backward()
    for position, (leaf, torch_leaf) in enumerate(zip(leaves, torch_leaves)):
        if isinstance(leaf, Tensor):
            mine = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad._data
            theirs = (np.zeros(leaf.shape) if torch_leaf.grad is None
                      else torch_leaf.grad.numpy())
            np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol,
                                       err_msg=f"gradient of input {position} differs from "
                                       "PyTorch")


# ----------------------------------------------------------------- torch.testing.assert_close
_DEFAULT_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
                       np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
                       np.dtype(np.complex128): (1e-7, 1e-7)}


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: str | None = None) -> None:
    """`torch.testing.assert_close`: |actual - expected| <= atol + rtol |expected| elementwise,
    with PyTorch's default tolerances for the dtype (float32: rtol 1.3e-6, atol 1e-5;
    float64: 1e-7, 1e-7; float16: 1e-3, 1e-5; exact for integers and bools), equal shapes,
    and equal dtypes unless `check_dtype=False`. Tensors, arrays, numbers and (nested)
    sequences and mappings of them; an AssertionError says where and by how much."""
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither")
    if isinstance(expected, dict) or isinstance(actual, dict):
        if not (isinstance(actual, dict) and isinstance(expected, dict)) or (
                set(actual) != set(expected)):
            raise AssertionError(_message(msg, f"The keys of the mappings do not match: "
                                               f"{list(actual)} and {list(expected)}"))
        for key in expected:
            try:
                assert_close(actual[key], expected[key], rtol=rtol, atol=atol,
                             equal_nan=equal_nan, check_dtype=check_dtype,
                             check_stride=check_stride, msg=msg)
            except AssertionError as error:
                raise _located(error, key, msg) from None
        return
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(_message(msg, f"The length of the sequences mismatch: "
                                               f"{len(actual)} != {len(expected)}"))
        for index, (mine, theirs) in enumerate(zip(actual, expected)):
            try:
                assert_close(mine, theirs, rtol=rtol, atol=atol, equal_nan=equal_nan,
                             check_dtype=check_dtype, check_stride=check_stride, msg=msg)
            except AssertionError as error:
                raise _located(error, index, msg) from None
        return
    if actual is None or expected is None:
        if actual is None and expected is None:
            return
        raise AssertionError(_message(msg, f"None mismatch: {actual} is not {expected}"))
    kinds = (_leaf_kind(actual), _leaf_kind(expected))
    if kinds[0] != kinds[1] or kinds[0] is None:  # PyTorch pairs a tensor only with a tensor
        raise TypeError(f"No comparison pair was able to handle inputs of type "
                        f"{type(actual)} and {type(expected)}.")
    if kinds[0] == "number":
        _assert_close_numbers(actual, expected, rtol, atol, equal_nan, check_dtype, msg)
        return
    a = np.asarray(actual._data if isinstance(actual, Tensor) else actual)
    e = np.asarray(expected._data if isinstance(expected, Tensor) else expected)
    if a.dtype.kind not in "biufc" or e.dtype.kind not in "biufc":
        raise TypeError(f"assert_close: no comparison for inputs of type "
                        f"{type(actual).__name__} and {type(expected).__name__}")
    if a.shape != e.shape:
        raise AssertionError(_message(msg, f"The values for attribute 'shape' do not match: "
                                           f"{a.shape} != {e.shape}."))
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(_message(msg, f"The values for attribute 'dtype' do not match: "
                                           f"{a.dtype} != {e.dtype}."))
    if check_stride and isinstance(actual, Tensor) and actual.stride() != expected.stride():
        raise AssertionError(_message(msg, f"The values for attribute 'stride()' do not match: "
                                           f"{actual.stride()} != {expected.stride()}."))
    if rtol is None:
        pairs = [_DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0)) for dtype in (a.dtype, e.dtype)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    if not (rtol >= 0 and atol >= 0):  # NaN fails too
        raise ValueError(f"assert_close: rtol and atol must be >= 0, got rtol={rtol}, "
                         f"atol={atol}")
    close, difference, relative = _closeness(a, e, rtol, atol, equal_nan)
    if close.all():
        return
    bad = ~close
    if a.dtype.kind in "fc" and e.dtype.kind in "fc":  # the message in the tensors' precision
        common = np.result_type(a, e)
        with np.errstate(all="ignore"):
            difference = np.abs(a.astype(common) - e.astype(common))
            relative = difference / np.abs(e.astype(common))
    # the worst mismatch: a NaN difference counts as the largest
    ranked = np.where(bad, np.where(np.isnan(difference), np.inf, difference), -np.inf)
    worst = np.unravel_index(int(np.argmax(ranked)), a.shape) if a.ndim else ()
    ranked = np.where(bad, np.where(np.isnan(relative), np.inf, relative), -np.inf)
    worst_relative = np.unravel_index(int(np.argmax(ranked)), a.shape) if a.ndim else ()
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu" and rtol == atol == 0
    if exact:  # integers: the difference exactly, not through float64
        difference = np.abs(a.astype(object) - e.astype(object))
    verdict = "equal" if exact else "close"
    allowed = ("", "") if exact else (f" (up to {atol} allowed)", f" (up to {rtol} allowed)")
    if a.ndim == 0:
        raise AssertionError(_message(msg, (
            f"Scalars are not {verdict}!\n\nExpected {e.item()} but got {a.item()}.\n"
            f"Absolute difference: {difference[()]}{allowed[0]}\nRelative difference: "
            f"{relative[()]}{allowed[1]}")))
    raise AssertionError(_message(msg, (
        f"Tensor-likes are not {verdict}!\n\nMismatched elements: {int(bad.sum())} / {a.size} "
        f"({100 * bad.sum() / max(a.size, 1):.1f}%)\nGreatest absolute difference: "
        f"{difference[worst]} at index {tuple(map(int, worst))}{allowed[0]}\n"
        f"Greatest relative difference: {relative[worst_relative]} at index "
        f"{tuple(map(int, worst_relative))}{allowed[1]}")))


def _message(msg: Any, generated: str) -> str:
    """PyTorch's `msg=`: a string replaces the message, a callable receives it."""
    return msg(generated) if callable(msg) else msg or generated


def _leaf_kind(value: Any) -> str | None:
    """What assert_close compares a leaf as: PyTorch pairs tensors with tensors, arrays with
    arrays and numbers (Python's or NumPy's scalars) with numbers, nothing else."""
    if isinstance(value, Tensor):
        return "tensor"
    if isinstance(value, np.ndarray):
        return "array"
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return "number"
    return None


def _assert_close_numbers(actual: Any, expected: Any, rtol: float | None, atol: float | None,
                          equal_nan: bool, check_dtype: bool, msg: str | None) -> None:
    """assert_close of two Python numbers: their types must agree (int is not float), then
    the float64 tolerances unless given."""
    python = {bool: bool, int: int, float: float, complex: complex}
    kinds = [python.get(type(v), type(v)) for v in (actual, expected)]
    if check_dtype and kinds[0] is not kinds[1] and all(k in python for k in kinds):
        raise AssertionError(_message(msg, f"The (d)types do not match: {kinds[0]} != "
                                           f"{kinds[1]}."))
    if rtol is None:
        rtol, atol = (1e-7, 1e-7) if any(k in (float, complex) or np.issubdtype(k, np.inexact)
                                        for k in kinds) else (0.0, 0.0)
    a, e = complex(actual), complex(expected)
    nan = a != a or e != e
    finite = cmath.isfinite(a) and cmath.isfinite(e)  # an inf is close only to itself
    if (nan and equal_nan and (a != a) == (e != e)) or (not nan and (
            abs(a - e) <= atol + rtol * abs(e) if finite else a == e)):
        return
    difference = abs(a - e)
    relative = difference / abs(e) if e else float("inf") if difference else 0.0
    raise AssertionError(_message(msg, (
        f"Scalars are not close!\n\nExpected {expected} but got {actual}.\nAbsolute difference: "
        f"{difference} (up to {atol} allowed)\nRelative difference: {relative} (up to {rtol} "
        f"allowed)")))


def _located(error: AssertionError, key: Any, msg: Any) -> AssertionError:
    """The error of a nested item, saying where it is (PyTorch's "The failure occurred for
    item ['a'][1]"), the path growing as it passes up through the containers."""
    if msg is not None:
        return error
    item = f"[{key!r}]" + getattr(error, "item", "")
    base = getattr(error, "base", str(error))
    located = AssertionError(f"{base}\n\nThe failure occurred for item {item}")
    located.item, located.base = item, base  # type: ignore[attr-defined]
    return located


def _closeness(a: np.ndarray, e: np.ndarray, rtol: float, atol: float,
               equal_nan: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elementwise |a - e| <= atol + rtol |e| (non-finite values only equal to themselves;
    integers compared exactly when there is no tolerance, not through float64), with the
    absolute and relative differences."""
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu" and rtol == 0 and atol == 0
    wide = np.result_type(a.dtype, e.dtype, np.float64)
    a64, e64 = a.astype(wide), e.astype(wide)
    with np.errstate(all="ignore"):
        difference = np.abs(a64 - e64)
        relative = difference / np.abs(e64)
        if exact:
            close = np.asarray(a == e)
        else:
            finite = np.isfinite(a64) & np.isfinite(e64)
            close = np.where(finite, difference <= atol + rtol * np.abs(e64), a64 == e64)
            if equal_nan:
                close = close | (np.isnan(a64) & np.isnan(e64))
    return np.asarray(close), difference, relative


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """PyTorch's deprecated spelling (with its FutureWarning): assert_close without the dtype
    check, NaNs equal, `expected` made a tensor like `actual` (a list or number too)."""
    warnings.warn("testing.assert_allclose is deprecated, as in PyTorch: use "
                  "testing.assert_close", FutureWarning, stacklevel=2)
    if isinstance(actual, Tensor) and not isinstance(expected, Tensor):
        expected = Tensor(np.asarray(expected, dtype=actual.dtype))
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


def make_tensor(*shape: Any, dtype: Any, device: Any = None, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    """`torch.testing.make_tensor`: values drawn uniformly from [low, high) (by default
    [-9, 9), from 0 for unsigned dtypes; bools at random) from the library's generator;
    `exclude_zero` replaces zeros (1 for integers, the dtype's smallest normal for floats);
    `noncontiguous` gives a strided view (a one-element tensor stays contiguous)."""
    from tinygrad_np import rng  # noqa: PLC0415 (testing sits above the engine)
    from tinygrad_np.device import as_device  # noqa: PLC0415
    as_device(device, "make_tensor")
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    dtype = np.dtype(dtype)
    if requires_grad and dtype.kind != "f":
        raise ValueError(f"make_tensor: requires_grad=True is not supported for {dtype}")
    if any(v is not None and v != v for v in (low, high)):
        raise ValueError(f"make_tensor: low and high cannot be NaN, got low={low}, high={high}")
    generator = rng.generator()
    if dtype.kind == "b":
        values = generator.integers(0, 2, shape).astype(bool)
    else:
        info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
        low = max(-9 if low is None else low, float(info.min))
        high = min(9 if high is None else high, float(info.max))
        if low > high or low == high and dtype.kind in "iu":
            raise ValueError(f"make_tensor: low must be less than high, got low={low}, "
                             f"high={high}")
        values = (generator.integers(math.ceil(low), math.ceil(high), shape)
                  if dtype.kind in "iu" else rng.uniform(generator, low, high, shape, dtype))
        values = values.astype(dtype)
        if exclude_zero:
            values[values == 0] = 1 if dtype.kind in "iu" else np.finfo(dtype).tiny
    if noncontiguous and values.size > 1:
        spread = np.repeat(values[..., None], 2, axis=-1).reshape(*shape[:-1], -1)
        values = spread[..., ::2]
    return Tensor(values, requires_grad=requires_grad)

