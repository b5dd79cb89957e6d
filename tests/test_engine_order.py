"""The backward pass's order (newest node first) and the float operands of float32 arithmetic
(passed to NumPy as 0-d float32 arrays): written from the outside, checked against float64
central differences, plain NumPy and PyTorch where it is installed."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.function import Function
from tinygrad_np.viz.trace import topological_order

try:
    import torch
except ImportError:  # the comparisons below then use NumPy and finite differences
    torch = None


def random_graph(seed: int, leaves: list, size: int = 40):
    """A random DAG over `leaves`, whose nodes are created in an order unrelated to their
    depth: every op picks earlier results at random, some used many times, some never."""
    rng = np.random.default_rng(seed)
    values = list(leaves)
    for _ in range(size):
        a, b = (values[i] for i in rng.integers(0, len(values), 2))
        kind = rng.integers(0, 4)
        values.append(a * b if kind == 0 else a + b * 0.5 if kind == 1 else
                      (a - b).tanh() if kind == 2 else a.sigmoid() * 1.5)
    return sum(values[len(leaves):], values[0] * 0.0)


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_against_finite_differences(seed):
    start = np.random.default_rng(100 + seed).uniform(-1, 1, (3, 4))
    leaves = [tg.tensor(row, requires_grad=True) for row in start]
    random_graph(seed, leaves).sum().backward()

    def f(rows):
        return float(random_graph(seed, [tg.tensor(r) for r in rows]).sum().item())

    eps = 1e-6
    for i in range(3):
        for j in range(4):
            up, down = start.copy(), start.copy()
            up[i, j] += eps
            down[i, j] -= eps
            expected = (f(up) - f(down)) / (2 * eps)
            assert leaves[i].grad._data[j] == pytest.approx(expected, rel=1e-6, abs=1e-8)


@pytest.mark.skipif(torch is None, reason="needs PyTorch")
@pytest.mark.parametrize("seed", range(4))
def test_random_graphs_against_pytorch(seed):
    start = np.random.default_rng(seed).uniform(-1, 1, (3, 5)).astype(np.float32)
    ours = [tg.tensor(row, requires_grad=True) for row in start]
    theirs = [torch.tensor(row, requires_grad=True) for row in start]
    random_graph(seed, ours).sum().backward()
    random_graph(seed, theirs).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_topological_order_lists_every_consumer_before_its_producer():
    leaves = [tg.tensor(np.ones(2), requires_grad=True) for _ in range(3)]
    root = random_graph(3, leaves, size=60).sum().grad_fn
    order = topological_order([root])
    position = {node: i for i, node in enumerate(order)}
    assert order[0] is root
    for node in order:
        for parent in node.parents:
            if isinstance(parent, Function):
                assert position[parent] > position[node]


def test_graphs_built_by_two_threads_at_once_stay_ordered():
    """Nodes get their numbers from one counter: two threads interleaving their ops still
    give each graph a valid order, and each its own right gradient."""
    results, barrier = {}, threading.Barrier(2)

    def build(index):
        x = tg.tensor([0.5, -0.25], requires_grad=True)
        barrier.wait()
        y = x
        for step in range(300):
            y = y * 1.001 + x * 0.001 if step % 2 else (y - x * 0.5).tanh() + x
        y.sum().backward()
        results[index] = x.grad._data.copy()

    threads = [threading.Thread(target=build, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    x = tg.tensor([0.5, -0.25], requires_grad=True)
    y = x
    for step in range(300):
        y = y * 1.001 + x * 0.001 if step % 2 else (y - x * 0.5).tanh() + x
    y.sum().backward()
    np.testing.assert_array_equal(results[0], x.grad._data)
    np.testing.assert_array_equal(results[1], x.grad._data)


def test_a_branch_no_gradient_reaches_is_not_run():
    calls = []

    class Spy(Function):
        def forward(ctx, x):
            return x * 2

        def backward(ctx, grad_output):
            calls.append(1)
            return grad_output * 2

    class Blocker(Function):  # a gradient of None for its input
        def forward(ctx, x):
            return x + 1

        def backward(ctx, grad_output):
            return (None,)

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = Blocker.apply(Spy.apply(x)) + x * 3
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [3.0, 3.0])
    assert calls == []


# ------------------------------------------------------------- float operands of float32
NUMBERS = [1.0001, -2.5, 1e-30, 3.4e38, 1e300, -1e300, float("inf"), -float("inf"),
           0.0, -0.0, float("nan"), 7.0, 1 / 3]
OPS = {
    "mul": (lambda x, c: x * c, lambda a, c: a * np.float32(c)),
    "rmul": (lambda x, c: c * x, lambda a, c: np.float32(c) * a),
    "add": (lambda x, c: x + c, lambda a, c: a + np.float32(c)),
    "radd": (lambda x, c: c + x, lambda a, c: np.float32(c) + a),
    "sub": (lambda x, c: x - c, lambda a, c: a - np.float32(c)),
    "rsub": (lambda x, c: c - x, lambda a, c: np.float32(c) - a),
    "div": (lambda x, c: x / c, lambda a, c: a / np.float32(c)),
    # c / x is PyTorch's 1/x times c (one rounding more than a division: PyTorch wins)
    "rdiv": (lambda x, c: c / x, lambda a, c: (np.float32(1) / a) * np.float32(c)),
}


@pytest.mark.parametrize("op", OPS)
def test_float32_arithmetic_with_python_floats_is_float32_arithmetic(op):
    """The float, cast to float32 once, then float32 arithmetic: bit for bit what PyTorch
    computes (signed zeros, infinities and NaN included), with no NumPy warnings."""
    ours, reference = OPS[op]
    a = np.array([0.0, -0.0, 1.5, -3.25, 1e-38, 3e38, np.inf, np.nan, 2.0], np.float32)
    for number in NUMBERS:
        with np.errstate(all="ignore"):  # 3e38 * 2 overflows, as ever
            got = ours(tg.tensor(a), number)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = reference(a, number)
        assert got.dtype == tg.float32
        np.testing.assert_array_equal(got._data, expected)
        np.testing.assert_array_equal(np.signbit(got._data), np.signbit(expected))
        if torch is not None:
            theirs = ours(torch.tensor(a), number).numpy()
            np.testing.assert_array_equal(got._data, theirs)
            np.testing.assert_array_equal(np.signbit(got._data), np.signbit(theirs))


@pytest.mark.parametrize("op", OPS)
def test_a_float_beyond_float32_is_inf_without_warnings(op):
    ours, _ = OPS[op]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for number in (1e300, -1e300):
            got = ours(tg.tensor([1.5, -2.0]), number)
            if torch is not None:
                np.testing.assert_array_equal(got._data, ours(torch.tensor([1.5, -2.0]), number))


@pytest.mark.parametrize("dtype", [np.float16, np.float64, np.int64, np.int32])
def test_other_dtypes_keep_their_arithmetic(dtype):
    a = np.array([1, 0, 3], dtype)
    for number in (2.5, -0.0, 1e-3):
        for ours, _ in OPS.values():
            with np.errstate(all="ignore"):
                got = ours(tg.tensor(a), number)
            if torch is not None:
                with np.errstate(all="ignore"):
                    theirs = ours(torch.tensor(a), number)
                assert str(got.dtype) == str(theirs.dtype)
                np.testing.assert_allclose(got._data, theirs.numpy(), rtol=1e-3)


@pytest.mark.parametrize("op", OPS)
def test_gradients_with_float_operands(op):
    ours, _ = OPS[op]
    start = np.array([0.5, -1.25, 2.0], np.float32)
    for number in (1.0001, -3.5) if op == "div" else (1.0001, -3.5, 0.0, -0.0):
        x = tg.tensor(start, requires_grad=True)
        ours(x, number).sum().backward()
        x64 = start.astype(np.float64)
        eps = 1e-6
        numeric = [(ours(tg.tensor(x64 + eps * np.eye(3)[i]), number).sum().item()
                    - ours(tg.tensor(x64 - eps * np.eye(3)[i]), number).sum().item()) / (2 * eps)
                   for i in range(3)]
        np.testing.assert_allclose(x.grad._data, numeric, rtol=1e-4)
        if torch is not None:
            t = torch.tensor(start, requires_grad=True)
            ours(t, number).sum().backward()
            np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=3e-7)


def test_second_derivative_through_a_float_operand():
    x = tg.tensor([0.5, 2.0], requires_grad=True)
    (g,) = tg.grad(((x * 3.5) * x / 1.5).sum(), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(h._data, [2 * 3.5 / 1.5] * 2, rtol=1e-6)


def test_many_different_floats_keep_memory_bounded():
    import importlib

    tensor_module = importlib.import_module("tinygrad_np.tensor")  # (tg.tensor: the function)
    x = tg.ones(2)
    for i in range(5000):
        y = x * (1.0 + i * 1e-4)
        assert y._data[0] == np.float32(1.0 + i * 1e-4)
    assert len(tensor_module._FLOAT32_OPERANDS) <= 256


def test_a_float_operand_is_never_written():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.5
    with pytest.raises(ValueError):
        y.grad_fn.saved_tensors[1][...] = 7  # read-only
    z = x * 2.5
    z.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [2.5, 2.5])
    np.testing.assert_array_equal((tg.ones(1) * 2.5)._data, [2.5])


def test_a_custom_op_may_keep_its_own_sequence_attribute():
    class Scale(Function):
        def forward(ctx, x, factors):
            ctx.sequence = factors  # a user's name; the engine's bookkeeping must not touch it
            return x * factors

        def backward(ctx, grad_output):
            return grad_output * ctx.sequence, None

    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    Scale.apply(x, np.array([10.0, 20.0, 30.0], np.float32)).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [10.0, 20.0, 30.0])


def test_copied_graphs_are_ordered_after_their_inputs():
    import copy
    import pickle

    for duplicate in (copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))):
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = duplicate(y)
        (y + z * 3 + z).sum().backward()  # z's graph is a copy: its leaf is a copy of x
        np.testing.assert_array_equal(x.grad._data, [2.0, 2.0])


def test_a_graph_unpickled_in_a_new_process_gets_its_gradients_right(tmp_path):
    """The node numbers restart in a new process: loaded nodes are numbered anew, so the ops
    recorded on top of them still come first."""
    import pickle
    import subprocess
    import sys

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(50):
        tg.tensor([1.0], requires_grad=True) * 2
    path = tmp_path / "graph.pkl"
    path.write_bytes(pickle.dumps((x, x * 2)))
    script = (
        "import pickle, sys, numpy as np, tinygrad_np as tg\n"
        "x, y = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "y.retain_grad()\n"
        "out = (y * 3 + y).sum()\n"
        "(gy,) = tg.grad(out, [y], retain_graph=True)\n"
        "out.backward()\n"
        "print([gy.data.tolist(), y.grad.data.tolist(), x.grad.data.tolist()])\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                            text=True, check=True)
    # (y.grad: 4 from grad(), which fills a retain_grad() tensor's .grad as PyTorch's, and
    # 4 more from backward())
    assert result.stdout.strip() == "[[4.0, 4.0], [8.0, 8.0], [8.0, 8.0]]"
