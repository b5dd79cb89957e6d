"""Eleventh round of probes against PyTorch, the nn side: parametrize chains, modules
registered twice, state-dict extension points and hooks, containers, optimizers and the
DataLoader. Each test runs the same code on tinygrad_np and on PyTorch when it is installed."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


def libraries() -> list:
    """tinygrad_np, and PyTorch when installed: each test runs on both."""
    return [tg] if torch is None else [tg, torch]


def both(function):
    """Run `function(L)` on both libraries; the results as NumPy-friendly values."""
    return [function(L) for L in libraries()]


def same(function) -> None:
    """`function(L)` returns the same value (nested lists and arrays) on both libraries."""
    results = both(function)
    for result in results[1:]:
        np.testing.assert_equal(_plain(result), _plain(results[0]))


def _plain(value):
    if hasattr(value, "detach"):
        return np.asarray(value.detach().numpy())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


# ----------------------------------------------------------------- 1. parametrize
def _double_add_one(L, inverse: bool):
    nn = L.nn

    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    class AddOne(nn.Module):
        def forward(self, x):
            return x + 1

        def right_inverse(self, x):
            return x - 1

    if inverse:
        Double.right_inverse = lambda self, x: x / 2
    m = nn.Linear(2, 2)
    with L.no_grad():
        m.weight.fill_(1.0)
    nn.utils.parametrize.register_parametrization(m, "weight", Double())
    nn.utils.parametrize.register_parametrization(m, "weight", AddOne())
    return m


def test_parametrizations_chain():
    def run(L):
        m = _double_add_one(L, inverse=False)
        m.weight.sum().backward()
        original = m.parametrizations.weight.original
        return [m.weight, len(m.parametrizations.weight), original.grad, list(m.state_dict())]
    same(run)


def test_parametrized_assignment_calls_right_inverse():
    def run(L):
        m = _double_add_one(L, inverse=True)
        m.weight = L.ones(2, 2) * 5
        return [m.weight, m.parametrizations.weight.original,
                L.nn.utils.parametrize.type_before_parametrizations(m) is L.nn.Linear]
    same(run)
    m = _double_add_one(tg, inverse=False)
    with pytest.raises(RuntimeError, match="right_inverse"):
        m.weight = tg.ones(2, 2)


def test_parametrization_changing_shape_needs_unsafe():
    def run(L):
        class First(L.nn.Module):
            def forward(self, x):
                return x[0]
        register = L.nn.utils.parametrize.register_parametrization
        with pytest.raises(ValueError):
            register(L.nn.Linear(2, 2), "weight", First())
        m = register(L.nn.Linear(2, 2), "weight", First(), unsafe=True)
        return list(m.weight.shape)
    same(run)


def test_transfer_parametrizations_and_params():
    def run(L):
        parametrize = L.nn.utils.parametrize
        source = _double_add_one(L, inverse=False)
        target = L.nn.Linear(2, 2)
        parametrize.transfer_parametrizations_and_params(source, target)
        return [target.weight, parametrize.is_parametrized(target, "weight"),
                target.parametrizations.weight.original is
                source.parametrizations.weight.original]
    same(run)


# ----------------------------------------------------------------- 2. a module under two names
def test_module_registered_twice():
    def run(L):
        shared = L.nn.Linear(2, 2)
        m = L.nn.Sequential(shared, L.nn.ReLU(), shared)
        norms = L.nn.Sequential(L.nn.BatchNorm1d(2), L.nn.BatchNorm1d(2))
        return [m.get_submodule("2") is shared, m.get_parameter("2.weight") is shared.weight,
                repr(m), list(m.state_dict()), len(list(m.parameters())),
                norms.get_buffer("1.running_mean")]
    same(run)
    with pytest.raises(AttributeError):
        tg.nn.Sequential(tg.nn.ReLU()).get_parameter("0.weight")


# ----------------------------------------------------------------- 3. state-dict extension points
def _renaming_net(L):
    """A layer that renamed `w` to `weight` and loads old checkpoints through the usual shim,
    with extra state."""
    nn = L.nn

    class Renamed(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(L.zeros(2))
            self.calls = 0
            self.note = "fresh"

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                  missing_keys, unexpected_keys, error_msgs):
            self.calls += 1
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                          missing_keys, unexpected_keys, error_msgs)

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    return nn.Sequential(nn.Linear(2, 2), Renamed())


def test_load_from_state_dict_override_and_extra_state():
    def run(L):
        net = _renaming_net(L)
        net[1].note = "saved"
        state = net.state_dict()
        keys = list(state)
        old = {"0.weight": L.ones(2, 2), "0.bias": L.ones(2), "1.w": L.full((2,), 3.0),
               "1._extra_state": {"note": "loaded"}}
        target = _renaming_net(L)
        result = target.load_state_dict(old)
        return [keys, state["1._extra_state"], target[1].weight, target[1].note,
                target[1].calls, list(result.missing_keys), list(result.unexpected_keys),
                state._metadata["1"]["version"]]
    same(run)


def test_state_dict_hooks():
    def run(L):
        calls = []
        net = L.nn.Sequential(L.nn.Linear(2, 2))
        handles = [
            net[0].register_state_dict_pre_hook(
                lambda module, prefix, keep_vars: calls.append(("pre", prefix, keep_vars))),
            net[0].register_state_dict_post_hook(
                lambda module, state, prefix, meta: state.__delitem__(prefix + "bias")),
        ]
        keys = list(net.state_dict(keep_vars=True))
        handles[1].remove()
        keys_after = list(net.state_dict())
        net[0].register_load_state_dict_pre_hook(
            lambda module, state, prefix, *rest: calls.append(("load_pre", prefix, len(state))))
        net.register_load_state_dict_post_hook(
            lambda module, incompatible: incompatible.missing_keys.clear())
        result = net.load_state_dict({"0.weight": L.ones(2, 2)})  # bias missing: cleared
        return [calls, keys, keys_after, list(result.missing_keys), net[0].weight]
    same(run)


def test_failed_load_with_overrides_leaves_the_model_untouched():
    net = _renaming_net(tg)
    before = [p.detach().clone() for p in net.parameters()]
    bad = {"0.weight": tg.ones(2, 2), "0.bias": tg.ones(3), "1.w": tg.ones(2),
           "1._extra_state": {"note": "loaded"}}
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        net.load_state_dict(bad)
    for parameter, value in zip(net.parameters(), before):
        np.testing.assert_array_equal(parameter.detach().numpy(), value.numpy())
    assert net[1].note == "fresh"
    net.register_load_state_dict_post_hook(lambda module, keys: None)
    # hooks ran, then undone
    with pytest.raises(RuntimeError, match='Missing key.s. in state_dict: "0.bias"'):
        net.load_state_dict({"0.weight": tg.ones(2, 2), "1.w": tg.ones(2),
                             "1._extra_state": {"note": "x"}})
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), before[0].numpy())


# ----------------------------------------------------------------- 4. containers
def test_module_list_pop_and_iadd():
    def run(L):
        nn = L.nn
        layers = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
        popped = layers.pop(1)
        layers += [nn.ELU()]
        return [type(popped).__name__, repr(layers)]
    same(run)


def test_sequential_add_mul_iadd():
    def run(L):
        nn = L.nn
        first, second = nn.Sequential(nn.ReLU()), nn.Sequential(nn.Tanh())
        added, times, rtimes = first + second, first * 2, 2 * second
        first += second
        with pytest.raises(ValueError):
            first + nn.ReLU()
        return [repr(added), repr(times), repr(rtimes), repr(first), times[1] is times[0]]
    same(run)


def test_parameter_list_slices_and_plain_values():
    def run(L):
        nn = L.nn
        values = nn.ParameterList([L.ones(2), L.zeros(3), "hi", 4])
        part = values[0:2]
        values += [L.ones(1)]
        return [type(part).__name__, len(part), len(values), values[2], values[3],
                [name for name, _ in values.named_parameters()], list(values.state_dict())]
    same(run)


def test_parameter_dict_setdefault_copy_or():
    def run(L):
        nn = L.nn
        params = nn.ParameterDict({"a": L.ones(2)})
        default = params.setdefault("b", L.zeros(1))
        copied = params.copy()
        merged = params | {"c": L.ones(3)}
        params["s"] = "text"
        return [default is params["b"], type(copied).__name__, list(copied.keys()),
                type(merged).__name__, list(merged.keys()), copied["a"] is params["a"],
                params["s"], list(dict(params.named_parameters())), params.get("zz")]
    same(run)


# ----------------------------------------------------------------- 5, 10. optimizers
def _custom_sgd(L):
    optimizer_module = importlib.import_module(f"{L.__name__}.optim.optimizer")

    class OldSGD(optimizer_module.Optimizer):
        def __init__(self, params, lr=optimizer_module.required):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            with L.no_grad():
                for group in self.param_groups:
                    for param in group["params"]:
                        param.sub_(param.grad * group["lr"])

    return OldSGD


def test_optimizer_required_sentinel():
    def run(L):
        OldSGD = _custom_sgd(L)
        param = L.nn.Parameter(L.ones(2))
        optimizer = OldSGD([param], lr=0.5)
        param.grad = L.ones(2)
        optimizer.step()
        with pytest.raises(ValueError, match="required"):
            OldSGD([L.nn.Parameter(L.ones(2))])
        return [param, repr(importlib.import_module(f"{L.__name__}.optim.optimizer").required)]
    same(run)


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "Adagrad", "NAdam", "ASGD", "Rprop"])
def test_optimizer_state_given_as_arrays(name):
    def run(L):
        param = L.nn.Parameter(L.tensor([1.0, -2.0, 3.0]))
        settings = {"momentum": 0.9} if name == "SGD" else {}
        optimizer = getattr(L.optim, name)([param], lr=0.1, **settings)
        param.grad = L.tensor([1.0, 1.0, -1.0])
        optimizer.step()
        saved = optimizer.state_dict()
        # NumPy arrays here, tensors for PyTorch (whose load_state_dict takes only those)
        arrays = {key: {entry: value.numpy().copy() if L is tg and entry != "step"
                        and hasattr(value, "numpy") else value
                        for entry, value in values.items()}
                  for key, values in saved["state"].items()}
        fresh = getattr(L.optim, name)([param], lr=0.1, **settings)
        fresh.load_state_dict({"state": arrays, "param_groups": saved["param_groups"]})
        fresh.step()
        return param
    results = both(run)
    for result in results[1:]:
        np.testing.assert_allclose(_plain(result), _plain(results[0]), rtol=1e-5)


# ----------------------------------------------------------------- 6. DataLoader
def _data(L):
    return importlib.import_module(f"{L.__name__}.utils.data")


def test_data_loader_options_and_iterator_length():
    def run(L):
        data = _data(L)
        dataset = data.TensorDataset(L.arange(5.0))
        loader = data.DataLoader(dataset, batch_size=2, multiprocessing_context=None,
                                 in_order=True, pin_memory_device="")
        errors = []
        for settings in [{"batch_size": None, "drop_last": True}, {"persistent_workers": True},
                         {"prefetch_factor": 2}, {"timeout": -1}, {"num_workers": -1}]:
            with pytest.raises(ValueError) as raised:
                data.DataLoader(dataset, **settings)
            errors.append(str(raised.value))
        with pytest.raises(ValueError, match="batch_size attribute should not be set"):
            loader.batch_size = 3
        loader.num_workers = 0
        return [len(iter(loader)), errors]
    same(run)


def test_collate_and_convert_as_pytorch():
    def run(L):
        data = _data(L)
        strings = next(iter(data.DataLoader([np.str_("a"), np.str_("b")], batch_size=2)))
        single = next(iter(data.DataLoader([(1, 2.0)], batch_size=None)))
        with pytest.raises(TypeError, match="expected Tensor as element 1"):
            next(iter(data.DataLoader([L.ones(2), 3], batch_size=2)))
        with pytest.raises(TypeError, match="found <U1"):
            next(iter(data.DataLoader([np.array(["a"]), np.array(["b"])], batch_size=2)))
        with pytest.raises(AssertionError, match="Size mismatch between tensors"):
            data.TensorDataset(L.ones(2), L.ones(3))
        return [strings, single, type(single).__name__]
    same(run)


def test_stack_dataset():
    def run(L):
        data = _data(L)
        by_position = data.StackDataset(data.TensorDataset(L.arange(5.0)), L.arange(5))
        by_key = data.StackDataset(a=data.TensorDataset(L.arange(5.0)), b=L.arange(5))
        with pytest.raises(ValueError, match="Size mismatch between datasets"):
            data.StackDataset(L.arange(5), L.arange(4))
        return [len(by_position), by_position[1], by_key[1],
                next(iter(data.DataLoader(by_key, batch_size=2)))]
    same(run)


# ----------------------------------------------------------------- 7. forward's parameter names
LAYERS_TAKING_INPUT = {
    "Linear": (2, 3), "Conv1d": (2, 1, 1), "Conv2d": (1, 1, 1), "ConvTranspose2d": (1, 1, 1),
    "ReLU": (), "GELU": (), "Softmax": (1,), "LogSoftmax": (1,), "Tanh": (), "Sigmoid": (),
    "LeakyReLU": (), "LayerNorm": (2,), "BatchNorm1d": (2,), "GroupNorm": (1, 2),
    "Dropout": (0.0,), "Identity": (), "Flatten": (), "MaxPool1d": (1,), "AvgPool2d": (1,),
    "AdaptiveAvgPool2d": (1,), "Embedding": (4, 2), "ZeroPad2d": (1,), "PixelShuffle": (1,),
    "Upsample": (None, 2.0),
}


@pytest.mark.parametrize("name", sorted(LAYERS_TAKING_INPUT))
def test_layers_take_input_by_keyword(name):
    def run(L):
        L.manual_seed(0)
        layer = getattr(L.nn, name)(*LAYERS_TAKING_INPUT[name]).eval()
        if name == "Embedding":
            value = L.tensor([[0, 3]])
        elif "1d" in name or name in ("LayerNorm", "GroupNorm", "Linear"):
            value = L.ones(1, 2, 2)
        else:
            value = L.ones(1, 1, 2, 2)
        if name == "Linear":
            layer = L.nn.Sequential(layer)
        return list(layer(input=value).shape)
    same(run)


def test_lazy_transposed_conv_takes_output_size():
    def run(L):
        layer = L.nn.LazyConvTranspose1d(1, 2, stride=2)
        return list(layer(L.ones(1, 1, 3), output_size=[7]).shape)
    same(run)


# ----------------------------------------------------------------- 8. module hooks
def _grads(values):
    return [None if value is None else value.tolist() for value in values]


def test_backward_pre_hook_with_an_unused_output():
    def run(L):
        class TwoOutputs(L.nn.Module):
            def forward(self, x):
                return x * 2, x * 3

        module, seen = TwoOutputs(), []

        def pre_hook(module, grad_output):
            seen.append(_grads(grad_output))
            return tuple(None if g is None else g * 10 for g in grad_output)

        module.register_full_backward_pre_hook(pre_hook)
        module.register_full_backward_hook(
            lambda module, grad_input, grad_output: seen.append(
                (_grads(grad_input), _grads(grad_output))))
        a = L.ones(2, requires_grad=True)
        first, _ = module(a)
        first.sum().backward()
        only_first = a.grad.clone()
        a.grad = None
        first, second = module(a)
        (first.sum() + second.sum()).backward()
        return [only_first, a.grad, seen]
    same(run)


def test_backward_pre_hook_on_multihead_attention():
    def run(L):
        L.manual_seed(0)
        attention, calls = L.nn.MultiheadAttention(4, 2, batch_first=True), []
        attention.register_full_backward_pre_hook(
            lambda module, grad_output: calls.append([g is None for g in grad_output]))
        x = L.ones(1, 3, 4, requires_grad=True)
        output, _ = attention(x, x, x)
        output.sum().backward()
        return [calls, list(x.grad.shape)]
    same(run)


def test_forward_hook_always_call():
    def run(L):
        class Failing(L.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        module, seen = Failing(), []
        module.register_forward_hook(lambda m, args, output: seen.append(output),
                                     always_call=True)
        module.register_forward_hook(lambda m, args, output: seen.append("not always"))
        with pytest.raises(ValueError, match="boom"):
            module(L.ones(1))
        return seen
    same(run)


# ----------------------------------------------------------------- 9. Module API gaps
def test_none_parameters_stay_registered():
    def run(L):
        m = L.nn.Linear(2, 2)
        m.register_parameter("extra", None)
        m.bias = None
        names = [list(m._parameters), [n for n, _ in m.named_parameters()], list(m.state_dict()),
                 m.bias, m._parameters["extra"]]
        m.bias = L.nn.Parameter(L.zeros(2))
        with pytest.raises(TypeError):
            m.extra = L.ones(2)  # a plain tensor where a parameter was registered
        return [*names, list(m._parameters), [n for n, _ in m.named_parameters()]]
    same(run)


def test_assigning_a_non_tensor_to_a_buffer():
    def run(L):
        norm = L.nn.BatchNorm1d(2)
        with pytest.raises(TypeError) as raised:
            norm.running_mean = 3
        norm.running_mean = None
        return [str(raised.value), list(norm.state_dict())]
    same(run)


def test_set_submodule_and_small_module_methods():
    def run(L):
        nn = L.nn
        model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Tanh()),
                              nn.ModuleList([nn.ReLU()]))
        model.set_submodule("1.0", nn.GELU())
        model.set_submodule("2.0", nn.Tanh())
        with pytest.raises(AttributeError):
            model.set_submodule("1.missing", nn.ReLU(), strict=True)
        linear = model[0]
        empty = nn.Parameter()
        return [repr(model), linear._get_name(), linear.share_memory() is linear,
                linear.to_empty(device="cpu") is linear, list(linear.weight.shape),
                list(empty.shape), str(empty.dtype).replace("torch.", ""), empty.requires_grad]
    same(run)


# ----------------------------------------------------------------- 11. small nn.utils names
def test_unpad_sequence_and_invert_permutation():
    def run(L):
        rnn = L.nn.utils.rnn
        sequences = [L.ones(3, 2), L.ones(1, 2) * 2, L.ones(2, 2) * 3]
        lengths = L.tensor([3, 1, 2])
        unpadded = rnn.unpad_sequence(rnn.pad_sequence(sequences), lengths)
        first = rnn.unpad_sequence(rnn.pad_sequence(sequences, batch_first=True), lengths,
                                   batch_first=True)
        return [unpadded, first, rnn.invert_permutation(L.tensor([2, 0, 3, 1])),
                rnn.invert_permutation(None)]
    same(run)


def test_skip_init_keeps_the_random_stream():
    tg.manual_seed(0)
    expected = tg.rand(3)
    tg.manual_seed(0)
    layer = tg.nn.utils.skip_init(tg.nn.Linear, 3, 2)
    np.testing.assert_array_equal(tg.rand(3).numpy(), expected.numpy())
    assert layer.weight.shape == (2, 3) and layer.weight.requires_grad
    with pytest.raises(RuntimeError, match="device"):
        tg.nn.utils.skip_init(tg.nn.ReLU)


@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(transpose):
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)

    def run(L):
        L.manual_seed(0)
        conv = (L.nn.ConvTranspose2d(2, 3, 3) if transpose else L.nn.Conv2d(2, 3, 3)).eval()
        norm = L.nn.BatchNorm2d(3).eval()
        with L.no_grad():
            norm.running_mean.copy_(L.tensor([0.1, -0.2, 0.3]))
            norm.running_var.copy_(L.tensor([1.5, 0.5, 2.0]))
            norm.weight.copy_(L.tensor([1.0, 2.0, -1.0]))
            norm.bias.copy_(L.tensor([0.5, 0.0, 1.0]))
            conv.weight.copy_(L.tensor(np.linspace(-1, 1, conv.weight.numel(),
                                                   dtype=np.float32).reshape(conv.weight.shape)))
            conv.bias.fill_(0.25)
        fused = L.nn.utils.fuse_conv_bn_eval(conv, norm, transpose=transpose)
        with pytest.raises(AssertionError):
            L.nn.utils.fuse_conv_bn_eval(conv.train(), norm)
        with L.no_grad():
            return [fused(L.tensor(x)), norm(conv.eval()(L.tensor(x))), fused.weight.requires_grad,
                    type(fused).__name__]
    results = both(run)
    for result in results:
        np.testing.assert_allclose(_plain(result[0]), _plain(result[1]), rtol=1e-5, atol=1e-5)
    for result in results[1:]:
        np.testing.assert_allclose(_plain(result[0]), _plain(results[0][0]), rtol=1e-5,
                                   atol=1e-5)
        assert result[2:] == results[0][2:]
