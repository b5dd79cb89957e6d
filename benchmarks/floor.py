"""W2's and W3's floor: what any eager Python engine costs over hand-written NumPy here.

    python benchmarks/floor.py [--repeats N]

A bare tape engine (about 60 lines, below): a Tensor is an array with a gradient and the
node that made it, a node is its inputs and a closure computing their gradients, backward
is a depth-first order and one loop. For W2 it has W2's structure (layer objects called
through `__call__`, a sequential container, fused linear and cross-entropy ops, an
optimizer object), for W3 the chain's three ops, and nothing else: no checks, no version
counters, no gradient ownership (the optimizer scales `.grad` in place), no grad mode, no
hooks. Each workload is timed in one process against the hand-written version and
tinygrad_np's (the benchmark's own), interleaved. The difference between this floor and
1.00x is the price of Python objects and calls between the NumPy calls; the difference
between tinygrad_np and the floor is what tinygrad_np's features and guarantees cost.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as run.py: idle BLAS threads sleep
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chains  # noqa: E402
import harness  # noqa: E402
import mlp  # noqa: E402


class Bare:
    """An array, its gradient, and the node (inputs, rule) that computed it; W3's ops."""

    __slots__ = ("data", "grad", "inputs", "rule")

    def __init__(self, data, inputs=(), rule=None):
        self.data, self.grad, self.inputs, self.rule = data, None, inputs, rule

    def __mul__(self, c):
        return Bare(self.data * c, (self,), lambda g: (g * c,))

    def __add__(self, c):
        return Bare(self.data + c, (self,), lambda g: (g,))

    def tanh(self):
        y = np.tanh(self.data)
        return Bare(y, (self,), lambda g: (g * (1 - y * y),))

    def sum(self):
        shape = self.data.shape
        return Bare(self.data.sum(), (self,), lambda g: (np.broadcast_to(g, shape),))

    def backward(self):
        bare_backward(self)

    def item(self):
        return float(self.data)


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
    order, seen, stack = [], set(), [(loss, False)]
    while stack:  # depth-first, without recursion (W3's chain is 1,000 deep)
        node, finished = stack.pop()
        if finished:
            order.append(node)
        elif node.rule is not None and id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.inputs)
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


def w2(repeats: int) -> dict:
    steps, _ = mlp.w2_steps(128, 16, names=("tinygrad_np", "numpy"))
    # the same data as the benchmark's W2 (w2_steps' seed), parameters from their own seed
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
    return harness.interleaved(steps, repeats=repeats, warmup=50)


def w3(repeats: int) -> dict:
    ops = chains.chain_ops(1000)
    steps = chains.steps(ops)
    steps["bare engine"] = chains.autograd_step(Bare(chains._start()), ops)
    timings = harness.interleaved(steps, repeats=max(repeats // 10, 5), warmup=5)
    counts = {"tinygrad_np": chains.recorded_ops_tinygrad(ops)}
    for name, timing in timings.items():
        timing["per_op"] = timing["median"] / counts.get(name, len(ops) + 1)
    return timings


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1000)
    args = parser.parse_args(argv)
    results = {"W2": w2(args.repeats), "W3": w3(args.repeats)}
    for workload, timings in results.items():
        reference = timings["numpy"]["median"]
        for name, timing in timings.items():
            per = f"  {timing['per_op'] * 1e6:5.2f} µs per op" if "per_op" in timing else ""
            print(f"{workload} {name:12s} {timing['median'] * 1e6:8.0f} µs  "
                  f"{timing['median'] / reference:.3f}x{per}")
    return results


if __name__ == "__main__":
    main()
