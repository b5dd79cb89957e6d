"""Batching samples, as PyTorch's `torch.utils.data._utils.collate`: `default_collate`,
`default_convert`, and `collate(batch, collate_fn_map=...)`, the documented way to extend
default_collate (a table type -> function; `default_collate_fn_map` is default_collate's own,
which a script may update in place).

Containers keep their type where they can: a mapping or a mutable sequence is a shallow copy
of the first sample with each item collated (an OrderedDict stays one, a defaultdict keeps
its default_factory, a list subclass stays one), a namedtuple stays one, a plain tuple
becomes a list (as PyTorch's).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

import numpy as np

from tinygrad_np.factories import tensor
from tinygrad_np.functions import promote_types
from tinygrad_np.join import stack
from tinygrad_np.tensor import Tensor

CollateFnMap = dict[type | tuple[type, ...], Callable]

_UNBATCHABLE = "SaUO"  # NumPy kinds of strings and objects: not numbers
# PyTorch's module constants, which custom collate functions copied from it import
np_str_obj_array_pattern = re.compile(f"[{_UNBATCHABLE}]")
default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")


def _refused(what: Any) -> TypeError:
    return TypeError(default_collate_err_msg_format.format(what)
                     + " (pass a collate_fn= for other samples)")


def _common_dtype(dtypes: list[np.dtype]) -> np.dtype:
    """The dtype of the stacked samples, by PyTorch's promotion (torch.stack's): int64 with
    float32 is float32, where NumPy says float64."""
    return functools.reduce(promote_types, dtypes)


def _check_shapes(arrays: Sequence[Any]) -> None:
    """Samples of different shapes raise PyTorch's RuntimeError (pass a collate_fn that pads
    them, e.g. with pad_sequence)."""
    for position, array in enumerate(arrays):
        if array.shape != arrays[0].shape:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, but got "
                f"{list(arrays[0].shape)} at entry 0 and {list(array.shape)} at entry "
                f"{position}; pass a collate_fn= that pads the samples (e.g. with "
                "nn.utils.rnn.pad_sequence)")


def _stack_samples(arrays: list[np.ndarray]) -> Tensor:
    """The samples stacked on a new first axis (of one shape: see _check_shapes)."""
    _check_shapes(arrays)
    return Tensor(np.stack(arrays, dtype=_common_dtype([array.dtype for array in arrays])))


def collate_tensor_fn(batch: Sequence[Tensor], *,
                      collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Tensors stacked along a new first axis (recorded when one requires grad, as
    torch.stack; mixed dtypes promoted as torch.stack promotes them)."""
    for position, sample in enumerate(batch):
        if not isinstance(sample, Tensor):
            raise TypeError(f"expected Tensor as element {position} in argument 0, but "
                            f"got {type(sample).__name__}")
    if any(sample.requires_grad for sample in batch):
        _check_shapes(batch)
        return stack(list(batch))
    return _stack_samples([sample._data for sample in batch])


def collate_numpy_array_fn(batch: Sequence[np.ndarray], *,
                           collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """NumPy arrays stacked into a Tensor (strings and objects refused)."""
    if np.asarray(batch[0]).dtype.kind in _UNBATCHABLE:
        raise _refused(np.asarray(batch[0]).dtype)
    return _stack_samples([np.asarray(sample) for sample in batch])


def collate_numpy_scalar_fn(batch: Sequence[np.generic], *,
                            collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """NumPy numbers as a 1-d Tensor of their (promoted) dtype."""
    return collate_numpy_array_fn(batch)


def collate_float_fn(batch: Sequence[float], *,
                     collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python floats as a float64 Tensor (PyTorch's choice, not the default dtype)."""
    return Tensor(np.array(batch, dtype=np.float64))


def collate_int_fn(batch: Sequence[int], *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    """Python ints and bools as `tensor(batch)` (int64, bool, or float32 when floats follow)."""
    return tensor(list(batch))


def collate_str_fn(batch: Sequence[str | bytes], *,
                   collate_fn_map: CollateFnMap | None = None) -> Sequence[str | bytes]:
    """Strings stay as given: a list (a tuple inside a collated tuple, as PyTorch)."""
    return batch


default_collate_fn_map: CollateFnMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def _rebuilt(template: Any, items: Any, keyed: bool) -> Any:
    """`items` (a dict, or a list of positions) in `template`'s container type: a shallow
    copy updated in place when mutable (keeps a defaultdict's factory), else `type(items)`
    called on them; a plain dict or list when the type cannot be built so."""
    try:
        if isinstance(template, MutableMapping if keyed else MutableSequence):
            clone = copy.copy(template)
            if keyed:
                clone.update(items)
            else:
                for position, item in enumerate(items):
                    clone[position] = item
            return clone
        return type(template)(items)
    except TypeError:
        return items


def collate(batch: Sequence[Any], *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """Collate `batch` (a list of samples): the function `collate_fn_map` has for the first
    sample's type (or the first of its types it is an instance of, in the table's order),
    else mappings key by key, namedtuples, tuples and sequences position by position,
    recursing with the same table; anything else is a TypeError."""
    elem = batch[0]
    if collate_fn_map is not None:
        function = collate_fn_map.get(type(elem))
        if function is None:
            function = next((collate_fn_map[kind] for kind in collate_fn_map
                             if isinstance(elem, kind)), None)
        if function is not None:
            return function(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, Mapping):
        items = {key: collate([sample[key] for sample in batch], collate_fn_map=collate_fn_map)
                 for key in elem}
        return _rebuilt(elem, items, keyed=True)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(collate(items, collate_fn_map=collate_fn_map)
                            for items in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size "
                               f"(default_collate: sample lengths {[len(s) for s in batch]})")
        parts = [collate(items, collate_fn_map=collate_fn_map) for items in zip(*batch)]
        return parts if isinstance(elem, tuple) else _rebuilt(elem, parts, keyed=False)
    raise _refused(type(elem))


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, as PyTorch's default collate.

    Tensors and ndarrays are stacked into a Tensor (along a new first axis, their dtypes
    promoted as torch.stack's); Python floats become a float64 Tensor; ints and bools a
    tensor whose dtype comes from every value (int64, bool, or float32 when floats follow an
    int); mappings are collated key by key, tuples and sequences position by position (a
    tuple gives a list; a namedtuple, a list subclass, an OrderedDict keep their type);
    strings stay a list. `default_collate_fn_map` holds the per-type functions.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """batch_size=None: each sample as it is, with NumPy arrays and NumPy numbers turned into
    Tensors (inside mappings, namedtuples, tuples and sequences too, each keeping its type
    where it can; a plain tuple becomes a list), as PyTorch's default_convert."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray | np.generic) and not isinstance(data, np.str_ | np.bytes_):
        if isinstance(data, np.ndarray) and data.dtype.kind in _UNBATCHABLE:
            return data
        return Tensor(np.asarray(data))
    if isinstance(data, Mapping):
        items = {key: default_convert(data[key]) for key in data}
        return _rebuilt(data, items, keyed=True)
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return _rebuilt(data, [default_convert(item) for item in data], keyed=False)
    return data
