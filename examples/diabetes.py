"""Predicting diabetes on the Pima data: logistic regression and a small MLP.

    python examples/diabetes.py               # the fixed split (seed 0)
    python examples/diabetes.py --splits 10   # also the mean over 10 different splits

A stratified 80/20 split (each class split 80/20 on its own, so both halves keep the 65/35
balance of the data), fixed by --seed. The features are standardised with the mean and
std of the TRAINING rows only: the test rows must not leak into the preprocessing.

Both models output one logit and are trained with binary cross-entropy and Adam:
  logistic regression   8 -> 1                 (one sigmoid neuron, as in lesson 2)
  MLP                   8 -> 16 -> ReLU -> 1   (L2 weight decay 0.01, 20 epochs)
A patient is predicted diabetic when the probability is above 0.5 (logit > 0).
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np import Tensor
from tinygrad_np.datasets import batches, load_diabetes

TEST_FRACTION = 0.2


def stratified_split(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, test): TEST_FRACTION of each class goes to the test set."""
    rng = np.random.default_rng(seed)
    test = []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        test.extend(rows[: round(TEST_FRACTION * len(rows))])
    test = np.sort(np.array(test))
    return np.setdiff1d(np.arange(len(labels)), test), test


def train(model: nn.Module, features: np.ndarray, labels: np.ndarray, *, epochs: int,
          lr: float, batch_size: int, weight_decay: float, seed: int) -> nn.Module:
    """Minibatch Adam on the binary cross-entropy of the model's logits."""
    optimizer = optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    targets = labels.astype(np.float32).reshape(-1, 1)
    shuffle = np.random.default_rng(seed)
    for _ in range(epochs):
        for rows, row_targets in batches(features, targets, batch_size, seed=shuffle):
            loss = F.binary_cross_entropy_with_logits(model(Tensor(rows)), row_targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def predict(model: nn.Module, features: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return (model(Tensor(features)).numpy().ravel() > 0).astype(int)


def confusion_matrix(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """[[TN, FP], [FN, TP]]: rows are the actual class, columns the predicted one."""
    matrix = np.zeros((2, 2), dtype=int)
    np.add.at(matrix, (actual, predicted), 1)
    return matrix


def run_split(seed: int) -> dict:
    """Split, standardise, train both models; returns their predictions on the test rows."""
    features, labels, _ = load_diabetes()
    train_rows, test_rows = stratified_split(labels, seed)
    mean = features[train_rows].mean(axis=0)
    std = features[train_rows].std(axis=0)
    x_train = ((features[train_rows] - mean) / std).astype(np.float32)
    x_test = ((features[test_rows] - mean) / std).astype(np.float32)
    y_train, y_test = labels[train_rows], labels[test_rows]

    tg.manual_seed(seed)
    logistic = train(nn.Linear(8, 1), x_train, y_train, epochs=200, lr=0.01, batch_size=64,
                     weight_decay=0.0, seed=seed)
    mlp = train(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1)), x_train, y_train,
                epochs=20, lr=0.003, batch_size=32, weight_decay=0.01, seed=seed)
    result = {"train_size": len(train_rows), "test_size": len(test_rows), "y_test": y_test}
    for name, model in (("logistic_regression", logistic), ("mlp", mlp)):
        predicted = predict(model, x_test)
        result[name] = {
            "accuracy": float((predicted == y_test).mean()),
            "train_accuracy": float((predict(model, x_train) == y_train).mean()),
            "confusion": confusion_matrix(y_test, predicted),
        }
    return result


def main(argv: list[str] | None = None) -> dict:
    """Print accuracies and confusion matrices for the fixed split; returns them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the models")
    parser.add_argument("--splits", type=int, default=0,
                        help="also report the mean accuracy over seeds 0..N-1")
    args = parser.parse_args(argv)

    result = run_split(args.seed)
    positives = int(result["y_test"].sum())
    print(f"Pima diabetes: {result['train_size']} training rows, {result['test_size']} test "
          f"rows ({positives} diabetic), stratified split, seed {args.seed}")
    for name, title in (("logistic_regression", "logistic regression 8 -> 1"),
                        ("mlp", "MLP 8 -> 16 -> 1")):
        scores = result[name]
        (tn, fp), (fn, tp) = scores["confusion"]
        print(f"\n{title}: test accuracy {scores['accuracy']:.4f} "
              f"(train {scores['train_accuracy']:.4f})")
        print("  confusion matrix    predicted 0  predicted 1")
        print(f"    actual 0 (no)    {tn:>11d}  {fp:>11d}")
        print(f"    actual 1 (yes)   {fn:>11d}  {tp:>11d}")

    if args.splits:
        accuracies = np.array([[run_split(seed)[name]["accuracy"]
                                for name in ("logistic_regression", "mlp")]
                               for seed in range(args.splits)])
        print(f"\nover {args.splits} splits: logistic regression mean "
              f"{accuracies[:, 0].mean():.4f} (min {accuracies[:, 0].min():.4f}), MLP mean "
              f"{accuracies[:, 1].mean():.4f} (min {accuracies[:, 1].min():.4f})")
        result["split_accuracies"] = accuracies
    return result


if __name__ == "__main__":
    main()
