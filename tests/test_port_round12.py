"""Twelfth round of probes against PyTorch (session 18): writes into the outputs of
split/chunk/unbind, float() of a tensor that requires grad, meshgrid without indexing=, and
what the probes of this round found."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]

# Writes into one output of a function returning several views, recorded because the piece
# or an operand requires grad: PyTorch refuses them all.
MULTI_VIEW_WRITES = {
    "unbind add_": lambda L, x, w: (x * 2).unbind(0)[0].add_(1),
    "split mul_": lambda L, x, w: (x * 2).split(1)[0].mul_(2),
    "split sizes": lambda L, x, w: (x * 2).split([1, 2])[0].add_(1),
    "chunk": lambda L, x, w: (x * 2).chunk(3)[0].add_(1),
    "one piece": lambda L, x, w: (x * 2).split(3)[0].add_(1),
    "leaf unbind": lambda L, x, w: x.unbind(0)[0].add_(1),
    "setitem": lambda L, x, w: (x * 2).unbind(0)[1].__setitem__(..., 3.0),
    "view of piece": lambda L, x, w: (x * 2).unbind(0)[0].view(1).add_(1),
    "other dim": lambda L, x, w: (x * 2).reshape(3, 1).unbind(1)[0].add_(1),
    "plain buffer, grad operand": lambda L, x, w: L.zeros(4).split(2)[0].copy_(w * 3),
    "plain unbind mul_": lambda L, x, w: L.zeros(2, 2).unbind(0)[0].mul_(w),
    "plain unbind setitem": lambda L, x, w: L.zeros(2, 2).unbind(0)[0].__setitem__(0, w[0]),
    "squeeze_": lambda L, x, w: (x * 2).reshape(3, 1).split(2)[0].squeeze_(),
    "unsqueeze_": lambda L, x, w: (x * 2).chunk(3)[0].unsqueeze_(0),
    "t_": lambda L, x, w: (x * 2).reshape(3, 1).split(2)[0].t_(),
    "transpose_": lambda L, x, w: (x * 2).reshape(3, 1).split(2)[0].transpose_(0, 1),
}


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("name", list(MULTI_VIEW_WRITES))
def test_writes_into_multi_output_views_are_refused(lib, name):
    x = lib.ones(3, requires_grad=True)
    w = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="inplace|in-place"):
        MULTI_VIEW_WRITES[name](lib, x, w)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_multi_output_views_written_when_nothing_is_recorded(lib):
    x = lib.ones(3, requires_grad=True)
    with lib.no_grad():  # made and written under no_grad
        piece = (x * 2).unbind(0)[0]
        piece.add_(1)
    assert float(piece) == 3.0
    y = x * 2
    pieces = y.unbind(0)
    with lib.no_grad():  # made with grad, written under no_grad
        pieces[0].add_(1)
    assert y.tolist() == [3.0, 2.0, 2.0]
    buffer = lib.zeros(4)  # nothing requires grad
    buffer.split(2)[1].fill_(5)
    assert buffer.tolist() == [0.0, 0.0, 5.0, 5.0]
    detached = [piece.detach().add_(1) for piece in (x * 2).split(2)]
    assert [t.tolist() for t in detached] == [[3.0, 3.0], [3.0]]
    sections = (x * 2).tensor_split(3)  # not a multi-output view op in PyTorch
    sections[0].add_(1)
    assert sections[0].tolist() == [3.0]


def test_multi_output_write_refused_keeps_gradients_right():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a, b = (x * 2).split([1, 2])
    with pytest.raises(RuntimeError):
        a.mul_(10)
    (a.sum() + 3 * b.sum()).backward()
    assert x.grad.tolist() == [2.0, 6.0, 6.0]


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_float_of_a_tensor_that_requires_grad_warns(lib):
    x = lib.ones(3, requires_grad=True)
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):
        assert float(x.sum()) == 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(x.sum().detach()) == 3.0
        assert x.sum().item() == 3.0
        assert int(x.sum()) == 3


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_meshgrid_without_indexing_warns_and_uses_ij(lib):
    a, b = lib.arange(2), lib.arange(3)
    with pytest.warns(UserWarning, match="indexing"):
        grids = lib.meshgrid(a, b)
    assert tuple(grids[0].shape) == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tuple(lib.meshgrid(a, b, indexing="xy")[0].shape) == (3, 2)


# ------------------------------------------------ indexing, iteration, format, joins
ERRORS = {
    "negative step": (lambda L: L.ones(3)[::-1], ValueError, "step must be greater than zero"),
    "negative step in tuple": (lambda L: L.ones(2, 3)[:, ::-2], ValueError, "step must be"),
    "float index": (lambda L: L.ones(3)[L.tensor([0.0])], IndexError,
                    "tensors used as indices must be long, int, byte or bool"),
    "index out of range": (lambda L: L.ones(3, 2)[:, 5], IndexError, "for dimension 1"),
    "iterate 0-d": (lambda L: iter(L.tensor(1.0)), TypeError, "iteration over a 0-d tensor"),
    "format 1-d": (lambda L: f"{L.tensor([3.14159]):.2f}", TypeError, "unsupported format"),
    "stack numbers": (lambda L: L.stack([1, 2]), TypeError, "expected Tensor as element 0"),
    "cat array": (lambda L: L.cat([L.ones(2), np.ones(2)]), TypeError,
                  "expected Tensor as element 1"),
}


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_as_pytorch(lib, name):
    make, kind, words = ERRORS[name]
    with pytest.raises(kind, match=words):
        make(lib)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_flatten_without_anything_to_merge_is_the_tensor_itself(lib):
    x = lib.ones(3, requires_grad=True)
    assert x.flatten() is x
    y = lib.ones(2, 3)
    assert y.flatten(1, 1) is y and y.flatten(-1) is y
    assert tuple(y.flatten().shape) == (6,)
    assert f"{lib.tensor(3.14159):.2f}" == "3.14"
    assert [float(t) for t in lib.tensor([1.0, 2.0])] == [1.0, 2.0]


# ------------------------------------------------ the op sweep's findings
def test_svd_of_a_matrix_with_an_infinity_returns_nans_at_once():
    inf = np.inf
    a = [[-0.6576478081159254, -inf, 1.5, -0.1983961034347759],
         [1.0905774279293634, -1.2143713997412742, 0.25365569422373974, -1.7845480868595807],
         [1.6829299447402861, 0.37607017396137193, -0.0, 0.8210078259405257]]
    for lib in LIBS:
        x = lib.tensor(a, dtype=lib.float64)
        u, s, vh = lib.linalg.svd(x)
        assert (tuple(u.shape), tuple(s.shape), tuple(vh.shape)) == ((3, 3), (3,), (4, 4))
        assert np.isnan(s.numpy()).all()  # (PyTorch's u is not all NaN)
        assert tuple(lib.linalg.svd(x, full_matrices=False)[2].shape) == (3, 4)
        assert np.isnan(lib.linalg.svdvals(x).numpy()).all()
        assert tuple(lib.linalg.pinv(x).shape) == (4, 3)
        assert int(lib.linalg.matrix_rank(x)) == 0
        assert np.isnan(float(lib.linalg.matrix_norm(x, "nuc")))


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_corners_that_crashed(lib):
    assert tuple(lib.rand(()).shape) == () and tuple(lib.rand([]).shape) == ()
    x = lib.tensor(float("nan"), requires_grad=True)
    median = x.median()
    median.backward()
    assert np.isnan(median.item()) and x.grad.item() == 1.0
    assert np.isnan(float(lib.tensor(float("nan")).nanmedian()))
    empty = lib.unique_consecutive(lib.tensor([], dtype=lib.int64), dim=0)
    assert tuple(empty.shape) == (0,) and empty.dtype == lib.int64


BROADCAST_ERRORS = {
    "bitwise_and": lambda L, a, b, af, bf: L.bitwise_and(a, b),
    "&": lambda L, a, b, af, bf: a & b,
    "^": lambda L, a, b, af, bf: a ^ b,
    "left_shift": lambda L, a, b, af, bf: L.bitwise_left_shift(a, b),
    "gcd": lambda L, a, b, af, bf: L.gcd(a, b),
    "lcm": lambda L, a, b, af, bf: L.lcm(a, b),
    "ldexp": lambda L, a, b, af, bf: L.ldexp(af, b),
    "logical_and": lambda L, a, b, af, bf: L.logical_and(af, bf),
    "logical_xor": lambda L, a, b, af, bf: af.logical_xor(bf),
    "nextafter": lambda L, a, b, af, bf: L.nextafter(af, bf),
    "masked_select": lambda L, a, b, af, bf: L.masked_select(af, bf > 0),
    "pow": lambda L, a, b, af, bf: L.pow(af, bf),
    "pow ints": lambda L, a, b, af, bf: a ** b,
    "float_power": lambda L, a, b, af, bf: L.float_power(af, bf),
}


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("name", list(BROADCAST_ERRORS))
def test_shapes_that_do_not_broadcast_are_runtime_errors(lib, name):
    a, b = lib.ones(2, 3, dtype=lib.int64), lib.ones(4, dtype=lib.int64)
    with pytest.raises(RuntimeError):
        BROADCAST_ERRORS[name](lib, a, b, lib.ones(2, 3), lib.ones(4))


MORE_ERRORS = {
    "scatter_reduce out of range": lambda L: L.zeros(3).scatter_reduce(
        0, L.tensor([5]), L.ones(1), "sum"),
    "expand -1 in a new dim": lambda L: L.ones(3).expand(-1, 3),
    "logspace negative steps": lambda L: L.logspace(0, 1, -1),
    "repeat_interleave output_size": lambda L: L.repeat_interleave(L.ones(3), 1, output_size=5),
}


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("name", list(MORE_ERRORS))
def test_more_runtime_errors(lib, name):
    with pytest.raises(RuntimeError):
        MORE_ERRORS[name](lib)


HALF_WITH_ZERO_D = {
    "div": lambda L, h, t: L.div(h, t),
    "true_divide": lambda L, h, t: L.true_divide(h, t),
    "method div": lambda L, h, t: h.div(t),
    "pow": lambda L, h, t: L.pow(h, t),
    "**": lambda L, h, t: h ** t,
    "maximum": lambda L, h, t: L.maximum(h, t),
    "minimum": lambda L, h, t: h.minimum(t),
    "fmax": lambda L, h, t: L.fmax(h, t),
    "fmin": lambda L, h, t: L.fmin(h, t),
    "hypot": lambda L, h, t: L.hypot(h, t),
    "logaddexp": lambda L, h, t: L.logaddexp(h, t),
    "logaddexp2": lambda L, h, t: L.logaddexp2(h, t),
    "/": lambda L, h, t: h / t,
}


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("name", list(HALF_WITH_ZERO_D))
def test_float16_with_a_0d_float32_tensor_stays_float16(lib, name):
    h = lib.tensor([1.5, 3.0], dtype=lib.float16)
    result = HALF_WITH_ZERO_D[name](lib, h, lib.tensor(2.0))
    assert result.dtype == lib.float16


# ------------------------------------------------ autograd arguments, losses, devices
def _grad_checks(L):
    x = L.tensor([[1.0, 2.0, 0.5], [0.3, 0.2, 0.1]], requires_grad=True)
    return x, {
        "backward(2.0)": (lambda: (x * 2).sum().backward(2.0), TypeError),
        "backward(2)": (lambda: (x * 2).sum().backward(2), TypeError),
        "autograd.backward number": (lambda: L.autograd.backward((x * 2).sum(), 2.0), TypeError),
        "grad number": (lambda: L.autograd.grad((x * 2).sum(), x, 2.0), TypeError),
        "grad list of numbers": (lambda: L.autograd.grad((x * 2).sum(), x, [2.0]), TypeError),
        "grad empty inputs": (lambda: L.autograd.grad((x * 2).sum(), []), RuntimeError),
        "backward inputs without grad": (
            lambda: (x * 2).sum().backward(inputs=[L.ones(2)]), RuntimeError),
        "materialize with allow_unused=False": (lambda: L.autograd.grad(
            (x * 2).sum(), x, allow_unused=False, materialize_grads=True), ValueError),
    }


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_autograd_argument_errors(lib):
    x, checks = _grad_checks(lib)
    for call, kind in checks.values():
        with pytest.raises(kind):
            call()
    (x * 2).sum().backward([lib.tensor(1.0)])  # a sequence of one tensor is fine
    assert x.grad.tolist() == [[2.0] * 3] * 2


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_post_accumulate_grad_hook_must_return_none(lib):
    p = lib.ones(2, requires_grad=True)
    p.register_post_accumulate_grad_hook(lambda t: t * 2)
    with pytest.raises(RuntimeError, match="should return None"):
        (p * 2).sum().backward()


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_class_weights_that_require_grad(lib):
    F = lib.nn.functional
    x = lib.tensor([[1.0, 2.0, 0.5], [0.3, 0.2, 0.1]], requires_grad=True)
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ids = lib.tensor([0, 2])
    for call in (lambda: F.cross_entropy(x, ids, weight=w), lambda: F.nll_loss(x, ids, weight=w),
                 lambda: F.multi_margin_loss(x, ids, weight=w),
                 lambda: F.batch_norm(x, w, lib.ones(3), training=False),
                 lambda: F.batch_norm(x, lib.zeros(3), w, training=False),
                 lambda: F.binary_cross_entropy(x.sigmoid(), lib.ones(2, 3), weight=w),
                 lambda: F.binary_cross_entropy_with_logits(x, lib.ones(2, 3), weight=w),
                 lambda: F.binary_cross_entropy_with_logits(x, lib.ones(2, 3), pos_weight=w)):
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
            call()
    with lib.no_grad():
        F.cross_entropy(x, ids, weight=w)  # nothing recorded: fine
    # with class probabilities the weights are differentiated (was: no gradient at all)
    target = lib.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    F.cross_entropy(x, target, weight=w).backward()
    logits = np.array([[1.0, 2.0, 0.5], [0.3, 0.2, 0.1]])
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -(np.array(target.tolist()) * log_softmax).mean(0)  # d mean_i -sum_c w q logp
    np.testing.assert_allclose(w.grad.tolist(), expected, rtol=1e-5)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_other_device_objects_can_be_made_but_not_used(lib):
    cuda = lib.device("cuda", 1)
    assert (cuda.type, cuda.index, str(cuda)) == ("cuda", 1, "cuda:1")
    assert repr(lib.device("mps")) == "device(type='mps')"
    for call in (lambda: lib.ones(2, device="cuda"), lambda: lib.ones(2).to(cuda)):
        with pytest.raises((RuntimeError, AssertionError)):
            call()


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_calling_an_autograd_function_instance_or_its_node(lib):
    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # (PyTorch warns on creation)
        instance = Double()
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        instance(lib.ones(1))
    y = Double.apply(lib.ones(2, requires_grad=True))
    assert y.tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="not callable"):  # a recorded node: PyTorch's TypeError
        y.grad_fn(lib.ones(2))


# ------------------------------------------------ recorded writes into the caller's memory
@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_recorded_in_place_writes_reach_the_callers_array(lib):
    array = np.zeros(3, np.float32)
    t = lib.from_numpy(array)
    w = lib.ones(3, requires_grad=True)
    t += w  # recorded (w requires grad): the array sees it, as PyTorch's
    t.sum().backward()
    assert array.tolist() == [1.0, 1.0, 1.0] and w.grad.tolist() == [1.0, 1.0, 1.0]
    array[0] = 7.0  # and the tensor sees later writes to the array
    assert t.tolist() == [7.0, 1.0, 1.0]
    scalar = np.ones((), np.float32)
    s = lib.from_numpy(scalar)
    v = lib.tensor(2.0, requires_grad=True)
    s *= v
    s.backward()
    assert scalar.item() == 2.0 and v.grad.item() == 1.0
    twice = np.ones(3, np.float32)
    u = lib.from_numpy(twice)
    g = lib.full((3,), 2.0, requires_grad=True)
    u *= g
    u *= g
    u.sum().backward()
    assert twice.tolist() == [4.0] * 3 and g.grad.tolist() == [4.0] * 3
    x = lib.zeros(3)
    handed_out = x.numpy()
    x += w
    assert handed_out.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_a_saved_array_of_the_caller_changed_in_place_is_refused(lib):
    t = lib.from_numpy(np.ones(3, np.float32))
    w = lib.full((3,), 2.0, requires_grad=True)
    y = t * w  # saves t for w's gradient
    t += w
    with pytest.raises(RuntimeError, match="modified by an inplace operation|in-place"):
        y.sum().backward()


@pytest.mark.parametrize("call, words", [
    (lambda F, L: F.conv1d(L.ones(2, 5, 5), L.ones(1, 2, 2)), "conv1d: input of shape (2, 5, 5)"),
    (lambda F, L: F.conv1d(L.ones(5, 5), L.ones(1, 2, 2)), "weight of shape (1, 2, 2)"),
    (lambda F, L: F.max_pool1d(L.ones(2, 5, 5), 9), "max_pool1d: the input of shape (2, 5, 5)"),
    (lambda F, L: F.avg_pool1d(L.ones(2, 5, 5), 9), "kernel 9"),
])
def test_one_d_errors_name_the_callers_shapes(call, words):
    with pytest.raises(RuntimeError) as info:
        call(tg.nn.functional, tg)
    assert words in str(info.value) and "(2, 5, 1, 5)" not in str(info.value)


@pytest.mark.parametrize("matrix, weights", [
    ([[0.0, 0.0], [1.0, -1.0]], [[1.0, 2.0], [3.0, 4.0]]),
    ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], None),
    ([[[2.0, 1.0], [1.0, 3.0]], [[1.0, 2.0], [2.0, 4.0]]], None),  # a batch, one singular
])
def test_second_derivative_of_det_at_a_singular_matrix(matrix, weights):
    # central differences of the first derivative (the cofactors: polynomial, exact enough)
    def first(values):
        x = tg.tensor(values, dtype=tg.float64, requires_grad=True)
        (g,) = tg.autograd.grad(tg.linalg.det(x).sum(), x, create_graph=True)
        return x, g

    values = np.array(matrix)
    w = np.ones(values.shape) if weights is None else np.array(weights)
    x, g = first(values)
    (h,) = tg.autograd.grad((g * tg.tensor(w)).sum(), x)
    numeric = np.zeros(values.shape)
    for index in np.ndindex(values.shape):
        step = np.zeros(values.shape)
        step[index] = 1e-4
        numeric[index] = ((first(values + step)[1].numpy() * w).sum()
                          - (first(values - step)[1].numpy() * w).sum()) / 2e-4
    np.testing.assert_allclose(h.numpy(), numeric, atol=1e-6)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_loss_values_at_the_edges(lib):
    F = lib.nn.functional
    inf = float("inf")
    loss = F.binary_cross_entropy_with_logits(lib.tensor([inf, 3.0]), lib.tensor([0.0, 1.0]),
                                              pos_weight=lib.tensor([2.0, 2.0]),
                                              reduction="none")
    assert loss[0].item() == inf
    np.testing.assert_allclose(loss[1].item(), 2 * np.log1p(np.exp(-3.0)), rtol=1e-6)
    x = lib.tensor([0.5, -inf, 2.0], requires_grad=True)
    F.binary_cross_entropy_with_logits(x, lib.tensor([1.0, 1.0, 0.0]),
                                       pos_weight=lib.tensor([3.0, 3.0, 3.0])).backward()
    np.testing.assert_allclose(x.grad.tolist()[0], (3 * (1 / (1 + np.exp(-0.5)) - 1)) / 3,
                               rtol=1e-5)
    # t log t is NaN for a negative target (PyTorch's xlogy), 0 at t = 0
    assert np.isnan(F.kl_div(lib.zeros(2), lib.tensor([-0.5, 0.5]), reduction="sum").item())
    assert F.kl_div(lib.zeros(2), lib.tensor([0.0, 1.0]), reduction="sum").item() == 0.0


# ------------------------------------------------ the review's findings
@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_svd_of_a_matrix_with_nan_is_an_error(lib):
    a = lib.tensor([[float("nan"), 1.0], [1.0, 1.0]])
    for call in (lib.linalg.svd, lib.linalg.svdvals, lib.linalg.pinv, lib.linalg.matrix_rank,
                 lambda m: lib.linalg.matrix_norm(m, "nuc")):
        with pytest.raises(RuntimeError, match="failed to converge"):
            call(a)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_unsafe_split_pieces_may_be_written(lib):
    x = lib.zeros(4, requires_grad=True).clone()
    x.unsafe_split(2)[0].add_(1)
    lib.unsafe_chunk(x, 2)[1].mul_(3)
    assert x.tolist() == [1.0, 1.0, 0.0, 0.0]
    with pytest.raises(RuntimeError):
        x.split(2)[0].add_(1)
    rows = lib.ones(2, 3, requires_grad=True) * 1
    with pytest.raises(RuntimeError):  # iterating unbinds, as PyTorch
        for row in rows:
            row.add_(1)


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_grad_with_batched_seeds_and_pytorchs_positional_order(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 2
    (jacobian,) = lib.autograd.grad(y, x, lib.eye(3), is_grads_batched=True)
    np.testing.assert_allclose(jacobian.tolist(), np.diag([2.0, 4.0, 6.0]))
    unused = lib.ones(2, requires_grad=True)
    # PyTorch's order: ..., allow_unused, is_grads_batched, materialize_grads
    _, zeros = lib.autograd.grad((x * x).sum(), [x, unused], None, None, False, True, None,
                                 False, True)
    assert zeros.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_device_strings_and_indices_checked(lib):
    for bad in ("cuda:01", "cuda:-1", "gpu"):
        with pytest.raises(RuntimeError):
            lib.device(bad)
    with pytest.raises(RuntimeError):
        lib.device("cuda", -1)
    assert str(lib.device("cpu:0")) == "cpu:0"


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_count_nonzero_takes_dims_as_arguments(lib):
    x = lib.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert x.count_nonzero(0, 1).item() == 2 and x.count_nonzero(1).tolist() == [1, 1]


def test_multi_output_flag_is_per_tensor_and_follows_views():
    x = tg.ones(4, requires_grad=True) * 1
    piece = x.split(2)[0]
    view = piece.view(2)[:1]  # a view of a piece is one too
    with pytest.raises(RuntimeError):
        view.add_(1)
    import gc

    del piece, view
    gc.collect()
    fresh = [x.clone() for _ in range(50)]  # new tensors (ids reused) carry no flag
    for tensor in fresh:
        tensor.add_(1)
    assert all(t.tolist() == [2.0] * 4 for t in fresh)
