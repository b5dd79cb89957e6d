"""Fourteenth round of probes against PyTorch (session 20): real scripts run with only the import
changed: version checks, DataLoader workers, the meta device, torch.compile's wrapper,
SparseAdam, small namespaces, and TransformerEncoder's padded positions in eval."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

try:
    from packaging.version import Version
except ImportError:
    Version = None

# ---------------------------------------------------------------- __version__

VERSION_CHECKS = {
    "ge str": lambda v: v >= "2.0",
    "ge long str": lambda v: v >= "2.13.0",
    "lt next": lambda v: v < "2.13.1",
    "gt release": lambda v: v > "2.13.0",  # the local label sorts after the release
    "eq release": lambda v: v == "2.13.0",
    "lt 2.14 dev": lambda v: v < "2.14.0.dev0",
    "gt 2.13 rc": lambda v: v > "2.13.0rc1",
    "lt 10": lambda v: v < "10.0",  # as versions, not as strings ("2" > "1")
    "ge tuple": lambda v: v >= (2, 0),
    "lt tuple": lambda v: v < (2, 14),
    "eq tuple": lambda v: v == (2, 13, 0),
    "gt list": lambda v: v > [1, 12],
    "major minor": lambda v: tuple(int(x) for x in v.split(".")[:2]) >= (1, 12),
    "startswith": lambda v: v.startswith("2."),
    "not a version": lambda v: v == "parrot",
}


@pytest.mark.parametrize("name", list(VERSION_CHECKS))
def test_version_checks_take_the_2_13_branch(name):
    expected = {"eq release": False, "eq tuple": False, "not a version": False}.get(name, True)
    assert VERSION_CHECKS[name](tg.__version__) is expected


@pytest.mark.skipif(torch is None, reason="compares with PyTorch")
@pytest.mark.parametrize("name", list(VERSION_CHECKS))
def test_version_checks_like_pytorch_torch_version(name):
    from torch.torch_version import TorchVersion

    assert VERSION_CHECKS[name](tg.__version__) == VERSION_CHECKS[name](
        TorchVersion(str(tg.__version__)))


@pytest.mark.skipif(Version is None, reason="needs packaging")
def test_version_parses_with_packaging():
    parsed = Version(tg.__version__)
    assert parsed >= Version("1.12") and parsed.release == (2, 13, 0)
    assert parsed.local == f"tgnp.{tg.version.tinygrad_np}"
    assert tg.__version__ >= Version("2.0") and tg.__version__ < Version("3")


def test_version_is_a_str_and_the_library_version_is_reachable():
    assert isinstance(tg.__version__, str) and tg.__version__ == tg.version.__version__
    assert str(tg.__version__) == f"2.13.0+tgnp.{tg.version.tinygrad_np}"
    assert {tg.__version__: 1}[str(tg.__version__)] == 1  # hashes as its string
    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parent.parent / "setup.cfg")
    assert config["metadata"]["version"] == tg.version.tinygrad_np == "0.1.0"
    assert tg.torch_version.TorchVersion("1.10.0a") > (1, 2, 1)
