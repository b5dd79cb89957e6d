"""Round 18 (nn): module completeness and PyTorch checkpoint compatibility, against PyTorch."""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def _error(call):
    """(type name, message) of what `call()` raises, or None."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 (any error is compared)
        return type(error), str(error)
    return None


# ------------------------------------------------------------- lazy modules' repr
LAZY = [("LazyConv1d", (4, 3), {}), ("LazyConv2d", (4, 3), {"stride": 2, "padding": 1}),
        ("LazyConv3d", (2, 2), {"bias": False}), ("LazyConvTranspose1d", (4, 3), {}),
        ("LazyConvTranspose2d", (4, 3), {"output_padding": 1, "stride": 2}),
        ("LazyConvTranspose3d", (2, 2), {}), ("LazyBatchNorm1d", (), {}),
        ("LazyBatchNorm2d", (), {"momentum": 0.3, "affine": False}),
        ("LazyBatchNorm3d", (), {"eps": 1e-3}), ("LazyInstanceNorm1d", (), {}),
        ("LazyInstanceNorm2d", (), {"affine": False}),
        ("LazyInstanceNorm3d", (), {"track_running_stats": False})]


@needs_torch
@pytest.mark.parametrize("name, args, kwargs", LAZY)
def test_lazy_repr_before_first_call_is_pytorchs(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)


def test_lazy_repr_does_not_move_the_generator():
    tg.manual_seed(3)
    first = tg.rand(4).numpy()
    tg.manual_seed(3)
    repr(nn.LazyConv2d(8, 3))
    repr(nn.LazyBatchNorm2d())
    assert np.array_equal(tg.rand(4).numpy(), first)


def test_lazy_repr_fixed_text_and_after_materialising():
    layer = nn.LazyConv2d(4, 3, padding=1)
    assert repr(layer) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    layer(tg.zeros(1, 3, 5, 5))
    assert repr(layer) == "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"


# ------------------------------------------------------------- container indices
def _containers(lib):
    seq = lib.Sequential(lib.Linear(2, 3), lib.ReLU(), lib.Tanh())
    return seq, lib.ModuleList([lib.ReLU(), lib.Tanh()])


CONTAINER_CALLS = [
    lambda seq, ml: seq[7], lambda seq, ml: seq[-4], lambda seq, ml: seq.pop(3),
    lambda seq, ml: seq.__setitem__(5, seq[0]), lambda seq, ml: seq.__delitem__(3),
    lambda seq, ml: seq["1"], lambda seq, ml: ml[2], lambda seq, ml: ml[-3],
    lambda seq, ml: ml.pop(2), lambda seq, ml: ml.__delitem__(-3),
    lambda seq, ml: ml.__setitem__(2, ml[0]), lambda seq, ml: ml.extend(3),
    lambda seq, ml: seq.extend(3),
]


@needs_torch
@pytest.mark.parametrize("number", range(len(CONTAINER_CALLS)))
def test_container_index_errors_are_pytorchs(number):
    call = CONTAINER_CALLS[number]
    ours, theirs = _error(lambda: call(*_containers(nn))), _error(
        lambda: call(*_containers(torch.nn)))
    assert theirs is not None and ours is not None
    assert ours[0] is theirs[0] or issubclass(ours[0], theirs[0])
    if theirs[0] is IndexError:
        assert ours[1] == theirs[1]


def test_container_index_fixed_messages_and_valid_indices():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    with pytest.raises(IndexError, match=r"^index 3 is out of range$"):
        seq[3]
    with pytest.raises(TypeError):
        seq["0"]
    assert isinstance(seq[np.int64(-1)], nn.Sigmoid)
    assert isinstance(seq.pop(-3), nn.ReLU) and len(seq) == 2
    holder = nn.ModuleList([nn.ReLU()])
    with pytest.raises(IndexError, match=r"^index -2 is out of range$"):
        holder[-2]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        holder.extend(5)
    params = nn.ParameterList([nn.Parameter(tg.ones(2))])
    with pytest.raises(IndexError, match=r"^index 1 is out of range$"):
        params[1]


@needs_torch
@pytest.mark.parametrize("entries", [3, [3], [("a",)], [("a", 1, 2)]])
@pytest.mark.parametrize("kind", ["ModuleDict", "ParameterDict"])
def test_keyed_update_errors_are_pytorchs(kind, entries):
    ours = _error(lambda: getattr(nn, kind)().update(entries))
    theirs = _error(lambda: getattr(torch.nn, kind)().update(entries))
    assert ours is not None and theirs is not None and ours[0] is theirs[0]
    if kind == "ModuleDict":
        assert ours[1].replace(" ", "") == theirs[1].replace(" ", "")


# ------------------------------------------------------------- Unflatten's sizes
@needs_torch
@pytest.mark.parametrize("args", [(1, 5), (1, (2, "a")), (1, (np.int64(2), 3)),
                                  ("f", (("a", 2), ("b", 3))), (1, (2.0, 3)), (1, None)])
def test_unflatten_refuses_sizes_as_pytorch(args):
    ours, theirs = _error(lambda: nn.Unflatten(*args)), _error(lambda: torch.nn.Unflatten(*args))
    assert theirs is not None and ours == theirs


@needs_torch
@pytest.mark.parametrize("args", [(1, (2, 3)), (1, [2, -1]), (-1, (3, 2))])
def test_unflatten_accepts_as_pytorch(args):
    ours, theirs = nn.Unflatten(*args), torch.nn.Unflatten(*args)
    assert repr(ours) == repr(theirs)
    assert tuple(ours(tg.ones(4, 6)).shape) == tuple(theirs(torch.ones(4, 6)).shape)


# ------------------------------------------------------------- lazy modules' settings
@needs_torch
@pytest.mark.parametrize("name, args, kwargs", LAZY)
def test_lazy_settings_before_first_call_are_pytorchs(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    settings = {key: value for key, value in vars(theirs).items()
                if not key.startswith("_") and key != "training"}
    assert settings
    for key, value in settings.items():
        assert getattr(ours, key) == value, key
    if hasattr(theirs, "_reversed_padding_repeated_twice"):
        assert list(ours._reversed_padding_repeated_twice) == list(
            theirs._reversed_padding_repeated_twice)


def test_lazy_settings_fixed_values_and_the_build_after():
    layer = nn.LazyConv2d(6, (3, 5), stride=2, groups=3)
    assert (layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
            layer.groups) == (0, 6, (3, 5), (2, 2), 3)
    layer(tg.zeros(1, 3, 9, 9))
    assert layer.in_channels == 3 and layer.weight.shape == (6, 1, 3, 5)
    norm = nn.LazyBatchNorm1d(momentum=0.2)
    assert (norm.num_features, norm.momentum, norm.eps) == (0, 0.2, 1e-5)
    norm(tg.randn(4, 5))
    assert norm.num_features == 5 and norm.running_mean.shape == (5,)


@needs_torch
def test_lazy_conv_checks_as_pytorch():
    # groups not dividing out_channels: accepted until the first call (PyTorch's stand-in
    # has 0 output channels), then an error; a strided 'same' padding: refused at once
    for lib, make in ((torch.nn, torch.ones), (nn, tg.ones)):
        layer = lib.LazyConv2d(5, 3, groups=2)
        assert layer.out_channels == 5 and layer.groups == 2
        with pytest.raises((RuntimeError, ValueError)):
            layer(make(1, 4, 5, 5))
        with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
            lib.LazyConv2d(4, 3, stride=2, padding="same")


def test_sync_batch_norm_keeps_process_group():
    group = object()
    assert nn.SyncBatchNorm(3, process_group=group).process_group is group
    model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)), group)
    assert model[0].process_group is group and nn.SyncBatchNorm(3).process_group is None


# ------------------------------------------------------------- Module internals PyTorch code reads
def test_missing_forward_message_is_pytorchs():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError,
                       match=r'^Module \[NoForward\] is missing the required "forward" function$'):
        NoForward()(tg.ones(1))


@needs_torch
def test_non_persistent_buffers_set_as_pytorch():
    for lib, make in ((torch.nn, torch.ones), (nn, tg.ones)):
        module = lib.BatchNorm1d(2)
        assert set(module._non_persistent_buffers_set) == set()
        module.register_buffer("scratch", make(1), persistent=False)
        assert set(module._non_persistent_buffers_set) == {"scratch"}
        assert "scratch" in module._non_persistent_buffers_set
        assert "running_mean" not in module._non_persistent_buffers_set
        module._non_persistent_buffers_set.add("running_mean")  # left out of the state dict
        assert list(module.state_dict()) == ["weight", "bias", "running_var",
                                             "num_batches_tracked"]
        module._non_persistent_buffers_set.discard("running_mean")
        module._non_persistent_buffers_set.discard("scratch")  # persistent again
        assert list(module.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                             "num_batches_tracked", "scratch"]
        assert len(lib.Linear(2, 2)._non_persistent_buffers_set) == 0


# ------------------------------------------------------------- AlphaDropout's inplace flag
@pytest.mark.parametrize("name", ["AlphaDropout", "FeatureAlphaDropout"])
def test_alpha_dropout_modules_never_overwrite_their_input(name):
    # PyTorch's modules show inplace=True but call the functional form without it
    layer = getattr(nn, name)(0.5, inplace=True)
    assert repr(layer) == f"{name}(p=0.5, inplace=True)"
    x = tg.ones(4, 6, 3)
    y = layer(x)
    assert y is not x and np.array_equal(x.numpy(), np.ones((4, 6, 3), np.float32))
    assert not np.array_equal(y.numpy(), x.numpy())
    layer.eval()
    assert np.array_equal(layer(x).numpy(), x.numpy())


@needs_torch
@pytest.mark.parametrize("name", ["AlphaDropout", "FeatureAlphaDropout", "Dropout", "Dropout2d",
                                  "ReLU", "Hardtanh", "RReLU", "SELU"])
def test_inplace_flag_changes_the_input_as_in_pytorch(name):
    outcome = []
    for lib, make in ((torch.nn, torch.ones), (nn, tg.ones)):
        x = make(2, 4, 6, 3) * -0.5
        before = x.numpy().copy()
        y = getattr(lib, name)(inplace=True)(x)
        outcome.append((y is x, np.array_equal(x.numpy(), before)))
    assert outcome[0] == outcome[1]


# ------------------------------------------------ _modules / _parameters keep every name
@needs_torch
def test_private_member_dicts_list_a_member_under_each_name():
    for lib in (torch.nn, nn):
        relu = lib.ReLU()
        seq = lib.Sequential(relu, relu)
        assert list(seq._modules) == ["0", "1"] and len(seq._modules) == 2
        assert [name for name, _ in seq.named_children()] == ["0"]
        assert list((seq + seq)._modules) == ["0", "1", "2", "3"]
        layer = lib.Linear(1, 1)
        layer.tied = layer.weight
        assert list(layer._parameters) == ["weight", "bias", "tied"]
        assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
        assert list(layer.state_dict()) == ["weight", "bias", "tied"]


# ------------------------------------------------ ModuleDict/ParameterDict reserved keys
@needs_torch
@pytest.mark.parametrize("key", ["training", "forward", "keys", "update", "state_dict", "a",
                                 "weight"])
@pytest.mark.parametrize("kind", ["ModuleDict", "ParameterDict"])
def test_keyed_containers_refuse_taken_names_as_pytorch(kind, key):
    outcome = []
    for lib, make in ((torch.nn, torch.ones), (nn, tg.ones)):
        value = lib.ReLU() if kind == "ModuleDict" else lib.Parameter(make(1))
        outcome.append(_error(lambda lib=lib, value=value: getattr(lib, kind)().__setitem__(
            key, value)))
    assert outcome[0] == outcome[1]


def test_module_dict_taken_name_fixed_message():
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        nn.ModuleDict({"forward": nn.ReLU()})
    holder = nn.ModuleDict({"a": nn.ReLU()})
    holder["a"] = nn.Tanh()  # replacing an entry is fine
    assert isinstance(holder["a"], nn.Tanh)


# ------------------------------------------------------------- a checkpoint into lazy modules
def _lazy_source():
    source = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Conv1d(4, 2, 3),
                                 torch.nn.BatchNorm1d(2), torch.nn.ConvTranspose1d(2, 3, 2),
                                 torch.nn.BatchNorm1d(3, affine=False))
    source.train()
    source(torch.randn(4, 4, 3))
    return source.eval()


def _lazy_model(lib):
    return lib.Sequential(lib.LazyLinear(4), lib.LazyConv1d(2, 3), lib.LazyBatchNorm1d(),
                          lib.LazyConvTranspose1d(3, 2), lib.LazyBatchNorm1d(affine=False))


@needs_torch
def test_state_dict_loads_into_lazy_modules_as_pytorch():
    torch.manual_seed(0)
    source = _lazy_source()
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    theirs = _lazy_model(torch.nn)
    theirs.load_state_dict(source.state_dict())
    theirs.eval()
    ours = _lazy_model(nn)
    result = ours.load_state_dict({k: v.numpy() for k, v in source.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>"
    assert [tuple(p.shape) for p in ours.parameters()] == [
        tuple(p.shape) for p in theirs.parameters()]
    assert not any(layer.has_uninitialized_params() for layer in ours)
    ours.eval()
    expected = source(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(theirs(torch.tensor(x)).detach().numpy(), expected)
    assert [type(layer).__name__ for layer in ours] == [type(layer).__name__ for layer in theirs]
    assert repr(ours[0]) == "Linear(in_features=3, out_features=4, bias=True)"


def test_lazy_load_then_first_call_draws_nothing_and_keeps_values():
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    tg.manual_seed(5)
    expected = tg.rand(3).numpy()
    tg.manual_seed(5)
    layer = nn.LazyLinear(2)
    optimizer = tg.optim.SGD(layer.parameters(), lr=1.0)  # holds the placeholders
    layer.load_state_dict({"weight": weight, "bias": np.zeros(2, np.float32)})
    out = layer(tg.ones(1, 3))
    np.testing.assert_array_equal(out.numpy(), [[3.0, 12.0]])
    assert np.array_equal(tg.rand(3).numpy(), expected)  # the generator did not move
    out.sum().backward()
    optimizer.step()  # the optimizer's tensors are the module's
    np.testing.assert_array_equal(layer.weight.numpy(), weight - 1)


def test_lazy_partial_load_draws_only_what_is_missing():
    layer = nn.LazyLinear(4)
    keys = layer.load_state_dict({"weight": np.ones((4, 3), np.float32)}, strict=False)
    assert keys.missing_keys == ["bias"] and isinstance(layer.bias, nn.UninitializedParameter)
    layer(tg.ones(2, 3))
    assert type(layer) is nn.Linear and layer.weight.numpy().sum() == 12.0
    bias = layer.bias.numpy()
    assert bias.shape == (4,) and np.all(np.abs(bias) <= 1 / np.sqrt(3)) and bias.any()
    conv = nn.LazyConv1d(4, 3)
    conv.load_state_dict({"weight": np.ones((4, 2, 3), np.float32)}, strict=False)
    conv(tg.ones(1, 2, 5))
    assert type(conv) is nn.Conv1d and conv.weight.numpy().sum() == 24.0
    assert conv.in_channels == 2 and conv.bias.shape == (4,)


def test_failed_load_leaves_lazy_placeholders():
    model = nn.Sequential(nn.LazyLinear(4), nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="size mismatch for 1.weight"):
        model.load_state_dict({"0.weight": np.ones((4, 3), np.float32),
                               "0.bias": np.ones(4, np.float32),
                               "1.weight": np.ones((3, 3), np.float32),
                               "1.bias": np.ones(2, np.float32)})
    assert isinstance(model[0].weight, nn.UninitializedParameter)
    assert model[0].has_uninitialized_params()
    model[0](tg.ones(2, 5))  # built from the input as if nothing had been loaded
    assert model[0].weight.shape == (4, 5) and not np.all(model[0].weight.numpy() == 1)


# ------------------------------------------------------------- ModuleList repr of subclasses
@needs_torch
def test_module_list_repr_folds_under_the_subclass_name():
    texts = []
    for lib in (torch.nn, nn):
        class Stack(lib.ModuleList):
            pass

        class Symmetric(lib.Module):
            def forward(self, x):
                return x.triu() + x.triu(1).transpose(-1, -2)

        layer = lib.Linear(3, 3)
        for _ in range(2):
            lib.utils.parametrize.register_parametrization(layer, "weight", Symmetric())
        texts.append((repr(Stack([lib.ReLU(), lib.ReLU(), lib.Tanh()])), repr(Stack()),
                      repr(layer.parametrizations)))
    assert texts[0] == texts[1]
    assert texts[1][0] == "Stack(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)"
    assert "(0-1): 2 x Symmetric()" in texts[1][2]


# ------------------------------------------------------------- registration order of late members
def _late_members(lib, make):
    class Late(lib.Module):
        def __init__(self):
            super().__init__()
            self.weight = None  # a plain attribute first: the Parameter set later comes last
            self.child = None
            self.register_buffer("stat", make(1))
            self.bias = lib.Parameter(make(1))
            self.other = lib.Linear(1, 1)
            self.weight = lib.Parameter(make(2))
            self.child = lib.Linear(1, 1)
            self.stat = lib.Parameter(make(3))  # a buffer replaced by a Parameter

    return Late()


@needs_torch
def test_late_members_are_ordered_as_pytorch_registers_them():
    orders = []
    for lib, make in ((torch.nn, torch.ones), (nn, tg.ones)):
        module = _late_members(lib, make)
        orders.append((list(module.state_dict()), [n for n, _ in module.named_parameters()],
                       [n for n, _ in module.named_buffers()],
                       [n for n, _ in module.named_children()]))
    assert orders[0] == orders[1]


def test_late_members_fixed_order_and_optimizer_indices():
    module = _late_members(nn, tg.ones)
    assert list(module.state_dict()) == ["bias", "weight", "stat", "other.weight",
                                         "other.bias", "child.weight", "child.bias"]
    assert not list(module.named_buffers())
    state = tg.optim.SGD(module.parameters(), lr=0.1).state_dict()
    assert state["param_groups"][0]["params"] == list(range(7))
    assert [p.shape for p in module.parameters()][:3] == [(1,), (2,), (3,)]
    registered = nn.Linear(2, 2)
    registered.register_parameter("extra", None)  # a registered None keeps its place
    registered.late = nn.Parameter(tg.ones(1))
    registered.extra = nn.Parameter(tg.ones(1))
    assert list(registered.state_dict()) == ["weight", "bias", "extra", "late"]


@needs_torch
@pytest.mark.parametrize("first", [3, None])
def test_buffer_over_a_plain_attribute_is_refused_as_pytorch(first):
    for lib, make in ((torch.nn, torch.ones), (nn, tg.ones)):
        module = lib.Module()
        module.x = first
        with pytest.raises(KeyError, match="attribute 'x' already exists"):
            module.x = lib.Buffer(make(1))
        module.register_buffer("y", make(1))
        module.y = lib.Buffer(make(2))  # a buffer replacing a buffer is fine
        assert tuple(module.y.shape) == (2,) and list(module.state_dict()) == ["y"]


@needs_torch
def test_backward_hook_dicts_as_pytorch():
    def hook(*args):
        return None

    for lib in (torch.nn, nn):
        layer = lib.Linear(2, 2)
        assert len(layer._backward_hooks) == len(layer._backward_pre_hooks) == 0
        handle = layer.register_full_backward_hook(hook)
        layer.register_full_backward_pre_hook(hook)
        assert list(layer._backward_hooks.values()) == [hook]
        assert list(layer._backward_pre_hooks.values()) == [hook]
        handle.remove()
        assert len(layer._backward_hooks) == 0


@needs_torch
@pytest.mark.parametrize("name", [name for name, _, _ in LAZY])
def test_lazy_signatures_name_pytorchs_arguments(name):
    import inspect

    def described(cls):
        return [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]

    assert described(getattr(nn, name)) == described(getattr(torch.nn, name))
    with pytest.raises(TypeError):
        getattr(nn, name)(not_an_argument=1)


@pytest.mark.parametrize("device", ["xpu", "ipu", "mtia"])
def test_other_accelerator_moves_fail_clearly(device):
    layer = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match=f"device '{device}' is not available"):
        getattr(layer, device)()
    assert nn.Module.dump_patches is False


@needs_torch
def test_uninitialized_state_dict_round_trip_as_pytorch():
    for lib, make in ((torch.nn, torch.ones), (nn, tg.ones)):
        source = lib.Sequential(lib.LazyLinear(3), lib.LazyBatchNorm1d())
        state = source.state_dict()
        assert [type(value).__name__ for value in state.values()] == [
            "UninitializedParameter"] * 4 + ["UninitializedBuffer"] * 2 + ["Tensor"]
        target = lib.Sequential(lib.LazyLinear(3), lib.LazyBatchNorm1d())
        assert repr(target.load_state_dict(state)) == "<All keys matched successfully>"
        assert target[0].has_uninitialized_params()  # still lazy: built at the first call
        assert tuple(target(make(2, 4)).shape) == (2, 3)
        with pytest.raises(RuntimeError, match="(?i)can't access the shape of an "
                                               "uninitialized parameter or buffer"):
            lib.Linear(2, 3).load_state_dict(lib.LazyLinear(3).state_dict())
