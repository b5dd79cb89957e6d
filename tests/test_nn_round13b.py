"""Round 13b of probes against PyTorch 2.13: `nn.utils.parametrizations.orthogonal` (its three
maps, with and without trivialization, square, tall, wide and batched weights, assignment),
and names PyTorch's nn, optim and utils have that were missing (UninitializedBuffer,
Container, CrossMapLRN2d, ...).

Each test checks fixed expected values or properties on tinygrad_np, then (where PyTorch is
installed) compares with PyTorch: values and, in float64, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.nn.utils import parametrizations, parametrize

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _np(value):
    return np.asarray(value.detach().numpy())


def test_loads_this_checkout():
    import pathlib

    assert pathlib.Path(tg.__file__).parent.parent == pathlib.Path(__file__).parent.parent


# --- orthogonal ---------------------------------------------------------------------------

SHAPES = [(4, 4), (5, 3), (3, 5)]
MAPS = [None, "matrix_exp", "cayley", "householder"]


def _off_diagonal_noise(shape, seed=0):
    noise = np.random.default_rng(seed).normal(scale=0.3, size=shape)
    rows = np.arange(min(shape[-2:]))
    noise[..., rows, rows] = 0.0  # (householder reads the diagonal as signs)
    return noise


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal_weight_is_orthogonal(shape, orthogonal_map, trivial):
    layer = nn.Linear(shape[1], shape[0], dtype=tg.float64)
    parametrizations.orthogonal(layer, orthogonal_map=orthogonal_map,
                                use_trivialization=trivial)
    original = layer.parametrizations.weight.original
    with tg.no_grad():
        original.add_(tg.tensor(_off_diagonal_noise(shape)))
    weight = _np(layer.weight)
    assert weight.shape == shape
    tall = weight if shape[0] >= shape[1] else weight.T
    np.testing.assert_allclose(tall.T @ tall, np.eye(tall.shape[1]), atol=1e-12)
    layer.weight.sum().backward()
    assert original.grad is not None and np.abs(_np(original.grad)).sum() > 0


def test_orthogonal_names_and_default_maps():
    square, tall = nn.Linear(3, 3), nn.Linear(2, 4)
    parametrizations.orthogonal(square)
    parametrizations.orthogonal(tall, use_trivialization=False)
    assert square.parametrizations.weight[0].orthogonal_map == "matrix_exp"
    assert tall.parametrizations.weight[0].orthogonal_map == "householder"
    assert sorted(square.state_dict()) == ["bias", "parametrizations.weight.0.base",
                                           "parametrizations.weight.original"]
    assert sorted(tall.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert parametrize.is_parametrized(square, "weight")
    # with trivialization the original starts at -I and the weight is the base
    np.testing.assert_array_equal(_np(square.parametrizations.weight.original), -np.eye(3))


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="1 dimensions"):
        parametrizations.orthogonal(nn.Linear(3, 3), name="bias")
    with pytest.raises(ValueError, match="no parameter or buffer with name 'kernel'"):
        parametrizations.orthogonal(nn.Linear(3, 3), name="kernel")
    layer = parametrizations.orthogonal(nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        layer.weight = tg.eye(3)
    with pytest.raises(ValueError, match=r"shape \(3, 3\), got a tensor of shape \(2, 2\)"):
        parametrizations.orthogonal(nn.Linear(3, 3)).weight = tg.eye(2)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal_assign_an_orthogonal_matrix(shape, trivial):
    q = np.linalg.qr(np.random.default_rng(1).normal(size=(max(shape), min(shape))))[0]
    q = q if shape[0] >= shape[1] else q.T
    layer = nn.Linear(shape[1], shape[0], dtype=tg.float64)
    parametrizations.orthogonal(layer, orthogonal_map="householder",
                                use_trivialization=trivial)
    layer.weight = tg.tensor(q)
    np.testing.assert_allclose(_np(layer.weight), q, atol=1e-12)


def test_orthogonal_assign_a_square_matrix_takes_its_qr_factor():
    matrix = np.array([[2.0, 1.0], [0.0, 3.0]])  # QR: Q = I, R = matrix (diagonal > 0)
    layer = parametrizations.orthogonal(nn.Linear(2, 2, dtype=tg.float64))
    layer.weight = tg.tensor(matrix)
    np.testing.assert_allclose(_np(layer.weight), np.eye(2), atol=1e-15)
    layer.weight = tg.tensor(-matrix)  # Q = -I
    np.testing.assert_allclose(_np(layer.weight), -np.eye(2), atol=1e-15)


@needs_torch
@pytest.mark.parametrize("shape", SHAPES + [(2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("trivial", [True, False])
def test_orthogonal_matches_torch(shape, orthogonal_map, trivial):
    torch.manual_seed(0)
    theirs, mine = torch.nn.Module(), nn.Module()
    start = np.random.default_rng(2).normal(size=shape)
    theirs.weight = torch.nn.Parameter(torch.tensor(start))
    mine.weight = nn.Parameter(tg.tensor(start))
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map,
                                               use_trivialization=trivial)
    parametrizations.orthogonal(mine, orthogonal_map=orthogonal_map,
                                use_trivialization=trivial)
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(torch.tensor(_off_diagonal_noise(shape)))
    state = {key: tg.tensor(value.numpy()) for key, value in theirs.state_dict().items()}
    assert sorted(state) == sorted(mine.state_dict())
    mine.load_state_dict(state)  # (the base of a tall weight is completed at random)
    np.testing.assert_allclose(_np(mine.weight), theirs.weight.detach().numpy(), atol=1e-12)
    upstream = np.random.default_rng(3).normal(size=shape)
    (theirs.weight * torch.tensor(upstream)).sum().backward()
    (mine.weight * tg.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(_np(mine.parametrizations.weight.original.grad),
                               theirs.parametrizations.weight.original.grad.numpy(), atol=1e-12)


@needs_torch
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_householder_start_matches_torch(shape):
    """Without trivialization, registering keeps the weight (geqrf's reflectors)."""
    start = np.random.default_rng(4).normal(size=shape)
    theirs, mine = torch.nn.Module(), nn.Module()
    theirs.weight = torch.nn.Parameter(torch.tensor(start))
    mine.weight = nn.Parameter(tg.tensor(start))
    torch.nn.utils.parametrizations.orthogonal(theirs, use_trivialization=False,
                                               orthogonal_map="householder")
    parametrizations.orthogonal(mine, use_trivialization=False, orthogonal_map="householder")
    np.testing.assert_allclose(_np(mine.parametrizations.weight.original),
                               theirs.parametrizations.weight.original.detach().numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(_np(mine.weight), theirs.weight.detach().numpy(), atol=1e-12)


# --- UninitializedBuffer, Container, CrossMapLRN2d -----------------------------------------


def test_uninitialized_buffer():
    buffer = nn.UninitializedBuffer(dtype=tg.float64)
    assert repr(buffer) == "<UninitializedBuffer>" and not buffer.requires_grad
    assert nn.parameter.is_lazy(buffer) and not nn.parameter.is_lazy(tg.zeros(1))
    with pytest.raises(RuntimeError, match="uninitialized buffer"):
        buffer.shape  # noqa: B018
    module = nn.Module()
    module.stats = buffer
    module.hidden = nn.UninitializedBuffer(persistent=False)
    assert [name for name, _ in module.named_buffers()] == ["stats", "hidden"]
    buffer.materialize((2, 3))
    assert buffer.shape == (2, 3) and buffer.dtype == tg.float64
    assert not nn.parameter.is_lazy(buffer)
    np.testing.assert_array_equal(_np(buffer), np.zeros((2, 3)))
    assert list(module.state_dict()) == ["stats"]


def test_lazy_norm_running_stats_are_uninitialized_buffers():
    norm = nn.LazyBatchNorm1d().double()
    assert isinstance(norm.running_mean, nn.UninitializedBuffer)
    assert isinstance(norm.running_var, nn.UninitializedBuffer)
    norm(tg.tensor([[1.0, 2.0], [3.0, 6.0]], dtype=tg.float64))
    assert not isinstance(norm.running_mean, nn.UninitializedBuffer)
    np.testing.assert_allclose(_np(norm.running_mean), [0.2, 0.4])
    assert norm.running_var.dtype == tg.float64


@needs_torch
def test_uninitialized_buffer_matches_torch():
    assert isinstance(torch.nn.LazyBatchNorm1d().running_mean, torch.nn.UninitializedBuffer)
    assert repr(torch.nn.UninitializedBuffer()) == repr(nn.UninitializedBuffer())
    theirs = torch.nn.Module()
    theirs.hidden = torch.nn.UninitializedBuffer(persistent=False)
    assert list(theirs._non_persistent_buffers_set) == ["hidden"]


def test_container_adds_children_and_warns():
    with pytest.warns(FutureWarning, match="nn.Container` is deprecated"):
        container = nn.Container(fc=nn.Linear(2, 3), act=nn.ReLU())
    assert [name for name, _ in container.named_children()] == ["fc", "act"]
    assert sorted(container.state_dict()) == ["fc.bias", "fc.weight"]
    with pytest.warns(FutureWarning, match="Subclass that instead"):
        class Mine(nn.Container):
            pass
    assert isinstance(Mine(fc=nn.Linear(1, 1)), nn.Module)


@needs_torch
def test_container_matches_torch():
    with pytest.warns(FutureWarning) as theirs:
        torch.nn.Container(fc=torch.nn.Linear(2, 3))
    with pytest.warns(FutureWarning) as mine:
        nn.Container(fc=nn.Linear(2, 3))
    assert str(mine[0].message) == str(theirs[0].message)


def test_cross_map_lrn2d_fixed_values():
    # size 3: channel 0's window is channels {0, 1}, channels 1 and 2 sum all three;
    # alpha / size = 1, so scale = 1 + the sum of squares, and beta = 1 divides by it
    layer = nn.CrossMapLRN2d(3, alpha=3.0, beta=1.0, k=1.0)
    assert repr(layer) == "CrossMapLRN2d(3, alpha=3.0, beta=1.0, k=1.0)"
    out = layer(tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64).reshape(1, 3, 1, 1))
    np.testing.assert_allclose(_np(out).ravel(), [1 / 6, 2 / 15, 3 / 15])
    with pytest.raises(RuntimeError, match=r"Expected input to be 4D, got 3D"):
        layer(tg.ones(3, 1, 1))


@needs_torch
@pytest.mark.parametrize("size", [2, 3, 4, 5, 8])
@pytest.mark.parametrize("channels", [1, 3, 7])
def test_cross_map_lrn2d_matches_torch(size, channels):
    x = np.random.default_rng(size * 10 + channels).normal(size=(2, channels, 3, 2))
    upstream = np.random.default_rng(5).normal(size=x.shape)
    theirs_x = torch.tensor(x, requires_grad=True)
    mine_x = tg.tensor(x, requires_grad=True)
    theirs = torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)(theirs_x)
    mine = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)(mine_x)
    np.testing.assert_allclose(_np(mine), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    (theirs * torch.tensor(upstream)).sum().backward()
    (mine * tg.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(_np(mine_x.grad), theirs_x.grad.numpy(), rtol=1e-12, atol=1e-14)


@needs_torch
def test_cross_map_lrn2d_float32_default_options_match_torch():
    x = np.random.default_rng(6).normal(size=(1, 6, 2, 2)).astype(np.float32)
    theirs = torch.nn.CrossMapLRN2d(5)(torch.tensor(x))
    mine = nn.CrossMapLRN2d(5)(tg.tensor(x))
    assert mine.dtype == tg.float32
    np.testing.assert_allclose(_np(mine), theirs.numpy(), rtol=1e-6)


# --- AdaptiveLogSoftmaxWithLoss and small names -------------------------------------------


def _asm(dtype=tg.float64):
    return nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True,
                                         dtype=dtype)


def test_adaptive_log_softmax_shapes_and_probabilities():
    layer = _asm()
    assert [tuple(p.shape) for p in layer.parameters()] == [(5, 8), (5,), (4, 8), (3, 4),
                                                            (2, 8), (4, 2)]
    x = tg.tensor(np.random.default_rng(7).normal(size=(6, 8)))
    full = layer.log_prob(x)
    np.testing.assert_allclose(np.exp(_np(full)).sum(1), np.ones(6))  # a distribution
    target = np.array([0, 9, 4, 2, 7, 5])
    result = layer(x, tg.tensor(target))
    np.testing.assert_allclose(_np(result.output), _np(full)[np.arange(6), target])
    np.testing.assert_allclose(result.loss.item(), -_np(result.output).mean())
    output, loss = result  # a namedtuple (output, loss)
    assert type(result).__name__ == "_ASMoutput" and output.shape == (6,)
    np.testing.assert_array_equal(_np(layer.predict(x)), _np(full).argmax(1))
    single = layer(x[1], tg.tensor(target[1]))
    assert single.output.shape == () and np.isclose(single.output.item(), _np(full)[1, 9])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        layer(x, tg.tensor([0, 1, 2, 3, 4, 10]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3])
    with pytest.raises(ValueError, match="between 1 and n_classes-1"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10])


@needs_torch
def test_adaptive_log_softmax_matches_torch():
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True,
                                                 dtype=torch.float64)
    mine = _asm()
    assert repr(mine) == repr(theirs)
    mine.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(8).normal(size=(7, 8))
    target = np.array([0, 9, 4, 2, 7, 5, 3])
    theirs_x, mine_x = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    a, b = theirs(theirs_x, torch.tensor(target)), mine(mine_x, tg.tensor(target))
    np.testing.assert_allclose(_np(b.output), a.output.detach().numpy(), atol=1e-13)
    np.testing.assert_allclose(b.loss.item(), a.loss.item(), atol=1e-13)
    a.loss.backward()
    b.loss.backward()
    np.testing.assert_allclose(_np(mine_x.grad), theirs_x.grad.numpy(), atol=1e-13)
    for p, q in zip(mine.parameters(), theirs.parameters()):
        np.testing.assert_allclose(_np(p.grad), q.grad.numpy(), atol=1e-13)
    np.testing.assert_allclose(_np(mine.log_prob(mine_x)), theirs.log_prob(theirs_x).detach(),
                               atol=1e-13)
    np.testing.assert_array_equal(_np(mine.predict(mine_x)), theirs.predict(theirs_x).numpy())
    unbatched = theirs(theirs_x[2], torch.tensor(target[2])).output
    assert np.isclose(mine(mine_x[2], tg.tensor(target[2])).output.item(), unbatched.item())


def test_factory_kwargs():
    assert nn.factory_kwargs(None) == {}
    assert nn.factory_kwargs({"dtype": tg.float64, "factory_kwargs": {"device": "cpu"}}) == {
        "dtype": tg.float64, "device": "cpu"}
    with pytest.raises(TypeError, match="unexpected kwargs"):
        nn.factory_kwargs({"shape": 3})
    with pytest.raises(TypeError, match="dtype specified twice"):
        nn.factory_kwargs({"dtype": tg.float64, "factory_kwargs": {"dtype": tg.float32}})


def test_constants():
    from tinygrad_np.nn import functional as F
    from tinygrad_np.optim import lr_scheduler

    assert F.GRID_SAMPLE_INTERPOLATION_MODES == {"bilinear": 0, "nearest": 1, "bicubic": 2}
    assert F.GRID_SAMPLE_PADDING_MODES == {"zeros": 0, "border": 1, "reflection": 2}
    assert "epoch parameter" in lr_scheduler.EPOCH_DEPRECATION_WARNING


@needs_torch
def test_small_names_match_torch():
    from tinygrad_np.nn import functional as F

    assert F.GRID_SAMPLE_INTERPOLATION_MODES == torch.nn.functional.GRID_SAMPLE_INTERPOLATION_MODES
    assert F.GRID_SAMPLE_PADDING_MODES == torch.nn.functional.GRID_SAMPLE_PADDING_MODES
    kwargs = {"device": "cpu", "factory_kwargs": {"memory_format": None}}
    assert nn.factory_kwargs(kwargs) == torch.nn.factory_kwargs(kwargs)
