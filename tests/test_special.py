"""lgamma, digamma, polygamma, erfinv, mvlgamma, sinc and torch.special: values against known
closed forms and PyTorch, gradients (first and second) against float64 central differences."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor

EULER = 0.5772156649015329


def _grad(fn, x: np.ndarray, create_graph: bool = False):
    t = Tensor(x.copy(), requires_grad=True)
    (g,) = tg.autograd.grad(fn(t).sum(), t, create_graph=create_graph)
    return t, g


def _central(fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up.flat[i] += eps
        down.flat[i] -= eps
        out.flat[i] = (fn(Tensor(up)).sum().item() - fn(Tensor(down)).sum().item()) / (2 * eps)
    return out


def test_closed_forms() -> None:
    x = tg.tensor([0.5, 1.0, 2.0, 5.0, -0.5], dtype=tg.float64)
    np.testing.assert_allclose(x.lgamma().numpy(), [math.log(math.sqrt(math.pi)), 0.0, 0.0,
                                                     math.log(24.0),
                                                     math.log(2 * math.sqrt(math.pi))],
                               rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(x.digamma().numpy(),
                               [-EULER - 2 * math.log(2), -EULER, 1 - EULER,
                                1 + 1 / 2 + 1 / 3 + 1 / 4 - EULER,
                                -EULER - 2 * math.log(2) + 2], rtol=1e-12)
    np.testing.assert_allclose(tg.polygamma(1, tg.tensor([1.0, 0.5], dtype=tg.float64)).numpy(),
                               [math.pi**2 / 6, math.pi**2 / 2], rtol=1e-12)
    np.testing.assert_allclose(tg.polygamma(2, tg.tensor([1.0], dtype=tg.float64)).numpy(),
                               [-2 * 1.2020569031595942], rtol=1e-12)
    y = tg.tensor([-0.9, -0.3, 0.0, 0.42, 0.999999], dtype=tg.float64)
    np.testing.assert_allclose(y.erfinv().erf().numpy(), y.numpy(), rtol=1e-13, atol=1e-15)
    assert tg.sinc(tg.tensor([0.0, 0.5, 1.0])).tolist() == pytest.approx([1.0, 2 / math.pi, 0.0],
                                                                         abs=1e-7)


def test_edges_as_pytorch() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lg = tg.tensor([0.0, -1.0, -2.0, np.inf, -np.inf]).lgamma().tolist()
        dg = tg.tensor([0.0, -1.0, np.inf]).digamma().tolist()
        ei = tg.tensor([-1.0, 1.0, 1.5]).erfinv().tolist()
        pg = tg.polygamma(1, tg.tensor([0.0])).tolist()
    assert lg == [np.inf] * 5
    assert dg[0] == -np.inf and math.isnan(dg[1]) and dg[2] == np.inf
    assert ei[:2] == [-np.inf, np.inf] and math.isnan(ei[2])
    assert pg == [np.inf]
    assert tg.tensor([3]).lgamma().dtype == tg.float32  # integers compute in float32
    with pytest.raises(ValueError, match="polygamma: n must be a non-negative int"):
        tg.polygamma(-1, tg.tensor([1.0]))
    assert tg.mvlgamma(tg.tensor([0.5]), 3).tolist() == [np.inf]  # PyTorch 2.13: no error


@pytest.mark.parametrize("name, fn, points", [
    ("lgamma", lambda t: t.lgamma(), [-2.5, -0.3, 0.7, 1.3, 4.0, 30.0]),
    ("digamma", lambda t: t.digamma(), [-2.5, -0.3, 0.7, 1.3, 4.0, 30.0]),
    ("polygamma2", lambda t: t.polygamma(2), [-1.5, 0.4, 2.2, 17.0]),
    ("erfinv", lambda t: t.erfinv(), [-0.95, -0.2, 0.0, 0.6, 0.99]),
    ("mvlgamma", lambda t: t.mvlgamma(3), [1.2, 2.5, 7.0]),
    ("sinc", lambda t: t.sinc(), [-1.3, 0.2, 0.7, 2.5]),
    ("ndtr", lambda t: tg.special.ndtr(t), [-8.0, -1.0, 0.3, 2.0]),
    ("ndtri", lambda t: tg.special.ndtri(t), [0.01, 0.3, 0.8]),
    ("entr", lambda t: tg.special.entr(t), [0.1, 0.5, 2.0]),
    ("xlog1py", lambda t: tg.special.xlog1py(t, t), [0.1, 0.5, 2.0]),
])
def test_first_and_second_derivatives(name: str, fn, points: list) -> None:
    x = np.array(points, dtype=np.float64)
    t, g = _grad(fn, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), _central(fn, x), rtol=1e-6, atol=1e-8, err_msg=name)
    (h,) = tg.autograd.grad(g.sum(), t)
    numeric = np.empty_like(x)
    for i in range(x.size):  # d/dx of the analytic first derivative, by central differences
        up, down = x.copy(), x.copy()
        up[i] += 1e-5
        down[i] -= 1e-5
        numeric[i] = (_grad(fn, up)[1].numpy()[i] - _grad(fn, down)[1].numpy()[i]) / 2e-5
    np.testing.assert_allclose(h.numpy(), numeric, rtol=1e-5, atol=1e-6, err_msg=name)


def test_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([-3.7, -0.5, 1e-3, 0.5, 1.0, 2.5, 10.0, 150.0])
    for ours, theirs in ((lambda t: t.lgamma(), torch.lgamma),
                         (lambda t: t.digamma(), torch.digamma),
                         (lambda t: tg.polygamma(3, t), lambda t: torch.polygamma(3, t)),
                         (lambda t: tg.mvlgamma(t.abs() + 2, 2),
                          lambda t: torch.mvlgamma(t.abs() + 2, 2))):
        mine, ref = Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
        ours(mine).sum().backward()
        theirs(ref).sum().backward()
        np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(),
                                   rtol=1e-11, atol=1e-14)
        np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), rtol=1e-8)  # (its
        # trigamma is good to 5e-10; pi**2/6 at 1 is exact here)
    p = np.array([-0.999, -0.5, 0.0, 0.3, 0.9999])
    np.testing.assert_allclose(Tensor(p).erfinv().numpy(), torch.erfinv(torch.tensor(p)).numpy(),
                               rtol=1e-12)
    q = np.linspace(-6, 6, 25).astype(np.float32)
    for name in ("ndtr", "log_ndtr", "expit", "erfc", "entr", "sinc"):
        np.testing.assert_allclose(getattr(tg.special, name)(Tensor(q)).numpy(),
                                   getattr(torch.special, name)(torch.tensor(q)).numpy(),
                                   rtol=2e-5, atol=1e-6, err_msg=name)


def test_normal_icdf_inverts_cdf() -> None:
    normal = tg.distributions.Normal(tg.tensor([0.5, 1.0], dtype=tg.float64),
                                     tg.tensor([2.0, 0.5], dtype=tg.float64))
    p = tg.tensor([0.1, 0.975], dtype=tg.float64)
    np.testing.assert_allclose(normal.cdf(normal.icdf(p)).numpy(), p.numpy(), rtol=1e-12)
    # torch 2.13: Normal([0.5, 1.0], [2.0, 0.5]).icdf([0.1, 0.975])
    np.testing.assert_allclose(normal.icdf(p).numpy(), [-2.0631031311, 1.9799819922], rtol=1e-8)
