"""Round 20: an OpInfo-style grid over the tensor vocabulary against PyTorch 2.13.

Each op runs over dtypes (float16/32/64, int8/16/32/64, uint8, bool), shapes (0-d, (0,),
(3, 0), (1,), (2, 3), (2, 1, 4)) with broadcasting partners, non-contiguous inputs, Python
and NumPy scalars, and NaN/inf/-0.0 values. Where PyTorch raises we raise the same kind of
error; where it works we give its value (bit for bit for plain IEEE arithmetic), dtype and
shape, and for float inputs its gradients. One test per op walks its cases and reports every
mismatch at once, so the whole file stays fast."""

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]
FLOATS = DTYPES[:3]
_POOLS = {
    "f": [1.5, -2.0, 0.0, -0.0, 3.0, np.nan, np.inf, -np.inf, 0.5, -1.25, 3.0, 2.0],
    "i": [3, -7, 0, 5, 100, -128, 127, 2, -1, 3, 64, 9],
    "u": [3, 250, 0, 5, 100, 128, 255, 2, 1, 3, 64, 9],
    "b": [True, False, True, True, False, False, True, False, True, True, False, True],
}
SHAPES = [(), (0,), (3, 0), (1,), (2, 3), (2, 1, 4)]
PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((2, 3), ()),
         ((0,), (1,)), ((3, 0), (3, 1)), ((1,), (2, 1, 4))]
MIXED = [("int8", "float16"), ("uint8", "int8"), ("bool", "int64"), ("int32", "float32"),
         ("float16", "float64"), ("uint8", "bool"), ("int16", "uint8"), ("int64", "float16")]
SCALARS = [2, -3, 0, 2.5, -0.0, True, np.float32(1.5), np.int64(3), float("nan")]


def values(dtype, shape, shift=0):
    """Deterministic data with ties, zeros of both signs, NaN and infinities (floats),
    negatives and the range's ends (integers: uint8 past 127 to see the wrap)."""
    pool = _POOLS["b" if dtype == "bool" else "f" if dtype in FLOATS else
                  "u" if dtype == "uint8" else "i"]
    count = int(np.prod(shape)) if shape else 1
    flat = [pool[(k + shift) % len(pool)] for k in range(count)]
    return np.array(flat).astype(dtype).reshape(shape)


def _layout(lib, array, layout):
    """A leaf tensor and the view of it the op sees: transposed, stepped, expanded or
    itself."""
    if layout == "T":
        return lib.from_numpy(np.ascontiguousarray(array.swapaxes(-1, -2))), \
            lambda t: t.transpose(-1, -2)
    if layout == "step":
        return lib.from_numpy(np.repeat(array, 2, axis=0)), lambda t: t[::2]
    if layout == "expand":
        return lib.from_numpy(array[:1].copy()), lambda t: t.expand(*array.shape)
    return lib.from_numpy(array.copy()), lambda t: t


def _arrays(result):
    if isinstance(result, (tuple, list)):
        return [a for item in result for a in _arrays(item)]
    return [result]


def _numpy(tensor):
    if isinstance(tensor, torch.Tensor):
        if tensor._is_zerotensor():
            return np.zeros(tuple(tensor.shape), torch.empty(0, dtype=tensor.dtype).numpy().dtype)
        return tensor.detach().resolve_conj().numpy()
    return np.asarray(tensor.detach().numpy())


def _differ(ours, theirs, ulps):
    """None when equal (NaNs equal; the sign of zero counts when ulps == 0), else why not."""
    if ours.shape != theirs.shape:
        return f"shape {ours.shape} vs {theirs.shape}"
    if theirs.dtype.kind in "biu":
        same = np.array_equal(ours, theirs)
        return None if same else f"{ours.ravel()[:6]} vs {theirs.ravel()[:6]}"
    nan = np.isnan(theirs)
    if not np.array_equal(np.isnan(ours), nan):
        return f"NaNs {ours.ravel()[:6]} vs {theirs.ravel()[:6]}"
    a, b = ours[~nan].astype(np.float64), theirs[~nan].astype(np.float64)
    if ulps == 0:
        same = np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b))
    else:
        infinite = np.isinf(a) | np.isinf(b)
        tolerance = {np.float16: 4e-3, np.float32: 2e-5}.get(theirs.dtype.type, 1e-10) * ulps
        scale = max(np.abs(b[~infinite]).max(initial=0.0), 1e-3)
        same = np.array_equal(a[infinite], b[infinite]) and np.allclose(
            a[~infinite], b[~infinite], rtol=tolerance, atol=tolerance * scale)
    return None if same else f"{ours.ravel()[:6]} vs {theirs.ravel()[:6]}"


def compare(fn, inputs, ulps=0, grad=True):
    """Run fn(lib, *tensors) in both libraries; None when they agree, else the mismatch.
    `inputs`: (array, layout) pairs or plain values passed as they are."""
    runs = {}
    for lib in (torch, tg):
        leaves, args = [], []
        try:
            for item in inputs:
                if not isinstance(item, tuple):
                    args.append(item)
                    continue
                array, layout = item
                leaf, view = _layout(lib, array, layout)
                if grad and array.dtype.kind == "f":
                    leaves.append(leaf.requires_grad_(True))
                args.append(view(leaf))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                runs[lib] = (fn(lib, *args), leaves)
        except Exception as error:  # noqa: BLE001 (the error is what is compared)
            runs[lib] = (error, None)
    (theirs, their_leaves), (ours, our_leaves) = runs[torch], runs[tg]
    if isinstance(theirs, Exception):
        if not isinstance(ours, Exception):
            return f"PyTorch raises {type(theirs).__name__} ({theirs}); ours works"
        kind = next(k for k in (TypeError, ValueError, IndexError, RuntimeError, Exception)
                    if isinstance(theirs, k))
        return None if isinstance(ours, kind) else \
            f"PyTorch raises {kind.__name__}, ours {type(ours).__name__}: {ours}"
    if isinstance(ours, Exception):
        return f"ours raises {type(ours).__name__}: {ours}"
    their_list, our_list = _arrays(theirs), _arrays(ours)
    if len(their_list) != len(our_list):
        return f"{len(our_list)} results vs {len(their_list)}"
    for a, b in zip(our_list, their_list):
        if not isinstance(b, torch.Tensor):
            if a != b and not (isinstance(b, float) and np.isnan(a) and np.isnan(b)):
                return f"{a!r} vs {b!r}"
            continue
        if str(a.dtype).replace("torch.", "") != str(b.dtype).replace("torch.", ""):
            return f"dtype {a.dtype} vs {b.dtype}"
        if (why := _differ(_numpy(a), _numpy(b), ulps)) is not None:
            return why
    floats = [t for t in their_list if isinstance(t, torch.Tensor) and t.requires_grad]
    if not (grad and their_leaves and floats):
        return None
    mine = [t for t in our_list if isinstance(t, tg.Tensor) and t.requires_grad]
    weights = [np.asarray((np.arange(t.numel()) % 5 - 2.0) * 0.5 + 0.25).reshape(tuple(t.shape))
               for t in floats]  # (a non-uniform upstream gradient)
    loss = sum((t * torch.from_numpy(w).to(t.dtype)).sum() for t, w in zip(floats, weights))
    try:
        their_grads = torch.autograd.grad(loss, their_leaves, allow_unused=True)
    except RuntimeError:  # (no derivative in PyTorch: `number % t`, `True ** t`; ours has one)
        return None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            loss = sum((t * tg.from_numpy(w).to(t.dtype)).sum() for t, w in zip(mine, weights))
            our_grads = tg.autograd.grad(loss, our_leaves, allow_unused=True)
    except RuntimeError as error:
        return f"our backward raises {error}"
    for a, b in zip(our_grads, their_grads):
        if b is None or a is None:
            if (a is None) != (b is None) and np.any(_numpy(a if b is None else b) != 0):
                return "a gradient is missing"
            continue
        if (why := _differ(_numpy(a), _numpy(b), max(ulps, 2))) is not None:
            return f"gradient {why}"
    return None


# Known differences, each kept out of its grid by the case's name (see the README):
KNOWN = {
    # PyTorch's gcd takes abs(-128) in int8, which wraps: gcd(-128, 5) is -1 there.
    ("gcd", "int8,int8"): "int8 abs wraps", ("lcm", "int8,int8"): "int8 abs wraps",
    # PyTorch's atan2 gradient squares the int8 operand in int8 (wrapping): ours is exact.
    ("atan2", "int8,float16"): "int8 squares wrap in PyTorch's gradient",
    # xlogy(x, nan)'s gradient at x = 0: PyTorch's Scalar overload gives 0, its Tensor one NaN.
    ("xlogy", "nan"): "the two PyTorch overloads disagree",
    # var's gradient beside an infinite value: PyTorch drops the mean's term (mathematically
    # 0), the composition here keeps it (exact second derivatives) and gets NaN.
    ("var", "(2, 1, 4) dim=0"): "found, not fixed",
    # unique of 0.0 and -0.0: which zero PyTorch's sort keeps first.
    ("unique", "(2, 1, 4)expand"): "the sign of a unique zero",
}


def _walk(cases, op=""):
    known = [part for (name, part) in KNOWN if name == op]
    bad = [f"{name}: {why}" for name, fn, inputs, ulps in cases
           if not any(part in name for part in known)
           and (why := compare(fn, inputs, ulps)) is not None]
    assert not bad, f"{len(bad)} of {len(cases)} cases differ:\n" + "\n".join(bad[:12])


# -- elementwise, unary --------------------------------------------------------------------

UNARY_EXACT = ["neg", "abs", "floor", "ceil", "trunc", "round", "sign", "frac", "square",
               "isnan", "isinf", "isfinite", "logical_not", "bitwise_not", "signbit",
               "nan_to_num", "positive", "sgn"]
UNARY_CLOSE = ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "expm1",
               "log1p", "asin", "atanh", "erf", "erfinv", "reciprocal", "lgamma", "sinc"]


@pytest.mark.parametrize("name", UNARY_EXACT + UNARY_CLOSE)
def test_unary_grid(name):
    ulps = 0 if name in UNARY_EXACT else 1
    cases = []
    for dtype in DTYPES:
        for shape in SHAPES:
            for layout in ["c", "T", "step", "expand"] if len(shape) >= 2 else ["c"]:
                cases.append((f"{dtype}{shape}{layout}", lambda lib, a: getattr(lib, name)(a),
                              [(values(dtype, shape), layout)], ulps))
        cases.append((f"{dtype} method", lambda lib, a: getattr(a, name)(),
                      [(values(dtype, (2, 3)), "c")], ulps))
    _walk(cases)


# -- elementwise, binary (dtype pairs, broadcasting, scalars) -------------------------------

BINARY_EXACT = ["add", "sub", "mul", "div", "maximum", "minimum", "fmax", "fmin", "eq", "lt",
                "ge", "remainder", "fmod", "floor_divide", "bitwise_and", "bitwise_xor",
                "logical_and", "logical_or", "logical_xor", "copysign", "heaviside", "gcd",
                "lcm", "bitwise_left_shift", "nextafter"]
BINARY_CLOSE = ["pow", "atan2", "hypot", "logaddexp", "xlogy", "float_power"]


@pytest.mark.parametrize("name", BINARY_EXACT + BINARY_CLOSE)
def test_binary_grid(name):
    """Tensor-tensor over dtype pairs (int8 with float16, uint8 with bool, ...), shapes and
    layouts; a Python or NumPy scalar second (PyTorch's TypeError where it takes a Tensor
    only: logical_and/or/xor, gcd, lcm, maximum, ...)."""
    ulps = 0 if name in BINARY_EXACT else 1
    cases = []
    for first, second in [(d, d) for d in DTYPES] + MIXED:
        for shape_a, shape_b in PAIRS:
            cases.append((f"{first},{second} {shape_a},{shape_b}",
                          lambda lib, a, b: getattr(lib, name)(a, b),
                          [(values(first, shape_a), "c"), (values(second, shape_b, 3), "c")],
                          ulps))
        cases.append((f"{first},{second} T,step", lambda lib, a, b: getattr(a, name)(b),
                      [(values(first, (2, 3)), "T"), (values(second, (2, 3), 5), "step")], ulps))
    for dtype in DTYPES:
        for number in SCALARS:
            cases.append((f"{dtype},{number!r}", lambda lib, a, s=number: getattr(lib, name)(a, s),
                          [(values(dtype, (2, 3)), "c")], ulps))
            cases.append((f"{dtype}.{name}({number!r})",
                          lambda lib, a, s=number: getattr(a, name)(s),
                          [(values(dtype, ()), "c")], ulps))
    _walk(cases, name)


OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "<", "=="]


@pytest.mark.parametrize("operator", OPERATORS)
def test_operators_with_numbers_both_sides(operator):
    """`t op number` and `number op t` for every dtype: PyTorch's result dtype (uint8 wraps,
    bool - number refused, integer // 0 raises), value and sign of zero."""
    cases = []
    for dtype in DTYPES:
        for number in SCALARS:
            cases.append((f"{dtype} {operator} {number!r}",
                          lambda lib, a, s=number: eval(f"a {operator} s"),  # noqa: S307
                          [(values(dtype, (2, 3)), "c")], 1 if operator in "/**" else 0))
            if operator not in ("<", "=="):
                cases.append((f"{number!r} {operator} {dtype}",
                              lambda lib, a, s=number: eval(f"s {operator} a"),  # noqa: S307
                              [(values(dtype, (2, 3)), "c")], 1 if operator in "/**" else 0))
    _walk(cases)


# -- reductions and scans (dims, keepdim, empty, 0-d, dtype=) -------------------------------

REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "any",
              "all", "std", "var", "logsumexp", "norm", "median", "nansum", "count_nonzero",
              "nanmedian", "mode", "aminmax"]
SCANS = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


def _reduction_cases(name):
    cases = []
    for dtype in DTYPES:
        for shape in SHAPES:
            dims = [0, -1, 1] if not shape else [0, -1] + ([1] if len(shape) >= 2 else [])
            for dim in dims:
                if name in SCANS:
                    cases.append((f"{dtype}{shape} dim={dim}",
                                  lambda lib, a, d=dim: getattr(lib, name)(a, d),
                                  [(values(dtype, shape), "c")], 4))
                    continue
                for keep in (False, True):
                    cases.append((f"{dtype}{shape} dim={dim} keepdim={keep}",
                                  lambda lib, a, d=dim, k=keep: getattr(lib, name)(
                                      a, dim=d, keepdim=k),
                                  [(values(dtype, shape), "T" if len(shape) == 2 else "c")], 4))
            if name not in SCANS and name not in ("logsumexp", "aminmax", "mode"):
                cases.append((f"{dtype}{shape} all", lambda lib, a: getattr(lib, name)(a),
                              [(values(dtype, shape), "c")], 4))
    return cases


@pytest.mark.parametrize("name", REDUCTIONS + SCANS)
def test_reduction_grid(name):
    """Empty slices (identity, or PyTorch's IndexError), 0-d with dim 0/-1 and keepdim, bool
    and integer sums (int64), uint8 and float16 accumulation, NaN and inf, ties."""
    _walk(_reduction_cases(name), name)


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "cumprod", "nansum", "mean"])
def test_reduction_dtype_argument(name):
    cases = []
    for dtype in DTYPES:
        for target in ("float64", "int64", "float16", "int32"):
            dims = (-1,) if name.startswith("cum") else ()

            def fn(lib, a, t=target, dims=dims):
                return getattr(lib, name)(a, *dims, dtype=getattr(lib, t))
            cases.append((f"{dtype}->{target}", fn, [(values(dtype, (2, 3)), "c")], 4))
    _walk(cases)


def test_long_accumulations():
    """float16 sums accumulate in float32; uint8/int8/bool sums are int64 (no wrap)."""
    cases = []
    for name in ["sum", "mean", "cumsum", "norm", "var", "nansum"]:
        fn = (lambda lib, a, n=name: getattr(lib, n)(a, 0)) if name == "cumsum" else \
            (lambda lib, a, n=name: getattr(lib, n)(a))
        cases.append((f"float16 {name}", fn, [(np.full(3000, 0.1, np.float16), "c")], 1))
        for dtype, fill in (("uint8", 200), ("int8", 100), ("bool", True)):
            cases.append((f"{dtype} {name}", fn, [(np.full(300, fill, dtype), "c")], 1))
    _walk(cases)


# -- selection, shape and indexing ops -----------------------------------------------------

SHAPE_OPS = {
    "flatten": lambda L, a: L.flatten(a), "squeeze": lambda L, a: L.squeeze(a),
    "unsqueeze": lambda L, a: a.unsqueeze(-1), "flip": lambda L, a: L.flip(a, [-1]),
    "roll": lambda L, a: L.roll(a, 1, -1), "movedim": lambda L, a: L.movedim(a, 0, -1),
    "repeat": lambda L, a: a.repeat(2, *([1] * a.dim())),
    "narrow": lambda L, a: L.narrow(a, -1, 0, 1),
    "tril": lambda L, a: L.tril(a), "split": lambda L, a: L.split(a, 1, -1),
    "chunk": lambda L, a: L.chunk(a, 2, -1), "cat": lambda L, a: L.cat([a, a], -1),
    "stack": lambda L, a: L.stack([a, a], -1), "diff": lambda L, a: L.diff(a),
    "sort": lambda L, a: L.sort(a, stable=True), "argsort": lambda L, a: L.argsort(a, stable=True),
    "topk": lambda L, a: L.topk(a, 1), "kthvalue": lambda L, a: L.kthvalue(a, 1),
    "unique": lambda L, a: L.unique(a, return_inverse=True, return_counts=True),
    "nonzero": lambda L, a: L.nonzero(a),
    "where": lambda L, a: L.where(a > 1, a, 0), "clamp": lambda L, a: L.clamp(a, -1, 2),
    "clamp_min": lambda L, a: L.clamp(a, min=0.5),
    "gather": lambda L, a: L.gather(a, -1, L.zeros(a.shape, dtype=L.int64)) if a.dim() else a,
    "index_select": lambda L, a: L.index_select(a, -1, L.tensor([0, 0])),
    "searchsorted": lambda L, a: L.searchsorted(L.tensor([0, 1, 2, 3]).to(a.dtype), a),
    "bucketize": lambda L, a: L.bucketize(a, L.tensor([0, 1, 2]).to(a.dtype), right=True),
    "isin": lambda L, a: L.isin(a, L.tensor([0, 3]).to(a.dtype)),
    "lerp": lambda L, a: L.lerp(a, a * 2, 0.3), "addcmul": lambda L, a: L.addcmul(a, a, a, value=2),
    "dot": lambda L, a: L.dot(a.flatten(), a.flatten()),
    "vdot": lambda L, a: L.vdot(a.flatten(), a.flatten()),
    "inner": lambda L, a: L.inner(a, a), "matmul": lambda L, a: L.matmul(a, a.transpose(-1, -2)),
    "pow_neg": lambda L, a: a ** -1, "pow_zero": lambda L, a: a ** 0,
    "rpow": lambda L, a: 2 ** a, "softmax": lambda L, a: L.softmax(a, -1),
    "logcumsumexp": lambda L, a: L.logcumsumexp(a, 0), "cov": lambda L, a: L.cov(a),
    "corrcoef": lambda L, a: L.corrcoef(a), "renorm": lambda L, a: L.renorm(a, 2, 0, 1.0),
    "cumprod_last": lambda L, a: L.cumprod(a, -1), "getitem": lambda L, a: a[..., -1],
    "getitem_mask": lambda L, a: a[a > 0] if a.dtype != L.bool else a[a],
    "max_other": lambda L, a: a.max(a.flip(-1)) if a.dim() else a.max(a),
}
_CLOSE = {"softmax": 2, "lerp": 1, "rpow": 1, "matmul": 4, "dot": 4, "vdot": 4, "inner": 4,
          "cov": 10, "corrcoef": 10, "renorm": 4, "logcumsumexp": 4, "pow_neg": 1}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_selection_and_shape_grid(name):
    """Bool tensors in products (PyTorch's dot has no bool kernel, even for empty vectors;
    0-d `inner` is a product), `bool ** -1` refused, logcumsumexp of integers and cov of
    bools refused, gradients of renorm and cumprod at NaN/inf/0."""
    cases = []
    for dtype in DTYPES:
        for shape in SHAPES:
            for layout in ["c", "T", "expand"] if len(shape) >= 2 else ["c"]:
                cases.append((f"{dtype}{shape}{layout}", SHAPE_OPS[name],
                              [(values(dtype, shape), layout)], _CLOSE.get(name, 0)))
    _walk(cases, name)


# -- the classes fixed in this round, pinned one by one ------------------------------------

TENSOR_ONLY = {
    "logical_and": lambda L, a, s: L.logical_and(a, s),
    "logical_or": lambda L, a, s: a.logical_or(s),
    "logical_xor": lambda L, a, s: L.logical_xor(a, s), "gcd": lambda L, a, s: L.gcd(a.long(), s),
    "lcm": lambda L, a, s: a.long().lcm(s), "dot": lambda L, a, s: L.dot(a[0], s),
    "vdot": lambda L, a, s: L.vdot(a[0], s), "inner": lambda L, a, s: a.inner(s),
    "mm": lambda L, a, s: L.mm(a, s), "mv": lambda L, a, s: a.mv(s),
    "bmm": lambda L, a, s: L.bmm(a[None], s),
    "cross": lambda L, a, s: L.cross(a, s, dim=1), "dist": lambda L, a, s: L.dist(a, s),
    "bincount": lambda L, a, s: L.bincount(L.tensor([0, 1]), s),
    "is_same_size": lambda L, a, s: L.is_same_size(a, s),
    "bucketize": lambda L, a, s: L.bucketize(a, s),
    "cartesian_prod": lambda L, a, s: L.cartesian_prod(a[0], s),
}


@pytest.mark.parametrize("number", [2, 1.5, True, np.float32(1.0), np.int64(1)], ids=repr)
@pytest.mark.parametrize("name", TENSOR_ONLY)
def test_tensor_only_operands_refuse_numbers(name, number):
    """PyTorch binds these arguments as Tensor only: a number is its TypeError naming the op
    (here it had been broadcast as data)."""
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError):
        TENSOR_ONLY[name](torch, torch.from_numpy(x), number)
    with pytest.raises(TypeError, match=name):
        TENSOR_ONLY[name](tg, tg.from_numpy(x), number)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_keep_the_first_operand_at_a_signed_zero_tie(name, dtype):
    a = np.array([0.0, -0.0, 0.0, -0.0, np.nan, 1.0], dtype)
    b = np.array([-0.0, 0.0, 0.0, -0.0, -0.0, np.nan], dtype)
    assert compare(lambda L, x, y: getattr(L, name)(x, y), [(a, "c"), (b, "c")]) is None
    ours = getattr(tg, name)(tg.from_numpy(a), tg.from_numpy(b)).numpy()
    np.testing.assert_array_equal(np.signbit(ours), [False, True, False, True, True, False])


@pytest.mark.parametrize("shapes", [((0,), (0,)), ((3,), (3,)), ((3, 0), (0, 2)), ((0, 3), (3,)),
                                    ((), ())])
@pytest.mark.parametrize("op", ["matmul", "dot", "vdot", "inner", "rmatmul"])
def test_bool_products_refused_as_pytorch(op, shapes):
    """PyTorch's 1-D by 1-D product (dot) checks the dtype before the size: empty bool
    vectors are refused; other empty products run no kernel (zeros); 0-d inner multiplies."""
    def run(lib, a, b):
        if op == "rmatmul":
            return a.__rmatmul__(b)
        return getattr(lib, op)(a, b)
    first, second = (np.ones(s, bool) for s in shapes)
    assert compare(run, [(first, "c"), (second, "c")]) is None


@pytest.mark.parametrize("shape", [(0,), (3,), ()])
@pytest.mark.parametrize("exponent", [-1, -2, 0, 2])
def test_bool_to_a_negative_integer_power_is_refused(shape, exponent):
    assert compare(lambda L, a: a ** exponent, [(np.ones(shape, bool), "c")]) is None


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64", "bool", "float16", "float64"])
def test_logcumsumexp_and_cov_dtypes(dtype):
    data = values(dtype, (2, 3))
    for fn in (lambda L, a: L.logcumsumexp(a, 1), lambda L, a: a.logcumsumexp(0),
               lambda L, a: L.cov(a), lambda L, a: L.corrcoef(a)):
        assert compare(fn, [(data, "c")], ulps=8) is None


@pytest.mark.parametrize("dtype", FLOATS)
def test_cumprod_over_a_size_one_dim_passes_the_gradient(dtype):
    data = np.array([[1.5], [np.nan], [np.inf], [-np.inf], [0.0]], dtype)
    for fn in (lambda L, a: L.cumprod(a, 1), lambda L, a: a.cumprod(-1),
               lambda L, a: a.reshape(-1)[:1].cumprod(0)):
        assert compare(fn, [(data, "c")]) is None


RENORM_VALUES = [[[np.nan, 1.0, np.nan], [1.0, 1.0, np.nan]], [[0.0, 0.0, 0.0], [0.0, -0.0, 0.0]],
                 [[3.0, 4.0, 0.0], [0.1, 0.2, 0.0]], [[2.0, 0.0, 0.0], [0.0, 0.0, 2.0]]]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("rows", range(len(RENORM_VALUES)))
def test_renorm_gradient_at_nan_inf_zero_and_boundary_norms(rows, dtype):
    """Slices renorm keeps get g itself (PyTorch), not 0 times their norm's NaN or inf
    gradient; scaled slices the full rule. Function and method forms are one op."""
    data = np.array(RENORM_VALUES[rows], dtype)
    ulps = 4 if dtype == "float16" else 2
    for fn in (lambda L, a: L.renorm(a, 2, 0, 2.0), lambda L, a: a.renorm(1, 1, 1.0),
               lambda L, a: a.renorm(float("inf"), 0, 1.5)):
        assert compare(fn, [(data, "c")], ulps=ulps) is None


def test_tensor_only_operands_still_take_arrays_as_data():
    """Only numbers are refused: a list or NumPy array stays data in the `tg.<op>` forms."""
    assert tg.ones(3).inner([1, 2, 3]).item() == 6
    assert tg.mm(np.ones((2, 3)), np.ones((3, 1))).shape == (2, 1)
    assert tg.logical_and(tg.ones(2), np.array([0.0, 1.0])).tolist() == [False, True]


SHAPE_METHODS = {
    "reshape": lambda t: t.reshape(), "view": lambda t: t.view(), "expand": lambda t: t.expand(),
    "permute": lambda t: t.permute(), "repeat": lambda t: t.repeat(), "tile": lambda t: t.tile(),
    "sum_to_size": lambda t: t.sum_to_size(), "broadcast_to": lambda t: t.broadcast_to(),
}


@pytest.mark.parametrize("shape", [(), (2, 3)])
@pytest.mark.parametrize("name", SHAPE_METHODS)
def test_shape_methods_without_a_shape_are_a_type_error(name, shape):
    """PyTorch's TypeError for a missing shape (a 0-d tensor's `reshape()` had worked, a
    matrix's raised a RuntimeError); an empty tuple is a shape."""
    with pytest.raises(TypeError):
        SHAPE_METHODS[name](torch.ones(shape))
    with pytest.raises(TypeError, match=f"{name}.*missing"):
        SHAPE_METHODS[name](tg.ones(shape))
    if not shape and name != "sum_to_size":
        assert compare(lambda L, a: getattr(a, name)(()), [(np.ones(()), "c")]) is None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2.5, 300])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int64"])
def test_addcmul_of_integers_with_a_non_finite_value(dtype, value):
    data = values(dtype, (2, 3))
    assert compare(lambda L, a: L.addcmul(a, a, a, value=value), [(data, "c")]) is None


FACTORIES = {
    "arange": lambda L, b: L.arange(b), "arange_step": lambda L, b: L.arange(0, 5, b),
    "range": lambda L, b: L.range(0, b), "linspace": lambda L, b: L.linspace(0, b, 3),
    "logspace": lambda L, b: L.logspace(0, b, 3), "full": lambda L, b: L.full((2,), b),
}


@pytest.mark.parametrize("bound", ["0-d tensor", "1-element tensor", "(1, 1) tensor",
                                   "1-element array", "int"])
@pytest.mark.parametrize("name", FACTORIES)
def test_factory_numbers_are_numbers(name, bound):
    """A Number argument takes a 0-d tensor (its value) but not a tensor or array with dims,
    which PyTorch refuses (TypeError; linspace/logspace's RuntimeError for a tensor)."""
    def make(lib):
        return {"0-d tensor": lib.tensor(5), "1-element tensor": lib.tensor([5]),
                "(1, 1) tensor": lib.tensor([[5]]), "1-element array": np.array([5]),
                "int": 5}[bound]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (range's deprecation warning)
        assert compare(lambda L: FACTORIES[name](L, make(L)), []) is None


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
def test_range_needs_both_bounds():
    with pytest.raises(TypeError):
        torch.range(5)
    with pytest.raises(TypeError, match="range.*end"):
        tg.range(5)


@pytest.mark.parametrize("dtypes", [("int64", "int8"), ("float32", "int8"), ("int8", "float32"),
                                    ("int64", "int64"), ("bool", "bool")])
@pytest.mark.parametrize("op", ["addmm", "baddbmm", "addbmm", "addmv", "addr"])
def test_scaled_products_refuse_an_integer_dtype_mix(op, dtypes):
    """As `@`: an integer or bool input beside a product of another dtype is PyTorch's
    RuntimeError (addr promotes, as PyTorch's); two float widths stay promoted here."""
    bias, matrix = (np.ones((2, 2), d) for d in dtypes)
    forms = {"addmm": lambda L, c, a: L.addmm(c, a, a),
             "baddbmm": lambda L, c, a: L.baddbmm(c[None], a[None], a[None]),
             "addbmm": lambda L, c, a: L.addbmm(c, a[None], a[None]),
             "addmv": lambda L, c, a: L.addmv(c[0], a, a[0]),
             "addr": lambda L, c, a: L.addr(c, a[0], a[0])}
    assert compare(forms[op], [(bias, "c"), (matrix, "c")]) is None


@pytest.mark.parametrize("op", ["cat", "stack", "hstack", "vstack", "dstack", "column_stack"])
@pytest.mark.parametrize("target", ["int64", "bool", "float64"])
def test_joins_into_an_out_of_a_narrower_kind(op, target):
    """PyTorch's joins raise a TypeError for an out= their result cannot be cast to (the
    other ops a RuntimeError)."""
    def run(lib, a):
        out = lib.zeros(0, dtype=getattr(lib, target))
        getattr(lib, op)([a, a], out=out)
        return out
    assert compare(run, [(np.ones(2, np.float32), "c")], grad=False) is None


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_of_negative_zeros_is_positive_zero(dtype, dim):
    """PyTorch's running sum starts at +0, so -0.0 sums to 0.0 (bit for bit)."""
    data = np.array([[-0.0, -0.0, 1.0], [-0.0, 2.0, -0.0]], dtype)
    assert compare(lambda L, a: L.cumsum(a, dim), [(data, "c")], ulps=0) is None
    assert compare(lambda L, a: a.cumsum(dim, dtype=L.float64), [(data, "T")], ulps=0) is None


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float16", "float32"),
                                    ("float64", "float32"), ("float32", "float16")])
@pytest.mark.parametrize("name", ["mean", "nanmean", "std", "var", "sum", "cumsum"])
def test_float_reductions_into_an_out_of_another_float_dtype(name, dtypes):
    """Computed in out's dtype, as PyTorch's (mean(float32, out=float64) has float64's
    digits, not float32's cast)."""
    source, target = dtypes
    data = np.array([[0.1, 0.2, 0.7, 1 / 3], [1 / 3, 2 / 3, 1e-3, 0.3]], source)

    def run(lib, a):
        out = lib.zeros(0, dtype=getattr(lib, target))
        getattr(lib, name)(a, -1, out=out)
        return out
    assert compare(run, [(data, "c")], ulps=0.05, grad=False) is None
