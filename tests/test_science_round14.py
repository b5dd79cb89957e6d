"""Scientific-computing scripts run with only the import changed (session 20): torch.gradient
with coordinates, frexp's named tuple, the solvers' shape errors, small missing names
(uint dtypes, newaxis, as_subclass, torch.signal.windows), distributions on correlation and
covariance matrices, and unique_consecutive's backward."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch")


# ---------------------------------------------------------------- gradient with coordinates

def test_gradient_with_coordinates_matches_the_documented_example():
    # PyTorch 2.13's values for x = [0, 1, 1.5, 3, 4, 6], f = x^2 (the exact derivative 2x
    # inside, where the parabola through three points is exact)
    x = tg.tensor([0.0, 1.0, 1.5, 3.0, 4.0, 6.0])
    (first,) = tg.gradient(x**2, spacing=(x,))
    np.testing.assert_allclose(first.numpy(), [1, 2, 3, 6, 8, 10], rtol=1e-6)
    (second,) = tg.gradient(x**2, spacing=[x], edge_order=2)
    np.testing.assert_allclose(second.numpy(), [0, 2, 3, 6, 8, 12], rtol=1e-6, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("dims", [None, 1, (1, 0), (-1,)])
def test_gradient_with_coordinates_values_and_gradients_against_pytorch(edge_order, dims):
    rng = np.random.default_rng(edge_order)
    values = rng.normal(size=(4, 6))
    coords = {0: np.cumsum(rng.uniform(0.2, 1.5, 4)), 1: np.cumsum(rng.uniform(0.2, 1.5, 6))}
    axes = (0, 1) if dims is None else (dims,) if isinstance(dims, int) else dims
    results = []
    for lib in (tg, torch):
        f = lib.tensor(values, requires_grad=True)
        spacing = [lib.tensor(coords[a % 2], requires_grad=True) for a in axes]
        kwargs = {} if dims is None else {"dim": dims}
        outs = lib.gradient(f, spacing=spacing, edge_order=edge_order, **kwargs)
        weights = [np.arange(o.numel()).reshape(tuple(o.shape)) + 1.0 for o in outs]
        sum(lib.sum(o * lib.tensor(w)) for o, w in zip(outs, weights)).backward()
        results.append(([o.detach().numpy() for o in outs], f.grad.numpy(),
                        [s.grad.numpy() for s in spacing]))
    (ours, our_grad, our_coord_grads), (theirs, their_grad, their_coord_grads) = results
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-12)
    for a, b in zip(our_coord_grads, their_coord_grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_gradient_with_a_zero_dim_tensor_spacing_is_a_number():
    x = tg.tensor([1.0, 4.0, 9.0, 16.0])
    (out,) = tg.gradient(x, spacing=tg.tensor(2.0))
    np.testing.assert_allclose(out.numpy(), [1.5, 2.0, 3.0, 3.5])


@pytest.mark.parametrize("spacing, words", [
    ((tg.ones(2, 3),), "1-d"),
    ((tg.ones(5),), "length 6"),
    ((tg.arange(6.0), 2.0), "mixes"),
])
def test_gradient_coordinate_errors_name_the_op_and_shapes(spacing, words):
    with pytest.raises(tg.TensorError, match=f"gradient.*{words}"):
        tg.gradient(tg.ones(3, 6), spacing=spacing, dim=(1, 0)[:len(spacing)])


def test_gradient_rejects_a_bare_1d_tensor_as_spacing():
    # PyTorch: TypeError (a tensor of several values is neither a number nor a list of them)
    with pytest.raises(RuntimeError, match="gradient"):
        tg.gradient(tg.arange(4.0), spacing=tg.arange(4.0))


# ---------------------------------------------------------------- named result tuples

def test_frexp_returns_a_named_tuple_with_mantissa_and_exponent():
    x = tg.tensor([3.0, 0.5, -10.0], requires_grad=True)
    result = tg.frexp(x)
    assert type(result).__name__ == "frexp" and result._fields == ("mantissa", "exponent")
    np.testing.assert_array_equal(result.mantissa.detach().numpy(), [0.75, 0.5, -0.625])
    np.testing.assert_array_equal(result.exponent.numpy(), [2, 0, 4])
    assert result.exponent.dtype == tg.int32
    result.mantissa.sum().backward()  # d mantissa / dx = 2**-exponent
    np.testing.assert_array_equal(x.grad.numpy(), [0.25, 1.0, 0.0625])
    mantissa, exponent = x.detach().frexp()  # still a pair
    assert mantissa.shape == exponent.shape == (3,)


@needs_torch
def test_histogram_results_are_named_as_pytorch():
    values = np.array([0.1, 0.4, 0.45, 0.9, 0.95, 0.99])
    ours, theirs = tg.histogram(tg.tensor(values), 3), torch.histogram(torch.tensor(values), 3)
    assert type(ours).__name__ == type(theirs).__name__ == "histogram"
    np.testing.assert_array_equal(ours.hist.numpy(), theirs.hist.numpy())
    np.testing.assert_allclose(ours.bin_edges.numpy(), theirs.bin_edges.numpy())
    points = np.array([[0.1, 0.2], [0.5, 0.9]])
    dd = tg.histogramdd(tg.tensor(points), 2)
    assert type(dd).__name__ == type(torch.histogramdd(torch.tensor(points), 2)).__name__
    assert dd.hist.shape == (2, 2) and len(dd.bin_edges) == 2


# ---------------------------------------------------------------- the solvers' shape errors

def _lu_solve(A, B, **kwargs):
    return tg.linalg.lu_solve(*tg.linalg.lu_factor(A), B, **kwargs)


SHAPE_ERRORS = [  # (call, PyTorch 2.13's message or the words ours shows)
    (lambda: tg.linalg.solve(tg.eye(5), tg.ones(3, 5)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.linalg.solve(tg.eye(5), tg.ones(4)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 4x1)"),
    (lambda: tg.linalg.solve(tg.eye(3), tg.ones(4, 2), left=False),
     "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 4x2)"),
    (lambda: tg.linalg.solve(tg.eye(3), tg.ones(3), left=False),
     "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)"),
    (lambda: tg.linalg.solve_ex(tg.eye(5), tg.ones(3, 5)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.linalg.solve_triangular(tg.eye(5), tg.ones(3, 5), upper=True),
     "linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
     "(5x5 and 3x5)"),
    (lambda: tg.linalg.solve_triangular(tg.eye(5), tg.ones(5, 3), upper=True, left=False),
     "linalg.solve_triangular: Incompatible shapes of A and B for the equation XA = B "
     "(5x5 and 5x3)"),
    (lambda: tg.linalg.solve_triangular(tg.eye(5), tg.ones(5), upper=True),
     "linalg.solve_triangular: The input tensor B must have at least 2 dimensions"),
    (lambda: _lu_solve(tg.eye(5), tg.ones(3, 5)),
     "linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: _lu_solve(tg.eye(5), tg.ones(5, 3), left=False),
     "linalg.lu_solve: Incompatible shapes of A and B for the equation XA = B (5x5 and 5x3)"),
    (lambda: tg.lu_solve(tg.ones(3, 5), *tg.linalg.lu_factor(tg.eye(5))),
     "linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.cholesky_solve(tg.ones(3, 5), tg.eye(5)),
     "cholesky_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.cholesky_solve(tg.ones(3, 5), tg.ones(3, 5)),
     "cholesky_solve: L must be batches of square matrices, got shape (3, 5)"),
    (lambda: tg.triangular_solve(tg.ones(3, 5), tg.eye(5)),
     "triangular_solve: Incompatible shapes of A and B for the equation AX = B (5x5 and 3x5)"),
    (lambda: tg.linalg.solve(tg.eye(3).expand(2, 3, 3), tg.ones(4, 3, 1)),
     "linalg.solve: the batch dims of A (2,) and B (4,) do not broadcast"),
    (lambda: tg.cholesky_solve(tg.ones(4, 3, 5), tg.eye(3).expand(2, 3, 3)),
     "cholesky_solve: the batch dims of A (2,) and B (4,) do not broadcast"),
]


@pytest.mark.parametrize("call, message", SHAPE_ERRORS)
def test_solver_shape_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises(RuntimeError) as error:
        call()
    assert str(error.value).startswith(message)
    assert "singular" not in str(error.value)


@needs_torch
def test_solvers_still_accept_pytorchs_shapes():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    spd = a @ a.swapaxes(-1, -2)
    for b in (rng.normal(size=(2, 3)), rng.normal(size=(3,)), rng.normal(size=(4, 1, 3, 2))):
        ours = tg.linalg.solve(tg.tensor(a), tg.tensor(b))
        np.testing.assert_allclose(ours.numpy(),
                                   torch.linalg.solve(torch.tensor(a), torch.tensor(b)).numpy())
    b = rng.normal(size=(2, 2, 3))
    np.testing.assert_allclose(
        tg.linalg.solve(tg.tensor(a), tg.tensor(b), left=False).numpy(),
        torch.linalg.solve(torch.tensor(a), torch.tensor(b), left=False).numpy())
    factor = np.linalg.cholesky(spd)
    b = rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        tg.cholesky_solve(tg.tensor(b), tg.tensor(factor)).numpy(),
        torch.cholesky_solve(torch.tensor(b), torch.tensor(factor)).numpy())


# ---------------------------------------------------------------- small missing names

@pytest.mark.parametrize("name, numpy_type", [("uint16", np.uint16), ("uint32", np.uint32),
                                              ("uint64", np.uint64)])
def test_wider_unsigned_dtype_names(name, numpy_type):
    dtype = getattr(tg, name)
    assert dtype == np.dtype(numpy_type) and name in tg.__all__
    assert tg.tensor(np.array([1], numpy_type)).dtype == dtype
    t = tg.tensor([1, 2, 300], dtype=dtype)
    assert t.dtype == dtype and t.element_size() == np.dtype(numpy_type).itemsize
    assert not t.is_floating_point() and not t.is_signed()
    assert t.to(tg.int64).tolist() == [1, 2, 300]
    assert tg.zeros(2, dtype=dtype).dtype == dtype
    assert tg.iinfo(dtype).max == 2 ** (8 * np.dtype(numpy_type).itemsize) - 1
    if torch is not None:
        assert str(t.dtype) == str(getattr(torch, name))


def test_newaxis_is_none_and_indexes_as_none():
    assert tg.newaxis is None and "newaxis" in tg.__all__
    assert tg.ones(2, 3)[:, tg.newaxis].shape == (2, 1, 3)


class _Marked(tg.Tensor):
    def __init__(self, *args, **kwargs):  # PyTorch's as_subclass does not call it
        raise AssertionError("as_subclass called __init__")

    def marked(self):
        return "marked"


def test_as_subclass_is_a_view_of_the_same_memory_and_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.as_subclass(_Marked)
    assert type(z) is _Marked and z.marked() == "marked"
    assert z.requires_grad and z.grad_fn is not None and z._base is y
    assert z.data_ptr() == y.data_ptr()
    (z * tg.tensor([3.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 10.0])
    leaf = x.as_subclass(_Marked)
    assert not leaf.is_leaf and leaf.requires_grad  # (PyTorch: an alias, not a new leaf)


def test_as_subclass_shares_writes_both_ways():
    base = tg.ones(2, 3).t()
    alias = base.as_subclass(_Marked)
    alias.add_(1)
    np.testing.assert_array_equal(base.numpy(), np.full((3, 2), 2.0))
    base.mul_(3)
    np.testing.assert_array_equal(alias.numpy(), np.full((3, 2), 6.0))
    assert alias.stride() == base.stride()


def test_as_subclass_back_to_tensor_and_refusals():
    plain = tg.nn.Parameter(tg.ones(2)).as_subclass(tg.Tensor)
    assert type(plain) is tg.Tensor
    with pytest.raises(TypeError, match="as_subclass.*subclass of Tensor"):
        tg.ones(2).as_subclass(int)


WINDOWS = {  # name: keyword arguments to try besides the defaults
    "bartlett": {}, "blackman": {}, "cosine": {}, "hann": {}, "hamming": {}, "nuttall": {},
    "gaussian": {"std": 2.5}, "kaiser": {"beta": 4.0}, "general_hamming": {"alpha": 0.6},
    "general_cosine": {"a": [0.4, 0.45, 0.15]}, "exponential": {"tau": 2.0},
}


@needs_torch
@pytest.mark.parametrize("name", sorted(WINDOWS))
@pytest.mark.parametrize("M", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("sym", [True, False])
def test_signal_windows_match_pytorch(name, M, sym):
    kwargs = dict(WINDOWS[name], sym=sym, dtype=tg.float64)
    defaults = {"a": kwargs["a"]} if name == "general_cosine" else {}
    for args in (kwargs, defaults):
        ours = getattr(tg.signal.windows, name)(M, **args)
        theirs = getattr(torch.signal.windows, name)(
            M, **{k: torch.float64 if k == "dtype" else v for k, v in args.items()})
        assert ours.dtype == (tg.float64 if "dtype" in args else tg.float32)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


@needs_torch
@pytest.mark.parametrize("M, sym, center", [(5, False, 1.0), (1, False, 3.0), (4, False, 0.0)])
def test_exponential_window_center_against_pytorch(M, sym, center):
    ours = tg.signal.windows.exponential(M, sym=sym, center=center, dtype=tg.float64)
    theirs = torch.signal.windows.exponential(M, sym=sym, center=center, dtype=torch.float64)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_signal_windows_fixed_values_and_options():
    windows = tg.signal.windows
    np.testing.assert_allclose(windows.hann(5).numpy(), [0, 0.5, 1, 0.5, 0], atol=1e-7)
    np.testing.assert_allclose(windows.bartlett(5, sym=False).numpy(), [0, 0.4, 0.8, 0.8, 0.4],
                               atol=1e-7)
    np.testing.assert_allclose(windows.cosine(2, sym=False).numpy(), [0.5, 1.0], atol=1e-7)
    window = windows.gaussian(3, requires_grad=True)
    assert window.requires_grad and window.dtype == tg.float32
    assert windows.kaiser(4, beta=0.0).tolist() == [1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("call, error, words", [
    (lambda w: w.hann(-1), ValueError, "hann.*non-negative"),
    (lambda w: w.hann(3, dtype=tg.int64), ValueError, "hann.*float32 or float64"),
    (lambda w: w.hann(3, dtype=tg.float16), ValueError, "float32 or float64"),
    (lambda w: w.hann(2.0), TypeError, "hann.*int"),
    (lambda w: w.exponential(5, center=1.0), ValueError, "center must be None"),
    (lambda w: w.exponential(5, tau=0), ValueError, "tau must be positive"),
    (lambda w: w.gaussian(5, std=0), ValueError, "std must be positive"),
    (lambda w: w.kaiser(5, beta=-1), ValueError, "beta must be non-negative"),
    (lambda w: w.general_cosine(5, a=[]), ValueError, "cannot be empty"),
    (lambda w: w.general_cosine(5, a=1.0), TypeError, "list or tuple"),
])
def test_signal_windows_refuse_as_pytorch(call, error, words):
    with pytest.raises(error, match=words):
        call(tg.signal.windows)


# ---------------------------------------------------------------- unique's backward

@pytest.mark.parametrize("call, op", [
    (lambda x: tg.unique_consecutive(x), "unique_consecutive"),
    (lambda x: x.unique_consecutive(return_inverse=True, return_counts=True)[0],
     "unique_consecutive"),
    (lambda x: tg.unique(x), "_unique2"),
    (lambda x: x.unique(return_counts=True)[0], "_unique2"),
    (lambda x: tg.unique(x.reshape(3, 1), dim=0), "unique_dim"),
])
def test_unique_values_require_grad_and_their_backward_raises_as_pytorch(call, op):
    x = tg.tensor([1.0, 1.0, 2.0], requires_grad=True)
    values = call(x)
    assert values.requires_grad and values.grad_fn is not None
    np.testing.assert_array_equal(values.detach().numpy().reshape(-1), [1.0, 2.0])
    with pytest.raises(NotImplementedError,
                       match=f"the derivative for '{op}' is not implemented"):
        values.sum().backward()


def test_unique_of_a_constant_or_under_no_grad_is_a_plain_tensor():
    assert not tg.unique_consecutive(tg.tensor([1.0, 1.0])).requires_grad
    with tg.no_grad():
        assert not tg.unique(tg.tensor([1.0, 2.0], requires_grad=True)).requires_grad


def test_constraint_registry_module_path():
    from tinygrad_np.distributions import constraint_registry, constraints
    from tinygrad_np.distributions.constraint_registry import biject_to, transform_to

    assert biject_to is tg.distributions.biject_to and transform_to is tg.distributions.transform_to
    assert constraint_registry.__all__ == ["ConstraintRegistry", "biject_to", "transform_to"]
    y = transform_to(constraints.positive)(tg.tensor([-1.0, 0.0, 2.0]))
    np.testing.assert_allclose(y.numpy(), np.exp([-1.0, 0.0, 2.0]), rtol=1e-6)
