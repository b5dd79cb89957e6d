"""Round 15 of torch.distributions and random parity: trunc_normal_ by the inverse CDF,
random_ bounds, fast Multinomial/Categorical sampling, the TransformedDistribution families,
new names (ExponentialFamily, GeneralizedPareto, ...), dtype promotion of log_prob, error
types, parametrize removal keeping the Parameter, Storage indexing and next_functions slots.
Compared with torch (float64) where it is installed, with fixed closed-form values otherwise."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

D = tg.distributions
nn = tg.nn
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _f64(values, grad: bool = False) -> tg.Tensor:
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=grad)


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _ks_truncated_normal(values: np.ndarray, mean: float, std: float, a: float,
                         b: float) -> float:
    """The Kolmogorov-Smirnov distance of the draws from the truncated normal's CDF."""
    low, high = _normal_cdf((a - mean) / std), _normal_cdf((b - mean) / std)
    values = np.sort(values)
    cdf = np.array([(_normal_cdf((v - mean) / std) - low) / (high - low) for v in values])
    n = len(values)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


# ----------------------------------------------------------------- trunc_normal_
@pytest.mark.parametrize(("mean", "std", "a", "b"), [
    (0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.0, 3.0), (0.0, 1.0, -3.0, -1.0), (0.0, 2.0, -1.0, 0.5),
])
def test_trunc_normal_distribution_ks(mean: float, std: float, a: float, b: float) -> None:
    tg.manual_seed(0)
    values = nn.init.trunc_normal_(tg.empty(4000, dtype=tg.float64), mean, std, a, b).numpy()
    assert values.min() >= a and values.max() <= b
    assert _ks_truncated_normal(values, mean, std, a, b) < 1.63 / math.sqrt(4000)  # 1% level


def test_trunc_normal_far_tails_do_not_hang_and_spread() -> None:
    tg.manual_seed(0)
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        values = nn.init.trunc_normal_(tg.empty(2000, dtype=tg.float64), 0.0, 1.0, 8.0,
                                       9.0).numpy()
    assert values.min() >= 8.0 and values.max() <= 9.0
    # the density falls ~ exp(-8 z): the mean excess over 8 is about 1/8
    assert 0.1 < values.mean() - 8.0 < 0.15
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        values = nn.init.trunc_normal_(tg.empty(500, dtype=tg.float64), 5.0, 1.0, -2.0,
                                       -1.0).numpy()
    assert values.min() >= -2.0 and values.max() <= -1.0 and values.std() > 0
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        values = nn.init.trunc_normal_(tg.empty(500, dtype=tg.float64), 0.0, 1.0, -40.0,
                                       -38.0).numpy()
    assert values.min() >= -40.0 and values.max() <= -38.0 and values.max() > -38.1


def test_trunc_normal_degenerate_and_reversed_interval() -> None:
    np.testing.assert_array_equal(nn.init.trunc_normal_(tg.empty(4), a=1.0, b=1.0).numpy(),
                                  np.ones(4, np.float32))
    with pytest.raises(RuntimeError, match="from=2 > to=1"):
        nn.init.trunc_normal_(tg.empty(4), a=2.0, b=1.0)


@pytest.mark.parametrize("name", ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                                  "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                  "orthogonal_"])
def test_init_random_fill_of_int_tensor_refused(name: str) -> None:
    with pytest.raises(NotImplementedError):
        getattr(nn.init, name)(tg.empty(4, 4, dtype=tg.int64))
    if torch is not None:
        with pytest.raises(NotImplementedError):
            getattr(torch.nn.init, name)(torch.empty(4, 4, dtype=torch.int64))
    nn.init.constant_(tg.empty(4, 4, dtype=tg.int64), 3)  # a constant fill is fine


# ----------------------------------------------------------------- random_ bounds, dtypes
@pytest.mark.parametrize(("dtype", "top"), [("float32", 2**24), ("float64", 2**53),
                                            ("int32", 2**31 - 1), ("int16", 2**15 - 1)])
def test_random_from_with_to_none_reaches_the_dtype_top(dtype: str, top: int) -> None:
    values = tg.empty(20000, dtype=getattr(tg, dtype)).random_(100, None).numpy()
    assert values.min() >= 100 and values.max() <= top
    assert values.max() > top / 2  # not random_(100): [0, 99]
    if torch is not None:
        ref = torch.empty(20000, dtype=getattr(torch, dtype)).random_(100, None)
        assert ref.min().item() >= 100 and ref.max().item() > top / 2


def test_random_to_only_and_no_bounds() -> None:
    values = tg.empty(2000, dtype=tg.int64).random_(5).numpy()
    assert values.min() == 0 and values.max() == 4
    assert tg.empty(2000, dtype=tg.uint8).random_().numpy().max() > 200
    with pytest.raises(RuntimeError, match="from=0 >= to=0"):
        tg.empty(3).random_(0)


@pytest.mark.parametrize(("dtype", "args", "message"), [
    ("uint8", (0, 300), "to - 1 is out of bounds"), ("uint8", (-1, 10), "from is out of bounds"),
    ("int8", (0, 200), "to - 1 is out of bounds"), ("bool", (0, 3), "to - 1 is out of bounds"),
])
def test_random_out_of_dtype_bounds_raises(dtype: str, args: tuple, message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        tg.empty(3, dtype=getattr(tg, dtype)).random_(*args)
    if torch is not None:
        with pytest.raises(RuntimeError, match=message):
            torch.empty(3, dtype=getattr(torch, dtype)).random_(*args)
    assert tg.empty(3, dtype=tg.uint8).random_(0, 256).dtype == tg.uint8


def test_geometric_of_integer_tensor() -> None:
    values = tg.empty(1000, dtype=tg.int64).geometric_(0.5)
    assert values.dtype == tg.int64 and values.numpy().min() >= 1
    assert 1.8 < values.numpy().mean() < 2.2
    with pytest.raises(NotImplementedError):
        tg.empty(3, dtype=tg.bool).geometric_(0.5)
    for name in ("exponential_", "cauchy_", "log_normal_"):
        with pytest.raises(RuntimeError):
            getattr(tg.empty(3, dtype=tg.int64), name)()


def test_normal_refuses_integer_tensors_and_names_bad_shapes() -> None:
    with pytest.raises(NotImplementedError):
        tg.normal(tg.zeros(5, dtype=tg.int64), 3.0)
    with pytest.raises(RuntimeError, match="normal"):
        tg.normal(tg.zeros(2, 3), tg.ones(6))
    if torch is not None:
        with pytest.raises(NotImplementedError):
            torch.normal(torch.zeros(5, dtype=torch.int64), 3.0)


def test_binomial_negative_count_is_zero() -> None:
    np.testing.assert_array_equal(tg.binomial(tg.tensor([-1.0, 0.0]), tg.tensor([0.5, 0.5]))
                                  .numpy(), [0.0, 0.0])


# ----------------------------------------------------------------- fast categorical draws
def test_categorical_sample_frequencies_per_row() -> None:
    tg.manual_seed(0)
    probs = np.array([[0.0, 0.2, 0.0, 0.8, 0.0], [0.5, 0.0, 0.0, 0.0, 0.5],
                      [0.0, 0.0, 0.0, 0.0, 1.0]])
    draws = D.Categorical(probs=_f64(probs)).sample((20000,)).numpy()
    assert draws.shape == (20000, 3) and draws.dtype == np.int64
    for row in range(3):
        frequencies = np.bincount(draws[:, row], minlength=5) / 20000
        np.testing.assert_allclose(frequencies, probs[row], atol=0.015)
        assert np.all(frequencies[probs[row] == 0] == 0)


def test_categorical_many_categories_is_fast() -> None:
    import time
    start = time.perf_counter()
    draws = D.Categorical(logits=tg.randn(50000)).sample((2000,))
    assert draws.shape == (2000,) and time.perf_counter() - start < 1.0


def test_multinomial_function_with_replacement_frequencies_and_out() -> None:
    tg.manual_seed(1)
    probs = tg.tensor([[1.0, 3.0, 0.0], [0.0, 0.0, 2.0]])
    draws = tg.multinomial(probs, 8000, replacement=True).numpy()
    np.testing.assert_allclose(np.bincount(draws[0], minlength=3) / 8000, [0.25, 0.75, 0],
                               atol=0.02)
    assert np.all(draws[1] == 2)
    out = tg.empty(2, dtype=tg.int64)
    assert tg.multinomial(tg.ones(5), 2, out=out) is out
    assert len(set(out.tolist())) == 2


def test_multinomial_without_replacement_order_probabilities() -> None:
    tg.manual_seed(2)
    weights = tg.tensor([1.0, 2.0, 3.0, 4.0])
    pairs = tg.multinomial(weights.expand(6000, 4), 2).numpy()
    first_then = np.mean((pairs[:, 0] == 3) & (pairs[:, 1] == 2))
    assert first_then == pytest.approx(0.4 * 0.3 / 0.6, abs=0.02)


def test_multinomial_distribution_large_total_count() -> None:
    import time
    start = time.perf_counter()
    counts = D.Multinomial(10**6, probs=tg.ones(1000) / 1000).sample()
    assert time.perf_counter() - start < 1.0
    assert counts.shape == (1000,) and counts.sum().item() == 10**6
    m = D.Multinomial(10, probs=_f64([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25]]))
    draws = m.sample((4000,))
    assert draws.shape == (4000, 2, 3) and draws.dtype == tg.float64
    np.testing.assert_allclose(draws.mean(0).numpy(), [[2, 8, 0], [5, 2.5, 2.5]], atol=0.15)
    assert tuple(m.param_shape) == (2, 3)


# ----------------------------------------------------------------- family structure
@pytest.mark.parametrize(("name", "args", "transform"), [
    ("LogNormal", (0.3, 1.5), "ExpTransform"), ("HalfNormal", (1.5,), "AbsTransform")])
def test_lognormal_halfnormal_are_transformed_distributions(name: str, args: tuple,
                                                            transform: str) -> None:
    params = [_f64([a, a + 0.5], grad=True) for a in args]
    dist = getattr(D, name)(*params)
    assert isinstance(dist, D.TransformedDistribution)
    assert type(dist.base_dist) is D.Normal and type(dist.transforms[0]).__name__ == transform
    assert repr(dist).startswith(f"{name}(")
    value = _f64([0.7, 1.9])
    log_prob = dist.log_prob(value)
    log_prob.sum().backward()
    assert tuple(dist.expand((3, 2)).base_dist.batch_shape) == (3, 2)
    if torch is not None:
        ref_params = [torch.tensor([a, a + 0.5], dtype=torch.float64, requires_grad=True)
                      for a in args]
        ref_dist = getattr(torch.distributions, name)(*ref_params)
        ref = ref_dist.log_prob(torch.tensor(value.numpy()))
        ref.sum().backward()
        np.testing.assert_allclose(log_prob.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
        for mine, theirs in zip(params, ref_params):
            np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_independent_zero_ndims_enumerates_its_base() -> None:
    base = D.Bernoulli(probs=tg.tensor([0.3, 0.6]))
    dist = D.Independent(base, 0)
    assert dist.has_enumerate_support
    np.testing.assert_array_equal(dist.enumerate_support().numpy(), [[0, 0], [1, 1]])
    assert not D.Independent(base, 1).has_enumerate_support
    with pytest.raises(NotImplementedError):
        D.Independent(base, 1).enumerate_support()


def test_stack_constraint_of_a_vector_keeps_its_shape() -> None:
    C = D.constraints
    result = C.stack([C.positive, C.real], 0).check(tg.tensor([-1.0, -1.0]))
    np.testing.assert_array_equal(result.numpy(), [False, True])
    result = C.stack([C.positive, C.real], 1).check(tg.tensor([[-1.0, -1.0]]))
    np.testing.assert_array_equal(result.numpy(), [[False, True]])


# ----------------------------------------------------------------- log_prob dtypes
_F32_FAMILIES = {
    "Bernoulli": (lambda f: D.Bernoulli(probs=f(0.3)), [1.0], "float64"),
    "ContinuousBernoulli": (lambda f: D.ContinuousBernoulli(f(0.3)), [0.5], "float64"),
    "Normal": (lambda f: D.Normal(f(0.0), f(1.0)), [0.5], "float64"),
    "MultivariateNormal": (lambda f: D.MultivariateNormal(f(0.0, 0.0), tg.eye(2)),
                           [[0.5, 0.5]], "float32"),
    "Gamma": (lambda f: D.Gamma(f(2.0), f(1.0)), [0.5], "float32"),
    "Chi2": (lambda f: D.Chi2(f(3.0)), [0.5], "float32"),
    "HalfCauchy": (lambda f: D.HalfCauchy(f(1.0)), [0.5], "float32"),
    "Uniform": (lambda f: D.Uniform(f(0.0), f(1.0)), [0.5], "float32"),
}


@pytest.mark.parametrize("name", sorted(_F32_FAMILIES))
def test_log_prob_dtype_of_float32_family_at_float64_value(name: str) -> None:
    make, value, expected = _F32_FAMILIES[name]
    dist = make(lambda *v: tg.tensor(list(v), dtype=tg.float32))
    assert str(dist.log_prob(tg.tensor(value, dtype=tg.float64)).dtype).endswith(expected)
    if torch is not None:  # two of the families on torch
        ref = {"Bernoulli": lambda: torch.distributions.Bernoulli(probs=torch.tensor([0.3])),
               "Gamma": lambda: torch.distributions.Gamma(torch.tensor([2.0]),
                                                          torch.tensor([1.0]))}.get(name)
        if ref is not None:
            result = ref().log_prob(torch.tensor(value, dtype=torch.float64))
            assert str(result.dtype).endswith(expected)


# ----------------------------------------------------------------- errors and reprs
def test_value_must_be_a_tensor_when_validating() -> None:
    dist = D.Normal(tg.tensor([0.0]), tg.tensor([1.0]))
    for method in ("log_prob", "cdf"):
        with pytest.raises(ValueError, match="must be a Tensor"):
            getattr(dist, method)(0.3)
    unchecked = D.Normal(tg.tensor([0.0]), tg.tensor([1.0]), validate_args=False)
    assert unchecked.log_prob(0.0).item() == pytest.approx(-0.5 * math.log(2 * math.pi))
    with pytest.raises(RuntimeError):
        D.Bernoulli(0.3).log_prob(tg.tensor(True))
    with pytest.raises(TypeError):
        dist.expand((2.5,))


def test_transformed_distribution_bad_transforms_and_shape_errors() -> None:
    with pytest.raises(ValueError, match="transforms must be a Transform or list"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), 3)
    for args in (("a", 1.0), ([0.0, 1.0], 1.0)):
        with pytest.raises(ValueError):
            D.Normal(*args)
        if torch is not None:
            with pytest.raises(ValueError):
                torch.distributions.Normal(*args)
    with pytest.raises(RuntimeError, match=r"\(2,\), \(3,\)"):
        D.Normal(tg.zeros(2), tg.ones(3))


def test_reprs_and_affine_sign() -> None:
    assert repr(D.Normal(tg.tensor([0.0]), tg.tensor([1.0]))) == \
        "Normal(loc: tensor([0.]), scale: tensor([1.]))"
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
    sign = D.AffineTransform(0.0, -2.0).sign
    assert sign == -1 and type(sign) is int
    assert D.AffineTransform(0.0, 3.0).sign == 1
    if torch is not None:
        assert repr(torch.distributions.ExpTransform().inv) == repr(D.ExpTransform().inv)
        assert repr(torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([1.0]))) == \
            "Normal(loc: tensor([0.]), scale: tensor([1.]))"


# ----------------------------------------------------------------- tutorial ports (P8)
class _Symmetric(nn.Module):
    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return x.triu() + x.triu(1).transpose(-1, -2)


class _Diagonal(nn.Module):
    def forward(self, v: tg.Tensor) -> tg.Tensor:
        return tg.diag(v)

    def right_inverse(self, x: tg.Tensor) -> tg.Tensor:
        return x.diagonal().clone()


def test_remove_parametrizations_keeps_the_parameter_an_optimizer_holds() -> None:
    parametrize = nn.utils.parametrize
    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", _Symmetric())
    original = layer.parametrizations.weight.original
    optimizer = tg.optim.SGD(layer.parameters(), lr=0.1)
    parametrize.remove_parametrizations(layer, "weight")
    assert layer.weight is original and isinstance(layer.weight, nn.Parameter)
    np.testing.assert_array_equal(layer.weight.detach().numpy(), layer.weight.detach().numpy().T)
    before = layer.weight.detach().clone()
    layer(tg.ones(2, 3)).sum().backward()
    optimizer.step()
    assert np.abs((layer.weight.detach() - before).numpy()).max() == pytest.approx(0.2)


def test_remove_parametrizations_with_a_reshaping_right_inverse() -> None:
    parametrize = nn.utils.parametrize
    layer = nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", _Diagonal())
    original = layer.parametrizations.weight.original
    assert tuple(original.shape) == (3,)
    parametrize.remove_parametrizations(layer, "weight")
    assert layer.weight is original and tuple(layer.weight.shape) == (3, 3)
    layer(tg.ones(2, 3)).sum().backward()
    assert tuple(layer.weight.grad.shape) == (3, 3)


def test_storage_indexing_iteration_and_write_through() -> None:
    points = tg.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
    storage = points.storage()
    assert storage[1] == 1.0 and type(storage[1]) is float and storage[-1] == 1.0
    assert list(storage) == [4.0, 1.0, 5.0, 3.0, 2.0, 1.0]
    version = points._version
    storage[0] = 2.0
    assert points[0, 0].item() == 2.0 and points._version > version
    row = points[1]
    assert row.storage_offset() == 2 and len(row.storage()) == 6
    row.storage()[2] = 9.0
    assert points[1, 0].item() == 9.0 and row[0].item() == 9.0
    with pytest.raises(IndexError):
        storage[6]
    assert storage.type() == "torch.FloatStorage" and str(storage.device) == "cpu"
    assert storage.float().dtype == tg.float32 and not storage.is_shared()
    copy = storage.clone()
    copy[0] = -1.0
    assert points[0, 0].item() == 2.0 and storage.cpu() is storage
    storage.fill_(0.0)
    assert not points.numpy().any()
    if torch is not None:
        ref = torch.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (TypedStorage is deprecated in PyTorch)
            ref_storage = ref.storage()
        assert list(ref_storage) == [4.0, 1.0, 5.0, 3.0, 2.0, 1.0]
        assert ref_storage.type() == "torch.FloatStorage"


def test_storage_write_guards_a_saved_value() -> None:
    w = tg.ones(3, requires_grad=True)
    y = (w * w).sum()
    w.storage()[1] = 3.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def _next_names(node) -> list:
    return [None if n is None else n.name() for n, _ in node.next_functions]


@pytest.mark.parametrize("expression", [
    "2 * x.sin() + 1", "x * 2", "x + 1", "x - 1", "x / 2", "x ** 2", "x * ones",
    "maximum(x, ones)", "where(x > 0, x, 0.0)", "atan2(x, ones)", "x.clamp(0, 1)",
])
def test_next_functions_list_constant_operands(expression: str) -> None:
    def chain(lib):
        x = lib.linspace(0.0, 6.28, 5, requires_grad=True)
        scope = {"x": x, "ones": lib.ones(5), "maximum": lib.maximum, "where": lib.where,
                 "atan2": lib.atan2}
        return _next_names(eval(expression, scope).grad_fn)  # noqa: S307

    expected = {"2 * x.sin() + 1": ["MulBackward0", None], "x ** 2": ["AccumulateGrad"],
                "x.clamp(0, 1)": ["AccumulateGrad"]}.get(expression,
                                                          ["AccumulateGrad", None])
    got = [n and n.replace("torch::autograd::", "") for n in chain(tg)]
    assert got == expected
    if torch is not None:
        assert [n and n.replace("torch::autograd::", "") for n in chain(torch)] == expected


def test_pow_saved_exponent() -> None:
    x = tg.ones(3, requires_grad=True)
    assert (x**2).grad_fn._saved_exponent == 2
    assert (x ** tg.tensor(3.0)).grad_fn._saved_exponent.item() == 3.0
    with pytest.raises(AttributeError):
        getattr((x * 2).grad_fn, "_saved_exponent")  # noqa: B009
    if torch is not None:
        assert (torch.ones(3, requires_grad=True) ** 2).grad_fn._saved_exponent == 2


def test_weighted_random_sampler_without_replacement_as_multinomial() -> None:
    sampler = tg.utils.data.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    assert list(sampler) == [0, 1]
    with pytest.raises(RuntimeError, match="n_sample > prob_dist"):
        list(tg.utils.data.WeightedRandomSampler([1.0, 1.0, 1.0], 4, replacement=False))
    if torch is not None:
        with pytest.raises(RuntimeError, match="n_sample > prob_dist"):
            list(torch.utils.data.WeightedRandomSampler([1.0, 1.0, 1.0], 4, replacement=False))
