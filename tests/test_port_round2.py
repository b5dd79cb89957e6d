"""Gaps found by porting a second round of everyday PyTorch scripts (MLP, CNN, autoencoder,
char-RNN, transformer, GAN, DCGAN init, VAE, WGAN-GP, checkpoints, schedulers, datasets):
each test fails without its fix and compares with PyTorch where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np.utils import data


# ----------------------------------------------------------------- factories: size=, generator=
def test_factories_take_size_keyword():
    torch = pytest.importorskip("torch")
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        ours = getattr(tg, name)(size=(2, 3))
        theirs = getattr(torch, name)(size=(2, 3))
        assert tuple(ours.shape) == tuple(theirs.shape) == (2, 3)
        assert ours.dtype == np.float32
    np.testing.assert_array_equal(tg.zeros(size=[4]).numpy(), torch.zeros(size=[4]).numpy())
    with pytest.raises(TypeError, match="not both"):
        tg.ones(2, size=(2,))


def test_random_factories_take_a_generator():
    torch = pytest.importorskip("torch")
    for name, args in (("rand", (2, 3)), ("randn", (2, 3)), ("randint", (0, 9, (5,))),
                       ("randperm", (6,))):
        first = getattr(tg, name)(*args, generator=tg.Generator().manual_seed(3))
        again = getattr(tg, name)(*args, generator=tg.Generator().manual_seed(3))
        theirs = getattr(torch, name)(*args, generator=torch.Generator().manual_seed(3))
        np.testing.assert_array_equal(first.numpy(), again.numpy())  # reproducible
        assert tuple(first.shape) == tuple(theirs.shape)
        assert first.dtype.name == str(theirs.dtype).removeprefix("torch.")
    # the generator's own stream: the library's global one is left alone
    tg.manual_seed(0)
    expected = tg.rand(3).numpy()
    tg.manual_seed(0)
    tg.rand(3, generator=tg.Generator().manual_seed(1))
    np.testing.assert_array_equal(tg.rand(3).numpy(), expected)
    assert sorted(tg.randperm(6, generator=np.random.default_rng(0)).tolist()) == list(range(6))


# ----------------------------------------------------------------- nn.utils
def test_parameters_to_vector_and_back():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    vec = nn.utils.parameters_to_vector(ours.parameters())
    expected = torch.nn.utils.parameters_to_vector(theirs.parameters())
    np.testing.assert_array_equal(vec.numpy(), expected.detach().numpy())
    (vec * vec).sum().backward()  # recorded, as PyTorch's
    (expected * expected).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    new = np.arange(8, dtype=np.float32)
    nn.utils.vector_to_parameters(tg.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new), theirs.parameters())
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy(), err_msg=name)
        assert p.requires_grad
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters(new, ours.parameters())


# ----------------------------------------------------------------- nn.init
def test_init_on_arrays_and_with_a_torch_style_generator():
    layer = nn.Linear(4, 3)
    with pytest.raises(TypeError, match=r"pass the tensor itself.*nn.init.normal_\(m.weight"):
        nn.init.normal_(layer.weight._data, 0.0, 0.02)  # the DCGAN idiom: a clear message
    array = np.zeros((3, 4), dtype=np.float32)
    assert nn.init.constant_(array, 0.5) is array and (array == 0.5).all()
    nn.init.trunc_normal_(array, std=0.02)
    assert array.dtype == np.float32 and np.abs(array).max() <= 2.0 and array.std() > 0
    first = nn.init.xavier_uniform_(tg.empty(3, 4), generator=tg.Generator().manual_seed(0))
    again = nn.init.xavier_uniform_(tg.empty(3, 4), generator=tg.Generator().manual_seed(0))
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert np.abs(first.numpy()).max() <= math.sqrt(6 / 7)


# ----------------------------------------------------------------- IterableDataset
class _Stream(data.IterableDataset):
    def __init__(self, n: int, tensor_module) -> None:
        self.n, self.torch = n, tensor_module

    def __iter__(self):
        assert data.get_worker_info() is None
        for i in range(self.n):
            yield self.torch.tensor([float(i), 2.0 * i]), i % 3

    def __len__(self) -> int:
        return self.n


def _batches(loader) -> list:
    return [[x.tolist(), y.tolist() if hasattr(y, "tolist") else y] for x, y in loader]


@pytest.mark.parametrize("options", [dict(batch_size=4), dict(batch_size=4, drop_last=True),
                                     dict(batch_size=None), dict(batch_size=11)])
def test_iterable_dataset_batches_as_pytorch(options):
    torch = pytest.importorskip("torch")
    from torch.utils import data as torch_data

    class TheirStream(torch_data.IterableDataset):
        __iter__ = _Stream.__iter__
        __len__ = _Stream.__len__

        def __init__(self, n: int) -> None:
            self.n, self.torch = n, torch

    ours = data.DataLoader(_Stream(10, tg), **options)
    theirs = torch_data.DataLoader(TheirStream(10), **options)
    assert _batches(ours) == _batches(theirs)
    assert _batches(ours) == _batches(ours)  # a new pass each epoch
    assert len(ours) == len(theirs)


def test_iterable_dataset_refuses_shuffle_and_samplers():
    stream = _Stream(5, tg)
    for options in (dict(shuffle=True), dict(sampler=[0, 1]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset"):
            data.DataLoader(stream, **options)
    with pytest.raises(NotImplementedError, match="must define __iter__"):
        iter(data.IterableDataset())
