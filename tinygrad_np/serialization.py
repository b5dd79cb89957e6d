"""Saving and loading weights: `save(model.state_dict(), path)`, then
`model.load_state_dict(load(path))`.

The file is a plain NumPy `.npz` archive, one `.npy` entry per name, plus a format marker
entry so that `load` can tell its own files from any other `.npz`. Nothing is pickled:
`load` reads the zip members itself and only ever builds numeric arrays from their bytes, so
a file from an untrusted source cannot run code; at worst it is refused with a ValueError.

`save` never leaves a half-written file under the target name: it writes a temporary file in
the same directory and renames it over the target (`os.replace`, atomic on POSIX and
Windows), so an interruption leaves the previous file intact; a file it replaces keeps its
permission bits, and a symbolic link keeps pointing at the (new) file.

`load` reads every entry's .npy header first and refuses the archive, before allocating
anything, when the arrays would take more than `max_bytes` (4 GiB by default): a small
compressed "zip bomb" costs nothing. It also refuses entries whose stored size disagrees with
their header, duplicate or non-.npy entries, and any dtype other than bool/int/float/complex.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
import zipfile
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

DEFAULT_MAX_BYTES = 4 << 30  # 4 GiB: what `load` may allocate unless told otherwise
MAX_NAME_LENGTH = 1024
# bool, signed and unsigned integers, floats, complex: what a weights file holds.
_NUMERIC_KINDS = "biufc"


def _arrays_to_save(state_dict: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The state dict's values as arrays (a Tensor gives its data), with clear errors."""
    if not isinstance(state_dict, Mapping):
        is_model = hasattr(state_dict, "state_dict")
        hint = " (call .state_dict() on the model first)" if is_model else ""
        raise TypeError(f"save: expected a dict of name -> array, got a "
                        f"{type(state_dict).__name__}{hint}")
    arrays: dict[str, np.ndarray] = {}
    for name, value in state_dict.items():
        name = _check_name(name)
        if name in arrays:  # a Mapping whose items() repeats a key, or a str subclass
            raise ValueError(f"save: two entries are named {name!r}; names must be unique")
        try:
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
        except (ValueError, TypeError) as error:  # ragged lists, failing __array__, ...
            raise TypeError(f"save: the value of {name!r} is not an array: {error}") from None
        if array.dtype.hasobject:
            raise ValueError(f"save: {name!r} holds Python objects (dtype {array.dtype}); only "
                             "numeric arrays can be saved without pickle")
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}; only bool, integer, float "
                            "and complex arrays can be saved")
        arrays[name] = array
    return arrays


def _check_name(name: Any) -> str:
    """A name that round-trips as an archive entry `<name>.npy`, or a clear error."""
    if not isinstance(name, str):
        raise TypeError(f"save: names must be strings, got {name!r} ({type(name).__name__})")
    name = str(name)  # a str subclass becomes a plain str
    problem = None
    if name in _RESERVED:
        raise ValueError(f"save: the name {name!r} is reserved by the file format")
    if "\0" in name:
        problem = "contains a NUL character (zip archives cut names there)"
    elif "/" in name or "\\" in name:
        problem = "contains '/' or '\\' (archives read them as folders)"
    elif len(name) > MAX_NAME_LENGTH:
        problem = f"is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
    else:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            problem = "is not valid Unicode (it holds a lone surrogate)"
    if problem:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise ValueError(f"save: the name {shown!r} {problem}")
    return name


def _target_of(path: str) -> tuple[str, int | None]:
    """The file to replace (a symlink's target) and its permission bits (None: new file)."""
    target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: {path} is a directory")
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the folder {directory} does not exist")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return target, None
    # A read-only weights file stays protected, as `open(path, "wb")` would fail on it.
    if not os.access(target, os.W_OK):
        raise PermissionError(f"save: {path} is read-only; not replacing it")
    return target, mode


def save(state_dict: Mapping[str, Any], path: PathLike) -> None:
    """Write `state_dict` (name -> ndarray or Tensor) to `path` as an .npz archive, atomically.

    The file is written exactly at `path` (no extension is added). Names, dtypes, shapes and
    values round-trip exactly through `load`. Names must be str without NUL, '/' or '\\', at
    most 1024 characters; values bool, integer, float or complex arrays (or Tensors).

    Replacing a file keeps its permission bits (a read-only file is refused with
    PermissionError) and writes through a symbolic link. An error or interruption while
    writing leaves the previous file untouched and no temporary file behind.
    """
    arrays = _arrays_to_save(state_dict)
    path = os.fsdecode(path)  # str, bytes or PathLike: one str
    target, mode = _target_of(path)
    directory, base = os.path.split(target)
    # Same directory as the target, so os.replace is a rename within one file system.
    temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            np.savez(handle, **{FORMAT_KEY: np.array(FORMAT_VERSION)}, **arrays)
            handle.flush()
            os.fsync(handle.fileno())  # the data is on disk before the name points at it
        if mode is not None:
            os.chmod(temporary, mode)  # before the rename: never a moment with other bits
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def load(path: PathLike, map_location: Any = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
         weights_only: bool = True) -> OrderedDict[str, np.ndarray]:
    """Read a file written by `save`: an ordered dict name -> ndarray, in the saved order.

    Every entry's .npy header is read and checked before any array is allocated; when the
    arrays together would take more than `max_bytes` (default 4 GiB) the file is refused.
    Raises FileNotFoundError for a missing file and ValueError, naming the file, the entry
    and the reason, for anything else that is not such a file: random or truncated bytes, a
    `.npz` from elsewhere, pickled objects (never unpickled), an entry whose size disagrees
    with its header, duplicate entries, or arrays over the size limit.
    PyTorch's `map_location` (only the CPU) and `weights_only` are accepted: files hold
    arrays only, so loading is always weights-only.
    """
    as_device(map_location, "load")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer):
        raise TypeError(f"load: max_bytes must be an int, got {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"load: max_bytes must be >= 0, got {max_bytes}")
    path = os.fsdecode(path)  # str, bytes or PathLike: one str
    with open(path, "rb") as handle:
        # Decide from the first bytes, so that a random file gets a plain answer.
        head = handle.read(len(_NPY_MAGIC))
        handle.seek(0)
        if head == _NPY_MAGIC:
            raise ValueError(f"load: {path} holds a single .npy array, not an .npz archive "
                             "written by tinygrad_np.save")
        if not head.startswith(_ZIP_MAGICS):
            raise ValueError(f"load: {path} is not a weights file written by tinygrad_np.save: "
                             f"{'it is empty' if not head else 'it is not an .npz (zip) archive'}")
        try:
            archive = zipfile.ZipFile(handle)
        except Exception as error:  # BadZipFile, NotImplementedError (version), EOFError, ...
            raise ValueError(f"load: {path} is a truncated or damaged .npz archive "
                             f"({type(error).__name__}: {error})") from None
        with archive:
            entries = _check_entries(archive, path, int(max_bytes))
            return _read_entries(archive, path, entries)


class _Entry:
    """What an entry's header promises: checked before anything is allocated."""

    __slots__ = ("dtype", "fortran", "header_size", "info", "name", "shape")

    def __init__(self, info: zipfile.ZipInfo, name: str, header_size: int,
                 shape: tuple[int, ...], fortran: bool, dtype: np.dtype) -> None:
        self.info, self.name, self.header_size = info, name, header_size
        self.shape, self.fortran, self.dtype = shape, fortran, dtype


def _entry_name(info: zipfile.ZipInfo, path: str, seen: set[str]) -> str:
    member = info.filename
    if info.is_dir():
        raise ValueError(f"load: {path}: the archive holds a folder entry {member!r}; a weights "
                         "file holds only .npy arrays")
    if not member.endswith(".npy"):
        raise ValueError(f"load: {path}: entry {member!r} is not a .npy array")
    if member in seen:
        raise ValueError(f"load: {path}: the archive holds two entries named {member!r}")
    seen.add(member)
    if info.flag_bits & 0x1:
        raise ValueError(f"load: {path}: entry {member!r} is encrypted")
    return member[: -len(".npy")]


def _read_header(stream: Any, path: str, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The (shape, fortran_order, dtype) of one .npy stream, refusing anything odd."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(stream)
        else:
            raise ValueError(f".npy format version {version[0]}.{version[1]} is not read here")
    except ValueError as error:
        # NumPy's own text for a long header suggests allow_pickle=True: not advice to pass on.
        reason = ("it is longer than 10,000 bytes" if "max_header_size" in str(error)
                  else str(error))
        raise ValueError(f"load: {path}: entry {name!r} has a bad .npy header: {reason}") from None
    except Exception as error:  # zlib, CRC or EOF errors from the member stream
        raise ValueError(f"load: {path}: entry {name!r} is damaged: {error}") from None
    if dtype.hasobject:
        raise ValueError(f"load: {path}: entry {name!r} is a pickled object array "
                         f"(dtype {dtype}), which is never loaded (unpickling can run code)")
    if dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"load: {path}: entry {name!r} has dtype {dtype}; a weights file holds "
                         "only bool, integer, float and complex arrays")
    if not all(type(size) is int and size >= 0 for size in shape):
        raise ValueError(f"load: {path}: entry {name!r} has an impossible shape {shape}")
    return shape, fortran, dtype


def _check_entries(archive: zipfile.ZipFile, path: str, max_bytes: int) -> list[_Entry]:
    """Read and check every header; refuse the file before any array is allocated."""
    entries = []
    seen: set[str] = set()
    total = 0
    for info in archive.infolist():
        name = _entry_name(info, path, seen)
        try:
            stream = archive.open(info)
        except Exception as error:  # unsupported compression, bad local header, ...
            raise ValueError(f"load: {path}: entry {name!r} is unreadable: {error}") from None
        with stream:
            shape, fortran, dtype = _read_header(stream, path, name)
            header_size = stream.tell()
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        total += nbytes
        if total > max_bytes:
            raise ValueError(
                f"load: {path}: entry {name!r} (shape {shape}, dtype {dtype}, {nbytes:,} bytes) "
                f"brings the arrays to {total:,} bytes, over the limit of {max_bytes:,} bytes; "
                "if you trust this file, pass load(path, max_bytes=...) a larger limit")
        if info.file_size != header_size + nbytes:
            raise ValueError(
                f"load: {path}: entry {name!r} is {info.file_size:,} bytes in the archive, but "
                f"its header (shape {shape}, dtype {dtype}) promises {header_size + nbytes:,}")
        entries.append(_Entry(info, name, header_size, shape, fortran, dtype))
    if f"{FORMAT_KEY}.npy" not in seen:
        raise ValueError(
            f"load: {path} is an .npz archive but was not written by tinygrad_np.save (it has "
            f"no {FORMAT_KEY!r} entry); read a plain .npz with np.load"
        )
    return entries


def _read_array(archive: zipfile.ZipFile, entry: _Entry) -> np.ndarray:
    count = math.prod(entry.shape)
    flat = np.empty(count, dtype=entry.dtype)
    with archive.open(entry.info) as stream:
        stream.read(entry.header_size)  # checked by _check_entries
        view = memoryview(flat).cast("B")
        filled = 0
        while filled < len(view):
            got = stream.readinto(view[filled : filled + (1 << 22)])
            if not got:
                raise EOFError(f"the data ends after {filled:,} of {len(view):,} bytes")
            filled += got
        if stream.read(1):  # also makes zipfile check the CRC of the whole member
            raise ValueError("more data follows the array")
    if entry.fortran:
        return flat.reshape(entry.shape[::-1]).transpose()
    return flat.reshape(entry.shape)


def _read_entries(archive: zipfile.ZipFile, path: str,
                  entries: list[_Entry]) -> OrderedDict[str, np.ndarray]:
    result: OrderedDict[str, np.ndarray] = OrderedDict()
    for entry in entries:
        try:
            value = _read_array(archive, entry)
        except MemoryError:
            raise
        except Exception as error:  # a damaged member: zlib, CRC or EOF errors
            raise ValueError(f"load: {path}: entry {entry.name!r} is damaged: {error}") from None
        if entry.name == FORMAT_KEY:
            if value.shape != () or value.dtype.kind not in "iu" or int(value) != FORMAT_VERSION:
                raise ValueError(f"load: {path} has format {value!r}; this tinygrad_np reads "
                                 f"format {FORMAT_VERSION} (was it written by a newer version?)")
            continue
        result[entry.name] = value
    return result
