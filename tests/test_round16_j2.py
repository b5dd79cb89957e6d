"""Round 16 (j2): data loading, checkpoints and module details, compared with PyTorch where it
is installed and with fixed values otherwise."""

from __future__ import annotations

import multiprocessing
from collections import Counter, OrderedDict, defaultdict, namedtuple

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.utils.data as data

try:
    import torch
    import torch.utils.data as torch_data
except ImportError:
    torch = None
    torch_data = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


# ------------------------------------------------------------------ 1. gradients through batches
def _batched_grad(module, data_module):
    x = module.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    weights = module.tensor(np.linspace(-1.0, 2.0, 6))
    loader = data_module.DataLoader(data_module.TensorDataset(x, weights), batch_size=4)
    for xb, wb in loader:
        ((xb ** 2).sum(1) * wb).sum().backward()
    return x.grad.numpy()


def test_tensor_dataset_batches_keep_the_graph():
    expected = 2 * np.arange(12.0).reshape(6, 2) * np.linspace(-1.0, 2.0, 6)[:, None]
    np.testing.assert_allclose(_batched_grad(tg, data), expected)
    if torch is not None:
        np.testing.assert_allclose(_batched_grad(tg, data), _batched_grad(torch, torch_data))


def test_tensor_dataset_batches_without_grad_stay_plain():
    x = tg.tensor(np.arange(6.0).reshape(3, 2))
    (xb,) = next(iter(data.DataLoader(data.TensorDataset(x), batch_size=2)))
    assert not xb.requires_grad and xb.grad_fn is None
    assert xb.tolist() == [[0.0, 1.0], [2.0, 3.0]]


# ------------------------------------------------------------------ 2. __getitems__ delegation
def _getitems_results(data_module):
    class Batched(data_module.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return index

        def __getitems__(self, indices):
            return [100 + index for index in indices]

    subset = data_module.Subset(Batched(), [3, 2, 1])
    loaded = [batch.tolist() for batch in data_module.DataLoader(subset, batch_size=2)]
    stacked = data_module.StackDataset(Batched(), [5, 6, 7, 8]).__getitems__([0, 2])
    keyed = data_module.StackDataset(a=Batched(), b=[5, 6, 7, 8]).__getitems__([0, 2])
    return subset.__getitems__([0, 1]), loaded, stacked, keyed


def test_subset_and_stack_dataset_delegate_getitems():
    expected = ([103, 102], [[103, 102], [101]], [(100, 5), (102, 7)],
                [{"a": 100, "b": 5}, {"a": 102, "b": 7}])
    assert _getitems_results(data) == expected
    if torch is not None:
        assert _getitems_results(torch_data) == expected


def test_stack_dataset_getitems_checks_the_nested_size():
    class Short(data.Dataset):
        def __len__(self):
            return 3

        def __getitems__(self, indices):
            return [0]

    with pytest.raises(ValueError, match="output size mismatch"):
        data.StackDataset(Short(), [1, 2, 3]).__getitems__([0, 1])


# ------------------------------------------------------------------ 3. collate promotion
@pytest.mark.parametrize("samples, expected", [
    (lambda m: [m.tensor([1]), m.tensor([1.5])], "float32"),
    (lambda m: [np.array([1], np.int32), np.array([1.0], np.float32)], "float32"),
    (lambda m: [np.array([1], np.uint8), np.array([1], np.int8)], "int16"),
    (lambda m: [np.int32(1), np.float32(2)], "float32"),
    (lambda m: [m.tensor([True]), m.tensor([3])], "int64"),
])
def test_default_collate_promotes_as_torch_stack(samples, expected):
    batch = data.default_collate(samples(tg))
    assert batch.dtype == np.dtype(expected)
    if torch is not None:
        assert str(torch_data.default_collate(samples(torch)).dtype) == f"torch.{expected}"


# ------------------------------------------------------------------ 5, 6. defaults and names
def test_dataloader_stores_its_default_collate_fn():
    assert data.DataLoader([1, 2]).collate_fn is data.default_collate
    assert data.DataLoader([1, 2], batch_size=None).collate_fn is data.default_convert
    sampler = data.BatchSampler(range(2), 1, False)
    assert data.DataLoader([1, 2], batch_sampler=sampler).collate_fn is data.default_collate
    mine = data.DataLoader([1, 2], collate_fn=list)
    assert mine.collate_fn is list and list(mine) == [[1], [2]]


def test_dataloader_worker_attributes():
    loader = data.DataLoader([1], num_workers=2, multiprocessing_context="spawn")
    assert loader.prefetch_factor == 2 and loader.in_order is True
    assert loader.multiprocessing_context is multiprocessing.get_context("spawn")
    plain = data.DataLoader([1], in_order=False)
    assert plain.multiprocessing_context is None and plain.in_order is False
    assert plain.prefetch_factor is None
    if torch is not None:
        theirs = torch_data.DataLoader([1], num_workers=2, multiprocessing_context="spawn")
        assert theirs.prefetch_factor == 2 and type(theirs.multiprocessing_context) is type(
            loader.multiprocessing_context)


def test_pytorch_submodule_names():
    from tinygrad_np.utils.data._utils.collate import (
        collate,
        default_collate,
        default_collate_fn_map,
        default_convert,
    )
    from tinygrad_np.utils.data._utils.worker import get_worker_info
    from tinygrad_np.utils.data.dataloader import (
        BatchSampler,
        Dataset,
        IterableDataset,
        RandomSampler,
        SequentialSampler,
        default_convert as convert2,
        get_worker_info as info2,
    )
    from tinygrad_np.utils.data.dataset import ChainDataset, IterableDataset as Iterable2

    assert default_collate is data.default_collate and default_convert is convert2
    assert get_worker_info is info2 is data.get_worker_info
    assert (Dataset, IterableDataset, Iterable2) == (data.Dataset, data.IterableDataset,
                                                      data.IterableDataset)
    assert (BatchSampler, RandomSampler, SequentialSampler, ChainDataset) == (
        data.BatchSampler, data.RandomSampler, data.SequentialSampler, data.ChainDataset)
    assert callable(collate) and tg.Tensor in default_collate_fn_map
    assert tg.utils.data.dataloader.__name__ == "tinygrad_np.utils.data.dataloader"


def _custom_collate(module, data_module):
    from_utils = data_module._utils.collate

    def tensors_summed(batch, *, collate_fn_map):
        return sum(batch)

    table = {module.Tensor: tensors_summed, int: lambda batch, *, collate_fn_map: len(batch)}
    samples = [{"x": module.tensor([1.0, 2.0]), "n": 3}, {"x": module.tensor([3.0, 4.0]), "n": 4}]
    result = from_utils.collate(samples, collate_fn_map=table)
    return result["x"].tolist(), result["n"]


def test_collate_with_a_custom_table():
    assert _custom_collate(tg, data) == ([4.0, 6.0], 2)
    if torch is not None:
        assert _custom_collate(torch, torch_data) == ([4.0, 6.0], 2)


def test_default_collate_fn_map_updated_in_place_reaches_default_collate():
    from tinygrad_np.utils.data._utils.collate import default_collate_fn_map

    before = default_collate_fn_map[float]
    default_collate_fn_map[float] = lambda batch, *, collate_fn_map: "floats"
    try:
        assert data.default_collate([{"a": 1.0}, {"a": 2.0}]) == {"a": "floats"}
    finally:
        default_collate_fn_map[float] = before
    assert data.default_collate([1.0, 2.0]).dtype == np.float64


def test_modified_tensor_collate_reaches_tensor_dataset_batches():
    from tinygrad_np.utils.data._utils.collate import default_collate_fn_map

    before = default_collate_fn_map[tg.Tensor]
    default_collate_fn_map[tg.Tensor] = lambda batch, *, collate_fn_map: len(batch)
    try:
        loader = data.DataLoader(data.TensorDataset(tg.ones(5, 2)), batch_size=2)
        assert list(loader) == [[2], [2], [1]]
    finally:
        default_collate_fn_map[tg.Tensor] = before


# ------------------------------------------------------------------ 10. container types kept
class _ListKind(list):
    pass


def _container_types(data_module):
    factory_dict = defaultdict(list, a=np.array([1.0]))
    converted = data_module.default_convert(factory_dict)
    collated = data_module.default_collate([factory_dict, factory_dict])
    return (type(converted).__name__, converted.default_factory, type(converted["a"]).__name__,
            type(data_module.default_convert(OrderedDict(a=1))).__name__,
            type(data_module.default_convert(_ListKind([np.array(1)]))).__name__,
            type(data_module.default_collate([_ListKind([1, 2]), _ListKind([3, 4])])).__name__,
            type(collated).__name__, collated.default_factory,
            type(data_module.default_convert((np.array(1),))).__name__)


def test_collate_and_convert_keep_container_types():
    expected = ("defaultdict", list, "Tensor", "OrderedDict", "_ListKind", "_ListKind",
                "defaultdict", list, "list")
    assert _container_types(data) == expected
    if torch is not None:
        assert _container_types(torch_data) == expected


def test_collate_keeps_namedtuples_and_string_tuples():
    Point = namedtuple("Point", "x y")
    collated = data.default_collate([Point(1, "a"), Point(2, "b")])
    assert isinstance(collated, Point) and collated.y == ("a", "b")
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([[1, 2], [1]])


# ------------------------------------------------------------------ 11, 12. invalid arguments
_MISUSES = [
    (lambda d: d.BatchSampler(range(10), 3, "x"), ValueError, "drop_last should be a boolean"),
    (lambda d: d.BatchSampler(range(10), 0, False), ValueError, "batch_size should be a positive"),
    (lambda d: d.RandomSampler(range(3), replacement=1), TypeError,
     "replacement should be a boolean"),
    (lambda d: d.RandomSampler(range(3), num_samples=0), ValueError,
     "num_samples should be a positive integer"),
    (lambda d: d.WeightedRandomSampler([1.0], 1, replacement="x"), ValueError,
     "replacement should be a boolean"),
    (lambda d: d.WeightedRandomSampler([1.0], 0), ValueError,
     "num_samples should be a positive integer"),
    (lambda d: d.DataLoader([1], num_workers=2, prefetch_factor=-1), ValueError,
     "prefetch_factor option should be non-negative"),
    (lambda d: d.DataLoader([1], num_workers=2, multiprocessing_context="bogus"), ValueError,
     "should specify a valid start method"),
    (lambda d: d.DataLoader([1], num_workers=2, multiprocessing_context=5), TypeError,
     "should be a valid context object"),
    (lambda d: d.DataLoader([1], multiprocessing_context="spawn"), ValueError,
     "can only be used with multi-process"),
    (lambda d: d.ConcatDataset([]), AssertionError, "should not be an empty iterable"),
    (lambda d: list(d.ChainDataset([[1, 2]])), AssertionError,
     "ChainDataset only supports IterableDataset"),
    (lambda d: len(d.ChainDataset([[1, 2]])), AssertionError,
     "ChainDataset only supports IterableDataset"),
    (lambda d: d.ConcatDataset([[1, 2]])[-3], ValueError,
     "absolute value of index should not exceed dataset length"),
    (lambda d: d.ConcatDataset([[1, 2]])[2], IndexError, "index out of range"),
]


@pytest.mark.parametrize("call, error, message", _MISUSES)
def test_misuse_is_refused_as_pytorch(call, error, message):
    with pytest.raises(error, match=message):
        call(data)
    if torch is not None:
        with pytest.raises(error, match=message):
            call(torch_data)


def test_concat_dataset_refuses_iterable_datasets():
    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter([1])

    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        data.ConcatDataset([Stream()])
    assert data.ConcatDataset([[1, 2], [3]])[-3] == 1


# ------------------------------------------------------------------ 4, 9. checkpoints
def _round_trip(obj, tmp_path):
    path = tmp_path / "obj.pt"
    tg.save(obj, path)
    return tg.load(path)


def test_save_load_keeps_counter_ordereddict_defaultdict_and_devices(tmp_path):
    obj = {"c": Counter({4: 1, 2: 3}), "d": defaultdict(list, a=[1]),
           "n": defaultdict(None, b=2), "o": OrderedDict(x=1), "cpu": tg.device("cpu"),
           "cuda": tg.device("cuda", 1),
           "keyed": {tg.device("cpu:0"): 1}, "nested": defaultdict(Counter, z=Counter("aab"))}
    loaded = _round_trip(obj, tmp_path)
    assert loaded == obj
    assert type(loaded["c"]) is Counter and list(loaded["c"]) == [4, 2]
    assert type(loaded["d"]) is defaultdict and loaded["d"].default_factory is list
    assert loaded["n"].default_factory is None and type(loaded["o"]) is OrderedDict
    assert loaded["nested"].default_factory is Counter
    assert type(loaded["nested"]["z"]) is Counter
    assert repr(loaded["cuda"]) == "device(type='cuda', index=1)"
    assert list(loaded["keyed"]) == [tg.device("cpu", 0)]
    loaded["d"]["new"].append(5)  # the factory works
    assert loaded["d"]["new"] == [5]


def test_defaultdict_with_a_function_factory_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['x'\] is a defaultdict whose default_factory"):
        tg.save({"x": defaultdict(lambda: 0)}, tmp_path / "f.pt")
    assert not (tmp_path / "f.pt").exists()


def _manifest_file(tmp_path, manifest):
    import json

    from tinygrad_np import serialization

    path = tmp_path / "crafted.pt"
    text = json.dumps(manifest).encode("ascii")
    with open(path, "wb") as handle:
        np.savez(handle, **{serialization.FORMAT_KEY: np.array(2),
                            serialization.MANIFEST_KEY: np.frombuffer(text, dtype=np.uint8)})
    return path


@pytest.mark.parametrize("manifest, message", [
    ({"defaultdict": [], "factory": "os.system"}, "defaultdict factory"),
    ({"defaultdict": []}, "not a value"),
    ({"counter": [], "factory": "list"}, "not a value"),
    ({"device": "gpu"}, "device"),
    ({"device": "cpu:00"}, "device"),
    ({"device": 3}, "device"),
])
def test_load_refuses_crafted_nodes(tmp_path, manifest, message):
    with pytest.raises(ValueError, match=message):
        tg.load(_manifest_file(tmp_path, manifest))


def test_crafted_nodes_that_save_writes_load(tmp_path):
    path = _manifest_file(tmp_path, {"defaultdict": [["k", {"counter": [[1, 2]]}]],
                                     "factory": "int"})
    loaded = tg.load(path)
    assert type(loaded) is defaultdict and loaded.default_factory is int
    assert loaded["k"] == Counter({1: 2}) and loaded["missing"] == 0


def _multistep_lrs(module, state):
    model = module.nn.Linear(2, 2)
    optimizer = module.optim.SGD(model.parameters(), lr=1.0)
    scheduler = module.optim.lr_scheduler.MultiStepLR(optimizer, [2, 4], gamma=0.5)
    scheduler.load_state_dict(state)
    lrs = []
    for _ in range(5):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_multistep_scheduler_state_round_trips(tmp_path):
    model = tg.nn.Linear(2, 2)
    optimizer = tg.optim.SGD(model.parameters(), lr=1.0)
    scheduler = tg.optim.lr_scheduler.MultiStepLR(optimizer, [2, 4], gamma=0.5)
    loaded = _round_trip(scheduler.state_dict(), tmp_path)
    assert type(loaded["milestones"]) is Counter
    assert _multistep_lrs(tg, loaded) == [1.0, 0.5, 0.5, 0.25, 0.25]


@needs_torch
def test_torch_checkpoint_with_counter_and_device_loads(tmp_path):
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [2, 4], gamma=0.5)
    path = tmp_path / "torch.pt"
    torch.save({"sched": scheduler.state_dict(), "where": torch.device("cpu"),
                "od": OrderedDict(a=1), "counts": Counter("abca")}, path)
    mine, theirs = tg.load(path), torch.load(path)
    assert type(mine["sched"]["milestones"]) is Counter
    assert mine["sched"]["milestones"] == theirs["sched"]["milestones"]
    assert mine["counts"] == theirs["counts"] and type(mine["od"]) is OrderedDict
    assert mine["where"] == tg.device("cpu")
    assert _multistep_lrs(tg, mine["sched"]) == _multistep_lrs(torch, theirs["sched"])


# ------------------------------------------------------------------ 15. a child set to None
def _none_child(module):
    nn = module.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.b = nn.ReLU()

    net = Net()
    net.a = None
    seen = [dict(net._modules), net.a, [name for name, _ in net.named_children()],
            list(net.state_dict()), repr(net), len(list(net.parameters()))]
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'a'"):
        net.a = 5
    net.add_module("c", None)
    seen += [list(net._modules), net.c]
    net.add_module("c", nn.Tanh())
    net.a = nn.Linear(1, 1)
    seen.append(list(net._modules))
    net.a = None
    del net.a
    seen.append(list(net._modules))
    net.a = 5  # a plain attribute again
    net.register_module("d", None)
    seen += [net.a, dict(net._modules)["d"], repr(net)]
    return [str(item) if isinstance(item, dict) else item for item in seen]


def test_child_module_set_to_none_stays_listed():
    expected = ["{'a': None, 'b': ReLU()}", None, ["b"], [], "Net(\n  (a): None\n  (b): ReLU()\n)",
                0, ["a", "b", "c"], None, ["a", "b", "c"], ["b", "c"], 5, None,
                "Net(\n  (b): ReLU()\n  (c): Tanh()\n  (d): None\n)"]
    assert _none_child(tg) == expected
    if torch is not None:
        assert _none_child(torch) == expected


# ------------------------------------------------------------------ 17. reprs and class names
def _repr_and_keys(module):
    layer = module.nn.Linear(2, 2)
    optimizer = module.optim.SGD([{"params": [layer.weight]}, {"params": [layer.bias], "lr": 0.5}],
                                 lr=0.1)
    keys = layer.load_state_dict({"weight": layer.weight.detach()}, strict=False)
    return (repr(optimizer), type(keys).__name__, type(keys).__mro__[1].__name__, repr(keys),
            keys == (["bias"], []), repr(layer.load_state_dict(layer.state_dict())))


def test_optimizer_repr_and_incompatible_keys_class():
    text, name, base, keys, equal, matched = _repr_and_keys(tg)
    assert "    weight_decay: 0\n\nParameter Group 1\n" in text and text.endswith("0\n)")
    assert (name, base, equal, matched) == ("_IncompatibleKeys", "IncompatibleKeys", True,
                                            "<All keys matched successfully>")
    assert keys == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"
    if torch is not None:
        assert _repr_and_keys(torch) == (text, name, base, keys, equal, matched)
