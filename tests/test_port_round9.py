"""Round nine of PyTorch parity: what the previous rounds listed as found and not fixed.
PyTorch is the oracle where installed; the expected values are written out otherwise."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F

try:
    import torch as _torch
except ImportError:  # pragma: no cover - the suite runs without PyTorch too
    _torch = None


# ------------------------------------------------------- masked gradients: the sign of zero
_MASKED = {
    "relu": (lambda x: x.relu(), [False, True, True]),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), [False, False, True]),
    "hardtanh": (lambda x: F.hardtanh(x), [False, False, True]),
    "relu6": (lambda x: F.relu6(x), [False, True, True]),
}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(_MASKED))
def test_a_masked_gradient_is_plus_zero_where_blocked(name, dtype):
    # PyTorch's threshold/clamp backward writes 0 where the mask blocks the gradient (+0.0,
    # even for a negative incoming gradient) and passes -0.0 through where it is open.
    op, signs = _MASKED[name]
    x = tg.tensor([-1.0, 2.0, 0.3], dtype=getattr(tg, dtype), requires_grad=True)
    op(x).backward(tg.tensor([-1.0, -0.0, -0.0], dtype=getattr(tg, dtype)))
    assert np.signbit(x.grad.numpy()).tolist() == signs
    assert x.grad.dtype == getattr(tg, dtype)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_masked_gradient_blocks_nan_and_inf(bad):
    x = tg.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    x.relu().backward(tg.tensor([[bad, bad], [1.0, bad]]))
    got = x.grad.numpy()
    assert got[0, 0] == 0 and got[1, 1] == 0 and not np.signbit(got[0, 0])
    assert np.array_equal(got[0, 1], np.float32(bad), equal_nan=True) and got[1, 0] == 1
    if _torch is not None:
        t = _torch.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
        t.relu().backward(_torch.tensor([[bad, bad], [1.0, bad]]))
        assert np.array_equal(t.grad.numpy(), got, equal_nan=True)


# ---------------------------------------------------------------- linalg.qr's gradient
def _qr_loss(lib, a, mode):
    q, r = lib.linalg.qr(a, mode=mode)
    weights_q = np.cos(np.arange(q.numel())).reshape(tuple(q.shape))
    weights_r = np.sin(np.arange(r.numel())).reshape(tuple(r.shape))
    return (q * lib.tensor(weights_q)).sum() + (r * lib.tensor(weights_r)).sum()


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3), (2, 3, 4), (1, 1), (1, 3)])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr_has_pytorchs_gradient(shape, mode):
    values = np.random.default_rng(sum(shape)).standard_normal(shape)
    a = tg.tensor(values, requires_grad=True)
    if mode == "complete" and shape[-2] > shape[-1]:
        with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
            _qr_loss(tg, a, mode).backward()
        return
    _qr_loss(tg, a, mode).backward()
    # float64 central differences of the same loss
    flat, numeric = values.reshape(-1), np.zeros(values.size)
    for i in range(values.size):
        shifted = []
        for step in (1e-6, -1e-6):
            moved = flat.copy()
            moved[i] += step
            shifted.append(_qr_loss(tg, tg.tensor(moved.reshape(shape)), mode).item())
        numeric[i] = (shifted[0] - shifted[1]) / 2e-6
    assert np.allclose(a.grad.numpy().reshape(-1), numeric, atol=1e-6)
    if _torch is not None:
        t = _torch.tensor(values, requires_grad=True)
        _qr_loss(_torch, t, mode).backward()
        assert np.allclose(a.grad.numpy(), t.grad.numpy(), atol=1e-10)


def test_qr_second_derivatives_and_refusals():
    rng = np.random.default_rng(3)
    for shape in [(3, 5), (5, 3), (2, 3, 3)]:
        a = tg.tensor(rng.standard_normal(shape), requires_grad=True)
        assert tg.autograd.gradgradcheck(lambda m: tg.linalg.qr(m), (a,))
    a = tg.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    q, r = tg.linalg.qr(a, mode="r")
    assert q.numel() == 0 and r.requires_grad
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()
    q, r = tg.qr(a)  # the deprecated torch.qr and Tensor.qr go the same way
    assert q.requires_grad and a.qr()[1].requires_grad
    for shape, mode, q_shape, r_shape in [((0, 3), "reduced", (0, 0), (0, 3)),
                                          ((3, 0), "complete", (3, 3), (3, 0)),
                                          ((2, 0, 0), "r", (0,), (2, 0, 0))]:
        q, r = tg.linalg.qr(tg.zeros(*shape), mode=mode)  # empty matrices, as PyTorch
        assert q.shape == q_shape and r.shape == r_shape


# ------------------------------------------------- names from PyTorch's top level and Tensor
def _compare(make, grad=True):
    """make(lib, x, y) with x requiring grad: the same values (and x's gradient of the sum of
    the results, weighted by position) in PyTorch and here."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)).astype(np.float32)
    b = rng.standard_normal((3, 3)).astype(np.float32)
    seen = []
    for lib in (_torch, tg):
        x, y = lib.tensor(a, requires_grad=grad), lib.tensor(b)
        with warnings.catch_warnings():
            if lib is _torch:  # its deprecation and beta notes (frobenius_norm, index_reduce)
                warnings.simplefilter("ignore", UserWarning)
            results = make(lib, x, y)
        results = results if isinstance(results, (tuple, list)) else (results,)
        values = [r if isinstance(r, (bool, int)) else r.detach().numpy().astype(np.float64)
                  for r in results]
        graded = [r for r in results if getattr(r, "requires_grad", False)]
        if graded:
            sum((r.double() * (i + 1)).sum() for i, r in enumerate(graded)).backward()
        seen.append((values, None if x.grad is None else x.grad.numpy()))
    (want, want_grad), (got, got_grad) = seen
    assert len(want) == len(got)
    for w, g in zip(want, got):
        assert w == g if isinstance(w, (bool, int)) else np.allclose(w, g, atol=1e-5)
    assert (want_grad is None) == (got_grad is None)
    if want_grad is not None:
        assert np.allclose(want_grad, got_grad, atol=1e-5)


_NAMES = {
    "binary_cross_entropy_with_logits": lambda L, x, y: L.binary_cross_entropy_with_logits(
        x, y.sigmoid()),
    "bce_sum_pos_weight": lambda L, x, y: L.binary_cross_entropy_with_logits(
        x, y.sigmoid(), None, L.tensor([1.0, 2.0, 3.0]), 2),
    "kl_div": lambda L, x, y: L.kl_div(x, y.sigmoid()),
    "kl_div_mean_log_target": lambda L, x, y: L.kl_div(x, y, 1, log_target=True),
    "cosine_embedding_loss": lambda L, x, y: L.cosine_embedding_loss(
        x, x * 0.5 + y, L.tensor([1.0, -1.0, 1.0])),
    "hinge_embedding_loss": lambda L, x, y: L.hinge_embedding_loss(x, L.ones(3, 3), 1.0, 1),
    "margin_ranking_loss": lambda L, x, y: L.margin_ranking_loss(x[:, 0], x[:, 1],
                                                                 L.tensor([1.0, -1.0, 1.0])),
    "poisson_nll_loss": lambda L, x, y: L.poisson_nll_loss(x, y.abs(), True, False, 1e-8, 1),
    "triplet_margin_loss": lambda L, x, y: L.triplet_margin_loss(x, x + y, x - 2 * y),
    "batch_norm": lambda L, x, y: L.batch_norm(x, None, None, None, None, True, 0.1, 1e-5,
                                               False),
    "batch_norm_eval": lambda L, x, y: L.batch_norm(
        x, L.tensor([1.0, 2, 3]), L.tensor([0.0, 1, 0]), L.zeros(3), L.ones(3), False, 0.1,
        1e-5, False),
    "instance_norm": lambda L, x, y: L.instance_norm(x[None], None, None, None, None, True,
                                                     0.1, 1e-5, False),
    "rsub": lambda L, x, y: (L.rsub(x, 2.0, alpha=3), L.rsub(x, y)),
    "fill": lambda L, x, y: L.fill(x.detach(), 2),
    "frobenius_norm": lambda L, x, y: (L.frobenius_norm(x, [0, 1]),
                                       L.frobenius_norm(x, [1], True)),
    "nuclear_norm": lambda L, x, y: (L.nuclear_norm(x), L.nuclear_norm(x, [0, 1], True)),
    "constant_pad_nd": lambda L, x, y: L.constant_pad_nd(x, [1, 2], 3.0),
    "in_place_activations": lambda L, x, y: (L.selu_(x * 1), L.celu_(x * 1, 0.5),
                                             L.threshold_(x * 1, 0.1, 7.0)),
    "nonzero_static": lambda L, x, y: (
        L.nonzero_static(L.tensor([0, 1, 0, 2]), size=3).float(),
        L.nonzero_static(L.tensor([[0, 1], [3, 2]]), size=2, fill_value=7).float()),
    "conj_and_friends": lambda L, x, y: (L.conj(x), L.resolve_conj(x), x.is_conj(),
                                         L.is_same_size(x, y), x.conj_physical()),
    "methods_that_are_functions": lambda L, x, y: (
        x.adjoint(), x.diagflat(1), x[0].ger(y[1]), x.hardshrink(0.3), x.narrow_copy(1, 1, 2),
        x.prelu(L.tensor([0.25])), x.select_scatter(y[0] * 2, 0, 1), x[0].vdot(y[0]),
        x.slice_scatter(y[:, :1], 1, 1, 2), x.diagonal_scatter(y[0]), x[0, 0].is_nonzero(),
        x.cholesky_solve(L.eye(3) + 0.1 * y.tril())),
    "in_place_comparisons": lambda L, x, y: (
        x.detach().clone().eq_(0.5 * x.detach()), x.detach().clone().lt_(y),
        x.detach().clone().ge_(0.0), x.detach().int().not_equal_(0).float(),
        x.detach().clone().greater_equal_(y), x.detach().clone().less_(y)),
    "in_place_forms": lambda L, x, y: (
        x.detach().clone().heaviside_(y), (x * 1).ldexp_(L.tensor([1, 2, 3])),
        (x * 1).addmm_(y, y, beta=0.5, alpha=2), (x * 1).addr_(y[0], y[1]),
        (x[0] * 1).addmv_(y, y[1]), (x[None] * 1).baddbmm_(y[None], y[None]),
        (x * 1).swapaxes_(0, 1), (x * 1).swapdims_(1, 0) + 0),
    "resize_as_": lambda L, x, y: x.detach().clone().resize_as_(y[:2]),
    "unsafe_split": lambda L, x, y: (*x.unsafe_chunk(2, 1), *L.unsafe_split(x, 2)),
    "index_reduce": lambda L, x, y: (
        x.index_reduce(0, L.tensor([0, 2, 0]), y + 2, "prod"),
        x.index_reduce(1, L.tensor([1, 1, 0]), y, "mean", include_self=False),
        x.index_reduce(0, L.tensor([2, 2, 0]), y, "amax"),
        (x * 1).index_reduce_(0, L.tensor([2, 2, 0]), y, "amin")),
    "as_strided": lambda L, x, y: (x.as_strided((2, 3), (1, 2)),
                                   L.as_strided(x, (2, 2), (3, 1), 4),
                                   x.reshape(-1).as_strided((7, 3), (1, 1))),
    "copies": lambda L, x, y: (
        L.diagonal_copy(x, 1), L.permute_copy(x, (1, 0)), *L.split_copy(x, 2, 1), L.t_copy(x),
        *L.unbind_copy(x, 1), L.unfold_copy(x, 1, 2, 1), L.view_copy(x, (9,)),
        L.expand_copy(x[:1], (2, 3, 3)), L.slice_copy(x, 1, 0, 3, 2), L.alias_copy(x),
        L.select_copy(x, 1, 2), L.squeeze_copy(x[None], 0), L.unsqueeze_copy(x, 0),
        L.transpose_copy(x, 0, 1), L.as_strided_copy(x, (2,), (4,))),
}


@pytest.mark.skipif(_torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", sorted(_NAMES))
def test_pytorch_names_give_pytorchs_values_and_gradients(name):
    _compare(_NAMES[name])


def test_names_without_pytorch():
    x = tg.tensor([[1.0, -2.0], [0.0, 4.0]], requires_grad=True)
    assert tg.rsub(x, 1.0).tolist() == [[0.0, 3.0], [1.0, -3.0]]
    assert tg.nonzero_static(x, size=4, fill_value=9).tolist() == [[0, 0], [0, 1], [1, 1],
                                                                   [9, 9]]
    windows = tg.arange(5.0).as_strided((3, 3), (1, 1))
    assert windows.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    w = tg.arange(5.0, requires_grad=True)
    w.as_strided((3, 3), (1, 1)).sum().backward()
    assert w.grad.tolist() == [1, 2, 3, 2, 1]  # overlapping windows sum their gradients
    assert x.detach().clone().gt_(0).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert x.real is not None and tg.is_same_size(x, x.T) and not tg.is_conj(x)
    with pytest.raises(RuntimeError, match="non-complex"):
        _ = x.imag
    with pytest.raises(RuntimeError, match="not contiguous"):
        tg.arange(6.0).reshape(2, 3).T.as_strided((2,), (1,))
    with pytest.raises(RuntimeError, match="reach outside"):
        tg.arange(4.0).as_strided((2, 2), (2, 2))
    with pytest.raises(TypeError, match="reduction must be 0"):
        tg.kl_div(x, x, "batchmean")
    value = tg.tensor(2.0, requires_grad=True)
    tg.fill(tg.zeros(2, 3), value).sum().backward()
    assert value.grad.item() == 6.0
    with pytest.raises(RuntimeError, match="0-dimension value"):
        tg.fill(tg.zeros(2), tg.ones(2))
    counts = tg.binomial(tg.tensor([5.0, 10.0, 7.0]), tg.tensor([0.0, 1.0, 0.5]))
    assert counts.dtype == tg.float32 and counts.tolist()[:2] == [0.0, 10.0]
    assert 0 <= counts.tolist()[2] <= 7


# ---------------------------------------- gradients PyTorch defines where none flowed here
def test_frexp_nextafter_copysign_gradients():
    x = tg.tensor([3.0, -5.0, 0.75], requires_grad=True)
    mantissa, exponent = tg.frexp(x)
    (mantissa * tg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.25, 0.25, 3.0] and exponent.tolist() == [2, 3, 0]
    x = tg.tensor([[3.0], [-5.0]], requires_grad=True)
    y = tg.tensor([-1.0, 2.0, 0.0], requires_grad=True)
    tg.nextafter(x, y).sum().backward()
    assert x.grad.tolist() == [[3.0], [3.0]] and y.grad.tolist() == [0.0, 0.0, 0.0]
    a = tg.tensor([1.0, 3.0, float("inf"), float("nan")], requires_grad=True)
    tg.nextafter(a, tg.tensor([0.0, 3.0, float("inf"), 1.0])).sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 0.0, 1.0]  # 0 where input == other, as PyTorch
    x = tg.tensor([[3.0], [-5.0]], requires_grad=True)
    y = tg.tensor([-1.0, 2.0, 0.0], requires_grad=True)
    tg.copysign(x, y).sum().backward()
    assert x.grad.tolist() == [[1.0], [-1.0]] and y.grad.tolist() == [0.0, 0.0, 0.0]
    assert tg.autograd.gradgradcheck(lambda t: tg.frexp(t)[0] * t,
                                     (tg.tensor([3.0, -5.0], dtype=tg.float64,
                                                requires_grad=True),))


# ------------------------------------------------------------ the LU family and friends
def _lu_matrices():
    rng = np.random.default_rng(7)
    return rng.standard_normal((4, 4)), rng.standard_normal((2, 3, 3)), rng.standard_normal((4, 2))


def test_lu_factor_reconstructs_and_pivots_like_lapack():
    a, batch, _ = _lu_matrices()
    for values in (a, batch, np.array([[0.0, 1.0], [2.0, 3.0]])):
        packed, pivots = tg.linalg.lu_factor(tg.tensor(values))
        p, low, up = tg.linalg.lu(tg.tensor(values))
        assert np.allclose((p @ low @ up).numpy(), values)
        assert pivots.dtype == tg.int32 and pivots.min().item() >= 1
        assert np.allclose((low - tg.eye(low.shape[-1])).numpy() + up.numpy(), packed.numpy())
        assert np.abs(low.numpy()).max() <= 1.0  # partial pivoting: |L| <= 1
    packed, pivots = tg.linalg.lu_factor(tg.tensor([[0.0, 1.0], [2.0, 3.0]]))
    assert pivots.tolist() == [2, 2] and packed.tolist() == [[2.0, 3.0], [0.0, 1.0]]
    packed, pivots, info = tg.linalg.lu_factor_ex(tg.tensor([[1.0, 2.0], [2.0, 4.0]]))
    assert info.item() == 2
    with pytest.raises(tg.linalg.LinAlgError, match=r"U\[2,2\] is zero"):
        tg.linalg.lu_factor(tg.tensor([[1.0, 2.0], [2.0, 4.0]]))


_LU_CASES = {
    "lu_factor": lambda L, a, b: L.linalg.lu_factor(a),
    "lu": lambda L, a, b: L.linalg.lu(a),
    "lu_solve": lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b),
    "lu_solve_adjoint": lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b,
                                                          adjoint=True),
    "lu_solve_right": lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b.mT,
                                                        left=False),
    "torch.lu_unpack": lambda L, a, b: L.lu_unpack(*L.linalg.lu_factor(a)),
    "torch.lu_solve": lambda L, a, b: L.lu_solve(b, *L.lu(a)),
    "Tensor.lu_solve": lambda L, a, b: b.lu_solve(*a.lu()),
    "cond": lambda L, a, b: (L.linalg.cond(a), L.linalg.cond(a, -2), L.linalg.cond(a, "nuc")),
    "vander": lambda L, a, b: (L.linalg.vander(a[0]), L.linalg.vander(b, N=4)),
    "solve_ex": lambda L, a, b: L.linalg.solve_ex(a, b),
    "tensorsolve": lambda L, a, b: L.linalg.tensorsolve(a.reshape(2, 2, 4), b.reshape(2, 4)[0]
                                                        .reshape(2, 2)),
    "tensorinv": lambda L, a, b: L.linalg.tensorinv(a.reshape(2, 2, 2, 2)),
    "householder_product": lambda L, a, b: L.linalg.householder_product(a[:, :3], b[:2, 0]),
}


@pytest.mark.skipif(_torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", sorted(_LU_CASES))
def test_lu_family_matches_pytorch(name):
    a_values, _, b_values = _lu_matrices()
    seen = []
    for lib in (_torch, tg):
        a = lib.tensor(a_values, requires_grad=True)
        b = lib.tensor(b_values, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch.lu's deprecation note
            results = _LU_CASES[name](lib, a, b)
        results = results if isinstance(results, tuple) else (results,)
        graded = [r for r in results if r.requires_grad]
        sum((r * lib.tensor(np.cos(np.arange(r.numel())).reshape(tuple(r.shape)))).sum()
            for r in graded).backward()
        seen.append(([r.detach().numpy() for r in results],
                     [None if t.grad is None else t.grad.numpy() for t in (a, b)]))
    (want, want_grads), (got, got_grads) = seen
    assert all(w.shape == g.shape and np.allclose(w, g, atol=1e-8) for w, g in zip(want, got))
    for w, g in zip(want_grads, got_grads):
        assert (w is None) == (g is None) and (w is None or np.allclose(w, g, atol=1e-8))


def test_lu_gradients_against_central_differences():
    a_values, batch, b_values = _lu_matrices()
    for values in (a_values, batch):
        a = tg.tensor(values, requires_grad=True)
        assert tg.autograd.gradcheck(lambda m: tg.linalg.lu_factor(m)[0], (a,))
        assert tg.autograd.gradgradcheck(lambda m: tg.linalg.lu(m)[1:], (a,))
    a = tg.tensor(a_values, requires_grad=True)
    b = tg.tensor(b_values, requires_grad=True)
    assert tg.autograd.gradcheck(lambda m, r: tg.linalg.lu_solve(*tg.linalg.lu_factor(m), r),
                                 (a, b))
    wide = tg.tensor([[1.0, 2, 3], [4, 5, 7]], requires_grad=True)  # non-square: round 14
    tg.linalg.lu_factor(wide)[0].sum().backward()
    assert wide.grad.shape == (2, 3)
    with pytest.raises(RuntimeError, match="N must be greater than 1"):
        tg.linalg.vander(tg.ones(3), N=1)


# ------------------------------------------------------------------ detect_anomaly's rules
def test_anomaly_lets_masks_and_infinite_slopes_through():
    q = tg.tensor(np.random.default_rng(0).standard_normal((1, 4, 8)), requires_grad=True)
    with tg.autograd.detect_anomaly():  # a -inf mask is data, not an anomaly (PyTorch too)
        F.scaled_dot_product_attention(q, q, q, is_causal=True).sum().backward()
        scores = q @ q.mT
        mask = tg.ones(4, 4, dtype=tg.bool).triu(1)
        scores.masked_fill(mask, float("-inf")).softmax(-1).sum().backward()
        x = tg.tensor([0.0, 1.0], requires_grad=True)
        x.sqrt().sum().backward()  # an infinite slope is no NaN: PyTorch's check passes it
    assert x.grad.tolist() == [np.inf, 0.5]
    with pytest.raises(RuntimeError, match="Log produced Inf in the forward pass from finite"):
        with tg.autograd.detect_anomaly():  # softmax underflowed to 0: log made the -inf
            y = tg.tensor([[1000.0, 0.0]], requires_grad=True).softmax(-1).log()
            y.sum().backward()  # (a NaN at softmax's backward)
    with pytest.raises(RuntimeError, match="Sqrt produced NaN"):
        with tg.autograd.detect_anomaly():
            tg.tensor([-1.0], requires_grad=True).sqrt().backward()


# ------------------------------------------------------------------------ gradcheck's reach
class _DoubledWeightGrad(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w.T, 2 * (x.T @ g)  # wrong: twice the weight's gradient


def test_gradcheck_perturbs_the_tensors_themselves():
    # A function that reads its input from a closure (or a module's parameter) must see the
    # perturbations, as PyTorch's in-place perturbation gives; float32 inputs too.
    for dtype in (tg.float64, tg.float32):
        x = tg.tensor(np.arange(6.0).reshape(2, 3) / 7, dtype=dtype)
        w = tg.tensor(np.arange(6.0).reshape(3, 2) / 5 - 0.4, dtype=dtype, requires_grad=True)
        warned = pytest.warns(UserWarning, match="not a double precision") if (
            dtype == tg.float32) else contextlib.nullcontext()  # (PyTorch's warning)
        with pytest.raises(tg.autograd.GradcheckError, match="wrong rule is _DoubledWeightGrad"), \
                warned:
            tg.autograd.gradcheck(lambda _w: _DoubledWeightGrad.apply(x, w).sum(),  # noqa: B023
                                  (w,))
        assert w.dtype == dtype  # its own array back
    w = tg.tensor(np.arange(6.0).reshape(2, 3) / 5, dtype=tg.float64, requires_grad=True)
    wt = w.t()  # a view taken outside the function moves with the perturbation, as PyTorch's
    assert tg.autograd.gradcheck(lambda a: (wt * a.t()).sum(), [w])
    assert not w._data.flags.writeable and w.tolist() == [[0.0, 0.2, 0.4], [0.6, 0.8, 1.0]]
    layer = tg.nn.Linear(3, 2)
    before = layer.weight.detach().clone()
    assert tg.gradcheck(lambda _w: layer(tg.ones(4, 3)).tanh().sum(), [layer.weight])
    assert layer.weight.dtype == tg.float32 and tg.equal(layer.weight, before)


class _TwoOutputs(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * k, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * ctx.k + g2 * x, None  # wrong: d(x*x) is 2x


def test_gradcheck_with_several_outputs_and_bad_tolerances():
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(tg.autograd.GradcheckError, match="(?s)output 1 of 2.*wrong rule is _Two"):
        tg.autograd.gradcheck(lambda t: _TwoOutputs.apply(t, 3.0), (x,))
    assert tg.gradcheck(lambda t: (t.sin(), t * t), [x])
    with pytest.raises(tg.autograd.GradcheckError, match="output 1 of 2"):
        tg.gradcheck(lambda t: (t.sin(), _TwoOutputs.apply(t, 2.0)[1]), [x])
    for bad in (dict(eps=0), dict(atol=-1), dict(rtol=-0.5)):
        with pytest.raises(RuntimeError, match="eps must be positive"):
            tg.autograd.gradcheck(lambda t: t.sin(), (x,), **bad)


def test_a_python_float_keeps_float64_precision_when_asked():
    assert tg.tensor(0.7, dtype=tg.float64).item() == 0.7  # was rounded through float32
    assert tg.Tensor(0.1, dtype=tg.float64).item() == 0.1
    assert tg.tensor(0.7, dtype=tg.float32).item() == float(np.float32(0.7))
    assert tg.tensor(1e300, dtype=tg.float32).item() == np.inf  # as PyTorch, no warning
    assert tg.tensor(0.7).dtype == tg.float32


# --------------------------------------------------------------------- testing.assert_close
def _message_of(*args, **kwargs):
    with pytest.raises(AssertionError) as caught:
        tg.testing.assert_close(*args, **kwargs)
    return str(caught.value)


def test_assert_close_as_pytorchs():
    assert _message_of(np.array([1.0], np.float32), np.array([1.0])).startswith(
        "The values for attribute 'dtype' do not match")  # arrays' dtypes are checked too
    assert "dtype" in _message_of(np.array([1]), np.array([1.0]))
    tg.testing.assert_close(np.array([1 + 1j], np.complex64),
                            np.array([1 + 1.000001j], np.complex64))  # complex tolerances
    assert _message_of(tg.tensor([1, 2]), tg.tensor([1, 3])).startswith(
        "Tensor-likes are not equal!")
    assert _message_of(tg.tensor(3), tg.tensor(4)).startswith(
        "Scalars are not equal!\n\nExpected 4 but got 3.")
    assert _message_of(tg.tensor(1.0), tg.tensor(2.0)).startswith(
        "Scalars are not close!\n\nExpected 2.0 but got 1.0.")
    assert "Greatest absolute difference: 1 at" in _message_of(tg.tensor([2**62 + 1]),
                                                               tg.tensor([2**62]))
    assert _message_of(tg.tensor([1.0]), tg.tensor([2.0]), msg=lambda m: "mine: " + m[:9]) == \
        "mine: Tensor-li"


# ------------------------------------------------------- from ported programs (nanoGPT, ...)
def test_module_dict_members_as_attributes_and_device_blocks():
    blocks = tg.nn.ModuleDict(dict(wte=tg.nn.Embedding(3, 2), h=tg.nn.ModuleList()))
    assert blocks.wte is blocks["wte"] and blocks.h is blocks["h"]  # nanoGPT's transformer.wte
    weights = tg.nn.ParameterDict({"alpha": tg.nn.Parameter(tg.ones(2))})
    assert weights.alpha is weights["alpha"]
    with pytest.raises(AttributeError, match="'ModuleDict' object has no attribute 'nope'"):
        _ = blocks.nope
    with tg.device("cpu") as where:
        assert tg.ones(1).device == where


def test_misused_new_names_give_clear_errors():
    packed, pivots, info = tg.linalg.lu_factor_ex(tg.zeros(0, 0))
    assert packed.shape == (0, 0) and pivots.shape == (0,)
    with pytest.raises(RuntimeError, match="size must be a non-negative integer"):
        tg.nonzero_static(tg.ones(3), size=-1)
    with pytest.raises(RuntimeError, match="floating point"):
        tg.linalg.lu_factor(tg.tensor([[1, 2], [3, 4]]))
    with pytest.raises(RuntimeError, match="reduce must be 'prod'"):
        tg.ones(3).index_reduce(0, tg.tensor([0]), tg.ones(1), "sum")
    with pytest.raises(RuntimeError, match="as long as each other"):
        tg.arange(4.0).as_strided((2,), (1, 1))


# --------------------------------------- augmented assignment into an item of a live result
def _augmented_cases(lib):
    found = {}
    w = lib.ones(3, requires_grad=True)
    h = w * 2
    h[0] += 1
    h.sum().backward()
    found["h[0] += 1"] = (h.detach().numpy(), w.grad.numpy())
    w = lib.ones(3, requires_grad=True)
    z = lib.zeros(2, 3)
    z[1] += w * 2  # a plain tensor takes a recorded write
    (z * lib.arange(6.0).reshape(2, 3)).sum().backward()
    found["z[1] += w * 2"] = (z.detach().numpy(), w.grad.numpy())
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * 1
    h[1:] /= 2
    h[0] -= 5
    h[:, None][2] *= 3
    (h * h).sum().backward()
    found["/=, -=, *="] = (h.detach().numpy(), w.grad.numpy())
    rng = np.random.default_rng(0)  # makemore part 4's `dC[ix] += demb[k, j]`
    C = lib.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    W = lib.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    Xb = lib.tensor([[0, 3], [3, 4]])
    demb = C[Xb] @ W
    dC = lib.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    (dC**2).sum().backward()
    found["dC[ix] += demb[k, j]"] = (dC.detach().numpy(), W.grad.numpy(), C.grad.numpy())
    return found


def test_augmented_assignment_into_an_item_of_a_live_result():
    got = _augmented_cases(tg)
    assert got["h[0] += 1"][0].tolist() == [3.0, 2.0, 2.0]
    assert got["h[0] += 1"][1].tolist() == [2.0, 2.0, 2.0]
    assert got["z[1] += w * 2"][1].tolist() == [6.0, 8.0, 10.0]
    if _torch is not None:
        want = _augmented_cases(_torch)
        for case, values in want.items():
            for w, g in zip(values, got[case]):
                assert np.allclose(w, g), case
    w = tg.ones(3, requires_grad=True)
    h = w * 2
    rows = [h[1]]
    rows[0] += 10  # a view held by a list: it and h both see the write (as PyTorch)
    assert rows[0].tolist() == 12.0 and h.tolist() == [2.0, 12.0, 2.0]
    with pytest.raises(RuntimeError, match="does not fit|cannot be written"):
        h[0] += tg.ones(1, 1)  # a value that does not broadcast to the item's own shape
    assert h.tolist() == [2.0, 12.0, 2.0]


def test_small_names_from_the_tools_probe():
    from tinygrad_np.autograd.gradcheck import GradcheckError, gradcheck

    from tinygrad_np.nn.utils import parametrize

    assert GradcheckError is tg.autograd.GradcheckError and gradcheck is tg.autograd.gradcheck
    assert tg.is_anomaly_check_nan_enabled() and tg.autograd.is_anomaly_check_nan_enabled()
    with tg.autograd.detect_anomaly(check_nan=False):
        assert not tg.is_anomaly_check_nan_enabled()
    assert tg.is_anomaly_check_nan_enabled()
    layer = tg.nn.Linear(2, 2)
    parametrize.register_parametrization(layer, "weight", tg.nn.Identity())
    with parametrize.cached():
        assert tg.equal(layer.weight, layer.parametrizations.weight.original)


# -------------------------------------------------------- the learner's trace and drawing
def test_trace_backward_runs_hooks_where_backward_runs_them():
    x = tg.tensor([1.0, 2.0], requires_grad=True, name="x\nsecond line")
    h = x * 3
    h.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: g * 10)
    y = (h * h).sum()
    trace = tg.trace_backward(y)
    assert trace.grads["x\\nsecond line"].tolist() == [1800.0, 3600.0]
    assert [row.kind for row in trace.rows].count("hook") == 2
    assert all("\n" not in line for line in str(trace).splitlines())  # a name on one line
    y.backward()
    assert x.grad.tolist() == [1800.0, 3600.0]


def test_module_backward_hooks_fire_on_every_pass():
    layer = tg.nn.Linear(2, 1)
    with tg.no_grad():
        layer.weight.copy_(tg.tensor([[0.5, -1.0]]))
        layer.bias.zero_()
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: (calls.append(1), (gi[0] * 100,))[1])
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    out = layer(x).sum()
    assert tg.trace_backward(out).grads["leaf1"].tolist() == [[50.0, -100.0]]
    out.backward(retain_graph=True)  # PyTorch fires the hook on each backward
    assert x.grad.tolist() == [[50.0, -100.0]]
    out.backward()
    assert x.grad.tolist() == [[100.0, -200.0]] and len(calls) == 3


def test_the_nan_origin_is_still_marked_after_backward():
    pytest.importorskip("graphviz")
    x = tg.tensor([0.0, -1.0, 2.0], requires_grad=True)
    y = (x.log() * 2).sum()
    y.backward()  # x.grad holds inf: the log's input values are still finite
    assert "NaN/Inf starts here" in tg.draw_graph(y, show_data=True).source


def test_testing_domains_keep_their_promises_and_compare_takes_tuples():
    from tinygrad_np import testing

    rng = np.random.default_rng(0)
    values = testing.away_from(0.0, 0.15)(rng, (20000,))
    assert np.abs(values).min() >= 0.1 and np.abs(values - 0.15).min() >= 0.1
    assert values.min() >= -2 and values.max() <= 2 and (values > 0.25).any()
    gaps = np.diff(np.sort(testing.distinct(rng, (200,))))
    assert gaps.min() >= 0.3
    with pytest.raises(ValueError, match="nothing in"):
        testing.away_from(0.0, margin=5)
    if _torch is not None:
        testing.compare_with_torch(lambda t: (t.exp(), t * 2), None, np.array([0.5, 1.5]))
        with pytest.raises(AssertionError, match="output 1"):
            testing.compare_with_torch(lambda t: (t.exp(), t * 2), lambda t: (t.exp(), t * 3),
                                       np.array([0.5, 1.5]))


def test_gradcheck_at_the_edge_of_a_domain_blames_no_rule():
    for fn in (lambda t: t.sqrt(), lambda t: t.log(), lambda t: (t * 2).log().sum()):
        x = tg.tensor([0.0, 1.0], dtype=tg.float64, requires_grad=True)
        with pytest.raises(tg.autograd.GradcheckError, match="edge of a domain") as caught:
            tg.autograd.gradcheck(fn, (x,))  # no RuntimeWarning from inf - inf either
        assert caught.value.kind == "edge" and "wrong rule is" not in str(caught.value)


@pytest.mark.parametrize("options", [dict(proj_size=3), dict(proj_size=2, num_layers=2,
                                                             bidirectional=True, batch_first=True)])
def test_lstm_with_a_projection(options):
    lstm = tg.nn.LSTM(4, 5, **options)
    names = [name for name, _ in lstm.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_hr_l0"]
    assert lstm.weight_hr_l0.shape == (options["proj_size"], 5)
    assert lstm.weight_hh_l0.shape == (20, options["proj_size"])
    x = tg.tensor(np.random.default_rng(0).standard_normal((6, 2, 4)), dtype=tg.float32,
                  requires_grad=True)
    output, (h, c) = lstm(x)
    directions = 2 if options.get("bidirectional") else 1
    layers = options.get("num_layers", 1) * directions
    assert h.shape == (layers, 6 if options.get("batch_first") else 2, options["proj_size"])
    assert c.shape[-1] == 5 and output.shape[-1] == options["proj_size"] * directions
    if _torch is not None:
        reference = _torch.nn.LSTM(4, 5, **options)
        reference.load_state_dict({k: _torch.tensor(v.numpy()) for k, v in
                                   lstm.state_dict().items()})
        xt = _torch.tensor(x.detach().numpy(), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # PyTorch's note on oneDNN
            out_t, (h_t, c_t) = reference(xt)
        (out_t.sum() + 2 * h_t.sum() + 3 * c_t.sum()).backward()
        (output.sum() + 2 * h.sum() + 3 * c.sum()).backward()
        assert np.allclose(output.detach().numpy(), out_t.detach().numpy(), atol=1e-5)
        assert np.allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-5)
        for mine, theirs in zip(lstm.parameters(), reference.parameters()):
            assert np.allclose(mine.grad.numpy(), theirs.grad.numpy(), atol=1e-4)


def test_post_accumulate_grad_hooks_step_each_parameter_in_backward():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    handle.remove()
    (w * 3).sum().backward()
    tg.autograd.grad((w * w).sum(), w)  # tg.grad adds to no .grad: no hook, as PyTorch
    assert seen == [[3.0, 3.0], [6.0, 6.0]]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    p = tg.nn.Parameter(tg.ones(2))
    optimizer = tg.optim.SGD([p], lr=0.1)

    def step(parameter):
        optimizer.step()
        optimizer.zero_grad()

    p.register_post_accumulate_grad_hook(step)
    (p * p).sum().backward()
    assert np.allclose(p.detach().numpy(), [0.8, 0.8]) and p.grad is None


def test_profiler_times_record_function_blocks_and_counts_ops(tmp_path):
    import json

    layer = tg.nn.Linear(3, 2)
    with tg.profiler.profile(activities=[tg.profiler.ProfilerActivity.CPU]) as prof:
        with tg.profiler.record_function("outer"):
            with tg.autograd.profiler.record_function("inner"):
                layer(tg.ones(4, 3)).relu().sum()
    rows = {row.key: row for row in prof.key_averages()}
    assert rows["outer"].count == rows["inner"].count == rows["ReLU"].count == 1
    assert rows["outer"].cpu_time_total >= rows["inner"].cpu_time_total > 0
    assert rows["outer"].self_cpu_time_total <= rows["outer"].cpu_time_total
    table = prof.key_averages().table(sort_by="cpu_time_total")
    assert table.index("outer") < table.index("inner") and "# of Calls" in table
    prof.export_chrome_trace(str(tmp_path / "trace.json"))
    names = [e["name"] for e in json.loads((tmp_path / "trace.json").read_text())["traceEvents"]]
    assert sorted(names) == ["inner", "outer"]
    tg.ones(1) + 1  # outside the block: nothing recorded, no error
    assert "Add" not in {row.key for row in prof.key_averages()}


def test_small_tensor_attributes_code_checks():
    x = tg.randn(4, 3, dtype=tg.float64)
    assert not (x.is_mps or x.is_xla or x.is_xpu or x.is_nested or x.is_shared())
    assert x.dim_order() == (0, 1) and x.output_nr == 0 and x.const_data_ptr() == x.data_ptr()
    tau = tg.randn(2, dtype=tg.float64)
    assert tg.allclose(x.orgqr(tau), tg.linalg.householder_product(x, tau))
    assert tg.tensor([0, 1, 2]).nonzero_static(size=3).tolist() == [[1], [2], [-1]]


def test_a_custom_transform_acts_on_its_domains_event_dims():
    import math

    transforms, constraints = tg.distributions.transforms, tg.distributions.constraints

    class Doubling(transforms.Transform):  # a hand-written flow layer, as RealNVP's
        domain = constraints.real_vector
        codomain = constraints.real_vector
        bijective = True

        def _call(self, x):
            return 2 * x + 1

        def _inverse(self, y):
            return (y - 1) / 2

        def log_abs_det_jacobian(self, x, y):
            return tg.full(x.shape[:-1], 2 * math.log(2))

    assert Doubling().event_dim == 1 and transforms.ComposeTransform([Doubling()]).event_dim == 1
    flow = tg.distributions.TransformedDistribution(
        tg.distributions.MultivariateNormal(tg.zeros(2), tg.eye(2)), [Doubling()])
    values = flow.log_prob(tg.tensor([[0.5, -1.0], [1.0, 2.0]]))
    # log N((y - 1) / 2) - 2 log 2 for each sample alone (PyTorch: -3.7554, -3.3492)
    assert np.allclose(values.numpy(), [-3.7554, -3.3492], atol=1e-4)


def test_module_dict_attribute_assignment_is_the_entry():
    blocks = tg.nn.ModuleDict({"wte": tg.nn.Linear(2, 2)})
    blocks.wte = tg.nn.Linear(3, 3)  # one member: attribute, item and parameters agree
    blocks.head = tg.nn.Linear(1, 1)  # a new module is a new entry, as PyTorch's
    assert blocks["wte"].weight.shape == (3, 3) and list(blocks.keys()) == ["wte", "head"]
    assert [tuple(p.shape) for p in blocks.parameters()] == [(3, 3), (3,), (1, 1), (1,)]
    del blocks.head
    assert list(blocks.keys()) == ["wte"] and list(blocks.state_dict()) == ["wte.weight",
                                                                            "wte.bias"]
    blocks.training = False
    assert "training" not in blocks and not blocks.training
    weights = tg.nn.ParameterDict({"a": tg.nn.Parameter(tg.ones(2))})
    weights.a = tg.nn.Parameter(tg.zeros(3))
    assert weights["a"].shape == (3,)


def test_in_place_comparisons_keep_a_result_in_the_graph():
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = w * 2
    h.eq_(4.0)  # PyTorch: EqBackward, a zero derivative; h stays a result, not a leaf
    assert not h.is_leaf and h.grad_fn is not None and h.tolist() == [0.0, 1.0, 0.0]
    h.add_(1)
    (h * w).sum().backward()
    assert w.grad.tolist() == [1.0, 2.0, 1.0]
    with pytest.warns(UserWarning, match="not a leaf"):  # as PyTorch's
        assert h.grad is None
    with pytest.raises(RuntimeError, match="leaf"):
        tg.tensor([1.0, 2.0], requires_grad=True).lt_(2)


def test_as_strided_offsets_count_from_the_shared_storage():
    x = tg.arange(12.0)
    assert x[2:].as_strided((2, 2), (1, 1), 2).tolist() == [[2.0, 3.0], [3.0, 4.0]]
    assert x.reshape(3, 4)[1].as_strided((2,), (2,), 4).tolist() == [4.0, 6.0]
    with pytest.raises(RuntimeError, match="reach outside"):
        x[2:].as_strided((2, 2), (1, 1), 0)  # PyTorch reads x's elements 0-2 here
    # a tensor over a user's sliced array is its own storage (PyTorch's from_numpy), whatever
    # NumPy's bases say; a view whose base is gone starts at its own offset, and another
    # offset is refused (where that storage starts is not known any more)
    assert tg.from_numpy(np.arange(30.0)[6:]).as_strided((2,), (1,), 8).tolist() == [14.0, 15.0]
    view = tg.arange(10.0)[3:]
    assert view.as_strided((3,), (1,), view.storage_offset()).tolist() == [3.0, 4.0, 5.0]
    with pytest.raises(RuntimeError, match="is gone|reach outside"):
        tg.arange(12.0)[3:].as_strided((2, 2), (1, 2), 0)


def test_gradcheck_of_a_tuple_with_nothing_in_the_graph_checks_it_does_not_move():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(tg.autograd.GradcheckError, match="numerical 2"):
        tg.autograd.gradcheck(lambda a: (a.detach() * 2,), [x])  # PyTorch raises too
    assert tg.autograd.gradcheck(lambda a: (a.sin(), a.detach() * 2), [x])  # skipped there


def test_ndtri_and_log_ndtr_far_into_the_tails():
    cases = [(tg.special.ndtri, 1e-300, tg.float64, -37.0470962993612),
             (tg.special.ndtri, 5e-324, tg.float64, -38.46740562),  # the smallest subnormal
             (tg.special.ndtri, 1e-8, tg.float32, -5.612001),
             (tg.special.ndtri, 1e-45, tg.float32, -14.121427),
             (tg.special.ndtri, 1 - 1e-7, tg.float64, 5.199337582),
             (tg.special.log_ndtr, 10.0, tg.float64, -7.619853024160498e-24),
             (tg.special.log_ndtr, 5.0, tg.float32, -2.8665161e-07)]
    for fn, value, dtype, expected in cases:  # (PyTorch's values)
        got = fn(tg.tensor([value], dtype=dtype)).item()
        assert np.isclose(got, expected, rtol=2e-6), (fn, value, got)
    p = tg.tensor([0.01, 0.3, 0.9], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda q: tg.special.ndtri(q), (p,))
    x = tg.tensor([-20.0, 1.0, 9.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda v: tg.special.log_ndtr(v), (x,))


def test_singular_matrices_in_the_ex_functions_cond_and_torch_lu():
    singular = tg.tensor([[1.0, 2.0], [2.0, 4.0]])
    result, info = tg.linalg.solve_ex(singular, tg.tensor([[1.0], [1.0]]))
    assert info.item() == 2 and not np.isfinite(result.numpy()).any()  # PyTorch: -inf, inf
    result, info = tg.linalg.solve_ex(tg.stack([singular, tg.eye(2)]), tg.ones(2, 2))
    assert info.tolist() == [2, 0] and result[1].tolist() == [1.0, 1.0]
    assert tg.linalg.inv_ex(tg.tensor([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])).info.item() == 3
    near = tg.tensor([[1.0, 2.0], [2.0, 4.0001]], dtype=tg.float64)  # no zero pivot: invertible
    assert tg.linalg.inv_ex(near).info.item() == 0
    assert tg.linalg.cond(singular, "fro").item() == np.inf
    assert tg.linalg.cond(tg.stack([singular, tg.eye(2)]), 1).tolist() == [np.inf, 1.0]
    packed, pivots = tg.lu(singular)  # factored, no error (PyTorch)
    assert packed.tolist() == [[2.0, 4.0], [0.5, 0.0]] and pivots.tolist() == [2, 2]
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.solve_ex(singular, tg.ones(2, 1), check_errors=True)
    result, info = tg.linalg.solve_ex(tg.stack([singular, tg.eye(2)]), tg.tensor([1.0, 2.0]))
    assert info.tolist() == [2, 0] and result[1].tolist() == [1.0, 2.0]  # batched A, 1-D B
    ones = tg.tensor(np.arange(1.0, 10.0).reshape(3, 3), dtype=tg.float64)  # rank 2
    inverse, info = tg.linalg.inv_ex(ones)  # never raises without check_errors
    assert info.item() in (0, 3) and tg.linalg.cond(ones, "nuc").item() > 1e15


# ------------------------------------------------ from the nn.functional fuzz against PyTorch
def test_functional_fixes_from_the_fuzz():
    x = tg.tensor([-1.0, 1.0], requires_grad=True)
    F.elu(x, alpha=-1.0).sum().backward()
    assert np.allclose(x.grad.numpy(), [-np.exp(-1.0), 1.0])  # alpha exp(x), not alpha
    padded = F.pad(tg.arange(5.0).reshape(1, 1, 5), (-1, 3), mode="circular")
    assert padded.tolist() == [[[1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0]]]  # wraps the cropped dim
    assert F.prelu(tg.tensor(-2.0), tg.tensor([0.25])).shape == ()
    inputs, targets = tg.log(tg.tensor([[0.3], [0.6]])), tg.tensor([[0.5], [0.2]])
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        legacy = F.kl_div(inputs, targets, reduce=True, reduction="batchmean")
    with pytest.warns(UserWarning, match="'mean' divides the total loss"):  # PyTorch's
        assert np.isclose(legacy.item(), F.kl_div(inputs, targets).item() / 2)
    assert F.adaptive_avg_pool1d(tg.ones(1, 3, 5), (3,)).shape == (1, 3, 3)
    assert F.avg_pool1d(tg.ones(1, 3, 1), 2, 2, ceil_mode=True).shape == (1, 3, 1)
    assert F.max_pool2d(tg.arange(7.0).reshape(1, 1, 7, 1), 2, 3, ceil_mode=True).tolist() == \
        [[[[1.0], [4.0], [6.0]]]]
    assert F.linear(tg.ones(3, 5), tg.ones(5)).tolist() == [5.0, 5.0, 5.0]
    assert F.scaled_dot_product_attention(tg.zeros(1, 1, 0), tg.zeros(1, 2, 0),
                                          tg.ones(1, 2, 3)).tolist() == [[[1.0, 1.0, 1.0]]]


# ------------------------------------------------------ from the tensor-vocabulary fuzz
def test_logcumsumexp_gradient_at_large_values():
    for shape in [(), (1,)]:
        x = tg.tensor(np.full(shape, 1e10), dtype=tg.float32, requires_grad=True)
        (tg.logcumsumexp(x, 0) * 0.5).sum().backward()
        assert np.allclose(x.grad.numpy(), 0.5)  # exp(x - y) g with y = x (was 1)
    x = tg.tensor([1e10, 1e10 + 2e4, 3.0], dtype=tg.float32, requires_grad=True)
    (tg.logcumsumexp(x, 0) * 0.5).sum().backward()
    assert np.allclose(x.grad.numpy(), [0.5, 1.0, 0.0], atol=1e-3)
    x = tg.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda t: tg.logcumsumexp(t, 1), (x,))


def test_mixed_dtype_precision_ldexp_and_trapezoid():
    value = tg.xlogy(tg.tensor([1.0], dtype=tg.float64), tg.tensor([3], dtype=tg.uint8)).item()
    assert value == float(np.log(3.0))  # was log in float16 (1.0986328125)
    inf = float("inf")
    assert tg.ldexp(tg.tensor([-0.11, 3.0]), tg.tensor([-inf, inf])).tolist() == [-0.0, inf]
    assert tg.ldexp(tg.tensor([0.0], dtype=tg.float16), tg.tensor([997], dtype=tg.int16)).tolist() \
        == [0.0]
    expected = float(np.float32(1e-30)) * 2**130
    assert tg.ldexp(tg.tensor([1e-30]), tg.tensor([130])).item() == expected
    x = tg.tensor([1.0, 0.5], requires_grad=True)
    exponent = tg.tensor([2000.0, 3.0], requires_grad=True)
    tg.ldexp(x, exponent).sum().backward()  # gradients through a clamped exponent, as PyTorch
    assert x.grad.tolist() == [inf, 8.0] and np.allclose(exponent.grad.numpy(),
                                                          [inf, 4 * np.log(2)])
    uint8 = tg.tensor([[195, 166, 85], [155, 94, 109]], dtype=tg.uint8)
    assert tg.trapezoid(uint8, dim=0).tolist() == [303.0, 258.0, 97.0]  # (PyTorch 2.13: the ends
    # 195 + 155 wrap to 94 in uint8, 350 - 94 / 2; the sum itself is int64)
    w = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda a: tg.cartesian_prod(a), [w])  # returns its input


# ------------------------------------------------------------ from the second review
def test_second_review_fixes():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    log = []
    w.register_post_accumulate_grad_hook(lambda t: log.append(t.grad.tolist()))
    tg.autograd.backward((w * 2).sum())  # torch.autograd.backward fires them too
    assert log == [[2.0, 2.0]]
    blocks = tg.nn.ModuleDict({"a": tg.nn.Linear(2, 2)})
    blocks.scale = tg.nn.Parameter(tg.ones(1))  # an attribute parameter is a parameter
    weights = tg.nn.ParameterDict()
    weights.w = tg.nn.Parameter(tg.ones(1))
    assert "scale" in dict(blocks.named_parameters()) and "scale" in blocks.state_dict()
    assert [name for name, _ in weights.named_parameters()] == ["w"]
    inputs, targets = tg.log(tg.tensor([[0.3, 0.2, 0.5]])), tg.tensor([[0.5, 0.2, 0.3]])
    with pytest.warns(UserWarning, match="please use reduction='none'"):
        elementwise = tg.nn.KLDivLoss(reduce=False, reduction="batchmean")  # the flag decides
    assert elementwise(inputs, targets).shape == (1, 3)
    x, y = tg.tensor([1.0, 5.0]), tg.tensor([2.0, 2.0], requires_grad=True)
    x.lt_(y)  # y in the graph: x becomes a result with a zero derivative, not a leaf
    assert not x.is_leaf and x.grad_fn is not None
    (x * y).sum().backward()
    assert y.grad.tolist() == [1.0, 0.0]


def test_pool3d_ceil_mode_prelu_0d_weight():
    x = tg.tensor(np.arange(18.0).reshape(1, 1, 2, 3, 3), requires_grad=True)
    y = F.max_pool3d(x, 2, 2, dilation=2, ceil_mode=True)  # PyTorch: shape (1, 1, 1, 1, 1)
    assert y.shape == (1, 1, 1, 1, 1) and y.item() == 8.0
    assert F.prelu(tg.tensor([-2.0, 3.0]), tg.tensor(0.25)).tolist() == [-0.5, 3.0]


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_integer_dtypes_kept_and_histc_of_a_huge_constant():
    int32 = tg.tensor([1, 2, 3], dtype=tg.int32)
    source = tg.tensor([5, 6], dtype=tg.int32)
    assert tg.scatter_reduce(int32, 0, tg.tensor([0, 0]), source, "sum").dtype == tg.int32
    assert int32.scatter(0, tg.tensor([0]), source[:1], reduce="add").dtype == tg.int32
    uint8 = tg.addbmm(tg.tensor([[10]], dtype=tg.uint8), tg.tensor([[[30, 30]]], dtype=tg.uint8),
                      tg.tensor([[[5], [5]]], dtype=tg.uint8))
    assert uint8.dtype == tg.uint8 and uint8.tolist() == [[54]]  # wraps, as PyTorch's
    assert tg.histc(tg.tensor([1e30, 1e30]), bins=5).tolist() == [0.0, 0.0, 2.0, 0.0, 0.0]
    spread = tg.tensor([-5000.0, 0.0, 5000.0], dtype=tg.float16)  # (x - low) * bins overflows
    assert tg.histc(spread, bins=10).tolist() == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    int8 = tg.tensor([[100, 1, 0]], dtype=tg.int8)  # the sum wraps in int8, then the mean
    assert int8.scatter_reduce(1, tg.tensor([[0, 0, 1]]), tg.tensor([[100, 100, 1]],
                                                                    dtype=tg.int8),
                               "mean").tolist() == [[14, 1, 0]]
    assert tg.masked_scatter(tg.zeros(3), tg.tensor([True, False, True]),
                             tg.tensor([1.0, 2.0])).tolist() == [1.0, 0.0, 2.0]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_arange_with_integer_dtypes_as_pytorch(dtype):
    # PyTorch 2.13: int64 ranges come from the truncated bounds and step; the other integer
    # dtypes take their length from the bounds as given
    cases = [((0, 5, 1.5), [0, 1, 2, 3, 4], [0, 1, 2, 3]), ((3.5,), [0, 1, 2], [0, 1, 2, 3]),
             ((5, -1.5, -1.5), [5, 4, 3, 2, 1, 0], [5, 4, 3, 2, 1])]
    for bounds, wide, narrow in cases:
        got = tg.arange(*bounds, dtype=getattr(tg, dtype)).tolist()
        assert got == (wide if dtype == "int64" else narrow)


def test_a_number_first_in_the_function_forms_keeps_a_0d_tensors_dtype():
    int8, int16 = tg.tensor(2, dtype=tg.int8), tg.tensor(1, dtype=tg.int16)
    assert tg.bitwise_left_shift(5, int8).dtype == tg.int8  # as 5 << t (PyTorch: int8)
    assert tg.bitwise_right_shift(64, int8).item() == 16
    difference = tg.subtract(-3, int16, alpha=-1)
    assert difference.dtype == tg.int16 and difference.item() == -2
    assert tg.add(2.5, tg.tensor([1.0, 2.0]), alpha=2).tolist() == [4.5, 6.5]
