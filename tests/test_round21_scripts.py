"""Round 21, client scripts (round 4): more ordinary PyTorch programs with only the import
changed.

Each script in tests/scripts_round21/ is plain PyTorch, most of them d2l.ai chapters and
official tutorials written the way they are taught (softmax regression from scratch; LeNet,
VGG and NiN; batch norm from scratch with Inception, ResNeXt and DenseNet blocks; RNN, GRU
and LSTM from scratch with hand-written gradient clipping; a transformer from scratch with
masked softmax; matrix factorisation and NeuMF; FM / DeepFM; "What is torch.nn really?";
Double DQN with soft target updates on state_dict values; an imbalanced loader with
WeightedRandomSampler and pad_sequence; weight_norm / spectral_norm / parametrize; kNN with
cdist, histc / bucketize and einsum attention; fine-tuning with hooks, frozen layers, param
groups and a checkpoint resumed from a temporary directory; ...) and records `losses` and
`result`. It runs once under PyTorch and once with its import lines rewritten to
tinygrad_np's; loss trajectories, final metrics and printed lines must match.

Then regression tests for what the scripts found, against PyTorch or fixed values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from script_checks import check_matches_pytorch, check_pure_pytorch, check_runs_ported

import tinygrad_np as tg

SCRIPTS = sorted((Path(__file__).parent / "scripts_round21").glob("*.py"))


def test_enough_scripts_and_they_are_pure_pytorch():
    check_pure_pytorch(SCRIPTS, 14)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_ported(path, capsys):
    check_runs_ported(path)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_matches_pytorch(path, capsys):
    check_matches_pytorch(path, capsys)


# ------------------------------------------------- conv / pooling results are contiguous
# The conv and pooling kernels store their results batch innermost (a dense (C, H, W, N)
# block seen as NCHW); PyTorch's are contiguous. A dropout after a max pool (PyTorch's MNIST
# example: conv, relu, conv, relu, max_pool2d, dropout) drew its mask in that memory order,
# so the whole run left PyTorch's numbers; stride() and is_contiguous() told the same story.
LAYOUTS = [
    "F.conv2d(x4, w4)", "F.conv2d(x4, w4, stride=2, padding=1)", "F.conv2d(x4, w4g, groups=3)",
    "F.conv_transpose2d(x4, w4t)", "F.max_pool2d(x4, 3, 2)", "F.max_pool2d(x4, 2)",
    "F.max_pool2d(x4, 3, 2, 1)", "F.max_pool2d(x4, 2, return_indices=True)[0]",
    "F.avg_pool2d(x4, 3, 2, 1)", "F.adaptive_max_pool2d(x4, (3, 2))",
    "F.max_pool2d(x4.transpose(2, 3), 2)", "F.relu(F.conv2d(x4, w4))",
    "F.conv2d(x4, w4) * 2 + 1", "nn.BatchNorm2d(5)(F.conv2d(x4, w4))",
    "torch.sigmoid(F.max_pool2d(x4, 2))", "F.interpolate(x4, scale_factor=2)",
    "F.interpolate(x4, scale_factor=2, mode='nearest-exact')", "x4.roll(1, 2)",
    "x4[:, [0, 2]]", "x4[:, :, [1, 0]]", "x4.index_select(1, torch.tensor([2, 0]))",
    "x4.transpose(1, 2)", "x4.permute(0, 2, 3, 1) * 1", "x4.transpose(0, 1) + 1",
    "x4.contiguous(memory_format=torch.channels_last)",
    # layer norm of a permuted tensor (ConvNeXt's channels-last LayerNorm, a transformer's
    # (S, N, E) transpose): PyTorch's result is row-major, and its permute back channels-last
    "F.layer_norm(x4.permute(0, 2, 3, 1), (3,))", "nn.LayerNorm(3)(x4.permute(0, 2, 3, 1))",
    "F.layer_norm(x4.permute(0, 2, 3, 1), (3,)).permute(0, 3, 1, 2)",
    "F.layer_norm(x4.transpose(0, 2), (2, 8))", "F.rms_norm(x4.permute(0, 2, 3, 1), (3,))",
    "F.layer_norm(x4.contiguous(memory_format=torch.channels_last), (6, 8))",
    "F.conv2d(F.layer_norm(x4.permute(0, 2, 3, 1), (3,)).permute(0, 3, 1, 2), w4)",
    # pooling keeps a channels-last input's layout, as PyTorch's (and as conv2d did)
    "F.max_pool2d(x4.contiguous(memory_format=torch.channels_last), 2)",
    "F.avg_pool2d(x4.contiguous(memory_format=torch.channels_last), 3, 2, 1)",
    "F.max_pool2d(F.relu(F.conv2d(x4.contiguous(memory_format=torch.channels_last), w4)), 2)",
    "nn.MaxPool2d(2)(x4.contiguous(memory_format=torch.channels_last)[0])",
]


def _layout_namespace(lib) -> dict:
    lib.manual_seed(0)
    return {"torch": lib, "F": lib.nn.functional, "nn": lib.nn, "x4": lib.rand(2, 3, 6, 8),
            "w4": lib.rand(5, 3, 3, 3), "w4g": lib.rand(6, 1, 3, 3), "w4t": lib.rand(3, 4, 3, 3)}


def _layout(lib, expression: str) -> tuple:
    out = eval(expression, _layout_namespace(lib))  # noqa: S307  (our own table)
    lib.manual_seed(1)
    mask = lib.nn.functional.dropout(out, 0.5).detach().numpy() != 0
    lib.manual_seed(2)
    noise = lib.randn_like(out).numpy()
    lib.manual_seed(3)
    filled = lib.empty_like(out).uniform_().numpy()
    lib.manual_seed(4)
    normal = out.detach().clone().normal_().numpy()
    lib.manual_seed(5)
    truncated = lib.nn.init.trunc_normal_(out.detach().clone()).numpy()
    return out.stride(), out.is_contiguous(), mask, noise, filled, normal, truncated


@pytest.mark.parametrize("expression", LAYOUTS)
def test_layouts_and_random_fills_as_pytorchs(expression):
    ours = _layout(tg, expression)
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    theirs = _layout(torch, expression)
    assert ours[:2] == theirs[:2]
    np.testing.assert_array_equal(ours[2], theirs[2])
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours[5], theirs[5], rtol=1e-5, atol=1e-6)  # normal_ in place
    np.testing.assert_allclose(ours[6], theirs[6], rtol=1e-5, atol=1e-6)


def test_conv_results_report_row_major_strides():
    """Independent of PyTorch: a (2, 5, 4, 6) conv result (and a pooled one) has the strides
    of a contiguous tensor, and a dropout on it draws the mask a contiguous copy gets."""
    tg.manual_seed(0)
    x = tg.rand(2, 3, 6, 8)
    out = tg.nn.functional.conv2d(x, tg.rand(5, 3, 3, 3))
    assert out.stride() == (120, 24, 6, 1) and out.is_contiguous()
    pooled = tg.nn.functional.max_pool2d(tg.relu(out), 2)
    assert pooled.stride() == (30, 6, 3, 1) and pooled.is_contiguous()
    masks = []
    for tensor in (pooled, pooled.detach().clone(memory_format=tg.contiguous_format)):
        tg.manual_seed(5)
        masks.append(tg.nn.functional.dropout(tensor, 0.4).numpy() != 0)
    np.testing.assert_array_equal(*masks)
    permuted = tg.rand(3, 6, 8, 2).permute(3, 0, 1, 2)  # a user's own permutation of a
    assert permuted.stride() == (1, 96, 16, 2) and not permuted.is_contiguous()  # CHWN block
    assert x[:, [0, 2]].stride() == (96, 48, 8, 1)


POOL_NODES = [
    "F.conv2d(cl, w4)", "F.max_pool2d(cl, 2)", "F.avg_pool2d(cl, 2)", "F.max_pool2d(cl[0], 2)",
    "F.avg_pool2d(cl[0], 3, 1, 1)", "F.max_pool2d(x4[0], 2)", "F.avg_pool2d(x4[0], 2)",
    "F.max_pool2d(cl, 2, return_indices=True)[1]", "F.max_pool2d(cl[0], 2, return_indices=True)[1]",
    # shown as ViewBackward0 / MaxPool2DWithIndicesBackward0 / AdaptiveMaxPool2dBackward0 /
    # SqueezeBackward1 here, as PyTorch's own nodes now (an ESPCN's `print(model(x))`)
    "F.pixel_shuffle(x4.repeat(1, 4, 1, 1), 2)", "F.pixel_shuffle(x4[0].repeat(4, 1, 1), 2)",
    "F.pixel_unshuffle(x4, 2)", "F.channel_shuffle(x4.repeat(1, 2, 1, 1), 2)",
    "F.adaptive_max_pool2d(x4, (3, 2))", "F.adaptive_max_pool2d(x4, (4, 3))",
    "F.adaptive_max_pool2d(x4[0], (4, 3))", "F.adaptive_max_pool2d(x4[0], 3)",
    "F.adaptive_max_pool2d(x4, 2, return_indices=True)[0]", "nn.AdaptiveMaxPool2d(2)(cl)",
]


def _pool_nodes(lib) -> list:
    namespace = _layout_namespace(lib)
    namespace["x4"].requires_grad_()
    namespace["cl"] = namespace["x4"].contiguous(memory_format=lib.channels_last)
    shown = []
    for expression in POOL_NODES:
        out = eval(expression, namespace)  # noqa: S307  (our own table)
        shown.append((expression, None if out.grad_fn is None else out.grad_fn.name(),
                      out.stride()))
    return shown


def test_pooling_nodes_and_layouts_as_pytorchs():
    """An unbatched (C, H, W) pooling showed `SqueezeBackward1` (PyTorch: the pooling's node),
    a channels-last conv2d `CloneBackward0` (PyTorch: ConvolutionBackward0), and a
    channels-last pooling (and its indices) came out row-major."""
    ours = _pool_nodes(tg)
    assert ours[0][1:] == ("ConvolutionBackward0", (120, 1, 30, 5))
    assert ours[1][1:] == ("MaxPool2DWithIndicesBackward0", (36, 1, 12, 3))
    assert ours[3][1] == "MaxPool2DWithIndicesBackward0" and ours[4][1] == "AvgPool2DBackward0"
    torch = pytest.importorskip("torch")
    assert ours == _pool_nodes(torch)


SLICES = ["x[:, :2]", "x[..., ::2]", "x[:, 1:]", "x[:, 0]", "x.transpose(0, 1)",
          "x[:, :2].transpose(0, 2)", "x[1:]", "x[:2, :2, :2]"]


def _slice_draws(lib, expression: str) -> list:
    lib.manual_seed(0)
    view = eval(expression, {"x": lib.rand(4, 5, 6)})  # noqa: S307  (our own table)
    draws = []
    for draw in (lib.randn_like, lib.rand_like, lambda t: lib.nn.functional.dropout(t, 0.5),
                 lambda t: lib.empty_like(t).normal_()):
        lib.manual_seed(1)
        draws.append(draw(view).numpy())
    return draws


@pytest.mark.parametrize("expression", SLICES)
def test_randn_like_of_a_slice_draws_as_pytorch(expression):
    """randn_like of a row-major slice (x[:, :2], x[:, 0]) drew one normal at a time, as for
    a permuted tensor; PyTorch's empty_like gives a slice a contiguous result, filled by its
    vectorised normal (16 at a time). Permuted views keep the memory-order draws."""
    ours = _slice_draws(tg, expression)
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    for mine, theirs in zip(ours, _slice_draws(torch, expression)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)
