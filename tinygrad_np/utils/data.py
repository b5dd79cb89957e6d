"""Datasets and minibatches as in `torch.utils.data`, so PyTorch training loops run unchanged.

    ds = TensorDataset(tg.tensor(x), tg.tensor(y))
    loader = DataLoader(ds, batch_size=64, shuffle=True, generator=tg.Generator().manual_seed(0))
    for xb, yb in loader: ...

Everything runs in the calling process. `num_workers=N` emulates PyTorch's worker processes
there (what scripts receive depends on them: an IterableDataset's stream comes once per worker):
N workers, each with its own copy of the dataset, its seed and `get_worker_info()`,
`worker_init_fn` called in each, batches taken from them in turn; `pin_memory` and the other
options are accepted and ignored.
Shuffling draws a new permutation each epoch from `generator` (a tg.Generator or an
np.random.Generator) or, without one, from the library's generator, so `tg.manual_seed(n)`
makes the order reproducible.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import math
import multiprocessing
import multiprocessing.context
import operator
import random
import sys
import types
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_np import rng as _rng
from tinygrad_np.rng import numpy_generator
from tinygrad_np.sampling import multinomial
from tinygrad_np.tensor import Tensor, to_tensor
from tinygrad_np.utils import _collate
from tinygrad_np.utils._collate import default_collate, default_convert

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "RandomSampler",
    "StackDataset",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
    "WorkerInfo",
]


def _generic(cls: type, item: Any) -> type:
    """`Dataset[int]`, `DataLoader[Tensor]`: PyTorch's classes are generic; the type argument
    is only an annotation."""
    return cls


class Dataset:
    """A map-style dataset: subclass it and define `__getitem__(index)` and `__len__()`."""

    __class_getitem__ = classmethod(_generic)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__. "
                                  f"({type(self).__name__} must define __getitem__)")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclass it and define `__iter__()`. A DataLoader batches the
    samples in the order the iterator gives them (no shuffle, no sampler)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> IterableDataset:
        if cls.__iter__ is IterableDataset.__iter__:  # PyTorch's is abstract: refused here
            raise _AbstractIterError(f"Can't instantiate abstract class {cls.__name__} with "
                                     f"abstract method __iter__ ({cls.__name__} must define "
                                     f"__iter__)")
        return super().__new__(cls)

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])  # one stream after the other, as PyTorch

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class _AbstractIterError(TypeError, NotImplementedError):
    """An IterableDataset without `__iter__` made: PyTorch's TypeError (an abstract class),
    a NotImplementedError too, as this library raised it (at iteration) before."""


class ChainDataset(IterableDataset):
    """Iterable datasets one after the other (`+` of two iterable datasets gives one)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            _check_iterable(dataset)
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            _check_iterable(dataset)
            total += len(dataset)  # type: ignore[arg-type]
        return total


def _check_iterable(dataset: Any) -> None:
    if not isinstance(dataset, IterableDataset):
        raise AssertionError(f"ChainDataset only supports IterableDataset, got "
                             f"{type(dataset).__name__}")


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` gives inside a DataLoader worker: its `id` (0 to
    num_workers - 1), `num_workers`, the `seed` its random generators were seeded with, and
    `dataset`, the worker's own copy of the dataset (PyTorch's fields)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"  # the semantics emulated: copies, own seeds


_current_worker: list[WorkerInfo | None] = [None]


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the DataLoader worker this code runs in (inside the dataset's
    `__iter__`/`__getitem__`, the collate function and `worker_init_fn` when num_workers > 0);
    None outside workers, as PyTorch's in the main process."""
    return _current_worker[0]


class _Worker:
    """One of a DataLoader's num_workers workers, emulated in the calling process: while it runs
    (`with worker.running():`) get_worker_info() gives its WorkerInfo and the library's,
    Python's and NumPy's global generators are its own (the first two seeded with its seed,
    NumPy's with _numpy_seed, as PyTorch seeds a worker process), so the caller's random
    streams do not move."""

    def __init__(self, info: WorkerInfo) -> None:
        self.info = info
        self._states: tuple | None = None  # made when first run (a TensorDataset never needs
        # them: its batches are fetched without running any code that could draw)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        if self._states is None:
            info = self.info
            self._states = (_rng.fresh_state(info.seed), random.Random(info.seed).getstate(),
                            np.random.RandomState(_numpy_seed(info)).get_state())
        caller = (_rng.swap_state(self._states[0]), random.getstate(), np.random.get_state())
        random.setstate(self._states[1])
        np.random.set_state(self._states[2])
        _current_worker[0] = self.info
        try:
            yield
        finally:
            _current_worker[0] = None
            self._states = (_rng.swap_state(caller[0]), random.getstate(), np.random.get_state())
            random.setstate(caller[1])
            np.random.set_state(caller[2])


def _numpy_seed(info: WorkerInfo) -> np.ndarray:
    """The seed PyTorch gives NumPy's global generator in a worker: four words that a
    SeedSequence hash makes of the worker id and the loader's base seed, so that NumPy's stream
    is not Python's (both would follow from base seed + id)."""
    base = info.seed - info.id
    return np.random.SeedSequence([info.id, base & 0xFFFFFFFF, base >> 32, 0]).generate_state(4)


def _worker_copy(dataset: Any) -> Any:
    """The dataset as a worker holds it: its own copy of the dataset object (what a worker sets
    on `get_worker_info().dataset`, the sharding pattern, stays its own), sharing the data the
    attributes hold, as forked worker processes share memory until written (a deep copy per
    worker would copy a list of 60,000 sample tensors each epoch). A dataset that cannot be
    copied is shared."""
    try:
        return copy.copy(dataset)
    except (TypeError, RuntimeError, copy.Error):
        return dataset


class SizeMismatchError(AssertionError, ValueError):
    """TensorDataset's tensors differ in length: PyTorch's AssertionError (a ValueError too,
    as this library raised before)."""


class TensorDataset(Dataset):
    """Sample i is `(t[i] for t in tensors)`; every tensor has the same first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        for position, tensor in enumerate(tensors):
            if getattr(tensor, "ndim", 1) == 0:
                raise IndexError(f"Dimension specified as 0 but tensor has no dimensions "
                                 f"(TensorDataset: tensor {position} is 0-d; its samples are "
                                 f"along the first dimension)")
        sizes = [len(tensor) for tensor in tensors]
        if len(set(sizes)) > 1:
            raise SizeMismatchError(f"Size mismatch between tensors: TensorDataset's tensors' "
                                    f"first dimensions differ: {sizes}")
        self.tensors = tuple(map(to_tensor, tensors))

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0]) if self.tensors else 0

    def _batch(self, indices: list[Any]) -> list[Tensor] | None:
        """The default-collated batch of `indices` in one indexing per tensor (recorded for a
        tensor that requires grad, so the batch's gradient reaches it, as PyTorch's); None
        unless the indices are integers (a bool or float index means what indexing one
        sample with it means, so it is fetched sample by sample)."""
        if indices and isinstance(indices[0], Tensor):  # (a sampler over a tensor of indices)
            if not all(isinstance(index, Tensor) and index.ndim == 0 for index in indices):
                return None
            rows = np.array([index._data for index in indices])
        else:
            rows = np.asarray(indices)
        if rows.dtype.kind not in "iu" or rows.ndim != 1:
            return None
        if len(rows) and (rows.min() < -len(self) or rows.max() >= len(self)):
            return None  # out of range: one by one, for indexing's error naming the index
        return [tensor[rows] if tensor.requires_grad else Tensor(tensor._data[rows])
                for tensor in self.tensors]


def _fetch_many(dataset: Any, indices: list[int]) -> list[Any]:
    """The samples of `dataset` at `indices`: its `__getitems__` if it has one, else one by one."""
    many = getattr(dataset, "__getitems__", None)
    return many(indices) if callable(many) else [dataset[index] for index in indices]


class StackDataset(Dataset):
    """Several datasets of one length side by side: sample i is the tuple of their samples
    (datasets given by position) or the dict of them (given by keyword)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        self.datasets: Any = args or kwargs
        parts = list(args or kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(len(part) != self._length for part in parts):
            raise ValueError("Size mismatch between datasets")

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The samples at `indices`, each dataset asked once through its own `__getitems__`
        where it has one (the DataLoader's batched fetch, as PyTorch's)."""
        keyed = isinstance(self.datasets, dict)
        columns = {}
        for key, dataset in (self.datasets.items() if keyed else enumerate(self.datasets)):
            column = _fetch_many(dataset, indices)
            if len(column) != len(indices):
                raise ValueError("Nested dataset's output size mismatch. Expected "
                                 f"{len(indices)}, got {len(column)}")
            columns[key] = column
        if keyed:
            return [{key: column[row] for key, column in columns.items()}
                    for row in range(len(indices))]
        return [tuple(column[row] for column in columns.values()) for row in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The samples at `indices`, through the wrapped dataset's `__getitems__` where it
        has one (the DataLoader's batched fetch, as PyTorch's)."""
        return _fetch_many(self.dataset, [self.indices[index] for index in indices])

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1]) if self.datasets else 0

    @property
    def cummulative_sizes(self) -> list[int]:
        """PyTorch's old, misspelt name of `cumulative_sizes` (with its FutureWarning)."""
        warnings.warn("`cummulative_sizes` attribute is renamed to `cumulative_sizes`",
                      FutureWarning, stacklevel=2)
        return self.cumulative_sizes

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError(f"absolute value of index should not exceed dataset length "
                                 f"(ConcatDataset: index {index}, length {len(self)})")
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index out of range for length {len(self)}")
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = int(self.cumulative_sizes[which - 1]) if which else 0
        return self.datasets[which][index - start]


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split into non-overlapping random Subsets of the given lengths.

    `lengths` are counts summing to len(dataset), or fractions summing to 1 (floored, the
    remainder handed out one by one from the first part, as PyTorch does).
    """
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for position, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:  # ([1.5, -0.5] sums to 1 too)
                raise ValueError(f"Fraction at index {position} is not between 0 and 1 "
                                 f"(random_split: lengths {list(lengths)})")
        counts = [int(math.floor(total * fraction)) for fraction in lengths]
        for position in range(total - sum(counts)):
            counts[position % len(counts)] += 1
        for position, count in enumerate(counts):
            if count == 0:  # (PyTorch's warning, for fractions only)
                warnings.warn(f"Length of split at index {position} is 0. This might result in "
                              f"an empty dataset.", UserWarning, stacklevel=2)
    else:
        counts = list(lengths)
    if sum(counts) != total:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"(random_split: the lengths {list(lengths)} do not add up to the "
                         f"dataset's length {total})")
    counts = [_split_count(count, lengths) for count in counts]
    order = numpy_generator(generator).randperm(total).tolist()
    splits, start = [], 0
    for count in counts:
        splits.append(Subset(dataset, order[start : start + count]))
        start += count
    return splits


def _split_count(length: Any, lengths: Sequence[Any]) -> int:
    """One of random_split's counts: a whole number (3 or 3.0), not negative (PyTorch takes
    a negative count and returns overlapping subsets; refused here)."""
    if int(length) != length:
        raise TypeError(f"random_split: lengths must be whole numbers or fractions summing to "
                        f"1, got {list(lengths)}")
    if length < 0:
        raise ValueError(f"random_split: lengths must not be negative, got {list(lengths)}")
    return int(length)


class Sampler:
    """Base class of the samplers: an iterable of dataset indices (define __iter__, __len__)."""

    __class_getitem__ = classmethod(_generic)

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order of the indices each epoch; with `replacement=True`, `num_samples`
    indices drawn uniformly with replacement (from `generator`, else the library's)."""

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement} (RandomSampler)")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples} (RandomSampler)")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        """As PyTorch's: without a generator, a seed drawn from the library's (random_() of
        an int64) seeds a Generator of its own; then randperm (randint with replacement)."""
        n = len(self.data_source)
        if self.generator is None:
            seed = int(numpy_generator(None).random_bits((), np.int64))
            rng = _rng.Generator().manual_seed(seed).numpy
        else:
            rng = numpy_generator(self.generator)
        if self.replacement:
            return iter(rng.integers_from(0, n, (self.num_samples,)).tolist())
        whole, rest = divmod(self.num_samples, n)  # num_samples > n repeats whole orders
        order = [rng.randperm(n) for _ in range(whole)] + [rng.randperm(n)[:rest]]
        return iter(np.concatenate(order).tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        order = numpy_generator(self.generator).randperm(len(self.indices))
        return iter([self.indices[int(i)] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability proportional to `weights` (e.g. inverse
    class frequencies for an imbalanced dataset), with or without replacement. `weights` is
    kept as a float64 Tensor; invalid weights (negative, inf, NaN, all zero) raise
    torch.multinomial's RuntimeError when drawing, as PyTorch's."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples} (WeightedRandomSampler)")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement} (WeightedRandomSampler)")
        weights = Tensor(np.asarray(weights._data if isinstance(weights, Tensor) else weights,
                                    dtype=np.float64))
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights.shape)} (WeightedRandomSampler)")
        self.weights, self.num_samples = weights, num_samples
        self.replacement, self.generator = replacement, generator

    def __iter__(self) -> Iterator[int]:
        """As torch.multinomial: without replacement, zero-weight indices come last, and more
        samples than weights is PyTorch's RuntimeError (raised at the first index, as there)."""
        yield from multinomial(self.weights, self.num_samples, self.replacement,
                               generator=self.generator).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of `batch_size` (the last one shorter
    unless `drop_last`)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size} (BatchSampler)")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last} "
                             "(BatchSampler)")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler)  # type: ignore[arg-type]
        return count // self.batch_size if self.drop_last else -(-count // self.batch_size)


class _InfiniteConstantSampler(Sampler):
    """An IterableDataset's `loader.sampler`, as PyTorch's: None forever (the dataset's own
    iterator gives the samples)."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


class DataLoader:
    """Iterate over a dataset in minibatches: `for xb, yb in DataLoader(ds, batch_size=64)`.

    PyTorch's arguments: `batch_size=1` (None: single samples, not batched), `shuffle`
    (a new order each epoch), `sampler` (an iterable of indices) or `batch_sampler` (an
    iterable of index lists), `drop_last` (skip a short last batch), `collate_fn`
    (default: `default_collate`), `generator` (tg.Generator or np.random.Generator, for
    `shuffle`). `num_workers` > 0 emulates PyTorch's workers in the calling process (each
    with its own (shallow) copy of the dataset, its seed, `get_worker_info()` and `worker_init_fn`;
    an IterableDataset's batches taken from the workers in turn, a map-style dataset's batch k
    fetched by worker k % num_workers; `persistent_workers` keeps them across epochs).
    `pin_memory`, `timeout`, `prefetch_factor`, `multiprocessing_context`, `in_order`,
    `pin_memory_device` are accepted and ignored (checked as PyTorch checks them).
    `len(loader)` is the number of batches.
    """

    _fixed = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
              "persistent_workers")  # PyTorch refuses to change these after construction

    __class_getitem__ = classmethod(_generic)

    def __init__(
        self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
        sampler: Iterable[int] | None = None, batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0, collate_fn: Any = None, pin_memory: bool = False,
        drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
        generator: Any = None, *, prefetch_factor: int | None = None,
        persistent_workers: bool = False, multiprocessing_context: Any = None,
        pin_memory_device: str = "", in_order: bool = True,
    ) -> None:
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r} (DataLoader: a positive int, or None "
                             f"for single samples)")
        if isinstance(dataset, IterableDataset):
            for name, value, given in (("shuffle", shuffle, shuffle not in (None, False)),
                                       ("sampler", sampler, sampler is not None),
                                       ("batch_sampler", batch_sampler, batch_sampler is not None)):
                if given:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle (DataLoader: "
                             "the sampler gives the order; shuffle it there)")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last (DataLoader)")
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.shuffle = bool(shuffle)  # (read once, here: PyTorch ignores a later change)
        if isinstance(dataset, IterableDataset):  # (the samplers PyTorch reports; unused)
            sampler = _InfiniteConstantSampler()
        self.sampler = sampler if sampler is not None else (
            RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset))
        self.batch_sampler = batch_sampler if batch_sampler is not None or (
            batch_size is None) else BatchSampler(self.sampler, batch_size, drop_last)
        self.drop_last = drop_last
        if collate_fn is None:  # PyTorch's default: collate batches, convert single samples
            batched = batch_sampler is not None or batch_size is not None
            collate_fn = default_collate if batched else default_convert
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = num_workers
        self.persistent_workers = persistent_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else (
            prefetch_factor)  # PyTorch's default with workers
        self.multiprocessing_context = _start_context(multiprocessing_context, num_workers)
        self.in_order = in_order
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.pin_memory = pin_memory
        self.worker_init_fn = worker_init_fn
        self._persistent_pool: list[_Worker] | None = None
        self.__dict__["_initialized"] = True

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_initialized") and name in self._fixed:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        if self.__dict__.get("_initialized") and name == "multiprocessing_context":
            value = _start_context(value, self.num_workers)  # checked as in __init__ (PyTorch)
        super().__setattr__(name, value)

    def _collated(self, samples: Iterator[Any]) -> Iterator[Any]:
        """An IterableDataset's samples, batched in the order they come."""
        if self.batch_size is None:
            yield from (self.collate_fn(sample) for sample in samples)
            return
        batch: list[Any] = []
        for sample in samples:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __iter__(self) -> _LoaderIterator:
        # every new iterator draws the workers' base seed from `generator`, with or without
        # workers (as PyTorch), so that num_workers does not change a shuffled order
        base_seed = None if self._persistent_pool else int(  # (PyTorch: an int64's random_())
            numpy_generator(self.generator).random_bits((), np.int64))
        reported = self.__dict__.get("_IterableDataset_len_called")  # (as this iterator starts)
        if self.num_workers == 0:
            if self.timeout != 0:  # (PyTorch's check, when iterating)
                raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0 "
                                     f"(DataLoader: timeout={self.timeout} needs num_workers > 0)")
            if isinstance(self.dataset, IterableDataset):
                batches = self._collated(iter(self.dataset))
                return _LoaderIterator(self._counted(batches, reported), self)
            return _LoaderIterator(self._batches(), self)
        workers = self._start_workers(base_seed)
        if not isinstance(self.dataset, IterableDataset):
            return _LoaderIterator(self._batches(workers), self)
        streams = []
        for worker in workers:  # each worker's iterator over its own copy, made in the worker
            with worker.running():
                streams.append(self._collated(iter(worker.info.dataset)))
        return _LoaderIterator(self._counted(_round_robin(workers, streams), reported), self)

    def _counted(self, batches: Iterator[Any], reported: int | None) -> Iterator[Any]:
        """An IterableDataset's batches, with PyTorch's warning once more batches come than
        the dataset's length that len(loader) read before the iteration began (e.g. workers
        that all yield the whole stream: the dataset must split it with get_worker_info())."""
        for count, batch in enumerate(batches, 1):
            if reported is not None and count > reported:
                hint = (" For multiprocessing data-loading, this could be caused by not properly "
                        "configuring the IterableDataset replica at each worker (shard it with "
                        "get_worker_info())." if self.num_workers > 0 else "")
                warnings.warn(f"Length of IterableDataset {self.dataset} was reported to be "
                              f"{reported} (when accessing len(dataloader)), but {count} samples "
                              f"have been fetched.{hint}", UserWarning, stacklevel=3)
            yield batch

    def _start_workers(self, base_seed: int | None) -> list[_Worker]:
        """The num_workers workers (emulated in this process), each with its own copy of the
        dataset and its seed (base seed drawn from `generator` + worker id, as PyTorch), and
        worker_init_fn(worker_id) called in each; persistent_workers keeps them (and their
        copies) for the next epochs, as PyTorch's."""
        if self._persistent_pool is not None or base_seed is None:
            return self._persistent_pool
        if self.prefetch_factor is not None and operator.index(self.prefetch_factor) <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for "
                                 "MultiProcessingDataLoaderIter (DataLoader with workers: "
                                 f"prefetch_factor={self.prefetch_factor})")
        workers = [_Worker(WorkerInfo(number, self.num_workers, base_seed + number,
                                      _worker_copy(self.dataset)))
                   for number in range(self.num_workers)]
        if self.worker_init_fn is not None:
            for worker in workers:
                with worker.running():
                    self.worker_init_fn(worker.info.id)
        if self.persistent_workers:
            self._persistent_pool = workers
        return workers

    def _fetch(self, dataset: Any, indices: Any) -> Any:
        """The collated batch at `indices` (an index when batch_size=None) of `dataset`."""
        if self.batch_sampler is None:  # batch_size=None: single samples
            return self.collate_fn(dataset[indices])
        if self._plain_rows(dataset):
            batch = _tensor_rows(dataset, indices)  # one indexing a tensor
            if batch is not None:
                return batch
        many = getattr(dataset, "__getitems__", None)  # PyTorch's batched fetch
        samples = many(indices) if many else [dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _plain_rows(self, dataset: Any) -> bool:
        """Whether a batch of `dataset` is rows of tensors, default-collated: a TensorDataset
        (or Subsets of one), whose fetch runs no code of the script's (so no worker state to
        set up around it)."""
        while type(dataset) is Subset:
            dataset = dataset.dataset
        return type(dataset) is TensorDataset and self.collate_fn is default_collate and (
            _collate.default_collate_fn_map.get(Tensor) is _collate.collate_tensor_fn)

    def _batches(self, workers: list[_Worker] | None = None) -> Iterator[Any]:
        """A map-style dataset's batches in the sampler's order; with workers, batch k is
        fetched (and collated) by worker k % num_workers from its copy, as PyTorch assigns them."""
        indices_stream = self.sampler if self.batch_sampler is None else self.batch_sampler
        if workers is None:
            for indices in indices_stream:
                yield self._fetch(self.dataset, indices)
            return
        for number, indices in enumerate(indices_stream):
            worker = workers[number % len(workers)]
            if self.batch_sampler is not None and self._plain_rows(worker.info.dataset):
                yield self._fetch(worker.info.dataset, indices)  # (nothing that could draw)
                continue
            with worker.running():
                batch = self._fetch(worker.info.dataset, indices)
            yield batch

    def __len__(self) -> int:
        return self._length(record=True)

    def _length(self, record: bool) -> int:
        """The number of batches; `record`: len(loader) was asked, so an IterableDataset that
        yields more than it reported is warned about (len(iter(loader)) does not count)."""
        if isinstance(self.dataset, IterableDataset):
            count = len(self.dataset)
            if record:
                self.__dict__["_IterableDataset_len_called"] = count
            if self.batch_size is None:
                return count
            return count // self.batch_size if self.drop_last else -(-count // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]


def _tensor_rows(dataset: Any, indices: list[Any]) -> list[Tensor] | None:
    """default_collate's batch of a TensorDataset, or of Subsets of one (random_split's
    parts), at `indices`, in one indexing per tensor; None for any other dataset. Each Subset
    maps the indices as its __getitems__ does, so the rows are the samples it would fetch."""
    base = dataset
    while type(base) is Subset:
        base = base.dataset
    if type(base) is not TensorDataset:
        return None
    while dataset is not base:
        indices = [dataset.indices[index] for index in indices]
        dataset = dataset.dataset
    return base._batch(indices)


def _check_worker_options(num_workers: int, timeout: float, prefetch_factor: int | None,
                          persistent_workers: bool) -> None:
    """The worker options are ignored, but their misuse is refused as in PyTorch."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError(f"prefetch_factor option should be non-negative, got {prefetch_factor}")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _start_context(context: Any, num_workers: int) -> Any:
    """A multiprocessing start method checked as PyTorch checks it (a name becomes its
    context); recorded only, as the workers run in this process."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process "
                         f"loading (num_workers > 0), but got num_workers={num_workers}")
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError("multiprocessing_context option should specify a valid start "
                             f"method in {methods!r}, but got "
                             f"multiprocessing_context={context!r}")
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError("multiprocessing_context option should be a valid context object or "
                        "a string specifying the start method, but got "
                        f"multiprocessing_context={context!r}")
    return context


_END = object()


def _round_robin(workers: list[_Worker], streams: list[Iterator[Any]]) -> Iterator[Any]:
    """The workers' batches taken in turn, each batch made while its worker runs; a worker
    whose stream ends drops out and the others go on in turn (PyTorch's order, in_order=True)."""
    live, position = list(zip(workers, streams)), 0
    while live:
        worker, stream = live[position]
        with worker.running():
            batch = next(stream, _END)
        if batch is _END:
            live.pop(position)
        else:
            yield batch
            position += 1
        position = position % len(live) if live else 0


class _LoaderIterator:
    """What iter(loader) gives: the batches, with len() as PyTorch's iterator has."""

    def __init__(self, batches: Iterator[Any], loader: DataLoader) -> None:
        self._batches, self._loader = batches, loader

    def __iter__(self) -> _LoaderIterator:
        return self

    def __next__(self) -> Any:
        return next(self._batches)

    def __len__(self) -> int:
        return self._loader._length(record=False)


class DistributedSampler(Sampler):
    """Replica `rank` of `num_replicas`'s share of the indices, as PyTorch's: the (shuffled,
    with seed + epoch) order padded by repeating its start to a multiple of `num_replicas`
    (or, `drop_last`, cut to one), then every num_replicas-th index from `rank`. There is
    no process group here, so `num_replicas` and `rank` must be given. Unshuffled, the
    indices are PyTorch's; shuffled, the order comes from NumPy's generator, not PyTorch's,
    so it differs (each seed + epoch still gives one fixed order, the same on every replica).
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:  # PyTorch asks the default process group
            raise ValueError("Default process group has not been initialized, please make "
                             "sure to call init_process_group.")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        size = len(dataset)
        if drop_last and size % num_replicas:
            self.num_samples = math.ceil((size - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(size / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        size = len(self.dataset)
        indices = (_rng.Generator().manual_seed(self.seed + self.epoch).numpy.randperm(size)
                   .tolist()
                   if self.shuffle else list(range(size)))
        if self.drop_last:
            indices = indices[:self.total_size]
        elif indices:  # pad with the start, repeated as often as needed
            padding = self.total_size - len(indices)
            indices += (indices * math.ceil(padding / len(indices)))[:padding]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose order the next iteration uses (shuffle: a new one each epoch)."""
        self.epoch = epoch


# PyTorch's submodule paths for the same names: `torch.utils.data.dataloader.default_collate`,
# `from tinygrad_np.utils.data.dataloader import default_collate`, `...data.dataset.Dataset`.
def _submodule(name: str, **members: Any) -> types.ModuleType:
    module = types.ModuleType(f"{__name__}.{name}")
    module.__dict__.update(members)
    sys.modules[module.__name__] = module
    return module


_samplers = {name: value for name, value in globals().items() if name.endswith("Sampler")}
sampler = _submodule("sampler", **_samplers)
dataloader = _submodule("dataloader", DataLoader=DataLoader, default_collate=default_collate,
                        default_convert=default_convert, get_worker_info=get_worker_info,
                        Dataset=Dataset, IterableDataset=IterableDataset, **_samplers)
dataset = _submodule("dataset", Dataset=Dataset, IterableDataset=IterableDataset,
                     TensorDataset=TensorDataset, StackDataset=StackDataset,
                     ChainDataset=ChainDataset, Subset=Subset, ConcatDataset=ConcatDataset,
                     random_split=random_split)
distributed = _submodule("distributed", DistributedSampler=DistributedSampler)
# `from torch.utils.data._utils.collate import collate, default_collate_fn_map`: the documented
# way to extend default_collate
_utils = _submodule("_utils", collate=_collate)
_utils.worker = _submodule("_utils.worker", get_worker_info=get_worker_info,
                           WorkerInfo=WorkerInfo)
sys.modules[f"{__name__}._utils.collate"] = _collate
