"""Eleventh round of probes against PyTorch: no NumPy warnings from ops and composites on
inf, NaN and overflow (PyTorch is silent), amax's NaN gradient, and what a differential fuzz
of the tensor methods found."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

F = tg.nn.functional
INF = np.inf

try:
    import torch
except ImportError:
    torch = None

# Each: a function of (library, x) for x a float32 vector with requires_grad. The pytest
# configuration turns warnings into errors, so a NumPy RuntimeWarning fails the test.
SILENT = {
    "sum": lambda L, x: x.sum(),
    "mean": lambda L, x: x.mean(),
    "nansum": lambda L, x: x.nansum(),
    "var": lambda L, x: x.var(),
    "std": lambda L, x: x.std(),
    "cumsum": lambda L, x: x.cumsum(0),
    "cumprod": lambda L, x: x.cumprod(0),
    "logsumexp": lambda L, x: x.logsumexp(0),
    "norm": lambda L, x: x.norm(),
    "sub": lambda L, x: x - x.flip(0),
    "matmul": lambda L, x: x @ x.flip(0),
    "outer": lambda L, x: L.outer(x, x),
    "inner": lambda L, x: L.inner(x, x),
    "square": lambda L, x: L.square(x),
    "addcmul": lambda L, x: L.addcmul(x, x, x),
    "silu": lambda L, x: F.silu(x) if L is tg else L.nn.functional.silu(x),
    "mish": lambda L, x: L.nn.functional.mish(x),
    "glu": lambda L, x: L.nn.functional.glu(L.cat([x, x])),
    "layer_norm": lambda L, x: L.nn.functional.layer_norm(x, (4,)),
    "rms_norm": lambda L, x: L.nn.functional.rms_norm(x, (4,)),
    "normalize": lambda L, x: L.nn.functional.normalize(x, dim=0),
    "mse_loss": lambda L, x: L.nn.functional.mse_loss(x, L.zeros_like(x)),
    "cross_entropy": lambda L, x: L.nn.functional.cross_entropy(x[None], L.tensor([1])),
    "linear": lambda L, x: L.nn.functional.linear(x[None], x[None]),
    "leaky_relu": lambda L, x: L.nn.functional.leaky_relu(x, 2.0),
    "sinc": lambda L, x: L.sinc(x),
    "trapezoid": lambda L, x: L.trapezoid(x),
    "kron": lambda L, x: L.kron(x, x),
    "rad2deg": lambda L, x: L.rad2deg(x),
}
# Where PyTorch's result is an artifact of its algorithm, not the value: its trapezoid is
# sum(y) - (y_0 + y_n) / 2 (inf - inf = NaN for a true inf); its std overflows in x^2 where the
# true std of +-3e38 values (ours, scaled) is finite.
ARTIFACTS = {("trapezoid", "inf,inf"), ("trapezoid", "-inf"), ("std", "huge")}
VALUES = [[INF, -INF, 1.0, 0.0], [INF, INF, 0.0, -2.0], [-INF, -INF, 0.0, 3.0],
          [np.nan, 1.0, 2.0, -1.0], [3e38, 3e38, -3e38, 1.0]]


def _run(lib, name, values):
    x = lib.tensor(values, requires_grad=True)
    out = SILENT[name](lib, x)
    out.backward(lib.ones_like(out))
    return out.detach().numpy(), x.grad.numpy()


IDS = ["inf-inf", "inf,inf", "-inf", "nan", "huge"]


@pytest.mark.parametrize("values", VALUES, ids=IDS)
@pytest.mark.parametrize("name", sorted(SILENT))
def test_ops_on_non_finite_values_are_silent_as_pytorch(name, values):
    out, grad = _run(tg, name, values)  # no warning (they are errors here)
    if torch is not None and (name, IDS[VALUES.index(values)]) not in ARTIFACTS:
        want_out, want_grad = _run(torch, name, values)
        np.testing.assert_allclose(out, want_out, rtol=1e-5, equal_nan=True)
        assert out.dtype == want_out.dtype


def test_plain_add_and_mul_still_warn_as_numpy_documented():
    x = tg.tensor([INF, 1.0])
    with pytest.warns(RuntimeWarning):
        x * 0
    with pytest.warns(RuntimeWarning):
        x + tg.tensor([-INF, 1.0])


@pytest.mark.parametrize("values", [[np.nan, 1.0, 2.0], [[np.nan, 1.0, 2.0], [3.0, 3.0, 1.0]],
                                    [[1.0, np.nan, np.nan]]])
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_and_amin_give_nan_gradients_in_a_nan_slice_as_pytorch(name, values):
    v = np.asarray(values, np.float32)
    x = tg.tensor(v, requires_grad=True)
    getattr(x, name)(-1).sum().backward()
    rows = v.reshape(-1, v.shape[-1])
    grad = x.grad.numpy().reshape(rows.shape)
    for row, got in zip(rows, grad):
        if np.isnan(row).any():
            assert np.isnan(got).all()
        else:
            hit = row == getattr(row, name[1:])()
            np.testing.assert_array_equal(got, hit / hit.sum())
    x.grad = None
    getattr(x, name)().backward()  # over everything: the NaN slice is the whole tensor
    assert np.isnan(x.grad.numpy()).all()
    if torch is not None:
        t = torch.tensor(v, requires_grad=True)
        getattr(t, name)(-1).sum().backward()
        np.testing.assert_array_equal(grad, t.grad.numpy().reshape(rows.shape))


def test_max_with_axis_is_max_along_a_dim_for_nan():
    x = tg.tensor([[1.0, np.nan, np.nan], [2.0, 5.0, 5.0]], requires_grad=True)
    x.max(axis=-1).values.sum().backward()  # PyTorch's alias of dim: the selected index
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 1, 0]])
    y = tg.tensor([[1.0, np.nan, np.nan], [2.0, 5.0, 5.0]], requires_grad=True)
    y.max(axis=(-1,)).sum().backward()  # a tuple of dims: values, max's rule split between NaNs
    np.testing.assert_array_equal(y.grad.numpy(), [[0, 0.5, 0.5], [0, 0.5, 0.5]])


# ----------------------------------------------------------------- found by the fuzz
def _same(fn):
    """fn(library) in both libraries: the same values and dtype (or the same error class)."""
    ours = fn(tg)
    if torch is not None:
        theirs = fn(torch)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert str(ours.dtype) == str(theirs.dtype)
    return ours


@pytest.mark.parametrize("case", [
    lambda L: L.add(L.tensor([1000, 1], dtype=L.int32), L.tensor([100, 3], dtype=L.int8), alpha=2),
    lambda L: L.tensor([-4, 1]).add(L.tensor([232, 3], dtype=L.uint8), alpha=2),
    lambda L: L.tensor([-2]).sub(L.tensor([130], dtype=L.uint8), alpha=-1),
    lambda L: L.add(L.tensor([1, 2], dtype=L.int32), L.tensor([True, False]), alpha=2),
    lambda L: L.add(L.tensor(5), L.tensor([100, 2], dtype=L.int8), alpha=2),
    lambda L: L.add(L.tensor([1, 2], dtype=L.int8), 100, alpha=2),
    lambda L: L.tensor([1, 2], dtype=L.int32).add_(L.tensor([100, 3], dtype=L.int8), alpha=3),
    lambda L: L.add(L.tensor([1.0, 2.0], dtype=L.float64), L.tensor([1.1, 2.0]), alpha=0.3),
])
def test_add_and_sub_scale_by_alpha_in_the_result_dtype(case):
    _same(case)


def test_a_float_alpha_with_integer_tensors_is_refused_as_pytorch():
    with pytest.raises(RuntimeError, match="alpha"):
        tg.add(tg.tensor([1, 2]), tg.tensor([1, 2]), alpha=0.5)


@pytest.mark.parametrize("case", [
    lambda L: L.tensor([161, 12], dtype=L.uint8).clamp_min(-1),
    lambda L: L.tensor([161, 12], dtype=L.uint8).clamp_max(-1),
    lambda L: L.inner(L.tensor([1, 2], dtype=L.int32), L.tensor([5, 1], dtype=L.int32)),
    lambda L: L.inner(L.tensor([1, 2], dtype=L.uint8), L.tensor([5, 1], dtype=L.uint8)),
    lambda L: L.zeros(3, dtype=L.uint8).scatter(0, L.tensor([1]), -1),
    lambda L: L.tensor([], dtype=L.int64) // 0,
    lambda L: L.tensor([], dtype=L.int64) % 0,
])
def test_integer_corners_as_pytorch(case):
    _same(case)


def test_a_python_int_written_into_a_small_int_tensor_wraps_or_is_refused_as_pytorch():
    x = tg.zeros(3, dtype=tg.uint8)
    x[0] = -2  # PyTorch wraps a negative int into uint8
    assert x.tolist() == [254, 0, 0]
    for dtype, value in ((tg.uint8, 300), (tg.int32, 2**40), (tg.int32, 1e10)):
        with pytest.raises(RuntimeError, match="setitem"):  # not NumPy's OverflowError
            tg.zeros(3, dtype=dtype)[0] = value


@pytest.mark.parametrize("base", ["int8", "uint8", "float16", "int16", "float32"])
def test_the_exponent_gradient_of_pow_uses_the_result_dtype(base):
    def run(L):
        x = L.tensor([0.5, 1.5], dtype=L.float64, requires_grad=True)
        (L.tensor([7, 3], dtype=getattr(L, base)) ** x).sum().backward()
        return x.grad
    got = run(tg).numpy()
    np.testing.assert_allclose(got, np.array([7.0, 3.0]) ** [0.5, 1.5] * np.log([7.0, 3.0]),
                               rtol=1e-12)


def test_mixed_float_dtypes_in_logaddexp2_and_xlogy_compute_in_the_result_dtype():
    got = tg.logaddexp2(tg.tensor([1.1], dtype=tg.float64), tg.tensor([3]))
    assert got.item() == pytest.approx(np.logaddexp2(1.1, 3.0), rel=1e-14)
    got = tg.xlogy(tg.tensor([1.1], dtype=tg.float64), tg.tensor([3.0], dtype=tg.float16))
    assert got.item() == pytest.approx(1.1 * np.log(3.0), rel=1e-14)
    got = tg.special.xlog1py(tg.tensor([1.1], dtype=tg.float64), tg.tensor([3.3]))
    assert got.item() == pytest.approx(1.1 * np.log1p(np.float32(3.3)), rel=1e-14)


@pytest.mark.parametrize("case", [
    lambda L: L.ones(1, 3).unflatten(0, (0, -1)),
    lambda L: L.tensor(1.0).narrow(0, 0, 1),
    lambda L: L.tensor([1.0, 2.0]).fliplr(),
    lambda L: L.tensor([1.0, 2.0]).trace(),
])
def test_bad_shapes_raise_runtime_errors_as_pytorch(case):
    with pytest.raises(RuntimeError):
        case(tg)


def test_logcumsumexp_of_an_empty_tensor_has_an_empty_gradient():
    x = tg.tensor([], requires_grad=True)
    tg.logcumsumexp(x, 0).sum().backward()
    assert x.grad.shape == (0,)


@pytest.mark.parametrize("make", [lambda w: w.mean(), lambda w: (w - w.mean()).sum(),
                                  lambda w: (w * 2).sum(), lambda w: (w / 2).sum()])
def test_a_graph_that_saved_only_numbers_takes_a_second_backward_as_pytorch(make):
    w = tg.ones(3, requires_grad=True)
    y = make(w)
    y.backward()
    first = w.grad.numpy().copy()
    y.backward()  # nothing was freed: PyTorch allows it
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)
    y = (w * w).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):  # this one saved tensors
        y.backward()


def test_a_view_made_under_no_grad_is_not_written_with_grad_mode_on():
    w = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        view = w[0:1]
    for write in (lambda: view.mul_(2), lambda: view.__setitem__(0, 5.0), view.zero_):
        with pytest.raises(RuntimeError, match="no_grad mode"):
            write()
    assert w.tolist() == [1.0, 1.0, 1.0]
    with tg.no_grad():
        view.mul_(2)  # under no_grad as well: allowed, as PyTorch
    assert w.tolist() == [2.0, 1.0, 1.0]


def _attention_with_a_fully_padded_row(lib, state=None):
    lib.manual_seed(0)
    m = lib.nn.MultiheadAttention(4, 2, batch_first=True)
    if state is not None:
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    x = lib.tensor(np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32),
                   requires_grad=True)
    padding = lib.tensor([[True, True, True], [False, True, False]])
    out, _ = m(x, x, x, key_padding_mask=padding, need_weights=False)
    (out * lib.tensor(np.arange(24.0, dtype=np.float32).reshape(2, 3, 4))).sum().backward()
    state = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    return [out.detach().numpy(), x.grad.numpy(), m.in_proj_weight.grad.numpy()], state


def test_attention_without_weights_gives_zeros_for_a_query_with_every_key_masked():
    ours, state = _attention_with_a_fully_padded_row(tg)
    assert all(np.isfinite(a).all() for a in ours)  # PyTorch's SDPA path: no NaN anywhere
    bias = state["out_proj.bias"]
    np.testing.assert_allclose(ours[0][0], np.broadcast_to(bias, (3, 4)), atol=1e-7)
    if torch is not None:
        torch_state = dict(state)  # arrays: the helper wraps them
        theirs, _ = _attention_with_a_fully_padded_row(torch, torch_state)
        for mine, want in zip(ours, theirs):
            np.testing.assert_allclose(mine, want, rtol=1e-5, atol=1e-5)


def test_reading_grad_of_a_result_warns_as_pytorch_unless_it_retains_it():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None
    y.retain_grad()
    assert y.grad is None  # asked for: no warning (warnings are errors here)
    assert (tg.ones(2) * 2).grad is None and x.grad is None  # not in a graph, or a leaf
    with tg.no_grad():
        assert (x * 2).grad is None


@pytest.mark.parametrize("make", [
    lambda L: L.nn.AvgPool1d(3), lambda L: L.nn.AvgPool1d(3, 2, 1),
    lambda L: L.nn.Embedding(5, 3, max_norm=1, norm_type=1.0), lambda L: L.nn.Unfold(2),
    lambda L: L.nn.Fold((4, 4), 2, padding=1),
])
def test_layer_reprs_as_pytorch(make):
    text = repr(make(tg))
    if torch is not None:
        assert text == repr(make(torch))
    assert "(" in text and text.count("(") == text.count(")")


def test_instance_norm_refuses_one_spatial_element_as_pytorch():
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        tg.nn.InstanceNorm1d(3)(tg.ones(2, 3, 1))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(tg.ones(2, 3, 1, 1))
    assert F.instance_norm(tg.ones(2, 3, 2)).shape == (2, 3, 2)


@pytest.mark.parametrize("target", [lambda: tg.ones(0, dtype=tg.int64), lambda: tg.ones(0, 3)])
def test_cross_entropy_of_an_empty_batch_is_nan_silently(target):
    x = tg.ones(0, 3, requires_grad=True)
    loss = F.cross_entropy(x, target())  # (warnings are errors here)
    assert np.isnan(loss.item())
    loss.backward()
    assert x.grad.shape == (0, 3)


def test_a_module_with_the_old_weight_norm_pickles_as_pytorch():
    import pickle
    with pytest.warns(FutureWarning):
        model = tg.nn.utils.weight_norm(tg.nn.Linear(3, 2))
    copy = pickle.loads(pickle.dumps(model))  # its weight is a result whose inputs have views
    x = tg.ones(1, 3)
    np.testing.assert_array_equal(copy(x).detach().numpy(), model(x).detach().numpy())
    copy(x).sum().backward()
    assert copy.weight_g.grad is not None and model.weight_g.grad is None
    w = tg.ones(3, requires_grad=True)
    h = w * 2
    h.retain_grad()
    view = h[1:]
    total = pickle.loads(pickle.dumps((h * view.sum()).sum()))  # views and retain_grad too
    assert total.item() == 24.0


@pytest.mark.parametrize("pool", [
    lambda L, t: L.nn.functional.adaptive_avg_pool2d(t, (3, 3)),
    lambda L, t: L.nn.functional.adaptive_avg_pool2d(t, (None, 3)),
    lambda L, t: L.nn.functional.interpolate(t, size=(3, 3), mode="area"),
])
def test_uneven_adaptive_average_pools_keep_an_inf_in_its_windows(pool):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 0] = INF
    got = pool(tg, tg.tensor(x)).numpy()
    assert not np.isnan(got).any()  # (a matrix product would give 0 * inf = NaN elsewhere)
    assert np.isinf(got[0, 0, 0, 0]) and np.isfinite(got[0, 0, 1:]).all()
    if torch is not None:
        np.testing.assert_allclose(got, pool(torch, torch.tensor(x)).numpy(), rtol=1e-12)


def _second_derivatives_at_zero(lib):
    """The Hessian of a norm at 0, pair-distance forces with the self-pairs' zero vectors,
    std of a constant, and a norm away from zero."""
    f64 = lib.float64
    hessian = lib.autograd.functional.hessian(lambda v: v.norm(), lib.zeros(3, dtype=f64))
    x = lib.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=f64, requires_grad=True)
    forces, = lib.autograd.grad((x[:, None] - x[None]).norm(dim=-1).sum(), x, create_graph=True)
    pairs, = lib.autograd.grad(forces.pow(2).sum(), x)
    c = lib.ones(3, dtype=f64, requires_grad=True)
    g, = lib.autograd.grad(c.std(), c, create_graph=True)
    spread, = lib.autograd.grad((g * lib.tensor([1.0, 2.0, 3.0], dtype=f64)).sum(), c)
    away = lib.autograd.functional.hessian(lambda v: v.norm(), lib.tensor([3.0, 4.0], dtype=f64))
    return [t.detach().numpy() for t in (hessian, pairs, spread, away)]


def test_second_derivatives_of_a_norm_at_zero_are_nan_as_pytorch_and_std_of_a_constant_zero():
    hessian, pairs, spread, away = _second_derivatives_at_zero(tg)
    assert np.isnan(hessian).all() and np.isnan(pairs).all()  # (was the identity: made up)
    np.testing.assert_array_equal(spread, 0.0)
    np.testing.assert_allclose(away, (np.eye(2) * 25 - np.outer([3, 4], [3, 4])) / 125)
    if torch is not None:
        for mine, theirs in zip((hessian, pairs, spread, away), _second_derivatives_at_zero(torch)):
            np.testing.assert_allclose(mine, theirs, rtol=1e-12, equal_nan=True)


def test_kl_of_masked_categoricals_and_weighted_bce_at_inf_are_silent():
    D = tg.distributions
    logits = tg.tensor([[0.1, 0.2, 0.3]])
    masked = logits.masked_fill(tg.tensor([[False, True, False]]), -INF)  # a masked action
    for family in (D.Categorical, D.OneHotCategorical):
        kl = D.kl_divergence(family(logits=masked), family(logits=logits))
        p = np.exp([0.1, 0.3]) / np.exp([0.1, 0.3]).sum()
        q = np.exp([0.1, 0.2, 0.3]) / np.exp([0.1, 0.2, 0.3]).sum()
        assert kl.item() == pytest.approx((p * np.log(p / q[[0, 2]])).sum(), rel=1e-5)
    x = tg.tensor([INF, -INF, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tg.tensor([1.0, 0.0, 1.0]),
                                              pos_weight=tg.tensor([2.0, 2.0, 2.0]))
    loss.backward()  # nan, as PyTorch's, without NumPy's warning
    assert np.isnan(loss.item()) and x.grad.tolist()[:2] == [0.0, 0.0]


def _foreach_ema(lib):
    params = [lib.tensor([1.0, 2.0]), lib.tensor([[3.0], [4.0]])]
    ema = [lib.zeros(2), lib.ones(2, 1)]
    lib._foreach_lerp_(ema, params, 0.1)
    lib._foreach_mul_(params, 2.0)
    lib._foreach_add_(params, [lib.ones(2), lib.ones(2, 1)], alpha=0.5)
    lib._foreach_sub_(ema, 0.25)
    lib._foreach_addcmul_(ema, params, params, value=0.1)
    outs = lib._foreach_add(params, 1.0) + lib._foreach_div(params, 2.0) + lib._foreach_sqrt(params)
    return [t.numpy() for t in (*ema, *params, *outs, *lib._foreach_norm(params))]


def test_foreach_functions_as_pytorch():
    got = _foreach_ema(tg)
    np.testing.assert_allclose(got[0], [0.1 - 0.25 + 0.1 * 2.5 ** 2, 0.2 - 0.25 + 0.1 * 4.5 ** 2],
                               rtol=1e-6)
    if torch is not None:
        for mine, theirs in zip(got, _foreach_ema(torch)):
            np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def test_attention_backend_switches_compiler_and_distribution_utils_exist():
    from tinygrad_np.distributions.utils import broadcast_all, logits_to_probs, probs_to_logits
    from tinygrad_np.nn.attention import SDPBackend, sdpa_kernel
    q = tg.ones(1, 2, 3)
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
        out = F.scaled_dot_product_attention(q, q, q)
    with tg.backends.cuda.sdp_kernel(enable_flash=False):
        tg.backends.cuda.enable_flash_sdp(False)
    np.testing.assert_allclose(out.numpy(), q.numpy())
    with pytest.raises(TypeError):
        with sdpa_kernel("math"):
            pass

    @tg.compiler.disable
    def double(x):
        return x * 2

    assert double(tg.ones(2)).tolist() == [2.0, 2.0] and not tg.compiler.is_compiling()
    assert tg.compiler.disable(recursive=False)(double) is double
    a, b = broadcast_all(tg.ones(2, 1), 3.0)
    assert a.shape == b.shape == (2, 1) and b.tolist() == [[3.0], [3.0]]
    p = tg.tensor([0.2, 0.8])
    np.testing.assert_allclose(probs_to_logits(p, is_binary=True).numpy(), np.log([0.25, 4.0]),
                               rtol=1e-6)
    np.testing.assert_allclose(logits_to_probs(probs_to_logits(p)).numpy(), p.numpy(), rtol=1e-6)
    if torch is not None:
        from torch.distributions import utils as theirs
        np.testing.assert_allclose(probs_to_logits(p).numpy(),
                                   theirs.probs_to_logits(torch.tensor([0.2, 0.8])).numpy())


# ----------------------------------------------------------------- PyTorch's checkpoint files
def _checkpoint(objects) -> bytes:
    import io
    buffer = io.BytesIO()
    torch.save(objects, buffer)
    return buffer.getvalue()


@pytest.mark.skipif(torch is None, reason="PyTorch writes the files")
def test_a_pytorch_training_checkpoint_loads_into_the_same_model():
    import io
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(32, 3))
    optimizer = torch.optim.Adam(theirs.parameters())
    theirs(torch.randn(2, 1, 6, 6)).sum().backward()
    optimizer.step()
    data = _checkpoint({"model": theirs.state_dict(), "optimizer": optimizer.state_dict(),
                        "epoch": 3, "names": ["a", "b"]})
    checkpoint = tg.load(io.BytesIO(data))
    assert checkpoint["epoch"] == 3 and checkpoint["names"] == ["a", "b"]
    ours = tg.nn.Sequential(tg.nn.Conv2d(1, 2, 3), tg.nn.BatchNorm2d(2), tg.nn.Flatten(),
                            tg.nn.Linear(32, 3))
    ours.load_state_dict(checkpoint["model"])
    tg.optim.Adam(ours.parameters()).load_state_dict(checkpoint["optimizer"])
    x = np.random.default_rng(0).normal(size=(2, 1, 6, 6)).astype(np.float32)
    theirs.eval()
    ours.eval()
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(torch is None, reason="PyTorch writes the files")
@pytest.mark.parametrize("make", [
    lambda: torch.arange(12.0).reshape(3, 4).t(), lambda: torch.arange(10)[2:7:2],
    lambda: torch.tensor([1, 2], dtype=torch.int8), lambda: torch.tensor([True, False]),
    lambda: torch.tensor([1.5, -2.25], dtype=torch.bfloat16), lambda: torch.zeros(0, 3),
    lambda: torch.tensor([1.0, 2.0], dtype=torch.float16), lambda: torch.tensor(5.0),
    lambda: torch.nn.Parameter(torch.ones(2)),
])
def test_pytorch_tensors_of_every_layout_and_dtype_load(make):
    import io
    tensor = make()
    got = tg.load(io.BytesIO(_checkpoint(tensor)))
    want = tensor.detach().float() if tensor.dtype == torch.bfloat16 else tensor.detach()
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.shape == tuple(tensor.shape)
    assert got.requires_grad == tensor.requires_grad


def _zip(entries: dict) -> bytes:
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _pickled_storage(size, stride, count, offset=0):
    """A data.pkl of one float tensor, written opcode by opcode (protocol 2; no torch needed):
    _rebuild_tensor_v2(storage 0 of `count` floats, offset, size, stride, False, None)."""
    import struct

    def number(n):
        return b"J" + struct.pack("<i", n)

    def text(s):
        return b"X" + struct.pack("<I", len(s)) + s.encode()

    def tuple_of(values):
        return b"(" + b"".join(map(number, values)) + b"t"

    storage = (b"(" + text("storage") + b"ctorch\nFloatStorage\n" + text("0") + text("cpu")
               + number(count) + b"tQ")
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + storage + number(offset)
            + tuple_of(size) + tuple_of(stride) + b"\x89Nt" + b"R.")


def test_a_checkpoint_that_names_anything_else_is_refused_without_running_it(tmp_path):
    import os
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    data = _zip({"w/data.pkl": pickle.dumps(Evil(), protocol=2), "w/byteorder": b"little"})
    with pytest.raises(ValueError, match="system"):
        tg.load(__import__("io").BytesIO(data))
    assert not (tmp_path / "ran").exists()


@pytest.mark.skipif(torch is None, reason="PyTorch writes the files")
def test_a_checkpoint_whose_sizes_disagree_or_are_too_big_is_refused():
    import io
    import zipfile
    data = _checkpoint(torch.arange(6.0))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    storage = next(name for name in entries if name.endswith("data/0"))
    short = dict(entries, **{storage: entries[storage][:8]})
    with pytest.raises(ValueError, match="bytes"):
        tg.load(io.BytesIO(_zip(short)))
    with pytest.raises(ValueError, match="max_bytes"):
        tg.load(io.BytesIO(data), max_bytes=16)
    missing = {name: value for name, value in entries.items() if name != storage}
    with pytest.raises(ValueError, match="missing"):
        tg.load(io.BytesIO(_zip(missing)))
    with pytest.raises(ValueError):
        tg.load(io.BytesIO(data[: len(data) // 2]))


def test_a_tensor_reaching_past_its_storage_is_refused():
    import io
    storage = np.arange(4, dtype="<f4").tobytes()
    good = _zip({"w/data.pkl": _pickled_storage((2, 2), (2, 1), 4), "w/data/0": storage})
    np.testing.assert_array_equal(tg.load(io.BytesIO(good)).numpy(), [[0, 1], [2, 3]])
    for size, stride, offset in (((4,), (2,), 0), ((2, 2), (2, 1), 1), ((2,), (-1,), 0)):
        bad = _zip({"w/data.pkl": _pickled_storage(size, stride, 4, offset), "w/data/0": storage})
        with pytest.raises(ValueError, match="size"):
            tg.load(io.BytesIO(bad))


def _op_global(module, name):
    return b"c%s\n%s\n" % (module, name)


def _op_int(n):
    import struct
    return b"J" + struct.pack("<i", n)


def _op_tuple(*parts):
    return b"(" + b"".join(parts) + b"t"


def _op_text(s):
    import struct
    return b"X" + struct.pack("<I", len(s)) + s


def _rebuild(storage_or_tensor, size, stride, offset=0, extra=b""):
    hooks = _op_global(b"collections", b"OrderedDict") + b")R"
    return (_op_global(b"torch._utils", b"_rebuild_tensor_v2")
            + _op_tuple(storage_or_tensor, _op_int(offset), _op_tuple(*map(_op_int, size)),
                        _op_tuple(*map(_op_int, stride)), b"\x89", hooks, extra) + b"R")


_STORAGE_REF = _op_tuple(_op_text(b"storage"), _op_global(b"torch", b"FloatStorage"),
                         _op_text(b"0"), _op_text(b"cpu"), _op_int(4)) + b"Q"


def _crafted(body, storage=bytes(16)):
    import io
    return io.BytesIO(_zip({"a/data.pkl": b"\x80\x02" + body + b".", "a/data/0": storage}))


def test_a_crafted_checkpoint_cannot_read_memory_it_does_not_own():
    empty = _rebuild(_STORAGE_REF, (100000, 0), (1, 1))  # a tensor with len() but no bytes
    with pytest.raises(ValueError, match="storage of the file"):
        tg.load(_crafted(_rebuild(empty, (100000,), (1,))))


def test_a_crafted_checkpoint_cannot_expand_a_tiny_storage_past_max_bytes():
    with pytest.raises(ValueError, match="max_bytes"):
        tg.load(_crafted(_rebuild(_STORAGE_REF, (16384, 16384), (0, 0))), max_bytes=1024)
    assert tg.load(_crafted(_rebuild(_STORAGE_REF, (3, 2), (0, 1)))).shape == (3, 2)


def test_a_crafted_checkpoint_cannot_set_a_tensors_state():
    state = _op_tuple(b"N", b"}" + _op_text(b"_data") + _op_text(b"hello") + b"s")
    with pytest.raises(ValueError, match="state"):
        tg.load(_crafted(_rebuild(_STORAGE_REF, (4,), (1,)) + state + b"b"))


@pytest.mark.parametrize("damage", ["flip storage", "flip pickle", "truncate", "byteorder"])
def test_a_damaged_checkpoint_is_a_value_error_naming_the_file(damage):
    import io
    body = _rebuild(_STORAGE_REF, (4,), (1,))
    entries = {"a/data.pkl": b"\x80\x02" + body + b".", "a/data/0": bytes(range(16))}
    if damage == "byteorder":
        entries["a/byteorder"] = b"\xff\xfe"
    data = bytearray(_zip(entries))
    if damage == "flip storage":
        data[data.index(bytes(range(16))) + 3] ^= 0xFF  # a bad CRC
    elif damage == "flip pickle":
        data[data.index(b"_rebuild_tensor_v2") + 2] ^= 0xFF
    elif damage == "truncate":
        del data[len(data) // 2:]
    with pytest.raises(ValueError, match="load: "):
        tg.load(io.BytesIO(bytes(data)))


@pytest.mark.skipif(torch is None, reason="PyTorch writes the files")
def test_what_torch_load_with_weights_only_reads_loads_the_same():
    import io
    imag = torch.tensor([1 + 2j, 3 - 4j]).conj().imag  # a float tensor with the neg bit set
    weights = torch.randn(3, requires_grad=True)
    objects = {"imag": imag, "weights": weights, "size": torch.Size([2, 3]),
               "device": torch.device("cpu"), "dtype": torch.float32, "raw": b"\x00\x01",
               "tags": {1, 2}, "expanded": torch.zeros(1).expand(4, 3)}
    got = tg.load(io.BytesIO(_checkpoint(objects)))
    np.testing.assert_array_equal(got["imag"].numpy(), [-2.0, 4.0])
    assert got["weights"].requires_grad and got["size"] == (2, 3)
    assert str(got["device"]) == "cpu" and got["dtype"] == tg.float32
    assert got["raw"] == b"\x00\x01" and got["tags"] == {1, 2}
    assert got["expanded"].shape == (4, 3)


@pytest.mark.skipif(torch is None, reason="PyTorch writes the files")
def test_legacy_and_torchscript_files_are_refused_with_their_names(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    assert tg.load(tmp_path / "old.pt")["w"].tolist() == [1.0, 1.0]  # (read since round 21)
    with pytest.raises(ValueError, match="legacy format"):  # (not mapped, as torch.load)
        tg.load(tmp_path / "old.pt", mmap=True)
    with pytest.warns(DeprecationWarning):  # (PyTorch 2.13 on torch.jit.script)
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "script.pt")
    with pytest.raises(ValueError, match="TorchScript"):
        tg.load(tmp_path / "script.pt")


def test_small_corners_of_median_kthvalue_and_abs_as_pytorch():
    for dtype in (tg.int64, tg.int32, tg.uint8):  # PyTorch: the dtype's smallest value
        assert tg.tensor([], dtype=dtype).median().item() == np.iinfo(dtype).min
    assert np.isnan(tg.tensor([]).median().item())
    with pytest.raises(IndexError, match="non-zero size"):
        tg.empty(0, 3).kthvalue(1, dim=0)
    with pytest.raises(NotImplementedError, match="bool"):  # (a RuntimeError too)
        tg.tensor([True]).abs()


@pytest.mark.parametrize("ask", [lambda: tg.ones(1).cuda(), lambda: tg.ones(1).to("cuda"),
                                 lambda: tg.ones(1, device="cuda"),
                                 lambda: tg.nn.Linear(1, 1).cuda(), tg.cuda.current_device])
def test_asking_for_cuda_raises_what_pytorch_without_cuda_raises(ask):
    with pytest.raises(AssertionError):  # PyTorch's class; a RuntimeError too
        ask()


# ----------------------------------------------------------------- creation and random
def test_uniform_samples_never_reach_their_upper_bound():
    from tinygrad_np.distributions import Exponential, Uniform
    tg.manual_seed(15)  # (this seed drew a float64 that rounded to 1.0 in float32)
    assert tg.rand(2**22).max().item() < 1.0
    tg.manual_seed(15)
    assert tg.rand_like(tg.zeros(2**22)).max().item() < 1.0
    tg.manual_seed(15)
    assert tg.zeros(2**22).uniform_(-2, 3).max().item() < 3.0
    tg.manual_seed(15)
    assert tg.nn.init.uniform_(tg.zeros(2**22), -2, 3).max().item() < 3.0
    tg.manual_seed(0)
    assert tg.rand(100000, dtype=tg.float16).max().item() < 1.0
    tg.manual_seed(15)
    assert not Exponential(tg.tensor(1.0)).sample((2**22,)).isinf().any()
    tg.manual_seed(15)
    assert Uniform(tg.tensor(0.0), tg.tensor(1.0)).sample((2**22,)).max().item() < 1.0


def test_random_fills_refuse_what_pytorch_refuses():
    with pytest.raises(NotImplementedError):
        tg.zeros(3, dtype=tg.int64).uniform_(2, 3)
    with pytest.raises(RuntimeError, match="from=3"):
        tg.zeros(3).uniform_(3, 2)
    for make in (lambda: tg.randint(0, 300, (8,), dtype=tg.uint8),
                 lambda: tg.randperm(300, dtype=tg.uint8), lambda: tg.randperm(-1)):
        with pytest.raises(RuntimeError):
            make()
    assert sorted(tg.randperm(256, dtype=tg.uint8).tolist()) == list(range(256))


def test_none_in_the_data_is_refused_not_nan():
    for data in ([1, None], [[1.0, 2.0], [None, 3.0]]):
        for make in (tg.tensor, tg.as_tensor, tg.Tensor):
            with pytest.raises(TypeError):  # PyTorch: "Could not infer dtype of NoneType"
                make(data)


def test_the_legacy_constructor_reads_a_size_as_sizes_and_numpy_takes_force():
    x = tg.ones(2, 3)
    for sizes in (x.size(), x.shape, tg.Size([2, 3])):
        made = tg.Tensor(sizes)
        assert made.shape == (2, 3) and made.dtype == tg.float32
    w = tg.ones(2, requires_grad=True)
    array = w.numpy(force=True)  # PyTorch's: a writable array, detached
    array[0] = 5.0
    assert w.tolist() == [1.0, 1.0]


def test_integer_linspace_truncates_pytorchs_float64_values():
    rng = np.random.default_rng(0)
    for _ in range(300):
        start, end = (int(v) for v in rng.integers(-100, 100, 2))
        steps = int(rng.integers(0, 50))
        got = tg.linspace(start, end, steps, dtype=tg.int64).tolist()
        want = np.trunc(tg.linspace(start, end, steps, dtype=tg.float64).numpy()).tolist()
        assert got == want
        if torch is not None:
            assert got == torch.linspace(start, end, steps, dtype=torch.int64).tolist()
    assert tg.linspace(72, -96, 27, dtype=tg.int64)[13].item() == -11  # PyTorch's (-11.99...)


@pytest.mark.parametrize("fill", [lambda t: t.normal_(0, -1), lambda t: t.geometric_(1),
                                  lambda t: t.geometric_(0), lambda t: t.cauchy_(0, -1),
                                  lambda t: t.log_normal_(0, -1),
                                  lambda t: t.to(tg.uint8).normal_()])
def test_random_fills_with_bad_parameters_are_runtime_errors_as_pytorch(fill):
    with pytest.raises(RuntimeError):
        fill(tg.zeros(3))


def test_module_type_converts_every_parameter_and_buffer_as_pytorch():
    def converted(lib):
        layer = lib.nn.BatchNorm1d(2)
        layer.type(lib.float64)
        linear = lib.nn.Linear(2, 2).type("torch.DoubleTensor")
        return [str(t.dtype).replace("torch.", "") for t in (
            layer.weight, layer.running_mean, layer.num_batches_tracked, linear.weight)]
    assert converted(tg) == ["float64"] * 4
    if torch is not None:
        assert converted(torch) == ["float64"] * 4
    assert tg.Generator().initial_seed() == 67280421310721  # PyTorch's default seed


@pytest.mark.parametrize("data", [[[1, 2], 3], [1, [2, 3]], [[1, 2], [3]], ["a"]])
def test_data_a_tensor_cannot_hold_is_refused_with_pytorchs_classes(data):
    with pytest.raises(TypeError):  # PyTorch: TypeError or ValueError; ours is both
        tg.tensor(data)
    with pytest.raises(ValueError):
        tg.tensor(data)


def test_negative_sizes_and_steps_are_runtime_errors():
    with pytest.raises(RuntimeError):
        tg.linspace(0, 1, -1)
    with pytest.raises(RuntimeError):
        tg.Tensor(-1)


# ----------------------------------------------------------------- testing utilities
@pytest.mark.parametrize("pair", [(1.0, INF), (INF, -INF), ([1.0, 2.0], [INF, 2.0]),
                                  (np.float32(5), np.float32(-np.inf))])
def test_assert_close_of_numbers_fails_against_an_infinity(pair):
    with pytest.raises(AssertionError):  # (an infinite expected value allowed any gap)
        tg.testing.assert_close(*pair)


def test_assert_close_stride_messages_and_the_deprecated_spelling():
    tg.testing.assert_close(INF, INF)
    tg.testing.assert_close(-INF, -INF)
    a, b = tg.tensor([[1.0, 2.0], [3.0, 4.0]]).t(), tg.tensor([[1.0, 3.0], [2.0, 4.0]])
    tg.testing.assert_close(a, b)
    with pytest.raises(AssertionError, match="stride"):
        tg.testing.assert_close(a, b, check_stride=True)
    with pytest.raises(AssertionError, match="^X:The keys"):
        tg.testing.assert_close({"a": 1.0}, {"b": 1.0}, msg=lambda m: "X:" + m)
    with pytest.raises(AssertionError, match="^X:The length"):
        tg.testing.assert_close([1.0], [1.0, 2.0], msg=lambda m: "X:" + m)
    with pytest.warns(FutureWarning):
        tg.testing.assert_allclose(tg.tensor([1.0]), [1.0])


def test_make_tensor_as_pytorch_describes_it():
    make = tg.testing.make_tensor
    tg.manual_seed(0)
    x = make(2, 3, dtype=tg.float32)
    assert x.shape == (2, 3) and x.dtype == tg.float32
    assert -9 <= x.min().item() and x.max().item() < 9
    assert make((50,), dtype=tg.uint8).min().item() >= 0
    ints = make(200, dtype=tg.int64, low=-2, high=2)
    assert set(ints.tolist()) <= {-2, -1, 0, 1}
    assert (make(200, dtype=tg.int64, low=-1, high=2, exclude_zero=True) != 0).all()
    strided = make(3, 4, dtype=tg.float64, noncontiguous=True, requires_grad=True)
    assert not strided.is_contiguous() and strided.requires_grad and strided.shape == (3, 4)
    assert make(3, dtype=tg.bool).dtype == tg.bool
    with pytest.raises(ValueError):
        make(2, dtype=tg.int64, requires_grad=True)
    with pytest.raises(ValueError):
        make(2, dtype=tg.float32, low=3, high=1)


def test_determinism_switches_tests_set():
    with tg.backends.cudnn.flags(enabled=False, benchmark=False, deterministic=True):
        assert not tg.backends.cudnn.enabled  # (as PyTorch 2.13 on the CPU: the flag set)
    assert tg.backends.cudnn.enabled  # restored after
    tg.set_deterministic_debug_mode("warn")
    assert tg.get_deterministic_debug_mode() == 1 and tg.are_deterministic_algorithms_enabled()
    tg.set_deterministic_debug_mode(0)
    assert not tg.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError):
        tg.use_deterministic_algorithms("yes")


def test_a_gradcheck_failure_matches_pytorchs_words():
    class Wrong(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return grad  # (should be 2 x grad)

    x = tg.tensor([0.3, 0.7], dtype=tg.float64, requires_grad=True)
    for fast in (False, True):
        with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                               "input 0"):
            tg.autograd.gradcheck(Wrong.apply, (x,), fast_mode=fast)


def test_manual_seed_returns_the_default_generator_as_pytorch():
    g = tg.manual_seed(3)
    assert g is tg.default_generator and isinstance(g, tg.Generator) and g.initial_seed() == 3
    first = tg.rand(3, generator=g)
    tg.manual_seed(3)
    assert tg.rand(3).tolist() == first.tolist()  # the same stream as the global draws
    state = g.get_state()
    drawn = tg.rand(2).tolist()
    g.set_state(state)
    assert tg.rand(2).tolist() == drawn
    if torch is not None:
        assert isinstance(torch.manual_seed(3), torch.Generator)


def test_grid_sample_with_an_inf_coordinate_is_silent():
    x = tg.tensor(np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4))
    grid = np.zeros((1, 2, 2, 2), np.float32)
    grid[0, 0, 0, 0] = INF
    out = F.grid_sample(x, tg.tensor(grid), align_corners=False)  # (warnings are errors here)
    assert np.isfinite(out.numpy()[0, 0, 1]).all()


def test_isclose_allclose_and_equal_refuse_what_pytorch_refuses():
    with pytest.raises(RuntimeError):  # (NumPy's plain ValueError before)
        tg.allclose(tg.tensor([1.0, 1.0]), tg.tensor([1.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError):
        tg.isclose(tg.ones(2), tg.ones(2), rtol=-1)
    with pytest.raises(TypeError):
        tg.tensor([1]).equal(1)
    assert tg.allclose(tg.ones(2), tg.ones(2)) and tg.isclose(tg.ones(2, 1), tg.ones(3)).all()
