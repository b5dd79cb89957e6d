"""W3 and W4: long chains of elementwise ops on a tiny tensor, where only the engine's
per-op cost (object creation, graph walk, gradient passing) is measured, not arithmetic.

The chain: op i is `tanh` when i % 10 == 9, else `* 1.0001` for even i and `+ 0.001` for
odd i; then `sum()` and the backward pass. W3 has 1,000 ops, W4 100,000 (the graph walk
must not recurse, and memory must grow linearly with depth).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_np import Tensor

MUL, ADD, TANH = 0, 1, 2
SCALE, SHIFT = 1.0001, 0.001


def chain_ops(length: int) -> list[int]:
    """The op kinds of a chain, decided once so no implementation pays for the choice."""
    return [TANH if i % 10 == 9 else MUL if i % 2 == 0 else ADD for i in range(length)]


def _start() -> np.ndarray:
    return np.linspace(-0.5, 0.5, 4, dtype=np.float32)


def autograd_step(leaf, ops: list[int]) -> Callable[[], float]:
    """Forward the chain on a (4,) leaf, sum, backward; the leaf's gradient is then reset.

    The same code drives tinygrad_np and PyTorch: their Tensor APIs agree here.
    """

    def step() -> float:
        x = leaf
        for op in ops:
            if op == MUL:
                x = x * SCALE
            elif op == ADD:
                x = x + SHIFT
            else:
                x = x.tanh()
        total = x.sum()
        total.backward()
        leaf.grad = None
        return total.item()

    return step


def tinygrad_step(ops: list[int]) -> Callable[[], float]:
    return autograd_step(Tensor(_start(), requires_grad=True), ops)


def numpy_chain(ops: list[int]) -> tuple[float, np.ndarray]:
    """The same chain by hand: the forward keeps each step's local derivative (none for
    `+ c`, whose derivative is 1), the backward multiplies them in reverse.
    Returns the sum and its gradient with respect to the start."""
    x = _start()
    derivatives = []
    for op in ops:
        if op == MUL:
            x = x * SCALE
            derivatives.append(SCALE)
        elif op == ADD:
            x = x + SHIFT
        else:
            x = np.tanh(x)
            derivatives.append(1 - x * x)
    grad = np.ones_like(x)
    for derivative in reversed(derivatives):
        grad = grad * derivative
    return float(x.sum()), grad


def numpy_step(ops: list[int]) -> Callable[[], float]:
    return lambda: numpy_chain(ops)[0]


def torch_step(torch, ops: list[int]) -> Callable[[], float]:
    return autograd_step(torch.tensor(_start(), requires_grad=True), ops)


def steps(ops: list[int], torch=None) -> dict[str, Callable[[], float]]:
    result = {"tinygrad_np": tinygrad_step(ops), "numpy": numpy_step(ops)}
    if torch is not None:
        result["pytorch"] = torch_step(torch, ops)
    return result


def recorded_ops_tinygrad(ops: list[int]) -> int:
    """How many op nodes tinygrad_np records for the chain (+ the sum)."""
    from tinygrad_np.viz.trace import topological_order

    x = Tensor(_start(), requires_grad=True)
    for op in ops:
        x = x * SCALE if op == MUL else x + SHIFT if op == ADD else x.tanh()
    return len(topological_order([x.sum().grad_fn]))


def recorded_ops_torch(torch, ops: list[int]) -> int:
    """How many op nodes PyTorch records for the chain (+ the sum); leaves' AccumulateGrad
    nodes are not ops and are not counted."""
    x = torch.tensor(_start(), requires_grad=True)
    for op in ops:
        x = x * SCALE if op == MUL else x + SHIFT if op == ADD else x.tanh()
    # PyTorch makes the Python node objects on access: `seen` keeps them alive so that no
    # id is reused while walking.
    count, stack, seen = 0, [x.sum().grad_fn], {}
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node
        if type(node).__name__ != "AccumulateGrad":
            count += 1
        stack.extend(parent for parent, _ in node.next_functions)
    return count


def check_gradients(ops: list[int], torch=None) -> None:
    """All implementations must give the same gradient for the chain (float32 tolerance)."""
    leaf = Tensor(_start(), requires_grad=True)
    x = leaf
    for op in ops:
        x = x * SCALE if op == MUL else x + SHIFT if op == ADD else x.tanh()
    x.sum().backward()
    _, grad = numpy_chain(ops)
    np.testing.assert_allclose(leaf.grad._data, grad, rtol=1e-4, atol=1e-6)
    if torch is not None:
        t_leaf = torch.tensor(_start(), requires_grad=True)
        y = t_leaf
        for op in ops:
            y = y * SCALE if op == MUL else y + SHIFT if op == ADD else y.tanh()
        y.sum().backward()
        np.testing.assert_allclose(t_leaf.grad.numpy(), grad, rtol=1e-4, atol=1e-6)
