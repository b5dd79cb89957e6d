"""Small PyTorch names scripts reach for: gumbel_softmax, F.upsample*, asarray, scalar_tensor,
broadcast_shapes, gcd/lcm, clamp_, data_ptr/pin_memory, rng state, torch.random,
utils.data submodules, _LRScheduler, torch.testing.assert_close."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F


def test_gumbel_softmax() -> None:
    tg.manual_seed(0)
    logits = tg.tensor([[1.0, 2.0, 3.0]] * 4000, requires_grad=True)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert set(np.unique(hard.detach().numpy())) == {0.0, 1.0}
    assert hard.sum(1).tolist() == [1.0] * 4000
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()  # the Gumbel-max trick
    np.testing.assert_allclose(hard.mean(0).detach().numpy(), expected, atol=0.03)
    hard.sum().backward()  # straight-through: the soft sample's gradient
    assert logits.grad.shape == (4000, 3) and np.isfinite(logits.grad.numpy()).all()
    soft = F.gumbel_softmax(tg.zeros(5, 4), tau=2.0)
    np.testing.assert_allclose(soft.sum(1).numpy(), 1.0, rtol=1e-6)
    assert np.isnan(F.gumbel_softmax(tg.zeros(2), tau=0).numpy()).all()  # PyTorch's NaN


def test_upsample_spellings() -> None:
    x = tg.arange(4.0).reshape(1, 1, 2, 2)
    with pytest.warns(UserWarning, match="upsample` is deprecated"):  # (PyTorch's warnings)
        assert F.upsample(x, scale_factor=2).tolist() == F.interpolate(x, scale_factor=2).tolist()
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        assert F.upsample_nearest(x, size=4).shape == (1, 1, 4, 4)
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        assert F.upsample_bilinear(x, size=(3, 3)).tolist() == [[[[0.0, 0.5, 1.0],
                                                                   [1.0, 1.5, 2.0],
                                                                   [2.0, 2.5, 3.0]]]]


def test_module_level_functions() -> None:
    a = np.arange(3.0)
    shared = tg.asarray(a)
    shared[0] = 5.0
    assert a[0] == 5.0  # shares the array's memory
    copied = tg.asarray(a, copy=True)
    copied[1] = 7.0
    assert a[1] == 1.0
    assert tg.asarray([1, 2]).dtype == tg.int64
    assert tg.scalar_tensor(3).dtype == tg.float32 and tg.scalar_tensor(3).shape == ()
    assert tg.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    with pytest.raises(RuntimeError, match="do not broadcast"):
        tg.broadcast_shapes((2,), (3,))
    assert tg.gcd(tg.tensor([12, 9, 0]), tg.tensor([8, 6, 5])).tolist() == [4, 3, 5]
    assert tg.lcm(tg.tensor([4, 3]), tg.tensor(6)).tolist() == [12, 6]
    with pytest.raises(TypeError, match="must be Tensor, not int"):  # (PyTorch 2.13's)
        tg.lcm(tg.tensor([4, 3]), 6)
    with pytest.raises(TypeError, match="gcd: defined for integer tensors"):
        tg.gcd(tg.tensor([1.5]), tg.tensor([2]))
    x = tg.tensor([-2.0, 0.5, 3.0])
    assert tg.clamp_(x, -1, 1) is x and x.tolist() == [-1.0, 0.5, 1.0]
    assert x.data_ptr() == x[0:].data_ptr() != x[1:].data_ptr()
    assert x.pin_memory() is x and x.share_memory_() is x


def test_rng_state_and_torch_random() -> None:
    state = tg.get_rng_state()
    assert state.dtype == tg.uint8 and state.ndim == 1
    first = tg.rand(4).tolist()
    tg.set_rng_state(state)
    assert tg.rand(4).tolist() == first
    with tg.random.fork_rng():
        inside = tg.rand(3).tolist()
    assert tg.rand(3).tolist() == inside  # the block left the sequence where it was
    tg.random.manual_seed(7)
    assert tg.initial_seed() == 7 and tg.random.initial_seed() == 7
    g = tg.Generator().manual_seed(1)
    saved = g.get_state()
    drawn = g.numpy.random(3).tolist()
    assert g.set_state(saved).numpy.random(3).tolist() == drawn
    with pytest.raises(TypeError, match="uint8 tensor"):
        tg.set_rng_state(tg.zeros(3))


def test_submodule_paths_and_old_names() -> None:
    from tinygrad_np.utils.data.dataloader import DataLoader, default_collate
    from tinygrad_np.utils.data.dataset import TensorDataset
    from tinygrad_np.utils.data.sampler import RandomSampler

    assert DataLoader is tg.utils.data.DataLoader and RandomSampler is tg.utils.data.RandomSampler
    batch = default_collate([tg.tensor([1.0]), tg.tensor([2.0])])
    assert batch.tolist() == [[1.0], [2.0]] and len(TensorDataset(tg.zeros(3))) == 3

    class Halving(tg.optim.lr_scheduler._LRScheduler):
        def get_lr(self) -> list[float]:
            return [group["initial_lr"] * 0.5 ** self.last_epoch
                    for group in self.optimizer.param_groups]

    optimizer = tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = Halving(optimizer)
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.5


def test_assert_close() -> None:
    tg.testing.assert_close(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.000001]))
    tg.testing.assert_close({"a": [tg.ones(2)]}, {"a": [tg.ones(2)]})
    tg.testing.assert_close(tg.tensor([math.nan]), tg.tensor([math.nan]), equal_nan=True)
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        tg.testing.assert_close(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 2.1]))
    with pytest.raises(AssertionError, match="dtype"):
        tg.testing.assert_close(tg.tensor([1.0]), tg.tensor([1.0], dtype=tg.float64))
    with pytest.raises(AssertionError, match="shape"):
        tg.testing.assert_close(tg.ones(2), tg.ones(3))
    with pytest.raises(AssertionError):
        tg.testing.assert_close(tg.tensor([3]), tg.tensor([4]))  # integers: exact
    tg.testing.assert_close(tg.tensor([1.0]), tg.tensor([1.05]), rtol=0.1, atol=0.0)


def test_nn_modules_paths() -> None:
    from tinygrad_np.nn.modules.loss import MSELoss
    from tinygrad_np.nn.modules.module import Module

    assert MSELoss is tg.nn.MSELoss and Module is tg.nn.Module
    assert isinstance(tg.nn.Conv2d(1, 1, 1), tg.nn.modules.conv._ConvNd)
    assert isinstance(tg.nn.BatchNorm2d(3), tg.nn.modules.batchnorm._BatchNorm)
    assert tg.nn.modules.Linear is tg.nn.Linear

    class Squared(tg.nn.modules.loss._Loss):
        def forward(self, a, b):
            return ((a - b) ** 2).mean() if self.reduction == "mean" else ((a - b) ** 2).sum()

    assert Squared()(tg.ones(2), tg.zeros(2)).item() == 1.0
    assert Squared(reduction="sum")(tg.ones(2), tg.zeros(2)).item() == 2.0
