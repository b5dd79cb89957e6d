"""Fourteenth round of probes against PyTorch (session 20): real scripts run with only the import
changed: version checks, DataLoader workers, the meta device, torch.compile's wrapper,
SparseAdam, small namespaces, and TransformerEncoder's padded positions in eval."""

from __future__ import annotations

import configparser
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

try:
    from packaging.version import Version
except ImportError:
    Version = None

# PyTorch warns (as tinygrad_np now does) when the layer rules the nested-tensor path out,
# and for a bool padding mask with a float attention mask
pytestmark = [pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:Support for mismatched")]

# ---------------------------------------------------------------- __version__

VERSION_CHECKS = {
    "ge str": lambda v: v >= "2.0",
    "ge long str": lambda v: v >= "2.13.0",
    "lt next": lambda v: v < "2.13.1",
    "gt release": lambda v: v > "2.13.0",  # the local label sorts after the release
    "eq release": lambda v: v == "2.13.0",
    "lt 2.14 dev": lambda v: v < "2.14.0.dev0",
    "gt 2.13 rc": lambda v: v > "2.13.0rc1",
    "lt 10": lambda v: v < "10.0",  # as versions, not as strings ("2" > "1")
    "ge tuple": lambda v: v >= (2, 0),
    "lt tuple": lambda v: v < (2, 14),
    "eq tuple": lambda v: v == (2, 13, 0),
    "gt list": lambda v: v > [1, 12],
    "major minor": lambda v: tuple(int(x) for x in v.split(".")[:2]) >= (1, 12),
    "startswith": lambda v: v.startswith("2."),
    "not a version": lambda v: v == "parrot",
}


@pytest.mark.parametrize("name", list(VERSION_CHECKS))
def test_version_checks_take_the_2_13_branch(name):
    expected = {"eq release": False, "eq tuple": False, "not a version": False}.get(name, True)
    assert VERSION_CHECKS[name](tg.__version__) is expected


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", list(VERSION_CHECKS))
def test_version_checks_like_pytorch_torch_version(name):
    from torch.torch_version import TorchVersion

    assert VERSION_CHECKS[name](tg.__version__) == VERSION_CHECKS[name](
        TorchVersion(str(tg.__version__)))


@pytest.mark.skipif(Version is None, reason="needs packaging")
def test_version_parses_with_packaging():
    parsed = Version(tg.__version__)
    assert parsed >= Version("1.12") and parsed.release == (2, 13, 0)
    assert parsed.local == f"tgnp.{tg.version.tinygrad_np}"
    assert tg.__version__ >= Version("2.0") and tg.__version__ < Version("3")


def test_version_is_a_str_and_the_library_version_is_reachable():
    assert isinstance(tg.__version__, str) and tg.__version__ == tg.version.__version__
    assert str(tg.__version__) == f"2.13.0+tgnp.{tg.version.tinygrad_np}"
    assert {tg.__version__: 1}[str(tg.__version__)] == 1  # hashes as its string
    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parent.parent / "setup.cfg")
    assert config["metadata"]["version"] == tg.version.tinygrad_np == "0.1.0"
    assert tg.torch_version.TorchVersion("1.10.0a") > (1, 2, 1)


# ---------------------------------------------------------------- DataLoader workers
def _loader_cases(L):
    """Loaders over iterable and map-style datasets with workers, with what PyTorch 2.13
    gives for each (batches as lists)."""
    data = L.utils.data
    info = data.get_worker_info

    class Sharded(data.IterableDataset):  # the PyTorch docs' example
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            worker = info()
            if worker is None:
                return iter(range(self.start, self.end))
            per = -(-(self.end - self.start) // worker.num_workers)
            start = self.start + worker.id * per
            return iter(range(start, min(start + per, self.end)))

    class Plain(data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    class Filled(data.IterableDataset):
        def __init__(self):
            self.data = []

        def __iter__(self):
            return iter(self.data)

    def fill(worker_id):
        info().dataset.data = list(range(worker_id * 10, worker_id * 10 + 2 + worker_id))

    class Uneven(data.IterableDataset):
        def __iter__(self):
            worker = info()
            return iter(range(worker.id * 100, worker.id * 100 + [4, 1][worker.id]))

    class Map(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            worker = info()
            return i, worker.id, getattr(worker.dataset, "tag", -1)

    def tag(worker_id):
        info().dataset.tag = worker_id + 7

    class Count(data.IterableDataset):
        def __init__(self):
            self.n = 0

        def __iter__(self):
            self.n += 1
            return iter([self.n])

    loader = data.DataLoader
    persistent = loader(Count(), num_workers=2, persistent_workers=True)
    fresh = loader(Count(), num_workers=2)
    return {
        "docs sharded": (loader(Sharded(3, 7), num_workers=2), [[3], [5], [4], [6]]),
        "docs sharded, batch 2": (loader(Sharded(0, 11), num_workers=2, batch_size=2),
                                  [[0, 1], [6, 7], [2, 3], [8, 9], [4, 5], [10]]),
        "docs, no workers": (loader(Sharded(3, 7)), [[3], [4], [5], [6]]),
        "unsharded": (loader(Plain(), num_workers=2), [[0], [0], [1], [1], [2], [2]]),
        "batched per worker": (loader(Plain(), num_workers=2, batch_size=2),
                               [[0, 1], [0, 1], [2], [2]]),
        "drop_last per worker": (loader(Plain(), num_workers=2, batch_size=2, drop_last=True),
                                 [[0, 1], [0, 1]]),
        "unbatched": (loader(Sharded(0, 5), num_workers=2, batch_size=None), [0, 3, 1, 4, 2]),
        "worker_init_fn": (loader(Filled(), num_workers=2, worker_init_fn=fill),
                           [[0], [10], [1], [11], [12]]),
        "init changes copies only": (loader(Filled(), num_workers=2), []),
        "exhausted worker drops out": (loader(Uneven(), num_workers=2),
                                       [[0], [100], [1], [2], [3]]),
        "map-style": (loader(Map(), num_workers=2, batch_size=2),
                      [[[0, 1], [0, 0], [-1, -1]], [[2, 3], [1, 1], [-1, -1]],
                       [[4], [0], [-1]]]),
        "map-style unbatched": (loader(Map(), num_workers=2, batch_size=None,
                                       worker_init_fn=tag),
                                [[0, 0, 7], [1, 1, 8], [2, 0, 7], [3, 1, 8], [4, 0, 7]]),
        "persistent copies": ([persistent, persistent, persistent], [[[1], [1]], [[2], [2]],
                                                                    [[3], [3]]]),
        "fresh copies each epoch": ([fresh, fresh], [[[1], [1]], [[1], [1]]]),
    }


def _listed(batches):
    return [batch.tolist() if hasattr(batch, "tolist") else _listed(batch)
            if isinstance(batch, (list, tuple)) else batch for batch in batches]


def _run_loader(case):
    if isinstance(case, list):
        return [_listed(loader) for loader in case]
    return _listed(case)


CASES = list(_loader_cases(tg))


@pytest.mark.parametrize("name", CASES)
def test_data_loader_workers_give_pytorchs_batches(name):
    loader, expected = _loader_cases(tg)[name]
    assert _run_loader(loader) == expected
    assert tg.utils.data.get_worker_info() is None  # only inside workers


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
def test_data_loader_workers_expected_values_are_pytorchs():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's warnings about the number of CPUs)
        for name, (loader, expected) in _loader_cases(torch).items():
            assert _run_loader(loader) == expected, name


def test_worker_info_while_a_worker_runs():
    data = tg.utils.data
    seen, calls = [], []

    class Seen(data.IterableDataset):
        def __iter__(self):
            worker = data.get_worker_info()
            seen.append((worker.id, worker.num_workers, worker.dataset is self))
            return self._values()

        def _values(self):
            for value in range(2):
                seen.append(data.get_worker_info().id)
                yield value

    dataset = Seen()
    loader = data.DataLoader(dataset, num_workers=2, persistent_workers=True,
                             worker_init_fn=lambda worker_id: calls.append(
                                 data.get_worker_info().dataset is not dataset))
    for _ in range(2):
        list(loader)
    assert calls == [True, True]  # once per worker (they persist), each with its own copy
    assert seen[:2] == [(0, 2, True), (1, 2, True)]  # both iterators made, each in its worker
    assert seen[2:6] == [0, 1, 0, 1]  # then every next() in its worker
    info = data.WorkerInfo(id=0, num_workers=1, seed=5, dataset=None)
    with pytest.raises(AttributeError):
        info.id = 1  # frozen, as PyTorch's


def test_workers_draw_from_their_own_seeded_generators():
    data = tg.utils.data

    class Draws(data.IterableDataset):
        def __iter__(self):
            worker = data.get_worker_info()
            return iter([(worker.seed - tg.initial_seed(), float(tg.rand(())))])

    tg.manual_seed(0)
    draws = list(data.DataLoader(Draws(), num_workers=2, batch_size=None))
    after_loader = float(tg.rand(()))
    tg.manual_seed(0)
    tg.empty((), dtype=tg.int64).random_()  # the base seed drawn as PyTorch's: an int64 random_()
    assert float(tg.rand(())) == after_loader  # the workers' draws leave the caller's stream
    assert [offset for offset, _ in draws] == [0, 0]  # each worker's generator has its seed
    assert draws[0][1] != draws[1][1]


# ---------------------------------------------------------------- the meta device
class _Big:
    @staticmethod
    def make(L):
        class Big(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = L.nn.Linear(4, 5), L.nn.Linear(5, 2)

            def forward(self, x):
                return self.b(self.a(x).relu())

        return Big


def test_meta_factories_and_layers_are_accepted_on_the_cpu():
    t = tg.empty(3, device="meta")
    assert t.shape == (3,) and t.dtype == tg.float32 and t.device == tg.device("cpu")
    assert not t.is_meta  # 'meta' is the CPU here, with values
    layer = tg.nn.Linear(2, 3, device="meta")
    assert layer.weight.shape == (3, 2) and layer.weight.device.type == "cpu"
    assert tg.zeros(2, device=tg.device("meta")).tolist() == [0.0, 0.0]
    tg.set_default_device("meta")
    assert tg.get_default_device() == tg.device("cpu")
    with pytest.raises(RuntimeError, match="not available"):
        tg.empty(3, device="cuda")


@pytest.mark.parametrize("L", [tg] if torch is None else [tg, torch])
def test_meta_init_then_to_empty_then_load_state_dict(L):
    Big = _Big.make(L)
    with L.device("meta"):
        model = Big()
    model.to_empty(device="cpu")
    reference = Big()
    model.load_state_dict(reference.state_dict())
    x = L.ones(2, 4)
    assert L.allclose(model(x), reference(x)) and model.a.weight.device.type == "cpu"


@pytest.mark.parametrize("L", [tg] if torch is None else [tg, torch])
def test_model_ensembling_with_a_meta_base_model(L):
    import copy
    from importlib import import_module

    func = import_module(L.__name__ + ".func")
    Big = _Big.make(L)
    models = [Big() for _ in range(3)]
    params, buffers = func.stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def run(p, b, x):
        return func.functional_call(base, (p, b), (x,))

    x = L.arange(8.0).reshape(2, 4)
    out = func.vmap(run, in_dims=(0, 0, None))(params, buffers, x)
    assert tuple(out.shape) == (3, 2, 2)
    for number, model in enumerate(models):
        assert L.allclose(out[number], model(x))


# ---------------------------------------------------------------- torch.compile's wrapper
def _compiled(L):
    import importlib

    dynamo = importlib.import_module(L.__name__ + "._dynamo")
    model = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU())
    compiled = L.compile(model)
    seen = {
        "type": type(compiled).__name__, "is": compiled is model,
        "orig": compiled._orig_mod is model,
        "keys": list(compiled.state_dict()),
        "names": [name for name, _ in compiled.named_parameters()],
        "modules": [name for name, _ in compiled.named_modules()],
        "same parameters": all(a is b for a, b in zip(compiled.parameters(),
                                                      model.parameters(), strict=True)),
        "len": len(compiled), "is a Sequential": isinstance(compiled, L.nn.Sequential),
        "unwrap": isinstance(compiled, dynamo.eval_frame.OptimizedModule),
        "repr": repr(compiled).splitlines()[:2],
    }
    compiled.eval()
    seen["eval reaches the model"] = (model.training, compiled.training)
    model.train()
    seen["train read through"] = compiled.training
    compiled.tag = 3
    seen["setattr reaches the model"] = (getattr(model, "tag", None), "tag" in vars(compiled))
    x = L.ones(1, 2)
    seen["call"] = L.equal(compiled(x), model(x))
    layer = L.nn.Linear(2, 2)
    wrapped = L.compile(mode="max-autotune")(layer)
    seen["decorator form"] = (type(wrapped).__name__, wrapped.weight is layer.weight,
                              wrapped.in_features)
    with pytest.raises(RuntimeError):  # the unprefixed keys do not match
        wrapped.load_state_dict(layer.state_dict())
    wrapped.load_state_dict(wrapped.state_dict())
    with pytest.raises(AttributeError):
        compiled.nonexistent  # noqa: B018
    dynamo.config.suppress_errors = True
    seen["config"] = (dynamo.config.suppress_errors, dynamo.config.cache_size_limit,
                      dynamo.reset())
    dynamo.config.suppress_errors = False

    def double(t):
        return t * 2

    seen["function"] = L.compile(double)(x).tolist()
    return seen


def test_compile_wraps_a_module_in_an_optimized_module():
    seen = _compiled(tg)
    assert seen["type"] == "OptimizedModule" and not seen["is"] and seen["orig"]
    assert seen["keys"] == seen["names"] == ["_orig_mod.0.weight", "_orig_mod.0.bias"]
    assert seen["modules"] == ["", "_orig_mod", "_orig_mod.0", "_orig_mod.1"]
    assert seen["same parameters"] and seen["len"] == 2 and seen["unwrap"]
    assert not seen["is a Sequential"]
    assert seen["eval reaches the model"] == (False, False) and seen["train read through"]
    assert seen["setattr reaches the model"] == (3, False) and seen["call"]
    assert seen["decorator form"] == ("OptimizedModule", True, 2)
    assert seen["config"] == (True, 8, None) and seen["function"] == [[2.0, 2.0]]
    assert tg.compile(double := (lambda t: t)) is double  # a function comes back as itself


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
def test_compile_wrapper_like_pytorch():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _compiled(tg) == _compiled(torch)


def test_compiled_module_trains_the_original_parameters():
    model = tg.nn.Linear(2, 1)
    compiled = tg.compile(model)
    opt = tg.optim.SGD(compiled.parameters(), lr=0.5)
    before = model.weight.detach().clone()
    compiled(tg.ones(3, 2)).sum().backward()
    opt.step()
    assert np.allclose(model.weight.detach().numpy(), before.numpy() - 0.5 * 3)
    with tg._dynamo.config.patch(verbose=True):
        assert tg._dynamo.config.verbose
    assert tg._dynamo.config.verbose is False


# ---------------------------------------------------------------- SparseAdam
def _skip_gram(L, optimizer, dtype_name, steps=20, **options):
    """word2vec-like training of two sparse embeddings; the input embedding after each step."""
    rng = np.random.default_rng(0)
    vocab, dim = 12, 4
    start_in, start_out = rng.normal(size=(vocab, dim)), rng.normal(size=(vocab, dim))
    dtype = getattr(L, dtype_name)
    e_in = L.nn.Embedding(vocab, dim, sparse=True)
    e_out = L.nn.Embedding(vocab, dim, sparse=True)
    with L.no_grad():
        e_in.weight.copy_(L.tensor(start_in))
        e_out.weight.copy_(L.tensor(start_out))
    e_in.to(dtype)
    e_out.to(dtype)
    opt = getattr(L.optim, optimizer)([*e_in.parameters(), *e_out.parameters()], **options)
    draws, path = np.random.default_rng(1), []
    for _ in range(steps):
        center, context, negative = (L.tensor(draws.integers(0, vocab, 6)) for _ in range(3))
        vc = e_in(center)
        positive = (vc * e_out(context)).sum(-1)
        negatives = (vc * e_out(negative)).sum(-1)
        loss = -(L.nn.functional.logsigmoid(positive)
                 + L.nn.functional.logsigmoid(-negatives)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        path.append(np.concatenate([e_in.weight.detach().numpy(),
                                    e_out.weight.detach().numpy()]))
    return np.array(path), opt.state[e_in.weight]


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("setting", [("SparseAdam", {"lr": 0.05}),
                                     ("SparseAdam", {"lr": 0.1, "betas": (0.5, 0.9),
                                                     "eps": 1e-3, "maximize": True}),
                                     ("SGD", {"lr": 0.1})])
def test_sparse_embedding_training_follows_pytorchs_trajectory(dtype, setting):
    optimizer, options = setting
    mine, state = _skip_gram(tg, optimizer, dtype, **options)
    theirs, their_state = _skip_gram(torch, optimizer, dtype, **options)
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-13 if dtype == "float64" else 2e-6)
    if optimizer == "SparseAdam":
        assert state["step"] == their_state["step"] == 20 and isinstance(state["step"], int)
        np.testing.assert_allclose(state["exp_avg_sq"].numpy(), their_state["exp_avg_sq"],
                                   atol=1e-13 if dtype == "float64" else 1e-6)


def test_sparse_adam_moves_only_the_touched_rows():
    weight = tg.nn.Parameter(tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=tg.float64))
    opt = tg.optim.SparseAdam([weight], lr=0.1)
    weight.grad = tg.tensor([[0.5, 0.0], [0.0, 0.0], [0.0, -2.0]], dtype=tg.float64)
    opt.step()
    # step 1: m = 0.1 g, v = 0.001 g^2, step size 0.1 * sqrt(0.001) / 0.1: a touched row's
    # entries move by 0.1 * g / (|g| + 1e-8 / sqrt(0.001)) (0 where g is 0 in that row)
    expected = [[1.0 - 0.1 * 0.5 / (0.5 + 1e-8 / 0.001 ** 0.5), 2.0], [3.0, 4.0],
                [5.0, 6.0 + 0.1 * 2.0 / (2.0 + 1e-8 / 0.001 ** 0.5)]]
    np.testing.assert_allclose(weight.detach().numpy(), expected, rtol=1e-12)
    weight.grad = tg.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]], dtype=tg.float64)
    moments = opt.state[weight]["exp_avg"].numpy().copy()
    opt.step()  # rows 0 and 2 keep their values and moments (Adam would move both)
    np.testing.assert_allclose(weight.detach().numpy()[[0, 2]], np.array(expected)[[0, 2]])
    np.testing.assert_array_equal(opt.state[weight]["exp_avg"].numpy()[[0, 2]], moments[[0, 2]])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        tg.optim.SparseAdam([weight], lr=0.0)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        tg.optim.SparseAdam([weight], betas=(0.9, 1.0))


# ---------------------------------------------------------------- small namespaces
def test_distributed_is_honestly_unavailable():
    import tinygrad_np.distributed as dist

    assert dist.is_available() is False and dist.is_initialized() is False
    assert not dist.is_nccl_available() and not dist.is_gloo_available()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            call()
    with pytest.raises(RuntimeError, match="no distributed backend"):
        dist.init_process_group("gloo")
    assert dist.ReduceOp.SUM is not dist.ReduceOp.MAX


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
def test_distributed_uninitialized_errors_like_pytorch():
    import tinygrad_np.distributed as dist
    import torch.distributed as their_dist

    assert dist.is_initialized() == their_dist.is_initialized()
    for name in ("get_rank", "get_world_size"):
        with pytest.raises(ValueError) as theirs:
            getattr(their_dist, name)()
        with pytest.raises(ValueError, match=str(theirs.value)):
            getattr(dist, name)()


def test_multiprocessing_is_pythons():
    import multiprocessing

    import tinygrad_np.multiprocessing as mp

    assert mp.get_start_method(allow_none=True) == multiprocessing.get_start_method(
        allow_none=True)
    assert mp.Process is multiprocessing.Process and mp.cpu_count() == multiprocessing.cpu_count()
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()


CUDA_CALLS = {"memory_allocated": (), "max_memory_allocated": (), "memory_reserved": (),
              "max_memory_reserved": (), "memory_stats": (), "is_initialized": (),
              "get_arch_list": (), "reset_peak_memory_stats": (), "set_device": (0,),
              "get_device_properties": (0,), "get_device_capability": (), "mem_get_info": ()}


def _cuda_outcome(L, name):
    try:
        return ("value", getattr(L.cuda, name)(*CUDA_CALLS[name]))
    except (AttributeError, AssertionError) as error:
        return ("raises", "AttributeError" if isinstance(error, AttributeError)
                else "AssertionError")


@pytest.mark.parametrize("name", list(CUDA_CALLS))
def test_cuda_memory_counters_and_errors_without_cuda(name):
    expected = {"memory_stats": ("value", {}), "is_initialized": ("value", False),
                "get_arch_list": ("value", []), "reset_peak_memory_stats":
                ("raises", "AttributeError"), "set_device": ("raises", "AttributeError"),
                "get_device_properties": ("raises", "AssertionError"),
                "get_device_capability": ("raises", "AssertionError"),
                "mem_get_info": ("raises", "AssertionError")}.get(name, ("value", 0))
    assert _cuda_outcome(tg, name) == expected
    if torch is not None:
        outcome = _cuda_outcome(torch, name)
        assert outcome == expected or outcome[1] == dict(expected[1] or {})


def test_type_alias_modules():
    from tinygrad_np.nn.common_types import _ratio_2_t, _size_1_t, _size_2_t, _size_any_t
    from tinygrad_np.types import Device, Number, _TensorOrTensors

    assert _size_2_t == int | tuple[int, int] and _size_1_t == int | tuple[int]
    assert _size_any_t == int | tuple[int, ...] and _ratio_2_t == float | tuple[float, float]
    assert isinstance(2.5, Number) and isinstance(tg.ones(1), _TensorOrTensors.__args__[0])
    assert isinstance("cpu", Device)


def test_utils_hooks_handle_is_the_module_hooks_handle():
    from tinygrad_np.utils.hooks import RemovableHandle

    layer = tg.nn.Linear(2, 2)
    handle = layer.register_forward_hook(lambda *args: None)
    assert isinstance(handle, RemovableHandle)
    hooks: dict = {}
    own = RemovableHandle(hooks)  # PyTorch's constructor: the hooks dict
    hooks[own.id] = print
    own.remove()
    assert hooks == {}


PYTREE = {"a": [1, 2], "b": (3, None), "c": {"d": 4}}


@pytest.mark.parametrize("L", [tg] if torch is None else [tg, torch])
def test_pytree_functions(L):
    from importlib import import_module

    pytree = import_module(L.__name__ + ".utils._pytree")
    leaves, spec = pytree.tree_flatten(PYTREE)
    assert leaves == [1, 2, 3, None, 4] and pytree.tree_leaves(PYTREE) == leaves  # None: a leaf
    assert pytree.tree_unflatten([5, 6, 7, 0, 8], spec) == {"a": [5, 6], "b": (7, 0),
                                                            "c": {"d": 8}}
    assert pytree.tree_map(lambda x, y: (x, y), [1, None], [2, 3]) == [(1, 2), (None, 3)]
    assert pytree.tree_structure((1, None)) == pytree.tree_structure((1, 2))
    assert pytree.tree_structure((1, 2)) != pytree.tree_structure([1, 2])
    assert pytree.tree_structure([1, (2, 3)]) == pytree.tree_structure([5, (6, 7)])
    assert pytree.tree_map_only(int, str, [1, "x", 2.0]) == ["1", "x", 2.0]


def test_collate_module_autograd_graph_utils_and_overrides():
    import tinygrad_np._utils as utils
    import tinygrad_np.autograd.graph as graph
    import tinygrad_np.overrides as overrides
    from tinygrad_np.utils.data._utils.collate import default_collate, default_convert

    assert default_collate([1, 2]).tolist() == [1, 2] and default_convert is not None
    x = tg.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert isinstance(y.grad_fn, graph.Node)
    assert all(isinstance(node, graph.Node) for node, _ in y.grad_fn.next_functions if node)
    assert not isinstance(x, graph.Node)
    assert not overrides.has_torch_function((x,)) and overrides.is_tensor_like(x)
    parts = [tg.arange(4.0).reshape(2, 2), tg.tensor([5.0, 6.0, 7.0])]
    flat = utils._flatten_dense_tensors(parts)
    assert flat.tolist() == [0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 7.0]
    back = utils._unflatten_dense_tensors(flat, parts)
    assert [piece.tolist() for piece in back] == [part.tolist() for part in parts]


def test_spmm_on_dense_matrices():
    a, b = [[1.0, 2.0], [3.0, 4.0]], [[1.0], [-1.0]]
    assert tg.spmm(tg.tensor(a), tg.tensor(b)).tolist() == [[-1.0], [-1.0]]
    if torch is not None:
        assert torch.spmm(torch.tensor(a), torch.tensor(b)).tolist() == [[-1.0], [-1.0]]


# ---------------------------------------------------------------- TransformerEncoder padding
ENCODER_CASES = {  # name: (layer options, encoder options, run options, PyTorch zeroes?)
    "eval, no_grad": ({}, {}, {}, True),
    "training": ({}, {}, {"train": True}, False),
    "grad enabled": ({}, {}, {"grad": True}, False),
    "grad enabled, nothing requires grad": ({}, {}, {"grad": True, "frozen": True}, True),
    "seq first": ({"batch_first": False}, {}, {}, False),
    "enable_nested_tensor=False": ({}, {"enable_nested_tensor": False}, {}, False),
    "norm_first": ({"norm_first": True}, {}, {}, False),
    "odd heads": ({"nhead": 1}, {}, {}, False),
    "no bias": ({"bias": False}, {}, {}, False),
    "gelu": ({"activation": "gelu"}, {}, {}, True),
    "other activation": ({"activation": "tanh"}, {}, {}, False),
    "attention mask too": ({}, {}, {"mask": True}, False),
    "padding not at the end": ({}, {}, {"padding": [[True, False, False], [False] * 3]}, False),
    "float padding mask": ({}, {}, {"float mask": True}, True),
    "unbatched": ({}, {}, {"unbatched": True}, False),
    "fast path disabled": ({}, {}, {"fastpath": False}, False),
    "final norm": ({}, {"norm": True}, {}, True),
}


def _encode(L, name, state=None):
    layer_options, encoder_options, run, _ = ENCODER_CASES[name]
    options = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0,
               "batch_first": True, **layer_options}
    if options.get("activation") == "tanh":
        options["activation"] = L.tanh
    encoder_options = dict(encoder_options)
    if encoder_options.pop("norm", False):
        encoder_options["norm"] = L.nn.LayerNorm(8)
    encoder = L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(**options), 2,
                                      **encoder_options).double()
    if state is None:
        state = {key: value.detach().numpy() for key, value in encoder.state_dict().items()}
    else:
        encoder.load_state_dict({key: L.tensor(value) for key, value in state.items()})
    encoder.train(run.get("train", False))
    if run.get("frozen"):
        encoder.requires_grad_(False)
    x = L.tensor(np.random.default_rng(0).normal(size=(2, 3, 8)))
    padding = L.tensor(run.get("padding", [[False, False, True], [False, True, True]]))
    if run.get("float mask"):
        padding = L.zeros(2, 3, dtype=L.float64).masked_fill(padding, float("-inf"))
    if not options["batch_first"]:
        x = x.transpose(0, 1)
    if run.get("unbatched"):
        x, padding = x[0], padding[0]
    mask = L.zeros(3, 3, dtype=L.float64) if run.get("mask") else None
    previous = L.backends.mha.get_fastpath_enabled()
    L.backends.mha.set_fastpath_enabled(run.get("fastpath", True))
    try:
        with L.set_grad_enabled(run.get("grad", False)):
            if mask is not None and padding.dtype != mask.dtype:  # a bool and a float mask
                with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and mask"):
                    out = encoder(x, mask=mask, src_key_padding_mask=padding)
            else:
                out = encoder(x, mask=mask, src_key_padding_mask=padding)
    finally:
        L.backends.mha.set_fastpath_enabled(previous)
    if not options["batch_first"]:
        out = out.transpose(0, 1)
    return out.detach().numpy(), state


@pytest.mark.parametrize("name", list(ENCODER_CASES))
def test_encoder_zeroes_padded_positions_under_the_nested_path_conditions(name):
    out, _ = _encode(tg, name)
    zeroes = ENCODER_CASES[name][3]
    if ENCODER_CASES[name][2].get("unbatched") or "padding" in ENCODER_CASES[name][2]:
        assert np.all(out != 0)
        return
    last = out[..., 2, :] if out.ndim == 3 else out[2]
    if name == "final norm":  # the zeros go through the norm: its bias (0 at init)
        assert np.allclose(last, 0.0)
    else:
        assert np.all(last == 0) if zeroes else np.all(last != 0)


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", list(ENCODER_CASES))
def test_encoder_padded_positions_like_pytorch(name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns when the layer rules nested tensors out
        theirs, state = _encode(torch, name)
    mine, _ = _encode(tg, name, state)
    np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
