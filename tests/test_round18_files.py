"""Round 18, checkpoints, devices and randomness: PyTorch 2.13's own files (uint16/32/64
tensors over untyped storages, tensors with attributes, layouts, dtypes as values, refused
objects named), and random-function arguments as PyTorch checks them."""

import io

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch writes the files")


def _round_trip(obj, **load_args):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return tg.load(buffer, **load_args)


@needs_torch
@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_unsigned_tensors_over_untyped_storages_load_with_their_dtype(name):
    dtype = getattr(torch, name)
    top = {"uint16": 65535, "uint32": 2**32 - 1, "uint64": 2**63 + 5}[name]
    whole = torch.tensor([0, 1, 7, top, 3, 9], dtype=dtype)
    saved = {"whole": whole, "tail": whole[2:], "strided": whole[::2],
             "grid": whole.view(2, 3).t(), "zero_d": whole[3], "empty": whole[:0]}
    loaded = _round_trip(saved)
    for key, tensor in saved.items():
        # (PyTorch 2.13 runs few ops on these dtypes: the values are compared as lists)
        want = tensor.tolist()
        assert loaded[key].dtype == np.dtype(name), key
        assert loaded[key].shape == tuple(tensor.shape), key
        assert loaded[key].tolist() == want, key
    assert loaded["zero_d"].tolist() == top


@needs_torch
def test_unsigned_tensors_mapped_share_their_storage(tmp_path):
    whole = torch.tensor(list(range(10)), dtype=torch.uint32)
    torch.save({"part": whole[2:5], "whole": whole}, tmp_path / "u.pt")
    loaded = tg.load(tmp_path / "u.pt", mmap=True)
    assert loaded["part"].tolist() == [2, 3, 4] and loaded["whole"].tolist() == list(range(10))
    assert np.shares_memory(loaded["part"].numpy(), loaded["whole"].numpy())


@needs_torch
def test_tensor_with_attributes_and_buffer_load_as_tensors_with_them():
    noted = torch.arange(3.0)
    noted.note = [1, "a"]
    loaded = _round_trip({"t": noted, "b": torch.nn.Buffer(torch.ones(2)), "lay": torch.strided})
    assert type(loaded["t"]) is tg.Tensor and loaded["t"].tolist() == [0.0, 1.0, 2.0]
    assert loaded["t"].note == [1, "a"]
    assert loaded["b"].tolist() == [1.0, 1.0] and loaded["b"]._is_buffer is True
    assert loaded["lay"] is tg.strided


@needs_torch
def test_dtypes_saved_as_values_load():
    saved = [torch.float32, torch.int64, torch.bool, torch.float16, torch.uint8, torch.uint16,
             torch.uint64, torch.complex64, torch.bfloat16]
    loaded = _round_trip({"dtypes": saved})["dtypes"]
    # bfloat16 is float32 here (NumPy has none; its storages load as float32 too)
    assert loaded == [tg.float32, tg.int64, tg.bool, tg.float16, tg.uint8, tg.uint16,
                      tg.uint64, np.dtype("complex64"), tg.float32]


@needs_torch
@pytest.mark.parametrize(("make", "match"), [
    (lambda: {"c": torch.tensor([1 + 2j])}, r"complex64 tensor \(torch.ComplexFloatStorage\)"),
    (lambda: {"c": torch.ones(2, dtype=torch.complex128)}, "complex128 tensor"),
    (lambda: {"f8": torch.ones(2).to(torch.float8_e4m3fn)},
     "torch.float8_e4m3fn, a dtype tinygrad_np does not have"),
    (lambda: {"dtype": torch.float8_e5m2}, "torch.float8_e5m2, a dtype"),
])
def test_tensors_of_dtypes_without_a_numpy_type_are_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        _round_trip(make())


class _Net(torch.nn.Module if torch is not None else object):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)


@needs_torch
def test_a_whole_pickled_model_is_refused_naming_its_class_and_the_remedy():
    with pytest.raises(ValueError, match=r"object of class .*_Net.*model.state_dict\(\)"):
        _round_trip(_Net())
    with pytest.raises(ValueError, match=r"object of class argparse.Namespace"):
        import argparse
        _round_trip({"args": argparse.Namespace(lr=0.1)}, weights_only=False)


@needs_torch
def test_malformed_untyped_rebuilds_are_refused():
    from tinygrad_np import torch_checkpoint as tc
    budget = tc._Budget(1 << 20)
    rebuild = tc._make_rebuild(budget)
    rebuild_v3 = tc._make_rebuild_v3(rebuild, "little")
    typed = tc._Storage(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="untyped storage"):
        rebuild_v3(typed, 0, (4,), (1,), False, None, np.dtype("uint16"))
    odd = tc._Storage(np.zeros(3, np.uint8), untyped=True)
    with pytest.raises(ValueError, match="whole number"):
        rebuild_v3(odd, 0, (1,), (1,), False, None, np.dtype("uint16"))
    with pytest.raises(ValueError, match="cannot hold"):
        rebuild_v3(odd, 0, (1,), (1,), False, None, np.dtype("complex64"))
    from_type = tc._make_rebuild_from_type((rebuild,))
    storage = tc._Storage(np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="not a new attribute"):
        from_type(rebuild, tc._Type("Tensor"), (storage, 0, (2,), (1,)), {"grad": 1})
    with pytest.raises(ValueError, match="rebuild function"):
        from_type(print, tc._Type("Tensor"), (), {})
    with pytest.raises(ValueError, match="not a torch.Tensor"):
        from_type(rebuild, "Tensor", (storage, 0, (2,), (1,)), {})
    made = from_type(rebuild, tc._Type("Parameter"), (storage, 0, (2,), (1,)), ({"x": 1}, None))
    assert isinstance(made, tg.nn.Parameter) and made.x == 1
