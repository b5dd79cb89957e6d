"""Batch norm over (N, C, H, W) in float32, forward + backward: the fused op against the same
normalisation composed from tinygrad_np's primitive ops, a hand-written NumPy version with
the closed-form backward, and PyTorch eager.

    python benchmarks/batch_norm.py [--repeats 60]

Every implementation computes y = batch_norm(x) w + b in training mode and the gradients of
sum(y * g) for x, w and b from the same data; the first step's results are compared before
anything is timed. Timing as in the other benchmarks (harness.interleaved): in turns, in one
process, median (and minimum) per step.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

import tinygrad_np as tg  # noqa: E402
import tinygrad_np.nn.functional as F  # noqa: E402

EPS = 1e-5
AXES = (0, 2, 3)


def composed(x: tg.Tensor, w: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
    """The normalisation from primitives: about ten graph nodes."""
    mean = x.mean(axis=AXES, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=AXES, keepdims=True)
    return centred / (var + EPS).sqrt() * w.reshape(-1, 1, 1) + b.reshape(-1, 1, 1)


def fused(x: tg.Tensor, w: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
    return F.batch_norm(x, None, None, w, b, training=True, eps=EPS)


def tinygrad_step(function, x, w, b, g):
    def step():
        tensors = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
        function(*tensors).backward(tg.Tensor(g))
        return [t.grad._data for t in tensors]
    return step


def numpy_step(x, w, b, g):
    """By hand: per-channel statistics, then dx = w/σ (g - mean(g) - x̂ mean(g x̂))."""
    count = x.size // x.shape[1]

    def step():
        mean = np.einsum("nchw->c", x).reshape(1, -1, 1, 1) / count
        x_hat = x - mean
        inv_std = 1 / np.sqrt(np.einsum("nchw,nchw->c", x_hat, x_hat) / count + EPS)
        x_hat *= inv_std.reshape(1, -1, 1, 1)
        y = x_hat * w.reshape(1, -1, 1, 1)
        y += b.reshape(1, -1, 1, 1)
        grad_b = np.einsum("nchw->c", g)
        grad_w = np.einsum("nchw,nchw->c", g, x_hat)
        scale = (w * inv_std).reshape(1, -1, 1, 1)
        grad_x = g * scale
        grad_x -= (grad_b / count).reshape(1, -1, 1, 1) * scale
        x_hat *= (grad_w / count).reshape(1, -1, 1, 1) * scale
        grad_x -= x_hat
        return [grad_x, grad_w, grad_b]
    return step


def torch_step(torch, x, w, b, g):
    tensors = [torch.from_numpy(a) for a in (x, w, b)]
    upstream = torch.from_numpy(g)

    def step():
        leaves = [t.clone().requires_grad_() for t in tensors]
        torch.nn.functional.batch_norm(leaves[0], None, None, leaves[1], leaves[2],
                                       training=True, eps=EPS).backward(upstream)
        return [t.grad.numpy() for t in leaves]
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    torch = harness.import_torch()
    rng = np.random.default_rng(0)
    print(f"{'shape':<18} " + "  ".join(f"{name:>22}" for name in
                                          ("fused", "composed", "NumPy by hand", "PyTorch")))
    for shape in [(64, 8, 28, 28), (64, 16, 14, 14), (128, 64, 8, 8)]:
        x = (rng.standard_normal(shape, dtype=np.float32) * 2 + 1)
        w, b = (rng.standard_normal(shape[1], dtype=np.float32) for _ in range(2))
        g = rng.standard_normal(shape, dtype=np.float32)
        steps = {"fused": tinygrad_step(fused, x, w, b, g),
                 "composed": tinygrad_step(composed, x, w, b, g),
                 "NumPy by hand": numpy_step(x, w, b, g)}
        if torch is not None:
            steps["PyTorch"] = torch_step(torch, x, w, b, g)
        reference = steps["NumPy by hand"]()
        for name, step in steps.items():
            for ours, theirs in zip(step(), reference, strict=True):
                assert ours.dtype == np.float32, name
                np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3, err_msg=name)
        results = harness.interleaved(steps, repeats=args.repeats, warmup=5)
        cells = [f"{r['median'] * 1e3:7.2f} ms (min {r['min'] * 1e3:5.2f})"
                 for r in results.values()]
        print(f"{str(shape):<18} " + "  ".join(f"{cell:>22}" for cell in cells))
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeats} interleaved steps")


if __name__ == "__main__":
    main()
