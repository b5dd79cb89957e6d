"""Review of session 26 (rev5): PyTorch's serial samplers read their uniforms a block at a time."""

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import rng


def _unit_calls(monkeypatch) -> list:
    calls = []
    unit = rng.Stream.unit

    def counted(self, count, dtype):
        calls.append(count)
        return unit(self, count, dtype)

    monkeypatch.setattr(rng.Stream, "unit", counted)
    return calls


def test_serial_samplers_draw_uniforms_in_blocks(monkeypatch):
    calls = _unit_calls(monkeypatch)
    tg.manual_seed(0)
    tg.poisson(tg.rand(10_000) * 20)
    tg.distributions.Dirichlet(tg.ones(64, 10) * 0.5).rsample()
    tg.distributions.Binomial(100, tg.rand(1000)).sample()
    assert len(calls) < 40, len(calls)  # (one call per uniform before: tens of thousands)


def test_serial_samplers_still_pytorchs_draws_and_stream():
    torch = pytest.importorskip("torch")

    def run(lib):
        lib.manual_seed(3)
        lib.randn(1, dtype=lib.float64)  # (leaves a cached normal for the gamma draws)
        out = [lib.distributions.Gamma(lib.tensor([0.3, 1.0, 2.5, 20.0] * 8), 1.0).sample((3,)),
               lib.poisson(lib.arange(0, 40, 0.25)),
               lib.distributions.Binomial(lib.tensor([5.0, 50.0, 1000.0] * 4),
                                          lib.tensor([0.1, 0.5, 0.9] * 4)).sample((3,)),
               lib.randn(3, dtype=lib.float64), lib.rand(5)]
        return [o.numpy() for o in out]

    for mine, theirs in zip(run(tg), run(torch)):
        np.testing.assert_array_equal(mine, theirs)


def test_serial_samplers_with_a_numpy_generator_continue_its_stream():
    generator = np.random.default_rng(5)
    stream = rng.as_stream(generator)
    first = stream.poisson(np.full(50, 3.0))
    after = stream.unit(4, np.float64)
    again = rng.as_stream(np.random.default_rng(5))
    np.testing.assert_array_equal(first, again.poisson(np.full(50, 3.0)))
    np.testing.assert_array_equal(after, again.unit(4, np.float64))
    assert first.mean() == pytest.approx(3.0, abs=1.0)


@pytest.mark.parametrize(("call", "name"), [
    (lambda m: m.squeeze_(), "SqueezeBackward3"), (lambda m: m.squeeze_(1), "SqueezeBackward4"),
    (lambda m: m.squeeze_((1,)), "SqueezeBackward5"),
    (lambda m: m.unsqueeze_(0), "UnsqueezeBackward1"),
    (lambda m: m.transpose_(0, 1), "TransposeBackward1"),
    (lambda m: m.view(2, 3).t_(), "TBackward1"),
    (lambda m: m.clamp_min_(0.0), "ClampMinBackward0"),
    (lambda m: m.clamp_max_(tg.zeros(3)), "ClampMaxBackward1"),
    (lambda m: m.clamp_min(tg.zeros(3)), "ClampMinBackward1"),
    (lambda m: m.clamp_max(0.5), "ClampMaxBackward0"),
    (lambda m: m.narrow(2, 0, 3), "SliceBackward0"),  # (the whole axis: still a slice)
])
def test_in_place_views_and_clamps_have_pytorchs_node_names(call, name):
    m = tg.ones(2, 1, 3, requires_grad=True) * 1
    assert call(m).grad_fn.name() == name


def test_an_in_place_view_that_changes_nothing_keeps_the_input_node_name():
    m = tg.ones(3, requires_grad=True) * 1
    assert m.t_().grad_fn.name() == "MulBackward0"
    m = tg.ones(2, 3, requires_grad=True) * 1
    m.squeeze_()
    assert m.grad_fn.name() in ("MulBackward0", "SqueezeBackward3")
    m = tg.ones(2, 3, requires_grad=True) * 1
    with tg.no_grad():
        m.clamp_min_(2.0)
    assert m.grad_fn.name() == "MulBackward0"


def test_an_infinite_poisson_rate_gives_pytorchs_count():
    # PyTorch's int64 cast of the count: -2**63 (round 21 follows it, as the grids asked)
    assert tg.poisson(tg.tensor([1.0, float("inf")]))[1].item() == -(2.0 ** 63)
    assert tg.distributions.Poisson(tg.tensor([float("inf")])).sample().item() == -(2.0 ** 63)


def test_fused_add_products_have_pytorchs_node_names():
    x = tg.ones(5, 2, 3, requires_grad=True) * 1
    y = tg.ones(5, 3, 4, requires_grad=True) * 1
    m, v = tg.ones(2, 3, requires_grad=True) * 1, tg.ones(3, requires_grad=True) * 1
    assert tg.baddbmm(tg.ones(1), x, y).grad_fn.name() == "BaddbmmBackward0"
    assert tg.baddbmm(tg.ones(1), x, y, beta=0, alpha=2).grad_fn.name() == "BaddbmmBackward0"
    assert tg.addbmm(tg.ones(2, 4), x, y).grad_fn.name() == "AddbmmBackward0"
    assert tg.addmv(tg.ones(2), m, v).grad_fn.name() == "AddmvBackward0"
    outer = tg.addr(tg.ones(2, 3), tg.ones(2, requires_grad=True), v)
    assert outer.grad_fn.name() == "AddrBackward0"
    assert x.grad_fn.name() == "MulBackward0"


def test_reflected_arithmetic_has_pytorchs_node_names():
    m = tg.ones(2, 3, requires_grad=True) * 1
    assert (1 - m).grad_fn.name() == "RsubBackward1"
    assert (2 / m).grad_fn.name() == "MulBackward0"
    assert (2**m).grad_fn.name() == "PowBackward2"
    assert m.grad_fn.name() == "MulBackward0"


def test_adaptive_avg_pool2d_has_pytorchs_node_names():
    F = tg.nn.functional
    x = tg.ones(2, 3, 4, 4, requires_grad=True) * 1
    assert F.adaptive_avg_pool2d(x, 1).grad_fn.name() == "MeanBackward1"
    assert tg.nn.AdaptiveAvgPool2d((1, 1))(x).grad_fn.name() == "MeanBackward1"
    assert F.adaptive_avg_pool2d(x, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F.adaptive_avg_pool2d(x, (3, 2)).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert x.grad_fn.name() == "MulBackward0"


def test_repeat_interleave_has_pytorchs_node_names():
    m = tg.ones(2, 3, requires_grad=True) * 1
    assert m.repeat_interleave(2, 0).grad_fn.name() == "ViewBackward0"
    assert m.repeat_interleave(2).grad_fn.name() == "ViewBackward0"
    assert m.repeat_interleave(tg.tensor([1, 2]), 0).grad_fn.name() == "IndexSelectBackward0"


@pytest.mark.parametrize(("key", "name"), [
    ((0, Ellipsis, slice(0, 3)), "SelectBackward0"),  # (the whole last axis: no step)
    ((0, None, Ellipsis, slice(0, 3)), "UnsqueezeBackward0"),
    ((slice(0, 2), Ellipsis, slice(0, 3)), "AliasBackward0"),
    ((0, Ellipsis, slice(0, 2)), "SliceBackward0"),
])
def test_indexing_after_an_ellipsis_reads_the_right_axis(key, name):
    x = tg.ones(2, 4, 3, requires_grad=True) * 1
    assert x[key].grad_fn.name() == name
