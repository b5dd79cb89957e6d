"""Loss modules and their functions against PyTorch: values and gradients in float64 for every
option (weight, ignore_index, label_smoothing, (N, C, d...) inputs, pos_weight, delta, beta,
log_target, every reduction), stability at +-1000 logits, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F

torch = pytest.importorskip("torch")

REDUCTIONS = ["mean", "sum", "none"]


def run_both(make_loss, inputs: list[np.ndarray], target, torch_target=None, grad_target=False):
    """The loss and input gradients of make_loss(module_namespace) in tinygrad_np and PyTorch.

    make_loss(ns) returns a callable loss(input, target); ns is tinygrad_np.nn or torch.nn.
    """
    ours_in = [tg.tensor(x, requires_grad=True) for x in inputs]
    theirs_in = [torch.tensor(x, requires_grad=True) for x in inputs]
    if grad_target:
        ours_t = tg.tensor(target, requires_grad=True)
        theirs_t = torch.tensor(target, requires_grad=True)
    else:
        ours_t = target
        theirs_t = torch.as_tensor(target if torch_target is None else torch_target)
    ours = make_loss(nn)(*ours_in, ours_t)
    theirs = make_loss(torch.nn)(*theirs_in, theirs_t)
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).normal(size=theirs.shape)
    ours.backward(tg.tensor(seed))
    theirs.backward(torch.tensor(seed))
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-9, atol=1e-12)
    if grad_target:
        np.testing.assert_allclose(ours_t.grad._data, theirs_t.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)
    return ours


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ----------------------------------------------------------------- cross-entropy and NLL
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [
    {},
    {"weight": [0.5, 2.0, 1.0, 3.0]},
    {"ignore_index": 1, "label_smoothing": 0.2},
    {"weight": [0.5, 2.0, 1.0, 3.0], "ignore_index": 2, "label_smoothing": 0.1},
])
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3, 2), (4,)])
def test_cross_entropy_class_ids(rng, reduction, options, shape):
    logits = rng.normal(size=shape) * 3
    target_shape = (shape[0], *shape[2:]) if len(shape) > 1 else ()
    target = rng.integers(0, 4, target_shape)
    if target.ndim:
        target.reshape(-1)[0] = 0  # not every target ignored
    kwargs = dict(options)
    if "weight" in kwargs:
        weight = np.array(kwargs["weight"])

        def make(ns):
            w = tg.tensor(weight) if ns is nn else torch.tensor(weight)
            return ns.CrossEntropyLoss(**{**kwargs, "weight": w}, reduction=reduction)
    else:
        def make(ns):
            return ns.CrossEntropyLoss(**kwargs, reduction=reduction)
    run_both(make, [logits], target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"weight": [0.5, 2.0, 1.0]}, {"label_smoothing": 0.3}])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4), (3,)])
def test_cross_entropy_probabilities(rng, reduction, options, shape):
    logits = rng.normal(size=shape)
    probs = rng.dirichlet(np.ones(3), size=int(np.prod(shape)) // 3)
    probs = np.moveaxis(probs.reshape((shape[0], *shape[2:], 3)), -1, 1) if len(shape) > 1 \
        else probs.reshape(3)

    def make(ns):
        kwargs = dict(options)
        if "weight" in kwargs:
            array = np.array(kwargs["weight"])
            kwargs["weight"] = tg.tensor(array) if ns is nn else torch.tensor(array)
        return ns.CrossEntropyLoss(**kwargs, reduction=reduction)

    run_both(make, [logits], probs, grad_target=True)


def test_cross_entropy_fast_path_unchanged_and_stable():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])
    target = np.array([1, 2])
    for options in ({}, {"label_smoothing": 0.1, "weight": [1.0, 2.0, 3.0]}):
        def make(ns, options=options):
            kwargs = dict(options)
            if "weight" in kwargs:
                w = np.array(kwargs["weight"])
                kwargs["weight"] = tg.tensor(w) if ns is nn else torch.tensor(w)
            return ns.CrossEntropyLoss(**kwargs)
        loss = run_both(make, [logits], target)
        assert np.isfinite(loss._data)
    # plain (N, C) class ids still use the fused op
    assert type(F.cross_entropy(tg.tensor(logits, requires_grad=True), target).grad_fn
                ).__name__ == "CrossEntropy"


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5), (4,)])
def test_nll_loss(rng, reduction, shape):
    log_probs = np.log(rng.dirichlet(np.ones(4), size=int(np.prod(shape)) // 4))
    log_probs = np.moveaxis(log_probs.reshape((shape[0], *shape[2:], 4)), -1, 1) \
        if len(shape) > 1 else log_probs.reshape(4)
    target = rng.integers(0, 4, (shape[0], *shape[2:]) if len(shape) > 1 else ())
    if target.ndim:
        target.reshape(-1)[0] = 1
    weight = np.array([1.0, 0.5, 2.0, 4.0])
    for kwargs in ({}, {"ignore_index": 3}, {"weight": weight, "ignore_index": 0}):
        def make(ns, kwargs=kwargs):
            options = dict(kwargs)
            if "weight" in options:
                options["weight"] = tg.tensor(weight) if ns is nn else torch.tensor(weight)
            return ns.NLLLoss(**options, reduction=reduction)
        run_both(make, [log_probs], target)


def test_cross_entropy_errors():
    logits = tg.zeros(3, 4)
    with pytest.raises(IndexError, match="target class ids"):
        F.cross_entropy(logits, np.array([0, 4, 1]), label_smoothing=0.1)
    with pytest.raises(ValueError, match="weight must have shape"):
        F.cross_entropy(logits, np.array([0, 1, 1]), weight=tg.ones(3))
    with pytest.raises(ValueError, match="target shape"):
        F.nll_loss(tg.zeros(2, 4, 3), np.zeros((2, 4), dtype=np.int64))
    criterion = nn.CrossEntropyLoss(reduction="average")  # constructs, as PyTorch's;
    with pytest.raises(ValueError, match="reduction"):  # the call refuses it
        criterion(logits, np.array([0, 1, 1]))


# ----------------------------------------------------------------- binary cross-entropies
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_weight(rng, reduction):
    p = rng.uniform(0.01, 0.99, (4, 3))
    y = rng.uniform(0, 1, (4, 3))
    w = rng.uniform(0.5, 2, (3,))

    def make(ns):
        return ns.BCELoss(weight=tg.tensor(w) if ns is nn else torch.tensor(w),
                          reduction=reduction)
    run_both(make, [p], y, grad_target=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [(False, True), (True, False), (True, True)])
def test_bce_with_logits_pos_weight(rng, reduction, weighted):
    x = rng.normal(size=(5, 3)) * 4
    x[0] = [1000.0, -1000.0, 0.0]
    y = rng.uniform(0, 1, (5, 3))
    w, pw = rng.uniform(0.5, 2, (5, 1)), rng.uniform(0.5, 3, (3,))

    def make(ns):
        wrap = tg.tensor if ns is nn else torch.tensor
        return ns.BCEWithLogitsLoss(weight=wrap(w) if weighted[0] else None,
                                    pos_weight=wrap(pw) if weighted[1] else None,
                                    reduction=reduction)
    loss = run_both(make, [x], y, grad_target=True)
    assert np.isfinite(loss._data).all()


# ----------------------------------------------------------------- regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("make", [
    lambda ns, r: ns.MSELoss(reduction=r),
    lambda ns, r: ns.L1Loss(reduction=r),
    lambda ns, r: ns.HuberLoss(reduction=r),
    lambda ns, r: ns.HuberLoss(reduction=r, delta=0.3),
    lambda ns, r: ns.SmoothL1Loss(reduction=r),
    lambda ns, r: ns.SmoothL1Loss(reduction=r, beta=2.5),
    lambda ns, r: ns.SmoothL1Loss(reduction=r, beta=0.0),
], ids=["mse", "l1", "huber", "huber-delta", "smooth_l1", "smooth_l1-beta", "smooth_l1-0"])
def test_regression_losses(rng, reduction, make):
    pred = rng.normal(size=(4, 5)) * 2
    target = rng.normal(size=(4, 5))
    target[0, 0] = pred[0, 0] + 1e-3  # inside the quadratic zone
    target[0, 1] = pred[0, 1] - 50  # far outside
    run_both(lambda ns: make(ns, reduction), [pred], target, grad_target=True)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # PyTorch's own warning
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(rng, reduction, log_target):
    log_q = np.log(rng.dirichlet(np.ones(4), size=3))
    p = rng.dirichlet(np.ones(4), size=3)
    p[0, 1] = 0.0  # 0 log 0 = 0
    target = np.log(p + 1e-3) if log_target else p
    run_both(lambda ns: ns.KLDivLoss(reduction=reduction, log_target=log_target), [log_q],
             target, grad_target=log_target)
    # a target that is not differentiated, with a zero entry
    run_both(lambda ns: ns.KLDivLoss(reduction=reduction, log_target=log_target), [log_q],
             target)


def test_losses_keep_float32_and_legacy_flags():
    x = tg.randn(4, 3, requires_grad=True)
    y = np.random.default_rng(0).integers(0, 3, 4)
    for loss in (F.cross_entropy(x, y, label_smoothing=0.1), F.nll_loss(x.log_softmax(1), y),
                 F.l1_loss(x, np.zeros((4, 3))), F.huber_loss(x, np.zeros((4, 3))),
                 F.kl_div(x, np.full((4, 3), 1 / 3), reduction="batchmean")):
        assert loss.dtype == np.float32
    with pytest.warns(UserWarning, match="please use reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="please use reduction='none'"):
        assert nn.L1Loss(reduce=False).reduction == "none"


def test_loss_module_repr_and_weights_as_buffers():
    loss = nn.CrossEntropyLoss(weight=tg.ones(3))
    assert repr(loss) == "CrossEntropyLoss()"
    assert list(loss.parameters()) == []
    for ours, theirs in ((loss, torch.nn.CrossEntropyLoss(weight=torch.ones(3))),
                         (nn.BCEWithLogitsLoss(pos_weight=tg.ones(2)),
                          torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))),
                         (nn.NLLLoss(), torch.nn.NLLLoss())):
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_triplet_margin_with_distance_loss_by_hand_and_against_pytorch():
    rng = np.random.default_rng(0)
    a, p, n = (rng.normal(size=(5, 4)) for _ in range(3))

    def cosine_distance(x, y):
        return 1.0 - tg.nn.functional.cosine_similarity(x, y)

    loss = tg.nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.5)(
        tg.tensor(a), tg.tensor(p), tg.tensor(n))
    cos = lambda x, y: (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)  # noqa: E731
    expected = np.maximum(0.5 + (1 - cos(a, p)) - (1 - cos(a, n)), 0).mean()
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-10)
    default = tg.nn.functional.triplet_margin_with_distance_loss(
        tg.tensor(a), tg.tensor(p), tg.tensor(n), swap=True)
    d = lambda x, y: np.linalg.norm(x - y + 1e-6, axis=1)  # noqa: E731  (pairwise_distance)
    expected = np.maximum(1.0 + d(a, p) - np.minimum(d(a, n), d(p, n)), 0).mean()
    np.testing.assert_allclose(default.item(), expected, rtol=1e-10)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.TripletMarginWithDistanceLoss(swap=True)(
        torch.tensor(a), torch.tensor(p), torch.tensor(n))
    np.testing.assert_allclose(default.item(), theirs.item(), rtol=1e-10)
