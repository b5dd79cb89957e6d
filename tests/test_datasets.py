"""Tests for tinygrad_np.datasets: real MNIST and Pima data, bad files, lookup, batches.

No test touches the network: an autouse fixture replaces the URL opener with one that
refuses, and the download tests serve bytes from memory.
"""

import gzip
import hashlib
import io
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from tinygrad_np import datasets
from tinygrad_np.datasets import batches, load_diabetes, load_mnist

MNIST_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Make every download attempt fail as if offline."""

    def refuse(url):
        raise urllib.error.URLError(f"network disabled in tests ({url})")

    monkeypatch.setattr(datasets, "_open_url", refuse)


@pytest.fixture(scope="module")
def mnist():
    """The real MNIST arrays from the checkout's data/mnist (loaded once)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TINYGRAD_NP_MNIST", raising=False)
        return load_mnist()


# ----------------------------------------------------------------- helpers


def idx_images(images: np.ndarray, magic: int = 2051) -> bytes:
    """Encode uint8 images (N, rows, cols) as an uncompressed IDX file."""
    n, rows, cols = images.shape
    return struct.pack(">IIII", magic, n, rows, cols) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray, magic: int = 2049) -> bytes:
    """Encode uint8 labels (N,) as an uncompressed IDX file."""
    return struct.pack(">II", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_small_mnist(folder: Path, n_train: int = 5, n_test: int = 3) -> tuple:
    """Write four tiny but valid MNIST files into ``folder``; return the arrays."""
    rng = np.random.default_rng(0)
    arrays = (
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_train),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_test),
    )
    encoders = (idx_images, idx_labels, idx_images, idx_labels)
    folder.mkdir(parents=True, exist_ok=True)
    for name, enc, arr in zip(MNIST_NAMES, encoders, arrays, strict=True):
        (folder / name).write_bytes(gzip.compress(enc(arr)))
    return arrays


def break_file(folder: Path, name: str, data: bytes) -> Path:
    """Overwrite one file of a small MNIST folder with ``data``; return its path."""
    path = folder / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------ real MNIST


def test_mnist_shapes_and_dtypes(mnist):
    x_train, y_train, x_test, y_test = mnist
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.int64
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.int64
    assert x_train.min() == 0 and x_train.max() == 255


def test_mnist_label_counts(mnist):
    _, y_train, _, y_test = mnist
    train = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    test = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y_train, minlength=10).tolist() == train
    assert np.bincount(y_test, minlength=10).tolist() == test


def test_mnist_pixel_means(mnist):
    x_train, _, x_test, _ = mnist
    assert round(float(x_train.mean()), 4) == 33.3184
    assert round(float(x_test.mean()), 4) == 33.7912


def test_mnist_arrays_are_writable(mnist):
    assert all(a.flags.writeable for a in mnist)


def test_checkout_mnist_files_match_published_sha256():
    for name in MNIST_NAMES:
        digest = hashlib.sha256((datasets._CHECKOUT_MNIST_DIR / name).read_bytes()).hexdigest()
        assert digest == datasets.MNIST_FILES[name], name


# ----------------------------------------------------------- lookup order


def test_explicit_path(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYGRAD_NP_MNIST", raising=False)
    x_train, y_train, x_test, y_test = write_small_mnist(tmp_path / "m")
    got = load_mnist(tmp_path / "m")
    for want, have in zip((x_train, y_train, x_test, y_test), got, strict=True):
        np.testing.assert_array_equal(have, want)
    assert got[1].dtype == np.int64 and got[0].shape == (5, 28, 28)


def test_env_var_lookup(tmp_path, monkeypatch):
    arrays = write_small_mnist(tmp_path / "env", n_train=4, n_test=2)
    monkeypatch.setenv("TINYGRAD_NP_MNIST", str(tmp_path / "env"))
    x_train, y_train, x_test, y_test = load_mnist()
    assert x_train.shape == (4, 28, 28) and x_test.shape == (2, 28, 28)
    np.testing.assert_array_equal(y_train, arrays[1])
    np.testing.assert_array_equal(x_test, arrays[2])


def test_path_argument_beats_env_var(tmp_path, monkeypatch):
    write_small_mnist(tmp_path / "env", n_train=4)
    write_small_mnist(tmp_path / "arg", n_train=6)
    monkeypatch.setenv("TINYGRAD_NP_MNIST", str(tmp_path / "env"))
    assert load_mnist(str(tmp_path / "arg"))[0].shape == (6, 28, 28)


def test_env_var_folder_missing_files(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("TINYGRAD_NP_MNIST", str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    msg = str(info.value)
    assert str(tmp_path / "empty") in msg and "TINYGRAD_NP_MNIST" in msg
    assert all(name in msg for name in MNIST_NAMES)


def test_cache_used_when_checkout_has_no_data(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYGRAD_NP_MNIST", raising=False)
    monkeypatch.setattr(datasets, "_CHECKOUT_MNIST_DIR", tmp_path / "no-checkout")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_small_mnist(tmp_path / "cache" / "tinygrad_np" / "mnist", n_train=7)
    assert load_mnist()[0].shape == (7, 28, 28)


def test_cache_dir_without_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert datasets._mnist_cache_dir() == tmp_path / ".cache" / "tinygrad_np" / "mnist"


def test_missing_everywhere_and_offline_says_where_to_put_files(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYGRAD_NP_MNIST", raising=False)
    monkeypatch.setattr(datasets, "_CHECKOUT_MNIST_DIR", tmp_path / "no-checkout")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    msg = str(info.value)
    cache = tmp_path / "cache" / "tinygrad_np" / "mnist"
    assert str(cache) in msg and "TINYGRAD_NP_MNIST" in msg
    assert all(name in msg for name in MNIST_NAMES)
    assert "network disabled in tests" in msg  # the underlying cause is reported
    assert list(cache.iterdir()) == []  # no partial files left behind


# --------------------------------------------------------------- download


class FakeResponse(io.BytesIO):
    """A stand-in for an HTTP response: bytes plus a Content-Length header."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def fake_mirrors(monkeypatch, served: dict[str, bytes]) -> list[str]:
    """Serve ``served[url]`` for known URLs, refuse others; return the list of requests."""
    requested: list[str] = []

    def open_url(url):
        requested.append(url)
        if url not in served:
            raise urllib.error.URLError(f"no route to {url}")
        return FakeResponse(served[url])

    monkeypatch.setattr(datasets, "_open_url", open_url)
    return requested


def test_download_verifies_sha256_and_falls_back_to_next_mirror(tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_small_mnist(src)
    contents = {name: (src / name).read_bytes() for name in MNIST_NAMES}
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    monkeypatch.setattr(datasets, "MNIST_FILES", hashes)
    mirrors = ("https://first.invalid/", "https://second.invalid/")
    served = {mirrors[0] + name: b"corrupted" for name in MNIST_NAMES}
    served.update({mirrors[1] + name: data for name, data in contents.items()})
    requested = fake_mirrors(monkeypatch, served)

    dest = tmp_path / "dl"
    datasets._download_mnist(dest, mirrors)
    assert sorted(p.name for p in dest.iterdir()) == sorted(MNIST_NAMES)  # no temp files
    for name in MNIST_NAMES:
        assert (dest / name).read_bytes() == contents[name]
    assert len(requested) == 8  # each file: bad first mirror, good second
    assert load_mnist(dest)[0].shape == (5, 28, 28)


def test_download_only_fetches_missing_files(tmp_path, monkeypatch):
    dest = tmp_path / "dl"
    write_small_mnist(dest)
    data = (dest / MNIST_NAMES[3]).read_bytes()
    (dest / MNIST_NAMES[3]).unlink()
    monkeypatch.setattr(
        datasets,
        "MNIST_FILES",
        {**datasets.MNIST_FILES, MNIST_NAMES[3]: hashlib.sha256(data).hexdigest()},
    )
    requested = fake_mirrors(monkeypatch, {"https://m.invalid/" + MNIST_NAMES[3]: data})
    datasets._download_mnist(dest, ("https://m.invalid/",))
    assert requested == ["https://m.invalid/" + MNIST_NAMES[3]]
    assert (dest / MNIST_NAMES[3]).read_bytes() == data


def test_download_with_only_bad_checksums_fails_cleanly(tmp_path, monkeypatch):
    fake_mirrors(monkeypatch, {"https://m.invalid/" + n: b"junk" for n in MNIST_NAMES})
    with pytest.raises(FileNotFoundError, match="SHA-256 mismatch"):
        datasets._download_mnist(tmp_path / "dl", ("https://m.invalid/",))
    assert list((tmp_path / "dl").iterdir()) == []


# -------------------------------------------------------------- bad files


@pytest.fixture
def small_mnist(tmp_path):
    folder = tmp_path / "bad"
    write_small_mnist(folder)
    return folder


def test_truncated_gzip_names_file(small_mnist):
    name = MNIST_NAMES[0]
    whole = (small_mnist / name).read_bytes()
    path = break_file(small_mnist, name, whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="gzip") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_non_gzip_file_names_file(small_mnist):
    path = break_file(small_mnist, MNIST_NAMES[1], b"this is not a gzip file\n" * 10)
    with pytest.raises(ValueError, match="gzip") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_wrong_magic_names_file(small_mnist):
    # A label file where an image file should be: magic 2049 instead of 2051.
    path = break_file(small_mnist, MNIST_NAMES[2], gzip.compress(idx_labels(np.zeros(3))))
    with pytest.raises(ValueError, match="magic number 2049") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_wrong_label_magic_names_file(small_mnist):
    labels = idx_labels(np.zeros(5), magic=2051)
    path = break_file(small_mnist, MNIST_NAMES[1], gzip.compress(labels))
    with pytest.raises(ValueError, match="magic number 2051") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_truncated_payload_names_file(small_mnist):
    data = idx_images(np.zeros((5, 28, 28)))[:-100]
    path = break_file(small_mnist, MNIST_NAMES[0], gzip.compress(data))
    with pytest.raises(ValueError, match="truncated") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_truncated_header_names_file(small_mnist):
    path = break_file(small_mnist, MNIST_NAMES[3], gzip.compress(b"\x00\x00\x08\x01\x00"))
    with pytest.raises(ValueError, match="truncated IDX header") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_trailing_bytes_rejected(small_mnist):
    data = idx_labels(np.zeros(5)) + b"extra"
    path = break_file(small_mnist, MNIST_NAMES[1], gzip.compress(data))
    with pytest.raises(ValueError, match="unexpected bytes") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_wrong_image_size_rejected(small_mnist):
    path = break_file(small_mnist, MNIST_NAMES[0], gzip.compress(idx_images(np.zeros((5, 32, 32)))))
    with pytest.raises(ValueError, match="32x32") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_label_out_of_range_rejected(small_mnist):
    path = break_file(small_mnist, MNIST_NAMES[1], gzip.compress(idx_labels(np.full(5, 12))))
    with pytest.raises(ValueError, match="out of range") as info:
        load_mnist(small_mnist)
    assert str(path) in str(info.value)


def test_image_and_label_counts_must_agree(small_mnist):
    break_file(small_mnist, MNIST_NAMES[3], gzip.compress(idx_labels(np.zeros(2))))
    with pytest.raises(ValueError, match="3 images") as info:
        load_mnist(small_mnist)
    assert MNIST_NAMES[2] in str(info.value) and MNIST_NAMES[3] in str(info.value)


# --------------------------------------------------------------- diabetes


def test_diabetes_shapes_dtypes_names():
    X, y, names = load_diabetes()
    assert X.shape == (768, 8) and X.dtype == np.float64
    assert y.shape == (768,) and y.dtype == np.int64
    assert names == [
        "pregnancies",
        "glucose",
        "blood_pressure",
        "skin_thickness",
        "insulin",
        "bmi",
        "diabetes_pedigree",
        "age",
    ]


def test_diabetes_first_last_rows_and_outcome_counts():
    X, y, _ = load_diabetes()
    np.testing.assert_array_equal(X[0], [6, 148, 72, 35, 0, 33.6, 0.627, 50])
    assert y[0] == 1
    np.testing.assert_array_equal(X[-1], [1, 93, 70, 31, 0, 30.4, 0.315, 23])
    assert y[-1] == 0
    assert np.bincount(y).tolist() == [500, 268]


def test_diabetes_standardised_first_row():
    X, _, _ = load_diabetes()
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    want = [0.6399, 0.8483, 0.1496, 0.9073, -0.6929, 0.2040, 0.4685, 1.4260]
    np.testing.assert_array_equal(np.round(Z[0], 4), want)


def test_diabetes_explicit_path(tmp_path):
    header = datasets._DIABETES_HEADER
    path = tmp_path / "d.csv"
    path.write_text(",".join(header) + "\n1,2,3,4,5,6.5,0.25,30,1\n\n2,3,4,5,6,7,0.5,40,0\n")
    X, y, _ = load_diabetes(path)
    np.testing.assert_array_equal(X, [[1, 2, 3, 4, 5, 6.5, 0.25, 30], [2, 3, 4, 5, 6, 7, 0.5, 40]])
    np.testing.assert_array_equal(y, [1, 0])


HEADER = (
    "pregnancies,glucose,blood_pressure,skin_thickness,insulin,bmi,diabetes_pedigree,age,outcome"
)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("a,b,c,d,e,f,g,h,i\n1,2,3,4,5,6,7,8,1\n", "wrong header"),
        (HEADER + "\n1,2,3,4,5,6,7,1\n", "8 columns"),
        (HEADER + "\n1,2,3,4,5,six,7,8,1\n", "non-numeric"),
        (HEADER + "\n1,2,3,4,5,6,7,8,2\n", "outcome"),
        (HEADER + "\n", "no data rows"),
    ],
)
def test_diabetes_bad_file_names_file(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        load_diabetes(path)
    assert str(path) in str(info.value)


def test_diabetes_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_diabetes(tmp_path / "nope.csv")


# ---------------------------------------------------------------- batches


def test_batches_cover_every_index_once():
    x = np.arange(103)
    y = np.arange(103) * 10
    seen = []
    sizes = []
    for xb, yb in batches(x, y, 16, seed=3):
        np.testing.assert_array_equal(yb, xb * 10)  # x and y stay paired
        seen.extend(xb.tolist())
        sizes.append(len(xb))
    assert sorted(seen) == list(range(103))
    assert seen != list(range(103))  # actually shuffled
    assert sizes == [16] * 6 + [7]


def test_batches_multidimensional_and_exact_multiple():
    x = np.arange(4 * 6 * 2).reshape(4 * 6, 2)
    y = np.arange(24)
    out = list(batches(x, y, 6, seed=0))
    assert [b[0].shape for b in out] == [(6, 2)] * 4
    assert sorted(np.concatenate([b[1] for b in out]).tolist()) == list(range(24))


def test_batches_reproducible_with_seed():
    x, y = np.arange(50), np.arange(50)
    a = [xb.tolist() for xb, _ in batches(x, y, 8, seed=42)]
    b = [xb.tolist() for xb, _ in batches(x, y, 8, seed=42)]
    c = [xb.tolist() for xb, _ in batches(x, y, 8, seed=43)]
    assert a == b
    assert a != c


def test_batches_without_shuffle_keeps_order():
    x, y = np.arange(10), np.arange(10)
    out = [xb.tolist() for xb, _ in batches(x, y, 4, shuffle=False)]
    assert out == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_batches_larger_than_data():
    out = list(batches(np.arange(3), np.arange(3), 10, seed=1))
    assert len(out) == 1 and sorted(out[0][0].tolist()) == [0, 1, 2]


def test_batches_mismatched_lengths():
    with pytest.raises(ValueError, match="same first dimension"):
        batches(np.zeros((5, 2)), np.zeros(4), 2)


@pytest.mark.parametrize("bad", [0, -3])
def test_batches_nonpositive_batch_size(bad):
    with pytest.raises(ValueError, match="positive"):
        batches(np.zeros(5), np.zeros(5), bad)


@pytest.mark.parametrize("bad", [2.0, "4", True, None])
def test_batches_non_int_batch_size(bad):
    with pytest.raises(TypeError, match="batch_size"):
        batches(np.zeros(5), np.zeros(5), bad)


def test_batches_accepts_numpy_int_batch_size():
    out = list(batches(np.arange(6), np.arange(6), np.int64(4), shuffle=False))
    assert [len(b[0]) for b in out] == [4, 2]
