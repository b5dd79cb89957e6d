"""Round 16 (j3): differences a differential probe found against PyTorch 2.13 — true
division by out-of-range integers, float16 and bool internals of float ops, addcmul's
promotion, zero-channel instance_norm, out= on more functions, and PyTorch's refusals."""
import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _both(fn):
    """fn(tg) and fn(torch) as NumPy arrays (torch only when installed)."""
    mine = fn(tg)
    theirs = fn(torch) if torch is not None else None
    return mine, theirs


def _same(mine, theirs, exact: bool = True):
    assert str(mine.dtype).replace("torch.", "") == str(theirs.dtype).replace("torch.", "")
    if exact:
        np.testing.assert_array_equal(mine.detach().numpy(), theirs.detach().numpy())
    else:
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


# ------------------------------------------------------------------ 1. true division
@pytest.mark.parametrize("dtype", ["uint8", "int8"])
@pytest.mark.parametrize("divisor", [-3, 256, 300, 1000, -300])
def test_true_division_by_an_out_of_range_int_does_not_wrap_it(dtype, divisor):
    values = [10, 20, 7]
    expected = np.array(values, np.float32) / np.float32(divisor)  # fixed: no wrap of divisor
    for form in (lambda L, x: L.div(x, divisor), lambda L, x: x.div(divisor),
                 lambda L, x: L.true_divide(x, divisor), lambda L, x: L.divide(x, divisor),
                 lambda L, x: L.div(x, L.tensor(divisor)), lambda L, x: x / divisor):
        result = form(tg, tg.tensor(values, dtype=getattr(tg, dtype)))
        assert result.dtype == tg.float32
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)
        if torch is not None:
            _same(result, form(torch, torch.tensor(values, dtype=getattr(torch, dtype))))


@needs_torch
@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounded_division_and_remainders_by_out_of_range_ints_match_pytorch(mode):
    forms = (lambda L, x, d: L.div(x, d, rounding_mode=mode),
             lambda L, x, d: L.floor_divide(x, d), lambda L, x, d: L.remainder(x, d),
             lambda L, x, d: L.fmod(x, d))
    for dtype in ("uint8", "int8"):
        for divisor in (-3, 300, 1000):
            for fn in forms:
                mine, theirs = (fn(L, L.tensor([10, 20, 7], dtype=getattr(L, dtype)), divisor)
                                for L in (tg, torch))
                _same(mine, theirs)


# ------------------------------------------------------ 3-5. float ops of bools, float16
def test_atan2_and_xlogy_of_bools_are_float32_precise():
    b = [True, False, True]
    assert tg.atan2(tg.tensor(b), tg.tensor(b)).tolist() == pytest.approx(
        [np.pi / 4, 0.0, np.pi / 4], rel=1e-7)
    np.testing.assert_allclose(tg.xlogy(tg.tensor(b), 2).numpy(),
                               np.float32([np.log(2), 0, np.log(2)]), rtol=1e-7)
    np.testing.assert_allclose(tg.special.xlog1py(tg.tensor(b), tg.tensor(b)).numpy(),
                               np.float32([np.log(2), 0, np.log(2)]), rtol=1e-7)


@needs_torch
@pytest.mark.parametrize("name", ["atan2", "xlogy", "special.xlog1py", "logaddexp",
                                  "logaddexp2", "hypot", "ldexp", "copysign", "nextafter"])
@pytest.mark.parametrize("pair", [("bool", "bool"), ("bool", "int8"), ("uint8", "int8"),
                                  ("bool", "float32"), ("int8", "float64")])
def test_binary_float_ops_of_small_ints_match_pytorch(name, pair):
    values = {"bool": [True, False, True], "uint8": [1, 2, 7], "int8": [1, -2, 3],
              "float32": [0.3, -1.7, 2.5], "float64": [0.3, -1.7, 2.5]}

    def run(L):
        fn = L.special.xlog1py if name == "special.xlog1py" else getattr(L, name)
        return fn(*(L.tensor(values[d], dtype=getattr(L, d)) for d in pair))
    try:
        theirs = run(torch)
    except (RuntimeError, NotImplementedError) as error:
        with pytest.raises(type(error)):
            run(tg)
        return
    _same(run(tg), theirs, exact=False)


def test_logaddexp2_of_float16_is_rounded_once():
    a = np.array([0.3, 1.7, 2.5], np.float16)
    exact = np.logaddexp2(a.astype(np.float64), 1.0).astype(np.float16)  # fixed reference
    result = tg.logaddexp2(tg.from_numpy(a), tg.tensor(1.0, dtype=tg.float16))
    assert result.dtype == tg.float16
    np.testing.assert_array_equal(result.numpy(), exact)


@needs_torch
def test_logaddexp2_of_float16_matches_pytorch():
    rng = np.random.default_rng(0)
    a, b = ((rng.standard_normal(500) * 3).astype(np.float16) for _ in range(2))
    mine = tg.logaddexp2(tg.from_numpy(a), tg.from_numpy(b)).numpy()
    theirs = torch.logaddexp2(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    assert mine.dtype == theirs.dtype == np.float16
    assert (mine != theirs).mean() < 0.01  # (rounded in float16 twice: ~40 % differed)
    np.testing.assert_allclose(mine, theirs, rtol=1e-3)


def test_xlogy_with_a_number_first_is_a_weak_scalar():
    assert tg.xlogy(0.5, tg.tensor(2.0, dtype=tg.float16)).dtype == tg.float16
    assert tg.special.xlogy(0.5, tg.tensor(2.0, dtype=tg.float16)).dtype == tg.float16
    assert tg.special.xlog1py(0.5, tg.tensor([2.0], dtype=tg.float16)).dtype == tg.float16
    assert tg.xlogy(2, tg.tensor([2, 3], dtype=tg.int8)).dtype == tg.float32
    np.testing.assert_allclose(tg.xlogy(300, tg.tensor([2], dtype=tg.int8)).numpy(),
                               [300 * np.log(2)], rtol=1e-6)  # 300 not wrapped to int8


@needs_torch
def test_xlogy_with_a_number_first_matches_pytorch():
    forms = (lambda L, n, t: L.xlogy(n, t), lambda L, n, t: L.special.xlogy(n, t),
             lambda L, n, t: L.special.xlog1py(n, t))
    for number in (0.5, 2, True, 300):
        for dtype in ("float16", "float64", "int8", "bool"):
            for fn in forms:
                mine, theirs = (fn(L, number, L.tensor([1, 1], dtype=getattr(L, dtype)))
                                for L in (tg, torch))
                _same(mine, theirs, exact=False)


def test_logaddexp_takes_a_bool_beside_a_float():
    np.testing.assert_allclose(tg.logaddexp(tg.tensor([True]), tg.tensor([1.0])).numpy(),
                               [np.logaddexp(1.0, 1.0)], rtol=1e-6)
    half = tg.logaddexp(tg.tensor([True, False]), tg.tensor([1.0, 2.0], dtype=tg.float16))
    assert half.dtype == tg.float16
    with pytest.raises(NotImplementedError):
        tg.logaddexp(tg.tensor([1, 2]), tg.tensor([1, 2]))
    with pytest.raises(NotImplementedError):
        tg.logaddexp(tg.tensor([True]), tg.tensor([False]))


# ------------------------------------------------------------------ 2. addcmul/addcdiv
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_and_addcdiv_compute_in_the_result_dtype(name):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(4)
    b, c = (rng.standard_normal(4).astype(np.float16) for _ in range(2))
    wide_b, wide_c = b.astype(np.float64), c.astype(np.float64)
    exact = a + 0.5 * (wide_b * wide_c if name == "addcmul" else wide_b / wide_c)
    result = getattr(tg, name)(tg.from_numpy(a), tg.from_numpy(b), tg.from_numpy(c), value=0.5)
    assert result.dtype == tg.float64
    np.testing.assert_allclose(result.numpy(), exact, rtol=1e-15)


@needs_torch
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_mixed_floats_values_and_gradients_match_pytorch(name):
    def run(L):
        s = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        a = L.tensor([0.3, -1.1], dtype=L.float32, requires_grad=True)
        b = L.tensor([0.7, 1.9], dtype=L.float64, requires_grad=True)
        result = getattr(L, name)(s, a, b, value=0.25)
        result.sum().backward()
        return result, s.grad, a.grad, b.grad
    for mine, theirs in zip(run(tg), run(torch)):
        _same(mine, theirs, exact=False)


# -------------------------------------------------------- 6. zero-channel instance_norm
def test_instance_norm_of_zero_channels_is_empty():
    x = tg.zeros(2, 0, 4, requires_grad=True)
    result = tg.nn.functional.instance_norm(x)
    assert result.shape == (2, 0, 4)
    result.sum().backward()
    assert x.grad.shape == (2, 0, 4)
    assert tg.nn.InstanceNorm1d(0)(tg.zeros(2, 0, 4)).shape == (2, 0, 4)
    stats = tg.nn.InstanceNorm2d(0, track_running_stats=True)
    assert stats(tg.zeros(2, 0, 4, 3)).shape == (2, 0, 4, 3)
    with pytest.raises(ValueError, match="spatial"):  # one spatial element: still refused
        tg.nn.functional.instance_norm(tg.zeros(2, 0, 1))


@needs_torch
def test_instance_norm_of_zero_channels_matches_pytorch():
    for L in (tg, torch):
        x = L.zeros(2, 0, 4, 3)
        assert tuple(L.nn.functional.instance_norm(x).shape) == (2, 0, 4, 3)
        stats = (L.zeros(0), L.ones(0))
        assert tuple(L.nn.functional.instance_norm(x, *stats).shape) == (2, 0, 4, 3)


# ------------------------------------------------------------------------- 7. out=
def test_out_on_gcd_lcm_polygamma_matrix_power():
    ints = tg.tensor([4, 6])
    out = tg.empty(2, dtype=tg.int32)
    assert tg.gcd(ints, tg.tensor([6, 9]), out=out) is out and out.tolist() == [2, 3]
    assert tg.lcm(ints, tg.tensor([6, 9]), out=out) is out and out.tolist() == [12, 18]
    half = tg.empty(2, dtype=tg.float16)
    assert tg.polygamma(1, tg.tensor([1.0, 2.0]), out=half) is half
    np.testing.assert_allclose(half.numpy(), [np.pi ** 2 / 6, np.pi ** 2 / 6 - 1], rtol=1e-3)
    square = tg.empty(0)
    assert tg.matrix_power(tg.eye(2) * 2, 3, out=square) is square  # (empty: resized quietly)
    assert square.tolist() == [[8.0, 0.0], [0.0, 8.0]]
    with pytest.raises(RuntimeError, match="dtype"):  # exactly the result's dtype
        tg.matrix_power(tg.eye(2), 2, out=tg.empty(2, 2, dtype=tg.float64))


def test_out_on_tuple_results():
    x = tg.tensor([1.0, 3.0, 2.0])
    values, indices = tg.empty(3), tg.empty(3, dtype=tg.int64)
    result = tg.cummax(x, 0, out=(values, indices))
    assert result.values is values and result.indices is indices
    assert values.tolist() == [1.0, 3.0, 3.0] and indices.tolist() == [0, 1, 1]
    tg.cummin(x, 0, out=(values, indices))
    assert values.tolist() == [1.0, 1.0, 1.0] and indices.tolist() == [0, 0, 0]
    low, high = tg.empty(()), tg.empty(())
    assert tg.aminmax(x, out=(low, high)).max is high and (low.item(), high.item()) == (1, 3)
    mantissa, exponent = tg.empty(3), tg.empty(3, dtype=tg.int32)
    tg.frexp(x, out=(mantissa, exponent))
    assert mantissa.tolist() == [0.5, 0.75, 0.5] and exponent.tolist() == [1, 2, 2]
    with pytest.raises(RuntimeError, match="int32"):
        tg.frexp(x, out=(tg.empty(3), tg.empty(3, dtype=tg.int64)))


# --------------------------------------------------- 10. numbers where PyTorch wants tensors
_TENSOR_ONLY = ["maximum", "minimum", "fmax", "fmin", "atan2", "hypot", "logaddexp",
                "logaddexp2", "ldexp", "nextafter", "heaviside", "igamma", "igammac"]


@pytest.mark.parametrize("name", _TENSOR_ONLY)
@pytest.mark.parametrize("number", [0.5, 2, True])
def test_a_python_number_is_refused_where_pytorch_wants_a_tensor(name, number):
    t = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="Tensor"):
        getattr(tg, name)(t, number)
    with pytest.raises(TypeError, match="Tensor"):
        getattr(tg, name)(number, t)
    if hasattr(tg.Tensor, name):
        with pytest.raises(TypeError, match="Tensor"):
            getattr(t, name)(number)
    assert getattr(tg, name)(t, tg.tensor(float(number))).shape == (2,)  # a 0-d tensor: fine


@needs_torch
@pytest.mark.parametrize("name", _TENSOR_ONLY + ["fmod", "copysign"])
def test_the_refusals_are_pytorchs(name):
    t = torch.tensor([1.0, 2.0])
    with pytest.raises(TypeError):
        getattr(torch, name)(0.5, t)
    if name not in ("fmod", "copysign"):
        with pytest.raises(TypeError):
            getattr(torch, name)(t, 0.5)


def test_fmod_and_copysign_refuse_a_number_first_but_take_one_second():
    t = tg.tensor([1.5, -2.0])
    for name in ("fmod", "copysign"):
        with pytest.raises(TypeError, match="Tensor"):
            getattr(tg, name)(0.5, t)
    assert tg.fmod(t, 1.0).tolist() == [0.5, -0.0]
    assert tg.copysign(t, -1.0).tolist() == [-1.5, -2.0]


@pytest.mark.parametrize("name", ["hypot", "igamma", "igammac", "nextafter"])
def test_float_only_ops_of_two_integer_tensors_are_refused(name):
    ints = tg.tensor([1, 2])
    with pytest.raises(NotImplementedError, match=name):
        getattr(tg, name)(ints, ints)
    assert getattr(tg, name)(ints, ints.float()).dtype == tg.float32
    if torch is not None:
        with pytest.raises(NotImplementedError):
            getattr(torch, name)(torch.tensor([1, 2]), torch.tensor([1, 2]))


def test_isclose_and_lerp_refuse_a_dtype_mix():
    f32, f64 = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.0], dtype=tg.float64)
    for call in (lambda: tg.isclose(f32, f64), lambda: tg.allclose(f32, f64),
                 lambda: tg.lerp(f32, f64, 0.5), lambda: tg.lerp(f32, f32, f64),
                 lambda: tg.lerp(f32.half(), f32, 0.5)):
        with pytest.raises(RuntimeError, match="float"):
            call()
    assert tg.lerp(f32, f32 * 3, tg.tensor(0.5, dtype=tg.float64)).tolist() == [2.0, 4.0]
    assert tg.isclose(f32, f32).tolist() == [True, True]


@needs_torch
def test_isclose_and_lerp_dtype_mix_refusals_are_pytorchs():
    f32, f64 = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64)
    for call in (lambda: torch.isclose(f32, f64), lambda: torch.allclose(f32, f64),
                 lambda: torch.lerp(f32, f64, 0.5), lambda: torch.lerp(f32, f32, f64),
                 lambda: torch.lerp(f32.half(), f32, 0.5)):
        with pytest.raises(RuntimeError):
            call()
    assert torch.lerp(f32, f32 * 3, torch.tensor(0.5, dtype=torch.float64)).tolist() == [2, 4]


# ------------------------------------------------------- 9-10. bool and integer refusals
_BOOLS = [True, False, True]
_BOOL_REFUSED = {  # PyTorch 2.13: NotImplementedError ("... not implemented for 'Bool'")
    "floor": lambda L: L.floor(L.tensor(_BOOLS)),
    "ceil": lambda L: L.ceil(L.tensor(_BOOLS)),
    "round": lambda L: L.round(L.tensor(_BOOLS)),
    "trunc": lambda L: L.trunc(L.tensor(_BOOLS)),
    "fix": lambda L: L.fix(L.tensor(_BOOLS)),
    "trace": lambda L: L.trace(L.tensor([[True, False], [True, True]])),
    "median": lambda L: L.median(L.tensor(_BOOLS)),
    "median dim": lambda L: L.median(L.tensor(_BOOLS), 0),
    "nanmedian": lambda L: L.nanmedian(L.tensor(_BOOLS)),
    "kthvalue": lambda L: L.kthvalue(L.tensor(_BOOLS), 1),
    "searchsorted": lambda L: L.searchsorted(L.tensor(_BOOLS), L.tensor(_BOOLS)),
    "matmul": lambda L: L.matmul(L.tensor([[True]]), L.tensor([[True]])),
    "@": lambda L: L.tensor([[True]]) @ L.tensor([[True]]),
    "mm": lambda L: L.mm(L.tensor([[True]]), L.tensor([[True]])),
    "mv": lambda L: L.mv(L.tensor([[True]]), L.tensor([True])),
    "dot": lambda L: L.dot(L.tensor(_BOOLS), L.tensor(_BOOLS)),
    "bmm": lambda L: L.bmm(L.tensor([[[True]]]), L.tensor([[[True]]])),
    "inner": lambda L: L.inner(L.tensor(_BOOLS), L.tensor(_BOOLS)),
    "addmm": lambda L: L.addmm(L.tensor([[True]]), L.tensor([[True]]), L.tensor([[True]])),
    "addcmul": lambda L: L.addcmul(*(L.tensor(_BOOLS) for _ in range(3))),
    "round decimals": lambda L: L.round(L.tensor([1, 2]), decimals=1),
    "round decimals=0": lambda L: L.round(L.tensor([1, 2]), decimals=0),
    "frac int": lambda L: L.frac(L.tensor([1, 2])),
    "histc int": lambda L: L.histc(L.tensor([1, 2])),
}
_BOOL_RUNTIME = {  # PyTorch 2.13: a plain RuntimeError
    "topk": lambda L: L.topk(L.tensor(_BOOLS), 1),
    "argmax": lambda L: L.argmax(L.tensor(_BOOLS)),
    "argmin": lambda L: L.argmin(L.tensor(_BOOLS), 0),
}


@pytest.mark.parametrize("name", sorted(_BOOL_REFUSED))
def test_ops_without_a_bool_or_integer_kernel_refuse_as_pytorch(name):
    with pytest.raises(NotImplementedError):
        _BOOL_REFUSED[name](tg)
    if torch is not None:
        with pytest.raises(NotImplementedError):
            _BOOL_REFUSED[name](torch)


@pytest.mark.parametrize("name", sorted(_BOOL_RUNTIME))
def test_topk_and_argmax_of_bools_raise_runtime_error(name):
    with pytest.raises(RuntimeError, match="bool"):
        _BOOL_RUNTIME[name](tg)
    if torch is not None:
        with pytest.raises(RuntimeError):
            _BOOL_RUNTIME[name](torch)


def test_integer_rounding_without_decimals_still_works():
    ints = tg.tensor([1, -2, 3])
    for result in (ints.round(), tg.round(ints), ints.clone().round_(), ints.floor(),
                   ints.ceil(), ints.trunc()):
        assert result.dtype == tg.int64 and result.tolist() == [1, -2, 3]
    assert tg.tensor([1.25, 2.5]).round(decimals=1).tolist() == pytest.approx([1.2, 2.5])
    assert tg.tensor([2.5]).round_().tolist() == [2.0]
    assert tg.frac(tg.tensor([1.5, -2.25])).tolist() == [0.5, -0.25]
    assert tg.tensor([True, False]).sort()[0].tolist() == [False, True]  # sort takes bools
    assert tg.max(tg.tensor(_BOOLS)).item() is True


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_integer_tensor_is_empty(name):
    empty = tg.tensor([], dtype=tg.int64)
    for result in (getattr(tg, name)(empty, 0), getattr(tg.nn.functional, name)(empty, 0)):
        assert result.shape == (0,) and result.dtype == tg.int64
    with pytest.raises(NotImplementedError):  # a nonempty one is still refused
        getattr(tg, name)(tg.tensor([1, 2]), 0)
    with pytest.raises(IndexError):
        getattr(tg, name)(empty, 3)
    x = tg.zeros(0, 3, requires_grad=True)
    getattr(tg, name)(x, 1).sum().backward()
    assert x.grad.shape == (0, 3)
    if torch is not None:
        theirs = getattr(torch, name)(torch.tensor([], dtype=torch.int64), 0)
        assert theirs.dtype == torch.int64 and tuple(theirs.shape) == (0,)


_NO_OUT_CALLS = {
    "relu": lambda L, o: L.relu(L.ones(2), out=o),
    "clone": lambda L, o: L.clone(L.ones(2), out=o),
    "t": lambda L, o: L.t(L.ones(2, 2), out=o),
    "flatten": lambda L, o: L.flatten(L.ones(2, 1), out=o),
    "isnan": lambda L, o: L.isnan(L.ones(2), out=o),
    "trace": lambda L, o: L.trace(L.ones(2, 2), out=o),
    "diagonal": lambda L, o: L.diagonal(L.ones(2, 2), out=o),
    "argwhere": lambda L, o: L.argwhere(L.ones(2), out=o),
    "bincount": lambda L, o: L.bincount(L.tensor([1]), out=o),
}


@pytest.mark.parametrize("name", sorted(_NO_OUT_CALLS))
def test_out_is_refused_where_pytorch_has_none(name):
    with pytest.raises(TypeError, match="out"):
        _NO_OUT_CALLS[name](tg, tg.empty(2))
    if torch is not None:
        with pytest.raises(TypeError):
            _NO_OUT_CALLS[name](torch, torch.empty(2))


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_and_all_write_only_into_bool_or_uint8(name):
    x = tg.tensor([1.0, 0.0])
    for dtype in (tg.float32, tg.int64):
        with pytest.raises(RuntimeError, match="bool"):
            getattr(tg, name)(x, out=tg.empty((), dtype=dtype))
        with pytest.raises(RuntimeError, match="bool"):
            getattr(tg, name)(x, 0, out=tg.empty((), dtype=dtype))
    for dtype in (tg.bool, tg.uint8):
        out = tg.empty((), dtype=dtype)
        assert getattr(tg, name)(x, out=out) is out and out.item() == (name == "any")
    if torch is not None:
        with pytest.raises(RuntimeError):
            getattr(torch, name)(torch.tensor([1.0]), out=torch.empty(()))


def test_empty_bool_operands_need_no_kernel_as_pytorch():
    empty, rows = tg.ones(0, dtype=tg.bool), tg.ones(0, 2, dtype=tg.bool)
    assert tg.median(empty).item() is True and tg.nanmedian(empty).item() is True
    assert (rows @ rows.T).shape == (0, 0) and (rows.T @ rows).tolist() == [[False] * 2] * 2
    assert tg.inner(rows, rows).shape == (0, 0)
    assert tg.searchsorted(empty, empty).shape == (0,)
    with pytest.raises(NotImplementedError):
        tg.median(rows, 1)
    with pytest.raises(NotImplementedError):
        tg.floor(empty)
    if torch is not None:
        t_empty, t_rows = torch.ones(0, dtype=torch.bool), torch.ones(0, 2, dtype=torch.bool)
        assert torch.median(t_empty).item() is True
        assert (t_rows.T @ t_rows).tolist() == [[False] * 2] * 2
        assert tuple(torch.searchsorted(t_empty, t_empty).shape) == (0,)
        with pytest.raises(NotImplementedError):
            torch.median(t_rows, 1)
