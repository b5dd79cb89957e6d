"""Round 18, documentation and layering: the engine imports nothing from the layers above it
(checked on the AST of every engine file, imports inside functions included), and claims
the README and docs/ARCHITECTURE.md make are true."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import tinygrad_np as tg

ROOT = pathlib.Path(tg.__file__).parent
# The engine and the helper modules it loads at import time (docs/ARCHITECTURE.md's table).
ENGINE = ("tensor.py", "function.py", "autograd.py", "xp.py", "dtypes.py", "hooks.py",
          "paths.py", "node_api.py", "errors.py", "device.py", "_decorate.py", "printing.py",
          "rng.py", "return_types.py", "cpu_order.py", "torch_version.py")
ABOVE = ("nn", "optim", "viz", "gradcheck", "opcheck", "anomaly", "datasets", "serialization",
         "testing", "utils", "torch_checkpoint", "data")


def _engine_files() -> list[pathlib.Path]:
    return [ROOT / name for name in ENGINE] + sorted((ROOT / "ops").glob("*.py"))


def _module_of(path: pathlib.Path) -> str:
    return ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)


def imported_modules(source: str, module: str,
                     top_level_only: bool = False) -> list[tuple[str, int]]:
    """Every tinygrad_np module `source` (the text of `module`) names in an import: absolute
    and relative `import`/`from ... import` (the names imported from a package count as its
    submodules), `importlib.import_module`/`__import__` of a constant, `sys.modules[...]` of a
    constant, and attributes of the package bound to a name (`tg.nn`)."""
    tree = ast.parse(source)
    package = module.split(".")[:-1] if not module.endswith("__init__") else module.split(".")[:-1]
    found: list[tuple[str, int]] = []
    aliases = set()
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, node.lineno))
                if alias.name == "tinygrad_np":
                    aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((name, node.lineno))
            found.extend((f"{name}.{alias.name}", node.lineno) for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = getattr(func, "attr", getattr(func, "id", None))
            if called in ("import_module", "__import__"):
                found.append((str(node.args[0].value), node.lineno))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if getattr(node.value, "attr", None) == "modules":
                found.append((str(node.slice.value), node.lineno))
    if not top_level_only:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases):
                found.append((f"tinygrad_np.{node.attr}", node.lineno))
    return [(name, line) for name, line in found if name.split(".")[0] == "tinygrad_np"]


def _forbidden(name: str) -> bool:
    parts = name.split(".")
    return len(parts) > 1 and parts[1] in ABOVE


def test_the_checker_sees_every_import_form():
    # the check below can fail: each of these forms is an import of a layer above
    forms = ["from tinygrad_np.nn import functional", "import tinygrad_np.optim",
             "from tinygrad_np import viz", "from . import gradcheck", "from .nn.init import x",
             "def f():\n    from tinygrad_np.serialization import save",
             "import importlib\nimportlib.import_module('tinygrad_np.datasets')",
             "import sys\nsys.modules['tinygrad_np.testing']",
             "import tinygrad_np as tg\ndef f():\n    return tg.anomaly"]
    for source in forms:
        names = [name for name, _ in imported_modules(source, "tinygrad_np.tensor")]
        assert any(_forbidden(name) for name in names), source
    from_ops = imported_modules("from ..nn import functional", "tinygrad_np.ops.shape")
    assert any(_forbidden(name) for name, _ in from_ops)
    clean = imported_modules("from tinygrad_np import xp\nfrom .ops import shape",
                             "tinygrad_np.tensor")
    assert not any(_forbidden(name) for name, _ in clean)


def test_engine_imports_nothing_from_the_layers_above_not_even_inside_functions():
    bad = []
    for path in _engine_files():
        for name, line in imported_modules(path.read_text(), _module_of(path)):
            if _forbidden(name):
                bad.append(f"{path.name}:{line} imports {name}")
    assert not bad, bad


def _module_file(name: str) -> pathlib.Path | None:
    path = ROOT.parent.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_what_the_engine_loads_at_import_time_is_the_engine():
    # following the engine's module-level imports (not the deferred ones in tensor.py's
    # methods, which reach the PyTorch-name modules above it) stays within ENGINE and ops/
    allowed = {f"tinygrad_np.{name[:-3]}" for name in ENGINE} | {"tinygrad_np", "tinygrad_np.ops"}
    seen, todo, outside = set(), [_module_of(path) for path in _engine_files()], []
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(module)
        if path is None or module == "tinygrad_np":
            continue
        if module not in allowed and not module.startswith("tinygrad_np.ops."):
            outside.append(module)
        todo.extend(name for name, _ in imported_modules(path.read_text(), module, True)
                    if _module_file(name) is not None)
    assert not outside, outside


def test_the_documented_engine_is_the_tested_one():
    text = (ROOT.parent / "docs" / "ARCHITECTURE.md").read_text()
    for name in ENGINE:
        assert f"`{name}`" in text, name
    for name in ("inference_tensors.py", "forward_ad.py", "sparse.py", "missing_dtypes.py",
                 "cpu_order.py", "errors.py", "utils/_foreach_utils.py"):
        assert name in text, name


TOOLS = ("gradcheck", "opcheck", "anomaly", "viz", "testing", "datasets", "serialization",
         "profiler", "autograd_extra", "torch_checkpoint", "allocator")


def test_the_layers_built_on_ops_load_no_tool_at_module_level():
    # docs/ARCHITECTURE.md: nothing imports a layer above it at module level
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_of(path)
        parts = module.split(".")
        if len(parts) < 2 or parts[1] in TOOLS or parts[1] == "__init__":
            continue
        for name, line in imported_modules(path.read_text(), module, True):
            if len(name.split(".")) > 1 and name.split(".")[1] in TOOLS:
                bad.append(f"{module}:{line} imports {name}")
    assert not bad, bad


# ----------------------------------------------------------------- README claims of round 18
# Each entry: a claim the README makes (as PyTorch), run with both libraries. Both must raise
# (tinygrad_np's error an instance of PyTorch's class) or give equal values.
def _f(T):
    return T.nn.functional


def _setitem_false(T):
    t = T.arange(3.0)
    t[False] = 5
    return t


def _setitem_half(T):
    t = T.zeros(3, dtype=T.float16)
    t[0] = 1e6
    return t


def _copy_number(T):
    t = T.zeros(2, dtype=T.uint8)
    t.copy_(300)
    return t


def _engine_second_time(T):
    x = T.ones(2, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    y.backward()


def _hook_size(T):
    x = T.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: T.ones(3))
    y.sum().backward()


def _view_write_saved(T):
    x = T.ones(2, requires_grad=True)
    h = x.exp()
    h[0].add_(1)
    h.sum().backward()


def _no_iter(T):
    class Stream(T.utils.data.IterableDataset):
        pass
    Stream()


CLAIMS = {
    "rand() without a size": lambda T: T.rand(),
    "randint(dtype=bool) past bool": lambda T: T.randint(3, 10, (2,), dtype=T.bool),
    "Generator('cuda')": lambda T: T.Generator("cuda"),
    "randperm(dtype=bool)": lambda T: T.randperm(3, dtype=T.bool),
    "bernoulli_ p not broadcasting": lambda T: T.zeros(3).bernoulli_(T.full((2,), 0.5)),
    "random_ past float16": lambda T: T.zeros(3, dtype=T.float16).random_(0, 70000),
    "device(None)": lambda T: T.device(None),
    "multinomial float num_samples": lambda T: T.multinomial(T.ones(3), 2.0),
    "sum(dtype=int64) of a grad input": lambda T: T.ones(3, requires_grad=True).sum(dtype=T.int64),
    "norm(p=None)": lambda T: T.tensor([3.0, 4.0]).norm(p=None),
    "norm(p=-1) over an empty dim": lambda T: T.ones(0, 3).norm(p=-1, dim=0),
    "index arrays around an empty ...": lambda T: T.zeros(3, 4, 5)[:, [0, 1], ..., [0, 1]],
    "int8 index tensor": lambda T: T.zeros(3)[T.tensor([0, 1], dtype=T.int8)],
    "NumPy float index truncated": lambda T: T.arange(5.0)[np.array([1.7, 2.2])],
    "t[False] = v": _setitem_false,
    "float16 setitem past its range": _setitem_half,
    "scatter_add into a 0-d tensor": lambda T: T.tensor(0.0).scatter_add(
        0, T.tensor([0, 0, 0]), T.tensor([1.0, 2.0, 3.0])),
    "cat int16 with float16": lambda T: T.cat([T.ones(2, dtype=T.int16),
                                               T.ones(2, dtype=T.float16)]),
    "einsum ij->i of int8": lambda T: T.einsum("ij->i", T.ones(2, 3, dtype=T.int8)),
    "einsum contracting bools": lambda T: T.einsum("ij,jk->ik", T.ones(2, 3, dtype=T.bool),
                                                   T.ones(3, 2, dtype=T.bool)),
    "arange(dtype=bool)": lambda T: T.arange(3, dtype=T.bool),
    "nanmean of ints with dtype=": lambda T: T.ones(3, dtype=T.int64).nanmean(dtype=T.float32),
    "uint8 copy_(300)": _copy_number,
    "int operand past uint64": lambda T: T.ones(2, dtype=T.int64) + 2**64,
    "to(dtype, device)": lambda T: T.ones(2).to(T.float64, "cpu"),
    "ShortTensor": lambda T: T.ShortTensor([1, 2]),
    "dropout of an int tensor": lambda T: _f(T).dropout(T.ones(3, dtype=T.int64), 0.5, True),
    "clamp(ints, min=1e308)": lambda T: T.ones(3, dtype=T.int64).clamp(min=1e308),
    "add(2.5, uint8, alpha=2)": lambda T: T.add(2.5, T.ones(2, dtype=T.uint8), alpha=2),
    "histogram with edges and range=": lambda T: T.histogram(T.ones(3), T.tensor([0.0, 1, 2]),
                                                            range=(0.0, 1.0)),
    "huber_loss keeps the input's dtype": lambda T: _f(T).huber_loss(
        T.ones(3, dtype=T.float16), T.zeros(3)),
    "BCE with logits takes the target's dtype": lambda T: _f(T).binary_cross_entropy_with_logits(
        T.ones(3, dtype=T.float16), T.ones(3)),
    "mse_loss bool target": lambda T: _f(T).mse_loss(T.ones(3), T.ones(3, dtype=T.bool)),
    "mse_loss of ints": lambda T: _f(T).mse_loss(T.ones(3, dtype=T.int64),
                                                 T.zeros(3, dtype=T.int64)),
    "nll_loss (C,) with a (1,) target": lambda T: _f(T).nll_loss(T.tensor([-1.0, -2, -3]),
                                                                 T.tensor([1])),
    "cross_entropy uint8 with (N, C, d)": lambda T: _f(T).cross_entropy(
        T.ones(2, 3, 4), T.zeros(2, 4, dtype=T.uint8)),
    "negative label_smoothing": lambda T: _f(T).cross_entropy(
        T.tensor([[1.0, 2, 3]]), T.tensor([1]), label_smoothing=-0.5),
    "MSELoss(reduction='avg') called": lambda T: T.nn.MSELoss(reduction="avg")(T.ones(2),
                                                                             T.ones(2)),
    "TripletMarginLoss(margin=-1)": lambda T: T.nn.TripletMarginLoss(margin=-1)(
        T.ones(2, 3), T.ones(2, 3), T.zeros(2, 3)),
    "ModuleList[7]": lambda T: T.nn.ModuleList([T.nn.ReLU()])[7],
    "ModuleDict key 'forward'": lambda T: T.nn.ModuleDict({"forward": T.nn.ReLU()}),
    "backward a second time": _engine_second_time,
    "hook changing the size": _hook_size,
    "write through a view of a saved output": _view_write_saved,
    "IterableDataset without __iter__": _no_iter,
    "random_split fractions outside [0, 1]": lambda T: T.utils.data.random_split(
        range(10), [1.5, -0.5]),
    "gradcheck of an expand()ed input": lambda T: T.autograd.gradcheck(
        lambda x: x * 2, T.rand(1, dtype=T.float64).expand(3).requires_grad_()),
}


def _outcome(fn, library):
    try:
        result = fn(library)
    except Exception as error:  # noqa: BLE001  (the outcome compared is the error's class)
        return error
    if hasattr(result, "detach"):
        return str(result.dtype).replace("torch.", ""), tuple(result.shape), \
            np.asarray(result.detach().numpy(), dtype=np.float64)
    return result


@pytest.mark.parametrize("claim", sorted(CLAIMS))
def test_readme_claims_of_round_18_hold_against_pytorch(claim):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    expected, got = _outcome(CLAIMS[claim], torch), _outcome(CLAIMS[claim], tg)
    if isinstance(expected, Exception):
        assert isinstance(got, type(expected)), (claim, expected, got)
        return
    assert not isinstance(got, Exception), (claim, got)
    if isinstance(expected, tuple):
        assert expected[:2] == got[:2], claim
        np.testing.assert_allclose(got[2], expected[2], rtol=1e-6)
    else:
        assert expected == got, claim


def test_a_recorded_in_place_op_keeps_what_the_graph_saved():
    # README (Where this differs from PyTorch): the tensor gets a new array, so the gradient
    # is the one of the values the graph saved: d/dx log(2x) = 1/x = 1 at x = 1
    x = tg.ones(2, requires_grad=True)
    a = x * 2
    y = a.log()
    a.add_(1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(a.numpy(), [3.0, 3.0])
    x = tg.ones(2, requires_grad=True)  # a write into the memory (no_grad) is refused
    a = x * 2
    y = a * a
    with tg.no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    torch = pytest.importorskip("torch")
    x = torch.ones(2, requires_grad=True)
    a = x * 2
    y = a.log()
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_the_readme_layout_names_the_engine_the_tests_check():
    text = (ROOT.parent / "README.md").read_text()
    block = text[text.index("```\ntinygrad_np/\n"):]
    lines = block[:block.index("\n  ops ")].splitlines()
    listed = {word for line in lines[2:] for word in line.split()[:4] if word.endswith(".py")}
    assert listed == set(ENGINE), listed ^ set(ENGINE)


def test_vmap_checks_unmapped_inputs_not_captured_tensors():
    # README (torch.func): an unmapped input written in place raises; so does (round 19) a
    # captured tensor, which the per-slice calls would write once per slice (PyTorch: once)
    def write_into(row, target):
        target.add_(row)
        return row

    with pytest.raises(RuntimeError, match="not mapped"):
        tg.func.vmap(write_into, in_dims=(0, None))(tg.ones(3, 2), tg.zeros(2))
    captured = tg.zeros(2)
    with pytest.raises(RuntimeError, match="captures from outside"):
        tg.func.vmap(lambda row: write_into(tg.ones(2), captured) * row)(tg.ones(3, 2))
    torch = pytest.importorskip("torch")
    captured = torch.zeros(2)
    torch.func.vmap(lambda row: write_into(torch.ones(2), captured) * row)(torch.ones(3, 2))
    np.testing.assert_array_equal(captured.numpy(), [1.0, 1.0])


def test_mode_of_a_row_with_nan_is_the_one_pytorchs_sort_gives():
    # README (median mode): PyTorch's insertion sort compares NaN neither way, so in
    # [nan, 0, 2, 1] the NaN stays first, every value is a run of one, and the first run wins
    nan = float("nan")
    values, indices = tg.tensor([nan, 0.0, 2.0, 1.0]).mode(0)
    assert np.isnan(values.item()) and indices.item() == 0
    # [1, nan, 1, nan] stays as it is (nothing compares below its left neighbour): four runs
    values, indices = tg.tensor([1.0, nan, 1.0, nan]).mode(0)
    assert values.item() == 1.0 and indices.item() == 0
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    for _ in range(200):
        length = int(rng.integers(1, 60))
        row = rng.integers(0, 4, size=(2, length)).astype(np.float64)
        row[rng.random(row.shape) < rng.random()] = np.nan
        expected, got = torch.tensor(row).mode(1), tg.tensor(row, requires_grad=True).mode(1)
        np.testing.assert_array_equal(got.indices.numpy(), expected.indices.numpy())
        np.testing.assert_array_equal(got.values.detach().numpy(), expected.values.numpy())


def test_foreach_utils_is_an_attribute_of_utils_as_after_import_torch():
    # README (optim): torch.optim's own sources and a copied swa_utils reach it
    torch = pytest.importorskip("torch")
    assert (tg.utils._foreach_utils._get_foreach_kernels_supported_devices()
            == torch.utils._foreach_utils._get_foreach_kernels_supported_devices())
