"""Tests for tinygrad_np.nn.functional: every loss against a NumPy reference written here,
gradients against central differences in float64, extreme inputs, reductions and errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import Tensor

REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------- NumPy references


def reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def ref_cross_entropy(logits, target, reduction="mean"):
    """-log softmax at the class (or against the probabilities), written out row by row."""
    losses = []
    for row, goal in zip(logits, target):
        log_norm = np.log(np.sum(np.exp(row - row.max()))) + row.max()
        log_probs = row - log_norm
        losses.append(-log_probs[goal] if np.ndim(goal) == 0 else -np.sum(goal * log_probs))
    return reduce(np.array(losses), reduction)


def ref_bce(p, y, reduction="mean"):
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_q = np.maximum(np.log(1 - p), -100)
    return reduce(-(y * log_p + (1 - y) * log_q), reduction)


def ref_bce_with_logits(x, y, reduction="mean"):
    """softplus(x) - x y, with softplus(x) = log(1 + e^x) = logaddexp(0, x)."""
    return reduce(np.logaddexp(0, x) - x * y, reduction)


def ref_mse(pred, target, reduction="mean"):
    return reduce((pred - target) ** 2, reduction)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def leaf(array) -> Tensor:
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


# ----------------------------------------------------------------- activations


def test_activations_match_numpy(rng):
    x = rng.normal(size=(3, 4))
    t = Tensor(x)
    np.testing.assert_allclose(F.relu(t)._data, np.maximum(x, 0))
    np.testing.assert_allclose(F.sigmoid(t)._data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh(t)._data, np.tanh(x))
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        np.testing.assert_allclose(F.softmax(t)._data, expected)  # 2-D: dim 1, as PyTorch
    np.testing.assert_allclose(F.softmax(t, dim=1)._data, expected)
    np.testing.assert_allclose(F.softmax(t, 1)._data, expected)
    np.testing.assert_allclose(F.log_softmax(t, dim=-1)._data, np.log(expected))
    column = np.exp(x) / np.exp(x).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(F.softmax(t, axis=0)._data, column)
    np.testing.assert_allclose(F.log_softmax(t, 0)._data, np.log(column))


def test_softmax_rejects_conflicting_axis_and_dim():
    with pytest.raises(TypeError, match="axis=0 and dim=1"):
        F.softmax(Tensor(np.ones((2, 2))), axis=0, dim=1)


def test_softmax_extreme_logits_finite():
    with np.errstate(all="raise", under="ignore"):
        probs = F.softmax(Tensor(np.array([[1000.0, -1000.0, 0.0]])), dim=1)._data
    np.testing.assert_allclose(probs, [[1.0, 0.0, 0.0]])


# ----------------------------------------------------------------- linear


@pytest.mark.parametrize("x_shape", [(4, 3), (2, 4, 3), (3,)])
def test_linear_matches_numpy_and_gradcheck(rng, x_shape):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=(2, 3)), rng.normal(size=2)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w), Tensor(b))._data, x @ w.T + b)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w))._data, x @ w.T)
    assert tg.gradcheck(F.linear, [leaf(x), leaf(w), leaf(b)])
    assert tg.gradcheck(lambda a, c: F.linear(a, c), [leaf(x), leaf(w)])


def test_linear_second_derivative(rng):
    w = leaf(rng.normal(size=(2, 3)))

    def input_gradient(x):
        with tg.enable_grad():
            out = F.linear(x, w).tanh().sum()
            return tg.grad(out, x, create_graph=True)[0]

    assert tg.gradcheck(input_gradient, [leaf(rng.normal(size=(4, 3)))])


def test_linear_weight_gradient_keeps_the_weight_layout(rng):
    # x @ W.T composed would give W a Fortran-ordered gradient, and every optimizer update
    # would then mix memory layouts (several times slower in NumPy).
    w = Tensor(rng.normal(size=(5, 3)).astype(np.float32), requires_grad=True)
    F.linear(Tensor(rng.normal(size=(8, 3)).astype(np.float32)), w).sum().backward()
    assert w.grad._data.flags["C_CONTIGUOUS"] and w.grad.dtype == np.float32


def test_linear_feature_mismatch_is_clear():
    with pytest.raises(ValueError, match=r"last axis has 4 features, the weight of shape "
                                         r"\(2, 3\) expects 3"):
        F.linear(Tensor(np.ones((5, 4))), Tensor(np.ones((2, 3))))


# ----------------------------------------------------------------- cross_entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_ids_match_reference(rng, reduction):
    logits = rng.normal(size=(5, 4)) * 3
    target = rng.integers(0, 4, 5)
    loss = F.cross_entropy(Tensor(logits), target, reduction=reduction)
    np.testing.assert_allclose(loss._data, ref_cross_entropy(logits, target, reduction))
    # an int Tensor target and a list give the same
    same = F.cross_entropy(Tensor(logits), Tensor(target), reduction=reduction)
    np.testing.assert_allclose(same._data, loss._data)
    np.testing.assert_allclose(
        F.cross_entropy(Tensor(logits), target.tolist(), reduction=reduction)._data, loss._data
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_match_reference(rng, reduction):
    logits = rng.normal(size=(3, 5))
    probs = rng.dirichlet(np.ones(5), size=3)
    loss = F.cross_entropy(Tensor(logits), probs, reduction=reduction)
    np.testing.assert_allclose(loss._data, ref_cross_entropy(logits, probs, reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck(rng, reduction):
    target = rng.integers(0, 3, 4)
    logits = leaf(rng.normal(size=(4, 3)))
    assert tg.gradcheck(lambda z: F.cross_entropy(z, target, reduction=reduction), [logits])
    probs = leaf(rng.dirichlet(np.ones(3), size=4))
    assert tg.gradcheck(lambda z, q: F.cross_entropy(z, q, reduction=reduction),
                        [leaf(rng.normal(size=(4, 3))), probs])


def test_cross_entropy_gradient_is_softmax_minus_onehot(rng):
    logits = leaf(rng.normal(size=(4, 3)))
    target = np.array([0, 2, 1, 2])
    F.cross_entropy(logits, target).backward()
    softmax = np.exp(logits._data) / np.exp(logits._data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad._data, (softmax - np.eye(3)[target]) / 4)


def test_cross_entropy_extreme_logits_finite():
    logits = leaf([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]])
    with np.errstate(all="raise", under="ignore"):
        loss = F.cross_entropy(logits, np.array([1, 0]), reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss._data, [2000.0, 2000.0 + np.log(2)])
    assert np.all(np.isfinite(logits.grad._data))
    np.testing.assert_allclose(logits.grad._data, [[1, -1, 0], [-1, 0.5, 0.5]], atol=1e-12)


def test_cross_entropy_unbatched(rng):
    logits = rng.normal(size=4)
    batched = F.cross_entropy(Tensor(logits[None]), np.array([2]), reduction="none")
    loss = F.cross_entropy(Tensor(logits), 2, reduction="none")
    assert loss.shape == ()
    np.testing.assert_allclose(loss._data, batched._data[0])
    assert F.cross_entropy(Tensor(logits), Tensor(np.array(2))).shape == ()
    probs = np.full(4, 0.25)
    np.testing.assert_allclose(F.cross_entropy(Tensor(logits), probs)._data,
                               ref_cross_entropy(logits[None], probs[None]))
    assert tg.gradcheck(lambda z: F.cross_entropy(z, 1), [leaf(logits)])


def test_cross_entropy_keeps_float32(rng):
    logits = Tensor(rng.normal(size=(2, 3)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, rng.dirichlet(np.ones(3), size=2))  # float64 probabilities
    loss.backward()
    assert loss.dtype == np.float32 and logits.grad.dtype == np.float32


def test_cross_entropy_target_errors_name_shape_and_classes():
    logits = Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        F.cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(IndexError, match=r"\[0, 2\] for 3 classes"):  # PyTorch's class
        F.cross_entropy(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(IndexError, match=r"\[0, 2\] for 3 classes"):
        F.cross_entropy(logits, np.array([0, -1, 2, 1]))
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        F.cross_entropy(logits, np.full((4, 2), 0.5))
    with pytest.raises(ValueError, match=r"unbatched logits of shape \(3,\)"):
        F.cross_entropy(Tensor(np.zeros(3)), np.array([1, 2]))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(logits, np.zeros(4, dtype=np.int64), reduction="avg")


# ----------------------------------------------------------------- binary_cross_entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_reference(rng, reduction):
    p = rng.uniform(0.01, 0.99, (3, 4))
    y = rng.uniform(0, 1, (3, 4))
    loss = F.binary_cross_entropy(Tensor(p), y, reduction=reduction)
    np.testing.assert_allclose(loss._data, ref_bce(p, y, reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_gradcheck(rng, reduction):
    p = leaf(rng.uniform(0.05, 0.95, (3, 2)))
    y = leaf(rng.uniform(0, 1, (3, 2)))
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), [p, y])


def test_binary_cross_entropy_second_derivative(rng):
    y = rng.uniform(0, 1, 5)

    def gradient(p):
        (grad_p,) = tg.grad(F.binary_cross_entropy(p, y, reduction="sum"), p, create_graph=True)
        return grad_p

    assert tg.gradcheck(gradient, [leaf(rng.uniform(0.1, 0.9, 5))])


def test_binary_cross_entropy_clamps_at_zero_and_one():
    p = leaf([0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    with np.errstate(all="raise"):
        loss = F.binary_cross_entropy(p, y, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss._data, [100.0, 100.0, 0.0, 0.0])
    np.testing.assert_allclose(loss._data, ref_bce(p._data, y, "none"))
    assert np.all(np.isfinite(p.grad._data))
    np.testing.assert_allclose(p.grad._data, [-1e12, 1e12, 0.0, 0.0])  # as PyTorch


def test_binary_cross_entropy_accepts_int_labels(rng):
    p = rng.uniform(0.1, 0.9, 4).astype(np.float32)
    labels = np.array([0, 1, 1, 0])
    loss = F.binary_cross_entropy(Tensor(p), labels)
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss._data, ref_bce(p.astype(np.float64), labels), rtol=1e-6)


def test_binary_cross_entropy_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match=r"should be between 0 and 1.*with_logits"):
        F.binary_cross_entropy(Tensor(np.array([0.5, 1.5])), np.array([0.0, 1.0]))


# ----------------------------------------------------------------- with logits


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_reference(rng, reduction):
    x = rng.normal(size=(4, 3)) * 4
    y = rng.uniform(0, 1, (4, 3))
    loss = F.binary_cross_entropy_with_logits(Tensor(x), y, reduction=reduction)
    np.testing.assert_allclose(loss._data, ref_bce_with_logits(x, y, reduction))
    via_probs = F.binary_cross_entropy(F.sigmoid(Tensor(x)), y, reduction=reduction)
    np.testing.assert_allclose(loss._data, via_probs._data, rtol=1e-9)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_gradcheck(rng, reduction):
    x = leaf(rng.normal(size=(3, 3)) * 3)
    y = leaf(rng.uniform(0, 1, (3, 3)))
    assert tg.gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction), [x, y])


def test_bce_with_logits_second_derivative(rng):
    y = rng.uniform(0, 1, 4)

    def gradient(x):
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="sum")
        return tg.grad(loss, x, create_graph=True)[0]

    assert tg.gradcheck(gradient, [leaf(rng.normal(size=4))])


def test_bce_with_logits_gradient_exact_at_zero():
    # max(x, 0) + log(1 + exp(-|x|)) composed from relu and abs would give -y here, not 0.5 - y.
    x = leaf(np.zeros(3))
    y = np.array([0.0, 0.25, 1.0])
    F.binary_cross_entropy_with_logits(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad._data, 0.5 - y)


def test_bce_with_logits_extreme_logits_finite():
    x = leaf([1000.0, -1000.0, 1000.0, -1000.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    with np.errstate(all="raise", under="ignore"):
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss._data, [1000.0, 1000.0, 0.0, 0.0])
    np.testing.assert_allclose(x.grad._data, [1.0, -1.0, 0.0, 0.0])


# ----------------------------------------------------------------- mse_loss


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_reference_and_gradcheck(rng, reduction):
    pred, target = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    loss = F.mse_loss(Tensor(pred), target, reduction=reduction)
    np.testing.assert_allclose(loss._data, ref_mse(pred, target, reduction))
    assert tg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction),
                        [leaf(pred), leaf(target)])


def test_mse_loss_gradient(rng):
    pred, target = leaf(rng.normal(size=5)), rng.normal(size=5)
    F.mse_loss(pred, Tensor(target)).backward()
    np.testing.assert_allclose(pred.grad._data, 2 * (pred._data - target) / 5)


# ----------------------------------------------------------------- shared checks


@pytest.mark.parametrize("loss", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_the_bce_losses_reject_shape_mismatch(loss):
    # (N, 1) against (N,) would broadcast to (N, N): PyTorch refuses it for these two.
    expected = r"target shape \(4,\) must equal the input shape \(4, 1\)"
    with pytest.raises(ValueError, match=expected):
        loss(Tensor(np.full((4, 1), 0.5)), np.zeros(4))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_warn_and_broadcast_a_mismatched_target_as_pytorch(name):
    prediction = np.array([[0.5], [1.0], [-2.0], [3.0]])
    target = np.array([1.0, 0.0, 2.0, -1.0])
    with pytest.warns(UserWarning, match=rf"{name}: Using a target size \(4,\) that is "
                      r"different to the input size \(4, 1\)"):
        loss = getattr(F, name)(Tensor(prediction), target)
    d = prediction - target  # (4, 4): what broadcasting computes, by hand
    expected = {"mse_loss": (d ** 2).mean(), "l1_loss": np.abs(d).mean(),
                "smooth_l1_loss": np.where(np.abs(d) < 1, d ** 2 / 2, np.abs(d) - 0.5).mean(),
                "huber_loss": np.where(np.abs(d) < 1, d ** 2 / 2, np.abs(d) - 0.5).mean()}[name]
    np.testing.assert_allclose(loss.item(), expected)
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning):
        theirs = getattr(torch.nn.functional, name)(torch.tensor(prediction),
                                                    torch.tensor(target))
    np.testing.assert_allclose(loss.item(), theirs.item())


@pytest.mark.parametrize("loss", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits,
                                  F.mse_loss])
def test_elementwise_losses_reject_unknown_reduction(loss):
    with pytest.raises(ValueError, match=r"reduction must be .* got 'average'"):
        loss(Tensor(np.full(2, 0.5)), np.zeros(2), reduction="average")


def test_losses_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    logits = rng.normal(size=(4, 3)) * 5
    target = rng.integers(0, 3, 4)
    probs = rng.uniform(0.02, 0.98, (4, 3))
    labels = rng.uniform(0, 1, (4, 3))
    cases = [
        (lambda x: F.cross_entropy(x, target),
         lambda x: tf.cross_entropy(x, torch.from_numpy(target)), logits),
        (lambda x: F.binary_cross_entropy(x, labels),
         lambda x: tf.binary_cross_entropy(x, torch.from_numpy(labels)), probs),
        (lambda x: F.binary_cross_entropy_with_logits(x, labels),
         lambda x: tf.binary_cross_entropy_with_logits(x, torch.from_numpy(labels)), logits),
        (lambda x: F.mse_loss(x, labels), lambda x: tf.mse_loss(x, torch.from_numpy(labels)),
         logits),
    ]
    for ours, theirs, values in cases:
        x = leaf(values)
        loss = ours(x)
        loss.backward()
        x_torch = torch.tensor(values, requires_grad=True)
        expected = theirs(x_torch)
        expected.backward()
        np.testing.assert_allclose(loss._data, expected.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad._data, x_torch.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("name", ["cosine_similarity", "pairwise_distance"])
def test_cosine_similarity_and_pairwise_distance_as_pytorch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(5,))
    c = a.copy()
    c[1] = 0.0  # a zero vector: eps keeps the values and gradients finite
    for left, right, kwargs in ((a, b, {}), (a, c, {}), (c, a, {"eps": 1e-3})):
        x, y = tg.tensor(left, requires_grad=True), tg.tensor(right, requires_grad=True)
        tx, ty = torch.tensor(left, requires_grad=True), torch.tensor(right, requires_grad=True)
        ours = getattr(F, name)(x, y, **kwargs)
        theirs = getattr(torch.nn.functional, name)(tx, ty, **kwargs)
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(x.grad._data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(y.grad._data, ty.grad.numpy(), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=rf"{name}: x1 of shape \(4, 5\) and x2 of shape \(3,\)"):
        getattr(F, name)(tg.tensor(a), tg.tensor(b[:3]))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_cdist_as_pytorch_with_gradients(p):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4))
    b[0] = a[0, 0]  # a zero distance: gradient 0 there, as PyTorch
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours, theirs = tg.cdist(x, y, p), torch.cdist(tx, ty, p)
    assert ours.shape == tuple(theirs.shape) == (2, 3, 5)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad._data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(y.grad._data, ty.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert tg.cdist(tg.randn(3, 2), tg.randn(4, 2)).dtype == np.float32
    with pytest.raises(ValueError, match=r"cdist: .* got shapes \(3, 2\) and \(4, 3\)"):
        tg.cdist(tg.randn(3, 2), tg.randn(4, 3))


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack"])
def test_hstack_vstack_dstack_as_pytorch(name):
    torch = pytest.importorskip("torch")
    for shapes in ([(3,), (2,)], [(2, 3), (2, 1)], [(2, 3), (2, 3)], [(3,), (3,)],
                   [(2, 3, 4), (2, 3, 4)], [(), ()]):
        arrays = [np.arange(float(np.prod(s))).reshape(s) for s in shapes]
        try:
            theirs = getattr(torch, name)([torch.tensor(a, requires_grad=True) for a in arrays])
        except RuntimeError:
            with pytest.raises((ValueError, RuntimeError)):
                getattr(tg, name)([tg.tensor(a) for a in arrays])
            continue
        inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
        ours = getattr(tg, name)(inputs)
        np.testing.assert_array_equal(ours._data, theirs.detach().numpy())
        (ours * tg.tensor(np.arange(ours._data.size).reshape(ours.shape))).sum().backward()
        for x, a in zip(inputs, arrays):
            assert x.grad.shape == a.shape
    with pytest.raises(RuntimeError, match=f"{name}: expected a non-empty list"):  # PyTorch's
        getattr(tg, name)([])
