"""Round 15: memory layouts and factory keywords as PyTorch 2.13 has them: channels_last
(an NHWC array viewed NCHW), preserve_format, empty_strided's strides, the factories'
layout / pin_memory / memory_format keywords, writes through an expand that adds nothing.

Compared with torch where it is installed, else with PyTorch's values written out."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _lib(name: str):
    return torch if name == "torch" else tg


LIBS = ["tg"] + (["torch"] if torch is not None else [])


# ----------------------------------------------------------------- channels_last layouts
@pytest.mark.parametrize("lib", LIBS)
def test_channels_last_strides_and_is_contiguous(lib):
    t = _lib(lib)
    x = t.zeros(2, 3, 4, 5)
    assert x.is_contiguous(memory_format=t.channels_last) is False
    y = x.to(memory_format=t.channels_last)
    assert tuple(y.stride()) == (60, 1, 15, 3)
    assert y.is_contiguous() is False
    assert y.is_contiguous(memory_format=t.channels_last) is True
    assert tuple(y.contiguous().stride()) == (60, 20, 5, 1)
    assert y.contiguous(memory_format=t.channels_last) is y
    assert y.to(memory_format=t.channels_last) is y
    assert x.to(memory_format=t.contiguous_format) is x
    z = t.zeros(2, 3, 4, 5, 6).contiguous(memory_format=t.channels_last_3d)
    assert tuple(z.stride()) == (360, 1, 90, 18, 3)


@pytest.mark.parametrize("lib", LIBS)
def test_channels_last_needs_rank_4(lib):
    t = _lib(lib)
    with pytest.raises(RuntimeError, match="rank 4"):
        t.zeros(3, 4, 5).to(memory_format=t.channels_last)
    with pytest.raises(RuntimeError, match="rank 5"):
        t.zeros(3, 4, 5, 6).to(memory_format=t.channels_last_3d)
    with pytest.raises(RuntimeError, match="rank 4"):
        t.empty(3, memory_format=t.channels_last)
    assert t.zeros(3, 4, 5).is_contiguous(memory_format=t.channels_last) is False


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("shape, expected", [((2, 1, 1, 1), True), ((2, 3, 1, 1), True),
                                             ((2, 1, 4, 5), True), ((1, 3, 4, 5), False)])
def test_is_contiguous_channels_last_size_one_dims(lib, shape, expected):
    t = _lib(lib)
    assert t.zeros(*shape).is_contiguous(memory_format=t.channels_last) is expected


@pytest.mark.parametrize("lib", LIBS)
def test_clone_and_like_factories_preserve_layout(lib):
    t = _lib(lib)
    y = t.zeros(2, 3, 4, 5).to(memory_format=t.channels_last)
    cl = (60, 1, 15, 3)
    assert tuple(y.clone().stride()) == cl
    assert tuple(t.zeros(2, 3, 4, 5).clone(memory_format=t.channels_last).stride()) == cl
    for like in (t.empty_like, t.zeros_like, t.ones_like, t.rand_like, t.randn_like):
        assert tuple(like(y).stride()) == cl
        assert tuple(like(y, memory_format=t.contiguous_format).stride()) == (60, 20, 5, 1)
    assert tuple(t.full_like(y, 2.0).stride()) == cl
    assert tuple(t.zeros_like(t.zeros(3, 4).t()).stride()) == (1, 4)
    assert tuple(t.zeros(3, 4).t().clone().stride()) == (1, 4)
    sliced = t.zeros(2, 3, 4, 5).permute(1, 0, 2, 3)[:, :, ::2]
    assert tuple(t.empty_like(sliced).stride()) == (10, 30, 5, 1)
    expanded = t.zeros(3).expand(4, 3)
    assert tuple(t.zeros_like(expanded).stride()) == (3, 1)


@pytest.mark.parametrize("lib", LIBS)
def test_elementwise_and_conv_keep_channels_last(lib):
    t = _lib(lib)
    y = t.arange(120.0).reshape(2, 3, 4, 5).to(memory_format=t.channels_last)
    assert tuple((y + 1).stride()) == (60, 1, 15, 3)
    assert tuple((y * y).stride()) == (60, 1, 15, 3)
    assert tuple(t.relu(y).stride()) == (60, 1, 15, 3)
    out = t.nn.functional.conv2d(y, t.ones(2, 3, 1, 1))
    assert tuple(out.stride()) == (40, 1, 10, 2)
    assert float(out[1, 1, 3, 4]) == 79 + 99 + 119  # sum over c of y[1, c, 3, 4]


def test_channels_last_values_and_gradients_unchanged():
    data = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    x = tg.tensor(data, requires_grad=True)
    y = x.to(memory_format=tg.channels_last)
    np.testing.assert_array_equal(y.numpy(), data)
    (y * tg.tensor(data)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), data)
    assert y.grad_fn is not None
    w = tg.tensor(data[:2, :, :1, :1].copy(), requires_grad=True)
    out = tg.nn.functional.conv2d(y, w)
    reference = tg.nn.functional.conv2d(tg.tensor(data), tg.tensor(data[:2, :, :1, :1].copy()))
    np.testing.assert_allclose(out.detach().numpy(), reference.numpy(), rtol=1e-12)


@needs_torch
def test_channels_last_conv_gradients_match_torch():
    data = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
    weight = np.random.default_rng(2).standard_normal((4, 3, 3, 3))
    grads = []
    for t in (tg, torch):
        x = t.tensor(data, requires_grad=True)
        w = t.tensor(weight, requires_grad=True)
        out = t.nn.functional.conv2d(x.contiguous(memory_format=t.channels_last), w, padding=1)
        (out * out).sum().backward()
        grads.append((out.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("lib", LIBS)
def test_module_to_channels_last(lib):
    t = _lib(lib)
    model = t.nn.Sequential(t.nn.Conv2d(3, 2, 1), t.nn.Linear(3, 2))
    before = model[0].weight.detach().numpy().copy()
    assert model.to(memory_format=t.channels_last) is model
    assert tuple(model[0].weight.stride()) == (3, 1, 3, 3)
    assert tuple(model[1].weight.stride()) == (3, 1)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), before)
    assert model[0].weight.requires_grad


@pytest.mark.parametrize("lib", LIBS)
def test_resize_with_memory_format(lib):
    t = _lib(lib)
    x = t.zeros(3)
    assert tuple(x.resize_(2, 3, 4, 5, memory_format=t.channels_last).stride()) == (60, 1, 15, 3)
    y = t.zeros(3).resize_as_(t.zeros(2, 3, 4, 5), memory_format=t.channels_last)
    assert tuple(y.stride()) == (60, 1, 15, 3)
    template = t.zeros(2, 3, 4, 5).to(memory_format=t.channels_last)
    assert tuple(t.zeros(3).resize_as_(template).stride()) == (60, 20, 5, 1)  # not template's


@pytest.mark.parametrize("lib", LIBS)
def test_empty_permuted_lays_memory_out(lib):
    t = _lib(lib)
    assert tuple(t.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)).stride()) == (60, 1, 15, 3)


# ----------------------------------------------------------------- factory keywords
@pytest.mark.parametrize("lib", LIBS)
def test_empty_memory_format(lib):
    t = _lib(lib)
    assert tuple(t.empty(2, 3, 4, 5, memory_format=t.channels_last).stride()) == (60, 1, 15, 3)
    assert tuple(t.empty(3, memory_format=t.contiguous_format).stride()) == (1,)
    with pytest.raises(RuntimeError):
        t.empty(3, memory_format=t.preserve_format)
    with pytest.raises(TypeError):
        t.zeros(2, 3, 4, 5, memory_format=t.channels_last)


FACTORIES = {
    "empty": lambda t, **k: t.empty(2, 3, **k), "zeros": lambda t, **k: t.zeros(2, 3, **k),
    "ones": lambda t, **k: t.ones(2, 3, **k), "full": lambda t, **k: t.full((2, 3), 1.0, **k),
    "rand": lambda t, **k: t.rand(2, 3, **k), "randn": lambda t, **k: t.randn(2, 3, **k),
    "randint": lambda t, **k: t.randint(3, (2, 3), **k),
    "randperm": lambda t, **k: t.randperm(3, **k), "arange": lambda t, **k: t.arange(3.0, **k),
    "linspace": lambda t, **k: t.linspace(0.0, 1.0, 3, **k),
    "logspace": lambda t, **k: t.logspace(0.0, 1.0, 3, **k), "eye": lambda t, **k: t.eye(3, **k),
    "tensor": lambda t, **k: t.tensor([1.0], **k),
    "empty_like": lambda t, **k: t.empty_like(t.zeros(2), **k),
    "zeros_like": lambda t, **k: t.zeros_like(t.zeros(2), **k),
    "ones_like": lambda t, **k: t.ones_like(t.zeros(2), **k),
    "full_like": lambda t, **k: t.full_like(t.zeros(2), 1.0, **k),
    "rand_like": lambda t, **k: t.rand_like(t.zeros(2), **k),
    "randn_like": lambda t, **k: t.randn_like(t.zeros(2), **k),
    "randint_like": lambda t, **k: t.randint_like(t.zeros(2), 3, **k),
    "new_empty": lambda t, **k: t.zeros(2).new_empty(2, **k),
    "new_zeros": lambda t, **k: t.zeros(2).new_zeros(2, **k),
    "new_ones": lambda t, **k: t.zeros(2).new_ones(2, **k),
    "new_full": lambda t, **k: t.zeros(2).new_full((2,), 1.0, **k),
    "new_empty_strided": lambda t, **k: t.zeros(2).new_empty_strided((2,), (1,), **k),
    "empty_strided": lambda t, **k: t.empty_strided((2,), (1,), **k),
    "tril_indices": lambda t, **k: t.tril_indices(3, 3, **k),
    "scalar_tensor": lambda t, **k: t.scalar_tensor(1.0, **k),
    "hann_window": lambda t, **k: t.hann_window(4, **k),
    "kaiser_window": lambda t, **k: t.kaiser_window(4, **k),
    "normal": lambda t, **k: t.normal(0.0, 1.0, (2,), **k),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_placement_keywords(lib, name):
    t = _lib(lib)
    make = FACTORIES[name]
    for keywords in ({"pin_memory": False}, {"device": "cpu"}):
        assert make(t, **keywords).device.type == "cpu"
    if name != "tensor":
        assert make(t, layout=t.strided).layout is t.strided
    with pytest.raises(RuntimeError, match="pin_memory"):
        make(t, pin_memory=True)


@pytest.mark.parametrize("lib", LIBS)
def test_multinomial_and_normal_take_out(lib):
    t = _lib(lib)
    out = t.zeros(2, dtype=t.int64)
    assert t.multinomial(t.ones(3), 2, out=out) is out
    assert len(set(out.tolist())) == 2
    samples = t.zeros(4)
    assert t.normal(0.0, 1.0, (4,), out=samples) is samples


# ----------------------------------------------------------------- empty_strided
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("size, stride", [((2, 3), (1, 2)), ((2, 3), (0, 1)), ((2, 3), (4, 1)),
                                          ((0, 3), (3, 1))])
def test_empty_strided_keeps_strides(lib, size, stride):
    t = _lib(lib)
    x = t.empty_strided(size, stride)
    assert tuple(x.shape) == size
    if x.numel():
        assert tuple(x.stride()) == stride
    assert tuple(t.ones(1, dtype=t.float64).new_empty_strided(size, stride).stride()) == \
        tuple(x.stride())


def test_empty_strided_is_usable():
    x = tg.empty_strided((2, 3), (1, 2), requires_grad=True)
    with tg.no_grad():
        x.fill_(1.0)
        x[0, 1] = 5.0
    np.testing.assert_array_equal(x.detach().numpy(), [[1, 5, 1], [1, 1, 1]])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 10, 2], [2, 2, 2]])
    assert tg.zeros(1, dtype=tg.float64).new_empty_strided((2,), (1,)).dtype == tg.float64


# ----------------------------------------------------------------- writes through expand
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("make", [lambda x: x.expand(3, 4), lambda x: x.expand_as(x),
                                  lambda x: x.expand(-1, 4), lambda x: x.expand(1, 3, 4)[0]])
def test_write_through_an_expand_that_adds_nothing(lib, make):
    t = _lib(lib)
    x = t.zeros(3, 4)
    e = make(x)
    e[0, 0] = 1
    e[2].add_(2)
    assert x[0, 0].item() == 1 and x[2].tolist() == [2.0] * 4


@pytest.mark.parametrize("lib", LIBS)
def test_expand_that_adds_nothing_keeps_gradients(lib):
    t = _lib(lib)
    x = t.ones(3, 4, dtype=t.float64, requires_grad=True)
    y = x.expand(1, 3, 4) * t.arange(12.0, dtype=t.float64).reshape(3, 4)
    y.sum().backward()
    assert x.grad.tolist() == np.arange(12.0).reshape(3, 4).tolist()
    with pytest.raises(RuntimeError):
        t.zeros(1, 4).expand(3, 4).add_(1)


# ----------------------------------------------------------------- PyTorch's refusals
def _float64_one(t):
    return t.ones(1, dtype=t.float64)


IN_PLACE_DTYPE = {
    "index_add_": lambda t, x: x.index_add_(0, t.tensor([0]), _float64_one(t)),
    "index_copy_": lambda t, x: x.index_copy_(0, t.tensor([0]), _float64_one(t)),
    "scatter_": lambda t, x: x.scatter_(0, t.tensor([0]), _float64_one(t)),
    "scatter_add_": lambda t, x: x.scatter_add_(0, t.tensor([0]), _float64_one(t)),
    "scatter_reduce_": lambda t, x: x.scatter_reduce_(0, t.tensor([0]), _float64_one(t), "sum"),
    "index_reduce_": lambda t, x: x.index_reduce_(0, t.tensor([0]), _float64_one(t), "prod"),
    "index_put_": lambda t, x: x.index_put_((t.tensor([0]),), t.tensor([1])),
    "masked_scatter_": lambda t, x: x.masked_scatter_(t.tensor([True, False, False]),
                                                      t.ones(3, dtype=t.float64)),
    "put_": lambda t, x: x.put_(t.tensor([0]), _float64_one(t)),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", sorted(IN_PLACE_DTYPE))
def test_in_place_index_ops_need_self_dtype(lib, name):
    t = _lib(lib)
    x = t.zeros(3)
    with pytest.raises(RuntimeError):
        IN_PLACE_DTYPE[name](t, x)
    assert x.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("lib", LIBS)
def test_same_dtype_sources_still_work(lib):
    t = _lib(lib)
    x = t.zeros(3)
    x.index_add_(0, t.tensor([0, 0]), t.ones(2))
    x.scatter_(0, t.tensor([1]), t.full((1,), 5.0))
    x.index_put_((t.tensor([2]),), t.tensor(7.0))
    assert x.tolist() == [2.0, 5.0, 7.0]


@pytest.mark.parametrize("lib", LIBS)
def test_scatter_index_larger_than_src(lib):
    t = _lib(lib)
    with pytest.raises(RuntimeError):
        t.zeros(3, 4).scatter_(1, t.tensor([[0, 1]]), t.ones(1, 1))
    with pytest.raises(RuntimeError):
        t.zeros(3, 4).scatter_add_(1, t.tensor([[0, 1]]), t.ones(1, 1))
    with pytest.raises(RuntimeError):
        t.zeros(1, 4).scatter(1, t.tensor([[0], [0]]), t.ones(2, 1))
    ok = t.zeros(3, 4).scatter_(1, t.tensor([[0, 1]]), t.ones(2, 3))
    assert ok.sum().item() == 2.0


@pytest.mark.parametrize("lib", LIBS)
def test_fill_value_tensors_must_be_zero_dim(lib):
    t = _lib(lib)
    with pytest.raises(RuntimeError, match="0-dimensional"):
        t.zeros(3).index_fill_(0, t.tensor([0]), t.tensor([1.0]))
    with pytest.raises(RuntimeError, match="0-dimensional"):
        t.zeros(3).masked_fill_(t.tensor([True, False, False]), t.tensor([1.0]))
    x = t.zeros(3).masked_fill_(t.tensor([True, False, False]), t.tensor(2.0))
    assert x.index_fill_(0, t.tensor([2]), t.tensor(3.0)).tolist() == [2.0, 0.0, 3.0]


@pytest.mark.parametrize("lib", LIBS)
def test_exception_types(lib):
    t = _lib(lib)
    with pytest.raises(TypeError):
        t.zeros(2)["a"]
    with pytest.raises(TypeError):
        t.zeros(3, 4).index_put_((None, t.tensor([0, 2])), t.ones(1))
    with pytest.raises(IndexError):
        t.zeros(3, 4).index_copy_(0, t.tensor([0]), t.ones(2, 4))
    with pytest.raises(RuntimeError):
        t.zeros(3, 4).index_add_(0, t.tensor([0]), t.ones(2, 4))


# ----------------------------------------------------------------- small tensor queries
@pytest.mark.parametrize("lib", LIBS)
def test_mT_of_a_0d_tensor_is_itself_with_a_warning(lib):
    t = _lib(lib)
    x = t.tensor(1.5)
    with pytest.warns(UserWarning, match="deprecated on 0-D"):
        assert x.mT.item() == 1.5
    with pytest.raises(RuntimeError):
        _ = t.tensor([1.0, 2.0]).mT


@pytest.mark.parametrize("lib", LIBS)
def test_share_memory_and_is_set_to(lib):
    t = _lib(lib)
    x = t.zeros(3)
    assert x.is_shared() is False
    assert x.share_memory_() is x and x.is_shared() is True
    a = t.zeros(3)
    assert a.is_set_to(a) and a.is_set_to(a.view(3))
    assert not a.is_set_to(t.zeros(3))
    assert not a.is_set_to(a[1:]) and not a.is_set_to(a.view(1, 3))
