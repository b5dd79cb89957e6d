"""Reading PyTorch's own checkpoint files (`torch.save`'s zip: a pickle `data.pkl` beside one
raw entry per storage), as PyTorch's `torch.load(weights_only=True)` reads them.

The pickle runs through an unpickler that knows only the names a weights file uses (ordered
dicts, Counters, tensor and parameter rebuilding, storage types, `torch.Size`, dtypes and
devices, a few builtins: PyTorch's weights_only allow-list; also numeric NumPy arrays and
scalars and `argparse.Namespace`, checked before they are built), so a file cannot run code;
storages reach the rebuild functions only as `_Storage` objects made here (a file cannot
hand them anything else), and a pickle's BUILD step (setting state) is refused on everything
but ordered dicts, Namespaces (names only) and NumPy dtypes and arrays (numeric, checked).
Before anything is allocated its bytes are counted against `max_bytes`: the pickle
(PICKLE_COST bytes per byte of it when that is small; else read without building anything,
PICKLE_COST bytes per opcode and 4 per byte of its strings, what unpickling it can
allocate), each storage (its size checked against the archive),
each tensor copied out of its storage (each view is checked to lie inside it) and each
`bytearray(n)`. Anything wrong is a ValueError naming the file. Tensors of dtypes without
a legacy storage type (uint16, uint32, uint64: `_rebuild_tensor_v3` over an untyped storage)
view the storage's bytes as that dtype; a tensor with Python attributes or
of a subclass (`_rebuild_from_type_v2`: `t.note = ...`, `nn.Buffer`) comes back as a Tensor
(or Parameter) with those attributes. Tensors view their storage, as in PyTorch: two
tensors over one storage share memory, with the strides and offsets saved (a view whose
elements overlap, a negated one, is copied). With `load(mmap=True)` storages are mapped
privately (copy-on-write) instead of read, and the tensors view the mapping. Legacy files
(`_use_new_zipfile_serialization=False`: pickles, then each storage's count and raw bytes)
are read by `read_legacy`, with the same unpickler and limits.
"""

from __future__ import annotations

import collections
import io
import math
import operator
import pickle
import pickletools
import re
import struct
import zipfile
from typing import Any

import numpy as np

from tinygrad_np import dtypes
from tinygrad_np.device import device
from tinygrad_np.tensor import Size, Tensor

# Bytes the pure-Python unpickler may allocate per opcode (its stack, memo and the objects
# the opcodes make): measured at most 224 (protocol 4's one-byte empty sets); strings count
# 4 bytes per byte besides.
PICKLE_COST = 256
_BFLOAT16 = "bfloat16"  # NumPy has no bfloat16: such storages are widened to float32
_UNTYPED = "UntypedStorage"  # raw bytes: `_rebuild_tensor_v3` says which dtype views them
_STORAGES = {"DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
             "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
             "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
             "BFloat16Storage": _BFLOAT16, _UNTYPED: np.uint8}
# Typed storages of dtypes a Tensor here cannot hold: refused by name.
_REFUSED_STORAGES = {"ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
                     "ComplexHalfStorage": "complex32", "QInt8Storage": "qint8",
                     "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
                     "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4"}
# torch dtypes as values are PyTorch's dtype objects (bfloat16, complex and float8 ones too,
# though a tensor of them is refused or, bfloat16, widened to float32); others are refused.
_DTYPES = {name: dtypes.dtype_named(name) for name in (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
    "uint32", "uint64", "complex64", "complex128")} | {
    "half": dtypes.float16, "double": dtypes.float64, "short": dtypes.int16, "long": dtypes.int64,
    "float": dtypes.float32, "int": dtypes.int32, "bool": dtypes.bool_,
    "cfloat": dtypes.dtype_named("complex64"), "cdouble": dtypes.dtype_named("complex128")} | {
    name: dtypes.dtype_named(name) for name in ("bfloat16", "complex32", "float8_e4m3fn",
                                                "float8_e5m2")}
_MISSING_NAMES = ("bfloat16", "complex32", "float8_e4m3fn", "float8_e5m2", "complex64",
                  "complex128")
# Any other name of torch's that reads as a dtype (float8_e4m3fn, complex32, qint8, uint4, ...).
_OTHER_DTYPE = re.compile(r"(b?float|complex|c?half|q?u?int|bits)\w*")


class _Storage:
    """A storage read from the archive: the only thing the rebuild functions take.
    `views`: an untyped storage's bytes seen as each dtype asked for (`_rebuild_tensor_v3`);
    `bare`: its references in the pickle not taken by a tensor (a storage saved by itself)."""

    __slots__ = ("array", "bare", "untyped", "views")

    def __init__(self, array: np.ndarray, untyped: bool = False) -> None:
        self.array, self.untyped, self.views, self.bare = array, untyped, {}, 0


def _storages_as_tensors(value: Any, seen: set[int]) -> Any:
    """`value` with the storages saved by themselves (`torch.save(t.untyped_storage())`, a
    dict of them) as 1-D Tensors of their values, inside dicts, lists and tuples too."""
    if isinstance(value, _Storage):
        return Tensor(value.array)
    if not isinstance(value, dict | list | tuple) or id(value) in seen:
        return value
    seen.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _storages_as_tensors(item, seen)
    elif isinstance(value, list):
        value[:] = [_storages_as_tensors(item, seen) for item in value]
    elif type(value) is tuple:
        return tuple(_storages_as_tensors(item, seen) for item in value)
    return value


class _Type:
    """`torch.Tensor`, `torch.nn.parameter.Parameter` or `numpy.ndarray` named in a pickle:
    only a marker for `_rebuild_from_type_v2` or `_reconstruct` (never called, so a file
    cannot build objects with it: `numpy.ndarray((n,))` would allocate past `max_bytes`)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_NDARRAY = _Type("ndarray")


class _Budget:
    """The bytes a load may still allocate (`max_bytes`)."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, count: int, what: str) -> None:
        self.left -= count
        if self.left < 0:
            raise ValueError(f"{what} brings what the load allocates over the limit of "
                             "max_bytes; if you trust this file, pass load(path, max_bytes=...) "
                             "a larger limit")


def _ints(values: Any, what: str) -> tuple[int, ...]:
    if not isinstance(values, tuple) or not all(type(v) is int for v in values):
        raise ValueError(f"a tensor's {what} is not a tuple of ints")
    return values


def _make_rebuild(budget: _Budget, dry: bool = False) -> Any:
    def rebuild(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any = False,
                hooks: Any = None, metadata: Any = None) -> Tensor:
        """A tensor of `size` viewing `storage` from `offset` with `stride` (in elements), as
        in PyTorch (tensors over one storage share memory); a copy when its elements overlap
        or `metadata` says the values are negated (PyTorch's neg bit, the only one read).
        `dry`: a legacy file's first pass, which only learns the storages (an empty tensor)."""
        if not isinstance(storage, _Storage) or type(offset) is not int:
            raise ValueError("a tensor is not built from a storage of the file")
        storage.bare -= 1
        if dry:
            return Tensor(np.zeros(0, storage.array.dtype))
        size, stride = _ints(size, "size"), _ints(stride, "stride")
        array = storage.array
        if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
            raise ValueError(f"a tensor of size {size} and stride {stride} is malformed")
        count = math.prod(size)
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if count else 0
        if count and last >= len(array) or offset > len(array):
            raise ValueError(f"a tensor of size {size} reaches past its storage of "
                             f"{len(array)} elements")
        if isinstance(metadata, dict) and metadata and set(metadata) != {"neg"}:
            raise ValueError(f"a tensor carries metadata {sorted(metadata)[:4]} that is not read")
        negated = isinstance(metadata, dict) and bool(metadata.get("neg"))
        if not count:
            values = np.empty(size, array.dtype)
        else:
            item = array.dtype.itemsize
            values = np.ndarray(size, array.dtype, buffer=array, offset=offset * item,
                                strides=tuple(s * item for s in stride))
            if negated or not array.flags.writeable or _overlaps(size, stride):
                budget.take(count * item, f"a tensor of size {size}")
                values = np.array(values, order="C")
        if negated:
            np.negative(values, out=values)
        tensor = Tensor(values)
        return tensor.requires_grad_(True) if requires_grad is True and (
            values.dtype.kind == "f") else tensor
    return rebuild


def _make_rebuild_v3(rebuild: Any, byteorder: str) -> Any:
    def rebuild_v3(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any = False,
                   hooks: Any = None, dtype: Any = None, metadata: Any = None) -> Tensor:
        """PyTorch's rebuild of a tensor over an untyped storage (raw bytes) of `dtype`: the
        bytes viewed as that dtype, then as `rebuild` does (the dtypes without a legacy
        storage type: uint16, uint32, uint64)."""
        if not isinstance(storage, _Storage) or not storage.untyped:
            raise ValueError("a tensor is not built from an untyped storage of the file")
        storage.bare -= 1
        name = dtype.name if isinstance(dtype, dtypes.dtype) else None
        if name in _MISSING_NAMES:  # (bfloat16, float8, complex: no NumPy type to view as)
            raise ValueError(f"it holds a tensor of torch.{name}, a dtype tinygrad_np does not "
                             "have (NumPy has none)")
        dtype = dtype.dtype if name is not None else dtype  # (NumPy's, as the arrays')
        if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
            raise ValueError(f"a tensor has dtype {dtype!r}, which a Tensor here cannot hold")
        if dtype not in storage.views:
            raw = storage.array
            if len(raw) % dtype.itemsize:
                raise ValueError(f"a storage of {len(raw)} bytes is not a whole number of "
                                 f"{dtype} values")
            stored = dtype.newbyteorder("<" if byteorder == "little" else ">")
            typed = raw.view(stored)
            storage.views[dtype] = _Storage(typed if stored.isnative else typed.astype(dtype))
        return rebuild(storage.views[dtype], offset, size, stride, requires_grad, hooks, metadata)
    return rebuild_v3


def _make_rebuild_from_type(rebuilds: tuple) -> Any:
    def rebuild_from_type(func: Any, new_type: Any, args: Any, state: Any) -> Tensor:
        """A tensor with Python attributes (`t.note = ...`, an `nn.Buffer`'s flags) or of a
        subclass: built by one of the rebuild functions, its attributes set (only names a
        Tensor does not have, so nothing of the tensor's own is replaced)."""
        if not any(func is known for known in rebuilds) or type(args) is not tuple:
            raise ValueError("a tensor subclass is not built by a tensor rebuild function")
        if not isinstance(new_type, _Type) or new_type is _NDARRAY:
            raise ValueError(f"a tensor is rebuilt as a {type(new_type).__name__}, not a "
                             "torch.Tensor or torch.nn.Parameter")
        tensor = func(*args)
        if new_type.name == "Parameter" and type(tensor) is Tensor:
            tensor = _rebuild_parameter(tensor, tensor.requires_grad)
        parts = state if type(state) is tuple and len(state) == 2 else (state,)
        for part in parts:
            if part is None:
                continue
            if not isinstance(part, dict):
                raise ValueError(f"a tensor's state is a {type(part).__name__}, not a dict")
            for name, value in part.items():
                if type(name) is not str or name.startswith("__") or hasattr(tensor, name):
                    raise ValueError(f"a tensor's state sets {str(name)[:60]!r}, which is "
                                     "not a new attribute")
                setattr(tensor, name, value)
        return tensor
    return rebuild_from_type


def _layout(name: Any) -> Any:
    """`torch.serialization._get_layout("torch.strided")`: the layouts this library names."""
    from tinygrad_np.device import sparse_coo, strided  # noqa: PLC0415
    known = {"torch.strided": strided, "torch.sparse_coo": sparse_coo}
    if name not in known:
        raise ValueError(f"the layout {str(name)[:40]!r} is not one of {sorted(known)}")
    return known[name]


def _overlaps(size: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    """Whether two elements of a view of `size` and `stride` may share memory (a broadcast
    stride 0): such a view is copied, as writing one element would change others."""
    reach = 0  # the furthest element the smaller strides reach
    for step, count in sorted((s, n) for n, s in zip(size, stride) if n > 1):
        if step <= reach:
            return True
        reach += step * (count - 1)
    return False


def _rebuild_parameter(data: Any, requires_grad: Any, *_: Any) -> Any:
    from tinygrad_np.nn.parameter import Parameter  # noqa: PLC0415 (nn sits above this)
    if type(data) is not Tensor:
        raise ValueError("a parameter is not built from a tensor of the file")
    return Parameter(data, requires_grad=requires_grad is True)


def _make_bytearray(budget: _Budget) -> Any:
    def make_bytearray(source: Any = b"", *args: Any) -> bytearray:
        """`bytearray(...)`; one of an int size (anything with `__index__`) allocates that many
        bytes, so they are counted against `max_bytes` first."""
        if hasattr(type(source), "__index__"):
            size = operator.index(source)
            budget.take(max(size, 0), f"bytearray({size})")
        elif type(source) not in (str, bytes):  # (an iterable could be range(10**12))
            raise ValueError(f"bytearray is built from a {type(source).__name__}")
        return bytearray(source, *args)
    make_bytearray.kind = bytearray  # type: ignore[attr-defined]
    return make_bytearray


class _Factory:
    """A builtin type named in a pickle (`builtins.list`): only a defaultdict's factory, never
    called (`list(range(10**12))` would allocate past `max_bytes`)."""

    __slots__ = ("kind",)

    def __init__(self, kind: type) -> None:
        self.kind = kind


_FACTORY_TYPES = (list, dict, tuple, int, float, str, bool)


def _of_items(kind: type) -> Any:
    def make(items: Any = ()) -> Any:
        """`set(list)`, `frozenset(list)`, `Counter(dict)`, as pickles call them: only of
        items the pickle holds (a `range(10**12)` would allocate past `max_bytes`)."""
        allowed = (dict,) if kind is collections.Counter else (list, tuple, set, frozenset)
        if type(items) not in allowed:
            raise ValueError(f"{kind.__name__} is built from a {type(items).__name__}")
        return kind(items)
    make.kind = kind  # type: ignore[attr-defined]  (what a defaultdict factory names)
    return make


def _defaultdict(factory: Any = None, *rest: Any) -> collections.defaultdict:
    """`defaultdict(factory)`, its factory None, one of the builtin types above, set,
    frozenset, OrderedDict, Counter or complex."""
    kind = getattr(factory, "kind", factory)
    if rest or not (kind is None or kind in (*_FACTORY_TYPES, set, frozenset, complex, bytes,
                                                  bytearray, collections.OrderedDict,
                                                  collections.Counter)):
        raise ValueError("a defaultdict's default_factory is not a builtin type")
    return collections.defaultdict(kind)


def _size(sizes: Any) -> Size:
    """`torch.Size(tuple)`, as PyTorch pickles it; anything else (a bytearray would make a
    tuple of its bytes, 8 bytes each) is refused."""
    if type(sizes) is not tuple:
        raise ValueError(f"torch.Size is built from a {type(sizes).__name__}, not a tuple")
    return Size(sizes)


def _encode(text: Any, encoding: str = "utf-8") -> bytes:
    """`_codecs.encode(str, encoding)`, as protocol 2 pickles bytes; only of a str (str() of
    another object, a bytearray's repr, could be 4 times its size)."""
    if type(text) is not str:
        raise ValueError(f"_codecs.encode is given a {type(text).__name__}, not a str")
    return text.encode(encoding)


def _empty_bytes(*args: Any) -> bytes:
    """`bytes()`, as protocol 2 pickles b"" (bytes(n) would allocate n: refused)."""
    if args:
        raise ValueError("bytes(...) is called with arguments")
    return b""


_empty_bytes.kind = bytes  # type: ignore[attr-defined]  (as a defaultdict's factory)


def _numpy_dtype(name: Any, align: Any = False, copy: Any = True) -> np.dtype:
    """`numpy.dtype(name, align, copy)`, as NumPy pickles a dtype: only a numeric one."""
    if type(name) is not str or len(name) > 8:
        raise ValueError("a NumPy dtype is not named by a short str")
    try:
        made = np.dtype(name, False, True)  # (a copy: its BUILD sets the byte order)
    except TypeError:
        raise ValueError(f"{name!r} is not a NumPy dtype") from None
    if made.kind not in "biufc":
        raise ValueError(f"a NumPy dtype {made} is not numeric")
    return made


def _dtype_state(made: np.dtype, state: Any) -> None:
    """A NumPy dtype's pickled state: only its byte order (no fields, subarrays, names), set
    on the copy `_numpy_dtype` made (so the pickle's memo sees it too)."""
    if not (type(state) is tuple and len(state) == 8 and state[1] in ("<", ">", "|", "=")
            and state[2:5] == (None, None, None) and state[0] in (3, 4)
            and all(type(item) is int for item in state[5:])):
        raise ValueError("a NumPy dtype's state is not a plain numeric dtype's")
    made.__setstate__(state)


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    """`numpy._core.multiarray.scalar(dtype, bytes)`: a NumPy scalar (np.float64(2.5))."""
    if not isinstance(dtype, np.dtype) or type(data) is not bytes or len(
            data) != dtype.itemsize:
        raise ValueError("a NumPy scalar is not a numeric dtype with its bytes")
    return np.frombuffer(data, dtype=dtype)[0].astype(dtype.newbyteorder("="))[()]


def _numpy_reconstruct(kind: Any, shape: Any, code: Any) -> np.ndarray:
    """`numpy._core.multiarray._reconstruct(ndarray, (0,), b'b')`: an empty array that the
    pickle's BUILD fills (`_array_state`)."""
    if kind is not _NDARRAY or shape != (0,) or code != b"b":
        raise ValueError("a NumPy array is not rebuilt as NumPy pickles it")
    return np.ndarray((0,), np.uint8)


def _array_state(array: np.ndarray, state: Any) -> None:
    """An array's pickled state (version, shape, dtype, fortran, bytes), numeric only; its
    bytes are the pickle's own, so its size is bounded by what the pickle was counted at."""
    if not (type(state) is tuple and len(state) == 5 and isinstance(state[2], np.dtype)
            and state[2].kind in "biufc" and type(state[4]) is bytes and array.size == 0):
        raise ValueError("a NumPy array's state is not a numeric array's")
    shape = _ints(state[1], "NumPy shape")
    if min(shape, default=0) < 0 or math.prod(shape) * state[2].itemsize != len(state[4]):
        raise ValueError(f"a NumPy array of shape {shape} does not match its bytes")
    if not state[2].isnative:  # ('>f2' from another machine: the same values, native order)
        swapped = np.frombuffer(state[4], state[2]).byteswap().tobytes()
        state = (*state[:2], state[2].newbyteorder("="), state[3], swapped)
    array.__setstate__(state)


def _allowed(budget: _Budget, byteorder: str = "little", dry: bool = False) -> dict:
    """Every name a pickle may call; each call's allocation is bounded by the pickle's own
    size (counted at PICKLE_COST) or counted against `max_bytes` before it is made."""
    import argparse  # noqa: PLC0415  (only when a PyTorch file is read: not at import)
    rebuild = _make_rebuild(budget, dry)
    rebuild_v3 = _make_rebuild_v3(rebuild, byteorder)
    builtins = {"set": _of_items(set), "frozenset": _of_items(frozenset), "complex": complex,
                "bytearray": _make_bytearray(budget), "bytes": _empty_bytes, "range": range,
                "xrange": range,
                "slice": slice, **{kind.__name__: _Factory(kind) for kind in _FACTORY_TYPES}}
    return {("collections", "OrderedDict"): collections.OrderedDict,
            ("collections", "Counter"): _of_items(collections.Counter),
            ("collections", "defaultdict"): _defaultdict,
            ("torch._utils", "_rebuild_tensor_v2"): rebuild,
            ("torch._utils", "_rebuild_tensor"): rebuild,
            ("torch._utils", "_rebuild_tensor_v3"): rebuild_v3,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
            ("torch._tensor", "_rebuild_from_type_v2"): _make_rebuild_from_type(
                (rebuild, rebuild_v3, _rebuild_parameter)),
            ("torch", "Tensor"): _Type("Tensor"),
            ("torch.nn.parameter", "Parameter"): _Type("Parameter"),
            ("torch.serialization", "_get_layout"): _layout,
            ("torch.storage", _UNTYPED): _UNTYPED,
            ("argparse", "Namespace"): argparse.Namespace, ("numpy", "ndarray"): _NDARRAY,
            ("numpy", "dtype"): _numpy_dtype,
            **{(module, name): made for module in ("numpy.core.multiarray",
                                                   "numpy._core.multiarray")
               for name, made in (("scalar", _numpy_scalar),
                                  ("_reconstruct", _numpy_reconstruct))},
            ("torch", "Size"): _size, ("torch", "device"): device,
            ("_codecs", "encode"): _encode,
            **{(module, name): kind for module in ("builtins", "__builtin__")  # (protocol 2)
               for name, kind in builtins.items()},
            **{("torch", name): dtype for name, dtype in _DTYPES.items()},
            **{("torch", name): name for name in _STORAGES}}


class _Unpickler(pickle._Unpickler):
    """The pure-Python unpickler (its BUILD step can be restricted), knowing only
    `_allowed`; storages come from the archive's entries, size-checked."""

    def __init__(self, stream: Any, archive: zipfile.ZipFile, prefix: str, budget: _Budget,
                 byteorder: str, mapped: str | None = None) -> None:
        super().__init__(stream)
        self.archive, self.prefix, self.budget, self.byteorder = archive, prefix, budget, byteorder
        self.mapped = mapped  # the file's path when its storages are mapped (mmap=True)
        self.allowed, self.storages = _allowed(budget, byteorder), {}
        self.dispatch = dict(self.dispatch)
        self.dispatch[pickle.BUILD[0]] = _Unpickler._build

    def _build(self) -> None:
        import argparse  # noqa: PLC0415  (only when a pickle sets state: not at import)
        target, state = self.stack[-2], self.stack[-1]  # (the object, the state to set)
        if isinstance(target, np.dtype):
            _dtype_state(target, state)
            self.stack.pop()
            return
        if type(target) is np.ndarray:
            _array_state(target, state)
            self.stack.pop()
            return
        if type(target) is argparse.Namespace and not (isinstance(state, dict) and all(
                type(key) is str and not key.startswith("__") for key in state)):
            raise ValueError("an argparse.Namespace's state is not a dict of names")
        if type(target) not in (collections.OrderedDict, argparse.Namespace):
            raise ValueError(f"the pickle sets the state of a {type(target).__name__}, "
                             "which a weights file does not")
        pickle._Unpickler.load_build(self)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:
            if module.startswith("__torch__"):
                raise ValueError("it is a TorchScript archive (torch.jit.save), which is not "
                                 "read; save the model's state_dict() with torch.save instead")
            if module == "torch" and name in _REFUSED_STORAGES:
                raise ValueError(f"it holds a {_REFUSED_STORAGES[name]} tensor (torch.{name}); "
                                 "tinygrad_np's tensors are bool, integer or float")
            if module == "torch" and _OTHER_DTYPE.fullmatch(name):
                raise ValueError(f"it holds torch.{name[:40]}, a dtype tinygrad_np does not "
                                 "have (NumPy has none)")
            if module.startswith(("torch.nn.modules.", "torch.optim.")):
                raise ValueError(f"it holds a whole {module[:60]}.{name[:60]} (a file of "
                                 "torch.save(model)), which is not read: building it would run "
                                 "code; torch.save(model.state_dict()) and load that")
            if module.split(".")[0] in ("torch", "collections", "builtins", "__builtin__"):
                raise ValueError(f"it needs {module[:60]}.{name[:60]}, which is not read "
                                 "(unpickling arbitrary names would run code from the file)")
            raise ValueError(f"it holds an object of class {module[:60]}.{name[:60]}, which is "
                             "not read: building it would run code (as torch.load(weights_only="
                             "False) does for a whole model saved by torch.save(model)); save "
                             "model.state_dict() with torch.save instead")
        return self.allowed[module, name]

    def persistent_load(self, pid: Any) -> _Storage:
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], str) and pid[1] in _STORAGES and type(pid[2]) is str
                and len(pid[2]) <= 40 and type(pid[4]) is int):
            raise ValueError("a storage reference is malformed")
        _, kind, key, _, count = pid
        if key not in self.storages:
            self.storages[key] = _Storage(self._storage(key, _STORAGES[kind], count),
                                          untyped=kind == _UNTYPED)
        self.storages[key].bare += 1
        return self.storages[key]

    def load(self) -> Any:
        result = super().load()
        if any(storage.bare > 0 for storage in self.storages.values()):
            return _storages_as_tensors(result, set())
        return result

    def _storage(self, key: str, dtype: Any, count: int) -> np.ndarray:
        wide = dtype is _BFLOAT16
        stored = np.dtype(np.uint16 if wide else dtype).newbyteorder(
            "<" if self.byteorder == "little" else ">")
        try:
            info = self.archive.getinfo(f"{self.prefix}data/{key}")
        except KeyError:
            raise ValueError(f"storage {key} is missing") from None
        if count < 0 or info.file_size != count * stored.itemsize:
            raise ValueError(f"storage {key} holds {info.file_size} bytes, not the {count} x "
                             f"{stored.itemsize} its tensors need")
        self.budget.take(info.file_size * (2 if wide else 1), f"storage {key}")
        start = member_offset(self.archive, info) if self.mapped and count else None
        if start is not None and not wide and stored.isnative:
            return map_array(self.mapped, start, stored, (count,))
        raw = np.frombuffer(self.archive.read(info), dtype=stored)
        if wide:  # bfloat16 is the top half of a float32
            return (raw.astype(np.uint32) << 16).view(np.float32)
        return raw.astype(stored.newbyteorder("="))


# The first three pickles of a legacy file: torch's magic number and protocol, then sys_info.
_LEGACY_MAGIC, _LEGACY_PROTOCOL = 0x1950A86A20F9469CFC6C, 1001


class _LegacyUnpickler(_Unpickler):
    """A legacy file's pickles (`torch.save(_use_new_zipfile_serialization=False)`): the
    object pickle is read twice, first (`arrays` None) only to learn each storage's type and
    size, which say how to read the raw storages that follow it; then with them."""

    def __init__(self, stream: Any, budget: _Budget, byteorder: str,
                 arrays: dict[str, bytes] | None) -> None:
        super().__init__(stream, None, "", budget, byteorder)  # type: ignore[arg-type]
        self.arrays, self.kinds = arrays, {}
        if arrays is None:
            self.allowed = _allowed(budget, byteorder, dry=True)

    def persistent_load(self, pid: Any) -> _Storage:
        if type(pid) is tuple and len(pid) == 6 and pid[5] is None:  # (no view metadata)
            pid = pid[:5]
        return super().persistent_load(pid)

    def _storage(self, key: str, dtype: Any, count: int) -> np.ndarray:
        wide = dtype is _BFLOAT16
        stored = np.dtype(np.uint16 if wide else dtype).newbyteorder(
            "<" if self.byteorder == "little" else ">")
        if self.kinds.setdefault(key, (stored, count)) != (stored, count) or count < 0:
            raise ValueError(f"storage {key} is referred to as two different storages")
        if self.arrays is None:
            return np.zeros(0, np.float32 if wide else stored.newbyteorder("="))
        if key not in self.arrays:
            raise ValueError(f"storage {key} is missing")
        raw = np.frombuffer(self.arrays[key], dtype=stored)
        return (raw.astype(np.uint32) << 16).view(np.float32) if wide else raw.astype(
            stored.newbyteorder("="))


def _counted_load(stream: Any, budget: _Budget, make: Any) -> Any:
    """Unpickle one pickle of `stream` (by `make(stream)`), its cost counted first."""
    _pickle_cost(stream, budget, "a pickle")
    return make(stream).load()


def read_legacy(stream: Any, path: str, max_bytes: int) -> Any:
    """The object a legacy PyTorch file holds (a sequence of pickles, then each storage as
    its element count and raw bytes), read as `read` reads a zip checkpoint."""
    try:
        return _read_legacy(stream, _Budget(max_bytes))
    except ValueError as error:
        raise ValueError(f"load: {path} is a legacy PyTorch file that cannot be read: "
                         f"{str(error)[:300]}") from None
    except Exception as error:  # a damaged file: pickle, EOF, recursion, memory, ...
        raise ValueError(f"load: {path} is a damaged legacy PyTorch file "
                         f"({type(error).__name__}: {str(error)[:200]})") from None


def _read_legacy(stream: Any, budget: _Budget) -> Any:
    here = stream.tell()
    size = stream.seek(0, 2) - here  # (a string in a pickle may be read whole: counted)
    stream.seek(here)
    budget.take(size, f"the file ({size:,} bytes)")
    header = [_counted_load(stream, budget, lambda s: _LegacyUnpickler(s, budget, "little", {}))
              for _ in range(3)]
    if header[0] != _LEGACY_MAGIC or header[1] != _LEGACY_PROTOCOL or type(header[2]) is not dict:
        raise ValueError("its header is not torch.save's (magic number, protocol, sys_info)")
    byteorder = "little" if header[2].get("little_endian", True) else "big"
    start = stream.tell()
    first = _LegacyUnpickler(stream, budget, byteorder, None)
    _counted_load(stream, budget, lambda s: first)
    keys = _counted_load(stream, budget, lambda s: _LegacyUnpickler(s, budget, "little", {}))
    if type(keys) is not list or sorted(map(str, keys)) != sorted(first.kinds):
        raise ValueError("its list of storages disagrees with the storages its tensors use")
    arrays: dict[str, bytes] = {}
    for key in keys:
        stored, count = first.kinds[key]
        stated = int.from_bytes(stream.read(8), byteorder, signed=True)
        if stated != count:
            raise ValueError(f"storage {key} holds {stated} values, not the {count} its "
                             "tensors need")
        budget.take(count * stored.itemsize * 2, f"storage {key}")  # (converted: 2 copies)
        arrays[key] = stream.read(count * stored.itemsize)
        if len(arrays[key]) != count * stored.itemsize:
            raise ValueError(f"the file ends inside storage {key}")
    end = stream.tell()
    stream.seek(start)
    result = _counted_load(stream, budget, lambda s: _LegacyUnpickler(s, budget, byteorder,
                                                                       arrays))
    stream.seek(end)
    return result


def member_offset(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int | None:
    """Where a member's bytes start in the archive's file, or None when they are compressed
    (or the local header disagrees with the directory): those cannot be mapped."""
    if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
        return None
    handle = archive.fp
    handle.seek(info.header_offset)
    local = handle.read(zipfile.sizeFileHeader)
    if len(local) != zipfile.sizeFileHeader or local[:4] != zipfile.stringFileHeader:
        return None
    fields = struct.unpack(zipfile.structFileHeader, local)
    return (info.header_offset + zipfile.sizeFileHeader + fields[zipfile._FH_FILENAME_LENGTH]
            + fields[zipfile._FH_EXTRA_FIELD_LENGTH])


def map_array(filename: str, offset: int, dtype: np.dtype, shape: tuple[int, ...],
              fortran: bool = False) -> np.ndarray:
    """A private (copy-on-write) mapping of `shape` values stored at `offset`: writes change
    the array, never the file. Past the file's end is a ValueError from mmap."""
    mapped = np.memmap(filename, dtype=dtype, mode="c", offset=offset, shape=shape,
                       order="F" if fortran else "C")
    return mapped.view(np.ndarray)  # a plain array (keeping the map alive through .base)


def is_torch_checkpoint(archive: zipfile.ZipFile) -> bool:
    return any(name == "data.pkl" or name.endswith("/data.pkl") for name in archive.namelist())


def read(archive: zipfile.ZipFile, path: str, max_bytes: int, mapped: str | None = None) -> Any:
    """The object a PyTorch checkpoint holds, with Tensors (and Parameters) of this library;
    `mapped`: the file's path, to map its storages rather than read them."""
    try:
        return _read(archive, max_bytes, mapped)
    except ValueError as error:
        raise ValueError(f"load: {path} is a PyTorch checkpoint that cannot be read: "
                         f"{str(error)[:300]}") from None
    except Exception as error:  # a damaged file: zip, zlib, pickle, recursion, memory, ...
        raise ValueError(f"load: {path} is a damaged PyTorch checkpoint "
                         f"({type(error).__name__}: {str(error)[:200]})") from None


def _pickle_cost(stream: Any, budget: _Budget, what: str, size: int | None = None) -> None:
    """Count against `budget` what unpickling the pickle `stream` may allocate, read without
    building anything: PICKLE_COST bytes per opcode, 4 per byte of a string or bytes argument
    (a str of 1-byte UTF-8 characters and one 4-byte one takes 4 bytes per character), 2 per
    byte of a long int. That is at most PICKLE_COST per byte: a pickle of known `size` whose
    bytes at that rate fit in 1/16 of what is left is counted so, unread; another is read
    until its cost passes the limit (a hostile pickle of millions of opcodes is refused
    early, not after reading it all)."""
    if size is not None and size * PICKLE_COST * 16 <= budget.left:
        return budget.take(size * PICKLE_COST, what)
    start = stream.tell()
    operations = cost = 0
    for _, argument, _ in pickletools.genops(stream):
        operations += 1
        cost += PICKLE_COST + (4 * len(argument) if isinstance(argument, str | bytes) else
                               argument.bit_length() // 4 if isinstance(argument, int) else 0)
        if cost > budget.left:
            break
    stream.seek(start)
    budget.take(cost, f"{what}: {operations:,} opcodes or more, counted {PICKLE_COST} bytes "
                "each and 4 per byte of their strings for the objects unpickling makes,")


def _read(archive: zipfile.ZipFile, max_bytes: int, mapped: str | None) -> Any:
    pickles = [info for info in archive.infolist()
               if info.filename == "data.pkl" or info.filename.endswith("/data.pkl")]
    if len(pickles) != 1:
        raise ValueError(f"a checkpoint holds one data.pkl, this {len(pickles)}")
    prefix = pickles[0].filename[: -len("data.pkl")]
    names = [info.filename for info in archive.infolist()]
    if len(names) != len(set(names)):
        raise ValueError("the archive holds two entries of the same name")
    budget = _Budget(max_bytes)
    size = pickles[0].file_size
    budget.take(size, f"data.pkl ({size:,} bytes)")
    stream = io.BytesIO(archive.read(pickles[0]))  # (read once: a zip member's stream is slow)
    _pickle_cost(stream, budget, f"data.pkl ({size:,} bytes)", size)
    byteorder = archive.read(prefix + "byteorder") if prefix + "byteorder" in names else b"little"
    if byteorder not in (b"little", b"big"):
        raise ValueError(f"unknown byte order {byteorder[:20]!r}")
    return _Unpickler(stream, archive, prefix, budget, byteorder.decode(), mapped).load()
