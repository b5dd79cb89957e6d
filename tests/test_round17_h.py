"""Round 17 (h): everyday PyTorch scripts ported with only the import changed.

What probing such scripts against PyTorch 2.13 found and this file pins down:
1. `multilabel_margin_loss`'s gradient at a zero margin (PyTorch counts a pair only while
   its margin is positive);
2. the deprecated `torch.cuda.amp.GradScaler` / `autocast` spellings warn (FutureWarning);
3. negative sizes: `view(-2)`, `reshape(-3, 2)`, `repeat(-1, 1)`, `tile((-1,))` are refused
   (NumPy inferred them silently), `full`, `randint`, `new_*` raise PyTorch's RuntimeError;
4. the tutorials' scripts, small, step by step against PyTorch or hand-derived values:
   classifier (label smoothing, class weights, ignore_index, train/eval, argmax accuracy),
   polynomial fit with autograd and a custom autograd.Function, checkpoint and resume,
   early stopping with deepcopy, knowledge distillation, weight tying;
5.-8. PyTorch's deprecation and misuse warnings: `size_average` / `reduce`, `nn.init.*`
   without the underscore, `clip_grad_norm`, `F.upsample*`, `affine_grid` / `grid_sample`
   without align_corners, `gumbel_softmax(eps=)`, mixed bool / float attention masks,
   indexing with a uint8 mask, and
   `random_split` fractions giving an empty split.
"""
from __future__ import annotations

import copy
import io
import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None


def _init(lib, model, seed=0):
    """Seed-independent weights: the same numbers in tinygrad_np and PyTorch."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for _, p in model.named_parameters():
            p.copy_(lib.from_numpy(np.asarray(rng.standard_normal(tuple(p.shape)) * 0.3,
                                              dtype=np.float32)))
    return model


# ---- 1. multilabel_margin_loss: a pair at exactly zero margin has gradient 0 --------------
def test_multilabel_margin_loss_gradient_at_zero_margin():
    x = tg.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], requires_grad=True)
    target = tg.tensor([[2, 0, -1], [1, -1, 0]])
    loss = F.multilabel_margin_loss(x, target)
    loss.backward()
    # row 0: targets {2, 0}, other class 1; pair (2, 1) has margin 1 - (3 - 2) = 0 (inactive),
    # pair (0, 1) margin 1 - (1 - 2) = 2; row 1: target {1}, pairs (1, 0), (1, 2) margin 0.
    assert loss.item() == pytest.approx((2 / 3) / 2)
    np.testing.assert_allclose(x.grad.numpy(), [[-1 / 6, 1 / 6, 0.0], [0.0, 0.0, 0.0]],
                               rtol=1e-6)
    if torch is not None:
        tx = torch.tensor(x.detach().numpy(), requires_grad=True)
        torch.nn.functional.multilabel_margin_loss(tx, torch.tensor(target.numpy())).backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_multilabel_margin_loss_module_one_sample_kink():
    x = tg.tensor([1.0, 0.0, 0.0, 5.0], requires_grad=True)
    nn.MultiLabelMarginLoss()(x, tg.tensor([0, 1, -1, 2])).backward()
    # targets {0, 1}, others {2, 3}: margins (0,2) 0, (0,3) 5, (1,2) 1, (1,3) 6
    np.testing.assert_allclose(x.grad.numpy(), [-0.25, -0.5, 0.25, 0.5], rtol=1e-6)


# ---- 2. torch.cuda.amp's deprecated spellings warn as PyTorch's -------------------------
def test_cuda_amp_spellings_give_pytorchs_future_warning():
    with pytest.warns(FutureWarning, match=r"torch\.cuda\.amp\.GradScaler\(args\.\.\.\)` is "
                                           r"deprecated"):
        scaler = tg.cuda.amp.GradScaler(enabled=False)
    assert not scaler.is_enabled()
    with pytest.warns(FutureWarning, match=r"torch\.amp\.autocast\('cuda', args\.\.\.\)"):
        context = tg.cuda.amp.autocast(enabled=False)
    with context:
        assert (tg.ones(2) * 2).dtype == tg.float32
    if torch is not None:
        with pytest.warns(FutureWarning, match="deprecated"):
            torch.cuda.amp.GradScaler(enabled=False)


# ---- 3. negative sizes: refused as PyTorch (NumPy's reshape infers any negative one) -----
@pytest.mark.parametrize("call", [lambda x: x.view(-2), lambda x: x.view(3, -2),
                                  lambda x: x.reshape(-3, 2), lambda x: tg.reshape(x, (-7,))])
def test_reshape_refuses_sizes_below_minus_one(call):
    x = tg.arange(12.0).reshape(2, 6)
    with pytest.raises(RuntimeError, match=r"invalid shape dimension -\d at index \d of shape"):
        call(x)
    assert x.view(3, -1).shape == (3, 4)  # -1 still infers


@pytest.mark.parametrize("counts", [(-1, 1), (2, -1)])
def test_repeat_and_tile_refuse_negative_counts(counts):
    x = tg.arange(12.0).reshape(2, 6)
    with pytest.raises(RuntimeError, match="repeat: Trying to create tensor with negative"):
        x.repeat(*counts)
    with pytest.raises(RuntimeError, match="negative dimension"):
        x.tile(counts)
    if torch is not None:
        with pytest.raises(RuntimeError, match="negative dimension"):
            torch.arange(12.0).reshape(2, 6).repeat(*counts)


@pytest.mark.parametrize("call", [lambda x: x.new_ones(-1), lambda x: x.new_zeros((-1, 2)),
                                  lambda x: x.new_empty((2, -1)),
                                  lambda x: x.new_full((-1,), 2.0),
                                  lambda x: tg.full((2, -1), 1.0),
                                  lambda x: tg.randint(5, (-1,))])
def test_factories_refuse_negative_sizes_with_runtime_error(call):
    with pytest.raises(RuntimeError, match="negative"):
        call(tg.ones(2))



# ---- 4. the tutorials' scripts, small: each matches PyTorch step by step ----------------
def _classifier_run(lib):
    """Linear-BatchNorm-ReLU classifier, CrossEntropyLoss(label_smoothing, weight,
    ignore_index), AdamW, train/eval, accuracy by argmax under no_grad."""
    rng = np.random.default_rng(4)
    x = lib.tensor(rng.standard_normal((24, 5)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 4, 24))
    y[::7] = -100
    # (no bias before the norm: its gradient is 0 up to rounding, which Adam would amplify)
    model = _init(lib, lib.nn.Sequential(lib.nn.Linear(5, 8, bias=False), lib.nn.BatchNorm1d(8),
                                         lib.nn.ReLU(), lib.nn.Linear(8, 4)))
    loss_fn = lib.nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=-100,
                                      weight=lib.tensor([1.0, 2.0, 0.5, 1.0]))
    opt = lib.optim.AdamW(model.parameters(), lr=1e-2)
    out = []
    for _ in range(4):
        model.train()
        for i in range(0, 24, 12):
            loss = loss_fn(model(x[i:i + 12]), y[i:i + 12])
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(loss.item())
        model.eval()
        with lib.no_grad():
            pred = model(x).argmax(dim=1)
            mask = y != -100
            out.append((pred[mask] == y[mask]).float().mean().item())
    return np.array(out)


def test_classifier_script():
    got = _classifier_run(tg)
    assert np.isfinite(got).all() and got[0] > got[-3]  # the loss goes down
    if torch is not None:
        np.testing.assert_allclose(got, _classifier_run(torch), rtol=1e-5, atol=1e-6)


def test_polynomial_fit_autograd_and_legendre_function_match_hand_derived_gradients():
    """The "learning PyTorch with examples" fit: autograd against the NumPy version's
    hand-derived gradients, then a custom autograd.Function for P3 (its own backward)."""
    x_np = np.linspace(-math.pi, math.pi, 50)
    y_np = np.sin(x_np)
    x, y = tg.tensor(x_np), tg.tensor(y_np)  # float64
    coeffs = [tg.tensor(v, dtype=tg.float64, requires_grad=True) for v in (0.1, -0.2, 0.3, -0.05)]
    hand = np.array([0.1, -0.2, 0.3, -0.05])
    for _ in range(5):
        a, b, c, d = coeffs
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        loss.backward()
        with tg.no_grad():
            for p in coeffs:
                p -= 1e-6 * p.grad
                p.grad = None
        err = 2.0 * (hand[0] + hand[1] * x_np + hand[2] * x_np ** 2 + hand[3] * x_np ** 3 - y_np)
        hand = hand - 1e-6 * np.array([err.sum(), (err * x_np).sum(), (err * x_np ** 2).sum(),
                                       (err * x_np ** 3).sum()])
    np.testing.assert_allclose([p.item() for p in coeffs], hand, rtol=1e-12)

    class LegendrePolynomial3(tg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return 0.5 * (5 * t ** 3 - 3 * t)

        @staticmethod
        def backward(ctx, grad_output):
            (t,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * t ** 2 - 1)

    c = tg.tensor(0.2, dtype=tg.float64, requires_grad=True)
    d = tg.tensor(0.3, dtype=tg.float64, requires_grad=True)
    loss = (-1.0 * LegendrePolynomial3.apply(c + d * x) - y).pow(2).sum()
    loss.backward()
    t = 0.2 + 0.3 * x_np
    err = 2.0 * (-0.5 * (5 * t ** 3 - 3 * t) - y_np) * -1.5 * (5 * t ** 2 - 1)
    np.testing.assert_allclose([c.grad.item(), d.grad.item()], [err.sum(), (err * x_np).sum()],
                               rtol=1e-12)


def _checkpoint_run(lib, interrupt):
    """Three epochs, torch.save of model/optimizer/scheduler/epoch to a buffer, load with
    map_location='cpu' and weights_only=True into fresh objects, three more epochs."""
    rng = np.random.default_rng(6)
    x = lib.tensor(rng.standard_normal((16, 3)).astype(np.float32))
    y = x.sum(1, keepdim=True)

    def make():
        model = _init(lib, lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.LayerNorm(4),
                                             lib.nn.GELU(), lib.nn.Linear(4, 1)))
        opt = lib.optim.Adam(model.parameters(), lr=0.01)
        return model, opt, lib.optim.lr_scheduler.StepLR(opt, 2, 0.5)

    model, opt, sched = make()
    losses = []
    for epoch in range(6):
        if interrupt and epoch == 3:
            buffer = io.BytesIO()
            lib.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                      "scheduler": sched.state_dict(), "epoch": epoch}, buffer)
            buffer.seek(0)
            state = lib.load(buffer, map_location="cpu", weights_only=True)
            model, opt, sched = make()
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            assert state["epoch"] == 3
        loss = lib.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return np.array(losses + sched.get_last_lr())


def test_checkpoint_and_resume_continues_the_same_run():
    straight, resumed = _checkpoint_run(tg, False), _checkpoint_run(tg, True)
    np.testing.assert_array_equal(straight, resumed)
    assert resumed[-1] == pytest.approx(0.01 * 0.5 ** 3)
    if torch is not None:
        np.testing.assert_allclose(resumed, _checkpoint_run(torch, True), rtol=1e-5)


def test_early_stopping_deepcopy_of_state_dict_restores_the_best_weights():
    model = _init(tg, nn.Linear(3, 1))
    best = copy.deepcopy(model.state_dict())
    before = model(tg.ones(2, 3)).detach().clone()
    with tg.no_grad():
        model.weight.add_(1.0)
    assert not tg.equal(model(tg.ones(2, 3)), before)
    model.load_state_dict(best)
    assert tg.equal(model(tg.ones(2, 3)), before)


def test_distillation_loss_matches_its_formula():
    """KLDivLoss(reduction='batchmean') of log_softmax(student / T) against softmax(teacher / T),
    times T^2: sum p (log p - log q) / batch."""
    rng = np.random.default_rng(10)
    s_np, t_np = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    temp = 4.0
    student = tg.tensor(s_np, requires_grad=True)
    loss = nn.KLDivLoss(reduction="batchmean")(F.log_softmax(student / temp, dim=1),
                                              F.softmax(tg.tensor(t_np) / temp, dim=1))
    loss = loss * temp * temp
    p = np.exp(t_np / temp) / np.exp(t_np / temp).sum(1, keepdims=True)
    log_q = s_np / temp - np.log(np.exp(s_np / temp).sum(1, keepdims=True))
    expected = (p * (np.log(p) - log_q)).sum() / 4 * temp * temp
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    q = np.exp(log_q)
    np.testing.assert_allclose(student.grad.numpy(), (q - p) / 4 * temp, rtol=1e-10)


def test_weight_tying_shares_one_parameter_and_sums_both_gradients():
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 3)
            self.out = nn.Linear(3, 5, bias=False)
            self.out.weight = self.emb.weight

        def forward(self, idx):
            return self.out(self.emb(idx))

    model = LM()
    assert len(list(model.parameters())) == 1
    assert list(model.state_dict()) == ["emb.weight", "out.weight"]
    w = model.emb.weight.detach().numpy().copy()
    model(tg.tensor([1])).sum().backward()
    expected = np.zeros_like(w)
    expected += w[1]  # d/dW of sum(W @ w[1]): every row gets w[1]
    expected[1] += w.sum(0)  # and the embedding row 1 gets sum of W's rows
    np.testing.assert_allclose(model.emb.weight.grad.numpy(), expected, rtol=1e-6)


# ---- 5. the deprecated size_average / reduce flags warn, as PyTorch's -------------------
@pytest.mark.parametrize(("make", "reduction"), [
    (lambda: nn.MSELoss(size_average=False), "sum"),
    (lambda: nn.CrossEntropyLoss(size_average=True), "mean"),
    (lambda: nn.L1Loss(reduce=False), "none"),
    (lambda: F.mse_loss(tg.ones(2), tg.zeros(2), reduce=False), "none"),
    (lambda: F.cross_entropy(tg.zeros(2, 3), tg.tensor([0, 1]), size_average=False), "sum"),
])
def test_legacy_reduction_flags_warn_with_the_reduction_to_use(make, reduction):
    with pytest.warns(UserWarning, match=f"size_average and reduce args will be deprecated, "
                                         f"please use reduction='{reduction}' instead"):
        made = make()
    if isinstance(made, nn.Module):
        assert made.reduction == reduction
    elif reduction == "none":
        assert made.shape == (2,)
    else:
        assert made.item() == pytest.approx(2 * math.log(3))


# ---- 6. nn.init's and clip_grad_norm's deprecated spellings: PyTorch's FutureWarning ----
@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "xavier_uniform",
                                  "xavier_normal", "kaiming_uniform", "kaiming_normal", "eye",
                                  "orthogonal"])
def test_init_spellings_without_underscore_warn_and_still_fill(name):
    weight = tg.zeros(3, 3)
    args = (0.5,) if name == "constant" else ()
    with pytest.warns(FutureWarning, match=rf"`nn\.init\.{name}` is now deprecated in favor of "
                                           rf"`nn\.init\.{name}_`"):
        assert getattr(nn.init, name)(weight, *args) is weight
    assert weight.abs().sum().item() > 0


def test_clip_grad_norm_spelling_warns_and_clips():
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()  # grad [6, 8], norm 10
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        total = nn.utils.clip_grad_norm([w], 5.0)
    assert total.item() == pytest.approx(10.0)
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 4.0], rtol=1e-5)


@pytest.mark.parametrize("name", ["upsample", "upsample_nearest", "upsample_bilinear"])
def test_functional_upsample_spellings_warn_but_the_modules_do_not(name):
    x = tg.arange(4.0).reshape(1, 1, 2, 2)
    with pytest.warns(UserWarning, match=rf"`nn\.functional\.{name}` is deprecated\. Use "
                                         r"`nn\.functional\.interpolate` instead\."):
        assert getattr(F, name)(x, size=4).shape == (1, 1, 4, 4)
    assert nn.Upsample(scale_factor=2)(x).shape == (1, 1, 4, 4)  # no warning (an error here)
    assert nn.UpsamplingBilinear2d(scale_factor=2)(x).shape == (1, 1, 4, 4)


# ---- 7. F.affine_grid / F.grid_sample without align_corners, gumbel_softmax's eps ---------
def test_spatial_transformer_pair_warns_about_the_default_align_corners():
    """The spatial transformer tutorial calls both without align_corners: PyTorch warns that
    the default (False) changed in 1.3.0."""
    theta = tg.tensor([[[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]]])
    image = tg.arange(12.0).reshape(1, 1, 3, 4)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has "
                                         "changed to align_corners=False"):
        grid = F.affine_grid(theta, image.size())
    with pytest.warns(UserWarning, match="Please specify align_corners=True"):
        moved = F.grid_sample(image, grid)
    # the default is False: a quarter-width shift moves each row one pixel left, zero outside
    np.testing.assert_allclose(moved[0, 0, 0].numpy(), [1.0, 2.0, 3.0, 0.0], atol=1e-6)
    explicit = F.grid_sample(image, F.affine_grid(theta, (1, 1, 3, 4), align_corners=False),
                             align_corners=False)  # no warning (an error here)
    assert tg.equal(explicit, moved)
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        F.affine_grid(theta, (1, 1, 1, 4), align_corners=True)


def test_gumbel_softmax_eps_is_deprecated():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect"):
        sample = F.gumbel_softmax(tg.zeros(2, 3), eps=1e-5, hard=True)
    assert sample.sum(1).tolist() == [1.0, 1.0]


# ---- 8. a bool padding mask with a float attention mask: PyTorch's deprecation warning -----
def test_mismatched_mask_types_warn_once_with_pytorchs_names():
    """The transformer tutorial's pair: a bool key padding mask and the float causal mask of
    generate_square_subsequent_mask."""
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal((2, 3, 4)).astype(np.float32))
    padding = tg.tensor([[False, False, True], [False, True, True]])
    causal = nn.Transformer.generate_square_subsequent_mask(3)
    attention = nn.MultiheadAttention(4, 2, batch_first=True)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask") as caught:
        mixed, _ = attention(x, x, x, key_padding_mask=padding, attn_mask=causal)
    assert len(caught) == 1
    float_padding = tg.zeros(2, 3).masked_fill(padding, float("-inf"))
    same, _ = attention(x, x, x, key_padding_mask=float_padding, attn_mask=causal)  # silent
    assert tg.allclose(mixed, same)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and src_mask") as caught:
        out = layer(x, src_mask=causal, src_key_padding_mask=padding)
    assert len(caught) == 1
    assert tg.allclose(out, layer(x, src_mask=causal, src_key_padding_mask=float_padding))
    encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and mask") as caught:
        encoder(x, mask=causal, src_key_padding_mask=padding)
    assert len(caught) == 1
    if torch is not None:
        with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and mask"):
            torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(4, 2, 8, batch_first=True),
                                        2, enable_nested_tensor=False)(
                torch.tensor(x.numpy()), mask=torch.tensor(causal.numpy()),
                src_key_padding_mask=torch.tensor(padding.numpy()))


def test_random_split_warns_about_an_empty_fraction_split():
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        parts = tg.utils.data.random_split(range(2), [0.4, 0.4, 0.2])
    assert [len(part) for part in parts] == [1, 1, 0]
    assert sorted(parts[0].indices + parts[1].indices) == [0, 1]
    assert [len(p) for p in tg.utils.data.random_split(range(3), [2, 1])] == [2, 1]  # silent


def test_uint8_index_is_a_mask_with_pytorchs_deprecation_warning():
    x = tg.arange(4.0)
    mask = tg.tensor([1, 0, 1, 0], dtype=tg.uint8)
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        assert x[mask].tolist() == [0.0, 2.0]
    with pytest.warns(UserWarning, match="please use a dtype torch.bool instead"):
        x[mask] = -1.0
    assert x.tolist() == [-1.0, 1.0, -1.0, 3.0]
    assert x[mask.bool()].tolist() == [-1.0, -1.0]  # a bool mask: silent
