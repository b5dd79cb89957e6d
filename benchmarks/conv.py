"""W5: one training step of a LeNet-style CNN, in tinygrad_np, hand-written NumPy and PyTorch.

    batch 64 of 1x28x28 -> conv 1->8 3x3 pad 1 -> ReLU -> max-pool 2
                        -> conv 8->16 3x3 pad 1 -> ReLU -> max-pool 2
                        -> flatten 784 -> linear 784->10 -> cross-entropy -> SGD (lr 0.1)

The hand-written NumPy step is written the way an expert would: batch-innermost (C, H, W, N)
activations, im2col by `as_strided` + one copy, every convolution and gradient one BLAS
call, col2im as nine strided adds, pooling as strided views, the pool's gradient sent
through an equality mask (ties only happen between ReLU zeros, whose gradient is 0 anyway),
the pooled output written straight into the next layer's padded buffer, a column-layout
softmax and in-place updates. tinygrad_np runs the same model written with nn.Conv2d /
nn.MaxPool2d / nn.Linear / optim.SGD / F.cross_entropy. `split_*` time the parts of a step.

    python benchmarks/conv.py           # W5 alone: medians and the split
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import numpy as np

Step = Callable[[], float]
BATCH = 64
LR = 0.1


def w5_flops(batch: int = BATCH) -> int:
    """Matmul FLOPs of one step: 3 products per conv layer (y, dW, dX; conv1 needs no dX),
    and the linear layer's 3 (no gradient for the images)."""
    conv1 = 2 * batch * 28 * 28 * 8 * 9
    conv2 = 2 * batch * 14 * 14 * 16 * 72
    linear = 2 * batch * 784 * 10
    return 2 * conv1 + 3 * conv2 + 3 * linear


def initial_parameters(seed: int) -> list[np.ndarray]:
    """PyTorch's default init: U(-1/sqrt(fan_in), ..) for every weight and bias."""
    rng = np.random.default_rng(seed)
    shapes = [((8, 1, 3, 3), 9), ((8,), 9), ((16, 8, 3, 3), 72), ((16,), 72),
              ((10, 784), 784), ((10,), 784)]
    return [rng.uniform(-1, 1, shape).astype(np.float32) / np.float32(np.sqrt(fan_in))
            for shape, fan_in in shapes]


def images(batches: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random [0, 1] images (N, 1, 28, 28) float32 and labels, `batches` of BATCH."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (batches * BATCH, 1, 28, 28)).astype(np.float32) / 255
    labels = rng.integers(0, 10, batches * BATCH)
    return [(data[i * BATCH:(i + 1) * BATCH], labels[i * BATCH:(i + 1) * BATCH])
            for i in range(batches)]


def _cycle(data: list) -> Callable[[], tuple]:
    position = [0]

    def next_batch():
        item = data[position[0] % len(data)]
        position[0] += 1
        return item

    return next_batch


def w5_steps(torch=None, seed: int = 0, batches: int = 8) -> tuple[dict[str, Step], dict]:
    data = images(batches, seed)
    initial = initial_parameters(seed + 1)
    steps = {
        "tinygrad_np": _tinygrad(data, [p.copy() for p in initial]),
        "numpy": _numpy(data, [p.copy() for p in initial]),
    }
    if torch is not None:
        steps["pytorch"] = _torch(torch, data, [p.copy() for p in initial])
    return steps, {"batch": BATCH, "flops": w5_flops(),
                   "tinygrad_np_code": "nn.Conv2d + nn.MaxPool2d + nn.Linear + optim.SGD"}


# ------------------------------------------------------------------------------ tinygrad_np
def tinygrad_model():
    import tinygrad_np.nn as nn

    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10))


def _tinygrad(data: list, arrays: list[np.ndarray]) -> Step:
    import tinygrad_np as tg
    import tinygrad_np.nn.functional as F
    import tinygrad_np.optim as optim
    from tinygrad_np import Tensor

    model = tinygrad_model()
    with tg.no_grad():
        for param, array in zip(model.parameters(), arrays):
            param.copy_(tg.from_numpy(array))
    optimizer = optim.SGD(model.parameters(), lr=LR)
    next_batch = _cycle([(Tensor(x), y) for x, y in data])

    def step() -> float:
        x, y = next_batch()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


# ------------------------------------------------------------------------------ by hand
def _windows(padded: np.ndarray, out: int) -> np.ndarray:
    """(C, 3, 3, out, out, N) view of a padded (C, out + 2, out + 2, N) array."""
    c, h, w, n = padded.strides
    shape = (padded.shape[0], 3, 3, out, out, padded.shape[3])
    return np.lib.stride_tricks.as_strided(padded, shape, (c, h, w, h, w, n), writeable=False)


def _pool(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """2x2 max-pool of a (C, H, W, N) array into `out` (C, H/2, W/2, N)."""
    np.maximum(a[:, 0::2, 0::2], a[:, 0::2, 1::2], out=out)
    np.maximum(out, a[:, 1::2, 0::2], out=out)
    return np.maximum(out, a[:, 1::2, 1::2], out=out)


def _unpool_relu(grad: np.ndarray, a: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Gradient through ReLU and the 2x2 max-pool: grad where a equals its window's max and
    is positive (the ReLU), into a new (C, H, W, N) array."""
    out = np.empty(a.shape, dtype=a.dtype)
    positive = pooled > 0
    for i in (0, 1):
        for j in (0, 1):
            mask = a[:, i::2, j::2] == pooled
            mask &= positive
            np.multiply(grad, mask, out=out[:, i::2, j::2])
    return out


def _col2im(columns: np.ndarray, size: int) -> np.ndarray:
    """(C, 3, 3, size, size, N) columns added back into a (C, size, size, N) image (pad 1)."""
    c, _, _, _, _, n = columns.shape
    padded = np.zeros((c, size + 2, size + 2, n), dtype=columns.dtype)
    for i in range(3):
        for j in range(3):
            padded[:, i:i + size, j:j + size] += columns[:, i, j]
    return padded[:, 1:size + 1, 1:size + 1]


def _numpy(data: list, params: list[np.ndarray], sections: dict | None = None) -> Step:
    """The hand-derived step; with `sections`, accumulates seconds per part into it."""
    w1, b1, w2, b2, w3, b3 = params
    w1m, w2m = w1.reshape(8, 9), w2.reshape(16, 72)
    next_batch = _cycle(data)
    lr = np.float32(LR)
    clock = time.perf_counter
    marks = [0.0]

    def mark(name: str | None) -> None:
        if sections is not None:
            now = clock()
            if name is not None:
                sections[name] = sections.get(name, 0.0) + now - marks[0]
            marks[0] = now

    def step() -> float:
        x, labels = next_batch()
        n = len(labels)
        mark(None)
        padded1 = np.zeros((1, 30, 30, n), dtype=np.float32)
        padded1[0, 1:29, 1:29] = x[:, 0].transpose(1, 2, 0)
        cols1 = np.ascontiguousarray(_windows(padded1, 28)).reshape(9, -1)
        z1 = w1m @ cols1
        z1 += b1[:, None]
        mark("conv forward")
        a1 = np.maximum(z1, 0, out=z1).reshape(8, 28, 28, n)
        mark("relu")
        padded2 = np.zeros((8, 16, 16, n), dtype=np.float32)
        p1 = _pool(a1, padded2[:, 1:15, 1:15])
        mark("pooling")
        cols2 = np.ascontiguousarray(_windows(padded2, 14)).reshape(72, -1)
        z2 = w2m @ cols2
        z2 += b2[:, None]
        mark("conv forward")
        a2 = np.maximum(z2, 0, out=z2).reshape(16, 14, 14, n)
        mark("relu")
        p2 = _pool(a2, np.empty((16, 7, 7, n), dtype=np.float32))
        mark("pooling")
        flat = p2.reshape(784, n)
        z3 = w3 @ flat
        z3 += b3[:, None]
        z3 -= z3.max(axis=0)
        columns = np.arange(n)
        picked = z3[labels, columns]
        probs = np.exp(z3, out=z3)
        total = probs.sum(axis=0)
        loss = np.mean(np.log(total) - picked)
        total *= n
        probs /= total
        probs[labels, columns] -= np.float32(1 / n)
        dw3 = probs @ flat.T
        db3 = probs.sum(axis=1)
        dp2 = (w3.T @ probs).reshape(16, 7, 7, n)
        mark("rest")
        dz2 = _unpool_relu(dp2, a2, p2).reshape(16, -1)
        mark("pooling")
        dw2 = (dz2 @ cols2.T).reshape(w2.shape)
        db2 = dz2.sum(axis=1)
        mark("conv weight gradient")
        dcols2 = (w2m.T @ dz2).reshape(8, 3, 3, 14, 14, n)
        dp1 = _col2im(dcols2, 14)
        mark("conv input gradient")
        dz1 = _unpool_relu(dp1, a1, p1).reshape(8, -1)
        mark("pooling")
        dw1 = (dz1 @ cols1.T).reshape(w1.shape)
        db1 = dz1.sum(axis=1)
        mark("conv weight gradient")
        for param, grad in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2), (w3, dw3), (b3, db3)):
            grad *= lr
            param -= grad
        value = float(loss)
        mark("rest")
        return value

    return step


# ------------------------------------------------------------------------------ PyTorch
def _torch(torch, data: list, arrays: list[np.ndarray]) -> Step:
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        for param, array in zip(model.parameters(), arrays):
            param.copy_(torch.from_numpy(array))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    next_batch = _cycle([(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data])
    cross_entropy = nn.functional.cross_entropy

    def step() -> float:
        x, y = next_batch()
        optimizer.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


# ------------------------------------------------------------------------------ the split
def split_numpy(steps: int = 200, seed: int = 0) -> dict[str, float]:
    """Seconds per step in each part of the hand-written step (its own timers)."""
    sections: dict[str, float] = {}
    step = _numpy(images(8, seed), initial_parameters(seed + 1), sections)
    for _ in range(20):
        step()
    sections.clear()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    total = (time.perf_counter() - start) / steps
    split = {name: seconds / steps for name, seconds in sections.items()}
    split["total"] = total
    return split


def split_tinygrad(steps: int = 200, seed: int = 0) -> dict[str, float]:
    """Seconds per step in each op's forward and backward (each Function's methods wrapped
    with timers); 'engine and rest' is the step minus all of them."""
    from tinygrad_np.ops import conv, elementwise, linear, loss

    timed = {"conv forward": (conv.Conv2d, "forward"),
             "conv backward (weight and input gradients)": (conv.Conv2d, "backward"),
             "pooling forward": (conv.MaxPool2d, "forward"),
             "pooling backward": (conv.MaxPool2d, "backward"),
             "relu": (elementwise.ReLU, "forward"), "relu backward": (elementwise.ReLU,
                                                                      "backward"),
             "linear + loss": (linear.LinearFunction, "forward"),
             "linear + loss backward": (linear.LinearFunction, "backward"),
             "loss": (loss.CrossEntropy, "forward"), "loss backward": (loss.CrossEntropy,
                                                                      "backward")}
    sections: dict[str, float] = {}
    originals = []
    for name, (cls, method) in timed.items():
        original = cls.__dict__[method]
        originals.append((cls, method, original))

        def wrapper(*args, _original=original, _name=name):
            start = time.perf_counter()
            try:
                return _original(*args)
            finally:
                sections[_name] = sections.get(_name, 0.0) + time.perf_counter() - start

        setattr(cls, method, wrapper)
    try:
        step = _tinygrad(images(8, seed), initial_parameters(seed + 1))
        for _ in range(20):
            step()
        sections.clear()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        total = (time.perf_counter() - start) / steps
    finally:
        for cls, method, original in originals:
            setattr(cls, method, original)
    split = {name: seconds / steps for name, seconds in sections.items()}
    split["linear + loss"] = split.pop("linear + loss") + split.pop("loss")
    split["linear + loss backward"] = (split.pop("linear + loss backward")
                                       + split.pop("loss backward"))
    split["engine, optimizer and rest"] = total - sum(split.values())
    split["total"] = total
    return split


def format_split(split: dict[str, float]) -> str:
    total = split["total"]
    return ", ".join(f"{name} {seconds * 1e6:.0f} µs ({100 * seconds / total:.0f}%)"
                     for name, seconds in split.items() if name != "total") + (
        f"; total {total * 1e6:.0f} µs")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import harness
    import mlp

    from tinygrad_np.allocator import keep_freed_memory

    print(keep_freed_memory())
    torch = harness.import_torch()
    steps, meta = w5_steps(torch)
    print("first-step losses", mlp.check_same_step(steps, "W5", rtol=1e-4))
    timings = harness.interleaved(steps, repeats=int(os.environ.get("W5_REPEATS", 300)),
                                  warmup=30)
    for name, timing in timings.items():
        print(f"{name:12s} {timing['median'] * 1e6:8.0f} µs  "
              f"({timing['median'] / timings['numpy']['median']:.2f}x NumPy)")
    print("split NumPy:      ", format_split(split_numpy()))
    print("split tinygrad_np:", format_split(split_tinygrad()))
