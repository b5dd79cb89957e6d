"""Round 4 of porting classic PyTorch programs (DCGAN, WGAN-GP, REINFORCE, VAE, style transfer,
char-RNN, seq2seq, PINN, Transformer classifier, distillation, ...): what they found."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.testing import assert_close


# ----------------------------------------------------------------- torch.testing.assert_close
@pytest.mark.parametrize("actual, expected", [
    (tg.zeros(2), np.zeros(2, dtype=np.float32)), (np.zeros(2), tg.zeros(2)),
    (tg.tensor(1.0), 1.0), (1.0, tg.tensor(1.0)), (tg.zeros(2), [0.0, 0.0])])
def test_assert_close_pairs_a_tensor_only_with_a_tensor(actual, expected):
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs"):
        assert_close(actual, expected)


def test_assert_close_of_numbers_and_sequences_as_pytorch():
    assert_close([1.0], (1.0,))
    assert_close(np.float32(1), 1.0)
    assert_close(float("nan"), float("nan"), equal_nan=True)
    with pytest.raises(AssertionError, match=r"The \(d\)types do not match: <class 'int'> != "
                                             r"<class 'float'>"):
        assert_close(1, 1.0)
    with pytest.raises(AssertionError, match="Scalars are not close!\n\nExpected 2.0 but got 1.0"
                                             r".\nAbsolute difference: 1.0 \(up to 1e-07"):
        assert_close(1.0, 2.0)
    with pytest.raises(AssertionError, match="length of the sequences mismatch: 1 != 2"):
        assert_close([1.0], [1.0, 2.0])


def test_assert_close_reports_nan_and_the_relative_index_as_pytorch(recwarn):
    with pytest.raises(AssertionError) as info:
        assert_close(tg.tensor([math.nan, 1.0]), tg.tensor([0.0, 3.0]))
    assert str(info.value) == (  # PyTorch 2.x's message, word for word
        "Tensor-likes are not close!\n\nMismatched elements: 2 / 2 (100.0%)\nGreatest absolute "
        "difference: nan at index (0,) (up to 1e-05 allowed)\nGreatest relative difference: nan "
        "at index (0,) (up to 1.3e-06 allowed)")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    with pytest.raises(AssertionError) as info:
        assert_close(tg.tensor([1.0, 2, 3, 4]), tg.tensor([1.1, 2, 0.001, 4]))
    assert "Greatest absolute difference: 2.999000072479248 at index (2,)" in str(info.value)
    assert "Greatest relative difference: 2999.0 at index (2,)" in str(info.value)


# ----------------------------------------------------------------- frozen parameters
def _frozen_copies():
    import copy

    from tinygrad_np import nn

    model = nn.Sequential(nn.Linear(3, 2), nn.LazyLinear(2))
    model(tg.ones(1, 3))
    yield model
    yield copy.deepcopy(model)  # an EMA copy: `ema.requires_grad_(False)`
    yield model.double()


@pytest.mark.parametrize("model", list(_frozen_copies()))
def test_a_frozen_parameter_is_written_through_data_as_in_pytorch(model):
    """`p.requires_grad_(False)` then `ema_p.data.mul_(d).add_(p.data, alpha=1 - d)`: PyTorch
    writes into the parameter; here the frozen leaf's array stayed locked and refused."""
    model.requires_grad_(False)
    with tg.no_grad():
        for p in model.parameters():
            p.data.mul_(0.5).add_(tg.ones(p.shape, dtype=p.dtype), alpha=0.5)
            p.numpy()[0] += 1.0  # an ordinary tensor's memory again
    weight = model[0].weight
    np.testing.assert_array_less(0, weight.numpy())
    weight.requires_grad_(True)  # locked again
    with pytest.raises(ValueError):
        weight.numpy()[...] = 2.0


def test_a_user_read_only_array_stays_read_only_after_requires_grad_false():
    array = np.ones(3, dtype=np.float32)
    array.flags.writeable = False
    leaf = tg.Tensor(array, requires_grad=True)
    leaf.requires_grad_(False)
    assert not np.shares_memory(leaf.numpy(), array) or not leaf.numpy().flags.writeable


def test_bfloat16_is_refused_with_a_reason():
    """`torch.autocast("cpu", dtype=torch.bfloat16)` is the CPU spelling: it is accepted (round
    18: scripts name torch.bfloat16 without making such tensors), a bfloat16 tensor is refused
    saying why."""
    with tg.autocast("cpu", dtype=tg.bfloat16):
        assert tg.get_autocast_dtype("cpu") is tg.bfloat16
    with pytest.raises(TypeError, match="NumPy has no bfloat16 type.*use float16 or float32"):
        tg.zeros(2, dtype=tg.bfloat16)


# ----------------------------------------------------------------- kl_divergence pairs
_KL_PAIRS = [
    ("Beta", ([2.0, 0.5], [3.0, 1.5]), ([1.0, 2.0], [1.0, 0.7])),
    ("Gamma", ([2.0, 0.7], [0.5, 3.0]), ([3.0, 1.0], [2.0, 1.0])),
    ("Dirichlet", ([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]],), ([[2.0, 2.0, 2.0], [1.0, 3.0, 1.0]],)),
    ("Exponential", ([2.0, 0.3],), ([1.0, 4.0],)),
    ("Poisson", ([2.0, 7.0],), ([1.0, 6.5],)),
    ("LogNormal", ([0.0, 1.0], [1.0, 0.5]), ([0.5, -1.0], [2.0, 0.3])),
]


@pytest.mark.parametrize("name, p_args, q_args", _KL_PAIRS, ids=[p[0] for p in _KL_PAIRS])
def test_kl_divergence_of_the_gamma_family_as_pytorch(name, p_args, q_args):
    torch = pytest.importorskip("torch")
    ours = getattr(tg.distributions, name)
    theirs = getattr(torch.distributions, name)
    p_ours = [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in p_args]
    p_theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in p_args]
    kl = tg.distributions.kl_divergence(ours(*p_ours), ours(*(tg.tensor(a, dtype=tg.float64)
                                                              for a in q_args)))
    expected = torch.distributions.kl_divergence(
        theirs(*p_theirs), theirs(*(torch.tensor(a, dtype=torch.float64) for a in q_args)))
    np.testing.assert_allclose(kl.detach().numpy(), expected.detach().numpy(), rtol=1e-9)
    kl.sum().backward()
    expected.sum().backward()
    for mine, their in zip(p_ours, p_theirs):
        np.testing.assert_allclose(mine.grad.numpy(), their.grad.numpy(), rtol=1e-7)


def test_kl_divergence_of_beta_without_pytorch():
    beta = tg.distributions.Beta
    kl = tg.distributions.kl_divergence(beta(2.0, 3.0), beta(1.0, 1.0))
    assert kl.item() == pytest.approx(0.2349066497879999, rel=1e-6)  # PyTorch 2.x


# ----------------------------------------------------------------- more distributions
def _distribution_values(D, torch_like):
    t = torch_like.tensor
    values = []
    for dist, v in [(D.Laplace(t([0.0, 1.0]), t([1.0, 2.0])), t([0.5, -1.0])),
                    (D.Cauchy(t([0.0, 1.0]), t([1.0, 2.0])), t([0.5, -1.0])),
                    (D.HalfNormal(t([1.0, 2.0])), t([0.5, 1.0]))]:
        values += dist.log_prob(v).tolist() + dist.entropy().tolist() + dist.cdf(v).tolist()
        values += dist.mean.tolist() + dist.variance.tolist()
        assert tuple(dist.rsample((3,)).shape) == (3, 2)
    one_hot = D.OneHotCategorical(probs=t([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]))
    assert tuple(one_hot.sample((4,)).shape) == (4, 2, 3)
    assert tuple(one_hot.enumerate_support().shape) == (3, 2, 3)
    values += one_hot.log_prob(t([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])).tolist()
    values += one_hot.entropy().tolist()
    mixture = D.MixtureSameFamily(D.Categorical(logits=t([[0.2, -0.3, 0.1], [0.0, 1.0, 2.0]])),
                                  D.Normal(t([[-1.0, 0.0, 2.0], [0.5, 0.0, -0.5]]),
                                           t([[0.5, 1.0, 0.3], [1.0, 2.0, 0.5]])))
    assert tuple(mixture.sample((7,)).shape) == (7, 2)
    values += mixture.log_prob(t([0.3, 1.9])).tolist() + mixture.mean.tolist()
    values += mixture.variance.tolist() + mixture.cdf(t([0.3, 1.9])).tolist()
    gmm = D.MixtureSameFamily(D.Categorical(t([0.2, 0.3, 0.5])),
                              D.Independent(D.Normal(t([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]]),
                                                     t([[1.0, 0.5], [2.0, 1.0], [0.3, 0.3]])), 1))
    assert tuple(gmm.sample((4,)).shape) == (4, 2)
    values += gmm.log_prob(t([[0.0, 0.0], [1.0, -1.0]])).tolist() + gmm.mean.tolist()
    return values


def test_laplace_cauchy_halfnormal_onehot_and_mixtures_as_pytorch():
    torch = pytest.importorskip("torch")
    ours = _distribution_values(tg.distributions, tg)
    theirs = _distribution_values(torch.distributions, torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_mixture_same_family_log_prob_and_gradient_without_pytorch():
    logits = tg.tensor([0.2, -0.3, 0.1], requires_grad=True)
    mixture = tg.distributions.MixtureSameFamily(
        tg.distributions.Categorical(logits=logits),
        tg.distributions.Normal(tg.tensor([-1.0, 0.0, 2.0]), tg.tensor([0.5, 1.0, 0.3])))
    log_prob = mixture.log_prob(tg.tensor(0.3))
    log_prob.backward()
    assert log_prob.item() == pytest.approx(-2.2737278938293457, rel=1e-6)  # PyTorch 2.x
    np.testing.assert_allclose(logits.grad.numpy(), [-0.2931, 0.6534, -0.3603], atol=1e-4)
    with pytest.raises(ValueError, match="rightmost batch dim"):
        tg.distributions.MixtureSameFamily(tg.distributions.Categorical(logits=tg.zeros(2)),
                                           tg.distributions.Normal(tg.zeros(3), tg.ones(3)))


# ----------------------------------------------------------------- optim.swa_utils
def _swa_run(torch_like, seed=16):
    nn, F = torch_like.nn, torch_like.nn.functional
    swa = torch_like.optim.swa_utils
    rng = np.random.default_rng(seed)
    X = torch_like.tensor(rng.normal(size=(32, 5)).astype(np.float32))
    y = (X[:, 0] - X[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    model.load_state_dict({
        k: torch_like.tensor(rng.normal(0, 0.4, size=tuple(v.shape)).astype(np.float32))
        if v.dtype == torch_like.float32 else v for k, v in model.state_dict().items()})
    opt = torch_like.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    averaged = [swa.AveragedModel(model),
                swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.9)),
                swa.AveragedModel(model, avg_fn=swa.get_ema_avg_fn(0.9), use_buffers=True)]
    swa_scheduler = swa.SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="cos")
    rates = []
    for _ in range(6):
        for start in (0, 16):
            opt.zero_grad()
            F.cross_entropy(model(X[start:start + 16]), y[start:start + 16]).backward()
            opt.step()
            for average in averaged:
                average.update_parameters(model)
        swa_scheduler.step()
        rates.append(opt.param_groups[0]["lr"])
    swa.update_bn([(X[:16], y[:16]), (X[16:], y[16:])], averaged[0])
    outputs = []
    for average in averaged:
        average.eval()
        with torch_like.no_grad():
            outputs += average(X[:3]).numpy().ravel().tolist()
    assert sorted(averaged[0].state_dict())[-1] == "n_averaged"
    return outputs + rates + averaged[0].module[1].running_var.tolist() + [
        averaged[0].n_averaged.item()]


def test_swa_utils_as_pytorch():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(_swa_run(tg), _swa_run(torch), rtol=1e-5, atol=1e-6)


def test_swalr_anneals_to_swa_lr_without_pytorch():
    opt = tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = tg.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
    rates = []
    for _ in range(4):
        opt.step()  # (no gradient: nothing moves; the scheduler then steps in PyTorch's order)
        scheduler.step()
        rates.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(rates, [0.0875, 0.0625, 0.05, 0.05], rtol=1e-12)  # PyTorch 2.x


# ----------------------------------------------------------------- nn.utils.spectral_norm
def _spectral_norm_run(torch_like):
    nn = torch_like.nn
    rng = np.random.default_rng(19)
    sn = nn.utils.spectral_norm
    model = nn.Sequential(sn(nn.Conv2d(1, 3, 3, 2, 1)), nn.LeakyReLU(0.1), nn.Flatten(),
                          sn(nn.Linear(12, 1), n_power_iterations=2),
                          nn.Unflatten(1, (1, 1, 1)), sn(nn.ConvTranspose2d(1, 2, 2)))
    keys = list(model.state_dict())
    model.load_state_dict({k: torch_like.tensor(rng.normal(0, 0.3, size=tuple(v.shape)).astype(
        np.float32)) for k, v in model.state_dict().items()})
    opt = torch_like.optim.SGD(model.parameters(), lr=0.1)
    x = torch_like.tensor(rng.normal(size=(2, 1, 4, 4)).astype(np.float32))
    values = []
    for _ in range(3):
        opt.zero_grad()
        loss = model(x).square().mean()
        loss.backward()
        opt.step()
        values.append(loss.item())
    model.eval()
    values += model(x).flatten().tolist() + model[0].weight_u.tolist()
    values += model[5].weight_v.tolist()
    nn.utils.remove_spectral_norm(model[0])
    assert isinstance(model[0].weight, nn.Parameter) and not hasattr(model[0], "weight_u")
    return keys, values


def test_spectral_norm_as_pytorch():
    torch = pytest.importorskip("torch")
    (our_keys, ours), (their_keys, theirs) = _spectral_norm_run(tg), _spectral_norm_run(torch)
    assert our_keys == their_keys  # 0.bias, 0.weight_orig, 0.weight_u, 0.weight_v, ...
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_spectral_norm_divides_by_the_largest_singular_value_without_pytorch():
    tg.manual_seed(0)  # (the power iteration's start vector is random)
    layer = tg.nn.utils.spectral_norm(tg.nn.Linear(5, 4), n_power_iterations=30)
    layer(tg.zeros(1, 5))
    assert np.linalg.svd(layer.weight.detach().numpy(), compute_uv=False)[0] == pytest.approx(
        1.0, rel=1e-4)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        tg.nn.utils.spectral_norm(tg.nn.Linear(2, 2), n_power_iterations=0)


# ----------------------------------------------------------------- module backward hooks
def _backward_hook_run(torch_like):
    nn = torch_like.nn
    rng = np.random.default_rng(20)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3),
                          nn.ReLU(), nn.Flatten(), nn.Linear(16, 3))
    model.load_state_dict({k: torch_like.tensor(rng.normal(0, 0.5, size=tuple(v.shape)).astype(
        np.float32)) for k, v in model.state_dict().items()})
    seen = []

    def record(module, grad_input, grad_output):
        seen.append([None if g is None else g.detach().numpy().copy() for g in grad_input])
        seen.append([g.detach().numpy().copy() for g in grad_output])

    def guided(module, grad_input, grad_output):  # guided backprop: positive gradients only
        return (grad_input[0].clamp(min=0.0),)

    def scale(module, grad_output):
        return (grad_output[0] * 2,)

    handles = [model[0].register_full_backward_hook(record),  # input without grad: None
               model[2].register_full_backward_hook(record),
               model[1].register_full_backward_hook(guided),
               model[3].register_backward_hook(guided),
               model[5].register_full_backward_pre_hook(scale),
               model.register_full_backward_hook(record)]  # a container: several ops
    x = torch_like.tensor(rng.normal(size=(2, 2, 4, 4)).astype(np.float32))
    out = model(x)
    out[:, 1].sum().backward()
    grads = [model[0].weight.grad.numpy().copy(), model[5].bias.grad.numpy().copy()]
    x.requires_grad_(True)
    for handle in handles[2:]:
        handle.remove()
    model.zero_grad()
    model(x).sum().backward()
    return seen, grads + [x.grad.numpy().copy()]


def test_module_backward_hooks_as_pytorch():
    torch = pytest.importorskip("torch")
    runs = []
    for library in (tg, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runs.append(_backward_hook_run(library))
        assert any("no inputs require gradients" in str(w.message) for w in caught)
    (our_seen, ours), (their_seen, theirs) = runs
    assert len(our_seen) == len(their_seen) == 10
    for mine, their in zip(our_seen, their_seen):
        assert [m is None for m in mine] == [t is None for t in their]
        for m, t in zip(mine, their):
            if t is not None:
                np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-6)
    for m, t in zip(ours, theirs):
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-6)


def test_a_backward_hook_replaces_every_inputs_gradient():
    class Add(tg.nn.Module):
        def forward(self, a, b):
            return a * 2 + b * 3

    module = Add()
    module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0, gi[1] * 10))
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    module(a, b).sum().backward()  # (PyTorch's values: [0, 0] and [30, 30])
    assert a.grad.tolist() == [0.0, 0.0] and b.grad.tolist() == [30.0, 30.0]
    a.grad = b.grad = None
    calls = []
    module = Add()
    module.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go)))
    module(a, b).sum().backward()
    (grad_input, grad_output), = calls
    assert [g.tolist() for g in grad_input] == [[2.0, 2.0], [3.0, 3.0]]
    assert grad_output[0].tolist() == [1.0, 1.0]


# ----------------------------------------------------------------- parametrizations
def test_parametrizations_spectral_norm_keys_and_values_as_pytorch():
    torch = pytest.importorskip("torch")
    runs = []
    for library in (tg, torch):
        nn = library.nn
        spectral_norm = nn.utils.parametrizations.spectral_norm
        rng = np.random.default_rng(21)
        model = nn.Sequential(spectral_norm(nn.Conv2d(1, 3, 3)), nn.ReLU(), nn.Flatten(),
                              spectral_norm(nn.Linear(12, 2), n_power_iterations=2))
        keys = list(model.state_dict())  # ...parametrizations.weight.0._u (not .chain.0._u)
        model.load_state_dict({k: library.tensor(rng.normal(0, 0.3, size=tuple(v.shape)).astype(
            np.float32)) for k, v in model.state_dict().items()})
        x = library.tensor(rng.normal(size=(2, 1, 4, 4)).astype(np.float32))
        model(x).square().mean().backward()
        model.eval()
        values = (model(x).detach().flatten().tolist() + model[3].parametrizations.weight[0]._u
                  .tolist() + model[0].parametrizations.weight.original.grad.flatten().tolist())
        runs.append((keys, values))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-5, atol=1e-6)
