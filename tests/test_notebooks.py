"""The notebooks run top to bottom, print the lessons' numbers, and their stored copies are current.

Each notebook is executed from its jupytext source (`notebooks/NN_name.py`) in a fresh
kernel of this interpreter by `notebooks/build.py --out DIR`, as `./run.sh notebooks` does
(in a child process, which keeps the kernel's sockets and threads out of this one), and the
text it prints is checked. Notebooks listed in build.NOT_EXECUTED and cells tagged with a
build.PENDING_TAGS tag wait for features from other branches; the checks of such cells are
tagged the same way and run once the tag is removed from the list.
"""

from __future__ import annotations

import difflib
import functools
import html
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@functools.cache
def build() -> ModuleType:
    """notebooks/build.py (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Per notebook: regular expressions its printed text must match (whitespace collapsed to
# single spaces), or (regex with one group, predicate on the group) pairs. An entry
# wrapped as (tag, check) belongs to cells with that tag.
CHECKS: dict[str, list] = {
    "01_neuron": [
        r"Outcome balance: 0 -> 500 1 -> 268",
        r"\[ 0\.6399 0\.8483 0\.1496 0\.9073 -0\.6929 0\.204 0\.4685 1\.426 \]",
        r"Elementwise then sum: 0\.976025 0\.976025",
        r"np\.dot\(w, x0\): 0\.976025 0\.976025",
        r"Weighted sum z: 0\.476025 0\.476025",
        r"Neuron output: 0\.616809 0\.616809",
        re.escape("Z shape: (5, 3) [[ 0.0818 -0.1152 0.1879] [ 0.4103 0.0182 0.1261] "
                  "[-0.6126 -0.9042 -0.6957] [ 0.13 -0.2791 -0.1881] [ 1.5514 1.4185 1.7851]]"),
        re.escape("[[0.5204 0.4712 0.5468] [0.6012 0.5046 0.5315] [0.3515 0.2882 0.3328] "
                  "[0.5324 0.4307 0.4531] [0.8251 0.8051 0.8563]]"),
        r"same as NumPy's batch @ W \+ bias: True",
        r"First patient's activations: \[0\.5204 0\.4712 0\.5468\]",
        r"age 0\.337042 0\.337042",
        r"bias 0\.236356 0\.236356",
        (r"largest difference: (\S+)", lambda v: float(v) < 1e-15),
    ],
    "02_matrices": [
        re.escape("[[0.9 1.2 1.5] [1.9 2.6 3.3] [2.9 4. 5.1] [3.9 5.4 6.9]]"),
        re.escape("Output matrix Z_small (2x2): [[2.2 2.8] [4.9 6.4]]"),
        re.escape("[[1 4] [2 5] [3 6]]"),
        r"Dot product u \. v: 32",
        re.escape("A @ A^T: [[14 32] [32 77]]"),
        r"MatMul on shapes \(4, 2\), \(3, 2\)",
        r"Add on shapes \(5, 1\), \(2, 1\)",
        r"W\.grad == X\^T C: True X\.grad == C W\^T: True",
        re.escape("b.grad: [ 5. 1. 10.] shape (3,) G summed over the rows: [ 5. 1. 10.]"),
        r"scalar\.grad: 16\.0 = G\.sum\(\) 16\.0",
    ],
    "03_derivatives": [
        r"backward\(\): 88\.0 12x\^3 - 4x at 2: 88",
        r"\(x\^2 \+ 1\)\^3 2\.0 300\.000000 300\.000000",
        r"cos\(x\^3\) 2\.0 -11\.872299 -11\.872299",
        (r"largest difference: (\S+)", lambda v: float(v) < 1e-12),
        r"df/dx = 8\.0 \(2x \+ 3y = 8\), df/dy = 3\.0 \(3x = 3\)",
        r"df/dx = 4\.0 \(2xy = 4\), df/dy = 13\.0 \(x\^2 \+ 3y\^2 = 13\)",
        r"dy/du: u\.grad = 75\.0 3u\^2 = 75\.0",
        r"dy/dx: x\.grad = 300\.0 dy/du \* du/dx = 300\.0",
        r"neuron\(x, w, b\) = 0\.255403",
        r"dy/dx: backward\(\) -1\.7488219604 cos\(v\) 3u\^2 2x -1\.7488219604",
        ("needs-tools", r"Pow"),  # the trace table names the ops
        ("needs-tools", r"Add"),
    ],
    "04_layers_xor": [
        r"one neuron's output: 0\.547",
        re.escape("hidden activations: NumPy [0.61 1.12 0.59 0.78 0.61] tinygrad_np "
                  "[0.61 1.12 0.59 0.78 0.61]"),
        r"parameters: 139 = 139",
        re.escape("[0, 0] -> 0 [0, 1] -> 1 [1, 0] -> 1 [1, 1] -> 0"),
        r"truth table correct: True",
    ],
    "05_mnist_by_hand": [
        *[(rf"\b{name} \(\d+, \d+\) (\S+)", lambda v: float(v) < 1e-13)
          for name in ("W1", "b1", "W2", "b2")],
        *[(rf"after \d+ steps, max \|hand - autograd\| per parameter:.*? {name}: (\S+)",
           lambda v: float(v) < 1e-10) for name in ("W1", "b1", "W2", "b2")],
        r"lesson db2 is zero up to rounding: True",
        r"b2 moved\? autograd: True lesson's db: False",
        (r"autograd final loss \S+ train acc \S+ dev acc (\S+)", lambda v: float(v) > 0.5),
        r"cross-entropy of the lesson's prediction for label 4: 0\.2231",
        r"-ln\(0\.80\) = 0\.2231 -log10\(0\.80\) = 0\.0969",
    ],
    "06_your_own_op": [
        r"dy/dx by backward: \[0\. 0\.119203 0\.5 0\.880797 1\. \]",
        r"elementwise output: True inside a bigger function: True",
        r"second derivative: \[0\.196612 0\.25 0\.104994\] s\(1-s\): \[0\.196612 0\.25 0\.104994\]",
        r"through \.sum\(\) only: True",
        r"elementwise output: gradcheck failed for input 0 \('x'\)",
        r"worst at element \(2,\): analytic 0\.11920292, numerical 0\.88079708",
        re.escape("w.grad: [0.622459 0.094852 2.992582] x * sigmoid(w x): "
                  "[0.622459 0.094852 2.992582]"),
        ("needs-tools", r"Softplus: gradients close"),
        ("needs-tools", r"ForgetfulSoftplus: "),
        ("needs-tools", r"SignSlipSoftplus: "),
    ],
    "07_cnn": [
        r"parameters: 9098",
        (r"test accuracy on 2000 images: (\S+)", lambda v: float(v) > 0.8),
    ],
}
# Notebooks with plots (PNG); every notebook draws at least one graph (SVG).
PLOTS = {"03_derivatives", "04_layers_xor", "05_mnist_by_hand", "07_cnn"}


def printed_text(notebook: nbformat.NotebookNode) -> str:
    """Everything the code cells printed or displayed as text, whitespace collapsed."""
    pieces = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                pieces.append(output.text)
            elif "data" in output and "text/plain" in output.data:
                pieces.append(output.data["text/plain"])
    return " ".join(" ".join(pieces).split())


def output_types(notebook: nbformat.NotebookNode) -> set[str]:
    """The MIME types of the displayed outputs, and 'stderr' / 'error' if there were any."""
    types = set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                types.add("error")
            elif output.output_type == "stream" and output.name == "stderr":
                types.add("stderr")
            types.update(output.get("data", {}))
    return types


def check_printed(name: str, notebook: nbformat.NotebookNode) -> None:
    text = printed_text(notebook)
    for check in CHECKS[name]:
        if isinstance(check, tuple) and check[0] in build().PENDING_TAGS:
            continue  # the cell printing it waits for another branch
        if isinstance(check, tuple) and isinstance(check[1], str):
            check = check[1]
        if isinstance(check, str):
            assert re.search(check, text), f"{name}: nothing printed matches {check!r}"
        else:
            pattern, predicate = check
            found = re.search(pattern, text)
            assert found, f"{name}: nothing printed matches {pattern!r}"
            assert predicate(found.group(1)), f"{name}: {found.group(0)!r} is out of range"


def check_pictures(name: str, notebook: nbformat.NotebookNode) -> None:
    types = output_types(notebook)
    assert "error" not in types, f"{name}: a cell raised"
    assert "stderr" not in types, f"{name}: a cell wrote to stderr (a warning?)"
    assert "image/svg+xml" in types, f"{name}: no graph drawn"
    if name in PLOTS:
        assert "image/png" in types, f"{name}: no plot"


# --------------------------------------------------------------------------- the lists
def test_every_notebook_has_a_source_a_stored_copy_and_checks():
    names = [path.stem for path in build().sources()]
    assert names == sorted(CHECKS), "a notebook without checks, or checks without a notebook"
    assert set(build().NOT_EXECUTED) <= set(names)
    for name in names:
        assert (NOTEBOOKS / f"{name}.ipynb").is_file(), f"{name}.ipynb: run ./run.sh notebooks"


EXECUTED = [path.stem for path in build().sources() if path.stem not in build().NOT_EXECUTED]


# --------------------------------------------------------------------------- stored copies
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_stored_notebook_is_current_and_has_its_outputs(name):
    """The committed .ipynb has the source's cells (./run.sh notebooks was run after the last
    edit) and the outputs of a full run: the lessons' numbers, graphs and plots."""
    source = build().read_source(NOTEBOOKS / f"{name}.py")
    stored = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(stored)
    assert [(c.cell_type, c.source) for c in stored.cells] == \
        [(c.cell_type, c.source) for c in source.cells], \
        f"{name}.ipynb is out of date with {name}.py: run ./run.sh notebooks {name[:2]}"
    if name in build().NOT_EXECUTED and not any(c.get("outputs") for c in stored.cells):
        return  # never executed yet
    check_pictures(name, stored)
    check_printed(name, stored)


# --------------------------------------------------------------------------- fresh runs
@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="the notebooks draw graphs: needs the Graphviz program `dot`")
@pytest.mark.parametrize("name", EXECUTED)
def test_notebook_runs_and_prints_the_lessons_numbers(name, tmp_path):
    completed = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build.py"), "--out", str(tmp_path), name],
        capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, f"{name} failed:\n{completed.stdout}\n{completed.stderr}"
    notebook = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    check_pictures(name, notebook)
    check_printed(name, notebook)
    check_stored_outputs_are_a_fresh_runs(name, notebook)


# Parts of the outputs a re-run may change without the notebook being stale: object addresses
# (`<graphviz.graphs.Digraph at 0x7f...>`) and numbers at rounding level (1.39e-17, whose
# digits depend on the BLAS build), which the stored copy and a fresh run both show as such.
VOLATILE = [(re.compile(r" at 0x[0-9a-f]+"), " at 0x…"),
            (re.compile(r"-?\d+(?:\.\d+)?e-(?:1\d|[2-9]\d|\d{3})\b"), "(rounding)")]


def cell_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """Per code cell (pending ones left out), what it shows as text: its stdout (the
    chunks joined: how a stream is cut depends on timing), text/plain results, and the
    labels in its SVG graphs (the values and gradients drawn; not the layout, which depends
    on the Graphviz version, nor PNG plots, which depend on matplotlib's)."""
    pending = set(build().PENDING_TAGS)
    shown = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or pending & set(cell.get("metadata", {}).get("tags", [])):
            continue
        pieces, stream = [], ""
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                stream += output.text
                continue
            data = output.get("data", {})
            pieces.append(data.get("text/plain", ""))
            if "image/svg+xml" in data:
                labels = re.findall(r"<text[^>]*>(.*?)</text>", data["image/svg+xml"], re.S)
                pieces.extend(f"graph label: {html.unescape(label)}" for label in labels)
        text = "\n".join([stream, *pieces])
        for pattern, replacement in VOLATILE:
            text = pattern.sub(replacement, text)
        shown.append(text)
    return shown


def check_stored_outputs_are_a_fresh_runs(name: str, fresh: nbformat.NotebookNode) -> None:
    """The stored .ipynb shows what running it now shows: a change to the library that
    changes a printed number, a trace table or a drawn gradient makes it stale."""
    if name in build().NOT_EXECUTED:
        return
    stored = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for number, (kept, now) in enumerate(zip(cell_outputs(stored), cell_outputs(fresh))):
        if kept != now:
            diff = "\n".join(difflib.unified_diff(kept.splitlines(), now.splitlines(),
                                                   "stored", "fresh run", lineterm="", n=1))
            pytest.fail(f"{name}.ipynb is stale: code cell {number} shows something else when "
                        f"run now (run ./run.sh notebooks {name[:2]} and commit it):\n"
                        f"{diff[:3000]}")
