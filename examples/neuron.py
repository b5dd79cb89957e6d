"""Lesson 2 on Tensors: one neuron and a dense 8 -> 3 layer on the Pima diabetes data.

    python examples/neuron.py

Reproduces the lesson's numbers (w.x0 = 0.976025, z = 0.476025, output 0.616809, and the
(5, 3) pre-activations Z and activations A of its dense layer), then asks autograd for the
gradients of the neuron's output and checks them against the hand-derived chain rule:

    out = s(z),  z = w.x0 + b,  s' = s (1 - s)
    d out/d w = s(1-s) x0,   d out/d b = s(1-s),   d out/d x0 = s(1-s) w
"""

from __future__ import annotations

import numpy as np

from tinygrad_np import Tensor
from tinygrad_np.datasets import load_diabetes

# The lesson's hand-picked neuron.
WEIGHTS = [0.10, 0.40, -0.20, 0.05, -0.10, 0.30, 0.15, 0.25]
BIAS = -0.5
# The lesson's dense layer: 8 inputs -> 3 neurons, one column of W per neuron.
LAYER_WEIGHTS = np.round(np.linspace(-0.3, 0.3, 24).reshape(8, 3), 4)
LAYER_BIAS = np.array([0.1, -0.2, 0.0])
# What the lesson prints (4 decimals) for the first five patients.
LESSON_Z = np.array([
    [0.0818, -0.1152, 0.1879],
    [0.4103, 0.0182, 0.1261],
    [-0.6126, -0.9042, -0.6957],
    [0.13, -0.2791, -0.1881],
    [1.5514, 1.4185, 1.7851],
])
LESSON_A = np.array([
    [0.5204, 0.4712, 0.5468],
    [0.6012, 0.5046, 0.5315],
    [0.3515, 0.2882, 0.3328],
    [0.5324, 0.4307, 0.4531],
    [0.8251, 0.8051, 0.8563],
])


def standardise(features: np.ndarray) -> np.ndarray:
    """(X - mean) / std per column, with the population std (NumPy's default, ddof=0)."""
    return (features - features.mean(axis=0)) / features.std(axis=0)


def main(argv: list[str] | None = None) -> dict:
    """Print the lesson's numbers and the gradient check; returns the values for tests."""
    features, _, names = load_diabetes()
    X_std = standardise(features)
    print("first patient, standardised:", np.round(X_std[0], 4))

    # ---- one neuron, out = sigmoid(w . x0 + b); float64 throughout, as NumPy computes it
    x0 = Tensor(X_std[0], requires_grad=True, name="x0")
    w = Tensor(np.array(WEIGHTS), requires_grad=True, name="w")
    b = Tensor(np.float64(BIAS), requires_grad=True, name="b")
    dot = x0 @ w
    z = dot + b
    out = z.sigmoid()
    print(f"\none neuron\n  w . x0 = {dot.item():.6f}\n  z = w . x0 + b = {z.item():.6f}"
          f"\n  output = sigmoid(z) = {out.item():.6f}")

    # ---- the dense layer on the first five patients: Z = X W + b (bias broadcast), A = s(Z)
    batch = Tensor(X_std[:5], name="batch")
    Z = batch @ Tensor(LAYER_WEIGHTS) + Tensor(LAYER_BIAS)
    A = Z.sigmoid()
    print(f"\ndense layer 8 -> 3 on the first five patients\n  Z {Z.shape}:")
    print(np.round(Z.numpy(), 4))
    print(f"  A = sigmoid(Z) {A.shape}:")
    print(np.round(A.numpy(), 4))
    layer_matches = bool(np.array_equal(np.round(Z.numpy(), 4), LESSON_Z)
                         and np.array_equal(np.round(A.numpy(), 4), LESSON_A))
    print(f"  same as the lesson's printout (4 decimals): {layer_matches}")
    everyone = (Tensor(X_std) @ Tensor(LAYER_WEIGHTS) + Tensor(LAYER_BIAS)).sigmoid()
    print(f"  all {len(X_std)} patients at once: shape {everyone.shape}, first row "
          f"{np.round(everyone.numpy()[0], 4)}")

    # ---- gradients of the neuron's output, by backward() and by hand
    out.backward()
    s = out.item()
    slope = s * (1 - s)  # sigmoid'(z)
    by_hand = {"w": slope * X_std[0], "b": slope, "x0": slope * np.array(WEIGHTS)}
    print(f"\ngradients of the output: backward() vs the chain rule, s(1-s) = {slope:.6f}")
    print(f"  {'feature':<18} {'d/dw backward':>14} {'s(1-s)*x0':>12} "
          f"{'d/dx0 backward':>15} {'s(1-s)*w':>12}")
    for position, name in enumerate(names):
        print(f"  {name:<18} {w.grad.numpy()[position]:>14.6f} {by_hand['w'][position]:>12.6f} "
              f"{x0.grad.numpy()[position]:>15.6f} {by_hand['x0'][position]:>12.6f}")
    print(f"  {'bias':<18} {b.grad.item():>14.6f} {by_hand['b']:>12.6f}   (d/db; s(1-s))")
    worst = max(
        np.abs(w.grad.numpy() - by_hand["w"]).max(),
        abs(b.grad.item() - by_hand["b"]),
        np.abs(x0.grad.numpy() - by_hand["x0"]).max(),
    )
    print(f"  largest difference: {worst:.1e}")
    return {
        "dot": dot.item(), "z": z.item(), "output": s,
        "Z": Z.numpy(), "A": A.numpy(), "layer_matches_lesson": layer_matches,
        "grad_w": w.grad.numpy(), "grad_b": b.grad.item(), "grad_x0": x0.grad.numpy(),
        "by_hand": by_hand, "max_difference": float(worst),
    }


if __name__ == "__main__":
    main()
