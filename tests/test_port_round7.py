"""Round seven of PyTorch parity: the legacy `torch.Tensor(...)` constructor, and what
probes of numerics, the tensor API and ported programs found. PyTorch is the oracle where
installed; the expected values are written out otherwise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the suite runs without PyTorch too
    _torch = None


# --------------------------------------------------------------- the legacy constructor
@pytest.mark.parametrize("data", [[1, 2, 3], [[0, 0], [0, 1]], (1, 2), [True, False], [[1, 2.5]]])
def test_tensor_of_a_list_is_float32_as_pytorchs_legacy_constructor(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float32))
    if _torch is not None:
        assert str(_torch.Tensor(data).dtype) == "torch.float32"


def test_the_xor_tutorial_runs_mean_on_a_legacy_tensor():
    x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_allclose(x.mean(0).numpy(), [0.5, 0.5])
    assert Tensor([[1, 2]]).requires_grad_().requires_grad  # floats can require grad


def test_tensor_of_one_int_is_a_size():
    t = Tensor(3)
    assert t.shape == (3,) and t.dtype == np.float32
    assert Tensor(4, requires_grad=True).requires_grad
    assert Tensor(2, 3).shape == (2, 3)
    if _torch is not None:
        assert tuple(_torch.Tensor(3).shape) == (3,)


def test_tensor_function_and_as_tensor_keep_integer_lists_int64():
    # torch.tensor / as_tensor / asarray infer the dtype; only the Tensor class is legacy
    for make in (tg.tensor, tg.as_tensor, tg.asarray):
        assert make([1, 2]).dtype == np.int64
        assert make(3).shape == () and make(3).dtype == np.int64
    assert tg.stack([tg.tensor([1, 2]), tg.tensor([3, 4])]).dtype == np.int64
    assert tg.utils.data.TensorDataset([1, 2, 3])[0][0].dtype == np.int64


def test_functions_taking_plain_lists_keep_their_dtype():
    for join in (tg.cat, tg.stack):  # lists of lists or numbers: PyTorch's TypeError
        with pytest.raises(TypeError, match="expected Tensor as element 0"):
            join([[1, 2], [3]])
        with pytest.raises(TypeError, match="expected Tensor as element 1"):
            join([tg.ones(1), 2])
    assert tg.special.xlogy([1, 2], 3).dtype == np.float32  # int64 in, float out
    assert tg.ones(3).inner([1, 2, 3]).item() == 6


# --------------------------------------------------------------- float16 statistics
import tinygrad_np.nn.functional as F  # noqa: E402


def _half(values, requires_grad=True):
    return tg.tensor(np.array(values), dtype=tg.float16, requires_grad=requires_grad)


@pytest.mark.parametrize("op, values, expected", [
    (lambda x: x.norm(), [300.0], [300.0]),
    (lambda x: F.cosine_similarity(x, x, dim=0), [300.0, 1.0], [1.0]),
    (lambda x: F.normalize(x, dim=0), [1e-4, 1e-4, 0, 0], [0.7071, 0.7071, 0, 0]),
    (lambda x: F.pairwise_distance(x[None], 0 * x[None]), [300.0, 1.0], [300.0]),
    (lambda x: F.rms_norm(x, (4,)), [1000.0, -1000.0, 0, 1], [1.4142, -1.4142, 0, 0.0014]),
    (lambda x: F.rms_norm(x, (4,)), [0.01, -0.01, 0.02, 0], [0.8165, -0.8165, 1.633, 0]),
    (lambda x: F.layer_norm(x[None], (4,)), [1000.0, -1000.0, 0, 1], [1.4142, -1.4142, 0, 0.0014]),
])
def test_float16_norms_and_statistics_accumulate_in_float32(op, values, expected):
    # squares of |x| >= 256 overflow float16, and variances past 65,504 did too
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = op(_half(values))
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.detach().numpy().astype(float).ravel(), expected, atol=2e-3,
                               rtol=2e-3)


def test_float16_batch_norm_running_variance_updates_in_float32():
    x = tg.tensor(np.array([[-300.0], [300.0]]), dtype=tg.float16)
    layer = tg.nn.BatchNorm1d(1).half()
    y = layer(x)
    np.testing.assert_allclose(y.numpy().astype(float).ravel(), [-1, 1], atol=1e-3)
    # unbiased variance 180,000 is past float16; the momentum update is not (0.9 + 18,000)
    np.testing.assert_allclose(float(layer.running_var.numpy()[0]), 18000.9, rtol=1e-3)


def test_float16_layer_norm_gradient_matches_float64():
    values = np.array([[900.0, -700.0, 20.0, 1.0], [0.5, -0.25, 0.125, 3.0]])
    weights = np.array([[1.0, -2.0, 0.5, 3.0], [2.0, 1.0, -1.0, 0.5]])
    x = _half(values)
    (F.layer_norm(x, (4,)) * tg.tensor(weights, dtype=tg.float16)).sum().backward()
    exact = tg.tensor(values, requires_grad=True, dtype=tg.float64)
    (F.layer_norm(exact, (4,)) * tg.tensor(weights)).sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.numpy().astype(float), exact.grad.numpy(), atol=2e-3,
                               rtol=1e-2)


# --------------------------------------------------------------- values and gradients
INF = float("inf")


def _value_and_grad(fn, first, *rest):
    x = tg.tensor(first, requires_grad=True)
    y = fn(x, *(tg.tensor(r) for r in rest))
    y.sum().backward()
    return y.detach().numpy().tolist(), x.grad.numpy().tolist()


def test_squeeze_of_an_empty_dim_tuple_removes_nothing():
    assert tg.zeros(1, 3, 1).squeeze(()).shape == (1, 3, 1)
    assert tg.zeros(1, 3, 1).squeeze(dim=()).shape == (1, 3, 1)
    assert tg.zeros(1, 3, 1).squeeze().shape == (3,)


def test_logsumexp_of_integers_is_in_the_default_float():
    result = tg.tensor([1, 3], dtype=tg.uint8).logsumexp(0)  # x - max wrapped in uint8
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.item(), np.log(np.e + np.e**3), rtol=1e-6)
    np.testing.assert_allclose(tg.tensor([True, False]).logsumexp(0).item(), np.log(np.e + 1),
                               rtol=1e-6)


@pytest.mark.parametrize("a, b, value, grad", [
    ([[3.0, -3.0, 1.0]], [[0.0, 0.0, 0.0]], [[3.0]], [[1.0, -1.0, 0.0]]),
    ([[0.0, 0.0]], [[1.0, 1.0]], [[1.0]], [[-1.0, -1.0]]),
])
def test_cdist_infinity_norm_gives_each_tie_the_whole_gradient(a, b, value, grad):
    assert _value_and_grad(lambda x, y: tg.cdist(x, y, p=INF), a, b) == (value, grad)


@pytest.mark.parametrize("mode, value", [("trunc", [INF, -1.0]), ("floor", [INF, -2.0])])
def test_rounded_division_is_recorded_with_gradient_zero(mode, value):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # x / 0 is inf without NumPy's warning
        result = _value_and_grad(lambda x, y: tg.div(x, y, rounding_mode=mode), [2.0, -3.0],
                                 [0.0, 2.0])
    assert result == (value, [0.0, 0.0])  # was NaN where the divisor is 0
    assert tg.div(tg.tensor([5, -3]), 2, rounding_mode="trunc").tolist() == [2, -1]


@pytest.mark.parametrize("logits, target, kwargs, value, grad", [
    ([[1.0, 2.0, 3.0, 4.0]], [1], {}, 1.25, [[0.0, -0.5, 0.25, 0.25]]),  # a zero margin
    ([[1.0, 2.0, 3.0, 4.0]], [1], {"p": 2}, 3.25, [[0.0, -2.5, 1.0, 1.5]]),
    ([[INF, 0.0, 1.0, 2.0]], [0], {}, 0.0, [[0.0, 0.0, 0.0, 0.0]]),
    ([[-INF, 0.0, 1.0, 2.0]], [0], {}, INF, [[-0.75, 0.25, 0.25, 0.25]]),
])
def test_multi_margin_loss_subgradients_and_infinite_logits_as_pytorch(logits, target, kwargs,
                                                                        value, grad):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = _value_and_grad(
            lambda x, t: F.multi_margin_loss(x, t, **kwargs), logits, target)
    assert result == (value, grad)


# --------------------------------------------------------------- names ported scripts use
def test_module_private_dicts_are_live_views_as_pytorchs():
    nn = tg.nn
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert list(model._modules) == ["0", "1", "2"]
    model._modules["1"] = nn.Tanh()  # replacing a layer, as feature-extraction code does
    assert isinstance(model[1], nn.Tanh)
    np.testing.assert_allclose(model(tg.ones(1, 2)).numpy(),
                               model[2](model[0](tg.ones(1, 2)).tanh()).numpy())
    norm = nn.BatchNorm1d(3)
    assert list(norm._parameters) == ["weight", "bias"]
    assert list(norm._buffers) == ["running_mean", "running_var", "num_batches_tracked"]
    assert norm._parameters["weight"] is norm.weight
    del model._modules["2"]
    assert len(model._modules) == 2
    with pytest.raises(KeyError):
        del model._modules["7"]


def test_names_ported_scripts_reach_for():
    with pytest.warns(UserWarning, match="deprecated"):
        values = tg.range(1, 4)  # the deprecated inclusive range, float
    assert values.tolist() == [1.0, 2.0, 3.0, 4.0] and values.dtype == np.float32
    with pytest.warns(UserWarning, match="deprecated"):
        assert tg.range(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="range: step"):
        tg.range(0, 1, 0)
    with pytest.raises(TypeError, match="unravel_index"):
        tg.unravel_index(tg.tensor([1.5]), (2,))
    with pytest.raises(RuntimeError, match="out of range"):
        tg.unravel_index(tg.tensor([9]), (2, 3))
    rows, cols = tg.unravel_index(tg.tensor([4, 1, -1]), (2, 3))
    assert rows.tolist() == [1, 0, 1] and cols.tolist() == [1, 1, 2]
    x = tg.ones(2, 3)
    assert x.is_cpu and not x.is_cuda
    np.testing.assert_allclose(x.dist(tg.zeros(2, 3)).item(), np.sqrt(6), rtol=1e-6)
    np.testing.assert_allclose(tg.zeros(2, 2).addmm(tg.ones(2, 3), tg.ones(3, 2)).numpy(), 3.0)
    assert tg.zeros(1, 2, 2).baddbmm(tg.ones(1, 2, 3), tg.ones(1, 3, 2)).shape == (1, 2, 2)
    weight = tg.empty(4, 5)
    with pytest.warns(FutureWarning, match="nn.init.xavier_uniform` is now deprecated"):
        assert tg.nn.init.xavier_uniform(weight) is weight  # the deprecated spellings
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        assert tg.nn.utils.clip_grad_norm([], 1.0).item() == 0.0
