"""`.data` as in PyTorch (a tensor sharing memory, outside the graph) and NumPy meeting tensors.

The idioms are those of PyTorch tutorials and scripts; expected values are written out (or
compared with PyTorch where it is installed), never produced by the code under test.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import tinygrad_np as torch
import tinygrad_np.nn as nn
from tinygrad_np import Tensor


def test_data_is_a_tensor_sharing_memory_outside_the_graph() -> None:
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = w.data
    assert isinstance(d, Tensor) and not d.requires_grad and d.grad_fn is None
    d[0] = 10.0
    assert w.tolist() == [10.0, 2.0, 3.0]
    y = torch.tensor([1.0, 2.0]) * 3
    assert y.data.tolist() == [3.0, 6.0] and y.data.dtype == np.float32


@pytest.mark.parametrize("code, expected", [
    ("m.weight.data.fill_(0.5)", [[0.5] * 3] * 2),
    ("m.weight.data.zero_()", [[0.0] * 3] * 2),
    ("m.weight.data.copy_(torch.ones(2, 3))", [[1.0] * 3] * 2),
    ("m.weight.data.mul_(0).add_(2)", [[2.0] * 3] * 2),
    ("m.weight.data -= m.weight.data", [[0.0] * 3] * 2),
    ("m.weight.data[1] = 4.0; m.weight.data[0] = 1.0", [[1.0] * 3, [4.0] * 3]),
    ("m.weight.data.clamp_(7, 8)", [[7.0] * 3] * 2),
    ("nn.init.constant_(m.weight.data, 3.0)", [[3.0] * 3] * 2),
])
def test_in_place_writes_through_data_reach_the_parameter(code: str, expected: list) -> None:
    m = nn.Linear(3, 2)
    exec(code, {"m": m, "torch": torch, "nn": nn})
    assert m.weight.tolist() == expected
    assert m.weight.requires_grad and m.weight.grad_fn is None


def test_dcgan_style_init_through_data() -> None:
    def weights_init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(0.0, 0.02)
            module.bias.data.fill_(0)

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(50, 400), nn.ReLU(), nn.Linear(400, 2))
    model.apply(weights_init)
    weight = model[0].weight.detach().numpy()
    assert abs(weight.std() - 0.02) < 0.002 and abs(weight.mean()) < 0.002
    assert model[2].bias.tolist() == [0.0, 0.0]
    model(torch.ones(4, 50)).sum().backward()  # still trains
    assert model[0].weight.grad.shape == (400, 50)


def test_manual_sgd_and_soft_update_through_data() -> None:
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()  # grad 2w = [2, -4]
    w.data -= 0.25 * w.grad.data
    assert w.tolist() == [0.5, -1.0]
    w.data.add_(w.grad.data, alpha=-0.5)
    assert w.tolist() == [-0.5, 1.0]
    w.grad.data.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    target = torch.zeros(2, requires_grad=True)
    target.data.copy_(0.5 * w.data + 0.5 * target.data)
    assert target.tolist() == [-0.25, 0.5]


def test_data_for_reading_values() -> None:
    outputs = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], requires_grad=True) * 1
    _, predicted = torch.max(outputs.data, 1)
    assert predicted.tolist() == [1, 0, 1]
    assert outputs.data.cpu().numpy().shape == (3, 2)
    assert isinstance(outputs.data.numpy(), np.ndarray)
    loss = (outputs ** 2).sum()
    assert loss.data.item() == pytest.approx(2.08, rel=1e-6)
    np.testing.assert_allclose(outputs.data, [[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], rtol=1e-6)


def test_setting_data_replaces_values_shape_and_dtype() -> None:
    p = torch.ones(3, requires_grad=True)
    p.data = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    assert p.shape == (2, 3) and p.dtype == np.float64 and p.requires_grad
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), 2 * np.arange(6.0).reshape(2, 3))
    p.data = p.data.clamp(0, 2)  # the usual spelling of a projection step
    assert p.tolist() == [[0.0, 1.0, 2.0], [2.0, 2.0, 2.0]]
    p.data.mul_(2)  # a tensor given as .data is the parameter's memory from then on
    assert p.tolist() == [[0.0, 2.0, 4.0], [4.0, 4.0, 4.0]]
    with pytest.raises(TypeError, match="floating-point"):
        p.data = torch.tensor([1, 2])


def test_setting_data_shares_memory_and_version_with_the_source() -> None:
    source = torch.ones(3)
    p = torch.zeros(3, requires_grad=True)
    p.data = source
    source.add_(1)
    assert p.tolist() == [2.0, 2.0, 2.0]
    y = (p * p).sum()
    source.add_(1)  # changes values the graph saved
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_changing_data_after_forward_is_refused_not_silently_wrong() -> None:
    # PyTorch does not track writes through .data: its backward would use the new values.
    # Here the writes bump the shared version counter, so backward refuses.
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    w2 = torch.tensor([1.0, 2.0], requires_grad=True)
    y2 = (w2 * w2).sum()
    w2.data = torch.tensor([5.0, 5.0])
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y2.backward()
    # changes the graph does not depend on stay allowed
    w3 = torch.tensor([1.0, 2.0], requires_grad=True)
    y3 = (w3 * 2).sum()
    w3.data.mul_(3)
    y3.backward()
    assert w3.grad.tolist() == [2.0, 2.0]


def test_a_constant_made_from_data_is_a_constant_in_second_derivatives() -> None:
    x = torch.tensor([1.5, -2.0], requires_grad=True)
    (g,) = torch.autograd.grad((x * x.data).sum(), x, create_graph=True)
    assert g.tolist() == [1.5, -2.0]  # d/dx of x * c is c, a constant (as in PyTorch)
    assert not g.requires_grad
    (g2,) = torch.autograd.grad((x * x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g2.sum(), x)
    assert h.tolist() == [2.0, 2.0]


def test_numpy_ufuncs_on_tensors() -> None:
    t = torch.tensor([0.0, 1.0])
    e = np.exp(t)
    assert isinstance(e, Tensor) and e.tolist() == pytest.approx([1.0, np.e])
    assert np.isnan(torch.tensor([np.nan, 1.0])).tolist() == [True, False]
    quotient, remainder = np.divmod(torch.tensor([7.0]), 2)
    assert quotient.tolist() == [3.0] and remainder.tolist() == [1.0]
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="numpy.exp on a tensor that requires grad"):
        np.exp(w)
    with pytest.raises(TypeError, match="out="):
        np.exp(np.zeros(2), out=torch.zeros(2))


@pytest.mark.parametrize("spell", [
    lambda a, w: a * w, lambda a, w: np.multiply(a, w), lambda a, w: a + w - a,
    lambda a, w: np.float32(2.0) * w, lambda a, w: a @ w, lambda a, w: -(a - w),
])
def test_numpy_operands_with_a_tensor_record_the_graph(spell) -> None:
    a = np.array([2.0, 3.0], dtype=np.float32)
    w = torch.tensor([1.0, 1.0], requires_grad=True)
    out = spell(a, w)
    assert isinstance(out, Tensor) and out.requires_grad
    out.sum().backward()
    assert w.grad is not None and np.all(np.isfinite(w.grad.numpy()))


def test_numpy_operand_gradients_are_right() -> None:
    a = np.array([2.0, 3.0], dtype=np.float32)
    w = torch.tensor([1.0, 4.0], requires_grad=True)
    (a * w + np.float32(1) / w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0 - 1.0, 3.0 - 1 / 16], rtol=1e-6)
    assert (np.array([0.0, 5.0]) < w).tolist() == [True, False]
    assert abs(torch.tensor([-2.0])).tolist() == [2.0]


def test_tensors_pickled_before_the_rename_still_load() -> None:
    t = torch.tensor([1.0, 2.0])
    attributes, slots = t.__getstate__()
    slots["data"] = slots.pop("_data")
    restored = Tensor.__new__(Tensor)
    restored.__setstate__((attributes, slots))
    assert restored.tolist() == [1.0, 2.0]
    assert pickle.loads(pickle.dumps(t)).tolist() == [1.0, 2.0]


def test_against_pytorch() -> None:
    real = pytest.importorskip("torch")
    for lib in (real, torch):
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        (w ** 2).sum().backward()
        w.data -= 0.1 * w.grad.data
        w.data.clamp_(-1.5, 2.5)
        w.grad.data.zero_()
        (w.data * 2).sum()
        if lib is real:
            expected = w.detach().numpy().copy()
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-6)
