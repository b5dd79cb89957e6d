"""Review of session 25's merged changes (12f49e8..f91d512): each test fails on the merged
code (f91d512) and passes with its fix."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch")


def test_mark_dirty_output_accepts_a_later_in_place_write():
    """The custom-view refusal flagged a mark_dirty output (the input itself, rebased onto
    the function's node, not a view): PyTorch lets it, and the input, be written again."""

    class Double(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            x.mul_(2)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    a = tg.ones(3, requires_grad=True)
    y = Double.apply(a.clone())
    y.add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])
    b = a.clone()
    Double.apply(b)
    b.add_(1)  # (the input, also written: allowed)
    np.testing.assert_array_equal(b.detach().numpy(), [3.0, 3.0, 3.0])


def test_jvp_strict_refuses_any_output_without_a_tangent():
    """jvp(strict=True) raised only when every output was independent of the primals;
    PyTorch's check is per output (one constant output raises), as it was here before."""
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="independent of the inputs"):
        tg.func.jvp(lambda x: (x * 2, tg.ones(2)), (x,), (tg.ones(2),), strict=True)
    with pytest.raises(RuntimeError, match="independent of the inputs"):
        tg.func.jvp(lambda x: (x * 2, (x > 1).long()), (x,), (tg.ones(2),), strict=True)
    _, tangent = tg.func.jvp(lambda x: x * 3, (x,), (tg.ones(2),), strict=True)
    np.testing.assert_array_equal(tangent.numpy(), [3.0, 3.0])


def test_setup_context_apply_binds_only_when_defaults_are_missing(monkeypatch):
    """A setup_context-style forward with a default bound its arguments on every apply (an
    inspect.signature and bind per call: 5x the apply's cost); now only when some are
    missing (setup_context still sees the defaults), or given by keyword."""
    import inspect

    class Scale(tg.autograd.Function):
        @staticmethod
        def forward(x, k=2.0, *, shift=0.0):
            return x * k + shift

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None

    class Pow(tg.autograd.Function):
        @staticmethod
        def forward(x, k=2.0):
            return x ** k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.k * x ** (ctx.k - 1), None

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    Pow.apply(x).sum().backward()  # (the default reaches setup_context)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(Scale.apply(x, 3.0).detach().numpy(), [3.0, 6.0])
    with pytest.raises(TypeError, match="shift"):  # (was dropped silently: PyTorch raises)
        Scale.apply(x, 3.0, shift=1.0)
    calls = []
    real = inspect.signature
    monkeypatch.setattr(inspect, "signature", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        Pow.apply(x, 3.0)
    assert not calls
    np.testing.assert_array_equal(Pow.apply(x).detach().numpy(), [1.0, 4.0])


def test_vmap_keeps_no_slice_temporaries_written_in_place():
    """vmap's check of writes into captured tensors held every tensor written in place until
    vmap returned: a slice's temporaries (an in-place ReLU's activations, say) piled up, the
    batch's worth at once. Now noted weakly; a captured tensor written twice still raises."""
    import tracemalloc

    def f(x):
        y = x.clone()
        y.mul_(2)
        return y.sum()

    x = tg.tensor(np.ones((200, 5000)))  # 8 MB, 40 kB a slice
    tg.func.vmap(f)(x[:2])
    tracemalloc.start()
    try:
        np.testing.assert_array_equal(tg.func.vmap(f)(x).numpy(), np.full(200, 10000.0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2e6, peak
    total = tg.zeros(3)

    def g(x):
        total.add_(1)
        return x * 2

    with pytest.raises(RuntimeError, match="captures from outside"):
        tg.func.vmap(g)(tg.ones(2, 3))


def test_vmap_rule_not_used_on_a_slice_written_in_place():
    """A custom Function's vmap rule ran once on vmap's input as it was at the first slice:
    a slice the function wrote in place before applying it then got the rule's output of its
    old values (silently wrong: [[4, 9], [9, 16]]); now such a slice runs forward."""

    class Square(tg.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * grad * x

        @staticmethod
        def vmap(info, in_dims, x):
            return x * x, in_dims[0]

    def f(x):
        x.add_(1)
        return Square.apply(x)

    out = tg.func.vmap(f)(tg.tensor([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(out.numpy(), [[4.0, 9.0], [16.0, 25.0]])
    out = tg.func.vmap(Square.apply)(tg.tensor([[1.0, 2.0], [3.0, 4.0]]))  # (the rule)
    np.testing.assert_array_equal(out.numpy(), [[1.0, 4.0], [9.0, 16.0]])


def test_dual_level_lets_a_function_without_jvp_run_where_no_dual_reaches():
    """forward_ad.dual_level() now enters forward mode, and a custom Function without `jvp`
    raised as soon as it was applied to any tensor requiring grad; PyTorch (and this library
    before) raises only when a dual reaches it."""
    fw = tg.autograd.forward_ad

    class Triple(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return 3 * grad

    w = tg.ones(2, requires_grad=True)
    with fw.dual_level():
        dual = fw.make_dual(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 1.0]))
        (Triple.apply(w) * dual).sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), [3.0, 6.0])
        with pytest.raises(NotImplementedError, match="jvp"):
            fw.unpack_dual(Triple.apply(dual))


def test_vmap_rule_runs_once_for_a_number_computed_in_each_slice():
    """The vmap rule's cache keyed its arguments by identity: a number computed inside the
    function (a new float object per slice) missed it, and the rule ran on the whole batch
    once per slice (batch^2 work). Numbers are keyed by value (-0.0 apart from 0.0)."""
    calls = []

    class Scale(tg.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.k, None

        @staticmethod
        def vmap(info, in_dims, x, k):
            calls.append(k)
            return x * k, in_dims[0]

    k = 3
    out = tg.func.vmap(lambda x: Scale.apply(x, k * 0.5))(tg.ones(16, 2))
    np.testing.assert_array_equal(out.numpy(), np.full((16, 2), 1.5))
    assert len(calls) == 1
    tg.func.vmap(lambda x: (Scale.apply(x, -0.0 * k), Scale.apply(x, 0.0 * k)))(tg.ones(2, 2))
    assert [str(c) for c in calls[1:]] == ["-0.0", "0.0"]
