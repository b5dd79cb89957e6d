"""What PyTorch users read off the screen, compared with PyTorch 2.13: grad_fn names (the op
vocabulary, in-place writes, writes through views), dtype equality, save/load of every dtype,
tensor reprs under set_printoptions, module and optimizer reprs."""

from __future__ import annotations

import collections
import io

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _leaf(lib, shape, seed, kind=""):
    values = np.random.default_rng(seed + 7 * len(shape)).standard_normal(shape).astype(np.float32)
    if kind == "pos":
        values = np.abs(values) + 0.5
    elif kind == "unit":
        values = np.tanh(values) * 0.9
    return lib.tensor(values, requires_grad=True)


def _write(tensor, key, value):
    tensor[key] = value
    return tensor


def _through(tensor, write):
    write(tensor)
    return tensor


M34 = ((3, 4),)
TWO = ((3, 4), (3, 4))
# (name, f(lib, F, *leaves), leaf shapes, leaf kind)
CASES = [
    ("sgn", lambda L, F, a: a.sgn(), M34, ""),
    ("digamma", lambda L, F, a: a.digamma(), M34, "pos"),
    ("polygamma", lambda L, F, a: L.polygamma(1, a), M34, "pos"),
    ("sinc", lambda L, F, a: a.sinc(), M34, ""),
    ("deg2rad", lambda L, F, a: L.deg2rad(a), M34, ""),
    ("rad2deg", lambda L, F, a: L.rad2deg(a), M34, ""),
    ("angle", lambda L, F, a: L.angle(a), M34, ""),
    ("nan_to_num", lambda L, F, a: a.nan_to_num(), M34, ""),
    ("nan_to_num_kw", lambda L, F, a: L.nan_to_num(a, nan=0.0, posinf=1.0), M34, ""),
    ("pow_tensor", lambda L, F, a, b: a.abs() ** b, TWO, ""),
    ("pow_number", lambda L, F, a: a ** 2, M34, ""),
    ("rpow", lambda L, F, a: 2 ** a, M34, ""),
    ("lerp_number", lambda L, F, a, b: L.lerp(a, b, 0.3), TWO, ""),
    ("lerp_tensor", lambda L, F, a, b, c: L.lerp(a, b, c), ((3, 4),) * 3, ""),
    ("lerp_method", lambda L, F, a, b, c: a.lerp(b, c.sigmoid()), ((3, 4),) * 3, ""),
    ("logaddexp", lambda L, F, a, b: L.logaddexp(a, b), TWO, ""),
    ("logaddexp2", lambda L, F, a, b: L.logaddexp2(a, b), TWO, ""),
    ("dist", lambda L, F, a, b: L.dist(a, b), TWO, ""),
    ("var_mean", lambda L, F, a: L.var_mean(a, 1)[0], M34, ""),
    ("var_mean_mean", lambda L, F, a: L.var_mean(a, 1)[1], M34, ""),
    ("std_mean", lambda L, F, a: L.std_mean(a, 1)[1], M34, ""),
    ("norm", lambda L, F, a: a.norm(), M34, ""),
    ("norm_p1", lambda L, F, a: a.norm(p=1), M34, ""),
    ("norm_inf_dim", lambda L, F, a: a.norm(p=float("inf"), dim=1), M34, ""),
    ("norm_p3", lambda L, F, a: a.norm(p=3), M34, ""),
    ("vector_norm_3", lambda L, F, a: L.linalg.vector_norm(a, ord=3), M34, ""),
    ("logcumsumexp", lambda L, F, a: a.logcumsumexp(1), M34, ""),
    ("nanmedian", lambda L, F, a: a.nanmedian(), M34, ""),
    ("nanmean", lambda L, F, a: a.nanmean(), M34, ""),
    ("aminmax", lambda L, F, a: L.aminmax(a)[0], M34, ""),
    ("aminmax_dim", lambda L, F, a: L.aminmax(a, dim=1).max, M34, ""),
    ("reshape_view", lambda L, F, a: a.reshape(12), M34, ""),
    ("reshape_copy", lambda L, F, a: a.t().reshape(12), M34, ""),
    ("reshape_copy_3d", lambda L, F, a: a.reshape(3, 2, 2).transpose(0, 2).reshape(4, 3), M34, ""),
    ("flatten_copy", lambda L, F, a: a.t().flatten(), M34, ""),
    ("flatten_view", lambda L, F, a: a.flatten(), M34, ""),
    ("ravel_copy", lambda L, F, a: a.t().ravel(), M34, ""),
    ("view", lambda L, F, a: a.view(2, 6), M34, ""),
    ("rot90", lambda L, F, a: a.rot90(), M34, ""),
    ("diag_matrix", lambda L, F, a: a.diag(), M34, ""),
    ("diag_vector", lambda L, F, a: a.diag(), ((4,),), ""),
    ("diag_vector_offset", lambda L, F, a: L.diag(a, 1), ((4,),), ""),
    ("diag_embed", lambda L, F, a: a.diag_embed(), M34, ""),
    ("diagflat", lambda L, F, a: a.diagflat(), M34, ""),
    ("diagonal", lambda L, F, a: a.diagonal(), M34, ""),
    ("dstack", lambda L, F, a, b: L.dstack([a, b]), TWO, ""),
    ("kron", lambda L, F, a, b: L.kron(a, b), ((2, 2), (2, 2)), ""),
    ("cross", lambda L, F, a, b: L.linalg.cross(a, b), ((4, 3), (4, 3)), ""),
    ("take", lambda L, F, a: a.take(L.tensor([0, 2])), M34, ""),
    ("take_along_dim", lambda L, F, a: L.take_along_dim(a, L.tensor([[0], [1], [2]]), 1),
     M34, ""),
    ("scatter", lambda L, F, a, b: a.scatter(1, L.tensor([[0], [1], [2]]), b),
     ((3, 4), (3, 1)), ""),
    ("scatter_value", lambda L, F, a: a.scatter(1, L.tensor([[0], [1], [2]]), 2.0), M34, ""),
    ("scatter_add", lambda L, F, a, b: a.scatter_add(1, L.tensor([[0], [1], [2]]), b),
     ((3, 4), (3, 1)), ""),
    ("scatter_reduce", lambda L, F, a, b: a.scatter_reduce(1, L.tensor([[0], [1], [2]]), b,
                                                           "amax"), ((3, 4), (3, 1)), ""),
    ("index_add", lambda L, F, a, b: a.index_add(0, L.tensor([0, 2]), b), ((3, 4), (2, 4)), ""),
    ("index_copy", lambda L, F, a, b: a.index_copy(0, L.tensor([0, 2]), b), ((3, 4), (2, 4)),
     ""),
    ("index_fill", lambda L, F, a: a.index_fill(0, L.tensor([0, 2]), 1.0), M34, ""),
    ("index_put", lambda L, F, a, b: a.index_put((L.tensor([0, 2]),), b), ((3, 4), (2, 4)), ""),
    ("masked_scatter", lambda L, F, a, b: a.masked_scatter(a > 0, b), TWO, ""),
    ("einsum_mm", lambda L, F, a, b: L.einsum("ij,jk->ik", a, b), ((3, 4), (4, 2)), ""),
    ("einsum_mm_t", lambda L, F, a, b: L.einsum("ij,jk->ki", a, b), ((3, 4), (4, 2)), ""),
    ("einsum_sum", lambda L, F, a: L.einsum("ij->", a), M34, ""),
    ("einsum_row_sum", lambda L, F, a: L.einsum("ij->i", a), M34, ""),
    ("einsum_transpose", lambda L, F, a: L.einsum("ij->ji", a), M34, ""),
    ("einsum_identity", lambda L, F, a: L.einsum("ij->ij", a), M34, ""),
    ("einsum_diagonal", lambda L, F, a: L.einsum("ii->i", a), ((3, 3),), ""),
    ("einsum_trace", lambda L, F, a: L.einsum("ii", a), ((3, 3),), ""),
    ("einsum_bmm", lambda L, F, a, b: L.einsum("bij,bjk->bik", a, b), ((2, 3, 4), (2, 4, 2)),
     ""),
    ("einsum_attention", lambda L, F, a, b: L.einsum("bhqd,bhkd->bhqk", a, b),
     ((2, 2, 3, 4), (2, 2, 5, 4)), ""),
    ("einsum_dot", lambda L, F, a, b: L.einsum("i,i->", a, b), ((4,), (4,)), ""),
    ("einsum_outer", lambda L, F, a, b: L.einsum("i,j->ij", a, b), ((3,), (4,)), ""),
    ("einsum_hadamard", lambda L, F, a, b: L.einsum("ij,ij->ij", a, b), TWO, ""),
    ("einsum_rowdot", lambda L, F, a, b: L.einsum("ij,ij->i", a, b), TWO, ""),
    ("einsum_implicit", lambda L, F, a, b: L.einsum("ij,jk", a, b), ((3, 4), (4, 2)), ""),
    ("einsum_three", lambda L, F, a, b, c: L.einsum("ij,jk,kl->il", a, b, c),
     ((3, 4), (4, 2), (2, 5)), ""),
    ("slogdet", lambda L, F, a: L.linalg.slogdet(a)[1], ((3, 3),), ""),
    ("pinv", lambda L, F, a: L.linalg.pinv(a), M34, ""),
    ("solve", lambda L, F, a, b: L.linalg.solve(a, b), ((3, 3), (3, 2)), ""),
    ("qr", lambda L, F, a: L.linalg.qr(a)[0], M34, ""),
    ("qr_r", lambda L, F, a: L.linalg.qr(a)[1], M34, ""),
    ("svd", lambda L, F, a: L.linalg.svd(a, full_matrices=False)[1], M34, ""),
    ("svd_u", lambda L, F, a: L.linalg.svd(a, full_matrices=False)[0], M34, ""),
    ("svdvals", lambda L, F, a: L.linalg.svdvals(a), M34, ""),
    ("eigh", lambda L, F, a: L.linalg.eigh(a + a.mT)[0], ((3, 3),), ""),
    ("eigh_vectors", lambda L, F, a: L.linalg.eigh(a + a.mT)[1], ((3, 3),), ""),
    ("eigvalsh", lambda L, F, a: L.linalg.eigvalsh(a + a.mT), ((3, 3),), ""),
    ("lstsq", lambda L, F, a, b: L.linalg.lstsq(a, b).solution, ((4, 3), (4, 2)), ""),
    ("matrix_exp", lambda L, F, a: L.linalg.matrix_exp(a), ((3, 3),), ""),
    ("hardshrink", lambda L, F, a: F.hardshrink(a), M34, ""),
    ("softshrink", lambda L, F, a: F.softshrink(a), M34, ""),
    ("threshold", lambda L, F, a: F.threshold(a, 0.1, 0.0), M34, ""),
    ("rrelu_eval", lambda L, F, a: F.rrelu(a, training=False), M34, ""),
    ("cross_entropy", lambda L, F, a: F.cross_entropy(a, L.tensor([0, 1, 2])), M34, ""),
    ("ce_smoothing", lambda L, F, a: F.cross_entropy(a, L.tensor([0, 1, 2]),
                                                     label_smoothing=0.1), M34, ""),
    ("ce_smoothing_none", lambda L, F, a: F.cross_entropy(
        a, L.tensor([0, 1, 2]), label_smoothing=0.1, reduction="none"), M34, ""),
    ("ce_smoothing_sum", lambda L, F, a: F.cross_entropy(
        a, L.tensor([0, 1, 2]), label_smoothing=0.1, reduction="sum"), M34, ""),
    ("ce_smoothing_weight", lambda L, F, a: F.cross_entropy(
        a, L.tensor([0, 1, 2]), weight=L.ones(4), label_smoothing=0.2), M34, ""),
    ("ce_smoothing_ignore", lambda L, F, a: F.cross_entropy(
        a, L.tensor([0, 1, -100]), label_smoothing=0.1), M34, ""),
    ("ce_smoothing_module", lambda L, F, a: L.nn.CrossEntropyLoss(label_smoothing=0.1)(
        a, L.tensor([0, 1, 2])), M34, ""),
    ("ce_probabilities", lambda L, F, a: F.cross_entropy(a, L.full((3, 4), 0.25)), M34, ""),
    ("ce_probabilities_sum", lambda L, F, a: F.cross_entropy(a, L.full((3, 4), 0.25),
                                                             reduction="sum"), M34, ""),
    ("ce_probabilities_none", lambda L, F, a: F.cross_entropy(
        a, L.full((3, 4), 0.25), reduction="none"), M34, ""),
    ("ce_probabilities_smoothing", lambda L, F, a: F.cross_entropy(
        a, L.full((3, 4), 0.25), label_smoothing=0.1), M34, ""),
    ("pairwise_distance", lambda L, F, a, b: F.pairwise_distance(a, b), TWO, ""),
    ("pdist", lambda L, F, a: F.pdist(a), M34, ""),
    ("max_pool3d", lambda L, F, a: F.max_pool3d(a, 2), ((1, 2, 4, 4, 4),), ""),
    ("avg_pool3d", lambda L, F, a: F.avg_pool3d(a, 2), ((1, 2, 4, 4, 4),), ""),
    ("adaptive_max_pool2d", lambda L, F, a: F.adaptive_max_pool2d(a, 2), ((2, 3, 6, 6),), ""),
    ("pixel_shuffle", lambda L, F, a: F.pixel_shuffle(a, 2), ((1, 4, 3, 3),), ""),
    ("pixel_unshuffle", lambda L, F, a: F.pixel_unshuffle(a, 2), ((1, 1, 4, 4),), ""),
    ("affine_grid", lambda L, F, t: F.affine_grid(t, (1, 1, 3, 3), align_corners=False),
     ((1, 2, 3),), ""),
    ("embedding_bag", lambda L, F, w: F.embedding_bag(L.tensor([0, 2, 1]), w, L.tensor([0, 1])),
     M34, ""),
    ("mvlgamma", lambda L, F, a: L.mvlgamma(a + 3, 2), M34, ""),
    ("special_xlog1py", lambda L, F, a, b: L.special.xlog1py(a, b.abs()), TWO, ""),
    ("special_entr", lambda L, F, a: L.special.entr(a), M34, "pos"),
    ("special_erfcx", lambda L, F, a: L.special.erfcx(a), M34, ""),
    ("special_ndtri", lambda L, F, a: L.special.ndtri(a.sigmoid()), M34, ""),
    ("special_log_ndtr", lambda L, F, a: L.special.log_ndtr(a), M34, ""),
    ("special_i0e", lambda L, F, a: L.special.i0e(a), M34, ""),
    ("special_i1", lambda L, F, a: L.special.i1(a), M34, ""),
    ("special_i1e", lambda L, F, a: L.special.i1e(a), M34, ""),
    ("special_sinc", lambda L, F, a: L.special.sinc(a), M34, ""),
    ("div_floor", lambda L, F, a, b: L.div(a, b, rounding_mode="floor"), TWO, ""),
    ("div_trunc", lambda L, F, a: L.div(a, 2.0, rounding_mode="trunc"), M34, ""),
    ("block_diag", lambda L, F, a, b: L.block_diag(a, b), TWO, ""),
    ("renorm", lambda L, F, a: a.renorm(2, 0, 1.0), M34, ""),
    ("narrow_copy", lambda L, F, a: a.narrow_copy(1, 0, 2), M34, ""),
    ("sum_to_size", lambda L, F, a: a.sum_to_size(1, 4), M34, ""),
    ("xlogy_number", lambda L, F, a: L.xlogy(a, 2.0), M34, ""),
    ("copysign_number", lambda L, F, a: a.copysign(-1.0), M34, ""),
    ("ldexp", lambda L, F, a: L.ldexp(a, L.tensor([2])), M34, ""),
    ("round_decimals", lambda L, F, a: a.round(decimals=1), M34, ""),
    ("round", lambda L, F, a: a.round(), M34, ""),
    ("special_round", lambda L, F, a: L.special.round(a), M34, ""),
    ("special_exp2", lambda L, F, a: L.special.exp2(a), M34, ""),
    ("special_zeta_number", lambda L, F, a: L.special.zeta(a.abs() + 2, 2.0), M34, ""),
    ("special_zeta", lambda L, F, a, b: L.special.zeta(a.abs() + 2, b.abs() + 1), TWO, ""),
    ("max_pool2d_unbatched", lambda L, F, a: F.max_pool2d(a, 2), ((2, 4, 4),), ""),
    ("avg_pool2d_unbatched", lambda L, F, a: F.avg_pool2d(a, 2), ((2, 4, 4),), ""),
    ("adaptive_avg_pool3d_1", lambda L, F, a: F.adaptive_avg_pool3d(a, 1), ((1, 2, 4, 4, 4),),
     ""),
    ("adaptive_avg_pool3d_2", lambda L, F, a: F.adaptive_avg_pool3d(a, 2), ((1, 2, 4, 4, 4),),
     ""),
    ("solve_triangular", lambda L, F, a, b: L.linalg.solve_triangular(
        a.triu() + 3 * L.eye(3), b, upper=True), ((3, 3), (3, 2)), ""),
    ("solve_triangular_right", lambda L, F, a, b: L.linalg.solve_triangular(
        a.tril() + 3 * L.eye(3), b, upper=False, left=False), ((3, 3), (2, 3)), ""),
    ("lu_factor", lambda L, F, a: L.linalg.lu_factor(a).LU, ((3, 3),), ""),
    ("lu", lambda L, F, a: L.linalg.lu(a).U, ((3, 3),), ""),
    ("lu_l", lambda L, F, a: L.linalg.lu(a).L, ((3, 3),), ""),
    # in-place writes
    ("zero_", lambda L, F, a: a.clone().zero_(), M34, ""),
    ("zero_nonleaf", lambda L, F, a: (a * 2).zero_(), M34, ""),
    ("fill_number", lambda L, F, a: a.clone().fill_(2.0), M34, ""),
    ("fill_tensor", lambda L, F, a: a.clone().fill_(L.tensor(2.0)), M34, ""),
    ("copy_", lambda L, F, a, b: a.clone().copy_(b), TWO, ""),
    ("copy_broadcast", lambda L, F, a, b: a.clone().copy_(b), ((3, 4), (4,)), ""),
    ("copy_constant", lambda L, F, a: (a * 1).copy_(L.ones(3, 4)), M34, ""),
    ("index_fill_", lambda L, F, a: a.clone().index_fill_(0, L.tensor([0]), 0.0), M34, ""),
    ("index_add_", lambda L, F, a, b: a.clone().index_add_(0, L.tensor([0, 2]), b),
     ((3, 4), (2, 4)), ""),
    ("index_copy_", lambda L, F, a, b: a.clone().index_copy_(0, L.tensor([0, 2]), b),
     ((3, 4), (2, 4)), ""),
    ("scatter_", lambda L, F, a, b: a.clone().scatter_(1, L.tensor([[0], [1], [2]]), b),
     ((3, 4), (3, 1)), ""),
    ("uniform_", lambda L, F, a: a.clone().uniform_(), M34, ""),
    ("normal_", lambda L, F, a: a.clone().normal_(), M34, ""),
    ("setitem_int", lambda L, F, a: _write(a.clone(), 0, 1.0), M34, ""),
    ("setitem_slice", lambda L, F, a, b: _write(a.clone(), slice(0, 1), b), ((3, 4), (1, 4)),
     ""),
    ("setitem_column", lambda L, F, a: _write(a.clone(), (slice(None), 1), 0.0), M34, ""),
    ("setitem_mask", lambda L, F, a: _write(a.clone(), a.detach() > 0, 0.0), M34, ""),
    ("setitem_index", lambda L, F, a: _write(a.clone(), L.tensor([0, 2]), 0.0), M34, ""),
    ("setitem_tensor_value", lambda L, F, a, b: _write(a.clone(), 1, b), ((3, 4), (4,)), ""),
    ("view_add_", lambda L, F, a: _through(a.clone(), lambda v: v[0].add_(1)), M34, ""),
    ("view_mul_", lambda L, F, a: _through(a.clone(), lambda v: v[:, 1:].mul_(2)), M34, ""),
    ("view_zero_", lambda L, F, a: _through(a.clone(), lambda v: v[0].zero_()), M34, ""),
    ("view_fill_", lambda L, F, a: _through(a.clone(), lambda v: v.t().fill_(1.0)), M34, ""),
    ("view_copy_", lambda L, F, a, b: _through(a.clone(), lambda v: v[1].copy_(b)),
     ((3, 4), (4,)), ""),
    ("view_relu_", lambda L, F, a: _through(a.clone(), lambda v: v.view(12).relu_()), M34, ""),
    ("view_setitem", lambda L, F, a: _through(a.clone(), lambda v: _write(v[1], 0, 5.0)), M34,
     ""),
    ("written_view", lambda L, F, a: a.clone()[0].add_(1), M34, ""),
    ("written_view_reshaped", lambda L, F, a: a.clone().view(12).mul_(2), M34, ""),
    ("written_view_column", lambda L, F, a: a.clone()[:, 0].zero_(), M34, ""),
    ("setitem_everything", lambda L, F, a: _write(a.clone(), Ellipsis, 0.0), M34, ""),
    ("setitem_full_slice", lambda L, F, a: _write(a.clone(), slice(None), 0.0), M34, ""),
    ("setitem_full_tensor", lambda L, F, a, b: _write(a.clone(), slice(None), b), TWO, ""),
    ("setitem_iadd", lambda L, F, a: _through(a.clone(), lambda t: _write(t, 0, t[0] + 1)),
     M34, ""),
    ("copy_into_constant", lambda L, F, a: L.zeros(3, 4).copy_(a), M34, ""),
    ("copy_row_into_constant", lambda L, F, a: _through(L.zeros(3, 4),
                                                         lambda t: t[0].copy_(a[0])), M34, ""),
    ("fill_diagonal_", lambda L, F, a: a.clone().fill_diagonal_(0.0), ((3, 3),), ""),
    ("diagonal_zero_", lambda L, F, a: _through(a.clone(), lambda t: t.diagonal().zero_()),
     ((3, 3),), ""),
    ("leaky_relu_inplace", lambda L, F, a: F.leaky_relu(a * 1, 0.1, inplace=True), M34, ""),
    ("elu_inplace", lambda L, F, a: F.elu(a * 1, inplace=True), M34, ""),
    ("selu_inplace", lambda L, F, a: F.selu(a * 1, inplace=True), M34, ""),
    ("celu_inplace", lambda L, F, a: F.celu(a * 1, inplace=True), M34, ""),
    ("threshold_inplace", lambda L, F, a: F.threshold(a * 1, 0.1, 0.0, inplace=True), M34, ""),
    ("rrelu_inplace", lambda L, F, a: F.rrelu(a * 1, inplace=True), M34, ""),
    ("relu_inplace", lambda L, F, a: F.relu(a * 1, inplace=True), M34, ""),
    ("selu", lambda L, F, a: F.selu(a), M34, ""),
    ("bernoulli_", lambda L, F, a: a.clone().bernoulli_(0.5), M34, ""),
    ("bernoulli_tensor", lambda L, F, a: a.clone().bernoulli_(L.full((3, 4), 0.5)), M34, ""),
    ("exponential_", lambda L, F, a: a.clone().exponential_(), M34, ""),
    ("random_", lambda L, F, a: a.clone().random_(), M34, ""),
    ("random_to", lambda L, F, a: a.clone().random_(5), M34, ""),
    ("random_from_to", lambda L, F, a: a.clone().random_(2, 5), M34, ""),
    ("cauchy_", lambda L, F, a: a.clone().cauchy_(), M34, ""),
    ("log_normal_", lambda L, F, a: a.clone().log_normal_(), M34, ""),
    ("geometric_", lambda L, F, a: a.clone().geometric_(0.5), M34, ""),
    ("add_", lambda L, F, a: a.clone().add_(1), M34, ""),
    ("relu_", lambda L, F, a: a.clone().relu_(), M34, ""),
]


def _run(lib, fn, shapes, kind):
    functional = lib.nn.functional
    return fn(lib, functional, *(_leaf(lib, shape, i, kind) for i, shape in enumerate(shapes)))


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), CASES, ids=[c[0] for c in CASES])
def test_grad_fn_name_is_pytorchs(name, fn, shapes, kind):
    expected = _run(torch, fn, shapes, kind).grad_fn.name()
    got = _run(tg, fn, shapes, kind).grad_fn.name()
    assert got == expected, name


@pytest.mark.parametrize(("name", "fn", "shapes", "kind"), CASES, ids=[c[0] for c in CASES])
def test_printed_grad_fn_is_pytorchs(name, fn, shapes, kind):
    """`print(y)` ends in `grad_fn=<...>` and `repr(y.grad_fn)` starts `<Name object at`, with
    PyTorch's short names (CopySlices, not torch::autograd::CopySlices)."""
    theirs, ours = _run(torch, fn, shapes, kind), _run(tg, fn, shapes, kind)
    assert repr(ours).rpartition("grad_fn=")[2] == repr(theirs).rpartition("grad_fn=")[2]
    assert repr(ours.grad_fn).split(" object at ")[0] == \
        repr(theirs.grad_fn).split(" object at ")[0]


def test_a_write_not_recorded_keeps_the_old_node_name():
    for lib in (torch, tg):
        y = _leaf(lib, (3, 4), 0) * 2
        with lib.no_grad():
            lib.nn.functional.leaky_relu(y, 0.1, inplace=True)
            y.zero_()
        assert y.grad_fn.name() == "MulBackward0"


def test_in_place_write_into_a_view_names_base_and_view_as_pytorch():
    for lib in (torch, tg):
        base = _leaf(lib, (3, 4), 0).clone()
        row = base[1]
        row.mul_(2)
        names = (base.grad_fn.name(), row.grad_fn.name(), repr(base).rpartition("=")[2])
        if lib is torch:
            expected = names
    assert names == expected == ("torch::autograd::CopySlices", "AsStridedBackward0",
                                 "<CopySlices>)")


GRADIENT_CASES = ["lerp_tensor", "lerp_number", "einsum_mm_t", "einsum_outer", "einsum_trace",
                  "reshape_copy_3d", "ce_smoothing", "ce_smoothing_weight", "ce_probabilities",
                  "copy_broadcast", "fill_tensor", "view_copy_", "view_mul_", "view_setitem",
                  "setitem_tensor_value", "index_fill_", "diag_vector_offset", "diagflat",
                  "var_mean", "aminmax_dim", "pow_tensor", "ravel_copy", "dstack", "kron"]


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_renamed_ops_keep_pytorchs_gradients(name):
    _, fn, shapes, kind = next(case for case in CASES if case[0] == name)
    grads = []
    for lib in (torch, tg):
        leaves = [_leaf(lib, shape, i, kind) for i, shape in enumerate(shapes)]
        out = fn(lib, lib.nn.functional, *leaves)
        weights = lib.tensor(np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape))
                             .astype(np.float32))
        (out * weights).sum().backward()
        grads.append([leaf.grad.numpy() if leaf.grad is not None else None for leaf in leaves])
    for theirs, ours in zip(*grads):
        if theirs is None:
            assert ours is None or not np.any(ours)
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_lerp_with_tensor_weight_matches_central_differences():
    rng = np.random.default_rng(3)
    start, end, weight = (rng.standard_normal((2, 3)) for _ in range(3))
    tensors = [tg.tensor(v, requires_grad=True) for v in (start, end, weight)]
    out = tg.lerp(*tensors)
    assert out.grad_fn.name() == "LerpBackward1"
    out.sum().backward()
    step = 1e-6
    for position, values in enumerate((start, end, weight)):
        numeric = np.zeros_like(values)
        for index in np.ndindex(values.shape):
            high, low = [v.copy() for v in (start, end, weight)], [
                v.copy() for v in (start, end, weight)]
            high[position][index] += step
            low[position][index] -= step
            total = [(h[0] + h[2] * (h[1] - h[0])).sum() for h in (high, low)]
            numeric[index] = (total[0] - total[1]) / (2 * step)
        np.testing.assert_allclose(tensors[position].grad.numpy(), numeric, rtol=1e-6,
                                   atol=1e-8)


# ----------------------------------------------------------------- dtypes
@pytest.mark.parametrize("other", [float, int, bool, complex, "float32", "float64", "int64",
                                   "bool", "torch.float32", None])
@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool", "float16", "uint8"])
def test_dtype_never_equals_a_python_type_or_a_name(name, other):
    expected = getattr(torch, name) == other
    assert (getattr(tg, name) == other) is expected is False
    assert (getattr(tg, name) != other) is True


def test_dtype_still_equals_numpys_and_its_own():
    assert tg.float32 == np.float32 and tg.float32 == np.dtype("float32")
    assert tg.zeros(2).dtype == np.float32 and tg.zeros(2).dtype == tg.float32
    assert tg.zeros(2, dtype=float).dtype == tg.float64 and tg.tensor([True]).dtype == np.bool_
    assert {tg.float32: 1}[tg.zeros(1).dtype] == 1
    assert tg.float64 != tg.float32 and tg.bfloat16 != tg.float32


DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64", "float16", "float32", "float64",
          "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (3,), (2, 3)])
def test_save_load_round_trip_keeps_dtype_shape_values(name, shape):
    dtype = getattr(tg, name)
    values = np.asarray(np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype.dtype)
    tensor = tg.tensor(values)
    buffer = io.BytesIO()
    tg.save({"t": tensor, "dtype": dtype, "list": [tensor]}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer)
    for got in (loaded["t"], loaded["list"][0]):
        assert got.dtype is dtype and tuple(got.shape) == shape
        np.testing.assert_array_equal(got.numpy(), values)
    assert loaded["dtype"] is dtype


@pytest.mark.parametrize("name", DTYPES[:9])
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
def test_pytorch_checkpoints_of_every_dtype_load_with_it(name, shape):
    values = np.asarray(np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(
        getattr(tg, name).dtype)
    buffer = io.BytesIO()
    torch.save({"t": torch.from_numpy(values.copy()), "dtype": getattr(torch, name)}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer)
    assert loaded["t"].dtype is getattr(tg, name) and tuple(loaded["t"].shape) == shape
    np.testing.assert_array_equal(loaded["t"].numpy(), values)
    assert loaded["dtype"] is getattr(tg, name)


def test_bfloat16_as_a_value_loads_as_bfloat16_and_its_tensors_as_float32():
    buffer = io.BytesIO()
    weights = torch.tensor([[1.5, -2.25], [0.0, 3.0]], dtype=torch.bfloat16)
    torch.save({"dtype": torch.bfloat16, "w": weights, "s": weights[0, 0].clone()}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer)
    assert loaded["dtype"] is tg.bfloat16 and repr(loaded["dtype"]) == "torch.bfloat16"
    assert loaded["w"].dtype is tg.float32 and loaded["s"].shape == ()
    np.testing.assert_array_equal(loaded["w"].numpy(), [[1.5, -2.25], [0.0, 3.0]])
    again = io.BytesIO()
    tg.save({"dtype": loaded["dtype"]}, again)
    again.seek(0)
    assert tg.load(again)["dtype"] is tg.bfloat16


# ----------------------------------------------------------------- reprs
REPRS = {
    "int": lambda L: L.tensor([1, -200000, 3]),
    "int8": lambda L: L.tensor([1, -2], dtype=L.int8),
    "uint8": lambda L: L.tensor([1, 2], dtype=L.uint8),
    "bool": lambda L: L.tensor([[True, False], [False, True]]),
    "float16": lambda L: L.tensor([1.5, 2.25], dtype=L.float16, requires_grad=True),
    "float64_whole": lambda L: L.tensor([1.0, 2.0], dtype=L.float64),
    "mixed_magnitudes": lambda L: L.tensor([1e-5, 1e5, 3.0]),
    "large": lambda L: L.tensor([1e10, 1.0]),
    "nan_inf": lambda L: L.tensor([float("nan"), 1.0, float("inf"), -float("inf")]),
    "zero_d": lambda L: L.tensor(3.5),
    "zero_d_float64": lambda L: L.tensor(3.5, dtype=L.float64),
    "empty": lambda L: L.zeros(0, 3),
    "empty_int": lambda L: L.zeros(0, dtype=L.int64),
    "summarised": lambda L: L.arange(3000.0).reshape(30, 100),
    "summarised_3d": lambda L: L.arange(1200.0).reshape(10, 12, 10),
    "wrapped": lambda L: L.arange(60.0).reshape(3, 20) / 7,
    "requires_grad": lambda L: L.tensor([1.0, 2.0], requires_grad=True),
    "grad_fn_float64": lambda L: L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True) * 2,
    "parameter": lambda L: L.nn.Parameter(L.tensor([1.0, 2.0])),
    "parameter_frozen": lambda L: L.nn.Parameter(L.tensor([1, 2]), requires_grad=False),
    "size": lambda L: L.zeros(2, 3).shape,
    "size_call": lambda L: L.zeros(2, 3).size(),
    "stride": lambda L: L.zeros(2, 3, 4).stride(),
    "stride_t": lambda L: L.zeros(2, 3).t().stride(),
}


@pytest.mark.parametrize("name", list(REPRS))
def test_repr_and_str_are_pytorchs(name):
    assert repr(REPRS[name](tg)) == repr(REPRS[name](torch))
    assert str(REPRS[name](tg)) == str(REPRS[name](torch))


OPTIONS = [dict(precision=2), dict(precision=8), dict(sci_mode=True), dict(sci_mode=False),
           dict(linewidth=40), dict(threshold=10, edgeitems=1), dict(profile="short"),
           dict(profile="full"), dict(precision=1, sci_mode=True)]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
@pytest.mark.parametrize("name", ["mixed_magnitudes", "summarised", "wrapped", "zero_d",
                                  "grad_fn_float64", "nan_inf"])
def test_set_printoptions_as_pytorch(options, name):
    shown = []
    for lib in (torch, tg):
        lib.set_printoptions(**options)
        try:
            shown.append(repr(REPRS[name](lib)))
        finally:
            lib.set_printoptions(profile="default")
            lib.set_printoptions(sci_mode=None)
    assert shown[1] == shown[0]


def _modules(L):
    nn = L.nn
    return {
        "conv2d": nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
        "conv2d_same": nn.Conv2d(2, 4, (3, 5), padding="same", padding_mode="reflect"),
        "bn": nn.BatchNorm2d(4, momentum=0.2, affine=False),
        "dropout": nn.Dropout(0.3, inplace=True),
        "lstm": nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True),
        "gru": nn.GRU(3, 4, batch_first=True, dropout=0.5, num_layers=2),
        "nested": nn.Sequential(collections.OrderedDict([
            ("features", nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True))),
            ("blocks", nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.GELU()])),
            ("heads", nn.ModuleDict({"cls": nn.Linear(2, 3), "act": nn.Softmax(dim=1)})),
        ])),
        "transformer_layer": nn.TransformerEncoderLayer(4, 2, 8),
        "embedding": nn.Embedding(10, 3, padding_idx=0, max_norm=1.0),
        "mha": nn.MultiheadAttention(4, 2, batch_first=True, kdim=3, vdim=5),
    }


def test_module_reprs_are_pytorchs():
    torch.manual_seed(0)
    theirs = _modules(torch)
    tg.manual_seed(0)
    ours = _modules(tg)
    for name in theirs:
        assert repr(ours[name]) == repr(theirs[name]), name


def test_optimizer_reprs_are_pytorchs():
    shown = []
    for lib in (torch, tg):
        first, second = lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(2))
        shown.append([repr(lib.optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.5}],
                                         lr=0.1, momentum=0.9)),
                      repr(lib.optim.AdamW([first], lr=1e-3, amsgrad=True))])
    assert shown[1] == shown[0]


# ----------------------------------------------------------------- error texts
def _ones(lib, *shape):
    return lib.ones(*shape)


ERRORS = [
    ("add", lambda L: _ones(L, 2, 3) + _ones(L, 3, 2)),
    ("add_ranks", lambda L: _ones(L, 2, 3) + _ones(L, 4, 1, 2)),
    ("mul", lambda L: _ones(L, 2, 3, 4) * _ones(L, 5, 1)),
    ("where", lambda L: L.where(_ones(L, 2, 3) > 0, _ones(L, 3, 2), _ones(L, 2, 3))),
    ("masked_fill", lambda L: _ones(L, 2, 3).masked_fill(L.tensor([True, False]), 0.0)),
    ("mse_loss", lambda L: L.nn.functional.mse_loss(_ones(L, 3), _ones(L, 4))),
    ("mm", lambda L: L.mm(_ones(L, 2, 3), _ones(L, 4, 2))),
    ("matmul_folded", lambda L: _ones(L, 2, 3, 4) @ _ones(L, 5, 2)),
    ("matmul_vector_matrix", lambda L: _ones(L, 3) @ _ones(L, 4, 2)),
    ("mv", lambda L: L.mv(_ones(L, 2, 3), _ones(L, 4))),
    ("matmul_batched", lambda L: _ones(L, 2, 3, 4) @ _ones(L, 2, 5, 2)),
    ("matmul_batched_4d", lambda L: _ones(L, 2, 2, 3, 4) @ _ones(L, 2, 2, 5, 2)),
    ("dot", lambda L: L.dot(_ones(L, 3), _ones(L, 4))),
    ("linear", lambda L: L.nn.functional.linear(_ones(L, 2, 4, 5), _ones(L, 2, 3), _ones(L, 2))),
    ("linear_1d", lambda L: L.nn.functional.linear(_ones(L, 5), _ones(L, 2, 3))),
    ("nn_linear", lambda L: L.nn.Linear(3, 2)(_ones(L, 4, 5))),
    ("cat", lambda L: L.cat([_ones(L, 2, 3), _ones(L, 2, 3), _ones(L, 2, 4)])),
    ("cat_dim1", lambda L: L.cat([_ones(L, 2, 3), _ones(L, 3, 4)], 1)),
    ("expand", lambda L: _ones(L, 2, 3).expand(2, 4)),
    ("expand_new_dims", lambda L: _ones(L, 2, 1, 3).expand(5, 2, 2, 4)),
    ("chunk", lambda L: _ones(L, 4).chunk(0)),
    ("split", lambda L: _ones(L, 4).split(0)),
    ("repeat", lambda L: _ones(L, 2, 3).repeat(2)),
    ("topk", lambda L: _ones(L, 4).topk(5)),
    ("clamp", lambda L: _ones(L, 2).clamp()),
    ("mean_int", lambda L: L.tensor([1, 2]).mean()),
    ("std_int", lambda L: L.tensor([1, 2]).std()),
    ("max_empty", lambda L: L.zeros(0).max()),
    ("layer_norm", lambda L: L.nn.LayerNorm(4)(_ones(L, 2, 3))),
    ("cross_entropy_target", lambda L: L.nn.functional.cross_entropy(
        _ones(L, 3, 4), L.tensor([0, 1, 7]))),
    ("cross_entropy_target_smoothing", lambda L: L.nn.functional.cross_entropy(
        _ones(L, 3, 4), L.tensor([0, 1, 7]), label_smoothing=0.1)),
]


@pytest.mark.parametrize(("name", "call"), [
    ("batch_norm", lambda L: L.nn.BatchNorm1d(3)(_ones(L, 1, 3))),
    ("interpolate", lambda L: L.nn.functional.interpolate(_ones(L, 1, 1, 2, 2))),
    ("empty_optimizer", lambda L: L.optim.SGD([], lr=0.1)),
])
def test_value_error_starts_with_pytorchs_words(name, call):
    with pytest.raises(ValueError) as theirs:
        call(torch)
    with pytest.raises(ValueError) as ours:
        call(tg)
    assert str(ours.value).startswith(str(theirs.value).split("\n")[0]), name


@pytest.mark.parametrize(("name", "call"), [
    ("tensor", lambda L: L.tensor([1, 2], requires_grad=True)),
    ("zeros", lambda L: L.zeros(2, dtype=L.int64, requires_grad=True)),
    ("parameter", lambda L: L.nn.Parameter(L.tensor([1, 2]))),
    ("requires_grad_", lambda L: L.tensor([1, 2]).requires_grad_()),
])
def test_integer_requires_grad_in_pytorchs_words(name, call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(tg)
    assert str(ours.value).startswith(str(theirs.value).split("\n")[0]), name


@pytest.mark.filterwarnings("ignore")  # (mse_loss's size warning comes first)
@pytest.mark.parametrize(("name", "call"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_starts_with_pytorchs_words(name, call):
    with pytest.raises((RuntimeError, IndexError)) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(tg)
    assert str(ours.value).startswith(str(theirs.value).split("\n")[0]) or (
        str(theirs.value).split("\n")[0] in str(ours.value)), name
