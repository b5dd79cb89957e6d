"""Round 18 (losses): dtype rules, warnings, error texts and target gradients of torch.nn's
losses, against PyTorch 2.13 (and against values worked out by hand where PyTorch is absent)."""

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
RNG = np.random.default_rng(18)
X = RNG.normal(size=(4, 3))
Y = np.sign(RNG.normal(size=(4, 3)))


def _both(name, x, y, **kwargs):
    """(ours, PyTorch's) result of F.<name>(x, y, **kwargs), inputs given as arrays."""
    ours = getattr(F, name)(tg.tensor(x), tg.tensor(y), **kwargs)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y), **kwargs)
    return ours, theirs


# ------------------------------------------------------------ result dtypes as PyTorch's
MIXED = [(np.float32, np.float64), (np.float64, np.float32), (np.float16, np.float32),
         (np.float32, np.float16)]


@needs_torch
@pytest.mark.parametrize("input_dtype, target_dtype", MIXED)
@pytest.mark.parametrize("name", ["huber_loss", "soft_margin_loss",
                                  "binary_cross_entropy_with_logits", "mse_loss",
                                  "smooth_l1_loss"])
def test_mixed_float_dtypes_give_pytorchs_result_dtype_and_value(name, input_dtype,
                                                                  target_dtype):
    # huber_loss and soft_margin_loss keep the input's dtype, BCE-with-logits takes the
    # target's, mse and smooth_l1 promote: PyTorch's rules, which differ per loss
    target = (Y > 0).astype(target_dtype) if "binary" in name else Y.astype(target_dtype)
    for reduction in ("none", "sum"):
        ours, theirs = _both(name, X.astype(input_dtype), target, reduction=reduction)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float),
                                   rtol=2e-3, atol=2e-3)


@needs_torch
@pytest.mark.parametrize("name", ["huber_loss", "soft_margin_loss"])
def test_input_dtype_losses_still_differentiate_in_the_input_dtype(name):
    x = tg.tensor(X.astype(np.float32), requires_grad=True)
    target = tg.tensor(Y)  # float64 target, float32 input
    getattr(F, name)(x, target).backward()
    tx = torch.tensor(X.astype(np.float32), requires_grad=True)
    getattr(torch.nn.functional, name)(tx, torch.tensor(Y).float()).backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_bce_with_logits_result_takes_the_target_dtype_with_weights_too():
    x = tg.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = tg.tensor([1.0, 0.0], dtype=tg.float16)
    for kwargs in ({}, {"weight": tg.tensor([2.0, 2.0])}, {"pos_weight": tg.tensor([2.0, 2.0])}):
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="none", **kwargs)
        assert loss.dtype == tg.float16
    # by hand: log(1 + e^-1) = 0.31326, log(1 + e^2) = 2.12693 (float16 rounding)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, reduction="none")
                               .numpy().astype(float), [0.31326, 2.12693], rtol=1e-3)
    F.binary_cross_entropy_with_logits(x, y).backward()
    assert x.grad.dtype == tg.float32
    s = 1 / (1 + np.exp(-np.array([1.0, 2.0])))
    np.testing.assert_allclose(x.grad.numpy(), (s - [1, 0]) / 2, rtol=1e-3)


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss"])
def test_bool_targets_count_as_zero_and_one(name):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = getattr(F, name)(x, tg.tensor([True, False]), reduction="none")
    assert loss.dtype == tg.float32
    expected = {"mse_loss": [0.0, 4.0], "smooth_l1_loss": [0.0, 1.5], "huber_loss": [0.0, 1.5]}
    np.testing.assert_allclose(loss.detach().numpy(), expected[name])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), {"mse_loss": [0.0, 4.0]}.get(name, [0.0, 1.0]))


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss"])
def test_integer_input_and_target_is_not_implemented_as_pytorch(name):
    with pytest.raises(NotImplementedError, match=f"{name}: not implemented for int64"):
        getattr(F, name)(tg.tensor([1, 2]), tg.tensor([1, 0]))
    # an integer input with a float target is promoted, as PyTorch
    loss = getattr(F, name)(tg.tensor([1, 2]), tg.tensor([1.0, 0.0]), reduction="sum")
    assert loss.item() == {"mse_loss": 4.0, "smooth_l1_loss": 1.5}[name]
    assert F.l1_loss(tg.tensor([1, 2]), tg.tensor([1, 0]), reduction="sum").item() == 2


@needs_torch
@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss"])
def test_integer_losses_error_type_matches_pytorch(name):
    with pytest.raises(NotImplementedError):
        getattr(torch.nn.functional, name)(torch.tensor([1, 2]), torch.tensor([1, 0]))


# ------------------------------------------------------------------- kl_div
def test_kl_div_mean_warns_as_pytorch_and_batchmean_does_not():
    lp, q = tg.tensor(np.log([[0.2, 0.8]])), tg.tensor([[0.5, 0.5]])
    with pytest.warns(UserWarning, match="'mean' divides the total loss by both the batch size"):
        F.kl_div(lp, q)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        nn.KLDivLoss()(lp, q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(lp, q, reduction="batchmean")
        F.kl_div(lp, q, reduction="sum")
        F.kl_div(lp, q, reduction="none")
    with pytest.warns(UserWarning) as record:  # legacy flags: only their own warning
        F.kl_div(lp, q, size_average=True)
    assert not any("support size" in str(w.message) for w in record)


def test_kl_div_target_gradient_at_a_zero_target_is_nan_as_pytorchs_xlogy():
    # d/dt [t (log t - x)] = log t + 1 - x: -inf at t = 0, PyTorch's xlogy backward gives NaN
    x = tg.tensor([-1.0, -2.0, -0.5], requires_grad=True)
    t = tg.tensor([0.0, 0.5, 2.0], requires_grad=True)
    loss = F.kl_div(x, t, reduction="sum")
    np.testing.assert_allclose(loss.item(), 0.5 * (np.log(0.5) + 2) + 2 * (np.log(2) + 0.5))
    gx, gt = tg.autograd.grad(loss, (x, t), create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), [0.0, -0.5, -2.0])
    assert np.isnan(gt.detach().numpy()[0])
    np.testing.assert_allclose(gt.detach().numpy()[1:], [np.log(0.5) + 1 + 2, np.log(2) + 1.5])
    (second,) = tg.autograd.grad(gt[1:].sum(), t)
    np.testing.assert_allclose(second.numpy()[1:], [2.0, 0.5])  # 1 / t (NaN at 0, as PyTorch)


@needs_torch
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean"])
def test_kl_div_target_gradients_match_pytorch(reduction):
    lp = np.log(RNG.dirichlet(np.ones(3), size=4))
    q = RNG.dirichlet(np.ones(3), size=4)
    q[0, 0] = 0
    x, t = tg.tensor(lp, requires_grad=True), tg.tensor(q, requires_grad=True)
    tx, tt = torch.tensor(lp, requires_grad=True), torch.tensor(q, requires_grad=True)
    out = F.kl_div(x, t, reduction=reduction)
    tout = torch.nn.functional.kl_div(tx, tt, reduction=reduction)
    v = RNG.normal(size=tuple(out.shape))
    ours = tg.autograd.grad(out, (x, t), grad_outputs=tg.tensor(v))
    theirs = torch.autograd.grad(tout, (tx, tt), grad_outputs=torch.tensor(v))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, equal_nan=True)


# ------------------------------------------------------------ cross_entropy label smoothing
@needs_torch
@pytest.mark.parametrize("probabilities", [False, True])
def test_negative_label_smoothing_means_none_as_pytorch(probabilities):
    z = RNG.normal(size=(3, 4))
    target = RNG.dirichlet(np.ones(4), size=3) if probabilities else np.array([0, 1, 3])
    ours = F.cross_entropy(tg.tensor(z), tg.tensor(target), label_smoothing=-0.1)
    plain = F.cross_entropy(tg.tensor(z), tg.tensor(target))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(target),
                                               label_smoothing=-0.1)
    assert ours.item() == pytest.approx(plain.item(), rel=1e-12)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    with pytest.raises(RuntimeError, match=r"label_smoothing must be between 0.0 and 1.0. Got"):
        F.cross_entropy(tg.tensor(z), tg.tensor(target), label_smoothing=1.5)


# --------------------------------------------------------------------- PyTorch's texts
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_broadcast_warning_uses_pytorchs_words(name):
    with pytest.warns(UserWarning, match=r"Using a target size \(4,\) that is different to the "
                      r"input size \(4, 1\)\. This will likely lead to incorrect results due to "
                      r"broadcasting"):
        getattr(F, name)(tg.tensor(np.ones((4, 1))), tg.tensor(np.zeros(4)))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_bce_size_mismatch_is_a_value_error_with_pytorchs_words(name):
    with pytest.raises(ValueError, match=r"Using a target size \(4,\) that is different to the "
                       r"input size \(4, 1\)"):
        getattr(F, name)(tg.tensor(np.full((4, 1), 0.5)), tg.tensor(np.zeros(4)))


@pytest.mark.parametrize("bad", [1.5, -0.5, float("nan")])
def test_bce_input_outside_unit_interval_has_pytorchs_text(bad):
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([bad, 0.2]), tg.tensor([1.0, 0.0]))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        nn.BCELoss()(tg.tensor([bad, 0.2]), tg.tensor([1.0, 0.0]))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "kl_div", "binary_cross_entropy",
                                  "soft_margin_loss"])
def test_invalid_reduction_names_it_as_pytorch(name):
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        getattr(F, name)(tg.tensor([0.5]), tg.tensor([1.0]), reduction="avg")


@needs_torch
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy"])
def test_invalid_reduction_is_pytorchs_value_error(name):
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        getattr(torch.nn.functional, name)(torch.tensor([0.5]), torch.tensor([1.0]),
                                           reduction="avg")


# ------------------------------------------------------------- triplet margin, class-id dtypes
@pytest.mark.parametrize("margin", [0.0, -1.0])
def test_triplet_margin_must_be_positive_as_pytorch(margin):
    a = tg.tensor(X)
    with pytest.raises(ValueError, match=f"margin must be greater than 0, got {margin}"):
        F.triplet_margin_loss(a, a, a, margin=margin)
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=margin)
    # ATen's torch.triplet_margin_loss takes it: max(0, 0 - 0 + margin) = 0 here
    assert tg.triplet_margin_loss(a, a, a, margin, 2.0, 1e-6, False, 1).item() == 0.0


@needs_torch
@pytest.mark.parametrize("margin", [0.0, -1.0])
def test_triplet_margin_errors_are_pytorchs(margin):
    a = torch.tensor(X)
    with pytest.raises(ValueError, match=f"margin must be greater than 0, got {margin}"):
        torch.nn.functional.triplet_margin_loss(a, a, a, margin=margin)
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        torch.nn.TripletMarginLoss(margin=margin)


@pytest.mark.parametrize("dtype", [tg.int32, tg.uint8])
def test_margin_losses_want_int64_class_ids_as_pytorch(dtype):
    x = tg.tensor(X)
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        F.multi_margin_loss(x, tg.tensor([0, 1, 2, 1], dtype=dtype))
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        F.multilabel_margin_loss(x, tg.tensor([[0, 2, 1]] * 4, dtype=dtype))
    # int64 tensors and plain lists are taken: by hand, row 0 of X against class 0
    loss = F.multi_margin_loss(x[:1], tg.tensor([0]), reduction="sum").item()
    expected = sum(max(0.0, 1 - X[0, 0] + X[0, i]) for i in (1, 2)) / 3
    assert loss == pytest.approx(expected, rel=1e-12)
    assert F.multi_margin_loss(x[:1], [0], reduction="sum").item() == pytest.approx(expected)


@needs_torch
@pytest.mark.parametrize("dtype", ["int32", "uint8"])
def test_margin_losses_int64_rule_is_pytorchs(dtype):
    x = torch.tensor(X)
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        torch.nn.functional.multi_margin_loss(x, torch.tensor([0, 1, 2, 1],
                                                              dtype=getattr(torch, dtype)))


def test_float16_weighted_mean_past_65504_is_silent():
    # the summed weights overflow float16 (PyTorch's result is its 0 / inf too): no NumPy warning
    z = tg.tensor(np.full((70000, 2), -0.5, dtype=np.float16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.nll_loss(z, tg.tensor(np.zeros(70000, dtype=np.int64)),
                   weight=tg.tensor(np.ones(2, dtype=np.float16)))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_uint8_class_ids_only_for_the_plain_form_as_pytorch(name):
    z = tg.tensor(RNG.normal(size=(2, 3, 2)))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Byte"):
        getattr(F, name)(z, tg.tensor(np.zeros((2, 2), dtype=np.uint8)))
    flat = tg.tensor(RNG.normal(size=(2, 3)))  # (N, C): uint8 ids are taken
    ids = tg.tensor(np.array([2, 0], dtype=np.uint8))
    expected = {"cross_entropy": -flat.log_softmax(1).numpy()[[0, 1], [2, 0]].mean(),
                "nll_loss": -flat.numpy()[[0, 1], [2, 0]].mean()}[name]
    assert getattr(F, name)(flat, ids).item() == pytest.approx(expected, rel=1e-12)


@needs_torch
def test_uint8_k_dim_class_ids_error_is_pytorchs():
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Byte"):
        torch.nn.functional.cross_entropy(torch.randn(2, 3, 2),
                                          torch.zeros(2, 2, dtype=torch.uint8))


@pytest.mark.parametrize("shape, target_shape", [((3, 4), (3,)), ((3, 4, 2), (3, 2))])
def test_float_class_ids_get_a_hint_to_convert_them(shape, target_shape):
    with pytest.raises(RuntimeError, match=r"class ids must be integers: target.long\(\) "
                       r"\(PyTorch: expected target dtype to be Long or Byte, but got Float\)"):
        F.cross_entropy(tg.tensor(RNG.normal(size=shape)), tg.zeros(*target_shape))
    with pytest.raises(RuntimeError) as caught:  # a wrong probability shape: no such hint
        F.cross_entropy(tg.tensor(RNG.normal(size=(3, 4))), tg.zeros(3, 3))
    assert "target.long()" not in str(caught.value)


# ------------------------------------------------------------ loss modules' reduction
MODULES = ["L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "HuberLoss",
           "SoftMarginLoss", "MultiMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CTCLoss"]


@pytest.mark.parametrize("name", MODULES)
def test_a_loss_module_stores_its_reduction_as_given_and_its_call_checks_it(name):
    criterion = getattr(nn, name)(reduction="avg")  # PyTorch constructs it
    assert criterion.reduction == "avg"
    if name in ("HuberLoss", "GaussianNLLLoss", "CTCLoss"):  # (no legacy flags, as PyTorch)
        return
    with pytest.warns(UserWarning, match="please use reduction='sum'"):
        assert getattr(nn, name)(size_average=False).reduction == "sum"


def test_a_bad_module_reduction_is_refused_at_the_call():
    x = tg.tensor(X)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")(x, x)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")(x, tg.tensor([0, 1, 2, 1]))
    with pytest.warns(UserWarning, match="elementwise_mean' is deprecated"):
        loss = nn.L1Loss(reduction="elementwise_mean")(x, tg.zeros(4, 3))
    assert loss.item() == pytest.approx(np.abs(X).mean(), rel=1e-12)


@needs_torch
@pytest.mark.parametrize("name", MODULES)
def test_pytorch_loss_modules_take_any_reduction_string(name):
    assert getattr(torch.nn, name)(reduction="avg").reduction == "avg"


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_unbatched_input_takes_a_one_element_target_as_pytorch(name):
    z = RNG.normal(size=4)
    scores = z - np.log(np.exp(z).sum()) if name == "cross_entropy" else z
    for target in (tg.tensor(2), tg.tensor([2])):
        for reduction in ("none", "mean", "sum"):
            loss = getattr(F, name)(tg.tensor(z), target, reduction=reduction)
            assert loss.shape == ()
            assert loss.item() == pytest.approx(-scores[2], rel=1e-12)
    with pytest.raises(ValueError):
        getattr(F, name)(tg.tensor(z), tg.tensor([2, 1]))


@needs_torch
def test_unbatched_one_element_target_value_is_pytorchs():
    z = RNG.normal(size=4)
    theirs = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor([2]),
                                               reduction="none")
    ours = F.cross_entropy(tg.tensor(z), tg.tensor([2]), reduction="none")
    assert tuple(ours.shape) == tuple(theirs.shape) == ()
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)


@pytest.mark.parametrize("argument", ["weight", "pos_weight"])
def test_a_weight_that_does_not_broadcast_names_the_loss_and_argument(argument):
    x, y = tg.zeros(2, 3, 4, 4), tg.zeros(2, 3, 4, 4)
    with pytest.raises(RuntimeError, match=rf"binary_cross_entropy_with_logits: {argument} of "
                       r"shape \(3,\) does not broadcast with the input of shape \(2, 3, 4, 4\)"):
        F.binary_cross_entropy_with_logits(x, y, **{argument: tg.ones(3)})
    # (3, 1, 1): one per channel, as PyTorch broadcasts it
    loss = F.binary_cross_entropy_with_logits(x, y, **{argument: tg.ones(3, 1, 1)})
    assert loss.item() == pytest.approx(np.log(2))
    with pytest.raises(RuntimeError, match=r"binary_cross_entropy: weight of shape \(3,\)"):
        F.binary_cross_entropy(x + 0.5, y, weight=tg.ones(3))


@pytest.mark.parametrize("call, words", [
    (lambda x: F.gaussian_nll_loss(x, tg.zeros(2, 3), tg.ones(4, 3)), "gaussian_nll_loss"),
    (lambda x: F.hinge_embedding_loss(x, tg.zeros(2, 3)), "hinge_embedding_loss"),
    (lambda x: F.multilabel_soft_margin_loss(x, tg.zeros(2, 3)), "multilabel_soft_margin_loss"),
    (lambda x: F.margin_ranking_loss(x[:, 0], x[:3, 0], tg.ones(4)), "margin_ranking_loss"),
])
def test_a_target_that_does_not_broadcast_names_the_loss(call, words):
    with pytest.raises(RuntimeError, match=rf"{words}: .*do(es)? not broadcast"):
        call(tg.zeros(4, 3))


@pytest.mark.parametrize("call", [
    lambda x, r: F.poisson_nll_loss(x, x.abs(), reduction=r),
    lambda x, r: F.multilabel_soft_margin_loss(x, (x > 0).double(), reduction=r),
    lambda x, r: F.triplet_margin_with_distance_loss(x, x, x, reduction=r),
])
def test_python_written_losses_refuse_elementwise_mean_as_pytorch(call):
    x = tg.tensor(X)
    with pytest.raises(ValueError, match="elementwise_mean is not a valid value for reduction"):
        call(x, "elementwise_mean")
    with pytest.warns(UserWarning, match="elementwise_mean' is deprecated"):  # (the others)
        assert F.l1_loss(x, x, reduction="elementwise_mean").item() == 0.0


@needs_torch
def test_pytorch_poisson_nll_loss_refuses_elementwise_mean():
    x = torch.tensor(X)
    with pytest.raises(ValueError, match="elementwise_mean is not a valid value for reduction"):
        torch.nn.functional.poisson_nll_loss(x, x.abs(), reduction="elementwise_mean")


def test_gaussian_nll_loss_takes_an_int_variance_as_a_float():
    x, y = tg.tensor([[1.0, 2.0]]), tg.tensor([[0.0, 0.0]])
    # 0.5 (log var + d^2 / var): var 2 gives 0.5 (log 2 + 0.5) and 0.5 (log 2 + 2)
    expected = 0.5 * (np.log(2) + 0.5 + np.log(2) + 2) / 2
    assert F.gaussian_nll_loss(x, y, 2).item() == pytest.approx(expected, rel=1e-6)
    assert F.gaussian_nll_loss(x, y, 2.0).item() == pytest.approx(expected, rel=1e-6)
