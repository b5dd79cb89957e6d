"""Runs several scripts in one Python process (one import of the library instead of one
per script), each as `python script.py` would, and prints {name: stdout} as JSON.

Usage: python e2e_driver.py DIR (every *.py file of DIR, already pointing at one library)."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import warnings
from pathlib import Path


def main() -> None:
    outputs = {}
    for path in sorted(Path(sys.argv[1]).glob("*.py")):
        captured = io.StringIO()
        namespace = {"__name__": "__main__", "__file__": str(path)}
        with contextlib.redirect_stdout(captured), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
        outputs[path.stem] = captured.getvalue()
    sys.stdout.write(json.dumps(outputs))


if __name__ == "__main__":
    main()
