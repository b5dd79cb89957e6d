"""Misuse of the file-facing code, from the outside: tg.save / tg.load, Module.load_state_dict,
datasets.load_mnist and the graph drawing. Every bad input gets a clear error naming what was
wrong (the file, the entry, the key), and nothing the user had is lost on the way.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import shutil
import stat
import struct
import sys
import tempfile
import time
import tracemalloc
import warnings
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.viz
from tinygrad_np import Tensor, torch_writer
from tinygrad_np.datasets import load_mnist
from tinygrad_np.function import Function
from tinygrad_np.serialization import FORMAT_KEY, load, save, save_npz

# ====================================================================== helpers: archives


def npy_header(shape: tuple, dtype: str = "<f8", fortran: bool = False) -> bytes:
    """The bytes of a version 1.0 .npy header, written by hand (not by the code under test)."""
    header = repr({"descr": dtype, "fortran_order": fortran, "shape": shape})
    # magic (6) + version (2) + length (2) + header + "\n", padded with spaces to 64 bytes.
    padding = 64 - (10 + len(header) + 1) % 64
    header = header + " " * padding + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1")


def format_entry() -> bytes:
    """The format marker entry, version 1."""
    return npy_header((), "<i8") + struct.pack("<q", 1)


def write_zip(path: Path, members: list[tuple[str, bytes]], *, directory: str | None = None,
              duplicate: bool = False) -> None:
    """A zip of `members` written by zipfile, stored uncompressed (as np.savez does)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we want
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members:
                archive.writestr(name, data)
            if directory:
                archive.writestr(zipfile.ZipInfo(directory), b"")
            if duplicate:
                archive.writestr(members[-1][0], members[-1][1])


def deflated_zeros(header: bytes, megabytes: int) -> bytes:
    """A raw deflate stream of `header` followed by `megabytes` MiB of zero bytes.

    Every MiB of zeros is compressed alone (a full flush resets the compressor), so its
    compressed bytes are the same each time and are repeated rather than recomputed: a
    2 GiB stream costs milliseconds to build and takes about 2 MB.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1 << 20)
    start = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    piece = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH) == piece
    return start + piece * megabytes + compressor.flush()


def write_raw_zip(path: Path, members: list[tuple[str, int, bytes, int, int]]) -> None:
    """A zip written byte by byte: (name, method, compressed bytes, size, crc) per member.

    zipfile cannot store bytes compressed elsewhere, hence this (sizes below 4 GiB, no zip64).
    """
    body = bytearray()
    central = bytearray()
    for name, method, data, size, crc in members:
        encoded = name.encode()
        offset = len(body)
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc,
                            len(data), size, len(encoded), 0) + encoded + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc,
                               len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))


def tiny_weights(path: Path) -> None:
    save(OrderedDict([("w", np.arange(6.0).reshape(2, 3)), ("b", np.ones(2, np.float32))]), path)


def files_in(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


class PeakMemory:
    """Peak bytes Python and NumPy allocated inside the block (tracemalloc sees both)."""

    def __enter__(self) -> PeakMemory:
        tracemalloc.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.started
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


# ====================================================================== load: zip bombs


def test_two_megabyte_zip_bomb_costs_nothing(tmp_path):
    megabytes = 2048  # 2 GiB of zeros as one float64 array
    header = npy_header((megabytes << 17,))
    bomb = deflated_zeros(header, megabytes)
    path = tmp_path / "bomb.npz"
    write_raw_zip(path, [(f"{FORMAT_KEY}.npy", 0, format_entry(), len(format_entry()),
                          zlib.crc32(format_entry())),
                         ("weight.npy", 8, bomb, len(header) + (megabytes << 20), 0)])
    assert path.stat().st_size < 2.2e6
    with PeakMemory() as used, pytest.raises(ValueError) as raised:
        load(path, max_bytes=1 << 30)
    message = str(raised.value)
    assert "bomb.npz" in message and "entry 'weight'" in message
    assert f"shape ({megabytes << 17},)" in message and "float64" in message
    assert "limit of 1,073,741,824 bytes" in message and "max_bytes" in message
    assert used.peak < 1 << 20 and used.seconds < 1.0  # nothing was inflated


def test_default_limit_is_4_gib_summed_over_entries(tmp_path):
    # Three deflated 1.5 GiB entries (1.6 MB each): each alone is under 4 GiB, together not.
    megabytes = 1536
    header = npy_header((megabytes << 17,))
    bomb = deflated_zeros(header, megabytes)
    members = [(f"{FORMAT_KEY}.npy", 0, format_entry(), len(format_entry()),
                zlib.crc32(format_entry()))]
    members += [(f"layer{i}.npy", 8, bomb, len(header) + (megabytes << 20), 0) for i in range(3)]
    path = tmp_path / "bombs.npz"
    write_raw_zip(path, members)
    with PeakMemory() as used, pytest.raises(ValueError, match=r"entry 'layer2' .* over the "
                                             r"limit of 4,294,967,296 bytes"):
        load(path)
    assert used.peak < 1 << 20


def test_huge_header_shape_refused_before_allocation(tmp_path):
    # A header that lies: it claims 8 TB while the entry holds 8 bytes.
    path = tmp_path / "liar.npz"
    write_zip(path, [(f"{FORMAT_KEY}.npy", format_entry()),
                     ("w.npy", npy_header((10**6, 10**6)) + bytes(8))])
    with PeakMemory() as used, pytest.raises(ValueError, match=r"entry 'w' \(shape \(1000000, "
                                             r"1000000\), dtype float64, 8,000,000,000,000 bytes"):
        load(path)
    assert used.peak < 1 << 20
    # Under a limit big enough, the size stored in the archive gives the lie away.
    with pytest.raises(ValueError, match="entry 'w' is 136 bytes in the archive, but its header"):
        load(path, max_bytes=10**13)


@pytest.mark.parametrize("missing", [1, 8])
def test_entry_shorter_or_longer_than_its_header_refused(tmp_path, missing):
    path = tmp_path / "short.npz"
    data = np.arange(10.0).tobytes()
    body = data[:-missing] if missing == 1 else data + bytes(missing)
    write_zip(path, [(f"{FORMAT_KEY}.npy", format_entry()), ("w.npy", npy_header((10,)) + body)])
    with pytest.raises(ValueError, match="entry 'w' is .* bytes in the archive, but its header "
                       r"\(shape \(10,\), dtype float64\) promises 208"):
        load(path)


def test_member_whose_stream_is_shorter_than_the_directory_says(tmp_path):
    # The central directory agrees with the header, the compressed data does not.
    header = npy_header((1 << 17,))  # 1 MiB of float64
    stream = deflated_zeros(header, 0)  # only the header
    path = tmp_path / "cut.npz"
    write_raw_zip(path, [(f"{FORMAT_KEY}.npy", 0, format_entry(), len(format_entry()),
                          zlib.crc32(format_entry())),
                         ("w.npy", 8, stream, len(header) + (1 << 20), 0)])
    with pytest.raises(ValueError, match="cut.npz: entry 'w' is damaged"):
        load(path)


def test_limit_argument_checked_and_exact(tmp_path):
    path = tmp_path / "w.npz"  # (the .npz format of earlier versions)
    save_npz(OrderedDict([("w", np.arange(6.0).reshape(2, 3)), ("b", np.ones(2, np.float32))]),
             path)  # 48 + 8 bytes of arrays, the 8-byte format marker, and the manifest
    with np.load(path) as archive:  # counted 32 times (what parsing its JSON may allocate)
        exact = 64 + 32 * archive["__tinygrad_np_manifest__"].size
    assert list(load(path, max_bytes=exact)) == ["w", "b"]
    with pytest.raises(ValueError, match="entry 'b'"):
        load(path, max_bytes=exact - 1)
    with pytest.raises(TypeError, match="max_bytes must be an int"):
        load(path, max_bytes=1e9)
    with pytest.raises(ValueError, match="max_bytes must be >= 0"):
        load(path, max_bytes=-1)


# ====================================================================== load: odd archives


def test_directory_entry_refused(tmp_path):
    path = tmp_path / "dir.npz"
    write_zip(path, [(f"{FORMAT_KEY}.npy", format_entry())], directory="weights/")
    with pytest.raises(ValueError, match="dir.npz: the archive holds a folder entry 'weights/'"):
        load(path)


def test_duplicate_entries_refused(tmp_path):
    path = tmp_path / "dup.npz"
    write_zip(path, [(f"{FORMAT_KEY}.npy", format_entry()),
                     ("w.npy", npy_header((1,)) + bytes(8))], duplicate=True)
    with pytest.raises(ValueError, match="two entries named 'w.npy'"):
        load(path)


def test_non_npy_entry_refused(tmp_path):
    path = tmp_path / "readme.npz"
    write_zip(path, [(f"{FORMAT_KEY}.npy", format_entry()), ("README.txt", b"hello")])
    with pytest.raises(ValueError, match="entry 'README.txt' is not a .npy array"):
        load(path)


@pytest.mark.parametrize(("descr", "shape", "match"), [
    ("|O", (2,), "pickled object array"),
    ("<U5", (2,), "dtype <U5; a weights file holds only bool, integer, float and complex"),
    ("<M8[s]", (2,), "dtype datetime64"),
    ("<f8", (-3, 2), r"impossible shape \(-3, 2\)"),
    ("<f8", (True, 2), r"impossible shape \(True, 2\)"),
])
def test_bad_headers_refused(tmp_path, descr, shape, match):
    path = tmp_path / "odd.npz"
    write_zip(path, [(f"{FORMAT_KEY}.npy", format_entry()),
                     ("w.npy", npy_header(shape, descr) + bytes(16))])
    with pytest.raises(ValueError, match=f"odd.npz: entry 'w'.*{match}"):
        load(path)


def test_pickled_object_array_from_numpy_refused(tmp_path):
    path = tmp_path / "evil.npz"
    evil = np.empty(2, dtype=object)
    evil[:] = [{"a": 1}, print]
    np.savez(path, **{FORMAT_KEY: np.array(1), "w": evil})
    with pytest.raises(ValueError, match="entry 'w' is a pickled object array"):
        load(path)


@pytest.mark.parametrize("header", [
    b"\x93NUMPY\x03\x00" + struct.pack("<I", 54) + b"{'descr': '<f8', 'fortran_order': False, "
    b"'shape': (1,), }\n",
    b"\x93NUMPY\x01\x00" + struct.pack("<H", 30000) + b" " * 30000,
    b"\x93NUMPY\x01\x00\x10\x00{'descr': 'x'}  \n",
    b"not an npy file at all",
])
def test_malformed_npy_headers_refused(tmp_path, header):
    path = tmp_path / "bad.npz"
    write_zip(path, [(f"{FORMAT_KEY}.npy", format_entry()), ("w.npy", header + bytes(8))])
    with pytest.raises(ValueError, match="bad.npz: entry 'w' has a bad .npy header"):
        load(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
def test_truncated_zip_refused(tmp_path, keep):
    path = tmp_path / "w.npz"
    tiny_weights(path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match="w.npz is a truncated or damaged .npz archive"):
        load(path)


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_behind_a_zip_signature_refused(tmp_path, seed):
    path = tmp_path / "noise.npz"
    path.write_bytes(b"PK\x03\x04" + np.random.default_rng(seed).bytes(3000))
    with pytest.raises(ValueError, match="noise.npz"):
        load(path)


def test_bit_flips_anywhere_never_crash(tmp_path):
    # Each flipped byte gives either the exact saved values or a ValueError naming the file.
    path = tmp_path / "w.npz"
    tiny_weights(path)
    original = path.read_bytes()
    expected = load(path)
    for position in range(0, len(original), 7):
        damaged = bytearray(original)
        damaged[position] ^= 0x5A
        path.write_bytes(bytes(damaged))
        try:
            loaded = load(path)
        except ValueError as error:
            assert "w.npz" in str(error)
            continue
        assert list(loaded) == list(expected)
        for name in expected:
            np.testing.assert_array_equal(loaded[name], expected[name])


def test_damaged_directory_record_that_hides_entries_refused(tmp_path):
    # A flipped byte in the first directory record's comment length made zipfile read that
    # comment over the records that follow: load returned an empty dict, no error.
    path = tmp_path / "w.npz"
    save_npz({"w": np.arange(12.0), "b": np.ones(3, np.float32)}, path)
    data = bytearray(path.read_bytes())
    start = data.index(b"PK\x01\x02")  # the first central directory record
    data[start + 33] = 1  # the high byte of its comment length: 256 bytes
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"w.npz is a damaged .npz archive: its directory "
                                         r"should list 4 entries, but 1 could be read"):
        load(path)


def test_unknown_compression_method_refused(tmp_path):
    path = tmp_path / "method99.npz"
    write_raw_zip(path, [(f"{FORMAT_KEY}.npy", 0, format_entry(), len(format_entry()),
                          zlib.crc32(format_entry())), ("w.npy", 99, b"x" * 20, 100, 0)])
    with pytest.raises(ValueError, match="entry 'w' is unreadable"):
        load(path)


# ====================================================================== round trips


def test_awkward_arrays_round_trip(tmp_path):
    state = OrderedDict([
        ("fortran", np.asfortranarray(np.arange(12.0).reshape(3, 4))),
        ("fortran3d", np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4))),
        ("scalar", np.array(2.5, dtype=np.float32)),
        ("empty", np.zeros((0, 5))),
        ("big_endian", np.arange(4, dtype=">f8")),
        ("complex", np.array([1 + 2j, -3j], dtype=np.complex64)),
        ("view", np.arange(20.0)[::3]),
        ("poids.é", np.ones(1)), ("权重", np.ones(2)), ("🙂 emoji", np.ones(3)),
        ("with space and 'quote'", np.zeros(1)),
    ])
    path = tmp_path / "w.npz"
    save(state, path)
    loaded = load(path)
    assert list(loaded) == list(state)
    for name, value in state.items():
        native = value.dtype.newbyteorder("=")  # a big-endian array loads in native order
        assert loaded[name].dtype == native and loaded[name].shape == value.shape, name
        assert loaded[name].dtype.isnative, name
        np.testing.assert_array_equal(loaded[name], value)
    assert all(type(value) is np.ndarray for value in loaded.values())  # as saved
    assert loaded["fortran"].flags.f_contiguous
    assert all(value.flags.writeable for value in loaded.values())


@pytest.mark.parametrize("fortran", [False, True])
def test_big_endian_float16_loads_in_native_order_and_accumulates_in_float32(tmp_path, fortran):
    # A '>f2' array (written on, or for, a big-endian machine) must come back as the same
    # values in tg.float16: a '>f2' tensor is not `== tg.float16`, so float16's float32
    # accumulation was skipped and the mean of 70,000 ones was inf instead of 1.
    values = np.ones((2, 35_000), dtype=">f2")
    path = tmp_path / "be.npz"
    save_npz({"w": np.asfortranarray(values) if fortran else values}, path)
    with zipfile.ZipFile(path) as archive:  # save_npz keeps the byte order: check the file
        header = archive.read("w.npy")[:128]
    assert b"'>f2'" in header
    save({"w": np.asfortranarray(values) if fortran else values}, tmp_path / "be.pt")
    w_pt = load(tmp_path / "be.pt")["w"]  # (pickled by NumPy, in its byte order)
    assert w_pt.dtype == tg.float16 and w_pt.dtype.isnative
    assert w_pt.flags.f_contiguous == fortran
    np.testing.assert_array_equal(w_pt, values)
    w = load(path)["w"]  # an ndarray, as saved
    assert w.dtype == tg.float16 and w.dtype.isnative
    assert w.flags.f_contiguous == fortran
    np.testing.assert_array_equal(w, values)
    assert tg.from_numpy(w).mean().item() == 1.0
    model = nn.Linear(2, 1).half()
    weight = np.array([[1.5, -2.25]], dtype=">f2")
    model.load_state_dict({"weight": weight, "bias": np.array([0.5], dtype=">f4")})
    assert model.weight.dtype == tg.float16 and model.weight.tolist() == [[1.5, -2.25]]


def test_plain_zipfile_rewrite_of_a_saved_file_still_loads(tmp_path):
    # Re-zipping with compression (what an archiver might do) keeps the file loadable.
    path = tmp_path / "w.npz"
    tiny_weights(path)
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            target.writestr(name, data)
    np.testing.assert_array_equal(load(path)["w"], np.arange(6.0).reshape(2, 3))


# ====================================================================== save: names


@pytest.mark.parametrize("name", [3.0, ("a", "b"), "a\0b", "layer/weight", "..\\evil", "x" * 1025,
                                  "\ud800", FORMAT_KEY, "__tinygrad_np_manifest__", "file"])
def test_names_that_cannot_name_an_entry_use_numbered_entries(tmp_path, name):
    # As torch.save: any such key is kept (in the pickle; save_npz, the earlier format, puts
    # the arrays into entries 0.npy, 1.npy, ...)
    path = tmp_path / "w.npz"
    save_npz({"ok": np.ones(1), name: np.arange(2)}, path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist())[:2] == ["0.npy", "1.npy"]
    loaded = load(path)
    assert list(loaded) == ["ok", name]
    save({"ok": np.ones(1), name: np.arange(2)}, path)
    loaded = load(path)
    assert list(loaded) == ["ok", name]
    np.testing.assert_array_equal(loaded[name], [0, 1])


class SameText(str):
    """A str whose hash differs from the plain str's: a dict keeps both as keys."""

    __hash__ = object.__hash__


class Repeating(Mapping):
    """A Mapping whose items() names one entry twice."""

    def __getitem__(self, key: str) -> np.ndarray:
        return np.ones(1)

    def __iter__(self) -> Iterator[str]:
        return iter(["w", "w"])

    def __len__(self) -> int:
        return 2


@pytest.mark.parametrize("state", [{"w": np.ones(1), SameText("w"): np.zeros(1)}, Repeating()],
                         ids=["str-subclass", "repeating-mapping"])
def test_two_entries_with_one_archive_name_refused(tmp_path, state):
    with pytest.raises(ValueError, match="two entries are named 'w'"):
        save(state, tmp_path / "w.npz")
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(("value", "error", "match"), [
    (np.array(["abc"]), TypeError, r"\['v'\] has dtype <U3"),
    (np.array([None]), ValueError, r"\['v'\] holds Python objects"),
    (np.array(["2020-01-01"], dtype="M8[D]"), TypeError, r"\['v'\] has dtype datetime64"),
    ({"w": np.ones(1), "b": memoryview(b"x")}, TypeError, r"obj\['v'\]\['b'\] is an object of "
     "type memoryview; only dict, list, tuple, str, int, float, bool, None, Tensor, ndarray"),
    ([np.ones(1), np.datetime64("2020-01-01")], TypeError, r"obj\['v'\]\[1\] has dtype "
     "datetime64"),
])
def test_bad_values_refused(tmp_path, value, error, match):
    with pytest.raises(error, match=match):
        save({"v": value}, tmp_path / "w.npz")
    assert files_in(tmp_path) == []


def test_long_name_at_the_limit_and_unicode_round_trip(tmp_path):
    names = ["é" * 1024, "a.b.c", "", "tab\tand\nnewline"]
    save({name: np.full(1, i) for i, name in enumerate(names)}, tmp_path / "w.npz")
    loaded = load(tmp_path / "w.npz")
    assert list(loaded) == names
    assert [int(v[0]) for v in loaded.values()] == [0, 1, 2, 3]


# ====================================================================== save: the file


def test_replacing_keeps_permissions(tmp_path):
    path = tmp_path / "w.npz"
    tiny_weights(path)
    os.chmod(path, 0o640)
    save({"new": np.ones(3)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert list(load(path)) == ["new"]
    os.chmod(path, 0o604)
    save({"newer": np.ones(3)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o604


def test_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save({"w": np.ones(1)}, tmp_path / "w.npz")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "w.npz").stat().st_mode) == 0o644


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_read_only_file_is_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    tiny_weights(path)
    os.chmod(path, 0o444)
    if os.geteuid() == 0:  # root may write anything: ask as an ordinary user would be told
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda target, mode, **kwargs: False if (
            mode & os.W_OK and os.fspath(target) == str(path)) else real_access(target, mode))
    before = path.read_bytes()
    with pytest.raises(PermissionError, match="w.npz is read-only"):
        save({"new": np.ones(1)}, path)
    assert path.read_bytes() == before and files_in(tmp_path) == ["w.npz"]


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
def test_saving_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.npz"
    tiny_weights(real)
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    save({"new": np.ones(1)}, link)
    assert link.is_symlink() and list(load(real)) == ["new"]
    assert files_in(tmp_path) == ["latest.npz", "real.npz"]


def test_directory_and_missing_folder_targets(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save({"w": np.ones(1)}, tmp_path)
    with pytest.raises(FileNotFoundError, match="the folder .*nowhere does not exist"):
        save({"w": np.ones(1)}, tmp_path / "nowhere" / "w.npz")
    assert files_in(tmp_path) == []


def test_writer_dying_midway_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    tiny_weights(path)
    os.chmod(path, 0o600)
    before = path.read_bytes()
    real_write_member = torch_writer._write_member
    calls = []

    def write_two_then_die(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        real_write_member(*args, **kwargs)

    monkeypatch.setattr(torch_writer, "_write_member", write_two_then_die)
    with pytest.raises(KeyboardInterrupt):
        save({f"layer{i}": tg.ones(1000) for i in range(5)}, path)
    monkeypatch.undo()
    assert len(calls) == 3  # it did die midway through the entries
    assert path.read_bytes() == before and files_in(tmp_path) == ["w.npz"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


class FailsLate:
    """An object with `__array__` that fails: save refuses it (it converts nothing but arrays)."""

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise RuntimeError("cannot convert")


def test_value_failing_conversion_keeps_the_old_file(tmp_path):
    path = tmp_path / "w.npz"
    tiny_weights(path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"obj\['late'\] is an object of type FailsLate"):
        save({"a": np.ones(3), "b": np.ones(3), "late": FailsLate()}, path)
    assert path.read_bytes() == before and files_in(tmp_path) == ["w.npz"]


# ====================================================================== load: checkpoint manifests


MANIFEST = "__tinygrad_np_manifest__"


def format2_entry() -> bytes:
    return npy_header((), "<i8") + struct.pack("<q", 2)


def manifest_entry(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return npy_header((len(data),), "|u1") + data


def write_checkpoint(path: Path, manifest: str | bytes, arrays: dict[str, np.ndarray]) -> None:
    """A format 2 file written by hand: the manifest as given, arrays under the given names."""
    members = [(f"{FORMAT_KEY}.npy", format2_entry()),
               (f"{MANIFEST}.npy", manifest_entry(manifest))]
    for name, array in arrays.items():
        members.append((f"{name}.npy", npy_header(array.shape, array.dtype.str) + array.tobytes()))
    write_zip(path, members)


def test_hand_written_checkpoint_loads(tmp_path):
    path = tmp_path / "c.pt"
    write_checkpoint(path, '{"dict": [["w", {"tensor": 0, "requires_grad": true}], [1, null]]}',
                     {"0": np.arange(3.0)})
    loaded = load(path)
    assert list(loaded) == ["w", 1] and loaded[1] is None and loaded["w"].requires_grad


@pytest.mark.parametrize(("manifest", "match"), [
    ('{"code": [1, 2]}', 'at obj holds {"code": \\[1, 2\\]}, not a value tinygrad_np.save writes'),
    ("[1, 2]", "at obj holds \\[1, 2\\], not a value"),
    ('{"__class__": "os.system", "args": ["echo pwned"]}', "at obj holds .*not a value"),
    ('{"list": [{"array": 0, "extra": 1}]}', r"at obj\[0\] holds .*not a value"),
    ('{"tuple": {"a": 1}}', "has a tuple whose items are .*, not a list"),
    ('{"dict": [["a"]]}', 'has a dict item \\["a"\\], not a \\[key, value\\] pair'),
    ('{"dict": [[[1], 2]]}', r"at obj key \[1\] holds \[1\], not a value"),
    ('{"dict": [[{"list": [1]}, 2]]}', "key .* holds .*, not a value .* as a dict key or set item"),
    ('{"set": [{"array": 0}]}', r"at obj\[0\] holds .*, not a value .* as a dict key or set"),
    ('{"dict": [[1, 2], [true, 3]]}', "has the key True twice"),
    ('{"odict": [["k", 1], ["k", 2]]}', "has the key 'k' twice"),
    ('{"dict": [["x", {"tensor": 0}]]}', r"at obj\['x'\] holds .*not a value"),
    ('{"tensor": 0, "requires_grad": 1}', "has requires_grad 1, not true or false"),
    ('{"tensor": "0", "requires_grad": false}', "refers to array '0', which the file does not"),
    ('{"array": true}', "refers to array true, which the file does not hold"),
    ('{"array": -1}', "refers to array -1, which"),
    ('{"list": [{"array": 0}, {"array": 7}]}', r"at obj\[1\] refers to array 7, which the file"),
    ('{"list": [{"array": 0}, {"tensor": 0, "requires_grad": false}]}',
     "reads array 0 as a tensor, elsewhere as a array"),
    ('{"scalar": 0}', r"reads array 0 of shape \(3,\) as a scalar"),
    ('{"list": []}', "entry '0' is not referenced by the manifest"),
    ('{"list": [], "list": [{"array": 0}]}', "not valid JSON: an object has a key twice"),
    ('{"list": [', "not valid JSON"),
    (b'{"list": ["\xff"]}', "not valid JSON"),
    ('{"list": [' * 100_000 + "]}" * 100_000, "not valid JSON"),
    ('{"list": [' * 65 + "]}" * 65, r"at obj(\[0\]){64} is nested more than 64 containers deep"),
    ('{"list": [1' + "0" * 5000 + "]}", "not valid JSON"),
])
def test_hostile_manifests_refused(tmp_path, manifest, match):
    path = tmp_path / "evil.pt"
    write_checkpoint(path, manifest, {"0": np.arange(3.0)})
    with pytest.raises(ValueError, match=f"load: .*evil.pt: .*{match}"):
        load(path)


@pytest.mark.parametrize(("array", "node", "match"), [
    (np.array([1j]), '{"tensor": 0, "requires_grad": false}', "dtype complex128 as a tensor"),
    (np.arange(2), '{"tensor": 0, "requires_grad": true}', "requires_grad on array 0 of dtype"),
    (np.arange(2), '{"parameter": 0, "requires_grad": true}', "only float tensors require"),
])
def test_tensor_nodes_checked_against_their_array(tmp_path, array, node, match):
    write_checkpoint(tmp_path / "evil.pt", node, {"0": array})
    with pytest.raises(ValueError, match=match):
        load(tmp_path / "evil.pt")


def test_odd_entries_in_a_checkpoint_refused(tmp_path):
    path = tmp_path / "evil.pt"
    write_checkpoint(path, '{"array": 0}', {"0": np.ones(1), "weight": np.ones(1)})
    with pytest.raises(ValueError, match="entry 'weight' is not one of the numbered arrays 0 to 1"):
        load(path)
    write_checkpoint(path, '{"array": 0}', {"00": np.ones(1)})
    with pytest.raises(ValueError, match="entry '00' is not one of the numbered arrays"):
        load(path)
    write_zip(path, [(f"{FORMAT_KEY}.npy", format2_entry()),
                     ("0.npy", npy_header((1,)) + bytes(8))])
    with pytest.raises(ValueError, match="has format 2 but no '__tinygrad_np_manifest__' entry"):
        load(path)
    write_zip(path, [(f"{FORMAT_KEY}.npy", format2_entry()),
                     (f"{MANIFEST}.npy", npy_header((1,), "<f8") + bytes(8))])
    with pytest.raises(ValueError, match=r"manifest entry has shape \(1,\) and dtype float64, not "
                       "a 1-d uint8 array"):
        load(path)
    write_zip(path, [(f"{FORMAT_KEY}.npy", npy_header((3,), "<i8") + bytes(24))])
    with pytest.raises(ValueError, match=r"the format entry has shape \(3,\) and dtype int64"):
        load(path)


def test_huge_arrays_behind_a_manifest_refused_before_allocation(tmp_path):
    # The manifest is fine; the array it points at claims 8 TB in a 136-byte entry.
    path = tmp_path / "liar.pt"
    write_zip(path, [(f"{FORMAT_KEY}.npy", format2_entry()),
                     (f"{MANIFEST}.npy", manifest_entry('{"array": 0}')),
                     ("0.npy", npy_header((10**6, 10**6)) + bytes(8))])
    with PeakMemory() as used, pytest.raises(ValueError, match=r"entry '0' \(shape \(1000000, "
                                             r"1000000\), .* over the limit"):
        load(path)
    assert used.peak < 1 << 20


def test_huge_manifest_refused_before_reading_it(tmp_path):
    # A 2 GiB "manifest" that deflates to 2 MB: refused by max_bytes from its header, and
    # under a large max_bytes by the manifest's own 16 MiB limit, before any byte is inflated.
    megabytes = 2048
    header = npy_header((megabytes << 20,), "|u1")
    bomb = deflated_zeros(header, megabytes)
    path = tmp_path / "bomb.pt"
    write_raw_zip(path, [(f"{FORMAT_KEY}.npy", 0, format2_entry(), len(format2_entry()),
                          zlib.crc32(format2_entry())),
                         (f"{MANIFEST}.npy", 8, bomb, len(header) + (megabytes << 20), 0)])
    with PeakMemory() as used, pytest.raises(ValueError, match="over the limit of 1,073,741,824"):
        load(path, max_bytes=1 << 30)
    assert used.peak < 1 << 20
    with PeakMemory() as used, pytest.raises(ValueError, match="the manifest is 2,147,483,648 "
                                             "bytes, over the limit of 16,777,216"):
        load(path, max_bytes=1 << 40)
    assert used.peak < 1 << 20 and used.seconds < 1.0


def test_manifest_strings_are_only_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = "__import__('os').system('echo pwned > pwned.txt')"
    write_checkpoint(tmp_path / "c.pt", json.dumps({"dict": [[code, code], ["eval", code]]}), {})
    assert load(tmp_path / "c.pt") == {code: code, "eval": code}
    assert not (tmp_path / "pwned.txt").exists()


def test_bit_flips_in_a_checkpoint_never_crash(tmp_path):
    path = tmp_path / "c.pt"
    checkpoint = {"model": OrderedDict(w=np.arange(4.0)), "opt": {"state": {0: {
        "step": 3.0, "m": Tensor(np.ones(2))}}, "param_groups": [{"betas": (0.9, 0.99)}]},
        "epoch": 5}
    save(checkpoint, path)
    original = path.read_bytes()
    for position in range(0, len(original), 5):
        damaged = bytearray(original)
        damaged[position] ^= 0x5A
        path.write_bytes(bytes(damaged))
        try:
            loaded = load(path)
        except ValueError as error:
            assert "c.pt" in str(error)
            continue
        assert loaded["epoch"] == 5 and loaded["opt"]["param_groups"] == [{"betas": (0.9, 0.99)}]
        np.testing.assert_array_equal(loaded["model"]["w"], np.arange(4.0))


# ====================================================================== load_state_dict


class Net(nn.Module):
    """Two float32 layers, a float64 scale and an integer table (a parameter without grad)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(np.array(1.5))
        self.table = nn.Parameter(np.arange(3, dtype=np.int64), requires_grad=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.fc1(x).relu()) * self.scale


def snapshot(model: nn.Module) -> dict[str, tuple]:
    """Every parameter's exact bytes, dtype, shape, array identity and version."""
    return {name: (p._data.tobytes(), p.dtype, p.shape, id(p._data), p._version)
            for name, p in model.named_parameters()}


def good_state() -> OrderedDict:
    rng = np.random.default_rng(1)
    return OrderedDict([
        ("fc1.weight", rng.normal(size=(4, 3))), ("fc1.bias", rng.normal(size=4)),
        ("fc2.weight", rng.normal(size=(2, 4))), ("fc2.bias", rng.normal(size=2)),
        ("scale", np.array(2.0)), ("table", np.array([7, 8, 9])),
    ])


def test_load_state_dict_copies_in_place_and_bumps_versions():
    model = Net()
    before = snapshot(model)
    state = good_state()
    state["fc1.bias"] = Tensor(state["fc1.bias"], requires_grad=True)
    state["scale"] = np.float64(2.0)  # a NumPy scalar for a 0-d parameter
    state["table"] = np.array([7, 8, 9], dtype=np.int32)
    model.load_state_dict(state)
    after = snapshot(model)
    for name, p in model.named_parameters():
        expected = state[name]._data if isinstance(state[name], Tensor) else state[name]
        np.testing.assert_array_equal(p._data, np.asarray(expected).astype(p.dtype))
        assert after[name][1:4] == before[name][1:4], name  # same dtype, shape and array
        assert after[name][4] > before[name][4], name  # the version counter moved
    assert model.fc1.weight.dtype == np.float32 and model.table.dtype == np.int64


@pytest.mark.parametrize(("key", "value", "match"), [
    ("fc2.weight", np.ones((4, 2)), r"size mismatch for fc2.weight: copying a param with shape "
     r"torch.Size\(\[4, 2\]\) from checkpoint, the shape in current model is "
     r"torch.Size\(\[2, 4\]\)"),
    # floats into an int buffer truncate (as PyTorch); nan and out-of-range values are refused
    ("table", np.array([np.nan, 2.0, 3.0]), '"table".*values out of range for int64'),
    ("table", np.array([1e30, 2.0, 3.0]), '"table".*values out of range for int64'),
    ("fc2.bias", np.array(["a", "b"]), '"fc2.bias".*holds <U1 values, not numbers'),
    ("fc2.bias", np.array([None, None]), '"fc2.bias".*holds object values'),
    ("fc2.bias", [1.0, 2.0], '"fc2.bias", expected torch.Tensor or Tensor-like object from '
     "checkpoint but received <class .list.>"),
    ("fc2.bias", 3.0, '"fc2.bias", expected torch.Tensor or Tensor-like object from checkpoint '
     "but received <class .float.>"),
    ("fc2.bias", np.array([1e300, 0.0]), '"fc2.bias".*values out of range for float32'),
    # NumPy wraps integers without a warning: 2**63 - 1 into int64 fits, 2**64 - 1 does not
    ("table", np.array([0, 1, 2**64 - 1], dtype=np.uint64),
     '"table".*values out of range for int64'),
    ("fc2.bias", np.array(["2020-01-01", "2021-01-01"], dtype="M8[D]"),
     '"fc2.bias".*holds datetime64'),
])
@pytest.mark.parametrize("strict", [True, False])
def test_half_bad_state_dict_leaves_the_model_untouched(key, value, match, strict):
    model = Net()
    before = snapshot(model)
    state = good_state()  # fc1.* come first and are fine: nothing may be copied anyway
    state[key] = value
    with pytest.raises(ValueError, match=match):
        model.load_state_dict(state, strict=strict)
    assert snapshot(model) == before


@pytest.mark.parametrize(("dtype", "values", "fits"), [
    (np.int16, [0, -32768, 32767], True), (np.int16, [70000, 0, 0], False),
    (np.int16, [0, -32769, 0], False), (np.int8, [300, 0, 0], False),
    (np.uint8, [0, 255, 1], True), (np.int32, [2**31, 0, 0], False),
])
def test_integer_buffer_loads_only_values_that_fit(dtype, values, fits):
    # An int64 value into a narrower integer buffer: NumPy's astype wraps (70000 -> 4464 in
    # int16) silently. A value that fits loads exactly; one that does not is refused and the
    # model is left as it was.
    model = nn.Module()
    model.register_buffer("count", Tensor(np.array([1, 2, 3], dtype=dtype)))
    state = {"count": np.array(values, dtype=np.int64 if min(values) < 0 or dtype != np.uint8
                                else np.uint8)}
    if fits:
        model.load_state_dict(state)
        assert model.count.tolist() == values and model.count.dtype == dtype
        return
    with pytest.raises(ValueError, match=f'"count".*values out of range for {np.dtype(dtype)}'):
        model.load_state_dict(state)
    assert model.count.tolist() == [1, 2, 3] and model.count.dtype == dtype


def test_every_problem_reported_at_once():
    model = Net()
    state = good_state()
    state["fc1.weight"] = np.ones((4, 4), dtype=np.float32)
    state["fc2.bias"] = "zeros"
    del state["scale"]
    state[7] = np.ones(1)
    with pytest.raises(ValueError) as raised:
        model.load_state_dict(state)
    message = str(raised.value)
    for part in ("key 7 is not a string", 'Missing key(s) in state_dict: "scale". ',
                 "size mismatch for fc1.weight", '"fc2.bias", expected torch.Tensor'):
        assert part in message


def test_not_a_mapping():
    model = Net()
    with pytest.raises(TypeError, match=r"got a Net \(call .state_dict\(\) on it\)"):
        model.load_state_dict(Net())
    with pytest.raises(TypeError, match="expected a dict of name -> array, got a list"):
        model.load_state_dict(list(good_state().items()))


class Clash(nn.Module):
    def __init__(self, heads: dict) -> None:
        super().__init__()
        self.heads = heads


@pytest.mark.parametrize("heads", [
    {0: nn.Linear(2, 2), "0": nn.Linear(2, 2)},
    {"a": {"b": nn.Linear(2, 2)}, "a.b": nn.Linear(2, 2)},
], ids=["int-and-str-key", "dotted-key"])
def test_two_parameters_with_one_name_refused(heads):
    model = Clash(heads)
    with pytest.raises(ValueError, match="state_dict for Clash: two different parameters are "
                       r"both named 'heads\.(0|a\.b)\.weight'"):
        model.state_dict()
    with pytest.raises(ValueError, match="load_state_dict for Clash: two different parameters"):
        model.load_state_dict({})


def test_shared_parameter_is_listed_under_each_name_not_a_clash():
    layer = nn.Linear(2, 2)
    model = Clash({"first": layer, "again": layer})
    assert list(model.state_dict()) == ["heads.first.weight", "heads.first.bias",
                                        "heads.again.weight", "heads.again.bias"]  # as PyTorch
    model.load_state_dict({"heads.first.weight": np.ones((2, 2), np.float32),
                           "heads.first.bias": np.zeros(2, np.float32)}, strict=False)
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones((2, 2)))
    with pytest.raises(RuntimeError, match='Missing key.s. in state_dict: "heads.again.weight", '
                       '"heads.again.bias"'):
        model.load_state_dict({"heads.first.weight": np.ones((2, 2), np.float32),
                               "heads.first.bias": np.zeros(2, np.float32)})  # as PyTorch


def test_file_round_trip_into_a_fresh_model(tmp_path):
    source, target = Net(), Net()
    source.load_state_dict(good_state())
    save(source.state_dict(), tmp_path / "net.npz")
    target.load_state_dict(load(tmp_path / "net.npz"))
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    np.testing.assert_array_equal(target(x)._data, source(x)._data)


# ====================================================================== load_mnist

TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"


def idx(magic: int, dims: tuple[int, ...], payload: bytes = b"") -> bytes:
    """An uncompressed IDX file, written from the format's description."""
    return struct.pack(f">I{len(dims)}I", magic, *dims) + payload


def mnist_folder(folder: Path, train: int = 4, test: int = 2) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir()
    for images, labels, count in ((TRAIN_IMAGES, TRAIN_LABELS, train),
                                  (TEST_IMAGES, TEST_LABELS, test)):
        pixels = rng.integers(0, 256, count * 784, dtype=np.uint8).tobytes()
        digits = rng.integers(0, 10, count, dtype=np.uint8).tobytes()
        (folder / images).write_bytes(gzip.compress(idx(0x803, (count, 28, 28), pixels)))
        (folder / labels).write_bytes(gzip.compress(idx(0x801, (count,), digits)))
    return folder


def gzip_member(deflated: bytes, size: int) -> bytes:
    """A gzip file around a raw deflate stream (CRC 0: never reached when refused early)."""
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflated + struct.pack("<II", 0, size)


def test_small_valid_folder_loads(tmp_path):
    x_train, y_train, x_test, y_test = load_mnist(mnist_folder(tmp_path / "m"))
    assert x_train.shape == (4, 28, 28) and y_train.shape == (4,) and x_test.shape == (2, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64


@pytest.mark.parametrize(("name", "data", "match"), [
    (TRAIN_IMAGES, idx(0xD03, (1, 28, 28)), r"magic number 3331 \(expected 2051\): its data "
     r"type code is 0x0d \(float\), expected 0x08"),
    (TRAIN_IMAGES, idx(0x804, (4, 28, 28, 1)), "it has 4 dimensions, expected 3"),
    (TRAIN_LABELS, idx(0x803, (4, 1, 1), bytes(4)), "magic number 2051 .*3 dimensions, "
     "expected 1"),
    (TEST_LABELS, b"digits: 3 1 4 1 5\n", "two zero bytes, so this is not one"),
    (TEST_IMAGES, b"", r"truncated IDX header \(0 bytes, expected at least 16\)"),
    (TEST_IMAGES, idx(0x803, (2, 28, 27), bytes(2 * 28 * 27)), "images are 28x27"),
    (TEST_IMAGES, idx(0x803, (2, 0, 0)), "images are 0x0"),
])
def test_bad_headers_name_the_file(tmp_path, name, data, match):
    folder = mnist_folder(tmp_path / "m")
    (folder / name).write_bytes(gzip.compress(data))
    with pytest.raises(ValueError, match=match) as raised:
        load_mnist(folder)
    assert str(raised.value).startswith(str(folder / name))


@pytest.mark.parametrize("count", [2**32 - 1, 10**6])
def test_absurd_count_refused_before_allocation(tmp_path, count):
    folder = mnist_folder(tmp_path / "m")
    (folder / TRAIN_IMAGES).write_bytes(gzip.compress(idx(0x803, (count, 28, 28), bytes(784))))
    with PeakMemory() as used, pytest.raises(ValueError, match=f"{TRAIN_IMAGES}: the IDX header "
                                             f"promises {count} x 28 x 28 = .* bytes, more than "
                                             "a gzip file of .* bytes can hold"):
        load_mnist(folder)
    assert used.peak < 1 << 20


def test_counts_compared_before_any_data_is_read(tmp_path):
    # 20,000 images of data, but only 3 labels: refused after reading two headers.
    folder = mnist_folder(tmp_path / "m")
    (folder / TRAIN_IMAGES).write_bytes(
        gzip.compress(idx(0x803, (20000, 28, 28), bytes(20000 * 784)), compresslevel=1))
    (folder / TRAIN_LABELS).write_bytes(gzip.compress(idx(0x801, (3,), bytes(3))))
    with PeakMemory() as used, pytest.raises(ValueError, match="20000 images but .* 3 labels"):
        load_mnist(folder)
    assert used.peak < 1 << 20  # the 15.7 MB of pixels were never inflated


def test_gzip_bomb_after_the_data_costs_nothing(tmp_path):
    # The header promises 2 images; 1 GiB of zeros follow them (about 1 MB compressed).
    folder = mnist_folder(tmp_path / "m")
    header = idx(0x803, (2, 28, 28), bytes(2 * 784))
    (folder / TRAIN_IMAGES).write_bytes(gzip_member(deflated_zeros(header, 1024), 0))
    (folder / TRAIN_LABELS).write_bytes(gzip.compress(idx(0x801, (2,), bytes(2))))
    with PeakMemory() as used, pytest.raises(ValueError, match=f"{TRAIN_IMAGES}: more than "
                                             "4194304 unexpected bytes after the 1568 bytes"):
        load_mnist(folder)
    assert used.peak < 16 << 20 and used.seconds < 2


@pytest.mark.parametrize("cut", [1, 100, 784])
def test_payload_shorter_than_the_header_promises(tmp_path, cut):
    folder = mnist_folder(tmp_path / "m")
    (folder / TEST_IMAGES).write_bytes(
        gzip.compress(idx(0x803, (2, 28, 28), bytes(2 * 784 - cut))))
    with pytest.raises(ValueError, match=f"{TEST_IMAGES}: truncated IDX data: the header "
                       f"promises 1568 bytes but only {1568 - cut} follow"):
        load_mnist(folder)


def test_random_bytes_and_truncated_gzip_name_the_file(tmp_path):
    folder = mnist_folder(tmp_path / "m")
    (folder / TEST_LABELS).write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(ValueError, match=f"{TEST_LABELS}: not a valid, complete gzip file"):
        load_mnist(folder)
    whole = gzip.compress(idx(0x801, (2,), bytes(2)))
    (folder / TEST_LABELS).write_bytes(whole[:-6])  # the data is there, the trailer is cut
    with pytest.raises(ValueError, match=f"{TEST_LABELS}: not a valid, complete gzip file"):
        load_mnist(folder)


def test_two_concatenated_gzip_members_are_one_file(tmp_path):
    # gzip allows a file of several members (what `cat a.gz b.gz` makes): still valid data.
    folder = mnist_folder(tmp_path / "m")
    data = idx(0x803, (2, 28, 28), np.arange(1568, dtype=np.uint8).tobytes())
    (folder / TEST_IMAGES).write_bytes(gzip.compress(data[:100]) + gzip.compress(data[100:]))
    x_test = load_mnist(folder)[2]
    np.testing.assert_array_equal(x_test.ravel(), np.arange(1568) % 256)


# ====================================================================== drawing

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz program")

AWKWARD_NAMES = [
    'say "hi"', "<b>bold</b>", "a & b; &amp;", "{x|y} [z]", "back\\slash", "\\N \\G \\L",
    "ends with \\", "日本語 🙂 é", "-4.2", "node", "graph", "", "x" * 200,
]


def shown(name: str) -> str:
    """What a name should read as in the picture: as written, invisible characters as
    Python escapes, at most 80 characters (derived here from the rule, not from the code)."""
    if len(name) > 80:
        name = name[:79] + "…"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def svg_texts(graph: Any, tmp_path: Path) -> list[str]:
    svg = Path(tg.viz.render(graph, tmp_path / "g.svg")).read_text(encoding="utf-8")
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def weird_op(class_name: str, result: Any = 2.0) -> type:
    """A user Function subclass with any class name: y = x * result."""

    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x * result

    def backward(ctx: Any, grad_output: Any) -> Any:
        return grad_output * result

    return type(class_name, (Function,), {"forward": forward, "backward": backward})


@needs_dot
def test_awkward_tensor_names_are_drawn_as_written(tmp_path):
    leaves = [Tensor([1.0], requires_grad=True, name=name) for name in AWKWARD_NAMES]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    texts = svg_texts(total, tmp_path)
    for name in AWKWARD_NAMES:
        if name:
            assert shown(name) in texts, name


@needs_dot
@pytest.mark.parametrize("name", ["line1\nline2", "tab\there", "nul\0byte", "bell\a", "\ud800",
                                  "esc\x1b[31mred"])
def test_invisible_characters_are_shown_as_escapes(tmp_path, name):
    texts = svg_texts(Tensor([1.0], requires_grad=True, name=name) * 2, tmp_path)
    assert shown(name) in texts and "\\" in shown(name)


@needs_dot
@pytest.mark.parametrize("class_name", ['Op<"&>', "My\\NOp", "two\nlines", "{brace}", "Node",
                                        "strict", "Ümlaut", "with space"])
def test_weird_op_class_names(tmp_path, class_name):
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    texts = svg_texts(weird_op(class_name).apply(x), tmp_path)
    assert shown(class_name) in texts
    # Where the op produces the first NaN its label is marked up: still escaped.
    texts = svg_texts(weird_op(class_name, np.nan).apply(x), tmp_path)
    assert shown(class_name) in texts and "NaN starts here" in texts


@needs_dot
def test_weird_op_names_inside_a_collapsed_chain(tmp_path):
    op = weird_op('<i>"quoted" & odd</i>')
    y = Tensor([1.0], requires_grad=True, name="x")
    for _ in range(40):
        y = op.apply(y)
    svg = Path(tg.viz.render(y, tmp_path / "g.svg", max_nodes=10)).read_text(encoding="utf-8")
    assert '(&lt;i&gt;&quot;quoted&quot; &amp; odd&lt;/i&gt; ×' in svg


def test_module_parameter_names_with_awkward_dict_keys_are_escaped():
    class Heads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.heads = {'<a href="x">': nn.Linear(2, 1)}

        def forward(self, x: Tensor) -> Tensor:
            return self.heads['<a href="x">'](x)

    source = tg.draw_graph(Heads()(Tensor(np.ones((1, 2), dtype=np.float32)))).source
    assert "heads.&lt;a href=&quot;x&quot;&gt;.weight" in source
    assert '<a href="x">' not in source


def test_non_string_names_refused():
    with pytest.raises(TypeError, match="Tensor: name must be a str or None, got int"):
        Tensor([1.0], name=3)
    with pytest.raises(TypeError, match="name must be a str or None, got bytes"):
        nn.Parameter(np.ones(2), name=b"w")
    t = Tensor([1.0], requires_grad=True)
    t.name = ("w", 1)  # set after construction: caught when drawing
    with pytest.raises(TypeError, match=r"draw_graph: a tensor's name must be a str \(or None\), "
                       r"got \('w', 1\) of type tuple"):
        tg.draw_graph(t * 2)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda t: tg.draw_graph(np.ones(3)), TypeError, "expected a Tensor .* got ndarray"),
    (lambda t: tg.draw_graph([t]), TypeError, "expected a Tensor .* got list"),
    (lambda t: tg.draw_graph(3.0), TypeError, "got float"),
    (lambda t: tg.draw_graph(t, show_data="yes"), TypeError, "show_data must be True or False"),
    (lambda t: tg.draw_graph(t, show_grad=None), TypeError, "show_grad must be True or False"),
    (lambda t: tg.draw_graph(t, max_nodes=2.5), TypeError, "max_nodes must be an int"),
    (lambda t: tg.draw_graph(t, max_nodes=1), ValueError, "max_nodes must be at least 2"),
    (lambda t: tg.draw_graph(t, rankdir="left"), ValueError, "rankdir must be one of LR, TB"),
    (lambda t: tg.viz.render("graph.svg", "out.svg"), TypeError, "render: expected a Tensor or "
     "a graphviz.Digraph, got str"),
    (lambda t: tg.viz.render(t, 42), TypeError, "render: path must be a str or a Path"),
    (lambda t: tg.viz.render(t, "x", format=["svg"]), TypeError, "format must be a str"),
])
def test_bad_drawing_arguments(call, error, match):
    t = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(error, match=match):
        call(t)


# ====================================================================== more misuse


def test_bytes_and_pathlike_paths(tmp_path):
    path = os.fsencode(tmp_path / "w.npz")
    save({"w": np.arange(3.0)}, path)
    np.testing.assert_array_equal(load(path)["w"], np.arange(3.0))
    np.testing.assert_array_equal(load(tmp_path / "w.npz")["w"], np.arange(3.0))
    with pytest.raises(TypeError):
        load(3)


@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      min_size=1, max_size=4),
       cut=st.none() | st.floats(0, 1))
def test_random_edits_give_the_saved_values_or_a_value_error(edits, cut):
    # One archive per example, in a fresh temporary folder (hypothesis reruns the test).
    state = OrderedDict([("w", np.arange(12.0).reshape(3, 4)), ("b", np.ones(3, np.float32)),
                         ("n", np.array(7, np.int16))])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "w.npz"
        save(state, path)
        data = bytearray(path.read_bytes())
        for where, byte in edits:
            data[int(where * len(data))] = byte
        if cut is not None:
            data = data[: int(cut * len(data))]
        path.write_bytes(bytes(data))
        try:
            loaded = load(path)
        except ValueError as error:
            assert "w.npz" in str(error)
            return
    assert list(loaded) == list(state)
    for name, value in state.items():
        assert loaded[name].dtype == value.dtype
        np.testing.assert_array_equal(loaded[name], value)


def test_empty_mnist_split_is_allowed(tmp_path):
    folder = mnist_folder(tmp_path / "m", test=0)
    x_test, y_test = load_mnist(folder)[2:]
    assert x_test.shape == (0, 28, 28) and y_test.shape == (0,)
