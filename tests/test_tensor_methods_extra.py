"""Tensor methods added for PyTorch scripts: unfold, the layout queries (stride, storage_offset,
is_contiguous, ...), retains_grad, detach_, the in-place view ops (squeeze_, unsqueeze_, t_,
transpose_), sum_to_size, renorm, put, masked_scatter, new, short/byte/char and the in-place
elementwise ops. Values and gradients against PyTorch (skipped without it) and float64 central
differences (tg.gradcheck, no PyTorch needed); in-place ops keep the tensor object, move its
version and make a graph that saved it refuse to backpropagate, as PyTorch's do."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor

RNG = np.random.default_rng(0)


def _torch():
    return pytest.importorskip("torch")


def _compare(ours, theirs, arrays, rtol=1e-10, atol=1e-12):
    """ours(*leaves) and theirs(*torch leaves) on float64 copies of `arrays`: equal values,
    then equal gradients of every input under a random upstream gradient."""
    torch = _torch()
    leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    torch_leaves = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True)
                    for a in arrays]
    mine, reference = ours(*leaves), theirs(*torch_leaves)
    assert mine.shape == tuple(reference.shape)
    np.testing.assert_allclose(mine._data, reference.detach().numpy(), rtol=rtol, atol=atol)
    upstream = RNG.standard_normal(mine.shape)
    (mine * Tensor(upstream)).sum().backward()
    (reference * torch.tensor(upstream)).sum().backward()
    for position, (leaf, torch_leaf) in enumerate(zip(leaves, torch_leaves)):
        expected = torch_leaf.grad
        got = leaf.grad
        if expected is None:
            assert got is None or not np.any(got._data), f"input {position}"
            continue
        np.testing.assert_allclose(got._data, expected.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {position}")


# ----------------------------------------------------------------- unfold
UNFOLD_CASES = [((7,), 0, 3, 1), ((7,), 0, 2, 3), ((3, 8), 1, 4, 2), ((3, 8), -1, 3, 3),
                ((4, 3, 5), 0, 2, 1), ((4, 3, 5), -2, 3, 2), ((2, 5), 1, 5, 1),
                ((2, 5), 1, 0, 2), ((0, 4), 1, 2, 1), ((), 0, 1, 1), ((), -1, 0, 3)]


@pytest.mark.parametrize("shape, dim, size, step", UNFOLD_CASES)
def test_unfold_matches_pytorch(shape, dim, size, step):
    torch = _torch()
    x = RNG.standard_normal(shape)
    _compare(lambda t: t.unfold(dim, size, step), lambda t: t.unfold(dim, size, step), [x])
    theirs = torch.tensor(x).unfold(dim, size, step)
    if theirs.numel():  # an empty view's strides: see test_strides_of_empty_tensors
        assert Tensor(x).unfold(dim, size, step).stride() == theirs.stride()


def test_unfold_values_by_hand_and_central_differences():
    x = Tensor(np.arange(10.0))
    np.testing.assert_array_equal(x.unfold(0, 4, 3)._data,
                                  [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    assert x.unfold(0, 4, 4).shape == (2, 4)
    np.testing.assert_array_equal(Tensor(np.arange(6.0).reshape(2, 3)).unfold(0, 2, 1)._data,
                                  [[[0, 3], [1, 4], [2, 5]]])
    w = Tensor(RNG.standard_normal((3, 6)), requires_grad=True)
    assert tg.gradcheck(lambda w: (w.unfold(1, 3, 2) ** 2).sum(-1), [w])
    # overlapping windows accumulate: each element's gradient counts its windows
    y = Tensor(np.ones(5), requires_grad=True)
    y.unfold(0, 3, 1).sum().backward()
    np.testing.assert_array_equal(y.grad._data, [1, 2, 3, 2, 1])


def test_unfold_second_derivative_matches_pytorch():
    torch = _torch()
    a = RNG.standard_normal((2, 7))
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (g,) = tg.grad((x.unfold(1, 3, 2) ** 3).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad((t.unfold(1, 3, 2) ** 3).sum(), t, create_graph=True)
    (g * g).sum().backward()
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=1e-10)


def test_unfold_is_a_view_sharing_the_version_counter():
    base = tg.zeros(6)
    windows = base.unfold(0, 2, 2)  # no overlap: writes go through, as PyTorch's
    windows.add_(1)
    np.testing.assert_array_equal(base._data, np.ones(6))
    assert windows.storage_offset() == 0 and base[2:].unfold(0, 2, 2).storage_offset() == 2
    w = Tensor(np.ones((4, 2)), requires_grad=True)
    constant = Tensor(np.arange(5.0))
    product = constant.unfold(0, 2, 1) * w  # Mul saves the view for w's gradient
    constant.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        product.sum().backward()


def test_unfold_overlapping_write_raises_instead_of_copying():
    base = tg.zeros(5)
    with pytest.raises(RuntimeError, match="unfold"):
        base.unfold(0, 3, 1).add_(1)


def test_unfold_errors_name_the_method_and_the_sizes():
    x = tg.zeros(2, 5)
    with pytest.raises(RuntimeError, match=r"unfold: maximum size .* 1 is 5 but size is 6"):
        x.unfold(1, 6, 1)
    with pytest.raises(RuntimeError, match="unfold: step is 0"):
        x.unfold(1, 2, 0)
    with pytest.raises(IndexError, match="unfold"):
        x.unfold(2, 1, 1)
    with pytest.raises(RuntimeError, match="size is 2"):
        Tensor(1.0).unfold(0, 2, 1)


# ----------------------------------------------------------------- layout queries
def _views(lib, x):
    return [x, x.T, x[1:, 2:], x[:, ::2], x.unsqueeze(1), x.T.unsqueeze(1),
            x[:, :1].expand(3, 5), x[0], x[1, 2], x.reshape(2, 6), x.transpose(0, 1)[1:]]


def test_strides_offsets_and_contiguity_match_pytorch():
    torch = _torch()
    a = np.arange(12.0).reshape(3, 4)
    for mine, theirs in zip(_views(tg, Tensor(a)), _views(torch, torch.tensor(a))):
        assert mine.stride() == theirs.stride(), theirs.shape
        assert mine.storage_offset() == theirs.storage_offset(), theirs.shape
        assert mine.is_contiguous() == theirs.is_contiguous(), theirs.shape
        for dim in range(-mine.ndim, mine.ndim):
            assert mine.stride(dim) == theirs.stride(dim)


def test_strides_of_empty_tensors():
    """NumPy 2 gives empty arrays zero strides: stride() reports the row-major ones, PyTorch's
    for a new empty tensor (a view of an empty tensor may differ there)."""
    torch = _torch()
    assert tg.zeros(0, 3).stride() == torch.zeros(0, 3).stride() == (3, 1)
    assert tg.zeros(3, 0, 2).stride() == torch.zeros(3, 0, 2).stride() == (2, 2, 1)
    assert Tensor(1.0).stride() == ()


def test_stride_errors():
    with pytest.raises(IndexError, match=r"stride.*\[-2, 1\], but got 2"):
        tg.zeros(2, 3).stride(2)
    with pytest.raises(IndexError, match="stride"):
        Tensor(1.0).stride(0)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_size_and_kind_queries_match_pytorch(dtype):
    torch = _torch()
    mine = tg.zeros(2, 3, dtype=getattr(tg, dtype))
    theirs = torch.zeros(2, 3, dtype=getattr(torch, dtype))
    assert (mine.nbytes, mine.itemsize) == (theirs.nbytes, theirs.itemsize)
    assert (mine.nelement(), mine.ndimension()) == (theirs.nelement(), theirs.ndimension())
    assert mine.is_signed() == theirs.is_signed()
    assert mine.is_complex() is theirs.is_complex() is False


def test_size_queries_by_hand():
    t = tg.zeros(2, 3, dtype=tg.float64)
    assert (t.nbytes, t.itemsize, t.nelement(), t.ndimension()) == (48, 8, 6, 2)
    assert [tg.zeros(1, dtype=d).is_signed() for d in (tg.bool, tg.uint8, tg.int8)] == \
        [False, False, True]
    assert Tensor(1.0).ndimension() == 0 and tg.zeros(0).nbytes == 0


# ----------------------------------------------------------------- retains_grad, detach_
def test_retains_grad():
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    hidden = leaf * 2
    assert not hidden.retains_grad and not leaf.retains_grad
    hidden.retain_grad()
    leaf.retain_grad()
    assert hidden.retains_grad and not leaf.retains_grad  # a leaf: False, as PyTorch
    assert not (hidden + 1).retains_grad


def test_detach_in_place():
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    hidden = leaf * 3
    out = hidden.detach_()
    assert out is hidden and hidden.is_leaf and not hidden.requires_grad
    assert hidden.grad_fn is None and hidden.tolist() == [3.0, 6.0]
    (hidden * leaf).sum().backward()  # no gradient flows through the detached factor
    np.testing.assert_array_equal(leaf.grad._data, [3.0, 6.0])
    other = Tensor([1.0], requires_grad=True)
    assert other.detach_() is other and not other.requires_grad
    with pytest.raises(RuntimeError, match="Can't detach views in-place.*detach_"):
        (leaf * 1)[0:1].detach_()
    base = tg.zeros(3)
    view = base[1:]
    with pytest.raises(RuntimeError, match="view"):  # PyTorch refuses any view
        view.detach_()
    tg.zeros(3).detach().detach_()  # detach() is not a view


def test_detach_in_place_matches_pytorch():
    torch = _torch()
    x = torch.ones(2, requires_grad=True)
    y = x * 3
    y.detach_()
    ours = Tensor(np.ones(2), requires_grad=True) * 3
    ours.detach_()
    assert (ours.requires_grad, ours.is_leaf) == (y.requires_grad, y.is_leaf)
    with pytest.raises(RuntimeError):
        (x * 1)[0:1].detach_()


# ----------------------------------------------------------------- in-place view ops
VIEW_OPS = [("unsqueeze_", (0,), (3, 1)), ("unsqueeze_", (-1,), (3, 1)),
            ("squeeze_", (), (1, 3, 1)), ("squeeze_", (0,), (1, 3, 1)),
            ("squeeze_", ((0, 2),), (1, 3, 1)), ("squeeze_", (1,), (1, 3, 1)),
            ("t_", (), (2, 3)), ("t_", (), (3,)), ("transpose_", (0, -1), (2, 3, 4)),
            ("transpose_", (0, -1), ()), ("unsqueeze_", (0,), ()), ("t_", (), (0, 2))]


@pytest.mark.parametrize("name, args, shape", VIEW_OPS)
def test_in_place_view_ops_match_pytorch(name, args, shape):
    torch = _torch()
    a, w = RNG.standard_normal(shape), RNG.standard_normal(shape)
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    mine, theirs = x * Tensor(w), t * torch.tensor(w)
    version = mine._version
    assert getattr(mine, name)(*args) is mine
    getattr(theirs, name)(*args)
    assert mine.shape == tuple(theirs.shape)
    assert mine.stride() == theirs.stride() or not theirs.numel()
    assert mine._version == version + 1 == theirs._version
    np.testing.assert_array_equal(mine._data, theirs.detach().numpy())
    upstream = RNG.standard_normal(mine.shape)
    (mine.exp() * Tensor(upstream)).sum().backward()
    (theirs.exp() * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=1e-12)


def test_in_place_view_op_without_grad_shares_memory():
    base = tg.zeros(2, 3)
    alias = base.detach()
    assert alias.t_() is alias and alias.shape == (3, 2)
    alias[0, 1] = 5.0
    assert base[1, 0].item() == 5.0
    assert base._version == alias._version == 2  # t_ then the write: one shared counter


def test_in_place_view_ops_refuse_a_leaf_and_a_saved_tensor():
    torch = _torch()
    leaf = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="unsqueeze_: a leaf Variable that requires grad"):
        leaf.unsqueeze_(0)
    with pytest.raises(RuntimeError, match="leaf"):
        torch.ones(2, requires_grad=True).unsqueeze_(0)
    with tg.no_grad():
        assert leaf.unsqueeze_(0).shape == (1, 2)  # allowed outside the graph
    for name, args in [("unsqueeze_", (0,)), ("t_", ()), ("squeeze_", ()),
                       ("transpose_", (0, 0))]:
        hidden = Tensor([1.0, 2.0], requires_grad=True) * 2
        product = hidden * hidden  # saves hidden
        getattr(hidden, name)(*args)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            product.sum().backward()
        t = torch.ones(2, requires_grad=True) * 2
        torch_product = t * t
        getattr(t, name)(*args)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            torch_product.sum().backward()


def test_retain_grad_follows_an_in_place_view_op():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    hidden = x * 2
    hidden.retain_grad()
    hidden.unsqueeze_(0)
    assert hidden.retains_grad
    (hidden * 3).sum().backward()
    np.testing.assert_array_equal(hidden.grad._data, [[3.0, 3.0, 3.0]])
    np.testing.assert_array_equal(x.grad._data, [6.0, 6.0, 6.0])


def test_t_in_place_error():
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions.*3D"):
        tg.zeros(1, 2, 3).t_()


# ----------------------------------------------------------------- sum_to_size
@pytest.mark.parametrize("shape, size", [((2, 3), (1, 3)), ((2, 3), (3,)), ((2, 3), (2, 1)),
                                         ((4, 2, 3), (2, 1)), ((2, 3), ()), ((0, 3), (1, 3)),
                                         ((2, 1, 3), (1, 1, 1))])
def test_sum_to_size_matches_pytorch(shape, size):
    _compare(lambda t: t.sum_to_size(size), lambda t: t.sum_to_size(size),
             [RNG.standard_normal(shape)])
    if size:
        _compare(lambda t: t.sum_to_size(*size), lambda t: t.sum_to_size(*size),
                 [RNG.standard_normal(shape)])


def test_sum_to_size_by_hand_and_errors():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum_to_size(2, 3) is x
    np.testing.assert_array_equal(x.sum_to_size(1, 3)._data, [[3.0, 5.0, 7.0]])
    np.testing.assert_array_equal(x.sum_to_size(2, 1)._data, [[3.0], [12.0]])
    assert tg.ones(2, 3, dtype=tg.int32).sum_to_size(3).dtype == np.int64  # as PyTorch's sum
    with pytest.raises(RuntimeError, match=r"sum_to_size: size \[3, 3\] is not expandable to "
                                           r"size \[2, 3\]"):
        x.sum_to_size(3, 3)
    with pytest.raises(RuntimeError, match="not expandable"):
        x.sum_to_size(1, 2, 3)


# ----------------------------------------------------------------- in-place elementwise
IN_PLACE = [("sign_", (), "anywhere"), ("reciprocal_", (), "away"), ("floor_", (), "anywhere"),
            ("ceil_", (), "anywhere"), ("round_", (), "anywhere"),
            ("round_", ({"decimals": 1},), "anywhere"), ("trunc_", (), "anywhere"),
            ("frac_", (), "anywhere"), ("fmod_", (1.5,), "anywhere"),
            ("remainder_", (1.5,), "anywhere"), ("fmod_", ("tensor",), "anywhere"),
            ("remainder_", ("tensor",), "anywhere"), ("lerp_", ("tensor", 0.3), "anywhere"),
            ("lerp_", ("tensor", "tensor"), "anywhere"), ("clamp_min_", (0.1,), "anywhere"),
            ("clamp_max_", (0.1,), "anywhere"), ("renorm_", (2, 0, 1.0), "anywhere"),
            ("renorm_", (1, -1, 0.5), "anywhere")]


def _args(lib, args, shape):
    kwargs = args[0] if args and isinstance(args[0], dict) else {}
    positional = [] if kwargs else list(args)
    values = []
    for arg in positional:
        if arg == "tensor":
            values.append(lib.tensor(np.abs(RNG.standard_normal(shape)) + 0.5))
        else:
            values.append(arg)
    return values, kwargs


@pytest.mark.parametrize("name, args, domain", IN_PLACE)
def test_in_place_elementwise_matches_pytorch(name, args, domain):
    torch = _torch()
    shape = (3, 4)
    a = RNG.uniform(-3, 3, shape)
    if domain == "away":
        a = np.sign(a) * (np.abs(a) + 0.5)
    state = RNG.bit_generator.state
    mine_args, kwargs = _args(tg, args, shape)
    RNG.bit_generator.state = state
    torch_args, _ = _args(torch, args, shape)
    # no graph: written into the same object, the version moves on
    mine, theirs = Tensor(a.copy()), torch.tensor(a.copy())
    assert getattr(mine, name)(*mine_args, **kwargs) is mine
    getattr(theirs, name)(*torch_args, **kwargs)
    np.testing.assert_allclose(mine._data, theirs.numpy(), rtol=1e-12, atol=1e-15)
    assert mine._version == theirs._version == 1
    # recorded on a non-leaf: the gradient through it is PyTorch's
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    hidden, torch_hidden = x * 1.5, t * 1.5
    getattr(hidden, name)(*mine_args, **kwargs)
    getattr(torch_hidden, name)(*torch_args, **kwargs)
    np.testing.assert_allclose(hidden._data, torch_hidden.detach().numpy(), rtol=1e-12)
    upstream = RNG.standard_normal(shape)
    (hidden * Tensor(upstream)).sum().backward()
    (torch_hidden * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=1e-9, atol=1e-12)
    # a graph that saved the tensor refuses to backpropagate after the change, as PyTorch's
    constant, torch_constant = Tensor(a.copy()), torch.tensor(a.copy())
    product, torch_product = constant * x, torch_constant * t  # Mul saves the constant
    getattr(constant, name)(*mine_args, **kwargs)
    getattr(torch_constant, name)(*torch_args, **kwargs)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        product.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch_product.sum().backward()
    # a leaf that requires grad is refused
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(Tensor(a, requires_grad=True), name)(*mine_args, **kwargs)


def test_in_place_elementwise_by_hand():
    x = Tensor([-2.5, -0.4, 0.0, 1.5, 2.5])
    assert x.clone().sign_().tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    assert x.clone().floor_().tolist() == [-3.0, -1.0, 0.0, 1.0, 2.0]
    assert x.clone().ceil_().tolist() == [-2.0, -0.0, 0.0, 2.0, 3.0]
    assert x.clone().round_().tolist() == [-2.0, -0.0, 0.0, 2.0, 2.0]  # half to even
    assert x.clone().trunc_().tolist() == [-2.0, -0.0, 0.0, 1.0, 2.0]
    assert x.clone().frac_().tolist() == [-0.5, -0.4000000059604645, 0.0, 0.5, 0.5]
    assert Tensor([-5.0, 5.0]).fmod_(3).tolist() == [-2.0, 2.0]
    assert Tensor([-5.0, 5.0]).remainder_(3).tolist() == [1.0, 2.0]
    y = Tensor([-5.0])
    alias = y
    y %= 3  # in place, as PyTorch's __imod__
    assert y is alias and y.tolist() == [1.0]
    assert Tensor([0.0, 4.0]).lerp_(Tensor([2.0, 0.0]), 0.25).tolist() == [0.5, 3.0]
    assert Tensor([2.0, 4.0]).reciprocal_().tolist() == [0.5, 0.25]
    assert Tensor([1.25], dtype=np.float64).round_(decimals=1).tolist() == [1.2]
    assert Tensor(np.array([-3, 3])).sign_().tolist() == [-1, 1]  # integers stay integers


def test_in_place_results_that_do_not_fit_the_dtype_raise_like_pytorch():
    torch = _torch()
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.tensor([1, 2]).reciprocal_()
    with pytest.raises(TypeError, match="int64"):  # PyTorch's is a RuntimeError
        Tensor(np.array([1, 2])).reciprocal_()
    with pytest.raises(TypeError, match="int64"):
        Tensor(np.array([5])).fmod_(2.5)


def test_logical_not_in_place():
    torch = _torch()
    x = Tensor([0.0, 2.0, -1.0])
    assert x.logical_not_() is x and x.dtype == np.float32 and x.tolist() == [1.0, 0.0, 0.0]
    assert x._version == 1
    assert Tensor(np.array([True, False])).logical_not_().tolist() == [False, True]
    # not differentiable: the values change, the graph (and so the gradient) is the old op's
    leaf, torch_leaf = Tensor([1.0, 0.0], requires_grad=True), torch.tensor(
        [1.0, 0.0], requires_grad=True)
    hidden, torch_hidden = leaf * 2, torch_leaf * 2
    hidden.logical_not_()
    torch_hidden.logical_not_()
    assert type(hidden.grad_fn).__name__ == "Mul" and hidden.requires_grad
    assert type(torch_hidden.grad_fn).__name__ == "MulBackward0"
    np.testing.assert_array_equal(hidden._data, torch_hidden.detach().numpy())
    hidden.sum().backward()
    torch_hidden.sum().backward()
    np.testing.assert_array_equal(leaf.grad._data, torch_leaf.grad.numpy())
    # a leaf that requires grad is overwritten and stays a leaf, as PyTorch's
    mine, theirs = Tensor([1.0], requires_grad=True), torch.tensor([1.0], requires_grad=True)
    assert mine.logical_not_().tolist() == theirs.logical_not_().tolist() == [0.0]
    assert mine.is_leaf and theirs.is_leaf


# ----------------------------------------------------------------- renorm
@pytest.mark.parametrize("p, dim, maxnorm", [(2, 0, 1.0), (2, 1, 1.5), (1, -1, 2.0),
                                             (3, 1, 0.8), (2.5, 0, 0.0), (float("inf"), 0, 1.0)])
def test_renorm_matches_pytorch(p, dim, maxnorm):
    a = RNG.standard_normal((3, 4, 2))
    a[1] = 0.01 * a[1]  # one slice below maxnorm
    _compare(lambda t: t.renorm(p, dim, maxnorm), lambda t: t.renorm(p, dim, maxnorm), [a],
             rtol=1e-9)


def test_renorm_by_hand_gradcheck_and_errors():
    x = Tensor([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(x.renorm(2, 0, 1.0)._data, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    zero_row = Tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    zero_row.renorm(2, 0, 1.0).sum().backward()
    assert np.all(np.isfinite(zero_row.grad._data))
    w = Tensor(RNG.standard_normal((3, 4)) * 2, requires_grad=True)
    assert tg.gradcheck(lambda w: w.renorm(2, 1, 1.0), [w])
    with pytest.raises(RuntimeError, match=r"renorm: input needs at least 2 dimensions.*\(3,\)"):
        tg.ones(3).renorm(2, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: non-positive"):
        tg.ones(2, 2).renorm(0, 0, 1.0)
    with pytest.raises(RuntimeError, match="renorm: expected maxnorm to be >= 0"):
        tg.ones(2, 2).renorm(2, 0, -1.0)


# ----------------------------------------------------------------- put
@pytest.mark.parametrize("accumulate", [False, True])
def test_put_matches_pytorch(accumulate):
    torch = _torch()
    index = np.array([[0, 7], [-1, 3]])
    index_t, index_o = torch.tensor(index), Tensor(index)
    a, s = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 2))
    _compare(lambda t, u: t.put(index_o, u, accumulate=accumulate),
             lambda t, u: t.put(index_t, u, accumulate=accumulate), [a, s])
    repeated_t, repeated_o = torch.tensor([1, 1, 5]), Tensor(np.array([1, 1, 5]))
    _compare(lambda t, u: t.put(repeated_o, u, True), lambda t, u: t.put(repeated_t, u, True),
             [a, RNG.standard_normal(3)])
    mine, theirs = Tensor(a.copy()), torch.tensor(a.copy())
    assert mine.put_(index_o, Tensor(s), accumulate) is mine
    theirs.put_(index_t, torch.tensor(s), accumulate)
    np.testing.assert_array_equal(mine._data, theirs.numpy())


def test_put_by_hand_gradcheck_and_errors():
    x = tg.zeros(2, 3)
    x.put_(Tensor(np.array([0, -1])), Tensor([1.0, 2.0]))
    assert x.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    assert tg.zeros(3).put_(Tensor(np.array([1, 1])), Tensor([1.0, 2.0]), accumulate=True
                            ).tolist() == [0.0, 3.0, 0.0]
    w = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    v = Tensor(RNG.standard_normal(2), requires_grad=True)
    index = Tensor(np.array([4, 1]))
    assert tg.gradcheck(lambda w, v: w.put(index, v) * w, [w, v])
    assert tg.gradcheck(lambda w, v: w.put(index, v, accumulate=True) ** 2, [w, v])
    with pytest.raises(RuntimeError, match="put: expected an int64 tensor for index"):
        x.put(Tensor(np.array([1], dtype=np.int32)), Tensor([1.0]))
    with pytest.raises(IndexError, match=r"put: out of range: tried to access index 6 on a "
                                         r"tensor of 6 elements \(shape \(2, 3\)\)"):
        x.put(Tensor(np.array([6])), Tensor([1.0]))
    with pytest.raises(IndexError, match="same number of elements"):
        x.put(Tensor(np.array([1, 2])), Tensor([1.0]))
    with pytest.raises(RuntimeError, match="same dtype"):
        x.put(Tensor(np.array([1])), Tensor(np.array([1.0])))


# ----------------------------------------------------------------- masked_scatter
@pytest.mark.parametrize("shape, mask_shape", [((2, 3), (2, 3)), ((2, 3), (3,)),
                                               ((3,), (2, 3)), ((2, 1), (2, 3)), ((), ())])
def test_masked_scatter_matches_pytorch(shape, mask_shape):
    torch = _torch()
    mask = RNG.random(mask_shape) > 0.4
    a, s = RNG.standard_normal(shape), RNG.standard_normal(10)
    _compare(lambda t, u: t.masked_scatter(Tensor(mask), u),
             lambda t, u: t.masked_scatter(torch.tensor(mask), u), [a, s])


def test_masked_scatter_in_place_matches_pytorch():
    torch = _torch()
    mask = np.array([True, False, True])
    a, s = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4))
    mine, theirs = Tensor(a.copy()), torch.tensor(a.copy())
    assert mine.masked_scatter_(Tensor(mask), Tensor(s)) is mine
    theirs.masked_scatter_(torch.tensor(mask), torch.tensor(s))
    np.testing.assert_array_equal(mine._data, theirs.numpy())
    assert mine._version == theirs._version == 1
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    u, v = Tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
    hidden, torch_hidden = x * 2, t * 2
    hidden.masked_scatter_(Tensor(mask), u)
    torch_hidden.masked_scatter_(torch.tensor(mask), v)
    upstream = RNG.standard_normal((2, 3))
    (hidden * Tensor(upstream)).sum().backward()
    (torch_hidden * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad._data, t.grad.numpy())
    np.testing.assert_allclose(u.grad._data, v.grad.numpy())


def test_masked_scatter_by_hand_gradcheck_and_errors():
    out = tg.zeros(2, 3).masked_scatter(Tensor(np.array([True, False, True])), tg.arange(10.0))
    assert out.tolist() == [[0.0, 0.0, 1.0], [2.0, 0.0, 3.0]]
    w = Tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    s = Tensor(RNG.standard_normal(5), requires_grad=True)
    mask = Tensor(np.array([[True, False, True], [False, True, False]]))
    assert tg.gradcheck(lambda w, s: w.masked_scatter(mask, s) * w, [w, s])
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="masked_scatter: only supports boolean masks"):
        x.masked_scatter(Tensor(np.array([1, 0, 1], dtype=np.uint8)), tg.arange(10.0))
    with pytest.raises(RuntimeError, match=r"number of elements of source \(3, shape \(3,\)\) "
                                           r"< number of ones in mask \(4\)"):
        x.masked_scatter(Tensor(np.array([True, False, True])), tg.arange(3.0))
    with pytest.raises(RuntimeError, match="same dtype"):
        x.masked_scatter(Tensor(np.array([True, False, True])), tg.arange(10))
    with pytest.raises(RuntimeError, match=r"masked_scatter_: mask of shape \(2, 3\) does not "
                                           r"broadcast to self's shape \(3,\)"):
        tg.zeros(3).masked_scatter_(Tensor([[True, False, True]] * 2), tg.arange(10.0))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        x.masked_scatter(Tensor(np.array([True, False])), tg.arange(10.0))


# ----------------------------------------------------------------- new, short, byte, char
def test_new_matches_pytorch():
    torch = _torch()
    for lib in (tg, torch):
        base = lib.ones(2, dtype=lib.float64)
        data = base.new([1, 2])
        assert data.dtype == base.dtype and data.tolist() == [1.0, 2.0]
        assert base.new(2, 3).shape == (2, 3) and base.new(2, 3).dtype == base.dtype
        assert base.new().shape == (0,)
        assert base.new(lib.Size([2, 3])).shape == (2, 3)
        assert base.new((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data
        with pytest.raises(TypeError):
            base.new(lib.tensor([1, 2]))  # a tensor of another dtype


def test_integer_conversions_match_pytorch():
    torch = _torch()
    values = [-1.7, 0.2, 3.9, 130.0]
    for name in ("short", "byte", "char"):
        mine = getattr(Tensor(values), name)()
        theirs = getattr(torch.tensor(values), name)()
        assert str(mine.dtype) == str(theirs.dtype)
    assert Tensor([1.7, -2.2]).short().tolist() == [1, -2]
    assert Tensor([1.7]).byte().dtype == np.uint8 and Tensor([1.7]).char().dtype == np.int8
    x = Tensor([1.5], requires_grad=True)
    assert not x.short().requires_grad


_IN_PLACE_FORMS = {  # name_: the arguments after self
    **{name: () for name in (
        "sin cos tan square log1p expm1 rsqrt erf erfc atan asin acos sinh cosh asinh atanh "
        "arctan arcsin arccos arcsinh arctanh sgn exp2 log2 log10 nan_to_num logit sinc "
        "negative absolute").split()},
    "tril": (0,), "triu": (0,), "cumsum": (1,), "cumprod": (0,), "hypot": (Tensor(2.0),),
    "atan2": (Tensor(2.0),), "true_divide": (4.0,), "multiply": (3.0,), "subtract": (1.0,),
    "divide": (2.0,), "xlogy": (3.0,),
}
_BASE = {"negative": "neg", "absolute": "abs"}


@pytest.mark.parametrize("name", sorted(_IN_PLACE_FORMS))
def test_in_place_forms_equal_their_op_and_move_the_version(name):
    values = np.array([[0.3, 0.6], [0.2, 0.9]], np.float32)
    args = _IN_PLACE_FORMS[name]
    expected = getattr(Tensor(values.copy()), _BASE.get(name, name))(*args).numpy()
    x = Tensor(values.copy())
    version = x._version
    assert getattr(x, name + "_")(*args) is x
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)
    assert x.dtype == np.float32 and x._version > version


def test_an_in_place_form_on_a_graph_tensor_is_recorded():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 1
    y.sin_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos([1.0, 2.0]))
    z = Tensor(np.array([np.nan, 1.0, np.inf]))
    z.nan_to_num_(nan=5.0, posinf=7.0)
    np.testing.assert_array_equal(z.numpy(), [5.0, 1.0, 7.0])


@pytest.mark.parametrize("method, dtype", [("float", np.float32), ("double", np.float64),
                                           ("half", np.float16), ("long", np.int64),
                                           ("int", np.int32), ("bool", np.bool_)])
def test_a_conversion_to_the_same_dtype_returns_the_tensor_itself_as_pytorch(method, dtype):
    x = Tensor(np.ones(3, dtype))
    assert getattr(x, method)() is x  # so y = x.float(); y.add_(1) changes x, as in PyTorch
    other = np.float64 if dtype != np.float64 else np.float32
    converted = getattr(Tensor(np.ones(3, other)), method)()
    assert converted.dtype == dtype


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@pytest.mark.parametrize("reduce, expected", [
    ("add", [[3, 1, 1, 3], [1, 3, 1, 1], [1, 1, 3, 1]]),
    ("multiply", [[2, 1, 1, 2], [1, 2, 1, 1], [1, 1, 2, 1]]),
])
def test_scatter_with_pytorchs_older_reduce_argument(reduce, expected):
    index = Tensor(np.array([[0, 1, 2, 0]]))
    x = tg.ones(3, 4)
    assert x.scatter_(0, index, tg.full((1, 4), 2.0), reduce=reduce) is x
    np.testing.assert_array_equal(x.numpy(), expected)
    from_number = tg.ones(3, 4).scatter(0, index, 2.0, reduce=reduce)
    np.testing.assert_array_equal(from_number.numpy(), expected)
    with pytest.raises(ValueError, match="reduce must be 'add' or 'multiply'"):
        tg.ones(3, 4).scatter(0, index, 2.0, reduce="mean")


def test_var_mean_and_std_mean_take_unbiased_as_pytorch():
    x = Tensor(np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 1.0]]))
    values = x.numpy()
    variance, mean = tg.var_mean(x, 1, unbiased=False)
    np.testing.assert_allclose(variance.numpy(), values.var(axis=1))
    np.testing.assert_allclose(mean.numpy(), values.mean(axis=1))
    positional, _ = tg.var_mean(x, 1, False)
    np.testing.assert_allclose(positional.numpy(), values.var(axis=1))
    spread, centre = tg.std_mean(x, dim=1, unbiased=True, keepdim=True)
    np.testing.assert_allclose(spread.numpy(), values.std(axis=1, ddof=1, keepdims=True))
    assert centre.shape == (2, 1)
    np.testing.assert_allclose(tg.var_mean(x, 1, correction=0)[0].numpy(), values.var(axis=1))


def test_var_and_std_read_a_bool_second_argument_as_unbiased():
    x = Tensor(np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 1.0]]))
    values = x.numpy()
    np.testing.assert_allclose(tg.var_mean(x, False)[0].item(), values.var())
    np.testing.assert_allclose(tg.std(x, True).item(), values.std(ddof=1))
    np.testing.assert_allclose(x.var(False).item(), values.var())
    np.testing.assert_allclose(tg.std_mean(x, True)[1].item(), values.mean())
