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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tinygrad_np.gradcheck import GradcheckError, diagnosed, numerical_grad
from tinygrad_np.tensor import Tensor, _isclose

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
    if not any(isinstance(leaf, Tensor) for leaf in leaves):
        raise TypeError("assert_gradients_close: no input is a float array or tensor, so there "
                        "is nothing to check (Python numbers, lists and int arrays are passed "
                        "to fn as they are)")
    output = fn(*leaves)
    if isinstance(output, (tuple, list)):  # several outputs: one random upstream for each
        fn = _weighted_sum(fn, output, seed)
        output = fn(*leaves)
    if not isinstance(output, Tensor):
        raise TypeError(f"assert_gradients_close: fn must return a Tensor (or a tuple of "
                        f"them), got {type(output).__name__}")
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


def _weighted_sum(fn: Callable[..., Any], outputs: Sequence[Any], seed: int
                  ) -> Callable[..., Tensor]:
    """fn's float outputs that need grad, each times its own random upstream gradient, summed:
    one scalar whose gradient checks every output's rule at once."""
    rng = np.random.default_rng(seed + 1)
    weights = {k: Tensor(rng.standard_normal(out.shape)) for k, out in enumerate(outputs)
               if isinstance(out, Tensor) and out.dtype.kind == "f" and out.requires_grad}
    if not weights:
        raise RuntimeError("assert_gradients_close: no output of fn requires grad (each is "
                           "detached, an integer result or not a Tensor)")

    def weighted(*args: Any) -> Tensor:
        found = fn(*args)
        return sum(((found[k] * w).sum() for k, w in weights.items()), Tensor(0.0))

    return weighted


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
        if tuple(output.shape) != tuple(torch_output.shape):  # (assert_allclose broadcasts)
            raise AssertionError(f"shape {tuple(output.shape)} differs from PyTorch's "
                                 f"{tuple(torch_output.shape)}"
                                 f"{f' (output {k})' if several else ''}")
        theirs = torch_output.detach().numpy().dtype
        if output._data.dtype != theirs:
            raise AssertionError(f"dtype {output._data.dtype} differs from PyTorch's {theirs}"
                                 f"{f' (output {k})' if several else ''}")
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
                 check_stride: bool = False, msg: str | Callable[[str], str] | None = None) -> None:
    """`torch.testing.assert_close`: |actual - expected| <= atol + rtol |expected| elementwise
    (`isclose`'s rule), with PyTorch's default tolerances for the dtype (float32: rtol 1.3e-6,
    atol 1e-5; float64: 1e-7, 1e-7; float16: 1e-3, 1e-5; exact for integers and bools), equal
    shapes, and equal dtypes unless `check_dtype=False` (then both are promoted). Tensors,
    arrays, numbers and (nested) sequences and mappings of them; an AssertionError in
    PyTorch's words says where and by how much (`msg` replaces it, or receives it when callable)."""
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    options = {"allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol,
               "equal_nan": equal_nan, "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        _compare(actual, expected, (), options)
    except AssertionError as error:
        if msg is None:
            raise
        raise AssertionError(msg(str(error)) if callable(msg) else msg) from None


def _compare(actual: Any, expected: Any, where: tuple, options: dict) -> None:
    """One pair of assert_close's inputs, or each pair inside matching containers."""
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(where, "The keys of the mappings do not match:\nMissing keys in the actual "
                         f"mapping: {_sorted(set(expected) - set(actual))}\nAdditional keys in "
                         f"the actual mapping: {_sorted(set(actual) - set(expected))}")
        for key in _sorted(expected):
            _compare(actual[key], expected[key], (*where, key), options)
        return
    if all(isinstance(v, Sequence) and not isinstance(v, str) for v in (actual, expected)):
        if len(actual) != len(expected):
            _fail(where, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for index, (mine, theirs) in enumerate(zip(actual, expected)):
            _compare(mine, theirs, (*where, index), options)
        return
    if actual is None or expected is None:
        if actual is not expected:
            _fail(where, f"None mismatch: {actual} is not {expected}")
        return
    if all(isinstance(v, (bool, np.bool_)) for v in (actual, expected)):
        if bool(actual) is not bool(expected):
            _fail(where, f"Booleans mismatch: {bool(actual)} is not {bool(expected)}")
        return
    kinds = (_leaf_kind(actual), _leaf_kind(expected))
    if kinds[0] != kinds[1] or kinds[0] is None or (
            not options["allow_subclasses"] and type(actual) is not type(expected)):
        raise TypeError(f"No comparison pair was able to handle inputs of type "
                        f"{type(actual)} and {type(expected)}.")
    if kinds[0] == "number":
        _compare_numbers(actual, expected, where, options)
        return
    a = np.asarray(actual._data if isinstance(actual, Tensor) else actual)
    e = np.asarray(expected._data if isinstance(expected, Tensor) else expected)
    if a.dtype.kind not in "biufc" or e.dtype.kind not in "biufc":
        raise TypeError(f"assert_close: no comparison for inputs of type "
                        f"{type(actual).__name__} and {type(expected).__name__}")
    for name, mine, theirs in (("shape", a.shape, e.shape), ("dtype", a.dtype, e.dtype)):
        if mine != theirs and (name == "shape" or options["check_dtype"]):
            text = (f"torch.Size({list(mine)}) != torch.Size({list(theirs)})" if name == "shape"
                    else f"torch.{mine} != torch.{theirs}")
            _fail(where, f"The values for attribute '{name}' do not match: {text}.")
    if options["check_stride"] and isinstance(actual, Tensor) and (
            actual.stride() != expected.stride()):
        _fail(where, f"The values for attribute 'stride()' do not match: {actual.stride()} != "
                     f"{expected.stride()}.")
    rtol, atol = options["rtol"], options["atol"]
    if rtol is None:
        pairs = [_DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0)) for dtype in (a.dtype, e.dtype)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    if not (rtol >= 0 and atol >= 0):  # NaN fails too
        raise ValueError(f"assert_close: rtol and atol must be >= 0, got rtol={rtol}, "
                         f"atol={atol}")
    if a.dtype != e.dtype:  # PyTorch's promotion (unsigned wider than 8 bits as int64)
        from tinygrad_np.functions import promote_types  # noqa: PLC0415 (a layer below)
        wide = [np.dtype(np.int64) if d.kind == "u" and d.itemsize > 1 else d
                for d in (a.dtype, e.dtype)]
        common = promote_types(*wide)
        a, e = a.astype(common), e.astype(common)
    matches = _isclose(a, e, rtol, atol, options["equal_nan"])
    if matches.all():
        return
    if a.ndim == 0:
        _fail(where, _scalar_mismatch(a.item(), e.item(), rtol, atol))
    if a.dtype.kind in "biu":  # PyTorch's int64 differences, float32 ratios
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        difference = np.abs(a - e).ravel()
        difference[matches.ravel()] = 0
        relative = difference / np.abs(e).ravel()
        relative = relative.astype(np.float32) if a.dtype.kind in "iu" else relative
        relative[matches.ravel()] = 0
    worst, worst_relative = _argmax(difference), _argmax(relative)
    bad = int(matches.size - matches.sum())
    _fail(where, _mismatch(
        "Tensor-likes", f"Mismatched elements: {bad} / {matches.size} ({bad / matches.size:.1%})",
        difference[worst].item(), tuple(int(i) for i in np.unravel_index(worst, a.shape)), atol,
        relative[worst_relative].item(),
        tuple(int(i) for i in np.unravel_index(worst_relative, a.shape)), rtol))


def _argmax(values: np.ndarray) -> int:
    """torch.max's index: the first NaN, else the first largest."""
    nan = np.flatnonzero(np.isnan(values)) if values.dtype.kind == "f" else ()
    return int(nan[0]) if len(nan) else int(np.argmax(values))


def _sorted(keys: Any) -> list:
    try:
        return sorted(keys)
    except TypeError:
        return list(keys)


def _fail(where: tuple, text: str) -> None:
    """PyTorch's AssertionError, naming the nested item it occurred for."""
    if where:
        text += "\n\nThe failure occurred for item " + "".join(f"[{k!r}]" for k in where)
    raise AssertionError(text)


def _mismatch(what: str, extra: str, difference: Any, index: Any, atol: float, relative: Any,
              relative_index: Any, rtol: float) -> str:
    """PyTorch's _make_mismatch_msg: "equal" (no tolerances shown) when both are 0."""
    equality = rtol == 0 and atol == 0
    lines = [f"{what} are not {'equal' if equality else 'close'}!\n\n{extra}"]
    for kind, value, at, tolerance in (("absolute", difference, index, atol),
                                       ("relative", relative, relative_index, rtol)):
        text = (f"{kind.title()} difference: {value}" if at is None else
                f"Greatest {kind} difference: {value} at index {at}")
        lines.append(text + ("" if equality else f" (up to {tolerance} allowed)"))
    return "\n".join(lines)


def _scalar_mismatch(actual: Any, expected: Any, rtol: float, atol: float) -> str:
    difference = abs(actual - expected)
    relative = float("inf") if expected == 0 else difference / abs(expected)
    return _mismatch("Scalars", f"Expected {expected} but got {actual}.", difference, None, atol,
                     relative, None, rtol)


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


_NUMBER_TOLERANCES = {int: (0.0, 0.0), float: (1e-7, 1e-7), complex: (1e-7, 1e-7)}


def _compare_numbers(actual: Any, expected: Any, where: tuple, options: dict) -> None:
    """PyTorch's NumberPair: NumPy scalars as Python numbers, their types equal when
    `check_dtype` (int is not float), float64's tolerances unless given (exact for ints)."""
    actual, expected = (v.item() if isinstance(v, np.generic) else v for v in (actual, expected))
    if options["check_dtype"] and type(actual) is not type(expected):
        _fail(where, f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    rtol, atol = options["rtol"], options["atol"]
    if rtol is None:
        pairs = [_NUMBER_TOLERANCES.get(type(v), (0.0, 0.0)) for v in (actual, expected)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    if actual == expected or (options["equal_nan"] and cmath.isnan(actual)
                              and cmath.isnan(expected)):
        return
    difference = abs(actual - expected)
    if cmath.isfinite(difference) and difference <= atol + rtol * abs(expected):
        return
    _fail(where, _scalar_mismatch(actual, expected, rtol, atol))


_ALLCLOSE_TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-3), np.dtype(np.float32): (1e-4, 1e-5),
                        np.dtype(np.float64): (1e-5, 1e-8)}


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """PyTorch's deprecated spelling (with its FutureWarning): assert_close without the dtype
    check, NaNs equal, `actual` made a tensor and `expected` one of its dtype (a list or a
    number too), and its own looser default tolerances (float32: rtol 1e-4, atol 1e-5;
    float64: 1e-5, 1e-8; float16: 1e-3, 1e-3)."""
    warnings.warn("testing.assert_allclose is deprecated, as in PyTorch: use "
                  "testing.assert_close", FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = Tensor(actual)
    if not isinstance(expected, Tensor):
        expected = Tensor(np.asarray(expected, dtype=actual.dtype))
    if rtol is None and atol is None:
        pairs = [_ALLCLOSE_TOLERANCES.get(t.dtype, (0.0, 0.0)) for t in (actual, expected)]
        rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


def _low_high(low: float | None, high: float | None, dtype: np.dtype, lowest: float,
              highest: float, default_low: float, default_high: float) -> tuple[Any, Any]:
    """PyTorch's make_tensor bounds: defaults, NaN and order refused, clamped to the dtype's
    range, integers' bounds ceiled (the high one exclusive)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype.kind == "f":
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. Use "
                      "`torch.full(...)` instead.", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but torch.{np.dtype(dtype)} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    return (math.ceil(low), math.ceil(high)) if dtype.kind in "biu" else (low, high)


def make_tensor(*shape: Any, dtype: Any, device: Any = None, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    """`torch.testing.make_tensor`: values drawn uniformly from [low, high) (by default
    [-9, 9) for floats, integers in [-9, 9], from 0 for unsigned dtypes, clamped to the
    dtype's range; bools at random) from the library's generator;
    `exclude_zero` replaces zeros (1 for integers, the dtype's smallest normal for floats);
    `noncontiguous` gives a strided view (a one-element tensor stays contiguous)."""
    from tinygrad_np import rng  # noqa: PLC0415 (testing sits above the engine)
    from tinygrad_np.device import as_device  # noqa: PLC0415
    as_device(device, "make_tensor")
    from tinygrad_np.factories import _shape  # noqa: PLC0415
    shape = _shape("make_tensor", shape, None)  # (PyTorch's errors for -1 or 2.0)
    dtype = np.dtype(dtype)
    if noncontiguous and memory_format is not None:
        raise ValueError(f"The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous} and "
                         f"memory_format={memory_format}")
    if requires_grad and dtype.kind != "f":
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype=torch.{dtype}")
    generator = rng.generator()
    if dtype.kind in "biu":  # PyTorch's randint over [low, high), by default [-9, 10)
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        lowest, top = (0, 2) if info is None else (int(info.min), int(info.max) + (
            dtype != np.int64))
        low, high = _low_high(low, high, dtype, lowest, top, *((0, 2) if info is None else
                                                               (-9, 10)))
        values = generator.integers(low, high, shape, dtype=np.int64 if info is None else dtype)
        values = values.astype(dtype)
    else:
        info = np.finfo(dtype)
        low, high = _low_high(low, high, dtype, float(info.min), float(info.max), -9, 9)
        values = rng.uniform(generator, low, high, shape, dtype).astype(dtype)
    if exclude_zero:
        values[values == 0] = 1 if dtype.kind in "biu" else np.finfo(dtype).tiny
    if noncontiguous and values.size > 1:
        spread = np.repeat(values[..., None], 2, axis=-1).reshape(*shape[:-1], -1)
        values = spread[..., ::2]
    if memory_format is not None:  # torch.channels_last: NHWC in memory, as PyTorch's
        values = Tensor(values).clone(memory_format=memory_format)._data
    return Tensor(values, requires_grad=requires_grad)

