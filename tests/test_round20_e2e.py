"""Round 20, whole runs: more seeded PyTorch scripts print PyTorch's numbers.

Each script in tests/scripts_round20_e2e/ is plain PyTorch (Conv1d/ConvTranspose2d/Conv3d,
RNN/GRU/LSTM cells, Bilinear, MultiheadAttention with kdim/vdim and bias_kv, a full
nn.Transformer, Embedding with max_norm, the structural nn.init functions, every in-place
random fill, DataLoader forms, ten optimizers with schedulers, float64 models), seeded, with
no weights copied, printing losses and tensors (`print(model.weight[:2])`, so grad_fn names
too). With PyTorch installed both libraries run them (each in one process, `e2e_driver.py`)
and the printed text is compared: identical for the scripts in EXACT, else the same words and
numbers within float32 rounding drift. Without PyTorch tinygrad_np's output is checked
against RECORDED, PyTorch 2.13's output. Then regression tests, against PyTorch, for what the
scripts found: float64 random draws (the C library's log/sin/cos per value) and PyTorch's
grad_fn names. (Sums keep NumPy's pairwise order: replaying PyTorch's cascade cost 6-12x per
sum, so a loss summed from many values may differ in its last printed digit.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from test_round18_scripts import ported
from test_round19_e2e import _same_output

import tinygrad_np as tg

try:
    import torch
except ImportError:  # the recorded PyTorch output is used instead
    torch = None
else:
    torch.set_num_threads(1)

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((Path(__file__).parent / "scripts_round20_e2e").glob("*.py"))
DRIVER = Path(__file__).parent / "e2e_driver.py"
# bit-for-bit the same printed text; the others drift in a last digit through a float32 or
# float64 matmul / convolution / sum (BLAS, oneDNN and PyTorch's sum kernel add in another
# order than NumPy's)
EXACT = {"conv1d_groupnorm", "conv3d_instancenorm", "convtranspose2d_ae",
         "deterministic_onecycle", "init_functions", "lstm_dropout_sample", "mha_kdim_bias_kv"}


def _run_all(port: bool, tmp_path: Path) -> dict[str, str]:
    """Every script's output, all run in one process (ported to tinygrad_np if `port`)."""
    folder = tmp_path / ("tinygrad_np" if port else "torch")
    folder.mkdir()
    for path in SCRIPTS:
        text = path.read_text()
        (folder / path.name).write_text(ported(text) if port else text)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(DRIVER), str(folder)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    """(tinygrad_np's outputs, PyTorch's: run now when installed, else RECORDED)."""
    tmp_path = tmp_path_factory.mktemp("round20_e2e")
    theirs = _run_all(False, tmp_path) if torch is not None else RECORDED
    return _run_all(True, tmp_path), theirs


def test_enough_scripts_pure_pytorch_and_recorded():
    assert len(SCRIPTS) >= 12
    for path in SCRIPTS:
        text = path.read_text()
        assert "import torch" in text and "tinygrad_np" not in text
        assert 20 <= len(text.splitlines()) <= 80, path.name
        assert "manual_seed" in text and "load_state_dict" not in text, path.name
    assert set(RECORDED) == {path.stem for path in SCRIPTS}
    assert EXACT <= set(RECORDED)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_prints_pytorchs_output(path, outputs):
    ours, theirs = outputs
    _same_output(ours[path.stem], theirs[path.stem], path.stem in EXACT)


@needs_torch
@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_recorded_output_is_pytorchs(path, outputs):
    """The recorded output is what this PyTorch prints (so the no-PyTorch check is honest)."""
    if torch.__version__.split("+")[0] != "2.13.0":
        pytest.skip("recorded from PyTorch 2.13.0")
    assert outputs[1][path.stem] == RECORDED[path.stem]


# ---------------------------------------------------------------- float64 random draws
FLOAT64_DRAWS = {
    "randn_17": lambda t, g: t.randn(17, dtype=t.float64, generator=g),
    "randn_1000": lambda t, g: t.randn(10, 100, dtype=t.float64, generator=g),
    "randn_like": lambda t, g: t.randn_like(t.zeros(3, 50, dtype=t.float64)),
    "normal_": lambda t, g: t.empty(300, dtype=t.float64).normal_(2.0, 0.7, generator=g),
    "normal_small": lambda t, g: t.empty(7, dtype=t.float64).normal_(generator=g),
    "normal_fn": lambda t, g: t.normal(1.0, 3.0, size=(40, 5), dtype=t.float64, generator=g),
    "exponential_": lambda t, g: t.empty(500, dtype=t.float64).exponential_(1.5, generator=g),
    "cauchy_": lambda t, g: t.empty(500, dtype=t.float64).cauchy_(0.5, 3.0, generator=g),
    "log_normal_": lambda t, g: t.empty(500, dtype=t.float64).log_normal_(0.2, 0.7, generator=g),
    "geometric_": lambda t, g: t.empty(500, dtype=t.float64).geometric_(0.2, generator=g),
    "init_normal": lambda t, g: t.nn.init.normal_(t.empty(20, 30, dtype=t.float64), 0, 2,
                                                   generator=g),
}


@needs_torch
@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("draw", list(FLOAT64_DRAWS.values()), ids=list(FLOAT64_DRAWS))
@pytest.mark.parametrize("use_generator", [False, True], ids=["global", "generator"])
def test_float64_draws_are_pytorchs_bit_for_bit(draw, seed, use_generator):
    """float64 normal/exponential/cauchy/log-normal draws call the C library's log, log1p,
    sin, cos, tan and exp, as PyTorch's double kernels (NumPy's differ in the last bit)."""
    results = []
    for lib in (torch, tg):
        lib.manual_seed(seed)
        generator = lib.Generator().manual_seed(seed + 1) if use_generator else None
        results.append(np.asarray(draw(lib, generator).numpy()))
        results.append(lib.rand(2, dtype=lib.float64).numpy())  # the stream left where it was
    np.testing.assert_array_equal(results[2], results[0])
    np.testing.assert_array_equal(results[3], results[1])


def test_float64_draws_recorded():
    """PyTorch 2.13's draws after manual_seed(s), recorded at the positions where NumPy's own
    float64 log/cos/sin/log1p gave another last bit (what this library drew before)."""
    expected = {(4, 848): 0.7736991904075975, (4, 856): 0.11048591282960656,
                (4, 897): 1.1810499010538973, (0, 257): 0.11838756456837449,
                (1, 969): -0.1738953350563931}
    for (seed, index), value in expected.items():
        tg.manual_seed(seed)
        assert float(tg.randn(1000, dtype=tg.float64)[index]) == value, (seed, index)
    tg.manual_seed(0)
    draws = tg.empty(200, dtype=tg.float64).exponential_().numpy()
    assert [float(draws[i]) for i in (40, 57, 72, 89)] == [
        0.3177066123636463, 1.3516985223628395, 0.5220786844916694, 0.22141167592105188]


# ---------------------------------------------------------------- PyTorch's grad_fn names
def _leaf(t, *shape):
    return t.arange(float(np.prod(shape))).reshape(shape).requires_grad_()


NAMED = {
    "x[0]": lambda t, x, x3: x[0], "x[:2]": lambda t, x, x3: x[:2], "x[:]": lambda t, x, x3: x[:],
    "x[...]": lambda t, x, x3: x[...], "x[:, 0]": lambda t, x, x3: x[:, 0],
    "x[0, 1]": lambda t, x, x3: x[0, 1], "x[1, :2]": lambda t, x, x3: x[1, :2],
    "x[:, :4]": lambda t, x, x3: x[:, :4], "x[None]": lambda t, x, x3: x[None],
    "x[[0, 1]]": lambda t, x, x3: x[[0, 1]], "x[mask]": lambda t, x, x3: x[x > 3],
    "x3[..., 0]": lambda t, x, x3: x3[..., 0], "x3[0, :, 1]": lambda t, x, x3: x3[0, :, 1],
    "x[tensor(1)]": lambda t, x, x3: x[t.tensor(1)], "x[::2]": lambda t, x, x3: x[::2],
    "linear_2d": lambda t, x, x3: t.nn.functional.linear(x, x[:2], x[0, :2]),
    "linear_3d": lambda t, x, x3: t.nn.functional.linear(x3, x[:2], x[0, :2]),
    "linear_1d": lambda t, x, x3: t.nn.functional.linear(x[0], x[:2], x[0, :2]),
    "linear_no_bias": lambda t, x, x3: t.nn.functional.linear(x, x[:2]),
    "linear_no_bias_3d": lambda t, x, x3: t.nn.functional.linear(x3, x[:2]),
    "mm": lambda t, x, x3: x @ x.t(),
    "mv": lambda t, x, x3: x @ x[0],
    "dot": lambda t, x, x3: x[0] @ x[1],
    "bmm_view": lambda t, x, x3: x3 @ x3.transpose(1, 2),
    "batch_by_matrix": lambda t, x, x3: x3 @ x.t(),
    "t": lambda t, x, x3: x.t(),
    "T": lambda t, x, x3: x.T, "transpose": lambda t, x, x3: x3.transpose(0, 1),
    "permute": lambda t, x, x3: x3.permute(2, 0, 1), "view": lambda t, x, x3: x.view(-1),
    "reshape": lambda t, x, x3: x.reshape(4, 3), "flatten": lambda t, x, x3: x3.flatten(1),
    "unsqueeze": lambda t, x, x3: x.unsqueeze(1), "squeeze": lambda t, x, x3: x[None].squeeze(),
    "squeeze_dim": lambda t, x, x3: x[None].squeeze(0), "max": lambda t, x, x3: x.max(),
    "max_dim": lambda t, x, x3: x.max(1).values, "min_dim": lambda t, x, x3: x.min(0)[0],
    "std": lambda t, x, x3: x.std(), "var_dim": lambda t, x, x3: x.var(1),
    "clamp": lambda t, x, x3: x.clamp(0, 3), "clamp_tensor": lambda t, x, x3: x.clamp(t.zeros(4)),
    "chunk": lambda t, x, x3: x.chunk(2, 1)[0], "split_sizes": lambda t, x, x3: x.split([1, 2])[1],
    "unbind": lambda t, x, x3: x.unbind(0)[1],
    "gather": lambda t, x, x3: x.gather(1, t.tensor([[0], [1], [2]])),
    "topk": lambda t, x, x3: x.topk(2)[0], "sort": lambda t, x, x3: x.sort(1)[0],
    "masked_fill": lambda t, x, x3: x.masked_fill(x > 3, 0.0), "tril": lambda t, x, x3: x.tril(),
    "flip": lambda t, x, x3: x.flip(0),
    "roll": lambda t, x, x3: x.roll(1, 0),
    "repeat": lambda t, x, x3: x.repeat(2, 1),
    "logsumexp": lambda t, x, x3: x.logsumexp(1), "prod_dim": lambda t, x, x3: x.prod(1),
    "index_select": lambda t, x, x3: x.index_select(0, t.tensor([0, 2])),
    "silu": lambda t, x, x3: t.nn.functional.silu(x),
    "layer_norm": lambda t, x, x3: t.nn.functional.layer_norm(x, (4,)),
    "batch_norm": lambda t, x, x3: t.nn.functional.batch_norm(x, None, None, training=True),
    "group_norm": lambda t, x, x3: t.nn.functional.group_norm(x3, 3),
    "instance_norm": lambda t, x, x3: t.nn.functional.instance_norm(x3),
    "prelu": lambda t, x, x3: t.nn.functional.prelu(x, t.tensor([0.25])),
    "pad": lambda t, x, x3: t.nn.functional.pad(x, (1, 1)),
    "lstm_cell_h": lambda t, x, x3: t.nn.LSTMCell(4, 2)(x)[0],
    "lstm_cell_c": lambda t, x, x3: t.nn.LSTMCell(4, 2)(x)[1],
}


@needs_torch
@pytest.mark.parametrize("build", list(NAMED.values()), ids=list(NAMED))
def test_grad_fn_names_are_pytorchs(build):
    names = []
    for lib in (torch, tg):
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names.append(build(lib, _leaf(lib, 3, 4), _leaf(lib, 2, 3, 4)).grad_fn.name())
    assert names[1] == names[0]


@needs_torch
def test_printed_slices_and_layers_are_pytorchs():
    texts = []
    for lib in (torch, tg):
        lib.manual_seed(1)
        layer, norm = lib.nn.Linear(3, 2), lib.nn.LayerNorm(2)
        x = lib.ones(4, 3)
        texts.append("\n".join(map(str, (layer.weight[:1], layer.weight[0], layer.bias[None],
                                          layer(x), norm(layer(x))[:2], layer(x).t()))))
    assert texts[1] == texts[0]


def test_recorded_names_of_printed_views():
    """PyTorch 2.13's names, recorded: what `print(model.weight[:2])` and `print(model(x))`
    show after `grad_fn=`."""
    weight = tg.nn.Linear(3, 4)
    x = tg.ones(2, 3)
    assert str(weight.weight[:2]).endswith("grad_fn=<SliceBackward0>)")
    assert weight.weight[0].grad_fn.name() == "SelectBackward0"
    assert weight.weight[:, :3].grad_fn.name() == "AliasBackward0"
    assert weight(x).grad_fn.name() == "AddmmBackward0"
    assert weight(tg.ones(5, 2, 3)).grad_fn.name() == "ViewBackward0"
    assert tg.nn.LayerNorm(4)(weight(x)).grad_fn.name() == "NativeLayerNormBackward0"
    assert weight.weight.t().grad_fn.name() == "TBackward0"
    assert weight.weight.unsqueeze(0).grad_fn.name() == "UnsqueezeBackward0"
RECORDED = {  # PyTorch 2.13's printed output of each script (CPU, one thread)
    'bilinear_layernorm': (
        'bilinear bias Parameter containing:\n'
        'tensor([ 0.3904,  0.2491, -0.3613,  0.0291, -0.2069,  0.2856],\n'
        '       requires_grad=True)\n'
        'bilinear weight tensor([[ 0.4872,  0.2404, -0.0537],\n'
        '        [-0.1444,  0.3857, -0.1630]], grad_fn=<SliceBackward0>)\n'
        'step 0 loss 0.472105 prelu 0.250468\n'
        'step 1 loss 0.271275 prelu 0.250088\n'
        'step 2 loss 0.298109 prelu 0.249921\n'
        'step 3 loss 0.421578 prelu 0.250092\n'
        'step 4 loss 0.359438 prelu 0.250391\n'
        'step 5 loss 0.200198 prelu 0.250618\n'
        'step 6 loss 0.353006 prelu 0.251033\n'
        'step 7 loss 0.218401 prelu 0.251414\n'
        'step 8 loss 0.470611 prelu 0.251987\n'
        'step 9 loss 0.176003 prelu 0.252664\n'
        'ln tensor([0.9982, 0.9955, 0.9956, 0.9962, 0.9952, 1.0126]) tensor([-0.0075, -0.0070, -0.0084, -0.0047,  0.0054,  0.0115])\n'  # noqa: E501
    ),
    'conv1d_groupnorm': (
        'step 0 loss 1.141236 norm 0.31257 lr 0.004878\n'
        'step 1 loss 1.137121 norm 0.37636 lr 0.004523\n'
        'step 2 loss 1.076046 norm 0.40250 lr 0.003969\n'
        'step 3 loss 1.099421 norm 0.33086 lr 0.003273\n'
        'step 4 loss 1.123577 norm 0.46321 lr 0.002500\n'
        'step 5 loss 1.096556 norm 0.19338 lr 0.001727\n'
        'step 6 loss 1.111985 norm 0.34923 lr 0.001031\n'
        'step 7 loss 1.095974 norm 0.27343 lr 0.000477\n'
        'step 8 loss 1.093845 norm 0.50554 lr 0.000122\n'
        'step 9 loss 1.081248 norm 0.23459 lr 0.000000\n'
        'prelu tensor([0.2221, 0.2263, 0.2629, 0.2231])\n'
        'gn [0.01164, -0.00369, -0.01903, 0.00782]\n'
    ),
    'conv3d_instancenorm': (
        'conv3d weight tensor([[-0.1040, -0.0301, -0.0866],\n'
        '        [ 0.0066, -0.1154,  0.0106],\n'
        '        [ 0.0534, -0.0060, -0.0807]], grad_fn=<SelectBackward0>)\n'
        'conv3d bias Parameter containing:\n'
        'tensor([ 0.0349, -0.1283], requires_grad=True)\n'
        'step 0 loss 0.688377\n'
        'step 1 loss 0.632231\n'
        'step 2 loss 0.590795\n'
        'step 3 loss 0.479755\n'
        'step 4 loss 0.688402\n'
        'step 5 loss 0.538508\n'
        'step 6 loss 0.509430\n'
        'step 7 loss 0.346221\n'
        'in weight tensor([1.0438, 1.0457, 0.9947, 1.0106])\n'
        '0.346221 0.34622061252593994\n'
    ),
    'convtranspose2d_ae': (
        'dec weight tensor([[[ 0.0633,  0.0203,  0.0951],\n'
        '         [-0.0271, -0.0975, -0.0645]]], grad_fn=<SelectBackward0>)\n'
        'dec bias Parameter containing:\n'
        'tensor([0.0308], requires_grad=True)\n'
        'step 0 loss 0.693053\n'
        'step 1 loss 0.688843\n'
        'step 2 loss 0.683358\n'
        'step 3 loss 0.677688\n'
        'step 4 loss 0.672471\n'
        'step 5 loss 0.670528\n'
        'step 6 loss 0.668862\n'
        'step 7 loss 0.667245\n'
        'step 8 loss 0.666045\n'
        'step 9 loss 0.665214\n'
        'step 10 loss 0.664610\n'
        'step 11 loss 0.663925\n'
        'tensor([[0.4578, 0.3759, 0.4188, 0.4185],\n'
        '        [0.4797, 0.4191, 0.3616, 0.3965]])\n'
    ),
    'deterministic_onecycle': (
        'step 0 loss 1.411876 acc 0.2500 lr 0.156000\n'
        'step 1 loss 1.189029 acc 0.4583 lr 0.300000\n'
        'step 2 loss 1.065566 acc 0.5833 lr 0.285145\n'
        'step 3 loss 0.648243 acc 0.9583 lr 0.243524\n'
        'step 4 loss 0.607831 acc 0.9167 lr 0.183379\n'
        'step 5 loss 0.439372 acc 0.8750 lr 0.116623\n'
        'step 6 loss 0.488541 acc 0.8333 lr 0.056478\n'
        'step 7 loss 0.335614 acc 0.9167 lr 0.014856\n'
        'step 8 loss 0.417287 acc 0.8333 lr 0.000001\n'
        'step 9 loss 0.195359 acc 1.0000 lr 0.014856\n'
        'tensor([ 0.1314,  0.3032,  0.3909, -0.4006])\n'
        'tensor([1.1344, 1.1009, 1.0487, 3.4131])\n'
        'tensor([[ 3.4406, -1.0847, -1.8670, -1.2229],\n'
        '        [-1.2530,  3.8087, -1.0091, -1.5604],\n'
        '        [-1.4109, -1.8508,  2.5130,  0.1560],\n'
        '        [-0.6356, -1.2329, -1.5654,  3.6458]])\n'
        'True\n'
    ),
    'double_mixed': (
        'conv tensor([[ 0.4049, -0.3698,  0.2692],\n'
        '        [ 0.0439, -0.5583,  0.2710],\n'
        '        [ 0.4329,  0.5555,  0.3892]], dtype=torch.float64,\n'
        '       grad_fn=<SelectBackward0>)\n'
        'step 0 loss 0.67287100 0.6728710014907925\n'
        'step 1 loss 0.53085118 0.5308511787320295\n'
        'step 2 loss 0.57682343 0.5768234253390407\n'
        'step 3 loss 0.58280757 0.5828075675052192\n'
        'step 4 loss 0.43263635 0.43263634705387694\n'
        'step 5 loss 0.30116360 0.30116360196391606\n'
        'step 6 loss 0.68849820 0.6884981962241745\n'
        'step 7 loss 0.50205084 0.5020508366519507\n'
        'tensor([[0.3230],\n'
        '        [0.2156]], dtype=torch.float64, grad_fn=<AddmmBackward0>)\n'
        'True\n'
    ),
    'embedding_maxnorm_asgd': (
        'emb rows tensor([[ 0.0000,  0.0000,  0.0000,  0.0000,  0.0000],\n'
        '        [-0.7256, -1.1940,  1.0347,  1.8696,  0.6232],\n'
        '        [ 0.7646,  0.3409, -0.5299,  0.3982,  2.0313]],\n'
        '       grad_fn=<SliceBackward0>)\n'
        'step 0 loss 0.570831 maxnorm 1.50156\n'
        'step 1 loss 0.746816 maxnorm 1.50509\n'
        'step 2 loss 0.639645 maxnorm 1.50382\n'
        'step 3 loss 0.715587 maxnorm 1.50390\n'
        'step 4 loss 0.557531 maxnorm 1.50389\n'
        'step 5 loss 0.604513 maxnorm 1.50244\n'
        'step 6 loss 0.490240 maxnorm 1.50242\n'
        'step 7 loss 0.627975 maxnorm 1.50439\n'
        'step 8 loss 0.675293 maxnorm 1.50353\n'
        'step 9 loss 0.545626 maxnorm 1.50042\n'
        'pad row [0.0, 0.0, 0.0, 0.0, 0.0]\n'
        "ax ['0.26603', '-0.26738', '-0.42959', '-0.38989', '-0.36698']\n"
        '0.5456261038780212\n'
    ),
    'full_transformer': (
        'step 0 loss 2.084188\n'
        'step 1 loss 2.026305\n'
        'step 2 loss 2.069399\n'
        'step 3 loss 2.162865\n'
        'step 4 loss 1.951091\n'
        'step 5 loss 1.851240\n'
        'step 6 loss 1.876496\n'
        'step 7 loss 1.931367\n'
        'step 8 loss 2.000376\n'
        'step 9 loss 1.937276\n'
        'pred [[2, 4, 6, 2, 6], [2, 2, 3, 3, 2]]\n'
        'enc w tensor([ 0.0383,  0.0346, -0.2015, -0.0179], grad_fn=<SliceBackward0>)\n'
    ),
    'init_functions': (
        'sparse tensor([[ 0.0000,  0.0000, -0.0398,  0.0000],\n'
        '        [ 0.0000,  0.0000,  0.0000,  0.2213],\n'
        '        [-0.0370,  0.0257,  0.0000,  0.0000],\n'
        '        [ 0.1785,  0.0629, -0.0749,  0.0000],\n'
        '        [ 0.0000,  0.0000,  0.0000,  0.0181],\n'
        '        [ 0.0400, -0.0356,  0.1738, -0.0134]])\n'
        'eye tensor([[1., 0., 0.],\n'
        '        [0., 1., 0.]])\n'
        'dirac tensor([[1., 0., 0.],\n'
        '        [0., 1., 0.],\n'
        '        [0., 0., 1.]], grad_fn=<SelectBackward0>)\n'
        'orth tensor([[-0.8112, -1.1606, -1.1985, -0.6131, -0.4272],\n'
        '        [ 1.4040, -0.1386, -1.0973, -0.0735,  0.8945],\n'
        '        [-0.7389,  1.5587, -0.9721, -0.2064,  0.1918]])\n'
        'gram tensor([4.0000, 4.0000, 4.0000])\n'
        'kaiming tensor([[-0.2157, -0.2902, -0.5311],\n'
        '        [-0.1777, -0.4343,  0.2322],\n'
        '        [-0.3642, -0.3358,  0.2388]], grad_fn=<SelectBackward0>)\n'
        'step 0 loss 0.462222\n'
        'step 1 loss 0.631651\n'
        'step 2 loss 0.363636\n'
        'step 3 loss 1.071240\n'
        'step 4 loss 0.702106\n'
        'step 5 loss 0.389629\n'
    ),
    'lbfgs_double': (
        'step 0 loss 0.5975190090\n'
        'step 1 loss 0.3553178844\n'
        'step 2 loss 0.1419151447\n'
        'step 3 loss 0.1065191235\n'
        'step 4 loss 0.0621985742\n'
        'step 5 loss 0.0412133065\n'
        '0.026286912774532274\n'
        'tensor([[-0.4928,  0.2402],\n'
        '        [ 0.4970, -1.2344]], dtype=torch.float64, grad_fn=<SliceBackward0>)\n'
        'tensor([[ 0.6936],\n'
        '        [-1.0872],\n'
        '        [ 0.1316]], dtype=torch.float64, grad_fn=<AddmmBackward0>)\n'
    ),
    'loader_variants': (
        'batches 3\n'
        'epoch 0 loss 7.194616\n'
        'epoch 0 loss 9.642415\n'
        'epoch 0 loss 5.191209\n'
        'epoch 0 total 22.02824 lr 1.0\n'
        'epoch 1 loss 4.355001\n'
        'epoch 1 loss 3.732472\n'
        'epoch 1 loss 6.486410\n'
        'epoch 1 total 14.57388 lr 1.0\n'
        'epoch 2 loss 4.678383\n'
        'epoch 2 loss 6.304484\n'
        'epoch 2 loss 6.926606\n'
        'epoch 2 total 17.90947 lr 1.0\n'
        'batch sampler [[6, 0, 8, 5], [7, 1, 2, 4], [9, 3]]\n'
        'unbatched [-0.2016, 4.9724, -4.7064, -3.8849]\n'
        'sampled [(7, 4), (7, 4), (7, 4), (7, 4)]\n'
    ),
    'lstm_dropout_sample': (
        'step 0 loss 3.333771\n'
        'step 1 loss 3.295106\n'
        'step 2 loss 3.157036\n'
        'step 3 loss 3.103038\n'
        'step 4 loss 3.241448\n'
        'step 5 loss 2.982948\n'
        'step 6 loss 2.986465\n'
        'step 7 loss 2.962341\n'
        'step 8 loss 3.184254\n'
        'step 9 loss 3.066080\n'
        "'t  fmlyoppfxo spg rj'\n"
    ),
    'mha_kdim_bias_kv': (
        'bias_k tensor([-0.0641,  0.1356,  0.0056, -0.3781], grad_fn=<SliceBackward0>)\n'
        'q proj tensor([[ 0.1834,  0.1481,  0.1850],\n'
        '        [-0.5622,  0.2149, -0.5107]], grad_fn=<SliceBackward0>)\n'
        'v proj tensor([-0.3763,  0.4559,  0.1440], grad_fn=<SelectBackward0>)\n'
        'step 0 loss 0.007193 wsum 12.3686\n'
        'step 1 loss 0.024561 wsum 11.5165\n'
        'step 2 loss 0.011602 wsum 12.5750\n'
        'step 3 loss 0.011479 wsum 11.9911\n'
        'step 4 loss 0.005418 wsum 12.3774\n'
        'step 5 loss 0.006385 wsum 11.2233\n'
        'step 6 loss 0.004663 wsum 12.0316\n'
        'step 7 loss 0.004433 wsum 12.2144\n'
        'step 8 loss 0.007031 wsum 12.4259\n'
        'tensor([[0.1814, 0.2277, 0.1064, 0.0495, 0.0811, 0.0852, 0.1358, 0.1328],\n'
        '        [0.0226, 0.0241, 0.0892, 0.3361, 0.2859, 0.1143, 0.0666, 0.0611],\n'
        '        [0.0418, 0.0620, 0.1825, 0.2097, 0.1893, 0.1524, 0.0771, 0.0852]])\n'
    ),
    'print_tensors': (
        'Sequential(\n'
        '  (0): Linear(in_features=4, out_features=6, bias=True)\n'
        '  (1): Tanh()\n'
        '  (2): Linear(in_features=6, out_features=3, bias=True)\n'
        ')\n'
        'tensor([1, 2, 0, 2, 0]) True tensor([ True,  True, False,  True, False])\n'
        'tensor([[ 0.2875, -0.6286,  0.6121],\n'
        '        [ 0.0784, -0.7787,  0.7070],\n'
        '        [ 0.4910, -0.5759,  0.3724],\n'
        '        [ 0.7191, -0.1466,  0.1477],\n'
        '        [ 0.1207, -0.9470,  0.4569]], grad_fn=<AddmmBackward0>)\n'
        'tensor([[0.3592, 0.1437, 0.4970],\n'
        '        [0.3031, 0.1286, 0.5683],\n'
        '        [0.4480, 0.1541, 0.3979],\n'
        '        [0.5037, 0.2119, 0.2844],\n'
        '        [0.3645, 0.1253, 0.5102]], grad_fn=<SoftmaxBackward0>)\n'
        'tensor(1.1149, grad_fn=<NllLossBackward0>)\n'
        'tensor([[-0.0537,  0.0676,  0.0338, -0.0357],\n'
        '        [ 0.0398, -0.0652, -0.0397,  0.0240]])\n'
        'tensor([-0.0043, -0.0473,  0.0516])\n'
        'tensor([ 1.9850e-05,  5.8143e-06, -7.6263e-06]) tensor([ -99424.1172, -937081.1250])\n'
        '0 tensor(1.1149, grad_fn=<NllLossBackward0>) 1.1148744821548462\n'
        '1 tensor(1.0271, grad_fn=<NllLossBackward0>) 1.0270687341690063\n'
        '2 tensor(0.9598, grad_fn=<NllLossBackward0>) 0.9597597122192383\n'
        '3 tensor(0.9022, grad_fn=<NllLossBackward0>) 0.9022330045700073\n'
        '4 tensor(0.8497, grad_fn=<NllLossBackward0>) 0.849736213684082\n'
        'tensor([-0.322227,  0.492294,  0.289302, -0.301300,  0.356892, -0.079292],\n'
        '       grad_fn=<SelectBackward0>)\n'
        'tensor([2, 2, 0, 2, 0]) tensor(0.800000)\n'
        'tensor([[False, False, False],\n'
        '        [False, False, False]]) tensor([[ 0,  2,  4],\n'
        '        [ 6,  8, 10]])\n'
    ),
    'random_fills': (
        'uniform tensor([[-1.0098,  0.2514, -1.5455,  2.4360],\n'
        '        [-0.5530, -1.9070,  2.5477, -0.2971]])\n'
        'normal tensor([[ 0.1233,  1.3016,  0.8740,  0.7813],\n'
        '        [ 0.7136, -0.6011,  1.2816,  1.1077]])\n'
        'exponential tensor([[0.2416, 0.8117, 0.1235, 0.6561],\n'
        '        [0.0479, 0.0232, 1.2599, 0.4454]])\n'
        'geometric tensor([[2., 2., 3., 3.],\n'
        '        [1., 2., 3., 2.]])\n'
        'cauchy tensor([[ 1.7095,  2.5223, -1.0759,  0.1988],\n'
        '        [-0.2758,  0.1546, -0.0133,  0.5240]])\n'
        'log_normal tensor([[0.9520, 0.7382, 1.1257, 1.1894],\n'
        '        [1.5036, 0.8907, 0.8350, 0.6498]])\n'
        'normal gen tensor([[ 1.5596,  4.3584,  4.8405],\n'
        '        [-1.3430,  7.0724, -0.6845]])\n'
        'rand gen tensor([[0.2868, 0.2063, 0.4451],\n'
        '        [0.3593, 0.7204, 0.0731]])\n'
        'normal tensor tensor([ 0.1779, -1.8980, -0.2778,  4.6461])\n'
        'randn64 tensor([[-1.2595,  0.8207,  0.5211],\n'
        '        [ 0.0929,  0.9954, -0.9777],\n'
        '        [ 1.4339,  0.1813,  0.0988]], dtype=torch.float64)\n'
        'randn64 long tensor([ 0.3896, -0.6290, -0.2021,  0.2928], dtype=torch.float64)\n'
        'randint tensor([[ 4,  1,  4,  4, -2,  4],\n'
        '        [ 1,  1,  3, -3, -1, -2]])\n'
        'step 0 loss 6.871109 w tensor([ 0.0500, -0.0500, -0.0500])\n'
        'step 1 loss 5.708164 w tensor([ 0.1100, -0.1100, -0.0500])\n'
        'step 2 loss 4.541876 w tensor([ 0.1820, -0.1820, -0.0250])\n'
        'step 3 loss 3.909215 w tensor([ 0.2684, -0.2684,  0.0050])\n'
        'step 4 loss 1.474591 w tensor([ 0.3721, -0.3721,  0.0410])\n'
        'step 5 loss 3.765759 w tensor([ 0.4965, -0.4965,  0.0842])\n'
        'step 6 loss 2.026802 w tensor([ 0.6458, -0.6458,  0.1360])\n'
        'step 7 loss 1.881413 w tensor([ 0.6458, -0.8250,  0.1982])\n'
    ),
    'rnn_cells': (
        'gru w_hh tensor([[ 0.3155,  0.3576,  0.3404],\n'
        '        [-0.3794, -0.3577,  0.2438]], grad_fn=<SliceBackward0>)\n'
        'step 0 loss 0.623348 lr 0.009000\n'
        'step 1 loss 2.433309 lr 0.008100\n'
        'step 2 loss 0.820065 lr 0.007290\n'
        'step 3 loss 1.021299 lr 0.006561\n'
        'step 4 loss 0.641402 lr 0.005905\n'
        'step 5 loss 0.973819 lr 0.005314\n'
        'step 6 loss 1.067682 lr 0.004783\n'
        'step 7 loss 2.395041 lr 0.004305\n'
        'h3 tensor([ 0.1936,  0.2191, -0.3095, -0.0991], grad_fn=<SelectBackward0>)\n'
        'c3 tensor([[ 0.3413,  0.3806, -0.5914, -0.1870],\n'
        '        [ 0.3305,  0.3838, -0.5427, -0.1164]])\n'
    ),
    'seq2seq_gru': (
        'step 0 loss 1.855651 teacher False\n'
        'step 1 loss 1.733322 teacher True\n'
        'step 2 loss 1.729173 teacher True\n'
        'step 3 loss 1.703209 teacher True\n'
        'step 4 loss 1.717255 teacher False\n'
        'step 5 loss 1.695977 teacher True\n'
        'step 6 loss 1.656018 teacher False\n'
        'step 7 loss 1.618641 teacher False\n'
        'step 8 loss 1.697978 teacher False\n'
        'step 9 loss 1.659949 teacher False\n'
        'step 10 loss 1.607973 teacher False\n'
        'step 11 loss 1.595621 teacher True\n'
        'h tensor([-0.0124,  0.3536, -0.3021, -0.6326], grad_fn=<SliceBackward0>)\n'
    ),
}



# ---------------------------------------------------------------- more draws the probes found
@needs_torch
@pytest.mark.parametrize("build", [
    lambda t: t.nn.Linear(10, 5, dtype=t.float64),
    lambda t: t.nn.Conv2d(2, 3, (3, 2), dtype=t.float64),
    lambda t: t.nn.ConvTranspose1d(3, 2, 4, dtype=t.float64),
    lambda t: t.nn.Conv3d(2, 2, 2, dtype=t.float64),
    lambda t: t.nn.Transformer(8, 2, 1, 1, 16, dtype=t.float64),
], ids=["Linear", "Conv2d", "ConvTranspose1d", "Conv3d", "Transformer"])
def test_float64_layers_initialise_as_pytorchs(build):
    """A layer's kaiming_uniform_(a=sqrt(5)) bound is computed with PyTorch's arithmetic
    (sqrt(3) * gain / sqrt(fan), not 1 / sqrt(fan): 69% of fans differ in the last bit)."""
    states = []
    for lib in (torch, tg):
        lib.manual_seed(5)
        with warnings.catch_warnings():  # (Transformer's nested-tensor notice)
            warnings.simplefilter("ignore")
            states.append({name: value.detach().numpy() for name, value in
                           build(lib).state_dict().items()})
    assert states[0].keys() == states[1].keys()
    for name, value in states[0].items():
        np.testing.assert_array_equal(states[1][name], value, err_msg=name)


@needs_torch
@pytest.mark.parametrize("draw", [
    lambda t: t.nn.functional.rrelu(t.randn(300, dtype=t.float64), 0.1, 0.3, training=True),
    lambda t: t.nn.functional.rrelu(t.randn(300, dtype=t.float64), training=True),
    lambda t: t.distributions.Laplace(t.zeros(50), t.ones(50) * 2).sample(),
    lambda t: t.distributions.Laplace(1.0, 0.5).rsample((40,)),
    lambda t: t.distributions.Laplace(t.zeros(9, dtype=t.float64), 1.0).sample((3,)),
], ids=["rrelu_f64", "rrelu_f64_default", "laplace", "laplace_rsample", "laplace_f64"])
def test_draws_found_by_the_probes_are_pytorchs(draw):
    """The same uniforms, transformed as PyTorch (rrelu's float64 slopes rounded twice, no fma;
    Laplace's u ~ U(eps - 1, 1) and log1p(-|u|)); float32 log1p within an ulp (NumPy's)."""
    results = []
    for lib in (torch, tg):
        lib.manual_seed(4)
        results.append((draw(lib).numpy(), lib.rand(3).numpy()))
    if results[0][0].dtype == np.float64:
        np.testing.assert_array_equal(results[1][0], results[0][0])
    else:
        np.testing.assert_allclose(results[1][0], results[0][0], rtol=2.5e-7, atol=0)
    np.testing.assert_array_equal(results[1][1], results[0][1])


def test_float64_linear_init_recorded():
    """PyTorch 2.13's nn.Linear(10, 4, dtype=torch.float64).weight[0, :2] after
    manual_seed(5), recorded (1/sqrt(10) as the bound gave other last bits)."""
    tg.manual_seed(5)
    weight = tg.nn.Linear(10, 4, dtype=tg.float64).weight.detach().numpy()
    assert weight[0, :2].tolist() == [0.08981817657373722, -0.15194243557404297]
