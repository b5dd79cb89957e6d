"""Round 18, names and math: elementwise ops at special values (+-0, +-inf, NaN, subnormals,
+-1e38, the exp overflow border, +-1e300) against PyTorch 2.13 and values computed
independently (mpmath where installed, closed forms otherwise), without NumPy warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - PyTorch is optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, -1e-45, 1e38, -1e38, 88.7, -88.7,
           1.0, -1.0, 0.5, 2.0, -3.0, 1e6]
SPECIAL64 = SPECIAL + [1e300, -1e300, 1e-320, -1e-320, 710.0, -710.0, 745.0, -745.5]


def _values(dtype: str) -> np.ndarray:
    with np.errstate(over="ignore"):  # (1e38 and 1e300 in float16: inf)
        return np.array(SPECIAL64 if dtype == "float64" else SPECIAL, dtype=dtype)


def _quiet_call(fn, *args):
    """fn(*args) with every RuntimeWarning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return fn(*args)


# ---- no NumPy warning leaks at special values ------------------------------------------------
UNARY_WARNED = {
    "erfc": lambda x: x.erfc(),
    "special.erfc": tg.special.erfc,
    "special.ndtr": tg.special.ndtr,
    "special.log_ndtr": tg.special.log_ndtr,
    "special.entr": tg.special.entr,
    "round(decimals=2)": lambda x: x.round(decimals=2),
    "round(decimals=40)": lambda x: x.round(decimals=40),
    "round(decimals=-40)": lambda x: x.round(decimals=-40),
    "round(decimals=400)": lambda x: x.round(decimals=400),
    "div_(0)": lambda x: x.detach().clone().div_(0),
    "/= 0": lambda x: x.detach().clone().__itruediv__(0.0),
    "sub_(itself)": lambda x: (lambda y: y.sub_(y))(x.detach().clone()),
    "-= inf": lambda x: x.detach().clone().__isub__(math.inf),
    "prelu(slope 0)": lambda x: F.prelu(x, tg.zeros(1, dtype=x.dtype)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", list(UNARY_WARNED))
def test_no_numpy_warning_at_special_values(name, dtype):
    x = tg.tensor(_values(dtype), requires_grad=dtype != "float16")
    y = _quiet_call(UNARY_WARNED[name], x)
    if y.requires_grad:
        _quiet_call(lambda: tg.autograd.grad(y.sum(), x))


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("decimals", [1, 2, 38, 39, 40, 400, -1, -38, -39, -40, -400])
def test_round_decimals_past_the_dtype_is_pytorchs_inf_and_nan(decimals, dtype):
    values = [1e38, -1e38, 3.4e38, math.inf, 1.5, 0.0, -0.0, 123.456, math.nan, 2.5, -2.5]
    with np.errstate(over="ignore"):
        data = np.array(values, dtype=dtype)
    ours = _quiet_call(lambda: tg.tensor(data).round(decimals=decimals))
    theirs = torch.tensor(data).round(decimals=decimals)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == tg.tensor(data).dtype


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place_division_and_subtraction_match_the_operators(dtype):
    data = _values(dtype)
    x = tg.tensor(data)
    divided, subtracted = x.clone(), x.clone()
    _quiet_call(lambda: divided.div_(0.0))
    _quiet_call(lambda: subtracted.sub_(x))
    np.testing.assert_array_equal(divided.numpy(), (torch.tensor(data) / 0.0).numpy())
    np.testing.assert_array_equal(subtracted.numpy(),
                                  (torch.tensor(data) - torch.tensor(data)).numpy())


# ---- lgamma and digamma at subnormal inputs ------------------------------------------------
@pytest.mark.parametrize("value", [1e-320, -1e-320, 5e-324, -5e-324, 1e-310, -1e-310, 1e-160,
                                   -1e-160])
def test_lgamma_and_digamma_at_subnormals(value):
    """lgamma(x) = -log|x| - euler_gamma x + O(x^2) and digamma(x) = -1/x - euler_gamma + ...
    near 0: the exact values to double precision (pi / sin(pi x) overflowed to inf, and
    cot(pi x) became NaN through NumPy's polyval)."""
    x = tg.tensor([value], dtype=tg.float64, requires_grad=True)
    y = _quiet_call(lambda: x.lgamma())
    assert y.item() == pytest.approx(-math.log(abs(value)), rel=1e-15)
    (slope,) = tg.autograd.grad(y.sum(), x)
    expected = -1.0 / value if abs(1.0 / value) < 1.7e308 else math.copysign(math.inf,
                                                                                -value)
    assert slope.item() == pytest.approx(expected, rel=1e-15)
    assert x.digamma().item() == pytest.approx(expected, rel=1e-15)


@needs_torch
def test_lgamma_digamma_polygamma_agree_with_pytorch_near_zero_and_the_poles():
    values = np.array([-1e-320, 1e-320, -1e-310, -1e-300, -5e-324, 5e-324, -2.5, -0.5, 0.3,
                       -1000.5, -0.0, 0.0, 1e-160, -1e-160, -1e-140])  # (-3: see below)
    x = tg.tensor(values)
    np.testing.assert_allclose(x.lgamma().numpy(), torch.lgamma(torch.tensor(values)).numpy(),
                               rtol=1e-14, atol=1e-13)
    for n in range(4):
        ours = tg.polygamma(n, x).numpy()
        theirs = torch.polygamma(n, torch.tensor(values)).numpy()
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-9)  # (PyTorch's
        # polygamma(1, -2.5) is 5e-11 off mpmath's 9.539246644989124, ours 2e-16)
    # at a negative integer polygamma(n >= 1) is a pole: +-inf here, PyTorch's rounding gives
    # a large finite number (7.3e31 for polygamma(1, -3))
    assert tg.polygamma(1, tg.tensor([-3.0], dtype=tg.float64)).item() == math.inf


# ---- erfcx's derivative for large x --------------------------------------------------------
def _erfcx_slopes(x: float) -> tuple[float, float]:
    """erfcx'(x) and erfcx''(x) from the asymptotic series of erfcx, evaluated in exact
    rational arithmetic at x >= 10 (30 terms: the error is far below double precision)."""
    from fractions import Fraction
    u = Fraction(1) / (Fraction(x) ** 2)
    first = second = Fraction(0)
    double_factorial = 1
    for k in range(1, 30):
        double_factorial *= 2 * k - 1
        coefficient = Fraction((-1) ** k * double_factorial, 2**k)
        first += coefficient * u**k  # erfcx' = 2/sqrt(pi) sum_k a_k x^-2k
        second += coefficient * -2 * k * u**k / Fraction(x)  # its derivative
    scale = 2.0 / math.sqrt(math.pi)
    return float(first) * scale, float(second) * scale


@pytest.mark.parametrize("value", [10.0, 30.0, 1e4, 1e6, 1e20, 1e150])
def test_erfcx_gradient_keeps_its_digits_for_large_x(value):
    """2x erfcx(x) - 2/sqrt(pi) loses every digit by x = 1e8 (at 1e300 its second derivative
    was 4e284); the asymptotic series keeps them."""
    x = tg.tensor([value], dtype=tg.float64, requires_grad=True)
    (slope,) = tg.autograd.grad(tg.special.erfcx(x).sum(), x, create_graph=True)
    (curvature,) = tg.autograd.grad(slope.sum(), x)
    first, second = _erfcx_slopes(value)
    assert slope.item() == pytest.approx(first, rel=1e-13)
    assert curvature.item() == pytest.approx(second, rel=1e-12, abs=1e-300)


def test_erfcx_gradient_at_the_far_edges():
    x = tg.tensor([1e300, math.inf, -30.0, math.nan], dtype=tg.float64, requires_grad=True)
    (slope,) = _quiet_call(lambda: tg.autograd.grad(tg.special.erfcx(x).sum(), x,
                                                    create_graph=True))
    (curvature,) = tg.autograd.grad(slope.sum(), x)
    assert slope.tolist()[:3] == [0.0, 0.0, -math.inf] and math.isnan(slope.tolist()[3])
    assert curvature.tolist()[:3] == [0.0, 0.0, math.inf]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erfcx_gradients_match_pytorch_below_the_series(dtype):
    values = np.array([-3.0, -0.5, 0.0, 0.5, 1.9, 2.0, 2.1, 5.0, 9.99], dtype=dtype)
    x = tg.tensor(values, requires_grad=True)
    (ours,) = tg.autograd.grad(tg.special.erfcx(x).sum(), x, create_graph=True)
    (ours2,) = tg.autograd.grad(ours.sum(), x)
    # (float32 against PyTorch's float64: its float32 erfcx'' is 1e-4 off at x = 5 and 10)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (theirs,) = torch.autograd.grad(torch.special.erfcx(t).sum(), t, create_graph=True)
    (theirs2,) = torch.autograd.grad(theirs.sum(), t)
    tolerance = 2e-6 if dtype == "float32" else 1e-11
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tolerance)
    np.testing.assert_allclose(ours2.numpy(), theirs2.numpy(), rtol=tolerance)


# ---- second derivatives through sigmoid(-x) keep their digits -------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsigmoid_second_derivative_on_both_sides(dtype):
    """d2/dx2 logsigmoid(x) = -sigmoid(x) sigmoid(-x), symmetric in x; it was 0 on the
    negative side (1 - sigmoid(20) rounded to 0 in float32)."""
    values = [20.0, -20.0, 30.0, -30.0, 88.0, -88.0] if dtype == "float32" else [
        40.0, -40.0, 88.7, -88.7, 700.0, -700.0]
    x = tg.tensor(values, dtype=getattr(tg, dtype), requires_grad=True)
    (slope,) = tg.autograd.grad(F.logsigmoid(x).sum(), x, create_graph=True)
    (curvature,) = tg.autograd.grad(slope.sum(), x)
    expected = [-math.exp(-abs(v)) / (1 + math.exp(-abs(v))) ** 2 for v in values]
    np.testing.assert_allclose(curvature.numpy(), expected, rtol=1e-5 if dtype == "float32"
                               else 1e-13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logaddexp_second_derivative_on_both_sides(dtype):
    """d2/da2 logaddexp(a, b) = sigmoid(a - b) sigmoid(b - a) for either sign of a - b."""
    a = tg.tensor([0.0, 0.0, 0.0, 0.0], dtype=getattr(tg, dtype), requires_grad=True)
    differences = [20.0, -20.0, 60.0, -60.0]
    b = tg.tensor(differences, dtype=getattr(tg, dtype), requires_grad=True)
    (grad_a, grad_b) = tg.autograd.grad(tg.logaddexp(a, b).sum(), (a, b), create_graph=True)
    (second_a,) = tg.autograd.grad(grad_a.sum(), a)
    expected = [math.exp(-abs(d)) / (1 + math.exp(-abs(d))) ** 2 for d in differences]
    np.testing.assert_allclose(second_a.numpy(), expected, rtol=1e-5 if dtype == "float32"
                               else 1e-13)
    (second_b,) = tg.autograd.grad(grad_b.sum(), b)
    np.testing.assert_allclose(second_b.numpy(), expected, rtol=1e-5 if dtype == "float32"
                               else 1e-13)


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsigmoid_and_logaddexp_gradients_match_pytorch(dtype):
    values = np.array([-5.0, -1.0, -0.0, 0.0, 0.5, 3.0, 15.0, -15.0], dtype=dtype)
    x = tg.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    for ours_fn, theirs_fn in ((F.logsigmoid, torch.nn.functional.logsigmoid),
                               (lambda v: tg.logaddexp(v, v * 0.5 + 1.0),
                                lambda v: torch.logaddexp(v, v * 0.5 + 1.0))):
        (ours,) = tg.autograd.grad(ours_fn(x).sum(), x, create_graph=True)
        (ours2,) = tg.autograd.grad(ours.sum(), x)
        (theirs,) = torch.autograd.grad(theirs_fn(t).sum(), t, create_graph=True)
        (theirs2,) = torch.autograd.grad(theirs.sum(), t)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours2.numpy(), theirs2.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("value", [-100000.5, -1000.5, -1000.25, -5000.75, -2000.1])
def test_polygamma_far_below_zero_against_mpmath(n, value):
    """Below -1000 polygamma reflects through cot(pi x)'s derivatives; at a half-integer
    cot(pi x) was 6e-17 (pi/2's rounding) instead of 0, which put polygamma(4, -100000.5)
    5e6 times off and polygamma(2, ...) 4e-5 off."""
    mpmath = pytest.importorskip("mpmath")
    expected = float(mpmath.polygamma(n, mpmath.mpf(value)))
    ours = tg.polygamma(n, tg.tensor([value], dtype=tg.float64)).item()
    assert ours == pytest.approx(expected, rel=5e-15)


# ---- PyTorch's keyword names -----------------------------------------------------------------
KEYWORD_CALLS = {
    "Tensor.swapaxes(axis0=, axis1=)": lambda L, x: x.swapaxes(axis0=0, axis1=1),
    "torch.swapaxes(axis0=, axis1=)": lambda L, x: L.swapaxes(x, axis0=1, axis1=0),
    "Tensor.swapaxes(0, 1)": lambda L, x: x.swapaxes(0, -1),
    "Tensor.swapaxes_(axis0=, axis1=)": lambda L, x: x.clone().swapaxes_(axis0=0, axis1=1),
    "Tensor.swapdims_(dim0=, dim1=)": lambda L, x: x.clone().swapdims_(dim0=0, dim1=1),
    "Tensor.hsplit(sections=)": lambda L, x: x.hsplit(sections=3),
    "Tensor.hsplit(indices=)": lambda L, x: x.hsplit(indices=[1]),
    "torch.hsplit(sections=)": lambda L, x: L.hsplit(x, sections=3),
    "Tensor.vsplit(sections=)": lambda L, x: x.vsplit(sections=2),
    "torch.vsplit(indices=)": lambda L, x: L.vsplit(x, indices=(1,)),
    "Tensor.dsplit(sections=)": lambda L, x: x[None].dsplit(sections=3),
    "torch.dsplit(indices=)": lambda L, x: L.dsplit(x[None], indices=[2]),
    "Tensor.heaviside_(values=)": lambda L, x: (x - 2).heaviside_(values=L.tensor(0.5)),
    "Tensor.eq_(other=)": lambda L, x: x.clone().eq_(other=2.0),
    "Tensor.resize_as_(the_template=)": lambda L, x: x.clone().resize_as_(
        the_template=L.zeros(3, 2)),
    "F.one_hot(input=)": lambda L, x: L.nn.functional.one_hot(input=L.tensor([0, 2]),
                                                              num_classes=3),
}


@needs_torch
@pytest.mark.parametrize("name", list(KEYWORD_CALLS))
def test_pytorchs_keyword_names_are_accepted(name):
    data = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    theirs = KEYWORD_CALLS[name](torch, torch.tensor(data))
    ours = KEYWORD_CALLS[name](tg, tg.tensor(data))
    for mine, reference in zip(ours if isinstance(ours, tuple) else (ours,),
                               theirs if isinstance(theirs, tuple) else (theirs,)):
        assert tuple(mine.shape) == tuple(reference.shape)
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


def test_numpys_swapaxes_names_and_split_spec_given_once():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.swapaxes(axis1=0, axis2=1).shape == (3, 2)  # NumPy's spelling still works
    with pytest.raises(TypeError, match="hsplit"):
        x.hsplit(3, sections=3)
    with pytest.raises(TypeError, match="vsplit"):
        tg.vsplit(x)
    with pytest.raises(TypeError, match="one_hot"):
        F.one_hot(tg.tensor([0]), tensor=tg.tensor([1]))
    assert F.one_hot(tensor=tg.tensor([1]), num_classes=2).tolist() == [[0, 1]]


def test_out_of_memory_error_names_for_except_clauses():
    """`except torch.cuda.OutOfMemoryError:` is common in training scripts."""
    from tinygrad_np.cuda import OutOfMemoryError
    assert tg.OutOfMemoryError is tg.cuda.OutOfMemoryError is OutOfMemoryError
    assert issubclass(tg.OutOfMemoryError, RuntimeError)
    assert issubclass(tg.AcceleratorError, RuntimeError)
    if torch is not None:
        assert torch.OutOfMemoryError is torch.cuda.OutOfMemoryError
        assert issubclass(torch.OutOfMemoryError, RuntimeError)


def test_missing_dims_take_numpys_defaults_as_the_readme_says():
    """README "Keywords, dims and sizes": where PyTorch raises a TypeError for a missing dim."""
    data = np.arange(6.0).reshape(2, 3)
    x = tg.tensor(data)
    np.testing.assert_array_equal(tg.transpose(x).numpy(), data.T)
    with pytest.raises(TypeError, match="dims"):  # it was a silent no-op
        x.flip()
    with pytest.raises(TypeError, match="dims"):
        tg.flip(x)
    np.testing.assert_array_equal(x.flip(dims=[]).numpy(), data)
    with pytest.raises(TypeError, match="dims"):
        x.tile()
    np.testing.assert_array_equal(x.tile(()).numpy(), data)
    np.testing.assert_array_equal(tg.tile(x, dims=[]).numpy(), data)
    assert x.logsumexp().item() == pytest.approx(np.log(np.exp(data).sum()))
    with pytest.warns(UserWarning, match="Implicit dimension"):  # (as F.softmax's)
        chosen = tg.special.softmax(x)
    np.testing.assert_allclose(chosen.numpy(), np.exp(data) / np.exp(data).sum(1, keepdims=True))
    if torch is not None:
        for name in ("transpose", "flip", "tile", "logsumexp", "softmax", "log_softmax"):
            with pytest.raises(TypeError):
                getattr(torch.tensor(data), name)()
