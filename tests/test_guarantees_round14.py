"""Round 14 of the README's guarantees against what a prober found: save writes devices,
FIFOs and hard-linked files in place (as torch.save), load's max_bytes covers what a
pickle's allowed calls allocate and what parsing a manifest costs, float16 means of more
than 65504 elements, `w.grad = w`, dotted parameter and module names, non-number fill
values and an optimizer state of the wrong shape. Each test compares with PyTorch when it is
installed and with fixed values otherwise."""

from __future__ import annotations

import os
import stat
import threading

import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None


# ---- 1. save onto devices, FIFOs, hard links and symlinks ----------------------------------

def test_save_into_a_fifo_writes_through_it_and_keeps_the_fifo(tmp_path):
    fifo = str(tmp_path / "pipe")
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as stream:
            received.append(stream.read())

    reader = threading.Thread(target=read)
    reader.start()
    tg.save({"a": tg.ones(3)}, fifo)
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0][:4] == b"PK\x03\x04"  # the whole archive came through
    copy = tmp_path / "copy.pt"
    copy.write_bytes(received[0])
    assert tg.load(str(copy))["a"].tolist() == [1.0, 1.0, 1.0]


def _null_device(tmp_path) -> str:
    """A private copy of /dev/null's node (char 1, 3), so that a save that replaced it
    would damage nothing else; skipped where device nodes cannot be made (not root)."""
    node = str(tmp_path / "null")
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError):
        pytest.skip("cannot make a device node here")
    return node


def test_save_to_a_device_node_keeps_the_device(tmp_path):
    node = _null_device(tmp_path)
    tg.save({"a": tg.ones(3)}, node)
    assert stat.S_ISCHR(os.stat(node).st_mode) and os.listdir(tmp_path) == ["null"]
    if torch is not None:
        torch.save({"a": torch.ones(3)}, node)
        assert stat.S_ISCHR(os.stat(node).st_mode)


def test_save_through_a_symlink_to_a_device_keeps_the_device(tmp_path):
    node = _null_device(tmp_path)
    link = tmp_path / "ckpt.pt"
    link.symlink_to(node)
    tg.save({"a": tg.ones(3)}, str(link))
    assert link.is_symlink() and stat.S_ISCHR(os.stat(node).st_mode)


def test_save_to_a_hard_link_shows_the_new_file_under_every_name(tmp_path):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    tg.save({"w": tg.ones(2)}, str(a))
    os.link(a, b)
    tg.save({"w": tg.zeros(2)}, str(a))
    assert os.stat(a).st_nlink == 2 and os.path.samefile(a, b)
    assert tg.load(str(b))["w"].tolist() == [0.0, 0.0]
    if torch is not None:
        ta, tb = tmp_path / "ta.pt", tmp_path / "tb.pt"
        torch.save({"w": torch.ones(2)}, ta)
        os.link(ta, tb)
        torch.save({"w": torch.zeros(2)}, ta)
        assert torch.load(tb)["w"].tolist() == [0.0, 0.0]


def test_save_through_a_symlink_keeps_the_link_and_writes_the_target(tmp_path):
    target, link = tmp_path / "real.pt", tmp_path / "ckpt.pt"
    tg.save({"w": tg.ones(2)}, str(target))
    link.symlink_to(target)
    tg.save({"w": tg.full((2,), 5.0)}, str(link))
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tg.load(str(target))["w"].tolist() == [5.0, 5.0]


def test_save_over_a_single_link_file_is_still_atomic(tmp_path):
    path = tmp_path / "a.pt"
    tg.save({"w": tg.ones(2)}, str(path))
    inode = os.stat(path).st_ino
    os.chmod(path, 0o640)
    tg.save({"w": tg.zeros(2)}, str(path))
    assert os.stat(path).st_ino != inode  # a new file was renamed over it
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert os.listdir(tmp_path) == ["a.pt"]
