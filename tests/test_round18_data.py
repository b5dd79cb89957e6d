"""torch.utils.data probed as scripts use and misuse it, each case run through tinygrad_np
and (where installed) PyTorch 2.13, which is the oracle."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the fixed expectations still run
    torch = None

LIBS = ["tg"] + (["torch"] if torch is not None else [])


def _lib(name: str):
    return tg if name == "tg" else torch


# ------------------------------------------------------------------ random_split
@pytest.mark.parametrize("lib", LIBS)
def test_random_split_refuses_fractions_outside_0_1(lib):
    # [1.5, -0.5] sums to 1: taken as fractions, they gave a split of 15 and -5 (silently
    # a 10-sample subset and an empty one)
    data = _lib(lib).utils.data
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        data.random_split(range(10), [1.5, -0.5])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        data.random_split(range(10), [0.0, 1.25, -0.25])


@pytest.mark.parametrize("lib", LIBS)
def test_random_split_sum_mismatch_message(lib):
    data = _lib(lib).utils.data
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length"):
        data.random_split(range(10), [3, 6])


def test_random_split_refuses_negative_and_fractional_counts():
    # PyTorch takes [-1, 11] and returns overlapping subsets of 9 and 1 samples; refused here
    with pytest.raises(ValueError, match="must not be negative"):
        tg.utils.data.random_split(range(10), [-1, 11])
    with pytest.raises(TypeError, match="whole numbers"):  # PyTorch: TypeError from randperm
        tg.utils.data.random_split(range(10), [2.5, 7.5])
    assert [len(p) for p in tg.utils.data.random_split(range(10), [3.0, 7.0])] == [3, 7]


# ------------------------------------------------------------------ WeightedRandomSampler
@pytest.mark.parametrize("lib", LIBS)
def test_weighted_sampler_keeps_weights_as_float64_tensor(lib):
    t = _lib(lib)
    for weights in ([0, 1], t.tensor([0.0, 1.0]), np.array([0.0, 1.0], dtype=np.float32)):
        sampler = t.utils.data.WeightedRandomSampler(weights, 3)
        assert isinstance(sampler.weights, t.Tensor) and sampler.weights.dtype == t.float64
        assert sampler.weights.tolist() == [0.0, 1.0] and list(sampler) == [1, 1, 1]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("weights", [[1.0, -1.0], [0.0, 0.0], [float("inf"), 1.0],
                                     [float("nan"), 1.0]])
@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_sampler_bad_weights_raise_runtime_error_when_drawing(lib, weights,
                                                                       replacement):
    # PyTorch builds the sampler and raises multinomial's RuntimeError at the first index
    # (tinygrad_np raised ValueError at construction, or NumPy's "Probabilities contain NaN")
    sampler = _lib(lib).utils.data.WeightedRandomSampler(weights, 2, replacement=replacement)
    assert len(sampler) == 2
    with pytest.raises(RuntimeError):
        list(sampler)


@pytest.mark.parametrize("lib", LIBS)
def test_weighted_sampler_two_dim_weights(lib):
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence .* shape \(1, 2\)"):
        _lib(lib).utils.data.WeightedRandomSampler([[1.0, 1.0]], 2)


def test_weighted_sampler_draws_follow_weights():
    gen = tg.Generator().manual_seed(0)
    drawn = list(tg.utils.data.WeightedRandomSampler([1.0, 3.0], 4000, generator=gen))
    share = np.mean(np.array(drawn) == 1)
    assert 0.72 < share < 0.78  # expected 0.75, 4000 draws: sd 0.007
    again = list(tg.utils.data.WeightedRandomSampler([1.0, 3.0], 4000,
                                                     generator=tg.Generator().manual_seed(0)))
    assert drawn == again


@pytest.mark.parametrize("lib", LIBS)
def test_base_sampler_iter_is_not_implemented(lib):
    with pytest.raises(NotImplementedError):
        iter(_lib(lib).utils.data.Sampler())


# ------------------------------------------------------------------ TensorDataset
@pytest.mark.parametrize("lib", LIBS)
def test_tensor_dataset_of_a_0d_tensor(lib):
    t = _lib(lib)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dim"):
        t.utils.data.TensorDataset(t.tensor(1.0))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("sampler", [[1.0, 0], [True, False], [0.5]])
def test_tensor_dataset_non_integer_sampler_indices(lib, sampler):
    # a sampler's float or bool indices were turned into integer rows by the batched fetch
    # (silently: [True, False] gave rows 1 and 0); each index means what ds[index] means
    t = _lib(lib)
    ds = t.utils.data.TensorDataset(t.arange(5.0))
    with pytest.raises((IndexError, RuntimeError)):
        list(t.utils.data.DataLoader(ds, batch_size=2, sampler=sampler))


@pytest.mark.parametrize("lib", LIBS)
def test_tensor_dataset_integer_sampler_indices(lib):
    t = _lib(lib)
    ds = t.utils.data.TensorDataset(t.arange(10.0).reshape(5, 2), t.arange(5))
    for sampler in ([4, -1, 0], np.array([4, 3, 0]), t.tensor([4, 3, 0]),
                    [np.int32(4), 3, 0]):
        xb, yb = next(iter(t.utils.data.DataLoader(ds, batch_size=3, sampler=sampler)))
        assert yb.dtype == t.int64 and xb.dtype == t.float32
        assert yb.tolist()[0] == 4 and yb.tolist()[2] == 0 and xb.shape == (3, 2)


# ------------------------------------------------------------------ IterableDataset length
class _Stream:
    def __init__(self, lib, count: int, reported: int) -> None:
        base = lib.utils.data.IterableDataset

        class Stream(base):
            def __iter__(self):
                return iter(range(count))

            def __len__(self):
                return reported

        self.dataset = Stream()


@pytest.mark.parametrize("lib", LIBS)
def test_iterable_longer_than_its_len_warns_after_len_loader(lib):
    t = _lib(lib)
    loader = t.utils.data.DataLoader(_Stream(t, 5, 3).dataset, batch_size=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(list(loader)) == 5  # len() not asked: no warning
    assert not caught
    assert len(loader) == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(list(loader)) == 5
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2 and all("was reported to be 3" in m for m in messages)
    assert "but 4 samples have been fetched" in messages[0]


@pytest.mark.parametrize("lib", LIBS)
def test_iterable_within_its_len_does_not_warn(lib):
    t = _lib(lib)
    loader = t.utils.data.DataLoader(_Stream(t, 5, 5).dataset, batch_size=2)
    assert len(loader) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]]
