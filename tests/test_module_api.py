"""The PyTorch Module API: containers (ModuleList, ModuleDict, ParameterList, ParameterDict),
Unflatten, apply, requires_grad_, to/double/float, PyTorch's parameter order and repr, and the
activation modules against PyTorch (values, gradients, repr)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import Tensor


def copy_weights(ours: nn.Module, theirs) -> None:
    """Give our model the PyTorch model's weights, by name."""
    ours.load_state_dict({name: p.detach().numpy() for name, p in theirs.named_parameters()})


# ----------------------------------------------------------------- containers
def test_module_list_names_and_list_operations():
    layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 3)])
    layers.append(nn.ReLU()).extend([nn.Linear(3, 1)])
    layers.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Linear", "Tanh", "Linear", "ReLU", "Linear"]
    assert len(layers) == 5 and isinstance(layers[1:3], nn.ModuleList)
    assert [name for name, _ in layers.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    del layers[1]
    assert [name for name, _ in layers.named_children()] == ["0", "1", "2", "3"]

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(nn.Linear(2, 2) for _ in range(2))

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    model = Model()
    assert list(model.state_dict()) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                                        "blocks.1.bias"]
    model(tg.ones(1, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(TypeError, match="not an nn.Module"):
        nn.ModuleList([3])


def test_module_dict_and_parameter_containers():
    heads = nn.ModuleDict({"left": nn.Linear(2, 1), "right": nn.Linear(2, 1, bias=False)})
    heads["extra"] = nn.Identity()
    assert list(heads) == ["left", "right", "extra"] and "left" in heads and len(heads) == 3
    assert [name for name, _ in heads.named_parameters()] == [
        "left.weight", "left.bias", "right.weight"]
    assert heads.pop("extra").__class__ is nn.Identity
    params = nn.ParameterList([tg.zeros(2), nn.Parameter(np.ones(3))])
    params.append(tg.ones(1))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    assert [name for name, _ in params.named_parameters()] == ["0", "1", "2"]
    table = nn.ParameterDict({"scale": tg.ones(2)})
    table["shift"] = tg.zeros(2)
    assert list(dict(table.named_parameters())) == ["scale", "shift"]
    assert isinstance(table["shift"], nn.Parameter)


def test_unflatten_and_flatten_round_trip():
    x = tg.tensor(np.arange(24.0).reshape(2, 12))
    y = nn.Unflatten(1, (3, 2, 2))(x)
    assert y.shape == (2, 3, 2, 2)
    assert nn.Flatten()(y).shape == (2, 12)
    assert nn.Unflatten(-1, (4, -1))(x).shape == (2, 4, 3)
    assert repr(nn.Unflatten(1, (2, 6))) == "Unflatten(dim=1, unflattened_size=(2, 6))"


# ----------------------------------------------------------------- the Module API
def test_apply_visits_children_first_then_self():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]

    def init(module):
        if isinstance(module, nn.Linear):
            with tg.no_grad():
                module.weight.fill_(0.5)
    model.apply(init)
    assert np.all(model[1][1].weight._data == 0.5)


def test_requires_grad_freezes_and_unfreezes():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    assert model[0].requires_grad_(False) is model[0]
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    model(tg.ones(1, 2)).sum().backward()
    assert model[0].weight.grad is None and model[1].weight.grad is not None
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_module_to_converts_in_place_keeping_parameter_identity():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    before = list(model.parameters())
    assert model.to(tg.float64) is model
    assert [p.dtype for p in model.parameters()] == [np.float64] * 4
    assert all(a is b for a, b in zip(before, model.parameters()))
    assert model(tg.ones(1, 2, dtype=tg.float64)).dtype == np.float64
    model.float()
    assert model[0].weight.dtype == tg.float32
    model.double().to("cpu").to(tg.device("cpu"), tg.float32).cpu()
    assert model[1].bias.dtype == tg.float32
    model.to(tg.zeros(1, dtype=tg.float64))
    assert model[1].bias.dtype == tg.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        model.cuda()


def test_parameter_order_and_named_modules_as_pytorch():
    torch = pytest.importorskip("torch")

    def build(ns):
        class Net(ns.Module):
            def __init__(self):
                super().__init__()
                self.body = ns.Sequential(ns.Linear(2, 4), ns.ReLU(), ns.Linear(4, 4))
                self.scale = ns.Parameter(ns_tensor(ns, np.ones(4)))
                self.heads = ns.ModuleDict({"a": ns.Linear(4, 1), "b": ns.Linear(4, 2)})
                self.extra = ns.ParameterList([ns.Parameter(ns_tensor(ns, np.zeros(2)))])
                self.blocks = ns.ModuleList([ns.Linear(4, 4), ns.Linear(4, 4)])
                self.shared = self.blocks[0]

            def forward(self, x):
                return x
        return Net()

    ours, theirs = build(nn), build(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    # state_dict lists a shared module's weights under each of its names (`shared.weight`)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "shared.weight" in ours.state_dict()


def ns_tensor(ns, array):
    return tg.tensor(array) if ns is nn else __import__("torch").tensor(array)


def test_repr_matches_pytorch():
    torch = pytest.importorskip("torch")

    def build(ns):
        return ns.Sequential(
            ns.Linear(2, 16), ns.ReLU(),
            ns.ModuleList([ns.Linear(16, 16), ns.Linear(16, 16), ns.Tanh()]),
            ns.ModuleDict({"head": ns.Linear(16, 2, bias=False)}),
            ns.Flatten(), ns.Unflatten(1, (1, 2)), ns.Softmax(dim=1), ns.Identity(),
            ns.LeakyReLU(0.2), ns.GELU(approximate="tanh"), ns.ELU(alpha=2), ns.Softplus(beta=2),
            ns.Hardtanh(-2, 2), ns.ReLU(inplace=True), ns.LogSoftmax(dim=1), ns.Softmin(),
            ns.CrossEntropyLoss(), ns.MSELoss(), ns.SiLU(), ns.Hardswish(), ns.CELU(0.5),
        )

    assert repr(build(nn)) == repr(build(torch.nn))


# ----------------------------------------------------------------- activation modules
ACTIVATIONS = [
    ("ReLU", {}), ("ReLU6", {}), ("Sigmoid", {}), ("Tanh", {}), ("GELU", {}),
    ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Mish", {}), ("SELU", {}),
    ("CELU", {"alpha": 0.7}), ("ELU", {"alpha": 1.3}), ("LeakyReLU", {"negative_slope": 0.2}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}), ("Hardtanh", {"min_val": -0.5, "max_val": 2}),
    ("Hardsigmoid", {}), ("Hardswish", {}), ("LogSigmoid", {}), ("Softsign", {}),
    ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": 1}), ("Softmin", {"dim": 1}),
    ("Hardshrink", {}), ("Softshrink", {"lambd": 0.3}), ("Tanhshrink", {}),
    ("Threshold", {"threshold": 0.1, "value": 20.0}), ("GLU", {"dim": 0}), ("PReLU", {}),
]


@pytest.mark.parametrize(("name", "options"), ACTIVATIONS, ids=lambda v: str(v))
def test_activation_module_against_pytorch(name, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5)) * 3
    x[0, :3] = [1000.0, -1000.0, 0.25]  # away from kinks, at the extremes
    ours_x = tg.tensor(x, requires_grad=True)
    theirs_x = torch.tensor(x, requires_grad=True)
    ours = getattr(nn, name)(**options).double()(ours_x)
    theirs = getattr(torch.nn, name)(**options).double()(theirs_x)
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-7, atol=1e-10)
    seed = rng.normal(size=tuple(theirs.shape))
    ours.backward(tg.tensor(seed))
    theirs.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours_x.grad._data, theirs_x.grad.numpy(), rtol=1e-7, atol=1e-10)
    assert np.isfinite(ours_x.grad._data).all()
    assert getattr(nn, name)(**options)(tg.ones(2, 3)).dtype == np.float32


def test_prelu_per_channel_and_softmax2d_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).normal(size=(2, 3, 4, 4))
    ours_layer, theirs_layer = nn.PReLU(3, init=0.1).double(), torch.nn.PReLU(3, init=0.1).double()
    assert repr(ours_layer) == repr(theirs_layer)
    ours_x, theirs_x = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = nn.Softmax2d()(ours_layer(ours_x)) * tg.tensor(np.arange(96.0).reshape(2, 3, 4, 4))
    theirs = torch.nn.Softmax2d()(theirs_layer(theirs_x)) * torch.arange(96.0).reshape(
        2, 3, 4, 4).double()
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours_x.grad._data, theirs_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours_layer.weight.grad._data, theirs_layer.weight.grad.numpy(),
                               rtol=1e-9)


def test_add_module_register_parameter_and_format():
    model = nn.Module()
    model.add_module("fc", nn.Linear(2, 3))
    model.register_parameter("scale", nn.Parameter(np.ones(3)))
    model.register_parameter("unused", None)
    assert [name for name, _ in model.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="not an nn.Parameter"):
        model.register_parameter("w", tg.ones(2))
    with pytest.raises(KeyError):
        model.add_module("a.b", nn.ReLU())
    loss = tg.tensor(0.123456)
    # a 0-d tensor formats as its value, with or without a spec (PyTorch's __format__)
    assert f"{loss:.3f}" == "0.123" and f"{loss}" == str(loss.item())


def test_state_dict_values_are_tensors_as_in_pytorch(tmp_path):
    """The keep-the-best-weights idiom: `{k: v.clone() for k, v in model.state_dict().items()}`,
    `.size()`, `.numel()`; copies, so changing the model later leaves them alone."""
    model = nn.Linear(3, 2)
    best = {key: value.clone() for key, value in model.state_dict().items()}
    assert all(isinstance(v, Tensor) and not v.requires_grad for v in best.values())
    assert model.state_dict()["weight"].size() == (2, 3) and best["bias"].numel() == 2
    with tg.no_grad():
        model.weight.add_(1.0)
    assert not np.array_equal(model.weight._data, best["weight"]._data)
    model.load_state_dict(best)
    np.testing.assert_array_equal(model.weight._data, best["weight"]._data)
    tg.save(model.state_dict(), tmp_path / "w.pt")
    loaded = tg.load(tmp_path / "w.pt")
    assert isinstance(loaded["weight"], Tensor)
    np.testing.assert_array_equal(loaded["weight"].clone()._data, model.weight._data)


def test_state_dict_keywords_as_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    for model in (ours, theirs):
        assert list(model.state_dict(prefix="enc.")) == ["enc.weight", "enc.bias"]
        kept = model.state_dict(keep_vars=True)
        assert kept["weight"] is model.weight and kept["weight"].requires_grad
        target: dict = {}
        assert model.state_dict(destination=target) is target and list(target) == [
            "weight", "bias"]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                         assign=True)
    np.testing.assert_array_equal(ours.weight._data, theirs.weight.detach().numpy())


# ------------------------------------------------- editing a Sequential in place (PyTorch's API)
def _kinds(sequential) -> list[str]:
    return [type(module).__name__ for module in sequential]


def test_sequential_items_can_be_replaced_deleted_popped_inserted_and_extended():
    import tinygrad_np.nn as tnn

    model = tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.Linear(3, 4), tnn.Tanh())
    head = tnn.Linear(3, 5)
    model[2] = head  # the transfer-learning idiom: model.classifier[6] = nn.Linear(...)
    assert model[2] is head and _kinds(model) == ["Linear", "ReLU", "Linear", "Tanh"]
    del model[1]
    assert _kinds(model) == ["Linear", "Linear", "Tanh"]
    first = model.pop(0)
    assert isinstance(first, tnn.Linear) and _kinds(model) == ["Linear", "Tanh"]
    model.insert(0, first)
    model.extend([tnn.ReLU(), tnn.Identity()])
    model[-1] = tnn.Sigmoid()
    assert _kinds(model) == ["Linear", "Linear", "Tanh", "ReLU", "Sigmoid"]
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "1.weight", "1.bias"]  # renumbered, as PyTorch after a deletion
    out = model(Tensor(np.ones((1, 2), np.float32)))
    assert out.shape == (1, 5)
    with pytest.raises(IndexError):
        model[10] = tnn.ReLU()
    with pytest.raises(TypeError, match="not an nn.Module"):
        model[0] = "a layer"


def test_deleting_from_a_named_sequential_renumbers_it_as_pytorch():
    from collections import OrderedDict

    import tinygrad_np.nn as tnn

    model = tnn.Sequential(OrderedDict(a=tnn.Linear(2, 2), b=tnn.ReLU(), c=tnn.Linear(2, 1)))
    del model[1]
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(OrderedDict(a=torch.nn.Linear(2, 2), b=torch.nn.ReLU(),
                                             c=torch.nn.Linear(2, 1)))
    del theirs[1]
    assert [name for name, _ in theirs.named_children()] == ["0", "1"]


def test_load_state_dict_result_prints_as_pytorchs():
    import tinygrad_np.nn as tnn

    layer = tnn.Linear(2, 2)
    assert repr(layer.load_state_dict(layer.state_dict())) == "<All keys matched successfully>"
    state = layer.state_dict()
    state["extra"] = state.pop("weight")
    result = layer.load_state_dict(state, strict=False)
    assert repr(result) == ("_IncompatibleKeys(missing_keys=['weight'], "
                            "unexpected_keys=['extra'])")
    assert result.missing_keys == ["weight"] and result.unexpected_keys == ["extra"]


def test_sequential_insert_refuses_an_index_out_of_range():
    import tinygrad_np.nn as tnn

    with pytest.raises(IndexError, match="out of range"):
        tnn.Sequential(tnn.ReLU()).insert(5, tnn.Tanh())
