"""Gaps found by porting everyday PyTorch scripts: each name here was missing or different,
and is checked against PyTorch (where it is installed) or against PyTorch's documented result."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.utils import data


# ----------------------------------------------------------------- Tensor methods
def test_matrix_product_methods_and_mT():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    np.testing.assert_allclose(x[0].mm(y[0]).numpy(), a[0] @ b[0])
    np.testing.assert_allclose(x.bmm(y).numpy(), a @ b)
    np.testing.assert_allclose(x[0].mv(y[0, :, 0]).numpy(), a[0] @ b[0, :, 0])
    np.testing.assert_allclose(x[0, 0].dot(y[0, :, 0]).numpy(), a[0, 0] @ b[0, :, 0])
    assert x.mT.shape == (2, 4, 3) and x[0].mH.shape == (4, 3)
    x.bmm(y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones((2, 3, 5)) @ b.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="mm: input must be 2-D"):
        x.mm(y[0])
    with pytest.raises(RuntimeError, match="mT"):
        _ = tg.ones(3).mT


def test_clamp_min_max_element_size_and_index():
    x = tg.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    assert x.clamp_min(0).tolist() == [0.0, 0.5, 3.0]
    assert x.clamp_max(1).tolist() == [-2.0, 0.5, 1.0]
    x.clamp_min(0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]
    y = tg.tensor([-2.0, 0.5, 3.0])
    assert y.clamp_min_(0) is y and y.tolist() == [0.0, 0.5, 3.0]
    assert y.clamp_max_(1).tolist() == [0.0, 0.5, 1.0]
    assert tg.ones(2).element_size() == 4 and tg.ones(2, dtype=tg.float64).element_size() == 8
    names = ["a", "b", "c"]
    assert names[tg.tensor(2)] == "c" and names[tg.tensor([1])] == "b"
    assert list(range(tg.tensor(3))) == [0, 1, 2]
    with pytest.raises(TypeError, match="integer tensors of a single element"):
        names[tg.tensor(1.0)]
    with pytest.raises(TypeError):
        names[tg.tensor([0, 1])]


def test_linspace_is_pytorchs_to_the_bit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    cases = [(-1, 1, 7), (0, 1, 5), (-np.pi, np.pi, 200), (5, -5, 10), (2, 2, 3), (0, 1, 1)]
    cases += [(rng.normal() * 10, rng.normal() * 10, int(n)) for n in rng.integers(2, 500, 40)]
    for start, end, steps in cases:
        for ours, theirs in ((tg.float32, torch.float32), (tg.float64, torch.float64)):
            expected = torch.linspace(start, end, steps, dtype=theirs).numpy()
            got = tg.linspace(start, end, steps, dtype=ours).numpy()
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected, err_msg=f"{start}, {end}, {steps}")
    # the middle of linspace(-1, 1, 7) is not exactly 0 in PyTorch: sign() sees it
    assert tg.linspace(-1, 1, 7).sign().tolist()[3] == -1.0
    assert tg.linspace(0, 10, 4, dtype=tg.int64).tolist() == [0, 3, 6, 10]


def test_softmax_dtype_argument():
    x = tg.tensor([[1.0, 2.0, 3.0]])
    assert F.softmax(x, dim=-1, dtype=tg.float64).dtype == np.float64
    assert F.log_softmax(x, 1, dtype=tg.float64).dtype == np.float64
    np.testing.assert_allclose(F.softmax(x, dim=1, dtype=tg.float64).numpy().sum(), 1.0)


# ----------------------------------------------------------------- process settings
def test_threads_determinism_seed_and_print_options():
    tg.set_num_threads(1)
    assert tg.get_num_threads() == 1
    tg.set_num_interop_threads(1)
    tg.use_deterministic_algorithms(True)
    assert tg.are_deterministic_algorithms_enabled()
    tg.use_deterministic_algorithms(False)
    assert not tg.are_deterministic_algorithms_enabled()
    with pytest.raises(ValueError):
        tg.set_num_threads(0)
    tg.manual_seed(123)
    assert tg.initial_seed() == 123
    new = tg.seed()
    assert tg.initial_seed() == new
    try:
        tg.set_printoptions(precision=2)
        assert "1.23," in repr(tg.tensor([1.23456, 2.0]))
    finally:
        tg.set_printoptions(profile="default")
    assert "1.2346" in repr(tg.tensor([1.23456, 2.0]))


# ----------------------------------------------------------------- samplers
def test_samplers_as_pytorch():
    ds = data.TensorDataset(tg.arange(10.0))
    assert list(data.SequentialSampler(ds)) == list(range(10))
    tg.manual_seed(0)
    order = list(data.RandomSampler(ds))
    assert sorted(order) == list(range(10)) and len(data.RandomSampler(ds)) == 10
    drawn = list(data.RandomSampler(ds, replacement=True, num_samples=25))
    assert len(drawn) == 25 and all(0 <= i < 10 for i in drawn)
    longer = list(data.RandomSampler(ds, num_samples=15))  # a whole order, then 5 more
    assert len(longer) == 15 and sorted(longer[:10]) == list(range(10))
    subset = list(data.SubsetRandomSampler([3, 5, 7], generator=tg.Generator().manual_seed(1)))
    assert sorted(subset) == [3, 5, 7]
    weighted = list(data.WeightedRandomSampler([0.0, 1.0, 0.0], 6))
    assert weighted == [1] * 6
    assert sorted(data.WeightedRandomSampler([1, 1, 1], 3, replacement=False)) == [0, 1, 2]
    # as PyTorch: a zero weight is drawn last without replacement; more samples than
    # weights is a RuntimeError when drawing
    assert list(data.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)) == [0, 1]
    with pytest.raises(RuntimeError):
        list(data.WeightedRandomSampler([1.0, 1.0], 3, replacement=False))
    assert list(data.BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert list(data.BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(data.BatchSampler(range(5), 2, drop_last=False)) == 3
    loader = data.DataLoader(ds, batch_size=4, sampler=data.SubsetRandomSampler(range(8)))
    assert len(loader) == 2 and sorted(tg.cat([b for (b,) in loader]).tolist()) == list(range(8))
    loader = data.DataLoader(ds, batch_sampler=data.BatchSampler(data.SequentialSampler(ds), 3,
                                                                 False))
    assert [len(b) for (b,) in loader] == [3, 3, 3, 1]


def test_samplers_agree_with_pytorch_where_deterministic():
    torch = pytest.importorskip("torch")
    tdata = torch.utils.data
    assert list(data.BatchSampler(range(7), 3, False)) == list(tdata.BatchSampler(range(7), 3,
                                                                                   False))
    assert list(data.SequentialSampler(range(4))) == list(tdata.SequentialSampler(range(4)))
    assert len(data.RandomSampler(range(5), replacement=True, num_samples=9)) == len(
        tdata.RandomSampler(range(5), replacement=True, num_samples=9))
    assert list(tdata.WeightedRandomSampler([0.0, 1.0], 3)) == list(
        data.WeightedRandomSampler([0.0, 1.0], 3))


# ----------------------------------------------------------------- Module
def test_forward_hooks_feature_extraction_as_pytorch():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    features, calls = {}, []
    handle = model[1].register_forward_hook(
        lambda module, args, output: features.setdefault("relu", output.detach()))
    model[0].register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    model[2].register_forward_hook(lambda m, args, out: calls.append("b"))
    model[2].register_forward_hook(lambda m, args, out: calls.append("a"), prepend=True)
    out = model(tg.ones(1, 3))
    assert calls == ["a", "b"]
    np.testing.assert_allclose(features["relu"].numpy(),
                               np.maximum(model[0].bias.detach().numpy(), 0)[None])
    handle.remove()
    features.clear()
    model(tg.ones(1, 3))
    assert features == {}
    with model[2].register_forward_hook(lambda m, args, out: out * 0):
        assert model(tg.ones(1, 3)).abs().sum().item() == 0
    assert model(tg.ones(1, 3)).tolist() == out.tolist()
    # hooks are not parameters, sub-modules or state
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    assert model.get_submodule("2") is model[2] and model.get_submodule("") is model
    assert model.get_parameter("2.bias") is model[2].bias
    with pytest.raises(AttributeError):
        model.get_submodule("5")
    assert nn.BatchNorm1d(3).get_buffer("running_mean").shape == (3,)


def test_forward_hook_matches_pytorch():
    torch = pytest.importorskip("torch")
    outputs = []
    for lib in (torch, tg):
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 2)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3), dtype=lib.float32))
            layer.bias.copy_(lib.tensor([0.5, -0.5]))
        layer.register_forward_pre_hook(lambda m, args: (args[0] + 1,))
        layer.register_forward_hook(lambda m, args, out: out * 2 + args[0].sum())
        layer.register_forward_hook(lambda m, args, kwargs, out: out - 1, with_kwargs=True)
        outputs.append(layer(lib.ones(1, 3)).detach().numpy())
    np.testing.assert_allclose(outputs[1], outputs[0])


def test_zero_grad_set_to_none_false_and_old_batchnorm_checkpoints():
    model = nn.Linear(2, 1)
    model(tg.ones(1, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model.weight.grad.tolist() == [[0.0, 0.0]]
    model.zero_grad()
    assert model.weight.grad is None
    bn = nn.BatchNorm1d(2)
    old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(old).missing_keys == []   # PyTorch: also no missing key
    torch = pytest.importorskip("torch")
    assert torch.nn.BatchNorm1d(2).load_state_dict(
        {k: torch.tensor(np.asarray(v)) for k, v in old.items()}).missing_keys == []


# ----------------------------------------------------------------- the rarer losses
def _loss_cases(lib):
    """(name, callable(inputs) -> loss) pairs, written once for PyTorch and tinygrad_np."""
    F_ = lib.nn.functional
    nn_ = lib.nn

    def t(array):
        return lib.tensor(array)

    rng = np.random.default_rng(0)
    y_sign = np.where(rng.random(6) > 0.5, 1.0, -1.0)
    y01 = (rng.random((6, 4)) > 0.5).astype(np.float64)
    ids = np.array([0, 3, 1, 2, 2, 1])
    counts = rng.integers(0, 5, (6, 4)).astype(np.float64)
    return [
        ("margin_ranking", lambda a, b: nn_.MarginRankingLoss(margin=0.3)(a[:, 0], b[:, 1],
                                                                         t(y_sign))),
        ("margin_ranking_none", lambda a, b: F_.margin_ranking_loss(a[:, 0], b[:, 0], t(y_sign),
                                                                    reduction="none")),
        ("hinge_emb", lambda a, b: nn_.HingeEmbeddingLoss(margin=0.5)(a, t(y01 * 2 - 1))),
        ("soft_margin", lambda a, b: nn_.SoftMarginLoss(reduction="sum")(a * 50, t(y01 * 2 - 1))),
        ("multilabel", lambda a, b: nn_.MultiLabelSoftMarginLoss()(a, t(y01))),
        ("multilabel_w_none", lambda a, b: F_.multilabel_soft_margin_loss(
            a, t(y01), weight=t(np.array([1.0, 2.0, 0.5, 1.0])), reduction="none")),
        ("cos_emb", lambda a, b: nn_.CosineEmbeddingLoss(margin=0.1)(a, b, t(y_sign))),
        ("cos_emb_1d", lambda a, b: F_.cosine_embedding_loss(a[0], b[0], t(np.array(-1.0)))),
        ("triplet", lambda a, b: nn_.TripletMarginLoss(margin=2.0)(a[:2], b[2:4], a[4:])),
        ("triplet_swap_p1", lambda a, b: F_.triplet_margin_loss(a[:3], b[:3], b[3:], p=1,
                                                                swap=True, reduction="none")),
        ("gauss", lambda a, b: nn_.GaussianNLLLoss()(a, b, (a * b).abs())),
        ("gauss_full_1var", lambda a, b: F_.gaussian_nll_loss(a, b, b[:, :1].abs() + 0.1,
                                                              full=True, reduction="sum")),
        ("gauss_dim_less", lambda a, b: F_.gaussian_nll_loss(a, b, b[:, 0].abs() + 0.1)),
        ("poisson", lambda a, b: nn_.PoissonNLLLoss()(a, t(counts))),
        ("poisson_full", lambda a, b: F_.poisson_nll_loss(a.abs() + 0.1, t(counts),
                                                          log_input=False, full=True)),
        ("multi_margin", lambda a, b: nn_.MultiMarginLoss()(a, t(ids))),
        ("multi_margin_p2_w", lambda a, b: nn_.MultiMarginLoss(
            p=2, margin=0.5, weight=t(np.array([1.0, 2.0, 0.5, 1.0])), reduction="none"
        )(a, t(ids))),
        ("multi_margin_1d", lambda a, b: F_.multi_margin_loss(a[0], t(np.array([2])))),
    ]


def test_rarer_losses_match_pytorch_values_and_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a_np, b_np = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    theirs, ours = _loss_cases(torch), _loss_cases(tg)
    for (name, their_fn), (_, our_fn) in zip(theirs, ours):
        results = []
        for lib, fn in ((torch, their_fn), (tg, our_fn)):
            a = lib.tensor(a_np, requires_grad=True)
            b = lib.tensor(b_np, requires_grad=True)
            loss = fn(a, b)
            loss.sum().backward()
            results.append([np.asarray(v.detach().numpy() if hasattr(v, "detach") else v)
                            for v in (loss, a.grad, b.grad if b.grad is not None else 0 * b)])
        for theirs_value, ours_value in zip(*results):
            np.testing.assert_allclose(ours_value, theirs_value, rtol=1e-10, atol=1e-12,
                                       err_msg=name)


# ----------------------------------------------------------------- small layers
LAYERS = [  # (constructor on the library's nn, input shape)
    (lambda nn_: nn_.ZeroPad2d((1, 2, 0, 3)), (2, 3, 4, 5)),
    (lambda nn_: nn_.ZeroPad1d(2), (2, 3, 4)),
    (lambda nn_: nn_.ConstantPad2d(1, 3.5), (2, 3, 4, 5)),
    (lambda nn_: nn_.ConstantPad1d((0, 2), -1.0), (3, 4)),
    (lambda nn_: nn_.ReflectionPad2d((1, 1, 2, 0)), (2, 3, 4, 5)),
    (lambda nn_: nn_.ReflectionPad1d(2), (2, 3, 5)),
    (lambda nn_: nn_.ReplicationPad2d(2), (2, 3, 4, 5)),
    (lambda nn_: nn_.ReplicationPad1d((3, 1)), (2, 3, 5)),
    (lambda nn_: nn_.CircularPad2d(1), (2, 3, 4, 5)),
    (lambda nn_: nn_.PixelShuffle(2), (2, 8, 3, 4)),
    (lambda nn_: nn_.PixelShuffle(3), (9, 2, 2)),
    (lambda nn_: nn_.PixelUnshuffle(2), (2, 3, 4, 6)),
    (lambda nn_: nn_.InstanceNorm2d(3), (2, 3, 4, 5)),
    (lambda nn_: nn_.InstanceNorm2d(3, affine=True), (2, 3, 4, 5)),
    (lambda nn_: nn_.InstanceNorm1d(3, eps=1e-3), (2, 3, 7)),
    (lambda nn_: nn_.InstanceNorm1d(3), (3, 7)),
    (lambda nn_: nn_.AdaptiveAvgPool1d(3), (2, 3, 7)),
    (lambda nn_: nn_.AdaptiveAvgPool1d(1), (3, 8)),
    (lambda nn_: nn_.AdaptiveMaxPool1d(3), (2, 3, 7)),
    (lambda nn_: nn_.AdaptiveMaxPool1d(2), (2, 3, 8)),
]


@pytest.mark.parametrize("case", range(len(LAYERS)))
def test_small_layers_match_pytorch(case):
    torch = pytest.importorskip("torch")
    make, shape = LAYERS[case]
    x_np = np.random.default_rng(case).normal(size=shape)
    upstream = None
    results = []
    for lib in (torch, tg):
        layer = make(lib.nn)
        if getattr(layer, "weight", None) is not None:
            with lib.no_grad():
                layer.weight.copy_(lib.tensor([0.5, 2.0, -1.0], dtype=lib.float64))
                layer.bias.copy_(lib.tensor([0.1, -0.2, 0.3], dtype=lib.float64))
        layer.double()
        x = lib.tensor(x_np, requires_grad=True)
        y = layer(x)
        if upstream is None:
            upstream = np.random.default_rng(99).normal(size=tuple(y.shape))
        (y * lib.tensor(upstream)).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy(), repr(layer)))
    (their_y, their_grad, their_repr), (our_y, our_grad, our_repr) = results
    assert our_y.shape == their_y.shape
    np.testing.assert_allclose(our_y, their_y, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-9, atol=1e-12)
    assert our_repr == their_repr


def test_pixel_shuffle_round_trip_and_errors():
    x = tg.arange(2 * 12 * 2 * 3.0).reshape(2, 12, 2, 3)
    assert F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).tolist() == x.tolist()
    with pytest.raises(ValueError, match="divisible"):
        F.pixel_shuffle(tg.ones(1, 3, 2, 2), 2)
