"""Reading PyTorch's own checkpoint files (`torch.save`'s zip: a pickle `data.pkl` beside one
raw entry per storage), as PyTorch's `torch.load(weights_only=True)` reads them: the pickle is
run by an unpickler that knows only the few names a weights file uses (ordered dicts, tensor
and parameter rebuilding, storage types), so a file cannot run code. Every storage's size is
checked against the archive and the byte limit before it is read, and every tensor's view
against its storage before it is made; anything else is a ValueError naming the file.
"""

from __future__ import annotations

import collections
import pickle
import zipfile
from typing import Any

import numpy as np

from tinygrad_np.tensor import Tensor

_BFLOAT16 = object()  # NumPy has no bfloat16: such storages are widened to float32
_STORAGES = {"DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
             "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
             "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
             "BFloat16Storage": _BFLOAT16}


def is_torch_checkpoint(archive: zipfile.ZipFile) -> bool:
    return any(name == "data.pkl" or name.endswith("/data.pkl") for name in archive.namelist())


def _rebuild_tensor(storage: np.ndarray, offset: int, size: tuple, stride: tuple, *_: Any
                    ) -> Tensor:
    """A tensor of `size` viewing `storage` from `offset` with `stride` (in elements), copied."""
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise ValueError(f"a tensor of size {size} and stride {stride} is malformed")
    last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else -1
    if last >= len(storage):
        raise ValueError(f"a tensor of size {size} reaches element {last} of a storage of "
                         f"{len(storage)}")
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:] if all(size) else storage, size,
                                           tuple(s * itemsize for s in stride), writeable=False)
    return Tensor(np.array(view))


def _rebuild_parameter(data: Tensor, requires_grad: bool, *_: Any) -> Any:
    from tinygrad_np.nn.parameter import Parameter  # noqa: PLC0415 (nn sits above this)
    return Parameter(data, requires_grad=bool(requires_grad))


_ALLOWED = {("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
            **{("torch", name): name for name in _STORAGES}}


class _Unpickler(pickle.Unpickler):
    """Knows only `_ALLOWED`; storages come from the archive's entries, size-checked."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str, path: str, budget: list,
                 byteorder: str) -> None:
        super().__init__(archive.open(prefix + "data.pkl"))
        self.archive, self.prefix, self.path, self.budget = archive, prefix, path, budget
        self.byteorder, self.storages = byteorder, {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise ValueError(f"load: {self.path} is a PyTorch checkpoint that needs "
                             f"{module}.{name}, which a weights file does not: it is not read "
                             "(unpickling arbitrary names would run code from the file)")
        return _ALLOWED[module, name]

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and pid[1] in _STORAGES and isinstance(pid[4], int)):
            raise ValueError(f"load: {self.path}: a storage reference {pid!r} is malformed")
        _, kind, key, _, count = pid
        if key not in self.storages:
            self.storages[key] = self._storage(str(key), _STORAGES[kind], count)
        return self.storages[key]

    def _storage(self, key: str, dtype: Any, count: int) -> np.ndarray:
        wide = dtype is _BFLOAT16
        stored = np.dtype(np.uint16 if wide else dtype).newbyteorder(
            "<" if self.byteorder == "little" else ">")
        try:
            info = self.archive.getinfo(f"{self.prefix}data/{key}")
        except KeyError:
            raise ValueError(f"load: {self.path}: storage {key} is missing") from None
        if count < 0 or info.file_size != count * stored.itemsize:
            raise ValueError(f"load: {self.path}: storage {key} holds {info.file_size} bytes, "
                             f"not the {count} x {stored.itemsize} its tensors need")
        self.budget[0] -= info.file_size * (2 if wide else 1)
        if self.budget[0] < 0:
            raise ValueError(f"load: {self.path}: the storages are over the limit of max_bytes; "
                             "if you trust this file, pass load(path, max_bytes=...) a larger "
                             "limit")
        raw = np.frombuffer(self.archive.read(info), dtype=stored)
        if wide:  # bfloat16 is the top half of a float32
            return (raw.astype(np.uint32) << 16).view(np.float32)
        return raw.astype(stored.newbyteorder("="))


def read(archive: zipfile.ZipFile, path: str, max_bytes: int) -> Any:
    """The object a PyTorch checkpoint holds, with Tensors (and Parameters) of this library."""
    pickles = [name for name in archive.namelist()
               if name == "data.pkl" or name.endswith("/data.pkl")]
    if len(pickles) != 1:
        raise ValueError(f"load: {path}: a PyTorch checkpoint holds one data.pkl, this "
                         f"{len(pickles)}")
    prefix = pickles[0][: -len("data.pkl")]
    try:
        byteorder = archive.read(prefix + "byteorder").decode().strip()
    except KeyError:
        byteorder = "little"
    if byteorder not in ("little", "big"):
        raise ValueError(f"load: {path}: unknown byte order {byteorder!r}")
    try:
        return _Unpickler(archive, prefix, path, [max_bytes], byteorder).load()
    except ValueError as error:
        raise ValueError(str(error) if str(error).startswith("load: ") else
                         f"load: {path}: {error}") from None
    except (pickle.UnpicklingError, EOFError, TypeError, IndexError, KeyError,
            AttributeError) as error:
        raise ValueError(f"load: {path} is a damaged PyTorch checkpoint ({type(error).__name__}: "
                         f"{error})") from None
