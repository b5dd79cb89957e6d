"""Review fixes of round eleven: loading state dicts the PyTorch way (an override sees the
loaded values), linear-time state dicts, Module bookkeeping on delete, ParameterDict
operators, the DataLoader's sampler, grad_fn hooks and always-call forward hooks. Each test
runs the same code on tinygrad_np and on PyTorch when it is installed."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from test_port_round11_nn import _plain

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None


def libraries() -> list:
    """tinygrad_np, and PyTorch when installed: each test runs on both."""
    return [tg] if torch is None else [tg, torch]


def same(function) -> None:
    """`function(L)` returns the same value (nested lists and arrays) on both libraries."""
    results = [function(L) for L in libraries()]
    for result in results[1:]:
        np.testing.assert_equal(_plain(result), _plain(results[0]))


# ----------------------------------------------------------------- 1. loading, PyTorch's way
def _scaling_layer(L, seen: list):
    """A layer whose _load_from_state_dict override reads and then changes what it loaded."""
    nn = L.nn

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(L.zeros(2))

        def _load_from_state_dict(self, state_dict, prefix, *args):
            super()._load_from_state_dict(state_dict, prefix, *args)
            seen.append(self.weight.detach().clone())
            with L.no_grad():
                self.weight.mul_(10)

    return Scaled


def test_override_sees_and_changes_the_loaded_values():
    def run(L):
        seen = []
        model = L.nn.Sequential(_scaling_layer(L, seen)())
        model.load_state_dict({"0.weight": L.tensor([1.0, 2.0])})
        return [seen, model[0].weight]
    same(run)


def test_failure_restores_values_and_extra_state():
    class Noted(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = tg.nn.Parameter(tg.zeros(2))
            self.note = "before"

        def get_extra_state(self):
            return self.note

        def set_extra_state(self, state):
            self.note = state

    model = tg.nn.Sequential(Noted(), tg.nn.Linear(2, 2))
    version = model[0].weight._version
    bad = {"0.weight": np.ones(2), "0._extra_state": "after", "1.weight": np.ones((3, 3)),
           "1.bias": np.ones(2)}
    with pytest.raises(RuntimeError, match="size mismatch for 1.weight"):
        model.load_state_dict(bad)
    assert model[0].weight.tolist() == [0.0, 0.0] and model[0].note == "before"
    assert model[0].weight._version == version
    with pytest.raises(RuntimeError, match='Missing key.s. in state_dict: "1.bias"'):  # strict too
        model.load_state_dict({"0.weight": np.ones(2), "0._extra_state": "after",
                               "1.weight": np.ones((2, 2))})
    assert model[0].weight.tolist() == [0.0, 0.0] and model[0].note == "before"


def test_exception_in_a_post_hook_restores_the_model():
    model = tg.nn.Linear(2, 2)
    before = model.weight.tolist()

    def failing(module, keys):
        raise KeyError("hook")

    model.register_load_state_dict_post_hook(failing)
    with pytest.raises(KeyError):
        model.load_state_dict({"weight": np.ones((2, 2)), "bias": np.ones(2)})
    assert model.weight.tolist() == before


def test_post_hooks_run_after_each_module_and_its_children():
    def run(L):
        calls = []
        model = L.nn.Sequential(L.nn.Sequential(L.nn.Linear(2, 2)), L.nn.Linear(2, 2))
        for name, module in model.named_modules():
            module.register_load_state_dict_post_hook(
                lambda module, keys, name=name: calls.append((name, list(keys.missing_keys))))
        model.load_state_dict({"0.0.weight": L.ones(2, 2)}, strict=False)
        return calls
    same(run)


# ----------------------------------------------------------------- 2. linear time
def _load_calls(size: int) -> int:
    """Python function calls (and C calls) of a load_state_dict + state_dict round trip: a
    count, not a time, so a loaded machine cannot fail it."""
    model = tg.nn.Sequential(*[tg.nn.Linear(2, 2) for _ in range(size)])
    state = model.state_dict()
    calls = [0]

    def count(frame, event, arg):
        calls[0] += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        model.load_state_dict(state)
        model.state_dict()
    finally:
        sys.setprofile(None)
    return calls[0]


def test_state_dict_round_trip_is_linear_in_the_number_of_keys():
    small, large = _load_calls(200), _load_calls(1600)
    assert large < 8 * small * 1.5  # quadratic would be 64 times


def test_modules_in_a_list_attribute_load():
    def run(L):
        class Holder(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = L.nn.ModuleList([L.nn.Linear(1, 1), L.nn.Linear(1, 1)])

        model = Holder()
        result = model.load_state_dict({"layers.1.weight": L.ones(1, 1), "layers.9.bias":
                                        L.ones(1), "other.x": L.ones(1)}, strict=False)
        return [model.layers[1].weight, sorted(result.missing_keys),
                sorted(result.unexpected_keys)]
    same(run)


def test_plain_list_of_modules_loads():
    class Holder(tg.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [tg.nn.Linear(1, 1), tg.nn.Linear(1, 1)]

    model = Holder()
    result = model.load_state_dict({"layers.1.weight": np.ones((1, 1)), "layers.9.bias":
                                    np.ones(1)}, strict=False)
    assert model.layers[1].weight.tolist() == [[1.0]]
    assert result.unexpected_keys == ["layers.9.bias"]
    assert sorted(result.missing_keys) == ["layers.0.bias", "layers.0.weight", "layers.1.bias"]


# ----------------------------------------------------------------- 3. _extra_state, unexpected
def test_extra_state_without_set_extra_state_is_unexpected():
    def run(L):
        model = L.nn.Sequential(L.nn.Linear(1, 1))
        state = {**model.state_dict(), "0._extra_state": 3}
        with pytest.raises(RuntimeError, match="nexpected"):
            model.load_state_dict(state)
        return list(model.load_state_dict(state, strict=False).unexpected_keys)
    same(run)


# ----------------------------------------------------------------- 4. del forgets the bookkeeping
def test_deleting_a_buffer_or_parameter_forgets_it():
    def run(L):
        m = L.nn.Module()
        m.register_buffer("b", L.ones(1))
        del m.b
        m.b = 3
        m.p = L.nn.Parameter(L.ones(1))
        m.p = None
        del m.p
        m.p = 4
        m.register_parameter("q", None)
        del m.q
        m.q = "text"
        return [m.b, m.p, m.q, list(m.state_dict()), [n for n, _ in m.named_buffers()],
                list(m._parameters)]
    same(run)


# ----------------------------------------------------------------- 5. state-dict hooks apart
def test_state_dict_hooks_keep_the_forward_fast_path():
    model = tg.nn.Linear(2, 2)
    model.register_state_dict_pre_hook(lambda module, prefix, keep_vars: None)
    model.register_load_state_dict_post_hook(lambda module, keys: None)
    assert not model._module_hooks
    assert list(model.state_dict()) == ["weight", "bias"]


def test_a_module_as_state_dict_hook_is_no_child():
    class Hook(tg.nn.Module):
        def __call__(self, module, keys):
            return None

    model = tg.nn.Linear(2, 2)
    model.register_load_state_dict_post_hook(Hook())
    assert list(model.children()) == []


# ----------------------------------------------------------------- 9. always_call hooks
def _always_call_run(L, where: str):
    class Plain(L.nn.Module):
        def forward(self, x):
            return x + 1

    module, seen = Plain(), []
    if where == "pre":
        module.register_forward_pre_hook(lambda m, args: 1 / 0)
    module.register_forward_hook(lambda m, args, output: seen.append(("always", output is None)),
                                 always_call=True)
    if where == "hook":
        module.register_forward_hook(lambda m, args, output: 1 / 0)
    module.register_forward_hook(lambda m, args, output: seen.append("late always"),
                                 always_call=True)
    with pytest.raises(ZeroDivisionError):
        module(L.ones(1))
    return seen


@pytest.mark.parametrize("where", ["pre", "hook"])
def test_always_call_hooks_run_when_a_hook_raises(where):
    same(lambda L: _always_call_run(L, where))


def test_always_call_hook_that_raises_warns():
    def run(L):
        class Failing(L.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        module = Failing()
        module.register_forward_hook(lambda m, args, output: 1 / 0, always_call=True)
        with pytest.warns(UserWarning, match="always_call=True"), \
                pytest.raises(ValueError, match="boom"):
            module(L.ones(1))
        return True
    same(run)


def test_removing_an_always_call_hook_forgets_its_id():
    module = tg.nn.Identity()
    handle = module.register_forward_hook(lambda m, args, output: None, always_call=True)
    handle.remove()
    assert not module._module_hooks["always"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module(tg.ones(1))


# ----------------------------------------------------------------- 6. ParameterDict operators
def test_parameter_dict_from_and_with_another():
    def run(L):
        def fresh():
            return L.nn.ParameterDict({"b": L.nn.Parameter(L.ones(1)),
                                       "a": L.nn.Parameter(L.zeros(1))})

        pd, other = fresh(), L.nn.ParameterDict({"c": L.nn.Parameter(L.full((2,), 2.0))})
        updated = fresh()
        updated.update(other)
        copied = L.nn.ParameterDict(pd)
        merged, left, right = pd | other, {"z": L.ones(1)} | pd, pd | {"z": L.ones(1)}
        assert copied["a"] is pd["a"] and merged["c"] is other["c"] and left["a"] is pd["a"]
        return [list(updated), list(copied), type(merged).__name__, list(merged),
                type(left).__name__, list(left), type(right).__name__, list(right),
                isinstance(right["z"], L.nn.Parameter), isinstance(left["z"], L.nn.Parameter)]
    same(run)


def test_module_dict_update_from_another():
    def run(L):
        first = L.nn.ModuleDict({"x": L.nn.ReLU()})
        first.update(L.nn.ModuleDict({"y": L.nn.Tanh()}))
        return list(first)
    same(run)


# ----------------------------------------------------------------- 7. DataLoader's samplers
def test_setting_shuffle_later_changes_nothing():
    def run(L):
        loader = L.utils.data.DataLoader(list(range(6)), batch_size=2)
        loader.shuffle = True
        return [[batch.tolist() for batch in loader], type(loader.sampler).__name__]
    same(run)


def test_the_sampler_gives_the_loader_order():
    # as PyTorch's, the iterator first draws the workers' base seed from the generator (with
    # or without workers), then the sampler draws its permutation
    generator = tg.Generator().manual_seed(0)
    loader = tg.utils.data.DataLoader(list(range(8)), batch_size=3, shuffle=True,
                                      generator=generator)
    generator.numpy.integers(0, 2**63 - 1)  # the seed draw
    order = list(loader.sampler)
    generator.manual_seed(0)
    batches = [batch.tolist() for batch in loader]
    assert sum(batches, []) == order and sorted(order) == list(range(8))
    assert len(loader) == 3 and [len(batch) for batch in batches] == [3, 3, 2]


def test_multiprocessing_context_needs_workers():
    def run(L):
        with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
            L.utils.data.DataLoader(list(range(3)), multiprocessing_context="spawn")
        return True
    same(run)


# ----------------------------------------------------------------- 8. grad_fn hooks' inputs
def _node_hook_inputs(L, case: str):
    x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = L.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    made = {"sum": lambda: x.sum(0), "reshape": lambda: x.reshape(4), "index": lambda: x[0],
            "mul": lambda: x * y, "scalar": lambda: x * 2,
            "where": lambda: L.where(x > 2, x, y)}[case]()
    seen = []

    def hook(grad_inputs, grad_outputs):
        seen.append([None if g is None else g.tolist() for g in grad_inputs])
        return tuple(None if g is None else g * 10 for g in grad_inputs)

    made.grad_fn.register_hook(hook)
    (made * L.arange(made.numel()).reshape(made.shape)).sum().backward()
    return [seen, x.grad, y.grad]


@pytest.mark.parametrize("case", ["sum", "reshape", "index", "mul", "scalar", "where"])
def test_grad_fn_hook_inputs_as_pytorch(case):
    same(lambda L: _node_hook_inputs(L, case))
