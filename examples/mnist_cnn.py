"""Handwritten digits with a small convolutional net: the CNN main job.

    python examples/mnist_cnn.py          # or: ./run.sh mnist --model cnn
    python examples/mnist_cnn.py --epochs 1 --limit 2000 --out /tmp/run     # a quick check

    conv 1->16 3x3 pad 1, ReLU, max-pool 2     (16, 14, 14)
    conv 16->32 3x3 pad 1, ReLU, max-pool 2    (32, 7, 7)
    flatten, linear 1568->128, ReLU, linear 128->10

Adam with a cosine learning-rate decay, batch 128, 5 epochs, float32: about 99.2 % test
accuracy (see the README for the measured figures). The same progress bar, per-epoch lines
and run folder as examples/mnist.py: `runs/mnist-cnn-<timestamp>/` with metrics.json,
curves.png, graph.svg (the CNN's graph) and model.pt, reloaded and re-evaluated at the end.

Before training it keeps freed memory inside the process (`tinygrad_np.allocator`): each
step makes and drops the same multi-megabyte activations, and glibc's defaults would hand
them back to the kernel and fault them in again every step (about 2x slower here). It says
so when it starts; TINYGRAD_NP_KEEP_MEMORY=0 turns it off.
"""

from __future__ import annotations

import time

START = time.perf_counter()  # the wall time reported at the end includes imports and loading

import os  # noqa: E402

# One BLAS thread unless the environment says otherwise: see examples/mnist.py.
if __name__ == "__main__" and not {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"} & set(os.environ):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import mnist  # noqa: E402  (examples/mnist.py: progress bar, training loop, run-folder files)
import numpy as np  # noqa: E402

import tinygrad_np as tg  # noqa: E402
import tinygrad_np.nn as nn  # noqa: E402
from tinygrad_np.allocator import keep_freed_memory  # noqa: E402
from tinygrad_np.datasets import load_mnist  # noqa: E402

# A batch of 1,000 images through the first conv layer is 16 x 28 x 28 x 1,000 floats (50 MB).
mnist.EVAL_CHUNK = 1_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a small CNN on MNIST with tinygrad_np.")
    parser.add_argument("--epochs", type=int, default=5,
                        help="passes over the training set (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="images per minibatch (default %(default)s)")
    parser.add_argument("--lr", type=float, default=2e-3,
                        help="peak Adam learning rate, decayed to 0 (default %(default)s)")
    parser.add_argument("--channels", default="16,32",
                        help="channels of the two conv layers (default %(default)s)")
    parser.add_argument("--hidden", type=int, default=128,
                        help="units of the hidden linear layer, 0 for none "
                             "(default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for weights and shuffling (default %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help="run folder (default runs/mnist-cnn-<timestamp>/)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N training images only (for quick tests)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--model", choices=("cnn",), default="cnn", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.channels = [int(size) for size in args.channels.split(",")]
    except ValueError:
        parser.error(f"--channels must be two comma-separated integers, got {args.channels!r}")
    if len(args.channels) != 2 or min(args.channels) < 1:
        parser.error("--channels must be two positive integers")
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.hidden < 0 or (args.limit is not None and args.limit < 1):
        parser.error("--hidden must be >= 0 and --limit >= 1")
    return args


def load_images(limit: int | None) -> dict[str, np.ndarray]:
    """Images as (N, 1, 28, 28) float32, standardised with the training set's mean and std."""
    x_train, y_train, x_test, y_test = load_mnist()
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train = x_train.astype(np.float32)[:, None] / 255
    x_test = x_test.astype(np.float32)[:, None] / 255
    mean, std = x_train.mean(), x_train.std()  # training statistics only
    return {"x_train": (x_train - mean) / std, "y_train": y_train,
            "x_test": (x_test - mean) / std, "y_test": y_test}


def build_cnn(channels: list[int], hidden: int) -> nn.Sequential:
    """Two conv + ReLU + max-pool blocks, then one or two linear layers (PyTorch's init)."""
    first, second = channels
    layers: list[nn.Module] = [
        nn.Conv2d(1, first, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(first, second, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
    ]
    if hidden:
        layers += [nn.Linear(second * 7 * 7, hidden), nn.ReLU(), nn.Linear(hidden, 10)]
    else:
        layers.append(nn.Linear(second * 7 * 7, 10))
    return nn.Sequential(*layers)


def describe(args: argparse.Namespace) -> str:
    first, second = args.channels
    head = f"linear {second * 49}->{args.hidden}, ReLU, linear {args.hidden}->10" \
        if args.hidden else f"linear {second * 49}->10"
    return (f"CNN conv 1->{first} 3x3, ReLU, max-pool 2, conv {first}->{second} 3x3, ReLU, "
            f"max-pool 2, {head}")


def main(argv: list[str] | None = None, started: float | None = None) -> dict:
    """Train, evaluate, write the run folder, reload the weights; returns the metrics."""
    started = time.perf_counter() if started is None else started
    args = parse_args(argv)
    print(keep_freed_memory())
    tg.manual_seed(args.seed)
    out = args.out or Path("runs") / f"mnist-cnn-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)

    data = load_images(args.limit)
    print(f"MNIST: {len(data['x_train'])} training images, {len(data['x_test'])} test images  "
          f"(loaded in {time.perf_counter() - started:.1f} s since start)")
    model = build_cnn(args.channels, args.hidden)
    print(f"{describe(args)} ({mnist.count_parameters(model):,} parameters), Adam lr {args.lr} "
          f"with cosine decay, batch {args.batch_size}, {args.epochs} epochs, float32")
    history = mnist.train_mlp(model, data, args)  # the same loop as the MLP's
    training_seconds = sum(record["seconds"] for record in history["epochs"])

    test_accuracy = history["epochs"][-1]["test_accuracy"]  # measured after the last epoch
    print(f"final: test accuracy {test_accuracy:.4f}  (training {training_seconds:.1f} s, "
          f"{training_seconds / args.epochs:.1f} s per epoch)")
    print(mnist.write_curves(history, out / "curves.png", lesson=False, title="CNN"))
    print(mnist.write_graph(model, data, out))
    weights = out / "model.pt"
    tg.save(model.state_dict(), weights)
    print(f"wrote {weights}")

    reloaded = build_cnn(args.channels, args.hidden)
    reloaded.load_state_dict(tg.load(weights))
    reloaded_accuracy = mnist.accuracy(reloaded, data["x_test"], data["y_test"])
    print(f"reloaded {weights.name} into a new model: test accuracy {reloaded_accuracy:.4f}"
          f" ({'identical' if reloaded_accuracy == test_accuracy else 'DIFFERENT'})")

    wall_seconds = time.perf_counter() - started
    metrics = {
        "mode": "cnn",
        "model": describe(args),
        "config": {key: value for key, value in vars(args).items() if key != "out"},
        "parameters": mnist.count_parameters(model),
        "train_images": len(data["x_train"]),
        "test_images": len(data["x_test"]),
        "test_accuracy": test_accuracy,
        "reloaded_test_accuracy": reloaded_accuracy,
        "history": history["epochs"],
        "training_seconds": training_seconds,
        "wall_seconds": wall_seconds,
        # This process's CPU time: with one BLAS thread, the wall time on an idle machine.
        "cpu_seconds": time.process_time(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else (0.0,) * 3,
    }
    (out / "metrics.json").write_text(json.dumps(mnist.as_builtin(metrics), indent=2) + "\n")
    print(f"wrote {out / 'metrics.json'}")
    print(f"total wall time {wall_seconds:.1f} s (imports, loading, training, evaluation, files); "
          f"CPU time {metrics['cpu_seconds']:.1f} s; load average {metrics['load_average'][0]:.1f}"
          " (other processes slow the wall time down on a shared machine)")
    return metrics


if __name__ == "__main__":
    main(started=START)
