"""Round 6 of the differential probes against PyTorch: augmented assignments that must change
the tensor itself, xlogy's gradient at 0, einsum over broadcast or empty dims, lists of lists
as indices, std/var accumulated in float64, integer dtype= of reductions, and gradients at
special values."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:  # the oracle is optional: the expected values below are written out
    torch = None


# ------------------------------------------------------------- augmented assignments
@pytest.mark.parametrize("op, values, other, expected", [
    ("//=", [7, -7, 5], 2, [3, -4, 2]),
    ("**=", [1.0, 2.0, 3.0], 2, [1.0, 4.0, 9.0]),
    ("&=", [1, 2, 3], 6, [0, 2, 2]),
    ("|=", [1, 2, 3], 4, [5, 6, 7]),
    ("^=", [1, 2, 3], 3, [2, 1, 0]),
    ("<<=", [1, 2, 3], 1, [2, 4, 6]),
    (">>=", [4, 5, -8], 1, [2, 2, -4]),
])
def test_augmented_assignment_changes_the_tensor_and_what_shares_it(op, values, other, expected):
    a = tg.tensor(values)
    alias, view = a, a[1:]
    namespace = {"a": a, "other": other}
    exec(f"a {op} other", namespace)  # noqa: S102 (the operator under test, spelled out)
    assert namespace["a"] is alias  # the same tensor, changed in place
    np.testing.assert_array_equal(alias.numpy(), expected)
    np.testing.assert_array_equal(view.numpy(), expected[1:])
    if torch is not None:
        t = torch.tensor(values)
        scope = {"a": t, "other": other}
        exec(f"a {op} other", scope)  # noqa: S102
        np.testing.assert_array_equal(alias.numpy(), t.numpy())


def test_augmented_bool_or_and_power_through_a_view():
    mask = tg.tensor([True, False])
    alias = mask
    mask |= tg.tensor([False, True])
    assert alias.numpy().tolist() == [True, True]
    base = tg.tensor([1.0, 2.0, 3.0])
    tail = base[1:]
    tail **= 2
    assert base.numpy().tolist() == [1.0, 4.0, 9.0]


def test_augmented_power_is_recorded_on_a_result_and_refused_on_a_leaf():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    h = w * 1
    h **= 3
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 12.0])  # d(w^3)/dw = 3 w^2
    with pytest.raises(RuntimeError, match="leaf"):
        w **= 2


# ------------------------------------------------------------------ xlogy's gradient
XS = [0.0, 0.0, 0.0, 1.0, 2.0, 0.0, -1.0, 3.0]
YS = [0.0, -1.0, float("nan"), 0.0, 3.0, 2.0, float("inf"), 0.5]
# PyTorch: d/dx = xlogy(g, y), 0 where x == 0 and y <= 0;  d/dy = g x / y
XLOGY_DX = [0.0, 0.0, float("nan"), -float("inf"), np.log(3.0), np.log(2.0), float("inf"),
            np.log(0.5)]
XLOGY_DY = [float("nan"), -0.0, float("nan"), float("inf"), 2 / 3, 0.0, -0.0, 6.0]


@pytest.mark.parametrize("xlogy", [tg.xlogy, tg.special.xlogy, tg.Tensor.xlogy])
def test_xlogy_gradient_at_zero_follows_pytorch(xlogy):
    x = tg.tensor(XS, requires_grad=True)
    y = tg.tensor(YS, requires_grad=True)
    xlogy(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), XLOGY_DX, rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), XLOGY_DY, rtol=1e-6)
    if torch is not None:
        tx = torch.tensor(XS, requires_grad=True)
        ty = torch.tensor(YS, requires_grad=True)
        torch.xlogy(tx, ty).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-6)


def test_xlogy_zero_incoming_gradient_gives_zero_even_where_log_is_infinite():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([0.0, 0.0])
    tg.xlogy(x, y).backward(tg.tensor([0.0, 1.0]))
    assert x.grad.numpy().tolist() == [0.0, -float("inf")]  # xlogy(0, 0) = 0, as PyTorch


def test_xlogy_second_derivative_with_respect_to_y():
    x = tg.tensor([0.5, 2.0], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([1.5, 3.0], dtype=tg.float64, requires_grad=True)
    (gy,) = tg.autograd.grad(tg.xlogy(x, y).sum(), y, create_graph=True)
    (gyy,) = tg.autograd.grad(gy.sum(), y)
    np.testing.assert_allclose(gyy.numpy(), [-0.5 / 1.5**2, -2.0 / 9.0])  # d2/dy2 = -x / y^2
    assert tg.autograd.gradcheck(tg.xlogy, (x, y))


# ------------------------------------------------------------------------------ einsum
@pytest.mark.parametrize("equation, shapes", [
    ("ij,j->i", [(3, 4), (1,)]),  # j summed, size 1 in one operand: broadcast
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ij,ij->", [(3, 1), (1, 4)]),
    ("bij,bjk->bik", [(1, 2, 3), (4, 3, 5)]),
    ("ij->j", [(0, 3)]),  # an empty summed dim
    ("ij,kj->ik", [(0, 2), (3, 2)]),
])
def test_einsum_gradients_over_broadcast_and_empty_dims(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    tensors = [tg.tensor(a, requires_grad=True) for a in arrays]
    out = tg.einsum(equation, *tensors)
    weight = rng.standard_normal(out.shape)
    (out * tg.tensor(weight)).sum().backward()
    for tensor, array in zip(tensors, arrays):
        assert tensor.grad.shape == array.shape
    if len(arrays) == 2 and all(a.size for a in arrays):  # float64 central differences
        assert tg.autograd.gradcheck(lambda *t: tg.einsum(equation, *t), tuple(
            tg.tensor(a, requires_grad=True) for a in arrays))
    if torch is not None:
        reference = [torch.tensor(a, requires_grad=True) for a in arrays]
        (torch.einsum(equation, *reference) * torch.tensor(weight)).sum().backward()
        for tensor, ref in zip(tensors, reference):
            np.testing.assert_allclose(tensor.grad.numpy(), ref.grad.numpy(), atol=1e-12)


def test_einsum_broadcast_gradient_under_create_graph():
    x = tg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    w = tg.tensor([2.0], requires_grad=True)
    (gx,) = tg.autograd.grad(tg.einsum("ij,j->i", x, w).sum(), x, create_graph=True)
    np.testing.assert_array_equal(gx.numpy(), np.full((3, 4), 2.0))
    (gw,) = tg.autograd.grad(gx.sum(), w)
    assert gw.numpy().tolist() == [12.0]  # d/dw of sum(w broadcast over 12 entries)


# ------------------------------------------------------------ inplace=True activations
ACTIVATIONS = [("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.1,)), ("ELU", (1.0,)),
               ("CELU", (1.0,)), ("SELU", ()), ("SiLU", ()), ("Hardtanh", (-1.0, 1.0)),
               ("Hardsigmoid", ()), ("Hardswish", ()), ("Mish", ()), ("Threshold", (0.1, 9.0))]


@pytest.mark.parametrize("name, args", ACTIVATIONS)
def test_activation_module_inplace_writes_into_its_input_and_records_it(name, args):
    x = tg.tensor([-1.0, 0.5, 2.0, -0.2], requires_grad=True)
    h = x * 2
    before = h.detach().numpy().copy()
    module = getattr(tg.nn, name)(*args, inplace=True)
    out = module(h)
    expected = getattr(tg.nn, name)(*args)(tg.tensor(before)).numpy()
    np.testing.assert_allclose(h.detach().numpy(), expected, rtol=1e-6)  # the input changed
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    h.sum().backward()  # through the activation that now produces h
    if torch is not None:
        tx = torch.tensor([-1.0, 0.5, 2.0, -0.2], requires_grad=True)
        th = tx * 2
        getattr(torch.nn, name)(*args, inplace=True)(th)
        th.sum().backward()
        np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_threshold_inplace_and_leaky_relu_inplace_gradient():
    y = tg.tensor([-2.0, 3.0])
    tg.nn.functional.threshold(y, 0.0, 9.0, inplace=True)
    assert y.numpy().tolist() == [9.0, 3.0]
    x = tg.tensor([-1.0, 0.5], requires_grad=True)
    h = x * 1
    tg.nn.LeakyReLU(0.1, inplace=True)(h)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 1.0])


@pytest.mark.parametrize("name, args", [("elu_", ()), ("leaky_relu_", (0.2,)), ("hardtanh_", ()),
                                        ("threshold_", (0.5, 7.0)), ("celu_", ()),
                                        ("selu_", ()), ("rrelu_", ())])
def test_functional_in_place_activation_spellings(name, args):
    x = tg.tensor([-2.0, 0.3, 3.0])
    expected = getattr(tg.nn.functional, name[:-1])(tg.tensor([-2.0, 0.3, 3.0]), *args)
    assert getattr(tg.nn.functional, name)(x, *args) is x
    np.testing.assert_allclose(x.numpy(), expected.numpy(), rtol=1e-6)
    if torch is not None:
        t = torch.tensor([-2.0, 0.3, 3.0])
        getattr(torch.nn.functional, name)(t, *args)
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)


# -------------------------------------------------- unbatched fold/unfold, output_size=
def test_unfold_and_fold_take_unbatched_inputs():
    rng = np.random.default_rng(0)
    image = rng.standard_normal((3, 5, 5))
    x = tg.tensor(image, requires_grad=True)
    columns = tg.nn.functional.unfold(x, 2, padding=1, stride=2)
    batched = tg.nn.functional.unfold(tg.tensor(image[None]), 2, padding=1, stride=2)
    assert columns.shape == (12, 9)
    np.testing.assert_array_equal(columns.detach().numpy(), batched.numpy()[0])
    (columns * columns).sum().backward()
    assert x.grad.shape == (3, 5, 5)
    blocks = rng.standard_normal((12, 4))
    folded = tg.nn.Fold((3, 3), 2)(tg.tensor(blocks))
    assert folded.shape == (3, 3, 3)
    np.testing.assert_array_equal(folded.numpy(), tg.nn.functional.fold(
        tg.tensor(blocks[None]), (3, 3), 2).numpy()[0])
    if torch is not None:
        reference = torch.nn.functional.unfold(torch.tensor(image), 2, padding=1, stride=2)
        np.testing.assert_allclose(columns.detach().numpy(), reference.numpy())


@pytest.mark.parametrize("cls, size", [("ConvTranspose2d", [10, 10]), ("ConvTranspose2d", [9, 10]),
                                       ("ConvTranspose2d", [2, 8, 10, 9]),
                                       ("ConvTranspose1d", [10]), ("ConvTranspose1d", (2, 8, 9))])
def test_conv_transpose_forward_takes_output_size(cls, size):
    dims = 2 if cls.endswith("2d") else 1
    layer = getattr(tg.nn, cls)(4, 8, 3, stride=2, padding=1)
    x = np.random.default_rng(0).standard_normal((2, 4) + (5,) * dims).astype(np.float32)
    out = layer(tg.tensor(x), output_size=size)
    assert out.shape == (2, 8) + tuple(size[-dims:])
    if torch is not None:
        reference = getattr(torch.nn, cls)(4, 8, 3, stride=2, padding=1)
        layer.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
        np.testing.assert_allclose(layer(tg.tensor(x), output_size=size).detach().numpy(),
                                   reference(torch.tensor(x), output_size=size).detach().numpy(),
                                   atol=1e-5)


def test_conv_transpose_output_size_out_of_range_names_the_valid_range():
    layer = tg.nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"valid sizes range from \[9, 9\] to \[10, 10\]"):
        layer(tg.randn(1, 4, 5, 5), output_size=[12, 12])


# ------------------------------------------------------ PyTorch's `input=` keyword in F
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softsign", "tanhshrink", "silu",
                                  "mish", "selu", "celu", "elu", "hardtanh", "hardswish",
                                  "hardsigmoid", "relu6", "leaky_relu"])
def test_functional_activations_take_input_as_a_keyword(name):
    values = [-2.0, -0.5, 0.0, 0.7, 3.0]
    function = getattr(tg.nn.functional, name)
    np.testing.assert_allclose(function(input=tg.tensor(values)).numpy(),
                               function(tg.tensor(values)).numpy())


def test_functional_losses_and_softmax_take_input_as_a_keyword():
    F = tg.nn.functional
    logits = tg.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]])
    labels = tg.tensor([1, 2])
    probs = tg.tensor([[0.2, 0.9, 0.5], [0.3, 0.4, 0.6]])
    targets = tg.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    pairs = [
        (F.cross_entropy(input=logits, target=labels), F.cross_entropy(logits, labels)),
        (F.mse_loss(input=probs, target=targets), F.mse_loss(probs, targets)),
        (F.binary_cross_entropy(input=probs, target=targets),
         F.binary_cross_entropy(probs, targets)),
        (F.binary_cross_entropy_with_logits(input=logits, target=targets),
         F.binary_cross_entropy_with_logits(logits, targets)),
        (F.softmax(input=logits, dim=1), F.softmax(logits, dim=1)),
        (F.log_softmax(input=logits, dim=1), F.log_softmax(logits, dim=1)),
        (F.softmin(input=logits, dim=1), F.softmin(logits, dim=1)),
        (F.glu(input=logits[:, :2], dim=1), F.glu(logits[:, :2], dim=1)),
        (F.threshold(input=logits, threshold=0.5, value=-1.0), F.threshold(logits, 0.5, -1.0)),
    ]
    for by_keyword, positional in pairs:
        np.testing.assert_allclose(by_keyword.numpy(), positional.numpy())
    if torch is not None:
        reference = torch.nn.functional.cross_entropy(
            input=torch.tensor(logits.numpy()), target=torch.tensor(labels.numpy()))
        np.testing.assert_allclose(pairs[0][0].numpy(), reference.numpy(), rtol=1e-6)


# ------------------------------------------------------------- lists of lists as indices
@pytest.mark.parametrize("make, shape, first", [
    (lambda: [[0, 1], [2, 2]], (2,), [2.0, 6.0]),  # the tuple ([0, 1], [2, 2])
    (lambda: [[0, 2], [1, 3]], (2,), [1.0, 11.0]),
    (lambda: [0, slice(None)], (4,), [0.0, 1.0, 2.0, 3.0]),
    (lambda: [None, 0], (1, 4), [0.0, 1.0, 2.0, 3.0]),
    (lambda: [Ellipsis, 1], (3,), [1.0, 5.0, 9.0]),
    (lambda: [tg.tensor(0), tg.tensor(1)], (), [1.0]),
    (lambda: [0, 1], (2, 4), [0.0, 1.0, 2.0, 3.0]),  # plain ints: one index array
    (lambda: [True, False, True], (2, 4), [0.0, 1.0, 2.0, 3.0]),  # a mask
])
def test_a_list_holding_sequences_slices_or_none_indexes_as_a_tuple(make, shape, first):
    x = tg.arange(12.0).reshape(3, 4)
    result = x[make()]
    assert result.shape == shape
    assert result.numpy().ravel()[:4].tolist() == first


def test_list_of_lists_index_assignment_and_gradient():
    target = tg.zeros(3, 4)
    target[[[0, 1], [2, 2]]] = 5.0
    assert target.numpy()[[0, 1], [2, 2]].tolist() == [5.0, 5.0] and target.numpy().sum() == 10
    w = tg.arange(12.0).reshape(3, 4).requires_grad_()
    w[[[0, 2], [1, 3]]].sum().backward()
    assert w.grad.numpy()[0, 1] == 1 and w.grad.numpy()[2, 3] == 1 and w.grad.numpy().sum() == 2


# ------------------------------------------------------- std/var accumulate in float64
@pytest.mark.parametrize("values, expected", [
    ([1e20, -1e20, 3e20, 0.0], 1.707825127659933e20),  # the squares overflow float32
    ([1e-25, -1e-25, 3e-25, 0.0], 1.707825127659933e-25),  # and vanish below it
])
def test_float32_std_at_extreme_scales_accumulates_in_float64(values, expected):
    x = tg.tensor(values, requires_grad=True)
    spread = x.std()
    assert spread.dtype == np.float32
    np.testing.assert_allclose(spread.item(), expected, rtol=1e-6)
    spread.backward()
    deviation = np.array(values) - np.mean(values)  # d std/dx = (x - mean) / (std (N - 1))
    np.testing.assert_allclose(x.grad.numpy(), deviation / (expected * 3), rtol=1e-5)
    assert x.grad.dtype == np.float32
    if torch is not None:
        reference = torch.tensor(values).std()
        np.testing.assert_allclose(spread.item(), reference.item(), rtol=1e-6)


def test_var_whose_value_overflows_float32_is_inf_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = tg.tensor([1e20, -1e20, 3e20, 0.0]).var()
        assert value.item() == float("inf") and value.dtype == np.float32
        assert tg.tensor([1e300], dtype=tg.float64).float().item() == float("inf")


# ---------------------------------------- double backward through a mask: zeros, not None
def test_gradient_penalty_through_prelu_gives_zero_gradients_not_none():
    tg.manual_seed(0)
    x = tg.randn(4, 3, requires_grad=True)
    model = tg.nn.Sequential(tg.nn.Linear(3, 5), tg.nn.PReLU(), tg.nn.Linear(5, 1))
    (g,) = tg.autograd.grad(model(x).sum(), x, create_graph=True)
    (g**2).sum().backward()  # depends on x and the first bias only through PReLU's mask
    assert x.grad is not None and not x.grad.numpy().any()
    assert model[0].bias.grad is not None and not model[0].bias.grad.numpy().any()
    assert model[1].weight.grad is not None and model[1].weight.grad.numpy().any()


def test_hardshrink_second_derivative_is_zero():
    x = tg.tensor([-2.0, -0.3, 0.4, 1.5], dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(tg.nn.functional.hardshrink(x, 0.5).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), [1.0, 0.0, 0.0, 1.0])
    g.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


def test_poisson_nll_loss_full_gives_the_target_stirling_gradient():
    target = tg.tensor([3.0, 5.0, 0.5], requires_grad=True)
    rate = tg.tensor([1.0, 2.0, 0.3])
    tg.nn.functional.poisson_nll_loss(rate, target, full=True, reduction="sum").backward()
    t, x = np.array([3.0, 5.0, 0.5]), np.array([1.0, 2.0, 0.3])
    # d/dt (exp(x) - t x + [t > 1] (t log t - t + log(2 pi t) / 2)) = -x + [t > 1](log t + 1/(2t))
    expected = -x + np.where(t > 1, np.log(t) + 0.5 / t, 0.0)
    np.testing.assert_allclose(target.grad.numpy(), expected, rtol=1e-5)
    if torch is not None:
        reference = torch.tensor(t, dtype=torch.float32, requires_grad=True)
        torch.nn.functional.poisson_nll_loss(torch.tensor(x, dtype=torch.float32), reference,
                                             full=True, reduction="sum").backward()
        np.testing.assert_allclose(target.grad.numpy(), reference.grad.numpy(), rtol=1e-5)


# -------------------------------------------------------- remove_duplicate=False, memo
def test_named_modules_parameters_buffers_with_remove_duplicate_false():
    shared = tg.nn.Linear(2, 2)
    model = tg.nn.Sequential(shared, tg.nn.ReLU(), shared, tg.nn.BatchNorm1d(2))
    model.add_module("again", model[3])
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "3"]
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == [
        "", "0", "1", "2", "3", "again"]
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias", "again.weight",
        "again.bias"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "3.weight",
                                                         "3.bias"]
    assert [n for n, _ in model.named_buffers(remove_duplicate=False)][3:] == [
        "again.running_mean", "again.running_var", "again.num_batches_tracked"]
    assert [n for n, _ in model.named_modules(memo={shared})] == ["", "1", "3"]
    assert [n for n, _ in model.named_modules(prefix="top")][:2] == ["top", "top.0"]
    assert [n for n, _ in model.named_modules("top")][:2] == ["top", "top.0"]  # older form
    assert len(list(model.parameters())) == 4  # an optimizer still gets each once


# ---------------------------------------------------------------------- integer dtypes
@pytest.mark.parametrize("dtype, value", [(tg.int32, 2**31), (tg.int32, -(2**31) - 1),
                                          (tg.uint8, 256), (tg.uint8, -256), (tg.int8, 128),
                                          (tg.int32, 2.5e9), (tg.int32, float("nan")),
                                          (tg.int16, float("inf"))])
def test_a_number_the_integer_dtype_cannot_hold_is_refused_not_wrapped(dtype, value):
    with pytest.raises(RuntimeError, match="without overflow"):
        tg.tensor([value], dtype=dtype)
    with pytest.raises(OverflowError):
        tg.tensor(value, dtype=dtype)
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.tensor([value], dtype=getattr(torch, str(np.dtype(dtype))))


def test_numbers_at_the_integer_limits_are_kept():
    assert tg.tensor([2**31 - 1, -(2**31)], dtype=tg.int32).numpy().tolist() == [
        2**31 - 1, -(2**31)]
    assert tg.tensor([-1, -255, 255], dtype=tg.uint8).numpy().tolist() == [255, 1, 255]  # as
    assert tg.tensor([True, 2.7], dtype=tg.int64).numpy().tolist() == [1, 2]  # PyTorch
    assert tg.tensor(np.array([2**31]), dtype=tg.int32).numpy().tolist() == [-(2**31)]  # an
    # array is cast as NumPy casts it (PyTorch: the same)


def test_integer_dtype_of_sum_prod_cumsum_cumprod_is_kept():
    x = tg.tensor([100, 100], dtype=tg.int32)
    assert x.sum(dtype=tg.int8).dtype == np.int8 and x.sum(dtype=tg.int8).item() == -56
    assert x.cumsum(0, dtype=tg.int8).numpy().tolist() == [100, -56]
    assert x.prod(dtype=tg.int16).dtype == np.int16 and x.prod(dtype=tg.int16).item() == 10000
    assert x.cumprod(0, dtype=tg.int16).dtype == np.int16
    assert x.sum().dtype == np.int64 and tg.tensor([1, 2], dtype=tg.int16).sum().dtype == np.int64
    assert tg.tensor([200, 100], dtype=tg.uint8).sum().item() == 300
    assert x.cumsum(0).dtype == np.int64 and x.prod().dtype == np.int64


def test_integer_tensor_to_negative_integer_tensor_powers_is_elementwise():
    base = tg.tensor([0, 1, -1, 2, -2, 3, 0, 5])
    exponent = tg.tensor([-1, -2, -3, -1, -1, -2, 0, 2])
    assert (base**exponent).numpy().tolist() == [0, 1, -1, 0, 0, 0, 1, 25]
    assert (tg.tensor([2, 3]) ** tg.tensor(-1)).numpy().tolist() == [0, 0]
    with pytest.raises(ValueError, match="negative integer powers"):
        tg.tensor([2]) ** -1  # a Python int exponent: refused, as PyTorch
    if torch is not None:
        expected = torch.tensor(base.numpy()) ** torch.tensor(exponent.numpy())
        assert (base**exponent).numpy().tolist() == expected.tolist()


# -------------------------------------------------------------------- names from scripts
def test_jit_script_and_trace_hand_back_what_they_were_given():
    model = tg.nn.Linear(2, 3)
    assert tg.jit.script(model) is model
    assert tg.jit.trace(model, tg.ones(1, 2)) is model

    @tg.jit.script
    def double(x):
        return x * 2

    @tg.jit.ignore
    def same(x):
        return x

    assert double(tg.ones(2)).numpy().tolist() == [2.0, 2.0] and same(3) == 3
    assert tg.jit.is_scripting() is False and tg.jit.annotate(int, 5) == 5
    with pytest.raises(NotImplementedError, match="state_dict"):
        tg.jit.save(model, "model.pt")


@pytest.mark.parametrize("name, make", [
    ("ldexp", lambda L: L.ldexp(L.tensor([1.0, 2.0, 3.0]), L.tensor([1, 2, -1]))),
    ("angle", lambda L: L.angle(L.tensor([-2.5, 0.0, 3.0, float("nan"), -0.0]))),
    ("frexp", lambda L: L.frexp(L.tensor([8.0, -0.3, 0.0, 1e-30]))),
    ("nextafter", lambda L: L.nextafter(L.tensor([1.0, 2.0]), L.tensor([2.0, 0.0]))),
    ("ger", lambda L: L.ger(L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0, 5.0]))),
    ("histogram", lambda L: L.histogram(L.tensor([1.0, 2.0, 1.0, 4.0, 2.5]), bins=4)),
    ("histogram weighted", lambda L: L.histogram(
        L.tensor([1.0, 2.0, 1.0, 4.0, 2.5]), bins=L.tensor([0.0, 1.5, 5.0]),
        weight=L.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), density=True)),
    ("cumulative_trapezoid", lambda L: L.cumulative_trapezoid(
        L.tensor([1.0, 2.0, 4.0]), L.tensor([0.0, 0.5, 2.0]))),
    ("cumulative_trapezoid dx", lambda L: L.cumulative_trapezoid(
        L.tensor([[1.0, 2.0], [4.0, 0.0]]), dx=0.5, dim=0)),
    ("channel_shuffle", lambda L: L.nn.functional.channel_shuffle(
        L.arange(24.0).reshape(2, 6, 2, 1), 3)),
    ("pdist", lambda L: L.nn.functional.pdist(L.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]]))),
])
def test_names_found_missing_by_the_probes(name, make):
    results = make(tg)
    results = results if isinstance(results, tuple) else (results,)
    expected = {
        "ldexp": [[2.0, 8.0, 1.5]], "angle": [[np.pi, 0.0, 0.0, np.nan, 0.0]],
        "frexp": [[0.5, -0.6, 0.0, 0.6338253], [4, -1, 0, -99]], "ger": [[[3, 4, 5], [6, 8, 10]]],
        "histogram": [[2.0, 1.0, 1.0, 1.0], [1.0, 1.75, 2.5, 3.25, 4.0]],
        "cumulative_trapezoid": [[0.75, 5.25]], "cumulative_trapezoid dx": [[[1.25, 0.5]]],
        "pdist": [[5.0, np.sqrt(2.0), np.sqrt(13.0)]],
    }.get(name)
    if expected is not None:
        for result, values in zip(results, expected):
            np.testing.assert_allclose(result.numpy(), values, rtol=1e-6, equal_nan=True)
    if torch is not None:
        reference = make(torch)
        reference = reference if isinstance(reference, tuple) else (reference,)
        for result, ref in zip(results, reference):
            assert str(result.dtype) == str(ref.dtype)
            np.testing.assert_allclose(result.numpy(), ref.numpy(), rtol=1e-6, equal_nan=True)


def test_dirac_init_poisson_and_empty_strided():
    weight = tg.empty(6, 3, 3, 3)
    tg.nn.init.dirac_(weight, groups=2)
    values = weight.numpy()
    assert values.sum() == 6 and all(values[g * 3 + c, c, 1, 1] == 1 for g in (0, 1)
                                     for c in range(3))
    conv = tg.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    tg.nn.init.dirac_(conv.weight)
    image = tg.randn(1, 3, 5, 5)
    np.testing.assert_allclose(conv(image).detach().numpy(), image.numpy(), atol=1e-6)
    tg.manual_seed(0)
    counts = tg.poisson(tg.tensor([0.0, 4.0, 100.0]))
    assert counts.dtype == np.float32 and counts.numpy()[0] == 0
    assert np.all(counts.numpy() == np.round(counts.numpy()))
    assert tg.empty_strided((2, 3), (3, 1)).shape == (2, 3)


# ------------------------------------------------------- gradients at special values
def test_logaddexp_gradient_with_infinite_arguments():
    inf = float("inf")
    a = tg.tensor([inf, -inf, 1.0, 1000.0, -1000.0, 0.5], requires_grad=True)
    b = tg.tensor([1.0, 1.0, -inf, -1000.0, 1000.0, 0.25], requires_grad=True)
    tg.logaddexp(a, b).backward(tg.ones(6))
    share = 1 / (1 + np.exp(-0.25))  # sigmoid(a - b) at the finite pair
    np.testing.assert_allclose(a.grad.numpy(), [1, 0, 1, 1, 0, share], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [0, 1, 0, 0, 1, 1 - share], rtol=1e-6)
    x = tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([0.7, 2.0], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(tg.logaddexp, (x, y))
    assert tg.autograd.gradgradcheck(tg.logaddexp, (x, y))


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_sinc_gradient_is_zero_at_and_near_zero(dtype):
    x = tg.tensor([1e-40, 0.0, 1e-20, 0.3, -2.5], dtype=dtype, requires_grad=True)
    y = tg.sinc(x)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy()[:3], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy()[:3], [0.0, 0.0, 0.0], atol=1e-15)
    s = np.pi * np.array([0.3, -2.5])  # d/dx sin(pi x)/(pi x) = pi (cos s / s - sin s / s^2)
    np.testing.assert_allclose(x.grad.numpy()[3:], np.pi * (np.cos(s) / s - np.sin(s) / s**2),
                               rtol=1e-5)


# --------------------------------------------------------------- device= on the layers
@pytest.mark.parametrize("make", [
    lambda d: tg.nn.Linear(2, 3, device=d), lambda d: tg.nn.Conv1d(1, 2, 3, device=d),
    lambda d: tg.nn.Conv2d(1, 2, 3, device=d), lambda d: tg.nn.Conv3d(1, 2, 3, device=d),
    lambda d: tg.nn.ConvTranspose2d(1, 2, 3, device=d), lambda d: tg.nn.BatchNorm1d(3, device=d),
    lambda d: tg.nn.BatchNorm2d(3, device=d), lambda d: tg.nn.LayerNorm(3, device=d),
    lambda d: tg.nn.GroupNorm(1, 3, device=d), lambda d: tg.nn.Embedding(4, 2, device=d),
    lambda d: tg.nn.LSTM(2, 3, device=d), lambda d: tg.nn.GRU(2, 3, device=d),
    lambda d: tg.nn.RNN(2, 3, device=d), lambda d: tg.nn.LSTMCell(2, 3, device=d),
    lambda d: tg.nn.GRUCell(2, 3, device=d), lambda d: tg.nn.PReLU(device=d),
])
def test_layers_take_device_as_pytorch_and_refuse_a_gpu(make):
    layer = make("cpu")
    assert all(p.dtype == np.float32 for p in layer.parameters())
    make(tg.device("cpu"))
    with pytest.raises(RuntimeError, match="CPU only"):
        make("cuda")


def test_device_keyword_keeps_the_positional_dtype_order():
    layer = tg.nn.ConvTranspose1d(1, 2, 3, 1, 0, 0, 1, True, 1, "zeros", "cpu", tg.float64)
    assert layer.weight.dtype == np.float64
    assert tg.nn.Linear(2, 3, True, None, tg.float64).weight.dtype == np.float64


# ------------------------------------------------- autograd.Function with several outputs
def _split_function(L):
    class Split(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            (x,) = ctx.saved_tensors
            return g1 * 2 * x + g2 * 3

    return Split


def test_custom_function_with_two_outputs_gets_a_gradient_for_each():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = _split_function(tg).apply(x)
    (a.sum() + 10 * (b * b).sum()).backward()
    # d/dx [sum(2x) + 10 sum(9 x^2)], through the rule: g1 * 2x + g2 * 3 with g2 = 10 * 2 * 3x
    np.testing.assert_allclose(x.grad.numpy(), [182.0, 364.0])
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    a, b = _split_function(tg).apply(x)
    (gx,) = tg.autograd.grad((a * a).sum() + b.sum(), x, create_graph=True)
    (gxx,) = tg.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(gx.detach().numpy(), [11.0, 35.0])
    np.testing.assert_allclose(gxx.numpy(), [16.0, 48.0])
    if torch is not None:
        t = torch.tensor([1.0, 2.0], requires_grad=True)
        ta, tb = _split_function(torch).apply(t)
        (ta.sum() + 10 * (tb * tb).sum()).backward()
        assert t.grad.tolist() == [182.0, 364.0]


def test_custom_function_outputs_non_differentiable_and_non_tensor():
    class Max(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, indices = x.max(0)
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(x, indices)
            return values, indices, x.shape[0]

        @staticmethod
        def backward(ctx, grad_values, grad_indices, grad_count):
            assert grad_indices.numpy().tolist() == 0 and grad_count is None
            x, indices = ctx.saved_tensors
            grad = tg.zeros_like(x)
            grad[indices] = grad_values
            return grad

    x = tg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    values, indices, count = Max.apply(x)
    assert values.requires_grad and not indices.requires_grad and indices.dtype == np.int64
    assert count == 3
    values.backward()
    assert x.grad.numpy().tolist() == [0.0, 1.0, 0.0]

    class One(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return (x * 2,)

        @staticmethod
        def backward(ctx, g):
            return g * 2

    (single,) = One.apply(tg.ones(2, requires_grad=True))  # a 1-tuple stays a tuple
    assert single.requires_grad


def test_hardshrink_passes_nan_and_its_gradient_as_pytorch():
    x = tg.tensor([float("nan"), 0.2, -3.0], requires_grad=True)
    y = tg.nn.functional.hardshrink(x)
    y.backward(tg.ones(3))
    assert np.isnan(y.detach().numpy()[0]) and y.detach().numpy()[1:].tolist() == [0.0, -3.0]
    assert x.grad.numpy().tolist() == [1.0, 0.0, 1.0]  # PyTorch: NaN is not inside [-l, l]


# ------------------------------------------------------------- the review's findings
def test_review_findings_zero_d_power_bicubic_scale_and_multi_output_in_place():
    assert (tg.tensor(2) ** tg.tensor(-1)).item() == 0
    assert (tg.tensor(-1) ** tg.tensor(-3)).item() == -1
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    resized = tg.nn.functional.interpolate(tg.tensor(x), scale_factor=1.2, mode="bicubic")
    assert resized.shape == (1, 1, 4, 4) and not np.allclose(resized.numpy(), x)  # resampled

    class SinCos(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * x.cos() - grad_cos * x.sin()

    values = np.array([0.3, -1.2, 2.0])
    leaf = tg.tensor(values, requires_grad=True)
    s, c = SinCos.apply(leaf)
    s.add_(1)  # its own memory: the other output is untouched
    np.testing.assert_allclose(c.detach().numpy(), np.cos(values))
    (s * c).sum().backward()
    expected = np.cos(values) ** 2 - (np.sin(values) + 1) * np.sin(values)  # d/dx (sin+1) cos
    np.testing.assert_allclose(leaf.grad.numpy(), expected)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # (PyTorch's, too)
def test_review_findings_ldexp_angle_poisson_and_device():
    assert tg.ldexp(tg.tensor([1e-3], dtype=tg.float16), tg.tensor([20])).item() == 1049.0
    assert tg.ldexp(tg.tensor([1e-30]), tg.tensor([130])).item() == pytest.approx(1.3611e9, 1e-4)
    assert tg.ldexp(tg.tensor([1.0]), tg.tensor([1.0], dtype=tg.float64)).dtype == np.float64
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    tg.angle(x).sum().backward()  # in the graph, with derivative 0, as PyTorch
    assert x.grad.numpy().tolist() == [0.0, 0.0]
    rates = tg.tensor([1.0, 3.0], requires_grad=True)
    assert tg.poisson(rates).requires_grad
    for make in (lambda d: tg.nn.Bilinear(2, 2, 2, device=d),
                 lambda d: tg.nn.EmbeddingBag(4, 2, device=d),
                 lambda d: tg.nn.RMSNorm(3, device=d),
                 lambda d: tg.nn.MultiheadAttention(4, 2, device=d),
                 lambda d: tg.nn.Transformer(8, 2, 1, 1, 16, device=d)):
        make("cpu")
        with pytest.raises(RuntimeError, match="CPU only"):
            make("cuda")


@pytest.mark.parametrize("name", ["gelu", "softplus", "logsigmoid", "hardshrink", "softshrink",
                                  "relu_", "elu_", "selu_", "celu_", "leaky_relu_",
                                  "hardtanh_"])
def test_more_functional_forms_take_input_as_a_keyword(name):
    values = [-2.0, -0.5, 0.7, 3.0]
    function = getattr(tg.nn.functional, name)
    np.testing.assert_allclose(function(input=tg.tensor(values)).numpy(),
                               function(tg.tensor(values)).numpy())


def test_linear_prelu_and_threshold_in_place_take_input_keyword_and_named_modules_memo():
    F = tg.nn.functional
    x, w = tg.tensor([[1.0, 2.0]]), tg.tensor([[0.5, -1.0]])
    np.testing.assert_allclose(F.linear(input=x, weight=w).numpy(), [[-1.5]])
    np.testing.assert_allclose(F.prelu(input=tg.tensor([-2.0, 1.0]), weight=tg.tensor([0.25])
                                       ).numpy(), [-0.5, 1.0])
    y = tg.tensor([-2.0, 3.0])
    assert F.threshold_(input=y, threshold=0.0, value=9.0) is y and y.numpy().tolist() == [9, 3]
    model = tg.nn.Sequential(tg.nn.Linear(2, 2), tg.nn.ReLU(),
                             tg.nn.Sequential(tg.nn.Linear(2, 2)))
    memo: set = set()
    assert [n for n, _ in model.named_modules(memo)] == ["", "0", "1", "2", "2.0"]
    assert len(memo) == 5  # the caller's set is filled, as PyTorch's
    with pytest.raises(ValueError, match="must not be empty"):
        F.ctc_loss(tg.zeros(0, 2, 3), tg.tensor([[1], [1]]), [0, 0], [1, 1])


def test_full_backward_hook_grad_input_has_one_entry_per_positional_argument():
    class Scale(tg.nn.Module):
        def forward(self, x, factor, y):
            return x * factor + y

    module, seen = Scale(), []
    module.register_full_backward_hook(
        lambda mod, grad_input, grad_output: seen.append(grad_input))
    x, y = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    module(x, 5.0, y).sum().backward()
    (grad_x, grad_factor, grad_y), = seen  # PyTorch: None for the number, positions kept
    assert grad_factor is None and grad_x.numpy().tolist() == [5.0, 5.0]
    assert grad_y.numpy().tolist() == [1.0, 1.0]


def test_copies_and_gradients_follow_pytorch():
    import copy
    import pickle

    weight = tg.nn.Parameter(tg.ones(2))
    (weight * 2).sum().backward()
    assert copy.deepcopy(weight).grad is None  # an nn.Parameter's copy starts without one
    assert pickle.loads(pickle.dumps(weight)).grad is None
    plain = tg.ones(2, requires_grad=True)
    (plain * 2).sum().backward()
    assert copy.deepcopy(plain).grad.numpy().tolist() == [2.0, 2.0]  # a tensor's keeps it
    model = tg.nn.Linear(2, 1)
    model(tg.ones(1, 2)).sum().backward()
    assert copy.deepcopy(model).weight.grad is None
    w = tg.tensor([1.7, 2.2], requires_grad=True)
    buffer = tg.zeros(3, dtype=tg.int64)
    buffer[:2] = w
    assert not buffer.requires_grad and buffer.numpy().tolist() == [1, 2, 0]
    x = tg.ones(2, requires_grad=True)
    a, b = (x * 2).sum(), (x * 5).sum()
    with pytest.raises(RuntimeError, match="2 outputs and 1 gradients"):
        tg.autograd.grad([a, b], x, grad_outputs=[tg.tensor(1.0)])


@pytest.mark.parametrize("write", [lambda y: y.fill_(3.0), lambda y: y.zero_(),
                                   lambda y: y.copy_(tg.tensor([5.0, 6.0])),
                                   lambda y: y.copy_(tg.tensor([5.0, 6.0], requires_grad=True))])
def test_overwriting_a_result_gives_its_inputs_zero_gradients_not_none(write):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    write(y)
    (y * y).sum().backward()
    assert x.grad is not None and x.grad.numpy().tolist() == [0.0, 0.0]  # as PyTorch


def test_tensor_hooks_on_a_module_output_run_before_the_module_backward_hooks():
    layer = tg.nn.Linear(2, 1, bias=False)
    with tg.no_grad():
        layer.weight.fill_(1.0)
    seen = []
    layer.register_full_backward_pre_hook(lambda module, grad_output: (grad_output[0] * 10,))
    layer.register_full_backward_hook(lambda module, gi, go: seen.append(go[0].tolist()))
    x = tg.ones(1, 2, requires_grad=True)
    y = layer(x)
    y.register_hook(lambda g: g * 2)  # runs first: 3 -> 6, then the pre-hook: 6 -> 60
    y.retain_grad()
    (y * 3).sum().backward()
    assert y.grad.tolist() == [[6.0]] and seen == [[[60.0]]]
    assert x.grad.tolist() == [[60.0, 60.0]]  # PyTorch's numbers


# ------------------------------------------------------------------------- data loading
def test_default_collate_takes_the_dtype_from_every_number():
    from tinygrad_np.utils.data import default_collate

    mixed = default_collate([0, 0.5, 1.5])  # an int first: floats are not truncated
    assert mixed.dtype == np.float32 and mixed.numpy().tolist() == [0.0, 0.5, 1.5]
    assert default_collate([True, 2]).numpy().tolist() == [1, 2]
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([{"y": 1}, {"y": 2.5}])["y"].numpy().tolist() == [1.0, 2.5]
    x = tg.ones(2, requires_grad=True)
    assert default_collate([x * 2, x * 3]).requires_grad  # stacked in the graph
    if torch is not None:
        from torch.utils.data import default_collate as reference

        for batch in ([0, 0.5, 1.5], [True, 2], [3, 4], [1.5, 2]):
            ours, theirs = default_collate(batch), reference(batch)
            assert str(ours.dtype) == str(theirs.dtype)
            assert ours.numpy().tolist() == theirs.tolist()


def test_data_loader_samplers_getitems_chaining_and_generic_classes():
    from tinygrad_np.utils.data import (
        BatchSampler,
        DataLoader,
        Dataset,
        IterableDataset,
        SequentialSampler,
    )

    class Batched(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return index

        def __getitems__(self, indices):
            return [i * 100 for i in indices]

    assert [b.numpy().tolist() for b in DataLoader(Batched(), batch_size=3)] == [[0, 100, 200]]

    class ByList(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, indices):  # a whole batch of indices at once
            return sum(indices)

    loader = DataLoader(ByList(), sampler=BatchSampler(SequentialSampler(range(4)), 2, False),
                        batch_size=None)
    assert list(loader) == [1, 5]
    shuffled = DataLoader(list(range(5)), batch_size=2, shuffle=True)
    assert type(shuffled.sampler).__name__ == "RandomSampler" and len(shuffled.sampler) == 5
    assert len(shuffled.batch_sampler) == 3 == len(shuffled)

    class Stream(IterableDataset):
        def __iter__(self):
            return iter([1, 2])

    assert list(Stream() + Stream()) == [1, 2, 1, 2]
    assert Dataset[int] is Dataset and DataLoader[int] is DataLoader


# ------------------------------------------------------------------------- optimizers
def test_optimizer_step_and_state_dict_hooks():
    from tinygrad_np.optim.optimizer import register_optimizer_step_pre_hook

    w = tg.nn.Parameter(tg.tensor([1.0, 2.0]))
    opt = tg.optim.SGD([w], lr=0.1)
    log = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: log.append("pre"))
    post = opt.register_step_post_hook(lambda o, args, kwargs: log.append("post"))
    every = register_optimizer_step_pre_hook(lambda o, args, kwargs: log.append("global"))
    w.grad = tg.ones(2)
    opt.step()
    pre.remove()
    every.remove()
    opt.step()
    post.remove()
    opt.step()
    assert log == ["global", "pre", "post", "post"]  # PyTorch's order
    np.testing.assert_allclose(w.detach().numpy(), [0.7, 1.7], rtol=1e-6)
    opt.register_state_dict_post_hook(lambda o, state: {**state, "extra": 1})
    state = opt.state_dict()
    assert state["extra"] == 1
    opt.register_load_state_dict_pre_hook(
        lambda o, state: {k: v for k, v in state.items() if k != "extra"})
    loaded = []
    opt.register_load_state_dict_post_hook(lambda o: loaded.append(True))
    opt.load_state_dict(state)
    assert loaded == [True]


def test_optimizer_state_reloads_lbfgs_old_group_keys_and_user_step_tensors():
    import copy

    x = tg.nn.Parameter(tg.tensor([1.5, -0.5], dtype=tg.float64))

    def closure():
        opt.zero_grad()
        loss = ((x - 3) ** 2).sum() + (x[0] * x[1]) ** 2
        loss.backward()
        return loss

    opt = tg.optim.LBFGS([x], lr=0.5, max_iter=3)
    opt.step(closure)
    reloaded = tg.optim.LBFGS([x], lr=0.5, max_iter=3)
    reloaded.load_state_dict(copy.deepcopy(opt.state_dict()))  # it crashed here
    opt = reloaded
    opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), [2.660325, 0.303349], atol=1e-6)  # PyTorch
    p = tg.nn.Parameter(tg.tensor([1.0]))
    adam = tg.optim.Adam([p])
    p.grad = tg.ones(1)
    adam.step()
    state = adam.state_dict()
    for group in state["param_groups"]:  # a dict saved before these settings existed
        for key in ("maximize", "foreach", "capturable", "differentiable", "fused"):
            group.pop(key)
    adam.load_state_dict(state)
    p.grad = tg.ones(1)
    adam.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.998], rtol=1e-6)

    class Counting(tg.optim.Optimizer):  # a user's optimizer keeps its step a tensor
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        @tg.no_grad()
        def step(self):
            for group in self.param_groups:
                for param in group["params"]:
                    state = self.state[param]
                    state.setdefault("step", tg.tensor(0.0)).add_(1)

    q = tg.nn.Parameter(tg.ones(1))
    counting = Counting([q])
    counting.step()
    counting.load_state_dict(counting.state_dict())
    counting.step()
    assert isinstance(counting.state[q]["step"], tg.Tensor)
    assert counting.state[q]["step"].item() == 2.0


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "NAdam",
                                  "RAdam", "RMSprop", "Rprop", "ASGD", "SGD"])
def test_an_infinite_or_nan_gradient_steps_without_numpy_warnings(name):
    import warnings

    p = tg.nn.Parameter(tg.tensor([1.0, 2.0]))
    opt = getattr(tg.optim, name)([p], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch is silent; the values are its (NaN, then
        for grad in ([float("inf"), 1.0], [float("nan"), 1.0], [1.0, 1.0]):  # NaN stays)
            p.grad = tg.tensor(grad)
            opt.step()
    if name == "Rprop":  # its update is a sign: PyTorch's sign of NaN is 0, no step there
        np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.636], rtol=1e-6)  # PyTorch's
    else:
        assert np.isnan(p.detach().numpy()[0]) and np.isfinite(p.detach().numpy()[1])


def test_adagrad_starts_every_sum_at_the_constructors_value_as_pytorch():
    a, b = tg.nn.Parameter(tg.tensor([1.0])), tg.nn.Parameter(tg.tensor([1.0]))
    opt = tg.optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}],
                           lr=0.1)
    a.grad, b.grad = tg.ones(1), tg.ones(1)
    opt.step()
    assert opt.state[b]["sum"].tolist() == [1.0]  # 0 + 1^2: the group's 3.0 is not used
    np.testing.assert_allclose(b.detach().numpy(), [0.9], rtol=1e-6)


def test_a_scheduler_stepped_before_its_optimizer_warns_as_pytorch():
    import warnings

    w = tg.nn.Parameter(tg.ones(1))
    opt = tg.optim.SGD([w], lr=0.1)
    scheduler = tg.optim.lr_scheduler.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        scheduler.step()
    opt = tg.optim.SGD([w], lr=0.1)
    scheduler = tg.optim.lr_scheduler.StepLR(opt, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.grad = tg.ones(1)
        opt.step()
        scheduler.step()  # the right order: silent


def test_inference_mode_query_and_deleting_grad():
    assert not tg.is_inference_mode_enabled()
    with tg.inference_mode():
        assert tg.is_inference_mode_enabled()
        with tg.inference_mode(False):
            assert not tg.is_inference_mode_enabled()
        assert tg.is_inference_mode_enabled()
    assert not tg.is_inference_mode_enabled()
    x = tg.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    del x.grad  # as PyTorch: None again
    assert x.grad is None


def test_in_place_activation_or_augmented_power_on_a_view_of_a_live_result():
    layer = tg.nn.Linear(4, 8)
    h = layer(tg.ones(3, 4))
    g = tg.nn.ReLU(inplace=True)(h[:, :4])  # a view of h, which is still in use: the result
    (g * h[:, 4:]).sum().backward()  # is computed out of place (no error), as before
    assert layer.weight.grad is not None
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = a * 1
    h[:, 0] **= 2  # Python assigns h[:, 0] ** 2 back: recorded, PyTorch's gradient
    h.sum().backward()
    assert a.grad.numpy().tolist() == [[2.0, 1.0], [6.0, 1.0]]
    b = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    whole = b * 1
    alias = whole
    whole **= 2  # no view in use: in place
    assert alias is whole and alias.detach().numpy().tolist() == [[1.0, 4.0], [9.0, 16.0]]


def test_poisson_nll_full_with_an_infinite_target_is_nan_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = tg.nn.functional.poisson_nll_loss(tg.tensor([0.5]), tg.tensor([float("inf")]),
                                                 full=True)
    assert np.isnan(loss.item())


def test_bare_inference_mode_decorator_notes_the_mode():
    @tg.inference_mode
    def inside():
        return tg.is_inference_mode_enabled(), tg.is_grad_enabled()

    assert inside() == (True, False)
    assert not tg.is_inference_mode_enabled() and tg.is_grad_enabled()


def test_full_and_float_values_in_integer_dtypes_follow_pytorch():
    assert tg.full((2,), -1, dtype=tg.uint8).numpy().tolist() == [255, 255]  # a wrapped int
    for value in (256, -1.0, 255.5):
        with pytest.raises(RuntimeError, match="without overflow"):
            tg.full((2,), value, dtype=tg.uint8)
    assert tg.tensor(2147483647.0, dtype=tg.int32).item() == 2147483647  # exact (float64)
    with pytest.raises(RuntimeError, match="without overflow"):
        tg.tensor([-0.5], dtype=tg.uint8)  # a negative float does not wrap, as in PyTorch
    assert tg.full((2,), 3.0, dtype=tg.uint8).numpy().tolist() == [3, 3]


def test_default_collate_keeps_mapping_types_and_string_tuples():
    import collections

    from tinygrad_np.utils.data import default_collate

    pairs = default_collate([("a", 1), ("b", 2)])
    assert pairs[0] == ("a", "b") and pairs[1].numpy().tolist() == [1, 2]  # as PyTorch
    ordered = default_collate([collections.OrderedDict(x=1.0), collections.OrderedDict(x=2.0)])
    assert type(ordered) is collections.OrderedDict
