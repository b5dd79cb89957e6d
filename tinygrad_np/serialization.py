"""Saving and loading weights: `save(model.state_dict(), path)`, then
`model.load_state_dict(load(path))`.

The file is a plain NumPy `.npz` archive, one `.npy` entry per name, plus a format marker
entry so that `load` can tell its own files from any other `.npz`. Nothing is pickled:
loading runs `np.load(..., allow_pickle=False)`, so a file from an untrusted source cannot
run code; at worst it is refused with a ValueError.

`save` never leaves a half-written file under the target name: it writes a temporary file in
the same directory and renames it over the target (`os.replace`, atomic on POSIX and
Windows), so an interruption leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_np.device import as_device
from tinygrad_np.tensor import Tensor

FORMAT_KEY = "__tinygrad_np_format__"
FORMAT_VERSION = 1
# np.savez takes the arrays as keyword arguments, so these names would collide with its own.
_RESERVED = (FORMAT_KEY, "file", "allow_pickle")

# The first bytes of an .npy file, and of a zip archive (an empty one has no local header).
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

PathLike = str | os.PathLike


def _arrays_to_save(state_dict: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The state dict's values as arrays (a Tensor gives its data), with clear errors."""
    if not isinstance(state_dict, Mapping):
        is_model = hasattr(state_dict, "state_dict")
        hint = " (call .state_dict() on the model first)" if is_model else ""
        raise TypeError(f"save: expected a dict of name -> array, got a "
                        f"{type(state_dict).__name__}{hint}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be strings, got {name!r}")
        if name in _RESERVED:
            raise ValueError(f"save: the name {name!r} is reserved by the file format")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.hasobject:
            raise ValueError(f"save: {name!r} holds Python objects (dtype {array.dtype}); only "
                             "numeric arrays can be saved without pickle")
        arrays[name] = array
    return arrays


def save(state_dict: Mapping[str, Any], path: PathLike) -> None:
    """Write `state_dict` (name -> ndarray or Tensor) to `path` as an .npz archive, atomically.

    The file is written exactly at `path` (no extension is added). Names, dtypes, shapes and
    values round-trip exactly through `load`.
    """
    arrays = _arrays_to_save(state_dict)
    path = os.fspath(path)
    directory, base = os.path.split(os.path.abspath(path))
    # Same directory as the target, so os.replace is a rename within one file system.
    temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            np.savez(handle, **{FORMAT_KEY: np.array(FORMAT_VERSION)}, **arrays)
            handle.flush()
            os.fsync(handle.fileno())  # the data is on disk before the name points at it
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def load(path: PathLike, map_location: Any = None, weights_only: bool = True
         ) -> OrderedDict[str, np.ndarray]:
    """Read a file written by `save`: an ordered dict name -> ndarray, in the saved order.

    Raises FileNotFoundError for a missing file and ValueError, naming the file and the
    reason, for anything else that is not such a file: random or truncated bytes, a `.npz`
    from elsewhere, or one containing pickled objects (which is never unpickled).
    PyTorch's `map_location` (only the CPU) and `weights_only` are accepted: files hold
    arrays only, so loading is always weights-only.
    """
    as_device(map_location, "load")
    path = os.fspath(path)
    with open(path, "rb") as handle:
        # Decide from the first bytes, so that NumPy never guesses a pickle (and its message,
        # which suggests allow_pickle=True, never reaches someone holding a random file).
        head = handle.read(len(_NPY_MAGIC))
        handle.seek(0)
        if head == _NPY_MAGIC:
            raise ValueError(f"load: {path} holds a single .npy array, not an .npz archive "
                             "written by tinygrad_np.save")
        if not head.startswith(_ZIP_MAGICS):
            raise ValueError(f"load: {path} is not a weights file written by tinygrad_np.save: "
                             f"{'it is empty' if not head else 'it is not an .npz (zip) archive'}")
        try:
            archive = np.load(handle, allow_pickle=False)
        except Exception as error:  # BadZipFile, EOFError, ...: the archive is broken
            raise ValueError(f"load: {path} is a truncated or damaged .npz archive "
                             f"({type(error).__name__}: {error})") from None
        with archive:
            return _read_entries(archive, path)


def _read_entries(archive: Any, path: str) -> OrderedDict[str, np.ndarray]:
    if FORMAT_KEY not in archive.files:
        raise ValueError(
            f"load: {path} is an .npz archive but was not written by tinygrad_np.save (it has "
            f"no {FORMAT_KEY!r} entry); read a plain .npz with np.load"
        )
    result: OrderedDict[str, np.ndarray] = OrderedDict()
    for name in archive.files:
        try:
            value = archive[name]
        except ValueError as error:
            if "pickle" in str(error) or "Object arrays" in str(error):
                raise ValueError(f"load: {path}: entry {name!r} is a pickled object array, "
                                 "which is never loaded (unpickling can run code)") from None
            raise ValueError(f"load: {path}: entry {name!r} is unreadable: {error}") from None
        except Exception as error:  # a damaged member: zlib, CRC or EOF errors
            raise ValueError(f"load: {path}: entry {name!r} is damaged: {error}") from None
        if not isinstance(value, np.ndarray):
            raise ValueError(f"load: {path}: entry {name!r} is not a .npy array")
        if name == FORMAT_KEY:
            if value.shape != () or value.dtype.kind not in "iu" or int(value) != FORMAT_VERSION:
                raise ValueError(f"load: {path} has format {value!r}; this tinygrad_np reads "
                                 f"format {FORMAT_VERSION} (was it written by a newer version?)")
            continue
        result[name] = value
    return result
