"""nn.functional against PyTorch, round 13: grid_sample's gradient at the clip point, bicubic
and 5-D grid_sample / affine_grid, antialiased interpolate, the losses' weight=, positional
signatures as PyTorch's, and the names PyTorch has that were missing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn

try:
    import torch
    import torch.nn.functional as TF
except ImportError:
    torch = None
    TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")


def _run_grid_sample(lib, functional, image, grid, **kwargs):
    """Output, input gradient and grid gradient of a weighted sum of grid_sample's output."""
    x = lib.tensor(image, requires_grad=True)
    g = lib.tensor(grid, requires_grad=True)
    out = functional.grid_sample(x, g, **kwargs)
    weight = np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape))
    (out * lib.tensor(weight)).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), g.grad.numpy()


# ---------------------------------------------------------------- grid_sample at the clip point
def test_grid_sample_border_identity_theta_gradient_without_torch():
    # identity theta, align_corners=True: every border pixel sits on the clip point, where
    # the clip passes no gradient; image[i, j] = j + 10 i, so inside the image the sample
    # grows by 1.5 per unit of x and by 15 per unit of y (pixels are 2/3 apart)
    image = tg.tensor(np.add.outer(10.0 * np.arange(4), np.arange(4.0)).reshape(1, 1, 4, 4),
                      dtype=tg.float32)  # (the grid's dtype: PyTorch refuses mixed ones)
    for padding_mode in ("border", "reflection"):
        theta = tg.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], requires_grad=True)
        grid = F.affine_grid(theta, (1, 1, 4, 4), align_corners=True)
        F.grid_sample(image, grid, padding_mode=padding_mode, align_corners=True).sum().backward()
        # d/dtheta[0, 2] (x shift): 1.5 for each of the 8 samples off the left/right columns
        # (float32: its rounding is allowed)
        np.testing.assert_allclose(theta.grad.numpy()[0, :, 2], [12.0, 120.0], rtol=1e-6)
        # x gradient times x: the inner columns at x = -1/3 and 1/3 cancel
        np.testing.assert_allclose(theta.grad.numpy()[0, :, :2], 0.0, atol=1e-5)


@needs_torch
def test_grid_sample_border_identity_theta_matches_torch():
    rng = np.random.default_rng(0)
    image = rng.standard_normal((1, 1, 4, 4))
    for padding_mode, corners in itertools.product(("border", "reflection"), (True, False)):
        grads = []
        for lib in (tg, torch):
            theta = lib.tensor([[[1.0, 0, 0], [0, 1.0, 0]]], dtype=lib.float64,
                               requires_grad=True)
            grid = lib.nn.functional.affine_grid(theta, (1, 1, 4, 4), align_corners=corners)
            lib.nn.functional.grid_sample(lib.tensor(image), grid, padding_mode=padding_mode,
                                          align_corners=corners).sum().backward()
            grads.append(theta.grad.numpy())
        np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)


EDGES = np.array([-1.0, 1.0, -5 / 3, 5 / 3, -1 / 3, 0.0, -1.5, 1.5, -1.25, 1.25, -3.0, 3.0,
                  -0.75, 0.75, 0.25, 2.0, -2.0])
GRID_CASES = [(4, mode) for mode in ("bilinear", "nearest", "bicubic")] + [
    (5, mode) for mode in ("bilinear", "nearest")]


@needs_torch
@pytest.mark.parametrize("ndim,mode", GRID_CASES)
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_values_and_gradients_match_torch(ndim, mode, padding_mode, align_corners):
    rng = np.random.default_rng(ndim * 7 + len(mode) + len(padding_mode) + align_corners)
    spatial = ndim - 2
    image = rng.standard_normal((2, 3) + (4, 5, 3)[:spatial])
    out_shape = (2,) + (3, 4, 2)[:spatial] + (spatial,)
    grids = [rng.uniform(-1.6, 1.6, out_shape), rng.choice(EDGES, out_shape)]
    for grid in grids:  # random positions, and pixel centres / clip points / reflection edges
        kwargs = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        ours = _run_grid_sample(tg, F, image, grid, **kwargs)
        theirs = _run_grid_sample(torch, TF, image, grid, **kwargs)
        for a, b, what in zip(ours, theirs, ("output", "input grad", "grid grad")):
            np.testing.assert_allclose(a, b, atol=1e-10, err_msg=what)


def test_grid_sample_nan_coordinate_gives_the_pixels_no_nan_gradient():
    # PyTorch (zeros padding): the NaN sample is NaN, the pixels get no gradient from it
    image = tg.arange(16.0, dtype=tg.float64).reshape(1, 1, 4, 4).requires_grad_()
    grid = tg.tensor([[[[float("nan"), 0.3], [0.2, 0.5]]]], dtype=tg.float64,
                     requires_grad=True)
    out = F.grid_sample(image, grid, align_corners=False)
    out.sum().backward()
    assert np.isnan(out.numpy()[0, 0, 0, 0]) and out.numpy()[0, 0, 0, 1] == pytest.approx(11.9)
    expected = np.zeros(16)
    expected[[9, 10, 13, 14]] = [0.05, 0.45, 0.05, 0.45]  # the second sample's only
    np.testing.assert_allclose(image.grad.numpy().ravel(), expected, atol=1e-12)
    assert grid.grad.numpy()[0, 0, 0, 0] == 0 and np.isnan(grid.grad.numpy()[0, 0, 0, 1])


def test_grid_sample_nearest_gives_the_grid_a_zero_gradient():
    image = tg.arange(16.0).reshape(1, 1, 4, 4)
    for ndim in (4, 5):
        x = image if ndim == 4 else image.unsqueeze(2)
        grid = tg.full((1,) + (1,) * (ndim - 4) + (2, 2, ndim - 2), 0.3, requires_grad=True)
        F.grid_sample(x, grid, mode="nearest", align_corners=False).sum().backward()
        assert grid.grad is not None and grid.grad.tolist() == tg.zeros_like(grid).tolist()


def _keys_kernel(d: float, a: float = -0.75) -> float:
    d = abs(d)
    if d <= 1:
        return (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
    return a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a if d < 2 else 0.0


def test_grid_sample_bicubic_without_torch():
    # inside the image: the sum of the 4 x 4 neighbours, each weighted by Keys' kernel
    # (a = -0.75) of its x and y distances
    values = np.random.default_rng(3).standard_normal((5, 6))
    image = tg.tensor(values.reshape(1, 1, 5, 6))
    grid = tg.tensor([[[[0.1, -0.2], [-0.3, 0.25]]]], dtype=tg.float64)
    out = F.grid_sample(image, grid, mode="bicubic", align_corners=True).numpy().ravel()
    for k, (gx, gy) in enumerate(grid.numpy()[0, 0]):
        x, y = (gx + 1) * 2.5, (gy + 1) * 2
        expected = sum(_keys_kernel(x - i) * _keys_kernel(y - j) * values[j, i]
                       for i in range(6) for j in range(5))
        assert out[k] == pytest.approx(expected, abs=1e-12)
    with pytest.raises(RuntimeError, match="bicubic.*4-D"):
        F.grid_sample(image.unsqueeze(2), tg.zeros(1, 1, 1, 1, 3), mode="bicubic")


def test_affine_grid_5d_without_torch():
    identity = tg.tensor([[[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0]]])
    grid = F.affine_grid(identity, (1, 1, 2, 3, 4), align_corners=True)
    assert tuple(grid.shape) == (1, 2, 3, 4, 3)
    np.testing.assert_allclose(grid.numpy()[0, 1, 2, 3], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(grid.numpy()[0, 0, 1, 0], [-1.0, 0.0, -1.0])
    volume = tg.arange(24.0).reshape(1, 1, 2, 3, 4)
    same = F.grid_sample(volume, grid, align_corners=True)
    np.testing.assert_allclose(same.numpy(), volume.numpy(), atol=1e-5)
    with pytest.raises(tg.TensorError, match=r"theta of shape \(1, 3, 4\)"):
        F.affine_grid(tg.zeros(1, 2, 3), (1, 1, 2, 3, 4))


@needs_torch
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_5d_matches_torch_with_gradients(align_corners):
    rng = np.random.default_rng(5)
    theta = rng.standard_normal((2, 3, 4))
    weight = rng.standard_normal((2, 3, 4, 5, 3))
    results = []
    for lib in (tg, torch):
        th = lib.tensor(theta, requires_grad=True)
        grid = lib.nn.functional.affine_grid(th, (2, 1, 3, 4, 5), align_corners=align_corners)
        (grid * lib.tensor(weight)).sum().backward()
        results.append((grid.detach().numpy(), th.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-10)


# ---------------------------------------------------------------- the losses' weight=
WEIGHTED_LOSSES = {
    "mse_loss": lambda F_, x, t, w, r: F_.mse_loss(x, t, reduction=r, weight=w),
    "l1_loss": lambda F_, x, t, w, r: F_.l1_loss(x, t, reduction=r, weight=w),
    "huber_loss": lambda F_, x, t, w, r: F_.huber_loss(x, t, reduction=r, delta=0.7, weight=w),
}


def test_weighted_losses_without_torch():
    x = tg.tensor([1.0, 2.0, 4.0], requires_grad=True)
    t = tg.tensor([0.0, 0.0, 0.0])
    w = tg.tensor([1.0, 0.5, 0.25])
    loss = F.mse_loss(x, t, weight=w)  # (1 + 2 + 4) / 1.75
    assert loss.item() == pytest.approx(4.0)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 / 1.75, 2 / 1.75, 2 / 1.75])
    assert F.l1_loss(x, t, weight=w, reduction="sum").item() == pytest.approx(3.0)
    assert F.huber_loss(x, t, weight=w).item() == pytest.approx((0.5 + 0.75 + 0.875) / 3)
    with pytest.raises(ValueError, match=r"mse_loss: weight must have the input's shape"):
        F.mse_loss(x, t, weight=tg.ones(2))


@needs_torch
@pytest.mark.parametrize("name", sorted(WEIGHTED_LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_losses_match_torch(name, reduction):
    rng = np.random.default_rng(4)
    x, t, w = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5)), rng.random((3, 4, 5))
    results = []
    for lib in (tg, torch):
        xs, ws = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        loss = WEIGHTED_LOSSES[name](lib.nn.functional, xs, lib.tensor(t), ws, reduction)
        (loss * lib.tensor(np.linspace(1, 2, loss.numel()).reshape(tuple(loss.shape)))
         ).sum().backward()
        results.append((loss.detach().numpy(), xs.grad.numpy(), ws.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


# ---------------------------------------------------------------- positional signatures
def test_softmax_family_takes_pytorchs_positional_form():
    x = tg.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]], dtype=tg.float64)
    row = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    out = F.softmax(x, 1, 3, tg.float32)  # (input, dim, _stacklevel, dtype)
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.numpy()[0], row, rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x, 1, 3, tg.float64).numpy()[0], np.log(row))
    np.testing.assert_allclose(F.softmin(-x, 1, 3, None).numpy()[0], row)
    np.testing.assert_allclose(F.softmax(x, axis=1).numpy()[0], row)  # (NumPy's spelling)


@needs_torch
def test_functional_positional_parameters_match_torch():
    import inspect

    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    checked = 0
    for name in dir(TF):
        theirs, ours = getattr(TF, name), getattr(F, name, None)
        if name.startswith("_") or ours is None or not inspect.isfunction(theirs):
            continue
        try:
            expected = inspect.signature(theirs).parameters.values()
        except ValueError:
            continue
        got = inspect.signature(ours).parameters.values()
        if any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in got):
            continue  # (*args: PyTorch's order by construction)
        want = [p.name for p in expected if p.kind in positional]
        have = [p.name for p in got if p.kind in positional]
        assert have[:len(want)] == want, name
        checked += 1
    assert checked > 70


# ---------------------------------------------------------------- multi_head_attention_forward
def _mha_arguments(lib, case: str, rng: np.random.Generator) -> tuple[list, dict, list]:
    """Positional and keyword arguments of F.multi_head_attention_forward for one case, and
    the tensors whose gradients are compared (the same numbers for both libraries)."""
    seed = int(rng.integers(1 << 30))
    draw = np.random.default_rng(seed)
    embed, heads, length, source, batch = 6, 2, 3, 4, 2
    kdim = 5 if case == "separate" else embed
    leaf = lambda *shape: lib.tensor(draw.standard_normal(shape), requires_grad=True)  # noqa: E731
    unbatched = case == "unbatched"
    query = leaf(length, embed) if unbatched else leaf(length, batch, embed)
    key = leaf(source, kdim) if unbatched else leaf(source, batch, kdim)
    value = leaf(source, kdim) if unbatched else leaf(source, batch, kdim)
    in_w, in_b = leaf(3 * embed, embed), leaf(3 * embed)
    out_w, out_b = leaf(embed, embed), leaf(embed)
    bias_k = leaf(1, 1, embed) if case == "bias_kv" else None
    bias_v = leaf(1, 1, embed) if case == "bias_kv" else None
    kwargs: dict = {"training": False}
    grads = [query, key, value, out_w, out_b]
    if case == "separate":
        kwargs.update(use_separate_proj_weight=True, q_proj_weight=leaf(embed, embed),
                      k_proj_weight=leaf(embed, kdim), v_proj_weight=leaf(embed, kdim))
        grads += [kwargs["q_proj_weight"], kwargs["k_proj_weight"], kwargs["v_proj_weight"]]
        in_w = None
    else:
        grads.append(in_w)
    if case == "static":
        kwargs.update(static_k=leaf(batch * heads, 5, embed // heads),
                      static_v=leaf(batch * heads, 5, embed // heads))
        grads += [kwargs["static_k"], kwargs["static_v"]]
    if case in ("masks", "bias_kv", "zero_attn", "no_weights"):
        padding = np.zeros((batch, source))
        padding[1, -1] = -np.inf  # (float, as attn_mask: PyTorch warns at mixed types)
        kwargs["key_padding_mask"] = lib.tensor(padding)
        kwargs["attn_mask"] = lib.tensor(draw.standard_normal((batch * heads, length, source)))
    if case == "no_weights":
        kwargs["need_weights"] = False
    if case == "per_head":
        kwargs["average_attn_weights"] = False
    if bias_k is not None:
        grads += [bias_k, bias_v]
    args = [query, key, value, embed, heads, in_w, in_b, bias_k, bias_v, case == "zero_attn",
            0.0, out_w, out_b]
    return args, kwargs, grads


MHA_CASES = ["plain", "separate", "static", "masks", "bias_kv", "zero_attn", "no_weights",
             "per_head", "unbatched"]


@needs_torch
@pytest.mark.parametrize("case", MHA_CASES)
def test_multi_head_attention_forward_matches_torch(case):
    results = []
    for lib in (tg, torch):
        args, kwargs, grads = _mha_arguments(lib, case, np.random.default_rng(len(case)))
        output, weights = lib.nn.functional.multi_head_attention_forward(*args, **kwargs)
        total = (output * output).sum() + (0 if weights is None else (weights * 3).sum())
        total.backward()
        results.append([output.detach().numpy(), None if weights is None
                        else weights.detach().numpy()]
                       + [None if g.grad is None else g.grad.numpy() for g in grads])
    for ours, theirs in zip(*results):
        if theirs is None:
            assert ours is None
        else:
            np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_multi_head_attention_forward_without_torch():
    # one head, identity projections: softmax(q k^T / sqrt(E)) v
    embed = 2
    q = tg.tensor([[[1.0, 0.0]]], dtype=tg.float64)  # (L=1, N=1, E)
    kv = tg.tensor([[[1.0, 0.0]], [[0.0, 1.0]]], dtype=tg.float64)  # (S=2, N=1, E)
    eye = tg.tensor(np.eye(embed))
    output, weights = F.multi_head_attention_forward(
        q, kv, kv, embed, 1, tg.cat([eye, eye, eye]), None, None, None, False, 0.0, eye, None)
    scores = np.exp([1 / np.sqrt(2), 0.0])
    expected = scores / scores.sum()
    np.testing.assert_allclose(weights.numpy().ravel(), expected)
    np.testing.assert_allclose(output.numpy().ravel(), expected)
    # add_zero_attn: a third key of zeros (score 0) and value 0
    output, weights = F.multi_head_attention_forward(
        q, kv, kv, embed, 1, tg.cat([eye, eye, eye]), None, None, None, True, 0.0, eye, None)
    scores = np.exp([1 / np.sqrt(2), 0.0, 0.0])
    np.testing.assert_allclose(weights.numpy().ravel(), scores / scores.sum())
    np.testing.assert_allclose(output.numpy().ravel(), scores[:2] / scores.sum())
    with pytest.raises(AssertionError, match="expecting embedding dimension of 3"):
        F.multi_head_attention_forward(q, kv, kv, 3, 1, None, None, None, None, False, 0.0, eye,
                                       None)


@needs_torch
@pytest.mark.parametrize("options", [dict(add_bias_kv=True), dict(add_zero_attn=True),
                                     dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=3)])
def test_multihead_attention_bias_kv_and_zero_attn_match_torch(options):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=torch.float64, **options)
    ours = nn.MultiheadAttention(4, 2, batch_first=True, dtype=tg.float64, **options)
    state = {name: value.detach().numpy() for name, value in theirs.state_dict().items()}
    assert sorted(state) == sorted(ours.state_dict())
    ours.load_state_dict({name: tg.tensor(value) for name, value in state.items()})
    rng = np.random.default_rng(2)
    query, key = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, options.get("kdim", 4)))
    results = []
    for lib, module in ((tg, ours), (torch, theirs)):
        output, weights = module(lib.tensor(query), lib.tensor(key), lib.tensor(key))
        (output.sum() + weights.sum()).backward()
        results.append([output.detach().numpy(), weights.detach().numpy()]
                       + [p.grad.numpy() for _, p in sorted(module.named_parameters())])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-10)


# ---------------------------------------------------------------- conv_tbc, native_channel_shuffle
def test_conv_tbc_without_torch():
    # one input channel, kernel (1, 2) summing neighbours, output channel 2 doubling them
    x = tg.tensor(np.arange(4.0).reshape(4, 1, 1))  # (T=4, N=1, C_in=1)
    weight = tg.tensor([[[1.0, 2.0]], [[1.0, 2.0]]])  # (k=2, C_in=1, C_out=2)
    out = F.conv_tbc(x, weight, tg.tensor([0.5, 0.0]), 1)
    assert tuple(out.shape) == (5, 1, 2)
    np.testing.assert_allclose(out.numpy()[:, 0, 0], [0.5, 1.5, 3.5, 5.5, 3.5])
    np.testing.assert_allclose(out.numpy()[:, 0, 1], [0.0, 2.0, 6.0, 10.0, 6.0])
    with pytest.raises(TypeError):
        F.conv_tbc(x, weight)  # bias is required, as PyTorch's
    with pytest.raises(tg.TensorError, match=r"conv_tbc: expected input \(T, N, C_in\)"):
        F.conv_tbc(x, weight.permute(0, 2, 1), tg.zeros(2))


@needs_torch
@pytest.mark.parametrize("pad", [0, 2])
def test_conv_tbc_matches_torch(pad):
    rng = np.random.default_rng(pad)
    arrays = [rng.standard_normal((7, 2, 3)), rng.standard_normal((3, 3, 4)),
              rng.standard_normal(4)]
    results = []
    for lib in (tg, torch):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = lib.nn.functional.conv_tbc(*tensors, pad)
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
         ).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in tensors])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_native_channel_shuffle():
    x = tg.arange(12.0).reshape(1, 12, 1)
    assert F.native_channel_shuffle(x, 3).reshape(-1).tolist() == [
        0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0, 10.0, 3.0, 7.0, 11.0]


# ---------------------------------------------------------------- linear_cross_entropy
def test_linear_cross_entropy_without_torch():
    x = tg.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=tg.float64)
    weight = tg.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=tg.float64)  # logits = x|0
    loss = F.linear_cross_entropy(x, weight, tg.tensor([0, 1]), reduction="none")
    expected = [np.log(np.e + 2) - 1, np.log(np.e ** 2 + 2) - 2]
    np.testing.assert_allclose(loss.numpy(), expected)
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified"):
        F.linear_cross_entropy(x, weight, tg.full((2, 3), 1 / 3), ignore_index=0)
    with pytest.raises(RuntimeError, match="linear_bias shape"):
        F.linear_cross_entropy(x, weight, tg.tensor([0, 1]), linear_bias=tg.zeros(2))
    module = nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3), bias=True)
    assert tuple(module.linear.weight.shape) == (120, 5) and module.linear.bias.shape == (120,)
    assert module(tg.randn(2, 5), tg.randint(0, 10, (2, 4, 3))).ndim == 0


LCE_CASES = {
    "ids": dict(shape=(6, 5), weight=(4, 5), target="ids"),
    "ids bias weight smoothing": dict(shape=(6, 5), weight=(4, 5), target="ids", bias=True,
                                      class_weight=True, label_smoothing=0.1),
    "ignore": dict(shape=(6, 5), weight=(4, 5), target="ids", ignore_index=2),
    "unbatched": dict(shape=(5,), weight=(4, 5), target="ids"),
    "k-dim": dict(shape=(3, 5), weight=(4, 2, 3, 5), target="ids", bias=True),
    "probabilities": dict(shape=(6, 5), weight=(4, 5), target="probs"),
}


@needs_torch
@pytest.mark.parametrize("case", sorted(LCE_CASES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_linear_cross_entropy_matches_torch(case, reduction):
    spec = LCE_CASES[case]
    rng = np.random.default_rng(len(case))
    x, w = rng.standard_normal(spec["shape"]), rng.standard_normal(spec["weight"])
    logits_shape = spec["shape"][:-1] + spec["weight"][:-1]
    bias = rng.standard_normal(spec["weight"][:-1]) if spec.get("bias") else None
    if spec["target"] == "ids":
        target = rng.integers(0, 4, logits_shape[:1] + logits_shape[2:] if len(
            spec["shape"]) == 2 else ())
    else:
        target = rng.dirichlet(np.ones(4), spec["shape"][0])
    class_weight = rng.random(4) + 0.5 if spec.get("class_weight") else None
    results = []
    for lib in (tg, torch):
        xs, ws = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bs = None if bias is None else lib.tensor(bias, requires_grad=True)
        loss = lib.nn.functional.linear_cross_entropy(
            xs, ws, lib.tensor(target), linear_bias=bs, reduction=reduction,
            weight=None if class_weight is None else lib.tensor(class_weight),
            ignore_index=spec.get("ignore_index"),
            label_smoothing=spec.get("label_smoothing", 0.0))
        (loss * lib.tensor(np.linspace(1, 2, loss.numel()).reshape(tuple(loss.shape)))
         ).sum().backward()
        results.append([loss.detach().numpy(), xs.grad.numpy(), ws.grad.numpy()]
                       + ([] if bs is None else [bs.grad.numpy()]))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-12)


@needs_torch
def test_linear_cross_entropy_loss_module_matches_torch():
    torch.manual_seed(0)
    options = dict(out_features=(2,), bias=True, label_smoothing=0.2, dtype=torch.float64)
    theirs = torch.nn.LinearCrossEntropyLoss(3, 4, **options)
    ours = nn.LinearCrossEntropyLoss(3, 4, **{**options, "dtype": tg.float64})
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x, target = rng.standard_normal((5, 3)), rng.integers(0, 4, (5, 2))
    values = [module(lib.tensor(x), lib.tensor(target)).item()
              for lib, module in ((tg, ours), (torch, theirs))]
    assert values[0] == pytest.approx(values[1], abs=1e-12)


# ---------------------------------------------------------------- nn.utils submodules
def test_nn_utils_submodules_import_as_pytorchs():
    from tinygrad_np.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
    from tinygrad_np.nn.utils.convert_parameters import (
        parameters_to_vector,
        vector_to_parameters,
    )
    from tinygrad_np.nn.utils.init import skip_init
    from tinygrad_np.nn.utils.stateless import functional_call

    assert clip_grad_norm_ is nn.utils.clip_grad_norm_
    assert clip_grad_value_ is nn.utils.clip_grad_value_
    assert parameters_to_vector is nn.utils.parameters_to_vector
    assert vector_to_parameters is nn.utils.vector_to_parameters
    assert skip_init is nn.utils.skip_init
    layer = nn.Linear(2, 1)
    x = tg.tensor([[1.0, 2.0]])
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):  # (as PyTorch's)
        out = functional_call(layer, {"weight": tg.tensor([[1.0, 1.0]]), "bias": tg.zeros(1)},
                              (x,))
    assert out.item() == 3.0


# ---------------------------------------------------------------- interpolate(antialias=True)
def test_interpolate_antialias_without_torch():
    # halving with the triangle filter widened to 2 pixels: output i averages inputs
    # 2i - 1 .. 2i + 2 with weights 1, 3, 3, 1 (renormalised where the border cuts them)
    row = np.arange(8.0)
    x = tg.tensor(np.tile(row, (2, 1)).reshape(1, 1, 2, 8))
    out = F.interpolate(x, size=(2, 4), mode="bilinear", antialias=True).numpy()[0, 0, 0]
    padded = np.concatenate([[np.nan], row, [np.nan]])
    expected = []
    for i in range(4):
        values, weights = padded[2 * i:2 * i + 4], np.array([1.0, 3.0, 3.0, 1.0])
        keep = ~np.isnan(values)
        expected.append((values[keep] * weights[keep]).sum() / weights[keep].sum())
    np.testing.assert_allclose(out, expected)
    # a constant image stays constant, for every filter (the weights are normalised)
    ones = tg.ones(1, 1, 9, 7, dtype=tg.float64)
    for mode in ("bilinear", "bicubic", "lanczos"):
        for size in ((4, 3), (13, 11)):
            out = F.interpolate(ones, size=size, mode=mode, antialias=True)
            np.testing.assert_allclose(out.numpy(), 1.0)
    with pytest.raises(ValueError, match="antialias=True is restricted"):
        F.interpolate(tg.ones(1, 1, 4), size=2, mode="linear", antialias=True)
    with pytest.raises(ValueError, match="'lanczos' needs antialias=True"):
        F.interpolate(ones, size=(2, 2), mode="lanczos")


ANTIALIAS_SIZES = [((8, 9), (3, 4), None), ((8, 9), (5, 13), None), ((7, 7), (7, 7), None),
                   ((10, 12), None, (0.5, 0.3)), ((5, 6), None, (2.5, 1.7)),
                   ((9, 9), (1, 2), None), ((3, 17), (8, 5), None)]


@needs_torch
@pytest.mark.parametrize("mode,align_corners", [("bilinear", False), ("bilinear", True),
                                                ("bicubic", False), ("bicubic", True),
                                                ("lanczos", None)])
@pytest.mark.parametrize("shape,size,scale", ANTIALIAS_SIZES)
def test_interpolate_antialias_matches_torch(mode, align_corners, shape, size, scale):
    image = np.random.default_rng(sum(shape)).standard_normal((2, 3, *shape))
    results = []
    for lib in (tg, torch):
        x = lib.tensor(image, requires_grad=True)
        out = lib.nn.functional.interpolate(x, size=size, scale_factor=scale, mode=mode,
                                            align_corners=align_corners, antialias=True)
        (out * lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
         ).sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


@needs_torch
def test_interpolate_antialias_float32_matches_torch():
    image = np.random.default_rng(0).standard_normal((1, 2, 11, 10)).astype(np.float32)
    ours = F.interpolate(tg.tensor(image), scale_factor=0.4, mode="bicubic", antialias=True)
    theirs = TF.interpolate(torch.tensor(image), scale_factor=0.4, mode="bicubic",
                            antialias=True)
    assert ours.dtype == tg.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5)


# ---------------------------------------------------------------- nn.grad
CONV_GRAD_CASES = [  # (dims, input shape, weight shape, options)
    (1, (2, 4, 9), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    (2, (1, 3, 7, 8), (4, 3, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))),
    (2, (2, 2, 6, 6), (2, 2, 3, 3), {}),
    (3, (1, 2, 5, 4, 6), (3, 2, 2, 3, 2), dict(stride=2, padding=1)),
]


@needs_torch
@pytest.mark.parametrize("dims,input_shape,weight_shape,options", CONV_GRAD_CASES)
def test_nn_grad_conv_input_and_weight_match_torch(dims, input_shape, weight_shape, options):
    rng = np.random.default_rng(dims)
    image, weight = rng.standard_normal(input_shape), rng.standard_normal(weight_shape)
    conv = getattr(TF, f"conv{dims}d")
    out_shape = tuple(conv(torch.tensor(image), torch.tensor(weight), **options).shape)
    grad_output = rng.standard_normal(out_shape)
    results = []
    for lib, grads in ((tg, nn.grad), (torch, torch.nn.grad)):
        got_input = getattr(grads, f"conv{dims}d_input")(
            input_shape, lib.tensor(weight), lib.tensor(grad_output), **options)
        got_weight = getattr(grads, f"conv{dims}d_weight")(
            lib.tensor(image), weight_shape, lib.tensor(grad_output), **options)
        results.append((got_input.numpy(), got_weight.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_nn_grad_without_torch():
    # a 1x1 kernel of 2: the input gradient is 2 * grad_output; the weight gradient the sum
    # of input * grad_output
    x = tg.tensor(np.arange(4.0).reshape(1, 1, 2, 2))
    g = tg.tensor(np.ones((1, 1, 2, 2)))
    assert F.grad.conv2d_input(x.shape, tg.full((1, 1, 1, 1), 2.0), g).tolist() == (
        [[[[2.0, 2.0], [2.0, 2.0]]]])
    assert F.grad.conv2d_weight(x, (1, 1, 1, 1), g).item() == 6.0
    with pytest.raises(RuntimeError, match=r"conv2d_input: grad_output has shape"):
        nn.grad.conv2d_input(x.shape, tg.ones(1, 1, 1, 1), tg.ones(1, 1, 3, 3))


# ---------------------------------------------------------------- fractional max pooling
def test_fractional_max_pool2d_without_torch():
    # 5 -> 3 with 2-wide windows: alpha = (5 - 2) / 2 = 1.5; u = 0.5 gives starts
    # int(0.75) - int(0.75) = 0, int(2.25) - 0 = 2, and the last 5 - 2 = 3
    x = tg.tensor(np.arange(25.0).reshape(1, 1, 5, 5), requires_grad=True)
    samples = tg.full((1, 1, 2), 0.5)
    out, indices = F.fractional_max_pool2d(x, 2, output_size=3, return_indices=True,
                                           _random_samples=samples)
    starts = [0, 2, 3]
    expected = [[(r + 1) * 5 + c + 1 for c in starts] for r in starts]
    assert indices.tolist() == [[expected]] and out.tolist() == [[expected]]
    out.sum().backward()
    grad = np.zeros(25)
    grad[np.ravel(expected)] = 1
    assert x.grad.numpy().ravel().tolist() == grad.tolist()
    pool = nn.FractionalMaxPool2d(2, output_ratio=0.5)
    assert tuple(pool(tg.randn(2, 3, 8, 6)).shape) == (2, 3, 4, 3)
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(RuntimeError, match="does not fit"):
        F.fractional_max_pool2d(x, 3, output_size=4)


FRACTIONAL_CASES = [(2, (7, 9), (2, 3), (4, 5), "plain"), (2, (6, 6), 2, 5, "ties"),
                    (2, (8, 5), (3, 1), (6, 3), "nan"), (3, (5, 6, 7), 2, (3, 4, 5), "plain"),
                    (3, (6, 5, 5), (1, 2, 3), (4, 3, 2), "ties")]


@needs_torch
@pytest.mark.parametrize("dims,spatial,kernel,size,values", FRACTIONAL_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fractional_max_pool_matches_torch(dims, spatial, kernel, size, values, dtype):
    rng = np.random.default_rng(dims + len(values))
    image = rng.standard_normal((2, 3, *spatial)).astype(dtype)
    if values == "ties":
        image = np.round(image)
    if values == "nan":
        image[0, 0].flat[[3, 4, 11]] = np.nan
    samples = rng.random((2, 3, dims)).astype(dtype)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(image, requires_grad=True)
        pool = getattr(lib.nn.functional, f"fractional_max_pool{dims}d_with_indices")
        out, indices = pool(x, kernel, output_size=size, _random_samples=lib.tensor(samples))
        weight = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(dtype)
        (out * lib.tensor(weight)).sum().backward()
        results.append((out.detach().numpy(), indices.numpy(), x.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_nn_utils_memory_format_returns_the_module_unchanged():
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    before = model[0].weight.numpy().copy()
    assert nn.utils.convert_conv2d_weight_memory_format(model, tg.channels_last) is model
    from tinygrad_np.nn.utils.memory_format import convert_conv3d_weight_memory_format

    assert convert_conv3d_weight_memory_format(model, tg.channels_last_3d) is model
    assert model[0].weight.numpy().tolist() == before.tolist()
    with pytest.raises(TypeError, match="expected an nn.Module"):
        nn.utils.convert_conv2d_weight_memory_format(tg.ones(1), tg.channels_last)
