"""Tenth round of probes against PyTorch: non-finite values in losses and attention, lerp's
two forms, error classes, and a backward pass that never warns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

F = tg.nn.functional
INF = np.inf

try:
    import torch
except ImportError:
    torch = None


def test_an_ignored_row_adds_nothing_even_with_non_finite_logits():
    logits = [[-INF, -INF, -INF], [0.0, 1.0, 2.0]]
    want = np.log(np.exp([0.0, 1.0, 2.0]).sum()) - 1.0  # the second row alone
    x = tg.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([-100, 1]))
    assert loss.item() == pytest.approx(want, rel=1e-6)
    loss.backward()  # the ignored row's gradient is nan, as PyTorch's (softmax of -inf)
    np.testing.assert_allclose(x.grad.numpy()[1], np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum()
                               - [0, 1, 0], rtol=1e-5)
    none = F.cross_entropy(tg.tensor(logits), tg.tensor([-100, 1]), reduction="none")
    assert none.tolist()[0] == 0.0 and none.tolist()[1] == pytest.approx(want, rel=1e-6)
    assert F.nll_loss(tg.tensor([[np.nan, 0.0], [0.0, -1.0]]), tg.tensor([-100, 1])).item() == 1.0
    total = F.cross_entropy(tg.tensor([[INF, 0.0]]), tg.tensor([-100]), reduction="sum")
    assert total.item() == 0.0


def _attention(lib, mask):
    rng = np.random.default_rng(0)
    q, k, v = (lib.tensor(rng.normal(size=shape), requires_grad=True)
               for shape in ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)))
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=lib.tensor(mask))
    (out * lib.tensor(rng.normal(size=out.shape))).sum().backward()
    return [t.detach().numpy() for t in (out, q.grad, k.grad, v.grad)]


def test_a_float_mask_that_blocks_a_whole_row_gives_zeros_not_nan():
    mask = np.random.default_rng(1).normal(size=(2, 1, 3, 5))
    mask[0, 0, 1, :] = -INF
    mask[1, 0, 2, :3] = -INF
    got = _attention(tg, mask)
    assert all(np.isfinite(a).all() for a in got)
    assert (got[0][0, :, 1] == 0).all()  # the blocked row: zeros (PyTorch 2.5+)
    assert (got[1][0, :, 1] == 0).all()  # and no gradient to its query
    if torch is not None:
        for mine, theirs in zip(got, _attention(torch, mask)):
            np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("weight", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_lerp_is_exact_at_both_ends(weight):
    start, end = tg.tensor([1e8, -3.0, INF]), tg.tensor([1.0, 5.0, 1.0])
    got = tg.lerp(start, end, weight).tolist()
    if weight == 1.0:
        assert got[:2] == [1.0, 5.0]  # end exactly (start + 1 * (end - start) is 0 for 1e8)
    if weight == 0.0:
        assert got[:2] == [1e8, -3.0]
    # an infinite start: PyTorch's forms give inf for 0.5 <= w < 1, nan otherwise (0 * inf)
    assert got[2] == INF if 0.5 <= weight < 1 else np.isnan(got[2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_tensor = tg.lerp(start, end, tg.tensor([weight, weight, weight])).tolist()
    np.testing.assert_array_equal(by_tensor, got)


def test_lerp_gradients_with_a_tensor_weight():
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tg.tensor([4.0, -1.0, 0.5], requires_grad=True)
    w = tg.tensor([0.2, 0.5, 0.9], requires_grad=True)
    tg.lerp(a, b, w).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.8, 0.5, 0.1], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [0.2, 0.5, 0.9], rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), [3.0, -3.0, -2.5], rtol=1e-6)


def test_integer_division_by_zero_is_a_runtime_error_too():
    for op in (lambda a, b: a // b, lambda a, b: a % b, tg.fmod, tg.remainder):
        with pytest.raises(RuntimeError, match="division by zero"):
            op(tg.tensor([1, 2]), tg.tensor([0, 1]))
        with pytest.raises(ZeroDivisionError):
            op(tg.tensor([1, 2]), tg.tensor([0, 1]))


@pytest.mark.parametrize("method", ["pow_", "clamp_", "floor_divide_", "remainder_",
                                    "bitwise_and_", "bitwise_left_shift_", "fmod_"])
def test_an_in_place_result_too_large_for_the_tensor_is_a_runtime_error(method):
    x = tg.tensor(3)
    with pytest.raises(RuntimeError, match=r"\(2,\)"):
        getattr(x, method)(tg.tensor([1, 2]))
    assert x.item() == 3


def test_bce_with_logits_at_infinite_logits_as_pytorch():
    xs, ys = [-INF, -1000.0, 0.0, 1000.0, INF], [0.0, 0.3, 1.0]
    x = tg.tensor([a for a in xs for _ in ys], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([b for _ in xs for b in ys], dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        loss.sum().backward()
    got = loss.tolist()
    np.testing.assert_allclose(got[9:12], [1000.0, 700.0, 0.0])
    assert got[12] == INF and got[13] == INF and np.isnan(got[14])  # (1 - y) inf: nan at y=1
    assert np.isnan(got[:3]).all()
    np.testing.assert_allclose(x.grad.numpy()[6:9], [0.5, 0.2, -0.5])
    if torch is not None:
        tx = torch.tensor(x.tolist(), dtype=torch.float64, requires_grad=True)
        ty = torch.tensor(y.tolist(), dtype=torch.float64, requires_grad=True)
        want = torch.nn.functional.binary_cross_entropy_with_logits(tx, ty, reduction="none")
        want.sum().backward()
        np.testing.assert_allclose(got, want.tolist(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-12)


def test_backward_never_warns_where_pytorch_is_silent():
    x = tg.tensor([1000.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = (x.exp() * x).clamp(max=5).sum()  # inf * 1000 = inf, clamped: no warning
        loss.backward()  # 0 * inf inside Mul's rule: nan, silently (as PyTorch)
    assert np.isnan(x.grad.numpy()[0]) and x.grad.numpy()[1] == pytest.approx(2 * np.e)
    assert np.geterr()["invalid"] == "warn"  # NumPy's state is back after the pass


def _sinh_function(lib):
    class Sinh(lib.autograd.Function):  # the "saving intermediate results" tutorial's form:
        @staticmethod  # the intermediates are outputs too, so they can be saved
        def forward(ctx, x):
            ex, emx = x.exp(), (-x).exp()
            ctx.save_for_backward(ex, emx)
            return (ex - emx) / 2, ex, emx

        @staticmethod
        def backward(ctx, grad, grad_ex, grad_emx):
            ex, emx = ctx.saved_tensors
            return grad * (ex + emx) / 2 + grad_ex * ex - grad_emx * emx

    return Sinh


def test_a_function_with_several_outputs_that_saves_them_differentiates_twice():
    sinh = _sinh_function(tg)
    x = tg.tensor([0.5, -0.3], dtype=tg.float64, requires_grad=True)
    s, ex, _ = sinh.apply(x)
    (g,) = tg.autograd.grad((s * ex).sum(), x, create_graph=True)
    g.sum().backward()
    v = np.array([0.5, -0.3])  # s ex = (e^2x - 1) / 2: first derivative e^2x, second 2 e^2x
    np.testing.assert_allclose(g.detach().numpy(), np.exp(2 * v), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * v), rtol=1e-12)
    assert tg.autograd.gradgradcheck(lambda t: sinh.apply(t)[0], (x.detach().requires_grad_(),))


def test_nll_loss_takes_uint8_class_ids_as_ids_not_a_mask():
    logp = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    ids = tg.tensor(np.array([1, 0], np.uint8))
    assert F.nll_loss(logp, ids).item() == -3.0  # -(2 + 4) / 2
    weighted = F.cross_entropy(logp, ids, weight=tg.tensor([1.0, 2.0, 3.0]))
    want = (2 * (np.log(np.exp([1, 2, 3]).sum()) - 2) + (np.log(np.exp([4, 5, 6]).sum()) - 4)) / 3
    assert weighted.item() == pytest.approx(want, rel=1e-6)


def test_std_of_one_value_warns_as_pytorch_and_is_nan():
    x = tg.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        s = x.std()
    assert np.isnan(s.item())
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(tg.ones(2, 3).var(dim=1, correction=3).numpy()).all()
    assert x.var(correction=0).item() == 0.0


def test_a_pruned_module_shows_its_hook_as_the_pruning_tutorial_prints_it():
    from tinygrad_np.nn.utils import prune

    layer = tg.nn.Linear(4, 3)
    assert layer._forward_pre_hooks == {} and layer._forward_hooks == {}
    prune.l1_unstructured(layer, "weight", amount=0.5)
    (hook,) = layer._forward_pre_hooks.values()
    assert isinstance(hook, prune.L1Unstructured) and hook._tensor_name == "weight"
    handle = layer.register_forward_hook(lambda m, a, o: None)
    assert len(layer._forward_hooks) == 1
    handle.remove()
    assert layer._forward_hooks == {}
    prune.remove(layer, "weight")
    assert layer._forward_pre_hooks == {}
    assert int((layer.weight.detach().numpy() == 0).sum()) == 6
