"""Round 16 (performance, i1): torch.stack (and the h/v/d/column stacks) as one node,
EmbeddingBag by segment reductions (memory linear in the ids), cdist/pdist by a matrix
product for p=2 and in row chunks otherwise. Results are checked against torch where
installed (values and gradients, float64 and float32), else against values written out;
never timings."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _array(value):
    if value is None:
        return None
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _close(ours, theirs, rtol=1e-7, atol=1e-9):
    ours, theirs = _array(ours), _array(theirs)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64),
                               rtol=rtol, atol=atol)


def _both(run, rtol=1e-7, atol=1e-9):
    """run(lib) -> a sequence of results, compared between tinygrad_np and torch."""
    ours, theirs = run(tg), run(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _close(a, b, rtol, atol)


# ----------------------------------------------------------------- stack
def _leaves(lib, shapes, dtypes=None, grads=None, seed=0):
    rng = np.random.default_rng(seed)
    dtypes = dtypes or ["float64"] * len(shapes)
    grads = grads or [True] * len(shapes)
    return [lib.tensor(rng.standard_normal(s).astype(d), requires_grad=g and d[0] == "f")
            for s, d, g in zip(shapes, dtypes, grads)]


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stack_values_and_gradients_match_torch(dim, dtype):
    def run(lib):
        xs = _leaves(lib, [(3, 4)] * 5, [dtype] * 5)
        y = lib.stack([x * (i + 1) for i, x in enumerate(xs)], dim)
        weights = lib.tensor(np.arange(y.numel()).reshape(tuple(y.shape)).astype(dtype))
        (y * weights).sum().backward()
        return [y] + [x.grad for x in xs]
    _both(run)


def test_stack_is_one_node_whatever_the_count():
    xs = [tg.tensor([float(i), 1.0], requires_grad=True) for i in range(1000)]
    y = tg.stack(xs, 1)
    assert y.shape == (2, 1000)
    nexts = y.grad_fn.next_functions
    assert len(nexts) == 1000
    assert all(type(node).__name__ == "AccumulateGrad" for node, _ in nexts)
    y.sum().backward()
    assert all(x.grad.tolist() == [1.0, 1.0] for x in xs)


@needs_torch
def test_stack_edge_cases_match_torch():
    def run(lib):
        one = _leaves(lib, [(2, 3)])
        single = lib.stack(one, -1)
        single.pow(2).sum().backward()
        scalars = _leaves(lib, [()] * 4, seed=1)
        row = lib.stack(scalars)
        (row * lib.arange(4.0, dtype=lib.float64)).sum().backward()
        empty = _leaves(lib, [(0, 2)] * 3, seed=2)
        hollow = lib.stack(empty, 1)
        return [single, one[0].grad, row] + [s.grad for s in scalars] + [hollow]
    _both(run)


@needs_torch
def test_stack_mixed_dtypes_and_partial_requires_grad_match_torch():
    def run(lib):
        xs = _leaves(lib, [(3,)] * 4, ["float32", "int64", "float64", "float16"],
                     [True, False, False, True])
        y = lib.stack(xs)
        (y * y).sum().backward()
        ints = lib.stack([lib.tensor([1, 2], dtype=lib.int32), lib.tensor([True, False])])
        halves = lib.stack([lib.tensor([1, 2]), lib.tensor([0.5, 2.0], dtype=lib.float16)])
        return [y, xs[0].grad, xs[1].grad, xs[2].grad, xs[3].grad, ints, halves]
    _both(run, rtol=1e-3, atol=1e-3)


@needs_torch
def test_stack_out_matches_torch():
    def run(lib):
        xs = _leaves(lib, [(2, 2)] * 3, grads=[False] * 3)
        out = lib.empty(0, dtype=lib.float64)
        returned = lib.stack(xs, 1, out=out)
        assert returned is out
        return [out]
    _both(run)


@needs_torch
def test_stack_double_backward_matches_torch():
    def run(lib):
        a, b = _leaves(lib, [(2, 3), (2, 3)])
        y = lib.stack([a * a, b * a], -2)
        (ga,) = lib.autograd.grad((y ** 3).sum(), [a], create_graph=True)
        (ga * ga).sum().backward()
        return [ga, a.grad, b.grad]
    _both(run)


def test_stack_shape_mismatch_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"stack: .*\[2\].*\[3\]"):
        tg.stack([tg.zeros(2), tg.zeros(3)])


@needs_torch
@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
@pytest.mark.parametrize("shapes", [[()] * 3, [(4,)] * 3, [(0,)] * 2, [(2, 3)] * 3,
                                    [(2, 3, 2)] * 2, [(3,), ()], [(), (1,)], [(1, 2), (2,)],
                                    [(2, 3), (2, 1)]])
def test_h_v_d_column_stacks_match_torch(name, shapes):
    def run(lib):
        xs = _leaves(lib, shapes, seed=3)
        try:
            y = getattr(lib, name)([x * 2 for x in xs])
        except RuntimeError:
            return ["error"]
        weights = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        (y * weights).sum().backward()
        return [y] + [x.grad for x in xs]
    ours, theirs = run(tg), run(torch)
    if "error" in (ours[0], theirs[0]):
        assert isinstance(ours[0], str) and isinstance(theirs[0], str)
        return
    for a, b in zip(ours, theirs):
        _close(a, b)


@needs_torch
@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
def test_h_v_d_column_stacks_mixed_dtypes_and_out_match_torch(name):
    def run(lib):
        xs = [lib.tensor([1, 2]), lib.tensor([0.5, 1.5], dtype=lib.float32)]
        out = lib.empty(0, dtype=lib.float32)
        getattr(lib, name)(xs, out=out)
        return [getattr(lib, name)(xs), out]
    _both(run)


# ----------------------------------------------------------------- embedding_bag
def _bag_case(lib, dtype, mode, ids, offsets=None, weights=False, nan=False, **kwargs):
    rng = np.random.default_rng(4)
    table = rng.standard_normal((7, 3)).round(1).astype(dtype)  # (rounded: ties happen)
    table[2] = table[5]
    if nan:
        table[3, 1] = np.nan
    w = lib.tensor(table, requires_grad=True)
    ids = lib.tensor(np.asarray(ids, dtype=np.int64))
    offsets = None if offsets is None else lib.tensor(np.asarray(offsets, dtype=np.int64))
    scales = None
    if weights:
        scales = lib.tensor(rng.standard_normal(tuple(ids.shape)).astype(dtype),
                            requires_grad=True)
    y = lib.nn.functional.embedding_bag(ids, w, offsets, mode=mode,
                                        per_sample_weights=scales, **kwargs)
    g = lib.tensor(rng.standard_normal(tuple(y.shape)).astype(dtype))
    (y * g).sum().backward()
    return [y, w.grad] + ([scales.grad] if weights else [])


_IDS = [2, 5, 5, 1, 0, 6, 2, 3, 3, 4, 2, 0]
_BAG_CASES = [
    dict(ids=_IDS, offsets=[0, 3, 3, 7, 12]),                    # empty bags, one at the end
    dict(ids=_IDS, offsets=[0, 3, 3, 7, 12], include_last_offset=True),
    dict(ids=_IDS, offsets=[0, 0, 5], padding_idx=2),
    dict(ids=_IDS, offsets=[0, 4, 8], padding_idx=-3),
    dict(ids=[2, 2, 2], offsets=[0, 1], padding_idx=2),          # bags of padding only
    dict(ids=np.array(_IDS).reshape(3, 4)),                       # 2-D, no offsets
    dict(ids=np.array(_IDS).reshape(3, 4), padding_idx=5),
    dict(ids=np.zeros((0, 3))),                                   # 2-D, no bags
    dict(ids=[], offsets=[0, 0]),
    dict(ids=[], offsets=[]),
    dict(ids=[5, 2, 2, 5, 1], offsets=[0, 2]),                    # equal rows: ties
]


@needs_torch
@pytest.mark.parametrize("case", range(len(_BAG_CASES)))
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_bag_matches_torch(case, mode, dtype):
    _both(lambda lib: _bag_case(lib, dtype, mode, **_BAG_CASES[case]), rtol=1e-6, atol=1e-6)


def test_embedding_bag_one_offset_with_include_last_offset_is_no_bags():
    # (torch 2.13 crashes on this one; the rule gives no bags)
    w = tg.ones(5, 3, requires_grad=True)
    for mode in ("sum", "mean", "max"):
        y = tg.nn.functional.embedding_bag(tg.tensor([1, 4]), w, tg.tensor([0]), mode=mode,
                                           include_last_offset=True)
        assert y.shape == (0, 3)


@needs_torch
@pytest.mark.parametrize("case", [0, 2, 5, 10])
def test_embedding_bag_per_sample_weights_match_torch(case):
    _both(lambda lib: _bag_case(lib, "float64", "sum", weights=True, **_BAG_CASES[case]))


@needs_torch
@pytest.mark.parametrize("ids", [[3, 0, 1], [0, 3, 1], [1, 3], [3, 3, 3]])
def test_embedding_bag_max_with_nan_matches_torch(ids):
    # PyTorch's kernel: the first member, then a later one only when greater (so a NaN
    # counts only when it comes first); the gradient goes to the member that won.
    _both(lambda lib: _bag_case(lib, "float64", "max", ids=ids, offsets=[0], nan=True))


def test_embedding_bag_max_gradient_goes_to_the_first_of_tied_rows():
    w = tg.tensor([[1.0, 5.0], [1.0, 2.0], [0.0, 5.0]], requires_grad=True)
    y = tg.nn.functional.embedding_bag(tg.tensor([0, 1, 2]), w, tg.tensor([0]), mode="max")
    y.sum().backward()
    assert y.tolist() == [[1.0, 5.0]]
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_half_matches_torch(mode):
    def run(lib):
        w = lib.tensor(np.full((3, 2), 0.1, dtype=np.float16), requires_grad=True)
        y = lib.nn.functional.embedding_bag(lib.zeros(10000, dtype=lib.int64), w,
                                            lib.tensor([0, 5000]), mode=mode)
        y.float().sum().backward()
        return [y, w.grad]
    # the values against torch; torch's float16 gradient sums 10,000 ones in float16 (it stalls
    # at 2048 on some thread counts), so the gradient is checked against its exact value
    _both(lambda lib: run(lib)[:1], rtol=1e-3, atol=1e-3)
    grad = run(tg)[1].numpy().astype(np.float64)
    expected = {"sum": 10000.0, "mean": 2.0, "max": 2.0}[mode]  # two bags of 5000 ids
    np.testing.assert_allclose(grad, [[expected] * 2, [0, 0], [0, 0]], rtol=1e-3)


@needs_torch
def test_embedding_bag_max_norm_and_module_match_torch():
    def run(lib):
        lib.manual_seed(0)
        bag = lib.nn.EmbeddingBag(6, 4, max_norm=1.0, mode="mean", padding_idx=0)
        with lib.no_grad():
            bag.weight.copy_(lib.tensor(np.arange(24, dtype=np.float32).reshape(6, 4) / 7))
        y = bag(lib.tensor([0, 1, 5, 5, 2]), lib.tensor([0, 2]))
        y.pow(2).sum().backward()
        return [y, bag.weight.grad, bag.weight]
    _both(run, rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_double_backward_matches_torch_composed(mode):
    # torch's embedding_bag has no double backward: its reference is composed of indexing
    # and reductions (the table's values are distinct, so the max has no ties).
    ids, bags = [0, 3, 1, 1, 2], [(0, 2), (2, 2), (2, 5)]

    def composed(w):
        reduce = {"sum": lambda r: r.sum(0), "mean": lambda r: r.mean(0),
                  "max": lambda r: r.amax(0)}[mode]
        return torch.stack([reduce(w[ids[a:b]]) if b > a else w[0] * 0 for a, b in bags])

    def run(lib):
        w = lib.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)
        if lib is tg:
            y = tg.nn.functional.embedding_bag(tg.tensor(ids), w, tg.tensor([0, 2, 2]),
                                               mode=mode)
        else:
            y = composed(w)
        (gw,) = lib.autograd.grad((y ** 3).sum(), [w], create_graph=True)
        (gw ** 2).sum().backward()
        return [y, gw, w.grad]
    _both(run)


def test_embedding_bag_memory_is_linear_in_the_ids():
    # One bag of 100,000 ids next to 999 bags of one: a padded block would be 1000 x 100,000
    # x 8 floats (6.4 GB in float64); the segments need a few copies of 100,000 x 8.
    import tracemalloc
    ids = np.zeros(100_999, dtype=np.int64)
    offsets = np.concatenate([[0], np.arange(100_000, 100_999)])
    w = tg.tensor(np.ones((3, 8)), requires_grad=True)
    tracemalloc.start()
    try:
        y = tg.nn.functional.embedding_bag(tg.tensor(ids), w, tg.tensor(offsets), mode="sum")
        y.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y.shape == (1000, 8)
    assert y[0].tolist() == [100_000.0] * 8 and y[1:].sum().item() == 999 * 8
    assert w.grad[0].tolist() == [100_999.0] * 8
    assert peak < 100 * 100_999 * 8 * 8  # generous: 100 arrays of the gathered size


# ----------------------------------------------------------------- cdist / pdist
_MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
          "donot_use_mm_for_euclid_dist"]


def _points(shape, seed, dtype="float64", repeat=True):
    """Small integers (exact products), some rows repeated: zero distances."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, shape).astype(dtype)
    if repeat and shape[-2] > 2:
        x[..., 1, :] = x[..., 0, :]
    return x


def _cdist_run(lib, a, b, p, mode, seed=5):
    x1 = lib.tensor(a, requires_grad=True)
    x2 = lib.tensor(b, requires_grad=True)
    y = lib.cdist(x1, x2, p, compute_mode=mode)
    g = np.random.default_rng(seed).standard_normal(tuple(y.shape)).astype(a.dtype)
    (y * lib.tensor(g)).sum().backward()
    return [y, x1.grad, x2.grad]


@needs_torch
@pytest.mark.parametrize("mode", _MODES)
@pytest.mark.parametrize("rows", [(5, 4), (26, 3), (3, 30), (25, 25)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cdist_p2_modes_match_torch_with_zero_distances(mode, rows, dtype):
    a = _points((rows[0], 4), 0, dtype)
    b = np.concatenate([a[:1], _points((rows[1] - 1, 4), 1, dtype)])  # a[0] in both
    tol = 1e-12 if dtype == "float64" else 1e-5
    _both(lambda lib: _cdist_run(lib, a, b, 2.0, mode), rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 1.5, 3.0, float("inf")])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cdist_other_p_match_torch_with_zero_distances(p, dtype):
    a = _points((30, 3), 2, dtype)
    b = np.concatenate([a[:2], _points((6, 3), 3, dtype)])
    tol = 1e-12 if dtype == "float64" else 1e-5
    _both(lambda lib: _cdist_run(lib, a, b, p, _MODES[0]), rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("shapes", [((2, 30, 3), (2, 4, 3)), ((3, 1, 5, 2), (4, 6, 2)),
                                    ((2, 7, 3), (7, 3)), ((0, 3), (4, 3)), ((2, 3), (0, 3)),
                                    ((4, 0), (3, 0))])
def test_cdist_batched_and_empty_match_torch(p, shapes):
    a, b = _points(shapes[0], 4), _points(shapes[1], 5)
    _both(lambda lib: _cdist_run(lib, a, b, p, _MODES[0]))


@needs_torch
@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, 3.0, float("inf")])
def test_cdist_in_many_blocks_matches_torch(p, monkeypatch):
    from tinygrad_np.ops import distance
    monkeypatch.setattr(distance, "BLOCK", 7)  # a row or two per block
    a, b = _points((2, 9, 3), 6), _points((2, 4, 3), 7)
    _both(lambda lib: _cdist_run(lib, a, b, p, _MODES[2]))
    x = _points((9, 3), 8)
    _both(lambda lib: _pdist_run(lib, x, p))


@needs_torch
@pytest.mark.parametrize("shared", [False, True])  # True: zero distances
def test_cdist_mm_double_backward_matches_torch(shared):
    a = _points((30, 3), 9)
    b = a[:4].copy() if shared else _points((4, 3), 10, repeat=False) + 0.5

    def run(lib):
        x1, x2 = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        y = lib.cdist(x1, x2)
        g1, g2 = lib.autograd.grad((y ** 3).sum(), [x1, x2], create_graph=True)
        ((g1 ** 2).sum() + (g2 ** 2).sum()).backward()
        return [g1, g2, x1.grad, x2.grad]
    _both(run, rtol=1e-10, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_cdist_exact_double_backward_matches_torch_composed(p):
    # torch's _cdist_backward has no derivative: the reference is the norm of the
    # differences (no zero distances here, where the rules agree).
    a, b = _points((4, 3), 11, repeat=False) + 0.25, _points((5, 3), 12, repeat=False)

    def run(lib):
        x1, x2 = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        if lib is tg:
            y = tg.cdist(x1, x2, p, compute_mode=_MODES[2])
        else:
            y = (x1[:, None] - x2[None]).norm(p, -1)
        g1, g2 = lib.autograd.grad((y ** 3).sum(), [x1, x2], create_graph=True)
        ((g1 ** 2).sum() + (g2 ** 2).sum()).backward()
        return [y, g1, g2, x1.grad, x2.grad]
    _both(run, rtol=1e-10, atol=1e-10)


def test_cdist_errors_name_the_argument():
    x = tg.zeros(3, 2)
    with pytest.raises(ValueError, match="compute_mode"):
        tg.cdist(x, x, compute_mode="sometimes")
    with pytest.raises(RuntimeError, match="floating-point"):
        tg.cdist(x, x.double())
    with pytest.raises(RuntimeError, match=r"batch dims .*\(2, 3, 2\).*\(3, 3, 2\)"):
        tg.cdist(tg.zeros(2, 3, 2), tg.zeros(3, 3, 2))


def test_cdist_mm_clamps_cancellation_at_zero():
    # |x|^2 + |x|^2 - 2 x.x rounds below 0 for some x: clamped, so 0 (not NaN), grad 0
    rng = np.random.default_rng(13)
    a = tg.tensor(rng.standard_normal((40, 7)) * 1e3, requires_grad=True)
    y = tg.cdist(a, a)
    assert not np.isnan(y.numpy()).any() and (y.numpy() >= 0).all()
    y.sum().backward()
    assert np.isfinite(a.grad.numpy()).all()


def test_cdist_memory_is_bounded_by_blocks():
    # 1500 x 1500 points of 64 dims: the differences would be 1.15 GB in float64
    import tracemalloc
    rng = np.random.default_rng(14)
    a = tg.tensor(rng.standard_normal((1500, 64)), requires_grad=True)
    tracemalloc.start()
    try:
        y = tg.cdist(a, a, p=1.0)
        y.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y.shape == (1500, 1500) and a.grad.shape == (1500, 64)
    assert peak < 250e6


def _pdist_run(lib, x, p, seed=15):
    t = lib.tensor(x, requires_grad=True)
    y = lib.pdist(t, p)
    g = np.random.default_rng(seed).standard_normal(tuple(y.shape)).astype(x.dtype)
    (y * lib.tensor(g)).sum().backward()
    return [y, t.grad]


@needs_torch
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf")])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rows", [1, 2, 30])  # (torch 2.13 crashes on 0 rows)
def test_pdist_matches_torch_with_zero_distances(p, dtype, rows):
    x = _points((rows, 3), 16, dtype)
    tol = 1e-12 if dtype == "float64" else 1e-5
    _both(lambda lib: _pdist_run(lib, x, p), rtol=tol, atol=tol)


def test_pdist_of_no_rows_and_of_one_row_is_empty():
    for rows in (0, 1):
        x = tg.zeros(rows, 3, requires_grad=True)
        y = tg.pdist(x, 1.5)
        assert y.shape == (0,)
        y.sum().backward()
        assert x.grad.shape == (rows, 3) and not x.grad.numpy().any()


@needs_torch
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_pdist_double_backward_matches_torch_composed(p):
    x = _points((5, 3), 17, repeat=False) + np.arange(5)[:, None] * 0.1  # distinct rows

    def run(lib):
        t = lib.tensor(x, requires_grad=True)
        if lib is tg:
            y = tg.pdist(t, p)
        else:
            first, second = np.triu_indices(5, 1)
            y = (t[first] - t[second]).norm(p, -1)
        (g,) = lib.autograd.grad((y ** 3).sum(), [t], create_graph=True)
        (g ** 2).sum().backward()
        return [y, g, t.grad]
    _both(run, rtol=1e-10, atol=1e-10)
