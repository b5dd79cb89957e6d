"""Handwritten digits: an MLP trained with minibatches and Adam, or the lesson's 784-10-10 net.

    python examples/mnist.py              # 784-512-256-10, Adam, 8 epochs: about 98.5% test
    python examples/mnist.py --lesson     # the lesson's net: full-batch gradient descent
    python examples/mnist.py --epochs 1 --limit 2000 --out /tmp/run     # a quick check

Each run writes a folder (`runs/mnist-<timestamp>/`, or `--out DIR`) holding
  metrics.json   settings, per-epoch (or per-50-iteration) numbers, final accuracies
  curves.png     loss and accuracy curves (needs matplotlib)
  graph.svg      the computation graph of the loss of a small batch (graph.dot without
                 the Graphviz program `dot`)
  model.pt       the weights, written with tg.save (PyTorch's format: torch.load reads it)
and finally loads model.pt into a fresh model and evaluates it again.

The images are read by `tinygrad_np.datasets.load_mnist` from the repository's
`data/mnist/` folder (or $TINYGRAD_NP_MNIST, or a download into the user cache).
"""

from __future__ import annotations

import time

START = time.perf_counter()  # the wall time reported at the end includes imports and loading

import os  # noqa: E402

# One BLAS thread unless the environment says otherwise. OpenBLAS's worker threads spin while
# they wait, so when another process holds one of a small machine's cores, two threads ran
# this training about 10x slower (measured on 2 cores: 1.6 s per epoch idle, 16 s beside
# other work), while one thread takes 2.5 s per epoch either way. This only takes effect
# before NumPy is imported, so only when the file is run as a script (not when imported).
if __name__ == "__main__" and not {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"} & set(os.environ):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_np as tg  # noqa: E402
import tinygrad_np.nn as nn  # noqa: E402
import tinygrad_np.nn.functional as F  # noqa: E402
import tinygrad_np.optim as optim  # noqa: E402
from tinygrad_np import Tensor  # noqa: E402
from tinygrad_np.datasets import batches, load_mnist  # noqa: E402

LESSON_TRAIN_SIZE = 41_000  # the lesson trains on 41,000 images and holds the rest out
EVAL_CHUNK = 10_000  # images per forward pass when evaluating (bounds the memory used)


# --------------------------------------------------------------------------- command line
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train a digit classifier on MNIST with tinygrad_np "
                    "(--model cnn: the CNN of examples/mnist_cnn.py)."
    )
    parser.add_argument("--lesson", action="store_true",
                        help="the lesson's 784-10-10 net with full-batch gradient descent")
    parser.add_argument("--epochs", type=int, default=8,
                        help="passes over the training set (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=128,
                        help="images per minibatch (default %(default)s)")
    parser.add_argument("--lr", type=float, default=None,
                        help="peak learning rate (default 1e-3 for Adam; 0.1 with --lesson)")
    parser.add_argument("--hidden", default="512,256",
                        help="hidden layer sizes, comma separated (default %(default)s; "
                             "ignored with --lesson)")
    parser.add_argument("--iterations", type=int, default=500,
                        help="gradient-descent iterations with --lesson (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for weights and shuffling (default %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help="run folder (default runs/mnist-<timestamp>/)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N training images only (for quick tests)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = 0.1 if args.lesson else 1e-3
    try:
        args.hidden = [int(size) for size in args.hidden.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--hidden must be comma-separated integers, got {args.hidden!r}")
    for name in ("epochs", "batch_size", "iterations"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if any(size < 1 for size in args.hidden):
        parser.error("--hidden sizes must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


# --------------------------------------------------------------------------- progress bar
class PlainProgress:
    """A minimal stand-in for tqdm when it is not installed: one line redrawn on stderr."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.count = total, desc, 0
        self.postfix = ""
        self.shown_percent = -1
        self.started = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.count += n
        percent = 100 * self.count // max(self.total, 1)
        if percent != self.shown_percent:  # redraw at most 100 times
            self.shown_percent = percent
            filled = percent * 30 // 100
            elapsed = time.perf_counter() - self.started
            sys.stderr.write(f"\r{self.desc} |{'#' * filled}{'.' * (30 - filled)}| {percent:3d}% "
                             f"{self.count}/{self.total} [{elapsed:.0f}s] {self.postfix}")
            sys.stderr.flush()

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def write(self, text: str) -> None:
        """Print a line above the bar (the bar is redrawn at the next update)."""
        self.close()
        print(text, flush=True)
        self.shown_percent = -1

    def close(self) -> None:
        sys.stderr.write("\r" + " " * 100 + "\r")  # clear the line for what is printed next
        sys.stderr.flush()


class NoProgress:
    """--no-progress: the same methods, drawing nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def write(self, text: str) -> None:
        print(text, flush=True)

    def close(self) -> None:
        pass


def progress_bar(total: int, desc: str, enabled: bool):
    """tqdm when it is installed, else PlainProgress; NoProgress when disabled."""
    if not enabled:
        return NoProgress()
    try:
        from tqdm import tqdm
    except ImportError:
        return PlainProgress(total, desc)
    return tqdm(total=total, desc=desc, leave=False, unit="batch", dynamic_ncols=True)


# --------------------------------------------------------------------------- data
def load_data(args: argparse.Namespace) -> dict[str, np.ndarray]:
    """The images as flat float rows, plus labels; the splits depend on the mode.

    Default: all 60,000 training images (or the first --limit), the 10,000 test images,
    each pixel scaled to [0, 1] and then standardised with the training set's mean and std.

    --lesson: as the lesson does, shuffle the training images, train on 41,000 and keep
    the rest as a held-out "dev" set; pixels are only divided by 255, as in the lesson.
    The lesson's NumPy code works in float64, and so does this mode.
    """
    x_train, y_train, x_test, y_test = load_mnist()
    x_train = x_train.reshape(len(x_train), -1)
    x_test = x_test.reshape(len(x_test), -1)
    if args.lesson:
        order = np.random.default_rng(args.seed).permutation(len(x_train))
        train, dev = order[:LESSON_TRAIN_SIZE], order[LESSON_TRAIN_SIZE:]
        if args.limit is not None:
            train = train[: args.limit]
        return {
            "x_train": x_train[train] / 255.0, "y_train": y_train[train],
            "x_dev": x_train[dev] / 255.0, "y_dev": y_train[dev],
            "x_test": x_test / 255.0, "y_test": y_test,
        }
    if args.limit is not None:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    x_train = x_train.astype(np.float32) / 255
    x_test = x_test.astype(np.float32) / 255
    mean, std = x_train.mean(), x_train.std()  # training statistics only
    return {
        "x_train": (x_train - mean) / std, "y_train": y_train,
        "x_test": (x_test - mean) / std, "y_test": y_test,
    }


# --------------------------------------------------------------------------- models
def build_mlp(hidden: list[int]) -> nn.Sequential:
    """784 -> hidden... -> 10 with ReLU between the layers (nn.Linear's default init)."""
    sizes = [784, *hidden, 10]
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU after the output layer: those are logits


def build_lesson_net(seed: int | None = None) -> nn.Sequential:
    """The lesson's 784-10-10 net, every weight and bias drawn from uniform(-0.5, 0.5).

    The lesson stores W1 as (10, 784) and computes W1 @ X with one image per column; that is
    exactly nn.Linear's (out, in) layout, used here with one image per row (X @ W1^T).
    The softmax of the output layer lives inside F.cross_entropy (fused, and stable).
    """
    model = nn.Sequential(nn.Linear(784, 10, dtype=np.float64), nn.ReLU(),
                          nn.Linear(10, 10, dtype=np.float64))
    rng = np.random.default_rng(seed)
    with tg.no_grad():
        for param in model.parameters():  # W1, b1, W2, b2: the lesson's order
            param.copy_(tg.tensor(rng.random(param.shape) - 0.5))
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(param.numel() for param in model.parameters())


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of images whose largest logit is the label (no graph is recorded)."""
    correct = 0
    with tg.no_grad():
        for start in range(0, len(images), EVAL_CHUNK):
            logits = model(Tensor(images[start : start + EVAL_CHUNK]))
            correct += int((logits.data.argmax(axis=1) == labels[start : start + EVAL_CHUNK]).sum())
    return correct / len(images)


# --------------------------------------------------------------------------- training
def train_mlp(model: nn.Module, data: dict, args: argparse.Namespace) -> dict:
    """Minibatch Adam with a cosine learning-rate decay from --lr to 0 over all steps."""
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    x_train, y_train = data["x_train"], data["y_train"]
    steps_per_epoch = math.ceil(len(x_train) / args.batch_size)
    total_steps = args.epochs * steps_per_epoch
    shuffle = np.random.default_rng(args.seed)  # a Generator: a new order every epoch
    history: dict[str, list] = {"epochs": [], "step_loss": []}
    step = 0
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        bar = progress_bar(steps_per_epoch, f"epoch {epoch}/{args.epochs}", not args.no_progress)
        loss_sum = correct = seen = 0
        for images, labels in batches(x_train, y_train, args.batch_size, seed=shuffle):
            # Cosine decay: large steps early, small ones at the end to settle into a minimum.
            for group in optimizer.param_groups:  # cosine decay, as an lr_scheduler would
                group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            logits = model(Tensor(images))
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            value = loss.item()
            history["step_loss"].append(value)
            loss_sum += value * len(labels)
            correct += int((logits.data.argmax(axis=1) == labels).sum())
            seen += len(labels)
            bar.set_postfix_str(f"loss {value:.4f}", refresh=False)  # drawn by update()
            bar.update()
        bar.close()
        record = {
            "epoch": epoch,
            "loss": loss_sum / seen,
            # Measured on each batch just before its update (free; as Keras reports it).
            "train_accuracy": correct / seen,
            "test_accuracy": accuracy(model, data["x_test"], data["y_test"]),
            "seconds": time.perf_counter() - started,
        }
        history["epochs"].append(record)
        print(f"epoch {epoch:2d}/{args.epochs}  loss {record['loss']:.4f}  "
              f"train acc {record['train_accuracy']:.4f}  test acc {record['test_accuracy']:.4f}"
              f"  ({record['seconds']:.1f} s)", flush=True)
    return history


def explain_bias_slip(model: nn.Sequential) -> str:
    """Show, on the gradients of the first iteration, what the lesson's `db` formula does.

    The lesson writes `db = 1/m * np.sum(dZ)`: without `axis=1` that sums every element of
    dZ (10 units x m images) into ONE number, so all biases of a layer get the same update.
    The correct gradient sums over the batch axis only, one value per unit:
    `db = 1/m * np.sum(dZ, axis=1, keepdims=True)`. Autograd gets this right by construction
    (the bias was broadcast over the batch, so its gradient is summed over the batch).
    The lesson's number is the sum of the correct vector; for the output layer it is always 0
    (each column of dZ2 = A2 - Y sums to 1 - 1), so the lesson's b2 never learns.
    """
    lines = ["The lesson's bias-gradient slip, on the first iteration's gradients:"]
    for label, layer in (("b1", model[0]), ("b2", model[2])):
        grad = layer.bias.grad.numpy()
        values = np.array2string(grad, precision=4, max_line_width=200)
        lines.append(f"  {label}.grad (autograd, one per unit): {values}")
        lines.append(f"  the lesson's 1/m*np.sum(dZ) gives one number for all 10 units: "
                     f"{grad.sum():+.4f}")
    lines.append("  (the correct db sums over the images only: np.sum(dZ, axis=1) / m)")
    return "\n".join(lines)


def train_lesson(model: nn.Sequential, data: dict, args: argparse.Namespace) -> dict:
    """Full-batch gradient descent, W <- W - alpha dW: the lesson's loop, with autograd."""
    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    images = Tensor(data["x_train"], name="images")
    labels = data["y_train"]
    history: dict[str, list] = {"epochs": [], "step_loss": []}
    started = time.perf_counter()
    bar = progress_bar(args.iterations, "gradient descent", not args.no_progress)
    for iteration in range(args.iterations):
        logits = model(images)
        # cross_entropy = softmax + log-loss; its gradient is the lesson's dZ2 = A2 - Y (/ m).
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        history["step_loss"].append(loss.item())
        if iteration == 0:
            bar.write(explain_bias_slip(model))
        if iteration % 50 == 0 or iteration == args.iterations - 1:
            # Like the lesson: the accuracy of this iteration's predictions, before its update.
            record = {
                "iteration": iteration,
                "loss": loss.item(),
                "train_accuracy": float((logits.numpy().argmax(axis=1) == labels).mean()),
                "dev_accuracy": accuracy(model, data["x_dev"], data["y_dev"]),
                "seconds": time.perf_counter() - started,
            }
            history["epochs"].append(record)
            bar.write(f"Iteration {iteration:3d}  loss {record['loss']:.4f}  "
                      f"train acc {record['train_accuracy']:.4f}  "
                      f"dev acc {record['dev_accuracy']:.4f}")
        optimizer.step()
        bar.update()
    bar.close()
    return history


# --------------------------------------------------------------------------- run folder
def write_curves(history: dict, path: Path, lesson: bool, title: str = "MLP") -> str:
    """Loss and accuracy curves as a PNG; a message instead when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure  # the object API: no pyplot, no GUI backend
    except ImportError:
        return "curves.png skipped: matplotlib is not installed (pip install matplotlib)"
    records = history["epochs"]
    x_key = "iteration" if lesson else "epoch"
    figure = Figure(figsize=(10, 4), layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    steps = np.arange(1, len(history["step_loss"]) + 1)
    if lesson:
        loss_axes.plot(steps - 1, history["step_loss"], label="full-batch loss")
        loss_axes.set_xlabel("iteration")
    else:
        per_epoch = max(len(steps) // max(len(records), 1), 1)
        loss_axes.plot(steps / per_epoch, history["step_loss"], alpha=0.3, label="minibatch")
        loss_axes.plot([r["epoch"] for r in records], [r["loss"] for r in records], "o-",
                       label="epoch mean")
        loss_axes.set_xlabel("epoch")
    loss_axes.set_yscale("log")
    loss_axes.set_ylabel("cross-entropy loss")
    loss_axes.legend()
    x_values = [r[x_key] for r in records]
    held_out = "dev_accuracy" if lesson else "test_accuracy"
    accuracy_axes.plot(x_values, [r["train_accuracy"] for r in records], "o-", label="train")
    accuracy_axes.plot(x_values, [r[held_out] for r in records], "o-",
                       label="dev" if lesson else "test")
    accuracy_axes.set_xlabel(x_key)
    accuracy_axes.set_ylabel("accuracy")
    accuracy_axes.grid(alpha=0.3)
    accuracy_axes.legend()
    final = records[-1][held_out] if records else float("nan")
    title = "the lesson's 784-10-10 net" if lesson else title
    figure.suptitle(f"{title} on MNIST: {'dev' if lesson else 'test'} accuracy {final:.4f}")
    figure.savefig(path, dpi=100)
    return f"wrote {path}"


def write_graph(model: nn.Module, data: dict, out: Path) -> str:
    """Draw the graph of the loss of 8 training images after backward (grad norms shown)."""
    try:
        from tinygrad_np.viz import draw_graph, render
        images = Tensor(data["x_train"][:8], name="images")
        loss = F.cross_entropy(model(images), data["y_train"][:8])
        loss.name = "loss"
        # retain_graph keeps the arrays the graph saved, so the drawing can show the input
        # images too (a plain backward frees them); the gradients add each weight's norm.
        loss.backward(retain_graph=True)
        model.zero_grad()
        graph = draw_graph(loss)
    except ImportError as error:  # the graphviz Python package is missing
        return f"graph skipped: {error}"
    try:
        return f"wrote {render(graph, out / 'graph.svg')}"
    except RuntimeError:  # the package is there but the `dot` program is not
        (out / "graph.dot").write_text(graph.source)
        return (f"wrote {out / 'graph.dot'} (the DOT text): the Graphviz program `dot` is not "
                "installed, so no picture. Install it (`sudo apt-get install graphviz`, "
                "`brew install graphviz` or `conda install -c conda-forge graphviz`), then run "
                f"`dot -Tsvg {out / 'graph.dot'} -o {out / 'graph.svg'}`")


def as_builtin(value):
    """NumPy numbers and arrays as plain Python, for json."""
    if isinstance(value, dict):
        return {key: as_builtin(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_builtin(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None, started: float | None = None) -> dict:
    """Train, evaluate, write the run folder, reload the weights; returns the metrics.

    `started` is the perf_counter time the wall time is measured from (the script passes
    the time before its imports); by default, the call itself.
    """
    started = time.perf_counter() if started is None else started
    args = parse_args(argv)
    tg.manual_seed(args.seed)
    if args.out is None:
        stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
        out = Path("runs") / (f"mnist-lesson-{stamp}" if args.lesson else f"mnist-{stamp}")
    else:
        out = args.out
    out.mkdir(parents=True, exist_ok=True)

    data = load_data(args)
    print(f"MNIST: {len(data['x_train'])} training images"
          + (f", {len(data['x_dev'])} held out (dev)" if args.lesson else "")
          + f", {len(data['x_test'])} test images  (loaded in {time.perf_counter() - started:.1f} s"
          " since start)")

    if args.lesson:
        model = build_lesson_net(args.seed)
        print(f"The lesson's net 784-10-10 ({count_parameters(model)} parameters), "
              f"uniform(-0.5, 0.5) init, full-batch gradient descent, alpha {args.lr}, "
              f"{args.iterations} iterations, float64")
        history = train_lesson(model, data, args)
    else:
        model = build_mlp(args.hidden)
        sizes = "-".join(map(str, [784, *args.hidden, 10]))
        print(f"MLP {sizes} ({count_parameters(model):,} parameters), Adam lr {args.lr} with "
              f"cosine decay, batch {args.batch_size}, {args.epochs} epochs, float32")
        history = train_mlp(model, data, args)
    # Lesson records hold the time since training started; epoch records their own duration.
    training_seconds = (history["epochs"][-1]["seconds"] if args.lesson
                        else sum(r["seconds"] for r in history["epochs"]))

    results = {
        "train_accuracy": accuracy(model, data["x_train"], data["y_train"]),
        "test_accuracy": accuracy(model, data["x_test"], data["y_test"]),
    }
    if args.lesson:
        results["dev_accuracy"] = accuracy(model, data["x_dev"], data["y_dev"])
        print("(The lesson reports 85% on its training images and 84% on its held-out ones.)")
    print("final: " + "  ".join(f"{key.replace('_', ' ')} {value:.4f}"
                                for key, value in results.items()))

    print(write_curves(history, out / "curves.png", args.lesson))
    print(write_graph(model, data, out))
    weights = out / "model.pt"
    tg.save(model.state_dict(), weights)
    print(f"wrote {weights}")

    # Loading the weights back into a freshly built model gives the same predictions.
    reloaded = build_lesson_net() if args.lesson else build_mlp(args.hidden)
    reloaded.load_state_dict(tg.load(weights))
    reloaded_accuracy = accuracy(reloaded, data["x_test"], data["y_test"])
    print(f"reloaded {weights.name} into a new model: test accuracy {reloaded_accuracy:.4f}"
          f" ({'identical' if reloaded_accuracy == results['test_accuracy'] else 'DIFFERENT'})")

    wall_seconds = time.perf_counter() - started
    metrics = {
        "mode": "lesson" if args.lesson else "mlp",
        "config": {key: value for key, value in vars(args).items() if key != "out"},
        "parameters": count_parameters(model),
        "train_images": len(data["x_train"]),
        "test_images": len(data["x_test"]),
        **results,
        "reloaded_test_accuracy": reloaded_accuracy,
        "history": history["epochs"],
        "training_seconds": training_seconds,
        "wall_seconds": wall_seconds,
    }
    (out / "metrics.json").write_text(json.dumps(as_builtin(metrics), indent=2) + "\n")
    print(f"wrote {out / 'metrics.json'}")
    print(f"total wall time {wall_seconds:.1f} s (imports, loading, training, evaluation, files)")
    return metrics


if __name__ == "__main__":
    # `--model cnn` (./run.sh mnist --model cnn) hands over to examples/mnist_cnn.py.
    chooser = argparse.ArgumentParser(add_help=False)
    chooser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    chosen, rest = chooser.parse_known_args()
    if chosen.model == "cnn":
        import mnist_cnn  # next to this file

        mnist_cnn.main(rest, started=START)
    else:
        main(rest, started=START)
