"""Thirteenth round of probes against PyTorch (session 19): a 0-d float tensor first beside an
n-d tensor of another float dtype, integer promotion of gcd/lcm, and what the probes of this
round found."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "")


# A 0-d float tensor does not widen an n-d float operand, on either side (PyTorch's
# result_type): tensor(2.) * half is half, as half * tensor(2.).
ZERO_D_FIRST = {
    "+": lambda s, a: s + a, "-": lambda s, a: s - a, "*": lambda s, a: s * a,
    "/": lambda s, a: s / a, "**": lambda s, a: s ** a, "%": lambda s, a: s % a,
    "//": lambda s, a: s // a, "add": lambda s, a: s.add(a),
    "add alpha": lambda s, a: s.add(a, alpha=2), "sub alpha": lambda s, a: s.sub(a, alpha=2),
    "mul": lambda s, a: s.mul(a), "div": lambda s, a: s.div(a), "pow": lambda s, a: s.pow(a),
    "maximum": lambda s, a: s.maximum(a),
    "minimum": lambda s, a: s.minimum(a), "fmax": lambda s, a: s.fmax(a),
    "hypot": lambda s, a: s.hypot(a), "logaddexp": lambda s, a: s.logaddexp(a),
    "fmod": lambda s, a: s.fmod(a), "remainder": lambda s, a: s.remainder(a),
}


@pytest.mark.parametrize("name", list(ZERO_D_FIRST))
@pytest.mark.parametrize("pair", [("float32", "float16"), ("float64", "float32"),
                                  ("float64", "float16"), ("float16", "float32")])
def test_zero_d_float_first_takes_the_n_d_float_dtype(name, pair):
    scalar_dtype, array_dtype = pair
    s = tg.tensor(1.5, dtype=getattr(tg, scalar_dtype), requires_grad=True)
    a = tg.tensor([0.5, 2.0, 3.0], dtype=getattr(tg, array_dtype), requires_grad=True)
    out = ZERO_D_FIRST[name](s, a)
    assert _name(out.dtype) == array_dtype
    if name not in ("%", "//", "fmod", "remainder"):
        out.sum().backward()
        assert s.grad.dtype == s.dtype and a.grad.dtype == a.dtype
    s64, a64 = (tg.tensor(t.detach().numpy().astype(np.float64)) for t in (s, a))
    np.testing.assert_allclose(out.detach().numpy().astype(np.float64),
                               ZERO_D_FIRST[name](s64, a64).numpy(), rtol=2e-3)


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", list(ZERO_D_FIRST))
def test_zero_d_float_first_like_pytorch(name):
    for d0, d1 in itertools.product(("float16", "float32", "float64"), repeat=2):
        for first in (True, False):
            seen = []
            for lib in (tg, torch):
                s = lib.tensor(1.5, dtype=getattr(lib, d0), requires_grad=True)
                a = lib.tensor([0.5, 2.0, 3.0], dtype=getattr(lib, d1), requires_grad=True)
                out = ZERO_D_FIRST[name](s, a) if first else ZERO_D_FIRST[name](a, s)
                seen.append((_name(out.dtype), out.detach().double().numpy()))
            assert seen[0][0] == seen[1][0], (d0, d1, first)
            np.testing.assert_allclose(seen[0][1], seen[1][1], rtol=2e-3)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_where_with_a_zero_d_float_operand(lib):
    s, a = lib.tensor(2.0), lib.ones(3, dtype=lib.float16)
    assert _name(lib.where(lib.tensor([True, False, True]), s, a).dtype) == "float16"
    assert _name(lib.where(lib.tensor([True, False, True]), a, s).dtype) == "float16"
    assert _name(s.where(lib.tensor(True), a).dtype) == "float16"


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("fn", ["gcd", "lcm"])
def test_gcd_lcm_integer_promotion(lib, fn):
    f = getattr(lib, fn)
    i32 = lib.tensor([4, 6], dtype=lib.int32)
    assert _name(f(i32, lib.tensor(4)).dtype) == "int32"  # a 0-d tensor does not widen
    assert _name(f(lib.tensor([4, 6]), lib.tensor(4, dtype=lib.int32)).dtype) == "int64"
    assert _name(f(i32, lib.tensor([4, 4])).dtype) == "int64"
    assert f(i32, lib.tensor(4)).tolist() == ([4, 2] if fn == "gcd" else [4, 12])
