"""tinygrad_np.utils.data: Dataset, TensorDataset, Subset, random_split, default_collate and
DataLoader (batching, shuffling with seeded generators, drop_last, collate_fn, len)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def dataset(n: int = 10) -> TensorDataset:
    x = tg.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2))
    y = tg.tensor(np.arange(n))
    return TensorDataset(x, y)


def test_tensor_dataset_items_and_length():
    ds = dataset()
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(ValueError, match="first dimensions differ"):
        TensorDataset(tg.zeros(3, 2), tg.zeros(4))


def test_batches_in_order_with_last_short_batch():
    loader = DataLoader(dataset(), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2) and batches[0][0].dtype == np.float32
    assert batches[0][1].dtype == np.int64
    dropped = DataLoader(dataset(), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(dataset())) == 10  # batch_size=1 by default, as PyTorch


def test_shuffle_is_a_permutation_new_each_epoch_and_seedable():
    loader = DataLoader(dataset(20), batch_size=5, shuffle=True,
                        generator=tg.Generator().manual_seed(0))
    first = np.concatenate([y._data for _, y in loader])
    second = np.concatenate([y._data for _, y in loader])
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert not np.array_equal(first, second)  # a new order each epoch
    again = DataLoader(dataset(20), batch_size=5, shuffle=True,
                       generator=tg.Generator().manual_seed(0))
    assert np.array_equal(np.concatenate([y._data for _, y in again]), first)
    numpy_seeded = DataLoader(dataset(20), batch_size=5, shuffle=True,
                              generator=np.random.default_rng(1))
    assert sorted(np.concatenate([y._data for _, y in numpy_seeded])) == list(range(20))


def test_shuffle_without_generator_follows_manual_seed():
    def order():
        tg.manual_seed(7)
        return np.concatenate([y._data for _, y in DataLoader(dataset(), 3, shuffle=True)])
    assert np.array_equal(order(), order())


def test_pairs_match_after_shuffle():
    for x, y in DataLoader(dataset(), batch_size=3, shuffle=True):
        np.testing.assert_array_equal(x._data[:, 0], 2 * y._data)


class Squares(Dataset):
    """A map-style dataset returning several kinds of samples."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "i": i, "f": float(i) / 2,
                "name": f"s{i}", "flag": i % 2 == 0}


def test_default_collate_kinds():
    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["x"].dtype == np.float32
    assert batch["i"].tolist() == [0, 1, 2] and batch["i"].dtype == np.int64
    assert batch["f"].dtype == np.float64 and batch["f"].tolist() == [0.0, 0.5, 1.0]
    assert batch["name"] == ["s0", "s1", "s2"]
    assert batch["flag"].dtype == np.bool_
    Point = namedtuple("Point", "x y")
    collated = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(collated, Point) and collated.x.tolist() == [1, 3]
    pairs = default_collate([(tg.ones(2), 1), (tg.zeros(2), 0)])
    assert isinstance(pairs, list) and pairs[0].shape == (2, 2) and pairs[1].tolist() == [1, 0]
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object()])


def test_custom_collate_and_generic_dataset():
    loader = DataLoader(Squares(), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]
    single = list(DataLoader(Squares(), batch_size=None))
    assert len(single) == 5 and isinstance(single[0]["x"], tg.Tensor)


def test_subset_random_split_and_concat():
    ds = dataset(10)
    sub = Subset(ds, [9, 0, 4])
    assert len(sub) == 3 and sub[0][1].item() == 9
    parts = random_split(ds, [7, 3], generator=tg.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [7, 3]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    fractions = random_split(ds, [0.5, 0.3, 0.2], generator=tg.Generator().manual_seed(0))
    assert [len(p) for p in fractions] == [5, 3, 2]
    odd = random_split(dataset(11), [0.5, 0.5], generator=np.random.default_rng(0))
    assert [len(p) for p in odd] == [6, 5]  # the remainder goes to the first part, as PyTorch
    with pytest.raises(ValueError, match="do not add up"):
        random_split(ds, [5, 6])
    both = ConcatDataset([Subset(ds, [1, 2]), Subset(ds, [3])])
    assert len(both) == 3 and both[2][1].item() == 3 and (sub + sub)[4][1].item() == 0


def test_samplers_and_argument_checks():
    loader = DataLoader(dataset(), batch_size=2, sampler=[9, 8, 7])
    assert [y.tolist() for _, y in loader] == [[9, 8], [7]] and len(loader) == 2
    batched = DataLoader(dataset(), batch_sampler=[[0, 5], [2]])
    assert [y.tolist() for _, y in batched] == [[0, 5], [2]] and len(batched) == 2
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(dataset(), batch_size=0)
    with pytest.raises(ValueError, match="sampler"):
        DataLoader(dataset(), sampler=[0], shuffle=True)
    # worker options are accepted; loading happens in this process
    loader = DataLoader(dataset(), batch_size=5, num_workers=2, pin_memory=True,
                        persistent_workers=False)
    assert len(list(loader)) == 2


def test_matches_pytorch_batches_without_shuffle():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(7, 3))
    y = np.arange(7)
    ours = DataLoader(TensorDataset(tg.tensor(x), tg.tensor(y)), batch_size=3, drop_last=False)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=3)
    assert len(ours) == len(theirs)
    for (ox, oy), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(ox._data, tx.numpy())
        np.testing.assert_array_equal(oy._data, ty.numpy())
