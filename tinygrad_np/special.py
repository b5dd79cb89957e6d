"""`torch.special`: the special functions under their SciPy-style names, as compositions of
Tensor ops (so each has its gradient, second derivatives included).

    import tinygrad_np as torch
    torch.special.gammaln(x), torch.special.ndtr(x), torch.special.expit(x), ...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_np.nn.functional import log_softmax, softmax
from tinygrad_np.ops.math import Xlog1py
from tinygrad_np.tensor import Tensor, _floats_in, to_tensor as _tensor

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


def log_ndtr(input: Any) -> Tensor:  # noqa: A002
    """log of the standard normal CDF; below x = -10 (where ndtr underflows in float32, and
    at -38 in float64) the asymptotic series log(phi(x)/-x (1 - 1/x^2 + 3/x^4 - ...)),
    20 terms: its error there is under 1e-16. Each branch sees only its own range of x
    (clamped), so neither puts a NaN into the other's gradient; past x = -1e15 the series is
    1, and where x^2 overflows the value is -inf with a finite gradient (about -x)."""
    x = _tensor(input)
    if x.dtype == np.float16:  # in float32 (x^2 leaves float16's range at |x| = 256)
        return log_ndtr(x.float()).half()
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
    return ndtr(x.clamp(min=_LOG_NDTR_SPLIT)).log().where(x > _LOG_NDTR_SPLIT, tail)


def ndtri(input: Any) -> Tensor:  # noqa: A002
    """The inverse of ndtr: sqrt(2) erfinv(2p - 1)."""
    return (_tensor(input) * 2 - 1).erfinv() * math.sqrt(2.0)


def entr(input: Any) -> Tensor:  # noqa: A002
    """-x log x elementwise: 0 at x = 0 and -inf for x < 0, as PyTorch."""
    x = _tensor(input)
    return (0.0 - x.xlogy(x)).where(~(x < 0), -np.inf)


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """x log y, 0 where x is 0."""
    return _tensor(input).xlogy(other)


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    """x log(1 + y): 0 where x is 0 (NaN where y is NaN), as PyTorch (y = -1 at x = 0 gives 0,
    and a gradient log(1 + y) for x)."""
    return Xlog1py.apply(*_floats_in(_tensor(input), other))


def sinc(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).sinc()


def exp2(input: Any) -> Tensor:  # noqa: A002
    return 2.0 ** _tensor(input)


def expm1(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).expm1()


def log1p(input: Any) -> Tensor:  # noqa: A002
    return _tensor(input).log1p()


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _tensor(input).logsumexp(dim, keepdim)


def round(input: Any, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    return _tensor(input).round(decimals=decimals)


__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
           "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr",
           "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy"]
