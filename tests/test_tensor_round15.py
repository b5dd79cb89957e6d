"""Round 15: what tensors accept as PyTorch 2.13 does: setitem and copy_ take tensors and
numbers (a list, tuple or NumPy array is a TypeError naming its type), the index ops take
index and source tensors only; as_strided_, as_strided_scatter and torch's in-place
function names; the values and gradients at edge points (hypot, i1/i1e, polygamma, ldexp,
igamma/igammac, zeta).

Each test runs on tinygrad_np and, where it is installed, on torch, with PyTorch's values
written out (so the tests also run, and can fail, without torch)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None


def _lib(name: str):
    return torch if name == "torch" else tg


LIBS = ["tg"] + (["torch"] if torch is not None else [])
inf, nan = math.inf, math.nan


# ------------------------------------------------------------------ setitem's values
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("value, name", [([1.0, 2, 3, 4], "list"), ((1.0, 2, 3, 4), "tuple"),
                                         (np.arange(4.0), "numpy.ndarray"),
                                         (np.array(2.0), "numpy.ndarray"),
                                         (None, "NoneType"), ("a", "str"),
                                         (np.bool_(True), "numpy.bool"),
                                         (np.float32(2), "numpy.float32")])
def test_setitem_refuses_non_tensors_naming_the_type(lib, value, name):
    t = _lib(lib)
    x = t.zeros(3, 4)
    with pytest.raises(TypeError, match=f"can't assign a {name} to a torch.FloatTensor"):
        x[0] = value
    assert x.sum().item() == 0  # nothing written


@pytest.mark.parametrize("lib", LIBS)
def test_setitem_takes_numbers_and_tensors(lib):
    t = _lib(lib)
    x = t.zeros(3, 4)
    x[0] = 1.5
    x[1] = np.float64(2)
    x[2, :2] = np.int64(3)
    x[2, 2:] = t.tensor([4.0, 5.0])
    x[[0, 1], 3] = True  # a list as the index is fine
    x[:, 0] = t.tensor(7.0)
    assert x.tolist() == [[7.0, 1.5, 1.5, 1.0], [7.0, 2.0, 2.0, 1.0], [7.0, 3.0, 4.0, 5.0]]
    i = t.zeros(2, dtype=t.int64)
    i[0] = np.int64(5)
    i[1] = np.uint8(3)
    assert i.tolist() == [5, 3]


def test_setitem_tuple_message_names_the_type():
    x = tg.zeros(3, 4)
    with pytest.raises(TypeError, match="can't assign a tuple to a torch.FloatTensor"):
        x[0, :2] = (7, 8)
    with pytest.raises(TypeError, match="to a torch.LongTensor"):
        tg.zeros(2, dtype=tg.int64)[0] = [1]


# ---------------------------------------------------------------------- copy_'s source
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("src, name", [(np.ones((3, 4)), "numpy.ndarray"),
                                       ([1.0, 2, 3, 4], "list"), (None, "NoneType"),
                                       (np.array(1.0), "numpy.ndarray"), ("a", "str")])
def test_copy_refuses_non_tensors(lib, src, name):
    t = _lib(lib)
    x = t.zeros(3, 4)
    with pytest.raises(TypeError, match=f"copy_\\(\\): argument 'other' .*must be Tensor, "
                                        f"not {name}"):
        x.copy_(src)
    assert x.sum().item() == 0


@pytest.mark.parametrize("lib", LIBS)
def test_copy_takes_numbers_and_tensors(lib):
    t = _lib(lib)
    x = t.zeros(2, 2)
    assert x.copy_(1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert x.copy_(np.float32(2)).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert x.copy_(True).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert x.copy_(np.bool_(False)).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert x.copy_(t.tensor([3.0, 4.0])).tolist() == [[3.0, 4.0], [3.0, 4.0]]


def test_library_writes_of_arrays_still_work():
    """nn.init, batch norm's running statistics and load_state_dict wrote NumPy arrays with
    copy_: they keep working now that copy_ refuses arrays."""
    tg.manual_seed(0)
    layer = tg.nn.Linear(3, 2)
    tg.nn.init.orthogonal_(layer.weight)
    w = layer.weight.detach().numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(2), atol=1e-6)
    norm = tg.nn.BatchNorm1d(2, momentum=0.5)
    norm(tg.tensor([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(norm.running_mean.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(norm.running_var.numpy(), [1.5, 4.5])
    instance = tg.nn.InstanceNorm1d(2, track_running_stats=True, momentum=1.0)
    instance(tg.tensor([[[1.0, 3.0], [2.0, 2.0]]]))
    np.testing.assert_allclose(instance.running_mean.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(instance.running_var.numpy(), [2.0, 0.0])
    other = tg.nn.Linear(3, 2)
    other.load_state_dict({"weight": np.full((2, 3), 0.25, np.float32),
                           "bias": np.zeros(2, np.float32)})
    assert other.weight.tolist() == [[0.25] * 3] * 2


# ----------------------------------------------------------- the index ops' arguments
def _index_calls(t):
    x = t.zeros(3, 4)
    i2 = t.tensor([[0, 1]])
    i1 = t.tensor([0, 1])
    src = t.ones(1, 2)
    rows = t.ones(2, 4)
    return [
        ("take", "index", lambda: t.take(x, [0, 1])),
        ("take", "index", lambda: x.take((0, 1))),
        ("gather", "index", lambda: t.gather(x, 0, [[0, 1]])),
        ("gather", "index", lambda: x.gather(0, np.array([[0, 1]]))),
        ("take_along_dim", "indices", lambda: t.take_along_dim(x, [[0, 1]], 0)),
        ("index_select", "index", lambda: t.index_select(x, 0, [0, 1])),
        ("index_select", "index", lambda: x.index_select(0, np.array([0, 1]))),
        ("index_add", "index", lambda: x.index_add(0, [0, 1], rows)),
        ("index_add_", "index", lambda: x.index_add_(0, [0, 1], rows)),
        ("index_add", "source", lambda: x.index_add(0, i1, [[1.0] * 4] * 2)),
        ("index_add", "source", lambda: x.index_add(0, i1, 1.0)),
        ("index_copy", "index", lambda: x.index_copy(0, [0, 1], rows)),
        ("index_copy_", "index", lambda: x.index_copy_(0, [0, 1], rows)),
        ("index_copy", "source", lambda: x.index_copy(0, i1, 1.0)),
        ("index_fill", "index", lambda: x.index_fill(0, [0], 1.0)),
        ("index_fill_", "index", lambda: x.index_fill_(0, np.array([0]), 1.0)),
        ("scatter", "index", lambda: t.scatter(x, 0, [[0, 1]], src)),
        ("scatter_", "index", lambda: x.scatter_(0, [[0, 1]], 1.0)),
        ("scatter", "src", lambda: t.scatter(x, 0, i2, [[1.0, 2.0]])),
        ("scatter_add", "index", lambda: t.scatter_add(x, 0, [[0, 1]], src)),
        ("scatter_add_", "index", lambda: x.scatter_add_(0, [[0, 1]], src)),
        ("scatter_add", "src", lambda: t.scatter_add(x, 0, i2, 1.0)),
        ("scatter_add", "src", lambda: t.scatter_add(x, 0, i2, np.ones((1, 2)))),
        ("scatter_reduce", "index", lambda: t.scatter_reduce(x, 0, [[0, 1]], src, "sum")),
        ("scatter_reduce_", "index", lambda: x.scatter_reduce_(0, [[0, 1]], src, "sum")),
        ("scatter_reduce", "src", lambda: t.scatter_reduce(x, 0, i2, [[1.0, 2.0]], "sum")),
        ("index_reduce", "index", lambda: x.index_reduce(0, [0, 1], rows, "prod")),
        ("index_reduce", "source", lambda: x.index_reduce(0, i1, [[1.0] * 4] * 2, "prod")),
        ("put_", "index", lambda: x.put_([0, 1], t.ones(2))),
        ("put", "index", lambda: t.put(x, [0, 1], t.ones(2))),
        ("put_", "source", lambda: x.put_(i1, [1.0, 2.0])),
        ("index_put_", "values", lambda: x.index_put_((i1,), [1.0, 2, 3, 4])),
        ("index_put_", "values", lambda: x.index_put_((i1,), 1.0)),
        ("select_scatter", "src", lambda: t.select_scatter(x, [1.0, 2, 3, 4], 0, 0)),
        ("slice_scatter", "src", lambda: t.slice_scatter(x, [[1.0, 2, 3, 4]], 0, 0, 1)),
    ]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", range(len(_index_calls(tg))))
def test_index_ops_refuse_lists_arrays_and_numbers(lib, case):
    t = _lib(lib)
    op, argument, call = _index_calls(t)[case]
    with pytest.raises(TypeError, match=f"{op}\\(\\)") as error:
        call()
    if lib == "tg" or "invalid combination" not in str(error.value):  # (torch's overloads)
        assert f"'{argument}'" in str(error.value) and "must be Tensor, not " in str(error.value)


@pytest.mark.parametrize("lib", LIBS)
def test_index_put_refuses_a_list_as_an_index(lib):
    t = _lib(lib)
    x = t.zeros(3, 4)
    with pytest.raises(TypeError, match="expected Tensor as element 0"):
        x.index_put_(([0, 1],), t.tensor(1.0))
    x.index_put_([t.tensor([0, 1])], t.tensor(1.0))  # a list of tensors is fine
    assert x.sum().item() == 8


@pytest.mark.parametrize("lib", LIBS)
def test_index_ops_with_tensors_keep_working(lib):
    t = _lib(lib)
    x = t.arange(12.0).reshape(3, 4)
    i = t.tensor([2, 0])
    assert t.take(x, i).tolist() == [2.0, 0.0]
    assert x.gather(1, t.tensor([[3], [0], [1]])).tolist() == [[3.0], [4.0], [9.0]]
    assert x.index_select(0, i).tolist() == [[8.0, 9, 10, 11], [0, 1, 2, 3]]
    assert x.scatter(0, t.tensor([[1]]), 5.0)[1, 0].item() == 5.0
    assert x.index_add(0, i, t.ones(2, 4))[2].tolist() == [9.0, 10, 11, 12]
    # the library's own callers (sort-based ops, statistics, nn) pass arrays internally
    assert x.median(dim=1).values.tolist() == [1.0, 5.0, 9.0]
    assert x.kthvalue(2, dim=1).values.tolist() == [1.0, 5.0, 9.0]
    assert t.quantile(x, 0.5, dim=1).tolist() == [1.5, 5.5, 9.5]
    assert x.nanmedian(dim=0).values.tolist() == [4.0, 5.0, 6.0, 7.0]
    assert x.repeat_interleave(2, dim=0).shape == (6, 4)
    assert x.roll(1, 1)[0].tolist() == [3.0, 0.0, 1.0, 2.0]
    padded = t.nn.functional.pad(x[None], (1, 1), mode="reflect")
    assert padded[0, 0].tolist() == [1.0, 0.0, 1.0, 2.0, 3.0, 2.0]
    up = t.nn.functional.interpolate(x[None], scale_factor=2, mode="nearest")
    assert up[0, 0].tolist() == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    loss = t.nn.functional.multi_margin_loss(x, t.tensor([3, 0, 1]))
    assert loss.item() == pytest.approx((0 + 9 / 4 + 5 / 4) / 3)  # sum of hinges / C, mean


# ------------------------------------------------------ as_strided_, as_strided_scatter
@pytest.mark.parametrize("lib", LIBS)
def test_as_strided_scatter_values_and_gradients(lib):
    t = _lib(lib)
    x = t.arange(6.0, dtype=t.float64).reshape(2, 3).requires_grad_()
    src = t.tensor([[7.0, 8.0], [9.0, 10.0]], dtype=t.float64, requires_grad=True)
    out = t.as_strided_scatter(x, src, (2, 2), (1, 2), 1)
    assert out.tolist() == [[0.0, 7.0, 9.0], [8.0, 10.0, 5.0]]
    out.backward(t.arange(6.0, dtype=t.float64).reshape(2, 3))
    assert src.grad.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    if lib == "tg":  # only where input was not overwritten (PyTorch 2.13's formula gives the
        assert x.grad.tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 5.0]]  # complement instead)
    assert x.as_strided_scatter(src.detach(), (2, 2), (1, 2), 1).tolist() == out.tolist()


@pytest.mark.parametrize("lib", LIBS)
def test_as_strided_in_place(lib):
    t = _lib(lib)
    y = t.arange(6.0)
    assert y.as_strided_((2, 2), (1, 2), 1) is y
    assert y.shape == (2, 2) and y.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    z = t.arange(4.0)
    assert t.as_strided_(z, (2,), (2,)) is z and z.tolist() == [0.0, 2.0]


def test_as_strided_scatter_refuses_a_wrong_src():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"as_strided_scatter: expected src to have the "
                                            r"shape \(2, 2\)"):
        tg.as_strided_scatter(x, tg.ones(3), (2, 2), (1, 2), 1)
    with pytest.raises(TypeError, match="'src' must be Tensor, not list"):
        tg.as_strided_scatter(x, [[1.0, 2.0]] * 2, (2, 2), (1, 2))


def test_torch_in_place_names_are_all_there():
    """Every public torch.<name>_ is here but resize_as_sparse_ (no sparse tensors)."""
    if torch is not None:
        names = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_")}
        assert {n for n in names if not hasattr(tg, n)} == {"resize_as_sparse_"}
    for name in ("alpha_dropout_", "feature_alpha_dropout_", "dropout_", "feature_dropout_",
                 "embedding_renorm_", "conj_physical_", "as_strided_", "as_strided_scatter"):
        assert callable(getattr(tg, name))


@pytest.mark.parametrize("lib", LIBS)
def test_dropout_functions_in_place(lib):
    t = _lib(lib)
    for function in (t.alpha_dropout_, t.feature_alpha_dropout_, t.dropout_, t.feature_dropout_):
        x = t.ones(4, 3, 5)
        assert function(x, 0.5, False) is x and x.tolist() == t.ones(4, 3, 5).tolist()
        t.manual_seed(0)
        assert function(x, 0.5, True) is x
        assert (x != 1).any().item()  # written in place
    x = t.ones(50, 8, 2)
    t.feature_dropout_(x, 0.5, True)  # whole (sample, channel) planes: 0 or 2
    planes = x.reshape(400, 2)
    assert ((planes == 0).all(1) | (planes == 2).all(1)).all().item()
    x = t.ones(2000)
    t.alpha_dropout_(x, 0.5, True)  # kept ones scaled, dropped ones at a x' + b
    assert sorted({round(v, 4) for v in x.tolist()}) == [-0.7792, 1.6656]


@pytest.mark.parametrize("lib", LIBS)
def test_embedding_renorm_(lib):
    t = _lib(lib)
    w = t.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]], dtype=t.float64)
    assert t.embedding_renorm_(w, t.tensor([0, 1, 3]), 1.0, 2.0) is w
    np.testing.assert_allclose(w.norm(dim=1).tolist(), [1.0, 0.5, 10.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(w[0].tolist(), [0.6, 0.8], rtol=1e-6)
    with pytest.raises(TypeError):
        t.embedding_renorm_(w, [0, 1], 1.0, 2.0)


@pytest.mark.parametrize("lib", LIBS)
def test_conj_physical_in_place_of_a_real_tensor(lib):
    t = _lib(lib)
    x = t.tensor([1.0, -2.0])
    assert t.conj_physical_(x) is x and x.tolist() == [1.0, -2.0]


# ------------------------------------------------------------- edge-point gradients
def _grad(t, f, values, dtype):
    x = t.tensor(values, dtype=dtype, requires_grad=True)
    y = f(x)
    y.backward(t.ones_like(y))
    return y.tolist(), x.grad.tolist()


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hypot_gradient_at_tiny_and_zero(lib, dtype):
    t = _lib(lib)
    a = t.tensor([1e-45, 0.0, 0.0, 3.0], dtype=getattr(t, dtype), requires_grad=True)
    b = t.tensor([0.0, 0.0, 1e-45, 4.0], dtype=getattr(t, dtype), requires_grad=True)
    t.hypot(a, b).sum().backward()
    ga, gb = a.grad.tolist(), b.grad.tolist()
    assert ga[0] == 1.0 and gb[0] == 0.0  # (1e-45 is subnormal in float32, normal in float64)
    assert math.isnan(ga[1]) and math.isnan(gb[1])  # 0 / 0, as PyTorch
    assert ga[2] == 0.0 and gb[2] == 1.0
    np.testing.assert_allclose([ga[3], gb[3]], [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["i1", "i1e"])
def test_i1_gradient_is_one_half_near_zero_and_at_nan(lib, dtype, name):
    t = _lib(lib)
    f = getattr(t.special, name)
    _, grads = _grad(t, f, [1e-45, 1e-310, nan, 0.0, -0.0, 1e-20], getattr(t, dtype))
    assert grads == [0.5] * 6
    _, grads = _grad(t, f, [1.0, -1.0], t.float64)
    expected = [0.700906773759523, 0.700906773759523] if name == "i1" else \
        [0.049938776894223436, 0.049938776894223436]
    np.testing.assert_allclose(grads, expected, rtol=1e-12)


def test_i1_second_derivative_at_zero_is_zero():
    x = tg.tensor([0.0, 1e-300], dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(tg.special.i1(x).sum(), x, create_graph=True)
    (gg,) = tg.autograd.grad(g.sum(), x)
    assert g.tolist() == [0.5, 0.5] and gg.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("lib", LIBS)
def test_i0e_gradient_keeps_the_sign_at_tiny_values(lib):
    t = _lib(lib)
    _, grads = _grad(t, t.special.i0e, [1e-300, -1e-300, 0.0], t.float64)
    assert grads == [-1.0, 1.0, 0.0]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_polygamma_at_infinities(lib, dtype):
    t = _lib(lib)
    x = t.tensor([-inf, inf], dtype=getattr(t, dtype))
    assert [repr(v) for v in t.polygamma(1, x).tolist()] == ["nan", "0.0"]
    for n, low in ((2, -inf), (3, inf), (4, -inf), (5, inf)):
        values = t.polygamma(n, x).tolist()
        assert values[0] == low and math.isnan(values[1]), (n, values)
    values, grads = _grad(t, lambda v: t.polygamma(2, v), [-inf, inf], getattr(t, dtype))
    assert values[0] == -inf and math.isnan(values[1])
    assert grads[0] == inf and math.isnan(grads[1])


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ldexp_zero_times_an_overflowing_power_is_nan(lib, dtype):
    t = _lib(lib)
    x = t.tensor([0.0, inf, -inf, 1.0, 3.0, 0.0, inf], dtype=getattr(t, dtype))
    e = t.tensor([1e30, -1e30, -1e30, 1e30, -1e30, -5.0, 5.0], dtype=getattr(t, dtype))
    assert [repr(v) for v in t.ldexp(x, e).tolist()] == [
        "nan", "nan", "nan", "inf", "0.0", "0.0", "inf"]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_igamma_edges_with_nan(lib, dtype):
    t = _lib(lib)
    a = t.tensor([inf, nan, inf, inf, 1.0, nan, 2.0], dtype=getattr(t, dtype))
    x = t.tensor([nan, 0.0, -1.0, inf, nan, 1.0, 0.0], dtype=getattr(t, dtype))
    assert [repr(v) for v in t.igamma(a, x).tolist()] == [
        "0.0", "0.0", "nan", "nan", "nan", "nan", "0.0"]
    assert [repr(v) for v in t.igammac(a, x).tolist()] == [
        "1.0", "1.0", "nan", "nan", "nan", "nan", "1.0"]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zeta_at_a_pole_with_nan(lib, dtype):
    t = _lib(lib)
    x = t.tensor([nan, nan, nan, 0.5, 2.0, nan], dtype=getattr(t, dtype))
    q = t.tensor([-1.0, 0.0, -0.0, -1.0, -1.0, 1.0], dtype=getattr(t, dtype))
    assert [repr(v) for v in t.special.zeta(x, q).tolist()] == [
        "inf", "inf", "inf", "nan", "inf", "nan"]


# ------------------------------------------------- views made under no_grad keep requires_grad
VIEWS = {
    "x[0]": lambda x: x[0], "x[:, 1]": lambda x: x[:, 1], "view": lambda x: x.view(12),
    "reshape": lambda x: x.reshape(12), "t": lambda x: x.t(), "narrow": lambda x: x.narrow(0, 0, 1),
    "select": lambda x: x.select(0, 1), "unsqueeze": lambda x: x.unsqueeze(0),
    "x[None]": lambda x: x[None], "unbind": lambda x: x.unbind(0)[0],
    "split": lambda x: x.split(1)[0], "permute": lambda x: x.permute(1, 0),
    "diagonal": lambda x: x.diagonal(), "unfold": lambda x: x.unfold(1, 2, 1),
    "expand": lambda x: x[0].expand(2, 4),
}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name", VIEWS)
def test_a_view_made_under_no_grad_requires_grad(lib, name):
    t = _lib(lib)
    x = t.ones(3, 4, requires_grad=True)
    with t.no_grad():
        v = VIEWS[name](x)
        w = v[..., :1]  # a view of that view too
    assert (v.requires_grad, v.grad_fn, v.is_leaf) == (True, None, True)
    assert (w.requires_grad, w.grad_fn) == (True, None)
    assert (v * 2).requires_grad  # a graph starts at it
    with t.no_grad():
        copies = (x[[0, 1]], x * 2, x.detach(), x.clone())
    assert [c.requires_grad for c in copies] == [False] * 4  # not views: no grad
    with t.no_grad():
        assert VIEWS[name](t.ones(3, 4)).requires_grad is False


@pytest.mark.parametrize("lib", LIBS)
def test_a_no_grad_view_is_written_only_under_no_grad(lib):
    t = _lib(lib)
    x = t.ones(3, 4, requires_grad=True)
    with t.no_grad():
        v = x[0]
    (v * 2).sum().backward()  # runs; nothing reaches x
    assert x.grad is None
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v.add_(1)
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v[0] = 5.0
    with t.no_grad():
        v.add_(1)
        v[0] = 5.0
    assert x[0].tolist() == [5.0, 2.0, 2.0, 2.0] and x.grad_fn is None
    y = x * 2
    with t.no_grad():
        u = y[1]
    y[0].mul_(2)  # a recorded write into the base leaves the no-grad view out of the graph
    y.sum().backward()
    assert x.grad.tolist() == [[4.0] * 4, [2.0] * 4, [2.0] * 4]
    if lib == "tg":  # (PyTorch raises on reading u.grad_fn now; here it stays None)
        assert u.grad_fn is None and u.requires_grad


@pytest.mark.parametrize("lib", LIBS)
def test_ldexp_broadcast_and_integer_exponents_keep_zero(lib):
    t = _lib(lib)
    out = t.ldexp(t.tensor([[0.0], [1.0], [inf]]), t.tensor([1e30, -1e30, 3.0]))
    assert [[repr(v) for v in row] for row in out.tolist()] == [
        ["nan", "0.0", "0.0"], ["inf", "0.0", "8.0"], ["inf", "nan", "inf"]]
    # an integer exponent: 0 stays 0 and inf stays inf, as PyTorch
    assert t.ldexp(t.tensor([0.0]), t.tensor([997], dtype=t.int32)).tolist() == [0.0]
    assert t.ldexp(t.tensor([inf]), t.tensor([-2000])).tolist() == [inf]


@pytest.mark.parametrize("lib", LIBS)
def test_a_complex_number_into_a_real_tensor(lib):
    t = _lib(lib)
    x = t.zeros(3)
    for write in (lambda: x.__setitem__(0, 1 + 2j), lambda: x.fill_(1 + 2j),
                  lambda: x.masked_fill(x == 0, 1 + 2j),
                  lambda: x.scatter(0, t.tensor([0]), 1 + 2j)):
        with pytest.raises(RuntimeError, match="cannot be converted to .*float.* without "
                                               "overflow"):
            write()
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_a_complex_number_without_imaginary_part_is_its_real_part():
    x = tg.zeros(2)
    x[0] = 3 + 0j
    assert x.fill_(2 + 0j).tolist() == [2.0, 2.0]
