"""Round 19, client scripts (round 2): more ordinary PyTorch programs with only the import
changed.

Each script in tests/scripts_round19/ is plain PyTorch (MAML, style transfer with LBFGS,
word2vec with SparseAdam, a Siamese/triplet network, distillation, capsule routing, PointNet,
a neural ODE, WGAN-GP, a mixture of experts, a BiLSTM-CRF, a CNN with AMP code paths and
ReduceLROnPlateau, a BPR recommender, pruning/parametrizations/hooks/resume, flows with
torch.distributions, mixup/CutMix, ...) and records `losses` and `result`. It runs once under
PyTorch and once with its import lines rewritten to tinygrad_np's, from the same weights (drawn
from a seeded NumPy generator): loss trajectories, final metrics and printed lines must agree.

Then regression tests for what the scripts found, against PyTorch or fixed values.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from script_checks import check_matches_pytorch, check_pure_pytorch, check_runs_ported

import tinygrad_np as tg

SCRIPTS = sorted((Path(__file__).parent / "scripts_round19").glob("*.py"))


def test_enough_scripts_and_they_are_pure_pytorch():
    check_pure_pytorch(SCRIPTS, 10)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_ported(path, capsys):
    check_runs_ported(path)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_matches_pytorch(path, capsys):
    ours, theirs = check_matches_pytorch(path, capsys)
    if "names" in theirs:  # state_dict keys
        assert ours["names"] == theirs["names"]


# ------------------------------------------------- parametrizing a pruned tensor
def _pruned_linear() -> tg.nn.Linear:
    import tinygrad_np.nn.utils.prune as prune

    layer = tg.nn.Linear(4, 3)
    prune.l1_unstructured(layer, "weight", amount=0.3)
    return layer


@pytest.mark.parametrize("make", [
    lambda m: tg.nn.utils.parametrizations.orthogonal(m),
    lambda m: tg.nn.utils.parametrizations.spectral_norm(m),
    lambda m: tg.nn.utils.parametrizations.weight_norm(m),
    lambda m: tg.nn.utils.parametrize.register_parametrization(m, "weight", tg.nn.Identity()),
], ids=["orthogonal", "spectral_norm", "weight_norm", "register"])
def test_a_pruned_weight_cannot_be_parametrized(make):
    """After pruning, `weight` is a plain tensor prune's hook recomputes (weight_orig is the
    Parameter): PyTorch refuses to parametrize it; it was silently parametrized, then
    overwritten by the hook."""
    layer = _pruned_linear()
    with pytest.raises(ValueError, match=r"Module 'Linear\(in_features=4, out_features=3, "
                       r"bias=True\)' does not have a parameter, a buffer, or a parametrized "
                       r"element with name 'weight'"):
        make(layer)
    assert not tg.nn.utils.parametrize.is_parametrized(layer)


def test_plain_attribute_refused_buffer_accepted():
    layer = tg.nn.Linear(2, 2)
    layer.extra = tg.ones(2)
    with pytest.raises(ValueError, match="with name 'extra'"):
        tg.nn.utils.parametrize.register_parametrization(layer, "extra", tg.nn.Identity())
    layer = tg.nn.Linear(2, 2)
    layer.register_buffer("extra", tg.ones(2))
    tg.nn.utils.parametrize.register_parametrization(layer, "extra", tg.nn.Identity())
    assert [n for n, _ in layer.named_buffers()] == ["parametrizations.extra.original"]


# ------------------------------------------------- grad_fn names scripts print
NODE_NAMES = [  # (expression, PyTorch 2.13's grad_fn.name(), written out from its output)
    ("F.cross_entropy(m, t)", "NllLossBackward0"),
    ("nn.CrossEntropyLoss(reduction='sum')(m, t)", "NllLossBackward0"),
    ("F.gelu(x)", "GeluBackward0"), ("F.elu(x)", "EluBackward0"), ("F.selu(x)", "EluBackward0"),
    ("F.leaky_relu(x, 0.2)", "LeakyReluBackward0"), ("F.relu(x)", "ReluBackward0"),
    ("F.hardtanh(x)", "HardtanhBackward0"), ("F.relu6(x)", "HardtanhBackward0"),
    ("x.log1p()", "Log1PBackward0"), ("x.amax()", "AmaxBackward0"), ("m.amin(0)", "AminBackward0"),
    ("x.norm()", "LinalgVectorNormBackward0"),
    ("torch.linalg.norm(m)", "LinalgVectorNormBackward0"),
    ("x.double()", "ToCopyBackward0"), ("x.to(torch.float16)", "ToCopyBackward0"),
    ("x.unfold(0, 2, 1)", "UnfoldBackward0"), ("torch.det(s)", "LinalgDetBackward0"),
    ("torch.linalg.inv(s)", "LinalgInvExBackward0"),
    ("torch.linalg.cholesky(s @ s.T + torch.eye(2))", "LinalgCholeskyExBackward0"),
    ("torch.cdist(m, m)", "CdistBackward0"),
    ("F.conv2d(m.view(1, 1, 2, 3), torch.ones(1, 1, 1, 1))", "ConvolutionBackward0"),
    ("F.conv_transpose2d(m.view(1, 1, 2, 3), torch.ones(1, 1, 1, 1))", "ConvolutionBackward0"),
    ("F.max_pool2d(m.view(1, 1, 2, 3), 2)", "MaxPool2DWithIndicesBackward0"),
    ("F.avg_pool2d(m.view(1, 1, 2, 3), 2)", "AvgPool2DBackward0"),
    ("F.embedding(torch.tensor([1]), m)", "EmbeddingBackward0"),
    ("x * 2", "MulBackward0"), ("x.sum()", "SumBackward0"), ("x.exp()", "ExpBackward0"),
    # ops composed here of several nodes, named as PyTorch's one node
    ("x.mean()", "MeanBackward0"), ("m.mean(0)", "MeanBackward1"),
    ("x.half().mean()", "MeanBackward0"),
    ("m.mean(dim=1, keepdim=True)", "MeanBackward1"), ("m.sum(0)", "SumBackward1"),
    ("torch.sum(m, (0, 1))", "SumBackward1"), ("((x - 1) ** 2).mean()", "MeanBackward0"),
    ("F.mse_loss(m, m.detach() * 2)", "MseLossBackward0"),
    ("nn.MSELoss(reduction='sum')(m, m.detach() * 2)", "MseLossBackward0"),
    ("F.mse_loss(m, m.detach() * 2, reduction='none')", "MseLossBackward0"),
    ("F.l1_loss(m, m.detach() * 2)", "MeanBackward0"),
    ("F.smooth_l1_loss(m, m.detach() * 2)", "SmoothL1LossBackward0"),
    ("F.huber_loss(m, m.detach() * 2, reduction='sum')", "HuberLossBackward0"),
    ("F.binary_cross_entropy(m.sigmoid(), m.detach())", "BinaryCrossEntropyBackward0"),
    ("nn.BCEWithLogitsLoss()(m, m.detach())", "BinaryCrossEntropyWithLogitsBackward0"),
    ("F.binary_cross_entropy_with_logits(m, m.detach(), pos_weight=torch.ones(3))",
     "BinaryCrossEntropyWithLogitsBackward0"),
    ("F.nll_loss(m.log_softmax(1), t)", "NllLossBackward0"),
    ("F.nll_loss(m.log_softmax(1), t, reduction='none')", "NllLossBackward0"),
    ("F.nll_loss(m.view(1, 2, 3), t[:1].view(1, 1).expand(1, 3))", "NllLoss2DBackward0"),
    ("F.cross_entropy(m, t, weight=torch.ones(3))", "NllLossBackward0"),
    ("F.cross_entropy(m, t, ignore_index=2)", "NllLossBackward0"),
    ("F.cross_entropy(m.view(2, 3, 1), t.view(2, 1))", "NllLoss2DBackward0"),
    ("F.cross_entropy(m, m.detach().softmax(1))", "DivBackward1"),
    ("F.cross_entropy(m, m.detach().softmax(1), reduction='sum')", "NegBackward0"),
    ("F.soft_margin_loss(m, m.detach().sign())", "SoftMarginLossBackward0"),
    ("F.multi_margin_loss(m, t)", "MultiMarginLossBackward0"),
    ("F.kl_div(m, m.detach().softmax(1), reduction='batchmean')", "DivBackward0"),
]


@pytest.mark.parametrize(("expression", "name"), NODE_NAMES, ids=[e for e, _ in NODE_NAMES])
def test_grad_fn_names_as_pytorch_prints_them(expression, name):
    x = tg.tensor([0.2, 0.4, 0.6, 0.3, 0.5, 0.7], requires_grad=True)
    m, s = x.view(2, 3), x[:4].view(2, 2)
    namespace = {"x": x, "m": m, "s": s, "t": tg.tensor([0, 2]), "torch": tg, "nn": tg.nn,
                 "F": tg.nn.functional}
    out = eval(expression, namespace)  # noqa: S307  (our own table)
    assert out.grad_fn.name() == name
    assert f"grad_fn=<{name}>" in repr(out)
    torch = pytest.importorskip("torch")
    x = torch.tensor([0.2, 0.4, 0.6, 0.3, 0.5, 0.7], requires_grad=True)
    namespace.update(x=x, m=x.view(2, 3), s=x[:4].view(2, 2), t=torch.tensor([0, 2]),
                     torch=torch, nn=torch.nn, F=torch.nn.functional)
    assert eval(expression, namespace).grad_fn.name() == name  # noqa: S307


def test_printed_loss_line_matches_pytorch():
    """`print(loss)`, the first line of many tutorials' training loops."""
    logits = tg.tensor([[0.5, 1.0, -0.5], [0.1, 0.2, 0.3]], requires_grad=True)
    loss = tg.nn.functional.cross_entropy(logits, tg.tensor([1, 2]))
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.cross_entropy(
        torch.tensor([[0.5, 1.0, -0.5], [0.1, 0.2, 0.3]], requires_grad=True),
        torch.tensor([1, 2]))
    assert str(loss) == str(theirs)


def test_size_repr_is_pytorchs():
    """`print([t.shape for t in ...])` and a printed module holding a Size, as PyTorch's."""
    shapes = [t.shape for t in tg.ones(5, 2).split([2, 3])]
    assert repr(shapes) == "[torch.Size([2, 2]), torch.Size([3, 2])]"
    assert repr(tg.nn.Unflatten(1, tg.Size([2, 3]))) == \
        "Unflatten(dim=1, unflattened_size=torch.Size([2, 3]))"
    assert str(tg.ones(2, 3).shape) == "torch.Size([2, 3])"  # (f-strings: "(2, 3)", as errors)
    assert f"{tg.ones(2, 3).shape}" == "(2, 3)"
    torch = pytest.importorskip("torch")
    assert repr([t.shape for t in torch.ones(5, 2).split([2, 3])]) == repr(shapes)
    assert repr(torch.nn.Unflatten(1, torch.Size([2, 3]))) == \
        repr(tg.nn.Unflatten(1, tg.Size([2, 3])))


def test_tensorboard_import_fails_as_pytorchs_without_the_package():
    """`from torch.utils.tensorboard import SummaryWriter` (tutorials' first lines): without
    the tensorboard package PyTorch's import fails naming it; so does ours (never a writer that
    silently logs nothing)."""
    import importlib.util
    import sys

    if importlib.util.find_spec("tensorboard") is None:
        with pytest.raises(ModuleNotFoundError, match="No module named 'tensorboard'"):
            exec("from tinygrad_np.utils.tensorboard import SummaryWriter", {})  # noqa: S102
    else:
        with pytest.raises(ImportError, match="writes no TensorBoard event files"):
            exec("from tinygrad_np.utils.tensorboard import SummaryWriter", {})  # noqa: S102
    assert "tinygrad_np.utils.tensorboard" not in sys.modules


@pytest.mark.parametrize("name", ["hub", "onnx", "quantization", "ao", "fx", "export",
                                  "nested"])
def test_absent_pytorch_submodules_say_why(name):
    assert not hasattr(tg, name)
    with pytest.raises(AttributeError, match=rf"torch\.{name} is not (in|supported by) "
                                             rf"tinygrad_np"):
        getattr(tg, name)
    with pytest.raises(AttributeError, match=r"no attribute 'no_such_name'$"):
        tg.no_such_name  # noqa: B018
    torch = pytest.importorskip("torch")
    assert hasattr(torch, name)  # (PyTorch has each of them)


def test_printed_optimizer_state_matches_pytorch():
    """`print(optimizer.state_dict())` after two Adam steps, as PyTorch prints it."""
    def printed(lib):
        param = lib.nn.Parameter(lib.ones(2))
        optimizer = lib.optim.Adam([param], lr=0.1)
        for _ in range(2):
            param.grad = lib.full((2,), 0.5)
            optimizer.step()
        step = optimizer.state[param]["step"]
        return (str(optimizer.state_dict()), repr(step), str(step), f"{step}", f"{step:.0f}",
                str(step + 1), step.item())

    ours = printed(tg)
    assert ours[1:] == ("tensor(2.)", "tensor(2.)", "2.0", "2", "tensor(3.)", 2.0)
    assert ours == printed(pytest.importorskip("torch"))
