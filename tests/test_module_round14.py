"""nn.Module behaviours found by a probe against PyTorch 2.13: a parent's train()/eval() goes
through each child's own train(), to()/double()/type() reach a subclass's _apply, a child
module's name refuses a non-module, __setstate__ exists for subclasses to call, and
reversed(ParameterDict) gives the keys backwards. Each test works with torch as the module
under test too (run with `--lib torch` style parametrisation below)."""

import copy
import pickle

import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] + ([torch] if torch is not None else [])


def _frozen_bn_model(L):
    class Backbone(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = L.nn.Linear(2, 2)
            self.bn = L.nn.BatchNorm1d(2)
            self.calls = []

        def train(self, mode=True):
            self.calls.append(mode)
            super().train(mode)
            self.bn.eval()  # keep the statistics frozen
            return self

        def forward(self, x):
            return self.bn(self.conv(x))

    return L.nn.Sequential(Backbone(), L.nn.Linear(2, 1))


@pytest.mark.parametrize("L", LIBS, ids=lambda L: L.__name__)
def test_parent_train_calls_each_childs_own_train(L):
    model = _frozen_bn_model(L)
    model.eval()
    model.train()
    assert model[0].calls[-2:] == [False, True]
    assert model.training and model[0].training and not model[0].bn.training
    before = model[0].bn.running_mean.clone()
    model(L.randn(8, 2) + 5)
    assert L.equal(model[0].bn.running_mean, before)


@pytest.mark.parametrize("L", LIBS, ids=lambda L: L.__name__)
def test_train_mode_must_be_a_bool(L):
    with pytest.raises(ValueError, match="boolean"):
        L.nn.Linear(1, 1).train("yes")


@pytest.mark.parametrize("L", LIBS, ids=lambda L: L.__name__)
def test_to_and_double_reach_a_subclass_apply(L):
    class Cached(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = L.nn.Linear(1, 1)
            self.cache = L.zeros(2)

        def _apply(self, fn, *args, **kwargs):
            super()._apply(fn, *args, **kwargs)
            self.cache = fn(self.cache)
            return self

    model = L.nn.Sequential(Cached()).double()
    assert model[0].cache.dtype == L.float64 and model[0].lin.weight.dtype == L.float64
    model.to(L.float32)
    assert model[0].cache.dtype == L.float32
    model.type(L.float64)
    assert model[0].cache.dtype == L.float64


@pytest.mark.parametrize("L", LIBS, ids=lambda L: L.__name__)
def test_a_child_module_name_refuses_a_non_module(L):
    seq = L.nn.Sequential(L.nn.Linear(1, 1))
    with pytest.raises(TypeError, match="child module"):
        setattr(seq, "0", L.zeros(1))
    assert len(seq) == 1 and len(seq.state_dict()) == 2
    m = L.nn.Module()
    m.c = L.nn.Linear(1, 1)
    with pytest.raises(TypeError, match="child module"):
        m.c = 5
    m.c = None  # None is allowed
    m.c = L.nn.ReLU()


class _Restoring(tg.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = tg.nn.Linear(1, 1)

    def __setstate__(self, state):
        super().__setstate__(state)
        self.restored = True


def test_subclass_setstate_calling_super_pickles_and_copies():
    copied = copy.deepcopy(_Restoring())
    assert copied.restored and isinstance(copied.lin, tg.nn.Linear)
    loaded = pickle.loads(pickle.dumps(_Restoring()))
    assert loaded.restored and loaded.lin.weight.shape == (1, 1)


@pytest.mark.parametrize("L", LIBS, ids=lambda L: L.__name__)
def test_reversed_parameter_dict(L):
    p = L.nn.Parameter(L.zeros(1))
    params = L.nn.ParameterDict({"b": p, "a": p})  # a plain dict's keys are sorted (PyTorch)
    assert list(params) == ["a", "b"] and list(reversed(params)) == ["b", "a"]


@pytest.mark.parametrize("L", LIBS, ids=lambda L: L.__name__)
def test_registering_over_an_existing_attribute_is_a_key_error(L):
    linear = L.nn.Linear(1, 1)
    with pytest.raises(KeyError, match="already exists"):
        linear.register_parameter("training", L.nn.Parameter(L.zeros(1)))
    with pytest.raises(KeyError, match="already exists"):
        L.nn.BatchNorm1d(2).register_parameter("running_mean", L.nn.Parameter(L.zeros(2)))
    with pytest.raises(KeyError, match="already exists"):
        linear.add_module("in_features", L.nn.ReLU())
    assert linear.in_features == 1 and linear.training is True
    linear.register_parameter("weight", L.nn.Parameter(L.zeros(1, 1)))  # replacing is fine
    linear.add_module("act", L.nn.ReLU())
    linear.add_module("act", L.nn.Tanh())
    assert isinstance(linear.act, L.nn.Tanh)
