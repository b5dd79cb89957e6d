"""Tests for tinygrad_np.nn: parameter discovery and names, nested modules, state dicts,
repr, train/eval, Linear's shapes and initialisation, and the small layers.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import Tensor


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2, bias=False)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


class Model(nn.Module):
    """Parameters directly, in a list, in a dict, inside children, and a plain tensor."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(2))
        self.encoder = Encoder()
        self.blocks = [nn.Linear(2, 2), nn.Linear(2, 2, bias=False)]
        self.heads = {"left": nn.Linear(2, 1), "right": nn.Linear(2, 1, bias=False)}
        self.offsets = (nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1)))
        self.mask = Tensor(np.ones(2))  # not a Parameter: not learnable
        self.width = 2

    def forward(self, x):
        x = self.encoder(x) * self.scale
        for block in self.blocks:
            x = block(x)
        return self.heads["left"](x) + self.heads["right"](x) + self.offsets[0]


MODEL_NAMES = [  # PyTorch's order: the model's own parameters first, then its children's
    "scale",
    "offsets.0",
    "offsets.1",
    "encoder.fc1.weight",
    "encoder.fc1.bias",
    "encoder.fc2.weight",
    "blocks.0.weight",
    "blocks.0.bias",
    "blocks.1.weight",
    "heads.left.weight",
    "heads.left.bias",
    "heads.right.weight",
]


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


# ----------------------------------------------------------------- Parameter


def test_parameter_is_a_tensor_requiring_grad():
    data = np.ones(3, dtype=np.float32)
    p = nn.Parameter(data)
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert np.shares_memory(p._data, data)  # shared, as torch.nn.Parameter(tensor)
    assert not p._data.flags.writeable  # written only through in-place methods
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert np.shares_memory(nn.Parameter(Tensor(data))._data, data)
    assert repr(p).startswith("Parameter containing:\ntensor(")


def test_ops_on_parameters_give_plain_tensors():
    p = nn.Parameter(np.ones(2))
    assert type(p * 2) is Tensor and type(p.detach()) is Tensor


# ----------------------------------------------------------------- discovery and names


def test_named_parameters_in_definition_order_with_dotted_names():
    model = Model()
    names = [name for name, _ in model.named_parameters()]
    assert names == MODEL_NAMES
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in model.named_parameters()]
    assert model.encoder.fc1.weight is dict(model.named_parameters())["encoder.fc1.weight"]


def test_parameters_get_their_dotted_names():
    model = Model()
    list(model.parameters())
    assert model.encoder.fc1.bias.name == "encoder.fc1.bias"
    assert model.offsets[1].name == "offsets.1"
    assert model.mask.name is None


def test_names_lengthen_from_a_walk_higher_up_but_user_names_stay():
    first, second = nn.Linear(2, 2), nn.Linear(2, 2)
    second.bias.name = "my_bias"
    list(first.parameters())  # walked on its own first: "weight"
    assert first.weight.name == "weight"
    model = nn.Sequential(first, nn.ReLU(), second)
    list(model.parameters())
    assert first.weight.name == "0.weight"
    assert second.weight.name == "2.weight"
    assert second.bias.name == "my_bias"
    list(first.parameters())  # a walk from below never shortens it again
    assert first.weight.name == "0.weight"


def test_first_call_names_parameters_for_graph_drawings():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert model[0].weight.name is None
    model(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert [model[0].weight.name, model[2].bias.name] == ["0.weight", "2.bias"]


def test_sequential_names():
    assert [name for name, _ in mlp().named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"
    ]
    named = nn.Sequential(OrderedDict(hidden=nn.Linear(2, 3), act=nn.Tanh(), out=nn.Linear(3, 1)))
    assert list(named.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_shared_parameter_and_module_reported_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 2)
            self.again = self.layer
            self.weight_alias = self.layer.weight

        def forward(self, x):
            return self.again(self.layer(x))

    tied = Tied()
    # PyTorch's answer: the model's own parameter (the alias) comes before its children's
    assert [name for name, _ in tied.named_parameters()] == ["weight_alias", "layer.bias"]
    assert [name for name, _ in tied.named_children()] == ["layer"]


def test_children_and_modules():
    model = Model()
    assert [name for name, _ in model.named_children()] == [
        "encoder", "blocks.0", "blocks.1", "heads.left", "heads.right"
    ]
    assert list(model.children())[0] is model.encoder
    names = [name for name, _ in model.named_modules()]
    assert names == ["", "encoder", "encoder.fc1", "encoder.fc2", "blocks.0", "blocks.1",
                     "heads.left", "heads.right"]
    assert len(list(model.modules())) == 8 and next(model.modules()) is model


def test_module_without_super_init_refuses_layers_as_pytorch():
    class Bare(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 1)

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__"):
        Bare()

    class Plain(nn.Module):  # plain attributes need no super().__init__(), as in PyTorch
        def __init__(self):
            self.size = 3

        def forward(self, x):
            return x * self.size

    plain = Plain()
    assert plain.training
    assert plain(Tensor(np.ones(2))).tolist() == [3.0, 3.0]


def test_forward_is_required():
    with pytest.raises(NotImplementedError,
                       match='Module \\[Module\\] is missing the required "forward" function'):
        nn.Module()(Tensor(1.0))


# ----------------------------------------------------------------- training helpers


def test_backward_reaches_every_parameter_and_zero_grad_clears_it():
    model = Model()
    model(Tensor(np.ones((5, 4)))).sum().backward()
    used = {name for name, p in model.named_parameters() if p.grad is not None}
    assert used == set(MODEL_NAMES) - {"offsets.1"}  # offsets.1 is not used by forward
    for name, p in model.named_parameters():
        if p.grad is not None:
            assert p.grad.shape == p.shape, name
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_reach_every_module():
    model = Model()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model.heads["right"].training


# ----------------------------------------------------------------- state dicts


def test_state_dict_is_ordered_and_shares_the_parameters_memory_as_pytorch():
    model = Model()
    state = model.state_dict()
    assert isinstance(state, OrderedDict) and list(state) == MODEL_NAMES
    assert not state["scale"].requires_grad and state["scale"].grad_fn is None
    state["scale"][:] = 5.0  # PyTorch's state_dict holds detached aliases of the parameters
    assert np.all(model.scale._data == 5.0)
    snapshot = copy.deepcopy(model.state_dict())  # the way to keep a copy, as in PyTorch
    with tg.no_grad():
        model.scale.fill_(2.0)
    assert np.all(snapshot["scale"]._data == 5.0)


def test_load_state_dict_round_trip_in_place_keeping_dtype():
    tg.manual_seed(0)
    source = mlp()
    tg.manual_seed(1)
    target = mlp()
    arrays = [p._data for p in target.parameters()]
    x = Tensor(np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32))
    assert not np.allclose(source(x)._data, target(x)._data)
    float64_state = {name: value.astype(np.float64) for name, value in source.state_dict().items()}
    result = target.load_state_dict(float64_state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(source(x)._data, target(x)._data)
    assert all(a is p._data for a, p in zip(arrays, target.parameters()))
    assert all(p.dtype == np.float32 for p in target.parameters())
    # Tensors are accepted as values too
    target.load_state_dict({name: Tensor(v * 0) for name, v in source.state_dict().items()})
    assert all(np.all(p._data == 0) for p in target.parameters())


def test_load_state_dict_strict_names_every_problem_at_once():
    model = mlp()
    state = model.state_dict()
    del state["0.bias"]
    state["9.weight"] = np.zeros(3)
    state["2.weight"] = np.zeros((4, 4))
    before = [p._data.copy() for p in model.parameters()]
    with pytest.raises(ValueError) as raised:
        model.load_state_dict(state)
    message = str(raised.value)
    assert 'Missing key(s) in state_dict: "0.bias". ' in message
    assert 'Unexpected key(s) in state_dict: "9.weight". ' in message
    assert ("size mismatch for 2.weight: copying a param with shape torch.Size([4, 4]) from "
            "checkpoint, the shape in current model is torch.Size([3, 8]).") in message
    for old, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(old, p._data)  # nothing was copied


def test_load_state_dict_not_strict():
    model = mlp()
    state = {"0.weight": np.ones((8, 4)), "extra": np.zeros(1)}
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight", "2.bias"]
    assert result.unexpected_keys == ["extra"]
    assert np.all(model[0].weight._data == 1)
    with pytest.raises(ValueError, match="size mismatch for 0.weight"):
        model.load_state_dict({"0.weight": np.ones((4, 8))}, strict=False)


# ----------------------------------------------------------------- repr


def test_repr_like_pytorch():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10),
                          nn.Softmax(dim=1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Flatten(start_dim=1, end_dim=-1)\n"
        "  (1): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (2): ReLU()\n"
        "  (3): Linear(in_features=128, out_features=10, bias=True)\n"
        "  (4): Softmax(dim=1)\n"
        ")"
    )


def test_repr_nested():
    assert repr(Encoder()) == (
        "Encoder(\n"
        "  (fc1): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (fc2): Linear(in_features=3, out_features=2, bias=False)\n"
        ")"
    )
    nested = nn.Sequential(Encoder(), nn.Sigmoid())
    assert repr(nested) == (
        "Sequential(\n"
        "  (0): Encoder(\n"
        "    (fc1): Linear(in_features=4, out_features=3, bias=True)\n"
        "    (fc2): Linear(in_features=3, out_features=2, bias=False)\n"
        "  )\n"
        "  (1): Sigmoid()\n"
        ")"
    )


# ----------------------------------------------------------------- Linear


def test_linear_shapes_and_forward():
    layer = nn.Linear(5, 3)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    y = layer(Tensor(x))
    assert y.shape == (4, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y._data, x @ layer.weight._data.T + layer.bias._data, rtol=1e-6)
    no_bias = nn.Linear(5, 2, bias=False)
    assert no_bias.bias is None
    assert [name for name, _ in no_bias.named_parameters()] == ["weight"]
    np.testing.assert_allclose(no_bias(Tensor(x))._data, x @ no_bias.weight._data.T, rtol=1e-6)
    assert nn.Linear(2, 2, dtype=np.float64).weight.dtype == np.float64


def test_linear_batched_input():
    layer = nn.Linear(3, 2)
    assert layer(Tensor(np.ones((4, 5, 3), dtype=np.float32))).shape == (4, 5, 2)


def test_linear_init_range_matches_pytorch_default():
    tg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight._data, layer.bias._data):
        assert np.all(np.abs(p) <= bound)
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound
    # U(-b, b) has standard deviation b / sqrt(3)
    assert abs(layer.weight._data.std() - bound / np.sqrt(3)) < 0.01 * bound


def test_linear_init_reproducible_with_manual_seed():
    tg.manual_seed(42)
    first = mlp().state_dict()
    tg.manual_seed(42)
    second = mlp().state_dict()
    third = mlp().state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
        assert not np.array_equal(first[name], third[name])


# ----------------------------------------------------------------- Sequential and small layers


def test_sequential_container_protocol():
    model = mlp()
    assert len(model) == 3
    assert isinstance(model[0], nn.Linear) and isinstance(model[-2], nn.ReLU)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is model[2]
    model.append(nn.Softmax())
    assert len(model) == 4 and isinstance(model[3], nn.Softmax)
    head.append(nn.Identity())
    assert len(head) == 3 and [name for name, _ in head.named_children()] == ["1", "2", "3"]
    with pytest.raises(TypeError, match="not an nn.Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_sequential_forward_chains():
    model = mlp()
    x = Tensor(np.ones((2, 4), dtype=np.float32))
    np.testing.assert_allclose(model(x)._data, model[2](model[1](model[0](x)))._data)


def test_small_layers():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    t = Tensor(x)
    np.testing.assert_allclose(nn.ReLU()(t)._data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(t)._data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.Tanh()(t)._data, np.tanh(x))
    np.testing.assert_allclose(nn.Softmax(dim=1)(t)._data,
                               np.exp(x) / np.exp(x).sum(axis=1, keepdims=True))
    assert nn.Softmax().dim is None  # PyTorch's default: the implicit choice (dim 0 for 3-D)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        np.testing.assert_allclose(nn.Softmax()(t)._data, np.exp(x) / np.exp(x).sum(axis=0))
    assert nn.Flatten()(t).shape == (2, 12)
    assert nn.Flatten(0, 1)(t).shape == (6, 4)
    assert nn.Identity(54, unused="x")(t) is t


def test_sequential_with_a_module_used_twice_slices_consistently():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(model) == 3
    assert len(model[0:3]) == 3
    assert model[2] is layer
