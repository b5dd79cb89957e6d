"""Round 20, client scripts (round 3): more ordinary PyTorch programs with only the import
changed.

Each script in tests/scripts_round20/ is plain PyTorch (a ViT with norm_first encoder
layers, a ResNet with a hand-written augmentation pipeline, ESPCN with PixelShuffle,
fast-neural-style, Forward-Forward, a GRU seq2seq with beam search, a CLIP-style dual
encoder, DeepSets/graph networks with segment reductions, EM for a Gaussian mixture, Bayes
by Backprop, a tabular model with embeddings in a ModuleDict, quantile regression, a siamese
LSTM over packed sequences, a tiny NeRF, ...) and records `losses` and `result`. It runs once
under PyTorch and once with its import lines rewritten to tinygrad_np's; `torch.manual_seed`
gives PyTorch's own random numbers here, so default initialisation, randperm, dropout and
sampling agree without copying weights: loss trajectories, final metrics and printed lines
must match.

Then regression tests for what the scripts found, against PyTorch or fixed values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_round18_scripts import _global_settings, _restore, ported, run

import tinygrad_np as tg

SCRIPTS = sorted((Path(__file__).parent / "scripts_round20").glob("*.py"))


def test_enough_scripts_and_they_are_pure_pytorch():
    assert len(SCRIPTS) >= 12
    for path in SCRIPTS:
        text = path.read_text()
        assert "import torch" in text and "tinygrad_np" not in text
        assert 40 <= len(text.splitlines()) <= 150, path.name


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_ported(path, capsys):
    """Without PyTorch installed, each ported script runs and its losses are finite."""
    settings = _global_settings(tg)
    try:
        ours = run(ported(path.read_text()), path)
    finally:
        _restore(tg, settings)
    assert len(ours["losses"]) > 0 and np.all(np.isfinite(ours["losses"]))
    assert np.all(np.isfinite(np.asarray(ours["result"], dtype=float)))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_matches_pytorch(path, capsys):
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
