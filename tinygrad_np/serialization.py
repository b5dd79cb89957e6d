"""Saving and loading weights and checkpoints: `save(model.state_dict(), path)`, then
`model.load_state_dict(load(path))`; or `save({"model": ..., "opt": ..., "epoch": 5}, path)`.

`save` writes PyTorch's own format (torch_writer.py), so `torch.load` reads the file, and
`load` reads PyTorch's files (torch_checkpoint.py: a restricted unpickler that builds only
tensors, storages and plain values, never runs code from the file). `load` also reads the
.npz files earlier versions of this library wrote (and `save_npz` still writes them):

The .npz file is a plain NumPy archive plus a format marker entry, so that `load` can tell
its own files from any other `.npz`. Arrays are `.npy` entries; a JSON manifest (UTF-8 bytes
in one more `.npy` entry) describes the structure around them, its leaves pointing at those
entries. `load` gives the same structure back, as torch.load does: Tensors as Tensors with
their requires_grad (Parameters as Parameters), ndarrays as ndarrays, NumPy scalars as NumPy
scalars, tuples as tuples, a `tg.Size` as a Size, keys as they were, an OrderedDict's
`_metadata` (what `Module.state_dict()` records) as it was, a Counter as a Counter (what
MultiStepLR's state holds), a defaultdict as one with its default_factory, an object met twice
as one object. What can be saved is plain data: dict, OrderedDict, Counter and defaultdict
(keys str, int, float, bool, None, bytes, complex, devices or tuples of those; a
defaultdict's factory None or a builtin type such as list), list, tuple, set, frozenset,
str, bytes, bytearray, int, float, complex, bool, None, slice, range, NumPy dtypes
(`tg.float32`), devices, `tg.Size`, Tensor, ndarray and NumPy scalars. Three layouts:

- format 3 (written for a flat state dict, a mapping of str names to arrays, NumPy scalars or
  Tensors): one entry `<name>.npy` per name, so `np.load` shows the names, and the manifest.
  A name that cannot name an archive entry (holding '/', '\\' or NUL, longer than 1024
  characters, or reserved) makes the dict a format 2 file instead.
- format 2 (anything else): entries `0.npy`, `1.npy`, ... and the manifest.
- format 1 (written by earlier versions for flat state dicts): one entry per name and no
  manifest; still read, as an OrderedDict name -> Tensor.

Nothing in them is pickled: `load` reads the zip members itself, builds only numeric arrays from
their bytes and only plain values from the JSON (checked strictly: known node kinds, keys
and set items only of hashable kinds, dtypes only from a list of numeric dtype names,
references to existing entries, at most 64 levels deep, a manifest of at most 16 MiB), so a
file from an untrusted source cannot run code; at worst it is refused with a ValueError.

`save` never leaves a half-written file under the target name: it writes a temporary file in
the same directory and renames it over the target (`os.replace`, atomic on POSIX and
Windows), so an interruption leaves the previous file intact; a file it replaces keeps its
permission bits, and a symbolic link keeps pointing at the (new) file. A target that is not a
regular file (a device such as /dev/null, a FIFO) or has several hard links is written in
place instead, as `open(path, "wb")` would: the node stays a node, every link sees the file.

`load` reads every entry's .npy header first and refuses the archive, before allocating
anything, when the arrays (the manifest counted 32 times, for parsing its JSON) would take
more than `max_bytes` (4 GiB by default): a small compressed "zip bomb" costs nothing. It
also refuses entries whose stored size disagrees with their header, duplicate or non-.npy
entries, and any dtype other than bool/int/float/complex.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import secrets
import stat
import zipfile
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from tinygrad_np import torch_checkpoint, torch_writer
from tinygrad_np.device import as_device, device
from tinygrad_np.dtypes import dtype as torch_dtype, dtype_named
from tinygrad_np.foreign import is_torch_tensor, torch_values
from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.tensor import Size, Tensor
from tinygrad_np.torch_checkpoint import map_array, member_offset

FORMAT_KEY = "__tinygrad_np_format__"
FORMAT_VERSION = 1  # a flat state dict, one entry per name, no manifest (read, not written)
NESTED_FORMAT_VERSION = 2  # any structure: a JSON manifest and numbered arrays
NAMED_FORMAT_VERSION = 3  # a flat state dict: a JSON manifest and arrays named after its keys
MANIFEST_KEY = "__tinygrad_np_manifest__"
MAX_DEPTH = 64  # containers inside containers, in a saved structure
# A 1000-parameter model's checkpoint with its Adam state has a 0.2 MB manifest: 16 MiB
# allows ~80 times that. Loading one counts MANIFEST_COST bytes per byte against max_bytes
# (json.loads allocates up to ~25 per byte, for `[[],[],...]`), before it is parsed.
MAX_MANIFEST_BYTES = 16 << 20
MANIFEST_COST = 32
# np.savez takes the arrays as keyword arguments, so these names would collide with its own.
_RESERVED = (FORMAT_KEY, MANIFEST_KEY, "file", "allow_pickle")

# The first bytes of an .npy file, and of a zip archive (an empty one has no local header).
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

PathLike = str | os.PathLike

DEFAULT_MAX_BYTES = 4 << 30  # 4 GiB: what `load` may allocate unless told otherwise
MAX_NAME_LENGTH = 1024
# bool, signed and unsigned integers, floats, complex: what a weights file holds.
_NUMERIC_KINDS = "biufc"
# The dtypes a manifest may name (`tg.float32` saved as a value): nothing else is built.
_DTYPE_NAMES = frozenset(("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                          "uint64", "float16", "float32", "float64", "complex64", "complex128",
                          "bfloat16", "complex32", "float8_e4m3fn", "float8_e5m2"))
# What pickle.Unpickler takes, passed by torch.load users as **pickle_load_args.
_PICKLE_LOAD_ARGS = frozenset(("encoding", "errors", "fix_imports", "buffers"))
_SAVABLE = ("dict, list, tuple, str, int, float, bool, None, Tensor, ndarray, NumPy scalars, "
            "set, frozenset, bytes, bytearray, complex, slice, range, dtype, device, Size, "
            "OrderedDict, Counter and defaultdict")
# A defaultdict's default_factory, saved by name: the types (and None), no other callable.
_FACTORIES = {name: kind for name, kind in (
    ("None", None), ("list", list), ("dict", dict), ("set", set), ("frozenset", frozenset),
    ("tuple", tuple), ("int", int), ("float", float), ("complex", complex), ("bool", bool),
    ("str", str), ("bytes", bytes), ("bytearray", bytearray), ("OrderedDict", OrderedDict),
    ("Counter", Counter))}


def _entry_name_ok(name: str) -> bool:
    """Whether a state-dict name round-trips as an archive entry `<name>.npy`."""
    if name in _RESERVED or "\0" in name or "/" in name or "\\" in name:
        return False  # (zip cuts names at NUL; archives read '/' and '\\' as folders)
    if len(name) > MAX_NAME_LENGTH:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def _flat_state_dict(obj: Any) -> bool:
    """A mapping of str names, each one an archive entry name, to arrays, NumPy scalars or
    Tensors: saved in format 3, an entry per name. Two names that are one str: a ValueError."""
    if not isinstance(obj, Mapping):
        return False
    names: set[str] = set()
    for name, value in obj.items():
        if not (isinstance(name, str) and _entry_name_ok(str(name))
                and isinstance(value, np.ndarray | np.generic | Tensor)):
            return False
        if str(name) in names:  # a Mapping whose items() repeats a key, or a str subclass
            raise ValueError(f"save: two entries are named {str(name)!r}; names must be unique")
        names.add(str(name))
    return True


def _target_of(path: str) -> tuple[str, int | None, bool]:
    """The file to write (a symlink's target), its permission bits (None: new file) and
    whether to write it in place: a device, FIFO or socket (renaming over it would replace
    the node with a regular file) or a regular file with several hard links (a rename would
    leave the other names on the old content), as `open(path, "wb")` writes both."""
    target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: {path} is a directory")
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the folder {directory} does not exist")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target, None, False
    # A read-only weights file stays protected, as `open(path, "wb")` would fail on it.
    if not os.access(target, os.W_OK):
        raise PermissionError(f"save: {path} is read-only; not replacing it")
    in_place = not stat.S_ISREG(info.st_mode) or info.st_nlink > 1
    return target, stat.S_IMODE(info.st_mode), in_place


def save(obj: Any, f: PathLike | IO[bytes], pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Write `obj` to `f` in PyTorch's own checkpoint format (torch.save's zip), atomically:
    `torch.load(f)` (weights_only=True, its default) and `load(f)` give it back.

    `obj` is a state dict (name -> Tensor, ndarray or NumPy scalar), or plain data such as
    `{"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 5}`: dicts (keys str,
    int, float, bool, None, bytes, complex, devices or tuples of those), lists, tuples, sets,
    frozensets, str, bytes, bytearray, int, float, complex, bool, None, slices, ranges,
    dtypes (`tg.float32`, written as `torch.float32`), devices (`tg.device("cpu")`),
    `tg.Size`, Tensors, ndarrays and NumPy scalars. An OrderedDict's `_metadata` (set by
    `Module.state_dict()`) is saved with it. Anything else (a function, a class, a Module,
    any other object) is a TypeError naming where it sits in `obj`, raised before anything is
    written. Subclasses are written as their plain type (a namedtuple as a tuple, an IntEnum
    as an int), except `tg.Size`, OrderedDict, Counter and defaultdict (its default_factory
    None or a builtin type: list, dict, set, int, float, ...; another callable is a
    TypeError).

    Tensors are written as torch.save writes them: dtype, shape, strides, storage offset,
    requires_grad and Parameter-ness; tensors that view one buffer (`x`, `x[1:]`, `x.T`) are
    views of one storage, written once. What torch.load(weights_only=True) refuses when
    torch.save wrote it (an ndarray, a NumPy scalar or dtype, a frozenset, range, slice or
    defaultdict: pickled as Python and NumPy pickle them) it refuses here too; `load` reads
    all of it. The file is written exactly at `f` (no extension is added).

    `f` may also be a binary file object (`io.BytesIO`, `open(path, "wb")`), written
    from its current position; only a path gets the atomic replace.

    `pickle_protocol` (2, torch's default, to 5) is the pickle's protocol. `pickle_module`,
    `_use_new_zipfile_serialization=False` (the legacy format: the zip format is written
    anyway, which torch.load reads too) and `_disable_byteorder_record` are accepted and
    ignored. `save_npz` writes the .npz format of earlier versions (still read by `load`).

    Replacing a file keeps its permission bits (a read-only file is refused with
    PermissionError) and writes through a symbolic link. An error or interruption while
    writing leaves the previous file untouched and no temporary file behind. A target that
    is not a regular file (`/dev/null`, a FIFO, a device) or a regular file with several
    hard links is written in place, as torch.save does (every link sees the new content; an
    interrupted save then leaves it half-written).
    """
    _Encoder(named=_flat_state_dict(obj)).node(obj, "obj", 0)  # refuses what cannot be saved
    protocol = _protocol(pickle_protocol)
    if hasattr(f, "write"):  # a file object, as torch.save accepts (io.BytesIO, open(.., "wb"))
        torch_writer.write(obj, f, protocol)
        return
    path = _as_path(f, "save")
    target, mode, in_place = _target_of(path)
    if in_place:  # the node or the shared inode gets the bytes; nothing is renamed over it
        with open(target, "wb") as handle:
            torch_writer.write(obj, handle, protocol)
        return
    directory, base = os.path.split(target)
    # Same directory as the target, so os.replace is a rename within one file system.
    temporary = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            torch_writer.write(obj, handle, protocol)
            handle.flush()
            os.fsync(handle.fileno())  # the data is on disk before the name points at it
        if mode is not None:
            os.chmod(temporary, mode)  # before the rename: never a moment with other bits
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def save_npz(obj: Any, f: PathLike | IO[bytes]) -> None:
    """Write `obj` in the .npz format of earlier tinygrad_np versions (formats 2 and 3, which
    `load` reads): for files NumPy alone reads back; torch.load does not read them."""
    entries = _Encoder(named=_flat_state_dict(obj)).entries(obj)
    with (contextlib.nullcontext(f) if hasattr(f, "write")
          else open(_as_path(f, "save_npz"), "wb")) as handle:  # (np.savez would add .npz)
        np.savez(handle, **entries)


def _protocol(protocol: Any) -> int:
    """torch.save's `pickle_protocol`: 2 (its default) to pickle.HIGHEST_PROTOCOL."""
    if isinstance(protocol, bool) or not isinstance(protocol, int | np.integer):
        raise TypeError(f"save: pickle_protocol must be an int, got {type(protocol).__name__}")
    if not 2 <= protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"save: pickle_protocol must be 2 to {pickle.HIGHEST_PROTOCOL}, got "
                         f"{protocol}")
    return int(protocol)


def _as_path(path: Any, caller: str) -> str:
    """str, bytes or PathLike as one str; anything else a TypeError naming what is accepted."""
    try:
        return os.fsdecode(path)
    except TypeError:
        raise TypeError(f"{caller}: expected a path (str, bytes, os.PathLike) or a binary file "
                        f"object, got {type(path).__name__}") from None


class _Encoder:
    """Turns a structure into a JSON manifest plus arrays: numbered (format 2) or, for a flat
    state dict (`named`), named after its keys (format 3)."""

    def __init__(self, named: bool) -> None:
        self.named = named
        self.arrays: dict[str, np.ndarray] = {}
        self.names: dict[int, str] = {}  # id of an array or Tensor -> its entry name
        self.open: set[int] = set()  # ids of the containers around the value being encoded

    def entries(self, obj: Any) -> dict[str, np.ndarray]:
        manifest = json.dumps(self.node(obj, "obj", 0), ensure_ascii=True, allow_nan=True)
        if len(manifest) > MAX_MANIFEST_BYTES:  # load would refuse it: bytes are hex in there
            raise ValueError(f"save: the structure's description takes {len(manifest):,} bytes, "
                             f"over the limit of {MAX_MANIFEST_BYTES:,} that load reads; save "
                             "large bytes or many values as a NumPy array instead")
        version = NAMED_FORMAT_VERSION if self.named else NESTED_FORMAT_VERSION
        return {FORMAT_KEY: np.array(version),
                MANIFEST_KEY: np.frombuffer(manifest.encode("ascii"), dtype=np.uint8),
                **self.arrays}

    def node(self, value: Any, where: str, depth: int, limit: str = "",
             entry: str | None = None) -> Any:
        """`value`'s manifest node. `limit`: "key" for a dict key or set item (hashable plain
        values only), "plain" for values that hold no arrays (an OrderedDict's _metadata)."""
        if value is None or isinstance(value, bool | str):
            return str(value) if isinstance(value, str) else value
        if isinstance(value, np.generic | np.ndarray | Tensor) or is_torch_tensor(value):
            if limit:
                raise self.refused(value, where, limit)
            return self.array_node(as_tensor_of_ours(value), where, entry)
        if isinstance(value, int):
            return int(value)  # an int subclass (IntEnum) is saved as its value
        if isinstance(value, float):
            return float(value)
        if isinstance(value, complex):
            return {"complex": [value.real, value.imag]}
        if isinstance(value, bytes):
            return {"bytes": value.hex()}
        if isinstance(value, bytearray) and limit != "key":
            return {"bytearray": value.hex()}
        if isinstance(value, range):
            return {"range": [value.start, value.stop, value.step]}
        if isinstance(value, (np.dtype, torch_dtype)):  # loaded as PyTorch's dtype object
            if value.name not in _DTYPE_NAMES or isinstance(value, np.dtype) and not (
                    value.isnative):
                raise TypeError(f"save: {where} is the dtype {value}; only the numeric dtypes "
                                f"{', '.join(sorted(_DTYPE_NAMES))} can be saved")
            return {"dtype": value.name}
        if isinstance(value, device):
            return {"device": str(value)}
        if isinstance(value, Size) and all(isinstance(size, int | np.integer) and not
                                           isinstance(size, bool) for size in value):
            return {"size": [int(size) for size in value]}
        hashable = isinstance(value, tuple | frozenset)
        root = depth == 0 and self.named  # the flat state dict: any Mapping
        if not (hashable or limit != "key" and (root or isinstance(value, list | dict | set
                                                                     | slice))):
            raise self.refused(value, where, limit)
        if depth >= MAX_DEPTH:
            raise ValueError(f"save: {where} is nested more than {MAX_DEPTH} containers deep")
        if id(value) in self.open:
            raise ValueError(f"save: {where} contains itself; a saved structure cannot")
        self.open.add(id(value))
        if isinstance(value, dict) or root:
            result = self.mapping_node(value, where, depth, limit)
        elif isinstance(value, set | frozenset):
            items = [self.node(item, f"{where} item", depth + 1, "key")
                     for item in value]
            result = {"frozenset" if hashable else "set": sorted(items, key=json.dumps)}
        elif isinstance(value, slice):
            result = {"slice": [self.node(getattr(value, part), f"{where}.{part}", depth + 1,
                                          limit) for part in ("start", "stop", "step")]}
        else:
            kind = "tuple" if hashable else "list"
            result = {kind: [self.node(item, f"{where}[{position}]", depth + 1, limit)
                             for position, item in enumerate(value)]}
        self.open.discard(id(value))
        return result

    def mapping_node(self, value: Mapping, where: str, depth: int, limit: str) -> dict:
        pairs: list[list[Any]] = []
        seen: set[str] = set()
        for key, item in value.items():
            key_node = self.node(key, f"{where} key {key!r}", depth + 1, "key")
            if json.dumps(key_node) in seen:  # a str subclass equal to another key
                raise ValueError(f"save: {where} has two keys equal to {key!r}")
            seen.add(json.dumps(key_node))
            entry = str(key) if self.named and depth == 0 else None
            pairs.append([key_node, self.node(item, f"{where}[{key!r}]", depth + 1, limit,
                                              entry)])
        if isinstance(value, Counter | defaultdict):  # (a factory kept by name)
            return self.counter_or_defaultdict(value, pairs, where)
        if not isinstance(value, OrderedDict):
            return {"dict": pairs}
        result: dict[str, Any] = {"odict": pairs}
        metadata = getattr(value, "_metadata", None)
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise TypeError(f"save: {where}._metadata is {_describe(metadata)}, not a dict")
            result["metadata"] = self.node(metadata, f"{where}._metadata", depth + 1, "plain")
        return result

    @staticmethod
    def counter_or_defaultdict(value: Counter | defaultdict, pairs: list, where: str) -> dict:
        if isinstance(value, Counter):
            return {"counter": pairs}
        factory = next((name for name, kind in _FACTORIES.items()
                        if kind is value.default_factory), None)
        if factory is None:
            raise TypeError(f"save: {where} is a defaultdict whose default_factory is "
                            f"{_describe(value.default_factory)}; only None or one of "
                            f"{', '.join(list(_FACTORIES)[1:])} can be saved (nothing is "
                            "pickled); save dict(value) instead")
        return {"defaultdict": pairs, "factory": factory}

    def refused(self, value: Any, where: str, limit: str) -> TypeError:
        if limit == "key":
            return TypeError(f"save: {where} is {_describe(value)}; a dict key or set item must "
                             "be str, int, float, bool, None, bytes, complex, range, dtype, "
                             "device, Size, or a tuple or frozenset of those")
        if limit == "plain":
            return TypeError(f"save: {where} is {_describe(value)}; an OrderedDict's "
                             "_metadata may hold plain values only (no arrays)")
        return TypeError(f"save: {where} is {_describe(value)}; only {_SAVABLE} can be saved "
                         "(nothing is pickled)")

    def array_node(self, value: np.generic | np.ndarray | Tensor, where: str,
                   entry: str | None) -> dict[str, Any]:
        array = np.asarray(value._data if isinstance(value, Tensor) else value)
        if array.dtype.hasobject:
            raise ValueError(f"save: {where} holds Python objects (dtype {array.dtype}); only "
                             "numeric arrays can be saved without pickle")
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"save: {where} has dtype {array.dtype}; only bool, integer, "
                            f"float "
                            "and complex arrays can be saved")
        name = self.names.get(id(value))
        if name is None:  # an object met twice is stored once, and loads as one object
            name = self.names[id(value)] = str(len(self.arrays)) if entry is None else entry
            self.arrays[name] = array
        reference: str | int = name if self.named else int(name)
        if isinstance(value, Tensor):
            kind = "parameter" if isinstance(value, Parameter) else "tensor"
            return {kind: reference, "requires_grad": value.requires_grad}
        return {"scalar" if isinstance(value, np.generic) else "array": reference}


def as_tensor_of_ours(value: Any) -> Any:
    """A real PyTorch tensor as a Tensor (a Parameter as a Parameter) with its values (bfloat16
    widened to float32) and requires_grad; anything else unchanged."""
    if not is_torch_tensor(value):
        return value
    kind = Parameter if type(value).__name__ == "Parameter" else Tensor
    values = torch_values(value)
    return kind(values, requires_grad=bool(value.requires_grad) and values.dtype.kind == "f")


def _describe(value: Any) -> str:
    if isinstance(value, type):
        return f"a class ({value.__name__})"
    if callable(value) and hasattr(value, "__name__") and not hasattr(value, "state_dict"):
        return f"a function ({value.__name__})"
    if isinstance(value, list | dict | set | bytearray | slice):
        return f"a {type(value).__name__} (not hashable)"
    if isinstance(value, np.ndarray | np.generic | Tensor):
        return f"an array ({type(value).__name__})"
    if hasattr(value, "state_dict"):
        return f"a {type(value).__name__} (call .state_dict() on it first)"
    return f"an object of type {type(value).__name__}"


def load(f: PathLike | IO[bytes], map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         max_bytes: int = DEFAULT_MAX_BYTES, **pickle_load_args: Any) -> Any:
    """Read a file written by `save` or by `torch.save` (its zip format, or the legacy one):
    the saved object back, as torch.load gives it (a state dict as an OrderedDict in the
    saved order, with its `_metadata`; Tensors as Tensors with requires_grad, strides and
    shared storages as saved, Parameters as Parameters; ndarrays as ndarrays, NumPy scalars as
    NumPy scalars; every other value as its plain type, see `save`). Never runs code from the
    file (torch_checkpoint.py: a restricted unpickler, its allocations counted against
    `max_bytes` first). The .npz files of earlier versions load too; a format 1 one (a flat
    state dict) comes back as an OrderedDict name -> Tensor.

    Of an .npz file, every entry's .npy header is read and checked before any array is
    allocated; when the arrays together would take more than `max_bytes` (default 4 GiB)
    the file is refused.
    Raises FileNotFoundError for a missing file and ValueError, naming the file, the entry
    and the reason, for anything else that is not such a file: random or truncated bytes, a
    `.npz` from elsewhere, pickled objects (never unpickled), an entry whose size disagrees
    with its header, duplicate entries, or arrays over the size limit.
    `f` may also be a binary file object (`io.BytesIO`, `open(path, "rb")`).
    PyTorch's `map_location`, `pickle_module`, `weights_only`, `mmap` and the pickle
    arguments (`encoding`, `errors`, `fix_imports`, `buffers`) are accepted: files hold arrays
    and plain values only, so loading is always weights-only (never unpickled, whatever
    `weights_only` says), and everything lands on the CPU (a device, a dict whose targets are
    the CPU, or a function such as `lambda storage, loc: storage`). Any other keyword is a
    TypeError, as in torch.load.

    `mmap=True` (a file path only, as in PyTorch) maps the stored arrays instead of reading
    them: loading costs no memory until the values are touched. The mapping is private, as
    PyTorch's: writing to a loaded tensor changes that tensor, never the file. Every check
    above still runs first; the CRC of a mapped entry is not verified (PyTorch verifies none,
    mapped or read). An entry that cannot be mapped (compressed, in another byte order, empty;
    a torch.save view that is not one contiguous run of its storage, bfloat16) is read.
    """
    unknown = sorted(set(pickle_load_args) - _PICKLE_LOAD_ARGS)
    if unknown:
        raise TypeError(f"load() got an unexpected keyword argument {unknown[0]!r}")
    path = f
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
        if mmap:
            raise ValueError("load: f must be a file path in order to use the mmap argument")
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
            if mmap:  # (as torch.load: only the zip format has storages to map)
                raise ValueError(f"load: {path} is a PyTorch file in the legacy format "
                                 "(_use_new_zipfile_serialization=False): mmap=True needs "
                                 "torch.save's default (zip) format")
            if not handle.seekable():
                raise ValueError(f"load: {path} is a PyTorch file in the legacy format, which "
                                 "is read from a seekable file only")
            return torch_checkpoint.read_legacy(handle, str(path), int(max_bytes))
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
            mapped = path if mmap else None
            if torch_checkpoint.is_torch_checkpoint(archive):  # torch.save's own file
                return torch_checkpoint.read(archive, path, int(max_bytes), mapped)
            entries = {entry.name: entry for entry in _check_entries(archive, path,
                                                                     int(max_bytes))}
            version = _read_format(archive, path, entries.pop(FORMAT_KEY))
            if version == FORMAT_VERSION:
                return OrderedDict(
                    (name, Tensor._make(_read_checked(archive, path, entry, mapped), None))
                    for name, entry in entries.items())
            return _read_nested(archive, path, entries, version == NAMED_FORMAT_VERSION,
                                mapped)


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
        # Parsing the manifest's JSON allocates up to ~25 bytes per byte of it: counted first.
        total += nbytes * MANIFEST_COST if name == MANIFEST_KEY else nbytes
        if total > max_bytes:
            cost = f", counted {MANIFEST_COST} times for parsing" if name == MANIFEST_KEY else ""
            raise ValueError(
                f"load: {path}: entry {name!r} (shape {shape}, dtype {dtype}, {nbytes:,} bytes"
                f"{cost}) brings the arrays to {total:,} bytes, over the limit of "
                f"{max_bytes:,} bytes; if you trust this file, pass load(path, max_bytes=...) "
                "a larger limit")
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


def _map_entry(archive: zipfile.ZipFile, entry: _Entry, filename: str) -> np.ndarray | None:
    if not entry.dtype.isnative or math.prod(entry.shape) == 0:
        return None
    start = member_offset(archive, entry.info)
    if start is None:
        return None
    return map_array(filename, start + entry.header_size, entry.dtype, entry.shape,
                     entry.fortran)


def _read_checked(archive: zipfile.ZipFile, path: str, entry: _Entry,
                  mapped: str | None = None) -> np.ndarray:
    try:
        array = _map_entry(archive, entry, mapped) if mapped is not None else None
        return _read_array(archive, entry) if array is None else array
    except MemoryError:
        raise
    except Exception as error:  # a damaged member: zlib, CRC or EOF errors
        raise ValueError(f"load: {path}: entry {entry.name!r} is damaged: {error}") from None


def _read_format(archive: zipfile.ZipFile, path: str, entry: _Entry) -> int:
    if entry.shape != () or entry.dtype.kind not in "iu":
        raise ValueError(f"load: {path}: the format entry has shape {entry.shape} and dtype "
                         f"{entry.dtype}, not one integer")
    version = int(_read_checked(archive, path, entry))
    if version not in (FORMAT_VERSION, NESTED_FORMAT_VERSION, NAMED_FORMAT_VERSION):
        raise ValueError(f"load: {path} has format {version}; this tinygrad_np reads formats "
                         f"{FORMAT_VERSION} to {NAMED_FORMAT_VERSION} (was it written by a "
                         "newer version?)")
    return version


def _read_nested(archive: zipfile.ZipFile, path: str, entries: dict[str, _Entry],
                 named: bool, mapped: str | None = None) -> Any:
    """A format 2 or 3 file: the manifest is read and checked whole before any array is."""
    version = NAMED_FORMAT_VERSION if named else NESTED_FORMAT_VERSION
    manifest = entries.pop(MANIFEST_KEY, None)
    if manifest is None:
        raise ValueError(f"load: {path} has format {version} but no {MANIFEST_KEY!r} entry")
    if len(manifest.shape) != 1 or manifest.dtype != np.uint8:
        raise ValueError(f"load: {path}: the manifest entry has shape {manifest.shape} and "
                         f"dtype {manifest.dtype}, not a 1-d uint8 array")
    if manifest.shape[0] > MAX_MANIFEST_BYTES:
        raise ValueError(f"load: {path}: the manifest is {manifest.shape[0]:,} bytes, over the "
                         f"limit of {MAX_MANIFEST_BYTES:,}")
    expected = {str(number) for number in range(len(entries))}
    if not named and set(entries) != expected:
        odd = sorted(set(entries) - expected)[0]
        raise ValueError(f"load: {path}: entry {odd!r} is not one of the numbered arrays "
                         f"0 to {len(entries) - 1} a format {NESTED_FORMAT_VERSION} file holds")
    text = _read_checked(archive, path, manifest).tobytes()
    try:
        root = json.loads(text.decode("utf-8"), object_pairs_hook=_unique_pairs)
    except (ValueError, RecursionError) as error:  # bad UTF-8 or JSON, duplicate keys
        raise ValueError(f"load: {path}: the manifest is not valid JSON: {error}") from None
    checker = _Checker(entries, path, named)
    checker.check(root, "obj", 0, "")
    if len(checker.kinds) != len(entries):
        unused = sorted(set(entries) - set(checker.kinds), key=str if named else int)[0]
        raise ValueError(f"load: {path}: entry {unused!r} is not referenced by the manifest")
    arrays = {name: _read_checked(archive, path, entries[name], mapped)
              for name in checker.kinds}
    return _build(root, arrays, {})


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("an object has a key twice")
    return result


# The manifest's node kinds: {kind: entry, ...} for arrays (the entry's number in format 2,
# its name in format 3); {kind: [...]} for containers; {kind: content} for other values.
_ARRAY_NODES = {"array": {"array"}, "scalar": {"scalar"},
                "tensor": {"tensor", "requires_grad"}, "parameter": {"parameter", "requires_grad"}}
_MAPPING_NODES = ("dict", "odict", "counter", "defaultdict")
_CONTAINER_NODES = ("list", "tuple", "set", "frozenset", "slice", *_MAPPING_NODES)
_VALUE_NODES = ("complex", "bytes", "bytearray", "range", "dtype", "size", "device")
# What may be a dict key or a set item (besides JSON's null, bool, numbers and strings).
_HASHABLE_NODES = ("tuple", "frozenset", "complex", "bytes", "range", "dtype", "size", "device")
# A node's fields besides its kind: an OrderedDict's optional _metadata, a defaultdict's factory
_EXTRA_FIELDS = {"odict": ({"metadata"}, set()), "defaultdict": ({"factory"}, {"factory"})}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Checker:
    """Refuses anything in a manifest that is not a node `save` writes; notes the entries
    used (`kinds`: entry name -> how it is read)."""

    def __init__(self, entries: dict[str, _Entry], path: str, named: bool) -> None:
        self.entries, self.path, self.named = entries, path, named
        self.kinds: dict[str, str] = {}

    def check(self, node: Any, where: str, depth: int, limit: str) -> None:
        """`limit`: "key" inside a dict key or set item, "plain" inside _metadata."""
        def bad(reason: str) -> ValueError:
            return ValueError(f"load: {self.path}: the manifest at {where} {reason}")

        if node is None or isinstance(node, bool | int | float | str):
            return
        kind = next(iter(node)) if isinstance(node, dict) and node else None
        if kind in _ARRAY_NODES and set(node) == _ARRAY_NODES[kind] and not limit:
            return self.check_array(node, kind, bad)
        optional, required = _EXTRA_FIELDS.get(kind, (set(), set()))
        extra = set(node) - {kind} if isinstance(node, dict) else set()
        known = (kind in _CONTAINER_NODES + _VALUE_NODES and required <= extra <= optional
                 | required)
        if not known or limit == "key" and kind not in _HASHABLE_NODES:
            there = {"key": " as a dict key or set item", "plain": " in _metadata"}.get(limit, "")
            raise bad(f"holds {_short(node)}, not a value tinygrad_np.save writes{there}")
        content = node[kind]
        if kind in _VALUE_NODES:
            if not self.value_ok(kind, content):
                raise bad(f"has a {kind} {_short(content)}, not one tinygrad_np.save writes")
            return
        if depth >= MAX_DEPTH:
            raise bad(f"is nested more than {MAX_DEPTH} containers deep")
        if not isinstance(content, list):
            raise bad(f"has a {kind} whose items are {_short(content)}, not a list")
        if kind == "slice" and len(content) != 3:
            raise bad(f"has a slice of {len(content)} items, not start, stop and step")
        if kind == "defaultdict" and node["factory"] not in _FACTORIES:
            raise bad(f"has a defaultdict factory {_short(node['factory'])}, not one "
                      "tinygrad_np.save writes")
        if kind not in _MAPPING_NODES:
            inner = "key" if kind in ("set", "frozenset") else limit
            for position, item in enumerate(content):
                self.check(item, f"{where}[{position}]", depth + 1, inner)
            return
        seen: set[Any] = set()
        for pair in content:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise bad(f"has a {kind} item {_short(pair)}, not a [key, value] pair")
            key_where = f"{where} key {_short(pair[0])}"
            self.check(pair[0], key_where, depth + 1, "key")
            key = _build(pair[0], {}, {})  # (a key holds no arrays)
            if key in seen:  # (1, 1.0 and True are one key, as in a dict)
                raise bad(f"has the key {key!r} twice")
            seen.add(key)
            self.check(pair[1], f"{where}[{key!r}]", depth + 1, limit)
        if "metadata" in node:
            metadata = node["metadata"]
            if not (isinstance(metadata, dict) and set(metadata) & {"dict", "odict"}):
                raise bad(f"has _metadata {_short(metadata)}, not a dict")
            self.check(metadata, f"{where}._metadata", depth + 1, "plain")

    @staticmethod
    def value_ok(kind: str, content: Any) -> bool:
        if kind == "complex":
            return (isinstance(content, list) and len(content) == 2
                    and all(isinstance(part, float) for part in content))
        if kind in ("bytes", "bytearray"):
            try:
                return isinstance(content, str) and bytes.fromhex(content).hex() == content
            except ValueError:
                return False
        if kind == "dtype":
            return isinstance(content, str) and content in _DTYPE_NAMES
        if kind == "device":
            return isinstance(content, str) and _device_ok(content)
        if kind == "range":
            return (isinstance(content, list) and len(content) == 3
                    and all(_is_int(part) for part in content) and content[2] != 0)
        return isinstance(content, list) and all(_is_int(size) for size in content)  # size

    def check_array(self, node: dict, kind: str, bad: Any) -> None:
        reference = node[kind]
        name = reference if self.named else str(reference)
        if not (isinstance(reference, str) if self.named else _is_int(reference)) or (
                name not in self.entries):
            raise bad(f"refers to array {_short(reference)}, which the file does not hold")
        entry = self.entries[name]
        if self.kinds.setdefault(name, kind) != kind:
            raise bad(f"reads array {reference!r} as a {kind}, elsewhere as a "
                      f"{self.kinds[name]}")
        if kind == "scalar" and entry.shape != ():
            raise bad(f"reads array {reference!r} of shape {entry.shape} as a scalar")
        if kind in ("tensor", "parameter"):
            if entry.dtype.kind not in "biuf":
                raise bad(f"reads array {reference!r} of dtype {entry.dtype} as a tensor; "
                          "tensors hold bool, integer or float numbers")
            requires_grad = node["requires_grad"]
            if not isinstance(requires_grad, bool):
                raise bad(f"has requires_grad {_short(requires_grad)}, not true or false")
            if requires_grad and entry.dtype.kind != "f":
                raise bad(f"asks for requires_grad on array {reference!r} of dtype "
                          f"{entry.dtype}; only float tensors require grad")


def _device_ok(name: str) -> bool:
    try:
        return str(device(name)) == name
    except (RuntimeError, ValueError, TypeError):
        return False


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_VALUE_BUILDERS = {"complex": lambda parts: complex(*parts), "bytes": bytes.fromhex,
                   "bytearray": bytearray.fromhex, "range": lambda parts: range(*parts),
                   "dtype": dtype_named, "size": Size, "device": device}
_CONTAINER_BUILDERS = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset,
                       "slice": lambda items: slice(*items)}


def _build(node: Any, arrays: dict[str, np.ndarray], made: dict[str, Any]) -> Any:
    """The value a checked manifest node describes; an entry used twice gives one object."""
    if not isinstance(node, dict):
        return node
    kind, content = next(iter(node.items()))
    if kind in _VALUE_BUILDERS:
        return _VALUE_BUILDERS[kind](content)
    if kind in _CONTAINER_BUILDERS:
        return _CONTAINER_BUILDERS[kind]([_build(item, arrays, made) for item in content])
    if kind in _MAPPING_NODES:
        pairs = ((_build(key, arrays, made), _build(item, arrays, made)) for key, item in content)
        if kind == "dict":
            return dict(pairs)
        if kind == "counter":
            return Counter(dict(pairs))
        if kind == "defaultdict":
            return defaultdict(_FACTORIES[node["factory"]], pairs)
        result = OrderedDict(pairs)
        if "metadata" in node:
            result._metadata = _build(node["metadata"], arrays, made)  # type: ignore[attr-defined]
        return result
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


# PyTorch's allow-list for weights_only unpickling. Nothing is unpickled here (a file holds
# plain data and arrays only), so the list changes nothing; it is kept so that code written
# for torch >= 2.6 (`torch.serialization.add_safe_globals([MyConfig])`) runs unchanged.
_safe_globals: list = []


def add_safe_globals(safe_globals: list) -> None:
    """PyTorch's allow-list of classes for weights_only loading; recorded, has no effect."""
    _safe_globals.extend(safe_globals)


def get_safe_globals() -> list:
    """The classes given to add_safe_globals (and safe_globals while it is active)."""
    return list(_safe_globals)


def clear_safe_globals() -> None:
    """Empty the list add_safe_globals filled."""
    _safe_globals.clear()


def get_unsafe_globals_in_checkpoint(f: Any) -> list[str]:
    """PyTorch's list of classes a checkpoint would need unpickled: none, in a file `load`
    reads (a torch file's are refused by `load` itself, naming them)."""
    return []


@contextlib.contextmanager
def safe_globals(safe_globals: list) -> Any:
    """`with safe_globals([...]):` add_safe_globals for the block only."""
    before = list(_safe_globals)
    _safe_globals.extend(safe_globals)
    try:
        yield
    finally:
        _safe_globals[:] = before
