"""Session 26: NumPy's floating-point warnings do not leak out of the package's ops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import numpy as np
import tinygrad_np as tg
h = tg.tensor([60000.0, -60000.0], dtype=tg.float16)
f = tg.tensor([3e38, -3e38], requires_grad=True)
print((h * h).tolist(), (h + h).tolist(), (h - h.flip(0)).tolist())
(f * f + f + f).sum().backward()
print(f.grad.tolist(), (tg.tensor([0.0]) / 0).tolist())
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_overflowing_arithmetic_is_quiet_as_pytorch():
    done = _run(PROBE)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[inf, inf] [inf, -inf] [inf, -inf]"  # PyTorch 2.13's values
    assert lines[1] == "[inf, -inf] [nan]"


def test_the_users_own_numpy_code_keeps_its_warnings():
    done = _run("import numpy as np, tinygrad_np\nnp.float32(3e38) * np.float32(10)\n"
                "np.ones(2, np.float16) * np.float16(60000) * np.float16(2)\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("RuntimeWarning: overflow encountered") == 2, done.stderr
