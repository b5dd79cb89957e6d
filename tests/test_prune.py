"""nn.utils.prune: hand-checked masks and module state, and the same pruning, forward,
gradients and training as PyTorch 2.13 when it is importable (same weights in both)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import nn
from tinygrad_np.nn.utils import prune

rng = np.random.default_rng(5)
W = rng.normal(size=(4, 6)).astype(np.float32)  # distinct values: no ties to break
B = rng.normal(size=4).astype(np.float32)
X = rng.normal(size=(3, 6)).astype(np.float32)
CONV_W = rng.normal(0, 0.4, size=(4, 2, 3, 3)).astype(np.float32)
CONV_B = rng.normal(0, 0.1, size=4).astype(np.float32)
IMAGES = rng.normal(size=(2, 2, 6, 6)).astype(np.float32)
SCORES = rng.normal(size=(4, 6)).astype(np.float32)


def _vector(values):
    layer = nn.Linear(len(values), 1, bias=False)
    with tg.no_grad():
        layer.weight.copy_(tg.tensor([values]))
    return layer


def _linear(mod, weight=W, bias=B):
    layer = mod.nn.Linear(weight.shape[1], weight.shape[0])
    with mod.no_grad():
        layer.weight.copy_(mod.tensor(weight))
        layer.bias.copy_(mod.tensor(bias))
    return layer


# ----------------------------------------------------------------- by hand
def test_l1_unstructured_prunes_the_smallest_magnitudes():
    layer = prune.l1_unstructured(_vector([3.0, -1.0, 0.5, 4.0]), "weight", amount=2)
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[1, 0, 0, 1]])
    np.testing.assert_array_equal(layer.weight.detach().numpy(), [[3, 0, 0, 4]])
    np.testing.assert_array_equal(layer.weight_orig.detach().numpy(), [[3, -1, 0.5, 4]])
    assert isinstance(layer.weight_orig, nn.Parameter)
    assert not isinstance(layer.weight, nn.Parameter)
    assert layer.weight_mask.dtype == np.float32
    assert [name for name, _ in layer.named_parameters()] == ["weight_orig"]
    assert [name for name, _ in layer.named_buffers()] == ["weight_mask"]
    assert list(layer.state_dict()) == ["weight_orig", "weight_mask"]
    assert prune.is_pruned(layer)


@pytest.mark.parametrize("amount, pruned", [(0.0, 0), (0.5, 2), (0.7, 4), (0.3, 2), (1.0, 5),
                                            (0, 0), (5, 5)])
def test_a_fraction_is_rounded_as_python_rounds(amount, pruned):
    layer = prune.l1_unstructured(_vector([5.0, 4.0, 3.0, 2.0, 1.0]), "weight", amount)
    assert layer.weight_mask.numpy().sum() == 5 - pruned  # round(2.5) is 2, round(3.5) is 4
    np.testing.assert_array_equal(layer.weight_mask.numpy()[0, 5 - pruned:], 0)


def test_pruning_again_chooses_among_the_unpruned_entries():
    layer = prune.l1_unstructured(_vector([6.0, 1.0, -5.0, 2.0, 4.0, -3.0]), "weight", 0.5)
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[1, 0, 1, 0, 1, 0]])
    prune.l1_unstructured(layer, "weight", amount=0.5)  # half of the 3 left: round(1.5) = 2
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[1, 0, 0, 0, 0, 0]])
    hooks = [hook for hook, _ in layer._module_hooks["pre"].values()]
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer)
    assert [type(m) for m in hooks[0]] == [prune.L1Unstructured, prune.L1Unstructured]
    prune.l1_unstructured(layer, "weight", amount=1)
    np.testing.assert_array_equal(layer.weight_mask.numpy(), 0)
    assert len(hooks[0]) == 3  # the same container, one method more
    assert list(layer.state_dict()) == ["weight_orig", "weight_mask"]


def test_ln_structured_prunes_whole_rows_or_columns_by_norm():
    weight = np.array([[3.0, 0.0, 0.1], [1.0, 1.0, -0.2], [0.05, -2.0, 0.3]], np.float32)
    # rows' L2 norms 3.0, 1.43, 2.02; L1 3.1, 2.2, 2.35; max 3, 1, 2; min 0, 0.2, 0.05
    for n, row in ((2, 1), (1, 1), (float("inf"), 1), (-float("inf"), 0)):
        layer = prune.ln_structured(_linear(tg, weight, B[:3]), "weight", 1, n=n, dim=0)
        expected = np.ones((3, 3))
        expected[row] = 0
        np.testing.assert_array_equal(layer.weight_mask.numpy(), expected)
    layer = prune.ln_structured(_linear(tg, weight, B[:3]), "weight", 2, n=1, dim=1)
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[1, 0, 0]] * 3)  # 4.05, 3, 0.6


def test_structured_after_unstructured_skips_channels_already_gone():
    weight = np.array([[0.1, 0.2], [5.0, 6.0], [3.0, 4.0]], np.float32)
    layer = prune.l1_unstructured(_linear(tg, weight, B[:3]), "weight", amount=2)
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[0, 0], [1, 1], [1, 1]])
    prune.ln_structured(layer, "weight", amount=1, n=2, dim=0)  # row 0 is gone: prunes row 2
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[0, 0], [1, 1], [0, 0]])


def test_the_gradient_reaches_weight_orig_only_where_the_mask_is_one():
    layer = prune.l1_unstructured(_linear(tg), "weight", amount=0.5)
    x = tg.tensor(X)
    layer(x).square().sum().backward()
    mask = layer.weight_mask.numpy()
    out = X @ (W * mask).T + B
    np.testing.assert_allclose(layer.weight_orig.grad.numpy(), mask * (2 * out.T @ X),
                               rtol=1e-5, atol=1e-6)
    assert (layer.weight_orig.grad.numpy()[mask == 0] == 0).all()


def test_the_hook_recomputes_the_weight_before_every_call():
    layer = prune.l1_unstructured(_linear(tg), "weight", amount=10)
    optimizer = tg.optim.SGD(layer.parameters(), lr=0.1)
    assert any(p is layer.weight_orig for p in layer.parameters())
    for _ in range(2):
        optimizer.zero_grad()
        layer(tg.tensor(X)).sum().backward()
        optimizer.step()
    layer(tg.tensor(X))
    np.testing.assert_array_equal(layer.weight.detach().numpy(),
                                  layer.weight_orig.detach().numpy() * layer.weight_mask.numpy())
    assert not np.array_equal(layer.weight_orig.detach().numpy(), W)


def test_remove_makes_the_pruning_permanent():
    layer = prune.l1_unstructured(_linear(tg), "weight", amount=0.5)
    orig, mask = layer.weight_orig, layer.weight_mask.numpy().copy()
    assert prune.remove(layer, "weight") is layer
    assert layer.weight is orig and isinstance(layer.weight, nn.Parameter)  # the same object
    np.testing.assert_array_equal(layer.weight.detach().numpy(), W * mask)
    assert not hasattr(layer, "weight_orig") and not hasattr(layer, "weight_mask")
    assert list(layer.state_dict()) == ["bias", "weight"]
    assert list(layer.named_buffers()) == [] and not prune.is_pruned(layer)
    assert not layer._module_hooks["pre"]
    layer(tg.tensor(X)).sum().backward()
    assert layer.weight.grad is not None
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(layer, "weight")


def test_importance_scores_rank_the_entries():
    layer = _vector([1.0, 2.0, 3.0, 4.0])
    prune.l1_unstructured(layer, "weight", 2, importance_scores=tg.tensor([[9.0, 8.0, 1.0, 2.0]]))
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[1, 1, 0, 0]])
    with pytest.raises(AssertionError, match="importance_scores should have the same shape"):
        prune.l1_unstructured(_vector([1.0, 2.0]), "weight", 1, importance_scores=tg.ones(2))


def test_global_unstructured_ranks_all_parameters_together():
    first, second = _vector([0.5, -4.0, 3.0]), _vector([-0.1, 2.0, 0.7, -6.0])
    pairs = [(first, "weight"), (second, "weight")]
    prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=3)
    np.testing.assert_array_equal(first.weight_mask.numpy(), [[0, 1, 1]])
    np.testing.assert_array_equal(second.weight_mask.numpy(), [[0, 1, 0, 1]])
    assert isinstance(first._module_hooks["pre"][next(iter(first._module_hooks["pre"]))][0],
                      prune.CustomFromMask)
    prune.global_unstructured(iter(pairs), prune.L1Unstructured, amount=0.5)  # 2 of the 4 left
    np.testing.assert_array_equal(first.weight_mask.numpy(), [[0, 1, 0]])
    np.testing.assert_array_equal(second.weight_mask.numpy(), [[0, 0, 0, 1]])
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE'):
        prune.global_unstructured(pairs, prune.RandomStructured, amount=1)
    with pytest.raises(TypeError, match="importance_scores must be of type dict"):
        prune.global_unstructured(pairs, prune.L1Unstructured, importance_scores=[], amount=1)


def test_global_unstructured_takes_importance_scores_per_pair():
    first, second = _vector([1.0, 2.0]), _vector([3.0, 4.0])
    scores = {(second, "weight"): tg.tensor([[0.0, 10.0]])}
    prune.global_unstructured([(first, "weight"), (second, "weight")], prune.L1Unstructured,
                              importance_scores=scores, amount=2)
    np.testing.assert_array_equal(first.weight_mask.numpy(), [[0, 1]])
    np.testing.assert_array_equal(second.weight_mask.numpy(), [[0, 1]])


def test_custom_from_mask_identity_and_is_pruned_on_a_model():
    model = nn.Sequential(_linear(tg), nn.ReLU(), nn.Linear(4, 2))
    assert not prune.is_pruned(model)
    prune.identity(model[2], "bias")
    np.testing.assert_array_equal(model[2].bias_mask.numpy(), [1, 1])
    assert prune.is_pruned(model)
    mask = tg.tensor([[1, 0, 1, 0, 1, 0]] * 4, dtype=tg.bool)
    prune.custom_from_mask(model[0], "weight", mask=mask)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), W * mask.numpy())
    assert model[0].weight_mask.dtype == np.float32
    assert list(model.state_dict()) == ["0.bias", "0.weight_orig", "0.weight_mask",
                                        "2.weight", "2.bias_orig", "2.bias_mask"]
    with pytest.raises(AssertionError, match="must match"):
        prune.custom_from_mask(model[0], "weight", mask=tg.ones(3))


def test_random_methods_prune_the_asked_count_and_follow_the_seed():
    masks = []
    for _ in range(2):
        tg.manual_seed(3)
        layer = prune.random_unstructured(_linear(tg), "weight", amount=0.25)
        masks.append(layer.weight_mask.numpy())
    assert masks[0].sum() == 18
    np.testing.assert_array_equal(masks[0], masks[1])
    layer = prune.random_structured(_linear(tg), "weight", amount=2, dim=1)
    columns = layer.weight_mask.numpy().sum(axis=0)
    assert sorted(columns.tolist()) == [0, 0, 4, 4, 4, 4]
    prune.random_structured(layer, "weight", amount=0.5, dim=1)  # 2 of the 4 columns left
    assert sorted(layer.weight_mask.numpy().sum(axis=0).tolist()) == [0, 0, 0, 0, 4, 4]


def test_bad_amounts_and_dims_are_refused_as_pytorch():
    layer = _linear(tg)
    with pytest.raises(ValueError, match="non-negative integer"):
        prune.l1_unstructured(layer, "weight", amount=-1)
    with pytest.raises(ValueError, match="float in the range"):
        prune.l1_unstructured(layer, "weight", amount=1.5)
    with pytest.raises(ValueError, match="float in the range"):
        prune.random_unstructured(layer, "weight", amount=-0.1)
    with pytest.raises(TypeError, match="Invalid type for amount"):
        prune.l1_unstructured(layer, "weight", amount="half")
    with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
        prune.l1_unstructured(layer, "weight", amount=25)
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(layer, "bias", amount=1, n=2, dim=0)
    with pytest.raises(IndexError, match="Invalid index 2"):
        prune.ln_structured(layer, "weight", amount=1, n=2, dim=2)
    assert isinstance(layer.weight, nn.Parameter) and not prune.is_pruned(layer)  # untouched
    assert list(layer.state_dict()) == ["weight", "bias"]
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(layer, "weight")


def test_a_failed_second_pruning_leaves_the_first_in_place():
    layer = prune.l1_unstructured(_linear(tg), "weight", amount=4)
    mask = layer.weight_mask.numpy().copy()
    with pytest.raises(ValueError, match="smaller than the number of parameters"):
        prune.l1_unstructured(layer, "weight", amount=21)  # 20 entries left
    with pytest.raises(ValueError, match="non-negative integer"):
        prune.l1_unstructured(layer, "weight", amount=-1)
    np.testing.assert_array_equal(layer.weight_mask.numpy(), mask)
    hooks = [hook for hook, _ in layer._module_hooks["pre"].values()]
    assert len(hooks) == 1 and isinstance(hooks[0], prune.L1Unstructured)
    prune.remove(layer, "weight")
    np.testing.assert_array_equal(layer.weight.detach().numpy(), W * mask)


class EveryOther(prune.BasePruningMethod):
    """The custom method of PyTorch's pruning tutorial, written with tensor operations."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def test_a_custom_method_and_prune_on_a_bare_tensor():
    layer = _vector([1.0, 2.0, 3.0, 4.0, 5.0])
    assert isinstance(EveryOther.apply(layer, "weight"), EveryOther)
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[0, 1, 0, 1, 0]])
    EveryOther.apply(layer, "weight")  # acts on the two entries left: prunes the first of them
    np.testing.assert_array_equal(layer.weight_mask.numpy(), [[0, 0, 0, 1, 0]])
    pruned = prune.L1Unstructured(amount=1).prune(tg.tensor([2.0, -1.0, 3.0]))
    np.testing.assert_array_equal(pruned.numpy(), [2, 0, 3])
    with pytest.raises(TypeError):
        prune.BasePruningMethod()


def test_a_pruned_model_copies_saves_and_loads():
    layer = prune.l1_unstructured(_linear(tg), "weight", amount=0.5)
    clone = copy.deepcopy(layer)
    assert prune.is_pruned(clone)
    with tg.no_grad():
        clone.weight_orig.mul_(2.0)
    np.testing.assert_allclose(clone(tg.tensor(X)).numpy(),
                               X @ (2 * W * layer.weight_mask.numpy()).T + B, rtol=1e-5)
    np.testing.assert_array_equal(layer.weight_orig.detach().numpy(), W)
    layer.load_state_dict(clone.state_dict())
    np.testing.assert_allclose(layer(tg.tensor(X)).numpy(), clone(tg.tensor(X)).numpy())


def test_the_module_is_importable_under_its_pytorch_paths():
    import tinygrad_np.nn.utils.prune as by_path

    assert by_path is prune is tg.nn.utils.prune


# ----------------------------------------------------------------- against PyTorch
def _l1_then_ln(mod, p, layer):
    p.l1_unstructured(layer, "weight", amount=0.3)
    p.ln_structured(layer, "weight", amount=1, n=2, dim=0)
    p.l1_unstructured(layer, "weight", amount=3)


def _ln_then_l1(mod, p, layer):
    p.ln_structured(layer, "weight", amount=0.5, n=1, dim=1)
    p.l1_unstructured(layer, "weight", amount=0.4, importance_scores=mod.tensor(SCORES))
    p.ln_structured(layer, "weight", amount=2, n=float("inf"), dim=-1)


def _custom_then_identity(mod, p, layer):
    p.custom_from_mask(layer, "weight", mask=mod.tensor((SCORES > 0).astype(np.float32)))
    p.identity(layer, "bias")
    p.l1_unstructured(layer, "bias", amount=1)
    p.ln_structured(layer, "weight", amount=1, n=-float("inf"), dim=0,
                    importance_scores=mod.tensor(SCORES))


RECIPES = {
    "l1 fraction": lambda mod, p, layer: p.l1_unstructured(layer, "weight", amount=0.45),
    "l1 count": lambda mod, p, layer: p.l1_unstructured(layer, "bias", amount=2),
    "ln rows": lambda mod, p, layer: p.ln_structured(layer, "weight", 0.5, n=2, dim=0),
    "l1 then ln": _l1_then_ln,
    "ln then l1": _ln_then_l1,
    "custom then identity": _custom_then_identity,
}


def _pruned_linear(mod, p, recipe):
    layer = _linear(mod)
    recipe(mod, p, layer)
    out = layer(mod.tensor(X))
    out.square().sum().backward()
    state = {k: v.detach().numpy().copy() for k, v in layer.state_dict().items()}
    grads = {n: v.grad.numpy().copy() for n, v in layer.named_parameters()}
    values = [out.detach().numpy(), layer.weight.detach().numpy()]
    return state, grads, values


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_pruning_a_linear_as_pytorch(recipe):
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune

    ours = _pruned_linear(tg, prune, RECIPES[recipe])
    theirs = _pruned_linear(torch, torch_prune, RECIPES[recipe])
    for got, want in zip(ours[:2], theirs[:2]):  # state dict (masks) and gradients
        assert list(got) == list(want)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-5, err_msg=key)
    for got, want in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _global(mod, p):
    model = mod.nn.Sequential(_linear(mod), mod.nn.Tanh(), mod.nn.Linear(4, 3))
    with mod.no_grad():
        model[2].weight.copy_(mod.tensor(SCORES[:3, :4]))
        model[2].bias.zero_()
    pairs = [(model[0], "weight"), (model[0], "bias"), (model[2], "weight")]
    p.l1_unstructured(model[2], "weight", amount=2)
    p.global_unstructured(pairs, pruning_method=p.L1Unstructured, amount=0.4)
    scores = {(model[0], "bias"): mod.tensor(B[::-1].copy())}
    p.global_unstructured(pairs, p.L1Unstructured, importance_scores=scores, amount=5)
    out = model(mod.tensor(X))
    out.sum().backward()
    masks = [getattr(m, n + "_mask").numpy().copy() for m, n in pairs]
    return list(model.state_dict()), masks, out.detach().numpy(), model[0].weight_orig.grad.numpy()


def test_global_unstructured_as_pytorch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune

    ours, theirs = _global(tg, prune), _global(torch, torch_prune)
    assert ours[0] == theirs[0]
    for got, want in zip(ours[1], theirs[1]):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5, atol=1e-6)


def _training(mod, p):
    nn_ = mod.nn
    conv = nn_.Conv2d(2, 4, 3)
    with mod.no_grad():
        conv.weight.copy_(mod.tensor(CONV_W))
        conv.bias.copy_(mod.tensor(CONV_B))
    head = nn_.Linear(64, 3)
    with mod.no_grad():
        head.weight.copy_(mod.tensor(np.resize(SCORES, (3, 64)) * 0.1))
        head.bias.zero_()
    model = nn_.Sequential(conv, nn_.ReLU(), nn_.Flatten(), head)
    p.ln_structured(conv, "weight", amount=1, n=2, dim=0)
    p.l1_unstructured(conv, "weight", amount=0.3)
    p.l1_unstructured(head, "weight", amount=0.5)
    optimizer = mod.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    target = mod.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 6)
    losses = []
    for step in range(4):
        optimizer.zero_grad()
        loss = (model(mod.tensor(IMAGES)) - target).square().mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step == 1:  # prune again in the middle of training
            p.l1_unstructured(head, "weight", amount=10)
    keys = list(model.state_dict())
    p.remove(conv, "weight")
    p.remove(head, "weight")
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return keys, losses, state


def test_training_pruned_layers_as_pytorch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune

    (our_keys, our_losses, ours), (keys, losses, theirs) = (
        _training(tg, prune), _training(torch, torch_prune))
    assert our_keys == keys  # 0.bias, 0.weight_orig, 0.weight_mask, 3.bias, 3.weight_orig, ...
    np.testing.assert_allclose(our_losses, losses, rtol=1e-5)
    assert list(ours) == list(theirs) == ["0.bias", "0.weight", "3.bias", "3.weight"]
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert (ours["0.weight"] == 0).sum() == (theirs["0.weight"] == 0).sum() > 18


def _errors(mod, p):
    kinds = []
    for call in (lambda m: p.l1_unstructured(m, "weight", amount=-2),
                 lambda m: p.l1_unstructured(m, "weight", amount=1.01),
                 lambda m: p.random_unstructured(m, "weight", amount=None),
                 lambda m: p.l1_unstructured(m, "weight", amount=25),
                 lambda m: p.random_structured(m, "bias", amount=1, dim=0),
                 lambda m: p.ln_structured(m, "weight", amount=1, n=1, dim=3),
                 lambda m: p.remove(m, "weight"),
                 lambda m: p.l1_unstructured(m, "nothing", amount=1)):
        try:
            call(_linear(mod))
        except Exception as error:
            kinds.append(type(error).__name__)
    return kinds


def test_errors_as_pytorch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune

    assert _errors(tg, prune) == _errors(torch, torch_prune) == [
        "ValueError", "ValueError", "TypeError", "ValueError", "ValueError", "IndexError",
        "ValueError", "AttributeError"]
