"""W2's floor: what any eager Python engine costs over hand-written NumPy on this machine.

    python benchmarks/floor.py [--repeats N]

A bare tape engine (about 40 lines, below): a Tensor is an array with a gradient and the
node that made it, a node is its inputs and a closure computing their gradients, backward
is a depth-first order and one loop. It has W2's structure (layer objects called through
`__call__`, a sequential container, fused linear and cross-entropy ops, an optimizer
object) and nothing else: no checks, no version counters, no gradient ownership (the
optimizer scales `.grad` in place), no grad mode, no hooks. Timed in one process against
the hand-written step and tinygrad_np's W2 step (the benchmark's own), interleaved.
The difference between this floor and 1.00x is the price of Python objects and calls
between the NumPy calls, paid with caches cold from the matmuls; the difference between
tinygrad_np and the floor is what tinygrad_np's features and guarantees cost.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as run.py: idle BLAS threads sleep
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import mlp  # noqa: E402


class Bare:
    """An array, its gradient, and the node (inputs, rule) that computed it."""

    __slots__ = ("data", "grad", "inputs", "rule")

    def __init__(self, data, inputs=(), rule=None):
        self.data, self.grad, self.inputs, self.rule = data, None, inputs, rule


class BareLinear:
    def __init__(self, weight, bias):
        self.weight, self.bias = Bare(weight), Bare(bias)

    def __call__(self, x):
        weight, bias = self.weight, self.bias
        y = x.data @ weight.data.T
        y += bias.data
        return Bare(y, (x, weight, bias), lambda g: (
            g @ weight.data if x.rule else None, g.T @ x.data, g.sum(axis=0)))


class BareReLU:
    def __call__(self, x):
        y = np.maximum(x.data, 0)
        return Bare(y, (x,), lambda g: (g * (y > 0),))


class BareSequential:
    def __init__(self, *layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def bare_cross_entropy(logits, labels):
    shifted = logits.data - logits.data.max(axis=1, keepdims=True)
    rows, count = np.arange(len(labels)), len(labels)
    picked = shifted[rows, labels]
    probs = np.exp(shifted, out=shifted)
    total = probs.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(total[:, 0]) - picked)
    probs /= total

    def rule(g):
        grad = probs * (g / count)
        grad[rows, labels] -= g / count
        return (grad,)

    return Bare(np.asarray(loss, np.float32), (logits,), rule)


def bare_backward(loss):
    order, seen = [], set()

    def visit(node):  # depth-first: W2's graph is 4 nodes deep
        if node.rule is not None and id(node) not in seen:
            seen.add(id(node))
            for parent in node.inputs:
                visit(parent)
            order.append(node)

    visit(loss)
    loss.grad = np.ones((), np.float32)
    for node in reversed(order):
        for parent, grad in zip(node.inputs, node.rule(node.grad)):
            if grad is not None:
                parent.grad = grad if parent.grad is None else parent.grad + grad


class BareSGD:
    def __init__(self, params, lr):
        self.params, self.lr = params, np.float32(lr)

    def zero_grad(self):
        for param in self.params:
            param.grad = None

    def step(self):
        for param in self.params:
            param.grad *= self.lr
            param.data -= param.grad


def floor_step(data: list, arrays: list[np.ndarray], lr: float):
    first, second = BareLinear(*arrays[:2]), BareLinear(*arrays[2:])
    model = BareSequential(first, BareReLU(), second)
    optimizer = BareSGD([first.weight, first.bias, second.weight, second.bias], lr)
    batches = [(Bare(x), y) for x, y in data]
    position = [0]

    def step() -> float:
        x, y = batches[position[0] % len(batches)]
        position[0] += 1
        optimizer.zero_grad()
        loss = bare_cross_entropy(model(x), y)
        bare_backward(loss)
        optimizer.step()
        return float(loss.data)

    return step


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1000)
    args = parser.parse_args(argv)
    steps, _ = mlp.w2_steps(128, 16, names=("tinygrad_np", "numpy"))
    # the same data and initial parameters as the benchmark's W2 (w2_steps' seeds)
    x, labels = mlp.random_images(128 * 16, 0)
    data = [(x[i * 128:(i + 1) * 128], labels[i * 128:(i + 1) * 128]) for i in range(16)]
    rng = np.random.default_rng(1)
    arrays = []
    for fan_in, fan_out in ((784, mlp.HIDDEN), (mlp.HIDDEN, 10)):
        bound = 1 / np.sqrt(fan_in)
        arrays.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        arrays.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    steps["bare engine"] = floor_step(data, arrays, 0.1)
    mlp.check_same_step(steps, "W2 floor")
    timings = harness.interleaved(steps, repeats=args.repeats, warmup=50)
    reference = timings["numpy"]["median"]
    for name, timing in timings.items():
        print(f"{name:12s} {timing['median'] * 1e6:7.0f} µs  {timing['median'] / reference:.3f}x")
    return timings


if __name__ == "__main__":
    main()
