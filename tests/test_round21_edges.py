"""Round 21: edge cases against PyTorch 2.13 (signed zeros, infinities, NaN, empty inputs,
samplers at their parameters' edges, dtype= against out=), each compared with torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _signs(values: list[float]) -> list[float]:
    """Each value's sign bit (0 for NaN, whose sign bit carries no meaning)."""
    return [0.0 if v != v else math.copysign(1.0, v) for v in values]


def _same(a: object, b: object) -> None:
    np.testing.assert_array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


def _grad(lib: object, fn: object, values: list[float]) -> tuple[list, list]:
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    y = fn(lib, x)
    y.sum().backward()
    return y.detach().reshape(-1).tolist(), x.grad.tolist()


def _both(fn: object, values: list[float]) -> None:
    (y0, g0), (y1, g1) = (_grad(lib, fn, values) for lib in (torch, tg))
    np.testing.assert_allclose(np.asarray(y1), y0, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(g1), g0, rtol=1e-14)
    assert _signs(y1) == _signs(y0)


@pytest.mark.parametrize("values", [[1.0, math.inf, 2.0], [-math.inf, 1.0, 3.0],
                                    [math.inf, math.inf, 0.0], [1.0, math.nan, 2.0]])
@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("dim", [None, 0])
def test_var_std_gradient_next_to_inf(values: list[float], op: str, dim: int | None) -> None:
    _both(lambda L, x: getattr(x.reshape(1, 3) if dim == 0 else x, op)(
        dim if dim is None else 1), values)


def test_var_gradient_next_to_inf_float32_and_second_order() -> None:
    out = []
    for lib in (torch, tg):
        x = lib.tensor([1.0, math.inf, 2.0], requires_grad=True)
        x.var().backward()
        out.append(x.grad.tolist())
    _same(out[1], out[0])
    x = tg.tensor([1.0, math.inf, 2.0], dtype=tg.float64, requires_grad=True)  # create_graph
    (g,) = tg.autograd.grad(x.var(), x, create_graph=True)
    _same(g.detach().tolist(), [-math.inf, math.nan, -math.inf])


def test_var_gradient_finite_unchanged() -> None:
    x = np.array([0.3, -1.2, 2.5, 0.7])
    t = tg.tensor(x, requires_grad=True)
    t.var().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * (x - x.mean()) / 3, rtol=1e-12)


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "leaky_relu", "elu", "celu",
                                  "selu", "silu", "gelu", "mish", "hardswish",
                                  "hardshrink", "tanhshrink", "logsigmoid", "softsign"])
@pytest.mark.parametrize("size", [1, 3, 20, 67])
def test_activation_signed_zero(name: str, size: int) -> None:
    """Signs of zero results (softshrink's is left out: PyTorch's depends on the size)."""
    values = ([-0.0, 0.0, -1e-320, 1e-320, 800.0, -0.3, 1e308, -1e308] * 9)[:size]
    _both(lambda L, x: getattr(L.nn.functional, name)(x), values)


def test_logit_gradient_at_signed_zero() -> None:
    """+inf at -0.0 as at 0.0: PyTorch's scalar loop (small tensors) gives +inf, its vector
    loop -inf; +inf is the limit from inside the domain."""
    _both(lambda L, x: L.logit(x), [-0.0, 0.0, 1.0])
    x = tg.tensor([0.5] * 30 + [-0.0], dtype=tg.float64, requires_grad=True)
    x.logit().sum().backward()
    assert x.grad[-1].item() == math.inf
    _both(lambda L, x: L.logit(x, eps=0.1), [-0.0, 0.0, 0.05, 1.0])


def test_xlogy_gradients_at_nan() -> None:
    grads = []
    for lib in (torch, tg):
        x = lib.tensor([0.0, 1.0, 0.0, 0.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([math.nan, 2.0, 0.0, math.inf], dtype=lib.float64, requires_grad=True)
        lib.xlogy(x, y).sum().backward()
        grads.append((x.grad.tolist(), y.grad.tolist()))
    _same(grads[1], grads[0])


@pytest.mark.parametrize("values", [[0.0, -0.0, 1.0], [-0.0, 0.0, 1.0], [-0.0, 0.0],
                                    [0.0, -0.0, -0.0, 0.0, 2.0]])
def test_median_signed_zero(values: list[float]) -> None:
    ours, theirs = tg.tensor(values).median().item(), torch.tensor(values).median().item()
    assert math.copysign(1, ours) == math.copysign(1, theirs)
    ours = tg.tensor([values]).median(1).values.item()
    theirs = torch.tensor([values]).median(1).values.item()
    assert math.copysign(1, ours) == math.copysign(1, theirs)


def test_median_gradient_still_shared() -> None:
    x = tg.tensor([1.0, 0.0, -0.0, -1.0, 2.0], requires_grad=True)
    x.median().backward()
    _same(x.grad.tolist(), [0.0, 0.5, 0.5, 0.0, 0.0])


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "nansum", "nanmean", "cumsum",
                                  "cumprod"])
@pytest.mark.parametrize("pair", [("float32", "float64"), ("float64", "float32"),
                                  ("float32", "float16")])
def test_reduction_dtype_and_out_must_agree(name: str, pair: tuple[str, str]) -> None:
    with pytest.raises(RuntimeError):
        getattr(torch, name)(torch.ones(3), 0, dtype=getattr(torch, pair[0]),
                             out=torch.empty(0, dtype=getattr(torch, pair[1])))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype"):
        getattr(tg, name)(tg.ones(3), 0, dtype=getattr(tg, pair[0]),
                          out=tg.empty(0, dtype=getattr(tg, pair[1])))
    out = tg.empty(0, dtype=getattr(tg, pair[1]))  # the same dtype: fine
    getattr(tg, name)(tg.ones(3), 0, dtype=getattr(tg, pair[1]), out=out)
    assert out.dtype == getattr(tg, pair[1]) and out.shape == (3,) or out.shape == ()


@pytest.mark.parametrize("log_input", [True, False])
def test_poisson_nll_loss_target_gradient_at_zero(log_input: bool) -> None:
    results = []
    for lib in (torch, tg):
        i = lib.tensor([1.0, 2.0, 0.5, 1.0, 3.0, 2.0], dtype=lib.float64, requires_grad=True)
        t = lib.tensor([0.0, -0.0, 0.5, -1.0, math.nan, 3.0], dtype=lib.float64,
                       requires_grad=True)
        loss = lib.nn.functional.poisson_nll_loss(i, t, log_input=log_input, full=True,
                                                  reduction="none")
        loss.sum().backward()
        results.append((loss.tolist(), i.grad.tolist(), t.grad.tolist()))
    np.testing.assert_allclose(np.asarray(results[1][0]), results[0][0], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(results[1][1]), results[0][1], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(results[1][2]), results[0][2], rtol=1e-12)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_empty_bags(mode: str) -> None:
    weight = np.arange(12.0).reshape(4, 3)
    for lib in (torch, tg):  # 2-D input of zero-length bags: PyTorch's RuntimeError
        with pytest.raises(RuntimeError, match="step must be nonzero"):
            lib.nn.functional.embedding_bag(lib.empty(2, 0, dtype=lib.long),
                                            lib.tensor(weight), mode=mode)
    outs = [lib.nn.functional.embedding_bag(lib.tensor([1, 2, 3]), lib.tensor(weight),
                                            lib.tensor([0, 0, 3, 3]), mode=mode).tolist()
            for lib in (torch, tg)]
    _same(outs[1], outs[0])
    outs = [tuple(lib.nn.functional.embedding_bag(lib.empty(0, 3, dtype=lib.long),
                                                  lib.tensor(weight), mode=mode).shape)
            for lib in (torch, tg)]
    assert outs[0] == outs[1]


def test_embedding_bag_mode_checked_by_forward() -> None:
    for lib in (torch, tg):
        bag = lib.nn.EmbeddingBag(3, 2, mode="min")
        assert bag.mode == "min"
        with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
            bag(lib.tensor([[0, 1]]))


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32"),
                                    ("float16", "float32"), ("float32", "int64")])
def test_grid_sample_mixed_dtypes_refused(dtypes: tuple[str, str]) -> None:
    for lib in (torch, tg):
        with pytest.raises(RuntimeError, match="expected scalar type"):
            lib.nn.functional.grid_sample(lib.ones(1, 1, 2, 2, dtype=getattr(lib, dtypes[0])),
                                          lib.zeros(1, 1, 1, 2, dtype=getattr(lib, dtypes[1])),
                                          align_corners=False)


@pytest.mark.parametrize("shapes", [((1, 2, 2), (1, 2, 1)), ((1, 1, 2, 2, 2, 2),
                                                             (1, 1, 1, 1, 1, 4))])
def test_grid_sample_wrong_rank_is_runtime_error(shapes: tuple) -> None:
    for lib in (torch, tg):
        with pytest.raises(RuntimeError, match="grid_sampler"):
            lib.nn.functional.grid_sample(lib.ones(*shapes[0]), lib.zeros(*shapes[1]),
                                          align_corners=False)
    with pytest.raises(Exception) as caught:
        tg.nn.functional.grid_sample(tg.ones(*shapes[0]), tg.zeros(*shapes[1]))
    assert not isinstance(caught.value, NotImplementedError)


@pytest.mark.parametrize("num_classes", [0, -1, -2, 3])
@pytest.mark.parametrize("ids", [[], [0], [2, 1]])
def test_one_hot_edges(num_classes: int, ids: list[int]) -> None:
    results = []
    for lib in (torch, tg):
        try:
            results.append(tuple(lib.nn.functional.one_hot(lib.tensor(ids, dtype=lib.long),
                                                            num_classes).shape))
        except RuntimeError as error:
            results.append(str(error).split(" (")[0].rstrip("."))
    assert results[0] == results[1]


def test_unpad_sequence_matches() -> None:
    for batch_first in (False, True):
        data = np.arange(12.0).reshape(3, 4) if batch_first else np.arange(12.0).reshape(4, 3)
        outs = [[t.tolist() for t in lib.nn.utils.rnn.unpad_sequence(
            lib.tensor(data), lib.tensor([4, 1, 0][:3] if batch_first else [4, 1, 2]),
            batch_first=batch_first)] for lib in (torch, tg)]
        assert outs[0] == outs[1]


def test_group_norm_zero_groups() -> None:
    for lib in (torch, tg):
        for channels in (4, 0):
            with pytest.raises(ZeroDivisionError):
                lib.nn.GroupNorm(0, channels)
        with pytest.raises(ValueError, match="divisible"):
            lib.nn.GroupNorm(3, 4)


@pytest.mark.parametrize("tau", [0, 0.0, -1.0])
@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_tau_not_checked(tau: float, hard: bool) -> None:
    nans = []
    for lib in (torch, tg):
        lib.manual_seed(0)
        y = lib.nn.functional.gumbel_softmax(lib.tensor([[1.0, 2.0, 0.5]]), tau=tau, hard=hard)
        nans.append(y.isnan().tolist())
        if tau < 0 and not hard:
            np.testing.assert_allclose(y.sum().item(), 1.0, rtol=1e-6)
    assert nans[0] == nans[1]


def test_dropout3d_p0_inplace() -> None:
    for lib in (torch, tg):
        x = lib.ones(1, 1, 1, 1, 2)
        assert lib.nn.functional.dropout3d(x, p=0, inplace=True) is x
        assert x.tolist() == [[[[[1.0, 1.0]]]]]


def test_standard_gamma_nan_concentration_as_pytorch() -> None:
    draws = []
    for lib in (torch, tg):
        lib.manual_seed(3)
        first = lib._standard_gamma(lib.tensor([math.nan, 1.0, 0.0, 2.0])).tolist()
        second = lib._standard_gamma(lib.tensor([math.nan], dtype=lib.float64)).tolist()
        gamma = lib.distributions.Gamma(lib.tensor([math.nan]), lib.tensor([1.0]),
                                        validate_args=False).sample().tolist()
        dirichlet = lib.distributions.Dirichlet(lib.tensor([math.nan, 1.0]),
                                                validate_args=False).sample().tolist()
        draws.append((first, second, gamma, dirichlet))
    np.testing.assert_allclose(np.asarray(draws[1][0]), draws[0][0], rtol=1e-6)
    assert draws[1][0][0] == np.finfo(np.float32).tiny and draws[1][1] == [np.finfo(
        np.float64).tiny]
    assert draws[1][1:] == draws[0][1:]


def test_binomial_unchecked_probabilities() -> None:
    counts = [10.0, 0.0, 3.0, 10.0, 10.0, 20.0]
    probs = [math.nan, math.nan, math.inf, 1.5, -0.5, 0.3]
    outs = []
    for lib in (torch, tg):
        lib.manual_seed(3)
        outs.append(lib.binomial(lib.tensor(counts), lib.tensor(probs)).tolist())
        outs.append(lib.distributions.Binomial(10, probs=lib.tensor([math.nan]),
                                               validate_args=False).sample().tolist())
    _same(outs[2], outs[0])
    _same(outs[3], outs[1])


def test_poisson_of_infinite_or_huge_rate() -> None:
    outs = []
    for lib in (torch, tg):
        lib.manual_seed(3)
        outs.append(lib.poisson(lib.tensor([math.inf, 1e30, 0.0, 5.0, 50.0])).tolist())
        outs.append(lib.poisson(lib.tensor([3.0, 30.0])).tolist())  # the stream goes on alike
        outs.append(lib.poisson(lib.tensor([math.inf], dtype=lib.float16)).tolist())
        outs.append(lib.poisson(lib.tensor([math.inf], dtype=lib.float64)).tolist())
    assert outs[:4] == outs[4:]
    assert outs[4][0] == -(2.0 ** 63)
    for lib in (torch, tg):
        with pytest.raises(RuntimeError):
            lib.poisson(lib.tensor([math.nan]))


# (small slices: on long rows PyTorch's vectorised reduction picks a sign by lane)
_ZEROS = [[0.0, -0.0, 1.0], [-0.0, 0.0, 1.0], [0.0, -0.0], [-0.0, 0.0], [0.0, -0.0, -1.0],
          [0.0, 0.0, 0.0, -0.0], [-0.0, -0.0, 0.0]]


@pytest.mark.parametrize("values", _ZEROS)
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_keep_the_first_signed_zero(values: list[float], name: str) -> None:
    def signs(lib: object) -> list:
        x = lib.tensor(values)
        pick = getattr(lib, "max" if name == "amax" else "min")
        rows = lib.tensor([values, values[::-1]])
        return [math.copysign(1, getattr(lib, name)(x).item()),
                _signs(getattr(lib, name)(rows, 1).tolist()),
                math.copysign(1, getattr(lib, name)(rows, (0, 1)).item()),
                _signs(pick(rows, 1).values.tolist()), pick(rows, 1).indices.tolist()]
    assert signs(tg) == signs(torch)


def test_amax_gradient_with_signed_zeros_shared() -> None:
    grads = []
    for lib in (torch, tg):
        x = lib.tensor([[-0.0, 0.0, -1.0], [2.0, 0.0, 2.0]], requires_grad=True)
        x.amax(1).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "float16"])
def test_median_keeps_the_dtype(dtype: str) -> None:
    for form in (lambda L, x: x.median(), lambda L, x: L.median(x),
                 lambda L, x: L.nanmedian(x), lambda L, x: x.median(0).values):
        dtypes = [form(lib, lib.tensor([3, 1, 2, 100], dtype=getattr(lib, dtype))).dtype
                  for lib in (torch, tg)]
        assert str(dtypes[0]) == str(dtypes[1])
        values = [form(lib, lib.tensor([3, 1, 2, 100], dtype=getattr(lib, dtype))).item()
                  for lib in (torch, tg)]
        assert values[0] == values[1]


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e", "modified_bessel_i0",
                                  "modified_bessel_i1", "bessel_j1"])
def test_bessel_at_huge_and_signed_zero(name: str) -> None:
    values = [-0.0, 0.0, 1e308, -1e308, 3e307, -7e307, 40.0, -40.0, 1e-300, -1e-300]
    if name == "bessel_j1":  # (its phase at huge x: PyTorch's x - pi/4 rounds to x)
        values = [-0.0, 0.0, 1e-300, -1e-300, 40.0, -40.0]
    ours = getattr(tg.special, name)(tg.tensor(values, dtype=tg.float64)).tolist()
    theirs = getattr(torch.special, name)(torch.tensor(values, dtype=torch.float64)).tolist()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert _signs(ours) == _signs(theirs)


def test_bessel_j_at_huge_x_not_zero() -> None:
    # |J_nu(x)| ~ sqrt(2 / (pi x)) |cos(...)|: about 1e-155 at 1e308, not an underflowed 0
    for nu in (0, 1):
        values = getattr(tg.special, f"bessel_j{nu}")(tg.tensor([1e308, -7e307],
                                                                dtype=tg.float64)).numpy()
        assert (np.abs(values) > 1e-157).all() and (np.abs(values) < 1e-153).all()


def test_i0_gradient_at_huge() -> None:
    grads = []
    for lib in (torch, tg):
        x = lib.tensor([1e308, -1e308, 3.0], dtype=lib.float64, requires_grad=True)
        lib.special.i0(x).sum().backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


_SIGNED = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, math.inf, -math.inf, 1e308, 5e-324]


@pytest.mark.parametrize("form", ["trunc", "floor", "ldexp"])
@pytest.mark.parametrize("grad", [False, True])
def test_signed_zero_survives_graph_terms(form: str, grad: bool) -> None:
    """A rounded division or ldexp in a graph keeps -0.0 (its zero-gradient term added
    no +0.0)."""
    results = []
    for lib in (torch, tg):
        a = lib.tensor([v for v in _SIGNED for _ in _SIGNED], dtype=lib.float64,
                       requires_grad=grad)
        b = lib.tensor(_SIGNED * len(_SIGNED), dtype=lib.float64, requires_grad=grad)
        if form == "ldexp":
            y = lib.ldexp(a, b.clamp(-60, 60))
        else:
            y = lib.div(a, b, rounding_mode=form)
        results.append(y.detach().tolist())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-15)  # (2**2.5: an ulp)
    assert _signs(results[1]) == _signs(results[0])


def test_copy_into_a_graph_keeps_signed_zero() -> None:
    outs = []
    for lib in (torch, tg):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y.copy_(lib.tensor([-0.0, 0.0, -1.0]))
        y.sum().backward()
        outs.append((_signs(y.tolist()), x.grad.tolist()))
    assert outs[0] == outs[1]


def test_hinge_embedding_loss_zeros_unsigned() -> None:
    outs = []
    for lib in (torch, tg):
        x = lib.tensor([-0.0, 0.0, -0.0, 2.0], requires_grad=True)
        loss = lib.nn.functional.hinge_embedding_loss(x, lib.tensor([1.0, 1.0, -1.0, -1.0]),
                                                      margin=0.0, reduction="none")
        outs.append(_signs(loss.tolist()))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("case", [
    lambda L: L.normal(0.0, math.nan, (2,)),
    lambda L: L.normal(L.zeros(2), math.nan),
    lambda L: L.normal(L.tensor([1.0]), L.tensor([math.nan])),
    lambda L: L.empty(2).normal_(0, math.nan),
    lambda L: L.distributions.Bernoulli(probs=L.tensor([math.nan]), validate_args=False).sample(),
    lambda L: L.distributions.Bernoulli(probs=L.tensor([1.5]), validate_args=False).sample(),
    lambda L: L.bernoulli(L.tensor([math.nan])),
])
def test_nan_sampler_parameters_refused(case: object) -> None:
    for lib in (torch, tg):
        with pytest.raises(RuntimeError):
            case(lib)


def test_poisson_of_integers_not_implemented() -> None:
    for lib in (torch, tg):
        with pytest.raises(NotImplementedError):
            lib.poisson(lib.tensor([1, 2]))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_logcumsumexp_of_negative_zero(dtype: str) -> None:
    outs = []
    for lib in (torch, tg):
        x = lib.tensor([[-0.0, -0.0], [-0.0, 1.0]], dtype=getattr(lib, dtype))
        outs.append(_signs(x.logcumsumexp(1).reshape(-1).tolist()))
    assert outs[0] == outs[1]
