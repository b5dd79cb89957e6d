"""The elementwise math and activation vocabulary from one table, plus what a table can't say.

Each row: forward against a NumPy reference written here, backward against float64 central
differences, both against PyTorch, float32 stays float32, and second derivatives
(create_graph=True) against PyTorch for the ops with a gradient rule of their own. Domains
keep away from kinks, jumps and poles; the values exactly at the kinks are compared with
PyTorch separately.
"""

from __future__ import annotations

import math
import warnings

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given
from test_ops import (
    Op,
    anywhere,
    away_from_zero,
    broadcast_pair,
    check_backward,
    check_float32,
    check_forward,
    check_pytorch,
    plain,
    positive,
    softmax_input,
    unary,
)

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# ----------------------------------------------------------------------------- domains


def interval(lo, hi):
    def domain(rng, shape):
        return rng.uniform(lo, hi, shape)

    return domain


def avoiding(lo, hi, *points, gap=0.1):
    """Uniform in [lo, hi], but never within `gap` of a kink at one of `points`."""

    def domain(rng, shape):
        values = rng.uniform(lo, hi, shape)
        for point in points:
            close = np.abs(values - point) < gap
            values = np.where(close, point + 2 * gap * np.sign(values - point + 1e-9), values)
        return values

    return domain


def away_from_integers(rng, shape):
    """k + 1/4 or k + 3/4 (+-0.15): never near an integer or a half (floor, round, ...)."""
    return (rng.integers(-3, 3, shape) + rng.choice([0.25, 0.75], shape)
            + rng.uniform(-0.15, 0.15, shape))


def tenths_away_from_jumps(rng, shape):
    return away_from_integers(rng, shape) / 10


@st.composite
def quotient_pair(draw):
    """(a, b) with b away from 0 and a / b away from integers (fmod, remainder jump there);
    b broadcasts against a."""
    result = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    b = away_from_zero(rng, result.input_shapes[1]) * 1.5
    quotient = away_from_integers(rng, result.result_shape)
    return [quotient * np.broadcast_to(b, result.result_shape), b], {}


@st.composite
def broadcast_triple(draw):
    result = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                    max_side=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    start, end, weight = result.input_shapes
    return [anywhere(rng, start), anywhere(rng, end), rng.uniform(-0.5, 1.5, weight)], {}


def torch_f(name, **options):
    """torch.nn.functional.<name>(x, **options), importing torch only when called."""

    def call(*tensors, **kwargs):
        import torch.nn.functional as torch_functional

        return getattr(torch_functional, name)(*tensors, **options, **kwargs)

    return call


# ----------------------------------------------------------------------------- references
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _softmax(x, axis):
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    return scale * np.where(x > 0, x, alpha * (np.exp(x * input_scale) - 1))


# ----------------------------------------------------------------------------- the table
ACTIVATIONS = [
    Op("gelu", lambda x: F.gelu(x), lambda x: x * 0.5 * (1 + _erf(x / math.sqrt(2))),
       plain(unary(interval(-4, 4))), torch_f("gelu")),
    Op("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh,
       plain(unary(interval(-4, 4))), torch_f("gelu", approximate="tanh")),
    Op("silu", lambda x: F.silu(x), lambda x: x / (1 + np.exp(-x)), plain(unary()),
       torch_f("silu")),
    Op("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
       plain(unary(away_from_zero)), torch_f("leaky_relu", negative_slope=0.2)),
    Op("elu", lambda x: F.elu(x, alpha=1.5), lambda x: _elu(x, 1.5),
       plain(unary(away_from_zero)), torch_f("elu", alpha=1.5)),
    Op("selu", lambda x: F.selu(x), lambda x: _elu(x, SELU_ALPHA, SELU_SCALE),
       plain(unary(away_from_zero)), torch_f("selu")),
    Op("celu", lambda x: F.celu(x, alpha=2.0), lambda x: _elu(x, 2.0, 1.0, 0.5),
       plain(unary(away_from_zero)), torch_f("celu", alpha=2.0)),  # PyTorch rounds 1/alpha
    Op("softplus", lambda x: F.softplus(x), lambda x: np.log1p(np.exp(x)), plain(unary()),
       torch_f("softplus")),
    Op("softplus_beta_threshold", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
       lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
       plain(unary(avoiding(-2, 3, 1.5))), torch_f("softplus", beta=2.0, threshold=3.0)),
    Op("relu6", lambda x: F.relu6(x), lambda x: np.minimum(np.maximum(x, 0), 6),
       plain(unary(avoiding(-2, 8, 0, 6))), torch_f("relu6")),
    Op("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5),
       lambda x: np.minimum(np.maximum(x, -0.5), 1.5), plain(unary(avoiding(-3, 3, -0.5, 1.5))),
       torch_f("hardtanh", min_val=-0.5, max_val=1.5)),
    Op("hardsigmoid", lambda x: F.hardsigmoid(x), lambda x: np.clip(x / 6 + 0.5, 0, 1),
       plain(unary(avoiding(-5, 5, -3, 3))),
       # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32 (3e-8 off) even
       # in float64: compare with the same function in exact torch ops (test_kinks: F's own).
       lambda x: (x + 3).clamp(0, 6) / 6),
    Op("hardswish", lambda x: F.hardswish(x), lambda x: x * np.clip(x + 3, 0, 6) / 6,
       plain(unary(avoiding(-5, 5, -3, 3))), torch_f("hardswish")),
    Op("mish", lambda x: F.mish(x), lambda x: x * np.tanh(np.log1p(np.exp(x))), plain(unary()),
       torch_f("mish")),
    Op("logsigmoid", lambda x: F.logsigmoid(x), lambda x: -np.log1p(np.exp(-x)), plain(unary()),
       torch_f("logsigmoid")),
    Op("softsign", lambda x: F.softsign(x), lambda x: x / (1 + np.abs(x)), plain(unary()),
       torch_f("softsign")),
    Op("softmin", lambda x, axis: F.softmin(x, axis), lambda x, axis: _softmax(-x, axis),
       softmax_input(), lambda x, axis: torch_f("softmin")(x, dim=axis)),
]

MATH = [
    Op("erf", lambda x: x.erf(), _erf, plain(unary(interval(-3, 3)))),
    Op("rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), plain(unary(positive))),
    Op("log2", lambda x: x.log2(), lambda x: np.log(x) / np.log(2), plain(unary(positive))),
    Op("log10", lambda x: x.log10(), lambda x: np.log(x) / np.log(10), plain(unary(positive))),
    Op("log1p", lambda x: x.log1p(), lambda x: np.log(1 + x), plain(unary(interval(-0.5, 2)))),
    Op("exp2", lambda x: x.exp2(), lambda x: 2.0**x, plain(unary())),
    Op("expm1", lambda x: x.expm1(), lambda x: np.exp(x) - 1, plain(unary())),
    Op("tan", lambda x: x.tan(), lambda x: np.sin(x) / np.cos(x),
       plain(unary(interval(-1.2, 1.2)))),
    Op("sinh", lambda x: x.sinh(), lambda x: (np.exp(x) - np.exp(-x)) / 2, plain(unary())),
    Op("cosh", lambda x: x.cosh(), lambda x: (np.exp(x) + np.exp(-x)) / 2, plain(unary())),
    Op("asin", lambda x: x.asin(), np.arcsin, plain(unary(interval(-0.9, 0.9)))),
    Op("acos", lambda x: x.acos(), np.arccos, plain(unary(interval(-0.9, 0.9)))),
    Op("atan", lambda x: x.atan(), np.arctan, plain(unary())),
    Op("asinh", lambda x: x.asinh(), lambda x: np.log(x + np.sqrt(x * x + 1)),
       plain(unary(interval(0, 2)))),
    Op("acosh", lambda x: x.acosh(), lambda x: np.log(x + np.sqrt(x * x - 1)),
       plain(unary(interval(1.2, 3)))),
    Op("atanh", lambda x: x.atanh(), lambda x: 0.5 * np.log((1 + x) / (1 - x)),
       plain(unary(interval(-0.9, 0.9)))),
    Op("atan2", lambda a, b: a.atan2(b), np.arctan2,
       plain(broadcast_pair(away_from_zero, away_from_zero))),
    Op("sign", lambda x: x.sign(), np.sign, plain(unary(away_from_zero))),
    Op("floor", lambda x: x.floor(), np.floor, plain(unary(away_from_integers))),
    Op("ceil", lambda x: x.ceil(), np.ceil, plain(unary(away_from_integers))),
    Op("trunc", lambda x: x.trunc(), np.trunc, plain(unary(away_from_integers))),
    Op("round", lambda x: x.round(), np.round, plain(unary(away_from_integers))),
    Op("round_decimals", lambda x: x.round(decimals=1), lambda x: np.round(x, 1),
       plain(unary(tenths_away_from_jumps))),
    Op("frac", lambda x: x.frac(), lambda x: np.modf(x)[0], plain(unary(away_from_integers))),
    Op("reciprocal", lambda x: x.reciprocal(), lambda x: 1 / x, plain(unary(away_from_zero))),
    Op("square", lambda x: x.square(), lambda x: x * x, plain(unary())),
    Op("lerp_scalar_weight", lambda a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a),
       plain(broadcast_pair())),
    Op("lerp_tensor_weight", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a),
       broadcast_triple()),
    Op("logaddexp", lambda a, b: a.logaddexp(b), lambda a, b: np.log(np.exp(a) + np.exp(b)),
       plain(broadcast_pair())),
    Op("hypot", lambda a, b: a.hypot(b), lambda a, b: np.sqrt(a * a + b * b),
       plain(broadcast_pair(away_from_zero, away_from_zero))),
    Op("fmod", lambda a, b: a.fmod(b), lambda a, b: a - b * np.trunc(a / b), quotient_pair()),
    Op("remainder", lambda a, b: a % b, lambda a, b: a - b * np.floor(a / b), quotient_pair(),
       lambda a, b: a.remainder(b)),
    Op("mod_scalar", lambda a: a % -1.5, lambda a: a + 1.5 * np.floor(a / -1.5),
       plain(unary(lambda rng, shape: away_from_integers(rng, shape) * 1.5))),
]

OPS = ACTIVATIONS + MATH
# Second derivatives for the rows with a gradient rule of their own (the others are
# compositions of ops whose rules tests/test_ops.py and test_autograd.py cover); the
# rounding ops' gradient is 0, whose derivative PyTorch does not define.
COMPOSED = {"silu", "mish", "softsign", "softmin", "frac", "reciprocal", "square",
            "lerp_scalar_weight", "lerp_tensor_weight", "rsqrt"}
ZERO_GRADIENT = {"sign", "floor", "ceil", "trunc", "round", "round_decimals"}


def check_second_order(op, data):
    """Hessian-vector products (backward of backward, create_graph=True) against PyTorch."""
    torch = pytest.importorskip("torch")
    arrays, options = data.draw(op.inputs)
    rng = np.random.default_rng(3)

    def second(tensors, output, grad_fn, make):
        upstream = make(rng_upstream)
        grads = grad_fn([output], tensors, [upstream])
        total = sum((grad * make(v)).sum() for grad, v in zip(grads, directions)
                    if grad is not None)
        if not getattr(total, "requires_grad", False):  # the first derivative is constant
            return [np.zeros(np.shape(a)) for a in arrays]
        result = grad_fn([total], tensors, None)
        return [np.zeros(np.shape(a)) if r is None else np.asarray(r.detach().numpy())
                for a, r in zip(arrays, result)]

    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    output = op.fn(*tensors, **options)
    rng_upstream = rng.standard_normal(output.shape)
    directions = [rng.standard_normal(np.shape(a)) for a in arrays]
    ours = second(tensors, output, lambda outs, ins, seeds: tg.grad(
        outs, ins, grad_outputs=seeds, create_graph=True, allow_unused=True), Tensor)
    torch_tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_output = (op.torch_fn or op.fn)(*torch_tensors, **options)
    theirs = second(torch_tensors, torch_output, lambda outs, ins, seeds: torch.autograd.grad(
        outs, ins, grad_outputs=seeds, create_graph=True, allow_unused=True), torch.tensor)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-10)


class _Drawn:
    """Hands the same drawn inputs to every check of one example.

    The table runs each row's checks on one draw, in two tests (without and with PyTorch)
    instead of test_ops.py's four: hypothesis's per-example work, not the checks, is most
    of the time, and this keeps the file fast.
    """

    def __init__(self, value):
        self.value = value

    def draw(self, strategy):
        return self.value


@pytest.mark.parametrize("op", OPS, ids=repr)
@given(data=st.data())
def test_forward_backward_and_float32(op, data):
    """Forward against NumPy, backward against central differences, float32 stays float32."""
    drawn = _Drawn(data.draw(op.inputs))
    check_forward(op, drawn)
    check_backward(op, drawn)
    check_float32(op, drawn)


@pytest.mark.parametrize("op", OPS, ids=repr)
@given(data=st.data())
def test_matches_pytorch(op, data):
    """Values and gradients against PyTorch, and second derivatives for the rules written here."""
    drawn = _Drawn(data.draw(op.inputs))
    check_pytorch(op, drawn)
    if op.name not in ZERO_GRADIENT | COMPOSED:
        check_second_order(op, drawn)


# ----------------------------------------------------------------------------- beyond the table
def test_erf_is_float64_accurate_everywhere():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, -0.0, 1e-300, -5e-324, 1e-8, 5.9, 6.0,
                                                    -27.0, 1e300, np.inf, -np.inf]])
    expected = _erf(x)
    result = Tensor(x).erf()._data
    np.testing.assert_allclose(result, expected, rtol=2e-15, atol=2e-15)
    assert np.all(np.sign(result) == np.sign(expected))  # the sign of -0.0 and tiny values
    assert np.isnan(Tensor(np.array([np.nan, 1.0])).erf()._data[0])
    x32 = x[np.abs(x) < 1e30].astype(np.float32)
    result32 = Tensor(x32).erf()
    assert result32.dtype == np.float32
    np.testing.assert_allclose(result32._data, _erf(x32.astype(np.float64)), rtol=1e-7,
                               atol=1e-7)


# (name, our function, PyTorch's, points exactly at kinks, gradient tolerance)
KINKS = [
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), torch_f("leaky_relu", negative_slope=0.1),
     [0.0]),
    ("elu", lambda x: F.elu(x, 2.0), torch_f("elu", alpha=2.0), [0.0]),
    ("selu", F.selu, torch_f("selu"), [0.0]),
    ("celu", lambda x: F.celu(x, 2.0), torch_f("celu", alpha=2.0), [0.0]),
    ("softplus", lambda x: F.softplus(x, 2.0, 10.0), torch_f("softplus", beta=2.0,
                                                               threshold=10.0),
     [5.0, 5.0 + 1e-9, 5.0 - 1e-9]),
    ("relu6", F.relu6, torch_f("relu6"), [0.0, 6.0]),
    ("relu", F.relu, torch_f("relu"), [0.0, np.nan, -1.0]),  # a NaN passes the gradient
    ("hardtanh", lambda x: F.hardtanh(x, -2.0, 3.0), torch_f("hardtanh", min_val=-2.0,
                                                               max_val=3.0), [-2.0, 3.0]),
    ("hardsigmoid", F.hardsigmoid, torch_f("hardsigmoid"), [-3.0, 3.0, 0.0]),
    ("hardswish", F.hardswish, torch_f("hardswish"), [-3.0, 3.0]),
    ("softsign", F.softsign, torch_f("softsign"), [0.0]),
    ("sign", lambda x: x.sign(), lambda x: x.sign(), [0.0, 1.0]),
    ("floor", lambda x: x.floor(), lambda x: x.floor(), [1.0, -1.0]),
    ("round", lambda x: x.round(), lambda x: x.round(), [0.5, 1.5, 2.5, -0.5]),
    ("frac", lambda x: x.frac(), lambda x: x.frac(), [-1.0, 2.0]),
    ("fmod", lambda x: x.fmod(1.5), lambda x: x.fmod(1.5), [3.0, -3.0]),
    ("remainder", lambda x: x.remainder(1.5), lambda x: x.remainder(1.5), [3.0, -3.0]),
]


@pytest.mark.parametrize("case", KINKS, ids=lambda case: case[0])
def test_values_and_gradients_at_kinks_match_pytorch(case):
    torch = pytest.importorskip("torch")
    _, ours, theirs, points = case
    x = Tensor(np.array(points), requires_grad=True)
    y = ours(x)
    y.backward(np.ones(len(points)))
    torch_x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    torch_y = theirs(torch_x)
    torch_y.backward(torch.ones(len(points), dtype=torch.float64))
    np.testing.assert_allclose(y._data, torch_y.detach().numpy(), rtol=1e-12, atol=0)
    # 1e-7: PyTorch's hardsigmoid gradient uses a float32 1/6 (see the table)
    np.testing.assert_allclose(x.grad._data, torch_x.grad.numpy(), rtol=1e-7, atol=0)


STABLE = [
    ("gelu", F.gelu, torch_f("gelu")),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), torch_f("gelu", approximate="tanh")),
    ("silu", F.silu, torch_f("silu")),
    ("elu", F.elu, torch_f("elu")),
    ("selu", F.selu, torch_f("selu")),
    ("celu", lambda x: F.celu(x, 0.5), torch_f("celu", alpha=0.5)),
    ("softplus", F.softplus, torch_f("softplus")),
    # PyTorch's own softplus overflows to inf at 1000 without its threshold: compare with
    # log(exp(0) + exp(x)) in a stable torch op instead
    ("softplus_no_threshold", lambda x: F.softplus(x, threshold=1e9),
     lambda x: x.logaddexp(x * 0)),
    ("logsigmoid", F.logsigmoid, torch_f("logsigmoid")),
    ("mish", F.mish, torch_f("mish")),
    ("softsign", F.softsign, torch_f("softsign")),
    ("hardswish", F.hardswish, torch_f("hardswish")),
    ("erf", lambda x: x.erf(), lambda x: x.erf()),
    ("logaddexp", lambda x: x.logaddexp(-x), lambda x: x.logaddexp(-x)),
    ("softmin", lambda x: F.softmin(x, dim=0), torch_f("softmin", dim=0)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", STABLE, ids=lambda case: case[0])
def test_stable_at_plus_minus_1000(case, dtype):
    torch = pytest.importorskip("torch")
    _, ours, theirs = case
    points = [-1000.0, -30.0, 0.0, 30.0, 1000.0]
    x = Tensor(np.array(points, dtype=dtype), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        y = ours(x)
        y.backward(np.ones(len(points), dtype=dtype))
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(y._data)) and np.all(np.isfinite(x.grad._data))
    torch_x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    torch_y = theirs(torch_x)
    torch_y.backward(torch.ones(len(points), dtype=torch.float64))
    tolerance = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(y._data, torch_y.detach().numpy(), rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(x.grad._data, torch_x.grad.numpy(), rtol=tolerance,
                               atol=tolerance)


INTEGER_OPS = [
    ("and", lambda a, b: a & b), ("or", lambda a, b: a | b), ("xor", lambda a, b: a ^ b),
    ("bitwise_and", lambda a, b: a.bitwise_and(b)), ("bitwise_or", lambda a, b: a.bitwise_or(b)),
    ("bitwise_xor", lambda a, b: a.bitwise_xor(b)), ("invert", lambda a, b: ~a),
    ("bitwise_not", lambda a, b: a.bitwise_not()),
    ("scalar_and", lambda a, b: 6 & a), ("scalar_or", lambda a, b: a | 1),
    ("scalar_xor", lambda a, b: 5 ^ a),
    ("logical_and", lambda a, b: a.logical_and(b)), ("logical_or", lambda a, b: a.logical_or(b)),
    ("logical_xor", lambda a, b: a.logical_xor(b)), ("logical_not", lambda a, b: a.logical_not()),
    ("mod", lambda a, b: a % b), ("floordiv", lambda a, b: a // b), ("rmod", lambda a, b: 7 % b),
    ("rfloordiv", lambda a, b: -7 // b), ("fmod", lambda a, b: a.fmod(b)),
    ("remainder", lambda a, b: a.remainder(b)), ("floor_divide", lambda a, b: a.floor_divide(b)),
    ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b), ("gt", lambda a, b: a > b),
    ("ge", lambda a, b: a >= b), ("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b),
    ("eq_method", lambda a, b: a.eq(b)), ("ne_method", lambda a, b: a.ne(b)),
    ("lt_method", lambda a, b: a.lt(b)), ("le_method", lambda a, b: a.le(b)),
    ("gt_method", lambda a, b: a.gt(b)), ("ge_method", lambda a, b: a.ge(b)),
    ("floor", lambda a, b: a.floor()), ("ceil", lambda a, b: a.ceil()),
    ("round", lambda a, b: a.round()), ("trunc", lambda a, b: a.trunc()),
    ("sign", lambda a, b: a.sign()), ("square", lambda a, b: a.square()),
    ("isnan", lambda a, b: a.isnan()), ("isfinite", lambda a, b: a.isfinite()),
]
NUMPY_FOR = {
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor,
    "invert": lambda a, b: ~a, "bitwise_not": lambda a, b: ~a,
    "scalar_and": lambda a, b: 6 & a, "scalar_or": lambda a, b: a | 1,
    "scalar_xor": lambda a, b: 5 ^ a,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
    "logical_not": lambda a, b: ~a.astype(bool),
    "mod": np.remainder, "floordiv": np.floor_divide, "rmod": lambda a, b: 7 % b,
    "rfloordiv": lambda a, b: -7 // b, "fmod": np.fmod, "remainder": np.remainder,
    "floor_divide": np.floor_divide,
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
    "eq": np.equal, "ne": np.not_equal, "eq_method": np.equal, "ne_method": np.not_equal,
    "lt_method": np.less, "le_method": np.less_equal, "gt_method": np.greater,
    "ge_method": np.greater_equal,
    "floor": lambda a, b: a, "ceil": lambda a, b: a, "round": lambda a, b: a,
    "trunc": lambda a, b: a, "sign": lambda a, b: np.sign(a), "square": lambda a, b: a * a,
    "isnan": lambda a, b: np.zeros(a.shape, bool), "isfinite": lambda a, b: np.ones(a.shape, bool),
}


@pytest.mark.parametrize("case", INTEGER_OPS, ids=lambda case: case[0])
def test_integer_ops_match_numpy_and_pytorch(case):
    """int64 operands of both signs (nonzero divisors), results and dtypes as PyTorch's."""
    name, fn = case
    rng = np.random.default_rng(0)
    a = rng.integers(-20, 20, (3, 4))
    b = rng.choice([-7, -3, -1, 1, 2, 5], (4,))
    result = fn(Tensor(a), Tensor(b))
    expected = np.asarray(NUMPY_FOR[name](a, b))
    np.testing.assert_array_equal(result._data, expected)
    assert not result.requires_grad
    torch = pytest.importorskip("torch")
    torch_result = fn(torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(result._data, torch_result.numpy())
    assert result.dtype == torch_result.numpy().dtype


@pytest.mark.parametrize("case", [case for case in INTEGER_OPS if case[0] not in
                                  ("mod", "floordiv", "rmod", "rfloordiv", "fmod", "remainder",
                                   "floor_divide", "square", "floor", "ceil", "round", "trunc")],
                         ids=lambda case: case[0])
def test_bool_ops_match_pytorch(case):
    torch = pytest.importorskip("torch")
    name, fn = case
    a = np.array([[True, False], [True, True]])
    b = np.array([False, True])
    result = fn(Tensor(a), Tensor(b))
    torch_result = fn(torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(result._data, torch_result.numpy())
    assert result.dtype == torch_result.numpy().dtype


def test_comparisons_of_0d_tensors_are_0d_arrays():
    x = Tensor(2.0)
    for result in (x < 3, x <= 3, x > 3, x >= 3, x == 2, x != 2, x.eq(2), x.gt(Tensor(1.0)),
                   x.isnan(), x.isclose(2.0), Tensor(True) & Tensor(False), ~Tensor(True),
                   Tensor(np.array(3)).logical_not(), 1 < x):
        assert isinstance(result, Tensor) and type(result._data) is np.ndarray
        assert result.shape == () and result.dtype == np.bool_
    assert (x < 3).item() is True and (np.array([1.0, 5.0]) < x).tolist() == [True, False]


def test_float_division_by_zero_gives_inf_and_nan_quietly_as_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([5.0, -1.0, 0.0, 2.5])
    b = np.array([0.0, 0.0, 0.0, -2.0])
    for name in ("fmod", "remainder", "floor_divide"):
        ours = getattr(Tensor(a), name)(Tensor(b))._data
        theirs = getattr(torch.tensor(a), name)(torch.tensor(b)).numpy()
        np.testing.assert_array_equal(ours, theirs)


EDGE_VALUES = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 100.0, 1000.0, -1000.0, np.inf,
                        -np.inf, np.nan])
QUIET_UNARY = ("exp", "log", "sqrt", "sin", "cos", "sigmoid", "reciprocal", "rsqrt", "log2",
               "log10", "log1p", "exp2", "expm1", "tan", "sinh", "cosh", "asin", "acos",
               "asinh", "acosh", "atanh", "erf")
QUIET_BINARY = ("atan2", "logaddexp", "hypot", "fmod", "remainder", "pow")


def _quiet_values_and_gradients(call, *arrays):
    """call(*tensors) and its gradients for an upstream gradient of ones, every RuntimeWarning
    an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inputs = [Tensor(a, requires_grad=True) for a in arrays]
        out = call(*inputs)
        out.backward(Tensor(np.ones(out.shape)))  # (not sum(): inf + -inf warns in NumPy)
        return out._data, [x.grad._data for x in inputs]


@pytest.mark.parametrize("name", QUIET_UNARY)
def test_edge_values_give_inf_and_nan_without_warnings_as_pytorch(name):
    """log(0), sqrt(-1), asin(2), exp(1000), 1/0, ...: no NumPy RuntimeWarning, forward or
    backward, and PyTorch's values and gradients."""
    values, (grad,) = _quiet_values_and_gradients(lambda x: getattr(x, name)(), EDGE_VALUES)
    torch = pytest.importorskip("torch")
    x = torch.tensor(EDGE_VALUES, requires_grad=True)
    y = getattr(x, name)()
    y.backward(torch.ones_like(y))
    np.testing.assert_allclose(values, y.detach().numpy(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", QUIET_BINARY)
def test_binary_edge_values_give_pytorchs_values_without_warnings(name):
    a, b = (v.ravel() for v in np.meshgrid(EDGE_VALUES, EDGE_VALUES))
    values, grads = _quiet_values_and_gradients(lambda x, y: getattr(x, name)(y), a, b)
    torch = pytest.importorskip("torch")
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    getattr(ta, name)(tb).backward(torch.ones(a.shape, dtype=torch.float64))
    np.testing.assert_allclose(values, getattr(ta, name)(tb).detach().numpy(), rtol=1e-12,
                               equal_nan=True)
    finite = np.isfinite(a) & np.isfinite(b)  # (gradients at infinite inputs differ: atan2,
    for ours, theirs in zip(grads, (ta.grad, tb.grad)):  # logaddexp at (inf, inf), ...)
        np.testing.assert_allclose(ours[finite], theirs.numpy()[finite], rtol=1e-12,
                                   equal_nan=True)


def test_isnan_isinf_isfinite_isclose_allclose_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, np.nan, np.inf, -np.inf, 1.0 + 1e-6, 0.0])
    b = np.array([1.0, np.nan, np.inf, np.inf, 1.0, 1e-9])
    for name in ("isnan", "isinf", "isfinite"):
        np.testing.assert_array_equal(getattr(Tensor(a), name)()._data,
                                      getattr(torch.tensor(a), name)().numpy())
    for options in ({}, {"equal_nan": True}, {"rtol": 1e-8, "atol": 0.0}):
        np.testing.assert_array_equal(Tensor(a).isclose(Tensor(b), **options)._data,
                                      torch.tensor(a).isclose(torch.tensor(b), **options).numpy())
    assert Tensor(a[[0, 4]]).allclose(Tensor(b[[0, 4]])) is True
    assert Tensor(a).allclose(Tensor(b)) is False
    assert Tensor(a).allclose(Tensor(b), equal_nan=True) is False  # -inf vs inf


def test_rounding_matches_pytorch_half_to_even_and_decimals():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1.25, 1.35, 125.0, 135.0, -2.675, 1e30])
    for dtype in (np.float64, np.float32):
        for decimals in (0, 1, 2, -1, -2):
            ours = Tensor(values.astype(dtype)).round(decimals=decimals)
            theirs = torch.tensor(values.astype(dtype)).round(decimals=decimals).numpy()
            assert ours.dtype == dtype
            np.testing.assert_array_equal(ours._data, theirs)


def test_bad_dtypes_and_arguments_raise_errors_naming_the_op():
    floats, ints = Tensor([1.0, 2.0]), Tensor(np.array([1, 2]))
    for call, op in [(lambda: floats & ints, "bitwise_and"), (lambda: ints | floats, "bitwise_or"),
                     (lambda: ints ^ 1.5, "bitwise_xor"), (lambda: ~floats, "bitwise_not"),
                     (lambda: 1.5 & ints, "bitwise_and"),
                     (lambda: floats.bitwise_and(ints), "bitwise_and")]:
        with pytest.raises(TypeError, match=op):
            call()
    for call, op in [(lambda: ints % 0, "remainder"), (lambda: ints // Tensor(np.array([1, 0])),
                                                       "floor_divide"),
                     (lambda: ints.fmod(0), "fmod")]:
        with pytest.raises(ZeroDivisionError, match=op):
            call()
    with pytest.raises(ValueError, match="gelu: approximate"):
        F.gelu(floats, approximate="exact")
    with pytest.raises(ValueError, match="hardtanh"):
        F.hardtanh(floats, 2.0, 1.0)
    with pytest.raises(ValueError, match="celu"):
        F.celu(floats, alpha=0.0)
    x = Tensor([3.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="floor_divide"):
        (x // 2).sum().backward()


def test_dtypes_follow_pytorch():
    ints = Tensor(np.array([1, 4, 9]))
    assert ints.sqrt().dtype == np.float32 and ints.erf().dtype == np.float32
    assert ints.reciprocal().dtype == np.float32 and ints.log2().dtype == np.float32
    assert (ints % 2.5).dtype == np.float32 and (ints // 2).dtype == np.int64
    assert F.gelu(Tensor(np.ones(2, np.float32))).dtype == np.float32
    assert Tensor(np.array([True, False])).sign().dtype == np.bool_
    assert Tensor(np.array([1, 2], np.uint8)).floor().dtype == np.uint8


def test_functional_in_place_and_softmin_options():
    x = Tensor([-2.0, 0.5, 3.0])
    returned = F.hardtanh(x, inplace=True)
    assert returned is x and x.tolist() == [-1.0, 0.5, 1.0]
    leaf = Tensor([-1.0, 2.0], requires_grad=True)
    hidden = leaf * 2
    F.leaky_relu(hidden, 0.5, inplace=True)  # recorded: the gradient passes through it
    hidden.sum().backward()
    assert leaf.grad.tolist() == [1.0, 2.0]
    logits = Tensor(np.array([[1.0, 2.0], [3.0, 5.0]]))
    np.testing.assert_allclose(F.softmin(logits, dim=0)._data, _softmax(-logits._data, 0))
    assert F.softmin(logits, 1, dtype=np.float32).dtype == np.float32


def test_lerp_and_reflected_operators_take_numbers():
    start, end = Tensor([0.0, 10.0]), Tensor([10.0, 20.0])
    assert start.lerp(end, 0.25).tolist() == [2.5, 12.5]
    assert start.lerp(30.0, Tensor([0.5, 0.0])).tolist() == [15.0, 10.0]
    assert (7.5 % Tensor([2.0, -2.0])).tolist() == [1.5, -0.5]
    assert (7.5 // Tensor([2.0, -2.0])).tolist() == [3.0, -4.0]


def test_gradient_rules_return_float32_for_float32():
    """Each rule's own output, before the engine casts anything for a leaf's .grad."""
    x = Tensor(np.array([-0.5, 0.3, 0.7], np.float32), requires_grad=True)
    p = Tensor(np.array([1.5, 0.3, 0.7], np.float32), requires_grad=True)
    unary_names = ("gelu leaky_relu elu selu celu softplus relu6 hardtanh hardsigmoid "
                   "hardswish logsigmoid erf exp2 expm1 tan sinh cosh asin acos atan asinh "
                   "atanh sign floor ceil round trunc").split()
    calls = [lambda name=name: getattr(x, name)() for name in unary_names] + [
        lambda: x.gelu("tanh"), lambda: p.log2(), lambda: p.log10(), lambda: p.log1p(),
        lambda: (p + 1).acosh(), lambda: x.atan2(p), lambda: x.logaddexp(p),
        lambda: x.hypot(p), lambda: x.fmod(p), lambda: x % p]
    for call in calls:
        y = call()
        node = y.grad_fn
        grads = type(node).backward(node, np.ones(y.shape, np.float32))
        for grad in grads if isinstance(grads, tuple) else (grads,):
            assert grad is None or grad.dtype == np.float32, type(node).__name__
        assert y.dtype == np.float32


def test_clamp_with_tensor_bounds_gives_them_pytorchs_gradients():
    """dlo where x < lo < hi, dhi where x > hi or hi < lo; bounds may broadcast x up."""
    torch = pytest.importorskip("torch")
    x = np.array([-3.0, 0.0, 3.0, 1.0, 1.0, 0.5, 2.0])
    lo = np.array([-1.0, -1.0, -1.0, 1.0, 2.0, 1.0, 0.0])
    hi = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0])
    cases = [(x, lo, hi), (x, lo, None), (x, None, hi), (x[:3], lo[:2, None], None)]
    for values in cases:
        ours = [None if v is None else Tensor(v, requires_grad=True) for v in values]
        theirs = [None if v is None else torch.tensor(v, requires_grad=True) for v in values]
        y, torch_y = ours[0].clamp(*ours[1:]), theirs[0].clamp(*theirs[1:])
        np.testing.assert_array_equal(y._data, torch_y.detach().numpy())
        upstream = np.random.default_rng(0).standard_normal(y.shape)
        y.backward(upstream)
        torch_y.backward(torch.tensor(upstream))
        for mine, reference in zip(ours, theirs):
            if mine is not None:
                np.testing.assert_allclose(mine.grad._data, reference.grad.numpy(), rtol=1e-12)


def _torch_pair(torch, *arrays):
    return ([Tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def _compare_with_grads(ours_inputs, theirs_inputs, ours, theirs):
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-12, equal_nan=True)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    ours.backward(Tensor(np.ones(ours.shape)))
    theirs.backward(theirs.new_ones(theirs.shape))
    for a, b in zip(ours_inputs, theirs_inputs):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("eps", [None, 0.1])
def test_logit_with_and_without_eps_as_pytorch(eps):
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 0.05, 0.3, 0.5, 0.95, 1.0, -1.0, 2.0, np.nan])
    (a,), (b,) = _torch_pair(torch, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _compare_with_grads([a], [b], a.logit(eps), b.logit(eps))
    assert tg.logit(Tensor(np.array([0, 1]))).dtype == np.float32  # ints: the default float
    inside = Tensor(np.array([0.2, 0.5, 0.7, 0.95]), requires_grad=True)
    assert tg.gradcheck(lambda t: tg.logit(t, eps), (inside,))


def test_xlogy_is_zero_where_x_is_zero_as_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 0.0, 1.0, 2.0, -3.0, 0.0, 1.5])
    y = np.array([2.0, np.nan, 0.0, 3.0, 0.5, np.inf, np.nan])
    (a, c), (b, d) = _torch_pair(torch, x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours, theirs = a.xlogy(c), b.xlogy(d)
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), equal_nan=True)
        ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(a.grad._data, b.grad.numpy(), equal_nan=True)
    np.testing.assert_allclose(c.grad._data, d.grad.numpy(), equal_nan=True)
    np.testing.assert_allclose(tg.xlogy(Tensor(np.array([1, 2])), 3)._data,
                               torch.xlogy(torch.tensor([1, 2]), 3).numpy(), rtol=1e-6)
    assert tg.xlogy(Tensor(np.array([1, 2])), 3).dtype == np.float32


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_ignore_nan_and_route_gradients_as_pytorch(name):
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0, np.nan, 3.0, np.nan, -1.0]])
    b = np.array([[1.0], [5.0]]) * np.array([1.0, 1.0, 1.0, np.nan, np.nan, 1.0])
    (x, y), (tx, ty) = _torch_pair(torch, a, b)
    getattr(tg, name)(x, y).sum().backward()
    getattr(torch, name)(tx, ty).sum().backward()
    np.testing.assert_array_equal(getattr(x, name)(y)._data,
                                  getattr(tx, name)(ty).detach().numpy())
    np.testing.assert_array_equal(x.grad._data, tx.grad.numpy())
    np.testing.assert_array_equal(y.grad._data, ty.grad.numpy())
    ints = getattr(Tensor(np.array([1, 5])), name)(Tensor(np.array([3, 2])))
    assert ints.dtype == np.int64 and ints.tolist() == getattr(
        torch.tensor([1, 5]), name)(torch.tensor([3, 2])).tolist()
