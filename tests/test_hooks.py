"""Tensor.register_hook, written from the outside and compared with PyTorch where installed:
when a hook runs, what it sees, what replacing the gradient does, and what is refused."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None


def _run(lib, case):
    """Run `case(lib, seen)`; returns what it returns and the gradients hooks saw, as arrays."""
    seen = []
    out = case(lib, seen)
    def as_array(t):
        return np.array(t.numpy() if lib is tg else t.detach().numpy())

    return [as_array(t) for t in out], [as_array(g) for g in seen]


def leaf_doubled(lib, seen):
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.clone()) or g * 2)
    (x * x).sum().backward()
    return [x.grad]


def leaf_used_twice_sees_the_sum_once(lib, seen):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * 2 + x * 3).sum().backward()
    return [x.grad]


def intermediate_replaced_before_its_rule(lib, seen):
    x = lib.tensor([0.5, 1.5], requires_grad=True)
    h = x.exp()
    h.register_hook(lambda g: seen.append(g.clone()) or g * 10)
    (h * h).sum().backward()
    return [x.grad]


def retained_grad_is_the_hooked_one(lib, seen):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.register_hook(lambda g: g + 1)
    h.retain_grad()
    (h ** 2).sum().backward()
    return [h.grad, x.grad]


def hooks_run_in_order(lib, seen):
    x = lib.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: seen.append(g.clone()) or g + 1)
    x.register_hook(lambda g: seen.append(g.clone()) or g * 3)
    (x * 2).sum().backward()
    return [x.grad]


def removed_hook_does_not_run(lib, seen):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    y = x * 1
    other = y.register_hook(lambda g: g * 100)
    handle.remove()
    other.remove()
    (y * 4).sum().backward()
    return [x.grad]


def hook_in_autograd_grad(lib, seen):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    h = x.sin()
    h.register_hook(lambda g: seen.append(g.clone()) or g - 1)
    (g,) = lib.autograd.grad((h * h).sum(), x)
    return [g]


def hook_with_create_graph(lib, seen):
    x = lib.tensor([0.3, 0.7], requires_grad=True)
    h = x * x
    h.register_hook(lambda g: g * h)  # the replacement depends on x: differentiated too
    (g,) = lib.autograd.grad(h.sum(), x, create_graph=True)
    (gg,) = lib.autograd.grad(g.sum(), x)
    return [g, gg]


def hook_in_a_module(lib, seen):
    gen = np.random.default_rng(0)
    layer = lib.nn.Linear(3, 2)
    with lib.no_grad():
        layer.weight.copy_(lib.tensor(gen.standard_normal((2, 3)), dtype=lib.float32))
        layer.bias.copy_(lib.tensor(gen.standard_normal(2), dtype=lib.float32))
    layer.weight.register_hook(lambda g: g.clamp(-0.5, 0.5))  # gradient clipping by hook
    x = lib.tensor(gen.standard_normal((4, 3)), dtype=lib.float32)
    layer(x).pow(2).sum().backward()
    return [layer.weight.grad, layer.bias.grad]


CASES = [leaf_doubled, leaf_used_twice_sees_the_sum_once, intermediate_replaced_before_its_rule,
         retained_grad_is_the_hooked_one, hooks_run_in_order, removed_hook_does_not_run,
         hook_in_autograd_grad, hook_with_create_graph, hook_in_a_module]


def test_a_hook_sees_the_gradient_and_its_result_replaces_it():
    out, seen = _run(tg, leaf_doubled)
    np.testing.assert_allclose(seen[0], [2.0, -4.0, 6.0])  # d(sum x^2)/dx = 2x
    np.testing.assert_allclose(out[0], [4.0, -8.0, 12.0])
    out, seen = _run(tg, leaf_used_twice_sees_the_sum_once)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 5.0])
    out, seen = _run(tg, intermediate_replaced_before_its_rule)
    h = np.exp([0.5, 1.5])
    np.testing.assert_allclose(seen[0], 2 * h, rtol=1e-6)
    np.testing.assert_allclose(out[0], 20 * h * h, rtol=1e-6)  # the rule got 10x the gradient


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_hooks_vs_pytorch(case):
    if torch is None:
        pytest.skip("PyTorch not installed")
    ours, our_seen = _run(tg, case)
    theirs, their_seen = _run(torch, case)
    assert len(ours) == len(theirs) and len(our_seen) == len(their_seen)
    for a, b in zip(ours + our_seen, theirs + their_seen):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_register_hook_on_a_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="register_hook.*doesn't require gradient"):
        tg.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="register_hook: expected a function"):
        tg.tensor([1.0], requires_grad=True).register_hook(3)


@pytest.mark.parametrize("bad", [lambda g: g.sum(), lambda g: g.double(), lambda g: g.numpy(),
                                 lambda g: g[:1]], ids=["sum", "double", "array", "slice"])
def test_a_hook_that_changes_shape_or_dtype_is_refused(bad):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(bad)
    error = TypeError if bad(tg.ones(2)).__class__ is not tg.Tensor else RuntimeError
    with pytest.raises(error, match="hook .<lambda>. has changed the (size|type) of value|"
                                    "hook returned"):
        (x * 2).sum().backward()
    h = tg.tensor([1.0, 2.0], requires_grad=True) * 3
    h.register_hook(bad)
    with pytest.raises(error, match="has changed the (size|type) of value|hook returned"):
        (h * 2).sum().backward()


def test_a_kept_hooked_gradient_is_not_changed_by_later_accumulation():
    # the hook keeps the gradient tensor it returned; .grad must not alias it
    kept = []
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: kept.append(g * 1) or kept[-1])
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(kept[0].numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_a_handle_is_a_context_manager_and_hooks_die_with_the_graph():
    import gc
    import weakref
    x = tg.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 5):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0])
    h = x * 2
    h.register_hook(lambda g: g)
    node = weakref.ref(h.grad_fn)
    del h
    gc.collect()
    assert node() is None  # nothing global keeps a hooked node alive


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_copies_drop_hooks_with_a_warning_as_pytorch(copier):
    import copy
    import pickle
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 100)
    with pytest.warns(UserWarning, match="backward hook"):
        y = copy.deepcopy(x) if copier == "deepcopy" else pickle.loads(pickle.dumps(x))
    (y * 2).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 2.0])
    (x * 2).sum().backward()  # the original keeps its hook
    np.testing.assert_array_equal(x.grad.numpy(), [200.0, 200.0])


def test_a_handle_removes_only_its_own_registration():
    # the same function registered twice runs twice; one handle removes one of them
    for make in (lambda x: x, lambda x: x * 1):
        x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = make(x)

        def double(g):
            return g * 2

        first = h.register_hook(double)
        h.register_hook(double)
        first.remove()
        (h * h).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0, 12.0])  # 2x, doubled once


def test_a_hook_returning_an_array_is_told_to_return_a_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g.numpy() * 2)
    with pytest.raises(TypeError, match="hook returned 'numpy.ndarray'.*returns None or a Tensor"):
        (x * 2).sum().backward()


def test_a_hook_gets_the_gradient_in_the_tensors_dtype_as_pytorch():
    seen = []
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)  # float32
    h = x * 1
    x.register_hook(lambda g: seen.append(g.dtype) or tg.zeros(3))  # float32 zeros: accepted
    h.register_hook(lambda g: seen.append(g.dtype))
    (h * tg.tensor([1.0, 1.0, 1.0], dtype=tg.float64)).sum().backward()  # float64 gradients
    assert seen == [tg.float32, tg.float32]
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    assert x.grad.dtype == tg.float32


def test_a_kept_handle_does_not_keep_the_graph_alive():
    import gc
    import weakref
    x = tg.tensor(np.ones(1000), requires_grad=True)
    y = x.exp()
    handle = y.register_hook(lambda g: g)
    node = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert node() is None
    handle.remove()  # a no-op once the tensor is gone
