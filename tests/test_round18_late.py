"""Late fixes of session 24, each against PyTorch 2.13 where installed."""

from __future__ import annotations

import warnings

import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")


def test_autocast_fast_dtype_is_the_device_default_as_pytorch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (cuda autocast without CUDA warns in both)
        for device in ("cpu", "cuda"):
            assert str(tg.autocast(device).fast_dtype).split(".")[-1] == \
                str(torch.autocast(device).fast_dtype).split(".")[-1]
    assert tg.autocast("cpu", dtype=tg.float16).fast_dtype == tg.float16


def test_set_multithreading_enabled_sets_at_once_and_restores_after_with():
    for lib in (torch, tg):
        switch = lib.autograd.set_multithreading_enabled(False)
        assert lib.autograd.is_multithreading_enabled() is False
        with switch:
            pass
        assert lib.autograd.is_multithreading_enabled() is True
        assert lib.autograd.grad_mode.set_multithreading_enabled is \
            lib.autograd.set_multithreading_enabled


def test_parameter_dict_missing_key_is_pytorchs_attribute_error():
    for lib in (torch, tg):
        entries = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2))})
        with pytest.raises(AttributeError, match="has no attribute 'b'"):
            entries["b"]
        assert entries.get("b") is None and "b" not in entries
    with pytest.raises(KeyError):  # still a KeyError for code written against dicts
        tg.nn.ParameterDict()["b"]
    with pytest.raises(KeyError):  # ModuleDict stays a KeyError, as PyTorch's
        tg.nn.ModuleDict()["b"]


def test_a_sampler_of_index_tensors_is_batched_as_its_ints_are():
    """SubsetRandomSampler(tensor) yields 0-d index tensors (as PyTorch's): the loader's
    batched fetch takes them as the ints they hold (an epoch of 4,000 was 0.66 s sample by
    sample), with the same batches as indexing sample by sample."""
    from tinygrad_np.utils.data import DataLoader, TensorDataset

    data = TensorDataset(tg.arange(40.0).reshape(20, 2), tg.arange(20))
    order = [tg.tensor(i) for i in (3, 17, 0, 9, 9, -1)]
    x, y = next(iter(DataLoader(data, batch_size=6, sampler=order)))
    assert y.tolist() == [3, 17, 0, 9, 9, 19]
    assert x.tolist() == [data[int(i)][0].tolist() for i in order]
    mixed = [tg.tensor(1), 2]  # not all tensors: sample by sample, the same rows
    assert next(iter(DataLoader(data, batch_size=2, sampler=mixed)))[1].tolist() == [1, 2]
    tdata = torch.utils.data.TensorDataset(torch.arange(40.0).reshape(20, 2), torch.arange(20))
    torder = [torch.tensor(i) for i in (3, 17, 0, 9, 9, -1)]
    assert next(iter(torch.utils.data.DataLoader(tdata, batch_size=6, sampler=torder)))[
        1].tolist() == y.tolist()
