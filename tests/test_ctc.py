"""CTC loss (F.ctc_loss, nn.CTCLoss) against a brute-force sum over every alignment, PyTorch's
values and gradients where it is installed, and float64 central differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:  # the brute-force reference below needs no oracle
    torch = None


def _collapse(path: tuple, blank: int) -> tuple:
    merged = [label for i, label in enumerate(path) if i == 0 or label != path[i - 1]]
    return tuple(label for label in merged if label != blank)


def _brute_force(log_probs: np.ndarray, target: list, length: int, blank: int) -> float:
    """-log of the sum over every path of `length` frames that collapses to `target`."""
    probs = np.exp(log_probs[:length].astype(np.float64))
    total = sum(np.prod([probs[t, c] for t, c in enumerate(path)])
                for path in itertools.product(range(log_probs.shape[1]), repeat=length)
                if _collapse(path, blank) == tuple(target))
    return -np.log(total) if total > 0 else np.inf


def _case(seed: int, steps: int, batch: int, classes: int, width: int):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((steps, batch, classes))
    log_probs = logits - np.log(np.exp(logits).sum(2, keepdims=True))
    targets = rng.integers(1, classes, (batch, width))
    return log_probs, targets


@pytest.mark.parametrize("blank", [0, 2])
def test_ctc_loss_equals_the_sum_over_alignments(blank):
    log_probs, targets = _case(0, 5, 3, 3, 3)
    targets = np.where(targets == blank, (blank + 1) % 3, targets)
    targets[2, :2] = [targets[2, 0], targets[2, 0]]  # a repeat: needs a blank between
    input_lengths, target_lengths = [5, 4, 5], [2, 1, 2]
    losses = tg.nn.functional.ctc_loss(tg.tensor(log_probs), tg.tensor(targets), input_lengths,
                                       target_lengths, blank=blank, reduction="none")
    expected = [_brute_force(log_probs[:, n], list(targets[n, :target_lengths[n]]),
                             input_lengths[n], blank) for n in range(3)]
    np.testing.assert_allclose(losses.numpy(), expected, rtol=1e-10)


def test_ctc_gradient_through_log_softmax_matches_central_differences():
    log_probs, targets = _case(1, 6, 2, 4, 3)
    logits = tg.tensor(log_probs, requires_grad=True)

    def loss(x):
        return tg.nn.functional.ctc_loss(x.log_softmax(2), tg.tensor(targets), [6, 5], [3, 2])

    assert tg.autograd.gradcheck(loss, (logits,))


@pytest.mark.parametrize("reduction, zero_infinity, concatenated", [
    ("mean", False, False), ("sum", False, True), ("none", False, False), ("mean", True, False),
    ("none", True, True)])
def test_ctc_loss_matches_pytorch(reduction, zero_infinity, concatenated):
    log_probs, targets = _case(2, 6, 3, 5, 4)
    log_probs = log_probs.astype(np.float32)
    input_lengths, target_lengths = [6, 2, 5], [3, 4, 0]  # the second cannot be aligned
    given = np.concatenate([targets[n, :target_lengths[n]] for n in range(3)]) if (
        concatenated) else targets
    x = tg.tensor(log_probs, requires_grad=True)
    loss = tg.nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
        x, tg.tensor(given), tuple(input_lengths), tg.tensor(target_lengths))
    (loss.sum() if reduction == "none" else loss).backward()
    if zero_infinity:
        assert np.isfinite(loss.detach().numpy()).all()
        assert not x.grad.numpy()[:, 1].any()  # the impossible sequence adds nothing
    if torch is None:
        return
    t = torch.tensor(log_probs, requires_grad=True)
    reference = torch.nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
        t, torch.tensor(given), tuple(input_lengths), tuple(target_lengths))
    (reference.sum() if reduction == "none" else reference).backward()
    np.testing.assert_allclose(loss.detach().numpy(), reference.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-6,
                               equal_nan=True)


def test_ctc_unbatched_and_errors():
    log_probs, targets = _case(3, 5, 1, 3, 2)
    single = tg.nn.functional.ctc_loss(tg.tensor(log_probs[:, 0]), tg.tensor(targets[0]), 5, 2)
    batched = tg.nn.functional.ctc_loss(tg.tensor(log_probs), tg.tensor(targets), [5], [2])
    np.testing.assert_allclose(single.numpy(), batched.numpy())
    with pytest.raises(ValueError, match="input_lengths must be in"):
        tg.nn.functional.ctc_loss(tg.tensor(log_probs), tg.tensor(targets), [6], [2])
    with pytest.raises(ValueError, match="target labels must be in"):
        tg.nn.functional.ctc_loss(tg.tensor(log_probs), tg.tensor([[1, 7]]), [5], [2])
    with pytest.raises(ValueError, match="sum\\(target_lengths\\)"):
        tg.nn.functional.ctc_loss(tg.tensor(log_probs), tg.tensor([1, 2, 1]), [5], [2])
    x = tg.tensor(log_probs, requires_grad=True)
    (g,) = tg.autograd.grad(tg.nn.functional.ctc_loss(x, tg.tensor(targets), [5], [2]), x,
                            create_graph=True)  # the gradient itself, as PyTorch's
    plain = tg.autograd.grad(tg.nn.functional.ctc_loss(x, tg.tensor(targets), [5], [2]), x)[0]
    np.testing.assert_allclose(g.detach().numpy(), plain.numpy())
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()
