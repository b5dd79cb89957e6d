"""The README's Python examples run as written (they are part of the documentation)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write files
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102


def test_readme_trace_table_is_what_trace_backward_prints():
    """The table under "What backward did, step by step" is the neuron block's trace."""
    text = README.read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S)
                 if 'out.name = "out"' in b)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    shown = re.search(r"neuron above:\n\n```\n(.*?)```", text, flags=re.S).group(1)
    assert str(namespace["tg"].trace_backward(namespace["out"])) + "\n" == shown
