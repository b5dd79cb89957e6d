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


# What each block prints, as the README's comments say (fragments of the printed text).
PRINTED = {
    "print(w.grad.shape, b.grad.shape)": ["torch.Size([3, 4]) torch.Size([4])\n"],
    "(tg.tensor([7, -7]) % 3)": ["[False, False, False, True, True] [1, 2] 2.0\n"],
    "x.numel())": ["[0, 2] torch.Size([2, 3]) 3 6\ntorch.Size([3, 2])\n"],
    "named_buffers()": ["['1.running_mean', '1.running_var', "],
    "lstm.named_parameters()": ["['weight_ih_l0', 'weight_hh_l0', "],
    "cnn[0].weight.grad.shape": ["torch.Size([8, 1, 3, 3]) torch.Size([8, 1, 3, 3])\n"],
    "# changes the weights the graph saved": [
        "one of the variables needed for gradient computation has been modified by an "
        "inplace operation: a tensor LinearFunction saved for backward (input 1 '2.weight', "
        "shape (1, 4)) was modified by an in-place operation: it is at version 2; expected "
        "version 1 instead."],
    "max_bytes=100": [
        "load: xor.pt is a PyTorch checkpoint that cannot be read: data.pkl (473 bytes) "
        "brings what the load allocates over the limit of max_bytes",
        "Error(s) in loading state_dict for Sequential:", '"2.bias"', "out of range"],
}


def test_readme_blocks_print_what_their_comments_say(tmp_path, monkeypatch):
    import contextlib
    import io

    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    namespace: dict = {}
    seen = set()
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
        for key, fragments in PRINTED.items():
            if key in block:
                seen.add(key)
                for fragment in fragments:
                    assert fragment in out.getvalue(), (key, fragment, out.getvalue())
        if "tg.grad(x ** 3" in block:  # 3x^2 = 12 and 6x = 12 at x = 2
            assert namespace["dy"].item() == 12.0 and namespace["d2y"].item() == 12.0
        if "XOR of the signs" in block:  # "loss 0.72 -> 0.0153", PyTorch 2.13: 0.015250692
            assert 0.01524 <= namespace["loss"].item() < 0.01526
        if "lstm(" in block:  # (4, 10, 32), (4, 4, 16), (4, 4, 16)
            shapes = [tuple(namespace[n].shape) for n in ("output", "h_n", "c_n")]
            assert shapes == [(4, 10, 32), (4, 4, 16), (4, 4, 16)]
        if "accuracy = " in block:  # the comment's 0.984375 (252 of 256; PyTorch 2.13 too)
            assert namespace["accuracy"] == 252 / 256
    assert seen == set(PRINTED), set(PRINTED) - seen
