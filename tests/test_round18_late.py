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
