"""Normalisation layers, buffers and embeddings.

BatchNorm (train and eval, running statistics over several steps), LayerNorm, GroupNorm and
Embedding against PyTorch (values and gradients, float64 and float32), against central
differences (gradcheck, also second order), and against NumPy formulas written here; module
buffers in state dicts, save/load and strict loading.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # tiny tensors: PyTorch's worker threads only wait on a busy machine

TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
# float32 against PyTorch: both sum in float32, in different orders
TOLERANCE = {np.float64: {"rtol": 1e-10, "atol": 1e-10}, np.float32: {"rtol": 1e-4, "atol": 1e-4}}


def close(ours, theirs, dtype=np.float64):
    ours = ours._data if isinstance(ours, Tensor) else np.asarray(ours)
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    np.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])


def copy_parameters(ours: nn.Module, theirs, rng: np.random.Generator) -> None:
    """Random (not the default ones/zeros) parameters, the same in both modules."""
    for (name, ours_p), (their_name, their_p) in zip(ours.named_parameters(),
                                                     theirs.named_parameters(), strict=True):
        assert name == their_name
        values = rng.normal(size=ours_p.shape).astype(ours_p.dtype)
        with tg.no_grad():
            ours_p.copy_(tg.tensor(values))
        with torch.no_grad():
            their_p.copy_(torch.from_numpy(values.copy()))


# ----------------------------------------------------------------- BatchNorm against PyTorch
BN_CASES = [
    (nn.BatchNorm1d, "BatchNorm1d", (6, 3)),
    (nn.BatchNorm1d, "BatchNorm1d", (4, 3, 5)),
    (nn.BatchNorm2d, "BatchNorm2d", (3, 3, 4, 5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("layer,torch_name,shape", BN_CASES, ids=["1d-NC", "1d-NCL", "2d"])
@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum0.1", "cumulative"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "no-affine"])
@pytest.mark.parametrize("track", [True, False], ids=["tracked", "untracked"])
def test_batch_norm_steps_match_pytorch(dtype, layer, torch_name, shape, momentum, affine, track):
    rng = np.random.default_rng(0)
    ours = layer(3, momentum=momentum, affine=affine, track_running_stats=track, dtype=dtype)
    theirs = getattr(torch.nn, torch_name)(3, momentum=momentum, affine=affine,
                                           track_running_stats=track, dtype=TORCH_DTYPE[dtype])
    copy_parameters(ours, theirs, rng)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for step in range(4):
        if step == 3:
            ours.eval()
            theirs.eval()
        x = (rng.normal(size=shape) * 2 + rng.normal(size=3).reshape((3,) + (1,) * (len(shape) - 2))
             ).astype(dtype)
        upstream = rng.normal(size=shape).astype(dtype)
        x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
        assert y_ours.dtype == dtype
        close(y_ours, y_theirs, dtype)
        y_ours.backward(Tensor(upstream))
        y_theirs.backward(torch.from_numpy(upstream))
        close(x_ours.grad, x_theirs.grad, dtype)
        assert x_ours.grad.dtype == dtype
        for (_, p_ours), (_, p_theirs) in zip(ours.named_parameters(),
                                              theirs.named_parameters(), strict=True):
            close(p_ours.grad, p_theirs.grad, dtype)
            p_ours.grad = None
        theirs.zero_grad()
        state = ours.state_dict()
        for name, value in theirs.state_dict().items():
            assert state[name].dtype == value.numpy().dtype, name
            close(state[name], value, dtype)


def test_batch_norm_normalises_with_biased_and_tracks_unbiased_variance():
    """A NumPy reference written out: the textbook formulas, one step from fresh statistics."""
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, size=(5, 2, 3))
    layer = nn.BatchNorm1d(2, momentum=0.25, dtype=np.float64)
    y = layer(Tensor(x))
    mean = x.mean(axis=(0, 2), keepdims=True)
    biased = ((x - mean) ** 2).mean(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y._data, (x - mean) / np.sqrt(biased + 1e-5), rtol=1e-12)
    unbiased = ((x - mean) ** 2).sum(axis=(0, 2)) / (x.size // 2 - 1)
    np.testing.assert_allclose(layer.running_mean._data, 0.25 * mean.ravel(), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var._data, 0.75 + 0.25 * unbiased, rtol=1e-12)
    assert layer.num_batches_tracked.dtype == np.int64 and layer.num_batches_tracked.item() == 1


def test_batch_norm_cumulative_average_with_momentum_none():
    rng = np.random.default_rng(2)
    layer = nn.BatchNorm1d(3, momentum=None, dtype=np.float64)
    batches = [rng.normal(size=(4, 3)) + i for i in range(5)]
    for batch in batches:
        layer(Tensor(batch))
    np.testing.assert_allclose(layer.running_mean._data,
                               np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var._data,
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0),
                               rtol=1e-12)
    assert layer.num_batches_tracked.item() == 5


def test_running_statistics_are_updated_in_place_and_eval_leaves_them():
    layer = nn.BatchNorm2d(2)
    mean, var, count = layer.running_mean, layer.running_var, layer.num_batches_tracked
    versions = (mean._version, var._version)
    x = tg.randn(4, 2, 3, 3)
    layer(x)
    assert layer.running_mean is mean and layer.running_var is var
    assert layer.num_batches_tracked is count
    assert mean._version > versions[0] and var._version > versions[1]
    assert not mean.requires_grad and not var.requires_grad
    before = layer.state_dict()
    layer.eval()
    layer(x)
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_running_statistics_are_not_part_of_the_graph():
    layer = nn.BatchNorm1d(3)
    x = tg.randn(5, 3, requires_grad=True)
    layer(x).sum().backward()
    assert layer.running_mean.grad is None and not layer.running_mean.requires_grad
    assert layer.running_mean.grad_fn is None


def test_eval_mode_uses_running_statistics():
    layer = nn.BatchNorm1d(2, dtype=np.float64)
    with tg.no_grad():
        layer.running_mean.copy_(tg.tensor(np.array([1.0, -2.0])))
        layer.running_var.copy_(tg.tensor(np.array([4.0, 0.25])))
        layer.weight.copy_(tg.tensor(np.array([2.0, 3.0])))
        layer.bias.copy_(tg.tensor(np.array([0.5, -0.5])))
    layer.eval()
    x = np.array([[3.0, -1.0], [1.0, -2.0]])
    expected = (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2.0, 3.0] + [0.5, -0.5]
    np.testing.assert_allclose(layer(Tensor(x))._data, expected, rtol=1e-12)
    layer(Tensor(x[:1]))  # one sample is fine in eval


def test_untracked_batch_norm_has_no_buffers_and_always_uses_the_batch():
    layer = nn.BatchNorm1d(2, track_running_stats=False, dtype=np.float64)
    assert layer.running_mean is None and list(layer.named_buffers()) == []
    assert list(layer.state_dict()) == ["weight", "bias"]
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    layer.eval()
    np.testing.assert_allclose(layer(Tensor(x))._data, [[-1, -1], [1, 1]], atol=1e-5)


def test_functional_batch_norm_matches_pytorch_without_weight_or_stats():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3, 2, 2))
    w = rng.normal(size=3)
    for weight, bias in [(None, None), (w, None), (None, w)]:
        ours = F.batch_norm(Tensor(x), None, None, None if weight is None else Tensor(weight),
                            None if bias is None else Tensor(bias), training=True, eps=1e-3)
        theirs = torch.nn.functional.batch_norm(
            torch.tensor(x), None, None, None if weight is None else torch.tensor(weight),
            None if bias is None else torch.tensor(bias), training=True, eps=1e-3)
        close(ours, theirs)


def test_batch_norm_float32_stays_float32_and_large_inputs_stay_finite():
    rng = np.random.default_rng(4)
    x = Tensor((1000 + rng.normal(size=(8, 4, 5, 5)) * 1e-2).astype(np.float32),
               requires_grad=True)
    x2 = Tensor((rng.choice([-1000.0, 1000.0], size=(8, 4, 5, 5))).astype(np.float32),
                requires_grad=True)
    layer = nn.BatchNorm2d(4)
    for inputs in (x, x2):
        y = layer(inputs)
        assert y.dtype == np.float32
        (y * y).sum().backward()
        for array in (y._data, inputs.grad._data, layer.weight.grad._data, layer.running_var._data):
            assert array.dtype == np.float32 and np.isfinite(array).all()
        layer.zero_grad()
    # A spread of 0.01 around 1000: a float32 mean is only known to an ulp of 1000 (6e-5),
    # about 0.5% of the spread, and no worse than that.
    offset = x._data.astype(np.float64)
    reference = (offset - offset.mean(axis=(0, 2, 3), keepdims=True))
    reference /= np.sqrt(reference.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(nn.BatchNorm2d(4)(x)._data, reference, atol=2e-2)


def test_batch_norm_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input, got shape"):
        nn.BatchNorm1d(3)(tg.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input"):
        nn.BatchNorm2d(3)(tg.randn(2, 3))
    with pytest.raises(ValueError, match=r"running_mean should have shape \(4,\).*\(2, 4\)"):
        nn.BatchNorm1d(3)(tg.randn(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tg.randn(1, 3))
    with pytest.raises(ValueError, match=r"weight should have shape \(3,\)"):
        F.batch_norm(tg.randn(2, 3), None, None, tg.randn(4), training=True)
    with pytest.raises(ValueError, match="required when not training"):
        F.batch_norm(tg.randn(2, 3), None, None)


def test_state_dict_from_pytorch_batch_norm_2d_loads_unchanged():
    rng = np.random.default_rng(5)
    theirs = torch.nn.BatchNorm2d(4)
    for _ in range(3):
        theirs(torch.randn(5, 4, 3, 3) * 3 + 1)
    with torch.no_grad():
        theirs.weight.copy_(torch.randn(4))
        theirs.bias.copy_(torch.randn(4))
    ours = nn.BatchNorm2d(4)
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    state = ours.state_dict()
    assert list(state) == list(theirs.state_dict())
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(state[name], value.numpy())
        assert state[name].dtype == value.numpy().dtype
    assert ours.num_batches_tracked.item() == 3
    ours.eval()
    theirs.eval()
    x = rng.normal(size=(2, 4, 3, 3)).astype(np.float32)
    close(ours(Tensor(x)), theirs(torch.from_numpy(x)), np.float32)


def test_state_dict_keys_match_pytorch_for_every_configuration():
    for kwargs in [{}, {"affine": False}, {"track_running_stats": False}, {"bias": False}]:
        ours = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2, **kwargs), nn.LayerNorm(2),
                             nn.GroupNorm(1, 2), nn.Embedding(5, 2))
        theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2, **kwargs),
                                     torch.nn.LayerNorm(2), torch.nn.GroupNorm(1, 2),
                                     torch.nn.Embedding(5, 2))
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for name, value in theirs.state_dict().items():
            assert ours.state_dict()[name].shape == tuple(value.shape)
        ours.load_state_dict(theirs.state_dict())


def test_reprs_match_pytorch():
    pairs = [
        (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)),
        (nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False),
         torch.nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False)),
        (nn.LayerNorm((3, 4)), torch.nn.LayerNorm((3, 4))),
        (nn.LayerNorm(3, elementwise_affine=False),
         torch.nn.LayerNorm(3, elementwise_affine=False)),
        (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
        (nn.Embedding(10, 3), torch.nn.Embedding(10, 3)),
        (nn.Embedding(10, 3, padding_idx=-1), torch.nn.Embedding(10, 3, padding_idx=-1)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


# ----------------------------------------------------------------- LayerNorm and GroupNorm
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 4), (3, 4)), ((2, 3, 5), (5,)),
                                              ((7,), 7)])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_matches_pytorch(dtype, shape, normalized, affine, bias):
    rng = np.random.default_rng(6)
    ours = nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine, bias=bias, dtype=dtype)
    theirs = torch.nn.LayerNorm(normalized, eps=1e-4, elementwise_affine=affine, bias=bias,
                                dtype=TORCH_DTYPE[dtype])
    copy_parameters(ours, theirs, rng)
    check_module_against_pytorch(ours, theirs, rng.normal(size=shape).astype(dtype) * 3 + 1,
                                 rng, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("groups,shape", [(2, (3, 4, 5)), (1, (2, 6, 2, 3)), (6, (2, 6, 3, 2)),
                                          (3, (4, 6))])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_pytorch(dtype, groups, shape, affine):
    rng = np.random.default_rng(7)
    ours = nn.GroupNorm(groups, shape[1], affine=affine, dtype=dtype)
    theirs = torch.nn.GroupNorm(groups, shape[1], affine=affine, dtype=TORCH_DTYPE[dtype])
    copy_parameters(ours, theirs, rng)
    check_module_against_pytorch(ours, theirs, rng.normal(size=shape).astype(dtype) * 2 - 1,
                                 rng, dtype)


def check_module_against_pytorch(ours, theirs, x, rng, dtype):
    upstream = rng.normal(size=x.shape).astype(dtype)
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    assert y_ours.dtype == dtype and y_ours.shape == tuple(y_theirs.shape)
    close(y_ours, y_theirs, dtype)
    y_ours.backward(Tensor(upstream))
    y_theirs.backward(torch.from_numpy(upstream))
    close(x_ours.grad, x_theirs.grad, dtype)
    for (_, p_ours), (_, p_theirs) in zip(ours.named_parameters(), theirs.named_parameters(),
                                          strict=True):
        assert p_ours.grad.dtype == dtype
        close(p_ours.grad, p_theirs.grad, dtype)


def test_layer_norm_numpy_reference_and_stability():
    x = np.array([[1.0, 2.0, 3.0, 6.0], [1000.0, -1000.0, 1000.0, -1000.0]])
    y = F.layer_norm(Tensor(x), 4)
    mean = x.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(y._data, (x - mean) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5),
                               rtol=1e-12)
    x32 = Tensor(x.astype(np.float32), requires_grad=True)
    (F.layer_norm(x32, 4) ** 3).sum().backward()
    assert x32.grad.dtype == np.float32 and np.isfinite(x32.grad._data).all()


def test_group_norm_numpy_reference():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 4, 3))
    weight, bias = rng.normal(size=4), rng.normal(size=4)
    y = F.group_norm(Tensor(x), 2, Tensor(weight), Tensor(bias), eps=1e-3)
    grouped = x.reshape(2, 2, 6)
    normalised = (grouped - grouped.mean(axis=2, keepdims=True)) / np.sqrt(
        grouped.var(axis=2, keepdims=True) + 1e-3)
    expected = normalised.reshape(x.shape) * weight[:, None] + bias[:, None]
    np.testing.assert_allclose(y._data, expected, rtol=1e-12)


def test_layer_and_group_norm_errors():
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape=\(4,\) expects .*\(2, 3\)"):
        nn.LayerNorm(4)(tg.randn(2, 3))
    with pytest.raises(ValueError, match=r"weight should have shape \(3,\)"):
        F.layer_norm(tg.randn(2, 3), 3, tg.randn(4))
    with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"group_norm: .*num_groups=3, got \(2, 4, 5\)"):
        F.group_norm(tg.randn(2, 4, 5), 3)


# ----------------------------------------------------------------- central differences
def _fixed_upstream(shape, seed=9):
    return Tensor(np.random.default_rng(seed).normal(size=shape))


def _leaves(*shapes, seed=10):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.normal(size=shape) * 1.5 + 0.5, requires_grad=True) for shape in shapes]


def test_gradcheck_batch_norm_train_and_eval():
    x, w, b = _leaves((4, 3, 2), (3,), (3,))
    g = _fixed_upstream(x.shape)
    running_mean, running_var = Tensor(np.array([0.1, -0.3, 0.5])), Tensor(np.array([1.5, .5, 2]))
    assert tg.gradcheck(lambda x, w, b: (F.batch_norm(x, None, None, w, b, True) * g).sum(),
                        [x, w, b])
    assert tg.gradcheck(lambda x, w, b: (F.batch_norm(x, running_mean, running_var, w, b) * g
                                         ).sum(), [x, w, b])
    assert tg.gradcheck(lambda x: (F.batch_norm(x, None, None, training=True) * g).sum(), [x])


def test_gradcheck_layer_and_group_norm():
    x, w, b, w2, b2 = _leaves((3, 4, 2), (4, 2), (4, 2), (4,), (4,))
    g = _fixed_upstream(x.shape)
    assert tg.gradcheck(lambda x, w, b: (F.layer_norm(x, (4, 2), w, b) * g).sum(), [x, w, b])
    assert tg.gradcheck(lambda x, w, b: (F.group_norm(x, 2, w, b) * g).sum(), [x, w2, b2])


@pytest.mark.parametrize("kind", ["batch_train", "batch_eval", "layer", "group"])
def test_second_order_gradients_match_pytorch(kind):
    """Hessian-vector products through the normalisation (create_graph=True)."""
    rng = np.random.default_rng(11)
    shape = (4, 4, 3)
    x, w, b = rng.normal(size=shape), rng.normal(size=4), rng.normal(size=4)
    upstream, direction = rng.normal(size=shape), rng.normal(size=shape)
    stats = rng.normal(size=4), rng.random(4) + 0.5

    def run(lib, functional, tensors):
        x, w, b = tensors
        if kind == "batch_train":
            y = functional.batch_norm(x, None, None, w, b, training=True)
        elif kind == "batch_eval":
            y = functional.batch_norm(x, lib.tensor(stats[0]), lib.tensor(stats[1]), w, b)
        elif kind == "layer":
            y = functional.layer_norm(x, (3,), w[:3], b[:3])
        else:
            y = functional.group_norm(x, 2, w, b)
        return (y * lib.tensor(upstream)).sum() + (y * y * y).sum()

    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    gx, gw = tg.grad(run(tg, F, ours), ours[:2], create_graph=True)
    ours_hvp = tg.grad((gx * Tensor(direction)).sum() + gw.sum(), ours)
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    tx, tw = torch.autograd.grad(run(torch, torch.nn.functional, theirs), theirs[:2],
                                 create_graph=True)
    theirs_hvp = torch.autograd.grad((tx * torch.tensor(direction)).sum() + tw.sum(), theirs)
    for a, b_ in zip(ours_hvp, theirs_hvp, strict=True):
        np.testing.assert_allclose(a._data, b_.numpy(), rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------- buffers
class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer("scale", Tensor(np.full(2, 3.0, dtype=np.float32)))
        self.register_buffer("cache", Tensor(np.zeros(2, dtype=np.float32)), persistent=False)
        self.register_buffer("nothing", None)
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.norm(self.fc(x) * self.scale)


def test_buffers_are_found_with_dotted_names_in_definition_order():
    model = nn.Sequential(WithBuffers(), nn.ReLU())
    names = [name for name, _ in model.named_buffers()]
    assert names == ["0.scale", "0.cache", "0.norm.running_mean", "0.norm.running_var",
                     "0.norm.num_batches_tracked"]
    assert [id(b) for b in model.buffers()] == [id(b) for _, b in model.named_buffers()]
    assert [name for name, _ in model[0].named_buffers(recurse=False)] == ["scale", "cache"]
    assert [name for name, _ in model.named_buffers(prefix="net")][0] == "net.0.scale"
    assert [name for name, _ in model.named_parameters()] == [
        "0.fc.weight", "0.fc.bias", "0.norm.weight", "0.norm.bias"]  # buffers are not learnt
    assert list(model.state_dict()) == [  # PyTorch's order: a module's own tensors first
        "0.scale", "0.fc.weight", "0.fc.bias", "0.norm.weight", "0.norm.bias",
        "0.norm.running_mean", "0.norm.running_var", "0.norm.num_batches_tracked"]


def test_buffer_state_matches_pytorch_module_with_buffers():
    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 2)
            self.register_buffer("scale", torch.full((2,), 3.0))
            self.register_buffer("cache", torch.zeros(2), persistent=False)
            self.register_buffer("nothing", None)
            self.norm = torch.nn.BatchNorm1d(2)

    # the same keys in the same order (a module's own tensors before its children's)
    assert list(WithBuffers().state_dict()) == list(Theirs().state_dict())
    assert ([n for n, _ in WithBuffers().named_buffers()]
            == [n for n, _ in Theirs().named_buffers()])


def test_buffers_can_be_reassigned_and_registered_again():
    model = WithBuffers()
    model.scale = Tensor(np.ones(2, dtype=np.float32))
    np.testing.assert_array_equal(model.state_dict()["scale"], [1, 1])
    model.register_buffer("nothing", Tensor(np.zeros(1)))
    assert "nothing" in model.state_dict()
    model.nothing = None
    assert "nothing" not in model.state_dict()


def test_register_buffer_errors():
    model = WithBuffers()
    with pytest.raises(KeyError, match="already exists"):
        model.register_buffer("fc", Tensor(np.zeros(1)))
    with pytest.raises(KeyError, match=r'contain "\."'):
        model.register_buffer("a.b", Tensor(np.zeros(1)))
    with pytest.raises(TypeError, match="ndarray as buffer 'x'"):
        model.register_buffer("x", np.zeros(1))
    with pytest.raises(TypeError, match="Parameter"):
        model.register_buffer("x", nn.Parameter(np.zeros(1)))


def test_buffers_round_trip_through_save_and_load(tmp_path):
    tg.manual_seed(0)
    model = WithBuffers()
    for _ in range(3):
        model(tg.randn(4, 2))
    with tg.no_grad():
        model.scale.copy_(tg.tensor(np.array([0.5, 2.0])))
    tg.save(model.state_dict(), tmp_path / "model.npz")
    loaded = tg.load(tmp_path / "model.npz")
    assert list(loaded) == list(model.state_dict())
    assert loaded["norm.num_batches_tracked"].dtype == np.int64
    fresh = WithBuffers()
    scale = fresh.scale
    fresh.load_state_dict(loaded)
    assert fresh.scale is scale  # loaded in place
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], value)
    assert fresh.norm.num_batches_tracked.item() == 3
    x = tg.randn(3, 2)
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(fresh(x)._data, model(x)._data)


def test_strict_load_checks_buffer_keys_and_shapes():
    model = WithBuffers()
    state = model.state_dict()
    del state["norm.running_var"]
    state["cache"] = np.zeros(2)  # non-persistent: not expected in a state dict
    state["scale"] = np.zeros(3)
    with pytest.raises(ValueError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    assert 'Missing key(s) in state_dict: "norm.running_var". ' in message
    assert 'Unexpected key(s) in state_dict: "cache". ' in message
    assert ("size mismatch for scale: copying a param with shape torch.Size([3]) from "
            "checkpoint, the shape in current model is torch.Size([2]).") in message
    state["scale"] = np.zeros(2)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["norm.running_var"] and result.unexpected_keys == ["cache"]
    np.testing.assert_array_equal(model.scale._data, [0, 0])


# ----------------------------------------------------------------- Embedding
def test_embedding_matches_pytorch_with_repeats_and_padding():
    rng = np.random.default_rng(12)
    table = rng.normal(size=(6, 4))
    indices = np.array([[0, 2, 2, 5], [2, 3, 0, 0]])
    upstream = rng.normal(size=(2, 4, 4))
    for padding in (None, 0, -1):
        ours = nn.Embedding(6, 4, padding_idx=padding, _weight=Tensor(table.copy()))
        theirs = torch.nn.Embedding(6, 4, padding_idx=padding,
                                    _weight=torch.tensor(table.copy()))
        y = ours(Tensor(indices))
        y_theirs = theirs(torch.tensor(indices))
        assert y.shape == (2, 4, 4)
        close(y, y_theirs)
        y.backward(Tensor(upstream))
        y_theirs.backward(torch.tensor(upstream))
        close(ours.weight.grad, theirs.weight.grad)
    # by hand: row 2 is used three times, row 0 three times but it is the padding row
    ours = nn.Embedding(6, 4, padding_idx=0, _weight=Tensor(table.copy()))
    ours(indices).backward(Tensor(upstream))
    np.testing.assert_allclose(ours.weight.grad._data[2],
                               upstream[0, 1] + upstream[0, 2] + upstream[1, 0])
    np.testing.assert_array_equal(ours.weight.grad._data[[0, 1, 4]], 0)


def test_embedding_initialisation_and_padding_row():
    tg.manual_seed(0)
    layer = nn.Embedding(2000, 50, padding_idx=3)
    weight = layer.weight._data
    assert weight.dtype == np.float32 and layer.weight.requires_grad
    np.testing.assert_array_equal(weight[3], 0)
    assert abs(weight.mean()) < 0.01 and abs(weight.std() - 1) < 0.01  # N(0, 1), 100,000 draws
    tg.manual_seed(0)
    np.testing.assert_array_equal(nn.Embedding(2000, 50, padding_idx=3).weight._data, weight)


def test_embedding_shapes_and_index_types():
    layer = nn.Embedding(5, 3)
    assert layer(np.array(4)).shape == (3,)
    assert layer([1, 2]).shape == (2, 3)
    assert layer(tg.arange(4).reshape(2, 2)).shape == (2, 2, 3)
    assert layer(np.array([[[1]], [[2]]], dtype=np.int32)).shape == (2, 1, 1, 3)
    assert layer(np.zeros((0, 2), dtype=np.int64)).shape == (0, 2, 3)


def test_embedding_errors_name_index_and_range():
    layer = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"index 10 is out of range for 10 embeddings "
                                         r"\(valid indices 0 to 9\)"):
        layer(np.array([1, 10, 3]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        layer(np.array([-1]))
    with pytest.raises(TypeError, match="indices must be integers.*float64"):
        layer(np.array([1.0]))
    with pytest.raises(ValueError, match="padding_idx=10 must be within num_embeddings=10"):
        nn.Embedding(10, 3, padding_idx=10)
    with pytest.raises(ValueError, match=r"_weight has shape \(2, 2\), expected \(10, 3\)"):
        nn.Embedding(10, 3, _weight=np.zeros((2, 2)))


def test_embedding_from_pretrained():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    frozen = nn.Embedding.from_pretrained(Tensor(table))
    assert not frozen.weight.requires_grad and list(frozen.parameters())[0] is frozen.weight
    np.testing.assert_array_equal(frozen(np.array([3, 0]))._data, table[[3, 0]])
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    np.testing.assert_array_equal(trainable.weight._data[1], table[1])  # not zeroed, as PyTorch
    trainable(np.array([1, 2])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad._data, [[0] * 3, [0] * 3, [1] * 3, [0] * 3])
    with pytest.raises(ValueError, match="must be 2-D"):
        nn.Embedding.from_pretrained(np.zeros(3))


def test_embedding_gradcheck_and_second_order():
    (weight,) = _leaves((5, 3))
    indices = np.array([[0, 4, 4], [1, 0, 2]])
    assert tg.gradcheck(lambda w: (F.embedding(indices, w) ** 3).sum(), [weight])
    (g,) = tg.grad((F.embedding(indices, weight) ** 3).sum(), weight, create_graph=True)
    (hvp,) = tg.grad(g.sum(), weight)
    counts = np.bincount(indices.ravel(), minlength=5)[:, None]
    np.testing.assert_allclose(hvp._data, 6 * weight._data * counts, rtol=1e-12)
