"""Round 15 of the probes against PyTorch: views of op results kept in another memory order
(conv, pooling, interpolate, reflect pad, reductions of permuted input) followed by .view(),
resize_ keeping its views, conversion and factory keywords, memory formats, writes through a
no-op expand, empty_strided's strides, and PyTorch's errors for mismatched index ops."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _np(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


# ------------------------------------------------------------ views of op results, then .view()
VIEW_AFTER = {
    "interpolate[0]": lambda L, x: L.nn.functional.interpolate(x, scale_factor=2)[0],
    "conv2d.flatten": lambda L, x: L.nn.functional.conv2d(x, L.ones(4, 3, 3, 3,
                                                                    dtype=x.dtype)).flatten(1),
    "max_pool2d.unsqueeze": lambda L, x: L.nn.functional.max_pool2d(x, 2).unsqueeze(0),
    "avg_pool2d[1:]": lambda L, x: L.nn.functional.avg_pool2d(x, 2)[1:],
    "adaptive_avg_pool2d[1]": lambda L, x: L.nn.functional.adaptive_avg_pool2d(x, 3)[1],
    "reflect pad[:1]": lambda L, x: L.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")[:1],
    "conv_transpose2d.split": lambda L, x: L.nn.functional.conv_transpose2d(
        x, L.ones(3, 2, 3, 3, dtype=x.dtype)).split(1)[1],
    "conv1d[0]": lambda L, x: L.nn.functional.conv1d(x.flatten(2), L.ones(4, 3, 3,
                                                                         dtype=x.dtype))[0],
    "max_pool1d.unsqueeze": lambda L, x: L.nn.functional.max_pool1d(x.flatten(2),
                                                                     2).unsqueeze(1),
    "logsumexp of transposed": lambda L, x: x.transpose(1, 3).logsumexp(0).unsqueeze(0),
}


@pytest.mark.parametrize("name", VIEW_AFTER)
@pytest.mark.parametrize("lib", LIBS)
def test_view_of_an_op_result_can_be_viewed_flat(lib, name):
    x = lib.tensor(np.arange(2 * 3 * 6 * 6, dtype=np.float64).reshape(2, 3, 6, 6) % 7,
                   requires_grad=True)
    derived = VIEW_AFTER[name](lib, x)
    flat = derived.view(-1)
    assert tuple(flat.shape) == (derived.numel(),)
    np.testing.assert_allclose(_np(flat), _np(derived.reshape(-1)))
    weights = lib.tensor(np.linspace(-1, 1, flat.numel()))
    (flat * weights).sum().backward()
    if lib is tg and torch is not None:
        t = torch.tensor(_np(x), requires_grad=True)
        t_flat = VIEW_AFTER[name](torch, t).view(-1)
        np.testing.assert_allclose(_np(flat), _np(t_flat))
        (t_flat * torch.tensor(np.linspace(-1, 1, flat.numel()))).sum().backward()
        np.testing.assert_allclose(_np(x.grad), _np(t.grad))


@pytest.mark.parametrize("lib", LIBS)
def test_sibling_view_then_view_of_the_base(lib):
    y = lib.nn.Upsample(scale_factor=2)(lib.ones(2, 3, 4, 4))
    sibling = y[:, :1]
    assert tuple(y.view(2, -1).shape) == (2, 192)
    y.view(-1)[0] = 5.0  # the sibling still sees the base's memory
    assert float(sibling[0, 0, 0, 0]) == 5.0


@pytest.mark.parametrize("lib", LIBS)
def test_a_view_taken_of_a_transpose_still_shares_memory(lib):
    x = lib.zeros(3, 4)
    row = x.t()[1]
    row[2] = 7.0
    assert float(x[2, 1]) == 7.0
    with pytest.raises(RuntimeError):
        x.t().view(-1)


@pytest.mark.parametrize("lib", LIBS)
def test_view_of_conv_result_writes_through(lib):
    y = lib.nn.functional.conv2d(lib.ones(2, 3, 6, 6), lib.ones(4, 3, 3, 3))
    first = y[0]
    first.view(-1)[0] = -1.0
    assert float(y[0, 0, 0, 0]) == -1.0
    assert y.is_contiguous() and first.is_contiguous()


# ------------------------------------------------------------------------ resize_ keeps its views
RESIZES = {  # (code, the list it leaves in r): expected values from PyTorch 2.13
    "shrink, view of the start": ("x=L.arange(6.); v=x[:3]; x.resize_(2, 3); x[0, 0]=9; "
                                  "r=v.tolist()", [9.0, 1.0, 2.0]),
    "view resized": ("b=L.arange(6.); x=b.view(6); x.resize_(4); x[0]=9; r=b.tolist()",
                     [9.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
    "base shrunk, old view": ("x=L.arange(6.); v=x.view(2, 3); x.resize_(4); x[1]=9; "
                              "r=v.tolist()", [[0.0, 9.0, 2.0], [3.0, 4.0, 5.0]]),
    "offset view": ("x=L.arange(6.); v=x[2:]; v.resize_(2, 2); v[0, 0]=9; r=x.tolist()",
                    [0.0, 1.0, 9.0, 3.0, 4.0, 5.0]),
    "grown: views follow": ("x=L.arange(6.); v=x[:3]; x.resize_(10); x[0]=9; "
                            "r=v.tolist() + [x.numel(), x[:6].tolist()]",
                            [9.0, 1.0, 2.0, 10, [9.0, 1.0, 2.0, 3.0, 4.0, 5.0]]),
    "offset view grown": ("x=L.arange(6.); v=x[2:]; v.resize_(5); v[0]=9; "
                          "r=x.tolist() + v[:4].tolist()",
                          [0.0, 1.0, 9.0, 3.0, 4.0, 5.0, 9.0, 3.0, 4.0, 5.0]),
    "same shape keeps strides": ("t=L.arange(6.).view(2, 3).t(); t.resize_(3, 2); "
                                 "r=[t.tolist(), list(t.stride())]",
                                 [[[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]], [1, 3]]),
    "transposed, flattened": ("t=L.arange(6.).view(2, 3).t(); t.resize_(6); r=t.tolist()",
                              [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
    "resize_as_": ("x=L.arange(6.); v=x[:]; x.resize_as_(L.zeros(2, 3)); x[0, 1]=7; "
                   "r=v.tolist()", [0.0, 7.0, 2.0, 3.0, 4.0, 5.0]),
}


@pytest.mark.parametrize("name", RESIZES)
@pytest.mark.parametrize("lib", LIBS)
def test_resize_keeps_sharing_memory(lib, name):
    code, expected = RESIZES[name]
    env = {"L": lib}
    exec(code, env)
    assert env["r"] == expected


def test_resize_then_a_view_shares_the_version_counter():
    x = tg.arange(6.0)
    x.resize_(2, 2)
    row = x[0]
    row.add_(1)
    assert x._version == row._version == 2  # (resize_ and add_, as PyTorch)
    assert x.tolist() == [[1.0, 2.0], [2.0, 3.0]]


# --------------------------------------------------------------------- strides of size-1 axes
STRIDES = {  # expression: PyTorch 2.13's strides
    "x[None]": (24, 12, 4, 1),
    "x[:, None, :, None]": (12, 12, 4, 4, 1),
    "x[..., None]": (12, 4, 1, 1),
    "L.zeros(3).expand(1, 3)": (3, 1),
    "L.zeros(3, 1).expand(3, 1)": (1, 1),
    "L.zeros(3, 1).expand(1, 3, 1)": (3, 1, 1),
    "x.permute(2, 0, 1)[None]": (4, 1, 12, 4),
    "x[:, :, ::2][None]": (24, 12, 4, 2),
    "L.zeros(3)[None].expand(4, 3)[None]": (0, 0, 1),
    "x[0:1]": (12, 4, 1),
    "L.zeros(2, 1, 3)[:, :, None]": (3, 3, 3, 1),
}


@pytest.mark.parametrize("expression", STRIDES)
@pytest.mark.parametrize("lib", LIBS)
def test_strides_of_size_one_axes(lib, expression):
    result = eval(expression, {"L": lib, "x": lib.zeros(2, 3, 4)})
    assert tuple(result.stride()) == STRIDES[expression]
    assert result.stride(0) == STRIDES[expression][0]


# ------------------------------------------------- results of permuted input are C-ordered
REDUCED = ["p.sum(0)", "p.mean(1)", "p.amax(2)", "p.amin(0)", "p.std(1)", "p.var(0)",
           "p.norm(dim=0)", "p.prod(2)", "p.any(0)", "p.all(1)", "p.count_nonzero(2)",
           "p.nansum(1)", "p.cumsum(1)", "p.cumprod(1)", "p.softmax(1)", "p.log_softmax(1)",
           "L.cat([p, p], 1)", "L.stack([p, p])", "p.transpose(1, 2).logsumexp(0)"]


@pytest.mark.parametrize("perm", [(0, 2, 1), (1, 2, 0), (2, 1, 0), (2, 0, 1)])
@pytest.mark.parametrize("expression", REDUCED)
@pytest.mark.parametrize("lib", LIBS)
def test_reductions_of_permuted_input_are_contiguous(lib, expression, perm):
    p = (lib.arange(24.0).reshape(2, 3, 4) - 10).permute(*perm)
    result = eval(expression, {"L": lib, "p": p})
    assert result.is_contiguous()
    rows = int(np.prod(result.shape[:-1])) if result.ndim else 1
    assert tuple(result.view(rows, -1).shape) == (rows, result.numel() // rows)


@needs_torch
@pytest.mark.parametrize("expression", ["p.sum(0)", "p.softmax(1)", "p.prod(2)", "p.cumsum(1)",
                                        "p.norm(dim=0)", "L.cat([p, p], 1)"])
def test_reductions_of_permuted_input_values_and_gradients(expression):
    values = np.linspace(0.5, 2.0, 24).reshape(2, 3, 4)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(values, requires_grad=True)
        out = eval(expression, {"L": lib, "p": x.permute(1, 2, 0)})
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        results.append((_np(out), _np(x.grad)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


# ------------------------------------------------ conversion methods take PyTorch's keywords
CONVERSIONS = {  # expression: the dtype name it gives
    "x.copy_(L.ones(3), non_blocking=True)": "float32",
    "x.type(L.float64, non_blocking=True)": "float64",
    "x.type(L.float64, True)": "float64",
    "x.cpu(memory_format=L.contiguous_format)": "float32",
    "x.double(memory_format=L.preserve_format)": "float64",
    "x.float(memory_format=L.preserve_format)": "float32",
    "x.half(memory_format=L.preserve_format)": "float16",
    "x.long(memory_format=L.preserve_format)": "int64",
    "x.int(memory_format=L.preserve_format)": "int32",
    "x.short(memory_format=L.preserve_format)": "int16",
    "x.char(memory_format=L.preserve_format)": "int8",
    "x.byte(memory_format=L.preserve_format)": "uint8",
    "x.bool(memory_format=L.preserve_format)": "bool",
    "x.to('cpu', L.float64, True)": "float64",
}


@pytest.mark.parametrize("expression", CONVERSIONS)
@pytest.mark.parametrize("lib", LIBS)
def test_conversions_take_non_blocking_and_memory_format(lib, expression):
    result = eval(expression, {"L": lib, "x": lib.zeros(3)})
    assert str(result.dtype).rsplit(".", 1)[-1] == CONVERSIONS[expression]


@pytest.mark.parametrize("lib", LIBS)
def test_to_positional_copy_flag(lib):
    x = lib.zeros(3)
    assert x.to("cpu", lib.float32, False, False) is x
    copied = x.to("cpu", lib.float32, False, True)
    assert copied is not x and copied.tolist() == [0.0, 0.0, 0.0]


def test_overlapping_in_place_source_is_refused():
    """As PyTorch (round 16; this was a deliberate difference): a source that partly overlaps
    the written memory is refused; a clone() of it is the well-defined spelling."""
    x = tg.arange(6.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:].copy_(x[:-1])
    x[1:].copy_(x[:-1].clone())
    assert x.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    y = tg.arange(6.0)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        y[1:] += y[:-1]
    assert y.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
