"""Round 15: optimizers and losses against torch 2.13 (float64 values and gradients) where
torch is installed, and fixed expected values otherwise: 0-d parameters with every option,
duplicate parameters, option checks, LBFGS state, differentiable steps, loss shape checks."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch as the oracle")

ZERO_D_CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(amsgrad=True, weight_decay=0.1, maximize=True, foreach=True)),
    ("AdamW", dict(amsgrad=True, maximize=True)),
    ("Adamax", dict(weight_decay=0.1, maximize=True)),
    ("NAdam", dict(weight_decay=0.1, maximize=True, decoupled_weight_decay=True)),
    ("RAdam", dict(weight_decay=0.1, maximize=True, decoupled_weight_decay=True)),
    ("Adagrad", dict(weight_decay=0.1, maximize=True, lr_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
    ("Adadelta", dict(foreach=True)),
    ("RMSprop", dict(weight_decay=0.1, maximize=True, momentum=0.9, centered=True)),
    ("Rprop", dict()),
    ("Rprop", dict(maximize=True)),
    ("Rprop", dict(maximize=True, foreach=True)),
    ("ASGD", dict(weight_decay=0.1, maximize=True)),
    ("Adafactor", dict(weight_decay=0.1, maximize=True)),
    ("LBFGS", dict(line_search_fn="strong_wolfe")),
]


def _three_steps(lib, module, name: str, kwargs: dict, value: float = 2.0) -> float:
    param = lib.tensor(value, dtype=lib.float64, requires_grad=True)
    opt = getattr(module, name)([param], **kwargs)

    def closure():
        opt.zero_grad()
        loss = param * param * param
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    assert tuple(param.shape) == ()
    return float(param.detach())


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), ZERO_D_CASES)
def test_zero_d_parameter_every_optimizer_matches_torch(name, kwargs):
    expected = _three_steps(torch, torch.optim, name, kwargs)
    assert _three_steps(tg, optim, name, kwargs) == pytest.approx(expected, rel=1e-12)


def test_zero_d_adadelta_and_rprop_fixed_values():
    # Adadelta, one step on p*p at p=2 (grad 4): s = 0.1*16 = 1.6,
    # d = sqrt(1e-6)/sqrt(1.6 + 1e-6)*4, p = 2 - d.
    param = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    opt = optim.Adadelta([param])
    (param * param).backward()
    opt.step()
    assert float(param.detach()) == pytest.approx(2 - np.sqrt(1e-6) / np.sqrt(1.6 + 1e-6) * 4)
    # Rprop, maximize: the first step moves by lr (0.01) in the gradient's direction.
    param = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    opt = optim.Rprop([param], maximize=True)
    (param * param).backward()
    opt.step()
    assert float(param.detach()) == pytest.approx(2.01)


DUPLICATE_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(amsgrad=True)),
    ("AdamW", dict()),
    ("NAdam", dict()),
    ("RAdam", dict()),
    ("Adagrad", dict()),
    ("Adadelta", dict()),
    ("RMSprop", dict(momentum=0.5, centered=True)),
    ("Rprop", dict()),
    ("ASGD", dict()),
    ("Adamax", dict()),
]


def _duplicate_run(lib, module, name: str, kwargs: dict):
    p = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    q = lib.tensor([3.0], dtype=lib.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="parameter group with duplicate parameters"):
        opt = getattr(module, name)([{"params": [p, q, p]}], **kwargs)
    for _ in range(3):
        opt.zero_grad()
        ((p * p * p).sum() + (q * q).sum()).backward()
        opt.step()
    state = opt.state_dict()
    return (p.detach().numpy(), q.detach().numpy(), state["param_groups"][0]["params"],
            sorted(state["state"]))


@needs_torch
@pytest.mark.parametrize(("name", "kwargs"), DUPLICATE_CASES)
def test_duplicate_parameter_updated_twice_as_torch(name, kwargs):
    p, q, numbers, keys = _duplicate_run(tg, optim, name, kwargs)
    p_t, q_t, numbers_t, keys_t = _duplicate_run(torch, torch.optim, name, kwargs)
    np.testing.assert_allclose(p, p_t, rtol=1e-12)
    np.testing.assert_allclose(q, q_t, rtol=1e-12)
    assert numbers == numbers_t == [2, 1, 2]
    assert keys == keys_t and keys in ([], [1, 2])  # (plain SGD keeps no state)


def test_duplicate_parameter_fixed_values_and_groups():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="issues/40967"):
        opt = optim.SGD([p, p], lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2
    (p * p).sum().backward()
    opt.step()  # p - 0.1 * 2p, twice: 0.8 p, then 0.8 p - 0.1 * 2p (the gradient is not redone)
    np.testing.assert_allclose(p.detach().numpy(), [0.6, 1.2], rtol=1e-6)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        opt.add_param_group({"params": [p]})
    q = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    # numbering by position through the groups, as PyTorch's state_dict
    with pytest.warns(UserWarning, match="duplicate"):
        opt = optim.SGD([{"params": [p, p]}, {"params": [q]}], lr=0.1)
    assert [g["params"] for g in opt.state_dict()["param_groups"]] == [[1, 1], [2]]


CAPTURABLE = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adadelta", "RMSprop", "Rprop", "ASGD"]


def _capturable_error(lib, name: str, foreach: bool | None) -> str | None:
    param = lib.tensor([1.0, 2.0], requires_grad=True)
    opt = getattr(lib.optim, name)([param], capturable=True, foreach=foreach)
    opt.step()  # no gradient yet: nothing to check, as in PyTorch
    param.grad = lib.ones(2)
    with pytest.raises(AssertionError) as info:
        opt.step()
    return str(info.value)


@pytest.mark.parametrize("name", CAPTURABLE)
@pytest.mark.parametrize("foreach", [None, True])
def test_capturable_on_the_cpu_fails_at_step_as_torch(name, foreach):
    message = _capturable_error(tg, name, foreach)
    assert message.startswith("If capturable=True, params")
    assert "must be on supported devices: ['cuda', 'xpu', 'hpu', 'privateuseone'" in message
    if torch is not None and not (name == "NAdam" and foreach):  # (its foreach adds a comma)
        assert message == _capturable_error(torch, name, foreach)


def test_capturable_with_fused_steps_and_the_closure_runs_first():
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([param], lr=0.5, capturable=True, fused=True)
    param.grad = tg.ones(2)
    opt.step()  # PyTorch's fused CPU kernel: no device check
    np.testing.assert_allclose(param.detach().numpy(), [0.5, 1.5], rtol=1e-6)
    param = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.RMSprop([param], capturable=True)
    calls = []

    def closure():
        calls.append(1)
        loss = (param * param).sum()
        loss.backward()
        return loss

    with pytest.raises(AssertionError, match="capturable=True"):
        opt.step(closure)
    assert calls == [1]
    np.testing.assert_array_equal(param.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_with_foreach_or_differentiable_refused_as_torch(name):
    for lib in [tg] + ([torch] if torch is not None else []):
        param = lib.tensor([1.0], requires_grad=True)
        cls = getattr(lib.optim, name)
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
            cls([param], lr=0.1, fused=True, foreach=True)
        with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
            cls([param], lr=0.1, fused=True, differentiable=True)
        cls([param], lr=0.1, fused=True, foreach=False)
        cls([param], lr=0.1, fused=False, foreach=True)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_betas_both_floats_or_both_tensors(name):
    for lib in [tg] + ([torch] if torch is not None else []):
        param = lib.tensor([1.0], requires_grad=True)
        cls = getattr(lib.optim, name)
        for betas in [(0.9, lib.tensor(0.99)), (lib.tensor(0.9), 0.99), (0, 0.9)]:
            with pytest.raises(ValueError, match="betas must be either both floats or both Te"):
                cls([param], betas=betas)
        with pytest.raises(ValueError, match=r"betas\[0\] as a Tensor is not supported for "
                                             "capturable=False and foreach=True"):
            cls([param], betas=(lib.tensor(0.9), lib.tensor(0.99)), foreach=True)
        cls([param], betas=(lib.tensor(0.9), lib.tensor([0.99])))
        cls([param], betas=[0.9, 0.99])
    optim.Adamax([tg.tensor([1.0], requires_grad=True)], betas=(0, 0.9))  # as torch: no check


# ----------------------------------------------------------------- losses
def _libs():
    return [tg] + ([torch] if torch is not None else [])


def _functional(lib):
    return F if lib is tg else torch.nn.functional


GAUSSIAN_VARS = [((2, 3, 4), (2, 1, 4)), ((2, 3, 4), (1, 3, 4)), ((2, 3, 4), (2, 3, 1)),
                 ((2, 3, 4), (2, 3)), ((4, 3, 5, 5), (4, 1, 5, 5)), ((3,), ()), ((2, 3), "float")]


def _gaussian(lib, input_shape, var_shape, reduction):
    rng = np.random.default_rng(7)
    x = lib.tensor(rng.normal(size=input_shape), requires_grad=True)
    target = lib.tensor(rng.normal(size=input_shape))
    var = 0.7 if var_shape == "float" else lib.tensor(rng.uniform(0.1, 2, size=var_shape),
                                                       requires_grad=True)
    loss = _functional(lib).gaussian_nll_loss(x, target, var, reduction=reduction)
    loss.sum().backward()
    grads = [x.grad.numpy()] + ([] if var_shape == "float" else [var.grad.numpy()])
    return loss.detach().numpy(), grads


@pytest.mark.parametrize(("input_shape", "var_shape"), GAUSSIAN_VARS)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_gaussian_nll_loss_var_forms(input_shape, var_shape, reduction):
    value, grads = _gaussian(tg, input_shape, var_shape, reduction)
    assert value.shape == (input_shape if reduction == "none" else ())
    if torch is not None:
        value_t, grads_t = _gaussian(torch, input_shape, var_shape, reduction)
        np.testing.assert_allclose(value, value_t, rtol=1e-12)
        for grad, grad_t in zip(grads, grads_t):
            np.testing.assert_allclose(grad, grad_t, rtol=1e-12)


def test_gaussian_nll_loss_float_var_and_refused_shapes():
    x = tg.tensor([1.0, 3.0])
    # 0.5 (log 0.5 + (x - t)^2 / 0.5) at x - t = 0 and 2: mean of 0.5 log 0.5 and that + 4
    expected = 0.5 * np.log(0.5) + 2.0
    assert float(F.gaussian_nll_loss(x, tg.tensor([1.0, 1.0]), 0.5)) == pytest.approx(expected)
    for lib in _libs():
        x = lib.zeros(2, 3, 4)
        for var_shape in [(1, 1, 4), (3, 4), (), (2, 3, 4, 1)]:
            with pytest.raises(ValueError, match="var is of incorrect size"):
                _functional(lib).gaussian_nll_loss(x, x, lib.ones(var_shape))


MULTI_MARGIN_TARGETS = [((3,), 1), ((3,), [1]), ((2, 3), [0, 2]), ((), 0)]


def _multi_margin(lib, input_shape, target, weight, reduction):
    x = lib.tensor(np.arange(np.prod(input_shape), dtype=np.float64).reshape(input_shape)
                   * 0.3 - 0.5, requires_grad=True)
    weight = None if weight is None else lib.tensor(weight)
    loss = _functional(lib).multi_margin_loss(x, lib.tensor(target), weight=weight,
                                              reduction=reduction)
    loss.sum().backward()
    return loss.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize(("input_shape", "target"), MULTI_MARGIN_TARGETS)
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_multi_margin_loss_one_sample_shapes(input_shape, target, reduction):
    weight = None if input_shape == () else np.arange(1.0, input_shape[-1] + 1)
    value, grad = _multi_margin(tg, input_shape, target, weight, reduction)
    if reduction == "none":  # (1,) for a (1,) target, as PyTorch; () for a 0-d one
        assert value.shape == (np.shape(target) if len(input_shape) < 2 else (2,))
    if torch is not None:
        value_t, grad_t = _multi_margin(torch, input_shape, target, weight, reduction)
        assert value.shape == value_t.shape
        np.testing.assert_allclose(value, value_t, rtol=1e-12)
        np.testing.assert_allclose(grad, grad_t, rtol=1e-12)


def test_multi_margin_loss_fixed_value_and_refusals():
    # x = [0, 1, 3], y = 1: (max(0, 1 - 1 + 0) + max(0, 1 - 1 + 3)) / 3 = 1
    loss = F.multi_margin_loss(tg.tensor([0.0, 1.0, 3.0]), tg.tensor([1]), reduction="none")
    assert loss.shape == (1,) and float(loss[0]) == pytest.approx(1.0)
    for lib in _libs():
        f = _functional(lib)
        x, target = lib.zeros(2, 3), lib.tensor([0, 1])
        with pytest.raises(RuntimeError, match="inconsistent weight size, expected 3 but got "
                                               r"\[5\]"):
            f.multi_margin_loss(x, target, weight=lib.ones(5))
        with pytest.raises(ValueError, match="weight must be one-dimensional"):
            f.multi_margin_loss(x, target, weight=lib.ones(1, 3))
        for bad in ([[0], [1]], [0, 1, 2], 0):
            with pytest.raises(RuntimeError, match="target"):
                f.multi_margin_loss(x, lib.tensor(bad))
        with pytest.raises(RuntimeError, match="target"):
            f.multi_margin_loss(lib.zeros(3), lib.tensor([[1]]))
        with pytest.raises(RuntimeError):
            f.multi_margin_loss(lib.zeros(2, 3, 1), target)


def test_binary_cross_entropy_target_outside_zero_one_refused():
    for lib in _libs():
        f = _functional(lib)
        for bad in ([2.0, 0.5], [-0.1, 0.5], [float("nan"), 0.5]):
            with pytest.raises(RuntimeError, match="all elements of target should be between 0 "
                                                   "and 1"):
                f.binary_cross_entropy(lib.tensor([0.5, 0.5]), lib.tensor(bad))
    loss = F.binary_cross_entropy(tg.tensor([0.5, 0.5]), tg.tensor([1.0, 0.0]))
    assert float(loss) == pytest.approx(np.log(2))


ENLARGING = [
    ("binary_cross_entropy", dict(weight=(2, 3, 4))),
    ("binary_cross_entropy_with_logits", dict(weight=(2, 3, 4))),
    ("binary_cross_entropy_with_logits", dict(pos_weight=(2, 1, 4))),
]


@pytest.mark.parametrize(("name", "shapes"), ENLARGING)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_weights_may_not_enlarge_the_output(name, shapes, reduction):
    for lib in _libs():
        kwargs = {key: lib.ones(shape) for key, shape in shapes.items()}
        x = lib.full((3, 4), 0.5)
        with pytest.raises(RuntimeError, match=r"output with shape \[3, 4\] doesn't match the "
                                               r"broadcast shape \[2, 3, 4\]"):
            getattr(_functional(lib), name)(x, x, reduction=reduction, **kwargs)


def _weighted_bce(lib, weight_shape, pos_shape):
    rng = np.random.default_rng(3)
    x = lib.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    target = lib.tensor(rng.uniform(size=(3, 4)))
    weight = lib.tensor(rng.uniform(0.5, 2, size=weight_shape))
    pos_weight = lib.tensor(rng.uniform(0.5, 2, size=pos_shape))
    f = _functional(lib)
    loss = (f.binary_cross_entropy_with_logits(x, target, weight=weight, pos_weight=pos_weight)
            + f.binary_cross_entropy(x.sigmoid(), target, weight=weight, reduction="sum"))
    loss.backward()
    return float(loss.detach()), x.grad.numpy()


@needs_torch
def test_broadcasting_weights_that_fit_still_match_torch():
    value, grad = _weighted_bce(tg, (3, 1), (4,))
    value_t, grad_t = _weighted_bce(torch, (3, 1), (4,))
    assert value == pytest.approx(value_t, rel=1e-12)
    np.testing.assert_allclose(grad, grad_t, rtol=1e-10)


def test_soft_margin_loss_target_may_not_enlarge_and_stays_stable():
    for lib in _libs():
        with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the "
                                               r"broadcast shape \[2, 3\]"):
            _functional(lib).soft_margin_loss(lib.zeros(3), lib.ones(2, 3), reduction="none")
        assert tuple(_functional(lib).soft_margin_loss(
            lib.zeros(2, 3), lib.ones(3), reduction="none").shape) == (2, 3)
    # log(1 + exp(1000)) = 1000 (PyTorch's naive form gives inf: a deliberate difference)
    assert float(F.soft_margin_loss(tg.tensor([-1000.0]), tg.tensor([1.0]))) == 1000.0


def test_margin_ranking_cosine_embedding_triplet_shape_checks():
    for lib in _libs():
        f = _functional(lib)
        for x1, x2, y in [((3, 1), (3,), (3,)), ((3,), (3,), (2, 3)), ((2, 3), (3,), (3,))]:
            with pytest.raises(RuntimeError, match="All input tensors should have same "
                                                   "dimension"):
                f.margin_ranking_loss(lib.zeros(x1), lib.ones(x2), lib.ones(y))
        assert tuple(f.margin_ranking_loss(lib.zeros(1, 3), lib.ones(2, 1), lib.ones(2, 3),
                                           reduction="none").shape) == (2, 3)
        for inputs, target in [((2, 3), (1, 2)), ((2, 3), ()), ((3,), (1,))]:
            with pytest.raises(RuntimeError, match="target"):
                f.cosine_embedding_loss(lib.ones(inputs), lib.ones(inputs), lib.ones(target))
        for function in (f.triplet_margin_loss, f.triplet_margin_with_distance_loss):
            with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D"):
                function(lib.ones(2, 3), lib.ones(3), lib.ones(2, 3))


@needs_torch
def test_cosine_embedding_loss_accepted_shapes_match_torch():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    for x1, x2, y in [(a, b, [1.0, -1.0]), (a[0], b[0], -1.0)]:
        results = []
        for lib in (tg, torch):
            t1 = lib.tensor(x1, requires_grad=True)
            loss = _functional(lib).cosine_embedding_loss(t1, lib.tensor(x2), lib.tensor(y),
                                                          margin=-0.5)
            loss.backward()
            results.append((float(loss.detach()), t1.grad.numpy()))
        assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10)


# ----------------------------------------------------------------- state after loading
def _resumed(lib, name: str, kwargs: dict):
    param = lib.tensor(np.linspace(-1, 2, 5), dtype=lib.float64, requires_grad=True)
    opt = getattr(lib.optim, name)([param], **kwargs)

    def step():
        opt.zero_grad()
        ((param * param).sum() + 0.1 * (param ** 4).sum()).backward()
        opt.step()

    for _ in range(3):
        step()
    saved = opt.state_dict()
    opt = getattr(lib.optim, name)([param], **kwargs)
    opt.load_state_dict(saved)
    for _ in range(60):
        step()
    scalars = {key: (str(value.dtype).replace("torch.", ""), float(value))
               for key, value in opt.state[param].items() if key in ("mu_product", "eta", "mu")}
    return param.detach().numpy(), scalars


@pytest.mark.parametrize(("name", "kwargs"), [("NAdam", {}), ("ASGD", dict(t0=2, lr=0.05))])
def test_scalar_state_takes_the_parameter_dtype_on_load(name, kwargs):
    values, scalars = _resumed(tg, name, kwargs)
    assert {dtype for dtype, _ in scalars.values()} == {"float64"}
    if name == "NAdam":  # a product of 63 factors of about 0.45
        assert 0 < scalars["mu_product"][1] < 1e-20
    if torch is not None:
        values_t, scalars_t = _resumed(torch, name, kwargs)
        assert scalars == scalars_t
        np.testing.assert_allclose(values, values_t, rtol=1e-12, atol=1e-15)


def test_triplet_margin_with_distance_loss_default_distance_is_a_child():
    loss = tg.nn.TripletMarginWithDistanceLoss()
    assert repr(loss) == ("TripletMarginWithDistanceLoss(\n  (distance_function): "
                          "PairwiseDistance()\n)")
    assert [name for name, _ in loss.named_children()] == ["distance_function"]
    assert repr(tg.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: a - b)) == \
        "TripletMarginWithDistanceLoss()"
    a, p, n = tg.tensor([[0.0, 0.0]]), tg.tensor([[3.0, 4.0]]), tg.tensor([[1.0, 0.0]])
    assert float(loss(a, p, n)) == pytest.approx(5.0 - 1.0 + 1.0, rel=1e-5)  # (eps 1e-6)
    for lib in _libs():
        with pytest.raises(ValueError, match="expected margin to be greater than 0"):
            lib.nn.TripletMarginWithDistanceLoss(margin=0)
    if torch is not None:
        assert repr(loss) == repr(torch.nn.TripletMarginWithDistanceLoss())


# ----------------------------------------------------------------- LBFGS state
def _lbfgs(lib, **kwargs):
    p = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    q = lib.tensor([0.5], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.LBFGS([p, q], max_iter=4, **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((p - 1) ** 4).sum() + (q ** 2).sum() + (p.sum() * q).sum()
        loss.backward()
        return loss

    return (p, q), opt, closure


def _kind(value):
    if isinstance(value, list):
        return [_kind(x) for x in value]
    if hasattr(value, "dtype"):
        return ("tensor", tuple(value.shape), str(value.dtype).replace("torch.", ""))
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _entries(state):
    for key, value in state.items():
        for x in (value if isinstance(value, list) else [value]):
            if x is not None:
                yield key, x.numpy() if hasattr(x, "numpy") else np.asarray(x)


@needs_torch
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_holds_tensors_as_torch_and_loads_both_ways(line_search_fn):
    (params, opt, closure), (params_t, opt_t, closure_t) = (
        _lbfgs(lib, line_search_fn=line_search_fn) for lib in (tg, torch))
    for _ in range(2):
        opt.step(closure)
        opt_t.step(closure_t)
    state, state_t = opt.state_dict()["state"], opt_t.state_dict()["state"]
    assert list(state) == list(state_t) == [0]
    assert {k: _kind(v) for k, v in state[0].items()} == {k: _kind(v)
                                                         for k, v in state_t[0].items()}
    for (key, ours), (key_t, theirs) in zip(_entries(state[0]), _entries(state_t[0])):
        assert key == key_t
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, err_msg=key)

    def to_torch(value):
        if isinstance(value, list):
            return [to_torch(x) for x in value]
        return torch.from_numpy(value.numpy().copy()) if isinstance(value, tg.Tensor) else value

    opt_t.load_state_dict({"state": {0: {k: to_torch(v) for k, v in state[0].items()}},
                           "param_groups": opt.state_dict()["param_groups"]})
    opt.load_state_dict(opt_t.state_dict())  # torch's own tensors, into ours
    for _ in range(2):
        opt.step(closure)
        opt_t.step(closure_t)
    for ours, theirs in zip(params, params_t):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_lbfgs_state_survives_save_and_load(tmp_path):
    params, opt, closure = _lbfgs(tg)
    opt.step(closure)
    assert all(isinstance(opt.state[params[0]][key], tg.Tensor)
               for key in ("d", "H_diag", "prev_flat_grad"))
    tg.save(opt.state_dict(), tmp_path / "lbfgs.pt")
    twins, again, closure_again = _lbfgs(tg)
    for twin, param in zip(twins, params):
        twin.data = param.detach().clone()
    again.load_state_dict(tg.load(tmp_path / "lbfgs.pt"))
    opt.step(closure)
    again.step(closure_again)
    for twin, param in zip(twins, params):
        np.testing.assert_array_equal(twin.detach().numpy(), param.detach().numpy())


def test_lbfgs_options_checked_at_step_as_torch():
    for lib in _libs():
        params, opt, closure = _lbfgs(lib, line_search_fn="foo")  # constructed, as torch
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(closure)
        params, opt, closure = _lbfgs(lib, history_size=0)
        with pytest.raises(IndexError):  # (PyTorch: pop from an empty list)
            opt.step(closure)
        params, opt, closure = _lbfgs(lib, history_size=0)
        opt.param_groups[0]["max_iter"] = 1  # no curvature pair to keep: it steps
        opt.step(closure)


def test_lbfgs_tensor_lr():
    results = []
    for lib in _libs():
        params, opt, closure = _lbfgs(lib, lr=lib.tensor(0.5, dtype=lib.float64))
        opt.step(closure)
        results.append(params[0].detach().numpy())
    assert np.all(np.isfinite(results[0]))
    if torch is not None:
        np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


# ----------------------------------------------------------------- differentiable=True
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_differentiable_is_refused_with_the_tensor_arithmetic_alternative(name):
    param = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported; .* "
                                                  "w = w - lr \\* g"):
        getattr(optim, name)([param], lr=0.1, differentiable=True)


def test_the_suggested_meta_learning_update_differentiates_as_torch():
    results = []
    for lib in _libs():
        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        lr = lib.tensor(0.1, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((w * w * w).sum(), w, create_graph=True)
        updated = w - lr * g
        (updated * updated).sum().backward()
        results.append((float(lr.grad), w.grad.numpy()))
    # d/dlr sum((w - 3 lr w^2)^2) = sum(2 (w - 3 lr w^2)(-3 w^2)) at lr = 0.1
    w = np.array([1.0, 2.0])
    assert results[0][0] == pytest.approx(np.sum(2 * (w - 0.3 * w**2) * (-3 * w**2)))
    if torch is not None:
        assert results[0][0] == pytest.approx(results[1][0], rel=1e-12)
        np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
