"""The examples run (fast settings) and print the lessons' numbers; autograd = hand backprop.

Each example is imported from its file and its `main(argv)` called with small settings;
the MNIST one also runs once as a script, as a user would start it.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np.datasets import load_mnist

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@functools.cache
def example(name: str) -> ModuleType:
    """Import examples/<name>.py (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- lessons 2-3
def test_neuron_prints_the_lessons_numbers_and_matching_gradients(capsys):
    result = example("neuron").main([])
    printed = capsys.readouterr().out
    assert "0.976025" in printed and "0.476025" in printed and "0.616809" in printed
    assert round(result["dot"], 6) == 0.976025
    assert round(result["z"], 6) == 0.476025
    assert round(result["output"], 6) == 0.616809
    assert result["Z"].shape == result["A"].shape == (5, 3)
    assert result["layer_matches_lesson"]
    np.testing.assert_allclose(result["grad_w"], result["by_hand"]["w"], rtol=1e-12)
    np.testing.assert_allclose(result["grad_b"], result["by_hand"]["b"], rtol=1e-12)
    np.testing.assert_allclose(result["grad_x0"], result["by_hand"]["x0"], rtol=1e-12)


def test_calculus_backward_matches_closed_forms(capsys):
    rows = example("calculus").main([])
    assert len(rows) == 5 * 3 + 2 * 3  # five functions of x, two of (x, y), three points each
    for row in rows:
        np.testing.assert_allclose(row["backward"], row["exact"], rtol=1e-12, atol=1e-12,
                                   err_msg=f"{row['f']} at {row['at']}")
    assert "12x^3 - 4x" in capsys.readouterr().out


def test_xor_truth_tables_and_parameter_count(capsys):
    result = example("xor").main([])
    xor = [0, 1, 1, 0]
    assert result["hand_picked"].tolist() == xor
    assert result["parameters"] == 139
    assert result["learned"].tolist() == xor
    assert "139" in capsys.readouterr().out


def test_diabetes_both_models_reach_75_percent(capsys):
    result = example("diabetes").main([])
    assert result["test_size"] == 154 and int(result["y_test"].sum()) == 54  # stratified
    for name in ("logistic_regression", "mlp"):
        assert result[name]["accuracy"] >= 0.75, name
        assert result[name]["confusion"].sum() == 154
        assert result[name]["confusion"].trace() == round(result[name]["accuracy"] * 154)
    assert "confusion matrix" in capsys.readouterr().out


# --------------------------------------------------------------------------- MNIST
def test_mnist_script_writes_a_run_folder(tmp_path):
    """From a fresh working directory, as a user runs it: the default runs/ folder appears."""
    completed = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / "mnist.py"),
         "--epochs", "1", "--limit", "2000", "--hidden", "64"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    (run,) = (tmp_path / "runs").glob("mnist-*")
    names = {path.name for path in run.iterdir()}
    assert {"metrics.json", "curves.png", "model.pt"} <= names
    assert "graph.svg" in names or "graph.dot" in names
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["mode"] == "mlp" and metrics["train_images"] == 2000
    assert metrics["test_images"] == 10_000
    assert len(metrics["history"]) == 1
    assert 0.5 < metrics["test_accuracy"] <= 1  # far above chance (0.1) after 16 steps
    assert metrics["reloaded_test_accuracy"] == metrics["test_accuracy"]
    assert metrics["parameters"] == 784 * 64 + 64 + 64 * 10 + 10
    assert "epoch  1/1" in completed.stdout and "identical" in completed.stdout
    assert set(tg.load(run / "model.pt")) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_mnist_default_in_process_with_progress_bar(tmp_path, capsys):
    metrics = example("mnist").main(["--epochs", "1", "--limit", "1000", "--batch-size", "100",
                                     "--out", str(tmp_path)])
    assert (tmp_path / "metrics.json").is_file() and (tmp_path / "curves.png").is_file()
    assert metrics["config"]["hidden"] == [512, 256]
    assert metrics["history"][0]["train_accuracy"] > 0.5
    assert 0 < metrics["training_seconds"] <= metrics["wall_seconds"] < 120
    assert "test acc" in capsys.readouterr().out


def test_plain_progress_bar_without_tqdm(capsys):
    bar = example("mnist").PlainProgress(4, "epoch 1/1")
    for _ in range(4):
        bar.update()
    bar.set_postfix_str("loss 0.1")
    bar.close()
    assert "100%" in capsys.readouterr().err


def test_mnist_run_folder_without_dot_or_matplotlib(tmp_path, monkeypatch):
    """No `dot` program: graph.dot plus install advice. No matplotlib: a message, no PNG."""
    mnist = example("mnist")
    model = mnist.build_mlp([8])
    data = {"x_train": np.random.default_rng(0).random((8, 784)), "y_train": np.arange(8)}

    def no_dot(*args, **kwargs):
        raise RuntimeError("rendering needs the Graphviz program `dot`")

    monkeypatch.setattr("tinygrad_np.viz.render", no_dot)
    message = mnist.write_graph(model, data, tmp_path)
    assert "apt-get install graphviz" in message
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "graph.svg").exists()

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    history = {"epochs": [], "step_loss": []}
    assert "matplotlib is not installed" in mnist.write_curves(history, tmp_path / "c.png", False)
    assert not (tmp_path / "c.png").exists()


def test_mnist_lesson_mode_quick(tmp_path, capsys):
    metrics = example("mnist").main(["--lesson", "--iterations", "3", "--limit", "500",
                                     "--no-progress", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "Iteration   0" in printed and "Iteration   2" in printed
    assert "1/m*np.sum(dZ)" in printed  # the lesson's bias-gradient slip is pointed out
    assert metrics["mode"] == "lesson" and metrics["parameters"] == 7960
    assert metrics["train_images"] == 500
    assert metrics["reloaded_test_accuracy"] == metrics["test_accuracy"]
    assert len(metrics["history"]) == 2  # iteration 0 and the last one


# --------------------------------------------------------------------------- autograd vs hand
def hand_backprop(params, images, labels, alpha, iterations, lesson_db=False):
    """The lesson's 784-10-10 net in NumPy, one image per COLUMN as the lesson lays it out.

    The backprop formulas are the lesson's, with the bias gradient done right:
    db = 1/m * sum(dZ, axis=1) (over the images only). `lesson_db=True` uses the lesson's
    1/m * np.sum(dZ) instead, which adds up every element into one number.
    """
    W1, b1, W2, b2 = (p.copy() for p in params)
    X = images.T  # (784, m)
    m = X.shape[1]
    one_hot = np.zeros((10, m))
    one_hot[labels, np.arange(m)] = 1

    def bias_grad(dZ):
        return np.sum(dZ) / m if lesson_db else np.sum(dZ, axis=1, keepdims=True) / m

    for _ in range(iterations):
        Z1 = W1 @ X + b1
        A1 = np.maximum(Z1, 0)
        Z2 = W2 @ A1 + b2
        exp = np.exp(Z2 - Z2.max(axis=0))
        A2 = exp / exp.sum(axis=0)
        dZ2 = A2 - one_hot
        dW2 = dZ2 @ A1.T / m
        db2 = bias_grad(dZ2)
        dZ1 = (W2.T @ dZ2) * (Z1 > 0)
        dW1 = dZ1 @ X.T / m
        db1 = bias_grad(dZ1)
        W1, b1 = W1 - alpha * dW1, b1 - alpha * db1
        W2, b2 = W2 - alpha * dW2, b2 - alpha * db2
    return W1, b1, W2, b2


@pytest.fixture(scope="module")
def few_images():
    x_train, y_train, _, _ = load_mnist()
    images = x_train[:300].reshape(300, -1) / 255.0  # float64, as the lesson
    return images, y_train[:300]


def test_autograd_reproduces_hand_derived_backprop(few_images, capsys):
    """Same start, 10 full-batch steps: the example's Tensor net and NumPy backprop agree."""
    images, labels = few_images
    mnist = example("mnist")
    model = mnist.build_lesson_net(seed=3)
    start = [model[0].weight.numpy(), model[0].bias.numpy().reshape(10, 1),
             model[2].weight.numpy(), model[2].bias.numpy().reshape(10, 1)]
    start = [p.copy() for p in start]
    assert all(p.dtype == np.float64 for p in start)
    data = {"x_train": images, "y_train": labels, "x_dev": images[:50], "y_dev": labels[:50]}
    mnist.train_lesson(model, data, argparse.Namespace(iterations=10, lr=0.1, no_progress=True))

    W1, b1, W2, b2 = hand_backprop(start, images, labels, alpha=0.1, iterations=10)
    learned = [model[0].weight.numpy(), model[0].bias.numpy(),
               model[2].weight.numpy(), model[2].bias.numpy()]
    for name, got, want in zip(("W1", "b1", "W2", "b2"), learned, (W1, b1.ravel(), W2, b2.ravel())):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10, err_msg=name)
        assert not np.allclose(got, start[("W1", "b1", "W2", "b2").index(name)].reshape(got.shape))

    # The comparison is sharp enough to see the lesson's db slip: its biases differ.
    _, lesson_b1, _, lesson_b2 = hand_backprop(start, images, labels, 0.1, 10, lesson_db=True)
    assert np.abs(lesson_b1.ravel() - model[0].bias.numpy()).max() > 1e-3
    assert np.allclose(lesson_b2, start[3])  # its b2 never moves: each column of dZ2 sums to 0
    capsys.readouterr()
