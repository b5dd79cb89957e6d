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
    # torch.bfloat16 as a value is torch.bfloat16, as PyTorch's (its storages load as float32)
    assert loaded == [tg.float32, tg.int64, tg.bool, tg.float16, tg.uint8, tg.uint16,
                      tg.uint64, tg.complex64, tg.bfloat16]
    assert all(isinstance(dtype, tg.dtype) for dtype in loaded)


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
    with pytest.raises(ValueError, match=r"object of class fractions.Fraction"):
        import fractions
        _round_trip({"ratio": fractions.Fraction(1, 3)}, weights_only=False)


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


# ------------------------------------------------------------ random and device arguments
@needs_torch
@pytest.mark.parametrize("call", [
    lambda m: m.rand(), lambda m: m.randn(),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), 2.0),
    lambda m: m.tensor([0.2, 0.8]).multinomial(1.0, True),
    lambda m: m.device(None), lambda m: m.device(1.5),
])
def test_argument_types_are_typeerrors_as_pytorch(call):
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError):
        call(tg)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda m: m.randint(3, 10, (3,), dtype=m.bool),
    lambda m: m.randint(-1, 2, (3,), dtype=m.bool),
    lambda m: m.Generator("cuda"),
    lambda m: m.Generator(device="cuda:0"),
])
def test_out_of_range_bool_randint_and_gpu_generators_are_runtimeerrors(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(tg)


def test_valid_forms_still_work():
    assert tg.rand(()).shape == () and tg.randn(size=(2,)).shape == (2,)
    flags = tg.randint(0, 2, (200,), dtype=tg.bool)
    assert flags.dtype == tg.bool and set(flags.tolist()) == {False, True}
    assert tg.Generator("cpu").device == tg.device("cpu")
    assert tg.Generator(device=tg.device("cpu")).manual_seed(1).initial_seed() == 1
    assert tg.multinomial(tg.tensor([0.0, 1.0]), 1).tolist() == [1]



@needs_torch
@pytest.mark.parametrize("call", [
    lambda m: m.ones(2).to(m.float64, "cpu"), lambda m: m.ones(2).to("cpu", "cpu"),
    lambda m: m.ones(2).to(m.ones(1), m.float64), lambda m: m.ones(2).to("cpu", m.ones(1)),
    lambda m: m.nn.Linear(2, 2).to(m.float64, "cpu"),
])
def test_to_with_arguments_in_no_pytorch_form_is_a_typeerror(call):
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError, match="invalid combination"):
        call(tg)


@needs_torch
def test_to_forms_with_positional_flags_match_pytorch():
    for module in (torch, tg):
        linear = module.nn.Linear(2, 2)
        assert linear.to("cpu", module.float64, True) is linear  # (non_blocking)
        assert linear.weight.dtype == module.float64
        ones = module.ones(2)
        assert ones.to("cpu", module.float64, True, True).dtype == module.float64
        assert ones.to(module.float32, False, True) is not ones  # (copy=True)
        assert ones.to(module.device("cpu"), module.int64).dtype == module.int64
        assert ones.to(module.ones(1, dtype=module.int32), True).dtype == module.int32


@needs_torch
@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.int64), 0.5),
    lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.bool), 0.5),
    lambda m: m.nn.Dropout(0.3)(m.ones(3, dtype=m.int32)),
    lambda m: m.nn.functional.dropout2d(m.ones(1, 3, 2, 2, dtype=m.int64), 0.5),
    lambda m: m.nn.functional.dropout1d(m.ones(2, 3, dtype=m.int64), 0.5),
    lambda m: m.nn.functional.alpha_dropout(m.ones(3, dtype=m.int64), 0.5, True),
    lambda m: m.nn.functional.feature_alpha_dropout(m.ones(1, 2, 3, dtype=m.int64), 0.5, True),
])
def test_dropout_that_scales_an_integer_tensor_is_a_runtimeerror(call):
    with pytest.raises(RuntimeError, match="can't be cast"):
        call(torch)
    with pytest.raises(RuntimeError, match="can't be cast"):
        call(tg)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.int64), 0.0),
    lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.int64), 1.0),
    lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.int64), 0.5, training=False),
    lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.bool), 1.0),
    lambda m: m.nn.functional.dropout(m.ones(0, dtype=m.int64), 0.5),
    lambda m: m.nn.functional.dropout2d(m.ones(1, 3, 2, 2, dtype=m.int64), 1.0),
    lambda m: m.nn.functional.alpha_dropout(m.ones(3, dtype=m.int64), 1.0, True),
    lambda m: m.nn.functional.dropout(m.ones(3, dtype=m.int64), 1.0, inplace=True),
])
def test_dropout_of_integers_that_scales_nothing_keeps_the_dtype(call):
    theirs, ours = call(torch), call(tg)
    assert str(ours.dtype) == str(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


@needs_torch
@pytest.mark.parametrize(("call", "error"), [
    (lambda m: m.ones(3).bernoulli_(m.full((2,), 0.3)), RuntimeError),
    (lambda m: m.ones(2, 3).bernoulli_(m.full((2,), 0.3)), RuntimeError),
    (lambda m: m.randperm(5, dtype=m.bool), NotImplementedError),
    (lambda m: m.randperm(2, dtype=m.bool), NotImplementedError),
    (lambda m: m.multinomial(m.tensor([1.0, 2.0]), True), TypeError),
    (lambda m: m.empty(3, dtype=m.float16).random_(0, 70000), RuntimeError),
    (lambda m: m.empty(3, dtype=m.float16).random_(-70000, 3), RuntimeError),
])
def test_random_argument_errors_as_pytorch(call, error):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(tg)


def test_random_forms_next_to_those_errors_still_work():
    assert tg.ones(2, 3).bernoulli_(tg.full((3,), 1.0)).tolist() == [[1.0] * 3] * 2
    assert tg.ones(2, 3).bernoulli_(tg.full((2, 1), 0.0)).tolist() == [[0.0] * 3] * 2
    values = tg.empty(1000, dtype=tg.float16).random_(0, 65505)
    assert 0 <= values.float().min().item() and values.float().max().item() <= 65504
    assert sorted(tg.randperm(4, dtype=tg.int8).tolist()) == [0, 1, 2, 3]


# ------------------------------------------ NumPy values and argparse.Namespace in torch files
@needs_torch
def test_numpy_values_and_a_namespace_in_a_torch_checkpoint_load():
    import argparse
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    saved = {"loss": np.float64(2.5), "step": np.int32(-3), "flag": np.bool_(True),
             "half": np.float16(1.5), "grid": np.arange(6, dtype=np.int32).reshape(2, 3),
             "fortran": fortran, "empty": np.zeros((0, 2)), "big_endian": np.arange(3, dtype=">f4"),
             "args": argparse.Namespace(lr=0.1, name="run", layers=[1, 2]), "nothing": b"",
             "model": torch.nn.Linear(2, 1).state_dict()}
    buffer = io.BytesIO()
    torch.save(saved, buffer)
    assert torch.load(io.BytesIO(buffer.getvalue()), weights_only=False)["args"].lr == 0.1
    buffer.seek(0)
    loaded = tg.load(buffer, weights_only=False)
    for key in ("loss", "step", "flag", "half"):
        assert type(loaded[key]) is type(saved[key]) and loaded[key] == saved[key], key
    for key in ("grid", "fortran", "empty", "big_endian"):
        assert type(loaded[key]) is np.ndarray, key
        assert loaded[key].shape == saved[key].shape, key
        assert np.array_equal(loaded[key], saved[key]), key
    assert loaded["args"] == saved["args"] and loaded["nothing"] == b""
    assert loaded["model"]["weight"].shape == (1, 2)


@pytest.mark.parametrize(("call", "match"), [
    (lambda tc: tc._numpy_dtype("O"), "not numeric"),
    (lambda tc: tc._numpy_dtype(b"f8"), "short str"),
    (lambda tc: tc._numpy_dtype("V8"), "not numeric"),
    (lambda tc: tc._dtype_state(np.dtype("f8", False, True), (3, "<", None, ("a",), None,
                                                              -1, -1, 0)), "plain numeric"),
    (lambda tc: tc._numpy_scalar(np.dtype("f8"), b"\x00"), "its bytes"),
    (lambda tc: tc._numpy_scalar(np.dtype("f8"), "12345678"), "its bytes"),
    (lambda tc: tc._numpy_reconstruct(list, (0,), b"b"), "as NumPy pickles"),
    (lambda tc: tc._array_state(np.ndarray((0,), np.uint8), (1, (2,), np.dtype("O"), False,
                                                             [1, 2])), "numeric array"),
    (lambda tc: tc._array_state(np.ndarray((0,), np.uint8), (1, (10**6,), np.dtype("f8"),
                                                             False, b"")), "does not match"),
    (lambda tc: tc._empty_bytes(10**12), "with arguments"),
])
def test_numpy_rebuilds_refuse_anything_but_plain_numeric_values(call, match):
    from tinygrad_np import torch_checkpoint
    with pytest.raises(ValueError, match=match):
        call(torch_checkpoint)


def _hand_made_checkpoint(pickle_bytes: bytes) -> io.BytesIO:
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle_bytes)
        archive.writestr("archive/byteorder", "little")
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("state", [
    b"}K\x05Ns",            # {5: None}: a key that is not a name
    b"}X\x08\x00\x00\x00__dict__Ns",  # a dunder name
    b"K\x05",               # not a dict
])
def test_a_namespace_state_that_is_not_names_is_refused(state):
    pickled = b"\x80\x02cargparse\nNamespace\n)\x81" + state + b"b."
    with pytest.raises(ValueError, match="Namespace's state is not a dict of names"):
        tg.load(_hand_made_checkpoint(pickled))
    good = tg.load(_hand_made_checkpoint(b"\x80\x02cargparse\nNamespace\n)\x81}X\x02\x00"
                                         b"\x00\x00lrK\x03sb."))
    assert good.lr == 3


@needs_torch
@pytest.mark.parametrize(("scheduler", "options"), [
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 20}), ("ReduceLROnPlateau", {"patience": 1}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3}), ("MultiStepLR", {"milestones": [2, 4]}),
])
def test_training_resumes_from_a_pytorch_checkpoint_with_its_schedule(scheduler, options):
    def make(module, weights):
        parameter = module.nn.Parameter(module.tensor(weights))
        optimizer = module.optim.Adam([parameter], lr=0.05)
        return parameter, optimizer, getattr(module.optim.lr_scheduler, scheduler)(
            optimizer, **options)

    def step(module, parameter, optimizer, schedule):
        optimizer.zero_grad()
        (parameter * parameter).sum().backward()
        optimizer.step()
        schedule.step(1.0) if scheduler == "ReduceLROnPlateau" else schedule.step()

    start = [1.0, -2.0, 0.5]
    theirs = make(torch, start)
    for _ in range(3):
        step(torch, *theirs)
    buffer = io.BytesIO()
    torch.save({"weights": theirs[0].detach(), "optimizer": theirs[1].state_dict(),
                "scheduler": theirs[2].state_dict(), "epoch": 3}, buffer)
    buffer.seek(0)
    checkpoint = tg.load(buffer, map_location="cpu", weights_only=True)
    ours = make(tg, checkpoint["weights"].tolist())
    ours[1].load_state_dict(checkpoint["optimizer"])
    ours[2].load_state_dict(checkpoint["scheduler"])
    for _ in range(4):
        step(torch, *theirs)
        step(tg, *ours)
        assert ours[1].param_groups[0]["lr"] == pytest.approx(theirs[1].param_groups[0]["lr"])
    np.testing.assert_allclose(ours[0].detach().numpy(), theirs[0].detach().numpy(),
                               rtol=1e-6, atol=1e-7)


@needs_torch
def test_a_pytorch_rng_state_from_a_checkpoint_seeds_the_generator_reproducibly():
    torch.manual_seed(5)
    buffer = io.BytesIO()
    torch.save({"rng": torch.get_rng_state(),
                "other": torch.Generator().manual_seed(9).get_state()}, buffer)
    buffer.seek(0)
    checkpoint = tg.load(buffer)
    assert checkpoint["rng"].shape == (5056,) and checkpoint["rng"].dtype == tg.uint8
    tg.set_rng_state(checkpoint["rng"])
    first = tg.rand(4).tolist()
    tg.set_rng_state(checkpoint["rng"])
    assert tg.rand(4).tolist() == first
    generator = tg.Generator()
    generator.set_state(checkpoint["rng"])
    assert tg.rand(4, generator=generator).tolist() == first
    tg.set_rng_state(checkpoint["other"])
    assert tg.rand(4).tolist() != first
    torch.set_rng_state(torch.from_numpy(checkpoint["rng"].numpy()))  # (PyTorch's stream:
    assert torch.rand(4).tolist() == first  # the state resumes it here)
    with pytest.raises(RuntimeError, match="CPUGeneratorImplState of size 5056"):
        tg.set_rng_state(tg.zeros(10, dtype=tg.uint8))


@needs_torch
def test_pytorchs_own_device_objects_stand_for_the_device_they_name():
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buffer)
    buffer.seek(0)
    assert tg.load(buffer, map_location=torch.device("cpu"))["w"].tolist() == [1.0, 1.0]
    assert tg.ones(2).to(torch.device("cpu")).device == tg.device("cpu")
    assert tg.zeros(1, device=torch.device("cpu")).device == tg.device("cpu")
    assert tg.nn.Linear(1, 1).to(torch.device("cpu"), tg.float64).weight.dtype == tg.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        tg.ones(2).to(torch.device("cuda"))
    with pytest.raises(TypeError, match="expected a device"):
        tg.load(io.BytesIO(b"PK"), map_location=object())
