"""Small, dependency-free loaders for the datasets used by the tests and examples.

Three public functions:

* :func:`load_mnist` -- the MNIST handwritten digits, read from the four standard
  gzip-compressed IDX files (downloaded once into a user cache folder if they are
  nowhere on disk).
* :func:`load_diabetes` -- the Pima Indians Diabetes table, shipped inside the package
  as a CSV file.
* :func:`batches` -- iterate over ``(x, y)`` in (optionally shuffled) minibatches.

Only NumPy and the standard library are used. Locating and downloading files is kept
apart from parsing them: the ``_idx_*`` functions only parse, ``_locate_mnist``
and ``_download_mnist`` only find or fetch files.
"""

import contextlib
import csv
import gzip
import hashlib
import math
import os
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_np.tensor import Tensor

__all__ = ["load_mnist", "load_diabetes", "batches"]

# --------------------------------------------------------------------------- MNIST

#: The four standard MNIST files and the SHA-256 of each (gzip-compressed) file.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
    ),
}

#: Public mirrors of the MNIST files, tried in this order.
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

#: Environment variable naming a folder that holds the four MNIST files.
MNIST_ENV_VAR = "TINYGRAD_NP_MNIST"

# The ``data/mnist`` folder of a source checkout (absent in an installed package).
_CHECKOUT_MNIST_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"

_IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
_MNIST_SIDE = 28


def _mnist_cache_dir() -> Path:
    """Return the per-user cache folder used for downloaded MNIST files.

    ``$XDG_CACHE_HOME/tinygrad_np/mnist`` if ``XDG_CACHE_HOME`` is set, else
    ``~/.cache/tinygrad_np/mnist``. The folder is not created here.
    """
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "tinygrad_np" / "mnist"


def _missing_mnist_files(folder: Path) -> list[str]:
    """Return the names of the four MNIST files that are not regular files in ``folder``."""
    return [name for name in MNIST_FILES if not (folder / name).is_file()]


def _put_files_here_message(folder: Path, reason: str) -> str:
    """Build the error text telling the user which files to put in which folder."""
    names = "\n".join(f"    {name}" for name in MNIST_FILES)
    return (
        f"{reason}\n"
        f"Put these four files (the standard gzip-compressed MNIST IDX files):\n"
        f"{names}\n"
        f"into the folder\n"
        f"    {folder}\n"
        f"or into any folder and set the environment variable {MNIST_ENV_VAR} to it, "
        f"or pass load_mnist(path=...)."
    )


def _locate_mnist(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder holding the four MNIST ``.gz`` files, downloading them if needed.

    Lookup order: the explicit ``path``; else the folder named by ``$TINYGRAD_NP_MNIST``;
    else the checkout's ``data/mnist/``; else the user cache folder (see
    :func:`_mnist_cache_dir`). An explicit ``path`` or environment variable is taken at
    its word: if files are missing there, :class:`FileNotFoundError` is raised rather
    than looking elsewhere. Only when the files are nowhere are they downloaded, into
    the cache folder.
    """
    explicit: tuple[str, Path] | None = None
    if path is not None:
        explicit = ("path argument", Path(path).expanduser())
    elif os.environ.get(MNIST_ENV_VAR):
        explicit = (f"${MNIST_ENV_VAR}", Path(os.environ[MNIST_ENV_VAR]).expanduser())
    if explicit is not None:
        source, folder = explicit
        missing = _missing_mnist_files(folder)
        if missing:
            raise FileNotFoundError(
                _put_files_here_message(
                    folder,
                    f"MNIST folder {folder} (from the {source}) lacks: {', '.join(missing)}.",
                )
            )
        return folder

    if not _missing_mnist_files(_CHECKOUT_MNIST_DIR):
        return _CHECKOUT_MNIST_DIR
    cache = _mnist_cache_dir()
    if _missing_mnist_files(cache):
        _download_mnist(cache)
    return cache


def _open_url(url: str) -> Any:
    """Open ``url`` for reading (a seam that tests replace to stay offline)."""
    return urllib.request.urlopen(url, timeout=30)


class _TextProgress:
    """A minimal progress bar written to stderr, used when tqdm is not installed."""

    def __init__(self, total: int | None, desc: str) -> None:
        self.total, self.desc, self.n, self._last = total, desc, 0, -1

    def update(self, n: int) -> None:
        self.n += n
        if self.total:
            pct = min(100, 100 * self.n // self.total)
            if pct != self._last:  # redraw at most 101 times
                self._last = pct
                bar = "#" * (pct // 4)
                sys.stderr.write(
                    f"\r{self.desc}: [{bar:<25}] {pct:3d}% "
                    f"({self.n / 1e6:.1f}/{self.total / 1e6:.1f} MB)"
                )
                sys.stderr.flush()
        else:
            sys.stderr.write(f"\r{self.desc}: {self.n / 1e6:.1f} MB")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def _progress_bar(total: int | None, desc: str) -> Any:
    """Return a tqdm progress bar if tqdm is importable, else a plain-text one."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _TextProgress(total, desc)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)


def _download_file(url: str, dest: Path, sha256: str) -> None:
    """Download ``url`` to ``dest`` atomically, checking its SHA-256.

    The bytes go to a temporary file in ``dest``'s folder which is moved into place with
    :func:`os.replace` only once complete and verified, so ``dest`` is never left
    half-written. Raises :class:`OSError` on network failure and :class:`ValueError` on
    a checksum mismatch.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _open_url(url) as response:
            length = response.headers.get("Content-Length")
            bar = _progress_bar(int(length) if length else None, dest.name)
            try:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
        if digest.hexdigest() != sha256:
            raise ValueError(
                f"{url}: SHA-256 mismatch (got {digest.hexdigest()}, expected {sha256})"
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _download_mnist(folder: Path, mirrors: tuple[str, ...] = MNIST_MIRRORS) -> None:
    """Download whichever of the four MNIST files are missing from ``folder``.

    Each file is tried from each mirror in turn. If a file cannot be obtained from any
    mirror, raise :class:`FileNotFoundError` saying which files to put where.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileNotFoundError(
            _put_files_here_message(
                folder, f"MNIST files not found, and the cache folder cannot be created: {exc}"
            )
        ) from exc
    for name in _missing_mnist_files(folder):
        errors: list[str] = []
        for mirror in mirrors:
            url = mirror + name
            try:
                _download_file(url, folder / name, MNIST_FILES[name])
                break
            except (OSError, ValueError) as exc:  # URLError and timeouts are OSErrors
                errors.append(f"{url}: {exc}")
        else:
            tried = "\n".join(f"    {err}" for err in errors)
            raise FileNotFoundError(
                _put_files_here_message(
                    folder,
                    f"MNIST files not found locally and the download of {name} failed "
                    f"(no network?):\n{tried}",
                )
            )


# Deflate cannot expand data by more than 1032 times (258 bytes from one 2-bit code), so a
# header promising more than this many bytes per byte of gzip file is lying.
_MAX_GZIP_EXPANSION = 1100
_IDX_TYPE_NAMES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int",
                   0x0D: "float", 0x0E: "double"}
_CHUNK = 1 << 22


@contextlib.contextmanager
def _gzip_errors(path: Path) -> Iterator[None]:
    """Turn the errors of a broken gzip stream into a ValueError naming the file."""
    try:
        yield
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid, complete gzip file ({exc})") from exc


def _read_upto(stream: Any, size: int) -> bytes:
    """Up to ``size`` bytes (fewer only at the end of the stream)."""
    data = b""
    while len(data) < size and (chunk := stream.read(size - len(data))):
        data += chunk
    return data


def _magic_problem(head: bytes, ndim: int) -> str:
    """Why the first four bytes of an IDX file are not the expected magic number."""
    if head[0] or head[1]:
        return "an IDX file starts with two zero bytes, so this is not one"
    if head[2] != 0x08:
        kind = _IDX_TYPE_NAMES.get(head[2], "not a known IDX type")
        return f"its data type code is 0x{head[2]:02x} ({kind}), expected 0x08 (unsigned byte)"
    return f"it has {head[3]} dimensions, expected {ndim}"


def _idx_header(path: Path, stream: Any, magic: int, ndim: int) -> tuple[int, ...]:
    """Read and check the IDX header from the start of ``stream``; return the dimensions.

    Only the first ``4 * (1 + ndim)`` bytes are decompressed, and a header promising more
    data than the gzip file could possibly hold is refused: nothing big is allocated for a
    damaged or hostile file.
    """
    header_len = 4 * (1 + ndim)
    raw = _read_upto(stream, header_len)
    if len(raw) >= 4:  # check the magic number first: it best identifies a wrong file
        found = int.from_bytes(raw[:4], "big")
        if found != magic:
            raise ValueError(
                f"{path}: wrong IDX magic number {found} (expected {magic}): "
                f"{_magic_problem(raw, ndim)}; is this the right MNIST file?"
            )
    if len(raw) < header_len:
        raise ValueError(
            f"{path}: truncated IDX header ({len(raw)} bytes, expected at least {header_len})"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:])
    promised = math.prod(dims)
    limit = os.path.getsize(path) * _MAX_GZIP_EXPANSION + 1024
    if promised > limit:
        raise ValueError(
            f"{path}: the IDX header promises {' x '.join(map(str, dims))} = {promised:,} "
            f"bytes, more than a gzip file of {os.path.getsize(path):,} bytes can hold; "
            "the file is damaged"
        )
    return dims


def _idx_payload(path: Path, stream: Any, expected: int) -> np.ndarray:
    """Read exactly ``expected`` bytes after the header, refusing short or long data."""
    data = np.empty(expected, dtype=np.uint8)
    view = memoryview(data)
    filled = 0
    while filled < expected:
        got = stream.readinto(view[filled : filled + _CHUNK])
        if not got:
            raise ValueError(
                f"{path}: truncated IDX data: the header promises {expected} bytes "
                f"but only {filled} follow"
            )
        filled += got
    extra = 0
    while extra <= _CHUNK and (chunk := stream.read(1 << 16)):  # counted, not kept
        extra += len(chunk)
    if extra:
        amount = f"more than {_CHUNK}" if extra > _CHUNK else str(extra)
        raise ValueError(
            f"{path}: {amount} unexpected bytes after the {expected} bytes of IDX data"
        )
    return data


def _read_mnist_split(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one split (``'train'`` or ``'t10k'``): both headers are checked, and the image
    and label counts compared, before either file's data is decompressed."""
    images_path = folder / f"{prefix}-images-idx3-ubyte.gz"
    labels_path = folder / f"{prefix}-labels-idx1-ubyte.gz"
    with gzip.open(images_path, "rb") as images_file, gzip.open(labels_path, "rb") as labels_file:
        with _gzip_errors(images_path):
            count, rows, cols = _idx_header(images_path, images_file, _IDX_IMAGES_MAGIC, 3)
        if (rows, cols) != (_MNIST_SIDE, _MNIST_SIDE):
            raise ValueError(
                f"{images_path}: images are {rows}x{cols}, expected {_MNIST_SIDE}x{_MNIST_SIDE}"
            )
        with _gzip_errors(labels_path):
            (label_count,) = _idx_header(labels_path, labels_file, _IDX_LABELS_MAGIC, 1)
        if count != label_count:
            raise ValueError(
                f"{images_path} holds {count} images but {labels_path} holds "
                f"{label_count} labels"
            )
        with _gzip_errors(images_path):
            images = _idx_payload(images_path, images_file, count * rows * cols)
        with _gzip_errors(labels_path):
            labels = _idx_payload(labels_path, labels_file, count)
    if count and labels.max() > 9:
        raise ValueError(f"{labels_path}: label {int(labels.max())} out of range 0-9")
    return images.reshape(count, rows, cols), labels.astype(np.int64)


def load_mnist(
    path: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST as ``(x_train, y_train, x_test, y_test)``.

    Images are uint8 arrays of shape ``(N, 28, 28)`` (0 = background, 255 = ink);
    labels are int64 arrays of shape ``(N,)`` with digits 0-9 (60000 training and
    10000 test samples for the real data).

    The folder holding the four files ``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz`` is looked up in this order:

    1. the ``path`` argument;
    2. the environment variable ``TINYGRAD_NP_MNIST``;
    3. ``data/mnist/`` of a source checkout;
    4. the user cache ``$XDG_CACHE_HOME/tinygrad_np/mnist`` (or
       ``~/.cache/tinygrad_np/mnist``).

    If the files are in none of these, they are downloaded into the cache folder from
    public mirrors and their SHA-256 checked. Without network access a
    :class:`FileNotFoundError` says which files to put where.

    Raises:
        FileNotFoundError: the files are missing and cannot be downloaded.
        ValueError: a file is not gzip, is truncated, or is not an MNIST IDX file of the
            right kind; the message names the file. Both headers of a split (magic number,
            data type, dimensions, 28x28 images, equal counts, a size the compressed file
            can hold) are checked before any data is decompressed.
    """
    folder = _locate_mnist(path)
    x_train, y_train = _read_mnist_split(folder, "train")
    x_test, y_test = _read_mnist_split(folder, "t10k")
    return x_train, y_train, x_test, y_test


# ------------------------------------------------------------------------ diabetes

_DIABETES_CSV = Path(__file__).parent / "data" / "diabetes.csv"
_DIABETES_FEATURES = (
    "pregnancies",
    "glucose",
    "blood_pressure",
    "skin_thickness",
    "insulin",
    "bmi",
    "diabetes_pedigree",
    "age",
)
_DIABETES_HEADER = (*_DIABETES_FEATURES, "outcome")


def _parse_diabetes_rows(path: Path, reader: Any) -> list[list[float]]:
    """Check the header and convert the data rows of a ``csv.reader`` to floats."""
    header = next(reader, None)
    if header is None:
        raise ValueError(f"{path}: empty file, expected a header line")
    if tuple(h.strip() for h in header) != _DIABETES_HEADER:
        raise ValueError(
            f"{path}: wrong header {','.join(header)!r}, expected {','.join(_DIABETES_HEADER)!r}"
        )
    values: list[list[float]] = []
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(_DIABETES_HEADER):
            raise ValueError(
                f"{path}, line {line}: {len(row)} columns, expected {len(_DIABETES_HEADER)}"
            )
        try:
            numbers = [float(cell) for cell in row]
        except ValueError:
            raise ValueError(f"{path}, line {line}: non-numeric value in {row!r}") from None
        if not all(np.isfinite(numbers)):
            raise ValueError(f"{path}, line {line}: non-finite value in {row!r}")
        if numbers[-1] not in (0.0, 1.0):
            raise ValueError(f"{path}, line {line}: outcome {row[-1]!r} is not 0 or 1")
        values.append(numbers)
    if not values:
        raise ValueError(f"{path}: no data rows")
    return values


def load_diabetes(
    path: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Load the Pima Indians Diabetes data as ``(X, y, feature_names)``.

    ``X`` is a float64 array of shape ``(768, 8)``, ``y`` the int64 ``outcome`` column
    (1 = diabetes; 500 zeros and 268 ones) and ``feature_names`` the 8 snake_case column
    names in file order: pregnancies, glucose, blood_pressure, skin_thickness, insulin,
    bmi, diabetes_pedigree, age. Zeros stand for missing values in several columns, as
    in the original data.

    Args:
        path: CSV file to read; defaults to the copy shipped inside the package. It must
            have the header ``pregnancies,...,age,outcome`` and 9 numeric columns.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: wrong header, wrong column count, or a non-numeric value; the
            message names the file (and line).
    """
    csv_path = _DIABETES_CSV if path is None else Path(path)
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as f:
            values = _parse_diabetes_rows(csv_path, csv.reader(f))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{csv_path}: not a UTF-8 text file ({exc})") from exc
    table = np.array(values, dtype=np.float64)
    return table[:, :-1].copy(), table[:, -1].astype(np.int64), list(_DIABETES_FEATURES)


# ------------------------------------------------------------------------- batches


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x_batch, y_batch)`` minibatches covering every sample exactly once.

    Samples are taken along the first axis. All batches have ``batch_size`` samples
    except possibly the last, which holds the remainder. With ``shuffle`` the order is a
    random permutation from ``np.random.default_rng(seed)``, so a fixed integer ``seed``
    gives the same batches on every call (pass a ``Generator`` to get a fresh order each
    epoch). Without ``shuffle`` the batches are views in the original order. Tensors give
    Tensor batches (in the graph, as indexing them is), arrays and lists array batches.

    The arguments are checked when ``batches`` is called, not at the first batch.

    Raises:
        TypeError: ``batch_size`` is not an integer.
        ValueError: ``batch_size`` is not positive, or ``x`` and ``y`` have different
            first dimensions (or are 0-dimensional).
    """
    x, y = (v if isinstance(v, Tensor) else np.asarray(v) for v in (x, y))  # Tensors stay
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("x and y must have at least one dimension (the sample axis)")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same first dimension, got {len(x)} and {len(y)}")
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else None
    return _iterate_batches(x, y, int(batch_size), order)


def _iterate_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, order: np.ndarray | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Generator behind :func:`batches` (arguments already checked)."""
    for start in range(0, len(x), batch_size):
        if order is None:
            yield x[start : start + batch_size], y[start : start + batch_size]
        else:
            idx = order[start : start + batch_size]
            yield x[idx], y[idx]
