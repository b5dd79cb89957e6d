"""XOR, the problem one neuron cannot solve: by hand-picked weights, then learned by backprop.

    python examples/xor.py                 # hand-picked net, parameter count, trained net
    python examples/xor.py --seeds 50      # also train from 50 seeds and count successes

1. The lesson's step-function net: hidden neuron 1 is OR, hidden neuron 2 is AND, and the
   output fires for "OR and not AND". Its truth table, computed on Tensors.
2. The parameter count of a 4 -> 8 -> 8 -> 3 net built from nn.Linear: 139.
3. A 2 -> 4 -> 1 sigmoid net learns XOR by gradient descent (full batch of the 4 inputs,
   binary cross-entropy, SGD with momentum). With these settings it converged from every one
   of 200 seeds tried (0 to 199). The step function has zero gradient almost everywhere, so
   the learned net uses sigmoids instead.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np import Tensor

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR = np.array([0, 1, 1, 0])


def step(z: Tensor) -> Tensor:
    """1 where z > 0, else 0 (a comparison: no gradient, which is why it is not trained)."""
    return (z > 0).astype(np.float32)


def hand_picked_xor(inputs: np.ndarray) -> np.ndarray:
    """The lesson's net: hidden = step(x W1 + b1) = (OR, AND); out = step(h W2 + b2)."""
    W1 = Tensor([[1.0, 1.0], [1.0, 1.0]])
    b1 = Tensor([-0.5, -1.5])  # OR fires above 0.5 inputs on, AND above 1.5
    W2 = Tensor([[1.0], [-2.0]])
    b2 = Tensor([-0.5])  # OR alone gives 0.5 > 0; OR and AND give -1.5
    hidden = step(Tensor(inputs) @ W1 + b1)
    return step(hidden @ W2 + b2).numpy().ravel().astype(int)


def parameter_count(sizes: list[int]) -> int:
    """Weights and biases of an MLP with these layer sizes (ReLU between the layers)."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    return sum(param.numel() for param in model.parameters())


def train_xor(seed: int, steps: int = 1000, lr: float = 0.5, verbose: bool = False):
    """Train 2 -> 4 -> 1 (sigmoid hidden layer, one logit out); returns (model, final loss)."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1))
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    inputs, targets = Tensor(INPUTS), XOR.reshape(4, 1).astype(np.float32)
    for iteration in range(1, steps + 1):
        loss = F.binary_cross_entropy_with_logits(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if verbose and (iteration == 1 or iteration % 200 == 0):
            print(f"  step {iteration:4d}  loss {loss.item():.5f}")
    return model, loss.item()


def probabilities(model: nn.Module) -> np.ndarray:
    with tg.no_grad():
        return model(Tensor(INPUTS)).sigmoid().numpy().ravel()


def main(argv: list[str] | None = None) -> dict:
    """Print the three parts; returns the truth tables and counts (for tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the trained net")
    parser.add_argument("--seeds", type=int, default=0,
                        help="also train from seeds 0..N-1 and count how many learn XOR")
    args = parser.parse_args(argv)

    print("1. hand-picked step-function net (hidden: OR, AND; output: OR and not AND)")
    hand = hand_picked_xor(INPUTS)
    for point, out in zip(INPUTS.astype(int).tolist(), hand):
        print(f"  {point} -> {out}")

    count = parameter_count([4, 8, 8, 3])
    print(f"\n2. parameters of a 4 -> 8 -> 8 -> 3 net (sum of p.numel() over parameters()): {count}"
          "\n   = 4*8+8 + 8*8+8 + 8*3+3 = 40 + 72 + 27")

    print(f"\n3. a 2 -> 4 -> 1 sigmoid net trained by backprop (seed {args.seed})")
    model, loss = train_xor(args.seed, verbose=True)
    probs = probabilities(model)
    learned = (probs > 0.5).astype(int)
    for point, prob, out in zip(INPUTS.astype(int).tolist(), probs, learned):
        print(f"  {point} -> {out}   (p = {prob:.4f})")
    print(f"  truth table correct: {bool(np.array_equal(learned, XOR))}")

    successes = None
    if args.seeds:
        successes = sum(
            np.array_equal(probabilities(train_xor(seed)[0]) > 0.5, XOR.astype(bool))
            for seed in range(args.seeds)
        )
        print(f"\n  learned XOR from {successes} of {args.seeds} seeds")
    return {"hand_picked": hand, "parameters": count, "learned": learned,
            "probabilities": probs, "loss": loss, "successes": successes}


if __name__ == "__main__":
    main()
