"""`torch.special`: the special functions under their SciPy-style names, as compositions of
Tensor ops (so each has its gradient, second derivatives included).

    import tinygrad_np as torch
    torch.special.gammaln(x), torch.special.ndtr(x), torch.special.expit(x), ...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np.dtypes import get_default_dtype
from tinygrad_np.nn.functional import log_softmax, softmax
from tinygrad_np.node_api import pytorch_named
from tinygrad_np.ops import bessel as _bessel, polynomials as _polynomials
from tinygrad_np.ops.masked import ScaledCopy
from tinygrad_np.ops.math import Xlog1py
from tinygrad_np.ops.special import Entr, Ndtri
from tinygrad_np.ops.special_more import Erfcx, Zeta
from tinygrad_np.tensor import (
    Tensor,
    _float_in,
    _floats_in,
    _node_named,
    float_scalar_first,
    to_tensor as _tensor,
)

_SQRT_HALF = math.sqrt(0.5)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_NDTR_SPLIT = -10.0


def expit(input: Any) -> Tensor:  # noqa: A002
    """1 / (1 + exp(-x)), the logistic sigmoid."""
    return _tensor(input).sigmoid()


def logit(input: Any, eps: float | None = None) -> Tensor:  # noqa: A002
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] when eps is given."""
    return _tensor(input).logit(eps)


def gammaln(input: Any) -> Tensor:  # noqa: A002
    """log |Gamma(x)|."""
    return _tensor(input).lgamma()


def digamma(input: Any) -> Tensor:  # noqa: A002
    """The derivative of gammaln."""
    return _tensor(input).digamma()


psi = digamma


def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002
    """The n-th derivative of digamma."""
    return _tensor(input).polygamma(n)


def multigammaln(input: Any, p: int) -> Tensor:  # noqa: A002
    """The log of the multivariate gamma function of dimension p."""
    return _tensor(input).mvlgamma(p)


def erf(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).erf()


def erfc(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).erfc()


def erfinv(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).erfinv()


def ndtr(input: Any) -> Tensor:  # noqa: A002
    """The standard normal CDF: erfc(-x / sqrt 2) / 2 (accurate far into the left tail)."""
    return (_tensor(input) * -_SQRT_HALF).erfc() * 0.5


@_node_named("SpecialLogNdtrBackward0")
def log_ndtr(input: Any) -> Tensor:  # noqa: A002
    """log of the standard normal CDF; below x = -10 (where ndtr underflows in float32, and
    at -38 in float64) the asymptotic series log(phi(x)/-x (1 - 1/x^2 + 3/x^4 - ...)),
    20 terms: its error there is under 1e-16. Each branch sees only its own range of x
    (clamped), so neither puts a NaN into the other's gradient; past x = -1e15 the series is
    1, and where x^2 overflows the value is -inf with a finite gradient (about -x)."""
    x = _tensor(input)
    if x.dtype == np.float16:  # in float32 (x^2 leaves float16's range at |x| = 256)
        return log_ndtr(x.float()).half()
    undefined = np.isnan(x._data) | (x._data == -math.inf)  # PyTorch's gradient is NaN there
    if x.requires_grad and undefined.any():  # (its exp(-(y + x^2 / 2)) is inf - inf): 0 * NaN
        x = ScaledCopy.apply(x._data, x, np.where(undefined, np.nan, 1).astype(x.dtype))
    low = x.clamp(min=float(np.finfo(x.dtype).min) if x.dtype.kind == "f" else -1e300,
                  max=_LOG_NDTR_SPLIT)  # -inf is clamped: no inf * 0 in the gradient
    near = low.clamp(min=-1e15)
    inverse_square = 1.0 / (near * near)
    series, term = 1.0, 1.0
    for k in range(1, 21):
        term = term * inverse_square * -(2 * k - 1)
        series = series + term
    with np.errstate(over="ignore"):  # x^2 past the dtype's range: -inf, as PyTorch
        tail = -0.5 * low * low - (-low).log() - _HALF_LOG_2PI + series.log()
    tail = tail.where(~(x == -math.inf), -math.inf)
    middle = ndtr(x.clamp(min=_LOG_NDTR_SPLIT, max=0.0)).log()
    right = (-ndtr(-x.clamp(min=0.0))).log1p()  # log(1 - ndtr(-x)): -7.6e-24 at x = 10, not 0
    return right.where(x > 0, middle.where(x > _LOG_NDTR_SPLIT, tail))


def ndtri(input: Any) -> Tensor:  # noqa: A002
    """The inverse of ndtr, accurate in both tails (see ops/special.py `ndtri`)."""
    p = _tensor(input)
    return Ndtri.apply(p if p.dtype.kind == "f" else p.astype(get_default_dtype()))


def entr(input: Any) -> Tensor:  # noqa: A002
    """-x log x elementwise: 0 at x = 0 and -inf for x < 0, as PyTorch."""
    x = _tensor(input)
    return Entr.apply(x if x.dtype.kind == "f" else x.astype(get_default_dtype()))


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """x log y, 0 where x is 0."""
    return float_scalar_first(input, other).xlogy(other)


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    """x log(1 + y): 0 where x is 0 (NaN where y is NaN), as PyTorch (y = -1 at x = 0 gives 0,
    and a gradient log(1 + y) for x)."""
    result = Xlog1py.apply(*_floats_in(float_scalar_first(input, other), other, "xlog1py"))
    number = 1 if not isinstance(input, Tensor) else 2 if not isinstance(other, Tensor) else 0
    return pytorch_named(result, f"SpecialXlog1PyBackward{number}") if number else result


def sinc(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).sinc()


def exp2(input: Any) -> Tensor:  # noqa: A002
    return pytorch_named(2.0 ** _tensor(input), "Exp2Backward0")


def expm1(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).expm1()


def log1p(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).log1p()


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _tensor(input).logsumexp(dim, keepdim)


def round(input: Any, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    return _tensor(input).round(decimals=decimals)


# ----------------------------------------------------------------------------- Bessel and friends
def i0(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind of order 0;  d/dx = i1(x)."""
    return _tensor(input).i0()


def i0e(input: Any) -> Tensor:  # noqa: A002
    """exp(-|x|) i0(x), finite for every finite x;  d/dx = i1e(x) - sign(x) i0e(x)."""
    return _bessel.I0e.apply(_float_in(_tensor(input)))


def i1(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind of order 1;  d/dx = i0(x) - i1(x)/x."""
    return _bessel.I1.apply(_float_in(_tensor(input)))


def i1e(input: Any) -> Tensor:  # noqa: A002
    """exp(-|x|) i1(x);  d/dx = i0e(x) - i1e(x) (sign(x) + 1/x)."""
    return _bessel.I1e.apply(_float_in(_tensor(input)))


def erfcx(input: Any) -> Tensor:  # noqa: A002
    """The scaled complementary error function exp(x^2) erfc(x);
    d/dx = 2x erfcx(x) - 2/sqrt(pi)."""
    return Erfcx.apply(_float_in(_tensor(input)))


def zeta(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The Hurwitz zeta function sum_k (other + k)^-input (the Riemann zeta at other = 1);
    a gradient for `other` only, as PyTorch."""
    overload = 2 if not isinstance(other, Tensor) else 1 if not isinstance(input, Tensor) else 0
    return pytorch_named(Zeta.apply(*_floats_in(*_tensors(input, other))),
                         f"SpecialZetaBackward{overload}")


def gammainc(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The regularized lower incomplete gamma function P(input, other) (torch.igamma)."""
    return _tensor(input).igamma(other)


def gammaincc(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The regularized upper incomplete gamma function Q(input, other) (torch.igammac)."""
    return _tensor(input).igammac(other)


def _tensors(input: Any, other: Any) -> tuple[Any, Any]:  # noqa: A002
    """Two operands of a binary special function: at least one a Tensor (numbers stay
    numbers, as PyTorch's Scalar overloads)."""
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        return input, other
    return _tensor(input), other


def _unary(op: type, input: Any) -> Tensor:  # noqa: A002
    return op.apply(_float_in(_tensor(input)))


def bessel_j0(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind of order 0 (no gradient, as PyTorch)."""
    return _unary(_bessel.BesselJ0, input)


def bessel_j1(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the first kind of order 1 (no gradient, as PyTorch)."""
    return _unary(_bessel.BesselJ1, input)


def bessel_y0(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind of order 0 (no gradient, as PyTorch)."""
    return _unary(_bessel.BesselY0, input)


def bessel_y1(input: Any) -> Tensor:  # noqa: A002
    """The Bessel function of the second kind of order 1 (no gradient, as PyTorch)."""
    return _unary(_bessel.BesselY1, input)


def modified_bessel_i0(input: Any) -> Tensor:  # noqa: A002
    """I0(x), as i0 but without a gradient (as PyTorch)."""
    return _unary(_bessel.ModifiedBesselI0, input)


def modified_bessel_i1(input: Any) -> Tensor:  # noqa: A002
    """I1(x), as i1 but without a gradient (as PyTorch)."""
    return _unary(_bessel.ModifiedBesselI1, input)


def modified_bessel_k0(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind of order 0 (no gradient)."""
    return _unary(_bessel.ModifiedBesselK0, input)


def modified_bessel_k1(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the second kind of order 1 (no gradient)."""
    return _unary(_bessel.ModifiedBesselK1, input)


def scaled_modified_bessel_k0(input: Any) -> Tensor:  # noqa: A002
    """exp(x) K0(x) (no gradient, as PyTorch)."""
    return _unary(_bessel.ScaledModifiedBesselK0, input)


def scaled_modified_bessel_k1(input: Any) -> Tensor:  # noqa: A002
    """exp(x) K1(x) (no gradient, as PyTorch)."""
    return _unary(_bessel.ScaledModifiedBesselK1, input)


def spherical_bessel_j0(input: Any) -> Tensor:  # noqa: A002
    """sin(x) / x, 1 at 0 (no gradient, as PyTorch)."""
    return _unary(_bessel.SphericalBesselJ0, input)


def airy_ai(input: Any) -> Tensor:  # noqa: A002
    """The Airy function Ai(x) (no gradient, as PyTorch)."""
    return _unary(_bessel.AiryAi, input)


# ----------------------------------------------------------------------------- polynomials
def _polynomial(op: type, input: Any, n: Any) -> Tensor:  # noqa: A002
    return op.apply(*_tensors(input, n))


def chebyshev_polynomial_t(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Chebyshev polynomial of the first kind T_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.ChebyshevT, input, n)


def chebyshev_polynomial_u(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Chebyshev polynomial of the second kind U_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.ChebyshevU, input, n)


def chebyshev_polynomial_v(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Chebyshev polynomial of the third kind V_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.ChebyshevV, input, n)


def chebyshev_polynomial_w(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Chebyshev polynomial of the fourth kind W_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.ChebyshevW, input, n)


def shifted_chebyshev_polynomial_t(input: Any, n: Any) -> Tensor:  # noqa: A002
    """T_n(2x - 1), the shifted Chebyshev polynomial of the first kind (no gradient)."""
    return _polynomial(_polynomials.ShiftedChebyshevT, input, n)


def shifted_chebyshev_polynomial_u(input: Any, n: Any) -> Tensor:  # noqa: A002
    """U_n(2x - 1), the shifted Chebyshev polynomial of the second kind (no gradient)."""
    return _polynomial(_polynomials.ShiftedChebyshevU, input, n)


def shifted_chebyshev_polynomial_v(input: Any, n: Any) -> Tensor:  # noqa: A002
    """V_n(2x - 1), the shifted Chebyshev polynomial of the third kind (no gradient)."""
    return _polynomial(_polynomials.ShiftedChebyshevV, input, n)


def shifted_chebyshev_polynomial_w(input: Any, n: Any) -> Tensor:  # noqa: A002
    """W_n(2x - 1), the shifted Chebyshev polynomial of the fourth kind (no gradient)."""
    return _polynomial(_polynomials.ShiftedChebyshevW, input, n)


def hermite_polynomial_h(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The physicists' Hermite polynomial H_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.HermiteH, input, n)


def hermite_polynomial_he(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The probabilists' Hermite polynomial He_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.HermiteHe, input, n)


def laguerre_polynomial_l(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Laguerre polynomial L_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.LaguerreL, input, n)


def legendre_polynomial_p(input: Any, n: Any) -> Tensor:  # noqa: A002
    """The Legendre polynomial P_n(x) (no gradient, as PyTorch)."""
    return _polynomial(_polynomials.LegendreP, input, n)


__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
           "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h",
           "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
           "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
           "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
           "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc",
           "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]
