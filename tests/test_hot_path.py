"""The W2 hot path's shortcuts keep every behaviour they bypass (benchmarks/NOTES.md, eighth
pass): the optimizers' cached work arrays, cross_entropy's class-id checks in one pass,
F.relu and F.linear straight to their ops, Sequential's loop."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np import Tensor


def _model(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with tg.no_grad():
        for p in model.parameters():
            p.copy_(tg.tensor(rng.standard_normal(p.shape).astype(np.float32)))
    return model


def _step(model: nn.Module, opt: optim.Optimizer, x: np.ndarray, y: np.ndarray) -> None:
    opt.zero_grad()
    F.cross_entropy(model(Tensor(x)), y).backward()
    opt.step()


def _values(model: nn.Module) -> list[np.ndarray]:
    return [p.numpy().copy() for p in model.parameters()]


X = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
Y = np.array([0, 1, 1, 0, 1])


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_a_copied_model_and_optimizer_step_their_own_parameters(how, name):
    """The work arrays alias the original parameters' memory: a copy must not reuse them."""
    model = _model()
    opt = getattr(optim, name)(model.parameters(), lr=0.1)
    _step(model, opt, X, Y)  # the work arrays now exist
    pair = {"model": model, "opt": opt}
    twin = copy.deepcopy(pair) if how == "deepcopy" else pickle.loads(pickle.dumps(pair))
    before = _values(model)
    _step(twin["model"], twin["opt"], X, Y)
    for old, now in zip(before, _values(model)):
        np.testing.assert_array_equal(now, old)  # the original did not move
    assert any(not np.array_equal(a, b) for a, b in zip(_values(twin["model"]), before))
    _step(model, opt, X, Y)  # the original's step from the same state: the same values
    for ours, theirs in zip(_values(model), _values(twin["model"])):
        np.testing.assert_allclose(theirs, ours, rtol=1e-6, atol=1e-7)


def test_sgd_follows_a_parameter_whose_array_was_replaced():
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    (w * 2.0).sum().backward()
    opt.step()
    np.testing.assert_array_equal(w.numpy(), np.zeros(3, dtype=np.float32))  # 1 - 0.5 * 2
    w.data = Tensor(np.full(3, 10.0, dtype=np.float32))  # a new array behind the parameter
    opt.zero_grad()
    (w * 2.0).sum().backward()
    opt.step()
    np.testing.assert_array_equal(w.numpy(), np.full(3, 9.0, dtype=np.float32))


def test_sgd_step_between_forward_and_backward_still_raises():
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    (w * w).sum().backward()
    loss = (w * w).sum()
    opt.step()  # changes w, which the new graph saved
    with pytest.raises(RuntimeError, match="modified by an inplace operation|in-place"):
        loss.backward()


def _manual_ce(logits: np.ndarray, target: np.ndarray, ignore: int) -> float:
    keep = target != ignore
    z = logits[keep].astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(keep.sum()), target[keep]].mean())


@pytest.mark.parametrize("ignore", [-100, -1, 2])
def test_cross_entropy_ignore_index_found_on_every_path(ignore):
    logits = np.random.default_rng(2).standard_normal((6, 3)).astype(np.float32)
    target = np.array([0, ignore, 1, 2 if ignore != 2 else 0, ignore, 1])
    loss = F.cross_entropy(Tensor(logits), target, ignore_index=ignore)
    assert loss.item() == pytest.approx(_manual_ce(logits, target, ignore), rel=1e-5)


@pytest.mark.parametrize("bad", [-5, -100, 3, 1000])
def test_cross_entropy_refuses_class_ids_out_of_range(bad):
    logits = Tensor(np.zeros((3, 3), dtype=np.float32))
    target = np.array([0, bad, 1])
    ignore = -1 if bad == -100 else -100  # -100 is then an id, not the ignored one
    with pytest.raises(IndexError, match=r"class ids must be in \[0, 2\]"):  # as PyTorch
        F.cross_entropy(logits, target, ignore_index=ignore)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
def test_cross_entropy_range_check_for_every_integer_dtype(dtype):
    logits = Tensor(np.zeros((2, 3), dtype=np.float32))
    assert F.cross_entropy(logits, np.array([0, 2], dtype=dtype)).item() == pytest.approx(
        np.log(3), rel=1e-6)
    with pytest.raises(IndexError, match="class ids"):
        F.cross_entropy(logits, np.array([0, 3], dtype=dtype))
    if np.dtype(dtype).kind == "i":
        with pytest.raises(IndexError, match="class ids"):
            F.cross_entropy(logits, np.array([0, -2], dtype=dtype), ignore_index=-1)


def test_cross_entropy_strided_class_ids():
    logits = Tensor(np.zeros((3, 4), dtype=np.float32))
    ids = np.array([[0, 9], [3, 9], [1, 9]])[:, 0]  # a non-contiguous view
    assert F.cross_entropy(logits, ids).item() == pytest.approx(np.log(4), rel=1e-6)
    with pytest.raises(IndexError, match="class ids"):
        F.cross_entropy(logits, np.array([[0, 1], [4, 1], [1, 1]])[:, 0])


def test_relu_and_linear_take_plain_data_and_a_module_used_twice():
    np.testing.assert_array_equal(F.relu([-1.0, 2.0]).numpy(), [0.0, 2.0])
    layer = nn.Linear(2, 2)
    with tg.no_grad():
        layer.weight.copy_(tg.eye(2))
        layer.bias.copy_(tg.zeros(2))
    model = nn.Sequential(layer, nn.ReLU(), layer)  # the same layer twice
    x = Tensor(np.array([[1.0, -1.0]], dtype=np.float32), requires_grad=True)
    model(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0]])
    y = F.linear(np.array([[1.0, 2.0]], dtype=np.float32), layer.weight, layer.bias)
    np.testing.assert_array_equal(y.numpy(), [[1.0, 2.0]])


def test_linear_bias_of_a_wider_dtype_promotes():
    x = Tensor(np.ones((1, 2), dtype=np.float32))
    w = Tensor(np.ones((1, 2), dtype=np.float32))
    b = Tensor(np.array([0.5], dtype=np.float64))
    y = F.linear(x, w, b)
    assert y.dtype == np.float64 and y.item() == 2.5


def test_sequential_survives_a_hook_that_adds_attributes():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    model[0].register_forward_hook(lambda module, args, out: setattr(model, "act", out.detach()))
    model[1].register_forward_hook(lambda module, args, out: [model.register_forward_hook(
        lambda *_: None), None][1])  # a hook registered on the parent mid-forward
    out = model(Tensor(np.ones((2, 3), dtype=np.float32)))
    assert out.shape == (2, 3) and model.act.shape == (2, 3)


def test_an_optimizer_pickled_by_the_first_caching_layout_still_steps():
    """Pickles from before the work-array cache hold `_scratch`/`_writable` and no `_work`."""
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.5)
    old_state = {k: v for k, v in vars(opt).items() if k != "_work"}
    old_state.update(_scratch={}, _writable={})
    revived = optim.SGD.__new__(optim.SGD)
    revived.__setstate__(pickle.loads(pickle.dumps(old_state)))
    (revived.param_groups[0]["params"][0] * 2.0).sum().backward()
    revived.step()
    assert not hasattr(revived, "_scratch")
    np.testing.assert_array_equal(revived.param_groups[0]["params"][0].numpy(), np.zeros(3))


@pytest.mark.parametrize("dtype", [">i8", ">u8", "<i8", ">i4"])
def test_cross_entropy_ids_in_either_byte_order(dtype):
    logits = Tensor(np.zeros((3, 4), dtype=np.float32))
    assert F.cross_entropy(logits, np.array([0, 3, 1], dtype=dtype)).item() == pytest.approx(
        np.log(4), rel=1e-6)
    with pytest.raises(IndexError, match="class ids"):
        F.cross_entropy(logits, np.array([0, 4, 1], dtype=dtype))


def test_a_node_repr_survives_an_op_that_keeps_its_own_name():
    class Named(tg.Function):
        def forward(ctx, x):
            ctx.name = "mine"  # shadows the node's name() method
            return x * 2

        def backward(ctx, grad_output):
            return grad_output * 2

    result = Named.apply(Tensor(np.ones(2), requires_grad=True))
    node = result.grad_fn
    assert repr(node).startswith("<NamedBackward0 object at 0x")
    assert repr(result) == "tensor([2., 2.], dtype=torch.float64, grad_fn=<NamedBackward0>)"
