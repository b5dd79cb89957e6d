"""PyTorch training scripts run unchanged on tinygrad_np.

Each script in tests/scripts/ starts with `import torch` and records `losses` (and `result`).
It runs twice: under PyTorch, and with `torch` (and its submodules) bound to tinygrad_np in
sys.modules. Both start from the same weights (made with a seeded NumPy generator), so the
losses must agree to float32 precision.
"""

from __future__ import annotations

import importlib
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.py"))

# `import torch.nn as nn`, `from torch.utils.data import DataLoader`, ... find these
SUBSTITUTES = {
    "torch": "tinygrad_np",
    "torch.nn": "tinygrad_np.nn",
    "torch.nn.functional": "tinygrad_np.nn.functional",
    "torch.optim": "tinygrad_np.optim",
    "torch.autograd": "tinygrad_np.autograd",
    "torch.utils": "tinygrad_np.utils",
    "torch.utils.data": "tinygrad_np.utils.data",
    "torch.utils.checkpoint": "tinygrad_np.utils.checkpoint",
    "torch.distributions": "tinygrad_np.distributions",
    "torch.testing": "tinygrad_np.testing",
}


def run_as_tinygrad_np(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Run the script with every `torch` import resolving to tinygrad_np."""
    with monkeypatch.context() as patch:
        for name, replacement in SUBSTITUTES.items():
            patch.setitem(sys.modules, name, importlib.import_module(replacement))
        return runpy.run_path(str(path))


def test_scripts_exist():
    assert len(SCRIPTS) >= 4
    for path in SCRIPTS:
        assert "import torch" in path.read_text()
        assert "tinygrad_np" not in path.read_text()  # pure PyTorch scripts


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_on_tinygrad_np(path, monkeypatch, capsys):
    """Without PyTorch installed, each script still runs and learns."""
    ours = run_as_tinygrad_np(path, monkeypatch)
    losses = ours["losses"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0] / 2
    assert isinstance(sys.modules["tinygrad_np"], type(tinygrad_np))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_matches_pytorch(path, monkeypatch, capsys):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    theirs = runpy.run_path(str(path))
    ours = run_as_tinygrad_np(path, monkeypatch)
    assert sys.modules["torch"] is torch  # restored
    assert len(ours["losses"]) == len(theirs["losses"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(ours["result"], theirs["result"], rtol=2e-4, atol=2e-5)
    for name in ("description", "names"):  # the printed model, the parameter names
        if name in theirs:
            assert ours[name] == theirs[name]
