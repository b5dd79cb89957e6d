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


# ------------------------------------------------------------------ Subset of a TensorDataset
def _per_sample(t, dataset, indices):
    return t.utils.data.default_collate([dataset[i] for i in indices])


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("indices", [[5, 0, 3, -1], np.array([5, 0, 3]), range(2, 6),
                                     "tensor"])
def test_loader_of_a_subset_of_a_tensor_dataset(lib, indices):
    # random_split's parts are Subsets: their batches (now one indexing per tensor) equal
    # the samples fetched one by one and collated, and PyTorch's
    t = _lib(lib)
    ds = t.utils.data.TensorDataset(t.arange(12.0).reshape(6, 2), t.arange(6) * 10)
    if isinstance(indices, str):
        indices = t.tensor([5, 0, 3])
    sub = t.utils.data.Subset(t.utils.data.Subset(ds, [0, 1, 2, 3, 4, 5]), indices)
    batches = list(t.utils.data.DataLoader(sub, batch_size=3))
    expected = [_per_sample(t, sub, range(start, min(start + 3, len(sub))))
                for start in range(0, len(sub), 3)]
    for (xb, yb), (xe, ye) in zip(batches, expected, strict=True):
        assert xb.dtype == t.float32 and yb.dtype == t.int64
        assert xb.tolist() == xe.tolist() and yb.tolist() == ye.tolist()
    rows = [int(i) for i in indices]
    assert [y for _, yb in batches for y in yb.tolist()] == [10 * (r % 6) for r in rows]


@pytest.mark.parametrize("lib", LIBS)
def test_subset_batches_carry_the_gradient(lib):
    t = _lib(lib)
    w = t.arange(12.0, dtype=t.float64).reshape(6, 2).requires_grad_()
    sub = t.utils.data.Subset(t.utils.data.TensorDataset(w, t.arange(6)), [5, 0, 5])
    for xb, yb in t.utils.data.DataLoader(sub, batch_size=2):
        (xb * (yb[:, None] + 1)).sum().backward()
    # row 5 taken twice with weight 6, row 0 once with weight 1
    assert w.grad.tolist() == [[1.0, 1.0], [0, 0], [0, 0], [0, 0], [0, 0], [12.0, 12.0]]


@pytest.mark.parametrize("lib", LIBS)
def test_subset_sampler_indices_index_the_subset(lib):
    t = _lib(lib)
    ds = t.utils.data.TensorDataset(t.arange(6) * 10)
    sub = t.utils.data.Subset(ds, [5, 0, 3])
    # a bool index of a Subset's list of indices is a position (True is 1), as Python's
    [[got]] = list(t.utils.data.DataLoader(sub, batch_size=2, sampler=[True, False]))
    assert got.tolist() == [0, 50]
    with pytest.raises(TypeError):
        list(t.utils.data.DataLoader(sub, batch_size=2, sampler=[1.0]))
    with pytest.raises(IndexError):
        list(t.utils.data.DataLoader(sub, batch_size=2, sampler=[3]))


def test_concat_dataset_cummulative_sizes_is_deprecated():
    concat = tg.utils.data.ConcatDataset([[1], [2, 3]])
    with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
        assert concat.cummulative_sizes == [1, 3]


# ------------------------------------------------------------------ PyTorch's error messages
class _Numbers:
    def __init__(self, lib):
        class Stream(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(3))

        self.stream = Stream()


@pytest.mark.parametrize("lib", LIBS)
def test_loader_option_errors_carry_pytorch_text(lib):
    # scripts and tests match these texts (pytest.raises(match=...)); tinygrad_np had its own
    t = _lib(lib)
    data = t.utils.data
    ds = data.TensorDataset(t.arange(4.0))
    cases = [
        (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2),
         "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
         "drop_last"),
        (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
        (dict(batch_size=0), "batch_size should be a positive integer value, but got "
                             "batch_size=0"),
        (dict(batch_size=-3), "batch_size should be a positive integer value"),
        (dict(batch_size=2.0), "batch_size should be a positive integer value"),
    ]
    for options, text in cases:
        with pytest.raises(ValueError, match=text):
            data.DataLoader(ds, **options)
    stream = _Numbers(t).stream
    for name, value in (("shuffle", True), ("sampler", [0]), ("batch_sampler", [[0]])):
        with pytest.raises(ValueError, match=f"expected unspecified {name} option, but got "
                                             f"{name}="):
            data.DataLoader(stream, **{name: value})
    assert len(list(data.DataLoader(stream, shuffle=False, sampler=None))) == 3


@pytest.mark.parametrize("lib", LIBS)
def test_iterable_dataset_with_an_array_sampler_is_refused_clearly(lib):
    t = _lib(lib)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        t.utils.data.DataLoader(_Numbers(t).stream, sampler=np.array([0, 1]))


@pytest.mark.parametrize("lib", LIBS)
def test_dataset_without_getitem_message(lib):
    data = _lib(lib).utils.data

    class Empty(data.Dataset):
        def __len__(self):
            return 2

    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement "
                                                  "__getitem__"):
        list(data.DataLoader(Empty()))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("wrap", [False, True])
def test_out_of_range_sampler_index_names_the_dimension(lib, wrap):
    # the batched fetch let NumPy's "out of bounds for axis 0" through
    t = _lib(lib)
    ds = t.utils.data.TensorDataset(t.arange(5.0))
    if wrap:
        ds = t.utils.data.Subset(ds, [0, 1, 7])
        sampler = [2]
    else:
        sampler = [0, 7]
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 0 with size 5"):
        list(t.utils.data.DataLoader(ds, batch_size=2, sampler=sampler))


@pytest.mark.parametrize("lib", LIBS)
def test_collating_grad_samples_of_two_shapes_names_them(lib):
    t = _lib(lib)
    w = t.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but "
                                           r"got \[3\] at entry 0 and \[2\] at entry 1"):
        t.utils.data.default_collate([w * 1, w[:2] * 1])


@pytest.mark.parametrize("lib", LIBS)
def test_iterable_dataset_loader_reports_pytorch_samplers(lib):
    t = _lib(lib)
    loader = t.utils.data.DataLoader(_Numbers(t).stream, batch_size=2)
    assert type(loader.sampler).__name__ == "_InfiniteConstantSampler"
    assert isinstance(loader.batch_sampler, t.utils.data.BatchSampler)
    assert loader.batch_sampler.batch_size == 2
    assert [b.tolist() for b in loader] == [[0, 1], [2]]
    single = t.utils.data.DataLoader(_Numbers(t).stream, batch_size=None)
    assert single.batch_sampler is None and [int(b) for b in single] == [0, 1, 2]


@pytest.mark.parametrize("lib", LIBS)
def test_iterable_dataset_without_iter_cannot_be_made(lib):
    data = _lib(lib).utils.data

    class NoIter(data.IterableDataset):
        def __init__(self, size):
            self.size = size

    with pytest.raises(TypeError, match="Can't instantiate abstract class NoIter"):
        NoIter(3)

    class WithIter(NoIter):
        def __iter__(self):
            return iter(range(self.size))

    stream = WithIter(3)
    import copy
    assert list(copy.copy(stream)) == [0, 1, 2]
    assert [int(b) for b in data.DataLoader(stream, num_workers=1)] == [0, 1, 2]


@pytest.mark.parametrize("lib", LIBS)
def test_worker_options_refused_when_iterating_as_pytorch(lib):
    data = _lib(lib).utils.data
    loader = data.DataLoader([1, 2], timeout=5)  # made, refused when iterated
    with pytest.raises(AssertionError, match="requires timeout == 0"):
        next(iter(loader))
    assert [int(b) for b in data.DataLoader([1, 2], timeout=5, num_workers=1)] == [1, 2]
    if lib == "tg":  # (PyTorch's worker process start is left out of the test)
        loader = data.DataLoader([1, 2], num_workers=1, prefetch_factor=0)
        with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
            next(iter(loader))
        loader = data.DataLoader([1, 2], num_workers=1, prefetch_factor=2.5)
        with pytest.raises(TypeError, match="'float' object cannot be interpreted as an integer"):
            next(iter(loader))


@pytest.mark.parametrize("lib", LIBS)
def test_setting_multiprocessing_context_later_is_checked(lib):
    data = _lib(lib).utils.data
    loader = data.DataLoader([1, 2], num_workers=1)
    loader.multiprocessing_context = "spawn"
    assert type(loader.multiprocessing_context).__name__ == "SpawnContext"
    with pytest.raises(ValueError, match="should specify a valid start method"):
        loader.multiprocessing_context = "nope"
    with pytest.raises(ValueError, match=r"only be used with multi-process loading"):
        data.DataLoader([1, 2]).multiprocessing_context = "fork"


@pytest.mark.parametrize("lib", LIBS)
def test_repeated_sampler_rows_accumulate_their_gradients(lib):
    t = _lib(lib)
    w = t.arange(4.0, dtype=t.float64).requires_grad_()
    ds = t.utils.data.TensorDataset(w)
    for (x,) in t.utils.data.DataLoader(ds, batch_size=6, sampler=[0, 0, 3, 3, 3, 1]):
        (x * t.arange(6.0, dtype=t.float64)).sum().backward()
    assert w.grad.tolist() == [0.0 + 1.0, 5.0, 0.0, 2.0 + 3.0 + 4.0]
    w.grad = None
    sub = t.utils.data.Subset(ds, [3, 3, 0])
    for (x,) in t.utils.data.DataLoader(sub, batch_size=4, sampler=[0, 1, 2, -3]):
        (x * t.arange(4.0, dtype=t.float64)).sum().backward()
    assert w.grad.tolist() == [2.0, 0.0, 0.0, 0.0 + 1.0 + 3.0]


@pytest.mark.parametrize("lib", LIBS)
def test_collate_module_constants_for_copied_collate_functions(lib):
    # custom collate functions copied from PyTorch's old default_collate import these
    module = _lib(lib).utils.data._utils.collate
    assert module.np_str_obj_array_pattern.search(np.array(["a"]).dtype.str)
    assert module.np_str_obj_array_pattern.search(np.array([None]).dtype.str)
    assert not module.np_str_obj_array_pattern.search(np.array([1.0]).dtype.str)
    assert module.default_collate_err_msg_format.format(set) == (
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found <class 'set'>")
    with pytest.raises(TypeError, match=r"found <class 'set'>"):
        module.default_collate([{1}, {2}])


def _shared_memory_collate(lib):
    """The pattern of PyTorch's older default_collate, which scripts carry as their own
    collate_fn: inside a worker, stack into a tensor made on a new shared storage."""
    data = lib.utils.data

    def collate(batch):
        first = batch[0]
        if isinstance(first, lib.Tensor):
            out = None
            if data.get_worker_info() is not None:
                count = sum(sample.numel() for sample in batch)
                block = first._typed_storage()._new_shared(count, device=first.device)
                out = first.new(block).resize_(len(batch), *list(first.size()))
            return lib.stack(batch, 0, out=out)
        return [collate(list(column)) for column in zip(*batch)]

    return collate


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("workers", [0, 2])
def test_old_pytorch_collate_with_shared_storage_in_workers(lib, workers):
    t = _lib(lib)
    ds = t.utils.data.TensorDataset(t.arange(10.0).reshape(5, 2), t.arange(5))
    loader = t.utils.data.DataLoader(ds, batch_size=2, num_workers=workers,
                                     collate_fn=_shared_memory_collate(t))
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert batches[0][0].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert batches[0][0].dtype == t.float32 and batches[0][1].dtype == t.int64
