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
import tracemalloc
import zipfile

import numpy as np
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


# ---- 2. load's max_bytes covers a torch pickle's own allocations ----------------------------

def _torch_zip(path, pickle_bytes: bytes) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle_bytes)
        archive.writestr("archive/byteorder", "little")
    return str(path)


def _small_peak(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_load_counts_a_pickled_bytearray_of_an_int_size(tmp_path):
    size = 300_000_000
    bomb = (b"\x80\x02c__builtin__\nbytearray\nq\x00J" + size.to_bytes(4, "little")
            + b"\x85R.")
    path = _torch_zip(tmp_path / "bomb.pt", bomb)

    def refused() -> None:
        with pytest.raises(ValueError, match=r"bytearray\(300000000\).*max_bytes"):
            tg.load(path, max_bytes=100_000)

    assert _small_peak(refused) < 10 << 20
    small = _torch_zip(tmp_path / "small.pt", bomb.replace(size.to_bytes(4, "little"),
                                                           (10).to_bytes(4, "little")))
    assert tg.load(small) == bytearray(10)


def test_load_refuses_size_and_encode_of_other_things(tmp_path):
    # torch.Size(bytearray(n)) would make a tuple of n ints; _codecs.encode(bytearray) its repr.
    size_of_bytes = (b"\x80\x02ctorch\nSize\nc__builtin__\nbytearray\nK\x10\x85R\x85R.")
    with pytest.raises(ValueError, match="torch.Size is built from a bytearray"):
        tg.load(_torch_zip(tmp_path / "s.pt", size_of_bytes))
    encode_of_bytes = (b"\x80\x02c_codecs\nencode\nc__builtin__\nbytearray\nK\x10\x85R\x85R.")
    with pytest.raises(ValueError, match="_codecs.encode is given a bytearray"):
        tg.load(_torch_zip(tmp_path / "e.pt", encode_of_bytes))


def test_load_counts_the_pickle_itself(tmp_path):
    # 200,000 one-byte empty sets (protocol 4) cost ~45 MB to unpickle from a 200 KB pickle.
    path = _torch_zip(tmp_path / "sets.pt", b"\x80\x04" + b"\x8f" * 200_000 + b".")

    def refused() -> None:
        with pytest.raises(ValueError, match=r"data.pkl \(200,003 bytes.*max_bytes"):
            tg.load(path, max_bytes=20 << 20)

    assert _small_peak(refused) < 5 << 20


@pytest.mark.skipif(torch is None, reason="needs torch to write a checkpoint")
def test_real_torch_checkpoints_with_bytes_and_sizes_still_load(tmp_path):
    path = tmp_path / "t.pt"
    torch.save({"w": torch.ones(2, 3), "b": bytearray(b"ab\xff"), "s": torch.Size([2, 3]),
                "raw": b"xyz"}, path)
    loaded = tg.load(str(path))
    assert loaded["w"].shape == (2, 3) and loaded["b"] == bytearray(b"ab\xff")
    assert loaded["s"] == (2, 3) and loaded["raw"] == b"xyz"


# ---- 3. the manifest's parse is counted against max_bytes before it happens ----------------

def _manifest_file(path, text: str) -> str:
    np.savez_compressed(path, __tinygrad_np_format__=np.array(2),
                        __tinygrad_np_manifest__=np.frombuffer(text.encode(), dtype=np.uint8))
    return str(path)


def test_a_manifest_of_empty_lists_is_refused_before_parsing(tmp_path):
    text = "[" + "[]," * 5_592_404 + "[]]"  # 16 MB, just under the 16 MiB cap; ~400 MB parsed
    path = _manifest_file(tmp_path / "m.npz", text)

    def refused() -> None:
        with pytest.raises(ValueError, match=r"__tinygrad_np_manifest__.*counted 32 times.*"
                                             r"over the limit of 20,971,520"):
            tg.load(path, max_bytes=20 << 20)

    assert _small_peak(refused) < 5 << 20


def test_a_manifest_over_the_cap_is_refused_before_reading(tmp_path):
    text = "[" + "0," * (8 << 20) + "0]"  # 16 MiB + 3 bytes
    path = _manifest_file(tmp_path / "m.npz", text)

    def refused() -> None:
        with pytest.raises(ValueError, match="the manifest is 16,777,219 bytes, over the limit "
                                             "of 16,777,216"):
            tg.load(path, max_bytes=1 << 40)

    assert _small_peak(refused) < 5 << 20


def test_a_large_real_checkpoint_loads_within_the_default_limit(tmp_path):
    model = {f"layers.{i}.attention.weight": tg.zeros(1) for i in range(1000)}
    state = {i: {"step": tg.tensor(1.0), "exp_avg": tg.zeros(1)} for i in range(1000)}
    tg.save({"model": model, "opt": {"state": state}}, str(tmp_path / "c.pt"))
    loaded = tg.load(str(tmp_path / "c.pt"))
    assert len(loaded["model"]) == 1000 and loaded["opt"]["state"][999]["step"].item() == 1.0


# ---- 4-6. float16 means over more than 65504 (or 2048) elements ----------------------------

F = tg.nn.functional


def test_kl_div_batchmean_of_70000_float16_rows_value_and_gradient():
    x = tg.full((70000,), -1.0, dtype=tg.float16, requires_grad=True)
    loss = F.kl_div(x, tg.full((70000,), 0.5, dtype=tg.float16), reduction="batchmean")
    loss.backward()
    # 0.5 * (log 0.5 + 1) = 0.1534 per element; the sum / 70000 rounds to float16 0.1533
    assert loss.dtype == tg.float16 and loss.item() == pytest.approx(0.1533, abs=1e-4)
    assert x.grad[0].item() == pytest.approx(-0.5 / 70000, rel=1e-2)
    if torch is not None:
        tx = torch.full((70000,), -1.0, dtype=torch.float16, requires_grad=True)
        tloss = torch.nn.functional.kl_div(tx, torch.full((70000,), 0.5, dtype=torch.float16),
                                           reduction="batchmean")
        tloss.backward()
        assert loss.item() == tloss.item() and x.grad[0].item() == tx.grad[0].item()


def test_multilabel_soft_margin_loss_of_70000_float16_classes():
    x = tg.ones(1, 70000, dtype=tg.float16, requires_grad=True)
    loss = F.multilabel_soft_margin_loss(x, tg.ones(1, 70000, dtype=tg.float16))
    loss.backward()
    assert loss.item() == pytest.approx(np.log1p(np.exp(-1.0)), abs=1e-3)  # 0.3133
    assert x.grad[0, 0].item() == pytest.approx(-1 / (1 + np.e) / 70000, rel=1e-2)
    if torch is not None:
        tx = torch.ones(1, 70000, dtype=torch.float16, requires_grad=True)
        tloss = torch.nn.functional.multilabel_soft_margin_loss(
            tx, torch.ones(1, 70000, dtype=torch.float16))
        tloss.backward()
        assert loss.item() == tloss.item() and x.grad[0, 0].item() == tx.grad[0, 0].item()


def test_a_float16_count_that_float16_rounds_is_not_rounded():
    # 2049 is 2048 in float16: dividing by it would be 1 ulp off (0.3135 for 0.3132)
    each = np.float16(np.log1p(np.exp(-1.0)))
    total = np.float16(np.float32(each) * 2049)
    expected = float(np.float16(np.float32(total) / 2049))
    loss = F.multilabel_soft_margin_loss(tg.ones(1, 2049, dtype=tg.float16),
                                         tg.ones(1, 2049, dtype=tg.float16))
    assert loss.item() == expected != float(np.float16(np.float32(total) / 2048))
    if torch is not None:
        assert loss.item() == torch.nn.functional.multilabel_soft_margin_loss(
            torch.ones(1, 2049, dtype=torch.float16), torch.ones(1, 2049, dtype=torch.float16)
        ).item()


@pytest.mark.parametrize("pool", [
    lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 1, 256, 256, dtype=T.float16), 1),
    lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(1, 1, 70000, dtype=T.float16), 1),
    lambda T: T.nn.functional.avg_pool1d(T.ones(1, 1, 70000, dtype=T.float16), 70000),
    lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 300, 300, dtype=T.float16), 300),
    lambda T: T.nn.functional.adaptive_avg_pool3d(T.ones(1, 1, 50, 50, 50, dtype=T.float16), 1),
])
def test_float16_average_pools_of_big_windows_are_one(pool):
    y = pool(tg)
    assert y.dtype == tg.float16 and y.item() == 1.0
    if torch is not None:
        assert pool(torch).item() == 1.0


def test_float16_avg_pool3d_of_a_big_window_is_one():  # (PyTorch has no float16 avg_pool3d)
    y = F.avg_pool3d(tg.ones(1, 1, 50, 50, 50, dtype=tg.float16), 50)
    assert y.dtype == tg.float16 and y.item() == 1.0


def test_float16_nanmean_of_70000_ones_is_inf_as_pytorch():
    # the float16 sum (inf) divided by the count: inf, not inf / inf = NaN
    assert tg.ones(70000, dtype=tg.float16).nanmean().item() == float("inf")
    assert tg.full((3000,), 2.0, dtype=tg.float16).nanmean().item() == 2.0
    if torch is not None:
        assert torch.ones(70000, dtype=torch.float16).nanmean().item() == float("inf")


# ---- 7. a tensor as its own grad ------------------------------------------------------------

def test_a_tensor_cannot_be_its_own_grad():
    w = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="can't assign Variable as its own grad"):
        w.grad = w
    assert w.grad is None
    p = tg.nn.Parameter(tg.ones(2))
    with pytest.raises(RuntimeError, match="its own grad"):
        p.grad = p
    if torch is not None:
        tw = torch.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="can't assign Variable as its own grad"):
            tw.grad = tw


def test_a_view_of_the_tensor_as_grad_is_accepted_as_pytorch():
    # PyTorch refuses only the tensor itself; a detached copy of the values is fine
    w = tg.ones(3, requires_grad=True)
    w.grad = w.detach().clone()
    (w * 2).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0] and w.tolist() == [1.0, 1.0, 1.0]


# ---- 8. names a state dict could not tell apart --------------------------------------------

def _name_cases(T):
    nn = T.nn
    m = nn.Module()
    return [
        (lambda: nn.ParameterDict({"w.x": nn.Parameter(T.ones(1))}), KeyError,
         'parameter name can\'t contain "."'),
        (lambda: nn.ModuleDict({"a.b": nn.Linear(1, 1)}), KeyError,
         'module name can\'t contain ".", got: a.b'),
        (lambda: setattr(m, "a.b", nn.Parameter(T.ones(1))), KeyError,
         'parameter name can\'t contain "."'),
        (lambda: m.register_parameter("", nn.Parameter(T.ones(1))), KeyError,
         'parameter name can\'t be empty string ""'),
        (lambda: m.register_buffer("a.b", T.ones(1)), KeyError, 'buffer name can\'t contain "."'),
        (lambda: m.register_buffer("", T.ones(1)), KeyError,
         'buffer name can\'t be empty string ""'),
        (lambda: m.add_module("", nn.Linear(1, 1)), KeyError,
         'module name can\'t be empty string ""'),
        (lambda: nn.ModuleDict({"": nn.Linear(1, 1)}), KeyError,
         'module name can\'t be empty string ""'),
        (lambda: nn.ParameterDict({"": nn.Parameter(T.ones(1))}), KeyError,
         'parameter name can\'t be empty string ""'),
        (lambda: m.add_module(1, nn.Linear(1, 1)), TypeError,
         "module name should be a string. Got int"),
        (lambda: m.register_parameter(1, nn.Parameter(T.ones(1))), TypeError,
         "parameter name should be a string. Got int"),
    ]


@pytest.mark.parametrize("case", range(11))
def test_dotted_and_empty_names_are_refused_as_pytorch(case):
    call, error, message = _name_cases(tg)[case]
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value.args[0])
    if torch is not None:
        call, error, message = _name_cases(torch)[case]
        with pytest.raises(error) as caught:
            call()
        assert message in str(caught.value.args[0])


def test_a_module_attribute_may_hold_a_dot_as_pytorch():
    m = tg.nn.Module()
    setattr(m, "c.d", tg.nn.Linear(1, 1))  # PyTorch's __setattr__ does not check modules
    assert getattr(m, "c.d") is not None


# ---- 11. fill values that are not numbers ---------------------------------------------------

def _fills(T):
    x = T.ones(2)
    return [lambda v: T.full((2,), v), lambda v: T.full_like(x, v), lambda v: x.new_full((2,), v),
            lambda v: x.fill_(v)]


@pytest.mark.parametrize("value", ["a", None, [1], b"1"])
@pytest.mark.parametrize("which", range(4))
def test_a_fill_value_that_is_not_a_number_is_a_type_error(which, value):
    with pytest.raises(TypeError, match="must be Number, not"):
        _fills(tg)[which](value)
    if torch is not None:
        with pytest.raises(TypeError):
            _fills(torch)[which](value)


def test_a_fill_value_may_be_a_0d_tensor_but_not_a_bigger_one():
    assert tg.full((2,), tg.tensor(2.0)).tolist() == [2.0, 2.0]
    assert tg.ones(2).fill_(tg.tensor(3.0)).tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match=r"full\(\): argument 'fill_value' \(position 2\) must "
                                        "be Number, not Tensor"):
        tg.full((2,), tg.ones(2))
    if torch is not None:
        with pytest.raises(TypeError, match="must be Number, not Tensor"):
            torch.full((2,), torch.ones(2))
