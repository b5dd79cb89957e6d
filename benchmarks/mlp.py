"""W1 and W2: one training step of a small classifier, in tinygrad_np, NumPy and PyTorch.

Each `*_steps` function builds the three implementations from the same data and the same
initial parameters and returns them as step functions (each step returns the loss as a
float). `check_same_step` runs one step of each and compares the losses, so a benchmark
never times two implementations that compute different things.

W1  the MNIST lesson's network: 784-10-10, ReLU, softmax cross-entropy, one full-batch
    gradient-descent step on 41,000 images. The lesson's layout is used: examples are
    columns, Z = W X^T + b with W of shape (out, in) and b of shape (out, 1). It is also the
    fastest layout for hand-written NumPy: every reduction (softmax over the 10 classes, the
    bias gradients over the examples) then runs along long contiguous rows.
W2  a minibatch MLP: 784-128-10, ReLU, batch 128, cross-entropy, one SGD step, written with
    nn.Linear / optim.SGD / F.cross_entropy (PyTorch's layout, y = x W^T + b).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.ops.loss import CrossEntropy

Step = Callable[[], float]


def random_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` random 28x28 'images' scaled to [0, 1] (float32, flattened) and random labels."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 784), dtype=np.uint8)
    x = np.empty((count, 784), dtype=np.float32)
    np.multiply(images, np.float32(1 / 255), out=x)
    return x, rng.integers(0, 10, size=count)


# ---------------------------------------------------------------------------------- W1
def w1_flops(count: int) -> int:
    """Matmul FLOPs of one W1 step (forward, then dW2, dA1, dW1; no gradient for X)."""
    return 2 * count * (784 * 10 + 10 * 10) + 2 * count * (10 * 10 + 10 * 10 + 10 * 784)


def w1_parameters(seed: int) -> list[np.ndarray]:
    """The lesson's initialisation, U(-0.5, 0.5): W1 (10, 784), b1 (10, 1), W2, b2."""
    rng = np.random.default_rng(seed)
    shapes = [(10, 784), (10, 1), (10, 10), (10, 1)]
    return [(rng.random(shape, dtype=np.float32) - np.float32(0.5)) * np.float32(0.1)
            for shape in shapes]


def w1_steps(count: int, torch=None, seed: int = 0) -> tuple[dict[str, Step], dict]:
    """The W1 implementations (PyTorch only if `torch` is given), sharing the same data."""
    x, labels = random_images(count, seed)
    initial = w1_parameters(seed + 1)
    lr = 0.1
    steps = {
        "tinygrad_np": _w1_tinygrad(x, labels, [p.copy() for p in initial], lr),
        "numpy": _w1_numpy(x, labels, [p.copy() for p in initial], lr),
    }
    if torch is not None:
        steps["pytorch"] = _w1_torch(torch, x, labels, [p.copy() for p in initial], lr)
    return steps, {"batch": count, "flops": w1_flops(count), "layout": "W @ X^T (lesson)"}


def _w1_tinygrad(x: np.ndarray, labels: np.ndarray, arrays: list[np.ndarray], lr: float) -> Step:
    images = Tensor(x)
    params = [Tensor(array, requires_grad=True) for array in arrays]
    w1, b1, w2, b2 = params

    def step() -> float:
        logits = w2 @ (w1 @ images.T + b1).relu() + b2  # (10, N): one column per image
        loss = CrossEntropy.apply(logits.T, labels, "mean")
        loss.backward()
        with tg.no_grad():
            for param in params:
                param -= lr * param.grad
                param.grad = None
        return loss.item()

    return step


def _w1_numpy(x: np.ndarray, labels: np.ndarray, params: list[np.ndarray], lr: float) -> Step:
    """The lesson's hand-derived backprop, written as fast as NumPy allows (in-place, no
    one-hot matrix, reductions along contiguous rows)."""
    w1, b1, w2, b2 = params
    count = len(labels)
    columns = np.arange(count)
    lr = np.float32(lr)

    def step() -> float:
        z1 = w1 @ x.T
        z1 += b1
        a1 = np.maximum(z1, 0)
        z2 = w2 @ a1
        z2 += b2
        z2 -= z2.max(axis=0)  # softmax(z) = softmax(z - max z): exp cannot overflow
        picked = z2[labels, columns]
        probs = np.exp(z2, out=z2)
        total = probs.sum(axis=0)
        loss = np.mean(np.log(total) - picked)  # -log softmax at the true class
        # dZ2 = (softmax - onehot) / N, built in place in the probabilities
        total *= count
        probs /= total
        probs[labels, columns] -= np.float32(1 / count)
        dz2 = probs
        dw2 = dz2 @ a1.T
        db2 = dz2.sum(axis=1, keepdims=True)
        dz1 = w2.T @ dz2
        dz1 *= z1 > 0
        dw1 = dz1 @ x
        db1 = dz1.sum(axis=1, keepdims=True)
        for param, grad in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            grad *= lr
            param -= grad
        return float(loss)

    return step


def _w1_torch(torch, x: np.ndarray, labels: np.ndarray, arrays: list[np.ndarray],
              lr: float) -> Step:
    images = torch.from_numpy(x)
    target = torch.from_numpy(labels)
    params = [torch.tensor(array, requires_grad=True) for array in arrays]
    w1, b1, w2, b2 = params
    cross_entropy = torch.nn.functional.cross_entropy

    def step() -> float:
        logits = w2 @ (w1 @ images.T + b1).relu() + b2
        loss = cross_entropy(logits.T, target)
        loss.backward()
        with torch.no_grad():
            for param in params:
                param -= lr * param.grad
                param.grad = None
        return loss.item()

    return step


# ---------------------------------------------------------------------------------- W2
HIDDEN = 128


def w2_flops(batch: int) -> int:
    """Matmul FLOPs of one W2 step (forward, then dW2, dA1, dW1; no gradient for x)."""
    forward = 2 * batch * (784 * HIDDEN + HIDDEN * 10)
    return forward + 2 * batch * (HIDDEN * 10 + 10 * HIDDEN + HIDDEN * 784)


def have_nn() -> bool:
    """True when tinygrad_np.nn, .optim and nn.functional.cross_entropy are available."""
    try:
        import tinygrad_np.nn as nn
        import tinygrad_np.optim as optim
    except ImportError:
        return False
    return all(hasattr(module, name) for module, name in
               ((nn, "Linear"), (nn, "ReLU"), (nn, "Sequential"), (nn.functional,
                "cross_entropy"), (optim, "SGD")))


def w2_steps(batch: int, batches: int, torch=None, seed: int = 0, use_nn: bool | None = None,
             names: tuple[str, ...] = ("tinygrad_np", "numpy", "pytorch"),
             ) -> tuple[dict[str, Step], dict]:
    """The W2 implementations in `names` (PyTorch only if `torch` is given), cycling through
    the same `batches` minibatches from the same initial parameters.

    `use_nn=None` uses tinygrad_np.nn / optim when they exist, else raw Tensor ops.
    """
    x, labels = random_images(batch * batches, seed)
    data = [(x[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch])
            for i in range(batches)]
    rng = np.random.default_rng(seed + 1)
    initial = []
    for fan_in, fan_out in ((784, HIDDEN), (HIDDEN, 10)):  # nn.Linear's U(-1/sqrt(in), ..)
        bound = 1 / np.sqrt(fan_in)
        initial.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        initial.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    lr = 0.1
    use_nn = have_nn() if use_nn is None else use_nn
    make = _w2_tinygrad_nn if use_nn else _w2_tinygrad_raw
    steps = {}
    if "tinygrad_np" in names:
        steps["tinygrad_np"] = make(data, [p.copy() for p in initial], lr)
    if "numpy" in names:
        steps["numpy"] = _w2_numpy(data, [p.copy() for p in initial], lr)
    if torch is not None and "pytorch" in names:
        steps["pytorch"] = _w2_torch(torch, data, [p.copy() for p in initial], lr)
    return steps, {"batch": batch, "flops": w2_flops(batch),
                   "tinygrad_np_code": "nn.Linear + optim.SGD + F.cross_entropy" if use_nn
                   else "raw Tensor ops"}


def _cycle(data: list) -> Callable[[], tuple]:
    position = [0]

    def next_batch():
        item = data[position[0] % len(data)]
        position[0] += 1
        return item

    return next_batch


def _w2_tinygrad_nn(data: list, arrays: list[np.ndarray], lr: float) -> Step:
    import tinygrad_np
    import tinygrad_np.nn as nn
    import tinygrad_np.nn.functional as F
    import tinygrad_np.optim as optim

    model = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    with tinygrad_np.no_grad():
        for param, array in zip(model.parameters(), arrays):
            param.copy_(tinygrad_np.from_numpy(array))
    optimizer = optim.SGD(model.parameters(), lr=lr)
    batches = [(Tensor(x), y) for x, y in data]
    next_batch = _cycle(batches)

    def step() -> float:
        x, y = next_batch()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def _w2_tinygrad_raw(data: list, arrays: list[np.ndarray], lr: float) -> Step:
    params = [Tensor(array, requires_grad=True) for array in arrays]
    w1, b1, w2, b2 = params
    batches = [(Tensor(x), y) for x, y in data]
    next_batch = _cycle(batches)

    def step() -> float:
        x, y = next_batch()
        logits = (x @ w1.T + b1).relu() @ w2.T + b2
        loss = CrossEntropy.apply(logits, y, "mean")
        loss.backward()
        with tg.no_grad():
            for param in params:
                param -= lr * param.grad
                param.grad = None
        return loss.item()

    return step


def _w2_numpy(data: list, params: list[np.ndarray], lr: float) -> Step:
    """Hand-derived backprop for x W1^T + b1 -> ReLU -> . W2^T + b2 -> softmax CE."""
    w1, b1, w2, b2 = params
    next_batch = _cycle(data)
    lr = np.float32(lr)

    def step() -> float:
        x, labels = next_batch()
        count = len(labels)
        rows = np.arange(count)
        z1 = x @ w1.T
        z1 += b1
        a1 = np.maximum(z1, 0, out=z1)
        z2 = a1 @ w2.T
        z2 += b2
        z2 -= z2.max(axis=1, keepdims=True)
        picked = z2[rows, labels]
        probs = np.exp(z2, out=z2)
        total = probs.sum(axis=1, keepdims=True)
        loss = np.mean(np.log(total[:, 0]) - picked)
        total *= count
        probs /= total
        probs[rows, labels] -= np.float32(1 / count)
        dz2 = probs
        dw2 = dz2.T @ a1
        db2 = dz2.sum(axis=0)
        dz1 = dz2 @ w2
        dz1 *= a1 > 0
        dw1 = dz1.T @ x
        db1 = dz1.sum(axis=0)
        for param, grad in ((w1, dw1), (b1, db1), (w2, dw2), (b2, db2)):
            grad *= lr
            param -= grad
        return float(loss)

    return step


def _w2_torch(torch, data: list, arrays: list[np.ndarray], lr: float) -> Step:
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    with torch.no_grad():
        for param, array in zip(model.parameters(), arrays):
            param.copy_(torch.from_numpy(array))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]
    next_batch = _cycle(batches)
    cross_entropy = nn.functional.cross_entropy

    def step() -> float:
        x, y = next_batch()
        optimizer.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def check_same_step(steps: dict[str, Step], workload: str, rtol: float = 1e-4) -> dict:
    """Run one step of each implementation; their losses must agree (same math, same start)."""
    losses = {name: step() for name, step in steps.items()}
    reference = losses["numpy"]
    for name, loss in losses.items():
        if not np.isclose(loss, reference, rtol=rtol, atol=1e-6):
            raise AssertionError(f"{workload}: {name} computed loss {loss}, hand-written NumPy "
                                 f"{reference}: the implementations do not agree")
    return losses
