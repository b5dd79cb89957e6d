"""The graph walk: regressions, errors, memory release, and higher-order gradients."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Function, Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ----------------------------------------------------------------------------- regressions


def test_diamond_sums_both_paths():
    a = leaf([1.0, -2.0])
    b = a + a
    c = b + b
    c.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(a.grad._data, [4.0, 40.0])


class CountingHalf(Function):
    """y = x / 2, counting how often its backward runs."""

    calls = 0

    def forward(ctx, x):
        return x * 0.5

    def backward(ctx, grad_output):
        CountingHalf.calls += 1
        return grad_output * 0.5


def test_stacked_diamonds_visit_each_node_once():
    """p = p*0.5 + p*0.5, 25 times: 2**25 paths, but each node must be visited once."""
    CountingHalf.calls = 0
    x = leaf([3.0])
    p = x
    for _ in range(25):
        p = CountingHalf.apply(p) + CountingHalf.apply(p)
    p.backward(np.ones(1))
    assert CountingHalf.calls == 50
    np.testing.assert_allclose(x.grad._data, [1.0])


def test_100000_op_chain_backpropagates():
    x = leaf([1.0, 2.0])
    y = x
    for step in range(100_000):
        y = y * 1.0 if step % 2 else y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [1.0, 1.0])
    np.testing.assert_array_equal(y._data, [50_001.0, 50_002.0])


def test_leaves_with_equal_values_are_distinct():
    a = leaf([1.0, 2.0])
    b = leaf([1.0, 2.0])
    (a * 2 + b * 3).sum().backward()
    np.testing.assert_array_equal(a.grad._data, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad._data, [3.0, 3.0])


def test_same_leaf_on_both_sides_of_an_op():
    x = leaf([3.0])
    (x * x).backward(np.ones(1))
    np.testing.assert_array_equal(x.grad._data, [6.0])


def test_gradients_accumulate_over_separate_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [3.0 + 2.0, 3.0 + 4.0])
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [2.0, 2.0])


def test_leaf_gradient_is_not_shared_with_another_leaf():
    """Add hands one array to both inputs; each leaf must still own its gradient."""
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).backward(np.ones(1))
    a.grad._data[0] = 100.0
    assert b.grad._data[0] == 1.0


def test_backward_on_a_leaf():
    x = leaf(2.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_integer_constants_do_not_change_gradient_dtype():
    x = leaf([1.0, 2.0], dtype=np.float32)
    (x * np.arange(2)).sum().backward()
    assert x.grad.dtype == np.float32


# ----------------------------------------------------------------------------- backward twice


def test_second_backward_raises_a_clear_error():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad._data, [4.0, 8.0])


def test_saved_arrays_are_released_after_backward():
    x = leaf(np.ones((50, 50)))
    hidden = (x * 2).exp()
    hidden_array = weakref.ref(hidden._data)
    loss = hidden.sum()
    del hidden
    gc.collect()
    assert hidden_array() is not None  # the graph keeps it for backward
    loss.backward()
    gc.collect()
    assert hidden_array() is None  # released, though `loss` is still alive


# ----------------------------------------------------------------------------- no_grad, detach


def test_no_grad_records_nothing():
    x = leaf([1.0])
    with tg.no_grad():
        y = x * 2
        assert not tg.is_grad_enabled()
        with tg.enable_grad():
            z = x * 2
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_as_decorator():
    @tg.no_grad()
    def double(t):
        return t * 2

    assert not double(leaf([1.0])).requires_grad


def test_detach_cuts_the_graph():
    x = leaf([2.0])
    y = x * x.detach()
    y.backward(np.ones(1))
    np.testing.assert_array_equal(x.grad._data, [2.0])  # only the non-detached path
    assert not x.detach().requires_grad
    assert np.shares_memory(x.detach()._data, x._data)


# ----------------------------------------------------------------------------- errors


def test_requires_grad_on_integer_tensor():
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.array([1, 2]), requires_grad=True)


def test_backward_of_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*gradient="):
        (x * 2).backward()


def test_backward_gradient_shape_is_checked():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(3,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_without_requires_grad():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        Tensor([1.0]).sum().backward()


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    message = str(info.value)
    assert "Add" in message and "(2, 3)" in message and "(4,)" in message


def test_matmul_error_names_op_and_shapes():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    message = str(info.value)
    assert "MatMul" in message and "(2, 3)" in message and "(4, 5)" in message


class WrongShape(Function):
    """A buggy user op whose backward returns the wrong shape."""

    def forward(ctx, x):
        return x.sum(axis=0)

    def backward(ctx, grad_output):
        return np.ones(7)


def test_wrong_gradient_shape_from_an_op_is_named():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"WrongShape.*\(7,\).*\(2, 3\)"):
        WrongShape.apply(x).backward(np.ones(3))


def test_in_place_on_a_leaf_requiring_grad():
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0
    with tg.no_grad():
        w -= 0.5
    np.testing.assert_array_equal(w._data, [0.5])
    assert w.requires_grad and w.is_leaf


# ----------------------------------------------------------------------------- user Functions


class Cube(Function):
    """y = x**3;  dx = 3 x**2 g, written only with operators: works for higher order too."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x * x * grad_output


def test_user_function_first_and_second_order():
    x = leaf([2.0])
    (first,) = tg.grad(Cube.apply(x).sum(), x, create_graph=True)
    (second,) = tg.grad(first.sum(), x)
    np.testing.assert_allclose(first._data, [12.0])
    np.testing.assert_allclose(second._data, [12.0])
    assert tg.gradcheck(lambda t: Cube.apply(t), [leaf([0.3, -1.2])])


def test_needs_input_grad_skips_unneeded_gradients():
    seen = []

    class Probe(Function):
        def forward(ctx, a, b):
            seen.append(ctx.needs_input_grad)
            return a * b

        def backward(ctx, grad_output):
            return grad_output, None

    Probe.apply(leaf([1.0]), Tensor([2.0])).backward(np.ones(1))
    assert seen == [(True, False)]


# ----------------------------------------------------------------------------- tg.grad


def test_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = tg.grad((x * x).sum(), x)
    np.testing.assert_array_equal(g._data, [2.0, 4.0])
    assert x.grad is None


def test_grad_of_intermediate_and_several_inputs():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    hidden = x * w
    loss = (hidden * hidden).sum()
    g_hidden, g_w = tg.grad(loss, [hidden, w])
    np.testing.assert_allclose(g_hidden._data, 2 * hidden._data)
    np.testing.assert_allclose(g_w._data, 2 * hidden._data * x._data)


def test_grad_unused_input():
    x, unused = leaf([1.0]), leaf([1.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.grad((x * 2).sum(), [x, unused])
    g_x, g_unused = tg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert g_unused is None and g_x.item() == 2.0


def test_grad_of_an_output_that_does_not_require_grad():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="output 0 does not require grad"):
        tg.grad(Tensor([1.0]).sum(), x)


def test_grad_with_grad_outputs():
    x = leaf([1.0, 2.0])
    (g,) = tg.grad(x * x, x, grad_outputs=Tensor(np.array([10.0, 100.0])))
    np.testing.assert_array_equal(g._data, [20.0, 400.0])


# ----------------------------------------------------------------------------- higher order


def test_second_derivative_of_cube():
    x = leaf(1.5)
    (dy,) = tg.grad(x**3, x, create_graph=True)
    (d2y,) = tg.grad(dy, x, create_graph=True)
    (d3y,) = tg.grad(d2y, x)
    assert dy.item() == pytest.approx(3 * 1.5**2)
    assert d2y.item() == pytest.approx(6 * 1.5)
    assert d3y.item() == pytest.approx(6.0)


def test_backward_with_create_graph_sets_differentiable_grad():
    x = leaf([0.5, -1.0])
    (x.sin() * x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    x.grad = None
    first.sum().backward()
    expected = 2 * np.cos(x._data) - x._data * np.sin(x._data)  # d2/dx2 of x sin x
    np.testing.assert_allclose(x.grad._data, expected)


def mlp_loss(params, inputs, target):
    w1, b1, w2, b2 = params
    hidden = (inputs @ w1 + b1).tanh()
    logits = hidden @ w2 + b2
    return -(logits.log_softmax(axis=1)[np.arange(len(target)), target]).mean()


def _mlp_case(seed=0):
    rng = np.random.default_rng(seed)
    params = [leaf(rng.normal(size=(4, 5))), leaf(rng.normal(size=5)),
              leaf(rng.normal(size=(5, 3))), leaf(rng.normal(size=3))]
    inputs = Tensor(rng.normal(size=(6, 4)))
    target = rng.integers(0, 3, 6)
    vector = [rng.normal(size=p.shape) for p in params]
    return params, inputs, target, vector


def test_hessian_vector_product_matches_finite_differences_of_the_gradient():
    params, inputs, target, vector = _mlp_case()
    grads = tg.grad(mlp_loss(params, inputs, target), params, create_graph=True)
    dot = sum((g * Tensor(v)).sum() for g, v in zip(grads, vector))
    hvp = tg.grad(dot, params)

    eps = 1e-5

    def gradient_at(shift):
        moved = [leaf(p._data + shift * v) for p, v in zip(params, vector)]
        return [g._data for g in tg.grad(mlp_loss(moved, inputs, target), moved)]

    numerical = [(a - b) / (2 * eps) for a, b in zip(gradient_at(eps), gradient_at(-eps))]
    for analytic, expected in zip(hvp, numerical):
        np.testing.assert_allclose(analytic._data, expected, rtol=1e-5, atol=1e-7)


def test_hessian_vector_product_matches_pytorch():
    torch = pytest.importorskip("torch")
    params, inputs, target, vector = _mlp_case(1)
    grads = tg.grad(mlp_loss(params, inputs, target), params, create_graph=True)
    hvp = tg.grad(sum((g * Tensor(v)).sum() for g, v in zip(grads, vector)), params)

    torch_params = [torch.tensor(p._data, requires_grad=True) for p in params]
    w1, b1, w2, b2 = torch_params
    logits = torch.tanh(torch.tensor(inputs._data) @ w1 + b1) @ w2 + b2
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(target))
    torch_grads = torch.autograd.grad(loss, torch_params, create_graph=True)
    dot = sum((g * torch.tensor(v)).sum() for g, v in zip(torch_grads, vector))
    torch_hvp = torch.autograd.grad(dot, torch_params)
    for ours, theirs in zip(hvp, torch_hvp):
        np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-9, atol=1e-12)


def test_gradient_penalty_matches_pytorch():
    """d/dw of ||d loss / d x||^2: the WGAN-GP pattern, through matmul, sigmoid, sum."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x_value, w_value = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))

    x, w = leaf(x_value), leaf(w_value)
    (g_x,) = tg.grad((x @ w).sigmoid().sum(), x, create_graph=True)
    ((g_x * g_x).sum()).backward()

    tx = torch.tensor(x_value, requires_grad=True)
    tw = torch.tensor(w_value, requires_grad=True)
    (tg_x,) = torch.autograd.grad(torch.sigmoid(tx @ tw).sum(), tx, create_graph=True)
    (tg_x * tg_x).sum().backward()
    np.testing.assert_allclose(w.grad._data, tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad._data, tx.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid",
                                  "softmax", "log_softmax", "abs", "relu"])
def test_second_derivatives_of_elementwise_ops(name):
    x = leaf([0.7, 1.3, 2.1])
    (first,) = tg.grad(getattr(x, name)().sum(), x, create_graph=True)
    if not first.requires_grad:  # abs, relu: piecewise linear, the gradient is constant
        second = tg.zeros_like(x)
    else:
        (second,) = tg.grad((first * Tensor([1.0, -2.0, 0.5])).sum(), x)

    def first_derivative(values):
        t = leaf(values)
        return tg.grad(getattr(t, name)().sum(), t)[0]._data

    eps = 1e-6
    numerical = np.array([
        (first_derivative(x._data + eps * e) - first_derivative(x._data - eps * e)) / (2 * eps)
        for e in np.eye(3)
    ]).T @ np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(second._data, numerical, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- stability


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_are_finite_without_warnings(dtype):
    logits = leaf([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]], dtype=dtype)
    probabilities = logits.softmax(axis=1)
    log_probabilities = logits.log_softmax(axis=1)
    gates = logits.sigmoid()
    np.testing.assert_allclose(probabilities._data, [[1, 0, 0], [0, 0, 1]], atol=1e-30)
    np.testing.assert_allclose(log_probabilities._data, [[0, -2000, -1000], [-2000, -2000, 0]])
    np.testing.assert_allclose(gates._data, [[1, 0, 0.5], [0, 0, 1]], atol=1e-30)
    upstream = np.arange(6.0).reshape(2, 3).astype(dtype)
    for output in (probabilities, log_probabilities, gates):
        logits.grad = None
        output.backward(upstream)
        assert np.all(np.isfinite(logits.grad._data))


def test_grad_outputs_as_a_number_and_as_a_list():
    x = leaf(3.0)
    with pytest.raises(TypeError, match="gradients can be either Tensors or None"):
        tg.grad(x * x, x, grad_outputs=2.0)  # a number: PyTorch's TypeError
    (g,) = tg.grad(x * x, x, grad_outputs=tg.tensor(2.0))
    assert g.item() == 12.0
    y = leaf([1.0, 2.0])
    g_y, = tg.grad([y * 2, y * 3], y, grad_outputs=[np.ones(2), np.full(2, 10.0)])
    np.testing.assert_array_equal(g_y._data, [32.0, 32.0])


def test_mean_of_an_empty_tensor_is_nan():
    assert np.isnan(Tensor(np.zeros((0, 3))).mean().item())


# ----------------------------------------------------------------------------- inspection


def test_retain_grad_keeps_an_intermediate_gradient():
    x = leaf([1.0, 2.0])
    hidden = x * 3
    hidden.retain_grad()
    (hidden * hidden).sum().backward()
    np.testing.assert_allclose(hidden.grad._data, 2 * hidden._data)
    np.testing.assert_allclose(x.grad._data, 18 * x._data)
    other = x * 2
    with pytest.warns(UserWarning, match="not a leaf"):  # PyTorch's warning
        assert other.grad is None  # only tensors that asked


def test_detect_anomaly_names_the_op_and_where_it_was_created():
    x = leaf([0.0, 1.0])
    with tg.detect_anomaly():
        root = x.sqrt()  # the line the error must point at
        loss = (root * 0.0).sum()
        with np.errstate(divide="ignore", invalid="ignore"), \
                pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert "Sqrt.backward" in message and "root = x.sqrt()" in message
    assert not tg.is_anomaly_enabled()


def test_without_detect_anomaly_nan_gradients_pass_silently_like_pytorch():
    x = leaf([0.0, 1.0])
    loss = (x.sqrt() * 0.0).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        loss.backward()
    assert np.isnan(x.grad._data[0])


def test_backward_restores_the_cycle_collector_state():
    import gc

    x = leaf([1.0])
    assert gc.isenabled()
    (x * 2).sum().backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * 2).sum().backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_zero_d_leaf_gradient_is_an_array():
    x = leaf(2.0)
    (x * x).backward()
    assert isinstance(x.grad._data, np.ndarray)
    x.grad.zero_()
    assert x.grad.item() == 0.0


@pytest.mark.parametrize("name", ["exp", "sqrt", "tanh", "sigmoid"])
def test_second_derivative_of_ops_on_a_0d_tensor(name):
    """0-d ops return NumPy scalars; the saved output must still be found for create_graph."""
    x = leaf(0.3)
    (first,) = tg.grad(getattr(x, name)(), x, create_graph=True)
    (second,) = tg.grad(first, x)
    eps = 1e-6

    def derivative(value):
        t = leaf(value)
        return tg.grad(getattr(t, name)(), t)[0].item()

    expected = (derivative(0.3 + eps) - derivative(0.3 - eps)) / (2 * eps)
    assert second.item() == pytest.approx(expected, rel=1e-6)


def test_hessian_of_a_0d_power_is_symmetric():
    x = leaf([0.7, 1.1, 1.6])
    (first,) = tg.grad(x[2].abs() ** x[0], x, create_graph=True)
    rows = [tg.grad(first[i], x, allow_unused=True, retain_graph=True)[0] for i in range(3)]
    hessian = np.stack([np.zeros(3) if r is None else r._data for r in rows])
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-12)
    assert hessian[0, 0] == pytest.approx(np.log(1.6) ** 2 * 1.6**0.7)


def test_pow_gradients_at_zero_are_zero_like_pytorch():
    x = leaf([0.0, 2.0])
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0.0, 0.0])
    base, exponent = leaf([0.0, 2.0]), leaf([2.0, 3.0])
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad._data, [0.0, 8.0 * np.log(2.0)])


def test_second_derivative_through_detach_is_zero():
    x = leaf([1.5])
    (first,) = tg.grad((x * x.detach()).sum(), x, create_graph=True)
    np.testing.assert_array_equal(first._data, [1.5])
    assert not first.requires_grad  # d/dx of x * const is the constant: no graph


def test_user_backward_may_return_none_for_an_intermediate():
    class StopGradient(Function):
        def forward(ctx, x):
            return x.copy()

        def backward(ctx, grad_output):
            return None

    x = leaf([2.0])
    y = leaf([3.0])
    (StopGradient.apply(x * 2) + y).sum().backward()
    assert x.grad is None and y.grad.item() == 1.0


def test_casting_to_int_cuts_the_graph():
    x = leaf([1.7, 2.2])
    assert not x.long().requires_grad


def test_zero_on_a_tensor_in_the_graph_is_refused():
    w = leaf([2.0])
    (w * w).sum()
    with pytest.raises(RuntimeError, match="no_grad"):
        w.zero_()


def test_permute_with_negative_axes():
    x = leaf(np.arange(27.0).reshape(3, 3, 3))
    upstream = np.random.default_rng(0).standard_normal((3, 3, 3))
    x.permute(-1, 0, 1).backward(upstream)
    np.testing.assert_array_equal(x.grad._data, upstream.transpose(1, 2, 0))


def test_pow_with_an_array_exponent_of_zero_at_zero():
    x = leaf([0.0, 1.0])
    (x ** np.array([0.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0.0, 2.0])


def test_in_place_change_of_a_saved_constant_makes_backward_raise():
    """As PyTorch's version counters: the values w was multiplied by are gone, so say so."""
    w = leaf([1.0, 2.0])
    d = Tensor(np.array([3.0, 4.0]))
    y = (w * d).sum()
    d += 100.0
    np.testing.assert_array_equal(d._data, [103.0, 104.0])
    with pytest.raises(RuntimeError, match="Mul saved for backward .*in-place"):
        y.backward()


def test_item_assignment_to_a_saved_constant_makes_backward_raise():
    w = leaf([1.0, 2.0])
    d = Tensor(np.array([3.0, 4.0]))
    y = (w * d).sum()
    d[0] = -50.0
    with pytest.raises(RuntimeError, match="version 1"):
        y.backward()


def test_a_chain_of_adds_keeps_only_what_backward_needs():
    """Add saves nothing, so ten chained `y = y + 1` on an 8 MB array hold the input and the
    result (2 arrays), not all eleven (a node keeps shapes, not its operands)."""
    import tracemalloc

    x = Tensor(np.zeros(1_000_000), requires_grad=True)  # 8 MB of float64
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = x
        for _ in range(10):
            y = y + 1
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2 * 8_000_000  # the result alone; x was allocated before
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.ones(1_000_000))


def test_exp_chain_keeps_each_saved_output_once():
    """exp saves its output: n chained exps hold n arrays (as PyTorch), not 2n."""
    import tracemalloc

    x = Tensor(np.zeros(100_000), requires_grad=True)  # 0.8 MB
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        y = x
        for _ in range(5):
            y = (y * 0.5).exp()  # Mul saves its input, Exp its output: one array each step
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 6 * 800_000  # five exp outputs (Mul saves the previous one: the same array)


def test_grad_takes_pytorchs_keywords_in_pytorchs_order():
    x = tg.tensor([1.0, float("nan")], requires_grad=True)
    unused = tg.tensor([[2.0, 3.0]], requires_grad=True)
    y = (x * 3).sum()
    # PyTorch's order: ..., allow_unused, is_grads_batched, materialize_grads
    gx, gu = tg.autograd.grad(y, [x, unused], None, True, False, True, None, False, True)
    np.testing.assert_array_equal(gx.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(gu.numpy(), [[0.0, 0.0]])  # zeros, not None
    assert gu.dtype == unused.dtype and not gu.requires_grad
    (gx,) = tg.grad(y, x, retain_graph=True, only_inputs=True)
    np.testing.assert_array_equal(gx.numpy(), [3.0, 3.0])
    assert tg.grad(y, [x, unused], allow_unused=True, retain_graph=True)[1] is None
    z = (x * x).sum()
    gx, gu = tg.grad(z, [x, unused], create_graph=True, materialize_grads=True)
    assert gu.shape == (1, 2) and float(gu.sum().item()) == 0.0


def test_grad_materialize_grads_vs_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        u = lib.tensor([float("nan"), 1.0], requires_grad=True)
        grads = lib.autograd.grad((x ** 2).sum(), [x, u], materialize_grads=True)
        results.append([np.asarray(g.detach().numpy() if lib is torch else g.numpy())
                        for g in grads])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_backward_inputs_may_be_intermediate_results_as_in_pytorch():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_array_equal(h.grad.numpy(), [4.0, 8.0, 12.0])  # d(h^2)/dh = 2h
    assert x.grad is None
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    h.retain_grad()  # retained and asked for: its gradient is added once
    (h * h).sum().backward(inputs=[h, x])
    np.testing.assert_array_equal(h.grad.numpy(), [4.0, 8.0, 12.0])
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 16.0, 24.0])


def test_a_retained_gradient_is_filled_even_when_backward_is_given_inputs():
    x = tg.tensor([0.3, -1.2], requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward(inputs=[x])
    np.testing.assert_allclose(h.grad.numpy(), [1.2, -4.8], rtol=1e-6)  # as PyTorch
    np.testing.assert_allclose(x.grad.numpy(), [2.4, -9.6], rtol=1e-6)
    w = tg.tensor([1.0, 1.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert w.grad is None  # a leaf not asked for stays untouched
