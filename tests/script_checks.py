"""The three checks every client-script round runs (rounds 19 on): the scripts are pure
PyTorch, each runs ported, and each prints and computes what PyTorch's run does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_round18_scripts import _global_settings, _restore, ported, run

import tinygrad_np as tg


def check_pure_pytorch(scripts: list[Path], minimum: int) -> None:
    assert len(scripts) >= minimum
    for path in scripts:
        text = path.read_text()
        assert "import torch" in text and "tinygrad_np" not in text
        assert 40 <= len(text.splitlines()) <= 150, path.name


def check_runs_ported(path: Path) -> None:
    """Without PyTorch installed, the ported script runs and its losses are finite."""
    settings = _global_settings(tg)
    try:
        ours = run(ported(path.read_text()), path)
    finally:
        _restore(tg, settings)
    assert len(ours["losses"]) > 0 and np.all(np.isfinite(ours["losses"]))
    assert np.all(np.isfinite(np.asarray(ours["result"], dtype=float)))


def check_matches_pytorch(path: Path, capsys: pytest.CaptureFixture) -> tuple[dict, dict]:
    """The script run under PyTorch and ported print the same and compute the same; returns
    (ours, theirs), the two runs' namespaces, for a round's further checks."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    text = path.read_text()
    settings = _global_settings(torch), _global_settings(tg)
    try:
        theirs = run(text, path)
        printed_theirs = capsys.readouterr().out
        ours = run(ported(text), path)
        printed_ours = capsys.readouterr().out
    finally:
        _restore(torch, settings[0])
        _restore(tg, settings[1])
    assert printed_ours.splitlines() == printed_theirs.splitlines()
    assert len(ours["losses"]) == len(theirs["losses"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours["result"], dtype=float),
                               np.asarray(theirs["result"], dtype=float), rtol=2e-4, atol=2e-5)
    return ours, theirs
