"""Round 18, client scripts: ordinary PyTorch training scripts with only the import changed.

Each script in tests/scripts_round18/ is plain PyTorch (`import torch`, `import torch.nn as
nn`, `from torch.utils.data import ...`) and records `losses` and `result`. It runs once as
written under PyTorch and once with its import lines rewritten to tinygrad_np's
(`import tinygrad_np as torch`, `import tinygrad_np.nn as nn`, ...), as a user would port
it. Both start from the same weights (drawn from a seeded NumPy generator), so the loss
trajectories and final metrics must agree to float32 precision.

Then the sparse COO tensors the graph-network script needed (`torch.sparse_coo_tensor`,
`torch.sparse.mm`, ...), against PyTorch, fixed values and central differences.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg

SCRIPTS = sorted((Path(__file__).parent / "scripts_round18").glob("*.py"))


def ported(text: str) -> str:
    """The script with every `import torch...` / `from torch... import` line pointing at
    tinygrad_np, as a user porting it writes them (the code below is unchanged)."""
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("import torch", "from torch")):
            line = re.sub(r"\btorch\b(?=[\s.]|$)", "tinygrad_np", line, count=1)
            if re.fullmatch(r"\s*import tinygrad_np\s*", line):
                line = line.replace("import tinygrad_np", "import tinygrad_np as torch")
        lines.append(line)
    return "\n".join(lines)


def _global_settings(lib) -> tuple:
    cudnn = lib.backends.cudnn
    return (lib.are_deterministic_algorithms_enabled(), cudnn.deterministic, cudnn.benchmark,
            lib.get_float32_matmul_precision())


def _restore(lib, settings: tuple) -> None:
    """Undo what a script's set-up lines changed (use_deterministic_algorithms, the cudnn
    flags, the matmul precision, the default dtype), so later tests see the defaults."""
    lib.use_deterministic_algorithms(settings[0])
    lib.backends.cudnn.deterministic, lib.backends.cudnn.benchmark = settings[1:3]
    lib.set_float32_matmul_precision(settings[3])
    lib.set_default_dtype(lib.float32)


def run(text: str, path: Path) -> dict:
    """Run a script as `python script.py` would: its warnings (PyTorch's deprecation notices,
    which tinygrad_np repeats) are printed, not the errors this test suite makes of them."""
    namespace = {"__name__": "__main__", "__file__": str(path)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(text, str(path), "exec"), namespace)  # noqa: S102  (our own scripts)
    return namespace


def test_enough_scripts_and_they_are_pure_pytorch():
    assert len(SCRIPTS) >= 8
    for path in SCRIPTS:
        text = path.read_text()
        assert "import torch" in text and "tinygrad_np" not in text
        assert "import tinygrad_np as torch" in ported(text)
        assert not re.search(r"^\s*(import|from) torch\b", ported(text), re.M)


def test_ported_rewrites_only_import_lines():
    text = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n" \
           "from torch import optim\nx = torch.ones(2)  # torch stays torch here\n"
    assert ported(text).splitlines() == [
        "import tinygrad_np as torch", "import tinygrad_np.nn as nn",
        "from tinygrad_np.utils.data import DataLoader", "from tinygrad_np import optim",
        "x = torch.ones(2)  # torch stays torch here"]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_ported(path, capsys):
    """Without PyTorch installed, each ported script runs and its losses are finite."""
    settings = _global_settings(tg)
    try:
        ours = run(ported(path.read_text()), path)
    finally:
        _restore(tg, settings)
    assert len(ours["losses"]) > 0 and np.all(np.isfinite(ours["losses"]))
    assert np.all(np.isfinite(np.asarray(ours["result"], dtype=float)))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_matches_pytorch(path, capsys):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    text = path.read_text()
    settings = _global_settings(torch), _global_settings(tg)
    try:
        theirs = run(text, path)
        printed_theirs = capsys.readouterr().out
        ours = run(ported(text), path)
        printed_ours = capsys.readouterr().out
    finally:
        _restore(torch, settings[0])
        _restore(tg, settings[1])
    # what the script prints (its log lines, a printed model) is the same, but for text
    # sampled with torch.multinomial (each library's own random stream)
    assert [line for line in printed_ours.splitlines() if not line.startswith("sample:")] == \
        [line for line in printed_theirs.splitlines() if not line.startswith("sample:")]
    assert len(ours["losses"]) == len(theirs["losses"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours["result"], dtype=float),
                               np.asarray(theirs["result"], dtype=float), rtol=2e-4, atol=2e-5)
    for name in ("description", "names"):  # a printed module, state_dict keys
        if name in theirs:
            assert ours[name] == theirs[name]


# --------------------------------------------------------------------------- sparse COO
INDICES = [[0, 1, 1, 0], [2, 0, 2, 2]]  # (0, 2) twice: an uncoalesced tensor
VALUES = [3.0, 4.0, 5.0, 1.0]
DENSE = [[0.0, 0.0, 4.0], [4.0, 0.0, 5.0]]  # computed by hand: duplicates summed


def test_sparse_coo_tensor_fixed_values():
    s = tg.sparse_coo_tensor(tg.tensor(INDICES), tg.tensor(VALUES), (2, 3))
    assert s.is_sparse and s.layout is tg.sparse_coo and isinstance(s, tg.Tensor)
    assert tuple(s.shape) == (2, 3) and s.sparse_dim() == 2 and s.dense_dim() == 0
    assert s._nnz() == 4 and not s.is_coalesced()
    np.testing.assert_array_equal(s.to_dense().numpy(), DENSE)
    assert not s.to_dense().is_sparse
    c = s.coalesce()
    assert c.is_coalesced() and c._nnz() == 3
    np.testing.assert_array_equal(c.indices().numpy(), [[0, 1, 1], [2, 0, 2]])
    np.testing.assert_array_equal(c.values().numpy(), [4.0, 4.0, 5.0])
    with pytest.raises(RuntimeError, match="uncoalesced tensor, please call .coalesce"):
        s.indices()
    out = tg.sparse.mm(s, tg.tensor([[1.0], [2.0], [3.0]]))
    np.testing.assert_array_equal(out.numpy(), [[12.0], [19.0]])
    for form in (tg.spmm(s, tg.ones(3, 1)), tg.mm(s, tg.ones(3, 1)), s @ tg.ones(3, 1)):
        np.testing.assert_array_equal(form.numpy(), [[4.0], [9.0]])
    assert tg.sparse.sum(s).item() == 13.0
    degrees = tg.sparse.sum(s, dim=1)
    assert degrees.is_sparse
    np.testing.assert_array_equal(degrees.to_dense().numpy(), [4.0, 9.0])
    np.testing.assert_array_equal(s.t().to_dense().numpy(), np.array(DENSE).T)
    legacy = tg.sparse.FloatTensor(tg.LongTensor(INDICES), tg.FloatTensor(VALUES), tg.Size([2, 3]))
    np.testing.assert_array_equal(legacy.to_dense().numpy(), DENSE)


def test_sparse_inferred_size_dense_dims_and_to_sparse():
    s = tg.sparse_coo_tensor([[0, 2]], [[1.0, 2.0], [3.0, 4.0]])
    assert tuple(s.shape) == (3, 2) and s.sparse_dim() == 1 and s.dense_dim() == 1
    np.testing.assert_array_equal(s.to_dense().numpy(), [[1, 2], [0, 0], [3, 4]])
    back = tg.tensor(DENSE).to_sparse()
    assert back.is_sparse and back.is_coalesced()
    np.testing.assert_array_equal(back.indices().numpy(), [[0, 1, 1], [2, 0, 2]])
    np.testing.assert_array_equal(back.values().numpy(), [4.0, 4.0, 5.0])
    empty = tg.sparse_coo_tensor(tg.zeros(2, 0, dtype=tg.long), tg.zeros(0), (2, 3))
    assert empty._nnz() == 0 and empty.to_dense().abs().sum().item() == 0


def test_sparse_errors_name_the_problem():
    with pytest.raises(RuntimeError, match="same nnz.*indices: 4, nnz from values: 2"):
        tg.sparse_coo_tensor(INDICES, [1.0, 2.0], (2, 3))
    with pytest.raises(RuntimeError, match="for dim 1, size is 2 but found index 2"):
        tg.sparse_coo_tensor(INDICES, VALUES, (2, 2))
    with pytest.raises(RuntimeError, match="sparse_dim x nnz"):
        tg.sparse_coo_tensor([0, 1], [1.0, 2.0], (2,))
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied \\(2x3 and 2x1\\)"):
        tg.sparse.mm(tg.sparse_coo_tensor(INDICES, VALUES, (2, 3)), tg.ones(2, 1))


def test_sparse_mm_gradients_central_differences():
    """d/dvalues and d/ddense of sum((S @ D)**2), float64, against central differences."""
    rng = np.random.default_rng(0)
    values0, dense0 = rng.normal(size=4), rng.normal(size=(3, 2))

    def f(values: np.ndarray, dense: np.ndarray) -> float:
        s = tg.sparse_coo_tensor(INDICES, tg.tensor(values), (2, 3))
        return float((tg.sparse.mm(s, tg.tensor(dense)) ** 2).sum().item())

    values = tg.tensor(values0, requires_grad=True)
    dense = tg.tensor(dense0, requires_grad=True)
    s = tg.sparse_coo_tensor(INDICES, values, (2, 3))
    (tg.sparse.mm(s, dense) ** 2).sum().backward()
    eps = 1e-6
    for x0, grad, wrt in ((values0, values.grad, 0), (dense0, dense.grad, 1)):
        numeric = np.zeros_like(x0)
        for i in np.ndindex(x0.shape):
            up, down = x0.copy(), x0.copy()
            up[i] += eps
            down[i] -= eps
            args_up = (up, dense0) if wrt == 0 else (values0, up)
            args_down = (down, dense0) if wrt == 0 else (values0, down)
            numeric[i] = (f(*args_up) - f(*args_down)) / (2 * eps)
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_sparse_leaf_gradient_is_at_its_entries_only():
    s = tg.sparse_coo_tensor(INDICES, VALUES, (2, 3), requires_grad=True)
    assert s.is_leaf and s.requires_grad
    tg.sparse.mm(s, tg.ones(3, 1)).sum().backward()
    np.testing.assert_array_equal(s.grad.to_dense().numpy(), [[0, 0, 1], [1, 0, 1]])


def test_sparse_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    dense_np = rng.normal(size=(3, 4))
    ours_v = tg.tensor(VALUES, dtype=tg.float64, requires_grad=True)
    theirs_v = torch.tensor(VALUES, dtype=torch.float64, requires_grad=True)
    ours_d = tg.tensor(dense_np, requires_grad=True)
    theirs_d = torch.tensor(dense_np, requires_grad=True)
    ours = tg.sparse_coo_tensor(tg.tensor(INDICES), ours_v, (2, 3))
    theirs = torch.sparse_coo_tensor(torch.tensor(INDICES), theirs_v, (2, 3),
                                     check_invariants=True)
    assert repr(ours) == repr(theirs)
    assert repr(ours.coalesce().detach()) == repr(theirs.coalesce().detach())
    leaf_o = tg.sparse_coo_tensor(INDICES, VALUES, (2, 3), requires_grad=True)
    leaf_t = torch.sparse_coo_tensor(INDICES, VALUES, (2, 3), requires_grad=True,
                                     check_invariants=True)
    assert repr(leaf_o) == repr(leaf_t)
    tg.sparse.mm(leaf_o, tg.ones(3, 1)).sum().backward()
    torch.sparse.mm(leaf_t, torch.ones(3, 1)).sum().backward()
    np.testing.assert_array_equal(leaf_o.grad.to_dense().numpy(), leaf_t.grad.to_dense().numpy())
    out_o, out_t = tg.sparse.mm(ours, ours_d), torch.sparse.mm(theirs, theirs_d)
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    (out_o.sin().sum()).backward()
    (out_t.sin().sum()).backward()
    np.testing.assert_allclose(ours_v.grad.numpy(), theirs_v.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_d.grad.numpy(), theirs_d.grad.numpy(), rtol=1e-12)
    soft_o = tg.sparse.softmax(ours.coalesce(), dim=1)._values().detach().numpy()
    soft_t = torch.sparse.softmax(theirs.coalesce(), dim=1)._values().detach().numpy()
    np.testing.assert_allclose(soft_o, soft_t, rtol=1e-12)
    sum_o, sum_t = tg.sparse.sum(ours, dim=0), torch.sparse.sum(theirs, dim=0)
    np.testing.assert_allclose(sum_o._values().detach().numpy(), sum_t._values().detach().numpy())
    np.testing.assert_array_equal(sum_o._indices().numpy(), sum_t._indices().numpy())


# ------------------------------------------------- dtypes NumPy lacks: named, not made
MISSING = ("bfloat16", "float8_e4m3fn", "float8_e5m2", "complex32", "chalf")


@pytest.mark.parametrize("name", MISSING)
def test_missing_dtypes_can_be_named_and_compared(name):
    dtype = getattr(tg, name)
    assert repr(dtype) == str(dtype) == f"torch.{'complex32' if name == 'chalf' else name}"
    assert dtype == dtype and dtype != tg.float32 and tg.ones(1).dtype != dtype
    assert {dtype: 1}[dtype] == 1 and dtype not in (tg.float16, tg.float32)
    import copy
    import pickle

    assert copy.deepcopy(dtype) is dtype and pickle.loads(pickle.dumps(dtype)) is dtype
    assert name in tg.__all__


@pytest.mark.parametrize("make", [
    lambda d: tg.zeros(2, dtype=d), lambda d: tg.ones(2).to(d),
    lambda d: tg.tensor([1.0], dtype=d), lambda d: tg.nn.Linear(2, 2).to(d),
    lambda d: tg.ones(2).type(d), lambda d: tg.randn(2, dtype=d),
    lambda d: tg.set_default_dtype(d)], ids=["zeros", "to", "tensor", "module_to", "type", "randn",
                                             "set_default_dtype"])
def test_a_missing_dtype_tensor_is_refused_saying_why(make):
    with pytest.raises(TypeError, match="NumPy has no bfloat16 type, so tinygrad_np has no "
                                        "bfloat16 tensors; use float16 or float32"):
        make(tg.bfloat16)
    assert tg.get_default_dtype() == tg.float32


def test_nanogpt_dtype_dict_and_autocast():
    dtype = "bfloat16" if tg.cuda.is_available() and tg.cuda.is_bf16_supported() else "float32"
    ptdtype = {"float32": tg.float32, "bfloat16": tg.bfloat16, "float16": tg.float16}[dtype]
    assert ptdtype == tg.float32
    assert tg.get_autocast_dtype("cpu") is tg.bfloat16
    assert tg.get_autocast_dtype("cuda") == tg.float16
    with tg.autocast(device_type="cpu", dtype=tg.bfloat16):
        assert tg.is_autocast_enabled("cpu") and tg.get_autocast_dtype("cpu") is tg.bfloat16
        assert (tg.ones(2, 2) @ tg.ones(2, 2)).dtype == tg.float32  # autocast changes no dtype
    with tg.autocast(device_type="cpu", dtype=tg.float16):
        assert tg.get_autocast_dtype("cpu") == tg.float16
    assert tg.get_autocast_dtype("cpu") is tg.bfloat16 and not tg.is_autocast_enabled("cpu")


@pytest.mark.parametrize("name", ["bfloat16", "float8_e4m3fn", "float8_e5m2"])
def test_missing_dtypes_finfo(name):
    """The formats' limits, from their bit layouts (mantissa bits m, bias b): eps 2**-m,
    smallest normal 2**(1 - b); max (2 - 2**-m) * 2**b, except e4m3fn's (no inf): 448."""
    info = tg.finfo(getattr(tg, name))
    m, bias, largest, bits = {"bfloat16": (7, 127, (2 - 2**-7) * 2.0**127, 16),
                              "float8_e4m3fn": (3, 7, 448.0, 8),
                              "float8_e5m2": (2, 15, 1.75 * 2.0**15, 8)}[name]
    normal = 2.0 ** (1 - bias)
    assert (info.eps, info.smallest_normal, info.tiny) == (2.0**-m, normal, normal)
    assert (info.max, info.min, info.bits, info.dtype) == (largest, -largest, bits, name)
    torch = pytest.importorskip("torch")
    assert repr(info) == repr(torch.finfo(getattr(torch, name)))
    assert tg.get_autocast_dtype("cpu").name == str(torch.get_autocast_dtype("cpu")).split(".")[1]


# ------------------------------------------------------------ torch.autograd.forward_ad
def test_forward_ad_tutorial_values():
    """The forward-mode tutorial's steps; fn(x, y) = x**2 + y**2 has tangent 2 * x * t."""
    import tinygrad_np.autograd.forward_ad as fwAD

    rng = np.random.default_rng(3)
    primal, tangent = tg.tensor(rng.normal(size=(3, 3))), tg.tensor(rng.normal(size=(3, 3)))
    with fwAD.dual_level():
        dual = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual).tangent is tangent
        out = dual ** 2 + tg.ones(3, 3) ** 2
        jvp = fwAD.unpack_dual(out).tangent
        assert fwAD.unpack_dual(tg.ones(2)).tangent is None
        unused = fwAD.unpack_dual(dual * 0 + 1).tangent
    np.testing.assert_allclose(jvp.numpy(), 2 * primal.numpy() * tangent.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(unused.numpy(), np.zeros((3, 3)))
    assert fwAD.unpack_dual(out).tangent is None  # the level is closed
    assert tg.autograd.forward_ad is fwAD


def test_forward_ad_central_differences_through_a_model():
    import tinygrad_np.autograd.forward_ad as fwAD

    rng = np.random.default_rng(4)
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 2)).double()
    x0, t = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(model(fwAD.make_dual(tg.tensor(x0), tg.tensor(t)))).tangent
    eps = 1e-6
    with tg.no_grad():
        numeric = (model(tg.tensor(x0 + eps * t)) - model(tg.tensor(x0 - eps * t))) / (2 * eps)
    np.testing.assert_allclose(tangent.numpy(), numeric.numpy(), rtol=1e-6, atol=1e-9)


def test_forward_ad_errors():
    import tinygrad_np.autograd.forward_ad as fwAD

    with pytest.raises(RuntimeError, match="dual_level"):
        fwAD.make_dual(tg.ones(2), tg.ones(2))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[2\] while the given "
                                               r"forward gradient is of size \[3\]"):
            fwAD.make_dual(tg.ones(2), tg.ones(3))
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
    with pytest.raises(RuntimeError, match="exit a forward AD level"):
        fwAD.exit_dual_level()


def test_forward_ad_matches_pytorch_with_functional_call():
    torch = pytest.importorskip("torch")
    import tinygrad_np.autograd.forward_ad as fwAD
    import torch.autograd.forward_ad as torch_fwad

    rng = np.random.default_rng(5)
    weight, bias = rng.normal(size=(3, 4)), rng.normal(size=3)
    tangent_w, tangent_b, x = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(2, 4))
    results = []
    for lib, ad in ((tg, fwAD), (torch, torch_fwad)):
        model = lib.nn.Linear(4, 3).double()
        with lib.no_grad():
            model.weight.copy_(lib.tensor(weight))
            model.bias.copy_(lib.tensor(bias))
        with ad.dual_level(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # (torch.jit's, on import)
            params = {"weight": ad.make_dual(model.weight, lib.tensor(tangent_w)),
                      "bias": ad.make_dual(model.bias, lib.tensor(tangent_b))}
            out = lib.func.functional_call(model, params, (lib.tensor(x),))
            results.append(ad.unpack_dual(lib.sin(out).sum(1)).tangent.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


# ------------------------------------------ submodules scripts import names from
IMPORT_LINES = [
    "from torch.nn.utils.weight_norm import weight_norm, remove_weight_norm",
    "from torch.nn.utils.spectral_norm import spectral_norm, remove_spectral_norm",
    "from torch.optim.adamw import AdamW",
    "from torch.optim.radam import RAdam",
    "from torch.autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, "
    "inference_mode",
    "from torch.autograd.variable import Variable",
    "from torch.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly",
    "from torch.amp.autocast_mode import autocast, custom_fwd, custom_bwd",
    "from torch.amp.grad_scaler import GradScaler",
    "from torch.nn.modules.adaptive import AdaptiveLogSoftmaxWithLoss",
    "from torch.nn.modules.channelshuffle import ChannelShuffle",
    "import torch.autograd.forward_ad as fwAD",
    "from torch.sparse import mm, sum",
]


@pytest.mark.parametrize("line", IMPORT_LINES)
def test_submodule_imports(line):
    namespace: dict = {}
    exec(ported(line), namespace)  # noqa: S102
    names = [name for name in namespace if not name.startswith("__")]
    assert names and all(namespace[name] is not None for name in names)
    assert callable(tg.nn.utils.weight_norm)  # the attribute stays the function, as PyTorch's
    assert tg.optim.adamw.AdamW is tg.optim.AdamW
    torch = pytest.importorskip("torch")
    theirs: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(line, theirs)  # noqa: S102
    assert sorted(name for name in theirs if not name.startswith("__")) == sorted(names)
    assert callable(torch.nn.utils.weight_norm)


def test_is_autocast_available_and_profiler_activities():
    devices = ("cpu", "cuda", "mps", "xpu", "meta", "hpu", "xla")
    ours = [tg.amp.is_autocast_available(d) for d in devices]
    assert ours == [True, True, True, True, False, True, True]
    assert tg.profiler.supported_activities() == {tg.profiler.ProfilerActivity.CPU}
    torch = pytest.importorskip("torch")
    assert ours == [torch.amp.is_autocast_available(d) for d in devices]
