"""Writing PyTorch's own checkpoint format, so that `torch.load` reads what `tg.save` wrote.

The format (PyTorch's serialization notes describe it): a zip archive, every member stored
uncompressed, holding `archive/data.pkl` (the object, pickled), one `archive/data/<key>`
member per storage (its raw bytes, each starting at a multiple of 64 bytes in the file so
that `torch.load(mmap=True)` can map it), `archive/version` (b"3\\n"), `archive/byteorder`
and two small format records. A Tensor pickles as a call to
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)`
whose storage is a persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`; a
Parameter as `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`; uint16/32/64
as `_rebuild_tensor_v3` over an `UntypedStorage` (PyTorch has no typed storage for them).

Torch is never imported: the names above are written into the pickle as GLOBAL opcodes by a
pure-Python pickler (`_Global` markers). Tensors that view one NumPy buffer (slices,
transposes, `x` and `x[1:]`) are written as views of one storage, stored once; a view NumPy
cannot describe in PyTorch's terms (negative strides, another dtype than its buffer) is
written as a copy. Everything else in the object (dicts, lists, OrderedDict with its
`_metadata`, Counter, sets, bytes, complex, ndarrays, NumPy scalars) is pickled as Python
and NumPy pickle it, as torch.save would: what torch.load(weights_only=True) refuses of
torch's own files (a NumPy array, a frozenset) it refuses here too.
"""

from __future__ import annotations

import collections
import io
import pickle
import secrets
import sys
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from tinygrad_np.device import device
from tinygrad_np.dtypes import dtype as torch_dtype
from tinygrad_np.foreign import is_torch_tensor
from tinygrad_np.tensor import Size, Tensor

ALIGNMENT = 64  # where each storage's bytes start, as torch.save places them
PREFIX = "archive/"
_PADDING_ID = 0x4246  # a private zip extra-field id, holding only padding bytes
# The legacy typed storage of each dtype; the others go through an UntypedStorage.
_STORAGE_TYPES = {"float64": "DoubleStorage", "float32": "FloatStorage",
                  "float16": "HalfStorage", "int64": "LongStorage", "int32": "IntStorage",
                  "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
                  "bool": "BoolStorage"}
_UNTYPED_DTYPES = ("uint16", "uint32", "uint64")
# Subclasses of these are written as the plain type (an IntEnum as its int, a namedtuple as
# a tuple), as `save` documents: a pickle of the subclass would name a class of the caller's.
_PLAIN = (str, int, float, tuple, list, set, frozenset, dict)
_KEPT = (bool, collections.OrderedDict, collections.Counter, collections.defaultdict)
_ATOMIC = frozenset((type(None), bool, int, float, str, bytes, tuple, list, dict))


class _Global:
    """A name written as a pickle GLOBAL (`torch._utils._rebuild_tensor_v2`), never imported."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args: Any) -> Any:  # (pickle asks that a reduce function be callable)
        raise TypeError(f"{self.module}.{self.name} is only a name to pickle")


class _Reduce:
    """A call `func(*args)` to pickle in place of an object."""

    __slots__ = ("args", "func")

    def __init__(self, func: _Global, args: tuple) -> None:
        self.func, self.args = func, args

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return self.func, self.args


class _StorageRef:
    """One storage: the bytes of `array` (a contiguous buffer), as `key` in the archive."""

    __slots__ = ("array", "key", "kind", "numel")

    def __init__(self, array: np.ndarray, key: str, kind: str) -> None:
        self.array, self.key, self.kind = array, key, kind
        self.numel = array.nbytes if kind == "UntypedStorage" else array.size


def _root(array: np.ndarray) -> np.ndarray:
    """The ndarray at the end of `array`'s chain of bases: the buffer its views share."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, with Tensors, Parameters, Size, devices and dtypes written as
    torch.save writes them; storages collected in `storages` (one per shared buffer)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, stream: IO[bytes], protocol: int) -> None:
        super().__init__(stream, protocol)
        self.storages: dict[int, _StorageRef] = {}  # id of a root buffer -> its storage
        self.replaced: dict[int, tuple[Any, Any]] = {}  # id -> (object, what is pickled)
        self.globals: dict[tuple[str, str], _Global] = {}

    def name(self, module: str, name: str) -> _Global:
        return self.globals.setdefault((module, name), _Global(module, name))

    def save(self, obj: Any, save_persistent_id: bool = True) -> None:
        if type(obj) in _ATOMIC:  # (most of a pickle: nothing to replace, no storage)
            return super().save(obj, save_persistent_id)
        kept = self.replaced.get(id(obj))
        if kept is None:
            kept = self.replaced[id(obj)] = (obj, self.replacement(obj))
        super().save(obj if kept[1] is None else kept[1], save_persistent_id)

    def replacement(self, obj: Any) -> Any:
        """What to pickle for `obj` (None: `obj` itself)."""
        kind = type(obj)
        if kind in _PLAIN or kind in _KEPT or kind in (_Global, _Reduce, _StorageRef, type):
            return None
        if isinstance(obj, Tensor):
            return self.tensor(obj)
        if is_torch_tensor(obj):  # (checked by `save`: a torch tensor, written as torch.save would)
            from tinygrad_np.serialization import as_tensor_of_ours  # noqa: PLC0415
            return self.tensor(as_tensor_of_ours(obj))
        from tinygrad_np.optim.optimizer import Step  # noqa: PLC0415 (optim sits above this)
        if kind is Step:  # an optimizer's step count: PyTorch's is a 0-d float32 tensor
            return self.tensor_call(np.array(float(obj), np.float32), False)
        if isinstance(obj, torch_dtype):
            return self.name("torch", obj.name)
        if isinstance(obj, device):
            return _Reduce(self.name("torch", "device"), (str(obj),))
        if isinstance(obj, Size):
            return _Reduce(self.name("torch", "Size"), (tuple(int(n) for n in obj),))
        if isinstance(obj, np.str_):  # (a str to `save`, as it was in earlier versions' files)
            return str(obj)
        if isinstance(obj, np.ndarray | np.generic):
            return None
        if isinstance(obj, collections.defaultdict):  # (subclasses as the type they extend)
            return collections.defaultdict(obj.default_factory, obj)
        if isinstance(obj, collections.Counter):
            return collections.Counter(dict(obj))
        if isinstance(obj, collections.OrderedDict):
            plain = collections.OrderedDict(obj)
            if getattr(obj, "_metadata", None) is not None:
                plain._metadata = obj._metadata  # type: ignore[attr-defined]
            return plain
        for plain in _PLAIN:
            if isinstance(obj, plain):
                return plain(obj.items() if plain is dict else obj)
        return dict(obj.items()) if isinstance(obj, Mapping) else None  # a flat state dict's

    def tensor(self, tensor: Tensor) -> _Reduce:
        from tinygrad_np.nn.parameter import Parameter  # noqa: PLC0415 (nn sits above this)
        array = tensor._data  # (a conv result kept batch innermost is row-major to PyTorch:
        if tensor._kernel_ordered():  # written so, with the strides `stride()` gives)
            array = np.ascontiguousarray(array)
        if isinstance(tensor, Parameter):
            data = self.tensor_call(array, False)
            return _Reduce(self.name("torch._utils", "_rebuild_parameter"),
                           (data, tensor.requires_grad, collections.OrderedDict()))
        return self.tensor_call(array, tensor.requires_grad)

    def tensor_call(self, array: np.ndarray, requires_grad: bool) -> _Reduce:
        storage, offset, strides = self.storage_of(array)
        args = (storage, offset, tuple(array.shape), strides, bool(requires_grad),
                collections.OrderedDict())
        if array.dtype.name in _UNTYPED_DTYPES:
            return _Reduce(self.name("torch._utils", "_rebuild_tensor_v3"),
                           (*args, self.name("torch", array.dtype.name)))
        return _Reduce(self.name("torch._utils", "_rebuild_tensor_v2"), args)

    def storage_of(self, array: np.ndarray) -> tuple[_StorageRef, int, tuple[int, ...]]:
        """The storage `array` views, its offset and strides there in elements; a copy of its
        own when PyTorch cannot describe the view (negative or uneven strides, another dtype
        than its buffer's, a buffer not in one piece, no elements)."""
        item = array.dtype.itemsize
        root = _root(array)
        delta = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        shared = (array.size > 0 and root.dtype == array.dtype and array.dtype.isnative
                  and (root.flags.c_contiguous or root.flags.f_contiguous)
                  and delta >= 0 and delta % item == 0
                  and all(step >= 0 and step % item == 0 for step in array.strides))
        if not shared:
            root = array = np.ascontiguousarray(array, array.dtype.newbyteorder("="))
            delta = 0
        if id(root) not in self.storages:
            self.storages[id(root)] = self.new_storage(root)
        steps = [step // item for step in array.strides]
        for axis in reversed(range(array.ndim)):  # a size-1 axis's step is free: row-major's
            if array.shape[axis] <= 1 or array.size == 0:
                steps[axis] = 1 if axis == array.ndim - 1 else (
                    steps[axis + 1] * max(array.shape[axis + 1], 1))
        return self.storages[id(root)], delta // item, tuple(steps)

    def new_storage(self, root: np.ndarray) -> _StorageRef:
        name = root.dtype.name
        kind = "UntypedStorage" if name in _UNTYPED_DTYPES else _STORAGE_TYPES.get(name)
        if kind is None:
            raise TypeError(f"save: a tensor of dtype {name} has no PyTorch storage type")
        return _StorageRef(root.ravel(order="K"), str(len(self.storages)), kind)

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is _StorageRef:
            module = "torch.storage" if obj.kind == "UntypedStorage" else "torch"
            return ("storage", self.name(module, obj.kind), obj.key, "cpu", obj.numel)
        return None

    def save_marker(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = save_marker


def _write_member(archive: zipfile.ZipFile, name: str, data: Any) -> None:
    """One stored member whose bytes begin at a multiple of ALIGNMENT in the file (or the
    stream, when it cannot tell where it is); the local header's extra field pads."""
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
    info = zipfile.ZipInfo(PREFIX + name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = len(view)
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # (zipfile's own test)
    # The local header: fixed fields, the name, zipfile's zip64 field (20 bytes), the padding.
    header = zipfile.sizeFileHeader + len(info.filename.encode("ascii")) + (20 if zip64 else 0)
    offset = archive.fp.tell()
    padding = (-(offset + header + 4)) % ALIGNMENT
    info.extra = _PADDING_ID.to_bytes(2, "little") + padding.to_bytes(2, "little") + (
        b"\0" * padding)
    with archive.open(info, "w", force_zip64=zip64) as member:
        for begin in range(0, len(view), 1 << 24):  # 16 MiB at a time: no copy of the whole
            member.write(view[begin : begin + (1 << 24)])


class _Shifted:
    """A file object seen from `start` on: zipfile records offsets from the archive's start,
    as torch.save does (a file object already holding bytes before it: torch.load then reads
    the archive from there)."""

    def __init__(self, handle: IO[bytes], start: int) -> None:
        self.handle, self.start = handle, start

    def write(self, data: Any) -> int:
        return self.handle.write(data)

    def tell(self) -> int:
        return self.handle.tell() - self.start

    def seek(self, offset: int, whence: int = 0) -> int:
        base = self.start if whence == 0 else 0
        return self.handle.seek(offset + base, whence) - self.start

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        self.handle.flush()


def write(obj: Any, handle: IO[bytes], protocol: int = 2) -> None:
    """Write `obj` (already checked by `save`) to `handle` in PyTorch's format."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, protocol)
    pickler.dump(obj)
    seekable = getattr(handle, "seekable", lambda: False)()
    start = handle.tell() if seekable else 0
    target: Any = _Shifted(handle, start) if start else handle
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        _write_member(archive, "data.pkl", buffer.getvalue())
        _write_member(archive, ".format_version", b"1")
        _write_member(archive, ".storage_alignment", str(ALIGNMENT).encode())
        _write_member(archive, "byteorder", sys.byteorder.encode())
        for storage in pickler.storages.values():
            _write_member(archive, f"data/{storage.key}", storage.array)
        _write_member(archive, "version", b"3\n")
        _write_member(archive, ".data/serialization_id",
                      str(secrets.randbits(128)).zfill(40).encode())
