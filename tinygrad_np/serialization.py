"""Saving and loading weights and checkpoints: `save(model.state_dict(), path)`, then
`model.load_state_dict(load(path))`; or `save({"model": ..., "opt": ..., "epoch": 5}, path)`.

The file is a plain NumPy `.npz` archive plus a format marker entry, so that `load` can tell
its own files from any other `.npz`. Two layouts:

- format 1, for a flat state dict (str names -> arrays or Tensors): one `.npy` entry per
  name; `load` gives an OrderedDict name -> Tensor (as torch.load gives tensors).
- format 2, for anything else built from dict (str or int keys), list, tuple, str, int,
  float, bool, None, Tensor, ndarray and NumPy scalars: arrays in entries `0.npy`, `1.npy`,
  ... and a JSON manifest (UTF-8 bytes in one more `.npy` entry) that describes the
  structure, its leaves pointing at those entries by number. `load` gives the same
  structure back (Tensors as Tensors with their requires_grad, tuples as tuples, int keys
  as ints, an object met twice as one object).

Nothing is pickled: `load` reads the zip members itself, builds only numeric arrays from
their bytes and only plain values from the JSON (checked strictly: known node kinds,
references to existing entries, at most 64 levels deep, a manifest of at most 64 MiB), so a
file from an untrusted source cannot run code; at worst it is refused with a ValueError.

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
import json
import math
import os
import secrets
import stat
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_np import torch_checkpoint
from tinygrad_np.device import as_device
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Tensor

FORMAT_KEY = "__tinygrad_np_format__"
FORMAT_VERSION = 1  # a flat state dict: one entry per name
NESTED_FORMAT_VERSION = 2  # any nested structure: a JSON manifest and numbered arrays
MANIFEST_KEY = "__tinygrad_np_manifest__"
MAX_DEPTH = 64  # containers inside containers, in a saved structure
MAX_MANIFEST_BYTES = 64 << 20
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
    """A flat state dict's values as arrays (a Tensor gives its data), with clear errors."""
    arrays: dict[str, np.ndarray] = {}
    for name, value in state_dict.items():
        name = _check_name(name)
        if name in arrays:  # a Mapping whose items() repeats a key, or a str subclass
            raise ValueError(f"save: two entries are named {name!r}; names must be unique")
        array = np.asarray(value._data if isinstance(value, Tensor) else value)
        if array.dtype.hasobject:
            raise ValueError(f"save: {name!r} holds Python objects (dtype {array.dtype}); only "
                             "numeric arrays can be saved without pickle")
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}; only bool, integer, float "
                            "and complex arrays can be saved")
        arrays[name] = array
    return arrays


def _check_name(name: str) -> str:
    """A name that round-trips as an archive entry `<name>.npy`, or a clear error."""
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


def save(obj: Any, path: PathLike) -> None:
    """Write `obj` to `path` as an .npz archive, atomically; `load(path)` gives it back.

    `obj` is a state dict (name -> ndarray or Tensor), or a structure of dicts (str or int
    keys), lists, tuples, str, int, float, bool, None, Tensors, ndarrays and NumPy scalars,
    such as `{"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 5}`. Anything
    else (a function, a set, a Module, any other object) is a TypeError naming where it sits
    in `obj`, raised before anything is written: nothing is pickled.

    The file is written exactly at `path` (no extension is added). Names, dtypes, shapes and
    values round-trip exactly through `load`. The names of a flat state dict must be str
    without NUL, '/' or '\\', at most 1024 characters (each names an archive entry); values
    bool, integer, float or complex arrays (or Tensors).

    `path` may also be a binary file object (`io.BytesIO`, `open(path, "wb")`), written
    from its current position; only a path gets the atomic replace.

    Replacing a file keeps its permission bits (a read-only file is refused with
    PermissionError) and writes through a symbolic link. An error or interruption while
    writing leaves the previous file untouched and no temporary file behind.
    """
    if _is_flat_state_dict(obj):
        entries = {FORMAT_KEY: np.array(FORMAT_VERSION), **_arrays_to_save(obj)}
    else:
        entries = _Encoder().entries(obj)
    if hasattr(path, "write"):  # a file object, as torch.save accepts (io.BytesIO, open(.., "wb"))
        np.savez(path, **entries)
        return
    path = _as_path(path, "save")
    target, mode = _target_of(path)
    directory, base = os.path.split(target)
    # Same directory as the target, so os.replace is a rename within one file system.
    temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            np.savez(handle, **entries)
            handle.flush()
            os.fsync(handle.fileno())  # the data is on disk before the name points at it
        if mode is not None:
            os.chmod(temporary, mode)  # before the rename: never a moment with other bits
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _as_path(path: Any, caller: str) -> str:
    """str, bytes or PathLike as one str; anything else a TypeError naming what is accepted."""
    try:
        return os.fsdecode(path)
    except TypeError:
        raise TypeError(f"{caller}: expected a path (str, bytes, os.PathLike) or a binary file "
                        f"object, got {type(path).__name__}") from None


def _is_flat_state_dict(obj: Any) -> bool:
    """A mapping of str names to arrays or plain Tensors: saved in format 1, as always (a
    tensor that requires grad, or a Parameter, needs format 2, which keeps both, as
    torch.save does)."""
    return isinstance(obj, Mapping) and all(
        isinstance(name, str) and isinstance(value, np.ndarray | np.generic | Tensor) and not (
            isinstance(value, Tensor) and (value.requires_grad or isinstance(value, Parameter)))
        for name, value in obj.items())


class _Encoder:
    """Turns a nested structure into a JSON manifest plus numbered arrays (format 2)."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.numbers: dict[int, int] = {}  # id of an array or Tensor -> its entry number
        self.open: set[int] = set()  # ids of the containers around the value being encoded

    def entries(self, obj: Any) -> dict[str, np.ndarray]:
        manifest = json.dumps(self.node(obj, "obj", 0), ensure_ascii=True, allow_nan=True)
        return {FORMAT_KEY: np.array(NESTED_FORMAT_VERSION),
                MANIFEST_KEY: np.frombuffer(manifest.encode("ascii"), dtype=np.uint8),
                **self.arrays}

    def node(self, value: Any, where: str, depth: int) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, np.generic | np.ndarray | Tensor):
            return self.array_node(value, where)
        if isinstance(value, int):
            return int(value)  # an int subclass (IntEnum) is saved as its value
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if not isinstance(value, list | tuple | dict):
            raise TypeError(f"save: {where} is {_describe(value)}; only dict, list, tuple, str, "
                            "int, float, bool, None, Tensor, ndarray and NumPy scalars can be "
                            "saved (nothing is pickled)")
        if depth >= MAX_DEPTH:
            raise ValueError(f"save: {where} is nested more than {MAX_DEPTH} containers deep")
        if id(value) in self.open:
            raise ValueError(f"save: {where} contains itself; a saved structure cannot")
        self.open.add(id(value))
        if isinstance(value, dict):
            pairs: dict[str | int, Any] = {}
            for key, item in value.items():
                key = _check_key(key, where)
                if key in pairs:  # a str subclass equal to another key
                    raise ValueError(f"save: {where} has two keys equal to {key!r}")
                pairs[key] = self.node(item, f"{where}[{key!r}]", depth + 1)
            kind = "odict" if isinstance(value, OrderedDict) else "dict"
            result = {kind: [[key, item] for key, item in pairs.items()]}
        else:
            kind = "tuple" if isinstance(value, tuple) else "list"
            result = {kind: [self.node(item, f"{where}[{position}]", depth + 1)
                             for position, item in enumerate(value)]}
        self.open.discard(id(value))
        return result

    def array_node(self, value: np.generic | np.ndarray | Tensor, where: str) -> dict[str, Any]:
        array = np.asarray(value._data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"save: {where} has dtype {array.dtype}; only bool, integer, float "
                            "and complex arrays can be saved")
        number = self.numbers.get(id(value))
        if number is None:  # an object met twice is stored once, and loads as one object
            number = self.numbers[id(value)] = len(self.arrays)
            self.arrays[str(number)] = array
        if isinstance(value, Tensor):
            kind = "parameter" if isinstance(value, Parameter) else "tensor"
            return {kind: number, "requires_grad": value.requires_grad}
        return {"scalar" if isinstance(value, np.generic) else "array": number}


def _check_key(key: Any, where: str) -> str | int:
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise TypeError(f"save: {where} has a key {key!r} ({type(key).__name__}); keys must "
                        "be str or int")
    return str(key) if isinstance(key, str) else int(key)


def _describe(value: Any) -> str:
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return "a PyTorch tensor (save value.detach().cpu().numpy() instead)"
    if isinstance(value, type):
        return f"a class ({value.__name__})"
    if callable(value) and hasattr(value, "__name__") and not hasattr(value, "state_dict"):
        return f"a function ({value.__name__})"
    if isinstance(value, set | frozenset):
        return f"a {type(value).__name__}"
    if hasattr(value, "state_dict"):
        return f"a {type(value).__name__} (call .state_dict() on it first)"
    return f"an object of type {type(value).__name__}"


def load(path: PathLike, map_location: Any = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
         weights_only: bool = True) -> Any:
    """Read a file written by `save`. A flat state dict comes back as an ordered dict
    name -> ndarray, in the saved order; any other saved structure as itself (Tensors as
    Tensors, with requires_grad as saved).

    Every entry's .npy header is read and checked before any array is allocated; when the
    arrays together would take more than `max_bytes` (default 4 GiB) the file is refused.
    Raises FileNotFoundError for a missing file and ValueError, naming the file, the entry
    and the reason, for anything else that is not such a file: random or truncated bytes, a
    `.npz` from elsewhere, pickled objects (never unpickled), an entry whose size disagrees
    with its header, duplicate entries, or arrays over the size limit.
    `path` may also be a binary file object (`io.BytesIO`, `open(path, "rb")`).
    PyTorch's `map_location` and `weights_only` are accepted: files hold arrays only, so
    loading is always weights-only, and everything lands on the CPU (a device, a dict whose
    targets are the CPU, or a function such as `lambda storage, loc: storage`).
    """
    if isinstance(map_location, dict):
        for target in map_location.values():
            as_device(target, "load")
    elif not callable(map_location):
        as_device(map_location, "load")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer):
        raise TypeError(f"load: max_bytes must be an int, got {type(max_bytes).__name__}")
    if max_bytes < 0:
        raise ValueError(f"load: max_bytes must be >= 0, got {max_bytes}")
    if hasattr(path, "read") and hasattr(path, "seek"):  # a file object, as torch.load accepts
        handle_or_path: Any = path
        path = getattr(path, "name", None) or f"the {type(path).__name__} object"
    else:
        handle_or_path = path = _as_path(path, "load")
    with (contextlib.nullcontext(handle_or_path) if not isinstance(handle_or_path, str)
          else open(handle_or_path, "rb")) as handle:
        # Decide from the first bytes, so that a random file gets a plain answer.
        start = handle.tell()
        head = handle.read(len(_NPY_MAGIC))
        handle.seek(start)
        if head == _NPY_MAGIC:
            raise ValueError(f"load: {path} holds a single .npy array, not an .npz archive "
                             "written by tinygrad_np.save")
        if head.startswith(b"\x80") and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            raise ValueError(f"load: {path} is a PyTorch file in the legacy format "
                             "(_use_new_zipfile_serialization=False), which is not read; save "
                             "it again with torch.save's default format")
        if not head.startswith(_ZIP_MAGICS):
            raise ValueError(f"load: {path} is not a weights file written by tinygrad_np.save: "
                             f"{'it is empty' if not head else 'it is not an .npz (zip) archive'}")
        try:
            archive = zipfile.ZipFile(handle)
        except Exception as error:  # BadZipFile, NotImplementedError (version), EOFError, ...
            raise ValueError(f"load: {path} is a truncated or damaged .npz archive "
                             f"({type(error).__name__}: {error})") from None
        with archive:
            _check_entry_count(archive, handle, path)
            if torch_checkpoint.is_torch_checkpoint(archive):  # torch.save's own file
                return torch_checkpoint.read(archive, path, int(max_bytes))
            entries = {entry.name: entry for entry in _check_entries(archive, path,
                                                                     int(max_bytes))}
            version = _read_format(archive, path, entries.pop(FORMAT_KEY))
            if version == FORMAT_VERSION:
                return OrderedDict((name, Tensor._make(_read_checked(archive, path, entry), None))
                                   for name, entry in entries.items())
            return _read_nested(archive, path, entries)


def _check_entry_count(archive: zipfile.ZipFile, handle: Any, path: str) -> None:
    """The archive's end record says how many entries its directory holds; zipfile reads the
    directory until its byte size is used up and does not compare. A damaged length field
    in one entry's directory record swallows the records after it: those arrays would be
    missing from the result without an error."""
    end = zipfile._EndRecData(handle)  # what ZipFile itself parsed; stable since Python 2
    listed = len(archive.infolist())
    if end is not None and end[zipfile._ECD_ENTRIES_TOTAL] != listed:
        raise ValueError(f"load: {path} is a damaged .npz archive: its directory should list "
                         f"{end[zipfile._ECD_ENTRIES_TOTAL]} entries, but {listed} could be read")


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
    if not flat.dtype.isnative:  # '>f4' from another machine: the same values, native order
        flat = flat.byteswap(inplace=True).view(flat.dtype.newbyteorder("="))
    if entry.fortran:
        return flat.reshape(entry.shape[::-1]).transpose()
    return flat.reshape(entry.shape)


def _read_checked(archive: zipfile.ZipFile, path: str, entry: _Entry) -> np.ndarray:
    try:
        return _read_array(archive, entry)
    except MemoryError:
        raise
    except Exception as error:  # a damaged member: zlib, CRC or EOF errors
        raise ValueError(f"load: {path}: entry {entry.name!r} is damaged: {error}") from None


def _read_format(archive: zipfile.ZipFile, path: str, entry: _Entry) -> int:
    if entry.shape != () or entry.dtype.kind not in "iu":
        raise ValueError(f"load: {path}: the format entry has shape {entry.shape} and dtype "
                         f"{entry.dtype}, not one integer")
    version = int(_read_checked(archive, path, entry))
    if version not in (FORMAT_VERSION, NESTED_FORMAT_VERSION):
        raise ValueError(f"load: {path} has format {version}; this tinygrad_np reads formats "
                         f"{FORMAT_VERSION} and {NESTED_FORMAT_VERSION} (was it written by a "
                         "newer version?)")
    return version


def _read_nested(archive: zipfile.ZipFile, path: str, entries: dict[str, _Entry]) -> Any:
    """A format 2 file: the manifest is read and checked whole before any array is."""
    manifest = entries.pop(MANIFEST_KEY, None)
    if manifest is None:
        raise ValueError(f"load: {path} has format {NESTED_FORMAT_VERSION} but no "
                         f"{MANIFEST_KEY!r} entry")
    if len(manifest.shape) != 1 or manifest.dtype != np.uint8:
        raise ValueError(f"load: {path}: the manifest entry has shape {manifest.shape} and "
                         f"dtype {manifest.dtype}, not a 1-d uint8 array")
    if manifest.shape[0] > MAX_MANIFEST_BYTES:
        raise ValueError(f"load: {path}: the manifest is {manifest.shape[0]:,} bytes, over the "
                         f"limit of {MAX_MANIFEST_BYTES:,}")
    expected = {str(number) for number in range(len(entries))}
    if set(entries) != expected:
        odd = sorted(set(entries) - expected)[0]
        raise ValueError(f"load: {path}: entry {odd!r} is not one of the numbered arrays "
                         f"0 to {len(entries) - 1} a format {NESTED_FORMAT_VERSION} file holds")
    text = _read_checked(archive, path, manifest).tobytes()
    try:
        root = json.loads(text.decode("utf-8"), object_pairs_hook=_unique_pairs)
    except (ValueError, RecursionError) as error:  # bad UTF-8 or JSON, duplicate keys
        raise ValueError(f"load: {path}: the manifest is not valid JSON: {error}") from None
    kinds: dict[str, str] = {}
    _check_node(root, "obj", 0, entries, kinds, path)
    if len(kinds) != len(entries):
        unused = sorted(set(entries) - set(kinds), key=int)[0]
        raise ValueError(f"load: {path}: entry {unused!r} is not referenced by the manifest")
    arrays = {name: _read_checked(archive, path, entries[name]) for name in sorted(kinds, key=int)}
    return _build(root, arrays, {})


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("an object has a key twice")
    return result


# The manifest's node kinds: {kind: entry number, ...} for arrays, {kind: [...]} otherwise.
_ARRAY_NODES = {"array": {"array"}, "scalar": {"scalar"},
                "tensor": {"tensor", "requires_grad"}, "parameter": {"parameter", "requires_grad"}}
_CONTAINER_NODES = ("list", "tuple", "dict", "odict")


def _check_node(node: Any, where: str, depth: int, entries: dict[str, _Entry],
                kinds: dict[str, str], path: str) -> None:
    """Refuse anything in the manifest that is not a node `save` writes; note the entries used."""
    def bad(reason: str) -> ValueError:
        return ValueError(f"load: {path}: the manifest at {where} {reason}")

    if node is None or isinstance(node, bool | int | float | str):
        return
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise bad(f"holds {_short(node)}, not a value tinygrad_np.save writes")
    kind = next(iter(node))
    if kind in _CONTAINER_NODES and len(node) == 1:
        if depth >= MAX_DEPTH:
            raise bad(f"is nested more than {MAX_DEPTH} containers deep")
        items = node[kind]
        if not isinstance(items, list):
            raise bad(f"has a {kind} whose items are {_short(items)}, not a list")
        if kind in ("list", "tuple"):
            for position, item in enumerate(items):
                _check_node(item, f"{where}[{position}]", depth + 1, entries, kinds, path)
            return
        seen: set[str | int] = set()
        for pair in items:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise bad(f"has a {kind} item {_short(pair)}, not a [key, value] pair")
            key = pair[0]
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise bad(f"has a key {_short(key)}; keys are str or int")
            if key in seen:
                raise bad(f"has the key {key!r} twice")
            seen.add(key)
            _check_node(pair[1], f"{where}[{key!r}]", depth + 1, entries, kinds, path)
        return
    if kind not in _ARRAY_NODES or set(node) != _ARRAY_NODES[kind]:
        raise bad(f"holds {_short(node)}, not a value tinygrad_np.save writes")
    number = node[kind]
    if isinstance(number, bool) or not isinstance(number, int) or str(number) not in entries:
        raise bad(f"refers to array {_short(number)}, which the file does not hold")
    entry = entries[str(number)]
    if kinds.setdefault(str(number), kind) != kind:
        raise bad(f"reads array {number} as a {kind}, elsewhere as a {kinds[str(number)]}")
    if kind == "scalar" and entry.shape != ():
        raise bad(f"reads array {number} of shape {entry.shape} as a scalar")
    if kind in ("tensor", "parameter"):
        if entry.dtype.kind not in "biuf":
            raise bad(f"reads array {number} of dtype {entry.dtype} as a tensor; tensors hold "
                      "bool, integer or float numbers")
        requires_grad = node["requires_grad"]
        if not isinstance(requires_grad, bool):
            raise bad(f"has requires_grad {_short(requires_grad)}, not true or false")
        if requires_grad and entry.dtype.kind != "f":
            raise bad(f"asks for requires_grad on array {number} of dtype {entry.dtype}; only "
                      "float tensors require grad")


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _build(node: Any, arrays: dict[str, np.ndarray], made: dict[str, Any]) -> Any:
    """The value a checked manifest node describes; an entry used twice gives one object."""
    if not isinstance(node, dict):
        return node
    kind, content = next(iter(node.items()))
    if kind in ("list", "tuple"):
        items = [_build(item, arrays, made) for item in content]
        return items if kind == "list" else tuple(items)
    if kind in ("dict", "odict"):
        pairs = ((key, _build(item, arrays, made)) for key, item in content)
        return OrderedDict(pairs) if kind == "odict" else dict(pairs)
    name = str(content)
    if name not in made:
        array = arrays[name]
        if kind == "tensor":
            made[name] = Tensor(array, requires_grad=node["requires_grad"])
        elif kind == "parameter":
            made[name] = Parameter(array, requires_grad=node["requires_grad"])
        else:
            made[name] = array[()] if kind == "scalar" else array
    return made[name]
