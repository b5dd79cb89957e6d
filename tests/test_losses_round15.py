"""Round 15 of the losses against what probers found: PyTorch's dtype rules of the BCE
losses, kl_div and logaddexp (integer and bool operands refused), class-index targets of
int64 or uint8 only, class probabilities with an ignore_index refused, the NaN gradient of a
weighted mean whose counted targets all have class weight 0, shape errors naming the loss,
and soft_margin_loss's target not differentiable. Each test compares with PyTorch when it is
installed and with fixed values otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]


def _functional(lib):
    return F if lib is tg else torch.nn.functional


def _raises(lib, error, call):
    with pytest.raises(error):
        call(lib, _functional(lib))


PROBS = [0.2, 0.7, 0.9]
REFUSED = {
    "bce int input": lambda L, f: f.binary_cross_entropy(L.tensor([1, 0, 1]), L.tensor(PROBS)),
    "bce int target": lambda L, f: f.binary_cross_entropy(L.tensor(PROBS), L.tensor([1, 0, 1])),
    "bce bool target": lambda L, f: f.binary_cross_entropy(
        L.tensor(PROBS), L.tensor([True, False, True])),
    "bce float64 target": lambda L, f: f.binary_cross_entropy(
        L.tensor(PROBS), L.tensor(PROBS, dtype=L.float64)),
    "bce float16 target": lambda L, f: f.binary_cross_entropy(
        L.tensor(PROBS), L.tensor(PROBS, dtype=L.float16)),
    "bce_with_logits int input": lambda L, f: f.binary_cross_entropy_with_logits(
        L.tensor([1, 0, 1]), L.tensor(PROBS)),
    "bce_with_logits int target": lambda L, f: f.binary_cross_entropy_with_logits(
        L.tensor(PROBS), L.tensor([1, 0, 1])),
    "bce_with_logits bool target": lambda L, f: f.binary_cross_entropy_with_logits(
        L.tensor(PROBS), L.tensor([True, False, True])),
    "kl_div int target": lambda L, f: f.kl_div(L.tensor(PROBS), L.tensor([1, 0, 1]),
                                               reduction="sum"),
    "kl_div int input": lambda L, f: f.kl_div(L.tensor([1, 0, 1]), L.tensor(PROBS),
                                              reduction="sum"),
    "kl_div bool target": lambda L, f: f.kl_div(L.tensor(PROBS), L.tensor([True, False, True]),
                                                reduction="sum"),
    "logaddexp int": lambda L, f: L.logaddexp(L.tensor([1, 2]), L.tensor([3, 4])),
    "logaddexp bool": lambda L, f: L.logaddexp(L.tensor([True]), L.tensor([False])),
    "logaddexp2 int": lambda L, f: L.logaddexp2(L.tensor([1, 2]), L.tensor([3, 4])),
    "cross_entropy int32 ids": lambda L, f: f.cross_entropy(
        L.zeros(2, 3), L.tensor([1, 0], dtype=L.int32)),
    "cross_entropy int16 ids": lambda L, f: f.cross_entropy(
        L.zeros(2, 3), L.tensor([1, 0], dtype=L.int16)),
    "cross_entropy int8 ids, weighted": lambda L, f: f.cross_entropy(
        L.zeros(2, 3), L.tensor([1, 0], dtype=L.int8), weight=L.ones(3)),
    "nll_loss int32 ids": lambda L, f: f.nll_loss(L.zeros(2, 3), L.tensor([1, 0], dtype=L.int32)),
    "cross_entropy probabilities with ignore_index": lambda L, f: f.cross_entropy(
        L.zeros(2, 3), L.full((2, 3), 1 / 3), ignore_index=1),
    "kl_div shapes": lambda L, f: f.kl_div(L.ones(2), L.ones(3), reduction="sum"),
    "poisson_nll_loss shapes": lambda L, f: f.poisson_nll_loss(L.ones(2), L.ones(3)),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
@pytest.mark.parametrize("lib", LIBS)
def test_refused_as_pytorch(lib, case):
    _raises(lib, RuntimeError, REFUSED[case])


def test_the_errors_name_the_loss():
    with pytest.raises(RuntimeError, match="kl_div.*shape"):
        REFUSED["kl_div shapes"](tg, F)
    with pytest.raises(RuntimeError, match="poisson_nll_loss.*shape"):
        REFUSED["poisson_nll_loss shapes"](tg, F)
    with pytest.raises(RuntimeError, match="cross_entropy.*int32"):
        REFUSED["cross_entropy int32 ids"](tg, F)


ACCEPTED = {
    "cross_entropy uint8 ids": lambda L, f: f.cross_entropy(
        L.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0]]), L.tensor([1, 2], dtype=L.uint8)),
    "cross_entropy probabilities, default ignore_index": lambda L, f: f.cross_entropy(
        L.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0]]), L.tensor([[0.2, 0.3, 0.5], [1, 0, 0.0]])),
    "cross_entropy int64 ids with ignore_index": lambda L, f: f.cross_entropy(
        L.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 3.0]]), L.tensor([1, 2]), ignore_index=2),
    "logaddexp int and float": lambda L, f: L.logaddexp(L.tensor([1, 2]), L.tensor(0.5)),
    "bce_with_logits float64 target": lambda L, f: f.binary_cross_entropy_with_logits(
        L.tensor(PROBS, dtype=L.float64), L.tensor(PROBS, dtype=L.float64)),
    "kl_div float64 target": lambda L, f: f.kl_div(
        L.tensor(PROBS, dtype=L.float64), L.tensor(PROBS, dtype=L.float64), reduction="sum"),
    "kl_div broadcast target": lambda L, f: f.kl_div(L.ones(2, 1), L.full((3,), 0.5),
                                                     reduction="sum"),
    "poisson_nll_loss broadcast target": lambda L, f: f.poisson_nll_loss(L.ones(2, 1),
                                                                         L.ones(3)),
}
EXPECTED = {  # (PyTorch 2.13's values)
    "cross_entropy uint8 ids": 0.317107, "cross_entropy probabilities, default ignore_index":
    2.292108, "cross_entropy int64 ids with ignore_index": 0.464369,
    "bce_with_logits float64 target": 0.600826, "kl_div float64 target": -2.006385,
    "kl_div broadcast target": -5.079442, "poisson_nll_loss broadcast target": 1.718282,
    "logaddexp int and float": [1.474077, 2.201413],
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted_as_pytorch(case):
    ours = ACCEPTED[case](tg, F).detach().numpy()
    if case in EXPECTED:
        np.testing.assert_allclose(ours, EXPECTED[case], atol=2e-6)
    if torch is not None:
        theirs = ACCEPTED[case](torch, torch.nn.functional).detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


WEIGHTED_ZERO = {  # the counted targets all of class weight 0: mean = 0 / 0
    "cross_entropy smoothed": lambda L, f, x: f.cross_entropy(
        x, L.tensor([0]), weight=L.tensor([0.0, 1, 1, 1]), label_smoothing=0.2),
    "cross_entropy": lambda L, f, x: f.cross_entropy(x, L.tensor([0]),
                                                     weight=L.tensor([0.0, 1, 1, 1])),
    "nll_loss": lambda L, f, x: f.nll_loss(x, L.tensor([0]), weight=L.tensor([0.0, 1, 1, 1])),
    "every target ignored": lambda L, f, x: f.cross_entropy(x, L.tensor([-100])),
    "every target ignored, smoothed": lambda L, f, x: f.cross_entropy(
        x, L.tensor([-100]), label_smoothing=0.2),
    "weight 0, sum": lambda L, f, x: f.cross_entropy(
        x, L.tensor([0]), weight=L.tensor([0.0, 1, 1, 1]), reduction="sum"),
}
NAN = float("nan")
WEIGHTED_ZERO_GRADS = {  # (PyTorch 2.13's)
    "cross_entropy smoothed": [NAN] * 4, "cross_entropy": [NAN] * 4,
    "nll_loss": [NAN, 0, 0, 0], "every target ignored": [0] * 4,
    "every target ignored, smoothed": [0] * 4, "weight 0, sum": [0] * 4,
}


@pytest.mark.parametrize("case", sorted(WEIGHTED_ZERO))
@pytest.mark.parametrize("lib", LIBS)
def test_weighted_mean_of_zero_weights_has_pytorchs_gradient(lib, case):
    x = lib.tensor([[0.5, -1.0, 2.0, 0.3]], requires_grad=True)
    loss = WEIGHTED_ZERO[case](lib, _functional(lib), x)
    loss.backward()
    assert np.isnan(float(loss.detach())) == (case != "weight 0, sum")
    np.testing.assert_array_equal(x.grad.numpy()[0], WEIGHTED_ZERO_GRADS[case])


def test_weighted_mean_of_zero_weights_is_silent():
    import warnings

    x = tg.tensor([[0.5, -1.0, 2.0, 0.3]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WEIGHTED_ZERO["cross_entropy smoothed"](tg, F, x).backward()


@pytest.mark.parametrize("lib", LIBS)
def test_soft_margin_loss_target_is_not_differentiable(lib):
    y = lib.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable"):
        _functional(lib).soft_margin_loss(lib.tensor([0.5, 0.2]), y)
    with lib.no_grad():  # (outside a recording, as PyTorch)
        _functional(lib).soft_margin_loss(lib.tensor([0.5, 0.2]), y)
