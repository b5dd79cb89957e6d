"""Round 17 (o): float16 end to end as PyTorch 2.13's CPU kernels compute it.

Covers: softmax / log_softmax of float16 computed in float32 and rounded once (forward and
gradient, and the strided kernel that stores exp as float16 first); float16 gradients summed
over broadcast axes (bias gradients) accumulated in float32 and rounded once.
Each test compares bit for bit with torch when it is installed, and otherwise with a NumPy
float32 reference written out in the test (PyTorch's formula, not the library's code).
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

H, S = np.float16, np.float32


def _h(a):
    return np.asarray(a, S).astype(H)


def _bits(a):
    return np.asarray(a, H).view(np.int16)


def _same(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype == H and actual.shape == expected.shape
    nan = np.isnan(actual)  # (NaN payloads may differ)
    np.testing.assert_array_equal(nan, np.isnan(expected))
    np.testing.assert_array_equal(_bits(actual)[~nan], _bits(expected)[~nan])


def _near_torch(actual, expected):
    """Within 1 float16 ulp of PyTorch's: its CPU kernels' vectorised and scalar paths split
    a tensor by its thread count (torch.set_num_threads), which moves the last bit."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype == H and actual.shape == expected.shape
    nan = np.isnan(actual)
    np.testing.assert_array_equal(nan, np.isnan(expected))
    assert np.abs(_bits(actual)[~nan].astype(np.int32) - _bits(expected)[~nan]).max(
        initial=0) <= 1


def _data(shape, seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(H)


# ---- 1. softmax / log_softmax ---------------------------------------------------------------
@pytest.mark.parametrize(("shape", "dim"), [((8, 33), 1), ((8, 33), 0), ((4, 70, 1), 1),
                                            ((2, 1000), 1), ((3, 7, 4), 2)])
def test_softmax_float16_rounded_once(shape, dim):
    x, g = _data(shape), _data(shape, 1, 1.0)
    t = tg.tensor(x, requires_grad=True)
    y = tg.nn.functional.softmax(t, dim)
    y.backward(tg.tensor(g))
    w = x.astype(S)
    e = np.exp(w - w.max(dim, keepdims=True))
    total = e.sum(dim, keepdims=True)
    inner = int(np.prod(shape[dim + 1:]))
    if dim != len(shape) - 1 and inner < 64:  # PyTorch's strided kernel stores exp first
        e = e.astype(H).astype(S)
    expected = _h(e / total)
    _same(y.numpy(), expected)
    ys, gs = expected.astype(S), g.astype(S)
    _same(t.grad.numpy(), _h(ys * (gs - (gs * ys).sum(dim, keepdims=True))))
    if torch is not None and not (dim != len(shape) - 1 and inner < 64):  # (PyTorch's strided
        # kernel rounds its stored exp differently with one thread: torch.set_num_threads)
        tt = torch.tensor(x, requires_grad=True)
        ty = torch.softmax(tt, dim)
        ty.backward(torch.tensor(g))
        _near_torch(y.numpy(), ty.detach().numpy())
        _near_torch(t.grad.numpy(), tt.grad.numpy())


@pytest.mark.parametrize(("shape", "dim"), [((8, 33), 0), ((4, 5, 70), 1), ((10, 64), 0)])
def test_log_softmax_float16_rounded_once(shape, dim):
    x, g = _data(shape), _data(shape, 1, 1.0)
    t = tg.tensor(x, requires_grad=True)
    y = t.log_softmax(dim)
    y.backward(tg.tensor(g))
    w = x.astype(S)
    shifted = w - w.max(dim, keepdims=True)
    expected = _h(shifted - np.log(np.exp(shifted).sum(dim, keepdims=True)))
    _same(y.numpy(), expected)
    gs = g.astype(S)
    _same(t.grad.numpy(), _h(gs - np.exp(expected.astype(S)) * gs.sum(dim, keepdims=True)))
    if torch is not None:
        tt = torch.tensor(x, requires_grad=True)
        ty = torch.log_softmax(tt, dim)
        ty.backward(torch.tensor(g))
        _same(y.numpy(), ty.detach().numpy())
        _same(t.grad.numpy(), tt.grad.numpy())


# ---- 2. broadcast gradients accumulate in float32 -------------------------------------------
@pytest.mark.parametrize("op", ["add", "mul"])
def test_float16_bias_gradient_summed_in_float32(op):
    x, b, g = _data((300, 7)), _data((7,), 2), _data((300, 7), 3, 1.0)
    tb = tg.tensor(b, requires_grad=True)
    y = tg.tensor(x) + tb if op == "add" else tg.tensor(x) * tb
    y.backward(tg.tensor(g))
    per_row = g if op == "add" else _h(g.astype(S) * x.astype(S))
    _same(tb.grad.numpy(), _h(per_row.astype(S).sum(0)))
    if torch is not None:
        tt = torch.tensor(b, requires_grad=True)
        ty = torch.tensor(x) + tt if op == "add" else torch.tensor(x) * tt
        ty.backward(torch.tensor(g))
        _same(tb.grad.numpy(), tt.grad.numpy())


def test_float16_broadcast_gradient_past_65504():
    # 40,000 gradients of 1 into each element sum exactly in float32 (a float16 accumulator
    # stops at 2048); 70,000 is past float16's largest value, so inf, as PyTorch
    for rows, expected in [(40000, 40000.0), (70000, float("inf"))]:
        b = tg.tensor([0.0, 0.0], dtype=tg.float16, requires_grad=True)
        (tg.zeros((rows, 2), dtype=tg.float16) + b).sum().backward()
        assert b.grad.dtype == tg.float16 and b.grad.tolist() == [expected, expected]


# ---- 3. optimizers on float16 parameters: PyTorch's single-tensor loops, op by op ----------
def _sgd_reference(p, grads, lr, momentum, weight_decay, nesterov):
    """PyTorch's _single_tensor_sgd with each float16 op in float32, rounded once (alpha
    rounded to float16 in add's kernel)."""
    def add(a, b, alpha):
        return _h(a.astype(S) + S(H(alpha)) * b.astype(S))
    buffer = None
    for g in grads:
        g = add(g, p, weight_decay)
        if buffer is None:
            buffer = g.copy()
        else:
            buffer = add(_h(buffer.astype(S) * S(momentum)), g, 1.0)
        g = add(g, buffer, momentum) if nesterov else buffer
        p = add(p, g, -lr)
    return p


_OPTIMIZERS = [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
               ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
               ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "maximize": True}),
               ("Adam", {"lr": 0.01}), ("Adam", {"lr": 0.01, "weight_decay": 0.01,
                                                 "amsgrad": True}),
               ("AdamW", {"lr": 0.01, "amsgrad": True}),
               ("RMSprop", {"lr": 0.01}),
               ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True,
                            "weight_decay": 0.1}),
               ("Adagrad", {"lr": 0.1, "lr_decay": 0.01})]


@pytest.mark.parametrize(("name", "options"), _OPTIMIZERS)
def test_float16_optimizer_steps_as_pytorch(name, options):
    # 288 elements, a multiple of 32: PyTorch's float16 add with alpha rounds alpha * other
    # to float16 first in its scalar tail (the last numel % 32 elements), not copied here
    p0 = _data((32, 9), 4, 1.0)
    grads = [_data((32, 9), 5 + k, 0.3) for k in range(4)]
    param = tg.nn.Parameter(tg.tensor(p0))
    opt = getattr(tg.optim, name)([param], **options)
    for g in grads:
        param.grad = tg.tensor(g)
        opt.step()
    assert param.dtype == tg.float16 and param.grad.dtype == tg.float16
    if name == "SGD" and not options.get("dampening"):
        expected = _sgd_reference(p0, grads, options["lr"], options.get("momentum", 0),
                                  options.get("weight_decay", 0), options.get("nesterov"))
        _same(param.detach().numpy(), expected)
    if torch is not None:
        tp = torch.nn.Parameter(torch.tensor(p0))
        topt = getattr(torch.optim, name)([tp], **options)
        for g in grads:
            tp.grad = torch.tensor(g)
            topt.step()
        _same(param.detach().numpy(), tp.detach().numpy())
        for key, value in topt.state[tp].items():
            if torch.is_tensor(value) and value.dtype == torch.float16:
                _same(opt.state[param][key].numpy(), value.numpy())


# ---- 4. lerp of float16 with a number weight --------------------------------------------------
def test_float16_lerp_weight_minus_one_in_float32():
    # weight >= 0.5: end + (w - 1)(end - start) with w - 1 computed in float32 from float32 w
    # (PyTorch's kernel); 1 - 0.9 computed in float64 first gave the second values 1 ulp off
    start = tg.tensor([0.10491943359375, -0.21875, -0.4365234375], dtype=tg.float16,
                      requires_grad=True)
    end = tg.tensor([0.0097808837890625, 0.00978851318359375, -0.005157470703125],
                    dtype=tg.float16, requires_grad=True)
    y = start.lerp(end, 0.9)
    assert y.dtype == tg.float16
    assert y.tolist() == [0.0193023681640625, -0.01306915283203125, -0.048309326171875]
    y.backward(tg.tensor([1.0, 2.0, -3.0], dtype=tg.float16))
    assert start.grad.numpy().tolist() == _h(np.array([0.1, 0.2, -0.3], S)).tolist()
    assert end.grad.numpy().tolist() == _h(np.array([0.9, 1.8, -2.7], S)).tolist()
    if torch is not None:
        ts = torch.tensor(start.detach().numpy(), requires_grad=True)
        te = torch.tensor(end.detach().numpy(), requires_grad=True)
        ty = ts.lerp(te, 0.9)
        ty.backward(torch.tensor([1.0, 2.0, -3.0], dtype=torch.float16))
        _same(y.detach().numpy(), ty.detach().numpy())
        _same(start.grad.numpy(), ts.grad.numpy())
        _same(end.grad.numpy(), te.grad.numpy())


# ---- 5. rms_norm of float16: the weight multiplied in float32, rounded once -------------------
def test_float16_rms_norm_weight_before_rounding():
    x, w = _data((6, 33), 6), _data((33,), 7, 1.0)
    y = tg.nn.functional.rms_norm(tg.tensor(x), (33,), tg.tensor(w))
    xs = x.astype(S)
    inv = 1 / np.sqrt((xs * xs).mean(-1, keepdims=True) + np.finfo(S).eps)
    _same(y.numpy(), _h(xs * inv * w.astype(S)))  # y rounded and then times w: ~26 % 1 ulp off
    if torch is not None:
        ty = torch.nn.functional.rms_norm(torch.tensor(x), (33,), torch.tensor(w))
        _same(y.numpy(), ty.numpy())


# ---- 6. mse_loss of float16: PyTorch's kernel, op by op ---------------------------------------
@pytest.mark.parametrize(("shape", "reduction"), [((16, 10), "mean"), ((300, 300), "mean"),
                                                  ((40, 7), "sum"), ((16, 10), "none")])
def test_float16_mse_loss_gradient_as_pytorch(shape, reduction):
    x, t = _data(shape, 8, 2.0), _data(shape, 9, 1.0)
    g = _data(() if reduction != "none" else shape, 10, 1.0)
    a, b = tg.tensor(x, requires_grad=True), tg.tensor(t, requires_grad=True)
    loss = tg.nn.functional.mse_loss(a, b, reduction=reduction)
    loss.backward(tg.tensor(g))
    squares = _h(_h(x.astype(S) - t.astype(S)).astype(S) ** 2)
    total = squares.astype(S).sum()
    expected = {"none": squares, "sum": total, "mean": total / S(squares.size)}[reduction]
    expected = _h(expected)
    _same(loss.detach().numpy(), expected)
    norm = H(2.0 / x.size if reduction == "mean" else 2.0)  # 2 / numel rounded to float16
    def grad(first, second):
        return _h(_h(S(norm) * _h(first.astype(S) - second.astype(S)).astype(S)).astype(S)
                  * g.astype(S))
    _same(a.grad.numpy(), grad(x, t))
    _same(b.grad.numpy(), grad(t, x))
    if torch is not None:
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
        tl = torch.nn.functional.mse_loss(ta, tb, reduction=reduction)
        tl.backward(torch.tensor(g))
        _same(loss.detach().numpy(), tl.detach().numpy())
        _same(a.grad.numpy(), ta.grad.numpy())
        _same(b.grad.numpy(), tb.grad.numpy())


def test_float16_mse_loss_double_backward():
    x, t = _data((5, 7), 11, 2.0), _data((5, 7), 12, 1.0)
    a = tg.tensor(x, requires_grad=True)
    (g,) = tg.autograd.grad(tg.nn.functional.mse_loss(a, tg.tensor(t)), a, create_graph=True)
    g.sum().backward()
    assert a.grad.dtype == tg.float16
    assert a.grad.numpy().tolist() == [[float(H(2 / 35))] * 7] * 5  # d/dx sum(2/35 (x - t))


# ---- 7. nn.Linear / F.linear of float16: the bias added in float32, rounded once ---------------
@pytest.mark.parametrize("shape", [(4, 8, 20), (32, 20)])
def test_float16_linear_bias_rounded_once(shape):
    x, w, b = _data(shape, 13, 1.0), _data((64, 20), 14, 0.2), _data((64,), 15, 0.2)
    y = tg.nn.functional.linear(tg.tensor(x), tg.tensor(w), tg.tensor(b))
    # products summed in float64 here (exact for these sizes up to float32's last bit)
    exact = (x.astype(np.float64) @ w.astype(np.float64).T + b).astype(S)
    rounded_twice = _h(_h(x.astype(np.float64) @ w.astype(np.float64).T).astype(S) + b)
    assert np.mean(y.numpy() != _h(exact)) < 0.01  # (float32 summation order: rare 1 ulp)
    assert np.mean(y.numpy() != rounded_twice) > 0.1
    if torch is not None:
        ty = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
        ulps = np.abs(_bits(y.numpy()).astype(np.int64) - _bits(ty.numpy()))
        assert ulps.max() <= 1 and np.mean(ulps > 0) < 0.01  # (its BLAS's summation order)


# ---- 8. cross_entropy of float16 logits: PyTorch's nll and log_softmax backward ---------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_float16_cross_entropy_gradient(reduction):
    x = _data((16, 10), 16, 3.0)
    target = np.random.default_rng(17).integers(0, 10, 16)
    g = _data(() if reduction != "none" else (16,), 18, 1.0)
    a = tg.tensor(x, requires_grad=True)
    loss = tg.nn.functional.cross_entropy(a, tg.tensor(target), reduction=reduction)
    loss.backward(tg.tensor(g))
    w = x.astype(S)
    w = w - w.max(1, keepdims=True)
    total = _h(np.exp(w).sum(1, keepdims=True)).astype(S)  # round 19: PyTorch's kernel keeps
    log_probs = _h(w - _h(np.log(total)).astype(S))  # the sum and its log as float16
    if reduction == "mean":
        picked = -np.full((16, 1), S(g / H(16)))
    else:
        picked = -np.broadcast_to(g.astype(S), (16,)).reshape(16, 1)
    expected = -np.exp(log_probs.astype(S)) * picked
    expected[np.arange(16), target] += picked[:, 0]
    _same(a.grad.numpy(), _h(expected))
    if torch is not None:  # (SLEEF's float32 exp can still round a float16 subnormal apart)
        ta = torch.tensor(x, requires_grad=True)
        torch.nn.functional.cross_entropy(ta, torch.tensor(target), reduction=reduction).backward(
            torch.tensor(g))  # (it was ~50 % of the values before round 17, ~9 % before 19)
        assert np.mean(a.grad.numpy() != ta.grad.numpy()) < 0.01


# ---- 9. conv2d / conv1d of float16: bias in float32, dW summed sample by sample ---------------
def _conv_reference(x, w, b, g):
    """Direct loops in float32 (padding 1, stride 1): y and PyTorch's dW (each sample's
    float32 dW added to a float16 sum, rounded after each sample)."""
    n, c, height, width = x.shape
    padded = np.pad(x.astype(S), ((0, 0), (0, 0), (1, 1), (1, 1)))
    patches = np.stack([padded[:, :, i:i + height, j:j + width] for i in range(3)
                        for j in range(3)], axis=2)  # (N, C, 9, H, W)
    wide = np.einsum("nckhw,ock->nohw", patches, w.astype(S).reshape(w.shape[0], c, 9))
    y = _h(wide + b.astype(S)[:, None, None])
    total = np.zeros(w.shape, H)
    for sample in range(n):
        per = np.einsum("ohw,ckhw->ock", g[sample].astype(S), patches[sample])
        total = _h(total.astype(S) + per.reshape(w.shape))
    return y, total


def test_float16_conv2d_bias_and_weight_gradient():
    x, w, b = _data((6, 3, 8, 8), 19, 1.0), _data((5, 3, 3, 3), 20, 0.3), _data((5,), 21, 0.3)
    g = _data((6, 5, 8, 8), 22, 1.0)
    tw = tg.tensor(w, requires_grad=True)
    y = tg.nn.functional.conv2d(tg.tensor(x), tw, tg.tensor(b), padding=1)
    y.backward(tg.tensor(g))
    expected_y, expected_dw = _conv_reference(x, w, b, g)
    assert np.mean(y.numpy() != expected_y) < 0.005  # (float32 summation order: rare 1 ulp)
    assert np.mean(tw.grad.numpy() != expected_dw) < 0.02
    if torch is not None:
        ttw = torch.tensor(w, requires_grad=True)
        ty = torch.nn.functional.conv2d(torch.tensor(x), ttw, torch.tensor(b), padding=1)
        ty.backward(torch.tensor(g))
        ulps = np.abs(_bits(y.numpy()).astype(np.int64) - _bits(ty.detach().numpy()))
        assert ulps.max() <= 1 and np.mean(ulps > 0) < 0.005
        _same(tw.grad.numpy(), ttw.grad.numpy())


# ---- 10. number ** float16 tensor: the gradient's log(base) in float32 ------------------------
@pytest.mark.parametrize("base", [2, 2.5, 0.5])
def test_float16_number_power_gradient(base):
    x, g = _data((8, 33), 23, 3.0), _data((8, 33), 24, 1.0)
    a = tg.tensor(x, requires_grad=True)
    y = base ** a
    y.backward(tg.tensor(g))
    log_base = S(np.log(base))  # rounded to float16 first, ~30 % were 1-2 ulps off
    _same(a.grad.numpy(), _h(g.astype(S) * _h(y.detach().numpy().astype(S) * log_base)))
    if torch is not None:
        ta = torch.tensor(x, requires_grad=True)
        (base ** ta).backward(torch.tensor(g))
        _same(a.grad.numpy(), ta.grad.numpy())


# ---- 11. logsumexp of float16: PyTorch's gradient g exp(x - y) in float16 steps ---------------
@pytest.mark.parametrize(("dim", "keepdim"), [(1, False), (0, True), ((0, 1), False)])
def test_float16_logsumexp_gradient(dim, keepdim):
    x = _data((8, 33), 25, 3.0)
    a = tg.tensor(x, requires_grad=True)
    y = a.logsumexp(dim, keepdim=keepdim)
    g = _data(tuple(y.shape), 26, 1.0)
    y.backward(tg.tensor(g))
    axes = dim if isinstance(dim, tuple) else (dim,)
    shift = x.max(axis=axes, keepdims=True)
    total = np.exp(x - shift).astype(S).sum(axis=axes, keepdims=True)
    expected_y = np.log(_h(total)) + shift  # float16 steps (NumPy's float16 ops round each)
    _same(y.detach().numpy(), expected_y.reshape(y.shape))
    _same(a.grad.numpy(), g.reshape(expected_y.shape) * np.exp(x - expected_y))
    if torch is not None:
        ta = torch.tensor(x, requires_grad=True)
        torch.logsumexp(ta, dim, keepdim=keepdim).backward(torch.tensor(g))
        _same(a.grad.numpy(), ta.grad.numpy())


def test_float16_addmm_bias_row_rounded_once():
    x, w, b = _data((32, 20), 27, 1.0), _data((20, 64), 28, 0.2), _data((64,), 29, 0.2)
    y = tg.addmm(tg.tensor(b), tg.tensor(x), tg.tensor(w))
    exact = (x.astype(np.float64) @ w.astype(np.float64) + b).astype(S)
    rounded_twice = _h(_h(x.astype(np.float64) @ w.astype(np.float64)).astype(S) + b)
    assert np.mean(y.numpy() != _h(exact)) < 0.01
    assert np.mean(y.numpy() != rounded_twice) > 0.1


# ---- 12. var / std of float16: PyTorch's var_backward / std_backward in float16 steps ---------
@pytest.mark.parametrize(("op", "dim", "correction"), [("var", 1, 1), ("var", None, 0),
                                                       ("std", 1, 1), ("std", 0, 0)])
def test_float16_var_std_gradient(op, dim, correction):
    x = _data((8, 33), 30, 3.0)
    a = tg.tensor(x, requires_grad=True)
    y = getattr(a, op)(dim, correction=correction, keepdim=True)
    g = _data(tuple(y.shape), 31, 1.0)
    y.backward(tg.tensor(g))
    count = x.size // y.numel()
    grad = g
    if op == "std":
        grad = _h(g.astype(S) / (y.detach().numpy().astype(S) * 2))
    mean = _h(x.astype(S).sum(axis=dim, keepdims=True) / S(count))
    scaled = _h(grad.astype(S) * S(2.0 / (count - correction)))
    _same(a.grad.numpy(), _h(scaled.astype(S) * _h(x.astype(S) - mean.astype(S)).astype(S)))
    if torch is not None:
        ta = torch.tensor(x, requires_grad=True)
        getattr(ta, op)(dim, correction=correction, keepdim=True).backward(torch.tensor(g))
        _same(a.grad.numpy(), ta.grad.numpy())


# ---- 13. norm's gradient g (x / y), PyTorch's order (float16 and float32 bits) ----------------
@pytest.mark.parametrize("dtype", [H, S])
def test_norm_gradient_order(dtype):
    x, g = _data((8, 33), 32, 3.0).astype(dtype), _data((8, 1), 33, 1.0).astype(dtype)
    a = tg.tensor(x, requires_grad=True)
    y = a.norm(dim=1, keepdim=True)
    y.backward(tg.tensor(g))
    yv = y.detach().numpy()
    expected = g * (x / yv)  # NumPy rounds each step in the dtype ((g x) / y: ~30 % differ)
    np.testing.assert_array_equal(a.grad.numpy(), expected)
    if torch is not None:
        ta = torch.tensor(x, requires_grad=True)
        ta.norm(dim=1, keepdim=True).backward(torch.tensor(g))
        np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())


# ---- 14. binary_cross_entropy_with_logits of float16: PyTorch's backward steps ----------------
@pytest.mark.parametrize(("shape", "reduction"), [((16, 10), "mean"), ((300, 300), "mean"),
                                                  ((16, 10), "sum"), ((16, 10), "none")])
def test_float16_bce_with_logits_gradient(shape, reduction):
    x = _data(shape, 34, 3.0)
    y = (np.random.default_rng(35).random(shape) > 0.5).astype(H)
    a, b = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    loss = tg.nn.functional.binary_cross_entropy_with_logits(a, b, reduction=reduction)
    g = _data(tuple(loss.shape), 36, 1.0)
    loss.backward(tg.tensor(g))
    count = S(x.size if reduction == "mean" else 1)
    sigmoid = _h(1 / (1 + np.exp(-x.astype(S))))
    grad_x = _h(_h((sigmoid - y).astype(S) * g.astype(S)).astype(S) / count)  # ~30 % differed
    grad_y = _h(_h(-x.astype(S) * g.astype(S)).astype(S) / count)
    _same(a.grad.numpy(), grad_x)
    _same(b.grad.numpy(), grad_y)
    if torch is not None:
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
        tl = torch.nn.functional.binary_cross_entropy_with_logits(ta, tb, reduction=reduction)
        tl.backward(torch.tensor(g))
        if reduction != "none":  # (per element, PyTorch's float16 loss differs in ~30 %)
            _near_torch(loss.detach().numpy(), tl.detach().numpy())
        _near_torch(a.grad.numpy(), ta.grad.numpy())
        _near_torch(b.grad.numpy(), tb.grad.numpy())
